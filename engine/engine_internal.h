/* SPDX-License-Identifier: MIT */
/*
 * engine internals: the SPSC message ring, the buffer pool, the timer heap and the device space
 * allocator, shared by the engine's files and its white-box tests. Not part of the public API.
 */
#ifndef ZH_ENGINE_INTERNAL_H
#define ZH_ENGINE_INTERNAL_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <liburing.h>
#include <pthread.h>
#include <sys/uio.h>

#include "engine/engine.h"
#include "numa/numa.h"

/* ---- SPSC ring (ring.c) ------------------------------------------------------------------ */

struct zh_msg {
	zh_msg_fn fn;
	void *arg;
};

/**
 * A bounded single-producer single-consumer ring of messages. Indices run freely and wrap;
 * the slot is index & mask. Producer and consumer fields sit on separate cache lines, and each
 * side keeps a private copy of the other's index so it touches the shared line only when its
 * copy says the ring looks full (producer) or empty (consumer).
 */
struct zh__spsc {
	alignas(ZH_CACHELINE_BYTES) _Atomic uint32_t head; /* written by the producer */
	uint32_t tail_cache;				   /* producer's view of tail */
	alignas(ZH_CACHELINE_BYTES) _Atomic uint32_t tail; /* written by the consumer */
	uint32_t head_cache;				   /* consumer's view of head */
	alignas(ZH_CACHELINE_BYTES) uint32_t mask;
	struct zh_msg slots[];
};

size_t zh__spsc_memsize(uint32_t entries);
/** Initialize a ring in caller memory of zh__spsc_memsize() bytes; entries a power of two. */
struct zh__spsc *zh__spsc_init(void *mem, uint32_t entries);
/** Producer side. \return true, or false when full (nothing written). */
bool zh__spsc_push(struct zh__spsc *ring, zh_msg_fn fn, void *arg);
/** Consumer side: pop up to `max` messages into `out`. \return the count. */
uint32_t zh__spsc_pop_burst(struct zh__spsc *ring, struct zh_msg *out, uint32_t max);
/** Consumer side: true when nothing is waiting (reads the producer's index). */
bool zh__spsc_empty(struct zh__spsc *ring);

/* ---- buffer pool (bufpool.c) ------------------------------------------------------------- */

struct zh__bufpool_class {
	struct zh_buf *bufs;
	uint32_t *free_stack;
	uint32_t free_count;
	uint32_t total;
	uint32_t size_bytes;
	void *region;
	size_t region_bytes;
};

struct zh__bufpool {
	struct zh__bufpool_class cls[ZH_BUF_CLASS_COUNT];
	uint64_t exhausted;
	const struct zh_numa_topo *topo;
};

extern const uint32_t zh__buf_class_bytes[ZH_BUF_CLASS_COUNT];

/** Carve the pool out of node-local memory. Start-up only. \return 0 or -ENOMEM. */
int zh__bufpool_init(struct zh__bufpool *pool, const struct zh_numa_topo *topo, int node,
		     const uint32_t counts[ZH_BUF_CLASS_COUNT]);
void zh__bufpool_fini(struct zh__bufpool *pool);
/**
 * A buffer of the smallest class that fits and has buffers (a class configured with none is
 * passed over). \return 0, -EAGAIN (that class is all out; pool->exhausted counts it), -E2BIG
 * (larger than every class with buffers).
 */
int zh__bufpool_get(struct zh__bufpool *pool, uint32_t size_bytes, struct zh_buf **out);
void zh__bufpool_put(struct zh__bufpool *pool, struct zh_buf *buf);
/**
 * The regions to register with io_uring, one iovec per non-empty class, and assign each
 * buffer's reg_index accordingly. \return the number of iovecs written.
 */
unsigned zh__bufpool_iovecs(struct zh__bufpool *pool, struct iovec *iov);

/* ---- timer heap (timer.c) ---------------------------------------------------------------- */

struct zh__timer_heap {
	struct zh_timer **slots;
	uint32_t count;
	uint32_t capacity;
};

