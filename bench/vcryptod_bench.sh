#!/bin/bash
# make bench: vcryptod throughput and round trip. Writes bench/results/vcryptod.md and prints it.
#  1. raw backend: vcd_bench (vufront) drives vcryptod with AES-128-CBC at
#     64 B..16 KiB, 1 and 2 queues, 128 requests in flight per queue, with
#     polling (the default --poll-us) and without (--poll-us 0);
#     `openssl speed -evp aes-128-cbc` (one core) is measured in the same run.
#  2. one request in flight (64 B, 4 KiB): the round trip without polling,
#     with the daemon polling, and with both sides polling; against floors
#     measured in the same run by vcd_floor (two threads handing a cache line
#     back and forth; an eventfd ping-pong). vcryptod's CPU time per request
#     (from /proc/PID/stat) for each, and its CPU use over 10 s with a
#     connected, idle frontend.
#  3. in a guest: the stock virtio_crypto driver through AF_ALG
#     (tests/vm/afalg_test --bench, one request at a time) against vcryptod
#     with and without polling and against QEMU's builtin cryptodev backend,
#     64 B..64 KiB, same run.
# Figures are never asserted. Each raw point is the median of
# VCD_BENCH_REPEAT (default 3) runs of VCD_BENCH_SECS (default 1) seconds;
# VCD_BENCH_GUEST_SECS (default 1) is the time per guest point and
# VCD_BENCH_GUEST_BOOTS (default 2) the boots per backend (best kept);
# VCD_BENCH_NO_GUEST=1 leaves the guest part out.
set -uo pipefail
. "$(dirname "$0")/../tests/host/vcryptod_lib.sh"
secs=${VCD_BENCH_SECS:-1}
rep=${VCD_BENCH_REPEAT:-3}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
gsecs=${VCD_BENCH_GUEST_SECS:-1}
gboots=${VCD_BENCH_GUEST_BOOTS:-2}
out=$top/bench/results/vcryptod.md
mkdir -p "$top/bench/results"
sizes="64 256 1024 4096 16384"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
hz=$(getconf CLK_TCK)

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

osecs=${secs%.*}
[ "${osecs:-0}" -ge 1 ] 2>/dev/null || osecs=1 # openssl speed takes whole seconds
declare -A ossl
for s in $sizes; do
	# -mr: "+F:N:AES-128-CBC:<bytes per second>"
	vals=""
	for _ in $(seq "$rep"); do
		v=$(openssl speed -mr -evp aes-128-cbc -bytes "$s" -seconds "$osecs" 2>/dev/null |
			awk -F: '/^\+F:/ { print $4 }' | tail -1)
		vals="$vals ${v:-0}"
	done
	ossl[$s]=$(echo "$vals" | median)
	echo "openssl speed -evp aes-128-cbc -bytes $s: ${ossl[$s]} B/s"
done

declare -A floor
for k in cacheline eventfd; do
	vals=""
	for _ in $(seq "$rep"); do
		line=$("$B/bench/vcd_floor" "$k" "$secs")
		echo "$line"
		vals="$vals $(field "$line" round_trip_us)"
	done
	floor[$k]=$(echo "$vals" | median)
done

vcd_start poll -- --queues 2 || exit 1
poll_pid=$vcd_pid poll_sock=$vcd_sock
poll_us=$(sed -n 's/.*polling \([0-9]*\) us.*/\1/p' "$vcd_log" | head -1)
vcd_start nopoll -- --queues 2 --poll-us 0 || exit 1
nopoll_pid=$vcd_pid nopoll_sock=$vcd_sock

# run KEY PID SOCK vcd_bench-args...: median req/s of $rep runs into res[KEY],
# the run's line into line[KEY], median daemon CPU us per request into cpu[KEY].
declare -A res line cpu
run() {
	local key=$1 pid=$2 sock=$3 vals="" cvals="" l r t0 t1 n
	shift 3
	for _ in $(seq "$rep"); do
		t0=$(ticks "$pid")
		l=$("$B/bench/vcd_bench" -s "$sock" -d "$secs" "$@")
		t1=$(ticks "$pid")
		echo "$key: $l"
		r=$(field "$l" req_per_s) n=$(field "$l" requests)
		[ -n "$r" ] || continue
		vals="$vals $r"
		cvals="$cvals $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", (n > 0 ? d / hz * 1e6 / n : 0) }')"
		line[$key]=$l
	done
	res[$key]=$(echo "$vals" | median)
	cpu[$key]=$(echo "$cvals" | median)
}
for q in 1 2; do
	for s in $sizes; do
		run "p,$q,$s" "$poll_pid" "$poll_sock" -q "$q" -l "$s" -i 128
		run "n,$q,$s" "$nopoll_pid" "$nopoll_sock" -q "$q" -l "$s" -i 128
	done
