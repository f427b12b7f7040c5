/* SPDX-License-Identifier: MIT */
/*
 * test_store_crypt.c - encryption at rest: an encrypted store leaves none of its objects'
 * bytes in its device files or its index (a plain store, the control, does); it opens only with
 * its key; it dedups, serves ranges, survives damaged shards, and fsck and scrub work on it; the
 * records that carry the encryption flag and key check parse strictly; nonces do not repeat;
 * a key file is exactly one key.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/store_internal.h"
#include "store_testing.h"

static char dir[256];

static void setup(void)
{
	zt_scratch_dir(dir, sizeof(dir), "store-crypt");
}

static void teardown(void)
{
	zt_rm_rf(dir);
}

TestSuite(engine_store_crypt, .init = setup, .fini = teardown);

static const struct zh_codec_key key_a = {{1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
					   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					   23, 24, 25, 26, 27, 28, 29, 30, 31, 32}};
static const struct zh_codec_key key_b = {{32, 2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
					   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					   23, 24, 25, 26, 27, 28, 29, 30, 31, 1}};

static struct zh_store *open_with(const struct zh_codec_key *key, bool format)
{
	struct zh_store_opts o;

	zt_store_opts(&o, dir);
	o.key = key;
	return format ? zt_format_open(&o) : zt_open(&o);
}

static int open_rc(const struct zh_codec_key *key)
{
	struct zh_store_opts o;
	struct zh_store *s = NULL;
	int rc;

	zt_store_opts(&o, dir);
	o.key = key;
	rc = zh_store_open(&o, &s);
	zh_store_close(s);
	return rc;
}

#define INLINE_BYTES  (8u << 10)
#define CHUNKED_BYTES (3 * ZT_MIB + 12345)

/* Put one inline and one chunked object of random bytes, close, and say whether 64 bytes from
 * the middle of each are anywhere under the store's directory. */
static void put_and_search(const struct zh_codec_key *key, bool *inline_seen, bool *chunked_seen)
{
	uint8_t *small = zt_random(INLINE_BYTES, 1), *large = zt_random(CHUNKED_BYTES, 2);
	uint8_t h_small[ZH_CODEC_HASH_BYTES], h_large[ZH_CODEC_HASH_BYTES];
	struct zh_store *s = open_with(key, true);

	cr_assert_eq(zh_store_put(s, small, INLINE_BYTES, NULL, h_small), 0);
	cr_assert_eq(zh_store_put(s, large, CHUNKED_BYTES, NULL, h_large), 0);
	cr_assert_eq(zt_get_cmp(s, h_small, small, INLINE_BYTES), 0);
	cr_assert_eq(zt_get_cmp(s, h_large, large, CHUNKED_BYTES), 0);
	zh_store_close(s);
	*inline_seen = zt_tree_contains(dir, small + INLINE_BYTES / 2, 64);
	*chunked_seen = zt_tree_contains(dir, large + CHUNKED_BYTES / 2, 64);
	free(small);
	free(large);
}

Test(engine_store_crypt, plain_store_shows_its_bytes_encrypted_one_does_not)
{
	bool inline_seen, chunked_seen;

	/* The control: the search finds what a plain store keeps. */
	put_and_search(NULL, &inline_seen, &chunked_seen);
	cr_assert(inline_seen && chunked_seen, "plain store: inline %d chunked %d", inline_seen,
		  chunked_seen);
	zt_rm_rf(dir);
	put_and_search(&key_a, &inline_seen, &chunked_seen);
	cr_assert(!inline_seen && !chunked_seen, "encrypted store: inline %d chunked %d",
		  inline_seen, chunked_seen);
}

Test(engine_store_crypt, opens_only_with_its_key)
{
	uint8_t *data = zt_random(CHUNKED_BYTES, 3);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store *s = open_with(&key_a, true);
	struct zh_store_info info;

	cr_assert_eq(zh_store_put(s, data, CHUNKED_BYTES, NULL, hash), 0);
	zh_store_close(s);
	cr_assert_eq(open_rc(NULL), -ENOKEY);
	cr_assert_eq(open_rc(&key_b), -EKEYREJECTED);
	s = open_with(&key_a, false);
	zh_store_info_get(s, &info);
	cr_assert(info.encrypted);
	cr_assert_eq(zt_get_cmp(s, hash, data, CHUNKED_BYTES), 0);
	zh_store_close(s);
	free(data);
}

