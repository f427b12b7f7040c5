/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench worker: one job clone running on one reactor. It keeps `iodepth` requests in
 * flight through the engine's own I/O path (zh_reactor_read/write on registered buffers and
 * files), records latencies into its own histograms, and hands log entries to the control
 * thread through a bounded lock-free ring. Everything it touches while running is allocated
 * before it starts.
 */
#ifndef ZH_BENCH_WORKER_H
#define ZH_BENCH_WORKER_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "bench_bs.h"
#include "bench_data.h"
#include "bench_dist.h"
#include "bench_job.h"
#include "bench_qd.h"
#include "bench_report.h"
#include "bench_stats.h"
#include "engine/engine.h"

/* Steady-state samples a worker keeps for the control thread, which reads them within a tick. */
#define ZH_BENCH_SS_RING 8

/* The latency histograms a job keeps (all unless disable_* or gtod_reduce). */
#define ZH_BENCH_LAT_SLAT 1u
#define ZH_BENCH_LAT_CLAT 2u
#define ZH_BENCH_LAT_LAT  4u
#define ZH_BENCH_LAT_ALL  7u

struct zh_bench_log_record {
	struct zh_bench_log_entry entry;
	unsigned kind;
};

/** Bounded SPSC ring of log records: the worker produces, the control thread consumes. */
struct zh_bench_log_ring {
	alignas(64) _Atomic uint64_t head;
	alignas(64) _Atomic uint64_t tail;
	alignas(64) uint64_t mask;
	uint64_t dropped; /* producer-owned; read after the worker is done */
	struct zh_bench_log_record *slots;
};

