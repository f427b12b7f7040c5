/* SPDX-License-Identifier: MIT */
/*
 * Tests for benchmarks/bench_stats.c: histogram bucket layout and edges, percentiles of known
 * distributions within the histogram's relative error, exact mean and standard deviation,
 * merging, and the per-interval bandwidth and IOPS samples.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench_stats.h"

/* The histograms are about 16 KiB each: keep them off the test's stack. */
static struct zh_bench_hist h1, h2, h3;
static struct zh_bench_dir_stats ds1, ds2;

/* Largest distance between a value and the midpoint of its bucket: 1/128 of the value. */
static void assert_within_bucket_error(uint64_t got, uint64_t exact)
{
	uint64_t diff = got > exact ? got - exact : exact - got;

	cr_assert_leq(diff * 64, exact, "got %llu, exact %llu: more than 1/64 off",
		      (unsigned long long)got, (unsigned long long)exact);
}

/* Deterministic pseudo-random values so failures reproduce. */
static uint64_t lcg_next(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 11;
}

Test(bench_stats, index_at_bucket_edges)
{
	cr_assert_eq(zh_bench_hist_index(0), 0);
	cr_assert_eq(zh_bench_hist_index(1), 1);
	cr_assert_eq(zh_bench_hist_index(63), 63);
	cr_assert_eq(zh_bench_hist_index(64), 64);
	cr_assert_eq(zh_bench_hist_index(65), 65);
	cr_assert_eq(zh_bench_hist_index(127), 127);
	/* From 128 on buckets are two wide, then four from 256. */
	cr_assert_eq(zh_bench_hist_index(128), 128);
	cr_assert_eq(zh_bench_hist_index(129), 128);
	cr_assert_eq(zh_bench_hist_index(130), 129);
	cr_assert_eq(zh_bench_hist_index(255), 191);
	cr_assert_eq(zh_bench_hist_index(256), 192);
	cr_assert_eq(zh_bench_hist_index(259), 192);
	cr_assert_eq(zh_bench_hist_index(260), 193);
	cr_assert_eq(zh_bench_hist_index(ZH_BENCH_HIST_LIMIT_NS - 1), ZH_BENCH_HIST_LAST - 1);
	cr_assert_eq(zh_bench_hist_index(ZH_BENCH_HIST_LIMIT_NS), ZH_BENCH_HIST_LAST);
	cr_assert_eq(zh_bench_hist_index(ZH_BENCH_HIST_LIMIT_NS + 1), ZH_BENCH_HIST_LAST);
	cr_assert_eq(zh_bench_hist_index(UINT64_MAX), ZH_BENCH_HIST_LAST);
	cr_assert_eq(ZH_BENCH_HIST_LAST, 1984);
}

Test(bench_stats, add_updates_buckets_and_totals_at_edges)
{
	static const uint64_t values[] = {63, 64, 65, 127, 128, (1ULL << 36) + 1};

	zh_bench_hist_reset(&h1);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		zh_bench_hist_add(&h1, values[i]);

	cr_assert_eq(h1.buckets[63], 1);
	cr_assert_eq(h1.buckets[64], 1);
	cr_assert_eq(h1.buckets[65], 1);
	cr_assert_eq(h1.buckets[127], 1);
	cr_assert_eq(h1.buckets[128], 1);
	cr_assert_eq(h1.buckets[ZH_BENCH_HIST_LAST], 1, "2^36 + 1 clamps into the last bucket");
	cr_assert_eq(h1.count, 6);
	cr_assert_eq(h1.min_ns, 63);
	cr_assert_eq(h1.max_ns, (1ULL << 36) + 1, "max keeps the exact value, not the clamp");
	cr_assert_eq(h1.sum_ns, 63 + 64 + 65 + 127 + 128 + (1ULL << 36) + 1);

	unsigned __int128 sq = 0;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		sq += (unsigned __int128)values[i] * values[i];
	cr_assert(h1.sumsq == sq);
}

