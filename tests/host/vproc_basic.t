#!/bin/bash
# vprocd at host level: vloader talks to vprocd's socket directly (the same
# frames QEMU would relay). A signed hello loads, answers and closes; every
# kind of bad image, signature and frame is refused with its own error and
# vprocd keeps serving; limits; connection loss; the rollback floor survives
# a restart.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/tests/host/vproc_lib.sh"

vp_begin
sign() { # KEY NAME VERSION IMAGE SIG
	"$B/vsign" sign -k "$d/$1" --name "$2" --version "$3" "$4" -o "$5"
}
hx16() { printf '%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)); }
hx32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
# frame VERSION TYPE REQ DESC CODE STATUS LEN RESERVED: a header in hex
frame() { echo "564d4d43$(hx16 $1)$(hx16 $2)$(hx32 $3)$(hx32 $4)$(hx32 $5)$(hx32 $6)$(hx32 $7)$(hx32 $8)"; }
patch() { # FILE OFFSET OCTAL-ESCAPED-BYTES
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# --- bad inputs, each made from a good one -----------------------------
cp "$S/hello" "$d/tampered"; patch "$d/tampered" 4000 '\377\376'
cp "$d/hello.sig" "$d/hdr.sig"; patch "$d/hdr.sig" 87 '\011'          # signed version 1 -> 9
cp "$d/hello.sig" "$d/name.sig"; patch "$d/name.sig" 48 'j'           # name hello -> jello
sign w hello 1 "$S/hello" "$d/wrongkey.sig"
head -c 100 "$d/hello.sig" >"$d/trunc.sig"
head -c 200 "$d/hello.sig" >"$d/trunc2.sig"
: >"$d/empty.sig"
{ cat "$d/hello.sig"; head -c 2000 /dev/zero; } >"$d/huge.sig"
{ cat "$d/hello.sig"; printf 'x'; } >"$d/trailing.sig"
printf '#!/bin/sh\necho hi\n' >"$d/script"; sign k script 1 "$d/script" "$d/script.sig"
cp "$S/hello" "$d/arm"; patch "$d/arm" 18 '\267\000'                  # EM_AARCH64
sign k arm 1 "$d/arm" "$d/arm.sig"
cp "$S/hello" "$d/elf32"; patch "$d/elf32" 4 '\001'                   # ELFCLASS32
sign k elf32 1 "$d/elf32" "$d/elf32.sig"
cp /bin/true "$d/dynamic"; sign k dynamic 1 "$d/dynamic" "$d/dynamic.sig"
cp "$S/hello" "$d/phoff"; patch "$d/phoff" 32 '\377\377\377\177\000\000\000\000'
sign k phoff 1 "$d/phoff" "$d/phoff.sig"
{ cat "$S/hello"; head -c 16 /dev/zero; } >"$d/revoked"
sign k hello 1 "$d/revoked" "$d/revoked.sig"
sha256sum "$d/revoked" | cut -d' ' -f1 >"$d/revoked.list"
sign k roll 5 "$S/hello" "$d/roll5.sig"
sign k roll 3 "$S/hello" "$d/roll3.sig"
{ cat "$S/hello"; head -c $((3 << 20)) /dev/zero; } >"$d/big"
sign k big 1 "$d/big" "$d/big.sig"
"$B/vsign" keygen --rsa 3072 -o "$d/rsa" >/dev/null
sign rsa hello 1 "$S/hello" "$d/rsa.sig"

VP_ARGS=(-k "$d/k.pub" -k "$d/rsa.pub" --revoked "$d/revoked.list" --state-file "$d/state"
	--max-procs 6 --max-inflight 2 --max-image $((2 << 20)) --msg-timeout-ms 500 --frame-timeout-ms 500)
vp_start main "${VP_ARGS[@]}" || { nok "vprocd starts"; exit 1; }
ok "vprocd starts with two trusted keys, a revocation list and a state file"
vpid=$vp_last_pid

# --- one connection: good loads, every refusal, still serving ---------
cat >"$d/main.in" <<EOF
echo hello
load $S/hello $d/hello.sig
msg 0 0 hi
echo upper
load $S/upper $d/upper.sig
msg 1 1 make me loud
echo list
list
echo close
close 0
msg 0 0 hi
echo rsa
load $S/hello $d/rsa.sig
echo tampered-image
load $d/tampered $d/hello.sig
echo tampered-header
load $S/hello $d/hdr.sig
echo tampered-name
load $S/hello $d/name.sig
echo wrong-key
load $S/hello $d/wrongkey.sig
echo trunc
load $S/hello $d/trunc.sig
echo trunc2
load $S/hello $d/trunc2.sig
echo empty
load $S/hello $d/empty.sig
echo huge
load $S/hello $d/huge.sig
echo trailing
load $S/hello $d/trailing.sig
echo notelf
load $d/script $d/script.sig
echo arch
load $d/arm $d/arm.sig
echo elf32
load $d/elf32 $d/elf32.sig
echo dynamic
load $d/dynamic $d/dynamic.sig
echo phoff
load $d/phoff $d/phoff.sig
echo revoked
load $d/revoked $d/revoked.sig
echo roll5
load $S/hello $d/roll5.sig
echo roll3
load $S/hello $d/roll3.sig
echo big
load $d/big $d/big.sig
echo nodesc
msg 999 0 x
echo msgtoobig
msgsize 1 0 70000
echo msgmax
msgsize 1 1 65536
echo garbage
raw 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
recv
echo oversized-frame
raw $(frame 1 2 17 0 0 0 4294967295 0)
recv
echo unknown-type
raw $(frame 1 9 572662306 0 0 0 0 0)
recv
echo bad-version
raw $(frame 2 4 858993459 0 0 0 0 0)
recv
echo reserved
raw $(frame 1 4 1145324612 0 0 0 0 1)
recv
echo partial
raw $(frame 1 2 85 1 1 0 100 0)0102030405060708090a
sleep 800
recv
msg 1 1 whole again
echo still-serving
load $S/hello $d/hello.sig
msg 4 0 again
list
EOF
vp_batch main main <"$d/main.in"

vp_expect main hello '^desc = 0$' "signed hello loads: desc = 0"
vp_expect main hello '^Hello, World!$' "hello answers \"Hello, World!\""
vp_expect main upper '^MAKE ME LOUD$' "the upper sample does its work"
vp_expect main list '^0 hello 1 running$' "LIST shows hello running"
vp_expect main close '^closed 0$' "CLOSE of hello succeeds"
vp_expect main close '\(-1022\)' "after CLOSE the descriptor is gone (no such process)"
vp_expect main rsa '^desc = 2$' "an RSA-3072 signature by a trusted key is accepted"
vp_expect main tampered-image '\(-1013\).*SHA-256' "tampered image: refused, hash differs"
vp_expect main tampered-header '\(-1010\)' "tampered header (version): refused, signature does not verify"
vp_expect main tampered-name '\(-1010\)' "tampered header (name): refused, signature does not verify"
vp_expect main wrong-key '\(-1009\).*not among the 2 trusted keys' "wrong key: refused, key not trusted"
vp_expect main trunc '\(-1007\)' "truncated signature (100 bytes): refused as truncated"
vp_expect main trunc2 '\(-1007\)' "truncated signature (200 bytes): refused as truncated"
vp_expect main empty '\(-1005\)' "empty signature: refused as empty"
vp_expect main huge '\(-1006\)' "oversized signature: refused as too large"
vp_expect main trailing '\(-1008\)' "signature with trailing bytes: refused as malformed"
vp_expect main notelf '\(-1016\)' "signed non-ELF: refused as not ELF"
vp_expect main arch '\(-1017\).*machine 183' "signed aarch64 ELF: refused, wrong architecture"
vp_expect main elf32 '\(-1017\).*64-bit' "signed 32-bit ELF: refused, wrong class"
vp_expect main dynamic '\(-1018\).*PT_INTERP' "signed dynamically linked ELF (/bin/true): refused"
vp_expect main phoff '\(-1019\).*outside the file' "signed ELF with headers outside the file: refused"
vp_expect main revoked '\(-1014\).*revoked' "revoked image hash: refused"
vp_expect main roll5 '^desc = 3$' "version 5 of 'roll' loads"
vp_expect main roll3 '\(-1015\).*below version 5' "version 3 of 'roll' after 5: refused as rollback"
vp_expect main big '\(-1003\)' "image over --max-image: refused before it is read"
vp_expect main nodesc '\(-1022\)' "MSG to an unknown descriptor: no such process"
vp_expect main msgtoobig '\(-1023\)' "MSG over 64 KiB: refused as too large"
vp_expect main msgmax '^status = 0 len = 65536$' "MSG of exactly 64 KiB is served (upper echoes it)"
vp_expect main garbage 'status=-1000 \(malformed frame\).*resynchronising' "garbage bytes: error reply, resynchronised"
vp_expect main oversized-frame 'status=-1000.*over the limit' "frame length over the format limit: error reply"
vp_expect main unknown-type 'req=572662306 status=-1002' "unknown request type: its own error, same req_id"
vp_expect main bad-version 'req=858993459 status=-1001' "frame version 2: its own error"
vp_expect main reserved 'req=1145324612 status=-1000.*reserved' "reserved header field set: refused"
vp_expect main partial 'req=85 status=-1000.*incomplete' "a frame that stops half way is dropped after --frame-timeout-ms, with an error"
vp_expect main partial '^WHOLE AGAIN$' "the next frame on the same connection is read correctly"
vp_expect main still-serving '^again$|^Hello, World!$' "after all of that the same connection still loads and answers"
vp_expect main still-serving '^3 roll 5 running$' "LIST reflects the live processes"
if grep -q 'ERROR\|AddressSanitizer\|runtime error' "$d/main.log"; then nok "vprocd log clean"; else ok "vprocd log has no sanitizer reports"; fi
check "state file records the rollback floor 'roll 5'" grep -qx 'roll 5' "$d/state"

# --- limits: processes and messages in flight (a new connection) -------
cat >"$d/limits.in" <<EOF
echo l0
load $S/hello $d/hello.sig
load $S/hello $d/hello.sig
load $S/hello $d/hello.sig
load $S/hello $d/hello.sig
load $S/hello $d/hello.sig
load $S/probe $d/probe.sig
echo l6
load $S/hello $d/hello.sig
echo lclose
close 0
load $S/hello $d/hello.sig
echo inflight
raw $(frame 1 2 161 5 7 0 0 0)
raw $(frame 1 2 162 5 0 0 0 0)
raw $(frame 1 2 163 5 0 0 0 0)
recv
recv
recv
echo after
msg 1 0 x
EOF
vp_batch main limits <"$d/limits.in"
[ "$(vp_section limits l0 | grep -c '^desc = ')" = 6 ] && ok "6 processes load (--max-procs 6)" || nok "6 processes load"
vp_expect limits l6 '\(-1020\).*limit 6' "a 7th process: refused, too many processes"
vp_expect limits lclose '^desc = 6$' "after a CLOSE there is room for one more"
vp_expect limits inflight 'req=163 status=-1021' "a 3rd message in flight (--max-inflight 2): refused"
vp_expect limits inflight 'req=161 status=-1025' "the spinning process times out and is killed"
vp_expect limits inflight 'req=162 status=-1025' "the message queued behind it is failed, not lost"
vp_expect limits after '^Hello, World!$' "other processes of the VM keep answering"

# --- connection loss mid-frame, then the next connection is served ------
# NEWPROCESS header claiming a 4 KiB image, the size prefix, 8 image bytes, gone
echo "raw $(frame 1 1 1 0 0 0 4104 0)$(hx32 4096)$(hx32 0)0102030405060708" |
	timeout 10 "$B/vloader" -D "$d/main.sock" batch >/dev/null 2>&1
printf 'load %s %s\nmsg 0 0 x\n' "$S/hello" "$d/hello.sig" | timeout 20 "$B/vloader" -D "$d/main.sock" batch >"$d/after.out" 2>&1
check "after a client left in the middle of a NEWPROCESS frame, the next connection is served" grep -qx 'Hello, World!' "$d/after.out"
check "vprocd is still running" kill -0 "$vpid"

# --- a connection's processes end with it ----------------------------
printf 'load %s %s\nsleep 400\n' "$S/hello" "$d/hello.sig" | timeout 20 "$B/vloader" -D "$d/main.sock" batch >/dev/null 2>&1 &
bpid=$!
ppid=""
for _ in $(seq 40); do
	ppid=$(grep -o "loaded ([0-9]* bytes, pid [0-9]*)" "$d/main.log" | tail -1 | grep -o '[0-9]*)$' | tr -d ')')
	[ -n "$ppid" ] && kill -0 "$ppid" 2>/dev/null && break
	sleep 0.05
done
wait $bpid
sleep 0.2
if [ -n "$ppid" ] && ! kill -0 "$ppid" 2>/dev/null; then
	ok "when the connection goes away its processes are stopped (pid $ppid gone)"
else
	nok "processes stopped with their connection (pid '$ppid')"
fi

# --- the rollback floor survives a restart ----------------------------
vp_stop "$vpid"
vp_start main "${VP_ARGS[@]}" || nok "vprocd restarts"
printf 'echo r3\nload %s %s\necho r5\nload %s %s\n' "$S/hello" "$d/roll3.sig" "$S/hello" "$d/roll5.sig" >"$d/restart.in"
vp_batch main restart <"$d/restart.in"
vp_expect restart r3 '\(-1015\)' "after a restart version 3 of 'roll' is still refused (state file)"
vp_expect restart r5 '^desc = 0$' "after a restart version 5 of 'roll' still loads"

# --- command-line errors are clear -------------------------------------
out=$("$B/vprocd" -s "$d/x.sock" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"no trusted key"* ]] && ok "vprocd without keys refuses to start, says why" || nok "vprocd without keys: rc=$rc '$out'"
out=$("$B/vprocd" -s "$d/x.sock" -k "$d/script" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"not a PEM public key"* ]] && ok "vprocd with a bad key file refuses to start" || nok "vprocd bad key: rc=$rc '$out'"
printf '# a comment\nnot-a-hash\n' >"$d/bad.list"
out=$("$B/vprocd" -s "$d/x.sock" -k "$d/k.pub" --revoked "$d/bad.list" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"bad.list:2: not a SHA-256"* ]] && ok "a malformed revocation list stops vprocd, with the line" || nok "bad revocation list: rc=$rc '$out'"
printf 'roll five\n' >"$d/bad.state"
out=$("$B/vprocd" -s "$d/x.sock" -k "$d/k.pub" --state-file "$d/bad.state" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"malformed state file"* ]] && ok "a malformed state file stops vprocd rather than losing the floor" || nok "bad state file: rc=$rc '$out'"
out=$("$B/vprocd" -s "$d/x.sock" -k "$d/k.pub" --max-procs 0 2>&1); rc=$?
[ $rc -ne 0 ] && ok "nonsensical limits are refused: $out" || nok "--max-procs 0 accepted"
check "vprocd --help" "$B/vprocd" --help
check "vloader --help" "$B/vloader" -h
tap_exit
