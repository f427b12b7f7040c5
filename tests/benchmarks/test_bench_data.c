/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench write-buffer contents: each chunk is its random part then zeros, in the
 * proportion asked, and the random part does not repeat.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "benchmarks/bench_data.h"

static uint8_t buf[8192];

static size_t zeros(const uint8_t *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == 0;
	return n;
}

Test(bench_data, each_chunk_is_random_then_zeros_in_proportion)
{
	struct zh_bench_data d = {.compress_pct = 50, .chunk_bytes = 512};
	uint64_t rng = 1;

	memset(buf, 0xff, sizeof(buf));
	zh_bench_data_fill(&d, buf, sizeof(buf), &rng);
	for (size_t c = 0; c < sizeof(buf); c += 512) {
		cr_assert_eq(zeros(buf + c + 256, 256), 256, "chunk at %zu: zero half", c);
		cr_assert_lt(zeros(buf + c, 256), 16, "chunk at %zu: random half", c);
	}
	cr_assert_neq(memcmp(buf, buf + 512, 256), 0, "the random parts differ");
}

Test(bench_data, none_all_and_odd_lengths)
{
	struct zh_bench_data d = {.compress_pct = 0, .chunk_bytes = 512};
	uint64_t rng = 7;

	zh_bench_data_fill(&d, buf, sizeof(buf), &rng);
	cr_assert_lt(zeros(buf, sizeof(buf)), 128, "0%%: random throughout");
	d.compress_pct = 100;
	memset(buf, 0xff, sizeof(buf));
	zh_bench_data_fill(&d, buf, sizeof(buf), &rng);
	cr_assert_eq(zeros(buf, sizeof(buf)), sizeof(buf), "100%%: zeros");
	/* 2300 bytes in 1000-byte chunks at 30%: 700 random + 300 zeros, twice, then 210 + 90. */
	d = (struct zh_bench_data){.compress_pct = 30, .chunk_bytes = 1000};
	memset(buf, 0xff, sizeof(buf));
	zh_bench_data_fill(&d, buf, 2300, &rng);
	cr_assert_eq(zeros(buf + 700, 300), 300);
	cr_assert_eq(zeros(buf + 1700, 300), 300);
	cr_assert_eq(zeros(buf + 2210, 90), 90);
	cr_assert_eq(buf[2300], 0xff, "nothing past the length");
}
