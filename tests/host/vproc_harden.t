#!/bin/bash
# vprocd hardening (issue 13, findings 1-3; finding 4 is in test_vproc_elf):
#  1. a signed image that skips the SDK runtime cannot exec anything but its
#     sealed image, and sees no host file: execveat(4, ABSOLUTE PATH,
#     AT_EMPTY_PATH) of a host binary, /proc, /sys, /etc is refused (by the
#     filter, which allows execveat only with vprocd's own path pointer: a
#     SIGSYS; and were that guessed, by the empty root: ENOENT); its root is
#     an empty directory and its mount table one line.
#  2. when unshare() of a namespace fails vprocd refuses to load and says
#     why, unless --allow-weak-isolation, and then the load reply says so.
#  3. an administrator floor (--min-version NAME=V) refuses older versions
#     the state file never saw; a state file that cannot be saved refuses
#     the load and nothing runs.
#  4. a host limit under the image's size (RLIMIT_FSIZE) refuses the load
#     with the reason; vprocd does not die of SIGXFSZ and serves on.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/tests/host/vproc_lib.sh"

vp_begin
"$B/vsign" sign -k "$d/k" --name rawprobe --version 1 "$S/rawprobe" -o "$d/rawprobe.sig" ||
	{ nok "sign rawprobe"; exit 1; }

# live_root SOCKNAME WHAT: a live rawprobe's root is an empty directory and
# its mount table one line (from /proc, as root)
live_root() {
	local bpid pid="" ents m
	printf 'load %s %s\nsleep 1500\n' "$S/rawprobe" "$d/rawprobe.sig" |
		"$B/vloader" -D "$d/$1.sock" batch >/dev/null 2>&1 &
	bpid=$!
	for _ in $(seq 60); do
		pid=$(grep "'rawprobe' version 1 loaded" "$d/$1.log" | tail -1 | grep -o "pid [0-9]*)" | tr -dc '0-9')
		[ -n "$pid" ] && grep -q '^Seccomp:[[:space:]]*2' /proc/$pid/status 2>/dev/null && break
		pid=""
		sleep 0.05
	done
	if [ -z "$pid" ]; then
		nok "found the live process$2"
	else
		ents=$(ls -A "/proc/$pid/root/" 2>&1 | head -5 | tr '\n' ' ')
		[ -z "$ents" ] && ok "its root directory is empty$2" || nok "its root directory is empty$2 (got: $ents)"
		m=$(wc -l <"/proc/$pid/mountinfo")
		[ "$m" -eq 1 ] && ok "one mount in its namespace (the empty root)$2" || nok "one mount in its namespace$2 (got $m)"
	fi
	wait $bpid
}

# --- 1. no exec but the sealed image, no host files ------------------------
if vp_start esc -k "$d/k.pub" --msg-timeout-ms 1000 --max-procs 16; then
	{
		i=0
		for t in "1 $S/rawprobe" "1 /proc/self/exe" "1 /sys/kernel/notes" "1 /etc/passwd" \
			"1 /bin/true" "1 " "2 /bin/true" "3 /bin/true" "4 x"; do
			i=$((i + 1))
			echo "echo try$i"
			echo "load $S/rawprobe $d/rawprobe.sig"
			echo "msg $((i - 1)) $t"
		done
		echo "echo next"
		echo "load $S/hello $d/hello.sig"
		echo "msg $i 0 x"
	} >"$d/esc.in"
	vp_batch esc esc <"$d/esc.in"
	vp_expect esc try1 '^status = -2$|\(-1026\).*SIGSYS' "execveat(4, host binary, AT_EMPTY_PATH) is refused, nothing else runs"
	vp_expect esc try2 '^status = -2$|\(-1026\).*SIGSYS' "execveat(4, \"/proc/self/exe\", AT_EMPTY_PATH) is refused"
	vp_expect esc try3 '^status = -2$|\(-1026\).*SIGSYS' "execveat(4, \"/sys/kernel/notes\", AT_EMPTY_PATH) is refused"
	vp_expect esc try4 '^status = -2$|\(-1026\).*SIGSYS' "execveat(4, \"/etc/passwd\", AT_EMPTY_PATH) is refused"
	vp_expect esc try5 '^status = -2$|\(-1026\).*SIGSYS' "execveat(4, \"/bin/true\", AT_EMPTY_PATH) is refused"
	vp_expect esc try6 '^status = -9$|\(-1026\).*SIGSYS' "execveat(4, \"\", AT_EMPTY_PATH) again is refused (fd 4 is gone)"
	vp_expect esc try7 '\(-1026\).*SIGSYS' "execveat(AT_FDCWD, \"/bin/true\") is stopped by seccomp, reported"
	vp_expect esc try8 '\(-1026\).*SIGSYS' "execve(\"/bin/true\") is stopped by seccomp, reported"
	vp_expect esc try9 '\(-1026\).*SIGSYS' "open(\"/etc/passwd\") is stopped by seccomp, reported"
	vp_expect esc next '^Hello, World!$' "the connection keeps working: the next load answers"
	if grep -q ESCAPED "$d/esc.out"; then
		nok "no attempt succeeded"; grep -B3 ESCAPED "$d/esc.out" | sed 's/^/#   /'
	else
		ok "no attempt reported success (no ESCAPED reply)"
	fi
	n=$(grep -c 'rawprobe): process killed by SIGSYS' "$d/esc.log")
	[ "$n" -ge 3 ] && ok "vprocd logs each forbidden call ($n)" || nok "vprocd logs each forbidden call (got $n)"

	live_root esc ""