Test(engine_store_crypt, plain_store_refuses_a_key)
{
	zh_store_close(open_with(NULL, true));
	cr_assert_eq(open_rc(&key_a), -EINVAL);
	cr_assert_eq(open_rc(NULL), 0);
}

Test(engine_store_crypt, same_names_dedup_and_ranges)
{
	uint8_t *data = zt_random(CHUNKED_BYTES, 4);
	uint8_t h_plain[2][ZH_CODEC_HASH_BYTES], h1[ZH_CODEC_HASH_BYTES], h2[ZH_CODEC_HASH_BYTES];
	size_t sizes[2] = {INLINE_BYTES, CHUNKED_BYTES};
	struct zh_object_info info;
	struct zh_store_hasher *hasher;
	struct zh_store *s = open_with(NULL, true);

	for (int i = 0; i < 2; i++)
		cr_assert_eq(zh_store_put(s, data, sizes[i], NULL, h_plain[i]), 0);
	zh_store_close(s);
	zt_rm_rf(dir);
	s = open_with(&key_a, true);
	cr_assert_eq(zh_store_hasher_create(s, &hasher), 0);
	for (int i = 0; i < 2; i++) {
		struct zt_expect e = {.want = data + sizes[i] / 3, .len = sizes[i] / 3};

		cr_assert_eq(zh_store_put(s, data, sizes[i], NULL, h1), 0);
		cr_assert_eq(zh_store_put(s, data, sizes[i], NULL, h2), 0);
		/* A name is the hash of the content, encrypted or not (what the docs warn of). */
		cr_assert_arr_eq(h1, h_plain[i], sizeof(h1));
		cr_assert_arr_eq(h1, h2, sizeof(h1));
		zh_store_hasher_add(hasher, data, sizes[i]);
		zh_store_hasher_final(hasher, h2);
		cr_assert_arr_eq(h1, h2, sizeof(h1), "the hasher's name for it");
		cr_assert_eq(zh_store_stat(s, h1, &info), 0);
		cr_assert_eq(info.refcount, 2);
		cr_assert(info.encrypted);
		cr_assert_eq(zh_store_get(s, h1, sizes[i] / 3, sizes[i] / 3, zt_expect_sink, &e),
			     0);
		cr_assert(zt_expect_matched(&e));
		cr_assert_eq(zh_store_delete(s, h1), 0);
		cr_assert_eq(zt_get_cmp(s, h1, data, sizes[i]), 0);
	}
	zh_store_hasher_destroy(hasher);
	zt_expect_clean(s);
	zh_store_close(s);
	free(data);
}

Test(engine_store_crypt, damaged_shards_read_and_scrub_back)
{
	uint8_t *data = zt_random(CHUNKED_BYTES, 5);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_scrub_opts so;
	struct zh_store_fsck f;
	struct zh_store_stats st;
	struct zh_store *s = open_with(&key_a, true);

	cr_assert_eq(zh_store_put(s, data, CHUNKED_BYTES, NULL, hash), 0);
	zh_store_close(s);
	/* Past the superblock, over the shards the put wrote there. */
	zt_damage_file(dir, "dev0.img", ZH__SB_BYTES, 4 << 20, 0x5a);
	s = open_with(&key_a, false);
	cr_assert_eq(zt_get_cmp(s, hash, data, CHUNKED_BYTES), 0);
	zh_store_stats_get(s, &st);
	cr_assert_gt(st.degraded_reads, 0);
	/* The repair thread decodes each queued chunk with its object's binding first. */
	for (int i = 0; i < 1000 && st.chunks_repaired < st.repairs_queued; i++) {
		usleep(10000);
		zh_store_stats_get(s, &st);
	}
	cr_assert_gt(st.repairs_queued, 0);
	cr_assert_eq(st.chunks_repaired, st.repairs_queued, "background repair on a bound store");
	zh_store_scrub_opts_default(&so);
	cr_assert_eq(zh_store_scrub(s, &so, &f, NULL, NULL, NULL), 0);
	cr_assert_gt(f.shards_repaired, 0);
	cr_assert(zh_store_scrub_clean(&f));
	zt_expect_clean(s);
	zh_store_close(s);
	free(data);
}

