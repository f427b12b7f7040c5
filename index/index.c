/* SPDX-License-Identifier: MIT */
/*
 * RocksDB through its C API: opening the store's column families, write batches, synced and
 * group commits, point reads and prefix scans, and the one place where RocksDB's status strings
 * become negative errnos.
 *
 * Design notes:
 * 1. RocksDB allocates internally (values it returns, iterators): the documented exception to
 *    "no allocation on the data path" (STYLE.md section 4). It is confined to index threads.
 * 2. A group commit is N unsynced writes and one SyncWAL, not one merged batch: each request
 *    stays its own atomic unit (one bad request does not fail its neighbours), and the sync
 *    costs one fsync for all of them, which is what group commit is for.
 * 3. Reads use pinnable slices: the value is handed to the caller in place
 *    (zh_index_get_with) or copied once into its buffer (zh_index_get).
 * 4. No block compression: the values are hashes, crcs, shard maps and object bytes that were
 *    either compressed already or did not compress; LZ4 cost CPU on every flush, compaction and
 *    uncached read for little space (it was 1% of a 4 KiB-object put/get profile). A bloom
 *    filter (10 bits per key) lets a point lookup by hash skip the files that lack it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "index/index.h"

static const char *const cf_names[ZH_INDEX_CF_COUNT + 1] = {"default", "objects", "chunks",
							    "alloc",   "meta",	  "access"};

struct zh_index {
	rocksdb_t *db;
	rocksdb_options_t *options;
	rocksdb_block_based_table_options_t *table;
	rocksdb_cache_t *cache;
	rocksdb_writeoptions_t *write_sync;
	rocksdb_writeoptions_t *write_nosync;
	rocksdb_readoptions_t *read;
	rocksdb_column_family_handle_t *cf[ZH_INDEX_CF_COUNT + 1]; /* [0] is "default" */
};

struct zh_index_batch {
	rocksdb_writebatch_t *wb;
	struct zh_index *index; /* whose column-family handles the batch names */
};

static _Thread_local char last_error[ZH_INDEX_ERROR_MAX];