Test(bench_stats, bucket_ranges_tile_the_value_space)
{
	cr_assert_eq(zh_bench_hist_bucket_low_ns(0), 0);
	cr_assert_eq(zh_bench_hist_bucket_low_ns(ZH_BENCH_HIST_LAST), ZH_BENCH_HIST_LIMIT_NS);
	for (unsigned i = 0; i < ZH_BENCH_HIST_LAST; i++) {
		uint64_t low = zh_bench_hist_bucket_low_ns(i);
		uint64_t next = zh_bench_hist_bucket_low_ns(i + 1);
		uint64_t mid = zh_bench_hist_bucket_mid_ns(i);

		cr_assert_eq(zh_bench_hist_index(low), i, "low edge of %u", i);
		cr_assert_eq(zh_bench_hist_index(next - 1), i, "high edge of %u", i);
		cr_assert_eq(zh_bench_hist_index(mid), i, "midpoint of %u", i);
		cr_assert_gt(next, low);
		/* Width at most 1/64 of the lower edge. */
		cr_assert_leq((next - low) * 64, low < 64 ? 64 : low, "width of %u", i);
	}
}

Test(bench_stats, midpoint_error_under_one_128th)
{
	uint64_t state = 42;

	for (int i = 0; i < 100000; i++) {
		/* Spread values over every power of two below 2^36. */
		uint64_t r = lcg_next(&state);
		uint64_t v = (r >> 8) & ((1ULL << (r % 36)) - 1);
		uint64_t mid = zh_bench_hist_bucket_mid_ns(zh_bench_hist_index(v));
		uint64_t diff = mid > v ? mid - v : v - mid;

		cr_assert_leq(diff * 128, v, "value %llu midpoint %llu", (unsigned long long)v,
			      (unsigned long long)mid);
	}
}

Test(bench_stats, percentiles_of_uniform_distribution)
{
	static const double pcts[] = {1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};
	const uint64_t n = 100000;

	zh_bench_hist_reset(&h1);
	for (uint64_t v = 1; v <= n; v++)
		zh_bench_hist_add(&h1, v);

	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		/* For 1..n the value of rank k is k itself. */
		uint64_t exact = (uint64_t)ceil(pcts[i] / 100.0 * (double)n - 1e-9);
		uint64_t got = zh_bench_hist_percentile(&h1, pcts[i]);

		assert_within_bucket_error(got, exact);
	}
	/* p100 is the midpoint of the top bucket [99328, 100352), below the maximum. */
	cr_assert_eq(zh_bench_hist_percentile(&h1, 100.0), 99840);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 0.0), 1, "p0 is the minimum");
	/* 50th: rank 50000 in bucket [49664, 50176), midpoint 49920. */
	cr_assert_eq(zh_bench_hist_percentile(&h1, 50.0), 49920);

	cr_assert_eq(h1.min_ns, 1);
	cr_assert_eq(h1.max_ns, n);
	cr_assert_float_eq(zh_bench_hist_mean(&h1), 50000.5, 1e-9);
	/* Sample stddev of 1..n is sqrt(n (n + 1) / 12). */
	cr_assert_float_eq(zh_bench_hist_stddev(&h1), sqrt((double)n * (double)(n + 1) / 12.0),
			   1e-6);
}

Test(bench_stats, percentiles_of_a_constant)
{
	zh_bench_hist_reset(&h1);
	for (int i = 0; i < 5000; i++)
		zh_bench_hist_add(&h1, 123457);

	cr_assert_eq(zh_bench_hist_percentile(&h1, 1.0), 123457);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 50.0), 123457);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 99.99), 123457);
	cr_assert_eq(zh_bench_hist_mean(&h1), 123457.0);
	cr_assert_eq(zh_bench_hist_stddev(&h1), 0.0, "exact sums give an exact zero");
}

Test(bench_stats, percentiles_of_two_spikes)
{
	zh_bench_hist_reset(&h1);
	for (int i = 0; i < 900; i++)
		zh_bench_hist_add(&h1, 100);
	for (int i = 0; i < 100; i++)
		zh_bench_hist_add(&h1, 1000000);

	/* Rank 900 is the last 100 ns sample; 128..255 ns buckets are 2 wide, 100 is exact. */
	cr_assert_eq(zh_bench_hist_percentile(&h1, 50.0), 100);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 90.0), 100);
	assert_within_bucket_error(zh_bench_hist_percentile(&h1, 90.1), 1000000);
	assert_within_bucket_error(zh_bench_hist_percentile(&h1, 99.0), 1000000);
	cr_assert_leq(zh_bench_hist_percentile(&h1, 99.99), 1000000, "clamped to the maximum");

	double mean = (900.0 * 100 + 100.0 * 1000000) / 1000.0;
	double ss =
	    900.0 * (100 - mean) * (100 - mean) + 100.0 * (1000000 - mean) * (1000000 - mean);

	cr_assert_float_eq(zh_bench_hist_mean(&h1), mean, 1e-9);
	cr_assert_float_eq(zh_bench_hist_stddev(&h1), sqrt(ss / 999.0), 1e-6);
}