/* ---- records and nonces ---------------------------------------------------------------------- */

Test(engine_store_crypt, store_record_carries_flag_and_key_check)
{
	struct zh__store_rec rec = {.dev_count = 1,
				    .block_bytes = 4096,
				    .chunk_bytes = ZT_MIB,
				    .ec_k = 1,
				    .encrypted = true};
	struct zh__store_rec back;
	uint8_t buf[ZH__STORE_REC_MAX];
	size_t n;

	strcpy(rec.dev_path[0], "/dev/x");
	zh__key_check(rec.uuid, &key_a, false, rec.key_check);
	n = zh__store_rec_pack(&rec, buf);
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), 0);
	cr_assert(back.encrypted);
	cr_assert_arr_eq(back.key_check, rec.key_check, ZH__KEY_CHECK_BYTES);
	cr_assert_eq(zh__store_rec_unpack(buf, n - 1, &back), -EUCLEAN);
	buf[3] |= 4; /* a flag this version does not know */
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), -EUCLEAN);
	rec.bound = true;
	n = zh__store_rec_pack(&rec, buf);
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), 0);
	cr_assert(back.bound);
	rec.encrypted = false; /* bound, yet plain: damaged */
	n = zh__store_rec_pack(&rec, buf);
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), -EUCLEAN);
	rec.bound = false;
	n = zh__store_rec_pack(&rec, buf);
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), 0);
	cr_assert_not(back.encrypted);
	cr_assert_eq(zh__store_rec_unpack(buf, n + ZH__KEY_CHECK_BYTES, &back), -EUCLEAN);
}

/* Regression (fuzz_store_records): a device path with a NUL inside is a damaged record. */
Test(engine_store_crypt, store_record_refuses_a_path_with_a_nul_inside)
{
	struct zh__store_rec rec = {
	    .dev_count = 2, .block_bytes = 4096, .chunk_bytes = ZT_MIB, .ec_k = 1};
	struct zh__store_rec back;
	uint8_t buf[ZH__STORE_REC_MAX];
	size_t n;

	strcpy(rec.dev_path[0], "/dev/a");
	strcpy(rec.dev_path[1], "/dev/b");
	n = zh__store_rec_pack(&rec, buf);
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), 0);
	cr_assert_str_eq(back.dev_path[1], "/dev/b");
	buf[32 + 2 + 6 + 2 + 4] = '\0'; /* "/dev/b" becomes "/dev" NUL "b" */
	cr_assert_eq(zh__store_rec_unpack(buf, n, &back), -EUCLEAN);
}

/* A store with just enough set up to seal and open inline objects. */
static struct zh_store *sealing_store(void)
{
	struct zh_store *s = calloc(1, sizeof(*s));

	cr_assert_not_null(s);
	s->rec.encrypted = true;
	s->key = key_a;
	cr_assert_eq(zh__nonce_seq_init(&s->inline_nonce), 0);
	return s;
}

