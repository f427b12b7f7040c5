/* SPDX-License-Identifier: MIT */
/*
 * Checksums and content hashes: crc32c through ISA-L, SHA-256 through OpenSSL (its SHA-256
 * block function uses the SHA extensions where the CPU has them), the object tree hash, and hex
 * forms of hashes.
 *
 * Why OpenSSL's low-level SHA256_* calls, deprecated since 3.0, and not EVP: in OpenSSL 3.0
 * every EVP_DigestInit frees and allocates the provider's context (2 heap calls per hash,
 * caught by tests/codec/test_alloc.c), and the codec allocates nothing per call. The low-level
 * state lives in the caller's memory and runs the same assembly. Move to EVP when the packaged
 * OpenSSL can re-initialize a digest without allocating.
 *
 * Why a tree hash (docs/format.md): one SHA-256 stream runs at ~1.4-1.8 GB/s per core here,
 * slower than the devices, and it is inherently sequential. Hashing each chunk on its own and
 * then hashing the list of chunk hashes lets the chunks of one object hash on several reactors;
 * the final pass reads 32 bytes per chunk.
 */
#include <errno.h>
#include <string.h>

#include <isa-l/crc.h>
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init and friends: see the file comment */
#include <openssl/sha.h>

#include "codec/codec_internal.h"

#define TREE_DOMAIN	"zhtp-tree-v1"
#define TREE_DOMAIN_LEN (sizeof(TREE_DOMAIN) - 1)

struct zh_codec_tree {
	SHA256_CTX sha;
	uint32_t chunk_bytes;
	uint64_t object_bytes;
	uint64_t chunks;
	bool short_chunk_seen; /* only the last chunk may be shorter than chunk_bytes */
};

uint32_t zh_codec_crc32c(const void *buf, size_t len)
{
	/* ISA-L's crc32_iscsi() neither pre- nor post-inverts: do both for the standard CRC-32C. */
	ZH_ASSERT(len <= (size_t)INT32_MAX);
	return ~crc32_iscsi((unsigned char *)buf, (int)len, ~0u);
}

void zh_codec_sha256(struct zh_codec *c, const void *buf, size_t len,
		     uint8_t out[ZH_CODEC_HASH_BYTES])
{
	SHA256_CTX sha;

	(void)c;
	ZH_ASSERT(SHA256_Init(&sha) == 1);
	ZH_ASSERT(SHA256_Update(&sha, buf, len) == 1);
	ZH_ASSERT(SHA256_Final(out, &sha) == 1);
}

int zh_codec_tree_create(struct zh_codec_tree **out)
{
	struct zh_codec_tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	*out = t;
	return 0;
}

void zh_codec_tree_destroy(struct zh_codec_tree *t)
{
	free(t);
}

void zh_codec_tree_reset(struct zh_codec_tree *t, uint32_t chunk_bytes)
{
	uint8_t len[4];

	ZH_ASSERT(chunk_bytes > 0);
	t->chunk_bytes = chunk_bytes;
	t->object_bytes = 0;
	t->chunks = 0;
	t->short_chunk_seen = false;
	zh_le_put(len, chunk_bytes, sizeof(len));
	ZH_ASSERT(SHA256_Init(&t->sha) == 1);
	ZH_ASSERT(SHA256_Update(&t->sha, TREE_DOMAIN, TREE_DOMAIN_LEN) == 1);
	ZH_ASSERT(SHA256_Update(&t->sha, len, sizeof(len)) == 1);
}

void zh_codec_tree_add(struct zh_codec_tree *t, const uint8_t chunk_hash[ZH_CODEC_HASH_BYTES],
		       uint32_t chunk_raw_bytes)
{
	/* Chunks are cut at fixed offsets: a short one ends the object. */
	ZH_ASSERT(!t->short_chunk_seen);
	ZH_ASSERT(chunk_raw_bytes > 0 && chunk_raw_bytes <= t->chunk_bytes);
	t->short_chunk_seen = chunk_raw_bytes < t->chunk_bytes;
	t->object_bytes += chunk_raw_bytes;
	t->chunks++;
	ZH_ASSERT(SHA256_Update(&t->sha, chunk_hash, ZH_CODEC_HASH_BYTES) == 1);
}

void zh_codec_tree_final(struct zh_codec_tree *t, uint8_t out[ZH_CODEC_HASH_BYTES])
{
	uint8_t tail[16];

	zh_le_put(tail, t->object_bytes, 8);
	zh_le_put(tail + 8, t->chunks, 8);
	ZH_ASSERT(SHA256_Update(&t->sha, tail, sizeof(tail)) == 1);
	ZH_ASSERT(SHA256_Final(out, &t->sha) == 1);
}

void zh_codec_hash_hex(const uint8_t hash[ZH_CODEC_HASH_BYTES], char out[ZH_CODEC_HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < ZH_CODEC_HASH_BYTES; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 0xf];
	}
	out[ZH_CODEC_HASH_HEX_LEN] = '\0';
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int zh_codec_hash_parse(const char *hex, uint8_t out[ZH_CODEC_HASH_BYTES])
{
	uint8_t tmp[ZH_CODEC_HASH_BYTES];

	for (unsigned i = 0; i < ZH_CODEC_HASH_BYTES; i++) {
		int hi = hex_digit(hex[2 * i]);
		int lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);

		if (lo < 0)
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[ZH_CODEC_HASH_HEX_LEN] != '\0')
		return -EINVAL;
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}
