/* SPDX-License-Identifier: MIT */
/*
 * Device space: a per-device extent allocator (first fit over a sorted, merged array of free
 * extents) and its persistence through the index. See struct zh__alloc for the crash rule.
 *
 * Design notes:
 * 1. The array is sized at start-up and never grows. Reserving splits at most one extent and
 *    never adds one; releasing adds at most one. A release that finds the array full is not
 *    an error for the caller: the bytes are counted in release_dropped_bytes and come back at
 *    the next start, when free space is rebuilt from the index. That rebuild, too, counts the
 *    gaps between used extents that a full array cannot hold (it keeps the device's tail,
 *    where the extents still to load lie). Size free_max for the fragmentation you expect
 *    (each free extent is 16 bytes).
 * 2. First fit keeps allocation near the start of the device and big free extents at the end;
 *    the scan is O(free extents), done by the one reactor that owns the device.
 */
#include <errno.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "index/index.h"

size_t zh__alloc_memsize(unsigned free_max)
{
	return sizeof(struct zh__alloc) + (size_t)free_max * sizeof(struct zh__extent);
}

int zh__alloc_init(struct zh__alloc *a, uint64_t dev_bytes, uint32_t block_bytes,
		   uint64_t head_bytes, unsigned free_max)
{
	if (!zh_is_pow2_u64(block_bytes) || free_max == 0)
		return -EINVAL;
	if (dev_bytes % block_bytes != 0 || head_bytes % block_bytes != 0 || head_bytes > dev_bytes)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->dev_bytes = dev_bytes;
	a->block_bytes = block_bytes;
	a->free_max = free_max;
	if (head_bytes < dev_bytes) {
		a->free[0] = (struct zh__extent){head_bytes, dev_bytes - head_bytes};
		a->free_count = 1;
		a->free_bytes = dev_bytes - head_bytes;
	}
	return 0;
}

static void free_remove(struct zh__alloc *a, unsigned i)
{
	memmove(&a->free[i], &a->free[i + 1], (a->free_count - i - 1) * sizeof(a->free[0]));
	a->free_count--;
}

static bool free_insert(struct zh__alloc *a, unsigned i, struct zh__extent e)
{
	if (a->free_count == a->free_max)
		return false;
	memmove(&a->free[i + 1], &a->free[i], (a->free_count - i) * sizeof(a->free[0]));
	a->free[i] = e;
	a->free_count++;
	return true;
}

int zh__alloc_reserve(struct zh__alloc *a, uint64_t len_bytes, struct zh__extent *out)
{
	uint64_t len = (len_bytes + a->block_bytes - 1) & ~(uint64_t)(a->block_bytes - 1);

	if (len_bytes == 0 || len < len_bytes)
		return -EINVAL;
	for (unsigned i = 0; i < a->free_count; i++) {
		struct zh__extent *f = &a->free[i];

		if (f->len_bytes < len)
			continue;
		*out = (struct zh__extent){f->offset_bytes, len};
		f->offset_bytes += len;
		f->len_bytes -= len;
		if (f->len_bytes == 0)
			free_remove(a, i);
		a->free_bytes -= len;
		return 0;
	}
	return -ENOSPC;
}

