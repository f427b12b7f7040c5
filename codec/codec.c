/* SPDX-License-Identifier: MIT */
/*
 * A codec's life: options, the one allocation pass (contexts, tables, scratch), accessors,
 * statistics, and the description of the SIMD paths the libraries pick on this CPU.
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>

#include "codec/codec_internal.h"

void zh_codec_opts_default(struct zh_codec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ec_k = 8;
	o->ec_m = 4;
	o->zstd_level = 3; /* docs/benchmarks.md: level 3 against 1 and 6 on mixed data */
	o->compress_min_bytes = 4096;
	o->chunk_max_bytes = 1u << 20;
	o->decode_cache_entries = 64;
}

static int opts_check(const struct zh_codec_opts *o)
{
	if (o->ec_k == 0 || o->ec_k + o->ec_m > ZH_CODEC_SHARDS_MAX)
		return -EINVAL;
	if (o->zstd_level < 0 || o->zstd_level > ZSTD_maxCLevel())
		return -EINVAL;
	if (o->chunk_max_bytes == 0 || o->chunk_max_bytes > ZH_CODEC_CHUNK_MAX)
		return -EINVAL;
	if (o->decode_cache_entries == 0)
		return -EINVAL;
	return 0;
}

static unsigned log2_ceil(uint32_t v)
{
	unsigned l = 0;

	while ((1ull << l) < v)
		l++;
	return l;
}

/* zstd's smallest window (ZSTD_WINDOWLOG_ABSOLUTEMIN, in its experimental section). */
#define ZSTD_WINDOW_LOG_MIN 10

/* Decompression never needs a window larger than a chunk; refuse frames that ask for more. */
static int dctx_limit(struct zh_codec *c)
{
	unsigned wlog = log2_ceil(c->opts.chunk_max_bytes);

	if (wlog < ZSTD_WINDOW_LOG_MIN)
		wlog = ZSTD_WINDOW_LOG_MIN;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(c->dctx, ZSTD_d_windowLogMax, (int)wlog)))
		return -EINVAL;
	return 0;
}

static int contexts_create(struct zh_codec *c)
{
	c->cctx = ZSTD_createCCtx();
	c->probe_cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	c->aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	c->cipher = EVP_CIPHER_CTX_new();
	if (c->cctx == NULL || c->probe_cctx == NULL || c->dctx == NULL || c->cipher == NULL ||
	    c->aes_gcm == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c->cipher, c->aes_gcm, NULL, NULL, NULL, 1) != 1)
		return -ENOMEM;
	return dctx_limit(c);
}

