#!/usr/bin/env bash
# neighbour-ab.sh - zhtp-bench alone under settings A/B with a busy neighbour: how the reactor's
# scheduling (--sched-slice, --yield-wait, --sched, any zhtp-bench option) holds up when
# another thread wants a core.
#
# For each condition it starts the neighbour (a shell busy loop pinned to one core), runs the
# job once per variant and round in the order V1 V2 ... Vn Vn ... V2 V1 (the second run of a
# pair is often faster here), stops the neighbour and prints each variant's IOPS per run and
# median. Conditions: idle (no neighbour), hogN (busy loop pinned to core N).
#
# Usage: benchmarks/neighbour-ab.sh [-r ROUNDS] [-t SECONDS] [-f FILE] [-s SIZE]
#        [-c "idle hog1 hog0"] [-o REPORT.md] JOB 'OPTIONS A' 'OPTIONS B' ...
#   -r  rounds (default 3; each runs every variant twice), -t seconds per run (default 2)
#   -f  file (default /dev/shm/cmp.dat), -s its size (default 1g)
#   -c  conditions (default: idle hog1)
#   -o  append the table to this file as well
#   JOB is a job file, or a name in benchmarks/jobs/compare/; each variant is one argument of
#   zhtp-bench options ('' for none).
# Example: benchmarks/neighbour-ab.sh -c "idle hog1 hog0" randread-4k-qd32-core0.fio \
#          '--sched-slice=0' '--sched-slice=100us'
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bench=${ZHTP_BENCH:-$(dirname "$here")/build/benchmarks/zhtp-bench}
rounds=3
runtime=2
file=/dev/shm/cmp.dat
size=1g
conds="idle hog1"
report=

while getopts r:t:f:s:c:o:h opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	t) runtime=$OPTARG ;;
	f) file=$OPTARG ;;
	s) size=$OPTARG ;;
	c) conds=$OPTARG ;;
	o) report=$OPTARG ;;
	h) sed -n '2,21p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 2 ]; then
	echo "neighbour-ab.sh: need a job and at least one variant (-h for help)" >&2
	exit 2
fi
job=$1
shift
[ -f "$job" ] || job=$here/jobs/compare/$job
[ -f "$job" ] || { echo "neighbour-ab.sh: no job file $1" >&2; exit 2; }
[ -x "$bench" ] || { echo "neighbour-ab.sh: no zhtp-bench at $bench (make build)" >&2; exit 2; }
variants=("$@")

hog=
stop_hog() {
	if [ -n "$hog" ]; then
		kill "$hog" 2>/dev/null || true
		wait "$hog" 2>/dev/null || true
		hog=
	fi
}
trap stop_hog EXIT

start_hog() { # CONDITION
	case $1 in
	idle) ;;
	hog[0-9]*)
		taskset -c "${1#hog}" sh -c 'while :; do :; done' &
		hog=$!
		;;
	*) echo "neighbour-ab.sh: unknown condition $1" >&2; exit 2 ;;
	esac
}

one_run() { # OPTIONS: IOPS of one run, read + write over its jobs
	# shellcheck disable=SC2086 # the variant is a list of options
	"$bench" "$job" --filename="$file" --size="$size" --runtime="$runtime" --time_based=1 \
		--output-format=json $1 >"$run_json" 2>"$run_json.err" ||
		{ echo "zhtp-bench failed: $(cat "$run_json.err")" >&2; exit 1; }
	python3 "$here/json_iops.py" "$run_json"
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

table=$(mktemp)
run_json=$(mktemp)
trap 'stop_hog; rm -f "$table" "$run_json" "$run_json.err"' EXIT
{
	echo "$(basename "$job"), ${runtime} s runs, $rounds rounds, kernel $(uname -r), $(nproc) cores"
	echo
	echo "| condition | options | median IOPS | runs |"
	echo "|---|---|---|---|"
} >"$table"
n=${#variants[@]}
for cond in $conds; do
	start_hog "$cond"
	sleep 0.3
	declare -a runs=()
	for ((r = 0; r < rounds; r++)); do
		for ((i = 0; i < n; i++)); do runs[i]="${runs[i]:-} $(one_run "${variants[i]}")"; done
		for ((i = n - 1; i >= 0; i--)); do runs[i]="${runs[i]} $(one_run "${variants[i]}")"; done
	done
	stop_hog
	for ((i = 0; i < n; i++)); do
		echo "| $cond | \`${variants[i]:-(none)}\` | $(median <<<"${runs[i]}") |${runs[i]} |" >>"$table"
	done
	unset runs
done
cat "$table"
[ -z "$report" ] || cat "$table" >>"$report"
