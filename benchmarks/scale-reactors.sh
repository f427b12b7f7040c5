#!/usr/bin/env bash
# scale-reactors.sh - how the CPU-bound block job scales from 1 to N reactors, against fio
# scaling the same way on the same file.
#
# For each reactor count N it writes one job file (4 KiB random I/O at the given depth, the
# batching of benchmarks/jobs/compare, numjobs=N on cores 0..N-1 with cpus_allowed_policy=split
# so that clone c runs on core c: one reactor per core for zhtp-bench, one job thread per core
# for fio, group_reporting) and hands all of them to compare-fio.sh, which runs fio, fio-fixed,
# zhtp-bench and the A/A pair in A B B A order. From compare-fio's table it then prints, per N:
# zhtp-bench's IOPS, per reactor, its scaling efficiency IOPS(N) / (N * IOPS(1)), the same for
# the best fio configuration, and zhtp/best-fio.
#
# Meant for a machine with many cores (issue 9's 1-16 reactor record). It first prints the
# kernel and the core count and checks that io_uring works: some sandbox kernels have none,
# and then it stops (exit 3) rather than measure something else. On tmpfs every read or write
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
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bench=${ZHTP_BENCH:-$(dirname "$here")/build/benchmarks/zhtp-bench}
cores=$(nproc)
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
	-h|--help) sed -n '2,34p' "$0"; exit 0 ;;
	*) echo "scale-reactors.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $rw in randread|randwrite) ;; *) echo "scale-reactors.sh: -w randread|randwrite" >&2; exit 2 ;; esac

direct=1
[ -z "$dir" ] && [ -c "$file" ] && direct=0

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
cpus_allowed=0-$(($1 - 1))
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

echo "kernel $(uname -r), $cores cores"
work=$(mktemp -d "${TMPDIR:-/tmp}/scale-reactors.XXXXXX")
trap '[ -n "${SCALE_KEEP:-}" ] || rm -rf "$work"' EXIT

# io_uring first: a kernel without it fails the ring setup of the smallest job.
if ! "$bench" --name=probe --filename="$work/probe.dat" --size=1m --rw=read --bs=4k \
	--direct=0 >"$work/probe.out" 2>&1; then
	echo "scale-reactors.sh: zhtp-bench cannot run here (no io_uring on kernel $(uname -r)?):" >&2
	cat "$work/probe.out" >&2
	exit 3
fi

jobs=()
for n in $counts; do
	j="$work/$rw-4k-qd$depth-x$n.fio"
	job_file "$n" >"$j"
	jobs+=("$j")
done

"$here/compare-fio.sh" -r "$rounds" -t "$runtime" "${where[@]}" -s "$size" \
	-o "$work/compare.md" "${jobs[@]}" >"$work/compare.out"

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
} | tee -a "${report:-/dev/null}"
