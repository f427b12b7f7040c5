/* SPDX-License-Identifier: MIT */
/*
 * store: the hot-object cache (DESIGN.md section 3: "hot objects come from the in-memory
 * cache"). It holds small objects, the ones a metadata lookup costs most for: an inline object
 * read from the index is copied in, and the next get of it touches neither RocksDB nor its crc.
 *
 * Layout: 16 shards, each a mutex, a set-associative table (buckets of 8 entries, no
 * tombstones) and a data log: a circular arena written front to back. An entry names the log
 * position of its bytes and is valid while the log has not come round over them, so eviction
 * is FIFO and costs nothing; a bucket's victim is an invalid entry or its oldest. All memory is
 * allocated at open.
 *
 * Deletes: a get reads the shard's generation before its index lookup and inserts only if no
 * delete bumped it meanwhile, so an object deleted under a get never comes back from the cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

#define BUCKET_WAYS 8
#define AVG_OBJECT  4096 /* sizes the tables: one entry per 4 KiB of arena */

struct cache_entry {
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	uint64_t pos; /* log position of the bytes */
	uint32_t len; /* 0: empty */
};

static struct zh__cache_shard *shard_of(struct zh__cache *c, const uint8_t *hash)
{
	/* Content hashes are uniform: their bytes pick shard and bucket directly. */
	return &c->shard[hash[0] % ZH__CACHE_SHARDS];
}

static struct cache_entry *bucket_of(const struct zh__cache_shard *sh, const uint8_t *hash)
{
	uint32_t h;

	memcpy(&h, hash + 4, sizeof(h));
	return &sh->entries[(size_t)(h & (sh->bucket_count - 1)) * BUCKET_WAYS];
}

static bool entry_valid(const struct zh__cache *c, const struct zh__cache_shard *sh,
			const struct cache_entry *e)
{
	return e->len > 0 && e->pos + c->arena_bytes >= sh->head;
}

int zh__cache_init(struct zh__cache *c, uint64_t bytes, uint32_t object_max)
{
	uint64_t buckets;

	memset(c, 0, sizeof(*c));
	c->object_max = object_max;
	c->arena_bytes = bytes / ZH__CACHE_SHARDS;
	buckets = c->arena_bytes / AVG_OBJECT / BUCKET_WAYS;
	if (bytes == 0 || object_max == 0)
		return 0;
	/* Buckets are counted in 32 bits, a power of two: an arena past that is not a cache. */
	if (c->arena_bytes < 4ull * object_max || buckets >= (1ull << 31))
		return -EINVAL;
	for (unsigned i = 0; i < ZH__CACHE_SHARDS; i++) {
		struct zh__cache_shard *sh = &c->shard[i];

		pthread_mutex_init(&sh->lock, NULL);
		sh->bucket_count = zh_pow2_at_least_u32((uint32_t)buckets + 1);
		sh->arena = malloc(c->arena_bytes);
		sh->entries = calloc((size_t)sh->bucket_count * BUCKET_WAYS, sizeof(*sh->entries));
	}
	/* Enabled, destroy frees every shard: so also when one of them could not be had. */
	c->enabled = true;
	for (unsigned i = 0; i < ZH__CACHE_SHARDS; i++) {
		if (c->shard[i].arena == NULL || c->shard[i].entries == NULL) {
			zh__cache_destroy(c);
			return -ENOMEM;
		}
	}
	return 0;
}

void zh__cache_destroy(struct zh__cache *c)
{
	for (unsigned i = 0; c->enabled && i < ZH__CACHE_SHARDS; i++) {
		free(c->shard[i].arena);
		free(c->shard[i].entries);
		pthread_mutex_destroy(&c->shard[i].lock);
	}
	c->enabled = false;
}

static struct cache_entry *lookup(const struct zh__cache *c, struct zh__cache_shard *sh,
				  const uint8_t *hash)
{
	struct cache_entry *b = bucket_of(sh, hash);

	for (unsigned w = 0; w < BUCKET_WAYS; w++) {
		if (entry_valid(c, sh, &b[w]) && memcmp(b[w].hash, hash, ZH_CODEC_HASH_BYTES) == 0)
			return &b[w];
	}
	return NULL;
}

long zh__cache_get(struct zh__cache *c, const uint8_t *hash, uint8_t *out, uint64_t *gen)
{
	struct zh__cache_shard *sh;
	struct cache_entry *e;
	long n = -ENOENT;

	if (!c->enabled)
		return -ENOENT;
	sh = shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	e = lookup(c, sh, hash);
	if (e != NULL) {
		n = e->len;
		memcpy(out, sh->arena + e->pos % c->arena_bytes, e->len);
	}
	*gen = sh->gen;
	pthread_mutex_unlock(&sh->lock);
	atomic_fetch_add_explicit(n >= 0 ? &c->hits : &c->misses, 1, memory_order_relaxed);
	return n;
}

/* Room for len bytes at the log head, never straddling the arena's end. */
static uint64_t log_append(const struct zh__cache *c, struct zh__cache_shard *sh, uint32_t len)
{
	uint64_t at = sh->head;

	if (at % c->arena_bytes + len > c->arena_bytes)
		at += c->arena_bytes - at % c->arena_bytes;
	sh->head = at + len;
	return at;
}

void zh__cache_put(struct zh__cache *c, const uint8_t *hash, const void *data, uint32_t len,
		   uint64_t gen)
{
	struct zh__cache_shard *sh;
	struct cache_entry *b, *victim;

	if (!c->enabled || len == 0 || len > c->object_max)
		return;
	sh = shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	if (sh->gen != gen || lookup(c, sh, hash) != NULL) {
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	b = bucket_of(sh, hash);
	victim = &b[0];
	for (unsigned w = 0; w < BUCKET_WAYS; w++) {
		if (!entry_valid(c, sh, &b[w])) {
			victim = &b[w];
			break;
		}
		if (b[w].pos < victim->pos)
			victim = &b[w];
	}
	victim->pos = log_append(c, sh, len);
	victim->len = len;
	memcpy(victim->hash, hash, ZH_CODEC_HASH_BYTES);
	memcpy(sh->arena + victim->pos % c->arena_bytes, data, len);
	pthread_mutex_unlock(&sh->lock);
}

void zh__cache_invalidate(struct zh__cache *c, const uint8_t *hash)
{
	struct zh__cache_shard *sh;
	struct cache_entry *e;

	if (!c->enabled)
		return;
	sh = shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	e = lookup(c, sh, hash);
	if (e != NULL)
		e->len = 0;
	sh->gen++;
	pthread_mutex_unlock(&sh->lock);
}
