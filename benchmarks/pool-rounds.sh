#!/usr/bin/env bash
# pool-rounds.sh - pool the per-round ratios of several compare-fio.sh reports.
#
# Usage: benchmarks/pool-rounds.sh REPORT.md...
#
# compare-fio.sh ends each report with a table of every round's ratios (zhtp
# against the best fio configuration of that run, and fio-fixed against itself).
# Where a point is a tie, one 4-round run decides little; this prints, per job
# over all the rounds of all the reports given: the number of rounds, the median
# zhtp/best-fio IOPS ratio with its range, how many rounds were below 1.0, and
# the median A/A ratio. A report appended to more than once counts every run.
set -euo pipefail

if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -eq 0 ] && exit 2
	exit 0
fi
for f in "$@"; do
	[ -r "$f" ] || { echo "pool-rounds.sh: cannot read $f" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "pool-rounds.sh: python3 is required" >&2; exit 2; }

python3 - "$@" <<'PY'
import signal
import statistics
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)
HEADER = "| job | round | order |"
rounds = {}  # job -> [(zhtp/best-fio, A/A)]
order = []
for path in sys.argv[1:]:
    in_table = False
    with open(path) as f:
        for line in f:
            if line.startswith(HEADER):
                in_table = True
                continue
            if not in_table or line.startswith("|---"):
                continue
            if not line.startswith("|"):
                in_table = False
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 11:
                sys.exit("pool-rounds.sh: %s: a round line with %d cells" % (path, len(cells)))
            job = cells[0]
            if job not in rounds:
                rounds[job] = []
                order.append(job)
            rounds[job].append((float(cells[7]), float(cells[9])))
if not order:
    sys.exit("pool-rounds.sh: no per-round table in the reports (compare-fio.sh timing mode)")
print("| job | rounds | median zhtp/best-fio | range | rounds < 1.0 | median A/A |")
print("|---|--:|--:|---|--:|--:|")
for job in order:
    r = [x for x, _ in rounds[job]]
    aa = [y for _, y in rounds[job]]
    print("| %s | %d | %.3f | %.3f-%.3f | %d | %.3f |" % (
        job, len(r), statistics.median(r), min(r), max(r),
        sum(1 for x in r if x < 1.0), statistics.median(aa)))
PY
