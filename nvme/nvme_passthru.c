/* SPDX-License-Identifier: MIT */
/*
 * nvme passthrough backend: NVMe generic char devices (/dev/ngXnY) driven with
 * IORING_OP_URING_CMD. libnvme (its only home) answers the namespace id and identify; the I/O
 * commands are laid by hand into the 80-byte command area of a 128-byte SQE, and completion
 * statuses are mapped to errno values with the raw status kept for the caller.
 */
#include "nvme/nvme_internal.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libnvme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static_assert(sizeof(struct nvme_uring_cmd) <= 80, "the command must fit a big SQE's cmd area");
static_assert(sizeof(struct io_uring_sqe) == 64, "io_uring SQE layout");

/* Logical block format in use: FLBAS bits 0-3, extended by bits 5-6 past 16 formats. */
static unsigned ns_format_index(const struct nvme_id_ns *ns)
{
	return (ns->flbas & 0x0fu) | (((unsigned)ns->flbas & 0x60u) >> 1);
}

static int ns_geometry(struct zh_nvme_dev *dev, const struct nvme_id_ns *ns)
{
	unsigned idx = ns_format_index(ns);
	unsigned ds;

	if (idx > ns->nlbaf || idx >= ZH_ARRAY_SIZE(ns->lbaf))
		return -EINVAL;
	ds = ns->lbaf[idx].ds;
	/* 512 B to 64 KiB logical blocks; metadata-carrying formats are not supported here. */
	if (ds < 9 || ds > 16 || le16toh(ns->lbaf[idx].ms) != 0)
		return -EINVAL;
	dev->block_bytes = 1u << ds;
	dev->size_bytes = le64toh(ns->nsze) << ds;
	return 0;
}

/* One number from the file \p queue_dir/\p name. \return 0, -errno, -EINVAL. */
static int queue_value(const char *queue_dir, const char *name, unsigned long long *out)
{
	char path[PATH_MAX];
	FILE *f;
	int n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", queue_dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	n = fscanf(f, "%llu", out);
	fclose(f);
	return n == 1 && *out > 0 ? 0 : -EINVAL;
}

int zh__nvme_sysfs_max_transfer(const char *ng_dir, uint32_t *bytes)
{
	char queue[PATH_MAX];
	char *real = realpath(ng_dir, NULL);
	const char *name;
	unsigned long long kb, segments, limit;
	int n;

	if (real == NULL)
		return -errno;
	name = strrchr(real, '/');
	name = name != NULL ? name + 1 : real;
	n = strncmp(name, "ng", 2) != 0
		? -1
		: snprintf(queue, sizeof(queue), "%s/../nvme%s/queue", real, name + 2);
	free(real);
	if (n < 0 || (size_t)n >= sizeof(queue))
		return -ENOENT;
	n = queue_value(queue, "max_hw_sectors_kb", &kb);
	if (n < 0)
		return n;
	limit = kb > UINT32_MAX / 1024 ? UINT32_MAX : kb * 1024;
	/*
	 * A buffer that is not physically contiguous takes a segment per 4 KiB page (NVMe PRPs),
	 * and the queue takes at most max_segments of them (127 on PCI without SGLs): a command
	 * within max_hw_sectors_kb can still be refused. Counted as if no two pages touched, and
	 * one page short: a passthrough buffer need only be dword aligned, and one that does not
	 * start on a page spans a page more (127 pages from offset 512 failed with EINVAL on
	 * QEMU's NVMe, tests/qemu).
	 */
	if (queue_value(queue, "max_segments", &segments) == 0 && segments > 1 &&
	    (segments - 1) * 4096 < limit)
		limit = (segments - 1) * 4096;
	*bytes = (uint32_t)limit;
	return 0;
}

uint32_t zh__nvme_mdts_bytes(uint8_t mdts)
{
	/* 2^mdts pages of 4 KiB; from 2^20 pages (4 GiB) on, more than a length can say. */
	if (mdts == 0 || mdts >= 20)
		return 0;
	return 4096u << mdts;
}

/*
 * The most one command may carry: what the kernel takes for the namespace (sysfs), else what
 * the controller says (MDTS), and never more blocks than the 16-bit count holds. A longer
 * request was refused by the kernel with -EINVAL when it ran; now prep refuses it, and the
 * planner names the limit before a job starts.
 */
