/* SPDX-License-Identifier: MIT */
/*
 * store: fsck. Walks every object: parses its record and chunk records, reads every shard of
 * every chunk through the get pipeline in read-all mode (so a bad parity shard is found too),
 * checks each chunk's SHA-256 and the object's tree hash, and collects the extents the shards
 * use. Then compares those with the allocator's committed extents (none leaked, none missing)
 * and checks free + used against each device's size. Runs on a control thread while the store
 * is quiet (zhtpctl holds the store's lock); it changes nothing.
 *
 * Scrub is the same walk over objects and chunks without the allocator checks, safe while the
 * store serves (objects deleted meanwhile are skipped), paced, and repairing what it finds
 * (zh__chunk_check in store_repair.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

struct used_extent {
	uint16_t dev;
	uint64_t offset_bytes;
	uint64_t len_bytes;
};

struct extent_list {
	struct used_extent *e;
	size_t count, cap;
};

struct fsck {
	struct zh_store *store;
	struct zh_store_fsck *out;
	zh_store_problem_fn problem;
	void *ctx;
	struct zh_codec_tree *tree;
	uint8_t (*hashes)[ZH_CODEC_HASH_BYTES];
	size_t hash_count, hash_cap;
	uint64_t chunk_records_expected;
	struct extent_list shards, allocated;
	const struct zh_store_scrub_opts *scrub; /* NULL for fsck */
	struct zh__pace pace;
	uint8_t *rec_buf;
	size_t rec_cap;
	uint8_t *plain; /* encrypted store: an inline object opened (small_max_bytes) */
};

