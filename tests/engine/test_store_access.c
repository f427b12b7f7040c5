/* SPDX-License-Identifier: MIT */
/*
 * test_store_access.c - objects' access statistics (last accessed, access count): counted per
 * successful get (whole, ranged, from the hot cache), written back on demand, by the interval
 * and at close; gone with the object; not kept by noatime or read-only stores; bounded tables
 * that drop and count what does not fit.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/store_internal.h"
#include "store_testing.h"

static char dir[256];

static void setup(void)
{
	zt_scratch_dir(dir, sizeof(dir), "store-access");
}

static void teardown(void)
{
	zt_rm_rf(dir);
}

TestSuite(engine_store_access, .init = setup, .fini = teardown);

/* A store whose statistics are written back only when asked (or at close). */
static struct zh_store *open_lazy(bool format)
{
	struct zh_store_opts o;

	zt_store_opts(&o, dir);
	o.access_flush_ms = 3600 * 1000;
	return format ? zt_format_open(&o) : zt_open(&o);
}

static int discard(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void put_pattern(struct zh_store *s, size_t len, uint32_t seed, uint8_t *hash)
{
	uint8_t *p = zt_pattern(len, seed);

	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	free(p);
}

static void get_range(struct zh_store *s, const uint8_t *hash, uint64_t offset, uint64_t len)
{
	cr_assert_eq(zh_store_get(s, hash, offset, len, discard, NULL), 0);
}

static void expect_access(struct zh_store *s, const uint8_t *hash, uint64_t count, time_t from)
{
	struct zh_object_info info;

	cr_assert_eq(zh_store_stat(s, hash, &info), 0);
	cr_assert_eq(info.access_count, count, "access count %llu, expected %llu",
		     (unsigned long long)info.access_count, (unsigned long long)count);
	if (count == 0) {
		cr_assert_eq(info.last_accessed_unix_s, 0);
		return;
	}
	/* The coarse clock may lag time() by a tick. */
	cr_assert_geq(info.last_accessed_unix_s + 1, (uint64_t)from);
	cr_assert_leq(info.last_accessed_unix_s, (uint64_t)time(NULL));
}

Test(engine_store_access, gets_count_once_each_and_reach_the_index_when_flushed)
{
	struct zh_store *s = open_lazy(true);
	uint8_t small[ZH_CODEC_HASH_BYTES], big[ZH_CODEC_HASH_BYTES], idle[ZH_CODEC_HASH_BYTES];
	time_t t0 = time(NULL);

	put_pattern(s, 3000, 1, small);		/* inline (and then in the hot cache) */
	put_pattern(s, 2 * ZT_MIB + 5, 2, big); /* chunked */
	put_pattern(s, 20000, 3, idle);
	get_range(s, small, 0, UINT64_MAX);
	get_range(s, small, 0, UINT64_MAX); /* a hot-cache hit */
	get_range(s, small, 100, 10);
	get_range(s, big, ZT_MIB, 4096);
	cr_assert_eq(zh_store_get(s, big, 3 * ZT_MIB, 1, discard, NULL), -EINVAL);
	/* Nothing written back yet: the interval is an hour. */
	expect_access(s, small, 0, t0);
	cr_assert_eq(zh_store_flush_access(s), 0);
	expect_access(s, small, 3, t0);
	expect_access(s, big, 1, t0); /* the failed get did not count */
	expect_access(s, idle, 0, t0);
	/* A put of the same content is not a read. */
	put_pattern(s, 3000, 1, small);
	get_range(s, small, 0, 1);
	cr_assert_eq(zh_store_flush_access(s), 0);
	expect_access(s, small, 4, t0);
	zt_expect_clean(s);
	zh_store_close(s);
}

Test(engine_store_access, close_writes_back_and_reopen_keeps_counting)
{
	struct zh_store *s = open_lazy(true);
	uint8_t h[ZH_CODEC_HASH_BYTES];
	time_t t0 = time(NULL);

	put_pattern(s, ZT_MIB + 1, 4, h);
	get_range(s, h, 0, UINT64_MAX);
	get_range(s, h, 0, UINT64_MAX);
	zh_store_close(s);
	s = open_lazy(false);
	expect_access(s, h, 2, t0);
	get_range(s, h, 0, UINT64_MAX);
	cr_assert_eq(zh_store_flush_access(s), 0);
	expect_access(s, h, 3, t0);
	zh_store_close(s);
}

Test(engine_store_access, the_interval_writes_back_without_being_asked, .timeout = 30)
{
	struct zh_store_opts o;
	struct zh_object_info info;
	uint8_t h[ZH_CODEC_HASH_BYTES];
	struct zh_store *s;

	zt_store_opts(&o, dir);
	o.access_flush_ms = 20;
	s = zt_format_open(&o);
	put_pattern(s, 5000, 5, h);
	get_range(s, h, 0, UINT64_MAX);
	do {
		usleep(5000);
		cr_assert_eq(zh_store_stat(s, h, &info), 0);
	} while (info.access_count == 0);
	cr_assert_eq(info.access_count, 1);
	zh_store_close(s);
}

Test(engine_store_access, delete_takes_the_record_and_a_new_copy_starts_from_zero)
{
	struct zh_store *s = open_lazy(true);
	uint8_t a[ZH_CODEC_HASH_BYTES], b[ZH_CODEC_HASH_BYTES];
	time_t t0 = time(NULL);

	put_pattern(s, 3 * ZT_MIB, 6, a);
	put_pattern(s, 1000, 7, b);
	get_range(s, a, 0, 1);
	get_range(s, b, 0, 1);
	cr_assert_eq(zh_store_flush_access(s), 0);
	/* One reference of two: the record stays. */
	put_pattern(s, 1000, 7, b);
	cr_assert_eq(zh_store_delete(s, b), 0);
	expect_access(s, b, 1, t0);
	/* The last reference: gone, also with accesses still in memory when it goes. */
	get_range(s, a, 0, 1);
	cr_assert_eq(zh_store_delete(s, a), 0);
	cr_assert_eq(zh_store_delete(s, b), 0);
	cr_assert_eq(zh_store_flush_access(s), 0);
	zt_expect_clean(s); /* no access record of a missing object */
	put_pattern(s, 3 * ZT_MIB, 6, a);
	expect_access(s, a, 0, t0);
	zh_store_close(s);
	s = open_lazy(false);
	expect_access(s, a, 0, t0);
	zt_expect_clean(s);
	zh_store_close(s);
}

static void expect_untracked(const struct zh_store_opts *o, const uint8_t *h, int flush_rc)
{
	struct zh_store *s = zt_open(o);

	get_range(s, h, 0, UINT64_MAX);
	cr_assert_eq(zh_store_flush_access(s), flush_rc);
	zh_store_close(s);
}

Test(engine_store_access, noatime_and_read_only_stores_keep_none)
{
	struct zh_store_opts o;
	uint8_t h[ZH_CODEC_HASH_BYTES];
	struct zh_store *s = open_lazy(true);

	put_pattern(s, 70000, 8, h);
	zh_store_close(s);
	zt_store_opts(&o, dir);
	o.noatime = true;
	expect_untracked(&o, h, 0);
	o.noatime = false;
	o.read_only = true;
	expect_untracked(&o, h, -EROFS);
	s = open_lazy(false);
	expect_access(s, h, 0, 0);
	zh_store_close(s);
}

/* Distinct hashes that all land in access shard 0. */
/* The i-th synthetic hash of table \p shard. */
static void shard_hash(unsigned shard, uint32_t i, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	uint64_t w = (uint64_t)i << 4 | shard; /* low 4 bits pick the shard, the rest the slot */

	memset(hash, 0xa5, ZH_CODEC_HASH_BYTES);
	memcpy(hash, &w, sizeof(w));
}

/* The tables alone, on a store with no index thread: full is full, and counted. */
Test(engine_store_access, a_full_table_drops_and_counts)
{
	struct zh_store *s = calloc(1, sizeof(*s));
	uint8_t hash[ZH_CODEC_HASH_BYTES];

	cr_assert_not_null(s);
	pthread_mutex_init(&s->ix.lock, NULL);
	pthread_cond_init(&s->ix.cond, NULL);
	cr_assert_eq(zh__access_init(&s->access, true, 1000), 0);
	cr_assert_not(zh__access_due(s, 0));
	for (uint32_t i = 0; i < ZH__ACCESS_SHARD_ENTRIES; i++) {
		shard_hash(0, i, hash);
		zh__access_record(s, hash);
		zh__access_record(s, hash);
	}
	cr_assert(atomic_load(&s->access.flush_wanted));
	cr_assert(zh__access_due(s, 0));
	cr_assert_eq(atomic_load(&s->access.pending), ZH__ACCESS_SHARD_ENTRIES * 7 / 8);
	cr_assert_eq(atomic_load(&s->access.dropped), 2 * (ZH__ACCESS_SHARD_ENTRIES / 8));
	cr_assert_eq(s->access.shard[0].used, ZH__ACCESS_SHARD_ENTRIES * 7 / 8);
	for (unsigned i = 1; i < ZH__ACCESS_SHARDS; i++)
		cr_assert_eq(s->access.shard[i].used, 0);
	zh__access_destroy(&s->access);
	pthread_cond_destroy(&s->ix.cond);
	pthread_mutex_destroy(&s->ix.lock);
	free(s);
}

/* A filling table wakes the index thread long before the interval; no object, no record. */
Test(engine_store_access, a_filling_table_is_written_back_early, .timeout = 30)
{
	struct zh_store *s = open_lazy(true);
	uint8_t hash[ZH_CODEC_HASH_BYTES], real[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats st;
	unsigned fill;

	put_pattern(s, 2000, 9, real);
	get_range(s, real, 0, UINT64_MAX);
	/*
	 * Fill a table the real object is not in: its last entry then asks for the write-back.
	 * (In the real object's table the ask would come one entry early, and that entry could
	 * land after the drain, left for the hour-long interval.)
	 */
	fill = (real[0] + 1) % ZH__ACCESS_SHARDS;
	for (uint32_t i = 0; i < ZH__ACCESS_SHARD_ENTRIES * 3 / 4; i++) {
		shard_hash(fill, i, hash);
		zh__access_record(s, hash);
	}
	while (atomic_load(&s->access.pending) > 0)
		usleep(1000);
	/*
	 * Drained, but its group may not have committed yet: a flush request queues behind it
	 * (and has nothing left to write itself), so once it returns the early write-back is in.
	 */
	cr_assert_eq(zh_store_flush_access(s), 0);
	zh_store_stats_get(s, &st);
	cr_assert_eq(st.access_dropped, 0);
	expect_access(s, real, 1, 0);
	zt_expect_clean(s);
	zh_store_close(s);
}
