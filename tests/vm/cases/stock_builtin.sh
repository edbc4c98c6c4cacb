# Guest case: the stock virtio_crypto driver on QEMU's builtin cryptodev backend.
. /lib/tap.sh
# The self-test runs asynchronously after the driver registers; give it a moment.
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q virtio_crypto_aes_cbc /proc/crypto && break
	sleep 0.5
done
st=$(awk '/^driver/ { d = $3 } /^selftest/ && d == "virtio_crypto_aes_cbc" { print $3 }' /proc/crypto)
if [ "$st" = passed ]; then
	ok "/proc/crypto: virtio_crypto_aes_cbc selftest : passed"
else
	not_ok "/proc/crypto: virtio_crypto_aes_cbc selftest is '${st:-absent}'"
fi
afalg_test --driver virtio_crypto_aes_cbc --max-size 65536 --rounds 3
