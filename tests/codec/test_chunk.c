/* SPDX-License-Identifier: MIT */
/*
 * test_chunk.c - the chunk pipeline end to end: round trips for incompressible, compressible,
 * empty, 1-byte and odd-sized chunks, with and without encryption; corrupt and missing shards
 * (detected, rebuilt from parity, reported; more than m is -EIO); wrong keys and tampered tags or
 * ciphertext (-EBADMSG, output zeroed); each refusal of bad arguments; and codecs used from
 * two threads at once.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

#define CHUNK (1u << 20)

static struct zh_codec *codec;
static uint8_t *raw, *out, *data;
static uint8_t *parity[ZH_CODEC_SHARDS_MAX];
static const uint8_t *shards[ZH_CODEC_SHARDS_MAX];
static struct zh_codec_hdr hdr;
static uint8_t hash[ZH_CODEC_HASH_BYTES];
static const struct zh_codec_key key = {{1, 2, 3, 4, 5, 6, 7, 8}};
static const uint8_t nonce[ZH_CODEC_NONCE_BYTES] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void codec_open(unsigned k, unsigned m, int level)
{
	struct zh_codec_opts o;

	zh_codec_opts_default(&o);
	o.ec_k = k;
	o.ec_m = m;
	o.zstd_level = level;
	cr_assert_eq(zh_codec_create(&o, &codec), 0);
	data = aligned_alloc(64, zh_codec_data_bytes_max(codec));
	for (unsigned i = 0; i < m; i++)
		parity[i] = aligned_alloc(64, zh_codec_shard_bytes_max(codec));
}

static void setup(void)
{
	raw = malloc(CHUNK);
	out = malloc(CHUNK);
	cr_assert(raw != NULL && out != NULL);
	codec_open(8, 4, 3);
}

static void teardown(void)
{
	for (unsigned i = 0; i < zh_codec_m(codec); i++)
		free(parity[i]);
	free(data);
	zh_codec_destroy(codec);
	free(raw);
	free(out);
}

TestSuite(codec_chunk, .init = setup, .fini = teardown);

static void fill_random(size_t n)
{
	for (size_t i = 0; i < n; i++)
		raw[i] = (uint8_t)rnd();
}

/* Text-like bytes: words from a small vocabulary, compressible about 3-4x. */
static void fill_text(size_t n)
{
	static const char *words[] = {"object ", "shard ", "parity ", "reactor ", "chunk ",
				      "device ", "\n",	   "store ",  "hash ",	  "1234 "};

	for (size_t i = 0; i < n;) {
		const char *w = words[rnd() % 10];

		for (; *w != '\0' && i < n; w++)
			raw[i++] = (uint8_t)*w;
	}
}

static void encode(size_t n, bool encrypt)
{
	struct zh_codec_encoded e;

	cr_assert_eq(zh_codec_chunk_encode(codec, raw, n, encrypt ? &key : NULL,
					   encrypt ? nonce : NULL, NULL, data, parity, &e),
		     0);
	hdr = e.hdr;
	memcpy(hash, e.hash, sizeof(hash));
	memcpy(shards, e.shard, sizeof(shards));
	for (unsigned i = 0; i < zh_codec_m(codec); i++)
		cr_assert_eq(shards[zh_codec_k(codec) + i], parity[i]);
}

static uint32_t all_shards(void)
{
	return (uint32_t)((1ull << (zh_codec_k(codec) + zh_codec_m(codec))) - 1);
}

static void round_trip(size_t n, bool encrypt)
{
	uint32_t bad = 0xffffffff;

	encode(n, encrypt);
	memset(out, 0xee, CHUNK);
	cr_assert_eq(zh_codec_chunk_decode(codec, &hdr, shards, all_shards(), encrypt ? &key : NULL,
					   NULL, out, CHUNK, &bad),
		     (int)n, "length %zu", n);
	cr_assert_eq(bad, 0);
	cr_assert_arr_eq(out, raw, n, "length %zu", n);
}

Test(codec_chunk, incompressible_is_stored_raw)
{
	fill_random(CHUNK);
	round_trip(CHUNK, false);
	cr_assert_eq(hdr.flags, 0);
	cr_assert_eq(hdr.stored_bytes, CHUNK);
	cr_assert_eq(hdr.shard_bytes, CHUNK / 8);
}

