#!/bin/bash
# scripts/accel.sh, the one accelerator choice of the harness, demo, launcher
# and bench: each case faked with a QEMU wrapper (VCRYPTO_QEMU) and a fake KVM
# device (VCRYPTO_KVM_DEV): no device, QEMU aborting, a guest that hangs, one
# that starts; VCRYPTO_ACCEL forcing; the per-boot cache. Then one real probe
# of this machine's /dev/kvm, whose verdict is printed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
acc=$top/scripts/accel.sh
tmp=$(mktemp -d)
trap 'pkill -KILL -f "sleep 60 0.$$" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$top/tests/lib/tap.sh"
show() { sed 's/^/#   /' "$tmp/err"; }

# The fake QEMU: counts its runs; behaves as FAKE_QEMU says. "boots" writes a
# kernel's first console line to the -serial file, like a guest that starts.
cat >"$tmp/qemu" <<'Q'
#!/bin/bash
echo run >>"$FAKE_COUNT"
serial=""
while [ $# -gt 0 ]; do
	[ "$1" = -serial ] && serial=${2#file:}
	shift
done
case $FAKE_QEMU in
abort)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
	echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
	kill -ABRT $$ ;;
hang) exec sleep 60 "0.$FAKE_TAG" ;;
boots)
	printf '[    0.000000] Linux version 6.1.0-fake-amd64 (fake@example) #1 SMP\r\n' >"$serial"
	exec sleep 60 "0.$FAKE_TAG" ;;
esac
Q
chmod +x "$tmp/qemu"
: >"$tmp/kvm"
export FAKE_TAG=$$ FAKE_COUNT=$tmp/count VCRYPTO_QEMU=$tmp/qemu VCRYPTO_KVM_DEV=$tmp/kvm VCRYPTO_ACCEL_TIMEOUT=2
unset VCRYPTO_ACCEL
runs() { [ -f "$FAKE_COUNT" ] && wc -l <"$FAKE_COUNT" | tr -d ' ' || echo 0; }
# run NAME [VAR=VALUE...]: accel.sh with a fresh cache of its own
run() {
	local c=$tmp/cache-$1; shift
	rm -f "$FAKE_COUNT"
	out=$(env VCRYPTO_ACCEL_CACHE="$c" "$@" "$acc" 2>"$tmp/err"); rc=$?
	err=$(cat "$tmp/err")
}

run nodev VCRYPTO_KVM_DEV="$tmp/none"
[ $rc = 0 ] && [ "$out" = tcg ] && [ "$err" = "accel tcg: no $tmp/none" ] && [ "$(runs)" = 0 ] &&
	ok "no KVM device: tcg, reason 'no DEVICE', QEMU not run" || { nok "no KVM device: rc $rc, '$out'"; show; }

