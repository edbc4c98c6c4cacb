# Guest case: vcryptod's afalg and cryptodev engines against this guest
# kernel's AF_ALG and the guest module's /dev/crypto, compared with OpenSSL.
. /lib/tap.sh
vcd_guest_engines --engine afalg
if [ -c /dev/crypto ]; then
	note "/dev/crypto present: $(ls -l /dev/crypto)"
	vcd_guest_engines --engine cryptodev
else
	skip "engine cryptodev: no /dev/crypto in the guest (waits for the guest module virtio_cryptodev.ko)"
fi
exit 0