static uint32_t passthru_max_transfer(const struct zh_nvme_dev *dev)
{
	uint64_t limit = (uint64_t)ZH_NVME_MAX_BLOCKS_PER_CMD * dev->block_bytes;
	struct nvme_id_ctrl ctrl;
	uint32_t found = 0;
	struct stat st;
	char dir[64];

	if (fstat(dev->fd, &st) == 0) {
		snprintf(dir, sizeof(dir), "/sys/dev/char/%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
		if (zh__nvme_sysfs_max_transfer(dir, &found) < 0)
			found = 0;
	}
	if (found == 0 && nvme_identify_ctrl(dev->fd, &ctrl) == 0)
		found = zh__nvme_mdts_bytes(ctrl.mdts);
	if (found != 0 && found < limit)
		limit = found;
	return limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit;
}

int zh__nvme_passthru_probe(struct zh_nvme_dev *dev)
{
	struct nvme_id_ns ns;
	int rc;

	dev->fd = open(dev->path, (dev->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (dev->fd < 0)
		return -errno;
	if (nvme_get_nsid(dev->fd, &dev->nsid) < 0) {
		rc = -errno;
		goto err_close;
	}
	rc = nvme_identify_ns(dev->fd, dev->nsid, &ns);
	if (rc != 0) {
		/* libnvme: -1 with errno, or a positive NVMe status. */
		rc = rc < 0 ? -errno : zh_nvme_status_to_errno((uint16_t)rc);
		goto err_close;
	}
	rc = ns_geometry(dev, &ns);
	if (rc < 0)
		goto err_close;
	dev->max_transfer_bytes = passthru_max_transfer(dev);
	dev->backend = ZH_NVME_BACKEND_PASSTHRU;
	return 0;

err_close:
	close(dev->fd);
	dev->fd = -1;
	return rc;
}

int zh__nvme_cmd_encode(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req,
			struct zh__nvme_cmd *cmd)
{
	uint64_t slba;
	uint32_t nlb;
	int rc = zh__nvme_req_check(dev, req);

	if (rc < 0)
		return rc;
	memset(cmd, 0, sizeof(*cmd));
	cmd->nsid = dev->nsid;
	if (req->op == ZH_NVME_OP_FLUSH) {
		cmd->opcode = ZH_NVME_CMD_FLUSH;
		return 0;
	}
	nlb = req->len_bytes >> dev->block_shift;
	if (nlb > ZH_NVME_MAX_BLOCKS_PER_CMD)
		return -EINVAL;
	slba = req->offset_bytes >> dev->block_shift;
	cmd->opcode = req->op == ZH_NVME_OP_WRITE ? ZH_NVME_CMD_WRITE : ZH_NVME_CMD_READ;
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
	cmd->cdw12 = nlb - 1;
	if (req->op == ZH_NVME_OP_WRITE && (req->flags & (ZH_NVME_IO_FUA | ZH_NVME_IO_SYNC)) != 0)
		cmd->cdw12 |= ZH_NVME_CDW12_FUA;
	cmd->addr = (uint64_t)(uintptr_t)req->addr;
	cmd->data_len = req->len_bytes;
	return 0;
}

int zh__nvme_passthru_prep(const struct zh_nvme_dev *dev, struct io_uring_sqe *sqe,
			   const struct zh_nvme_req *req)
{
	struct zh__nvme_cmd cmd;
	struct nvme_uring_cmd *uc;
	int rc = zh__nvme_cmd_encode(dev, req, &cmd);

	if (rc < 0)
		return rc;
	/* A big SQE: 64 bytes of header plus 64 more that hold the command's tail. */
	memset(sqe, 0, 2 * sizeof(*sqe));
	zh__nvme_sqe_set_target(sqe, dev, req);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->cmd_op = NVME_URING_CMD_IO;
	if (req->buf_index >= 0 && req->op != ZH_NVME_OP_FLUSH && zh_nvme_dev_fixed_bufs(dev)) {
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = (uint16_t)req->buf_index;
	}
	uc = (struct nvme_uring_cmd *)sqe->cmd;
	uc->opcode = cmd.opcode;
	uc->nsid = cmd.nsid;
	uc->cdw10 = cmd.cdw10;
	uc->cdw11 = cmd.cdw11;
	uc->cdw12 = cmd.cdw12;
	uc->addr = cmd.addr;
	uc->data_len = cmd.data_len;
	return 0;
}

void zh__nvme_ioctl_cmd(const struct zh__nvme_cmd *cmd, struct nvme_passthru_cmd64 *out)
{
	memset(out, 0, sizeof(*out));
	out->opcode = cmd->opcode;
	out->nsid = cmd->nsid;
	out->cdw10 = cmd->cdw10;
	out->cdw11 = cmd->cdw11;
	out->cdw12 = cmd->cdw12;
	out->addr = cmd->addr;
	out->data_len = cmd->data_len;
}

int zh__nvme_passthru_sync(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req,
			   uint16_t *status)
{
	struct zh__nvme_cmd cmd;
	struct nvme_passthru_cmd64 io;
	int rc = zh__nvme_cmd_encode(dev, req, &cmd);

	if (rc < 0)
		return rc;
	zh__nvme_ioctl_cmd(&cmd, &io);
	/* -1 with errno when no completion came back, else the completion's status field. */
	rc = nvme_submit_io_passthru64(dev->fd, &io, NULL);
	if (rc < 0)
		return -errno;
	*status = (uint16_t)rc;
	return zh_nvme_status_to_errno(*status);
}

static int generic_status_to_errno(uint8_t sc)
{
	switch (sc) {
	case 0x01: /* invalid command opcode */
		return -EOPNOTSUPP;
	case 0x02: /* invalid field in command */
	case 0x0b: /* invalid namespace or format */
		return -EINVAL;
	case 0x07: /* command abort requested */
		return -ECANCELED;
	case 0x80: /* LBA out of range */
		return -ERANGE;
	case 0x81: /* capacity exceeded */
		return -ENOSPC;
	case 0x82: /* namespace not ready */
		return -EAGAIN;
	default: /* data transfer error, internal error, power loss abort... */
		return -EIO;
	}
}

static int media_status_to_errno(uint8_t sc)
{
	switch (sc) {
	case 0x85: /* compare failure */
		return -EILSEQ;
	case 0x86: /* access denied */
		return -EACCES;
	case 0x87: /* deallocated or unwritten block */
		return -ENODATA;
	default: /* write fault, unrecovered read error, end-to-end protection errors */
		return -EIO;
	}
}

int zh_nvme_status_to_errno(uint16_t status)
{
	uint8_t sc = (uint8_t)(status & 0xffu);
	unsigned sct = (status >> 8) & 0x7u;

	if (sc == 0 && sct == 0)
		return 0;
	switch (sct) {
	case 0: /* generic command status */
		return generic_status_to_errno(sc);
	case 1: /* command specific status; 0x82: write to a read-only range */
		return sc == 0x82 ? -EROFS : -EINVAL;
	case 2: /* media and data integrity errors */
		return media_status_to_errno(sc);
	default: /* path related, vendor specific */
		return -EIO;
	}
}