Test(engine_store_crypt, sealed_inline_record_round_trips_and_tampering_is_caught)
{
	struct zh_store *s = sealing_store();
	uint8_t *plain = zt_random(1000, 6), out[1000];
	uint8_t hash[ZH_CODEC_HASH_BYTES] = {7}, other[ZH_CODEC_HASH_BYTES] = {8};
	uint8_t sealed[ZH__SEAL_BYTES + 1000], packed[ZH__OBJECT_REC_MAX + 1000];
	struct zh__object_rec rec = {.layout = ZH_OBJECT_INLINE,
				     .size_bytes = 1000,
				     .refcount = 1,
				     .encrypted = true,
				     .inline_data = sealed};
	struct zh__object_rec back;
	size_t n;

	cr_assert_eq(zh__object_rec_set_meta(&rec, NULL), 0);
	cr_assert_eq(zh__inline_seal(s, hash, plain, 1000, sealed), 0);
	cr_assert_null(memmem(sealed, sizeof(sealed), plain + 500, 16));
	rec.inline_crc = zh_codec_crc32c(sealed, sizeof(sealed));
	n = zh__object_rec_bytes(&rec);
	cr_assert_eq(n, ZH__OBJECT_REC_HEAD + sizeof(sealed));
	zh__object_rec_pack(&rec, packed);
	cr_assert_eq(zh__object_rec_unpack(packed, n, &back), 0);
	cr_assert(back.encrypted);
	cr_assert_eq(zh__inline_open(s, hash, back.inline_data, 1000, out), 0);
	cr_assert_arr_eq(out, plain, 1000);
	/* Another object's name, or a changed byte: refused. */
	cr_assert_eq(zh__inline_open(s, other, back.inline_data, 1000, out), -EBADMSG);
	sealed[ZH__SEAL_BYTES + 10] ^= 1;
	cr_assert_eq(zh__inline_open(s, hash, sealed, 1000, out), -EBADMSG);
	/* The record's length must match its flag. */
	cr_assert_eq(zh__object_rec_unpack(packed, n - ZH__SEAL_BYTES, &back), -EUCLEAN);
	packed[54] = 0;
	cr_assert_eq(zh__object_rec_unpack(packed, n, &back), -EUCLEAN);
	packed[54] = 4;
	cr_assert_eq(zh__object_rec_unpack(packed, n, &back), -EUCLEAN);
	s->rec.encrypted = false;
	cr_assert_eq(zh__inline_open(s, hash, back.inline_data, 1000, out), -ENOKEY);
	free(plain);
	free(s);
}

/*
 * An encrypted store's inline record rewritten to say "plain", with bytes of anyone's choosing
 * and a fresh crc (it has no key): it was served as it was, past the seal meant to catch it.
 * Its encryption must be the store's, or it is a damaged record.
 */
Test(engine_store_crypt, an_inline_record_that_says_plain_in_an_encrypted_store_is_damaged)
{
	struct zh_store *s = open_with(&key_a, true);
	uint8_t *plain = zt_random(1000, 9), *forged = zt_random(1000, 10);
	uint8_t hash[ZH_CODEC_HASH_BYTES], packed[ZH__OBJECT_REC_MAX + 1000];
	struct zh__object_rec rec = {
	    .layout = ZH_OBJECT_INLINE, .size_bytes = 1000, .refcount = 1, .inline_data = forged};

	cr_assert_eq(zh_store_put(s, plain, 1000, NULL, hash), 0);
	cr_assert_eq(zh__object_rec_set_meta(&rec, NULL), 0);
	rec.inline_crc = zh_codec_crc32c(forged, 1000);
	zh__object_rec_pack(&rec, packed);
	zt_index_put(s->index, ZH_INDEX_CF_OBJECTS, hash, sizeof(hash), packed,
		     zh__object_rec_bytes(&rec));
	zh_store_close(s);

	s = open_with(&key_a, false);
	cr_assert_eq(zt_get_cmp(s, hash, forged, 1000), -EUCLEAN,
		     "the forged bytes are not served");
	cr_assert_eq(zt_fsck(s).records_bad, 1);
	zh_store_close(s);
	free(plain);
	free(forged);
}

/*
 * A bound record: its put id and seal tag round-trip, its length must match its flag, only an
 * encrypted chunked record may be bound, and its seal opens for its own hash and put id only.
 */
