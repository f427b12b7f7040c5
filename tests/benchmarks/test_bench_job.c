/* SPDX-License-Identifier: MIT */
/*
 * test_bench_job.c - tests for the fio job-file and command-line parser of zhtp-bench.
 *
 * Covers job files shaped like fio's own examples (fixtures in tests/benchmarks/jobs), the
 * inheritance rules of [global], every size and time suffix, the command line in both its
 * job-file and --name forms, and the refusals: each bad input must return the documented error
 * and a message naming the right line and option. Tests run from the source root, or wherever
 * ZH_TEST_DATA_DIR points at the fixtures.
 */
#include "benchmarks/bench_job.h"
#include "benchmarks/bench_verify.h"
#include "nvme/nvme.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ZH_TEST_DATA_DIR
#define ZH_TEST_DATA_DIR "tests/benchmarks/jobs"
#endif

#define GIB    (1024ull * 1024 * 1024)
#define SEC_NS 1000000000ull

/* Large structures live here rather than on the stack; Criterion runs each test in a fresh
 * process, so nothing leaks between tests. */
static struct zh_bench_jobfile jf;
static struct zh_bench_cli cli;
static struct zh_bench_job job;
static char err[1024];
static char text_buf[1 << 16];

static int parse_str(const char *text)
{
	zh_bench_jobfile_init(&jf);
	err[0] = '\0';
	return zh_bench_jobfile_parse(&jf, text, strlen(text), "t.fio", err, sizeof(err));
}

static int parse_fixture(const char *name)
{
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ZH_TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open fixture %s", path);
	n = fread(text_buf, 1, sizeof(text_buf), f);
	fclose(f);
	cr_assert_lt(n, sizeof(text_buf));
	zh_bench_jobfile_init(&jf);
	err[0] = '\0';
	return zh_bench_jobfile_parse(&jf, text_buf, n, name, err, sizeof(err));
}

static int cli_run(int argc, const char *const *argv)
{
	err[0] = '\0';
	return zh_bench_cli_parse(&cli, argc, (char **)argv, err, sizeof(err));
}

static int set(const char *key, const char *value)
{
	err[0] = '\0';
	return zh_bench_job_set(&job, key, value, err, sizeof(err));
}

#define ASSERT_ERR_HAS(s) cr_assert_not_null(strstr(err, (s)), "error '%s' lacks '%s'", err, (s))

/* ---- defaults and helpers -------------------------------------------------------------- */

Test(bench_job, defaults_match_fio)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(job.rw, ZH_BENCH_RW_READ);
	cr_assert_eq(zh_bench_job_bs(&job), 4096);
	cr_assert_eq(job.iodepth, 1);
	cr_assert_eq(job.iodepth_batch_submit, 1);
	cr_assert_eq(job.numjobs, 1);
	cr_assert_eq(job.rwmixread_pct, 50);
	cr_assert(job.randrepeat);
	cr_assert_eq(job.randseed, 0x89);
	cr_assert_not(job.randseed_set);
	cr_assert_not(job.direct);
	cr_assert(job.invalidate);
	cr_assert_eq(job.size_bytes, 0);
	cr_assert_eq(job.runtime_ns, 0);
	cr_assert_str_empty(job.filename);
	cr_assert_str_empty(job.ioengine);
}

Test(bench_job, rw_names_and_randomness)
{
	cr_assert_str_eq(zh_bench_rw_name(ZH_BENCH_RW_READ), "read");
	cr_assert_str_eq(zh_bench_rw_name(ZH_BENCH_RW_WRITE), "write");
	cr_assert_str_eq(zh_bench_rw_name(ZH_BENCH_RW_RANDREAD), "randread");
	cr_assert_str_eq(zh_bench_rw_name(ZH_BENCH_RW_RANDWRITE), "randwrite");
	cr_assert_str_eq(zh_bench_rw_name(ZH_BENCH_RW_RW), "rw");
	cr_assert_str_eq(zh_bench_rw_name(ZH_BENCH_RW_RANDRW), "randrw");
	cr_assert_str_eq(zh_bench_rw_name((enum zh_bench_rw)42), "invalid");
	cr_assert_not(zh_bench_rw_is_random(ZH_BENCH_RW_READ));
	cr_assert_not(zh_bench_rw_is_random(ZH_BENCH_RW_WRITE));
	cr_assert_not(zh_bench_rw_is_random(ZH_BENCH_RW_RW));
	cr_assert(zh_bench_rw_is_random(ZH_BENCH_RW_RANDREAD));
	cr_assert(zh_bench_rw_is_random(ZH_BENCH_RW_RANDWRITE));
	cr_assert(zh_bench_rw_is_random(ZH_BENCH_RW_RANDRW));
}

/* ---- fio example shapes ------------------------------------------------------------------ */

/* Checks shared by the six fio-*.fio fixtures: [global] + one [file1] job. */
static void check_fio_example(enum zh_bench_rw rw, uint32_t bs, bool direct, const char *file,
			      unsigned line)
{
	const struct zh_bench_job *j = &jf.jobs[0];

	cr_assert_eq(jf.job_count, 1);
	/* fio names a job after its section, whatever name= [global] had. */
	cr_assert_str_eq(j->name, "file1");
	cr_assert_str_eq(j->filename, file);
	cr_assert_eq(j->rw, rw);
	cr_assert_eq(zh_bench_job_bs(j), bs);
	cr_assert_eq(j->direct, direct);
	cr_assert_eq(j->numjobs, 1);
	cr_assert(j->time_based);
	cr_assert_eq(j->runtime_ns, 900 * SEC_NS);
	cr_assert_eq(j->size_bytes, 10 * GIB);
	cr_assert_eq(j->size_pct, 0);
	cr_assert_str_eq(j->ioengine, "libaio");
	cr_assert_eq(j->iodepth, 16);
	cr_assert_eq(j->source_line, line);
}

Test(bench_job, fio_rand_read_example)
{
	cr_assert_eq(parse_fixture("fio-rand-read.fio"), 0, "%s", err);
	check_fio_example(ZH_BENCH_RW_RANDREAD, 4096, false, "fio-rand-read", 14);
	cr_assert_eq(jf.jobs[0].rwmixread_pct, 50);
}

Test(bench_job, fio_rand_write_example)
{
	cr_assert_eq(parse_fixture("fio-rand-write.fio"), 0, "%s", err);
	check_fio_example(ZH_BENCH_RW_RANDWRITE, 4096, false, "fio-rand-write", 12);
}

