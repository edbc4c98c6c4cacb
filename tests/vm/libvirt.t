#!/bin/bash
# docs/libvirt.md, as a test: the host commands and the domain XML are taken
# from the document (only names, paths, memory size and the guest's kernel and
# serial ports are filled in), defined and started with virsh under libvirt's
# system instance. The guest's /dev/crypto must be served by vcryptod and
# vprocd must load the signed hello through the libvirt channel; virsh destroy
# and undefine must leave no QEMU process and no socket behind.
#
# It runs on both stacks (tests/vm/stack.sh), each part's TAP lines naming it:
#   deb12  libvirt's own QEMU (Debian 12: 7.2) and the 6.1 guest: the device
#          line with vectors=0, the virtio-crypto device on INTx;
#   deb13  QEMU 10.0 and the 6.12 guest unpacked by scripts/peers.sh, given to
#          libvirt as <emulator> (as the document says): the QEMU 8.0+ device
#          line, the device on MSI-X. SKIPs with the reason when the stack was
#          not fetched.
# VCRYPTO_LIBVIRT_STACKS="deb12 deb13" (the default) picks the parts.
#
# libvirtd and virtlogd are started here when they are not running (PID 1 is
# not systemd on these machines) and stopped at the end; a libvirtd that was
# already running is used and left alone. Where libvirt cannot run, the test
# SKIPs with the reason.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export VCRYPTO_BUILD=${VCRYPTO_BUILD:-$top/build}
B=$VCRYPTO_BUILD
doc=$top/docs/libvirt.md
uri=qemu:///system
tag="" # "[stack] " in front of a part's descriptions
. "$top/tests/lib/tap.sh"
set_tag() { tag=$1; TAP_PREFIX="${tag}libvirt: "; }
set_tag ""
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

