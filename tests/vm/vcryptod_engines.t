#!/bin/bash
# vcryptod's afalg and cryptodev engines cannot run on this host (no AF_ALG,
# no /dev/crypto), so they run inside a guest: a static program links the
# engine files and compares them with OpenSSL through the engine interface.
# The guest's /dev/crypto comes from our module on a virtio-crypto device
# served by vcryptod itself.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=${VCRYPTO_BUILD:-$here/../../build}
dir=$(mktemp -d /tmp/vcd-engines.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mods=(-m algif_skcipher -m algif_hash -m ecb -m ctr -m xts -m sha512_generic -m virtio_pci)
dev=()
ko=$B/kmod/virtio_cryptodev.ko
if [ -f "$ko" ]; then
	mods+=(-m "$ko")
	dev=(-d "$B/vcryptod --socket-path $dir/vc.sock --queues 1" -w "$dir/vc.sock" -u "$dir/vc.sock")
else
	echo "# $ko not built: the cryptodev engine will report a SKIP"
fi
exec "$here/vmrun.sh" -n vcryptod-engines -t 150 "${dev[@]}" "${mods[@]}" \
	-f "$B/guest-bin/vcd_guest_engines" -c "$here/cases/vcryptod_engines.sh"
