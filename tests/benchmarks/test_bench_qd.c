/* SPDX-License-Identifier: MIT */
/*
 * test_bench_qd.c - tests for zhtp-bench's latency_target depth search (bench_qd.h): a
 * simulated device whose latency grows with the depth drives the search, which must settle
 * on the deepest depth that keeps the target, measure one last window there and end, as
 * fio's does; percentile 100 lowers at the first slow I/O and fails at depth 1.
 */
#include "benchmarks/bench_qd.h"

#include <criterion/criterion.h>

#define US 1000ull
#define MS 1000000ull

static struct zh_bench_qd_search q;

/*
 * Run windows of 100 I/Os each against a device that takes depth * \p per_depth_ns per I/O,
 * with a share \p slow_every (1 in N, 0: none) of I/Os ten times slower; stop at DONE or
 * after \p max_windows. \return the last step; *\p windows counts the windows run.
 */
static enum zh_bench_qd_step drive(uint64_t per_depth_ns, unsigned slow_every, unsigned max_windows,
				   unsigned *windows)
{
	uint64_t now = 0;
	enum zh_bench_qd_step step = ZH_BENCH_QD_KEEP;

	for (*windows = 0; *windows < max_windows;) {
		for (unsigned i = 0; i < 100; i++) {
			uint64_t lat = q.depth * per_depth_ns;

			if (slow_every != 0 && i % slow_every == 0)
				lat *= 10;
			step = zh_bench_qd_io(&q, lat);
			if (step == ZH_BENCH_QD_MISSED)
				return step;
			if (step == ZH_BENCH_QD_LOWER)
				break;
		}
		now += q.window_ns;
		(*windows)++;
		if (step != ZH_BENCH_QD_LOWER)
			step = zh_bench_qd_tick(&q, now);
		if (step == ZH_BENCH_QD_DONE)
			return step;
		if (step == ZH_BENCH_QD_LOWER || step == ZH_BENCH_QD_FINAL)
			zh_bench_qd_new_window(&q, now); /* the worker drains first */
	}
	return step;
}

Test(bench_qd, starts_at_depth_one)
{
	zh_bench_qd_init(&q, 1 * MS, 10 * MS, 99.0, false, 64, 5);
	cr_assert_eq(q.depth, 1);
	cr_assert_eq(q.window_start_ns, 5);
	cr_assert_eq(zh_bench_qd_tick(&q, 5 + 10 * MS - 1), ZH_BENCH_QD_KEEP, "window not over");
	cr_assert_eq(q.depth, 1);
}

Test(bench_qd, doubles_then_bisects_to_the_deepest_depth_that_meets_the_target)
{
	unsigned windows;

	/* 10 us per unit of depth against 215 us: depths up to 21 meet it. */
	zh_bench_qd_init(&q, 215 * US, 1 * MS, 100.0, false, 128, 0);
	cr_assert_eq(drive(10 * US, 0, 100, &windows), ZH_BENCH_QD_DONE);
	cr_assert_eq(q.depth, 21);
	cr_assert(q.final);
	/* 1 2 4 8 16 32(miss) 24(miss) 20 22(miss) 21, then 21 again (final) and done: a few
	 * more for the retries one below the miss. */
	cr_assert_lt(windows, 20, "%u windows", windows);
}

/*
 * Regression: after DONE the I/Os still in flight went on judging the ended window; the third
 * success one below the miss raised the depth to the one that missed, and the report showed it.
 */
Test(bench_qd, nothing_changes_after_done)
{
	unsigned windows;

	zh_bench_qd_init(&q, 215 * US, 1 * MS, 100.0, false, 128, 0);
	cr_assert_eq(drive(10 * US, 0, 100, &windows), ZH_BENCH_QD_DONE);
	cr_assert_eq(q.depth, 21);
	for (unsigned i = 0; i < 8; i++) {
		cr_assert_eq(zh_bench_qd_io(&q, 1 * US), ZH_BENCH_QD_KEEP);
		cr_assert_eq(zh_bench_qd_tick(&q, (1000 + i) * MS), ZH_BENCH_QD_KEEP);
	}
	cr_assert_eq(zh_bench_qd_io(&q, 1000 * MS), ZH_BENCH_QD_KEEP, "late, at percentile 100");
	cr_assert_eq(q.depth, 21);
	cr_assert_eq(q.high, 22);
}

