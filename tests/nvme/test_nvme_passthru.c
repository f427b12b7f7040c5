/* SPDX-License-Identifier: MIT */
/*
 * Tests for nvme/: passthrough command encoding (LBA math, FUA, flush, limits), the layout of
 * the 128-byte uring_cmd SQE, NVMe status to errno mapping, and the FILE backend's SQEs. The
 * device structs are built by hand: no NVMe hardware is needed (that test lives with the
 * QEMU harness).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <libnvme.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme/nvme_internal.h"

static struct zh_nvme_dev ng_dev(uint32_t lba_bytes, uint64_t blocks)
{
	struct zh_nvme_dev d = {
	    .backend = ZH_NVME_BACKEND_PASSTHRU,
	    .fd = 7,
	    .block_bytes = lba_bytes,
	    .block_shift = (uint32_t)__builtin_ctz(lba_bytes),
	    .nsid = 1,
	    .size_bytes = blocks * lba_bytes,
	    .max_transfer_bytes = UINT32_MAX,
	    .addr_mask = 3,
	};
	return d;
}

/* A 1 MiB file device of 4 KiB blocks on fd 9, built by hand as ng_dev() builds a namespace. */
static struct zh_nvme_dev file_dev(void)
{
	struct zh_nvme_dev d = {
	    .backend = ZH_NVME_BACKEND_FILE,
	    .fd = 9,
	    .block_bytes = 4096,
	    .block_shift = 12,
	    .size_bytes = 1 << 20,
	    .max_transfer_bytes = UINT32_MAX,
	    .addr_mask = 4095,
	};
	return d;
}

static struct zh_nvme_req rw(enum zh_nvme_op op, uint64_t off, uint32_t len, unsigned flags)
{
	static char buf[1 << 21] __attribute__((aligned(4096)));
	struct zh_nvme_req r = {
	    .op = op,
	    .flags = flags,
	    .offset_bytes = off,
	    .len_bytes = len,
	    .addr = buf,
	    .buf_index = -1,
	    .file_index = -1,
	};
	return r;
}

Test(nvme_passthru, read_encodes_slba_and_zero_based_block_count)
{
	struct zh_nvme_dev d = ng_dev(4096, 1 << 20);
	struct zh_nvme_req r = rw(ZH_NVME_OP_READ, 8192, 16384, 0);
	struct zh__nvme_cmd c;

	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	cr_assert_eq(c.opcode, 0x02);
	cr_assert_eq(c.nsid, 1);
	cr_assert_eq(c.cdw10, 2);
	cr_assert_eq(c.cdw11, 0);
	cr_assert_eq(c.cdw12, 3);
	cr_assert_eq(c.data_len, 16384);
	cr_assert_eq(c.addr, (uint64_t)(uintptr_t)r.addr);
}

Test(nvme_passthru, write_with_fua_sets_cdw12_bit_30_and_high_lba_dword)
{
	struct zh_nvme_dev d = ng_dev(512, 1ull << 34);
	uint64_t off = ((1ull << 32) + 5) * 512;
	struct zh_nvme_req r = rw(ZH_NVME_OP_WRITE, off, 1024, ZH_NVME_IO_FUA);
	struct zh__nvme_cmd c;

	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	cr_assert_eq(c.opcode, 0x01);
	cr_assert_eq(c.cdw10, 5);
	cr_assert_eq(c.cdw11, 1);
	cr_assert_eq(c.cdw12, (1u << 30) | 1u);
	r.flags = ZH_NVME_IO_SYNC; /* a namespace has no file metadata: FUA is all of O_SYNC */
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	cr_assert_eq(c.cdw12, (1u << 30) | 1u);
	r.flags = 0;
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	cr_assert_eq(c.cdw12, 1u);
}

Test(nvme_passthru, flush_has_no_data)
{
	struct zh_nvme_dev d = ng_dev(4096, 100);
	struct zh_nvme_req r = rw(ZH_NVME_OP_FLUSH, 0, 0, 0);
	struct zh__nvme_cmd c;

	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	cr_assert_eq(c.opcode, 0x00);
	cr_assert_eq(c.data_len, 0);
	cr_assert_eq(c.nsid, 1);
}

