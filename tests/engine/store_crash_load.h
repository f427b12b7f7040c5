/* SPDX-License-Identifier: MIT */
/*
 * store_crash_load: what the store's kill -9 test runs and checks, shared by its child (which
 * puts and deletes until it is killed) and the suite (which checks what the child
 * acknowledged): the objects and the acknowledgements. Both open zt_store_opts()'s store.
 */
#ifndef ZH_TEST_STORE_CRASH_LOAD_H
#define ZH_TEST_STORE_CRASH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/store.h"

#define ZSC_OPS_MAX 4096
/* Objects n with n % 5 == ZSC_DEDUP_PHASE are put twice; some of them are deleted once. */
#define ZSC_DEDUP_PHASE 1

/* A delete is announced before it starts: one cut short by the kill may or may not be done. */
enum { ZSC_ACK_PUT = 1, ZSC_DELETE_STARTS = 2, ZSC_ACK_DELETE = 3, ZSC_SCRUB_REPAIRS = 4 };

/* Callers of the concurrent child, each with its own objects. */
#define ZSC_THREADS 4

/* Shard bytes a second the scrub child reads: a pass over the test's objects takes seconds. */
#define ZSC_SCRUB_RATE (32ull << 20)

struct zsc_ack {
	uint32_t kind;
	uint32_t n;
	uint8_t hash[ZH_CODEC_HASH_BYTES];
};

/** Object \p n's length: inline, just over the inline limit, or several chunks. */
size_t zsc_object_len(uint32_t n);
/** Object \p n of round \p round: len bytes, half compressible, half not, unique to (round, n). */
void zsc_object_fill(uint8_t *p, size_t len, uint32_t round, uint32_t n);

#endif
