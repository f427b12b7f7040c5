/* SPDX-License-Identifier: MIT */
/*
 * Tests for benchmarks/bench_disk.c: the block layer's stat line, the disk under a file found
 * through a sysfs tree the test builds (a partition leads to its disk), what moved between two
 * samples and fio's util, and the files that have no disk.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "benchmarks/bench_disk.h"

#define MS 1000000ull

Test(bench_disk, stat_line_gives_fios_counters)
{
	struct zh_bench_disk_stat st;

	/* Linux 6.x: 17 fields (discards and flushes after the first 11). */
	cr_assert_eq(
	    zh_bench_disk_stat_parse("    1200        3     9600     2400      800       40 "
				     "    6400     1600        2     4750     4100        0 "
				     "       0        0        0       12        9\n",
				     &st),
	    0);
	cr_assert_eq(st.ios[0], 1200);
	cr_assert_eq(st.merges[0], 3);
	cr_assert_eq(st.ticks[0], 2400);
	cr_assert_eq(st.ios[1], 800);
	cr_assert_eq(st.merges[1], 40);
	cr_assert_eq(st.ticks[1], 1600);
	cr_assert_eq(st.io_ticks, 4750, "field 10, after the requests in flight");
	cr_assert_eq(st.in_queue, 4100);
	/* Linux 2.6's 11 fields are enough. */
	cr_assert_eq(zh_bench_disk_stat_parse("1 2 3 4 5 6 7 8 9 10 11", &st), 0);
	cr_assert_eq(st.in_queue, 11);
}

Test(bench_disk, a_short_or_garbled_stat_line_is_refused)
{
	static const char *const bad[] = {"",
					  "1 2 3 4 5 6 7 8 9 10",
					  "1 2 3 4 5 6 7 8 9 10 x",
					  "1 2 3 -4 5 6 7 8 9 10 11",
					  "1 2 3 4x 5 6 7 8 9 10 11",
					  "99999999999999999999999 2 3 4 5 6 7 8 9 10 11"};
	struct zh_bench_disk_stat st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(zh_bench_disk_stat_parse(bad[i], &st), -EINVAL, "'%s'", bad[i]);
}

/* ---- a sysfs tree of the test's own ---- */

static char root[256];
static char file[300];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/*
 * A file in the scratch directory, and a sysfs under the scratch directory where its device
 * number leads to partition vdz1 of disk vdz (or to vdz itself, \p partition false).
 */
static void tree(bool partition)
{
	char path[600], cmd[1024];
	struct stat st;

	snprintf(root, sizeof(root), "%s/disk-sysfs-%d", ZH_TEST_SCRATCH_DIR, (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && mkdir -p '%s/devices/virtual/block/vdz/vdz1' '%s/dev/block'", root,
		 root, root);
	cr_assert_eq(system(cmd), 0);
	snprintf(file, sizeof(file), "%s/file", root);
	write_text(file, "data");
	cr_assert_eq(stat(file, &st), 0);
	snprintf(path, sizeof(path), "%s/devices/virtual/block/vdz/stat", root);
	write_text(path, "1000 0 8000 100 2000 10 16000 300 0 500 700 0 0 0 0 0 0\n");
	snprintf(path, sizeof(path), "%s/devices/virtual/block/vdz/vdz1/partition", root);
	write_text(path, "1\n");
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", root, major(st.st_dev),
		 minor(st.st_dev));
	cr_assert_eq(symlink(partition ? "../../devices/virtual/block/vdz/vdz1"
				       : "../../devices/virtual/block/vdz",
			     path),
		     0);
}

static void tree_remove(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

static void disk_stat_set(const char *text)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/devices/virtual/block/vdz/stat", root);
	write_text(path, text);
}

Test(bench_disk, a_file_on_a_partition_counts_on_its_disk)
{
	static struct zh_bench_disks d;

	tree(true);
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 10 * MS), 1);
	cr_assert_eq(d.count, 1);
	cr_assert_str_eq(d.disk[0].name, "vdz");
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 20 * MS), 0, "a disk is added once");
	disk_stat_set("1100 1 8800 140 2300 15 18400 360 0 2500 2700 0 0 0 0 0 0\n");
	zh_bench_disks_sample(&d, 4010 * MS);
	cr_assert_eq(d.disk[0].msec, 4000, "from when it was added");
	cr_assert_eq(d.disk[0].moved.ios[0], 100);
	cr_assert_eq(d.disk[0].moved.ios[1], 300);
	cr_assert_eq(d.disk[0].moved.merges[1], 5);
	cr_assert_eq(d.disk[0].moved.ticks[0], 40);
	cr_assert_eq(d.disk[0].moved.in_queue, 2000);
	cr_assert_float_eq(zh_bench_disk_util(&d.disk[0]), 50.0, 1e-9, "2000 ms busy of 4000");
	disk_stat_set("1100 1 8800 140 2300 15 18400 360 0 9500 2700 0 0 0 0 0 0\n");
	zh_bench_disks_sample(&d, 4010 * MS);
	cr_assert_eq(zh_bench_disk_util(&d.disk[0]), 100.0, "busier than the time: at most 100%%");
	tree_remove();
}

Test(bench_disk, a_whole_disk_is_its_own)
{
	static struct zh_bench_disks d;

	tree(false);
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 0), 1);
	cr_assert_str_eq(d.disk[0].name, "vdz");
	tree_remove();
}

