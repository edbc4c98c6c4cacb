#!/bin/bash
# make install into a DESTDIR: programs, headers, one man page per program made
# from its --help, the dkms.conf, the systemd unit and QEMU's vhost-user
# descriptor, each with the paths substituted.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
. "$top/tests/lib/tap.sh"

if make -s -C "$top" --no-print-directory install B="$B" DESTDIR="$d" PREFIX=/usr >"$d.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr succeeds"
else
	nok "make install failed"; sed 's/^/# /' "$d.log" | tail -20
fi
rm -f "$d.log"
for p in vcryptod vprocd; do
	expect "sbin/$p installed, with man page $p.8" "[ -x $d/usr/sbin/$p ] && [ -s $d/usr/share/man/man8/$p.8 ]"
done
for p in vsign vchat vloader devcrypto vcrypto-vm; do
	expect "bin/$p installed, with man page $p.1" "[ -x $d/usr/bin/$p ] && [ -s $d/usr/share/man/man1/$p.1 ]"
done
gb=$(cd "$d/usr/share/vcrypto/guest-bin" 2>/dev/null && ls | tr '\n' ' ')
expect "guest programs installed are the product's only (devcrypto vchat vloader), no test or bench program: $gb" \
	'[ "$gb" = "devcrypto vchat vloader " ]'
hd=$(cd "$d/usr/include/vcrypto" 2>/dev/null && ls | tr '\n' ' ')
expect "installed vcrypto headers are the public ABIs only (vmmcall.h, vproc_channel.h), no private wire format: $hd" \
	'[ "$hd" = "vmmcall.h vproc_channel.h " ]'
expect "vcryptod(8) carries vcryptod's own --help options" \
	"grep -q 'socket\\\\-path' $d/usr/share/man/man8/vcryptod.8 && grep -q 'max\\\\-sessions' $d/usr/share/man/man8/vcryptod.8"
expect "the cryptodev ABI header is installed as <crypto/cryptodev.h>" "grep -q CIOCGSESSION $d/usr/include/crypto/cryptodev.h"
expect "the vmmcall frame header is installed" "[ -s $d/usr/include/vcrypto/vmmcall.h ]"
mdir=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"/\1/p')
expect "the vcrypto provider is in OpenSSL's modules dir ($mdir) with its config snippet" \
	"[ -s $d$mdir/vcrypto.so ] && grep -q '^vcrypto = vcrypto_sect' $d/usr/share/vcrypto/vcrypto-openssl.cnf"
dk=$(ls -d "$d"/usr/src/virtio_cryptodev-* 2>/dev/null | head -1)
expect "module sources and dkms.conf in /usr/src/virtio_cryptodev-VERSION, version filled in" \
	"[ -n '$dk' ] && [ -f '$dk/Kbuild' ] && grep -q 'PACKAGE_VERSION=\"${dk##*-}\"' '$dk/dkms.conf'"
