/* SPDX-License-Identifier: MIT */
/*
 * engine: per-core shared-nothing reactors. Each reactor is one thread pinned to one core; it
 * owns an io_uring (liburing lives here and in net/ only), a NUMA-local pool of registered I/O
 * buffers, the registered files of the store's devices, a timer heap, and the inbound ends of
 * the bounded SPSC message rings from every other core. Reactors never block (DESIGN.md
 * invariant 1): a full ring, an empty buffer pool or a full submission queue is -EAGAIN, never
 * an allocation or a wait.
 *
 * Threads: functions named zh_reactor_* run on the reactor's own thread (inside a callback,
 * message or timer), except where a comment says otherwise. zh_engine_* run on the control
 * thread that created the engine.
 */
#ifndef ZH_ENGINE_H
#define ZH_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "numa/zh_platform.h"
#include "nvme/nvme.h"

struct zh_engine;
struct zh_reactor;

/** Buffer size classes, after the seed's pool: 4 KiB, 64 KiB, 1 MiB. */
enum zh_buf_class {
	ZH_BUF_CLASS_4K,
	ZH_BUF_CLASS_64K,
	ZH_BUF_CLASS_1M,
	ZH_BUF_CLASS_COUNT,
};

/** A registered, aligned I/O buffer from a reactor's pool. Owned by that reactor. */
struct zh_buf {
	void *data;
	uint32_t size_bytes;
	uint16_t reg_index; /**< io_uring registered-buffer index */
	uint8_t size_class; /**< enum zh_buf_class */
	bool in_pool;	    /**< free in its pool: a second put is a bug the pool catches */
	uint32_t slot;	    /**< index within its class */
};

struct zh_io;
typedef void (*zh_io_cb)(struct zh_reactor *r, struct zh_io *io);

/**
 * One device request. The caller embeds it in its own context and keeps it alive until its
 * callback runs on the submitting reactor.
 */
struct zh_io {
	zh_io_cb cb;
	int32_t res;	      /**< on completion: bytes transferred or a negative errno */
	uint16_t nvme_status; /**< raw NVMe status for passthrough devices, else 0 */
	uint16_t dev_index;
	uint32_t len_bytes;
	int32_t fault_res;  /**< internal: the result an injected fault reports, or 0 */
	uint64_t prep_ns;   /**< reactor clock when the request was queued */
	uint64_t submit_ns; /**< reactor clock just before its SQE went to the kernel */
};

typedef void (*zh_msg_fn)(struct zh_reactor *r, void *arg);

struct zh_timer;
typedef void (*zh_timer_cb)(struct zh_reactor *r, struct zh_timer *timer);

/** A one-shot timer, embedded by the caller; rearm it from its callback for periodic work. */
struct zh_timer {
	uint64_t deadline_ns;
	zh_timer_cb cb;
	uint32_t heap_index; /**< internal; UINT32_MAX when not armed */
};

/** Prepare a timer before its first start (it is then not armed). */
static inline void zh_timer_init(struct zh_timer *timer)
{
	timer->deadline_ns = 0;
	timer->cb = NULL;
	timer->heap_index = UINT32_MAX;
}

/** How tightly a reactor thread is bound. */
enum zh_engine_pin {
	/** To its core: nothing else of ours runs there, and neither do its io-wq workers. */
	ZH_ENGINE_PIN_CORE,
	/**
	 * To its core's NUMA node: the scheduler keeps the reactor on one core in practice, while
	 * the io-wq workers that run its punted I/O (buffered files, tmpfs, fsync) may use the
	 * node's other cores instead of taking turns with the reactor on one.
	 */
	ZH_ENGINE_PIN_NODE,
};

/** Most yields in one wait of zh_engine_opts.yield_wait; see there. */
#define ZH_ENGINE_YIELD_MAX 16u
/** Bounds of zh_engine_opts.busy_poll_ns; see there. */
#define ZH_ENGINE_BUSY_POLL_DEFAULT_NS (50u * 1000)
#define ZH_ENGINE_BUSY_POLL_MAX_NS     (10u * 1000 * 1000)
/** Upper bound of zh_engine_opts.gather_ns; see there. */
#define ZH_ENGINE_GATHER_MAX_NS (1000u * 1000)
/** Bounds of zh_engine_opts.sched_slice_ns: the kernel's own for a custom slice. */
#define ZH_ENGINE_SLICE_MIN_NS (100u * 1000)
#define ZH_ENGINE_SLICE_MAX_NS (100u * 1000 * 1000)

/** The largest sq_entries: io_uring's own limit on a submission queue. */
#define ZH_ENGINE_SQ_MAX 32768u

