#!/usr/bin/env bash
# scale-reactors.sh - how the CPU-bound block job scales from 1 to N reactors, against fio
# scaling the same way on the same file.
#
# For each reactor count N it writes one job file (4 KiB random I/O at the given depth, the
# batching of benchmarks/jobs/compare, numjobs=N on the first N cores of the core order with
# cpus_allowed_policy=split, so that each clone has a core of its own: one reactor per core for
# zhtp-bench, one job thread per core for fio, group_reporting) and hands it to compare-fio.sh,
# which runs fio, fio-fixed, zhtp-bench and the A/A pair in A B B A order, one count at a time
# (a count that fails keeps the counts before it). From compare-fio's tables it then prints, per
# N: zhtp-bench's IOPS, per reactor, its scaling efficiency IOPS(N) / (N * IOPS(1)), the same
# for the best fio configuration, and zhtp/best-fio.
#
# The core order: the cores this process may run on (Cpus_allowed_list, not 0..nproc-1: a
# container's set may start elsewhere), one hardware thread of each physical core first, then
# their SMT siblings, so that N reactors share no core while N is at most the physical cores.
#
# Meant for a machine with many cores (issue 9's 1-16 reactor record). It first prints the
# kernel, the cores and their order, then runs the largest count's job for a second with each
# tool: a kernel without io_uring (some sandboxes), a tmpfs that refuses O_DIRECT (before Linux
# 6.6) or a tool that cannot start stops it there (exit 3) rather than measure something else,
# or burn the device's minutes on runs that fail. On tmpfs every read or write
# is done by an io-wq worker that needs a core too: N reactors keep up to 2N threads busy, so
# counts above half the cores measure the kernel's sharing as much as the engine.
#
# Usage: benchmarks/scale-reactors.sh [-n "1 2 4 8 16"] [-q DEPTH] [-w randread|randwrite]
#        [-r ROUNDS] [-t SECONDS] [-f FILE | -d DIR] [-s SIZE] [-o REPORT.md]
#        benchmarks/scale-reactors.sh [-q DEPTH] [-w randread|randwrite] -j N
#   -n  reactor counts (default: 1 2 4 8 16, those up to the core count)
#   -q  iodepth per reactor (default 32)
#   -w  rw (default randread)
#   -r  rounds per count (default 2), -t seconds per run (default 5)
#   -f  file (default /dev/shm/zhtp-scale.dat), -s its size (default 1g); a character device
#       (/dev/zero) is read buffered (direct=0: it refuses O_DIRECT, in fio too), and its reads
#       complete inline in the submitting enter, so no io-wq worker and nothing shared between
#       reactors: the engine's own scaling
#   -d  per-reactor files in DIR instead, SIZE each (compare-fio.sh -d): writes to one shared
#       file serialise on that file in the kernel, for fio as much as for zhtp-bench
#   -o  append the report to this file as well
#   -j  print the job file run at N reactors and stop (no file, size or runtime lines: the
#       caller passes them, as compare-fio.sh does)
#   -c  print the core order and stop
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bench=${ZHTP_BENCH:-$(dirname "$here")/build/benchmarks/zhtp-bench}
fio=${FIO:-fio}

# The allowed cores, one thread of every physical core first (see the header).
core_order() {
	python3 - <<'PY'
import os
def cpus(text):
    out = []
    for part in text.strip().split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out
allowed = sorted(os.sched_getaffinity(0))
def rank(cpu):
    topo = "/sys/devices/system/cpu/cpu%d/topology/" % cpu
    try:
        siblings = cpus(open(topo + "thread_siblings_list").read())
        package = int(open(topo + "physical_package_id").read())
    except (OSError, ValueError):
        return (0, 0, cpu)
    return (siblings.index(cpu) if cpu in siblings else 0, package, cpu)
print(" ".join(str(c) for c in sorted(allowed, key=rank)))
PY
}
read -r -a order <<<"$(core_order)"
cores=${#order[@]}
counts=
depth=32
rw=randread
rounds=2
runtime=5
file=/dev/shm/zhtp-scale.dat
dir=
size=1g
report=
print_job=

while [ $# -gt 0 ]; do
	case "$1" in
	-n) counts=$2; shift 2 ;;
	-q) depth=$2; shift 2 ;;
	-w) rw=$2; shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	-t) runtime=$2; shift 2 ;;
	-f) file=$2; shift 2 ;;
	-d) dir=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-o) report=$2; shift 2 ;;
	-j) print_job=$2; shift 2 ;;
	-c) echo "${order[*]}"; exit 0 ;;
	-h|--help) sed -n '2,41p' "$0"; exit 0 ;;
	*) echo "scale-reactors.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $rw in randread|randwrite) ;; *) echo "scale-reactors.sh: -w randread|randwrite" >&2; exit 2 ;; esac

direct=1
[ -z "$dir" ] && [ -c "$file" ] && direct=0

first_cores() { # N: the first N cores of the order, as a cpus_allowed list
	local IFS=,
	echo "${order[*]:0:$1}"
}

