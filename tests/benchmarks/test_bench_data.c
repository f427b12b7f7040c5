/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench write-buffer contents: each chunk is its random part then zeros, in the
 * proportion asked, and the random part does not repeat.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <zstd.h>

#include "benchmarks/bench_data.h"

static uint8_t buf[8192];
static uint8_t big[1 << 16], packed[(1 << 16) + 1024];

/* How many of \p len bytes at \p p equal \p v. */
static size_t count_of(const uint8_t *p, size_t len, uint8_t v)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == v;
	return n;
}

static size_t zeros(const uint8_t *p, size_t len)
{
	return count_of(p, len, 0);
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

/* The two streams side by side: one state names the bytes, the state advances, no 16-byte
 * pattern repeats, lengths off the 16-byte step end where asked, and zstd cannot shrink it. */
Test(bench_data, random_bytes_are_reproducible_and_incompressible)
{
	uint64_t a = 5, b = 5;
	size_t packed_len;

	zh_bench_data_random(buf, 64, &a);
	zh_bench_data_random(buf + 64, 64, &b);
	cr_assert_eq(memcmp(buf, buf + 64, 64), 0, "the same state makes the same bytes");
	cr_assert_eq(a, b);
	cr_assert_neq(a, 5, "the state advances");
	zh_bench_data_random(buf + 64, 64, &a);
	cr_assert_neq(memcmp(buf, buf + 64, 64), 0, "the next call makes new bytes");
	cr_assert_neq(memcmp(buf, buf + 8, 8), 0, "the two lanes differ");
	cr_assert_neq(memcmp(buf, buf + 16, 16), 0);
	memset(buf, 0xff, sizeof(buf));
	zh_bench_data_random(buf, 23, &a);
	cr_assert_eq(buf[23], 0xff, "nothing past the length");
	cr_assert_lt(zeros(buf, 23), 4);
	zh_bench_data_random(big, sizeof(big), &a);
	packed_len = ZSTD_compress(packed, sizeof(packed), big, sizeof(big), 3);
	cr_assert_not(ZSTD_isError(packed_len));
	cr_assert_geq(packed_len, sizeof(big), "zstd shrank it to %zu bytes", packed_len);
}

/* Each 512-byte sector gets its offset in one 64-byte line and the time at its first line's
 * end; nothing else changes, and a tail shorter than a sector is left alone. */
Test(bench_data, scramble_stamps_each_sector)
{
	uint64_t now = 0x1234567890abcdefull, got;
	size_t line = ((now ^ 8192) & 7) * 64;

	memset(buf, 0xaa, sizeof(buf));
	zh_bench_data_scramble(buf, 4096 + 100, 8192, now);
	for (size_t at = 0; at < 4096; at += 512) {
		memcpy(&got, buf + at + line, sizeof(got));
		cr_assert_eq(got, 8192 + at, "sector at %zu", at);
		memcpy(&got, buf + at + 56, sizeof(got));
		cr_assert_eq(got, now);
		cr_assert_eq(512 - count_of(buf + at, 512, 0xaa), 16, "two words per sector");
	}
	cr_assert_eq(count_of(buf + 4096, 100, 0xaa), 100, "a partial sector is left alone");
}
