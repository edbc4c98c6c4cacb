#!/bin/bash
# Runs test programs that speak TAP and sums them up.
#
#   tests/run.sh TEST...
#
# Each TEST is an executable; it prints "ok ..." / "not ok ..." lines (TAP;
# "# SKIP reason" marks a skip). A test that exits non-zero, or that reports
# nothing, counts as one more failure. Each test's full output goes to
# $VCRYPTO_BUILD/test-logs/NAME.log; failing lines are echoed.
# The last line printed is "N passed, N failed[, N skipped]"; exit status is 1
# if anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VCRYPTO_BUILD:-$top/build}
logs=$build/test-logs
mkdir -p "$logs"
TEST_TIMEOUT=${TEST_TIMEOUT:-900}

pass=0 fail=0 skip=0
children=()
cleanup() {
	for p in "${children[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	exit 130
}
trap cleanup INT TERM

for t in "$@"; do
	name=${t#$top/}
	name=${name#build/}
	name=${name#build-sanitize/}
	log=$logs/$(echo "$name" | tr '/' '_').log
	printf '== %s\n' "$name"
	start=$SECONDS
	# Own process group, so a hung test and its children can be killed at once.
	setsid timeout -k 10 "$TEST_TIMEOUT" "$t" >"$log" 2>&1 &
	pid=$!
	children=("$pid")
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	children=()
	p=$(grep -cE '^ok\b' "$log" | tr -d ' ')
	s=$(grep -E '^ok\b' "$log" | grep -ciE '#[[:space:]]*skip' | tr -d ' ')
	f=$(grep -cE '^not ok\b' "$log" | tr -d ' ')
	p=$((p - s))
	extra=""
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		extra=" (exit status $rc$([ $rc -eq 124 ] && echo ", timed out after ${TEST_TIMEOUT}s"))"
	elif [ $((p + f + s)) -eq 0 ]; then
		f=1
		extra=" (reported no results)"
	fi
	grep -E '^not ok\b|^# (PEER DEFECT|NOTE|SKIP|WAITS)' "$log" | sed 's/^/   /'
	grep -E '^ok\b.*#[[:space:]]*[Ss][Kk][Ii][Pp]' "$log" | sed 's/^/   /'
	printf '   %d passed, %d failed, %d skipped%s  [%ds]  log: %s\n' \
		"$p" "$f" "$s" "$extra" $((SECONDS - start)) "${log#$top/}"
	if [ "$f" -gt 0 ]; then
		echo "   --- last lines of $name ---"
		tail -n 15 "$log" | sed 's/^/   | /'
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
