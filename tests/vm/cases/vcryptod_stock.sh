# Guest case: the stock virtio_crypto driver served by vcryptod over vhost-user.
. /lib/tap.sh
. /lib/stock_lib.sh
selftest_ok virtio_crypto_aes_cbc 40 "/proc/crypto: " " (vcryptod)"
for f in /sys/bus/virtio/devices/*; do
	[ "$(cat $f/device 2>/dev/null)" = 0x0014 ] && note "virtio-crypto features: $(cat $f/features)"
done
# NIST SP 800-38A CBC vectors and random buffers vs cbc(aes-generic).
afalg_test --driver virtio_crypto_aes_cbc --max-size ${VCD_MAX_SIZE:-65536} --rounds ${VCD_ROUNDS:-2}
exit 0
