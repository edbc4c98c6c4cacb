#!/bin/bash
# Part of make bench (run by bench/vcryptod_bench.sh, or alone): what the
# front/worker split of vcryptod (issue 15) costs. Writes
# bench/results/vcryptod_restart.md and prints it.
#  1. time from a worker's death (SIGKILL) to the first request served again,
#     and from a SIGHUP (re-execution) to the same: one AES-128-CBC request
#     right after each of VCD_BENCH_RESTARTS (default 20) signals, p50/p99
#     (tests/host/vcd_restart gap / hupgap; every result checked with OpenSSL).
#  2. raw-backend throughput (vcd_bench, 1 queue, 128 in flight, AES-128-CBC)
#     of the split daemon against --single-process in the same run, runs
#     alternating, median of VCD_BENCH_REPEAT (default 5) runs of
#     VCD_BENCH_SECS (default 1) s; CPU per request of each (front + worker).
# Figures are never asserted.
set -uo pipefail
. "$(dirname "$0")/../tests/host/vcryptod_lib.sh"
. "$top/bench/bench_lib.sh"
secs=${VCD_BENCH_SECS:-1}
rep=${VCD_BENCH_REPEAT:-5}
nrs=${VCD_BENCH_RESTARTS:-20}
out=$top/bench/results/vcryptod_restart.md
mkdir -p "$top/bench/results"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
hz=$(getconf CLK_TCK)
# Waits until the daemon has no worker (the last connection is over).
settle() {
	local p
	for _ in $(seq 100); do
		p=$(for c in $(pgrep -P "$1"); do tr '\0' ' ' 2>/dev/null <"/proc/$c/cmdline" | grep -q -- --worker && echo "$c"; done)
		[ -z "$p" ] && return
		sleep 0.02
	done
}

vcd_start gap -- --queues 1 --restart-limit 64/1000 || exit 1
gap_pid=$vcd_pid gap_sock=$vcd_sock
gk=$("$B/tests/host/vcd_restart" -s "$gap_sock" -p "$gap_pid" -k "$nrs" gap | tee /dev/stderr | grep '^RESULT')
gh=$("$B/tests/host/vcd_restart" -s "$gap_sock" -p "$gap_pid" -k "$nrs" hupgap | tee /dev/stderr | grep '^RESULT')
vcd_stop "$gap_pid"

vcd_start split -- --queues 1 || exit 1
split_pid=$vcd_pid split_sock=$vcd_sock
vcd_start single -- --queues 1 --single-process || exit 1
single_pid=$vcd_pid single_sock=$vcd_sock
declare -A vals cvals
sizes="64 1024 16384"
for _ in $(seq "$rep"); do
	for s in $sizes; do
		for m in split single; do
			pid_var=${m}_pid sock_var=${m}_sock
			t0=$(ticks "${!pid_var}")
			l=$("$B/bench/vcd_bench" -s "${!sock_var}" -d "$secs" -q 1 -l "$s" -i 128)
			settle "${!pid_var}"
			t1=$(ticks "${!pid_var}")
			echo "$m $s: $l"
			r=$(field "$l" req_per_s) n=$(field "$l" requests)
			[ -n "$r" ] || continue
			vals[$m,$s]="${vals[$m,$s]:-} $r"
			cvals[$m,$s]="${cvals[$m,$s]:-} $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", (n > 0 ? d / hz * 1e6 / n : 0) }')"
		done
	done
done
vcd_stop "$split_pid"
vcd_stop "$single_pid"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "# vcryptod: restarting the worker (issue 15)"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, by \`bench/vcryptod_restart_bench.sh\`"
	echo "(part of \`make bench\`). Load average at the start: $load0; at the end: $load1 (shared machine)."
	echo
	echo "## From a restart to the first request served again"
	echo
	echo "One AES-128-CBC request (random size 16 B-16 KiB, in place or not) submitted right after the"
	echo "signal; time from the signal to its completion. SIGKILL: the front sees the worker's socket"
	echo "close, starts a new worker (exec, OpenSSL start-up, seccomp), gives it the memory table, rings"
	echo "and sessions, and it resumes the ring. SIGHUP: the old worker is asked to stop (it finishes"
	echo "what it took), then the same."
	echo
	echo "| signal | restarts | p50 | p99 | max |"
	echo "|---|---:|---:|---:|---:|"
	for l in "$gk" "$gh"; do
		[ -n "$l" ] || continue
		echo "| $( [ "$(field "$l" mode)" = gap ] && echo "SIGKILL to the worker" || echo "SIGHUP to the front") | $(field "$l" restarts) | $(field "$l" p50_ms) ms | $(field "$l" p99_ms) ms | $(field "$l" max_ms) ms |"
	done
	echo
	echo "## Raw backend: split (front + worker) against --single-process"
	echo
	echo "vcd_bench, 1 queue, 128 requests in flight, AES-128-CBC, median of $rep runs of ${secs} s,"
	echo "runs of the two daemons alternating. CPU/req: user+system time per request of the whole"
	echo "daemon (front, worker; ${hz} Hz ticks). Target: the split within 5% of the single process."
	echo
	echo "| size | req/s split | req/s single | split / single | CPU/req split | CPU/req single |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for s in $sizes; do
		a=$(echo "${vals[split,$s]:-}" | median) b=$(echo "${vals[single,$s]:-}" | median)
		ca=$(echo "${cvals[split,$s]:-}" | median) cb=$(echo "${cvals[single,$s]:-}" | median)
		awk -v s="$s" -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" 'BEGIN {
			printf "| %d | %.0f | %.0f | %.3f | %.2f us | %.2f us |\n", s, a, b, (b > 0 ? a / b : 0), ca, cb }'
	done
	echo
	echo "Runs (req/s): $(for s in $sizes; do echo -n "$s B split${vals[split,$s]:-} / single${vals[single,$s]:-}; "; done)"
} >"$out"
cat "$out"
