/* SPDX-License-Identifier: MIT */
/*
 * store internals shared by store.c (open, format, placement), store_record.c (metadata records),
 * store_index.c (the index thread), store_put.c and store_get.c (the chunk pipelines) and their
 * white-box tests. Not part of the public API.
 */
#ifndef ZH_STORE_INTERNAL_H
#define ZH_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/store.h"
#include "index/index.h"
#include "numa/numa.h"

#define ZH__STORE_VERSION	 1
#define ZH__STORE_LOCK_FILE	 "zhtp.lock"
#define ZH__STORE_INDEX_DIR	 "index"
#define ZH__STORE_META_KEY	 "store"
#define ZH__STORE_ALLOC_FREE_MAX 65536u /* free extents tracked per device */
#define ZH__OBJECT_MAX_BYTES	 (1ull << 40)

/* ---- metadata records (store_record.c; byte layouts in docs/format.md) ------------------- */

/** Where one shard lives: its device and offset; its length is the chunk's shard stride. */
struct zh__shard_loc {
	uint16_t dev;
	uint64_t offset_bytes;
};

/** A chunk's record: codec header (with the shard crcs), chunk hash and shard map. */
struct zh__chunk_rec {
	struct zh_codec_hdr hdr;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh__shard_loc loc[ZH_CODEC_SHARDS_MAX];
};

#define ZH__CHUNK_KEY_BYTES (ZH_CODEC_HASH_BYTES + 4)
#define ZH__CHUNK_REC_HEAD  (4 + ZH_CODEC_HDR_BYTES + ZH_CODEC_HASH_BYTES)
#define ZH__CHUNK_REC_BYTES (ZH__CHUNK_REC_HEAD + 10 * ZH_CODEC_SHARDS_MAX)

/* A put's id: drawn from the store's nonce sequence, so never repeated under its key. */
#define ZH__PUT_ID_BYTES ZH_CODEC_NONCE_BYTES

/** Object record fields; strings point into the caller's memory (pack) or the record (unpack). */
struct zh__object_rec {
	uint8_t layout; /* enum zh_object_layout */
	uint8_t ec_k, ec_m;
	uint32_t chunk_bytes;
	uint64_t size_bytes;
	uint64_t stored_bytes;
	uint32_t chunk_count;
	uint32_t refcount;
	uint64_t created_unix_s;
	uint32_t inline_crc; /* crc32c of the inline data as stored */
	bool encrypted;	     /* chunks encrypted, or the inline data sealed */
	/*
	 * A chunked object of a bound store (zh__store_rec.bound): its chunks' tags cover its
	 * put's id and their index (zh__chunk_bind()), and the record is sealed, its tag
	 * covering the object's hash, the put's id and what fixes its content (store_crypt.c).
	 */
	bool bound;
	uint8_t put_id[ZH__PUT_ID_BYTES];
	uint8_t seal_tag[ZH_CODEC_TAG_BYTES];
	const char *str[5]; /* owner, content type, filename, description, tags */
	uint16_t str_len[5];
	/* ZH_OBJECT_INLINE: size_bytes bytes, or when encrypted nonce, tag and size_bytes bytes
	 * of ciphertext (zh__object_rec_inline_bytes() in all). */
	const uint8_t *inline_data;
};

/* Before a sealed inline object: its nonce and GCM tag. */
#define ZH__SEAL_BYTES	    (ZH_CODEC_NONCE_BYTES + ZH_CODEC_TAG_BYTES)
#define ZH__OBJECT_REC_HEAD 56
/* A bound record's put id and seal tag, after its strings. */
#define ZH__OBJECT_BIND_BYTES (ZH__PUT_ID_BYTES + ZH_CODEC_TAG_BYTES)
/* Without the inline data, which adds up to small_max_bytes. */
#define ZH__OBJECT_REC_MAX                                                                         \
	(ZH__OBJECT_REC_HEAD + 4 * ZH_STORE_META_STR_MAX + ZH_STORE_TAGS_MAX + ZH__SEAL_BYTES +    \
	 ZH__OBJECT_BIND_BYTES)

void zh__chunk_key(const uint8_t hash[ZH_CODEC_HASH_BYTES], uint32_t index,
		   uint8_t key[ZH__CHUNK_KEY_BYTES]);
