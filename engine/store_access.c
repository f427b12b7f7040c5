/* SPDX-License-Identifier: MIT */
/*
 * store: objects' access statistics (last accessed, access count), kept the way a filesystem
 * mounted with lazytime keeps atime. A get counts itself in memory: 16 shards, each a fixed
 * open-addressed table behind its own lock (one uncontended lock and a short probe per get).
 * The index thread writes what accumulated into the access column family as the first batch of
 * a commit group: at least every access_flush_ms (default 1 s), sooner when a table is 3/4
 * full, on zh_store_flush_access(), and at close.
 *
 * Why not a metadata write per get: a synced RocksDB write costs ~100x a cached get, and a
 * rewrite of the object record would copy an inline object's 16 KiB to count one read. Why a
 * column family of its own: a 24-byte value per object, written without touching the record.
 * What it costs in safety: a crash of the process loses nothing that reached the WAL; a crash
 * of the machine may lose the last interval's counts. They are statistics, not data (DESIGN.md
 * invariant 4 is about objects). A table that fills faster than the index thread drains it
 * drops the access and counts it (zh_store_stats.access_dropped): memory stays bounded.
 *
 * Ordering with deletes: the access batch is built before, and applied before, the other
 * batches of its group, and it names only objects that exist when it is built; a delete that
 * removes the last reference also removes the object's access record. So no access record
 * outlives its object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/store_internal.h"

#define ACCESS_FLUSH_SHIFT 2 /* a table more than 3/4 full asks for a flush */
#define ACCESS_FULL_SHIFT  3 /* a table more than 7/8 full drops new objects' accesses */

int zh__access_init(struct zh__access *a, bool enabled, uint32_t flush_ms)
{
	memset(a, 0, sizeof(*a));
	a->enabled = enabled;
	if (!enabled)
		return 0;
	a->flush_interval_ns = (uint64_t)(flush_ms > 0 ? flush_ms : 1000) * 1000000u;
	a->next_flush_ns = zh_clock_ns() + a->flush_interval_ns;
	a->drain = calloc(ZH__ACCESS_SHARD_ENTRIES, sizeof(*a->drain));
	if (a->drain == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < ZH__ACCESS_SHARDS; i++) {
		struct zh__access_shard *sh = &a->shard[i];

		pthread_mutex_init(&sh->lock, NULL);
		/* calloc: the tables' pages are touched only as objects are read. */
		sh->entries = calloc(ZH__ACCESS_SHARD_ENTRIES, sizeof(*sh->entries));
		if (sh->entries == NULL)
			return -ENOMEM;
	}
	return 0;
}

void zh__access_destroy(struct zh__access *a)
{
	if (!a->enabled)
		return;
	for (unsigned i = 0; i < ZH__ACCESS_SHARDS; i++) {
		pthread_mutex_destroy(&a->shard[i].lock);
		free(a->shard[i].entries);
	}
	free(a->drain);
	a->enabled = false;
}

/* The hash is SHA-256: its first bytes are as good an index as any. */
static uint64_t hash_word(const uint8_t *hash)
{
	uint64_t w;

	memcpy(&w, hash, sizeof(w));
	return w;
}

/* The entry for \p hash, or the empty one where it would go; NULL when the probe found neither. */
static struct zh__access_entry *shard_find(struct zh__access_shard *sh, const uint8_t *hash)
{
	uint32_t mask = ZH__ACCESS_SHARD_ENTRIES - 1;
	uint32_t at = (uint32_t)(hash_word(hash) >> 4) & mask;

	for (uint32_t probe = 0; probe <= mask; probe++, at = (at + 1) & mask) {
		struct zh__access_entry *e = &sh->entries[at];

		if (e->count == 0 || memcmp(e->hash, hash, ZH_CODEC_HASH_BYTES) == 0)
			return e;
	}
	return NULL;
}

static void flush_ask(struct zh_store *s)
{
	struct zh__indexer *ix = &s->ix;

	if (atomic_exchange(&s->access.flush_wanted, true))
		return; /* already asked */
	pthread_mutex_lock(&ix->lock);
	pthread_cond_signal(&ix->cond);
	pthread_mutex_unlock(&ix->lock);
}

