#!/bin/bash
# make bench: the vcrypto OpenSSL provider in a guest on vcryptod.
# `openssl speed -mr -elapsed -evp` (Debian's own dynamic openssl) for
# AES-128-CBC, AES-128-GCM, SHA-256 and `-hmac sha256`, 16 B..16 KiB
# (speed's default sizes), in one boot:
#   vcrypto   -provider vcrypto -provider default -propquery provider=vcrypto,
#             the provider's default min_offload
#   vcrypto0  the same with VCRYPTO_MIN_OFFLOAD=0 (every operation on the device)
#   default   -provider default alone
#   raw       /dev/crypto without OpenSSL: cdev_bench (CIOCCRYPT / CIOCAUTHCRYPT)
# Ratios: vcrypto0 / raw (target: within 10% at >= 4 KiB) and vcrypto /
# default (target: never more than 5% slower), as the median of the
# per-round ratios (each round runs default, vcrypto, vcrypto0 and raw back
# to back: A B A B ..., so a ratio pairs runs seconds apart, robust to the
# host's load drifting over the minutes of a run), next to the ratio of the
# configurations' medians and, again, of their best rounds. Figures are
# never asserted.
# PROV_BENCH_SECS (default 1, whole seconds) per size, PROV_BENCH_ROUNDS
# (default 5) rounds; PROV_BENCH_STACKS (default deb12; also deb13,
# tests/vm/stack.sh) the stacks, one boot each; a stack that is not there
# is said so and skipped; PROV_BENCH_ALGS (default all four) a subset for
# a quick run; PROV_BENCH_PIN (default 1) every run on vCPU 0 with the
# device's interrupts routed there (0: where the guest's scheduler puts
# it; see tests/vm/cases/provider_bench.sh); PROV_BENCH_OUT (default
# bench/results/provider.md) the results file.
# A second table, after the speed rounds in the same boot: provider_ab
# (bench/provider_ab.c) runs the configurations in ONE guest process,
# interleaved in slices of speed's own loops, and gives the median and
# quartiles of the per-round ratios (drift of the host's load cancels
# within a round; separate speed runs drift by more than 5% from one to
# the next here). Run B: vcrypto at its default min_offload / default,
# every size; run A: VCRYPTO_MIN_OFFLOAD=0 / raw /dev/crypto, 8 and 16 KiB.
# PROV_BENCH_AB_ROUNDS (default 25; 0 leaves it out) rounds of
# PROV_BENCH_AB_SLICE_MS (default 100) ms slices: about 3 minutes for the
# four algorithms.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/bench/bench_lib.sh"
secs=${PROV_BENCH_SECS:-1}
rounds=${PROV_BENCH_ROUNDS:-5}
stacks=${PROV_BENCH_STACKS:-deb12}
algs=${PROV_BENCH_ALGS:-aes-128-cbc aes-128-gcm sha256 hmac-sha256}
pin=${PROV_BENCH_PIN:-1}
out=${PROV_BENCH_OUT:-$top/bench/results/provider.md}
ab_rounds=${PROV_BENCH_AB_ROUNDS:-25}
ab_slice=${PROV_BENCH_AB_SLICE_MS:-100}
[[ $ab_rounds =~ ^[0-9]+$ && $ab_slice =~ ^[1-9][0-9]*$ ]] ||
	{ echo "provider_bench: PROV_BENCH_AB_ROUNDS and PROV_BENCH_AB_SLICE_MS: whole numbers" >&2; exit 1; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/provider/vcrypto.so" "$B/guest-bin/cdev_bench" "$B/bench/provider_ab" "$B/vcryptod"; do
	[ -e "$f" ] || { echo "provider_bench: $f missing (make all)" >&2; exit 1; }
done
mdir=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"/\1/p')
sslcnf=$(openssl version -d | sed -n 's/^OPENSSLDIR: "\(.*\)"/\1/p')/openssl.cnf
[ -d "$mdir" ] && [ -f "$sslcnf" ] || { echo "provider_bench: no OpenSSL modules dir / openssl.cnf" >&2; exit 1; }
mods=()
for m in "$mdir"/*.so; do [ -e "$m" ] && mods+=(-x "$m:$m"); done
dir=$(mktemp -d /tmp/prov-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf 'S=%s\nR=%s\nALGS="%s"\nPIN=%s\nAB_ROUNDS=%s\nAB_SLICE=%s\n' "$secs" "$rounds" "$algs" "$pin" \
	"$ab_rounds" "$ab_slice" >"$dir/bench.conf"
common=(-C 2 -M 768M -t 1200 -m virtio_pci -m ghash_generic -m "$ko"
	-x "$(command -v openssl)" -f "$sslcnf:$sslcnf"
	-x "$B/provider/vcrypto.so:$mdir/vcrypto.so" "${mods[@]}"
	-f "$B/guest-bin/cdev_bench" -x "$B/bench/provider_ab" -f "$dir/bench.conf:/bench.conf"
	-c "$top/tests/vm/cases/provider_bench.sh")
mo=$(sed -n 's/^VCP_MIN_OFFLOAD[^=]*=[[:space:]]*//p' "$top/provider/provider.mk" | head -1)

declare -A sname
avail=()
for st in $stacks; do
	stack_up provider_bench "$st" || continue
	VCRYPTO_STACK=$st "$top/tests/vm/vmrun.sh" -n "prov-bench-$st" "${common[@]}" \
		-d "$B/vcryptod --socket-path $dir/vc-$st.sock --queues 1" -w "$dir/vc-$st.sock" \
		-u "$dir/vc-$st.sock" | tee "$dir/$st.log"
	rm -f "$dir/vc-$st.sock"
done

sizes="16 64 256 1024 8192 16384"
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# best of the rounds: other load on a shared host only ever slows a run down
best() { sort -g | tail -n 1; }
stat=med
# speed LOG CFG ALG SIZE: median bytes/s of `openssl speed` (+F:n:name:v16:v64:...)
speed() {
	local col
	col=$(echo $sizes | tr ' ' '\n' | grep -nx "$4" | cut -d: -f1)
	awk -v c="$2" -v a="$3" '$1 == "SPEED" && $2 == c && $3 == a { print $4 }' "$1" |
		awk -F: -v k=$((col + 3)) '{ print $k }' | $stat
}
# raw LOG PATH SIZE: median bytes/s of cdev_bench (RESULT PATH SIZE THREADS REQ/S MB/S)
raw() {
	awk -v p="$2" -v s="$3" '$1 == "RESULT" && $2 == p && $3 == s && $4 == 1 { print $5 * s }' "$1" | $stat
}
# pspeed LOG CFG ALG SIZE / praw LOG PATH SIZE: "ROUND bytes/s", one line per round
pspeed() {
	local col
	col=$(echo $sizes | tr ' ' '\n' | grep -nx "$4" | cut -d: -f1)
	awk -v c="$2" -v a="$3" -v k=$((col + 3)) \
		'$1 == "SPEED" && $2 == c && $3 == a && $5 != "" { split($4, f, ":"); print $5, f[k] }' "$1"
}
praw() { awk -v p="$2" -v s="$3" '$1 == "RAWR" && $3 == p && $4 == s && $5 == 1 { print $2, $6 * s }' "$1"; }
# pairs A B: the median of A/B over the rounds both have ("ROUND value" lines)
pairs() {
	join <(echo "$1" | sort -k1,1) <(echo "$2" | sort -k1,1) |
		awk '$2 > 0 && $3 > 0 { print $2 / $3 }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else print "-" }'
}
devreq() { awk -v c="$2" -v a="$3" '$1 == "DEVREQ" && $2 == c && $3 == a { print $4 }' "$1" | med; }
mb() { awk -v v="${1:-0}" 'BEGIN { if (v > 0) printf "%.2f", v / 1e6; else print "-" }'; }
# mark R LIMIT: bold when R is below LIMIT (a target missed)
mark() { awk -v r="$1" -v l="$2" 'BEGIN { if (r != "-" && r + 0 < l) printf "**%s**", r; else printf "%s", r }'; }

raw_path() { # openssl speed algorithm -> cdev_bench path of the same work
	case $1 in
	aes-128-cbc) echo cryptodev ;;
	aes-128-gcm) echo cryptodev-gcm ;;
	sha256) echo cryptodev-sha256 ;;
	hmac-sha256) echo cryptodev-hmac ;;
	esac
}

