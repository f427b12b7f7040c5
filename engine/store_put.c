/* SPDX-License-Identifier: MIT */
/*
 * store: the put pipeline. The caller's thread fills chunk slots and hands each full one to a
 * reactor (round robin). That reactor encodes it (hash, compress, parity, crcs), lays every
 * shard out block-aligned in the slot, and sends each shard to the reactor that owns its
 * device; the owner reserves an extent, writes it with FUA and answers. When the caller has
 * every chunk back, in order, it computes the object's tree hash and asks the index thread to
 * commit object record, chunk records and extents in one synced batch (DESIGN.md invariant 4:
 * data durable before the metadata that points at it). Objects up to small_max_bytes skip the
 * reactors: they go whole into their metadata record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/store_internal.h"

#define PUT_INFLIGHT_MAX 8 /* chunks of one put in flight at once */

struct zh_store_put {
	struct zh_store *store;
	struct zh_codec_tree *tree;
	struct zh__object_rec obj;
	char meta_copy[4 * (ZH_STORE_META_STR_MAX + 1) + ZH_STORE_TAGS_MAX + 1];
	uint64_t size_bytes;
	int rc;
	struct zh__slot *filling;		     /* chunk being filled, or NULL */
	struct zh__slot *inflight[PUT_INFLIGHT_MAX]; /* dispatched, oldest first */
	unsigned inflight_head, inflight_count;
	uint32_t next_chunk;
	struct zh__chunk_rec *chunks; /* retired chunks, in order */
	size_t chunks_cap;
	uint8_t *small;	 /* the object while it is still small */
	uint8_t *sealed; /* encrypted store: the inline object as stored */
	bool borrow;	 /* zh_store_put: whole chunks are encoded from the caller's buffer */
};

/* ---- reactor side -------------------------------------------------------------------------- */

static void shard_done_msg(struct zh_reactor *r, void *arg);
static void shard_write_start(struct zh_reactor *r, struct zh__shard_op *op);
static void shard_write_queue(struct zh_reactor *r, struct zh__shard_op *op, uint32_t stride);

static struct zh_store *op_store(const struct zh__shard_op *op)
{
	return op->slot->store;
}

/*
 * A write cut short (fewer bytes than asked, as a file's write may be) goes on from the last
 * whole block it moved, as zhtp-bench's transfers do: the put failed with EIO before. A cut
 * inside a block rewrites that block from its start (its bytes are still in the source). A
 * piece that moved no whole block fails the write, so each resume moves at least a block and
 * a device that keeps cutting ends after stride / block of them. \return whether it went on.
 */
static bool shard_write_resumed(struct zh_reactor *r, struct zh__shard_op *op, uint32_t stride,
				int32_t res)
{
	struct zh_store *s = op_store(op);
	uint32_t whole = res > 0 ? (uint32_t)res - (uint32_t)res % s->rec.block_bytes : 0;

	if (whole == 0 || whole >= stride - op->moved)
		return false;
	op->moved += whole;
	atomic_fetch_add_explicit(&s->core[zh_reactor_id(r)].short_writes, 1, memory_order_relaxed);
	shard_write_queue(r, op, stride);
	return true;
}

static void shard_write_done(struct zh_reactor *r, struct zh_io *io)
{
	struct zh__shard_op *op = ZH_CONTAINER_OF(io, struct zh__shard_op, io);
	struct zh_store *s = op_store(op);
	uint32_t stride = zh__stride(s, op->slot->rec.hdr.shard_bytes);
	bool done = io->res == (int32_t)(stride - op->moved); /* all that was left of it */

	if (!done && shard_write_resumed(r, op, stride, io->res))
		return;
	op->rc = done ? 0 : io->res < 0 ? io->res : -EIO;
	if (op->rc < 0 && !op->slot->in_place) {
		struct zh__extent e = {op->loc.offset_bytes, stride};

		zh__alloc_release(s->alloc[op->loc.dev], &e);
	}
	zh__post_reactor(r, op->slot->coord, shard_done_msg, op);
}

