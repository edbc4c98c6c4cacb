# Guest case for vchat (tests/vm/vchat_guest.t). /dev/crypto comes from our
# virtio_cryptodev.ko on a virtio-crypto device served by vcryptod.
# Part A: a guest client (devcrypto) in the host's room (server on the host,
# reached as 10.0.2.2), talking with a host client using OpenSSL.
# Part B: a room entirely inside the guest (server and two devcrypto clients),
# joined from the host through a loopback-only user-networking forward.
. /lib/tap.sh
. /etc/vchat.env
export VCHAT_KEY

# wait_for FILE REGEX SECONDS
wait_for() {
	i=0
	while [ $i -lt $(($3 * 5)) ]; do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
stamp() { note "$(cut -d' ' -f1 /proc/uptime) s: $*"; }
reqs() {
	t=0
	for f in /sys/bus/virtio/devices/*/vcdev_requests; do
		[ -e "$f" ] && t=$((t + $(cat $f)))
	done
	echo $t
}

if [ -c /dev/crypto ]; then ok "/dev/crypto exists (virtio_cryptodev.ko)"; else not_ok "/dev/crypto exists"; fi

# Two devices: one on QEMU's builtin backend (ciphers only), one served by
# vcryptod. With only the builtin one bound, the devcrypto provider must do
# AES on the device and say that HMAC runs in OpenSSL. Then the builtin one is
# unbound, so everything below runs on vcryptod (AES and HMAC on the device).
DRV=/sys/bus/virtio/drivers/virtio_cryptodev
devs=$(ls $DRV | grep '^virtio')
note "devices bound to virtio_cryptodev: $devs"
builtin=""
for d in $devs; do
	for o in $devs; do [ "$o" = "$d" ] || echo "$o" >$DRV/unbind; done
	vchat selftest --crypto devcrypto >/tmp/st.$d 2>&1
	for o in $devs; do [ "$o" = "$d" ] || echo "$o" >$DRV/bind; done
	grep -q 'HMAC-SHA256 via OpenSSL (device refused an HMAC-SHA256 session' /tmp/st.$d && builtin=$d
done
if [ -n "$builtin" ] && [ "$(grep -c '^pass' /tmp/st.$builtin)" = 3 ]; then
	ok "builtin backend: AES-256-CBC via /dev/crypto, HMAC in OpenSSL, and the provider line says so"
else
	not_ok "builtin backend: AES via /dev/crypto with the HMAC fallback announced"
fi
for d in $devs; do sed "s/^/#   $d: /" /tmp/st.$d; done
[ -n "$builtin" ] && echo "$builtin" >$DRV/unbind
vchat selftest --crypto devcrypto >/tmp/selftest.out 2>&1
if [ "$(grep -c '^pass' /tmp/selftest.out)" = 3 ]; then
	ok "vchat selftest through /dev/crypto: AES-256-CBC and HMAC-SHA256 known answers"
else
	not_ok "vchat selftest through /dev/crypto"
fi
sed 's/^/#   /' /tmp/selftest.out

# The guest room starts first, so its clients' key derivation (PBKDF2, about
# 2.5 s each under TCG) overlaps with part A.
vchat server --listen 0.0.0.0:7777 2>/tmp/srv.log &
spid=$!
wait_for /tmp/srv.log 'listening on' 20
mkfifo /tmp/r1.in /tmp/r2.in
vchat client 127.0.0.1 7777 --nick ida --crypto devcrypto </tmp/r1.in >/tmp/r1.out 2>/tmp/r1.err &
exec 4>/tmp/r1.in
vchat client 127.0.0.1 7777 --nick jon </tmp/r2.in >/tmp/r2.out 2>/tmp/r2.err &
exec 5>/tmp/r2.in

stamp "guest room started"
r0=$(reqs)
mkfifo /tmp/gina.in
vchat client 10.0.2.2 "$HOST_PORT" --nick gina --crypto devcrypto </tmp/gina.in >/tmp/gina.out 2>/tmp/gina.err &
exec 3>/tmp/gina.in
if wait_for /tmp/gina.err 'connected to' 60; then
	ok "guest client reached the host's server at 10.0.2.2:$HOST_PORT"
else
	not_ok "guest client reached the host's server"
fi
stamp "gina connected"
sed 's/^/#   gina: /' /tmp/gina.err
if grep -q 'crypto provider devcrypto: AES-256-CBC via /dev/crypto (virtio_cryptodev[^)]*), HMAC-SHA256 via /dev/crypto' /tmp/gina.err; then
	ok "guest client: AES and HMAC both through /dev/crypto (the startup line says so)"
else
	not_ok "guest client: AES and HMAC both through /dev/crypto"
fi
if wait_for /tmp/gina.out '<hank> hello gina, from the host \(OpenSSL\)$' 60; then
	ok "guest client (devcrypto) reads the host client (OpenSSL)"
else
	not_ok "guest client (devcrypto) reads the host client (OpenSSL)"
fi
echo "hello hank, from the guest (/dev/crypto)" >&3
# The host side checks that hank got it; stay until hank confirms.
wait_for /tmp/gina.out '<hank> got it$' 60 &&
	ok "the host client confirms it read the guest's line" ||
	not_ok "the host client confirms it read the guest's line"
stamp "part A done"
exec 3>&-
r1=$(reqs)
if [ "$r1" -gt "$r0" ]; then
	ok "the device served $((r1 - r0)) requests for the guest client"
else
	not_ok "the device served requests for the guest client ($r0 -> $r1)"
fi
sed 's/^/#   gina: /' /tmp/gina.out

# Part B: the room inside the guest (started at the top).
wait_for /tmp/r1.err 'connected to' 60 && wait_for /tmp/r2.err 'connected to' 60
grep -h 'crypto provider' /tmp/r1.err /tmp/r2.err | sed 's/^/#   /'
if grep -q 'provider devcrypto' /tmp/r2.err; then
	ok "--crypto auto picks devcrypto when /dev/crypto answers"
else
	not_ok "--crypto auto picks devcrypto when /dev/crypto answers"
fi
wait_for /tmp/r1.out '\* jon joined' 20
echo "ida in the guest room" >&4
if wait_for /tmp/r2.out '<ida> ida in the guest room$' 30; then ok "guest room: jon reads ida"; else not_ok "guest room: jon reads ida"; fi
echo "jon answers" >&5
if wait_for /tmp/r1.out '<jon> jon answers$' 30; then ok "guest room: ida reads jon"; else not_ok "guest room: ida reads jon"; fi
if wait_for /tmp/r1.out '<hugo> hugo from the host through the forward$' 90; then
	ok "guest room: a host client joins through the loopback-only forward and is read"
else
	not_ok "guest room: a host client joins through the forward"
fi
stamp "hugo read"
echo "welcome hugo" >&4
wait_for /tmp/r1.out '<hugo> bye$' 60 &&
	ok "guest room: hugo confirms he read the guest's line" ||
	not_ok "guest room: hugo confirms he read the guest's line"
exec 4>&- 5>&-
sleep 0.5
kill $spid
wait $spid
sed 's/^/#   ida: /' /tmp/r1.out
sed 's/^/#   server: /' /tmp/srv.log