Test(bench_stats, percentiles_of_a_single_value)
{
	zh_bench_hist_reset(&h1);
	zh_bench_hist_add(&h1, 7777777);

	cr_assert_eq(zh_bench_hist_percentile(&h1, 0.0), 7777777);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 50.0), 7777777);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 100.0), 7777777);
	cr_assert_eq(zh_bench_hist_mean(&h1), 7777777.0);
	cr_assert_eq(zh_bench_hist_stddev(&h1), 0.0, "one sample has no spread");
	cr_assert_eq(h1.min_ns, 7777777);
	cr_assert_eq(h1.max_ns, 7777777);
}

Test(bench_stats, empty_histogram)
{
	zh_bench_hist_reset(&h1);

	cr_assert_eq(h1.count, 0);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 50.0), 0);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 99.99), 0);
	cr_assert_eq(zh_bench_hist_mean(&h1), 0.0);
	cr_assert_eq(zh_bench_hist_stddev(&h1), 0.0);
}

Test(bench_stats, percentile_in_the_clamp_bucket_is_the_maximum)
{
	zh_bench_hist_reset(&h1);
	zh_bench_hist_add(&h1, 1000);
	zh_bench_hist_add(&h1, 100ULL << 36);

	cr_assert_eq(zh_bench_hist_percentile(&h1, 100.0), 100ULL << 36);
	/* 1000 lies in [1000, 1008), midpoint 1004, inside [min, max]. */
	cr_assert_eq(zh_bench_hist_percentile(&h1, 50.0), 1004);
}

Test(bench_stats, mean_and_stddev_are_exact)
{
	static const uint64_t values[] = {2, 4, 4, 4, 5, 5, 7, 9};

	zh_bench_hist_reset(&h1);
	for (size_t i = 0; i < 8; i++)
		zh_bench_hist_add(&h1, values[i]);

	cr_assert_eq(zh_bench_hist_mean(&h1), 5.0);
	/* Sum of squared deviations is 32; the sample variance divides by n - 1 = 7. */
	cr_assert_float_eq(zh_bench_hist_stddev(&h1), sqrt(32.0 / 7.0), 1e-12);
	cr_assert_eq(h1.min_ns, 2);
	cr_assert_eq(h1.max_ns, 9);
}

Test(bench_stats, large_values_keep_an_exact_stddev)
{
	/* Squares near 2^70 do not fit 64 bits; the 128-bit sum keeps them exact. */
	const uint64_t base = 1ULL << 35;

	zh_bench_hist_reset(&h1);
	zh_bench_hist_add(&h1, base - 1);
	zh_bench_hist_add(&h1, base + 1);

	cr_assert_eq(zh_bench_hist_mean(&h1), (double)base);
	cr_assert_float_eq(zh_bench_hist_stddev(&h1), sqrt(2.0), 1e-12);
}

Test(bench_stats, merge_equals_adding_both)
{
	uint64_t state = 7;

	zh_bench_hist_reset(&h1);
	zh_bench_hist_reset(&h2);
	zh_bench_hist_reset(&h3);
	for (int i = 0; i < 20000; i++) {
		uint64_t v = lcg_next(&state) % 5000000;

		zh_bench_hist_add(i % 3 ? &h1 : &h2, v);
		zh_bench_hist_add(&h3, v);
	}
	zh_bench_hist_merge(&h1, &h2);

	cr_assert_eq(memcmp(&h1, &h3, sizeof(h1)), 0);
	cr_assert_eq(zh_bench_hist_percentile(&h1, 99.0), zh_bench_hist_percentile(&h3, 99.0));
}

