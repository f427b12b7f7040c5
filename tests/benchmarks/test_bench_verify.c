/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data verification: a block filled for (offset, write) checks good there and
 * nowhere else, and every kind of damage a device can do is told apart.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "benchmarks/bench_verify.h"

static uint8_t block[4096], other[4096];

static enum zh_bench_verify_result check(const void *b, uint32_t len, uint64_t off, uint64_t want)
{
	uint64_t got;

	return zh_bench_verify_check(b, len, off, want, &got);
}

Test(bench_verify, filled_block_checks_good_for_its_write_or_any)
{
	uint64_t got = 0;

	zh_bench_verify_fill(block, sizeof(block), 8192, 7);
	cr_assert_eq(zh_bench_verify_check(block, sizeof(block), 8192, 7, &got),
		     ZH_BENCH_VERIFY_OK);
	cr_assert_eq(got, 7);
	cr_assert_eq(check(block, sizeof(block), 8192, 0), ZH_BENCH_VERIFY_OK, "0: any write");
}

Test(bench_verify, each_kind_of_damage_is_named)
{
	zh_bench_verify_fill(block, sizeof(block), 8192, 7);
	cr_assert_eq(check(block, sizeof(block), 8192, 8), ZH_BENCH_VERIFY_STALE);
	cr_assert_eq(check(block, sizeof(block), 4096, 7), ZH_BENCH_VERIFY_BAD_OFFSET);
	cr_assert_eq(check(block, 2048, 8192, 7), ZH_BENCH_VERIFY_BAD_LENGTH);
	block[4095] ^= 1;
	cr_assert_eq(check(block, sizeof(block), 8192, 7), ZH_BENCH_VERIFY_BAD_CRC);
	memset(block, 0, sizeof(block));
	cr_assert_eq(check(block, sizeof(block), 8192, 7), ZH_BENCH_VERIFY_BAD_MAGIC);
	cr_assert_str_eq(zh_bench_verify_result_name(ZH_BENCH_VERIFY_STALE), "stale");
	cr_assert_str_eq(zh_bench_verify_result_name(ZH_BENCH_VERIFY_BAD_OFFSET), "misdirected");
}

/* The payload changes with every write, so half of a newer write over an older one fails. */
Test(bench_verify, a_torn_write_fails_the_crc_although_its_header_is_new)
{
	zh_bench_verify_fill(block, sizeof(block), 0, 1);
	zh_bench_verify_fill(other, sizeof(other), 0, 2);
	cr_assert_neq(memcmp(block + 64, other + 64, sizeof(block) - 64), 0);
	memcpy(other + 2048, block + 2048, 2048);
	cr_assert_eq(check(other, sizeof(other), 0, 2), ZH_BENCH_VERIFY_BAD_CRC);
}

/* Block sizes that are not a multiple of 8 (a buffered bs=2300) fill and check too. */
Test(bench_verify, odd_block_sizes)
{
	zh_bench_verify_fill(block, 2300, 2300, 3);
	cr_assert_eq(check(block, 2300, 2300, 3), ZH_BENCH_VERIFY_OK);
	block[2299] ^= 0x80;
	cr_assert_eq(check(block, 2300, 2300, 3), ZH_BENCH_VERIFY_BAD_CRC);
	zh_bench_verify_fill(block, ZH_BENCH_VERIFY_MIN_BLOCK, 0, 1);
	cr_assert_eq(check(block, ZH_BENCH_VERIFY_MIN_BLOCK, 0, 1), ZH_BENCH_VERIFY_OK);
}