Test(bench_job, fio_rand_rw_example)
{
	cr_assert_eq(parse_fixture("fio-rand-RW.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	cr_assert_eq(jf.jobs[0].rw, ZH_BENCH_RW_RANDRW);
	cr_assert_eq(jf.jobs[0].rwmixread_pct, 60);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 4096);
	cr_assert_eq(jf.jobs[0].iodepth, 16);
	cr_assert_eq(jf.jobs[0].size_bytes, 10 * GIB);
	cr_assert_str_eq(jf.jobs[0].filename, "fio-rand-RW");
}

Test(bench_job, fio_seq_read_example)
{
	cr_assert_eq(parse_fixture("fio-seq-read.fio"), 0, "%s", err);
	check_fio_example(ZH_BENCH_RW_READ, 256 * 1024, true, "fio-seq-reads", 12);
}

Test(bench_job, fio_seq_write_example)
{
	cr_assert_eq(parse_fixture("fio-seq-write.fio"), 0, "%s", err);
	check_fio_example(ZH_BENCH_RW_WRITE, 256 * 1024, true, "fio-seq-writes", 12);
}

Test(bench_job, fio_seq_rw_example)
{
	cr_assert_eq(parse_fixture("fio-seq-RW.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	cr_assert_eq(jf.jobs[0].rw, ZH_BENCH_RW_RW);
	cr_assert_eq(jf.jobs[0].rwmixread_pct, 60);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 256 * 1024);
	cr_assert_not(zh_bench_rw_is_random(jf.jobs[0].rw));
}

Test(bench_job, ssd_test_example)
{
	static const char *const names[] = {"seq-read", "rand-read", "seq-write", "rand-write"};
	static const enum zh_bench_rw rws[] = {ZH_BENCH_RW_READ, ZH_BENCH_RW_RANDREAD,
					       ZH_BENCH_RW_WRITE, ZH_BENCH_RW_RANDWRITE};
	static const unsigned lines[] = {15, 19, 23, 27};

	cr_assert_eq(parse_fixture("ssd-test.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 4);
	for (int i = 0; i < 4; i++) {
		const struct zh_bench_job *j = &jf.jobs[i];

		cr_assert_str_eq(j->name, names[i]);
		cr_assert_eq(j->rw, rws[i]);
		cr_assert(j->stonewall);
		cr_assert_eq(zh_bench_job_bs(j), 4096);
		cr_assert_str_eq(j->ioengine, "libaio");
		cr_assert_eq(j->iodepth, 4);
		cr_assert_eq(j->size_bytes, 10 * GIB);
		cr_assert(j->direct);
		cr_assert_eq(j->runtime_ns, 60 * SEC_NS);
		cr_assert_not(j->time_based);
		cr_assert_str_eq(j->directory, "/mount-point-of-ssd");
		cr_assert_str_eq(j->filename, "ssd.test.file");
		cr_assert_eq(j->source_line, lines[i]);
	}
}

/* JESD219 (fio's examples/jesd219.fio): blockalign with a split of sizes and zones. */
Test(bench_job, jesd219_example)
{
	const struct zh_bench_job *j;

	cr_assert_eq(parse_fixture("jesd219.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	j = &jf.jobs[0];
	cr_assert_eq(j->rw, ZH_BENCH_RW_RANDRW);
	cr_assert_eq(zh_bench_job_read_pct(j), 40);
	cr_assert_eq(j->iodepth, 256);
	cr_assert_eq(j->numjobs, 4);
	cr_assert(j->blockalign[0] == 4096 && j->blockalign[1] == 4096);
	for (int d = 0; d < 2; d++) {
		cr_assert_eq(j->bs[d].kind, ZH_BENCH_BS_SPLIT);
		cr_assert(j->bs[d].min_bytes == 512 && j->bs[d].max_bytes == 65536);
	}
	cr_assert_eq(zh_bench_job_bs(j), 0, "sizes vary");
	cr_assert_eq(j->dist.kind, ZH_BENCH_DIST_ZONED);
	cr_assert(j->norandommap && !j->randrepeat && j->group_reporting && j->direct);
	cr_assert_str_eq(j->filename, "/dev/nvme0n1");
}

/* fio's examples/mobile-storage.fio: one file of filesize, size per job, unlink at the end. */
Test(bench_job, mobile_storage_example)
{
	static const uint64_t sizes[] = {GIB, GIB, 128 << 20, 128 << 20};
	static const uint32_t clones[] = {1, 1, 8, 8};

	cr_assert_eq(parse_fixture("mobile-storage.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 4);
	for (int i = 0; i < 4; i++) {
		const struct zh_bench_job *j = &jf.jobs[i];

		cr_assert_eq(j->filesize_bytes, GIB);
		cr_assert_eq(j->size_bytes, sizes[i]);
		cr_assert_eq(j->numjobs, clones[i]);
		cr_assert_eq(j->stonewall, i > 0);
		cr_assert_eq(j->unlink, i == 3, "only the last phase removes the file");
		cr_assert_str_eq(j->filename, "mobile-storage-test");
	}
}

/* fio's examples/tiobench-example.fio: timeout is runtime, bsrange=4k-4k one size. */
Test(bench_job, tiobench_example)
{
	cr_assert_eq(parse_fixture("tiobench.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 4);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(jf.jobs[i].runtime_ns, 60 * SEC_NS);
		cr_assert_eq(jf.jobs[i].numjobs, 4);
		cr_assert_eq(zh_bench_job_bs(&jf.jobs[i]), 4096);
		cr_assert_eq(jf.jobs[i].size_bytes, 512 << 20);
	}
}

/* fio's examples/rand-zones.fio: a zoned distribution whose last zone has no range. */
Test(bench_job, rand_zones_example)
{
	const struct zh_bench_job *j;

	cr_assert_eq(parse_fixture("rand-zones.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	j = &jf.jobs[0];
	cr_assert_eq(j->dist.kind, ZH_BENCH_DIST_ZONED);
	cr_assert_eq(j->dist.zone_count, 3);
	cr_assert(j->dist.zone_access[0] == 500000 && j->dist.zone_range[0] == 50000);
	cr_assert(j->dist.zone_access[2] == 200000 && j->dist.zone_range[2] == 800000);
}

/* fio's examples/disk-zone-profile.fio: strided zones; zonerange defaults to zonesize. */
Test(bench_job, disk_zone_profile_example)
{
	const struct zh_bench_job *j;

	cr_assert_eq(parse_fixture("disk-zone-profile.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	j = &jf.jobs[0];
	cr_assert(j->zone_strided);
	cr_assert_eq(j->zone_size_bytes, 256ull << 20);
	cr_assert_eq(j->zone_skip_bytes, 2ull << 30);
	cr_assert_eq(zh_bench_job_zone_range(j), 256ull << 20);
	cr_assert_str_eq(j->name, "/dev/sdb");
}

/* fio's examples/surface-scan.fio: fill_device writes the file until its filesystem is full. */
Test(bench_job, surface_scan_example)
{
	cr_assert_eq(parse_fixture("surface-scan.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 2);
	cr_assert(jf.jobs[0].fill_device);
	cr_assert(jf.jobs[0].create_serialize, "fio's default");
	cr_assert_not(jf.jobs[0].do_verify);
	cr_assert_not(jf.jobs[1].fill_device);
	cr_assert_not(jf.jobs[1].create_serialize);
	cr_assert(jf.jobs[1].stonewall);
	cr_assert_eq(jf.jobs[1].verify_interval, 512);
}

/*
 * fio's examples/cross-stripe-verify.fio parses. Its clones start 124 GiB apart, a whole
 * number of 128 KiB strides, so they all write the same stripe: the planner refuses that
 * (bench_zhtp's verifying_clones_share_a_file_on_stripes_apart runs a spacing that works).
 */
Test(bench_job, cross_stripe_verify_example)
{
	const struct zh_bench_job *j;

	cr_assert_eq(parse_fixture("cross-stripe-verify.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	j = &jf.jobs[0];
	cr_assert_eq(j->verify_backlog, 1);
	cr_assert(j->verify_dump);
	cr_assert_eq(j->seq_add, 112 << 10);
	cr_assert_eq(j->offset_increment_bytes, 124ull << 30);
	cr_assert_eq(j->numjobs, 30);
	cr_assert_eq(j->loops, 2);
}

/*
 * fio's examples/steadystate.fio: threads (tiobench's, recorded), new_group beside a
 * stonewall, /dev/null and /dev/zero as files.
 */
Test(bench_job, steadystate_example)
{
	cr_assert_eq(parse_fixture("steadystate.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 2);
	cr_assert_eq(jf.jobs[0].threads, 1);
	cr_assert_str_eq(jf.jobs[0].filename, "/dev/null");
	cr_assert(jf.jobs[1].new_group && jf.jobs[1].stonewall);
	cr_assert_str_eq(jf.jobs[1].filename, "/dev/zero");
	cr_assert_eq(jf.jobs[1].ss.seconds, 10);
}

/* new_group: a reporting group among jobs that run together (block jobs: object jobs not). */
Test(bench_job, new_group_splits_reports_of_block_jobs)
{
	cr_assert_eq(parse_str("[a]\nnew_group\n[b]\nnew_group\n[c]\nnew_group\nstonewall\n"), 0,
		     "%s", err);
	cr_assert_eq(zh_bench_jobs_new_groups(jf.jobs, 0), 0, "the first job's is its run group's");
	cr_assert_eq(zh_bench_jobs_new_groups(jf.jobs, 1), 1);
	cr_assert_eq(zh_bench_jobs_new_groups(jf.jobs, 2), 2);
	cr_assert_eq(parse_str("[a]\nrw=put\n[b]\nrw=put\nnew_group\n"), -EINVAL);
	ASSERT_ERR_HAS("'new_group' without 'stonewall' is for block jobs");
	ASSERT_ERR_HAS("t.fio:3:");
}

/* fio's examples/latency-profile.fio: latency_target in microseconds, lfsr offsets. */
Test(bench_job, latency_profile_example)
{
	const struct zh_bench_job *j;

	cr_assert_eq(parse_fixture("latency-profile.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	j = &jf.jobs[0];
	cr_assert_eq(j->lat_target_ns, 500000000ull);
	cr_assert_eq(j->lat_window_ns, 5000000ull);
	cr_assert(j->lat_percentile == 99.9);
	cr_assert(j->lfsr);
	cr_assert_eq(j->iodepth, 128);
	cr_assert_str_eq(j->filename, "/dev/sda");
}

Test(bench_job, default_job_file_parses)
{
	const char *argv[] = {"zhtp-bench",
			      ZH_TEST_DATA_DIR "/../../../benchmarks/jobs/default.fio"};

	cr_assert_eq(cli_run(2, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 2);
	for (int i = 0; i < 2; i++) {
		const struct zh_bench_job *j = &cli.jobfile.jobs[i];

		cr_assert_eq(zh_bench_job_bs(j), 4096);
		cr_assert_eq(j->iodepth, 32);
		cr_assert_eq(j->size_bytes, 256ull << 20);
		cr_assert_str_eq(j->filename, "var/zhtp/bench.dat");
		cr_assert(j->direct);
		cr_assert(j->time_based);
		cr_assert_str_eq(j->ioengine, "io_uring");
	}
	cr_assert_eq(cli.jobfile.jobs[0].rw, ZH_BENCH_RW_RANDREAD);
	cr_assert_eq(cli.jobfile.jobs[0].runtime_ns, 5 * SEC_NS);
	cr_assert_not(cli.jobfile.jobs[0].stonewall);
	cr_assert_eq(cli.jobfile.jobs[1].rw, ZH_BENCH_RW_RANDWRITE);
	cr_assert_eq(cli.jobfile.jobs[1].runtime_ns, 3 * SEC_NS);
	cr_assert(cli.jobfile.jobs[1].stonewall);
}

/* ---- inheritance ------------------------------------------------------------------------- */

Test(bench_job, global_inheritance_and_override_order)
{
	cr_assert_eq(parse_fixture("inherit.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 3);
	/* [first]: global values, its own iodepth wins. */
	cr_assert_str_eq(jf.jobs[0].name, "first");
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 8192);
	cr_assert_eq(jf.jobs[0].iodepth, 64);
	cr_assert_eq(jf.jobs[0].rw, ZH_BENCH_RW_RANDREAD);
	cr_assert_str_eq(jf.jobs[0].filename, "/tmp/zh-inherit.dat");
	cr_assert_str_empty(jf.jobs[0].bw_log);
	/* [second]: everything from the first [global]. */
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[1]), 8192);
	cr_assert_eq(jf.jobs[1].iodepth, 4);
	cr_assert_str_eq(jf.jobs[1].description, "inherits everything from the first [global]");
	cr_assert_str_empty(jf.jobs[1].bw_log);
	/* [third]: the second [global] changed bs and added a bare bw log named after the job. */
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[2]), 65536);
	cr_assert_eq(jf.jobs[2].iodepth, 4);
	cr_assert_eq(jf.jobs[2].rw, ZH_BENCH_RW_WRITE);
	cr_assert_eq(jf.jobs[2].size_bytes, GIB);
	cr_assert_str_eq(jf.jobs[2].bw_log, "third");
	cr_assert_not(jf.jobs[2].bw_log_use_name);
}

Test(bench_job, several_global_sections_affect_only_later_jobs)
{
	cr_assert_eq(parse_str("[global]\nbs=4k\n[a]\n[global]\nbs=64k\niodepth=8\n[b]\n"
			       "[global]\nrw=write\n[c]\nbs=1k\n"),
		     0, "%s", err);
	cr_assert_eq(jf.job_count, 3);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 4096);
	cr_assert_eq(jf.jobs[0].iodepth, 1);
	cr_assert_eq(jf.jobs[0].rw, ZH_BENCH_RW_READ);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[1]), 65536);
	cr_assert_eq(jf.jobs[1].iodepth, 8);
	cr_assert_eq(jf.jobs[1].rw, ZH_BENCH_RW_READ);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[2]), 1024);
	cr_assert_eq(jf.jobs[2].iodepth, 8);
	cr_assert_eq(jf.jobs[2].rw, ZH_BENCH_RW_WRITE);
}

Test(bench_job, section_name_and_name_option)
{
	cr_assert_eq(parse_str("[global]\nname=ignored\n[sec1]\n[sec2]\nname=custom\n"), 0, "%s",
		     err);
	cr_assert_eq(jf.job_count, 2);
	cr_assert_str_eq(jf.jobs[0].name, "sec1");
	cr_assert_str_eq(jf.jobs[1].name, "custom");
	cr_assert_eq(jf.jobs[0].source_line, 3);
	cr_assert_eq(jf.jobs[1].source_line, 4);
}

Test(bench_job, only_global_or_empty_gives_no_jobs)
{
	cr_assert_eq(parse_str(""), 0);
	cr_assert_eq(jf.job_count, 0);
	cr_assert_eq(parse_str("; nothing\n\n[global]\nbs=8k\n"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 0);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, NULL, 0, "null.fio", err, sizeof(err)), 0);
	cr_assert_eq(jf.job_count, 0);
}

Test(bench_job, parse_appends_and_failure_keeps_earlier_jobs)
{
	const char *good = "[a]\n[b]\n";
	const char *bad = "[c]\n[d]\nbs=oops\n";

	zh_bench_jobfile_init(&jf);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, good, strlen(good), "g.fio", err, sizeof(err)), 0);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, good, strlen(good), "g.fio", err, sizeof(err)), 0);
	cr_assert_eq(jf.job_count, 4);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, bad, strlen(bad), "b.fio", err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(jf.job_count, 4);
	cr_assert_str_eq(jf.jobs[3].name, "b");
	ASSERT_ERR_HAS("b.fio:3:");
}

/* ---- syntax ------------------------------------------------------------------------------ */

Test(bench_job, comments_blanks_and_spacing)
{
	const char *t = "# leading comment\n"
			"   ; indented comment\n"
			"\n"
			"\t\n"
			"[ job ]   ; comment after a header\n"
			"  bs = 16k  \n"
			"rw\t=\trandwrite ; inline comment\n"
			"filename=/tmp/a#b;c\n"
			"description=keeps a#hash\n"
			"time_based # bare key with a comment\n"
			"runtime=1\n";

	cr_assert_eq(parse_str(t), 0, "%s", err);
	cr_assert_eq(jf.job_count, 1);
	cr_assert_str_eq(jf.jobs[0].name, "job");
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 16384);
	cr_assert_eq(jf.jobs[0].rw, ZH_BENCH_RW_RANDWRITE);
	cr_assert_str_eq(jf.jobs[0].filename, "/tmp/a#b;c");
	cr_assert_str_eq(jf.jobs[0].description, "keeps a#hash");
	cr_assert(jf.jobs[0].time_based);
	cr_assert_eq(jf.jobs[0].source_line, 5);
}

Test(bench_job, crlf_and_missing_final_newline)
{
	cr_assert_eq(parse_str("[global]\r\nbs=8k\r\n\r\n[j]\r\nrw=randread\r\niodepth=7"), 0, "%s",
		     err);
	cr_assert_eq(jf.job_count, 1);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 8192);
	cr_assert_eq(jf.jobs[0].rw, ZH_BENCH_RW_RANDREAD);
	cr_assert_eq(jf.jobs[0].iodepth, 7);
	cr_assert_eq(jf.jobs[0].source_line, 4);
	/* Line numbers still count CRLF lines. */
	cr_assert_eq(parse_str("[j]\r\n\r\nbs=zz\r\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:3:");
}

Test(bench_job, text_is_not_nul_terminated)
{
	const char text[] = "[j]\nbs=8kGARBAGE";

	zh_bench_jobfile_init(&jf);
	/* Only "[j]\nbs=8k" is inside len. */
	cr_assert_eq(zh_bench_jobfile_parse(&jf, text, 9, "slice", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 8192);
}

Test(bench_job, utf8_bom_is_skipped)
{
	cr_assert_eq(parse_str("\xEF\xBB\xBF[j]\nbs=2k\n"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 2048);
}

Test(bench_job, nul_byte_is_refused)
{
	const char text[] = "[j]\nbs=4k\nrw=re\0ad\n";

	zh_bench_jobfile_init(&jf);
	cr_assert_eq(
	    zh_bench_jobfile_parse(&jf, text, sizeof(text) - 1, "nul.fio", err, sizeof(err)),
	    -EINVAL);
	ASSERT_ERR_HAS("nul.fio:3:");
	ASSERT_ERR_HAS("NUL");
	cr_assert_eq(jf.job_count, 0);
}

Test(bench_job, overlong_line_is_refused_not_truncated)
{
	size_t n = 0;

	n += (size_t)snprintf(text_buf, sizeof(text_buf), "[j]\nfilename=");
	memset(text_buf + n, 'a', ZH_BENCH_LINE_MAX + 10);
	n += ZH_BENCH_LINE_MAX + 10;
	zh_bench_jobfile_init(&jf);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, text_buf, n, "long.fio", err, sizeof(err)),
		     -EINVAL);
	ASSERT_ERR_HAS("long.fio:2:");
	ASSERT_ERR_HAS("too long");
}

Test(bench_job, overlong_path_value_is_refused)
{
	size_t n = (size_t)snprintf(text_buf, sizeof(text_buf), "[j]\nfilename=");

	memset(text_buf + n, 'p', ZH_BENCH_PATH_MAX);
	n += ZH_BENCH_PATH_MAX;
	zh_bench_jobfile_init(&jf);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, text_buf, n, "p.fio", err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("p.fio:2:");
	ASSERT_ERR_HAS("'filename'");
	ASSERT_ERR_HAS("at most 4095");
}

Test(bench_job, control_character_is_refused)
{
	cr_assert_eq(parse_str("[j]\nbs=4k\x01\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2:");
	ASSERT_ERR_HAS("control character");
	cr_assert_eq(parse_str("[j]\nbs=4\rk\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2:");
}

Test(bench_job, bad_section_headers)
{
	cr_assert_eq(parse_str("[]\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:1: empty section name");
	cr_assert_eq(parse_str("[a] b\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:1: unexpected text 'b'");
	cr_assert_eq(parse_str("[a]\n[b[c]\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad section name");
	cr_assert_eq(
	    parse_str("[a]\n[0123456789012345678901234567890123456789012345678901234567890123]\n"),
	    -EINVAL);
	ASSERT_ERR_HAS("t.fio:2:");
	ASSERT_ERR_HAS("too long");
}

/*
 * Names and other text that the JSON report echoes (name, ioengine, description) must be
 * UTF-8: raw bytes made the report invalid JSON for strict parsers. The line is named.
 */
Test(bench_job, text_that_is_not_utf8_is_refused)
{
	static const char *const bad[] = {
	    "\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82"};
	static const char *const keys[] = {"name", "ioengine", "description"};
	const char *argv[] = {"zhtp-bench", "--name=j\xfe", "--size=1m"};
	char text[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[a]\n[j%s]\n", bad[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "section %zu", i);
		ASSERT_ERR_HAS("t.fio:2: section name");
		ASSERT_ERR_HAS("is not valid UTF-8");
		snprintf(text, sizeof(text), "[a]\n%s=x%s\n", keys[i % 3], bad[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "%s %zu", keys[i % 3], i);
		ASSERT_ERR_HAS("t.fio:2:");
		ASSERT_ERR_HAS("not valid UTF-8");
	}
	cr_assert_eq(cli_run(3, argv), -EINVAL);
	ASSERT_ERR_HAS("not valid UTF-8");
	cr_assert_eq(parse_str("[caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe]\n"
			       "description=\xc3\xa9t\xc3\xa9\n"),
		     0, "%s", err);
	cr_assert_str_eq(jf.jobs[0].name, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe");
}

Test(bench_job, missing_key_and_include_are_refused)
{
	cr_assert_eq(parse_str("[a]\n=4k\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: missing option name");
	cr_assert_eq(parse_str("[a]\ninclude other.fio\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: 'include' is not supported");
}

Test(bench_job, environment_variables_expand)
{
	cr_assert_eq(setenv("ZH_BJ_TEST_DIR", "/data/bench", 1), 0);
	cr_assert_eq(parse_str("[j]\nfilename=${ZH_BJ_TEST_DIR}/f.dat\n"), 0, "%s", err);
	cr_assert_str_eq(jf.jobs[0].filename, "/data/bench/f.dat");
	cr_assert_eq(unsetenv("ZH_BJ_TEST_UNSET"), 0);
	cr_assert_eq(parse_str("[j]\nfilename=${ZH_BJ_TEST_UNSET}/f\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: environment variable 'ZH_BJ_TEST_UNSET' is not set");
	cr_assert_eq(parse_str("[j]\nfilename=${OPEN\n"), -EINVAL);
	ASSERT_ERR_HAS("unterminated");
	cr_assert_eq(parse_str("[j]\nfilename=${}\n"), -EINVAL);
	ASSERT_ERR_HAS("bad variable name");
	/* A lone '$' is kept. */
	cr_assert_eq(parse_str("[j]\nfilename=/tmp/$x\n"), 0, "%s", err);
	cr_assert_str_eq(jf.jobs[0].filename, "/tmp/$x");
}

/* ---- bad files from the fixtures ------------------------------------------------------- */

Test(bench_job, bad_file_unknown_option)
{
	cr_assert_eq(parse_fixture("bad-unknown-option.fio"), -EINVAL);
	ASSERT_ERR_HAS("bad-unknown-option.fio:6: unknown option 'exec_prerun'");
	cr_assert_eq(jf.job_count, 0);
}

Test(bench_job, bad_file_bad_value)
{
	cr_assert_eq(parse_fixture("bad-value.fio"), -EINVAL);
	cr_assert_str_eq(err, "bad-value.fio:4: bad value 'x4k' for 'bs': expected a size like 4k");
}

Test(bench_job, bad_file_option_outside_section)
{
	cr_assert_eq(parse_fixture("bad-outside-section.fio"), -EINVAL);
	ASSERT_ERR_HAS("bad-outside-section.fio:3:");
	ASSERT_ERR_HAS("'rw'");
	ASSERT_ERR_HAS("outside");
}

Test(bench_job, bad_file_unterminated_section)
{
	cr_assert_eq(parse_fixture("bad-unterminated-section.fio"), -EINVAL);
	ASSERT_ERR_HAS("bad-unterminated-section.fio:3:");
	ASSERT_ERR_HAS("unterminated section header '[job'");
}

Test(bench_job, bad_file_size_overflow)
{
	cr_assert_eq(parse_fixture("bad-size-overflow.fio"), -EINVAL);
	ASSERT_ERR_HAS("bad-size-overflow.fio:5:");
	ASSERT_ERR_HAS("'size'");
	ASSERT_ERR_HAS("does not fit in 64 bits");
}

/* Regression: a runtime near 2^64 ns wrapped the end's deadline and the job ended at once. */
Test(bench_job, times_stop_short_of_wrapping_a_deadline)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("runtime", "18446744000"), -EINVAL);
	ASSERT_ERR_HAS("a time must be at most 146 years");
	cr_assert_eq(job.runtime_ns, 0);
	cr_assert_eq(set("ramp_time", "4611686019"), -EINVAL);
	cr_assert_eq(set("runtime", "4611686018"), 0, "2^62 ns, within a second");
	cr_assert_eq(job.runtime_ns, 4611686018000000000ull);
}

/*
 * Regression: any ioengine was taken, and the engine's path ran in its place; ioengine=null,
 * which does no I/O in fio, wrote the job's file. Block engines stand in; others are refused.
 */
Test(bench_job, only_block_io_engines_are_stood_in_for)
{
	static const char *const taken[] = {"io_uring", "libaio", "psync",	  "sync", "pvsync2",
					    "posixaio", "mmap",	  "io_uring_cmd", "zhtp"};
	static const char *const refused[] = {"null", "cpuio", "net", "filecreate", "foo"};
	char text[128];

	for (size_t i = 0; i < ZH_ARRAY_SIZE(taken); i++) {
		snprintf(text, sizeof(text), "[a]\nfilename=/dev/null\nioengine=%s\n", taken[i]);
		cr_assert_eq(parse_str(text), 0, "%s: %s", taken[i], err);
	}
	for (size_t i = 0; i < ZH_ARRAY_SIZE(refused); i++) {
		snprintf(text, sizeof(text), "[a]\nfilename=/dev/null\nioengine=%s\n", refused[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "%s accepted", refused[i]);
		ASSERT_ERR_HAS("is not a block I/O engine");
	}
}

Test(bench_job, bad_file_iodepth_zero)
{
	cr_assert_eq(parse_fixture("bad-iodepth-zero.fio"), -EINVAL);
	cr_assert_str_eq(err, "bad-iodepth-zero.fio:4: bad value '0' for 'iodepth': "
			      "expected an integer from 1 to 4096");
}

Test(bench_job, too_many_jobs)
{
	size_t n = 0;

	for (int i = 0; i <= ZH_BENCH_JOBS_MAX; i++)
		n += (size_t)snprintf(text_buf + n, sizeof(text_buf) - n, "[job%d]\nbs=4k\n", i);
	zh_bench_jobfile_init(&jf);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, text_buf, n, "many.fio", err, sizeof(err)),
		     -E2BIG);
	/* The 65th header is on line 2 * 64 + 1. */
	ASSERT_ERR_HAS("many.fio:129: too many jobs (at most 64)");
	cr_assert_eq(jf.job_count, 0);
	/* Exactly 64 fit. */
	zh_bench_jobfile_init(&jf);
	cr_assert_eq(zh_bench_jobfile_parse(&jf, text_buf, n - strlen("[job64]\nbs=4k\n"),
					    "many.fio", err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(jf.job_count, 64);
	cr_assert_str_eq(jf.jobs[63].name, "job63");
}

Test(bench_job, time_based_needs_runtime)
{
	cr_assert_eq(parse_str("[global]\ntime_based\n[a]\nruntime=2\n[b]\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:5:");
	ASSERT_ERR_HAS("job 'b'");
	ASSERT_ERR_HAS("'time_based' needs a 'runtime'");
}

Test(bench_job, size_smaller_than_bs_is_refused)
{
	cr_assert_eq(parse_str("[a]\nbs=8k\nsize=4k\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:1:");
	ASSERT_ERR_HAS("'size' (4096 bytes) is smaller than the largest block (8192 bytes)");
}

Test(bench_job, sync_options)
{
	cr_assert_eq(parse_str("[a]\nrw=randwrite\nfsync=8\nend_fsync\n[b]\nfdatasync=1\n"), 0,
		     "%s", err);
	cr_assert_eq(jf.jobs[0].fsync_blocks, 8);
	cr_assert_eq(jf.jobs[0].fdatasync_blocks, 0);
	cr_assert(jf.jobs[0].end_fsync);
	cr_assert_eq(jf.jobs[1].fdatasync_blocks, 1);
	cr_assert_not(jf.jobs[1].end_fsync);
	cr_assert_eq(parse_str("[a]\nfsync=x\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad value 'x' for 'fsync'");
	cr_assert_eq(parse_str("[a]\nfdatasync=-1\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad value '-1' for 'fdatasync'");
}

Test(bench_job, durable_writes_fixture)
{
	cr_assert_eq(parse_fixture("durable-writes.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 2);
	cr_assert_eq(jf.jobs[0].fdatasync_blocks, 16);
	cr_assert_eq(jf.jobs[1].fsync_blocks, 64);
	cr_assert(jf.jobs[0].end_fsync && jf.jobs[1].end_fsync, "end_fsync from [global]");
	cr_assert(jf.jobs[0].verify && !jf.jobs[1].verify);
}

Test(bench_job, verify_options)
{
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=crc32c\n[b]\nrw=read\nverify=crc32c-intel\n"
			       "do_verify=0\nverify_fatal\n[c]\nverify=0\n"),
		     0, "%s", err);
	cr_assert(jf.jobs[0].verify && jf.jobs[0].do_verify, "do_verify defaults to 1, as fio");
	cr_assert_not(jf.jobs[0].verify_fatal);
	cr_assert(jf.jobs[1].verify && !jf.jobs[1].do_verify && jf.jobs[1].verify_fatal);
	cr_assert_not(jf.jobs[2].verify);
	cr_assert_eq(jf.jobs[0].verify_kind, ZH_BENCH_VERIFY_CRC32C);
	cr_assert_eq(jf.jobs[1].verify_kind, ZH_BENCH_VERIFY_CRC32C, "crc32c-intel is crc32c");
	cr_assert_eq(parse_str("[a]\nverify=md5\n[b]\nverify=sha512\n[c]\nverify=meta\n"), 0, "%s",
		     err);
	cr_assert(jf.jobs[0].verify && jf.jobs[0].verify_kind == ZH_BENCH_VERIFY_MD5);
	cr_assert_eq(jf.jobs[1].verify_kind, ZH_BENCH_VERIFY_SHA512);
	cr_assert_eq(jf.jobs[2].verify_kind, ZH_BENCH_VERIFY_META);
	cr_assert_eq(parse_str("[a]\nverify=crc7\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad value 'crc7' for 'verify': expected 0, crc32c, crc32c-intel");
}

Test(bench_job, sync_options_as_fio_opens_the_file)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(job.write_flags, 0);
	cr_assert_eq(set("sync", "1"), 0, "%s", err);
	cr_assert_eq(job.write_flags, ZH_NVME_IO_SYNC);
	cr_assert_eq(set("sync", "dsync"), 0, "%s", err);
	cr_assert_eq(job.write_flags, ZH_NVME_IO_FUA);
	cr_assert_eq(set("sync", "none"), 0, "%s", err);
	cr_assert_eq(job.write_flags, 0);
	cr_assert_eq(set("sync", "sync"), 0, "%s", err);
	cr_assert_eq(set("sync", "true"), -EINVAL, "fio refuses it too");
	ASSERT_ERR_HAS("expected none, 0, sync, 1 or dsync");
	cr_assert_eq(job.write_flags, ZH_NVME_IO_SYNC, "a refused value changes nothing");
	cr_assert_eq(parse_str("[a]\nrw=put\nsize=1m\nsync=1\n"), -EINVAL);
	ASSERT_ERR_HAS("'sync' are for block jobs");
}

Test(bench_job, startdelay_takes_a_time_or_a_range)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("startdelay", "2"), 0, "%s", err);
	cr_assert(job.start_delay_ns == 2 * SEC_NS && job.start_delay_max_ns == 2 * SEC_NS);
	cr_assert_eq(set("startdelay", "500ms-3s"), 0, "%s", err);
	cr_assert_eq(job.start_delay_ns, SEC_NS / 2);
	cr_assert_eq(job.start_delay_max_ns, 3 * SEC_NS);
	cr_assert_eq(set("startdelay", "5-1"), -EINVAL);
	ASSERT_ERR_HAS("the shorter time comes first");
	cr_assert_eq(set("startdelay", "x"), -EINVAL);
	cr_assert_eq(set("startdelay", "1-"), -EINVAL);
	cr_assert_eq(job.start_delay_max_ns, 3 * SEC_NS, "a refused value changes nothing");
	cr_assert_eq(parse_str("[a]\nrw=put\nsize=1m\nstartdelay=1\n"), -EINVAL);
	ASSERT_ERR_HAS("'startdelay', 'exitall', 'exitall_on_error' and 'unified_rw_reporting' are "
		       "for block jobs");
	cr_assert_eq(parse_str("[a]\nrw=get\nsize=1m\nexitall\n"), -EINVAL);
}

Test(bench_job, unified_rw_reporting_takes_none_or_mixed)
{
	zh_bench_job_defaults(&job);
	cr_assert_not(job.unified_mixed);
	cr_assert_eq(set("unified_rw_reporting", "mixed"), 0, "%s", err);
	cr_assert(job.unified_mixed);
	cr_assert_eq(set("unified_rw_reporting", "0"), 0, "%s", err);
	cr_assert_not(job.unified_mixed);
	cr_assert_eq(set("unified_rw_reporting", "1"), 0, "%s", err);
	cr_assert(job.unified_mixed);
	cr_assert_eq(set("unified_rw_reporting", "both"), -EINVAL);
	ASSERT_ERR_HAS("expected none, 0, mixed or 1 (both is not supported)");
	cr_assert_eq(set("unified_rw_reporting", "true"), -EINVAL, "fio refuses it too");
	cr_assert(job.unified_mixed, "a refused value changes nothing");
	cr_assert_eq(parse_str("[a]\nrw=put\nsize=1m\nunified_rw_reporting=mixed\n"), -EINVAL);
	ASSERT_ERR_HAS("'unified_rw_reporting' are for block jobs");
}

Test(bench_job, rate_options)
{
	cr_assert_eq(parse_str("[a]\nrate_iops=500\n[b]\nrate_iops=300,100\n[c]\nrate_iops=,100\n"
			       "[d]\nrate=10m\nrate_process=linear\n[e]\nrate=1m,2m,\n"),
		     0, "%s", err);
	cr_assert(jf.jobs[0].rate_iops[0] == 500 && jf.jobs[0].rate_iops[1] == 500, "both");
	cr_assert(jf.jobs[1].rate_iops[0] == 300 && jf.jobs[1].rate_iops[1] == 100);
	cr_assert(jf.jobs[2].rate_iops[0] == 0 && jf.jobs[2].rate_iops[1] == 100, "writes only");
	cr_assert(jf.jobs[3].rate_bytes[0] == 10 << 20 && jf.jobs[3].rate_bytes[1] == 10 << 20);
	cr_assert(jf.jobs[4].rate_bytes[0] == 1 << 20 && jf.jobs[4].rate_bytes[1] == 2 << 20);
	cr_assert_eq(parse_str("[a]\nrate_iops=x\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad value 'x' for 'rate_iops'");
	cr_assert_eq(parse_str("[a]\nrate_iops=1,2,3\n"), -EINVAL);
	ASSERT_ERR_HAS("a trim rate is not supported");
	cr_assert_eq(parse_str("[a]\nrate=1m,2m,3m,4m\n"), -EINVAL);
	ASSERT_ERR_HAS("expected at most read,write,trim");
	cr_assert_eq(parse_str("[a]\nrate_process=poisson\n"), 0, "%s", err);
	cr_assert(jf.jobs[0].rate_poisson);
	cr_assert_eq(parse_str("[a]\nrate_process=gauss\n"), -EINVAL);
	ASSERT_ERR_HAS("expected linear or poisson");
	cr_assert_eq(parse_str("[a]\nrw=put\nrate_iops=10\n"), -EINVAL);
	ASSERT_ERR_HAS("'rate' and 'rate_iops' are for block jobs");
}

Test(bench_job, rate_limited_fixture)
{
	cr_assert_eq(parse_fixture("rate-limited.fio"), 0, "%s", err);
	cr_assert_eq(jf.job_count, 2);
	cr_assert(jf.jobs[0].rate_iops[0] == 4000 && jf.jobs[0].rate_iops[1] == 1000);
	cr_assert_eq(jf.jobs[1].rate_bytes[0], 50 << 20);
}

Test(bench_job, io_amount_and_placement_options)
{
	cr_assert_eq(parse_str("[a]\nio_size=2m\nloops=3\nnumber_ios=10\noffset_increment=1m\n"
			       "[b]\nio_limit=1g\ndirect=1\nbuffered=1\n[c]\nbuffered=0\n"),
		     0, "%s", err);
	cr_assert_eq(jf.jobs[0].io_size_bytes, 2 << 20);
	cr_assert_eq(jf.jobs[0].loops, 3);
	cr_assert_eq(jf.jobs[0].number_ios, 10);
	cr_assert_eq(jf.jobs[0].offset_increment_bytes, 1 << 20);
	cr_assert_eq(jf.jobs[1].io_size_bytes, 1ull << 30, "io_limit is io_size");
	cr_assert_not(jf.jobs[1].direct, "buffered=1 after direct=1 wins");
	cr_assert(jf.jobs[2].direct);
	cr_assert_eq(jf.jobs[2].loops, 1, "fio's default");
	cr_assert_eq(parse_str("[a]\nloops=0\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value '0' for 'loops'");
	cr_assert_eq(parse_str("[a]\nnumber_ios=many\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value 'many' for 'number_ios'");
	cr_assert_eq(parse_str("[a]\nio_size=lots\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value 'lots' for 'io_size'");
}

Test(bench_job, percentile_list)
{
	cr_assert_eq(parse_str("[a]\npercentile_list=99.999:50:1\n[b]\n"), 0, "%s", err);
	cr_assert_eq(jf.jobs[0].pct_count, 3);
	cr_assert(jf.jobs[0].pct_list[0] == 1.0 && jf.jobs[0].pct_list[1] == 50.0 &&
		      jf.jobs[0].pct_list[2] == 99.999,
		  "sorted ascending, as fio reports them");
	cr_assert_eq(jf.jobs[1].pct_count, 0, "fio's default list");
	cr_assert_eq(parse_str("[a]\npercentile_list=0\n"), -EINVAL);
	ASSERT_ERR_HAS("expected numbers in (0, 100] separated by ':'");
	cr_assert_eq(parse_str("[a]\npercentile_list=50:100.1\n"), -EINVAL);
	cr_assert_eq(parse_str("[a]\npercentile_list=50::99\n"), -EINVAL);
	cr_assert_eq(parse_str("[a]\npercentile_list=50,99\n"), -EINVAL);
	cr_assert_eq(parse_str("[a]\npercentile_list=1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:"
			       "18:19:20\n"),
		     0, "%s", err);
	cr_assert_eq(parse_str("[a]\npercentile_list=1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:"
			       "18:19:20:21\n"),
		     -EINVAL);
	ASSERT_ERR_HAS("at most 20 percentiles");
	/* The report's keys are "%f" of each: two that print alike would be one key twice. */
	cr_assert_eq(parse_str("[a]\npercentile_list=50:99:50.0000001\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad value '50:99:50.0000001' for 'percentile_list': "
		       "50.000000 is listed twice");
	cr_assert_eq(parse_str("[a]\npercentile_list=99:99\n"), -EINVAL);
	ASSERT_ERR_HAS("99.000000 is listed twice");
	cr_assert_eq(parse_str("[a]\npercentile_list=50:50.000001\n"), 0, "%s", err);
}

Test(bench_job, buffer_contents)
{
	struct zh_bench_data d;

	cr_assert_eq(parse_str("[a]\nbuffer_compress_percentage=40\nbuffer_compress_chunk=4k\n"
			       "[b]\nbuffer_compress_percentage=40\nzero_buffers\n[c]\n"),
		     0, "%s", err);
	d = zh_bench_job_data(&jf.jobs[0]);
	cr_assert(d.compress_pct == 40 && d.chunk_bytes == 4096);
	d = zh_bench_job_data(&jf.jobs[1]);
	cr_assert(d.compress_pct == 100 && d.chunk_bytes == 512, "zero_buffers wins; fio's chunk");
	d = zh_bench_job_data(&jf.jobs[2]);
	cr_assert_eq(d.compress_pct, 0, "random by default");
	cr_assert_eq(parse_str("[a]\nbuffer_compress_percentage=101\n"), -EINVAL);
	cr_assert_eq(parse_str("[a]\nbuffer_compress_chunk=0\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value '0' for 'buffer_compress_chunk'");
}

/* fio's refill_buffers, and its rule when a job does not say: on for compressible buffers. */
Test(bench_job, refill_buffers)
{
	cr_assert_eq(
	    parse_str("[a]\nrefill_buffers\n[b]\nbuffer_compress_percentage=50\n"
		      "[c]\nbuffer_compress_percentage=50\nrefill_buffers=0\n"
		      "[d]\nzero_buffers\n[e]\n[f]\nrw=put\nbuffer_compress_percentage=50\n"),
	    0, "%s", err);
	cr_assert(zh_bench_job_data(&jf.jobs[0]).refill, "asked for");
	cr_assert(zh_bench_job_data(&jf.jobs[1]).refill, "fio turns it on for compressible data");
	cr_assert_not(zh_bench_job_data(&jf.jobs[2]).refill, "unless the job turns it off");
	cr_assert_not(zh_bench_job_data(&jf.jobs[3]).refill, "zeros need no refill");
	cr_assert_not(zh_bench_job_data(&jf.jobs[4]).refill, "off by default");
	cr_assert_not(zh_bench_job_data(&jf.jobs[5]).refill, "object puts make their own");
	cr_assert_eq(parse_str("[a]\n[b]\nscramble_buffers=0\n[c]\nrefill_buffers\n"
			       "[d]\nbuffer_compress_percentage=50\n[e]\nverify=crc32c\n"
			       "[f]\nzero_buffers\n[g]\nrw=put\n"),
		     0, "%s", err);
	cr_assert(zh_bench_job_data(&jf.jobs[0]).scramble, "fio's default");
	cr_assert_not(zh_bench_job_data(&jf.jobs[1]).scramble);
	cr_assert_not(zh_bench_job_data(&jf.jobs[2]).scramble, "refilled buffers are not");
	cr_assert_not(zh_bench_job_data(&jf.jobs[3]).scramble, "nor compressible ones");
	cr_assert_not(zh_bench_job_data(&jf.jobs[4]).scramble, "nor verify's");
	cr_assert(zh_bench_job_data(&jf.jobs[5]).scramble, "zeros are, as fio's");
	cr_assert_not(zh_bench_job_data(&jf.jobs[6]).scramble, "object puts make their own");
	cr_assert_eq(parse_str("[a]\nrefill_buffers=maybe\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value 'maybe' for 'refill_buffers'");
	cr_assert_eq(parse_str("[a]\nrw=put\nrefill_buffers\n"), -EINVAL);
	ASSERT_ERR_HAS("'refill_buffers' is for block jobs");
}

Test(bench_job, thinktime)
{
	cr_assert_eq(parse_str("[a]\nthinktime=250\n[b]\nthinktime=2ms\nthinktime_blocks=8\n"
			       "thinktime_blocks_type=issue\nthinktime_spin=0\n[c]\n"),
		     0, "%s", err);
	cr_assert_eq(jf.jobs[0].think_ns, 250000, "microseconds without a unit, as fio");
	cr_assert_eq(jf.jobs[0].think_blocks, 1, "fio's default");
	cr_assert_not(jf.jobs[0].think_on_issue, "fio's default counts completed blocks");
	cr_assert_eq(jf.jobs[1].think_ns, 2000000);
	cr_assert_eq(jf.jobs[1].think_blocks, 8);
	cr_assert(jf.jobs[1].think_on_issue);
	cr_assert_eq(jf.jobs[2].think_ns, 0, "off by default");
	cr_assert_eq(parse_str("[a]\nthinktime=5parsecs\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value '5parsecs' for 'thinktime'");
	cr_assert_eq(parse_str("[a]\nthinktime=1\nthinktime_spin=10\n"), -EINVAL);
	ASSERT_ERR_HAS("'thinktime_spin': only 0");
	cr_assert_eq(parse_str("[a]\nthinktime_iotime=1s\n"), -EINVAL);
	ASSERT_ERR_HAS("'thinktime_iotime': only 0");
	cr_assert_eq(parse_str("[a]\nthinktime_blocks_type=sometimes\n"), -EINVAL);
	ASSERT_ERR_HAS("expected complete or issue");
	cr_assert_eq(parse_str("[a]\nthinktime_blocks=0\n"), -EINVAL);
	cr_assert_eq(parse_str("[a]\nrw=put\nthinktime=1ms\n"), -EINVAL);
	ASSERT_ERR_HAS("'thinktime' is for block jobs");
	cr_assert_eq(parse_str("[a]\nthinktime=1ms\nrate_iops=100\n"), -EINVAL);
	ASSERT_ERR_HAS("'thinktime' with 'rate' or 'rate_iops'");
}

Test(bench_job, gtod_reduce_and_disable_options)
{
	cr_assert_eq(parse_str("[a]\ngtod_reduce=1\n[b]\ngtod_reduce=1\ngtod_reduce=0\n"
			       "[c]\ndisable_slat=1\ndisable_bw=1\n[d]\ndisable_clat\n"
			       "disable_lat\ndisable_bw_measurement=1\n"),
		     0, "%s", err);
	cr_assert(jf.jobs[0].disable_slat && jf.jobs[0].disable_clat && jf.jobs[0].disable_lat &&
		  jf.jobs[0].disable_bw);
	cr_assert_not(jf.jobs[1].disable_slat || jf.jobs[1].disable_clat ||
		      jf.jobs[1].disable_lat || jf.jobs[1].disable_bw);
	cr_assert(jf.jobs[2].disable_slat && !jf.jobs[2].disable_clat && jf.jobs[2].disable_bw);
	cr_assert(!jf.jobs[3].disable_slat && jf.jobs[3].disable_clat && jf.jobs[3].disable_lat &&
		  jf.jobs[3].disable_bw);
	cr_assert_eq(parse_str("[a]\nrw=put\ngtod_reduce=1\n"), -EINVAL);
	ASSERT_ERR_HAS("'gtod_reduce' and 'disable_*' are for block jobs");
	cr_assert_eq(parse_str("[a]\ndisable_clat=1\nwrite_lat_log=x\n"), -EINVAL);
	ASSERT_ERR_HAS("'write_lat_log' logs the latencies");
	cr_assert_eq(parse_str("[a]\ngtod_reduce=1\nwrite_iops_log=x\n"), -EINVAL);
	ASSERT_ERR_HAS("'write_bw_log' and 'write_iops_log' log the samples");
	cr_assert_eq(parse_str("[a]\ndisable_slat=1\nwrite_bw_log=x\n"), 0, "%s", err);
}

Test(bench_job, verify_refusals)
{
	cr_assert_eq(parse_str("[a]\nrw=randrw\nverify=crc32c\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify' is for read or write jobs");
	cr_assert_eq(parse_str("[a]\nrw=put\nverify=crc32c\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify' is for read or write jobs");
	cr_assert_eq(parse_str("[a]\nrw=write\nbs=32\nverify=crc32c\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify=crc32c' needs a bs of at least 64 bytes");
	cr_assert_eq(parse_str("[a]\nrw=write\nbs=64\nverify=sha512\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify=sha512' needs a bs of at least 128 bytes");
}

/* Both kinds run as the one device flush, so asking for both is refused, not merged. */
Test(bench_job, fsync_and_fdatasync_together_are_refused)
{
	cr_assert_eq(parse_str("[global]\nfsync=4\n[a]\nfdatasync=2\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:3:");
	ASSERT_ERR_HAS("'fsync' and 'fdatasync' together");
}

Test(bench_job, zstd_level_is_for_object_jobs)
{
	cr_assert_eq(parse_str("[a]\nrw=put\n[b]\nrw=put\nzstd_level=0\n[c]\nrw=get\n"
			       "zstd_level=19\n[d]\nrw=put\nzstd_level=auto\n"),
		     0, "%s", err);
	cr_assert_eq(jf.jobs[0].zstd_level, ZH_BENCH_ZSTD_AUTO, "auto unless told");
	cr_assert_eq(jf.jobs[1].zstd_level, 0);
	cr_assert_eq(jf.jobs[2].zstd_level, 19);
	cr_assert_eq(jf.jobs[3].zstd_level, ZH_BENCH_ZSTD_AUTO);
	cr_assert_eq(parse_str("[a]\nrw=put\nzstd_level=20\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:3: bad value '20' for 'zstd_level'");
	ASSERT_ERR_HAS("expected auto or a level from 0");
	cr_assert_eq(parse_str("[a]\nrw=put\nzstd_level=3x\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value '3x'");
	cr_assert_eq(parse_str("[a]\nrw=put\nzstd_level=-1\n"), -EINVAL);
	cr_assert_eq(parse_str("[a]\nrw=randwrite\nzstd_level=1\n"), -EINVAL);
	ASSERT_ERR_HAS("'zstd_level' is for object jobs");
}

Test(bench_job, sync_options_on_object_jobs_are_refused)
{
	cr_assert_eq(parse_str("[a]\nrw=put\nend_fsync=1\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:1:");
	ASSERT_ERR_HAS("are for block jobs");
	cr_assert_eq(parse_str("[a]\nrw=get\nfsync=1\n"), -EINVAL);
	ASSERT_ERR_HAS("are for block jobs");
}

/* ---- individual options ------------------------------------------------------------------ */

Test(bench_job, every_size_suffix)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
	    {"0", 0},
	    {"4096", 4096},
	    {"4096b", 4096},
	    {"4096B", 4096},
	    {"0x1000", 4096},
	    {"4k", 4096},
	    {"4K", 4096},
	    {"4kb", 4096},
	    {"4KB", 4096},
	    {"4KiB", 4096},
	    {"4kib", 4096},
	    {"3m", 3ull << 20},
	    {"3M", 3ull << 20},
	    {"3MB", 3ull << 20},
	    {"3MiB", 3ull << 20},
	    {"2g", 2ull << 30},
	    {"2G", 2ull << 30},
	    {"2GB", 2ull << 30},
	    {"2GiB", 2ull << 30},
	    {"5t", 5ull << 40},
	    {"5T", 5ull << 40},
	    {"5TB", 5ull << 40},
	    {"5TiB", 5ull << 40},
	    {"1p", 1ull << 50},
	    {"1PiB", 1ull << 50},
	    {"16383p", 16383ull << 50},
	    {"18446744073709551615", UINT64_MAX},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("size", cases[i].text), 0, "%s: %s", cases[i].text, err);
		cr_assert_eq(job.size_bytes, cases[i].bytes, "%s", cases[i].text);
		cr_assert_eq(job.size_pct, 0);
		cr_assert_eq(set("offset", cases[i].text), 0, "%s: %s", cases[i].text, err);
		cr_assert_eq(job.offset_bytes, cases[i].bytes, "%s", cases[i].text);
	}
}

Test(bench_job, bad_sizes_are_refused)
{
	static const char *const bad[] = {
	    "",
	    "-1",
	    "+4k",
	    " 4k",
	    "4k ",
	    "4 k",
	    "k",
	    "4x",
	    "4kk",
	    "1.5g",
	    "4kbb",
	    "4kibx",
	    "0x1k",
	    "0x",
	    "16384p",
	    "18446744073709551616",
	    "17179869184g",
	    "4%",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("offset", bad[i]), -EINVAL, "'%s' accepted", bad[i]);
		ASSERT_ERR_HAS("for 'offset'");
		cr_assert_eq(job.offset_bytes, 0);
	}
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("size", "16384p"), -EINVAL);
	ASSERT_ERR_HAS("does not fit in 64 bits");
	cr_assert_eq(set("size", "-5"), -EINVAL);
	ASSERT_ERR_HAS("bad value '-5' for 'size': expected a size like 4k");
}

Test(bench_job, size_percentage)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("size", "50%"), 0, "%s", err);
	cr_assert_eq(job.size_pct, 50);
	cr_assert_eq(job.size_bytes, 0);
	cr_assert_eq(set("size", "100%"), 0, "%s", err);
	cr_assert_eq(job.size_pct, 100);
	cr_assert_eq(set("size", "1g"), 0, "%s", err);
	cr_assert_eq(job.size_pct, 0);
	cr_assert_eq(job.size_bytes, GIB);
	cr_assert_eq(set("size", "0%"), -EINVAL);
	ASSERT_ERR_HAS("1% to 100%");
	cr_assert_eq(set("size", "101%"), -EINVAL);
	cr_assert_eq(set("size", "5%%"), -EINVAL);
	cr_assert_eq(set("offset", "10%"), -EINVAL);
	ASSERT_ERR_HAS("percentage offsets are not supported");
	cr_assert_eq(job.size_bytes, GIB);
}

Test(bench_job, every_time_suffix)
{
	static const struct {
		const char *text;
		uint64_t ns;
	} cases[] = {
	    {"0", 0},
	    {"30", 30 * SEC_NS},
	    {"30s", 30 * SEC_NS},
	    {"30S", 30 * SEC_NS},
	    {"30sec", 30 * SEC_NS},
	    {"500ms", 500000000ull},
	    {"500msec", 500000000ull},
	    {"500MS", 500000000ull},
	    {"250us", 250000ull},
	    {"250usec", 250000ull},
	    {"2m", 120 * SEC_NS},
	    {"2min", 120 * SEC_NS},
	    {"3h", 3 * 3600 * SEC_NS},
	    {"1d", 86400 * SEC_NS},
	    {"1D", 86400 * SEC_NS},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("runtime", cases[i].text), 0, "%s: %s", cases[i].text, err);
		cr_assert_eq(job.runtime_ns, cases[i].ns, "%s", cases[i].text);
		cr_assert_eq(set("ramp_time", cases[i].text), 0, "%s: %s", cases[i].text, err);
		cr_assert_eq(job.ramp_ns, cases[i].ns, "%s", cases[i].text);
	}
}

Test(bench_job, bad_times_are_refused)
{
	static const char *const bad[] = {
	    "", "-1", "1.5s", "10x", "ns", "5ns", "1 s", "213504d", "18446744073709551615"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("runtime", bad[i]), -EINVAL, "'%s' accepted", bad[i]);
		ASSERT_ERR_HAS("for 'runtime'");
		cr_assert_eq(job.runtime_ns, 0);
	}
	/* 53376 days is past 2^62 ns, the longest time an option takes; 53375 days is not. */
	cr_assert_eq(set("runtime", "53376d"), -EINVAL);
	cr_assert_eq(set("runtime", "53375d"), 0, "%s", err);
	cr_assert_eq(job.runtime_ns, 53375ull * 86400 * SEC_NS);
}

Test(bench_job, rwmix_options)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("rwmixwrite", "30"), 0, "%s", err);
	cr_assert_eq(job.rwmixread_pct, 70);
	cr_assert_eq(set("rwmixread", "90"), 0, "%s", err);
	cr_assert_eq(job.rwmixread_pct, 90);
	cr_assert_eq(set("rwmixwrite", "100"), 0, "%s", err);
	cr_assert_eq(job.rwmixread_pct, 0);
	cr_assert_eq(set("rwmixwrite", "0"), 0, "%s", err);
	cr_assert_eq(job.rwmixread_pct, 100);
	cr_assert_eq(set("rwmixread", "101"), -EINVAL);
	ASSERT_ERR_HAS("'rwmixread'");
	cr_assert_eq(set("rwmixwrite", "-1"), -EINVAL);
	cr_assert_eq(set("rwmixwrite", NULL), -EINVAL);
	ASSERT_ERR_HAS("option 'rwmixwrite' requires a value");
	cr_assert_eq(job.rwmixread_pct, 100);
}

Test(bench_job, rw_values)
{
	static const struct {
		const char *text;
		enum zh_bench_rw rw;
	} ok[] = {
	    {"read", ZH_BENCH_RW_READ},
	    {"write", ZH_BENCH_RW_WRITE},
	    {"randread", ZH_BENCH_RW_RANDREAD},
	    {"randwrite", ZH_BENCH_RW_RANDWRITE},
	    {"rw", ZH_BENCH_RW_RW},
	    {"readwrite", ZH_BENCH_RW_RW},
	    {"randrw", ZH_BENCH_RW_RANDRW},
	};
	static const char *const bad[] = {"trim", "randtrim", "trimwrite", "randread:0", "Read",
					  "",	  "readx",    "read:4q",   "put:4",	 "read:"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("rw", ok[i].text), 0, "%s", err);
		cr_assert_eq(job.rw, ok[i].rw);
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("readwrite", ok[i].text), 0, "%s", err);
		cr_assert_eq(job.rw, ok[i].rw);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("rw", bad[i]), -EINVAL, "'%s' accepted", bad[i]);
		ASSERT_ERR_HAS("for 'rw'");
		cr_assert_eq(job.rw, ZH_BENCH_RW_READ);
	}
	cr_assert_eq(set("rw", "randread:0"), -EINVAL);
	ASSERT_ERR_HAS("expected a count of I/Os after ':', as in randread:8");
	cr_assert_eq(set("rw", "write:4q"), -EINVAL);
	ASSERT_ERR_HAS("expected a size after ':', as in write:4k or read:-8k");
}

/* fio's rw=MODE:N: a count for random modes, a signed size for sequential ones. */
Test(bench_job, rw_offset_modifiers)
{
	zh_bench_job_defaults(&job);
	cr_assert(job.seq_every == 1 && job.seq_add == 0 && !job.seq_identical, "fio's defaults");
	cr_assert_eq(set("rw", "randread:8"), 0, "%s", err);
	cr_assert(job.rw == ZH_BENCH_RW_RANDREAD && job.seq_every == 8);
	cr_assert_eq(set("rw", "read:-8k"), 0, "%s", err);
	cr_assert(job.rw == ZH_BENCH_RW_READ && job.seq_add == -8192 && job.seq_every == 1);
	cr_assert_eq(set("rw", "write:4k"), 0, "%s", err);
	cr_assert_eq(job.seq_add, 4096);
	cr_assert_eq(set("rw", "randwrite"), 0, "%s", err);
	cr_assert(job.seq_add == 0 && job.seq_every == 1, "a plain mode clears the modifier");
	cr_assert_eq(set("rw_sequencer", "identical"), 0, "%s", err);
	cr_assert(job.seq_identical);
	cr_assert_eq(set("rw_sequencer", "backwards"), -EINVAL);
	ASSERT_ERR_HAS("expected sequential or identical");
	cr_assert_eq(parse_str("[a]\nrw=randread:4\npercentage_random=50\n"), -EINVAL);
	ASSERT_ERR_HAS("both choose which I/Os follow on");
	cr_assert_eq(parse_str("[a]\nrw=write:6k\nverify=crc32c\n"), -EINVAL);
	ASSERT_ERR_HAS("must be a multiple of bs");
	cr_assert_eq(parse_str("[a]\nrw=write:8k\nverify=crc32c\n"), 0, "%s", err);
}

Test(bench_job, block_size)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("bs", "1g"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 1u << 30);
	cr_assert_eq(set("blocksize", "512"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 512);
	cr_assert_eq(set("bs", "1"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 1);
	cr_assert_eq(set("bs", "4k-8k"), -EINVAL);
	ASSERT_ERR_HAS("bad value '4k-8k' for 'bs': a range goes in bsrange=4k-16k");
	cr_assert_eq(set("bs", "4k/50:8k/50"), -EINVAL);
	ASSERT_ERR_HAS("a mix of sizes goes in bssplit=");
	cr_assert_eq(set("bs", "0"), -EINVAL);
	cr_assert_eq(set("bs", "1073741825"), -EINVAL);
	cr_assert_eq(set("bs", "2g"), -EINVAL);
	ASSERT_ERR_HAS("from 1 byte to 1g");
	cr_assert_eq(set("bs", NULL), -EINVAL);
	ASSERT_ERR_HAS("option 'bs' requires a value");
	cr_assert_eq(zh_bench_job_bs(&job), 1);
}

/* fio's bs=READ,WRITE: one value is both, an empty field leaves its direction. */
Test(bench_job, block_size_per_direction)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("bs", "4k,64k"), 0, "%s", err);
	cr_assert_eq(job.bs[0].min_bytes, 4096);
	cr_assert_eq(job.bs[1].min_bytes, 65536);
	cr_assert_eq(zh_bench_job_bs(&job), 4096, "a read job reads 4k");
	cr_assert_eq(set("rw", "randwrite"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 65536);
	cr_assert_eq(set("rw", "randrw"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 0, "reads and writes differ");
	cr_assert_eq(zh_bench_job_bs_max(&job), 65536);
	cr_assert_eq(set("rwmixread", "100"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 4096, "a mix of only reads reads 4k");
	cr_assert_eq(set("bs", ",8k"), 0, "%s", err);
	cr_assert_eq(job.bs[0].min_bytes, 4096);
	cr_assert_eq(job.bs[1].min_bytes, 8192);
	cr_assert_eq(set("bs", "4k,8k,4k"), -EINVAL);
	ASSERT_ERR_HAS("a trim block size is not supported");
	cr_assert_eq(set("bs", "4k,x"), -EINVAL);
	ASSERT_ERR_HAS("expected a size like 4k");
	cr_assert_eq(job.bs[1].min_bytes, 8192, "a refused value changes nothing");
}

Test(bench_job, block_size_range)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("bsrange", "4k-16k"), 0, "%s", err);
	for (unsigned d = 0; d < 2; d++) {
		cr_assert_eq(job.bs[d].kind, ZH_BENCH_BS_RANGE);
		cr_assert_eq(job.bs[d].min_bytes, 4096);
		cr_assert_eq(job.bs[d].max_bytes, 16384);
	}
	cr_assert_eq(zh_bench_job_bs(&job), 0);
	cr_assert_eq(set("blocksize_range", "1k-4k,8k-1m"), 0, "%s", err);
	cr_assert_eq(job.bs[0].max_bytes, 4096);
	cr_assert_eq(job.bs[1].min_bytes, 8192);
	cr_assert_eq(job.bs[1].max_bytes, 1024 * 1024);
	cr_assert_eq(set("bsrange", "8k"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_bs(&job), 8192, "a range of one size is that size");
	cr_assert_eq(set("bsrange", "16k-4k"), -EINVAL);
	ASSERT_ERR_HAS("the smallest size comes first");
	cr_assert_eq(set("bsrange", "4k-2g"), -EINVAL);
	ASSERT_ERR_HAS("from 1 byte to 1g");
	cr_assert_eq(set("bsrange", "4k-"), -EINVAL);
}

static void assert_split(unsigned d, uint32_t n, const uint32_t *bytes, const uint32_t *share)
{
	cr_assert_eq(job.bs[d].kind, ZH_BENCH_BS_SPLIT);
	cr_assert_eq(job.bs[d].split_count, n);
	for (uint32_t i = 0; i < n; i++) {
		cr_assert_eq(job.bs[d].split_bytes[i], bytes[i], "entry %u", i);
		cr_assert_eq(job.bs[d].split_share[i], share[i], "entry %u: %u", i,
			     job.bs[d].split_share[i]);
	}
}

Test(bench_job, block_size_split)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("bssplit", "4k/50:64k/50"), 0, "%s", err);
	assert_split(0, 2, (uint32_t[]){4096, 65536}, (uint32_t[]){500000, 500000});
	assert_split(1, 2, (uint32_t[]){4096, 65536}, (uint32_t[]){500000, 500000});
	cr_assert_eq(job.bs[0].min_bytes, 4096);
	cr_assert_eq(job.bs[0].max_bytes, 65536);
	/* fio's example: what has no share splits what is left. */
	cr_assert_eq(set("bssplit", "4k:64k/20"), 0, "%s", err);
	assert_split(0, 2, (uint32_t[]){4096, 65536}, (uint32_t[]){800000, 200000});
	cr_assert_eq(set("bssplit", "4k:8k:16k"), 0, "%s", err);
	assert_split(0, 3, (uint32_t[]){4096, 8192, 16384}, (uint32_t[]){333333, 333333, 333334});
	cr_assert_eq(set("bssplit", "4k/10.5:8k/89.5,16k"), 0, "%s", err);
	assert_split(0, 2, (uint32_t[]){4096, 8192}, (uint32_t[]){105000, 895000});
	assert_split(1, 1, (uint32_t[]){16384}, (uint32_t[]){1000000});
	cr_assert_eq(set("bssplit", "4k/100:8k"), 0, "%s", err);
	assert_split(0, 2, (uint32_t[]){4096, 8192}, (uint32_t[]){1000000, 0});
}

Test(bench_job, block_size_split_refusals)
{
	char many[1024] = "";

	zh_bench_job_defaults(&job);
	/* fio would give the missing 40% to one of the sizes; a typo should not pass. */
	cr_assert_eq(set("bssplit", "4k/30:64k/30"), -EINVAL);
	ASSERT_ERR_HAS(
	    "bad value '4k/30:64k/30' for 'bssplit': the percentages must add up to 100");
	cr_assert_eq(set("bssplit", "4k/60:64k/60"), -EINVAL);
	ASSERT_ERR_HAS("add up to 100");
	cr_assert_eq(set("bssplit", "4k/70:8k/40:16k"), -EINVAL);
	ASSERT_ERR_HAS("add up to 100");
	cr_assert_eq(set("bssplit", "4k/12.34567:8k"), -EINVAL);
	ASSERT_ERR_HAS("at most 4 decimals");
	cr_assert_eq(set("bssplit", "4k/101"), -EINVAL);
	cr_assert_eq(set("bssplit", "4k/-5:8k"), -EINVAL);
	cr_assert_eq(set("bssplit", "4k/5%:8k"), -EINVAL);
	cr_assert_eq(set("bssplit", "0/50:8k/50"), -EINVAL);
	ASSERT_ERR_HAS("from 1 byte to 1g");
	cr_assert_eq(set("bssplit", "4k/50::8k/50"), -EINVAL);
	cr_assert_eq(set("bssplit", "4k,8k,4k"), -EINVAL);
	ASSERT_ERR_HAS("a trim block size is not supported");
	for (int i = 0; i < 65; i++)
		strcat(many, i == 0 ? "4k" : ":4k");
	cr_assert_eq(set("bssplit", many), -EINVAL);
	ASSERT_ERR_HAS("at most 64 sizes");
	many[strlen(many) - 3] = '\0';
	cr_assert_eq(set("bssplit", many), 0, "64 sizes: %s", err);
	cr_assert_eq(job.bs[0].split_count, 64);
	cr_assert_eq(set("bssplit", "4k/50:8k/x"), -EINVAL);
	cr_assert_eq(job.bs[0].split_count, 64, "a refused value changes nothing");
}

/* fio ranks them bssplit > bsrange > bs, whichever comes last. */
Test(bench_job, block_size_options_rank_as_fio)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("bssplit", "4k/50:64k/50"), 0, "%s", err);
	cr_assert_eq(set("bsrange", "4k-16k"), 0, "%s", err);
	cr_assert_eq(set("bs", "8k"), 0, "%s", err);
	cr_assert_eq(job.bs[0].kind, ZH_BENCH_BS_SPLIT);
	cr_assert_eq(job.bs[1].max_bytes, 65536);
	cr_assert_eq(parse_str("[global]\nbsrange=4k-16k\n[a]\nbs=8k\n[b]\nbssplit=,4k/50:8k/50\n"),
		     0, "%s", err);
	cr_assert_eq(jf.jobs[0].bs[0].kind, ZH_BENCH_BS_RANGE, "[global]'s bsrange beats bs");
	cr_assert_eq(jf.jobs[1].bs[0].kind, ZH_BENCH_BS_RANGE);
	cr_assert_eq(jf.jobs[1].bs[1].kind, ZH_BENCH_BS_SPLIT);
	cr_assert_eq(jf.jobs[1].bs[1].max_bytes, 8192);
}

Test(bench_job, block_sizes_that_vary_are_refused_where_one_is_needed)
{
	cr_assert_eq(parse_str("[a]\nrw=put\nbssplit=4k/50:8k/50\nsize=1m\n"), -EINVAL);
	ASSERT_ERR_HAS("an object job's 'bs' is one object size");
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=crc32c\nbsrange=4k-8k\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify' needs one block size");
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=crc32c\nbs=4k,8k\n"), 0,
		     "a writing job writes (and reads back) one size: %s", err);
	cr_assert_eq(zh_bench_job_bs(&jf.jobs[0]), 8192);
	cr_assert_eq(parse_str("[a]\nrw=randrw\nbssplit=4k/50:64k/50\nsize=32k\n"), -EINVAL);
	ASSERT_ERR_HAS("is smaller than the largest block (65536 bytes)");
}

Test(bench_job, blockalign)
{
	zh_bench_job_defaults(&job);
	cr_assert(job.blockalign[0] == 0 && job.blockalign[1] == 0, "default: the smallest size");
	cr_assert_eq(set("ba", "8k"), 0, "%s", err);
	cr_assert(job.blockalign[0] == 8192 && job.blockalign[1] == 8192);
	cr_assert_eq(set("blockalign", ",16k"), 0, "%s", err);
	cr_assert(job.blockalign[0] == 8192 && job.blockalign[1] == 16384);
	cr_assert_eq(set("blockalign", "4k,4k,4k"), -EINVAL);
	ASSERT_ERR_HAS("a trim alignment is not supported");
	cr_assert_eq(set("blockalign", "0"), -EINVAL);
	ASSERT_ERR_HAS("bad value '0' for 'blockalign'");
	cr_assert_eq(set("ba", "4q"), -EINVAL);
	cr_assert(job.blockalign[0] == 8192 && job.blockalign[1] == 16384, "refused: unchanged");
	cr_assert_eq(parse_str("[a]\nrw=randwrite\nverify=crc32c\nblockalign=8k\n"), -EINVAL);
	ASSERT_ERR_HAS("'blockalign' is for block jobs without 'verify'");
	cr_assert_eq(parse_str("[a]\nrw=put\nsize=1m\nba=4k\n"), -EINVAL);
	ASSERT_ERR_HAS("'blockalign' is for block jobs");
}

Test(bench_job, latency_target_options)
{
	zh_bench_job_defaults(&job);
	cr_assert(job.lat_target_ns == 0 && job.lat_window_ns == 0 && job.max_lat_ns == 0);
	cr_assert(job.lat_percentile == 100.0 && !job.lat_run, "fio's defaults");
	cr_assert_eq(set("latency_target", "500"), 0, "%s", err);
	cr_assert_eq(job.lat_target_ns, 500000, "microseconds without a unit, as fio");
	cr_assert_eq(set("latency_window", "2s"), 0, "%s", err);
	cr_assert_eq(job.lat_window_ns, 2 * SEC_NS);
	cr_assert_eq(set("latency_percentile", "99.9"), 0, "%s", err);
	cr_assert(job.lat_percentile == 99.9);
	cr_assert_eq(set("latency_run", "1"), 0, "%s", err);
	cr_assert(job.lat_run);
	cr_assert_eq(set("max_latency", "10ms"), 0, "%s", err);
	cr_assert_eq(job.max_lat_ns, 10000000);
	for (int i = 0; i < 4; i++) {
		static const char *const bad[] = {"0", "100.5", "x", "50%"};

		cr_assert_eq(set("latency_percentile", bad[i]), -EINVAL, "%s", bad[i]);
		ASSERT_ERR_HAS("expected a percentage above 0, up to 100");
	}
	cr_assert(job.lat_percentile == 99.9, "refused: unchanged");
	cr_assert_eq(set("latency_target", "soon"), -EINVAL);
	ASSERT_ERR_HAS("bad value 'soon' for 'latency_target'");
}

Test(bench_job, latency_target_is_refused_where_something_else_paces_the_job)
{
	static const char *const with[] = {"verify=crc32c\nrw=write", "rate_iops=100",
					   "thinktime=10", "rw=put"};

	for (int i = 0; i < 4; i++) {
		char text[256];

		snprintf(text, sizeof(text), "[a]\nsize=1m\nlatency_target=1ms\n%s\n", with[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "%s", with[i]);
		ASSERT_ERR_HAS("'latency_target' and 'max_latency' are for block jobs without");
		snprintf(text, sizeof(text), "[a]\nsize=1m\nmax_latency=1ms\n%s\n", with[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "%s", with[i]);
	}
}

Test(bench_job, random_generator)
{
	zh_bench_job_defaults(&job);
	cr_assert_not(job.lfsr, "fio's default: tausworthe");
	cr_assert_eq(set("random_generator", "lfsr"), 0, "%s", err);
	cr_assert(job.lfsr);
	cr_assert_eq(set("random_generator", "tausworthe64"), 0, "%s", err);
	cr_assert_not(job.lfsr);
	cr_assert_eq(set("random_generator", "mt19937"), -EINVAL);
	ASSERT_ERR_HAS("expected tausworthe, tausworthe64 or lfsr");
	cr_assert_eq(parse_str("[a]\nrw=randread\nrandom_generator=lfsr\n"), 0, "%s", err);
	for (int i = 0; i < 4; i++) {
		static const char *const with[] = {"rw=read", "rw=randread\nbsrange=4k-8k",
						   "rw=randread\nrandom_distribution=zipf:1.2",
						   "rw=randread\npercentage_random=50"};
		char text[256];

		snprintf(text, sizeof(text), "[a]\nrandom_generator=lfsr\n%s\n", with[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "%s", with[i]);
		ASSERT_ERR_HAS(
		    "'random_generator=lfsr' walks the blocks of a random job of one size");
	}
}

Test(bench_job, steadystate_options)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(job.ss.seconds, 0, "off until ss_dur");
	cr_assert(job.ss.slope && job.ss.pct && !job.ss.bw && job.ss.limit == 0.01,
		  "fio's default iops_slope:0.01%%");
	cr_assert_eq(set("ss", "iops:10%"), 0, "%s", err);
	cr_assert(!job.ss.bw && !job.ss.slope && job.ss.pct && job.ss.limit == 10.0);
	cr_assert_eq(set("steadystate", "bw_slope:1048576"), 0, "%s", err);
	cr_assert(job.ss.bw && job.ss.slope && !job.ss.pct && job.ss.limit == 1048576.0);
	cr_assert_eq(set("ss_dur", "30s"), 0, "%s", err);
	cr_assert_eq(job.ss.seconds, 30);
	cr_assert_eq(set("steadystate_duration", "2m"), 0, "%s", err);
	cr_assert_eq(job.ss.seconds, 120);
	cr_assert_eq(set("ss_ramp", "10s"), 0, "%s", err);
	cr_assert_eq(job.ss_ramp_ns, 10 * SEC_NS);
	for (int i = 0; i < 5; i++) {
		static const char *const bad[] = {"iops", "lat:10%", "iops:0", "iops:x%",
						  "iops:5%%"};

		cr_assert_eq(set("ss", bad[i]), -EINVAL, "%s", bad[i]);
		ASSERT_ERR_HAS("for 'ss'");
	}
	cr_assert_eq(set("ss_dur", "1500ms"), -EINVAL);
	ASSERT_ERR_HAS("expected whole seconds");
	cr_assert_eq(set("ss_dur", "2h"), -EINVAL);
	cr_assert_eq(parse_str("[a]\nrw=put\nsize=1m\nss_dur=10\n"), -EINVAL);
	ASSERT_ERR_HAS("'ss_dur' (steady state) is for block jobs");
}

/* One second has no slope (fio divides by zero; the NaN never attains): refused for slopes. */
Test(bench_job, a_slope_needs_two_seconds_of_steady_state)
{
	static const char *const refused[] = {"ss=iops_slope:1%\nss_dur=1s", "ss_dur=1",
					      "ss_dur=1\nss=bw_slope:1048576"};
	static const char *const taken[] = {"ss=iops:10%\nss_dur=1s", "ss=bw_slope:1%\nss_dur=2s",
					    "ss_dur=2"};
	char text[128];

	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "[a]\n%s\n", refused[i]);
		cr_assert_eq(parse_str(text), -EINVAL, "%s", refused[i]);
		ASSERT_ERR_HAS("job 'a': a slope (ss=");
		ASSERT_ERR_HAS("needs ss_dur of at least 2 s");
		snprintf(text, sizeof(text), "[a]\n%s\n", taken[i]);
		cr_assert_eq(parse_str(text), 0, "%s: %s", taken[i], err);
	}
}

Test(bench_job, filesize_nrfiles_and_unlink)
{
	cr_assert_eq(parse_str("[a]\nfilesize=2g\nsize=1g\nnrfiles=1\nunlink=1\n[b]\n"), 0, "%s",
		     err);
	cr_assert_eq(jf.jobs[0].filesize_bytes, 2 * GIB);
	cr_assert_eq(jf.jobs[0].size_bytes, GIB);
	cr_assert(jf.jobs[0].unlink);
	cr_assert(jf.jobs[1].filesize_bytes == 0 && !jf.jobs[1].unlink, "fio's defaults");
	cr_assert_eq(parse_str("[a]\nfilesize=1g-2g\n"), -EINVAL);
	ASSERT_ERR_HAS("a range of file sizes is not supported");
	cr_assert_eq(parse_str("[a]\nfilesize=10%\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value '10%' for 'filesize'");
	cr_assert_eq(parse_str("[a]\nnrfiles=17\n"), -EINVAL);
	ASSERT_ERR_HAS("expected a number of files from 1 to 16");
}

/* Several files per job: nrfiles, or filename's ':' list ("\\:" a colon in a name). */
Test(bench_job, several_files)
{
	static const char *const bad[][2] = {
	    {"[a]\nfilename=a::b\n", "'filename' has an empty name"},
	    {"[a]\nfilename=a:\n", "'filename' has an empty name"},
	    {"[a]\nfilename=:a\n", "'filename' has an empty name"},
	    {"[a]\nfilename=a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q\n", "more than 16 files"},
	    {"[a]\nnrfiles=2\nrw=write\nverify=crc32c\n", "several files take a block job"},
	    {"[a]\nnrfiles=2\nbssplit=4k/50:8k/50\n", "of one block size"},
	    {"[a]\nnrfiles=2\nrw=write\nend_fsync=1\n", "'end_fsync'"},
	    {"[a]\nnrfiles=2\nrw=write:4k\n", "rw=MODE:N modifier"},
	    {"[a]\nnrfiles=2\nrw=put\n", "several files take a block job"},
	    {"[a]\nfile_service_type=zipf\n", "expected roundrobin[:N], random[:N] or sequential"},
	    {"[a]\nfile_service_type=sequential:2\n", "expected roundrobin[:N], random[:N]"},
	    {"[a]\nfile_service_type=roundrobins:2\n", "expected roundrobin[:N], random[:N]"},
	    {"[a]\nfile_service_type=roundrobin:0\n", "the switch count N of roundrobin:N"},
	    {"[a]\nfile_service_type=random:x\n", "the switch count N of roundrobin:N"},
	    {"[a]\nnrfiles=2\nrw=randread\nrandom_generator=lfsr\nfile_service_type=random:2\n",
	     "or a file switch count"},
	};
	char name[64];

	cr_assert_eq(parse_str("[a]\nnrfiles=4\n"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_file_count(&jf.jobs[0]), 4);
	cr_assert(!jf.jobs[0].file_service_sequential, "fio's default is roundrobin");
	cr_assert_eq(
	    parse_str("[a]\nnrfiles=4\nfilename=/x\\:y:/z\nfile_service_type=sequential\n"), 0,
	    "%s", err);
	cr_assert_eq(zh_bench_job_file_count(&jf.jobs[0]), 2, "the names win over nrfiles");
	cr_assert(jf.jobs[0].file_service_sequential && !jf.jobs[0].file_service_random);
	cr_assert_eq(zh_bench_job_file_name(&jf.jobs[0], 0, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "/x:y");
	cr_assert_eq(zh_bench_job_file_name(&jf.jobs[0], 1, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "/z");
	cr_assert_eq(zh_bench_job_file_name(&jf.jobs[0], 2, name, sizeof(name)), -ENOENT);
	cr_assert_eq(zh_bench_job_file_name(&jf.jobs[0], 0, name, 4), -ENAMETOOLONG);
	cr_assert_eq(parse_str("[a]\nfilename=a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p\nrw=randread\n"), 0,
		     "%s", err);
	cr_assert_eq(zh_bench_job_file_count(&jf.jobs[0]), 16);
	cr_assert_eq(parse_str("[a]\nnrfiles=2\nfile_service_type=random\n"), 0, "%s", err);
	cr_assert(jf.jobs[0].file_service_random && !jf.jobs[0].file_service_sequential);
	cr_assert_eq(jf.jobs[0].file_service_every, 1, "fio's default: a switch every I/O");
	cr_assert_eq(parse_str("[a]\nnrfiles=2\nfile_service_type=roundrobin:8\n"), 0, "%s", err);
	cr_assert(!jf.jobs[0].file_service_random && jf.jobs[0].file_service_every == 8);
	cr_assert_eq(parse_str("[a]\nnrfiles=2\nfile_service_type=random:3\n"), 0, "%s", err);
	cr_assert(jf.jobs[0].file_service_random && jf.jobs[0].file_service_every == 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_str(bad[i][0]), -EINVAL, "%s", bad[i][0]);
		ASSERT_ERR_HAS(bad[i][1]);
	}
}

Test(bench_job, random_distribution)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_RANDOM, "fio's default is uniform");
	cr_assert_eq(set("random_distribution", "zipf:1.2"), 0, "%s", err);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_ZIPF);
	cr_assert_float_eq(job.dist.param, 1.2, 1e-12);
	cr_assert_eq(set("random_distribution", "pareto:0.9:0.25"), 0, "%s", err);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_PARETO);
	cr_assert_float_eq(job.dist.center, 0.25, 1e-12);
	cr_assert_eq(set("random_distribution", "normal"), 0, "%s", err);
	cr_assert(job.dist.kind == ZH_BENCH_DIST_NORMAL && job.dist.param == 0.0,
		  "fio's deviation defaults to 0");
	cr_assert_eq(set("random_distribution", "normal:10:0.25"), 0, "%s", err);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_NORMAL);
	cr_assert_float_eq(job.dist.param, 10.0, 1e-12);
	cr_assert_float_eq(job.dist.center, 0.25, 1e-12);
	cr_assert_neq(set("random_distribution", "normal:100"), 0, "fio: 0 <= input < 100");
	cr_assert_neq(set("random_distribution", "normal:-1"), 0);
	cr_assert_eq(set("random_distribution", "zoned:60/10:30/20:8/30:2/40"), 0, "%s", err);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_ZONED);
	cr_assert_eq(job.dist.zone_count, 4);
	cr_assert_eq(job.dist.zone_access[2], 80000);
	cr_assert_eq(job.dist.zone_range[3], 400000);
	/* fio's examples/rand-zones.fio: the last zone's range is what the others leave. */
	cr_assert_eq(set("random_distribution", "zoned:50/5:30/15:20/"), 0, "%s", err);
	cr_assert_eq(job.dist.zone_count, 3);
	cr_assert_eq(job.dist.zone_range[1], 150000);
	cr_assert_eq(job.dist.zone_range[2], 800000);
	cr_assert_eq(set("random_distribution", "zoned:40/10:30:30"), 0, "%s", err);
	cr_assert(job.dist.zone_range[1] == 450000 && job.dist.zone_range[2] == 450000,
		  "two zones without a range split the 90%% left");
	cr_assert_eq(set("random_distribution", "zoned:1/:1/:98/1"), 0, "%s", err);
	cr_assert(job.dist.zone_range[0] == 495000 && job.dist.zone_range[1] == 495000);
	cr_assert_eq(set("random_distribution", "zoned:60/10:40/15"), 0, "%s", err);
	cr_assert_eq(job.dist.zone_range[1], 150000, "ranges under 100%% are kept, as in fio");
	cr_assert_eq(set("random_distribution", "zoned_abs:50/10G:30/100m:20/4k"), 0, "%s", err);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_ZONED_ABS);
	cr_assert_eq(job.dist.zone_count, 3);
	cr_assert_eq(job.dist.zone_bytes[0], 10ull << 30);
	cr_assert_eq(job.dist.zone_bytes[1], 100ull << 20);
	cr_assert_eq(job.dist.zone_access[2], 200000);
	cr_assert_eq(set("random_distribution", "random"), 0, "%s", err);
	cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_RANDOM);
}

Test(bench_job, strided_zones)
{
	static const char *const bad[][2] = {
	    {"[a]\nzonesize=4m\n", "need zonemode=strided"},
	    {"[a]\nzoneskip=4m\n", "need zonemode=strided"},
	    {"[a]\nzonemode=strided\n", "zonemode=strided needs a 'zonesize'"},
	    {"[a]\nzonemode=strided\nzonesize=4m\nverify=crc32c\nrw=write\n",
	     "zonemode=strided is for block jobs without 'verify'"},
	    {"[a]\nzonemode=strided\nzonesize=4m\nrw=randread\nrandom_distribution=zipf:1.2\n",
	     "without 'verify', 'random_distribution'"},
	    {"[a]\nzonemode=strided\nzonesize=4m\nrw=read:4k\n", "or rw=MODE:N"},
	    {"[a]\nzonemode=strided\nzonesize=4m\nzonerange=32k\nbs=64k\n",
	     "'zonerange' (32768 bytes) is smaller than the largest block (65536 bytes)"},
	};

	cr_assert_eq(parse_str("[a]\nzonemode=strided\nzonesize=4m\nzonerange=1m\nzoneskip=8m\n"),
		     0, "%s", err);
	cr_assert(jf.jobs[0].zone_strided);
	cr_assert_eq(zh_bench_job_zone_range(&jf.jobs[0]), 1 << 20);
	cr_assert_eq(jf.jobs[0].zone_skip_bytes, 8 << 20);
	cr_assert_eq(parse_str("[a]\nzonemode=none\n"), 0, "%s", err);
	cr_assert(!jf.jobs[0].zone_strided);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_str(bad[i][0]), -EINVAL, "%s", bad[i][0]);
		ASSERT_ERR_HAS(bad[i][1]);
	}
	cr_assert_eq(parse_str("[a]\nzonemode=zbd\n"), -EINVAL);
	ASSERT_ERR_HAS("expected none or strided (zbd is not supported)");
	cr_assert_eq(parse_str("[a]\nzoneskip=1z\n"), -EINVAL);
	ASSERT_ERR_HAS("expected a size like 4k");
}

/* verify_pattern alone means verify=pattern, as in fio; under a checksum it is the payload. */
Test(bench_job, verify_pattern)
{
	cr_assert_eq(parse_str("[a]\nrw=write\nverify_pattern=0xaa555aa5\n"), 0, "%s", err);
	cr_assert(jf.jobs[0].verify);
	cr_assert_eq(jf.jobs[0].verify_kind, ZH_BENCH_VERIFY_PATTERN);
	cr_assert_eq(jf.jobs[0].verify_pattern.len, 4);
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=md5\nverify_pattern=\"ab\"%o\n"), 0, "%s",
		     err);
	cr_assert_eq(jf.jobs[0].verify_kind, ZH_BENCH_VERIFY_MD5);
	cr_assert_eq(jf.jobs[0].verify_pattern.len, 10);
	cr_assert_eq(parse_str("[global]\nverify_pattern=1\n[a]\nrw=read\nverify=crc32c\n"), 0,
		     "%s", err);
	cr_assert_eq(jf.jobs[0].verify_kind, ZH_BENCH_VERIFY_CRC32C, "a job's verify= wins");
	cr_assert_eq(parse_fixture("verify-pattern.fio"), 0, "%s", err);
	cr_assert(jf.jobs[1].verify && jf.jobs[1].verify_kind == ZH_BENCH_VERIFY_PATTERN);
	cr_assert_eq(jf.jobs[1].verify_pattern.len, 16);
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=pattern\n"), -EINVAL);
	ASSERT_ERR_HAS("verify=pattern needs a 'verify_pattern'");
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=0\nverify_pattern=7\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify_pattern' with verify=0");
	cr_assert_eq(parse_str("[a]\nrw=write\nverify_pattern=0xaa 0xbb\n"), -EINVAL);
	ASSERT_ERR_HAS("bad value '0xaa 0xbb' for 'verify_pattern'");
	cr_assert_eq(parse_str("[a]\nrw=randrw\nverify_pattern=7\n"), -EINVAL);
	ASSERT_ERR_HAS("'verify' is for read or write jobs");
}

/* buffer_pattern: what writes carry, refilled when reads share the buffers, as in fio. */
Test(bench_job, buffer_pattern)
{
	struct zh_bench_data d;

	cr_assert_eq(parse_str("[a]\nrw=write\nbuffer_pattern=\"ab\"0x01\n"), 0, "%s", err);
	d = zh_bench_job_data(&jf.jobs[0]);
	cr_assert_eq(d.pattern.len, 3);
	cr_assert(!d.refill && !d.scramble, "a writer fills its buffers once");
	cr_assert(!jf.jobs[0].verify);
	cr_assert_eq(parse_str("[a]\nrw=randrw\nbuffer_pattern=7\n"), 0, "%s", err);
	cr_assert(zh_bench_job_data(&jf.jobs[0]).refill, "reads overwrite the buffers");
	cr_assert_eq(parse_str("[a]\nrw=write\nbuffer_pattern=%o\n"), -EINVAL);
	ASSERT_ERR_HAS("buffer_pattern takes no %o");
	cr_assert_eq(parse_str("[a]\nrw=write\nbuffer_pattern=1\nverify=crc32c\n"), -EINVAL);
	ASSERT_ERR_HAS("not with 'verify' (use verify_pattern)");
	cr_assert_eq(parse_str("[a]\nrw=write\nbuffer_pattern=1\nzero_buffers=1\n"), -EINVAL);
	ASSERT_ERR_HAS("'buffer_pattern' is what a block job writes");
	cr_assert_eq(parse_str("[a]\nrw=put\nbuffer_pattern=1\n"), -EINVAL);
	ASSERT_ERR_HAS("'buffer_pattern' is what a block job writes");
}

/* fio's NUMA options: node lists as cpus_allowed's; memory local, or bound where the job runs. */
Test(bench_job, numa_options)
{
	static const char *const bad[][3] = {
	    {"numa_cpu_nodes", "x", "expected a NUMA node list"},
	    {"numa_cpu_nodes", "1-0", "expected a NUMA node list"},
	    {"numa_mem_policy", "interleave:0-1", "interleave is not supported"},
	    {"numa_mem_policy", "prefer:0-1", "prefer takes one node"},
	    {"numa_mem_policy", "prefer:all", "expected a NUMA node list"},
	    {"numa_mem_policy", "bind", "expected default, local, bind:NODES"},
	    {"numa_mem_policy", "bind:", "expected a NUMA node list"},
	};

	zh_bench_job_defaults(&job);
	cr_assert_str_empty(job.numa_cpu_nodes);
	cr_assert(!job.numa_mem_bind, "fio's default: no policy");
	cr_assert_eq(set("numa_cpu_nodes", "0-1,3"), 0, "%s", err);
	cr_assert_str_eq(job.numa_cpu_nodes, "0-1,3");
	cr_assert_eq(set("numa_cpu_nodes", "all"), 0, "%s", err);
	cr_assert_str_empty(job.numa_cpu_nodes);
	cr_assert_eq(set("numa_mem_policy", "bind:0,2"), 0, "%s", err);
	cr_assert(job.numa_mem_bind);
	cr_assert_str_eq(job.numa_mem_nodes, "0,2");
	cr_assert_eq(set("numa_mem_policy", "prefer:1"), 0, "%s", err);
	cr_assert_str_eq(job.numa_mem_nodes, "1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(set(bad[i][0], bad[i][1]), -EINVAL, "%s=%s", bad[i][0], bad[i][1]);
		ASSERT_ERR_HAS(bad[i][2]);
		cr_assert(job.numa_mem_bind && strcmp(job.numa_mem_nodes, "1") == 0,
			  "a refused value changes nothing");
	}
	cr_assert_eq(set("numa_mem_policy", "local"), 0, "%s", err);
	cr_assert(!job.numa_mem_bind);
	cr_assert_eq(set("numa_mem_policy", "bind:all"), 0, "%s", err);
	cr_assert(!job.numa_mem_bind, "every node: no constraint");
}

/*
 * fill_device (fill_fs) sizes one file by its filesystem: a job that sizes it otherwise, or
 * names several, or works on a store, is refused.
 */
Test(bench_job, fill_device_takes_one_file_sized_by_its_filesystem)
{
	static const char *const refused[][2] = {
	    {"filesize", "1m"}, {"size", "50%"}, {"filename", "a:b"}, {"rw", "put"}};

	zh_bench_job_defaults(&job);
	cr_assert_eq(set("name", "f"), 0, "%s", err);
	cr_assert_eq(set("fill_fs", "1"), 0, "%s", err);
	cr_assert(job.fill_device, "fill_fs is fill_device's alias");
	cr_assert_eq(set("size", "1m"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_finish(&job, err, sizeof(err)), 0, "a size caps it: %s", err);
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(refused); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("name", "f"), 0, "%s", err);
		cr_assert_eq(set("fill_device", "1"), 0, "%s", err);
		cr_assert_eq(set(refused[i][0], refused[i][1]), 0, "%s", err);
		cr_assert_eq(zh_bench_job_finish(&job, err, sizeof(err)), -EINVAL, "%s=%s",
			     refused[i][0], refused[i][1]);
		ASSERT_ERR_HAS("'fill_device' is for a block job on one file");
	}
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("create_serialize", "0"), 0, "%s", err);
	cr_assert_not(job.create_serialize);
}

/*
 * verify_backlog is for a verifying writer; each check takes the whole backlog, so a different
 * verify_backlog_batch is refused, and so are paces that would let writes past its reads.
 */
Test(bench_job, verify_backlog_rules)
{
	static const struct {
		const char *key, *value, *why;
		bool verify;
	} refused[] = {
	    {"rw", "write", "is for a writing job with 'verify'", false},
	    {"rw", "read", "is for a writing job with 'verify'", true},
	    {"verify_backlog_batch", "8", "must be 0 or equal 'verify_backlog'", true},
	    {"rate", "1m", "paced writes", true},
	    {"thinktime", "10", "paced writes", true},
	};

	zh_bench_job_defaults(&job);
	cr_assert_eq(set("name", "v"), 0, "%s", err);
	cr_assert_eq(set("rw", "randwrite"), 0, "%s", err);
	cr_assert_eq(set("verify", "crc32c"), 0, "%s", err);
	cr_assert_eq(set("verify_backlog", "16"), 0, "%s", err);
	cr_assert_eq(set("verify_backlog_batch", "16"), 0, "%s", err);
	cr_assert_eq(set("verify_dump", "1"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_finish(&job, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(job.verify_backlog, 16);
	cr_assert(job.verify_dump);
	cr_assert_eq(set("verify_backlog", "16777217"), -EINVAL, "bounded");
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(refused); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("name", "v"), 0, "%s", err);
		cr_assert_eq(set("rw", "write"), 0, "%s", err);
		if (refused[i].verify)
			cr_assert_eq(set("verify", "crc32c"), 0, "%s", err);
		cr_assert_eq(set("verify_backlog", "16"), 0, "%s", err);
		cr_assert_eq(set(refused[i].key, refused[i].value), 0, "%s", err);
		cr_assert_eq(zh_bench_job_finish(&job, err, sizeof(err)), -EINVAL, "%s=%s",
			     refused[i].key, refused[i].value);
		ASSERT_ERR_HAS(refused[i].why);
	}
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("fault_torn_ppm", "1000000"), 0, "%s", err);
	cr_assert_eq(job.fault_torn_ppm, 1000000);
	cr_assert_eq(set("fault_torn_ppm", "1000001"), -EINVAL);
}

/* io_submit_mode: inline is the engine's way; offload (fio's, for sync engines) is refused. */
Test(bench_job, io_submit_mode)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("io_submit_mode", "inline"), 0, "%s", err);
	cr_assert_eq(set("io_submit_mode", "offload"), -EINVAL);
	ASSERT_ERR_HAS("fio refuses offload with io_uring too");
	cr_assert_eq(set("io_submit_mode", "x"), -EINVAL);
	ASSERT_ERR_HAS("expected inline");
}

/* cpumask is cpus_allowed as a bit mask; cpus_allowed_policy=split is how clones are placed. */
Test(bench_job, cpumask_and_cpus_allowed_policy)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("cpumask", "0xf"), 0, "%s", err);
	cr_assert_str_eq(job.cpus_allowed, "0,1,2,3");
	cr_assert_eq(set("cpumask", "10"), 0, "%s", err);
	cr_assert_str_eq(job.cpus_allowed, "1,3");
	cr_assert_eq(set("cpumask", "0x8000000000000001"), 0, "%s", err);
	cr_assert_str_eq(job.cpus_allowed, "0,63");
	cr_assert_eq(set("cpumask", "0"), -EINVAL);
	ASSERT_ERR_HAS("expected a non-zero mask");
	cr_assert_str_eq(job.cpus_allowed, "0,63", "a refused value changes nothing");
	cr_assert_eq(set("cpus_allowed_policy", "split"), 0, "%s", err);
	cr_assert_eq(set("cpus_allowed_policy", "shared"), -EINVAL);
	ASSERT_ERR_HAS("pinned to a core of cpus_allowed in turn (split)");
}

/* bwavgtime / iopsavgtime: fio's sampling window for bandwidth and IOPS, one here. */
Test(bench_job, sampling_window)
{
	cr_assert_eq(parse_str("[a]\n"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_sample_ms(&jf.jobs[0]), 500, "fio's default");
	cr_assert_eq(parse_str("[a]\nbwavgtime=1000\n"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_sample_ms(&jf.jobs[0]), 1000);
	cr_assert_eq(parse_str("[a]\niopsavgtime=250\n"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_sample_ms(&jf.jobs[0]), 250);
	cr_assert_eq(parse_str("[a]\nbwavgtime=250\niopsavgtime=250\n"), 0, "%s", err);
	cr_assert_eq(parse_str("[a]\nbwavgtime=1000\niopsavgtime=250\n"), -EINVAL);
	ASSERT_ERR_HAS("'bwavgtime' and 'iopsavgtime' differ");
	cr_assert_eq(parse_str("[a]\nbwavgtime=0\n"), -EINVAL);
}

/* continue_on_error: fio's names for which failures a job counts and passes over. */
Test(bench_job, continue_on_error_and_faults)
{
	unsigned read, write, verify;

	zh_bench_job_defaults(&job);
	cr_assert_eq(job.continue_on_error, 0, "fio's default: none");
	cr_assert_eq(set("continue_on_error", "read"), 0, "%s", err);
	read = job.continue_on_error;
	cr_assert_eq(set("continue_on_error", "write"), 0, "%s", err);
	write = job.continue_on_error;
	cr_assert_eq(set("continue_on_error", "verify"), 0, "%s", err);
	verify = job.continue_on_error;
	cr_assert(read != 0 && write != 0 && verify != 0 && (read & write) == 0 &&
		      ((read | write) & verify) == 0,
		  "one kind each");
	cr_assert_eq(set("continue_on_error", "io"), 0, "%s", err);
	cr_assert_eq(job.continue_on_error, read | write);
	cr_assert_eq(set("continue_on_error", "all"), 0, "%s", err);
	cr_assert_eq(job.continue_on_error, read | write | verify);
	cr_assert_eq(set("continue_on_error", "0"), 0, "%s", err);
	cr_assert_eq(job.continue_on_error, 0, "fio's 0 is none");
	cr_assert_eq(set("continue_on_error", "1"), 0, "%s", err);
	cr_assert_eq(job.continue_on_error, read | write | verify, "fio's 1 is all");
	cr_assert_eq(set("continue_on_error", "none"), 0, "%s", err);
	cr_assert_eq(job.continue_on_error, 0);
	cr_assert_eq(set("continue_on_error", "trim"), -EINVAL);
	ASSERT_ERR_HAS("expected none, read, write, io, verify, all, 0 or 1");
	cr_assert_eq(set("fault_eio_ppm", "1000001"), -EINVAL);
	cr_assert_eq(set("fault_short_ppm", "500"), 0, "%s", err);
	cr_assert_eq(parse_str("[a]\nrw=get\ncontinue_on_error=all\n"), -EINVAL);
	ASSERT_ERR_HAS("are for block jobs");
	cr_assert_eq(parse_str("[a]\nrw=put\nfault_eio_ppm=5\n"), -EINVAL);
	ASSERT_ERR_HAS("are for block jobs");
}

/* verify_interval: whole intervals per block, each holding the kind's header and checksum. */
Test(bench_job, verify_interval)
{
	static const char *const bad[][2] = {
	    {"[a]\nrw=write\nverify_interval=512\n", "repeats a checksum kind's header"},
	    {"[a]\nrw=write\nverify_pattern=1\nverify_interval=512\n", "not verify=pattern's"},
	    {"[a]\nrw=write\nverify=crc32c\nverify_interval=1536\n",
	     "'verify_interval' (1536) must divide bs (4096)"},
	    {"[a]\nrw=write\nverify=crc32c\nverify_interval=8k\n", "must divide bs"},
	    {"[a]\nrw=write\nverify=crc32c\nverify_interval=32\n",
	     "be at least 64 bytes for verify=crc32c"},
	    {"[a]\nrw=write\nverify=sha512\nverify_interval=64\n",
	     "be at least 128 bytes for verify=sha512"},
	};

	cr_assert_eq(parse_str("[a]\nrw=write\nverify=crc32c\nverify_interval=512\n"), 0, "%s",
		     err);
	cr_assert_eq(jf.jobs[0].verify_interval, 512);
	cr_assert_eq(parse_str("[a]\nrw=write\nverify=md5\nverify_interval=4k\n"), 0, "%s", err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_str(bad[i][0]), -EINVAL, "%s", bad[i][0]);
		ASSERT_ERR_HAS(bad[i][1]);
	}
}

Test(bench_job, percentage_random)
{
	zh_bench_job_defaults(&job);
	cr_assert(job.random_pct[0] == 100 && job.random_pct[1] == 100, "fio's default");
	cr_assert_eq(set("percentage_random", "50"), 0, "%s", err);
	cr_assert(job.random_pct[0] == 50 && job.random_pct[1] == 50);
	cr_assert_eq(set("percentage_random", ",10"), 0, "%s", err);
	cr_assert(job.random_pct[0] == 50 && job.random_pct[1] == 10);
	cr_assert_eq(set("percentage_random", "0,100"), 0, "%s", err);
	cr_assert(job.random_pct[0] == 0 && job.random_pct[1] == 100);
	cr_assert_eq(set("percentage_random", "101"), -EINVAL);
	ASSERT_ERR_HAS("expected a percentage from 0 to 100");
	cr_assert_eq(set("percentage_random", "50,50,50"), -EINVAL);
	ASSERT_ERR_HAS("a trim share is not supported");
	cr_assert(job.random_pct[0] == 0 && job.random_pct[1] == 100, "refused: unchanged");
	cr_assert_eq(parse_str("[a]\nrw=write\npercentage_random=50\n"), -EINVAL);
	ASSERT_ERR_HAS("are for random jobs");
}

Test(bench_job, random_distribution_refusals)
{
	static const char *const bad[][2] = {
	    {"zipf", "expected random, zipf:THETA"},
	    {"zipf:0", "zipf takes a theta above 0"},
	    {"zipf:x", "zipf takes a theta above 0"},
	    {"zipf:-1", "zipf takes a theta above 0"},
	    {"pareto:1", "pareto takes an h between 0 and 1"},
	    {"pareto:0", "pareto takes an h between 0 and 1"},
	    {"zipf:1.2:1", "the centre is a fraction"},
	    {"zipf:1.2:0.5:1", "the centre is a fraction"},
	    {"zoned:60/10:30/20", "accesses must add up to 100"},
	    {"zoned:60/10:50/", "accesses must add up to 100"},
	    {"zoned:60/60:40/50", "ranges must add up to at most 100"},
	    {"zoned:60/60:30/50:10/", "ranges must add up to at most 100"},
	    {"zoned:/10:100/90", "with at most 4 decimals"},
	    {"zoned:60/x:40/100", "with at most 4 decimals"},
	    {"normal:100", "normal takes a deviation from 0 to below 100"},
	    {"normal:10:1", "the centre is a fraction"},
	    {"zoned_abs:60/10g:40", "a zoned_abs zone is ACCESS%/LENGTH"},
	    {"zoned_abs:60/10g:40/", "a zoned_abs zone is ACCESS%/LENGTH"},
	    {"zoned_abs:60/10g:40/0", "a zoned_abs zone is ACCESS%/LENGTH"},
	    {"zoned_abs:60/10q:40/1g", "a zoned_abs zone is ACCESS%/LENGTH"},
	    {"zoned_abs:60/10g:30/1g", "accesses must add up to 100"},
	    {"zipf:1.2,zipf:1.1", "one distribution for reads and writes"},
	    {"gauss", "expected random, zipf:THETA"},
	};

	zh_bench_job_defaults(&job);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(set("random_distribution", bad[i][0]), -EINVAL, "%s", bad[i][0]);
		ASSERT_ERR_HAS(bad[i][1]);
		cr_assert_eq(job.dist.kind, ZH_BENCH_DIST_RANDOM,
			     "a refused value changes nothing");
	}
	cr_assert_eq(parse_str("[a]\nrw=read\nrandom_distribution=zipf:1.2\n"), -EINVAL);
	ASSERT_ERR_HAS("'random_distribution' and 'percentage_random' are for random jobs");
	cr_assert_eq(parse_str("[a]\nrw=randrw\nrandom_distribution=zipf:1.2\n"), 0, "%s", err);
}

Test(bench_job, integer_bounds)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("iodepth", "4096"), 0, "%s", err);
	cr_assert_eq(job.iodepth, 4096);
	cr_assert_eq(set("iodepth", "1"), 0, "%s", err);
	cr_assert_eq(job.iodepth, 1);
	cr_assert_eq(set("iodepth", "4097"), -EINVAL);
	cr_assert_eq(set("iodepth", "0"), -EINVAL);
	cr_assert_eq(set("iodepth", "8k"), -EINVAL);
	cr_assert_eq(set("iodepth", "-3"), -EINVAL);
	cr_assert_eq(job.iodepth, 1);
	cr_assert_eq(set("numjobs", "256"), 0, "%s", err);
	cr_assert_eq(job.numjobs, 256);
	cr_assert_eq(set("numjobs", "257"), -EINVAL);
	ASSERT_ERR_HAS("expected an integer from 1 to 256");
	cr_assert_eq(set("numjobs", "0"), -EINVAL);
	cr_assert_eq(set("log_avg_msec", "500"), 0, "%s", err);
	cr_assert_eq(job.log_avg_msec, 500);
	cr_assert_eq(set("log_avg_msec", "4294967296"), -EINVAL);
	cr_assert_eq(set("randseed", "0xdeadbeef"), 0, "%s", err);
	cr_assert_eq(job.randseed, 0xdeadbeef);
	cr_assert(job.randseed_set);
	cr_assert_eq(set("randseed", "18446744073709551615"), 0, "%s", err);
	cr_assert_eq(job.randseed, UINT64_MAX);
	cr_assert_eq(set("randseed", "1k"), -EINVAL);
}

Test(bench_job, booleans)
{
	static const char *const on[] = {NULL, "1", "true", "TRUE", "yes", "Yes", "on", "ON"};
	static const char *const off[] = {"0", "false", "False", "no", "NO", "off", "Off"};
	static const char *const keys[] = {
	    "time_based",	 "direct",	    "randrepeat",   "stonewall",
	    "wait_for_previous", "group_reporting", "norandommap",  "thread",
	    "invalidate",	 "fixedbufs",	    "registerfiles"};

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
			memset(&job, 0, sizeof(job));
			cr_assert_eq(set(keys[k], on[i]), 0, "%s=%s: %s", keys[k], on[i], err);
		}
		for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
			cr_assert_eq(set(keys[k], off[i]), 0, "%s=%s: %s", keys[k], off[i], err);
		cr_assert_eq(set(keys[k], "2"), -EINVAL);
		ASSERT_ERR_HAS("expected 0/1, true/false, yes/no or on/off");
		cr_assert_eq(set(keys[k], ""), -EINVAL);
	}
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("direct", NULL), 0);
	cr_assert(job.direct);
	cr_assert_eq(set("wait_for_previous", "yes"), 0);
	cr_assert(job.stonewall);
	cr_assert_eq(set("randrepeat", "off"), 0);
	cr_assert_not(job.randrepeat);
	cr_assert_eq(set("invalidate", "0"), 0);
	cr_assert_not(job.invalidate);
	cr_assert_eq(set("group_reporting", NULL), 0);
	cr_assert(job.group_reporting);
}

