/* SPDX-License-Identifier: MIT */
/*
 * Private to codec/: the per-core context behind struct zh_codec, and the helpers its files
 * share (erasure-code tables and decode-matrix cache in ec.c, header layout in hdr.c).
 */
#ifndef ZH_CODEC_INTERNAL_H
#define ZH_CODEC_INTERNAL_H

#include <stdbool.h>
#include <time.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "codec/codec.h"

/* Compression must save at least 1/32 of the chunk (probe and result) to be kept. */
#define ZH_CODEC_SAVING_SHIFT 5

/* One cached decode: which k shards were read and which were rebuilt from them. */
struct zh__codec_decode_entry {
	uint32_t used;	  /* the k survivors, lowest-numbered first */
	uint32_t rebuild; /* the shards produced */
	bool valid;
	uint8_t *tables; /* ec_init_tables() output: 32 * k * popcount(rebuild) bytes */
};

struct zh_codec {
	struct zh_codec_opts opts;
	unsigned k, m;
	uint32_t shard_bytes_max;
	uint8_t *encode_matrix; /* (k + m) x k, Cauchy; identity on top */
	uint8_t *encode_tables; /* 32 * k * m */
	struct zh__codec_decode_entry *decode_cache;
	unsigned decode_next;		       /* round-robin victim */
	uint8_t *rebuild[ZH_CODEC_SHARDS_MAX]; /* m shard buffers for degraded decodes */
	uint8_t *scratch;		       /* data_bytes_max: decrypted payload, probe sample */
	ZSTD_CCtx *cctx;
	ZSTD_CCtx *probe_cctx;
	ZSTD_DCtx *dctx;
	EVP_CIPHER *aes_gcm; /* fetched once: EVP_aes_256_gcm() is looked up again on every init */
	EVP_CIPHER_CTX *cipher;
	struct IMB_MGR *mb; /* multi-buffer SHA-256 for leaf hashes (leaf.c) */
	struct zh_codec_stats stats;
};

static inline uint64_t zh__codec_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Bits 0..n-1: shard sets are masks with bit i for shard i (data first, then parity). */
static inline uint32_t zh__codec_mask(unsigned n)
{
	return (uint32_t)((1ull << n) - 1);
}

/* ec.c */
int zh__codec_ec_init(struct zh_codec *c);
void zh__codec_ec_fini(struct zh_codec *c);

/* leaf.c */
int zh__codec_leaf_init(struct zh_codec *c);
void zh__codec_leaf_fini(struct zh_codec *c);

/* hdr.c: the 16 bytes that GCM authenticates as associated data (magic to stored length). */
#define ZH_CODEC_AAD_BYTES 16
void zh__codec_hdr_aad(const struct zh_codec_hdr *hdr, uint8_t out[ZH_CODEC_AAD_BYTES]);
int zh__codec_hdr_check(const struct zh_codec_hdr *hdr);

#endif /* ZH_CODEC_INTERNAL_H */
