# Shared by the vproc host tests, the VM test and the benchmark (bash).
# Source after setting B (build dir). Gives TAP helpers, a temp dir with
# keys and signed samples, and vprocd start/stop helpers.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

vp_daemon_pids=()
vp_cleanup() {
	local p
	for p in "${vp_daemon_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${vp_daemon_pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${vp_dir:-}" ] && rm -rf "$vp_dir"
}

# vp_setup: temp dir, an Ed25519 key k (trusted), an untrusted key w,
# signed samples hello/upper/probe (version 1) as $vp_dir/NAME.sig.
vp_setup() {
	vp_dir=$(mktemp -d "${TMPDIR:-/tmp}/vproc-test.XXXXXX")
	trap vp_cleanup EXIT
	"$B/vsign" keygen -o "$vp_dir/k" >/dev/null || return 1
	"$B/vsign" keygen -o "$vp_dir/w" >/dev/null || return 1
	local s
	for s in hello upper probe; do
		"$B/vsign" sign -k "$vp_dir/k" --name "$s" --version 1 "$B/samples/$s" \
			-o "$vp_dir/$s.sig" || return 1
	done
}

# vp_start NAME ARGS...: vprocd on $vp_dir/NAME.sock, log $vp_dir/NAME.log
vp_start() {
	local name=$1; shift
	vp_start_wrapped "$name" -- "$@"
}

# vp_start_wrapped NAME WRAPPER... -- ARGS...: vp_start with a launcher in front
vp_start_wrapped() {
	local name=$1 w=()
	shift
	while [ "$1" != "--" ]; do w+=("$1"); shift; done
	shift
	rm -f "$vp_dir/$name.sock"
	"${w[@]}" "$B/vprocd" -s "$vp_dir/$name.sock" "$@" 2>>"$vp_dir/$name.log" &
	vp_daemon_pids+=($!)
	vp_last_pid=$!
	for _ in $(seq 100); do
		[ -S "$vp_dir/$name.sock" ] && return 0
		kill -0 "$vp_last_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "# vprocd $name did not start:"; sed 's/^/#   /' "$vp_dir/$name.log"
	return 1
}

vp_stop() { # PID
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# vp_batch SOCKNAME OUTNAME < commands: one vloader connection
vp_batch() {
	VMMCALL_TIMEOUT_MS=${VMMCALL_TIMEOUT_MS:-5000} timeout 60 "$B/vloader" -D "$vp_dir/$1.sock" batch >"$vp_dir/$2.out" 2>&1
}

# vp_section OUT NAME: the lines after "== NAME" up to the next "=="
vp_section() {
	awk -v n="== $2" '$0 == n { on = 1; next } /^== / { on = 0 } on' "$vp_dir/$1.out"
}

# vp_expect OUT NAME REGEX DESC: the section matches the (grep -E) regex
vp_expect() {
	local s
	s=$(vp_section "$1" "$2")
	if printf '%s\n' "$s" | grep -qE -- "$3"; then
		ok "$4"
	else
		nok "$4"
		printf '%s\n' "$s" | sed 's/^/#   got: /'
	fi
}

# vp_begin: the start every vproc test shares: keys and signed samples in
# $d (vp_setup), the sample programs in $S; a failed setup ends the test.
vp_begin() {
	vp_setup || { echo "not ok 1 - setup (keys, signing)"; exit 1; }
	d=$vp_dir
	S=$B/samples
}
