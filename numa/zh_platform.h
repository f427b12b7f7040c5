/* SPDX-License-Identifier: MIT */
/*
 * Platform basics every module shares: assertions that stay on in release builds, compiler
 * attributes, cache-line alignment and small helpers. It lives in numa/ because that module is
 * the project's lowest layer (CPU and memory facts); it pulls in no third-party header.
 */
#ifndef ZH_PLATFORM_H
#define ZH_PLATFORM_H

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#define ZH_CACHELINE_BYTES		   64
#define ZH_MUST_CHECK			   __attribute__((warn_unused_result))
#define ZH_LIKELY(x)			   __builtin_expect(!!(x), 1)
#define ZH_UNLIKELY(x)			   __builtin_expect(!!(x), 0)
#define ZH_ARRAY_SIZE(a)		   (sizeof(a) / sizeof((a)[0]))
#define ZH_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Kept out of line so the assertion's cold path costs the caller one compare and one call. */
__attribute__((noreturn, cold)) static inline void zh_assert_fail(const char *expr,
								  const char *file, int line)
{
	fprintf(stderr, "zhtp: assertion failed: %s (%s:%d)\n", expr, file, line);
	abort();
}

/* On in every build: an invariant broken in production must stop the process, not corrupt data. */
#define ZH_ASSERT(expr)                                                                            \
	do {                                                                                       \
		if (ZH_UNLIKELY(!(expr)))                                                          \
			zh_assert_fail(#expr, __FILE__, __LINE__);                                 \
	} while (0)

#ifdef ZH_DEBUG
#define ZH_DEBUG_ASSERT(expr) ZH_ASSERT(expr)
#else
#define ZH_DEBUG_ASSERT(expr) ((void)0)
#endif

/* Inside a spin-wait: tells the core (and a hypervisor) that this thread is only waiting. */
static inline void zh_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * calloc() for a type aligned past malloc's 16 bytes (a member with alignas(ZH_CACHELINE_BYTES)):
 * calloc ignores the type's alignment, so such an array would start mid-line, sharing the lines
 * it was laid out to keep apart. Over-allocates from calloc and keeps calloc's pointer just
 * below the aligned one, rather than aligned_alloc() and memset(): calloc hands large blocks
 * over as untouched zero pages, and a memset would commit every page (zhtp-bench's job group
 * is 250 MB, almost all of it never used). \p align: a power of two. Release it with
 * zh_free_aligned(), never free(). NULL on failure.
 */
static inline void *zh_calloc_aligned(size_t align, size_t count, size_t size)
{
	size_t bytes = count * size, extra = align + sizeof(void *);
	uintptr_t at;
	void *raw;

	/* Room below the aligned pointer for calloc's, itself aligned for a pointer. */
	ZH_ASSERT(align >= sizeof(void *) && align <= 4096 && (align & (align - 1)) == 0);
	if ((size != 0 && bytes / size != count) || bytes > SIZE_MAX - 2 * extra)
		return NULL;
	/* Whole lines: the last one shares nothing with the next allocation either. */
	bytes = (bytes + align - 1) & ~(align - 1);
	raw = calloc(1, bytes + extra);
	if (raw == NULL)
		return NULL;
	at = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
	((void **)at)[-1] = raw;
	return (void *)at;
}

/* Release what zh_calloc_aligned() returned; NULL does nothing. */
static inline void zh_free_aligned(void *p)
{
	if (p != NULL)
		free(((void **)p)[-1]);
}

/* Little-endian fields of on-disk and on-wire formats, whatever the host's byte order. */
static inline void zh_le_put(unsigned char *p, unsigned long long v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline unsigned long long zh_le_get(const unsigned char *p, unsigned bytes)
{
	unsigned long long v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (unsigned long long)p[i] << (8 * i);
	return v;
}

/* Reserved fields of formats must be zero; this checks a run of them. */
static inline int zh_all_zero(const unsigned char *p, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

static inline int zh_is_pow2_u64(unsigned long long v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/** The smallest power of two >= v (1 for 0); v at most 2^31. */
static inline unsigned zh_pow2_at_least_u32(unsigned v)
{
	unsigned p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

#endif /* ZH_PLATFORM_H */