static void report(struct fsck *f, const uint8_t *hash, const char *fmt, ...)
{
	char line[ZH_CODEC_HASH_HEX_LEN + 200], hex[ZH_CODEC_HASH_HEX_LEN + 1];
	char what[192];
	va_list ap;

	if (f->problem == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* A problem of an object starts with its hash; a store-wide one is just the message. */
	if (hash != NULL) {
		zh_codec_hash_hex(hash, hex);
		snprintf(line, sizeof(line), "%s: %s", hex, what);
	} else {
		snprintf(line, sizeof(line), "%s", what);
	}
	f->problem(f->ctx, line);
}

static int extent_add(struct extent_list *l, uint16_t dev, uint64_t offset, uint64_t len)
{
	if (l->count == l->cap) {
		struct used_extent *p = zh__array_grow(l->e, &l->cap, sizeof(*p), 1024);

		if (p == NULL)
			return -ENOMEM;
		l->e = p;
	}
	l->e[l->count++] = (struct used_extent){dev, offset, len};
	return 0;
}

static int collect_hash(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct fsck *f = arg;

	(void)val;
	(void)val_len;
	if (key_len != ZH_CODEC_HASH_BYTES) {
		f->out->records_bad++;
		return 0;
	}
	if (f->hash_count == f->hash_cap) {
		void *p = zh__array_grow(f->hashes, &f->hash_cap, ZH_CODEC_HASH_BYTES, 256);

		if (p == NULL)
			return -ENOMEM;
		f->hashes = p;
	}
	memcpy(f->hashes[f->hash_count++], key, ZH_CODEC_HASH_BYTES);
	return 0;
}

static int collect_alloc(void *arg, const void *key, size_t key_len, const void *val,
			 size_t val_len)
{
	struct fsck *f = arg;
	struct zh__extent e;
	uint16_t dev;

	if (zh__alloc_record_parse(key, key_len, val, val_len, &dev, &e) < 0) {
		f->out->records_bad++;
		return 0;
	}
	return extent_add(&f->allocated, dev, e.offset_bytes, e.len_bytes);
}

static int count_chunk(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	(void)key;
	(void)key_len;
	(void)val;
	(void)val_len;
	(*(uint64_t *)arg)++;
	return 0;
}

/*
 * A chunk's shards are spread over the devices, at most ceil((k + m) / devices) on one. A put
 * while a device was missing placed them over the others, more on some, and nothing said so
 * once the device was back: fsck and scrub read clean while losing one device lost the chunk.
 */
static void check_spread(struct fsck *f, const uint8_t *hash, uint32_t index,
			 const struct zh__chunk_rec *rec, unsigned respread)
{
	unsigned shards = rec->hdr.ec_k + rec->hdr.ec_m;
	unsigned most = zh__spread_most(&f->store->rec, shards);
	uint8_t on[ZH_STORE_DEVS_MAX] = {0};

	for (unsigned i = 0; i < shards; i++) {
		unsigned d = rec->loc[i].dev;

		if (++on[d] <= most)
			continue;
		f->out->chunks_crowded++;
		f->out->chunks_respread += respread > 0;
		if (respread > 0)
			report(f, hash,
			       "chunk %u: more than %u of its shards on dev %u (written while a "
			       "device was missing), %u moved to other devices",
			       index, most, d, respread);
		else
			report(f, hash,
			       "chunk %u: more than %u of its shards on dev %u (written while a "
			       "device was missing): losing that device costs more than m covers",
			       index, most, d);
		return;
	}
}

/* Read every shard of one chunk and check it (scrub: and repair it). */
static void check_chunk(struct fsck *f, const uint8_t *hash, const struct zh__object_rec *obj,
			uint32_t index, const struct zh__chunk_rec *rec)
{
	struct zh__chunk_check res;
	bool repair = f->scrub != NULL && f->scrub->repair;
	int rc = zh__chunk_check(f->store, hash, obj, index, rec, repair, &res);

	if (f->scrub != NULL)
		zh__pace_add(&f->pace, res.bytes_read);
	if (res.changed)
		return; /* deleted or rewritten while scrub looked at it */
	check_spread(f, hash, index, rec, res.respread);
	f->out->shards += res.shards;
	f->out->shards_bad += res.bad;
	f->out->shards_repaired += res.repaired;
	if (res.bad > 0)
		report(f, hash, "chunk %u: %u of %u shards missing or corrupt%s", index, res.bad,
		       res.shards,
		       res.repaired == res.bad ? (repair ? ", repaired" : "")
		       : res.on_absent > 0     ? ", some on a missing device"
					       : "");
	if (rc < 0)
		report(f, hash, "chunk %u: %s failed (%s)", index,
		       res.bad > res.repaired ? "rewrite" : "move", strerror(-rc));
	if (res.lost) {
		f->out->chunks_lost++;
		report(f, hash, "chunk %u: unreadable, more than m shards lost", index);
	} else if (res.hash_bad) {
		f->out->hash_mismatch++;
		report(f, hash, "chunk %u: content does not match its hash", index);
	}
}

static bool object_gone(struct fsck *f, const uint8_t *hash)
{
	struct zh__object_rec obj;

	return zh__object_load(f->store, hash, f->rec_buf, f->rec_cap, &obj) == -ENOENT;
}

static int check_chunked(struct fsck *f, const uint8_t *hash, const struct zh__object_rec *obj)
{
	struct zh_store *s = f->store;
	uint8_t got[ZH_CODEC_HASH_BYTES];

	zh_codec_tree_reset(f->tree, obj->chunk_bytes);
	f->chunk_records_expected += obj->chunk_count;
	for (uint32_t c = 0; c < obj->chunk_count; c++) {
		struct zh__chunk_rec rec;
		int rc = zh__chunk_rec_load(s, hash, c, &rec);

		if (rc == -EUCLEAN && f->scrub != NULL && object_gone(f, hash))
			return 0; /* deleted while scrub walked it */
		/* A record that does not fit the object would also break the tree's invariants. */
		if (rc == -EUCLEAN || (rc == 0 && !zh__chunk_rec_fits(obj, c, &rec))) {
			f->out->records_bad++;
			f->out->chunks_lost++;
			report(f, hash, "chunk %u: record missing or damaged", c);
			continue;
		}
		if (rc < 0)
			return rc;
		for (unsigned i = 0; f->scrub == NULL && i < rec.hdr.ec_k + 0u + rec.hdr.ec_m;
		     i++) {
			rc = extent_add(&f->shards, rec.loc[i].dev, rec.loc[i].offset_bytes,
					zh__stride(s, rec.hdr.shard_bytes));
			if (rc < 0)
				return rc;
		}
		f->out->chunks++;
		check_chunk(f, hash, obj, c, &rec);
		zh_codec_tree_add(f->tree, rec.hash, rec.hdr.raw_bytes);
	}
	zh_codec_tree_final(f->tree, got);
	if (memcmp(got, hash, sizeof(got)) != 0) {
		f->out->hash_mismatch++;
		report(f, hash, "object hash does not match its chunks");
	}
	return 0;
}

static void check_inline(struct fsck *f, const uint8_t *hash, const struct zh__object_rec *obj)
{
	uint8_t leaf[ZH_CODEC_HASH_BYTES], got[ZH_CODEC_HASH_BYTES];
	const uint8_t *data = obj->inline_data;

	if (obj->encrypted) {
		if (obj->size_bytes > f->store->rec.small_max_bytes ||
		    zh__inline_open(f->store, hash, data, obj->size_bytes, f->plain) < 0) {
			f->out->hash_mismatch++;
			report(f, hash, "inline content does not authenticate");
			return;
		}
		data = f->plain;
	}
	zh_codec_tree_reset(f->tree, f->store->rec.chunk_bytes);
	if (obj->size_bytes > 0) {
		zh_codec_leaf_hash(NULL, data, obj->size_bytes, leaf);
		zh_codec_tree_add(f->tree, leaf, (uint32_t)obj->size_bytes);
	}
	zh_codec_tree_final(f->tree, got);
	if (memcmp(got, hash, sizeof(got)) != 0) {
		f->out->hash_mismatch++;
		report(f, hash, "inline content does not match its hash");
	}
}

static int check_objects(struct fsck *f, zh_store_progress_fn progress)
{
	int rc = zh_index_scan(f->store->index, ZH_INDEX_CF_OBJECTS, NULL, 0, collect_hash, f);

	for (size_t i = 0; rc == 0 && i < f->hash_count; i++) {
		struct zh__object_rec obj;
		int orc = zh__object_load(f->store, f->hashes[i], f->rec_buf, f->rec_cap, &obj);

		if (orc == -ENOENT && f->scrub != NULL)
			continue; /* deleted since the list was taken */
		f->out->objects++;
		if (orc == -EUCLEAN) {
			f->out->records_bad++;
			report(f, f->hashes[i], "object record damaged");
		} else if (orc < 0) {
			rc = orc;
		} else if (obj.layout == ZH_OBJECT_INLINE) {
			check_inline(f, f->hashes[i], &obj);
		} else {
			rc = check_chunked(f, f->hashes[i], &obj);
		}
		if (progress != NULL)
			progress(f->ctx, i + 1, f->hash_count);
	}
	return rc;
}

static int extent_cmp(const void *a, const void *b)
{
	const struct used_extent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->offset_bytes != y->offset_bytes)
		return x->offset_bytes < y->offset_bytes ? -1 : 1;
	return 0;
}