Test(nvme_passthru, bad_requests_are_refused)
{
	struct zh_nvme_dev d = ng_dev(512, 100000);
	struct zh__nvme_cmd c;
	struct zh_nvme_req r;

	r = rw(ZH_NVME_OP_READ, 100, 512, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EINVAL, "misaligned offset");
	r = rw(ZH_NVME_OP_READ, 0, 700, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EINVAL, "misaligned length");
	r = rw(ZH_NVME_OP_READ, 0, 0, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EINVAL, "empty");
	r = rw(ZH_NVME_OP_READ, 99999 * 512, 1024, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -ERANGE, "past the end");
	r = rw(ZH_NVME_OP_READ, 0, 65537 * 512, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EINVAL, "more than 65536 blocks");
	r = rw(ZH_NVME_OP_READ, 0, 65536 * 512, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0, "exactly 65536 blocks");
	cr_assert_eq(c.cdw12, 65535);
	d.read_only = true;
	r = rw(ZH_NVME_OP_WRITE, 0, 512, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EROFS);
}

/*
 * The kernel refuses a passthrough command longer than the namespace's max_hw_sectors (a
 * QEMU controller's MDTS of 7 allows 512 KiB): prep now refuses it first. Buffers need only
 * dword alignment there (the LBA size was asked before).
 */
Test(nvme_passthru, longer_than_the_max_transfer_or_off_a_dword_is_refused)
{
	struct zh_nvme_dev d = ng_dev(4096, 100000);
	struct zh__nvme_cmd c;
	struct zh_nvme_req r;

	d.max_transfer_bytes = 512 << 10;
	r = rw(ZH_NVME_OP_READ, 0, 512 << 10, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	r = rw(ZH_NVME_OP_READ, 0, (512 << 10) + 4096, 0);
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EINVAL, "past the max transfer");
	cr_assert_eq(zh_nvme_dev_max_transfer_bytes(&d), 512 << 10);
	r = rw(ZH_NVME_OP_WRITE, 4096, 4096, 0);
	r.addr = (char *)r.addr + 4;
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0, "a dword-aligned buffer");
	cr_assert_eq(c.addr, (uint64_t)(uintptr_t)r.addr);
	r.addr = (char *)r.addr + 2;
	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), -EINVAL, "off a dword");
}

Test(nvme_passthru, mdts_counts_4k_pages)
{
	cr_assert_eq(zh__nvme_mdts_bytes(0), 0, "no limit");
	cr_assert_eq(zh__nvme_mdts_bytes(5), 128 << 10);
	cr_assert_eq(zh__nvme_mdts_bytes(7), 512 << 10);
	cr_assert_eq(zh__nvme_mdts_bytes(19), 2048u << 20);
	cr_assert_eq(zh__nvme_mdts_bytes(20), 0, "more than a length holds");
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

/* sysfs as the kernel lays it out: /sys/dev/char/M:m links to .../nvme3/ng3n2. */
Test(nvme_passthru, max_transfer_is_read_from_the_namespace_queue_in_sysfs)
{
	char root[] = "/tmp/zh-sysfs-XXXXXX";
	char path[256], link[256];
	uint32_t bytes = 0;

	cr_assert_not_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/nvme3", root);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nvme3/ng3n2", root);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(link, sizeof(link), "%s/259:7", root);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_eq(zh__nvme_sysfs_max_transfer(link, &bytes), -ENOENT, "no block device");
	snprintf(path, sizeof(path), "%s/nvme3/nvme3n2", root);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nvme3/nvme3n2/queue", root);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nvme3/nvme3n2/queue/max_hw_sectors_kb", root);
	write_text(path, "garbage\n");
	cr_assert_eq(zh__nvme_sysfs_max_transfer(link, &bytes), -EINVAL);
	write_text(path, "512\n");
	cr_assert_eq(zh__nvme_sysfs_max_transfer(link, &bytes), 0);
	cr_assert_eq(bytes, 512 << 10);
	/*
	 * 127 segments (PRPs without SGLs) hold 127 pages of 4 KiB, below the 512 KiB, and a
	 * buffer off a page boundary spans one more: 126 pages.
	 */
	snprintf(path, sizeof(path), "%s/nvme3/nvme3n2/queue/max_segments", root);
	write_text(path, "127\n");
	cr_assert_eq(zh__nvme_sysfs_max_transfer(link, &bytes), 0);
	cr_assert_eq(bytes, 126 * 4096);
	write_text(path, "1024\n");
	cr_assert_eq(zh__nvme_sysfs_max_transfer(link, &bytes), 0);
	cr_assert_eq(bytes, 512 << 10);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	cr_assert_eq(system(path), 0);
}

