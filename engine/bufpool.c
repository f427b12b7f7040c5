/* SPDX-License-Identifier: MIT */
/*
 * engine: the per-reactor pool of aligned, registered I/O buffers in three size classes. Each
 * class is one node-local region carved into equal buffers, registered with io_uring as one
 * fixed buffer, with a LIFO free stack (the most recently used buffer is the cache-warm one).
 * Everything is allocated at start-up; an empty class answers -EAGAIN.
 */
#include "engine/engine_internal.h"

#include <errno.h>
#include <stdlib.h>

const uint32_t zh__buf_class_bytes[ZH_BUF_CLASS_COUNT] = {4096, 65536, 1048576};

static int class_init(struct zh__bufpool_class *c, const struct zh_numa_topo *topo, int node,
		      uint32_t size_bytes, uint32_t count, uint8_t class_index)
{
	c->size_bytes = size_bytes;
	c->total = count;
	c->free_count = count;
	if (count == 0)
		return 0;
	c->region_bytes = (size_t)size_bytes * count;
	c->region = zh_numa_alloc(topo, c->region_bytes, node);
	c->bufs = calloc(count, sizeof(*c->bufs));
	c->free_stack = calloc(count, sizeof(*c->free_stack));
	if (c->region == NULL || c->bufs == NULL || c->free_stack == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		c->bufs[i] = (struct zh_buf){
		    .data = (char *)c->region + (size_t)i * size_bytes,
		    .size_bytes = size_bytes,
		    .size_class = class_index,
		    .in_pool = true,
		    .slot = i,
		};
		/* Pop order 0, 1, 2...: the stack holds the highest slot at the bottom. */
		c->free_stack[i] = count - 1 - i;
	}
	return 0;
}

int zh__bufpool_init(struct zh__bufpool *pool, const struct zh_numa_topo *topo, int node,
		     const uint32_t counts[ZH_BUF_CLASS_COUNT])
{
	*pool = (struct zh__bufpool){.topo = topo};
	for (unsigned k = 0; k < ZH_BUF_CLASS_COUNT; k++) {
		int rc = class_init(&pool->cls[k], topo, node, zh__buf_class_bytes[k], counts[k],
				    (uint8_t)k);
		if (rc < 0) {
			zh__bufpool_fini(pool);
			return rc;
		}
	}
	return 0;
}

void zh__bufpool_fini(struct zh__bufpool *pool)
{
	for (unsigned k = 0; k < ZH_BUF_CLASS_COUNT; k++) {
		struct zh__bufpool_class *c = &pool->cls[k];

		zh_numa_free(pool->topo, c->region, c->region_bytes);
		free(c->bufs);
		free(c->free_stack);
		*c = (struct zh__bufpool_class){0};
	}
}

int zh__bufpool_get(struct zh__bufpool *pool, uint32_t size_bytes, struct zh_buf **out)
{
	unsigned k = 0;
	struct zh__bufpool_class *c;

	/* The smallest class that fits and has buffers at all: one configured empty is skipped. */
	while (k < ZH_BUF_CLASS_COUNT &&
	       (zh__buf_class_bytes[k] < size_bytes || pool->cls[k].total == 0))
		k++;
	if (ZH_UNLIKELY(k == ZH_BUF_CLASS_COUNT))
		return -E2BIG;
	c = &pool->cls[k];
	if (ZH_UNLIKELY(c->free_count == 0)) {
		pool->exhausted++;
		return -EAGAIN;
	}
	*out = &c->bufs[c->free_stack[--c->free_count]];
	(*out)->in_pool = false;
	return 0;
}

void zh__bufpool_put(struct zh__bufpool *pool, struct zh_buf *buf)
{
	struct zh__bufpool_class *c;

	ZH_ASSERT(buf->size_class < ZH_BUF_CLASS_COUNT);
	c = &pool->cls[buf->size_class];
	ZH_ASSERT(buf == &c->bufs[buf->slot]);
	ZH_ASSERT(!buf->in_pool); /* put twice: two owners would share it */
	ZH_ASSERT(c->free_count < c->total);
	buf->in_pool = true;
	c->free_stack[c->free_count++] = buf->slot;
}

unsigned zh__bufpool_iovecs(struct zh__bufpool *pool, struct iovec *iov)
{
	unsigned n = 0;

	for (unsigned k = 0; k < ZH_BUF_CLASS_COUNT; k++) {
		struct zh__bufpool_class *c = &pool->cls[k];

		if (c->total == 0)
			continue;
		iov[n] = (struct iovec){.iov_base = c->region, .iov_len = c->region_bytes};
		for (uint32_t i = 0; i < c->total; i++)
			c->bufs[i].reg_index = (uint16_t)n;
		n++;
	}
	return n;
}
