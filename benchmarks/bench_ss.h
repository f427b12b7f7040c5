/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench steady state (fio's ss=, ss_dur=, ss_ramp=): a job ends once its IOPS or
 * bandwidth, sampled every second over the last ss_dur seconds, holds still. Either the
 * largest deviation from the window's mean (iops, bw) or the least-squares slope across the
 * window (iops_slope, bw_slope) must fall below the limit, absolute or as a percentage of the
 * mean, as fio judges it. This file holds the judgement only: the control thread feeds it one
 * second at a time (a group's jobs summed with group_reporting, as fio).
 */
#ifndef ZH_BENCH_SS_H
#define ZH_BENCH_SS_H

#include <stdbool.h>
#include <stdint.h>

/* The longest window: an hour of one-second samples. */
#define ZH_BENCH_SS_SECONDS_MAX 3600u

/* What ss= asks for. */
struct zh_bench_ss_opts {
	bool bw;	  /* bandwidth (bytes/s), else IOPS */
	bool slope;	  /* the slope across the window, else the largest deviation */
	bool pct;	  /* the limit is a percentage of the window's mean */
	double limit;	  /* > 0 */
	uint32_t seconds; /* ss_dur: the window; 0: no steady state */
};

struct zh_bench_ss {
	struct zh_bench_ss_opts o;
	uint64_t *iops, *bw; /* rings of o.seconds samples */
	uint32_t count;	     /* samples added so far */
	bool attained;
	/* The last judgement (once the window was full): criterion as compared with the limit. */
	double criterion, deviation, slope, iops_mean, bw_mean;
};

/** Allocate the window for \p o (o->seconds from 1 to ZH_BENCH_SS_SECONDS_MAX). \return 0 or
 * -ENOMEM. */
int zh_bench_ss_init(struct zh_bench_ss *ss, const struct zh_bench_ss_opts *o);

void zh_bench_ss_fini(struct zh_bench_ss *ss);

/**
 * Add one second's \p ios and \p bytes and, once the window is full, judge it.
 * \return true once steady state is attained (it stays attained).
 */
bool zh_bench_ss_add(struct zh_bench_ss *ss, uint64_t ios, uint64_t bytes);

/**
 * \p count done over \p span_ns as a count per second (rounded to nearest), what
 * zh_bench_ss_add() takes: a sample's timer may fire late, and an unscaled count would carry
 * that jitter into the judge (5 ms late is 0.5% more, past an ss=iops:0.1% limit). A span of 0
 * gives \p count as it is.
 */
uint64_t zh_bench_ss_per_second(uint64_t count, uint64_t span_ns);

/** The window's samples, oldest first: min(count, seconds) of them into \p iops and \p bw. */
uint32_t zh_bench_ss_window(const struct zh_bench_ss *ss, uint64_t *iops, uint64_t *bw);

#endif /* ZH_BENCH_SS_H */
