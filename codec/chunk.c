/* SPDX-License-Identifier: MIT */
/*
 * The chunk pipeline: encode (hash, compress, encrypt, lay out, erasure-code, checksum) and
 * decode (verify, rebuild, authenticate and decrypt, decompress).
 *
 * Design notes:
 * 1. The payload is written at most once: zstd compresses straight into the caller's data
 *    buffer, AES-GCM encrypts in place there (or from the chunk when it was not compressed), and
 *    a plain chunk stored as is is not copied at all: its data shards are pointers into the
 *    chunk, except a last shard it does not fill, which is copied and padded. ISA-L and the
 *    crc take the k shards as pointers, wherever they are. (Copying 1 MiB costs ~55 us here,
 *    6% of encoding an incompressible chunk.)
 * 2. Compression is decided by a probe: 16 slices of 4 KiB spread over the chunk, compressed
 *    at level 1. zstd at level 6 spends ~3 ms on 1 MiB of random bytes only to store them raw;
 *    the probe costs ~15 us. If the probe saves less than 1/32, the chunk is stored raw; if it
 *    passes, the real compression must save 1/32 too, or the chunk is stored raw after all (the
 *    output bound makes zstd stop as soon as it cannot).
 * 3. Decode reads only what it needs: the k data shards when they are intact, parity only in
 *    place of a lost or corrupt data shard. A rebuilt shard is checked against its recorded crc,
 *    so a wrong reconstruction is an error, never data. Decryption consumes the shards piece by
 *    piece; a compressed payload is gathered (it is smaller than the chunk) and decompressed in
 *    one shot.
 * 4. Every output that fails authentication or decompression is zeroed before returning, so a
 *    caller that ignores the error still cannot hand out unauthenticated plaintext.
 */
#include <errno.h>
#include <string.h>

#include "codec/codec_internal.h"

static uint64_t stage_end(uint64_t *acc, uint64_t start_ns)
{
	uint64_t now = zh__codec_now_ns();

	*acc += now - start_ns;
	return now;
}

/* Gather the probe slices into scratch and see whether level 1 saves at least 1/32 of them. */
static bool probe_compressible(struct zh_codec *c, const uint8_t *raw, size_t len)
{
	size_t slice = ZH_CODEC_PROBE_SLICE_BYTES, n = 0, out;

	if (len <= ZH_CODEC_PROBE_SLICES * slice) {
		memcpy(c->scratch, raw, len);
		n = len;
	} else {
		for (unsigned i = 0; i < ZH_CODEC_PROBE_SLICES; i++) {
			memcpy(c->scratch + n,
			       raw + (len - slice) * i / (ZH_CODEC_PROBE_SLICES - 1), slice);
			n += slice;
		}
	}
	out = ZSTD_compressCCtx(c->probe_cctx, c->scratch + n, ZSTD_compressBound(n), c->scratch, n,
				1);
	ZH_ASSERT(!ZSTD_isError(out));
	return out <= n - (n >> ZH_CODEC_SAVING_SHIFT);
}

/* Compressed length written to data, or 0 when the chunk is to be stored raw. */
static size_t compress_chunk(struct zh_codec *c, const uint8_t *raw, size_t len, uint8_t *data)
{
	size_t out;

	if (c->opts.zstd_level == 0 || len < c->opts.compress_min_bytes || len < 64)
		return 0;
	if (!probe_compressible(c, raw, len))
		return 0;
	out = ZSTD_compressCCtx(c->cctx, data, len - (len >> ZH_CODEC_SAVING_SHIFT), raw, len,
				c->opts.zstd_level);
	/*
	 * dstSize_tooSmall is the expected "does not pay" answer. The only other one zstd can give
	 * here is a failed allocation (a level change grows its workspace): stored raw all the
	 * same.
	 */
	return ZSTD_isError(out) ? 0 : out;
}

/* The tag's associated data: the header's front, and a bound chunk's binding after it. */
static int chunk_aad(const struct zh_codec_hdr *h, const uint8_t *bind,
		     uint8_t aad[ZH_CODEC_AAD_BYTES + ZH_CODEC_BIND_BYTES])
{
	zh__codec_hdr_aad(h, aad);
	if (!(h->flags & ZH_CODEC_F_BOUND))
		return ZH_CODEC_AAD_BYTES;
	memcpy(aad + ZH_CODEC_AAD_BYTES, bind, ZH_CODEC_BIND_BYTES);
	return ZH_CODEC_AAD_BYTES + ZH_CODEC_BIND_BYTES;
}

