/* SPDX-License-Identifier: MIT */
/*
 * The chunk header's packed form (docs/format.md): 192 bytes, little-endian, fixed offsets,
 * closed by a crc32c of everything before it. Unpacking is the codec's only parser of outside
 * bytes, so it checks every field and accepts exactly what zh_codec_hdr_pack() can produce.
 */
#include <errno.h>
#include <string.h>

#include "codec/codec_internal.h"

#define HDR_MAGIC 0x4b43485au /* "ZHCK" read as a little-endian u32 */

/* The packed layout, as byte arrays so that the compiler adds no padding. */
struct hdr_wire {
	uint8_t magic[4];
	uint8_t version;
	uint8_t flags;
	uint8_t ec_k;
	uint8_t ec_m;
	uint8_t raw_bytes[4];
	uint8_t stored_bytes[4];
	uint8_t shard_bytes[4];
	uint8_t reserved[4];
	uint8_t nonce[ZH_CODEC_NONCE_BYTES];
	uint8_t tag[ZH_CODEC_TAG_BYTES];
	uint8_t reserved2[8];
	uint8_t shard_crc[ZH_CODEC_SHARDS_MAX][4];
	uint8_t hdr_crc[4];
};

static_assert(sizeof(struct hdr_wire) == ZH_CODEC_HDR_BYTES, "chunk header is 192 bytes");
static_assert(offsetof(struct hdr_wire, raw_bytes) == 8, "layout: raw_bytes");
static_assert(offsetof(struct hdr_wire, stored_bytes) == 12, "layout: stored_bytes");
static_assert(offsetof(struct hdr_wire, shard_bytes) == 16, "layout: shard_bytes");
static_assert(offsetof(struct hdr_wire, nonce) == 24, "layout: nonce");
static_assert(offsetof(struct hdr_wire, tag) == 36, "layout: tag");
static_assert(offsetof(struct hdr_wire, shard_crc) == 60, "layout: shard crcs");
static_assert(offsetof(struct hdr_wire, hdr_crc) == 188, "layout: header crc last");
static_assert(ZH_CODEC_AAD_BYTES == offsetof(struct hdr_wire, shard_bytes),
	      "GCM authenticates magic through stored_bytes");

#define KNOWN_FLAGS (ZH_CODEC_F_COMPRESSED | ZH_CODEC_F_ENCRYPTED | ZH_CODEC_F_BOUND)

uint32_t zh_codec_shard_bytes(unsigned k, uint32_t stored_bytes)
{
	uint64_t per;

	ZH_ASSERT(k > 0);
	per = ((uint64_t)stored_bytes + k - 1) / k;
	return (uint32_t)((per + ZH_CODEC_SHARD_ALIGN - 1) & ~(uint64_t)(ZH_CODEC_SHARD_ALIGN - 1));
}

/* Field consistency, shared by unpack (outside bytes) and decode (a caller's struct). */
int zh__codec_hdr_check(const struct zh_codec_hdr *h)
{
	unsigned shards = (unsigned)h->ec_k + h->ec_m;

	if (h->version != ZH_CODEC_VERSION || (h->flags & ~KNOWN_FLAGS) != 0)
		return -EPROTONOSUPPORT;
	if (h->ec_k == 0 || shards > ZH_CODEC_SHARDS_MAX || h->raw_bytes > ZH_CODEC_CHUNK_MAX)
		return -EBADMSG;
	if (h->shard_bytes != zh_codec_shard_bytes(h->ec_k, h->stored_bytes))
		return -EBADMSG;
	/* Compression is kept only when it saves; otherwise the payload is the chunk's length. */
	if ((h->flags & ZH_CODEC_F_COMPRESSED) ? h->stored_bytes >= h->raw_bytes
					       : h->stored_bytes != h->raw_bytes)
		return -EBADMSG;
	if (!(h->flags & ZH_CODEC_F_ENCRYPTED) &&
	    ((h->flags & ZH_CODEC_F_BOUND) || !zh_all_zero(h->nonce, sizeof(h->nonce)) ||
	     !zh_all_zero(h->tag, sizeof(h->tag))))
		return -EBADMSG;
	for (unsigned i = shards; i < ZH_CODEC_SHARDS_MAX; i++) {
		if (h->shard_crc[i] != 0)
			return -EBADMSG;
	}
	return 0;
}

/* A zeroed wire header with the authenticated fields (magic through stored_bytes) filled in. */
static void wire_front(struct hdr_wire *w, const struct zh_codec_hdr *h)
{
	memset(w, 0, sizeof(*w));
	zh_le_put(w->magic, HDR_MAGIC, 4);
	w->version = h->version;
	w->flags = h->flags;
	w->ec_k = h->ec_k;
	w->ec_m = h->ec_m;
	zh_le_put(w->raw_bytes, h->raw_bytes, 4);
	zh_le_put(w->stored_bytes, h->stored_bytes, 4);
}

void zh__codec_hdr_aad(const struct zh_codec_hdr *h, uint8_t out[ZH_CODEC_AAD_BYTES])
{
	struct hdr_wire w;

	wire_front(&w, h);
	memcpy(out, &w, ZH_CODEC_AAD_BYTES);
}

void zh_codec_hdr_pack(const struct zh_codec_hdr *h, uint8_t out[ZH_CODEC_HDR_BYTES])
{
	struct hdr_wire w;

	ZH_ASSERT(zh__codec_hdr_check(h) == 0);
	wire_front(&w, h);
	zh_le_put(w.shard_bytes, h->shard_bytes, 4);
	memcpy(w.nonce, h->nonce, sizeof(w.nonce));
	memcpy(w.tag, h->tag, sizeof(w.tag));
	for (unsigned i = 0; i < ZH_CODEC_SHARDS_MAX; i++)
		zh_le_put(w.shard_crc[i], h->shard_crc[i], 4);
	zh_le_put(w.hdr_crc, zh_codec_crc32c(&w, offsetof(struct hdr_wire, hdr_crc)), 4);
	memcpy(out, &w, sizeof(w));
}

int zh_codec_hdr_unpack(const uint8_t in[ZH_CODEC_HDR_BYTES], struct zh_codec_hdr *h)
{
	struct hdr_wire w;

	memcpy(&w, in, sizeof(w));
	if ((uint32_t)zh_le_get(w.magic, 4) != HDR_MAGIC)
		return -EBADMSG;
	if ((uint32_t)zh_le_get(w.hdr_crc, 4) !=
	    zh_codec_crc32c(&w, offsetof(struct hdr_wire, hdr_crc)))
		return -EBADMSG;
	if (!zh_all_zero(w.reserved, sizeof(w.reserved)) ||
	    !zh_all_zero(w.reserved2, sizeof(w.reserved2)))
		return -EBADMSG;
	memset(h, 0, sizeof(*h));
	h->version = w.version;
	h->flags = w.flags;
	h->ec_k = w.ec_k;
	h->ec_m = w.ec_m;
	h->raw_bytes = (uint32_t)zh_le_get(w.raw_bytes, 4);
	h->stored_bytes = (uint32_t)zh_le_get(w.stored_bytes, 4);
	h->shard_bytes = (uint32_t)zh_le_get(w.shard_bytes, 4);
	memcpy(h->nonce, w.nonce, sizeof(h->nonce));
	memcpy(h->tag, w.tag, sizeof(h->tag));
	for (unsigned i = 0; i < ZH_CODEC_SHARDS_MAX; i++)
		h->shard_crc[i] = (uint32_t)zh_le_get(w.shard_crc[i], 4);
	return zh__codec_hdr_check(h);
}
