/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench data patterns (bench_pattern.h): fio's pattern grammar, parsed piece by piece
 * into one repetition, and the fill and compare of blocks with it.
 */
#include "bench_pattern.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "numa/zh_platform.h"

static_assert(ZH_BENCH_PATTERN_MAX == 512, "the messages name the limit");

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_x(char c)
{
	return c == 'x' || c == 'X';
}

static bool append(struct zh_bench_pattern *p, const void *bytes, size_t n, const char **why)
{
	if (n > ZH_BENCH_PATTERN_MAX - p->len) {
		*why = "a pattern holds at most 512 bytes";
		return false;
	}
	memcpy(p->bytes + p->len, bytes, n);
	p->len += (uint32_t)n;
	return true;
}

/* "text": the bytes between the quotes (fio has no escapes). */
static const char *piece_string(const char *s, struct zh_bench_pattern *p, const char **why)
{
	const char *end = strchr(s + 1, '"');

	if (end == NULL) {
		*why = "a \"string\" needs its closing quote";
		return NULL;
	}
	if (end == s + 1) {
		*why = "an empty \"\" string adds no bytes";
		return NULL;
	}
	return append(p, s + 1, (size_t)(end - s - 1), why) ? end + 1 : NULL;
}

/*
 * The end of a run of digits that starts at \p s and ends before \p end: fio reads
 * "0xff0x14" as ff then 14, so a 0 right before an x starts the next piece.
 */
static const char *run_end(const char *s, const char *end)
{
	return end - s > 1 && is_x(*end) && end[-1] == '0' ? end - 1 : end;
}

/* 0x then hex digits: bytes in the order written, an odd leading digit a byte of its own. */
static const char *piece_hex(const char *s, struct zh_bench_pattern *p, const char **why)
{
	const char *d = s + 2, *end = d;

	while (hex_value(*end) >= 0)
		end++;
	end = run_end(d, end);
	if (end == d) {
		*why = "0x needs hex digits, as in 0xdeadbeef";
		return NULL;
	}
	if ((end - d) % 2 != 0) {
		uint8_t b = (uint8_t)hex_value(*d++);

		if (!append(p, &b, 1, why))
			return NULL;
	}
	for (; d < end; d += 2) {
		uint8_t b = (uint8_t)(hex_value(d[0]) << 4 | hex_value(d[1]));

		if (!append(p, &b, 1, why))
			return NULL;
	}
	return end;
}

/* A decimal from INT_MIN to INT_MAX: its little-endian bytes up to the last non-zero one. */
static const char *piece_decimal(const char *s, struct zh_bench_pattern *p, const char **why)
{
	const char *d = s + (*s == '-'), *end = d;
	int64_t v = 0;
	uint32_t u;
	uint8_t b;

	while (is_digit(*end))
		end++;
	end = run_end(d, end);
	*why = "expected \"text\", 0x hex bytes, a decimal from -2147483648 to 2147483647 or %o";
	if (end == d)
		return NULL;
	for (const char *c = d; c < end; c++) {
		v = v * 10 + (*c - '0');
		if (v > (int64_t)INT_MAX + 1)
			return NULL;
	}
	if (*s == '-')
		v = -v;
	if (v > INT_MAX)
		return NULL;
	u = (uint32_t)(int32_t)v;
	b = 0;
	if (u == 0)
		return append(p, &b, 1, why) ? end : NULL;
	for (; u != 0; u >>= 8) {
		b = (uint8_t)u;
		if (!append(p, &b, 1, why))
			return NULL;
	}
	return end;
}

/* %o: 8 bytes kept for the block's offset. */
static const char *piece_format(const char *s, struct zh_bench_pattern *p, const char **why)
{
	static const uint8_t zeros[8];
	uint32_t at = p->len;

	if (s[1] != 'o') {
		*why = "%o (the block's offset) is the only format";
		return NULL;
	}
	if (!append(p, zeros, sizeof(zeros), why))
		return NULL;
	ZH_ASSERT(p->offset_count < ZH_BENCH_PATTERN_OFFSETS_MAX);
	p->offset_at[p->offset_count++] = (uint16_t)at;
	return s + 2;
}

/* 'name': fio reads the pattern from a file; refused, a job file should say its bytes. */
static const char *piece_file(const char **why)
{
	*why = "a pattern from a file ('name') is not supported";
	return NULL;
}

int zh_bench_pattern_parse(struct zh_bench_pattern *p, const char *text, const char **why)
{
	struct zh_bench_pattern out = {0};

	for (const char *s = text; *s != '\0';) {
		if (*s == '"')
			s = piece_string(s, &out, why);
		else if (*s == '%')
			s = piece_format(s, &out, why);
		else if (*s == '\'')
			s = piece_file(why);
		else if (s[0] == '0' && is_x(s[1]))
			s = piece_hex(s, &out, why);
		else
			s = piece_decimal(s, &out, why);
		if (s == NULL)
			return -EINVAL;
	}
	if (out.len == 0) {
		*why = "an empty pattern";
		return -EINVAL;
	}
	*p = out;
	return 0;
}

/* One repetition of \p p for the block at \p offset, into \p chunk (p->len bytes). */
static void chunk_for(const struct zh_bench_pattern *p, uint64_t offset, uint8_t *chunk)
{
	memcpy(chunk, p->bytes, p->len);
	for (uint32_t i = 0; i < p->offset_count; i++) {
		uint32_t at = p->offset_at[i];

		for (uint32_t k = 0; k < 8; k++)
			chunk[at + k] = (uint8_t)(offset >> (8 * k));
	}
}

void zh_bench_pattern_fill(const struct zh_bench_pattern *p, uint64_t offset, uint8_t *dst,
			   uint32_t len)
{
	uint8_t chunk[ZH_BENCH_PATTERN_MAX];
	uint32_t done = len < p->len ? len : p->len;

	ZH_ASSERT(p->len > 0 && p->len <= ZH_BENCH_PATTERN_MAX);
	chunk_for(p, offset, chunk);
	memcpy(dst, chunk, done);
	/* Doubling copies: a 4 KiB block of a 4-byte pattern takes 10 of them. */
	while (done < len) {
		uint32_t n = len - done < done ? len - done : done;

		memcpy(dst + done, dst, n);
		done += n;
	}
}

bool zh_bench_pattern_matches(const struct zh_bench_pattern *p, uint64_t offset,
			      const uint8_t *block, uint32_t from, uint32_t to)
{
	uint8_t chunk[ZH_BENCH_PATTERN_MAX];

	uint32_t head = to - from < p->len ? to - from : p->len;

	ZH_ASSERT(p->len > 0 && p->len <= ZH_BENCH_PATTERN_MAX && from <= to);
	chunk_for(p, offset, chunk);
	/* One period against the pattern, at its phase... */
	for (uint32_t i = from; i < from + head;) {
		uint32_t phase = i % p->len, n = p->len - phase;

		if (n > from + head - i)
			n = from + head - i;
		if (memcmp(block + i, chunk + phase, n) != 0)
			return false;
		i += n;
	}
	/* ...then every later byte equals the one a period before: one memcmp, however short
	 * the pattern (fio's cmp_pattern does the same). */
	return head == to - from ||
	       memcmp(block + from + p->len, block + from, to - from - p->len) == 0;
}
