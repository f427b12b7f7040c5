#!/usr/bin/env bash
# compare-fill.sh - fill_device against fio: the same job (sequential O_DIRECT writes of BS at
# iodepth DEPTH, fill_device=1, so each run writes until the filesystem is full) run by fio
# (io_uring, with and without --fixedbufs --registerfiles) and by zhtp-bench on one file in
# DIR, rounds in A B B A order with an A/A pair of fio-fixed against itself. The file is
# deleted before every run, so each one allocates the whole filesystem afresh. Reports each
# tool's median write bandwidth (bytes over its own runtime, from its JSON) and the ratio of
# zhtp-bench's to the best fio's. DIR must be on a filesystem the run may fill, e.g. a tmpfs:
#   mount -t tmpfs -o size=1g tmpfs /mnt/fill
#
# Usage: benchmarks/compare-fill.sh -d DIR [-r ROUNDS] [-b BS] [-q DEPTH]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bench=${ZHTP_BENCH:-$root/build/benchmarks/zhtp-bench}
rounds=4
bs=64k
depth=8
dir=

while [ $# -gt 0 ]; do
	case "$1" in
	-d) dir=$2; shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	-b) bs=$2; shift 2 ;;
	-q) depth=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "compare-fill.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$dir" ] || { echo "compare-fill.sh: -d DIR (a filesystem the run may fill) is required" >&2; exit 2; }
command -v fio >/dev/null || { echo "compare-fill.sh: fio not found (make deps-bench)" >&2; exit 1; }

file=$dir/zhtp-fill-cmp.dat
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-fill.XXXXXX")
trap 'rm -rf "$work"; rm -f "$file"' EXIT
common=(--name=fill --filename="$file" --rw=write --bs="$bs" --iodepth="$depth" --direct=1
	--fill_device=1)

# Wait until the deleted file's space is back: a process that closed its io_uring with files
# registered (fio --registerfiles) leaves them to a kernel worker, which frees them a moment
# later.
empty_fs() {
	rm -f "$file"
	for _ in $(seq 1 500); do
		[ "$(df -B1 --output=used "$dir" | tail -1)" -lt $((1 << 20)) ] && return 0
		sleep 0.01
	done
	echo "compare-fill.sh: $dir did not empty after deleting $file" >&2
	exit 1
}

run() { # tool round: one run on an empty filesystem, its JSON kept
	local t=$1 r=$2
	local out="$work/$t.$r.json"

	empty_fs
	case $t in
	fio) fio --output-format=json --ioengine=io_uring "${common[@]}" >"$out" 2>/dev/null ;;
	fio-fixed|aa) fio --output-format=json --ioengine=io_uring --fixedbufs --registerfiles \
		"${common[@]}" >"$out" 2>/dev/null ;;
	zhtp) "$bench" --output-format=json "${common[@]}" >"$out" 2>/dev/null ;;
	esac
	echo "$t $r"
}

for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="fio fio-fixed zhtp aa"; else order="aa zhtp fio-fixed fio"; fi
	for t in $order; do
		run "$t" "$r" >>"$work/runs"
	done
done

fs_bytes=$(df -B1 --output=size "$dir" | tail -1)
python3 - "$work" "$fs_bytes" "$bs" "$depth" <<'PY'
import json, statistics, sys
work, fs_bytes, bs, depth = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
bw = {}
for line in open(work + "/runs"):
    t, r = line.split()
    j = json.load(open("%s/%s.%s.json" % (work, t, r)))["jobs"][0]
    w = j["write"]
    if j.get("error", 0) != 0:
        sys.exit("%s round %s: error %d" % (t, r, j["error"]))
    # Each run must have filled the filesystem (less a write or two cut short at the end).
    if w["io_bytes"] < 0.98 * fs_bytes:
        sys.exit("%s round %s: wrote %d of %d bytes" % (t, r, w["io_bytes"], fs_bytes))
    bw.setdefault(t, {})[int(r)] = w["io_bytes"] / (w["runtime"] / 1000.0)
med = {t: statistics.median(v.values()) for t, v in bw.items()}
best = max(("fio", "fio-fixed"), key=lambda t: med[t])
rounds = sorted(bw["zhtp"])
per_round = [bw["zhtp"][r] / bw[best][r] for r in rounds]
aa = [bw["aa"][r] / bw["fio-fixed"][r] for r in rounds]
print()
print("fill %d MiB (bs %s, iodepth %s, fill_device=1), median write MiB/s of %d rounds" % (fs_bytes >> 20, bs, depth, len(rounds)))
print()
print("| fio | fio-fixed | zhtp | best fio | **zhtp/best-fio** | per round | A/A |")
print("|--:|--:|--:|---|--:|---|---|")
print("| %.0f | %.0f | %.0f | %s | **%.3f** | %s | %s |" % (
    med["fio"] / 2**20, med["fio-fixed"] / 2**20, med["zhtp"] / 2**20, best,
    med["zhtp"] / med[best], " ".join("%.2f" % x for x in per_round),
    " ".join("%.2f" % x for x in aa)))
PY
