/* SPDX-License-Identifier: MIT */
/*
 * test_bench_plan.c - tests for how zhtp-bench plans a group of jobs onto the engine: the
 * engine is sized for the jobs' queue depth, and fio's iodepth_batch_submit becomes the
 * engine's submit_batch by fio's rules (default 1, 0 or more than iodepth means iodepth, the
 * smallest batch of the group wins), which the reactors hold requests for, as fio does. Also
 * the plan's arithmetic and checks: I/O amounts and offsets past 64 bits, and files told apart
 * by what they are (not how a path spells them) where verify needs a writer to itself.
 */
#include "benchmarks/bench_plan.h"
#include "nvme/nvme.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* Build jobs[0] from \p kv alone and return the planned first clone. */
static const struct zh_bench_worker_cfg *planned(const char *const (*kv)[2], size_t n)
{
	job_from(&jobs[0], kv, n);
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), 0, "%s", err);
	return &plan.workers[0].cfg;
}

/*
 * filesize (fio): the file is laid out to filesize and the region runs from the offset to its
 * end; size then only caps how much I/O one pass does.
 */
Test(bench_plan, filesize_is_the_file_and_size_the_amount)
{
	const char *const kv[][2] = {{"name", "f"},    {"filename", path}, {"filesize", "2m"},
				     {"size", "512k"}, {"offset", "1m"},   {"rw", "randread"},
				     {"direct", "1"}};
	const struct zh_bench_worker_cfg *cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));
	struct stat st;

	cr_assert_eq(cfg->region_offset_bytes, 1 << 20);
	cr_assert_eq(cfg->region_bytes, 1 << 20);
	cr_assert_eq(cfg->io_limit_bytes, 512 << 10);
	zh_bench_plan_close(&plan);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 2 << 20);
}

/* Without size, or with a size past the file, a pass is the whole region (fio's rule). */
Test(bench_plan, filesize_without_a_smaller_size_does_the_whole_file)
{
	const char *sizes[] = {NULL, "8m"};

	for (int i = 0; i < 2; i++) {
		const char *const kv[][2] = {
		    {"name", "f"}, {"filename", path}, {"filesize", "2m"}, {"size", sizes[i]}};
		const struct zh_bench_worker_cfg *cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));

		cr_assert_eq(cfg->region_bytes, 2 << 20);
		cr_assert_eq(cfg->io_limit_bytes, 2 << 20, "size=%s", sizes[i]);
		zh_bench_plan_close(&plan);
	}
}

Test(bench_plan, an_offset_past_filesize_is_refused)
{
	const char *const kv[][2] = {
	    {"name", "f"}, {"filename", path}, {"filesize", "1m"}, {"offset", "1m"}};

	job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -ERANGE);
	cr_assert_not_null(strstr(err, "offset 1048576 is past filesize (1048576)"), "%s", err);
}

/*
 * blockalign reaches a random clone only where it differs from the default grain (so a job
 * of one size keeps the fast path); sequential jobs do not use it, as in fio.
 */
Test(bench_plan, blockalign_reaches_random_clones_that_need_it)
{
	static const struct {
		const char *rw, *bs, *ba;
		uint32_t want[2];
	} cases[] = {{"randread", "4k", "8k", {8192, 8192}},
		     {"randrw", "4k", "4k,16k", {0, 16384}},
		     {"randread", "4k", "4k", {0, 0}},
		     {"read", "4k", "8k", {0, 0}}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const kv[][2] = {
		    {"name", "a"},	 {"filename", path},  {"size", "1m"},	  {"direct", "1"},
		    {"rw", cases[i].rw}, {"bs", cases[i].bs}, {"ba", cases[i].ba}};
		const struct zh_bench_worker_cfg *cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));

		cr_assert(cfg->align[0] == cases[i].want[0] && cfg->align[1] == cases[i].want[1],
			  "case %zu: %u,%u", i, cfg->align[0], cfg->align[1]);
		zh_bench_plan_close(&plan);
	}
}