/** \return the packed length (ZH__CHUNK_REC_HEAD + 10 per shard). */
size_t zh__chunk_rec_pack(const struct zh__chunk_rec *rec, uint8_t out[ZH__CHUNK_REC_BYTES]);
/** True when \p a and \p b pack to the same bytes (the same committed record). */
bool zh__chunk_rec_equal(const struct zh__chunk_rec *a, const struct zh__chunk_rec *b);
/** \return 0, or -EUCLEAN for a damaged or inconsistent record. */
int zh__chunk_rec_unpack(const uint8_t *in, size_t len, struct zh__chunk_rec *rec);
struct zh__store_rec;
/**
 * zh__chunk_rec_unpack() and a check against the store: its geometry (k, m, a chunk no longer
 * than the store's, so that its shards fit the slot buffers), its encryption (the store's: a
 * plain chunk in an encrypted store would be served unauthenticated), and its shards' places (a
 * device it has, whole blocks past the superblock). A record that fails is -EUCLEAN, never an index
 * into s->dev[], a read past a buffer, or an extent for the allocator.
 */
int zh__chunk_rec_parse(const struct zh__store_rec *store, const uint8_t *in, size_t len,
			struct zh__chunk_rec *rec);
/** True when \p rec is what chunk \p index of \p obj must be: its length, k and m. */
bool zh__chunk_rec_fits(const struct zh__object_rec *obj, uint32_t index,
			const struct zh__chunk_rec *rec);

/** Bytes of inline data the record holds (0 for a chunked object). */
size_t zh__object_rec_inline_bytes(const struct zh__object_rec *rec);
size_t zh__object_rec_bytes(const struct zh__object_rec *rec);
/** Pack into \p out (zh__object_rec_bytes() bytes). */
void zh__object_rec_pack(const struct zh__object_rec *rec, uint8_t *out);
/** \return 0, or -EUCLEAN. Strings and inline data point into \p in. */
int zh__object_rec_unpack(const uint8_t *in, size_t len, struct zh__object_rec *rec);
/** Fill the public view (strings copied and NUL-terminated). */
void zh__object_rec_info(const struct zh__object_rec *rec, const uint8_t hash[ZH_CODEC_HASH_BYTES],
			 struct zh_object_info *info);
/** Set rec->str[] from \p meta. \return 0, or -EINVAL when a field is too long. */
int zh__object_rec_set_meta(struct zh__object_rec *rec, const struct zh_object_meta *meta);

/** An object's access statistics (access column family), as docs/format.md lays them out. */
#define ZH__ACCESS_REC_BYTES 24
void zh__access_rec_pack(uint64_t last_unix_s, uint64_t count, uint8_t out[ZH__ACCESS_REC_BYTES]);
/** \return 0, or -EUCLEAN. */
int zh__access_rec_unpack(const uint8_t *in, size_t len, uint64_t *last_unix_s, uint64_t *count);

#define ZH__KEY_CHECK_BYTES ZH_CODEC_HASH_BYTES

/** The store's own record (meta column family): identity, geometry, encryption. */
struct zh__store_rec {
	uint8_t uuid[ZH__UUID_BYTES];
	bool encrypted;
	uint8_t key_check[ZH__KEY_CHECK_BYTES]; /* zh__key_check() of the store's key */
	uint32_t dev_count;
	uint32_t block_bytes;
	uint32_t chunk_bytes;
	uint32_t small_max_bytes;
	uint8_t ec_k, ec_m;
	/* Encrypted, and its chunked objects bound (format sets it; stores made before did not). */
	bool bound;
	char dev_path[ZH_STORE_DEVS_MAX][ZH_STORE_PATH_MAX];
};

#define ZH__STORE_REC_MAX (32 + ZH_STORE_DEVS_MAX * (2 + ZH_STORE_PATH_MAX) + ZH__KEY_CHECK_BYTES)
size_t zh__store_rec_pack(const struct zh__store_rec *rec, uint8_t out[ZH__STORE_REC_MAX]);
int zh__store_rec_unpack(const uint8_t *in, size_t len, struct zh__store_rec *rec);

/* ---- encryption (store_crypt.c) ---------------------------------------------------------- */

/** GCM nonces for the store's key: a random 96-bit start counted up in its low 64 bits. */
struct zh__nonce_seq {
	uint8_t base[ZH_CODEC_NONCE_BYTES];
	_Atomic uint64_t next;
};

