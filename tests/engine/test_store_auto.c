/* SPDX-License-Identifier: MIT */
/*
 * test_store_auto.c - the `auto` zstd level: the controller alone (white box: codec-bound costs
 * lower the level to its floor, device-bound costs raise it to its ceiling, balanced ones hold
 * it), then a store over slow devices raising it while a fixed level stays put.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"
#include "store_testing.h"

#define MS 1000000ull

static char dir[256];

static void setup(void)
{
	zt_scratch_dir(dir, sizeof(dir), "store-auto");
}

static void teardown(void)
{
	zt_rm_rf(dir);
}

TestSuite(engine_store_auto, .init = setup, .fini = teardown);

static int feed(struct zh__level_ctl *c, unsigned chunks, uint64_t compress_ns, uint64_t write_ns)
{
	int level = c->level;

	for (unsigned i = 0; i < chunks; i++)
		level = zh__level_adapt(c, compress_ns, write_ns);
	return level;
}

Test(engine_store_auto, codec_bound_lowers_the_level_to_its_floor)
{
	struct zh__level_ctl c;

	zh__level_ctl_init(&c);
	cr_assert_eq(c.level, ZH__AUTO_LEVEL_START);
	cr_assert_eq(feed(&c, ZH__AUTO_WINDOW - 1, 3 * MS, MS), ZH__AUTO_LEVEL_START,
		     "no decision before a full window");
	cr_assert_eq(feed(&c, 1, 3 * MS, MS), ZH__AUTO_LEVEL_START - 1);
	cr_assert_eq(feed(&c, 10 * ZH__AUTO_WINDOW, 3 * MS, MS), ZH__AUTO_LEVEL_MIN);
}

Test(engine_store_auto, device_bound_raises_the_level_to_its_ceiling)
{
	struct zh__level_ctl c;

	zh__level_ctl_init(&c);
	cr_assert_eq(feed(&c, ZH__AUTO_WINDOW, MS, 5 * MS), ZH__AUTO_LEVEL_START + 1);
	cr_assert_eq(feed(&c, 20 * ZH__AUTO_WINDOW, MS, 5 * MS), ZH__AUTO_LEVEL_MAX);
}

Test(engine_store_auto, balanced_costs_hold_the_level)
{
	struct zh__level_ctl c;

	zh__level_ctl_init(&c);
	cr_assert_eq(feed(&c, 10 * ZH__AUTO_WINDOW, 2 * MS, 3 * MS), ZH__AUTO_LEVEL_START);
	/* One window decides on its sums: a slow outlier among fast chunks moves nothing. */
	feed(&c, ZH__AUTO_WINDOW - 1, 2 * MS, 2 * MS);
	cr_assert_eq(feed(&c, 1, 2 * MS, 6 * MS), ZH__AUTO_LEVEL_START);
}

/* Put compressible objects over devices whose every request takes 5 ms more. */
static unsigned level_after_slow_puts(int zstd_level)
{
	struct zh_nvme_faults faults[6] = {0};
	struct zh_nvme_faults *fault_ptrs[6];
	struct zh_store_opts o;
	struct zh_store *s;
	struct zh_store_stats st;
	size_t len = 16 * ZT_MIB;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i / 64) ^ (i / 4096)); /* compresses well */
	for (unsigned i = 0; i < 6; i++) {
		faults[i].delay_ppm = 1000000;
		faults[i].delay_ns = 5 * MS;
		fault_ptrs[i] = &faults[i];
	}
	zt_store_opts(&o, dir);
	o.dev_bytes = 256ull << 20;
	o.chunk_slots = 16;
	o.dev_faults = fault_ptrs;
	o.zstd_level = zstd_level;
	zt_rm_rf(dir);
	s = zt_format_open(&o);
	for (unsigned n = 0; n < 4; n++) {
		p[0] = (uint8_t)n; /* four different objects */
		cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
		cr_assert_eq(zt_get_cmp(s, hash, p, len), 0);
	}
	zh_store_stats_get(s, &st);
	zh_store_close(s);
	free(p);
	return st.zstd_level;
}

Test(engine_store_auto, slow_devices_raise_the_auto_level_and_leave_a_fixed_one, .timeout = 60)
{
	unsigned level = level_after_slow_puts(ZH_STORE_ZSTD_AUTO);

	cr_assert_gt(level, ZH__AUTO_LEVEL_START, "auto level %u", level);
	cr_assert_eq(level_after_slow_puts(3), 3);
	cr_assert_eq(level_after_slow_puts(0), 0);
}
