# Guest case: /dev/crypto (virtio_cryptodev.ko) on two devices served by
# QEMU's builtin cryptodev backend.  The stock virtio_crypto driver loads
# first and takes both; one device is moved to ours (unbind/bind).  Then:
# conformance, bad input, load, a killed process, close with requests in
# flight, rmmod while in use, the stock driver and ours side by side, both
# devices on ours (requests spread), unbind/rebind under load.
. /lib/tap.sh
. /lib/cdev_lib.sh

STOCK=$V/drivers/virtio_crypto
devs=""
for d in $V/devices/*; do
	[ "$(cat $d/device)" = 0x0014 ] && devs="$devs ${d##*/}"
done
set -- $devs
d0=$1 d1=$2
note "virtio-crypto devices: $devs; stock has: $(ls $STOCK | grep virtio | tr '\n' ' ')"
move() { # move DEV FROM TO
	echo "$1" >"$2/unbind" && echo "$1" >"$3/bind"
}
cdev_test nodev
check "give $d1 to virtio_cryptodev (unbind from virtio_crypto, bind)" move $d1 $STOCK $OURS
[ -e $OURS/$d1 ] && [ -e $STOCK/$d0 ] && ok "$d0 on virtio_crypto, $d1 on virtio_cryptodev" ||
	not_ok "$d0 on virtio_crypto, $d1 on virtio_cryptodev"

sessions() { cat $V/devices/$d1/vcdev_sessions 2>/dev/null; }
# wait_sessions N: device sessions drop to N within 20 s
wait_sessions() {
	i=0
	while [ "$(sessions)" != "$1" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	[ "$(sessions)" = "$1" ]
}
[ -c /dev/crypto ] && ok "/dev/crypto exists" || not_ok "/dev/crypto exists"

cdev_test sessinfo
cdev_test vectors
cdev_test random
cdev_test errors
cdev_test signals
note "CIOCAUTHCRYPT (cdev_aead): GCM from device AES-CTR + guest GHASH; TLS/SRTP need HMAC (SKIP here)"
for c in gcm tls srtp errors; do cdev_aead $c; done
# cryptodev-linux semantics; hash/MAC cases SKIP (the builtin backend has none)
race=$(cat /etc/race_seconds 2>/dev/null || echo 10)
cdev_compat --builtin hash cphash chain null errors caps inline
# hybrid polling (ciphers and GCM here): at the default, off, wide open
PP=/sys/module/virtio_cryptodev/parameters/poll_us
pdef=$(cat $PP)
for p in $pdef 0 1000; do
	echo $p >$PP
	cdev_compat --builtin poll
done
echo $pdef >$PP
cdev_compat --builtin -T "$race" race
check "no device session left behind by the race" wait_sessions 0
if [ -x /bin/cdev_compat32 ]; then
	note "cdev_compat, 32-bit (compat_ioctl):"
	cdev_compat32 --builtin cphash null errors inline
else
	skip "32-bit cdev_compat: not built (needs gcc-multilib on the build host)"
fi
if [ -x /bin/cdev_test32 ]; then
	note "32-bit program (compat_ioctl):"
	cdev_test32 sessinfo
	cdev_test32 vectors
	cdev_test32 errors
	cdev_aead32 emit >/tmp/aead32.out; cdev_aead verify /tmp/aead32.out
	cdev_aead32 errors
	cdev_test32 random --max 65536
else
	skip "32-bit compat_ioctl: cdev_test32 not built (needs gcc-multilib on the build host)"
fi
check "no device session left behind by the tests above" wait_sessions 0
# side by side: the stock driver on d0 through AF_ALG, ours on d1
cdev_test afalg-cbc virtio_crypto_aes_cbc
cdev_test stress -p 8 -t 4 -n 400
check "no device session left after the load" wait_sessions 0

# A process killed while its requests are in flight (1 MiB each).
inflight() { cat $V/devices/$d1/vcdev_inflight; }
kill_in_flight
note "killed cdev_test hold (pid $pid): exit $kill_rc"
check "killed process: its sessions are destroyed on the device" wait_sessions 0
check "killed process: the device gave every request back" test "$(inflight)" = 0
check "device serves after the kill" cdev_test sessinfo

cdev_test close-inflight
check "no device session left after close with requests in flight" wait_sessions 0

CDEV_DEVS=$d1
cdev_async_suite nomac "QEMU's builtin backend has no hash or MAC sessions (chaining)"

# The module cannot go while /dev/crypto is open; it can afterwards.
exec 5</dev/crypto
if rmmod virtio_cryptodev 2>/dev/null; then not_ok "rmmod refused while /dev/crypto is open"; else ok "rmmod refused while /dev/crypto is open"; fi
exec 5<&-
check "rmmod once /dev/crypto is closed" rmmod virtio_cryptodev
[ -e $STOCK/$d0 ] && [ ! -e $V/devices/$d1/driver ] && ok "$d1 unbound, $d0 still on virtio_crypto" ||
	not_ok "$d1 unbound, $d0 still on virtio_crypto"
check "insmod again: binds the free device" insmod /lib/modules/vc/virtio_cryptodev.ko
[ -e $OURS/$d1 ] && ok "$d1 on virtio_cryptodev again" || not_ok "$d1 on virtio_cryptodev again"
check "device serves after reload" cdev_test sessinfo

# Both devices on ours: sessions alternate between them.
check "give $d0 to virtio_cryptodev too" move $d0 $STOCK $OURS
cdev_test stress -p 2 -t 4 -n 50
r0=$(cat $V/devices/$d0/vcdev_requests) r1=$(cat $V/devices/$d1/vcdev_requests)
[ "${r0:-0}" -gt 0 ] && [ "${r1:-0}" -gt 0 ] && ok "requests spread over both devices ($r0, $r1)" ||
	not_ok "requests spread over both devices ($r0, $r1)"

CDEV_DEVS="$d0 $d1"
unbind_under_load $d1 6
exit 0