Test(codec_chunk, plain_stored_chunk_is_not_copied)
{
	struct zh_codec_encoded e;
	size_t odd = CHUNK - 1000;

	fill_random(CHUNK);
	cr_assert_eq(zh_codec_chunk_encode(codec, raw, CHUNK, NULL, NULL, NULL, data, parity, &e),
		     0);
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(e.shard[i], raw + (size_t)i * (CHUNK / 8), "shard %u", i);
	/* A chunk that does not fill its last shard: that one is copied and padded. */
	cr_assert_eq(zh_codec_chunk_encode(codec, raw, odd, NULL, NULL, NULL, data, parity, &e), 0);
	for (unsigned i = 0; i < 7; i++)
		cr_assert_eq(e.shard[i], raw + (size_t)i * e.hdr.shard_bytes, "shard %u", i);
	cr_assert_eq(e.shard[7], data + 7 * (size_t)e.hdr.shard_bytes);
	for (size_t b = odd - 7 * (size_t)e.hdr.shard_bytes; b < e.hdr.shard_bytes; b++)
		cr_assert_eq(e.shard[7][b], 0, "padding byte %zu", b);
}

Test(codec_chunk, compressible_is_compressed)
{
	fill_text(CHUNK);
	round_trip(CHUNK, false);
	cr_assert_eq(hdr.flags, ZH_CODEC_F_COMPRESSED);
	cr_assert_lt(hdr.stored_bytes, CHUNK / 2);
}

Test(codec_chunk, empty_one_byte_and_odd_sizes)
{
	size_t sizes[] = {0, 1, 7, 63, 4095, 4097, 12345, 1000003, CHUNK - 1};

	for (unsigned e = 0; e < 2; e++) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			fill_text(sizes[i]);
			round_trip(sizes[i], e);
			fill_random(sizes[i]);
			round_trip(sizes[i], e);
		}
	}
}

Test(codec_chunk, small_chunks_and_level_zero_are_not_compressed)
{
	fill_text(4095);
	round_trip(4095, false);
	cr_assert_eq(hdr.flags, 0);
	teardown();
	setup();
	zh_codec_destroy(codec);
	codec_open(8, 4, 0);
	fill_text(CHUNK);
	round_trip(CHUNK, false);
	cr_assert_eq(hdr.flags, 0);
}

Test(codec_chunk, same_bytes_same_hash)
{
	uint8_t first[ZH_CODEC_HASH_BYTES];

	fill_text(CHUNK);
	encode(CHUNK, false);
	memcpy(first, hash, sizeof(first));
	encode(CHUNK, true);
	cr_assert_arr_eq(hash, first, sizeof(first), "the hash is of the plain chunk");
	raw[CHUNK / 2] ^= 1;
	encode(CHUNK, false);
	cr_assert_neq(memcmp(hash, first, sizeof(first)), 0);
}

/* Corrupt `count` shards (a bit each) and check the decode result and the bad-shard mask. */
static void corrupt_and_decode(unsigned count, bool encrypt, int want)
{
	uint8_t *copy[ZH_CODEC_SHARDS_MAX];
	uint32_t bad = 0, want_bad = 0;
	unsigned n = zh_codec_k(codec) + zh_codec_m(codec);

	for (unsigned i = 0; i < n; i++) {
		copy[i] = malloc(hdr.shard_bytes);
		memcpy(copy[i], shards[i], hdr.shard_bytes);
	}
	for (unsigned c = 0; c < count; c++) {
		unsigned s = (c * 5 + 1) % n;

		copy[s][rnd() % hdr.shard_bytes] ^= (uint8_t)(1u << (rnd() % 8));
		want_bad |= 1u << s;
	}
	cr_assert_eq(zh_codec_chunk_decode(codec, &hdr, (const uint8_t *const *)copy, all_shards(),
					   encrypt ? &key : NULL, NULL, out, CHUNK, &bad),
		     want);
	if (want >= 0) {
		cr_assert_arr_eq(out, raw, hdr.raw_bytes);
		/* Only shards that were read are checked: corrupt parity may go unread. */
		cr_assert_eq(bad & ~want_bad, 0);
		cr_assert_eq(bad & want_bad & 0xff, want_bad & 0xff);
	}
	for (unsigned i = 0; i < n; i++)
		free(copy[i]);
}

Test(codec_chunk, corrupt_shards_are_detected_and_rebuilt)
{
	struct zh_codec_stats st;

	fill_text(CHUNK);
	encode(CHUNK, false);
	for (unsigned count = 1; count <= 4; count++)
		corrupt_and_decode(count, false, CHUNK);
	corrupt_and_decode(5, false, -EIO);
	zh_codec_stats_get(codec, &st);
	cr_assert_geq(st.chunks_degraded, 4);
	cr_assert_geq(st.shards_bad, 4);
}