/* Direct I/O on a file takes 4 KiB offsets: a smaller blockalign is refused before running. */
Test(bench_plan, a_blockalign_direct_io_cannot_take_is_refused)
{
	const char *const kv[][2] = {{"name", "a"},	 {"filename", path}, {"size", "1m"},
				     {"rw", "randread"}, {"direct", "1"},    {"ba", "2k"}};

	job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "blockalign must be a multiple of the device's 4096-byte"),
			   "%s", err);
}

/* zoned_abs zones longer than the job's region are refused before running, as fio stops. */
Test(bench_plan, zoned_abs_zones_past_the_region_are_refused)
{
	const char *const fits[][2] = {{"name", "z"},
				       {"filename", path},
				       {"size", "1m"},
				       {"rw", "randread"},
				       {"random_distribution", "zoned_abs:90/64k:10/960k"}};
	const char *const past[][2] = {{"name", "z"},
				       {"filename", path},
				       {"size", "1m"},
				       {"rw", "randread"},
				       {"random_distribution", "zoned_abs:90/64k:10/961k"}};

	job_from(&jobs[0], fits, sizeof(fits) / sizeof(fits[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), 0, "%s", err);
	zh_bench_plan_close(&plan);
	job_from(&jobs[0], past, sizeof(past) / sizeof(past[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -ERANGE);
	cr_assert_not_null(
	    strstr(err, "job 'z': the zoned_abs zones cover 1049600 bytes, more than the job's "
			"1048576"),
	    "%s", err);
}

/*
 * Several files: each laid out with its share of size (fio splits size over them), opened as
 * a device of its own, and the clone's region is all of them, a block from each in turn; with
 * file_service_type=sequential, one file's worth of I/O in each before the next.
 */
Test(bench_plan, several_files_split_size_and_share_one_region)
{
	char names[1200], second[600];
	struct stat st;
	const struct zh_bench_worker_cfg *cfg;

	snprintf(second, sizeof(second), "%s.b", path);
	snprintf(names, sizeof(names), "%s:%s", path, second);
	{
		const char *const kv[][2] = {
		    {"name", "m"}, {"filename", names}, {"size", "1m"}, {"rw", "randread"}};

		cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));
	}
	cr_assert_eq(cfg->file_count, 2);
	cr_assert_eq(cfg->file_bytes, 512 << 10);
	cr_assert(cfg->region_offset_bytes == 0 && cfg->region_bytes == 1 << 20);
	cr_assert_neq(cfg->file_dev[0], cfg->file_dev[1]);
	cr_assert_eq(cfg->zone_size, 0, "roundrobin: no zones");
	cr_assert_eq(plan.dev_count, 2);
	cr_assert_eq(stat(second, &st), 0);
	cr_assert_eq(st.st_size, 512 << 10, "laid out with its half of size");
	zh_bench_plan_close(&plan);
	{
		const char *const kv[][2] = {{"name", "m"},
					     {"filename", names},
					     {"size", "1m"},
					     {"rw", "write"},
					     {"file_service_type", "sequential"}};

		cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));
	}
	cr_assert(cfg->file_sequential && cfg->zone_size == 512 << 10 &&
		  cfg->zone_range == 512 << 10 && cfg->zone_skip == 0);
	zh_bench_plan_close(&plan);
	snprintf(names, sizeof(names), "%s:%s", path, path);
	{
		const char *const kv[][2] = {{"name", "m"}, {"filename", names}, {"size", "1m"}};

		job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
	}
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "is named twice in filename"), "%s", err);
	unlink(second);
}

/*
 * numa_cpu_nodes keeps the job on its nodes' cores; numa_mem_policy=bind must name the nodes
 * the job runs on (each reactor keeps its buffers on its own node). Written for any machine:
 * node 0 holds a core everywhere, node 63 nowhere.
 */
