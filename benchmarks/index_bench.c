/* SPDX-License-Identifier: MIT */
/*
 * zhtp-index-bench: what group commit buys. Commits small metadata batches (one 200-byte object
 * record each) to a RocksDB store at PATH, one synced commit per batch against groups of G
 * batches with one WAL sync (zh_index_commit_group), in A B B A order; prints batches per
 * second for each and the ratio.
 *
 * Usage: zhtp-index-bench PATH [SECONDS_PER_RUN] [GROUP]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index/index.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t key_next;

static void fill(struct zh_index_batch *b)
{
	char key[32], val[200];

	memset(val, 'v', sizeof(val));
	snprintf(key, sizeof(key), "obj/%016llx", (unsigned long long)key_next++);
	zh_index_batch_clear(b);
	zh_index_batch_put(b, ZH_INDEX_CF_OBJECTS, key, strlen(key), val, sizeof(val));
}

/* Batches per second over `secs`, `group` batches per WAL sync (1: zh_index_commit). */
static double run(struct zh_index *ix, struct zh_index_batch **b, unsigned group, double secs)
{
	double t0 = now_s(), t;
	unsigned long n = 0;

	do {
		for (unsigned i = 0; i < group; i++)
			fill(b[i]);
		if ((group == 1 ? zh_index_commit(ix, b[0])
				: zh_index_commit_group(ix, b, group, NULL)) != 0) {
			fprintf(stderr, "zhtp-index-bench: commit: %s\n", zh_index_last_error());
			exit(1);
		}
		n += group;
		t = now_s();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	struct zh_index_opts o;
	struct zh_index *ix;
	struct zh_index_batch *b[ZH_INDEX_GROUP_MAX];
	double secs = argc > 2 ? atof(argv[2]) : 3.0, single[4], grouped[4];
	unsigned group = argc > 3 ? (unsigned)atoi(argv[3]) : 32;

	if (argc < 2 || group < 2 || group > ZH_INDEX_GROUP_MAX || secs <= 0) {
		fprintf(stderr, "usage: zhtp-index-bench PATH [SECONDS_PER_RUN] [GROUP 2..%d]\n",
			ZH_INDEX_GROUP_MAX);
		return 2;
	}
	zh_index_opts_default(&o);
	o.path = argv[1];
	o.create = true;
	if (zh_index_open(&o, &ix) != 0) {
		fprintf(stderr, "zhtp-index-bench: %s: %s\n", argv[1], zh_index_last_error());
		return 1;
	}
	for (unsigned i = 0; i < group; i++) {
		if (zh_index_batch_create(ix, &b[i]) != 0)
			return 1;
	}
	for (unsigned r = 0; r < 4; r++) {
		bool single_first = r == 0 || r == 3;

		if (single_first)
			single[r] = run(ix, b, 1, secs);
		grouped[r] = run(ix, b, group, secs);
		if (!single_first)
			single[r] = run(ix, b, 1, secs);
	}
	printf("| run | synced commit, batches/s | group of %u, batches/s | ratio |\n"
	       "|--:|--:|--:|--:|\n",
	       group);
	for (unsigned r = 0; r < 4; r++)
		printf("| %u | %.0f | %.0f | %.1f |\n", r + 1, single[r], grouped[r],
		       grouped[r] / single[r]);
	for (unsigned i = 0; i < group; i++)
		zh_index_batch_destroy(b[i]);
	zh_index_close(ix);
	return 0;
}
