/* SPDX-License-Identifier: MIT */
/*
 * index_crash_child: the process test_index's kill -9 case kills. Opens (creating) the index
 * at PATH and commits groups of four batches forever, keys "crash/ROUND/%08u" n..n+3 (the
 * round's own, so that no earlier round's keys answer for this one's) holding their own name,
 * writing n to descriptor ZT_CHILD_ACK_FD after each group is acknowledged. Exit status: 2 bad
 * arguments or open failed, 3 a commit failed, 1 the test stopped listening. It leaves by
 * _exit, as a kill would: the index is never closed.
 *
 *   index_crash_child PATH ROUND
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crash_child.h"
#include "index/index.h"

#define GROUP 4

int main(int argc, char **argv)
{
	struct zh_index_batch *b[GROUP];
	struct zh_index_opts o;
	struct zh_index *ix;
	char key[64];

	if (argc != 3) {
		fprintf(stderr, "usage: %s PATH ROUND\n", argv[0]);
		return 2;
	}
	zh_index_opts_default(&o);
	o.path = argv[1];
	o.create = true;
	if (zh_index_open(&o, &ix) != 0)
		_exit(2);
	for (unsigned i = 0; i < GROUP; i++)
		if (zh_index_batch_create(ix, &b[i]) != 0)
			_exit(2);
	for (uint32_t n = 0;; n += GROUP) {
		for (unsigned i = 0; i < GROUP; i++) {
			zh_index_batch_clear(b[i]);
			snprintf(key, sizeof(key), "crash/%s/%08u", argv[2], n + i);
			zh_index_batch_put(b[i], ZH_INDEX_CF_OBJECTS, key, strlen(key), key,
					   strlen(key));
		}
		if (zh_index_commit_group(ix, b, GROUP, NULL) != 0)
			_exit(3);
		if (write(ZT_CHILD_ACK_FD, &n, sizeof(n)) != sizeof(n))
			_exit(1);
	}
}
