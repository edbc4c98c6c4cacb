#!/bin/bash
# make bench: vcryptod throughput and round trip. Writes bench/results/vcryptod.md and prints it.
#  1. raw backend: vcd_bench (vufront) drives vcryptod with AES-128-CBC at
#     64 B..16 KiB, 1 and 2 queues, 128 requests in flight per queue, with
#     polling (--poll-us VCD_BENCH_POLL_US, default 50) and without (0);
#     `openssl speed -evp aes-128-cbc` (one core) is measured in the same run.
#  2. one request in flight (64 B, 4 KiB): the round trip without polling,
#     with the daemon polling, and with both sides polling; against floors
#     measured in the same run by vcd_floor (two threads pinned to two CPUs
#     handing a cache line back and forth; an eventfd ping-pong between two
#     threads the scheduler places). vcryptod's
#     CPU time per request (schedstat) for each, and its CPU use over 10 s
#     with a connected, idle frontend.
#  1+2 pinned: with 2 CPUs or more, the 1-queue raw points and the round
#     trips again with vcryptod's worker pinned (--cpu-affinity) to one CPU
#     and vcd_bench's thread (-c) to another, the CPUs vcd_floor uses.
#  (restart costs of the front/worker split: bench/vcryptod_restart_bench.sh,
#  run at the end, writes bench/results/vcryptod_restart.md)
#  3. in a guest: the stock virtio_crypto driver through AF_ALG
#     (tests/vm/afalg_test --bench, one request at a time) against vcryptod
#     at several polling windows (VCD_BENCH_GUEST_POLLS, default: the
#     VCD_BENCH_POLL_US window and 0) and against QEMU's builtin backend,
#     64 B..64 KiB, same run; on each stack of VCD_BENCH_GUEST_STACKS
#     (default "deb12 deb13": QEMU 7.2 + guest 6.1 with vectors=0, QEMU
#     10.0 + guest 6.12 with MSI-X; tests/vm/stack.sh). Where vhost-user
#     is on INTx, builtin is also booted with vectors=0 (the same interrupt
#     path; VCD_BENCH_BUILTIN_INTX=0 leaves it out).
# Figures are never asserted. Each raw point is the median of
# VCD_BENCH_REPEAT (default 3) runs of VCD_BENCH_SECS (default 1) seconds;
# VCD_BENCH_GUEST_SECS (default 1) is the time per guest point and
# VCD_BENCH_GUEST_BOOTS (default 2) the boots per backend (best kept);
# VCD_BENCH_NO_GUEST=1 leaves the guest part out.
set -uo pipefail
. "$(dirname "$0")/../tests/host/vcryptod_lib.sh"
. "$top/bench/bench_lib.sh"
secs=${VCD_BENCH_SECS:-1}
rep=${VCD_BENCH_REPEAT:-3}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
gsecs=${VCD_BENCH_GUEST_SECS:-1}
gboots=${VCD_BENCH_GUEST_BOOTS:-2}
out=$top/bench/results/vcryptod.md
mkdir -p "$top/bench/results"
sizes="64 256 1024 4096 16384"
hz=$(getconf CLK_TCK)
# The first two CPUs this script may use: the frontend's and the worker's
# when pinned (vcd_floor picks the same two).
allowed=()
for r in $(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status | tr ',' ' '); do
	for c in $(seq "${r%-*}" "${r#*-}"); do allowed+=("$c"); done
done
fe_cpu=${allowed[0]} be_cpu=${allowed[1]:-}

