/* SPDX-License-Identifier: MIT */
/*
 * nvme: the block device layer. One interface, two backends:
 *   - FILE: a regular file or block device opened O_DIRECT (the embedded default), read and
 *     written with IORING_OP_{READ,WRITE}[_FIXED]; flush is fdatasync, FUA is RWF_DSYNC. Also
 *     a character device such as /dev/zero or /dev/null (buffered: they refuse O_DIRECT), of
 *     no size, for measuring what sits above the device.
 *   - PASSTHRU: an NVMe generic char device /dev/ngXnY driven by IORING_OP_URING_CMD with
 *     NVMe read/write/flush commands (needs SQE128/CQE32 rings); geometry from libnvme identify.
 * This module prepares SQEs and interprets CQE results; it owns no ring (the engine's reactors
 * do). It speaks the kernel's io_uring UAPI only, so it does not depend on liburing.
 */
#ifndef ZH_NVME_H
#define ZH_NVME_H

#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "numa/zh_platform.h"

enum zh_nvme_backend {
	ZH_NVME_BACKEND_FILE,
	ZH_NVME_BACKEND_PASSTHRU,
};

struct zh_nvme_dev_opts {
	bool buffered;	/**< FILE only: skip O_DIRECT (fio's direct=0); no alignment then. */
	bool read_only; /**< Open O_RDONLY. */
	/** FILE only: create (or extend) a regular file to this size. */
	uint64_t create_size_bytes;
	/**
	 * FILE only: a regular file (created empty if missing) may be written up to this size,
	 * past its end, and grows with those writes: zhtp-bench's fill_device, where the
	 * filesystem runs out before the file reaches it. Reads past the file's end come back
	 * short.
	 */
	uint64_t grow_size_bytes;
	/**
	 * The longest request to take in one command, below the device's own limit (as a block
	 * queue's max_sectors_kb sits below max_hw_sectors_kb); 0: the device's.
	 */
	uint32_t max_transfer_bytes;
};

struct zh_nvme_dev;

/**
 * Open a device. A path naming an NVMe generic character device (sysfs class nvme-generic, the
 * kernel's /dev/ngXnY, also through a symlink) selects the passthrough backend; anything else is
 * the FILE backend.
 * \return 0, or -ENOENT, -EACCES, -EINVAL (O_DIRECT refused, not a file/blockdev, a passthrough
 *         namespace with an unsupported format), -ENOMEM, or another negative errno from open.
 */
ZH_MUST_CHECK int zh_nvme_dev_open(const char *path, const struct zh_nvme_dev_opts *opts,
				   struct zh_nvme_dev **out);
void zh_nvme_dev_close(struct zh_nvme_dev *dev);

enum zh_nvme_backend zh_nvme_dev_backend(const struct zh_nvme_dev *dev);
const char *zh_nvme_dev_path(const struct zh_nvme_dev *dev);
int zh_nvme_dev_fd(const struct zh_nvme_dev *dev);
/**
 * Alignment for offsets, lengths and buffer addresses: the logical block size, or 1 for a
 * file opened buffered (the page cache takes any byte range). A passthrough namespace's
 * buffers need only 4-byte alignment.
 */
uint32_t zh_nvme_dev_block_bytes(const struct zh_nvme_dev *dev);
/** ZH_NVME_SIZE_UNKNOWN for a character device of the FILE backend (/dev/zero, /dev/null). */
uint64_t zh_nvme_dev_size_bytes(const struct zh_nvme_dev *dev);
/**
 * The longest request the device takes in one command: for a passthrough namespace the
 * kernel's limit (max_hw_sectors_kb, and max_segments - 1 pages for a buffer that does not
 * start on a page; else the controller's MDTS) and 65536 blocks; UINT32_MAX for the FILE
 * backend.
 */
uint32_t zh_nvme_dev_max_transfer_bytes(const struct zh_nvme_dev *dev);
#define ZH_NVME_SIZE_UNKNOWN UINT64_MAX
/** True when the device needs a ring set up with IORING_SETUP_SQE128 | IORING_SETUP_CQE32. */
bool zh_nvme_dev_needs_big_sqe(const struct zh_nvme_dev *dev);
/**
 * Whether a request with a registered buffer (buf_index) is sent as one: true until
 * zh_nvme_dev_drop_fixed_bufs(). A passthrough namespace then gets the buffer's address, which
 * the kernel maps for each command, as it does for memory that is not registered.
 */
bool zh_nvme_dev_fixed_bufs(const struct zh_nvme_dev *dev);
/**
 * Stop sending registered buffers as such to a passthrough namespace (no effect on a file): for
 * a kernel that refuses them. Linux 6.1 (Debian 12's) fails a fixed-buffer uring_cmd with
 * EINVAL when the registered buffer holds more pages from the I/O's start to its end than the
 * queue has segments (127 on QEMU's NVMe), which a pool class region of 1 MiB buffers always
 * does. Any thread; never undone.
 */
void zh_nvme_dev_drop_fixed_bufs(struct zh_nvme_dev *dev);

