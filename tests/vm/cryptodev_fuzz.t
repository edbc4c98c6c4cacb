#!/bin/bash
# cdev_fuzz in a guest on two vcryptod devices (with slub_debug): random
# ioctls on /dev/crypto; no WARNING/BUG/Oops, no leaked session, request
# or slab.  make check: a fixed-count run (VCRYPTO_FUZZ_ARGS overrides);
# make fuzz: FUZZ_SECONDS of it (VCRYPTO_FUZZ_SECONDS).
# Regression seeds: tests/vm/cryptodev/fuzz_seeds (one per line).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/guest-bin/cdev_fuzz" "$B/guest-bin/cdev_test" "$B/vcryptod"; do
	[ -e "$f" ] || { echo "not ok - $f missing (make all)"; exit 1; }
done
dir=$(mktemp -d /tmp/cdev-fuzz.XXXXXX)
trap 'rm -rf "$dir"' EXIT
secs=${VCRYPTO_FUZZ_SECONDS:-0}
if [ "$secs" -gt 0 ]; then
	echo "-T $secs -t 4 -F 1000 -v ${VCRYPTO_FUZZ_SEED:+-s $VCRYPTO_FUZZ_SEED}" >"$dir/fuzz_args"
else
	echo "${VCRYPTO_FUZZ_ARGS:--n 10000 -t 4 -F 20 -v}" >"$dir/fuzz_args"
fi
grep -v '^#' "$top/tests/vm/cryptodev/fuzz_seeds" 2>/dev/null >"$dir/fuzz_seeds"
extra=()
[ -e "$B/guest-bin/cdev_fuzz32" ] && extra+=(-f "$B/guest-bin/cdev_fuzz32")
slub="slub_debug=FZP,kmalloc-64,kmalloc-128,kmalloc-192,kmalloc-256,kmalloc-512"
exec "$top/tests/vm/vmrun.sh" -n cryptodev-fuzz -C 2 -t $((240 + secs)) \
	-d "$B/vcryptod --socket-path $dir/a.sock --queues 1" -w "$dir/a.sock" -u "$dir/a.sock" \
	-d "$B/vcryptod --socket-path $dir/b.sock --queues 1" -w "$dir/b.sock" -u "$dir/b.sock" \
	-m virtio_pci -m algif_skcipher -m algif_hash -m ecb -m ctr -m xts -m sha512_generic \
	-m ghash_generic -m "$ko" -K "$slub" -f "$B/guest-bin/cdev_fuzz" -f "$B/guest-bin/cdev_test" \
	-f "$dir/fuzz_args:/etc/fuzz_args" -f "$dir/fuzz_seeds:/etc/fuzz_seeds" \
	"${extra[@]}" -c "$top/tests/vm/cases/cryptodev_fuzz.sh"
