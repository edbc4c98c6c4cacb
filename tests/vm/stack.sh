#!/bin/bash
# Resolves a guest test stack name (VCRYPTO_STACK) into what vmrun.sh and
# tests/run.sh need:
#
#   stack.sh [STACK]      (default: $VCRYPTO_STACK, else deb12)
#
#   deb12  Debian 12's own QEMU (7.2) and newest /boot kernel (6.1): vhost-user
#          devices with vectors=0; modules from $VCRYPTO_BUILD/kmod
#   deb13  Debian 13's QEMU 10.0 and kernel 6.12, fetched by scripts/peers.sh
#          (from bookworm-backports): MSI-X on; modules from kmod-6.12
#
# Prints shell assignments (no spaces in values): STACK_ID, STACK_NAME
# ("qemu-7.2/linux-6.1", the tag in TAP lines), STACK_ENV (peers.env, empty
# for deb12), STACK_KMOD (directory of our guest module for that kernel).
# Exit status 77: the stack is not there (one line on stderr says why; its
# tests SKIP); 2: unknown stack. Never uses the network (peers.sh --offline).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${VCRYPTO_BUILD:-$top/build}
id=${1:-${VCRYPTO_STACK:-deb12}}
case $id in
deb12)
	qemu=${VCRYPTO_QEMU:-qemu-system-x86_64}
	qv=$("$qemu" --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p')
	[ -n "$qv" ] || { echo "stack deb12: $qemu does not run" >&2; exit 77; }
	kv=$("$top/scripts/kver.sh" 2>/dev/null) || { echo "stack deb12: no guest kernel in /boot" >&2; exit 77; }
	ks=$(echo "$kv" | cut -d. -f1-2)
	echo "STACK_ID=deb12 STACK_NAME=qemu-$qv/linux-$ks STACK_ENV= STACK_KMOD=$build/kmod"
	;;
deb13)
	envf=$("$top/scripts/peers.sh" --offline --env) || exit 77
	# shellcheck disable=SC1090
	. "$envf"
	kmod=$build/kmod-$VCRYPTO_PEER_KSERIES
	echo "STACK_ID=deb13 STACK_NAME=$VCRYPTO_PEER_STACK STACK_ENV=$envf STACK_KMOD=$kmod"
	;;
*)
	echo "stack: unknown VCRYPTO_STACK '$id' (deb12 or deb13)" >&2
	exit 2
	;;
esac
