/* SPDX-License-Identifier: MIT */
/*
 * store: the get pipeline and delete. The caller's thread reads the object record and, chunk by
 * chunk, the chunk records (RocksDB reads are fine off the reactors), and hands each chunk to a
 * reactor in a slot. The reactor reads the k data shards from their devices and checks each
 * shard's crc as it lands; for every shard that is missing, unreadable, short or corrupt it
 * asks for one more (parity) shard, until k good ones are in or none is left. The codec then
 * rebuilds what is missing and undoes compression into the slot; the caller streams slots out
 * in order, and queues a chunk that needed parity for repair. Ranges touch only the chunks they
 * cover.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

#define GET_INFLIGHT_MAX 8 /* chunks of one get in flight at once */

/* ---- reactor side -------------------------------------------------------------------------- */

static void chunk_advance(struct zh_reactor *r, struct zh__slot *slot);
static void shard_read_issue(struct zh_reactor *r, struct zh__shard_op *op);

static unsigned slot_shards(const struct zh__slot *slot)
{
	return (unsigned)slot->rec.hdr.ec_k + slot->rec.hdr.ec_m;
}

static void shard_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct zh__shard_op *op = ZH_CONTAINER_OF(io, struct zh__shard_op, io);
	struct zh__slot *slot = op->slot;
	const struct zh_codec_hdr *hdr = &slot->rec.hdr;
	uint32_t stride = zh__stride(slot->store, hdr->shard_bytes);

	ZH_ASSERT(slot->pending > 0);
	slot->pending--;
	if (io->res == (int32_t)stride &&
	    zh_codec_crc32c(slot->shard[op->shard], hdr->shard_bytes) == hdr->shard_crc[op->shard])
		slot->present |= 1u << op->shard;
	else
		atomic_fetch_add_explicit(&slot->store->core[zh_reactor_id(r)].shards_bad, 1,
					  memory_order_relaxed);
	chunk_advance(r, slot);
}

static void shard_read_retry(struct zh_reactor *r, struct zh_timer *t)
{
	struct zh__shard_op *op = ZH_CONTAINER_OF(t, struct zh__shard_op, retry);

	op->slot->pending--;
	shard_read_issue(r, op);
	chunk_advance(r, op->slot);
}

/* Ask for one shard. A device that is gone fails at once; a full SQ retries shortly. */
static void shard_read_issue(struct zh_reactor *r, struct zh__shard_op *op)
{
	struct zh__slot *slot = op->slot;
	uint32_t stride = zh__stride(slot->store, slot->rec.hdr.shard_bytes);
	const struct zh__shard_loc *loc = &slot->rec.loc[op->shard];
	int rc = zh_reactor_read_shared(r, loc->dev, slot->shard[op->shard], stride,
					loc->offset_bytes, &op->io, shard_read_done);

	if (rc == -EAGAIN)
		ZH_ASSERT(zh_reactor_timer_start(r, &op->retry, zh_reactor_now_ns(r) + 20000,
						 shard_read_retry) == 0);
	if (rc == 0 || rc == -EAGAIN)
		slot->pending++;
	else
		atomic_fetch_add_explicit(&slot->store->core[zh_reactor_id(r)].shards_bad, 1,
					  memory_order_relaxed);
}

/* Ask for \p need shards not yet tried, data shards first. */
static void shards_request(struct zh_reactor *r, struct zh__slot *slot, unsigned need)
{
	for (unsigned i = 0; i < slot_shards(slot) && need > 0; i++) {
		if (slot->tried & (1u << i))
			continue;
		slot->tried |= 1u << i;
		need--;
		shard_read_issue(r, &slot->op[i]);
	}
}

static void chunk_decode(struct zh_reactor *r, struct zh__slot *slot)
{
	struct zh_store *s = slot->store;
	struct zh__core *core = &s->core[zh_reactor_id(r)];
	const uint8_t *shards[ZH_CODEC_SHARDS_MAX];
	uint32_t data_mask = zh__shards_mask(slot->rec.hdr.ec_k);
	int rc;

	for (unsigned i = 0; i < slot_shards(slot); i++)
		shards[i] = slot->shard[i];
	rc = zh_codec_chunk_decode(
	    core->codec, &slot->rec.hdr, shards, slot->present, s->rec.encrypted ? &s->key : NULL,
	    slot->bound ? slot->bind : NULL, slot->raw, s->rec.chunk_bytes, NULL);
	slot->rc = rc < 0 ? rc : 0;
	slot->degraded = (slot->present & data_mask) != data_mask;
	/* Client reads only: scrub and fsck read every shard and count what they find. */
	if (slot->degraded && !slot->read_all)
		atomic_fetch_add_explicit(&core->degraded_reads, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&core->chunks_read, 1, memory_order_relaxed);
}

