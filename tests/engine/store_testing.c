/* SPDX-License-Identifier: MIT */
/*
 * store_testing: helpers shared by the store's Criterion suites (store_testing.h).
 */
#include "store_testing.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void zt_rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	cr_assert_eq(system(cmd), 0);
}

void zt_given_devs(const char *dir, const char *const *names, const off_t *bytes, unsigned n,
		   char paths[][400], const char **out)
{
	char given[300];

	snprintf(given, sizeof(given), "%s-given", dir);
	zt_rm_rf(given);
	cr_assert_eq(mkdir(given, 0755), 0);
	for (unsigned i = 0; i < n; i++) {
		int fd;

		if (names != NULL)
			snprintf(paths[i], 400, "%s/%s", given, names[i]);
		else
			snprintf(paths[i], 400, "%s/d%u.img", given, i);
		fd = open(paths[i], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		cr_assert_geq(fd, 0, "%s", paths[i]);
		cr_assert_eq(ftruncate(fd, bytes != NULL ? bytes[i] : 64 << 20), 0);
		close(fd);
		out[i] = paths[i];
	}
}

void zt_scratch_dir(char *dir, size_t cap, const char *name)
{
	snprintf(dir, cap, "%s/%s-%d", ZH_TEST_SCRATCH_DIR, name, getpid());
	zt_rm_rf(dir);
}

struct zh_store *zt_open(const struct zh_store_opts *o)
{
	struct zh_store *s;
	int rc = zh_store_open(o, &s);

	cr_assert_eq(rc, 0, "open %s: %s", o->dir, strerror(-rc));
	return s;
}

struct zh_store *zt_format_open(const struct zh_store_opts *o)
{
	int rc = zh_store_format(o);

	cr_assert_eq(rc, 0, "format %s: %s", o->dir, strerror(-rc));
	return zt_open(o);
}

/* \p len bytes from \p seed; with \p mixed, every other 4 KiB compresses. */
static uint8_t *bytes_from(size_t len, uint32_t seed, bool mixed)
{
	uint8_t *p = malloc(len > 0 ? len : 1);
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	cr_assert_not_null(p);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = !mixed || (i / 4096) % 2 ? (uint8_t)x : (uint8_t)(i / 64);
	}
	return p;
}

uint8_t *zt_pattern(size_t len, uint32_t seed)
{
	return bytes_from(len, seed, true);
}

uint8_t *zt_random(size_t len, uint32_t seed)
{
	return bytes_from(len, seed, false);
}

int zt_expect_sink(void *ctx, const void *data, size_t len)
{
	struct zt_expect *e = ctx;

	e->differs |= e->at + len > e->len || memcmp(e->want + e->at, data, len) != 0;
	e->at += len;
	return 0;
}

bool zt_expect_matched(const struct zt_expect *e)
{
	return !e->differs && e->at == e->len;
}

int zt_get_cmp(struct zh_store *s, const uint8_t *hash, const uint8_t *want, size_t len)
{
	struct zt_expect e = {want, len, 0, false};
	int rc = zh_store_get(s, hash, 0, UINT64_MAX, zt_expect_sink, &e);

	return rc == 0 && !zt_expect_matched(&e) ? -EBADMSG : rc;
}

struct zh_store_fsck zt_fsck(struct zh_store *s)
{
	struct zh_store_fsck f;

	cr_assert_eq(zh_store_fsck(s, &f, NULL, NULL, NULL), 0);
	return f;
}

void zt_expect_clean(struct zh_store *s)
{
	struct zh_store_fsck f = zt_fsck(s);

	cr_assert(zh_store_fsck_clean(&f),
		  "fsck: bad shards %llu lost %llu hash %llu records %llu leaked %llu "
		  "unrecorded %llu space %llu missing %llu",
		  (unsigned long long)f.shards_bad, (unsigned long long)f.chunks_lost,
		  (unsigned long long)f.hash_mismatch, (unsigned long long)f.records_bad,
		  (unsigned long long)f.extents_leaked, (unsigned long long)f.extents_unrecorded,
		  (unsigned long long)f.devs_space_wrong, (unsigned long long)f.devs_missing);
}

void zt_dev_away(const char *dir, unsigned dev, bool away)
{
	char img[600], gone[600];

	snprintf(img, sizeof(img), "%s/dev%u.img", dir, dev);
	snprintf(gone, sizeof(gone), "%s/dev%u.away", dir, dev);
	cr_assert_eq(away ? rename(img, gone) : rename(gone, img), 0, "dev%u", dev);
}

void zt_damage_file(const char *dir, const char *name, off_t at, size_t len, int byte)
{
	char path[600];
	uint8_t *junk = malloc(len);
	int fd;

	cr_assert_not_null(junk);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0, "%s", path);
	memset(junk, byte, len);
	cr_assert_eq(pwrite(fd, junk, len, at), (ssize_t)len);
	close(fd);
	free(junk);
}

/* nftw has no context argument: the search in progress. */
static struct {
	const void *needle;
	size_t len;
	bool found;
} tree_search;

static int file_search(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	int fd;
	uint8_t *map;

	(void)ftw;
	if (type != FTW_F || st->st_size < (off_t)tree_search.len || tree_search.found)
		return 0;
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", path);
	map = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	cr_assert_neq(map, MAP_FAILED, "%s", path);
	close(fd);
	if (memmem(map, (size_t)st->st_size, tree_search.needle, tree_search.len) != NULL)
		tree_search.found = true;
	munmap(map, (size_t)st->st_size);
	return 0;
}

bool zt_tree_contains(const char *dir, const void *needle, size_t len)
{
	tree_search.needle = needle;
	tree_search.len = len;
	tree_search.found = false;
	cr_assert_eq(nftw(dir, file_search, 16, FTW_PHYS), 0);
	return tree_search.found;
}

void zt_index_put(struct zh_index *index, enum zh_index_cf cf, const void *key, size_t key_len,
		  const void *val, size_t val_len)
{
	struct zh_index_batch *b;

	cr_assert_eq(zh_index_batch_create(index, &b), 0);
	zh_index_batch_put(b, cf, key, key_len, val, val_len);
	cr_assert_eq(zh_index_commit(index, b), 0);
	zh_index_batch_destroy(b);
}
