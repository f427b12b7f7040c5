#!/usr/bin/env bash
# plot-logs.sh - plot fio-format I/O logs (fio's and zhtp-bench's
# write_iops_log / write_bw_log / write_lat_log output) into one PNG.
#
# Usage:
#   benchmarks/plot-logs.sh [-o OUT.png] [-t TITLE] LOGFILE...
#
# Each LOGFILE holds lines "time_ms, value, ddir, bs[, offset/prio...]" as
# written by fio, e.g. "200, 94350, 0, 0, 0". The log kind comes from the
# file name (NAME_iops.N.log, NAME_bw.N.log, NAME_clat.N.log, NAME_slat.N.log,
# NAME_lat.N.log, with or without the ".N"):
#   iops            -> y axis "IOPS"
#   bw              -> y axis "bandwidth (KiB/s)"
#   clat, slat, lat -> y axis "latency (usec)" (log values are ns, divided
#                      by 1000)
# One line is drawn per file and direction (read, write, trim); x is seconds
# since the start of the run. Several kinds give several stacked panels
# sharing the time axis, one per y unit.
#
# Options:
#   -o OUT.png   output file (default plot-logs.png)
#   -t TITLE     title (default: the log file names)
#   -h, --help   show this text
#
# Example:
#   fio --name=t --filename=/dev/shm/x --size=16m --rw=randrw --bs=4k \
#       --iodepth=8 --ioengine=io_uring --direct=1 --runtime=2 --time_based \
#       --write_iops_log=t --write_bw_log=t --write_lat_log=t --log_avg_msec=200
#   benchmarks/plot-logs.sh -o t.png t_iops.1.log t_bw.1.log t_clat.1.log

set -euo pipefail

usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' \
        "${BASH_SOURCE[0]}"
}

die() {
    printf 'plot-logs: error: %s\n' "$*" >&2
    exit 1
}

out=plot-logs.png
title=""
logs=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        -o) [[ $# -ge 2 && -n "$2" ]] || die "-o needs a file name"; out=$2; shift 2 ;;
        -t) [[ $# -ge 2 ]] || die "-t needs a title"; title=$2; shift 2 ;;
        --) shift; logs+=("$@"); break ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) logs+=("$1"); shift ;;
    esac
done
[[ ${#logs[@]} -gt 0 ]] || { usage >&2; die "no log file given"; }
for f in "${logs[@]}"; do
    [[ -f "$f" && -r "$f" ]] || die "log file '$f' not found or not readable"
done
command -v gnuplot >/dev/null || die "gnuplot is not installed (apt-get install gnuplot-nox)"
command -v python3 >/dev/null || die "python3 is required"

work=$(mktemp -d "${TMPDIR:-/tmp}/plot-logs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

if gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
    terminal=pngcairo
    font='font "sans,10"'
else
    terminal=png
    font=''
fi

# Python turns the logs into one data file per (file, direction) and writes
# the gnuplot script.
python3 - "$work" "$out" "$terminal" "$font" "$title" "${logs[@]}" <<'PYEOF'
import os, re, sys

work, out, terminal, font, title, logs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]

PANELS = {  # kind -> (panel key, y label, divisor)
    "iops": ("iops", "IOPS", 1.0),
    "bw": ("bw", "bandwidth (KiB/s)", 1.0),
    "clat": ("lat", "latency (usec)", 1000.0),
    "slat": ("lat", "latency (usec)", 1000.0),
    "lat": ("lat", "latency (usec)", 1000.0),
}
PANEL_ORDER = ["iops", "bw", "lat", "value"]
DDIR = {0: "read", 1: "write", 2: "trim", 3: "sync"}

def die(msg):
    sys.stderr.write("plot-logs: error: %s\n" % msg)
    sys.exit(1)

def gp_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

series = {}  # panel -> list of (datafile, title)
labels = {}
t0 = None
parsed = []
for path in logs:
    base = os.path.basename(path)
    m = re.search(r"_(iops|bw|clat|slat|lat)(\.\d+)?\.log$", base)
    if m:
        panel, ylabel, div = PANELS[m.group(1)]
    else:
        sys.stderr.write("plot-logs: warning: cannot tell the log kind of %s from its name; "
                         "plotting raw values\n" % path)
        panel, ylabel, div = "value", "value", 1.0
    labels[panel] = ylabel
    rows = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.split(",")]
            try:
                t, v, d = int(parts[0]), float(parts[1]), int(parts[2])
            except (IndexError, ValueError):
                die("%s:%d: not a fio log line: %r" % (path, n, line))
            rows.setdefault(d, []).append((t, v / div))
            t0 = t if t0 is None else min(t0, t)
    if not rows:
        sys.stderr.write("plot-logs: warning: %s is empty, skipped\n" % path)
        continue
    parsed.append((path, base, panel, rows))

if not parsed:
    die("no data in the given logs")

# Logs written with log_unix_epoch carry wall-clock milliseconds: start at 0.
offset = t0 if t0 > 10**9 else 0
xmax = 0.0

for i, (path, base, panel, rows) in enumerate(parsed):
    name = re.sub(r"\.log$", "", base)
    for d in sorted(rows):
        dat = os.path.join(work, "s%d_%d.dat" % (i, d))
        with open(dat, "w") as f:
            # Stable sort on time only: fio's final flush sample shares the
            # last window's time stamp and must stay after it.
            for t, v in sorted(rows[d], key=lambda r: r[0]):
                xmax = max(xmax, (t - offset) / 1000.0)
                f.write("%.3f %.6g\n" % ((t - offset) / 1000.0, v))
        series.setdefault(panel, []).append((dat, "%s %s" % (name, DDIR.get(d, "ddir%d" % d))))

panels = [p for p in PANEL_ORDER if p in series]
if not title:
    title = ", ".join(os.path.basename(p) for p in logs)
    if len(title) > 120:
        title = "%d fio logs" % len(logs)
height = 130 + 320 * len(panels)
gp = []
gp.append("set terminal %s size 1100,%d %s" % (terminal, height, font))
gp.append("set output %s" % gp_str(out))
gp.append("set grid")
# Fixed margins keep the panels' time axes aligned whatever the key widths.
gp.append("set lmargin at screen 0.08")
gp.append("set rmargin at screen 0.76")
gp.append("set key outside right top Left reverse noenhanced")
gp.append("set xlabel 'time (s)'")
gp.append("set xrange [0:%g]" % (xmax if xmax > 0 else 1))
gp.append("set yrange [0:*]")
gp.append("set format y '%.0s%c'")
gp.append("set multiplot layout %d,1 title %s noenhanced" % (len(panels), gp_str(title)))
for p in panels:
    gp.append("set ylabel %s" % gp_str(labels[p]))
    if p == "lat":
        gp.append("set format y '%g'")
    else:
        gp.append("set format y '%.0s%c'")
    plots = ["%s using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title %s" % (gp_str(dat), gp_str(t))
             for dat, t in series[p]]
    gp.append("plot " + ", \\\n     ".join(plots))
gp.append("unset multiplot")
with open(os.path.join(work, "plot.gp"), "w") as f:
    f.write("\n".join(gp) + "\n")
PYEOF

gnuplot "$work/plot.gp" || die "gnuplot failed (script: $work/plot.gp)"
printf 'plot-logs: wrote %s\n' "$out" >&2