struct zh_bench_worker_cfg {
	enum zh_bench_rw rw;
	uint32_t read_pct;
	/*
	 * Block sizes: bs_bytes when every I/O has that one size (the fast path), else 0 and
	 * each I/O draws its size from bs[] ([0] reads, [1] writes) on the slow path.
	 */
	uint32_t bs_bytes;
	struct zh_bench_bs bs[ZH_BENCH_DIRS];
	uint32_t bs_max_bytes;		    /* the slots' buffers hold this much */
	struct zh_bench_dist dist;	    /* random jobs: which blocks (uniform: the fast path) */
	uint32_t random_pct[ZH_BENCH_DIRS]; /* random jobs: the share at random offsets */
	/* blockalign: random offsets' boundary per direction when not the default; 0: default */
	uint32_t align[ZH_BENCH_DIRS];
	bool lfsr; /* random_generator=lfsr: every block once per pass, in a seeded order */
	/* rw=MODE:N: a random offset every seq_every I/Os (following on, or the same offset
	 * again with seq_identical, between), or seq_add bytes after each sequential I/O. */
	uint32_t seq_every;
	bool seq_identical;
	int64_t seq_add;
	/* zonemode=strided: zone_size bytes in each zone of zone_range, then zone_skip further
	 * on (0 zone_size: no zones). */
	uint64_t zone_size;
	uint64_t zone_range;
	uint64_t zone_skip;
	uint32_t iodepth;
	unsigned dev;
	uint64_t region_offset_bytes;
	uint64_t region_bytes;
	/*
	 * Several files (file_count > 1, one block size, slow path): the I/O is placed over a
	 * region of file_count * file_bytes (region_offset_bytes 0) that maps onto the files,
	 * a block from each in turn (fio's roundrobin) or one file after the other
	 * (file_sequential); file f is file_bytes at file_offset[f] on device file_dev[f].
	 * file_switch_every > 1 (roundrobin:N, random:N), or file_random on a sequential job: the
	 * worker picks the file, N I/Os in a row on each, the next in turn or drawn (file_random).
	 */
	uint32_t file_count;
	bool file_sequential;
	bool file_random;
	uint32_t file_switch_every;
	uint64_t file_bytes;
	unsigned file_dev[ZH_BENCH_FILES_MAX];
	uint64_t file_offset[ZH_BENCH_FILES_MAX];
	uint64_t io_limit_bytes; /* stop after this much I/O; 0: no limit */
	uint64_t io_limit_ios;	 /* sizes that vary: stop after this many I/Os; 0: no limit */
	uint64_t runtime_ns;	 /* 0: no limit */
	uint64_t ramp_ns;
	uint64_t start_delay_ns; /* startdelay: the first I/O this long after the start message */
	uint64_t seed;
	uint32_t log_avg_ms;	   /* 0: latency logs per I/O, rate logs every sample */
	uint64_t sample_ns;	   /* bwavgtime/iopsavgtime: one bandwidth and IOPS sample each */
	bool log_offset;	   /* log lines carry the offset column (0 when averaged) */
	unsigned log_kinds;	   /* bit per ZH_BENCH_LOG_* kind */
	uint32_t log_ring_entries; /* power of two; 0 when no log is written */
	uint32_t sync_every;	   /* a device flush after this many writes; 0: never */
	bool end_sync;		   /* a device flush once the last write is done */
	unsigned write_flags;	   /* sync=: ZH_NVME_IO_SYNC or ZH_NVME_IO_FUA on every write */
	bool unified_mixed;	   /* every I/O counts in st[ZH_BENCH_DIR_READ], reported "mixed" */
	bool verify;		   /* verify=: checkable writes, checked reads */
	unsigned verify_kind;	   /* enum zh_bench_verify_kind */
	struct zh_bench_pattern verify_pattern; /* len 0: none */
	uint32_t verify_interval;		/* a header every this many bytes (bs: one) */
	bool verify_readback;	 /* a writing job reads back what it wrote once done */
	bool verify_fatal;	 /* stop at the first bad block */
	uint32_t verify_backlog; /* check the blocks written every this many (0: at the end) */
	/* verify_dump: the job's file, beside whose name (in the working directory) the first
	   bad blocks are written out; NULL: none are. */
	const char *dump_path;
	unsigned continue_on_error;	/* ZH_BENCH_CONTINUE_*: failures counted, not fatal */
	bool fill_device;		/* a write finding no space (or cut short) ends the job */
	bool exitall, exitall_on_error; /* its end (with an error) stops the group */
	/*
	 * rate= (bytes/s) and rate_iops=, per direction (0: unlimited): an I/O goes out once
	 * the direction's I/Os and bytes before it fit both since the start (fio's linear rate).
	 */
	uint64_t rate_bps[ZH_BENCH_DIRS];
	uint64_t rate_iops[ZH_BENCH_DIRS];
	bool rate_poisson; /* rate_process=poisson: exponential gaps with the rates' mean */
	/*
	 * fio's flow: the I/Os of the group's jobs of one flow_id (*flow_issued, shared across
	 * cores, from 1 as in fio) against the sum of their clones' weights; a slot of a job
	 * whose share of them is past flow_weight / *flow_total_weight waits flow_sleep_ns on
	 * the parked list. A job that finishes takes its I/Os and weight out of both (fio's
	 * flow_put). flow_weight 0: none.
	 */
	uint32_t flow_weight;
	uint64_t flow_sleep_ns;
	_Atomic uint64_t *flow_issued;
	_Atomic uint64_t *flow_total_weight;
	struct zh_bench_data data; /* what the write buffers hold */
	/* thinktime: every think_blocks blocks, drain, then wait think_ns (0: off). */
	uint64_t think_ns;
	uint32_t think_blocks;
	bool think_on_issue; /* count issued blocks, not completed ones */
	unsigned lat_kinds;  /* ZH_BENCH_LAT_* bits: the latency histograms kept */
	/* latency_target (0: off) and its window, percentile and latency_run (bench_qd.h). */
	uint64_t lat_target_ns;
	uint64_t lat_window_ns;
	double lat_percentile;
	bool lat_run;
	uint64_t max_lat_ns; /* max_latency: a slower I/O fails the job (ETIMEDOUT); 0: off */
	bool ss;	     /* steady state: publish a sample every second after ss_ramp */
	uint64_t ss_ramp_ns;
	bool bw_samples_off; /* disable_bw_measurement: no bandwidth or IOPS samples */
};

/* fio's default blockalign for direction \p d: the one size, or the direction's smallest. */
static inline uint32_t zh_bench_default_grain(const struct zh_bench_worker_cfg *cfg, unsigned d)
{
	return cfg->bs_bytes != 0 ? cfg->bs_bytes : cfg->bs[d].min_bytes;
}

struct zh_bench_slot;

