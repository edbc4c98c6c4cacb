#!/bin/bash
# Fetches the second peer stack the guest tests run on: QEMU 10.0 and the
# Debian guest kernel 6.12 from Debian's bookworm-backports, unpacked into a
# cache directory. The system's QEMU and kernel are not touched: nothing is
# installed, apt runs with its own sources list, state and cache.
#
#   peers.sh [--env] [--offline] [--update]
#
#   (no option)  fetch and unpack what is missing; silent when all is there
#   --env        also print the path of the stack's env file on stdout
#   --offline    never use the network: exit 77 unless the stack is there
#   --update     ask the archive again for the newest 6.12 / 10.0 packages
#
# The env file holds VCRYPTO_PEER_*=value lines (no spaces, no quotes), so
# both sh (". FILE") and make ("include FILE") read it: STACK (name for TAP
# lines), QEMU, QEMU_DATA (-L), QEMU_MODULE_DIR, QEMU_VERSION, ROOT (kernel
# root: boot/, lib/modules/), KVER, KSERIES, KERNEL, MODDIR, HEADERS.
#
# QEMU comes with its own data (qemu-system-data) and SeaBIOS of the suite,
# and usr/bin/qemu-bundle -> ../.. beside the binary: a QEMU that finds
# "qemu-bundle" in its own directory looks for its modules, data and firmware
# under it instead of /usr. So QEMU 10 never loads the system's QEMU 7.2
# modules (which aborts it: "Only modules from the same build can be loaded"),
# also where no QEMU_MODULE_DIR or -L can be passed, as under libvirt, whose
# capability probe loads every module. iPXE option ROMs (NICs) are the
# system's (/usr/lib/ipxe/qemu, linked), as the suite has no newer ones.
#
# The mirror is the one the system's own apt sources use for the release
# suite (deb822 /etc/apt/sources.list.d/*.sources, or one-line *.list files).
#
# Environment: VCRYPTO_PEERS_DIR cache directory (default
# /var/cache/vcrypto-peers as root, else ${XDG_CACHE_HOME:-~/.cache}/vcrypto-peers);
# VCRYPTO_PEERS_MIRROR overrides the mirror found in the system's sources.
#
# Exit status: 0 ready; 77 the backports suite (or the packages) cannot be
# reached: one line on stderr says why, and the stack's tests SKIP with it;
# 1 anything else went wrong; 2 usage.
set -euo pipefail

KSERIES=6.12
QSERIES=10.0
SKIP=77

env_out=0 offline=0 update=0
for a in "$@"; do
	case $a in
	--env) env_out=1 ;;
	--offline) offline=1 ;;
	--update) update=1 ;;
	-h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "peers: unknown option $a (--help)" >&2; exit 2 ;;
	esac
done

if [ -n "${VCRYPTO_PEERS_DIR:-}" ]; then
	cache=$VCRYPTO_PEERS_DIR
elif [ "$(id -u)" = 0 ]; then
	cache=/var/cache/vcrypto-peers
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/vcrypto-peers
fi
envf=$cache/peers.env
stack="qemu-$QSERIES/linux-$KSERIES"

skip() { echo "peers: $stack unavailable: $*" >&2; exit $SKIP; }
die() { echo "peers: $*" >&2; exit 1; }

# The env file is written last, so its presence means a complete stack.
stack_ok() {
	[ -f "$envf" ] || return 1
	(
		set +u
		. "$envf"
		for f in "$VCRYPTO_PEER_QEMU" "$VCRYPTO_PEER_KERNEL" "$VCRYPTO_PEER_MODDIR/modules.dep" \
			"$VCRYPTO_PEER_HEADERS/Makefile" "${VCRYPTO_PEER_QEMU%/*}/qemu-bundle/usr/share/seabios/bios-256k.bin" \
			"$VCRYPTO_PEER_QEMU_DATA/linuxboot_dma.bin"; do
			[ -n "$f" ] && [ -e "$f" ] || exit 1
		done
	)
}
done_ok() {
	[ "$env_out" = 1 ] && echo "$envf"
	exit 0
}

if [ "$update" = 0 ] && stack_ok; then done_ok; fi
[ "$offline" = 0 ] || { [ -f "$envf" ] && skip "incomplete or from an older peers.sh (run scripts/peers.sh)"; skip "not fetched yet (run scripts/peers.sh)"; }
case $cache in *[[:space:]]*) die "cache directory '$cache' contains a space" ;; esac
for t in apt-get apt-cache dpkg-deb depmod flock; do
	command -v $t >/dev/null || skip "$t not found (not a Debian system?)"
done

mkdir -p "$cache" || die "cannot create $cache"
exec 9>"$cache/.lock"
flock -w 1800 9 || die "another peers.sh holds $cache/.lock"
# Someone else may have finished while we waited.
if [ "$update" = 0 ] && stack_ok; then done_ok; fi

# --- where from: the system's own Debian source for the release suite ------
. /etc/os-release 2>/dev/null || true
release=${VERSION_CODENAME:-bookworm}
suite=$release-backports

