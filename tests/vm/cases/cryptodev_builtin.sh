# Guest case: /dev/crypto (virtio_cryptodev.ko) on QEMU's builtin
# cryptodev backend.  Conformance, bad input, load, a killed process,
# close with requests in flight, rmmod with the device in use.
. /lib/tap.sh

sysdev=$(grep -l . /sys/bus/virtio/drivers/virtio_cryptodev/virtio*/vcdev_sessions 2>/dev/null | head -1)
sysdev=${sysdev%/vcdev_sessions}
[ -c /dev/crypto ] && ok "/dev/crypto exists" || not_ok "/dev/crypto exists"
[ -n "$sysdev" ] && ok "virtio_cryptodev bound ${sysdev##*/}" || not_ok "virtio_cryptodev bound a device"
sessions() { cat "$sysdev/vcdev_sessions" 2>/dev/null; }
# wait_sessions N: device sessions drop to N within 20 s
wait_sessions() {
	i=0
	while [ "$(sessions)" != "$1" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	[ "$(sessions)" = "$1" ]
}

cdev_test sessinfo
cdev_test vectors
cdev_test random
cdev_test errors
check "no device session left behind by the tests above" wait_sessions 0

cdev_test stress -p 8 -t 4 -n 400
check "no device session left after the load" wait_sessions 0

# A process killed while its requests are in flight (1 MiB each).
cdev_test hold -t 4 -s 1048576 -T 60 &
pid=$!
sleep 3
kill -9 $pid
wait $pid 2>/dev/null
note "killed cdev_test hold (pid $pid): exit $?"
check "killed process: its sessions are destroyed on the device" wait_sessions 0
check "device serves after the kill" cdev_test sessinfo

cdev_test close-inflight
check "no device session left after close with requests in flight" wait_sessions 0

# The module cannot go while /dev/crypto is open; it can afterwards.
exec 5</dev/crypto
if rmmod virtio_cryptodev 2>/dev/null; then not_ok "rmmod refused while /dev/crypto is open"; else ok "rmmod refused while /dev/crypto is open"; fi
exec 5<&-
check "rmmod once /dev/crypto is closed" rmmod virtio_cryptodev
check "insmod again" insmod /lib/modules/vc/virtio_cryptodev.ko
sysdev=/sys/bus/virtio/devices/${sysdev##*/}
check "device serves after reload" cdev_test sessinfo
note "requests per data queue: $(cat $sysdev/vcdev_requests 2>/dev/null)"
