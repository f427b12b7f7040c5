/* SPDX-License-Identifier: MIT */
/*
 * AES-256-GCM over one small buffer, outside the chunk pipeline: the store seals objects it
 * keeps inline in their metadata record with it. Chunks are encrypted by zh_codec_chunk_encode
 * with the core's cipher context; these calls run on control threads, which have none, so each
 * call makes and frees its own (about a microsecond, beside the synced WAL write of the put).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

#include "codec/codec_internal.h"

/* \return 1 done, 0 refused (open: the tag does not match), -errno. */
static int seal_run(bool encrypt, const struct zh_codec_key *key,
		    const uint8_t nonce[ZH_CODEC_NONCE_BYTES], const void *aad, size_t aad_len,
		    const void *in, size_t len, uint8_t *out, uint8_t tag[ZH_CODEC_TAG_BYTES])
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, ok;

	if (len > INT_MAX || aad_len > INT_MAX)
		return -E2BIG;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, nonce, encrypt) == 1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1;
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, ZH_CODEC_TAG_BYTES, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
	if (ok && encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, ZH_CODEC_TAG_BYTES, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 1 : 0;
}

int zh_codec_seal(const struct zh_codec_key *key, const uint8_t nonce[ZH_CODEC_NONCE_BYTES],
		  const void *aad, size_t aad_len, const void *in, size_t len, uint8_t *out,
		  uint8_t tag[ZH_CODEC_TAG_BYTES])
{
	int rc = seal_run(true, key, nonce, aad, aad_len, in, len, out, tag);

	/* Encryption cannot be refused on valid arguments: that would be a library fault. */
	return rc == 1 ? 0 : rc == 0 ? -EIO : rc;
}

int zh_codec_open(const struct zh_codec_key *key, const uint8_t nonce[ZH_CODEC_NONCE_BYTES],
		  const void *aad, size_t aad_len, const void *in, size_t len,
		  const uint8_t tag[ZH_CODEC_TAG_BYTES], uint8_t *out)
{
	uint8_t tag_copy[ZH_CODEC_TAG_BYTES];
	int rc;

	/* OpenSSL's SET_TAG takes a non-const pointer. */
	memcpy(tag_copy, tag, sizeof(tag_copy));
	rc = seal_run(false, key, nonce, aad, aad_len, in, len, out, tag_copy);
	return rc == 1 ? 0 : rc == 0 ? -EBADMSG : rc;
}
