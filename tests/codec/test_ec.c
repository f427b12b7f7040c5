/* SPDX-License-Identifier: MIT */
/*
 * test_ec.c - erasure coding: the codec's parity equals ISA-L's reference C implementation (the
 * fallback on a CPU without SIMD), and every shard comes back from any k survivors: every loss
 * pattern of up to m shards for 4+2, a large random sample for 8+4 and 10+4. More than m losses
 * is -EIO; decode tables are cached.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/erasure_code.h>

#include "codec/codec.h"

#define SHARD_BYTES 4160 /* a multiple of 64 that is not a power of two */

static struct zh_codec *codec;
static uint8_t *shard[ZH_CODEC_SHARDS_MAX];
static uint8_t *spare[ZH_CODEC_SHARDS_MAX];
static unsigned k, m;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void setup_km(unsigned data, unsigned parity)
{
	struct zh_codec_opts o;

	zh_codec_opts_default(&o);
	o.ec_k = data;
	o.ec_m = parity;
	o.chunk_max_bytes = SHARD_BYTES * data;
	o.decode_cache_entries = 8;
	cr_assert_eq(zh_codec_create(&o, &codec), 0);
	k = data;
	m = parity;
	for (unsigned i = 0; i < k + m; i++) {
		shard[i] = malloc(SHARD_BYTES);
		spare[i] = malloc(SHARD_BYTES);
		cr_assert(shard[i] != NULL && spare[i] != NULL);
	}
	for (unsigned i = 0; i < k; i++) {
		for (unsigned b = 0; b < SHARD_BYTES; b++)
			shard[i][b] = (uint8_t)rnd();
	}
	zh_codec_ec_encode(codec, SHARD_BYTES, (const uint8_t *const *)shard, shard + k);
}

static void teardown(void)
{
	for (unsigned i = 0; i < k + m; i++) {
		free(shard[i]);
		free(spare[i]);
	}
	zh_codec_destroy(codec);
}

TestSuite(codec_ec, .fini = teardown);

/* Lose the shards in `lost`, rebuild them into spares, compare with the originals. */
static void check_pattern(uint32_t lost)
{
	uint32_t all = (uint32_t)((1ull << (k + m)) - 1);
	const uint8_t *in[ZH_CODEC_SHARDS_MAX];
	uint8_t *out[ZH_CODEC_SHARDS_MAX] = {0};

	for (unsigned i = 0; i < k + m; i++) {
		in[i] = (lost & (1u << i)) ? NULL : shard[i];
		if (lost & (1u << i)) {
			memset(spare[i], 0xa5, SHARD_BYTES);
			out[i] = spare[i];
		}
	}
	cr_assert_eq(zh_codec_ec_reconstruct(codec, SHARD_BYTES, in, all & ~lost, out, lost), 0,
		     "pattern %#x", lost);
	for (unsigned i = 0; i < k + m; i++) {
		if (lost & (1u << i))
			cr_assert_arr_eq(spare[i], shard[i], SHARD_BYTES, "pattern %#x shard %u",
					 lost, i);
	}
}

Test(codec_ec, parity_matches_isal_reference_c)
{
	uint8_t matrix[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	uint8_t tables[32 * ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];

	setup_km(8, 4);
	gf_gen_cauchy1_matrix(matrix, (int)(k + m), (int)k);
	ec_init_tables((int)k, (int)m, matrix + k * k, tables);
	ec_encode_data_base(SHARD_BYTES, (int)k, (int)m, tables, shard, spare);
	for (unsigned i = 0; i < m; i++)
		cr_assert_arr_eq(spare[i], shard[k + i], SHARD_BYTES, "parity %u", i);
}

Test(codec_ec, every_pattern_of_up_to_m_losses_4_2)
{
	unsigned patterns = 0;

	setup_km(4, 2);
	for (uint32_t lost = 1; lost < (1u << 6); lost++) {
		if (__builtin_popcount(lost) > 2)
			continue;
		check_pattern(lost);
		patterns++;
	}
	cr_assert_eq(patterns, 6 + 15); /* C(6,1) + C(6,2) */
}

static uint32_t random_pattern(unsigned n_lost)
{
	uint32_t lost = 0;

	while ((unsigned)__builtin_popcount(lost) < n_lost)
		lost |= 1u << (rnd() % (k + m));
	return lost;
}

Test(codec_ec, random_patterns_8_4)
{
	setup_km(8, 4);
	for (unsigned i = 0; i < 400; i++)
		check_pattern(random_pattern(1 + i % 4));
}

Test(codec_ec, random_patterns_10_4)
{
	setup_km(10, 4);
	for (unsigned i = 0; i < 400; i++)
		check_pattern(random_pattern(1 + i % 4));
}

Test(codec_ec, more_than_m_losses_is_eio_and_touches_nothing)
{
	const uint8_t *in[ZH_CODEC_SHARDS_MAX];
	uint8_t *out[ZH_CODEC_SHARDS_MAX] = {0};

	setup_km(4, 2);
	for (unsigned i = 0; i < 6; i++)
		in[i] = shard[i];
	memset(spare[0], 0x5a, SHARD_BYTES);
	out[0] = spare[0];
	/* Shards 0, 1 and 2 lost: only 3 of the 4 needed remain. */
	cr_assert_eq(zh_codec_ec_reconstruct(codec, SHARD_BYTES, in, 0x38, out, 0x1), -EIO);
	for (unsigned b = 0; b < SHARD_BYTES; b++)
		cr_assert_eq(spare[0][b], 0x5a);
}

Test(codec_ec, bad_masks_are_einval)
{
	const uint8_t *in[ZH_CODEC_SHARDS_MAX] = {0};
	uint8_t *out[ZH_CODEC_SHARDS_MAX] = {0};

	setup_km(4, 2);
	cr_assert_eq(zh_codec_ec_reconstruct(codec, SHARD_BYTES, in, 0x3f, out, 0x1), -EINVAL);
	cr_assert_eq(zh_codec_ec_reconstruct(codec, SHARD_BYTES, in, 0x3e, out, 0x40), -EINVAL);
}

Test(codec_ec, decode_tables_are_cached)
{
	struct zh_codec_stats st;

	setup_km(8, 4);
	check_pattern(0x3);
	check_pattern(0x3);
	check_pattern(0x3);
	zh_codec_stats_get(codec, &st);
	cr_assert_eq(st.decode_cache_misses, 1);
	cr_assert_eq(st.decode_cache_hits, 2);
	/* More patterns than entries: the cache turns over and still decodes correctly. */
	for (unsigned i = 0; i < 40; i++)
		check_pattern(random_pattern(1 + i % 4));
	zh_codec_stats_get(codec, &st);
	cr_assert_gt(st.decode_cache_misses, 8);
}
