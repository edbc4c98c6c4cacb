#!/bin/bash
# vcryptod host integration through vufront (tests/host/vufront*.c), the
# synthetic QEMU: sessions in the 632- and 1072-byte layouts, every service
# (AES-ECB/CBC/CTR/XTS, cipher+HMAC chaining both orders, MAC only, RSA raw and
# PKCS#1 v1.5) split over descriptors at random offsets and compared with
# OpenSSL, several data queues at once, --max-sessions, counters and SIGTERM.
set -u
. "$(dirname "$0")/vcryptod_lib.sh"

vcd_start main -- --queues 4 || { echo "not ok - vcryptod starts"; exit 1; }
main_pid=$vcd_pid main_sock=$vcd_sock main_log=$vcd_log
"$VUF" -s "$main_sock" -p "$main_pid" -Q 4 layouts services queues stress
r=$?; [ $r -le 1 ]; tap_ok $? "vufront layouts/services/queues/stress ran to the end (exit $r)"

# Other frontend shapes: 8 regions (vhost-user's maximum), 256-entry rings
# and SET_FEATURES with the ring features as newer QEMU sends them; then one
# region and 2-entry rings (only indirect chains fit).
"$VUF" -s "$main_sock" -p "$main_pid" -Q 4 -R 8 -N 256 -F layouts services
r=$?; [ $r -le 1 ]; tap_ok $? "vufront -R 8 -N 256 -F ran to the end (exit $r)"
"$VUF" -s "$main_sock" -p "$main_pid" -Q 4 -R 1 -N 2 services
r=$?; [ $r -le 1 ]; tap_ok $? "vufront -R 1 -N 2 ran to the end (exit $r)"

vcd_start small -- --queues 2 --max-sessions 40 || { echo "not ok - vcryptod starts"; exit 1; }
"$VUF" -s "$vcd_sock" -p "$vcd_pid" -Q 2 -m 40 maxsess queues
r=$?; [ $r -le 1 ]; tap_ok $? "vufront maxsess/queues ran to the end (exit $r)"

# --fd: the daemon takes an already listening socket (systemd-style).
"$VUF" --listen-exec "$vcd_dir/fd.sock" 5 "$VCD" --fd 5 --queues 3 >"$vcd_dir/fd.log" 2>&1 &
fd_pid=$!
vcd_pids+=("$fd_pid")
"$VUF" -s "$vcd_dir/fd.sock" -p "$fd_pid" -Q 3 -o aes-cbc layouts queues services
r=$?; [ $r -le 1 ]; tap_ok $? "vufront against vcryptod --fd ran to the end (exit $r)"
vcd_stop "$fd_pid"
tap_ok "$vcd_rc" "vcryptod --fd: SIGTERM exit status 0 (got $vcd_rc)"

# Counters on SIGUSR1, and a clean exit on SIGTERM with counters at exit.
kill -USR1 "$main_pid"
sleep 0.3
grep -q "queue 0: requests [1-9]" "$main_log"
tap_ok $? "SIGUSR1 prints per-queue counters with the requests served"
grep -q "queue 3: requests [1-9]" "$main_log"
tap_ok $? "queue 3 served requests too (queues suite)"
vcd_stop "$main_pid"
tap_ok "$vcd_rc" "SIGTERM: vcryptod exits with status 0 (got $vcd_rc)"
[ "$(grep -c 'queue 0: requests' "$main_log")" -ge 2 ]
tap_ok $? "counters printed again at exit"
grep -E 'ERROR: [A-Za-z]*Sanitizer|SUMMARY: [A-Za-z]*Sanitizer|runtime error' "$main_log" | head -5 | sed 's/^/# /'
! grep -qE 'ERROR: [A-Za-z]*Sanitizer|SUMMARY: [A-Za-z]*Sanitizer|runtime error' "$main_log"
tap_ok $? "no sanitizer report in the daemon's log"
exit 0