struct zh_bench_worker {
	struct zh_bench_worker_cfg cfg;
	/* Reactor-owned state while running. */
	struct zh_bench_slot *slots;
	uint64_t rng;
	bool random; /* random offsets (cfg.rw) */
	/* blockalign other than the one size: random offsets placed by bytes (slow path). */
	bool realigned;
	/* random_generator=lfsr: the pass's order and where in it the next I/O is (slow path). */
	bool lfsr;
	struct zh_bench_perm lfsr_order;
	uint64_t lfsr_next;
	/* random_distribution other than uniform: a generator per direction (slow path). */
	bool skewed;
	struct zh_bench_dist_gen dist[ZH_BENCH_DIRS];
	/*
	 * percentage_random below 100 or rw=randread:N: some I/Os follow on from where the
	 * direction's last one ended or repeat where it began (region bytes); seq_left counts
	 * the I/Os before the next random one (rw=randread:N).
	 */
	bool partly_random;
	uint64_t last_end[ZH_BENCH_DIRS];
	uint64_t last_start[ZH_BENCH_DIRS];
	uint32_t seq_left;
	bool seq_add_begun; /* rw=read:N: the first I/O placed */
	/* zonemode=strided: the zone's start and bytes done in it, and where each direction's
	 * next sequential I/O starts in it (region bytes; slow path). */
	uint64_t zone_base;
	uint64_t zone_done;
	uint64_t zone_end[ZH_BENCH_DIRS];
	/* The worker picks files (file_switch_every, file_random): the file it is on, the I/Os
	 * left on it, and sequential jobs' next I/O in each file. */
	bool file_turns;
	uint32_t file_now;
	uint32_t file_left;
	uint64_t file_next[ZH_BENCH_FILES_MAX];
	uint64_t blocks;
	uint64_t seq_next;
	uint64_t seq_next_bytes; /* sizes that vary: where the next sequential I/O starts */
	uint64_t issued_bytes;
	/* Reads and writes issued while measuring, by the depth they found (fio's IO depths). */
	uint64_t depth_levels[ZH_BENCH_LEVELS];
	/* Counted on the slow path only, which thinktime and sizes that vary always take. */
	uint64_t issued_ios;
	uint64_t writes_unsynced; /* writes issued since the last flush */
	bool sync_due;		  /* the next request a slot issues is a flush */
	/* verify, rate, refill, thinktime, sizes that vary, skew, blockalign: the slow path */
	bool slow_base;
	bool slow_issue; /* slow_base or sync_due: slot_issue takes its slow path */
	/* Rate limiting: on, I/Os and bytes per direction, slots waiting for their time (FIFO). */
	bool rated;
	uint64_t rate_ios[ZH_BENCH_DIRS];
	uint64_t rate_bytes[ZH_BENCH_DIRS];
	uint64_t rate_next_ns[ZH_BENCH_DIRS]; /* poisson: the next I/O's due, from the start */
	struct zh_bench_slot *parked_head[ZH_BENCH_DIRS], *parked_tail[ZH_BENCH_DIRS];
	uint32_t parked;
	uint64_t rate_armed_ns; /* rate_timer's deadline; 0: not armed */
	struct zh_timer rate_timer;
	/*
	 * thinktime: slots park (with the rate limit's lists and timer) while the job drains,
	 * then all wait think_ns. think_done counts completed blocks, think_last where the last
	 * think began.
	 */
	bool thinking;
	uint64_t think_done;
	uint64_t think_last;
	/*
	 * latency_target: the depth search; slots above its depth (all of them while the job
	 * drains for a lower depth or the final window) wait on a stack of their own.
	 */
	struct zh_bench_qd_search qd;
	bool qd_draining;
	struct zh_bench_slot *gated;
	uint32_t gated_count;
	/*
	 * Steady state: every second from ss_ramp on, the I/Os and bytes completed since the
	 * job began, in a ring the control thread reads (zh_bench_worker_ss_sample()).
	 * done_before_*: what was counted before the last statistics reset, per direction,
	 * which that ring and the progress line add to the current counts.
	 */
	struct zh_timer ss_timer;
	uint64_t done_before_ios[ZH_BENCH_DIRS], done_before_bytes[ZH_BENCH_DIRS];
	_Atomic uint64_t ss_count;
	_Atomic uint64_t ss_ios[ZH_BENCH_SS_RING], ss_bytes[ZH_BENCH_SS_RING];
	_Atomic uint64_t ss_ns[ZH_BENCH_SS_RING]; /* reactor clock when each was taken */
	uint32_t inflight;
	bool stopping;
	bool measuring;
	bool measure_full; /* measuring with every latency kept: slot_done's common case */
	bool begun;	   /* past its startdelay: buffers taken, timers armed */
	uint64_t start_ns;
	/* The logs' time 0, fio's epoch: the job's start, or the end of its ramp_time. */
	uint64_t log_origin_ns;
	uint64_t measure_start_ns;
	uint64_t last_sample_ns;
	uint64_t interval_ios[ZH_BENCH_DIRS];
	uint64_t interval_bytes[ZH_BENCH_DIRS];
	struct zh_timer start_timer, ramp_timer, end_timer, sample_timer, log_timer;
	struct zh_bench_log_window log_window;
	struct zh_bench_dir_stats st[ZH_BENCH_DIRS];
	struct zh_bench_hist sync_lat; /* the sync_every flushes (not the end flush) */
	struct zh_io end_sync_io;
	bool end_sync_issued;
	/*
	 * verify=crc32c on a writing job: the last write to each block (0: none), with
	 * VERIFY_INFLIGHT set while a write to it is in flight; the read-back phase's cursor.
	 */
	uint64_t *block_seq;
	uint64_t write_seq;
	uint64_t fill_rng; /* refill_buffers: the stream every write's fresh bytes come from */
	bool verifying, verify_stop;
	uint64_t flow_done; /* fio's flow: this job's I/Os counted in *cfg.flow_issued */
	/*
	 * verify_backlog: a ring of the blocks whose writes landed and are not checked yet
	 * (verify_backlog + iodepth entries), and how many reads of them are still due.
	 */
	uint64_t *backlog;
	uint32_t backlog_head, backlog_len, backlog_due;
	uint8_t *dump_expected; /* verify_dump: a block's worth to rebuild what it should hold */
	unsigned dumps;
	bool measure_ended; /* runtime, samples and logs are final (before a read-back) */
	uint64_t verify_cursor;
	uint64_t verify_start_ns;
	struct zh_bench_verify_report verify;
	uint64_t end_sync_ns; /* how long the end flush took; 0: none ran */
	int error;	      /* first error, positive errno */
	/* continue_on_error: failures passed over, and the first one's errno (fio's). */
	uint64_t total_err;
	int first_error;
	/* fill_device: the lowest offset a write found no space at; UINT64_MAX while none did. */
	uint64_t full_offset;
	uint64_t runtime_ns; /* measured: from the end of ramp to the last completion */
	/* The reactor's counters when measuring began, then what they moved by until the end. */
	struct zh_reactor_stats reactor_begin;
	/* The reactor thread's scheduling when measuring began; sched_known: the kernel said. */
	struct zh_thread_sched sched;
	bool sched_known;
	/* The process's CPU use when measuring began (after ramp_time, or a latency search). */
	struct rusage usage_begin;
	struct zh_bench_reactor_counts reactor_moved;
	/* Snapshots for --status-interval: filled on the reactor on request. */
	struct zh_bench_dir_stats snap[ZH_BENCH_DIRS];
	struct zh_bench_hist snap_sync_lat;
	uint64_t snap_runtime_ns;
	uint64_t snap_depth_levels[ZH_BENCH_LEVELS];
	struct zh_bench_reactor_counts snap_reactor;
	_Atomic unsigned snap_seq;
	/* For the progress line: published every sample, read by the control thread. */
	_Atomic uint64_t pub_ios[ZH_BENCH_DIRS];
	_Atomic uint64_t pub_bytes[ZH_BENCH_DIRS];
	uint64_t ramp_ios[ZH_BENCH_DIRS], ramp_bytes[ZH_BENCH_DIRS]; /* done before measuring */
	struct zh_bench_log_ring log;
	_Atomic int done;
};

