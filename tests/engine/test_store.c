/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - the object store end to end on file devices under the build's scratch
 * directory: format and open (and every refusal), put/get round trips for inline and chunked
 * objects of awkward sizes, streaming puts, ranges, dedup with reference counts, delete freeing
 * space, reopen, and degraded reads with devices lost or shards corrupted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "concurrency_cases.h"
#include "engine/store.h"
#include "index/index.h"
#include "store_testing.h"

#define MIB ZT_MIB

static char dir[256];

static void opts_small(struct zh_store_opts *o)
{
	zt_store_opts(o, dir);
}

static void setup(void)
{
	zt_scratch_dir(dir, sizeof(dir), "store");
}

static void teardown(void)
{
	zt_rm_rf(dir);
}

static struct zh_store *fresh_store(void)
{
	struct zh_store_opts o;

	opts_small(&o);
	return zt_format_open(&o);
}

static struct zh_store *open_store(void)
{
	struct zh_store_opts o;

	opts_small(&o);
	return zt_open(&o);
}

/* Read-only: degraded reads are not repaired behind the test's back. */
static struct zh_store *open_store_ro(void)
{
	struct zh_store_opts o;

	opts_small(&o);
	o.read_only = true;
	return zt_open(&o);
}

static struct zh_store *reopen(struct zh_store *s)
{
	zh_store_close(s);
	return open_store();
}

struct buf_sink {
	uint8_t *data;
	size_t len, cap;
};

static int sink_append(void *ctx, const void *data, size_t len)
{
	struct buf_sink *b = ctx;

	if (b->len + len > b->cap)
		return -ENOSPC;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static void expect_object(struct zh_store *s, const uint8_t *hash, const uint8_t *want, size_t len)
{
	struct buf_sink b = {malloc(len + 1), 0, len + 1};

	cr_assert_eq(zh_store_get(s, hash, 0, UINT64_MAX, sink_append, &b), 0);
	cr_assert_eq(b.len, len);
	cr_assert_eq(memcmp(b.data, want, len), 0);
	free(b.data);
}

static uint64_t free_bytes(struct zh_store *s)
{
	struct zh_store_info info;
	uint64_t sum = 0;

	zh_store_info_get(s, &info);
	for (unsigned i = 0; i < info.dev_count; i++)
		sum += info.dev[i].free_bytes;
	return sum;
}

/*
 * Space freed at a commit comes back asynchronously: wait until it reads want, 10 s at most.
 * Regression: the wait was 100 ms, which a loaded machine's commit can outlast.
 */
static uint64_t free_bytes_settled(struct zh_store *s, uint64_t want)
{
	for (int i = 0; i < 10000 && free_bytes(s) != want; i++)
		usleep(1000);
	return free_bytes(s);
}

TestSuite(engine_store, .init = setup, .fini = teardown);

Test(engine_store, round_trip_sizes)
{
	static const size_t sizes[] = {0,     1,       4095, 4096,    16384,
				       16385, MIB - 1, MIB,  MIB + 1, 3 * MIB + 12345};
	struct zh_store *s = fresh_store();
	uint8_t hash[ZH_ARRAY_SIZE(sizes)][ZH_CODEC_HASH_BYTES];

	for (unsigned i = 0; i < ZH_ARRAY_SIZE(sizes); i++) {
		uint8_t *p = zt_pattern(sizes[i], i);
		struct zh_object_info info;

		cr_assert_eq(zh_store_put(s, p, sizes[i], NULL, hash[i]), 0, "size %zu", sizes[i]);
		expect_object(s, hash[i], p, sizes[i]);
		cr_assert_eq(zh_store_stat(s, hash[i], &info), 0);
		cr_assert_eq(info.size_bytes, sizes[i]);
		cr_assert_eq(info.layout, sizes[i] <= 16384 ? ZH_OBJECT_INLINE : ZH_OBJECT_CHUNKED);
		free(p);
	}
	s = reopen(s);
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(sizes); i++) {
		uint8_t *p = zt_pattern(sizes[i], i);

		expect_object(s, hash[i], p, sizes[i]);
		free(p);
	}
	zt_expect_clean(s);
	cr_assert_eq(zt_fsck(s).objects, ZH_ARRAY_SIZE(sizes));
	zh_store_close(s);
}

Test(engine_store, streaming_put_equals_whole_put)
{
	struct zh_store *s = fresh_store();
	size_t len = 2 * MIB + 777;
	uint8_t *p = zt_pattern(len, 7);
	uint8_t whole[ZH_CODEC_HASH_BYTES], streamed[ZH_CODEC_HASH_BYTES];
	struct zh_object_meta meta = {.filename = "a.bin", .tags = "x,y"};
	struct zh_object_info info;
	struct zh_store_put *put;

	cr_assert_eq(zh_store_put_begin(s, &meta, &put), 0);
	/* Odd pieces, the first ones small enough to start inline. */
	for (size_t at = 0, step = 1000; at < len; at += step, step = step * 3 + 1) {
		size_t n = len - at < step ? len - at : step;

		cr_assert_eq(zh_store_put_write(put, p + at, n), 0);
	}
	cr_assert_eq(zh_store_put_finish(put, streamed), 0);
	cr_assert_eq(zh_store_put(s, p, len, NULL, whole), 0);
	cr_assert_eq(memcmp(whole, streamed, sizeof(whole)), 0);
	cr_assert_eq(zh_store_stat(s, whole, &info), 0);
	cr_assert_eq(info.refcount, 2);
	cr_assert_str_eq(info.filename, "a.bin");
	cr_assert_str_eq(info.tags, "x,y");
	expect_object(s, whole, p, len);
	free(p);
	zh_store_close(s);
}

