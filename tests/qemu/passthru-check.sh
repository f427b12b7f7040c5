#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# passthru-check.sh - zhtp-bench and zhtpctl on real NVMe passthrough devices: a QEMU guest
# (Debian 12's own kernel, TCG) with two NUMA nodes of one CPU each and three emulated NVMe
# controllers, whose /dev/ngXnY the engine drives with IORING_OP_URING_CMD. No test on this machine reaches that path otherwise:
# it has no NVMe drive. It is `make test-qemu`, not part of `make test`: it downloads the
# kernel package (about 70 MB) and takes a minute or two.
#
# The guest runs, on 512-byte and on 4 KiB logical blocks:
#   - zhtp-bench random writes with verify=crc32c at 4 KiB, 8 KiB, 128 KiB and 256 KiB;
#   - a random read of two jobs, one per core (one per node), and a verified write job bound to
#     node 1 (numa_cpu_nodes, numa_mem_policy);
#   - DULBE (Deallocated or Unwritten Logical Block Error) set on the first namespace with
#     nvme-cli: a read of a block never written fails with ENODATA, a verified 128 KiB write
#     job still finds that the kernel refuses fixed buffers (its probe reads the unwritten
#     block 0), and a format, which reads block 0 first, still works;
#   - zhtpctl format on the three namespaces (2+1), put of a small and a chunked object with
#     reactors on both nodes, get back and compare, fsck; then the second namespace's shards
#     overwritten (through its block device): fsck finds it, a get still returns the object,
#     scrub rewrites the bad shards, fsck is clean.
# Each step prints "CHECK <name> ok" or "CHECK <name> FAIL" (tests/qemu/guest-init.sh, the
# guest's /init); the script exits 0 only when none failed and the guest reached its end.
#
# Usage: tests/qemu/passthru-check.sh [BUILD_DIR]   (default ./build, already built)
# Environment: ZHTP_QEMU_DIR (scratch, default BUILD_DIR/qemu), ZHTP_QEMU_TIMEOUT (s, 300).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$repo/build}")
work=${ZHTP_QEMU_DIR:-$build/qemu}
timeout_s=${ZHTP_QEMU_TIMEOUT:-300}
bins=("$build/benchmarks/zhtp-bench" "$build/zhtpctl")
for b in "${bins[@]}"; do
	[ -x "$b" ] || { echo "passthru-check: no $b (make build first)" >&2; exit 1; }
done
# nvme-cli (tools/install-deps.sh qemu) sets DULBE in the guest.
bins+=("$(command -v nvme)") || { echo "passthru-check: no nvme (nvme-cli)" >&2; exit 1; }
mkdir -p "$work"
cd "$work"

# The kernel Debian 12 installs today, unpacked here once.
kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "passthru-check: no linux-image package found" >&2; exit 1; }
kver=${kpkg#linux-image-}
if [ ! -f "kern/boot/vmlinuz-$kver" ]; then
	rm -rf kern ./*.deb
	apt-get download "$kpkg" >/dev/null
	dpkg -x ./"$kpkg"_*.deb kern
fi
mods=kern/lib/modules/$kver/kernel

# The initramfs: busybox, the NVMe modules in load order, the binaries with every library
# they load and the dynamic loader (the guest has no root filesystem).
rm -rf root
mkdir -p root/bin root/proc root/sys root/dev root/tmp root/mods root/zh/bin root/zh/lib
cp /bin/busybox root/bin/
for m in crct10dif_common crct10dif_generic crc-t10dif crc64 crc64_rocksoft_generic \
	crc64-rocksoft t10-pi nvme-core nvme; do
	f=$(find "$mods" -name "$m.ko" | head -1)
	[ -n "$f" ] || { echo "passthru-check: module $m not in $kpkg" >&2; exit 1; }
	cp "$f" root/mods/
	echo "$m" >>root/mods/order
done
for b in "${bins[@]}"; do
	install -m 755 "$b" root/zh/bin/
	strip root/zh/bin/"$(basename "$b")"
	ldd "$b" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
		[ -f "$lib" ] && cp -L "$lib" root/zh/lib/
	done
done
cp "$repo/tests/qemu/guest-init.sh" root/init
chmod 755 root/init
(cd root && find . | cpio -o -H newc 2>/dev/null | gzip -1 >../initrd.gz)

# One boot per logical block size; fresh, sparse namespaces each time.
status=0
for lbs in 512 4096; do
	args=()
	for i in 0 1 2; do
		rm -f "nv$i.img"
		truncate -s 256M "nv$i.img"
		args+=(-drive "file=nv$i.img,if=none,id=nv$i,format=raw"
			-device "nvme,serial=zh$i,drive=nv$i,logical_block_size=$lbs,physical_block_size=$lbs")
	done
	log=$work/guest-$lbs.log
	echo "passthru-check: booting $kpkg, three NVMe namespaces of $lbs-byte blocks"
	timeout "$timeout_s" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 2G -smp 2 \
		-object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G \
		-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1 \
		-nographic -no-reboot -net none -kernel "kern/boot/vmlinuz-$kver" -initrd initrd.gz \
		-append "console=ttyS0 panic=-1 quiet" "${args[@]}" 2>&1 | tr -d '\r' >"$log" || true
	grep -a '^CHECK ' "$log" | sed "s/^/  [$lbs] /"
	# Every step said ok, and the guest reached its end (a hang or a crash prints no DONE).
	if grep -aq '^CHECK .* FAIL$' "$log" || ! grep -aq '^CHECKS DONE$' "$log"; then
		echo "passthru-check: FAILED on $lbs-byte blocks (log: $log)" >&2
		status=1
	fi
done
[ $status -eq 0 ] && echo "passthru-check: every check passed on 512-byte and 4 KiB blocks"
exit $status
