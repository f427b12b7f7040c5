/* SPDX-License-Identifier: MIT */
/*
 * store: the metadata records the store keeps in the index (object records, chunk records, the
 * store's own record), packed little-endian as docs/format.md lays them out. Unpacking treats
 * its input as untrusted: every length is checked and a contradiction is -EUCLEAN.
 */
#include <errno.h>
#include <string.h>

#include "engine/store_internal.h"

#define REC_VERSION 1

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void zh__chunk_key(const uint8_t hash[ZH_CODEC_HASH_BYTES], uint32_t index,
		   uint8_t key[ZH__CHUNK_KEY_BYTES])
{
	/* Big-endian index: a prefix scan over the hash returns the chunks in order. */
	memcpy(key, hash, ZH_CODEC_HASH_BYTES);
	be32_put(key + ZH_CODEC_HASH_BYTES, index);
}

static unsigned chunk_shards(const struct zh_codec_hdr *hdr)
{
	return (unsigned)hdr->ec_k + hdr->ec_m;
}

size_t zh__chunk_rec_pack(const struct zh__chunk_rec *rec, uint8_t out[ZH__CHUNK_REC_BYTES])
{
	unsigned n = chunk_shards(&rec->hdr);
	uint8_t *p = out + ZH__CHUNK_REC_HEAD;

	out[0] = REC_VERSION;
	out[1] = (uint8_t)n;
	out[2] = 0;
	out[3] = 0;
	zh_codec_hdr_pack(&rec->hdr, out + 4);
	memcpy(out + 4 + ZH_CODEC_HDR_BYTES, rec->hash, ZH_CODEC_HASH_BYTES);
	for (unsigned i = 0; i < n; i++, p += 10) {
		zh_le_put(p, rec->loc[i].dev, 2);
		zh_le_put(p + 2, rec->loc[i].offset_bytes, 8);
	}
	return (size_t)(p - out);
}

bool zh__chunk_rec_equal(const struct zh__chunk_rec *a, const struct zh__chunk_rec *b)
{
	uint8_t pa[ZH__CHUNK_REC_BYTES], pb[ZH__CHUNK_REC_BYTES];
	size_t na = zh__chunk_rec_pack(a, pa), nb = zh__chunk_rec_pack(b, pb);

	return na == nb && memcmp(pa, pb, na) == 0;
}

int zh__chunk_rec_unpack(const uint8_t *in, size_t len, struct zh__chunk_rec *rec)
{
	const uint8_t *p = in + ZH__CHUNK_REC_HEAD;

	if (len < ZH__CHUNK_REC_HEAD || in[0] != REC_VERSION || in[2] != 0 || in[3] != 0)
		return -EUCLEAN;
	if (zh_codec_hdr_unpack(in + 4, &rec->hdr) < 0 || in[1] != chunk_shards(&rec->hdr))
		return -EUCLEAN;
	if (len != ZH__CHUNK_REC_HEAD + 10u * in[1])
		return -EUCLEAN;
	memcpy(rec->hash, in + 4 + ZH_CODEC_HDR_BYTES, ZH_CODEC_HASH_BYTES);
	for (unsigned i = 0; i < in[1]; i++, p += 10) {
		rec->loc[i].dev = (uint16_t)zh_le_get(p, 2);
		rec->loc[i].offset_bytes = zh_le_get(p + 2, 8);
	}
	return 0;
}

int zh__chunk_rec_parse(const struct zh__store_rec *store, const uint8_t *in, size_t len,
			struct zh__chunk_rec *rec)
{
	int rc = zh__chunk_rec_unpack(in, len, rec);

	if (rc < 0)
		return rc;
	/*
	 * A plain chunk in an encrypted store would decode without the key, unauthenticated:
	 * bytes of anyone's choosing (shards and crcs are no secret) served as the object's.
	 */
	if (rec->hdr.ec_k != store->ec_k || rec->hdr.ec_m != store->ec_m ||
	    rec->hdr.raw_bytes > store->chunk_bytes ||
	    ((rec->hdr.flags & ZH_CODEC_F_ENCRYPTED) != 0) != store->encrypted)
		return -EUCLEAN;
	for (unsigned i = 0; i < (unsigned)rec->hdr.ec_k + rec->hdr.ec_m; i++) {
		if (rec->loc[i].dev >= store->dev_count)
			return -EUCLEAN;
		if (rec->loc[i].offset_bytes < ZH__SB_BYTES ||
		    rec->loc[i].offset_bytes % store->block_bytes != 0)
			return -EUCLEAN;
	}
	return 0;
}