static void chunk_advance(struct zh_reactor *r, struct zh__slot *slot)
{
	unsigned k = slot->rec.hdr.ec_k;

	while (slot->pending == 0) {
		unsigned have = (unsigned)__builtin_popcount(slot->present);

		if (have >= k) {
			chunk_decode(r, slot);
			zh__slot_done(slot);
			return;
		}
		if ((unsigned)__builtin_popcount(slot->tried) == slot_shards(slot)) {
			slot->rc = -EIO;
			zh__slot_done(slot);
			return;
		}
		shards_request(r, slot, k - have);
	}
}

void zh__get_chunk_msg(struct zh_reactor *r, void *arg)
{
	struct zh__slot *slot = arg;

	slot->present = 0;
	slot->tried = 0;
	slot->pending = 0;
	if (slot->read_all)
		shards_request(r, slot, slot_shards(slot));
	chunk_advance(r, slot);
}

/* ---- caller side --------------------------------------------------------------------------- */

struct get_ctx {
	struct zh_store *store;
	struct zh__object_rec obj;
	const uint8_t *hash;
	uint64_t offset, end;
	zh_store_sink_fn sink;
	void *sink_ctx;
	struct zh__slot *inflight[GET_INFLIGHT_MAX];
	unsigned head, count;
	int rc;
	/* The first chunk that failed, and the record it was read by (had_rec): get_raced(). */
	bool failed, failed_had_rec;
	uint32_t failed_index;
	struct zh__chunk_rec failed_rec;
};

/* Chunk \p index failed, read by \p rec (NULL: its record could not be read). */
static void get_failed(struct get_ctx *g, uint32_t index, const struct zh__chunk_rec *rec)
{
	g->failed = true;
	g->failed_index = index;
	g->failed_had_rec = rec != NULL;
	if (rec != NULL)
		g->failed_rec = *rec;
}

int zh__chunk_rec_load(struct zh_store *s, const uint8_t *hash, uint32_t index,
		       struct zh__chunk_rec *rec)
{
	uint8_t key[ZH__CHUNK_KEY_BYTES];
	uint8_t val[ZH__CHUNK_REC_BYTES];
	long n;

	zh__chunk_key(hash, index, key);
	n = zh_index_get(s->index, ZH_INDEX_CF_CHUNKS, key, sizeof(key), val, sizeof(val));
	if (n == -ENOENT)
		return -EUCLEAN; /* the object record names a chunk that is not there */
	if (n < 0)
		return (int)n;
	if ((size_t)n > sizeof(val))
		return -EUCLEAN;
	return zh__chunk_rec_parse(&s->rec, val, (size_t)n, rec);
}

/* Wait for the oldest chunk and stream the part of it the range wants. */
static void get_retire_one(struct get_ctx *g)
{
	struct zh__slot *slot = g->inflight[g->head];
	uint64_t start = (uint64_t)slot->chunk_index * g->obj.chunk_bytes;
	uint64_t from = g->offset > start ? g->offset - start : 0;
	uint64_t to = g->end - start < slot->raw_bytes ? g->end - start : slot->raw_bytes;

	zh__slot_wait(slot);
	g->head = (g->head + 1) % GET_INFLIGHT_MAX;
	g->count--;
	if (g->rc == 0 && slot->rc < 0) {
		g->rc = slot->rc;
		get_failed(g, slot->chunk_index, &slot->rec);
	}
	if (slot->rc == 0 && slot->degraded)
		zh__repair_enqueue(g->store, g->hash, slot->chunk_index);
	if (g->rc == 0)
		g->rc = g->sink(g->sink_ctx, slot->raw + from, (size_t)(to - from));
	zh__slot_put(g->store, slot);
}

static int get_dispatch(struct get_ctx *g, uint32_t index)
{
	struct zh__chunk_rec rec;
	struct zh__slot *slot;
	int rc = zh__chunk_rec_load(g->store, g->hash, index, &rec);
	bool loaded = rc == 0;

	if (loaded && !zh__chunk_rec_fits(&g->obj, index, &rec))
		rc = -EUCLEAN;
	if (rc < 0) {
		get_failed(g, index, loaded ? &rec : NULL);
		return rc;
	}
	if (g->count == GET_INFLIGHT_MAX)
		get_retire_one(g);
	/* While the pool is empty, finish our own oldest chunk to free a slot. */
	while ((slot = zh__slot_get(g->store, g->count == 0)) == NULL)
		get_retire_one(g);
	slot->rec = rec;
	slot->chunk_index = index;
	slot->raw_bytes = rec.hdr.raw_bytes;
	zh__slot_bind(slot, &g->obj, index);
	g->inflight[(g->head + g->count) % GET_INFLIGHT_MAX] = slot;
	g->count++;
	zh__post_control(g->store, slot->coord, zh__get_chunk_msg, slot);
	return 0;
}

