#!/bin/bash
# vchat on loopback: a server (ASan build) and clients driven through pipes,
# the wrong key, a tampered and a replayed frame, and an interactive client in
# tmux as a person sees it.
. "$(dirname "$0")/vchat_lib.sh"

out=$("$VCHAT" --help)
check "vchat --help documents server, client and --key-file" \
	grep -q 'key-file' <<<"$out"
"$VCHAT" client 127.0.0.1 1 --key sekrit >/dev/null 2>"$T/badopt.err"
check "a passphrase option on the command line does not exist (usage error)" \
	test $? = 2
"$VCHAT" selftest --crypto openssl >"$T/selftest.out" 2>&1
check "selftest: openssl provider gives the known AES-256-CBC and HMAC-SHA256 answers" \
	test "$(grep -c '^pass' "$T/selftest.out")" = 3

if [ ! -e /dev/crypto ]; then
	"$VCHAT" selftest --crypto devcrypto >"$T/dev.out" 2>&1
	check "--crypto devcrypto without /dev/crypto fails with a clear error" \
		bash -c "[ $? = 1 ] && grep -q 'provider unavailable: No such file or directory' '$T/dev.out'"
fi

start_server "$VCHAT_ASAN" || { not_ok "server starts"; vchat_done; }
ok "server (ASan build) listens on 127.0.0.1:$PORT"

export VCHAT_KEY="correct horse battery staple"
printf '%s\n' "$VCHAT_KEY" >"$T/key"
chmod 600 "$T/key"
start_client alice
start_client bob --key-file "$T/key" --crypto openssl
start_client carol --crypto auto
check "startup line names the provider and what runs where" \
	grep -q 'crypto provider openssl: AES-256-CBC and HMAC-SHA256 via OpenSSL' "$T/bob.err"
if [ -e /dev/crypto ]; then
	note "this host has /dev/crypto; auto may pick devcrypto"
else
	check "auto falls back to openssl here (no /dev/crypto) and says why" \
		grep -q 'provider openssl.*devcrypto unavailable' "$T/carol.err"
fi
check "key source is reported (environment / key file)" \
	grep -q 'key from key file' "$T/bob.err"

eval "apid=\$CLI_PID_alice"
check "passphrase is not in the client's command line" \
	bash -c "! tr '\0' ' ' </proc/$apid/cmdline | grep -q 'horse'"
check "passphrase taken from VCHAT_KEY is wiped from the client's environment block" \
	bash -c "! tr '\0' '\n' </proc/$apid/environ | grep -q 'horse'"

check "carol sees alice and bob join before her" wait_for "$T/carol.out" '\* carol joined \(3 online\)'
check "alice sees bob and carol join" wait_for "$T/alice.out" '\* carol joined'

say alice "hello from alice"
check "bob gets alice's line with time and sender" \
	wait_for "$T/bob.out" '^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] <alice> hello from alice$'
check "carol gets it too" wait_for "$T/carol.out" '<alice> hello from alice$'
say bob "bob answers"
check "alice gets bob's line" wait_for "$T/alice.out" '<bob> bob answers$'
check "alice does not print her own line back" \
	bash -c "! grep -q '<alice>' '$T/alice.out'"
long=$(head -c 3000 /dev/zero | tr '\0' x)
say carol "$long"
check "a line over 2048 bytes is refused locally with a note" \
	wait_for "$T/carol.out" 'line longer than 2048 bytes, not sent'
say carol 'escape '$'\033''[2Jtest'
check "control characters from peers are neutralised on display" \
	wait_for "$T/alice.out" '<carol> escape \?\[2Jtest$'

# The wrong key: eve's messages are refused, the session goes on.
VCHAT_KEY="wrong key" start_client eve
say eve "eve here"
check "wrong key: bob rejects eve's message with a clear note" \
	wait_for "$T/bob.out" 'rejected a message from sender [0-9a-f]{16}: authentication failed \(wrong key or tampered\)'
say alice "after eve"
check "after the bad message alice and bob still talk" wait_for "$T/bob.out" '<alice> after eve$'
check "eve cannot read alice: her client rejects the message" \
	wait_for "$T/eve.out" 'authentication failed'
check "eve's text never appears in clear at bob" bash -c "! grep -q 'eve here' '$T/bob.out'"