static void encrypt_payload(struct zh_codec *c, struct zh_codec_hdr *h, const uint8_t *in,
			    uint8_t *out, const struct zh_codec_key *key, const uint8_t *nonce,
			    const uint8_t *bind)
{
	uint8_t aad[ZH_CODEC_AAD_BYTES + ZH_CODEC_BIND_BYTES];
	int aad_len = chunk_aad(h, bind, aad);
	int n = 0;

	memcpy(h->nonce, nonce, ZH_CODEC_NONCE_BYTES);
	ZH_ASSERT(EVP_EncryptInit_ex(c->cipher, NULL, NULL, key->bytes, nonce) == 1);
	ZH_ASSERT(EVP_EncryptUpdate(c->cipher, NULL, &n, aad, aad_len) == 1);
	ZH_ASSERT(EVP_EncryptUpdate(c->cipher, out, &n, in, (int)h->stored_bytes) == 1);
	ZH_ASSERT(n == (int)h->stored_bytes);
	ZH_ASSERT(EVP_EncryptFinal_ex(c->cipher, out + n, &n) == 1);
	ZH_ASSERT(n == 0);
	ZH_ASSERT(
	    EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_GET_TAG, ZH_CODEC_TAG_BYTES, h->tag) == 1);
}

/*
 * Point the data shards at their bytes (design note 1): into `data` for a transformed payload;
 * straight into the chunk for a plain one, except a last shard that the chunk does not fill,
 * which is copied and zero-padded.
 */
static void layout_shards(struct zh_codec *c, struct zh_codec_encoded *e, const uint8_t *raw,
			  uint8_t *data, bool in_place)
{
	const struct zh_codec_hdr *h = &e->hdr;
	size_t end = (size_t)c->k * h->shard_bytes;

	for (unsigned i = 0; i < c->k; i++) {
		size_t at = (size_t)i * h->shard_bytes;

		e->shard[i] = data + at;
		if (!in_place)
			continue;
		if (at + h->shard_bytes <= h->raw_bytes) {
			e->shard[i] = raw + at;
			continue;
		}
		/* The chunk ends inside or before this shard: copy what there is, pad the rest. */
		size_t fill = at;

		if (at < h->raw_bytes) {
			memcpy(data + at, raw + at, h->raw_bytes - at);
			fill = h->raw_bytes;
		}
		memset(data + fill, 0, at + h->shard_bytes - fill);
	}
	if (!in_place)
		memset(data + h->stored_bytes, 0, end - h->stored_bytes);
}

/* Parity and per-shard crcs. */
static void encode_shards(struct zh_codec *c, struct zh_codec_encoded *e, uint8_t *const parity[])
{
	uint32_t len = e->hdr.shard_bytes;
	uint64_t t = zh__codec_now_ns();

	for (unsigned i = 0; i < c->m; i++)
		e->shard[c->k + i] = parity[i];
	zh_codec_ec_encode(c, len, e->shard, parity);
	t = stage_end(&c->stats.ec_ns, t);
	for (unsigned i = 0; i < c->k + c->m; i++)
		e->hdr.shard_crc[i] = zh_codec_crc32c(e->shard[i], len);
	stage_end(&c->stats.crc_ns, t);
}

int zh_codec_chunk_encode(struct zh_codec *c, const void *raw_in, size_t raw_bytes,
			  const struct zh_codec_key *key, const uint8_t *nonce, const uint8_t *bind,
			  uint8_t *data, uint8_t *const parity[], struct zh_codec_encoded *e)
{
	struct zh_codec_hdr *h = &e->hdr;
	const uint8_t *raw = raw_in;
	uint64_t t = zh__codec_now_ns();
	size_t packed;

	if (raw_bytes > c->opts.chunk_max_bytes)
		return -E2BIG;
	if ((key == NULL) != (nonce == NULL) || (bind != NULL && key == NULL))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	zh_codec_leaf_hash(c, raw, raw_bytes, e->hash);
	t = stage_end(&c->stats.hash_ns, t);
	packed = compress_chunk(c, raw, raw_bytes, data);
	t = stage_end(&c->stats.compress_ns, t);
	h->version = ZH_CODEC_VERSION;
	h->flags = (uint8_t)((packed > 0 ? ZH_CODEC_F_COMPRESSED : 0) |
			     (key != NULL ? ZH_CODEC_F_ENCRYPTED : 0) |
			     (bind != NULL ? ZH_CODEC_F_BOUND : 0));
	h->ec_k = (uint8_t)c->k;
	h->ec_m = (uint8_t)c->m;
	h->raw_bytes = (uint32_t)raw_bytes;
	h->stored_bytes = (uint32_t)(packed > 0 ? packed : raw_bytes);
	h->shard_bytes = zh_codec_shard_bytes(c->k, h->stored_bytes);
	if (key != NULL) {
		encrypt_payload(c, h, packed > 0 ? data : raw, data, key, nonce, bind);
		t = stage_end(&c->stats.encrypt_ns, t);
	}
	layout_shards(c, e, raw, data, packed == 0 && key == NULL);
	stage_end(&c->stats.layout_ns, t);
	encode_shards(c, e, parity);
	c->stats.chunks_encoded++;
	c->stats.chunks_compressed += packed > 0;
	ZH_DEBUG_ASSERT(zh__codec_hdr_check(h) == 0);
	return 0;
}

