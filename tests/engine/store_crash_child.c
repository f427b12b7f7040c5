/* SPDX-License-Identifier: MIT */
/*
 * store_crash_child: the process test_store_crash kills. Opens the store in DIR and puts
 * objects of round ROUND forever, every fifth twice (a dedup put: two references), deleting the
 * put before last after every third put; each acknowledged put (each of a dedup's two) and
 * delete, and each delete about to start, is written to descriptor
 * ZT_CHILD_ACK_FD. Exit status: 2 bad arguments or open failed, 3 a put failed, 4 a delete
 * failed, 1 the test stopped listening, 0 all ZSC_OPS_MAX objects put. It leaves by _exit, as a
 * kill would: the store is never closed.
 *
 * With "concurrent" ZSC_THREADS threads do that at once, thread t taking the objects n with
 * n % ZSC_THREADS == t and deleting its own put before last, so that the index thread commits
 * puts and deletes of several callers in one group when the kill lands.
 *
 * With "scrub" it scrubs with repair instead, over and over at ZSC_SCRUB_RATE so that a kill
 * lands while it rewrites shards in place or moves those of crowded chunks, acknowledging the
 * first problem it reports (a bad shard or a crowded chunk: the repairs start there; 5: a
 * scrub failed). "replace" does the same after opening with
 * replace_lost_devs, so that a kill lands while a lost device is made again or while its shards
 * are rebuilt.
 *
 *   store_crash_child DIR ROUND [concurrent|scrub|replace]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_child.h"
#include "store_crash_load.h"
#include "store_testing.h"

static void ack_send(uint32_t kind, uint32_t n, const uint8_t *hash)
{
	struct zsc_ack a = {.kind = kind, .n = n};

	memcpy(a.hash, hash, sizeof(a.hash));
	if (write(ZT_CHILD_ACK_FD, &a, sizeof(a)) != sizeof(a))
		_exit(1);
}

/* The scrub's first problem, once: its repairs begin (the test times its kill from here). */
static void first_problem(void *ctx, const char *line)
{
	static const uint8_t no_hash[ZH_CODEC_HASH_BYTES];
	bool *sent = ctx;

	(void)line;
	if (*sent)
		return;
	*sent = true;
	ack_send(ZSC_SCRUB_REPAIRS, 0, no_hash);
}

static void scrub_forever(struct zh_store *s)
{
	struct zh_store_scrub_opts so;
	struct zh_store_fsck f;
	bool sent = false;

	zh_store_scrub_opts_default(&so);
	so.rate_bytes_per_s = ZSC_SCRUB_RATE;
	for (;;) {
		if (zh_store_scrub(s, &so, &f, first_problem, NULL, &sent) != 0)
			_exit(5);
	}
}

/* One caller's puts and deletes: objects first, first + stride, ... (each ack one write). */
struct load {
	struct zh_store *store;
	uint32_t round, first, stride;
};

static uint8_t hashes[ZSC_OPS_MAX][ZH_CODEC_HASH_BYTES];

static void *load_run(void *arg)
{
	const struct load *l = arg;
	uint8_t *buf = malloc(4 << 20);
	uint32_t prev = UINT32_MAX, i = 0;

	if (buf == NULL)
		_exit(2);
	for (uint32_t n = l->first; n < ZSC_OPS_MAX; n += l->stride, i++) {
		size_t len = zsc_object_len(n);

		zsc_object_fill(buf, len, l->round, n);
		if (zh_store_put(l->store, buf, len, NULL, hashes[n]) != 0)
			_exit(3);
		ack_send(ZSC_ACK_PUT, n, hashes[n]);
		if (n % 5 == ZSC_DEDUP_PHASE) {
			if (zh_store_put(l->store, buf, len, NULL, hashes[n]) != 0)
				_exit(3);
			ack_send(ZSC_ACK_PUT, n, hashes[n]);
		}
		/* Every third: delete this caller's put before this one. */
		if (i % 3 == 2 && prev != UINT32_MAX) {
			ack_send(ZSC_DELETE_STARTS, prev, hashes[prev]);
			if (zh_store_delete(l->store, hashes[prev]) != 0)
				_exit(4);
			ack_send(ZSC_ACK_DELETE, prev, hashes[prev]);
		}
		prev = n;
	}
	free(buf);
	return NULL;
}

/* \p threads callers at once; all of them done is exit 0. */
static void load_concurrent(struct zh_store *s, uint32_t round, unsigned threads)
{
	static struct load loads[ZSC_THREADS];
	pthread_t tid[ZSC_THREADS];

	for (unsigned t = 0; t < threads; t++) {
		loads[t] = (struct load){.store = s, .round = round, .first = t, .stride = threads};
		if (pthread_create(&tid[t], NULL, load_run, &loads[t]) != 0)
			_exit(2);
	}
	for (unsigned t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc == 4 ? argv[3] : "";
	struct zh_store_opts o;
	struct zh_store *s;
	uint32_t round;

	if (argc != 3 &&
	    (argc != 4 || (strcmp(mode, "concurrent") != 0 && strcmp(mode, "scrub") != 0 &&
			   strcmp(mode, "replace") != 0))) {
		fprintf(stderr, "usage: %s DIR ROUND [concurrent|scrub|replace]\n", argv[0]);
		return 2;
	}
	round = (uint32_t)strtoul(argv[2], NULL, 10);
	zt_store_opts(&o, argv[1]);
	o.replace_lost_devs = strcmp(mode, "replace") == 0;
	if (zh_store_open(&o, &s) != 0)
		_exit(2);
	if (strcmp(mode, "scrub") == 0 || strcmp(mode, "replace") == 0)
		scrub_forever(s);
	/* The sequential run is the concurrent one with one caller: deletes of n - 1 as before. */
	load_concurrent(s, round, strcmp(mode, "concurrent") == 0 ? ZSC_THREADS : 1);
}
