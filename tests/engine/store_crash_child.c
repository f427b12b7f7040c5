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
 * With "scrub" it scrubs with repair instead, over and over at ZSC_SCRUB_RATE so that a kill
 * lands while it rewrites shards in place, acknowledging the start of each pass (5: a scrub
 * failed). "replace" does the same after opening with replace_lost_devs, so that a kill lands
 * while a lost device is made again or while its shards are rebuilt.
 *
 *   store_crash_child DIR ROUND [scrub|replace]
 */
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

static void scrub_forever(struct zh_store *s)
{
	static const uint8_t no_hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_scrub_opts so;
	struct zh_store_fsck f;

	zh_store_scrub_opts_default(&so);
	so.rate_bytes_per_s = ZSC_SCRUB_RATE;
	for (uint32_t pass = 0;; pass++) {
		ack_send(ZSC_SCRUB_STARTS, pass, no_hash);
		if (zh_store_scrub(s, &so, &f, NULL, NULL, NULL) != 0)
			_exit(5);
	}
}

int main(int argc, char **argv)
{
	static uint8_t hash[ZSC_OPS_MAX][ZH_CODEC_HASH_BYTES];
	struct zh_store_opts o;
	struct zh_store *s;
	uint32_t round;
	uint8_t *buf;

	if (argc != 3 &&
	    (argc != 4 || (strcmp(argv[3], "scrub") != 0 && strcmp(argv[3], "replace") != 0))) {
		fprintf(stderr, "usage: %s DIR ROUND [scrub|replace]\n", argv[0]);
		return 2;
	}
	round = (uint32_t)strtoul(argv[2], NULL, 10);
	buf = malloc(4 << 20);
	zt_store_opts(&o, argv[1]);
	o.replace_lost_devs = argc == 4 && strcmp(argv[3], "replace") == 0;
	if (buf == NULL || zh_store_open(&o, &s) != 0)
		_exit(2);
	if (argc == 4)
		scrub_forever(s);
	for (uint32_t n = 0; n < ZSC_OPS_MAX; n++) {
		size_t len = zsc_object_len(n);

		zsc_object_fill(buf, len, round, n);
		if (zh_store_put(s, buf, len, NULL, hash[n]) != 0)
			_exit(3);
		ack_send(ZSC_ACK_PUT, n, hash[n]);
		if (n % 5 == ZSC_DEDUP_PHASE) {
			if (zh_store_put(s, buf, len, NULL, hash[n]) != 0)
				_exit(3);
			ack_send(ZSC_ACK_PUT, n, hash[n]);
		}
		if (n % 3 == 2) {
			ack_send(ZSC_DELETE_STARTS, n - 1, hash[n - 1]);
			if (zh_store_delete(s, hash[n - 1]) != 0)
				_exit(4);
			ack_send(ZSC_ACK_DELETE, n - 1, hash[n - 1]);
		}
	}
	_exit(0);
}
