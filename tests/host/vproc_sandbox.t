#!/bin/bash
# The sandbox, for real: a signed probe process tries to escape (open,
# socket, execve, fork, execveat of its old image fd, writing outside its
# channel, 4 GiB, an endless loop, a segfault, a malformed reply); each is
# stopped and reported with its own error and vprocd keeps serving. A live
# process is inspected from /proc: namespaces, uid, no_new_privs, seccomp,
# only its channel open, empty environment, rlimits, image from a memfd.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/tests/host/vproc_lib.sh"

vp_begin
vp_start sb -k "$d/k.pub" --msg-timeout-ms 500 --max-procs 16 || { nok "vprocd starts"; exit 1; }
vpid=$vp_last_pid

{
	for c in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		echo "echo try$c"
		echo "load $S/probe $d/probe.sig"
		echo "msg $((c - 1)) $c"
	done
	echo "echo after-alloc"
	echo "msg 5 0 still here"
	echo "echo serving"
	echo "load $S/hello $d/hello.sig"
	echo "msg 13 0 x"
} >"$d/esc.in"
vp_batch sb esc <"$d/esc.in"

vp_expect esc try1 '\(-1026\).*SIGSYS' "open(\"/etc/passwd\") is stopped: killed by seccomp, reported"
vp_expect esc try2 '\(-1026\).*SIGSYS' "socket() is stopped: killed by seccomp, reported"
vp_expect esc try3 '\(-1026\).*SIGSYS' "execve(\"/bin/sh\") is stopped: killed by seccomp, reported"
vp_expect esc try4 '\(-1026\).*SIGSYS' "fork() is stopped: killed by seccomp, reported"
vp_expect esc try5 '\(-1026\).*SIGSYS' "write() to fd 1 (outside its channel) is stopped, reported"
vp_expect esc try6 '^status = -12$' "allocating 4 GiB fails inside the sandbox (RLIMIT_AS): ENOMEM"
vp_expect esc after-alloc '^still here$' "the process that was refused 4 GiB still answers"
vp_expect esc try7 '\(-1025\).*500 ms' "an endless loop is killed after the message timeout, reported"
vp_expect esc try8 '\(-1027\).*SIGSEGV' "a segfault is reported as a crash (SIGSEGV)"
vp_expect esc try9 '\(-1028\).*status 7' "exit(7) is reported with its status"
vp_expect esc try10 '\(-1026\)' "execveat of fd 4 (where the image was) is stopped"
vp_expect esc try11 '\(-1026\).*channel protocol' "a malformed reply on its channel gets the process killed"
# SIGSYS from the filter, or SIGSEGV where the kernel has no IA-32 emulation
vp_expect esc try12 '\(-1026\).*SIGSYS|\(-1027\).*SIGSEGV' "a 32-bit system call (int 0x80) is stopped, reported"
vp_expect esc try13 '\(-1026\).*SIGSYS' "an x32 system call is stopped, reported"
vp_expect esc serving '^Hello, World!$' "after all of that vprocd still loads and serves"
if grep -q ESCAPED "$d/esc.out"; then nok "no attempt succeeded"; grep ESCAPED "$d/esc.out" | sed 's/^/# /'; else ok "no attempt reported success (no ESCAPED reply)"; fi
check "vprocd is still running" kill -0 "$vpid"

# --- a live process seen from /proc ------------------------------------
printf 'load %s %s\nsleep 1500\n' "$S/hello" "$d/hello.sig" | "$B/vloader" -D "$d/sb.sock" batch >/dev/null 2>&1 &
bpid=$!
pid=""
for _ in $(seq 60); do
	pid=$(grep -o "pid [0-9]*)" "$d/sb.log" | tail -1 | tr -dc '0-9')
	[ -n "$pid" ] && [ -r "/proc/$pid/status" ] && grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" && break
	sleep 0.05
done
if [ -z "$pid" ] || [ ! -r "/proc/$pid/status" ]; then
	nok "found the live process in /proc"
else
	st=/proc/$pid/status
	check "process runs as nobody (uid 65534)" grep -qE '^Uid:[[:space:]]+65534[[:space:]]+65534' "$st"
	check "no_new_privs is set" grep -qE '^NoNewPrivs:[[:space:]]+1' "$st"
	check "seccomp filter mode, vprocd's filter + the SDK's" grep -qE '^Seccomp_filters:[[:space:]]+2' "$st"
	check "no capabilities in the host's namespace" grep -qE '^CapEff:[[:space:]]+0+$' "$st"
	for ns in user pid net mnt ipc uts; do
		if [ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ]; then
			ok "own $ns namespace"
		else
			nok "own $ns namespace"
		fi
	done
	fds=$(ls /proc/$pid/fd | tr '\n' ' ')
	[ "$fds" = "3 " ] && ok "only fd 3 (its channel) is open" || nok "only fd 3 open (got: $fds)"
	[ ! -s /proc/$pid/environ ] && ok "empty environment" || nok "empty environment"
	check "RLIMIT_NOFILE is 0" grep -qE '^Max open files +0 +0' /proc/$pid/limits
	check "RLIMIT_NPROC is 0" grep -qE '^Max processes +0 +0' /proc/$pid/limits
	check "RLIMIT_AS is 256 MiB" grep -qE '^Max address space +268435456 +268435456' /proc/$pid/limits
	exe=$(readlink /proc/$pid/exe)
	[[ $exe == /memfd:vprocd-image* ]] && ok "runs from the sealed memfd ($exe)" || nok "runs from a memfd (got $exe)"
fi
wait $bpid

# --- RLIMIT_CPU backs up the message timeout ----------------------------
vp_start cpu -k "$d/k.pub" --msg-timeout-ms 30000 --cpu-limit 1 || nok "vprocd (cpu) starts"
printf 'echo spin\nload %s %s\nmsg 0 7\n' "$S/probe" "$d/probe.sig" >"$d/cpu.in"
start=$SECONDS
VMMCALL_TIMEOUT_MS=40000 vp_batch cpu cpu <"$d/cpu.in"
vp_expect cpu spin 'SIGKILL|SIGXCPU' "with a 30 s message timeout, --cpu-limit 1 stops a spinning process"
[ $((SECONDS - start)) -lt 25 ] && ok "... well before the message timeout ($((SECONDS - start)) s)" || nok "cpu limit took $((SECONDS - start)) s"
# --- not root: fewer namespaces, and vprocd says which --------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nr=$d/nonroot
	chmod 0711 "$d" # nobody may pass through to its own directory
	mkdir -m 0777 "$nr"
	cp "$d/k.pub" "$d/hello.sig" "$nr/" && chmod 0644 "$nr"/*
	setpriv --reuid=65534 --regid=65534 --clear-groups "$B/vprocd" -s "$nr/s.sock" -k "$nr/k.pub" 2>"$d/nonroot.log" &
	vp_daemon_pids+=($!)
	for _ in $(seq 100); do [ -S "$nr/s.sock" ] && break; sleep 0.05; done
	printf 'load %s %s\nmsg 0 0 x\n' "$S/hello" "$nr/hello.sig" |
		VMMCALL_TIMEOUT_MS=10000 "$B/vloader" -D "$nr/s.sock" batch >"$d/nonroot.out" 2>&1
	check "as nobody, vprocd says the pid namespace is not available" grep -q 'NOT available here: pid (not root)' "$d/nonroot.log"
	check "as nobody, vprocd still sandboxes and serves hello" grep -qx 'Hello, World!' "$d/nonroot.out"
else
	ok "vprocd as non-root # SKIP needs root and setpriv to switch to nobody"
fi
tap_exit