Test(engine_store_crypt, bound_object_record_round_trips_and_its_seal_names_its_object)
{
	struct zh_store *s = sealing_store();
	uint8_t hash[ZH_CODEC_HASH_BYTES] = {7}, other[ZH_CODEC_HASH_BYTES] = {8};
	uint8_t packed[ZH__OBJECT_REC_MAX];
	struct zh__object_rec rec = {.layout = ZH_OBJECT_CHUNKED,
				     .ec_k = 4,
				     .ec_m = 2,
				     .chunk_bytes = ZT_MIB,
				     .size_bytes = 3 * ZT_MIB,
				     .chunk_count = 3,
				     .refcount = 1,
				     .encrypted = true,
				     .bound = true};
	struct zh__object_rec back;
	size_t n;

	s->rec.bound = true;
	cr_assert_eq(zh__object_rec_set_meta(&rec, NULL), 0);
	zh__nonce_next(&s->inline_nonce, rec.put_id);
	cr_assert_eq(zh__object_seal(s, hash, &rec), 0);
	n = zh__object_rec_bytes(&rec);
	cr_assert_eq(n, ZH__OBJECT_REC_HEAD + ZH__OBJECT_BIND_BYTES);
	zh__object_rec_pack(&rec, packed);
	cr_assert_eq(zh__object_rec_unpack(packed, n, &back), 0);
	cr_assert(back.bound);
	cr_assert_arr_eq(back.put_id, rec.put_id, ZH__PUT_ID_BYTES);
	cr_assert_arr_eq(back.seal_tag, rec.seal_tag, ZH_CODEC_TAG_BYTES);
	cr_assert_eq(zh__object_seal_check(s, hash, &back), 0);
	cr_assert_eq(zh__object_seal_check(s, other, &back), -EUCLEAN, "another object's key");
	back.put_id[0] ^= 1;
	cr_assert_eq(zh__object_seal_check(s, hash, &back), -EUCLEAN, "another put's chunks");
	back = rec;
	back.size_bytes -= 1;
	cr_assert_eq(zh__object_seal_check(s, hash, &back), -EUCLEAN, "another length");
	back = rec;
	back.bound = false;
	cr_assert_eq(zh__object_seal_check(s, hash, &back), -EUCLEAN, "unbound in a bound store");
	s->rec.bound = false;
	cr_assert_eq(zh__object_seal_check(s, hash, &rec), -EUCLEAN, "bound in an unbound store");
	cr_assert_eq(zh__object_rec_unpack(packed, n - 1, &back), -EUCLEAN);
	packed[54] = 2; /* bound, but plain */
	cr_assert_eq(zh__object_rec_unpack(packed, n, &back), -EUCLEAN);
	free(s);
}

/* Two chunked objects of random bytes in an encrypted store, which is left open. */
struct pair {
	struct zh_store *s;
	uint8_t *a, *b;
	uint8_t ha[ZH_CODEC_HASH_BYTES], hb[ZH_CODEC_HASH_BYTES];
};

static void pair_put(struct pair *p, uint32_t seed)
{
	p->s = open_with(&key_a, true);
	p->a = zt_random(CHUNKED_BYTES, seed);
	p->b = zt_random(CHUNKED_BYTES, seed + 1);
	cr_assert_eq(zh_store_put(p->s, p->a, CHUNKED_BYTES, NULL, p->ha), 0);
	cr_assert_eq(zh_store_put(p->s, p->b, CHUNKED_BYTES, NULL, p->hb), 0);
}

/*
 * After the records were tampered with: reopened, a get of the victim (B, or A when
 * \p victim_a) fails with \p rc having served none of another object's bytes, the other
 * object reads back whole, and fsck finds what \p found counts. Frees the pair.
 */
static void pair_expect(struct pair *p, bool victim_a, int rc,
			uint64_t (*found)(const struct zh_store_fsck *))
{
	struct zt_expect e = {victim_a ? p->a : p->b, CHUNKED_BYTES, 0, false};
	struct zh_store_fsck f;

	zh_store_close(p->s);
	p->s = open_with(&key_a, false);
	cr_assert_eq(
	    zh_store_get(p->s, victim_a ? p->ha : p->hb, 0, UINT64_MAX, zt_expect_sink, &e), rc);
	cr_assert_not(e.differs, "another object's bytes were served as this one's");
	cr_assert_eq(
	    zt_get_cmp(p->s, victim_a ? p->hb : p->ha, victim_a ? p->b : p->a, CHUNKED_BYTES), 0,
	    "the other object is whole");
	f = zt_fsck(p->s);
	cr_assert_geq(found(&f), 1);
	zh_store_close(p->s);
	free(p->a);
	free(p->b);
}