struct zh_engine_opts {
	const uint16_t *cpus; /**< one reactor per listed core */
	unsigned cpu_count;
	uint32_t sq_entries;	   /**< submission queue size per reactor (power of two, at most
				      ZH_ENGINE_SQ_MAX) */
	uint32_t msg_ring_entries; /**< capacity of each ordered-pair message ring (power of two) */
	uint32_t buf_count[ZH_BUF_CLASS_COUNT]; /**< buffers per class per reactor */
	uint32_t timers_max;			/**< armed timers per reactor */
	/**
	 * Registered in every reactor at index i. A NULL entry keeps index i for a device that is
	 * missing (a store running degraded): requests to it fail with -ENODEV.
	 */
	struct zh_nvme_dev *const *devs;
	unsigned dev_count;
	/**
	 * Idle reactors poll (yielding the core between polls) instead of sleeping in the kernel:
	 * lower wake-up latency for a dedicated core, and the mode that works under tools that
	 * run one thread at a time (valgrind). Default off.
	 */
	bool idle_poll;
	/**
	 * With I/O in flight and nothing to reap, watch the ring for up to this long before
	 * sleeping in the kernel: the check reads a flag the kernel sets in shared memory, so it
	 * costs no syscall, and a completion that comes within the window costs no wake-up (an
	 * inter-processor interrupt and two context switches). A poll that runs out makes the
	 * next waits sleep at once (1, 2, 4 ... 1024 of them) until polling finds work again. 0
	 * sleeps at once always. At most ZH_ENGINE_BUSY_POLL_MAX_NS. Default
	 * ZH_ENGINE_BUSY_POLL_DEFAULT_NS.
	 */
	uint32_t busy_poll_ns;
	enum zh_engine_pin pin; /**< default ZH_ENGINE_PIN_CORE */
	/**
	 * Submit as soon as this many requests are queued while completions are being handled,
	 * instead of once per loop iteration (0). Keeps a device's queue full: 4 KiB randread at
	 * depth 32 on a virtio disk went from 84-88k to 101-109k IOPS with 4. Default 4. Not
	 * while yield_wait shows the completer sharing the reactor's core (an io-wq worker of a
	 * core-pinned reactor), which cannot start the requests before the reactor gives up the
	 * core: those go out at the iteration's enter (reactor.c design note 12).
	 */
	uint32_t submit_batch;
	/**
	 * Hold queued requests until submit_batch of them are queued, for as long as the device
	 * still has at least submit_batch in flight (fio's iodepth_batch_submit): one enter then
	 * hands the kernel a batch. With I/O that io-wq runs (tmpfs, buffered files), a worker
	 * takes a batch of writes to one file in one go instead of one or two at a time: 4 KiB
	 * randwrite at depth 128 on /dev/shm gained 6-10% (docs/benchmarks.md). A reactor about to
	 * sleep submits what it holds. Adds latency to a request queued behind a full device, so
	 * off by default; meant for deep queues of like requests (zhtp-bench).
	 */
	bool submit_hold;
	/**
	 * A reactor that sleeps with requests in flight asks to be woken once inflight /
	 * wake_batch_div of them have completed (at least one) instead of at the first. With a
	 * deep queue on a core shared with the thread that completes the I/O (the io-wq worker of
	 * a core-pinned reactor), a wake-up per completion costs two context switches each:
	 * 4 KiB randwrite at depth 32, reactor and worker on one core, went from 218k to 276k
	 * IOPS with 8. A message or timer that arrives meanwhile waits for those completions too,
	 * so the default is 0 (wake at the first completion); zhtp-bench uses 8.
	 */
	uint32_t wake_batch_div;
	/**
	 * Let completion work gather for this long after the kernel flags it before taking it,
	 * so that one enter takes a batch. Each completion an io-wq worker hands back is a
	 * compare-and-swap on a list head and, when the list was empty, a flag in the shared SQ
	 * ring; a reactor that takes every completion as it appears empties the list each time,
	 * so the worker pays both, on cache lines the reactor's core just wrote, once per I/O.
	 * 4 KiB randwrite at depth 128 on /dev/shm, one worker flat out: that hand-off was 5-12%
	 * of the worker's time, 1% gathering 20 us (3.75% at 50 us in a slower period); zhtp-bench
	 * alone gained 4.2-4.7% there and 7.7-9.1% on reads (docs/benchmarks.md). Applies only
	 * while the reactor submits in batches (submit_batch of at least 2) with two batches in
	 * flight, so the device keeps a batch while it waits, and only while busy polls find work,
	 * so the completer runs on another core. A flagged completion waits up to this long after
	 * the reactor sees it, or until the poll's window ends, which takes it then; so 0 (off) by
	 * default, and zhtp-bench uses 20 us. At most ZH_ENGINE_GATHER_MAX_NS.
	 */
	uint32_t gather_ns;
	/**
	 * Run each reactor as SCHED_BATCH (set by the reactor before it creates its ring, so the
	 * io-wq workers it creates inherit it): a woken reactor then waits for the thread running
	 * on its core to sleep or end its slice instead of preempting it. With DEFER_TASKRUN the
	 * kernel wakes a sleeping submitter at every completion an io-wq worker hands back,
	 * whatever it waits for; where that worker shares the reactor's core (4 KiB randread at
	 * depth 128 on /dev/shm, both on one core) each wake-up preempted it: 365k IOPS and 690k
	 * context switches per 3 s, against 521-564k and 26k as SCHED_BATCH. Delays a wake-up on
	 * a shared core by up to a scheduler slice, so off by default; zhtp-bench turns it on.
	 */
	bool sched_batch;
	/**
	 * The reactor's scheduler slice, 0 for the kernel's (sched_setattr's sched_runtime, a
	 * custom slice from Linux 6.12; older kernels ignore it). Set with the policy before the
	 * ring exists, so its io-wq workers inherit it too. A slice bounds what sched_yield()
	 * costs the reactor: on 6.18 a yield moves an eligible thread's virtual runtime up to its
	 * deadline, so each one charges what is left of its slice, and with the default 1.4 ms the
	 * reactor that waits by yielding (yield_wait) fell behind its io-wq worker in virtual time
	 * and was preempted at nearly every submission. 4 KiB random I/O at depth 32, reactor and
	 * worker on core 0, a busy loop on core 1: randwrite 446-475k IOPS at 100 us against
	 * 259-274k at the kernel's slice, randread 498-530k against 379-506k (239-300k in most
	 * runs of another set); the busy loop on core 0 itself: 275-295k against 203-225k. Idle
	 * neighbours, floating reactors and two reactors tied; depth 128 on core 0 with the busy
	 * loop on core 1 lost 3-4%. ZH_ENGINE_SLICE_MIN_NS to ZH_ENGINE_SLICE_MAX_NS; default 0;
	 * zhtp-bench uses 100 us.
	 */
	uint64_t sched_slice_ns;
	/**
	 * Before sleeping with I/O in flight, yield the core (sched_yield) while nothing is
	 * ready, up to ZH_ENGINE_YIELD_MAX times, and sleep only once a yield comes back without
	 * another thread having run. Where the thread that completes the I/O shares the reactor's
	 * core (the io-wq worker of a core-pinned reactor: tmpfs, buffered files), the reactor is
	 * then not waiting on its ring, so no completion wakes it: the worker runs through its
	 * queue and the reactor takes the whole batch when the worker sleeps. SCHED_BATCH alone
	 * kept that order only while the other cores idled: 4 KiB randread at depth 32 on core 0
	 * with a busy loop on core 1 ran 358-416k IOPS at 0.25 context switches per I/O, and
	 * 498-548k at 0.06 yielding; two reactors on two cores 717-940k against 958k-1,061k. A
	 * wait whose yields find nothing skips yielding for the next 1, 2, 4 ... 64 waits. Hands
	 * the core to any thread that shares it for up to its slice, so off by default;
	 * zhtp-bench turns it on. Needs a short sched_slice_ns on Linux 6.18, where a yield
	 * charges the rest of the slice: with the kernel's 1.4 ms the busy loop on core 1 made
	 * the worker preempt the yielding reactor at nearly every submission in most runs
	 * (194-300k IOPS against 384-448k sleeping); with 100 us they held 498-530k. A yield
	 * that let another thread run and then found work also stops early submits (see
	 * submit_batch) until a busy poll finds work or a yield comes back alone.
	 */
	bool yield_wait;
	/**
	 * Memory registered as one more fixed buffer in every reactor's ring, after the pool: the
	 * object store's chunk slots, written by one core and read by another (a shard encoded on
	 * one core is written by the core that owns its device). NULL for none. Page aligned.
	 */
	void *shared_region;
	size_t shared_region_bytes;
	/** The engine's user (e.g. the object store), for zh_engine_user() in callbacks. */
	void *user;
};

