#!/bin/bash
# Builds a guest image (an initramfs): busybox-static, kernel modules of the
# guest kernel (dependencies resolved and loaded in order), extra files, an
# /init. A product part: vcrypto-vm's shell and make install use it, and the
# test harness (tests/vm/vmrun.sh) adds its TAP library with -f.
#
#   mkinitramfs.sh -o OUT.cpio.gz -k KVER [-r ROOT] [-m MODULE]... [-f SRC[:DST]]...
#                  [-x SRC[:DST]]... -c CASE
#
# -r is the root the kernel's modules are under (ROOT/lib/modules/KVER; default
# /, scripts/peers.sh's tree for 6.12). -m names a module of the guest kernel
# (virtio_crypto) or a path to a .ko of ours; one built into the kernel (6.12:
# virtio, virtio_pci; modinfo -n says "(builtin)") needs nothing loaded.
# Modules may be compressed (6.12: .ko.xz). -f copies a file (programs go to
# /bin by default); -c is the case script run by /init, its output is the TAP
# channel of tests (/dev/ttyS1). -x copies a dynamically linked program or shared object
# like -f, plus the shared libraries ldd resolves for it and the dynamic loader,
# at their paths.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="" kver="" kroot="" case_file=""
mods=() files=() dyns=()
while getopts "o:k:r:m:f:x:c:" o; do
	case $o in
	o) out=$OPTARG ;;
	k) kver=$OPTARG ;;
	r) kroot=${OPTARG%/} ;;
	m) mods+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	x) dyns+=("$OPTARG") ;;
	c) case_file=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[ -n "$out" ] && [ -n "$kver" ] && [ -n "$case_file" ] || {
	echo "usage: mkinitramfs.sh -o OUT -k KVER [-r ROOT] [-m MOD]... [-f SRC[:DST]]... -c CASE" >&2
	exit 2
}
moddir=$kroot/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || { echo "mkinitramfs: no modules for $kver in $moddir" >&2; exit 1; }
busybox=$(command -v busybox || echo /bin/busybox)
file "$busybox" 2>/dev/null | grep -q 'dynamically' && { echo "mkinitramfs: need busybox-static" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib/modules/vc,root}
cp "$busybox" "$root/bin/busybox"

# Resolve module dependencies from modules.dep; emit in load order (deps first).
declare -A seen=()
order=()
modpath() { # name -> relative path in modules.dep
	local n=${1//-/_}
	awk -F: -v n="$n" '{ p=$1; b=p; sub(/.*\//,"",b); sub(/\.ko(\.[a-z]+)?$/,"",b); gsub(/-/,"_",b); if (b==n) { print p; exit } }' "$moddir/modules.dep"
}
resolve() { # relative path
	local rel=$1 d
	[ -n "${seen[$rel]:-}" ] && return
	seen[$rel]=1
	for d in $(awk -F: -v p="$rel" '$1==p { print $2; exit }' "$moddir/modules.dep"); do
		resolve "$d"
	done
	order+=("$rel")
}
builtin() { # name -> built into the kernel (modules.builtin)?
	grep -qE "/${1//[_-]/[_-]}\.ko\$" "$moddir/modules.builtin" 2>/dev/null
}
need() { # name, what to say when the kernel has no such module
	local p
	p=$(modpath "$1")
	if [ -z "$p" ]; then
		# built into the kernel? then there is nothing to load
		builtin "$1" && return
		echo "mkinitramfs: $2" >&2; exit 1
	fi
	resolve "$p"
}
own=()
for m in "${mods[@]}"; do
	if [[ $m == */* || $m == *.ko ]]; then
		# one of ours: the kernel modules it depends on first
		for d in $(modinfo -F depends "$m" | tr ',' ' '); do
			need "$d" "$m needs unknown module $d"
		done
		own+=("$m")
	else
		need "$m" "module $m not found for $kver"
	fi
done
: >"$root/etc/modules"
for rel in "${order[@]}"; do
	b=$(basename "$rel"); b=${b%%.ko*}
	case $rel in
	*.ko.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/vc/$b.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/$rel" >"$root/lib/modules/vc/$b.ko" ;;
	*.ko.gz) gzip -dc "$moddir/$rel" >"$root/lib/modules/vc/$b.ko" ;;
	*) cp "$moddir/$rel" "$root/lib/modules/vc/$b.ko" ;;
	esac
	echo "$b" >>"$root/etc/modules"
done
for m in "${own[@]}"; do
	b=$(basename "$m" .ko)
	cp "$m" "$root/lib/modules/vc/$b.ko"
	echo "$b" >>"$root/etc/modules"
done

# -x: dynamic programs and their libraries (ldd), kept at the host's paths
for f in "${dyns[@]}"; do
	files+=("$f")
	for lib in $(ldd "${f%%:*}" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
for f in "${files[@]}"; do
	src=${f%%:*}
	if [[ $f == *:* ]]; then dst=${f#*:}; else dst=/bin/$(basename "$src"); fi
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
done
cp "$here/init" "$root/init"
cp "$case_file" "$root/case.sh"
chmod 0755 "$root/init" "$root/case.sh"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