run abort FAKE_QEMU=abort
[ $rc = 0 ] && [ "$out" = tcg ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
	[[ $err == "accel tcg: $tmp/kvm present but a probe guest did not start (qemu aborted: failed to set MSR 0x10a to 0x69)" ]] &&
	ok "QEMU aborts under KVM: tcg, one line with the abort reason" || { nok "abort: rc $rc, '$out'"; show; }

t0=$SECONDS
run hang FAKE_QEMU=hang
t=$((SECONDS - t0))
[ $rc = 0 ] && [ "$out" = tcg ] && [ "$err" = "accel tcg: $tmp/kvm present but a probe guest printed nothing in 2 s" ] &&
	[ $t -ge 2 ] && [ $t -le 6 ] && ! pgrep -f "sleep 60 0.$$" >/dev/null &&
	ok "guest hangs (prints nothing): tcg after the 2 s deadline (${t} s), the hung QEMU killed" ||
	{ nok "hang: rc $rc, '$out', ${t} s"; show; }

run boots FAKE_QEMU=boots
[ $rc = 0 ] && [ "$out" = kvm ] && [[ $err == "accel kvm: a probe guest under KVM printed its first kernel line in "*" s" ]] &&
	ok "guest prints its first kernel line: kvm ($err)" || { nok "boots: rc $rc, '$out'"; show; }
sleep 0.3
pgrep -f "sleep 60 0.$$" >/dev/null && nok "the probe QEMU is left running: $(pgrep -af "sleep 60 0.$$")" ||
	ok "the probe QEMU is killed once the kernel printed"

run forcebroken FAKE_QEMU=abort VCRYPTO_ACCEL=kvm
[ $rc = 1 ] && [ -z "$out" ] &&
	[[ $err == "accel: VCRYPTO_ACCEL=kvm, but KVM does not work here: $tmp/kvm present but a probe guest did not start (qemu aborted"* ]] &&
	ok "VCRYPTO_ACCEL=kvm where KVM does not work: exit 1 with the reason" || { nok "forced kvm, broken: rc $rc, '$out'"; show; }
run forcenodev VCRYPTO_ACCEL=kvm VCRYPTO_KVM_DEV="$tmp/none"
[ $rc = 1 ] && [ -z "$out" ] && [[ $err == *"no $tmp/none" ]] &&
	ok "VCRYPTO_ACCEL=kvm without a KVM device: exit 1" || { nok "forced kvm, no device: rc $rc"; show; }
run forcegood FAKE_QEMU=boots VCRYPTO_ACCEL=kvm
[ $rc = 0 ] && [ "$out" = kvm ] && ok "VCRYPTO_ACCEL=kvm where KVM works: kvm" || { nok "forced kvm, works: rc $rc, '$out'"; show; }
run forcetcg FAKE_QEMU=boots VCRYPTO_ACCEL=tcg
[ $rc = 0 ] && [ "$out" = tcg ] && [ "$err" = "accel tcg: forced by VCRYPTO_ACCEL=tcg" ] && [ "$(runs)" = 0 ] &&
	ok "VCRYPTO_ACCEL=tcg: tcg without a probe" || { nok "forced tcg: rc $rc, '$out', $(runs) runs"; show; }
run bad VCRYPTO_ACCEL=hvf
[ $rc = 2 ] && [ -z "$out" ] && ok "VCRYPTO_ACCEL=hvf is refused (exit 2)" || { nok "bad VCRYPTO_ACCEL: rc $rc"; show; }

# The cache: one probe per boot; the cached verdict keeps its reason.
c=$tmp/cache-c
rm -f "$FAKE_COUNT"
o1=$(FAKE_QEMU=abort VCRYPTO_ACCEL_CACHE=$c "$acc" 2>"$tmp/e1")
o2=$(FAKE_QEMU=boots VCRYPTO_ACCEL_CACHE=$c "$acc" 2>"$tmp/e2")
[ "$o1" = tcg ] && [ "$o2" = tcg ] && [ "$(runs)" = 1 ] &&
	[ "$(cat "$tmp/e2")" = "$(cat "$tmp/e1") (cached for this boot)" ] &&
	ok "cache: the second call does not probe again (1 QEMU run) and prints the reason line" ||
	{ nok "cache: '$o1' '$o2', $(runs) runs"; sed 's/^/#   /' "$tmp/e1" "$tmp/e2"; }
o3=$(FAKE_QEMU=boots VCRYPTO_ACCEL_CACHE=$c VCRYPTO_ACCEL=kvm "$acc" 2>"$tmp/e3"); rc=$?
[ $rc = 1 ] && [ -z "$o3" ] && [ "$(runs)" = 1 ] && ok "cache: VCRYPTO_ACCEL=kvm fails from the cached verdict too" ||
	{ nok "cache, forced kvm: rc $rc, $(runs) runs"; sed 's/^/#   /' "$tmp/e3"; }
f=$(ls "$c" | grep -v '^lock$')
[ "$(stat -c %a "$c")" = 700 ] && [ "$(echo "$f" | wc -l)" = 1 ] &&
	[[ $f == "$(cat /proc/sys/kernel/random/boot_id)".* ]] && ! ls -a "$c" | grep -q '^\.new' &&
	ok "cache: one file named by the boot id in a 0700 directory, no temporary left ($f)" ||
	{ nok "cache files: $(ls -la "$c")"; }
echo 00000000-1111-2222-3333-444444444444 >"$tmp/boot2"
o4=$(FAKE_QEMU=boots VCRYPTO_ACCEL_CACHE=$c VCRYPTO_BOOT_ID_FILE=$tmp/boot2 "$acc" 2>/dev/null)
[ "$o4" = kvm ] && [ "$(runs)" = 2 ] && [ "$(ls "$c" | grep -vc '^lock$')" = 1 ] &&
	ok "cache: after a host reboot (new boot id) it probes again and drops the old boot's verdict" ||
	{ nok "cache, new boot: '$o4', $(runs) runs, $(ls "$c")"; }
o5=$(FAKE_QEMU=abort VCRYPTO_ACCEL_CACHE=$c VCRYPTO_BOOT_ID_FILE=$tmp/boot2 "$acc" --qemu-arg -L --qemu-arg /x 2>/dev/null)
[ "$o5" = tcg ] && [ "$(runs)" = 3 ] && ok "cache: a different QEMU argument list is a different verdict (probed again)" ||
	nok "cache, other arguments: '$o5', $(runs) runs"

# Callers started together share the one probe.
rm -f "$FAKE_COUNT"
c=$tmp/cache-p
for i in 1 2 3 4; do FAKE_QEMU=boots VCRYPTO_ACCEL_CACHE=$c "$acc" >"$tmp/p$i" 2>/dev/null & done
wait
[ "$(cat "$tmp"/p? | sort -u)" = kvm ] && [ "$(runs)" = 1 ] && ok "4 callers at once: one probe, all say kvm" ||
	nok "4 callers at once: $(cat "$tmp"/p? | tr '\n' ' '), $(runs) runs"

# --qemu wins over VCRYPTO_QEMU (a second QEMU is passed as a path).
cp "$tmp/qemu" "$tmp/qemu2"
rm -f "$FAKE_COUNT"
o=$(FAKE_QEMU=boots VCRYPTO_QEMU=/nonexistent VCRYPTO_ACCEL_CACHE=$tmp/cache-q "$acc" --qemu "$tmp/qemu2" 2>/dev/null)
[ "$o" = kvm ] && [ "$(runs)" = 1 ] && ok "--qemu PATH probes that binary" || nok "--qemu: '$o', $(runs) runs"

# The real thing: this machine's /dev/kvm and QEMU, in a cache of its own so it really probes.
unset VCRYPTO_QEMU VCRYPTO_KVM_DEV VCRYPTO_ACCEL_TIMEOUT
t0=$SECONDS
out=$(VCRYPTO_ACCEL_CACHE=$tmp/cache-real "$acc" 2>"$tmp/err"); rc=$?
err=$(cat "$tmp/err")
if [ $rc = 0 ] && [[ $out == kvm || $out == tcg ]] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ $err == "accel $out: "* ]]; then
	ok "real probe on this machine: $out in $((SECONDS - t0)) s"
	echo "# NOTE: this machine: $err"
else
	nok "real probe: rc $rc, '$out'"; show
fi
! pgrep -f "vcrypto-accel\." >/dev/null && ok "no probe QEMU left running" || nok "probe QEMU left: $(pgrep -af 'vcrypto-accel\.')"
echo "1..$tap_n"
