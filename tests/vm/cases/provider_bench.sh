# Guest case for bench/provider_bench.sh: `openssl speed -evp` (Debian's
# dynamic openssl) with the vcrypto provider (its default min_offload, and
# min_offload 0: every operation on the device), with the default provider
# alone, and raw /dev/crypto (cdev_bench) in the same boot, on vcryptod.
# S seconds per size, R rounds (file /bench.conf); the configurations
# alternate within each round so that the host's other load hits all alike,
# raw right after each algorithm's openssl runs.
# Output: SPEED CFG ALG +F:... (bytes/s per size, sizes from +H:), RESULT
# lines from cdev_bench, DEVREQ CFG ALG N (device requests during that run).
. /lib/tap.sh
export PATH=/bin:/sbin:/usr/bin
S=1
R=3
[ -f /bench.conf ] && . /bench.conf
V=/sys/bus/virtio/devices
reqs() { s=0; for f in $V/*/vcdev_requests; do [ -e "$f" ] && s=$((s + $(cat $f))); done; echo $s; }
i=0
while [ ! -e /dev/crypto ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /dev/crypto ] && ok "/dev/crypto present" || not_ok "/dev/crypto present"
VP="-provider vcrypto -provider default -propquery provider=vcrypto"
DP="-provider default"
sizes="16 64 256 1024 8192 16384"
note "$(openssl version)"
openssl list -providers -verbose -provider vcrypto 2>&1 | sed 's/^/# /' | head -8
# speed CFG ALG: one `openssl speed` run over the default sizes
speed() {
	cfg=$1 alg=$2
	case $alg in hmac-sha256) a="-hmac sha256" ;; *) a="-evp $alg" ;; esac
	case $cfg in
	default) p=$DP ;;
	*) p=$VP ;;
	esac
	r0=$(reqs)
	case $cfg in
	vcrypto) l=$(env -u VCRYPTO_MIN_OFFLOAD openssl speed -mr -elapsed -seconds $S $p $a 2>/tmp/speed.err | grep '^+F:' | tail -1) ;;
	vcrypto0) l=$(VCRYPTO_MIN_OFFLOAD=0 openssl speed -mr -elapsed -seconds $S $p $a 2>/tmp/speed.err | grep '^+F:' | tail -1) ;;
	*) l=$(openssl speed -mr -elapsed -seconds $S $p $a 2>/tmp/speed.err | grep '^+F:' | tail -1) ;;
	esac
	r1=$(reqs)
	if [ -n "$l" ]; then
		echo "SPEED $cfg $alg $l"
	else
		not_ok "openssl speed $cfg $alg: $(tail -2 /tmp/speed.err | tr '\n' ' ')"
	fi
	echo "DEVREQ $cfg $alg $((r1 - r0))"
}
# raw /dev/crypto right after the same algorithm's min_offload=0 run: the
# two are compared, and on a shared host the load changes from minute to
# minute (raw used to run after all four algorithms' openssl runs)
for r in $(seq $R); do
	for alg in aes-128-cbc aes-128-gcm sha256 hmac-sha256; do
		for cfg in default vcrypto vcrypto0; do
			speed $cfg $alg
		done
		case $alg in
		aes-128-cbc) cdev_bench cryptodev 1 $S $sizes ;;
		aes-128-gcm) cdev_bench cryptodev-gcm 1 $S $sizes ;;
		sha256) cdev_bench cryptodev-sha256 1 $S $sizes ;;
		hmac-sha256) cdev_bench cryptodev-hmac 1 $S $sizes ;;
		esac
	done
done
exit 0