static void shard_write_retry(struct zh_reactor *r, struct zh_timer *t)
{
	shard_write_start(r, ZH_CONTAINER_OF(t, struct zh__shard_op, retry));
}

/* Write what is left of the shard: [moved, stride) of it. */
static void shard_write_queue(struct zh_reactor *r, struct zh__shard_op *op, uint32_t stride)
{
	struct zh_store *s = op_store(op);
	const uint8_t *src = op->src + op->moved;
	uint32_t len = stride - op->moved;
	uint64_t offset = op->loc.offset_bytes + op->moved;
	int rc = zh__in_region(s, op->src)
		     ? zh_reactor_write_shared(r, op->loc.dev, src, len, offset, ZH_NVME_IO_FUA,
					       &op->io, shard_write_done)
		     : zh_reactor_write_mem(r, op->loc.dev, src, len, offset, ZH_NVME_IO_FUA,
					    &op->io, shard_write_done);

	if (rc == -EAGAIN) {
		/* Submission queue full for now: try again shortly (timers are sized for it). */
		ZH_ASSERT(zh_reactor_timer_start(r, &op->retry, zh_reactor_now_ns(r) + 20000,
						 shard_write_retry) == 0);
		return;
	}
	if (rc < 0) {
		struct zh__extent e = {op->loc.offset_bytes, stride};

		if (!op->slot->in_place)
			zh__alloc_release(s->alloc[op->loc.dev], &e);
		op->rc = rc;
		zh__post_reactor(r, op->slot->coord, shard_done_msg, op);
	}
}

/* On the device's owner: reserve an extent (once) and write the shard there. */
static void shard_write_start(struct zh_reactor *r, struct zh__shard_op *op)
{
	struct zh_store *s = op_store(op);
	uint32_t stride = zh__stride(s, op->slot->rec.hdr.shard_bytes);
	struct zh__alloc *a = s->alloc[op->loc.dev];
	struct zh__extent e;

	/* Reserve once (a retry comes back here with its extent); a repair has its extent. */
	if (!op->slot->in_place && op->loc.offset_bytes == 0) {
		op->rc = a != NULL ? zh__alloc_reserve(a, stride, &e) : -ENODEV;
		if (op->rc < 0) {
			zh__post_reactor(r, op->slot->coord, shard_done_msg, op);
			return;
		}
		op->loc.offset_bytes = e.offset_bytes;
	}
	shard_write_queue(r, op, stride);
}

void zh__shard_write_msg(struct zh_reactor *r, void *arg)
{
	shard_write_start(r, arg);
}

/* The `auto` level: this chunk's compression and write times move its reactor's level. */
static void level_adapt(struct zh_reactor *r, const struct zh__slot *slot)
{
	struct zh__core *core = &slot->store->core[zh_reactor_id(r)];
	int level =
	    zh__level_adapt(&core->level, slot->compress_ns, zh_clock_ns() - slot->write_start_ns);

	if (level != atomic_load_explicit(&core->level_now, memory_order_relaxed)) {
		ZH_ASSERT(zh_codec_set_zstd_level(core->codec, level) == 0);
		atomic_store_explicit(&core->level_now, level, memory_order_relaxed);
	}
}

static void slot_finish(struct zh_reactor *r, struct zh__slot *slot)
{
	struct zh_store *s = slot->store;
	unsigned shards = (unsigned)slot->rec.hdr.ec_k + slot->rec.hdr.ec_m;

	/*
	 * A failed put frees what it wrote, a failed move the new extents it wrote (its other
	 * shards stay where their record says); a failed repair wrote over committed extents.
	 */
	for (unsigned i = 0; i < shards && slot->rc < 0 && !slot->in_place; i++) {
		struct zh__shard_op *op = &slot->op[i];
		bool written = !slot->moving || (slot->rewrite & (1u << i));

		if (op->rc == 0 && written)
			zh__release_from_reactor(
			    s, r,
			    zh__extent_pack(s, op->loc.dev, op->loc.offset_bytes,
					    zh__stride(s, slot->rec.hdr.shard_bytes)));
	}
	if (slot->rc == 0 && !slot->in_place && !slot->moving)
		atomic_fetch_add_explicit(&s->core[zh_reactor_id(r)].chunks_written, 1,
					  memory_order_relaxed);
	if (slot->rc == 0 && slot->compress_ns > 0)
		level_adapt(r, slot);
	zh__slot_done(slot);
}

