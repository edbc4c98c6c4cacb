#!/bin/bash
# Short libFuzzer runs of vcryptod's targets (make fuzz runs them longer).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=${VCRYPTO_BUILD:-$here/../../build}
secs=${VCD_FUZZ_SMOKE_SECONDS:-8}
dir=$(mktemp -d /tmp/vcd-fuzz.XXXXXX)
trap 'rm -rf "$dir"' EXIT
n=0
for t in fuzz_vcd_msg fuzz_vcd_req; do
	n=$((n + 1))
	bin=$B/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $t: $bin not built"
		continue
	fi
	mkdir -p "$dir/$t"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/" "$dir/$t" >"$dir/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
		cov=$(grep -o 'cov: [0-9]*' "$dir/$t.log" | tail -1)
		echo "ok $n - $t: ${secs}s, ${runs:-?} inputs, $cov, no crash, leak or UB"
	else
		echo "not ok $n - $t found a problem"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$dir/$t.log" | head -20 | sed 's/^/# /'
		cp "$dir"/crash-* "$dir"/leak-* "$B/fuzz/" 2>/dev/null && echo "# reproducer copied to $B/fuzz/"
	fi
done
