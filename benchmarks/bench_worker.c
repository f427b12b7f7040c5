/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench worker: the per-I/O path of the benchmark. A completion callback records the
 * I/O's latencies (slat: queued to submitted; clat: submitted to reaped; both from the
 * reactor's per-iteration clock), picks the next offset and direction, and queues the next
 * request on the same slot and buffer. The cost of this file is what the callgrind comparison
 * with fio measures, so the common path avoids divisions, calls into other files and branches
 * that depend on options.
 */
#include "bench_worker.h"

#include "bench_data.h"
#include "bench_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A slot's ddir while it carries one of the sync_every flushes. */
#define SLOT_SYNC ZH_BENCH_DIRS
/* In block_seq: a write to the block is in flight; a verify_backlog read of it is. */
#define VERIFY_INFLIGHT (1ull << 63)
#define VERIFY_READING	(1ull << 62)
#define VERIFY_BUSY	(VERIFY_INFLIGHT | VERIFY_READING)

struct zh_bench_slot {
	struct zh_io io;
	struct zh_bench_worker *w;
	struct zh_buf *buf;
	uint64_t offset;
	uint32_t len;  /* slow path: the size drawn for the I/O (io.len_bytes once queued) */
	unsigned ddir; /* ZH_BENCH_DIR_READ, ZH_BENCH_DIR_WRITE or SLOT_SYNC */
	/* While parked by a rate limit or a think: when it may go, and the next slot waiting. */
	uint64_t due_ns;
	struct zh_bench_slot *next_parked;
	/* A transfer cut short goes on from where it stopped (short_requeued()). */
	uint32_t short_moved; /* bytes its earlier pieces moved; 0: not cut */
	zh_io_cb short_cb;    /* the completion the whole I/O takes */
	uint64_t short_prep_ns, short_submit_ns;
	/* fill_device: what a cut write moved before its rest found no space (device_full()). */
	uint32_t full_moved;
};

/* The grain of direction \p d's random offsets: blockalign, else fio's default. */
static uint32_t dir_grain(const struct zh_bench_worker_cfg *cfg, unsigned d)
{
	return cfg->align[d] != 0 ? cfg->align[d] : zh_bench_default_grain(cfg, d);
}

static void worker_reset(struct zh_bench_worker *w)
{
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		zh_bench_dir_stats_reset(&w->st[d]);
		zh_bench_dir_stats_reset(&w->snap[d]);
	}
	zh_bench_hist_reset(&w->sync_lat);
	zh_bench_hist_reset(&w->snap_sync_lat);
	zh_timer_init(&w->start_timer);
	zh_timer_init(&w->ramp_timer);
	zh_timer_init(&w->end_timer);
	zh_timer_init(&w->sample_timer);
	zh_timer_init(&w->log_timer);
	zh_timer_init(&w->rate_timer);
	zh_timer_init(&w->ss_timer);
}

/* How offsets are drawn, and whether the fast path (no per-I/O option checks) can run. */
static void worker_pick_paths(struct zh_bench_worker *w, const struct zh_bench_worker_cfg *cfg)
{
	/* Kept here: the call into bench_job.c cost 7 instructions per I/O (callgrind). */
	w->random = zh_bench_rw_is_random(cfg->rw);
	/* Sizes that vary place their I/Os by bytes (place_varied), not by block number. */
	w->blocks = cfg->bs_bytes != 0 ? cfg->region_bytes / cfg->bs_bytes : 0;
	w->rated =
	    (cfg->rate_bps[0] | cfg->rate_bps[1] | cfg->rate_iops[0] | cfg->rate_iops[1]) != 0;
	w->realigned = w->random && (cfg->align[0] | cfg->align[1]) != 0;
	w->lfsr = w->random && cfg->lfsr;
	/* A seed apart from the distributions' (seed + 1 + d): the same order on every run. */
	if (w->lfsr)
		zh_bench_perm_init(&w->lfsr_order, w->blocks, cfg->seed + ZH_BENCH_DIRS + 1);
	w->skewed = w->random && cfg->dist.kind != ZH_BENCH_DIST_RANDOM;
	for (unsigned d = 0; d < ZH_BENCH_DIRS && w->skewed; d++) {
		uint32_t grain = dir_grain(cfg, d);
		int rc = zh_bench_dist_init(&w->dist[d], &cfg->dist, cfg->region_bytes / grain,
					    grain, cfg->seed + 1 + d);

		/* The parser refuses what a generator cannot draw, the planner zones too long. */
		ZH_ASSERT(rc == 0);
	}
	w->partly_random = w->random && (cfg->random_pct[0] < 100 || cfg->random_pct[1] < 100 ||
					 cfg->seq_every > 1);
	w->seq_left = cfg->seq_every;
	/* A random job with random:1 needs no turns: its offsets land on a file at random. */
	w->file_turns = cfg->file_count > 1 && !cfg->file_sequential &&
			(cfg->file_switch_every > 1 || (cfg->file_random && !w->random));
	w->file_now = cfg->file_count > 1 ? cfg->file_count - 1 : 0; /* first turn: file 0 */
	w->slow_base = cfg->verify || w->rated || cfg->data.refill || cfg->think_ns != 0 ||
		       cfg->bs_bytes == 0 || w->skewed || w->partly_random || w->realigned ||
		       cfg->lat_target_ns != 0 || cfg->max_lat_ns != 0 || w->lfsr ||
		       cfg->seq_add != 0 || cfg->zone_size != 0 || cfg->file_count > 1 ||
		       cfg->flow_weight != 0;
	w->slow_issue = w->slow_base;
}

/* Every array the worker needs, sized once here: the I/O path allocates nothing. */
static int worker_alloc(struct zh_bench_worker *w, const struct zh_bench_worker_cfg *cfg)
{
	/*
	 * Line-aligned and padded: the workers' arrays come from one arena, one after another,
	 * and each reactor writes its slots on every I/O.
	 */
	w->slots = zh_calloc_aligned(ZH_CACHELINE_BYTES, cfg->iodepth, sizeof(*w->slots));
	if (w->slots == NULL)
		return -ENOMEM;
	if (cfg->log_ring_entries > 0) {
		ZH_ASSERT(zh_is_pow2_u64(cfg->log_ring_entries));
		w->log.slots = calloc(cfg->log_ring_entries, sizeof(*w->log.slots));
		if (w->log.slots == NULL)
			return -ENOMEM;
		w->log.mask = cfg->log_ring_entries - 1;
	}
	if (cfg->verify && cfg->read_pct < 100) {
		w->block_seq = calloc(w->blocks, sizeof(*w->block_seq));
		if (w->block_seq == NULL)
			return -ENOMEM;
	}
	if (cfg->dump_path != NULL) {
		w->dump_expected = malloc(cfg->bs_max_bytes);
		if (w->dump_expected == NULL)
			return -ENOMEM;
	}
	if (cfg->verify_backlog != 0) {
		ZH_ASSERT(w->block_seq != NULL && cfg->lat_target_ns == 0); /* job_check_backlog */
		w->backlog =
		    calloc((size_t)cfg->verify_backlog + cfg->iodepth, sizeof(*w->backlog));
		if (w->backlog == NULL)
			return -ENOMEM;
	}
	return 0;
}

int zh_bench_worker_init(struct zh_bench_worker *w, const struct zh_bench_worker_cfg *cfg)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->cfg = *cfg;
	w->full_offset = UINT64_MAX;
	ZH_ASSERT(cfg->bs_max_bytes > 0 && cfg->bs_bytes <= cfg->bs_max_bytes);
	ZH_ASSERT(cfg->iodepth > 0);
	ZH_ASSERT(cfg->region_bytes >= cfg->bs_max_bytes && cfg->sample_ns > 0);
	worker_reset(w);
	/* xorshift64* needs a non-zero state. */
	w->rng = cfg->seed * 0x9e3779b97f4a7c15ull + 1;
	/* The stream after the slots' own (fill_pattern), so no refill repeats a first fill. */
	w->fill_rng = zh_bench_rand_seed(cfg->seed + cfg->iodepth);
	worker_pick_paths(w, cfg);
	rc = worker_alloc(w, cfg);
	if (rc < 0)
		zh_bench_worker_fini(w);
	return rc;
}

void zh_bench_worker_fini(struct zh_bench_worker *w)
{
	zh_free_aligned(w->slots);
	free(w->log.slots);
	free(w->block_seq);
	free(w->backlog);
	free(w->dump_expected);
	w->dump_expected = NULL;
	w->slots = NULL;
	w->log.slots = NULL;
	w->block_seq = NULL;
	w->backlog = NULL;
}

/* ---- log ring ------------------------------------------------------------------------------ */

static void log_push(void *ctx, unsigned kind, const struct zh_bench_log_entry *e)
{
	struct zh_bench_worker *w = ctx;
	struct zh_bench_log_ring *ring = &w->log;
	/* Relaxed: only this worker writes head. */
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
	/* Pairs with the release store of tail in zh_bench_worker_log_drain(). */
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);

	if ((w->cfg.log_kinds & (1u << kind)) == 0)
		return;
	if (head - tail > ring->mask) {
		ring->dropped++;
		return;
	}
	ring->slots[head & ring->mask] = (struct zh_bench_log_record){.entry = *e, .kind = kind};
	/* Pairs with the acquire load of head in zh_bench_worker_log_drain(). */
	atomic_store_explicit(&ring->head, head + 1, memory_order_release);
}

/*
 * The log window's averages: the IOPS and bandwidth logs always, the latency logs only when
 * they are averaged (log_avg_msec > 0); otherwise log_io() wrote them one line per I/O, and an
 * average among those lines would read as one more I/O of size 0.
 */
static void log_push_window(void *ctx, unsigned kind, const struct zh_bench_log_entry *e)
{
	struct zh_bench_worker *w = ctx;
	struct zh_bench_log_entry line = *e;

	if (w->cfg.log_avg_ms == 0 && kind != ZH_BENCH_LOG_IOPS && kind != ZH_BENCH_LOG_BW)
		return;
	line.has_offset = w->cfg.log_offset; /* fio writes 0 there in averaged lines */
	log_push(w, kind, &line);
}

uint64_t zh_bench_worker_log_drain(struct zh_bench_worker *w, zh_bench_log_sink_fn sink, void *ctx)
{
	struct zh_bench_log_ring *ring = &w->log;
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	/* Pairs with the release store of head in log_push(). */
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);

	if (ring->slots == NULL)
		return 0;
	for (uint64_t i = tail; i < head; i++)
		sink(ctx, &ring->slots[i & ring->mask]);
	/* Pairs with the acquire load of tail in log_push(): the slots may be reused. */
	atomic_store_explicit(&ring->tail, head, memory_order_release);
	return head - tail;
}

