/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench latency_target: fio's search for the deepest queue that keeps its latency.
 *
 * A job starts at depth 1. At the end of every latency_window it doubles its depth while at
 * least latency_percentile of the window's I/Os took no longer than latency_target (total
 * latency, from the request's preparation to its completion, fio's "lat"); after the first
 * window that misses, it bisects between the deepest depth that met the target and the
 * shallowest that missed. When a window that met the target leaves the depth where it was,
 * the depth is found: the job drains, resets its statistics and measures one more window at
 * that depth, then ends (fio's final run), unless latency_run keeps it adjusting for as long
 * as the job runs. With latency_percentile=100 a single I/O over the target lowers the depth
 * at once, and one at depth 1 fails the job (fio's ETIMEDOUT).
 *
 * This file holds the decisions only; the worker gates its slots to the depth, drains when
 * told and calls zh_bench_qd_new_window() once nothing is in flight.
 */
#ifndef ZH_BENCH_QD_H
#define ZH_BENCH_QD_H

#include <stdbool.h>
#include <stdint.h>

/* What the job does next; see the file comment. */
enum zh_bench_qd_step {
	ZH_BENCH_QD_KEEP,   /* nothing changes */
	ZH_BENCH_QD_RAISE,  /* a deeper queue, from now: issue up to the new depth */
	ZH_BENCH_QD_LOWER,  /* a shallower queue: drain, then a new window */
	ZH_BENCH_QD_FINAL,  /* the depth is found: drain, reset the statistics, a last window */
	ZH_BENCH_QD_DONE,   /* the last window met the target: the job ends */
	ZH_BENCH_QD_MISSED, /* percentile 100 and an I/O over the target at depth 1: job fails */
};

struct zh_bench_qd_search {
	/* The job's options. */
	uint64_t target_ns;
	uint64_t window_ns;
	double percentile;  /* (0, 100] */
	bool keep_running;  /* latency_run */
	uint32_t max_depth; /* the job's iodepth */
	/* The search: the depth tried, the deepest that met the target, the shallowest that
	 * missed, and successes in a row one below `high`. */
	uint32_t depth;
	uint32_t low;
	uint32_t high;
	uint32_t stable;
	bool missed; /* a window (or, at percentile 100, an I/O) has missed: `high` is real */
	bool final;  /* measuring the last window at the found depth */
	bool done;   /* DONE was returned: nothing changes any more */
	/* The current window. */
	uint64_t window_start_ns;
	uint64_t window_ios;
	uint64_t window_missed;
};

/** Start a search at depth 1 with a window opening at \p now_ns. */
void zh_bench_qd_init(struct zh_bench_qd_search *q, uint64_t target_ns, uint64_t window_ns,
		      double percentile, bool keep_running, uint32_t max_depth, uint64_t now_ns);

/**
 * One I/O of the window finished after \p lat_ns. \return KEEP, or with percentile 100 and
 * the I/O over the target, LOWER (the depth is already lowered) or MISSED at depth 1. After
 * DONE, always KEEP: the I/Os still in flight as the job ends change nothing.
 */
enum zh_bench_qd_step zh_bench_qd_io(struct zh_bench_qd_search *q, uint64_t lat_ns);

/**
 * The clock reads \p now_ns: at the window's end, judge it. \return KEEP (the window goes on,
 * or it met the target and the depth stays, latency_run), RAISE (a new window is already
 * open), LOWER or FINAL (the caller drains and then opens one) or DONE. After DONE, always
 * KEEP: the depth reported is the one the last window measured.
 */
enum zh_bench_qd_step zh_bench_qd_tick(struct zh_bench_qd_search *q, uint64_t now_ns);

/** Open a new window at \p now_ns (after a drain). */
void zh_bench_qd_new_window(struct zh_bench_qd_search *q, uint64_t now_ns);

#endif /* ZH_BENCH_QD_H */
