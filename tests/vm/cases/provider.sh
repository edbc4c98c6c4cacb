# Guest case: the vcrypto OpenSSL provider (vcrypto.so) with Debian's
# dynamic openssl and libcrypto, on vcryptod.  Phase 1 without /dev/crypto
# (module unloaded), phase 2 with it.  References: the default provider.
. /lib/tap.sh
export PATH=/bin:/sbin:/usr/bin
V=/sys/bus/virtio/devices
# listening PORT: wait up to 20 s for a TCP listener (s_server is slow to start under TCG)
listening() { i=0; while ! netstat -ltn 2>/dev/null | grep -q ":$1 " && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; }
reqs() { s=0; for f in $V/*/vcdev_requests; do [ -e "$f" ] && s=$((s + $(cat $f))); done; echo $s; }
# vcp_counted ARGS...: vcp_test ARGS; nreq = the device requests made meanwhile
vcp_counted() { r0=$(reqs); vcp_test "$@"; r1=$(reqs); nreq=$((r1 - r0)); }
K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=f0e0d0c0b0a090807060504030201000
VP="-provider vcrypto -provider default -propquery provider=vcrypto"
DP="-provider default"

# ---- phase 1: no /dev/crypto ----
rmmod virtio_cryptodev 2>/tmp/rmmod.err
if [ ! -e /dev/crypto ]; then
	ok "module unloaded: no /dev/crypto"
	vcp_test none
	echo abc >/tmp/abc
	if openssl dgst -sha256 -provider vcrypto -provider default /tmp/abc >/tmp/o 2>/tmp/e &&
		[ "$(cut -d' ' -f2 /tmp/o)" = "$(openssl dgst -sha256 $DP /tmp/abc | cut -d' ' -f2)" ]; then
		ok "no /dev/crypto: openssl dgst with -provider vcrypto still works"
	else
		not_ok "no /dev/crypto: openssl dgst with -provider vcrypto still works"
	fi
	grep -q "vcrypto provider: /dev/crypto: No such file or directory" /tmp/e &&
		ok "no /dev/crypto: the provider says why on stderr ($(head -1 /tmp/e))" ||
		not_ok "no /dev/crypto: the provider says why on stderr ($(cat /tmp/e))"
	[ "$(grep -c vcrypto /tmp/e)" = 1 ] && ok "... once" || not_ok "... once ($(grep -c vcrypto /tmp/e))"
else
	not_ok "rmmod virtio_cryptodev: $(cat /tmp/rmmod.err)"
fi
insmod /lib/modules/vc/virtio_cryptodev.ko
i=0
while [ ! -e /dev/crypto ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /dev/crypto ] && ok "module loaded again: /dev/crypto" || not_ok "module loaded again: /dev/crypto"

# ---- phase 2: on the device ----
# min_offload 0: everything to the device (the default, 65536, is checked below)
export VCRYPTO_MIN_OFFLOAD=0
vcp_counted -s "$(date +%s)" -n 24 check
[ $nreq -gt 100 ] && ok "vcp_test's work went to the device ($nreq requests)" ||
	not_ok "vcp_test's work went to the device ($nreq requests)"

openssl list -providers -verbose -provider vcrypto 2>&1 | sed 's/^/# /' | head -12
head -c 1048577 /dev/urandom >/tmp/d
for c in aes-128-cbc aes-192-cbc aes-256-cbc aes-128-ecb aes-256-ecb aes-128-ctr aes-256-ctr; do
	case $c in *-128-*) k=${K%????????????????????????????????} ;; *-192-*) k=${K%????????????????} ;; *) k=$K ;; esac
	r0=$(reqs)
	openssl enc -$c -K $k -iv $IV -in /tmp/d -out /tmp/e1 $VP 2>/tmp/err
	r1=$(reqs)
	openssl enc -$c -K $k -iv $IV -in /tmp/d -out /tmp/e2 $DP
	openssl enc -d -$c -K $k -iv $IV -in /tmp/e2 -out /tmp/d1 $VP 2>>/tmp/err
	if cmp -s /tmp/e1 /tmp/e2 && cmp -s /tmp/d1 /tmp/d && [ $((r1 - r0)) -gt 0 ]; then
		ok "openssl enc/enc -d -$c -provider vcrypto: default provider's bytes ($((r1 - r0)) device requests)"
	else
		not_ok "openssl enc -$c -provider vcrypto: default provider's bytes ($((r1 - r0)) requests) $(cat /tmp/err)"
	fi
done
for d in sha1 sha224 sha256 sha384 sha512; do
	r0=$(reqs)
	a=$(openssl dgst -$d $VP /tmp/d 2>&1 | sed 's/.*= //')
	r1=$(reqs)
	b=$(openssl dgst -$d $DP /tmp/d | sed 's/.*= //')
	[ "$a" = "$b" ] && [ $((r1 - r0)) -gt 0 ] &&
		ok "openssl dgst -$d -provider vcrypto: default provider's digest ($((r1 - r0)) device requests)" ||
		not_ok "openssl dgst -$d -provider vcrypto: $a vs $b ($((r1 - r0)) requests)"
	r0=$(reqs)
	a=$(openssl mac -digest $d -macopt hexkey:$K -in /tmp/d $VP HMAC 2>&1)
	r1=$(reqs)
	b=$(openssl mac -digest $d -macopt hexkey:$K -in /tmp/d $DP HMAC)
	[ "$a" = "$b" ] && [ $((r1 - r0)) -gt 0 ] &&
		ok "openssl mac HMAC $d -provider vcrypto: default provider's MAC ($((r1 - r0)) device requests)" ||
		not_ok "openssl mac HMAC $d -provider vcrypto: $a vs $b ($((r1 - r0)) requests)"
done
# the whole system's configuration: openssl.cnf plus our snippet, no -provider flags
sed 's/^\[openssl_init\]/[openssl_init]\nproviders = provider_sect\nalg_section = algorithm_sect/' \
	/usr/lib/ssl/openssl.cnf >/tmp/ossl.cnf
cat /etc/vcrypto-openssl.cnf >>/tmp/ossl.cnf
r0=$(reqs)
a=$(env -u VCRYPTO_MIN_OFFLOAD OPENSSL_CONF=/tmp/ossl.cnf openssl dgst -sha256 /tmp/d 2>&1 | sed 's/.*= //')
r1=$(reqs)
b=$(openssl dgst -sha256 $DP /tmp/d | sed 's/.*= //')
[ "$a" = "$b" ] && [ $((r1 - r0)) -gt 0 ] &&
	ok "openssl.cnf with the example snippet, default min_offload: plain openssl dgst of 1 MiB goes to the device ($((r1 - r0)) requests)" ||
	not_ok "openssl.cnf with the example snippet: $a vs $b ($((r1 - r0)) requests)"
# the default min_offload: short work (new contexts, init, dup, digest/HMAC init) never
# reaches the device, not even for a session (issue #12)
note "vcp_test short, default min_offload: no device request for short messages"
env -u VCRYPTO_MIN_OFFLOAD vcp_test short
for a in "-evp aes-128-cbc" "-evp aes-128-gcm" "-evp sha256" "-hmac sha256"; do
	r0=$(reqs)
	env -u VCRYPTO_MIN_OFFLOAD openssl speed -elapsed -seconds 1 -bytes 16 $VP $a >/tmp/sp 2>&1
	rc=$?
	r1=$(reqs)
	[ $rc = 0 ] && [ $((r1 - r0)) = 0 ] &&
		ok "openssl speed $a -bytes 16 -provider vcrypto, default min_offload: $(grep -c '^Doing' /tmp/sp) run(s), 0 device requests" ||
		not_ok "openssl speed $a -bytes 16 -provider vcrypto: rc $rc, $((r1 - r0)) device requests; $(tail -2 /tmp/sp | tr '\n' ' ')"
done

# tls_xfer DIR CERT KEY OPTS [CLIENT-OPTS]: 1 MiB through TLS, both ends with
# the provider from openssl.cnf. DIR s2c: s_server -WWW serves /tmp/d to
# s_client (the body is the last 1048577 bytes, after s_server's HTTP header);
# c2s: s_client's stdin to s_server's stdout (s_server ends at EOF on its own
# stdin: it reads a FIFO this shell holds open). OPTS go to both ends,
# CLIENT-OPTS to s_client. Sets xok (1: the bytes arrived intact), xreq
# (device requests meanwhile), xrec (application-data records, when
# CLIENT-OPTS has -msg -msgfile /tmp/msg), xwhat and xgot (the direction and
# what arrived, in words), xlog (the last lines of both logs); uses the next port.
tls_xfer() {
	rm -f /tmp/msg /tmp/got /tmp/rcv
	if [ "$1" = s2c ]; then
		OPENSSL_CONF=/tmp/ossl.cnf openssl s_server -accept 127.0.0.1:$port -cert $2 \
			-key $3 -WWW -naccept 1 -quiet $4 >/tmp/srv.log 2>&1 &
		spid=$!
		listening $port
		r0=$(reqs)
		printf 'GET /d HTTP/1.0\r\n\r\n' | OPENSSL_CONF=/tmp/ossl.cnf timeout 120 openssl s_client \
			-connect 127.0.0.1:$port -quiet $5 $4 >/tmp/got 2>/tmp/cli.log
		r1=$(reqs)
		kill $spid 2>/dev/null; wait $spid 2>/dev/null
		tail -c 1048577 /tmp/got >/tmp/body
		cmp -s /tmp/body /tmp/d && xok=1 || xok=0
		xwhat="from s_server to s_client"
		xgot="$(wc -c </tmp/got) bytes received"
	else
		rm -f /tmp/fifo && mkfifo /tmp/fifo
		OPENSSL_CONF=/tmp/ossl.cnf openssl s_server -accept 127.0.0.1:$port -cert $2 \
			-key $3 -naccept 1 -quiet $4 </tmp/fifo >/tmp/rcv 2>/tmp/srv.log &
		spid=$!
		exec 9>/tmp/fifo
		listening $port
		r0=$(reqs)
		OPENSSL_CONF=/tmp/ossl.cnf timeout 120 openssl s_client -connect 127.0.0.1:$port -quiet \
			-no_ign_eof -nocommands $5 $4 </tmp/d >/dev/null 2>/tmp/cli.log
		i=0
		while kill -0 $spid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		kill $spid 2>/dev/null; wait $spid 2>/dev/null
		exec 9>&-
		r1=$(reqs)
		cmp -s /tmp/rcv /tmp/d && xok=1 || xok=0
		xwhat="from s_client to s_server"
		xgot="s_server got $(wc -c </tmp/rcv) of 1048577 bytes"
	fi
	xreq=$((r1 - r0))
	# each record's header line, then its first bytes: 17 = application data
	xrec=$(grep -A1 RecordHeader /tmp/msg 2>/dev/null | grep -c '^ *17 03 03')
	xlog="$(tail -3 /tmp/cli.log | tr '\n' ' ') $(tail -3 /tmp/srv.log | tr '\n' ' ')"
	port=$((port + 1))
}

# TLS through libssl with the provider from openssl.cnf: s_server -WWW serves
# 1 MiB to s_client, then s_client sends 1 MiB to s_server (TLS 1.3 AES-128-GCM, TLS 1.2 ECDHE-ECDSA-AES128-SHA256 CBC records)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /tmp/k.pem \
	-out /tmp/c.pem -subj /CN=vcrypto -days 2 $DP 2>/dev/null
cd /tmp
port=4433
for v in "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256" "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256"; do
	for dir in s2c c2s; do
		tls_xfer $dir /tmp/c.pem /tmp/k.pem "$v"
		if [ $xok = 1 ] && [ $xreq -ge 64 ]; then
			ok "TLS ${v%% *} ${v##* }: 1 MiB $xwhat intact, $xreq device requests"
		else
			[ $dir = s2c ] && head -c 300 /tmp/got | sed 's/^/# got: /'
			not_ok "TLS ${v%% *} ${v##* }: $xgot, $xreq device requests; $xlog"
		fi
	done
done
cd /

# ---- TLS 1.0-1.2 MAC-then-encrypt records: the composite AES-CBC-HMAC ciphers ----
# libssl fetches AES-{128,256}-CBC-HMAC-SHA{1,256} for these suites when
# encrypt-then-MAC is off; vcp_test drives them as libssl does, against the
# RFC construction and the default provider's own composite.
vcp_counted -n 16 tls
[ $nreq -gt 100 ] && ok "vcp_test tls: the records went to the device ($nreq requests)" ||
	not_ok "vcp_test tls: the records went to the device ($nreq requests)"
note "vcp_test tls with min_offload 4096: short records in the default provider, the IV kept in step"
VCRYPTO_MIN_OFFLOAD=4096 vcp_test -n 16 tls
# s_server/s_client, TLS 1.2 (and 1.0) without encrypt-then-MAC, 1 MiB each way.  A
# record carries at most 16 KiB, so 1 MiB is at least 64 records, each
# sealed (HMAC + CBC) and opened (CBC + HMAC) on the device: at least 256
# requests, 4 MiB through the device, per direction.  (With the record
# layer in software only the HMACs would reach it: about half.)
openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/rk.pem -out /tmp/rc.pem -subj /CN=vcrypto \
	-days 2 $DP 2>/dev/null
cd /tmp
port=4480
# TLS 1.0 too (implicit IV chained from record to record; security level 0 allows it)
for t in "1_2 AES128-SHA256 rc" "1_2 ECDHE-RSA-AES128-SHA256 rc" "1_2 ECDHE-ECDSA-AES256-SHA c" \
	"1 ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0 c"; do
	set -- $t
	pv=$1 cs=$2 kc=$3 pn=$(echo ${1}_0 | tr _ . | cut -d. -f1,2)
	v="-tls$pv -no_etm -cipher $cs"
	keyf=/tmp/${kc%c}k.pem
	for dir in s2c c2s; do
		tls_xfer $dir /tmp/$kc.pem $keyf "$v"
		if [ $xok = 1 ] && [ $xreq -ge 256 ]; then
			ok "TLS $pn $cs, no EtM (MAC-then-encrypt): 1 MiB $xwhat intact, $xreq device requests (>= 256)"
		else
			not_ok "TLS $pn $cs, no EtM: $xgot, $xreq device requests (>= 256); $xlog"
		fi
	done
done
cd /
# ---- end of the composite-cipher section ----

# ---- TLS 1.2 CBC with encrypt-then-MAC (OpenSSL's default): plain AES-CBC in TLS record mode ----
# libssl sets tls-version / tls-mac-size on plain AES-CBC and hands it one
# record per update.  vcp_test etm drives AES-128/256-CBC that way against
# the default provider's AES-CBC (and counts one device request per record
# at or over min_offload).
vcp_counted -n 16 etm
note "vcp_test etm: $nreq device requests"
note "vcp_test etm with min_offload 4096: records on both sides of it on one context, the IV kept in step"
VCRYPTO_MIN_OFFLOAD=4096 vcp_test -n 16 etm
# s_server/s_client, TLS 1.2, encrypt-then-MAC, 1 MiB each way.  The record
# HMAC reaches the device whichever cipher carries the records, so the
# proof that the CBC went there is a control: the same transfer with the
# Camellia twin of the suite (same HMAC-SHA256, same record sizes; Camellia
# is not offered by vcrypto, so its CBC stays in the default provider).
# Per application-data record (counted from s_client -msg), the AES suite
# must make at least 1.5 device requests more than its twin (2 expected:
# one CBC request where the record is sealed, one where it is opened).
[ -e /tmp/rc.pem ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/rk.pem -out /tmp/rc.pem \
	-subj /CN=vcrypto -days 2 $DP 2>/dev/null
cd /tmp
port=4520
for t in "AES128-SHA256 CAMELLIA128-SHA256" "ECDHE-RSA-AES128-SHA256 ECDHE-RSA-CAMELLIA128-SHA256"; do
	set -- $t
	for dir in s2c c2s; do
		tls_xfer $dir /tmp/rc.pem /tmp/rk.pem "-tls1_2 -cipher $2" "-msg -msgfile /tmp/msg"
		cok=$xok creq=$xreq crec=$xrec
		tls_xfer $dir /tmp/rc.pem /tmp/rk.pem "-tls1_2 -cipher $1" "-msg -msgfile /tmp/msg"
		# at least 1.5 more requests per record than the twin: 2*(A*Rc - C*Ra) >= 3*Ra*Rc
		if [ $xok = 1 ] && [ $cok = 1 ] && [ $xrec -ge 64 ] && [ $crec -ge 64 ] &&
			[ $((2 * (xreq * crec - creq * xrec))) -ge $((3 * xrec * crec)) ]; then
			ok "TLS 1.2 $1 with encrypt-then-MAC, $dir: 1 MiB intact; $xreq device requests for $xrec records, its Camellia twin $creq for $crec: CBC on the device for every record"
		else
			not_ok "TLS 1.2 $1 with encrypt-then-MAC, $dir: intact $xok (twin $cok); $xreq device requests for $xrec records, Camellia twin $creq for $crec (want >= 1.5 more per record); $xlog"
		fi
	done
done
cd /
# ---- end of the encrypt-then-MAC section ----

vcp_test fork
# the idle session cache (issue #12) and GCM across messages, both GHASH paths
vcp_test sesscache
vcp_test -n 6 gcm
VCRYPTO_GHASH_BITWISE=1 vcp_test -n 4 gcm
vcp_counted -n 40 threads
note "threads: $nreq device requests"
note "min_offload (VCRYPTO_MIN_OFFLOAD=100000): short one-shot work in the default provider"
VCRYPTO_MIN_OFFLOAD=100000 vcp_test -n 24 check
head -c 5000 /tmp/d >/tmp/small
# one command on /tmp/small: $1 provider options, then the openssl words; prints its result
small() { p=$1; sub=$2; shift 2; rm -f /tmp/e1; openssl $sub $p "$@" 2>&1 | sed 's/.*= //'; [ -e /tmp/e1 ] && md5sum </tmp/e1; }
k16=${K%????????????????????????????????}
for c in "dgst -sha256 /tmp/small" "mac -digest sha256 -macopt hexkey:$K -in /tmp/small HMAC" \
	"enc -aes-128-cbc -K $k16 -iv $IV -in /tmp/small -out /tmp/e1"; do
	b=$(small "$DP" $c)
	r0=$(reqs)
	a=$(VCRYPTO_MIN_OFFLOAD=8192 small "$VP" $c)
	r1=$(reqs)
	a2=$(VCRYPTO_MIN_OFFLOAD=4096 small "$VP" $c)
	r2=$(reqs)
	[ "$a" = "$b" ] && [ "$a2" = "$b" ] && [ $((r1 - r0)) = 0 ] && [ $((r2 - r1)) -gt 0 ] &&
		ok "openssl ${c%% *} of 5000 B: min_offload 8192 stays off the device, 4096 uses it ($((r2 - r1)) requests), same bytes" ||
		not_ok "openssl ${c%% *} of 5000 B with min_offload 8192/4096: $a / $a2 vs $b; requests $((r1 - r0)), $((r2 - r1))"
done

# ---- streams past the module's gather caps (issue 12) ----
# The module gathers multi-part hash data up to one request's size (16 MiB)
# and max_file_gather; past that a stream goes on in the guest kernel's
# software hash, so the provider needs no limit of its own.
swfb() { s=0; for f in $V/*/vcdev_sw_fallbacks; do [ -e "$f" ] && s=$((s + $(cat $f))); done; echo $s; }
note "40 MiB digests and HMAC through the provider, past the module's gather caps"
VCRYPTO_MIN_OFFLOAD=0 vcp_test -s "$(date +%s)" bighash
head -c 41943040 /dev/urandom >/tmp/big
# big SUB PROVIDER-OPTIONS: openssl SUB of /tmp/big, the result alone
big() {
	case $1 in
	dgst*) openssl $1 $2 /tmp/big 2>&1 | sed 's/.*= //' ;;
	hmac) openssl mac -digest sha256 -macopt hexkey:$K -in /tmp/big $2 HMAC 2>&1 ;;
	esac
}
for c in "dgst -sha256" "dgst -sha512" hmac; do
	s0=$(swfb)
	a=$(big "$c" "$VP")
	s1=$(swfb)
	b=$(big "$c" "$DP")
	[ -n "$a" ] && [ "$a" = "$b" ] && [ $((s1 - s0)) -gt 0 ] &&
		ok "openssl $c of 40 MiB -provider vcrypto: default provider's result, $((s1 - s0)) software fallback(s) in the module" ||
		not_ok "openssl $c of 40 MiB -provider vcrypto: $a vs $b, fallbacks $((s1 - s0))"