table() { # log
	local log=$1 alg rawp s d v v0 w r2 p2
	echo "| algorithm | size | default MB/s | vcrypto MB/s | vcrypto / default | round pairs | vcrypto min_offload=0 MB/s | raw /dev/crypto MB/s | min_offload=0 / raw | round pairs |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for alg in $algs; do
		rawp=$(raw_path $alg)
		for s in $sizes; do
			d=$(speed "$log" default $alg $s) v=$(speed "$log" vcrypto $alg $s)
			v0=$(speed "$log" vcrypto0 $alg $s) w=$(raw "$log" $rawp $s)
			r2=$(ratio "$v0" "$w")
			p2=$(pairs "$(pspeed "$log" vcrypto0 $alg $s)" "$(praw "$log" $rawp $s)")
			[ "$s" -ge 4096 ] && r2=$(mark "$r2" 0.9) p2=$(mark "$p2" 0.9)
			echo "| $alg | $s | $(mb "$d") | $(mb "$v") | $(mark "$(ratio "$v" "$d")" 0.95) | $(mark "$(pairs "$(pspeed "$log" vcrypto $alg $s)" "$(pspeed "$log" default $alg $s)")" 0.95) | $(mb "$v0") | $(mb "$w") | $r2 | $p2 |"
		done
	done
	echo
	echo "Device requests per \`openssl speed\` run (median): $(for alg in $algs; do
		printf '%s: default min_offload %s, min_offload=0 %s; ' "$alg" "$(devreq "$log" vcrypto $alg)" "$(devreq "$log" vcrypto0 $alg)"
	done | sed 's/; $/./')"
	echo
	# targets over the run, from the round pairs and from the medians
	local how worst wsz f n r
	for how in pairs medians; do
		worst="" wsz="" f=0 n=0
		for alg in $algs; do
			for s in $sizes; do
				if [ $how = pairs ]; then
					r=$(pairs "$(pspeed "$log" vcrypto $alg $s)" "$(pspeed "$log" default $alg $s)")
				else
					r=$(ratio "$(speed "$log" vcrypto $alg $s)" "$(speed "$log" default $alg $s)")
				fi
				[ "$r" = - ] && continue
				n=$((n + 1))
				awk -v r="$r" 'BEGIN { exit !(r < 0.95) }' && f=$((f + 1))
				if [ -z "$worst" ] || awk -v r="$r" -v w="$worst" 'BEGIN { exit !(r < w) }'; then
					worst=$r wsz="$alg $s B"
				fi
			done
		done
		if [ $how = pairs ]; then
			echo "vcrypto (default min_offload) / default, median of the round pairs: lowest ${worst:--} ($wsz); $f of $n points more than 5% slower."
		else
			echo "(From the configurations' medians instead: lowest ${worst:--} ($wsz); $f of $n points more than 5% slower.)"
		fi
		echo
	done
}

