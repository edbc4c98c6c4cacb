# Guest case for bench/provider_bench.sh: `openssl speed -evp` (Debian's
# dynamic openssl) with the vcrypto provider (its default min_offload, and
# min_offload 0: every operation on the device), with the default provider
# alone, and raw /dev/crypto (cdev_bench) in the same boot, on vcryptod.
# S seconds per size, R rounds, ALGS the algorithms, PIN 1 or 0 (file
# /bench.conf); the configurations alternate within each round (default,
# vcrypto, vcrypto0, raw: A B A B ... round by round) so that the host's
# other load hits all alike, and the host side pairs each round's runs.
# PIN=1: every run on vCPU 0, and the device's interrupts routed there:
# under TCG a process on the other vCPU than the one taking the device's
# interrupt was measured at half the rate (cross-CPU wakeup per request),
# and which vCPU a run landed on moved the ratios by far more than 5%.
# Output: SPEED CFG ALG +F:... ROUND (bytes/s per size, sizes from +H:),
# RESULT lines from cdev_bench and RAWR ROUND PATH SIZE THREADS REQ/S (the
# same, with the round), DEVREQ CFG ALG N (device requests during that run).
# Then, when AB_ROUNDS > 0, provider_ab (bench/provider_ab.c) in the same
# boot, pinned alike: per algorithm run B (the provider's default
# min_offload against the default provider, every size) and run A
# (VCRYPTO_MIN_OFFLOAD=0 against raw /dev/crypto, 8 and 16 KiB), AB_ROUNDS
# rounds of AB_SLICE ms slices: its lines as ABB/ABA ..., ABFAIL RUN ALG
# WHY when it failed (the lines before are still good: it stops at the
# first failure), ABREQ RUN ALG N (device requests during the run),
# ABTIME SECONDS (all provider_ab runs).
. /lib/tap.sh
export PATH=/bin:/sbin:/usr/bin
S=1
R=3
ALGS="aes-128-cbc aes-128-gcm sha256 hmac-sha256"
PIN=1
AB_ROUNDS=0
AB_SLICE=100
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
run=
if [ "$PIN" = 1 ]; then
	for irq in $(awk '/virtio/ { sub(":", "", $1); print $1 }' /proc/interrupts); do
		echo 1 >/proc/irq/$irq/smp_affinity 2>/dev/null ||
			note "irq $irq: smp_affinity not settable"
	done
	run="taskset 1"
	note "pinned: every run on vCPU 0, the device's interrupts (irq $(awk '/virtio/ { sub(":", "", $1); printf "%s ", $1 }' /proc/interrupts)) routed there"
fi
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
	vcrypto) l=$($run env -u VCRYPTO_MIN_OFFLOAD openssl speed -mr -elapsed -seconds $S $p $a 2>/tmp/speed.err | grep '^+F:' | tail -1) ;;
	vcrypto0) l=$($run env VCRYPTO_MIN_OFFLOAD=0 openssl speed -mr -elapsed -seconds $S $p $a 2>/tmp/speed.err | grep '^+F:' | tail -1) ;;
	*) l=$($run openssl speed -mr -elapsed -seconds $S $p $a 2>/tmp/speed.err | grep '^+F:' | tail -1) ;;
	esac
	r1=$(reqs)
	if [ -n "$l" ]; then
		echo "SPEED $cfg $alg $l $r"
	else
		not_ok "openssl speed $cfg $alg: $(tail -2 /tmp/speed.err | tr '\n' ' ')"
	fi
	echo "DEVREQ $cfg $alg $((r1 - r0))"
}
# raw /dev/crypto right after the same algorithm's min_offload=0 run: the
# two are compared, and on a shared host the load changes from minute to
# minute (raw used to run after all four algorithms' openssl runs)
for r in $(seq $R); do
	for alg in $ALGS; do
		for cfg in default vcrypto vcrypto0; do
			speed $cfg $alg
		done
		case $alg in
		aes-128-cbc) p=cryptodev ;;
		aes-128-gcm) p=cryptodev-gcm ;;
		sha256) p=cryptodev-sha256 ;;
		hmac-sha256) p=cryptodev-hmac ;;
		esac
		$run cdev_bench $p 1 $S $sizes >/tmp/raw.out
		cat /tmp/raw.out
		awk -v r=$r '$1 == "RESULT" { print "RAWR", r, $2, $3, $4, $5 }' /tmp/raw.out
	done
done
# the min_offload each run uses is read once per process: one run per value
if [ "$AB_ROUNDS" -gt 0 ]; then
	t0=$(date +%s)
	for alg in $ALGS; do
		for ab in B A; do
			case $ab in
			B) e="-u VCRYPTO_MIN_OFFLOAD" c=default,vcrypto s=$sizes ;;
			A) e="VCRYPTO_MIN_OFFLOAD=0" c=vcrypto,raw s="8192 16384" ;;
			esac
			r0=$(reqs)
			rc=0
			$run env $e provider_ab -s "$AB_SLICE" -r "$AB_ROUNDS" -c $c $alg $s \
				>/tmp/ab.out 2>/tmp/ab.err || rc=$?
			r1=$(reqs)
			sed -n "s/^AB /AB$ab /p" /tmp/ab.out
			if [ $rc != 0 ]; then
				why=$(grep -m1 '^provider_ab: ' /tmp/ab.err | sed 's/^provider_ab: //')
				[ -n "$why" ] || why="exit status $rc: $(tail -n 1 /tmp/ab.err)"
				echo "ABFAIL $ab $alg $why"
				not_ok "provider_ab run $ab $alg: $why"
			fi
			echo "ABREQ $ab $alg $((r1 - r0))"
		done
	done
	echo "ABTIME $(($(date +%s) - t0))"
fi
exit 0
