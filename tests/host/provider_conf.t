#!/bin/bash
# The provider's min_offload setting (config section `min_offload = N`,
# environment VCRYPTO_MIN_OFFLOAD=N) is input from a file and the
# environment: a bad value is refused with one clear line on stderr, the
# value before it stays, and the provider still loads and programs still
# work. Runs on the host, where there is no /dev/crypto: the provider loads,
# offers nothing and says why; the setting is read all the same
# (vcp_test min-offload prints what the provider took).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/tests/lib/tap.sh"
export OPENSSL_MODULES=$B/provider
unset VCRYPTO_MIN_OFFLOAD VCRYPTO_PROVIDER_QUIET OPENSSL_CONF
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
def=$(sed -n 's/^VCP_MIN_OFFLOAD ?= *//p' "$top/provider/provider.mk")

conf() { # VALUE: a config that activates vcrypto with min_offload = VALUE
	printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'providers = provider_sect' \
		'[provider_sect]' 'default = default_sect' 'vcrypto = vcrypto_sect' \
		'[default_sect]' 'activate = 1' '[vcrypto_sect]' 'activate = 1' "min_offload = $1" >"$d/c.cnf"
}
# CASE DESC WANT_VALUE WANT_WARNING(regex or "") ENV...: run vcp_test min-offload under ENV
case_() {
	local desc=$1 want=$2 warn=$3 got
	shift 3
	env "$@" "$B/provider/vcp_test" min-offload >"$d/out" 2>"$d/err"
	got=$(sed -n 's/^min_offload //p' "$d/out")
	if [ "$got" != "$want" ]; then
		nok "$desc: min_offload $got, expected $want ($(grep -v 'offering no' "$d/err" | head -c 200))"
	elif [ -n "$warn" ] && ! grep -qE "$warn" "$d/err"; then
		nok "$desc: min_offload $got, but stderr does not say why: $(head -c 300 "$d/err")"
	elif [ -z "$warn" ] && grep -q 'ignoring min_offload' "$d/err"; then
		nok "$desc: a warning for a good value: $(grep 'ignoring' "$d/err")"
	else
		ok "$desc: min_offload $got${warn:+, stderr: $(grep -m1 'ignoring' "$d/err")}"
	fi
}

[ -n "$def" ] && ok "the built-in default is $def (provider.mk)" || nok "no VCP_MIN_OFFLOAD in provider.mk"
case_ "no setting" "$def" ""
case_ "VCRYPTO_MIN_OFFLOAD=0 (everything to the device)" 0 "" VCRYPTO_MIN_OFFLOAD=0
case_ "VCRYPTO_MIN_OFFLOAD=4096" 4096 "" VCRYPTO_MIN_OFFLOAD=4096
case_ "VCRYPTO_MIN_OFFLOAD=' 4096 ' (blanks around)" 4096 "" "VCRYPTO_MIN_OFFLOAD= 4096 "
case_ "VCRYPTO_MIN_OFFLOAD=0x1000 (hex)" 4096 "" VCRYPTO_MIN_OFFLOAD=0x1000
case_ "VCRYPTO_MIN_OFFLOAD=010 is decimal ten, not octal" 10 "" VCRYPTO_MIN_OFFLOAD=010
case_ "VCRYPTO_MIN_OFFLOAD= (empty: unset)" "$def" "" VCRYPTO_MIN_OFFLOAD=
for bad in abc -1 +5 12kb 4096x 0x 0x0x10 0x1g 99999999999999999999999 '1 2' '4096;rm -rf /'; do
	case_ "VCRYPTO_MIN_OFFLOAD='$bad' refused, default kept" "$def" \
		"ignoring min_offload \".*\" from VCRYPTO_MIN_OFFLOAD: not a byte count" "VCRYPTO_MIN_OFFLOAD=$bad"
done
long=$(printf '7%.0s' $(seq 300))
case_ "a 300-digit VCRYPTO_MIN_OFFLOAD refused, quoted cut to 40 characters" "$def" \
	"ignoring min_offload \"7{40}\" from" "VCRYPTO_MIN_OFFLOAD=$long"

conf 1024
case_ "config section min_offload = 1024" 1024 "" OPENSSL_CONF="$d/c.cnf"
case_ "config 1024, VCRYPTO_MIN_OFFLOAD=0: the environment wins" 0 "" OPENSSL_CONF="$d/c.cnf" VCRYPTO_MIN_OFFLOAD=0
case_ "config 1024, VCRYPTO_MIN_OFFLOAD=junk: refused, the config's value kept" 1024 \
	"ignoring min_offload \"junk\" from VCRYPTO_MIN_OFFLOAD.*using 1024" OPENSSL_CONF="$d/c.cnf" VCRYPTO_MIN_OFFLOAD=junk
conf lots
case_ "config section min_offload = lots: refused, default kept" "$def" \
	"ignoring min_offload \"lots\" from the config section" OPENSSL_CONF="$d/c.cnf"
case_ "... and VCRYPTO_PROVIDER_QUIET=1 silences it" "$def" "" OPENSSL_CONF="$d/c.cnf" VCRYPTO_PROVIDER_QUIET=1
ref=$(printf abc | openssl dgst -sha256 -r 2>/dev/null | cut -d' ' -f1)
got=$(printf abc | OPENSSL_CONF="$d/c.cnf" openssl dgst -sha256 -r 2>"$d/err" | cut -d' ' -f1)
expect "with that bad config openssl dgst still works and gives the default provider's digest ($got)" \
	'[ -n "$ref" ] && [ "$got" = "$ref" ]'
tap_exit
