/* SPDX-License-Identifier: MIT */
/*
 * store: the content hash of bytes not stored yet, as a put of them would compute it (leaf
 * hashes of the store's chunks, then the tree over them; docs/format.md). A client hashes
 * first and takes a reference by hash (zh_store_ref) instead of sending what the store holds.
 *
 * The leaf hashes run on the reactors, each in its codec's multi-buffer lanes, as a put's do.
 * An add hands the reactors every whole chunk it can, in turn, then waits for the chunks the
 * add before it handed out and adds their leaves to the tree in order: so the caller reads
 * its next piece while the reactors hash this one. A chunk's bytes are the caller's (borrowed
 * until the next add returns) or, for a chunk that spans adds, one of the hasher's two
 * buffers (one may still be hashing while the other fills).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

#define HASH_BATCH 16 /* chunks handed out per batch; two batches in flight at most */

struct hash_job {
	struct zh_store_hasher *hasher;
	struct hash_batch *batch;
	const uint8_t *data;
	uint32_t len;
	uint8_t leaf[ZH_CODEC_HASH_BYTES];
};

struct hash_batch {
	unsigned jobs;
	_Atomic uint32_t left; /* jobs not hashed yet */
	struct hash_job job[HASH_BATCH];
};

struct zh_store_hasher {
	struct zh_store *store;
	struct zh_codec_tree *tree;
	uint32_t chunk_bytes;
	uint32_t filled; /* bytes of a chunk that spans adds, in spanning[span] */
	unsigned span;	 /* which buffer fills */
	unsigned cur;	 /* batch[cur] takes new chunks; batch[cur ^ 1] was handed out before */
	unsigned next_reactor;
	struct hash_batch batch[2];
	uint8_t *spanning[2];
};

int zh_store_hasher_create(struct zh_store *s, struct zh_store_hasher **out)
{
	struct zh_store_hasher *h = calloc(1, sizeof(*h) + 2 * (size_t)s->rec.chunk_bytes);

	if (h == NULL)
		return -ENOMEM;
	if (zh_codec_tree_create(&h->tree) < 0) {
		free(h);
		return -ENOMEM;
	}
	h->store = s;
	h->chunk_bytes = s->rec.chunk_bytes;
	h->spanning[0] = (uint8_t *)(h + 1);
	h->spanning[1] = h->spanning[0] + h->chunk_bytes;
	zh_codec_tree_reset(h->tree, h->chunk_bytes);
	*out = h;
	return 0;
}

/* Reactor side: one chunk's leaf hash, with this reactor's codec. */
static void hash_job_msg(struct zh_reactor *r, void *arg)
{
	struct hash_job *j = arg;
	struct hash_batch *b = j->batch;

	zh_codec_leaf_hash(j->hasher->store->core[zh_reactor_id(r)].codec, j->data, j->len,
			   j->leaf);
	if (atomic_fetch_sub_explicit(&b->left, 1, memory_order_acq_rel) == 1)
		zh__futex_wake(&b->left);
}

/* Wait for batch \p b's chunks, and add their leaves to the tree in order. */
static void batch_finish(struct zh_store_hasher *h, struct hash_batch *b)
{
	uint32_t left;

	while ((left = atomic_load_explicit(&b->left, memory_order_acquire)) != 0)
		zh__futex_wait(&b->left, left);
	for (unsigned i = 0; i < b->jobs; i++)
		zh_codec_tree_add(h->tree, b->job[i].leaf, b->job[i].len);
	b->jobs = 0;
}

/* The batch handed out before is done; the current one becomes it. */
static void batches_turn(struct zh_store_hasher *h)
{
	batch_finish(h, &h->batch[h->cur ^ 1]);
	h->cur ^= 1;
}

/* Wait for every chunk handed out, their leaves added to the tree in order. */
static void batches_finish(struct zh_store_hasher *h)
{
	batches_turn(h);
	batches_turn(h);
}

static void job_start(struct zh_store_hasher *h, const uint8_t *data, uint32_t len)
{
	struct hash_batch *b = &h->batch[h->cur];
	struct hash_job *j;

	if (b->jobs == HASH_BATCH) {
		batches_turn(h);
		b = &h->batch[h->cur];
	}
	j = &b->job[b->jobs++];
	*j = (struct hash_job){.hasher = h, .batch = b, .data = data, .len = len};
	atomic_fetch_add_explicit(&b->left, 1, memory_order_relaxed);
	zh__post_control(h->store, h->next_reactor, hash_job_msg, j);
	h->next_reactor = (h->next_reactor + 1) % h->store->reactor_count;
}

void zh_store_hasher_add(struct zh_store_hasher *h, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t n;

	if (h->filled > 0) {
		n = h->chunk_bytes - h->filled;
		n = len < n ? (uint32_t)len : n;
		memcpy(h->spanning[h->span] + h->filled, p, n);
		h->filled += n;
		p += n;
		len -= n;
		if (h->filled == h->chunk_bytes) {
			job_start(h, h->spanning[h->span], h->chunk_bytes);
			h->span ^= 1;
			h->filled = 0;
		}
	}
	for (; len >= h->chunk_bytes; p += h->chunk_bytes, len -= h->chunk_bytes)
		job_start(h, p, h->chunk_bytes);
	/* The caller's bytes of the add before are theirs again, and the buffer to fill free. */
	batches_turn(h);
	if (len > 0)
		memcpy(h->spanning[h->span] + h->filled, p, len);
	h->filled += (uint32_t)len;
}

void zh_store_hasher_final(struct zh_store_hasher *h, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	/* A put's last chunk is its tail; an inline object is one such chunk; the empty object
	 * has none. */
	if (h->filled > 0)
		job_start(h, h->spanning[h->span], h->filled);
	batches_finish(h);
	zh_codec_tree_final(h->tree, hash);
	h->filled = 0;
	zh_codec_tree_reset(h->tree, h->chunk_bytes);
}

void zh_store_hasher_destroy(struct zh_store_hasher *h)
{
	if (h == NULL)
		return;
	batches_finish(h);
	/* A reactor wakes the batch's counter after its last job: let it before h goes. */
	zh__reactors_drain(h->store);
	zh_codec_tree_destroy(h->tree);
	free(h);
}
