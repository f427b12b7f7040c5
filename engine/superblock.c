/* SPDX-License-Identifier: MIT */
/*
 * The device superblock: block 0 of every device of a store names the store (a random UUID),
 * the device's place in it and the store's fixed geometry (block, chunk, k + m). Opening a
 * device checks it: another store's device, a damaged block or a newer format is refused
 * before anything is written. Layout: 128 meaningful bytes, little-endian, closed by a crc32c,
 * then zeros to 4 KiB (docs/format.md).
 */
#include <errno.h>
#include <string.h>

#include "codec/codec.h"
#include "engine/engine_internal.h"

static const char sb_magic[8] = {'Z', 'H', 'T', 'P', 'S', 'T', 'O', 'R'};

struct sb_wire {
	uint8_t magic[8];
	uint8_t version[4];
	uint8_t flags[4];
	uint8_t store_uuid[ZH__UUID_BYTES];
	uint8_t dev_index[4];
	uint8_t dev_count[4];
	uint8_t dev_bytes[8];
	uint8_t block_bytes[4];
	uint8_t chunk_bytes[4];
	uint8_t ec_k;
	uint8_t ec_m;
	uint8_t reserved[6];
	uint8_t created_unix_s[8];
	uint8_t reserved2[52];
	uint8_t crc[4];
};

static_assert(sizeof(struct sb_wire) == 128, "superblock: 128 meaningful bytes");
static_assert(offsetof(struct sb_wire, store_uuid) == 16, "layout: uuid");
static_assert(offsetof(struct sb_wire, dev_bytes) == 40, "layout: device size");
static_assert(offsetof(struct sb_wire, ec_k) == 56, "layout: k");
static_assert(offsetof(struct sb_wire, created_unix_s) == 64, "layout: created");
static_assert(offsetof(struct sb_wire, crc) == 124, "layout: crc last");

void zh__sb_pack(const struct zh__superblock *sb, uint8_t out[ZH__SB_BYTES])
{
	struct sb_wire w;

	memset(&w, 0, sizeof(w));
	memcpy(w.magic, sb_magic, sizeof(w.magic));
	zh_le_put(w.version, sb->version, 4);
	memcpy(w.store_uuid, sb->store_uuid, ZH__UUID_BYTES);
	zh_le_put(w.dev_index, sb->dev_index, 4);
	zh_le_put(w.dev_count, sb->dev_count, 4);
	zh_le_put(w.dev_bytes, sb->dev_bytes, 8);
	zh_le_put(w.block_bytes, sb->block_bytes, 4);
	zh_le_put(w.chunk_bytes, sb->chunk_bytes, 4);
	w.ec_k = sb->ec_k;
	w.ec_m = sb->ec_m;
	zh_le_put(w.created_unix_s, sb->created_unix_s, 8);
	zh_le_put(w.crc, zh_codec_crc32c(&w, offsetof(struct sb_wire, crc)), 4);
	memset(out, 0, ZH__SB_BYTES);
	memcpy(out, &w, sizeof(w));
}

static int sb_check(const struct zh__superblock *sb)
{
	if (sb->dev_count == 0 || sb->dev_index >= sb->dev_count)
		return -EINVAL;
	if (!zh_is_pow2_u64(sb->block_bytes) || sb->block_bytes < 512)
		return -EINVAL;
	if (sb->dev_bytes <= ZH__SB_BYTES || sb->dev_bytes % sb->block_bytes != 0)
		return -EINVAL;
	if (sb->chunk_bytes == 0 || sb->chunk_bytes > ZH_CODEC_CHUNK_MAX)
		return -EINVAL;
	if (sb->ec_k == 0 || sb->ec_k + sb->ec_m > ZH_CODEC_SHARDS_MAX)
		return -EINVAL;
	return 0;
}

/* Whether the crc seals the wire struct as it reads. */
static bool sb_sealed(const struct sb_wire *w)
{
	return zh_le_get(w->crc, 4) == zh_codec_crc32c(w, offsetof(struct sb_wire, crc));
}

bool zh__sb_foreign(const uint8_t in[ZH__SB_BYTES], const uint8_t *store_uuid)
{
	struct sb_wire w;

	if (memcmp(in, sb_magic, sizeof(sb_magic)) != 0)
		return !zh_all_zero(in, ZH__SB_BYTES);
	/*
	 * Our magic with a bad crc: damaged, but whose? Unless its uuid field is this store's,
	 * it may be another store's device, which nothing here may write over (repair did).
	 */
	memcpy(&w, in, sizeof(w));
	return store_uuid != NULL && !sb_sealed(&w) &&
	       memcmp(w.store_uuid, store_uuid, ZH__UUID_BYTES) != 0;
}

/*
 * In this order: what the crc seals (magic, then crc), whose it is (a newer version, another
 * store), and only then whether the rest is as this version writes it. Checked before the
 * version and the uuid, a nonzero byte in the padding (a bit flip, or a newer version's
 * field) made another store's device, or a newer one, read as this store's damaged device,
 * which repair then wrote over.
 */
int zh__sb_unpack(const uint8_t in[ZH__SB_BYTES], const uint8_t *store_uuid,
		  struct zh__superblock *sb)
{
	struct sb_wire w;

	memcpy(&w, in, sizeof(w));
	if (memcmp(w.magic, sb_magic, sizeof(w.magic)) != 0)
		return -EBADMSG;
	if (!sb_sealed(&w))
		return -EBADMSG;
	memset(sb, 0, sizeof(*sb));
	sb->version = (uint32_t)zh_le_get(w.version, 4);
	if (sb->version != ZH__SB_VERSION)
		return sb->version > ZH__SB_VERSION ? -EPROTONOSUPPORT : -EBADMSG;
	memcpy(sb->store_uuid, w.store_uuid, ZH__UUID_BYTES);
	if (store_uuid != NULL && memcmp(store_uuid, sb->store_uuid, ZH__UUID_BYTES) != 0)
		return -EXDEV;
	if (!zh_all_zero(w.flags, sizeof(w.flags)) ||
	    !zh_all_zero(w.reserved, sizeof(w.reserved)) ||
	    !zh_all_zero(w.reserved2, sizeof(w.reserved2)) ||
	    !zh_all_zero(in + sizeof(w), ZH__SB_BYTES - sizeof(w)))
		return -EBADMSG;
	sb->dev_index = (uint32_t)zh_le_get(w.dev_index, 4);
	sb->dev_count = (uint32_t)zh_le_get(w.dev_count, 4);
	sb->dev_bytes = zh_le_get(w.dev_bytes, 8);
	sb->block_bytes = (uint32_t)zh_le_get(w.block_bytes, 4);
	sb->chunk_bytes = (uint32_t)zh_le_get(w.chunk_bytes, 4);
	sb->ec_k = w.ec_k;
	sb->ec_m = w.ec_m;
	sb->created_unix_s = zh_le_get(w.created_unix_s, 8);
	return sb_check(sb);
}
