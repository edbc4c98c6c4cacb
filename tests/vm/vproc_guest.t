#!/bin/bash
# vprocd through a real guest: QEMU's virtio-serial port org.vcrypto.vmmcall.0
# connected to vprocd's socket, vloader (static) in the guest. One boot runs
# tests/vm/cases/vproc_guest.sh: load/answer/close, each refusal, escapes,
# stale replies and a client dying mid-frame, the process limit.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/tests/host/vproc_lib.sh"

vp_begin
g=$d/g
mkdir -p "$g"
sign() { "$B/vsign" sign -k "$d/$1" --name "$2" --version "$3" "$4" -o "$5"; }
patch() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

for s in hello upper probe; do cp "$S/$s" "$d/$s.sig" "$g/"; done
cp "$S/hello" "$g/tampered"; patch "$g/tampered" 4000 '\377\376'
cp "$d/hello.sig" "$g/hdr.sig"; patch "$g/hdr.sig" 87 '\011'
sign w hello 1 "$S/hello" "$g/wrongkey.sig"
head -c 100 "$d/hello.sig" >"$g/trunc.sig"
: >"$g/empty.sig"
{ cat "$d/hello.sig"; head -c 2000 /dev/zero; } >"$g/huge.sig"
printf '#!/bin/sh\necho hi\n' >"$g/script"; sign k script 1 "$g/script" "$g/script.sig"
cp "$S/hello" "$g/arm"; patch "$g/arm" 18 '\267\000'; sign k arm 1 "$g/arm" "$g/arm.sig"
cp /bin/true "$g/dynamic"; sign k dynamic 1 "$g/dynamic" "$g/dynamic.sig"
{ cat "$S/hello"; head -c 16 /dev/zero; } >"$g/revoked"; sign k hello 1 "$g/revoked" "$g/revoked.sig"
sha256sum "$g/revoked" | cut -d' ' -f1 >"$d/revoked.list"
sign k roll 5 "$S/hello" "$g/roll5.sig"
sign k roll 3 "$S/hello" "$g/roll3.sig"
{ cat "$S/hello"; head -c $((3 << 20)) /dev/zero; } >"$g/big"; sign k big 1 "$g/big" "$g/big.sig"
{ cat "$S/hello"; head -c $((1 << 20)) /dev/zero; } >"$g/big1m"; sign k big1m 1 "$g/big1m" "$g/big1m.sig"

files=(-f "$B/guest-bin/vloader")
for f in "$g"/*; do files+=(-f "$f:/p/$(basename "$f")"); done

"$top/tests/vm/vmrun.sh" -n vproc -t 170 \
	-d "$B/vprocd -s $d/vm.sock -k $d/k.pub --revoked $d/revoked.list --state-file $d/state --max-procs 6 --max-image 2097152 --msg-timeout-ms 1000 --frame-timeout-ms 1000 2>>$d/vprocd.log" \
	-w "$d/vm.sock" -s "$d/vm.sock" -m virtio_pci -m virtio_console \
	"${files[@]}" -c "$top/tests/vm/cases/vproc_guest.sh"
rc=$?
# what vprocd saw on the host side of the port
hostcheck() { # DESC REGEX
	if grep -qE -- "$2" "$d/vprocd.log"; then echo "ok - $1"; else echo "not ok - $1"; rc=1; fi
}
hostcheck "host: vprocd dropped the frame the guest stopped sending" 'frame incomplete: nothing more for 1000 ms'
hostcheck "host: vprocd reported the escape attempts" 'forbidden system call \(seccomp\)'
hostcheck "host: when QEMU went away, the VM's processes were stopped" 'VM connection closed; its processes are stopped'
if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$d/vprocd.log"; then
	echo "not ok - host: vprocd log has sanitizer reports"; rc=1
else
	echo "ok - host: vprocd log has no sanitizer report"
fi
sed 's/^/#   vprocd: /' "$d/vprocd.log" | tail -n 5
exit $rc
