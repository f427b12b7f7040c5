/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data verification: the block header, the payload generator and the check. The
 * payload changes with every write (seeded by offset and write number), so a torn write that
 * mixes an old and a new version fails the crc even where the header survived.
 */
#include "bench_verify.h"

#include <string.h>

#include "bench_data.h"
#include "codec/codec.h"

/* "ZHVF" little-endian. */
#define VERIFY_MAGIC 0x46564853u

/* The crc comes first, so that one crc32c covers the rest of the block in one run. */
struct verify_hdr {
	uint32_t crc; /* crc32c of the block's bytes after this field */
	uint32_t magic;
	uint32_t len;
	uint32_t reserved;
	uint64_t offset;
	uint64_t seq;
};

_Static_assert(sizeof(struct verify_hdr) == ZH_BENCH_VERIFY_HDR_BYTES, "header layout");

static uint32_t block_crc(const void *block, uint32_t len)
{
	return zh_codec_crc32c((const uint8_t *)block + sizeof(uint32_t), len - sizeof(uint32_t));
}

void zh_bench_verify_fill(void *block, uint32_t len, uint64_t offset, uint64_t seq)
{
	uint8_t *b = block;
	/* A seed of (offset, seq), so every write's payload differs; never zero. */
	uint64_t x = ((offset * 0x9e3779b97f4a7c15ull) ^ (seq * 0xbf58476d1ce4e5b9ull)) | 1;
	struct verify_hdr h = {.magic = VERIFY_MAGIC, .len = len, .offset = offset, .seq = seq};

	ZH_ASSERT(len >= ZH_BENCH_VERIFY_MIN_BLOCK);
	zh_bench_data_random(b + ZH_BENCH_VERIFY_HDR_BYTES, len - ZH_BENCH_VERIFY_HDR_BYTES, &x);
	memcpy(b, &h, sizeof(h));
	h.crc = block_crc(b, len);
	memcpy(b, &h.crc, sizeof(h.crc));
}

enum zh_bench_verify_result zh_bench_verify_check(const void *block, uint32_t len, uint64_t offset,
						  uint64_t want_seq, uint64_t *got_seq)
{
	struct verify_hdr h;

	ZH_ASSERT(len >= ZH_BENCH_VERIFY_MIN_BLOCK);
	memcpy(&h, block, sizeof(h));
	*got_seq = 0;
	if (h.magic != VERIFY_MAGIC)
		return ZH_BENCH_VERIFY_BAD_MAGIC;
	if (h.len != len)
		return ZH_BENCH_VERIFY_BAD_LENGTH;
	if (h.crc != block_crc(block, len))
		return ZH_BENCH_VERIFY_BAD_CRC;
	*got_seq = h.seq;
	if (h.offset != offset)
		return ZH_BENCH_VERIFY_BAD_OFFSET;
	if (want_seq != 0 && h.seq != want_seq)
		return ZH_BENCH_VERIFY_STALE;
	return ZH_BENCH_VERIFY_OK;
}

const char *zh_bench_verify_result_name(enum zh_bench_verify_result r)
{
	switch (r) {
	case ZH_BENCH_VERIFY_OK:
		return "ok";
	case ZH_BENCH_VERIFY_BAD_MAGIC:
		return "bad magic";
	case ZH_BENCH_VERIFY_BAD_LENGTH:
		return "bad length";
	case ZH_BENCH_VERIFY_BAD_OFFSET:
		return "misdirected";
	case ZH_BENCH_VERIFY_BAD_CRC:
		return "crc mismatch";
	case ZH_BENCH_VERIFY_STALE:
		return "stale";
	}
	return "invalid";
}
