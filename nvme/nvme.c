/* SPDX-License-Identifier: MIT */
/*
 * nvme: device open/close, geometry, and the FILE backend (regular file or block device opened
 * O_DIRECT). Request validation is shared with the passthrough backend in nvme_passthru.c.
 */
#include "nvme/nvme_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * O_DIRECT alignment for regular files. 4 KiB satisfies every file system and page cache we
 * meet (512 would do on some, but misaligned direct I/O fails with EINVAL, not slowly).
 */
#define ZH_NVME_FILE_ALIGN_BYTES 4096u

/*
 * A passthrough namespace is a character device of sysfs class nvme-generic, whatever the path
 * that names it (a symlink, a renamed node). Without sysfs the kernel's own name, ngXnY, is
 * the only clue: the path is resolved first so that a link to one still counts.
 */
static bool is_passthru_dev(const char *path, const struct stat *st)
{
	char link[PATH_MAX];
	char sys[64];
	char *real;
	const char *base;
	bool named_ng;
	ssize_t n;

	if (!S_ISCHR(st->st_mode))
		return false;
	snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/subsystem", major(st->st_rdev),
		 minor(st->st_rdev));
	n = readlink(sys, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		base = strrchr(link, '/');
		return strcmp(base != NULL ? base + 1 : link, "nvme-generic") == 0;
	}
	real = realpath(path, NULL);
	if (real == NULL)
		return false;
	base = strrchr(real, '/');
	named_ng = strncmp(base != NULL ? base + 1 : real, "ng", 2) == 0;
	free(real);
	return named_ng;
}