Test(nvme_passthru, prep_lays_a_big_sqe_with_fixed_buffer_and_file)
{
	struct zh_nvme_dev d = ng_dev(4096, 1000);
	struct zh_nvme_req r = rw(ZH_NVME_OP_WRITE, 4096, 8192, ZH_NVME_IO_FUA);
	struct io_uring_sqe sqe[2];
	const struct nvme_uring_cmd *uc = (const struct nvme_uring_cmd *)sqe[0].cmd;

	memset(sqe, 0xa5, sizeof(sqe));
	r.buf_index = 3;
	r.file_index = 2;
	cr_assert_eq(zh_nvme_dev_prep(&d, sqe, &r), 0);
	cr_assert_eq(sqe[0].opcode, IORING_OP_URING_CMD);
	cr_assert_eq(sqe[0].cmd_op, NVME_URING_CMD_IO);
	cr_assert_eq(sqe[0].fd, 2);
	cr_assert(sqe[0].flags & IOSQE_FIXED_FILE);
	cr_assert_eq(sqe[0].uring_cmd_flags, IORING_URING_CMD_FIXED);
	cr_assert_eq(sqe[0].buf_index, 3);
	cr_assert_eq(uc->opcode, 0x01);
	cr_assert_eq(uc->nsid, 1);
	cr_assert_eq(uc->cdw10, 1);
	cr_assert_eq(uc->cdw12, (1u << 30) | 1u);
	cr_assert_eq(uc->data_len, 8192);
	cr_assert_eq(uc->metadata, 0, "the 0xa5 fill must be cleared");
	cr_assert_eq(uc->timeout_ms, 0);
}

/*
 * Once fixed buffers are dropped (a kernel that refuses them), a request with a registered
 * buffer goes out with the buffer's address and no FIXED flag; a file device keeps its fixed
 * opcodes, since the drop concerns uring_cmd only.
 */
Test(nvme_passthru, dropped_fixed_buffers_send_the_address)
{
	struct zh_nvme_dev d = ng_dev(4096, 1000);
	struct zh_nvme_dev f = file_dev();
	struct zh_nvme_req r = rw(ZH_NVME_OP_READ, 4096, 8192, 0);
	struct io_uring_sqe sqe[2];
	const struct nvme_uring_cmd *uc = (const struct nvme_uring_cmd *)sqe[0].cmd;

	r.buf_index = 3;
	cr_assert(zh_nvme_dev_fixed_bufs(&d));
	zh_nvme_dev_drop_fixed_bufs(&d);
	cr_assert_not(zh_nvme_dev_fixed_bufs(&d));
	memset(sqe, 0xa5, sizeof(sqe));
	cr_assert_eq(zh_nvme_dev_prep(&d, sqe, &r), 0);
	cr_assert_eq(sqe[0].uring_cmd_flags, 0);
	cr_assert_eq(sqe[0].buf_index, 0);
	cr_assert_eq(uc->addr, (uint64_t)(uintptr_t)r.addr);
	cr_assert_eq(uc->data_len, 8192);
	zh_nvme_dev_drop_fixed_bufs(&f);
	cr_assert(zh_nvme_dev_fixed_bufs(&f), "a file has no uring_cmd to drop them from");
	cr_assert_eq(zh_nvme_dev_prep(&f, sqe, &r), 0);
	cr_assert_eq(sqe[0].opcode, IORING_OP_READ_FIXED);
}

