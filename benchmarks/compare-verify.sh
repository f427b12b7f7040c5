#!/usr/bin/env bash
# compare-verify.sh - write-then-verify against fio: the same job (sequential 4 KiB O_DIRECT
# writes at iodepth 32 with verify=KIND, crc32c unless -v says, then every block read back
# and checked) run by fio (io_uring, with and without --fixedbufs --registerfiles) and by
# zhtp-bench on one file, rounds in A B B A order, with an A/A pair of fio-fixed against
# itself for the noise floor. Reports the median wall time of each and the ratio of
# zhtp-bench's throughput (bytes written and verified per second of wall time) to the best
# fio's. The file lives in /dev/shm by default, so the numbers show the tools' CPU cost
# (checksums, bookkeeping), not disk speed. -p PATTERN adds verify_pattern=PATTERN (with
# -v pattern, the blocks are the pattern alone); -i BYTES adds verify_interval=BYTES; -B N
# adds verify_backlog=N (blocks checked while writing, every N written).
#
# Usage: benchmarks/compare-verify.sh [-r ROUNDS] [-s SIZE] [-f FILE] [-v KIND] [-p PATTERN]
#        [-i BYTES] [-B N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bench=${ZHTP_BENCH:-$root/build/benchmarks/zhtp-bench}
rounds=4
size=512m
file=/dev/shm/zhtp-verify-cmp.dat
kind=crc32c
pattern=
interval=
backlog=

while [ $# -gt 0 ]; do
	case "$1" in
	-r) rounds=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-f) file=$2; shift 2 ;;
	-v) kind=$2; shift 2 ;;
	-p) pattern=$2; shift 2 ;;
	-i) interval=$2; shift 2 ;;
	-B) backlog=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "compare-verify.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
command -v fio >/dev/null || { echo "compare-verify.sh: fio not found (make deps-bench)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-verify.XXXXXX")
trap 'rm -rf "$work"; rm -f "$file"' EXIT
common=(--name=wv --filename="$file" --size="$size" --rw=write --bs=4k --iodepth=32 --direct=1
	--verify="$kind" --do_verify=1)
[ -z "$pattern" ] || common+=(--verify_pattern="$pattern")
[ -z "$interval" ] || common+=(--verify_interval="$interval")
[ -z "$backlog" ] || common+=(--verify_backlog="$backlog")

run() { # tool round: one run, "<tool> <round> <start> <end>" on stdout, JSON kept
	local t=$1 r=$2 start end
	local out="$work/$t.$r.json"

	start=$(date +%s.%N)
	case $t in
	fio) fio --output-format=json --ioengine=io_uring --verify_state_save=0 "${common[@]}" \
		>"$out" ;;
	fio-fixed|aa) fio --output-format=json --ioengine=io_uring --fixedbufs --registerfiles \
		--verify_state_save=0 "${common[@]}" >"$out" ;;
	zhtp) "$bench" --output-format=json "${common[@]}" >"$out" ;;
	esac
	end=$(date +%s.%N)
	echo "$t $r $start $end"
}

# Lay the file out once, so that no run pays for allocating it.
fio --name=layout --filename="$file" --size="$size" --rw=write --bs=1m --direct=1 \
	--output=/dev/null
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="fio fio-fixed zhtp aa"; else order="aa zhtp fio-fixed fio"; fi
	for t in $order; do
		run "$t" "$r" | tee -a "$work/times"
	done
done

python3 - "$work" "$size" "$kind" "${backlog:-0}" <<'PY'
import json, statistics, sys
work, size, kind, backlog = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
times = {}
for line in open(work + "/times"):
    t, r, start, end = line.split()
    times.setdefault(t, {})[int(r)] = float(end) - float(start)
def check(t, r):
    """Both tools must have written and read back the whole file, with nothing bad."""
    j = json.load(open("%s/%s.%d.json" % (work, t, r)))["jobs"][0]
    if j.get("error", 0) != 0:
        sys.exit("%s round %d: error %d" % (t, r, j["error"]))
    written = j["write"]["io_bytes"]
    checked = j["zhtp_verify"]["blocks"] * 4096 if t == "zhtp" else j["read"]["io_bytes"]
    if t == "zhtp" and j["zhtp_verify"]["bad"] != 0:
        sys.exit("zhtp round %d: %d bad blocks" % (r, j["zhtp_verify"]["bad"]))
    if written != checked or written == 0:
        sys.exit("%s round %d: wrote %d bytes, verified %d" % (t, r, written, checked))
for t in times:
    for r in times[t]:
        check(t, r)
med = {t: statistics.median(v.values()) for t, v in times.items()}
best = min(("fio", "fio-fixed"), key=lambda t: med[t])
rounds = sorted(times["zhtp"])
per_round = [times[best][r] / times["zhtp"][r] for r in rounds]
aa = [times["fio-fixed"][r] / times["aa"][r] for r in rounds]
print()
print("write %s then verify it (4 KiB, iodepth 32, verify=%s, verify_backlog=%s), median wall seconds of %d rounds" % (size, kind, backlog, len(rounds)))
print()
print("| fio | fio-fixed | zhtp | best fio | **throughput zhtp/best-fio** | per round | A/A |")
print("|--:|--:|--:|---|--:|---|---|")
print("| %.2f | %.2f | %.2f | %s | **%.3f** | %s | %s |" % (
    med["fio"], med["fio-fixed"], med["zhtp"], best, med[best] / med["zhtp"],
    " ".join("%.2f" % x for x in per_round), " ".join("%.2f" % x for x in aa)))
PY
