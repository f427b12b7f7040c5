/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench reporting: turns finished job results into fio's human summary and fio's JSON
 * layout (so tools that read fio output read ours), and writes fio-format log files (iops, bw,
 * lat, clat, slat) including the windowed averaging that fio's log_avg_msec does.
 *
 * Threads: the report functions only read their arguments and may run on any thread. A log
 * window is owned by the thread that feeds it.
 */
#ifndef ZH_BENCH_REPORT_H
#define ZH_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bench_bs.h"
#include "bench_disk.h"
#include "bench_ss.h"
#include "bench_stats.h"

enum { ZH_BENCH_DIR_READ = 0, ZH_BENCH_DIR_WRITE = 1, ZH_BENCH_DIRS = 2 };

/*
 * What the engine's reactors did during a result's measured window (from zh_reactor_stats),
 * counted once per reactor the result's jobs ran on: the figures a user tunes --busy-poll by.
 * All zero when not measured (status snapshots, object jobs).
 */
struct zh_bench_reactor_counts {
	uint64_t enters;	/* io_uring_enter calls */
	uint64_t sleeps;	/* enters that could block */
	uint64_t polls_hit;	/* busy polls that found work before their window ran out */
	uint64_t polls_missed;	/* busy polls that ran out (each starts a back-off) */
	uint64_t yields_hit;	/* yield waits that found work (--yield-wait=on) */
	uint64_t yields_missed; /* yield waits that found none and slept (each starts a back-off) */
	uint64_t gathers;	/* completion work taken after gathering (--gather) */
	uint64_t wakeups;	/* eventfd wake-ups from other threads */
	uint64_t io_wait_ns;	/* polling or sleeping with I/O in flight, summed over reactors */
	/* Enters by how many requests each submitted, reaps by how many completions each took:
	   fio's iodepth_submit and iodepth_complete, per reactor (zh_batch_level()). */
	uint64_t submit_levels[ZH_BENCH_LEVELS];
	uint64_t reap_levels[ZH_BENCH_LEVELS];
	unsigned reactors; /* how many reactors were summed */
};

/*
 * How the reactors were scheduled: the policy and slice the kernel reported for the first
 * worker's reactor thread, and whether reactors yielded before sleeping (--yield-wait).
 * known false: not measured (status snapshots, object jobs).
 */
struct zh_bench_sched_report {
	bool known;
	int policy;	   /* SCHED_OTHER, SCHED_BATCH ... */
	uint64_t slice_ns; /* 0: the kernel reports no slice (before Linux 6.12) */
	bool yield_wait;
};

/* verify=crc32c: what the blocks read back (writing jobs) or read (reading jobs) showed. */
struct zh_bench_verify_report {
	bool ran;
	uint64_t blocks; /* blocks checked */
	uint64_t bad;
	/* The first bad block: where, what (enum zh_bench_verify_result), which write. */
	uint64_t first_bad_offset;
	unsigned first_bad_kind;
	uint64_t first_bad_seq, first_bad_want_seq;
	uint64_t readback_ns; /* writing jobs: how long reading back took (not in runtime) */
	/* verify_backlog: the checks made while writing, and the blocks they read back. */
	uint64_t backlogs;
	uint64_t backlog_blocks;
	/* Reads issued to check blocks (the read-back's and the backlogs'): fio's issued reads. */
	uint64_t reads;
};

