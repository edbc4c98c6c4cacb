#!/bin/bash
# vcryptod's worker replaced while a synthetic guest keeps requests in flight
# (host/vcryptod/front.c, journal.h; tests/host/vcd_restart.c):
# - SIGKILL at random moments (mid-request too) with thousands of AES-CBC
#   requests in flight, half of them in place: each completes exactly once
#   with OpenSSL's bytes; at least one result is rewritten from the journal
#   and one request served again from guest memory; sessions survive; the
#   front's fd count stays.
# - SIGHUP re-executes the worker 20 times under load; an upgrade (binary
#   replaced on disk) runs the new file.
# - a crash loop is slowed down by --restart-limit; a SIGSYS (seccomp-style)
#   death is replaced like any other.
set -u
. "$(dirname "$0")/vcryptod_lib.sh"
VRS=$B/tests/host/vcd_restart

worker_of() { # worker_of FRONT_PID: the child running --worker
	local p
	for p in $(pgrep -P "$1"); do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -- --worker && { echo "$p"; return; }
	done
}

vcd_start kill -- --queues 2 --restart-limit 64/1000 || { echo "not ok - vcryptod starts"; exit 1; }
kpid=$vcd_pid klog=$vcd_log ksock=$vcd_sock
tap_ok "$([ -n "$(worker_of "$kpid")" ] && echo 1 || echo 0)" "no worker while no frontend is connected"
# Until the log shows both replay paths (usually in the first round).
for round in 1 2 3 4; do
	"$VRS" -s "$ksock" -p "$kpid" -Q 2 -n 3000 -k 40 kill >"$vcd_dir/kill$round.out" 2>&1
	r=$?
	sed 's/^/    /' "$vcd_dir/kill$round.out" | grep -v '^    ok' | head -20
	tap_ok $r "round $round: 3000+ requests on 2 queues, worker SIGKILLed 40 times: $(grep -c '^ok' "$vcd_dir/kill$round.out") checks passed"
	[ $r = 0 ] || break
	redo=$(grep -c 'in flight: [1-9][0-9]* result(s) written again from the journal' "$klog")
	again=$(grep -cE 'from the journal, [1-9][0-9]* served again from guest memory' "$klog")
	[ "$redo" -gt 0 ] && [ "$again" -gt 0 ] && break
done
echo "# resumed rings: $(grep -c 'resumed:' "$klog"); results rewritten from the journal: $redo; requests served again: $again"
[ "$redo" -gt 0 ]
tap_ok $? "a worker killed after committing a result: the next one wrote it again from the journal ($redo times)"
[ "$again" -gt 0 ]
tap_ok $? "a worker killed before committing: the next one served the request again from guest memory ($again times)"
grep -q "killed by signal 9 (Killed); replacing it" "$klog"
tap_ok $? "each death is logged with its cause"
grep -qE "carried over [0-9]+ session\(s\), [0-9]+ running queue\(s\)" "$klog"
tap_ok $? "each replacement is logged with what was carried over"

# A death by SIGSYS (what a seccomp kill looks like) is replaced too.
"$VUF" -s "$ksock" -p "$kpid" -t 20000 hold >"$vcd_dir/hold.out" 2>&1 &
hold=$!
for _ in $(seq 100); do grep -q READY "$vcd_dir/hold.out" && break; sleep 0.1; done
w=$(worker_of "$kpid")
kill -SYS "$w"
for _ in $(seq 100); do nw=$(worker_of "$kpid"); [ -n "$nw" ] && [ "$nw" != "$w" ] && break; sleep 0.05; done
[ -n "$nw" ] && [ "$nw" != "$w" ] && grep -q "signal 31 (Bad system call), seccomp; replacing it" "$klog"
tap_ok $? "a worker dead of SIGSYS ($w) is replaced ($nw) and the log says seccomp"
kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null
"$VUF" -s "$ksock" -p "$kpid" -Q 2 -o aes-cbc services >"$vcd_dir/after.out" 2>&1
tap_ok $? "the services suite passes on the same daemon afterwards"
kill -USR1 "$kpid"; sleep 0.3
grep -q "queue 0: requests [1-9]" "$klog"
tap_ok $? "SIGUSR1 to the front prints the counters (kept across workers)"
vcd_stop "$kpid"
tap_ok "$vcd_rc" "SIGTERM: front exits 0 (got $vcd_rc)"
left=$(pgrep -f -- "--worker" | while read -r p; do [ "$(ps -o ppid= -p "$p" | tr -d ' ')" = "$kpid" ] && echo "$p"; done)
[ -z "$left" ]
tap_ok $? "no worker left behind"