/*
 * A one-shot put encodes whole chunks from the caller's buffer, and writes the data shards of an
 * aligned one from where they lie (unregistered memory): the same hash and bytes as a streamed
 * put, whatever the buffer's alignment, and the buffer is left as it was.
 */
Test(engine_store, one_shot_put_from_aligned_and_unaligned_buffers)
{
	struct zh_store *s = fresh_store();
	size_t len = 3 * MIB + 12345;
	uint8_t *want = zt_pattern(len, 11);
	uint8_t *aligned = aligned_alloc(4096, 4 * MIB + 4096);
	uint8_t h_aligned[ZH_CODEC_HASH_BYTES], h_odd[ZH_CODEC_HASH_BYTES];
	uint8_t h_stream[ZH_CODEC_HASH_BYTES];
	struct zh_store_put *put;
	struct zh_object_info info;

	cr_assert_not_null(aligned);
	memcpy(aligned, want, len);
	cr_assert_eq(zh_store_put(s, aligned, len, NULL, h_aligned), 0);
	cr_assert_eq(memcmp(aligned, want, len), 0, "the put changed the caller's buffer");
	memmove(aligned + 1, aligned, len);
	cr_assert_eq(zh_store_put(s, aligned + 1, len, NULL, h_odd), 0);
	cr_assert_eq(zh_store_put_begin(s, NULL, &put), 0);
	cr_assert_eq(zh_store_put_write(put, want, len), 0);
	cr_assert_eq(zh_store_put_finish(put, h_stream), 0);
	cr_assert_eq(memcmp(h_aligned, h_odd, sizeof(h_odd)), 0);
	cr_assert_eq(memcmp(h_aligned, h_stream, sizeof(h_stream)), 0);
	cr_assert_eq(zh_store_stat(s, h_aligned, &info), 0);
	cr_assert_eq(info.refcount, 3);
	s = reopen(s);
	expect_object(s, h_aligned, want, len);
	zt_expect_clean(s);
	free(aligned);
	free(want);
	zh_store_close(s);
}

Test(engine_store, ranges)
{
	struct zh_store *s = fresh_store();
	size_t len = 3 * MIB + 100;
	uint8_t *p = zt_pattern(len, 3);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	static const uint64_t cut[][2] = {{0, 1},
					  {5, 10},
					  {MIB - 3, 6},
					  {MIB, MIB},
					  {2 * MIB + 1, UINT64_MAX},
					  {3 * MIB + 99, 50}};

	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(cut); i++) {
		uint64_t want = cut[i][1] > len - cut[i][0] ? len - cut[i][0] : cut[i][1];
		struct buf_sink b = {malloc(want + 1), 0, want + 1};

		cr_assert_eq(zh_store_get(s, hash, cut[i][0], cut[i][1], sink_append, &b), 0);
		cr_assert_eq(b.len, want);
		cr_assert_eq(memcmp(b.data, p + cut[i][0], want), 0, "range %u", i);
		free(b.data);
	}
	cr_assert_eq(zh_store_get(s, hash, len + 1, 1, sink_append, NULL), -EINVAL);
	free(p);
	zh_store_close(s);
}

Test(engine_store, dedup_and_delete_free_space)
{
	struct zh_store *s = fresh_store();
	size_t len = 5 * MIB;
	uint8_t *p = zt_pattern(len, 9);
	uint8_t hash[ZH_CODEC_HASH_BYTES], again[ZH_CODEC_HASH_BYTES];
	uint64_t empty = free_bytes(s), one;
	struct zh_object_info info;

	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	one = free_bytes(s);
	cr_assert_lt(one, empty);
	cr_assert_eq(zh_store_put(s, p, len, NULL, again), 0);
	cr_assert_eq(memcmp(hash, again, sizeof(hash)), 0);
	/* The duplicate's shards were freed once the commit said "exists". */
	cr_assert_eq(free_bytes_settled(s, one), one);
	zt_expect_clean(s);
	cr_assert_eq(zh_store_delete(s, hash), 0);
	cr_assert_eq(zh_store_stat(s, hash, &info), 0);
	cr_assert_eq(info.refcount, 1);
	cr_assert_eq(zh_store_delete(s, hash), 0);
	cr_assert_eq(zh_store_stat(s, hash, &info), -ENOENT);
	cr_assert_eq(zh_store_delete(s, hash), -ENOENT);
	cr_assert_eq(free_bytes_settled(s, empty), empty);
	/* And after a restart, rebuilt from the index: still all free. */
	s = reopen(s);
	cr_assert_eq(free_bytes(s), empty);
	zt_expect_clean(s);
	free(p);
	zh_store_close(s);
}