/** One job, or one group of job clones with group_reporting. */
struct zh_bench_result {
	char name[64];
	unsigned groupid;
	/* Job clones merged into this result. */
	unsigned jobs;
	/* 0 or a positive errno, like fio. */
	int error;
	/* continue_on_error: the failures passed over and the first one's errno (fio's). */
	bool continue_on_error;
	uint64_t total_err;
	int first_error;
	/* fill_device: the lowest offset a write found no space at; UINT64_MAX: none did. */
	uint64_t full_offset;
	/* "randread" ... */
	const char *rw_name;
	uint32_t iodepth;
	/*
	 * latency_target: the depth the search ended at (the last clone's, as fio), else the
	 * iodepth; the target (ns), window (ns) and percentile the job gave (fio's defaults 0,
	 * 0, 100).
	 */
	uint32_t latency_depth;
	uint64_t latency_target_ns;
	uint64_t latency_window_ns;
	double latency_percentile;
	/*
	 * Steady state (ss.seconds 0: none): attained or not, the last judgement and the last
	 * window's samples (ss_iops and ss_bw, ss_samples each, heap memory the results' owner
	 * frees; NULL in status snapshots).
	 */
	struct zh_bench_ss_opts ss;
	bool ss_attained;
	double ss_criterion, ss_deviation, ss_slope, ss_iops_mean, ss_bw_mean;
	uint32_t ss_samples;
	uint64_t *ss_iops, *ss_bw;
	/* The job's block sizes, [0] reads and [1] writes, as the JSON job options echo them. */
	struct zh_bench_bs bs[2];
	/* What the job file said, "" if nothing. */
	const char *ioengine_requested;
	/* Measured, after ramp. */
	uint64_t runtime_ns;
	/* Reads and writes issued, by the depth each found (zh_bench_depth_level()). */
	uint64_t depth_levels[ZH_BENCH_LEVELS];
	/*
	 * fio's "eta" and "elapsed": seconds left of the run, the groups still to start included
	 * (0 once it is over; fio's INT_MAX while it cannot tell), and since zhtp-bench started,
	 * when the report is written.
	 */
	uint32_t eta_s, elapsed_s;
	/* ZH_BENCH_DIR_READ, ZH_BENCH_DIR_WRITE. */
	struct zh_bench_dir_stats dir[ZH_BENCH_DIRS];
	/* The fsync=N or fdatasync=N flushes' latencies; fsync_asked: the job said fsync. */
	struct zh_bench_hist sync_lat;
	bool fsync_asked;
	/* end_fsync: how many clones ran their end flush, and the longest (ns). */
	unsigned end_syncs;
	uint64_t end_sync_max_ns;
	struct zh_bench_verify_report verify;
	/* percentile_list (ascending, at most ZH_BENCH_PCT_MAX); NULL and 0: fio's default list. */
	const double *pct_list;
	unsigned pct_count;
	/* Which latencies get percentiles; all false is fio's default (clat only). */
	bool slat_pct, no_clat_pct, lat_pct;
	/* unified_rw_reporting=mixed: dir[ZH_BENCH_DIR_READ] holds every I/O, shown as "mixed". */
	bool unified_mixed;
	/* Percent of runtime. */
	double usr_cpu_pct, sys_cpu_pct;
	/* usr+sys seconds spent by the process during the job's group. */
	double cpu_seconds;
	/* Context switches. */
	uint64_t ctx;
	uint64_t log_entries_dropped;
	struct zh_bench_reactor_counts reactor;
	struct zh_bench_sched_report sched;
	/* Object jobs: the store's zstd level when the group ended (mean over its reactors). */
	bool store_level_known, store_level_auto;
	unsigned store_zstd_level;
};

/**
 * Write fio's human-readable summary: one block per result, then one "Run status group N"
 * block per distinct groupid, in increasing groupid order, then the disks' "Disk stats".
 *
 * \param out      stream to write to.
 * \param results  n results; rw_name and ioengine_requested may be NULL (treated as "").
 * \param disks    the disks under the jobs' files, as last sampled; NULL for none.
 * \return 0, -EINVAL for a NULL out or NULL results with n > 0, -EIO if the stream reports an
 *         error.
 */
ZH_MUST_CHECK int zh_bench_report_normal(FILE *out, const struct zh_bench_result *results, size_t n,
					 const struct zh_bench_disks *disks);

struct zh_bench_job;

/**
 * Start \p res for \p job in group \p groupid: what the job file said (name, rw, bs, iodepth,
 * ioengine, fsync, percentile_list and which latencies get percentiles), statistics empty.
 * Block and object jobs alike, so that both report what the job asked for.
 */
