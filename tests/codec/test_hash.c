/* SPDX-License-Identifier: MIT */
/*
 * test_hash.c - checksums and hashes: crc32c and SHA-256 against their published test vectors,
 * the tree hash (order, length and chunking all change it; the same object always gives the
 * same hash), and the hex form with its parser's refusals.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

Test(codec_hash, crc32c_check_value)
{
	/* The CRC-32C "check" value (RFC 3720 / the CRC catalogue). */
	cr_assert_eq(zh_codec_crc32c("123456789", 9), 0xe3069283u);
	cr_assert_eq(zh_codec_crc32c("", 0), 0);
}

Test(codec_hash, sha256_vector)
{
	struct zh_codec *c;
	struct zh_codec_opts o;
	uint8_t h[ZH_CODEC_HASH_BYTES];
	char hex[ZH_CODEC_HASH_HEX_LEN + 1];

	zh_codec_opts_default(&o);
	cr_assert_eq(zh_codec_create(&o, &c), 0);
	zh_codec_sha256(c, "abc", 3, h);
	zh_codec_hash_hex(h, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	zh_codec_destroy(c);
}

static void tree_of(struct zh_codec_tree *t, uint32_t chunk, const uint8_t (*leaves)[32],
		    const uint32_t *lens, unsigned n, uint8_t out[32])
{
	zh_codec_tree_reset(t, chunk);
	for (unsigned i = 0; i < n; i++)
		zh_codec_tree_add(t, leaves[i], lens[i]);
	zh_codec_tree_final(t, out);
}

/* The leaf hash as docs/format.md defines it, built from plain SHA-256 calls. */
static void leaf_by_the_book(const uint8_t *buf, size_t len, uint8_t out[32])
{
	size_t seg = ZH_CODEC_LEAF_SEGMENT_BYTES, nseg = (len + seg - 1) / seg;
	size_t msg_len = 12 + 4 + 32 * nseg + 4;
	uint8_t *msg = malloc(msg_len), *p = msg;

	cr_assert_not_null(msg);
	memcpy(p, "zhtp-leaf-v1", 12);
	p += 12;
	for (unsigned i = 0; i < 4; i++)
		*p++ = (uint8_t)(seg >> (8 * i));
	for (size_t at = 0; at < len; at += seg, p += 32)
		zh_codec_sha256(NULL, buf + at, len - at < seg ? len - at : seg, p);
	for (unsigned i = 0; i < 4; i++)
		*p++ = (uint8_t)(len >> (8 * i));
	zh_codec_sha256(NULL, msg, msg_len, out);
	free(msg);
}

Test(codec_hash, leaf_hash_lanes_match_the_definition)
{
	static const size_t lens[] = {
	    0,	      1,       31, 32767, 32768, 32769, 16 * 32768, 16 * 32768 + 1, (1u << 20) - 1,
	    1u << 20, 3u << 20};
	struct zh_codec_opts o;
	struct zh_codec *c;
	uint8_t *buf = malloc(3u << 20);
	uint8_t want[32], lanes[32], serial[32], other[32];

	cr_assert_not_null(buf);
	for (size_t i = 0; i < (3u << 20); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	zh_codec_opts_default(&o);
	o.chunk_max_bytes = 4u << 20;
	cr_assert_eq(zh_codec_create(&o, &c), 0);
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		leaf_by_the_book(buf, lens[i], want);
		zh_codec_leaf_hash(c, buf, lens[i], lanes);
		zh_codec_leaf_hash(NULL, buf, lens[i], serial);
		cr_assert_arr_eq(lanes, want, 32, "multi-buffer leaf of %zu bytes", lens[i]);
		cr_assert_arr_eq(serial, want, 32, "serial leaf of %zu bytes", lens[i]);
	}
	/* Not plain SHA-256, and a changed byte in the last segment changes it. */
	zh_codec_sha256(NULL, buf, 3u << 20, other);
	cr_assert_arr_neq(other, want, 32);
	buf[(3u << 20) - 1] ^= 1;
	zh_codec_leaf_hash(c, buf, 3u << 20, other);
	cr_assert_arr_neq(other, want, 32);
	zh_codec_destroy(c);
	free(buf);
}

Test(codec_hash, tree_hash_depends_on_order_lengths_and_chunking)
{
	struct zh_codec_tree *t;
	uint8_t leaves[3][32], a[32], b[32];
	uint32_t lens[3] = {1024, 1024, 100};

	cr_assert_eq(zh_codec_tree_create(&t), 0);
	for (unsigned i = 0; i < 3; i++)
		memset(leaves[i], 'a' + (int)i, 32);
	tree_of(t, 1024, leaves, lens, 3, a);
	tree_of(t, 1024, leaves, lens, 3, b);
	cr_assert_arr_eq(a, b, 32, "the same object hashes the same after reset");
	memcpy(leaves[0], leaves[1], 32);
	tree_of(t, 1024, leaves, lens, 3, b);
	cr_assert_neq(memcmp(a, b, 32), 0);
	memset(leaves[0], 'a', 32);
	lens[2] = 99;
	tree_of(t, 1024, leaves, lens, 3, b);
	cr_assert_neq(memcmp(a, b, 32), 0, "the length is part of the hash");
	tree_of(t, 1024, leaves + 2, lens + 2, 1, a);
	tree_of(t, 2048, leaves + 2, lens + 2, 1, b);
	cr_assert_neq(memcmp(a, b, 32), 0, "the chunk size is part of the hash");
	tree_of(t, 1024, leaves, lens, 0, a);
	tree_of(t, 2048, leaves, lens, 0, b);
	cr_assert_neq(memcmp(a, b, 32), 0, "an empty object still names its chunk size");
	zh_codec_tree_destroy(t);
}

Test(codec_hash, hex_round_trip_and_refusals)
{
	uint8_t h[32], back[32];
	char hex[65];

	for (unsigned i = 0; i < 32; i++)
		h[i] = (uint8_t)(i * 37);
	zh_codec_hash_hex(h, hex);
	cr_assert_eq(strlen(hex), 64);
	cr_assert_eq(zh_codec_hash_parse(hex, back), 0);
	cr_assert_arr_eq(h, back, 32);
	char upper[65];

	for (unsigned i = 0; i < sizeof(upper); i++)
		upper[i] = (char)toupper((unsigned char)hex[i]);
	memset(back, 0, 32);
	cr_assert_eq(zh_codec_hash_parse(upper, back), 0, "upper case is accepted");
	cr_assert_arr_eq(h, back, 32, "and read as the same digits");
	memset(back, 0x11, 32);
	hex[5] = 'g';
	cr_assert_eq(zh_codec_hash_parse(hex, back), -EINVAL);
	cr_assert_eq(back[0], 0x11, "a refused parse writes nothing");
	cr_assert_eq(zh_codec_hash_parse("abcd", back), -EINVAL);
	hex[5] = 'a';
	char longer[70];
	snprintf(longer, sizeof(longer), "%s00", hex);
	cr_assert_eq(zh_codec_hash_parse(longer, back), -EINVAL);
}

Test(codec_hash, tree_refuses_a_chunk_after_a_short_one, .signal = SIGABRT)
{
	struct zh_codec_tree *t;
	uint8_t leaf[32] = {0};

	cr_assert_eq(zh_codec_tree_create(&t), 0);
	zh_codec_tree_reset(t, 1024);
	zh_codec_tree_add(t, leaf, 10);
	zh_codec_tree_add(t, leaf, 1024);
}

Test(codec_hash, simd_description_names_every_library)
{
	char line[256];

	cr_assert_gt(zh_codec_simd_describe(line, sizeof(line)), 0);
	cr_assert(strstr(line, "ec=") != NULL && strstr(line, "crc32c=") != NULL);
	cr_assert(strstr(line, "sha256=") != NULL && strstr(line, "aes-gcm=") != NULL);
}