static uint64_t chunks_lost(const struct zh_store_fsck *f)
{
	return f->chunks_lost;
}

static uint64_t records_bad(const struct zh_store_fsck *f)
{
	return f->records_bad;
}

/* Copy \p from's chunk record \p index over \p to's (a metadata writer without the key). */
static void chunk_record_copy(struct zh_store *s, const uint8_t *from, const uint8_t *to,
			      uint32_t index)
{
	uint8_t key[ZH__CHUNK_KEY_BYTES], val[ZH__CHUNK_REC_BYTES];
	struct zh__chunk_rec rec;

	cr_assert_eq(zh__chunk_rec_load(s, from, index, &rec), 0);
	zh__chunk_key(to, index, key);
	zt_index_put(s->index, ZH_INDEX_CF_CHUNKS, key, sizeof(key), val,
		     zh__chunk_rec_pack(&rec, val));
}

/*
 * Regression: a chunk's tag covered its header only, so B's chunk 1 record written over A's
 * made a get of A return B's bytes as authentic. The tag now covers the put and the index
 * (zh__chunk_bind): the get fails there, and fsck finds the chunk lost.
 */
Test(engine_store_crypt, a_chunk_moved_to_another_object_does_not_authenticate)
{
	struct pair p;

	pair_put(&p, 11);
	chunk_record_copy(p.s, p.hb, p.ha, 1);
	pair_expect(&p, true, -EBADMSG, chunks_lost);
}

/*
 * Regression: A's object record and chunk records written over B's made a get of B return A's
 * bytes. The record's seal covers its object's hash: it is damaged under another.
 */
static int count_listed(void *ctx, const struct zh_object_info *info)
{
	(void)info;
	++*(unsigned *)ctx;
	return 0;
}

Test(engine_store_crypt, an_object_moved_to_another_hash_is_refused)
{
	unsigned listed = 0;
	uint8_t buf[ZH__OBJECT_REC_MAX];
	struct zh__object_rec obj;
	struct pair p;

	pair_put(&p, 13);
	cr_assert_eq(zh__object_load(p.s, p.ha, buf, sizeof(buf), &obj), 0);
	cr_assert(obj.bound);
	zt_index_put(p.s->index, ZH_INDEX_CF_OBJECTS, p.hb, sizeof(p.hb), buf,
		     zh__object_rec_bytes(&obj));
	for (uint32_t c = 0; c < obj.chunk_count; c++)
		chunk_record_copy(p.s, p.ha, p.hb, c);
	cr_assert_eq(zh_store_list(p.s, count_listed, &listed), -EUCLEAN, "nor is it listed");
	pair_expect(&p, false, -EUCLEAN, records_bad);
}

/*
 * Rewrite the open store's record with the bound flag \p bound, and its key check for that
 * flag when \p recheck (a store formatted before binding), else left (someone without the key).
 */
static void store_rec_rewrite(struct zh_store *s, bool bound, bool recheck)
{
	struct zh__store_rec rec = s->rec;
	uint8_t buf[ZH__STORE_REC_MAX];

	rec.bound = bound;
	if (recheck)
		zh__key_check(rec.uuid, &key_a, bound, rec.key_check);
	zt_index_put(s->index, ZH_INDEX_CF_META, ZH__STORE_META_KEY, strlen(ZH__STORE_META_KEY),
		     buf, zh__store_rec_pack(&rec, buf));
}

