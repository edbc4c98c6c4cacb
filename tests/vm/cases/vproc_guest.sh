# Guest side of tests/vm/vproc_guest.t (busybox sh): vloader over the real
# virtio-serial port org.vcrypto.vmmcall.0, one vloader process per request.
. /lib/tap.sh
P=/p

port=""
for n in /sys/class/virtio-ports/*; do
	[ "$(cat "$n/name" 2>/dev/null)" = org.vcrypto.vmmcall.0 ] && port=/dev/${n##*/}
done
if [ -n "$port" ] && [ -c "$port" ]; then ok "vmmcall port found by name in sysfs: $port"; else not_ok "vmmcall port in /sys/class/virtio-ports"; fi

# load NAME IMAGE SIG: sets $desc, reports
load() {
	_o=$(vloader "$2" "$3" 2>&1)
	case "$_o" in
	"desc = "*) desc=${_o#desc = }; ok "$1: $_o" ;;
	*) desc=""; not_ok "$1: $_o" ;;
	esac
}
# refused DESC CODE IMAGE SIG: vloader fails and names the error code
refused() {
	_o=$(vloader "$3" "$4" 2>&1)
	_rc=$?
	case "$_o" in
	*"($2)"*) [ $_rc -ne 0 ] && ok "$1 ($_o)" || not_ok "$1: exit status 0: $_o" ;;
	*) not_ok "$1: expected $2, got: $_o" ;;
	esac
}
# msg_is DESC EXPECTED ARGS...: the reply (stdout+stderr) contains EXPECTED
msg_is() {
	_d=$1 _e=$2
	shift 2
	_o=$(vloader msg "$@" 2>&1)
	case "$_o" in
	*"$_e"*) ok "$_d ($(echo "$_o" | head -1))" ;;
	*) not_ok "$_d: expected '$_e', got: $_o" ;;
	esac
}

load "signed hello loads" $P/hello $P/hello.sig
h=$desc
msg_is "hello answers from a second vloader process" "Hello, World!" "$h" hi
load "the upper sample loads" $P/upper $P/upper.sig
u=$desc
msg_is "upper uppercases" "GUEST TEXT" "$u" -c 1 "guest text"
msg_is "hello still answers after other opens/closes of the port" "Hello, World!" "$h" again
_o=$(vloader list 2>&1)
case "$_o" in *"$h hello 1 running"*) ok "list shows hello";; *) not_ok "list: $_o";; esac
_o=$(vloader close "$u" 2>&1) && ok "close: $_o" || not_ok "close: $_o"
msg_is "a closed descriptor is gone" "(-1022)" "$u" x

refused "tampered image refused" -1013 $P/tampered $P/hello.sig
refused "tampered header refused" -1010 $P/hello $P/hdr.sig
refused "wrong key refused" -1009 $P/hello $P/wrongkey.sig
refused "truncated signature refused" -1007 $P/hello $P/trunc.sig
refused "empty signature refused" -1005 $P/hello $P/empty.sig
refused "oversized signature refused" -1006 $P/hello $P/huge.sig
refused "non-ELF refused" -1016 $P/script $P/script.sig
refused "wrong architecture refused" -1017 $P/arm $P/arm.sig
refused "dynamically linked ELF refused" -1018 $P/dynamic $P/dynamic.sig
refused "revoked hash refused" -1014 $P/revoked $P/revoked.sig
load "roll version 5 loads" $P/hello $P/roll5.sig
r=$desc
refused "rolled-back version 3 refused" -1015 $P/hello $P/roll3.sig
refused "oversized image refused" -1003 $P/big $P/big.sig
vloader close "$r" >/dev/null 2>&1

# escapes, each stopped and reported
for t in "1 -1026 open(/etc/passwd)" "2 -1026 socket()" "3 -1026 execve()" "4 -1026 fork()" \
	"5 -1026 write(1)" "7 -1025 endless-loop" "8 -1027 segfault"; do
	set -- $t
	_o=$(vloader $P/probe $P/probe.sig 2>&1)
	p=${_o#desc = }
	msg_is "probe $3 is stopped and reported" "($2)" "$p" -c "$1" x
	vloader close "$p" >/dev/null 2>&1
done
_o=$(vloader $P/probe $P/probe.sig 2>&1)
p=${_o#desc = }
msg_is "probe: 4 GiB allocation refused (ENOMEM)" "status = -12" "$p" -c 6 x
msg_is "probe still answers afterwards" "echo" "$p" -c 0 echo

# a client that goes away before its reply: the reply waits in the port and
# the next client skips it (request ids)
vloader msg "$p" -c 7 spin >/dev/null 2>&1 &
sleep 0.3
kill $! 2>/dev/null
sleep 1.5
msg_is "a stale reply left in the port is skipped by the next client" "Hello, World!" "$h" after-stale

# a client that stops in the middle of a frame: written by hand, a
# NEWPROCESS header announcing 4096 + 8 bytes, the size prefix, 8 bytes of
# image, then the port is closed. vprocd drops the frame after
# --frame-timeout-ms and the port serves the next client.
printf 'VMMC\001\000\001\000\001\002\003\004\000\000\000\000\000\000\000\000\000\000\000\000\010\020\000\000\000\000\000\000\000\020\000\000\010\000\000\00012345678' >"$port"
sleep 1.5
msg_is "after a client stopped mid-frame the port still serves" "Hello, World!" "$h" after-partial
# the same with a real vloader killed while it sends 1.8 MB (wherever it is)
vloader $P/big1m $P/big1m.sig >/dev/null 2>&1 &
sleep 0.05
kill -9 $! 2>/dev/null
sleep 1.5
msg_is "after a vloader was killed while loading, the port still serves" "Hello, World!" "$h" after-kill

# too many processes (--max-procs 6): fill up, then one more is refused
i=0
got=""
while [ $i -lt 8 ]; do
	_o=$(vloader $P/hello $P/hello.sig 2>&1)
	case "$_o" in
	*"(-1020)"*) got=$_o; break ;;
	"desc = "*) last=${_o#desc = } ;;
	*) break ;;
	esac
	i=$((i + 1))
done
[ -n "$got" ] && ok "too many processes refused ($got)" || not_ok "too many processes: $_o"
vloader close "$last" >/dev/null 2>&1
load "after a close there is room again" $P/hello $P/hello.sig
msg_is "and hello still answers at the end" "Hello, World!" "$h" bye
