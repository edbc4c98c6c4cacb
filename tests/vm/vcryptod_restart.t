#!/bin/bash
# Issue 15 in a real guest: the stock driver (AF_ALG) and /dev/crypto keep
# encrypting while the host re-executes vcryptod's worker (SIGHUP, the
# upgrade path) and kills it (SIGKILL), in turn, every 250 ms: 20 of each
# during each guest phase. The guest must see no error and no hang, results
# equal to its software AES (cases/vcryptod_restart.sh); the daemon's log
# must show the replacements and the connection must never have dropped.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
ko=$B/kmod/virtio_cryptodev.ko
for f in "$ko" "$B/guest-bin/cdev_test" "$B/guest-bin/afalg_test" "$B/vcryptod"; do
	[ -e "$f" ] || { echo "not ok - $f missing (make all)"; exit 1; }
done
dir=$(mktemp -d /tmp/vcd-restart.XXXXXX)
pid="" dpid=""
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
P=30 EVERY=0.05 PER=20 # guest seconds per phase; host: 2 x PER events per phase

"$B/vcryptod" --socket-path "$dir/vc.sock" --queues 1 --restart-limit 64/1000 2>"$dir/vcryptod.log" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/vc.sock" ] && break; sleep 0.1; done

worker_of() {
	local p
	for p in $(pgrep -P "$1"); do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -- --worker && { echo "$p"; return; }
	done
}
# The disturber: during each guest phase (its PHASE lines, read live), a
# SIGHUP to the front and a SIGKILL to its worker in turn, every $EVERY s,
# until PER of each are done in that phase; counts per phase in $dir/disturbed.
disturb() {
	local w nw ph hups kills next
	for ph in stock cryptodev; do
		[ $ph = stock ] && next=cryptodev || next=end
		for _ in $(seq 2400); do grep -q "^PHASE $ph" "$dir/guest.out" 2>/dev/null && break; sleep 0.05; done
		hups=0 kills=0
		while [ $((hups + kills)) -lt $((2 * PER)) ] && ! grep -q "^PHASE $next" "$dir/guest.out"; do
			sleep "$EVERY"
			w=$(worker_of "$pid")
			[ -n "$w" ] || continue
			if [ $hups -le $kills ]; then
				kill -HUP "$pid" && hups=$((hups + 1))
			else
				kill -KILL "$w" && kills=$((kills + 1))
			fi
			for _ in $(seq 500); do nw=$(worker_of "$pid"); [ -n "$nw" ] && [ "$nw" != "$w" ] && break; sleep 0.01; done
		done
		grep -q "^PHASE $next" "$dir/guest.out" || echo "$ph $hups $kills done" >>"$dir/disturbed"
		[ -s "$dir/disturbed" ] && grep -q "^$ph " "$dir/disturbed" || echo "$ph $hups $kills late" >>"$dir/disturbed"
	done
}
disturb &
dpid=$!
echo "P=$P" >"$dir/restart.conf"
"$top/tests/vm/vmrun.sh" -n vcryptod-restart -t 240 -u "$dir/vc.sock" \
	-m virtio_pci -m virtio_crypto -m algif_skcipher -m algif_hash -m cbc -m aes_generic \
	-m ecb -m ctr -m xts -m sha512_generic -m "$ko" \
	-f "$B/guest-bin/afalg_test" -f "$B/guest-bin/cdev_test" -f "$dir/restart.conf:/etc/restart.conf" \
	-l -c "$top/tests/vm/cases/vcryptod_restart.sh" | tee "$dir/guest.out"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && ok "the guest passed both phases (vmrun exit 0)" || not_ok "the guest failed (vmrun exit $rc)"
wait "$dpid"
dpid=""
sed 's/^/# disturbed: /' "$dir/disturbed"
reexec=$(grep -c "re-executed from the installed binary" "$dir/vcryptod.log")
replaced=$(grep -c "replaced worker .*(killed by signal 9" "$dir/vcryptod.log")
echo "# log: $reexec re-executions, $replaced replacements after SIGKILL"
for ph in stock cryptodev; do
	if grep -q "^$ph $PER $PER done" "$dir/disturbed"; then
		ok "$ph phase: $PER reloads (SIGHUP) and $PER worker kills (SIGKILL) while the guest encrypted"
	else
		not_ok "$ph phase: not all $PER + $PER restarts fell in the phase: $(grep "^$ph" "$dir/disturbed")"
	fi
done
[ "$reexec" -ge $((2 * PER)) ] && [ "$replaced" -ge $((2 * PER)) ]
[ $? = 0 ] && ok "the daemon logged $reexec re-executions and $replaced replacements" ||
	not_ok "too few restarts logged: $reexec re-executions, $replaced replacements"
! grep -q "dropping connection\|failed to take over\|crash loop" "$dir/vcryptod.log"
[ $? = 0 ] && ok "the vhost-user connection was never dropped" || not_ok "the log shows a dropped connection: $(grep -m1 'dropping\|failed\|crash' "$dir/vcryptod.log")"
grep -o "in flight: [0-9]* result(s) written again from the journal, [0-9]* served" "$dir/vcryptod.log" |
	awk '{ r += $3; s += $10 } END { printf "# in flight at a restart: %d results rewritten from the journal, %d requests served again\n", r, s }'
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?
pid=""
[ "$rc" = 0 ] && ok "vcryptod exited cleanly on SIGTERM" || not_ok "vcryptod exit status $rc"

