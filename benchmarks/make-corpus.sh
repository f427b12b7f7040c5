#!/usr/bin/env bash
# make-corpus.sh - build a corpus of real, mixed data from this system for the codec benchmark.
#
# Usage: benchmarks/make-corpus.sh OUT [MIB_PER_KIND]
#
# Four kinds of bytes a storage appliance holds, MIB_PER_KIND MiB of each (default 16), each a
# tar stream of files in sorted path order (deterministic on a given system):
#   binaries    /usr/bin                       executables: compress ~2-3x
#   libraries   /usr/lib/x86_64-linux-gnu      shared objects
#   text        /usr/include, /usr/share/doc   source and documentation, not .gz
#   compressed  *.gz under /usr/share          already compressed: zstd cannot shrink it
# The kinds are interleaved in 1 MiB pieces so that every part of the corpus is mixed.
set -euo pipefail

out=${1:?usage: make-corpus.sh OUT [MIB_PER_KIND]}
mib=${2:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kind() { # NAME FIND-ARGS...
	local name=$1
	shift
	find "$@" -type f -size -16M 2>/dev/null | LC_ALL=C sort |
		tar -cf - --no-recursion -T - 2>/dev/null | head -c $((mib << 20)) >"$work/$name" || true
}

kind binaries /usr/bin
kind libraries /usr/lib/x86_64-linux-gnu -name '*.so*'
kind text /usr/include /usr/share/doc -not -name '*.gz'
kind compressed /usr/share -name '*.gz'

: >"$out"
for ((i = 0; i < mib; i++)); do
	for k in binaries libraries text compressed; do
		dd if="$work/$k" bs=1M skip=$i count=1 status=none >>"$out"
	done
done
echo "make-corpus: $(($(stat -c %s "$out") >> 20)) MiB in $out" \
	"($(for k in binaries libraries text compressed; do echo -n "$k $(($(stat -c %s "$work/$k") >> 20)) "; done)MiB)"
