/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench random distributions: fio's random_distribution, which blocks a random job goes
 * to. Uniform (fio's "random", the default) stays on the worker's fast path; zipf, pareto and
 * zoned draw through a generator made once per worker and direction. The job parser
 * (bench_job.c) reads the option into a struct zh_bench_dist.
 *
 * As in fio, zipf and pareto pick a rank (0 the most likely for zipf) and then scatter
 * ranks over the blocks, so the hot blocks are spread over the device rather than packed at its
 * start; here the scatter is a permutation, so every rank keeps its own block and the
 * distribution over blocks is exactly the one over ranks. normal is fio's bell (the mean of
 * twelve uniform draws) with its jitter, scattered the same way. Zoned (shares of the region)
 * and zoned_abs (lengths in bytes) use contiguous zones from the start of the region, as fio's
 * do.
 */
#ifndef ZH_BENCH_DIST_H
#define ZH_BENCH_DIST_H

#include <stdbool.h>
#include <stdint.h>

/* zoned: at most this many zones, as fio's ZONESPLIT_MAX. */
#define ZH_BENCH_ZONES_MAX 256
/* Zone shares are kept in millionths, as bssplit's. */
#define ZH_BENCH_DIST_WHOLE 1000000u

enum zh_bench_dist_kind {
	ZH_BENCH_DIST_RANDOM,	 /* uniform */
	ZH_BENCH_DIST_ZIPF,	 /* P(rank k) proportional to 1 / (k + 1)^theta */
	ZH_BENCH_DIST_PARETO,	 /* fio's: rank = n * (1 - u^(log h / log(1 - h))) */
	ZH_BENCH_DIST_NORMAL,	 /* fio's: mean of 12 uniform ranks, a uniform jitter of dev% */
	ZH_BENCH_DIST_ZONED,	 /* each zone a share of the accesses and a share of the blocks */
	ZH_BENCH_DIST_ZONED_ABS, /* each zone a share of the accesses and a length in bytes */
};

/** What the job file asked for. */
struct zh_bench_dist {
	enum zh_bench_dist_kind kind;
	double param; /* zipf theta (> 0), pareto h (0 < h < 1), normal dev% [0, 100) */
	double
	    center; /* zipf, pareto, normal: where rank 0 lands, a fraction of the blocks [0, 1) */
	uint32_t zone_count;
	uint32_t zone_access[ZH_BENCH_ZONES_MAX]; /* millionths of the accesses */
	uint32_t zone_range[ZH_BENCH_ZONES_MAX];  /* zoned: millionths of the blocks */
	uint64_t zone_bytes[ZH_BENCH_ZONES_MAX];  /* zoned_abs: bytes */
};

/**
 * xorshift64*: the benchmark's random stream (offsets, directions, sizes, distributions). A few
 * instructions, good enough low-order bits for block choice. *\p state must not be zero.
 */
static inline uint64_t zh_bench_rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/** A stream's first state from \p seed: spread by the golden ratio, never zero. */
static inline uint64_t zh_bench_rand_seed(uint64_t seed)
{
	return seed * 0x9e3779b97f4a7c15ull | 1;
}

/** Uniform in [0, \p n) by Lemire's multiply-high, without a modulo (0 when n is 0). */
static inline uint64_t zh_bench_rand_below(uint64_t *state, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)zh_bench_rand_next(state) * n) >> 64);
}

/*
 * A pseudo-random permutation of [0, n): an odd multiply and add, an xor-shift and a
 * multiply permute [0, 2^bits), and cycle walking keeps what falls in [0, n). Seeded, so a
 * job draws the same one on every run.
 */
struct zh_bench_perm {
	uint64_t n;
	unsigned bits;
	uint64_t mul, add;
};

/** Make \p p a permutation of [0, \p n) (n > 0) drawn from \p seed. */
void zh_bench_perm_init(struct zh_bench_perm *p, uint64_t n, uint64_t seed);

/** Where \p i (< n) goes: every value of [0, n) once for i = 0 .. n-1. */
uint64_t zh_bench_perm_at(const struct zh_bench_perm *p, uint64_t i);

/** A generator over \p blocks blocks, made from a struct zh_bench_dist. */
struct zh_bench_dist_gen {
	enum zh_bench_dist_kind kind;
	uint64_t blocks;
	uint64_t rng;		      /* xorshift64*, non-zero */
	uint64_t offset;	      /* center * blocks: where rank 0 lands */
	struct zh_bench_perm scatter; /* ranks over blocks */
	/* zipf (rejection-inversion): the constants of the method. */
	double s, h_x1, h_n, s_val;
	double pareto_pow;
	uint64_t normal_jitter; /* normal: the jitter's width in blocks, at most half of them */
	/* zoned, zoned_abs: cumulative access shares (millionths) and the zones' first blocks. */
	uint32_t zone_count;
	uint32_t zone_upto[ZH_BENCH_ZONES_MAX];
	uint64_t zone_first[ZH_BENCH_ZONES_MAX + 1];
};

/**
 * Make \p g draw over \p blocks (> 0) blocks of \p block_bytes (> 0) bytes as \p d says, from
 * \p seed (only zoned_abs needs the block's size).
 * \return 0; -EINVAL when \p d does not describe a distribution (a zipf theta of 1, shares
 * that do not add up), which zh_bench_job_set refuses first; -ERANGE when zoned_abs zones reach
 * past the blocks (zh_bench_dist_span_bytes, which the planner checks first).
 */
int zh_bench_dist_init(struct zh_bench_dist_gen *g, const struct zh_bench_dist *d, uint64_t blocks,
		       uint32_t block_bytes, uint64_t seed);

/** The bytes zoned_abs zones cover from the region's start (0 for the other kinds). */
uint64_t zh_bench_dist_span_bytes(const struct zh_bench_dist *d);

/** The next block, in [0, blocks). */
uint64_t zh_bench_dist_next(struct zh_bench_dist_gen *g);

/**
 * The rank behind the next draw, before the scatter and the centre move it (tests check the
 * shape of the distribution on it). zoned has no ranks: it returns the block.
 */
uint64_t zh_bench_dist_next_rank(struct zh_bench_dist_gen *g);

/** The block rank \p rank lands on (the scatter and the centre): a permutation of the blocks. */
uint64_t zh_bench_dist_place(const struct zh_bench_dist_gen *g, uint64_t rank);

#endif /* ZH_BENCH_DIST_H */
