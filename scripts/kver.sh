#!/bin/sh
# Prints the version of the Debian guest kernel: the newest ROOT/boot/vmlinuz-VERSION
# whose modules are in ROOT/lib/modules/VERSION (ROOT is / unless --root). Never
# hard-coded: Debian updates linux-image-amd64.
#
#   kver.sh [--root DIR] [--kver VERSION] [--headers | --image | --moddir]
#
# --root DIR     a kernel tree unpacked elsewhere (scripts/peers.sh's 6.12)
# --kver V       this version instead of the newest one
# --headers      print the headers (Kbuild) directory instead of the version
# --image        print the kernel image path
# --moddir       print the modules directory
set -eu
root="" want="" what=version
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=${2%/}; shift ;;
	--kver) want=$2; shift ;;
	--headers) what=headers ;;
	--image) what=image ;;
	--moddir) what=moddir ;;
	*) echo "kver: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$want" ]; then
	v=$want
	[ -f "$root/lib/modules/$v/modules.dep" ] || { echo "kver: no modules for $v in ${root:-/}lib/modules" >&2; exit 1; }
else
	best=""
	for k in "$root"/boot/vmlinuz-*; do
		[ -e "$k" ] || continue
		v=${k#"$root"/boot/vmlinuz-}
		[ -f "$root/lib/modules/$v/modules.dep" ] || continue
		best="$best
$v"
	done
	v=$(printf '%s\n' "$best" | sed '/^$/d' | sort -V | tail -n 1)
fi
if [ -z "$v" ]; then
	if [ -n "$root" ]; then
		echo "kver: no guest kernel in $root (scripts/peers.sh)" >&2
	else
		echo "kver: no guest kernel found (apt-get install linux-image-amd64)" >&2
	fi
	exit 1
fi
case $what in
headers)
	if [ ! -d "$root/lib/modules/$v/build" ]; then
		echo "kver: no headers for $v (apt-get install linux-headers-amd64)" >&2
		exit 1
	fi
	echo "$root/lib/modules/$v/build" ;;
image) echo "$root/boot/vmlinuz-$v" ;;
moddir) echo "$root/lib/modules/$v" ;;
*) echo "$v" ;;
esac
