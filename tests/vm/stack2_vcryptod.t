#!/bin/bash
# The second peer stack: QEMU 10.0 and guest kernel 6.12 from Debian's
# bookworm-backports (scripts/peers.sh), vcryptod over vhost-user with MSI-X
# on (no vectors=0). Four guests:
#   1. the stock virtio_crypto driver: selftest, NIST CBC and random buffers
#      through AF_ALG; MSI-X in use; no AKCIPHER on vhost-user;
#   2. our virtio_cryptodev.ko built for 6.12 (build/kmod-6.12): cdev_test
#      vectors --expect-hmac, hmac, errors (queues=1); then the test probe
#      driver vcd_akprobe.ko on the same device: one RSA session request and
#      one raw RSA encryption, compared with OpenSSL;
#  2b. the same probe on Debian 12's QEMU 7.2 (with the 6.12 guest, vectors=0):
#      QEMU answers the RSA session request NOTSUPP itself;
#   3. queues=2: with max_queues=1 all passes; round-robin over both data
#      queues shows what QEMU 10 does with data queue 1 (the finding is
#      printed and checked against vcryptod's own counters).
# Every TAP line names the stack. When peers.sh cannot reach the backports
# suite, the test SKIPs with its reason.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
dir=$(mktemp -d /tmp/stack2.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
stack="qemu-10.0/linux-6.12"
. "$top/tests/lib/tap.sh"
TAP_PREFIX="[$stack] "

rc=0
envf=$("$top/scripts/peers.sh" --env 2>"$dir/peers.err") || rc=$?
if [ "$rc" = 77 ]; then
	skip "$(tail -n 1 "$dir/peers.err")"
	exit 0
elif [ "$rc" != 0 ]; then
	not_ok "scripts/peers.sh failed (exit $rc): $(tail -n 1 "$dir/peers.err")"
	exit 1
fi
. "$envf"
stack=$VCRYPTO_PEER_STACK
TAP_PREFIX="[$stack] "
ko=$B/kmod-$VCRYPTO_PEER_KSERIES/virtio_cryptodev.ko
for f in "$ko" "$B/guest-bin/cdev_test" "$B/guest-bin/afalg_test" "$B/vcryptod"; do
	[ -e "$f" ] || { not_ok "$f missing (make all, after scripts/peers.sh)"; exit 1; }
done
echo "# stack: QEMU $VCRYPTO_PEER_QEMU_VERSION ($VCRYPTO_PEER_QEMU), guest $VCRYPTO_PEER_KVER"
modinfo -F vermagic "$ko" | grep -q "^$VCRYPTO_PEER_KVER " &&
	ok "virtio_cryptodev.ko built for $VCRYPTO_PEER_KVER" ||
	not_ok "$ko vermagic is $(modinfo -F vermagic "$ko")"

# start_vcryptod QUEUES: one daemon for one guest, counters via SIGUSR1.
start_vcryptod() {
	rm -f "$dir/vc.sock"
	"$B/vcryptod" --socket-path "$dir/vc.sock" --queues "$1" -v 2>"$dir/vcryptod.log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$dir/vc.sock" ] && break; sleep 0.1; done
	[ -S "$dir/vc.sock" ] || not_ok "vcryptod socket did not appear"
}
stop_vcryptod() {
	kill -USR1 "$pid" 2>/dev/null
	sleep 0.3
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "vcryptod did not exit on SIGTERM"
		kill -KILL "$pid"
	fi
	wait "$pid" 2>/dev/null
	pid=""
	grep -E 'vcryptod: queue [0-9]+( started|:)' "$dir/vcryptod.log" | sed 's/^/# /'
}
vm() { # NAME TIMEOUT ARGS...: vmrun on this stack; the output also kept in $dir/NAME.out
	local name=$1 t=$2
	shift 2
	"$here/vmrun.sh" -P "$envf" -n "$name" -t "$t" "$@" | tee "$dir/$name.out"
	return "${PIPESTATUS[0]}"
}

