/* SPDX-License-Identifier: MIT */
/*
 * test_alloc.c - the device space allocator: block rounding, first fit, merging on release in
 * every neighbour case, -ENOSPC when full, a full free array (the bytes are counted, not lost
 * for good), and persistence through the index: only committed extents survive a reload, an
 * extent committed twice is -EUCLEAN, and free + used always equals the device.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "index/index.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

static struct zh__alloc *alloc_new(uint64_t dev, unsigned free_max)
{
	struct zh__alloc *a = malloc(zh__alloc_memsize(free_max));

	cr_assert_not_null(a);
	cr_assert_eq(zh__alloc_init(a, dev, 4096, 4096, free_max), 0);
	return a;
}

Test(engine_alloc, reserve_rounds_to_blocks_first_fit)
{
	struct zh__alloc *a = alloc_new(MIB, 16);
	struct zh__extent e1, e2;

	cr_assert_eq(a->free_bytes, MIB - 4096, "the head block is the superblock's");
	cr_assert_eq(zh__alloc_reserve(a, 1, &e1), 0);
	cr_assert_eq(e1.offset_bytes, 4096);
	cr_assert_eq(e1.len_bytes, 4096);
	cr_assert_eq(zh__alloc_reserve(a, 5000, &e2), 0);
	cr_assert_eq(e2.offset_bytes, 8192);
	cr_assert_eq(e2.len_bytes, 8192);
	cr_assert_eq(a->free_bytes, MIB - 4 * 4096);
	cr_assert_eq(zh__alloc_reserve(a, 0, &e1), -EINVAL);
	free(a);
}

Test(engine_alloc, release_merges_with_both_neighbours)
{
	struct zh__alloc *a = alloc_new(64 * KIB, 16);
	struct zh__extent e[6];

	for (unsigned i = 0; i < 6; i++)
		cr_assert_eq(zh__alloc_reserve(a, 4096, &e[i]), 0);
	zh__alloc_release(a, &e[1]);
	zh__alloc_release(a, &e[3]);
	cr_assert_eq(a->free_count, 3); /* e1, e3, and the tail */
	zh__alloc_release(a, &e[2]);	/* joins e1 and e3 */
	cr_assert_eq(a->free_count, 2);
	zh__alloc_release(a, &e[5]); /* joins the tail from below */
	zh__alloc_release(a, &e[0]); /* joins e1..e3 from below */
	zh__alloc_release(a, &e[4]); /* joins everything */
	cr_assert_eq(a->free_count, 1);
	cr_assert_eq(a->free_bytes, 60 * KIB);
	free(a);
}

Test(engine_alloc, full_device_is_enospc_and_fragmentation_too)
{
	struct zh__alloc *a = alloc_new(32 * KIB, 16);
	struct zh__extent e[7], big;

	for (unsigned i = 0; i < 7; i++)
		cr_assert_eq(zh__alloc_reserve(a, 4096, &e[i]), 0);
	cr_assert_eq(zh__alloc_reserve(a, 1, &big), -ENOSPC);
	zh__alloc_release(a, &e[1]);
	zh__alloc_release(a, &e[3]);
	cr_assert_eq(a->free_bytes, 8192);
	cr_assert_eq(zh__alloc_reserve(a, 8192, &big), -ENOSPC, "no 8 KiB hole");
	free(a);
}

Test(engine_alloc, full_free_array_counts_the_bytes)
{
	struct zh__alloc *a = alloc_new(64 * KIB, 3);
	struct zh__extent e[8];

	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(zh__alloc_reserve(a, 4096, &e[i]), 0);
	zh__alloc_release(a, &e[0]);
	zh__alloc_release(a, &e[2]);
	zh__alloc_release(a, &e[4]); /* a fourth free extent: no room in the array */
	cr_assert_eq(a->free_count, 3);
	cr_assert_eq(a->release_dropped_bytes, 4096);
	/* Still reserved: e1, e3, e5, e6, e7. */
	cr_assert_eq(a->free_bytes + a->release_dropped_bytes, 60 * KIB - 5 * 4096);
	free(a);
}

/*
 * Loading more used extents than the free array has gaps for: each gap it cannot hold is
 * counted, the rest of the device stays free, and every extent still loads. A full array
 * used to drop the device's tail, so the next extent lay in no free extent (-EUCLEAN) and a
 * fragmented store could not be opened.
 */
