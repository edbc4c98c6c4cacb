#!/bin/bash
# make demo: the whole of vcrypto in one guest boot (KVM when a probe guest
# starts under it, TCG otherwise: scripts/accel.sh). vcryptod serves the
# guest's virtio-crypto device, vprocd its vmmcall port, a vchat server runs on
# the host; the guest encrypts through /dev/crypto (virtio_cryptodev.ko),
# chats, and loads a signed process. The guest is the launcher's bundled one
# (scripts/vcrypto-vm boot, attached to the daemons started here).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
work=$(mktemp -d /tmp/vcrypto-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
results=()
nfail=0
verdict() { # DESC EXIT-STATUS-OF-THE-CHECK
	if [ "$2" = 0 ]; then results+=("ok   $1"); else results+=("FAIL $1"); nfail=$((nfail + 1)); fi
}
t0=$SECONDS
# KVM only where a probe guest starts under it (once per host boot); vcrypto-vm asks the same.
accel=$("$top/scripts/accel.sh" 2>"$work/accel.why") || { cat "$work/accel.why" >&2; exit 1; }

bold "Setting up the host side"
"$B/vsign" keygen -o "$work/admin" >/dev/null 2>&1 || { echo "demo: vsign keygen failed" >&2; exit 1; }
"$B/vsign" sign -k "$work/admin" --name hello --version 1 "$B/samples/hello" -o "$work/hello.sig" >/dev/null ||
	{ echo "demo: vsign sign failed" >&2; exit 1; }
cp "$B/samples/hello" "$work/hello.tampered"
printf '\x90' | dd of="$work/hello.tampered" bs=1 seek=$(($(stat -c %s "$work/hello.tampered") / 2)) conv=notrunc 2>/dev/null
say "administrator key made with vsign; samples/hello signed (name hello, version 1); a tampered copy made"

# The sockets are where `vcrypto-vm --dir $work --name demo` looks for them.
"$B/vcryptod" --socket-path "$work/demo-crypto.sock" --queues 1 2>"$work/vcryptod.log" &
pids+=($!)
"$B/vprocd" --socket-path "$work/demo-vmm.sock" --trusted-key "$work/admin.pub" \
	--state-file "$work/vprocd.state" 2>"$work/vprocd.log" &
pids+=($!)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$B/vchat" server --listen "127.0.0.1:$port" 2>"$work/vchat-server.log" &
pids+=($!)
for _ in $(seq 100); do
	[ -S "$work/demo-crypto.sock" ] && [ -S "$work/demo-vmm.sock" ] && grep -q listening "$work/vchat-server.log" && break
	sleep 0.1
done
say "vcryptod (OpenSSL engine) on $work/demo-crypto.sock"
say "vprocd trusting the administrator key, on $work/demo-vmm.sock"
say "vchat server on 127.0.0.1:$port (the guest reaches it as 10.0.2.2:$port)"

umask 077
openssl rand -base64 18 >"$work/pass"
mkfifo "$work/host-in"
# The host's chat client: OpenSSL provider; says hello once both guest users joined.
"$B/vchat" client 127.0.0.1 "$port" --nick carol-on-host --key-file "$work/pass" --crypto openssl \
	<"$work/host-in" >"$work/host-chat.out" 2>&1 &
pids+=($!)
exec 7>"$work/host-in"
(
	for _ in $(seq 1800); do
		grep -q 'bob joined' "$work/host-chat.out" 2>/dev/null && break
		sleep 0.1
	done
	echo "hello from the host, where OpenSSL does my crypto" >&7
) &
pids+=($!)

key=$(openssl rand -hex 16)
iv=$(openssl rand -hex 16)
{
	echo "vcrypto demo, $(date -u '+%Y-%m-%d %H:%M:%S UTC')."
	echo "Encrypted in the guest through /dev/crypto; the work was done by vcryptod on the host."
	head -c 6000 /dev/urandom | base64
} >"$work/plain.txt"

cat >"$work/case.sh" <<CASE
exec 2>&1
step() { echo; echo "STEP \$*"; }
step "1. The module: /dev/crypto through the virtio-crypto device"
dmesg | grep -i 'virtio_cryptodev' | sed 's/^\[[ 0-9.]*\] /   kernel: /' | head -4
ls -l /dev/crypto | sed 's/^/   /'
devcrypto info | sed 's/^/   /'
step "2. A file encrypted in the guest through /dev/crypto (AES-128-CBC)"
devcrypto enc -K $key --iv $iv -i /demo/plain.txt -o /tmp/cipher.bin &&
	echo "   devcrypto enc: \$(wc -c </demo/plain.txt) bytes in, \$(wc -c </tmp/cipher.bin) bytes of ciphertext out"
echo "DEMO-CIPHER-BEGIN"; base64 /tmp/cipher.bin; echo "DEMO-CIPHER-END"
step "3. A chat: alice and bob in the guest (/dev/crypto), carol on the host (OpenSSL)"
# A line shows only to members in the room when it was sealed: each speaks
# once the other has answered its key check.
keyed() { for _ in \$(seq 150); do grep -q "\$1 has the room key" "\$2" 2>/dev/null && break; sleep 0.2; done; }
(keyed bob /tmp/alice.out; echo "hi, this is alice in the guest"; sleep 6) |
	vchat client 10.0.2.2 $port --nick alice --key-file /demo/pass --crypto devcrypto >/tmp/alice.out 2>&1 &
(keyed alice /tmp/bob.out; sleep 1; echo "and bob here, also in the guest"; sleep 5) |
	vchat client 10.0.2.2 $port --nick bob --key-file /demo/pass --crypto devcrypto >/tmp/bob.out 2>&1
wait
echo "   --- what alice saw:"; sed 's/^/   /' /tmp/alice.out
echo "   --- what bob saw:"; sed 's/^/   /' /tmp/bob.out
step "4. A signed process loaded into the host through the vmmcall port"
out=\$(vloader /demo/hello /demo/hello.sig 2>&1); echo "   \\\$ vloader hello hello.sig"; echo "   \$out"
d=\${out#desc = }
echo "   \\\$ vloader msg \$d hi"; vloader msg "\$d" hi 2>&1 | sed 's/^/   /'
echo "   \\\$ vloader close \$d"; vloader close "\$d" 2>&1 | sed 's/^/   /'
echo "   \\\$ vloader hello.tampered hello.sig"
vloader /demo/hello.tampered /demo/hello.sig >/tmp/t.out 2>&1; echo "   (exit status \$?)"; sed 's/^/   /' /tmp/t.out
step "5. Throughput in the guest: /dev/crypto (host does the work) vs OpenSSL software AES in the guest"
devcrypto speed --seconds 0.4 --max-size 65536 | sed 's/^/   /'
CASE

bold "Booting the guest (Debian kernel $("$top/scripts/kver.sh"), $([ "$accel" = kvm ] && echo KVM || echo TCG: software emulation))"
say "$(cat "$work/accel.why")"
say "devices: virtio-crypto served by vcryptod (vhost-user, vectors=0 for QEMU 7.2), virtio-serial vmmcall port, user networking"
# The guest's steps are shown as it runs them; the ciphertext block is kept for
# the checks below. The launcher's own lines (accelerator, verdicts) go to vm.log.
VCRYPTO_BUILD=$B "$top/scripts/vcrypto-vm" --dir "$work" --name demo --attach --mem 512M --net on \
	--timeout 170 --file "$work/plain.txt:/demo/plain.txt" --file "$work/pass:/demo/pass" \
	--file "$B/samples/hello:/demo/hello" --file "$work/hello.sig:/demo/hello.sig" \
	--file "$work/hello.tampered:/demo/hello.tampered" boot "$work/case.sh" 2>"$work/vm.log" |
	tee "$work/guest.out" |
	awk '/^DEMO-CIPHER-BEGIN/ {skip=1} /^DEMO-CIPHER-END/ {skip=0; next}
	     /^STEP / { sub(/^STEP /, ""); printf "\n\033[1m== %s\033[0m\n", $0; fflush(); next }
	     !skip && !/^#/ { print; fflush() }'
vmrc=${PIPESTATUS[0]}
verdict "guest booted, ran every step and its kernel log is clean" $vmrc
grep -q 'driver virtio_cryptodev' "$work/guest.out"; verdict "CIOCGSESSINFO names the virtio driver" $?

bold "Back on the host"
sed -n '/^DEMO-CIPHER-BEGIN/,/^DEMO-CIPHER-END/p' "$work/guest.out" | sed '1d;$d' | base64 -d >"$work/cipher.bin" 2>/dev/null
openssl enc -d -aes-128-cbc -K "$key" -iv "$iv" -in "$work/cipher.bin" -out "$work/decrypted.txt" 2>/dev/null
cmp -s "$work/plain.txt" "$work/decrypted.txt"; r=$?
say "openssl enc -d -aes-128-cbc on the guest's ciphertext: $([ $r = 0 ] && echo "$(wc -c <"$work/decrypted.txt") bytes, identical to the original" || echo "DIFFERS from the original")"
verdict "file encrypted in the guest decrypts on the host with openssl enc" $r
exec 7>&-
sleep 0.5
say "--- what carol saw on the host:"
sed 's/^/   /' "$work/host-chat.out"
grep -q '<alice> hi, this is alice' "$work/host-chat.out" && grep -q '<bob> and bob here' "$work/host-chat.out"
verdict "the host client read both guest users" $?
grep -q '<carol-on-host> hello from the host' "$work/guest.out" && grep -q '<alice> hi, this is alice' "$work/guest.out" &&
	grep -q '<bob> and bob here' "$work/guest.out"
verdict "the guest clients read each other and the host" $?
grep -q 'Hello, World!' "$work/guest.out"; verdict "signed hello loaded and answered" $?
tamper=$(sed -n '/vloader hello.tampered/,/^STEP 5/p' "$work/guest.out" | sed '1d;$d')
[[ $tamper == *"(exit status 1)"* && $tamper == *"differs from the signed"* && $tamper != *"desc = "* ]]
verdict "tampered image refused" $?
grep -qE '^ *65536 ' "$work/guest.out"; verdict "throughput table measured" $?

bold "Summary ($((SECONDS - t0)) s)"
for r in "${results[@]}"; do say "$r"; done
kill -TERM "${pids[0]}" 2>/dev/null; wait "${pids[0]}" 2>/dev/null
grep 'queue 0' "$work/vcryptod.log" | tail -1 | sed 's/^/   vcryptod counters: /'
if [ "$nfail" -gt 0 ]; then
	echo "demo: something failed; the launcher said:" >&2
	tail -n 30 "$work/vm.log" >&2
	exit 1
fi
echo
echo "Every part ran for real: the guest's encryption, chat and process loading were done on the host."