Test(bench_job, log_options)
{
	cr_assert_eq(
	    parse_str("[global]\nwrite_lat_log\n[a]\nwrite_iops_log=/tmp/iops\n"
		      "[b]\nname=bee\nwrite_bw_log\nwrite_lat_log=lat\nlog_avg_msec=1000\n"),
	    0, "%s", err);
	cr_assert_str_eq(jf.jobs[0].lat_log, "a");
	cr_assert_str_eq(jf.jobs[0].iops_log, "/tmp/iops");
	cr_assert_str_empty(jf.jobs[0].bw_log);
	cr_assert_str_eq(jf.jobs[1].bw_log, "bee");
	cr_assert_str_eq(jf.jobs[1].lat_log, "lat");
	cr_assert_str_empty(jf.jobs[1].iops_log);
	cr_assert_eq(jf.jobs[1].log_avg_msec, 1000);
	cr_assert_not(jf.jobs[1].lat_log_use_name);
	cr_assert_eq(parse_str("[a]\nwrite_bw_log=\n"), -EINVAL);
	ASSERT_ERR_HAS("t.fio:2: bad value '' for 'write_bw_log'");
}

Test(bench_job, job_finish_direct_use)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("write_iops_log", NULL), 0);
	cr_assert_eq(zh_bench_job_finish(&job, err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("no 'name'");
	cr_assert_eq(set("name", "direct"), 0);
	cr_assert_eq(zh_bench_job_finish(&job, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(job.iops_log, "direct");
	cr_assert_not(job.iops_log_use_name);
}

Test(bench_job, cpus_allowed)
{
	static const char *const ok[] = {"0", "0-3", "0-3,8", "1,2,3", "4095", "0-4095", "7-7"};
	static const char *const bad[] = {"",	"4096", "3-1",	"1,,2", ",1",	 "1,",	  "a",
					  "1-", "-1",	"1 ,2", "0x1",	"1-2-3", "000001"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("cpus_allowed", ok[i]), 0, "%s: %s", ok[i], err);
		cr_assert_str_eq(job.cpus_allowed, ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zh_bench_job_defaults(&job);
		cr_assert_eq(set("cpus_allowed", bad[i]), -EINVAL, "'%s' accepted", bad[i]);
		ASSERT_ERR_HAS("for 'cpus_allowed'");
		cr_assert_str_empty(job.cpus_allowed);
	}
}

Test(bench_job, string_options)
{
	char name[64];

	zh_bench_job_defaults(&job);
	cr_assert_eq(set("filename", "/dev/dsk/foo@3,0\\:c"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_file_name(&job, 0, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "/dev/dsk/foo@3,0:c");
	cr_assert_eq(zh_bench_job_file_count(&job), 1);
	cr_assert_eq(set("filename", "/tmp/a:/tmp/b"), 0, "%s", err);
	cr_assert_eq(zh_bench_job_file_count(&job), 2);
	cr_assert_eq(set("filename", "/tmp/a\tb"), -EINVAL);
	ASSERT_ERR_HAS("control characters");
	cr_assert_eq(set("directory", "/mnt/a:/mnt/b"), -EINVAL);
	ASSERT_ERR_HAS("several directories");
	cr_assert_eq(set("directory", "/mnt/ssd"), 0, "%s", err);
	cr_assert_str_eq(job.directory, "/mnt/ssd");
	cr_assert_eq(set("filename", ""), -EINVAL);
	cr_assert_eq(set("filename", NULL), -EINVAL);
	cr_assert_eq(set("ioengine", "libaio"), 0, "%s", err);
	cr_assert_str_eq(job.ioengine, "libaio");
	cr_assert_eq(set("ioengine", "io_uring"), 0, "%s", err);
	cr_assert_str_eq(job.ioengine, "io_uring");
	cr_assert_eq(set("ioengine", "external:/a/very/long/path/to/engine.so"), -EINVAL);
	ASSERT_ERR_HAS("too long (at most 31 bytes)");
	cr_assert_eq(set("description", ""), 0, "%s", err);
	cr_assert_str_empty(job.description);
	cr_assert_eq(set("name", ""), -EINVAL);
	cr_assert_eq(
	    set("name", "0123456789012345678901234567890123456789012345678901234567890123"),
	    -EINVAL);
	cr_assert_eq(set("name", "012345678901234567890123456789012345678901234567890123456789012"),
		     0, "%s", err);
	cr_assert_eq(strlen(job.name), 63);
}

Test(bench_job, unknown_option_and_one_line_messages)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(set("exec_prerun", "sync"), -ENOENT);
	cr_assert_str_eq(err, "unknown option 'exec_prerun'");
	cr_assert_eq(set("bs", "4\nk"), -EINVAL);
	cr_assert_null(strchr(err, '\n'), "message spans lines: %s", err);
	ASSERT_ERR_HAS("'4?k'");
	cr_assert_eq(set("desc\nription", "x"), -ENOENT);
	cr_assert_null(strchr(err, '\n'));
	cr_assert_eq(set("description", "a\tb"), -EINVAL);
	ASSERT_ERR_HAS("control characters");
	/* A NULL or tiny error buffer is fine. */
	cr_assert_eq(zh_bench_job_set(&job, "bs", "x", NULL, 0), -EINVAL);
	cr_assert_eq(zh_bench_job_set(&job, "bs", "x", err, 1), -EINVAL);
	cr_assert_str_empty(err);
}

/* ---- command line ------------------------------------------------------------------------ */

Test(bench_job, cli_job_file_with_overrides)
{
	const char *argv[] = {"zhtp-bench",   "--bs=8k",    ZH_TEST_DATA_DIR "/ssd-test.fio",
			      "--iodepth=64", "--direct=0", "--write_bw_log"};

	cr_assert_eq(cli_run(6, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 4);
	for (int i = 0; i < 4; i++) {
		const struct zh_bench_job *j = &cli.jobfile.jobs[i];

		/* The command line beats both [global] and the job section. */
		cr_assert_eq(zh_bench_job_bs(j), 8192);
		cr_assert_eq(j->iodepth, 64);
		cr_assert_not(j->direct);
		cr_assert_eq(j->size_bytes, 10 * GIB);
		cr_assert_str_eq(j->filename, "ssd.test.file");
		cr_assert_str_eq(j->bw_log, j->name);
	}
	cr_assert_eq(cli.jobfile.jobs[1].rw, ZH_BENCH_RW_RANDREAD);
	cr_assert_eq(cli.output_format, ZH_BENCH_OUTPUT_NORMAL);
	cr_assert_str_empty(cli.output_path);
	cr_assert_eq(cli.eta, ZH_BENCH_ETA_AUTO);
	cr_assert_eq(cli.status_interval_ns, 0);
}

Test(bench_job, cli_override_beats_job_section)
{
	const char *argv[] = {"zhtp-bench", "--rw=write", ZH_TEST_DATA_DIR "/inherit.fio"};

	cr_assert_eq(cli_run(3, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(cli.jobfile.jobs[i].rw, ZH_BENCH_RW_WRITE);
	cr_assert_eq(cli.jobfile.jobs[0].iodepth, 64);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[2]), 65536);
}

Test(bench_job, cli_runtime_fixes_time_based_from_file)
{
	char path[256];
	const char *argv[] = {"zhtp-bench", path, "--runtime=10s"};
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/zh_bj_tb_%d.fio", (int)getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("[global]\ntime_based\n[j]\n", f);
	fclose(f);
	cr_assert_eq(cli_run(3, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.jobs[0].runtime_ns, 10 * SEC_NS);
	cr_assert_eq(cli_run(2, argv), -EINVAL);
	ASSERT_ERR_HAS(":3:");
	ASSERT_ERR_HAS("'time_based' needs a 'runtime'");
	remove(path);
}

Test(bench_job, cli_second_job_file_is_stonewalled)
{
	const char *argv[] = {"zhtp-bench", ZH_TEST_DATA_DIR "/fio-rand-read.fio",
			      ZH_TEST_DATA_DIR "/fio-seq-write.fio"};

	cr_assert_eq(cli_run(3, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 2);
	cr_assert_not(cli.jobfile.jobs[0].stonewall);
	cr_assert(cli.jobfile.jobs[1].stonewall);
	cr_assert_eq(cli.jobfile.jobs[0].rw, ZH_BENCH_RW_RANDREAD);
	/* Globals do not leak from one job file into the next. */
	cr_assert_eq(cli.jobfile.jobs[1].rw, ZH_BENCH_RW_WRITE);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[1]), 256 * 1024);
	cr_assert_str_eq(cli.jobfile.jobs[1].filename, "fio-seq-writes");
}

Test(bench_job, cli_name_style)
{
	const char *argv[] = {"zhtp-bench",  "--rw=randread", "--bs=8k",    "--name=a",
			      "--iodepth=8", "--name=b",      "--rw=write", "--size=1m"};

	cr_assert_eq(cli_run(8, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 2);
	cr_assert_str_eq(cli.jobfile.jobs[0].name, "a");
	cr_assert_eq(cli.jobfile.jobs[0].rw, ZH_BENCH_RW_RANDREAD);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[0]), 8192);
	cr_assert_eq(cli.jobfile.jobs[0].iodepth, 8);
	cr_assert_eq(cli.jobfile.jobs[0].size_bytes, 0);
	cr_assert_eq(cli.jobfile.jobs[0].source_line, 0);
	cr_assert_str_eq(cli.jobfile.jobs[1].name, "b");
	cr_assert_eq(cli.jobfile.jobs[1].rw, ZH_BENCH_RW_WRITE);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[1]), 8192);
	cr_assert_eq(cli.jobfile.jobs[1].iodepth, 1);
	cr_assert_eq(cli.jobfile.jobs[1].size_bytes, 1 << 20);
}

Test(bench_job, cli_name_global_switches_back)
{
	const char *argv[] = {"zhtp-bench", "--name=a", "--name=global", "--bs=16k", "--name=b"};

	cr_assert_eq(cli_run(5, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 2);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[0]), 4096);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[1]), 16384);
}