/** Draw a fresh random start. \return 0, -EIO. */
int zh__nonce_seq_init(struct zh__nonce_seq *seq);
/** The next nonce of \p seq (any thread). */
void zh__nonce_next(struct zh__nonce_seq *seq, uint8_t out[ZH_CODEC_NONCE_BYTES]);
/**
 * The check value the store record keeps: SHA-256 of a domain tag, the uuid and the key. A
 * bound store's tag is another, so that its flag is as hard to change as the key to forge.
 */
void zh__key_check(const uint8_t uuid[ZH__UUID_BYTES], const struct zh_codec_key *key, bool bound,
		   uint8_t out[ZH__KEY_CHECK_BYTES]);

struct zh_store;
/**
 * Open: take \p key for an encrypted store after checking it against the store record.
 * \return 0; -ENOKEY (encrypted, no key); -EKEYREJECTED (not its key); -EINVAL (a key for a
 *         plain store); -EIO.
 */
int zh__store_key_use(struct zh_store *s, const struct zh_codec_key *key);
/**
 * Seal \p size bytes of an inline object into \p out (ZH__SEAL_BYTES + size). \return 0, -errno.
 */
int zh__inline_seal(struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		    const uint8_t *plain, uint64_t size, uint8_t *out);
/** Open a sealed inline object into \p plain (size bytes). \return 0, -EBADMSG, -errno. */
int zh__inline_open(const struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		    const uint8_t *sealed, uint64_t size, uint8_t *plain);
/** A chunk's binding: its put's id and its index in the object. */
void zh__chunk_bind(const uint8_t put_id[ZH__PUT_ID_BYTES], uint32_t index,
		    uint8_t bind[ZH_CODEC_BIND_BYTES]);
/** Seal bound record \p rec of object \p hash (fills seal_tag). \return 0, -errno. */
int zh__object_seal(const struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		    struct zh__object_rec *rec);
/**
 * Whether \p rec may be object \p hash's record in this store: in a bound store, an encrypted
 * chunked record must be bound and its seal must open; elsewhere none is bound.
 * \return 0, -EUCLEAN, or -ENOMEM when the seal could not be checked.
 */
int zh__object_seal_check(const struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
			  const struct zh__object_rec *rec);

/* ---- waiting for reactors from a control thread ------------------------------------------- */

/*
 * A reactor signals a control thread by storing to a word and waking its futex, never blocking.
 * The word must be store-owned (a slot, a core): the waiter may be gone, its memory reused, as
 * soon as it sees the store, and the reactor's wake still touches the word after that.
 */
void zh__futex_wake(_Atomic uint32_t *word);
/** Sleep while *word == \p seen (spurious returns are fine: callers re-check). */
void zh__futex_wait(_Atomic uint32_t *word, uint32_t seen);

/* ---- chunk slots: one chunk in flight ------------------------------------------------------ */

struct zh__slot;

/** One shard's device request, embedded in its slot. */
struct zh__shard_op {
	struct zh_io io;
	struct zh_timer retry;
	struct zh__slot *slot;
	uint8_t shard;
	int32_t rc;
	struct zh__shard_loc loc;
	const uint8_t *src; /* put: the shard's bytes, block aligned, stride long; in the shared
			     * region, or in a one-shot put's caller buffer (unregistered) */
	uint32_t moved;	    /* bytes of the stride written: a write cut short goes on from there */
};

struct zh__slot {
	struct zh_store *store;
	struct zh__waiter *waiter;	     /* the put or get that owns the slot */
	uint8_t *raw;			     /* chunk_bytes, in the shared region */
	const uint8_t *src;		     /* put: the chunk's bytes (raw, or the caller's) */
	uint8_t *shard[ZH_CODEC_SHARDS_MAX]; /* shard_stride each, in the shared region */
	uint32_t raw_bytes;
	uint32_t chunk_index;
	unsigned coord;	  /* reactor that encodes or decodes the chunk */
	uint32_t pending; /* shard requests not yet answered */
	uint32_t present; /* get: shards read and intact */
	uint32_t tried;	  /* get: shards asked for */
	int rc;
	bool degraded;
	bool read_all;	      /* get: read and check every shard (fsck, scrub) */
	bool in_place;	      /* writes go to the record's committed extents (repair) */
	bool moving;	      /* writes go to new extents for the shards of `rewrite` (respread) */
	uint32_t rewrite;     /* repair: shards to rebuild and write back; respread: to move */
	uint64_t compress_ns; /* put: compression time (0: raw, not auto, or not a put) */
	uint64_t write_start_ns; /* put: when its shard writes went out */
	_Atomic uint32_t done;	 /* 1 when the reactor is finished with the chunk */
	struct zh__chunk_rec rec;
	bool bound; /* the chunk is bound to its object: bind goes to the codec */
	uint8_t bind[ZH_CODEC_BIND_BYTES];
	struct zh__shard_op op[ZH_CODEC_SHARDS_MAX];
	struct zh__slot *next_free;
};

