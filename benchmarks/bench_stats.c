/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench statistics: the cold half of the histogram (reset, merge, percentiles, mean and
 * standard deviation) and the per-direction interval samples. The hot-path adds are static
 * inline functions in bench_stats.h; the layout they share with this file is described in the
 * design notes there.
 */
#include "bench_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(ZH_BENCH_HIST_BUCKETS == 1985, "bucket count follows from 6 sub-bits and 2^36");
_Static_assert(ZH_BENCH_HIST_SUB_BUCKETS == 64, "64 sub-buckets per power of two");

void zh_bench_hist_reset(struct zh_bench_hist *h)
{
	ZH_ASSERT(h != NULL);
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

void zh_bench_hist_merge(struct zh_bench_hist *dst, const struct zh_bench_hist *src)
{
	ZH_ASSERT(dst != NULL);
	ZH_ASSERT(src != NULL);

	for (unsigned i = 0; i < ZH_BENCH_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	dst->sumsq += src->sumsq;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

uint64_t zh_bench_hist_bucket_low_ns(unsigned idx)
{
	ZH_ASSERT(idx < ZH_BENCH_HIST_BUCKETS);

	/* Invert design note 2: idx = (shift << 6) + top, with top in [64, 127] once idx >= 64. */
	if (idx < 2 * ZH_BENCH_HIST_SUB_BUCKETS)
		return idx;

	unsigned shift = (idx >> ZH_BENCH_HIST_SUB_BITS) - 1;
	uint64_t top = (idx & (ZH_BENCH_HIST_SUB_BUCKETS - 1)) + ZH_BENCH_HIST_SUB_BUCKETS;

	return top << shift;
}

uint64_t zh_bench_hist_bucket_mid_ns(unsigned idx)
{
	uint64_t low = zh_bench_hist_bucket_low_ns(idx);

	if (idx < 2 * ZH_BENCH_HIST_SUB_BUCKETS || idx == ZH_BENCH_HIST_LAST)
		return low;

	unsigned shift = (idx >> ZH_BENCH_HIST_SUB_BITS) - 1;

	/* The bucket is [low, low + 2^shift); its midpoint is low + 2^(shift - 1). */
	return low + (UINT64_C(1) << (shift - 1));
}

/*
 * Rank of the sample that a percentile names: ceil(pct / 100 * count), at least 1. The product
 * is computed in long double and a relative slack of 1e-12 is taken off before rounding up,
 * so that 99.99 (not exact in binary) times 100000 gives rank 99990, not 99991.
 */
static uint64_t percentile_rank(uint64_t count, double pct)
{
	long double x = (long double)pct / 100.0L * (long double)count;
	long double r = ceill(x - x * 1e-12L);
	uint64_t rank = r < 1.0L ? 1 : (uint64_t)r;

	return rank > count ? count : rank;
}

/*
 * The value bucket \p i stands for: its midpoint clamped into [min, max] (so a histogram of one
 * repeated value gives that value), the maximum for the clamp bucket.
 */
static uint64_t bucket_value(const struct zh_bench_hist *h, unsigned i)
{
	uint64_t v = i == ZH_BENCH_HIST_LAST ? h->max_ns : zh_bench_hist_bucket_mid_ns(i);

	if (v < h->min_ns)
		v = h->min_ns;
	if (v > h->max_ns)
		v = h->max_ns;
	return v;
}

uint64_t zh_bench_hist_percentile(const struct zh_bench_hist *h, double pct)
{
	ZH_ASSERT(h != NULL);
	ZH_ASSERT(pct >= 0.0);
	ZH_ASSERT(pct <= 100.0);

	if (h->count == 0)
		return 0;

	uint64_t rank = percentile_rank(h->count, pct);
	uint64_t cum = 0;
	unsigned i;

	for (i = 0; i < ZH_BENCH_HIST_LAST; i++) {
		cum += h->buckets[i];
		if (cum >= rank)
			break;
	}

	return bucket_value(h, i);
}

void zh_bench_hist_count_ranges(const struct zh_bench_hist *h, const uint64_t *edges, size_t n,
				uint64_t *counts)
{
	ZH_ASSERT(h != NULL && edges != NULL && counts != NULL);
	if (h->count == 0)
		return;
	/* One pass over the buckets; only the few holding samples look for their range. */
	for (unsigned i = 0; i < ZH_BENCH_HIST_BUCKETS; i++) {
		uint64_t v;
		size_t k = 0;

		if (h->buckets[i] == 0)
			continue;
		v = bucket_value(h, i);
		while (k < n && v >= edges[k])
			k++;
		counts[k] += h->buckets[i];
	}
}

/*
 * Sample variance from an exact count, sum and sum of squares:
 * (n * sumsq - sum^2) / (n * (n - 1)). The numerator is computed exactly in 128 bits when it
 * fits, so a constant series gives exactly 0; it falls back to long double otherwise, which
 * would take more than 2^64 ns squared times n of data.
 */
static double sample_stddev(uint64_t n, uint64_t sum, unsigned __int128 sumsq)
{
	if (n < 2)
		return 0.0;

	unsigned __int128 nsumsq;
	unsigned __int128 sum2 = (unsigned __int128)sum * sum;
	long double num;

	if (!__builtin_mul_overflow((unsigned __int128)n, sumsq, &nsumsq)) {
		num = nsumsq >= sum2 ? (long double)(nsumsq - sum2) : 0.0L;
	} else {
		long double mean = (long double)sum / (long double)n;

		num = ((long double)sumsq - mean * (long double)sum) * (long double)n;
		if (num < 0.0L)
			num = 0.0L;
	}

	long double var = num / ((long double)n * (long double)(n - 1));

	return (double)sqrtl(var);
}

double zh_bench_hist_mean(const struct zh_bench_hist *h)
{
	ZH_ASSERT(h != NULL);
	return h->count ? (double)h->sum_ns / (double)h->count : 0.0;
}

double zh_bench_hist_stddev(const struct zh_bench_hist *h)
{
	ZH_ASSERT(h != NULL);
	return sample_stddev(h->count, h->sum_ns, h->sumsq);
}

void zh_bench_rate_stats_reset(struct zh_bench_rate_stats *r)
{
	ZH_ASSERT(r != NULL);
	memset(r, 0, sizeof(*r));
	r->min = UINT64_MAX;
}

void zh_bench_rate_stats_add(struct zh_bench_rate_stats *r, uint64_t value)
{
	r->samples++;
	r->sum += value;
	r->sumsq += (unsigned __int128)value * value;
	if (value < r->min)
		r->min = value;
	if (value > r->max)
		r->max = value;
}

double zh_bench_rate_stats_mean(const struct zh_bench_rate_stats *r)
{
	ZH_ASSERT(r != NULL);
	return r->samples ? (double)r->sum / (double)r->samples : 0.0;
}

double zh_bench_rate_stats_stddev(const struct zh_bench_rate_stats *r)
{
	ZH_ASSERT(r != NULL);
	return sample_stddev(r->samples, r->sum, r->sumsq);
}

void zh_bench_dir_stats_reset(struct zh_bench_dir_stats *st)
{
	ZH_ASSERT(st != NULL);
	st->ios = 0;
	st->bytes = 0;
	st->short_ios = 0;
	zh_bench_hist_reset(&st->slat);
	zh_bench_hist_reset(&st->clat);
	zh_bench_hist_reset(&st->lat);
	zh_bench_rate_stats_reset(&st->iops);
	zh_bench_rate_stats_reset(&st->bw_kib);
}

void zh_bench_dir_stats_sample(struct zh_bench_dir_stats *st, uint64_t ios_in_interval,
			       uint64_t bytes_in_interval, uint64_t interval_ns)
{
	ZH_ASSERT(st != NULL);

	if (interval_ns == 0 || (ios_in_interval == 0 && bytes_in_interval == 0))
		return;

	/* 128-bit products: 2^64 / 1e9 is only 1.8e10 I/Os or 18 GB per interval. */
	unsigned __int128 iops = (unsigned __int128)ios_in_interval * 1000000000u / interval_ns;
	unsigned __int128 bw = (unsigned __int128)bytes_in_interval * 1000000000u / interval_ns;

	bw /= 1024;
	zh_bench_rate_stats_add(&st->iops, iops > UINT64_MAX ? UINT64_MAX : (uint64_t)iops);
	zh_bench_rate_stats_add(&st->bw_kib, bw > UINT64_MAX ? UINT64_MAX : (uint64_t)bw);
}

/* See zh_bench_dir_stats_merge(): dst and src are rates measured over the same ticks. */
static void rate_stats_merge_concurrent(struct zh_bench_rate_stats *dst,
					const struct zh_bench_rate_stats *src)
{
	if (src->samples == 0)
		return;
	if (dst->samples == 0) {
		*dst = *src;
		return;
	}

	uint64_t n = dst->samples > src->samples ? dst->samples : src->samples;

	/*
	 * sum_k (x_k + y_k)^2 = sum x^2 + sum y^2 + 2 sum x_k y_k; with uncorrelated series the
	 * cross sum is estimated as sum_x * sum_y / n, which makes the variances add.
	 */
	unsigned __int128 cross = (unsigned __int128)dst->sum * src->sum / n;

	dst->sumsq += src->sumsq + 2 * cross;
	dst->sum += src->sum;
	dst->min += src->min;
	dst->max += src->max;
	dst->samples = n;
}

void zh_bench_dir_stats_merge(struct zh_bench_dir_stats *dst, const struct zh_bench_dir_stats *src)
{
	ZH_ASSERT(dst != NULL);
	ZH_ASSERT(src != NULL);

	dst->ios += src->ios;
	dst->short_ios += src->short_ios;
	dst->bytes += src->bytes;
	zh_bench_hist_merge(&dst->slat, &src->slat);
	zh_bench_hist_merge(&dst->clat, &src->clat);
	zh_bench_hist_merge(&dst->lat, &src->lat);
	rate_stats_merge_concurrent(&dst->iops, &src->iops);
	rate_stats_merge_concurrent(&dst->bw_kib, &src->bw_kib);
}