/* Per-I/O latency entries, fio's format when log_avg_msec is 0. */
static void log_io(struct zh_bench_worker *w, unsigned ddir, uint32_t len, uint64_t offset,
		   uint64_t now_ns, uint64_t slat_ns, uint64_t clat_ns)
{
	struct zh_bench_log_entry e = {.time_ms = (now_ns - w->log_origin_ns) / 1000000,
				       .ddir = (uint8_t)ddir,
				       .bs = len,
				       .offset = offset,
				       .has_offset = w->cfg.log_offset};

	e.value = slat_ns + clat_ns;
	log_push(w, ZH_BENCH_LOG_LAT, &e);
	e.value = clat_ns;
	log_push(w, ZH_BENCH_LOG_CLAT, &e);
	e.value = slat_ns;
	log_push(w, ZH_BENCH_LOG_SLAT, &e);
}

/* ---- offsets and directions ---------------------------------------------------------------- */

static inline uint64_t rng_next(struct zh_bench_worker *w)
{
	return zh_bench_rand_next(&w->rng);
}

/* Whether a draw falls in the first \p pct of 100: multiply-shift maps 32 random bits. */
static inline bool rng_within_pct(struct zh_bench_worker *w, uint32_t pct)
{
	return ((rng_next(w) >> 32) * 100 >> 32) < pct;
}

/* read_pct is 100 for read-only jobs and 0 for write-only ones (the planner derives it). */
static inline unsigned pick_ddir(struct zh_bench_worker *w)
{
	if (w->cfg.read_pct == 100)
		return ZH_BENCH_DIR_READ;
	if (w->cfg.read_pct == 0)
		return ZH_BENCH_DIR_WRITE;
	return rng_within_pct(w, w->cfg.read_pct) ? ZH_BENCH_DIR_READ : ZH_BENCH_DIR_WRITE;
}

static inline uint64_t pick_offset(struct zh_bench_worker *w)
{
	uint64_t block;

	if (w->random) {
		block = zh_bench_rand_below(&w->rng, w->blocks);
	} else {
		block = w->seq_next;
		w->seq_next = block + 1 == w->blocks ? 0 : block + 1;
	}
	return w->cfg.region_offset_bytes + block * w->cfg.bs_bytes;
}

/*
 * Where an I/O of \p len bytes goes that follows on from *\p end (region bytes): there, or
 * the region's start when it would not fit there; *\p end moves past it.
 */
static uint64_t follow_on(uint64_t *end, uint32_t len, uint64_t region)
{
	uint64_t at = *end + len <= region ? *end : 0;

	*end = at + len;
	return at;
}

/* Sizes that vary: the size of the next I/O in direction \p d. */
static uint32_t pick_len(struct zh_bench_worker *w, unsigned d)
{
	if (w->cfg.bs_bytes != 0)
		return w->cfg.bs_bytes;
	return zh_bench_bs_draw(&w->cfg.bs[d], (uint32_t)(rng_next(w) >> 32));
}

/*
 * Sizes that vary or blockalign: where an I/O of *\p len bytes in direction \p d goes. Random
 * offsets are multiples of the direction's grain (dir_grain), drawn among those where the I/O
 * fits (fio draws the offset first and then a size that fits there; the same but at the
 * region's end). Sequential I/O follows on from the last one; the pass's last I/O shrinks
 * to what is left of the region when that is a grain or more, as fio's last one fits (it
 * wrapped to the region's start, wrote block 0 again and never the region's end), and
 * starts over at the region's start otherwise.
 */
static uint64_t place_varied(struct zh_bench_worker *w, unsigned d, uint32_t *len)
{
	uint64_t region = w->cfg.region_bytes, at;
	uint32_t grain = dir_grain(&w->cfg, d);

	ZH_ASSERT(*len <= region);
	if (w->random) {
		uint64_t starts = (region - *len) / grain + 1;

		at = zh_bench_rand_below(&w->rng, starts) * grain;
	} else {
		uint64_t left = region - w->seq_next_bytes;

		if (*len > left && left >= grain)
			*len = (uint32_t)(left - left % grain);
		at = follow_on(&w->seq_next_bytes, *len, region);
	}
	return w->cfg.region_offset_bytes + at;
}

/*
 * random_distribution: the generator's block, of the I/O's grain (the one size, or the
 * direction's smallest); an I/O that would run past the region moves back to fit.
 */
static uint64_t place_skewed(struct zh_bench_worker *w, unsigned d, uint32_t len)
{
	uint64_t grain = dir_grain(&w->cfg, d);
	uint64_t at = zh_bench_dist_next(&w->dist[d]) * grain;

	if (at + len > w->cfg.region_bytes)
		at = (w->cfg.region_bytes - len) / grain * grain;
	return w->cfg.region_offset_bytes + at;
}

/* random_generator=lfsr: the next block of the pass's order; a pass over, the next begins. */
static uint64_t place_lfsr(struct zh_bench_worker *w)
{
	uint64_t i = w->lfsr_next;

	w->lfsr_next = i + 1 == w->blocks ? 0 : i + 1;
	return w->cfg.region_offset_bytes + zh_bench_perm_at(&w->lfsr_order, i) * w->cfg.bs_bytes;
}

/*
 * A random offset for an I/O of *\p len bytes in direction \p d, by the job's distribution (or
 * a sequential job's next; place_varied may shrink *len).
 */
static uint64_t place_random(struct zh_bench_worker *w, unsigned d, uint32_t *len)
{
	if (w->lfsr)
		return place_lfsr(w);
	if (w->skewed)
		return place_skewed(w, d, *len);
	return w->cfg.bs_bytes != 0 && !w->realigned ? pick_offset(w) : place_varied(w, d, len);
}

/*
 * rw=read:N (fio's ddir_seq_add): the first I/O at the region's start, each next one N bytes
 * after the last one ended. One that would leave the region wraps, as fio's: to the start,
 * or for N < 0 (backwards) to the region's end less |N|.
 */
static uint64_t place_seq_add(struct zh_bench_worker *w, uint32_t len)
{
	int64_t add = w->cfg.seq_add, region = (int64_t)w->cfg.region_bytes;
	int64_t at = w->seq_add_begun ? (int64_t)w->seq_next_bytes + add : 0;

	if (at < 0 || at + (int64_t)len > region)
		at = add > 0 ? 0 : region + add;
	/* A step back smaller than the I/O (read:-2k of 4k reads) must still fit. */
	if (at + (int64_t)len > region)
		at = region - (int64_t)len;
	if (at < 0)
		at = 0;
	w->seq_add_begun = true;
	w->seq_next_bytes = (uint64_t)at + len;
	return w->cfg.region_offset_bytes + (uint64_t)at;
}

/*
 * percentage_random's draw, or rw=randread:N's count: N I/Os from the region's start, then
 * one random offset and N-1 others after each (fio's phase).
 */
static bool random_turn(struct zh_bench_worker *w, unsigned d)
{
	if (w->cfg.seq_every <= 1)
		return rng_within_pct(w, w->cfg.random_pct[d]);
	if (w->seq_left == 0) {
		w->seq_left = w->cfg.seq_every - 1;
		return true;
	}
	w->seq_left--;
	return false;
}

/* rw_sequencer=identical: the direction's last offset again (the region's start if none). */
static uint64_t same_again(struct zh_bench_worker *w, unsigned d, uint32_t len)
{
	uint64_t at = w->last_start[d];

	return at + len <= w->cfg.region_bytes ? at : 0;
}

/*
 * zonemode=strided, as fio's: I/O stays in the zone of zone_range bytes at zone_base until
 * zone_size bytes are done there, then moves zone_range + zone_skip on, or back to the
 * region's start when the next zone would not hold the I/O. In a zone, random offsets are
 * drawn over it and sequential ones follow on, starting over at its start when they reach
 * its end (fio keeps a zone zone_size bytes, which may be more than zone_range).
 */
static uint64_t place_strided(struct zh_bench_worker *w, unsigned d, uint32_t len)
{
	const struct zh_bench_worker_cfg *cfg = &w->cfg;
	uint64_t region = cfg->region_bytes, step = cfg->zone_range + cfg->zone_skip, span, at;

	ZH_ASSERT(step >= cfg->zone_range); /* the planner keeps the sum in 64 bits */
	if (w->zone_done >= cfg->zone_size) {
		w->zone_base = step < region - w->zone_base ? w->zone_base + step : region;
		w->zone_done = 0;
		w->zone_end[0] = w->zone_end[1] = 0;
	}
	if (region - w->zone_base < len) {
		w->zone_base = 0;
		w->zone_end[0] = w->zone_end[1] = 0;
	}
	span = region - w->zone_base < cfg->zone_range ? region - w->zone_base : cfg->zone_range;
	if (w->random) {
		uint32_t grain = dir_grain(cfg, d);

		at = zh_bench_rand_below(&w->rng, (span - len) / grain + 1) * grain;
	} else {
		at = follow_on(&w->zone_end[d], len, span);
	}
	w->zone_done += len;
	return cfg->region_offset_bytes + w->zone_base + at;
}

/*
 * The slow path's offset for an I/O of \p len bytes in direction \p d. percentage_random or
 * rw=randread:N: the I/Os that are not random go where the direction's last one ended (fio's
 * last_pos; the region's start when it would not fit there) or, rw_sequencer=identical,
 * where it began.
 */
static uint64_t region_place(struct zh_bench_worker *w, unsigned d, uint32_t *len)
{
	uint64_t at;

	if (w->cfg.zone_size != 0)
		return place_strided(w, d, *len);
	if (w->cfg.seq_add != 0)
		return place_seq_add(w, *len);
	if (!w->partly_random)
		return place_random(w, d, len);
	if (!random_turn(w, d)) {
		if (w->cfg.seq_identical)
			return w->cfg.region_offset_bytes + same_again(w, d, *len);
		at = follow_on(&w->last_end[d], *len, w->cfg.region_bytes);
	} else {
		at = place_random(w, d, len) - w->cfg.region_offset_bytes;
		w->last_end[d] = at + *len;
	}
	w->last_start[d] = at;
	return w->cfg.region_offset_bytes + at;
}

/* A sequential job's file done to its end in this pass. */
static bool file_done(const struct zh_bench_worker *w, uint32_t f)
{
	return !w->random && w->file_next[f] + w->cfg.bs_bytes > w->cfg.file_bytes;
}

/*
 * roundrobin:N, random:N: file_switch_every I/Os on a file, then the next in turn or drawn.
 * As in fio, a sequential job skips the files it has done; once all are, the next pass
 * starts every file again.
 */
static uint32_t file_turn(struct zh_bench_worker *w)
{
	const struct zh_bench_worker_cfg *cfg = &w->cfg;
	uint32_t f, n = cfg->file_count;

	if (w->file_left == 0) {
		for (f = 0; f < n && file_done(w, f); f++)
			;
		if (f == n)
			memset(w->file_next, 0, sizeof(w->file_next));
		f = cfg->file_random ? (uint32_t)zh_bench_rand_below(&w->rng, n)
				     : (w->file_now + 1) % n;
		while (file_done(w, f)) /* ends: one file at least is not done */
			f = (f + 1) % n;
		w->file_now = f;
		w->file_left = cfg->file_switch_every;
	}
	w->file_left--;
	return w->file_now;
}