Test(bench_job, cli_global_options)
{
	const char *argv[] = {"zhtp-bench",   "--output-format=json+normal", "--output",
			      "/tmp/out.txt", "--status-interval=500ms",     "--eta=never",
			      "--name=x"};

	cr_assert_eq(cli_run(7, argv), 0, "%s", err);
	cr_assert_eq(cli.output_format, ZH_BENCH_OUTPUT_NORMAL | ZH_BENCH_OUTPUT_JSON);
	cr_assert_str_eq(cli.output_path, "/tmp/out.txt");
	cr_assert_eq(cli.status_interval_ns, 500000000ull);
	cr_assert_eq(cli.eta, ZH_BENCH_ETA_NEVER);
	cr_assert_eq(cli.jobfile.job_count, 1);

	const char *argv2[] = {"zhtp-bench",	      "--output-format=json", "--output=o.json",
			       "--status-interval=2", "--eta=always",	      "--name=y"};
	cr_assert_eq(cli_run(6, argv2), 0, "%s", err);
	cr_assert_eq(cli.output_format, ZH_BENCH_OUTPUT_JSON);
	cr_assert_str_eq(cli.output_path, "o.json");
	cr_assert_eq(cli.status_interval_ns, 2 * SEC_NS);
	cr_assert_eq(cli.eta, ZH_BENCH_ETA_ALWAYS);

	const char *argv3[] = {"zhtp-bench", "--output-format=normal,json", "--eta=auto",
			       "--name=z"};
	cr_assert_eq(cli_run(4, argv3), 0, "%s", err);
	cr_assert_eq(cli.output_format, ZH_BENCH_OUTPUT_NORMAL | ZH_BENCH_OUTPUT_JSON);
	cr_assert_eq(cli.eta, ZH_BENCH_ETA_AUTO);
}

