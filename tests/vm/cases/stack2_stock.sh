# Guest case (second peer stack: QEMU 10.0, guest 6.12, MSI-X on): the stock
# virtio_crypto driver served by vcryptod. The stack-independent part is the
# same case as on Debian 12's stack; then what differs on this stack.
. /lib/tap.sh
sh /lib/vcryptod_stock.sh
# The stock driver with MSI-X: one vector for config changes, the queues on
# others ("virtioN-config", "virtioN-virtqueues" or per queue), none on INTx.
dev=""
for f in /sys/bus/virtio/devices/*; do
	[ "$(cat $f/device 2>/dev/null)" = 0x0014 ] && dev=${f##*/}
done
msix=$(grep -c "PCI-MSI.*$dev-" /proc/interrupts)
grep "$dev" /proc/interrupts | sed 's/^ */# /'
[ "${msix:-0}" -ge 2 ] && ok "virtio-crypto device $dev runs with MSI-X ($msix vectors)" ||
	not_ok "virtio-crypto device $dev has no MSI-X vectors (vectors=0 or INTx)"
# RSA: the stock driver registers virtio rsa only when the device advertises
# the AKCIPHER service; QEMU's vhost-user backend does not (as on QEMU 7.2).
if grep -q 'virtio-crypto-rsa' /proc/crypto; then
	not_ok "QEMU 10 advertises AKCIPHER over vhost-user now: virtio-crypto-rsa registered (update the README stack table)"
else
	ok "no AKCIPHER on vhost-user: the stock driver registers no virtio-crypto-rsa (CIPHER, HASH, MAC only)"
fi
exit 0