static void shard_done_msg(struct zh_reactor *r, void *arg)
{
	struct zh__shard_op *op = arg;
	struct zh__slot *slot = op->slot;

	ZH_ASSERT(slot->pending > 0);
	if (op->rc < 0 && slot->rc == 0)
		slot->rc = op->rc;
	if (op->rc == 0)
		slot->rec.loc[op->shard] = op->loc;
	if (--slot->pending == 0)
		slot_finish(r, slot);
}

/*
 * Point each shard op at block-aligned bytes, stride long. A data shard that already is (a
 * plain chunk whose shards are whole blocks, in the slot's raw buffer or in an aligned caller
 * buffer; a transformed payload whose shard_bytes is the stride, laid by the codec straight
 * into the slot's data shards) is written from where it lies. Any other moves into its slot
 * shard buffer and is zero-padded to the stride. A transformed payload lies shard_bytes apart
 * from slot->shard[0], so shards move highest first: shard i only moves up, over bytes no
 * lower shard still needs (those lie below i * shard_bytes <= i * stride).
 */
static void shards_lay_out(struct zh__slot *slot, const struct zh_codec_encoded *enc,
			   uint32_t stride)
{
	struct zh_store *s = slot->store;
	unsigned k = enc->hdr.ec_k, shards = k + enc->hdr.ec_m;
	uint32_t len = enc->hdr.shard_bytes;

	for (unsigned i = shards; i-- > 0;) {
		struct zh__shard_op *op = &slot->op[i];

		if (i < k && len == stride && (uintptr_t)enc->shard[i] % s->rec.block_bytes == 0) {
			op->src = enc->shard[i];
			continue;
		}
		if (i < k)
			memmove(slot->shard[i], enc->shard[i], len);
		memset(slot->shard[i] + len, 0, stride - len);
		op->src = slot->shard[i];
	}
}

static uint64_t codec_compress_ns(const struct zh_codec *codec)
{
	struct zh_codec_stats st;

	zh_codec_stats_get(codec, &st);
	return st.compress_ns;
}

/* The slow-codec fault: spin, as a slower codec would keep the core busy. */
static void encode_delay(uint64_t delay_ns)
{
	uint64_t until_ns = zh_clock_ns() + delay_ns;

	while (zh_clock_ns() < until_ns)
		;
}

