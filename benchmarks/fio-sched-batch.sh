#!/bin/sh
# fio-sched-batch.sh - fio run as SCHED_BATCH, as zhtp-bench runs its reactors by default
# (--sched=batch): for comparisons that give both tools the same scheduling policy.
#   FIO=benchmarks/fio-sched-batch.sh benchmarks/compare-fio.sh ...
# FIO_REAL names the fio binary it runs (default: fio on PATH).
exec chrt --batch 0 "${FIO_REAL:-fio}" "$@"