/* ---- the hot-object cache (store_cache.c) ------------------------------------------------- */

#define ZH__CACHE_SHARDS     16
#define ZH__CACHE_OBJECT_MAX (16u << 10) /* a get copies a hit to its stack */

struct cache_entry;

struct zh__cache_shard {
	pthread_mutex_t lock;
	uint64_t gen;  /* bumped by every invalidation */
	uint64_t head; /* log position of the next byte written */
	uint8_t *arena;
	struct cache_entry *entries; /* bucket_count buckets of ways */
	uint32_t bucket_count;	     /* a power of two */
};

struct zh__cache {
	bool enabled;
	uint32_t object_max;  /* largest object cached */
	uint64_t arena_bytes; /* per shard */
	struct zh__cache_shard shard[ZH__CACHE_SHARDS];
	_Atomic uint64_t hits, misses;
};

/** \p bytes of arena in all (0: no cache) for objects up to \p object_max. \return 0, -errno. */
int zh__cache_init(struct zh__cache *c, uint64_t bytes, uint32_t object_max);
void zh__cache_destroy(struct zh__cache *c);
/**
 * Copy a cached object into \p out (object_max bytes) and return its length, or -ENOENT. Either
 * way *gen is the shard's generation, to hand to zh__cache_put after an index lookup.
 */
long zh__cache_get(struct zh__cache *c, const uint8_t *hash, uint8_t *out, uint64_t *gen);
/** Cache an object read from the index, unless a delete came in since \p gen was read. */
void zh__cache_put(struct zh__cache *c, const uint8_t *hash, const void *data, uint32_t len,
		   uint64_t gen);
/** Drop an object (delete); gets already past their lookup will not insert it. */
void zh__cache_invalidate(struct zh__cache *c, const uint8_t *hash);

/* ---- the `auto` zstd level ------------------------------------------------------------------ */

#define ZH__AUTO_LEVEL_MIN   1
#define ZH__AUTO_LEVEL_MAX   9 /* past 9, zstd costs several times more CPU for a few % */
#define ZH__AUTO_LEVEL_START 3
#define ZH__AUTO_WINDOW	     8	/* compressed chunks per decision, encodes per span */
#define ZH__AUTO_BUSY_DOWN   75 /* % of a span spent encoding: the codec is the bottleneck */
#define ZH__AUTO_IO_WAIT_UP  50 /* % of a span spent waiting on the devices: they may be */

/*
 * One reactor's level controller, in the spirit of `zstd --adapt`. Per compressed chunk it sees
 * the time compression took and the time the chunk's shard writes took; per encoded chunk
 * (compressed or not) when the reactor started and ended encoding it, and how long the reactor
 * had waited on its devices so far (zh_reactor_io_wait_ns). Every ZH__AUTO_WINDOW encodes give
 * two shares of the span from the first one's start to the last one's end: the time spent
 * encoding, and the time spent waiting with I/O in flight. Each window of compressed chunks
 * then decides, on the latest shares:
 * - encoding ZH__AUTO_BUSY_DOWN% or more: the reactor encodes back to back, the codec is the
 *   bottleneck: one level down;
 * - waiting on the devices ZH__AUTO_IO_WAIT_UP% or more, and writes more than twice as slow
 *   as compression: the devices are the bottleneck, spend CPU for fewer bytes, one level up;
 * - compression slower than the writes: one level down;
 * - otherwise it holds.
 * Write times alone cannot tell who the bottleneck is: a reactor busy encoding submits and
 * reaps late, so a codec-bound store's writes look slow on fast devices too, and the level used
 * to climb to 9 there (16 MiB puts into tmpfs at 221-256 MiB/s, against 1,578 at level 1).
 */
