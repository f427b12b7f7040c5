#!/usr/bin/env bash
# pack-bench.sh - one tarball with zhtp-bench and fio that runs on a Linux x86-64 machine
# without their packages (a lent machine that reaches no package mirror).
#
# The tarball holds zhtp-bench (stripped), fio, every shared library the two load, and this
# machine's dynamic loader, under zhtp-pack/. zhtp-pack/bin/zhtp-bench and zhtp-pack/bin/fio
# are wrappers that start the real binaries through the packed loader with the packed
# libraries, so the target's own C library (older or newer) plays no part; fio's job processes
# are forks and inherit it. On the target:
#   tar -xJf zhtp-pack.tar.xz -C /tmp
#   export ZHTP_BENCH=/tmp/zhtp-pack/bin/zhtp-bench FIO=/tmp/zhtp-pack/bin/fio
#   benchmarks/scale-reactors.sh ...
# Debian 12's fio loads about 60 libraries (Ceph, GlusterFS, ...); xz brings the whole pack to
# about 28 MiB, within what the device tool carries (64 MiB with the working tree).
#
# zhtp-pack/VERSION names the commit (git describe --dirty) the binary was packed at; a
# zhtp-bench older than a source file of the tree is refused (make build first), so that a
# lent machine's minutes never measure stale code.
#
# Usage: benchmarks/pack-bench.sh [OUT.tar.xz]   (default ./zhtp-pack.tar.xz)
# Environment: ZHTP_BENCH (default <repo>/build/benchmarks/zhtp-bench), FIO (default fio).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bench=${ZHTP_BENCH:-$repo/build/benchmarks/zhtp-bench}
fio=$(command -v "${FIO:-fio}") || { echo "pack-bench.sh: fio not found" >&2; exit 1; }
out=$(realpath -m "${1:-zhtp-pack.tar.xz}")
[ -x "$bench" ] || { echo "pack-bench.sh: no zhtp-bench at $bench (make build?)" >&2; exit 1; }
newer=$(find "$repo"/engine "$repo"/nvme "$repo"/numa "$repo"/codec "$repo"/index \
	"$repo"/benchmarks -name '*.[ch]' -newer "$bench" -print -quit)
if [ -n "$newer" ]; then
	echo "pack-bench.sh: $bench is older than $newer (make build first)" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"

stage=$(mktemp -d "${TMPDIR:-/tmp}/pack-bench.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pack=$stage/zhtp-pack
mkdir -p "$pack/bin" "$pack/lib"
install -m 755 "$bench" "$pack/bin/zhtp-bench.real"
strip "$pack/bin/zhtp-bench.real"
install -m 755 "$fio" "$pack/bin/fio.real"

# Every library ldd resolves, under the name the binaries ask for; the loader by its path.
loader=
while read -r name arrow path _; do
	if [ "$arrow" = "=>" ] && [ -f "$path" ]; then
		cp -L "$path" "$pack/lib/$name"
	elif [ "${name#/}" != "$name" ]; then
		loader=$name
	fi
done < <(ldd "$bench" "$fio" | grep -v ':$')
[ -n "$loader" ] || { echo "pack-bench.sh: ldd named no dynamic loader" >&2; exit 1; }
cp -L "$loader" "$pack/lib/ld.so"

for tool in zhtp-bench fio; do
	cat >"$pack/bin/$tool" <<EOF
#!/bin/sh
# $tool through the packed loader and libraries (benchmarks/pack-bench.sh).
d=\$(dirname "\$(readlink -f "\$0")")/..
exec "\$d/lib/ld.so" --library-path "\$d/lib" "\$d/bin/$tool.real" "\$@"
EOF
	chmod 755 "$pack/bin/$tool"
done

"$pack/bin/fio" --version >/dev/null
"$pack/bin/zhtp-bench" --help >/dev/null
echo "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown) packed $(date '+%F %T %z')" \
	>"$pack/VERSION"
tar -C "$stage" -cJf "$out" zhtp-pack
echo "pack-bench.sh: $out ($(du -h "$out" | cut -f1), $(ls "$pack/lib" | wc -l) libraries)"