void zh__put_chunk_msg(struct zh_reactor *r, void *arg)
{
	struct zh__slot *slot = arg;
	struct zh_store *s = slot->store;
	struct zh__core *core = &s->core[zh_reactor_id(r)];
	unsigned k = s->rec.ec_k, shards = k + s->rec.ec_m;
	bool adapt = s->zstd_level == ZH_STORE_ZSTD_AUTO;
	uint64_t compress_before = adapt ? codec_compress_ns(core->codec) : 0;
	uint64_t encode_start_ns = adapt ? zh_clock_ns() : 0;
	const struct zh_codec_key *key = s->rec.encrypted ? &s->key : NULL;
	uint8_t nonce[ZH_CODEC_NONCE_BYTES];
	struct zh_codec_encoded enc;
	int rc;

	if (key != NULL)
		zh__nonce_next(&core->nonce, nonce);
	/* A transformed payload goes straight into the slot's data shards (k strides of room,
	 * at least zh_codec_data_bytes_max()): written from there, no copy. */
	rc = zh_codec_chunk_encode(core->codec, slot->src, slot->raw_bytes, key,
				   key != NULL ? nonce : NULL, slot->bound ? slot->bind : NULL,
				   slot->shard[0], slot->shard + k, &enc);
	if (s->encode_delay_ns != 0)
		encode_delay(s->encode_delay_ns);

	atomic_fetch_sub_explicit(&core->encodes_queued, 1, memory_order_relaxed);
	if (adapt)
		zh__level_encoded(&core->level, encode_start_ns, zh_clock_ns(),
				  zh_reactor_io_wait_ns(r));
	if (rc < 0) {
		slot->rc = rc;
		zh__slot_done(slot);
		return;
	}
	/* The `auto` level learns from compressed chunks only (see level_adapt). */
	slot->compress_ns = adapt && (enc.hdr.flags & ZH_CODEC_F_COMPRESSED)
				? codec_compress_ns(core->codec) - compress_before
				: 0;
	slot->rec.hdr = enc.hdr;
	memcpy(slot->rec.hash, enc.hash, sizeof(enc.hash));
	shards_lay_out(slot, &enc, zh__stride(s, enc.hdr.shard_bytes));
	slot->pending = shards;
	slot->write_start_ns = zh_clock_ns();
	for (unsigned i = 0; i < shards; i++) {
		struct zh__shard_op *op = &slot->op[i];

		op->rc = 0;
		op->moved = 0;
		op->loc.dev = s->place[(slot->chunk_index + i) % s->place_count];
		op->loc.offset_bytes = 0; /* block 0 is the superblock: never an extent */
		zh__post_reactor(r, zh__dev_owner(s, op->loc.dev), zh__shard_write_msg, op);
	}
}

/* ---- caller side --------------------------------------------------------------------------- */

static int put_meta_copy(struct zh_store_put *p, const struct zh_object_meta *meta)
{
	char *at = p->meta_copy;
	int rc = zh__object_rec_set_meta(&p->obj, meta);

	if (rc < 0)
		return rc;
	/* Keep our own copy: the caller's strings need not outlive begin. */
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(p->obj.str); i++) {
		memcpy(at, p->obj.str[i], p->obj.str_len[i]);
		p->obj.str[i] = at;
		at += p->obj.str_len[i] + 1;
	}
	return 0;
}

int zh_store_put_begin(struct zh_store *s, const struct zh_object_meta *meta,
		       struct zh_store_put **out)
{
	struct zh_store_put *p;
	int rc;

	if (s->read_only)
		return -EROFS;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->store = s;
	p->small = malloc(s->rec.small_max_bytes > 0 ? s->rec.small_max_bytes : 1);
	rc = p->small != NULL ? zh_codec_tree_create(&p->tree) : -ENOMEM;
	if (rc == 0)
		rc = put_meta_copy(p, meta);
	if (rc < 0) {
		zh_store_put_abort(p);
		return rc;
	}
	zh_codec_tree_reset(p->tree, s->rec.chunk_bytes);
	/* Bound from its first chunk on; an object that stays inline drops it at commit. */
	p->obj.bound = s->rec.bound;
	if (p->obj.bound)
		zh__nonce_next(&s->inline_nonce, p->obj.put_id);
	*out = p;
	return 0;
}

static int chunks_append(struct zh_store_put *p, const struct zh__chunk_rec *rec)
{
	if (p->obj.chunk_count == p->chunks_cap) {
		struct zh__chunk_rec *c = zh__array_grow(p->chunks, &p->chunks_cap, sizeof(*c), 16);

		if (c == NULL)
			return -ENOMEM;
		p->chunks = c;
	}
	p->chunks[p->obj.chunk_count++] = *rec;
	return 0;
}

