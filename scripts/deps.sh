#!/bin/sh
# Installs the Debian packages vcrypto needs to build, test and demo.
# Idempotent and quiet when everything is present. As non-root it prints the
# exact apt-get line and stops. Then scripts/peers.sh fetches the second
# peer stack (QEMU 10.0, guest kernel 6.12) into its cache, installing nothing;
# when it cannot, the guest tests on that stack SKIP and this still succeeds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

peers() {
	rc=0
	"$here/peers.sh" || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || echo "vcrypto: scripts/peers.sh failed (exit $rc); the qemu-10.0/linux-6.12 tests will SKIP" >&2
	exit 0
}

PKGS="build-essential make gcc clang libclang-rt-14-dev pkg-config \
libssl-dev libseccomp-dev libcmocka-dev openssl \
qemu-system-x86 qemu-utils linux-image-amd64 linux-headers-amd64 \
busybox-static cpio kmod valgrind tmux iproute2 procps help2man gcc-multilib \
libvirt-daemon-system libvirt-clients"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && peers

if [ "$(id -u)" != 0 ]; then
	echo "vcrypto: missing Debian packages. Run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi

echo "vcrypto: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Where PID 1 is not systemd (containers, CI), a package's maintainer scripts
# would start its services through init scripts (libvirtd, virtlogd) and may
# fail or hang there. Unless the machine already has a policy, forbid service
# starts for this install only; the libvirt test starts the daemons it needs.
policy=""
if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# vcrypto deps.sh: no service starts during this install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
if ! apt-get install -y -q --no-install-recommends $missing >/tmp/vcrypto-deps.log 2>&1; then
	apt-get update -q >>/tmp/vcrypto-deps.log 2>&1 || true
	if ! apt-get install -y -q --no-install-recommends $missing >>/tmp/vcrypto-deps.log 2>&1; then
		tail -20 /tmp/vcrypto-deps.log >&2
		echo "vcrypto: apt-get failed; full log in /tmp/vcrypto-deps.log" >&2
		exit 1
	fi
fi
if [ -n "$policy" ]; then rm -f "$policy"; trap - EXIT; fi
peers