/** Allocate the worker's slots and log ring (control thread, before start). \return 0/-ENOMEM. */
ZH_MUST_CHECK int zh_bench_worker_init(struct zh_bench_worker *w,
				       const struct zh_bench_worker_cfg *cfg);
void zh_bench_worker_fini(struct zh_bench_worker *w);

/** Message to the worker's reactor: take buffers, arm timers, fill the queue. */
void zh_bench_worker_start_msg(struct zh_reactor *r, void *arg);
/**
 * Message to the worker's reactor: stop issuing, as when the runtime ends (exitall); a worker
 * still waiting out its startdelay ends without starting. Idempotent; nothing once done.
 */
void zh_bench_worker_stop_msg(struct zh_reactor *r, void *arg);

/** What a worker had completed at a steady-state sample, and when (its reactor's clock). */
struct zh_bench_ss_point {
	uint64_t ns, ios, bytes;
};

/**
 * Control thread: what \p w had completed at its steady-state sample \p i (0, 1, ... a
 * second apart). \return false while that sample is not published yet, or once the ring has
 * moved past it.
 */
bool zh_bench_worker_ss_sample(const struct zh_bench_worker *w, uint64_t i,
			       struct zh_bench_ss_point *out);
/** Whether \p w's end stops its group (exitall, or exitall_on_error after a failure). */
bool zh_bench_worker_ends_group(const struct zh_bench_worker *w);
/** Message to the worker's reactor: copy current stats into snap[], then bump snap_seq. */
void zh_bench_worker_snapshot_msg(struct zh_reactor *r, void *arg);

typedef void (*zh_bench_log_sink_fn)(void *ctx, const struct zh_bench_log_record *rec);
/** Control thread: hand every queued log record to `sink`. \return the number drained. */
uint64_t zh_bench_worker_log_drain(struct zh_bench_worker *w, zh_bench_log_sink_fn sink, void *ctx);

#endif /* ZH_BENCH_WORKER_H */
