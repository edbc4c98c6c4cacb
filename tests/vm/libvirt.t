#!/bin/bash
# docs/libvirt.md, as a test: the host commands and the domain XML are taken
# from the document (only names, paths, memory size and the guest's kernel and
# serial ports are filled in), defined and started with virsh under libvirt's
# system instance. The guest's /dev/crypto must be served by vcryptod and
# vprocd must load the signed hello through the libvirt channel; virsh destroy
# and undefine must leave no QEMU process and no socket behind.
#
# libvirtd and virtlogd are started here when they are not running (PID 1 is
# not systemd on these machines) and stopped at the end; a libvirtd that was
# already running is used and left alone. Where libvirt cannot run, the test
# SKIPs with the reason.
#
# VCRYPTO_LIBVIRT_EMULATOR=PATH runs the domain on another QEMU (libvirt's
# <emulator>; a wrapper script may add -L DIR); the device line follows its version.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export VCRYPTO_BUILD=${VCRYPTO_BUILD:-$top/build}
B=$VCRYPTO_BUILD
doc=$top/docs/libvirt.md
uri=qemu:///system
n=0
ok() { n=$((n + 1)); echo "ok $n - libvirt: $*"; }
nok() { n=$((n + 1)); echo "not ok $n - libvirt: $*"; }
skip_all() { echo "ok - # SKIP libvirt: $*"; exit 0; }
vsh() { virsh -q -c "$uri" "$@"; }
# a zombie (a daemon not yet reaped by PID 1) counts as gone
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }
pidof_file() { local p; p=$(cat "$1" 2>/dev/null) && alive "$p" && echo "$p"; }

[ "$(id -u)" = 0 ] || skip_all "needs root (libvirt's system instance runs QEMU as libvirt-qemu)"
command -v virsh >/dev/null && command -v libvirtd >/dev/null && command -v virtlogd >/dev/null ||
	skip_all "libvirt not installed (scripts/deps.sh installs libvirt-daemon-system and libvirt-clients)"
getent group libvirt-qemu >/dev/null || skip_all "no group libvirt-qemu (Debian's libvirt-daemon-system creates it)"
[ -x "$B/vcryptod" ] && [ -x "$B/vprocd" ] && [ -f "$B/kmod/virtio_cryptodev.ko" ] || skip_all "not built (make all)"

