/* SPDX-License-Identifier: MIT */
/*
 * test_superblock.c - block 0 of a device: round trip, fixed layout, and each refusal: not a
 * superblock, a flipped bit anywhere in the 4 KiB, a newer version, another store's device,
 * and fields that contradict each other.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "codec/codec.h"
#include "engine/engine_internal.h"

static struct zh__superblock sample(void)
{
	struct zh__superblock sb;

	/* Zeroed first, padding included, so that whole structs compare. */
	memset(&sb, 0, sizeof(sb));
	sb.version = ZH__SB_VERSION;
	for (unsigned i = 0; i < ZH__UUID_BYTES; i++)
		sb.store_uuid[i] = (uint8_t)(i + 1);
	sb.dev_index = 2;
	sb.dev_count = 6;
	sb.dev_bytes = 1ull << 30;
	sb.block_bytes = 4096;
	sb.chunk_bytes = 1u << 20;
	sb.ec_k = 4;
	sb.ec_m = 2;
	sb.created_unix_s = 1795000000;
	return sb;
}

static void reseal(uint8_t *p)
{
	uint32_t crc = zh_codec_crc32c(p, 124);

	memcpy(p + 124, &crc, 4); /* little-endian host */
}

Test(engine_superblock, round_trip_and_layout)
{
	struct zh__superblock sb = sample(), back;
	uint8_t blk[ZH__SB_BYTES];

	zh__sb_pack(&sb, blk);
	cr_assert_eq(memcmp(blk, "ZHTPSTOR", 8), 0);
	cr_assert_eq(blk[16], 1);
	cr_assert_eq(blk[56], 4);
	cr_assert_eq(zh__sb_unpack(blk, sb.store_uuid, &back), 0);
	cr_assert_eq(memcmp(&sb, &back, sizeof(sb)), 0);
	cr_assert_eq(zh__sb_unpack(blk, NULL, &back), 0, "no store to match: any store's device");
}

Test(engine_superblock, every_flipped_bit_is_refused)
{
	struct zh__superblock sb = sample(), back;
	uint8_t blk[ZH__SB_BYTES];

	zh__sb_pack(&sb, blk);
	for (unsigned bit = 0; bit < 8 * ZH__SB_BYTES; bit++) {
		blk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_lt(zh__sb_unpack(blk, NULL, &back), 0, "bit %u", bit);
		blk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

Test(engine_superblock, refusals)
{
	struct zh__superblock sb = sample(), back;
	uint8_t blk[ZH__SB_BYTES], other[ZH__UUID_BYTES] = {9};

	memset(blk, 0, sizeof(blk));
	cr_assert_eq(zh__sb_unpack(blk, NULL, &back), -EBADMSG, "an unformatted device");
	zh__sb_pack(&sb, blk);
	cr_assert_eq(zh__sb_unpack(blk, other, &back), -EXDEV);
	sb.version = 2;
	zh__sb_pack(&sb, blk);
	cr_assert_eq(zh__sb_unpack(blk, NULL, &back), -EPROTONOSUPPORT);
	sb = sample();
	sb.dev_index = 6;
	zh__sb_pack(&sb, blk);
	cr_assert_eq(zh__sb_unpack(blk, NULL, &back), -EINVAL);
	sb = sample();
	sb.block_bytes = 3000;
	zh__sb_pack(&sb, blk);
	cr_assert_eq(zh__sb_unpack(blk, NULL, &back), -EINVAL);
	sb = sample();
	zh__sb_pack(&sb, blk);
	blk[60] = 1; /* reserved */
	reseal(blk);
	cr_assert_eq(zh__sb_unpack(blk, NULL, &back), -EBADMSG);
}

/*
 * Regression: the padding, flags and reserved bytes were checked before the version and the
 * uuid, so another store's device with one nonzero padding byte, or a newer version that uses
 * a flag, read as this store's damaged device, and repair wrote over it.
 */
Test(engine_superblock, another_stores_or_a_newer_device_is_never_taken_for_ours)
{
	struct zh__superblock sb = sample(), back;
	uint8_t blk[ZH__SB_BYTES], mine[ZH__UUID_BYTES] = {9};

	zh__sb_pack(&sb, blk);
	blk[2048] = 1; /* padding: not sealed by the crc */
	cr_assert_eq(zh__sb_unpack(blk, mine, &back), -EXDEV);
	cr_assert_eq(zh__sb_unpack(blk, sb.store_uuid, &back), -EBADMSG, "ours, damaged");

	sb.version = 2;
	zh__sb_pack(&sb, blk);
	blk[12] = 1; /* flags */
	reseal(blk);
	cr_assert_eq(zh__sb_unpack(blk, mine, &back), -EPROTONOSUPPORT);

	/* A bad crc: the uuid field is all there is to go by; another's is never written over. */
	sb = sample();
	zh__sb_pack(&sb, blk);
	blk[64] ^= 1;
	cr_assert_eq(zh__sb_unpack(blk, mine, &back), -EBADMSG);
	cr_assert(zh__sb_foreign(blk, mine));
	cr_assert_not(zh__sb_foreign(blk, sb.store_uuid), "ours, damaged");
	cr_assert_not(zh__sb_foreign(blk, NULL), "no store to compare with");

	memset(blk, 0, sizeof(blk));
	cr_assert_not(zh__sb_foreign(blk, mine), "blank");
	memcpy(blk,
	       "\x7f"
	       "ELF",
	       4);
	cr_assert(zh__sb_foreign(blk, mine), "someone else's data");
}
