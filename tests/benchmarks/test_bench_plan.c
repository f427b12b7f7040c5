/* SPDX-License-Identifier: MIT */
/*
 * test_bench_plan.c - tests for how zhtp-bench plans a group of jobs onto the engine: the
 * engine is sized for the jobs' queue depth, and fio's iodepth_batch_submit becomes the
 * engine's submit_batch by fio's rules (default 1, 0 or more than iodepth means iodepth, the
 * smallest batch of the group wins), which the reactors hold requests for, as fio does.
 */
#include "benchmarks/bench_plan.h"
#include "nvme/nvme.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[512];
static struct zh_bench_job jobs[2];
static struct zh_bench_plan plan;
static char err[512];

static void setup(void)
{
	snprintf(path, sizeof(path), "%s/plan-%d.dat", ZH_TEST_SCRATCH_DIR, (int)getpid());
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(bench_plan, .init = setup, .fini = teardown);

/* A finished job of fio's defaults and the \p n options in \p kv (NULL values skipped). */
static void job_from(struct zh_bench_job *job, const char *const (*kv)[2], size_t n)
{
	zh_bench_job_defaults(job);
	for (size_t i = 0; i < n; i++) {
		if (kv[i][1] != NULL)
			cr_assert_eq(zh_bench_job_set(job, kv[i][0], kv[i][1], err, sizeof(err)), 0,
				     "%s", err);
	}
	cr_assert_eq(zh_bench_job_finish(job, err, sizeof(err)), 0, "%s", err);
}

static void job_make(struct zh_bench_job *job, const char *name, const char *iodepth,
		     const char *batch)
{
	const char *const kv[][2] = {{"name", name},	   {"filename", path},
				     {"size", "1m"},	   {"rw", "randread"},
				     {"iodepth", iodepth}, {"iodepth_batch_submit", batch}};

	job_from(job, kv, sizeof(kv) / sizeof(kv[0]));
}

static uint32_t planned_batch(unsigned count)
{
	uint32_t batch;

	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, count, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(plan.engine_opts.sq_entries, jobs[0].iodepth + 1);
	batch = plan.engine_opts.submit_batch;
	cr_assert(plan.engine_opts.submit_hold);
	cr_assert_eq(plan.engine_opts.wake_batch_div, 8);
	zh_bench_plan_close(&plan);
	return batch;
}

Test(bench_plan, submit_batch_defaults_to_one_as_in_fio)
{
	job_make(&jobs[0], "a", "32", NULL);
	cr_assert_eq(planned_batch(1), 1);
}

Test(bench_plan, submit_batch_follows_the_job)
{
	job_make(&jobs[0], "a", "128", "32");
	cr_assert_eq(planned_batch(1), 32);
}

Test(bench_plan, submit_batch_zero_or_too_deep_means_iodepth)
{
	job_make(&jobs[0], "a", "16", "0");
	cr_assert_eq(planned_batch(1), 16);
	job_make(&jobs[0], "a", "16", "64");
	cr_assert_eq(planned_batch(1), 16);
}

Test(bench_plan, smallest_batch_of_the_group_wins)
{
	job_make(&jobs[0], "a", "64", "16");
	job_make(&jobs[1], "b", "64", "8");
	cr_assert_eq(planned_batch(2), 8);
}

/* fio's sync= becomes the device's flag on every write of the job's clones. */
Test(bench_plan, sync_becomes_the_write_flag_of_every_clone)
{
	static const struct {
		const char *value;
		unsigned flags;
	} values[] = {{"dsync", ZH_NVME_IO_FUA},
		      {"1", ZH_NVME_IO_SYNC},
		      {"sync", ZH_NVME_IO_SYNC},
		      {"none", 0}};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const char *const kv[][2] = {{"name", "s"},    {"filename", path},
					     {"size", "1m"},   {"rw", "randwrite"},
					     {"numjobs", "2"}, {"sync", values[i].value}};
		unsigned want = values[i].flags;

		job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
		cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), 0, "%s",
			     err);
		cr_assert_eq(plan.worker_count, 2);
		for (unsigned w = 0; w < plan.worker_count; w++)
			cr_assert_eq(plan.workers[w].cfg.write_flags, want, "sync=%s",
				     values[i].value);
		zh_bench_plan_close(&plan);
	}
}

/* startdelay=LO-HI: each clone draws its own delay in the range, the same on every run. */
Test(bench_plan, a_startdelay_range_gives_each_clone_a_delay_in_it)
{
	const char *const kv[][2] = {{"name", "d"},
				     {"filename", path},
				     {"size", "1m"},
				     {"numjobs", "8"},
				     {"startdelay", "1-2"}};
	uint64_t first[8];
	bool differ = false;

	for (int run = 0; run < 2; run++) {
		job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
		cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), 0, "%s",
			     err);
		for (unsigned w = 0; w < plan.worker_count; w++) {
			uint64_t d = plan.workers[w].cfg.start_delay_ns;

			cr_assert(d >= 1000000000ull && d <= 2000000000ull, "clone %u: %llu", w,
				  (unsigned long long)d);
			if (run == 0)
				first[w] = d;
			cr_assert_eq(d, first[w], "randrepeat: the same delays again");
			differ |= d != first[0];
		}
		zh_bench_plan_close(&plan);
	}
	cr_assert(differ, "all eight clones drew one delay");
}