# 1. The stock driver.
start_vcryptod 1
vm stack2-stock 240 -u "$dir/vc.sock" -m virtio_pci -m virtio_crypto -m algif_skcipher -m cbc \
	-m aes_generic -f "$B/guest-bin/afalg_test" -f "$here/cases/vcryptod_stock.sh:/lib/vcryptod_stock.sh" \
	-c "$here/cases/stack2_stock.sh" || not_ok "stock driver guest failed (vmrun exit $?)"
stop_vcryptod
grep -q 'create session (1072 bytes)' "$dir/vcryptod.log" &&
	! grep -q 'create session (632 bytes)' "$dir/vcryptod.log" &&
	ok "QEMU $VCRYPTO_PEER_QEMU_VERSION sends the 1072-byte session layout (QEMU >= 8.1)" ||
	not_ok "session messages: $(grep -o 'create session ([0-9]* bytes)' "$dir/vcryptod.log" | sort | uniq -c | tr '\n' ' ')"

# 2. Our module; then RSA through the test probe driver (the README's table
# says QEMU 10 forwards RSA session requests to vhost-user although its
# config space advertises no AKCIPHER). Key and message are fresh, the
# expected ciphertext is OpenSSL's.
akprobe=$B/akprobe-$VCRYPTO_PEER_KSERIES/vcd_akprobe.ko
ak=()
if [ -f "$akprobe" ]; then
	openssl genrsa -out "$dir/rsa.pem" 1024 2>/dev/null
	openssl rsa -in "$dir/rsa.pem" -RSAPublicKey_out -outform DER 2>/dev/null | xxd -p | tr -d '\n' >"$dir/akprobe.key"
	openssl rsa -in "$dir/rsa.pem" -pubout -out "$dir/pub.pem" 2>/dev/null
	{ printf '\000'; head -c 127 /dev/urandom; } >"$dir/msg.bin"
	xxd -p "$dir/msg.bin" | tr -d '\n' >"$dir/akprobe.msg"
	openssl pkeyutl -encrypt -pubin -inkey "$dir/pub.pem" -pkeyopt rsa_padding_mode:none \
		-in "$dir/msg.bin" -out "$dir/ct.bin" 2>"$dir/openssl.err" ||
		not_ok "openssl raw RSA encryption failed: $(cat "$dir/openssl.err")"
	ak=(-f "$akprobe:/lib/modules/vc/vcd_akprobe.ko" -f "$dir/akprobe.key:/etc/akprobe.key"
		-f "$dir/akprobe.msg:/etc/akprobe.msg")
fi
start_vcryptod 1
vm stack2-cryptodev 240 -C 2 -u "$dir/vc.sock" -m virtio_pci -m algif_skcipher -m algif_hash -m ecb \
	-m ctr -m xts -m sha512_generic -m "$ko" -f "$B/guest-bin/cdev_test" "${ak[@]}" \
	-c "$here/cases/stack2_cryptodev.sh" || not_ok "virtio_cryptodev guest failed (vmrun exit $?)"
stop_vcryptod
if [ -f "$akprobe" ]; then
	sess=$(grep -o 'AKPROBE akprobe: services.*' "$dir/stack2-cryptodev.out")
	enc=$(grep -o 'AKPROBE akprobe: RSA encrypt.*' "$dir/stack2-cryptodev.out")
	echo "# finding: $sess"
	echo "# finding: $enc"
	asym=$(grep -c 'create session (1072 bytes)' "$dir/vcryptod.log")
	if [[ $sess == *"status 0 session"* ]] && [ "$asym" -gt 0 ]; then
		ok "QEMU $VCRYPTO_PEER_QEMU_VERSION forwards an RSA session request to vhost-user (not advertised: ${sess#*services }); vcryptod created it"
	else
		not_ok "RSA session request over vhost-user: ${sess:-no answer logged} (README's table says it is forwarded)"
	fi
	want=$(xxd -p "$dir/ct.bin" | tr -d '\n')
	got=""
	[[ $enc == *"status 0" ]] &&
		got=$(sed -n 's/^AKPROBE akprobe: result [0-9]*: \([0-9a-f]*\)$/\1/p' "$dir/stack2-cryptodev.out" | tr -d '\n')
	[ -n "$got" ] && [ "$got" = "$want" ] &&
		ok "raw RSA-1024 encryption on data queue 0 through vcryptod equals OpenSSL's" ||
		not_ok "RSA encryption through vcryptod: got '${got:-none}' want '$want'"
