#!/bin/bash
# An impersonated server replays an earlier session to a new client: a keyless
# recorder sits in a real room while alice and bob talk, then a fake server
# (tests/host/vchat_raw fakeserver) answers a newly started client with the
# recorded WELCOME (and, in protocol 1, the old session's salt) and every
# recorded frame. The new client must show none of them and say why; the
# real room keeps working.
. "$(dirname "$0")/vchat_lib.sh"

start_server "$VCHAT" || { not_ok "server starts"; vchat_done; }
ok "server listening on 127.0.0.1:$PORT"
export VCHAT_KEY="replayed room passphrase"
start_client alice
start_client bob
roundtrip alice bob "alice and bob talk"

spawn "$RAW" 127.0.0.1 "$PORT" record 10 "$T/rec.bin" >"$T/rec.out"
recpid=$SPAWN_PID

check "the recorder joined the room" wait_for "$T/alice.out" '\* rec joined'
say alice "secret one from alice"
say bob "secret two from bob"
say alice "secret three from alice"
check "bob reads alice's lines in the recorded session" wait_for "$T/bob.out" '<alice> secret three from alice$' 15
# A member joining while recorded: its key checks and the answers are in the
# recording too, answering nonces other than the next client's.
start_client erin
say erin "secret four from erin"
check "alice reads erin in the recorded session" wait_for "$T/alice.out" '<erin> secret four from erin$' 15
quit erin
wait "$recpid" 2>/dev/null
note "recorder: $(cat "$T/rec.out")"
msgs=$(sed -n 's/.*(\([0-9]*\) MSG).*/\1/p' "$T/rec.out")
check "the recording holds the old session's WELCOME and $msgs MSG frames (4 lines and, in protocol 2, key checks)" test "${msgs:-0}" -ge 4

"$RAW" 127.0.0.1 0 fakeserver 4 "$T/rec.bin" >"$T/fake.out" 2>&1 &
fakepid=$!
_pids+=("$fakepid")
wait_for "$T/fake.out" 'listening on port' 10
realport=$PORT
PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$T/fake.out")
start_client carol --linger 0
check "a new client connects to the fake server" grep -q 'connected to' "$T/carol.err"
wait "$fakepid"
PORT=$realport
sed 's/^/#   fake server: /' "$T/fake.out"
sleep 0.3
sed 's/^/#   carol: /' "$T/carol.out"
check "the fake server replayed the recorded frames to carol" grep -q 'replayed [0-9]* recorded frames' "$T/fake.out"
check "carol shows none of the replayed lines" bash -c "! grep -q 'secret' '$T/carol.out'"
n=$(grep -c 'not shown' "$T/carol.out")
check "carol says why for each of the 4 replayed lines ($n notes)" test "$n" = 4
quit carol

roundtrip alice bob "after the replay the real room still works"
start_client dave
roundtrip alice dave "a new member of the real room reads alice"
roundtrip dave bob "and bob reads the new member"
check "the new member saw nothing from before it joined" bash -c "! grep -q 'secret' '$T/dave.out'"
quit alice
quit bob
quit dave
vchat_done
