/* SPDX-License-Identifier: MIT */
/*
 * store: the index thread. Every change to the store's metadata (a put's object record, chunk
 * records and allocator extents; a delete; a repair's move of shards) is queued here and committed
 * in groups: the thread takes whatever is waiting (up to ZH_INDEX_GROUP_MAX requests), builds one
 * batch per request, writes them all and syncs the WAL once, then answers each waiter. Requests
 * naming the same hash never share a group, so each batch can decide "new or duplicate" and "last
 * reference or not" from what is committed. Extents freed by a commit go back to their allocators
 * only after it is durable; a failed commit leaves the store refusing changes (the allocators are
 * rebuilt from what was committed at the next open). Objects' access statistics ride along as
 * the first batch of a group when they are due (store_access.c); an idle thread wakes once per
 * flush interval to see whether they are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/store_internal.h"

static int release_push(struct zh__indexer *ix, uint64_t packed)
{
	if (ix->release_count == ix->release_cap) {
		uint64_t *p = zh__array_grow(ix->release, &ix->release_cap, sizeof(*p), 1024);

		if (p == NULL)
			return -ENOMEM;
		ix->release = p;
	}
	ix->release[ix->release_count++] = packed;
	return 0;
}

/* Read and parse an object record into the thread's scratch. \return 0, -ENOENT, -errno. */
static int object_load(struct zh_store *s, const uint8_t *hash, struct zh__object_rec *rec)
{
	return zh__object_load(s, hash, s->ix.scratch, s->ix.scratch_bytes, rec);
}

static void object_store(struct zh_store *s, struct zh_index_batch *b, const uint8_t *hash,
			 const struct zh__object_rec *rec)
{
	size_t n = zh__object_rec_bytes(rec);
	/* Packed after the loaded record in scratch: a refcount update rewrites from it. */
	uint8_t *out = s->ix.scratch + s->ix.scratch_bytes;

	zh__object_rec_pack(rec, out);
	zh_index_batch_put(b, ZH_INDEX_CF_OBJECTS, hash, ZH_CODEC_HASH_BYTES, out, n);
}

static void chunks_store(struct zh_store *s, struct zh_index_batch *b, const struct zh__ireq *req)
{
	unsigned shards = (unsigned)req->obj.ec_k + req->obj.ec_m;

	for (uint32_t c = 0; c < req->obj.chunk_count; c++) {
		const struct zh__chunk_rec *cr = &req->chunks[c];
		uint8_t key[ZH__CHUNK_KEY_BYTES];
		uint8_t val[ZH__CHUNK_REC_BYTES];
		uint32_t stride = zh__stride(s, cr->hdr.shard_bytes);

		zh__chunk_key(req->hash, c, key);
		zh_index_batch_put(b, ZH_INDEX_CF_CHUNKS, key, sizeof(key), val,
				   zh__chunk_rec_pack(cr, val));
		for (unsigned i = 0; i < shards; i++) {
			struct zh__extent e = {cr->loc[i].offset_bytes, stride};

			zh__alloc_persist_used(b, cr->loc[i].dev, &e);
		}
	}
}

/*
 * One more reference to a stored object. A count that reached its limit stays there
 * (zh_object_info.refcount): wrapping to 0 would make the record unreadable, and a delete
 * would free what others hold.
 */
static void object_ref(struct zh_store *s, struct zh_index_batch *b, const uint8_t *hash,
		       struct zh__object_rec *old)
{
	if (old->refcount < UINT32_MAX)
		old->refcount++;
	object_store(s, b, hash, old);
}

static int build_ref(struct zh_store *s, struct zh_index_batch *b, struct zh__ireq *req)
{
	struct zh__object_rec old;
	int rc = object_load(s, req->hash, &old);

	if (rc == 0)
		object_ref(s, b, req->hash, &old);
	return rc;
}

