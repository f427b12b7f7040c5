/* SPDX-License-Identifier: MIT */
/*
 * test_store_crash.c - kill -9 against the object store. Each round a child process
 * (store_crash_child, a program of its own: crash_child.h says why) opens the store and runs
 * puts (inline and chunked objects of varied sizes; some twice, two references to one
 * object) with a delete after every few, reporting each acknowledged put and delete through a
 * pipe. The parent kills it with
 * SIGKILL at a random moment, reopens the store and checks: every object with more
 * acknowledged puts than deletes begun reads back byte for byte, every object with as many
 * acknowledged deletes as puts is gone, and fsck is clean (every shard, every
 * hash, no leaked or doubly used extent, free + used = device size). Then it deletes what the
 * round left, checks fsck again, and the next round starts on that recovered store. The same
 * runs with several callers at once (group commits), and a scrub (rewriting shards in place,
 * or moving the shards of crowded chunks) and a replacement of lost devices are killed
 * part-way too.
 * ZH_CRASH_ROUNDS sets the rounds (5 by default; `make test-crash` runs 50).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash_child.h"
#include "store_crash_load.h"
#include "store_testing.h"

/* Opening the store and the first put take well under a second, even under the sanitizers. */
#define FIRST_ACK_MS 120000

static char dir[256];

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

/* What the child acknowledged of each object: puts, deletes begun, deletes done. */
struct zsc_tally {
	unsigned puts, deletes_begun, deletes_done;
	const uint8_t *hash;
};

/*
 * An object with more acknowledged puts than deletes begun must read back (a delete cut short
 * may or may not have dropped its reference); one with as many deletes done as puts is gone.
 * Each object's puts are acknowledged before its delete begins, so no put of it was in flight.
 */
static void verify_object(struct zh_store *s, uint32_t round, uint32_t n, const struct zsc_tally *t,
			  uint8_t *buf)
{
	struct zh_object_info info;
	size_t len = zsc_object_len(n);
	int rc;

	if (t->deletes_done >= t->puts) {
		cr_assert_eq(zh_store_stat(s, t->hash, &info), -ENOENT,
			     "round %u: deleted object %u is back", round, n);
		return;
	}
	if (t->deletes_begun >= t->puts)
		return;
	zsc_object_fill(buf, len, round, n);
	rc = zt_get_cmp(s, t->hash, buf, len);
	cr_assert_neq(rc, -EBADMSG, "round %u: object %u reads back wrong", round, n);
	cr_assert_eq(rc, 0, "round %u: acknowledged object %u (%zu bytes) lost: %s", round, n, len,
		     strerror(-rc));
	cr_assert_eq(zh_store_stat(s, t->hash, &info), 0);
	cr_assert_geq(info.refcount, t->puts - t->deletes_begun, "round %u: object %u", round, n);
}

static void verify_round(struct zh_store *s, uint32_t round, const struct zsc_ack *acks,
			 unsigned count)
{
	static struct zsc_tally tally[ZSC_OPS_MAX];
	uint8_t *buf = malloc(4 * ZT_MIB);

	memset(tally, 0, sizeof(tally));
	for (unsigned i = 0; i < count; i++) {
		struct zsc_tally *t = &tally[acks[i].n];

		t->hash = acks[i].hash;
		t->puts += acks[i].kind == ZSC_ACK_PUT;
		t->deletes_begun += acks[i].kind == ZSC_DELETE_STARTS;
		t->deletes_done += acks[i].kind == ZSC_ACK_DELETE;
	}
	for (uint32_t n = 0; n < ZSC_OPS_MAX; n++) {
		if (tally[n].puts > 0)
			verify_object(s, round, n, &tally[n], buf);
	}
	free(buf);
}

static int delete_listed(void *ctx, const struct zh_object_info *info)
{
	/* Deleting while listing: RocksDB iterators read a snapshot, so the walk is stable. */
	for (uint32_t ref = 0; ref < info->refcount; ref++) {
		if (zh_store_delete(ctx, info->hash) != 0)
			return -EIO;
	}
	return 0;
}

/*
 * Start the child with \p argv and wait for its first acknowledgement (into \p first).
 * \return its pid; *fd is the read end of its acknowledgements.
 */
