#!/bin/bash
# make demo, as a test: runs scripts/demo.sh and turns its summary into TAP.
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$here/../../scripts/demo.sh" >"$out" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$out" | sed 's/^/# /'
sed -n '/== Summary/,$p' "$out" | sed -n 's/^   ok   \(.*\)/ok - demo: \1/p; s/^   FAIL \(.*\)/not ok - demo: \1/p'
[ $rc = 0 ] && echo "ok - demo exits 0" || echo "not ok - demo exits $rc"
