# Shared shell helpers for vchat's host tests (sourced by tests/host/vchat_*.t).
# Every process started here is killed on exit; everything lives in $T.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${VCHAT_BUILD:-${VCRYPTO_BUILD:-$top/build}}
VCHAT=$B/vchat
VCHAT_ASAN=$B/asan/vchat
RAW=$B/tests/host/vchat_raw
T=$(mktemp -d /tmp/vchat-test.XXXXXX)
_pids=()
_tmux=""
_fds=""

. "$top/tests/lib/tap.sh"

vchat_cleanup() {
	local p
	[ -n "$_tmux" ] && tmux -L "$_tmux" kill-server 2>/dev/null
	for p in "${_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	if [ "$tap_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap vchat_cleanup EXIT

# wait_for FILE REGEX [SECONDS]: until FILE has a line matching REGEX
wait_for() {
	local i lim=$((${3:-10} * 10))
	for ((i = 0; i < lim; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# spawn CMD...: runs CMD in the background without the clients' fifo fds
# (so closing a fifo really ends that client's input); sets SPAWN_PID.
spawn() {
	(
		for f in $_fds; do eval "exec $f>&-"; done
		exec "$@"
	) &
	SPAWN_PID=$!
	_pids+=("$SPAWN_PID")
}

# start_server [BIN] [ARGS...]: sets SRV_PID and PORT; log in $T/server.log
start_server() {
	local bin=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:-log_path=$T/asan:detect_leaks=1} \
		"$bin" server --listen 127.0.0.1:0 "$@" 2>"$T/server.log" &
	SRV_PID=$!
	_pids+=("$SRV_PID")
	wait_for "$T/server.log" 'listening on' 20 || { echo "# server did not start"; cat "$T/server.log"; return 1; }
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/server.log")
}

# start_client NAME [ARGS...]: a client reading lines from fifo $T/NAME.in
# (held open on fd CLI_FD_NAME) and writing $T/NAME.out / $T/NAME.err.
# The key is the environment variable VCHAT_KEY unless ARGS say otherwise.
start_client() {
	local name=$1 fd
	shift
	mkfifo "$T/$name.in"
	(
		for f in $_fds; do eval "exec $f>&-"; done
		exec "$VCHAT" client 127.0.0.1 "$PORT" --nick "$name" "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err"
	) &
	_pids+=($!)
	eval "CLI_PID_$name=$!"
	exec {fd}>"$T/$name.in"
	eval "CLI_FD_$name=$fd"
	_fds="$_fds $fd"
	wait_for "$T/$name.err" 'connected to' 20
}

# say NAME TEXT: NAME types a line
say() {
	local fd
	eval "fd=\$CLI_FD_$1"
	printf '%s\n' "$2" >&"$fd"
}

# quit NAME: closes NAME's input, so it leaves
quit() {
	local fd
	eval "fd=\$CLI_FD_$1"
	exec {fd}>&-
}

# roundtrip FROM TO DESC: FROM says a fresh token, TO must print it
roundtrip() {
	local tok="token-$RANDOM-$RANDOM"
	say "$1" "$tok"
	check "$3" wait_for "$T/$2.out" "<$1> $tok\$" 10
}

# stop_server: SIGTERM, then the exit status and sanitizer reports are checked
stop_server_checked() {
	kill -TERM "$SRV_PID"
	local rc=0
	wait "$SRV_PID" || rc=$?
	check "server exits cleanly on SIGTERM (status $rc)" test "$rc" = 0
	if ls "$T"/asan.* >/dev/null 2>&1; then
		not_ok "server ASan/UBSan/LeakSanitizer clean"
		head -n 40 "$T"/asan.* | sed 's/^/#   /'
	else
		ok "server ASan/UBSan/LeakSanitizer clean (no reports, leaks checked at exit)"
	fi
}

vchat_done() {
	echo "1..$tap_n"
	tap_exit
}
