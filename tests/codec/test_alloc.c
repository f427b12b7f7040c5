/* SPDX-License-Identifier: MIT */
/*
 * test_alloc.c - the codec allocates nothing per call (STYLE.md section 4): after
 * zh_codec_create(), encoding and decoding chunks (compressible or not, encrypted or not,
 * degraded or not) and the tree hash of an object make no call to malloc, calloc, realloc or
 * free. This binary interposes those four and counts the calls between two marks; under
 * AddressSanitizer, which owns the allocator, the test is skipped (the counting build is the
 * normal one).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

static volatile bool counting;
static volatile unsigned long heap_calls;

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#else
#define COUNTING 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

void *malloc(size_t size)
{
	heap_calls += counting;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	heap_calls += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	heap_calls += counting;
	return __libc_realloc(p, size);
}

void free(void *p)
{
	heap_calls += counting && p != NULL;
	__libc_free(p);
}
#endif

#define CHUNK (1u << 20)

Test(codec_alloc, no_heap_calls_per_chunk)
{
	static const struct zh_codec_key key = {{9}};
	static const uint8_t nonce[ZH_CODEC_NONCE_BYTES] = {1};
	struct zh_codec_opts o;
	struct zh_codec *c;
	struct zh_codec_tree *tree;
	struct zh_codec_encoded enc;
	uint8_t *raw = malloc(CHUNK), *out = malloc(CHUNK), *data, *parity[4];

	if (!COUNTING)
		cr_skip_test("AddressSanitizer owns malloc in this build");
	zh_codec_opts_default(&o);
	cr_assert_eq(zh_codec_create(&o, &c), 0);
	cr_assert_eq(zh_codec_tree_create(&tree), 0);
	data = malloc(zh_codec_data_bytes_max(c));
	for (unsigned i = 0; i < 4; i++)
		parity[i] = malloc(zh_codec_shard_bytes_max(c));
	for (size_t i = 0; i < CHUNK; i++)
		raw[i] = (uint8_t)(i % 7 == 0 ? i * 2654435761u >> 13 : 'a' + i % 13);
	counting = true;
	zh_codec_tree_reset(tree, CHUNK);
	for (unsigned round = 0; round < 8; round++) {
		bool encrypt = round & 1, degraded = round & 2;
		size_t len = round & 4 ? CHUNK : CHUNK - 4097;

		if (round == 6)
			memset(raw, 0, 64); /* keeps compressing; just different bytes */
		cr_assert_eq(zh_codec_chunk_encode(c, raw, len, encrypt ? &key : NULL,
						   encrypt ? nonce : NULL, NULL, data, parity,
						   &enc),
			     0);
		cr_assert_eq(zh_codec_chunk_decode(c, &enc.hdr, enc.shard, degraded ? 0xff0 : 0xfff,
						   encrypt ? &key : NULL, NULL, out, CHUNK, NULL),
			     (int)len);
	}
	zh_codec_tree_add(tree, enc.hash, CHUNK);
	zh_codec_tree_final(tree, enc.hash);
	counting = false;
	cr_assert_eq(heap_calls, 0, "%lu heap calls in 8 encodes and decodes", heap_calls);
	cr_assert_arr_eq(out, raw, CHUNK);
	for (unsigned i = 0; i < 4; i++)
		free(parity[i]);
	free(data);
	zh_codec_tree_destroy(tree);
	zh_codec_destroy(c);
	free(raw);
	free(out);
}
