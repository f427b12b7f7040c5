#!/usr/bin/env bash
# compare-encrypt.sh - what encryption at rest costs: the same zhtp-bench object jobs on a plain
# store (A) and an encrypted one (B), side by side in one run, in A B B A order, with an A/A
# pair for noise. Both stores are six 512 MiB file devices (4+2) on /dev/shm, so the numbers
# show CPU cost, not disk speed.
#   Jobs: put and get of 16 MiB incompressible objects (384 MiB per run, iodepth 4); put of
#   4 KiB objects (inline, sealed one by one: 64 MiB, iodepth 32); get of them for 3 s.
#
# Usage: benchmarks/compare-encrypt.sh [-r ROUNDS] [-d WORKDIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD:-$root/build}
rounds=4
work=/dev/shm/zhtp-crypt-cmp

while [ $# -gt 0 ]; do
	case "$1" in
	-r) rounds=$2; shift 2 ;;
	-d) work=$2; shift 2 ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "compare-encrypt.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

bench="$build/benchmarks/zhtp-bench"
ctl="$build/zhtpctl"
raw="$work/raw"
rm -rf "$work"
mkdir -p "$raw"
trap 'rm -rf "$work"' EXIT
"$ctl" -d "$work/plain" format --dev-size 512m >/dev/null
"$ctl" -d "$work/secret" --key-file "$work/key" format --dev-size 512m >/dev/null

job() { # store rw bs size iodepth [extra line]
	local f="$work/$1-$2-$3.fio" key=""

	[ "$1" = secret ] && key="key_file=$work/key"
	printf '[%s-%s]\ndirectory=%s\n%s\nrw=%s\nbs=%s\nsize=%s\niodepth=%s\n%s\n' "$2" "$3" \
		"$work/$1" "$key" "$2" "$3" "$4" "$5" "${6:-}" >"$f"
	echo "$f"
}

side() { # store round: every job once, results in raw/<store>-<job>.<round>.json
	local s=$1 r=$2

	"$bench" --output-format=json "$(job "$s" put 16m 384m 4)" >"$raw/$s-put16.$r.json"
	"$bench" --output-format=json "$(job "$s" get 16m 384m 4)" >"$raw/$s-get16.$r.json"
	"$bench" --output-format=json "$(job "$s" put 4k 64m 32)" >"$raw/$s-put4.$r.json"
	"$bench" --output-format=json \
		"$(job "$s" get 4k 64m 32 $'time_based=1\nruntime=3s')" >"$raw/$s-get4.$r.json"
}

for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="plain secret"; else order="secret plain"; fi
	for s in $order; do
		side "$s" "$r"
	done
	"$bench" --output-format=json "$(job plain put 16m 384m 4)" >"$raw/aa-put16.$r.json"
done
"$ctl" -d "$work/secret" --key-file "$work/key" fsck >/dev/null

python3 - "$raw" "$rounds" <<'PY'
import json, statistics, sys
raw, rounds = sys.argv[1], int(sys.argv[2])
R = range(1, rounds + 1)
med = statistics.median

def val(name, r, d, key):
    return json.load(open(f"{raw}/{name}.{r}.json"))["jobs"][0][d][key]

rows = [("PUT 16 MiB, MB/s", "put16", "write", "bw_bytes", 1e6),
        ("GET 16 MiB, MB/s", "get16", "read", "bw_bytes", 1e6),
        ("PUT 4 KiB, objects/s", "put4", "write", "iops", 1),
        ("GET 4 KiB, objects/s", "get4", "read", "iops", 1)]
print("| job | plain (median) | encrypted (median) | encrypted / plain (median of rounds) |")
print("|---|--:|--:|--:|")
for what, job, d, key, unit in rows:
    a = [val(f"plain-{job}", r, d, key) for r in R]
    b = [val(f"secret-{job}", r, d, key) for r in R]
    ratio = med([b[i] / a[i] for i in range(rounds)])
    print(f"| {what} | {med(a)/unit:,.0f} | {med(b)/unit:,.0f} | **{ratio:.3f}** |")
aa = [val("aa-put16", r, "write", "bw_bytes") / val("plain-put16", r, "write", "bw_bytes")
      for r in R]
print(f"| A/A: plain PUT 16 MiB against itself | | | {med(aa):.3f} "
      f"({min(aa):.2f}-{max(aa):.2f}) |")
PY