/* Wait for the oldest chunk in flight and take its result (or its error). */
static void put_retire_one(struct zh_store_put *p)
{
	struct zh__slot *slot = p->inflight[p->inflight_head];
	int rc;

	zh__slot_wait(slot);
	p->inflight_head = (p->inflight_head + 1) % PUT_INFLIGHT_MAX;
	p->inflight_count--;
	rc = slot->rc;
	if (rc == 0) {
		zh_codec_tree_add(p->tree, slot->rec.hash, slot->raw_bytes);
		p->obj.stored_bytes += slot->rec.hdr.stored_bytes;
		rc = chunks_append(p, &slot->rec);
	}
	if (rc < 0 && p->rc == 0)
		p->rc = rc;
	zh__slot_put(p->store, slot);
}

/*
 * The reactor with the fewest chunks waiting to be encoded. Round-robin left a pinned core idle
 * while the other had a queue (24% of a 16 MiB put's samples were idle): encoding is the CPU
 * cost of a put, and the chunks of one object need not be encoded on any one core.
 */
static unsigned encode_coord(struct zh_store *s, unsigned start)
{
	unsigned best = start % s->reactor_count;
	uint32_t best_queued = UINT32_MAX;

	for (unsigned i = 0; i < s->reactor_count; i++) {
		unsigned c = (start + i) % s->reactor_count;
		uint32_t q = atomic_load_explicit(&s->core[c].encodes_queued, memory_order_relaxed);

		if (q < best_queued) {
			best = c;
			best_queued = q;
		}
	}
	atomic_fetch_add_explicit(&s->core[best].encodes_queued, 1, memory_order_relaxed);
	return best;
}

static void put_dispatch(struct zh_store_put *p)
{
	struct zh__slot *slot = p->filling;

	p->filling = NULL;
	zh__slot_filled(p->store);
	if (p->inflight_count == PUT_INFLIGHT_MAX)
		put_retire_one(p);
	slot->chunk_index = p->next_chunk++;
	zh__slot_bind(slot, &p->obj, slot->chunk_index);
	slot->coord = encode_coord(p->store, slot->coord);
	p->inflight[(p->inflight_head + p->inflight_count) % PUT_INFLIGHT_MAX] = slot;
	p->inflight_count++;
	zh__post_control(p->store, slot->coord, zh__put_chunk_msg, slot);
}

/*
 * A slot to fill: while none may be taken (none free, or half of them being filled by puts),
 * finish our own oldest chunk, which frees one, or else wait.
 */
static void put_slot_take(struct zh_store_put *p)
{
	struct zh__slot *slot;

	while ((slot = zh__slot_get_to_fill(p->store, p->inflight_count == 0)) == NULL)
		put_retire_one(p);
	slot->raw_bytes = 0;
	slot->src = slot->raw;
	p->filling = slot;
}

/*
 * Cut the stream into chunks in slots. A one-shot put's caller buffer outlives the put, so its
 * whole chunks are not copied: the slot points at them (a 16 MiB put spent 12% of its CPU
 * copying into slots), and a block-aligned one is even written from there (shards_lay_out).
 */
static void put_fill(struct zh_store_put *p, const uint8_t *data, size_t len)
{
	struct zh_store *s = p->store;

	while (len > 0) {
		size_t n;

		if (p->filling == NULL)
			put_slot_take(p);
		n = s->rec.chunk_bytes - p->filling->raw_bytes;
		n = n < len ? n : len;
		if (p->borrow && n == s->rec.chunk_bytes)
			p->filling->src = data;
		else
			memcpy(p->filling->raw + p->filling->raw_bytes, data, n);
		p->filling->raw_bytes += (uint32_t)n;
		data += n;
		len -= n;
		if (p->filling->raw_bytes == s->rec.chunk_bytes)
			put_dispatch(p);
	}
}

int zh_store_put_write(struct zh_store_put *p, const void *data, size_t len)
{
	uint32_t small_max = p->store->rec.small_max_bytes;
	uint64_t was = p->size_bytes;

	if (p->rc < 0)
		return p->rc;
	if (len > ZH__OBJECT_MAX_BYTES - p->size_bytes)
		return p->rc = -EFBIG;
	p->size_bytes += len;
	if (p->size_bytes <= small_max) {
		memcpy(p->small + was, data, len);
		return 0;
	}
	if (was <= small_max && was > 0)
		put_fill(p, p->small, was); /* it outgrew the inline size: chunk what we kept */
	put_fill(p, data, len);
	return p->rc;
}

