# Guest case (second peer stack): one vhost-user device with queues=2. First
# virtio_cryptodev limited to data queue 0 (max_queues=1: what to run there),
# then using both queues round-robin, which shows what QEMU does with
# requests on data queue 1 (the module is in the initramfs, not loaded by
# /init, so the case chooses its parameters). Its output is a finding, so cdev_test's own
# lines of the second run are summed up, not passed on.
. /lib/tap.sh
V=/sys/bus/virtio
dev() { set -- $(ls $V/drivers/virtio_cryptodev 2>/dev/null | grep '^virtio'); echo "${1:-none}"; }
check "insmod virtio_cryptodev max_queues=1" insmod /lib/modules/vc/virtio_cryptodev.ko max_queues=1
d=$(dev)
note "$d: $(cat $V/devices/$d/vcdev_requests 2>/dev/null | wc -w) data queue(s) used"
cdev_test vectors --expect-hmac
cdev_test hmac
r=$(cat $V/devices/$d/vcdev_requests)
[ "$(echo $r | wc -w)" = 1 ] && ok "max_queues=1 on a queues=2 device: all requests on data queue 0 ($r)" ||
	not_ok "max_queues=1: requests per queue $r"
check "rmmod virtio_cryptodev" rmmod virtio_cryptodev

check "insmod virtio_cryptodev (all data queues)" insmod /lib/modules/vc/virtio_cryptodev.ko
d=$(dev)
n=$(cat $V/devices/$d/vcdev_requests | wc -w)
[ "$n" = 2 ] && ok "the device offers 2 data queues and the module uses both" ||
	not_ok "the module uses $n data queue(s) on a queues=2 device"
timeout -s KILL 30 cdev_test vectors --expect-hmac >/tmp/rr.out 2>&1
rc=$?
set -- $(cat $V/devices/$d/vcdev_requests)
q0=$1 q1=$2
[ "$q1" -gt 0 ] && ok "round-robin put $q1 requests on data queue 1 ($q0 on queue 0)" ||
	not_ok "no request went to data queue 1 ($q0 $q1)"
good=$(grep -c '^ok' /tmp/rr.out)
bad=$(grep -c '^not ok' /tmp/rr.out)
nsup=$(grep -c '^not ok.*Operation not supported' /tmp/rr.out)
note "STACK-FINDING queues: round-robin over 2 data queues: cdev_test vectors exit $rc" \
	"($( [ $rc = 137 ] && echo "killed after 30 s: a request never completed" || echo finished))," \
	"$good ok, $bad not ok ($nsup EOPNOTSUPP), requests q0=$q0 q1=$q1, in flight $(cat $V/devices/$d/vcdev_inflight)"
grep '^not ok' /tmp/rr.out | head -n 4 | sed 's/^/#   /'
echo "STACK-FINDING-RR rc=$rc ok=$good notok=$bad nsup=$nsup q1=$q1"
exit 0