/*
 * The hasher gives the hash a put returns, for every size a put treats apart (empty, inline,
 * one chunk, its tail, several, more in one piece than the hasher hands out at once), whatever
 * pieces the bytes come in (and in buffers reused as soon as an add allows), and one hasher
 * serves one object after another.
 */
#define TURN_PIECE (5 * MIB / 2 + 1) /* whole chunks borrowed, and half a chunk spanning */

/*
 * Feed \p p to the hasher as a reader with two buffers would: each piece copied into one
 * buffer in turn, and the other buffer scribbled over as soon as the add returns, which an add
 * allows for the bytes of the add before it. A hasher that still read them hashes garbage.
 */
static void hash_in_turns(struct zh_store_hasher *h, const uint8_t *p, size_t len,
			  uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	uint8_t *buf[2] = {malloc(TURN_PIECE), malloc(TURN_PIECE)};
	unsigned turn = 0;

	cr_assert(buf[0] != NULL && buf[1] != NULL);
	for (size_t at = 0; at < len; at += TURN_PIECE, turn ^= 1) {
		size_t n = len - at < TURN_PIECE ? len - at : TURN_PIECE;

		memcpy(buf[turn], p + at, n);
		zh_store_hasher_add(h, buf[turn], n);
		memset(buf[turn ^ 1], 0xee, TURN_PIECE);
	}
	zh_store_hasher_final(h, hash);
	free(buf[0]);
	free(buf[1]);
}

Test(engine_store, the_hasher_gives_the_hash_a_put_returns)
{
	static const size_t sizes[] = {0,   1,	     16384,   16385,	     MIB - 1,
				       MIB, MIB + 1, 2 * MIB, 3 * MIB + 777, 20 * MIB + 5};
	struct zh_store *s = fresh_store();
	struct zh_store_hasher *h;

	cr_assert_eq(zh_store_hasher_create(s, &h), 0);
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(sizes); i++) {
		uint8_t *p = zt_pattern(sizes[i], 60 + i);
		uint8_t put[ZH_CODEC_HASH_BYTES], hashed[ZH_CODEC_HASH_BYTES];

		cr_assert_eq(zh_store_put(s, p, sizes[i], NULL, put), 0);
		for (size_t at = 0, step = 1 + i; at < sizes[i]; at += step, step = step * 5 + 3)
			zh_store_hasher_add(h, p + at, sizes[i] - at < step ? sizes[i] - at : step);
		zh_store_hasher_final(h, hashed);
		cr_assert_eq(memcmp(put, hashed, sizeof(put)), 0, "size %zu", sizes[i]);
		zh_store_hasher_add(h, p, sizes[i]);
		zh_store_hasher_final(h, hashed);
		cr_assert_eq(memcmp(put, hashed, sizeof(put)), 0, "size %zu in one piece",
			     sizes[i]);
		hash_in_turns(h, p, sizes[i], hashed);
		cr_assert_eq(memcmp(put, hashed, sizeof(put)), 0, "size %zu in two buffers",
			     sizes[i]);
		free(p);
	}
	zh_store_hasher_destroy(h);
	zh_store_close(s);
}

/*
 * A reference by hash is a put of stored content without its bytes: the count goes up and
 * stays up after a restart, nothing is encoded or written, and a delete drops it. A hash the
 * store does not hold gets -ENOENT and stores nothing; a read-only store refuses.
 */
