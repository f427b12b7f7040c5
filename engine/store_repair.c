/* SPDX-License-Identifier: MIT */
/*
 * store: checking and repairing chunks. zh__chunk_check reads every shard of a chunk through
 * the get pipeline in read-all mode; fsck and scrub use it. To repair, the chunk's reactor
 * rebuilds the bad shards from k good ones (ISA-L reconstruction, each result checked against
 * the crc its record promises) and the devices' owners write them back where they were, with
 * FUA: the chunk record and the allocator do not change, so a repair needs no metadata commit,
 * and a lost device given a fresh superblock (replace_lost_devs) is rebuilt by the same path.
 * A chunk put while a device was missing has more shards on some device than the spread
 * allows; once every device is back, repair moves the extra shards to new extents on the
 * others and commits the chunk's new record (the one metadata change repair makes).
 *
 * Degraded reads queue their chunk here; a background thread repairs the queue at a bounded
 * rate. The queue lives in memory: chunks queued when the process stops are found by scrub.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/store_internal.h"

/* ---- reactor side -------------------------------------------------------------------------- */

/* Write the slot's shards of slot->rewrite where their ops point, each from its slot buffer. */
static void rewrite_shards_post(struct zh_reactor *r, struct zh__slot *slot)
{
	unsigned shards = (unsigned)slot->rec.hdr.ec_k + slot->rec.hdr.ec_m;

	slot->pending = (uint32_t)__builtin_popcount(slot->rewrite);
	for (unsigned i = 0; i < shards; i++) {
		struct zh__shard_op *op = &slot->op[i];

		if (!(slot->rewrite & (1u << i)))
			continue;
		op->rc = 0;
		op->src = slot->shard[i];
		op->moved = 0;
		zh__post_reactor(r, zh__dev_owner(slot->store, op->loc.dev), zh__shard_write_msg,
				 op);
	}
}

/* On the chunk's reactor, after a read-all: rebuild the shards not present and write them. */
static void repair_chunk_msg(struct zh_reactor *r, void *arg)
{
	struct zh__slot *slot = arg;
	struct zh_store *s = slot->store;
	const struct zh_codec_hdr *hdr = &slot->rec.hdr;
	unsigned shards = (unsigned)hdr->ec_k + hdr->ec_m;
	uint32_t rebuild = slot->rewrite;
	uint32_t stride = zh__stride(s, hdr->shard_bytes);
	int rc = zh_codec_ec_reconstruct(s->core[zh_reactor_id(r)].codec, hdr->shard_bytes,
					 (const uint8_t *const *)slot->shard, slot->present,
					 slot->shard, rebuild);

	for (unsigned i = 0; rc == 0 && i < shards; i++) {
		if (!(rebuild & (1u << i)))
			continue;
		memset(slot->shard[i] + hdr->shard_bytes, 0, stride - hdr->shard_bytes);
		if (zh_codec_crc32c(slot->shard[i], hdr->shard_bytes) != hdr->shard_crc[i])
			rc = -EIO;
		slot->op[i].loc = slot->rec.loc[i]; /* in place */
	}
	slot->rc = rc;
	if (rc < 0 || rebuild == 0) {
		zh__slot_done(slot);
		return;
	}
	rewrite_shards_post(r, slot);
}

/*
 * On the chunk's reactor: write the shards of slot->rewrite to new extents on the devices
 * their ops name (each owner reserves one). Each shard is checked against its crc first: a
 * move must copy exactly what the record promises, never a shard the check did not vouch for.
 */
static void respread_chunk_msg(struct zh_reactor *r, void *arg)
{
	struct zh__slot *slot = arg;
	const struct zh_codec_hdr *hdr = &slot->rec.hdr;
	unsigned shards = (unsigned)hdr->ec_k + hdr->ec_m;

	slot->rc = 0;
	for (unsigned i = 0; i < shards; i++) {
		if ((slot->rewrite & (1u << i)) &&
		    zh_codec_crc32c(slot->shard[i], hdr->shard_bytes) != hdr->shard_crc[i])
			slot->rc = -EIO;
	}
	if (slot->rc < 0) {
		zh__slot_done(slot);
		return;
	}
	rewrite_shards_post(r, slot);
}

/* ---- checking one chunk -------------------------------------------------------------------- */