/** Defaults: the seed's pool (100 x 4 KiB, 50 x 64 KiB, 20 x 1 MiB), 256 SQEs, 1024-entry rings. */
void zh_engine_opts_default(struct zh_engine_opts *opts);

/**
 * Start one pinned reactor per core in opts->cpus and wait until each has its ring, pool and
 * files registered.
 * \return 0, -EINVAL (bad options), -ENOMEM, or the first reactor's set-up error (e.g. -ENOSYS
 *         without io_uring, -ENOENT for a core that does not exist).
 */
ZH_MUST_CHECK int zh_engine_create(const struct zh_engine_opts *opts, struct zh_engine **out);

/**
 * Stop every reactor (each first waits for its in-flight I/O, whose callbacks run), join and
 * free. Messages still in the rings and timers still armed are dropped, not run: a caller that
 * needs them run quiesces first. (The store needs none: by then its only messages are space
 * releases, already committed to the index, from which the next open rebuilds its allocators.)
 */
void zh_engine_destroy(struct zh_engine *engine);

unsigned zh_engine_reactor_count(const struct zh_engine *engine);
/** zh_engine_opts.user. Any thread. */
void *zh_engine_user(const struct zh_engine *engine);

/**
 * Send `fn(reactor, arg)` to reactor `to` from the control thread (any non-reactor thread;
 * calls are serialized by a lock off the data path).
 * \return 0, or -EAGAIN when that ring is full (back-pressure: retry later).
 */
