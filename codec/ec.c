/* SPDX-License-Identifier: MIT */
/*
 * Reed-Solomon erasure coding over GF(2^8) with ISA-L: the Cauchy encode matrix and its tables
 * (built once per codec), encoding, and reconstruction through a cache of decode tables.
 *
 * Design notes:
 * 1. The encode matrix is ISA-L's gf_gen_cauchy1_matrix(): identity on the k data rows, a
 *    Cauchy matrix below. Every k x k submatrix of it is invertible, so any k surviving shards
 *    rebuild the rest, for every k + m <= 32 (a Vandermonde matrix does not promise that).
 * 2. A reconstruction is named by two masks: the k shards read (always the lowest-numbered k of
 *    those present, so the same loss pattern always reads the same shards) and the shards
 *    rebuilt. Its tables (invert the survivors' rows, multiply in the parity rows, expand with
 *    ec_init_tables) cost about k^3 GF operations; cached, a degraded read pays a lookup of a
 *    few dozen compares instead. The cache is a fixed array with round-robin replacement:
 *    a failing device makes one pattern hot, so recency beyond that buys nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/erasure_code.h>

#include "codec/codec_internal.h"

/* ISA-L's tables hold 32 bytes per matrix coefficient. */
#define EC_TABLE_BYTES_PER_COEF 32

int zh__codec_ec_init(struct zh_codec *c)
{
	size_t rows = (size_t)c->k + c->m;
	size_t table_bytes = (size_t)EC_TABLE_BYTES_PER_COEF * c->k * c->m;

	c->encode_matrix = calloc(rows * c->k, 1);
	c->encode_tables = calloc(table_bytes > 0 ? table_bytes : 1, 1);
	c->decode_cache = calloc(c->opts.decode_cache_entries, sizeof(*c->decode_cache));
	if (c->encode_matrix == NULL || c->encode_tables == NULL || c->decode_cache == NULL)
		return -ENOMEM;
	gf_gen_cauchy1_matrix(c->encode_matrix, (int)rows, (int)c->k);
	if (c->m > 0)
		ec_init_tables((int)c->k, (int)c->m, c->encode_matrix + (size_t)c->k * c->k,
			       c->encode_tables);
	/* A reconstruction rebuilds at most m shards: that bounds every cached table. */
	for (unsigned i = 0; i < c->opts.decode_cache_entries; i++) {
		c->decode_cache[i].tables = malloc(table_bytes > 0 ? table_bytes : 1);
		if (c->decode_cache[i].tables == NULL)
			return -ENOMEM;
	}
	return 0;
}

void zh__codec_ec_fini(struct zh_codec *c)
{
	if (c->decode_cache != NULL) {
		for (unsigned i = 0; i < c->opts.decode_cache_entries; i++)
			free(c->decode_cache[i].tables);
	}
	free(c->decode_cache);
	free(c->encode_tables);
	free(c->encode_matrix);
}

void zh_codec_ec_encode(struct zh_codec *c, uint32_t shard_bytes, const uint8_t *const data[],
			uint8_t *const parity[])
{
	ZH_ASSERT(c != NULL);
	ZH_ASSERT(shard_bytes <= c->shard_bytes_max);
	if (c->m == 0 || shard_bytes == 0)
		return;
	/* ISA-L takes non-const arrays but only reads the data shards. */
	ec_encode_data((int)shard_bytes, (int)c->k, (int)c->m, c->encode_tables,
		       (unsigned char **)data, (unsigned char **)parity);
}

/* The lowest-numbered k shards of `present`; see design note 2. */
static uint32_t survivors_pick(uint32_t present, unsigned k)
{
	uint32_t used = 0;

	for (unsigned n = 0; n < k; n++) {
		uint32_t low = present & -present;

		used |= low;
		present &= ~low;
	}
	return used;
}

/* Rows of the matrix that maps the `used` shards to the `rebuild` shards, one per rebuilt shard. */
static void decode_rows(const struct zh_codec *c, uint32_t used, uint32_t rebuild, uint8_t *rows)
{
	uint8_t sub[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	uint8_t inv[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	unsigned k = c->k, r = 0, out = 0;

	for (unsigned s = 0; s < c->k + c->m; s++) {
		if (used & (1u << s))
			memcpy(sub + (size_t)k * r++, c->encode_matrix + (size_t)k * s, k);
	}
	ZH_ASSERT(r == k);
	/* Cannot fail: every k x k submatrix of the Cauchy matrix is invertible (note 1). */
	ZH_ASSERT(gf_invert_matrix(sub, inv, (int)k) == 0);
	for (unsigned s = 0; s < c->k + c->m; s++) {
		uint8_t *row = rows + (size_t)k * out;

		if (!(rebuild & (1u << s)))
			continue;
		out++;
		if (s < k) {
			memcpy(row, inv + (size_t)k * s, k);
			continue;
		}
		/* A parity shard: its encode row times the inverse. */
		for (unsigned j = 0; j < k; j++) {
			uint8_t acc = 0;

			for (unsigned i = 0; i < k; i++)
				acc ^= gf_mul(c->encode_matrix[(size_t)k * s + i],
					      inv[(size_t)k * i + j]);
			row[j] = acc;
		}
	}
}

static const uint8_t *decode_tables(struct zh_codec *c, uint32_t used, uint32_t rebuild)
{
	uint8_t rows[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	struct zh__codec_decode_entry *e;

	for (unsigned i = 0; i < c->opts.decode_cache_entries; i++) {
		e = &c->decode_cache[i];
		if (e->valid && e->used == used && e->rebuild == rebuild) {
			c->stats.decode_cache_hits++;
			return e->tables;
		}
	}
	c->stats.decode_cache_misses++;
	e = &c->decode_cache[c->decode_next];
	c->decode_next = (c->decode_next + 1) % c->opts.decode_cache_entries;
	decode_rows(c, used, rebuild, rows);
	ec_init_tables((int)c->k, __builtin_popcount(rebuild), rows, e->tables);
	e->used = used;
	e->rebuild = rebuild;
	e->valid = true;
	return e->tables;
}

int zh_codec_ec_reconstruct(struct zh_codec *c, uint32_t shard_bytes, const uint8_t *const shards[],
			    uint32_t present, uint8_t *const out[], uint32_t rebuild)
{
	const uint8_t *in[ZH_CODEC_SHARDS_MAX];
	uint8_t *dst[ZH_CODEC_SHARDS_MAX];
	uint32_t all = zh__codec_mask(c->k + c->m);
	uint32_t used;
	unsigned n_in = 0, n_out = 0;

	ZH_ASSERT(shard_bytes <= c->shard_bytes_max);
	if ((rebuild & present) != 0 || (rebuild & ~all) != 0 || (present & ~all) != 0)
		return -EINVAL;
	if ((unsigned)__builtin_popcount(present) < c->k)
		return -EIO;
	if (rebuild == 0 || shard_bytes == 0)
		return 0;
	/* k present and disjoint from rebuild leaves at most m to rebuild: the tables' bound. */
	ZH_ASSERT((unsigned)__builtin_popcount(rebuild) <= c->m);
	used = survivors_pick(present, c->k);
	for (unsigned s = 0; s < c->k + c->m; s++) {
		if (used & (1u << s))
			in[n_in++] = shards[s];
		if (rebuild & (1u << s))
			dst[n_out++] = out[s];
	}
	ec_encode_data((int)shard_bytes, (int)c->k, (int)n_out,
		       (unsigned char *)decode_tables(c, used, rebuild), (unsigned char **)in, dst);
	return 0;
}
