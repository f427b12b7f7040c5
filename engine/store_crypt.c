/* SPDX-License-Identifier: MIT */
/*
 * store: encryption at rest. An encrypted store has one AES-256 key, given at format and at
 * every open; the store record keeps only a check value that tells the right key from a wrong
 * one. Chunks are encrypted by the codec on the reactors; objects kept inline are sealed here,
 * on the putting thread, with the object's hash and size as associated data so that a record's
 * sealed bytes cannot be passed off as another object's.
 *
 * Nonces: GCM must never see one (key, nonce) pair twice. Every nonce sequence (one per reactor,
 * one for inline objects) starts from 96 random bits drawn at open and counts up in its low 64
 * bits. With S sequences ever drawn for a key and T nonces used in all, the chance that any
 * nonce repeats is below S * T / 2^96: 2^24 opens' sequences and 2^40 chunks (an exbibyte)
 * give 2^-32.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/store_internal.h"

#define KEY_CHECK_DOMAIN "zhtp-key-check-v1"

int zh__nonce_seq_init(struct zh__nonce_seq *seq)
{
	if (getrandom(seq->base, sizeof(seq->base), 0) != (ssize_t)sizeof(seq->base))
		return -EIO;
	atomic_store_explicit(&seq->next, 0, memory_order_relaxed);
	return 0;
}

void zh__nonce_next(struct zh__nonce_seq *seq, uint8_t out[ZH_CODEC_NONCE_BYTES])
{
	uint64_t n = atomic_fetch_add_explicit(&seq->next, 1, memory_order_relaxed);

	memcpy(out, seq->base, 4);
	zh_le_put(out + 4, zh_le_get(seq->base + 4, 8) + n, 8);
}

void zh__key_check(const uint8_t uuid[ZH__UUID_BYTES], const struct zh_codec_key *key,
		   uint8_t out[ZH__KEY_CHECK_BYTES])
{
	uint8_t msg[sizeof(KEY_CHECK_DOMAIN) - 1 + ZH__UUID_BYTES + ZH_CODEC_KEY_BYTES];

	/* A one-way function of a 256-bit random key: it reveals nothing usable about the key. */
	memcpy(msg, KEY_CHECK_DOMAIN, sizeof(KEY_CHECK_DOMAIN) - 1);
	memcpy(msg + sizeof(KEY_CHECK_DOMAIN) - 1, uuid, ZH__UUID_BYTES);
	memcpy(msg + sizeof(KEY_CHECK_DOMAIN) - 1 + ZH__UUID_BYTES, key->bytes, ZH_CODEC_KEY_BYTES);
	zh_codec_sha256(NULL, msg, sizeof(msg), out);
	explicit_bzero(msg, sizeof(msg));
}

int zh_store_key_file_read(const char *path, struct zh_codec_key *key)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t extra;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, key->bytes, sizeof(key->bytes));
	/* One byte more must not be there: a longer file is not a key file either. */
	if (n == (ssize_t)sizeof(key->bytes) && read(fd, &extra, 1) != 0)
		n = -1;
	close(fd);
	if (n == (ssize_t)sizeof(key->bytes))
		return 0;
	explicit_bzero(key, sizeof(*key));
	return -EBADMSG;
}

int zh__store_key_use(struct zh_store *s, const struct zh_codec_key *key)
{
	uint8_t check[ZH__KEY_CHECK_BYTES];

	if (!s->rec.encrypted)
		return key == NULL ? 0 : -EINVAL;
	if (key == NULL)
		return -ENOKEY;
	zh__key_check(s->rec.uuid, key, check);
	if (memcmp(check, s->rec.key_check, sizeof(check)) != 0)
		return -EKEYREJECTED;
	s->key = *key;
	return zh__nonce_seq_init(&s->inline_nonce);
}

static void inline_aad(const uint8_t hash[ZH_CODEC_HASH_BYTES], uint64_t size,
		       uint8_t aad[ZH_CODEC_HASH_BYTES + 8])
{
	memcpy(aad, hash, ZH_CODEC_HASH_BYTES);
	zh_le_put(aad + ZH_CODEC_HASH_BYTES, size, 8);
}

int zh__inline_seal(struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		    const uint8_t *plain, uint64_t size, uint8_t *out)
{
	uint8_t aad[ZH_CODEC_HASH_BYTES + 8];

	inline_aad(hash, size, aad);
	zh__nonce_next(&s->inline_nonce, out);
	return zh_codec_seal(&s->key, out, aad, sizeof(aad), plain, size, out + ZH__SEAL_BYTES,
			     out + ZH_CODEC_NONCE_BYTES);
}

int zh__inline_open(const struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		    const uint8_t *sealed, uint64_t size, uint8_t *plain)
{
	uint8_t aad[ZH_CODEC_HASH_BYTES + 8];

	if (!s->rec.encrypted)
		return -ENOKEY;
	inline_aad(hash, size, aad);
	return zh_codec_open(&s->key, sealed, aad, sizeof(aad), sealed + ZH__SEAL_BYTES, size,
			     sealed + ZH_CODEC_NONCE_BYTES, plain);
}
