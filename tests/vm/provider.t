#!/bin/bash
# The vcrypto OpenSSL provider in a guest on vcryptod (vhost-user, OpenSSL
# engine), with Debian's own dynamic openssl and libcrypto: first with no
# /dev/crypto (module unloaded), then every algorithm against the default
# provider (vcp_test), openssl enc/dgst/mac, fork, min_offload, and the
# device's request counter as proof the work went to the device; 8 threads,
# TLS. On Debian 12's QEMU 7.2 + guest 6.1, then on the second stack
# (QEMU 10.0 + guest 6.12) where scripts/peers.sh has it.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/provider/vcrypto.so" "$B/provider/vcp_test" "$B/vcryptod"; do
	[ -e "$f" ] || { echo "not ok - $f missing (make all)"; exit 1; }
done
mdir=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"/\1/p')
sslcnf=$(openssl version -d | sed -n 's/^OPENSSLDIR: "\(.*\)"/\1/p')/openssl.cnf
[ -d "$mdir" ] && [ -f "$sslcnf" ] || { echo "not ok - no OpenSSL modules dir / openssl.cnf"; exit 1; }
mods=()
for m in "$mdir"/*.so; do [ -e "$m" ] && mods+=(-x "$m:$m"); done
dir=$(mktemp -d /tmp/provider-vcd.XXXXXX)
trap 'rm -rf "$dir"' EXIT
common=(-C 2 -M 768M -t 400 -m virtio_pci -m ghash_generic -m sha512_generic
	-x "$(command -v openssl)" -x "$B/provider/vcp_test" -f "$sslcnf:$sslcnf"
	-x "$B/provider/vcrypto.so:$mdir/vcrypto.so" "${mods[@]}"
	-f "$top/provider/vcrypto-openssl.cnf:/etc/vcrypto-openssl.cnf"
	-c "$top/tests/vm/cases/provider.sh")
rc=0
"$top/tests/vm/vmrun.sh" -n provider "${common[@]}" -m "$ko" \
	-d "$B/vcryptod --socket-path $dir/a.sock --queues 1" -w "$dir/a.sock" -u "$dir/a.sock" || rc=1

# make check runs this test on each stack itself (VCRYPTO_STACK, tests/run.sh TEST@STACK).
[ -n "${VCRYPTO_STACK:-}" ] && exit $rc
# The second stack (QEMU 10.0, guest 6.12, scripts/peers.sh) where it is available.
prc=0
envf=$("$top/scripts/peers.sh" --env 2>"$dir/peers.err") || prc=$?
if [ "$prc" != 0 ]; then
	echo "ok - # SKIP second stack: scripts/peers.sh exit $prc: $(tail -n 1 "$dir/peers.err")"
else
	. "$envf"
	ko2=$B/kmod-$VCRYPTO_PEER_KSERIES/virtio_cryptodev.ko
	if [ ! -e "$ko2" ]; then
		echo "not ok - $ko2 missing (make all after scripts/peers.sh)"
		rc=1
	else
		"$top/tests/vm/vmrun.sh" -P "$envf" -S "$VCRYPTO_PEER_STACK" -n provider-stack2 "${common[@]}" \
			-m "$ko2" -d "$B/vcryptod --socket-path $dir/b.sock --queues 1" -w "$dir/b.sock" \
			-u "$dir/b.sock" || rc=1
	fi
fi
exit $rc