Test(engine_store, a_reference_by_hash_is_a_put_without_the_bytes)
{
	struct zh_store *s = fresh_store();
	size_t len = 2 * MIB + 5;
	uint8_t *p = zt_pattern(len, 61), hash[ZH_CODEC_HASH_BYTES], absent[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats before, after;
	struct zh_object_info info;
	uint64_t one;

	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	one = free_bytes(s);
	zh_store_stats_get(s, &before);
	cr_assert_eq(zh_store_ref(s, hash), 0);
	zh_store_stats_get(s, &after);
	cr_assert_eq(after.refs, 1);
	cr_assert_eq(after.chunks_written, before.chunks_written, "a reference wrote a chunk");
	cr_assert_eq(after.puts, before.puts);
	cr_assert_eq(free_bytes(s), one);
	s = reopen(s);
	cr_assert_eq(zh_store_stat(s, hash, &info), 0);
	cr_assert_eq(info.refcount, 2, "the reference was committed");
	cr_assert_eq(zh_store_delete(s, hash), 0);
	expect_object(s, hash, p, len);
	cr_assert_eq(zh_store_delete(s, hash), 0);
	cr_assert_eq(zh_store_stat(s, hash, &info), -ENOENT);

	cr_assert_eq(zh_store_ref(s, hash), -ENOENT, "a deleted object");
	memset(absent, 0x5a, sizeof(absent));
	cr_assert_eq(zh_store_ref(s, absent), -ENOENT);
	cr_assert_eq(zh_store_stat(s, absent, &info), -ENOENT);
	cr_assert_eq(zt_fsck(s).objects, 0);
	zh_store_close(s);
	s = open_store_ro();
	cr_assert_eq(zh_store_ref(s, hash), -EROFS);
	zh_store_close(s);
	free(p);
}

/*
 * The reason to hash first: a put of stored content needs room for all its shards before its
 * commit finds the object and frees them, so on a store without that room it fails; a
 * reference needs none. Six 16 MiB devices, a 12 MiB object (18 MiB of shards), filled until
 * less than that is free.
 */
Test(engine_store, a_reference_needs_no_room_where_a_put_of_the_same_content_fails)
{
	size_t len = 12 * MIB;
	uint8_t *p = zt_random(len, 62), hash[ZH_CODEC_HASH_BYTES], fill[ZH_CODEC_HASH_BYTES];
	struct zh_object_info info;
	struct zh_store_opts o;
	struct zh_store *s;
	uint64_t left;

	opts_small(&o);
	o.dev_bytes = 16ull << 20;
	s = zt_format_open(&o);
	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	for (uint32_t seed = 0; free_bytes(s) >= len * 3 / 2; seed++) {
		uint8_t *f = zt_random(MIB, 100 + seed);

		cr_assert_eq(zh_store_put(s, f, MIB, NULL, fill), 0);
		free(f);
	}
	left = free_bytes(s);
	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), -ENOSPC);
	cr_assert_eq(free_bytes_settled(s, left), left, "the failed put gave its space back");
	cr_assert_eq(zh_store_ref(s, hash), 0);
	cr_assert_eq(zh_store_stat(s, hash, &info), 0);
	cr_assert_eq(info.refcount, 2);
	expect_object(s, hash, p, len);
	zt_expect_clean(s);
	zh_store_close(s);
	free(p);
}

static int count_one(void *ctx, const struct zh_object_info *info)
{
	(void)info;
	(*(unsigned *)ctx)++;
	return 0;
}

Test(engine_store, list_counts_objects)
{
	struct zh_store *s = fresh_store();
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	unsigned n = 0;

	for (unsigned i = 0; i < 5; i++) {
		uint8_t *p = zt_pattern(100 + i * 20000, i);

		cr_assert_eq(zh_store_put(s, p, 100 + i * 20000, NULL, hash), 0);
		free(p);
	}
	cr_assert_eq(zh_store_list(s, count_one, &n), 0);
	cr_assert_eq(n, 5);
	zh_store_close(s);
}

Test(engine_store, refusals)
{
	struct zh_store_opts o, other;
	struct zh_store *s, *s2;
	char other_dir[300];

	opts_small(&o);
	cr_assert_eq(zh_store_open(&o, &s), -ENOENT);
	cr_assert_eq(zh_store_format(&o), 0);
	cr_assert_eq(zh_store_format(&o), -EEXIST);
	cr_assert_eq(zh_store_open(&o, &s), 0);
	cr_assert_eq(zh_store_open(&o, &s2), -EBUSY);
	zh_store_close(s);

	/* A device of another store in our device's place: refused, not treated as lost. */
	snprintf(other_dir, sizeof(other_dir), "%s-other", dir);
	zt_rm_rf(other_dir);
	other = o;
	other.dir = other_dir;
	cr_assert_eq(zh_store_format(&other), 0);
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "cp '%s/dev0.img' '%s/dev0.img'", other_dir, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(zh_store_open(&o, &s), -EXDEV);
	zt_rm_rf(other_dir);

	o.ec_k = 0;
	o.dir = other_dir;
	cr_assert_eq(zh_store_format(&o), -EINVAL);
	/*
	 * Devices of a size that is not whole 4 KiB blocks: formatted, such a store could not be
	 * opened again (its superblocks' size would fail their own check). Nothing is written.
	 */
	opts_small(&o);
	o.dir = other_dir;
	o.dev_bytes = (16ull << 20) + 512;
	cr_assert_eq(zh_store_format(&o), -EINVAL);
	cr_assert_eq(access(other_dir, F_OK), -1, "nothing created");
}

/* True when file \p path's first 4 KiB (where a superblock goes) are all zero. */
static bool block0_blank(const char *path)
{
	static const uint8_t zero[4096];
	uint8_t block[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool blank;

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, block, sizeof(block), 0), (ssize_t)sizeof(block));
	blank = memcmp(block, zero, sizeof(block)) == 0;
	close(fd);
	return blank;
}

/*
 * A device named twice (also through a symlink) would hold two devices' shards: refused, and
 * nothing is written on the devices given or left of those format created.
 */