/* Index of the first free extent that starts after `offset`. */
static unsigned free_after(const struct zh__alloc *a, uint64_t offset)
{
	unsigned lo = 0, hi = a->free_count;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (a->free[mid].offset_bytes <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void zh__alloc_release(struct zh__alloc *a, const struct zh__extent *e)
{
	unsigned i = free_after(a, e->offset_bytes);
	struct zh__extent *prev = i > 0 ? &a->free[i - 1] : NULL;
	struct zh__extent *next = i < a->free_count ? &a->free[i] : NULL;
	uint64_t end = e->offset_bytes + e->len_bytes;

	/* Releasing space that is already free is a bookkeeping bug, not an I/O error. */
	ZH_ASSERT(e->len_bytes > 0 && end <= a->dev_bytes);
	ZH_ASSERT(prev == NULL || prev->offset_bytes + prev->len_bytes <= e->offset_bytes);
	ZH_ASSERT(next == NULL || end <= next->offset_bytes);
	a->free_bytes += e->len_bytes;
	if (prev != NULL && prev->offset_bytes + prev->len_bytes == e->offset_bytes) {
		prev->len_bytes += e->len_bytes;
		if (next != NULL && end == next->offset_bytes) {
			prev->len_bytes += next->len_bytes;
			free_remove(a, i);
		}
	} else if (next != NULL && end == next->offset_bytes) {
		next->offset_bytes = e->offset_bytes;
		next->len_bytes += e->len_bytes;
	} else if (!free_insert(a, i, *e)) {
		a->free_bytes -= e->len_bytes;
		a->release_dropped_bytes += e->len_bytes; /* design note 1 */
	}
}

int zh__alloc_mark_used(struct zh__alloc *a, const struct zh__extent *e)
{
	unsigned i = free_after(a, e->offset_bytes);
	struct zh__extent *f = i > 0 ? &a->free[i - 1] : NULL;
	uint64_t end = e->offset_bytes + e->len_bytes;
	struct zh__extent tail;

	if (e->len_bytes == 0 || end < e->offset_bytes || end > a->dev_bytes)
		return -EUCLEAN;
	if (f == NULL || end > f->offset_bytes + f->len_bytes)
		return -EUCLEAN; /* overlaps used space: committed twice */
	tail = (struct zh__extent){end, f->offset_bytes + f->len_bytes - end};
	f->len_bytes = e->offset_bytes - f->offset_bytes;
	a->free_bytes -= e->len_bytes;
	if (tail.len_bytes > 0 && f->len_bytes > 0 && !free_insert(a, i, tail)) {
		/*
		 * The array is full (design note 1). Extents load in offset order, so the ones to
		 * come lie in the tail: keep it in the head's place and count the head instead.
		 */
		a->free_bytes -= f->len_bytes;
		a->release_dropped_bytes += f->len_bytes;
		*f = tail;
		return 0;
	}
	if (f->len_bytes == 0) {
		if (tail.len_bytes > 0)
			*f = tail;
		else
			free_remove(a, i - 1);
	}
	return 0;
}

void zh__alloc_key(uint16_t dev, uint64_t offset, uint8_t key[ZH__ALLOC_KEY_BYTES])
{
	/* Big-endian, so that the index's key order is (device, offset) order. */
	key[0] = (uint8_t)(dev >> 8);
	key[1] = (uint8_t)dev;
	for (unsigned i = 0; i < 8; i++)
		key[2 + i] = (uint8_t)(offset >> (56 - 8 * i));
}

void zh__alloc_persist_used(struct zh_index_batch *b, uint16_t dev, const struct zh__extent *e)
{
	uint8_t key[ZH__ALLOC_KEY_BYTES], val[8];

	zh__alloc_key(dev, e->offset_bytes, key);
	zh_le_put(val, e->len_bytes, sizeof(val));
	zh_index_batch_put(b, ZH_INDEX_CF_ALLOC, key, sizeof(key), val, sizeof(val));
}

void zh__alloc_persist_freed(struct zh_index_batch *b, uint16_t dev, const struct zh__extent *e)
{
	uint8_t key[ZH__ALLOC_KEY_BYTES];

	zh__alloc_key(dev, e->offset_bytes, key);
	zh_index_batch_delete(b, ZH_INDEX_CF_ALLOC, key, sizeof(key));
}

int zh__alloc_record_parse(const void *key, size_t key_len, const void *val, size_t val_len,
			   uint16_t *dev, struct zh__extent *e)
{
	const uint8_t *k = key;

	if (key_len != ZH__ALLOC_KEY_BYTES || val_len != 8)
		return -EUCLEAN;
	*dev = (uint16_t)(k[0] << 8 | k[1]);
	e->offset_bytes = 0;
	for (unsigned i = 0; i < 8; i++)
		e->offset_bytes = e->offset_bytes << 8 | k[2 + i];
	e->len_bytes = zh_le_get(val, 8);
	return 0;
}

static int load_one(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct zh__extent e;
	uint16_t dev;
	int rc = zh__alloc_record_parse(key, key_len, val, val_len, &dev, &e);

	return rc < 0 ? rc : zh__alloc_mark_used(ctx, &e);
}

int zh__alloc_load(struct zh__alloc *a, struct zh_index *index, uint16_t dev)
{
	uint8_t prefix[2] = {(uint8_t)(dev >> 8), (uint8_t)dev};

	return zh_index_scan(index, ZH_INDEX_CF_ALLOC, prefix, sizeof(prefix), load_one, a);
}
