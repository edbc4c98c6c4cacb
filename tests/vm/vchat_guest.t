#!/bin/bash
# vchat across the VM boundary. Host: a vchat server on 127.0.0.1 and a
# client "hank" using OpenSSL; vcryptod serves one of the guest's
# virtio-crypto devices, QEMU's builtin backend the other (used only to check
# the announced HMAC fallback). Guest: a client using /dev/crypto from our module joins the host's
# room (10.0.2.2), then a room entirely inside the guest, which a host client
# "hugo" joins through a forward bound to the host's loopback.
. "$(dirname "$0")/../host/vchat_lib.sh"
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/guest-bin/vchat" "$B/vcryptod" "$VCHAT"; do
	if [ ! -e "$f" ]; then
		echo "# WAITS for $f (guest module / vcryptod not built yet)"
		not_ok "vchat guest test needs $f"
		vchat_done
	fi
done

export VCHAT_KEY="guest and host share this"
start_server "$VCHAT" || { not_ok "host server starts"; vchat_done; }
start_client hank --crypto openssl
fwd=$((20000 + RANDOM % 20000))
while ss -ltn | grep -q ":$fwd "; do fwd=$((fwd + 1)); done
printf 'HOST_PORT=%s\nVCHAT_KEY="%s"\n' "$PORT" "$VCHAT_KEY" >"$T/vchat.env"

# hank answers gina; hugo keeps trying the forward until the guest room is up.
(
	wait_for "$T/hank.out" '\* gina joined' 120 || exit 1
	say hank "hello gina, from the host (OpenSSL)"
	wait_for "$T/hank.out" '<gina> hello hank, from the guest \(/dev/crypto\)$' 120 || exit 1
	say hank "got it"
) &
_pids+=($!)
mkfifo "$T/hugo.in"
(
	# Until the guest's server listens, the forward's connections fail; each
	# attempt runs until the client is connected or has given up by itself.
	for _ in $(seq 100); do
		echo "$(date +%T) attempt" >>"$T/hugo.attempts"
		"$VCHAT" client 127.0.0.1 "$fwd" --nick hugo --crypto openssl <"$T/hugo.in" >"$T/hugo.out" 2>"$T/hugo.err" &
		cp=$!
		exec 8>"$T/hugo.in"
		while kill -0 "$cp" 2>/dev/null && ! grep -q 'connected to' "$T/hugo.err"; do sleep 0.2; done
		if grep -q 'connected to' "$T/hugo.err"; then
			# Only members present when a line is sealed show it: speak once
			# ida (in the guest) has answered hugo's key check.
			wait_for "$T/hugo.out" '\* ida has the room key' 120
			echo "hugo from the host through the forward" >&8
			wait_for "$T/hugo.out" '<ida> welcome hugo$' 120 && echo "bye" >&8
			sleep 2
			exec 8>&-
			wait $cp
			exit 0
		fi
		exec 8>&-
		wait $cp 2>/dev/null
		sleep 0.5
	done
) &
_pids+=($!)

"$top/tests/vm/vmrun.sh" -n vchat -t 170 -C 2 \
	-b -d "$B/vcryptod --socket-path $T/vc.sock --queues 1" -w "$T/vc.sock" -u "$T/vc.sock" \
	-N -F "$fwd:7777" -m virtio_pci -m virtio_net -m "$ko" \
	-f "$B/guest-bin/vchat" -f "$T/vchat.env:/etc/vchat.env" \
	-c "$top/tests/vm/cases/vchat_guest.sh" | tee "$T/vm.out"
rc=${PIPESTATUS[0]}
tap_n=$(grep -cE '^(not )?ok' "$T/vm.out")
grep -q '^not ok' "$T/vm.out" && tap_failed=1
check "guest run passed (vmrun exit $rc)" test "$rc" = 0
check "host: hank (OpenSSL) read gina's line from the guest (/dev/crypto)" \
	grep -qE '^\[[0-9:]{8}\] <gina> hello hank, from the guest \(/dev/crypto\)$' "$T/hank.out"
check "host: hugo (OpenSSL, through the forward) read ida (guest, /dev/crypto)" \
	grep -q '<ida> welcome hugo$' "$T/hugo.out"
sed 's/^/#   hank: /' "$T/hank.out"
sed 's/^/#   hugo: /' "$T/hugo.attempts" "$T/hugo.err" "$T/hugo.out"
quit hank
vchat_done
