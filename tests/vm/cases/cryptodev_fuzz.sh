# Guest case: cdev_fuzz (seeded random ioctls on /dev/crypto, threads,
# CRIOGET dups, closes, SIGKILLed children) against two vcryptod devices.
# Pass: the fuzzer finishes, the harness finds no WARNING/BUG/Oops in the
# kernel log, every device session and request is given back, and the
# unreclaimable slab comes back to where it was (within a tolerance).
. /lib/tap.sh

V=/sys/bus/virtio
OURS=$V/drivers/virtio_cryptodev
set -- $(ls $OURS | grep '^virtio')
d0=$1 d1=$2
[ -n "$d0" ] && [ -n "$d1" ] && ok "virtio_cryptodev bound two devices ($d0 $d1)" ||
	not_ok "virtio_cryptodev bound two devices ($*)"
sum() { echo $(($(cat $V/devices/$d0/$1) + $(cat $V/devices/$d1/$1))); }
settle() {
	i=0
	while { [ "$(sum vcdev_sessions)" != 0 ] || [ "$(sum vcdev_inflight)" != 0 ]; } && [ $i -lt 150 ]; do
		sleep 0.2; i=$((i + 1))
	done
}
sunreclaim() { sync; echo 3 >/proc/sys/vm/drop_caches; awk '/^SUnreclaim:/ {print $2}' /proc/meminfo; }

# warm the slab caches the module uses, then take the baseline
cdev_fuzz -s 1 -n 200 -t 2 -F 1 >/dev/null
settle
before=$(sunreclaim)

# regression seeds (deterministic: one thread, no forks), then the random run
for s in $(cat /etc/fuzz_seeds 2>/dev/null); do
	check "cdev_fuzz regression seed $s" cdev_fuzz -s "$s" -n 3000 -t 1 -F 0
done
args=$(cat /etc/fuzz_args 2>/dev/null || echo "-n 10000 -t 4 -F 20")
cdev_fuzz $args
rc=$?
[ $rc = 0 ] || not_ok "cdev_fuzz $args exited $rc"
if [ -x /bin/cdev_fuzz32 ]; then
	note "the same, 32-bit (compat_ioctl):"
	cdev_fuzz32 $args
	rc=$?
	[ $rc = 0 ] || not_ok "cdev_fuzz32 $args exited $rc"
else
	skip "32-bit cdev_fuzz: not built (needs gcc-multilib on the build host)"
fi
settle
check "fuzz: no device session left" test "$(sum vcdev_sessions)" = 0
check "fuzz: every request given back" test "$(sum vcdev_inflight)" = 0
after=$(sunreclaim)
note "SUnreclaim before ${before} kB, after ${after} kB"
# slab pages partly used after the churn leave it 0.6-1 MiB higher whatever
# the run length (40 k or 5.5 M ioctls); a leak of the 40 k sessions a long run makes
# shows as megabytes
[ $((after - before)) -lt 2048 ] && ok "fuzz: unreclaimable slab back within 2 MiB ($before -> $after kB)" ||
	not_ok "fuzz: unreclaimable slab back within 2 MiB ($before -> $after kB)"
check "the devices serve after the fuzz" cdev_test stress -p 2 -t 2 -n 20
check "rmmod after the fuzz" rmmod virtio_cryptodev
check "insmod again" insmod /lib/modules/vc/virtio_cryptodev.ko
exit 0