Test(bench_disk, files_without_a_disk_add_none)
{
	static struct zh_bench_disks d;

	tree(true);
	/* A sysfs without the device's number: tmpfs, overlay. */
	cr_assert_eq(zh_bench_disks_add(&d, ZH_TEST_SCRATCH_DIR, file, 0), 0);
	cr_assert_eq(zh_bench_disks_add(&d, root, "/dev/null", 0), 0, "a character device");
	cr_assert_eq(zh_bench_disks_add(&d, root, "/nonexistent/file", 0), -ENOENT);
	cr_assert_eq(d.count, 0);
	d.count = ZH_BENCH_DISKS_MAX;
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 0), -ENOSPC);
	tree_remove();
}

Test(bench_disk, a_disk_whose_stat_cannot_be_read_keeps_its_last_sample)
{
	static struct zh_bench_disks d;
	char path[600];

	tree(true);
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 0), 1);
	disk_stat_set("1100 1 8800 140 2300 15 18400 360 0 2500 2700\n");
	zh_bench_disks_sample(&d, 1000 * MS);
	snprintf(path, sizeof(path), "%s/devices/virtual/block/vdz/stat", root);
	cr_assert_eq(unlink(path), 0);
	zh_bench_disks_sample(&d, 2000 * MS);
	cr_assert_eq(d.disk[0].msec, 1000);
	cr_assert_eq(d.disk[0].moved.ios[0], 100);
	tree_remove();
}

/*
 * A device-mapper volume dm-7 over partition vdx1 (of disk vdx) and disk vdy, the file's
 * device number leading to the volume.
 */
static void volume_tree(void)
{
	char cmd[2048];
	struct stat st;

	snprintf(root, sizeof(root), "%s/disk-sysfs-%d", ZH_TEST_SCRATCH_DIR, (int)getpid());
	snprintf(file, sizeof(file), "%s/file", root);
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && mkdir -p '%s/dev/block' && cd '%s' && "
		 "mkdir -p devices/virtual/block/dm-7/slaves devices/virtual/block/vdx/vdx1 "
		 "devices/virtual/block/vdy && echo 1 >devices/virtual/block/vdx/vdx1/partition && "
		 "ln -s ../../vdx/vdx1 devices/virtual/block/dm-7/slaves/vdx1 && "
		 "ln -s ../../vdy devices/virtual/block/dm-7/slaves/vdy && echo data >file",
		 root, root, root);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(stat(file, &st), 0);
	snprintf(cmd, sizeof(cmd), "ln -s ../../devices/virtual/block/dm-7 '%s/dev/block/%u:%u'",
		 root, major(st.st_dev), minor(st.st_dev));
	cr_assert_eq(system(cmd), 0);
}

static void volume_stat_set(const char *dev, const char *text)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/devices/virtual/block/%s/stat", root, dev);
	write_text(path, text);
}

/*
 * fio lists a volume's members after it and gives the volume aggr_* figures: its members'
 * counters averaged, and the busiest one's util.
 */
Test(bench_disk, a_volumes_members_are_listed_and_averaged)
{
	static struct zh_bench_disks d;
	struct zh_bench_disk_stat avg;
	double util = -1;

	volume_tree();
	volume_stat_set("dm-7", "200 0 1600 20 400 0 3200 60 0 100 140\n");
	volume_stat_set("vdx/vdx1", "100 0 800 10 200 0 1600 30 0 50 70\n");
	volume_stat_set("vdy", "100 0 800 10 200 0 1600 30 0 50 70\n");
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 0), 1);
	cr_assert_eq(d.count, 3, "the volume and its two members");
	cr_assert_str_eq(d.disk[0].name, "dm-7");
	cr_assert_eq(d.disk[0].member_of, 0);
	cr_assert_eq(d.disk[0].members, 2);
	for (unsigned i = 1; i < 3; i++) {
		cr_assert_eq(d.disk[i].member_of, 1, "%s is dm-7's", d.disk[i].name);
		cr_assert(strcmp(d.disk[i].name, "vdx1") == 0 || strcmp(d.disk[i].name, "vdy") == 0,
			  "%s", d.disk[i].name);
	}
	cr_assert_eq(zh_bench_disks_add(&d, root, file, 0), 0, "the volume is there");
	volume_stat_set("vdx/vdx1", "110 0 880 14 220 0 1760 34 0 250 290\n");
	volume_stat_set("vdy", "130 2 1040 16 260 4 2080 42 0 1050 1100\n");
	zh_bench_disks_sample(&d, 2000 * MS);
	cr_assert_eq(zh_bench_disk_members(&d, 0, &avg, &util), 2);
	cr_assert_eq(avg.ios[0], 20, "(10 + 30) / 2");
	cr_assert_eq(avg.ios[1], 40);
	cr_assert_eq(avg.merges[1], 2);
	cr_assert_eq(avg.ticks[1], 8);
	cr_assert_eq(avg.in_queue, 625);
	cr_assert_float_eq(util, 50.0, 1e-9, "the busier member: 1000 ms of 2000");
	util = -1;
	cr_assert_eq(zh_bench_disk_members(&d, 1, &avg, &util), 0, "a member has none");
	cr_assert_eq(util, -1);
	tree_remove();
}
