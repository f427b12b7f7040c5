/* SPDX-License-Identifier: MIT */
/*
 * store: the content-addressed object store (DESIGN.md sections 3-4) on the engine's reactors,
 * the codec and the index. A store is a directory holding its devices' superblocks' index (a
 * RocksDB database) and a lock file; its devices are files in that directory by default, or
 * block devices / NVMe char devices named at format time.
 *
 * An object's name is its content hash (codec tree hash). Objects up to `small_max_bytes` are
 * kept whole inside their metadata record (one synced RocksDB batch holds data and metadata);
 * larger objects are cut into chunks, each encoded by the codec into k + m shards that land on
 * distinct devices where the store has enough. Identical content is stored once, with a
 * reference count.
 *
 * Threads: the functions here are called from control threads (tools, benchmarks, the network
 * layer's helper threads), never from a reactor: they wait. Several threads may use one store
 * at once. Inside, chunk work runs on the reactors and every metadata write goes through the
 * store's index thread, which group-commits concurrent puts and deletes.
 */
#ifndef ZH_STORE_H
#define ZH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "nvme/nvme.h"
#include "numa/zh_platform.h"

#define ZH_STORE_DEVS_MAX     ZH_CODEC_SHARDS_MAX
#define ZH_STORE_PATH_MAX     512
#define ZH_STORE_META_STR_MAX 255  /* owner, content type, filename, description */
#define ZH_STORE_TAGS_MAX     1024 /* tags, comma-separated */
#define ZH_STORE_ZSTD_AUTO    (-1)

struct zh_store_opts {
	const char *dir; /**< the store's directory (index, lock file, file devices) */
	/** Device paths; NULL entries (or dev_paths NULL) mean "<dir>/dev<i>.img". */
	const char *const *dev_paths;
	unsigned dev_count; /**< default 6 */
	/* Format only (open reads them from the store): */
	uint64_t dev_bytes;	  /**< size of each file device created; default 256 MiB */
	unsigned ec_k, ec_m;	  /**< default 4 + 2 */
	uint32_t chunk_bytes;	  /**< default 1 MiB */
	uint32_t small_max_bytes; /**< objects up to this are stored inline; default 16 KiB */
	/**
	 * Format: encrypt the store with this AES-256 key (NULL, the default: a plain store).
	 * Every chunk is then encrypted (AES-256-GCM) and every inline object sealed; object
	 * names, sizes and descriptive fields stay readable, and since a name is the hash of the
	 * content, equal objects show as equal. The store keeps a check value, never the key.
	 * Open: an encrypted store's key, required; a plain store takes none.
	 */
	const struct zh_codec_key *key;
	/* Open: */
	/**
	 * zstd level of chunks: ZH_STORE_ZSTD_AUTO (the default) moves it between 1 and 9 as each
	 * reactor sees whether compressing or writing is the slower part; 1..19 fixes it; 0 stores
	 * chunks uncompressed. Chunks that do not compress are stored raw at any level.
	 */
	int zstd_level;
	const uint16_t *cpus; /**< reactor cores; default: every core the process may use */
	unsigned cpu_count;
	/**
	 * Chunks in flight in the whole store. Their buffers (a chunk and its shards each) are
	 * allocated at open and bounded to 1 GiB: 0, the default, means 16, or as many as fit if
	 * fewer do; a count that does not fit is refused (-EINVAL, and format refuses a geometry
	 * whose slots would not fit).
	 */
	unsigned chunk_slots;
	bool read_only; /**< open for reading (fsck, get): no writes */
	/**
	 * Give a lost device a fresh superblock so that scrub can rebuild its shards in place: a
	 * missing file device is created again (the size of the others), a device whose
	 * superblock is damaged (or whose block 0 is blank) gets a new one. A device of another
	 * store, and one whose block 0 holds anything else, is never touched: the open fails.
	 */
	bool replace_lost_devs;
	/**
	 * Format: write over devices that hold something in their first block (another store's
	 * superblock, a file system, an interrupted format's devices), and delete an index an
	 * interrupted format left without its store record; without it they are refused (-EEXIST)
	 * and nothing is written. A store (an index with its record) is never formatted over.
	 * Default false.
	 */
	bool force;
	/**
	 * Hot-object cache: bytes of memory for small objects (up to 16 KiB and the store's inline
	 * size) served without an index lookup; default 256 MiB (touched only as it fills), 0 for
	 * none.
	 */
	uint64_t cache_bytes;
	/**
	 * Keep no access statistics (last accessed, access count), like the mount option. A
	 * read-only store keeps none either.
	 */
	bool noatime;
	/** Write-back interval of the access statistics in ms (default 1000; see
	 *  zh_store_flush_access()). */
	uint32_t access_flush_ms;
	/** Background repair of chunks that degraded reads found: shard bytes read per second
	 *  (default 64 MiB/s; UINT64_MAX: no limit). */
	uint64_t repair_rate_bytes;
	/** Reactors watch their rings this long before sleeping with I/O in flight (see
	 *  zh_engine_opts.busy_poll_ns; default ZH_ENGINE_BUSY_POLL_DEFAULT_NS, 0 for none). */
	uint32_t busy_poll_ns;
	/** Tests: fault injection per device (dev_count entries, NULL for none), see nvme.h. */
	struct zh_nvme_faults *const *dev_faults;
	/** Tests: every chunk's encoding takes this much longer (its reactor spins), a codec
	 *  slower than the devices on any machine; 0 for none. */
	uint32_t encode_delay_us;
};

