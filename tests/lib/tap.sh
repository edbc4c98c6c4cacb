# The one TAP library of the shell tests: host-side .t scripts (bash) source
# it as tests/lib/tap.sh, guest case scripts (busybox sh) as /lib/tap.sh
# (tests/vm/vmrun.sh puts it there). POSIX sh only.
#
#   ok DESC / not_ok DESC (nok DESC)   one result
#   skip DESC                          "ok N - # SKIP DESC"
#   note TEXT                          a comment line
#   check DESC CMD...                  ok when CMD exits 0; its output follows as comments
#   expect DESC SHELL-EXPR             ok when the expression (eval'd) is true
#   tap_exit                           exit 1 if anything failed, else 0
#
# TAP_PREFIX, when set, starts every description (e.g. "[qemu-7.2/linux-6.1] ").
# tap_failed is 1 once a result failed; tap_n counts the results.
tap_n=0
tap_failed=0
ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - ${TAP_PREFIX:-}$*"
}
not_ok() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - ${TAP_PREFIX:-}$*"
	tap_failed=1
}
nok() { not_ok "$@"; }
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - ${TAP_PREFIX:-}# SKIP $*"
}
note() { echo "# $*"; }
# The command runs in this shell (a function it calls may set variables); its
# output goes to a file first, so nothing it prints can pass for a TAP line.
check() {
	_tap_d=$1
	shift
	_tap_o=${TMPDIR:-/tmp}/tap-check.$$
	if "$@" >"$_tap_o" 2>&1; then ok "$_tap_d"; else not_ok "$_tap_d"; fi
	[ -s "$_tap_o" ] && sed 's/^/#   /' "$_tap_o"
	rm -f "$_tap_o"
	return 0
}
expect() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}
tap_exit() { exit "$tap_failed"; }
