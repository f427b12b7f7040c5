/* SPDX-License-Identifier: MIT */
/*
 * test_seal.c - AES-256-GCM on one buffer (zh_codec_seal/open): the published GCM test vector,
 * round trips in place and out of place, and refusal of a changed ciphertext, tag, nonce or
 * associated data.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "codec/codec.h"

Test(codec_seal, gcm_spec_test_case_14)
{
	/* McGrew and Viega, "The Galois/Counter Mode of Operation", test case 14: zero key,
	 * zero nonce, one zero block, no associated data. */
	static const uint8_t want_ct[16] = {0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
					    0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18};
	static const uint8_t want_tag[16] = {0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
					     0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19};
	struct zh_codec_key key = {{0}};
	uint8_t nonce[ZH_CODEC_NONCE_BYTES] = {0}, plain[16] = {0}, ct[16], tag[16], back[16];

	cr_assert_eq(zh_codec_seal(&key, nonce, NULL, 0, plain, 16, ct, tag), 0);
	cr_assert_arr_eq(ct, want_ct, 16);
	cr_assert_arr_eq(tag, want_tag, 16);
	cr_assert_eq(zh_codec_open(&key, nonce, NULL, 0, ct, 16, tag, back), 0);
	cr_assert_arr_eq(back, plain, 16);
}

Test(codec_seal, round_trip_in_place_and_refusals)
{
	struct zh_codec_key key;
	uint8_t nonce[ZH_CODEC_NONCE_BYTES], aad[40], plain[3000], buf[3000], back[3000], tag[16];

	for (unsigned i = 0; i < sizeof(key.bytes); i++)
		key.bytes[i] = (uint8_t)(i * 7 + 1);
	memset(nonce, 0x42, sizeof(nonce));
	memset(aad, 0x17, sizeof(aad));
	for (unsigned i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 31);
	memcpy(buf, plain, sizeof(buf));
	cr_assert_eq(zh_codec_seal(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), buf, tag), 0);
	cr_assert_arr_neq(buf, plain, sizeof(buf));
	cr_assert_eq(zh_codec_open(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag, back), 0);
	cr_assert_arr_eq(back, plain, sizeof(back));

	aad[3] ^= 1;
	cr_assert_eq(zh_codec_open(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag, back),
		     -EBADMSG);
	aad[3] ^= 1;
	nonce[11] ^= 1;
	cr_assert_eq(zh_codec_open(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag, back),
		     -EBADMSG);
	nonce[11] ^= 1;
	tag[0] ^= 1;
	cr_assert_eq(zh_codec_open(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag, back),
		     -EBADMSG);
	tag[0] ^= 1;
	buf[2999] ^= 1;
	cr_assert_eq(zh_codec_open(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag, back),
		     -EBADMSG);
	buf[2999] ^= 1;
	cr_assert_eq(zh_codec_open(&key, nonce, aad, sizeof(aad), buf, sizeof(buf), tag, buf), 0);
	cr_assert_arr_eq(buf, plain, sizeof(buf));
}
