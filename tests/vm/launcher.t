#!/bin/bash
# vcrypto-vm, as a person uses it: `shell` in a terminal (tmux) boots the bundled
# guest with vcryptod serving /dev/crypto; a command typed at the guest's prompt
# works; poweroff ends QEMU and the daemons. `run` and `qemu-args` give QEMU the
# arguments that match the daemons' sockets; `boot` fails a case that exits non-zero.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export VCRYPTO_BUILD=${VCRYPTO_BUILD:-$top/build}
dir=$(mktemp -d /tmp/vcvm.XXXXXX)
sess=vcvm$$
cleanup() {
	tmux kill-session -t "$sess" 2>/dev/null
	pkill -KILL -f "$dir" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
. "$top/tests/lib/tap.sh"
wait_for() { # REGEX SECONDS
	for _ in $(seq $(($2 * 5))); do
		tmux capture-pane -p -t "$sess" -S -200 2>/dev/null | grep -qE "$1" && return 0
		sleep 0.2
	done
	return 1
}

vm=$top/scripts/vcrypto-vm
# qemu-args: what QEMU is told matches where the daemons listen
a=$("$vm" --dir "$dir" --name t1 --mem 256M qemu-args)
[[ $a == *"path=$dir/t1-crypto.sock"* && $a == *"vectors=0"* && $a == *"size=256M,share=on"* ]] &&
	ok "qemu-args: vhost-user chardev on DIR/NAME-crypto.sock, vectors=0, shared memfd RAM" ||
	nok "qemu-args: $a"
"$vm" --name 'bad name' qemu-args >/dev/null 2>&1; [ $? = 1 ] && ok "a bad --name is refused" || nok "bad --name accepted"
"$vm" frobnicate >/dev/null 2>&1; [ $? = 2 ] && ok "an unknown command gets usage, exit 2" || nok "unknown command"

# start: both daemons up, the printed QEMU arguments name their sockets, SIGTERM stops both.
"$VCRYPTO_BUILD/vsign" keygen -o "$dir/skey" >/dev/null 2>&1
"$vm" --dir "$dir" --name s1 --trusted-key "$dir/skey.pub" start >"$dir/start.out" 2>&1 &
spid=$!
# wait for the argument line itself (the heading can be written before it); 30 s for a loaded host
for _ in $(seq 300); do grep -q "path=$dir/s1-vmm.sock" "$dir/start.out" && break; sleep 0.1; done
[ -S "$dir/s1-crypto.sock" ] && [ -S "$dir/s1-vmm.sock" ] &&
	grep -q "path=$dir/s1-crypto.sock" "$dir/start.out" && grep -q "path=$dir/s1-vmm.sock" "$dir/start.out" &&
	ok "start: vcryptod and vprocd listen, and the printed QEMU arguments use their sockets" ||
	{ nok "start"; sed 's/^/# /' "$dir/start.out"; }
kill -TERM $spid; wait $spid; rc=$?
sleep 0.3
[ $rc = 0 ] && ! pgrep -f "(vcryptod|vprocd).*$dir/s1-" >/dev/null &&
	ok "start: SIGTERM stops both daemons, exit 0" || nok "start: exit $rc or daemons left"

# run: the daemons for one VM, QEMU with their arguments plus the user's, daemons
# stopped when QEMU ends. The user's part here: a kernel and a small initramfs.
B=$VCRYPTO_BUILD
"$B/vsign" keygen -o "$dir/admin" >/dev/null 2>&1 &&
	"$B/vsign" sign -k "$dir/admin" --name hello --version 1 "$B/samples/hello" -o "$dir/hello.sig"
cat >"$dir/case.sh" <<'C'
devcrypto info
K=00112233445566778899aabbccddeeff0011223344556677
IV=8899aabbccddeeff0011223344556677
devcrypto enc -K $K --iv $IV -i /bin/busybox -o /tmp/c &&
	devcrypto dec -K $K --iv $IV -i /tmp/c -o /tmp/p && cmp /tmp/p /bin/busybox && echo "roundtrip-ok $(wc -c </tmp/p)"
echo "fixed text" | devcrypto enc -K $K --iv $IV -o /tmp/c2
devcrypto dec -K ${K}0011223344556677 --iv $IV -i /tmp/c2 -o /tmp/wrong
echo "wrong-key-rc=$?"
vloader /p/hello /p/hello.sig
vloader msg 0 hi
C
kver=$("$top/scripts/kver.sh")
"$top/guest/image/mkinitramfs.sh" -o "$dir/initrd.gz" -k "$kver" -m virtio_pci -m virtio_console \
	-m "$B/kmod/virtio_cryptodev.ko" -f "$B/guest-bin/devcrypto" -f "$B/guest-bin/vloader" \
	-f "$B/samples/hello:/p/hello" -f "$dir/hello.sig:/p/hello.sig" -c "$dir/case.sh"
timeout 150 "$vm" --dir "$dir" --name t3 --mem 512M --trusted-key "$dir/admin.pub" run -- \
	-nodefaults -display none -no-reboot -kernel "/boot/vmlinuz-$kver" -initrd "$dir/initrd.gz" \
	-append "console=ttyS0 rdinit=/init panic=-1" -serial "file:$dir/console" -serial "file:$dir/tap" \
	>"$dir/run.log" 2>&1
rc=$?
[ $rc = 0 ] && ok "run: QEMU ran the user's kernel and initramfs with the daemons' devices (exit 0)" ||
	{ nok "run: exit $rc"; tail -5 "$dir/run.log" | sed 's/^/# /'; }
grep -q 'driver virtio_cryptodev-cbc-aes' "$dir/tap" && ok "run: the guest's /dev/crypto is served (CIOCGSESSINFO names virtio_cryptodev)" ||
	{ nok "run: no /dev/crypto in the guest"; tail -5 "$dir/tap" | sed 's/^/# /'; }
grep -q 'roundtrip-ok [0-9]' "$dir/tap" && ok "run: devcrypto enc then dec of a 2 MB file through /dev/crypto gives it back" ||
	{ nok "run: devcrypto round trip"; grep -i 'devcrypto\|roundtrip' "$dir/tap" | head -5 | sed 's/^/# /'; }
grep -q 'wrong-key-rc=1' "$dir/tap" && grep -q 'bad decrypt' "$dir/tap" &&
	ok "run: devcrypto dec with the wrong key says 'bad decrypt', exit 1" || nok "run: wrong key not detected"
grep -q 'desc = 0' "$dir/tap" && grep -q 'Hello, World!' "$dir/tap" &&
	ok "run: with --trusted-key, vprocd serves the vmmcall port (signed hello loads and answers)" ||
	{ nok "run: vmmcall"; tail -5 "$dir/tap" | sed 's/^/# /'; }
if pgrep -f "(vcryptod|vprocd).*$dir/t3" >/dev/null; then nok "run: daemons left after QEMU ended"; else ok "run: the daemons are stopped when QEMU ends"; fi

tmux new-session -d -s "$sess" -x 200 -y 50 "$vm --dir $dir --name t2 --mem 512M shell; echo VCVM-EXIT=\$?; sleep 600"
if wait_for 'vcrypto guest shell' 120 && wait_for '^/ #' 30; then
	ok "shell: the bundled guest boots to a prompt on the terminal"
else
	nok "shell: no guest prompt"; tmux capture-pane -p -t "$sess" -S -60 | sed 's/^/# /'
fi
[ -S "$dir/t2-crypto.sock" ] && pgrep -f "vcryptod --socket-path $dir/t2-crypto.sock" >/dev/null &&
	ok "shell: vcryptod runs on DIR/NAME-crypto.sock" || nok "shell: vcryptod not running"
tmux send-keys -t "$sess" "devcrypto info" Enter
if wait_for 'driver virtio_cryptodev-cbc-aes' 60; then
	ok "shell: typed 'devcrypto info' answers: /dev/crypto is served by virtio_cryptodev"
else
	nok "shell: devcrypto info"; tmux capture-pane -p -t "$sess" -S -30 | sed 's/^/# /'
fi
tmux send-keys -t "$sess" "echo vcrypto | devcrypto enc -K 000102030405060708090a0b0c0d0e0f --iv 000102030405060708090a0b0c0d0e0f | hexdump -C | head -1" Enter
want=$(echo vcrypto | openssl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f -iv 000102030405060708090a0b0c0d0e0f | od -An -tx1 -N8 | xargs)
if wait_for "00000000  $want" 60; then
	ok "shell: a line encrypted at the guest prompt equals openssl enc on the host ($want...)"
else
	nok "shell: guest encryption differs from openssl ($want)"; tmux capture-pane -p -t "$sess" -S -10 | sed 's/^/# /'
fi
tmux send-keys -t "$sess" "poweroff -f" Enter
if wait_for 'VCVM-EXIT=0' 60; then ok "shell: poweroff -f ends it, exit status 0"; else nok "shell: did not end cleanly"; fi
sleep 0.5
if pgrep -f "(qemu-system|vcryptod).*$dir" >/dev/null; then nok "shell: processes left behind: $(pgrep -af "(qemu-system|vcryptod).*$dir")"; else ok "shell: QEMU and vcryptod are gone afterwards"; fi

# boot: a case that runs to its end but exits non-zero fails the boot, saying so
printf 'echo case-started\nexit 3\n' >"$dir/fail.sh"
"$vm" --dir "$dir" --name t3 --timeout 150 boot "$dir/fail.sh" >"$dir/boot.out" 2>"$dir/boot.err"
rc=$?
if [ $rc = 1 ] && grep -q '^case-started' "$dir/boot.out" && grep -q 'exited with status 3' "$dir/boot.err"; then
	ok "boot: a case exiting with status 3 is shown, and vcrypto-vm says so and exits 1"
else
	nok "boot: rc=$rc"; sed 's/^/# /' "$dir/boot.out" "$dir/boot.err" | tail -20
fi