Test(codec_chunk, corrupt_shards_of_an_encrypted_chunk)
{
	fill_random(CHUNK);
	encode(CHUNK, true);
	corrupt_and_decode(4, true, CHUNK);
	corrupt_and_decode(5, true, -EIO);
}

Test(codec_chunk, missing_shards_up_to_m)
{
	uint32_t all;

	fill_random(999999);
	encode(999999, false);
	all = all_shards();
	for (uint32_t lost = 1; lost <= all; lost = lost * 3 + 1) {
		uint32_t miss = lost & all;
		int want = __builtin_popcount(miss) <= 4 ? 999999 : -EIO;

		memset(out, 0, CHUNK);
		cr_assert_eq(zh_codec_chunk_decode(codec, &hdr, shards, all & ~miss, NULL, NULL,
						   out, CHUNK, NULL),
			     want, "missing %#x", miss);
		if (want > 0)
			cr_assert_arr_eq(out, raw, 999999);
	}
}

Test(codec_chunk, wrong_key_fails_and_zeroes_the_output)
{
	struct zh_codec_key wrong = key;

	fill_text(CHUNK);
	encode(CHUNK, true);
	cr_assert_eq(hdr.flags, ZH_CODEC_F_COMPRESSED | ZH_CODEC_F_ENCRYPTED);
	wrong.bytes[31] ^= 0x80;
	memset(out, 0xee, CHUNK);
	cr_assert_eq(zh_codec_chunk_decode(codec, &hdr, shards, all_shards(), &wrong, NULL, out,
					   CHUNK, NULL),
		     -EBADMSG);
	for (size_t i = 0; i < CHUNK; i++)
		cr_assert_eq(out[i], 0, "byte %zu", i);
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &hdr, shards, all_shards(), NULL, NULL, out, CHUNK, NULL),
	    -ENOKEY);
}

Test(codec_chunk, tampered_tag_nonce_or_ciphertext_fails)
{
	struct zh_codec_hdr h;

	fill_random(100000);
	encode(100000, true);
	h = hdr;
	h.tag[0] ^= 1;
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), &key, NULL, out, CHUNK, NULL),
	    -EBADMSG);
	h = hdr;
	h.nonce[11] ^= 1;
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), &key, NULL, out, CHUNK, NULL),
	    -EBADMSG);
	/* Ciphertext changed and its shard crc updated to match: only the tag can catch it. */
	data[10] ^= 1;
	h = hdr;
	h.shard_crc[0] = zh_codec_crc32c(data, hdr.shard_bytes);
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), &key, NULL, out, CHUNK, NULL),
	    -EBADMSG);
}

/*
 * A bound chunk's tag covers its binding: it decodes with the one it was encoded with, and
 * with another (another put, another index), none, or one it never had, it fails, its output
 * zeroed. A binding needs a key, and one set in the header of a plain chunk is damage.
 */
Test(codec_chunk, a_bound_chunk_decodes_only_with_its_binding)
{
	static const uint8_t bind[ZH_CODEC_BIND_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	uint8_t other[ZH_CODEC_BIND_BYTES];
	struct zh_codec_encoded e;
	struct zh_codec_hdr h;

	fill_text(CHUNK);
	cr_assert_eq(zh_codec_chunk_encode(codec, raw, CHUNK, &key, nonce, bind, data, parity, &e),
		     0);
	cr_assert_eq(e.hdr.flags, ZH_CODEC_F_COMPRESSED | ZH_CODEC_F_ENCRYPTED | ZH_CODEC_F_BOUND);
	memcpy(shards, e.shard, sizeof(shards));
	cr_assert_eq(zh_codec_chunk_decode(codec, &e.hdr, shards, all_shards(), &key, bind, out,
					   CHUNK, NULL),
		     CHUNK);
	cr_assert_arr_eq(out, raw, CHUNK);
	memcpy(other, bind, sizeof(other));
	other[ZH_CODEC_BIND_BYTES - 1] = 1; /* the next chunk of the same put */
	memset(out, 0xee, CHUNK);
	cr_assert_eq(zh_codec_chunk_decode(codec, &e.hdr, shards, all_shards(), &key, other, out,
					   CHUNK, NULL),
		     -EBADMSG);
	for (size_t i = 0; i < CHUNK; i++)
		cr_assert_eq(out[i], 0, "byte %zu", i);
	cr_assert_eq(zh_codec_chunk_decode(codec, &e.hdr, shards, all_shards(), &key, NULL, out,
					   CHUNK, NULL),
		     -EBADMSG, "a bound chunk without its binding");
	h = e.hdr;
	h.flags &= (uint8_t)~ZH_CODEC_F_BOUND; /* the flag is under the tag too */
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), &key, NULL, out, CHUNK, NULL),
	    -EBADMSG);
	encode(CHUNK, true);
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &hdr, shards, all_shards(), &key, bind, out, CHUNK, NULL),
	    -EBADMSG, "a binding for a chunk that has none");
	cr_assert_eq(zh_codec_chunk_encode(codec, raw, 10, NULL, NULL, bind, data, parity, &e),
		     -EINVAL);
	encode(5000, false);
	h = hdr;
	h.flags |= ZH_CODEC_F_BOUND;
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), NULL, bind, out, CHUNK, NULL),
	    -EINVAL, "bound but plain");
}

