#!/bin/bash
# Runs test programs that speak TAP and sums them up.
#
#   tests/run.sh TEST...
#
# Each TEST is an executable; it prints "ok ..." / "not ok ..." lines (TAP;
# "# SKIP reason" marks a skip). A test that exits non-zero, or that reports
# nothing, counts as one more failure. Each test's full output goes to
# $VCRYPTO_BUILD/test-logs/NAME.log; failing lines are echoed.
# A TEST written TEST@STACK (deb12, deb13: tests/vm/stack.sh) runs with
# VCRYPTO_STACK=STACK, is named "TEST [qemu-X/linux-Y]" and every TAP line
# of it names that stack ("ok 3 - [qemu-10.0/linux-6.12] ..."; lines vmrun.sh
# already tagged stay as they are). When the stack is not there (peers.sh
# could not fetch it) the test is not run and counts as one SKIP with the reason.
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

for arg in "$@"; do
	t=${arg%@*} st=""
	[ "$t" != "$arg" ] && st=${arg##*@}
	name=${t#$top/}
	name=${name#build/}
	name=${name#build-sanitize/}
	logname=$name
	sv="" stag=""
	if [ -n "$st" ]; then
		sv=$(VCRYPTO_BUILD=$build "$top/tests/vm/stack.sh" "$st" 2>&1)
		src=$?
		if [ $src = 0 ]; then
			eval "$sv"
			stag=$STACK_NAME
		else
			stag=$st
		fi
		name="$name [$stag]"
		logname="$logname@$st"
	fi
	log=$logs/$(echo "$logname" | tr '/' '_').log
	printf '== %s\n' "$name"
	start=$SECONDS
	if [ -n "$st" ] && [ $src != 0 ]; then
		# The stack is not there: one SKIP with peers.sh's reason.
		echo "ok 1 - [$stag] ${t#$top/} # SKIP $(echo "$sv" | tail -n 1)" >"$log"
		rc=0
	else
		# Own process group, so a hung test and its children can be killed at once.
		if [ -n "$st" ]; then
			VCRYPTO_STACK=$st setsid timeout -k 10 "$TEST_TIMEOUT" "$t" >"$log" 2>&1 &
		else
			setsid timeout -k 10 "$TEST_TIMEOUT" "$t" >"$log" 2>&1 &
		fi
		pid=$!
		children=("$pid")
		wait "$pid"
		rc=$?
		kill -KILL -- "-$pid" 2>/dev/null
		children=()
		# every TAP line names the stack (those vmrun.sh tagged already keep theirs)
		[ -n "$st" ] && sed -i -E "/^(not )?ok\b/{/^(not )?ok( [0-9]+)? - \[/!s#^((not )?ok( [0-9]+)?)( - | )?#\1 - [${stag}] #}" "$log"
	fi
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
