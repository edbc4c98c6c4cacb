#!/bin/bash
# Prints the accelerator our QEMU guests use, "kvm" or "tcg", and on stderr one
# line saying why. Used by the VM harness, the demo, vcrypto-vm and the bench.
#
#   accel.sh [--qemu PATH] [--kernel PATH] [--qemu-arg ARG]...
#
# KVM only when a probe guest booted under KVM (the installed Debian guest
# kernel, no initramfs, -cpu max as our guests run, console on a serial file)
# prints the kernel's first console line ("Linux version ...") within a short
# deadline; QEMU is killed right after. On some hosts /dev/kvm opens but QEMU
# aborts ("failed to set MSR ...") or the guest hangs: those get TCG.
# The probe's verdict is cached per host boot (keyed by the boot id, the QEMU
# binary, its extra arguments, the kernel and the KVM device), so it costs one
# probe per boot; a cached verdict still prints its reason line.
#
#   --qemu PATH      QEMU binary to probe (default $VCRYPTO_QEMU, else
#                    qemu-system-x86_64 on PATH)
#   --kernel PATH    guest kernel to probe with (default /boot/vmlinuz-$(kver.sh))
#   --qemu-arg ARG   extra QEMU argument for the probe (e.g. -L DIR); repeatable
#
# Environment:
#   VCRYPTO_ACCEL=kvm|tcg   force the choice; tcg is printed without a probe,
#                           kvm exits 1 with the reason when KVM does not work
#   VCRYPTO_QEMU            QEMU binary (see --qemu)
#   VCRYPTO_ACCEL_TIMEOUT   probe deadline in seconds (default 5)
#   VCRYPTO_ACCEL_CACHE     cache directory (default /run/vcrypto-accel as root,
#                           else $XDG_RUNTIME_DIR/vcrypto-accel or /tmp/vcrypto-accel-UID)
#   VCRYPTO_KVM_DEV         KVM device checked before probing (default /dev/kvm; for tests)
#
# Exit status: 0 with the verdict on stdout; 1 when VCRYPTO_ACCEL=kvm and KVM
# does not work here; 2 on a usage error.
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)

qemu=${VCRYPTO_QEMU:-qemu-system-x86_64}
kernel=""
qextra=()
while [ $# -gt 0 ]; do
	case $1 in
	--qemu) qemu=${2:?--qemu needs a path}; shift 2 ;;
	--kernel) kernel=${2:?--kernel needs a path}; shift 2 ;;
	--qemu-arg) qextra+=("${2?--qemu-arg needs an argument}"); shift 2 ;;
	-h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "accel: unknown argument '$1' (--help)" >&2; exit 2 ;;
	esac
done

kvm_dev=${VCRYPTO_KVM_DEV:-/dev/kvm}
deadline=${VCRYPTO_ACCEL_TIMEOUT:-5}
[[ $deadline =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "accel: VCRYPTO_ACCEL_TIMEOUT: seconds, e.g. 5 or 1.5" >&2; exit 2; }
forced=${VCRYPTO_ACCEL:-}
case $forced in
"" | kvm) ;;
tcg) echo "accel tcg: forced by VCRYPTO_ACCEL=tcg" >&2; echo tcg; exit 0 ;;
*) echo "accel: VCRYPTO_ACCEL must be kvm or tcg, not '$forced'" >&2; exit 2 ;;
esac

# verdict ACCEL REASON: prints the result; a forced kvm that does not work fails.
verdict() {
	if [ "$1" = tcg ] && [ "$forced" = kvm ]; then
		echo "accel: VCRYPTO_ACCEL=kvm, but KVM does not work here: ${2#accel tcg: }" >&2
		exit 1
	fi
	echo "$2" >&2
	echo "$1"
	exit 0
}

# The cheap checks run every time (group membership can change within a boot).
[ -e "$kvm_dev" ] || verdict tcg "accel tcg: no $kvm_dev"
[ -r "$kvm_dev" ] && [ -w "$kvm_dev" ] ||
	verdict tcg "accel tcg: $kvm_dev present but not readable and writable by $(id -un) (group $(stat -c %G "$kvm_dev" 2>/dev/null))"
qbin=$(command -v "$qemu") || verdict tcg "accel tcg: $kvm_dev present but QEMU '$qemu' not found"
if [ -z "$kernel" ]; then
	kver=$("$here/kver.sh" 2>/dev/null) || verdict tcg "accel tcg: $kvm_dev present but no guest kernel to probe it with"
	kernel=/boot/vmlinuz-$kver
fi
[ -r "$kernel" ] || verdict tcg "accel tcg: $kvm_dev present but the probe kernel $kernel is not readable"

