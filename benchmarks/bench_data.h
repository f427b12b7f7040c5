/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench write-buffer contents, as fio makes them: random bytes (incompressible), zeros
 * (zero_buffers), chunks that are part random, part zeros so that the whole compresses to a
 * given percentage (buffer_compress_percentage, in buffer_compress_chunk pieces), or a pattern
 * repeated (buffer_pattern).
 */
#ifndef ZH_BENCH_DATA_H
#define ZH_BENCH_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_pattern.h"

/* fio's default buffer_compress_chunk. */
#define ZH_BENCH_COMPRESS_CHUNK_DEFAULT 512

struct zh_bench_data {
	uint32_t compress_pct;		 /* 0: all random; 100: all zeros */
	uint32_t chunk_bytes;		 /* > 0 */
	bool refill;			 /* fresh bytes for every write (fio's refill_buffers) */
	bool scramble;			 /* each write's sectors stamped (fio's scramble_buffers) */
	struct zh_bench_pattern pattern; /* buffer_pattern: len 0 for none, else no %o */
};

/** Fill \p len bytes from two xorshift64 streams named by *\p rng (non-zero; it advances). */
void zh_bench_data_random(uint8_t *p, size_t len, uint64_t *rng);

/**
 * Fill \p len bytes: with the pattern repeated when there is one; else in every chunk, the
 * first (100 - compress_pct)% random (from *\p rng, which advances), the rest zeros.
 */
void zh_bench_data_fill(const struct zh_bench_data *d, uint8_t *p, size_t len, uint64_t *rng);

/**
 * fio's scramble_buffers: stamp every 512-byte sector of a write with its byte offset (in one
 * of its eight 64-byte lines, picked by \p now_ns and the offset) and \p now_ns (at the end of
 * its first line), so that no two sectors written are alike and a device that dedupes gets no
 * free ride from a buffer reused for every write.
 */
void zh_bench_data_scramble(uint8_t *p, size_t len, uint64_t offset, uint64_t now_ns);

#endif /* ZH_BENCH_DATA_H */