static pid_t child_started(char *const argv[], uint32_t round, struct zsc_ack *first, int *fd)
{
	long got;
	pid_t pid;
	int st;

	cr_assert_eq(zt_child_spawn(argv, &pid, fd), 0);
	got = zt_child_read_within(*fd, first, sizeof(*first), FIRST_ACK_MS);
	if (got != (long)sizeof(*first)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_assert_fail("round %u: %s", round,
			       got == -ETIMEDOUT
				   ? "no first acknowledgement in time"
				   : "the child died before its first acknowledgement");
	}
	return pid;
}

/* Reap the child killed after \p fd was closed: it must have died of the kill. */
static void child_reaped(pid_t pid, uint32_t round)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "round %u: child exited %d", round,
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * Run one round's child (\p mode: NULL, or "concurrent"), kill it at a random moment after its
 * first acknowledgement.
 */
static unsigned round_run(uint32_t round, char *mode, struct zsc_ack *acks)
{
	char round_arg[16];
	char *const argv[] = {ZH_STORE_CRASH_CHILD, dir, round_arg, mode, NULL};
	unsigned count = 1;
	int fd;
	pid_t pid;

	snprintf(round_arg, sizeof(round_arg), "%u", round);
	pid = child_started(argv, round, &acks[0], &fd);
	usleep((useconds_t)(rand() % 300000));
	kill(pid, SIGKILL);
	while (count < 3 * ZSC_OPS_MAX && read(fd, &acks[count], sizeof(*acks)) == sizeof(*acks))
		count++;
	close(fd);
	child_reaped(pid, round);
	return count;
}

static unsigned crash_rounds(void)
{
	return getenv("ZH_CRASH_ROUNDS") ? (unsigned)atoi(getenv("ZH_CRASH_ROUNDS")) : 5;
}

/* A fresh store in dir for the test \p name; \p rm gets the command that removes it. */
static void crash_store_format(const char *name, struct zh_store_opts *o, char rm[300])
{
	snprintf(dir, sizeof(dir), "%s/%s-%d", ZH_TEST_SCRATCH_DIR, name, getpid());
	snprintf(rm, 300, "rm -rf '%s'", dir);
	cr_assert_eq(system(rm), 0);
	zt_store_opts(o, dir);
	cr_assert_eq(zh_store_format(o), 0);
	srand((unsigned)time(NULL));
}