Test(engine_alloc, loading_more_gaps_than_the_array_holds_counts_them)
{
	struct zh__alloc *a = alloc_new(MIB, 2);
	const uint64_t used_at[] = {8 * KIB, 16 * KIB, 24 * KIB, 32 * KIB};
	struct zh__extent e;

	for (unsigned i = 0; i < 4; i++) {
		e = (struct zh__extent){used_at[i], 4096};
		cr_assert_eq(zh__alloc_mark_used(a, &e), 0, "extent %u", i);
	}
	cr_assert_eq(a->free_count, 2);
	cr_assert_eq(a->release_dropped_bytes, 3 * 4096, "the gaps at 12, 20 and 28 KiB");
	cr_assert_eq(a->free_bytes + a->release_dropped_bytes, MIB - 4096 - 4 * 4096);
	cr_assert_eq(zh__alloc_reserve(a, 64 * KIB, &e), 0);
	cr_assert_eq(e.offset_bytes, 36 * KIB, "the device's tail is still free");
	free(a);
}

Test(engine_alloc, double_release_is_a_bug, .signal = SIGABRT)
{
	struct zh__alloc *a = alloc_new(64 * KIB, 16);
	struct zh__extent e;

	cr_assert_eq(zh__alloc_reserve(a, 4096, &e), 0);
	zh__alloc_release(a, &e);
	zh__alloc_release(a, &e);
}

/* Persistence: the index holds committed extents only. */
static char path[512];

static struct zh_index *index_open(void)
{
	struct zh_index_opts o;
	struct zh_index *ix;

	zh_index_opts_default(&o);
	o.path = path;
	o.create = true;
	cr_assert_eq(zh_index_open(&o, &ix), 0, "%s", zh_index_last_error());
	return ix;
}

static void scratch_setup(void)
{
	snprintf(path, sizeof(path), "%s/alloc-%d", ZH_TEST_SCRATCH_DIR, (int)getpid());
}

static void scratch_teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	cr_assert_eq(system(cmd), 0);
}

Test(engine_alloc, only_committed_extents_survive_a_restart, .init = scratch_setup,
     .fini = scratch_teardown)
{
	struct zh_index *ix = index_open();
	struct zh_index_batch *b;
	struct zh__alloc *a = alloc_new(MIB, 64), *again = alloc_new(MIB, 64);
	struct zh__extent committed[3], uncommitted[2], other_dev;

	cr_assert_eq(zh_index_batch_create(ix, &b), 0);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(zh__alloc_reserve(a, 16 * KIB, &committed[i]), 0);
		zh__alloc_persist_used(b, 7, &committed[i]);
	}
	other_dev = (struct zh__extent){4096, 4096};
	zh__alloc_persist_used(b, 8, &other_dev);
	cr_assert_eq(zh_index_commit(ix, b), 0);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(zh__alloc_reserve(a, 16 * KIB, &uncommitted[i]), 0);
	/* "Crash": rebuild device 7 from the index alone. */
	cr_assert_eq(zh__alloc_load(again, ix, 7), 0);
	cr_assert_eq(again->free_bytes, MIB - 4096 - 3 * 16 * KIB);
	cr_assert_eq(again->free_bytes + 3 * 16 * KIB + 4096, MIB, "free + used = device");
	/* The uncommitted space is handed out again; committed space never is. */
	for (unsigned i = 0; i < 2; i++) {
		struct zh__extent e;

		cr_assert_eq(zh__alloc_reserve(again, 16 * KIB, &e), 0);
		cr_assert_eq(e.offset_bytes, uncommitted[i].offset_bytes);
	}
	/* A delete commits the extent's removal; then it is free after a restart too. */
	zh_index_batch_clear(b);
	zh__alloc_persist_freed(b, 7, &committed[1]);
	cr_assert_eq(zh_index_commit(ix, b), 0);
	free(again);
	again = alloc_new(MIB, 64);
	cr_assert_eq(zh__alloc_load(again, ix, 7), 0);
	cr_assert_eq(again->free_bytes, MIB - 4096 - 2 * 16 * KIB);
	cr_assert_eq(again->free_count, 2);
	zh_index_batch_destroy(b);
	zh_index_close(ix);
	free(a);
	free(again);
}

Test(engine_alloc, an_extent_committed_twice_is_euclean, .init = scratch_setup,
     .fini = scratch_teardown)
{
	struct zh_index *ix = index_open();
	struct zh_index_batch *b;
	struct zh__alloc *a = alloc_new(MIB, 64);
	struct zh__extent e1 = {8192, 16384}, e2 = {16384, 4096}; /* e2 inside e1 */

	cr_assert_eq(zh_index_batch_create(ix, &b), 0);
	zh__alloc_persist_used(b, 1, &e1);
	zh__alloc_persist_used(b, 1, &e2);
	cr_assert_eq(zh_index_commit(ix, b), 0);
	cr_assert_eq(zh__alloc_load(a, ix, 1), -EUCLEAN);
	zh_index_batch_destroy(b);
	zh_index_close(ix);
	free(a);
}
