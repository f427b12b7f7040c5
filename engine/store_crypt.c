/* SPDX-License-Identifier: MIT */
/*
 * store: encryption at rest. An encrypted store has one AES-256 key, given at format and at
 * every open; the store record keeps only a check value that tells the right key from a wrong
 * one. Chunks are encrypted by the codec on the reactors; objects kept inline are sealed here,
 * on the putting thread, with the object's hash and size as associated data so that a record's
 * sealed bytes cannot be passed off as another object's.
 *
 * Nonces: GCM must never see one (key, nonce) pair twice. Every nonce sequence (one per reactor,
 * one for inline objects and put ids, each of which seals its record once) starts from 96
 * random bits drawn at open and counts up in its low 64 bits. With S sequences ever drawn for
 * a key and T nonces used in all, the chance that any nonce repeats is below S * T / 2^96:
 * 2^24 opens' sequences and 2^40 chunks (an exbibyte) give 2^-32.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/store_internal.h"

#define KEY_CHECK_DOMAIN "zhtp-key-check-v1"
/*
 * A bound store's check (store record flag bit 1) has its own domain, so that the flag, which
 * decides whether records and chunks must be bound, cannot be cleared (or set) without the key:
 * the check would no longer match.
 */
#define KEY_CHECK_DOMAIN_BOUND "zhtp-key-check-v2"

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

void zh__key_check(const uint8_t uuid[ZH__UUID_BYTES], const struct zh_codec_key *key, bool bound,
		   uint8_t out[ZH__KEY_CHECK_BYTES])
{
	const char *domain = bound ? KEY_CHECK_DOMAIN_BOUND : KEY_CHECK_DOMAIN;
	uint8_t msg[sizeof(KEY_CHECK_DOMAIN) - 1 + ZH__UUID_BYTES + ZH_CODEC_KEY_BYTES];

	static_assert(sizeof(KEY_CHECK_DOMAIN) == sizeof(KEY_CHECK_DOMAIN_BOUND), "one length");
	/* A one-way function of a 256-bit random key: it reveals nothing usable about the key. */
	memcpy(msg, domain, sizeof(KEY_CHECK_DOMAIN) - 1);
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
	zh__key_check(s->rec.uuid, key, s->rec.bound, check);
	if (memcmp(check, s->rec.key_check, sizeof(check)) != 0) {
		/* The key's check under the other flag: the key is right, the flag was changed. */
		zh__key_check(s->rec.uuid, key, !s->rec.bound, check);
		return memcmp(check, s->rec.key_check, sizeof(check)) == 0 ? -EUCLEAN
									   : -EKEYREJECTED;
	}
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

void zh__chunk_bind(const uint8_t put_id[ZH__PUT_ID_BYTES], uint32_t index,
		    uint8_t bind[ZH_CODEC_BIND_BYTES])
{
	static_assert(ZH__PUT_ID_BYTES + 4 == ZH_CODEC_BIND_BYTES, "a put id and an index");
	memcpy(bind, put_id, ZH__PUT_ID_BYTES);
	zh_le_put(bind + ZH__PUT_ID_BYTES, index, 4);
}

/*
 * A bound record's seal: GCM over no bytes, the put's id its nonce (drawn once, from the
 * store's sequence, so never repeated under the key), the tag covering a domain tag, the
 * object's hash, the put's id and the fields that fix the content and the chunks' places:
 * size, chunk length and count, k and m. Moving a record to another object's hash, or giving
 * it another put's id (to claim that put's chunks), fails it. Its reference count, creation
 * time and descriptive strings change or say nothing of the content, and are not covered.
 */
#define OBJECT_SEAL_DOMAIN "zhtp object record v1"
#define OBJECT_SEAL_AAD_BYTES                                                                      \
	(sizeof(OBJECT_SEAL_DOMAIN) + ZH_CODEC_HASH_BYTES + ZH__PUT_ID_BYTES + 8 + 4 + 4 + 2)

static void object_seal_aad(const uint8_t hash[ZH_CODEC_HASH_BYTES],
			    const struct zh__object_rec *rec, uint8_t aad[OBJECT_SEAL_AAD_BYTES])
{
	uint8_t *p = aad;

	memcpy(p, OBJECT_SEAL_DOMAIN, sizeof(OBJECT_SEAL_DOMAIN));
	p += sizeof(OBJECT_SEAL_DOMAIN);
	memcpy(p, hash, ZH_CODEC_HASH_BYTES);
	p += ZH_CODEC_HASH_BYTES;
	memcpy(p, rec->put_id, ZH__PUT_ID_BYTES);
	p += ZH__PUT_ID_BYTES;
	zh_le_put(p, rec->size_bytes, 8);
	zh_le_put(p + 8, rec->chunk_bytes, 4);
	zh_le_put(p + 12, rec->chunk_count, 4);
	p[16] = rec->ec_k;
	p[17] = rec->ec_m;
}

int zh__object_seal(const struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		    struct zh__object_rec *rec)
{
	uint8_t aad[OBJECT_SEAL_AAD_BYTES];
	uint8_t none[1] = {0};

	ZH_ASSERT(rec->bound);
	object_seal_aad(hash, rec, aad);
	return zh_codec_seal(&s->key, rec->put_id, aad, sizeof(aad), none, 0, none, rec->seal_tag);
}

int zh__object_seal_check(const struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
			  const struct zh__object_rec *rec)
{
	uint8_t aad[OBJECT_SEAL_AAD_BYTES];
	uint8_t none[1] = {0};
	bool must = s->rec.bound && rec->encrypted && rec->layout == ZH_OBJECT_CHUNKED;
	int rc;

	if (rec->bound != must)
		return -EUCLEAN;
	if (!must)
		return 0;
	object_seal_aad(hash, rec, aad);
	rc = zh_codec_open(&s->key, rec->put_id, aad, sizeof(aad), none, 0, rec->seal_tag, none);
	/* A seal that does not open is a damaged record; running out of memory is not. */
	return rc == -EBADMSG ? -EUCLEAN : rc;
}
