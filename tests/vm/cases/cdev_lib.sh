# Shared by the /dev/crypto guest cases (cryptodev_builtin.sh,
# cryptodev_vcryptod.sh): source after /lib/tap.sh as /lib/cdev_lib.sh.
# CDEV_DEVS names the devices on virtio_cryptodev whose counters are summed;
# a case sets it, and changes it when it moves devices. wait_sessions is the
# case's own (what counts as "its" sessions differs between them).
V=/sys/bus/virtio
OURS=$V/drivers/virtio_cryptodev
CDEV_DEVS=""

cdev_sum() { # cdev_sum ATTR: ATTR summed over CDEV_DEVS
	_s=0
	for _d in $CDEV_DEVS; do _s=$((_s + $(cat $V/devices/$_d/$1 2>/dev/null || echo 0))); done
	echo $_s
}
async_inflight() { cdev_sum vcdev_inflight; }
# async_idle: the device(s) own no request within 20 s
async_idle() {
	_i=0
	while [ "$(async_inflight)" != 0 ] && [ $_i -lt 100 ]; do sleep 0.2; _i=$((_i + 1)); done
	[ "$(async_inflight)" = 0 ]
}

# cdev_async_suite MAC: the async interface (CIOCASYNCCRYPT/CIOCASYNCFETCH,
# poll), every result checked against OpenSSL in the program (the 32-bit
# build: AF_ALG); MAC=mac also runs what needs hash/MAC sessions, else the
# reason it cannot. Then close and kill with jobs in flight.
cdev_async_suite() {
	note "async interface:"
	for _c in basic queue full loop errors threads null; do cdev_async $_c; done
	if [ "$1" = mac ]; then
		cdev_async null --mac
		cdev_async hmac
	else
		skip "async CRYPTO_NULL + HMAC: $2"
		skip "async HMAC/digests: $2"
	fi
	if [ -x /bin/cdev_async32 ]; then
		note "async, 32-bit program (compat_ioctl):"
		cdev_async32 basic
		cdev_async32 queue
		cdev_async32 errors
		[ "$1" = mac ] && cdev_async32 hmac
	else
		skip "async 32-bit compat_ioctl: cdev_async32 not built (needs gcc-multilib on the build host)"
	fi
	check "async: no device session left behind" wait_sessions 0
	cdev_async close
	check "async: closed with jobs in flight: sessions destroyed on the device(s)" wait_sessions 0
	check "async: closed with jobs in flight: every request given back" async_idle
	cdev_async hold 60 >/dev/null &
	_p1=$!
	cdev_async hold 60 >/dev/null &
	_p2=$!
	sleep 1.5
	# a fast backend (QEMU's builtin, on an idle host) returns requests
	# within microseconds: sample without sleeping, for up to 10 s
	_end=$(($(date +%s) + 10))
	_n=$(async_inflight)
	while [ "$_n" = 0 ] && [ "$(date +%s)" -lt $_end ]; do _n=$(async_inflight); done
	kill -9 $_p1 $_p2
	wait $_p1 $_p2 2>/dev/null
	[ "$_n" -gt 0 ] && ok "async: jobs in flight when two processes are killed ($_n)" ||
		not_ok "async: jobs in flight when two processes are killed ($_n)"
	check "async: killed: sessions destroyed on the device(s)" wait_sessions 0
	check "async: killed: every request given back" async_idle
}

# kill_in_flight: cdev_test hold (4 threads of 1 MiB requests) killed with
# SIGKILL while the case's `inflight` counts requests on the device(s): one
# result, that some were in flight. Sets kill_rc (its exit status).
kill_in_flight() {
	cdev_test hold -t 4 -s 1048576 -T 60 &
	pid=$!
	sleep 2
	i=0
	# sample for up to ~10 s: on a loaded host the device can drain between samples
	n=0
	while [ "$n" = 0 ] && [ $i -lt 1000 ]; do n=$(inflight); [ "$n" = 0 ] && usleep 10000; i=$((i + 1)); done
	kill -9 $pid
	[ "$n" -gt 0 ] && ok "requests in flight when the process is killed ($n)" ||
		not_ok "requests in flight when the process is killed ($n)"
	wait $pid 2>/dev/null
	kill_rc=$?
}

# unbind_under_load DEV SECONDS: unbind and rebind DEV while a process keeps
# requests going for SECONDS; they fail with ENODEV, new sessions go to the
# device left, nothing hangs, nothing leaks. Then the async jobs: those DEV
# had, and those queued to its sessions afterwards, end with ENODEV at
# CIOCASYNCFETCH.
unbind_under_load() {
	cdev_test hold -t 4 -s 65536 -T "$2" --tolerate >/tmp/hold.out 2>&1 &
	_pid=$!
	sleep 1.5
	check "unbind $1 under load" sh -c "echo $1 >$OURS/unbind"
	sleep 1.5
	check "rebind $1 under load" sh -c "echo $1 >$OURS/bind"
	wait $_pid
	_rc=$?
	sed 's/^/# /' /tmp/hold.out
	[ $_rc = 0 ] && ok "load across unbind/rebind: only ENODEV errors, no hang" ||
		not_ok "load across unbind/rebind: only ENODEV errors, no hang"
	check "both devices serve after rebind" cdev_test stress -p 2 -t 2 -n 20

	rm -f /tmp/async.go
	cdev_async unbind /tmp/async.go >/tmp/async.out 2>&1 &
	_pid=$!
	sleep 2
	check "unbind $1 with async jobs queued" sh -c "echo $1 >$OURS/unbind"
	touch /tmp/async.go
	wait $_pid
	cat /tmp/async.out
	check "rebind $1" sh -c "echo $1 >$OURS/bind"
}
