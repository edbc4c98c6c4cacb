#!/bin/bash
# A short libFuzzer run of each vproc target (frame reader, .sig parser, ELF
# checks) from small seed corpora: no crash, no sanitizer report, no leak.
# `make fuzz` runs them longer.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${VCRYPTO_BUILD:-$top/build}
SECS=${VPROC_FUZZ_SECONDS:-2}
dir=$(mktemp -d "${TMPDIR:-/tmp}/vproc-fuzz.XXXXXX")
trap 'rm -rf "$dir"' EXIT
n=0 failed=0

hx32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
frame() { # TYPE REQ DESC LEN: a frame header (binary)
	printf 'VMMC\001\000'; printf "\\x$(printf %02x $1)\\x00"; hx32 $2; hx32 $3; hx32 0; hx32 0; hx32 $4; hx32 0
}
mkdir -p "$dir/frame" "$dir/sig" "$dir/elf"
frame 4 1 0 0 >"$dir/frame/list"
{ frame 2 2 0 5; printf 'hello'; } >"$dir/frame/msg"
{ frame 3 3 7 0; frame 4 4 0 0; } >"$dir/frame/close-list"
{ frame 1 5 0 $((8 + 64 + 226)); hx32 64; hx32 226; head -c 64 "$B/samples/hello"; head -c 226 /dev/zero; } >"$dir/frame/newproc"
"$B/vsign" keygen -o "$dir/k" >/dev/null
"$B/vsign" sign -k "$dir/k" --name hello --version 1 "$B/samples/hello" -o "$dir/sig/hello.sig"
head -c 4096 "$B/samples/hello" >"$dir/elf/hello-head"
cp "$B/samples/upper" "$dir/elf/upper"

for t in frame sig elf; do
	bin=$B/fuzz/fuzz_vproc_$t
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz_vproc_$t is not built"
		failed=1
		continue
	fi
	if "$bin" -max_total_time="$SECS" -max_len=70000 -rss_limit_mb=2048 -print_final_stats=1 \
		"$dir/$t" >"$dir/$t.log" 2>&1 && grep -q '^Done' "$dir/$t.log"; then
		echo "ok $n - fuzz_vproc_$t: $(grep -o 'Done [0-9]* runs' "$dir/$t.log") in ${SECS}s, no crash or sanitizer report"
	else
		echo "not ok $n - fuzz_vproc_$t found a problem"
		tail -n 30 "$dir/$t.log" | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