void zh_store_opts_default(struct zh_store_opts *opts);

/**
 * Read a key file: exactly ZH_CODEC_KEY_BYTES raw bytes (what `zhtpctl format --key-file`
 * writes). \return 0; -EBADMSG when the file is shorter or longer; -errno from open/read.
 */
ZH_MUST_CHECK int zh_store_key_file_read(const char *path, struct zh_codec_key *key);

struct zh_store;

/**
 * Create a store: the directory, the device files (preallocated), a superblock on every device
 * and an empty index. Refuses (-EEXIST) when the directory already holds a store.
 * \return 0 or -errno (-EINVAL for bad options, or a device that cannot take a whole shard in
 *         one command: zh_nvme_dev_max_transfer_bytes()).
 */
ZH_MUST_CHECK int zh_store_format(const struct zh_store_opts *opts);

/**
 * Open a formatted store: take its lock file, check every device's superblock, rebuild the
 * allocators from the index and start the reactors and the index thread. A device that is
 * missing or whose superblock is damaged is left out (the store runs degraded and says so in
 * zh_store_info); a device of another store or of a newer version is an error.
 * \return 0; -EBUSY (another process has the store); -ENOENT (no store there); -EXDEV (a
 *         device of another store, or of this one at another device's path: renamed or
 *         swapped devices are not guessed at); -EEXIST (replace_lost_devs, and a lost device's
 *         block 0 holds data that is neither a superblock nor blank); -EPROTONOSUPPORT;
 *         -EUCLEAN (metadata contradicts itself); -ENOKEY (an encrypted store, no key),
 *         -EKEYREJECTED (not its key), -EINVAL (a key for a plain store, or a device that
 *         cannot take a whole shard in one command); or another -errno.
 */
ZH_MUST_CHECK int zh_store_open(const struct zh_store_opts *opts, struct zh_store **out);
void zh_store_close(struct zh_store *store);

/** Descriptive fields stored with an object (all optional, NUL-terminated). */
struct zh_object_meta {
	const char *owner;
	const char *content_type;
	const char *filename;
	const char *description;
	const char *tags;
};

enum zh_object_layout {
	ZH_OBJECT_INLINE,  /**< whole, inside the metadata record */
	ZH_OBJECT_CHUNKED, /**< chunks of k + m shards on the devices */
};

