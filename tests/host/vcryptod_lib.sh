# Sourced by tests/host/vcryptod_*.t and bench/vcryptod_*.sh: start vcryptod
# daemons on temp sockets and kill them on every exit path.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
VCD=$B/vcryptod
VUF=$B/tests/host/vufront
vcd_dir=$(mktemp -d "${TMPDIR:-/tmp}/vcryptod-test.XXXXXX")
vcd_pids=()
vcd_cleanup() {
	local p
	for p in "${vcd_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${vcd_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$vcd_dir"
}
trap vcd_cleanup EXIT
trap 'exit 130' INT TERM

tap_n=0
tap_ok() { # tap_ok COND-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

# vcd_start NAME [PREFIX-COMMAND...] -- [vcryptod options...]: sets vcd_pid,
# vcd_sock, vcd_log. Waits up to 30 s for the socket (valgrind is slow).
vcd_start() {
	local name=$1 pre=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pre+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	vcd_sock=$vcd_dir/$name.sock
	vcd_log=$vcd_dir/$name.log
	"${pre[@]}" "$VCD" --socket-path "$vcd_sock" "$@" >"$vcd_log" 2>&1 &
	vcd_pid=$!
	vcd_pids+=("$vcd_pid")
	for _ in $(seq 300); do
		[ -S "$vcd_sock" ] && return 0
		kill -0 "$vcd_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# vcryptod $name did not come up; its log:"
	sed 's/^/#   /' "$vcd_log"
	return 1
}

# vcd_stop PID: SIGTERM, wait up to 20 s; sets vcd_rc to the exit status
# (124 = did not exit).
vcd_stop() {
	local p=$1
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 200); do
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p"
			vcd_rc=$?
			return
		fi
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	vcd_rc=124
}