ZH_MUST_CHECK int zh_engine_post(struct zh_engine *engine, unsigned to, zh_msg_fn fn, void *arg);

/** Monotonic clock in nanoseconds (the reactors' time base). Any thread. */
uint64_t zh_clock_ns(void);

unsigned zh_reactor_id(const struct zh_reactor *r);
unsigned zh_reactor_cpu(const struct zh_reactor *r);
struct zh_engine *zh_reactor_engine(const struct zh_reactor *r);

/** The reactor's clock, refreshed once per loop iteration (cheap). */
uint64_t zh_reactor_now_ns(const struct zh_reactor *r);

/**
 * Send `fn(target, arg)` from reactor `from` to reactor `to` over their SPSC ring.
 * \return 0, or -EAGAIN when the ring is full.
 */
ZH_MUST_CHECK int zh_reactor_post(struct zh_reactor *from, unsigned to, zh_msg_fn fn, void *arg);

/**
 * Take a buffer of at least `size_bytes` from the reactor's pool (smallest fitting class).
 * \return 0, -EAGAIN when that class is empty (counted), -E2BIG above the largest class.
 */
ZH_MUST_CHECK int zh_reactor_buf_get(struct zh_reactor *r, uint32_t size_bytes,
				     struct zh_buf **out);
void zh_reactor_buf_put(struct zh_reactor *r, struct zh_buf *buf);

/**
 * Queue a read of `len_bytes` at `offset_bytes` of device `dev` into `buf`; `cb` runs on this
 * reactor when it completes. The SQE is submitted at the end of the current loop iteration.
 * \return 0, -EAGAIN (submission queue full), or the device's validation error (-EINVAL,
 *         -ERANGE, -EROFS; see zh_nvme_dev_prep()).
 */
ZH_MUST_CHECK int zh_reactor_read(struct zh_reactor *r, unsigned dev, struct zh_buf *buf,
				  uint32_t len_bytes, uint64_t offset_bytes, struct zh_io *io,
				  zh_io_cb cb);
/** As zh_reactor_read(); `flags` takes ZH_NVME_IO_FUA or ZH_NVME_IO_SYNC. */
ZH_MUST_CHECK int zh_reactor_write(struct zh_reactor *r, unsigned dev, struct zh_buf *buf,
				   uint32_t len_bytes, uint64_t offset_bytes, unsigned flags,
				   struct zh_io *io, zh_io_cb cb);
/**
 * As zh_reactor_read()/zh_reactor_write(), for `len_bytes` at `addr` inside the engine's shared
 * region (zh_engine_opts.shared_region), which every reactor may use.
 */
ZH_MUST_CHECK int zh_reactor_read_shared(struct zh_reactor *r, unsigned dev, void *addr,
					 uint32_t len_bytes, uint64_t offset_bytes,
					 struct zh_io *io, zh_io_cb cb);
ZH_MUST_CHECK int zh_reactor_write_shared(struct zh_reactor *r, unsigned dev, const void *addr,
					  uint32_t len_bytes, uint64_t offset_bytes, unsigned flags,
					  struct zh_io *io, zh_io_cb cb);
/**
 * As zh_reactor_write(), from `addr` anywhere in the process: memory that is not registered,
 * which the kernel pins for the duration of the request (a few microseconds per 256 KiB more
 * than a fixed buffer). For a caller's buffer that outlives the request, so that it is written
 * from where it lies instead of copied into registered memory. O_DIRECT rules apply: `addr`,
 * `len_bytes` and `offset_bytes` block aligned.
 */
