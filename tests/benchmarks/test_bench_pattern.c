/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data patterns: fio's pattern grammar gives the bytes fio's documentation lists
 * for its examples (lib/pattern.c), bad patterns are refused with a reason and leave the
 * pattern as it was, and blocks repeat the pattern with the block's offset pasted at %o.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "benchmarks/bench_pattern.h"

static struct zh_bench_pattern p;
static const char *why;

static void assert_bytes(const char *text, const uint8_t *want, uint32_t n)
{
	cr_assert_eq(zh_bench_pattern_parse(&p, text, &why), 0, "%s: %s", text, why);
	cr_assert_eq(p.len, n, "%s: %u bytes", text, p.len);
	cr_assert_eq(memcmp(p.bytes, want, n), 0, "%s", text);
}

/* The examples in fio's lib/pattern.c, and the hex rules around them. */
Test(bench_pattern, fios_examples)
{
	assert_bytes("\"abcd\"", (const uint8_t[]){0x61, 0x62, 0x63, 0x64}, 4);
	assert_bytes("-1024", (const uint8_t[]){0x00, 0xfc, 0xff, 0xff}, 4);
	assert_bytes("66", (const uint8_t[]){0x42}, 1);
	assert_bytes("0xFF0X1", (const uint8_t[]){0xff, 0x01}, 2);
	assert_bytes("\"123\"0xFFeeCC", (const uint8_t[]){0x31, 0x32, 0x33, 0xff, 0xee, 0xcc}, 6);
	assert_bytes(
	    "-100xab\"1\"%o\"2\"",
	    (const uint8_t[]){0xf6, 0xff, 0xff, 0xff, 0xab, 0x31, 0, 0, 0, 0, 0, 0, 0, 0, 0x32},
	    15);
	cr_assert(p.offset_count == 1 && p.offset_at[0] == 6);
	assert_bytes("0xaa555aa5", (const uint8_t[]){0xaa, 0x55, 0x5a, 0xa5}, 4);
	assert_bytes("0xabc", (const uint8_t[]){0x0a, 0xbc}, 2);
	assert_bytes("0", (const uint8_t[]){0x00}, 1);
	assert_bytes("1024", (const uint8_t[]){0x00, 0x04}, 2);
	assert_bytes("2147483647", (const uint8_t[]){0xff, 0xff, 0xff, 0x7f}, 4);
	assert_bytes("-2147483648", (const uint8_t[]){0x00, 0x00, 0x00, 0x80}, 4);
	assert_bytes("%o0xdeadbeef%o", (const uint8_t[]){0,    0,    0, 0, 0, 0, 0, 0, 0xde, 0xad,
							 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0,    0},
		     20);
	cr_assert(p.offset_count == 2 && p.offset_at[0] == 0 && p.offset_at[1] == 12);
}

Test(bench_pattern, bad_patterns_are_refused_and_change_nothing)
{
	static const char *const bad[][2] = {
	    {"", "an empty pattern"},
	    {"\"abc", "needs its closing quote"},
	    {"\"\"", "an empty \"\" string"},
	    {"%x", "%o (the block's offset) is the only format"},
	    {"0x", "0x needs hex digits"},
	    {"0xzz", "0x needs hex digits"},
	    {"2147483648", "a decimal from -2147483648"},
	    {"-2147483649", "a decimal from -2147483648"},
	    {"99999999999999999999999", "a decimal from -2147483648"},
	    {"'/etc/passwd'", "from a file"},
	    {"0xaa 0xbb", "expected \"text\", 0x hex bytes"},
	    {"-", "expected \"text\", 0x hex bytes"},
	    {"abc", "expected \"text\", 0x hex bytes"},
	};
	char big[1200] = "0x";

	cr_assert_eq(zh_bench_pattern_parse(&p, "0x01", &why), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(zh_bench_pattern_parse(&p, bad[i][0], &why), -EINVAL, "%s", bad[i][0]);
		cr_assert_not_null(strstr(why, bad[i][1]), "%s: %s", bad[i][0], why);
		cr_assert(p.len == 1 && p.bytes[0] == 1, "a refused pattern changes nothing");
	}
	memset(big + 2, 'a', 1026);
	cr_assert_eq(zh_bench_pattern_parse(&p, big, &why), -EINVAL, "513 bytes");
	cr_assert_not_null(strstr(why, "at most 512 bytes"), "%s", why);
	big[2 + 1024] = '\0';
	cr_assert_eq(zh_bench_pattern_parse(&p, big, &why), 0, "512 bytes: %s", why);
	cr_assert_eq(p.len, 512);
}

/* A block repeats the pattern from its first byte, each repetition with the offset at %o. */
Test(bench_pattern, blocks_repeat_the_pattern_with_their_offset)
{
	uint8_t block[100];
	uint64_t off;

	cr_assert_eq(zh_bench_pattern_parse(&p, "0x010203", &why), 0);
	zh_bench_pattern_fill(&p, 0, block, 10);
	cr_assert_eq(memcmp(block, (const uint8_t[]){1, 2, 3, 1, 2, 3, 1, 2, 3, 1}, 10), 0);
	cr_assert(zh_bench_pattern_matches(&p, 0, block, 4, 10), "from the middle, at its phase");
	block[7] = 9;
	cr_assert(!zh_bench_pattern_matches(&p, 0, block, 0, 10));
	cr_assert(zh_bench_pattern_matches(&p, 0, block, 0, 7), "the range before the change");

	cr_assert_eq(zh_bench_pattern_parse(&p, "\"<\"%o", &why), 0);
	zh_bench_pattern_fill(&p, 0x1122334455667788ull, block, sizeof(block));
	for (int rep = 0; rep < 11; rep++) {
		cr_assert_eq(block[rep * 9], '<');
		memcpy(&off, block + rep * 9 + 1, sizeof(off));
		cr_assert_eq(off, 0x1122334455667788ull, "repetition %d", rep);
	}
	cr_assert(zh_bench_pattern_matches(&p, 0x1122334455667788ull, block, 0, sizeof(block)));
	cr_assert(!zh_bench_pattern_matches(&p, 0x1122334455667789ull, block, 0, sizeof(block)));
	zh_bench_pattern_fill(&p, 0x0102030405060708ull, block, 5);
	cr_assert_eq(memcmp(block, (const uint8_t[]){'<', 8, 7, 6, 5}, 5), 0,
		     "a block shorter than the pattern takes its start");
}