/*
 * The worker picks the file: a sequential job's I/O goes where that file's last one ended
 * (fio's per-file position; a file done to its end ends the turn early, as in fio), a random
 * job's to the block within its file that the region's draw gave (so a distribution keeps its
 * shape in every file). Either way as the region offset slot_file maps to it: file f's block
 * b is the region's block b * file_count + f.
 */
static uint64_t place_file_turn(struct zh_bench_worker *w, unsigned d, uint32_t len)
{
	const struct zh_bench_worker_cfg *cfg = &w->cfg;
	uint32_t f = file_turn(w);
	uint64_t block;

	ZH_ASSERT(len == cfg->bs_bytes && !cfg->file_sequential && cfg->region_offset_bytes == 0);
	if (w->random) {
		block = region_place(w, d, &len) / len / cfg->file_count;
	} else {
		block = follow_on(&w->file_next[f], len, cfg->file_bytes) / len;
		if (file_done(w, f))
			w->file_left = 0;
	}
	return (block * cfg->file_count + f) * len;
}

/* Where an I/O of *\p len bytes goes; a sequential pass's last I/O may shrink *len. */
static uint64_t slot_place(struct zh_bench_worker *w, unsigned d, uint32_t *len)
{
	return w->file_turns ? place_file_turn(w, d, *len) : region_place(w, d, len);
}

/*
 * Several files: the device of the I/O at region offset *\p offset, which becomes the offset
 * in that file: block b goes to file b % n, its block b / n (roundrobin), or the region is the
 * files one after the other (sequential). One file: the job's device, the offset as it is.
 */
static unsigned slot_file(const struct zh_bench_worker *w, uint64_t *offset)
{
	const struct zh_bench_worker_cfg *cfg = &w->cfg;
	uint64_t at = *offset, f;

	if (cfg->file_count <= 1)
		return cfg->dev;
	ZH_ASSERT(cfg->region_offset_bytes == 0 && at < cfg->region_bytes && cfg->bs_bytes != 0);
	if (cfg->file_sequential) {
		f = at / cfg->file_bytes;
		at %= cfg->file_bytes;
	} else {
		f = at / cfg->bs_bytes % cfg->file_count;
		at = at / cfg->bs_bytes / cfg->file_count * cfg->bs_bytes;
	}
	*offset = cfg->file_offset[f] + at;
	return cfg->file_dev[f];
}

/* verify_pattern, or NULL for the pseudo-random payload. */
static const struct zh_bench_pattern *verify_pattern(const struct zh_bench_worker *w)
{
	return w->cfg.verify_pattern.len != 0 ? &w->cfg.verify_pattern : NULL;
}

/* A verified block of \p len bytes at \p offset: one checkable piece per verify_interval. */
static void verify_fill(const struct zh_bench_worker *w, uint8_t *block, uint32_t len,
			uint64_t offset, uint64_t seq)
{
	zh_bench_verify_fill_every(block, len, w->cfg.verify_interval, offset, seq,
				   w->cfg.verify_kind, verify_pattern(w));
}

/* The first of a block's pieces that is not good, or ok; *\p got is that piece's write. */
static enum zh_bench_verify_result verify_check(const struct zh_bench_worker *w,
						const uint8_t *block, uint32_t len, uint64_t offset,
						uint64_t want, uint64_t *got)
{
	return zh_bench_verify_check_every(block, len, w->cfg.verify_interval, offset, want,
					   w->cfg.verify_kind, verify_pattern(w), got);
}

/* ---- the I/O loop -------------------------------------------------------------------------- */

static void slot_done(struct zh_reactor *r, struct zh_io *io);
static void slot_done_sync(struct zh_reactor *r, struct zh_io *io);
static void slot_done_verify(struct zh_reactor *r, struct zh_io *io);
static void slot_done_think(struct zh_reactor *r, struct zh_io *io);
static void slot_done_lat(struct zh_reactor *r, struct zh_io *io);
static bool short_requeued(struct zh_reactor *r, struct zh_io *io, zh_io_cb done);
static inline void slot_complete(struct zh_reactor *r, struct zh_io *io);
static void worker_finish(struct zh_reactor *r, struct zh_bench_worker *w);
static void worker_fail(struct zh_bench_worker *w, int err);
static void worker_stop(struct zh_reactor *r, struct zh_bench_worker *w);

static bool worker_may_issue(const struct zh_bench_worker *w)
{
	if (w->stopping)
		return false;
	return w->cfg.io_limit_bytes == 0 || w->issued_bytes < w->cfg.io_limit_bytes;
}

/*
 * The two rare ways to issue (slow_issue) stay out of line, so that slot_issue's common path
 * pays one test of one flag for them: 2 instructions per request (callgrind: slot_issue's own
 * cost went from 61 to 66 per read while it tested two flags).
 */
#define SLOW_PATH __attribute__((noinline, cold))

/* Account a request of \p len bytes the engine took (rc 0); pass its refusal on. */
static int slot_issued(struct zh_bench_worker *w, uint32_t len, int rc)
{
	if (ZH_UNLIKELY(rc < 0))
		return rc;
	w->issued_bytes += len;
	w->inflight++;
	w->depth_levels[zh_bench_depth_level(w->inflight)]++;
	/* number_ios with sizes that vary (a count; with one size the byte limit holds it). */
	if (++w->issued_ios == w->cfg.io_limit_ios)
		w->stopping = true;
	return 0;
}

/* fio's fsync=N: once N writes have been issued, the next request is a flush. */
static SLOW_PATH int slot_issue_sync(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	int rc;

	s->ddir = SLOT_SYNC;
	rc = zh_reactor_flush(r, w->cfg.dev, &s->io, slot_done_sync);
	if (rc < 0)
		return rc;
	w->sync_due = false;
	w->slow_issue = w->slow_base;
	w->writes_unsynced = 0;
	w->inflight++;
	return 0;
}

static uint64_t slot_block(const struct zh_bench_worker *w, const struct zh_bench_slot *s)
{
	return (s->offset - w->cfg.region_offset_bytes) / w->cfg.bs_bytes;
}

/* Redraws for a verify write before it takes the next free block instead. */
#define VERIFY_REDRAWS 16

/*
 * verify: move the write on slot \p s to a block with no write in flight, so the last write
 * issued to a block is the one it must show. It redraws from the job's placement a few times;
 * a skewed one may keep drawing busy blocks (zipf's hottest, a zone of one block), so then it
 * takes the next free block after the last draw: at most iodepth blocks are busy, and the
 * planner leaves four per slot. \return the block.
 */
static uint64_t verify_free_block(struct zh_bench_worker *w, struct zh_bench_slot *s)
{
	uint64_t block = slot_block(w, s);

	for (unsigned i = 0; i < VERIFY_REDRAWS && (w->block_seq[block] & VERIFY_BUSY); i++) {
		s->offset = slot_place(w, s->ddir, &s->len);
		block = slot_block(w, s);
	}
	while (w->block_seq[block] & VERIFY_BUSY)
		block = block + 1 == w->blocks ? 0 : block + 1;
	s->offset = w->cfg.region_offset_bytes + block * w->cfg.bs_bytes;
	return block;
}

/* The completion a slow-path I/O takes: the plain one, or the one the job's options need. */
static zh_io_cb slot_done_cb(const struct zh_bench_worker *w)
{
	if (w->cfg.verify)
		return slot_done_verify;
	if (w->cfg.think_ns != 0)
		return slot_done_think;
	if ((w->cfg.lat_target_ns | w->cfg.max_lat_ns) != 0)
		return slot_done_lat;
	return slot_done;
}

/*
 * Issue the request for the direction and size already picked (s->ddir, s->len). With
 * verify=crc32c (read or write jobs of one size only), a write goes to a block with no write
 * in flight (the planner leaves at least four blocks per slot), so the last write issued to a
 * block is the one its contents must show.
 */
static int slot_issue_dir(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	zh_io_cb done = slot_done_cb(w);
	uint64_t block = 0;
	uint32_t len;
	unsigned dev;
	int rc;

	s->offset = slot_place(w, s->ddir, &s->len);
	len = s->len;
	if (w->cfg.verify && s->ddir == ZH_BENCH_DIR_WRITE)
		block = verify_free_block(w, s);
	dev = slot_file(w, &s->offset);
	if (s->ddir == ZH_BENCH_DIR_READ)
		return slot_issued(w, len,
				   zh_reactor_read(r, dev, s->buf, len, s->offset, &s->io, done));
	if (w->cfg.verify) {
		verify_fill(w, s->buf->data, len, s->offset, ++w->write_seq);
	} else if (w->cfg.data.refill) {
		zh_bench_data_fill(&w->cfg.data, s->buf->data, len, &w->fill_rng);
	} else if (w->cfg.data.scramble) {
		zh_bench_data_scramble(s->buf->data, len, s->offset, zh_reactor_now_ns(r));
	}
	rc = zh_reactor_write(r, dev, s->buf, len, s->offset, w->cfg.write_flags, &s->io, done);
	if (rc == 0 && w->cfg.verify)
		w->block_seq[block] = w->write_seq | VERIFY_INFLIGHT;
	/*
	 * Set, never cleared here: slots a rate, think or flow lets go come here without passing
	 * slot_issue_slow()'s flush, and clearing lost the flush due (and the count ran past N,
	 * never to match again). Only the flush clears it.
	 */
	if (rc == 0 && ++w->writes_unsynced == w->cfg.sync_every)
		w->sync_due = true;
	w->slow_issue = w->slow_base || w->sync_due;
	return slot_issued(w, len, rc);
}

static void rate_fired(struct zh_reactor *r, struct zh_timer *t);

/* Keep rate_timer armed for the earliest parked slot. */
static void rate_arm(struct zh_reactor *r, struct zh_bench_worker *w)
{
	uint64_t first = UINT64_MAX;

	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		if (w->parked_head[d] != NULL && w->parked_head[d]->due_ns < first)
			first = w->parked_head[d]->due_ns;
	}
	if (first == w->rate_armed_ns)
		return;
	zh_reactor_timer_cancel(r, &w->rate_timer);
	w->rate_armed_ns = 0;
	if (first == UINT64_MAX)
		return;
	/* Cannot fail: the planner counts this timer among the reactor's (timers_max). */
	ZH_ASSERT(zh_reactor_timer_start(r, &w->rate_timer, first, rate_fired) == 0);
	w->rate_armed_ns = first;
}

/* Queue \p s behind its direction's parked slots until \p due_ns (FIFO, dues in order). */
static void park(struct zh_bench_worker *w, struct zh_bench_slot *s, uint64_t due_ns)
{
	unsigned d = s->ddir;

	s->due_ns = due_ns;
	s->next_parked = NULL;
	if (w->parked_tail[d] != NULL)
		w->parked_tail[d]->next_parked = s;
	else
		w->parked_head[d] = s;
	w->parked_tail[d] = s;
	w->parked++;
}

