#!/usr/bin/env bash
# compare-reput.sh - what `zhtpctl put FILE` costs when the store already holds the content
# (it hashes the file and takes a reference: zh_store_hasher, zh_store_ref) against the path
# every put of stored content took before (`put --no-hash-first FILE` still takes it, as does
# `put -`: it encodes and writes every shard, and the commit finds the object and frees them),
# and what hashing first costs a put of new content. Side by side in one run, A B B A.
#
# Usage: benchmarks/compare-reput.sh [-r ROUNDS] [-s SIZE_MIB] [-d WORKDIR] [-o REPORT.md]
#
# A fresh store of six 512 MiB file devices (4+2) in WORKDIR/store; a SIZE_MIB (default 256)
# incompressible file, put once.
#   stored content:  A = put --no-hash-first FILE, B = put FILE; each run adds one reference.
#   new content:     A = put --no-hash-first NEW, B = put NEW (a new random file per run,
#                    made before the clock starts, the object removed after it stops).
#   floor:           openssl dgst -sha256 FILE (reading and hashing the file alone, SHA-NI).
# Each run is the whole command (store open and close included), timed by wall clock; bytes
# written are the sectors written to the block device under WORKDIR (/sys/class/block), which
# counts RocksDB's files too (and anything else writing to that disk meanwhile: run it on an
# otherwise idle machine). Medians over rounds; ratios B/A.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD:-$root/build}
rounds=4
size_mib=256
work=/work/bench/reput-cmp
report=""

while [ $# -gt 0 ]; do
	case "$1" in
	-r) rounds=$2; shift 2 ;;
	-s) size_mib=$2; shift 2 ;;
	-d) work=$2; shift 2 ;;
	-o) report=$2; shift 2 ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "compare-reput.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

die() { echo "compare-reput.sh: $*" >&2; exit 1; }
ctl="$build/zhtpctl"
[ -x "$ctl" ] || die "no $ctl (make build first)"
command -v openssl >/dev/null || die "no openssl (make deps-bench)"
[[ $rounds =~ ^[1-9][0-9]*$ && $size_mib =~ ^[1-9][0-9]*$ ]] || die "-r and -s take a count"
((size_mib <= 1024)) || die "-s: at most 1024 (the store has 3 GiB of devices)"
# Only a directory this script made (or nothing) is removed.
[[ ! -e $work || -d $work/store || -z $(ls -A "$work") ]] || die "$work holds something else"
mkdir -p "$work"

# The block device under WORKDIR (a partition's stat file, or the whole disk's; a
# device-mapper name resolved to its dm-N node).
src=$(df --output=source "$work" | tail -n 1)
dev=$(basename "$(readlink -f "$src")")
stat_file=/sys/class/block/$dev/stat
[ -r "$stat_file" ] || die "no $stat_file for $src"
sectors_written() { awk '{print $7}' "$stat_file"; }

rm -rf "${work:?}"/*
store=$work/store
file=$work/content.bin
head -c $((size_mib << 20)) /dev/urandom >"$file"
"$ctl" -d "$store" format --dev-size 512m >/dev/null
"$ctl" -d "$store" put "$file" >/dev/null

results=$work/results.tsv
: >"$results"

# run KIND TOOL COMMAND...: one timed run, appended to results.tsv as KIND TOOL ms MiB.
run()
{
	local kind=$1 tool=$2 t0 t1 s0 s1
	shift 2
	sync
	s0=$(sectors_written)
	t0=$(date +%s%N)
	"$@" >"$work/run.out"
	t1=$(date +%s%N)
	sync
	s1=$(sectors_written)
	printf '%s\t%s\t%d\t%s\n' "$kind" "$tool" $(((t1 - t0) / 1000000)) \
		"$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.1f", (b - a) * 512 / 1048576}')" \
		>>"$results"
}

stored_a() { run stored one-pass "$ctl" -d "$store" put --no-hash-first "$file"; }
stored_b() { run stored put-file "$ctl" -d "$store" put "$file"; }

# A new file per run, made before the clock starts; its object removed afterwards.
new_content()
{
	local tool=$1 new=$work/new.bin
	head -c $((size_mib << 20)) /dev/urandom >"$new"
	if [ "$tool" = one-pass ]; then
		run new one-pass "$ctl" -d "$store" put --no-hash-first "$new"
	else
		run new put-file "$ctl" -d "$store" put "$new"
	fi
	"$ctl" -d "$store" rm "$(cut -d' ' -f1 "$work/run.out")" >/dev/null
	rm -f "$new"
}

for ((r = 0; r < rounds; r++)); do
	if ((r % 2 == 0)); then
		stored_a; stored_b; stored_b; stored_a
		new_content one-pass; new_content put-file; new_content put-file
		new_content one-pass
	else
		stored_b; stored_a; stored_a; stored_b
		new_content put-file; new_content one-pass; new_content one-pass
		new_content put-file
	fi
	run floor openssl openssl dgst -sha256 "$file"
done
"$ctl" -d "$store" fsck >/dev/null || { echo "compare-reput.sh: fsck not clean" >&2; exit 1; }

median()
{
	sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
col() { awk -F'\t' -v k="$1" -v t="$2" -v c="$3" '$1==k && $2==t {print $c}' "$results" | median; }

{
	echo "## compare-reput: put of stored content by reference ($(date -u '+%Y-%m-%d %H:%M:%S +0000'))"
	echo
	echo '```'
	echo "benchmarks/compare-reput.sh -r $rounds -s $size_mib -d $work"
	echo '```'
	echo
	echo "- host: $(nproc) CPUs, kernel $(uname -r); store on /dev/$dev; file $size_mib MiB from /dev/urandom"
	echo
	echo "| content | --no-hash-first (ms) | hash first (ms) | ratio | --no-hash-first written (MiB) | hash first written (MiB) |"
	echo "|---|--:|--:|--:|--:|--:|"
	for kind in stored new; do
		a=$(col "$kind" one-pass 3)
		b=$(col "$kind" put-file 3)
		printf '| %s | %s | %s | **%s** | %s | %s |\n' "$kind" "$a" "$b" \
			"$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')" \
			"$(col "$kind" one-pass 4)" "$(col "$kind" put-file 4)"
	done
	echo
	echo "openssl dgst -sha256 of the file (the hashing floor): $(col floor openssl 3) ms median."
	echo "Runs: $rounds rounds x 2 per tool and kind, medians; raw: $results."
} | tee ${report:+"$report"}
