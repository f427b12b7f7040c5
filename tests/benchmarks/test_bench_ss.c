/* SPDX-License-Identifier: MIT */
/*
 * test_bench_ss.c - zhtp-bench's steady-state judgement (bench_ss.h): fio's deviation and
 * slope criteria over a window of one-second samples, absolute or as a share of the mean.
 */
#include "benchmarks/bench_ss.h"

#include <criterion/criterion.h>
#include <math.h>

static struct zh_bench_ss ss;

static void start(bool bw, bool slope, bool pct, double limit, uint32_t seconds)
{
	struct zh_bench_ss_opts o = {
	    .bw = bw, .slope = slope, .pct = pct, .limit = limit, .seconds = seconds};

	cr_assert_eq(zh_bench_ss_init(&ss, &o), 0);
}

static void finish(void)
{
	zh_bench_ss_fini(&ss);
}

TestSuite(bench_ss, .fini = finish);

/* iops:10%: judged once the window is full; the largest deviation, as a share of the mean. */
Test(bench_ss, deviation_within_the_limit_once_the_window_is_full)
{
	start(false, false, true, 10.0, 3);
	cr_assert_not(zh_bench_ss_add(&ss, 1000, 0));
	cr_assert_not(zh_bench_ss_add(&ss, 1050, 0), "two samples of three: not judged yet");
	cr_assert(zh_bench_ss_add(&ss, 950, 0));
	cr_assert_float_eq(ss.deviation, 50.0, 1e-9);
	cr_assert_float_eq(ss.criterion, 5.0, 1e-9);
	cr_assert(zh_bench_ss_add(&ss, 1, 0), "attained stays attained");
}

Test(bench_ss, a_deviation_over_the_limit_waits_for_a_calmer_window)
{
	start(false, false, true, 10.0, 3);
	cr_assert_not(zh_bench_ss_add(&ss, 1000, 0));
	cr_assert_not(zh_bench_ss_add(&ss, 1500, 0));
	cr_assert_not(zh_bench_ss_add(&ss, 1000, 0), "1500 is 25%% off 1166");
	cr_assert_not(zh_bench_ss_add(&ss, 1000, 0), "the window still holds 1500");
	cr_assert(zh_bench_ss_add(&ss, 1000, 0), "1500 left the window");
	cr_assert_float_eq(ss.criterion, 0.0, 1e-9);
}

/* bw_slope:1%: a steady climb fails the slope though every step is small; a flat run passes. */
Test(bench_ss, slope_judges_the_trend)
{
	start(true, true, true, 1.0, 4);
	for (int i = 0; i < 3; i++)
		cr_assert_not(zh_bench_ss_add(&ss, 0, 1000000 + 20000 * (uint64_t)i));
	cr_assert_not(zh_bench_ss_add(&ss, 0, 1060000));
	cr_assert_float_eq(ss.slope, 20000.0, 1e-6);
	cr_assert_float_eq(ss.criterion, 100.0 * 20000.0 / 1030000.0, 1e-9);
	/* Levelling off: 1,040,000 then 1,060,000 three times has a slope of 6,000 (0.57%). */
	cr_assert_not(zh_bench_ss_add(&ss, 0, 1060000));
	cr_assert(zh_bench_ss_add(&ss, 0, 1060000));
	cr_assert_float_eq(ss.slope, 6000.0, 1e-6);
}

/* A limit without '%' is absolute (IOPS per second of slope here), as fio's. */
Test(bench_ss, absolute_limits)
{
	start(false, true, false, 5.0, 3);
	zh_bench_ss_add(&ss, 100, 0);
	zh_bench_ss_add(&ss, 104, 0);
	cr_assert(zh_bench_ss_add(&ss, 108, 0), "slope 4 < 5");
	finish();
	start(false, true, false, 3.0, 3);
	zh_bench_ss_add(&ss, 108, 0);
	zh_bench_ss_add(&ss, 104, 0);
	cr_assert_not(zh_bench_ss_add(&ss, 100, 0), "slope -4: its size counts");
}

Test(bench_ss, the_window_comes_out_oldest_first_with_its_means)
{
	uint64_t iops[3], bw[3];

	start(false, false, true, 1.0, 3);
	for (uint64_t i = 1; i <= 5; i++)
		zh_bench_ss_add(&ss, i * 10, i * 100);
	cr_assert_eq(zh_bench_ss_window(&ss, iops, bw), 3);
	cr_assert(iops[0] == 30 && iops[1] == 40 && iops[2] == 50);
	cr_assert(bw[0] == 300 && bw[2] == 500);
	cr_assert_float_eq(ss.iops_mean, 40.0, 1e-9);
	cr_assert_float_eq(ss.bw_mean, 400.0, 1e-9);
}

/* One second's window has no slope (fio's division by zero): never attained. */
Test(bench_ss, a_one_second_slope_never_attains)
{
	start(false, true, true, 50.0, 1);
	for (int i = 0; i < 5; i++)
		cr_assert_not(zh_bench_ss_add(&ss, 1000, 0));
	cr_assert(isnan(ss.slope));
}

/*
 * A sample's timer can fire late: each second's count is scaled by the time it spanned.
 * Unscaled, 1,005 I/Os over a second that was 1.005 s read as 0.5% more than 1,000.
 */
Test(bench_ss, counts_are_per_second_of_the_time_they_spanned)
{
	cr_assert_eq(zh_bench_ss_per_second(1005, 1005000000), 1000);
	cr_assert_eq(zh_bench_ss_per_second(995, 995000000), 1000);
	cr_assert_eq(zh_bench_ss_per_second(3, 2000000000), 2, "1.5 rounds to nearest");
	cr_assert_eq(zh_bench_ss_per_second(7, 0), 7, "no span: as it is");
	cr_assert_eq(zh_bench_ss_per_second(UINT64_MAX, 1), UINT64_MAX, "saturates");
}