# best LOG: the two ratios again from each configuration's best round
besttable() {
	local log=$1 alg rawp s r1 r2 v
	stat=best
	echo "The same ratios from each configuration's best of the $rounds rounds (the least disturbed run;"
	echo "on a loaded host the medians above can pair a quiet run with a disturbed one):"
	echo
	echo "| algorithm | 16 B | 64 B | 256 B | 1 KiB | 8 KiB | 16 KiB |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for alg in $algs; do
		rawp=$(raw_path $alg)
		r1="| $alg vcrypto / default" r2="| $alg min_offload=0 / raw"
		for s in $sizes; do
			r1="$r1 | $(mark "$(ratio "$(speed "$log" vcrypto $alg $s)" "$(speed "$log" default $alg $s)")" 0.95)"
			v=$(ratio "$(speed "$log" vcrypto0 $alg $s)" "$(raw "$log" $rawp $s)")
			[ "$s" -ge 4096 ] && v=$(mark "$v" 0.9)
			r2="$r2 | $v"
		done
		echo "$r1 |"
		echo "$r2 |"
	done
	echo
	stat=med
}

# abline LOG RUN ALG SIZE: provider_ab's line for that size of run B or A
abline() { awk -v t="AB$2" -v a="alg=$3" -v s="size=$4" '$1 == t && $2 == a && $3 == s' "$1" | head -n 1; }
# r2 V: V to two decimals, "-" unless it is a positive number
r2() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9]+(\.[0-9]*)?$/ && v + 0 > 0) printf "%.2f", v; else print "-" }'; }
# abcells LINE NAME LIMIT: "median | q1–q3" of ratio NAME, the median bold below LIMIT
abcells() {
	local m
	m=$(r2 "$(field "$1" "$2")")
	echo "$(mark "$m" "$3") | $(r2 "$(field "$1" "$2_q1")")–$(r2 "$(field "$1" "$2_q3")")"
}

