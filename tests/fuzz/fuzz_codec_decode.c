/* SPDX-License-Identifier: MIT */
/*
 * fuzz_codec_decode.c - libFuzzer harness for the codec's decoder: chunk headers and shards from
 * outside (a device, the metadata store, later the network) must give a clean error, never a
 * crash, an out-of-bounds access or wrong bytes.
 *
 * Input: one mode byte, then either
 *  - (mode bit 0 clear) a packed 192-byte header and shard bytes: bit 4 re-seals the header crc
 *    so the field checks are reached, bit 1 re-computes the shard crcs so decryption and
 *    decompression see the bytes; or
 *  - (mode bit 0 set) a raw chunk that is encoded first (bit 2: encrypted and bound), then damaged
 * by (offset, xor) pairs from the rest of the input, with the same crc options; an undamaged chunk
 * must decode to exactly its bytes. A present-shard mask comes from the mode byte too. Every result
 * must be the chunk length or one of the errors zh_codec_chunk_decode() documents.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

#define FUZZ_CHUNK_MAX (64u << 10)

static struct zh_codec *codec_42, *codec_84;
static uint8_t *shard_buf[ZH_CODEC_SHARDS_MAX];
static uint8_t raw_out[FUZZ_CHUNK_MAX];
static const struct zh_codec_key key = {{0x42, 0x13}};
static const uint8_t nonce[ZH_CODEC_NONCE_BYTES] = {7};
static const uint8_t bind[ZH_CODEC_BIND_BYTES] = {9, 9};

static struct zh_codec *codec_make(unsigned k, unsigned m)
{
	struct zh_codec_opts o;
	struct zh_codec *c;

	zh_codec_opts_default(&o);
	o.ec_k = k;
	o.ec_m = m;
	o.chunk_max_bytes = FUZZ_CHUNK_MAX;
	if (zh_codec_create(&o, &c) != 0)
		abort();
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	codec_42 = codec_make(4, 2);
	codec_84 = codec_make(8, 4);
	/* The 4+2 codec has the larger shards: FUZZ_CHUNK_MAX / 4. */
	for (unsigned i = 0; i < ZH_CODEC_SHARDS_MAX; i++)
		shard_buf[i] = calloc(1, zh_codec_shard_bytes_max(codec_42));
	return 0;
}

static void check_result(int rc, const struct zh_codec_hdr *h)
{
	if (rc >= 0) {
		if ((uint32_t)rc != h->raw_bytes)
			abort();
		return;
	}
	if (rc != -EIO && rc != -EBADMSG && rc != -ENOKEY && rc != -ENOTSUP && rc != -EINVAL &&
	    rc != -ENOSPC)
		abort();
}

static void crcs_fix(struct zh_codec_hdr *h)
{
	for (unsigned i = 0; i < (unsigned)h->ec_k + h->ec_m; i++)
		h->shard_crc[i] = zh_codec_crc32c(shard_buf[i], h->shard_bytes);
}

/* Bits 5-7 of the mode pick which shards are missing: none, or one of a few patterns. */
static const uint32_t missing[8] = {0, 0x1, 0x3, 0x5, 0x30, 0x7, 0xf, 0x21};

static int decode(struct zh_codec *c, struct zh_codec_hdr *h, uint8_t mode)
{
	const uint8_t *shards[ZH_CODEC_SHARDS_MAX];

	for (unsigned i = 0; i < ZH_CODEC_SHARDS_MAX; i++)
		shards[i] = shard_buf[i];
	/* A header that says bound gets the binding: the bound path is fuzzed, not refused. */
	return zh_codec_chunk_decode(c, h, shards, ~missing[mode >> 5], (mode & 4) ? &key : NULL,
				     (h->flags & ZH_CODEC_F_BOUND) ? bind : NULL, raw_out,
				     sizeof(raw_out), NULL);
}

static int from_header(uint8_t mode, const uint8_t *data, size_t size)
{
	uint8_t packed[ZH_CODEC_HDR_BYTES];
	struct zh_codec_hdr h;
	struct zh_codec *c;
	size_t at = 0;

	if (size < ZH_CODEC_HDR_BYTES)
		return 0;
	memcpy(packed, data, sizeof(packed));
	if (mode & 16) {
		uint32_t crc = zh_codec_crc32c(packed, ZH_CODEC_HDR_BYTES - 4);

		memcpy(packed + ZH_CODEC_HDR_BYTES - 4, &crc, 4); /* little-endian host */
	}
	if (zh_codec_hdr_unpack(packed, &h) != 0)
		return 0;
	c = h.ec_k == 4 && h.ec_m == 2 ? codec_42 : codec_84;
	data += ZH_CODEC_HDR_BYTES;
	size -= ZH_CODEC_HDR_BYTES;
	for (unsigned i = 0; i < ZH_CODEC_SHARDS_MAX; i++) {
		uint32_t n = zh_codec_shard_bytes_max(codec_42);

		memset(shard_buf[i], 0, n);
		for (uint32_t b = 0; b < n && size > 0; b++, at++)
			shard_buf[i][b] = data[at % size];
	}
	if ((mode & 2) && h.shard_bytes <= zh_codec_shard_bytes_max(codec_42))
		crcs_fix(&h);
	check_result(decode(c, &h, mode), &h);
	return 0;
}

static int from_chunk(uint8_t mode, const uint8_t *data, size_t size)
{
	struct zh_codec *c = (mode & 8) ? codec_84 : codec_42;
	size_t raw_len = size / 2 < FUZZ_CHUNK_MAX ? size / 2 : FUZZ_CHUNK_MAX;
	uint8_t *parity[ZH_CODEC_SHARDS_MAX];
	static uint8_t data_shards[FUZZ_CHUNK_MAX + 64 * 8];
	struct zh_codec_encoded e;
	struct zh_codec_hdr h;
	unsigned k = zh_codec_k(c), m = zh_codec_m(c);
	uint32_t lost = missing[mode >> 5] & (uint32_t)((1ull << (k + m)) - 1);
	bool damaged = false;
	int rc;

	if (zh_codec_data_bytes_max(c) > sizeof(data_shards))
		abort();
	for (unsigned i = 0; i < m; i++)
		parity[i] = shard_buf[k + i];
	if (zh_codec_chunk_encode(c, data, raw_len, (mode & 4) ? &key : NULL,
				  (mode & 4) ? nonce : NULL, (mode & 4) ? bind : NULL, data_shards,
				  parity, &e) != 0)
		abort();
	h = e.hdr;
	for (unsigned i = 0; i < k; i++)
		memcpy(shard_buf[i], e.shard[i], h.shard_bytes);
	/* Damage: (two offset bytes, one xor byte) triples over all k + m shards. */
	for (size_t at = raw_len; at + 3 <= size && h.shard_bytes > 0; at += 3) {
		uint32_t off = ((uint32_t)data[at] << 8 | data[at + 1]) % (h.shard_bytes * (k + m));

		shard_buf[off / h.shard_bytes][off % h.shard_bytes] ^= data[at + 2];
		damaged |= data[at + 2] != 0;
	}
	if (mode & 2)
		crcs_fix(&h);
	rc = decode(c, &h, mode);
	check_result(rc, &h);
	/* Undamaged with at most m shards missing: exactly the chunk's bytes must come back. */
	if (!damaged && (unsigned)__builtin_popcount(lost) <= m &&
	    (rc < 0 || memcmp(raw_out, data, raw_len) != 0))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		return from_chunk(data[0], data + 1, size - 1);
	return from_header(data[0], data + 1, size - 1);
}
