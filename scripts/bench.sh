#!/bin/bash
# make bench: runs every registered benchmark script; each writes
# bench/results/NAME.md (a table with the machine, the date and the reference
# measured in the same run). Then BENCHMARKS.md gathers them all.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export VCRYPTO_BUILD=${VCRYPTO_BUILD:-$top/build}
mkdir -p "$top/bench/results"
# The accelerator every guest here gets (KVM only where a probe guest starts under it).
accel=$("$top/scripts/accel.sh") || exit 1
failed=0
for b in "$@"; do
	echo "== bench: $b"
	if ! "$top/$b"; then
		echo "bench: $b failed" >&2
		failed=1
	fi
done
{
	echo "# vcrypto benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores,"
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM,"
	echo "host kernel $(uname -r), $(qemu-system-x86_64 --version | head -1), $(openssl version)."
	echo "Guests run under ${accel^^}. Every table names the reference measured in the same run."
	for r in "$top"/bench/results/*.md; do
		[ -f "$r" ] || continue
		echo
		sed 's/^# /## /' "$r"
	done
} >"$top/BENCHMARKS.md"
echo "bench: wrote BENCHMARKS.md"
exit $failed
