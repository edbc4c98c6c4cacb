# Guest case for bench/cryptodev_bench.sh: AES-128-CBC encrypt through the
# stock virtio_crypto driver (AF_ALG), the guest's software AES (AF_ALG),
# then the same device moved to virtio_cryptodev (/dev/crypto).  Same
# device, same backend, same boot.  S seconds per point, R rounds
# (file /bench.conf); there also Z (sizes), A=0 (no AEAD part) and P
# (poll_us values: then each round measures the stock driver and, for each
# value in turn, /dev/crypto as path "cryptodev-pVALUE", moving the device
# back and forth, so the values alternate under the same host load; every
# other round takes the values in reverse order).
. /lib/tap.sh
S=1
Z="64 256 1024 4096 16384 65536"
A=1
P=""
[ -f /bench.conf ] && . /bench.conf
sizes=$Z
V=/sys/bus/virtio
d=$(ls $V/drivers/virtio_crypto | grep '^virtio' | head -1)
[ -n "$d" ] && ok "stock virtio_crypto has $d" || not_ok "stock virtio_crypto has a device"
grep -q virtio_crypto_aes_cbc /proc/crypto && ok "virtio_crypto_aes_cbc registered" || not_ok "virtio_crypto_aes_cbc registered"
R=${R:-3}
sw=cbc-aes-aesni
grep -q "$sw" /proc/crypto || sw="cbc(aes-generic)"
note "software: $sw"
PP=/sys/module/virtio_cryptodev/parameters/poll_us
note "poll_us default: $(cat $PP)"
if [ -n "$P" ]; then
	# rounds of: stock 1 and 8 threads, then /dev/crypto with each poll_us
	for r in $(seq $R); do
		cdev_bench virtio_crypto_aes_cbc 1 $S $sizes
		cdev_bench virtio_crypto_aes_cbc 8 $S $sizes
		echo $d >$V/drivers/virtio_crypto/unbind && echo $d >$V/drivers/virtio_cryptodev/bind ||
			not_ok "round $r: move $d to virtio_cryptodev"
		# every other round in reverse order: no value always goes first
		pl=$P
		[ $((r % 2)) = 0 ] && pl=$(for p in $P; do echo $p; done | sed -n '1!G;h;$p')
		for p in $pl; do
			echo $p >$PP
			for t in 1 8; do
				cdev_bench cryptodev $t $S $sizes | sed "s/^RESULT cryptodev /RESULT cryptodev-p$p /"
				note "round $r poll_us=$p $t thread(s): $(cat $V/devices/$d/vcdev_poll) (since the bind)"
			done
		done
		echo $d >$V/drivers/virtio_cryptodev/unbind && echo $d >$V/drivers/virtio_crypto/bind ||
			not_ok "round $r: move $d back to virtio_crypto"
		i=0
		while ! grep -q virtio_crypto_aes_cbc /proc/crypto && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	done
	exit 0
fi
# R rounds, alternating the paths, so that the host's other load is shared
for r in $(seq $R); do
	cdev_bench virtio_crypto_aes_cbc 1 $S $sizes
	cdev_bench virtio_crypto_aes_cbc 8 $S $sizes
	cdev_bench "$sw" 1 $S $sizes
done
check "move $d to virtio_cryptodev" sh -c "echo $d >$V/drivers/virtio_crypto/unbind && echo $d >$V/drivers/virtio_cryptodev/bind"
for r in $(seq $R); do
	cdev_bench cryptodev 1 $S $sizes
	cdev_bench cryptodev 8 $S $sizes
done
# AEAD (CIOCAUTHCRYPT) against the guest's software AEADs through AF_ALG:
# TLS type (AES-128-CBC + HMAC-SHA256) vs authenc(hmac(sha256),cbc(aes))
# (the same work: one CBC pass, one HMAC pass; encrypt-then-MAC there),
# AES-128-GCM vs gcm(aes).  13 bytes of AAD.  TLS needs HMAC: on the
# builtin backend its CIOCGSESSION fails and the column stays empty.
asizes="64 256 1024 4096 16384"
[ "$A" = 0 ] && exit 0
drv() { awk -v n="$1" '$1 == "name" && $3 == n { f = 1 } f && $1 == "driver" { print $3; exit }' /proc/crypto; }
for r in $(seq $R); do
	cdev_bench cryptodev-tls 1 $S $asizes
	cdev_bench "aead:authenc(hmac(sha256),cbc(aes))" 1 $S $asizes
	cdev_bench cryptodev-gcm 1 $S $asizes
	cdev_bench "aead:gcm(aes)" 1 $S $asizes
done
note "aead software: gcm(aes)=$(drv 'gcm(aes)') authenc=$(drv 'authenc(hmac(sha256),cbc(aes))')"
exit 0