done
rm -f /tmp/big

# ---- a device that fails mid-stream (issue 12) ----
# vcp_test streams AES-128-CBC, SHA-256 and HMAC-SHA256 through the provider;
# the device is unbound under it, then bound again.
FD=/sys/bus/virtio/drivers/virtio_cryptodev
fdev=$(ls $FD | grep '^virtio' | head -n 1)
wait_for() { i=0; while [ ! -e "$1" ] && kill -0 $2 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
note "device failing mid-stream: $fdev unbound under vcp_test failing"
rm -f /tmp/fail.ready /tmp/fail.failed /tmp/fail.rebound
VCRYPTO_MIN_OFFLOAD=0 vcp_test failing /tmp/fail.ready /tmp/fail.failed /tmp/fail.rebound &
fpid=$!
wait_for /tmp/fail.ready $fpid && ok "failing: vcp_test is mid-stream" || not_ok "failing: vcp_test never got mid-stream"
check "failing: unbind $fdev under the streaming program" sh -c "echo $fdev >$FD/unbind"
wait_for /tmp/fail.failed $fpid && ok "failing: every stream failed, no hang" ||
	not_ok "failing: the streams did not all fail (or the program died)"
# while no device serves: a new program with the provider still works (default provider)
echo abc >/tmp/fail.abc
a=$(openssl dgst -sha256 -provider vcrypto -provider default /tmp/fail.abc 2>/dev/null | sed 's/.*= //')
b=$(openssl dgst -sha256 $DP /tmp/fail.abc | sed 's/.*= //')
[ -n "$a" ] && [ "$a" = "$b" ] && ok "failing: with the device gone, openssl dgst -provider vcrypto still works" ||
	not_ok "failing: with the device gone, openssl dgst -provider vcrypto: '$a' vs '$b'"
check "failing: bind $fdev again" sh -c "echo $fdev >$FD/bind"
touch /tmp/fail.rebound
wait $fpid
rc=$?
[ $rc = 0 ] && ok "failing: vcp_test exited 0 (no crash)" || not_ok "failing: vcp_test exit status $rc"
r0=$(reqs)
a=$(openssl dgst -sha256 $VP /tmp/d 2>&1 | sed 's/.*= //')
r1=$(reqs)
b=$(openssl dgst -sha256 $DP /tmp/d | sed 's/.*= //')
[ "$a" = "$b" ] && [ $((r1 - r0)) -gt 0 ] &&
	ok "failing: after rebinding, openssl dgst -provider vcrypto uses the device again ($((r1 - r0)) requests)" ||
	not_ok "failing: after rebinding, openssl dgst -provider vcrypto: $a vs $b ($((r1 - r0)) requests)"