else
	not_ok "$akprobe missing (make all, after scripts/peers.sh)"
fi

# 2b. The same RSA probe on Debian 12's QEMU 7.2 (with the 6.12 guest, as
# the probe is built for it): QEMU answers NOTSUPP itself before 8.1.
if [ -f "$akprobe" ]; then
	qv=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p')
	s72="qemu-$qv/linux-$VCRYPTO_PEER_KSERIES"
	cat >"$dir/ak72.sh" <<'CASE'
. /lib/tap.sh
check "insmod vcd_akprobe" insmod /lib/modules/vc/vcd_akprobe.ko key=$(cat /etc/akprobe.key) msg=$(cat /etc/akprobe.msg)
dmesg | grep -o 'akprobe: .*' | sed 's/^/AKPROBE /'
CASE
	start_vcryptod 1
	"$here/vmrun.sh" -R "$VCRYPTO_PEER_ROOT" -V "$VCRYPTO_PEER_KVER" -S "$s72" -n stack2-rsa-qemu72 -t 120 \
		-u "$dir/vc.sock" -m virtio_pci "${ak[@]}" -c "$dir/ak72.sh" | tee "$dir/ak72.out" ||
		not_ok "QEMU $qv RSA probe guest failed"
	stop_vcryptod
	sess=$(grep -o 'AKPROBE akprobe: services.*' "$dir/ak72.out")
	echo "# finding: QEMU $qv: $sess"
	if [[ $sess == *"status 3 session"* ]] && ! grep -q 'create session' "$dir/vcryptod.log"; then
		TAP_PREFIX="[$s72] " ok "QEMU $qv answers an RSA session request NOTSUPP itself; vcryptod never sees it"
	else
		TAP_PREFIX="[$s72] " not_ok "RSA session request on QEMU $qv: ${sess:-no answer logged} (README's table says NOTSUPP from QEMU)"
	fi
fi

# 3. queues=2.
start_vcryptod 2
vm stack2-queues 240 -u "$dir/vc.sock,queues=2" -m virtio_pci -m algif_skcipher -m algif_hash -m ecb \
	-m ctr -m xts -m sha512_generic -f "$ko:/lib/modules/vc/virtio_cryptodev.ko" -f "$B/guest-bin/cdev_test" \
	-c "$here/cases/stack2_queues.sh" || not_ok "queues=2 guest failed (vmrun exit $?)"
stop_vcryptod
started=$(grep -oE 'queue [0-9]+ started' "$dir/vcryptod.log" | sort -u | awk '{ printf "%s%s", sep, $2; sep = "," }')
served1=$(grep -oE 'vcryptod: queue 1: requests [0-9]+' "$dir/vcryptod.log" | awk '{ print $NF }' | tail -n 1)
rr=$(grep -o 'STACK-FINDING-RR.*' "$dir/stack2-queues.out")
q1=$(echo "$rr" | sed -n 's/.* q1=\([0-9]*\).*/\1/p')
echo "# finding: QEMU $VCRYPTO_PEER_QEMU_VERSION, queues=2 over vhost-user: data queues started: ${started:-none};" \
	"vcryptod served ${served1:-0} requests on queue 1 while the guest put ${q1:-?} there ($rr)"
# The README's stack table says: only data queue 0 is started; requests on
# queue 1 never reach the backend (QEMU answers some itself, NOTSUPP).
if [ "$started" = 0 ] && [ "${served1:-0}" = 0 ] && [ "${q1:-0}" -gt 0 ]; then
	ok "QEMU $VCRYPTO_PEER_QEMU_VERSION starts only data queue 0 for vhost-user: ${q1} requests on queue 1 did not reach vcryptod (README: use queues=1 or max_queues=1)"
else
	not_ok "queue behaviour differs from the README's table: started ${started:-none}, served on queue 1 ${served1:-0}, guest put ${q1:-?} there"
fi
exit 0