else
	nok "vprocd starts"
fi

# --- 2. namespaces fail closed -----------------------------------------------
NEWUSER=0x10000000
NEWNET=0x40000000
printf 'echo load\nload %s %s\necho msg\nmsg 0 0 x\necho list\nlist\n' "$S/hello" "$d/hello.sig" >"$d/ns.in"
if vp_start_wrapped nouser "$B/tests/host/vproc_nons" $NEWUSER -- -k "$d/k.pub"; then
	vp_batch nouser nouser <"$d/ns.in"
	vp_expect nouser load '\(-1024\).*user.*namespace.*CLONE_NEWUSER' "no user namespace: the load is refused (VMM_E_SPAWN), saying which"
	s=$(vp_section nouser list)
	printf '%s\n' "$s" | grep -q ' running$' && nok "nothing runs (list: $s)" || ok "nothing runs"
	check "vprocd says why in its log" grep -q 'sandbox incomplete.*CLONE_NEWUSER' "$d/nouser.log"
	vp_stop "$vp_last_pid"
else
	nok "vprocd starts without user namespaces"
fi
if vp_start_wrapped nonet "$B/tests/host/vproc_nons" $NEWNET -- -k "$d/k.pub"; then
	vp_batch nonet nonet <"$d/ns.in"
	vp_expect nonet load '\(-1024\).*net.*namespace.*CLONE_NEWNET' "no network namespace: the load is refused, saying which"
	vp_stop "$vp_last_pid"
else
	nok "vprocd starts without network namespaces"
fi
if vp_start_wrapped weak "$B/tests/host/vproc_nons" $NEWUSER -- -k "$d/k.pub" --allow-weak-isolation; then
	vp_batch weak weak <"$d/ns.in"
	vp_expect weak load '^desc = 0$' "--allow-weak-isolation: the load succeeds"
	vp_expect weak load '^warning: .*weak isolation.*user' "... and the load reply says the isolation is weaker, and how"
	vp_expect weak msg '^Hello, World!$' "... and the process answers"
	# root without a user namespace still gets the others and the empty root
	live_root weak " (root without a user namespace)"
	vp_stop "$vp_last_pid"
else
	nok "vprocd starts with --allow-weak-isolation"
fi

# --- 3. rollback floor -------------------------------------------------------
"$B/vsign" sign -k "$d/k" --name hello --version 2 "$S/hello" -o "$d/hello2.sig"
if vp_start floor -k "$d/k.pub" --min-version hello=2 --state-file "$d/floor.state"; then
	printf 'echo v1\nload %s %s\necho v2\nload %s %s\n' "$S/hello" "$d/hello.sig" "$S/hello" "$d/hello2.sig" |
		vp_batch floor floor
	vp_expect floor v1 '\(-1015\).*version 1 .*2' "--min-version hello=2 refuses version 1 though the state file never saw 2"
	vp_expect floor v2 '^desc = 0$' "... and loads version 2"
	vp_stop "$vp_last_pid"
else
	nok "vprocd starts with --min-version"
fi
out=$("$B/vprocd" -s "$d/x.sock" -k "$d/k.pub" --min-version 'bad name=x' 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--min-version"* ]] && ok "a malformed --min-version is refused at startup" || nok "bad --min-version: rc=$rc '$out'"

mkdir -p "$d/st"
if vp_start st -k "$d/k.pub" --state-file "$d/st/floor"; then
	rm -rf "$d/st"
	printf 'echo load\nload %s %s\necho list\nlist\n' "$S/hello" "$d/hello.sig" | vp_batch st st
	vp_expect st load '\(-10[0-9][0-9]\).*(state|floor).*(not|nothing)' "the state cannot be saved: the load is refused, with the reason"
	s=$(vp_section st list)
	printf '%s\n' "$s" | grep -q ' running$' && nok "... and nothing runs (list: $s)" || ok "... and nothing runs"
	mkdir -p "$d/st"
	printf 'echo load\nload %s %s\n' "$S/hello" "$d/hello.sig" | vp_batch st st2
	vp_expect st2 load '^desc = [0-9]+$' "once the state can be saved again, the load works"
	check "... and the floor is on disk" grep -qx 'hello 1' "$d/st/floor"
	vp_stop "$vp_last_pid"
else
	nok "vprocd starts with a state file"
fi

# --- 4. a file size limit under the image ---------------------------------------
{ cat "$S/hello"; head -c 600000 /dev/urandom; } >"$d/big"
chmod +x "$d/big"
"$B/vsign" sign -k "$d/k" --name big --version 1 "$d/big" -o "$d/big.sig" >/dev/null || nok "sign big"
if vp_start_wrapped fsz bash -c 'ulimit -f 1024 && exec "$@"' fsz -- -k "$d/k.pub"; then
	printf 'echo big\nload %s %s\necho load\nload %s %s\necho msg\nmsg 0 0 x\n' \
		"$d/big" "$d/big.sig" "$S/hello" "$d/hello.sig" | vp_batch fsz fsz
	vp_expect fsz big 'cannot allocate [0-9]+ bytes for the image: File too large' \
		"an image over RLIMIT_FSIZE (1 MiB) is refused, saying why"
	check "... and vprocd is still running (no SIGXFSZ)" kill -0 "$vp_last_pid"
	vp_expect fsz load '^desc = [0-9]+$' "... and the next load on the same connection works"
	vp_expect fsz msg '^Hello, World!$' "... and that process answers"
	vp_stop "$vp_last_pid"
else
	nok "vprocd starts under a file size limit"
fi

echo "1..$tap_n"
tap_exit
