/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data verification (fio's verify=crc32c): every block a verifying job writes
 * starts with a header naming where it belongs and which write made it, and carries a crc32c
 * over the whole block. Reading a block back tells a good block from one never written, one
 * written elsewhere (misdirected), a torn or corrupted one, and an older version (a lost
 * write). Pure computation on caller buffers.
 */
#ifndef ZH_BENCH_VERIFY_H
#define ZH_BENCH_VERIFY_H

#include <stdint.h>

#include "numa/zh_platform.h"

/* Header bytes at the start of each block; a verifying job's blocks are at least this long. */
#define ZH_BENCH_VERIFY_HDR_BYTES 32
/* Smallest block a verifying job may use: the header and some payload. */
#define ZH_BENCH_VERIFY_MIN_BLOCK 64

enum zh_bench_verify_result {
	ZH_BENCH_VERIFY_OK = 0,
	ZH_BENCH_VERIFY_BAD_MAGIC,  /* not a verify block: never written, or overwritten */
	ZH_BENCH_VERIFY_BAD_LENGTH, /* written with another block size */
	ZH_BENCH_VERIFY_BAD_OFFSET, /* a block written for another offset (misdirected) */
	ZH_BENCH_VERIFY_BAD_CRC,    /* torn or corrupted */
	ZH_BENCH_VERIFY_STALE,	    /* a good block, but not the last write to it (lost write) */
};

/**
 * Fill \p block (\p len >= ZH_BENCH_VERIFY_MIN_BLOCK bytes) for \p offset as write \p seq:
 * the header, pseudo-random bytes drawn from (offset, seq), then the crc32c.
 */
void zh_bench_verify_fill(void *block, uint32_t len, uint64_t offset, uint64_t seq);

/**
 * Check a block read back from \p offset. \p want_seq is the write that should be there, or 0
 * for any (a job that reads what another job wrote). \p got_seq receives the block's write
 * number when its header is readable (else 0).
 */
enum zh_bench_verify_result zh_bench_verify_check(const void *block, uint32_t len, uint64_t offset,
						  uint64_t want_seq, uint64_t *got_seq);

/** "ok", "bad magic", "bad length", "misdirected", "crc mismatch", "stale". */
const char *zh_bench_verify_result_name(enum zh_bench_verify_result r);

#endif /* ZH_BENCH_VERIFY_H */