static int get_chunked(struct get_ctx *g)
{
	uint32_t first = (uint32_t)(g->offset / g->obj.chunk_bytes);
	uint32_t last = (uint32_t)((g->end - 1) / g->obj.chunk_bytes);

	for (uint32_t c = first; c <= last && g->rc == 0; c++) {
		int rc = get_dispatch(g, c);

		if (rc < 0 && g->rc == 0)
			g->rc = rc;
	}
	while (g->count > 0)
		get_retire_one(g);
	return g->rc;
}

/*
 * An object record as the store may have written it. Its encryption is the store's: an inline
 * record of an encrypted store that says "plain" would be served as it is, unauthenticated
 * (its crc has no key), and such a record is damaged, not data. In a bound store an encrypted
 * chunked record is sealed to its hash: one moved from another object's key fails here.
 */
static int object_parse(const struct zh_store *s, const uint8_t *hash, const uint8_t *val,
			size_t len, struct zh__object_rec *rec)
{
	int rc = zh__object_rec_unpack(val, len, rec);

	if (rc == 0 && rec->encrypted != s->rec.encrypted)
		rc = -EUCLEAN;
	if (rc == 0)
		rc = zh__object_seal_check(s, hash, rec);
	return rc;
}

void zh__slot_bind(struct zh__slot *slot, const struct zh__object_rec *obj, uint32_t index)
{
	slot->bound = obj->bound;
	if (obj->bound)
		zh__chunk_bind(obj->put_id, index, slot->bind);
}

int zh__object_load(struct zh_store *s, const uint8_t *hash, uint8_t *buf, size_t cap,
		    struct zh__object_rec *rec)
{
	long n = zh_index_get(s->index, ZH_INDEX_CF_OBJECTS, hash, ZH_CODEC_HASH_BYTES, buf, cap);

	if (n < 0)
		return (int)n;
	if ((size_t)n > cap)
		return -EUCLEAN;
	return object_parse(s, hash, buf, (size_t)n, rec);
}

struct get_lookup {
	struct get_ctx *g;
	uint64_t len;
	uint64_t cache_gen; /* the cache's generation before the lookup */
	bool streamed;	    /* an inline object went to the sink */
	uint8_t *plain;	    /* room to open a sealed inline object into */
	size_t plain_cap;
};

/* Clamp [offset, offset + len) to an object of \p size bytes. \return the end, or -EINVAL. */
static int range_end(uint64_t size, uint64_t offset, uint64_t len, uint64_t *end)
{
	if (offset > size)
		return -EINVAL;
	*end = len > size - offset ? size : offset + len;
	return 0;
}

/* Stream an inline object's plaintext \p data, and cache it. */
static int inline_stream(struct get_lookup *l, const uint8_t *data)
{
	struct get_ctx *g = l->g;

	zh__cache_put(&g->store->cache, g->hash, data, (uint32_t)g->obj.size_bytes, l->cache_gen);
	l->streamed = true;
	return g->end == g->offset
		   ? 0
		   : g->sink(g->sink_ctx, data + g->offset, (size_t)(g->end - g->offset));
}

/* A sealed inline object: opened into the caller's room, or a buffer when it is larger. */
static int inline_open_stream(struct get_lookup *l)
{
	struct get_ctx *g = l->g;
	size_t size = (size_t)g->obj.size_bytes;
	uint8_t *plain = size <= l->plain_cap ? l->plain : malloc(size);
	int rc = plain != NULL ? 0 : -ENOMEM;

	if (rc == 0)
		rc = zh__inline_open(g->store, g->hash, g->obj.inline_data, size, plain);
	if (rc == 0)
		rc = inline_stream(l, plain);
	if (plain != l->plain)
		free(plain);
	return rc;
}

/* The object record, pinned by the index: plain inline objects stream from it without a copy. */
static int object_seen(void *arg, const void *val, size_t val_len)
{
	struct get_lookup *l = arg;
	struct get_ctx *g = l->g;
	int rc = object_parse(g->store, g->hash, val, val_len, &g->obj);

	if (rc == 0)
		rc = range_end(g->obj.size_bytes, g->offset, l->len, &g->end);
	if (rc < 0)
		return rc;
	if (g->obj.layout != ZH_OBJECT_INLINE)
		return 0;
	return g->obj.encrypted ? inline_open_stream(l) : inline_stream(l, g->obj.inline_data);
}

