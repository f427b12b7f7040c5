/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench disk statistics (bench_disk.h): which disk a job file is on, found through sysfs,
 * and what its block-layer counters moved by while the jobs ran, for fio's disk util report.
 */
#include "bench_disk.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The first 11 fields of a stat line, in the block layer's order (Documentation/block/stat.rst). */
#define STAT_FIELDS 11

int zh_bench_disk_stat_parse(const char *text, struct zh_bench_disk_stat *out)
{
	uint64_t f[STAT_FIELDS];
	const char *p = text;

	for (unsigned i = 0; i < STAT_FIELDS; i++) {
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		f[i] = strtoull(p, &end, 10);
		if (errno != 0 || (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\0'))
			return -EINVAL;
		p = end;
	}
	*out = (struct zh_bench_disk_stat){
	    .ios = {f[0], f[4]},
	    .merges = {f[1], f[5]},
	    .ticks = {f[3], f[7]},
	    .io_ticks = f[9],
	    .in_queue = f[10],
	};
	return 0;
}

static int stat_read(const char *path, struct zh_bench_disk_stat *out)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int rc;

	if (f == NULL)
		return -errno;
	rc = fgets(line, sizeof(line), f) != NULL ? zh_bench_disk_stat_parse(line, out) : -EIO;
	fclose(f);
	return rc;
}

/*
 * The block device a file's blocks live on: a block device's own number, a regular file's
 * filesystem's. \return false for anything else (a character device, a pipe).
 */
static bool block_dev_of(const struct stat *st, dev_t *dev)
{
	if (S_ISBLK(st->st_mode))
		*dev = st->st_rdev;
	else if (S_ISREG(st->st_mode))
		*dev = st->st_dev;
	else
		return false;
	return true;
}

/*
 * The sysfs directory of the disk holding block device \p dev: /sys/dev/block/MAJ:MIN leads to
 * the device's directory, and a partition's disk is the directory above it. \return 0, or
 * -ENODEV when there is no such block device (tmpfs and overlay numbers have none).
 */
static int disk_dir(const char *sysfs, dev_t dev, char dir[PATH_MAX])
{
	char link[PATH_MAX], probe[PATH_MAX + 16];
	char *slash;

	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sysfs, major(dev), minor(dev));
	if (realpath(link, dir) == NULL)
		return errno == ENOENT ? -ENODEV : -errno;
	snprintf(probe, sizeof(probe), "%s/partition", dir);
	if (access(probe, F_OK) == 0) {
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return -ENODEV;
		*slash = '\0';
	}
	return 0;
}

int zh_bench_disks_add(struct zh_bench_disks *d, const char *sysfs, const char *path,
		       uint64_t now_ns)
{
	char dir[PATH_MAX];
	struct zh_bench_disk *disk;
	const char *name;
	struct stat st;
	dev_t dev;
	int rc;

	if (stat(path, &st) != 0)
		return -errno;
	if (!block_dev_of(&st, &dev))
		return 0;
	rc = disk_dir(sysfs, dev, dir);
	if (rc < 0)
		return rc == -ENODEV ? 0 : rc;
	name = strrchr(dir, '/') != NULL ? strrchr(dir, '/') + 1 : dir;
	for (unsigned i = 0; i < d->count; i++) {
		if (strcmp(d->disk[i].name, name) == 0)
			return 0;
	}
	if (d->count == ZH_BENCH_DISKS_MAX)
		return -ENOSPC;
	disk = &d->disk[d->count];
	memset(disk, 0, sizeof(*disk));
	if (strlen(name) >= sizeof(disk->name) ||
	    (size_t)snprintf(disk->stat, sizeof(disk->stat), "%s/stat", dir) >= sizeof(disk->stat))
		return -ENAMETOOLONG;
	strcpy(disk->name, name);
	rc = stat_read(disk->stat, &disk->start);
	if (rc < 0)
		return rc;
	disk->start_ns = now_ns;
	d->count++;
	return 1;
}

/* \p to less \p from, counter by counter (the block layer's counters only grow). */
static struct zh_bench_disk_stat stat_moved(const struct zh_bench_disk_stat *to,
					    const struct zh_bench_disk_stat *from)
{
	struct zh_bench_disk_stat m = {
	    .io_ticks = to->io_ticks - from->io_ticks,
	    .in_queue = to->in_queue - from->in_queue,
	};

	for (unsigned d = 0; d < 2; d++) {
		m.ios[d] = to->ios[d] - from->ios[d];
		m.merges[d] = to->merges[d] - from->merges[d];
		m.ticks[d] = to->ticks[d] - from->ticks[d];
	}
	return m;
}

void zh_bench_disks_sample(struct zh_bench_disks *d, uint64_t now_ns)
{
	for (unsigned i = 0; i < d->count; i++) {
		struct zh_bench_disk *disk = &d->disk[i];
		struct zh_bench_disk_stat now;

		if (stat_read(disk->stat, &now) < 0)
			continue;
		disk->moved = stat_moved(&now, &disk->start);
		disk->msec = now_ns > disk->start_ns ? (now_ns - disk->start_ns) / 1000000u : 0;
	}
}

double zh_bench_disk_util(const struct zh_bench_disk *disk)
{
	double util;

	if (disk->msec == 0)
		return 0.0;
	util = 100.0 * (double)disk->moved.io_ticks / (double)disk->msec;
	return util > 100.0 ? 100.0 : util;
}