name=vcrypto-lvt$$
work=$(mktemp -d /tmp/vclibvirt.XXXXXX)
chmod 0755 "$work" # QEMU runs as libvirt-qemu: it reads the kernel and initramfs here
dir=$work/run
vmpid="" lvd="" vld="" qpid=""
cleanup() {
	if [ -n "$lvd" ] || virsh -c "$uri" version >/dev/null 2>&1; then
		virsh -c "$uri" destroy "$name" >/dev/null 2>&1
		virsh -c "$uri" undefine "$name" >/dev/null 2>&1
	fi
	alive "$qpid" && kill -KILL "$qpid" 2>/dev/null
	if [ -n "$vmpid" ]; then kill -TERM "$vmpid" 2>/dev/null; wait "$vmpid" 2>/dev/null; fi
	for p in $lvd $vld; do kill -TERM "$p" 2>/dev/null; done
	rm -f "/var/log/libvirt/qemu/$name.log"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- libvirt's daemons: ours only when none runs
if vsh version >/dev/null 2>&1; then
	echo "# using the libvirtd already running (left alone)"
else
	if [ -z "$(pidof_file /run/virtlogd.pid)" ]; then
		virtlogd -d || skip_all "virtlogd -d failed"
		for _ in $(seq 50); do vld=$(pidof_file /run/virtlogd.pid) && break; sleep 0.1; done
	fi
	libvirtd -d || skip_all "libvirtd -d failed"
	for _ in $(seq 50); do lvd=$(pidof_file /run/libvirtd.pid) && break; sleep 0.1; done
	[ -n "$lvd" ] || skip_all "libvirtd -d did not keep running"
	for _ in $(seq 100); do vsh version >/dev/null 2>&1 && break; sleep 0.2; done
	vsh version >/dev/null 2>&1 || skip_all "libvirtd started but $uri does not answer: $(vsh version 2>&1 | head -1)"
	echo "# started virtlogd (${vld:-already running}) and libvirtd ($lvd); stopped at the end"
fi
qver=$(vsh version 2>/dev/null | sed -n 's/.*Running hypervisor: QEMU \([0-9.]*\).*/\1/p')
[ -n "$qver" ] || skip_all "libvirt has no QEMU driver here: $(vsh version 2>&1 | tr '\n' ' ')"
emu=${VCRYPTO_LIBVIRT_EMULATOR:-}
if [ -n "$emu" ]; then
	qver=$("$emu" --version 2>/dev/null | sed -n '1s/.*version \([0-9][0-9.]*\).*/\1/p')
	[ -n "$qver" ] || { nok "VCRYPTO_LIBVIRT_EMULATOR=$emu: no QEMU version from --version"; exit 1; }
fi
echo "# libvirt $(vsh version 2>/dev/null | sed -n 's/.*Using library: libvirt //p'), QEMU $qver${emu:+ ($emu)}"

# --- the domain type: 'qemu' (TCG) unless a KVM guest really starts here
accel=$("$top/scripts/accel.sh" 2>"$work/accel.why")
sed 's/^/# /' "$work/accel.why"
[ "$accel" = kvm ] && dtype=kvm || dtype=qemu

# --- the guest: kernel, and an initramfs with our module, devcrypto and vloader
kver=$("$top/scripts/kver.sh")
cp "/boot/vmlinuz-$kver" "$work/vmlinuz" # a copy: libvirt relabels what QEMU opens
"$B/vsign" keygen -o "$work/admin" >/dev/null 2>&1 &&
	"$B/vsign" sign -k "$work/admin" --name hello --version 1 "$B/samples/hello" -o "$work/hello.sig" >/dev/null ||
	{ nok "signing the hello sample"; exit 1; }
cat >"$work/case.sh" <<'C'
devcrypto info
vloader /p/hello /p/hello.sig
vloader msg 0 hi
echo VCRYPTO-DMESG-BEGIN
dmesg
echo VCRYPTO-DMESG-END
echo LIBVIRT-CASE-READY
# stay up: the host ends the domain with virsh destroy
exec sleep 100000
C
"$top/guest/image/mkinitramfs.sh" -o "$work/initrd.gz" -k "$kver" -m virtio_pci -m virtio_console \
	-m "$B/kmod/virtio_cryptodev.ko" -f "$B/guest-bin/devcrypto" -f "$B/guest-bin/vloader" \
	-f "$B/samples/hello:/p/hello" -f "$work/hello.sig:/p/hello.sig" -c "$work/case.sh" ||
	{ nok "building the initramfs"; exit 1; }
chmod 0644 "$work/initrd.gz" "$work/vmlinuz"

# --- the host side, as the document says
docline=$(grep -m1 '^vcrypto-vm --dir /run/vcrypto --name guest1 .* start' "$doc")
instline=$(grep -m1 '^install -d -m 2770 -g libvirt-qemu /run/vcrypto$' "$doc")
if [ -n "$docline" ] && [ -n "$instline" ] && grep -q '^umask 007$' "$doc"; then
	ok "the document's host commands are where the test expects them"
else
	nok "docs/libvirt.md: host commands (install -d, umask 007, vcrypto-vm ... start) not found"; exit 1
fi
install -d -m 2770 -g libvirt-qemu "$dir"
docline=${docline%&}
docline=${docline//\/run\/vcrypto/$dir}
docline=${docline//guest1/$name}
docline=${docline//\/etc\/vcrypto\/admin.pub/$work/admin.pub}
read -ra vmcmd <<<"$docline"
vmcmd[0]=$top/scripts/vcrypto-vm
echo "# host: ${vmcmd[*]}"
(umask 007; exec "${vmcmd[@]}") >"$work/vcrypto-vm.log" 2>&1 &
vmpid=$!
for _ in $(seq 300); do [ -S "$dir/$name-crypto.sock" ] && [ -S "$dir/$name-vmm.sock" ] && break; sleep 0.1; done
if [ -S "$dir/$name-crypto.sock" ] && [ -S "$dir/$name-vmm.sock" ] &&
	[ "$(stat -c %G "$dir/$name-crypto.sock")" = libvirt-qemu ]; then
	ok "vcrypto-vm start: vcryptod and vprocd listen in a libvirt-qemu directory"
else
	nok "vcrypto-vm start: sockets missing"; sed 's/^/# /' "$work/vcrypto-vm.log"; exit 1
fi

# --- the domain XML, from the document
xml=$(awk '/^<domain /,/^<\/domain>/' "$doc")
line8=$(grep -m1 "^ *<qemu:arg value='virtio-crypto-pci,cryptodev=vcd0,bus=" "$doc")
bad=""
sub() { # FROM TO: exactly one line of the XML holds FROM
	if [ "$(grep -cF -- "$1" <<<"$xml")" = 1 ]; then xml=${xml/"$1"/"$2"}; else bad="$bad [$1]"; fi
}
sub "<domain type='kvm'" "<domain type='$dtype'"
sub "<name>guest1</name>" "<name>$name</name>"
sub "<memory unit='GiB'>2</memory>" "<memory unit='MiB'>512</memory>"
sub "path='/run/vcrypto/guest1-vmm.sock'" "path='$dir/$name-vmm.sock'"
sub "path=/run/vcrypto/guest1-crypto.sock'" "path=$dir/$name-crypto.sock'"
sub "<!-- boot from a disk below, or a kernel directly: <kernel>, <initrd>, <cmdline> -->" \
	"<kernel>$work/vmlinuz</kernel><initrd>$work/initrd.gz</initrd><cmdline>console=ttyS0 rdinit=/init panic=-1</cmdline>"
sub "<!-- ... disks, network, serial ... -->" \
	"<serial type='file'><source path='$work/console'/><target port='0'/></serial>
    <serial type='file'><source path='$work/tap'/><target port='1'/></serial>"
[ -n "$emu" ] && sub "<devices>" "<devices>
    <emulator>$emu</emulator>"
line72="<qemu:arg value='virtio-crypto-pci,cryptodev=vcd0,vectors=0,bus=pci.0,addr=0x10'/>"
if [ "${qver%%.*}" -ge 8 ]; then
	# QEMU 8.0 and newer: the document's second device line, MSI-X on
	[ -n "$line8" ] || bad="$bad [QEMU 8 device line]"
	sub "$line72" "${line8#"${line8%%<*}"}"
	devline=${line8#*value=\'}
else
	sub "$line72" "$line72"
	devline=${line72#*value=\'}
fi
devline=${devline%%\'*}
if [ -z "$bad" ] && [ -n "$xml" ]; then
	ok "the domain XML comes from docs/libvirt.md (type '$dtype', device line for QEMU $qver: $devline)"
else
	nok "docs/libvirt.md changed shape; not found exactly once:$bad"; exit 1
fi
printf '%s\n' "$xml" >"$work/$name.xml"

# --- define and start
if vsh define "$work/$name.xml" >"$work/virsh.log" 2>&1; then
	ok "virsh define"
else
	nok "virsh define"; sed 's/^/# /' "$work/virsh.log"; exit 1
fi
if vsh start "$name" >"$work/virsh.log" 2>&1; then
	ok "virsh start"
else
	nok "virsh start"; sed 's/^/# /' "$work/virsh.log"
	tail -5 "/var/log/libvirt/qemu/$name.log" 2>/dev/null | sed 's/^/# /'; exit 1
fi
qpid=$(cat "/run/libvirt/qemu/$name.pid" 2>/dev/null)
if alive "$qpid" && tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -qxF "$devline" &&
	tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -q 'memory-backend-memfd.*"share":true\|memory-backend-memfd.*share=on'; then
	ok "QEMU ($(stat -c %U "/proc/$qpid") pid $qpid) runs with the document's device line and shared memfd RAM"
else
	nok "QEMU's command line lacks the device line or shared memfd RAM"
	tr '\0' ' ' <"/proc/$qpid/cmdline" 2>/dev/null | fold -w 200 | sed 's/^/# /'
fi

# --- the guest's results, over the second serial port
for _ in $(seq 1500); do grep -q LIBVIRT-CASE-READY "$work/tap" 2>/dev/null && break; alive "$qpid" || break; sleep 0.2; done
if grep -q LIBVIRT-CASE-READY "$work/tap" 2>/dev/null; then
	ok "the guest ran its case ($(grep -m1 '^# guest' "$work/tap" | tr -d '\r' | sed 's/^# //'))"
else
	nok "the guest did not finish its case"; tail -20 "$work/console" 2>/dev/null | sed 's/^/# /'
	tail -5 "/var/log/libvirt/qemu/$name.log" 2>/dev/null | sed 's/^/# /'
fi
tr -d '\r' <"$work/tap" >"$work/tap.txt" 2>/dev/null
grep -q 'driver virtio_cryptodev-cbc-aes' "$work/tap.txt" &&
	ok "the guest's /dev/crypto is served by vcryptod (devcrypto info: driver virtio_cryptodev-cbc-aes)" ||
	{ nok "no /dev/crypto served by virtio_cryptodev in the guest"; sed -n '1,/VCRYPTO-DMESG-BEGIN/p' "$work/tap.txt" | head -20 | sed 's/^/# /'; }
grep -q 'desc = 0' "$work/tap.txt" && ok "vprocd loads the signed hello through the libvirt channel (desc = 0)" ||
	{ nok "vloader hello did not load"; grep -i vloader "$work/tap.txt" | head -5 | sed 's/^/# /'; }
grep -q 'Hello, World!' "$work/tap.txt" && ok "vloader msg 0 hi: the hello process answers 'Hello, World!'" ||
	nok "no answer from the hello process"
sed -n '/VCRYPTO-DMESG-BEGIN/,/VCRYPTO-DMESG-END/p' "$work/tap.txt" >"$work/dmesg"
if [ -s "$work/dmesg" ] && "$top/tests/vm/scanlog.sh" "$work/dmesg"; then
	ok "guest kernel log clean"
else
	nok "guest kernel log: missing or not clean"
fi

# --- destroy and undefine: nothing of the domain stays
vsh destroy "$name" >"$work/virsh.log" 2>&1 && ok "virsh destroy" || { nok "virsh destroy"; sed 's/^/# /' "$work/virsh.log"; }
for _ in $(seq 50); do alive "$qpid" || break; sleep 0.1; done
left=$(pgrep -af "guest=$name" || true)
if ! alive "$qpid" && [ -z "$left" ]; then ok "no QEMU process left after destroy"; else nok "QEMU left: ${left:-pid $qpid}"; fi
lsock=$(find /run/libvirt/qemu /var/lib/libvirt/qemu -name "*$name*" 2>/dev/null | tr '\n' ' ')
[ -z "$lsock" ] && ok "libvirt's runtime files for the domain (monitor socket, pid file) are gone" ||
	nok "left behind: $lsock"
if vsh undefine "$name" >"$work/virsh.log" 2>&1 && ! vsh dominfo "$name" >/dev/null 2>&1 &&
	[ ! -e "/etc/libvirt/qemu/$name.xml" ]; then
	ok "virsh undefine: the domain and its stored XML are gone"
else
	nok "virsh undefine"; sed 's/^/# /' "$work/virsh.log"
fi

# --- the daemons: vcrypto-vm stops both; nothing listens on their sockets
kill -TERM "$vmpid"; wait "$vmpid"; rc=$?; vmpid=""
sleep 0.3
listen=$(ss -xlH 2>/dev/null | grep -F "$dir/" || true)
if [ $rc = 0 ] && ! pgrep -f "(vcryptod|vprocd).*$dir/" >/dev/null && [ -z "$listen" ] && [ ! -e "$dir/$name-vmm.sock" ]; then
	ok "vcrypto-vm stops vcryptod and vprocd; no socket listens (vcryptod's socket file stays: its seccomp filter has no unlink)"
else
	nok "daemons or listening sockets left: exit $rc; $(pgrep -af "(vcryptod|vprocd).*$dir/") $listen"
fi
if [ -n "$lvd" ]; then
	for p in $lvd $vld; do kill -TERM "$p"; done
	for _ in $(seq 100); do alive "$lvd" || alive "$vld" || break; sleep 0.1; done
	if ! alive "$lvd" && ! alive "$vld"; then
		ok "the libvirtd${vld:+ and virtlogd} this test started are stopped"
	else
		nok "libvirtd $lvd / virtlogd $vld still running"
	fi
	lvd="" vld=""
fi
