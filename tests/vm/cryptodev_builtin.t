#!/bin/bash
# /dev/crypto in a guest with two devices on QEMU's builtin backend: ABI
# conformance (NIST, IEEE 1619 vectors; equal to the guest's software
# drivers 16 B..1 MiB), bad input, 8x4 concurrency, killed process, close
# in flight, rmmod while open, coexistence with the stock driver, spread
# over two devices, unbind/rebind under load; the async interface
# (cdev_async: CIOCASYNCCRYPT/FETCH, poll, = OpenSSL).  One boot, 2 vCPUs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/guest-bin/cdev_test" "$B/guest-bin/cdev_aead" "$B/guest-bin/cdev_compat" "$B/guest-bin/cdev_async"; do
	[ -e "$f" ] || { echo "not ok - $f missing (make all)"; exit 1; }
done
extra=(-f "$B/guest-bin/cdev_async")
# the 32-bit builds exercise compat_ioctl (built when gcc-multilib is there)
[ -e "$B/guest-bin/cdev_test32" ] && extra+=(-f "$B/guest-bin/cdev_test32")
[ -e "$B/guest-bin/cdev_aead32" ] && extra+=(-f "$B/guest-bin/cdev_aead32")
[ -e "$B/guest-bin/cdev_async32" ] && extra+=(-f "$B/guest-bin/cdev_async32")
[ -e "$B/guest-bin/cdev_compat32" ] && extra+=(-f "$B/guest-bin/cdev_compat32")
# SLUB poisons and checks the small kmalloc caches (sessions live there), so
# a write to a freed session (the create/free race) shows as a guest "BUG".
# the session create/free race runs VCRYPTO_RACE_SECONDS (default 10 s here)
dir=$(mktemp -d /tmp/cdev-bi.XXXXXX)
trap 'rm -rf "$dir"' EXIT
slub="slub_debug=FZP,kmalloc-128,kmalloc-192,kmalloc-256"
echo "${VCRYPTO_RACE_SECONDS:-10}" >"$dir/race_seconds"
"$top/tests/vm/vmrun.sh" -n cryptodev-builtin -b -b -C 2 -t $((240 + ${VCRYPTO_RACE_SECONDS:-10})) \
	-m virtio_pci -m virtio_crypto -m algif_skcipher -m ecb -m ctr -m xts -m ghash_generic -m "$ko" \
	-K "$slub" -f "$B/guest-bin/cdev_test" -f "$B/guest-bin/cdev_aead" -f "$B/guest-bin/cdev_compat" \
	-f "$dir/race_seconds:/etc/race_seconds" -f "$top/tests/vm/cases/cdev_lib.sh:/lib/cdev_lib.sh" \
	"${extra[@]}" -c "$top/tests/vm/cases/cryptodev_builtin.sh"