/* A store formatted before binding (its record without the flag) reads and writes as it did. */
Test(engine_store_crypt, a_store_from_before_binding_keeps_its_objects_unbound)
{
	struct zh_store *s = open_with(&key_a, true);
	uint8_t *a = zt_random(CHUNKED_BYTES, 15);
	uint8_t ha[ZH_CODEC_HASH_BYTES], rec_buf[ZH__OBJECT_REC_MAX];
	struct zh__object_rec obj;

	store_rec_rewrite(s, false, true);
	zh_store_close(s);
	s = open_with(&key_a, false);
	cr_assert_not(s->rec.bound);
	cr_assert_eq(zh_store_put(s, a, CHUNKED_BYTES, NULL, ha), 0);
	cr_assert_eq(zh__object_load(s, ha, rec_buf, sizeof(rec_buf), &obj), 0);
	cr_assert_not(obj.bound);
	cr_assert_eq(zt_get_cmp(s, ha, a, CHUNKED_BYTES), 0);
	zt_expect_clean(s);
	zh_store_close(s);
	free(a);
}

/*
 * The bound flag decides whether records and chunks must be bound, so it is covered by the key
 * check: cleared by someone without the key (a downgrade, after which unbound records would
 * pass), or set on an older store, the store does not open, and says so (-EUCLEAN: the key is
 * right, the record contradicts it).
 */
Test(engine_store_crypt, the_bound_flag_cannot_be_changed_without_the_key)
{
	struct zh_store *s = open_with(&key_a, true);

	store_rec_rewrite(s, false, false);
	zh_store_close(s);
	cr_assert_eq(open_rc(&key_a), -EUCLEAN, "cleared");
	cr_assert_eq(open_rc(&key_b), -EKEYREJECTED, "and another key is still the wrong one");
	zt_rm_rf(dir);
	s = open_with(&key_a, true);
	store_rec_rewrite(s, false, true);
	zh_store_close(s);
	s = open_with(&key_a, false);
	store_rec_rewrite(s, true, false);
	zh_store_close(s);
	cr_assert_eq(open_rc(&key_a), -EUCLEAN, "set on an older store");
}

/*
 * Regression: nothing required a chunk of an encrypted store to be encrypted. A chunk record
 * rewritten to say "plain" (flags, nonce and tag cleared; its shards and their crcs as they
 * were) decoded without the key, and a get served the ciphertext, or any bytes the writer
 * chose, as the object. Shown in a store from before binding, where no binding catches it.
 */
Test(engine_store_crypt, a_plain_chunk_in_an_encrypted_store_is_refused)
{
	struct zh_store *s = open_with(&key_a, true);
	uint8_t *a = zt_random(CHUNKED_BYTES, 16);
	uint8_t ha[ZH_CODEC_HASH_BYTES], key[ZH__CHUNK_KEY_BYTES], val[ZH__CHUNK_REC_BYTES];
	struct zt_expect e = {a, CHUNKED_BYTES, 0, false};
	struct zh__chunk_rec rec;

	store_rec_rewrite(s, false, true);
	zh_store_close(s);
	s = open_with(&key_a, false);
	cr_assert_eq(zh_store_put(s, a, CHUNKED_BYTES, NULL, ha), 0);
	cr_assert_eq(zh__chunk_rec_load(s, ha, 1, &rec), 0);
	cr_assert_eq(rec.hdr.flags, ZH_CODEC_F_ENCRYPTED, "random bytes: stored raw");
	rec.hdr.flags = 0;
	memset(rec.hdr.nonce, 0, sizeof(rec.hdr.nonce));
	memset(rec.hdr.tag, 0, sizeof(rec.hdr.tag));
	zh__chunk_key(ha, 1, key);
	zt_index_put(s->index, ZH_INDEX_CF_CHUNKS, key, sizeof(key), val,
		     zh__chunk_rec_pack(&rec, val));
	cr_assert_eq(zh_store_get(s, ha, 0, UINT64_MAX, zt_expect_sink, &e), -EUCLEAN);
	cr_assert_not(e.differs, "the ciphertext was served as the object");
	cr_assert_geq(zt_fsck(s).records_bad, 1);
	zh_store_close(s);
	free(a);
}