bool zh__chunk_rec_fits(const struct zh__object_rec *obj, uint32_t index,
			const struct zh__chunk_rec *rec)
{
	uint64_t start = (uint64_t)index * obj->chunk_bytes;
	uint64_t left = obj->size_bytes - start;
	uint32_t len = left < obj->chunk_bytes ? (uint32_t)left : obj->chunk_bytes;

	ZH_ASSERT(index < obj->chunk_count);
	return rec->hdr.raw_bytes == len && rec->hdr.ec_k == obj->ec_k &&
	       rec->hdr.ec_m == obj->ec_m;
}

#define OBJECT_F_ENCRYPTED 1u /* object record byte 54 */
#define OBJECT_F_BOUND	   2u /* put id and seal tag after the strings (chunked, encrypted) */

size_t zh__object_rec_inline_bytes(const struct zh__object_rec *rec)
{
	if (rec->layout != ZH_OBJECT_INLINE)
		return 0;
	return (size_t)rec->size_bytes + (rec->encrypted ? ZH__SEAL_BYTES : 0);
}

size_t zh__object_rec_bytes(const struct zh__object_rec *rec)
{
	size_t n = ZH__OBJECT_REC_HEAD;

	for (unsigned i = 0; i < ZH_ARRAY_SIZE(rec->str); i++)
		n += rec->str_len[i];
	return n + zh__object_rec_inline_bytes(rec) + (rec->bound ? ZH__OBJECT_BIND_BYTES : 0);
}

void zh__object_rec_pack(const struct zh__object_rec *rec, uint8_t *out)
{
	uint8_t *p = out + ZH__OBJECT_REC_HEAD;

	memset(out, 0, ZH__OBJECT_REC_HEAD);
	out[0] = REC_VERSION;
	out[1] = rec->layout;
	out[2] = rec->ec_k;
	out[3] = rec->ec_m;
	zh_le_put(out + 4, rec->chunk_bytes, 4);
	zh_le_put(out + 8, rec->size_bytes, 8);
	zh_le_put(out + 16, rec->stored_bytes, 8);
	zh_le_put(out + 24, rec->chunk_count, 4);
	zh_le_put(out + 28, rec->refcount, 4);
	zh_le_put(out + 32, rec->created_unix_s, 8);
	zh_le_put(out + 40, rec->inline_crc, 4);
	out[54] = (uint8_t)((rec->encrypted ? OBJECT_F_ENCRYPTED : 0) |
			    (rec->bound ? OBJECT_F_BOUND : 0));
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(rec->str); i++) {
		zh_le_put(out + 44 + 2 * i, rec->str_len[i], 2);
		memcpy(p, rec->str[i], rec->str_len[i]);
		p += rec->str_len[i];
	}
	if (rec->layout == ZH_OBJECT_INLINE) /* a chunked object's inline_data is NULL */
		memcpy(p, rec->inline_data, zh__object_rec_inline_bytes(rec));
	if (rec->bound) {
		memcpy(p, rec->put_id, ZH__PUT_ID_BYTES);
		memcpy(p + ZH__PUT_ID_BYTES, rec->seal_tag, ZH_CODEC_TAG_BYTES);
	}
}

static size_t str_max(unsigned i)
{
	return i == 4 ? ZH_STORE_TAGS_MAX : ZH_STORE_META_STR_MAX;
}

static int object_rec_check(const struct zh__object_rec *rec)
{
	if (rec->refcount == 0 || (rec->bound && !rec->encrypted))
		return -EUCLEAN;
	if (rec->layout == ZH_OBJECT_INLINE) /* sealed with its hash already: never bound */
		return rec->chunk_count == 0 && !rec->bound ? 0 : -EUCLEAN;
	if (rec->layout != ZH_OBJECT_CHUNKED || rec->chunk_bytes == 0 || rec->ec_k == 0 ||
	    (unsigned)rec->ec_k + rec->ec_m > ZH_CODEC_SHARDS_MAX)
		return -EUCLEAN;
	if (rec->chunk_count != (rec->size_bytes + rec->chunk_bytes - 1) / rec->chunk_bytes)
		return -EUCLEAN;
	return 0;
}