static int file_create(const char *path, const struct zh_nvme_dev_opts *opts)
{
	int fd;
	struct stat st;
	int rc = 0;

	if (opts->create_size_bytes == 0 && opts->grow_size_bytes == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < opts->create_size_bytes &&
		 ftruncate(fd, (off_t)opts->create_size_bytes) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int file_geometry(struct zh_nvme_dev *dev, const struct stat *st)
{
	if (S_ISREG(st->st_mode)) {
		dev->size_bytes = (uint64_t)st->st_size;
		dev->block_bytes = ZH_NVME_FILE_ALIGN_BYTES;
		return 0;
	}
	if (S_ISBLK(st->st_mode)) {
		int lbs = 0;

		if (ioctl(dev->fd, BLKGETSIZE64, &dev->size_bytes) < 0)
			return -errno;
		if (ioctl(dev->fd, BLKSSZGET, &lbs) < 0)
			return -errno;
		if (lbs <= 0 || !zh_is_pow2_u64((unsigned)lbs))
			return -EINVAL;
		dev->block_bytes = (uint32_t)lbs;
		return 0;
	}
	/* A character device other than a passthrough namespace: /dev/zero, /dev/null. */
	if (S_ISCHR(st->st_mode)) {
		dev->size_bytes = ZH_NVME_SIZE_UNKNOWN;
		dev->block_bytes = ZH_NVME_FILE_ALIGN_BYTES;
		return 0;
	}
	return -EINVAL;
}

/*
 * A backing file's access time means nothing to the store, and keeping it costs every read a
 * clock read and an atime check: 2.3% of the io-wq worker's samples per 4 KiB read on tmpfs,
 * where that worker is the bottleneck (touch_atime, atime_needs_update, current_time). Only
 * the file's owner or CAP_FOWNER may ask for O_NOATIME; anyone else opens without it.
 */
static int open_noatime(const char *path, int flags)
{
	int fd = open(path, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	return fd;
}

static int file_open(struct zh_nvme_dev *dev, const struct zh_nvme_dev_opts *opts)
{
	int flags = (opts->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int rc;

	if (!opts->buffered)
		flags |= O_DIRECT;
	dev->fd = open_noatime(dev->path, flags);
	if (dev->fd < 0)
		return -errno;
	if (fstat(dev->fd, &st) < 0) {
		rc = -errno;
		goto err_close;
	}
	rc = file_geometry(dev, &st);
	if (rc < 0)
		goto err_close;
	if (S_ISREG(st.st_mode) && opts->grow_size_bytes > dev->size_bytes)
		dev->size_bytes = opts->grow_size_bytes;
	if (opts->buffered)
		dev->block_bytes = 1;
	/* A tail shorter than a block cannot be read or written whole: it is not addressed. */
	if (dev->size_bytes != ZH_NVME_SIZE_UNKNOWN)
		dev->size_bytes -= dev->size_bytes % dev->block_bytes;
	dev->backend = ZH_NVME_BACKEND_FILE;
	dev->max_transfer_bytes = UINT32_MAX;
	return 0;

err_close:
	close(dev->fd);
	dev->fd = -1;
	return rc;
}

int zh_nvme_dev_open(const char *path, const struct zh_nvme_dev_opts *opts,
		     struct zh_nvme_dev **out)
{
	static const struct zh_nvme_dev_opts default_opts;
	struct zh_nvme_dev *dev;
	struct stat st;
	int rc;

	ZH_ASSERT(path != NULL);
	ZH_ASSERT(out != NULL);
	if (opts == NULL)
		opts = &default_opts;
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	rc = file_create(path, opts);
	if (rc < 0)
		return rc;
	if (stat(path, &st) < 0)
		return -errno;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	snprintf(dev->path, sizeof(dev->path), "%s", path);
	dev->read_only = opts->read_only;
	dev->fd = -1;
	rc = is_passthru_dev(path, &st) ? zh__nvme_passthru_probe(dev) : file_open(dev, opts);
	if (rc < 0) {
		free(dev);
		return rc;
	}
	dev->block_shift = (uint32_t)__builtin_ctz(dev->block_bytes);
	/*
	 * A passthrough command's buffer needs only dword alignment (NVMe PRPs and SGLs, and the
	 * kernel's dma_alignment for NVMe); O_DIRECT on a file needs the block's.
	 */
	dev->addr_mask = dev->backend == ZH_NVME_BACKEND_PASSTHRU ? 3u : dev->block_bytes - 1;
	if (opts->max_transfer_bytes != 0 && opts->max_transfer_bytes < dev->max_transfer_bytes)
		dev->max_transfer_bytes = opts->max_transfer_bytes;
	*out = dev;
	return 0;
}

void zh_nvme_dev_close(struct zh_nvme_dev *dev)
{
	if (dev == NULL)
		return;
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev);
}

enum zh_nvme_backend zh_nvme_dev_backend(const struct zh_nvme_dev *dev)
{
	return dev->backend;
}

const char *zh_nvme_dev_path(const struct zh_nvme_dev *dev)
{
	return dev->path;
}

int zh_nvme_dev_fd(const struct zh_nvme_dev *dev)
{
	return dev->fd;
}

void zh_nvme_dev_set_faults(struct zh_nvme_dev *dev, struct zh_nvme_faults *faults)
{
	if (faults != NULL) {
		faults->delay_ts.tv_sec = (long long)(faults->delay_ns / 1000000000ull);
		faults->delay_ts.tv_nsec = (long long)(faults->delay_ns % 1000000000ull);
	}
	dev->faults = faults;
}

struct zh_nvme_faults *zh_nvme_dev_faults(const struct zh_nvme_dev *dev)
{
	return dev->faults;
}

uint32_t zh_nvme_dev_block_bytes(const struct zh_nvme_dev *dev)
{
	return dev->block_bytes;
}

uint64_t zh_nvme_dev_size_bytes(const struct zh_nvme_dev *dev)
{
	return dev->size_bytes;
}

uint32_t zh_nvme_dev_max_transfer_bytes(const struct zh_nvme_dev *dev)
{
	return dev->max_transfer_bytes;
}

bool zh_nvme_dev_needs_big_sqe(const struct zh_nvme_dev *dev)
{
	return dev->backend == ZH_NVME_BACKEND_PASSTHRU;
}

bool zh_nvme_dev_fixed_bufs(const struct zh_nvme_dev *dev)
{
	return !atomic_load_explicit(&dev->fixed_bufs_dropped, memory_order_relaxed);
}

void zh_nvme_dev_drop_fixed_bufs(struct zh_nvme_dev *dev)
{
	if (dev->backend == ZH_NVME_BACKEND_PASSTHRU)
		atomic_store_explicit(&dev->fixed_bufs_dropped, true, memory_order_relaxed);
}

int zh__nvme_req_check(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req)
{
	uint64_t mask = dev->block_bytes - 1;

	if (req->op == ZH_NVME_OP_FLUSH)
		return dev->read_only ? -EROFS : 0;
	if (req->op == ZH_NVME_OP_WRITE && dev->read_only)
		return -EROFS;
	/* Empty (len - 1 wraps) or longer than one command takes; or off the block grid. */
	if (req->len_bytes - 1u >= dev->max_transfer_bytes ||
	    (((uint64_t)req->len_bytes | req->offset_bytes) & mask) != 0)
		return -EINVAL;
	if (((uintptr_t)req->addr & dev->addr_mask) != 0)
		return -EINVAL;
	if (req->offset_bytes > dev->size_bytes ||
	    dev->size_bytes - req->offset_bytes < req->len_bytes)
		return -ERANGE;
	return 0;
}

void zh__nvme_sqe_set_target(struct io_uring_sqe *sqe, const struct zh_nvme_dev *dev,
			     const struct zh_nvme_req *req)
{
	if (req->file_index >= 0) {
		sqe->fd = req->file_index;
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		sqe->fd = dev->fd;
	}
}

/* On an O_DIRECT block device the kernel turns RWF_DSYNC into an FUA write. */
static int file_rw_flags(const struct zh_nvme_req *req)
{
	return (req->flags & ZH_NVME_IO_SYNC) != 0  ? RWF_SYNC
	       : (req->flags & ZH_NVME_IO_FUA) != 0 ? RWF_DSYNC
						    : 0;
}

static void file_prep_rw(struct io_uring_sqe *sqe, const struct zh_nvme_req *req)
{
	bool write = req->op == ZH_NVME_OP_WRITE;

	if (req->buf_index >= 0) {
		sqe->opcode = write ? IORING_OP_WRITE_FIXED : IORING_OP_READ_FIXED;
		sqe->buf_index = (uint16_t)req->buf_index;
	} else {
		sqe->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	}
	sqe->off = req->offset_bytes;
	sqe->addr = (uint64_t)(uintptr_t)req->addr;
	sqe->len = req->len_bytes;
	sqe->rw_flags = file_rw_flags(req);
}

int zh_nvme_dev_prep(const struct zh_nvme_dev *dev, struct io_uring_sqe *sqe,
		     const struct zh_nvme_req *req)
{
	int rc;

	/* The command's encoding checks the request (zh__nvme_cmd_encode()). */
	if (dev->backend == ZH_NVME_BACKEND_PASSTHRU)
		return zh__nvme_passthru_prep(dev, sqe, req);
	rc = zh__nvme_req_check(dev, req);
	if (ZH_UNLIKELY(rc < 0))
		return rc;
	memset(sqe, 0, sizeof(*sqe));
	zh__nvme_sqe_set_target(sqe, dev, req);
	if (req->op == ZH_NVME_OP_FLUSH) {
		sqe->opcode = IORING_OP_FSYNC;
		sqe->fsync_flags = IORING_FSYNC_DATASYNC;
		return 0;
	}
	file_prep_rw(sqe, req);
	return 0;
}

static int file_sync(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req)
{
	struct iovec iov = {.iov_base = req->addr, .iov_len = req->len_bytes};
	ssize_t n;

	if (req->op == ZH_NVME_OP_FLUSH)
		return fdatasync(dev->fd) < 0 ? -errno : 0;
	if (req->op == ZH_NVME_OP_READ)
		n = preadv2(dev->fd, &iov, 1, (off_t)req->offset_bytes, 0);
	else
		n = pwritev2(dev->fd, &iov, 1, (off_t)req->offset_bytes, file_rw_flags(req));
	if (n < 0)
		return -errno;
	return (size_t)n == req->len_bytes ? 0 : -EIO;
}

int zh_nvme_dev_sync(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req, uint16_t *status)
{
	int rc;

	*status = 0;
	/* As in zh_nvme_dev_prep(): the command's encoding checks the request. */
	if (dev->backend == ZH_NVME_BACKEND_PASSTHRU)
		return zh__nvme_passthru_sync(dev, req, status);
	rc = zh__nvme_req_check(dev, req);
	return rc < 0 ? rc : file_sync(dev, req);
}

int zh_nvme_dev_complete(const struct zh_nvme_dev *dev, int32_t cqe_res, uint32_t len_bytes,
			 uint16_t *status)
{
	*status = 0;
	if (dev->backend == ZH_NVME_BACKEND_FILE)
		return cqe_res;
	/* uring_cmd: negative errno from the kernel, positive NVMe status, 0 on success. */
	if (cqe_res < 0)
		return cqe_res;
	if (cqe_res > 0) {
		int rc = zh_nvme_status_to_errno((uint16_t)cqe_res);

		*status = (uint16_t)cqe_res;
		/* Only CRD, More or DNR set, with a zero status code: the command succeeded. */
		if (rc < 0)
			return rc;
	}
	return (int)len_bytes;
}