/**
 * Fault injection, for tests of what sits above the device layer. Each request to a device
 * with faults draws once (per million requests, from the queuing reactor's own generator, seeded
 * by its id); that reactor applies the fault:
 *   eio    the request does not reach the device and completes with -EIO
 *   short  one block less than asked is transferred (a short read or write, reported as such)
 *   torn   a write puts only its first half on the device but reports all of it done
 *   delay  the request starts delay_ns after it is submitted
 * `limit`, when not 0, stops injecting after that many faults in all (at 1000000 ppm: the
 * next N requests fail, or are delayed, and then none); `injected` counts the faults drawn so
 * far, each as its request is queued, so a test can wait until the requests it meant to catch
 * were caught. Nothing resets it: attach fresh settings to start counting again. `vanished`
 * (not counted) fails every request with -ENODEV from the moment it is set (a device pulled
 * out mid-run); it and `injected` may be read or set from any thread. The rest is set before
 * the engine starts.
 */
struct zh_nvme_faults {
	uint32_t eio_ppm;
	uint32_t short_ppm;
	uint32_t torn_ppm;
	uint32_t delay_ppm;
	uint64_t delay_ns;
	uint32_t limit;
	_Atomic uint32_t injected;
	/* Writes queued, and those that asked for neither FUA nor SYNC: until a flush, a power
	 * cut may take those from the drive's write cache. Counted with or without faults, as
	 * each is queued (one the device layer then refuses is counted too). */
	_Atomic uint64_t writes, writes_volatile;
	_Atomic bool vanished;
	struct __kernel_timespec delay_ts; /* internal: delay_ns for the kernel, set on attach */
};

/** Attach \p faults (owned by the caller, alive while the device is open) or NULL for none. */
void zh_nvme_dev_set_faults(struct zh_nvme_dev *dev, struct zh_nvme_faults *faults);
/** The device's fault settings, or NULL (the usual case: one predictable branch per I/O). */
struct zh_nvme_faults *zh_nvme_dev_faults(const struct zh_nvme_dev *dev);

enum zh_nvme_op {
	ZH_NVME_OP_READ,
	ZH_NVME_OP_WRITE,
	ZH_NVME_OP_FLUSH,
};

/** Write flag: force unit access (durable on completion). */
#define ZH_NVME_IO_FUA (1u << 0)
/**
 * Write flag: durable on completion together with the file's metadata (a file's RWF_SYNC, what
 * O_SYNC does to each write); on a passthrough namespace, FUA: it has no file metadata.
 */
#define ZH_NVME_IO_SYNC (1u << 1)

struct zh_nvme_req {
	enum zh_nvme_op op;
	unsigned flags; /**< ZH_NVME_IO_* */
	uint64_t offset_bytes;
	uint32_t len_bytes;
	void *addr;
	int buf_index;	/**< registered buffer index, or -1 */
	int file_index; /**< registered file index, or -1 to use the raw fd */
};

/**
 * Fill `sqe` (64 bytes, or 128 on a big-SQE ring for passthrough) for `req`. user_data is left
 * to the caller. Validates alignment and range against the device geometry.
 * \return 0, or -EINVAL (misaligned, zero length, longer than
 *         zh_nvme_dev_max_transfer_bytes()), -ERANGE (past the end), -EROFS (write to a
 *         read-only device).
 */
ZH_MUST_CHECK int zh_nvme_dev_prep(const struct zh_nvme_dev *dev, struct io_uring_sqe *sqe,
				   const struct zh_nvme_req *req);

/**
 * Do \p req now, on the calling thread, for what runs outside the reactors (a store's
 * superblocks). A file: pread, pwrite (RWF_DSYNC for FUA, RWF_SYNC for SYNC) or fdatasync. A
 * passthrough namespace, whose char device has no read or write: the command the ring path
 * builds, through the NVMe I/O ioctl. buf_index and file_index are not used. It blocks: never
 * call it on a reactor.
 * \param status  out: the raw NVMe status (0 for the FILE backend or success).
 * \return 0 once all of it is done; the refusals of zh_nvme_dev_prep(); -EIO for a short
 *         transfer; or a negative errno (for an NVMe status, see zh_nvme_status_to_errno()).
 */
ZH_MUST_CHECK int zh_nvme_dev_sync(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req,
				   uint16_t *status);

/**
 * Turn a CQE result into bytes transferred or a negative errno, keeping the NVMe status.
 * \param cqe_res    the CQE's res field.
 * \param len_bytes  the request's length (passthrough reports 0 on success).
 * \param status     out: the raw NVMe status (0 for the FILE backend or success).
 * \return bytes (may be short for FILE), or a negative errno (see zh_nvme_status_to_errno()).
 */
int zh_nvme_dev_complete(const struct zh_nvme_dev *dev, int32_t cqe_res, uint32_t len_bytes,
			 uint16_t *status);

/**
 * Map an NVMe completion status (the 15-bit field without the phase bit: SC bits 0-7, SCT bits
 * 8-10, CRD, More, DNR) to a negative errno. 0 maps to 0.
 */
int zh_nvme_status_to_errno(uint16_t status);

#endif /* ZH_NVME_H */
