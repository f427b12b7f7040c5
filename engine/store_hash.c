/* SPDX-License-Identifier: MIT */
/*
 * store: the content hash of bytes not stored yet, as a put of them would compute it (leaf
 * hashes of the store's chunks, then the tree over them; docs/format.md). A client hashes
 * first and takes a reference by hash (zh_store_ref) instead of sending what the store holds.
 *
 * The leaf hashes run on the reactors, each in its codec's multi-buffer lanes, as a put's do:
 * a call hands every whole chunk it can to the reactors in turn and waits for them, then adds
 * the leaves to the tree in order. A chunk's bytes are the caller's (borrowed: the call does
 * not return before they are hashed) or, for a chunk that spans calls, the hasher's buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

#define HASH_BATCH 16 /* chunks handed out per wait */

struct hash_job {
	struct zh_store_hasher *hasher;
	const uint8_t *data;
	uint32_t len;
	uint8_t leaf[ZH_CODEC_HASH_BYTES];
};

struct zh_store_hasher {
	struct zh_store *store;
	struct zh_codec_tree *tree;
	uint32_t chunk_bytes;
	uint32_t filled; /* bytes of a chunk that spans calls, in chunk[] */
	unsigned jobs;	 /* handed out since the last wait */
	unsigned next_reactor;
	_Atomic uint32_t jobs_left;
	struct hash_job job[HASH_BATCH];
	uint8_t chunk[];
};

int zh_store_hasher_create(struct zh_store *s, struct zh_store_hasher **out)
{
	struct zh_store_hasher *h = calloc(1, sizeof(*h) + s->rec.chunk_bytes);

	if (h == NULL)
		return -ENOMEM;
	if (zh_codec_tree_create(&h->tree) < 0) {
		free(h);
		return -ENOMEM;
	}
	h->store = s;
	h->chunk_bytes = s->rec.chunk_bytes;
	zh_codec_tree_reset(h->tree, h->chunk_bytes);
	*out = h;
	return 0;
}

/* Reactor side: one chunk's leaf hash, with this reactor's codec. */
static void hash_job_msg(struct zh_reactor *r, void *arg)
{
	struct hash_job *j = arg;
	struct zh_store_hasher *h = j->hasher;

	zh_codec_leaf_hash(h->store->core[zh_reactor_id(r)].codec, j->data, j->len, j->leaf);
	if (atomic_fetch_sub_explicit(&h->jobs_left, 1, memory_order_acq_rel) == 1)
		zh__futex_wake(&h->jobs_left);
}

/* Wait for the chunks handed out, and add their leaves to the tree in order. */
static void jobs_finish(struct zh_store_hasher *h)
{
	uint32_t left;

	while ((left = atomic_load_explicit(&h->jobs_left, memory_order_acquire)) != 0)
		zh__futex_wait(&h->jobs_left, left);
	for (unsigned i = 0; i < h->jobs; i++)
		zh_codec_tree_add(h->tree, h->job[i].leaf, h->job[i].len);
	h->jobs = 0;
}

static void job_start(struct zh_store_hasher *h, const uint8_t *data, uint32_t len)
{
	struct hash_job *j;

	if (h->jobs == HASH_BATCH)
		jobs_finish(h);
	j = &h->job[h->jobs++];
	*j = (struct hash_job){.hasher = h, .data = data, .len = len};
	atomic_fetch_add_explicit(&h->jobs_left, 1, memory_order_relaxed);
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
		memcpy(h->chunk + h->filled, p, n);
		h->filled += n;
		p += n;
		len -= n;
		if (h->filled < h->chunk_bytes)
			return;
		job_start(h, h->chunk, h->chunk_bytes);
	}
	for (; len >= h->chunk_bytes; p += h->chunk_bytes, len -= h->chunk_bytes)
		job_start(h, p, h->chunk_bytes);
	jobs_finish(h); /* before chunk[] is refilled and the caller's bytes are theirs again */
	memcpy(h->chunk, p, len);
	h->filled = (uint32_t)len;
}

void zh_store_hasher_final(struct zh_store_hasher *h, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	/* A put's last chunk is its tail; an inline object is one such chunk; the empty object
	 * has none. */
	if (h->filled > 0) {
		job_start(h, h->chunk, h->filled);
		jobs_finish(h);
	}
	zh_codec_tree_final(h->tree, hash);
	h->filled = 0;
	zh_codec_tree_reset(h->tree, h->chunk_bytes);
}

void zh_store_hasher_destroy(struct zh_store_hasher *h)
{
	if (h == NULL)
		return;
	zh_codec_tree_destroy(h->tree);
	free(h);
}