struct zh__level_ctl {
	int level;
	unsigned samples;		/* compressed chunks in this window */
	uint64_t compress_ns, write_ns; /* their sums */
	unsigned encodes;		/* encodes in the current span */
	uint64_t span_start_ns, encode_ns, io_wait_start_ns;
	unsigned busy_pct, io_wait_pct; /* of the last full span (0 before the first) */
};

void zh__level_ctl_init(struct zh__level_ctl *c);
/**
 * Feed one chunk's encoding, from start_ns to end_ns on this reactor's clock; io_wait_ns: the
 * reactor's zh_reactor_io_wait_ns() meanwhile.
 */
void zh__level_encoded(struct zh__level_ctl *c, uint64_t start_ns, uint64_t end_ns,
		       uint64_t io_wait_ns);
/** Feed one compressed chunk's costs. \return the level to encode with from now on. */
int zh__level_adapt(struct zh__level_ctl *c, uint64_t compress_ns, uint64_t write_ns);

/* ---- per-reactor state ------------------------------------------------------------------- */

struct zh__core {
	struct zh_codec *codec;
	_Atomic uint32_t drained;	 /* bumped by each drain message (zh__reactors_drain) */
	struct zh__level_ctl level;	 /* `auto` zstd level (this reactor only) */
	_Atomic int level_now;		 /* its level, for stats */
	_Atomic uint32_t encodes_queued; /* put chunks sent here and not yet encoded */
	struct zh__nonce_seq nonce;	 /* encrypted store: this reactor's chunk nonces */
	/* Counters written by this core only, read by anyone. */
	_Atomic uint64_t chunks_written, chunks_read, degraded_reads, shards_bad;
	_Atomic uint64_t short_writes; /* zh_store_stats.short_writes */
};

enum zh__ireq_op {
	ZH__IREQ_PUT,
	ZH__IREQ_DELETE,
	ZH__IREQ_ACCESS_FLUSH, /* commit the pending access statistics (no hash) */
	ZH__IREQ_MOVE,	       /* point one chunk record at moved shards (respread) */
	ZH__IREQ_REF,	       /* one more reference to a stored object (zh_store_ref) */
};

/** A metadata change waiting for the index thread; owned by the thread that waits on it. */
struct zh__ireq {
	enum zh__ireq_op op;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh__object_rec obj;	    /* put */
	const struct zh__chunk_rec *chunks; /* put: obj.chunk_count records; move: the new one */
	const struct zh__chunk_rec *moved_from; /* move: the record its shards were read by */
	uint32_t chunk_index;			/* move */
	int rc;	    /* move: -ESTALE when the record is no longer moved_from (nothing changed) */
	bool dedup; /* put: the object existed; its refcount went up */
	bool committing; /* its batch went to the index (then on failure,
			    what it names may be on disk: not reusable) */
	bool done;
	struct zh__ireq *next;
};

/* ---- repair (store_repair.c) -------------------------------------------------------------- */

#define ZH__REPAIR_QUEUE_MAX 1024

struct zh__repair_item {
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	uint32_t chunk;
};

struct zh__repairer {
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct zh__repair_item queue[ZH__REPAIR_QUEUE_MAX]; /* ring: head, count */
	unsigned head, count;
	uint64_t rate_bytes;
	uint8_t rec_buf[ZH__OBJECT_REC_MAX]; /* the repair thread's: a queued chunk's object */
	/*
	 * Held while rebuilt shards are written in place, and by the index thread while it hands
	 * freed extents back: a shard is rewritten only where its committed chunk record still
	 * says (checked under the lock), and that extent cannot be freed and reused meanwhile.
	 */
	pthread_mutex_t write_lock;
	_Atomic uint64_t queued, dropped, chunks_repaired, shards_repaired;
	_Atomic uint64_t chunks_respread, shards_respread;
};

/** What zh__chunk_check found in one chunk. */
struct zh__chunk_check {
	unsigned shards, bad, repaired;
	unsigned respread; /* shards moved off crowded devices (repair with every device there) */
	uint32_t bad_mask;
	bool lost;     /* fewer than k good shards */
	bool hash_bad; /* decoded, but not to its hash */
	bool changed;  /* deleted or rewritten meanwhile: nothing repaired, nothing to report */
	unsigned on_absent; /* bad shards on missing devices: not repairable in place */
	uint64_t bytes_read;
};