Test(bench_job, cli_help_and_version_need_no_job)
{
	const char *help[] = {"zhtp-bench", "--help"};
	const char *version[] = {"zhtp-bench", "--version", "missing-file.fio"};

	cr_assert_eq(cli_run(2, help), 0, "%s", err);
	cr_assert(cli.help);
	cr_assert_eq(cli.jobfile.job_count, 0);
	cr_assert_eq(cli_run(3, version), 0, "%s", err);
	cr_assert(cli.version);
	cr_assert_not(cli.help);
}

Test(bench_job, cli_errors)
{
	static const struct {
		int argc;
		const char *argv[4];
		int rc;
		const char *msg;
	} cases[] = {
	    {3, {"zb", "--foo", "--name=a"}, -EINVAL, "command line: unknown option '--foo'"},
	    {2, {"zb", "--foo=1"}, -EINVAL, "command line: unknown option '--foo'"},
	    {2, {"zb", "-x"}, -EINVAL, "command line: unknown option '-x'"},
	    {2, {"zb", "-"}, -EINVAL, "stdin"},
	    {1, {"zb"}, -EINVAL, "command line: no job defined"},
	    {2, {"zb", "--bs=4k"}, -EINVAL, "command line: no job defined"},
	    {3,
	     {"zb", "--output-format=xml", "--name=a"},
	     -EINVAL,
	     "command line: bad value 'xml' for '--output-format'"},
	    {3, {"zb", "--output-format=json+", "--name=a"}, -EINVAL, "'--output-format'"},
	    {3, {"zb", "--eta=sometimes", "--name=a"}, -EINVAL, "'--eta'"},
	    {3, {"zb", "--status-interval=0", "--name=a"}, -EINVAL, "at least 1ms"},
	    {3, {"zb", "--status-interval=1x", "--name=a"}, -EINVAL, "'--status-interval'"},
	    {2, {"zb", "--output"}, -EINVAL, "missing value for '--output'"},
	    {3, {"zb", "--output=", "--name=a"}, -EINVAL, "'--output'"},
	    {2, {"zb", "--help=yes"}, -EINVAL, "takes no value"},
	    {3,
	     {"zb", "--name=a", "--bs=x4k"},
	     -EINVAL,
	     "command line: bad value 'x4k' for '--bs': expected a size like 4k"},
	    {3, {"zb", "--name=a", "--bs"}, -EINVAL, "option '--bs' requires a value"},
	    {2, {"zb", "--name="}, -EINVAL, "'--name'"},
	    {2, {"zb", "--name=a"}, 0, ""},
	    {3,
	     {"zb", "--name=a", "/nonexistent/zh-bench.fio"},
	     -EINVAL,
	     "'--name' cannot be combined with job files"},
	    {2,
	     {"zb", "/nonexistent/zh-bench.fio"},
	     -ENOENT,
	     "/nonexistent/zh-bench.fio: cannot open job file: No such file or directory"},
	    {3, {"zb", "--bs=1q", "/nonexistent/zh-bench.fio"}, -EINVAL, "'--bs'"},
	    {3,
	     {"zb", "--name=a", "--time_based"},
	     -EINVAL,
	     "command line: job 'a': 'time_based' needs a 'runtime'"},
	    {2, {"zb", "/tmp"}, -EISDIR, "/tmp: cannot read job file"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(cli_run(cases[i].argc, cases[i].argv), cases[i].rc, "case %zu: %s", i,
			     err);
		ASSERT_ERR_HAS(cases[i].msg);
		if (cases[i].rc != 0)
			cr_assert_eq(cli.jobfile.job_count, 0);
	}
}

Test(bench_job, cli_double_dash_ends_options)
{
	char path[256];
	const char *argv[] = {"zhtp-bench", "--bs=2k", "--", path};
	FILE *f;

	/* A job file whose name starts with "--" can follow a lone "--". */
	snprintf(path, sizeof(path), "--zh_bj_%d.fio", (int)getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("[only]\nrw=randwrite\n", f);
	fclose(f);
	cr_assert_eq(cli_run(4, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 1);
	cr_assert_eq(zh_bench_job_bs(&cli.jobfile.jobs[0]), 2048);
	cr_assert_eq(cli.jobfile.jobs[0].rw, ZH_BENCH_RW_RANDWRITE);
	remove(path);
}

Test(bench_job, cli_too_many_named_jobs)
{
	static char names[ZH_BENCH_JOBS_MAX + 1][16];
	static const char *argv[ZH_BENCH_JOBS_MAX + 2];

	argv[0] = "zhtp-bench";
	for (int i = 0; i <= ZH_BENCH_JOBS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "--name=j%d", i);
		argv[i + 1] = names[i];
	}
	cr_assert_eq(cli_run(ZH_BENCH_JOBS_MAX + 2, argv), -E2BIG);
	ASSERT_ERR_HAS("command line: too many jobs (at most 64)");
	cr_assert_eq(cli_run(ZH_BENCH_JOBS_MAX + 1, argv), 0, "%s", err);
	cr_assert_eq(cli.jobfile.job_count, 64);
	cr_assert_str_eq(cli.jobfile.jobs[63].name, "j63");
}

Test(bench_job, fio_batching_options_are_accepted_and_recorded)
{
	zh_bench_job_defaults(&job);
	cr_assert_eq(zh_bench_job_set(&job, "iodepth_batch_submit", "32", err, sizeof(err)), 0);
	cr_assert_eq(zh_bench_job_set(&job, "iodepth_batch_complete_max", "16", err, sizeof(err)),
		     0);
	cr_assert_eq(job.iodepth_batch_submit, 32);
	cr_assert_eq(job.iodepth_batch_complete_max, 16);
	cr_assert_eq(zh_bench_job_set(&job, "iodepth_batch", "x", err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "iodepth_batch"), "%s", err);
	cr_assert_eq(zh_bench_job_set(&job, "iodepth_batch_complete_min", "1", err, sizeof(err)),
		     0);
	/* A reactor waits for one completion: a larger minimum would be ignored, so is refused. */
	cr_assert_eq(zh_bench_job_set(&job, "iodepth_batch_complete_min", "8", err, sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "iodepth_batch_complete_min"), "%s", err);
}

Test(bench_job, engine_placement_and_idle_flags_on_the_command_line)
{
	char *ok[] = {"zhtp-bench", "--pin=node", "--idle", "poll", "--name=x", NULL};
	char *bad[] = {"zhtp-bench", "--pin=socket", "--name=x", NULL};

	cr_assert_eq(zh_bench_cli_parse(&cli, 5, ok, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.pin, ZH_BENCH_PIN_NODE);
	cr_assert(cli.idle_poll);
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, bad, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "pin"), "%s", err);
}

/*
 * A two-way global option: on by default, "--NAME=OFF" and "--NAME ON" (two argv entries) set
 * it, anything else is refused with a message naming both words.
 */
static void expect_switch(const char *name, const char *on, const char *off, const bool *field)
{
	char off_arg[64], bad_arg[64], flag[64], why[128];
	char *none[] = {"zhtp-bench", "--name=x", NULL};
	char *turned_off[] = {"zhtp-bench", off_arg, "--name=x", NULL};
	char *turned_on[] = {"zhtp-bench", flag, (char *)on, "--name=x", NULL};
	char *bad[] = {"zhtp-bench", bad_arg, "--name=x", NULL};

	snprintf(off_arg, sizeof(off_arg), "--%s=%s", name, off);
	snprintf(bad_arg, sizeof(bad_arg), "--%s=maybe", name);
	snprintf(flag, sizeof(flag), "--%s", name);
	snprintf(why, sizeof(why), "'--%s': expected %s or %s", name, off, on);
	cr_assert_eq(zh_bench_cli_parse(&cli, 2, none, err, sizeof(err)), 0, "%s", err);
	cr_assert(*field, "--%s=%s is zhtp-bench's default", name, on);
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, turned_off, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(*field);
	cr_assert_eq(zh_bench_cli_parse(&cli, 4, turned_on, err, sizeof(err)), 0, "%s", err);
	cr_assert(*field);
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, bad, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, why), "%s", err);
}

