/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench block sizes: what fio's bs, bsrange and bssplit options say about the size of one
 * direction's I/Os, and the draw that picks the size of each I/O as fio 3.33 does.
 *
 * A job holds one struct zh_bench_bs per direction ([0] reads, [1] writes). Most jobs have one
 * size, and the worker then never draws (its fast path); the rest draw per I/O on the slow path.
 */
#ifndef ZH_BENCH_BS_H
#define ZH_BENCH_BS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* bssplit entries per direction at most, as fio's BSSPLIT_MAX. */
#define ZH_BENCH_BSSPLIT_MAX 64
/* A bssplit share of 100%: shares are kept in millionths, so 4 decimals of a percent. */
#define ZH_BENCH_BS_SHARE_WHOLE 1000000u

/*
 * Which option set a direction's sizes. The order is fio's precedence: bssplit wins over
 * bsrange, which wins over bs, whatever order (or section) they were given in.
 */
enum zh_bench_bs_kind { ZH_BENCH_BS_ONE, ZH_BENCH_BS_RANGE, ZH_BENCH_BS_SPLIT };

struct zh_bench_bs {
	enum zh_bench_bs_kind kind;
	/* The smallest size, which is also the grain of random offsets (fio's blockalign). */
	uint32_t min_bytes;
	uint32_t max_bytes;
	/* bssplit: the sizes and their shares (millionths, adding to ZH_BENCH_BS_SHARE_WHOLE). */
	uint32_t split_count;
	uint32_t split_bytes[ZH_BENCH_BSSPLIT_MAX];
	uint32_t split_share[ZH_BENCH_BSSPLIT_MAX];
};

/** Make \p bs the one size \p bytes (bs=). */
void zh_bench_bs_one(struct zh_bench_bs *bs, uint32_t bytes);

/** Whether \p bs gives its I/Os more than one size. */
static inline bool zh_bench_bs_varies(const struct zh_bench_bs *bs)
{
	return bs->min_bytes != bs->max_bytes;
}

/**
 * The size of one I/O, from 32 uniform random bits \p r. bsrange: fio's draw, min plus a
 * uniform fraction of max, rounded down to a multiple of min and capped at max (so the
 * multiples of min from min to max, evenly when max is one). bssplit: each size with its share.
 */
uint32_t zh_bench_bs_draw(const struct zh_bench_bs *bs, uint32_t r);

/** Whether every size \p bs can draw is a multiple of \p block (direct I/O's alignment). */
bool zh_bench_bs_aligned(const struct zh_bench_bs *bs, uint32_t block);

/**
 * fio's spelling, for the JSON "job options", of the directions whose sizes came from option
 * \p kind: one value when both did and agree ("4k", "4k-16k", "4k/50:64k/50"), else
 * "READ,WRITE" with the other direction's field empty (",8k"), as fio's parser reads it.
 * \return 0; -ENOENT when neither direction's sizes came from \p kind; -ENOSPC when
 * \p value_len is too short (\p value then holds a cut string).
 */
int zh_bench_bs_format(const struct zh_bench_bs bs[2], enum zh_bench_bs_kind kind, char *value,
		       size_t value_len);

#endif /* ZH_BENCH_BS_H */