static bool dir_rated(const struct zh_bench_worker *w, unsigned d)
{
	return (w->cfg.rate_bps[d] | w->cfg.rate_iops[d]) != 0;
}

/*
 * fio's linear rate: a direction's next I/O is due once the I/Os and bytes before it fit both
 * rates since the start (0 for a direction without one). poisson: when its gap, drawn as the
 * one before it was counted, runs out.
 */
static uint64_t rate_due(const struct zh_bench_worker *w, unsigned d)
{
	uint64_t by_ios = 0, by_bytes = 0;

	if (!dir_rated(w, d))
		return 0;
	if (w->cfg.rate_poisson)
		return w->start_ns + w->rate_next_ns[d];
	if (w->cfg.rate_iops[d] != 0)
		by_ios = (uint64_t)((unsigned __int128)w->rate_ios[d] * 1000000000u /
				    w->cfg.rate_iops[d]);
	if (w->cfg.rate_bps[d] != 0)
		by_bytes = (uint64_t)((unsigned __int128)w->rate_bytes[d] * 1000000000u /
				      w->cfg.rate_bps[d]);
	return w->start_ns + (by_ios > by_bytes ? by_ios : by_bytes);
}

/*
 * fio's rate_ddir(): keep the direction drawn if it is due; in a mixed job, take the other
 * one if that is due instead, or else whichever is due first. So the rates, not rwmixread,
 * set the mix when they bind.
 */
static unsigned rate_pick(const struct zh_bench_worker *w, unsigned d, uint64_t now)
{
	unsigned o = d ^ 1;
	bool mixed = w->cfg.read_pct != 0 && w->cfg.read_pct != 100;

	if (!mixed || rate_due(w, d) <= now)
		return d;
	if (rate_due(w, o) <= now)
		return o;
	return rate_due(w, d) <= rate_due(w, o) ? d : o;
}

/*
 * poisson: the gap after an I/O of \p len bytes, exponential with the mean the rates give it
 * (the wider of the two, as linear spacing takes), from 53 random bits in (0, 1].
 */
static uint64_t rate_gap_ns(struct zh_bench_worker *w, unsigned d, uint32_t len)
{
	double mean = 0.0, u = (double)((rng_next(w) >> 11) + 1) * 0x1p-53;

	if (w->cfg.rate_iops[d] != 0)
		mean = 1e9 / (double)w->cfg.rate_iops[d];
	if (w->cfg.rate_bps[d] != 0 && 1e9 * len / (double)w->cfg.rate_bps[d] > mean)
		mean = 1e9 * len / (double)w->cfg.rate_bps[d];
	return (uint64_t)(-log(u) * mean);
}

/*
 * Count the I/O against its direction's rate; one whose time has come (or passed: a late
 * worker catches up) goes at once. \return true if the slot was parked until its time.
 */
static bool rate_park(struct zh_reactor *r, struct zh_bench_slot *s, uint64_t now)
{
	struct zh_bench_worker *w = s->w;
	unsigned d = s->ddir;
	uint64_t due;

	if (!dir_rated(w, d))
		return false;
	due = rate_due(w, d);
	w->rate_ios[d]++;
	w->rate_bytes[d] += s->len;
	if (w->cfg.rate_poisson)
		w->rate_next_ns[d] += rate_gap_ns(w, d, s->len);
	if (due <= now)
		return false;
	park(w, s, due);
	rate_arm(r, w);
	return true;
}

static struct zh_bench_slot *rate_unpark(struct zh_bench_worker *w, unsigned d)
{
	struct zh_bench_slot *s = w->parked_head[d];

	w->parked_head[d] = s->next_parked;
	if (w->parked_head[d] == NULL)
		w->parked_tail[d] = NULL;
	w->parked--;
	return s;
}

/* ---- thinktime ---------------------------------------------------------------------------- */

/*
 * fio's handle_thinktime(), which runs after each issue: once think_blocks more blocks are done
 * (or issued), the job stops issuing until what is in flight is done, then waits.
 */
static void think_check(struct zh_bench_worker *w)
{
	uint64_t seen = w->cfg.think_on_issue ? w->issued_ios : w->think_done;

	if (seen < w->think_last + w->cfg.think_blocks)
		return;
	w->think_last = seen;
	w->thinking = true;
}

/* The job has drained: every parked slot goes out think_ns from now. */
static void think_sleep(struct zh_reactor *r, struct zh_bench_worker *w)
{
	uint64_t until = zh_reactor_now_ns(r) + w->cfg.think_ns;

	ZH_ASSERT(w->thinking && w->inflight == 0);
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		for (struct zh_bench_slot *s = w->parked_head[d]; s != NULL; s = s->next_parked)
			s->due_ns = until;
	}
	w->thinking = false;
	rate_arm(r, w);
}

/*
 * A thinking job's slot waits (the last I/O of the job to finish starts the wait); otherwise
 * it issues, and then the job checks whether a think is due.
 */
static int think_issue(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	int rc;

	if (w->thinking) {
		park(w, s, UINT64_MAX);
		if (w->inflight == 0)
			think_sleep(r, w);
		return 0;
	}
	rc = slot_issue_dir(r, s);
	if (rc == 0)
		think_check(w);
	return rc;
}

/*
 * fio's flow (3.33): a job whose share of its flow's I/Os is past its share of the weights,
 * done / issued > weight / total, waits flow_sleep on the parked list (0: until the reactor's
 * next turn, as fio spins) and tries again; otherwise the I/O counts and goes out. Relaxed:
 * a count a little off only moves when a job waits, as in fio.
 */
static int flow_issue(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	uint64_t issued = atomic_load_explicit(w->cfg.flow_issued, memory_order_relaxed);

	uint64_t total = atomic_load_explicit(w->cfg.flow_total_weight, memory_order_relaxed);

	if ((unsigned __int128)w->flow_done * total >
	    (unsigned __int128)w->cfg.flow_weight * issued) {
		/* At least a nanosecond on: rate_release() must not take it back at once. */
		park(w, s, zh_reactor_now_ns(r) + w->cfg.flow_sleep_ns + 1);
		rate_arm(r, w);
		return 0;
	}
	atomic_fetch_add_explicit(w->cfg.flow_issued, 1, memory_order_relaxed);
	w->flow_done++;
	return slot_issue_dir(r, s);
}

/*
 * A parked or gated slot had its turn, and issuing it gave \p rc (-ECANCELED: the job issues
 * no more). Unless it went out, it retires here, not by slot_retire(): the caller decides
 * when the job ends.
 */
static void unparked(struct zh_reactor *r, struct zh_bench_slot *s, int rc)
{
	if (rc == 0)
		return;
	if (rc != -ECANCELED)
		worker_fail(s->w, -rc);
	zh_reactor_buf_put(r, s->buf);
	s->buf = NULL;
}

/* ---- latency_target ------------------------------------------------------------------------ */

static int slot_issue(struct zh_reactor *r, struct zh_bench_slot *s);
static void worker_settle(struct zh_reactor *r, struct zh_bench_worker *w);
static void measure_restart(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now);

/* Gated slots go out while the depth allows, or retire once the job issues no more. */
static void qd_release(struct zh_reactor *r, struct zh_bench_worker *w)
{
	while (w->gated != NULL &&
	       (!worker_may_issue(w) || (!w->qd_draining && w->inflight < w->qd.depth))) {
		struct zh_bench_slot *s = w->gated;

		w->gated = s->next_parked;
		w->gated_count--;
		unparked(r, s, worker_may_issue(w) ? slot_issue(r, s) : -ECANCELED);
	}
}

/*
 * Nothing from the depth left behind is in flight: a new window opens, after the statistics
 * start over if it is the final one (fio reports only that window), and slots go out.
 */
static void qd_drained(struct zh_reactor *r, struct zh_bench_worker *w)
{
	uint64_t now = zh_reactor_now_ns(r);

	w->qd_draining = false;
	if (w->qd.final) {
		zh_reactor_timer_cancel(r, &w->ramp_timer);
		measure_restart(r, w, now);
	}
	zh_bench_qd_new_window(&w->qd, now);
	qd_release(r, w);
}

/* A slot above the depth tried, or any while the job drains, waits. \return true if it did. */
static bool qd_gate(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;

	if (!w->qd_draining && w->inflight < w->qd.depth)
		return false;
	s->next_parked = w->gated;
	w->gated = s;
	w->gated_count++;
	/*
	 * The slots released here may all fail to issue (a device that refuses them: not
	 * reachable from a job file), which retires them and leaves nothing in flight to end the
	 * job; the slot_next() that got here returns without settling, so settle here.
	 */
	if (w->qd_draining && w->inflight == 0) {
		qd_drained(r, w);
		worker_settle(r, w);
	}
	return true;
}

/* What the search makes of an I/O that took \p lat_ns, finished at \p now. */
static void qd_step(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t lat_ns, uint64_t now)
{
	enum zh_bench_qd_step step = zh_bench_qd_io(&w->qd, lat_ns);

	if (step == ZH_BENCH_QD_KEEP)
		step = zh_bench_qd_tick(&w->qd, now);
	switch (step) {
	case ZH_BENCH_QD_KEEP:
		break;
	case ZH_BENCH_QD_RAISE:
		qd_release(r, w);
		break;
	case ZH_BENCH_QD_LOWER:
	case ZH_BENCH_QD_FINAL:
		/* I/Os of the depth left behind finish first and do not count (fio quiesces). */
		w->qd_draining = true;
		break;
	case ZH_BENCH_QD_DONE:
		worker_stop(r, w);
		break;
	case ZH_BENCH_QD_MISSED:
		worker_fail(w, ETIMEDOUT);
		break;
	}
}

static int backlog_issue(struct zh_reactor *r, struct zh_bench_slot *s);

