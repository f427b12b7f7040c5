/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench verify kinds: fio's names for the checksums bench_verify.c computes and what
 * each needs of a block. Apart from the checksums, so that the job parser (and its fuzzer)
 * link without ISA-L or OpenSSL.
 */
#include "bench_verify.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	uint32_t digest_bytes;
} kinds[ZH_BENCH_VERIFY_KINDS] = {
    [ZH_BENCH_VERIFY_CRC32C] = {"crc32c", 4},	[ZH_BENCH_VERIFY_CRC32] = {"crc32", 4},
    [ZH_BENCH_VERIFY_CRC16] = {"crc16", 2},	[ZH_BENCH_VERIFY_CRC64] = {"crc64", 8},
    [ZH_BENCH_VERIFY_MD5] = {"md5", 16},	[ZH_BENCH_VERIFY_SHA1] = {"sha1", 20},
    [ZH_BENCH_VERIFY_SHA224] = {"sha224", 28},	[ZH_BENCH_VERIFY_SHA256] = {"sha256", 32},
    [ZH_BENCH_VERIFY_SHA384] = {"sha384", 48},	[ZH_BENCH_VERIFY_SHA512] = {"sha512", 64},
    [ZH_BENCH_VERIFY_XXHASH] = {"xxhash", 4},	[ZH_BENCH_VERIFY_META] = {"meta", 0},
    [ZH_BENCH_VERIFY_PATTERN] = {"pattern", 0},
};

int zh_bench_verify_kind_parse(const char *name)
{
	if (strcmp(name, "crc32c-intel") == 0)
		return ZH_BENCH_VERIFY_CRC32C;
	for (int k = 0; k < ZH_BENCH_VERIFY_KINDS; k++) {
		if (strcmp(name, kinds[k].name) == 0)
			return k;
	}
	return -EINVAL;
}

const char *zh_bench_verify_kind_name(enum zh_bench_verify_kind kind)
{
	ZH_ASSERT(kind < ZH_BENCH_VERIFY_KINDS);
	return kinds[kind].name;
}

uint32_t zh_bench_verify_min_block(enum zh_bench_verify_kind kind)
{
	/* The header, the checksum and at least 8 bytes of payload, on a 64-byte grain. */
	uint32_t need = ZH_BENCH_VERIFY_HDR_BYTES + kinds[kind].digest_bytes + 8;

	ZH_ASSERT(kind < ZH_BENCH_VERIFY_KINDS);
	need = (need + 63) / 64 * 64;
	return need > ZH_BENCH_VERIFY_MIN_BLOCK ? need : ZH_BENCH_VERIFY_MIN_BLOCK;
}

uint32_t zh_bench_verify_digest_bytes(enum zh_bench_verify_kind kind)
{
	ZH_ASSERT(kind < ZH_BENCH_VERIFY_KINDS);
	return kinds[kind].digest_bytes;
}
