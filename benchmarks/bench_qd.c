/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench latency_target: the depth search of fio's lat_target_* functions (see
 * bench_qd.h), with two deliberate differences. Once a window has missed, the search
 * bisects below that depth even when it was the job's iodepth (fio then doubles again and
 * swings between iodepth and below it). A window that misses at depth 1 with a percentile
 * under 100 opens a new window at depth 1 (fio's window then never closes).
 */
#include "benchmarks/bench_qd.h"

#include "numa/zh_platform.h"

/* Successes in a row one below the shallowest miss before that miss is tried again (fio). */
#define QD_STABLE_RETRY 3

void zh_bench_qd_init(struct zh_bench_qd_search *q, uint64_t target_ns, uint64_t window_ns,
		      double percentile, bool keep_running, uint32_t max_depth, uint64_t now_ns)
{
	ZH_ASSERT(target_ns > 0 && max_depth > 0);
	ZH_ASSERT(percentile > 0.0 && percentile <= 100.0);
	*q = (struct zh_bench_qd_search){
	    .target_ns = target_ns,
	    .window_ns = window_ns,
	    .percentile = percentile,
	    .keep_running = keep_running,
	    .max_depth = max_depth,
	    .depth = 1,
	    .low = 1,
	    .high = max_depth,
	};
	zh_bench_qd_new_window(q, now_ns);
}

void zh_bench_qd_new_window(struct zh_bench_qd_search *q, uint64_t now_ns)
{
	q->window_start_ns = now_ns;
	q->window_ios = 0;
	q->window_missed = 0;
}

/* The depth missed: halfway down to the deepest that met the target (fio). */
static enum zh_bench_qd_step qd_lower(struct zh_bench_qd_search *q)
{
	ZH_ASSERT(q->depth > 1);
	q->missed = true;
	q->high = q->depth;
	if (q->depth == q->low)
		q->low--;
	q->depth = (q->depth + q->low) / 2;
	q->stable = 0;
	q->final = false;
	return ZH_BENCH_QD_LOWER;
}

/* The window met the target: up by doubling, or halfway to the shallowest miss. */
static enum zh_bench_qd_step qd_raise(struct zh_bench_qd_search *q, uint64_t now_ns)
{
	uint32_t was = q->depth;

	q->low = q->depth;
	/* Stuck one below a miss: after a few successes, that depth gets another try. */
	if (q->missed && q->depth + 1 == q->high && ++q->stable >= QD_STABLE_RETRY) {
		q->high++;
		q->stable = 0;
	}
	q->depth = q->missed ? (q->depth + q->high) / 2 : q->depth * 2;
	if (q->depth > q->max_depth)
		q->depth = q->max_depth;
	if (!q->keep_running && q->depth == was) {
		if (q->final) {
			q->done = true;
			return ZH_BENCH_QD_DONE;
		}
		q->final = true;
		return ZH_BENCH_QD_FINAL;
	}
	zh_bench_qd_new_window(q, now_ns);
	return q->depth > was ? ZH_BENCH_QD_RAISE : ZH_BENCH_QD_KEEP;
}

enum zh_bench_qd_step zh_bench_qd_io(struct zh_bench_qd_search *q, uint64_t lat_ns)
{
	if (q->done)
		return ZH_BENCH_QD_KEEP;
	q->window_ios++;
	if (lat_ns <= q->target_ns)
		return ZH_BENCH_QD_KEEP;
	q->window_missed++;
	if (q->percentile < 100.0)
		return ZH_BENCH_QD_KEEP;
	return q->depth == 1 ? ZH_BENCH_QD_MISSED : qd_lower(q);
}

enum zh_bench_qd_step zh_bench_qd_tick(struct zh_bench_qd_search *q, uint64_t now_ns)
{
	double met;

	/*
	 * After DONE the old window stays past its end, and each I/O still in flight would judge
	 * it again: a third success one below a miss raised the depth the report then showed.
	 */
	if (q->done || now_ns - q->window_start_ns < q->window_ns)
		return ZH_BENCH_QD_KEEP;
	/* A window without a completed I/O met nothing (fio: a NaN that fails). */
	met = q->window_ios == 0
		  ? 0.0
		  : 100.0 * (double)(q->window_ios - q->window_missed) / (double)q->window_ios;
	if (met >= q->percentile)
		return qd_raise(q, now_ns);
	if (q->depth > 1)
		return qd_lower(q);
	zh_bench_qd_new_window(q, now_ns);
	return ZH_BENCH_QD_KEEP;
}
