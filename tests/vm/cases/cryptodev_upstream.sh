# Guest case: cryptodev-linux's own test programs (built by the host side,
# cryptodev_upstream.t, against cryptodev-linux's header) on /dev/crypto of
# virtio_cryptodev over vcryptod. Each program's exit status and output are
# its verdict (they compare against known answers or OpenSSL);
# the device's request counter shows the work went through virtio_cryptodev.
. /lib/tap.sh
dev=$(ls /sys/bus/virtio/drivers/virtio_cryptodev 2>/dev/null | grep '^virtio' | head -1)
[ -n "$dev" ] && ok "virtio_cryptodev bound the device ($dev)" || not_ok "virtio_cryptodev bound no device"
reqs() { r=0; for n in $(cat /sys/bus/virtio/devices/$dev/vcdev_requests 2>/dev/null); do r=$((r + n)); done; echo $r; }
# run NAME ARGS...: one program, ok on exit 0 with device requests made and no
# mismatch printed (cipher_comp prints a ciphertext mismatch but returns the
# result of its IV comparison only)
run() {
	name=$1; shift
	before=$(reqs)
	timeout -s KILL 240 /bin/cdl-$name "$@" >/tmp/out 2>&1
	rc=$?
	n=$(($(reqs) - before))
	if [ $rc = 0 ] && [ $n -gt 0 ] && ! grep -qiE 'fail|do not match' /tmp/out; then
		ok "cryptodev-linux tests/$name $*: exit 0, $n device requests"
	else
		not_ok "cryptodev-linux tests/$name $*: exit $rc, $n device requests"
		tail -n 15 /tmp/out | sed 's/^/#   /'
	fi
}
for p in $(cat /etc/cdl-progs); do run $p; done
# the OpenSSL comparisons over lengths 16..2048 step 16, and 64 KiB
run cipher_comp 16 2048
run cipher_comp 65536
run hash_comp 16 2048
run hash_comp 65536
