#!/bin/bash
# Boots the Debian guest kernel in QEMU with a test initramfs and the devices a
# case declares, relays the guest's TAP results, and checks the guest kernel log.
#
#   vmrun.sh [options] -c CASE.sh
#
#   -c FILE          case script run by the guest's /init (busybox sh); its
#                    output is TAP. ". /lib/tap.sh" gives ok/not_ok/check/note;
#                    ". /lib/stock_lib.sh" selftest_wait (cases/stock_lib.sh).
#   -n NAME          name used for the work directory and messages
#   -m MODULE        guest kernel module to load (name, or path to our .ko); repeatable
#   -f SRC[:DST]     file to put in the initramfs (default /bin/NAME); repeatable
#   -x SRC[:DST]     like -f for a dynamic program or .so: its ldd libraries too
#   -d CMD           host daemon to start before QEMU (bash -c CMD, own process
#                    group; killed on every exit path); repeatable
#   -w PATH          wait (up to 20 s) for this socket before booting; repeatable
#   -b               add a virtio-crypto device on QEMU's builtin backend
#   -u SOCK[,queues=N]  add a virtio-crypto device served over vhost-user on SOCK
#                    (QEMU < 8.0: vectors=0, QEMU 7.2 crashes with MSI-X here;
#                    newer QEMU: MSI-X on)
#   -s SOCK          add virtio-serial port org.vcrypto.vmmcall.0 connected to SOCK
#   -F HOSTPORT:GUESTPORT  user networking forward, bound to 127.0.0.1 only; repeatable
#   -N               user networking without forwards
#   -q ARG           extra QEMU argument; repeatable
#   -K ARG           extra guest kernel command line argument; repeatable
#                    (the guest also gets vcrypto.qemu=X.Y and vcrypto.stack=NAME
#                    there: a case reads /proc/cmdline to say how a stack differs)
#   -M SIZE          guest memory (default 512M)   -C N   vCPUs (default 1)
#   -t SECONDS       timeout (default 180)
#   -k               keep the work directory
#   -l               live: print the case's output as the guest writes it
#
# The stack (default: $VCRYPTO_QEMU or the system's QEMU, the newest /boot kernel):
#   -P ENVFILE       a stack fetched by scripts/peers.sh (its peers.env): sets
#                    -Q -L -D -R -V -S from it
#   -Q QEMU          QEMU binary       -L DIR  its data dir (-L, firmware)
#   -D DIR           QEMU_MODULE_DIR (an unpacked QEMU's own loadable modules)
#   -R ROOT          guest kernel root: ROOT/boot/vmlinuz-V, ROOT/lib/modules/V
#   -V KVER          guest kernel version (default: the newest in ROOT)
#   -S NAME          stack name, put in front of every TAP description ("[NAME]")
# Without these, VCRYPTO_STACK picks the stack (tests/vm/stack.sh): deb12
# (default: Debian 12's QEMU 7.2 and kernel 6.1, named e.g.
# "qemu-7.2/linux-6.1") or deb13 (QEMU 10.0 and kernel 6.12 from
# scripts/peers.sh, "qemu-10.0/linux-6.12"). On deb13 a module or file given
# from $VCRYPTO_BUILD/kmod/ is taken from kmod-6.12/ instead, so a test runs unchanged on either stack. A deb13 stack that is not
# fetched is an error here; tests/run.sh SKIPs such tests before running them.
#
# Environment: VCRYPTO_ACCEL=kvm|tcg forces the accelerator, which is otherwise
# KVM only where a probe guest starts under it (scripts/accel.sh, once per host
# boot); VCRYPTO_QEMU names the QEMU binary (default qemu-system-x86_64).
#
# Exit status: 0 if the guest ran the case to its end, reported no "not ok",
# and its kernel log is clean; 1 otherwise. Every process started here is
# killed when it exits, also on timeout, failure and Ctrl-C.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${VCRYPTO_BUILD:-$top/build}

