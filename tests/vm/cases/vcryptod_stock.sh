# Guest case: the stock virtio_crypto driver served by vcryptod over vhost-user.
. /lib/tap.sh
# Until the self-test has a verdict: a 6.12 guest can show a second entry
# with "selftest : unknown" while the test runs.
st=""
for i in $(seq 1 40); do
	st=$(awk '/^driver/ { d = $3 } /^selftest/ && d == "virtio_crypto_aes_cbc" { print $3 }' /proc/crypto |
		sort -u | tr '\n' ' ')
	st=${st% }
	case "$st" in "" | *unknown*) sleep 0.5 ;; *) break ;; esac
done
if [ "$st" = passed ]; then
	ok "/proc/crypto: virtio_crypto_aes_cbc selftest : passed (vcryptod)"
else
	not_ok "/proc/crypto: virtio_crypto_aes_cbc selftest is '${st:-absent}'"
fi
for f in /sys/bus/virtio/devices/*; do
	[ "$(cat $f/device 2>/dev/null)" = 0x0014 ] && note "virtio-crypto features: $(cat $f/features)"
done
# NIST SP 800-38A CBC vectors and random buffers vs cbc(aes-generic).
afalg_test --driver virtio_crypto_aes_cbc --max-size ${VCD_MAX_SIZE:-65536} --rounds ${VCD_ROUNDS:-2}
exit 0
