#!/bin/bash
# vsign: keys, signing, verifying; the stock-openssl recipe of
# tools/vsign/README.md run exactly as documented (Ed25519 gives the same
# bytes as vsign; RSA-PSS verifies); a key built into vprocd at compile time.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
. "$top/tests/host/vproc_lib.sh"

vp_begin
V=$B/vsign

# --- keygen ------------------------------------------------------------
check "keygen writes a private key with mode 0600" test "$(stat -c %a "$d/k")" = 600
check "keygen writes NAME.pub, a PEM public key" grep -q 'BEGIN PUBLIC KEY' "$d/k.pub"
check "the private key is PKCS#8 Ed25519" sh -c "openssl pkey -in '$d/k' -noout -text | grep -q ED25519"
out=$("$V" keygen -o "$d/k" 2>&1) && nok "keygen overwrote an existing key" || {
	[[ $out == *"File exists"* ]] && ok "keygen refuses to overwrite a key (O_EXCL): $out" || nok "keygen overwrite: $out"; }
ln -s "$d/elsewhere" "$d/link"
"$V" keygen -o "$d/link" >/dev/null 2>&1 && nok "keygen followed a symlink" || {
	[ ! -e "$d/elsewhere" ] && ok "keygen does not follow a symlink" || nok "keygen created the symlink target"; }
"$V" keygen --rsa 2048 -o "$d/r2048" >/dev/null 2>&1 && nok "--rsa 2048 accepted" || ok "--rsa other than 3072 is refused"
"$V" keygen --rsa 3072 -o "$d/rsa" >/dev/null && ok "keygen --rsa 3072" || nok "keygen --rsa 3072"
check "the RSA key has 3072 bits" sh -c "openssl pkey -in '$d/rsa' -noout -text | grep -q '3072 bit'"

# --- sign / verify -------------------------------------------------------
out=$("$V" verify -p "$d/k.pub" "$S/hello" "$d/hello.sig") && [[ $out == "OK hello version 1"* ]] &&
	ok "verify: $out" || nok "verify of a good signature: $out"
out=$("$V" verify -p "$d/w.pub" "$S/hello" "$d/hello.sig" 2>&1) && nok "verify with the wrong key passed" ||
	{ [[ $out == *"not trusted"* ]] && ok "verify with another key fails: $out" || nok "wrong key: $out"; }
cp "$S/hello" "$d/t"; printf 'X' | dd of="$d/t" bs=1 seek=5000 conv=notrunc status=none
out=$("$V" verify -p "$d/k.pub" "$d/t" "$d/hello.sig" 2>&1) && nok "verify of a tampered image passed" ||
	{ [[ $out == *"hash differs"* ]] && ok "verify of a tampered image fails: $out" || nok "tampered: $out"; }
"$V" sign -k "$d/k" --name 'bad name' --version 1 "$S/hello" -o "$d/x.sig" 2>/dev/null && nok "bad name accepted" || ok "sign refuses a bad process name"
"$V" sign -k "$d/k" --name hello --version 1x "$S/hello" -o "$d/x.sig" 2>/dev/null && nok "bad version accepted" || ok "sign refuses a non-numeric version"
"$V" sign -k "$d/k.pub" --name hello --version 1 "$S/hello" -o "$d/x.sig" 2>/dev/null && nok "public key used to sign" || ok "sign refuses a public key as the private key"
out=$("$V" show "$d/hello.sig") && [[ $out == *"name: hello"* && $out == *"Ed25519"* ]] && ok "show describes a .sig" || nok "show: $out"
check "a .sig is 226 bytes for Ed25519" test "$(stat -c %s "$d/hello.sig")" = 226
check "vsign --help" "$V" --help

