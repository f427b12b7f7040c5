/* SPDX-License-Identifier: MIT */
/*
 * engine: a bounded binary min-heap of armed timers per reactor, ordered by deadline. Each
 * timer records its heap slot so cancel is O(log n) without a search.
 */
#include "engine/engine_internal.h"

#include <errno.h>
#include <stdlib.h>

int zh__timer_heap_init(struct zh__timer_heap *heap, uint32_t capacity)
{
	heap->slots = calloc(capacity, sizeof(*heap->slots));
	if (heap->slots == NULL)
		return -ENOMEM;
	heap->count = 0;
	heap->capacity = capacity;
	return 0;
}

void zh__timer_heap_fini(struct zh__timer_heap *heap)
{
	free(heap->slots);
	heap->slots = NULL;
}

static void heap_place(struct zh__timer_heap *heap, uint32_t i, struct zh_timer *t)
{
	heap->slots[i] = t;
	t->heap_index = i;
}

static void sift_up(struct zh__timer_heap *heap, uint32_t i)
{
	struct zh_timer *t = heap->slots[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (heap->slots[parent]->deadline_ns <= t->deadline_ns)
			break;
		heap_place(heap, i, heap->slots[parent]);
		i = parent;
	}
	heap_place(heap, i, t);
}

static void sift_down(struct zh__timer_heap *heap, uint32_t i)
{
	struct zh_timer *t = heap->slots[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= heap->count)
			break;
		if (child + 1 < heap->count &&
		    heap->slots[child + 1]->deadline_ns < heap->slots[child]->deadline_ns)
			child++;
		if (t->deadline_ns <= heap->slots[child]->deadline_ns)
			break;
		heap_place(heap, i, heap->slots[child]);
		i = child;
	}
	heap_place(heap, i, t);
}

int zh__timer_heap_push(struct zh__timer_heap *heap, struct zh_timer *timer)
{
	ZH_ASSERT(timer->heap_index == UINT32_MAX);
	if (heap->count == heap->capacity)
		return -ENOSPC;
	heap_place(heap, heap->count++, timer);
	sift_up(heap, timer->heap_index);
	return 0;
}

void zh__timer_heap_remove(struct zh__timer_heap *heap, struct zh_timer *timer)
{
	uint32_t i = timer->heap_index;
	struct zh_timer *last;

	if (i == UINT32_MAX)
		return;
	ZH_ASSERT(i < heap->count);
	ZH_ASSERT(heap->slots[i] == timer);
	last = heap->slots[--heap->count];
	timer->heap_index = UINT32_MAX;
	if (last == timer)
		return;
	heap_place(heap, i, last);
	sift_down(heap, i);
	sift_up(heap, last->heap_index);
}

struct zh_timer *zh__timer_heap_peek(const struct zh__timer_heap *heap)
{
	return heap->count > 0 ? heap->slots[0] : NULL;
}