Test(nvme_passthru, status_maps_to_errno)
{
	cr_assert_eq(zh_nvme_status_to_errno(0x0000), 0);
	cr_assert_eq(zh_nvme_status_to_errno(0x0001), -EOPNOTSUPP);
	cr_assert_eq(zh_nvme_status_to_errno(0x0002), -EINVAL);
	cr_assert_eq(zh_nvme_status_to_errno(0x0004), -EIO);
	cr_assert_eq(zh_nvme_status_to_errno(0x0007), -ECANCELED);
	cr_assert_eq(zh_nvme_status_to_errno(0x0080), -ERANGE);
	cr_assert_eq(zh_nvme_status_to_errno(0x0081), -ENOSPC);
	cr_assert_eq(zh_nvme_status_to_errno(0x0082), -EAGAIN);
	cr_assert_eq(zh_nvme_status_to_errno(0x0182), -EROFS);
	cr_assert_eq(zh_nvme_status_to_errno(0x0281), -EIO, "unrecovered read error");
	cr_assert_eq(zh_nvme_status_to_errno(0x0285), -EILSEQ);
	cr_assert_eq(zh_nvme_status_to_errno(0x0286), -EACCES);
	cr_assert_eq(zh_nvme_status_to_errno(0x4281), -EIO, "DNR bit does not change the class");
	cr_assert_eq(zh_nvme_status_to_errno(0x0371), -EIO, "path errors");
}

Test(nvme_passthru, completion_keeps_status_and_reports_bytes)
{
	struct zh_nvme_dev d = ng_dev(4096, 1000);
	uint16_t status = 0xffff;

	cr_assert_eq(zh_nvme_dev_complete(&d, 0, 8192, &status), 8192);
	cr_assert_eq(status, 0);
	cr_assert_eq(zh_nvme_dev_complete(&d, 0x0281, 8192, &status), -EIO);
	cr_assert_eq(status, 0x0281);
	cr_assert_eq(zh_nvme_dev_complete(&d, -EINTR, 8192, &status), -EINTR);
	cr_assert_eq(status, 0);
	cr_assert_eq(zh_nvme_dev_complete(&d, 0x2000, 8192, &status), 8192,
		     "More set with a zero status code is a success");
	cr_assert_eq(status, 0x2000);
	cr_assert_eq(zh_nvme_dev_complete(&d, 0x5800, 8192, &status), 8192, "CRD and DNR");
}

/* The synchronous path (superblocks) sends the ring path's command through the I/O ioctl. */
Test(nvme_passthru, the_ioctl_carries_the_encoded_command)
{
	struct zh_nvme_dev d = ng_dev(512, 1ull << 34);
	struct zh_nvme_req r = rw(ZH_NVME_OP_WRITE, (1ull << 41) + 1024, 8192, ZH_NVME_IO_FUA);
	struct nvme_passthru_cmd64 io;
	struct zh__nvme_cmd c;

	cr_assert_eq(zh__nvme_cmd_encode(&d, &r, &c), 0);
	memset(&io, 0xa5, sizeof(io));
	zh__nvme_ioctl_cmd(&c, &io);
	cr_assert_eq(io.opcode, 0x01);
	cr_assert_eq(io.nsid, 1);
	cr_assert_eq(io.cdw10, 2);
	cr_assert_eq(io.cdw11, 1);
	cr_assert_eq(io.cdw12, (1u << 30) | 15);
	cr_assert_eq(io.addr, (uint64_t)(uintptr_t)r.addr);
	cr_assert_eq(io.data_len, 8192);
	cr_assert_eq(io.flags | io.rsvd1 | io.cdw2 | io.cdw3 | io.cdw13 | io.cdw14 | io.cdw15, 0);
	cr_assert_eq(io.metadata | io.metadata_len | io.timeout_ms | io.result, 0,
		     "the 0xa5 fill must be cleared");
}

