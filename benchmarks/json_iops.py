#!/usr/bin/env python3
"""json_iops.py - the I/O rate in fio-style JSON output (fio's or zhtp-bench's).

Read plus write IOPS summed over every job of every file given: mixed jobs count both
directions, group_reporting or not. Used by neighbour-ab.sh, device-scale.sh and
thread-cpu.py, so that all of them count a run's IOPS the same way.

Usage: json_iops.py FILE.json...   (prints the sum, rounded to an integer)
"""
import json
import sys


def iops_of(paths):
    total = 0.0
    for path in paths:
        with open(path) as f:
            for job in json.load(f)["jobs"]:
                total += job["read"]["iops"] + job["write"]["iops"]
    return total


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: json_iops.py FILE.json...")
    print(round(iops_of(sys.argv[1:])))
