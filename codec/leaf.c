/* SPDX-License-Identifier: MIT */
/*
 * The chunk leaf hash (docs/format.md, "Object hash"): SHA-256 over a domain tag, the segment
 * size, the SHA-256 of each 32 KiB segment of the chunk in order, and the chunk's length.
 *
 * Why segments: one SHA-256 stream is serial. Cut into segments, a chunk hashes as independent
 * streams side by side in SIMD lanes with Intel's multi-buffer library (ipsec-mb: 16 lanes of
 * AVX-512 here), 2.2x the speed of one SHA-NI stream on this CPU (327 against 731 us per MiB),
 * and SHA-256 was the largest cost of a put. The segment hashes are plain SHA-256, so a leaf
 * can also be computed without the library's manager (codec NULL: control threads, OpenSSL,
 * one segment after another) and both paths give the same bytes (tests/codec/test_hash.c).
 *
 * Why 32 KiB: ipsec-mb refuses a plain-hash job of 64 KiB or more; 32 KiB fills 16 lanes
 * with half a 1 MiB chunk, and the outer hash reads 1 KiB per MiB.
 */
#include <errno.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init and friends: see hash.c */
#include <openssl/sha.h>
/* Without this, ipsec-mb's header defines its old names (SHA1, ...) over OpenSSL's. */
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

#include "codec/codec_internal.h"

#define LEAF_DOMAIN	"zhtp-leaf-v1"
#define LEAF_DOMAIN_LEN (sizeof(LEAF_DOMAIN) - 1)
#define LEAF_BATCH	16 /* segments submitted before a flush: the widest lane count */

static void leaf_begin(SHA256_CTX *outer)
{
	uint8_t seg[4];

	zh_le_put(seg, ZH_CODEC_LEAF_SEGMENT_BYTES, sizeof(seg));
	ZH_ASSERT(SHA256_Init(outer) == 1);
	ZH_ASSERT(SHA256_Update(outer, LEAF_DOMAIN, LEAF_DOMAIN_LEN) == 1);
	ZH_ASSERT(SHA256_Update(outer, seg, sizeof(seg)) == 1);
}

static void leaf_end(SHA256_CTX *outer, size_t len, uint8_t out[ZH_CODEC_HASH_BYTES])
{
	uint8_t tail[4];

	zh_le_put(tail, len, sizeof(tail));
	ZH_ASSERT(SHA256_Update(outer, tail, sizeof(tail)) == 1);
	ZH_ASSERT(SHA256_Final(out, outer) == 1);
}

static size_t segment_len(size_t len, size_t at)
{
	return len - at < ZH_CODEC_LEAF_SEGMENT_BYTES ? len - at : ZH_CODEC_LEAF_SEGMENT_BYTES;
}

/* Up to LEAF_BATCH segments from \p at, side by side in the manager's lanes. */
static size_t batch_hash(IMB_MGR *mb, const uint8_t *buf, size_t len, size_t at,
			 uint8_t digest[LEAF_BATCH][ZH_CODEC_HASH_BYTES])
{
	unsigned n = 0;
	IMB_JOB *job;

	for (; n < LEAF_BATCH && at < len; n++, at += segment_len(len, at)) {
		job = IMB_GET_NEXT_JOB(mb);
		memset(job, 0, sizeof(*job));
		job->cipher_mode = IMB_CIPHER_NULL;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->hash_alg = IMB_AUTH_SHA_256;
		job->src = buf + at;
		job->msg_len_to_hash_in_bytes = segment_len(len, at);
		job->auth_tag_output = digest[n];
		job->auth_tag_output_len_in_bytes = ZH_CODEC_HASH_BYTES;
		for (job = IMB_SUBMIT_JOB(mb); job != NULL; job = IMB_GET_COMPLETED_JOB(mb))
			ZH_ASSERT(job->status == IMB_STATUS_COMPLETED);
	}
	while ((job = IMB_FLUSH_JOB(mb)) != NULL)
		ZH_ASSERT(job->status == IMB_STATUS_COMPLETED);
	return n;
}

void zh_codec_leaf_hash(struct zh_codec *c, const void *buf, size_t len,
			uint8_t out[ZH_CODEC_HASH_BYTES])
{
	uint8_t digest[LEAF_BATCH][ZH_CODEC_HASH_BYTES];
	SHA256_CTX outer;
	size_t at = 0;

	ZH_ASSERT(len <= UINT32_MAX);
	leaf_begin(&outer);
	while (at < len) {
		size_t n = 1;

		if (c != NULL)
			n = batch_hash(c->mb, buf, len, at, digest);
		else
			zh_codec_sha256(NULL, (const uint8_t *)buf + at, segment_len(len, at),
					digest[0]);
		for (size_t i = 0; i < n; i++, at += segment_len(len, at))
			ZH_ASSERT(SHA256_Update(&outer, digest[i], ZH_CODEC_HASH_BYTES) == 1);
	}
	leaf_end(&outer, len, out);
}

int zh__codec_leaf_init(struct zh_codec *c)
{
	c->mb = alloc_mb_mgr(0);
	if (c->mb == NULL)
		return -ENOMEM;
	/* The widest code path this CPU runs: AVX-512, AVX2, AVX or SSE (with SHA-NI there). */
	init_mb_mgr_auto(c->mb, NULL);
	return imb_get_errno(c->mb) == 0 ? 0 : -ENOTSUP;
}

void zh__codec_leaf_fini(struct zh_codec *c)
{
	if (c->mb != NULL)
		free_mb_mgr(c->mb);
}