# abtable LOG: the second table, from provider_ab's lines (ABB, ABA, ABFAIL, ABREQ)
abtable() {
	local log=$1 alg s l fb fa cb ca how lim name key worst wsz n f f3 m q3 why t
	echo "### One process, interleaved slices (\`provider_ab\`)"
	echo
	echo "Measured after the speed rounds in the same boot, pinned like them, by \`provider_ab\`"
	echo "(\`bench/provider_ab.c\`): ONE guest process with each configuration in its own library context (or"
	echo "its /dev/crypto session), taking turns in ${ab_slice} ms slices of speed's own loops (the same as above;"
	echo "HMAC with a 16-byte key), $ab_rounds rounds per size, each round starting with the other configuration"
	echo "than the last. A ratio is vcrypto's rate over the other's in the same round; the table gives the"
	echo "median over the rounds and its quartiles (q1–q3). Why: separate \`openssl speed\` runs drift with"
	echo "the host's load by more than the targets' 5-10% from one run to the next (two identical builds"
	echo "measured 0.58-1.40 of each other as medians), while the two slices of a round are a fraction of a"
	echo "second apart, so the host's drift cancels within a round. *vcrypto / default* (target B, bold below"
	echo "0.95): vcrypto at its default min_offload against \`-provider default\` alone. *min_offload=0 / raw*"
	echo "(target A, bold below 0.9): \`VCRYPTO_MIN_OFFLOAD=0\` against raw /dev/crypto (the ioctls of"
	echo "\`cdev_bench\` above), at 8 and 16 KiB only. Before each size is timed, every configuration's"
	echo "result on a known message is compared with the default provider's (a run that fails or differs"
	echo "stops and is shown as failed)."
	t=$(awk '$1 == "ABTIME" { print $2 }' "$log" | head -n 1)
	[ -n "$t" ] && echo "All provider_ab runs together took $t s."
	echo
	echo "| algorithm | size | vcrypto / default | quartiles | min_offload=0 / raw | quartiles |"
	echo "|---|---:|---:|---:|---:|---:|"
	for alg in $algs; do
		fb=$(awk -v a="$alg" '$1 == "ABFAIL" && $2 == "B" && $3 == a' "$log")
		fa=$(awk -v a="$alg" '$1 == "ABFAIL" && $2 == "A" && $3 == a' "$log")
		for s in $sizes; do
			l=$(abline "$log" B "$alg" "$s")
			if [ -n "$l" ]; then
				cb=$(abcells "$l" vs_default 0.95)
			elif [ -n "$fb" ]; then
				cb="**failed** | -"
			else
				cb="- | -"
			fi
			ca=" | "
			if [ "$s" -ge 4096 ]; then
				l=$(abline "$log" A "$alg" "$s")
				if [ -n "$l" ]; then
					ca=$(abcells "$l" vs_raw 0.9)
				elif [ -n "$fa" ]; then
					ca="**failed** | -"
				else
					ca="- | -"
				fi
			fi
			echo "| $alg | $s | $cb | $ca |"
		done
	done
	echo
	awk '$1 == "ABFAIL"' "$log" | while read -r _ how alg why; do
		echo "**provider_ab failed** (run $how, $alg): $why."
		echo
	done
	for how in B A; do
		if [ $how = B ]; then
			lim=0.95 name="vcrypto / default" key=vs_default
		else
			lim=0.9 name="min_offload=0 / raw" key=vs_raw
		fi
		worst="" wsz="" n=0 f=0 f3=0
		for alg in $algs; do
			for s in $sizes; do
				l=$(abline "$log" $how "$alg" "$s")
				[ -n "$l" ] || continue
				m=$(r2 "$(field "$l" $key)") q3=$(r2 "$(field "$l" ${key}_q3)")
				[ "$m" = - ] && continue
				n=$((n + 1))
				awk -v r="$m" -v l=$lim 'BEGIN { exit !(r < l) }' && f=$((f + 1))
				awk -v r="$q3" -v l=$lim 'BEGIN { exit !(r != "-" && r < l) }' && f3=$((f3 + 1))
				if [ -z "$worst" ] || awk -v r="$m" -v w="$worst" 'BEGIN { exit !(r < w) }'; then
					worst=$m wsz="$alg $s B"
				fi
			done
		done
		echo "$name: lowest median ${worst:--}${wsz:+ ($wsz)}; $f of $n medians below $lim, $f3 with the upper quartile below it too."
		echo
	done
	echo "Device requests during each provider_ab run (0 expected in run B while every size is below the"
	echo "default min_offload, ${mo:-65536}): $(for alg in $algs; do
		printf '%s: B %s, A %s; ' "$alg" \
			"$(awk -v a="$alg" '$1 == "ABREQ" && $2 == "B" && $3 == a { print $4 }' "$log" | head -n 1)" \
			"$(awk -v a="$alg" '$1 == "ABREQ" && $2 == "A" && $3 == a { print $4 }' "$log" | head -n 1)"
	done | sed 's/; $/./')"
	echo
}

