#!/bin/bash
# devcrypto's command line: every bad argument gets a clear error and the
# documented exit status; a missing device is named. (Its real work through
# /dev/crypto is tested in the guest, where the device exists.)
set -u
B=${VCRYPTO_BUILD:-$(dirname "$0")/../../build}
d=$B/devcrypto
n=0
t() { # DESC EXPECTED_RC EXPECTED_STDERR_REGEX CMD...
	local desc=$1 want=$2 re=$3; shift 3
	local errf; errf=$(mktemp)
	"$@" >/dev/null 2>"$errf" </dev/null; local rc=$?
	n=$((n + 1))
	if [ "$rc" = "$want" ] && { [ -z "$re" ] || grep -qE "$re" "$errf"; }; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $rc, stderr: $(head -c 200 "$errf"))"
	fi
	rm -f "$errf"
}
K=000102030405060708090a0b0c0d0e0f
t "--help exits 0" 0 '' "$d" --help
t "no command: usage, exit 2" 2 'usage:' "$d"
t "unknown command named" 2 "unknown command 'frob'" "$d" frob
t "short key refused" 2 '32, 48 or 64 digit hex key' "$d" enc -K 00 --iv $K
t "non-hex key refused" 2 '32, 48 or 64 digit hex key' "$d" enc -K zz0102030405060708090a0b0c0d0e0f --iv $K
t "missing IV refused" 2 '32 hex digits' "$d" enc -K $K
t "odd-length IV refused" 2 '32 hex digits' "$d" enc -K $K --iv 0
t "missing device named" 1 '/nonexistent/crypto: No such file or directory' "$d" info --device /nonexistent/crypto
t "missing input file named" 1 'nope.bin: No such file' "$d" enc -K $K --iv $K -i /nonexistent/nope.bin --device /nonexistent/crypto
t "bad --keylen refused" 2 'keylen must be' "$d" info --keylen 7
t "stray argument refused" 2 'usage:' "$d" info extra
t "ciphertext not a multiple of 16 refused before any device work" 1 'not a positive multiple of 16' \
	bash -c "printf abc | '$d' dec -K $K --iv $K --device /nonexistent/crypto"
