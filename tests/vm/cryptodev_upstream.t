#!/bin/bash
# cryptodev-linux's own test programs, built from its source against its own
# crypto/cryptodev.h (not ours), run in a guest on /dev/crypto of
# virtio_cryptodev.ko over vcryptod: the programs of its `make check`
# (cipher, hmac, async_cipher, async_hmac, cipher-aead-srtp, cipher-gcm,
# cipher-aead) and two of its OpenSSL comparisons (cipher_comp, hash_comp).
# hmac_comp is left out: it compares AALG_MAX_RESULT_LEN (64) bytes of two
# buffers initialised to 0 and to 1 of which a SHA1 HMAC writes 20, so it
# fails on any implementation (its Makefile's check target does not run it).
#
# The guest kernel's modules our module asks for (GCM's GHASH, SHA-384/512
# software fallback, ECB/CTR) are given to the guest as a disk's module
# directory would autoload them.
#
# The source is found in $VCRYPTO_CRYPTODEV_SRC (a checkout: tests/ and
# crypto/), else in the git mirror of the tool library
# (/work/.mirror/cryptodev-linux+cryptodev-linux/repo, or
# $VCRYPTO_CRYPTODEV_GIT); without either the test is one SKIP saying so
# (cryptodev-linux is not a Debian package).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/vcryptod"; do
	[ -e "$f" ] || { echo "not ok - $f missing (make all)"; exit 1; }
done
dir=$(mktemp -d /tmp/cdev-up.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mirror=${VCRYPTO_CRYPTODEV_GIT:-/work/.mirror/cryptodev-linux+cryptodev-linux/repo}
src=${VCRYPTO_CRYPTODEV_SRC:-}
if [ -n "$src" ]; then
	[ -f "$src/crypto/cryptodev.h" ] && [ -f "$src/tests/cipher.c" ] ||
		{ echo "not ok - VCRYPTO_CRYPTODEV_SRC=$src has no crypto/cryptodev.h and tests/cipher.c"; exit 1; }
	from="$src"
elif git -C "$mirror" rev-parse -q --verify HEAD >/dev/null 2>&1; then
	src=$dir/src
	mkdir -p "$src"
	git -C "$mirror" archive HEAD crypto tests | tar -x -C "$src" ||
		{ echo "not ok - cannot unpack cryptodev-linux from $mirror"; exit 1; }
	from="$mirror at $(git -C "$mirror" log -1 --format='%h (%cs) %s')"
else
	echo "1..1"
	echo "ok 1 - cryptodev-linux's own test programs # SKIP its source is not on this machine (set VCRYPTO_CRYPTODEV_SRC to a checkout)"
	exit 0
fi
echo "# cryptodev-linux from $from"
progs="cipher hmac async_cipher async_hmac cipher-aead-srtp cipher-gcm cipher-aead"
comp="cipher_comp hash_comp"
files=()
for p in $progs $comp; do
	libs=() extra=()
	case " $comp " in *" $p "*) extra=("$src/tests/openssl_wrapper.c") libs=(-lssl -lcrypto) ;; esac
	# the async programs test nothing unless built with their ENABLE_ASYNC
	# (and their asynchelper.h's plain "inline" functions need GNU inline rules)
	case $p in async_*) extra+=(-DENABLE_ASYNC -fgnu89-inline) ;; esac
	# their header, their program: -I the source's root (crypto/cryptodev.h)
	if ! gcc -O2 -static -w -I"$src" -o "$dir/$p" "$src/tests/$p.c" "${extra[@]}" "${libs[@]}" 2>"$dir/$p.cc"; then
		echo "not ok - cryptodev-linux tests/$p.c does not build:"; sed 's/^/#   /' "$dir/$p.cc" | head -20
		exit 1
	fi
	files+=(-f "$dir/$p:/bin/cdl-$p")
done
echo "$progs" >"$dir/progs"
exec "$top/tests/vm/vmrun.sh" -n cryptodev-upstream -t 600 \
	-d "$B/vcryptod --socket-path $dir/a.sock --queues 1" -w "$dir/a.sock" -u "$dir/a.sock" \
	-m virtio_pci -m ecb -m ctr -m ghash_generic -m sha512_generic -m "$ko" "${files[@]}" -f "$dir/progs:/etc/cdl-progs" \
	-c "$top/tests/vm/cases/cryptodev_upstream.sh"
