/* SPDX-License-Identifier: MIT */
/*
 * zhtp-codec-bench: the codec against the raw library calls it makes, on the same buffers in
 * the same run (DESIGN.md section 6).
 *
 * 1. Erasure coding, 1 MiB chunks, 8+4 and 4+2: ISA-L's ec_encode_data() against
 *    zh_codec_ec_encode(), and a rebuild of m lost data shards with precomputed decode tables
 *    against zh_codec_ec_reconstruct(). Runs alternate A B B A; medians of the rounds.
 * 2. The pipeline (zh_codec_chunk_encode: hash, compress, [encrypt], lay out, encode, crc) on
 *    incompressible and on mixed real data (a corpus file, benchmarks/make-corpus.sh), plain
 *    and encrypted, per stage, against the sum of the library calls it makes, each timed alone on
 *    the same buffers: the leaf hash (ipsec-mb multi-buffer SHA-256 jobs over the 32 KiB
 *    segments, then SHA256 over their digests), ZSTD_compressCCtx (the probe, and the full
 *    compression where the pipeline kept it), AES-256-GCM, ec_encode_data, crc32c of every
 *    shard. Also the decode.
 * 3. zstd levels 1, 3 and 6 on the corpus, chunk by chunk: ratio and speed, to choose the
 *    default level.
 *
 * Usage: zhtp-codec-bench [--corpus=FILE] [--rounds=N] [--quick]
 * Output: Markdown tables, headed by the configuration (CPU paths, library versions).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <isa-l/crc.h>
#include <isa-l/erasure_code.h>
#define OPENSSL_SUPPRESS_DEPRECATED /* the same SHA256_* calls the codec makes */
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/sha.h>
#include <zstd.h>
#define NO_COMPAT_IMB_API_053 /* ipsec-mb's old names clash with OpenSSL's */
#include <intel-ipsec-mb.h>

#include "codec/codec.h"

#define CHUNK	    (1u << 20)
#define ROUNDS_MAX  64
#define PROBE_BYTES ((size_t)ZH_CODEC_PROBE_SLICES * ZH_CODEC_PROBE_SLICE_BYTES)

struct opts {
	const char *corpus;
	unsigned rounds;
	unsigned ec_iters;
	unsigned pipe_chunks;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *xalloc(size_t n)
{
	void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);

