/* SPDX-License-Identifier: MIT */
/*
 * test_store_batch.c - batch put and get: every item's own result (a bad item fails alone),
 * bounded concurrency, the same hashes as single puts, and small puts of a batch sharing WAL
 * syncs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_testing.h"

#define ITEMS 40

static char dir[256];
static struct zh_store *store;

static void setup(void)
{
	struct zh_store_opts o;

	zt_scratch_dir(dir, sizeof(dir), "store-batch");
	zt_store_opts(&o, dir);
	store = zt_format_open(&o);
}

static void teardown(void)
{
	zh_store_close(store);
	zt_rm_rf(dir);
}

TestSuite(engine_store_batch, .init = setup, .fini = teardown);

static size_t item_len(unsigned i)
{
	/* Inline, one chunk and several chunks. */
	return i % 3 == 0 ? 4096 + i : i % 3 == 1 ? 100000 + i : 2 * ZT_MIB + i;
}

Test(engine_store_batch, put_and_get_batches_with_one_bad_item_each)
{
	struct zh_store_put_item puts[ITEMS] = {0};
	struct zh_store_get_item gets[ITEMS + 1] = {0};
	struct zt_expect exp[ITEMS + 1] = {0};
	uint8_t *data[ITEMS];
	char long_name[ZH_STORE_META_STR_MAX + 2];
	struct zh_object_meta bad_meta = {.filename = long_name};

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	for (unsigned i = 0; i < ITEMS; i++) {
		data[i] = zt_pattern(item_len(i), 500 + i);
		puts[i] = (struct zh_store_put_item){.data = data[i], .len = item_len(i)};
	}
	puts[7].meta = &bad_meta;
	cr_assert_eq(zh_store_put_batch(store, puts, ITEMS, 8), -EINVAL);
	for (unsigned i = 0; i < ITEMS; i++) {
		uint8_t single[ZH_CODEC_HASH_BYTES];

		cr_assert_eq(puts[i].rc, i == 7 ? -EINVAL : 0, "item %u: %d", i, puts[i].rc);
		if (i == 7)
			continue;
		/* The same content put alone has the same name (and only adds a reference). */
		cr_assert_eq(zh_store_put(store, data[i], item_len(i), NULL, single), 0);
		cr_assert_eq(memcmp(single, puts[i].hash, sizeof(single)), 0, "item %u", i);
	}
	for (unsigned i = 0; i <= ITEMS; i++) {
		unsigned src = i == ITEMS ? 7 : i; /* the last one asks for the item never stored */

		exp[i] = (struct zt_expect){.want = data[src], .len = item_len(src)};
		gets[i] = (struct zh_store_get_item){
		    .offset = 0, .len = UINT64_MAX, .sink = zt_expect_sink, .ctx = &exp[i]};
		memcpy(gets[i].hash, puts[src].hash, ZH_CODEC_HASH_BYTES);
	}
	memset(gets[ITEMS].hash, 0xee, ZH_CODEC_HASH_BYTES);
	cr_assert_eq(zh_store_get_batch(store, gets, ITEMS + 1, 20), -ENOENT);
	for (unsigned i = 0; i < ITEMS; i++) {
		if (i == 7)
			continue;
		cr_assert_eq(gets[i].rc, 0, "item %u: %d", i, gets[i].rc);
		cr_assert(zt_expect_matched(&exp[i]), "item %u", i);
	}
	cr_assert_eq(gets[ITEMS].rc, -ENOENT);
	for (unsigned i = 0; i < ITEMS; i++)
		free(data[i]);
	zt_expect_clean(store);
}

Test(engine_store_batch, bad_concurrency_is_refused_before_any_item)
{
	struct zh_store_put_item put = {.data = "x", .len = 1, .rc = 1};
	struct zh_store_get_item get = {.len = UINT64_MAX, .rc = 1};

	cr_assert_eq(zh_store_put_batch(store, &put, 1, 0), -EINVAL);
	cr_assert_eq(zh_store_put_batch(store, &put, 1, ZH_STORE_BATCH_CONCURRENCY_MAX + 1),
		     -EINVAL);
	cr_assert_eq(zh_store_get_batch(store, &get, 1, 0), -EINVAL);
	cr_assert_eq(put.rc, 1, "untouched");
	cr_assert_eq(get.rc, 1, "untouched");
	cr_assert_eq(zh_store_put_batch(store, &put, 0, 4), 0, "an empty batch is fine");
}

Test(engine_store_batch, small_puts_of_a_batch_share_wal_syncs)
{
	enum { N = 64 };
	struct zh_store_put_item puts[N];
	uint8_t *data = zt_pattern(N * 4096, 9);
	struct zh_store_stats st;

	for (unsigned i = 0; i < N; i++)
		puts[i] = (struct zh_store_put_item){.data = data + i * 4096, .len = 4096};
	cr_assert_eq(zh_store_put_batch(store, puts, N, 16), 0);
	zh_store_stats_get(store, &st);
	cr_assert_eq(st.commit_batches, N);
	/* Sixteen puts in flight: a WAL sync carries several of them. */
	cr_assert_lt(st.commit_groups, N, "%llu syncs for %u puts",
		     (unsigned long long)st.commit_groups, N);
	free(data);
}
