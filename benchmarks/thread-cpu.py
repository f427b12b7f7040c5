#!/usr/bin/env python3
"""thread-cpu.py - where a running benchmark's CPU goes, thread by thread, over a window.

Reads /proc/PID/task/*/stat and status at two instants (no child processes, so a loaded
machine delays it little) and prints, per thread kind, the CPU share (user and system), the
context switches (voluntary + involuntary) and, from the runs' JSON output, CPU microseconds and switches per I/O.
Thread kinds:
io-wq workers ("iou-wrk-*"), the threads that used at least 10% of a core (reactors, fio job
threads) and the rest. A cumulative figure such as ps's %CPU mixes start-up (buffer
registration, file layout) into it; a window in the steady state does not.

Usage: thread-cpu.py [--at S] [--for S] [--json FILE]... [--label TEXT] PID...
  --at    seconds to wait before the first reading (default 1.5)
  --for   length of the window in seconds (default 2)
  --json  the runs' fio-style JSON output (zhtp-bench or fio --output-format=json): after the
          window it waits for the PIDs to end and takes the I/O rate, read + write, of all of
          them from these files
"""
import argparse
import os
import sys
import time

# json_iops.py sits beside this script; importing it must not leave a __pycache__ in the tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from json_iops import iops_of  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def read_threads(pid):
    threads = {}
    base = "/proc/%d/task" % pid
    try:
        tids = os.listdir(base)
    except FileNotFoundError:
        return threads
    for tid in tids:
        try:
            with open("%s/%s/stat" % (base, tid)) as f:
                stat = f.read()
            with open("%s/%s/status" % (base, tid)) as f:
                status = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        counts = dict(line.split(":\t") for line in status.splitlines() if "ctxt_switches:" in line)
        switches = (int(counts["voluntary_ctxt_switches"]),
                    int(counts["nonvoluntary_ctxt_switches"]))
        # fields[0] is field 3 of stat(5): utime is 14, stime 15, processor 39.
        threads[(pid, tid)] = (comm, int(fields[11]), int(fields[12]), switches, int(fields[36]))
    return threads


def snapshot(pids):
    now = time.monotonic()
    threads = {}
    for pid in pids:
        threads.update(read_threads(pid))
    return now, threads


def iops_after(paths, pids):
    while any(os.path.exists("/proc/%d" % pid) for pid in pids):
        time.sleep(0.1)
    return iops_of(paths)


def kind(comm, cpu):
    if comm.startswith("iou-wrk"):
        return "io-wq workers"
    return "busy threads" if cpu >= 0.10 else "other threads"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--at", type=float, default=1.5)
    ap.add_argument("--for", dest="window", type=float, default=2.0)
    ap.add_argument("--json", action="append", default=[])
    ap.add_argument("--label", default="")
    ap.add_argument("pids", type=int, nargs="+")
    args = ap.parse_args()

    time.sleep(args.at)
    t0, first = snapshot(args.pids)
    time.sleep(args.window)
    t1, second = snapshot(args.pids)
    span = t1 - t0
    groups = {}
    for key, (comm, utime, stime, switches, cpu_now) in second.items():
        if key not in first:
            continue
        _, u0, s0, sw0, _ = first[key]
        usr, sys_ = (utime - u0) / TICK / span, (stime - s0) / TICK / span
        g = groups.setdefault(kind(comm, usr + sys_), [0, 0.0, 0.0, 0.0, 0.0, set()])
        g[0] += 1
        g[1] += usr
        g[2] += sys_
        g[3] += (switches[0] - sw0[0]) / span
        g[4] += (switches[1] - sw0[1]) / span
        g[5].add(cpu_now)
    if not groups:
        sys.exit("thread-cpu.py: no thread of %s lived through the window" % args.pids)
    iops = iops_after(args.json, args.pids) if args.json else 0.0
    print("%s window %.2f s, IOPS %s" % (args.label, span, "%.0f" % iops if iops else "?"))
    for name in sorted(groups):
        n, usr, sys_, vol, invol, cpus = groups[name]
        line = "  %-13s n=%-3d on %2d cpus: cores %.2f (usr %.2f sys %.2f), switches/s %.0f + %.0f" % (
            name, n, len(cpus), usr + sys_, usr, sys_, vol, invol)
        if iops:
            line += "  | per I/O: %.2f us, switches %.3f + %.3f" % (
                (usr + sys_) / iops * 1e6, vol / iops, invol / iops)
        print(line)


if __name__ == "__main__":
    main()