base=vcrypto-lvt$$
work=$(mktemp -d /tmp/vclibvirt.XXXXXX)
chmod 0755 "$work" # QEMU runs as libvirt-qemu: it reads the kernel and initramfs here
name="" vmpid="" lvd="" vld="" qpid=""
cleanup() {
	local d
	if [ -n "$lvd" ] || virsh -c "$uri" version >/dev/null 2>&1; then
		for d in $(virsh -c "$uri" list --all --name 2>/dev/null | grep "^$base-"); do
			virsh -c "$uri" destroy "$d" >/dev/null 2>&1
			virsh -c "$uri" undefine "$d" >/dev/null 2>&1
		done
	fi
	alive "$qpid" && kill -KILL "$qpid" 2>/dev/null
	if [ -n "$vmpid" ]; then kill -TERM "$vmpid" 2>/dev/null; wait "$vmpid" 2>/dev/null; fi
	for p in $lvd $vld; do kill -TERM "$p" 2>/dev/null; done
	rm -f /var/log/libvirt/qemu/"$base"-*.log
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
sysqver=$(vsh version 2>/dev/null | sed -n 's/.*Running hypervisor: QEMU \([0-9.]*\).*/\1/p')
[ -n "$sysqver" ] || skip_all "libvirt has no QEMU driver here: $(vsh version 2>&1 | tr '\n' ' ')"
echo "# libvirt $(vsh version 2>/dev/null | sed -n 's/.*Using library: libvirt //p'), its QEMU $sysqver"

# --- the domain type: 'qemu' (TCG) unless a KVM guest really starts here
accel=$("$top/scripts/accel.sh" 2>"$work/accel.why")
sed 's/^/# /' "$work/accel.why"
[ "$accel" = kvm ] && dtype=kvm || dtype=qemu

# --- what both parts share: the signed hello, the document's host commands and XML
"$B/vsign" keygen -o "$work/admin" >/dev/null 2>&1 &&
	"$B/vsign" sign -k "$work/admin" --name hello --version 1 "$B/samples/hello" -o "$work/hello.sig" >/dev/null ||
	{ nok "signing the hello sample"; exit 1; }
docline=$(grep -m1 '^vcrypto-vm --dir /run/vcrypto --name guest1 .* start' "$doc")
instline=$(grep -m1 '^install -d -m 2770 -g libvirt-qemu /run/vcrypto$' "$doc")
docxml=$(awk '/^<domain /,/^<\/domain>/' "$doc")
line72="<qemu:arg value='virtio-crypto-pci,cryptodev=vcd0,vectors=0,bus=pci.0,addr=0x10'/>"
line8=$(grep -m1 "^ *<qemu:arg value='virtio-crypto-pci,cryptodev=vcd0,bus=" "$doc")
line8=${line8#"${line8%%<*}"}
emuline=$(grep -m1 '^ *<emulator>/.*/usr/bin/qemu-system-x86_64</emulator>$' "$doc")
emuline=${emuline#"${emuline%%<*}"}
if [ -n "$docline" ] && [ -n "$instline" ] && grep -q '^umask 007$' "$doc" && [ -n "$docxml" ] &&
	[ -n "$line8" ] && [ -n "$emuline" ]; then
	ok "the document's host commands, domain XML, QEMU 8.0+ device line and <emulator> line are where the test expects them"
else
	nok "docs/libvirt.md: host commands (install -d, umask 007, vcrypto-vm ... start), <domain>, QEMU 8 device line or <emulator> not found"
	exit 1
fi
docline=${docline%&}

# part STACK: one domain on that stack, from vcrypto-vm start to undefine
part() {
	local id=$1 sv sname kver kroot kimage kmod emu qver xml bad devline rc lsock listen left dir
	name=$base-$id
	set_tag "[$id] "
	if ! sv=$("$top/tests/vm/stack.sh" "$id" 2>&1); then
		TAP_PREFIX="${tag}libvirt " skip "$(tail -n 1 <<<"$sv")"
		return 0
	fi
	eval "$sv"
	sname=$STACK_NAME
	set_tag "[$sname] "
	kmod=$STACK_KMOD
	if [ -n "$STACK_ENV" ]; then
		# shellcheck disable=SC1090
		. "$STACK_ENV"
		emu=$VCRYPTO_PEER_QEMU kroot=$VCRYPTO_PEER_ROOT kver=$VCRYPTO_PEER_KVER
		qver=$("$emu" --version 2>/dev/null | sed -n '1s/.*version \([0-9][0-9.]*\).*/\1/p')
	else
		emu="" kroot="" kver=$("$top/scripts/kver.sh") qver=$sysqver
	fi
	kimage=$kroot/boot/vmlinuz-$kver
	[ -f "$kmod/virtio_cryptodev.ko" ] || { nok "$kmod/virtio_cryptodev.ko missing (make all)"; return 1; }
	[ -n "$qver" ] || { nok "$emu: no QEMU version from --version"; return 1; }
	echo "# part $id: QEMU $qver (${emu:-the one libvirt finds}), guest $kver"
	local w=$work/$id
	mkdir -m 0755 "$w"
	dir=$w/run

	# libvirt must be able to probe the emulator (it loads every QEMU module)
	if [ -n "$emu" ]; then
		if vsh domcapabilities --emulatorbin "$emu" --virttype "$dtype" >"$w/domcaps.xml" 2>&1 &&
			grep -q "<path>$emu</path>" "$w/domcaps.xml"; then
			ok "libvirt probes QEMU $qver as <emulator> ($(grep -m1 -o '<machine>[^<]*' "$w/domcaps.xml" | cut -c10-))"
		else
			nok "libvirt cannot probe $emu: $(head -n 2 "$w/domcaps.xml" | tr '\n' ' ')"
			return 1
		fi
	fi

	# the guest: kernel, and an initramfs with our module, devcrypto and vloader
	cp "$kimage" "$w/vmlinuz" # a copy: libvirt relabels what QEMU opens
	cat >"$w/case.sh" <<'C'
devcrypto info
vloader /p/hello /p/hello.sig
vloader msg 0 hi
# the virtio-crypto devices (virtio id 0x0014): interrupt mode, as the guest sees it
for d in /sys/bus/virtio/devices/*; do
	[ "$(cat $d/device 2>/dev/null)" = 0x0014 ] || continue
	v=${d##*/}
	pci=$(readlink -f $d/..)
	m=0
	[ -d $pci/msi_irqs ] && m=$(ls $pci/msi_irqs | wc -l)
	# interrupts taken on the device's MSI-X virtqueue vector(s), all CPUs
	q=$(grep "PCI-MSI.*$v-virtqueue\|PCI-MSI.*$v-[a-z]*\.[0-9]" /proc/interrupts |
		awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) t += $i } END { print t + 0 }')
	echo "LIBVIRT-CRYPTODEV $v pci=${pci##*/} id=$(cat $pci/vendor):$(cat $pci/device) driver=$(basename $(readlink $d/driver)) msi_irqs=$m proc_msi=$(grep -c "PCI-MSI.*$v-" /proc/interrupts) vq_irqs=$q"
	grep "$v-" /proc/interrupts | sed 's/^/LIBVIRT-IRQ /'
done
echo VCRYPTO-DMESG-BEGIN
dmesg
echo VCRYPTO-DMESG-END
echo LIBVIRT-CASE-READY
# stay up: the host ends the domain with virsh destroy
exec sleep 100000
C
	"$top/guest/image/mkinitramfs.sh" -o "$w/initrd.gz" -k "$kver" ${kroot:+-r "$kroot"} -m virtio_pci -m virtio_console \
		-m "$kmod/virtio_cryptodev.ko" -f "$B/guest-bin/devcrypto" -f "$B/guest-bin/vloader" \
		-f "$B/samples/hello:/p/hello" -f "$work/hello.sig:/p/hello.sig" -c "$w/case.sh" ||
		{ nok "building the initramfs"; return 1; }
	chmod 0644 "$w/initrd.gz" "$w/vmlinuz"

	# the host side, as the document says
	install -d -m 2770 -g libvirt-qemu "$dir"
	local l=$docline vmcmd
	l=${l//\/run\/vcrypto/$dir}
	l=${l//guest1/$name}
	l=${l//\/etc\/vcrypto\/admin.pub/$work/admin.pub}
	read -ra vmcmd <<<"$l"
	vmcmd[0]=$top/scripts/vcrypto-vm
	echo "# host: ${vmcmd[*]}"
	(umask 007; exec "${vmcmd[@]}") >"$w/vcrypto-vm.log" 2>&1 &
	vmpid=$!
	for _ in $(seq 300); do [ -S "$dir/$name-crypto.sock" ] && [ -S "$dir/$name-vmm.sock" ] && break; sleep 0.1; done
	if [ -S "$dir/$name-crypto.sock" ] && [ -S "$dir/$name-vmm.sock" ] &&
		[ "$(stat -c %G "$dir/$name-crypto.sock")" = libvirt-qemu ]; then
		ok "vcrypto-vm start: vcryptod and vprocd listen in a libvirt-qemu directory"
	else
		nok "vcrypto-vm start: sockets missing"; sed 's/^/# /' "$w/vcrypto-vm.log"; return 1
	fi

	# the domain XML, from the document
	xml=$docxml bad=""
	sub() { # FROM TO: exactly one line of the XML holds FROM
		if [ "$(grep -cF -- "$1" <<<"$xml")" = 1 ]; then xml=${xml/"$1"/"$2"}; else bad="$bad [$1]"; fi
	}
	sub "<domain type='kvm'" "<domain type='$dtype'"
	sub "<name>guest1</name>" "<name>$name</name>"
	sub "<memory unit='GiB'>2</memory>" "<memory unit='MiB'>512</memory>"
	sub "path='/run/vcrypto/guest1-vmm.sock'" "path='$dir/$name-vmm.sock'"
	sub "path=/run/vcrypto/guest1-crypto.sock'" "path=$dir/$name-crypto.sock'"
	sub "<!-- boot from a disk below, or a kernel directly: <kernel>, <initrd>, <cmdline> -->" \
		"<kernel>$w/vmlinuz</kernel><initrd>$w/initrd.gz</initrd><cmdline>console=ttyS0 rdinit=/init panic=-1</cmdline>"
	sub "<!-- ... disks, network, serial ... -->" \
		"<serial type='file'><source path='$w/console'/><target port='0'/></serial>
    <serial type='file'><source path='$w/tap'/><target port='1'/></serial>"
	if [ -n "$emu" ]; then
		# the document's <emulator> line, with where peers.sh put QEMU here
		sub "<devices>" "<devices>
    ${emuline/>*</>$emu<}"
	fi
	if [ "${qver%%.*}" -ge 8 ]; then
		# QEMU 8.0 and newer: the document's second device line, MSI-X on
		sub "$line72" "$line8"
		devline=${line8#*value=\'}
	else
		sub "$line72" "$line72"
		devline=${line72#*value=\'}
	fi
	devline=${devline%%\'*}
	if [ -z "$bad" ]; then
		ok "the domain XML comes from docs/libvirt.md (type '$dtype'${emu:+, <emulator> QEMU $qver}, device line: $devline)"
	else
		nok "docs/libvirt.md changed shape; not found exactly once:$bad"; return 1
	fi
	printf '%s\n' "$xml" >"$w/$name.xml"

	# define and start
	if vsh define "$w/$name.xml" >"$w/virsh.log" 2>&1; then
		ok "virsh define"
	else
		nok "virsh define"; sed 's/^/# /' "$w/virsh.log"; return 1
	fi
	if vsh start "$name" >"$w/virsh.log" 2>&1; then
		ok "virsh start"
	else
		nok "virsh start"; sed 's/^/# /' "$w/virsh.log"
		tail -5 "/var/log/libvirt/qemu/$name.log" 2>/dev/null | sed 's/^/# /'; return 1
	fi
	qpid=$(cat "/run/libvirt/qemu/$name.pid" 2>/dev/null)
	local exe
	exe=$(readlink "/proc/$qpid/exe" 2>/dev/null)
	if alive "$qpid" && [ "$exe" = "${emu:-/usr/bin/qemu-system-x86_64}" ] &&
		tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -qxF "$devline" &&
		tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -q 'memory-backend-memfd.*"share":true\|memory-backend-memfd.*share=on'; then
		ok "QEMU $qver ($exe, $(stat -c %U "/proc/$qpid") pid $qpid) runs with the document's device line and shared memfd RAM"
	else
		nok "QEMU ($exe) is not the stack's, or its command line lacks the device line or shared memfd RAM"
		tr '\0' ' ' <"/proc/$qpid/cmdline" 2>/dev/null | fold -w 200 | sed 's/^/# /'
	fi

	# the guest's results, over the second serial port
	for _ in $(seq 1500); do grep -q LIBVIRT-CASE-READY "$w/tap" 2>/dev/null && break; alive "$qpid" || break; sleep 0.2; done
	if grep -q LIBVIRT-CASE-READY "$w/tap" 2>/dev/null; then
		ok "the guest ran its case ($(grep -m1 '^# guest' "$w/tap" | tr -d '\r' | sed 's/^# //'))"
	else
		nok "the guest did not finish its case"; tail -20 "$w/console" 2>/dev/null | sed 's/^/# /'
		tail -5 "/var/log/libvirt/qemu/$name.log" 2>/dev/null | sed 's/^/# /'
	fi
	tr -d '\r' <"$w/tap" >"$w/tap.txt" 2>/dev/null
	grep -q "^# guest $kver " "$w/tap.txt" || nok "the guest runs kernel $kver: $(grep -m1 '^# guest' "$w/tap.txt")"
	grep -q 'driver virtio_cryptodev-cbc-aes' "$w/tap.txt" &&
		ok "the guest's /dev/crypto is served by vcryptod (devcrypto info: driver virtio_cryptodev-cbc-aes)" ||
		{ nok "no /dev/crypto served by virtio_cryptodev in the guest"; sed -n '1,/VCRYPTO-DMESG-BEGIN/p' "$w/tap.txt" | head -20 | sed 's/^/# /'; }
	grep -q 'desc = 0' "$w/tap.txt" && ok "vprocd loads the signed hello through the libvirt channel (desc = 0)" ||
		{ nok "vloader hello did not load"; grep -i vloader "$w/tap.txt" | head -5 | sed 's/^/# /'; }
	grep -q 'Hello, World!' "$w/tap.txt" && ok "vloader msg 0 hi: the hello process answers 'Hello, World!'" ||
		nok "no answer from the hello process"
	# the interrupt mode: INTx with vectors=0 (7.2), MSI-X vectors otherwise
	local cd msi pmsi vq
	cd=$(grep -m1 '^LIBVIRT-CRYPTODEV .* driver=virtio_cryptodev ' "$w/tap.txt")
	msi=$(sed -n 's/.* msi_irqs=\([0-9]*\).*/\1/p' <<<"$cd")
	pmsi=$(sed -n 's/.* proc_msi=\([0-9]*\).*/\1/p' <<<"$cd")
	vq=$(sed -n 's/.* vq_irqs=\([0-9]*\).*/\1/p' <<<"$cd")
	grep '^LIBVIRT-IRQ ' "$w/tap.txt" | sed 's/^LIBVIRT-IRQ  */# guest interrupts: /; s/  */ /g'
	if [ -z "$cd" ]; then
		nok "no virtio-crypto device bound to virtio_cryptodev in the guest"
	elif [ "${qver%%.*}" -ge 8 ]; then
		[ "$msi" -ge 2 ] && [ "$pmsi" -ge 2 ] && [ "$vq" -ge 1 ] &&
			ok "the device runs with MSI-X: ${cd#LIBVIRT-CRYPTODEV } (a config and a virtqueue vector; the guest's requests completed through the virtqueue vector)" ||
			nok "QEMU $qver without vectors=0, but the device has no MSI-X vectors: ${cd#LIBVIRT-CRYPTODEV }"
	else
		[ "$msi" = 0 ] && [ "$pmsi" = 0 ] &&
			ok "vectors=0: the device runs on INTx, no MSI-X vector: ${cd#LIBVIRT-CRYPTODEV }" ||
			nok "vectors=0, yet the device has MSI vectors: ${cd#LIBVIRT-CRYPTODEV }"
	fi
	sed -n '/VCRYPTO-DMESG-BEGIN/,/VCRYPTO-DMESG-END/p' "$w/tap.txt" >"$w/dmesg"
	if [ -s "$w/dmesg" ] && "$top/guest/image/scanlog.sh" "$w/dmesg"; then
		ok "guest kernel log clean"
	else
		nok "guest kernel log: missing or not clean"
	fi

	# destroy and undefine: nothing of the domain stays
	vsh destroy "$name" >"$w/virsh.log" 2>&1 && ok "virsh destroy" || { nok "virsh destroy"; sed 's/^/# /' "$w/virsh.log"; }
	for _ in $(seq 50); do alive "$qpid" || break; sleep 0.1; done
	left=$(pgrep -af "guest=$name" || true)
	if ! alive "$qpid" && [ -z "$left" ]; then ok "no QEMU process left after destroy"; else nok "QEMU left: ${left:-pid $qpid}"; fi
	qpid=""
	lsock=$(find /run/libvirt/qemu /var/lib/libvirt/qemu -name "*$name*" 2>/dev/null | tr '\n' ' ')
	[ -z "$lsock" ] && ok "libvirt's runtime files for the domain (monitor socket, pid file) are gone" ||
		nok "left behind: $lsock"
	if vsh undefine "$name" >"$w/virsh.log" 2>&1 && ! vsh dominfo "$name" >/dev/null 2>&1 &&
		[ ! -e "/etc/libvirt/qemu/$name.xml" ]; then
		ok "virsh undefine: the domain and its stored XML are gone"
	else
		nok "virsh undefine"; sed 's/^/# /' "$w/virsh.log"
	fi

	# the daemons: vcrypto-vm stops both; nothing listens on their sockets
	kill -TERM "$vmpid"; wait "$vmpid"; rc=$?; vmpid=""
	sleep 0.3
	listen=$(ss -xlH 2>/dev/null | grep -F "$dir/" || true)
	if [ $rc = 0 ] && ! pgrep -f "(vcryptod|vprocd).*$dir/" >/dev/null && [ -z "$listen" ] && [ ! -e "$dir/$name-vmm.sock" ]; then
		ok "vcrypto-vm stops vcryptod and vprocd; no socket listens (vcryptod's socket file stays: its seccomp filter has no unlink)"
	else
		nok "daemons or listening sockets left: exit $rc; $(pgrep -af "(vcryptod|vprocd).*$dir/") $listen"
	fi
	return 0
}

for id in ${VCRYPTO_LIBVIRT_STACKS:-deb12 deb13}; do
	part "$id"
	set_tag ""
	# a part that stopped early: its domain and daemons go before the next one
	if [ -n "$vmpid" ]; then
		vsh destroy "$name" >/dev/null 2>&1; vsh undefine "$name" >/dev/null 2>&1
		kill -TERM "$vmpid" 2>/dev/null; wait "$vmpid" 2>/dev/null; vmpid=""
	fi
done

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
