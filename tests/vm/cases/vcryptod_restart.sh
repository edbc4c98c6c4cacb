# Guest case for vcryptod_restart.t: encryptions in a loop through the stock
# driver (AF_ALG), then through /dev/crypto (the same device moved to
# virtio_cryptodev), each for P seconds while the host re-executes vcryptod's
# worker (SIGHUP) and kills it (SIGKILL) in turn. Every run is compared with
# the guest's software AES; a request that hangs shows as a timeout. The
# PHASE lines tell the host (reading the output live) when to disturb.
. /lib/tap.sh
. /lib/stock_lib.sh
P=10
[ -f /etc/restart.conf ] && . /etc/restart.conf
V=/sys/bus/virtio
selftest_ok virtio_crypto_aes_cbc 40 ""
# phase NAME COMMAND...: runs COMMAND again and again for P seconds.
phase() {
	name=$1
	shift
	end=$(($(date +%s) + P))
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if ! timeout 60 "$@" >/tmp/out 2>&1 || grep -q '^not ok' /tmp/out; then
			bad=$((bad + 1))
			grep '^not ok' /tmp/out | head -3 | sed 's/^/# /'
			tail -2 /tmp/out | sed 's/^/# /'
		fi
		n=$((n + 1))
	done
	if [ "$bad" = 0 ] && [ "$n" -gt 0 ]; then
		ok "$name: $n runs in $P s while the host restarts vcryptod's worker, all equal to software, none hung"
	else
		not_ok "$name: $bad of $n runs failed or hung"
	fi
}
echo "PHASE stock"
phase "stock driver (AF_ALG, NIST + random 16 B-4 KiB)" afalg_test --driver virtio_crypto_aes_cbc --max-size 4096 --rounds 1
d=$(ls $V/drivers/virtio_crypto | grep '^virtio' | head -1)
check "move $d to virtio_cryptodev" sh -c "echo $d >$V/drivers/virtio_crypto/unbind && echo $d >$V/drivers/virtio_cryptodev/bind"
echo "PHASE cryptodev"
phase "/dev/crypto (cdev_test random up to 4 KiB = AF_ALG software)" cdev_test random --max 4096
echo "PHASE end"
exit 0