Test(codec_chunk, bad_arguments)
{
	struct zh_codec_hdr h;

	struct zh_codec_encoded e;

	cr_assert_eq(
	    zh_codec_chunk_encode(codec, raw, CHUNK + 1, NULL, NULL, NULL, data, parity, &e),
	    -E2BIG);
	cr_assert_eq(zh_codec_chunk_encode(codec, raw, 10, &key, NULL, NULL, data, parity, &e),
		     -EINVAL);
	fill_random(5000);
	encode(5000, false);
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &hdr, shards, all_shards(), NULL, NULL, out, 4999, NULL),
	    -ENOSPC);
	h = hdr;
	h.ec_m = 2;
	h.shard_crc[10] = h.shard_crc[11] = 0;
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), NULL, NULL, out, CHUNK, NULL),
	    -ENOTSUP);
	h = hdr;
	h.shard_bytes += 64;
	cr_assert_eq(
	    zh_codec_chunk_decode(codec, &h, shards, all_shards(), NULL, NULL, out, CHUNK, NULL),
	    -EINVAL);
}

Test(codec_chunk, four_plus_two_round_trip)
{
	teardown();
	raw = malloc(CHUNK);
	out = malloc(CHUNK);
	codec_open(4, 2, 6);
	fill_text(CHUNK);
	round_trip(CHUNK, true);
	corrupt_and_decode(2, true, CHUNK);
	corrupt_and_decode(3, true, -EIO);
}

/* Reentrancy: codecs on different threads share nothing (hidden library state included). */
struct thread_job {
	unsigned seed;
	int failures;
};

static void *thread_encode_decode(void *arg)
{
	struct thread_job *j = arg;
	struct zh_codec_opts o;
	struct zh_codec *c;
	struct zh_codec_encoded e;
	size_t n = 300000 + j->seed * 1000;
	uint8_t *in = malloc(n), *back = malloc(n), *d, *par[4];

	zh_codec_opts_default(&o);
	if (zh_codec_create(&o, &c) != 0)
		return NULL;
	d = malloc(zh_codec_data_bytes_max(c));
	for (unsigned i = 0; i < 4; i++)
		par[i] = malloc(zh_codec_shard_bytes_max(c));
	for (unsigned round = 0; round < 20; round++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)((i * (j->seed + round)) >> (round % 3 ? 3 : 11));
		if (zh_codec_chunk_encode(c, in, n, round % 2 ? &key : NULL,
					  round % 2 ? nonce : NULL, NULL, d, par, &e) != 0 ||
		    zh_codec_chunk_decode(c, &e.hdr, e.shard, 0xffc, round % 2 ? &key : NULL, NULL,
					  back, n, NULL) != (int)n ||
		    memcmp(in, back, n) != 0)
			j->failures++;
	}
	for (unsigned i = 0; i < 4; i++)
		free(par[i]);
	free(d);
	zh_codec_destroy(c);
	free(in);
	free(back);
	return j;
}

Test(codec_chunk, codecs_on_two_threads_do_not_interfere)
{
	struct thread_job jobs[2] = {{1, 0}, {2, 0}};
	pthread_t t[2];

	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, thread_encode_decode, &jobs[i]), 0);
	for (unsigned i = 0; i < 2; i++) {
		void *ret;

		cr_assert_eq(pthread_join(t[i], &ret), 0);
		cr_assert_eq(ret, &jobs[i], "thread %u could not create its codec", i);
		cr_assert_eq(jobs[i].failures, 0, "thread %u: %d bad round trips", i,
			     jobs[i].failures);
	}
}