Test(engine_store_crypt, nonces_do_not_repeat)
{
	struct zh__nonce_seq a, b;
	uint8_t n1[ZH_CODEC_NONCE_BYTES], n2[ZH_CODEC_NONCE_BYTES], n3[ZH_CODEC_NONCE_BYTES];

	cr_assert_eq(zh__nonce_seq_init(&a), 0);
	cr_assert_eq(zh__nonce_seq_init(&b), 0);
	zh__nonce_next(&a, n1);
	zh__nonce_next(&a, n2);
	zh__nonce_next(&b, n3);
	cr_assert_arr_neq(n1, n2, sizeof(n1));
	cr_assert_arr_neq(n1, n3, sizeof(n1));
	/* One sequence: the same prefix, counting in the low 64 bits. */
	cr_assert_arr_eq(n1, n2, 4);
	cr_assert_eq(zh_le_get(n2 + 4, 8) - zh_le_get(n1 + 4, 8), 1);
}

static int key_file_of(size_t len, struct zh_codec_key *key)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s.key", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(key_a.bytes, 1, len < 32 ? len : 32, f), len < 32 ? len : 32);
	if (len > 32)
		cr_assert_eq(fputc('x', f), 'x');
	fclose(f);
	return zh_store_key_file_read(path, key);
}

Test(engine_store_crypt, key_file_is_exactly_one_key)
{
	struct zh_codec_key key;
	char path[300];

	cr_assert_eq(key_file_of(32, &key), 0);
	cr_assert_arr_eq(key.bytes, key_a.bytes, sizeof(key.bytes));
	cr_assert_eq(key_file_of(31, &key), -EBADMSG);
	cr_assert_eq(key_file_of(33, &key), -EBADMSG);
	snprintf(path, sizeof(path), "%s.key", dir);
	unlink(path);
	cr_assert_eq(zh_store_key_file_read(path, &key), -ENOENT);
}

/* A sink that, at its first call, deletes the object being read and, with reput, puts it again. */
struct racing_sink {
	struct zh_store *s;
	const uint8_t *hash;
	const uint8_t *data;
	size_t len;
	bool reput;
	unsigned calls;
};

static int racing_sink(void *ctx, const void *data, size_t len)
{
	struct racing_sink *r = ctx;
	uint8_t h[ZH_CODEC_HASH_BYTES];

	(void)data;
	(void)len;
	if (r->calls++ > 0)
		return 0;
	cr_assert_eq(zh_store_delete(r->s, r->hash), 0);
	if (r->reput)
		cr_assert_eq(zh_store_put(r->s, r->data, r->len, NULL, h), 0);
	return 0;
}

/*
 * Regression: a get that raced a delete (the object's record read, its chunks' records gone
 * by the time it read them) said -EUCLEAN, a damaged record; in a bound store a delete and a
 * put again said -EBADMSG, content that does not match its hash. It says -ENOENT and -EAGAIN.
 * 12 chunks, more than a get keeps in flight (8): the later ones are read after the sink ran.
 */
Test(engine_store_crypt, a_get_that_races_a_delete_says_so)
{
	size_t len = 12 * ZT_MIB + 777;
	uint8_t *data = zt_random(len, 7);

	for (unsigned run = 0; run < 4; run++) {
		bool encrypted = run >= 2, reput = run % 2 == 1;
		struct racing_sink r = {.data = data, .len = len, .reput = reput};
		uint8_t hash[ZH_CODEC_HASH_BYTES];
		struct zh_store_opts o;
		int rc;

		zt_rm_rf(dir);
		zt_store_opts(&o, dir);
		o.key = encrypted ? &key_a : NULL;
		o.chunk_slots = 32; /* the sink's put needs slots while the get holds its 8 */
		r.s = zt_format_open(&o);
		r.hash = hash;
		cr_assert_eq(zh_store_put(r.s, data, len, NULL, hash), 0);
		rc = zh_store_get(r.s, hash, 0, UINT64_MAX, racing_sink, &r);
		if (!reput)
			cr_assert_eq(rc, -ENOENT, "run %u: %s", run, strerror(-rc));
		else if (encrypted)
			cr_assert_eq(rc, -EAGAIN, "run %u: %s", run, strerror(-rc));
		else /* the same bytes under new records: read whole, or told to try again */
			cr_assert(rc == 0 || rc == -EAGAIN, "run %u: %s", run, strerror(-rc));
		zh_store_close(r.s);
	}
	free(data);
}
