/* SPDX-License-Identifier: MIT */
/*
 * Tests for zhtp-bench's block-size draw (bsrange, bssplit) and its fio spelling. The draw is
 * checked on evenly spaced random words, so each size's share is exact up to the spacing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "benchmarks/bench_bs.h"

/* Draws over N evenly spaced 32-bit words, counted per size in \p sizes (n entries). */
#define N (1u << 16)

static void count_draws(const struct zh_bench_bs *bs, const uint32_t *sizes, unsigned n,
			uint32_t *counts)
{
	memset(counts, 0, n * sizeof(*counts));
	for (uint64_t i = 0; i < N; i++) {
		uint32_t len = zh_bench_bs_draw(bs, (uint32_t)(i * (UINT64_C(1) << 32) / N));
		unsigned k = 0;

		while (k < n && sizes[k] != len)
			k++;
		cr_assert_lt(k, n, "drew %u, not one of the sizes", len);
		counts[k]++;
	}
}

static struct zh_bench_bs range(uint32_t min, uint32_t max)
{
	struct zh_bench_bs bs;

	zh_bench_bs_one(&bs, min);
	bs.kind = ZH_BENCH_BS_RANGE;
	bs.max_bytes = max;
	return bs;
}

Test(bench_bs, one_size_never_varies)
{
	struct zh_bench_bs bs;

	zh_bench_bs_one(&bs, 8192);
	cr_assert_not(zh_bench_bs_varies(&bs));
	cr_assert_eq(zh_bench_bs_draw(&bs, 0), 8192);
	cr_assert_eq(zh_bench_bs_draw(&bs, UINT32_MAX), 8192);
}

/* fio's draw, min + max * u aligned down to min, gives the multiples of min evenly. */
Test(bench_bs, a_power_of_two_range_draws_its_multiples_evenly)
{
	struct zh_bench_bs bs = range(4096, 16384);
	const uint32_t sizes[] = {4096, 8192, 12288, 16384};
	uint32_t counts[4];

	cr_assert(zh_bench_bs_varies(&bs));
	count_draws(&bs, sizes, 4, counts);
	for (unsigned k = 0; k < 4; k++)
		cr_assert_eq(counts[k], N / 4, "%u: %u", sizes[k], counts[k]);
	cr_assert_eq(zh_bench_bs_draw(&bs, 0), 4096);
	cr_assert_eq(zh_bench_bs_draw(&bs, UINT32_MAX), 16384);
}

/* A max that is no multiple of min is reached through the cap, as in fio. */
Test(bench_bs, an_uneven_range_stays_on_multiples_of_min_and_caps_at_max)
{
	struct zh_bench_bs bs = range(3000, 10000);
	const uint32_t sizes[] = {3000, 6000, 9000, 10000};
	uint32_t counts[4];

	count_draws(&bs, sizes, 4, counts);
	/* 3000 + 10000u falls in [3000, 13000): 30% in each of [3000, 6000), [6000, 9000) and
	 * [9000, 12000), and the last 10% rounds down to 12000, capped to 10000. */
	cr_assert_eq(counts[0], (uint32_t)(N * 0.3 + 0.5), "%u", counts[0]);
	cr_assert_eq(counts[1], counts[0], "%u", counts[1]);
	cr_assert_eq(counts[2], counts[0], "%u", counts[2]);
	cr_assert_eq(counts[3], N - 3 * counts[0], "%u", counts[3]);
}

Test(bench_bs, a_split_draws_each_size_with_its_share)
{
	struct zh_bench_bs bs = {.kind = ZH_BENCH_BS_SPLIT,
				 .min_bytes = 4096,
				 .max_bytes = 1 << 20,
				 .split_count = 4,
				 .split_bytes = {4096, 65536, 8192, 1 << 20},
				 .split_share = {125000, 500000, 375000, 0}};
	const uint32_t sizes[] = {4096, 65536, 8192, 1 << 20};
	uint32_t counts[4];

	count_draws(&bs, sizes, 4, counts);
	cr_assert_eq(counts[0], N / 8);
	cr_assert_eq(counts[1], N / 2);
	cr_assert_eq(counts[2], N * 3 / 8);
	cr_assert_eq(counts[3], 0, "a 0%% size is never drawn");
}

Test(bench_bs, alignment_covers_every_size_drawn)
{
	struct zh_bench_bs r = range(4096, 16384), odd = range(4096, 6000);
	struct zh_bench_bs split = {.kind = ZH_BENCH_BS_SPLIT,
				    .min_bytes = 512,
				    .max_bytes = 8192,
				    .split_count = 2,
				    .split_bytes = {8192, 512},
				    .split_share = {500000, 500000}};

	cr_assert(zh_bench_bs_aligned(&r, 4096));
	cr_assert_not(zh_bench_bs_aligned(&odd, 512), "the cap draws 6000");
	cr_assert(zh_bench_bs_aligned(&split, 512));
	cr_assert_not(zh_bench_bs_aligned(&split, 4096), "512 is drawn too");
}

Test(bench_bs, formats_as_fio_spells_it)
{
	struct zh_bench_bs bs[2];
	char v[256];

	zh_bench_bs_one(&bs[0], 4096);
	bs[1] = bs[0];
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_ONE, v, sizeof(v)), 0);
	cr_assert_str_eq(v, "4k");
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_SPLIT, v, sizeof(v)), -ENOENT);
	zh_bench_bs_one(&bs[1], 1 << 20);
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_ONE, v, sizeof(v)), 0);
	cr_assert_str_eq(v, "4k,1m");
	bs[1] = (struct zh_bench_bs){.kind = ZH_BENCH_BS_SPLIT,
				     .min_bytes = 4096,
				     .max_bytes = 65536,
				     .split_count = 3,
				     .split_bytes = {4096, 65536, 1000},
				     .split_share = {105000, 500000, 395000}};
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_ONE, v, sizeof(v)), 0);
	cr_assert_str_eq(v, "4k,");
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_SPLIT, v, sizeof(v)), 0);
	cr_assert_str_eq(v, ",4k/10.5:64k/50:1000/39.5");
	bs[0] = range(4096, 16384);
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_RANGE, v, sizeof(v)), 0);
	cr_assert_str_eq(v, "4k-16k,");
	cr_assert_eq(zh_bench_bs_format(bs, ZH_BENCH_BS_SPLIT, v, 8), -ENOSPC);
	cr_assert_lt(strlen(v), 8);
}
