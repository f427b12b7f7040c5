/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data verification: the block header, the payload generator, the checksums and
 * the check. The payload changes with every write (seeded by offset and write number), so a
 * torn write that mixes an old and a new version fails the checksum even where the header
 * survived. The checksum sits at the block's end and covers everything before it, header
 * included, in one run; the CRCs are ISA-L's, xxhash is libxxhash's XXH32 (fio's xxhash),
 * the digests OpenSSL's one-shot calls (no context to allocate per block).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5() and SHA*(): one-shot, no EVP context per block */

#include "bench_verify.h"

#include <isa-l/crc.h>
#include <isa-l/crc64.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <string.h>
#include <xxhash.h>

#include "bench_data.h"
#include "codec/codec.h"

/* "ZHVF" little-endian. */
#define VERIFY_MAGIC 0x46564853u
/* fio seeds its XXH32 with 1. */
#define VERIFY_XXH32_SEED 1

struct verify_hdr {
	uint32_t magic;
	uint32_t len;
	uint16_t kind;
	uint16_t reserved16;
	uint32_t reserved32;
	uint64_t offset;
	uint64_t seq;
};

_Static_assert(sizeof(struct verify_hdr) == ZH_BENCH_VERIFY_HDR_BYTES, "header layout");

/* \p kind's checksum of \p n bytes at \p p, in little-endian order for the CRCs. */
static void checksum(enum zh_bench_verify_kind kind, const uint8_t *p, size_t n, uint8_t *out)
{
	uint64_t crc = 0;

	switch (kind) {
	case ZH_BENCH_VERIFY_CRC32C:
		crc = zh_codec_crc32c(p, n);
		break;
	case ZH_BENCH_VERIFY_CRC32:
		crc = crc32_gzip_refl(0, p, n);
		break;
	case ZH_BENCH_VERIFY_CRC16:
		crc = crc16_t10dif(0, p, n);
		break;
	case ZH_BENCH_VERIFY_CRC64:
		crc = crc64_ecma_refl(0, p, n);
		break;
	case ZH_BENCH_VERIFY_XXHASH:
		crc = XXH32(p, n, VERIFY_XXH32_SEED);
		break;
	case ZH_BENCH_VERIFY_MD5:
		MD5(p, n, out);
		return;
	case ZH_BENCH_VERIFY_SHA1:
		SHA1(p, n, out);
		return;
	case ZH_BENCH_VERIFY_SHA224:
		SHA224(p, n, out);
		return;
	case ZH_BENCH_VERIFY_SHA256:
		SHA256(p, n, out);
		return;
	case ZH_BENCH_VERIFY_SHA384:
		SHA384(p, n, out);
		return;
	case ZH_BENCH_VERIFY_SHA512:
		SHA512(p, n, out);
		return;
	case ZH_BENCH_VERIFY_META:
	case ZH_BENCH_VERIFY_PATTERN:
	case ZH_BENCH_VERIFY_KINDS:
		return;
	}
	memcpy(out, &crc, zh_bench_verify_digest_bytes(kind)); /* little-endian: the low bytes */
}

/* A piece's header at its start and its checksum at its end, over all before it. */
static void stamp(uint8_t *b, uint32_t len, uint64_t offset, uint64_t seq,
		  enum zh_bench_verify_kind kind)
{
	uint32_t body = len - zh_bench_verify_digest_bytes(kind);
	struct verify_hdr h = {.magic = VERIFY_MAGIC,
			       .len = len,
			       .kind = (uint16_t)kind,
			       .offset = offset,
			       .seq = seq};

	memcpy(b, &h, sizeof(h));
	checksum(kind, b, body, b + body);
}

void zh_bench_verify_fill_every(void *block, uint32_t len, uint32_t interval, uint64_t offset,
				uint64_t seq, enum zh_bench_verify_kind kind,
				const struct zh_bench_pattern *pattern)
{
	uint8_t *b = block;
	/* A seed of (offset, seq), so every write's payload differs; never zero. */
	uint64_t x = ((offset * 0x9e3779b97f4a7c15ull) ^ (seq * 0xbf58476d1ce4e5b9ull)) | 1;

	ZH_ASSERT(kind < ZH_BENCH_VERIFY_KINDS && interval >= zh_bench_verify_min_block(kind));
	ZH_ASSERT(interval > 0 && len % interval == 0);
	ZH_ASSERT(kind != ZH_BENCH_VERIFY_PATTERN || (pattern != NULL && interval == len));
	if (pattern != NULL)
		zh_bench_pattern_fill(pattern, offset, b, len);
	else
		zh_bench_data_random(b, len, &x);
	if (kind == ZH_BENCH_VERIFY_PATTERN)
		return;
	for (uint32_t at = 0; at < len; at += interval)
		stamp(b + at, interval, offset + at, seq, kind);
}

void zh_bench_verify_fill(void *block, uint32_t len, uint64_t offset, uint64_t seq,
			  enum zh_bench_verify_kind kind, const struct zh_bench_pattern *pattern)
{
	zh_bench_verify_fill_every(block, len, len, offset, seq, kind, pattern);
}

enum zh_bench_verify_result
zh_bench_verify_check_every(const void *block, uint32_t len, uint32_t interval, uint64_t offset,
			    uint64_t want_seq, enum zh_bench_verify_kind kind,
			    const struct zh_bench_pattern *pattern, uint64_t *got_seq)
{
	const uint8_t *b = block;
	uint32_t digest = zh_bench_verify_digest_bytes(kind);
	enum zh_bench_verify_result v = ZH_BENCH_VERIFY_OK;

	ZH_ASSERT(interval > 0 && len % interval == 0);
	if (kind == ZH_BENCH_VERIFY_PATTERN || interval == len)
		return zh_bench_verify_check(block, len, offset, want_seq, kind, pattern, got_seq);
	for (uint32_t at = 0; at < len && v == ZH_BENCH_VERIFY_OK; at += interval) {
		v = zh_bench_verify_check(b + at, interval, offset + at, want_seq, kind, NULL,
					  got_seq);
		/*
		 * With no write to compare with (a job reading another's blocks), the pieces must
		 * all be of the first one's write: pieces of two writes are a torn block.
		 */
		if (want_seq == 0)
			want_seq = *got_seq;
	}
	for (uint32_t at = 0; at < len && v == ZH_BENCH_VERIFY_OK && pattern != NULL;
	     at += interval) {
		if (!zh_bench_pattern_matches(pattern, offset, b, at + ZH_BENCH_VERIFY_HDR_BYTES,
					      at + interval - digest))
			v = ZH_BENCH_VERIFY_BAD_PATTERN;
	}
	return v;
}

enum zh_bench_verify_result zh_bench_verify_check(const void *block, uint32_t len, uint64_t offset,
						  uint64_t want_seq, enum zh_bench_verify_kind kind,
						  const struct zh_bench_pattern *pattern,
						  uint64_t *got_seq)
{
	const uint8_t *b = block;
	uint8_t sum[ZH_BENCH_VERIFY_DIGEST_MAX];
	uint32_t body = len - zh_bench_verify_digest_bytes(kind);
	struct verify_hdr h;

	ZH_ASSERT(kind < ZH_BENCH_VERIFY_KINDS && len >= zh_bench_verify_min_block(kind));
	ZH_ASSERT(kind != ZH_BENCH_VERIFY_PATTERN || pattern != NULL);
	*got_seq = 0;
	if (kind == ZH_BENCH_VERIFY_PATTERN)
		return zh_bench_pattern_matches(pattern, offset, b, 0, len)
			   ? ZH_BENCH_VERIFY_OK
			   : ZH_BENCH_VERIFY_BAD_PATTERN;
	memcpy(&h, block, sizeof(h));
	if (h.magic != VERIFY_MAGIC)
		return ZH_BENCH_VERIFY_BAD_MAGIC;
	if (h.kind != kind)
		return ZH_BENCH_VERIFY_BAD_KIND;
	if (h.len != len)
		return ZH_BENCH_VERIFY_BAD_LENGTH;
	checksum(kind, b, body, sum);
	if (memcmp(sum, b + body, zh_bench_verify_digest_bytes(kind)) != 0)
		return ZH_BENCH_VERIFY_BAD_CRC;
	if (pattern != NULL && !zh_bench_pattern_matches(pattern, offset, b, sizeof(h), body))
		return ZH_BENCH_VERIFY_BAD_PATTERN;
	*got_seq = h.seq;
	if (h.offset != offset)
		return ZH_BENCH_VERIFY_BAD_OFFSET;
	if (want_seq != 0 && h.seq != want_seq)
		return ZH_BENCH_VERIFY_STALE;
	return ZH_BENCH_VERIFY_OK;
}

const char *zh_bench_verify_result_name(enum zh_bench_verify_result r)
{
	switch (r) {
	case ZH_BENCH_VERIFY_OK:
		return "ok";
	case ZH_BENCH_VERIFY_BAD_MAGIC:
		return "bad magic";
	case ZH_BENCH_VERIFY_BAD_LENGTH:
		return "bad length";
	case ZH_BENCH_VERIFY_BAD_OFFSET:
		return "misdirected";
	case ZH_BENCH_VERIFY_BAD_CRC:
		return "crc mismatch";
	case ZH_BENCH_VERIFY_STALE:
		return "stale";
	case ZH_BENCH_VERIFY_BAD_KIND:
		return "other kind";
	case ZH_BENCH_VERIFY_BAD_PATTERN:
		return "pattern mismatch";
	}
	return "invalid";
}