	if (p == NULL) {
		fprintf(stderr, "zhtp-codec-bench: out of memory\n");
		exit(1);
	}
	return p;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (uint8_t)seed;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- 1. erasure coding -------------------------------------------------------------------- */

struct ec_case {
	unsigned k, m;
	uint32_t shard_bytes;
	uint8_t *shard[ZH_CODEC_SHARDS_MAX]; /* k data, m parity */
	uint8_t *out[ZH_CODEC_SHARDS_MAX];   /* rebuilt, indexed by shard */
	uint8_t enc_tables[32 * ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	uint8_t dec_tables[32 * ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	struct zh_codec *codec;
};

/* Decode tables for "data shards 0..m-1 lost", built with ISA-L alone as its examples do. */
static void ec_raw_decode_tables(struct ec_case *e, const uint8_t *matrix)
{
	uint8_t sub[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	uint8_t inv[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	unsigned k = e->k;

	for (unsigned r = 0; r < k; r++)
		memcpy(sub + k * r, matrix + k * (e->m + r), k); /* survivors: shards m..m+k-1 */
	if (gf_invert_matrix(sub, inv, (int)k) != 0)
		abort();
	ec_init_tables((int)k, (int)e->m, inv, e->dec_tables); /* rows 0..m-1 of the inverse */
}

static void ec_setup(struct ec_case *e, unsigned k, unsigned m)
{
	uint8_t matrix[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	struct zh_codec_opts o;

	memset(e, 0, sizeof(*e));
	e->k = k;
	e->m = m;
	e->shard_bytes = zh_codec_shard_bytes(k, CHUNK);
	for (unsigned i = 0; i < k + m; i++) {
		e->shard[i] = xalloc(e->shard_bytes);
		e->out[i] = xalloc(e->shard_bytes);
	}
	for (unsigned i = 0; i < k; i++)
		fill_random(e->shard[i], e->shard_bytes, 0x1234 + i);
	gf_gen_cauchy1_matrix(matrix, (int)(k + m), (int)k);
	ec_init_tables((int)k, (int)m, matrix + k * k, e->enc_tables);
	ec_encode_data((int)e->shard_bytes, (int)k, (int)m, e->enc_tables, e->shard, e->shard + k);
	ec_raw_decode_tables(e, matrix);
	zh_codec_opts_default(&o);
	o.ec_k = k;
	o.ec_m = m;
	if (zh_codec_create(&o, &e->codec) != 0)
		abort();
}

enum ec_run { EC_RAW_ENCODE, EC_CODEC_ENCODE, EC_RAW_REBUILD, EC_CODEC_REBUILD };

static double ec_time(struct ec_case *e, enum ec_run which, unsigned iters)
{
	uint32_t lost = (1u << e->m) - 1;
	uint32_t present = (uint32_t)((1ull << (e->k + e->m)) - 1) & ~lost;
	uint64_t t = now_ns();

	for (unsigned i = 0; i < iters; i++) {
		switch (which) {
		case EC_RAW_ENCODE:
			ec_encode_data((int)e->shard_bytes, (int)e->k, (int)e->m, e->enc_tables,
				       e->shard, e->out + e->k);
			break;
		case EC_CODEC_ENCODE:
			zh_codec_ec_encode(e->codec, e->shard_bytes,
					   (const uint8_t *const *)e->shard, e->out + e->k);
			break;
		case EC_RAW_REBUILD:
			ec_encode_data((int)e->shard_bytes, (int)e->k, (int)e->m, e->dec_tables,
				       e->shard + e->m, e->out);
			break;
		case EC_CODEC_REBUILD:
			if (zh_codec_ec_reconstruct(e->codec, e->shard_bytes,
						    (const uint8_t *const *)e->shard, present,
						    e->out, lost) != 0)
				abort();
			break;
		}
	}
	return (double)iters * CHUNK / (double)(now_ns() - t); /* GB/s of chunk data */
}

static void ec_verify(struct ec_case *e)
{
	for (unsigned i = 0; i < e->m; i++) {
		if (memcmp(e->out[i], e->shard[i], e->shard_bytes) != 0) {
			fprintf(stderr, "zhtp-codec-bench: rebuilt shard %u differs\n", i);
			exit(1);
		}
	}
}

/* A B B A rounds of two runs; medians into *a and *b. */
static void ec_pair(struct ec_case *e, enum ec_run a, enum ec_run b, const struct opts *o,
		    double *ma, double *mb)
{
	double va[ROUNDS_MAX], vb[ROUNDS_MAX];

	ec_time(e, a, o->ec_iters / 4 + 1); /* warm caches and the decode-table cache */
	ec_time(e, b, o->ec_iters / 4 + 1);
	for (unsigned r = 0; r < o->rounds; r++) {
		if (r % 2 == 0) {
			va[r] = ec_time(e, a, o->ec_iters);
			vb[r] = ec_time(e, b, o->ec_iters);
		} else {
			vb[r] = ec_time(e, b, o->ec_iters);
			va[r] = ec_time(e, a, o->ec_iters);
		}
	}
	*ma = median(va, o->rounds);
	*mb = median(vb, o->rounds);
}

static void bench_ec(const struct opts *o)
{
	static const unsigned shapes[][2] = {{8, 4}, {4, 2}};

	printf("\n## Erasure coding, 1 MiB chunks (GB/s of chunk data per core, median of %u "
	       "rounds A B B A, %u calls each)\n\n",
	       o->rounds, o->ec_iters);
	printf("| k+m | raw ec_encode_data | codec encode | **ratio** | raw rebuild of m | "
	       "codec reconstruct of m | **ratio** |\n|---|--:|--:|--:|--:|--:|--:|\n");
	for (unsigned s = 0; s < 2; s++) {
		struct ec_case e;
		double raw_enc, codec_enc, raw_dec, codec_dec;

		ec_setup(&e, shapes[s][0], shapes[s][1]);
		ec_pair(&e, EC_RAW_ENCODE, EC_CODEC_ENCODE, o, &raw_enc, &codec_enc);
		ec_pair(&e, EC_RAW_REBUILD, EC_CODEC_REBUILD, o, &raw_dec, &codec_dec);
		ec_verify(&e);
		printf("| %u+%u | %.2f | %.2f | **%.3f** | %.2f | %.2f | **%.3f** |\n", e.k, e.m,
		       raw_enc, codec_enc, codec_enc / raw_enc, raw_dec, codec_dec,
		       codec_dec / raw_dec);
		for (unsigned i = 0; i < e.k + e.m; i++) {
			free(e.shard[i]);
			free(e.out[i]);
		}
		zh_codec_destroy(e.codec);
	}
}

/* ---- 2. the pipeline ---------------------------------------------------------------------- */

enum stage { ST_HASH, ST_PROBE, ST_COMPRESS, ST_ENCRYPT, ST_EC, ST_CRC, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"sha256",	 "zstd probe",	   "zstd compress",
						  "aes-256-gcm", "ec_encode_data", "crc32c"};

struct pipe_case {
	const uint8_t *chunks;
	unsigned n;
	bool encrypt;
	struct zh_codec *codec;
	uint8_t *data[2], *parity[2][ZH_CODEC_SHARDS_MAX];
	struct zh_codec_hdr *hdrs;
	uint8_t (*hashes)[ZH_CODEC_HASH_BYTES]; /* the codec's leaf hash of each chunk */
	struct zh_codec_encoded enc;
	uint8_t *sample; /* the probe's gathered input, per chunk */
	uint8_t *scratch;
	ZSTD_CCtx *cctx;
	EVP_CIPHER_CTX *cipher;
	IMB_MGR *mb;
	int level;
	uint8_t enc_tables[32 * ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
};

static const struct zh_codec_key bench_key = {{0x5a, 0xa5, 0x3c}};
static const uint8_t bench_nonce[ZH_CODEC_NONCE_BYTES] = {1, 2, 3};

static double pipe_codec_pass(struct pipe_case *p, struct zh_codec_stats *st)
{
	uint64_t t = now_ns();

	for (unsigned c = 0; c < p->n; c++) {
		if (zh_codec_chunk_encode(p->codec, p->chunks + (size_t)c * CHUNK, CHUNK,
					  p->encrypt ? &bench_key : NULL,
					  p->encrypt ? bench_nonce : NULL, NULL, p->data[0],
					  p->parity[0], &p->enc) != 0)
			abort();
		p->hdrs[c] = p->enc.hdr;
		memcpy(p->hashes[c], p->enc.hash, ZH_CODEC_HASH_BYTES);
	}
	t = now_ns() - t;
	if (st != NULL)
		zh_codec_stats_get(p->codec, st);
	return (double)t / p->n;
}

/* The same probe sample the codec gathers: slices spread evenly over the chunk. */
static void sample_gather(uint8_t *dst, const uint8_t *chunk)
{
	const size_t slice = ZH_CODEC_PROBE_SLICE_BYTES, n = ZH_CODEC_PROBE_SLICES;

	for (size_t i = 0; i < n; i++)
		memcpy(dst + i * slice, chunk + (CHUNK - slice) * i / (n - 1), slice);
}

static void raw_aes(struct pipe_case *p, const uint8_t *in, uint32_t n, uint8_t *out)
{
	uint8_t aad[16] = {0}, tag[16];
	int len;

	EVP_EncryptInit_ex(p->cipher, NULL, NULL, bench_key.bytes, bench_nonce);
	EVP_EncryptUpdate(p->cipher, NULL, &len, aad, sizeof(aad));
	EVP_EncryptUpdate(p->cipher, out, &len, in, (int)n);
	EVP_EncryptFinal_ex(p->cipher, out + len, &len);
	EVP_CIPHER_CTX_ctrl(p->cipher, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag);
}

/* The leaf hash as library calls: every segment as a multi-buffer job, then the outer hash. */
static void raw_leaf(IMB_MGR *mb, const uint8_t *chunk, uint8_t md[SHA256_DIGEST_LENGTH])
{
	enum { SEG = ZH_CODEC_LEAF_SEGMENT_BYTES, NSEG = CHUNK / SEG };
	static uint8_t digest[NSEG][SHA256_DIGEST_LENGTH];
	uint8_t head[4], tail[4];
	SHA256_CTX outer;
	IMB_JOB *job;

	for (unsigned i = 0; i < NSEG; i++) {
		job = IMB_GET_NEXT_JOB(mb);
		memset(job, 0, sizeof(*job));
		job->cipher_mode = IMB_CIPHER_NULL;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		job->hash_alg = IMB_AUTH_SHA_256;
		job->src = chunk + (size_t)i * SEG;
		job->msg_len_to_hash_in_bytes = SEG;
		job->auth_tag_output = digest[i];
		job->auth_tag_output_len_in_bytes = SHA256_DIGEST_LENGTH;
		for (job = IMB_SUBMIT_JOB(mb); job != NULL; job = IMB_GET_COMPLETED_JOB(mb))
			;
	}
	while (IMB_FLUSH_JOB(mb) != NULL)
		;
	memcpy(head, (uint32_t[]){SEG}, 4);
	memcpy(tail, (uint32_t[]){CHUNK}, 4);
	SHA256_Init(&outer);
	SHA256_Update(&outer, "zhtp-leaf-v1", 12);
	SHA256_Update(&outer, head, 4);
	SHA256_Update(&outer, digest, sizeof(digest));
	SHA256_Update(&outer, tail, 4);
	SHA256_Final(md, &outer);
}

/* The library calls of one chunk, each timed alone, into per-stage sums (ns). */
static void raw_chunk(struct pipe_case *p, unsigned c, uint64_t *ns)
{
	const uint8_t *chunk = p->chunks + (size_t)c * CHUNK;
	const struct zh_codec_hdr *h = &p->hdrs[c];
	uint8_t *shards[ZH_CODEC_SHARDS_MAX];
	unsigned k = zh_codec_k(p->codec), m = zh_codec_m(p->codec);
	uint8_t md[SHA256_DIGEST_LENGTH];
	volatile uint32_t crc = 0;
	uint64_t t = now_ns(), t2;

	raw_leaf(p->mb, chunk, md);
	t2 = now_ns(), ns[ST_HASH] += t2 - t, t = t2;
	if (memcmp(md, p->hashes[c], sizeof(md)) != 0)
		abort(); /* the raw calls must compute what the codec did */
	ZSTD_compressCCtx(p->cctx, p->scratch, ZSTD_compressBound(PROBE_BYTES),
			  p->sample + PROBE_BYTES * c, PROBE_BYTES, 1);
	t2 = now_ns(), ns[ST_PROBE] += t2 - t, t = t2;
	if (h->flags & ZH_CODEC_F_COMPRESSED) {
		ZSTD_compressCCtx(p->cctx, p->data[1], CHUNK - CHUNK / 32, chunk, CHUNK, p->level);
		t2 = now_ns(), ns[ST_COMPRESS] += t2 - t, t = t2;
	}
	if (p->encrypt) {
		raw_aes(p, (h->flags & ZH_CODEC_F_COMPRESSED) ? p->data[1] : chunk, h->stored_bytes,
			p->scratch);
		t2 = now_ns(), ns[ST_ENCRYPT] += t2 - t, t = t2;
	}
	for (unsigned i = 0; i < k; i++)
		shards[i] = p->data[1] + (size_t)i * h->shard_bytes;
	ec_encode_data((int)h->shard_bytes, (int)k, (int)m, p->enc_tables, shards, p->parity[1]);
	t2 = now_ns(), ns[ST_EC] += t2 - t, t = t2;
	for (unsigned i = 0; i < k; i++)
		crc += crc32_iscsi(shards[i], (int)h->shard_bytes, ~0u);
	for (unsigned i = 0; i < m; i++)
		crc += crc32_iscsi(p->parity[1][i], (int)h->shard_bytes, ~0u);
	ns[ST_CRC] += now_ns() - t;
}

static void pipe_setup(struct pipe_case *p, const uint8_t *chunks, unsigned n, bool encrypt)
{
	uint8_t matrix[ZH_CODEC_SHARDS_MAX * ZH_CODEC_SHARDS_MAX];
	struct zh_codec_opts o;

	memset(p, 0, sizeof(*p));
	p->chunks = chunks;
	p->n = n;
	p->encrypt = encrypt;
	zh_codec_opts_default(&o);
	p->level = o.zstd_level;
	if (zh_codec_create(&o, &p->codec) != 0)
		abort();
	for (unsigned b = 0; b < 2; b++) {
		p->data[b] = xalloc(zh_codec_data_bytes_max(p->codec));
		for (unsigned i = 0; i < o.ec_m; i++)
			p->parity[b][i] = xalloc(zh_codec_shard_bytes_max(p->codec));
	}
	p->hdrs = calloc(n, sizeof(*p->hdrs));
	p->hashes = calloc(n, sizeof(*p->hashes));
	p->sample = xalloc(PROBE_BYTES * n);
	p->scratch = xalloc(2 * CHUNK);
	p->cctx = ZSTD_createCCtx();
	p->cipher = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(p->cipher, EVP_aes_256_gcm(), NULL, NULL, NULL);
	p->mb = alloc_mb_mgr(0);
	init_mb_mgr_auto(p->mb, NULL);
	for (unsigned c = 0; c < n; c++)
		sample_gather(p->sample + PROBE_BYTES * c, chunks + (size_t)c * CHUNK);
	gf_gen_cauchy1_matrix(matrix, (int)(o.ec_k + o.ec_m), (int)o.ec_k);
	ec_init_tables((int)o.ec_k, (int)o.ec_m, matrix + o.ec_k * o.ec_k, p->enc_tables);
}

static void pipe_teardown(struct pipe_case *p)
{
	for (unsigned b = 0; b < 2; b++) {
		free(p->data[b]);
		for (unsigned i = 0; i < zh_codec_m(p->codec); i++)
			free(p->parity[b][i]);
	}
	free(p->hdrs);
	free(p->hashes);
	free(p->sample);
	free(p->scratch);
	ZSTD_freeCCtx(p->cctx);
	EVP_CIPHER_CTX_free(p->cipher);
	free_mb_mgr(p->mb);
	zh_codec_destroy(p->codec);
}

static double pipe_raw_pass(struct pipe_case *p, uint64_t *ns)
{
	uint64_t sum = 0;

	memset(ns, 0, sizeof(uint64_t) * ST_COUNT);
	for (unsigned c = 0; c < p->n; c++)
		raw_chunk(p, c, ns);
	for (unsigned s = 0; s < ST_COUNT; s++)
		sum += ns[s];
	return (double)sum / p->n;
}

/* Decode every chunk intact and with m data shards missing; GB/s of chunk data each. */
static void pipe_decode(struct pipe_case *p, double *intact, double *degraded)
{
	uint8_t *out = xalloc(CHUNK);
	unsigned k = zh_codec_k(p->codec), m = zh_codec_m(p->codec);
	uint32_t all = (uint32_t)((1ull << (k + m)) - 1);
	uint64_t t_intact = 0, t_degraded = 0;

	for (unsigned c = 0; c < p->n; c++) {
		const struct zh_codec_hdr *h = &p->enc.hdr;
		const uint8_t *const *shards = p->enc.shard;
		uint64_t t;

		if (zh_codec_chunk_encode(p->codec, p->chunks + (size_t)c * CHUNK, CHUNK,
					  p->encrypt ? &bench_key : NULL,
					  p->encrypt ? bench_nonce : NULL, NULL, p->data[0],
					  p->parity[0], &p->enc) != 0)
			abort();
		t = now_ns();
		if (zh_codec_chunk_decode(p->codec, h, shards, all, p->encrypt ? &bench_key : NULL,
					  NULL, out, CHUNK, NULL) != CHUNK)
			abort();
		t_intact += now_ns() - t;
		t = now_ns();
		if (zh_codec_chunk_decode(p->codec, h, shards, all & ~((1u << m) - 1),
					  p->encrypt ? &bench_key : NULL, NULL, out, CHUNK,
					  NULL) != CHUNK)
			abort();
		t_degraded += now_ns() - t;
		if (memcmp(out, p->chunks + (size_t)c * CHUNK, CHUNK) != 0)
			abort();
	}
	*intact = (double)p->n * CHUNK / (double)t_intact;
	*degraded = (double)p->n * CHUNK / (double)t_degraded;
	free(out);
}

static uint64_t stats_stage(const struct zh_codec_stats *s, enum stage st)
{
	switch (st) {
	case ST_HASH:
		return s->hash_ns;
	case ST_PROBE:
	case ST_COMPRESS:
		return s->compress_ns; /* the codec times probe and compression as one stage */
	case ST_ENCRYPT:
		return s->encrypt_ns;
	case ST_EC:
		return s->ec_ns;
	case ST_CRC:
		return s->crc_ns;
	default:
		abort();
	}
}

static void pipe_report(const char *name, struct pipe_case *p, const struct opts *o)
{
	double va[ROUNDS_MAX], vb[ROUNDS_MAX], dec, deg;
	uint64_t raw_ns[ST_COUNT], raw_best[ST_COUNT];
	struct zh_codec_stats s0, s1;
	unsigned compressed = 0;
	uint64_t stored = 0;

	pipe_codec_pass(p, NULL); /* warm up, and fill the headers the raw side follows */
	pipe_raw_pass(p, raw_ns);
	memset(raw_best, 0xff, sizeof(raw_best));
	zh_codec_stats_get(p->codec, &s0);
	for (unsigned r = 0; r < o->rounds; r++) {
		if (r % 2 == 0) {
			va[r] = pipe_codec_pass(p, NULL);
			vb[r] = pipe_raw_pass(p, raw_ns);
		} else {
			vb[r] = pipe_raw_pass(p, raw_ns);
			va[r] = pipe_codec_pass(p, NULL);
		}
		for (unsigned st = 0; st < ST_COUNT; st++)
			raw_best[st] = raw_ns[st] < raw_best[st] ? raw_ns[st] : raw_best[st];
	}
	zh_codec_stats_get(p->codec, &s1);
	for (unsigned c = 0; c < p->n; c++) {
		compressed += (p->hdrs[c].flags & ZH_CODEC_F_COMPRESSED) != 0;
		stored += p->hdrs[c].stored_bytes;
	}
	pipe_decode(p, &dec, &deg);
	{
		double a = median(va, o->rounds), b = median(vb, o->rounds);

		printf("| %s | %s | %u/%u | %.3f | %.1f | %.1f | **%.3f** | %.2f | %.2f |\n", name,
		       p->encrypt ? "aes-256-gcm" : "plain", compressed, p->n,
		       (double)stored / ((double)p->n * CHUNK), a / 1e3, b / 1e3, a / b, dec, deg);
	}
	printf("|   stages (us/chunk, codec / raw best round):");
	for (unsigned st = 0; st < ST_COUNT; st++) {
		double codec_us = (double)(stats_stage(&s1, st) - stats_stage(&s0, st)) /
				  ((double)o->rounds * p->n) / 1e3;

		if (st == ST_PROBE)
			continue; /* reported with ST_COMPRESS */
		if (st == ST_COMPRESS)
			printf(" zstd %.1f / %.1f;", codec_us,
			       (double)(raw_best[ST_PROBE] + raw_best[ST_COMPRESS]) / p->n / 1e3);
		else
			printf(" %s %.1f / %.1f;", stage_names[st], codec_us,
			       (double)raw_best[st] / p->n / 1e3);
	}
	printf(" layout+copy %.1f / - | | | | | | | | |\n",
	       (double)(s1.layout_ns - s0.layout_ns) / ((double)o->rounds * p->n) / 1e3);
}

static uint8_t *corpus_load(const char *path, unsigned *chunks, unsigned max_chunks)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr,
			"zhtp-codec-bench: %s: %s (make one with benchmarks/make-corpus.sh)\n",
			path, strerror(errno));
		exit(1);
	}
	buf = xalloc((size_t)max_chunks * CHUNK);
	n = fread(buf, 1, (size_t)max_chunks * CHUNK, f);
	fclose(f);
	*chunks = (unsigned)(n / CHUNK);
	if (*chunks == 0) {
		fprintf(stderr, "zhtp-codec-bench: %s: shorter than one 1 MiB chunk\n", path);
		exit(1);
	}
	return buf;
}

static void bench_pipeline(const struct opts *o, const uint8_t *corpus, unsigned corpus_chunks)
{
	uint8_t *noise = xalloc((size_t)o->pipe_chunks * CHUNK);
	struct pipe_case p;

	fill_random(noise, (size_t)o->pipe_chunks * CHUNK, 0xfeed);
	printf("\n## Pipeline: zh_codec_chunk_encode against the library calls it makes, 8+4, "
	       "1 MiB chunks\n\n");
	printf(
	    "Time per chunk, median of %u rounds A B B A; raw = the leaf hash (ipsec-mb "
	    "SHA-256 jobs over 32 KiB segments, then SHA256 of their digests) + ZSTD_compressCCtx "
	    "(probe, and the full compression where the codec kept it) + AES-256-GCM + "
	    "ec_encode_data + crc32c of every shard, each timed alone on the same buffers. "
	    "Decode columns: GB/s of chunk data, intact and with 4 data shards lost.\n\n",
	    o->rounds);
	printf(
	    "| data | encryption | compressed | stored/raw | codec us/chunk | raw sum us/chunk | "
	    "**codec/raw** | decode GB/s | degraded decode GB/s |\n"
	    "|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
	for (unsigned e = 0; e < 2; e++) {
		pipe_setup(&p, noise, o->pipe_chunks, e);
		pipe_report("incompressible (random)", &p, o);
		pipe_teardown(&p);
		pipe_setup(&p, corpus, corpus_chunks, e);
		pipe_report("mixed (corpus)", &p, o);
		pipe_teardown(&p);
	}
	free(noise);
}

/* ---- 3. zstd levels ----------------------------------------------------------------------- */

static void bench_levels(const uint8_t *corpus, unsigned chunks)
{
	static const int levels[] = {1, 3, 6};
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	size_t cap = ZSTD_compressBound(CHUNK);
	uint8_t *dst = xalloc(cap), *back = xalloc(CHUNK);

	printf("\n## zstd level on mixed data (%u x 1 MiB chunks of the corpus, one core)\n\n",
	       chunks);
	printf("| level | stored/raw (all chunks) | compress MB/s | decompress MB/s |\n"
	       "|--:|--:|--:|--:|\n");
	for (unsigned l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		uint64_t tc = 0, td = 0, stored = 0;

		for (unsigned c = 0; c < chunks; c++) {
			const uint8_t *src = corpus + (size_t)c * CHUNK;
			uint64_t t = now_ns();
			size_t n = ZSTD_compressCCtx(cctx, dst, cap, src, CHUNK, levels[l]);

			tc += now_ns() - t;
			if (ZSTD_isError(n))
				abort();
			/* As the codec stores it: raw when compression does not save 1/32. */
			stored += n <= CHUNK - CHUNK / 32 ? n : CHUNK;
			t = now_ns();
			if (ZSTD_decompressDCtx(dctx, back, CHUNK, dst, n) != CHUNK)
				abort();
			td += now_ns() - t;
		}
		printf("| %d | %.3f | %.0f | %.0f |\n", levels[l],
		       (double)stored / ((double)chunks * CHUNK),
		       (double)chunks * CHUNK / (double)tc * 1e3,
		       (double)chunks * CHUNK / (double)td * 1e3);
	}
	ZSTD_freeCCtx(cctx);
	ZSTD_freeDCtx(dctx);
	free(dst);
	free(back);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage_exit(void)
{
	fprintf(stderr, "usage: zhtp-codec-bench [--corpus=FILE] [--rounds=N] [--quick]\n");
	exit(2);
}

static void opts_parse(struct opts *o, int argc, char **argv)
{
	o->corpus = "var/bench/corpus.bin";
	o->rounds = 8;
	o->ec_iters = 400;
	o->pipe_chunks = 32;
	for (int i = 1; i < argc; i++) {
		char *end;

		if (strncmp(argv[i], "--corpus=", 9) == 0) {
			o->corpus = argv[i] + 9;
		} else if (strncmp(argv[i], "--rounds=", 9) == 0) {
			unsigned long v = strtoul(argv[i] + 9, &end, 10);

			if (*end != '\0' || v < 1 || v > ROUNDS_MAX)
				usage_exit();
			o->rounds = (unsigned)v;
		} else if (strcmp(argv[i], "--quick") == 0) {
			o->rounds = 2;
			o->ec_iters = 20;
			o->pipe_chunks = 4;
		} else {
			usage_exit();
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	unsigned corpus_chunks;
	uint8_t *corpus;
	char simd[256];

	opts_parse(&o, argc, argv);
	corpus = corpus_load(o.corpus, &corpus_chunks, o.rounds <= 2 ? 4 : 64);
	zh_codec_simd_describe(simd, sizeof(simd));
	printf("# zhtp-codec-bench\n\n- SIMD paths: %s\n- ISA-L (libisal 2.30), zstd %s, %s\n"
	       "- corpus: %s (%u MiB used)\n",
	       simd, ZSTD_versionString(), OPENSSL_VERSION_TEXT, o.corpus, corpus_chunks);
	bench_ec(&o);
	bench_pipeline(&o, corpus, corpus_chunks);
	bench_levels(corpus, corpus_chunks);
	free(corpus);
	return 0;
}
