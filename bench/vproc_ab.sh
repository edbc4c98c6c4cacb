#!/bin/bash
# Before/after for vprocd's host-level latencies, as ratios to references
# measured in the same run (issue 14):
#   bench/vproc_ab.sh BEFORE_BUILD AFTER_BUILD [ROUNDS]
# Each round runs, for BEFORE then AFTER: vprocd with that build's vloader
# (load of a signed 1 MiB image N times, 64 B MSG round trips M times), then
# the references (vproc_ref spawn / rtt) right after it. Prints per-round
# p50s and ratios, then the median ratio over the rounds. A build dir needs
# vprocd, vloader, vsign, samples/hello, bench/vproc_ref (`make all`).
# VPROC_AB_LOADS (default 100), VPROC_AB_MSGS (default 10000).
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BEFORE_BUILD AFTER_BUILD [ROUNDS]" >&2; exit 2; }
NL=${VPROC_AB_LOADS:-100} NM=${VPROC_AB_MSGS:-10000} R=${3:-3}
d=$(mktemp -d "${TMPDIR:-/tmp}/vproc-ab.XXXXXX")
trap 'rm -rf "$d"' EXIT
K=$2
"$K/vsign" keygen -o "$d/k" >/dev/null || exit 1
{ cat "$K/samples/hello"; head -c $((1048576 - $(stat -c %s "$K/samples/hello"))) /dev/urandom; } >"$d/big1m"
chmod +x "$d/big1m"
"$K/vsign" sign -k "$d/k" --name big1m --version 1 "$d/big1m" -o "$d/big1m.sig" || exit 1
"$K/vsign" sign -k "$d/k" --name hello --version 1 "$K/samples/hello" -o "$d/hello.sig" || exit 1

p50() { sed -n "s/.*$1 .*p50_us=\([0-9.]*\).*/\1/p" "$2" | head -1; }

one() { # BUILD TAG
	local B=$1 tag=$2 vp
	rm -f "$d/s.sock"
	"$B/vprocd" -s "$d/s.sock" -k "$d/k.pub" --max-procs 64 --max-image 2097152 -q 2>>"$d/vprocd.log" &
	vp=$!
	for _ in $(seq 100); do [ -S "$d/s.sock" ] && break; sleep 0.05; done
	printf 'load %s %s\nbench-msg 0 %s 64\nbench-load %s %s %s\n' "$K/samples/hello" "$d/hello.sig" \
		"$NM" "$d/big1m" "$d/big1m.sig" "$NL" |
		VMMCALL_TIMEOUT_MS=30000 timeout 300 "$B/vloader" -D "$d/s.sock" batch >"$d/out" 2>&1
	kill -TERM "$vp"; wait "$vp" 2>/dev/null
	"$B/bench/vproc_ref" spawn "$d/big1m" "$NL" >>"$d/out"
	"$B/bench/vproc_ref" rtt "$NM" 64 >>"$d/out"
	local l m rs rr
	l=$(p50 bench-load "$d/out") m=$(p50 bench-msg "$d/out")
	rs=$(p50 ref-spawn "$d/out") rr=$(p50 ref-rtt "$d/out")
	awk -v t="$tag" -v l="$l" -v m="$m" -v rs="$rs" -v rr="$rr" 'BEGIN {
		printf "%s load %.1f us / fork+exec %.1f us = %.2f | msg64 %.1f us / socketpair %.1f us = %.2f\n",
			t, l, rs, l / rs, m, rr, m / rr }'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$R"); do
	one "$1" before | tee -a "$d/res"
	one "$2" after | tee -a "$d/res"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
med() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for tag in before after; do
	echo "median of $R, $tag: load / fork+exec $(grep "^$tag " "$d/res" | awk '{ print $10 }' | med)," \
		"msg 64 B / socketpair $(grep "^$tag " "$d/res" | awk '{ print $20 }' | med)"
done
