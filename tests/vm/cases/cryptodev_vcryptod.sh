# Guest case: /dev/crypto (virtio_cryptodev.ko) on two virtio-crypto
# devices served by vcryptod over vhost-user (one daemon each, queues=1:
# QEMU 7.2 starts only data queue 0).  The same conformance suite as on
# the builtin backend, plus HMAC (MAC-only and cipher+MAC chaining
# sessions), which QEMU's builtin backend cannot do.
. /lib/tap.sh
. /lib/cdev_lib.sh

set -- $(ls $OURS | grep '^virtio')
d0=$1 d1=$2
CDEV_DEVS="$d0 $d1"
[ -n "$d0" ] && [ -n "$d1" ] && ok "virtio_cryptodev bound two devices ($d0 $d1)" ||
	not_ok "virtio_cryptodev bound two devices ($*)"
total_sessions() { cdev_sum vcdev_sessions; }
wait_sessions() {
	i=0
	while [ "$(total_sessions)" != "$1" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	[ "$(total_sessions)" = "$1" ]
}

cdev_test sessinfo
cdev_test vectors --expect-hmac
cdev_test random
cdev_test hmac
cdev_test digest
cdev_test chain
cdev_test errors
note "CIOCAUTHCRYPT (cdev_aead, OpenSSL references): GCM, TLS, SRTP, bad arguments"
for c in gcm tls srtp errors; do cdev_aead --expect-mac $c; done
# cryptodev-linux semantics, expected values from OpenSSL in the program
race=$(cat /etc/race_seconds 2>/dev/null || echo 20)
PP=/sys/module/virtio_cryptodev/parameters/poll_us
pdef=$(cat $PP)
note "hybrid polling: poll_us default $pdef"
cdev_compat hash cphash chain null errors caps inline poll
# Multi-part hashes past the gather caps go on in the guest kernel's
# software hash (vcdev_sw_fallbacks counts them): 40 MiB against OpenSSL.
note "40 MiB hashes past the gather caps (software fallback):"
cdev_compat bighash
cdev_compat -T "$race" race
check "no device session left behind by the race" wait_sessions 0
if [ -x /bin/cdev_compat32 ]; then
	note "cdev_compat, 32-bit (compat_ioctl; AF_ALG references):"
	cdev_compat32 hash cphash chain null errors inline
else
	skip "32-bit cdev_compat: not built (needs gcc-multilib on the build host)"
fi
if [ -x /bin/cdev_test32 ]; then
	note "32-bit program (compat_ioctl):"
	cdev_test32 vectors --expect-hmac
	cdev_test32 hmac
	cdev_test32 chain
	cdev_aead32 emit >/tmp/aead32.out; cdev_aead --expect-mac verify /tmp/aead32.out
	cdev_aead32 --expect-mac errors
else
	skip "32-bit compat_ioctl: cdev_test32 not built (needs gcc-multilib on the build host)"
fi
check "no device session left behind by the tests above" wait_sessions 0

cdev_async_suite mac
# Hybrid polling off and wide open: the compat cases again (with 8 threads,
# async jobs, signals, a killed process: cdev_compat poll), the async
# interface, the 8x4 load; then the default back.
for p in 0 1000; do
	echo $p >$PP
	note "poll_us=$(cat $PP):"
	cdev_compat hash cphash chain null errors inline poll
	for c in basic queue threads; do cdev_async $c; done
	cdev_test stress -p 8 -t 4 -n 50
	check "poll_us=$p: no device session left behind" wait_sessions 0
done
[ -x /bin/cdev_compat32 ] && cdev_compat32 poll
echo $pdef >$PP
cdev_test stress -p 8 -t 4 -n 100
r0=$(cat $V/devices/$d0/vcdev_requests) r1=$(cat $V/devices/$d1/vcdev_requests)
[ "${r0:-0}" -gt 0 ] && [ "${r1:-0}" -gt 0 ] && ok "requests spread over both devices ($r0, $r1)" ||
	not_ok "requests spread over both devices ($r0, $r1)"

inflight() { cdev_sum vcdev_inflight; }
kill_in_flight
check "killed process: its sessions are destroyed on the devices" wait_sessions 0
check "killed process: the devices gave every request back" test "$(inflight)" = 0

unbind_under_load $d1 5
check "async across unbind: no device session left" wait_sessions 0

# rmmod right after a process with async jobs in flight was killed: the
# jobs the devices still have are failed and freed by the module's exit.
cdev_async hold 60 >/dev/null &
pid=$!
sleep 1.5
i=0
while [ "$(async_inflight)" = 0 ] && [ $i -lt 500 ]; do i=$((i + 1)); done
n=$(async_inflight)
kill -9 $pid
wait $pid 2>/dev/null
note "async jobs in flight when killed: $n; left at rmmod: $(async_inflight)"
check "rmmod right after the kill" rmmod virtio_cryptodev
check "insmod again" insmod /lib/modules/vc/virtio_cryptodev.ko
check "the devices serve after reload" cdev_test stress -p 1 -t 2 -n 10
exit 0
