#!/bin/bash
# Tests of the VM harness itself: a failing guest case fails the run, a hung
# guest is killed at the timeout, a guest kernel crash fails the run, Ctrl-C
# stops everything, no QEMU or daemon survives any of it, and the kernel-log
# scanner accepts exactly the known QEMU 7.2 RSA warning and nothing else.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
tag=vcst$$
trap 'pkill -KILL -f "$tag" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$here/../lib/tap.sh"

# --- kernel log scanner, on logs written here
cat >"$tmp/rsa.log" <<'L'
[    2.083448] alg: akcipher: test 1 failed for virtio-crypto-rsa, err=-22
[    2.083924] alg: self-tests for rsa using virtio-crypto-rsa failed (rc=-22)
[    2.083976] ------------[ cut here ]------------
[    2.084304] alg: self-tests for rsa using virtio-crypto-rsa failed (rc=-22)
[    2.084487] WARNING: CPU: 0 PID: 97 at crypto/testmgr.c:5907 alg_test.cold+0x7c/0xf5
L
sed 's/virtio-crypto-rsa/virtio_crypto_aes_cbc/; s/for rsa/for cbc(aes)/' "$tmp/rsa.log" >"$tmp/other-testmgr.log"
printf '[    1.0] WARNING: CPU: 0 PID: 1 at drivers/foo.c:1 foo+0x1/0x2\n' >"$tmp/warn.log"
printf '[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n' >"$tmp/bug.log"
printf '[    1.0] Oops: 0000 [#1] PREEMPT SMP NOPTI\n' >"$tmp/oops.log"
printf '[    1.0] general protection fault, probably for non-canonical address\n' >"$tmp/gp.log"
printf '[    1.0] virtio_crypto virtio0: max_queues: 1\n' >"$tmp/clean.log"
out=$("$here/../../guest/image/scanlog.sh" "$tmp/rsa.log"); rc=$?
expect "scanlog: the known QEMU 7.2 virtio-crypto-rsa testmgr warning passes as a peer defect" \
	'[ $rc = 0 ] && echo "$out" | grep -q "PEER DEFECT"'
for k in other-testmgr warn bug oops gp; do
	"$here/../../guest/image/scanlog.sh" "$tmp/$k.log" >/dev/null; rc=$?
	expect "scanlog: $k log fails" '[ $rc = 1 ]'
done
"$here/../../guest/image/scanlog.sh" "$tmp/clean.log" >/dev/null; rc=$?
expect "scanlog: clean log passes" '[ $rc = 0 ]'

alive() { pgrep -f "$tag" >/dev/null; }

# --- a failing guest case makes the run fail
cat >"$tmp/fail.sh" <<'C'
. /lib/tap.sh
ok "this one passes"
not_ok "this one fails on purpose"
C
out=$("$here/vmrun.sh" -n "$tag-fail" -t 120 -d "sleep 1000 0.$$" -c "$tmp/fail.sh" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /' | grep -v '^#   #' | sed 's/ok/OK/'
expect "a guest case that fails makes vmrun fail (exit $rc); its TAP lines name the stack" \
	'[ $rc = 1 ] && echo "$out" | grep -q "^not ok 2 - \[qemu-[0-9.]*/linux-[0-9.]*\] this one fails on purpose"'
expect "after the failed run no QEMU or daemon of it is left" '! alive && ! pgrep -f "sleep 1000 0.$$" >/dev/null'

# --- a guest that hangs is killed at the timeout and reported
cat >"$tmp/hang.sh" <<'C'
echo "# hanging on purpose"
sleep 100000
C
t0=$SECONDS
out=$("$here/vmrun.sh" -n "$tag-hang" -t 20 -d "sleep 1001 0.$$" -c "$tmp/hang.sh" 2>&1); rc=$?
el=$((SECONDS - t0))
expect "a hung guest is killed at the timeout and reported (exit $rc after ${el}s)" \
	'[ $rc = 1 ] && [ $el -lt 60 ] && echo "$out" | grep -q "timed out after 20s"'
expect "after the timeout no QEMU or daemon of it is left" '! alive && ! pgrep -f "sleep 1001 0.$$" >/dev/null'

# --- a guest kernel crash fails the run
cat >"$tmp/crash.sh" <<'C'
. /lib/tap.sh
ok "about to crash the kernel"
echo c >/proc/sysrq-trigger
C
out=$("$here/vmrun.sh" -n "$tag-crash" -t 60 -c "$tmp/crash.sh" 2>&1); rc=$?
expect "a guest kernel crash fails the run and is named (exit $rc)" \
	'[ $rc = 1 ] && echo "$out" | grep -q "did not finish" && echo "$out" | grep -qE "Kernel panic|Oops|BUG"'

# --- Ctrl-C (SIGINT to the harness) stops QEMU and the daemons
# As a terminal does: SIGINT to the whole foreground process group (job
# control gives the background harness a group of its own, with SIGINT live).
set -m
"$here/vmrun.sh" -n "$tag-int" -t 120 -d "sleep 1002 0.$$" -c "$tmp/hang.sh" >"$tmp/int.out" 2>&1 &
pid=$!
set +m
for _ in $(seq 100); do pgrep -f "qemu-system.*$tag-int" >/dev/null && break; sleep 0.1; done
sleep 2
t0=$SECONDS
kill -INT -- -$pid
wait $pid; rc=$?
sleep 0.5
expect "SIGINT stops the harness at once (exit $rc after $((SECONDS - t0))s) and reports it" \
	'[ $rc != 0 ] && [ $((SECONDS - t0)) -lt 10 ] && grep -q "interrupted" "$tmp/int.out"'
expect "after SIGINT no QEMU or daemon of it is left" '! alive && ! pgrep -f "sleep 1002 0.$$" >/dev/null'
rm -rf /tmp/vcrypto-vm-"$tag"*