/*
 * On a passthrough device the synchronous path is the ioctl, never pread or pwrite (which a
 * generic char device refuses): on /dev/null, which takes reads and writes, the ioctl fails
 * with ENOTTY. A request the ring path refuses is refused before it.
 */
Test(nvme_passthru, sync_requests_go_through_the_ioctl)
{
	struct zh_nvme_dev d = ng_dev(4096, 1000);
	struct zh_nvme_req r = rw(ZH_NVME_OP_READ, 0, 4096, 0);
	uint16_t status = 0xffff;

	d.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	cr_assert_geq(d.fd, 0);
	cr_assert_eq(zh_nvme_dev_sync(&d, &r, &status), -ENOTTY);
	cr_assert_eq(status, 0);
	r.op = ZH_NVME_OP_WRITE;
	cr_assert_eq(zh_nvme_dev_sync(&d, &r, &status), -ENOTTY);
	r.op = ZH_NVME_OP_FLUSH;
	cr_assert_eq(zh_nvme_dev_sync(&d, &r, &status), -ENOTTY);
	r = rw(ZH_NVME_OP_READ, 1000 * 4096, 4096, 0);
	cr_assert_eq(zh_nvme_dev_sync(&d, &r, &status), -ERANGE);
	close(d.fd);
}

/*
 * The synchronous path on a file: a FUA write, a flush and a read round trip; it refuses what
 * the ring path refuses (off the grid, past the end, a write to a read-only device), and a
 * read cut short by the file's end is an error, not a partial success.
 */
Test(nvme_file, sync_requests_round_trip_and_are_checked)
{
	static uint8_t out[8192] __attribute__((aligned(4096)));
	static uint8_t in[8192] __attribute__((aligned(4096)));
	struct zh_nvme_dev_opts o = {.create_size_bytes = 1 << 20};
	struct zh_nvme_req r = rw(ZH_NVME_OP_WRITE, 65536, sizeof(out), ZH_NVME_IO_FUA);
	struct zh_nvme_dev *dev;
	uint16_t status = 0xffff;
	char path[512];

	snprintf(path, sizeof(path), "%s/nvme-sync-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	r.addr = out;
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), 0);
	cr_assert_eq(status, 0);
	r.op = ZH_NVME_OP_FLUSH;
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), 0);
	r = rw(ZH_NVME_OP_READ, 65536, sizeof(in), 0);
	r.addr = in;
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), 0);
	cr_assert_arr_eq(in, out, sizeof(in));
	r.offset_bytes = 65536 + 512;
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), -EINVAL, "off the block grid");
	r.offset_bytes = 1 << 20;
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), -ERANGE);
	cr_assert_eq(truncate(path, (1 << 20) - 4096), 0);
	r.offset_bytes = (1 << 20) - sizeof(in);
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), -EIO, "a short read");
	zh_nvme_dev_close(dev);
	o = (struct zh_nvme_dev_opts){.read_only = true};
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	r = rw(ZH_NVME_OP_WRITE, 0, 4096, 0);
	cr_assert_eq(zh_nvme_dev_sync(dev, &r, &status), -EROFS);
	zh_nvme_dev_close(dev);
	unlink(path);
}

