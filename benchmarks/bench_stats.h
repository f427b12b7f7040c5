/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench statistics: the latency histogram, percentiles and the per-direction counters that
 * the benchmark driver fills while a job runs and that bench_report.c turns into fio-style
 * output. Everything here is fixed-size and allocation-free, so a job's statistics can be
 * allocated once at start-up and updated on the I/O path.
 *
 * Design notes.
 *
 * 1. Histogram layout (log-linear, the scheme fio and HdrHistogram use). A value v in
 *    nanoseconds goes to bucket v when v < 128: those buckets are one nanosecond wide and exact.
 *    Above that, every power-of-two range [2^k, 2^(k+1)) with k >= 6 is cut into 64 equal
 *    sub-buckets of width 2^(k-6). The leading one bit of v picks the range and the six bits
 *    right below it pick the sub-bucket, so a bucket is at most 1/64 (1.5625%) of its lower
 *    edge wide, and its midpoint is within 0.79% of any value in it.
 * 2. With shift = max(msb(v) - 6, 0) the bucket index is (shift << 6) + (v >> shift): the top
 *    seven bits of v (always 64..127 once v >= 64) plus 64 buckets for every range below. One
 *    count-leading-zeros, a subtract, two shifts and an add; no branch, no division.
 * 3. The histogram covers [0, 2^36) ns (about 68.7 s) with 1984 buckets; values of 2^36 and above
 *    are clamped into one extra, last bucket (index 1984) whose representative value is the
 *    histogram's maximum.
 * 4. Besides the buckets the histogram keeps the exact count, sum, minimum, maximum and sum of
 *    squares, so mean and standard deviation are exact, not bucket estimates.
 * 5. Standard deviations are sample standard deviations (divisor n - 1), as fio prints them;
 *    they are 0 for fewer than two samples.
 *
 * Threads: nothing here locks. One thread owns a histogram or a zh_bench_dir_stats while the
 * job runs; merging happens after the owners have stopped.
 */
#ifndef ZH_BENCH_STATS_H
#define ZH_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numa/zh_platform.h"

/* Bits below the leading one that select a sub-bucket: 64 sub-buckets per power of two. */
#define ZH_BENCH_HIST_SUB_BITS	  6
#define ZH_BENCH_HIST_SUB_BUCKETS (1u << ZH_BENCH_HIST_SUB_BITS)
/* Values at or above 2^ZH_BENCH_HIST_TOP_BIT ns are clamped into the last bucket. */
#define ZH_BENCH_HIST_TOP_BIT  36
#define ZH_BENCH_HIST_LIMIT_NS (UINT64_C(1) << ZH_BENCH_HIST_TOP_BIT)
/* (36 - 6 + 1) * 64 = 1984 regular buckets for [0, 2^36), plus the clamp bucket. */
#define ZH_BENCH_HIST_BUCKETS                                                                      \
	(((ZH_BENCH_HIST_TOP_BIT - ZH_BENCH_HIST_SUB_BITS + 1) << ZH_BENCH_HIST_SUB_BITS) + 1)
#define ZH_BENCH_HIST_LAST (ZH_BENCH_HIST_BUCKETS - 1)

/** A latency histogram; see the design notes at the top of this file. */
struct zh_bench_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns; /* UINT64_MAX while empty */
	uint64_t max_ns;
	/*
	 * Sum of squares as an exact 128-bit integer. On x86-64 the update is one MUL and an
	 * ADD/ADC pair, cheaper than a double (an unsigned 64-bit to double conversion alone takes
	 * several instructions) and it never rounds, so the standard deviation of a constant series
	 * is exactly 0. It cannot overflow: 2^64 samples of 2^32 ns would be needed.
	 */
	unsigned __int128 sumsq;
	uint64_t buckets[ZH_BENCH_HIST_BUCKETS];
};