Test(bench_qd, a_target_every_depth_meets_ends_at_iodepth)
{
	unsigned windows;

	zh_bench_qd_init(&q, 1 * MS, 1 * MS, 100.0, false, 32, 0);
	cr_assert_eq(drive(1 * US, 0, 100, &windows), ZH_BENCH_QD_DONE);
	cr_assert_eq(q.depth, 32);
	/* 1 2 4 8 16 32, 32 again (found: final window), 32 (done). */
	cr_assert_eq(windows, 7);
}

/* A share of slow I/Os under the percentile is allowed; over it, the depth comes down. */
Test(bench_qd, the_percentile_sets_how_many_ios_may_miss)
{
	unsigned windows;

	zh_bench_qd_init(&q, 100 * US, 1 * MS, 95.0, false, 64, 0);
	/* 5 in 100 slow (10x): 95% met at every depth the fast ones meet (up to 9). */
	cr_assert_eq(drive(11 * US, 20, 100, &windows), ZH_BENCH_QD_DONE);
	cr_assert_eq(q.depth, 9);
	zh_bench_qd_init(&q, 100 * US, 1 * MS, 99.0, false, 64, 0);
	/* ...and a window with 5% misses fails 99% even at depth 1, which then stays. */
	cr_assert_eq(drive(11 * US, 20, 20, &windows), ZH_BENCH_QD_KEEP);
	cr_assert_eq(q.depth, 1);
	cr_assert_eq(windows, 20);
}

Test(bench_qd, percentile_100_lowers_at_the_first_slow_io_and_fails_at_depth_one)
{
	zh_bench_qd_init(&q, 100 * US, 1 * MS, 100.0, false, 64, 0);
	q.depth = 8;
	q.low = 4;
	cr_assert_eq(zh_bench_qd_io(&q, 100 * US), ZH_BENCH_QD_KEEP, "at the target is within it");
	cr_assert_eq(zh_bench_qd_io(&q, 100 * US + 1), ZH_BENCH_QD_LOWER);
	cr_assert_eq(q.depth, 6);
	cr_assert_eq(q.high, 8);
	q.depth = 1;
	cr_assert_eq(zh_bench_qd_io(&q, 200 * US), ZH_BENCH_QD_MISSED);
}

/* A window with no completed I/O met nothing (fio's NaN); at depth 1 a new one opens. */
Test(bench_qd, an_empty_window_is_a_miss)
{
	zh_bench_qd_init(&q, 100 * US, 1 * MS, 90.0, false, 64, 0);
	q.depth = 4;
	q.low = 2;
	cr_assert_eq(zh_bench_qd_tick(&q, 1 * MS), ZH_BENCH_QD_LOWER);
	cr_assert_eq(q.depth, 3);
	q.depth = 1;
	zh_bench_qd_new_window(&q, 1 * MS);
	cr_assert_eq(zh_bench_qd_tick(&q, 2 * MS), ZH_BENCH_QD_KEEP);
	cr_assert_eq(q.window_start_ns, 2 * MS, "a new window at depth 1");
}

/* A miss at the job's iodepth bisects below it (fio would double back up to iodepth). */
Test(bench_qd, a_miss_at_iodepth_is_bisected_below_it)
{
	unsigned windows;

	/* 10 us per depth against 500 us: up to 50 meet it, 64 misses. */
	zh_bench_qd_init(&q, 500 * US, 1 * MS, 100.0, false, 64, 0);
	cr_assert_eq(drive(10 * US, 0, 100, &windows), ZH_BENCH_QD_DONE);
	cr_assert_eq(q.depth, 50);
}

/* latency_run: the search never ends; it keeps the depth within one of the best. */
Test(bench_qd, latency_run_keeps_adjusting)
{
	unsigned windows;

	zh_bench_qd_init(&q, 215 * US, 1 * MS, 100.0, true, 128, 0);
	cr_assert_neq(drive(10 * US, 0, 60, &windows), ZH_BENCH_QD_DONE);
	cr_assert_eq(windows, 60);
	cr_assert(q.depth >= 20 && q.depth <= 22, "depth %u", q.depth);
	cr_assert_not(q.final);
}