Test(nvme_file, prep_uses_fixed_ops_dsync_for_fua_and_datasync_flush)
{
	struct zh_nvme_dev d = file_dev();
	struct zh_nvme_req r = rw(ZH_NVME_OP_WRITE, 4096, 4096, ZH_NVME_IO_FUA);
	struct io_uring_sqe sqe;
	uint16_t status;

	r.buf_index = 1;
	cr_assert_eq(zh_nvme_dev_prep(&d, &sqe, &r), 0);
	cr_assert_eq(sqe.opcode, IORING_OP_WRITE_FIXED);
	cr_assert_eq(sqe.fd, 9);
	cr_assert_eq(sqe.flags & IOSQE_FIXED_FILE, 0);
	cr_assert_eq(sqe.off, 4096);
	cr_assert_eq(sqe.len, 4096);
	cr_assert_eq(sqe.rw_flags, RWF_DSYNC);
	cr_assert_eq(sqe.buf_index, 1);
	r = rw(ZH_NVME_OP_WRITE, 4096, 4096, ZH_NVME_IO_SYNC);
	cr_assert_eq(zh_nvme_dev_prep(&d, &sqe, &r), 0);
	cr_assert_eq(sqe.rw_flags, RWF_SYNC, "O_SYNC's per-write form");
	r = rw(ZH_NVME_OP_READ, 0, 4096, 0);
	cr_assert_eq(zh_nvme_dev_prep(&d, &sqe, &r), 0);
	cr_assert_eq(sqe.opcode, IORING_OP_READ);
	cr_assert_eq(sqe.rw_flags, 0);
	r = rw(ZH_NVME_OP_FLUSH, 0, 0, 0);
	cr_assert_eq(zh_nvme_dev_prep(&d, &sqe, &r), 0);
	cr_assert_eq(sqe.opcode, IORING_OP_FSYNC);
	cr_assert_eq(sqe.fsync_flags, IORING_FSYNC_DATASYNC);
	cr_assert_eq(zh_nvme_dev_complete(&d, 100, 4096, &status), 100, "short I/O passes through");
}

Test(nvme_file, open_refuses_missing_path_and_reports_geometry)
{
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.create_size_bytes = 1 << 20};
	char path[512];

	cr_assert_eq(zh_nvme_dev_open("/nonexistent/dir/x", NULL, &dev), -ENOENT);
	snprintf(path, sizeof(path), "%s/nvme-open-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_backend(dev), ZH_NVME_BACKEND_FILE);
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), 1 << 20);
	cr_assert_eq(zh_nvme_dev_block_bytes(dev), 4096);
	cr_assert_not(zh_nvme_dev_needs_big_sqe(dev));
	zh_nvme_dev_close(dev);
	unlink(path);
}

/* fio's direct=0: through the page cache any byte range goes, so the block is one byte. */
Test(nvme_file, buffered_file_takes_any_byte_range)
{
	static char buf[4096];
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.create_size_bytes = 1 << 20, .buffered = true};
	struct zh_nvme_req req = {
	    .op = ZH_NVME_OP_WRITE, .addr = buf + 3, .len_bytes = 2300, .offset_bytes = 2300};
	char path[512];

	snprintf(path, sizeof(path), "%s/nvme-buffered-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_block_bytes(dev), 1);
	cr_assert_eq(zh__nvme_req_check(dev, &req), 0);
	req.offset_bytes = (1 << 20) - 2299;
	cr_assert_eq(zh__nvme_req_check(dev, &req), -ERANGE, "still bounded by the file's size");
	zh_nvme_dev_close(dev);
	o.buffered = false;
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	req.offset_bytes = 2300;
	cr_assert_eq(zh__nvme_req_check(dev, &req), -EINVAL, "O_DIRECT needs 4 KiB alignment");
	zh_nvme_dev_close(dev);
	unlink(path);
}

/* fill_device's files: addressed up to the size asked for, grown only by what is written. */
Test(nvme_file, a_growing_file_is_created_empty_and_addressed_to_its_limit)
{
	static char buf[4096] __attribute__((aligned(4096)));
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.grow_size_bytes = 1 << 20};
	struct zh_nvme_req req = {.op = ZH_NVME_OP_WRITE,
				  .addr = buf,
				  .len_bytes = 4096,
				  .offset_bytes = (1 << 20) - 4096};
	struct stat st;
	char path[512];

	snprintf(path, sizeof(path), "%s/nvme-grow-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	unlink(path);
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 0, "created empty, not extended");
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), 1 << 20);
	cr_assert_eq(zh__nvme_req_check(dev, &req), 0, "a write up to the limit goes");
	req.offset_bytes = 1 << 20;
	cr_assert_eq(zh__nvme_req_check(dev, &req), -ERANGE, "the limit bounds it");
	zh_nvme_dev_close(dev);
	/* A file already longer than the limit keeps its own size. */
	cr_assert_eq(truncate(path, 2 << 20), 0);
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), 2 << 20);
	zh_nvme_dev_close(dev);
	unlink(path);
}