void zh_bench_result_init(struct zh_bench_result *res, const struct zh_bench_job *job,
			  unsigned groupid);

/**
 * Write the results as fio's JSON output (fio 3.33 key names and nesting), formatted by
 * cJSON_Print and followed by a newline. Adds "iops_per_cpu_second" to every job, and fio's
 * "disk_util" when \p disks has any (NULL: none).
 *
 * \param version    value of the "fio version" key, e.g. "zhtp-bench-0.1".
 * \param timestamp  seconds since the epoch for "timestamp", "timestamp_ms" and "time".
 * \return 0, -EINVAL for bad arguments, -ENOMEM if cJSON cannot allocate, -EIO on a stream
 *         error.
 */
ZH_MUST_CHECK int zh_bench_report_json(FILE *out, const struct zh_bench_result *results, size_t n,
				       const struct zh_bench_disks *disks, const char *version,
				       time_t timestamp);

/* ---- fio log files ---- */

/* Log kinds, one file each: <prefix>_<name>.<N>.log (zh_bench_log_filename()). */
enum {
	ZH_BENCH_LOG_IOPS = 0,
	ZH_BENCH_LOG_BW = 1,
	ZH_BENCH_LOG_LAT = 2,
	ZH_BENCH_LOG_CLAT = 3,
	ZH_BENCH_LOG_SLAT = 4,
	ZH_BENCH_LOG_KINDS = 5,
};

/*
 * Longest line zh_bench_log_format() can produce, NUL included: three 20-digit numbers (the
 * offset with log_offset), a 3-digit ddir, a 10-digit bs, the priority "0", five ", "
 * separators, the newline and the NUL.
 */
#define ZH_BENCH_LOG_LINE_MAX (20 + 20 + 20 + 3 + 10 + 1 + 5 * 2 + 1 + 1)

/**
 * One log line, "time_ms, value, ddir, bs, prio", or with fio's log_offset "time_ms, value,
 * ddir, bs, offset, prio". value is I/Os per second (iops log), KiB/s (bw log) or nanoseconds
 * (lat, clat, slat logs); bs and offset are 0 in averaged logs. The priority column is always
 * written as 0.
 */
struct zh_bench_log_entry {
	uint64_t time_ms;
	uint64_t value;
	uint8_t ddir; /* 0 read, 1 write (2 trim, only when read from fio's own logs) */
	uint32_t bs;
	uint64_t offset;
	bool has_offset; /* the line has the offset column (log_offset) */
};

/**
 * Format one entry as fio does, e.g. "200, 94350, 0, 0, 0\n".
 *
 * \return bytes written, not counting the NUL; -ENOSPC if buf (len bytes) is too small.
 */
ZH_MUST_CHECK int zh_bench_log_format(char *buf, size_t len, const struct zh_bench_log_entry *e);

/**
 * Parse one line written by zh_bench_log_format() or by fio 3.x (five columns, or six with
 * log_offset; unsigned decimal, separated by a comma and optional blanks, optional trailing
 * newline).
 *
 * \return 0; -EINVAL for a malformed line, a number out of range or a ddir above 2.
 */
ZH_MUST_CHECK int zh_bench_log_parse(const char *line, struct zh_bench_log_entry *e);

/** "iops", "bw", "lat", "clat" or "slat"; NULL for an unknown kind. */
const char *zh_bench_log_kind_name(unsigned kind);

/**
 * File name of a log, "<prefix>_<kind>.<index>.log", index being fio's thread number: the
 * clone's place among all job clones of the run, from 1, so that no two clones share a name.
 *
 * \return length written; -EINVAL for an unknown kind or index 0; -ENOSPC if it does not fit.
 */
ZH_MUST_CHECK int zh_bench_log_filename(char *buf, size_t len, const char *prefix, unsigned kind,
					unsigned index);