Test(bench_stats, merge_with_empty_keeps_min)
{
	zh_bench_hist_reset(&h1);
	zh_bench_hist_reset(&h2);
	zh_bench_hist_add(&h1, 500);
	zh_bench_hist_merge(&h1, &h2);

	cr_assert_eq(h1.min_ns, 500);
	cr_assert_eq(h1.max_ns, 500);
	cr_assert_eq(h1.count, 1);
}

Test(bench_stats, dir_stats_add_io_fills_three_histograms)
{
	zh_bench_dir_stats_reset(&ds1);
	zh_bench_dir_stats_add_io(&ds1, 4096, 1000, 49000);
	zh_bench_dir_stats_add_io(&ds1, 4096, 3000, 51000);

	cr_assert_eq(ds1.ios, 2);
	cr_assert_eq(ds1.bytes, 8192);
	cr_assert_eq(ds1.slat.sum_ns, 4000);
	cr_assert_eq(ds1.clat.sum_ns, 100000);
	cr_assert_eq(ds1.lat.min_ns, 50000);
	cr_assert_eq(ds1.lat.max_ns, 54000);
	cr_assert_eq(zh_bench_hist_mean(&ds1.lat), 52000.0);
}

Test(bench_stats, interval_samples_give_rates)
{
	const uint64_t half_second = 500000000ULL;

	zh_bench_dir_stats_reset(&ds1);
	/* 80000 4 KiB I/Os per 500 ms = 160000 IOPS = 640000 KiB/s. */
	zh_bench_dir_stats_sample(&ds1, 80000, 80000ULL * 4096, half_second);
	zh_bench_dir_stats_sample(&ds1, 70000, 70000ULL * 4096, half_second);
	zh_bench_dir_stats_sample(&ds1, 90000, 90000ULL * 4096, half_second);
	/* Empty and zero-length intervals add nothing, like fio. */
	zh_bench_dir_stats_sample(&ds1, 0, 0, half_second);
	zh_bench_dir_stats_sample(&ds1, 5, 5 * 4096, 0);

	cr_assert_eq(ds1.iops.samples, 3);
	cr_assert_eq(ds1.iops.min, 140000);
	cr_assert_eq(ds1.iops.max, 180000);
	cr_assert_eq(zh_bench_rate_stats_mean(&ds1.iops), 160000.0);
	cr_assert_float_eq(zh_bench_rate_stats_stddev(&ds1.iops), 20000.0, 1e-9);
	cr_assert_eq(ds1.bw_kib.samples, 3);
	cr_assert_eq(ds1.bw_kib.min, 560000);
	cr_assert_eq(ds1.bw_kib.max, 720000);
	cr_assert_eq(zh_bench_rate_stats_mean(&ds1.bw_kib), 640000.0);
	cr_assert_float_eq(zh_bench_rate_stats_stddev(&ds1.bw_kib), 80000.0, 1e-9);
}

Test(bench_stats, interval_rates_round_down_like_fio)
{
	zh_bench_dir_stats_reset(&ds1);
	/* 1 I/O of 1000 B in 3 ms: 333.3 IOPS, 325.5 KiB/s. */
	zh_bench_dir_stats_sample(&ds1, 1, 1000, 3000000);

	cr_assert_eq(ds1.iops.min, 333);
	cr_assert_eq(ds1.bw_kib.min, 325);
}

Test(bench_stats, merge_of_clones_aggregates_rates)
{
	zh_bench_dir_stats_reset(&ds1);
	zh_bench_dir_stats_reset(&ds2);
	for (int i = 0; i < 4; i++) {
		zh_bench_dir_stats_sample(&ds1, 50, 50 * 4096, 500000000ULL);
		zh_bench_dir_stats_sample(&ds2, 100, 100 * 4096, 500000000ULL);
		zh_bench_dir_stats_add_io(&ds1, 4096, 10, 1000 + (uint64_t)i);
		zh_bench_dir_stats_add_io(&ds2, 8192, 20, 2000 + (uint64_t)i);
	}
	zh_bench_dir_stats_merge(&ds1, &ds2);

	cr_assert_eq(ds1.ios, 8);
	cr_assert_eq(ds1.bytes, 4 * 4096 + 4 * 8192);
	cr_assert_eq(ds1.clat.count, 8);
	cr_assert_eq(ds1.clat.min_ns, 1000);
	cr_assert_eq(ds1.clat.max_ns, 2003);
	cr_assert_eq(ds1.slat.sum_ns, 4 * 10 + 4 * 20);
	/* Two clones at 100 and 200 IOPS on the same ticks: the group runs at 300. */
	cr_assert_eq(ds1.iops.samples, 4);
	cr_assert_eq(ds1.iops.min, 300);
	cr_assert_eq(ds1.iops.max, 300);
	cr_assert_eq(zh_bench_rate_stats_mean(&ds1.iops), 300.0);
	cr_assert_eq(zh_bench_rate_stats_stddev(&ds1.iops), 0.0);
	cr_assert_eq(zh_bench_rate_stats_mean(&ds1.bw_kib), 1200.0);
}

