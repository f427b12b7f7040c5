/* SPDX-License-Identifier: MIT */
/*
 * test_store_crash.c - kill -9 against the object store. Each round a child process opens the
 * store and runs puts (inline and chunked objects of varied sizes) with a delete after every
 * few, reporting each acknowledged put and delete through a pipe. The parent kills it with
 * SIGKILL at a random moment, reopens the store and checks: every acknowledged object reads
 * back byte for byte, every acknowledged delete is gone, and fsck is clean (every shard, every
 * hash, no leaked or doubly used extent, free + used = device size). Then it deletes what the
 * round left, checks fsck again, and the next round starts on that recovered store.
 * ZH_CRASH_ROUNDS sets the rounds (5 by default; `make test-crash` runs 50).
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

#include "store_testing.h"

#define MIB	(1u << 20)
#define OPS_MAX 4096

/* A delete is announced before it starts: one cut short by the kill may or may not be done. */
enum { ACK_PUT = 1, DELETE_STARTS = 2, ACK_DELETE = 3 };

struct ack {
	uint32_t kind;
	uint32_t n;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
};

static char dir[256];

static void store_opts(struct zh_store_opts *o)
{
	zt_store_opts(o, dir);
}

static size_t object_len(uint32_t n)
{
	/* Inline, just over the inline limit, and multi-chunk with a ragged tail. */
	switch (n % 4) {
	case 0:
		return 3000 + n % 500;
	case 1:
		return 16384 + 1 + n % 1000;
	default:
		return (n % 3 + 1) * MIB + (n * 4099u) % MIB;
	}
}

static void object_fill(uint8_t *p, size_t len, uint32_t round, uint32_t n)
{
	uint64_t x = ((uint64_t)round << 32 | n) * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (i / 8192) % 2 ? (uint8_t)x : (uint8_t)(i >> 6);
	}
}

static void ack_send(int fd, uint32_t kind, uint32_t n, const uint8_t *hash)
{
	struct ack a = {.kind = kind, .n = n};

	memcpy(a.hash, hash, sizeof(a.hash));
	if (write(fd, &a, sizeof(a)) != sizeof(a))
		_exit(1);
}

/* Put objects forever; after every third put delete the put before last. */
static void child_run(int fd, uint32_t round)
{
	static uint8_t hash[OPS_MAX][ZH_CODEC_HASH_BYTES];
	uint8_t *buf = malloc(4 * MIB);
	struct zh_store_opts o;
	struct zh_store *s;

	store_opts(&o);
	if (buf == NULL || zh_store_open(&o, &s) != 0)
		_exit(2);
	for (uint32_t n = 0; n < OPS_MAX; n++) {
		size_t len = object_len(n);

		object_fill(buf, len, round, n);
		if (zh_store_put(s, buf, len, NULL, hash[n]) != 0)
			_exit(3);
		ack_send(fd, ACK_PUT, n, hash[n]);
		if (n % 3 == 2) {
			ack_send(fd, DELETE_STARTS, n - 1, hash[n - 1]);
			if (zh_store_delete(s, hash[n - 1]) != 0)
				_exit(4);
			ack_send(fd, ACK_DELETE, n - 1, hash[n - 1]);
		}
	}
	_exit(0);
}

static void expect_clean(struct zh_store *s, uint32_t round)
{
	struct zh_store_fsck f;

	cr_assert_eq(zh_store_fsck(s, &f, NULL, NULL, NULL), 0);
	cr_assert(zh_store_fsck_clean(&f),
		  "round %u: fsck: bad shards %llu lost %llu hash %llu records %llu leaked %llu "
		  "unrecorded %llu space %llu",
		  round, (unsigned long long)f.shards_bad, (unsigned long long)f.chunks_lost,
		  (unsigned long long)f.hash_mismatch, (unsigned long long)f.records_bad,
		  (unsigned long long)f.extents_leaked, (unsigned long long)f.extents_unrecorded,
		  (unsigned long long)f.devs_space_wrong);
}

static void verify_round(struct zh_store *s, uint32_t round, const struct ack *acks, unsigned count)
{
	static bool deleting[OPS_MAX];
	uint8_t *buf = malloc(4 * MIB);

	memset(deleting, 0, sizeof(deleting));
	for (unsigned i = 0; i < count; i++)
		deleting[acks[i].n] |= acks[i].kind != ACK_PUT;
	for (unsigned i = 0; i < count; i++) {
		const struct ack *a = &acks[i];
		struct zh_object_info info;
		size_t len = object_len(a->n);

		if (a->kind == ACK_DELETE) {
			cr_assert_eq(zh_store_stat(s, a->hash, &info), -ENOENT,
				     "round %u: deleted object %u is back", round, a->n);
			continue;
		}
		if (a->kind == DELETE_STARTS || deleting[a->n])
			continue;
		object_fill(buf, len, round, a->n);
		int rc = zt_get_cmp(s, a->hash, buf, len);

		cr_assert_neq(rc, -EBADMSG, "round %u: object %u reads back wrong", round, a->n);
		cr_assert_eq(rc, 0, "round %u: acknowledged object %u (%zu bytes) lost: %s", round,
			     a->n, len, strerror(-rc));
	}
	free(buf);
}

static int delete_listed(void *ctx, const struct zh_object_info *info)
{
	/* Deleting while listing: RocksDB iterators read a snapshot, so the walk is stable. */
	return zh_store_delete(ctx, info->hash) == 0 ? 0 : -EIO;
}

static unsigned round_run(uint32_t round, struct ack *acks)
{
	unsigned count = 0;
	int fds[2], st;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_run(fds[1], round);
	}
	close(fds[1]);
	/* Kill at a random moment after the first acknowledgement. */
	cr_assert_eq(read(fds[0], &acks[count], sizeof(*acks)), sizeof(*acks),
		     "round %u: the child died before its first put", round);
	count++;
	usleep((useconds_t)(rand() % 300000));
	kill(pid, SIGKILL);
	while (count < 3 * OPS_MAX && read(fds[0], &acks[count], sizeof(*acks)) == sizeof(*acks))
		count++;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "round %u: child exited %d", round,
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return count;
}

Test(engine_store_crash, acknowledged_puts_and_deletes_survive_kill_9, .timeout = 1200)
{
	unsigned rounds = getenv("ZH_CRASH_ROUNDS") ? (unsigned)atoi(getenv("ZH_CRASH_ROUNDS")) : 5;
	struct ack *acks = calloc(3 * OPS_MAX, sizeof(*acks));
	struct zh_store_opts o;
	char cmd[300];

	snprintf(dir, sizeof(dir), "%s/store-crash-%d", ZH_TEST_SCRATCH_DIR, getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	store_opts(&o);
	cr_assert_eq(zh_store_format(&o), 0);
	srand((unsigned)time(NULL));
	for (uint32_t r = 0; r < rounds; r++) {
		unsigned count = round_run(r, acks);
		struct zh_store *s;

		cr_log_info("round %u: %u acknowledgements before the kill", r, count);
		cr_assert_eq(zh_store_open(&o, &s), 0, "round %u: reopen", r);
		verify_round(s, r, acks, count);
		expect_clean(s, r);
		cr_assert_eq(zh_store_list(s, delete_listed, s), 0);
		expect_clean(s, r);
		zh_store_close(s);
	}
	free(acks);
	cr_assert_eq(system(cmd), 0);
}
