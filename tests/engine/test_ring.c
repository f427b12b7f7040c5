/* SPDX-License-Identifier: MIT */
/*
 * Tests for engine/ring.c: the SPSC message ring keeps order, loses nothing, and reports a
 * full ring as back-pressure, alone and under a two-thread stress run (also built with TSan).
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "concurrency_cases.h"
#include "engine/engine_internal.h"

static void dummy_fn(struct zh_reactor *r, void *arg)
{
	(void)r;
	(void)arg;
}

static struct zh__spsc *ring_new(uint32_t entries)
{
	void *mem = aligned_alloc(ZH_CACHELINE_BYTES, zh__spsc_memsize(entries));

	cr_assert_not_null(mem);
	return zh__spsc_init(mem, entries);
}

Test(engine_ring, full_ring_refuses_and_keeps_order)
{
	struct zh__spsc *ring = ring_new(8);
	struct zh_msg out[16];

	for (uintptr_t i = 0; i < 8; i++)
		cr_assert(zh__spsc_push(ring, dummy_fn, (void *)(i + 1)));
	cr_assert_not(zh__spsc_push(ring, dummy_fn, (void *)99), "a full ring must refuse");
	cr_assert_eq(zh__spsc_pop_burst(ring, out, 3), 3);
	for (uintptr_t i = 0; i < 3; i++)
		cr_assert_eq((uintptr_t)out[i].arg, i + 1);
	/* Three slots freed: exactly three more fit, and wrap-around keeps the order. */
	for (uintptr_t i = 8; i < 11; i++)
		cr_assert(zh__spsc_push(ring, dummy_fn, (void *)(i + 1)));
	cr_assert_not(zh__spsc_push(ring, dummy_fn, (void *)99));
	cr_assert_eq(zh__spsc_pop_burst(ring, out, 16), 8);
	for (uintptr_t i = 0; i < 8; i++) {
		cr_assert_eq((uintptr_t)out[i].arg, i + 4);
		cr_assert_eq(out[i].fn, dummy_fn);
	}
	cr_assert(zh__spsc_empty(ring));
	cr_assert_eq(zh__spsc_pop_burst(ring, out, 16), 0);
	free(ring);
}

Test(engine_ring, indices_wrap_past_uint32_max)
{
	struct zh__spsc *ring = ring_new(4);
	struct zh_msg out[4];

	/* Start just below the 32-bit wrap of the free-running indices. */
	atomic_store(&ring->head, UINT32_MAX - 2);
	atomic_store(&ring->tail, UINT32_MAX - 2);
	ring->tail_cache = UINT32_MAX - 2;
	ring->head_cache = UINT32_MAX - 2;
	for (uintptr_t round = 0; round < 3; round++) {
		for (uintptr_t i = 0; i < 4; i++)
			cr_assert(zh__spsc_push(ring, dummy_fn, (void *)(round * 10 + i)));
		cr_assert_not(zh__spsc_push(ring, dummy_fn, NULL));
		cr_assert_eq(zh__spsc_pop_burst(ring, out, 4), 4);
		for (uintptr_t i = 0; i < 4; i++)
			cr_assert_eq((uintptr_t)out[i].arg, round * 10 + i);
	}
	free(ring);
}

Test(engine_ring, two_thread_stress_no_loss_in_order_with_backpressure, .timeout = 120)
{
	struct ring_stress_result r = ring_stress_run(64, 2000000);

	cr_assert_eq(r.received, 2000000, "lost or duplicated messages");
	cr_assert_eq(r.out_of_order, 0);
	cr_assert_gt(r.full_seen, 0, "the producer never saw back-pressure");
	cr_assert(r.empty_at_end);
}
