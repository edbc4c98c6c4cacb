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
exit 0
