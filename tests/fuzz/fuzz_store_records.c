/* SPDX-License-Identifier: MIT */
/*
 * fuzz_store_records.c - libFuzzer harness for the store's on-disk and index records: the device
 * superblock (block 0 of every device) and the records kept in RocksDB (store, object, chunk,
 * access). A damaged device or index must give a clean error, never a crash or an
 * out-of-bounds read; and a record that unpacks must pack back to exactly its bytes, so that
 * nothing is accepted that the store would not have written.
 *
 * Input: one mode byte, then the record's bytes. Mode bits 0-2 choose the record (0
 * superblock, 1 store, 2 object, 3 chunk, 4 access); bit 4 re-seals what a checksum guards
 * (the superblock's magic and crc32c, the crc32c of the chunk record's codec header) so that
 * the field checks behind it are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"
#include "fuzz_store_records.h"

#define SB_CRC_AT 124u /* superblock.c: the crc32c closes its 128 meaningful bytes */
#define FUZZ_REC_MAX                                                                               \
	(ZH__STORE_REC_MAX > ZH__OBJECT_REC_MAX ? ZH__STORE_REC_MAX : ZH__OBJECT_REC_MAX)

static uint8_t out_buf[FUZZ_REC_MAX > ZH__SB_BYTES ? FUZZ_REC_MAX : ZH__SB_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	if (a_len != b_len || memcmp(a, b, a_len) != 0)
		abort();
}

static void fuzz_sb(uint8_t *in, size_t len, bool reseal)
{
	struct zh__superblock sb;

	/* Block 0 is always whole: a short input is a block with zeros after it. */
	memset(in + len, 0, ZH__SB_BYTES - len);
	if (reseal) {
		memcpy(in, "ZHTPSTOR", 8);
		zh_le_put(in + SB_CRC_AT, zh_codec_crc32c(in, SB_CRC_AT), 4);
	}
	if (zh__sb_unpack(in, NULL, &sb) != 0)
		return;
	zh__sb_pack(&sb, out_buf);
	same_bytes(in, ZH__SB_BYTES, out_buf, ZH__SB_BYTES);
}

static void fuzz_store(const uint8_t *in, size_t len)
{
	static struct zh__store_rec rec;

	if (zh__store_rec_unpack(in, len, &rec) != 0)
		return;
	same_bytes(in, len, out_buf, zh__store_rec_pack(&rec, out_buf));
}

static void fuzz_object(const uint8_t *in, size_t len)
{
	struct zh__object_rec rec;
	size_t n;

	if (zh__object_rec_unpack(in, len, &rec) != 0)
		return;
	n = zh__object_rec_bytes(&rec);
	if (n > sizeof(out_buf))
		abort();
	zh__object_rec_pack(&rec, out_buf);
	same_bytes(in, len, out_buf, n);
}

static void fuzz_chunk(uint8_t *in, size_t len, bool reseal)
{
	struct zh__chunk_rec rec;

	/* The codec header's crc32c is its last 4 bytes, over the rest (fuzz_codec_decode.c). */
	if (reseal && len >= 4 + ZH_CODEC_HDR_BYTES)
		zh_le_put(in + 4 + ZH_CODEC_HDR_BYTES - 4,
			  zh_codec_crc32c(in + 4, ZH_CODEC_HDR_BYTES - 4), 4);
	if (zh__chunk_rec_unpack(in, len, &rec) != 0)
		return;
	same_bytes(in, len, out_buf, zh__chunk_rec_pack(&rec, out_buf));
}

static void fuzz_access(const uint8_t *in, size_t len)
{
	uint64_t last_unix_s, count;

	if (zh__access_rec_unpack(in, len, &last_unix_s, &count) != 0)
		return;
	zh__access_rec_pack(last_unix_s, count, out_buf);
	same_bytes(in, len, out_buf, ZH__ACCESS_REC_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned kind;
	bool reseal;
	size_t len;
	uint8_t *rec;

	if (size < 1 || size - 1 > FUZZ_REC_MAX)
		return 0;
	kind = (data[0] & 7u) % REC_KINDS;
	reseal = (data[0] & MODE_RESEAL) != 0;
	len = size - 1;
	if (kind == REC_SB && len > ZH__SB_BYTES)
		return 0;
	/* Sized to the record (block 0 is whole): ASan sees any read past it. */
	rec = malloc(kind == REC_SB ? ZH__SB_BYTES : len + (len == 0));
	if (rec == NULL)
		abort();
	memcpy(rec, data + 1, len);
	if (kind == REC_SB)
		fuzz_sb(rec, len, reseal);
	else if (kind == REC_STORE)
		fuzz_store(rec, len);
	else if (kind == REC_OBJECT)
		fuzz_object(rec, len);
	else if (kind == REC_CHUNK)
		fuzz_chunk(rec, len, reseal);
	else
		fuzz_access(rec, len);
	free(rec);
	return 0;
}
