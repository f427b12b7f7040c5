/* SPDX-License-Identifier: MIT */
/*
 * Tests for zhtp-bench's random distributions: each generator's shape against its formula
 * (counts within 5 standard deviations of the expected), and the scatter as a permutation.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "benchmarks/bench_dist.h"

#define DRAWS 200000

/* Whether \p hits of DRAWS fall within 5 binomial standard deviations of probability \p p. */
static void assert_share(uint64_t hits, double p, const char *what)
{
	double mean = p * DRAWS, sd = sqrt(DRAWS * p * (1.0 - p));

	cr_assert(fabs((double)hits - mean) <= 5.0 * sd + 1.0,
		  "%s: %llu of %d, expected %.0f (sd %.1f)", what, (unsigned long long)hits, DRAWS,
		  mean, sd);
}

static struct zh_bench_dist_gen gen(struct zh_bench_dist d, uint64_t blocks)
{
	struct zh_bench_dist_gen g;

	cr_assert_eq(zh_bench_dist_init(&g, &d, blocks, 4096, 7), 0);
	return g;
}

/* Zipf: rank k with probability (k + 1)^-s / H(n, s). */
static void check_zipf(double s, uint64_t n)
{
	struct zh_bench_dist_gen g =
	    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_ZIPF, .param = s}, n);
	uint64_t first = 0, second = 0, top10 = 0;
	double norm = 0.0, p10 = 0.0;

	for (uint64_t k = 1; k <= n; k++)
		norm += pow((double)k, -s);
	for (uint64_t k = 1; k <= 10 && k <= n; k++)
		p10 += pow((double)k, -s) / norm;
	for (int i = 0; i < DRAWS; i++) {
		uint64_t rank = zh_bench_dist_next_rank(&g);

		cr_assert_lt(rank, n);
		first += rank == 0;
		second += rank == 1;
		top10 += rank < 10;
	}
	assert_share(first, 1.0 / norm, "rank 0");
	assert_share(second, pow(2.0, -s) / norm, "rank 1");
	assert_share(top10, p10, "ranks 0-9");
}

Test(bench_dist, zipf_draws_its_formula)
{
	check_zipf(1.2, 1000);
	check_zipf(0.8, 100000);
	check_zipf(2.5, 50);
}

/* fio's generator cannot take a theta of 1; this one can. */
Test(bench_dist, zipf_takes_a_theta_of_one)
{
	check_zipf(1.0, 5000);
}

Test(bench_dist, one_block_is_always_block_zero)
{
	struct zh_bench_dist_gen g =
	    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_ZIPF, .param = 1.2}, 1);

	for (int i = 0; i < 100; i++)
		cr_assert_eq(zh_bench_dist_next(&g), 0);
}

/* pareto:h sends a share h of the draws to a share 1 - h of the ranks (fio's formula). */
Test(bench_dist, pareto_sends_h_of_the_io_to_1_minus_h_of_the_blocks)
{
	const double hs[] = {0.8, 0.9};

	for (unsigned t = 0; t < 2; t++) {
		uint64_t n = 10000, hot = 0;
		struct zh_bench_dist_gen g =
		    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_PARETO, .param = hs[t]}, n);

		for (int i = 0; i < DRAWS; i++)
			hot += zh_bench_dist_next_rank(&g) < (uint64_t)((1.0 - hs[t]) * (double)n);
		assert_share(hot, hs[t], "hot ranks");
	}
}

/* normal: the draws' mean and standard deviation over the ranks. */
static void normal_moments(double dev_pct, uint64_t n, double *mean, double *sd)
{
	struct zh_bench_dist_gen g =
	    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_NORMAL, .param = dev_pct}, n);
	double sum = 0.0, sq = 0.0;

	for (int i = 0; i < DRAWS; i++) {
		uint64_t rank = zh_bench_dist_next_rank(&g);

		cr_assert_lt(rank, n);
		sum += (double)rank;
		sq += (double)rank * (double)rank;
	}
	*mean = sum / DRAWS;
	*sd = sqrt(sq / DRAWS - *mean * *mean);
}

/*
 * fio's normal: a bell around the middle rank, its standard deviation a twelfth of the blocks
 * (the mean of 12 uniform draws), widened by the jitter: normal:50 adds a uniform half of the
 * blocks wide, sd sqrt(1/144 + 1/48) = 1/6 of them. normal:99 draws as normal:50 does (the
 * jitter is capped at half the blocks), as in fio 3.33.
 */
