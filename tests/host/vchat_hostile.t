#!/bin/bash
# Hostile and careless peers against the vchat server (ASan+UBSan build):
# garbage, zero-length, oversized, unknown-type, pre-HELLO, truncated and
# slow-drip frames, a silent connection, a client that stops reading, and
# 1,000 clients connecting and leaving at random. After each: a clear error,
# the server still relays between two real clients; at the end no fd leak,
# clean exit, no sanitizer report.
. "$(dirname "$0")/vchat_lib.sh"

start_server "$VCHAT_ASAN" --frame-timeout 1000 --hello-timeout 1500 --max-queue 65536 ||
	{ not_ok "server starts"; vchat_done; }
ok "server (ASan build) listening on 127.0.0.1:$PORT, frame timeout 1 s, queue 64 KiB"
export VCHAT_KEY="hostile test key"
start_client alice
start_client bob
fds0=$(ls /proc/$SRV_PID/fd | wc -l)
roundtrip alice bob "baseline: alice reaches bob"

# raw MODE EXPECTED-NOTICE-REGEX DESC
raw() {
	local mode=$1 re=$2 desc=$3 out
	out=$("$RAW" 127.0.0.1 "$PORT" "$mode" 2>&1)
	if grep -qE -- "$re" <<<"$out" && grep -q '^closed' <<<"$out"; then
		ok "$desc: server says \"$(grep -m1 notice: <<<"$out" | cut -c9-)\" and closes"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
	roundtrip alice bob "after $mode: the server still relays"
}
raw garbage 'notice: frame length [0-9]+ is 0 or above the maximum 4096' "garbage bytes"
raw zero 'notice: frame length 0 is 0 or above the maximum' "zero-length frame"
raw oversized 'notice: frame length 1000000 is 0 or above the maximum 4096' "oversized frame (1,000,000 bytes announced)"
raw badtype 'notice: protocol error: unexpected frame type 99' "unknown frame type"
raw nohello 'notice: protocol error: expected HELLO, got frame type 3' "MSG before HELLO"
VCHAT_RAW_VERSION=1 raw badtype 'notice: protocol error: client speaks vchat protocol 1, this server 2' "a protocol 1 HELLO"

out=$("$RAW" 127.0.0.1 "$PORT" truncated 2>&1)
check "truncated frame then end of stream: connection closed" grep -q '^closed' <<<"$out"
check "truncated frame: the server log says so" \
	wait_for "$T/server.log" 'dropped: connection closed in the middle of a frame \(truncated\)' 3
roundtrip alice bob "after truncated: the server still relays"

out=$("$RAW" 127.0.0.1 "$PORT" drip 10 2>&1)
printf '%s\n' "$out" | sed 's/^/#   /'
check "slow drip (1 byte / 200 ms): dropped on the 1 s incomplete-frame timeout with a notice" \
	grep -qE 'notice: incomplete frame for more than 1000 ms' <<<"$out"
check "slow drip: dropped well before the whole frame could arrive" \
	bash -c "grep -qE '^dripped ([0-9]|1[0-9]) bytes' <<<'$out'"
roundtrip alice bob "after slow drip: the server still relays"

exec {silent}<>/dev/tcp/127.0.0.1/$PORT
check "a connection that never says HELLO is dropped after the hello timeout" \
	wait_for "$T/server.log" 'no HELLO within 1500 ms' 5
exec {silent}>&-
roundtrip alice bob "after the silent connection: the server still relays"

# A client that stops reading: its queue fills, it is dropped, others unaffected.
spawn "$RAW" 127.0.0.1 "$PORT" noread 6 >"$T/noread.out"
np=$SPAWN_PID
sleep 0.5
line=$(head -c 1500 /dev/zero | tr '\0' y)
n=600
for ((i = 0; i < n; i++)); do say alice "$i $line"; done
check "non-reader: the server drops it for a full queue with a clear log line" \
	wait_for "$T/server.log" 'client [0-9]+ \(sleepy\) dropped: output queue above 65536 bytes \(client not reading\)' 15
check "non-reader: the room is told it left and why" \
	wait_for "$T/bob.out" '\* sleepy left \(output queue above 65536 bytes' 5
check "non-reader: bob still received all $n lines in order" \
	bash -c "wait_for() { for i in \$(seq 150); do [ \$(grep -c '<alice> [0-9]* yyy' '$T/bob.out') -ge $n ] && return 0; sleep 0.1; done; return 1; }; wait_for && grep -o '<alice> [0-9]* ' '$T/bob.out' | awk '{print \$2}' | awk 'BEGIN{e=0} {if (\$1 != e) exit 1; e++} END{exit e != $n}'"
wait "$np"
check "non-reader: after it wakes up it finds its connection closed" test $? = 0
roundtrip alice bob "after the non-reader: the server still relays"

# 1,000 clients connecting and leaving at random.
out=$("$RAW" 127.0.0.1 "$PORT" swarm 1000 2>&1)
note "$out"
check "1,000 random connections came and went" grep -q '^swarm: 1000 connections' <<<"$out"
roundtrip alice bob "after the swarm: the server still relays"
sleep 2.5	# hello and frame timeouts reap any half-open stragglers
fds1=$(ls /proc/$SRV_PID/fd | wc -l)
check "no fd leak: server has $fds1 fds open, as before the hostile peers ($fds0)" test "$fds1" = "$fds0"
rss=$(awk '/VmRSS/ {print $2}' /proc/$SRV_PID/status)
note "server RSS after all of it: $rss kB (ASan build)"

# A second server with room for two: the third connection is refused politely.
(ASAN_OPTIONS=log_path=$T/asan2 exec "$VCHAT_ASAN" server --listen 127.0.0.1:0 --max-clients 2 2>"$T/small.log") &
sp2=$!
_pids+=("$sp2")
wait_for "$T/small.log" 'listening on' 20
p2=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/small.log")
exec {k1}<>/dev/tcp/127.0.0.1/$p2 {k2}<>/dev/tcp/127.0.0.1/$p2
out=$("$RAW" 127.0.0.1 "$p2" zero 2>&1)
check "--max-clients 2: a third connection gets \"server full\" and is closed" \
	bash -c "grep -q 'notice: server full' <<<'$out' && grep -q '^closed' <<<'$out'"
exec {k1}>&- {k2}>&-
kill -TERM "$sp2"
wait "$sp2"
check "second server exits cleanly with no sanitizer report" \
	bash -c "[ $? = 0 ] && ! ls '$T'/asan2.* >/dev/null 2>&1"

quit alice
quit bob
sleep 0.3
grep -c 'dropped' "$T/server.log" | sed 's/^/# server log lines about drops: /'
stop_server_checked
check "server reported its totals on exit" grep -qE 'exiting: [0-9]+ connections served' "$T/server.log"
vchat_done