int zh__object_rec_unpack(const uint8_t *in, size_t len, struct zh__object_rec *rec)
{
	size_t at = ZH__OBJECT_REC_HEAD;

	if (len < ZH__OBJECT_REC_HEAD || in[0] != REC_VERSION ||
	    (in[54] & ~(OBJECT_F_ENCRYPTED | OBJECT_F_BOUND)) != 0 || in[55] != 0)
		return -EUCLEAN;
	*rec = (struct zh__object_rec){
	    .layout = in[1],
	    .ec_k = in[2],
	    .ec_m = in[3],
	    .chunk_bytes = (uint32_t)zh_le_get(in + 4, 4),
	    .size_bytes = zh_le_get(in + 8, 8),
	    .stored_bytes = zh_le_get(in + 16, 8),
	    .chunk_count = (uint32_t)zh_le_get(in + 24, 4),
	    .refcount = (uint32_t)zh_le_get(in + 28, 4),
	    .created_unix_s = zh_le_get(in + 32, 8),
	    .inline_crc = (uint32_t)zh_le_get(in + 40, 4),
	    .encrypted = (in[54] & OBJECT_F_ENCRYPTED) != 0,
	    .bound = (in[54] & OBJECT_F_BOUND) != 0,
	};
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(rec->str); i++) {
		rec->str_len[i] = (uint16_t)zh_le_get(in + 44 + 2 * i, 2);
		if (rec->str_len[i] > str_max(i) || len - at < rec->str_len[i])
			return -EUCLEAN;
		rec->str[i] = (const char *)in + at;
		at += rec->str_len[i];
	}
	if (object_rec_check(rec) < 0)
		return -EUCLEAN;
	if (rec->layout == ZH_OBJECT_INLINE) {
		size_t stored = zh__object_rec_inline_bytes(rec);

		/* size_bytes came from outside: compare before adding the seal to it. */
		if (rec->size_bytes > ZH__OBJECT_MAX_BYTES || len - at != stored)
			return -EUCLEAN;
		rec->inline_data = in + at;
		return zh_codec_crc32c(rec->inline_data, stored) == rec->inline_crc ? 0 : -EUCLEAN;
	}
	if (rec->bound) {
		if (len - at < ZH__OBJECT_BIND_BYTES)
			return -EUCLEAN;
		memcpy(rec->put_id, in + at, ZH__PUT_ID_BYTES);
		memcpy(rec->seal_tag, in + at + ZH__PUT_ID_BYTES, ZH_CODEC_TAG_BYTES);
		at += ZH__OBJECT_BIND_BYTES;
	}
	return len == at ? 0 : -EUCLEAN;
}

static void str_copy(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void zh__object_rec_info(const struct zh__object_rec *rec, const uint8_t hash[ZH_CODEC_HASH_BYTES],
			 struct zh_object_info *info)
{
	memcpy(info->hash, hash, ZH_CODEC_HASH_BYTES);
	info->size_bytes = rec->size_bytes;
	info->stored_bytes = rec->stored_bytes;
	info->chunk_count = rec->chunk_count;
	info->chunk_bytes = rec->chunk_bytes;
	info->refcount = rec->refcount;
	info->layout = rec->layout;
	info->ec_k = rec->ec_k;
	info->ec_m = rec->ec_m;
	info->encrypted = rec->encrypted;
	info->created_unix_s = rec->created_unix_s;
	str_copy(info->owner, rec->str[0], rec->str_len[0]);
	str_copy(info->content_type, rec->str[1], rec->str_len[1]);
	str_copy(info->filename, rec->str[2], rec->str_len[2]);
	str_copy(info->description, rec->str[3], rec->str_len[3]);
	str_copy(info->tags, rec->str[4], rec->str_len[4]);
}

int zh__object_rec_set_meta(struct zh__object_rec *rec, const struct zh_object_meta *meta)
{
	const char *field[5] = {NULL};

	if (meta != NULL) {
		field[0] = meta->owner;
		field[1] = meta->content_type;
		field[2] = meta->filename;
		field[3] = meta->description;
		field[4] = meta->tags;
	}
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(field); i++) {
		size_t len = field[i] != NULL ? strlen(field[i]) : 0;

		if (len > str_max(i))
			return -EINVAL;
		rec->str[i] = field[i] != NULL ? field[i] : "";
		rec->str_len[i] = (uint16_t)len;
	}
	return 0;
}

void zh__access_rec_pack(uint64_t last_unix_s, uint64_t count, uint8_t out[ZH__ACCESS_REC_BYTES])
{
	memset(out, 0, 8);
	out[0] = REC_VERSION;
	zh_le_put(out + 8, last_unix_s, 8);
	zh_le_put(out + 16, count, 8);
}

