#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian 12 packages zhtp needs that are missing. Called by `make` before every
# build; does nothing (and needs no network) when everything is present.
#   tools/install-deps.sh build   packages to build and test
#   tools/install-deps.sh bench   also the peers the benchmarks compare against
#   tools/install-deps.sh qemu    also QEMU and what a guest's initramfs is made of
set -euo pipefail

build_pkgs=(cmake make gcc libc6-dev pkg-config liburing-dev libnvme-dev libisal-dev libipsec-mb-dev libzstd-dev
	librocksdb-dev libhwloc-dev libcriterion-dev libcjson-dev libssl-dev
	libjson-c-dev libxxhash-dev
	clang libclang-rt-14-dev clang-format gdb)
bench_pkgs=(fio gnuplot-nox python3 valgrind openssl)
qemu_pkgs=(qemu-system-x86 busybox-static cpio nvme-cli)

want=("${build_pkgs[@]}")
case "${1:-build}" in
bench) want+=("${bench_pkgs[@]}") ;;
qemu) want+=("${qemu_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	# Installed, whatever is wanted of it: a package on hold reads "hold ok installed".
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "zhtp: missing Debian packages: ${missing[*]}" >&2
	echo "zhtp: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "zhtp: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