static void slot_run(struct zh_store *s, struct zh__slot *slot, zh_msg_fn fn)
{
	atomic_store_explicit(&slot->done, 0, memory_order_relaxed);
	zh__post_control(s, slot->coord, fn, slot);
	zh__slot_wait(slot);
}

/* True when the committed record of the chunk still is \p rec (not deleted, not replaced). */
static bool record_current(struct zh_store *s, const uint8_t *hash, uint32_t index,
			   const struct zh__chunk_rec *rec)
{
	struct zh__chunk_rec now;

	return zh__chunk_rec_load(s, hash, index, &now) == 0 && zh__chunk_rec_equal(rec, &now);
}

/* Rewrite the slot's bad shards in place, under the write lock (see struct zh__repairer). */
static int chunk_rewrite(struct zh_store *s, struct zh__slot *slot, const uint8_t *hash,
			 struct zh__chunk_check *res)
{
	int rc = 0;

	pthread_mutex_lock(&s->rp.write_lock);
	if (!record_current(s, hash, slot->chunk_index, &slot->rec)) {
		res->changed = true;
	} else {
		slot->in_place = true;
		slot_run(s, slot, repair_chunk_msg);
		rc = slot->rc;
	}
	pthread_mutex_unlock(&s->rp.write_lock);
	if (rc == 0 && !res->changed) {
		res->repaired = (unsigned)__builtin_popcount(slot->rewrite);
		atomic_fetch_add(&s->rp.chunks_repaired, 1);
		atomic_fetch_add(&s->rp.shards_repaired, res->repaired);
	}
	return rc;
}

/* True when device \p d looks as if it has room for one more shard of \p stride bytes. */
static bool dev_has_room(const struct zh_store *s, unsigned d, uint32_t stride)
{
	return __atomic_load_n(&s->alloc[d]->free_bytes, __ATOMIC_RELAXED) >= stride;
}

/*
 * Plan a respread: while a device holds more of the chunk's shards than the spread allows, one
 * of them moves to the device holding fewest, taken in the chunk's placement order so that
 * chunks moved together spread over the devices. Every device is present, so one below the
 * limit always exists; one without room is passed over (its reserve would fail the move at
 * every scrub). Parity goes first (shards from the highest): a get reads data shards, so one
 * that raced the move rarely reads a moved shard. Sets each moving op's device (offset 0: its
 * owner reserves an extent). \return the mask of shards to move.
 */
static uint32_t respread_plan(const struct zh_store *s, struct zh__slot *slot)
{
	unsigned shards = (unsigned)slot->rec.hdr.ec_k + slot->rec.hdr.ec_m;
	unsigned most = zh__spread_most(&s->rec, shards);
	uint32_t stride = zh__stride(s, slot->rec.hdr.shard_bytes);
	uint8_t on[ZH_STORE_DEVS_MAX] = {0};
	uint32_t move = 0;

	for (unsigned i = 0; i < shards; i++)
		on[slot->rec.loc[i].dev]++;
	for (unsigned i = shards; i-- > 0;) {
		unsigned from = slot->rec.loc[i].dev, to = ZH_STORE_DEVS_MAX;

		if (on[from] <= most)
			continue;
		for (unsigned j = 0; j < s->place_count; j++) {
			unsigned d = s->place[(slot->chunk_index + j) % s->place_count];

			if (on[d] < most && dev_has_room(s, d, stride) &&
			    (to == ZH_STORE_DEVS_MAX || on[d] < on[to]))
				to = d;
		}
		if (to == ZH_STORE_DEVS_MAX)
			break; /* the devices below the limit are full */
		on[from]--;
		on[to]++;
		move |= 1u << i;
		slot->op[i].loc = (struct zh__shard_loc){.dev = (uint16_t)to, .offset_bytes = 0};
	}
	return move;
}

/*
 * Move shards off a device that holds more of the chunk than the spread allows (a put while a
 * device was missing crowded the others), then commit the record that points at their new
 * extents, if it is still the record they were read by. Only with every device present: the
 * spread is over all of them, and a chunk is then moved once, not once per missing device.
 * The old extents are freed by the commit, under the write lock (a rewrite in place into one
 * of them finishes first); a get that read the old record meanwhile fails as racing a change
 * (-EAGAIN).
 */