/* Flushes, verify, rate limits, refills and thinks: everything but the plain read or write. */
static SLOW_PATH int slot_issue_slow(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	uint64_t now = w->rated ? zh_reactor_now_ns(r) : 0;

	if (w->cfg.lat_target_ns != 0 && qd_gate(r, s))
		return 0;
	if (w->backlog_due > 0) {
		int rc = backlog_issue(r, s);

		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	if (w->sync_due)
		return slot_issue_sync(r, s);
	s->ddir = pick_ddir(w);
	if (w->rated)
		s->ddir = rate_pick(w, s->ddir, now);
	/* Drawn before a rate parks the slot: a byte rate counts the I/O's size. */
	s->len = pick_len(w, s->ddir);
	if (w->rated && rate_park(r, s, now))
		return 0;
	if (w->cfg.think_ns != 0)
		return think_issue(r, s);
	if (w->cfg.flow_weight != 0)
		return flow_issue(r, s);
	return slot_issue_dir(r, s);
}

static int slot_issue(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	uint32_t bs = w->cfg.bs_bytes;
	int rc;

	if (ZH_UNLIKELY(w->slow_issue))
		return slot_issue_slow(r, s);
	ZH_DEBUG_ASSERT(bs != 0); /* sizes that vary take the slow path */
	s->ddir = pick_ddir(w);
	s->offset = pick_offset(w);
	if (s->ddir == ZH_BENCH_DIR_READ) {
		rc = zh_reactor_read(r, w->cfg.dev, s->buf, bs, s->offset, &s->io, slot_done);
	} else {
		if (w->cfg.data.scramble)
			zh_bench_data_scramble(s->buf->data, bs, s->offset, zh_reactor_now_ns(r));
		rc = zh_reactor_write(r, w->cfg.dev, s->buf, bs, s->offset, w->cfg.write_flags,
				      &s->io, slot_done);
		/* The count is 64-bit, so with sync_every 0 it never matches. */
		w->sync_due = rc == 0 && ++w->writes_unsynced == w->cfg.sync_every;
		w->slow_issue = w->sync_due;
	}
	/* slot_issued() by hand: calling it here cost one instruction per read more (callgrind). */
	if (ZH_UNLIKELY(rc < 0))
		return rc;
	w->issued_bytes += bs;
	w->inflight++;
	w->depth_levels[zh_bench_depth_level(w->inflight)]++;
	return 0;
}

static void worker_fail(struct zh_bench_worker *w, int err)
{
	if (w->error == 0)
		w->error = err;
	w->stopping = true;
}

/* A failure of \p kind (ZH_BENCH_CONTINUE_*): counted where continue_on_error covers it. */
static bool error_passed(struct zh_bench_worker *w, unsigned kind, int err, uint64_t count)
{
	if ((w->cfg.continue_on_error & kind) == 0)
		return false;
	if (w->total_err == 0)
		w->first_error = err;
	w->total_err += count;
	return true;
}

/* A read or write that failed with \p err: passed over (continue_on_error), or the end. */
static void io_failed(struct zh_bench_worker *w, unsigned ddir, int err)
{
	ZH_ASSERT(ddir < ZH_BENCH_DIRS);
	if (!error_passed(
		w, ddir == ZH_BENCH_DIR_READ ? ZH_BENCH_CONTINUE_READ : ZH_BENCH_CONTINUE_WRITE,
		err, 1))
		worker_fail(w, err);
}

/* Whether a write's failure \p res is fill_device's end: no space left (or a cut not resumed). */
static bool found_full(const struct zh_bench_worker *w, const struct zh_bench_slot *s, int32_t res)
{
	return w->cfg.fill_device && s->ddir == ZH_BENCH_DIR_WRITE &&
	       (res >= 0 || res == -ENOSPC || res == -EDQUOT);
}

/*
 * fill_device: a write that found no space left ends the job without an error (fio's rule);
 * the writes still in flight meet the same end. One cut short by it went on with its rest
 * (short_requeued()), which found no space: the space ended where that rest began, past what
 * the write moved (full_moved). \return whether the failure was that.
 */
static bool device_full(struct zh_bench_worker *w, struct zh_bench_slot *s, int32_t res)
{
	/* A first piece cut short whose rest could not go out: the space ended past it. */
	uint64_t at = s->offset + (res > 0 ? (uint32_t)res : s->full_moved);

	if (!found_full(w, s, res))
		return false;
	s->full_moved = 0;
	if (at < w->full_offset)
		w->full_offset = at;
	w->stopping = true;
	return true;
}

static void worker_drained(struct zh_reactor *r, struct zh_bench_worker *w);
static void measure_end(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now);

static void end_sync_done(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_worker *w = ZH_CONTAINER_OF(io, struct zh_bench_worker, end_sync_io);

	w->inflight--;
	if (io->res < 0)
		worker_fail(w, -io->res);
	w->end_sync_ns = zh_reactor_now_ns(r) - io->prep_ns;
	worker_drained(r, w);
}

static void end_sync_start(struct zh_reactor *r, struct zh_bench_worker *w)
{
	int rc = zh_reactor_flush(r, w->cfg.dev, &w->end_sync_io, end_sync_done);

	w->end_sync_issued = true;
	if (rc < 0)
		worker_fail(w, -rc);
	else
		w->inflight++;
}

/* ---- verify=crc32c ------------------------------------------------------------------------- */

/*
 * The most bad blocks one job writes out (verify_dump). Writing them blocks the reactor, which
 * is why there is a bound; a job that finds bad blocks has already failed.
 */
#define VERIFY_DUMPS_MAX 16

static bool dump_write(const char *name, const void *data, uint32_t len)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * verify_dump, named as fio names them: "<file>.<offset>.received", and "<file>.<offset>.expected"
 * rebuilt from write \p seq (0: not known, no expected file; a pattern needs none).
 */
static void verify_dump(struct zh_bench_worker *w, const struct zh_bench_slot *s, uint64_t seq)
{
	const char *base = strrchr(w->cfg.dump_path, '/');
	char received[ZH_BENCH_PATH_MAX + 40], expected[ZH_BENCH_PATH_MAX + 40];
	uint32_t bs = w->cfg.bs_bytes;
	bool rebuilt = seq != 0 || w->cfg.verify_kind == ZH_BENCH_VERIFY_PATTERN;

	if (w->dumps++ >= VERIFY_DUMPS_MAX)
		return;
	base = base != NULL ? base + 1 : w->cfg.dump_path;
	snprintf(received, sizeof(received), "%s.%" PRIu64 ".received", base, s->offset);
	snprintf(expected, sizeof(expected), "%s.%" PRIu64 ".expected", base, s->offset);
	if (!dump_write(received, s->buf->data, bs)) {
		fprintf(stderr, "zhtp-bench: verify_dump: %s: %s\n", received, strerror(errno));
		return;
	}
	if (rebuilt) {
		verify_fill(w, w->dump_expected, bs, s->offset, seq);
		if (!dump_write(expected, w->dump_expected, bs)) {
			fprintf(stderr, "zhtp-bench: verify_dump: %s: %s\n", expected,
				strerror(errno));
			rebuilt = false;
		}
	}
	fprintf(stderr,
		"zhtp-bench: bad block at offset %" PRIu64 " of %s: received data in %s%s%s\n",
		s->offset, w->cfg.dump_path, received, rebuilt ? ", expected in " : "",
		rebuilt ? expected : "");
}

static void verify_note(struct zh_bench_worker *w, const struct zh_bench_slot *s, uint64_t want_seq)
{
	uint64_t got;
	enum zh_bench_verify_result v =
	    verify_check(w, s->buf->data, w->cfg.bs_bytes, s->offset, want_seq, &got);

	w->verify.ran = true;
	w->verify.blocks++;
	if (ZH_LIKELY(v == ZH_BENCH_VERIFY_OK))
		return;
	if (w->verify.bad++ == 0) {
		w->verify.first_bad_offset = s->offset;
		w->verify.first_bad_kind = v;
		w->verify.first_bad_seq = got;
		w->verify.first_bad_want_seq = want_seq;
	}
	if (w->cfg.dump_path != NULL)
		verify_dump(w, s, want_seq != 0 ? want_seq : got);
	if (w->cfg.verify_fatal) {
		w->stopping = true;
		w->verify_stop = true;
	}
}

/*
 * A read of a written block is back (the read-back at the end, or a backlog's): a failed read
 * is counted (continue_on_error) or ends the job and its checking; a whole one is checked
 * against the block's last write. \return whether it was checked.
 */
static bool readback_note(struct zh_bench_worker *w, const struct zh_bench_slot *s, int32_t res)
{
	uint64_t want = w->block_seq[slot_block(w, s)];

	if (res != (int32_t)w->cfg.bs_bytes) {
		int err = res < 0 ? -res : EIO;

		if (!error_passed(w, ZH_BENCH_CONTINUE_READ, err, 1)) {
			worker_fail(w, err);
			w->verify_stop = true;
		}
		return false;
	}
	ZH_ASSERT((want & VERIFY_BUSY) == 0);
	verify_note(w, s, want);
	return true;
}

/* ---- verify_backlog ------------------------------------------------------------------------ */

/*
 * A write landed: its block joins the backlog, oldest first. Once verify_backlog of them wait,
 * the next that many requests the job issues read them back (fio's verify_backlog_batch),
 * while the writes in flight go on landing: at most iodepth more than verify_backlog wait.
 */
static void backlog_note(struct zh_bench_worker *w, uint64_t block)
{
	uint32_t cap = w->cfg.verify_backlog + w->cfg.iodepth;

	ZH_ASSERT(w->backlog_len < cap);
	w->backlog[(w->backlog_head + w->backlog_len++) % cap] = block;
	/* A verifying job always issues through slot_issue_slow(), which sees backlog_due. */
	ZH_DEBUG_ASSERT(w->slow_base);
	if (w->backlog_len >= w->cfg.verify_backlog && w->backlog_due == 0) {
		w->backlog_due = w->cfg.verify_backlog;
		w->verify.backlogs++;
	}
}

static uint64_t backlog_pop(struct zh_bench_worker *w)
{
	uint64_t block = w->backlog[w->backlog_head];

	w->backlog_head = (w->backlog_head + 1) % (w->cfg.verify_backlog + w->cfg.iodepth);
	w->backlog_len--;
	return block;
}

static void backlog_read_done(struct zh_reactor *r, struct zh_io *io);

/*
 * The slot's next request reads back the backlog's oldest block, while reads are due. A block
 * written again since is left to that write, which adds it again; one already checked and
 * not written since is not read twice. \return 1 when a read went out, 0 when none is due.
 */
static int backlog_issue(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	uint32_t bs = w->cfg.bs_bytes;

	while (w->backlog_due > 0 && w->backlog_len > 0) {
		uint64_t block = backlog_pop(w);
		int rc;

		w->backlog_due--;
		if (w->block_seq[block] == 0 || (w->block_seq[block] & VERIFY_BUSY) != 0)
			continue;
		s->ddir = ZH_BENCH_DIR_READ;
		s->offset = w->cfg.region_offset_bytes + block * bs;
		rc = zh_reactor_read(r, w->cfg.dev, s->buf, bs, s->offset, &s->io,
				     backlog_read_done);
		if (rc < 0)
			return rc;
		w->block_seq[block] |= VERIFY_READING;
		w->inflight++;
		w->verify.reads++;
		return 1;
	}
	w->backlog_due = 0;
	return 0;
}

static inline void slot_next(struct zh_reactor *r, struct zh_bench_slot *s);

/* A backlog read is back: its block is checked, and the slot goes on with the job. */
static void backlog_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;
	uint64_t block = slot_block(w, s);

	if (short_requeued(r, io, backlog_read_done))
		return;
	w->inflight--;
	w->block_seq[block] &= ~VERIFY_READING;
	if (readback_note(w, s, io->res)) {
		w->verify.backlog_blocks++;
		/* Checked: the read-back at the end leaves it out unless it is written again. */
		w->block_seq[block] = 0;
	}
	slot_next(r, s);
}