# CPU time in ns of the daemon's live tasks (front, spawner, the worker of
# the current connection, all their threads; schedstat, exact). Read while a
# frontend is connected, it includes that connection's worker, which exits
# (and whose time is lost to this count) when the frontend goes.
cpu_ns() {
	local t=0 f
	for f in /proc/"$1"/task/*/schedstat $(for c in $(pgrep -P "$1"); do echo /proc/"$c"/task/*/schedstat; done); do
		t=$((t + $(cut -d' ' -f1 "$f" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

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

poll_us=${VCD_BENCH_POLL_US:-50}
vcd_start poll -- --queues 2 --poll-us "$poll_us" || exit 1
poll_pid=$vcd_pid poll_sock=$vcd_sock
vcd_start nopoll -- --queues 2 --poll-us 0 || exit 1
nopoll_pid=$vcd_pid nopoll_sock=$vcd_sock
if [ -n "$be_cpu" ]; then
	vcd_start ppin -- --queues 1 --poll-us "$poll_us" --cpu-affinity "$be_cpu" || exit 1
	ppin_pid=$vcd_pid ppin_sock=$vcd_sock
	vcd_start npin -- --queues 1 --poll-us 0 --cpu-affinity "$be_cpu" || exit 1
	npin_pid=$vcd_pid npin_sock=$vcd_sock
fi

# bench_conn PID SOCK vcd_bench-args...: one vcd_bench run; sets l (its
# line) and d (the daemon's CPU ns over the run). vcd_bench connects and sets
# up, says READY and waits for a line (-W): the count starts there, without
# the connection's worker start; it stays connected after its line (-w) until
# that worker has been read (alive), then it is ended.
bench_conn() {
	local pid=$1 sock=$2 o=$vcd_dir/run.out go=$vcd_dir/go b c0=0
	shift 2
	rm -f "$go"
	mkfifo "$go"
	"$B/bench/vcd_bench" -s "$sock" -W -w 20 "$@" <>"$go" >"$o" &
	b=$!
	while ! grep -q '^READY' "$o" && kill -0 "$b" 2>/dev/null; do sleep 0.01; done
	c0=$(cpu_ns "$pid")
	echo go 1<>"$go" # read-write: never blocks, even if vcd_bench is gone
	while ! grep -q '^RESULT' "$o" && kill -0 "$b" 2>/dev/null; do sleep 0.02; done
	d=$(($(cpu_ns "$pid") - c0))
	kill "$b" 2>/dev/null
	wait "$b" 2>/dev/null
	l=$(grep '^RESULT' "$o")
}
# run KEY PID SOCK vcd_bench-args...: median req/s of $rep runs into res[KEY],
# the run's line into line[KEY], median daemon CPU us per request into cpu[KEY].
declare -A res line cpu
run() {
	local key=$1 pid=$2 sock=$3 vals="" cvals="" r n
	shift 3
	for _ in $(seq "$rep"); do
		bench_conn "$pid" "$sock" -d "$secs" "$@"
		echo "$key: $l"
		r=$(field "$l" req_per_s) n=$(field "$l" requests)
		[ -n "$r" ] || continue
		vals="$vals $r"
		cvals="$cvals $(awk -v d="$d" -v n="$n" 'BEGIN { printf "%.3f", (n > 0 ? d / 1e3 / n : 0) }')"
		line[$key]=$l
	done
	res[$key]=$(echo "$vals" | median)
	cpu[$key]=$(echo "$cvals" | median)
}
for q in 1 2; do
	for s in $sizes; do
		run "p,$q,$s" "$poll_pid" "$poll_sock" -q "$q" -l "$s" -i 128
		run "n,$q,$s" "$nopoll_pid" "$nopoll_sock" -q "$q" -l "$s" -i 128
		[ "$q" = 1 ] && [ -n "$be_cpu" ] &&
			run "P,1,$s" "$ppin_pid" "$ppin_sock" -q 1 -l "$s" -i 128 -c "$fe_cpu"
	done
done
# One request in flight: the round trip, each size's runs next to a run of
# both floors (the load on a shared machine changes within minutes).
declare -A floor
fc="" fe="" fw="" fs=""
for s in 64 4096; do
	l=$("$B/bench/vcd_floor" cacheline "$secs")
	echo "$l"
	fc="$fc $(field "$l" round_trip_us)"
	fw="$fw $(field "$l" runq_wait)" fs="$fs $(field "$l" cpu_share)"
	floor_cpus=$(field "$l" cpus)
	l=$("$B/bench/vcd_floor" eventfd "$secs")
	echo "$l"
	fe="$fe $(field "$l" round_trip_us)"
	fw="$fw $(field "$l" runq_wait)"
	run "rt,n,$s" "$nopoll_pid" "$nopoll_sock" -q 1 -l "$s" -i 1
	run "rt,p,$s" "$poll_pid" "$poll_sock" -q 1 -l "$s" -i 1
	run "rt,pp,$s" "$poll_pid" "$poll_sock" -q 1 -l "$s" -i 1 -p "$poll_us" -F
	if [ -n "$be_cpu" ]; then
		run "rt,N,$s" "$npin_pid" "$npin_sock" -q 1 -l "$s" -i 1 -c "$fe_cpu"
		run "rt,P,$s" "$ppin_pid" "$ppin_sock" -q 1 -l "$s" -i 1 -c "$fe_cpu"
		run "rt,PP,$s" "$ppin_pid" "$ppin_sock" -q 1 -l "$s" -i 1 -p "$poll_us" -F -c "$fe_cpu"
	fi
done
floor[cacheline]=$(echo "$fc" | median)
floor[eventfd]=$(echo "$fe" | median)
# the worst of the floor runs: how much of the time a thread waited for its CPU
floor[wait]=$(echo "$fw" | tr ' ' '\n' | grep -v '^$' | sort -g | tail -1)
floor[share]=$(echo "$fs" | tr ' ' '\n' | grep -v '^$' | sort -g | head -1)
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
if [ -n "$be_cpu" ]; then
	vcd_stop "$ppin_pid"
	vcd_stop "$npin_pid"
fi
load1=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo "# vcryptod"
	echo
	echo "$(measured_on), $(openssl version),"
	echo "by \`bench/vcryptod_bench.sh\` (\`make bench\`). Load average when it started: $load0; after the raw part: $load1"
	echo "(the machine is shared: figures move with other load; each raw point is the median of $rep runs of ${secs} s)."
	echo "\"Polling\" is vcryptod \`--poll-us $poll_us\` (VCD_BENCH_POLL_US; adaptive window), compared with \`--poll-us 0\` (the default)."
	echo
	echo "## Raw backend: vufront -> vhost-user -> vcryptod (OpenSSL engine), AES-128-CBC encrypt"
	echo
	echo "vcd_bench keeps 128 requests in flight per queue (one frontend thread per queue, each"
	echo "request an indirect chain of header+iv, src, dst, status; every slot's first result"
	echo "checked against OpenSSL). Reference: \`openssl speed -evp aes-128-cbc -bytes N\` on one"
	echo "core in the same run. Both sides share the machine's $(nproc) cores: with 1 queue the frontend"
	echo "thread and the daemon's worker each take one; with 2 queues four threads share them."
	echo "CPU/req is vcryptod's CPU time per request: its tasks' run time (schedstat) from the end of"
	echo "the frontend's set-up (\`vcd_bench -W\`) to its result line, while still connected."
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
	if [ -n "$be_cpu" ]; then
		echo "### 1 queue, pinned: vcryptod's worker on CPU $be_cpu (\`--cpu-affinity $be_cpu\`), vcd_bench's thread on CPU $fe_cpu (\`-c $fe_cpu\`)"
		echo
		echo "The same points with each side kept on a CPU of its own (polling on). Left to the scheduler, the"
		echo "frontend thread is often woken onto the worker's CPU, and both then share it; pinned, a side that"
		echo "other work displaces cannot move to a free CPU either. CPU/req against OpenSSL's time per"
		echo "request (size / OpenSSL's B/s) is the share of the worker's CPU that went into AES; req/s against"
		echo "OpenSSL also counts the time the worker did not have its CPU."
		echo
		echo "| size | req/s polling, pinned | MB/s | ratio to OpenSSL | CPU/req | OpenSSL's time per request / CPU/req | req/s unpinned (above) |"
		echo "|---:|---:|---:|---:|---:|---:|---:|"
		for s in $sizes; do
			awk -v s="$s" -v r="${res[P,1,$s]:-0}" -v u="${res[p,1,$s]:-0}" -v o="${ossl[$s]}" \
				-v cp="${cpu[P,1,$s]:-0}" 'BEGIN {
				m = r * s / 1e6; ot = (o > 0 ? s / o * 1e6 : 0)
				printf "| %d | %.0f | %.1f | %.2f | %.2f us | %.2f | %.0f |\n",
					s, r, m, (o > 0 ? m / (o / 1e6) : 0), cp, (cp > 0 ? ot / cp : 0), u }'
		done
	else
		echo "(Only one CPU is available to this run: no pinned points.)"
	fi
	echo
	echo "## One request at a time (1 queue, 1 in flight)"
	echo
	echo "Round trip = 1 / requests per second. *Sleeping frontend*: vcd_bench waits on the call"
	echo "eventfd after asking for an interrupt (used_event), like a guest driver waiting for its"
	echo "interrupt. *Polling frontend*: vcd_bench first watches the used ring for up to $poll_us us without"
	echo "asking for an interrupt (\`-p $poll_us -F\`: it tells the daemon its EVENT_IDX, so no interrupt is"
	echo "sent), like a driver that polls for completions. *Pinned* rows: vcryptod's worker on CPU"
	echo "${be_cpu:-?} (\`--cpu-affinity\`), vcd_bench's thread on CPU $fe_cpu (\`-c\`); *any*: where the scheduler puts them."
	echo "Floors, measured next to the round trips (lower of two runs): two threads pinned to CPUs ${floor_cpus:-?}"
	echo "handing a cache line back and forth (what polling on both sides can reach): ${floor[cacheline]} us; an"
	echo "eventfd ping-pong between two threads placed by the scheduler, as the unpinned daemon and frontend are"
	echo "(two wake-ups, as a kick and a call cost): ${floor[eventfd]} us. While they ran, a floor thread waited"
	echo "for its CPU up to $(awk -v w="${floor[wait]:-0}" 'BEGIN { printf "%.0f%%", w * 100 }') of the time"
	echo "and a spinning one had its CPU at least $(awk -v w="${floor[share]:-0}" 'BEGIN { printf "%.0f%%", w * 100 }') of it (schedstat; undisturbed: 0% and 100%)."
	if awk -v w="${floor[wait]:-0}" 'BEGIN { exit !(w > 0.05) }'; then
		echo "**The floors were measured under load: other work took their CPUs, so they are not this"
		echo "machine's floor; the ratios to them are indicative only.**"
	fi
	[ "${floor_cpus%,*}" = "${floor_cpus#*,}" ] &&
		echo "**Only one CPU was available: the floor's two threads took turns on it.**"
	echo "Target (issue 14): polling round trip <= 0.3 x the round trip without polling."
	echo
	echo "| size | CPUs | daemon | frontend | req/s | round trip | vs --poll-us 0, same CPUs | vs --poll-us 0, any CPUs | vs eventfd floor | vs cache-line floor | vcryptod CPU/req | kicks/req | interrupts read/req |"
	echo "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in 64 4096; do
		for v in n p pp N P PP; do
			case $v in
			n | N) d="--poll-us 0" f=sleeping ;;
			p | P) d="polling" f=sleeping ;;
			pp | PP) d="polling" f="polling" ;;
			esac
			case $v in
			n | p | pp) pl=any b=n ;;
			*) pl=pinned b=N ;;
			esac
			[ "$pl" = pinned ] && [ -z "$be_cpu" ] && continue
			d="$pl | $d"
			l=${line[rt,$v,$s]:-}
			awk -v s="$s" -v d="$d" -v f="$f" -v r="${res[rt,$v,$s]:-0}" -v base="${res[rt,$b,$s]:-0}" -v any="${res[rt,n,$s]:-0}" \
				-v fe="${floor[eventfd]}" -v fc="${floor[cacheline]}" -v c="${cpu[rt,$v,$s]:-0}" \
				-v k="$(field "$l" kicks)" -v i="$(field "$l" calls_read)" -v n="$(field "$l" requests)" 'BEGIN {
				if (r <= 0) { printf "| %d | %s | %s | failed | | | | | | | | |\n", s, d, f; exit }
				rt = 1e6 / r; rb = (base > 0 ? 1e6 / base : 0); ra = (any > 0 ? 1e6 / any : 0)
				printf "| %d | %s | %s | %.0f | %.1f us | %.2f | %.2f | %.2f | %.2f | %.2f us | %.2f | %.2f |\n",
					s, d, f, r, rt, (rb > 0 ? rt / rb : 0), (ra > 0 ? rt / ra : 0), (fe > 0 ? rt / fe : 0), (fc > 0 ? rt / fc : 0),
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
	# On each stack of VCD_BENCH_GUEST_STACKS (default "deb12 deb13",
	# tests/vm/stack.sh; one that is not there is said so and skipped):
	# vcryptod with each polling window of VCD_BENCH_GUEST_POLLS (default:
	# the default window and 0), and QEMU's builtin backend. Boots alternate
	# so that other load on the machine hits all alike; each size keeps its
	# best run; each daemon's CPU ticks over its boots are kept.
	gpolls=${VCD_BENCH_GUEST_POLLS:-"$poll_us 0"}
	gstacks=${VCD_BENCH_GUEST_STACKS:-deb12 deb13}
	accel=$("$top/scripts/accel.sh") || exit 1
	accel=${accel^^}
	{
		echo
		echo "## In a guest: stock virtio_crypto driver through AF_ALG, AES-128-CBC encrypt"
		echo
		echo "\`afalg_test --bench\` in a $accel guest (1 vCPU), one request at a time, ${gsecs} s per size;"
		echo "on each stack, $gboots boots each with vcryptod at \`--poll-us\` $(echo $gpolls | sed 's/ /, /g') (vhost-user) and with"
		echo "QEMU's builtin cryptodev backend, alternating, in the same run, best per size. The vhost-user"
		echo "path takes more hops per request (vCPU -> kick eventfd -> vcryptod's worker -> call eventfd ->"
		echo "the guest's interrupt) than the builtin backend, which runs inside the vCPU's exit. On QEMU 7.2"
		echo "the call eventfd becomes INTx (\`vectors=0\`, as 7.2 crashes with MSI-X there: QEMU's main loop"
		echo "reads the eventfd and raises the line, the guest reads the ISR); on QEMU 10.0 it is an MSI-X"
		echo "vector (irqfd). The builtin device uses MSI-X on both; where vhost-user is on INTx, the builtin"
		echo "backend is also measured with \`vectors=0\` (same boots, same interrupt path as vhost-user), so"
		echo "that column compares the backends alone. Polling removes the worker's wake-up"
		echo "(and the kick) when the next request comes within the window, but on $(nproc) cores a spinning"
		echo "worker also takes CPU from the TCG vCPU thread. The guest's own \`cbc(aes-generic)\` (software,"
		echo "under $accel) is shown for scale. Target (issue 14): >= 1.2 x builtin at 64 B and >= 1.0 x at"
		echo "every size."
	} >>"$out"
	gsum=""
	for st in $gstacks; do
		if ! sv=$("$top/tests/vm/stack.sh" "$st" 2>"$vcd_dir/stack-$st.why"); then
			echo "vcryptod_bench: stack $st unavailable: $(tail -n 1 "$vcd_dir/stack-$st.why"); going on without it" >&2
			printf '\n### Stack %s: not measured\n\n%s\n' "$st" "$(tail -n 1 "$vcd_dir/stack-$st.why")" >>"$out"
			continue
		fi
		eval "$sv"
		declare -A gpid gsock gt0 gt1
		for p in $gpolls; do
			vcd_start "guest-$st-$p" -- --queues 1 --poll-us "$p" || exit 1
			gpid[$p]=$vcd_pid gsock[$p]=$vcd_sock
			: >"$vcd_dir/guest-$st-vcd$p.log"
			gt0[$p]=$(ticks "$vcd_pid")
		done
		: >"$vcd_dir/guest-$st-builtin.log"
		# Where vhost-user must run on INTx (QEMU < 8.0), the builtin backend
		# is measured on INTx too (vectors=0): the same interrupt path, so the
		# two columns compare the backends and the first compares what
		# each stack lets them use.
		intx=0
		case $STACK_NAME in qemu-[0-7].*) intx=1 ;; esac
		[ "${VCD_BENCH_BUILTIN_INTX:-1}" = 1 ] || intx=0
		: >"$vcd_dir/guest-$st-builtin-intx.log"
		for _ in $(seq "$gboots"); do
			for p in $gpolls; do
				VCRYPTO_STACK=$st "$top/tests/vm/vmrun.sh" -n "bench-vcryptod$p-$st" -t 300 -u "${gsock[$p]}" "${mods[@]}" \
					-f "$B/guest-bin/afalg_test" -c "$guest_case" >>"$vcd_dir/guest-$st-vcd$p.log" 2>&1
			done
			VCRYPTO_STACK=$st "$top/tests/vm/vmrun.sh" -n "bench-builtin-$st" -t 300 -b "${mods[@]}" \
				-f "$B/guest-bin/afalg_test" -c "$guest_case" >>"$vcd_dir/guest-$st-builtin.log" 2>&1
			[ "$intx" = 1 ] && VCRYPTO_STACK=$st "$top/tests/vm/vmrun.sh" -n "bench-builtin-intx-$st" -t 300 \
				-q -object -q cryptodev-backend-builtin,id=cbi -q -device -q virtio-crypto-pci,cryptodev=cbi,vectors=0 \
				"${mods[@]}" -f "$B/guest-bin/afalg_test" -c "$guest_case" >>"$vcd_dir/guest-$st-builtin-intx.log" 2>&1
		done
		for p in $gpolls; do
			gt1[$p]=$(ticks "${gpid[$p]}")
			kill -USR1 "${gpid[$p]}"
		done
		sleep 0.3
		gcount=""
		for p in $gpolls; do
			gcount="$gcount --poll-us $p: $(grep 'queue 0: requests' "$vcd_dir/guest-$st-$p.log" | tail -1 | sed 's/.*dropped [0-9]* //')"
			gcount="$gcount, CPU $(awk -v t=$((gt1[$p] - gt0[$p])) -v hz="$hz" 'BEGIN { printf "%.2f s", t / hz }');"
			vcd_stop "${gpid[$p]}"
		done
		cat "$vcd_dir"/guest-"$st"-*.log | grep -E '^(BENCH|not ok)'
		irq=$(grep -m1 -o 'MSI-X [a-z]*' "$vcd_dir/guest-$st-vcd$(echo $gpolls | cut -d' ' -f1).log" |
			sed 's/MSI-X on/MSI-X/; s/MSI-X off/INTx (vectors=0)/')
		kv=$(grep -m1 -o 'guest [^ ,]*' "$vcd_dir/guest-$st-builtin.log" | sed 's/guest //')
		{
			echo
			echo "### $STACK_NAME ($st): guest $kv, vhost-user on $irq"
			echo
			echo "Counters and CPU time of each daemon over its boots:$gcount"
			echo
			hdr="| size |" sep="|---:|"
			for p in $gpolls; do hdr="$hdr poll $p req/s | / builtin |"; sep="$sep---:|---:|"; done
			ihdr="" isep=""
			[ "$intx" = 1 ] && ihdr=" builtin on INTx req/s | poll ${gpolls%% *} / builtin on INTx |" isep="---:|---:|"
			echo "$hdr builtin req/s |$ihdr guest aes-generic MB/s |"
			echo "$sep---:|$isep---:|"
			declare -A rs=()
			for s in 64 256 1024 4096 16384 65536; do
				get() { grep -E "^BENCH driver=$2 size=$s " "$vcd_dir/$1" | tr ' ' '\n' |
					sed -n "s/^$3=//p" | sort -g | tail -1; }
				bo=$(get "guest-$st-builtin.log" virtio_crypto_aes_cbc ops_per_s)
				row="| $s |"
				for p in $gpolls; do
					vo=$(get "guest-$st-vcd$p.log" virtio_crypto_aes_cbc ops_per_s)
					row="$row $(awk -v vo="${vo:-0}" -v bo="${bo:-0}" 'BEGIN {
						printf "%s | %s |", (vo > 0 ? vo : "failed"), (vo > 0 && bo > 0 ? sprintf("%.2f", vo / bo) : "-") }')"
				done
				for p in $gpolls; do
					vo=$(get "guest-$st-vcd$p.log" virtio_crypto_aes_cbc ops_per_s)
					rs[$p]="${rs[$p]:-} $(awk -v vo="${vo:-0}" -v bo="${bo:-0}" 'BEGIN { if (vo > 0 && bo > 0) printf "%.4f", vo / bo }')"
				done
				p1=$(echo $gpolls | cut -d' ' -f1)
				gm=$(get "guest-$st-vcd$p1.log" 'cbc\(aes-generic\)' mb_per_s)
				irow=""
				if [ "$intx" = 1 ]; then
					bi=$(get "guest-$st-builtin-intx.log" virtio_crypto_aes_cbc ops_per_s)
					vo=$(get "guest-$st-vcd${gpolls%% *}.log" virtio_crypto_aes_cbc ops_per_s)
					irow=" ${bi:-failed} | $(awk -v vo="${vo:-0}" -v bo="${bi:-0}" 'BEGIN {
						printf "%s", (vo > 0 && bo > 0 ? sprintf("%.2f", vo / bo) : "-") }') |"
				fi
				echo "$row ${bo:-failed} |$irow $(awk -v g="${gm:-0}" 'BEGIN { printf "%s", (g > 0 ? sprintf("%.2f", g) : "-") }') |"
			done
			gsum="$gsum $STACK_NAME, vhost-user on $irq:"
			for p in $gpolls; do
				gsum="$gsum $(echo "${rs[$p]:-}" | tr ' ' '\n' |
					awk '$1 + 0 > 0 { s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else print "-" }') x at --poll-us $p,"
			done
			gsum="${gsum%,};"
			unset rs
		} >>"$out"
		unset gpid gsock gt0 gt1
	done
	echo >>"$out"
	echo "vcryptod against builtin on the same stack, geometric mean of the ratios over the sizes:$gsum" |
		sed 's/;$/./' >>"$out"
	echo "Load average at the end of the guest part: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)." >>"$out"
fi
echo
cat "$out"

# Issue 15: restart gap and the split's cost against --single-process.
"$top/bench/vcryptod_restart_bench.sh"
