# Guest case: vcryptod's afalg and cryptodev engines against this guest
# kernel's AF_ALG and the guest module's /dev/crypto, compared with OpenSSL;
# then again under vcryptod's seccomp filter for that engine (kill mode: a
# call outside the allowlist ends the program with SIGSYS, exit status 159).
. /lib/tap.sh
sandboxed() {
	vcd_guest_engines --engine "$1" --seccomp
	_rc=$?
	if [ $_rc = 0 ]; then
		ok "engine $1: every check ran to the end under vcryptod's seccomp filter"
	else
		not_ok "engine $1 under vcryptod's seccomp filter: exit status $_rc (159: killed by SIGSYS)"
	fi
}
vcd_guest_engines --engine afalg
sandboxed afalg
if [ -c /dev/crypto ]; then
	note "/dev/crypto present: $(ls -l /dev/crypto)"
	vcd_guest_engines --engine cryptodev
	sandboxed cryptodev
else
	skip "engine cryptodev: no /dev/crypto in the guest (waits for the guest module virtio_cryptodev.ko)"
fi
exit 0