struct zh_object_info {
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	uint64_t size_bytes;
	uint64_t stored_bytes; /**< payload after compression, before parity */
	uint32_t chunk_count;
	uint32_t chunk_bytes;
	/**
	 * Puts of this content not yet deleted. It saturates: at UINT32_MAX it stops counting and
	 * the object is kept for good (a delete returns 0 and frees nothing).
	 */
	uint32_t refcount;
	uint8_t layout; /**< enum zh_object_layout */
	uint8_t ec_k, ec_m;
	bool encrypted;
	uint64_t created_unix_s;
	/**
	 * Reads of the object (every successful zh_store_get, whole or ranged) and when the last
	 * was, as written back so far: statistics reach the index within access_flush_ms, at
	 * zh_store_flush_access() and at close. 0 and 0: never read (or noatime).
	 */
	uint64_t last_accessed_unix_s;
	uint64_t access_count;
	char owner[ZH_STORE_META_STR_MAX + 1];
	char content_type[ZH_STORE_META_STR_MAX + 1];
	char filename[ZH_STORE_META_STR_MAX + 1];
	char description[ZH_STORE_META_STR_MAX + 1];
	char tags[ZH_STORE_TAGS_MAX + 1];
};

/* ---- put ---------------------------------------------------------------------------------- */

struct zh_store_put;

/** Start a streaming put. \return 0, -EINVAL (a field too long), -EROFS, -EIO (store failed). */
ZH_MUST_CHECK int zh_store_put_begin(struct zh_store *store, const struct zh_object_meta *meta,
				     struct zh_store_put **out);
/**
 * Append bytes. Full chunks go to the reactors at once; this waits only when the store's chunk
 * slots are all busy, or half of them are held by puts filling a chunk. That half is the most
 * that idle streaming puts can hold: gets and scrub always have the rest, but further puts
 * wait for a filling put to write, finish or abort (a server must time idle puts out).
 * \return 0, -EFBIG (past the largest object), or the first chunk error.
 */
ZH_MUST_CHECK int zh_store_put_write(struct zh_store_put *put, const void *data, size_t len);
/**
 * Finish: wait until every chunk is durable on its devices, commit the metadata (WAL synced),
 * and return the content hash. The put is freed whatever the result; on failure nothing is
 * stored and its space is free again, with one exception: when the index commit itself fails,
 * the object may already be visible and may surface after a restart (its space stays taken;
 * the store refuses changes until it is reopened, and the open rebuilds from what was
 * committed). Its chunks are durable by then, so such an object is whole if it appears.
 * \return 0, -ENOSPC, -EIO, or another -errno from the devices or the index.
 */
ZH_MUST_CHECK int zh_store_put_finish(struct zh_store_put *put, uint8_t hash[ZH_CODEC_HASH_BYTES]);
/** Drop a put without storing anything. */
void zh_store_put_abort(struct zh_store_put *put);

/** Whole-buffer put: begin, one write, finish. */
ZH_MUST_CHECK int zh_store_put(struct zh_store *store, const void *data, size_t len,
			       const struct zh_object_meta *meta,
			       uint8_t hash[ZH_CODEC_HASH_BYTES]);

/**
 * The content hash a put of the bytes added would return: a client hashes what it holds, asks
 * zh_store_ref() and sends only what the store lacks. The bytes may come in pieces of any
 * length; each add hands its whole chunks to the store's reactors (their codecs hash them, as
 * a put's encode does, taking reactor time from other work) and returns without waiting for
 * them: an add's bytes must stay as they are until the next add, final or destroy returns
 * (read into two buffers in turn, and the reading overlaps the hashing). One hasher per
 * thread, never a reactor's (an add waits on them), used for object after object, destroyed
 * before the store closes; create allocates two chunks' buffers.
 * \return (create) 0, -ENOMEM.
 */