void zh__access_record(struct zh_store *s, const uint8_t *hash)
{
	struct zh__access *a = &s->access;
	struct zh__access_shard *sh = &a->shard[hash_word(hash) % ZH__ACCESS_SHARDS];
	struct zh__access_entry *e;
	struct timespec now;
	bool ask = false;

	if (!a->enabled)
		return;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	pthread_mutex_lock(&sh->lock);
	e = shard_find(sh, hash);
	if (e != NULL && e->count == 0) {
		if (sh->used >=
		    ZH__ACCESS_SHARD_ENTRIES - (ZH__ACCESS_SHARD_ENTRIES >> ACCESS_FULL_SHIFT))
			e = NULL;
		else {
			memcpy(e->hash, hash, ZH_CODEC_HASH_BYTES);
			sh->used++;
			atomic_fetch_add_explicit(&a->pending, 1, memory_order_relaxed);
			ask = sh->used >= ZH__ACCESS_SHARD_ENTRIES -
					      (ZH__ACCESS_SHARD_ENTRIES >> ACCESS_FLUSH_SHIFT);
		}
	}
	if (e != NULL) {
		e->count++;
		e->last_unix_s = (uint64_t)now.tv_sec;
	}
	pthread_mutex_unlock(&sh->lock);
	if (e == NULL)
		atomic_fetch_add_explicit(&a->dropped, 1, memory_order_relaxed);
	if (ask)
		flush_ask(s);
}

bool zh__access_due(struct zh_store *s, uint64_t now_ns)
{
	struct zh__access *a = &s->access;

	if (!a->enabled || atomic_load_explicit(&a->pending, memory_order_relaxed) == 0)
		return false;
	return atomic_load(&a->flush_wanted) || now_ns >= a->next_flush_ns;
}

/* Copy one shard's entries out and empty it. \return how many. */
static uint32_t shard_drain(struct zh__access *a, struct zh__access_shard *sh)
{
	uint32_t n = 0;

	pthread_mutex_lock(&sh->lock);
	for (uint32_t i = 0; i < ZH__ACCESS_SHARD_ENTRIES && n < sh->used; i++) {
		if (sh->entries[i].count == 0)
			continue;
		a->drain[n++] = sh->entries[i];
		sh->entries[i].count = 0;
	}
	ZH_ASSERT(n == sh->used);
	sh->used = 0;
	pthread_mutex_unlock(&sh->lock);
	atomic_fetch_sub_explicit(&a->pending, n, memory_order_relaxed);
	return n;
}

static int exists_fn(void *ctx, const void *val, size_t val_len)
{
	(void)ctx;
	(void)val;
	(void)val_len;
	return 0;
}

/* Add one drained entry to what is committed for its object, if the object still exists. */
static int entry_build(struct zh_store *s, struct zh_index_batch *b,
		       const struct zh__access_entry *e)
{
	uint8_t val[ZH__ACCESS_REC_BYTES];
	uint64_t last = 0, count = 0;
	long n;
	int rc = zh_index_get_with(s->index, ZH_INDEX_CF_OBJECTS, e->hash, ZH_CODEC_HASH_BYTES,
				   exists_fn, NULL);

	if (rc == -ENOENT)
		return 0; /* deleted since its get: nothing to count */
	if (rc < 0)
		return rc;
	n = zh_index_get(s->index, ZH_INDEX_CF_ACCESS, e->hash, ZH_CODEC_HASH_BYTES, val,
			 sizeof(val));
	if (n < 0 && n != -ENOENT)
		return (int)n;
	/* A damaged record (fsck reports it) is statistics: start it again rather than fail. */
	if (n >= 0 && zh__access_rec_unpack(val, (size_t)n, &last, &count) < 0)
		last = count = 0;
	zh__access_rec_pack(e->last_unix_s > last ? e->last_unix_s : last, count + e->count, val);
	zh_index_batch_put(b, ZH_INDEX_CF_ACCESS, e->hash, ZH_CODEC_HASH_BYTES, val, sizeof(val));
	return 0;
}

/*
 * A failed build loses what it drained: the batch is not written. Those accesses are counted
 * as dropped (zh_store_stats.access_dropped), like those a full table turns away.
 */
int zh__access_build(struct zh_store *s, struct zh_index_batch *b)
{
	struct zh__access *a = &s->access;
	uint64_t drained = 0;
	int rc = 0;

	atomic_store(&a->flush_wanted, false);
	a->next_flush_ns = zh_clock_ns() + a->flush_interval_ns;
	for (unsigned i = 0; i < ZH__ACCESS_SHARDS; i++) {
		uint32_t n = shard_drain(a, &a->shard[i]);

		drained += n;
		for (uint32_t j = 0; j < n && rc == 0; j++)
			rc = entry_build(s, b, &a->drain[j]);
	}
	if (rc < 0)
		atomic_fetch_add_explicit(&a->dropped, drained, memory_order_relaxed);
	return rc;
}

int zh_store_flush_access(struct zh_store *s)
{
	struct zh__ireq req = {.op = ZH__IREQ_ACCESS_FLUSH};

	if (s->read_only)
		return -EROFS;
	return zh__indexer_call(s, &req);
}