/* The data shards of a chunk as pieces of its payload, after verification and rebuild. */
struct payload {
	const uint8_t *piece[ZH_CODEC_SHARDS_MAX];
	uint32_t piece_bytes[ZH_CODEC_SHARDS_MAX];
	unsigned pieces;
};

static bool shard_intact(struct zh_codec *c, const struct zh_codec_hdr *h, const uint8_t *shard,
			 unsigned i)
{
	if (zh_codec_crc32c(shard, h->shard_bytes) == h->shard_crc[i])
		return true;
	c->stats.shards_bad++;
	return false;
}

/* Mask of intact shards: all data shards that pass, then parity until k are intact. */
static uint32_t shards_verify(struct zh_codec *c, const struct zh_codec_hdr *h,
			      const uint8_t *const shards[], uint32_t present, uint32_t *bad)
{
	uint32_t good = 0;

	for (unsigned i = 0; i < c->k + c->m; i++) {
		if ((unsigned)__builtin_popcount(good) == c->k)
			break;
		if (!(present & (1u << i)))
			continue;
		if (shard_intact(c, h, shards[i], i))
			good |= 1u << i;
		else
			*bad |= 1u << i;
	}
	return good;
}

/* Rebuild the data shards missing from `good` into the codec's buffers, and check them. */
static int shards_rebuild(struct zh_codec *c, const struct zh_codec_hdr *h,
			  const uint8_t *const shards[], uint32_t good, struct payload *p)
{
	uint32_t data_mask = zh__codec_mask(c->k);
	uint32_t rebuild = data_mask & ~good;
	uint8_t *out[ZH_CODEC_SHARDS_MAX] = {0};
	unsigned j = 0;
	int rc;

	for (unsigned i = 0; i < c->k; i++) {
		if (rebuild & (1u << i))
			out[i] = c->rebuild[j++];
	}
	rc = zh_codec_ec_reconstruct(c, h->shard_bytes, shards, good, out, rebuild);
	ZH_ASSERT(rc == 0);
	for (unsigned i = 0; i < c->k; i++) {
		if (!(rebuild & (1u << i)))
			continue;
		if (zh_codec_crc32c(out[i], h->shard_bytes) != h->shard_crc[i])
			return -EIO;
		p->piece[i] = out[i];
	}
	c->stats.chunks_degraded++;
	return 0;
}

static int payload_gather(struct zh_codec *c, const struct zh_codec_hdr *h,
			  const uint8_t *const shards[], uint32_t present, uint32_t *bad,
			  struct payload *p)
{
	uint64_t t = zh__codec_now_ns();
	uint32_t data_mask = zh__codec_mask(c->k);
	uint32_t good = shards_verify(c, h, shards, present, bad);
	uint32_t left = h->stored_bytes;
	int rc = 0;

	t = stage_end(&c->stats.verify_ns, t);
	if ((unsigned)__builtin_popcount(good) < c->k)
		return -EIO;
	for (unsigned i = 0; i < c->k; i++)
		p->piece[i] = shards[i];
	if ((good & data_mask) != data_mask) {
		rc = shards_rebuild(c, h, shards, good, p);
		stage_end(&c->stats.rebuild_ns, t);
	}
	p->pieces = 0;
	for (unsigned i = 0; i < c->k && left > 0; i++) {
		p->piece_bytes[i] = left < h->shard_bytes ? left : h->shard_bytes;
		left -= p->piece_bytes[i];
		p->pieces++;
	}
	return rc;
}

static int payload_decrypt(struct zh_codec *c, const struct zh_codec_hdr *h,
			   const struct payload *p, const struct zh_codec_key *key,
			   const uint8_t *bind, uint8_t *out)
{
	uint8_t aad[ZH_CODEC_AAD_BYTES + ZH_CODEC_BIND_BYTES];
	int aad_len = chunk_aad(h, bind, aad);
	uint8_t tag[ZH_CODEC_TAG_BYTES];
	int n = 0;
	size_t at = 0;

	memcpy(tag, h->tag, sizeof(tag));
	ZH_ASSERT(EVP_DecryptInit_ex(c->cipher, NULL, NULL, key->bytes, h->nonce) == 1);
	ZH_ASSERT(EVP_DecryptUpdate(c->cipher, NULL, &n, aad, aad_len) == 1);
	for (unsigned i = 0; i < p->pieces; i++) {
		ZH_ASSERT(EVP_DecryptUpdate(c->cipher, out + at, &n, p->piece[i],
					    (int)p->piece_bytes[i]) == 1);
		at += (size_t)n;
	}
	ZH_ASSERT(EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag) == 1);
	if (EVP_DecryptFinal_ex(c->cipher, out + at, &n) != 1)
		return -EBADMSG;
	ZH_ASSERT(at + (size_t)n == h->stored_bytes);
	return 0;
}