static int buffers_create(struct zh_codec *c)
{
	size_t probe = (size_t)ZH_CODEC_PROBE_SLICES * ZH_CODEC_PROBE_SLICE_BYTES;
	size_t scratch = zh_codec_data_bytes_max(c) + probe + ZSTD_compressBound(probe);

	/* C11's aligned_alloc wants a multiple of the alignment. */
	scratch = (scratch + ZH_CODEC_SHARD_ALIGN - 1) & ~(size_t)(ZH_CODEC_SHARD_ALIGN - 1);

	c->scratch = aligned_alloc(ZH_CODEC_SHARD_ALIGN, scratch);
	if (c->scratch == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < c->m; i++) {
		c->rebuild[i] = aligned_alloc(ZH_CODEC_SHARD_ALIGN, c->shard_bytes_max > 0
									? c->shard_bytes_max
									: ZH_CODEC_SHARD_ALIGN);
		if (c->rebuild[i] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Run each path once so that zstd and OpenSSL size their internal state now, not per call. */
static void warm_up(struct zh_codec *c)
{
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	size_t n = c->opts.chunk_max_bytes;
	uint8_t *src = c->scratch, *dst = c->scratch + n / 2;

	memset(src, 'z', n / 2);
	zh_codec_leaf_hash(c, src, n / 2, hash);
	if (c->opts.zstd_level > 0)
		(void)ZSTD_compressCCtx(c->cctx, dst, n / 2, src, n / 2, c->opts.zstd_level);
	(void)ZSTD_compressCCtx(c->probe_cctx, dst, n / 2, src, n / 2, 1);
}

int zh_codec_create(const struct zh_codec_opts *o, struct zh_codec **out)
{
	struct zh_codec *c;
	int rc = opts_check(o);

	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->opts = *o;
	c->k = o->ec_k;
	c->m = o->ec_m;
	c->shard_bytes_max = zh_codec_shard_bytes(c->k, o->chunk_max_bytes);
	rc = contexts_create(c);
	if (rc == 0)
		rc = zh__codec_leaf_init(c);
	if (rc == 0)
		rc = zh__codec_ec_init(c);
	if (rc == 0)
		rc = buffers_create(c);
	if (rc < 0) {
		zh_codec_destroy(c);
		return rc;
	}
	warm_up(c);
	*out = c;
	return 0;
}

void zh_codec_destroy(struct zh_codec *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->m; i++)
		free(c->rebuild[i]);
	free(c->scratch);
	zh__codec_ec_fini(c);
	zh__codec_leaf_fini(c);
	EVP_CIPHER_CTX_free(c->cipher);
	EVP_CIPHER_free(c->aes_gcm);
	ZSTD_freeDCtx(c->dctx);
	ZSTD_freeCCtx(c->probe_cctx);
	ZSTD_freeCCtx(c->cctx);
	free(c);
}

size_t zh_codec_data_bytes_max(const struct zh_codec *c)
{
	return (size_t)c->k * c->shard_bytes_max;
}

uint32_t zh_codec_shard_bytes_max(const struct zh_codec *c)
{
	return c->shard_bytes_max;
}

unsigned zh_codec_k(const struct zh_codec *c)
{
	return c->k;
}

unsigned zh_codec_m(const struct zh_codec *c)
{
	return c->m;
}

void zh_codec_stats_get(const struct zh_codec *c, struct zh_codec_stats *out)
{
	*out = c->stats;
}

/*
 * The libraries do not say which path they took, so this applies their dispatch rules to the
 * CPU's feature flags: ISA-L 2.30's ec_encode_data picks AVX-512+GFNI, AVX-512, AVX2+GFNI, AVX2,
 * AVX, SSE, then C; its crc32c folds with VPCLMULQDQ on AVX-512, else PCLMULQDQ, else uses the
 * SSE4.2 crc32 instruction; OpenSSL 3 hashes with the SHA extensions when present and runs GCM
 * with VAES+VPCLMULQDQ on AVX-512, else AES-NI+PCLMULQDQ (its AVX2 path), else constant-time C.
 */
int zh_codec_simd_describe(char *buf, size_t len)
{
	unsigned a = 0, b1 = 0, c1 = 0, d = 0, b7 = 0, c7 = 0;

	/* Leaf 1 and 7 directly: not every compiler's __builtin_cpu_supports knows sha or
	 * vpclmulqdq. The builtin still answers for AVX levels, which need OS support too. */
	__get_cpuid(1, &a, &b1, &c1, &d);
	__get_cpuid_count(7, 0, &a, &b7, &c7, &d);
	bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
	bool avx2 = __builtin_cpu_supports("avx2");
	bool gfni = c7 & bit_GFNI;
	bool vpclmul = c7 & bit_VPCLMULQDQ;
	bool vaes = c7 & bit_VAES;
	bool sha = b7 & bit_SHA;
	bool pclmul = c1 & bit_PCLMUL;
	bool aesni = c1 & bit_AES;
	const char *ec = avx512 && gfni			    ? "avx512+gfni"
			 : avx512			    ? "avx512"
			 : avx2 && gfni			    ? "avx2+gfni"
			 : avx2				    ? "avx2"
			 : __builtin_cpu_supports("avx")    ? "avx"
			 : __builtin_cpu_supports("sse4.1") ? "sse"
							    : "c";
	const char *crc = avx512 && vpclmul		     ? "avx512+vpclmulqdq"
			  : pclmul			     ? "pclmulqdq"
			  : __builtin_cpu_supports("sse4.2") ? "sse4.2-crc32"
							     : "c";
	const char *gcm = avx512 && vaes && vpclmul ? "vaes+vpclmulqdq"
			  : aesni && pclmul	    ? "aes-ni+pclmulqdq"
						    : "c";

	/* Leaf hashes: ipsec-mb's widest lanes (its AVX-512 path also wants the BW/DQ/VL parts). */
	return snprintf(buf, len, "ec=%s crc32c=%s sha256=%s sha256-lanes=%s aes-gcm=%s", ec, crc,
			sha    ? "sha-ni"
			: avx2 ? "avx2"
			       : "c",
			avx512 ? "avx512x16"
			: avx2 ? "avx2x8"
			       : "sse",
			gcm);
}

int zh_codec_set_zstd_level(struct zh_codec *c, int level)
{
	if (level < 0 || level > ZSTD_maxCLevel())
		return -EINVAL;
	c->opts.zstd_level = level;
	return 0;
}