Test(bench_job, scheduling_policy_on_the_command_line)
{
	expect_switch("sched", "batch", "normal", &cli.sched_batch);
}

Test(bench_job, yield_wait_on_the_command_line)
{
	expect_switch("yield-wait", "on", "off", &cli.yield_wait);
}

Test(bench_job, scheduler_slice_on_the_command_line)
{
	char *none[] = {"zhtp-bench", "--name=x", NULL};
	char *ms[] = {"zhtp-bench", "--sched-slice=2ms", "--name=x", NULL};
	char *kernels[] = {"zhtp-bench", "--sched-slice", "0", "--name=x", NULL};
	char *too_short[] = {"zhtp-bench", "--sched-slice=99us", "--name=x", NULL};
	char *too_long[] = {"zhtp-bench", "--sched-slice=101ms", "--name=x", NULL};
	char *junk[] = {"zhtp-bench", "--sched-slice=short", "--name=x", NULL};

	cr_assert_eq(zh_bench_cli_parse(&cli, 2, none, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.sched_slice_ns, 100000, "100us is zhtp-bench's default");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, ms, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.sched_slice_ns, 2000000);
	cr_assert_eq(zh_bench_cli_parse(&cli, 4, kernels, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.sched_slice_ns, 0, "0 keeps the kernel's slice");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, too_short, err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("bad value '99us' for '--sched-slice': expected 0 (the kernel's) or 100us "
		       "to 100ms");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, too_long, err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("'--sched-slice'");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, junk, err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("bad value 'short' for '--sched-slice'");
}

Test(bench_job, gather_window_on_the_command_line)
{
	char *none[] = {"zhtp-bench", "--name=x", NULL};
	char *us[] = {"zhtp-bench", "--gather=50us", "--name=x", NULL};
	char *off[] = {"zhtp-bench", "--gather", "0", "--name=x", NULL};
	char *big[] = {"zhtp-bench", "--gather=2ms", "--name=x", NULL};
	char *junk[] = {"zhtp-bench", "--gather=later", "--name=x", NULL};

	cr_assert_eq(zh_bench_cli_parse(&cli, 2, none, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.gather_ns, ZH_BENCH_GATHER_DEFAULT_NS);
	cr_assert_eq(cli.gather_ns, 20000, "20 us unless told");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, us, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.gather_ns, 50000);
	cr_assert_eq(zh_bench_cli_parse(&cli, 4, off, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli.gather_ns, 0);
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, big, err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("bad value '2ms' for '--gather': at most 1ms");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, junk, err, sizeof(err)), -EINVAL);
	ASSERT_ERR_HAS("bad value 'later' for '--gather'");
}