name=vm case_file="" mem=512M smp=1 timeout=180 keep=0 net=0 live=0
mods=() files=() daemons=() waits=() qargs=() fwds=() kargs=
have_vhost=0 ndev=0
qemu=${VCRYPTO_QEMU:-qemu-system-x86_64} qemu_data="" qemu_moddir="" kroot="" kver="" stack=""
vhost_devs=() # indices in qargs of the vhost-user devices' -device value
explicit=0 # the stack was given by options (-P -Q -R -V -S), not VCRYPTO_STACK
while getopts "c:n:m:f:x:d:w:bu:s:F:Nq:K:M:C:t:klhP:Q:L:D:R:V:S:" o; do
	case $o in
	c) case_file=$OPTARG ;;
	n) name=$OPTARG ;;
	m) mods+=(-m "$OPTARG") ;;
	f) files+=(-f "$OPTARG") ;;
	x) files+=(-x "$OPTARG") ;;
	d) daemons+=("$OPTARG") ;;
	w) waits+=("$OPTARG") ;;
	b) qargs+=(-object "cryptodev-backend-builtin,id=cb$ndev" -device "virtio-crypto-pci,cryptodev=cb$ndev")
	   ndev=$((ndev + 1)) ;;
	u) sock=${OPTARG%%,*}; extra=""; [[ $OPTARG == *,* ]] && extra=",${OPTARG#*,}"
	   have_vhost=1
	   qargs+=(-chardev "socket,id=vc$ndev,path=$sock" -object "cryptodev-vhost-user,id=cd$ndev,chardev=vc$ndev$extra"
		   -device)
	   vhost_devs+=(${#qargs[@]})
	   qargs+=("virtio-crypto-pci,cryptodev=cd$ndev")
	   ndev=$((ndev + 1)) ;;
	s) qargs+=(-device virtio-serial-pci -chardev "socket,id=vmm0,path=$OPTARG"
		   -device "virtserialport,chardev=vmm0,name=org.vcrypto.vmmcall.0") ;;
	F) fwds+=("$OPTARG"); net=1 ;;
	N) net=1 ;;
	q) qargs+=("$OPTARG") ;;
	K) kargs="$kargs $OPTARG" ;;
	M) mem=$OPTARG ;;
	C) smp=$OPTARG ;;
	t) timeout=$OPTARG ;;
	k) keep=1 ;;
	l) live=1 ;;
	P) explicit=1
	   [ -f "$OPTARG" ] || { echo "vmrun: no stack file $OPTARG (scripts/peers.sh)" >&2; exit 2; }
	   qemu=$(. "$OPTARG" && echo "$VCRYPTO_PEER_QEMU")
	   qemu_data=$(. "$OPTARG" && echo "$VCRYPTO_PEER_QEMU_DATA")
	   qemu_moddir=$(. "$OPTARG" && echo "$VCRYPTO_PEER_QEMU_MODULE_DIR")
	   kroot=$(. "$OPTARG" && echo "$VCRYPTO_PEER_ROOT")
	   kver=$(. "$OPTARG" && echo "$VCRYPTO_PEER_KVER")
	   stack=$(. "$OPTARG" && echo "$VCRYPTO_PEER_STACK") ;;
	Q) qemu=$OPTARG explicit=1 ;;
	L) qemu_data=$OPTARG ;;
	D) qemu_moddir=$OPTARG ;;
	R) kroot=${OPTARG%/} explicit=1 ;;
	V) kver=$OPTARG explicit=1 ;;
	S) stack=$OPTARG explicit=1 ;;
	h) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
[ -n "$case_file" ] || { echo "vmrun: -c CASE is required (-h for help)" >&2; exit 2; }

