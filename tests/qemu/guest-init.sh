#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: MIT
# guest-init.sh - /init of the QEMU guest that tests/qemu/passthru-check.sh boots: loads the
# NVMe driver, runs zhtp-bench and zhtpctl on the namespaces' generic char devices (/dev/ngXnY:
# NVMe passthrough through IORING_OP_URING_CMD) and prints one "CHECK <name> ok|FAIL" line per
# step, then "CHECKS DONE", and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=600m tmp /tmp
while read -r m; do
	insmod "/mods/$m.ko" || echo "insmod $m failed"
done </mods/order
# The namespaces appear once the controllers are probed.
n=0
while [ ! -e /dev/ng2n1 ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "nodes:" /sys/devices/system/node/node*
for d in /sys/block/nvme*n1; do
	echo "$d: block $(cat "$d/queue/logical_block_size"), max_hw_sectors_kb" \
		"$(cat "$d/queue/max_hw_sectors_kb"), max_segments $(cat "$d/queue/max_segments")"
done

# The packed binaries run through the packed loader and libraries.
zh() {
	prog=$1
	shift
	/zh/lib/ld-linux-x86-64.so.2 --library-path /zh/lib "/zh/bin/$prog" "$@"
}

# check NAME COMMAND...: runs it, its output kept in /tmp/NAME.out, and says how it went.
check() {
	name=$1
	shift
	if "$@" >"/tmp/$name.out" 2>&1; then
		echo "CHECK $name ok"
	else
		echo "CHECK $name FAIL"
		tail -20 "/tmp/$name.out"
	fi
}

# fails COMMAND...: succeeds when the command fails (a check that must find a problem).
fails() {
	! "$@"
}

cd /tmp || poweroff -f
for bs in 4k 8k 128k 256k; do
	check "bench-randwrite-verify-$bs" zh zhtp-bench --name=w --filename=/dev/ng1n1 \
		--rw=randwrite --bs=$bs --size=16m --iodepth=8 --verify=crc32c --eta=never
done
check bench-randread-job-per-node zh zhtp-bench --name=r --filename=/dev/ng0n1 --rw=randread \
	--bs=128k --size=64m --iodepth=8 --numjobs=2 --cpus_allowed=0-1 \
	--cpus_allowed_policy=split --group_reporting --runtime=2 --eta=never
check bench-node1-bound-verify zh zhtp-bench --name=b --filename=/dev/ng2n1 --rw=randwrite \
	--bs=64k --size=16m --iodepth=4 --numa_cpu_nodes=1 --numa_mem_policy=bind:1 \
	--verify=crc32c --eta=never

# DULBE on the first namespace, never written so far: a read of an unwritten block fails with
# ENODATA (NVMe status 0x287), named as such; format's read of block 0 must take that as blank.
check dulbe-set zh nvme set-feature /dev/ng0n1 --namespace-id=1 --feature-id=5 --value=0x10000
check dulbe-unwritten-read-fails fails zh zhtp-bench --name=u --filename=/dev/ng0n1 --rw=read \
	--bs=4k --size=64k --eta=never
check dulbe-error-named grep -q 'No data available' /tmp/dulbe-unwritten-read-fails.out
# The reactor's fixed-buffer probe reads block 0, which now answers 0x287: the kernel still took
# the plain read, so 6.1's refusal of fixed buffers must still be found (past block 0, which
# stays unwritten for the format below).
check dulbe-bench-write-verify zh zhtp-bench --name=d --filename=/dev/ng0n1 --rw=randwrite \
	--bs=128k --offset=128m --size=8m --iodepth=4 --verify=crc32c --eta=never

dd if=/dev/urandom of=/tmp/big bs=1M count=3 2>/dev/null
dd if=/dev/urandom of=/tmp/small bs=5000 count=1 2>/dev/null
check store-format zh zhtpctl -d /tmp/store --cpus 0-1 format --dev /dev/ng0n1 --dev /dev/ng1n1 \
	--dev /dev/ng2n1 --k 2 --m 1 --chunk 256k --force
check store-put zh zhtpctl -d /tmp/store --cpus 0-1 put /tmp/big /tmp/small
big=$(awk '$2 == "/tmp/big" {print $1}' /tmp/store-put.out)
small=$(awk '$2 == "/tmp/small" {print $1}' /tmp/store-put.out)
check store-get-big zh zhtpctl -d /tmp/store --cpus 0-1 get "$big" -o /tmp/big.back
check store-get-small zh zhtpctl -d /tmp/store --cpus 0-1 get "$small" -o /tmp/small.back
check store-round-trip cmp /tmp/big /tmp/big.back
check store-round-trip-small cmp /tmp/small /tmp/small.back
check store-fsck zh zhtpctl -d /tmp/store --cpus 0-1 fsck
# Damage the second device's shards through its block device (the same namespace), past the
# superblock; fsck must find it, a get must still return the object (parity), and scrub must
# rewrite the bad shards through passthrough, after which fsck is clean again.
check store-damage dd if=/dev/urandom of=/dev/nvme1n1 bs=4096 seek=1 count=2047
sync
check store-fsck-finds-damage fails zh zhtpctl -d /tmp/store --cpus 0-1 fsck
check store-get-degraded zh zhtpctl -d /tmp/store --cpus 0-1 get "$big" -o /tmp/big.degraded
check store-round-trip-degraded cmp /tmp/big /tmp/big.degraded
check store-scrub-repairs zh zhtpctl -d /tmp/store --cpus 0-1 scrub
check store-fsck-after-scrub zh zhtpctl -d /tmp/store --cpus 0-1 fsck
grep -h 'registered buffers' /tmp/*.out | sort -u
echo "CHECKS DONE"
poweroff -f