static int chunk_respread(struct zh_store *s, struct zh__slot *slot, const uint8_t *hash,
			  struct zh__chunk_check *res)
{
	struct zh__chunk_rec from = slot->rec;
	struct zh__ireq req = {.op = ZH__IREQ_MOVE, .chunk_index = slot->chunk_index};
	int rc;

	if (s->place_count != s->rec.dev_count)
		return 0;
	slot->rewrite = respread_plan(s, slot);
	if (slot->rewrite == 0)
		return 0;
	slot->in_place = false; /* a rewrite just now wrote in place; a move never does */
	slot->moving = true;
	slot_run(s, slot, respread_chunk_msg);
	slot->moving = false;
	if (slot->rc < 0) {
		/* The writes that went through were freed when the slot finished. */
		slot->rec = from;
		return slot->rc;
	}
	memcpy(req.hash, hash, ZH_CODEC_HASH_BYTES);
	req.chunks = &slot->rec;
	req.moved_from = &from;
	rc = zh__indexer_call(s, &req);
	if (rc == 0) {
		res->respread = (unsigned)__builtin_popcount(slot->rewrite);
		atomic_fetch_add(&s->rp.chunks_respread, 1);
		atomic_fetch_add(&s->rp.shards_respread, res->respread);
	} else if (!req.committing) {
		zh__chunk_release(s, &slot->rec, slot->rewrite); /* wrote, not committed */
	}
	if (rc == -ESTALE) {
		res->changed = true;
		rc = 0;
	}
	return rc;
}

/* The shards of \p mask that sit on devices this store has open. */
static uint32_t shards_on_present_devs(const struct zh_store *s, const struct zh__chunk_rec *rec,
				       uint32_t mask)
{
	uint32_t out = 0;

	for (unsigned i = 0; i < ZH_CODEC_SHARDS_MAX; i++) {
		if ((mask & (1u << i)) && s->dev[rec->loc[i].dev] != NULL)
			out |= 1u << i;
	}
	return out;
}

int zh__chunk_check(struct zh_store *s, const uint8_t *hash, const struct zh__object_rec *obj,
		    uint32_t index, const struct zh__chunk_rec *rec, bool repair,
		    struct zh__chunk_check *res)
{
	struct zh__slot *slot = zh__slot_get(s, true);
	uint8_t got[ZH_CODEC_HASH_BYTES];
	int rc = 0;

	*res = (struct zh__chunk_check){.shards = (unsigned)rec->hdr.ec_k + rec->hdr.ec_m};
	slot->rec = *rec;
	slot->chunk_index = index;
	slot->raw_bytes = rec->hdr.raw_bytes;
	zh__slot_bind(slot, obj, index);
	slot->read_all = true;
	slot_run(s, slot, zh__get_chunk_msg);
	res->bytes_read = (uint64_t)res->shards * zh__stride(s, rec->hdr.shard_bytes);
	res->bad_mask = zh__shards_mask(res->shards) & ~slot->present;
	res->bad = (unsigned)__builtin_popcount(res->bad_mask);
	slot->rewrite = shards_on_present_devs(s, rec, res->bad_mask);
	res->on_absent = res->bad - (unsigned)__builtin_popcount(slot->rewrite);
	if (slot->rc < 0) {
		res->lost = true;
	} else {
		zh_codec_leaf_hash(NULL, slot->raw, slot->raw_bytes, got);
		res->hash_bad = memcmp(got, rec->hash, sizeof(got)) != 0;
	}
	/* Rebuild only from a chunk that decodes to its hash: never spread bad content. */
	if (repair && slot->rewrite != 0 && !res->lost && !res->hash_bad)
		rc = chunk_rewrite(s, slot, hash, res);
	/*
	 * With every device present, the slot now holds every shard intact: read so, or rebuilt
	 * by the rewrite (respread_chunk_msg checks each crc once more before it writes).
	 */
	if (repair && rc == 0 && !res->lost && !res->hash_bad && !res->changed)
		rc = chunk_respread(s, slot, hash, res);
	/* A finding on a chunk deleted while it was read is not a problem. A rewrite has just
	 * checked the record under the write lock: no second lookup then. */
	if ((res->bad > 0 || res->lost || res->hash_bad) && res->repaired == 0 && !res->changed &&
	    !record_current(s, hash, index, rec))
		res->changed = true;
	zh__slot_put(s, slot);
	return rc;
}

/* ---- pacing -------------------------------------------------------------------------------- */