int zh__access_rec_unpack(const uint8_t *in, size_t len, uint64_t *last_unix_s, uint64_t *count)
{
	if (len != ZH__ACCESS_REC_BYTES || in[0] != REC_VERSION || !zh_all_zero(in + 1, 7))
		return -EUCLEAN;
	*last_unix_s = zh_le_get(in + 8, 8);
	*count = zh_le_get(in + 16, 8);
	return 0;
}

#define STORE_F_ENCRYPTED 1u /* store record byte 3 */
#define STORE_F_BOUND	  2u /* encrypted chunked objects are bound to their records */

size_t zh__store_rec_pack(const struct zh__store_rec *rec, uint8_t out[ZH__STORE_REC_MAX])
{
	uint8_t *p = out + 32;

	memset(out, 0, 32);
	out[0] = ZH__STORE_VERSION;
	out[1] = rec->ec_k;
	out[2] = rec->ec_m;
	out[3] =
	    (uint8_t)((rec->encrypted ? STORE_F_ENCRYPTED : 0) | (rec->bound ? STORE_F_BOUND : 0));
	memcpy(out + 4, rec->uuid, ZH__UUID_BYTES);
	zh_le_put(out + 20, rec->dev_count, 1);
	zh_le_put(out + 21, rec->block_bytes, 3);
	zh_le_put(out + 24, rec->chunk_bytes, 4);
	zh_le_put(out + 28, rec->small_max_bytes, 4);
	for (unsigned i = 0; i < rec->dev_count; i++) {
		size_t n = strlen(rec->dev_path[i]);

		zh_le_put(p, n, 2);
		memcpy(p + 2, rec->dev_path[i], n);
		p += 2 + n;
	}
	if (rec->encrypted) {
		memcpy(p, rec->key_check, ZH__KEY_CHECK_BYTES);
		p += ZH__KEY_CHECK_BYTES;
	}
	return (size_t)(p - out);
}

int zh__store_rec_unpack(const uint8_t *in, size_t len, struct zh__store_rec *rec)
{
	size_t at = 32;

	if (len < 32 || in[0] != ZH__STORE_VERSION ||
	    (in[3] & ~(STORE_F_ENCRYPTED | STORE_F_BOUND)) != 0)
		return -EUCLEAN;
	memset(rec, 0, sizeof(*rec));
	rec->encrypted = (in[3] & STORE_F_ENCRYPTED) != 0;
	rec->bound = (in[3] & STORE_F_BOUND) != 0;
	if (rec->bound && !rec->encrypted)
		return -EUCLEAN;
	rec->ec_k = in[1];
	rec->ec_m = in[2];
	memcpy(rec->uuid, in + 4, ZH__UUID_BYTES);
	rec->dev_count = (uint32_t)zh_le_get(in + 20, 1);
	rec->block_bytes = (uint32_t)zh_le_get(in + 21, 3);
	rec->chunk_bytes = (uint32_t)zh_le_get(in + 24, 4);
	rec->small_max_bytes = (uint32_t)zh_le_get(in + 28, 4);
	if (rec->dev_count == 0 || rec->dev_count > ZH_STORE_DEVS_MAX || rec->ec_k == 0 ||
	    (unsigned)rec->ec_k + rec->ec_m > ZH_CODEC_SHARDS_MAX || rec->chunk_bytes == 0 ||
	    rec->chunk_bytes > ZH_CODEC_CHUNK_MAX || !zh_is_pow2_u64(rec->block_bytes))
		return -EUCLEAN;
	for (unsigned i = 0; i < rec->dev_count; i++) {
		size_t n;

		if (len - at < 2)
			return -EUCLEAN;
		n = zh_le_get(in + at, 2);
		if (n == 0 || n >= ZH_STORE_PATH_MAX || len - at - 2 < n)
			return -EUCLEAN;
		/* A NUL inside would silently name another path (found by fuzz_store_records). */
		if (memchr(in + at + 2, '\0', n) != NULL)
			return -EUCLEAN;
		memcpy(rec->dev_path[i], in + at + 2, n);
		at += 2 + n;
	}
	if (rec->encrypted) {
		if (len - at < ZH__KEY_CHECK_BYTES)
			return -EUCLEAN;
		memcpy(rec->key_check, in + at, ZH__KEY_CHECK_BYTES);
		at += ZH__KEY_CHECK_BYTES;
	}
	return at == len ? 0 : -EUCLEAN;
}