static void put_drain(struct zh_store_put *p)
{
	while (p->inflight_count > 0)
		put_retire_one(p);
}

static void put_release_all(struct zh_store_put *p)
{
	for (uint32_t c = 0; c < p->obj.chunk_count; c++)
		zh__chunk_release(p->store, &p->chunks[c], UINT32_MAX);
}

static void put_free(struct zh_store_put *p)
{
	if (p->filling != NULL) {
		zh__slot_filled(p->store);
		zh__slot_put(p->store, p->filling);
	}
	zh_codec_tree_destroy(p->tree);
	free(p->chunks);
	free(p->small);
	free(p->sealed);
	free(p);
}

void zh_store_put_abort(struct zh_store_put *p)
{
	if (p == NULL)
		return;
	put_drain(p);
	put_release_all(p);
	put_free(p);
}

/* An encrypted store keeps the inline object sealed: nonce, tag, ciphertext. */
static int put_seal_inline(struct zh_store_put *p, const uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	p->sealed = malloc(ZH__SEAL_BYTES + p->size_bytes);
	if (p->sealed == NULL)
		return -ENOMEM;
	p->obj.inline_data = p->sealed;
	return zh__inline_seal(p->store, hash, p->small, p->size_bytes, p->sealed);
}

static int put_hash_inline(struct zh_store_put *p, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	uint8_t leaf[ZH_CODEC_HASH_BYTES];
	int rc = 0;

	/* The empty object has no chunk, hence no leaf (docs/format.md). */
	if (p->size_bytes > 0) {
		zh_codec_leaf_hash(NULL, p->small, p->size_bytes, leaf);
		zh_codec_tree_add(p->tree, leaf, (uint32_t)p->size_bytes);
	}
	zh_codec_tree_final(p->tree, hash);
	p->obj.layout = ZH_OBJECT_INLINE;
	p->obj.inline_data = p->small;
	if (p->obj.encrypted)
		rc = put_seal_inline(p, hash);
	if (rc < 0)
		return rc;
	p->obj.stored_bytes = zh__object_rec_inline_bytes(&p->obj);
	p->obj.inline_crc = zh_codec_crc32c(p->obj.inline_data, p->obj.stored_bytes);
	return 0;
}

static int put_commit(struct zh_store_put *p, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	struct zh_store *s = p->store;
	struct zh__ireq req = {.op = ZH__IREQ_PUT};
	int rc;

	p->obj.size_bytes = p->size_bytes;
	p->obj.chunk_bytes = s->rec.chunk_bytes;
	p->obj.ec_k = s->rec.ec_k;
	p->obj.ec_m = s->rec.ec_m;
	p->obj.created_unix_s = (uint64_t)time(NULL);
	p->obj.refcount = 1;
	p->obj.encrypted = s->rec.encrypted;
	if (p->size_bytes <= s->rec.small_max_bytes) {
		p->obj.bound = false;
		rc = put_hash_inline(p, hash);
	} else {
		p->obj.layout = ZH_OBJECT_CHUNKED;
		zh_codec_tree_final(p->tree, hash);
		rc = p->obj.bound ? zh__object_seal(s, hash, &p->obj) : 0;
	}
	if (rc < 0) {
		put_release_all(p);
		return rc;
	}
	memcpy(req.hash, hash, ZH_CODEC_HASH_BYTES);
	req.obj = p->obj;
	req.chunks = p->chunks;
	rc = zh__indexer_call(s, &req);
	if (rc == 0 && !req.dedup)
		return 0;
	if (rc == 0)
		atomic_fetch_add(&s->put_dedups, 1);
	/*
	 * A duplicate keeps the stored copy, and a request refused before its commit stored
	 * nothing: free our shards. A failed commit may still surface after a restart, so its
	 * extents stay taken (the store refuses changes until reopened, and reopening rebuilds
	 * the allocators from what was committed).
	 */
	if (rc == 0 || !req.committing)
		put_release_all(p);
	return rc;
}