Test(bench_job, busy_poll_window_on_the_command_line)
{
	char *none[] = {"zhtp-bench", "--name=x", NULL};
	char *us[] = {"zhtp-bench", "--busy-poll=20us", "--name=x", NULL};
	char *off[] = {"zhtp-bench", "--busy-poll", "0", "--name=x", NULL};
	char *big[] = {"zhtp-bench", "--busy-poll=11ms", "--name=x", NULL};
	char *junk[] = {"zhtp-bench", "--busy-poll=soon", "--name=x", NULL};

	cr_assert_eq(zh_bench_cli_parse(&cli, 2, none, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(cli.busy_poll_set, "no option keeps the engine's default");
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, us, err, sizeof(err)), 0, "%s", err);
	cr_assert(cli.busy_poll_set);
	cr_assert_eq(cli.busy_poll_ns, 20000);
	cr_assert_eq(zh_bench_cli_parse(&cli, 4, off, err, sizeof(err)), 0, "%s", err);
	cr_assert(cli.busy_poll_set);
	cr_assert_eq(cli.busy_poll_ns, 0);
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, big, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "busy-poll"), "%s", err);
	cr_assert_not_null(strstr(err, "10ms"), "%s", err);
	cr_assert_eq(zh_bench_cli_parse(&cli, 3, junk, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "busy-poll"), "%s", err);
}