/* max_transfer_bytes caps one command below the device's limit, on any backend. */
Test(nvme_file, a_max_transfer_cap_refuses_longer_requests)
{
	static char buf[65536] __attribute__((aligned(4096)));
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.create_size_bytes = 1 << 20, .max_transfer_bytes = 32 << 10};
	struct zh_nvme_req req = {.op = ZH_NVME_OP_READ, .addr = buf, .len_bytes = 32 << 10};
	char path[512];

	snprintf(path, sizeof(path), "%s/nvme-cap-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	unlink(path);
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_max_transfer_bytes(dev), 32 << 10);
	cr_assert_eq(zh__nvme_req_check(dev, &req), 0);
	req.len_bytes = 36 << 10;
	cr_assert_eq(zh__nvme_req_check(dev, &req), -EINVAL);
	zh_nvme_dev_close(dev);
	o.max_transfer_bytes = 0;
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_max_transfer_bytes(dev), UINT32_MAX, "a file has no limit");
	cr_assert_eq(zh__nvme_req_check(dev, &req), 0);
	zh_nvme_dev_close(dev);
	unlink(path);
}

/* A file whose size is not a whole number of blocks: its tail is not addressed (O_DIRECT). */
Test(nvme_file, a_partial_last_block_is_not_addressed)
{
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {0};
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/nvme-tail-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 3 * 4096 + 100), 0);
	close(fd);
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), 3 * 4096);
	zh_nvme_dev_close(dev);
	o.buffered = true;
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), 3 * 4096 + 100, "buffered: every byte");
	zh_nvme_dev_close(dev);
	unlink(path);
}

/* /dev/zero and /dev/null: files of no size, buffered (they refuse O_DIRECT). */
Test(nvme_file, a_character_device_has_no_size)
{
	static char buf[4096];
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.buffered = true};
	struct zh_nvme_req req = {
	    .op = ZH_NVME_OP_READ, .addr = buf, .len_bytes = 4096, .offset_bytes = 1ull << 50};

	cr_assert_eq(zh_nvme_dev_open("/dev/zero", &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_backend(dev), ZH_NVME_BACKEND_FILE);
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), ZH_NVME_SIZE_UNKNOWN);
	cr_assert_eq(zh_nvme_dev_block_bytes(dev), 1);
	cr_assert_eq(zh__nvme_req_check(dev, &req), 0, "any offset");
	zh_nvme_dev_close(dev);
	o.buffered = false;
	cr_assert_eq(zh_nvme_dev_open("/dev/null", &o, &dev), -EINVAL);
}

/* True when \p path opens: a device node on a file system mounted nodev does not. */
static bool node_opens(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * A character device takes the passthrough backend by what it is (sysfs class nvme-generic),
 * not by its name: a node called ng0n1 that is /dev/null opens as a FILE device. Root only
 * (mknod).
 */
Test(nvme_file, a_device_named_like_a_namespace_is_not_one)
{
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.buffered = true};
	struct stat null_st;
	char dir[512];
	char path[600];

	if (geteuid() != 0)
		cr_skip_test("mknod needs root");
	snprintf(dir, sizeof(dir), "%s/nvme-ngname-%d", ZH_TEST_SCRATCH_DIR, (int)getpid());
	snprintf(path, sizeof(path), "%s/ng0n1", dir);
	cr_assert_eq(stat("/dev/null", &null_st), 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	if (mknod(path, S_IFCHR | 0600, null_st.st_rdev) != 0) {
		rmdir(dir);
		cr_skip_test("mknod refused here: %s", strerror(errno));
	}
	if (!node_opens(path)) {
		unlink(path);
		rmdir(dir);
		cr_skip_test("device nodes do not open here (nodev)");
	}
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_eq(zh_nvme_dev_backend(dev), ZH_NVME_BACKEND_FILE);
	cr_assert_eq(zh_nvme_dev_size_bytes(dev), ZH_NVME_SIZE_UNKNOWN);
	zh_nvme_dev_close(dev);
	unlink(path);
	rmdir(dir);
}

/* The store never reads a backing file's atime: its owner opens it O_NOATIME. */
Test(nvme_file, owner_opens_without_atime)
{
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.create_size_bytes = 1 << 20};
	char path[512];

	snprintf(path, sizeof(path), "%s/nvme-noatime-%d.img", ZH_TEST_SCRATCH_DIR, (int)getpid());
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0);
	cr_assert_neq(fcntl(zh_nvme_dev_fd(dev), F_GETFL) & O_NOATIME, 0);
	zh_nvme_dev_close(dev);
	unlink(path);
}

