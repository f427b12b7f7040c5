/* SPDX-License-Identifier: MIT */
/*
 * Tests for engine/bufpool.c: size classes, alignment, registration indexes, and exhaustion
 * answered with -EAGAIN (counted) instead of an allocation.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "engine/engine_internal.h"

static struct zh_numa_topo *topo;
static struct zh__bufpool pool;

static void setup(void)
{
	const uint32_t counts[ZH_BUF_CLASS_COUNT] = {3, 2, 1};

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh__bufpool_init(&pool, topo, 0, counts), 0);
}

static void teardown(void)
{
	zh__bufpool_fini(&pool);
	zh_numa_topo_destroy(topo);
}

TestSuite(engine_bufpool, .init = setup, .fini = teardown);

Test(engine_bufpool, empty_class_returns_eagain_without_allocating)
{
	struct zh_buf *b[4];

	for (int i = 0; i < 3; i++) {
		cr_assert_eq(zh__bufpool_get(&pool, 4096, &b[i]), 0);
		cr_assert_eq(b[i]->size_bytes, 4096);
	}
	cr_assert_eq(zh__bufpool_get(&pool, 100, &b[3]), -EAGAIN);
	cr_assert_eq(pool.exhausted, 1);
	/* An empty small class does not silently spend a large buffer. */
	cr_assert_eq(pool.cls[ZH_BUF_CLASS_64K].free_count, 2);
	zh__bufpool_put(&pool, b[1]);
	cr_assert_eq(zh__bufpool_get(&pool, 4096, &b[3]), 0);
	cr_assert_eq(b[3], b[1], "LIFO: the buffer just returned comes back first");
}

Test(engine_bufpool, sizes_map_to_smallest_fitting_class)
{
	struct zh_buf *b;

	cr_assert_eq(zh__bufpool_get(&pool, 4097, &b), 0);
	cr_assert_eq(b->size_class, ZH_BUF_CLASS_64K);
	cr_assert_eq(zh__bufpool_get(&pool, 65537, &b), 0);
	cr_assert_eq(b->size_class, ZH_BUF_CLASS_1M);
	cr_assert_eq(b->size_bytes, 1048576);
	cr_assert_eq(zh__bufpool_get(&pool, 1048577, &b), -E2BIG);
	cr_assert_eq(zh__bufpool_get(&pool, 1048576, &b), -EAGAIN);
}

Test(engine_bufpool, buffers_are_aligned_distinct_and_registered_per_class)
{
	struct iovec iov[ZH_BUF_CLASS_COUNT];
	struct zh_buf *a, *b, *c;

	cr_assert_eq(zh__bufpool_iovecs(&pool, iov), 3);
	cr_assert_eq(zh__bufpool_get(&pool, 4096, &a), 0);
	cr_assert_eq(zh__bufpool_get(&pool, 4096, &b), 0);
	cr_assert_eq(zh__bufpool_get(&pool, 65536, &c), 0);
	cr_assert_eq((uintptr_t)a->data % 4096, 0);
	cr_assert_eq((uintptr_t)c->data % 4096, 0);
	cr_assert_neq(a->data, b->data);
	cr_assert_eq(a->reg_index, 0);
	cr_assert_eq(c->reg_index, 1);
	/* Each buffer lies inside the region registered under its index. */
	cr_assert((char *)c->data >= (char *)iov[1].iov_base);
	cr_assert((char *)c->data + c->size_bytes <= (char *)iov[1].iov_base + iov[1].iov_len);
}

Test(engine_bufpool, double_put_aborts, .signal = SIGABRT)
{
	struct zh_buf *a;

	cr_assert_eq(zh__bufpool_get(&pool, 1 << 20, &a), 0);
	zh__bufpool_put(&pool, a);
	zh__bufpool_put(&pool, a);
}

/* Caught with the class not full too: the free count alone let this one through, and the next
   two gets both handed out `a`. */
Test(engine_bufpool, double_put_aborts_with_others_out, .signal = SIGABRT)
{
	struct zh_buf *a, *b;

	cr_assert_eq(zh__bufpool_get(&pool, 4096, &a), 0);
	cr_assert_eq(zh__bufpool_get(&pool, 4096, &b), 0);
	zh__bufpool_put(&pool, a);
	zh__bufpool_put(&pool, a);
}

/*
 * A class configured with no buffers is passed over for the next that has some. It answered
 * -EAGAIN for ever: back-pressure that never eases.
 */
Test(engine_bufpool, a_class_with_no_buffers_is_passed_over)
{
	const uint32_t counts[ZH_BUF_CLASS_COUNT] = {0, 2, 0};
	struct zh__bufpool other;
	struct zh_buf *b;

	cr_assert_eq(zh__bufpool_init(&other, topo, 0, counts), 0);
	cr_assert_eq(zh__bufpool_get(&other, 4096, &b), 0);
	cr_assert_eq(b->size_class, ZH_BUF_CLASS_64K);
	zh__bufpool_put(&other, b);
	cr_assert_eq(zh__bufpool_get(&other, 65537, &b), -E2BIG, "no class left that fits");
	zh__bufpool_fini(&other);
}
