/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench write-buffer contents: random runs and zero runs, chunk by chunk. The random
 * bytes come from xorshift64, which no compressor can shrink; the zeros compress to nearly
 * nothing, so a chunk stores about its random part.
 */
#include "bench_data.h"

#include <string.h>

#include "numa/zh_platform.h"

void zh_bench_data_random(uint8_t *p, size_t len, uint64_t *x)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v;

		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		v = *x;
		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

void zh_bench_data_fill(const struct zh_bench_data *d, uint8_t *p, size_t len, uint64_t *rng)
{
	ZH_ASSERT(d->chunk_bytes > 0 && d->compress_pct <= 100);
	ZH_ASSERT(*rng != 0);
	for (size_t at = 0; at < len; at += d->chunk_bytes) {
		size_t chunk = len - at < d->chunk_bytes ? len - at : d->chunk_bytes;
		size_t random = chunk * (100 - d->compress_pct) / 100;

		zh_bench_data_random(p + at, random, rng);
		memset(p + at + random, 0, chunk - random);
	}
}