if [ "$explicit" = 0 ]; then
	# VCRYPTO_STACK (tests/vm/stack.sh): the stack's QEMU, kernel, name and
	# the directory of our guest module built for its kernel.
	sv=$("$here/stack.sh" 2>&1) || { echo "not ok - $name: VCRYPTO_STACK=${VCRYPTO_STACK:-deb12}: $sv"; exit 1; }
	eval "$sv"
	stack=$STACK_NAME
	if [ -n "$STACK_ENV" ]; then
		qemu=$(. "$STACK_ENV" && echo "$VCRYPTO_PEER_QEMU")
		qemu_data=$(. "$STACK_ENV" && echo "$VCRYPTO_PEER_QEMU_DATA")
		qemu_moddir=$(. "$STACK_ENV" && echo "$VCRYPTO_PEER_QEMU_MODULE_DIR")
		kroot=$(. "$STACK_ENV" && echo "$VCRYPTO_PEER_ROOT")
		kver=$(. "$STACK_ENV" && echo "$VCRYPTO_PEER_KVER")
		# Our modules built for the default kernel -> the ones for this kernel.
		kmod_dir=$(realpath -m "$build/kmod")
		remap() { # ARG of -m or -f: SRC[:DST]
			local src=${1%%:*} rest="" r
			[[ $1 == *:* ]] && rest=":${1#*:}"
			r=$(realpath -m "$src")
			case $r in
			"$kmod_dir"/*) src=$STACK_KMOD/${r#"$kmod_dir"/} ;;
			*) echo "$1"; return 0 ;;
			esac
			[ -e "$src" ] || { echo "not ok - [$stack] $name: $src missing (make all, after scripts/peers.sh)" >&2; return 1; }
			echo "$src$rest"
		}
		for i in "${!mods[@]}"; do
			[ "${mods[i]}" = -m ] && continue
			mods[i]=$(remap "${mods[i]}" 2>&1) || { echo "${mods[i]}"; exit 1; }
		done
		for i in "${!files[@]}"; do
			case ${files[i]} in -f | -x) continue ;; esac
			files[i]=$(remap "${files[i]}" 2>&1) || { echo "${files[i]}"; exit 1; }
		done
	fi
fi

# TAP descriptions carry the stack's name when one is given.
tag=""
[ -n "$stack" ] && tag="[$stack] "
tagsed="s/^\(\(not \)\{0,1\}ok\( [0-9][0-9]*\)\{0,1\} - \)/\1${tag//\//\\/}/"
if [ -n "$kver" ]; then
	kver=$("$top/scripts/kver.sh" ${kroot:+--root "$kroot"} --kver "$kver") || exit 1
else
	kver=$("$top/scripts/kver.sh" ${kroot:+--root "$kroot"}) || exit 1
fi
kimage=$kroot/boot/vmlinuz-$kver
qemu_env=()
[ -n "$qemu_moddir" ] && qemu_env=(QEMU_MODULE_DIR="$qemu_moddir")
qemu_ver=$(env "${qemu_env[@]}" "$qemu" --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$qemu_ver" ] || { echo "not ok - $tag$name: $qemu does not run"; exit 1; }
# QEMU 7.2 (and 7.x) crash in virtio-crypto's guest_notifier_mask with MSI-X
# and vhost-user; fixed in 8.0. So MSI-X goes off only where it must.
msix=on
[ "${qemu_ver%%.*}" -ge 8 ] || msix=off
for i in "${vhost_devs[@]}"; do
	[ "$msix" = on ] || qargs[i]="${qargs[i]},vectors=0"
done
qemu_L=()
[ -n "$qemu_data" ] && qemu_L=(-L "$qemu_data")
work=$(mktemp -d "${TMPDIR:-/tmp}/vcrypto-vm-$name.XXXXXX")
pgids=()
qemu_pid=""
finished=0
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$qemu_pid" ] && kill -KILL "$qemu_pid" 2>/dev/null
	for g in "${pgids[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
	sleep 0.2
	for g in "${pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	[ -n "$qemu_pid" ] && wait "$qemu_pid" 2>/dev/null
	if [ "$keep" = 1 ] || [ "$finished" = 0 ]; then
		echo "# vmrun: work directory kept: $work"
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "not ok - vmrun interrupted"; exit 130' INT TERM

# KVM only where a probe guest starts under it (scripts/accel.sh; cached per boot).
accel=$(env "${qemu_env[@]}" "$top/scripts/accel.sh" --qemu "$qemu" --kernel "$kimage" \
	${qemu_data:+--qemu-arg -L --qemu-arg "$qemu_data"} 2>"$work/accel.why") ||
	{ echo "not ok - $tag$name: $(cat "$work/accel.why")"; exit 1; }

"$here/../../guest/image/mkinitramfs.sh" -o "$work/initrd.gz" -k "$kver" ${kroot:+-r "$kroot"} "${mods[@]}" \
	-f "$here/../lib/tap.sh:/lib/tap.sh" -f "$here/cases/stock_lib.sh:/lib/stock_lib.sh" \
	"${files[@]}" -c "$case_file" ||
	{ echo "not ok - $tag$name: initramfs build failed"; exit 1; }

for d in "${daemons[@]}"; do
	setsid bash -c "exec $d" >>"$work/daemons.log" 2>&1 &
	pgids+=($!)
done
for w in "${waits[@]}"; do
	for _ in $(seq 200); do [ -S "$w" ] && break; sleep 0.1; done
	[ -S "$w" ] || { echo "not ok - $tag$name: socket $w did not appear"; tail -5 "$work/daemons.log" | sed 's/^/# /'; exit 1; }
done

memargs=(-m "$mem")
if [ "$have_vhost" = 1 ]; then
	# vhost-user needs guest RAM the backend can map: shared memfd.
	memargs+=(-object "memory-backend-memfd,id=mem,size=$mem,share=on" -numa node,memdev=mem)
fi
netargs=()
if [ "$net" = 1 ]; then
	nd="user,id=n0"
	for f in "${fwds[@]}"; do nd="$nd,hostfwd=tcp:127.0.0.1:${f%%:*}-:${f#*:}"; done
	netargs=(-netdev "$nd" -device virtio-net-pci,netdev=n0)
fi

echo "# vmrun: $name: stack ${stack:-default}: QEMU $qemu_ver ($qemu), guest $kver, vhost-user MSI-X $msix"
echo "# vmrun: $name: kernel $kver, accel $accel, ${mem} RAM, $smp vCPU"
echo "# vmrun: $(cat "$work/accel.why")"
start=$SECONDS
env "${qemu_env[@]}" "$qemu" "${qemu_L[@]}" -nodefaults -no-user-config -display none -no-reboot \
	-machine pc,accel=$accel -cpu max -smp "$smp" "${memargs[@]}" \
	-kernel "$kimage" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 loglevel=5 panic=-1 oops=panic panic_on_warn=0 rdinit=/init vcrypto.qemu=$qemu_ver${stack:+ vcrypto.stack=$stack}$kargs" \
	-serial "file:$work/console.log" -serial "file:$work/tap.log" \
	"${netargs[@]}" "${qargs[@]}" >"$work/qemu.log" 2>&1 &
qemu_pid=$!
if [ "$live" = 1 ]; then
	# The case's output as it arrives, up to the kernel log dump.
	: >>"$work/tap.log"
	tail -n +1 -f --pid=$qemu_pid "$work/tap.log" 2>/dev/null | sed -u 's/\r$//' |
		sed -u -n "/^VCRYPTO-DMESG-BEGIN/q; /^VCRYPTO-CASE-DONE/d; /^VCRYPTO-CRYPTODEV /d; $tagsed; p" &
fi

timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		timed_out=1
		kill -KILL "$qemu_pid" 2>/dev/null
		break
	fi
	sleep 0.2
done
wait "$qemu_pid"
qrc=$?
# The guest's serial driver turns \n into \r\n.
[ -f "$work/tap.log" ] && sed -i 's/\r$//' "$work/tap.log"
qemu_pid=""
elapsed=$((SECONDS - start))

rc=0
# The case's own results (the kernel log dump is kept out of the TAP stream).
[ "$live" = 1 ] && sleep 0.3 || sed -n "/^VCRYPTO-DMESG-BEGIN/q; /^VCRYPTO-CASE-DONE/d; /^VCRYPTO-CRYPTODEV /d; $tagsed; p" "$work/tap.log" 2>/dev/null
grep -q '^not ok' "$work/tap.log" 2>/dev/null && rc=1

if [ "$timed_out" = 1 ]; then
	echo "not ok - $tag$name: guest timed out after ${timeout}s and was killed"
	tail -n 20 "$work/console.log" | sed 's/^/#   console: /'
	rc=1
elif ! grep -q '^VCRYPTO-CASE-DONE' "$work/tap.log"; then
	echo "not ok - $tag$name: guest did not finish its case (QEMU exit $qrc)"
	tail -n 10 "$work/qemu.log" | sed 's/^/#   qemu: /'
	tail -n 20 "$work/console.log" | sed 's/^/#   console: /'
	rc=1
else
	echo "ok - $tag$name: guest ran its case to the end in ${elapsed}s ($(sed -n 's/^VCRYPTO-CASE-DONE //p' "$work/tap.log" | head -1))"
fi
# Interrupt mode of the vhost-user devices, the stacks' visible difference:
# QEMU 7.2 runs them with vectors=0 (INTx), newer QEMU with MSI-X. Checked on
# the virtio-crypto devices still bound when the case ended (/init lists them).
nvhost=${#vhost_devs[@]}
if [ "$nvhost" -gt 0 ] && grep -q '^VCRYPTO-CASE-DONE' "$work/tap.log" 2>/dev/null; then
	devs=$(sed -n 's/^VCRYPTO-CRYPTODEV //p' "$work/tap.log" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
	nbound=$(grep -c '^VCRYPTO-CRYPTODEV ' "$work/tap.log")
	nintx=$(grep -c '^VCRYPTO-CRYPTODEV .* msix=0$' "$work/tap.log")
	if [ "$nbound" = 0 ]; then
		echo "ok - $tag$name: vhost-user MSI-X $msix # SKIP no virtio-crypto device bound when the case ended"
	elif [ "$msix" = on ]; then
		[ "$nintx" = 0 ] &&
			echo "ok - $tag$name: QEMU $qemu_ver: vhost-user virtio-crypto with MSI-X (no vectors=0): every bound device uses MSI-X ($devs)" ||
			{ echo "not ok - $tag$name: QEMU $qemu_ver: MSI-X on, but $nintx bound device(s) have no MSI-X vector ($devs)"; rc=1; }
	elif [ "$nintx" -ge 1 ] && [ "$nintx" -le "$nvhost" ]; then
		echo "ok - $tag$name: QEMU $qemu_ver: vhost-user virtio-crypto with vectors=0 (7.2 crashes with MSI-X): $nintx bound device(s) on INTx ($devs)"
	elif [ "$nintx" -gt "$nvhost" ]; then
		echo "not ok - $tag$name: QEMU $qemu_ver, vectors=0: $nintx devices without MSI-X, only $nvhost are vhost-user ($devs)"
		rc=1
	else
		echo "ok - $tag$name: QEMU $qemu_ver: vhost-user with vectors=0 # SKIP no vhost-user device bound at the end ($devs)"
	fi
fi
# Kernel log: the console (catches crashes) plus the full dmesg dump.
cat "$work/console.log" >"$work/kernel.log" 2>/dev/null
sed -n '/^VCRYPTO-DMESG-BEGIN/,/^VCRYPTO-DMESG-END/p' "$work/tap.log" >>"$work/kernel.log" 2>/dev/null
if "$top/guest/image/scanlog.sh" "$work/kernel.log"; then
	echo "ok - $tag$name: guest kernel log has no BUG/WARNING/Oops"
else
	echo "not ok - $tag$name: guest kernel log shows a problem"
	rc=1
fi
if [ -s "$work/daemons.log" ]; then
	sed 's/^/#   daemon: /' "$work/daemons.log" | tail -n 30
fi
finished=1
[ "$rc" = 0 ] || keep=1
exit $rc