/* Both lists sorted by (device, offset): walk them side by side. */
static void check_extents(struct fsck *f)
{
	struct extent_list *u = &f->shards, *a = &f->allocated;
	size_t i = 0, j = 0;

	/* An empty list has no array at all, and qsort must not see NULL. */
	if (u->count > 0)
		qsort(u->e, u->count, sizeof(*u->e), extent_cmp);
	if (a->count > 0)
		qsort(a->e, a->count, sizeof(*a->e), extent_cmp);
	while (i < u->count || j < a->count) {
		int c = i == u->count ? 1 : j == a->count ? -1 : extent_cmp(&u->e[i], &a->e[j]);

		if (c == 0 && u->e[i].len_bytes == a->e[j].len_bytes) {
			i++;
			j++;
		} else if (c <= 0) {
			f->out->extents_unrecorded++;
			report(f, NULL, "dev %u offset %llu: shard extent not allocated",
			       u->e[i].dev, (unsigned long long)u->e[i].offset_bytes);
			i++;
			j += c == 0;
		} else {
			f->out->extents_leaked++;
			report(f, NULL, "dev %u offset %llu: allocated, used by no shard",
			       a->e[j].dev, (unsigned long long)a->e[j].offset_bytes);
			j++;
		}
	}
}

static void check_space(struct fsck *f)
{
	struct zh_store *s = f->store;
	struct zh_store_info info;

	/* Extents freed by the last commits travel to their reactors as messages: let them land. */
	zh__reactors_drain(s);
	zh_store_info_get(s, &info);
	for (unsigned d = 0; d < info.dev_count; d++) {
		uint64_t used = 0;

		if (!info.dev[d].present) {
			f->out->devs_missing++;
			report(f, NULL, "dev %u (%s): missing or not this store's", d,
			       info.dev[d].path);
			continue;
		}
		for (size_t j = 0; j < f->allocated.count; j++)
			used += f->allocated.e[j].dev == d ? f->allocated.e[j].len_bytes : 0;
		/* Space the free array could not hold is free all the same (alloc.c note 1). */
		uint64_t free_bytes = info.dev[d].free_bytes + info.dev[d].dropped_bytes;

		if (used + free_bytes + ZH__SB_BYTES != info.dev[d].dev_bytes) {
			f->out->devs_space_wrong++;
			report(f, NULL, "dev %u: free %llu + used %llu != size %llu", d,
			       (unsigned long long)free_bytes, (unsigned long long)used,
			       (unsigned long long)(info.dev[d].dev_bytes - ZH__SB_BYTES));
		}
	}
}

static int check_orphan_chunks(struct fsck *f)
{
	uint64_t records = 0;
	int rc = zh_index_scan(f->store->index, ZH_INDEX_CF_CHUNKS, NULL, 0, count_chunk, &records);

	if (rc == 0 && records > f->chunk_records_expected) {
		f->out->records_bad += records - f->chunk_records_expected;
		report(f, NULL, "%llu chunk records belong to no object",
		       (unsigned long long)(records - f->chunk_records_expected));
	}
	return rc;
}