/**
 * Read every shard of one chunk and check it; with \p repair, rebuild the bad shards and write
 * them back in place, and move shards off a device that holds more of the chunk than the
 * spread allows (control thread; it waits). \return 0, or -errno for a failed rewrite or move.
 */
int zh__chunk_check(struct zh_store *s, const uint8_t *hash, const struct zh__object_rec *obj,
		    uint32_t index, const struct zh__chunk_rec *rec, bool repair,
		    struct zh__chunk_check *res);
int zh__repair_start(struct zh_store *s, uint64_t rate_bytes);
void zh__repair_stop(struct zh_store *s);
/** Queue a chunk a read found degraded (any thread; dropped and counted when full). */
void zh__repair_enqueue(struct zh_store *s, const uint8_t *hash, uint32_t chunk);

/** Rate limit for background walks: bytes per second, with at most a second's burst. */
struct zh__pace {
	uint64_t rate; /* bytes/s; 0 or UINT64_MAX: unlimited */
	uint64_t start_ns, bytes;
};

void zh__pace_init(struct zh__pace *p, uint64_t rate);
/** Account \p bytes done and sleep until they are due. */
void zh__pace_add(struct zh__pace *p, uint64_t bytes);

/* ---- the index thread (store_index.c) ---------------------------------------------------- */

struct zh__indexer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	  /* work queued, or stop */
	pthread_cond_t done_cond; /* a request finished */
	struct zh__ireq *head, *tail;
	bool stop;
	bool started;
	bool failed; /* a commit failed: refuse changes until reopened */
	struct zh_index_batch *batch[ZH_INDEX_GROUP_MAX];
	uint8_t *scratch; /* record buffers */
	size_t scratch_bytes;
	uint64_t *release; /* extents to free after the commit (packed, see below) */
	size_t release_count, release_cap;
	_Atomic uint64_t unrecorded_skipped; /* deleted shards with no ALLOC record: not freed */
	struct zh_index_batch *access_batch; /* the pending access statistics */
};

int zh__indexer_start(struct zh_store *s);
void zh__indexer_stop(struct zh_store *s);
/** Queue \p req and wait for its answer. \return req->rc. */
int zh__indexer_call(struct zh_store *s, struct zh__ireq *req);

/* ---- access statistics (store_access.c) ---------------------------------------------------- */

#define ZH__ACCESS_SHARDS	 16
#define ZH__ACCESS_SHARD_ENTRIES 4096 /* a power of two */

struct zh__access_entry {
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	uint64_t last_unix_s;
	uint32_t count; /* 0: the entry is empty */
};

struct zh__access_shard {
	pthread_mutex_t lock;
	uint32_t used;
	struct zh__access_entry *entries; /* ZH__ACCESS_SHARD_ENTRIES, open addressing */
};

struct zh__access {
	bool enabled;
	uint64_t flush_interval_ns;
	uint64_t next_flush_ns;		/* index thread only */
	_Atomic uint64_t pending;	/* entries in the tables */
	_Atomic bool flush_wanted;	/* a table is 3/4 full: flush before the interval */
	_Atomic uint64_t dropped;	/* accesses lost to a full table */
	struct zh__access_entry *drain; /* the index thread's copy of one shard's table */
	struct zh__access_shard shard[ZH__ACCESS_SHARDS];
};

/** Tables for a store that keeps statistics (\p enabled), written back every \p flush_ms. */
int zh__access_init(struct zh__access *a, bool enabled, uint32_t flush_ms);
void zh__access_destroy(struct zh__access *a);
/** Count one access of \p hash (any thread). */
void zh__access_record(struct zh_store *s, const uint8_t *hash);
/** Index thread: whether pending statistics are due for writing (interval, a full table). */
bool zh__access_due(struct zh_store *s, uint64_t now_ns);
/** Index thread: move every pending access into \p b (merged with what is committed). */
int zh__access_build(struct zh_store *s, struct zh_index_batch *b);

/* ---- the store ----------------------------------------------------------------------------- */