Test(bench_plan, numa_nodes_choose_cores_and_bind_must_match_them)
{
	struct zh_numa_topo *topo;
	unsigned nodes;
	const char *const on0[][2] = {{"name", "n"},
				      {"filename", path},
				      {"size", "1m"},
				      {"numa_cpu_nodes", "0"},
				      {"numa_mem_policy", "bind:0"}};
	const char *const none[][2] = {
	    {"name", "n"}, {"filename", path}, {"size", "1m"}, {"numa_cpu_nodes", "63"}};
	const char *const away[][2] = {{"name", "n"},
				       {"filename", path},
				       {"size", "1m"},
				       {"numa_cpu_nodes", "0"},
				       {"numa_mem_policy", "bind:63"}};

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	nodes = zh_numa_topo_node_count(topo);
	zh_numa_topo_destroy(topo);
	planned(on0, sizeof(on0) / sizeof(on0[0]));
	cr_assert_eq(plan.worker_count, 1);
	zh_bench_plan_close(&plan);
	job_from(&jobs[0], none, sizeof(none) / sizeof(none[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "numa_cpu_nodes=63 leaves no core"), "%s", err);
	cr_assert(nodes > 1 || strstr(err, "(1 NUMA node(s) here)") != NULL, "%s", err);
	job_from(&jobs[0], away, sizeof(away) / sizeof(away[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "numa_mem_policy names node(s) 63, but core"), "%s", err);
}

/* One fault setting per device: two jobs on one file must ask for the same faults. */
Test(bench_plan, jobs_sharing_a_file_share_its_faults)
{
	const char *const a[][2] = {
	    {"name", "a"}, {"filename", path}, {"size", "1m"}, {"fault_eio_ppm", "10"}};
	const char *const b[][2] = {
	    {"name", "b"}, {"filename", path}, {"size", "1m"}, {"fault_eio_ppm", "20"}};

	job_from(&jobs[0], a, sizeof(a) / sizeof(a[0]));
	job_from(&jobs[1], a, sizeof(a) / sizeof(a[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(plan.dev_count, 1);
	cr_assert_eq(zh_nvme_dev_faults(plan.devs[0].dev), &plan.devs[0].faults);
	cr_assert_eq(plan.devs[0].faults.eio_ppm, 10);
	zh_bench_plan_close(&plan);
	job_from(&jobs[1], b, sizeof(b) / sizeof(b[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 2, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "job 'b': "), "%s", err);
	cr_assert_not_null(strstr(err, "is shared with a job that injects other faults"), "%s",
			   err);
}

/*
 * number_ios times bs past 64 bits wrapped: 2^52 4 KiB I/Os made a cap of 0 (no limit, the job
 * never ended) and 2^52 + 1 a cap of one I/O. Past 64 bits it caps nothing, so size bounds the
 * job, as in fio.
 */
Test(bench_plan, number_ios_past_64_bits_of_bytes_leaves_size_the_limit)
{
	const char *ios[] = {"4503599627370496", "4503599627370497"};

	for (size_t i = 0; i < sizeof(ios) / sizeof(ios[0]); i++) {
		const char *const kv[][2] = {{"name", "n"},  {"filename", path},
					     {"size", "1m"}, {"rw", "randread"},
					     {"bs", "4k"},   {"number_ios", ios[i]}};
		const struct zh_bench_worker_cfg *cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));

		cr_assert_eq(cfg->io_limit_bytes, 1 << 20, "number_ios=%s: %llu", ios[i],
			     (unsigned long long)cfg->io_limit_bytes);
		zh_bench_plan_close(&plan);
	}
}

/* io_size times loops past 64 bits wrapped too (to 8 KiB here); now it limits nothing. */
Test(bench_plan, io_size_times_loops_past_64_bits_limits_nothing)
{
	const char *const kv[][2] = {{"name", "l"},
				     {"filename", path},
				     {"size", "1m"},
				     {"io_size", "9223372036854779904"},
				     {"loops", "2"}};
	const struct zh_bench_worker_cfg *cfg = planned(kv, sizeof(kv) / sizeof(kv[0]));

	cr_assert_eq(cfg->io_limit_bytes, UINT64_MAX, "%llu",
		     (unsigned long long)cfg->io_limit_bytes);
	zh_bench_plan_close(&plan);
}

/*
 * offset + offset_increment * clone past 64 bits wrapped: clone 1 of this job started at 4 KiB.
 * It is refused, naming the option, the job and the clone.
 */
Test(bench_plan, an_offset_increment_past_64_bits_is_refused)
{
	const char *const kv[][2] = {{"name", "o"},
				     {"filename", path},
				     {"size", "1m"},
				     {"offset", "8k"},
				     {"offset_increment", "0xFFFFFFFFFFFFF000"},
				     {"numjobs", "2"}};

	job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -ERANGE, "%s", err);
	cr_assert_not_null(strstr(err, "job 'o' (clone 1): offset=8192 + offset_increment="
				       "18446744073709547520 * 1 does not fit in 64 bits"),
			   "%s", err);
}

/* A clone that offset_increment moves past the file is refused with the option named. */
Test(bench_plan, an_offset_increment_past_the_file_names_the_option)
{
	const char *const kv[][2] = {{"name", "o"},
				     {"filename", path},
				     {"filesize", "1m"},
				     {"offset_increment", "1m"},
				     {"numjobs", "2"}};

	job_from(&jobs[0], kv, sizeof(kv) / sizeof(kv[0]));
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 1, err, sizeof(err)), -ERANGE, "%s", err);
	cr_assert_not_null(strstr(err, "job 'o' (clone 1): offset 1048576 (offset=0 + "
				       "offset_increment=1048576 * 1) is past filesize (1048576)"),
			   "%s", err);
}

/*
 * The check that a verifying writer is its blocks' only writer compared paths: another
 * spelling of the file (a doubled '/', a symbolic link) or the same path with another direct=
 * (a device of its own) got past it. Files are told apart by what they are.
 */
Test(bench_plan, verify_overlap_sees_one_file_under_any_name)
{
	char slashes[600], link[600];
	const char *other[] = {slashes, link, path};

	snprintf(slashes, sizeof(slashes), "%s//plan-%d.dat", ZH_TEST_SCRATCH_DIR, (int)getpid());
	snprintf(link, sizeof(link), "%s.lnk", path);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		const char *const v[][2] = {{"name", "v"},
					    {"filename", path},
					    {"size", "1m"},
					    {"rw", "write"},
					    {"verify", "crc32c"}};
		const char *const w[][2] = {{"name", "w"},
					    {"filename", other[i]},
					    {"size", "1m"},
					    {"rw", "write"},
					    {"direct", i == 2 ? "1" : NULL}};

		job_from(&jobs[0], v, sizeof(v) / sizeof(v[0]));
		job_from(&jobs[1], w, sizeof(w) / sizeof(w[0]));
		/* The link is made once the first job has created the file it points to. */
		unlink(link);
		cr_assert_eq(symlink(path, link), 0);
		cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 2, err, sizeof(err)), -EINVAL,
			     "%s", other[i]);
		cr_assert_not_null(strstr(err, "job 'v' (clone 0) verifies blocks that job 'w' "
					       "(clone 0) also writes"),
				   "%s: %s", other[i], err);
	}
	unlink(link);
}

/* Two names of one file with the same direct= are one device (one fault setting, one lay-out). */
Test(bench_plan, two_names_of_one_file_are_one_device)
{
	char slashes[600];

	snprintf(slashes, sizeof(slashes), "%s//plan-%d.dat", ZH_TEST_SCRATCH_DIR, (int)getpid());
	{
		const char *const a[][2] = {{"name", "a"}, {"filename", path}, {"size", "1m"}};
		const char *const b[][2] = {{"name", "b"}, {"filename", slashes}, {"size", "1m"}};

		job_from(&jobs[0], a, sizeof(a) / sizeof(a[0]));
		job_from(&jobs[1], b, sizeof(b) / sizeof(b[0]));
	}
	cr_assert_eq(zh_bench_plan_build(&plan, 0, jobs, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(plan.dev_count, 1);
	zh_bench_plan_close(&plan);
}