/* An access record must parse and name an object (store_access.c: none outlives its object). */
static int check_access_one(void *arg, const void *key, size_t key_len, const void *val,
			    size_t val_len)
{
	struct fsck *f = arg;
	uint64_t last, count;

	if (key_len != ZH_CODEC_HASH_BYTES ||
	    zh__access_rec_unpack(val, val_len, &last, &count) < 0) {
		f->out->records_bad++;
		report(f, key_len == ZH_CODEC_HASH_BYTES ? key : NULL, "damaged access record");
	} else if (object_gone(f, key)) {
		f->out->records_bad++;
		report(f, key, "access record of no object");
	}
	return 0;
}

static struct fsck *fsck_create(struct zh_store *s, struct zh_store_fsck *out,
				zh_store_problem_fn problem, void *ctx)
{
	struct fsck *f = calloc(1, sizeof(*f));

	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return NULL;
	*f = (struct fsck){.store = s, .out = out, .problem = problem, .ctx = ctx};
	f->rec_cap = ZH__OBJECT_REC_MAX + s->rec.small_max_bytes;
	f->rec_buf = malloc(f->rec_cap);
	f->plain = malloc(s->rec.small_max_bytes > 0 ? s->rec.small_max_bytes : 1);
	if (f->rec_buf != NULL && f->plain != NULL && zh_codec_tree_create(&f->tree) == 0)
		return f;
	free(f->rec_buf);
	free(f->plain);
	free(f);
	return NULL;
}

static void fsck_destroy(struct fsck *f)
{
	zh_codec_tree_destroy(f->tree);
	free(f->rec_buf);
	free(f->plain);
	free(f->hashes);
	free(f->shards.e);
	free(f->allocated.e);
	free(f);
}

int zh_store_fsck(struct zh_store *s, struct zh_store_fsck *out, zh_store_problem_fn problem,
		  zh_store_progress_fn progress, void *ctx)
{
	struct fsck *f = fsck_create(s, out, problem, ctx);
	int rc = f != NULL ? 0 : -ENOMEM;

	if (rc == 0)
		rc = check_objects(f, progress);
	if (rc == 0)
		rc = check_orphan_chunks(f);
	if (rc == 0)
		rc = zh_index_scan(s->index, ZH_INDEX_CF_ACCESS, NULL, 0, check_access_one, f);
	if (rc == 0)
		rc = zh_index_scan(s->index, ZH_INDEX_CF_ALLOC, NULL, 0, collect_alloc, f);
	if (rc == 0) {
		check_extents(f);
		check_space(f);
	}
	if (f != NULL)
		fsck_destroy(f);
	return rc;
}

void zh_store_scrub_opts_default(struct zh_store_scrub_opts *opts)
{
	*opts = (struct zh_store_scrub_opts){.repair = true, .rate_bytes_per_s = UINT64_MAX};
}

int zh_store_scrub(struct zh_store *s, const struct zh_store_scrub_opts *opts,
		   struct zh_store_fsck *out, zh_store_problem_fn problem,
		   zh_store_progress_fn progress, void *ctx)
{
	struct fsck *f;
	int rc;

	if (opts->repair && s->read_only)
		return -EROFS;
	f = fsck_create(s, out, problem, ctx);
	if (f == NULL)
		return -ENOMEM;
	f->scrub = opts;
	zh__pace_init(&f->pace, opts->rate_bytes_per_s);
	for (unsigned d = 0; d < s->rec.dev_count; d++) {
		if (s->dev[d] == NULL) {
			out->devs_missing++;
			report(f, NULL,
			       "dev %u (%s): missing; its shards are rebuilt once it is "
			       "replaced (zhtpctl repair)",
			       d, s->rec.dev_path[d]);
		}
	}
	rc = check_objects(f, progress);
	fsck_destroy(f);
	return rc;
}

bool zh_store_fsck_clean(const struct zh_store_fsck *f)
{
	return f->shards_bad == 0 && f->chunks_lost == 0 && f->hash_mismatch == 0 &&
	       f->records_bad == 0 && f->extents_leaked == 0 && f->extents_unrecorded == 0 &&
	       f->devs_space_wrong == 0 && f->devs_missing == 0 && f->chunks_crowded == 0;
}

bool zh_store_scrub_clean(const struct zh_store_fsck *f)
{
	return f->shards_repaired == f->shards_bad && f->chunks_lost == 0 &&
	       f->hash_mismatch == 0 && f->records_bad == 0 && f->devs_missing == 0 &&
	       f->chunks_respread == f->chunks_crowded;
}