accel=$("$top/scripts/accel.sh") || exit 1
accel=${accel^^}
{
	echo "# provider (vcrypto.so, OpenSSL 3 provider in the guest)"
	echo
	echo "$(measured_on),"
	echo "guest under $accel with 2 vCPUs on vcryptod (vhost-user, OpenSSL engine, queues=1), $(openssl version | cut -d' ' -f1-2) (Debian's, dynamic) in the guest,"
	echo "by \`bench/provider_bench.sh\` (\`make bench\`): $rounds rounds of ${secs} s per size, all in one boot per stack;"
	echo "each round runs default, vcrypto, vcrypto min_offload=0 and raw back to back (A B A B ...)."
	if [ "$pin" = 1 ]; then
		echo "Every run pinned to vCPU 0 (\`taskset 1\`) with the device's interrupts routed there: under TCG a process on the"
		echo "other vCPU than the one taking the interrupt ran the device path at about half the rate (measured), which"
		echo "moved single runs, and so the ratios, by far more than the targets' 5-10%."
	else
		echo "Runs not pinned (PROV_BENCH_PIN=0): each lands on the vCPU the guest's scheduler picks."
	fi
	echo "The machine was shared with other work during the run (load average $load0 at the start,"
	echo "$(cut -d' ' -f1-3 /proc/loadavg) at the end): single points are noisy; read the ratios of the same run."
	overcommitted "$load0"
	for st in $stacks; do
		[ -z "${sname[$st]:-}" ] && echo "Stack $st **not measured**: $(tail -n 1 "$dir/$st.why")."
	done
	echo
	echo "\`openssl speed -mr -elapsed -seconds $secs\` with \`-evp aes-128-cbc\`, \`-evp aes-128-gcm\`, \`-evp sha256\`,"
	echo "\`-hmac sha256\` (speed's default sizes; \`-elapsed\`: wall-clock time, as a process waiting for the"
	echo "device uses little CPU). Columns: *default* = \`-provider default\`; *vcrypto* ="
	echo "\`-provider vcrypto -provider default -propquery provider=vcrypto\` with the provider's default"
	echo "min_offload (${mo:-65536}: work below it goes to the default provider through a child library context);"
	echo "*min_offload=0* = the same with \`VCRYPTO_MIN_OFFLOAD=0\` (the device path); *raw /dev/crypto* ="
	echo "\`cdev_bench\`, one ioctl per operation, no OpenSSL: CIOCCRYPT AES-128-CBC, CIOCAUTHCRYPT AES-128-GCM"
	echo "(13 B of AAD and the tag per request; speed's GCM loop is bare updates), CIOCCRYPT SHA-256 and"
	echo "HMAC-SHA256 of a whole message. speed's cipher loop is streaming \`EVP_EncryptUpdate\` on one context"
	echo "(one device request per update at min_offload 0); its digest loop is one-shot \`EVP_Digest\`, its HMAC"
	echo "loop init/update/final per message. Targets (issue 12): min_offload=0 / raw >= 0.9 at >= 4 KiB"
	echo "(bold: missed); vcrypto / default >= 0.95 at every size (bold: missed). MB/s columns are medians of the"
	echo "rounds; a ratio column is the ratio of those medians, *round pairs* the median of the per-round ratios"
	echo "(the two runs seconds apart in the same round: the figure to read when the host's load drifts)."
	echo
	for st in "${avail[@]}"; do
		echo "## ${sname[$st]} ($st)"
		echo
		table "$dir/$st.log"
		besttable "$dir/$st.log"
		if [ "$ab_rounds" -gt 0 ]; then
			abtable "$dir/$st.log"
		else
			echo "(The one-process table was left out: PROV_BENCH_AB_ROUNDS=0.)"
			echo
		fi
	done
} >"$out"
cat "$out"