/*
 * Anyone else may not ask for O_NOATIME (EPERM): the device still opens, without it. Runs as
 * root only, which can drop to another user for the test's own process.
 */
Test(nvme_file, non_owner_opens_with_atime)
{
	struct zh_nvme_dev *dev;
	char path[512];
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root to act as another user");
	/*
	 * Opened by a name relative to /tmp, which everyone may search: the other user need not
	 * be able to reach it from / (a chroot's root may be 0700).
	 */
	cr_assert_eq(chdir("/tmp"), 0);
	snprintf(path, sizeof(path), "zh-nvme-atime-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	cr_assert_eq(fchmod(fd, 0666), 0);
	close(fd);
	cr_assert_eq(setresuid(65534, 65534, 0), 0, "%s", strerror(errno));
	cr_assert_eq(zh_nvme_dev_open(path, NULL, &dev), 0, "%s", strerror(errno));
	cr_assert_eq(fcntl(zh_nvme_dev_fd(dev), F_GETFL) & O_NOATIME, 0);
	zh_nvme_dev_close(dev);
	cr_assert_eq(setresuid(0, 0, 0), 0);
	unlink(path);
}

/* The opcode a real device on \p dir gives a write and a read from registered buffer 1. */
static void prep_on(const char *dir, uint8_t *write_op, uint8_t *read_op)
{
	struct zh_nvme_dev *dev;
	struct zh_nvme_dev_opts o = {.create_size_bytes = 1 << 20};
	struct zh_nvme_req r = rw(ZH_NVME_OP_WRITE, 0, 4096, 0);
	struct io_uring_sqe sqe;
	char path[512];

	snprintf(path, sizeof(path), "%s/nvme-prep-%d.img", dir, (int)getpid());
	cr_assert_eq(zh_nvme_dev_open(path, &o, &dev), 0, "%s", path);
	r.buf_index = 1;
	cr_assert_eq(zh_nvme_dev_prep(dev, &sqe, &r), 0);
	*write_op = sqe.opcode;
	r.op = ZH_NVME_OP_READ;
	cr_assert_eq(zh_nvme_dev_prep(dev, &sqe, &r), 0);
	*read_op = sqe.opcode;
	zh_nvme_dev_close(dev);
	unlink(path);
}

/*
 * Registered buffers take the fixed opcodes on every file system, tmpfs included: from
 * session 26 to 29 tmpfs writes took the plain opcode, which a later 6.18 kernel made 11-15%
 * slower than WRITE_FIXED (docs/benchmarks.md); this holds the choice in place.
 */
Test(nvme_file, registered_buffers_take_the_fixed_opcodes)
{
	struct statfs sfs;
	uint8_t w, r;

	prep_on(ZH_TEST_SCRATCH_DIR, &w, &r);
	cr_assert_eq(w, IORING_OP_WRITE_FIXED);
	cr_assert_eq(r, IORING_OP_READ_FIXED);
	if (statfs("/dev/shm", &sfs) != 0 || sfs.f_type != TMPFS_MAGIC)
		cr_skip_test("/dev/shm is not tmpfs here");
	prep_on("/dev/shm", &w, &r);
	cr_assert_eq(w, IORING_OP_WRITE_FIXED);
	cr_assert_eq(r, IORING_OP_READ_FIXED);
}