ZH_MUST_CHECK int zh_reactor_write_mem(struct zh_reactor *r, unsigned dev, const void *addr,
				       uint32_t len_bytes, uint64_t offset_bytes, unsigned flags,
				       struct zh_io *io, zh_io_cb cb);
/** Make completed writes of device `dev` durable (fdatasync or NVMe Flush). */
ZH_MUST_CHECK int zh_reactor_flush(struct zh_reactor *r, unsigned dev, struct zh_io *io,
				   zh_io_cb cb);

/**
 * Arm `timer` to fire at `deadline_ns` (reactor clock). It must not be armed already (cancel it
 * first; asserted): a timer is in the heap once. A timer is disarmed before its callback runs,
 * so the callback may start it again.
 * \return 0, or -ENOSPC when opts.timers_max timers are already armed.
 */
ZH_MUST_CHECK int zh_reactor_timer_start(struct zh_reactor *r, struct zh_timer *timer,
					 uint64_t deadline_ns, zh_timer_cb cb);
/** Disarm; harmless on a timer that is not armed. */
void zh_reactor_timer_cancel(struct zh_reactor *r, struct zh_timer *timer);

/*
 * Batch levels, as fio's iodepth_submit and iodepth_complete count them: 0, 1-4, 5-8, 9-16,
 * 17-32, 33-64 and more than 64 requests in one submission or one reap.
 */
#define ZH_BATCH_LEVELS 7

/** The level of a batch of \p n requests (0 .. ZH_BATCH_LEVELS - 1). */
static inline unsigned zh_batch_level(uint32_t n)
{
	unsigned ceil_log2;

	if (n <= 4)
		return n == 0 ? 0 : 1;
	ceil_log2 = 32u - (unsigned)__builtin_clz(n - 1);
	return ceil_log2 - 1 < ZH_BATCH_LEVELS - 1 ? ceil_log2 - 1 : ZH_BATCH_LEVELS - 1;
}

struct zh_reactor_stats {
	uint64_t loops;
	uint64_t enters; /**< io_uring_enter calls (submit, or wait) */
	uint64_t ios_completed;
	uint64_t msgs_handled;
	uint64_t buf_exhausted; /**< zh_reactor_buf_get() answered -EAGAIN */
	uint64_t sq_full;	/**< a request answered -EAGAIN for lack of SQEs */
	uint64_t msg_ring_full; /**< a post from this reactor answered -EAGAIN */
	uint64_t wakeups;	/**< eventfd wake-ups received */
	uint64_t sleeps;	/**< enters that could block */
	uint64_t polls_hit;	/**< busy polls that found work before their deadline */
	uint64_t polls_missed;	/**< busy polls that ran out (and started a back-off) */
	uint64_t yields_hit;	/**< yield waits that found work (zh_engine_opts.yield_wait) */
	uint64_t yields_missed; /**< yield waits that found none and slept (and backed off) */
	uint64_t gathers;	/**< takes of gathered completion work (gather_ns) */
	uint64_t io_wait_ns;	/**< time spent polling or sleeping with I/O in flight */
	/** Enters that submitted requests, by how many each took (zh_batch_level()). */
	uint64_t submit_levels[ZH_BATCH_LEVELS];
	/** Reaps that found completions, by how many each took (zh_batch_level()). */
	uint64_t reap_levels[ZH_BATCH_LEVELS];
};

/** Copy this reactor's counters. */
void zh_reactor_stats_get(const struct zh_reactor *r, struct zh_reactor_stats *out);

/**
 * Time this reactor has spent polling or sleeping with I/O in flight: waiting on its devices.
 * Reactor thread only.
 */
uint64_t zh_reactor_io_wait_ns(const struct zh_reactor *r);

/** Number of requests submitted and not yet completed on this reactor. */
uint32_t zh_reactor_inflight(const struct zh_reactor *r);

/** A thread's scheduling as the kernel reports it (sched_getattr(2)). */
struct zh_thread_sched {
	int policy; /**< SCHED_OTHER, SCHED_BATCH ... */
	/** A fair thread's slice; 0 where the kernel reports none (before Linux 6.12). */
	uint64_t slice_ns;
};

/**
 * The scheduling of thread \p tid, 0 for the calling thread: what zh_engine_opts.sched_batch
 * and sched_slice_ns gave a reactor (call it on the reactor) or its io-wq workers.
 * \return 0, or a negative errno (-ESRCH: no such thread).
 */
ZH_MUST_CHECK int zh_thread_sched_get(pid_t tid, struct zh_thread_sched *out);

#endif /* ZH_ENGINE_H */