# --- the cache: one file per (boot, QEMU, arguments, kernel, device), written atomically
cache=${VCRYPTO_ACCEL_CACHE:-}
if [ -z "$cache" ]; then
	if [ "$(id -u)" = 0 ]; then cache=/run/vcrypto-accel
	elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then cache=$XDG_RUNTIME_DIR/vcrypto-accel
	else cache=/tmp/vcrypto-accel-$(id -u); fi
fi
boot=$(tr -cd '0-9a-f-' <"${VCRYPTO_BOOT_ID_FILE:-/proc/sys/kernel/random/boot_id}" 2>/dev/null)
cfile=""
# Only a directory of our own, not a link someone else planted (e.g. in /tmp).
# mkdir first: callers started together race to create it, and the losers use it.
if [ -n "$boot" ] && { mkdir -m 0700 "$cache" 2>/dev/null || [ -d "$cache" ]; } && [ ! -L "$cache" ] && [ -O "$cache" ]; then
	key=$(printf '%s\n' "$qbin" "$(stat -L -c '%i %s %Y' "$qbin")" "$kernel" "$(stat -L -c '%i %s %Y' "$kernel")" \
		"$kvm_dev" "${qextra[@]}" | sha256sum | cut -c1-16)
	cfile=$cache/$boot.$key
	exec 9>"$cache/lock"
	# Callers started together wait for the one probe instead of each probing.
	flock -w 60 9 2>/dev/null || true
	if [ -f "$cfile" ]; then
		{ read -r a; read -r why; } <"$cfile"
		if [ "$a" = kvm ] || [ "$a" = tcg ]; then verdict "$a" "$why (cached for this boot)"; fi
	fi
	# Verdicts of earlier boots are of no use.
	for f in "$cache"/*; do
		case ${f##*/} in "$boot".* | lock) ;; *) rm -f "$f" ;; esac
	done
fi

# --- the probe
work=$(mktemp -d "${TMPDIR:-/tmp}/vcrypto-accel.XXXXXX") || exit 1
qpid=""
cleanup() {
	[ -n "$qpid" ] && { kill -KILL -- "-$qpid" 2>/dev/null; kill -KILL "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
us() { local t=${EPOCHREALTIME//[.,]/}; echo "${t#0}"; }
limit=$(awk -v s="$deadline" 'BEGIN { printf "%d", s * 1000000 }')
start=$(us)
# Its own process group, so that whatever it started goes with it. While it
# runs, stderr is parked: bash would report an aborting QEMU as a job message.
exec 8>&2 2>/dev/null
setsid "$qbin" -nodefaults -no-user-config -display none -no-reboot -machine pc,accel=kvm -cpu max -m 128M \
	"${qextra[@]}" -kernel "$kernel" -append "console=ttyS0 panic=-1" \
	-serial "file:$work/console" >"$work/qemu.log" 2>&1 </dev/null 8>&- 9>&- &
qpid=$!
a="" why=""
while :; do
	el=$(($(us) - start))
	if grep -q 'Linux version' "$work/console" 2>/dev/null; then
		a=kvm why="accel kvm: a probe guest under KVM printed its first kernel line in $(awk -v u="$el" 'BEGIN { printf "%.1f", u / 1000000 }') s"
		break
	fi
	if ! kill -0 "$qpid" 2>/dev/null; then
		wait "$qpid" 2>/dev/null; rc=$?; qpid=""
		msg=$(grep -m1 -i 'error\|fail\|abort' "$work/qemu.log" || grep -m1 . "$work/qemu.log")
		msg=$(printf "%s" "$msg" | sed -E "s/^[^ :]*qemu[^ :]*: //; s/^error: //")
		case $rc in
		134) how="qemu aborted" ;;
		0) how="qemu exited before the kernel printed anything" ;;
		*) if [ "$rc" -gt 128 ]; then how="qemu died of signal $((rc - 128))"; else how="qemu exited with status $rc"; fi ;;
		esac
		a=tcg why="accel tcg: $kvm_dev present but a probe guest did not start ($how${msg:+: $msg})"
		break
	fi
	if [ "$el" -ge "$limit" ]; then
		if [ -s "$work/console" ]; then
			a=tcg why="accel tcg: $kvm_dev present but a probe guest printed no kernel line in $deadline s"
		else
			a=tcg why="accel tcg: $kvm_dev present but a probe guest printed nothing in $deadline s"
		fi
		break
	fi
	sleep 0.05
done

if [ -n "$qpid" ]; then
	kill -KILL -- "-$qpid" 2>/dev/null; kill -KILL "$qpid" 2>/dev/null; wait "$qpid"; qpid=""
fi
exec 2>&8 8>&-
if [ -n "$cfile" ]; then
	tmp=$(mktemp "$cache/.new.XXXXXX") &&
		printf '%s\n%s\n' "$a" "$why" >"$tmp" && mv -f "$tmp" "$cfile" || rm -f "$tmp"
fi
verdict "$a" "$why"