/* A verifying job's reads are checked as they come; its writes leave their block free. */
static void slot_done_verify(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;

	if (short_requeued(r, io, slot_done_verify))
		return;
	if (io->res == (int32_t)io->len_bytes) {
		w->think_done++;
		if (s->ddir == ZH_BENCH_DIR_WRITE) {
			w->block_seq[slot_block(w, s)] &= ~VERIFY_INFLIGHT;
			if (w->backlog != NULL)
				backlog_note(w, slot_block(w, s));
		} else {
			verify_note(w, s, 0);
		}
	} else if (s->ddir == ZH_BENCH_DIR_WRITE) {
		/* What a failed write left is unknown: the block is not read back. */
		w->block_seq[slot_block(w, s)] = 0;
	}
	slot_complete(r, io);
}

/* A thinking job counts its completed blocks (fio's thinktime_blocks_type=complete). */
static void slot_done_think(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);

	if (short_requeued(r, io, slot_done_think))
		return;
	if (io->res == (int32_t)io->len_bytes)
		s->w->think_done++;
	slot_complete(r, io);
}

static void verify_read_done(struct zh_reactor *r, struct zh_io *io);

/* Read back the next block the job wrote on slot \p s. \return false when none is left. */
static bool verify_next(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;
	uint32_t bs = w->cfg.bs_bytes;

	while (!w->verify_stop && w->error == 0 && w->verify_cursor < w->blocks) {
		uint64_t block = w->verify_cursor++;
		int rc;

		if (w->block_seq[block] == 0)
			continue;
		s->ddir = ZH_BENCH_DIR_READ;
		s->offset = w->cfg.region_offset_bytes + block * bs;
		rc =
		    zh_reactor_read(r, w->cfg.dev, s->buf, bs, s->offset, &s->io, verify_read_done);
		if (rc < 0) {
			worker_fail(w, -rc);
			w->verify_stop = true;
			return false;
		}
		w->inflight++;
		w->verify.reads++;
		return true;
	}
	return false;
}

static void verify_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;

	if (short_requeued(r, io, verify_read_done))
		return;
	w->inflight--;
	readback_note(w, s, io->res);
	if (verify_next(r, s))
		return;
	zh_reactor_buf_put(r, s->buf);
	s->buf = NULL;
	if (w->inflight == 0)
		worker_drained(r, w);
}

/* fio's do_verify: once the writes are done, read every block written back, in order. */
static void verify_readback_start(struct zh_reactor *r, struct zh_bench_worker *w)
{
	w->verifying = true;
	w->verify_start_ns = zh_reactor_now_ns(r);
	w->verify.ran = true;
	measure_end(r, w, w->verify_start_ns);
	for (uint32_t i = 0; i < w->cfg.iodepth; i++) {
		struct zh_bench_slot *s = &w->slots[i];
		int rc = zh_reactor_buf_get(r, w->cfg.bs_max_bytes, &s->buf);

		if (rc < 0) {
			worker_fail(w, -rc);
			w->verify_stop = true;
			return;
		}
		if (!verify_next(r, s)) {
			zh_reactor_buf_put(r, s->buf);
			s->buf = NULL;
			return;
		}
	}
}

/*
 * Nothing is in flight and nothing more will be issued. Then, in fio's order: the end_fsync
 * flush when the job wrote, reading back what it wrote (verify), and the end. The flush counts
 * in the runtime (the data is durable only after it); the read-back does not.
 */
static void worker_drained(struct zh_reactor *r, struct zh_bench_worker *w)
{
	ZH_ASSERT(w->inflight == 0);
	if (w->error == 0 && w->cfg.end_sync && !w->end_sync_issued) {
		end_sync_start(r, w);
		if (w->inflight > 0)
			return;
	}
	if (w->error == 0 && w->cfg.verify_readback && !w->verifying) {
		verify_readback_start(r, w);
		if (w->inflight > 0)
			return;
	}
	worker_finish(r, w);
}

static void rate_release(struct zh_reactor *r, struct zh_bench_worker *w);

/*
 * After a slot retires, the job stops or parked slots go out: a stopped job does not keep
 * slots waiting for a rate limit's next turn, and one with nothing in flight or waiting is
 * drained.
 */
static void worker_settle(struct zh_reactor *r, struct zh_bench_worker *w)
{
	/* A think begun as the last slots retired (the job's size reached) still ends. */
	if (w->thinking && w->inflight == 0 && w->parked > 0)
		think_sleep(r, w);
	if (w->stopping && w->parked > 0)
		rate_release(r, w);
	if (w->gated_count > 0 && !worker_may_issue(w))
		qd_release(r, w);
	if (w->inflight == 0 && w->parked == 0 && w->gated_count == 0)
		worker_drained(r, w);
}

static void slot_retire(struct zh_reactor *r, struct zh_bench_slot *s)
{
	zh_reactor_buf_put(r, s->buf);
	s->buf = NULL;
	worker_settle(r, s->w);
}

/*
 * Parked slots whose time has come go out; once the job stops (or its size is issued), all
 * of them retire instead.
 */
static void rate_release(struct zh_reactor *r, struct zh_bench_worker *w)
{
	uint64_t now = zh_reactor_now_ns(r);

	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		/* While the job drains for a think, nothing parked goes out. */
		while (
		    w->parked_head[d] != NULL &&
		    ((w->parked_head[d]->due_ns <= now && !w->thinking) || !worker_may_issue(w))) {
			struct zh_bench_slot *s = rate_unpark(w, d);

			unparked(r, s,
				 !worker_may_issue(w)	   ? -ECANCELED
				 : w->cfg.think_ns != 0	   ? think_issue(r, s)
				 : w->cfg.flow_weight != 0 ? flow_issue(r, s)
							   : slot_issue_dir(r, s));
		}
	}
	rate_arm(r, w);
}

static void rate_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct zh_bench_worker *w = ZH_CONTAINER_OF(t, struct zh_bench_worker, rate_timer);

	w->rate_armed_ns = 0;
	rate_release(r, w);
	worker_settle(r, w);
}

/* After a completion: the slot's next request, or the slot retires. */
static inline void slot_next(struct zh_reactor *r, struct zh_bench_slot *s)
{
	struct zh_bench_worker *w = s->w;

	if (ZH_LIKELY(worker_may_issue(w))) {
		int rc = slot_issue(r, s);

		if (ZH_LIKELY(rc == 0))
			return;
		worker_fail(w, -rc);
	}
	slot_retire(r, s);
}

/* One of the sync_every flushes: its latency counts apart from the reads and writes. */
static void slot_done_sync(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;

	w->inflight--;
	if (io->res != 0)
		worker_fail(w, io->res < 0 ? -io->res : EIO);
	else if (w->measuring)
		zh_bench_hist_add(&w->sync_lat, zh_reactor_now_ns(r) - io->prep_ns);
	slot_next(r, s);
}

/*
 * disable_slat/clat/lat (gtod_reduce): count the I/O, keep only the latencies the job wants;
 * unified_rw_reporting=mixed: count reads and writes as one direction (per-I/O logs keep each
 * I/O's own). Out of line, so that slot_done's common case tests one flag for both.
 */
static SLOW_PATH void slot_stats_reduced(struct zh_bench_worker *w, unsigned d, uint32_t len,
					 uint64_t offset, uint64_t now, uint64_t slat,
					 uint64_t clat)
{
	struct zh_bench_dir_stats *st;
	unsigned kinds = w->cfg.lat_kinds;

	if (w->cfg.log_kinds != 0 && w->cfg.log_avg_ms == 0)
		log_io(w, d, len, offset, now, slat, clat);
	if (w->cfg.unified_mixed)
		d = ZH_BENCH_DIR_READ;
	st = &w->st[d];

	st->ios++;
	st->bytes += len;
	if (kinds & ZH_BENCH_LAT_SLAT)
		zh_bench_hist_add(&st->slat, slat);
	if (kinds & ZH_BENCH_LAT_CLAT)
		zh_bench_hist_add(&st->clat, clat);
	if (kinds & ZH_BENCH_LAT_LAT)
		zh_bench_hist_add(&st->lat, slat + clat);
	w->interval_ios[d]++;
	w->interval_bytes[d] += len;
	if (w->cfg.log_kinds != 0)
		zh_bench_log_window_add(&w->log_window, d, len, slat, clat);
}

static void slot_done_rest(struct zh_reactor *r, struct zh_io *io);

/*
 * fio's rule for a transfer cut short (it moved some bytes, fewer than asked): the rest goes
 * out from where it stopped, counted in short_ios, and the I/O completes once, whole, with
 * the latency of all its pieces. Before, it failed the job with EIO and counted nothing. A
 * piece that moved nothing, or a rest the device refuses (off its block grid), fails as
 * before. \return whether the rest went out (false for a whole transfer too, so that a slow
 * completion may ask first thing); \p done is the completion the whole I/O takes.
 */
static SLOW_PATH bool short_requeued(struct zh_reactor *r, struct zh_io *io, zh_io_cb done)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;
	uint32_t moved = (uint32_t)io->res, at, rest;
	struct zh_buf part = *s->buf;
	int rc;

	if (io->res <= 0 || moved >= io->len_bytes || s->ddir >= ZH_BENCH_DIRS)
		return false;
	at = s->short_moved + moved;
	rest = io->len_bytes - moved;
	part.data = (uint8_t *)part.data + at;
	part.size_bytes -= at;
	if (s->short_moved == 0) {
		s->short_cb = done;
		s->short_prep_ns = io->prep_ns;
		s->short_submit_ns = io->submit_ns;
	}
	if (s->ddir == ZH_BENCH_DIR_READ)
		rc = zh_reactor_read(r, io->dev_index, &part, rest, s->offset + at, io,
				     slot_done_rest);
	else
		rc = zh_reactor_write(r, io->dev_index, &part, rest, s->offset + at,
				      w->cfg.write_flags, io, slot_done_rest);
	if (rc < 0)
		return false;
	s->short_moved = at;
	/* The job's own I/Os; a verify's read-back is not among them. */
	if (w->measuring && !w->measure_ended && done != verify_read_done &&
	    done != backlog_read_done)
		w->st[w->cfg.unified_mixed ? ZH_BENCH_DIR_READ : s->ddir].short_ios++;
	return true;
}