/**
 * Bucket index of a value; see design note 2.
 *
 * \param ns  latency in nanoseconds, any value (clamped at ZH_BENCH_HIST_LIMIT_NS).
 * \return an index in [0, ZH_BENCH_HIST_BUCKETS).
 */
static inline size_t zh_bench_hist_index(uint64_t ns)
{
	uint64_t v = ns < ZH_BENCH_HIST_LIMIT_NS ? ns : ZH_BENCH_HIST_LIMIT_NS;
	/* OR-ing in bit 6 makes values below 64 use shift 0, i.e. their own bucket. */
	unsigned msb = 63u - (unsigned)__builtin_clzll(v | ZH_BENCH_HIST_SUB_BUCKETS);
	unsigned shift = msb - ZH_BENCH_HIST_SUB_BITS;

	/* 64-bit arithmetic throughout: the result indexes the array without a zero-extension. */
	return ((size_t)shift << ZH_BENCH_HIST_SUB_BITS) + (size_t)(v >> shift);
}

/**
 * Empty a histogram. Call it once before the first zh_bench_hist_add().
 *
 * \param h  caller-owned histogram.
 */
void zh_bench_hist_reset(struct zh_bench_hist *h);

/**
 * Record one latency. Hot path: no branches besides conditional moves, no division, no
 * floating point.
 *
 * \param h   histogram owned by the calling thread.
 * \param ns  latency in nanoseconds.
 */
static inline void zh_bench_hist_add(struct zh_bench_hist *h, uint64_t ns)
{
	h->buckets[zh_bench_hist_index(ns)]++;
	h->count++;
	h->sum_ns += ns;
	h->sumsq += (unsigned __int128)ns * ns;
	h->min_ns = ns < h->min_ns ? ns : h->min_ns;
	h->max_ns = ns > h->max_ns ? ns : h->max_ns;
}

/**
 * Add every sample of src to dst; afterwards dst is what adding both sample streams to one
 * histogram would have given.
 */
void zh_bench_hist_merge(struct zh_bench_hist *dst, const struct zh_bench_hist *src);

/**
 * Percentile estimate.
 *
 * \param pct  percentile in [0, 100].
 * \return the representative value (midpoint) of the first bucket whose cumulative count
 *         reaches ceil(pct / 100 * count), clamped into [min, max]; the maximum for the clamp
 *         bucket; 0 if the histogram is empty.
 */
uint64_t zh_bench_hist_percentile(const struct zh_bench_hist *h, double pct);

/**
 * Add the samples in each range to \p counts (n + 1 entries, added to, not cleared): counts[k]
 * those under edges[k] and at or over edges[k - 1], counts[n] those at or over edges[n - 1].
 * Each bucket's samples are taken at the value a percentile would report for that bucket (its
 * midpoint clamped into [min, max]), so the ranges and the percentiles printed beside them
 * agree; a sample within a bucket's width (1.6%) of an edge may count on its other side.
 *
 * \param edges  ascending.
 */
void zh_bench_hist_count_ranges(const struct zh_bench_hist *h, const uint64_t *edges, size_t n,
				uint64_t *counts);

/** Lowest value that falls into bucket idx. */
uint64_t zh_bench_hist_bucket_low_ns(unsigned idx);

/** Representative value of bucket idx: the midpoint of its range (its lower edge for the clamp
 * bucket, whose upper edge is open). */
uint64_t zh_bench_hist_bucket_mid_ns(unsigned idx);

/** Exact mean in nanoseconds, 0 if empty. */
double zh_bench_hist_mean(const struct zh_bench_hist *h);

/** Exact sample standard deviation (n - 1) in nanoseconds, 0 with fewer than two samples. */
double zh_bench_hist_stddev(const struct zh_bench_hist *h);

/**
 * Running statistics of a rate sampled once per interval (fio's bw_* and iops_* fields):
 * minimum, maximum, and exact integer sum and sum of squares; no sample array.
 */
struct zh_bench_rate_stats {
	uint64_t samples;
	uint64_t min; /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t sum;
	unsigned __int128 sumsq;
};

