/* SPDX-License-Identifier: MIT */
/* Tests for engine/timer.c: the bounded timer heap's order, cancel and capacity. */
#include <criterion/criterion.h>
#include <errno.h>

#include "engine/engine_internal.h"

Test(engine_timer, pops_in_deadline_order_and_cancels_from_the_middle)
{
	struct zh__timer_heap heap;
	struct zh_timer t[8];
	const uint64_t deadlines[8] = {50, 10, 70, 30, 20, 80, 60, 40};
	uint64_t last = 0;
	unsigned popped = 0;

	cr_assert_eq(zh__timer_heap_init(&heap, 8), 0);
	for (int i = 0; i < 8; i++) {
		zh_timer_init(&t[i]);
		t[i].deadline_ns = deadlines[i];
		cr_assert_eq(zh__timer_heap_push(&heap, &t[i]), 0);
	}
	zh__timer_heap_remove(&heap, &t[3]); /* 30 */
	zh__timer_heap_remove(&heap, &t[3]); /* not armed any more: harmless */
	for (struct zh_timer *top; (top = zh__timer_heap_peek(&heap)) != NULL; popped++) {
		cr_assert_geq(top->deadline_ns, last);
		cr_assert_neq(top->deadline_ns, 30);
		last = top->deadline_ns;
		zh__timer_heap_remove(&heap, top);
	}
	cr_assert_eq(popped, 7);
	zh__timer_heap_fini(&heap);
}

Test(engine_timer, full_heap_returns_enospc)
{
	struct zh__timer_heap heap;
	struct zh_timer t[3];

	cr_assert_eq(zh__timer_heap_init(&heap, 2), 0);
	for (int i = 0; i < 3; i++)
		zh_timer_init(&t[i]);
	cr_assert_eq(zh__timer_heap_push(&heap, &t[0]), 0);
	cr_assert_eq(zh__timer_heap_push(&heap, &t[1]), 0);
	cr_assert_eq(zh__timer_heap_push(&heap, &t[2]), -ENOSPC);
	zh__timer_heap_fini(&heap);
}
