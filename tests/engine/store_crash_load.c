/* SPDX-License-Identifier: MIT */
/* store_crash_load: the kill -9 test's store and objects (store_crash_load.h). */
#include "store_crash_load.h"

#define MIB (1u << 20)

size_t zsc_object_len(uint32_t n)
{
	switch (n % 4) {
	case 0:
		return 3000 + n % 500;
	case 1:
		return 16384 + 1 + n % 1000;
	default:
		return (n % 3 + 1) * MIB + (n * 4099u) % MIB;
	}
}

void zsc_object_fill(uint8_t *p, size_t len, uint32_t round, uint32_t n)
{
	uint64_t x = ((uint64_t)round << 32 | n) * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (i / 8192) % 2 ? (uint8_t)x : (uint8_t)(i >> 6);
	}
	/*
	 * Under 8 KiB the bytes above depend on the length alone, and objects 500 apart have one
	 * length: named here, no two objects share a content (a dedup of another object's put
	 * brought a deleted one back in the concurrent test's count).
	 */
	for (size_t i = 0; i < 8 && i < len; i++)
		p[i] = (uint8_t)(((uint64_t)round << 32 | n) >> (8 * i));
}
