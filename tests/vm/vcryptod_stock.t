#!/bin/bash
# The stock guest virtio_crypto driver against ONE running vcryptod under
# QEMU 7.2: two guests one after the other on the same daemon, then the daemon
# must still be alive, report its counters and exit cleanly on SIGTERM.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=${VCRYPTO_BUILD:-$here/../../build}
dir=$(mktemp -d /tmp/vcd-stock.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
. "$here/../lib/tap.sh"

"$B/vcryptod" --socket-path "$dir/vc.sock" --queues 1 -v 2>"$dir/vcryptod.log" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/vc.sock" ] && break; sleep 0.1; done
[ -S "$dir/vc.sock" ] && ok "vcryptod listens on its socket" || not_ok "vcryptod socket did not appear"

mods=(-m virtio_pci -m virtio_crypto -m algif_skcipher -m cbc -m aes_generic)
files=(-f "$B/guest-bin/afalg_test")

for run in 1 2; do
	"$here/vmrun.sh" -n "vcryptod-guest$run" -t 150 -u "$dir/vc.sock" "${mods[@]}" \
		"${files[@]}" -c "$here/cases/vcryptod_stock.sh"
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] && ok "guest $run passed against the running vcryptod" ||
		not_ok "guest $run failed (vmrun exit $rc)"
	if kill -0 "$pid" 2>/dev/null; then
		ok "vcryptod still alive after guest $run"
	else
		not_ok "vcryptod died during guest $run"
	fi
done

kill -USR1 "$pid" 2>/dev/null
sleep 0.3
kill -TERM "$pid" 2>/dev/null
rc=0
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	not_ok "vcryptod did not exit on SIGTERM"
else
	wait "$pid"; rc=$?
	[ "$rc" = 0 ] && ok "vcryptod exited cleanly on SIGTERM" || not_ok "vcryptod exit status $rc"
fi
pid=""
grep -q 'queue 0: requests [1-9]' "$dir/vcryptod.log" &&
	ok "vcryptod counted the guests' requests on queue 0" ||
	not_ok "vcryptod counters show no requests"
grep -q 'seccomp on,' "$dir/vcryptod.log" && ok "vcryptod served both guests under its seccomp allowlist" ||
	not_ok "seccomp filter not active: $(grep -o 'seccomp [^,]*' "$dir/vcryptod.log")"
grep -q 'exiting; sessions wiped' "$dir/vcryptod.log" && ok "vcryptod reported wiping sessions at exit" ||
	not_ok "no exit report"
grep 'vcryptod: queue' "$dir/vcryptod.log" | sed 's/^/# /'
grep -ci 'create session' "$dir/vcryptod.log" | sed 's/^/# sessions created: /'
