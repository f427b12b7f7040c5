/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench disk statistics (bench_disk.h): which disk a job file is on, found through sysfs,
 * and what its block-layer counters moved by while the jobs ran, for fio's disk util report.
 */
#include "bench_disk.h"

#include <dirent.h>
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

/*
 * Add the disk whose sysfs directory is \p dir, a member of disk \p master (-1: none), unless a
 * disk of its name is there. \return its index, -EEXIST when it was there already, or a
 * negative errno.
 */
static int disk_entry_add(struct zh_bench_disks *d, const char *dir, int master, uint64_t now_ns)
{
	const char *slash = strrchr(dir, '/');
	const char *name = slash != NULL ? slash + 1 : dir;
	struct zh_bench_disk *disk;
	int rc;

	for (unsigned i = 0; i < d->count; i++) {
		if (strcmp(d->disk[i].name, name) == 0)
			return -EEXIST;
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
	if (master >= 0) {
		disk->member_of = (unsigned)master + 1;
		d->disk[master].members++;
	}
	return (int)d->count++;
}

/* A device-mapper or md device's members nest this deep at most (dm on md on partitions). */
#define MEMBER_DEPTH_MAX 4

/*
 * Add the members of disk \p index (its sysfs directory \p dir lists them under slaves/), and
 * theirs, as fio lists them under the device. A member that cannot be added is left out.
 */
static void members_add(struct zh_bench_disks *d, const char *dir, int index, uint64_t now_ns,
			unsigned depth)
{
	char slaves[PATH_MAX + 8], link[2 * PATH_MAX], member[PATH_MAX];
	struct dirent *e;
	DIR *list;

	if (depth == MEMBER_DEPTH_MAX ||
	    (size_t)snprintf(slaves, sizeof(slaves), "%s/slaves", dir) >= sizeof(slaves))
		return;
	list = opendir(slaves);
	if (list == NULL)
		return;
	while ((e = readdir(list)) != NULL) {
		int added;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", slaves, e->d_name);
		if (realpath(link, member) == NULL)
			continue;
		added = disk_entry_add(d, member, index, now_ns);
		if (added >= 0)
			members_add(d, member, added, now_ns, depth + 1);
	}
	closedir(list);
}

int zh_bench_disks_add(struct zh_bench_disks *d, const char *sysfs, const char *path,
		       uint64_t now_ns)
{
	char dir[PATH_MAX];
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
	rc = disk_entry_add(d, dir, -1, now_ns);
	if (rc == -EEXIST)
		return 0;
	if (rc < 0)
		return rc;
	members_add(d, dir, rc, now_ns, 0);
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

unsigned zh_bench_disk_members(const struct zh_bench_disks *d, unsigned index,
			       struct zh_bench_disk_stat *avg, double *util)
{
	struct zh_bench_disk_stat sum = {0};
	unsigned n = 0;
	double busiest = 0.0;

	for (unsigned i = 0; i < d->count; i++) {
		const struct zh_bench_disk *m = &d->disk[i];
		double member_util;

		if (m->member_of != index + 1)
			continue;
		for (unsigned dir = 0; dir < 2; dir++) {
			sum.ios[dir] += m->moved.ios[dir];
			sum.merges[dir] += m->moved.merges[dir];
			sum.ticks[dir] += m->moved.ticks[dir];
		}
		sum.io_ticks += m->moved.io_ticks;
		sum.in_queue += m->moved.in_queue;
		member_util = zh_bench_disk_util(m);
		busiest = member_util > busiest ? member_util : busiest;
		n++;
	}
	if (n == 0)
		return 0;
	for (unsigned dir = 0; dir < 2; dir++) {
		avg->ios[dir] = sum.ios[dir] / n;
		avg->merges[dir] = sum.merges[dir] / n;
		avg->ticks[dir] = sum.ticks[dir] / n;
	}
	avg->io_ticks = sum.io_ticks / n;
	avg->in_queue = sum.in_queue / n;
	*util = busiest;
	return n;
}

double zh_bench_disk_util(const struct zh_bench_disk *disk)
{
	double util;

	if (disk->msec == 0)
		return 0.0;
	util = 100.0 * (double)disk->moved.io_ticks / (double)disk->msec;
	return util > 100.0 ? 100.0 : util;
}
