/* SPDX-License-Identifier: MIT */
/*
 * nvme internals shared by the backends and the white-box tests: the device structure and the
 * passthrough command encoder.
 */
#ifndef ZH_NVME_INTERNAL_H
#define ZH_NVME_INTERNAL_H

#include <limits.h>
#include <stdatomic.h>

#include "nvme/nvme.h"

/* NVM command set opcodes (NVMe base spec, I/O commands). */
#define ZH_NVME_CMD_FLUSH 0x00
#define ZH_NVME_CMD_WRITE 0x01
#define ZH_NVME_CMD_READ  0x02
/* CDW12 bit 30: force unit access. */
#define ZH_NVME_CDW12_FUA (1u << 30)
/* The NLB field is 16 bits, 0's based. */
#define ZH_NVME_MAX_BLOCKS_PER_CMD 65536u

struct zh_nvme_dev {
	enum zh_nvme_backend backend;
	int fd;
	bool read_only;
	uint32_t block_bytes;
	uint32_t block_shift;
	uint32_t nsid;
	uint64_t size_bytes;
	uint32_t max_transfer_bytes; /* the most one command carries; UINT32_MAX: no limit */
	uint32_t addr_mask;	     /* a buffer address must have none of these bits */
	struct zh_nvme_faults *faults;
	_Atomic bool fixed_bufs_dropped; /* zh_nvme_dev_drop_fixed_bufs(); reactors read it */
	char path[PATH_MAX];
};

/** The NVMe fields of one I/O command, before they are laid into an SQE's command area. */
struct zh__nvme_cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint64_t addr;
	uint32_t data_len;
};

/** Build the NVMe command for `req` on a passthrough device; same errors as zh_nvme_dev_prep(). */
int zh__nvme_cmd_encode(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req,
			struct zh__nvme_cmd *cmd);
struct nvme_passthru_cmd64; /* libnvme's (linux/nvme_ioctl.h's layout) */
int zh__nvme_passthru_probe(struct zh_nvme_dev *dev);
/** Lay \p cmd into the NVMe I/O ioctl's argument (NVME_IOCTL_IO64_CMD). */
void zh__nvme_ioctl_cmd(const struct zh__nvme_cmd *cmd, struct nvme_passthru_cmd64 *out);
/** zh_nvme_dev_sync() on a passthrough namespace; the encoding checks \p req. */
int zh__nvme_passthru_sync(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req,
			   uint16_t *status);
int zh__nvme_passthru_prep(const struct zh_nvme_dev *dev, struct io_uring_sqe *sqe,
			   const struct zh_nvme_req *req);
/** Point the SQE at the device: registered file index when given, else the raw fd. */
void zh__nvme_sqe_set_target(struct io_uring_sqe *sqe, const struct zh_nvme_dev *dev,
			     const struct zh_nvme_req *req);
/**
 * The kernel's limit on one command's data for the namespace whose generic device's sysfs
 * directory is \p ng_dir (ngXnY): max_hw_sectors_kb of its block device, nvmeXnY, beside it
 * under their controller, and no more than max_segments - 1 pages of 4 KiB (a buffer off a
 * page boundary spans one more).
 * \return 0 with \p bytes set, or a negative errno.
 */
int zh__nvme_sysfs_max_transfer(const char *ng_dir, uint32_t *bytes);
/** What an Identify Controller MDTS allows, in 4 KiB pages as Linux counts them; 0: no limit. */
uint32_t zh__nvme_mdts_bytes(uint8_t mdts);
/** Geometry checks common to both backends. */
int zh__nvme_req_check(const struct zh_nvme_dev *dev, const struct zh_nvme_req *req);

#endif /* ZH_NVME_INTERNAL_H */