done
# One request in flight: the round trip.
for s in 64 4096; do
	run "rt,n,$s" "$nopoll_pid" "$nopoll_sock" -q 1 -l "$s" -i 1
	run "rt,p,$s" "$poll_pid" "$poll_sock" -q 1 -l "$s" -i 1
	run "rt,pp,$s" "$poll_pid" "$poll_sock" -q 1 -l "$s" -i 1 -p "$poll_us" -F
done
# Idle: a connected frontend that stopped sending, 10 s.
"$B/bench/vcd_bench" -s "$poll_sock" -q 1 -l 64 -i 1 -d 0.5 -w 12 >/dev/null &
idle_fe=$!
sleep 1.5
t0=$(ticks "$poll_pid")
sleep 10
t1=$(ticks "$poll_pid")
wait "$idle_fe"
idle_ticks=$((t1 - t0))
kill -USR1 "$poll_pid"
sleep 0.3
counters=$(grep 'queue 0: requests' "$vcd_dir/poll.log" | tail -1 | sed 's/.*dropped [0-9]* //')
vcd_stop "$poll_pid"
vcd_stop "$nopoll_pid"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo "# vcryptod"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($cpu), $(openssl version),"
	echo "by \`bench/vcryptod_bench.sh\` (\`make bench\`). Load average when it started: $load0; after the raw part: $load1"
	echo "(the machine is shared: figures move with other load; each raw point is the median of $rep runs of ${secs} s)."
	echo "vcryptod polls with its default window (\`--poll-us $poll_us\`, adaptive) unless \`--poll-us 0\` is said."
	echo
	echo "## Raw backend: vufront -> vhost-user -> vcryptod (OpenSSL engine), AES-128-CBC encrypt"
	echo
	echo "vcd_bench keeps 128 requests in flight per queue (one frontend thread per queue, each"
	echo "request an indirect chain of header+iv, src, dst, status; every slot's first result"
	echo "checked against OpenSSL). Reference: \`openssl speed -evp aes-128-cbc -bytes N\` on one"
	echo "core in the same run. Both sides share the machine's $(nproc) cores: with 1 queue the frontend"
	echo "thread and the daemon's worker each take one; with 2 queues four threads share them."
	echo "CPU/req is vcryptod's user+system time per request (/proc/PID/stat, ${hz} Hz ticks)."
	echo "Targets (issue 14): >= 1,000,000 requests/s at 64 B and >= 0.9 of OpenSSL at 16 KiB per queue, polling on."
	echo
	echo "| queues | size | req/s polling | per queue | MB/s | ratio to OpenSSL per queue | CPU/req | req/s --poll-us 0 | ratio per queue | CPU/req |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for q in 1 2; do
		for s in $sizes; do
			awk -v q="$q" -v s="$s" -v r="${res[p,$q,$s]:-0}" -v n="${res[n,$q,$s]:-0}" \
				-v o="${ossl[$s]}" -v cp="${cpu[p,$q,$s]:-0}" -v cn="${cpu[n,$q,$s]:-0}" 'BEGIN {
				om = o / 1e6; m = r * s / 1e6; mn = n * s / 1e6
				printf "| %d | %d | %.0f | %.0f | %.1f | %.2f | %.2f us | %.0f | %.2f | %.2f us |\n",
					q, s, r, r / q, m, (om > 0 ? m / om / q : 0), cp, n, (om > 0 ? mn / om / q : 0), cn }'
		done
	done
	echo
	echo "OpenSSL, one core: $(for s in $sizes; do awk -v s="$s" -v o="${ossl[$s]}" 'BEGIN { printf "%d B %.1f MB/s; ", s, o / 1e6 }'; done)"
	echo
	echo "## One request at a time (1 queue, 1 in flight)"
	echo
	echo "Round trip = 1 / requests per second. *Sleeping frontend*: vcd_bench waits on the call"
	echo "eventfd after asking for an interrupt (used_event), like a guest driver waiting for its"
	echo "interrupt. *Polling frontend*: vcd_bench first watches the used ring for up to $poll_us us without"
	echo "asking for an interrupt (\`-p $poll_us -F\`: it tells the daemon its EVENT_IDX, so no interrupt is"
	echo "sent), like a driver that polls for completions. Floors, same run: two threads handing a cache line"
	echo "back and forth (what polling on both sides can reach): ${floor[cacheline]} us; an eventfd"
	echo "ping-pong between two threads (two wake-ups, as a kick and a call cost): ${floor[eventfd]} us."
	echo "Target (issue 14): polling round trip <= 0.3 x the round trip without polling."
	echo
	echo "| size | daemon | frontend | req/s | round trip | vs --poll-us 0 | vs eventfd floor | vs cache-line floor | vcryptod CPU/req | kicks/req | interrupts read/req |"
	echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in 64 4096; do
		for v in n p pp; do
			case $v in
			n) d="--poll-us 0" f=sleeping ;;
			p) d="polling" f=sleeping ;;
			pp) d="polling" f="polling" ;;
			esac
			l=${line[rt,$v,$s]:-}
			awk -v s="$s" -v d="$d" -v f="$f" -v r="${res[rt,$v,$s]:-0}" -v base="${res[rt,n,$s]:-0}" \
				-v fe="${floor[eventfd]}" -v fc="${floor[cacheline]}" -v c="${cpu[rt,$v,$s]:-0}" \
				-v k="$(field "$l" kicks)" -v i="$(field "$l" calls_read)" -v n="$(field "$l" requests)" 'BEGIN {
				if (r <= 0) { printf "| %d | %s | %s | failed | | | | | | | |\n", s, d, f; exit }
				rt = 1e6 / r; rb = (base > 0 ? 1e6 / base : 0)
				printf "| %d | %s | %s | %.0f | %.1f us | %.2f | %.2f | %.2f | %.2f us | %.2f | %.2f |\n",
					s, d, f, r, rt, (rb > 0 ? rt / rb : 0), (fe > 0 ? rt / fe : 0), (fc > 0 ? rt / fc : 0),
					c, (n > 0 ? k / n : 0), (n > 0 ? i / n : 0) }'
		done
	done
	echo
	awk -v t="$idle_ticks" -v hz="$hz" 'BEGIN { printf "Idle: with a connected frontend that stopped sending, vcryptod (polling) used %d ticks = %.2f s of CPU in 10 s (%.1f%%).\n", t, t / hz, t / hz * 10 }'
	echo "Its counters at the end (queue 0): $counters."
} >"$out"