/* The rest of a cut transfer is done: the I/O completes whole, or is cut again. */
static void slot_done_rest(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	zh_io_cb done = s->short_cb;

	if (io->res != (int32_t)io->len_bytes) {
		if (short_requeued(r, io, done))
			return;
		/*
		 * A rest that moved nothing (a file cut shorter meanwhile), or could not go on:
		 * the I/O failed (fio's "full resid", EIO). Handed on as it was, its total read
		 * as a cut transfer once more, and the same rest went out again, forever.
		 */
		if (found_full(s->w, s, io->res)) {
			/* fill_device: the space ended past what the pieces moved. */
			s->full_moved = s->short_moved + (io->res > 0 ? (uint32_t)io->res : 0);
			io->res = -ENOSPC;
		} else if (io->res >= 0) {
			io->res = -EIO;
		}
	} else {
		io->res += (int32_t)s->short_moved;
	}
	io->len_bytes += s->short_moved;
	io->prep_ns = s->short_prep_ns;
	io->submit_ns = s->short_submit_ns;
	s->short_moved = 0;
	done(r, io);
}

/* A read or write is done: its statistics (a failed one fails the job), then the next. */
static inline __attribute__((always_inline)) void slot_complete(struct zh_reactor *r,
								struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;
	uint64_t now = zh_reactor_now_ns(r);
	uint64_t slat = io->submit_ns - io->prep_ns;
	uint64_t clat = now - io->submit_ns;
	uint32_t len = io->len_bytes;
	unsigned d = s->ddir;

	w->inflight--;
	if (ZH_UNLIKELY(io->res != (int32_t)len)) {
		if (!device_full(w, s, io->res))
			io_failed(w, d, io->res < 0 ? -io->res : EIO);
	} else if (ZH_LIKELY(w->measure_full)) {
		zh_bench_dir_stats_add_io(&w->st[d], len, slat, clat);
		w->interval_ios[d]++;
		w->interval_bytes[d] += len;
		if (w->cfg.log_kinds != 0) {
			zh_bench_log_window_add(&w->log_window, d, len, slat, clat);
			if (w->cfg.log_avg_ms == 0)
				log_io(w, d, len, s->offset, now, slat, clat);
		}
	} else if (w->measuring) {
		slot_stats_reduced(w, d, len, s->offset, now, slat, clat);
	} else {
		w->ramp_ios[d]++;
		w->ramp_bytes[d] += len;
	}
	slot_next(r, s);
}

static void slot_done(struct zh_reactor *r, struct zh_io *io)
{
	if (ZH_UNLIKELY(io->res != (int32_t)io->len_bytes) && short_requeued(r, io, slot_done))
		return;
	slot_complete(r, io);
}

/*
 * latency_target and max_latency: each I/O's total latency (from its preparation, fio's "lat")
 * steers the depth search or, over max_latency, fails the job with fio's ETIMEDOUT.
 */
static void slot_done_lat(struct zh_reactor *r, struct zh_io *io)
{
	struct zh_bench_slot *s = ZH_CONTAINER_OF(io, struct zh_bench_slot, io);
	struct zh_bench_worker *w = s->w;
	uint64_t now = zh_reactor_now_ns(r);
	uint64_t lat = now - io->prep_ns;

	/* The gate's invariant: outside a drain, never more in flight than the depth tried. */
	ZH_ASSERT(w->cfg.lat_target_ns == 0 || w->qd_draining || w->inflight <= w->qd.depth);
	if (short_requeued(r, io, slot_done_lat))
		return;
	if (io->res == (int32_t)io->len_bytes) {
		if (w->cfg.max_lat_ns != 0 && lat > w->cfg.max_lat_ns)
			worker_fail(w, ETIMEDOUT);
		else if (w->cfg.lat_target_ns != 0 && !w->qd_draining)
			qd_step(r, w, lat, now);
	}
	slot_complete(r, io);
}

/* ---- timers: ramp end, run end, samples, logs ------------------------------------------------ */

/*
 * What the progress line shows: every I/O done since the job began, the ramp's included (a
 * minute of ramp_time showed 0 IOPS), and counted across statistics resets (latency_target's:
 * a drop read as a rate near 2^64). Relaxed: it only needs an eventually consistent count.
 */
static void progress_publish(struct zh_bench_worker *w)
{
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		atomic_store_explicit(&w->pub_ios[d],
				      w->ramp_ios[d] + w->done_before_ios[d] + w->st[d].ios,
				      memory_order_relaxed);
		atomic_store_explicit(&w->pub_bytes[d],
				      w->ramp_bytes[d] + w->done_before_bytes[d] + w->st[d].bytes,
				      memory_order_relaxed);
	}
}

/*
 * One IOPS and bandwidth sample per direction over the time since the last. \p last: the run's
 * end, whose sample is only the time since the last tick: under half a period it would report
 * its few I/Os as a rate far off the job's (one I/O in 7 us: 140k IOPS from a 100 IOPS job),
 * so it is not taken, unless no tick has passed (the run is shorter than a period; as the log
 * windows do). A tick, not a sample: a tick with no I/O takes none (as fio's), and a reactor
 * held up past the first tick then caught its rate up in a sliver reported as its only sample
 * (439 IOPS from a 100 IOPS job, under ASan on a loaded machine).
 */
static void worker_sample(struct zh_bench_worker *w, uint64_t now, bool last)
{
	uint64_t interval = now - w->last_sample_ns;
	bool ticked = w->last_sample_ns != w->measure_start_ns;
	bool too_short = last && ticked && interval < w->cfg.sample_ns / 2;

	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		bool active = w->cfg.unified_mixed     ? d == ZH_BENCH_DIR_READ
			      : d == ZH_BENCH_DIR_READ ? w->cfg.read_pct > 0
						       : w->cfg.read_pct < 100;

		if (too_short)
			active = false;
		if (active && interval > 0 && !w->cfg.bw_samples_off)
			zh_bench_dir_stats_sample(&w->st[d], w->interval_ios[d],
						  w->interval_bytes[d], interval);
		w->interval_ios[d] = 0;
		w->interval_bytes[d] = 0;
	}
	w->last_sample_ns = now;
	progress_publish(w);
}

static void sample_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct zh_bench_worker *w = ZH_CONTAINER_OF(t, struct zh_bench_worker, sample_timer);
	uint64_t now = zh_reactor_now_ns(r);

	if (w->measuring)
		worker_sample(w, now, false);
	else
		progress_publish(w);
	ZH_ASSERT(zh_reactor_timer_start(r, t, now + w->cfg.sample_ns, sample_fired) == 0);
}

static void log_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct zh_bench_worker *w = ZH_CONTAINER_OF(t, struct zh_bench_worker, log_timer);
	uint64_t now = zh_reactor_now_ns(r);

	zh_bench_log_window_flush(&w->log_window, now, w->log_origin_ns, log_push_window, w);
	ZH_ASSERT(zh_reactor_timer_start(r, t, w->log_window.start_ns + w->log_window.window_ns,
					 log_fired) == 0);
}

/*
 * The logs start at \p now: time 0 and the first window. At the end of a ramp, as fio resets
 * its epoch there: a window left running from the job's start straddled the ramp's end and
 * logged the part of its span before it, when nothing is counted, as a rate far below the job's.
 */
static int logs_start(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now)
{
	uint64_t window = w->cfg.log_avg_ms > 0 ? w->cfg.log_avg_ms * 1000000ull : w->cfg.sample_ns;

	if (w->cfg.log_kinds == 0)
		return 0;
	zh_reactor_timer_cancel(r, &w->log_timer);
	zh_bench_log_window_init(&w->log_window, window, now);
	w->log_origin_ns = now;
	return zh_reactor_timer_start(r, &w->log_timer, now + window, log_fired);
}

/* Where the measured time starts: the clock, the reactor's counts and the CPU columns. */
static void measure_marks(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now)
{
	zh_reactor_stats_get(r, &w->reactor_begin);
	w->sched_known = zh_thread_sched_get(0, &w->sched) == 0;
	/* Rare (once or twice a job) and it does not block: the CPU columns start here too. */
	getrusage(RUSAGE_SELF, &w->usage_begin);
	w->measure_start_ns = now;
	w->last_sample_ns = now;
}

static void measure_begin(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now)
{
	measure_marks(r, w, now);
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		w->done_before_ios[d] += w->st[d].ios;
		w->done_before_bytes[d] += w->st[d].bytes;
		zh_bench_dir_stats_reset(&w->st[d]);
		w->interval_ios[d] = 0;
		w->interval_bytes[d] = 0;
	}
	zh_bench_hist_reset(&w->sync_lat);
	memset(w->depth_levels, 0, sizeof(w->depth_levels));
	w->measuring = true;
	w->measure_full = w->cfg.lat_kinds == ZH_BENCH_LAT_ALL && !w->cfg.unified_mixed;
}

/*
 * The job ended inside its ramp_time: as fio, which counts every I/O but keeps no latency
 * from a ramp, its reads and writes are reported over its whole time, without latencies. They
 * were dropped: the job printed no block at all.
 */
static void measure_ramp_only(struct zh_bench_worker *w)
{
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		w->st[d].ios = w->ramp_ios[d];
		w->st[d].bytes = w->ramp_bytes[d];
		w->ramp_ios[d] = 0;
		w->ramp_bytes[d] = 0;
	}
	w->measuring = true;
}

/*
 * The statistics start over at \p now (the ramp's end, latency_target's final window), and the
 * samples with them, as fio re-bases its sample times. The sample timer kept its old schedule
 * before: at a ramp of whole sample periods it fired microseconds later, and those few I/Os
 * over those microseconds made a sample far off the job's rate.
 */
static void measure_restart(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now)
{
	measure_begin(r, w, now);
	zh_reactor_timer_cancel(r, &w->sample_timer);
	/* Cannot fail: the slot the cancel freed is the one taken again. */
	ZH_ASSERT(
	    zh_reactor_timer_start(r, &w->sample_timer, now + w->cfg.sample_ns, sample_fired) == 0);
}

/* Steady state: publish what the job has completed so far, and again in a second. */
static void ss_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct zh_bench_worker *w = ZH_CONTAINER_OF(t, struct zh_bench_worker, ss_timer);
	/* Relaxed: only this reactor stores the count. */
	uint64_t i = atomic_load_explicit(&w->ss_count, memory_order_relaxed);
	uint64_t ios = 0, bytes = 0;

	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		ios += w->done_before_ios[d] + w->st[d].ios;
		bytes += w->done_before_bytes[d] + w->st[d].bytes;
	}
	atomic_store_explicit(&w->ss_ios[i % ZH_BENCH_SS_RING], ios, memory_order_relaxed);
	atomic_store_explicit(&w->ss_bytes[i % ZH_BENCH_SS_RING], bytes, memory_order_relaxed);
	atomic_store_explicit(&w->ss_ns[i % ZH_BENCH_SS_RING], zh_reactor_now_ns(r),
			      memory_order_relaxed);
	/* Pairs with the acquire loads in zh_bench_worker_ss_sample(). */
	atomic_store_explicit(&w->ss_count, i + 1, memory_order_release);
	ZH_ASSERT(zh_reactor_timer_start(r, t, t->deadline_ns + 1000000000ull, ss_fired) == 0);
}

bool zh_bench_worker_ss_sample(const struct zh_bench_worker *w, uint64_t i,
			       struct zh_bench_ss_point *out)
{
	uint64_t n = atomic_load_explicit(&w->ss_count, memory_order_acquire);

