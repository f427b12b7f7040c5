/* SPDX-License-Identifier: MIT */
/*
 * engine: the bounded lock-free SPSC ring that carries messages between cores (one ring per
 * ordered pair of cores, DESIGN.md invariant 3). A full ring is back-pressure for the caller.
 *
 * Memory ordering: the producer writes the slot, then publishes it with a release store of
 * head; the consumer's acquire load of head makes the slot visible. Symmetrically the consumer
 * releases a slot with a release store of tail, which the producer's acquire load of tail
 * pairs with before it overwrites that slot.
 */
#include "engine/engine_internal.h"

size_t zh__spsc_memsize(uint32_t entries)
{
	ZH_ASSERT(zh_is_pow2_u64(entries));
	return sizeof(struct zh__spsc) + (size_t)entries * sizeof(struct zh_msg);
}

struct zh__spsc *zh__spsc_init(void *mem, uint32_t entries)
{
	struct zh__spsc *ring = mem;

	ZH_ASSERT(zh_is_pow2_u64(entries));
	ZH_ASSERT(((uintptr_t)mem & (ZH_CACHELINE_BYTES - 1)) == 0);
	atomic_init(&ring->head, 0);
	atomic_init(&ring->tail, 0);
	ring->tail_cache = 0;
	ring->head_cache = 0;
	ring->mask = entries - 1;
	return ring;
}

bool zh__spsc_push(struct zh__spsc *ring, zh_msg_fn fn, void *arg)
{
	/* Relaxed: only this producer writes head. */
	uint32_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);

	if (head - ring->tail_cache > ring->mask) {
		/* Pairs with the consumer's release store of tail in zh__spsc_pop_burst(). */
		ring->tail_cache = atomic_load_explicit(&ring->tail, memory_order_acquire);
		if (head - ring->tail_cache > ring->mask)
			return false;
	}
	ring->slots[head & ring->mask] = (struct zh_msg){.fn = fn, .arg = arg};
	/* Pairs with the consumer's acquire load of head: publishes the slot just written. */
	atomic_store_explicit(&ring->head, head + 1, memory_order_release);
	return true;
}

uint32_t zh__spsc_pop_burst(struct zh__spsc *ring, struct zh_msg *out, uint32_t max)
{
	/* Relaxed: only this consumer writes tail. */
	uint32_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	uint32_t avail = ring->head_cache - tail;
	uint32_t n;

	/* Refresh only when the cached view cannot fill the burst: the shared line stays cold. */
	if (avail < max) {
		/* Pairs with the producer's release store of head in zh__spsc_push(). */
		ring->head_cache = atomic_load_explicit(&ring->head, memory_order_acquire);
		avail = ring->head_cache - tail;
		if (avail == 0)
			return 0;
	}
	ZH_DEBUG_ASSERT(avail <= ring->mask + 1);
	n = avail < max ? avail : max;
	for (uint32_t i = 0; i < n; i++)
		out[i] = ring->slots[(tail + i) & ring->mask];
	/* Pairs with the producer's acquire load of tail: the slots may now be reused. */
	atomic_store_explicit(&ring->tail, tail + n, memory_order_release);
	return n;
}

bool zh__spsc_empty(struct zh__spsc *ring)
{
	uint32_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);

	if (ring->head_cache != tail)
		return false;
	/* Pairs with the producer's release store of head. */
	ring->head_cache = atomic_load_explicit(&ring->head, memory_order_acquire);
	return ring->head_cache == tail;
}
