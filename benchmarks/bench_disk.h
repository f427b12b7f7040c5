/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench disk statistics: fio's "Disk stats (read/write)" lines and its "disk_util" JSON.
 * The disk under each job file is found through sysfs (/sys/dev/block/MAJOR:MINOR, a
 * partition's parent disk), and its /sys/block/NAME/stat counters are read when the first run
 * group on it starts and again when a report is written: the report shows what moved between,
 * and util, the share of that time the disk had I/O in flight. A device-mapper or md device
 * brings its members (sysfs's slaves/, and theirs), listed after it as fio lists them, and
 * fio's aggr_* figures over them (zh_bench_disk_members()). A file with no block device
 * under it (tmpfs, a character device) has no entry, as in fio. Control thread only: nothing
 * here is on the I/O path.
 */
#ifndef ZH_BENCH_DISK_H
#define ZH_BENCH_DISK_H

#include <stddef.h>
#include <stdint.h>

#define ZH_BENCH_DISKS_MAX     16
#define ZH_BENCH_DISK_NAME_MAX 32
#define ZH_BENCH_DISK_PATH_MAX 256

/* The counters of a /sys/block/NAME/stat line that fio reports, [0] reads and [1] writes. */
struct zh_bench_disk_stat {
	uint64_t ios[2];    /* requests completed */
	uint64_t merges[2]; /* requests merged into others */
	uint64_t ticks[2];  /* ms the requests took, summed */
	uint64_t io_ticks;  /* ms with any request in flight */
	uint64_t in_queue;  /* ms weighted by the requests in flight */
};

struct zh_bench_disk {
	char name[ZH_BENCH_DISK_NAME_MAX]; /* "vda", "nvme0n1" */
	char stat[ZH_BENCH_DISK_PATH_MAX]; /* its stat file */
	struct zh_bench_disk_stat start;   /* when it was added */
	struct zh_bench_disk_stat moved;   /* from start to the last sample */
	uint64_t start_ns, msec;	   /* when it was added; the last sample's distance */
	/* 1 + the index of the device it is a member of; 0 (as zeroed): none. */
	unsigned member_of;
	unsigned members; /* devices that are members of it */
};

/* The disks of a run, each once. */
struct zh_bench_disks {
	struct zh_bench_disk disk[ZH_BENCH_DISKS_MAX];
	unsigned count;
};

/**
 * Parse a /sys/block/NAME/stat line (11 or more numbers: the block layer's stat.rst).
 * \return 0, or -EINVAL for a line with fewer numbers or anything else in them.
 */
int zh_bench_disk_stat_parse(const char *text, struct zh_bench_disk_stat *out);

/**
 * Add the disk under \p path (a regular file's filesystem, or a block device itself), found
 * under \p sysfs ("/sys"; a test gives a tree of its own), and read its counters, at \p now_ns
 * (zh_clock_ns()). A disk already there is left as it is.
 * \return 1 when it added one, 0 when there is none to add (already there, no block device
 *         under the file), -ENOSPC when ZH_BENCH_DISKS_MAX are there, or the negative errno of
 *         a stat or read that failed.
 */
int zh_bench_disks_add(struct zh_bench_disks *d, const char *sysfs, const char *path,
		       uint64_t now_ns);

/**
 * Read every disk's counters again: moved and msec then say what happened since it was added.
 * A disk whose counters cannot be read keeps its last sample. \p now_ns is the clock it is
 * read at (zh_clock_ns()).
 */
void zh_bench_disks_sample(struct zh_bench_disks *d, uint64_t now_ns);

/**
 * fio's aggr_* figures of disk \p index, a device-mapper or md device: its direct members'
 * counters moved, averaged over them (integer division, as fio's), and the busiest member's
 * util. \return how many members; 0 leaves \p avg and \p util alone.
 */
unsigned zh_bench_disk_members(const struct zh_bench_disks *d, unsigned index,
			       struct zh_bench_disk_stat *avg, double *util);

/** fio's util: the share of \p disk's time with I/O in flight, in percent (at most 100). */
double zh_bench_disk_util(const struct zh_bench_disk *disk);

#endif /* ZH_BENCH_DISK_H */