if [ "${VCD_BENCH_NO_GUEST:-0}" != 1 ]; then
	guest_case=$vcd_dir/bench_case.sh
	cat >"$guest_case" <<'CASE'
. /lib/tap.sh
for i in $(seq 1 40); do grep -q virtio_crypto_aes_cbc /proc/crypto && break; sleep 0.5; done
if grep -q virtio_crypto_aes_cbc /proc/crypto; then
	ok "virtio_crypto_aes_cbc registered"
	afalg_test --bench --driver virtio_crypto_aes_cbc --min-size 64 --max-size 65536 --seconds SECS
	afalg_test --bench --driver 'cbc(aes-generic)' --min-size 64 --max-size 65536 --seconds SECS
else
	not_ok "virtio_crypto_aes_cbc not registered"
fi
CASE
	sed -i "s/SECS/$gsecs/g" "$guest_case"
	mods=(-m virtio_pci -m virtio_crypto -m algif_skcipher -m cbc -m aes_generic)
	vcd_start guest -- --queues 1 || exit 1
	gpid=$vcd_pid gsock=$vcd_sock
	vcd_start guest0 -- --queues 1 --poll-us 0 || exit 1
	g0pid=$vcd_pid g0sock=$vcd_sock
	: >"$vcd_dir/guest-vcd.log"
	: >"$vcd_dir/guest-vcd0.log"
	: >"$vcd_dir/guest-builtin.log"
	# Boots alternate (vcryptod polling, vcryptod --poll-us 0, builtin, ...)
	# so that other load on the machine hits all alike; each size keeps its
	# best run. CPU ticks of each daemon over its boots are recorded.
	gt0=$(ticks "$gpid") g0t0=$(ticks "$g0pid")
	for _ in $(seq "$gboots"); do
		"$top/tests/vm/vmrun.sh" -n bench-vcryptod -t 300 -u "$gsock" "${mods[@]}" \
			-f "$B/guest-bin/afalg_test" -c "$guest_case" >>"$vcd_dir/guest-vcd.log" 2>&1
		"$top/tests/vm/vmrun.sh" -n bench-vcryptod0 -t 300 -u "$g0sock" "${mods[@]}" \
			-f "$B/guest-bin/afalg_test" -c "$guest_case" >>"$vcd_dir/guest-vcd0.log" 2>&1
		"$top/tests/vm/vmrun.sh" -n bench-builtin -t 300 -b "${mods[@]}" \
			-f "$B/guest-bin/afalg_test" -c "$guest_case" >>"$vcd_dir/guest-builtin.log" 2>&1
	done
	gt1=$(ticks "$gpid") g0t1=$(ticks "$g0pid")
	vcd_stop "$gpid"
	vcd_stop "$g0pid"
	cat "$vcd_dir/guest-vcd.log" "$vcd_dir/guest-vcd0.log" "$vcd_dir/guest-builtin.log" | grep -E '^(BENCH|not ok)'
	accel=$("$top/scripts/accel.sh") || exit 1
	accel=${accel^^}
	{
		echo
		echo "## In a guest: stock virtio_crypto driver through AF_ALG, AES-128-CBC encrypt"
		echo
		echo "\`afalg_test --bench\` in a $accel guest (1 vCPU, Debian kernel $("$top/scripts/kver.sh")), one"
		echo "request at a time, ${gsecs} s per size; $gboots boots each with vcryptod polling (default), vcryptod"
		echo "\`--poll-us 0\` (vhost-user, \`vectors=0\`) and QEMU's builtin cryptodev backend, alternating, in"
		echo "the same run, best per size. The vhost-user path takes more hops per request (vCPU -> kick"
		echo "eventfd -> vcryptod's worker -> call eventfd -> QEMU's main loop -> INTx, as \`vectors=0\` is"
		echo "needed with QEMU 7.2) than the builtin backend, which runs inside the vCPU's exit; polling"
		echo "removes the kick's wake-up and the guest's notify exit while the worker watches the ring. The"
		echo "guest's own \`cbc(aes-generic)\` (software, under $accel) is shown for scale. Target (issue 14):"
		echo ">= 1.2 x builtin at 64 B and >= 1.0 x at every size."
		awk -v a=$((gt1 - gt0)) -v b=$((g0t1 - g0t0)) -v hz="$hz" 'BEGIN { printf "vcryptod CPU over its %s boots: polling %.2f s, --poll-us 0 %.2f s.\n", "'"$gboots"'", a / hz, b / hz }'
		echo
		echo "| size | polling MB/s | polling req/s | --poll-us 0 req/s | builtin req/s | polling / builtin | --poll-us 0 / builtin | guest aes-generic MB/s |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
		for s in 64 256 1024 4096 16384 65536; do
			get() { grep -E "^BENCH driver=$2 size=$s " "$vcd_dir/$1" | tr ' ' '\n' |
				sed -n "s/^$3=//p" | sort -g | tail -1; }
			vm=$(get guest-vcd.log virtio_crypto_aes_cbc mb_per_s)
			vo=$(get guest-vcd.log virtio_crypto_aes_cbc ops_per_s)
			zo=$(get guest-vcd0.log virtio_crypto_aes_cbc ops_per_s)
			bo=$(get guest-builtin.log virtio_crypto_aes_cbc ops_per_s)
			gm=$(get guest-vcd.log 'cbc\(aes-generic\)' mb_per_s)
			awk -v s="$s" -v vm="${vm:-0}" -v vo="${vo:-0}" -v zo="${zo:-0}" -v bo="${bo:-0}" -v gm="${gm:-0}" 'BEGIN {
				printf "| %d | %s | %s | %s | %s | %s | %s | %s |\n", s,
					(vm > 0 ? sprintf("%.2f", vm) : "failed"), (vo > 0 ? vo : "-"),
					(zo > 0 ? zo : "-"), (bo > 0 ? bo : "-"),
					(vo > 0 && bo > 0 ? sprintf("%.2f", vo / bo) : "-"),
					(zo > 0 && bo > 0 ? sprintf("%.2f", zo / bo) : "-"),
					(gm > 0 ? sprintf("%.2f", gm) : "-") }'
		done
	} >>"$out"
fi
echo
cat "$out"