# A peer without the key replays a frame and tampers with another.
spawn "$RAW" 127.0.0.1 "$PORT" replay 3 >"$T/replay.out" 2>&1
rp=$SPAWN_PID
sleep 0.5
say alice "replay me"
wait "$rp"
check "replay: bob prints alice's line once" \
	test "$(grep -c '<alice> replay me$' "$T/bob.out")" = 1
check "replay: bob rejects the 3 replayed copies with a clear note" \
	test "$(grep -c 'rejected a replayed message from <alice>' "$T/bob.out")" = 3
check "replay: alice rejects copies of her own frame too" \
	wait_for "$T/alice.out" 'rejected a replayed message from <alice>'
spawn "$RAW" 127.0.0.1 "$PORT" tamper >"$T/tamper.out" 2>&1
rp=$SPAWN_PID
sleep 0.5
say bob "tamper me"
wait "$rp"
check "tamper: carol rejects the modified frame (MAC check)" \
	wait_for "$T/carol.out" 'authentication failed \(wrong key or tampered\)' 5
check "tamper: carol still got the original once" \
	test "$(grep -c '<bob> tamper me$' "$T/carol.out")" = 1
roundtrip carol alice "after replay and tamper the room still works"

VCHAT_KEY=x "$VCHAT" client 127.0.0.1 "$PORT" --nick frank --crypto devcrypto </dev/null >"$T/frank.out" 2>&1
rc=$?
if [ -e /dev/crypto ]; then
	note "host has /dev/crypto: forced devcrypto client exited $rc"
else
	check "a client forced to --crypto devcrypto on this host exits with a clear error" \
		bash -c "[ $rc = 1 ] && grep -q 'crypto provider devcrypto unavailable' '$T/frank.out'"
fi

printf 'one-shot line\n' | "$VCHAT" client 127.0.0.1 "$PORT" --nick pipe --linger 300 >"$T/pipe.out" 2>"$T/pipe.err"
check "a one-shot client fed by a pipe exits 0 at end of input" test $? = 0
check "its line reaches the room" wait_for "$T/alice.out" '<pipe> one-shot line$' 5

quit carol
check "a client that leaves is announced" wait_for "$T/alice.out" '\* carol left'

# An interactive client in tmux: prompt, passphrase without echo, what arrives.
if command -v tmux >/dev/null; then
	_tmux=vchat-$$
	tm() { tmux -L "$_tmux" "$@"; }
	tm new-session -d -s chat -x 160 -y 30 \
		"env -u VCHAT_KEY $VCHAT client 127.0.0.1 $PORT --nick dave; sleep 30"
	check "tmux: the client prompts for the passphrase on the terminal" \
		bash -c "for i in \$(seq 50); do tmux -L $_tmux capture-pane -p -t chat | grep -q 'vchat passphrase:' && exit 0; sleep 0.1; done; exit 1"
	tm send-keys -t chat "$VCHAT_KEY" Enter
	check "tmux: the chat prompt appears after the passphrase" \
		bash -c "for i in \$(seq 100); do tmux -L $_tmux capture-pane -p -t chat | grep -q '^vchat>' && exit 0; sleep 0.1; done; exit 1"
	tm capture-pane -p -t chat >"$T/tmux1.txt"
	check "tmux: the typed passphrase is not echoed" bash -c "! grep -q horse '$T/tmux1.txt'"
	say alice "hi dave"
	sleep 1
	tm capture-pane -p -t chat >"$T/tmux2.txt"
	check "tmux: dave sees alice's line with time and sender, then a fresh prompt" \
		bash -c "grep -qE '^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] <alice> hi dave$' '$T/tmux2.txt' && tail -n +1 '$T/tmux2.txt' | grep -v '^$' | tail -1 | grep -q '^vchat>'"
	tm send-keys -t chat "hi from the terminal" Enter
	check "tmux: what dave types reaches alice" wait_for "$T/alice.out" '<dave> hi from the terminal$'
	tm send-keys -t chat "/quit" Enter
	check "tmux: /quit leaves the room" wait_for "$T/alice.out" '\* dave left'
	note "tmux screen:"
	tm capture-pane -p -t chat | grep -v '^$' | sed 's/^/#   | /'
else
	not_ok "tmux is not installed (scripts/deps.sh installs it)"
fi

quit alice
quit bob
quit eve
sleep 0.3
stop_server_checked
vchat_done