struct zh_store_hasher;
ZH_MUST_CHECK int zh_store_hasher_create(struct zh_store *store, struct zh_store_hasher **out);
void zh_store_hasher_add(struct zh_store_hasher *hasher, const void *data, size_t len);
/** The hash of what was added since create or the last final; then ready for the next. */
void zh_store_hasher_final(struct zh_store_hasher *hasher, uint8_t hash[ZH_CODEC_HASH_BYTES]);
void zh_store_hasher_destroy(struct zh_store_hasher *hasher);

/**
 * One more reference to stored content, named by its hash, without its bytes: what a put of
 * that content does when it finds it stored (the object and its metadata stay as they are;
 * each delete drops one reference; a count at its limit, UINT32_MAX, stays there, as for a
 * put). It costs one index commit, where a put of the same bytes would first encode and write
 * every chunk. Naming a hash proves nothing about holding its bytes: a front end must not let
 * a client take references to content it may not read.
 * \return 0; -ENOENT (not stored: put it); -EUCLEAN (its record is damaged); -EROFS; -EIO
 *         (the store refuses changes; when its commit failed, the reference may surface after
 *         a restart, as a put's object may); or another -errno from the index.
 */
ZH_MUST_CHECK int zh_store_ref(struct zh_store *store, const uint8_t hash[ZH_CODEC_HASH_BYTES]);

/* ---- get, stat, delete, list ---------------------------------------------------------------- */

/** Receives an object's bytes in order. Returning non-zero stops the get with that value. */
typedef int (*zh_store_sink_fn)(void *ctx, const void *data, size_t len);

/**
 * Stream bytes [offset, offset + len) of an object to \p sink (len UINT64_MAX: to the end).
 * Reads only the chunks the range needs; a lost or corrupt shard is rebuilt from parity
 * (counted in zh_store_stats.degraded_reads).
 * \return 0; -ENOENT (also when deleted while read); -EAGAIN (deleted and put again while read:
 *         try again); -EINVAL (offset past the end); -EIO (more than m shards of a chunk lost);
 *         -EBADMSG (content does not match its hash); or the sink's value.
 */
ZH_MUST_CHECK int zh_store_get(struct zh_store *store, const uint8_t hash[ZH_CODEC_HASH_BYTES],
			       uint64_t offset, uint64_t len, zh_store_sink_fn sink, void *ctx);

/** \return 0, -ENOENT, or -EUCLEAN (a damaged record). */
ZH_MUST_CHECK int zh_store_stat(struct zh_store *store, const uint8_t hash[ZH_CODEC_HASH_BYTES],
				struct zh_object_info *info);

/**
 * Drop one reference; the last one removes the object and frees its space (committed before
 * this returns). Not idempotent: a delete whose answer was lost (a crash after its commit)
 * and is retried drops a second reference, another holder's; a put retried the same way adds
 * one. References carry no requester, so a front end that retries must make its requests
 * unique itself (zhtpd's protocol will). \return 0, -ENOENT, -EROFS, -EIO.
 */
ZH_MUST_CHECK int zh_store_delete(struct zh_store *store, const uint8_t hash[ZH_CODEC_HASH_BYTES]);

/**
 * Write the access statistics gathered in memory to the index now (synced) instead of at the
 * next interval. \return 0, -EROFS, -EIO (the store refuses changes).
 */
ZH_MUST_CHECK int zh_store_flush_access(struct zh_store *store);

typedef int (*zh_store_list_fn)(void *ctx, const struct zh_object_info *info);
/** Every object in hash order, until \p fn returns non-zero (returned). */
ZH_MUST_CHECK int zh_store_list(struct zh_store *store, zh_store_list_fn fn, void *ctx);

/* ---- batches ------------------------------------------------------------------------------- */

#define ZH_STORE_BATCH_CONCURRENCY_MAX 64

/** One object of a batch put: data and meta in; hash and rc out. */
struct zh_store_put_item {
	const void *data;
	size_t len;
	const struct zh_object_meta *meta; /**< may be NULL */
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	int rc; /**< as zh_store_put() */
};

