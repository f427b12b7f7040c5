/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench block sizes: the per-I/O size draw for bsrange and bssplit jobs, and fio's
 * spelling of a job's sizes for its report. The option parsers are in bench_job.c with the
 * other value parsers.
 */
#include "benchmarks/bench_bs.h"

#include "numa/zh_platform.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

void zh_bench_bs_one(struct zh_bench_bs *bs, uint32_t bytes)
{
	ZH_ASSERT(bytes > 0);
	bs->kind = ZH_BENCH_BS_ONE;
	bs->min_bytes = bytes;
	bs->max_bytes = bytes;
	bs->split_count = 0;
}

/*
 * fio 3.33's get_next_buflen() for a range: min + max * u (u uniform in [0, 1)), aligned down
 * to min (a mask when min is a power of two, as fio), capped at max.
 */
static uint32_t draw_range(const struct zh_bench_bs *bs, uint32_t r)
{
	uint32_t min = bs->min_bytes;
	uint64_t len = min + ((uint64_t)bs->max_bytes * r >> 32);

	if ((min & (min - 1)) == 0)
		len &= ~(uint64_t)(min - 1);
	else
		len -= len % min;
	return len > bs->max_bytes ? bs->max_bytes : (uint32_t)len;
}

/* A uniform point in [0, WHOLE) falls in one size's share; shares add up to WHOLE exactly. */
static uint32_t draw_split(const struct zh_bench_bs *bs, uint32_t r)
{
	uint32_t point = (uint32_t)((uint64_t)r * ZH_BENCH_BS_SHARE_WHOLE >> 32);
	uint32_t upto = 0;

	for (uint32_t i = 0; i < bs->split_count; i++) {
		upto += bs->split_share[i];
		if (point < upto)
			return bs->split_bytes[i];
	}
	ZH_ASSERT(!"bssplit shares add up to less than the whole");
	return bs->min_bytes;
}

uint32_t zh_bench_bs_draw(const struct zh_bench_bs *bs, uint32_t r)
{
	switch (bs->kind) {
	case ZH_BENCH_BS_ONE:
		break;
	case ZH_BENCH_BS_RANGE:
		return draw_range(bs, r);
	case ZH_BENCH_BS_SPLIT:
		return draw_split(bs, r);
	}
	return bs->min_bytes;
}

bool zh_bench_bs_aligned(const struct zh_bench_bs *bs, uint32_t block)
{
	/* A range draws multiples of min, and max when capped. */
	if (bs->min_bytes % block != 0 || bs->max_bytes % block != 0)
		return false;
	for (uint32_t i = 0; i < bs->split_count; i++) {
		if (bs->split_bytes[i] % block != 0)
			return false;
	}
	return true;
}

/* ---- fio's spelling -------------------------------------------------------------------------- */

struct out {
	char *p;
	size_t len, used;
	bool cut;
};

static void __attribute__((format(printf, 2, 3))) out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->cut = true;
		return;
	}
	o->used += (size_t)n;
}

static void out_size(struct out *o, uint32_t bytes)
{
	if (bytes % (1024u * 1024u) == 0)
		out_add(o, "%" PRIu32 "m", bytes / (1024u * 1024u));
	else if (bytes % 1024u == 0)
		out_add(o, "%" PRIu32 "k", bytes / 1024u);
	else
		out_add(o, "%" PRIu32, bytes);
}

/* A share in millionths as a percentage, without trailing zeros: 500000 is "50", 105000 "10.5". */
static void out_share(struct out *o, uint32_t share)
{
	uint32_t whole = share / 10000u, frac = share % 10000u;
	int digits = 4;

	out_add(o, "%" PRIu32, whole);
	if (frac == 0)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	out_add(o, ".%0*" PRIu32, digits, frac);
}

static void out_dir(struct out *o, const struct zh_bench_bs *bs)
{
	switch (bs->kind) {
	case ZH_BENCH_BS_ONE:
		out_size(o, bs->min_bytes);
		break;
	case ZH_BENCH_BS_RANGE:
		out_size(o, bs->min_bytes);
		out_add(o, "-");
		out_size(o, bs->max_bytes);
		break;
	case ZH_BENCH_BS_SPLIT:
		for (uint32_t i = 0; i < bs->split_count; i++) {
			out_add(o, "%s", i > 0 ? ":" : "");
			out_size(o, bs->split_bytes[i]);
			out_add(o, "/");
			out_share(o, bs->split_share[i]);
		}
		break;
	}
}

static bool bs_equal(const struct zh_bench_bs *a, const struct zh_bench_bs *b)
{
	if (a->kind != b->kind || a->min_bytes != b->min_bytes || a->max_bytes != b->max_bytes ||
	    a->split_count != b->split_count)
		return false;
	for (uint32_t i = 0; i < a->split_count; i++) {
		if (a->split_bytes[i] != b->split_bytes[i] ||
		    a->split_share[i] != b->split_share[i])
			return false;
	}
	return true;
}

int zh_bench_bs_format(const struct zh_bench_bs bs[2], enum zh_bench_bs_kind kind, char *value,
		       size_t value_len)
{
	struct out o = {.p = value, .len = value_len};

	ZH_ASSERT(value_len > 0);
	value[0] = '\0';
	if (bs[0].kind != kind && bs[1].kind != kind)
		return -ENOENT;
	if (bs_equal(&bs[0], &bs[1])) {
		out_dir(&o, &bs[0]);
	} else {
		if (bs[0].kind == kind)
			out_dir(&o, &bs[0]);
		out_add(&o, ",");
		if (bs[1].kind == kind)
			out_dir(&o, &bs[1]);
	}
	return o.cut ? -ENOSPC : 0;
}
