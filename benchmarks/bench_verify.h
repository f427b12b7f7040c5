/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data verification (fio's verify=): every block a verifying job writes starts
 * with a header naming where it belongs, which write made it and which checksum guards it,
 * and ends with that checksum over everything before it (crc32c, crc32, crc16, crc64, md5,
 * sha1, sha224, sha256, sha384 or sha512; fio's meta checks the header alone). Reading a
 * block back tells a good block from one never written, one written elsewhere (misdirected),
 * a torn or corrupted one, and an older version (a lost write). fio's verify_pattern puts its
 * pattern in the payload, checked too; verify=pattern writes the pattern alone. Pure
 * computation on caller buffers.
 */
#ifndef ZH_BENCH_VERIFY_H
#define ZH_BENCH_VERIFY_H

#include <stdint.h>

#include "bench_pattern.h"
#include "numa/zh_platform.h"

/* Header bytes at the start of each block. */
#define ZH_BENCH_VERIFY_HDR_BYTES 32
/* The smallest block any kind takes: the header, a checksum and some payload. */
#define ZH_BENCH_VERIFY_MIN_BLOCK 64
/* The longest checksum (sha512). */
#define ZH_BENCH_VERIFY_DIGEST_MAX 64

/* fio's verify= names for these: crc32c (or crc32c-intel), crc32, crc16, crc64, md5, ... */
enum zh_bench_verify_kind {
	ZH_BENCH_VERIFY_CRC32C,
	ZH_BENCH_VERIFY_CRC32,
	ZH_BENCH_VERIFY_CRC16,
	ZH_BENCH_VERIFY_CRC64,
	ZH_BENCH_VERIFY_MD5,
	ZH_BENCH_VERIFY_SHA1,
	ZH_BENCH_VERIFY_SHA224,
	ZH_BENCH_VERIFY_SHA256,
	ZH_BENCH_VERIFY_SHA384,
	ZH_BENCH_VERIFY_SHA512,
	ZH_BENCH_VERIFY_XXHASH,	 /* XXH32, seeded as fio's */
	ZH_BENCH_VERIFY_META,	 /* the header only: offset, write number, length */
	ZH_BENCH_VERIFY_PATTERN, /* no header: the block is verify_pattern repeated */
	ZH_BENCH_VERIFY_KINDS,
};

enum zh_bench_verify_result {
	ZH_BENCH_VERIFY_OK = 0,
	ZH_BENCH_VERIFY_BAD_MAGIC,   /* not a verify block: never written, or overwritten */
	ZH_BENCH_VERIFY_BAD_LENGTH,  /* written with another block size */
	ZH_BENCH_VERIFY_BAD_OFFSET,  /* a block written for another offset (misdirected) */
	ZH_BENCH_VERIFY_BAD_CRC,     /* torn or corrupted */
	ZH_BENCH_VERIFY_STALE,	     /* a good block, but not the last write to it (lost write) */
	ZH_BENCH_VERIFY_BAD_KIND,    /* written under another verify= checksum */
	ZH_BENCH_VERIFY_BAD_PATTERN, /* the payload is not verify_pattern's */
};

/** The kind fio's \p name means ("crc32c-intel" is crc32c), or -EINVAL for another name. */
int zh_bench_verify_kind_parse(const char *name);

/** fio's name for \p kind ("crc32c", "md5", ...). */
const char *zh_bench_verify_kind_name(enum zh_bench_verify_kind kind);

/** The checksum's bytes at the block's end (0 for meta). */
uint32_t zh_bench_verify_digest_bytes(enum zh_bench_verify_kind kind);

/** The smallest block \p kind takes: ZH_BENCH_VERIFY_MIN_BLOCK, 128 for sha224 to sha512. */
uint32_t zh_bench_verify_min_block(enum zh_bench_verify_kind kind);

/**
 * Fill \p block (\p len >= zh_bench_verify_min_block(kind) bytes) for \p offset as write
 * \p seq: the header, pseudo-random bytes drawn from (offset, seq) or, with a \p pattern
 * (NULL: none), the pattern, then the checksum. verify=pattern (\p pattern needed) writes the
 * pattern alone, as fio does.
 */
void zh_bench_verify_fill(void *block, uint32_t len, uint64_t offset, uint64_t seq,
			  enum zh_bench_verify_kind kind, const struct zh_bench_pattern *pattern);

/**
 * zh_bench_verify_fill for a block of \p len / \p interval pieces (\p len a multiple of
 * \p interval, fio's verify_interval), each with its own header and checksum: the payload is
 * drawn (or the pattern laid) over the whole block in one run, as fio lays it, then each piece
 * is stamped. With \p interval == \p len it is zh_bench_verify_fill.
 */
void zh_bench_verify_fill_every(void *block, uint32_t len, uint32_t interval, uint64_t offset,
				uint64_t seq, enum zh_bench_verify_kind kind,
				const struct zh_bench_pattern *pattern);

/**
 * zh_bench_verify_check of each piece a block filled by zh_bench_verify_fill_every holds: the
 * first piece that is not good decides (*\p got_seq is its write number), then the pattern
 * over the whole block's payloads. With \p want_seq 0 every piece must be of the first
 * piece's write (pieces of two writes are a torn block: ZH_BENCH_VERIFY_STALE).
 */
enum zh_bench_verify_result
zh_bench_verify_check_every(const void *block, uint32_t len, uint32_t interval, uint64_t offset,
			    uint64_t want_seq, enum zh_bench_verify_kind kind,
			    const struct zh_bench_pattern *pattern, uint64_t *got_seq);

/**
 * Check a block of \p kind (and \p pattern, NULL: none) read back from \p offset.
 * \p want_seq is the write that should be there, or 0 for any (a job that reads what another
 * job wrote). \p got_seq receives the block's write number when its header is readable (else
 * 0). verify=pattern has no header, so it cannot tell a misdirected or lost write from a good
 * one unless the pattern holds %o.
 */
enum zh_bench_verify_result zh_bench_verify_check(const void *block, uint32_t len, uint64_t offset,
						  uint64_t want_seq, enum zh_bench_verify_kind kind,
						  const struct zh_bench_pattern *pattern,
						  uint64_t *got_seq);

/**
 * "ok", "bad magic", "bad length", "misdirected", "crc mismatch", "stale", "other kind",
 * "pattern mismatch".
 */
const char *zh_bench_verify_result_name(enum zh_bench_verify_result r);

#endif /* ZH_BENCH_VERIFY_H */
