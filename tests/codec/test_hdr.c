/* SPDX-License-Identifier: MIT */
/*
 * test_hdr.c - the chunk header's packed form: round trip, fixed byte offsets (docs/format.md),
 * and refusal of every kind of damage: magic, crc, version, flags, reserved bytes and
 * inconsistent lengths each give their documented error.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "codec/codec.h"

static struct zh_codec_hdr sample(void)
{
	struct zh_codec_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = ZH_CODEC_VERSION;
	h.flags = ZH_CODEC_F_COMPRESSED | ZH_CODEC_F_ENCRYPTED;
	h.ec_k = 8;
	h.ec_m = 4;
	h.raw_bytes = 1u << 20;
	h.stored_bytes = 300000;
	h.shard_bytes = zh_codec_shard_bytes(8, 300000);
	for (unsigned i = 0; i < ZH_CODEC_NONCE_BYTES; i++)
		h.nonce[i] = (uint8_t)(i + 1);
	for (unsigned i = 0; i < ZH_CODEC_TAG_BYTES; i++)
		h.tag[i] = (uint8_t)(0xf0 + i);
	for (unsigned i = 0; i < 12; i++)
		h.shard_crc[i] = 0x01020304u * (i + 1);
	return h;
}

/* Re-seal a damaged packed header with a correct crc, so that the field check is what fails. */
static void reseal(uint8_t *p)
{
	uint32_t crc = zh_codec_crc32c(p, 188);

	p[188] = (uint8_t)crc;
	p[189] = (uint8_t)(crc >> 8);
	p[190] = (uint8_t)(crc >> 16);
	p[191] = (uint8_t)(crc >> 24);
}

Test(codec_hdr, round_trip)
{
	struct zh_codec_hdr h = sample(), back;
	uint8_t p[ZH_CODEC_HDR_BYTES];

	zh_codec_hdr_pack(&h, p);
	cr_assert_eq(zh_codec_hdr_unpack(p, &back), 0);
	cr_assert_eq(memcmp(&h, &back, sizeof(h)), 0);
}

Test(codec_hdr, fixed_offsets_little_endian)
{
	struct zh_codec_hdr h = sample();
	uint8_t p[ZH_CODEC_HDR_BYTES];

	zh_codec_hdr_pack(&h, p);
	cr_assert_eq(memcmp(p, "ZHCK", 4), 0);
	cr_assert_eq(p[4], 1);
	cr_assert_eq(p[5], 3);
	cr_assert_eq(p[6], 8);
	cr_assert_eq(p[7], 4);
	cr_assert_eq(p[8] | p[9] << 8 | p[10] << 16 | p[11] << 24, 1 << 20);
	cr_assert_eq(p[12] | p[13] << 8 | p[14] << 16 | p[15] << 24, 300000);
	cr_assert_eq(p[24], 1);	   /* nonce */
	cr_assert_eq(p[36], 0xf0); /* tag */
	cr_assert_eq(p[60], 0x04); /* shard_crc[0], low byte first */
	cr_assert_eq(zh_codec_crc32c(p, 188),
		     (uint32_t)(p[188] | p[189] << 8 | p[190] << 16 | (uint32_t)p[191] << 24));
}

Test(codec_hdr, any_flipped_bit_is_refused)
{
	struct zh_codec_hdr h = sample(), back;
	uint8_t p[ZH_CODEC_HDR_BYTES];

	zh_codec_hdr_pack(&h, p);
	for (unsigned bit = 0; bit < 8 * ZH_CODEC_HDR_BYTES; bit++) {
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(zh_codec_hdr_unpack(p, &back), -EBADMSG, "bit %u", bit);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

Test(codec_hdr, field_checks)
{
	struct zh_codec_hdr h = sample(), back;
	uint8_t p[ZH_CODEC_HDR_BYTES];
	struct {
		unsigned off;
		uint8_t val;
		int err;
	} cases[] = {
	    {4, 2, -EPROTONOSUPPORT},	/* version */
	    {5, 0xb, -EPROTONOSUPPORT}, /* unknown flag */
	    {5, 0x5, -EBADMSG},		/* bound, but not encrypted */
	    {6, 0, -EBADMSG},		/* k = 0 */
	    {6, 30, -EBADMSG},		/* k + m > 32 */
	    {11, 0x10, -EBADMSG},	/* raw length past the chunk limit */
	    {16, 0x41, -EBADMSG},	/* shard length not the canonical one */
	    {20, 1, -EBADMSG},		/* reserved */
	    {52, 1, -EBADMSG},		/* reserved */
	    {60 + 4 * 12, 1, -EBADMSG}, /* crc of a shard past k + m */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zh_codec_hdr_pack(&h, p);
		p[cases[i].off] = cases[i].val;
		reseal(p);
		cr_assert_eq(zh_codec_hdr_unpack(p, &back), cases[i].err, "case %u", i);
	}
}

Test(codec_hdr, lengths_must_agree_with_flags)
{
	struct zh_codec_hdr h = sample(), back;
	uint8_t p[ZH_CODEC_HDR_BYTES];

	/* A plain chunk: stored length equals raw length, no nonce, no tag. */
	h.flags = 0;
	h.stored_bytes = h.raw_bytes;
	h.shard_bytes = zh_codec_shard_bytes(8, h.stored_bytes);
	memset(h.nonce, 0, sizeof(h.nonce));
	memset(h.tag, 0, sizeof(h.tag));
	zh_codec_hdr_pack(&h, p);
	cr_assert_eq(zh_codec_hdr_unpack(p, &back), 0);
	/* Marked compressed although it is not smaller. */
	p[5] = ZH_CODEC_F_COMPRESSED;
	reseal(p);
	cr_assert_eq(zh_codec_hdr_unpack(p, &back), -EBADMSG);
	/* Plain with a nonce. */
	zh_codec_hdr_pack(&h, p);
	p[30] = 1;
	reseal(p);
	cr_assert_eq(zh_codec_hdr_unpack(p, &back), -EBADMSG);
}

Test(codec_hdr, shard_length_rounds_to_alignment)
{
	cr_assert_eq(zh_codec_shard_bytes(8, 0), 0);
	cr_assert_eq(zh_codec_shard_bytes(8, 1), 64);
	cr_assert_eq(zh_codec_shard_bytes(8, 1u << 20), 131072);
	cr_assert_eq(zh_codec_shard_bytes(10, 1u << 20), 104896);
	cr_assert_eq(zh_codec_shard_bytes(3, 1000), 384);
}