/** One read of a batch get: what to read and where to stream it in; rc out. */
struct zh_store_get_item {
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	uint64_t offset, len; /**< as zh_store_get() */
	zh_store_sink_fn sink;
	void *ctx;
	int rc; /**< as zh_store_get() */
};

/**
 * Put \p n objects, up to \p concurrency at once (1..ZH_STORE_BATCH_CONCURRENCY_MAX; the seed's
 * batch upload uses 10). Concurrent puts share WAL syncs, so a batch of small objects commits
 * in far fewer syncs than one put after another. Each item succeeds or fails on its own.
 * \return 0 when every item succeeded, else the first failing item's rc; -EINVAL for a bad
 *         concurrency (no item tried).
 */
ZH_MUST_CHECK int zh_store_put_batch(struct zh_store *store, struct zh_store_put_item *items,
				     size_t n, unsigned concurrency);

/**
 * Get \p n objects, up to \p concurrency at once (the seed's batch download uses 20). Each
 * item's sink is called from one thread, in order; different items' sinks run in parallel.
 * \return as zh_store_put_batch().
 */
ZH_MUST_CHECK int zh_store_get_batch(struct zh_store *store, struct zh_store_get_item *items,
				     size_t n, unsigned concurrency);

/* ---- store-wide ----------------------------------------------------------------------------- */

struct zh_store_dev_info {
	char path[ZH_STORE_PATH_MAX];
	bool present;
	bool replaced; /**< given a fresh superblock by this open (replace_lost_devs) */
	uint64_t dev_bytes;
	uint64_t free_bytes;
	uint64_t dropped_bytes; /**< free, but not tracked: more gaps than the free array holds */
};

struct zh_store_info {
	uint8_t uuid[16];
	unsigned dev_count, devs_present;
	unsigned ec_k, ec_m;
	bool encrypted;
	/** Distinct devices a chunk's shards land on (k + m, or fewer on a small store). */
	unsigned shard_spread;
	uint32_t chunk_bytes, small_max_bytes;
	struct zh_store_dev_info dev[ZH_STORE_DEVS_MAX];
};

void zh_store_info_get(struct zh_store *store, struct zh_store_info *info);

struct zh_store_stats {
	uint64_t puts, put_dedups, gets, deletes;
	uint64_t chunks_written, chunks_read, degraded_reads, shards_bad;
	uint64_t commit_groups, commit_batches; /**< WAL syncs and the puts/deletes they carried */
	/** Background repair: chunks queued by degraded reads, dropped (queue full: scrub
	 *  finds them), and chunks and shards rewritten (by it and by scrub). */
	uint64_t repairs_queued, repairs_dropped, chunks_repaired, shards_repaired;
	/** Hot-object cache: gets served from it, and gets that looked and missed (every get of
	 *  an object too large for it counts as a miss). */
	uint64_t cache_hits, cache_misses;
	/** Callers that waited for a chunk slot: none free, or (a put filling one) half of them
	 *  held by puts still filling theirs. Growing steadily: raise chunk_slots. */
	uint64_t slot_waits;
	/** Shard writes a device cut short (moved fewer bytes than asked), each resumed from the
	 *  last whole block it moved; one that moved no whole block fails its put instead. */
	uint64_t short_writes;
	/** Access statistics not counted because the in-memory tables were full (reads of many
	 *  distinct objects faster than the index thread writes them back). */
	uint64_t access_dropped;
	/** Shards of deleted objects left alone because no ALLOC record said they were used
	 *  (fsck's extents_unrecorded): their space may be another object's by now. */
	uint64_t delete_extents_unrecorded;
	/** The zstd level the reactors encode with now (their mean, rounded; see zstd_level). */
	unsigned zstd_level;
	/** Crowded chunks (put while a device was missing) moved by scrub or the background
	 *  repairer, and the shards they moved. */
	uint64_t chunks_respread, shards_respread;
	/** References taken by hash (zh_store_ref), each in place of a put of stored content. */
	uint64_t refs;
};