Test(bench_dist, normal_is_a_bell_of_a_twelfth_widened_by_its_jitter)
{
	const uint64_t n = 1 << 20;
	double mean, sd;

	normal_moments(0, n, &mean, &sd);
	cr_assert(fabs(mean - n / 2.0) < n / 500.0, "mean %.0f", mean);
	cr_assert(fabs(sd / (n / 12.0) - 1.0) < 0.02, "sd %.0f against %.0f", sd, n / 12.0);
	normal_moments(50, n, &mean, &sd);
	cr_assert(fabs(mean - n / 2.0) < n / 500.0, "mean %.0f", mean);
	cr_assert(fabs(sd / (n / 6.0) - 1.0) < 0.02, "sd %.0f against %.0f", sd, n / 6.0);

	struct zh_bench_dist_gen half =
	    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_NORMAL, .param = 50}, n);
	struct zh_bench_dist_gen most =
	    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_NORMAL, .param = 99}, n);

	for (int i = 0; i < 1000; i++)
		cr_assert_eq(zh_bench_dist_next(&half), zh_bench_dist_next(&most));
}

/* The jitter never takes a rank off the ends, even over two blocks. */
Test(bench_dist, normal_stays_inside_small_files)
{
	for (uint64_t n = 1; n <= 4; n++) {
		struct zh_bench_dist_gen g =
		    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_NORMAL, .param = 90}, n);

		for (int i = 0; i < 10000; i++)
			cr_assert_lt(zh_bench_dist_next(&g), n);
	}
}

Test(bench_dist, zones_get_their_share_of_the_accesses)
{
	struct zh_bench_dist d = {.kind = ZH_BENCH_DIST_ZONED,
				  .zone_count = 4,
				  .zone_access = {600000, 300000, 80000, 20000},
				  .zone_range = {100000, 200000, 300000, 400000}};
	struct zh_bench_dist_gen g = gen(d, 1000);
	const uint64_t edge[] = {0, 100, 300, 600, 1000};
	uint64_t hits[4] = {0};

	for (int i = 0; i < DRAWS; i++) {
		uint64_t b = zh_bench_dist_next(&g);
		unsigned z = 0;

		cr_assert_lt(b, 1000);
		while (b >= edge[z + 1])
			z++;
		hits[z]++;
	}
	for (unsigned z = 0; z < 4; z++)
		assert_share(hits[z], d.zone_access[z] / 1e6, "zone");
}

/* Ranges adding up to less than 100% leave the rest of the blocks untouched, as in fio. */
Test(bench_dist, zones_short_of_the_whole_leave_the_tail_alone)
{
	struct zh_bench_dist d = {.kind = ZH_BENCH_DIST_ZONED,
				  .zone_count = 2,
				  .zone_access = {700000, 300000},
				  .zone_range = {100000, 150000}};
	struct zh_bench_dist_gen g = gen(d, 1000);
	uint64_t first = 0;

	for (int i = 0; i < DRAWS; i++) {
		uint64_t b = zh_bench_dist_next(&g);

		cr_assert_lt(b, 250, "block %llu past the zones' 25%%", (unsigned long long)b);
		first += b < 100;
	}
	assert_share(first, 0.7, "first zone");
}

/* zoned_abs: zones measured in bytes, divided by the block's size. */
Test(bench_dist, absolute_zones_are_lengths_in_bytes)
{
	struct zh_bench_dist d = {.kind = ZH_BENCH_DIST_ZONED_ABS,
				  .zone_count = 2,
				  .zone_access = {800000, 200000},
				  .zone_bytes = {40960, 409600}};
	struct zh_bench_dist_gen g;
	uint64_t first = 0;

	cr_assert_eq(zh_bench_dist_init(&g, &d, 1000, 4096, 3), 0);
	cr_assert_eq(zh_bench_dist_span_bytes(&d), 450560);
	for (int i = 0; i < DRAWS; i++) {
		uint64_t b = zh_bench_dist_next(&g);

		cr_assert_lt(b, 110, "block %llu past the zones' 110 blocks",
			     (unsigned long long)b);
		first += b < 10;
	}
	assert_share(first, 0.8, "first 10 blocks");
	cr_assert_eq(zh_bench_dist_init(&g, &d, 109, 4096, 3), -ERANGE, "zones past the blocks");
	cr_assert_eq(zh_bench_dist_init(&g, &d, 110, 4096, 3), 0, "zones up to the last block");
	cr_assert_eq(zh_bench_dist_init(&g, &d, 880, 512, 3), 0, "the same bytes in 512 B blocks");
	d.zone_bytes[1] = UINT64_MAX;
	cr_assert_eq(zh_bench_dist_span_bytes(&d), UINT64_MAX, "a span that overflows saturates");
	cr_assert_eq(zh_bench_dist_init(&g, &d, 1000, 4096, 3), -ERANGE);
}