# SIGHUP: re-executed 20 times under load; then an upgrade of the file.
mkdir -p "$vcd_dir/sbin"
cp "$VCD" "$vcd_dir/sbin/vcryptod"
VCD=$vcd_dir/sbin/vcryptod vcd_start hup -- --queues 1 || { echo "not ok - vcryptod starts"; exit 1; }
hpid=$vcd_pid hlog=$vcd_log hsock=$vcd_sock
"$VRS" -s "$hsock" -p "$hpid" -Q 1 -n 2000 -k 20 hup >"$vcd_dir/hup.out" 2>&1
r=$?
grep -v '^ok' "$vcd_dir/hup.out" | sed 's/^/    /'
tap_ok $r "2000+ requests while the front re-executes its worker 20 times (SIGHUP): $(grep -c '^ok' "$vcd_dir/hup.out") checks passed"
n=$(grep -c "re-executed from the installed binary" "$hlog")
[ "$n" -ge 20 ]
tap_ok $? "20 re-executions logged ($n)"
"$VUF" -s "$hsock" -p "$hpid" -t 20000 hold >"$vcd_dir/hold2.out" 2>&1 &
hold=$!
for _ in $(seq 100); do grep -q READY "$vcd_dir/hold2.out" && break; sleep 0.1; done
w=$(worker_of "$hpid")
cp "$VCD" "$vcd_dir/sbin/vcryptod.new" && mv "$vcd_dir/sbin/vcryptod.new" "$vcd_dir/sbin/vcryptod"
old_exe=$(readlink "/proc/$w/exe")
kill -HUP "$hpid"
for _ in $(seq 100); do nw=$(worker_of "$hpid"); [ -n "$nw" ] && [ "$nw" != "$w" ] && break; sleep 0.05; done
new_exe=$(readlink "/proc/$nw/exe")
echo "# before the reload the worker ran '$old_exe', after it '$new_exe'"
[[ $old_exe == *"(deleted)" && $new_exe == "$vcd_dir/sbin/vcryptod" ]]
tap_ok $? "upgrade: after the file is replaced, SIGHUP runs the new file in the worker"
kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null
vcd_stop "$hpid"
tap_ok "$vcd_rc" "SIGTERM after the reloads: exit 0 (got $vcd_rc)"

# Crash loop: at most 3 deaths in 2 s, then the next worker waits.
vcd_start loop -- --queues 1 --restart-limit 3/2000 || { echo "not ok - vcryptod starts"; exit 1; }
"$VRS" -s "$vcd_sock" -p "$vcd_pid" -k 6 crashloop >"$vcd_dir/loop.out" 2>&1
r=$?
grep -v '^ok' "$vcd_dir/loop.out" | sed 's/^/    /'
tap_ok $r "6 workers killed as soon as they start: service comes back, sessions intact"
longest=$(sed -n 's/^crashloop: first gap [0-9]* ms, longest \([0-9]*\) ms$/\1/p' "$vcd_dir/loop.out")
grep -q "crash loop: 3 worker deaths within 2000 ms; next worker in" "$vcd_log" && [ "${longest:-0}" -ge 500 ]
tap_ok $? "the crash loop is logged and slowed down (longest wait ${longest:-?} ms)"
vcd_stop "$vcd_pid"
tap_ok "$vcd_rc" "SIGTERM: exit 0 (got $vcd_rc)"
echo "1..$tap_n"
