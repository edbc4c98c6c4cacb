#!/bin/bash
# vcryptod's adaptive polling and notification suppression, through vufront's
# poll suite (tests/host/vufront_poll.c): no lost kick, no lost interrupt,
# interrupts suppressed where the driver says so, stop under flood, and an
# idle daemon at ~0% CPU, for daemons with the default window (0: the ring
# must look as before polling existed), 50 us, and a 2 s window (kicks are
# then suppressed while the worker polls, unless it was preempted, and a stop
# must cut the window short).
# Counters (kicks, interrupts, poll hits) on SIGUSR1. --cpu-affinity pins
# the queue workers, and only them.
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

# --cpu-affinity: each queue's worker thread on one CPU of the list (the
# first two this shell may use; the same one twice on a single CPU), requests
# still served right (the poll suite), nothing else moved, bad lists refused.
cpus=()
for r in $(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status | tr ',' ' '); do
	for c in $(seq "${r%-*}" "${r#*-}"); do cpus+=("$c"); done
done
c0=${cpus[0]} c1=${cpus[1]:-${cpus[0]}}
vcd_start pinned -- --queues 2 --poll-us 50 --cpu-affinity "$c0,$c1" ||
	{ echo "not ok - vcryptod --cpu-affinity starts"; exit 1; }
echo "# vcryptod --poll-us 50 --cpu-affinity $c0,$c1"
"$VUF" -s "$vcd_sock" -p "$vcd_pid" -Q 2 -P 50 poll
r=$?; [ $r -le 1 ]; tap_ok $? "vufront poll against --cpu-affinity $c0,$c1 ran to the end (exit $r)"
"$VUF" -s "$vcd_sock" -p "$vcd_pid" -Q 2 hold >"$vcd_dir/hold.out" 2>&1 &
hold=$!
for _ in $(seq 100); do grep -q READY "$vcd_dir/hold.out" && break; sleep 0.1; done
w=$(pgrep -n -P "$vcd_pid")
main_cpus=$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$w/status" 2>/dev/null)
pinned=0 wrong=0
for t in /proc/"$w"/task/*; do
	[ "${t##*/}" = "$w" ] && continue
	l=$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status" 2>/dev/null)
	echo "# worker $w thread ${t##*/}: CPUs $l"
	case $l in
	"$c0" | "$c1") pinned=$((pinned + 1)) ;;
	*) wrong=$((wrong + 1)) ;;
	esac
done
[ "$pinned" -ge 1 ] && [ "$wrong" = 0 ]
tap_ok $? "--cpu-affinity $c0,$c1: the worker's queue threads run on one listed CPU each ($pinned pinned, $wrong not)"
[ "$main_cpus" = "$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)" ]
tap_ok $? "--cpu-affinity: the worker's main thread keeps every CPU ($main_cpus)"
vcd_stop "$vcd_pid"
tap_ok "$vcd_rc" "--cpu-affinity: SIGTERM exit status 0 (got $vcd_rc)"
wait "$hold" 2>/dev/null
for bad in x 1- 3-1 "0,,1" 4096; do
	"$VCD" --socket-path "$vcd_dir/bad.sock" --cpu-affinity "$bad" >"$vcd_dir/bad.log" 2>&1
	r=$?
	[ "$r" != 0 ] && grep -q 'cpu-affinity' "$vcd_dir/bad.log" && [ ! -S "$vcd_dir/bad.sock" ]
	tap_ok $? "--cpu-affinity '$bad' refused before listening (exit $r: $(head -1 "$vcd_dir/bad.log"))"
done
exit 0
