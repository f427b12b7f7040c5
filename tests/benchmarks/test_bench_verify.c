/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data verification: for every verify= kind, a block filled for (offset, write)
 * checks good there and nowhere else, every kind of damage a device can do is told apart,
 * and the checksum at the block's end is the library's over everything before it.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5(), SHA256(): the known answers */

#include <criterion/criterion.h>
#include <errno.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <string.h>
#include <xxhash.h>

#include "benchmarks/bench_verify.h"
#include "codec/codec.h"

/* The kinds with a header: all before verify=pattern. */
#define HDR_KINDS ZH_BENCH_VERIFY_PATTERN

static uint8_t block[4096], other[4096];

static enum zh_bench_verify_result check(const void *b, uint32_t len, uint64_t off, uint64_t want,
					 enum zh_bench_verify_kind kind)
{
	uint64_t got;

	return zh_bench_verify_check(b, len, off, want, kind, NULL, &got);
}

Test(bench_verify, filled_block_checks_good_for_its_write_or_any)
{
	for (unsigned k = 0; k < HDR_KINDS; k++) {
		uint64_t got = 0;

		zh_bench_verify_fill(block, sizeof(block), 8192, 7, k, NULL);
		cr_assert_eq(zh_bench_verify_check(block, sizeof(block), 8192, 7, k, NULL, &got),
			     ZH_BENCH_VERIFY_OK, "%s", zh_bench_verify_kind_name(k));
		cr_assert_eq(got, 7);
		cr_assert_eq(check(block, sizeof(block), 8192, 0, k), ZH_BENCH_VERIFY_OK,
			     "0: any write");
	}
}

Test(bench_verify, each_kind_of_damage_is_named)
{
	for (unsigned k = 0; k < HDR_KINDS; k++) {
		const char *name = zh_bench_verify_kind_name(k);

		zh_bench_verify_fill(block, sizeof(block), 8192, 7, k, NULL);
		cr_assert_eq(check(block, sizeof(block), 8192, 8, k), ZH_BENCH_VERIFY_STALE, "%s",
			     name);
		cr_assert_eq(check(block, sizeof(block), 4096, 7, k), ZH_BENCH_VERIFY_BAD_OFFSET);
		cr_assert_eq(check(block, 2048, 8192, 7, k), ZH_BENCH_VERIFY_BAD_LENGTH);
		cr_assert_eq(check(block, sizeof(block), 8192, 7, (k + 1) % HDR_KINDS),
			     ZH_BENCH_VERIFY_BAD_KIND, "%s", name);
		block[100] ^= 1;
		/* meta guards the header only, as fio's: payload damage passes. */
		cr_assert_eq(check(block, sizeof(block), 8192, 7, k),
			     k == ZH_BENCH_VERIFY_META ? ZH_BENCH_VERIFY_OK
						       : ZH_BENCH_VERIFY_BAD_CRC,
			     "%s", name);
		memset(block, 0, sizeof(block));
		cr_assert_eq(check(block, sizeof(block), 8192, 7, k), ZH_BENCH_VERIFY_BAD_MAGIC);
	}
	cr_assert_str_eq(zh_bench_verify_result_name(ZH_BENCH_VERIFY_STALE), "stale");
	cr_assert_str_eq(zh_bench_verify_result_name(ZH_BENCH_VERIFY_BAD_OFFSET), "misdirected");
	cr_assert_str_eq(zh_bench_verify_result_name(ZH_BENCH_VERIFY_BAD_KIND), "other kind");
}

/* The checksum closes the block and covers the header and the payload before it. */
Test(bench_verify, the_checksum_is_the_librarys_over_the_rest_of_the_block)
{
	uint8_t want[64];
	uint32_t crc;

	zh_bench_verify_fill(block, sizeof(block), 0, 1, ZH_BENCH_VERIFY_CRC32C, NULL);
	crc = zh_codec_crc32c(block, sizeof(block) - 4);
	cr_assert_eq(memcmp(block + sizeof(block) - 4, &crc, 4), 0);
	zh_bench_verify_fill(block, sizeof(block), 0, 1, ZH_BENCH_VERIFY_MD5, NULL);
	MD5(block, sizeof(block) - 16, want);
	cr_assert_eq(memcmp(block + sizeof(block) - 16, want, 16), 0);
	zh_bench_verify_fill(block, sizeof(block), 0, 1, ZH_BENCH_VERIFY_SHA256, NULL);
	SHA256(block, sizeof(block) - 32, want);
	cr_assert_eq(memcmp(block + sizeof(block) - 32, want, 32), 0);
	zh_bench_verify_fill(block, sizeof(block), 0, 1, ZH_BENCH_VERIFY_XXHASH, NULL);
	crc = XXH32(block, sizeof(block) - 4, 1); /* fio's seed */
	cr_assert_eq(memcmp(block + sizeof(block) - 4, &crc, 4), 0);
}