/**
 * Windowed averaging for log_avg_msec > 0. Fed once per completed I/O, flushed when a window
 * has passed; each flush emits, for each direction that did I/O in the window, one entry per
 * log kind: I/Os per second, KiB per second and the mean lat, clat and slat in ns.
 */
struct zh_bench_log_window {
	uint64_t window_ns, start_ns;
	uint64_t ios[ZH_BENCH_DIRS], bytes[ZH_BENCH_DIRS];
	uint64_t lat_sum_ns[ZH_BENCH_DIRS], clat_sum_ns[ZH_BENCH_DIRS], slat_sum_ns[ZH_BENCH_DIRS];
};

/** Receives one averaged entry of the given kind (ZH_BENCH_LOG_*). */
typedef void (*zh_bench_log_emit_fn)(void *ctx, unsigned kind, const struct zh_bench_log_entry *e);

/**
 * \param window_ns  averaging window, > 0 (log_avg_msec * 1e6).
 * \param start_ns   time the first window starts, normally the job's origin.
 */
void zh_bench_log_window_init(struct zh_bench_log_window *w, uint64_t window_ns, uint64_t start_ns);

/**
 * Account one completed I/O. Hot path: five adds, no branch.
 *
 * \param ddir  0 read or 1 write; anything else is a caller bug and is not checked here.
 */
static inline void zh_bench_log_window_add(struct zh_bench_log_window *w, unsigned ddir,
					   uint32_t bytes, uint64_t slat_ns, uint64_t clat_ns)
{
	w->ios[ddir]++;
	w->bytes[ddir] += bytes;
	w->slat_sum_ns[ddir] += slat_ns;
	w->clat_sum_ns[ddir] += clat_ns;
	w->lat_sum_ns[ddir] += slat_ns + clat_ns;
}

/** Whether zh_bench_log_window_flush() would emit now; cheap enough to test per I/O. */
static inline bool zh_bench_log_window_due(const struct zh_bench_log_window *w, uint64_t now_ns)
{
	return now_ns >= w->start_ns + w->window_ns;
}

/**
 * If now_ns >= start + window: emit the window's averages through emit and start the next
 * window. When the call comes k >= 1 whole windows late, the I/O counted so far is averaged
 * over those k windows and stamped with the end of the last one; start moves forward by k
 * windows. Entry times are (window end - origin_ns) in ms, so with a 200 ms window the first
 * line says 200, like fio. Nothing is emitted for a direction without I/O in the window.
 */
void zh_bench_log_window_flush(struct zh_bench_log_window *w, uint64_t now_ns, uint64_t origin_ns,
			       zh_bench_log_emit_fn emit, void *ctx);

/**
 * At the end of the job: emit what the unfinished window holds, averaged over (now - start)
 * and stamped with now, if that is at least half a window. Does nothing if the window is
 * empty or shorter: a few I/Os over a few microseconds are no rate.
 */
void zh_bench_log_window_finish(struct zh_bench_log_window *w, uint64_t now_ns, uint64_t origin_ns,
				zh_bench_log_emit_fn emit, void *ctx);

/** What the progress line knows of one job, to tell how long it has left. */
struct zh_bench_eta_job {
	uint64_t start_delay_ns, ramp_ns;
	uint64_t runtime_ns;  /**< 0: bounded by size only */
	uint64_t limit_bytes; /**< its size (io_limit); 0: bounded by time only */
	uint64_t done_bytes;  /**< moved so far, reads and writes */
};

#define ZH_BENCH_ETA_UNKNOWN UINT64_MAX

/**
 * Time left for one job, \p elapsed_ns after its group started: its startdelay, ramp and
 * runtime, or its size at the rate it has moved so far (fio's estimate), whichever ends it
 * first. ZH_BENCH_ETA_UNKNOWN for a job bounded by size that has moved nothing yet.
 */
uint64_t zh_bench_eta_left_ns(const struct zh_bench_eta_job *job, uint64_t elapsed_ns);

#endif /* ZH_BENCH_REPORT_H */