void zh_bench_rate_stats_reset(struct zh_bench_rate_stats *r);
void zh_bench_rate_stats_add(struct zh_bench_rate_stats *r, uint64_t value);
/** Mean of the samples, 0 if none. */
double zh_bench_rate_stats_mean(const struct zh_bench_rate_stats *r);
/** Sample standard deviation (n - 1), 0 with fewer than two samples. */
double zh_bench_rate_stats_stddev(const struct zh_bench_rate_stats *r);

/*
 * fio's seven levels of iodepth_level, iodepth_submit and iodepth_complete. The depth levels
 * are 1, 2-3, 4-7, 8-15, 16-31, 32-63 and 64 or more requests in flight; the batch levels
 * are the engine's (zh_batch_level()).
 */
#define ZH_BENCH_LEVELS 7

/** The level of a request issued with \p depth requests in flight, itself included (>= 1). */
static inline unsigned zh_bench_depth_level(uint32_t depth)
{
	unsigned floor_log2 = 31u - (unsigned)__builtin_clz(depth | 1u);

	return floor_log2 < ZH_BENCH_LEVELS - 1 ? floor_log2 : ZH_BENCH_LEVELS - 1;
}

/** Everything measured for one direction (read or write) of one job. */
struct zh_bench_dir_stats {
	uint64_t ios;
	uint64_t bytes;
	uint64_t short_ios;		   /* transfers cut short and resumed (fio's short_ios) */
	struct zh_bench_hist slat;	   /* submission latency */
	struct zh_bench_hist clat;	   /* completion latency */
	struct zh_bench_hist lat;	   /* slat + clat */
	struct zh_bench_rate_stats iops;   /* I/Os per second, one sample per interval */
	struct zh_bench_rate_stats bw_kib; /* KiB per second, one sample per interval */
};

/** Empty all counters, histograms and samples. */
void zh_bench_dir_stats_reset(struct zh_bench_dir_stats *st);

/**
 * Record one completed I/O: counters and the three latency histograms. Hot path.
 *
 * \param st       the direction's statistics, owned by the calling thread.
 * \param bytes    transferred bytes.
 * \param slat_ns  submission latency (0 if the engine does not measure it).
 * \param clat_ns  completion latency.
 */
static inline void zh_bench_dir_stats_add_io(struct zh_bench_dir_stats *st, uint32_t bytes,
					     uint64_t slat_ns, uint64_t clat_ns)
{
	st->ios++;
	st->bytes += bytes;
	zh_bench_hist_add(&st->slat, slat_ns);
	zh_bench_hist_add(&st->clat, clat_ns);
	zh_bench_hist_add(&st->lat, slat_ns + clat_ns);
}

/**
 * Record one bandwidth/IOPS sample (fio takes one every 500 ms). The rates stored are
 * ios * 1e9 / interval_ns I/Os per second and bytes * 1e9 / interval_ns / 1024 KiB per second,
 * rounded down. Like fio, an interval without any I/O adds no sample, and so does an interval
 * of length 0.
 */
void zh_bench_dir_stats_sample(struct zh_bench_dir_stats *st, uint64_t ios_in_interval,
			       uint64_t bytes_in_interval, uint64_t interval_ns);

/**
 * Fold the statistics of a job clone that ran at the same time as dst's (group_reporting).
 * Counters and histograms add up exactly. The bandwidth and IOPS samples become those of the
 * group's aggregate rate: clones sample on the same ticks, so the aggregate series is the
 * per-tick sum of the clones' series. Its sum is exact; min and max are the sums of the
 * clones' minima and maxima (what fio reports too); the sample count is the longer series'
 * count; the sum of squares assumes the clones' rates are uncorrelated, so the variances add.
 */
void zh_bench_dir_stats_merge(struct zh_bench_dir_stats *dst, const struct zh_bench_dir_stats *src);

#endif /* ZH_BENCH_STATS_H */