/* Rounds of the put-and-delete child in \p mode against one store, each checked after the kill. */
static void load_rounds(const char *name, char *mode)
{
	unsigned rounds = crash_rounds();
	struct zsc_ack *acks = calloc(3 * ZSC_OPS_MAX, sizeof(*acks));
	struct zh_store_opts o;
	char cmd[300];

	crash_store_format(name, &o, cmd);
	for (uint32_t r = 0; r < rounds; r++) {
		unsigned count = round_run(r, mode, acks);
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

Test(engine_store_crash, acknowledged_puts_and_deletes_survive_kill_9, .timeout = 1200)
{
	load_rounds("store-crash", NULL);
}

/*
 * The same with ZSC_THREADS callers at once, so that the kill lands while the index thread
 * commits a group of several callers' puts and deletes: every acknowledged one must survive,
 * whichever group it went in.
 */
Test(engine_store_crash, concurrent_puts_and_deletes_survive_kill_9, .timeout = 1200)
{
	char mode[] = "concurrent";

	load_rounds("store-crash-concurrent", mode);
}

/* Objects the scrub test keeps for all its rounds. */
#define SCRUB_OBJECTS 12

static uint8_t scrub_hash[SCRUB_OBJECTS][ZH_CODEC_HASH_BYTES];

static void scrub_objects_put(const struct zh_store_opts *o)
{
	uint8_t *buf = malloc(4 * ZT_MIB);
	struct zh_store *s = zt_open(o);

	for (uint32_t n = 0; n < SCRUB_OBJECTS; n++) {
		zsc_object_fill(buf, zsc_object_len(n), 0, n);
		cr_assert_eq(zh_store_put(s, buf, zsc_object_len(n), NULL, scrub_hash[n]), 0);
	}
	zh_store_close(s);
	free(buf);
}

static void scrub_objects_read(struct zh_store *s, uint32_t round)
{
	uint8_t *buf = malloc(4 * ZT_MIB);

	for (uint32_t n = 0; n < SCRUB_OBJECTS; n++) {
		zsc_object_fill(buf, zsc_object_len(n), 0, n);
		cr_assert_eq(zt_get_cmp(s, scrub_hash[n], buf, zsc_object_len(n)), 0,
			     "round %u: object %u", round, n);
	}
	free(buf);
}

/*
 * Start the child in \p mode and kill it at a random moment in its first \p max_us: counted
 * from its first acknowledgement (the first bad shard its scrub found, where its repairs
 * begin) when \p after_ack, else from its start (a replacement happens while it opens).
 */
static void mode_round_kill(uint32_t round, char *mode, bool after_ack, unsigned max_us)
{
	char round_arg[16];
	char *const argv[] = {ZH_STORE_CRASH_CHILD, dir, round_arg, mode, NULL};
	struct zsc_ack ack;
	int fd;
	pid_t pid;

	snprintf(round_arg, sizeof(round_arg), "%u", round);
	if (after_ack)
		pid = child_started(argv, round, &ack, &fd);
	else
		cr_assert_eq(zt_child_spawn(argv, &pid, &fd), 0);
	usleep((useconds_t)(rand() % max_us));
	kill(pid, SIGKILL);
	close(fd);
	child_reaped(pid, round);
}

/*
 * A scrub with repair to the end: nothing lost, everything bad rebuilt, every crowded chunk
 * spread, fsck clean after. \return what it found.
 */
static struct zh_store_fsck scrub_to_clean(struct zh_store *s, uint32_t round)
{
	struct zh_store_scrub_opts so;
	struct zh_store_fsck f;

	zh_store_scrub_opts_default(&so);
	cr_assert_eq(zh_store_scrub(s, &so, &f, NULL, NULL, NULL), 0);
	cr_assert_eq(f.chunks_lost, 0, "round %u", round);
	cr_assert(zh_store_scrub_clean(&f), "round %u: bad %llu repaired %llu", round,
		  (unsigned long long)f.shards_bad, (unsigned long long)f.shards_repaired);
	expect_clean(s, round);
	return f;
}

/*
 * A scrub killed while it rewrites bad shards in place leaves nothing worse than shards still
 * bad: every object reads back, and a scrub to the end makes the store whole. Each round one
 * device's first 16 MiB (where the objects' shards are) are overwritten first. A round whose
 * kill came after the child's repairs were done finds nothing bad left; some must find shards
 * still bad, or no kill landed inside a repair.
 */
Test(engine_store_crash, a_scrub_killed_while_it_repairs_leaves_nothing_worse, .timeout = 1200)
{
	unsigned rounds = crash_rounds(), cut_short = 0;
	struct zh_store_opts o;
	char cmd[300], dev[32], mode[] = "scrub";

	crash_store_format("store-crash-scrub", &o, cmd);
	scrub_objects_put(&o);
	for (uint32_t r = 0; r < rounds; r++) {
		struct zh_store *s;

		snprintf(dev, sizeof(dev), "dev%u.img", r % 6);
		zt_damage_file(dir, dev, 4096, 16 * ZT_MIB, 0x5a);
		mode_round_kill(r, mode, true, 200000);
		s = zt_open(&o);
		scrub_objects_read(s, r);
		cut_short += scrub_to_clean(s, r).shards_bad > 0;
		zh_store_close(s);
	}
	cr_assert_gt(cut_short, 0, "none of %u kills landed before the child's repairs were done",
		     rounds);
	cr_assert_eq(system(cmd), 0);
}

/* Objects each round of the move test puts while a device is away. */
#define CROWDED_OBJECTS 3

static uint8_t crowded_hash[CROWDED_OBJECTS][ZH_CODEC_HASH_BYTES];

static size_t crowded_len(uint32_t n)
{
	return 2 * ZT_MIB + n * 300000;
}

/* Object n of round r: its bytes, made again to check what reads back. */
static uint8_t *crowded_bytes(uint32_t round, uint32_t n)
{
	return zt_random(crowded_len(n), 5000 + round * CROWDED_OBJECTS + n);
}

/*
 * Put the round's objects while device round % 6 is away: each chunk puts two shards on one of
 * the other five (4+2), a crowded chunk for the scrub to move once the device is back.
 */
static void crowded_objects_put(const struct zh_store_opts *o, uint32_t round)
{
	struct zh_store *s;

	zt_dev_away(dir, round % 6, true);
	s = zt_open(o);
	for (uint32_t n = 0; n < CROWDED_OBJECTS; n++) {
		uint8_t *p = crowded_bytes(round, n);

		cr_assert_eq(zh_store_put(s, p, crowded_len(n), NULL, crowded_hash[n]), 0);
		free(p);
	}
	zh_store_close(s);
	zt_dev_away(dir, round % 6, false);
}

/* Read the round's crowded objects back, then delete them (the next round puts its own). */
static void crowded_objects_check_and_delete(struct zh_store *s, uint32_t round)
{
	for (uint32_t n = 0; n < CROWDED_OBJECTS; n++) {
		uint8_t *p = crowded_bytes(round, n);

		cr_assert_eq(zt_get_cmp(s, crowded_hash[n], p, crowded_len(n)), 0,
			     "round %u: crowded object %u", round, n);
		cr_assert_eq(zh_store_delete(s, crowded_hash[n]), 0);
		free(p);
	}
}

/*
 * A scrub killed while it moves the extra shards of crowded chunks (put while a device was
 * away) to other devices leaves each chunk where it was or where it went: every object reads
 * back, a scrub to the end moves the rest, and fsck finds no extent leaked or used twice (a
 * move written but not committed is free at the next open). Some round must find chunks
 * still crowded after the kill, or no kill landed before the child's moves were done.
 */
Test(engine_store_crash, a_scrub_killed_while_it_moves_shards_loses_nothing, .timeout = 1200)
{
	unsigned rounds = crash_rounds(), cut_short = 0;
	struct zh_store_opts o;
	char cmd[300], mode[] = "scrub";

	crash_store_format("store-crash-move", &o, cmd);
	scrub_objects_put(&o);
	for (uint32_t r = 0; r < rounds; r++) {
		struct zh_store_fsck f;
		struct zh_store *s;

		crowded_objects_put(&o, r);
		mode_round_kill(r, mode, true, 200000);
		s = zt_open(&o);
		scrub_objects_read(s, r);
		f = scrub_to_clean(s, r);
		cr_assert_eq(f.shards_bad, 0, "round %u: a move wrote over a shard", r);
		cut_short += f.chunks_crowded > 0;
		crowded_objects_check_and_delete(s, r);
		expect_clean(s, r);
		zh_store_close(s);
	}
	cr_assert_gt(cut_short, 0, "none of %u kills landed before the child's moves were done",
		     rounds);
	cr_assert_eq(system(cmd), 0);
}

/* Every file in \p dir_path whose name ends in \p suffix, counted. */
static unsigned files_ending_in(const char *dir_path, const char *suffix)
{
	DIR *d = opendir(dir_path);
	size_t want = strlen(suffix);
	unsigned n = 0;
	struct dirent *e;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		n += len > want && strcmp(e->d_name + len - want, suffix) == 0;
	}
	closedir(d);
	return n;
}

/*
 * A replacement of lost devices killed part-way (the device file made, its superblock written,
 * its shards rebuilt, or none of it) leaves a store that opens without replacing and serves
 * every object, and that a replacing open and a scrub make whole, with no temporary device
 * file left behind. Each round loses one device: its file removed, or its superblock zeroed.
 */
Test(engine_store_crash, a_replacement_killed_part_way_can_be_done_again, .timeout = 1200)
{
	unsigned rounds = crash_rounds();
	struct zh_store_opts o;
	char cmd[300], dev[32], path[600], mode[] = "replace";

	crash_store_format("store-crash-replace", &o, cmd);
	scrub_objects_put(&o);
	for (uint32_t r = 0; r < rounds; r++) {
		struct zh_store *s;

		snprintf(dev, sizeof(dev), "dev%u.img", r % 6);
		snprintf(path, sizeof(path), "%s/%s", dir, dev);
		if (r % 2 == 0)
			cr_assert_eq(unlink(path), 0);
		else
			zt_damage_file(dir, dev, 0, 4096, 0);
		mode_round_kill(r, mode, false, 1000000);
		o.replace_lost_devs = false;
		s = zt_open(&o);
		scrub_objects_read(s, r);
		zh_store_close(s);
		o.replace_lost_devs = true;
		s = zt_open(&o);
		cr_assert_eq(files_ending_in(dir, ".new"), 0, "round %u: a temporary device file",
			     r);
		scrub_to_clean(s, r);
		scrub_objects_read(s, r);
		zh_store_close(s);
	}
	o.replace_lost_devs = false;
	cr_assert_eq(system(cmd), 0);
}