# Prints "URI SIGNED-BY" of the first deb source carrying suite $release.
system_source() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$release" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && uri != "" && !found) {
					print uri, (signed == "" ? "-" : signed); found = 1
				}
				types = suites = uri = signed = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:"     { $1 = ""; types = $0; sub(/^ +/, "", types) }
			tolower($1) == "uris:"      { uri = $2 }
			tolower($1) == "suites:"    { $1 = ""; suites = $0; sub(/^ +/, "", suites) }
			tolower($1) == "signed-by:" { signed = $2 }
			END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v want="$release" '
			$1 != "deb" { next }
			{
				i = 2; signed = "-"
				if ($2 ~ /^\[/) {
					for (; i <= NF; i++) {
						if ($i ~ /^\[?signed-by=/) { s = $i; sub(/^\[?signed-by=/, "", s); sub(/\]$/, "", s); signed = s }
						if ($i ~ /\]$/) { i++; break }
					}
				}
				if ($(i + 1) == want) { print $i, signed; exit }
			}' "$f"
	done
}
src=$(system_source | head -n 1)
mirror=${VCRYPTO_PEERS_MIRROR:-${src%% *}}
signed=${src#* }
[ -n "$mirror" ] || skip "no Debian source for '$release' in /etc/apt/sources.list{,.d} to take the mirror from"
opts=""
[ -n "$signed" ] && [ "$signed" != - ] && [ -f "$signed" ] && opts="[signed-by=$signed] "

# --- a private apt: own sources list, state and cache -----------------------
apt=$cache/apt
mkdir -p "$apt/sources.list.d" "$apt/state/lists/partial" "$apt/cache/archives/partial"
echo "deb ${opts}$mirror $suite main" >"$apt/sources.list"
A=(-q -o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=$apt/sources.list.d"
	-o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
	-o "APT::Sandbox::User=$(id -un)" -o Acquire::Retries=0 -o Acquire::http::Timeout=20)

if ! out=$(apt-get "${A[@]}" update 2>&1) || grep -qE '^(W|E): Failed to fetch' <<<"$out"; then
	skip "apt-get update of $suite from $mirror failed: $(grep -E '^(W|E):' <<<"$out" | head -n 1)"
fi

# Newest version of package $1 in $suite whose version starts with $2.
newest() {
	apt-cache "${A[@]}" madison "$1" 2>/dev/null | awk -F'|' -v s="$suite" '$3 ~ s { gsub(/ /, "", $2); print $2 }' |
		grep -F -- "$2" | sort -V | tail -n 1
}
qver=$(newest qemu-system-x86 ":$QSERIES.")
[ -n "$qver" ] || skip "$suite has no qemu-system-x86 $QSERIES"
biosver=$(newest seabios "")
[ -n "$biosver" ] || skip "$suite has no seabios"
# Kernel: the newest 6.12 ABI with image, headers (arch and common) and kbuild.
have() { [ -n "$(apt-cache "${A[@]}" madison "$1" 2>/dev/null)" ]; }
kabi=""
for v in $(apt-cache "${A[@]}" pkgnames "linux-headers-$KSERIES." | sed -n "s/^linux-headers-\($KSERIES\.[^-]*\)-amd64\$/\1/p" | sort -rV); do
	have "linux-headers-$v-common" && have "linux-kbuild-$v" || continue
	if have "linux-image-$v-amd64-unsigned"; then
		kimg=linux-image-$v-amd64-unsigned
	elif have "linux-image-$v-amd64"; then
		kimg=linux-image-$v-amd64
	else
		continue
	fi
	kabi=$v
	break
done
[ -n "$kabi" ] || skip "$suite has no complete linux $KSERIES (image, headers, kbuild) for amd64"
kver=$kabi-amd64
qv=${qver#*:}
qv=${qv%%+*}
dest=$cache/stack-linux-$kver-qemu-$qv

if [ -f "$envf" ] && [ -d "$dest" ] && grep -qx "VCRYPTO_PEER_ROOT=$dest" "$envf" && stack_ok; then
	done_ok
fi

qpkgs=("qemu-system-x86=$qver" "qemu-system-common=$qver")
kpkgs=("$kimg" "linux-headers-$kver" "linux-headers-$kabi-common" "linux-kbuild-$kabi")
fpkgs=("qemu-system-data=$qver" "seabios=$biosver")
# A tree of these versions unpacked by an older peers.sh (without QEMU's data,
# SeaBIOS and qemu-bundle) is completed in place: tests may be running on it.
inplace=0
[ -x "$dest/usr/bin/qemu-system-x86_64" ] && [ -f "$dest/boot/vmlinuz-$kver" ] &&
	[ -f "$dest/lib/modules/$kver/modules.dep" ] && [ -f "$dest/usr/src/linux-headers-$kver/Makefile" ] && inplace=1
dl=$(mktemp -d "$cache/dl.XXXXXX")
trap 'rm -rf "$dl" "$dest.new"' EXIT
if [ "$inplace" = 1 ]; then
	echo "peers: adding QEMU $qver's data and SeaBIOS $biosver to $dest" >&2
	pkgs=("${fpkgs[@]}") into=$dest
else
	echo "peers: fetching QEMU $qver and linux $kver from $suite (about 135 MB, once)" >&2
	pkgs=("${qpkgs[@]}" "${fpkgs[@]}" "${kpkgs[@]}") into=$dest.new
	rm -rf "$dest.new"
fi
if ! out=$(cd "$dl" && apt-get "${A[@]}" download "${pkgs[@]}" 2>&1); then
	skip "apt-get download from $suite failed: $(grep -E '^(W|E):' <<<"$out" | head -n 1)"
fi
mkdir -p "$into"
for d in "$dl"/*.deb; do
	dpkg-deb -x "$d" "$into" || die "dpkg-deb -x $(basename "$d") failed"
done
if [ "$inplace" = 0 ]; then
	rm -rf "$dest"
	mv "$dest.new" "$dest"
fi

# The unpacked tree points at /usr/src and /usr/lib (where dpkg would have put
# it): make it point into itself instead.
if [ ! -e "$dest/lib/modules" ] && [ -d "$dest/usr/lib/modules" ]; then
	mkdir -p "$dest/lib" && ln -s ../usr/lib/modules "$dest/lib/modules"
fi
moddir=$dest/lib/modules/$kver
[ -d "$moddir" ] || die "no modules directory for $kver in $dest"
hdr=$dest/usr/src/linux-headers-$kver
[ -f "$hdr/Makefile" ] || die "no headers in $dest/usr/src"
ln -sfn "$hdr" "$moddir/build"
ln -sfn "$dest/usr/src/linux-headers-$kabi-common" "$moddir/source"
# "include /usr/src/linux-headers-X-common/Makefile": relative to this Makefile.
sed -i 's|^include /usr/src/\(linux-headers-[^/]*-common/Makefile\)$|include $(dir $(lastword $(MAKEFILE_LIST)))../\1|' "$hdr/Makefile"
grep -q '^include $(dir' "$hdr/Makefile" || die "unexpected $hdr/Makefile: $(head -n 1 "$hdr/Makefile")"
for l in "$hdr/scripts" "$hdr/tools"; do
	[ -e "$l" ] || die "$l does not resolve inside $dest (linux-kbuild-$kabi missing?)"
done
depmod -b "$dest" "$kver" || die "depmod -b for $kver failed"

qemu=$dest/usr/bin/qemu-system-x86_64
qmods=$dest/usr/lib/x86_64-linux-gnu/qemu
qdata=$dest/usr/share/qemu
missing=$(ldd "$qemu" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' ')
[ -z "$missing" ] || die "QEMU $qver needs libraries Debian $release lacks: $missing"
# Its modules, data and firmware from this tree only (see the top).
ln -sfn ../.. "$dest/usr/bin/qemu-bundle"
if [ -d /usr/lib/ipxe/qemu ] && [ ! -e "$dest/usr/lib/ipxe/qemu" ]; then
	mkdir -p "$dest/usr/lib/ipxe" && ln -s /usr/lib/ipxe/qemu "$dest/usr/lib/ipxe/qemu"
fi
# As libvirt's probe does: every module loads, with no QEMU_MODULE_DIR and no -L;
# and a PC machine finds its BIOS.
out=$(cd / && env -u QEMU_MODULE_DIR "$qemu" -machine none -nodefaults -display none -device help 2>&1 >/dev/null) ||
	die "$qemu -device help failed: $(tail -n 1 <<<"$out")"
[ -z "$out" ] || die "$qemu -device help: $(head -n 1 <<<"$out")"
out=$(cd / && echo quit | env -u QEMU_MODULE_DIR timeout 30 "$qemu" -machine pc,accel=tcg -nodefaults -display none \
	-S -monitor stdio 2>&1 >/dev/null) || die "$qemu does not start a PC machine: $(tail -n 1 <<<"$out")"

cat >"$envf.new" <<EOF
VCRYPTO_PEER_STACK=$stack
VCRYPTO_PEER_SUITE=$suite
VCRYPTO_PEER_QEMU=$qemu
VCRYPTO_PEER_QEMU_DATA=$qdata
VCRYPTO_PEER_QEMU_MODULE_DIR=$qmods
VCRYPTO_PEER_QEMU_VERSION=$qv
VCRYPTO_PEER_ROOT=$dest
VCRYPTO_PEER_KSERIES=$KSERIES
VCRYPTO_PEER_KVER=$kver
VCRYPTO_PEER_KERNEL=$dest/boot/vmlinuz-$kver
VCRYPTO_PEER_MODDIR=$moddir
VCRYPTO_PEER_HEADERS=$hdr
EOF
mv "$envf.new" "$envf"
# Older stacks are no longer referenced.
for d in "$cache"/stack-*; do
	[ "$d" = "$dest" ] || rm -rf "$d"
done
echo "peers: $stack ready in $dest" >&2
done_ok