int zh__timer_heap_init(struct zh__timer_heap *heap, uint32_t capacity);
void zh__timer_heap_fini(struct zh__timer_heap *heap);
int zh__timer_heap_push(struct zh__timer_heap *heap, struct zh_timer *timer);
void zh__timer_heap_remove(struct zh__timer_heap *heap, struct zh_timer *timer);
/** The earliest timer, or NULL. */
struct zh_timer *zh__timer_heap_peek(const struct zh__timer_heap *heap);

/* ---- reactor and engine (reactor.c, engine.c) ------------------------------------------- */

/* Messages handled per inbound ring per loop iteration: bounds the time between reaps. */
#define ZH_REACTOR_MSG_BATCH 32
/* CQEs reaped per batch, and batches per loop iteration. */
#define ZH_REACTOR_REAP_BATCH  64
#define ZH_REACTOR_REAP_ROUNDS 4
/* Longest run of waits that skip busy polling after polls that found nothing (reactor.c). */
#define ZH_REACTOR_POLL_BACKOFF_MAX 1024

/* Waits that skip a try (a busy poll, a yield) after tries that found nothing (reactor.c). */
struct zh__backoff {
	uint32_t skip; /* waits left that go without the try */
	uint32_t last; /* the last skip length; 0 after a try that found work */
};

struct zh_reactor {
	struct io_uring ring;
	bool ring_up; /* ring initialised: its fd may be 0 where stdin was closed */
	struct zh_engine *engine;
	unsigned id;
	unsigned cpu;
	int node;
	uint64_t now_ns;
	uint32_t inflight;
	struct zh__backoff poll_backoff;  /* busy polls before sleeping (design note 6) */
	struct zh__backoff yield_backoff; /* yields before sleeping (design note 10) */
	uint64_t taskrun_seen_ns;   /* completion work first seen flagged, 0 if not (note 11) */
	bool completer_shares_core; /* a yield ran the completer; no early submits (note 12) */
	/* Requests queued since the last submit; stamped with submit_ns when they go out. */
	struct zh_io **unstamped;
	uint32_t unstamped_count;
	uint32_t unstamped_cap;
	struct zh_nvme_dev *const *devs;
	unsigned dev_count;
	struct zh__bufpool pool;
	int shared_buf_index; /* registered index of the engine's shared region, or -1 */
	struct zh__timer_heap timers;
	struct zh__spsc **inbound; /* [producer]: reactors 0..n-1, then the control thread */
	unsigned producer_count;
	int event_fd;
	uint64_t event_value;
	struct zh_io event_io;
	bool event_armed; /* its read is queued or in flight (design note 3) */
	struct zh_reactor_stats stats;
	uint64_t fault_rng; /* draws for devices with fault injection */
	pthread_t thread;
	int setup_rc;
	/* Set by the reactor before it may block; a producer that clears it owes a wake-up. */
	alignas(ZH_CACHELINE_BYTES) _Atomic uint32_t sleeping;
	_Atomic bool stopping;
};

struct zh_engine {
	struct zh_engine_opts opts;
	struct zh_numa_topo *topo;
	unsigned reactor_count;
	struct zh_reactor *reactors;
	struct zh__spsc **rings; /* [producer * reactor_count + consumer] */
	size_t ring_bytes;
	pthread_mutex_t post_lock;
	pthread_mutex_t start_lock;
	pthread_cond_t start_cond;
	unsigned started;
};

/** Reactor thread body (reactor.c): set up, signal the engine, loop until stopped, tear down. */
void *zh__reactor_main(void *arg);
/** Wake `r` if it is (about to be) asleep. Any thread. */
void zh__reactor_wake(struct zh_reactor *r);
/**
 * The result of `io` on `dev` (reactor.c): the CQE's `cqe_res` decoded by the device layer
 * (which also sets io->nvme_status), then, if a fault was injected, what the fault reports.
 */
int32_t zh__io_result(const struct zh_nvme_dev *dev, struct zh_io *io, int32_t cqe_res);

/* ---- Space allocator (alloc.c) ----------------------------------------------------------- */

struct zh_index;

struct zh__extent {
	uint64_t offset_bytes;
	uint64_t len_bytes;
};

