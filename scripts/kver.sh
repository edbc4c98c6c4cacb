#!/bin/sh
# Prints the version of the installed Debian guest kernel: the newest
# /boot/vmlinuz-VERSION whose modules are installed. Never hard-coded:
# Debian updates linux-image-amd64.
set -eu
best=""
for k in /boot/vmlinuz-*; do
	[ -e "$k" ] || continue
	v=${k#/boot/vmlinuz-}
	[ -f "/lib/modules/$v/modules.dep" ] || continue
	best="$best
$v"
done
v=$(printf '%s\n' "$best" | sed '/^$/d' | sort -V | tail -n 1)
if [ -z "$v" ]; then
	echo "kver: no guest kernel found (apt-get install linux-image-amd64)" >&2
	exit 1
fi
if [ "${1:-}" = "--headers" ]; then
	if [ ! -d "/lib/modules/$v/build" ]; then
		echo "kver: no headers for $v (apt-get install linux-headers-amd64)" >&2
		exit 1
	fi
	echo "/lib/modules/$v/build"
else
	echo "$v"
fi