/* A hit in the hot-object cache: no index lookup, no crc (it was checked on the way in). */
static int get_hot(const uint8_t *data, uint64_t size, uint64_t offset, uint64_t len,
		   zh_store_sink_fn sink, void *ctx)
{
	uint64_t end;
	int rc = range_end(size, offset, len, &end);

	if (rc == 0 && end > offset)
		rc = sink(ctx, data + offset, (size_t)(end - offset));
	return rc;
}

static bool chunk_rec_same(const struct zh__chunk_rec *a, const struct zh__chunk_rec *b)
{
	unsigned shards = a->hdr.ec_k + a->hdr.ec_m;

	if (shards != b->hdr.ec_k + b->hdr.ec_m)
		return false;
	for (unsigned i = 0; i < shards; i++) {
		if (a->loc[i].dev != b->loc[i].dev ||
		    a->loc[i].offset_bytes != b->loc[i].offset_bytes)
			return false;
	}
	return true;
}

/*
 * A chunked read that failed may have raced a delete: the object's record read first, its
 * chunks' records or shards gone (or their extents reused) after. What happened is told apart
 * from damage: -ENOENT when the object is gone, -EAGAIN when it was deleted and put again
 * meanwhile (a new put's record or chunks); the failure as it was otherwise. A damaged chunk
 * record (-EUCLEAN) or, in a bound store, content that did not match its hash (-EBADMSG) was
 * returned for such a race. Scrub skips objects deleted under it the same way.
 */
static int get_raced(struct get_ctx *g, int rc)
{
	uint8_t buf[ZH__OBJECT_REC_MAX];
	struct zh__object_rec obj;
	struct zh__chunk_rec now;
	int orc = zh__object_load(g->store, g->hash, buf, sizeof(buf), &obj);

	if (orc == -ENOENT)
		return -ENOENT;
	if (orc < 0)
		return rc;
	if (obj.created_unix_s != g->obj.created_unix_s ||
	    memcmp(obj.put_id, g->obj.put_id, sizeof(obj.put_id)) != 0)
		return -EAGAIN;
	if (zh__chunk_rec_load(g->store, g->hash, g->failed_index, &now) < 0)
		return rc;
	return g->failed_had_rec && chunk_rec_same(&now, &g->failed_rec) ? rc : -EAGAIN;
}

/* A get through the index: an inline object streams from its record, a chunked one is read. */
static int get_indexed(struct get_ctx *g, struct get_lookup *l)
{
	int rc = zh_index_get_with(g->store->index, ZH_INDEX_CF_OBJECTS, g->hash,
				   ZH_CODEC_HASH_BYTES, object_seen, l);

	/* The record's strings pointed into the index's memory: gone now, and not needed. */
	memset(g->obj.str, 0, sizeof(g->obj.str));
	g->obj.inline_data = NULL;
	if (rc == 0 && !l->streamed && g->end > g->offset)
		rc = get_chunked(g);
	if (rc < 0 && g->failed)
		rc = get_raced(g, rc);
	return rc;
}

int zh_store_get(struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES], uint64_t offset,
		 uint64_t len, zh_store_sink_fn sink, void *ctx)
{
	struct get_ctx g = {
	    .store = s,
	    .hash = hash,
	    .offset = offset,
	    .sink = sink,
	    .sink_ctx = ctx,
	};
	uint8_t hot[ZH__CACHE_OBJECT_MAX];
	struct get_lookup l = {&g, len, 0, false, hot, sizeof(hot)};
	long hot_len = zh__cache_get(&s->cache, hash, hot, &l.cache_gen);
	int rc = hot_len >= 0 ? get_hot(hot, (uint64_t)hot_len, offset, len, sink, ctx)
			      : get_indexed(&g, &l);

	if (rc == 0) {
		atomic_fetch_add(&s->gets, 1);
		zh__access_record(s, hash);
	}
	return rc;
}

int zh_store_delete(struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	struct zh__ireq req = {.op = ZH__IREQ_DELETE};
	int rc;

	if (s->read_only)
		return -EROFS;
	memcpy(req.hash, hash, ZH_CODEC_HASH_BYTES);
	rc = zh__indexer_call(s, &req);
	/* After the commit: a get racing it may have cached the object from before. */
	zh__cache_invalidate(&s->cache, hash);
	if (rc == 0)
		atomic_fetch_add(&s->deletes, 1);
	return rc;
}
