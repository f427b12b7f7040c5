/* SPDX-License-Identifier: MIT */
/*
 * index/: the store's metadata in RocksDB (DESIGN.md sections 2-4): object records, shard maps,
 * allocator state and store-wide records, each in its own column family. Writes are atomic
 * batches; a commit is durable when it returns (WAL synced), and zh_index_commit_group() makes
 * many batches durable with one WAL sync (group commit).
 *
 * Threads: every call here may block on disk, so none may run on a reactor (DESIGN.md invariant
 * 1): the engine's index threads make them and answer reactors by message. A struct zh_index
 * may be used from several threads at once; a struct zh_index_batch by one thread at a time.
 *
 * Errors: RocksDB's status strings are mapped once, here: -EIO (I/O error), -ENOSPC (no space),
 * -EBUSY (another process holds the store), -EUCLEAN (corruption), -EINVAL (bad argument),
 * -ENOENT (not found), -ENOMEM. The original message can be read with zh_index_last_error().
 */
#ifndef ZH_INDEX_H
#define ZH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numa/zh_platform.h"

enum zh_index_cf {
	ZH_INDEX_CF_OBJECTS, /**< content hash -> object record */
	ZH_INDEX_CF_CHUNKS,  /**< (hash, chunk index) -> chunk header and shard map */
	ZH_INDEX_CF_ALLOC,   /**< (device, offset) -> extent state */
	ZH_INDEX_CF_META,    /**< store-wide records: identity, configuration, counters */
	ZH_INDEX_CF_ACCESS,  /**< content hash -> last accessed, access count */
	ZH_INDEX_CF_COUNT,
};

#define ZH_INDEX_KEY_MAX   256
#define ZH_INDEX_ERROR_MAX 256
#define ZH_INDEX_GROUP_MAX 256 /* batches per zh_index_commit_group() */

struct zh_index_opts {
	const char *path;	     /**< directory of the database */
	bool create;		     /**< create it (and the column families) if missing */
	uint64_t cache_bytes;	     /**< block cache; default 64 MiB */
	uint64_t write_buffer_bytes; /**< memtable per column family; default 32 MiB */
};

void zh_index_opts_default(struct zh_index_opts *opts);

struct zh_index;
struct zh_index_batch;

/**
 * Open (or create) the database. Fails with -EBUSY when another process has it open.
 * \return 0 or a negative errno (see the file comment).
 */
ZH_MUST_CHECK int zh_index_open(const struct zh_index_opts *opts, struct zh_index **out);
void zh_index_close(struct zh_index *index);
/**
 * Delete the database at \p path (not open anywhere), as RocksDB's DestroyDB does: its files,
 * then its directory if that is left empty. \return 0 or a negative errno.
 */
ZH_MUST_CHECK int zh_index_destroy(const char *path);

/** RocksDB's message for the last error on this thread ("" if none). */
const char *zh_index_last_error(void);

/** A write batch for \p index; allocate a few per index thread at start-up and reuse them. */
ZH_MUST_CHECK int zh_index_batch_create(struct zh_index *index, struct zh_index_batch **out);
void zh_index_batch_destroy(struct zh_index_batch *batch);
void zh_index_batch_clear(struct zh_index_batch *batch);
unsigned zh_index_batch_count(const struct zh_index_batch *batch);
void zh_index_batch_put(struct zh_index_batch *batch, enum zh_index_cf cf, const void *key,
			size_t key_len, const void *val, size_t val_len);
void zh_index_batch_delete(struct zh_index_batch *batch, enum zh_index_cf cf, const void *key,
			   size_t key_len);

/** Apply one batch atomically and sync the WAL before returning. \return 0 or -errno. */
ZH_MUST_CHECK int zh_index_commit(struct zh_index *index, struct zh_index_batch *batch);

/**
 * Group commit: apply \p count batches in order, each atomically and unsynced, then sync the
 * WAL once (RocksDB's SyncWAL covers every unsynced log file, also across a memtable switch).
 * When this returns 0 all are durable. On an error, the first \p *applied batches were applied
 * but none is known to be durable until a later commit succeeds. Between the writes and the
 * sync, readers may already see the batches: the engine answers a request only after this
 * returns, so nothing undurable is ever acknowledged.
 * \return 0 or -errno; \p applied (if not NULL) counts the batches written.
 */
ZH_MUST_CHECK int zh_index_commit_group(struct zh_index *index,
					struct zh_index_batch *const batches[], unsigned count,
					unsigned *applied);

/**
 * Read one value into \p buf (capacity \p cap).
 * \return its length (which may exceed cap: then only cap bytes were copied), -ENOENT, or -errno.
 */
ZH_MUST_CHECK long zh_index_get(struct zh_index *index, enum zh_index_cf cf, const void *key,
				size_t key_len, void *buf, size_t cap);

typedef int (*zh_index_value_fn)(void *ctx, const void *val, size_t val_len);

/**
 * Look one value up and hand it to \p fn in place (RocksDB keeps it pinned for the call: no
 * copy). \return fn's value, -ENOENT, or -errno.
 */
ZH_MUST_CHECK int zh_index_get_with(struct zh_index *index, enum zh_index_cf cf, const void *key,
				    size_t key_len, zh_index_value_fn fn, void *ctx);

typedef int (*zh_index_scan_fn)(void *ctx, const void *key, size_t key_len, const void *val,
				size_t val_len);

/**
 * Call \p fn for every key of \p cf that starts with \p prefix (all keys for an empty prefix),
 * in key order, until it returns non-zero.
 * \return the callback's non-zero value, 0 when the scan finished, or -errno.
 */
ZH_MUST_CHECK int zh_index_scan(struct zh_index *index, enum zh_index_cf cf, const void *prefix,
				size_t prefix_len, zh_index_scan_fn fn, void *ctx);

#endif /* ZH_INDEX_H */
