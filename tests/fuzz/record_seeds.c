/* SPDX-License-Identifier: MIT */
/*
 * record_seeds.c - writes the seed corpus of fuzz_store_records (tests/fuzz/corpus-records/):
 * one record of each kind as the store packs it, behind the harness's mode byte. Without
 * seeds the fuzzer rarely gets past a codec header's magic and crc32c. Run it from the
 * repository root when a record's layout changes: build-fuzz/tests/fuzz/record_seeds
 */
#include <stdio.h>
#include <string.h>

#include "engine/store_internal.h"
#include "fuzz_store_records.h"

#define SEED_DIR "tests/fuzz/corpus-records/"

static uint8_t rec_buf[ZH__STORE_REC_MAX];
static_assert(ZH__STORE_REC_MAX >= ZH__SB_BYTES && ZH__STORE_REC_MAX >= ZH__OBJECT_REC_MAX,
	      "rec_buf holds every record");

static int seed_write(const char *name, unsigned mode, size_t len)
{
	char path[256];
	uint8_t m = (uint8_t)mode;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), SEED_DIR "%s", name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	ok = fwrite(&m, 1, 1, f) == 1 && fwrite(rec_buf, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : 1;
}

static int seed_objects(void)
{
	static const uint8_t data[5] = {'h', 'e', 'l', 'l', 'o'};
	struct zh__object_rec chunked = {.layout = ZH_OBJECT_CHUNKED,
					 .ec_k = 4,
					 .ec_m = 2,
					 .chunk_bytes = 1u << 20,
					 .size_bytes = 3u << 20,
					 .stored_bytes = 1u << 21,
					 .chunk_count = 3,
					 .refcount = 1,
					 .created_unix_s = 1790000000};
	struct zh_object_meta meta = {
	    .owner = "alice", .content_type = "text/plain", .filename = "a.txt", .tags = "x,y"};
	struct zh__object_rec inl = {.layout = ZH_OBJECT_INLINE,
				     .size_bytes = sizeof(data),
				     .stored_bytes = sizeof(data),
				     .refcount = 2,
				     .inline_data = data,
				     .inline_crc = zh_codec_crc32c(data, sizeof(data))};
	int bad = 0;

	bad |= zh__object_rec_set_meta(&chunked, &meta) != 0;
	zh__object_rec_pack(&chunked, rec_buf);
	bad |= seed_write("object-chunked", REC_OBJECT, zh__object_rec_bytes(&chunked));
	bad |= zh__object_rec_set_meta(&inl, NULL) != 0;
	zh__object_rec_pack(&inl, rec_buf);
	bad |= seed_write("object-inline", REC_OBJECT, zh__object_rec_bytes(&inl));
	chunked.encrypted = true;
	chunked.bound = true;
	memset(chunked.put_id, 0x5a, sizeof(chunked.put_id));
	memset(chunked.seal_tag, 0xa5, sizeof(chunked.seal_tag));
	zh__object_rec_pack(&chunked, rec_buf);
	bad |= seed_write("object-bound", REC_OBJECT, zh__object_rec_bytes(&chunked));
	return bad;
}

static int seed_chunk(void)
{
	struct zh__chunk_rec ch = {.hdr = {.version = ZH_CODEC_VERSION,
					   .ec_k = 4,
					   .ec_m = 2,
					   .raw_bytes = 65536,
					   .stored_bytes = 65536,
					   .shard_bytes = zh_codec_shard_bytes(4, 65536),
					   .shard_crc = {1, 2, 3, 4, 5, 6}},
				   .hash = {9, 8, 7}};

	for (unsigned i = 0; i < 6; i++) {
		ch.loc[i].dev = (uint16_t)i;
		ch.loc[i].offset_bytes = 4096ull * (i + 1);
	}
	return seed_write("chunk", REC_CHUNK, zh__chunk_rec_pack(&ch, rec_buf));
}

int main(void)
{
	struct zh__superblock sb = {.version = ZH__SB_VERSION,
				    .store_uuid = {1, 2, 3},
				    .dev_index = 1,
				    .dev_count = 3,
				    .dev_bytes = 1u << 30,
				    .block_bytes = 4096,
				    .chunk_bytes = 1u << 20,
				    .ec_k = 4,
				    .ec_m = 2,
				    .created_unix_s = 1790000000};
	struct zh__store_rec st = {.dev_count = 2,
				   .block_bytes = 4096,
				   .chunk_bytes = 1u << 20,
				   .small_max_bytes = 16384,
				   .ec_k = 4,
				   .ec_m = 2,
				   .encrypted = true,
				   .bound = true};
	int bad = 0;

	zh__sb_pack(&sb, rec_buf);
	bad |=
	    seed_write("superblock", REC_SB | MODE_RESEAL, 128); /* the rest of block 0 is zeros */
	strcpy(st.dev_path[0], "var/zhtp/dev0.img");
	strcpy(st.dev_path[1], "/dev/ng0n1");
	bad |= seed_write("store", REC_STORE, zh__store_rec_pack(&st, rec_buf));
	bad |= seed_objects();
	bad |= seed_chunk();
	zh__access_rec_pack(1790000000, 42, rec_buf);
	bad |= seed_write("access", REC_ACCESS, ZH__ACCESS_REC_BYTES);
	return bad;
}
