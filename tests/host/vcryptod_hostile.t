#!/bin/bash
# Hostile guest and hostile frontend against vcryptod, through vufront: bad
# descriptor chains, addresses and lengths, bad request headers, unknown
# opcodes and sessions, too many sessions, malformed vhost-user messages,
# disconnects in the middle of things. After each case the daemon must be
# alive, serve a new connection correctly, and hold no more fds than before.
# Then the same again with the daemon under valgrind (or, in a SANITIZE=1
# build, ASan+UBSan): no memory error, no leak, clean exit on SIGTERM.
set -u
. "$(dirname "$0")/vcryptod_lib.sh"

vcd_start plain -- --queues 2 --max-sessions 8 || { echo "not ok - vcryptod starts"; exit 1; }
plain_pid=$vcd_pid plain_log=$vcd_log
# mem-short-fd comes last: a daemon without that check dies of SIGBUS.
"$VUF" -s "$vcd_sock" -p "$vcd_pid" -Q 2 -m 8 hostile
r=$?; [ $r -le 1 ]; tap_ok $? "vufront hostile ran to the end (exit $r)"
if kill -0 "$plain_pid" 2>/dev/null; then
	# The refused requests are counted by status.
	kill -USR1 "$plain_pid"
	sleep 0.3
	for st in badmsg notsupp invsess; do
		grep -qE "queue 0: .* $st [1-9]" "$plain_log"
		tap_ok $? "SIGUSR1 counters show the hostile requests answered $st on queue 0"
	done
	vcd_stop "$plain_pid"
	tap_ok "$vcd_rc" "SIGTERM after the hostile cases: exit status 0 (got $vcd_rc)"
else
	wait "$plain_pid"; rc=$?
	tap_ok 1 "vcryptod survived the hostile cases (it exited with status $rc)"
fi
grep -E 'ERROR: [A-Za-z]*Sanitizer|SUMMARY: [A-Za-z]*Sanitizer|runtime error' "$plain_log" | head -20 | sed 's/^/# /'
! grep -qE 'ERROR: [A-Za-z]*Sanitizer|SUMMARY: [A-Za-z]*Sanitizer|runtime error' "$plain_log"
tap_ok $? "no sanitizer report from the hostile run"

# The same cases with a leak checker watching the daemon.
if ldd "$VCD" 2>/dev/null | grep -q libasan; then
	checker="ASan+UBSan (SANITIZE=1 build)"
	pre=(env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99)
elif command -v valgrind >/dev/null; then
	checker="valgrind"
	pre=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
	     --show-leak-kinds=definite,indirect --error-exitcode=99)
else
	echo "not ok - valgrind is missing (scripts/deps.sh installs it)"
	exit 1
fi
echo "# leak checker: $checker"
vcd_start checked "${pre[@]}" -- --queues 2 --max-sessions 8 || { echo "not ok - vcryptod starts under $checker"; exit 1; }
chk_pid=$vcd_pid chk_log=$vcd_log
"$VUF" -s "$vcd_sock" -p "$vcd_pid" -Q 2 -m 8 -t 20000 -x half-stall hostile layouts services
r=$?; [ $r -le 1 ]; tap_ok $? "vufront hostile+layouts+services under $checker ran to the end (exit $r)"
# SIGTERM while a frontend holds sessions and unserved requests: still clean.
"$VUF" -s "$vcd_sock" -p "$chk_pid" -t 20000 hold >"$vcd_dir/hold.out" 2>&1 &
hold_pid=$!
for _ in $(seq 200); do grep -q READY "$vcd_dir/hold.out" && break; sleep 0.1; done
vcd_stop "$chk_pid"
wait "$hold_pid"
grep -E '^(not )?ok' "$vcd_dir/hold.out"
tap_ok "$vcd_rc" "under $checker: SIGTERM with a connection open: exit status 0, i.e. no memory error and no leak (got $vcd_rc)"
if [ "$vcd_rc" != 0 ]; then
	grep -vE '^vcryptod' "$chk_log" | head -40 | sed 's/^/# /'
fi
exit 0
