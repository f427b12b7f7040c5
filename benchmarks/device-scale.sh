#!/usr/bin/env bash
# device-scale.sh - issue 9's 1-16 reactor record in one command, for a lent many-core machine
# whose device time is short and counted (a few minutes a session, starts included).
#
# Steps, each in its own file under the output directory and all summed up in summary.md:
#   1. host.txt: kernel, cores, CPU model, memory, /dev/shm.
#   2. scale-randread.md: scale-reactors.sh, 4 KiB randread at depth 32 per reactor on one
#      1 GiB file in /dev/shm, zhtp-bench against fio at every reactor count. When zhtp-bench
#      cannot run (some sandbox kernels have no io_uring) scale-reactors.sh says so and this
#      stops there (exit 3) rather than measure something else.
#   3. scale-devzero.md: step 2's job on /dev/zero, one round: reads that complete inline in
#      the submitting enter (no io-wq worker, no page cache, nothing the reactors share), so
#      the engine's own scaling, apart from what tmpfs shares between cores.
#   4. scale-randwrite.md: the same for randwrite on one 64 MiB file per reactor (-d): writes to
#      one shared tmpfs file serialise on its lock, for both tools.
#   5. sched-ab.log: zhtp-bench alone on step 2's job at the largest count, its defaults
#      against --yield-wait=off and against --sched-slice=0 (the kernel's slice), in A B C C B A
#      order twice, median IOPS of each (design note 10 of engine/reactor.c).
#   6. threads.log: thread-cpu.py on zhtp-bench (yield on, and off at the largest count) and on
#      fio-fixed (--thread, so that its jobs are threads of one process) at the snapshot counts:
#      CPU microseconds and context switches per I/O for reactors / job threads and io-wq
#      workers.
# At the defaults (-n "1 2 4 8 16", -r 2, -t 3) it runs about 6 minutes on 16 cores. Before
# anything long it checks, in seconds, what would make every run fail: python3 (the reports),
# the pack, room in /dev/shm, and its own run time against DEVICE_BUDGET_S (default 540, the
# device tool's 600 s a command less its start); scale-reactors.sh then runs the largest job
# for a second with each tool. host.txt records the pack's commit and the cores' topology.
#
# Usage: benchmarks/device-scale.sh [-p PACK.tar.xz] [-n COUNTS] [-c SNAPSHOT_COUNTS]
#                                   [-r ROUNDS] [-t SECONDS] [-o DIR]
#   -p  unpack this benchmarks/pack-bench.sh tarball into /tmp and use its zhtp-bench and fio
#   -n  reactor counts (default: 1 2 4 8 16, those up to the core count)
#   -c  counts for the thread snapshots (default: 1 4 16, those up to the core count)
#   -r  rounds per count in steps 2 and 4 (default 2), -t seconds per run (default 3)
#   -o  output directory (default: $OUT when set, as on the device machine, else ./device-scale)
# Environment: ZHTP_BENCH and FIO as for compare-fio.sh; SHM (default /dev/shm) for the files.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cores=$(nproc)
pack=
counts=
snaps=
rounds=2
runtime=3
out=${OUT:-./device-scale}
shm=${SHM:-/dev/shm}

while [ $# -gt 0 ]; do
	case "$1" in
	-p) pack=$2; shift 2 ;;
	-n) counts=$2; shift 2 ;;
	-c) snaps=$2; shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	-t) runtime=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-h|--help) sed -n '2,32p' "$0"; exit 0 ;;
	*) echo "device-scale.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
up_to_cores() {
	local n list=
	for n in $1; do [ "$n" -le "$cores" ] && list+="$n "; done
	echo "${list% }"
}
counts=$(up_to_cores "${counts:-1 2 4 8 16}")
snaps=$(up_to_cores "${snaps:-1 4 16}")
if [ -z "$counts" ] || [ -z "$snaps" ]; then
	echo "device-scale.sh: no count fits $cores cores" >&2
	exit 2
