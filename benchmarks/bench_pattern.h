/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data patterns: fio's verify_pattern (and buffer_pattern) syntax and the bytes it
 * gives. A pattern is a run of pieces written back to back: "text" in double quotes, 0x hex
 * bytes in the order written (an odd leading digit is a byte of its own, as in fio),
 * a decimal from INT_MIN to INT_MAX as its little-endian bytes without the high zero bytes
 * (0 is one zero byte, negatives take four), and %o, the 8 bytes of the block's offset
 * (little-endian). A block holds the pattern repeated from its first byte, every repetition
 * with the block's offset where the pattern says %o. Pure computation; nothing here
 * allocates.
 */
#ifndef ZH_BENCH_PATTERN_H
#define ZH_BENCH_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

/* fio's MAX_PATTERN_SIZE. */
#define ZH_BENCH_PATTERN_MAX 512
/* %o takes 8 bytes, so a pattern holds at most this many. */
#define ZH_BENCH_PATTERN_OFFSETS_MAX (ZH_BENCH_PATTERN_MAX / 8)

struct zh_bench_pattern {
	uint32_t len; /* bytes in one repetition; 0: no pattern */
	uint32_t offset_count;
	uint16_t offset_at[ZH_BENCH_PATTERN_OFFSETS_MAX]; /* where each %o's 8 bytes start */
	uint8_t bytes[ZH_BENCH_PATTERN_MAX];		  /* with zeros where %o goes */
};

/**
 * Parse fio's pattern \p text into \p p.
 * \return 0, or -EINVAL with *\p why saying what is wrong (\p p is then unchanged).
 */
int zh_bench_pattern_parse(struct zh_bench_pattern *p, const char *text, const char **why);

/** Fill \p len bytes at \p dst, a block at \p offset, with \p p repeated from dst[0]. */
void zh_bench_pattern_fill(const struct zh_bench_pattern *p, uint64_t offset, uint8_t *dst,
			   uint32_t len);

/**
 * Whether bytes [\p from, \p to) of the block \p block at \p offset hold what
 * zh_bench_pattern_fill puts there.
 */
bool zh_bench_pattern_matches(const struct zh_bench_pattern *p, uint64_t offset,
			      const uint8_t *block, uint32_t from, uint32_t to);

#endif /* ZH_BENCH_PATTERN_H */