Test(engine_store, format_refuses_a_device_named_twice_and_writes_nothing)
{
	struct zh_store_opts o;
	char paths[6][400], link[400];
	const char *names[6];

	zt_given_devs(dir, NULL, NULL, 6, paths, names);
	opts_small(&o);
	o.dev_paths = names;
	names[5] = paths[2];
	cr_assert_eq(zh_store_format(&o), -EINVAL);
	snprintf(link, sizeof(link), "%s-given/link.img", dir);
	cr_assert_eq(symlink(paths[2], link), 0);
	names[5] = link;
	cr_assert_eq(zh_store_format(&o), -EINVAL);
	for (unsigned i = 0; i < 6; i++)
		cr_assert(block0_blank(paths[i]), "device %u written", i);

	/* Default devices first, then one of them again: the files format made are removed. */
	const char *some_default[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
	char dev0[400];

	snprintf(dev0, sizeof(dev0), "%s/dev0.img", dir);
	some_default[5] = dev0;
	o.dev_paths = some_default;
	cr_assert_eq(zh_store_format(&o), -EINVAL);
	cr_assert_eq(access(dev0, F_OK), -1, "the device files format made are gone");
	o.dev_paths = NULL;
	zh_store_close(zt_format_open(&o));
	snprintf(link, sizeof(link), "%s-given", dir);
	zt_rm_rf(link);
}

/*
 * A device whose block 0 holds something (here another store's superblock) is not formatted
 * over unless asked (force): the other store stays whole. So are the devices an interrupted
 * format left behind, which only a forced format takes.
 */
Test(engine_store, format_writes_over_a_used_device_only_when_forced)
{
	struct zh_store_opts o, other;
	struct zh_store *s;
	char paths[6][400], other_dir[300];
	const char *names[6];
	uint8_t *data = zt_pattern(3 * MIB, 7);
	uint8_t hash[ZH_CODEC_HASH_BYTES];

	zt_given_devs(dir, NULL, NULL, 6, paths, names);
	snprintf(other_dir, sizeof(other_dir), "%s-given/other", dir);
	opts_small(&other);
	other.dir = other_dir;
	other.dev_paths = names;
	s = zt_format_open(&other);
	cr_assert_eq(zh_store_put(s, data, 3 * MIB, NULL, hash), 0);
	zh_store_close(s);

	opts_small(&o);
	o.dev_paths = names;
	cr_assert_eq(zh_store_format(&o), -EEXIST);
	s = zt_open(&other);
	cr_assert_eq(zt_get_cmp(s, hash, data, 3 * MIB), 0, "the other store is whole");
	zt_expect_clean(s);
	zh_store_close(s);

	o.force = true;
	zh_store_close(zt_format_open(&o));
	cr_assert_eq(zh_store_open(&other, &s), -EXDEV, "its devices are ours now");

	/* An interrupted format: devices written, no index. */
	char index_dir[400];

	snprintf(index_dir, sizeof(index_dir), "%s/index", dir);
	o.dev_paths = NULL;
	o.force = false;
	zt_rm_rf(dir);
	cr_assert_eq(zh_store_format(&o), 0);
	zt_rm_rf(index_dir);
	cr_assert_eq(zh_store_format(&o), -EEXIST);
	o.force = true;
	zh_store_close(zt_format_open(&o));
	free(data);
	zt_rm_rf(other_dir);
	snprintf(other_dir, sizeof(other_dir), "%s-given", dir);
	zt_rm_rf(other_dir);
}

/*
 * A format killed after it made the index, before the store record: open found no store
 * (-ENOENT) and format an index (-EEXIST), forced or not, until the index was removed by hand.
 * Force now deletes an index without a record; a store's index is never formatted over.
 */
Test(engine_store, an_index_left_by_an_interrupted_format_is_replaced_only_when_forced)
{
	struct zh_store_opts o;
	struct zh_index_opts io;
	struct zh_index *ix;
	struct zh_store *s;
	char index_dir[400];

	opts_small(&o);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(index_dir, sizeof(index_dir), "%s/index", dir);
	zh_index_opts_default(&io);
	io.path = index_dir;
	io.create = true;
	cr_assert_eq(zh_index_open(&io, &ix), 0);
	zh_index_close(ix);
	cr_assert_eq(zh_store_open(&o, &s), -ENOENT);
	cr_assert_eq(zh_store_format(&o), -EEXIST);
	o.force = true;
	zh_store_close(zt_format_open(&o));
	cr_assert_eq(zh_store_format(&o), -EEXIST, "a store, forced or not");
}

/*
 * Chunk slots are bounded to 1 GiB of buffers. The default count gives way to big chunks (16
 * of 32 MiB with their 4+2 shards would not fit, 12 do); a count asked for that does not fit
 * is refused by format and by open alike.
 */
Test(engine_store, slots_fit_their_bound_and_format_agrees_with_open)
{
	struct zh_store_opts o;
	struct zh_store *s;
	char dev0[400];

	opts_small(&o);
	o.chunk_bytes = 32 * MIB;
	o.chunk_slots = 16;
	cr_assert_eq(zh_store_format(&o), -EINVAL);
	snprintf(dev0, sizeof(dev0), "%s/dev0.img", dir);
	cr_assert_eq(access(dev0, F_OK), -1, "nothing left");
	o.chunk_slots = 0;
	s = zt_format_open(&o);
	zh_store_close(s);
	o.chunk_slots = 16;
	cr_assert_eq(zh_store_open(&o, &s), -EINVAL);
}

Test(engine_store, degraded_reads_lost_devices_and_bit_rot)
{
	struct zh_store *s = fresh_store();
	size_t len = 6 * MIB + 4321;
	uint8_t *p = zt_pattern(len, 11);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats st;
	struct zh_store_info info;
	char path[400];

	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	zh_store_close(s);

	/* Rot in every shard area of device 1, then device 3 disappears: m = 2 losses. */
	zt_damage_file(dir, "dev1.img", 4096, 8 * MIB, 0x5a);
	snprintf(path, sizeof(path), "%s/dev3.img", dir);
	cr_assert_eq(unlink(path), 0);
	s = open_store_ro();
	zh_store_info_get(s, &info);
	cr_assert_eq(info.devs_present, 5);
	expect_object(s, hash, p, len);
	zh_store_stats_get(s, &st);
	cr_assert_gt(st.degraded_reads, 0);
	cr_assert_gt(st.shards_bad, 0);
	struct zh_store_fsck f = zt_fsck(s);

	cr_assert_eq(f.devs_missing, 1);
	cr_assert_eq(f.chunks_lost, 0);
	/* Seven chunks, each with a shard on the rotten device and one on the lost one. */
	cr_assert_eq(f.shards_bad, 14);

	/* A third loss is one more than 4+2 can take: a clear error, not wrong bytes. */
	zh_store_close(s);
	zt_damage_file(dir, "dev5.img", 4096, 8 * MIB, 0);
	s = open_store_ro();
	struct buf_sink b = {malloc(len), 0, len};

	cr_assert_eq(zh_store_get(s, hash, 0, UINT64_MAX, sink_append, &b), -EIO);
	free(b.data);
	free(p);
	zh_store_close(s);
}

struct put_thread {
	struct zh_store *store;
	unsigned seed;
	int rc;
};

static void *put_many(void *arg)
{
	struct put_thread *t = arg;
	uint8_t hash[ZH_CODEC_HASH_BYTES];

	for (unsigned i = 0; i < 3 && t->rc == 0; i++) {
		uint8_t *p = zt_pattern(5 * MIB + i, t->seed * 10 + i);

		struct buf_sink b = {malloc(5 * MIB + i), 0, 5 * MIB + i};

		t->rc = zh_store_put(t->store, p, 5 * MIB + i, NULL, hash);
		if (t->rc == 0)
			t->rc = zh_store_get(t->store, hash, 0, UINT64_MAX, sink_append, &b);
		if (t->rc == 0 && (b.len != b.cap || memcmp(b.data, p, b.len) != 0))
			t->rc = -EBADMSG;
		free(b.data);
		free(p);
	}
	return NULL;
}

/*
 * Regression: with fewer chunk slots than concurrent puts could hold, every put used to wait
 * on the slot pool while holding slots whose chunks only it could retire (a deadlock).
 */
Test(engine_store, more_puts_than_slots_make_progress, .timeout = 60)
{
	struct zh_store_opts o;
	struct zh_store *s;
	struct put_thread t[4];
	pthread_t tid[4];

	opts_small(&o);
	cr_assert_eq(zh_store_format(&o), 0);
	o.chunk_slots = 3;
	cr_assert_eq(zh_store_open(&o, &s), 0);
	for (unsigned i = 0; i < 4; i++) {
		t[i] = (struct put_thread){s, i, 0};
		cr_assert_eq(pthread_create(&tid[i], NULL, put_many, &t[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		cr_assert_eq(t[i].rc, 0, "thread %u", i);
	}
	zt_expect_clean(s);
	zh_store_close(s);
}

/* Two streaming puts that each write half a chunk and then wait for the test's word. */
struct idle_puts {
	struct zh_store *s;
	const uint8_t *data;
	uint8_t hash[2][ZH_CODEC_HASH_BYTES];
	int rc[2];
	_Atomic int go; /* set by the test: finish the puts */
};

static void *idle_puts_run(void *arg)
{
	struct idle_puts *ip = arg;
	struct zh_store_put *p[2];

	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(zh_store_put_begin(ip->s, NULL, &p[i]), 0);
		ip->rc[i] = zh_store_put_write(p[i], ip->data + i, MIB / 2);
	}
	while (atomic_load(&ip->go) == 0)
		usleep(1000);
	for (unsigned i = 0; i < 2 && ip->rc[i] == 0; i++)
		ip->rc[i] = zh_store_put_finish(p[i], ip->hash[i]);
	return NULL;
}

/*
 * Streaming puts that write part of a chunk and go quiet each hold a chunk slot. Four of them
 * held all four slots: every get of a chunked object (and scrub) waited for them for good. At
 * most half the slots may now be held so; the third such put waits for one of the others, and
 * the get runs only once it does (the store counts the wait), so that the test cannot pass
 * with the third put not there yet.
 */
Test(engine_store, idle_streaming_puts_cannot_starve_gets, .timeout = 30)
{
	uint8_t *data = zt_pattern(3 * MIB, 11);
	struct idle_puts ip = {.data = data + MIB};
	struct zh_store_put *mine[2];
	struct zh_store_opts o;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats st;
	uint64_t waits_before;
	pthread_t tid;

	opts_small(&o);
	cr_assert_eq(zh_store_format(&o), 0);
	o.chunk_slots = 4;
	cr_assert_eq(zh_store_open(&o, &ip.s), 0);
	cr_assert_eq(zh_store_put(ip.s, data, 3 * MIB, NULL, hash), 0);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(zh_store_put_begin(ip.s, NULL, &mine[i]), 0);
		cr_assert_eq(zh_store_put_write(mine[i], data + 2 * MIB + i, MIB / 2), 0);
	}
	zh_store_stats_get(ip.s, &st);
	waits_before = st.slot_waits;
	cr_assert_eq(pthread_create(&tid, NULL, idle_puts_run, &ip), 0);
	for (unsigned i = 0; i < 10000 && st.slot_waits == waits_before; i++) {
		usleep(1000);
		zh_store_stats_get(ip.s, &st);
	}
	cr_assert_gt(st.slot_waits, waits_before, "the third idle put never waited for a slot");
	cr_assert_eq(zt_get_cmp(ip.s, hash, data, 3 * MIB), 0);
	zh_store_put_abort(mine[0]);
	zh_store_put_abort(mine[1]);
	atomic_store(&ip.go, 1);
	pthread_join(tid, NULL);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(ip.rc[i], 0, "late put %u", i);
		cr_assert_eq(zt_get_cmp(ip.s, ip.hash[i], ip.data + i, MIB / 2), 0);
	}
	zt_expect_clean(ip.s);
	zh_store_close(ip.s);
	free(data);
}

/* A full store says so, keeps every object it acknowledged, frees the failed put's space. */
Test(engine_store, full_store_refuses_puts_and_keeps_serving_reads)
{
	struct zh_store_opts o;
	struct zh_store *s;
	uint8_t hash[64][ZH_CODEC_HASH_BYTES];
	size_t len = 3 * MIB;
	unsigned stored = 0;
	int rc = 0;

	opts_small(&o);
	o.dev_bytes = 16ull << 20;
	s = zt_format_open(&o);
	while (stored < 64) {
		uint8_t *p = zt_pattern(len, 100 + stored);

		rc = zh_store_put(s, p, len, NULL, hash[stored]);
		free(p);
		if (rc < 0)
			break;
		stored++;
	}
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_gt(stored, 0);
	for (unsigned i = 0; i < stored; i++) {
		uint8_t *p = zt_pattern(len, 100 + i);

		expect_object(s, hash[i], p, len);
		free(p);
	}
	zt_expect_clean(s);
	/* Small objects live in the index, not on the devices: they still go in. */
	cr_assert_eq(zh_store_put(s, "tiny", 4, NULL, hash[0]), 0);
	zh_store_close(s);
}

/* Input past the largest object is refused, and a dropped put stores nothing. */
Test(engine_store, oversized_and_abandoned_puts_store_nothing)
{
	struct zh_store *s = fresh_store();
	uint64_t empty = free_bytes(s);
	struct zh_store_put *put;
	uint8_t *p = zt_pattern(2 * MIB, 5);
	unsigned n = 0;

	cr_assert_eq(zh_store_put_begin(s, NULL, &put), 0);
	cr_assert_eq(zh_store_put_write(put, p, 2 * MIB), 0);
	cr_assert_eq(zh_store_put_write(put, p, SIZE_MAX), -EFBIG);
	cr_assert_eq(zh_store_put_write(put, p, 10), -EFBIG, "the error sticks");
	cr_assert_eq(zh_store_put_finish(put, (uint8_t[ZH_CODEC_HASH_BYTES]){0}), -EFBIG);
	cr_assert_eq(zh_store_put_begin(s, NULL, &put), 0);
	cr_assert_eq(zh_store_put_write(put, p, 2 * MIB), 0);
	zh_store_put_abort(put);
	cr_assert_eq(zh_store_list(s, count_one, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(free_bytes_settled(s, empty), empty);
	zt_expect_clean(s);
	free(p);
	zh_store_close(s);
}

Test(engine_store, bad_metadata_is_refused)
{
	struct zh_store *s = fresh_store();
	struct zh_object_meta meta = {.filename = NULL};
	char longname[ZH_STORE_META_STR_MAX + 2];
	uint8_t hash[ZH_CODEC_HASH_BYTES];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	meta.filename = longname;
	cr_assert_eq(zh_store_put(s, "x", 1, &meta, hash), -EINVAL);
	zh_store_close(s);
}

/*
 * Regression stress: reactors used to wake a waiter inside the put or get context after marking
 * the chunk done, so a context freed (put) or popped off the stack (get) in between could be
 * written to. The window is nanoseconds wide: this runs it 480 times here and under TSan
 * (tests/engine/tsan_main.c), but did not catch the old code in three TSan runs; the fix (wake
 * words that belong to the store) is what makes it safe, found by reading after one crash.
 */
Test(engine_store, concurrent_puts_and_gets_with_contexts_freed_at_once, .timeout = 120)
{
	struct store_stress_result r = store_stress_run(dir, 60, false);

	cr_assert_eq(r.rc, 0, "%s", strerror(-r.rc));
	cr_assert_eq(r.puts, 240);
	cr_assert_eq(r.gets, 240);
	cr_assert_eq(r.mismatches, 0);
	cr_assert(r.fsck_clean);
}

/*
 * Scrub's reads and repairs race gets, deletes and the reuse of what they free: never a
 * problem. Device 0 is damaged before each pass, so the repairs happen (they did not: nothing
 * was ever bad, and the repair path never ran here or under TSan).
 */
Test(engine_store, scrub_and_repair_while_objects_are_put_and_deleted, .timeout = 120)
{
	struct store_stress_result r = store_stress_run(dir, 40, true);

	cr_assert_eq(r.rc, 0, "%s", strerror(-r.rc));
	cr_assert_eq(r.puts, 160);
	cr_assert_eq(r.mismatches, 0);
	cr_assert_gt(r.scrubs, 0);
	cr_assert_gt(r.shards_repaired, 0, "%llu scrubs repaired nothing",
		     (unsigned long long)r.scrubs);
	cr_assert_eq(r.scrub_problems, 0);
	cr_assert(r.fsck_clean);
}

Test(engine_store, hot_cache_serves_small_objects_and_forgets_deleted_ones)
{
	struct zh_store *s = fresh_store();
	uint8_t *p = zt_pattern(5000, 77);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats st;
	uint8_t part[100];
	struct buf_sink b = {part, 0, sizeof(part)};

	cr_assert_eq(zh_store_put(s, p, 5000, NULL, hash), 0);
	expect_object(s, hash, p, 5000); /* a miss: from the index, then cached */
	expect_object(s, hash, p, 5000); /* a hit */
	cr_assert_eq(zh_store_get(s, hash, 4950, 100, sink_append, &b), 0);
	cr_assert_eq(b.len, 50);
	cr_assert_eq(memcmp(part, p + 4950, 50), 0, "ranges of a cached object");
	cr_assert_eq(zh_store_get(s, hash, 5001, 1, sink_append, &b), -EINVAL);
	zh_store_stats_get(s, &st);
	cr_assert_eq(st.cache_misses, 1);
	cr_assert_eq(st.cache_hits, 3);
	cr_assert_eq(zh_store_delete(s, hash), 0);
	b.len = 0;
	cr_assert_eq(zh_store_get(s, hash, 0, UINT64_MAX, sink_append, &b), -ENOENT);
	free(p);
	zh_store_close(s);
}

struct cache_race {
	struct zh_store *store;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	_Atomic bool deleted, stop;
	_Atomic unsigned tried_after_delete;
	unsigned served_after_delete;
};

static int discard(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void *cache_reader(void *arg)
{
	struct cache_race *c = arg;

	while (!atomic_load(&c->stop)) {
		bool after = atomic_load(&c->deleted);
		int rc = zh_store_get(c->store, c->hash, 0, UINT64_MAX, discard, NULL);

		c->served_after_delete += after && rc == 0;
		if (after)
			atomic_fetch_add(&c->tried_after_delete, 1);
	}
	return NULL;
}

/*
 * Gets racing deletes: once a delete has returned, no get may serve the object from the cache.
 * Each round's object is in the cache before the race (a get fills it, a put does not; the
 * second get is served from it), and the round ends only once the reader has tried it after
 * the delete.
 */
Test(engine_store, hot_cache_never_serves_an_object_after_its_delete_returned)
{
	struct cache_race c = {.store = fresh_store()};
	uint8_t *p = zt_pattern(3000, 5);
	struct zh_store_stats st;
	pthread_t t;

	for (unsigned round = 0; round < 200; round++) {
		p[0] = (uint8_t)round;
		p[1] = (uint8_t)(round >> 8);
		cr_assert_eq(zh_store_put(c.store, p, 3000, NULL, c.hash), 0);
		for (unsigned fill = 0; fill < 2; fill++)
			cr_assert_eq(zh_store_get(c.store, c.hash, 0, UINT64_MAX, discard, NULL),
				     0);
		atomic_store(&c.deleted, false);
		atomic_store(&c.stop, false);
		atomic_store(&c.tried_after_delete, 0);
		cr_assert_eq(pthread_create(&t, NULL, cache_reader, &c), 0);
		usleep(200);
		cr_assert_eq(zh_store_delete(c.store, c.hash), 0);
		atomic_store(&c.deleted, true);
		for (unsigned wait = 0; wait < 10000 && atomic_load(&c.tried_after_delete) == 0;
		     wait++)
			usleep(1000); /* up to 10 s: a loaded machine */
		atomic_store(&c.stop, true);
		pthread_join(t, NULL);
		cr_assert_gt(atomic_load(&c.tried_after_delete), 0,
			     "round %u: no get after the delete", round);
	}
	zh_store_stats_get(c.store, &st);
	cr_assert_geq(st.cache_hits, 200, "each round's second get came from the cache");
	cr_assert_eq(c.served_after_delete, 0);
	free(p);
	zh_store_close(c.store);
}