struct zh_store {
	struct zh__store_rec rec;
	char dir[ZH_STORE_PATH_MAX];
	int lock_fd;
	bool read_only;
	struct zh_nvme_faults *const *dev_faults;
	uint64_t encode_delay_ns; /* zh_store_opts.encode_delay_us */
	struct zh_index *index;
	struct zh_engine *engine;
	struct zh_numa_cpuset cpus; /* one reactor per core listed */
	unsigned reactor_count;
	struct zh_nvme_dev *dev[ZH_STORE_DEVS_MAX];
	/* Placement: the present devices; shard i of chunk c goes to place[(c + i) % place_count].
	 */
	uint16_t place[ZH_STORE_DEVS_MAX];
	unsigned place_count;
	/* Allocators, each touched only by the reactor that owns its device (dev % reactors). */
	struct zh__alloc *alloc[ZH_STORE_DEVS_MAX];
	uint32_t shard_stride; /* a shard's room in a slot: shard max rounded to blocks */
	int zstd_level;	       /* fixed level, or ZH_STORE_ZSTD_AUTO */
	struct zh__core *core; /* [reactor] */
	/* Chunk slots, carved from the engine's shared region. */
	void *region;
	size_t region_bytes;
	struct zh__slot *slots;
	unsigned slot_count;
	struct zh__slot *free_slots;
	unsigned slots_filling;	    /* slots held by puts filling a chunk (slot_lock) */
	unsigned slots_filling_max; /* half the slots: the rest always serve gets and scrub */
	pthread_mutex_t slot_lock;
	pthread_cond_t slot_cond;
	_Atomic uint64_t slot_waits; /* zh_store_stats.slot_waits */
	_Atomic unsigned next_reactor;
	struct zh__indexer ix;
	struct zh__repairer rp;
	struct zh__cache cache;
	struct zh__access access;
	struct zh_codec_key key;	   /* encrypted store (rec.encrypted) only */
	struct zh__nonce_seq inline_nonce; /* nonces for sealing inline objects */
	bool replaced[ZH_STORE_DEVS_MAX];  /* given a fresh superblock by this open */
	_Atomic uint64_t puts, put_dedups, refs, gets, deletes, commit_groups, commit_batches;
};

/**
 * Room for one more item in a growable array of \p *cap items (control and index threads
 * only): doubles it, starting at \p first_cap. \return the array, or NULL (array and cap
 * unchanged) when out of memory.
 */
void *zh__array_grow(void *items, size_t *cap, size_t item_bytes, size_t first_cap);

/** The reactor that owns device \p dev (its allocator and its writes). */
static inline unsigned zh__dev_owner(const struct zh_store *s, unsigned dev)
{
	return dev % s->reactor_count;
}

/** True when \p p lies in the engine's shared region (the chunk slots). */
static inline bool zh__in_region(const struct zh_store *s, const void *p)
{
	return (const uint8_t *)p >= (const uint8_t *)s->region &&
	       (const uint8_t *)p < (const uint8_t *)s->region + s->region_bytes;
}

/** Bytes a shard of \p shard_bytes occupies on a device. */
/* The first \p n shards of a chunk as a mask; n may be 32 (k + m at most), where 1u << n is
   undefined. */
static inline uint32_t zh__shards_mask(unsigned n)
{
	ZH_DEBUG_ASSERT(n <= ZH_CODEC_SHARDS_MAX);
	return (uint32_t)((1ull << n) - 1);
}

/* Most of a chunk's \p shards one device holds when a put spreads them over every device. */
static inline unsigned zh__spread_most(const struct zh__store_rec *rec, unsigned shards)
{
	return (shards + rec->dev_count - 1) / rec->dev_count;
}

/* A shard's room on the devices of a store of \p rec's geometry: rounded up to its block. */
static inline uint32_t zh__rec_stride(const struct zh__store_rec *rec, uint32_t shard_bytes)
{
	uint32_t block = rec->block_bytes;

	return (shard_bytes + block - 1) / block * block;
}

static inline uint32_t zh__stride(const struct zh_store *s, uint32_t shard_bytes)
{
	return zh__rec_stride(&s->rec, shard_bytes);
}

/* The room of the largest shard a store of \p rec's geometry writes: a whole chunk's. */
static inline uint32_t zh__rec_stride_max(const struct zh__store_rec *rec)
{
	return zh__rec_stride(rec, zh_codec_shard_bytes(rec->ec_k, rec->chunk_bytes));
}

