#!/usr/bin/env bash
# compare-store.sh - the object store's two performance bars (issue 11), each measured against
# its peer side by side in one run, in A B B A order, with an A/A pair of the peer for noise.
#
# Usage: benchmarks/compare-store.sh [-r ROUNDS] [-d WORKDIR] [-o REPORT.md]
#
# Large objects: a fresh store of six 1 GiB file devices (4+2) in WORKDIR/store.
#   A = fio on the same six files (one job per file, offset 512 MiB, which the store does not
#       reach here; sequential, bs 256k = one shard of a 1 MiB chunk, iodepth 8, O_DIRECT,
#       io_uring, group_reporting): write bandwidth, then read bandwidth.
#   B = zhtp-bench rw=put / rw=get of 16 MiB incompressible objects, 384 MiB per run, iodepth 4.
#   Bars: put user bytes/s >= 0.80 x fio write x k/(k+m); get >= 0.80 x fio read.
# Small objects (4 KiB, 16384 of them, 32 in flight):
#   A = zhtp-fileobj-bench: one file per object on the same filesystem, write + fsync / read.
#   B = zhtp-bench rw=put / rw=get on the store.
#   Puts make each object once; gets go round the objects for 3 s (steady state) on both sides.
#   Bar: the store faster on both.
# Environment: ZHTP_BENCH_ARGS, extra options for every zhtp-bench run (word-split), e.g.
#   --busy-poll=0.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD:-$root/build}
rounds=4
work=/work/bench/store-cmp
report=""

while [ $# -gt 0 ]; do
	case "$1" in
	-r) rounds=$2; shift 2 ;;
	-d) work=$2; shift 2 ;;
	-o) report=$2; shift 2 ;;
	-h|--help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "compare-store.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

bench="$build/benchmarks/zhtp-bench"
zargs=${ZHTP_BENCH_ARGS:-}
ctl="$build/zhtpctl"
fileobj="$build/benchmarks/zhtp-fileobj-bench"
store="$work/store"
raw="$work/raw"
rm -rf "$work"
mkdir -p "$raw"
"$ctl" -d "$store" format --dev-size 1g --k 4 --m 2 >/dev/null

fio_job() { # rw
	{
		printf '[global]\nioengine=io_uring\ndirect=1\nbs=256k\niodepth=8\n'
		printf 'offset=512m\nsize=384m\ngroup_reporting=1\nrw=%s\n' "$1"
		for i in 0 1 2 3 4 5; do
			printf '[dev%d]\nfilename=%s/dev%d.img\n' "$i" "$store" "$i"
		done
	} >"$work/fio-$1.fio"
	echo "$work/fio-$1.fio"
}

obj_job() { # rw bs size iodepth [extra line]
	printf '[%s]\ndirectory=%s\nrw=%s\nbs=%s\nsize=%s\niodepth=%s\n%s\n' "$1-$2" "$store" \
		"$1" "$2" "$3" "$4" "${5:-}" >"$work/obj-$1-$2.fio"
	echo "$work/obj-$1-$2.fio"
}

fw=$(fio_job write)
fr=$(fio_job read)
put16=$(obj_job put 16m 384m 4)
get16=$(obj_job get 16m 384m 4)
put4=$(obj_job put 4k 64m 32)
get4=$(obj_job get 4k 64m 32 $'time_based=1\nruntime=3s')

run() { # name round command...
	local name=$1 r=$2
	shift 2
	"$@" >"$raw/$name.$r.json"
}

pair_order() { # round -> "A B" or "B A"
	if [ $(($1 % 2)) -eq 1 ]; then echo "A B"; else echo "B A"; fi
}

for r in $(seq 1 "$rounds"); do
	for side in $(pair_order "$r"); do
		if [ "$side" = A ]; then
			run fio-write "$r" fio --output-format=json "$fw"
			run fio-read "$r" fio --output-format=json "$fr"
			rm -rf "$work/files"
			run fileobj "$r" "$fileobj" "$work/files" 4096 16384 32 3
		else
			run zhtp-put16 "$r" "$bench" --output-format=json $zargs "$put16"
			run zhtp-get16 "$r" "$bench" --output-format=json $zargs "$get16"
			run zhtp-put4 "$r" "$bench" --output-format=json $zargs "$put4"
			run zhtp-get4 "$r" "$bench" --output-format=json $zargs "$get4"
		fi
	done
	run fio-write-aa "$r" fio --output-format=json "$fw"
