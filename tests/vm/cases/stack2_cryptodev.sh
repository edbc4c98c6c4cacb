# Guest case (second peer stack: QEMU 10.0, guest 6.12, MSI-X on):
# virtio_cryptodev.ko built for 6.12 on one vhost-user device (queues=1)
# served by vcryptod: NIST/IEEE/RFC vectors incl. HMAC, random HMAC against
# AF_ALG, and every bad argument's errno.
. /lib/tap.sh
V=/sys/bus/virtio
set -- $(ls $V/drivers/virtio_cryptodev 2>/dev/null | grep '^virtio')
d=${1:-}
[ -n "$d" ] && ok "virtio_cryptodev ($(uname -r)) bound $d" || not_ok "virtio_cryptodev bound no device"
dmesg | grep -o '/dev/crypto device 0:.*' | sed 's/^/# /'
grep -q "PCI-MSI.*$d-" /proc/interrupts && ok "$d uses MSI-X" || not_ok "$d has no MSI-X vector"
cdev_test vectors --expect-hmac
cdev_test hmac
cdev_test errors
note "requests per data queue: $(cat $V/devices/$d/vcdev_requests)"

# RSA over vhost-user: the config space advertises no AKCIPHER, so no stock
# driver asks. The test probe driver asks anyway: one RSA session request,
# one raw RSA encryption; the host compares the result with OpenSSL.
if [ -f /lib/modules/vc/vcd_akprobe.ko ]; then
	check "unbind $d from virtio_cryptodev" sh -c "echo $d >$V/drivers/virtio_cryptodev/unbind"
	check "insmod vcd_akprobe (binds $d)" insmod /lib/modules/vc/vcd_akprobe.ko \
		key=$(cat /etc/akprobe.key) msg=$(cat /etc/akprobe.msg)
	dmesg | grep -o 'akprobe: .*' | sed 's/^/AKPROBE /'
fi
exit 0
