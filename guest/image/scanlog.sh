#!/bin/sh
# Scans a guest kernel log for BUG:, WARNING:, Oops and general protection
# (and SLUB's "BUG <cache> (...): Poison overwritten" reports, seen with slub_debug).
#   scanlog.sh LOG    prints TAP-style comments; exit 0 clean, 1 bad
# A product part of the guest image: vcrypto-vm's boot (make demo) and the
# test harness (tests/vm/vmrun.sh) judge a guest's log with it.
#
# One warning is a known peer defect, not ours: Debian's QEMU 7.2 builtin
# cryptodev advertises RSA but cannot do raw RSA, so the stock driver's RSA
# self-test fails with a WARNING from crypto/testmgr.c naming virtio-crypto-rsa.
# That exact warning is reported as a peer defect; every other one fails.
log=$1
bad=0
peer=0
# Each WARNING: line is judged with the three lines before it, where testmgr
# reports which self-test of which driver failed.
awk '
/VCRYPTO-DMESG-BEGIN/ { next }
{ sub(/\r$/, ""); sub(/^\[[ 0-9.]+\] /, ""); lines[NR] = $0 }
END {
	for (i = 1; i <= NR; i++) {
		l = lines[i]
		if (l ~ /WARNING:/) {
			known = 0
			# Exactly the known one: the testmgr WARNING right after
			# the report that the rsa self-test of virtio-crypto-rsa failed.
			if (l ~ /at crypto\/testmgr\.c/)
				for (j = i - 3; j < i; j++)
					if (j > 0 && lines[j] ~ /alg: self-tests for rsa using virtio-crypto-rsa failed/) known = 1
			if (known) print "PEER " l; else print "BAD " l
		} else if (l ~ /BUG:|Oops|general protection|Kernel panic|KASAN|UBSAN|kernel BUG/ ||
			   l ~ /^BUG [^ ]+ \(.*\): / || l ~ /Poison overwritten|Redzone overwritten|Object already free/) {
			print "BAD " l
		}
	}
}' "$log" | sort -u >"$log.scan"
if grep -q '^PEER ' "$log.scan"; then
	echo "# PEER DEFECT (not ours): QEMU 7.2 builtin cryptodev cannot do raw RSA; the stock driver's virtio-crypto-rsa self-test warns:"
	grep '^PEER ' "$log.scan" | sed 's/^PEER /#   /' | head -3
fi
if grep -q '^BAD ' "$log.scan"; then
	echo "# guest kernel problems:"
	grep '^BAD ' "$log.scan" | sed 's/^BAD /#   /' | head -10
	bad=1
fi
rm -f "$log.scan"
exit $bad