# --- the documented openssl recipe, run as written -------------------------
recipe() { # MARKER: the first ```bash block after <!-- MARKER -->
	awk -v m="<!-- $1 -->" '$0 == m { f = 1; next } f && /^```bash/ { on = 1; next } on && /^```/ { exit } on' \
		"$top/tools/vsign/README.md"
}
mkdir "$d/r" && cp "$S/hello" "$d/r/image" && cd "$d/r" || exit 1
recipe recipe-ed25519 >recipe.sh
[ -s recipe.sh ] && ok "README has the Ed25519 recipe" || nok "README Ed25519 recipe found"
IMAGE=image NAME=hello VERSION=7 KEY=$d/k PUB=$d/k.pub bash -e recipe.sh 2>err.log &&
	ok "the Ed25519 recipe runs with stock openssl" || { nok "Ed25519 recipe runs"; sed 's/^/# /' err.log; }
"$V" header --name hello --version 7 image -o vsign-header.bin
check "the recipe's header equals 'vsign header'" cmp header.bin vsign-header.bin
"$V" sign -k "$d/k" --name hello --version 7 image -o vsign.sig
check "the recipe's .sig is byte for byte the one vsign makes (Ed25519 is deterministic)" cmp image.sig vsign.sig
out=$("$V" verify -p "$d/k.pub" image image.sig 2>&1) && ok "vsign verifies the openssl-made .sig: $out" || nok "verify openssl .sig: $out"
check "openssl verifies vsign's signature over the header" \
	sh -c "tail -c +9 vsign.sig | head -c 120 >h2.bin && tail -c 64 vsign.sig >s2.bin && openssl pkeyutl -verify -pubin -inkey '$d/k.pub' -rawin -in h2.bin -sigfile s2.bin"

# RSA: same header and key id steps, then the RSA block
recipe recipe-rsa >rsa-tail.sh
rm -f image.sig sig.bin
{ recipe recipe-ed25519 | grep -v 'pkeyutl -sign\|^{ printf .VCPS'; cat rsa-tail.sh; } >rsa.sh
IMAGE=image NAME=hello VERSION=7 KEY=$d/rsa PUB=$d/rsa.pub bash -e rsa.sh 2>err.log &&
	ok "the RSA-3072 recipe runs with stock openssl" || { nok "RSA recipe runs"; sed 's/^/# /' err.log; }
out=$("$V" verify -p "$d/rsa.pub" image image.sig 2>&1) && ok "vsign verifies the openssl-made RSA-PSS .sig: $out" || nok "verify openssl RSA .sig: $out"
cd "$d" || exit 1

# --- vprocd with a key built in at compile time --------------------------
"$V" keygen -o "$d/builtin" >/dev/null
"$V" sign -k "$d/builtin" --name hello --version 1 "$S/hello" -o "$d/builtin.sig"
if make -C "$top" --no-print-directory -s B="$d/b" SANITIZE="${SANITIZE:-}" VPROCD_PUBKEY="$d/builtin.pub" "$d/b/vprocd" >"$d/make.log" 2>&1; then
	ok "make VPROCD_PUBKEY=... builds vprocd with the key in it"
	printf 'echo own\nload %s %s\nmsg 0 0 x\necho other\nload %s %s\n' "$S/hello" "$d/builtin.sig" "$S/hello" "$d/hello.sig" >"$d/bi.in"
	"$d/b/vprocd" -s "$d/bi.sock" 2>>"$d/bi2.log" &
	vp_daemon_pids+=($!)
	for _ in $(seq 100); do [ -S "$d/bi.sock" ] && break; sleep 0.05; done
	vp_batch bi bi <"$d/bi.in"
	vp_expect bi own '^Hello, World!$' "an image signed with the built-in key loads and answers"
	vp_expect bi other '\(-1009\)' "an image signed with another key is refused"
	check "vprocd logs the built-in key" grep -q 'trusted key (built in)' "$d/bi2.log"
else
	nok "make VPROCD_PUBKEY=... builds vprocd"
	tail -5 "$d/make.log" | sed 's/^/# /'
fi
tap_exit
