# TAP helpers for guest case scripts (busybox sh). Source with ". /lib/tap.sh".
_n=0
ok()     { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); echo "not ok $_n - $*"; _failed=1; }
skip()   { _n=$((_n + 1)); echo "ok $_n - # SKIP $*"; }
note()   { echo "# $*"; }
# check DESC CMD...: ok if CMD exits 0; its output is shown as comments.
check() {
	_d=$1; shift
	if _o=$("$@" 2>&1); then ok "$_d"; else not_ok "$_d"; fi
	[ -n "$_o" ] && printf '%s\n' "$_o" | sed 's/^/#   /'
	return 0
}
