/* SPDX-License-Identifier: MIT */
/*
 * test_index.c - the RocksDB layer: round trips in each column family and their isolation,
 * missing keys, short buffers, deletes, prefix scans in key order, single and group commits,
 * refusal of a second opener (-EBUSY) and of a missing store (-ENOENT), opening a database made
 * before a column family was added, and durability under kill -9: a child (index_crash_child,
 * a program of its own: crash_child.h says why) commits groups and reports each acknowledged
 * one through a pipe; after SIGKILL at a random moment every
 * acknowledged key must be there on reopen.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "crash_child.h"
#include "index/index.h"

/* Opening the database and one group commit take well under a second, even under the sanitizers. */
#define FIRST_ACK_MS 120000

static char path[512];
static struct zh_index *ix;

static void setup(void)
{
	struct zh_index_opts o;

	snprintf(path, sizeof(path), "%s/index-%d", ZH_TEST_SCRATCH_DIR, (int)getpid());
	zh_index_opts_default(&o);
	o.path = path;
	o.create = true;
	cr_assert_eq(zh_index_open(&o, &ix), 0, "%s", zh_index_last_error());
}

static void teardown(void)
{
	char cmd[600];

	zh_index_close(ix);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(index, .init = setup, .fini = teardown, .timeout = 60);

static void put1(enum zh_index_cf cf, const char *k, const char *v)
{
	struct zh_index_batch *b;

	cr_assert_eq(zh_index_batch_create(ix, &b), 0);
	zh_index_batch_put(b, cf, k, strlen(k), v, strlen(v));
	cr_assert_eq(zh_index_commit(ix, b), 0, "%s", zh_index_last_error());
	zh_index_batch_destroy(b);
}

static long get1(enum zh_index_cf cf, const char *k, char *buf, size_t cap)
{
	long n = zh_index_get(ix, cf, k, strlen(k), buf, cap);

	if (n >= 0 && (size_t)n < cap)
		buf[n] = '\0';
	return n;
}

Test(index, round_trip_and_column_families_are_separate)
{
	char buf[64];

	put1(ZH_INDEX_CF_OBJECTS, "k", "object");
	put1(ZH_INDEX_CF_CHUNKS, "k", "chunk");
	cr_assert_eq(get1(ZH_INDEX_CF_OBJECTS, "k", buf, sizeof(buf)), 6);
	cr_assert_str_eq(buf, "object");
	cr_assert_eq(get1(ZH_INDEX_CF_CHUNKS, "k", buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "chunk");
	cr_assert_eq(get1(ZH_INDEX_CF_ALLOC, "k", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(get1(ZH_INDEX_CF_META, "missing", buf, sizeof(buf)), -ENOENT);
}

Test(index, short_buffer_gets_the_full_length)
{
	char buf[4] = "xxx";

	put1(ZH_INDEX_CF_META, "name", "a-long-value");
	cr_assert_eq(zh_index_get(ix, ZH_INDEX_CF_META, "name", 4, buf, 3), 12);
	cr_assert_eq(memcmp(buf, "a-l", 3), 0);
}

Test(index, batch_is_atomic_and_deletes)
{
	struct zh_index_batch *b;
	char buf[16];

	put1(ZH_INDEX_CF_OBJECTS, "old", "1");
	cr_assert_eq(zh_index_batch_create(ix, &b), 0);
	zh_index_batch_put(b, ZH_INDEX_CF_OBJECTS, "new", 3, "2", 1);
	zh_index_batch_delete(b, ZH_INDEX_CF_OBJECTS, "old", 3);
	cr_assert_eq(zh_index_batch_count(b), 2);
	cr_assert_eq(zh_index_commit(ix, b), 0);
	cr_assert_eq(get1(ZH_INDEX_CF_OBJECTS, "old", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(get1(ZH_INDEX_CF_OBJECTS, "new", buf, sizeof(buf)), 1);
	zh_index_batch_clear(b);
	cr_assert_eq(zh_index_batch_count(b), 0);
	zh_index_batch_destroy(b);
}

struct scan_seen {
	char keys[16][16];
	unsigned n;
	unsigned stop_at;
};

static int scan_collect(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct scan_seen *s = ctx;

	(void)val;
	(void)val_len;
	cr_assert_lt(s->n, 16);
	cr_assert_lt(key_len, 16);
	memcpy(s->keys[s->n], key, key_len);
	s->keys[s->n][key_len] = '\0';
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

Test(index, prefix_scan_in_key_order_and_stops_on_request)
{
	static const char *keys[] = {"b/2", "a/1", "b/1", "c/1", "b/3"};
	struct scan_seen s = {.n = 0};

	for (unsigned i = 0; i < 5; i++)
		put1(ZH_INDEX_CF_ALLOC, keys[i], "v");
	cr_assert_eq(zh_index_scan(ix, ZH_INDEX_CF_ALLOC, "b/", 2, scan_collect, &s), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.keys[0], "b/1");
	cr_assert_str_eq(s.keys[1], "b/2");
	cr_assert_str_eq(s.keys[2], "b/3");
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	cr_assert_eq(zh_index_scan(ix, ZH_INDEX_CF_ALLOC, "", 0, scan_collect, &s), 42);
	cr_assert_eq(s.n, 2);
}

Test(index, group_commit_applies_every_batch)
{
	struct zh_index_batch *b[8];
	unsigned applied = 0;
	char key[16], buf[16];

	for (unsigned i = 0; i < 8; i++) {
		cr_assert_eq(zh_index_batch_create(ix, &b[i]), 0);
		snprintf(key, sizeof(key), "g%u", i);
		zh_index_batch_put(b[i], ZH_INDEX_CF_OBJECTS, key, strlen(key), key, strlen(key));
	}
	cr_assert_eq(zh_index_commit_group(ix, b, 8, &applied), 0);
	cr_assert_eq(applied, 8);
	for (unsigned i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "g%u", i);
		cr_assert_eq(get1(ZH_INDEX_CF_OBJECTS, key, buf, sizeof(buf)), (long)strlen(key));
		zh_index_batch_destroy(b[i]);
	}
}

Test(index, second_opener_is_ebusy_and_missing_store_is_enoent)
{
	struct zh_index_opts o;
	struct zh_index *other;
	char missing[600];

	zh_index_opts_default(&o);
	o.path = path;
	cr_assert_eq(zh_index_open(&o, &other), -EBUSY, "%s", zh_index_last_error());
	snprintf(missing, sizeof(missing), "%s-absent", path);
	o.path = missing;
	cr_assert_eq(zh_index_open(&o, &other), -ENOENT, "%s", zh_index_last_error());
	o.path = "";
	cr_assert_eq(zh_index_open(&o, &other), -EINVAL);
}

/*
 * RocksDB's messages hold paths: a store under a directory named "blocks" (which holds "lock")
 * is still missing, not busy, and an unreadable one is an I/O error, not busy.
 */
Test(index, errors_are_classed_by_rocksdb_class_not_by_words_in_paths)
{
	struct zh_index_opts o;
	struct zh_index *other;
	char blocks[600], current[700], cmd[800];
	FILE *f;

	snprintf(blocks, sizeof(blocks), "%s-blocks", path);
	zh_index_opts_default(&o);
	o.path = blocks;
	cr_assert_eq(zh_index_open(&o, &other), -ENOENT, "%s", zh_index_last_error());
	o.create = true;
	cr_assert_eq(zh_index_open(&o, &other), 0, "%s", zh_index_last_error());
	zh_index_close(other);
	snprintf(current, sizeof(current), "%s/CURRENT", blocks);
	f = fopen(current, "w");
	cr_assert_not_null(f);
	fputs("MANIFEST-999999\n", f);
	fclose(f);
	o.create = false;
	cr_assert_eq(zh_index_open(&o, &other), -EIO, "%s", zh_index_last_error());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", blocks);
	cr_assert_eq(system(cmd), 0);
}

/*
 * The child: group commits of 4 batches of one key each, "acked" through the pipe. Its own
 * timeout is above FIRST_ACK_MS, so a child that never acknowledges is reported as that, not
 * as the suite's 60 s timeout.
 */
Test(index, acknowledged_group_commits_survive_kill_9, .timeout = 300)
{
	unsigned rounds = getenv("ZH_CRASH_ROUNDS") ? (unsigned)atoi(getenv("ZH_CRASH_ROUNDS")) : 5;

	srand((unsigned)time(NULL));
	zh_index_close(ix);
	ix = NULL;
	for (unsigned r = 0; r < rounds; r++) {
		struct zh_index_opts o;
		char round[16];
		char *const argv[] = {ZH_INDEX_CRASH_CHILD, path, round, NULL};
		uint32_t acked = 0, n;
		int fd, st;
		long got;
		pid_t pid;
		char key[64], buf[64];

		snprintf(round, sizeof(round), "%u", r);
		zh_index_opts_default(&o);
		o.path = path;
		o.create = true;
		cr_assert_eq(zt_child_spawn(argv, &pid, &fd), 0);
		/* Kill at a random moment after the first acknowledgement. */
		got = zt_child_read_within(fd, &n, sizeof(n), FIRST_ACK_MS);
		if (got != (long)sizeof(n)) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			cr_assert_fail("round %u: %s", r,
				       got == -ETIMEDOUT
					   ? "no group commit acknowledged in time"
					   : "the child died before its first commit");
		}
		acked = n + 4;
		usleep((useconds_t)(rand() % 80000));
		kill(pid, SIGKILL);
		while (read(fd, &n, sizeof(n)) == sizeof(n))
			acked = n + 4;
		close(fd);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "round %u", r);
		cr_assert_eq(zh_index_open(&o, &ix), 0, "round %u: %s", r, zh_index_last_error());
		for (uint32_t i = 0; i < acked; i++) {
			snprintf(key, sizeof(key), "crash/%s/%08u", round, i);
			cr_assert_eq(zh_index_get(ix, ZH_INDEX_CF_OBJECTS, key, strlen(key), buf,
						  sizeof(buf)),
				     (long)strlen(key), "round %u: acknowledged key %u lost", r, i);
			cr_assert_eq(memcmp(buf, key, strlen(key)), 0,
				     "round %u: key %u holds %.*s", r, i, (int)strlen(key), buf);
		}
		zh_index_close(ix);
		ix = NULL;
	}
	setup();
}

/*
 * A database made before the access column family existed (objects, chunks, alloc, meta
 * only) opens without `create`: the new family is created empty, which reads as "nothing
 * there", and what the old families held is intact.
 */
Test(index, a_database_without_a_newer_column_family_opens_with_it_empty)
{
	static const char *const old_cfs[] = {"default", "objects", "chunks", "alloc", "meta"};
	char old_path[600];
	rocksdb_options_t *opts = rocksdb_options_create();
	rocksdb_column_family_handle_t *cf[ZH_ARRAY_SIZE(old_cfs)];
	const rocksdb_options_t *cf_opts[ZH_ARRAY_SIZE(old_cfs)];
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	struct zh_index_opts o;
	struct zh_index *old;
	char *err = NULL;
	char buf[16];
	rocksdb_t *db;

	snprintf(old_path, sizeof(old_path), "%s/old", path);
	rocksdb_options_set_create_if_missing(opts, 1);
	rocksdb_options_set_create_missing_column_families(opts, 1);
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(old_cfs); i++)
		cf_opts[i] = opts;
	db = rocksdb_open_column_families(opts, old_path, ZH_ARRAY_SIZE(old_cfs), old_cfs, cf_opts,
					  cf, &err);
	cr_assert_null(err, "%s", err);
	rocksdb_put_cf(db, wo, cf[1], "k", 1, "v", 1, &err);
	cr_assert_null(err, "%s", err);
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(old_cfs); i++)
		rocksdb_column_family_handle_destroy(cf[i]);
	rocksdb_close(db);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(opts);

	zh_index_opts_default(&o);
	o.path = old_path;
	cr_assert_eq(zh_index_open(&o, &old), 0, "%s", zh_index_last_error());
	cr_assert_eq(zh_index_get(old, ZH_INDEX_CF_OBJECTS, "k", 1, buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], 'v');
	cr_assert_eq(zh_index_get(old, ZH_INDEX_CF_ACCESS, "k", 1, buf, sizeof(buf)), -ENOENT);
	zh_index_close(old);
}