# What dkms does: copy the sources to $dkms_tree/NAME/VERSION/build and run MAKE[0].
if [ -n "$dk" ]; then
	ver=${dk##*-}
	dkms_tree=$d/dkms
	mkdir -p "$dkms_tree/virtio_cryptodev/$ver/build"
	cp -r "$dk"/. "$dkms_tree/virtio_cryptodev/$ver/build/"
	kernel_source_dir=$("$top/scripts/kver.sh" --headers)
	PACKAGE_NAME=virtio_cryptodev PACKAGE_VERSION=$ver
	mk=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$dk/dkms.conf")
	eval "$mk" >"$d/dkms.log" 2>&1
	expect "dkms.conf's MAKE[0] builds the module from the installed sources alone" \
		"[ -f '$dkms_tree/virtio_cryptodev/$ver/build/virtio_cryptodev.ko' ]"
	[ -f "$dkms_tree/virtio_cryptodev/$ver/build/virtio_cryptodev.ko" ] || tail -5 "$d/dkms.log" | sed 's/^/# /'
fi
expect "systemd template unit points at the installed vcryptod" \
	"grep -q '^ExecStart=/usr/sbin/vcryptod --socket-path /run/vcrypto/%i-crypto.sock' $d/usr/lib/systemd/system/vcryptod@.service"
expect "systemctl reload re-executes vcryptod's worker (SIGHUP to the front)" \
	"grep -q '^ExecReload=/bin/kill -HUP \\\$MAINPID' $d/usr/lib/systemd/system/vcryptod@.service"
# What systemd does for the unit, done by hand (PID 1 here may not be systemd):
# its RuntimeDirectory with RuntimeDirectoryMode and Group=, vcryptod started
# with the unit's Group= and UMask=; then QEMU's user under libvirt
# (libvirt-qemu) must be able to connect, and another user must not.
unit=$d/usr/lib/systemd/system/vcryptod@.service
dropin=$d/usr/lib/systemd/system/vcryptod@.service.d/qemu-group.conf
if getent group libvirt-qemu >/dev/null; then
	expect "libvirt-qemu exists here: make install adds the drop-in $(sed -n 's/^Group=/Group=/p' "$dropin" 2>/dev/null)" \
		"grep -qx 'Group=libvirt-qemu' '$dropin'"
else
	expect "no libvirt-qemu group here: make install adds no Group= drop-in (the unit starts without libvirt)" "[ ! -e '$dropin' ]"
fi
expect "the unit itself names no group (it must start where libvirt-qemu does not exist)" "! grep -q '^Group=' '$unit'"
ugrp=$(sed -n 's/^Group=//p' "$dropin" 2>/dev/null) umask=$(sed -n 's/^UMask=//p' "$unit")
rmode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$unit")
if [ "$(id -u)" != 0 ]; then
	skip "the unit's socket is reachable by libvirt-qemu: not root (cannot switch users)"
elif ! getent passwd libvirt-qemu >/dev/null || [ -z "$ugrp" ]; then
	nok "the drop-in names a Group= ($ugrp) and user libvirt-qemu exists (scripts/deps.sh installs libvirt)"
else
	rd=$d/run-vcrypto
	chmod 711 "$d" # as /run is: others may pass through, not list
	install -d -m "$rmode" -g "$ugrp" "$rd"
	setpriv --regid="$ugrp" --clear-groups sh -c "umask $umask; exec '$d/usr/sbin/vcryptod' --socket-path '$rd/vm0-crypto.sock'" \
		>"$d/unit-vcd.log" 2>&1 &
	upid=$!
	for _ in $(seq 50); do [ -S "$rd/vm0-crypto.sock" ] && break; sleep 0.1; done
	expect "with the drop-in's Group=$ugrp, the unit's UMask=$umask RuntimeDirectoryMode=$rmode the socket is $(stat -c '%A %G' "$rd/vm0-crypto.sock" 2>/dev/null)" \
		"[ \"\$(stat -c '%a %G' '$rd/vm0-crypto.sock')\" = '770 $ugrp' ]"
	expect "... user libvirt-qemu (QEMU under libvirt) may connect to it" \
		"setpriv --reuid=libvirt-qemu --regid=libvirt-qemu --init-groups test -w '$rd/vm0-crypto.sock'"
	expect "... user nobody may not" \
		"! setpriv --reuid=nobody --regid=nogroup --clear-groups test -w '$rd/vm0-crypto.sock'"
	kill "$upid" 2>/dev/null
	wait "$upid" 2>/dev/null
fi
expect "QEMU's vhost-user descriptor is valid JSON of type crypto naming the binary" \
	"python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[\"type\"]==\"crypto\" and j[\"binary\"]==\"/usr/sbin/vcryptod\"' $d/usr/share/qemu/vhost-user/50-vcryptod.json"
expect "the installed vcrypto-vm finds its data (qemu-args works)" \
	"$d/usr/bin/vcrypto-vm --dir /tmp/x qemu-args | grep -q 'virtio-crypto-pci,cryptodev=vcd0,vectors=0'"
a=$(env -u VCRYPTO_ACCEL "$d/usr/share/vcrypto/accel.sh" 2>"$d/accel.err")
expect "the installed accel.sh answers kvm or tcg, with the installed kver.sh ($(cat "$d/accel.err"))" \
	'[[ $a == kvm || $a == tcg ]] && grep -q "^accel $a: " "$d/accel.err" && ! grep -q "no guest kernel" "$d/accel.err"'