/**
 * One device's free space: free extents sorted by offset, never adjacent (merged), in a fixed
 * array. Only committed allocations are persisted (one key per used extent in the index's
 * alloc column family, written in the same batch as the metadata that uses it), so free space
 * is rebuilt at start-up as the device minus the committed extents: a reservation that never
 * reached a commit is free again after a crash.
 */
struct zh__alloc {
	uint64_t dev_bytes;
	uint32_t block_bytes;
	uint64_t free_bytes;
	unsigned free_count;
	unsigned free_max;
	uint64_t release_dropped_bytes; /* freed while the array was full: back after restart */
	struct zh__extent free[];
};

size_t zh__alloc_memsize(unsigned free_max);
/** All of [head_bytes, dev_bytes) free; sizes a multiple of block_bytes (a power of two). */
int zh__alloc_init(struct zh__alloc *a, uint64_t dev_bytes, uint32_t block_bytes,
		   uint64_t head_bytes, unsigned free_max);
/** First fit of len_bytes rounded up to the block. \return 0, -ENOSPC, -EINVAL. */
int zh__alloc_reserve(struct zh__alloc *a, uint64_t len_bytes, struct zh__extent *out);
/** Give an extent back (a failed put, or a delete once committed). */
void zh__alloc_release(struct zh__alloc *a, const struct zh__extent *e);
/** Carve a committed extent out of free space. \return 0, or -EUCLEAN if any of it is not free. */
int zh__alloc_mark_used(struct zh__alloc *a, const struct zh__extent *e);

#define ZH__ALLOC_KEY_BYTES 10
/** The index key of a used extent: device (big-endian u16), offset (big-endian u64). */
void zh__alloc_key(uint16_t dev, uint64_t offset_bytes, uint8_t key[ZH__ALLOC_KEY_BYTES]);
/** Add "extent used" / "extent freed" to a metadata batch (not yet committed). */
struct zh_index_batch;
void zh__alloc_persist_used(struct zh_index_batch *b, uint16_t dev, const struct zh__extent *e);
void zh__alloc_persist_freed(struct zh_index_batch *b, uint16_t dev, const struct zh__extent *e);
/** Parse one alloc record (key and value). \return 0, or -EUCLEAN for a malformed one. */
int zh__alloc_record_parse(const void *key, size_t key_len, const void *val, size_t val_len,
			   uint16_t *dev, struct zh__extent *e);
/** Rebuild free space from the committed extents of device \p dev. \return 0, -EUCLEAN, -errno. */
int zh__alloc_load(struct zh__alloc *a, struct zh_index *index, uint16_t dev);

/* ---- Device superblock (superblock.c) ------------------------------------------------------ */

#define ZH__SB_BYTES   4096 /* block 0 of every device; the allocator starts after it */
#define ZH__SB_VERSION 1
#define ZH__UUID_BYTES 16

/** What block 0 of each device of a store says (docs/format.md has the byte layout). */
struct zh__superblock {
	uint32_t version;
	uint8_t store_uuid[ZH__UUID_BYTES];
	uint32_t dev_index;
	uint32_t dev_count;
	uint64_t dev_bytes;
	uint32_t block_bytes;
	uint32_t chunk_bytes;
	uint8_t ec_k;
	uint8_t ec_m;
	uint64_t created_unix_s;
};

void zh__sb_pack(const struct zh__superblock *sb, uint8_t out[ZH__SB_BYTES]);
/**
 * Parse block 0 of a device. \p store_uuid, when not NULL, is the store it must belong to.
 * \return 0; -EBADMSG (not a superblock, or damaged); -EPROTONOSUPPORT (a newer version);
 *         -EXDEV (a device of another store); -EINVAL (fields that contradict each other).
 */
int zh__sb_unpack(const uint8_t in[ZH__SB_BYTES], const uint8_t *store_uuid,
		  struct zh__superblock *sb);
/**
 * Block 0 of a device holds what no one may write over: neither a superblock nor blank (a
 * filesystem, a partition table, another program's data), or a damaged superblock (bad crc)
 * whose uuid field is not \p store_uuid's (it may be another store's).
 */
bool zh__sb_foreign(const uint8_t in[ZH__SB_BYTES], const uint8_t *store_uuid);

#endif /* ZH_ENGINE_INTERNAL_H */
