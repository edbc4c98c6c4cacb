#!/bin/bash
# make bench: /dev/crypto (virtio_cryptodev.ko) in a guest, against the
# stock virtio_crypto driver through AF_ALG on the same device, same
# backend, same boot, and against the guest's software AES (AF_ALG).
# AES-128-CBC encrypt, 64 B..64 KiB, one request at a time per thread; then
# CIOCAUTHCRYPT TLS type and AES-GCM against the guest's software AEADs.
# Two boots per stack: QEMU's builtin backend, vcryptod (vhost-user,
# OpenSSL). On each stack of CDEV_BENCH_STACKS (default "deb12 deb13",
# tests/vm/stack.sh: Debian 12's QEMU 7.2 + guest 6.1 with vhost-user on
# INTx (vectors=0), and QEMU 10.0 + guest 6.12 from scripts/peers.sh with
# MSI-X); a stack that is not there is said so in the results, and the run
# goes on. Writes bench/results/cryptodev.md.  CDEV_BENCH_SECS (default 1)
# per point, CDEV_BENCH_ROUNDS (default 3) rounds; the table shows the median.
# Figures are never asserted.
# Shorter runs: CDEV_BENCH_SIZES (default all six), CDEV_BENCH_BACKENDS
# (default "builtin vcryptod"), CDEV_BENCH_AEAD=0 (no AEAD part),
# CDEV_BENCH_OUT (another results file).  CDEV_BENCH_POLL="0 100": each
# round measures the stock driver, then /dev/crypto with each of these
# values of the module's poll_us in turn (the device moved back and forth),
# and the results are a table of those pairs instead.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/bench/bench_lib.sh"
secs=${CDEV_BENCH_SECS:-1}
stacks=${CDEV_BENCH_STACKS:-deb12 deb13}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
rounds=${CDEV_BENCH_ROUNDS:-3}
sizes=${CDEV_BENCH_SIZES:-64 256 1024 4096 16384 65536}
backends=${CDEV_BENCH_BACKENDS:-builtin vcryptod}
polls=${CDEV_BENCH_POLL:-}
out=${CDEV_BENCH_OUT:-$top/bench/results/cryptodev.md}
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/guest-bin/cdev_bench" "$B/vcryptod"; do
	[ -e "$f" ] || { echo "cryptodev_bench: $f missing (make all)" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/cdev-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf 'S=%s\nR=%s\nZ="%s"\nA=%s\nP="%s"\n' "$secs" "$rounds" "$sizes" "${CDEV_BENCH_AEAD:-1}" \
	"$polls" >"$dir/bench.conf"
# aesni_intel: the guest's best software AES (TCG emulates AES-NI with -cpu max)
common=(-C 2 -t 420 -m virtio_pci -m virtio_crypto -m algif_skcipher -m aesni_intel
	-m algif_aead -m authenc -m gcm -m ghash_generic -m "$ko"
	-f "$B/guest-bin/cdev_bench" -f "$dir/bench.conf:/bench.conf"
	-c "$top/tests/vm/cases/cryptodev_bench.sh")

# Per stack: its description (or why it is missing) in $dir/STACK.desc,
# the boots' logs in $dir/STACK-builtin.log and $dir/STACK-vcryptod.log.
declare -A sname
avail=()
for st in $stacks; do
	stack_up cryptodev_bench "$st" || continue
	[[ " $backends " == *" builtin "* ]] &&
		VCRYPTO_STACK=$st "$top/tests/vm/vmrun.sh" -n "cdev-bench-builtin-$st" -b "${common[@]}" |
		tee "$dir/$st-builtin.log"
	[[ " $backends " == *" vcryptod "* ]] &&
		VCRYPTO_STACK=$st "$top/tests/vm/vmrun.sh" -n "cdev-bench-vcryptod-$st" \
			-d "$B/vcryptod --socket-path $dir/vc-$st.sock --queues 1" -w "$dir/vc-$st.sock" \
			-u "$dir/vc-$st.sock" "${common[@]}" | tee "$dir/$st-vcryptod.log"
	rm -f "$dir/vc-$st.sock"
done

# RESULT PATH SIZE THREADS REQ/S MB/S
get() { # log path size threads field(5=req/s 6=MB/s): the median of the rounds
	awk -v p="$2" -v s="$3" -v t="$4" -v f="$5" \
		'$1 == "RESULT" && $2 == p && $3 == s && $4 == t { print $f }' "$1" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
# rget LOG PATH SIZE THREADS: req/s of each round, in order, one a line
rget() { awk -v p="$2" -v s="$3" -v t="$4" '$1 == "RESULT" && $2 == p && $3 == s && $4 == t { print $5 }' "$1"; }
# poll_table LOG TITLE: /dev/crypto with each poll_us value against the stock
# driver of the same round: medians of req/s and of the rounds' ratios
poll_table() {
	local log=$1 p s t c r
	echo "### $2"
	echo
	echo "| size | threads | stock AF_ALG req/s | $(for p in $polls; do printf '/dev/crypto poll_us=%s req/s | **ratio** (rounds) | ' "$p"; done)"
	echo "|---:|---:|---:|$(for p in $polls; do printf -- '---:|---:|'; done)"
	for s in $sizes; do
		for t in 1 8; do
			r="| $s | $t | $(get "$log" virtio_crypto_aes_cbc "$s" "$t" 5) |"
			for p in $polls; do
				c=$(paste -d' ' <(rget "$log" "cryptodev-p$p" "$s" "$t") \
					<(rget "$log" virtio_crypto_aes_cbc "$s" "$t") |
					awk '$2 > 0 { printf "%.2f ", $1 / $2 }')
				r="$r $(get "$log" "cryptodev-p$p" "$s" "$t" 5) | **$(echo "$c" | median)** ($c) |"
			done
			echo "$r"
		done
	done
	echo
}
sw_of() { grep -o 'software: .*' "$1" | head -1 | sed 's/software: //'; }

table() { # log title
	local log=$1 sw
	sw=$(sw_of "$log")
	echo "### $2"
	echo
	echo "| size | /dev/crypto req/s | MB/s | stock AF_ALG req/s | MB/s | **ratio req/s** | software ($sw) req/s | MB/s | ratio to software | /dev/crypto 8 threads req/s | stock AF_ALG 8 threads req/s | **ratio 8 threads** |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in 64 256 1024 4096 16384 65536; do
		cr=$(get "$log" cryptodev $s 1 5) cm=$(get "$log" cryptodev $s 1 6)
		sr=$(get "$log" virtio_crypto_aes_cbc $s 1 5) sm=$(get "$log" virtio_crypto_aes_cbc $s 1 6)
		wr=$(get "$log" "$sw" $s 1 5) wm=$(get "$log" "$sw" $s 1 6)
		c8=$(get "$log" cryptodev $s 8 5) s8=$(get "$log" virtio_crypto_aes_cbc $s 8 5)
		echo "| $s | ${cr:--} | ${cm:--} | ${sr:--} | ${sm:--} | **$(ratio "$cr" "$sr")** | ${wr:--} | ${wm:--} | $(ratio "$cr" "$wr") | ${c8:--} | ${s8:--} | **$(ratio "$c8" "$s8")** |"
	done
	echo
}

aead_table() { # log title
	local log=$1 sw
	sw=$(grep -o 'aead software: .*' "$log" | head -1 | sed 's/aead software: //')
	echo "### $2: AEAD (CIOCAUTHCRYPT)"
	echo
	echo "Software in the same boot: $sw."
	echo
	echo "| size | /dev/crypto TLS req/s | MB/s | software authenc req/s | MB/s | ratio | /dev/crypto GCM req/s | MB/s | software gcm(aes) req/s | MB/s | ratio |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in 64 256 1024 4096 16384; do
		tr=$(get "$log" cryptodev-tls $s 1 5) tm=$(get "$log" cryptodev-tls $s 1 6)
		ar=$(get "$log" "aead:authenc(hmac(sha256),cbc(aes))" $s 1 5)
		am=$(get "$log" "aead:authenc(hmac(sha256),cbc(aes))" $s 1 6)
		gr=$(get "$log" cryptodev-gcm $s 1 5) gm=$(get "$log" cryptodev-gcm $s 1 6)
		sr=$(get "$log" "aead:gcm(aes)" $s 1 5) sm=$(get "$log" "aead:gcm(aes)" $s 1 6)
		echo "| $s | ${tr:--} | ${tm:--} | ${ar:--} | ${am:--} | $(ratio "$tr" "$ar") | ${gr:--} | ${gm:--} | ${sr:--} | ${sm:--} | $(ratio "$gr" "$sr") |"
	done
	echo
}

# vs STACK PATH: per size, vcryptod / builtin req/s on that stack (1 thread)
vs() {
	local st=$1 p=$2 s out=""
	for s in 64 256 1024 4096 16384 65536; do
		out="$out $(ratio "$(get "$dir/$st-vcryptod.log" "$p" $s 1 5)" "$(get "$dir/$st-builtin.log" "$p" $s 1 5)")"
	done
	echo "$out"
}
gmean() { tr ' ' '\n' | awk '$1 + 0 > 0 { s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else print "-" }'; }
irq() { grep -m1 -o 'MSI-X [a-z]*' "$dir/$1-vcryptod.log" | sed 's/MSI-X on/MSI-X/; s/MSI-X off/INTx (vectors=0)/'; }
ver() { grep -m1 -o 'stack [^ ]*: QEMU [0-9.]*' "$dir/$1-builtin.log" | sed 's/.*QEMU //'; }
kv() { grep -m1 -o 'guest [^ ,]*' "$dir/$1-builtin.log" | sed 's/guest //'; }

accel=$("$top/scripts/accel.sh") || exit 1
accel=${accel^^}
if [ -n "$polls" ]; then
	{
		echo "# cryptodev: poll_us pairs"
		echo
		echo "$(measured_on), guests under $accel with 2 vCPUs, by \`bench/cryptodev_bench.sh\`"
		echo "(CDEV_BENCH_POLL=\"$polls\"): $rounds rounds of ${secs} s per point; each round measures the"
		echo "stock driver through AF_ALG, then /dev/crypto with each poll_us in turn on the same device."
		echo "Load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
		overcommitted "$load0"
		echo
		for st in "${avail[@]}"; do
			for b in $backends; do
				[ -s "$dir/$st-$b.log" ] || continue
				grep -h '^# round' "$dir/$st-$b.log" | sed 's/^# /    /'
				echo
				poll_table "$dir/$st-$b.log" "${sname[$st]}: $b"
			done
		done
	} >"$out"
	cat "$out"
	exit 0
fi
{
	echo "# cryptodev (virtio_cryptodev.ko, /dev/crypto in the guest)"
	echo
	echo "$(measured_on),"
	echo "guests under $accel with 2 vCPUs, by \`bench/cryptodev_bench.sh\` (\`make bench\`): median of $rounds rounds of ${secs} s per point,"
	echo "on each peer stack (\`tests/vm/stack.sh\`):"
	for st in $stacks; do
		if [ -n "${sname[$st]:-}" ]; then
			echo "- $st: ${sname[$st]}: QEMU $(ver "$st"), guest $(kv "$st"), vhost-user on $(irq "$st") (builtin: MSI-X);"
		else
			echo "- $st: **not measured**: $(tail -n 1 "$dir/$st.why");"
		fi
	done
	echo "The machine was shared with other work during the run (load average $load0 at the start,"
	echo "$(cut -d' ' -f1-3 /proc/loadavg) at the end): single points are noisy; read the ratios of the same run."
	overcommitted "$load0"
	echo
	echo "AES-128-CBC encrypt, one request at a time per thread, in one boot per backend: first the"
	echo "stock \`virtio_crypto\` driver has the device (AF_ALG \`virtio_crypto_aes_cbc\`, reference),"
	echo "then the guest's software AES through AF_ALG, then the same device is moved to"
	echo "\`virtio_cryptodev\` and measured through \`/dev/crypto\` (CIOCCRYPT; zero-copy from 4 KiB)."
	echo "ratio req/s = /dev/crypto / stock driver with one thread each, ratio 8 threads the same with"
	echo "8 threads each (2 vCPUs) (targets, issue 14: >= 2 at 64 B with 1 and 8 threads, >= 1 at 64 KiB)."
	echo "Under TCG every guest instruction is emulated, so the guest-side costs (syscalls, copies,"
	echo "software AES) weigh far more than on KVM; the backend runs at host speed."
	echo
	if [ ${#avail[@]} -gt 0 ]; then
		echo "## vcryptod against builtin on each stack: what MSI-X changes"
		echo
		echo "vcryptod req/s / builtin req/s on the same stack, one request at a time (AES-128-CBC). QEMU's"
		echo "builtin backend runs inside the vCPU's exit and signals with MSI-X on both stacks; vcryptod's"
		echo "completion goes through the call eventfd, which QEMU 7.2 turns into INTx (\`vectors=0\`: a shared"
		echo "line, the ISR register read and acked by the guest, QEMU's main loop in between) and QEMU 10.0 into"
		echo "an MSI-X message (an irqfd: no ISR read, no main loop). The builtin reference absorbs what else"
		echo "differs between the stacks (QEMU version, guest kernel 6.1 against 6.12)."
		echo
		hdr="| path |" sep="|---|"
		for s in 64 256 1024 4096 16384 65536; do hdr="$hdr $s |"; sep="$sep---:|"; done
		echo "$hdr geometric mean |"
		echo "$sep---:|"
		for st in "${avail[@]}"; do
			for p in virtio_crypto_aes_cbc cryptodev; do
				r=$(vs "$st" "$p")
				case $p in cryptodev) pn="/dev/crypto" ;; *) pn="stock AF_ALG" ;; esac
				echo "| ${sname[$st]}, $(irq "$st"): $pn | $(echo $r | sed 's/ / | /g') | **$(echo "$r" | gmean)** |"
			done
		done
		echo
		if [ -n "${sname[deb12]:-}" ] && [ -n "${sname[deb13]:-}" ]; then
			a=$(vs deb12 virtio_crypto_aes_cbc | gmean) b=$(vs deb13 virtio_crypto_aes_cbc | gmean)
			c=$(vs deb12 cryptodev | gmean) d=$(vs deb13 cryptodev | gmean)
			echo "In this run, over the six sizes (geometric mean), vcryptod reached $a x builtin through the stock"
			echo "driver with INTx on ${sname[deb12]} and $b x with MSI-X on ${sname[deb13]}"
			echo "($(ratio "$b" "$a") x the INTx figure); through \`/dev/crypto\` $c x and $d x ($(ratio "$d" "$c") x)."
			echo
		fi
	fi
	for st in "${avail[@]}"; do
		echo "## ${sname[$st]} ($st): vhost-user on $(irq "$st")"
		echo
		table "$dir/$st-builtin.log" "${sname[$st]}: QEMU builtin backend (cryptodev-backend-builtin)"
		table "$dir/$st-vcryptod.log" "${sname[$st]}: vcryptod (vhost-user, OpenSSL engine, queues=1, $(irq "$st"))"
	done
	echo "## AEAD"
	echo
	echo "\`CIOCAUTHCRYPT\` encrypt with 13 bytes of AAD, one request at a time, against the guest's"
	echo "software AEADs through AF_ALG in the same boot. TLS type (AES-128-CBC + HMAC-SHA256, MAC then"
	echo "pad then encrypt, in place) is set against \`authenc(hmac(sha256),cbc(aes))\` (encrypt-then-MAC:"
	echo "the same work, one CBC and one HMAC pass); it takes two device requests (MAC, cipher) and needs"
	echo "HMAC, so the builtin backend has no TLS column. AES-128-GCM takes one device request (AES-CTR)"
	echo "plus GHASH in the guest (\`ghash_generic\`), against \`gcm(aes)\`."
	echo
	for st in "${avail[@]}"; do
		aead_table "$dir/$st-builtin.log" "${sname[$st]}: QEMU builtin backend"
		aead_table "$dir/$st-vcryptod.log" "${sname[$st]}: vcryptod ($(irq "$st"))"
	done
} >"$out"
cat "$out"