const char *zh_index_last_error(void)
{
	return last_error;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The errno for a RocksDB status message, "<class>: <detail>". The class decides; the detail
 * only splits I/O errors, and only by RocksDB's own words: it holds paths and data, and a
 * store under /srv/blocks must not read as "locked".
 */
static int status_class_errno(const char *err)
{
	if (starts_with(err, "Corruption:"))
		return -EUCLEAN;
	if (starts_with(err, "Invalid argument:"))
		return -EINVAL;
	if (starts_with(err, "NotFound:"))
		return -ENOENT;
	if (starts_with(err, "Resource busy:"))
		return -EBUSY;
	if (!starts_with(err, "IO error:"))
		return -EIO;
	/* The LOCK file held by another process, or by another open in this one. */
	if (strstr(err, ": While lock file") != NULL || strstr(err, "lock hold by current") != NULL)
		return -EBUSY;
	return strstr(err, "No space left") != NULL ? -ENOSPC : -EIO;
}

/* Keep RocksDB's message, free it, and name its class as an errno. */
static int status_errno(char *err)
{
	int rc;

	if (err == NULL)
		return 0;
	snprintf(last_error, sizeof(last_error), "%s", err);
	rc = status_class_errno(err);
	rocksdb_free(err);
	return rc;
}

void zh_index_opts_default(struct zh_index_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cache_bytes = 64ull << 20;
	o->write_buffer_bytes = 32ull << 20;
}

static int options_create(struct zh_index *ix, const struct zh_index_opts *o)
{
	ix->options = rocksdb_options_create();
	ix->table = rocksdb_block_based_options_create();
	ix->cache = rocksdb_cache_create_lru(o->cache_bytes);
	ix->write_sync = rocksdb_writeoptions_create();
	ix->write_nosync = rocksdb_writeoptions_create();
	ix->read = rocksdb_readoptions_create();
	if (ix->options == NULL || ix->table == NULL || ix->cache == NULL ||
	    ix->write_sync == NULL || ix->write_nosync == NULL || ix->read == NULL)
		return -ENOMEM;
	rocksdb_block_based_options_set_block_cache(ix->table, ix->cache);
	rocksdb_block_based_options_set_filter_policy(ix->table,
						      rocksdb_filterpolicy_create_bloom(10));
	rocksdb_options_set_block_based_table_factory(ix->options, ix->table);
	rocksdb_options_set_create_if_missing(ix->options, o->create);
	/*
	 * Always: a column family a later version added (access) is created empty on the first
	 * open of a database made before it, which is what its absence meant.
	 */
	rocksdb_options_set_create_missing_column_families(ix->options, 1);
	rocksdb_options_set_write_buffer_size(ix->options, o->write_buffer_bytes);
	rocksdb_options_set_compression(ix->options, rocksdb_no_compression);
	rocksdb_options_set_max_background_jobs(ix->options, 2);
	rocksdb_writeoptions_set_sync(ix->write_sync, 1);
	rocksdb_writeoptions_set_sync(ix->write_nosync, 0);
	return 0;
}

int zh_index_open(const struct zh_index_opts *o, struct zh_index **out)
{
	const rocksdb_options_t *cf_opts[ZH_INDEX_CF_COUNT + 1];
	struct zh_index *ix;
	char *err = NULL;
	int rc;

	if (o->path == NULL || o->path[0] == '\0')
		return -EINVAL;
	ix = calloc(1, sizeof(*ix));
	if (ix == NULL)
		return -ENOMEM;
	rc = options_create(ix, o);
	if (rc == 0) {
		for (unsigned i = 0; i <= ZH_INDEX_CF_COUNT; i++)
			cf_opts[i] = ix->options;
		ix->db = rocksdb_open_column_families(ix->options, o->path, ZH_INDEX_CF_COUNT + 1,
						      (const char *const *)cf_names, cf_opts,
						      ix->cf, &err);
		rc = status_errno(err);
		/* A missing store without `create` reads "Invalid argument: ... does not exist". */
		if (rc == -EINVAL && !o->create && strstr(last_error, "does not exist") != NULL)
			rc = -ENOENT;
	}
	if (rc < 0) {
		zh_index_close(ix);
		return rc;
	}
	*out = ix;
	return 0;
}

int zh_index_destroy(const char *path)
{
	rocksdb_options_t *options = rocksdb_options_create();
	char *err = NULL;

	if (options == NULL)
		return -ENOMEM;
	rocksdb_destroy_db(options, path, &err);
	rocksdb_options_destroy(options);
	return status_errno(err);
}

void zh_index_close(struct zh_index *ix)
{
	if (ix == NULL)
		return;
	for (unsigned i = 0; i <= ZH_INDEX_CF_COUNT; i++) {
		if (ix->cf[i] != NULL)
			rocksdb_column_family_handle_destroy(ix->cf[i]);
	}
	if (ix->db != NULL)
		rocksdb_close(ix->db);
	if (ix->read != NULL)
		rocksdb_readoptions_destroy(ix->read);
	if (ix->write_nosync != NULL)
		rocksdb_writeoptions_destroy(ix->write_nosync);
	if (ix->write_sync != NULL)
		rocksdb_writeoptions_destroy(ix->write_sync);
	if (ix->options != NULL)
		rocksdb_options_destroy(ix->options);
	if (ix->table != NULL)
		rocksdb_block_based_options_destroy(ix->table);
	if (ix->cache != NULL)
		rocksdb_cache_destroy(ix->cache);
	free(ix);
}

int zh_index_batch_create(struct zh_index *ix, struct zh_index_batch **out)
{
	struct zh_index_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	b->index = ix;
	b->wb = rocksdb_writebatch_create();
	if (b->wb == NULL) {
		free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

void zh_index_batch_destroy(struct zh_index_batch *b)
{
	if (b == NULL)
		return;
	rocksdb_writebatch_destroy(b->wb);
	free(b);
}

void zh_index_batch_clear(struct zh_index_batch *b)
{
	rocksdb_writebatch_clear(b->wb);
}

unsigned zh_index_batch_count(const struct zh_index_batch *b)
{
	return (unsigned)rocksdb_writebatch_count(b->wb);
}

static rocksdb_column_family_handle_t *cf_handle(struct zh_index *ix, enum zh_index_cf cf)
{
	ZH_ASSERT((unsigned)cf < ZH_INDEX_CF_COUNT);
	return ix->cf[cf + 1];
}

void zh_index_batch_put(struct zh_index_batch *b, enum zh_index_cf cf, const void *key,
			size_t key_len, const void *val, size_t val_len)
{
	ZH_ASSERT(key_len > 0 && key_len <= ZH_INDEX_KEY_MAX);
	rocksdb_writebatch_put_cf(b->wb, cf_handle(b->index, cf), key, key_len, val, val_len);
}

void zh_index_batch_delete(struct zh_index_batch *b, enum zh_index_cf cf, const void *key,
			   size_t key_len)
{
	ZH_ASSERT(key_len > 0 && key_len <= ZH_INDEX_KEY_MAX);
	rocksdb_writebatch_delete_cf(b->wb, cf_handle(b->index, cf), key, key_len);
}

int zh_index_commit(struct zh_index *ix, struct zh_index_batch *b)
{
	char *err = NULL;

	ZH_ASSERT(b->index == ix);
	rocksdb_write(ix->db, ix->write_sync, b->wb, &err);
	return status_errno(err);
}

int zh_index_commit_group(struct zh_index *ix, struct zh_index_batch *const batches[],
			  unsigned count, unsigned *applied)
{
	unsigned done = 0;
	char *err = NULL;
	int rc = 0;

	ZH_ASSERT(count <= ZH_INDEX_GROUP_MAX);
	for (; done < count && rc == 0; done++) {
		ZH_ASSERT(batches[done]->index == ix);
		rocksdb_write(ix->db, ix->write_nosync, batches[done]->wb, &err);
		rc = status_errno(err);
		if (rc < 0)
			break;
	}
	if (applied != NULL)
		*applied = done;
	if (rc < 0 || done == 0)
		return rc;
	rocksdb_flush_wal(ix->db, 1, &err);
	return status_errno(err);
}

int zh_index_get_with(struct zh_index *ix, enum zh_index_cf cf, const void *key, size_t key_len,
		      zh_index_value_fn fn, void *ctx)
{
	char *err = NULL;
	rocksdb_pinnableslice_t *v =
	    rocksdb_get_pinned_cf(ix->db, ix->read, cf_handle(ix, cf), key, key_len, &err);
	const char *val;
	size_t len;
	int rc = status_errno(err);

	if (rc < 0)
		return rc;
	if (v == NULL)
		return -ENOENT;
	val = rocksdb_pinnableslice_value(v, &len);
	rc = fn(ctx, val, len);
	rocksdb_pinnableslice_destroy(v);
	return rc;
}

struct get_copy {
	void *buf;
	size_t cap;
	size_t len;
};

static int get_copy_fn(void *ctx, const void *val, size_t len)
{
	struct get_copy *c = ctx;

	/* A caller asking only for the length passes no buffer (memcpy's NULL is undefined). */
	if (c->cap > 0)
		memcpy(c->buf, val, len < c->cap ? len : c->cap);
	c->len = len;
	return 0;
}

long zh_index_get(struct zh_index *ix, enum zh_index_cf cf, const void *key, size_t key_len,
		  void *buf, size_t cap)
{
	struct get_copy c = {buf, cap, 0};
	int rc = zh_index_get_with(ix, cf, key, key_len, get_copy_fn, &c);

	return rc < 0 ? rc : (long)c.len;
}

int zh_index_scan(struct zh_index *ix, enum zh_index_cf cf, const void *prefix, size_t prefix_len,
		  zh_index_scan_fn fn, void *ctx)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(ix->db, ix->read, cf_handle(ix, cf));
	char *err = NULL;
	int rc = 0;

	if (it == NULL)
		return -ENOMEM;
	if (prefix_len > 0)
		rocksdb_iter_seek(it, prefix, prefix_len);
	else
		rocksdb_iter_seek_to_first(it);
	for (; rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		/* prefix may be NULL when empty: memcmp must not see it (UBSan caught it). */
		if (prefix_len > 0 && (klen < prefix_len || memcmp(k, prefix, prefix_len) != 0))
			break;
		rc = fn(ctx, k, klen, v, vlen);
	}
	if (rc == 0) {
		rocksdb_iter_get_error(it, &err);
		rc = status_errno(err);
	}
	rocksdb_iter_destroy(it);
	return rc;
}