/* The payload changes with every write, so half of a newer write over an older one fails. */
Test(bench_verify, a_torn_write_fails_the_checksum_although_its_header_is_new)
{
	for (unsigned k = 0; k < ZH_BENCH_VERIFY_META; k++) {
		zh_bench_verify_fill(block, sizeof(block), 0, 1, k, NULL);
		zh_bench_verify_fill(other, sizeof(other), 0, 2, k, NULL);
		cr_assert_neq(memcmp(block + 64, other + 64, 1024), 0);
		memcpy(other + 2048, block + 2048, 1024);
		cr_assert_eq(check(other, sizeof(other), 0, 2, k), ZH_BENCH_VERIFY_BAD_CRC, "%s",
			     zh_bench_verify_kind_name(k));
	}
}

/* Block sizes that are not a multiple of 8 (a buffered bs=2300) fill and check too. */
Test(bench_verify, odd_block_sizes_and_the_smallest_block_of_each_kind)
{
	zh_bench_verify_fill(block, 2300, 2300, 3, ZH_BENCH_VERIFY_CRC64, NULL);
	cr_assert_eq(check(block, 2300, 2300, 3, ZH_BENCH_VERIFY_CRC64), ZH_BENCH_VERIFY_OK);
	block[2299] ^= 0x80;
	cr_assert_eq(check(block, 2300, 2300, 3, ZH_BENCH_VERIFY_CRC64), ZH_BENCH_VERIFY_BAD_CRC);
	for (unsigned k = 0; k < HDR_KINDS; k++) {
		uint32_t min = zh_bench_verify_min_block(k);

		cr_assert_geq(min, ZH_BENCH_VERIFY_MIN_BLOCK);
		zh_bench_verify_fill(block, min, 0, 1, k, NULL);
		cr_assert_eq(check(block, min, 0, 1, k), ZH_BENCH_VERIFY_OK, "%s at %u",
			     zh_bench_verify_kind_name(k), min);
	}
	cr_assert_eq(zh_bench_verify_min_block(ZH_BENCH_VERIFY_CRC32C), 64);
	cr_assert_eq(zh_bench_verify_min_block(ZH_BENCH_VERIFY_SHA512), 128);
}

Test(bench_verify, kinds_by_fio_name)
{
	for (unsigned k = 0; k < ZH_BENCH_VERIFY_KINDS; k++)
		cr_assert_eq(zh_bench_verify_kind_parse(zh_bench_verify_kind_name(k)), (int)k);
	cr_assert_eq(zh_bench_verify_kind_parse("crc32c-intel"), ZH_BENCH_VERIFY_CRC32C);
	cr_assert_eq(zh_bench_verify_kind_parse("crc7"), -EINVAL);
	cr_assert_eq(zh_bench_verify_kind_parse("xxhash"), ZH_BENCH_VERIFY_XXHASH);
	cr_assert_eq(zh_bench_verify_kind_parse("sha3-256"), -EINVAL);
}

static struct zh_bench_pattern pattern_of(const char *text)
{
	struct zh_bench_pattern p;
	const char *why;

	cr_assert_eq(zh_bench_pattern_parse(&p, text, &why), 0, "%s: %s", text, why);
	return p;
}

/* verify=pattern: the block is the pattern alone; with %o it also names the block's offset. */
Test(bench_verify, pattern_blocks_hold_the_pattern_alone)
{
	struct zh_bench_pattern p = pattern_of("0xdeadbeef"), at = pattern_of("%o\"zh\"");
	uint64_t got = 9;
	uint64_t off;

	zh_bench_verify_fill(block, sizeof(block), 8192, 7, ZH_BENCH_VERIFY_PATTERN, &p);
	for (size_t i = 0; i < sizeof(block); i += 4)
		cr_assert(block[i] == 0xde && block[i + 1] == 0xad && block[i + 2] == 0xbe &&
			  block[i + 3] == 0xef);
	cr_assert_eq(
	    zh_bench_verify_check(block, sizeof(block), 8192, 7, ZH_BENCH_VERIFY_PATTERN, &p, &got),
	    ZH_BENCH_VERIFY_OK);
	cr_assert_eq(got, 0, "no header, no write number");
	cr_assert_eq(
	    zh_bench_verify_check(block, sizeof(block), 4096, 3, ZH_BENCH_VERIFY_PATTERN, &p, &got),
	    ZH_BENCH_VERIFY_OK, "without %%o any offset passes, as in fio");
	block[4095] ^= 1;
	cr_assert_eq(
	    zh_bench_verify_check(block, sizeof(block), 8192, 7, ZH_BENCH_VERIFY_PATTERN, &p, &got),
	    ZH_BENCH_VERIFY_BAD_PATTERN);
	cr_assert_str_eq(zh_bench_verify_result_name(ZH_BENCH_VERIFY_BAD_PATTERN),
			 "pattern mismatch");

	zh_bench_verify_fill(block, sizeof(block), 8192, 7, ZH_BENCH_VERIFY_PATTERN, &at);
	memcpy(&off, block + 4080, sizeof(off));
	cr_assert_eq(off, 8192, "the 409th repetition names the offset too");
	cr_assert_eq(zh_bench_verify_check(block, sizeof(block), 8192, 0, ZH_BENCH_VERIFY_PATTERN,
					   &at, &got),
		     ZH_BENCH_VERIFY_OK);
	cr_assert_eq(zh_bench_verify_check(block, sizeof(block), 4096, 0, ZH_BENCH_VERIFY_PATTERN,
					   &at, &got),
		     ZH_BENCH_VERIFY_BAD_PATTERN, "%%o tells a misdirected block");
}

