#!/bin/bash
# vcryptod's adaptive polling and notification suppression, through vufront's
# poll suite (tests/host/vufront_poll.c): no lost kick, no lost interrupt,
# interrupts suppressed where the driver says so, stop under flood, and an
# idle daemon at ~0% CPU, for daemons with the default window (0: the ring
# must look as before polling existed), 50 us, and a 2 s window (kicks are
# then suppressed while the worker polls, unless it was preempted, and a stop
# must cut the window short).
# Counters (kicks, interrupts, poll hits) on SIGUSR1.
set -u
. "$(dirname "$0")/vcryptod_lib.sh"

for p in default 50 2000000; do
	if [ "$p" = default ]; then
		vcd_start "poll-$p" -- --queues 1 || { echo "not ok - vcryptod starts"; exit 1; }
		# the startup line comes after the socket exists
		for _ in $(seq 50); do grep -q 'polling [0-9]* us' "$vcd_log" && break; sleep 0.1; done
		us=$(sed -n 's/.*polling \([0-9]*\) us.*/\1/p' "$vcd_log" | head -1)
	else
		vcd_start "poll-$p" -- --queues 1 --poll-us "$p" || { echo "not ok - vcryptod starts"; exit 1; }
		us=$p
	fi
	echo "# vcryptod --poll-us $p (window $us us)"
	"$VUF" -s "$vcd_sock" -p "$vcd_pid" -Q 1 -P "${us:-0}" poll
	r=$?; [ $r -le 1 ]; tap_ok $? "vufront poll against --poll-us $p ran to the end (exit $r)"
	kill -USR1 "$vcd_pid"
	sleep 0.3
	line=$(grep 'queue 0: requests' "$vcd_log" | tail -1)
	echo "# $line"
	echo "$line" | grep -qE 'kicks [0-9]+ interrupts [1-9][0-9]* poll_hits [0-9]+ poll_misses [0-9]+ poll_preempted [0-9]+'
	tap_ok $? "--poll-us $p: SIGUSR1 counts kicks, interrupts, poll hits and misses"
	if [ "$us" = 0 ]; then
		echo "$line" | grep -q 'poll_hits 0 poll_misses 0 poll_preempted 0'
		tap_ok $? "--poll-us $p (0): no polling at all"
	fi
	if [ "$p" = 2000000 ]; then
		echo "$line" | grep -qE 'poll_hits [1-9]'
		tap_ok $? "--poll-us $p: polling found requests"
	fi
	vcd_stop "$vcd_pid"
	tap_ok "$vcd_rc" "--poll-us $p: SIGTERM exit status 0 (got $vcd_rc)"
done
exit 0