/* Copy the payload's pieces, in order, into one contiguous buffer. */
static void payload_copy_out(const struct payload *p, uint8_t *dst)
{
	size_t at = 0;

	for (unsigned i = 0; i < p->pieces; i++) {
		memcpy(dst + at, p->piece[i], p->piece_bytes[i]);
		at += p->piece_bytes[i];
	}
}

/*
 * Exactly raw_bytes out of the payload's zstd frame. The compressed payload is gathered first
 * when it spans shards (it is smaller than the chunk): one-shot decompression into the caller's
 * buffer needs no window buffer and no streaming state.
 */
static int payload_decompress(struct zh_codec *c, const struct zh_codec_hdr *h,
			      const struct payload *p, uint8_t *raw)
{
	const uint8_t *src = p->piece[0];
	size_t n;

	if (p->pieces > 1) {
		payload_copy_out(p, c->scratch);
		src = c->scratch;
	}
	n = ZSTD_decompressDCtx(c->dctx, raw, h->raw_bytes, src, h->stored_bytes);
	return !ZSTD_isError(n) && n == h->raw_bytes ? 0 : -EBADMSG;
}

static int payload_decode(struct zh_codec *c, const struct zh_codec_hdr *h, struct payload *p,
			  const struct zh_codec_key *key, const uint8_t *bind, uint8_t *raw)
{
	uint64_t t = zh__codec_now_ns();
	int rc = 0;

	if (h->flags & ZH_CODEC_F_ENCRYPTED) {
		uint8_t *plain = (h->flags & ZH_CODEC_F_COMPRESSED) ? c->scratch : raw;

		rc = payload_decrypt(c, h, p, key, bind, plain);
		t = stage_end(&c->stats.decrypt_ns, t);
		/* The plaintext is now one contiguous piece. */
		p->piece[0] = plain;
		p->piece_bytes[0] = h->stored_bytes;
		p->pieces = h->stored_bytes > 0;
	}
	if (rc == 0 && (h->flags & ZH_CODEC_F_COMPRESSED)) {
		rc = payload_decompress(c, h, p, raw);
		stage_end(&c->stats.decompress_ns, t);
	} else if (rc == 0 && !(h->flags & ZH_CODEC_F_ENCRYPTED)) {
		payload_copy_out(p, raw);
		stage_end(&c->stats.copy_ns, t);
	}
	return rc;
}

int zh_codec_chunk_decode(struct zh_codec *c, const struct zh_codec_hdr *h,
			  const uint8_t *const shards[], uint32_t present,
			  const struct zh_codec_key *key, const uint8_t *bind, void *raw,
			  size_t raw_cap, uint32_t *bad)
{
	uint32_t all = zh__codec_mask(c->k + c->m);
	uint32_t bad_local = 0;
	struct payload p;
	int rc;

	if (bad == NULL)
		bad = &bad_local;
	*bad = 0;
	if (zh__codec_hdr_check(h) != 0 || h->raw_bytes > c->opts.chunk_max_bytes)
		return -EINVAL;
	if (h->ec_k != c->k || h->ec_m != c->m)
		return -ENOTSUP;
	if (raw_cap < h->raw_bytes)
		return -ENOSPC;
	if ((h->flags & ZH_CODEC_F_ENCRYPTED) && key == NULL)
		return -ENOKEY;
	/* Either way round, the caller's idea of where the chunk belongs is not the chunk's. */
	if (((h->flags & ZH_CODEC_F_BOUND) != 0) != (bind != NULL)) {
		memset(raw, 0, h->raw_bytes); /* as every -EBADMSG leaves it (design note 4) */
		return -EBADMSG;
	}
	rc = payload_gather(c, h, shards, present & all, bad, &p);
	if (rc == 0)
		rc = payload_decode(c, h, &p, key, bind, raw);
	if (rc == -EBADMSG)
		memset(raw, 0, h->raw_bytes);
	if (rc < 0)
		return rc;
	c->stats.chunks_decoded++;
	return (int)h->raw_bytes;
}
