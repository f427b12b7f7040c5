/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench random distributions (fio's random_distribution): the generators behind zipf,
 * pareto and zoned offsets.
 *
 * Design notes:
 * 1. zipf is drawn by rejection-inversion (Hörmann and Derflinger, "Rejection-inversion to
 *    generate variates from monotone discrete distributions", 1996): O(1) per draw for any
 *    number of blocks, with a handful of exp/log calls and rarely a second try. fio instead
 *    sums the zeta series over up to 10 million terms at start-up (1-2 s) and then uses Gray's
 *    approximation, which cannot take a theta of 1; this draws the exact distribution.
 * 2. pareto is fio's formula, u^(log h / log(1 - h)) for a uniform u, so pareto:h sends a
 *    share h of the I/O to a share 1 - h of the blocks.
 * 3. The scatter of ranks over blocks is a permutation (an odd multiply and add, an xor-shift
 *    and a second multiply, all modulo the next power of two, walked until it falls inside
 *    the blocks), where fio hashes ranks modulo the block count and so lets some collide.
 * 4. normal is fio's generator: the mean of 12 uniform ranks, a bell around the middle rank
 *    with a standard deviation of a twelfth of the blocks whatever normal:DEV says, plus a
 *    uniform jitter DEV% of the blocks wide (half of them at most), halved until the rank
 *    stays inside. So DEV widens the bell's top, and normal:50 and normal:99 draw alike, as in
 *    fio 3.33.
 */
#include "benchmarks/bench_dist.h"

#include "numa/zh_platform.h"

#include <errno.h>
#include <math.h>

static uint64_t next_u64(struct zh_bench_dist_gen *g)
{
	return zh_bench_rand_next(&g->rng);
}

/* Uniform in [0, 1), 53 bits. */
static double next_unit(struct zh_bench_dist_gen *g)
{
	return (double)(next_u64(g) >> 11) * 0x1p-53;
}

/* ---- zipf by rejection-inversion (design note 1) ------------------------------------------- */

/* log1p(x) / x and expm1(x) / x, with their series where x is too small to divide by. */
static double log1p_over(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double expm1_over(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

/* h(x) = x^-s, its integral H(x) = (x^(1-s) - 1) / (1 - s) (log x when s is 1), and H's inverse. */
static double zipf_h(double s, double x)
{
	return exp(-s * log(x));
}

static double zipf_hi(double s, double x)
{
	double lx = log(x);

	return expm1_over((1.0 - s) * lx) * lx;
}

static double zipf_hi_inv(double s, double y)
{
	double t = y * (1.0 - s);

	if (t < -1.0) /* rounding past the method's bounds */
		t = -1.0;
	return exp(log1p_over(t) * y);
}

static void zipf_init(struct zh_bench_dist_gen *g, double s)
{
	g->s = s;
	g->h_x1 = zipf_hi(s, 1.5) - 1.0;
	g->h_n = zipf_hi(s, (double)g->blocks + 0.5);
	g->s_val = 2.0 - zipf_hi_inv(s, zipf_hi(s, 2.5) - zipf_h(s, 2.0));
}

/* A rank in [0, blocks), rank k with probability proportional to (k + 1)^-s. */
static uint64_t zipf_rank(struct zh_bench_dist_gen *g)
{
	for (;;) {
		double u = g->h_n + next_unit(g) * (g->h_x1 - g->h_n);
		double x = zipf_hi_inv(g->s, u);
		double k = floor(x + 0.5);

		if (k < 1.0)
			k = 1.0;
		else if (k > (double)g->blocks)
			k = (double)g->blocks;
		if (k - x <= g->s_val || u >= zipf_hi(g->s, k + 0.5) - zipf_h(g->s, k))
			return (uint64_t)k - 1;
	}
}

/* ---- pareto (design note 2) ----------------------------------------------------------------- */

static uint64_t pareto_rank(struct zh_bench_dist_gen *g)
{
	/* fio's u^pow is near 1 for most draws; counted down from 1 it makes rank 0 the hottest. */
	double x = 1.0 - pow(next_unit(g), g->pareto_pow);
	uint64_t rank = (uint64_t)(x * (double)g->blocks);

	return rank < g->blocks ? rank : g->blocks - 1;
}

/* ---- normal (design note 4) ----------------------------------------------------------------- */

#define NORMAL_DRAWS 12

static uint64_t normal_rank(struct zh_bench_dist_gen *g)
{
	uint64_t sum = 0;
	int64_t rank, jitter;

	for (unsigned i = 0; i < NORMAL_DRAWS; i++)
		sum += zh_bench_rand_below(&g->rng, g->blocks);
	rank = (int64_t)(sum / NORMAL_DRAWS);
	if (g->normal_jitter == 0)
		return (uint64_t)rank;
	jitter = (int64_t)zh_bench_rand_below(&g->rng, g->normal_jitter) -
		 (int64_t)(g->normal_jitter / 2);
	while (rank + jitter < 0 || rank + jitter >= (int64_t)g->blocks)
		jitter /= 2;
	return (uint64_t)(rank + jitter);
}

static int normal_init(struct zh_bench_dist_gen *g, double dev_pct)
{
	double width = ceil((double)g->blocks * dev_pct / 100.0);

	if (!(dev_pct >= 0.0 && dev_pct < 100.0) || g->blocks > (UINT64_MAX >> 4))
		return -EINVAL;
	g->normal_jitter = width < (double)(g->blocks / 2) ? (uint64_t)width : g->blocks / 2;
	return 0;
}

/* ---- zoned ---------------------------------------------------------------------------------- */

/* Where each zone ends: relative ranges scale to the blocks; absolute ones divide by a block. */
static int zoned_init(struct zh_bench_dist_gen *g, const struct zh_bench_dist *d,
		      uint32_t block_bytes)
{
	uint64_t access = 0, range = 0;
	bool absolute = d->kind == ZH_BENCH_DIST_ZONED_ABS;

	if (d->zone_count == 0 || d->zone_count > ZH_BENCH_ZONES_MAX)
		return -EINVAL;
	g->zone_count = d->zone_count;
	g->zone_first[0] = 0;
	for (uint32_t i = 0; i < d->zone_count; i++) {
		access += d->zone_access[i];
		if (absolute && d->zone_bytes[i] > UINT64_MAX - range)
			return -ERANGE;
		range += absolute ? d->zone_bytes[i] : d->zone_range[i];
		g->zone_upto[i] = (uint32_t)access;
		g->zone_first[i + 1] =
		    absolute
			? range / block_bytes
			: (uint64_t)((unsigned __int128)g->blocks * range / ZH_BENCH_DIST_WHOLE);
	}
	if (access != ZH_BENCH_DIST_WHOLE || (!absolute && range > ZH_BENCH_DIST_WHOLE))
		return -EINVAL;
	return g->zone_first[d->zone_count] <= g->blocks ? 0 : -ERANGE;
}

uint64_t zh_bench_dist_span_bytes(const struct zh_bench_dist *d)
{
	uint64_t span = 0;

	for (uint32_t i = 0; d->kind == ZH_BENCH_DIST_ZONED_ABS && i < d->zone_count; i++)
		span = d->zone_bytes[i] > UINT64_MAX - span ? UINT64_MAX : span + d->zone_bytes[i];
	return span;
}

/* A zone by its share of the accesses, then a block in it; a zone too small for one block
 * at this size takes the block where it starts. */
static uint64_t zoned_block(struct zh_bench_dist_gen *g)
{
	uint32_t point = (uint32_t)((next_u64(g) >> 32) * ZH_BENCH_DIST_WHOLE >> 32);
	uint32_t i = 0;
	uint64_t first, n;

	while (i + 1 < g->zone_count && point >= g->zone_upto[i])
		i++;
	first = g->zone_first[i];
	n = g->zone_first[i + 1] - first;
	if (n == 0)
		return first < g->blocks ? first : g->blocks - 1;
	return first + zh_bench_rand_below(&g->rng, n);
}

/* ---- the scatter (design note 3) ------------------------------------------------------------ */

void zh_bench_perm_init(struct zh_bench_perm *p, uint64_t n, uint64_t seed)
{
	uint64_t rng = zh_bench_rand_seed(seed);

	ZH_ASSERT(n > 0);
	*p = (struct zh_bench_perm){.n = n};
	while (p->bits < 64 && (1ull << p->bits) < n)
		p->bits++;
	p->mul = zh_bench_rand_next(&rng) | 1;
	p->add = zh_bench_rand_next(&rng);
}

static uint64_t perm_step(const struct zh_bench_perm *p, uint64_t x)
{
	uint64_t mask = p->bits == 64 ? UINT64_MAX : (1ull << p->bits) - 1;

	x = (x * p->mul + p->add) & mask;
	x ^= x >> ((p->bits + 1) / 2);
	return (x * 0x9e3779b97f4a7c15ull) & mask;
}

uint64_t zh_bench_perm_at(const struct zh_bench_perm *p, uint64_t i)
{
	uint64_t x = i;

	ZH_ASSERT(i < p->n);
	/* A permutation of [0, 2^bits) comes back into [0, n) before it can cycle back to i. */
	do {
		x = perm_step(p, x);
	} while (x >= p->n);
	return x;
}

uint64_t zh_bench_dist_place(const struct zh_bench_dist_gen *g, uint64_t rank)
{
	uint64_t x;

	ZH_ASSERT(rank < g->blocks);
	if (g->kind == ZH_BENCH_DIST_ZONED || g->kind == ZH_BENCH_DIST_ZONED_ABS ||
	    g->kind == ZH_BENCH_DIST_RANDOM)
		return rank;
	x = zh_bench_perm_at(&g->scatter, rank) + g->offset;
	return x >= g->blocks ? x - g->blocks : x;
}

int zh_bench_dist_init(struct zh_bench_dist_gen *g, const struct zh_bench_dist *d, uint64_t blocks,
		       uint32_t block_bytes, uint64_t seed)
{
	ZH_ASSERT(blocks > 0 && block_bytes > 0);
	*g = (struct zh_bench_dist_gen){.kind = d->kind, .blocks = blocks};
	g->rng = zh_bench_rand_seed(seed);
	zh_bench_perm_init(&g->scatter, blocks, next_u64(g));
	if (d->center < 0.0 || d->center >= 1.0)
		return -EINVAL;
	g->offset = (uint64_t)(d->center * (double)blocks);
	if (g->offset >= blocks)
		g->offset = blocks - 1;
	switch (d->kind) {
	case ZH_BENCH_DIST_RANDOM:
		return 0;
	case ZH_BENCH_DIST_ZIPF:
		if (!(d->param > 0.0) || !isfinite(d->param))
			return -EINVAL;
		zipf_init(g, d->param);
		return 0;
	case ZH_BENCH_DIST_PARETO:
		if (!(d->param > 0.0 && d->param < 1.0))
			return -EINVAL;
		g->pareto_pow = log(d->param) / log(1.0 - d->param);
		return 0;
	case ZH_BENCH_DIST_NORMAL:
		return normal_init(g, d->param);
	case ZH_BENCH_DIST_ZONED:
	case ZH_BENCH_DIST_ZONED_ABS:
		return zoned_init(g, d, block_bytes);
	}
	return -EINVAL;
}

uint64_t zh_bench_dist_next_rank(struct zh_bench_dist_gen *g)
{
	switch (g->kind) {
	case ZH_BENCH_DIST_RANDOM:
		break;
	case ZH_BENCH_DIST_ZIPF:
		return zipf_rank(g);
	case ZH_BENCH_DIST_PARETO:
		return pareto_rank(g);
	case ZH_BENCH_DIST_NORMAL:
		return normal_rank(g);
	case ZH_BENCH_DIST_ZONED:
	case ZH_BENCH_DIST_ZONED_ABS:
		return zoned_block(g);
	}
	return zh_bench_rand_below(&g->rng, g->blocks);
}

uint64_t zh_bench_dist_next(struct zh_bench_dist_gen *g)
{
	return zh_bench_dist_place(g, zh_bench_dist_next_rank(g));
}