void zh_store_stats_get(struct zh_store *store, struct zh_store_stats *stats);

/* ---- checking ------------------------------------------------------------------------------ */

struct zh_store_fsck {
	uint64_t objects, chunks, shards;
	uint64_t shards_bad;	 /**< missing, unreadable or failing their crc (repairable) */
	uint64_t chunks_lost;	 /**< more than m shards bad: data lost */
	uint64_t hash_mismatch;	 /**< decoded content does not match its chunk or object hash */
	uint64_t records_bad;	 /**< metadata records that do not parse or contradict */
	uint64_t extents_leaked; /**< allocated but used by no chunk */
	uint64_t
	    extents_unrecorded; /**< used by a chunk but not allocated (or with a wrong length) */
	uint64_t devs_space_wrong; /**< free + used != device size */
	uint64_t devs_missing;
	uint64_t shards_repaired; /**< scrub only: bad shards rewritten in place */
	/**
	 * Chunks with more shards on one device than the devices' spread puts there (written while
	 * a device was missing): losing that device costs more of them than m covers.
	 */
	uint64_t chunks_crowded;
	/** Scrub only: crowded chunks whose extra shards were moved to other devices (needs
	 *  repair and every device present); fsck finds them spread. */
	uint64_t chunks_respread;
};

/** One line describing a problem found (for humans; the counters are the contract). */
typedef void (*zh_store_problem_fn)(void *ctx, const char *line);
/** Progress of a long walk: objects done of total. */
typedef void (*zh_store_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/**
 * Check everything: every object record and its chunk records, every shard of every chunk
 * (read and crc-checked, not just the k needed), every chunk's and object's content hash, and
 * that the allocator's used extents are exactly the shards' extents with free + used equal to
 * each device's size. Changes nothing.
 *
 * \return 0 when the walk completed (look at \p out for what it found), or -errno.
 */
ZH_MUST_CHECK int zh_store_fsck(struct zh_store *store, struct zh_store_fsck *out,
				zh_store_problem_fn problem, zh_store_progress_fn progress,
				void *ctx);

/** True when \p f found nothing wrong (a missing device is something wrong). */
bool zh_store_fsck_clean(const struct zh_store_fsck *f);

struct zh_store_scrub_opts {
	bool repair; /**< rewrite bad shards in place (default true) */
	uint64_t
	    rate_bytes_per_s; /**< shard bytes read per second (default UINT64_MAX: no limit) */
};

void zh_store_scrub_opts_default(struct zh_store_scrub_opts *opts);

/**
 * Scrub: read every shard of every chunk and check it, like fsck, while the store keeps serving
 * (objects put or deleted meanwhile are fine); with \p opts->repair, rebuild each bad shard from
 * the others and write it back in place, after checking that the chunk decodes to its hash. A
 * shard on a device that is missing cannot be rewritten (reopen with replace_lost_devs). The
 * allocator checks are fsck's, not scrub's. Fills the fsck counters it covers (objects, chunks,
 * shards, shards_bad, chunks_lost, hash_mismatch, records_bad, devs_missing, shards_repaired,
 * chunks_crowded, chunks_respread). With repair and every device present it also moves the
 * extra shards of crowded chunks to new extents on other devices and commits each chunk's new
 * record; a get that read a chunk's old record meanwhile fails with -EAGAIN (try again).
 * \return 0 when the walk completed, or -errno (-EROFS: repair on a read-only store).
 */
ZH_MUST_CHECK int zh_store_scrub(struct zh_store *store, const struct zh_store_scrub_opts *opts,
				 struct zh_store_fsck *out, zh_store_problem_fn problem,
				 zh_store_progress_fn progress, void *ctx);

/** True when a scrub left the store whole: every bad shard repaired, nothing lost. */
bool zh_store_scrub_clean(const struct zh_store_fsck *f);

#endif /* ZH_STORE_H */