int zh_store_put_finish(struct zh_store_put *p, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	int rc;

	if (p->rc == 0 && p->filling != NULL)
		put_dispatch(p);
	put_drain(p);
	rc = p->rc;
	if (rc < 0) {
		put_release_all(p);
		put_free(p);
		return rc;
	}
	rc = put_commit(p, hash);
	if (rc == 0)
		atomic_fetch_add(&p->store->puts, 1);
	put_free(p);
	return rc;
}

int zh_store_put(struct zh_store *s, const void *data, size_t len,
		 const struct zh_object_meta *meta, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	struct zh_store_put *p;
	int rc = zh_store_put_begin(s, meta, &p);

	if (rc < 0)
		return rc;
	p->borrow = true;
	rc = zh_store_put_write(p, data, len);
	if (rc < 0) {
		zh_store_put_abort(p);
		return rc;
	}
	return zh_store_put_finish(p, hash);
}

int zh_store_ref(struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	struct zh__ireq req = {.op = ZH__IREQ_REF};
	int rc;

	if (s->read_only)
		return -EROFS;
	memcpy(req.hash, hash, ZH_CODEC_HASH_BYTES);
	rc = zh__indexer_call(s, &req);
	if (rc == 0)
		atomic_fetch_add(&s->refs, 1);
	return rc;
}

/* ---- the `auto` zstd level ------------------------------------------------------------------ */

void zh__level_ctl_init(struct zh__level_ctl *c)
{
	*c = (struct zh__level_ctl){.level = ZH__AUTO_LEVEL_START};
}

static unsigned share_pct(uint64_t part_ns, uint64_t span_ns)
{
	return part_ns >= span_ns ? 100 : (unsigned)(part_ns * 100 / span_ns);
}

void zh__level_encoded(struct zh__level_ctl *c, uint64_t start_ns, uint64_t end_ns,
		       uint64_t io_wait_ns)
{
	uint64_t span_ns;

	ZH_ASSERT(end_ns >= start_ns);
	if (c->encodes++ == 0) {
		c->span_start_ns = start_ns;
		c->encode_ns = 0;
		c->io_wait_start_ns = io_wait_ns;
	}
	c->encode_ns += end_ns - start_ns;
	if (c->encodes < ZH__AUTO_WINDOW)
		return;
	ZH_ASSERT(io_wait_ns >= c->io_wait_start_ns);
	span_ns = end_ns > c->span_start_ns ? end_ns - c->span_start_ns : 1;
	c->busy_pct = share_pct(c->encode_ns, span_ns);
	c->io_wait_pct = share_pct(io_wait_ns - c->io_wait_start_ns, span_ns);
	c->encodes = 0;
}

static int level_decide(const struct zh__level_ctl *c)
{
	if (c->busy_pct >= ZH__AUTO_BUSY_DOWN)
		return c->level > ZH__AUTO_LEVEL_MIN ? c->level - 1 : c->level;
	if (c->io_wait_pct >= ZH__AUTO_IO_WAIT_UP && c->write_ns > 2 * c->compress_ns)
		return c->level < ZH__AUTO_LEVEL_MAX ? c->level + 1 : c->level;
	if (c->compress_ns > c->write_ns && c->level > ZH__AUTO_LEVEL_MIN)
		return c->level - 1;
	return c->level;
}

int zh__level_adapt(struct zh__level_ctl *c, uint64_t compress_ns, uint64_t write_ns)
{
	c->compress_ns += compress_ns;
	c->write_ns += write_ns;
	if (++c->samples < ZH__AUTO_WINDOW)
		return c->level;
	c->level = level_decide(c);
	c->samples = 0;
	c->compress_ns = 0;
	c->write_ns = 0;
	return c->level;
}
