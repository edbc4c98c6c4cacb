# Shared by the guest cases of the stock virtio_crypto driver
# (vcryptod_stock.sh, vcryptod_restart.sh, stock_builtin.sh): vmrun.sh puts
# it in every guest as /lib/stock_lib.sh; source it after /lib/tap.sh.

# selftest_wait DRIVER TRIES: sets st to the self-test results /proc/crypto
# lists for DRIVER (sorted, unique, space-separated). The test runs
# asynchronously after the driver registers (6.12 lists an entry as
# "unknown" until its test has run, and can show a second entry meanwhile):
# waits, TRIES times 0.5 s at most, until every entry has a result.
selftest_wait() {
	for _i in $(seq "$2"); do
		st=$(awk -v drv="$1" '/^driver/ { d = $3 } /^selftest/ && d == drv { print $3 }' /proc/crypto |
			sort -u | tr '\n' ' ')
		st=${st% }
		case "$st" in "" | *unknown*) sleep 0.5 ;; *) break ;; esac
	done
}

# selftest_ok DRIVER TRIES PREFIX [SUFFIX]: selftest_wait, then one result:
# "PREFIXDRIVER selftest : passedSUFFIX", or what the self-tests said.
selftest_ok() {
	selftest_wait "$1" "$2"
	if [ "$st" = passed ]; then
		ok "$3$1 selftest : passed${4:-}"
	else
		not_ok "$3$1 selftest is '${st:-absent}'"
	fi
}