static int build_put(struct zh_store *s, struct zh_index_batch *b, struct zh__ireq *req)
{
	struct zh__object_rec old;
	int rc = object_load(s, req->hash, &old);

	if (rc == 0) {
		/* Same content already stored: this put's shards are freed. */
		object_ref(s, b, req->hash, &old);
		req->dedup = true;
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	req->obj.refcount = 1;
	object_store(s, b, req->hash, &req->obj);
	chunks_store(s, b, req);
	return 0;
}

struct drop_ctx {
	struct zh_store *store;
	struct zh_index_batch *batch;
};

/*
 * The extent is committed as used (its ALLOC record, of its length). One that is not was free
 * to the allocator since the last open, and may hold another object's shard by now: fsck's
 * "extents_unrecorded". Freeing it would free that shard's space, or free space twice.
 */
static bool extent_recorded(struct zh_store *s, unsigned dev, const struct zh__extent *e)
{
	uint8_t key[ZH__ALLOC_KEY_BYTES], val[8];
	struct zh__extent recorded;
	uint16_t recorded_dev;
	long n;

	zh__alloc_key((uint16_t)dev, e->offset_bytes, key);
	n = zh_index_get(s->index, ZH_INDEX_CF_ALLOC, key, sizeof(key), val, sizeof(val));
	return n == (long)sizeof(val) &&
	       zh__alloc_record_parse(key, sizeof(key), val, (size_t)n, &recorded_dev, &recorded) ==
		   0 &&
	       recorded.len_bytes == e->len_bytes;
}

/*
 * A commit drops a shard's extent: freed in the batch and, once it is durable, in the
 * allocator, if its ALLOC record says it is used; else counted and left (extent_recorded).
 */
static int extent_drop(struct zh_store *s, struct zh_index_batch *b, uint16_t dev,
		       const struct zh__extent *e)
{
	int rc;

	if (!extent_recorded(s, dev, e)) {
		atomic_fetch_add_explicit(&s->ix.unrecorded_skipped, 1, memory_order_relaxed);
		return 0;
	}
	rc = release_push(&s->ix, zh__extent_pack(s, dev, e->offset_bytes, e->len_bytes));
	if (rc == 0)
		zh__alloc_persist_freed(b, dev, e);
	return rc;
}

/* Scan callback: drop one chunk record of a deleted object and free its shards' extents. */
static int chunk_drop(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct drop_ctx *dc = arg;
	struct zh_store *s = dc->store;
	struct zh__chunk_rec cr;
	uint32_t stride;

	if (zh__chunk_rec_parse(&s->rec, val, val_len, &cr) < 0)
		return -EUCLEAN;
	zh_index_batch_delete(dc->batch, ZH_INDEX_CF_CHUNKS, key, key_len);
	stride = zh__stride(s, cr.hdr.shard_bytes);
	for (unsigned i = 0; i < (unsigned)cr.hdr.ec_k + cr.hdr.ec_m; i++) {
		struct zh__extent e = {cr.loc[i].offset_bytes, stride};
		int rc = extent_drop(s, dc->batch, cr.loc[i].dev, &e);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int build_delete(struct zh_store *s, struct zh_index_batch *b, struct zh__ireq *req)
{
	struct zh__object_rec old;
	struct drop_ctx dc = {s, b};
	size_t first_release = s->ix.release_count;
	int rc = object_load(s, req->hash, &old);

	if (rc < 0)
		return rc;
	if (old.refcount == UINT32_MAX)
		return 0; /* saturated: references are no longer counted, the object stays */
	if (old.refcount > 1) {
		old.refcount--;
		object_store(s, b, req->hash, &old);
		return 0;
	}
	zh_index_batch_delete(b, ZH_INDEX_CF_OBJECTS, req->hash, ZH_CODEC_HASH_BYTES);
	zh_index_batch_delete(b, ZH_INDEX_CF_ACCESS, req->hash, ZH_CODEC_HASH_BYTES);
	if (old.layout == ZH_OBJECT_INLINE)
		return 0;
	rc = zh_index_scan(s->index, ZH_INDEX_CF_CHUNKS, req->hash, ZH_CODEC_HASH_BYTES, chunk_drop,
			   &dc);
	if (rc < 0)
		s->ix.release_count = first_release;
	return rc;
}

/*
 * Point a chunk record at its moved shards: the new extents become used and the old ones
 * free, in the same batch as the record. Only if the committed record still is the one the
 * shards were read by: a delete, or a delete and put again, since then (no request of the same
 * hash shares the group) leaves -ESTALE, and the mover frees what it wrote.
 */
static int build_move(struct zh_store *s, struct zh_index_batch *b, struct zh__ireq *req)
{
	const struct zh__chunk_rec *from = req->moved_from, *to = req->chunks;
	uint32_t stride = zh__stride(s, to->hdr.shard_bytes);
	size_t first_release = s->ix.release_count;
	uint8_t key[ZH__CHUNK_KEY_BYTES], val[ZH__CHUNK_REC_BYTES];
	struct zh__chunk_rec now;
	int rc = zh__chunk_rec_load(s, req->hash, req->chunk_index, &now);

	if (rc == -EUCLEAN || (rc == 0 && !zh__chunk_rec_equal(&now, from)))
		return -ESTALE; /* -EUCLEAN: no record (deleted) or a damaged one */
	if (rc < 0)
		return rc;
	zh__chunk_key(req->hash, req->chunk_index, key);
	zh_index_batch_put(b, ZH_INDEX_CF_CHUNKS, key, sizeof(key), val,
			   zh__chunk_rec_pack(to, val));
	for (unsigned i = 0; i < (unsigned)to->hdr.ec_k + to->hdr.ec_m; i++) {
		struct zh__extent old = {from->loc[i].offset_bytes, stride};
		struct zh__extent new = {to->loc[i].offset_bytes, stride};

		if (from->loc[i].dev == to->loc[i].dev && old.offset_bytes == new.offset_bytes)
			continue;
		zh__alloc_persist_used(b, to->loc[i].dev, &new);
		rc = extent_drop(s, b, from->loc[i].dev, &old);
		if (rc < 0) {
			s->ix.release_count = first_release;
			return rc;
		}
	}
	return 0;
}

/* ---- the thread ---------------------------------------------------------------------------- */

static bool group_has_hash(struct zh__ireq *const group[], unsigned n, const uint8_t *hash)
{
	for (unsigned i = 0; i < n; i++) {
		if (memcmp(group[i]->hash, hash, ZH_CODEC_HASH_BYTES) == 0)
			return true;
	}
	return false;
}

/* Requests per group: one batch of a group is kept for the access statistics. */
#define GROUP_REQS_MAX (ZH_INDEX_GROUP_MAX - 1)

/* Take up to GROUP_REQS_MAX queued requests, at most one per hash. Lock held. */
static unsigned group_take(struct zh__indexer *ix, struct zh__ireq *group[])
{
	struct zh__ireq **link = &ix->head;
	unsigned n = 0;

	ix->tail = NULL;
	while (*link != NULL && n < GROUP_REQS_MAX) {
		struct zh__ireq *req = *link;

		if (group_has_hash(group, n, req->hash)) {
			ix->tail = req;
			link = &req->next;
			continue;
		}
		*link = req->next;
		group[n++] = req;
	}
	for (struct zh__ireq *r = *link; r != NULL; r = r->next)
		ix->tail = r;
	return n;
}

/* \p access_rc: how building the group's access statistics went, if they were built. */
static int build_request(struct zh_store *s, struct zh_index_batch *b, struct zh__ireq *req,
			 int access_rc)
{
	switch (req->op) {
	case ZH__IREQ_PUT:
		return build_put(s, b, req);
	case ZH__IREQ_DELETE:
		return build_delete(s, b, req);
	case ZH__IREQ_MOVE:
		return build_move(s, b, req);
	case ZH__IREQ_REF:
		return build_ref(s, b, req);
	case ZH__IREQ_ACCESS_FLUSH:
		return access_rc; /* group_build wrote the statistics ahead of the group */
	}
	return -EINVAL;
}

static bool group_flushes_access(struct zh_store *s, struct zh__ireq *const group[], unsigned n,
				 bool stopping)
{
	if (s->ix.failed)
		return false; /* the store refuses changes until reopened */
	if (zh__access_due(s, stopping ? UINT64_MAX : zh_clock_ns()))
		return true;
	for (unsigned i = 0; i < n; i++) {
		if (group[i]->op == ZH__IREQ_ACCESS_FLUSH)
			return true;
	}
	return false;
}

/*
 * Build one batch per request (a request that fails to build is answered without a batch),
 * after the access statistics when they are due: first, so that a delete in the same group
 * removes an access record this group writes for its object.
 */
static unsigned group_build(struct zh_store *s, struct zh__ireq *group[], unsigned n, bool stopping,
			    struct zh_index_batch *batches[])
{
	unsigned count = 0;
	int access_rc = 0;

	if (group_flushes_access(s, group, n, stopping)) {
		struct zh_index_batch *b = s->ix.access_batch;

		zh_index_batch_clear(b);
		access_rc = zh__access_build(s, b);
		if (access_rc == 0 && zh_index_batch_count(b) > 0)
			batches[count++] = b;
	}
	for (unsigned i = 0; i < n; i++) {
		struct zh__ireq *req = group[i];
		struct zh_index_batch *b = s->ix.batch[i];

		zh_index_batch_clear(b);
		/*
		 * Queued before a group failed, answered after: refused like those that come later.
		 * Committed, it would apply although the store refuses changes, and a later sync
		 * could make it durable.
		 */
		req->rc = s->ix.failed ? -EIO : build_request(s, b, req, access_rc);
		req->committing = req->rc == 0 && req->op != ZH__IREQ_ACCESS_FLUSH;
		if (req->rc == 0 && zh_index_batch_count(b) > 0)
			batches[count++] = b;
	}
	return count;
}

static int packed_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The group's extents to free, each once. extent_recorded() reads the committed records, not
 * the group's batch: two references to one extent in a group (two shards of one damaged chunk
 * record, or two chunks deleted together) both passed, and the second release tripped the
 * allocator's assertion. The repeats count as unrecorded, which they are by then.
 */
static size_t release_dedup(struct zh_store *s)
{
	struct zh__indexer *ix = &s->ix;
	size_t n = 0;

	qsort(ix->release, ix->release_count, sizeof(*ix->release), packed_cmp);
	for (size_t i = 0; i < ix->release_count; i++) {
		if (n > 0 && ix->release[n - 1] == ix->release[i]) {
			atomic_fetch_add_explicit(&ix->unrecorded_skipped, 1, memory_order_relaxed);
			continue;
		}
		ix->release[n++] = ix->release[i];
	}
	return n;
}

static void group_finish(struct zh_store *s, struct zh__ireq *group[], unsigned n, int rc)
{
	struct zh__indexer *ix = &s->ix;

	if (rc == 0 && ix->release_count > 0) {
		size_t count = release_dedup(s);

		/* Not while a repair writes in place: it may be writing into one of these. */
		pthread_mutex_lock(&s->rp.write_lock);
		for (size_t i = 0; i < count; i++)
			zh__release_from_control(s, ix->release[i]);
		pthread_mutex_unlock(&s->rp.write_lock);
	}
	ix->release_count = 0;
	pthread_mutex_lock(&ix->lock);
	if (rc < 0)
		ix->failed = true;
	for (unsigned i = 0; i < n; i++) {
		if (group[i]->rc == 0)
			group[i]->rc = rc;
		group[i]->done = true;
	}
	pthread_cond_broadcast(&ix->done_cond);
	pthread_mutex_unlock(&ix->lock);
}

/* Sleep until work is queued, the store stops, or access statistics are due. Lock held. */
static void indexer_wait(struct zh_store *s)
{
	struct zh__indexer *ix = &s->ix;

	for (uint64_t now = zh_clock_ns();
	     ix->head == NULL && !ix->stop && !(zh__access_due(s, now) && !ix->failed);
	     now = zh_clock_ns()) {
		struct timespec ts;

		if (!s->access.enabled) {
			pthread_cond_wait(&ix->cond, &ix->lock);
			continue;
		}
		/* Not due although the time has come: nothing pending, so wait a whole interval. */
		if (now >= s->access.next_flush_ns)
			s->access.next_flush_ns = now + s->access.flush_interval_ns;
		ts.tv_sec = (time_t)(s->access.next_flush_ns / 1000000000u);
		ts.tv_nsec = (long)(s->access.next_flush_ns % 1000000000u);
		pthread_cond_timedwait(&ix->cond, &ix->lock, &ts);
	}
}

static void *indexer_main(void *arg)
{
	struct zh_store *s = arg;
	struct zh__indexer *ix = &s->ix;
	struct zh__ireq *group[GROUP_REQS_MAX];
	struct zh_index_batch *batches[ZH_INDEX_GROUP_MAX];

	for (;;) {
		unsigned n, count;
		bool stopping;
		int rc = 0;

		pthread_mutex_lock(&ix->lock);
		indexer_wait(s);
		/* Stopping: one last group writes what statistics are pending. */
		stopping = ix->head == NULL && ix->stop;
		if (stopping && (ix->failed || !zh__access_due(s, UINT64_MAX))) {
			pthread_mutex_unlock(&ix->lock);
			return NULL;
		}
		n = group_take(ix, group);
		pthread_mutex_unlock(&ix->lock);
		count = group_build(s, group, n, stopping, batches);
		if (count > 0) {
			rc = zh_index_commit_group(s->index, batches, count, NULL);
			atomic_fetch_add(&s->commit_groups, 1);
			atomic_fetch_add(&s->commit_batches, count);
		}
		group_finish(s, group, n, rc);
	}
}

int zh__indexer_start(struct zh_store *s)
{
	struct zh__indexer *ix = &s->ix;
	pthread_condattr_t monotonic;
	int rc;

	pthread_mutex_init(&ix->lock, NULL);
	/* indexer_wait's deadlines are zh_clock_ns() times. */
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&ix->cond, &monotonic);
	pthread_condattr_destroy(&monotonic);
	pthread_cond_init(&ix->done_cond, NULL);
	ix->scratch_bytes = ZH__OBJECT_REC_MAX + s->rec.small_max_bytes;
	/* Twice: a loaded record and the record packed from it. */
	ix->scratch = malloc(2 * ix->scratch_bytes);
	if (ix->scratch == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < ZH_INDEX_GROUP_MAX; i++) {
		rc = zh_index_batch_create(s->index, &ix->batch[i]);
		if (rc < 0)
			return rc;
	}
	rc = zh_index_batch_create(s->index, &ix->access_batch);
	if (rc < 0)
		return rc;
	rc = -pthread_create(&ix->thread, NULL, indexer_main, s);
	if (rc == 0)
		ix->started = true;
	return rc;
}

void zh__indexer_stop(struct zh_store *s)
{
	struct zh__indexer *ix = &s->ix;

	if (ix->started) {
		pthread_mutex_lock(&ix->lock);
		ix->stop = true;
		pthread_cond_signal(&ix->cond);
		pthread_mutex_unlock(&ix->lock);
		pthread_join(ix->thread, NULL);
		ix->started = false;
	}
	for (unsigned i = 0; i < ZH_INDEX_GROUP_MAX; i++)
		zh_index_batch_destroy(ix->batch[i]);
	zh_index_batch_destroy(ix->access_batch);
	free(ix->scratch);
	free(ix->release);
}

int zh__indexer_call(struct zh_store *s, struct zh__ireq *req)
{
	struct zh__indexer *ix = &s->ix;

	req->done = false;
	req->dedup = false;
	req->committing = false;
	req->next = NULL;
	pthread_mutex_lock(&ix->lock);
	if (ix->failed) {
		pthread_mutex_unlock(&ix->lock);
		return -EIO;
	}
	if (ix->tail != NULL)
		ix->tail->next = req;
	else
		ix->head = req;
	ix->tail = req;
	pthread_cond_signal(&ix->cond);
	while (!req->done)
		pthread_cond_wait(&ix->done_cond, &ix->lock);
	pthread_mutex_unlock(&ix->lock);
	return req->rc;
}
