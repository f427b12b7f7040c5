/* SPDX-License-Identifier: MIT */
/*
 * store: the content hash of bytes not stored yet, as a put of them would compute it (leaf
 * hashes of the store's chunks, then the tree over them; docs/format.md). A client hashes
 * first and takes a reference by hash (zh_store_ref) instead of sending what the store holds.
 * It runs in the caller's thread: nothing here touches the reactors or the index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

struct zh_store_hasher {
	struct zh_codec *codec; /* for its multi-buffer SHA-256 lanes only */
	struct zh_codec_tree *tree;
	uint32_t chunk_bytes;
	uint32_t filled; /* bytes of the current chunk in chunk[] */
	uint8_t chunk[];
};

int zh_store_hasher_create(const struct zh_store *s, struct zh_store_hasher **out)
{
	struct zh_store_hasher *h = calloc(1, sizeof(*h) + s->rec.chunk_bytes);
	struct zh_codec_opts co;
	int rc;

	if (h == NULL)
		return -ENOMEM;
	zh_codec_opts_default(&co);
	co.zstd_level = 0;
	co.chunk_max_bytes = s->rec.chunk_bytes;
	rc = zh_codec_create(&co, &h->codec);
	if (rc == 0)
		rc = zh_codec_tree_create(&h->tree);
	if (rc < 0) {
		zh_store_hasher_destroy(h);
		return rc;
	}
	h->chunk_bytes = s->rec.chunk_bytes;
	h->filled = 0;
	zh_codec_tree_reset(h->tree, h->chunk_bytes);
	*out = h;
	return 0;
}

static void chunk_add(struct zh_store_hasher *h, const void *chunk, uint32_t len)
{
	uint8_t leaf[ZH_CODEC_HASH_BYTES];

	zh_codec_leaf_hash(h->codec, chunk, len, leaf);
	zh_codec_tree_add(h->tree, leaf, len);
}

void zh_store_hasher_add(struct zh_store_hasher *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		uint32_t n = h->chunk_bytes - h->filled;

		if (h->filled == 0 && len >= h->chunk_bytes) {
			chunk_add(h, p, h->chunk_bytes); /* a whole chunk where it lies */
		} else {
			n = len < n ? (uint32_t)len : n;
			memcpy(h->chunk + h->filled, p, n);
			h->filled += n;
			if (h->filled < h->chunk_bytes)
				return;
			chunk_add(h, h->chunk, h->chunk_bytes);
			h->filled = 0;
		}
		p += n;
		len -= n;
	}
}

void zh_store_hasher_final(struct zh_store_hasher *h, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	/* A put's last chunk is its tail; an inline object is one such chunk; the empty object
	 * has none. */
	if (h->filled > 0)
		chunk_add(h, h->chunk, h->filled);
	zh_codec_tree_final(h->tree, hash);
	h->filled = 0;
	zh_codec_tree_reset(h->tree, h->chunk_bytes);
}

void zh_store_hasher_destroy(struct zh_store_hasher *h)
{
	if (h == NULL)
		return;
	zh_codec_tree_destroy(h->tree);
	zh_codec_destroy(h->codec);
	free(h);
}