void zh__pace_init(struct zh__pace *p, uint64_t rate)
{
	*p = (struct zh__pace){.rate = rate, .start_ns = zh_clock_ns()};
}

void zh__pace_add(struct zh__pace *p, uint64_t bytes)
{
	uint64_t now = zh_clock_ns(), due_ns;

	if (p->rate == 0 || p->rate == UINT64_MAX)
		return;
	/* Idle for long (an empty queue): start afresh rather than burst to catch up. */
	if (now - p->start_ns >
	    (uint64_t)((double)p->bytes * 1e9 / (double)p->rate) + 1000000000u) {
		p->start_ns = now;
		p->bytes = 0;
	}
	p->bytes += bytes;
	due_ns = p->start_ns + (uint64_t)((double)p->bytes * 1e9 / (double)p->rate);
	if (due_ns > now) {
		struct timespec ts = {(time_t)((due_ns - now) / 1000000000u),
				      (long)((due_ns - now) % 1000000000u)};

		nanosleep(&ts, NULL);
	}
}

/* ---- the repair queue and its thread ------------------------------------------------------- */

void zh__repair_enqueue(struct zh_store *s, const uint8_t *hash, uint32_t chunk)
{
	struct zh__repairer *rp = &s->rp;
	bool queued = false, known = false;

	if (!rp->started)
		return;
	pthread_mutex_lock(&rp->lock);
	for (unsigned i = 0; i < rp->count && !known; i++) {
		const struct zh__repair_item *it =
		    &rp->queue[(rp->head + i) % ZH__REPAIR_QUEUE_MAX];

		known = it->chunk == chunk && memcmp(it->hash, hash, ZH_CODEC_HASH_BYTES) == 0;
	}
	if (!known && rp->count < ZH__REPAIR_QUEUE_MAX) {
		struct zh__repair_item *it =
		    &rp->queue[(rp->head + rp->count) % ZH__REPAIR_QUEUE_MAX];

		memcpy(it->hash, hash, ZH_CODEC_HASH_BYTES);
		it->chunk = chunk;
		rp->count++;
		queued = true;
		pthread_cond_signal(&rp->cond);
	}
	pthread_mutex_unlock(&rp->lock);
	if (queued)
		atomic_fetch_add(&rp->queued, 1);
	else if (!known)
		atomic_fetch_add(&rp->dropped, 1);
}

static bool repair_take(struct zh__repairer *rp, struct zh__repair_item *out)
{
	bool got;

	pthread_mutex_lock(&rp->lock);
	while (rp->count == 0 && !rp->stop)
		pthread_cond_wait(&rp->cond, &rp->lock);
	got = !rp->stop;
	if (got) {
		*out = rp->queue[rp->head];
		rp->head = (rp->head + 1) % ZH__REPAIR_QUEUE_MAX;
		rp->count--;
	}
	pthread_mutex_unlock(&rp->lock);
	return got;
}

static void *repair_main(void *arg)
{
	struct zh_store *s = arg;
	struct zh__repair_item it;
	struct zh__pace pace;

	zh__pace_init(&pace, s->rp.rate_bytes);
	while (repair_take(&s->rp, &it)) {
		struct zh__object_rec obj;
		struct zh__chunk_rec rec;
		struct zh__chunk_check res;

		/* Gone since it was queued (deleted): nothing to repair. */
		if (zh__object_load(s, it.hash, s->rp.rec_buf, sizeof(s->rp.rec_buf), &obj) < 0 ||
		    obj.layout != ZH_OBJECT_CHUNKED || it.chunk >= obj.chunk_count ||
		    zh__chunk_rec_load(s, it.hash, it.chunk, &rec) < 0)
			continue;
		(void)zh__chunk_check(s, it.hash, &obj, it.chunk, &rec, true, &res);
		zh__pace_add(&pace, res.bytes_read);
	}
	return NULL;
}

int zh__repair_start(struct zh_store *s, uint64_t rate_bytes)
{
	struct zh__repairer *rp = &s->rp;
	int rc;

	rp->rate_bytes = rate_bytes;
	rc = -pthread_create(&rp->thread, NULL, repair_main, s);
	rp->started = rc == 0;
	return rc;
}

void zh__repair_stop(struct zh_store *s)
{
	struct zh__repairer *rp = &s->rp;

	if (!rp->started)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->stop = true;
	pthread_cond_signal(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	rp->started = false;
}
