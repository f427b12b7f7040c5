/* SPDX-License-Identifier: MIT */
/*
 * Tests for engine/ring.c: the SPSC message ring keeps order, loses nothing, and reports a
 * full ring as back-pressure, alone and under a two-thread stress run (also built with TSan).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

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

#define STRESS_MESSAGES 2000000u

struct stress {
	struct zh__spsc *ring;
	uint64_t full_seen;
	uint64_t received;
	uint64_t out_of_order;
};

static void *stress_producer(void *arg)
{
	struct stress *s = arg;

	for (uintptr_t i = 1; i <= STRESS_MESSAGES; i++) {
		while (!zh__spsc_push(s->ring, dummy_fn, (void *)i))
			s->full_seen++;
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	struct zh_msg out[32];
	uintptr_t expect = 1;
	struct timespec pause = { .tv_nsec = 2000000 };

	/* Start late so the producer certainly meets a full ring. */
	nanosleep(&pause, NULL);
	while (expect <= STRESS_MESSAGES) {
		uint32_t n = zh__spsc_pop_burst(s->ring, out, 1 + (uint32_t)(expect % 32));

		for (uint32_t i = 0; i < n; i++, expect++) {
			if ((uintptr_t)out[i].arg != expect)
				s->out_of_order++;
			s->received++;
		}
	}
	return NULL;
}

Test(engine_ring, two_thread_stress_no_loss_in_order_with_backpressure, .timeout = 120)
{
	struct stress s = { .ring = ring_new(64) };
	pthread_t prod, cons;

	cr_assert_eq(pthread_create(&cons, NULL, stress_consumer, &s), 0);
	cr_assert_eq(pthread_create(&prod, NULL, stress_producer, &s), 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	cr_assert_eq(s.received, STRESS_MESSAGES, "lost or duplicated messages");
	cr_assert_eq(s.out_of_order, 0);
	cr_assert_gt(s.full_seen, 0, "the producer never saw back-pressure");
	cr_assert(zh__spsc_empty(s.ring));
	free(s.ring);
}