/* A checksum kind with verify_pattern: the payload is the pattern, checked with the header. */
Test(bench_verify, a_pattern_under_a_checksum_is_the_payload)
{
	struct zh_bench_pattern p = pattern_of("\"abc\""), q = pattern_of("\"abd\"");
	uint64_t got;

	zh_bench_verify_fill(block, sizeof(block), 0, 5, ZH_BENCH_VERIFY_CRC32C, &p);
	cr_assert(
	    zh_bench_pattern_matches(&p, 0, block, ZH_BENCH_VERIFY_HDR_BYTES, sizeof(block) - 4),
	    "the payload, at the pattern's phase from the block's start");
	cr_assert_eq(block[33], "abc"[33 % 3]);
	cr_assert_eq(
	    zh_bench_verify_check(block, sizeof(block), 0, 5, ZH_BENCH_VERIFY_CRC32C, &p, &got),
	    ZH_BENCH_VERIFY_OK);
	cr_assert_eq(got, 5);
	cr_assert_eq(
	    zh_bench_verify_check(block, sizeof(block), 0, 5, ZH_BENCH_VERIFY_CRC32C, &q, &got),
	    ZH_BENCH_VERIFY_BAD_PATTERN, "another job's pattern");
	block[200] ^= 4;
	cr_assert_eq(
	    zh_bench_verify_check(block, sizeof(block), 0, 5, ZH_BENCH_VERIFY_CRC32C, &p, &got),
	    ZH_BENCH_VERIFY_BAD_CRC);
}

/* verify_interval: each piece has its own header and checksum; the pattern runs over the block. */
Test(bench_verify, every_interval_is_checked_on_its_own)
{
	struct zh_bench_pattern p = pattern_of("0x0102030405");
	uint64_t got, off;

	zh_bench_verify_fill_every(block, sizeof(block), 512, 65536, 9, ZH_BENCH_VERIFY_CRC32C,
				   NULL);
	for (uint32_t at = 0; at < sizeof(block); at += 512) {
		cr_assert_eq(check(block + at, 512, 65536 + at, 9, ZH_BENCH_VERIFY_CRC32C),
			     ZH_BENCH_VERIFY_OK, "piece at %u", at);
		memcpy(&off, block + at + 16, sizeof(off));
		cr_assert_eq(off, 65536 + at, "the piece's own offset");
	}
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 512, 65536, 9,
						 ZH_BENCH_VERIFY_CRC32C, NULL, &got),
		     ZH_BENCH_VERIFY_OK);
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 4096, 65536, 9,
						 ZH_BENCH_VERIFY_CRC32C, NULL, &got),
		     ZH_BENCH_VERIFY_BAD_LENGTH, "read with another interval");
	block[3 * 512 + 200] ^= 1;
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 512, 65536, 9,
						 ZH_BENCH_VERIFY_CRC32C, NULL, &got),
		     ZH_BENCH_VERIFY_BAD_CRC);

	zh_bench_verify_fill_every(block, sizeof(block), 1024, 0, 4, ZH_BENCH_VERIFY_MD5, &p);
	cr_assert_eq(block[1024 + 40], (uint8_t)(1 + (1024 + 40) % 5), "the block's phase");
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 1024, 0, 4,
						 ZH_BENCH_VERIFY_MD5, &p, &got),
		     ZH_BENCH_VERIFY_OK);
	cr_assert_eq(got, 4);
	block[2048 + 100] ^= 1;
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 1024, 0, 4,
						 ZH_BENCH_VERIFY_MD5, &p, &got),
		     ZH_BENCH_VERIFY_BAD_CRC);
}

/*
 * A block whose verify_interval pieces come from two writes is torn, also to a job that reads
 * another's blocks (want_seq 0): each piece was checked on its own and such a block passed.
 */
Test(bench_verify, pieces_of_two_writes_are_a_torn_block_to_any_reader)
{
	uint8_t newer[sizeof(block)];
	uint64_t got;

	zh_bench_verify_fill_every(block, sizeof(block), 1024, 0, 4, ZH_BENCH_VERIFY_CRC32C, NULL);
	zh_bench_verify_fill_every(newer, sizeof(newer), 1024, 0, 5, ZH_BENCH_VERIFY_CRC32C, NULL);
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 1024, 0, 0,
						 ZH_BENCH_VERIFY_CRC32C, NULL, &got),
		     ZH_BENCH_VERIFY_OK, "one write's pieces");
	memcpy(block + 2048, newer + 2048, 1024);
	cr_assert_eq(zh_bench_verify_check_every(block, sizeof(block), 1024, 0, 0,
						 ZH_BENCH_VERIFY_CRC32C, NULL, &got),
		     ZH_BENCH_VERIFY_STALE);
	cr_assert_eq(got, 5, "the piece that differs names its write");
}