fi
top=${counts##* }

# What every step needs, checked before anything takes minutes.
command -v python3 >/dev/null || { echo "device-scale.sh: python3 is missing here" >&2; exit 3; }
count_words() { echo $#; }
n_counts=$(count_words $counts)
n_snaps=$(count_words $snaps)
# Runs of -t s: four tools per count and round (steps 2 and 4), one round (3), 12 (5); 5 s for
# each snapshot run (6); about a second more for each run's start and end.
runs=$((n_counts * 4 * (2 * rounds + 1) + 12))
estimate=$((runs * (runtime + 1) + (2 * n_snaps + 1) * 6 + 30))
echo "device-scale.sh: about $estimate s ($runs runs of ${runtime}s, $((2 * n_snaps + 1)) snapshots)"
if [ "$estimate" -gt "${DEVICE_BUDGET_S:-540}" ]; then
	echo "device-scale.sh: over DEVICE_BUDGET_S=${DEVICE_BUDGET_S:-540} s: fewer counts, rounds or seconds" >&2
	exit 2
fi
shm_need_mib=$((1024 + top * 64 + 256))
shm_free_mib=$(df -Pm "$shm" | awk 'NR == 2 {print $4}')
if [ "${shm_free_mib:-0}" -lt "$shm_need_mib" ]; then
	echo "device-scale.sh: $shm has ${shm_free_mib:-no} MiB free, the runs need $shm_need_mib" >&2
	exit 3
fi

if [ -n "$pack" ]; then
	# xz may be missing on a bare machine; python's tarfile reads the pack without it.
	tar -xJf "$pack" -C /tmp 2>/dev/null ||
		python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall("/tmp")' "$pack" ||
		exit 3
	export ZHTP_BENCH=/tmp/zhtp-pack/bin/zhtp-bench FIO=/tmp/zhtp-pack/bin/fio
fi
bench=${ZHTP_BENCH:-$(dirname "$here")/build/benchmarks/zhtp-bench}
fio=${FIO:-fio}
mkdir -p "$out"
out=$(cd "$out" && pwd)
file=$shm/zhtp-scale.dat
dir=$shm/zhtp-scale.d
started=$(date +%s)

{
	date '+%F %T %z'
	uname -a
	echo "cores: $cores"
	grep -m1 "model name" /proc/cpuinfo
	grep -E "MemTotal|MemAvailable" /proc/meminfo
	df -h "$shm" | tail -1
	"$fio" --version
	[ -n "$pack" ] && echo "pack: $(cat /tmp/zhtp-pack/VERSION 2>/dev/null || echo 'no VERSION')"
	grep Cpus_allowed_list /proc/self/status
	echo "core order (reactor n runs on the n-th): $("$here/scale-reactors.sh" -c)"
	echo "NUMA nodes: $(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l)"
	lscpu -e 2>/dev/null || grep . /sys/devices/system/cpu/cpu*/topology/thread_siblings_list
} >"$out/host.txt" 2>&1
cat "$out/host.txt"

step() { # NAME COMMAND...: run one step, keep its output, say how it ended; returns its status
	local name=$1 t0=$SECONDS rc
	shift
	"$@" >"$out/$name.log" 2>&1
	rc=$?
	echo "step $name: rc=$rc, $((SECONDS - t0)) s"
	return $rc
}

step scale-randread "$here/scale-reactors.sh" -n "$counts" -q 32 -w randread -r "$rounds" \
	-t "$runtime" -f "$file" -s 1g -o "$out/scale-randread.md"
if [ $? -eq 3 ]; then
	cat "$out/scale-randread.log" >&2
	exit 3
fi
step scale-devzero "$here/scale-reactors.sh" -n "$counts" -q 32 -w randread -r 1 \
	-t "$runtime" -f /dev/zero -s 1g -o "$out/scale-devzero.md"
mkdir -p "$dir"
step scale-randwrite "$here/scale-reactors.sh" -n "$counts" -q 32 -w randwrite -r "$rounds" \
	-t "$runtime" -d "$dir" -s 64m -o "$out/scale-randwrite.md"
rm -rf "$dir"

job_args() { # N RUNTIME: step 2's job at N reactors, on its file, as compare-fio.sh runs it
	local job=$out/randread-x$1.fio

	"$here/scale-reactors.sh" -q 32 -w randread -j "$1" >"$job"
	echo --filename="$file" --size=1g --runtime="$2" --time_based --output-format=json "$job"
}
iops_of() { # JSON...: read + write IOPS over every job of the runs
	python3 "$here/json_iops.py" "$@"
}

sched_option() { # VARIANT: its zhtp-bench option
	case $1 in
	default) echo --yield-wait=on ;;
	yield-off) echo --yield-wait=off ;;
	slice-0) echo --sched-slice=0 ;;
	esac
}
sched_ab() {
	local round variant order i args

	args=$(job_args "$top" "$runtime")
	for round in 1 2 3 4; do
		order="default yield-off slice-0"
		[ $((round % 2)) = 0 ] && order="slice-0 yield-off default"
		for variant in $order; do
			# shellcheck disable=SC2086 # job_args is a word list
			"$bench" "$(sched_option "$variant")" $args >"$out/sched-$variant-$round.json" ||
				return 1
			echo "round $round $variant $(iops_of "$out/sched-$variant-$round.json")"
		done
	done
	for variant in default yield-off slice-0; do
		printf 'median %s (%s): ' "$variant" "$(sched_option "$variant")"
		for i in 1 2 3 4; do iops_of "$out/sched-$variant-$i.json"; done |
			sort -n | awk '{v[NR] = $1} END {printf "%.0f\n", (v[2] + v[3]) / 2}'
	done
}
step sched-ab sched_ab

snapshot() { # LABEL N COMMAND...: one run with thread-cpu.py watching its steady state
	local label=$1 n=$2 json pid args
	shift 2
	json=$out/threads-$label-$n.json
	args=$(job_args "$n" 5)
	# shellcheck disable=SC2086 # job_args is a word list
	"$@" $args >"$json" &
	pid=$!
	python3 "$here/thread-cpu.py" --at 1.5 --for 2 --json "$json" --label "$label N=$n" "$pid"
}
threads() {
	local n
	for n in $snaps; do
		snapshot zhtp "$n" "$bench" --yield-wait=on
		snapshot fio-fixed "$n" "$fio" --thread --ioengine=io_uring --fixedbufs --registerfiles
	done
	snapshot zhtp-yield-off "$top" "$bench" --yield-wait=off
}
step threads threads

{
	echo "# device-scale.sh on $(uname -r), $cores cores ($(date '+%F %T %z'))"
	echo
	echo "    benchmarks/device-scale.sh -n \"$counts\" -c \"$snaps\" -r $rounds -t $runtime"
	echo
	for part in randread devzero randwrite; do
		echo "## $part"
		echo
		sed -n '/^| reactors/,/^$/p' "$out/scale-$part.md" 2>/dev/null
	done
	echo "## zhtp-bench's defaults against --yield-wait=off and --sched-slice=0 at $top reactors (randread)"
	echo
	sed 's/^/    /' "$out/sched-ab.log"
	echo
	echo "## threads"
	echo
	sed 's/^/    /' "$out/threads.log"
	echo
	echo "took $(($(date +%s) - started)) s"
} >"$out/summary.md"
cat "$out/summary.md"
rm -f "$file"