/* The scatter and the centre move ranks to blocks one to one, for any block count. */
Test(bench_dist, every_rank_has_its_own_block)
{
	const uint64_t counts[] = {1, 2, 3, 1000, 1024, 4097};

	for (unsigned t = 0; t < sizeof(counts) / sizeof(counts[0]); t++) {
		uint64_t n = counts[t];
		struct zh_bench_dist_gen g = gen(
		    (struct zh_bench_dist){.kind = ZH_BENCH_DIST_ZIPF, .param = 1.1, .center = 0.3},
		    n);
		unsigned char *seen = calloc(n, 1);

		cr_assert_not_null(seen);
		for (uint64_t r = 0; r < n; r++) {
			uint64_t b = zh_bench_dist_place(&g, r);

			cr_assert_lt(b, n);
			cr_assert_eq(seen[b], 0, "n %llu: block %llu twice", (unsigned long long)n,
				     (unsigned long long)b);
			seen[b] = 1;
		}
		free(seen);
	}
}

/* Hot ranks land far apart, not packed at the start of the file. */
Test(bench_dist, hot_ranks_are_scattered)
{
	struct zh_bench_dist_gen g =
	    gen((struct zh_bench_dist){.kind = ZH_BENCH_DIST_ZIPF, .param = 1.2}, 1u << 20);
	unsigned low = 0;

	for (uint64_t r = 0; r < 64; r++)
		low += zh_bench_dist_place(&g, r) < (1u << 14);
	cr_assert_lt(low, 8, "%u of the 64 hottest ranks in the first 1/64 of the blocks", low);
}

Test(bench_dist, init_refuses_what_it_cannot_draw)
{
	struct zh_bench_dist_gen g;
	struct zh_bench_dist zones = {.kind = ZH_BENCH_DIST_ZONED,
				      .zone_count = 2,
				      .zone_access = {500000, 400000},
				      .zone_range = {500000, 500000}};
	struct zh_bench_dist too_wide = {.kind = ZH_BENCH_DIST_ZONED,
					 .zone_count = 2,
					 .zone_access = {500000, 500000},
					 .zone_range = {500000, 600000}};

	cr_assert_eq(
	    zh_bench_dist_init(&g, &(struct zh_bench_dist){.kind = ZH_BENCH_DIST_ZIPF, .param = 0},
			       10, 4096, 1),
	    -EINVAL);
	cr_assert_eq(
	    zh_bench_dist_init(
		&g, &(struct zh_bench_dist){.kind = ZH_BENCH_DIST_PARETO, .param = 1}, 10, 4096, 1),
	    -EINVAL);
	cr_assert_eq(
	    zh_bench_dist_init(
		&g,
		&(struct zh_bench_dist){.kind = ZH_BENCH_DIST_ZIPF, .param = 1.2, .center = 1.0},
		10, 4096, 1),
	    -EINVAL);
	cr_assert_eq(zh_bench_dist_init(
			 &g, &(struct zh_bench_dist){.kind = ZH_BENCH_DIST_NORMAL, .param = 100},
			 10, 4096, 1),
		     -EINVAL);
	cr_assert_eq(zh_bench_dist_init(&g, &zones, 10, 4096, 1), -EINVAL);
	cr_assert_eq(zh_bench_dist_init(&g, &too_wide, 10, 4096, 1), -EINVAL);
}

/* zh_bench_perm: every value of [0, n) exactly once, for sizes at and around powers of 2. */
Test(bench_dist, perm_is_a_permutation)
{
	static const uint64_t sizes[] = {1, 2, 3, 255, 256, 257, 1000, 4097};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t n = sizes[k];
		unsigned char *seen = calloc(n, 1);
		struct zh_bench_perm p;
		uint64_t fixed = 0;

		cr_assert_not_null(seen);
		zh_bench_perm_init(&p, n, 42 + k);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t x = zh_bench_perm_at(&p, i);

			cr_assert_lt(x, n);
			cr_assert_eq(seen[x]++, 0, "n=%llu: %llu twice", (unsigned long long)n,
				     (unsigned long long)x);
			fixed += x == i;
		}
		/* Scattered, not the identity (a handful of fixed points at most). */
		cr_assert(n < 256 || fixed < n / 16, "n=%llu: %llu fixed points",
			  (unsigned long long)n, (unsigned long long)fixed);
		free(seen);
	}
}