job_file() { # N: the job at N reactors, one clone per core
	cat <<EOF
[$rw-4k-qd$depth-x$1]
rw=$rw
bs=4k
iodepth=$depth
direct=$direct
norandommap=1
iodepth_batch_submit=$((depth < 32 ? depth : 32))
iodepth_batch_complete_max=$((depth < 32 ? depth : 32))
numjobs=$1
cpus_allowed=$(first_cores "$1")
cpus_allowed_policy=split
group_reporting=1
EOF
}
if [ -n "$print_job" ]; then
	job_file "$print_job"
	exit 0
fi

if [ -z "$counts" ]; then
	for n in 1 2 4 8 16; do [ "$n" -le "$cores" ] && counts+="$n "; done
fi
for n in $counts; do
	[ "$n" -le "$cores" ] || { echo "scale-reactors.sh: $n reactors, $cores cores" >&2; exit 2; }
done
if [ -n "$dir" ]; then where=(-d "$dir"); else where=(-f "$file"); fi

echo "kernel $(uname -r), $cores cores, in this order: ${order[*]}"
work=$(mktemp -d "${TMPDIR:-/tmp}/scale-reactors.XXXXXX")
trap '[ -n "${SCALE_KEEP:-}" ] || rm -rf "$work"' EXIT

# The largest count's job for a second with each tool, on a small file where the real one goes
# (tmpfs and O_DIRECT as in the runs): what would fail every run fails here, in seconds.
for n in $counts; do top=$n; done
job_file "$top" >"$work/probe.fio"
if [ -n "$dir" ]; then probe_file=$dir/zhtp-probe.dat; else probe_file=$(dirname "$file")/zhtp-probe.dat; fi
[ -c "$file" ] && [ -z "$dir" ] && probe_file=$file
for tool in "$bench" "$fio"; do
	if ! "$tool" --filename="$probe_file" --size=16m --runtime=1 --time_based \
		"$work/probe.fio" >"$work/probe.out" 2>&1; then
		echo "scale-reactors.sh: $(basename "$tool") cannot run the $top-reactor job on" \
			"$probe_file (kernel $(uname -r): no io_uring, or O_DIRECT refused?):" >&2
		tail -20 "$work/probe.out" >&2
		[ -f "$probe_file" ] && rm -f "$probe_file"
		exit 3
	fi
done
[ -f "$probe_file" ] && rm -f "$probe_file"

# One count at a time: compare-fio.sh writes its tables at the end of its run, and a count
# that fails (the largest, most likely) must not take the smaller counts' tables with it.
failed=
for n in $counts; do
	j="$work/$rw-4k-qd$depth-x$n.fio"
	job_file "$n" >"$j"
	if "$here/compare-fio.sh" -r "$rounds" -t "$runtime" "${where[@]}" -s "$size" \
		-o "$work/compare.md" "$j" >>"$work/compare.out" 2>&1; then
		echo "x$n: done"
	else
		echo "x$n: compare-fio.sh failed (see below)"
		failed+="$n "
	fi
done

python3 - "$work/compare.md" "$rw" "$depth" >"$work/scale.md" <<'EOF'
import re, sys
path, rw, depth = sys.argv[1:4]
rows = {}
for line in open(path):
    cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
    m = re.fullmatch(r"%s-4k-qd%s-x(\d+)" % (rw, depth), cells[0]) if len(cells) > 5 else None
    if m and int(m.group(1)) not in rows:  # the summary table comes before the per-round one
        num = lambda s: float(s.replace(",", ""))
        fio, fixed, zhtp = num(cells[1]), num(cells[2]), num(cells[3])
        rows[int(m.group(1))] = (zhtp, max(fio, fixed), cells[9])
if not rows:
    sys.exit("scale-reactors.sh: no rows in compare-fio's report")
one = min(rows)
z1, f1 = rows[one][0] / one, rows[one][1] / one
print("| reactors | zhtp IOPS | per reactor | zhtp efficiency | best-fio IOPS | fio efficiency"
      " | zhtp/best-fio | A/A |")
print("|--:|--:|--:|--:|--:|--:|--:|--:|")
for n in sorted(rows):
    z, f, aa = rows[n]
    print("| %d | %s | %s | %.2f | %s | %.2f | %.3f | %s |" % (
        n, format(round(z), ","), format(round(z / n), ","), z / (n * z1),
        format(round(f), ","), f / (n * f1), z / f, aa))
EOF

{
	echo "## scale-reactors: $rw 4 KiB, iodepth $depth per reactor ($(date '+%F %T %z'))"
	echo
	echo '```'
	echo "benchmarks/scale-reactors.sh -n \"$counts\" -q $depth -w $rw -r $rounds -t $runtime ${where[*]} -s $size"
	echo '```'
	echo
	echo "- host: kernel $(uname -r), $cores cores; efficiency = IOPS(N) / (N * IOPS(1))"
	echo
	cat "$work/scale.md"
	echo
	sed -n '/^| job /,$p' "$work/compare.md"
	if [ -n "$failed" ]; then
		echo
		echo "Failed counts: $failed; compare-fio.sh said:"
		echo '```'
		grep -v '^compare-fio: \[' "$work/compare.out" | tail -30
		echo '```'
	fi
} | tee -a "${report:-/dev/null}"
[ -z "$failed" ]