/*
 * Whether \p dev takes the store's largest shard, and its superblock, in one command. A
 * passthrough namespace whose limit (MDTS) sits below the shard stride failed every shard I/O
 * with -EINVAL; format, open and replace refuse it instead.
 */
static inline bool zh__dev_takes_shards(const struct zh__store_rec *rec,
					const struct zh_nvme_dev *dev)
{
	uint32_t limit = zh_nvme_dev_max_transfer_bytes(dev);

	return zh__rec_stride_max(rec) <= limit && ZH__SB_BYTES <= limit;
}

/*
 * An extent to free travels to its owner as the message argument itself, so that releases need
 * no memory: offset and length in blocks and the device, packed into 64 bits.
 */
uint64_t zh__extent_pack(const struct zh_store *s, unsigned dev, uint64_t offset_bytes,
			 uint64_t len_bytes);
/** Send a packed extent to its owner's allocator (control or index thread). */
void zh__release_from_control(struct zh_store *s, uint64_t packed);
/** Send the extents of \p rec's shards in \p mask to their allocators (control thread). */
void zh__chunk_release(struct zh_store *s, const struct zh__chunk_rec *rec, uint32_t mask);
/** Send a packed extent to its owner's allocator from reactor \p r. */
void zh__release_from_reactor(struct zh_store *s, struct zh_reactor *r, uint64_t packed);

/** Post \p fn(arg) to a reactor from a control thread, waiting while its ring is full. */
void zh__post_control(struct zh_store *s, unsigned to, zh_msg_fn fn, void *arg);
/** Post from a reactor; the rings are sized so that this cannot fail (asserted). */
void zh__post_reactor(struct zh_reactor *from, unsigned to, zh_msg_fn fn, void *arg);

/**
 * Take a free slot; NULL when none is free and \p wait is false. Only a caller with no slot in
 * flight may wait: one holding slots must retire its own first (waiting on the pool while
 * holding slots could deadlock with every other caller).
 */
struct zh__slot *zh__slot_get(struct zh_store *s, bool wait);
/**
 * As zh__slot_get(), for a put to fill with its next chunk: a streaming put holds that slot
 * for as long as its writer takes to bring a chunk's worth of bytes, so at most
 * slots_filling_max of them may be held so. Hand it back with zh__slot_filled() once it is
 * full (dispatched) or abandoned.
 */
struct zh__slot *zh__slot_get_to_fill(struct zh_store *s, bool wait);
void zh__slot_filled(struct zh_store *s);
/** Set \p slot to decode or encode chunk \p index of \p obj: bound when the object is. */
void zh__slot_bind(struct zh__slot *slot, const struct zh__object_rec *obj, uint32_t index);
void zh__slot_put(struct zh_store *s, struct zh__slot *slot);
/** Wait until the reactor is done with \p slot. */
void zh__slot_wait(struct zh__slot *slot);
/** Reactor side: the chunk is finished; wake its owner. The last touch of the slot. */
void zh__slot_done(struct zh__slot *slot);
/** Wait until every reactor has handled what this thread posted to it before. */
void zh__reactors_drain(struct zh_store *s);

/** Read an object record into \p buf (cap bytes). \return 0, -ENOENT, -EUCLEAN, -errno. */
int zh__object_load(struct zh_store *s, const uint8_t *hash, uint8_t *buf, size_t cap,
		    struct zh__object_rec *rec);
/** Read chunk \p index of object \p hash. \return 0, -EUCLEAN (missing or damaged), -errno. */
int zh__chunk_rec_load(struct zh_store *s, const uint8_t *hash, uint32_t index,
		       struct zh__chunk_rec *rec);
void zh__extent_unpack(const struct zh_store *s, uint64_t packed, unsigned *dev,
		       struct zh__extent *e);

/** Chunk pipelines, run on reactors (store_put.c, store_get.c). */
void zh__put_chunk_msg(struct zh_reactor *r, void *arg);
void zh__get_chunk_msg(struct zh_reactor *r, void *arg);
/** On a device's owner: write one shard (reserving an extent first unless slot->in_place). */
void zh__shard_write_msg(struct zh_reactor *r, void *arg);

#endif /* ZH_STORE_INTERNAL_H */