done
rm -rf "$work/files"
"$ctl" -d "$store" fsck >/dev/null

python3 - "$raw" "$rounds" "$report" "$*" <<'EOF'
import json, statistics, sys, os
raw, rounds, report = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def load(name, r):
    return json.load(open(f"{raw}/{name}.{r}.json"))

def bw(name, r, d):
    return load(name, r)["jobs"][0][d]["bw_bytes"]

def iops(name, r, d):
    return load(name, r)["jobs"][0][d]["iops"]

def fileobj(r, phase):
    for line in open(f"{raw}/fileobj.{r}.json"):
        j = json.loads(line)
        if j["phase"] == phase:
            return j["ops"]

R = range(1, rounds + 1)
med = statistics.median
k, m = 4, 2
rows = []
fw = [bw("fio-write", r, "write") for r in R]
fr = [bw("fio-read", r, "read") for r in R]
zp = [bw("zhtp-put16", r, "write") for r in R]
zg = [bw("zhtp-get16", r, "read") for r in R]
aa = [bw("fio-write-aa", r, "write") / bw("fio-write", r, "write") for r in R]
put_ratio = med([zp[i] / (fw[i] * k / (k + m)) for i in range(rounds)])
get_ratio = med([zg[i] / fr[i] for i in range(rounds)])
fp = [fileobj(r, "put") for r in R]
fg = [fileobj(r, "get") for r in R]
zp4 = [iops("zhtp-put4", r, "write") for r in R]
zg4 = [iops("zhtp-get4", r, "read") for r in R]
MB = 1e6
out = []
out.append("| what | peer (median) | zhtp (median) | ratio (median of rounds) | bar |")
out.append("|---|--:|--:|--:|---|")
out.append(f"| PUT 16 MiB objects, user MB/s vs fio seq write x 4/6 | {med(fw)/MB:.0f} x 4/6 = {med(fw)*k/(k+m)/MB:.0f} | {med(zp)/MB:.0f} | **{put_ratio:.3f}** | >= 0.80 |")
out.append(f"| GET 16 MiB objects, MB/s vs fio seq read | {med(fr)/MB:.0f} | {med(zg)/MB:.0f} | **{get_ratio:.3f}** | >= 0.80 |")
out.append(f"| PUT 4 KiB objects/s vs file + fsync | {med(fp):,.0f} | {med(zp4):,.0f} | **{med([zp4[i]/fp[i] for i in range(rounds)]):.2f}** | > 1 |")
out.append(f"| GET 4 KiB objects/s vs open + read | {med(fg):,.0f} | {med(zg4):,.0f} | **{med([zg4[i]/fg[i] for i in range(rounds)]):.2f}** | > 1 |")
out.append(f"| A/A: fio seq write against itself | | | {med(aa):.3f} (range {min(aa):.3f}-{max(aa):.3f}) | noise |")
out.append("")
out.append("Per round (A B B A order), MB/s or objects/s:")
out.append("")
out.append("| round | fio write | zhtp put | fio read | zhtp get | file put | zhtp put 4k | file get | zhtp get 4k |")
out.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for i in range(rounds):
    out.append(f"| {i+1} | {fw[i]/MB:.0f} | {zp[i]/MB:.0f} | {fr[i]/MB:.0f} | {zg[i]/MB:.0f} | {fp[i]:,.0f} | {zp4[i]:,.0f} | {fg[i]:,.0f} | {zg4[i]:,.0f} |")
text = "\n".join(out)
print(text)
if report:
    with open(report, "a") as f:
        f.write("\n```\nbenchmarks/compare-store.sh " + sys.argv[4] + "\n```\n\n" + text + "\n")
EOF