Test(bench_stats, merge_into_empty_copies)
{
	zh_bench_dir_stats_reset(&ds1);
	zh_bench_dir_stats_reset(&ds2);
	zh_bench_dir_stats_sample(&ds2, 10, 40960, 1000000000ULL);
	zh_bench_dir_stats_add_io(&ds2, 4096, 5, 6);
	zh_bench_dir_stats_merge(&ds1, &ds2);

	cr_assert_eq(memcmp(&ds1, &ds2, sizeof(ds1)), 0);
}

Test(bench_stats, percentile_out_of_range_aborts, .signal = SIGABRT)
{
	zh_bench_hist_reset(&h1);
	zh_bench_hist_add(&h1, 1);
	(void)zh_bench_hist_percentile(&h1, 100.5);
}

/* Counting by ranges agrees with the percentiles: each bucket at the value they report. */
Test(bench_stats, count_ranges_agrees_with_the_percentiles)
{
	static struct zh_bench_hist h;
	uint64_t edges[3], counts[4] = {0};

	zh_bench_hist_reset(&h);
	edges[0] = 1000;
	zh_bench_hist_count_ranges(&h, edges, 1, counts);
	cr_assert(counts[0] == 0 && counts[1] == 0, "empty");
	/* Below 128 ns every value is its own bucket: exact. */
	for (uint64_t v = 1; v <= 100; v++)
		zh_bench_hist_add(&h, v);
	edges[0] = 1, edges[1] = 51, edges[2] = 100;
	zh_bench_hist_count_ranges(&h, edges, 3, counts);
	cr_assert(counts[0] == 0 && counts[1] == 50 && counts[2] == 49 && counts[3] == 1,
		  "%llu %llu %llu %llu", (unsigned long long)counts[0],
		  (unsigned long long)counts[1], (unsigned long long)counts[2],
		  (unsigned long long)counts[3]);
	/* Added to, not cleared. */
	zh_bench_hist_count_ranges(&h, edges, 3, counts);
	cr_assert_eq(counts[1], 100);

	zh_bench_hist_reset(&h);
	for (uint64_t v = 1; v <= 1000; v++)
		zh_bench_hist_add(&h, v * 1000);
	/* Above, within a bucket (1.6%) of the edge... */
	memset(counts, 0, sizeof(counts));
	edges[0] = 500000;
	zh_bench_hist_count_ranges(&h, edges, 1, counts);
	cr_assert(counts[0] >= 490 && counts[0] <= 510, "%llu under 500 us",
		  (unsigned long long)counts[0]);
	cr_assert_eq(counts[0] + counts[1], 1000);
	/* ...and on the same side of the median as the percentile says. */
	memset(counts, 0, sizeof(counts));
	edges[0] = zh_bench_hist_percentile(&h, 50.0);
	edges[1] = edges[0] + 1;
	zh_bench_hist_count_ranges(&h, edges, 2, counts);
	cr_assert_lt(counts[0], 500);
	cr_assert_geq(counts[0] + counts[1], 500);
}

/* fio's IO depths levels: 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64 and more. */
Test(bench_stats, depth_levels_are_fios)
{
	static const struct {
		uint32_t depth;
		unsigned level;
	} cases[] = {{1, 0},  {2, 1},  {3, 1},	{4, 2},	 {7, 2},  {8, 3},  {15, 3},
		     {16, 4}, {31, 4}, {32, 5}, {63, 5}, {64, 6}, {65, 6}, {UINT32_MAX, 6}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(zh_bench_depth_level(cases[i].depth), cases[i].level,
			     "depth %u: level %u, want %u", cases[i].depth,
			     zh_bench_depth_level(cases[i].depth), cases[i].level);
}