	if (i >= n || n - i > ZH_BENCH_SS_RING - 1)
		return false;
	out->ns = atomic_load_explicit(&w->ss_ns[i % ZH_BENCH_SS_RING], memory_order_relaxed);
	out->ios = atomic_load_explicit(&w->ss_ios[i % ZH_BENCH_SS_RING], memory_order_relaxed);
	out->bytes = atomic_load_explicit(&w->ss_bytes[i % ZH_BENCH_SS_RING], memory_order_relaxed);
	/* The slot may have been rewritten while read: then the ring moved past it. */
	n = atomic_load_explicit(&w->ss_count, memory_order_acquire);
	return n - i <= ZH_BENCH_SS_RING - 1;
}

static void ramp_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct zh_bench_worker *w = ZH_CONTAINER_OF(t, struct zh_bench_worker, ramp_timer);
	uint64_t now = zh_reactor_now_ns(r);

	measure_restart(r, w, now);
	/* Cannot fail: the log timer was armed, and its slot is the one re-armed. */
	ZH_ASSERT(logs_start(r, w, now) == 0);
}

/* Issue nothing more: what is in flight ends the job; parked slots retire now. */
static void worker_stop(struct zh_reactor *r, struct zh_bench_worker *w)
{
	w->stopping = true;
	if (w->parked > 0 || w->gated_count > 0)
		worker_settle(r, w);
}

static void end_fired(struct zh_reactor *r, struct zh_timer *t)
{
	worker_stop(r, ZH_CONTAINER_OF(t, struct zh_bench_worker, end_timer));
}

_Static_assert(ZH_BENCH_LEVELS == ZH_BATCH_LEVELS, "fio's seven levels");

/* What the reactor's counters moved by since measuring began. */
static void reactor_moved(struct zh_reactor *r, const struct zh_bench_worker *w,
			  struct zh_bench_reactor_counts *moved)
{
	const struct zh_reactor_stats *b = &w->reactor_begin;
	struct zh_reactor_stats now;

	zh_reactor_stats_get(r, &now);
	*moved = (struct zh_bench_reactor_counts){
	    .enters = now.enters - b->enters,
	    .sleeps = now.sleeps - b->sleeps,
	    .polls_hit = now.polls_hit - b->polls_hit,
	    .polls_missed = now.polls_missed - b->polls_missed,
	    .yields_hit = now.yields_hit - b->yields_hit,
	    .yields_missed = now.yields_missed - b->yields_missed,
	    .gathers = now.gathers - b->gathers,
	    .wakeups = now.wakeups - b->wakeups,
	    .io_wait_ns = now.io_wait_ns - b->io_wait_ns,
	    .reactors = 1,
	};
	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++) {
		moved->submit_levels[l] = now.submit_levels[l] - b->submit_levels[l];
		moved->reap_levels[l] = now.reap_levels[l] - b->reap_levels[l];
	}
}

/* The measured part is over: last sample, logs closed, runtime and reactor counts taken. */
static void measure_end(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now)
{
	zh_reactor_timer_cancel(r, &w->ramp_timer);
	zh_reactor_timer_cancel(r, &w->end_timer);
	zh_reactor_timer_cancel(r, &w->sample_timer);
	zh_reactor_timer_cancel(r, &w->log_timer);
	zh_reactor_timer_cancel(r, &w->rate_timer);
	zh_reactor_timer_cancel(r, &w->ss_timer);
	if (!w->measuring)
		measure_ramp_only(w);
	worker_sample(w, now, true);
	if (w->cfg.log_kinds != 0)
		zh_bench_log_window_finish(&w->log_window, now, w->log_origin_ns, log_push_window,
					   w);
	w->runtime_ns = now - w->measure_start_ns;
	reactor_moved(r, w, &w->reactor_moved);
	w->measure_ended = true;
}

/*
 * fio's flow_put: a finished job's I/Os and weight leave its flow. Left in, they kept the
 * others' share past their weight for good, and the last job parked every I/O. A job whose
 * end stops the group (exitall) stays: the others would run unheld until the stop reached
 * them, thousands of I/Os past their share on a fast device.
 */
bool zh_bench_worker_ends_group(const struct zh_bench_worker *w)
{
	return w->cfg.exitall || (w->cfg.exitall_on_error && w->error != 0);
}

static void flow_leave(struct zh_bench_worker *w)
{
	if (w->cfg.flow_weight == 0 || zh_bench_worker_ends_group(w))
		return;
	atomic_fetch_sub_explicit(w->cfg.flow_issued, w->flow_done, memory_order_relaxed);
	atomic_fetch_sub_explicit(w->cfg.flow_total_weight, w->cfg.flow_weight,
				  memory_order_relaxed);
}

static void worker_finish(struct zh_reactor *r, struct zh_bench_worker *w)
{
	uint64_t now = zh_reactor_now_ns(r);

	ZH_ASSERT(w->inflight == 0 && w->parked == 0 && w->gated_count == 0);
	if (!w->measure_ended)
		measure_end(r, w, now);
	flow_leave(w);
	if (w->verifying)
		w->verify.readback_ns = now - w->verify_start_ns;
	if (w->verify.bad > 0 && w->error == 0 &&
	    !error_passed(w, ZH_BENCH_CONTINUE_VERIFY, EILSEQ, w->verify.bad))
		w->error = EILSEQ; /* fio's error for a failed verify */
	/* Pairs with the acquire load of done on the control thread: publishes every result. */
	atomic_store_explicit(&w->done, 1, memory_order_release);
}

static int worker_arm_timers(struct zh_reactor *r, struct zh_bench_worker *w, uint64_t now)
{
	int rc = 0;

	if (w->cfg.ramp_ns > 0) {
		/* The marks are taken again at the ramp's end, unless the job ends first. */
		measure_marks(r, w, now);
		rc = zh_reactor_timer_start(r, &w->ramp_timer, now + w->cfg.ramp_ns, ramp_fired);
	} else {
		measure_begin(r, w, now);
	}
	if (rc == 0 && w->cfg.runtime_ns > 0)
		rc = zh_reactor_timer_start(r, &w->end_timer,
					    now + w->cfg.ramp_ns + w->cfg.runtime_ns, end_fired);
	if (rc == 0)
		rc = zh_reactor_timer_start(r, &w->sample_timer, now + w->cfg.sample_ns,
					    sample_fired);
	if (rc == 0 && w->cfg.ss)
		rc = zh_reactor_timer_start(r, &w->ss_timer, now + w->cfg.ss_ramp_ns, ss_fired);
	if (rc == 0)
		rc = logs_start(r, w, now);
	return rc;
}

/*
 * Random bytes by default (a device or file system that compresses or dedupes gets no free
 * ride), or as compressible as the job asked. A stream of its own per slot, so that the
 * offsets the job draws do not depend on what its buffers hold.
 */
static void fill_pattern(struct zh_bench_worker *w, struct zh_buf *buf, uint32_t slot)
{
	uint64_t x = zh_bench_rand_seed(w->cfg.seed + slot);

	zh_bench_data_fill(&w->cfg.data, buf->data, w->cfg.bs_max_bytes, &x);
}

/* The job begins: timers from now (its logs' time 0), buffers, and the queue filled. */
static void worker_begin(struct zh_reactor *r, struct zh_bench_worker *w)
{
	uint32_t started = 0;
	int rc;

	w->begun = true;
	w->start_ns = zh_reactor_now_ns(r);
	if (w->cfg.lat_target_ns != 0)
		zh_bench_qd_init(&w->qd, w->cfg.lat_target_ns, w->cfg.lat_window_ns,
				 w->cfg.lat_percentile, w->cfg.lat_run, w->cfg.iodepth,
				 w->start_ns);
	rc = worker_arm_timers(r, w, w->start_ns);
	for (uint32_t i = 0; i < w->cfg.iodepth && rc == 0; i++) {
		struct zh_bench_slot *s = &w->slots[i];

		s->w = w;
		rc = zh_reactor_buf_get(r, w->cfg.bs_max_bytes, &s->buf);
		if (rc == 0)
			fill_pattern(w, s->buf, i);
	}
	for (uint32_t i = 0; i < w->cfg.iodepth && rc == 0 && worker_may_issue(w); i++) {
		rc = slot_issue(r, &w->slots[i]);
		started += rc == 0;
	}
	for (uint32_t i = started; i < w->cfg.iodepth; i++) {
		struct zh_bench_slot *s = &w->slots[i];

		/* Slots that never got a request in flight (or a turn) give their buffers back. */
		if (s->buf != NULL) {
			zh_reactor_buf_put(r, s->buf);
			s->buf = NULL;
		}
	}
	if (rc < 0)
		worker_fail(w, -rc);
	worker_settle(r, w);
}

static void start_fired(struct zh_reactor *r, struct zh_timer *t)
{
	worker_begin(r, ZH_CONTAINER_OF(t, struct zh_bench_worker, start_timer));
}

/* startdelay: the job begins that long after this message; its runtime counts from then. */
void zh_bench_worker_start_msg(struct zh_reactor *r, void *arg)
{
	struct zh_bench_worker *w = arg;
	int rc;

	if (w->cfg.start_delay_ns == 0) {
		worker_begin(r, w);
		return;
	}
	rc = zh_reactor_timer_start(r, &w->start_timer,
				    zh_reactor_now_ns(r) + w->cfg.start_delay_ns, start_fired);
	if (rc < 0) {
		worker_fail(w, -rc);
		worker_finish(r, w);
	}
}

void zh_bench_worker_stop_msg(struct zh_reactor *r, void *arg)
{
	struct zh_bench_worker *w = arg;

	/* Relaxed: only this reactor stores done. */
	if (atomic_load_explicit(&w->done, memory_order_relaxed))
		return;
	if (!w->begun) {
		zh_reactor_timer_cancel(r, &w->start_timer);
		worker_finish(r, w);
		return;
	}
	worker_stop(r, w);
}

void zh_bench_worker_snapshot_msg(struct zh_reactor *r, void *arg)
{
	struct zh_bench_worker *w = arg;

	memcpy(w->snap, w->st, sizeof(w->snap));
	w->snap_sync_lat = w->sync_lat;
	memcpy(w->snap_depth_levels, w->depth_levels, sizeof(w->snap_depth_levels));
	if (w->measure_ended) {
		w->snap_runtime_ns = w->runtime_ns;
		w->snap_reactor = w->reactor_moved;
	} else if (w->measuring) {
		w->snap_runtime_ns = zh_reactor_now_ns(r) - w->measure_start_ns;
		reactor_moved(r, w, &w->snap_reactor);
	} else {
		w->snap_runtime_ns = 0;
		w->snap_reactor = (struct zh_bench_reactor_counts){0};
	}
	/* Pairs with the acquire load of snap_seq on the control thread. */
	atomic_fetch_add_explicit(&w->snap_seq, 1, memory_order_release);
}
