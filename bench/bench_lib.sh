#!/bin/bash
# bench/bench_lib.sh: helpers the benchmark scripts share (sourced, bash).

# measured_on: "Measured DATE on N cores (CPU)", how each results file begins
measured_on() {
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
}
# field LINE NAME: the value of NAME=value in a RESULT line
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# median: of the numbers on stdin (blank-separated), 0 when there are none
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
# ratio A B: A / B to two decimals, "-" unless both are positive
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }
# ticks PID: CPU ticks of a daemon: its own, its reaped children's (workers
# of past connections) and its live children's (the connection's worker)
ticks() {
	local t c
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat")
	for c in $(pgrep -P "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# overcommitted LOAD0: a warning when the 1-minute load at the start or the
# end was above the number of cores (the guests' vCPU threads waited for CPU)
overcommitted() {
	local n l
	n=$(nproc)
	for l in "${1%% *}" "$(cut -d' ' -f1 /proc/loadavg)"; do
		if awk -v l="$l" -v n="$n" 'BEGIN { exit !(l > n) }'; then
			echo "**The host was overcommitted during this run (1-minute load $l on $n cores): the vCPU threads"
			echo "waited for CPU, which hits some paths far harder than others; treat the ratios as indicative only.**"
			return
		fi
	done
}
# stack_up WHO ST: true when the guest stack ST (tests/vm/stack.sh) is there;
# its variables are set, its name goes to sname[ST] and ST to avail (the
# caller declares both). Else WHO says it goes on without it ($dir/ST.why).
stack_up() {
	local sv
	if ! sv=$("$top/tests/vm/stack.sh" "$2" 2>"$dir/$2.why"); then
		echo "$1: stack $2 unavailable: $(tail -n 1 "$dir/$2.why"); going on without it" >&2
		return 1
	fi
	eval "$sv"
	sname[$2]=$STACK_NAME
	avail+=("$2")
}
