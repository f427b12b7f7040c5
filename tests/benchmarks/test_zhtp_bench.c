/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of the zhtp-bench binary: jobs run on the engine and do exactly the I/O they
 * promise (counted in fio's JSON layout), mixed jobs report both directions, clones merge under
 * group_reporting, logs come out in fio's format, fio's own example jobs run with only the file
 * (and, to keep the test short, size and runtime) changed, and bad job files fail cleanly.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchmarks/bench_report.h"
#include "benchmarks/bench_verify.h"

#ifndef ZH_BENCH_BINARY
#define ZH_BENCH_BINARY "build/benchmarks/zhtp-bench"
#endif
#ifndef ZH_CTL_BINARY
#define ZH_CTL_BINARY "build/zhtpctl"
#endif

static char scratch[512];
static char out_path[600];
static char err_path[600];

static void setup(void)
{
	snprintf(scratch, sizeof(scratch), "%s/bench-e2e-%d", ZH_TEST_SCRATCH_DIR, (int)getpid());
	cr_assert_eq(mkdir(scratch, 0755) == 0 || errno == EEXIST, 1);
	snprintf(out_path, sizeof(out_path), "%s/out.json", scratch);
	snprintf(err_path, sizeof(err_path), "%s/err.txt", scratch);
}

static void teardown(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(bench_zhtp, .init = setup, .fini = teardown, .timeout = 60);

/* Run zhtp-bench with `args` (shell words) in the scratch directory; returns its exit code. */
static int run_bench(const char *args)
{
	char cmd[4096];
	int st;

	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>'%s'", scratch, ZH_BENCH_BINARY,
		 args, out_path, err_path);
	st = system(cmd);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_not_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The last run's standard error holds \p want. */
static void assert_stderr_has(const char *want)
{
	char *text = slurp(err_path);

	cr_assert_not_null(strstr(text, want), "stderr lacks '%s': %s", want, text);
	free(text);
}

static cJSON *run_json(const char *args)
{
	char full[2048];
	char *text;
	cJSON *root;
	int rc;

	snprintf(full, sizeof(full), "--output-format=json %s", args);
	rc = run_bench(full);
	text = slurp(out_path);
	cr_assert_eq(rc, 0, "zhtp-bench failed: %s", slurp(err_path));
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "output is not JSON: %.200s", text);
	free(text);
	return root;
}

static cJSON *run_json_failing(const char *args)
{
	char full[2048];
	char *text;
	cJSON *root;

	snprintf(full, sizeof(full), "--output-format=json %s", args);
	cr_assert_neq(run_bench(full), 0, "a job with bad blocks must fail");
	text = slurp(out_path);
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "output is not JSON: %.200s", text);
	free(text);
	return root;
}

static double num(const cJSON *obj, const char *dir, const char *key)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(obj, dir);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, key);

	cr_assert(cJSON_IsNumber(v), "missing %s.%s", dir, key);
	return v->valuedouble;
}

/* A number at the top of a job object (job_runtime, error). */
static double top(const cJSON *job, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(job, key);

	cr_assert(cJSON_IsNumber(v), "missing %s", key);
	return v->valuedouble;
}

/*
 * The lines of log \p name in the scratch directory, each of which must parse as fio's; the
 * caller frees them. *\p count gets how many.
 */
static struct zh_bench_log_entry *read_log(const char *name, unsigned *count)
{
	char path[700];
	char *text, *line, *save = NULL;
	struct zh_bench_log_entry *e = calloc(1 << 16, sizeof(*e));
	unsigned n = 0;

	cr_assert_not_null(e);
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		cr_assert_lt(n, 1u << 16, "%s: more lines than the test reads", name);
		cr_assert_eq(zh_bench_log_parse(line, &e[n]), 0, "%s: bad line '%s'", name, line);
		n++;
	}
	free(text);
	*count = n;
	return e;
}

static const cJSON *job_at(const cJSON *root, int i)
{
	const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");

	cr_assert(cJSON_IsArray(jobs));
	cr_assert_gt(cJSON_GetArraySize(jobs), i);
	return cJSON_GetArrayItem(jobs, i);
}

Test(bench_zhtp, size_bound_job_does_exactly_size_over_bs_ios)
{
	cJSON *root = run_json("--name=rr --filename=dev.img --size=4m --rw=randread --bs=4k "
			       "--iodepth=8 --direct=1");
	const cJSON *job = job_at(root, 0);
	const cJSON *pct = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(job, "read"),
					     "clat_ns"),
	    "percentile");

	cr_assert_eq(num(job, "read", "total_ios"), 1024);
	cr_assert_eq(num(job, "read", "io_bytes"), 4 << 20);
	cr_assert_eq(num(job, "write", "total_ios"), 0);
	cr_assert_gt(num(job, "read", "iops"), 0);
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(pct, "99.000000")));
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(pct, "99.990000")));
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(job, "error")->valueint, 0);
	cJSON_Delete(root);
}

/* The sum of distribution \p dist's shares: 100, give or take fio's 0.1% floors. */
static double levels_sum(const cJSON *job, const char *dist)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(job, dist);
	double sum = 0;

	cr_assert(cJSON_IsObject(item), "missing %s", dist);
	cr_assert_eq(cJSON_GetArraySize(item), 7, "%s has fio's seven levels", dist);
	for (item = item->child; item != NULL; item = item->next)
		sum += item->valuedouble;
	return sum;
}

/*
 * What the reactor did is reported beside fio's keys: at depth 8 it enters the kernel. fio's
 * depth distributions: at iodepth 8 all but the first few reads find 8 in flight; at iodepth 1
 * every read finds itself alone, and goes out and comes back alone.
 */
Test(bench_zhtp, reactor_counts_and_io_depths_are_reported)
{
	cJSON *root = run_json("--name=rr --filename=dev.img --size=4m --rw=randread --bs=4k "
			       "--iodepth=8 --direct=1");
	const cJSON *job = job_at(root, 0);

	cr_assert_gt(num(job, "zhtp_reactor", "enters"), 0);
	cr_assert_gt(num(job, "zhtp_reactor", "enters_per_io"), 0);
	cr_assert_leq(num(job, "zhtp_reactor", "enters_per_io"), 4, "a few enters per I/O at most");
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(job, "zhtp_reactor"), "polls_hit")));
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(job, "zhtp_reactor"), "gathers")));
	cr_assert_geq(num(job, "iodepth_level", "8"), 99.0);
	cr_assert_eq(num(job, "iodepth_level", "16"), 0);
	cr_assert_float_eq(levels_sum(job, "iodepth_level"), 100.0, 0.35);
	cr_assert_gt(levels_sum(job, "iodepth_submit"), 99.9);
	cr_assert_gt(levels_sum(job, "iodepth_complete"), 99.9);
	cr_assert_eq(num(job, "iodepth_submit", "0"), 0, "an enter that submits none");
	cr_assert_eq(top(job, "eta"), 0);
	cr_assert_geq(top(job, "elapsed"), 1);
	cJSON_Delete(root);

	root = run_json("--name=rr --filename=dev.img --size=1m --rw=randread --bs=4k "
			"--iodepth=1 --direct=1");
	job = job_at(root, 0);
	cr_assert_eq(num(job, "iodepth_level", "1"), 100.0);
	cr_assert_eq(num(job, "iodepth_submit", "4"), 100.0);
	cr_assert_eq(num(job, "iodepth_complete", "4"), 100.0);
	cJSON_Delete(root);
}

/* Job file \p name in the scratch directory, holding \p text. */
static void write_job_file(const char *name, const char *text)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * The JSON documents a run with --status-interval left in out_path: the status reports, then
 * the final one. \return how many (at most STATUS_DOCS_MAX); the caller deletes them.
 */
#define STATUS_DOCS_MAX 64

static unsigned read_status_docs(cJSON *docs[STATUS_DOCS_MAX])
{
	char *text = slurp(out_path), *at;
	const char *end = NULL;
	unsigned n = 0;

	for (at = text;; at = (char *)end) {
		while (*at == '\n')
			at++;
		if (*at == '\0')
			break;
		cr_assert_lt(n, STATUS_DOCS_MAX, "more documents than the test holds");
		docs[n] = cJSON_ParseWithOpts(at, &end, false);
		cr_assert_not_null(docs[n], "document %u is not JSON: %.200s", n, at);
		n++;
	}
	free(text);
	return n;
}

/* The same for a run of zhtp-bench ARGS, which must succeed. */
static unsigned run_status_docs(const char *args, cJSON *docs[STATUS_DOCS_MAX])
{
	char full[2048];

	snprintf(full, sizeof(full), "--output-format=json %s", args);
	cr_assert_eq(run_bench(full), 0, "zhtp-bench failed: %s", slurp(err_path));
	return read_status_docs(docs);
}

/*
 * --status-interval writes a JSON document per interval before the final one: a snapshot has
 * its I/O so far, its depths and the reactor's batches (never more than the depth: the wake-up
 * reads that carry the snapshot messages are not requests), and the time its group has left.
 */
Test(bench_zhtp, status_reports_carry_depths_and_the_time_left)
{
	cJSON *docs[STATUS_DOCS_MAX];
	unsigned n = run_status_docs("--status-interval=200ms --name=rr --filename=dev.img "
				     "--size=4m --rw=randread --bs=4k --iodepth=4 --direct=1 "
				     "--runtime=1500ms --time_based",
				     docs);

	cr_assert_geq(n, 3, "status reports, then the final one: %u documents", n);

	const cJSON *first = NULL, *last = job_at(docs[n - 1], 0);

	/* Only the first three issues are below depth 4 (levels 1, 2 and 2): from 30 reads on,
	 * 90% are at it. The report 200 ms in has hundreds, unless the reactor was held up: the
	 * first with 30. */
	for (unsigned i = 0; i + 1 < n && first == NULL; i++) {
		if (num(job_at(docs[i], 0), "read", "total_ios") >= 30)
			first = job_at(docs[i], 0);
	}
	cr_assert_not_null(first, "no status report after 30 reads");
	cr_assert_geq(num(first, "iodepth_level", "4"), 90.0);
	cr_assert_gt(levels_sum(first, "iodepth_submit"), 99.9, "the reactor's batches so far");
	cr_assert_gt(levels_sum(first, "iodepth_complete"), 99.9);
	/* At most the 1.5 s run rounded up; that a running group's eta counts is checked by
	 * status_eta_counts_the_groups_to_come, in a way no held-up report can fail. */
	cr_assert_leq(top(first, "eta"), 2);
	cr_assert_eq(top(last, "eta"), 0);
	cr_assert_geq(top(last, "elapsed"), 2);
	cr_assert_geq(num(last, "read", "total_ios"), num(first, "read", "total_ios"));
	cr_assert_eq(num(last, "iodepth_submit", "8"), 0, "no batch above the depth of 4");
	cr_assert_eq(num(last, "iodepth_complete", "8"), 0);
	for (unsigned i = 0; i < n; i++)
		cJSON_Delete(docs[i]);
}

/*
 * A status report's eta counts the run groups still to start, as fio's: what is left of this
 * group's second, and the next group's two. At least 2 whenever the report is taken in the
 * first group, however late (this group alone has at most 1 s left), and at most 3. A later
 * group bounded only by its size makes it fio's "unknown", INT_MAX (0 would say the run is
 * over).
 */
/*
 * The eta of the first status report (300 ms in) of job file \p name holding \p text that was
 * taken in the first group, job a's; the test is skipped if none was (a report held up past
 * that group's end).
 */
static double first_report_eta(const char *name, const char *text)
{
	cJSON *docs[STATUS_DOCS_MAX];
	char args[600];
	unsigned n;
	double eta = -1;

	write_job_file(name, text);
	snprintf(args, sizeof(args), "--status-interval=300ms %s", name);
	n = run_status_docs(args, docs);
	cr_assert_geq(n, 2, "a status report, then the final one");
	for (unsigned i = 0; i + 1 < n && eta < 0; i++) {
		const cJSON *job = job_at(docs[i], 0);

		if (strcmp(cJSON_GetObjectItemCaseSensitive(job, "jobname")->valuestring, "a") == 0)
			eta = top(job, "eta");
	}
	for (unsigned i = 0; i < n; i++)
		cJSON_Delete(docs[i]);
	if (eta < 0)
		cr_skip_test("no status report while job a ran");
	return eta;
}

Test(bench_zhtp, status_eta_counts_the_groups_to_come)
{
	double eta = first_report_eta("two-groups.fio",
				      "[global]\nfilename=dev.img\nsize=4m\nbs=4k\ndirect=1\n"
				      "[a]\nrw=randread\nruntime=1\ntime_based\n"
				      "[b]\nstonewall\nrw=randread\nruntime=2\ntime_based\n");

	cr_assert_geq(eta, 2, "this group's rest and the next's two seconds");
	cr_assert_leq(eta, 3);
	eta = first_report_eta(
	    "then-size.fio", "[global]\nfilename=dev.img\nsize=4m\nbs=4k\ndirect=1\n"
			     "[a]\nrw=randread\nruntime=1\ntime_based\n[b]\nstonewall\nrw=read\n");
	cr_assert_eq(eta, 2147483647, "fio's INT_MAX");
}

/*
 * fio's disk_util: a job on a file of a block device's filesystem reports that disk (not a
 * partition of it), with at least the requests the job wrote, merged or not (O_DIRECT: they
 * reach it while the job runs, 64 of 64 KiB); where sysfs knows no block device under the
 * scratch directory (tmpfs, overlay, no /sys), none.
 */
Test(bench_zhtp, the_disk_under_the_file_is_reported_as_fio)
{
	char sys_path[64];
	struct stat st;
	const cJSON *disks;
	cJSON *root;

	cr_assert_eq(stat(scratch, &st), 0);
	snprintf(sys_path, sizeof(sys_path), "/sys/dev/block/%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	root = run_json("--name=w --filename=disk.img --size=4m --rw=write --bs=64k --iodepth=4 "
			"--direct=1");
	disks = cJSON_GetObjectItemCaseSensitive(root, "disk_util");
	if (access(sys_path, F_OK) != 0) {
		cr_assert_null(disks, "no block device under %s", scratch);
	} else {
		const cJSON *disk = cJSON_GetArrayItem(disks, 0);
		const char *name =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(disk, "name"));
		char part[128];

		cr_assert_eq(cJSON_GetArraySize(disks), 1);
		cr_assert_not_null(name);
		snprintf(part, sizeof(part), "/sys/class/block/%s/partition", name);
		cr_assert_neq(access(part, F_OK), 0, "%s is a partition, not its disk", name);
		cr_assert_geq(top(disk, "write_ios") + top(disk, "write_merges"), 64);
		cr_assert_geq(top(disk, "util"), 0);
		cr_assert_leq(top(disk, "util"), 100);
	}
	cJSON_Delete(root);
}

Test(bench_zhtp, gather_zero_takes_every_completion_at_once)
{
	cJSON *root = run_json("--gather=0 --name=rr --filename=dev.img --size=4m --rw=randread "
			       "--bs=4k --iodepth=32 --iodepth_batch_submit=4 --direct=1");

	cr_assert_eq(num(job_at(root, 0), "zhtp_reactor", "gathers"), 0);
	cJSON_Delete(root);
}

/* zhtp_sched of a short read job run with \p options: policy, slice_ns and yield_wait. */
static void sched_of_run(const char *options, double *policy, double *slice_ns, bool *yield_wait)
{
	char args[512];
	cJSON *root;
	const cJSON *sched;

	snprintf(args, sizeof(args),
		 "--name=rr --filename=dev.img --size=1m --rw=randread --bs=4k --iodepth=4 "
		 "--direct=1 %s",
		 options);
	root = run_json(args);
	sched = cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "zhtp_sched");
	*policy = num(job_at(root, 0), "zhtp_sched", "policy");
	*slice_ns = num(job_at(root, 0), "zhtp_sched", "slice_ns");
	*yield_wait = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sched, "yield_wait"));
	cJSON_Delete(root);
}

/* The reactors' scheduling is reported as the kernel has it: the defaults, then overridden. */
Test(bench_zhtp, reactor_scheduling_is_reported)
{
	double policy, slice_ns, kernel_policy, kernel_slice_ns, long_policy, long_slice_ns;
	bool yield_wait, kernel_yield_wait, long_yield_wait;

	sched_of_run("", &policy, &slice_ns, &yield_wait);
	sched_of_run("--sched=normal --sched-slice=0 --yield-wait=off", &kernel_policy,
		     &kernel_slice_ns, &kernel_yield_wait);
	sched_of_run("--sched-slice=2ms", &long_policy, &long_slice_ns, &long_yield_wait);
	cr_assert_eq(policy, SCHED_BATCH);
	cr_assert(yield_wait);
	cr_assert_eq(kernel_policy, SCHED_OTHER);
	cr_assert_not(kernel_yield_wait);
	cr_assert_eq(long_policy, SCHED_BATCH);
	/* A kernel with custom slices (6.12 on) reports its own default too; older ones none. */
	if (kernel_slice_ns == 0) {
		cr_log_info("this kernel reports no slices: only the policies are checked");
		return;
	}
	cr_assert_eq(slice_ns, 100000, "zhtp-bench's default slice is 100us, got %.0f ns",
		     slice_ns);
	cr_assert_eq(long_slice_ns, 2000000);
	cr_assert_neq(kernel_slice_ns, 100000, "--sched-slice=0 keeps the kernel's slice");
}

Test(bench_zhtp, mixed_job_reports_both_directions_in_proportion)
{
	cJSON *root = run_json("--name=mix --filename=dev.img --size=8m --rw=randrw "
			       "--rwmixread=70 --bs=4k --iodepth=16 --direct=1");
	const cJSON *job = job_at(root, 0);
	double r = num(job, "read", "total_ios"), w = num(job, "write", "total_ios");

	cr_assert_eq(r + w, 2048);
	/* 70/30 over 2048 draws: far outside these bounds would be a broken mix. */
	cr_assert_gt(r, 2048 * 0.6);
	cr_assert_lt(r, 2048 * 0.8);
	cJSON_Delete(root);
}

Test(bench_zhtp, group_reporting_merges_clones)
{
	cJSON *root = run_json("--name=g --filename=dev.img --size=2m --rw=read --bs=64k "
			       "--iodepth=4 --numjobs=2 --group_reporting --direct=1");
	const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");

	cr_assert_eq(cJSON_GetArraySize(jobs), 1);
	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 2 * 32);
	cJSON_Delete(root);
}

/*
 * fsync=8 over 1024 writes: a flush after every 8th write that another request follows, 127
 * in all (fio 3.33 counts the same: `issued rwts: total=0,1024,0,127`), each with a latency.
 */
Test(bench_zhtp, fsync_flushes_after_every_n_writes_as_fio_counts_them)
{
	cJSON *root = run_json("--name=s --filename=dev.img --size=4m --rw=randwrite --bs=4k "
			       "--iodepth=4 --fsync=8 --direct=1");
	const cJSON *job = job_at(root, 0);
	const cJSON *sync = cJSON_GetObjectItemCaseSensitive(job, "sync");
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(sync, "lat_ns");

	cr_assert_eq(num(job, "write", "total_ios"), 1024);
	cr_assert_eq(num(job, "sync", "total_ios"), 127);
	cr_assert_eq(num(sync, "lat_ns", "N"), 127);
	cr_assert_gt(num(sync, "lat_ns", "min"), 0);
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(lat, "percentile"), "99.000000")));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(sync, "end_fsync_ns"));
	cJSON_Delete(root);
}

/*
 * fsync=N with a rate (or thinktime, or flow): slots the rate lets go issue their writes past
 * the check for a flush due, and each cleared the flag another had set; past N the count never
 * matched again. 0 flushes at 50k IOPS, where one per 4 writes was asked.
 */
Test(bench_zhtp, fsync_keeps_flushing_under_a_rate)
{
	cJSON *root = run_json("--name=s --filename=dev.img --size=4m --rw=write --bs=4k "
			       "--iodepth=16 --fsync=4 --rate_iops=50000 --direct=1");
	double syncs = num(job_at(root, 0), "sync", "total_ios");

	cr_assert_eq(num(job_at(root, 0), "write", "total_ios"), 1024);
	/*
	 * One per 8 writes when the rate keeps time: a flush waits for a slot, so a few more
	 * writes go first. At least one per 4 + 16: a held-up rate lets every parked slot go at
	 * once, each past the check (it was 128, which a stall could fail).
	 */
	cr_assert(syncs >= 1024 / (4 + 16) && syncs <= 256, "%.0f flushes for 1024 writes", syncs);
	cJSON_Delete(root);
}

/* A mixed job counts its writes only: a flush per 4 of them, whatever the reads do. */
Test(bench_zhtp, fdatasync_in_a_mixed_job_follows_the_writes)
{
	cJSON *root = run_json("--name=m --filename=dev.img --size=4m --rw=randrw --bs=4k "
			       "--iodepth=8 --fdatasync=4 --direct=1");
	const cJSON *job = job_at(root, 0);
	double writes = num(job, "write", "total_ios");
	double syncs = num(job, "sync", "total_ios");

	cr_assert_eq(num(job, "read", "total_ios") + writes, 1024);
	/* floor(writes / 4), one fewer when the last write was the last request issued */
	cr_assert_geq(syncs, (double)((unsigned)writes / 4) - 1, "%.0f syncs", syncs);
	cr_assert_leq(syncs, (double)((unsigned)writes / 4), "%.0f syncs", syncs);
	cJSON_Delete(root);
}

/* end_fsync: one flush when a writing job ends, timed, and not counted with fsync=N's. */
Test(bench_zhtp, end_fsync_flushes_once_when_a_writing_job_ends)
{
	cJSON *root = run_json("--name=e --filename=dev.img --size=1m --rw=write --bs=64k "
			       "--iodepth=2 --end_fsync=1 --direct=1");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(num(job, "sync", "total_ios"), 0);
	cr_assert_gt(num(job, "sync", "end_fsync_ns"), 0);
	cJSON_Delete(root);
	root = run_json("--name=r --filename=dev.img --size=1m --rw=read --bs=64k --end_fsync=1 "
			"--direct=1");
	cr_assert_null(
	    cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "sync"), "end_fsync_ns"),
	    "a job that wrote nothing has nothing to flush");
	cJSON_Delete(root);
	cr_assert_eq(run_bench("--name=e --filename=dev.img --size=1m --rw=write --bs=64k "
			       "--end_fsync=1 --fsync=2 --direct=1"),
		     0);
	char *text = slurp(out_path);

	cr_assert_not_null(strstr(text, "  fsync/fdatasync/sync_file_range:\n    sync ("), "%s",
			   text);
	cr_assert_not_null(
	    strstr(text, "  flushes      : fsync ran as the device's flush: fdatasync"));
	cr_assert_not_null(strstr(text, "  end_fsync    : 1 flush, the longest "));
	free(text);
}

/* ---- verify=crc32c ------------------------------------------------------------------------ */

static const cJSON *verify_of(const cJSON *job)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(job, "zhtp_verify");

	cr_assert_not_null(v, "no zhtp_verify object");
	return v;
}

/* The kind of a job's first bad block ("crc mismatch", ...). */
static const char *first_bad_kind(const cJSON *job)
{
	const cJSON *first = cJSON_GetObjectItemCaseSensitive(verify_of(job), "first_bad");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(first, "kind");

	cr_assert(cJSON_IsString(kind), "no zhtp_verify.first_bad.kind");
	return kind->valuestring;
}

/* Every block written is read back once the writes are done; the read-back is not a read. */
Test(bench_zhtp, verify_reads_back_every_block_written)
{
	cJSON *root = run_json("--name=v --filename=dev.img --size=1m --rw=write --bs=4k "
			       "--iodepth=4 --verify=crc32c --direct=1");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(num(job, "write", "total_ios"), 256);
	cr_assert_eq(num(job, "read", "total_ios"), 0);
	cr_assert_eq(num(job, "zhtp_verify", "blocks"), 256);
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 0);
	cr_assert_gt(num(job, "zhtp_verify", "readback_ms"), 0);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(job, "error")->valueint, 0);
	cJSON_Delete(root);
}

/*
 * verify_backlog: the blocks are read back while the job writes, every 16 landed, and what
 * is left at the end is read back then; every block once, none a read of the job's own.
 */
Test(bench_zhtp, verify_backlog_checks_blocks_while_writing)
{
	cJSON *root = run_json("--name=v --filename=dev.img --size=1m --rw=write --bs=4k "
			       "--iodepth=8 --verify=crc32c --direct=1 --verify_backlog=16");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(num(job, "write", "total_ios"), 256);
	cr_assert_eq(num(job, "read", "total_ios"), 0);
	cr_assert_eq(num(job, "zhtp_verify", "blocks"), 256, "each block once");
	cr_assert_geq(num(job, "zhtp_verify", "backlog_blocks"), 256 - 16 - 8,
		      "no more than a backlog and a queue left for the end");
	cr_assert_geq(num(job, "zhtp_verify", "backlogs"), (256 - 16 - 8) / 16);
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 0);
	cr_assert_eq(top(job, "error"), 0);
	cJSON_Delete(root);
}

/*
 * Torn writes (each puts its first half only and reports all of it done): with a backlog and
 * verify_fatal the job stops at its first check, long before the end; without one it writes
 * everything and finds them at the end. verify_dump writes the first bad block out as read
 * and as it should have been, fio's names: they agree on the first half only.
 */
Test(bench_zhtp, verify_backlog_stops_torn_writes_early_and_dumps_them)
{
	const char *args = "--name=t --filename=torn.img --size=4m --rw=write --bs=8k --iodepth=4 "
			   "--verify=crc32c --direct=1 --fault_torn_ppm=1000000 --verify_fatal=1";
	char more[512], path[700], *received, *expected;
	const cJSON *job;
	cJSON *root;
	FILE *f;

	root = run_json_failing(args);
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), EILSEQ);
	cr_assert_eq(num(job, "write", "io_bytes"), 4 << 20, "found only at the end");
	cJSON_Delete(root);
	snprintf(more, sizeof(more), "%s --verify_backlog=8 --verify_dump=1", args);
	root = run_json_failing(more);
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), EILSEQ);
	cr_assert_lt(num(job, "write", "io_bytes"), 64 * 8192, "found at the first check");
	cr_assert_str_eq(first_bad_kind(job), "crc mismatch");
	cJSON_Delete(root);
	received = malloc(2 * 8192);
	cr_assert_not_null(received);
	expected = received + 8192;
	snprintf(path, sizeof(path), "%s/torn.img.0.received", scratch);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fread(received, 1, 8192, f), 8192);
	fclose(f);
	snprintf(path, sizeof(path), "%s/torn.img.0.expected", scratch);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fread(expected, 1, 8192, f), 8192);
	fclose(f);
	cr_assert_eq(memcmp(received, expected, 4096), 0, "the half that was written");
	cr_assert_neq(memcmp(received + 4096, expected + 4096, 4096), 0, "the half that was not");
	free(received);
	assert_stderr_has("received data in torn.img.0.received, expected in "
			  "torn.img.0.expected");
}

/*
 * Verifying clones may share a file when their stripes never meet: rw=write:112k with 16k
 * blocks writes one 16k stripe of every 128k, and clones 32k apart in it each keep their own
 * (fio's examples/cross-stripe-verify.fio, scaled down). Clones whose stripes overlap are
 * refused before the run.
 */
Test(bench_zhtp, verifying_clones_share_a_file_on_stripes_apart)
{
	const char *args = "--name=s --filename=stripes.img --size=16m --bs=16k --direct=1 "
			   "--rw=write:112k --verify=crc32c --verify_backlog=1 --offset=120k "
			   "--io_size=1200k --loops=2 --numjobs=4 --group_reporting";
	char more[700];
	cJSON *root;

	snprintf(more, sizeof(more), "%s --offset_increment=1056k", args);
	root = run_json(more);
	cr_assert_eq(num(job_at(root, 0), "write", "io_bytes"), 4 * 2 * 1200 * 1024);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "blocks"), 4 * 2 * 75);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
	snprintf(more, sizeof(more), "%s --offset_increment=1240k", args);
	cr_assert_neq(run_bench(more), 0);
	assert_stderr_has("also writes in the same group");
}

/*
 * 2048 random writes to 256 blocks at depth 8 overwrite blocks many times: each block must
 * read back as its last write (a block whose last write was lost, or two writes to one block
 * in flight at once, would read back stale). Counted, not timed: a 300 ms run needed more
 * than 1,024 writes from the scratch disk, which a loaded machine may not give.
 */
Test(bench_zhtp, random_overwrites_read_back_as_their_last_write)
{
	cJSON *root =
	    run_json("--name=v --filename=dev.img --size=1m --rw=randwrite --bs=4k "
		     "--iodepth=8 --number_ios=2048 --time_based --runtime=60 --verify=crc32c "
		     "--direct=1");
	const cJSON *job = job_at(root, 0);
	double blocks = num(job, "zhtp_verify", "blocks");

	cr_assert_eq(num(job, "write", "total_ios"), 2048, "each block written a few times");
	cr_assert_gt(blocks, 200);
	cr_assert_leq(blocks, 256);
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
}

static void flip_byte(const char *file, long at)
{
	char path[700];
	FILE *f;
	int c;

	snprintf(path, sizeof(path), "%s/%s", scratch, file);
	f = fopen(path, "r+");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, at, SEEK_SET), 0);
	c = fgetc(f);
	cr_assert_eq(fseek(f, at, SEEK_SET), 0);
	fputc(c ^ 0x20, f);
	fclose(f);
}

static void copy_block(const char *file, long from, long to)
{
	char path[700], block[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, file);
	f = fopen(path, "r+");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, from * 4096, SEEK_SET), 0);
	cr_assert_eq(fread(block, 1, sizeof(block), f), sizeof(block));
	cr_assert_eq(fseek(f, to * 4096, SEEK_SET), 0);
	cr_assert_eq(fwrite(block, 1, sizeof(block), f), sizeof(block));
	fclose(f);
}

/* A byte changed behind the tool's back: a reading job finds that block and fails with EILSEQ. */
Test(bench_zhtp, a_corrupted_block_is_found_and_fails_the_job)
{
	cJSON *root;
	const cJSON *job;

	cr_assert_eq(run_bench("--name=w --filename=v.img --size=1m --rw=write --bs=4k "
			       "--verify=crc32c --do_verify=0 --direct=1"),
		     0);
	flip_byte("v.img", 10 * 4096 + 1000);
	root = run_json_failing("--name=r --filename=v.img --size=1m --rw=read --bs=4k "
				"--iodepth=4 --verify=crc32c --direct=1");
	job = job_at(root, 0);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(job, "error")->valueint, EILSEQ);
	cr_assert_eq(num(job, "zhtp_verify", "blocks"), 256, "all checked: verify_fatal is off");
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 1);
	cr_assert_eq(num(verify_of(job), "first_bad", "offset"), 10 * 4096);
	cr_assert_str_eq(first_bad_kind(job), "crc mismatch");
	cJSON_Delete(root);
}

/*
 * Every verify= kind writes blocks that read back clean; a flipped payload byte is caught by
 * the checksums and passed by meta (the header only, as fio's), and blocks written under one
 * kind read back under another as "other kind".
 */
Test(bench_zhtp, each_verify_kind_round_trips_and_catches_what_it_guards)
{
	static const char *const kinds[] = {"crc32",  "crc16",	"crc64",  "md5",    "sha1",
					    "sha224", "sha256", "sha384", "sha512", "meta"};
	char args[512];
	cJSON *root;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		bool meta = strcmp(kinds[i], "meta") == 0;

		snprintf(args, sizeof(args),
			 "--name=w --filename=k.img --size=256k --rw=write --bs=4k --iodepth=4 "
			 "--verify=%s --direct=1",
			 kinds[i]);
		root = run_json(args);
		cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "blocks"), 64, "%s", kinds[i]);
		cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0, "%s", kinds[i]);
		cJSON_Delete(root);
		flip_byte("k.img", 5 * 4096 + 1000);
		snprintf(args, sizeof(args),
			 "--name=r --filename=k.img --size=256k --rw=read --bs=4k --verify=%s "
			 "--direct=1",
			 kinds[i]);
		root = meta ? run_json(args) : run_json_failing(args);
		cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), meta ? 0 : 1, "%s",
			     kinds[i]);
		cJSON_Delete(root);
	}
	root = run_json_failing("--name=r --filename=k.img --size=256k --rw=read --bs=4k "
				"--verify=crc32c --direct=1");
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 64, "written under meta");
	cr_assert_str_eq(first_bad_kind(job_at(root, 0)), "other kind");
	cJSON_Delete(root);
}

/*
 * verify_pattern alone (verify=pattern): blocks of the pattern alone, %o naming each block's
 * offset; a changed byte is a pattern mismatch. Under crc32c the pattern is the payload.
 */
Test(bench_zhtp, verify_pattern_round_trips_and_catches_a_changed_byte)
{
	const char *pattern = "--verify_pattern=0xdeadbeef%o\\\"zh\\\"";
	char args[512], path[700], *data;
	cJSON *root;
	uint64_t off;

	snprintf(args, sizeof(args),
		 "--name=w --filename=p.img --size=256k --rw=write --bs=4k --iodepth=4 "
		 "--direct=1 %s",
		 pattern);
	root = run_json(args);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "blocks"), 64);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
	snprintf(path, sizeof(path), "%s/p.img", scratch);
	data = slurp(path);
	cr_assert_eq(memcmp(data + 7 * 4096 + 14, "\xde\xad\xbe\xef", 4), 0, "second repetition");
	memcpy(&off, data + 7 * 4096 + 18, sizeof(off));
	cr_assert_eq(off, 7 * 4096, "%%o: the block's offset");
	free(data);
	flip_byte("p.img", 5 * 4096 + 1000);
	snprintf(args, sizeof(args),
		 "--name=r --filename=p.img --size=256k --rw=read --bs=4k --direct=1 %s", pattern);
	root = run_json_failing(args);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 1);
	cr_assert_str_eq(first_bad_kind(job_at(root, 0)), "pattern mismatch");
	cJSON_Delete(root);
	snprintf(args, sizeof(args),
		 "--name=w --filename=p.img --size=256k --rw=randwrite --bs=4k --iodepth=4 "
		 "--direct=1 --verify=crc32c %s",
		 pattern);
	root = run_json(args);
	cr_assert_gt(num(job_at(root, 0), "zhtp_verify", "blocks"), 0);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
}

/*
 * buffer_pattern: every block a writer writes, and a new file laid out for a mixed job, holds
 * the pattern from the block's start (the bytes fio 3.33 writes on the same command line).
 */
Test(bench_zhtp, buffer_pattern_is_what_the_file_holds)
{
	static const char *const jobs[] = {
	    "--name=w --filename=b.img --size=64k --rw=write --bs=4k --direct=1 "
	    "--buffer_pattern=\\\"ab\\\"0x010203",
	    "--name=m --filename=m.img --size=64k --rw=randrw --bs=4k --iodepth=4 --direct=1 "
	    "--buffer_pattern=\\\"ab\\\"0x010203"};
	const char *names[] = {"b.img", "m.img"};

	for (int j = 0; j < 2; j++) {
		char path[700], *data;

		cr_assert_eq(run_bench(jobs[j]), 0, "%s", slurp(err_path));
		snprintf(path, sizeof(path), "%s/%s", scratch, names[j]);
		data = slurp(path);
		for (int at = 0; at < 64 * 1024; at++)
			cr_assert_eq(data[at], "ab\x01\x02\x03"[at % 4096 % 5], "%s byte %d",
				     names[j], at);
		free(data);
	}
}

/*
 * verify_interval=512: every 512 bytes of a 4 KiB block carry their own header and checksum,
 * so a changed byte names its block; read with another interval, every block is "bad length".
 */
Test(bench_zhtp, verify_interval_puts_a_header_in_every_interval)
{
	char path[700], *data;
	uint32_t magic;
	cJSON *root;

	root = run_json("--name=w --filename=i.img --size=256k --rw=write --bs=4k --iodepth=4 "
			"--direct=1 --verify=crc32c --verify_interval=512");
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
	snprintf(path, sizeof(path), "%s/i.img", scratch);
	data = slurp(path);
	for (int at = 0; at < 256 * 1024; at += 512) {
		memcpy(&magic, data + at, sizeof(magic));
		cr_assert_eq(magic, 0x46564853u, "a header at byte %d", at);
	}
	free(data);
	flip_byte("i.img", 5 * 4096 + 2 * 512 + 100);
	root = run_json_failing("--name=r --filename=i.img --size=256k --rw=read --bs=4k "
				"--direct=1 --verify=crc32c --verify_interval=512");
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 1);
	cr_assert_eq(num(verify_of(job_at(root, 0)), "first_bad", "offset"), 5 * 4096);
	cJSON_Delete(root);
	root = run_json_failing("--name=r --filename=i.img --size=256k --rw=read --bs=4k "
				"--direct=1 --verify=crc32c");
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 64);
	cr_assert_str_eq(first_bad_kind(job_at(root, 0)), "bad length");
	cJSON_Delete(root);
}

/* verify_fatal: the first bad block ends the job; at depth 1 nothing after it is read. */
Test(bench_zhtp, verify_fatal_stops_at_the_first_bad_block)
{
	cJSON *root;
	const cJSON *job;

	cr_assert_eq(run_bench("--name=w --filename=v.img --size=1m --rw=write --bs=4k "
			       "--verify=crc32c --do_verify=0 --direct=1"),
		     0);
	flip_byte("v.img", 20 * 4096 + 1);
	flip_byte("v.img", 30 * 4096 + 9);
	root = run_json_failing("--name=r --filename=v.img --size=1m --rw=read --bs=4k "
				"--verify=crc32c --verify_fatal=1 --direct=1");
	job = job_at(root, 0);
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 1);
	cr_assert_eq(num(job, "zhtp_verify", "blocks"), 21);
	cr_assert_str_eq(first_bad_kind(job), "bad magic", "the header's magic was changed");
	cJSON_Delete(root);
}

Test(bench_zhtp, verify_is_summarised_in_the_human_output)
{
	char *text;

	cr_assert_eq(run_bench("--name=v --filename=v.img --size=256k --rw=write --bs=4k "
			       "--verify=crc32c --direct=1"),
		     0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "  verify       : 64 blocks read back in "), "%s", text);
	cr_assert_not_null(strstr(text, " msec, none bad\n"), "%s", text);
	free(text);
	copy_block("v.img", 5, 3); /* as a write that went to the wrong place */
	cr_assert_neq(run_bench("--name=r --filename=v.img --size=256k --rw=read --bs=4k "
				"--verify=crc32c --direct=1"),
		      0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "  verify       : 64 blocks checked as read, 1 bad; the "
					"first at offset 12288: misdirected\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "err=84"), "%s", text);
	free(text);
}

/*
 * Two clones writing one file would each find the other's writes on reading back: refused
 * before running. With directory=, each clone has its own file and both verify clean.
 */
Test(bench_zhtp, verifying_writers_sharing_blocks_are_refused)
{
	cJSON *root;

	cr_assert_neq(run_bench("--name=v --filename=one.img --numjobs=2 --size=1m --rw=randwrite "
				"--verify=crc32c --direct=1"),
		      0);
	assert_stderr_has("job 'v' (clone 0) verifies blocks that job 'v' (clone 1) "
			  "also writes");
	root = run_json("--name=v --directory=. --numjobs=2 --size=1m --rw=randwrite --iodepth=4 "
			"--verify=crc32c --direct=1");
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	cr_assert_eq(num(job_at(root, 1), "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
}

/* A writer needs free blocks to pick from: fewer than 4 per slot is refused before running. */
Test(bench_zhtp, verify_with_too_few_blocks_per_slot_is_refused)
{

	cr_assert_neq(run_bench("--name=v --filename=dev.img --size=64k --rw=randwrite --bs=4k "
				"--iodepth=8 --verify=crc32c --direct=1"),
		      0);
	assert_stderr_has("verify needs at least 4 blocks per iodepth");
}

/* The durable-writes fixture as a job file runs end to end: flushes counted, the log verified. */
Test(bench_zhtp, durable_writes_job_file_runs)
{
	char args[1024];
	cJSON *root;
	const cJSON *wal, *data;

	snprintf(args, sizeof(args), "'%s/durable-writes.fio'", ZH_TEST_DATA_DIR);
	root = run_json(args);
	wal = job_at(root, 0);
	data = job_at(root, 1);
	cr_assert_eq(num(wal, "write", "total_ios"), 512);
	cr_assert_eq(num(wal, "sync", "total_ios"), 31, "after each 16 writes but the last");
	cr_assert_gt(num(wal, "sync", "end_fsync_ns"), 0);
	cr_assert_eq(num(wal, "zhtp_verify", "blocks"), 512);
	cr_assert_eq(num(wal, "zhtp_verify", "bad"), 0);
	cr_assert_eq(num(data, "write", "total_ios"), 2048);
	cr_assert_eq(num(data, "sync", "total_ios"), 31);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(data, "zhtp_verify"));
	cJSON_Delete(root);
}

/* \p job's \p dir.\p lat has a percentile \p has and none \p hasnt; NULL: no percentiles. */
static void assert_percentiles(const cJSON *job, const char *dir, const char *lat, const char *has,
			       const char *hasnt)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(job, dir);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, lat),
							  "percentile");

	if (has == NULL) {
		cr_assert_null(p, "%s.%s has percentiles", dir, lat);
		return;
	}
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, has)), "%s.%s: no %s", dir,
		  lat, has);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(p, hasnt), "%s.%s: %s", dir, lat, hasnt);
}

/* fio's slat_percentiles, clat_percentiles and lat_percentiles, in both outputs. */
Test(bench_zhtp, percentiles_for_the_latencies_asked)
{
	cJSON *root = run_json("--name=p --filename=dev.img --size=1m --rw=randread --direct=1 "
			       "--slat_percentiles=1 --lat_percentiles=1 --clat_percentiles=0");
	char *text;

	assert_percentiles(job_at(root, 0), "read", "slat_ns", "99.000000", "99.000001");
	assert_percentiles(job_at(root, 0), "read", "clat_ns", NULL, NULL);
	assert_percentiles(job_at(root, 0), "read", "lat_ns", "99.000000", "99.000001");
	cJSON_Delete(root);
	root = run_json("--name=p --filename=dev.img --size=1m --rw=randread --direct=1");
	assert_percentiles(job_at(root, 0), "read", "slat_ns", NULL, NULL);
	assert_percentiles(job_at(root, 0), "read", "clat_ns", "99.000000", "99.000001");
	assert_percentiles(job_at(root, 0), "read", "lat_ns", NULL, NULL);
	cJSON_Delete(root);
	cr_assert_eq(run_bench("--name=p --filename=dev.img --size=1m --rw=randread --direct=1 "
			       "--slat_percentiles=1 --lat_percentiles=1"),
		     0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "    slat percentiles ("), "%s", text);
	cr_assert_not_null(strstr(text, "    clat percentiles ("), "%s", text);
	cr_assert_not_null(strstr(text, "    lat percentiles ("), "%s", text);
	cr_assert_lt(strstr(text, "slat percentiles"), strstr(text, "clat percentiles"),
		     "fio's order");
	free(text);
}

/* ---- gtod_reduce and disable_* -------------------------------------------------------------- */

/* As fio: what is turned off reads 0 (N too), without percentiles or samples. */
Test(bench_zhtp, gtod_reduce_reports_what_fio_does)
{
	cJSON *root = run_json("--name=g --filename=dev.img --size=4m --rw=randread --iodepth=4 "
			       "--time_based --runtime=600ms --direct=1 --gtod_reduce=1");
	const cJSON *rd = cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "read");
	const char *lats[] = {"slat_ns", "clat_ns", "lat_ns"};
	char *text;

	cr_assert_gt(num(job_at(root, 0), "read", "total_ios"), 0);
	for (int i = 0; i < 3; i++) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(rd, lats[i]);

		cr_assert_eq(cJSON_GetObjectItemCaseSensitive(l, "N")->valuedouble, 0, "%s",
			     lats[i]);
		cr_assert_null(cJSON_GetObjectItemCaseSensitive(l, "percentile"), "%s", lats[i]);
	}
	cr_assert_eq(num(job_at(root, 0), "read", "iops_samples"), 0);
	cr_assert_eq(num(job_at(root, 0), "read", "bw_samples"), 0);
	cJSON_Delete(root);

	root = run_json("--name=g --filename=dev.img --size=4m --rw=randread --iodepth=4 "
			"--time_based --runtime=1100ms --direct=1 --disable_slat=1");
	rd = cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "read");
	cr_assert_eq(num(rd, "slat_ns", "N"), 0);
	cr_assert_eq(num(rd, "clat_ns", "N"), num(job_at(root, 0), "read", "total_ios"));
	cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(rd, "clat_ns"), "percentile"));
	cr_assert_geq(num(job_at(root, 0), "read", "iops_samples"), 1, "samples still taken");
	cJSON_Delete(root);

	cr_assert_eq(run_bench("--name=g --filename=dev.img --size=1m --rw=randread --direct=1 "
			       "--gtod_reduce=1"),
		     0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "read: IOPS="), "%s", text);
	cr_assert_null(strstr(text, "clat"), "%s", text);
	cr_assert_null(strstr(text, " lat ("), "%s", text);
	free(text);
}

/* ---- thinktime ------------------------------------------------------------------------------ */

/* I/Os a job thinking every \p per_think blocks for 10 ms can have done: every think drains the
 * queue and waits, so at most per_think per 10 ms, plus the first fill of \p depth. */
static void assert_think_cap(const char *args, unsigned per_think, unsigned depth)
{
	cJSON *root = run_json(args);
	const cJSON *job = job_at(root, 0);
	double ms = top(job, "job_runtime");
	double ios = num(job, "read", "total_ios");

	cr_assert_leq(ios, per_think * (ms / 10 + 1) + depth, "%.0f I/Os in %.0f ms", ios, ms);
	cr_assert_geq(ios, 4, "%.0f I/Os in %.0f ms: the job ran", ios, ms);
	cJSON_Delete(root);
}

/*
 * As fio: after each issue the job checks its count; once thinktime_blocks more are done (or
 * issued) it lets the I/O in flight finish and waits. Unthinking, this job does thousands.
 */
Test(bench_zhtp, thinktime_paces_the_job_as_fio)
{
	assert_think_cap("--name=t --filename=dev.img --size=4m --rw=randread --iodepth=8 "
			 "--thinktime=10ms --time_based --runtime=300ms --direct=1",
			 1, 8);
	assert_think_cap("--name=t --filename=dev.img --size=4m --rw=randread --iodepth=8 "
			 "--thinktime=10000 --thinktime_blocks_type=issue --time_based "
			 "--runtime=300ms --direct=1",
			 1, 1);
	assert_think_cap("--name=t --filename=dev.img --size=4m --rw=randread --iodepth=8 "
			 "--thinktime=10ms --thinktime_blocks=4 --thinktime_blocks_type=issue "
			 "--time_based --runtime=300ms --direct=1",
			 4, 4);
}

/* A size-bound job that is thinking when its last I/O is issued still drains and ends. */
Test(bench_zhtp, a_thinking_job_ends_with_its_size)
{
	cJSON *root = run_json("--name=t --filename=dev.img --size=40k --rw=read --bs=4k "
			       "--iodepth=4 --thinktime=2ms --direct=1");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(num(job, "read", "total_ios"), 10);
	cr_assert_geq(top(job, "job_runtime"), 4, "at least two 2 ms thinks");
	cJSON_Delete(root);
}

/* ---- rate= and rate_iops= ------------------------------------------------------------------ */

/*
 * A rate caps the I/O done: at most rate * runtime + 1 (the first goes at once). The jobs are
 * bounded by a count, not a time, so a limiter that holds I/Os back for good fails on the count
 * whatever the machine's speed (a lower bound on the I/Os of a timed run failed on a stall).
 */
static void assert_rate_cap(const cJSON *job, const char *dir, double per_second)
{
	double secs = top(job, "job_runtime") / 1000.0;
	double ios = num(job, dir, "total_ios");

	cr_assert_leq(ios, per_second * secs + 1, "%s: %.0f I/Os in %.3f s", dir, ios, secs);
}

Test(bench_zhtp, rate_iops_caps_each_direction_as_fio)
{
	cJSON *root = run_json("--name=r --filename=dev.img --size=4m --rw=randrw --bs=4k "
			       "--iodepth=8 --rate_iops=300,100 --number_ios=160 --direct=1");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(num(job, "read", "total_ios") + num(job, "write", "total_ios"), 160);
	/* As fio: the rates, not rwmixread's 50/50, set the mix (300 and 100 in fio 3.33). */
	assert_rate_cap(job, "read", 300);
	assert_rate_cap(job, "write", 100);
	cJSON_Delete(root);
}

Test(bench_zhtp, rate_caps_bandwidth)
{
	cJSON *root = run_json("--name=r --filename=dev.img --size=2m --rw=write --bs=64k "
			       "--iodepth=4 --rate=4m --direct=1");

	cr_assert_eq(num(job_at(root, 0), "write", "total_ios"), 32);
	assert_rate_cap(job_at(root, 0), "write", 64);
	cJSON_Delete(root);
}

/*
 * rate_process=poisson: the rate's mean, with exponential gaps, so the I/Os in a 50 ms window
 * vary as a Poisson count (variance about the mean); linear spacing puts the same number in
 * each. A stalled machine only adds variance, so the lower bound cannot fail for that. It
 * reads /dev/zero, so the rate is not the scratch disk's to keep.
 */
Test(bench_zhtp, poisson_rate_spaces_ios_at_random_with_the_rate_as_mean)
{
	unsigned windows[60] = {0}, n;
	struct zh_bench_log_entry *e;
	double total = 0, mean, var = 0;

	cr_assert_eq(run_bench("--name=p --filename=/dev/zero --size=4m --rw=randread --bs=4k "
			       "--iodepth=4 --rate_iops=1000 --rate_process=poisson --time_based "
			       "--runtime=3 --write_lat_log=p"),
		     0, "%s", slurp(err_path));
	e = read_log("p_clat.1.log", &n);
	for (unsigned i = 0; i < n; i++) {
		if (e[i].time_ms / 50 < 60)
			windows[e[i].time_ms / 50]++;
	}
	free(e);
	for (unsigned i = 0; i < 60; i++)
		total += windows[i];
	mean = total / 60;
	for (unsigned i = 0; i < 60; i++)
		var += (windows[i] - mean) * (windows[i] - mean) / 59;
	/* 50 a window at 1000 IOPS; a loaded machine still does a third of that. */
	cr_assert(mean > 16 && mean < 60, "%.1f I/Os per 50 ms", mean);
	/* Poisson: var / mean about 1 (+-0.18 for 60 windows); linear about 0. */
	cr_assert_gt(var / mean, 0.3, "variance %.1f over mean %.1f", var, mean);
}

/*
 * startdelay: the second job of the group starts 400 ms after the first and runs its 200 ms
 * from then; its runtime does not count the wait, and the group lasts until it is done.
 */
Test(bench_zhtp, startdelay_starts_a_job_late_and_runs_its_runtime_from_then)
{
	struct timespec t0, t1;
	cJSON *root;
	double waited, late;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	root = run_json("--filename=dev.img --size=1m --rw=randread --bs=4k --direct=1 "
			"--time_based --name=a --runtime=200ms --name=b --runtime=200ms "
			"--startdelay=400ms");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	late = top(job_at(root, 1), "job_runtime");
	cr_assert_geq(waited, 600, "the run took %.0f ms", waited);
	/* Upper bounds from the run's own length, which a loaded machine's late timers stretch:
	 * b started 400 ms in at the soonest, and neither outlasted the run. */
	cr_assert(late >= 190 && late <= waited - 400, "the late job ran %.0f ms of %.0f", late,
		  waited);
	cr_assert_leq(top(job_at(root, 0), "job_runtime"), waited);
	cJSON_Delete(root);
}

/*
 * exitall: the 200 ms job's end stops its group: the 20 s job stops with it, and the one still
 * waiting out a 20 s startdelay never starts. fio 3.33 stops them the same way.
 */
Test(bench_zhtp, exitall_stops_the_group_when_its_job_ends)
{
	struct timespec t0, t1;
	cJSON *root;
	double waited;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	root = run_json("--filename=dev.img --size=1m --rw=randread --bs=4k --direct=1 "
			"--time_based --name=short --runtime=200ms --exitall --name=long "
			"--runtime=20 --name=late --runtime=1 --startdelay=20");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(waited, 10, "the run took %.1f s", waited);
	cr_assert_lt(top(job_at(root, 1), "job_runtime"), 5000);
	cr_assert_gt(num(job_at(root, 1), "read", "total_ios"), 0);
	cr_assert_eq(num(job_at(root, 2), "read", "total_ios"), 0, "the late job never started");
	cJSON_Delete(root);
}

/*
 * exitall_on_error: only a job's failure stops the group. Reading a file never written with
 * verify_fatal fails at the first block (EILSEQ), which stops the 20 s job beside it.
 */
Test(bench_zhtp, exitall_on_error_stops_the_group_only_on_a_failure)
{
	cJSON *root = run_json("--filename=dev.img --size=1m --rw=randread --bs=4k --direct=1 "
			       "--time_based --name=a --runtime=300ms --exitall_on_error "
			       "--name=b --runtime=300ms");

	cr_assert_geq(top(job_at(root, 1), "job_runtime"), 290, "no error: b runs its runtime");
	cJSON_Delete(root);
	root = run_json_failing("--filename=dev.img --size=1m --bs=4k --direct=1 --time_based "
				"--name=bad --rw=read --runtime=20 --verify=crc32c "
				"--verify_fatal=1 --exitall_on_error --name=b --rw=randread "
				"--runtime=20");
	cr_assert_eq(top(job_at(root, 0), "error"), EILSEQ);
	cr_assert_lt(top(job_at(root, 1), "job_runtime"), 10000, "b was not stopped");
	cJSON_Delete(root);
}

/* Slots waiting for a slow rate's turn are let go when the job ends, not at their turn. */
Test(bench_zhtp, a_deep_queue_at_a_low_rate_ends_with_its_runtime)
{
	cJSON *root =
	    run_json("--name=r --filename=dev.img --size=4m --rw=read --bs=4k "
		     "--iodepth=32 --rate_iops=2 --time_based --runtime=500ms --direct=1");
	const cJSON *job = job_at(root, 0);

	/* One at the start, the next due at 500 ms: the rate's cap over the runtime it had. */
	assert_rate_cap(job, "read", 2);
	/* Waiting for the 32nd slot's turn would take 16 s. */
	cr_assert_lt(top(job, "job_runtime"), 5000);
	cJSON_Delete(root);
	root = run_json("--name=r --filename=dev.img --size=40k --rw=read --bs=4k --iodepth=32 "
			"--rate_iops=1000 --direct=1");
	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 10, "a size-bound job");
	cJSON_Delete(root);
}

/* percentile_list replaces fio's default percentiles in both outputs, sync included. */
Test(bench_zhtp, percentile_list_sets_the_reported_percentiles)
{
	static const char *const keys[] = {"1.000000", "50.000000", "99.999000"};
	cJSON *root = run_json("--name=p --filename=dev.img --size=1m --rw=randwrite --bs=4k "
			       "--fsync=16 --percentile_list=99.999:50:1 --direct=1");
	const cJSON *job = job_at(root, 0);
	const cJSON *write = cJSON_GetObjectItemCaseSensitive(job, "write");
	const cJSON *pct = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(write, "clat_ns"), "percentile");
	const cJSON *sync_pct = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(job, "sync"),
					     "lat_ns"),
	    "percentile");
	char *text;

	cr_assert_eq(cJSON_GetArraySize(pct), 3);
	cr_assert_eq(cJSON_GetArraySize(sync_pct), 3);
	for (int i = 0; i < 3; i++) {
		cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(pct, keys[i])), "%s",
			  keys[i]);
		cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(sync_pct, keys[i])));
	}
	cJSON_Delete(root);
	cr_assert_eq(run_bench("--name=p --filename=dev.img --size=1m --rw=randread "
			       "--percentile_list=99.999:50:1 --direct=1"),
		     0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "     |  1.000th=["), "%s", text);
	cr_assert_not_null(strstr(text, ", 50.000th=["), "%s", text);
	cr_assert_not_null(strstr(text, ", 99.999th=["), "%s", text);
	cr_assert_null(strstr(text, "99.90th"), "the default list is replaced");
	free(text);
}

/* ---- how much I/O, and where: io_size, loops, number_ios, offset_increment ------------------ */

static double ios_of(const char *args, const char *dir)
{
	cJSON *root = run_json(args);
	double ios = num(job_at(root, 0), dir, "total_ios");

	cJSON_Delete(root);
	return ios;
}

/* The counts fio 3.33 gives for the same command lines. */
Test(bench_zhtp, io_size_loops_and_number_ios_set_how_much_io)
{
	cr_assert_eq(ios_of("--name=a --filename=dev.img --size=1m --rw=read --io_size=2m "
			    "--direct=1",
			    "read"),
		     512, "io_size beyond size loops over the region");
	cr_assert_eq(ios_of("--name=b --filename=dev.img --size=1m --rw=randread --loops=3 "
			    "--direct=1",
			    "read"),
		     768);
	cr_assert_eq(ios_of("--name=c --filename=dev.img --size=1m --rw=write --number_ios=10 "
			    "--direct=1",
			    "write"),
		     10);
	cr_assert_eq(ios_of("--name=d --filename=dev.img --size=1m --rw=read --number_ios=100 "
			    "--time_based --runtime=10 --direct=1",
			    "read"),
		     100, "number_ios ends a time_based job early");
}

/* ---- block sizes that vary: bs=R,W, bsrange, bssplit -------------------------------------- */

/* Of n I/Os moving \p bytes, each of \p small or \p large bytes: how many were large. */
static double large_count(double bytes, double n, double small, double large)
{
	double large_ios = (bytes - n * small) / (large - small);

	cr_assert_eq(large_ios, (double)(long)large_ios,
		     "%.0f bytes in %.0f I/Os is no mix of %.0f and %.0f", bytes, n, small, large);
	return large_ios;
}

/*
 * number_ios counts I/Os of any size (it ends this time_based job, long before its runtime);
 * each I/O has one of bssplit's sizes, at about its share.
 */
Test(bench_zhtp, bssplit_draws_each_size_at_its_share)
{
	cJSON *root = run_json("--name=s --filename=dev.img --size=8m --rw=randrw "
			       "--bssplit=4k/25:64k/75,8k --number_ios=2000 --iodepth=8 --direct=1 "
			       "--time_based --runtime=20");
	const cJSON *job = job_at(root, 0);
	double reads = num(job, "read", "total_ios"), writes = num(job, "write", "total_ios");
	double large = large_count(num(job, "read", "io_bytes"), reads, 4096, 65536);
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(job, "job options");

	cr_assert_eq(reads + writes, 2000, "%.0f reads, %.0f writes", reads, writes);
	cr_assert_eq(num(job, "write", "io_bytes"), writes * 8192, "writes are all 8k");
	/* 75% of about 1000 reads: 5 standard deviations either way is +-7 points. */
	cr_assert(large > reads * 0.68 && large < reads * 0.82, "%.0f of %.0f reads were 64k",
		  large, reads);
	cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(opts, "bssplit")),
			 "4k/25:64k/75,8k/100");
	cJSON_Delete(root);
}

/* A sequential bsrange job covers its region from the start, each I/O where the last ended. */
Test(bench_zhtp, bsrange_sequential_writes_follow_on)
{
	cJSON *root = run_json("--name=q --filename=dev.img --size=1m --rw=write --bsrange=4k-16k "
			       "--iodepth=4 --direct=1 --write_lat_log=q");
	const cJSON *job = job_at(root, 0);
	unsigned seen[5] = {0}, n;
	struct zh_bench_log_entry *e = read_log("q_clat.1.log", &n);

	cr_assert_geq(num(job, "write", "io_bytes"), 1 << 20);
	cr_assert_lt(num(job, "write", "io_bytes"), (1 << 20) + 16384);
	for (unsigned i = 0; i < n; i++) {
		cr_assert(e[i].bs % 4096 == 0 && e[i].bs >= 4096 && e[i].bs <= 16384, "bs %u",
			  e[i].bs);
		seen[e[i].bs / 4096]++;
	}
	for (unsigned k = 1; k <= 4; k++)
		cr_assert_gt(seen[k], 0, "no %uk write in the log", 4 * k);
	free(e);
	cJSON_Delete(root);
}

/* rate= counts bytes, whatever size each I/O has. */
Test(bench_zhtp, rate_caps_bandwidth_with_sizes_that_vary)
{
	cJSON *root = run_json("--name=r --filename=dev.img --size=4m --io_size=1m --rw=randwrite "
			       "--bssplit=4k/50:64k/50 --iodepth=4 --rate=2m --direct=1");
	const cJSON *job = job_at(root, 0);
	double secs = top(job, "job_runtime") / 1000.0, bytes = num(job, "write", "io_bytes");

	/* Its count, whatever the speed: the limiter lets every byte through in the end. */
	cr_assert_geq(bytes, 1 << 20, "%.0f bytes", bytes);
	/* The last I/O may start just inside the budget: one 64k over at most. */
	cr_assert_leq(bytes, 2.0 * 1024 * 1024 * secs + 65536, "%.0f bytes in %.3f s", bytes, secs);
	cJSON_Delete(root);
}

/* Every size drawn must suit direct I/O, not only the smallest. */
Test(bench_zhtp, a_misaligned_size_in_a_split_is_refused_before_running)
{
	cr_assert_neq(run_bench("--name=m --filename=dev.img --size=1m --rw=randread "
				"--bssplit=4k/50:6000/50 --direct=1"),
		      0);
	assert_stderr_has("every block size and offset=0 must be multiples of the device's");
}

/* ---- random_distribution ------------------------------------------------------------------ */

/* Distinct blocks a verifying random writer wrote in \p ios writes (each is read back once). */
static double distinct_blocks_written(unsigned ios, const char *opts)
{
	char args[512];
	cJSON *root;
	double blocks;

	snprintf(args, sizeof(args),
		 "--name=z --filename=dev.img --size=1m --rw=randwrite --bs=4k --iodepth=4 "
		 "--number_ios=%u --time_based --runtime=20 --verify=crc32c --direct=1 %s",
		 ios, opts);
	root = run_json(args);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	blocks = num(job_at(root, 0), "zhtp_verify", "blocks");
	cJSON_Delete(root);
	return blocks;
}

/*
 * 1000 writes over 256 blocks: uniform leaves about 256 * (1 - e^-3.9) = 251 blocks written;
 * zipf:3 puts 83% of them on one block and nearly all on a few dozen; zoned 100% to the
 * first 10% touches at most 25 blocks. Every block reads back as its last write.
 */
Test(bench_zhtp, random_distribution_skews_where_writes_land)
{
	double uniform = distinct_blocks_written(1000, "--random_distribution=random");
	double zipf = distinct_blocks_written(1000, "--random_distribution=zipf:3");
	double zoned = distinct_blocks_written(1000, "--random_distribution=zoned:100/10:0/90");

	cr_assert_gt(uniform, 230, "uniform wrote %.0f blocks", uniform);
	cr_assert_lt(zipf, 80, "zipf:3 wrote %.0f blocks", zipf);
	cr_assert_leq(zoned, 25, "zoned wrote %.0f blocks", zoned);
}

/*
 * Blocks of dev.img (256 of 4 KiB) whose next block holds the very next write: a write that
 * followed on from the one before it. Each verify block names its write number.
 */
static unsigned follow_on_pairs(const char *percentage)
{
	uint64_t seq[256] = {0};
	char path[700], args[256];
	static char block[4096];
	unsigned pairs = 0;
	FILE *f;

	snprintf(args, sizeof(args),
		 "--name=p --filename=dev.img --size=1m --rw=randwrite --bs=4k --iodepth=4 "
		 "--number_ios=256 --verify=crc32c --do_verify=0 --direct=1 "
		 "--percentage_random=%s",
		 percentage);
	cJSON_Delete(run_json(args));
	snprintf(path, sizeof(path), "%s/dev.img", scratch);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	for (unsigned i = 0; i < 256; i++) {
		cr_assert_eq(fread(block, 1, sizeof(block), f), sizeof(block));
		(void)zh_bench_verify_check(block, sizeof(block), i * 4096ull, 0,
					    ZH_BENCH_VERIFY_CRC32C, NULL, &seq[i]);
	}
	fclose(f);
	for (unsigned i = 0; i + 1 < 256; i++)
		pairs += seq[i] != 0 && seq[i + 1] == seq[i] + 1;
	unlink(path);
	return pairs;
}

/* log_offset: each line of a per-I/O log names where its I/O went, as fio's do. */
Test(bench_zhtp, log_offset_writes_each_ios_offset)
{
	struct zh_bench_log_entry *e;
	unsigned n;

	cr_assert_eq(run_bench("--name=o --filename=dev.img --size=1m --rw=write --bs=4k "
			       "--iodepth=1 --direct=1 --write_lat_log=o --log_offset=1"),
		     0, "%s", slurp(err_path));
	e = read_log("o_clat.1.log", &n);
	cr_assert_eq(n, 256);
	for (unsigned i = 0; i < n; i++) {
		cr_assert(e[i].has_offset, "line %u has no offset column", i + 1);
		cr_assert_eq(e[i].offset, i * 4096ull, "line %u", i + 1);
	}
	free(e);
}

/*
 * random_generator=lfsr (fio's promise: no block twice in a pass): 256 random writes over 256
 * blocks write every block, where draws with replacement (tausworthe, the default) leave
 * about 256 / e = 94 unwritten; two passes write each block twice, the second time checked
 * as the last write.
 */
Test(bench_zhtp, lfsr_visits_every_block_once_per_pass)
{
	double lfsr = distinct_blocks_written(256, "--random_generator=lfsr");
	double two = distinct_blocks_written(512, "--random_generator=lfsr");
	double drawn = distinct_blocks_written(256, "--random_generator=tausworthe");

	cr_assert_eq(lfsr, 256);
	cr_assert_eq(two, 256);
	cr_assert(drawn > 130 && drawn < 200, "with replacement: %.0f blocks", drawn);
}

/*
 * Regression: a verifying writer redrew until it found a block with no write in flight, and a
 * distribution that draws one block nearly always (zipf:50; a zone smaller than a block) spun
 * the reactor forever at depth 8. It now takes the next free block after a few redraws.
 */
Test(bench_zhtp, verify_with_a_distribution_stuck_on_one_block_still_ends)
{
	double zipf = distinct_blocks_written(400, "--random_distribution=zipf:50 --iodepth=8");
	double zone = distinct_blocks_written(400, "--random_distribution=zoned:100/0.1:0/99.9");

	cr_assert_geq(zipf, 2, "zipf:50 at depth 8 wrote %.0f blocks", zipf);
	cr_assert_lt(zipf, 40, "zipf:50 at depth 8 wrote %.0f blocks", zipf);
	cr_assert_geq(zone, 2, "a zone of no whole block wrote %.0f blocks", zone);
}

/*
 * percentage_random: 256 writes over 256 blocks. All sequential (0): one pass, each write
 * following on from the one before (255 pairs); all random (100): next to each other by chance
 * only (about one pair); half: about half the writes follow on, less those overwritten.
 */
Test(bench_zhtp, percentage_random_mixes_sequential_runs_into_a_random_job)
{
	unsigned none = follow_on_pairs("0"), all = follow_on_pairs("100");
	unsigned half = follow_on_pairs("50");

	cr_assert_geq(none, 250, "percentage_random=0: %u follow-on pairs", none);
	cr_assert_leq(all, 16, "percentage_random=100: %u follow-on pairs", all);
	cr_assert(half >= 50 && half <= 160, "percentage_random=50: %u follow-on pairs", half);
}

/* The offsets of a 64 KiB job of 4 KiB I/Os at depth 1 with rw=\p rw and \p more, in KiB. */
static unsigned offsets_kib(const char *rw, const char *more, unsigned *out)
{
	char args[512];
	struct zh_bench_log_entry *e;
	unsigned n;

	snprintf(args, sizeof(args),
		 "--name=s --filename=s.img --size=64k --bs=4k --iodepth=1 --direct=1 --rw=%s "
		 "--write_lat_log=s --log_offset=1 %s",
		 rw, more);
	cr_assert_eq(run_bench(args), 0, "%s", slurp(err_path));
	e = read_log("s_clat.1.log", &n);
	cr_assert_eq(n, 16, "rw=%s: %u I/Os", rw, n);
	for (unsigned i = 0; i < n; i++)
		out[i] = (unsigned)(e[i].offset / 1024);
	free(e);
	return n;
}

/* rw=read:-8k and rw=write:4k: the offsets fio 3.33 gave on the same command lines. */
Test(bench_zhtp, sequential_offset_modifiers_step_as_fio)
{
	static const unsigned back[16] = {0,  56, 52, 48, 44, 40, 36, 32,
					  28, 24, 20, 16, 12, 8,  4,  0};
	static const unsigned holes[16] = {0, 8, 16, 24, 32, 40, 48, 56,
					   0, 8, 16, 24, 32, 40, 48, 56};
	unsigned got[16];

	offsets_kib("read:-8k", "", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], back[i], "read:-8k, I/O %d", i + 1);
	offsets_kib("write:4k", "", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], holes[i], "write:4k, I/O %d", i + 1);
}

/*
 * rw=randread:4: the first four from the region's start, then a random offset and three
 * following on (or, rw_sequencer=identical, three more at it), as fio's.
 */
Test(bench_zhtp, random_offset_modifier_takes_a_random_offset_every_n)
{
	unsigned got[16];

	offsets_kib("randread:4", "", got);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(got[i], 4u * i);
	for (int i = 4; i < 16; i++) {
		if (i % 4 != 0)
			cr_assert(got[i] == got[i - 1] + 4 || got[i] == 0, "I/O %d: %u after %u",
				  i + 1, got[i], got[i - 1]);
	}
	offsets_kib("randread:4", "--rw_sequencer=identical", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], got[i - i % 4], "I/O %d", i + 1);
	cr_assert_eq(got[0], 0);
}

/*
 * zonemode=strided: zonesize bytes in each zone, then zonerange + zoneskip further on, back to
 * the start past the end; a zonerange below zonesize reads the zone again. The offsets fio
 * 3.33 gave on the same command lines.
 */
Test(bench_zhtp, strided_zones_step_as_fio)
{
	static const unsigned skip[16] = {0, 4, 16, 20, 32, 36, 48, 52,
					  0, 4, 16, 20, 32, 36, 48, 52};
	static const unsigned again[16] = {0,  0,  12, 12, 24, 24, 36, 36,
					   48, 48, 60, 60, 0,  0,  12, 12};
	unsigned got[16];

	offsets_kib("read", "--zonemode=strided --zonesize=8k --zoneskip=8k", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], skip[i], "zoneskip=8k, I/O %d", i + 1);
	offsets_kib("read", "--zonemode=strided --zonesize=8k --zonerange=4k --zoneskip=8k", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], again[i], "zonerange=4k, I/O %d", i + 1);
	offsets_kib("randread", "--zonemode=strided --zonesize=8k --zonerange=12k --zoneskip=4k",
		    got);
	for (int i = 0; i < 16; i++) {
		unsigned zone = (i / 2) % 4 * 16;

		cr_assert(got[i] >= zone && got[i] + 4 <= zone + 12, "random I/O %d at %u KiB",
			  i + 1, got[i]);
	}
}

/* Job \p name's clone 0 files, \p n of \p bytes zeros each, so that the blocks written show
 * (a file laid out by zhtp-bench would hold the pattern). */
static void zero_files(const char *name, int n, off_t bytes)
{
	char path[700];

	for (int f = 0; f < n; f++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s.0.%d", scratch, name, f);
		fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(ftruncate(fd, bytes), 0);
		close(fd);
	}
}

/* Which of \p name's 4 KiB blocks hold 0xaa throughout, as a string of 'P' and '.'. */
static void pattern_blocks(const char *name, char *out, unsigned blocks)
{
	char path[700], *data;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	data = slurp(path);
	for (unsigned b = 0; b < blocks; b++) {
		out[b] = 'P';
		for (unsigned i = 0; i < 4096; i++)
			out[b] = (uint8_t)data[b * 4096 + i] == 0xaa ? out[b] : '.';
	}
	out[blocks] = '\0';
	free(data);
}

/*
 * Several files: fio's roundrobin takes a block from each in turn (the offsets, file by file,
 * of fio 3.33's write_iolog on the same command line), file_service_type=sequential fills one
 * file before the next (12 writes: the first file's 8 blocks and 4 of the second, as fio),
 * random draws a file for each write and goes on in it.
 */
Test(bench_zhtp, several_files_are_written_as_fio_writes_them)
{
	char blocks[2][16], path[700];
	unsigned got[16];
	struct stat st;

	offsets_kib("write", "--filename=s1.img:s2.img", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], i / 2 * 4, "I/O %d", i + 1);
	snprintf(path, sizeof(path), "%s/s2.img", scratch);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 32 << 10, "half of size in each file");
	zero_files("n", 2, 32 << 10);
	cr_assert_eq(run_bench("--name=n --nrfiles=2 --size=64k --rw=write --bs=4k --direct=1 "
			       "--file_service_type=sequential --buffer_pattern=0xaa "
			       "--number_ios=12"),
		     0, "%s", slurp(err_path));
	pattern_blocks("n.0.0", blocks[0], 8);
	pattern_blocks("n.0.1", blocks[1], 8);
	cr_assert_str_eq(blocks[0], "PPPPPPPP");
	cr_assert_str_eq(blocks[1], "PPPP....");
	/* random: a file drawn for each write, each file written from its start on. */
	zero_files("n", 2, 32 << 10);
	cr_assert_eq(run_bench("--name=n --nrfiles=2 --size=64k --rw=write --bs=4k --direct=1 "
			       "--file_service_type=random --buffer_pattern=0xaa --number_ios=8"),
		     0, "%s", slurp(err_path));
	pattern_blocks("n.0.0", blocks[0], 8);
	pattern_blocks("n.0.1", blocks[1], 8);
	cr_assert_eq(strspn(blocks[0], "P") + strspn(blocks[1], "P"), 8, "%s %s", blocks[0],
		     blocks[1]);
	cr_assert(strchr(blocks[0] + strspn(blocks[0], "P"), 'P') == NULL, "%s", blocks[0]);
	cr_assert(strchr(blocks[1] + strspn(blocks[1], "P"), 'P') == NULL, "%s", blocks[1]);
}

/*
 * roundrobin:3: three I/Os on a file before the next; a sequential job goes on in each file
 * where it left off, and a file done ends its turn early (the offsets fio 3.33's write_iolog
 * gave on the same command line). A random job's four writes at roundrobin:4 all go to the
 * first file; at random:4 all to one file, either.
 */
Test(bench_zhtp, a_switch_count_keeps_n_ios_on_a_file)
{
	static const unsigned fio_rr3[16] = {0,	 4,  8,	 0,  4,	 8,  12, 16,
					     20, 12, 16, 20, 24, 28, 24, 28};
	const char *base = "--name=n --nrfiles=2 --size=64k --rw=randwrite --bs=4k --direct=1 "
			   "--buffer_pattern=0xaa --number_ios=4";
	char blocks[2][16], args[300];
	unsigned got[16];

	offsets_kib("write", "--filename=s1.img:s2.img --file_service_type=roundrobin:3", got);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(got[i], fio_rr3[i], "I/O %d", i + 1);
	zero_files("n", 2, 32 << 10);
	snprintf(args, sizeof(args), "%s --file_service_type=roundrobin:4", base);
	cr_assert_eq(run_bench(args), 0, "%s", slurp(err_path));
	pattern_blocks("n.0.0", blocks[0], 8);
	pattern_blocks("n.0.1", blocks[1], 8);
	cr_assert(strcmp(blocks[0], "........") != 0 && strcmp(blocks[1], "........") == 0,
		  "file 0 first: %s %s", blocks[0], blocks[1]);
	zero_files("n", 2, 32 << 10);
	snprintf(args, sizeof(args), "%s --file_service_type=random:4", base);
	cr_assert_eq(run_bench(args), 0, "%s", slurp(err_path));
	pattern_blocks("n.0.0", blocks[0], 8);
	pattern_blocks("n.0.1", blocks[1], 8);
	cr_assert((strcmp(blocks[0], "........") == 0) != (strcmp(blocks[1], "........") == 0),
		  "one file: %s %s", blocks[0], blocks[1]);
}

/*
 * bwavgtime: one bandwidth and IOPS sample per window (fio's 500 ms by default). 6 and 15 in
 * 3 s when the timers keep time. The caps are the ticks a window apart over the run (one more
 * needs the last I/O held up half a window past its end); 7 or more cannot come from 500 ms
 * windows, and leaves 1.6 s for held-up ticks to lose.
 */
Test(bench_zhtp, bwavgtime_sets_the_sampling_window)
{
	const char *base = "--name=s --filename=/dev/zero --size=1m --rw=randread "
			   "--rate_iops=2000 --time_based --runtime=3";
	char args[512];
	double every500, every200;
	cJSON *root;

	snprintf(args, sizeof(args), "%s", base);
	root = run_json(args);
	every500 = num(job_at(root, 0), "read", "iops_samples");
	cJSON_Delete(root);
	snprintf(args, sizeof(args), "%s --bwavgtime=200", base);
	root = run_json(args);
	every200 = num(job_at(root, 0), "read", "iops_samples");
	cJSON_Delete(root);
	cr_assert(every500 >= 1 && every500 <= 6, "%.0f samples in 3 s at 500 ms", every500);
	cr_assert(every200 >= 7 && every200 <= 15, "%.0f samples in 3 s at 200 ms", every200);
}

/* fill_device on a write job: the file grows with the writes, up to size here. */
Test(bench_zhtp, fill_device_grows_the_file_with_the_writes)
{
	const char *args = "--name=f --filename=grow.img --size=1m --rw=write --bs=64k "
			   "--direct=1 --iodepth=4 --fill_device=1";
	char path[700];
	struct stat st;
	cJSON *root;

	root = run_json(args);
	cr_assert_eq(num(job_at(root, 0), "write", "io_bytes"), 1 << 20);
	cJSON_Delete(root);
	snprintf(path, sizeof(path), "%s/grow.img", scratch);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 1 << 20, "the writes made the file, no layout before them");
}

/*
 * fio's rule for a transfer cut short: the rest goes out from where it stopped, and the I/O
 * counts once, whole, in total_ios and in short_ios. Regression: every one failed the job with
 * EIO and counted nothing. Every read here is cut by one block (injected); the writes, half of
 * them cut, must land where a verify finds them.
 */
Test(bench_zhtp, short_transfers_go_on_from_where_they_stopped)
{
	const cJSON *job;
	cJSON *root;

	root = run_json("--name=s --filename=short.img --size=1m --rw=randread --bs=64k "
			"--direct=1 --iodepth=4 --fault_short_ppm=1000000");
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), 0);
	cr_assert_eq(num(job, "read", "total_ios"), 16);
	cr_assert_eq(num(job, "read", "short_ios"), 16);
	cr_assert_eq(num(job, "read", "io_bytes"), 1 << 20);
	cJSON_Delete(root);
	root = run_json("--name=v --filename=short.img --size=2m --rw=randwrite --bs=64k "
			"--direct=1 --iodepth=4 --verify=crc32c --fault_short_ppm=500000");
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), 0);
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 0);
	cr_assert_gt(num(job, "zhtp_verify", "blocks"), 0);
	cr_assert_gt(num(job, "write", "short_ios"), 0);
	cr_assert_eq(num(job, "write", "io_bytes"), 2 << 20);
	cJSON_Delete(root);
}

/*
 * Regression: a read cut short whose rest then moved nothing (its file cut shorter while the
 * job ran) went out again and again: the job never ended. The rest that moves nothing now
 * fails as fio's "full resid" does (EIO), which continue_on_error counts. The file is cut to
 * 1000 bytes into a block while a buffered job reads it; `timeout` bounds the old behaviour.
 * The cut comes after the first status report, so the file is laid out and being read: after
 * a 0.5 s sleep, a slow start could see the cut file and lay it out again, and nothing failed.
 */
Test(bench_zhtp, a_rest_that_moves_nothing_fails_instead_of_going_out_forever)
{
	cJSON *docs[STATUS_DOCS_MAX];
	char cmd[4096];
	unsigned n;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && { timeout 40 '%s' --output-format=json --status-interval=200ms "
		 "--name=t --filename=cut.img --size=4m --rw=randread --bs=4k --direct=0 "
		 "--runtime=2 --time_based --continue_on_error=read >'%s' 2>'%s' & } && "
		 "for i in $(seq 400); do test -s '%s' && break; sleep 0.05; done && "
		 "truncate -s %d cut.img && wait $!",
		 scratch, ZH_BENCH_BINARY, out_path, err_path, out_path, (2 << 20) + 1000);
	st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d: %s",
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(err_path));
	n = read_status_docs(docs);
	cr_assert_geq(n, 2, "a status report, then the final one");
	cr_assert_gt(top(job_at(docs[n - 1], 0), "total_err"), 0,
		     "reads past the cut were counted");
	for (unsigned i = 0; i < n; i++)
		cJSON_Delete(docs[i]);
}

/*
 * fio's flow (3.33): jobs of one flow_id share out their I/Os by their weights, 3:2:1 here as
 * in fio's manual; a negative weight counts by its size (examples/butterfly.fio's two readers
 * keep the same pace); a job of another flow_id is not held back by them.
 *
 * Counted, not timed: the weight-1 job does 300 I/Os and its end stops the group (exitall).
 * Regression: a 300 ms run asked the weight-1 job for more than 100 I/Os, and an ASan build on
 * a loaded machine did 49.
 */
Test(bench_zhtp, flow_shares_ios_by_weight)
{
	/* /dev/zero: each job as fast as a core allows, not as the scratch disk does. */
	const char *base = "--size=16m --bs=4k --rw=randread --time_based --runtime=60 "
			   "--filename=/dev/zero";
	char args[1024];
	double a, b, c, d;
	cJSON *root;

	snprintf(args, sizeof(args),
		 "%s --name=a --flow=3 %s --name=b --flow=2 %s --name=c --flow=-1 --number_ios=300 "
		 "--exitall %s --name=d --flow=1 --flow_id=9",
		 base, base, base, base);
	root = run_json(args);
	a = num(job_at(root, 0), "read", "total_ios");
	b = num(job_at(root, 1), "read", "total_ios");
	c = num(job_at(root, 2), "read", "total_ios");
	d = num(job_at(root, 3), "read", "total_ios");
	cJSON_Delete(root);
	cr_assert_eq(c, 300);
	cr_assert(a / c > 2.9 && a / c < 3.1, "a/c %.3f (%.0f, %.0f)", a / c, a, c);
	cr_assert(b / c > 1.9 && b / c < 2.1, "b/c %.3f (%.0f, %.0f)", b / c, b, c);
	cr_assert_gt(d, c, "flow_id 9 is a flow of its own: %.0f against %.0f", d, c);
}

/*
 * fio's flow_put: a job that finishes leaves its flow. Its I/Os and weight stayed in, so the
 * other job's share stayed past its weight and it parked every I/O: 18 I/Os in 2 s.
 */
Test(bench_zhtp, a_flow_job_runs_on_when_its_partner_ends)
{
	/* The runtime only bounds the old failure (b never ended); b's size ends it in ms. */
	cJSON *root = run_json("--rw=randread --bs=4k --iodepth=4 --filename=/dev/zero --flow=1 "
			       "--runtime=10 --name=a --size=64k --name=b --size=4m");

	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 16);
	cr_assert_eq(num(job_at(root, 1), "read", "total_ios"), 1024, "b finishes its size");
	cJSON_Delete(root);
}

/*
 * The run's last IOPS sample covers only the time since the last tick: a job ending just after
 * one logged its last I/O over a few microseconds (iops_max 140,627 for a 100 IOPS job). Under
 * half a period it is not a sample, once a tick has passed: a reactor held up past the first
 * tick (which then sampled nothing) caught its rate up in a sliver, 439 IOPS, under ASan in CI.
 *
 * The bound holds whatever the machine's timing: every sample spans at least half of the 500 ms
 * period (a tick at least a period, the last at least half, or the whole run when no tick has
 * passed, which the rate holds to 500 ms), so 51 I/Os give at most 204 IOPS. It was 150: a
 * held-up run can go past that with the rule working.
 */
Test(bench_zhtp, a_last_sample_of_a_sliver_does_not_skew_the_rates)
{
	cJSON *root = run_json("--name=r --filename=dev.img --size=204k --rw=read --bs=4k "
			       "--iodepth=1 --rate_iops=100");
	const cJSON *read = cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "read");
	double max = cJSON_GetObjectItemCaseSensitive(read, "iops_max")->valuedouble;

	cJSON_Delete(root);
	cr_assert_leq(max, 51 / 0.25, "iops_max %.0f for a 100 IOPS job of 51 I/Os", max);
}

/*
 * /dev/zero and /dev/null as files (fio's examples/steadystate.fio uses them): they have no
 * size, so size= is the region and is needed; they refuse O_DIRECT, as fio finds too.
 */
Test(bench_zhtp, character_devices_take_their_size_from_the_job)
{
	cJSON *root;

	root = run_json("--name=z --filename=/dev/zero --rw=randread --bs=4k --size=128m "
			"--number_ios=4096 --iodepth=8");
	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 4096);
	cJSON_Delete(root);
	root =
	    run_json("--name=n --filename=/dev/null --rw=write --bs=128k --size=64m --iodepth=4");
	cr_assert_eq(num(job_at(root, 0), "write", "io_bytes"), 64 << 20);
	cJSON_Delete(root);
	cr_assert_neq(run_bench("--name=n --filename=/dev/null --rw=write --bs=128k"), 0);
	assert_stderr_has("/dev/null has no size of its own: give 'size'");
	cr_assert_neq(run_bench("--name=n --filename=/dev/null --rw=write --size=1m --direct=1"),
		      0);
	assert_stderr_has("/dev/null: cannot open with O_DIRECT: Invalid argument");
}

/* Write \p text to the job file \p name in the scratch directory and run it (JSON output). */
static cJSON *run_job_text(const char *name, const char *text)
{
	write_job_file(name, text);
	return run_json(name);
}

/*
 * new_group starts a reporting group among jobs that run together, and group_reporting then
 * merges each group apart; the next stonewall's group follows on: ids 0, 1, 2, 3 as fio
 * gives them for the same file.
 */
Test(bench_zhtp, new_group_reports_apart)
{
	cJSON *root;

	root = run_job_text("groups.fio",
			    "[global]\nfilename=/dev/zero\nsize=64m\nrw=randread\nnumber_ios=100\n"
			    "group_reporting\n[a]\nnumjobs=2\n[b]\nnew_group\nnumjobs=2\n"
			    "[c]\nstonewall\n[d]\nnew_group\n");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "jobs")), 4);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(top(job_at(root, i), "groupid"), i);
		cr_assert_eq(num(job_at(root, i), "read", "total_ios"), i < 2 ? 200 : 100,
			     "group %d merges its own clones only", i);
	}
	cJSON_Delete(root);
}

/*
 * Regression: one job's group_reporting merged every job of its group. fio merges a clone into
 * the result before it only when the clone's own job has group_reporting: fio 3.33 on this
 * file reports a (200), b with c (200) and d (100).
 */
Test(bench_zhtp, group_reporting_merges_only_the_jobs_that_ask)
{
	static const char *const names[] = {"a", "b", "d"};
	static const double ios[] = {200, 200, 100};
	cJSON *root =
	    run_job_text("mixed.fio", "[global]\nfilename=/dev/zero\nsize=64m\n"
				      "rw=randread\nnumber_ios=100\n[a]\nnumjobs=2\n"
				      "group_reporting\n[b]\n[c]\ngroup_reporting\n[d]\n");

	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "jobs")), 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_str_eq(
		    cJSON_GetObjectItemCaseSensitive(job_at(root, i), "jobname")->valuestring,
		    names[i]);
		cr_assert_eq(num(job_at(root, i), "read", "total_ios"), ios[i], "job %s", names[i]);
	}
	cJSON_Delete(root);
}

/*
 * Regression: the process's CPU time was split evenly among the results and each half taken
 * over its own job's runtime, so a short job beside a long one showed several cores' worth
 * (sys=208% for 1 s beside 4 s). Each takes its share of the jobs' time now: one rate for all.
 */
Test(bench_zhtp, cpu_columns_share_the_process_by_job_time)
{
	cJSON *root = run_job_text("cpu.fio", "[global]\nfilename=dev.img\nsize=4m\nrw=randread\n"
					      "time_based\n[short]\nruntime=200ms\n"
					      "[long]\nruntime=800ms\n");
	double short_pct = top(job_at(root, 0), "usr_cpu") + top(job_at(root, 0), "sys_cpu");
	double long_pct = top(job_at(root, 1), "usr_cpu") + top(job_at(root, 1), "sys_cpu");

	cr_assert_gt(long_pct, 0);
	cr_assert_float_eq(short_pct, long_pct, long_pct * 1e-3, "%.2f%% against %.2f%%", short_pct,
			   long_pct);
	cr_assert_leq(long_pct, 100.0 * (double)sysconf(_SC_NPROCESSORS_ONLN) + 1e-6);
	cJSON_Delete(root);
}

/*
 * Regression: a run holds 1,024 results, and those of later run groups past that were dropped
 * without a word (exit 0). Refused now before anything runs: no output, and the reason.
 */
Test(bench_zhtp, more_results_than_a_run_holds_is_refused_before_running)
{
	/* Five run groups of 256 clones (numjobs' limit), each clone its own result. */
	static const char five[] =
	    "--filename=/dev/zero --size=1m --rw=read --number_ios=1 --numjobs=256 --name=a "
	    "--name=b --stonewall --name=c --stonewall --name=d --stonewall --name=e --stonewall";
	char args[512];
	char *out;
	cJSON *root;

	snprintf(args, sizeof(args), "--output-format=json %s", five);
	cr_assert_neq(run_bench(args), 0);
	assert_stderr_has("report 1280 results, more than the 1024");
	out = slurp(out_path);
	cr_assert_str_eq(out, "");
	free(out);
	/* With group_reporting the same clones are five results, and run. */
	snprintf(args, sizeof(args), "--group_reporting %s", five);
	root = run_json(args);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "jobs")), 5);
	cJSON_Delete(root);
}

/*
 * Regression: a run group that could not start threw away the results of those that had run
 * before it. They are reported now, and the run still fails.
 */
Test(bench_zhtp, a_later_group_that_cannot_start_keeps_the_earlier_results)
{
	cJSON *root = run_json_failing("--name=ok --filename=dev.img --size=1m --rw=read "
				       "--name=bad --stonewall --filename=nodir/f");

	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "jobs")), 1);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "jobname")->valuestring,
			 "ok");
	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 256);
	cJSON_Delete(root);
	assert_stderr_has("nodir/f");
}

/*
 * Regression: an absolute filename ignored directory, so directory=/mnt/x with filename=/dev/sdb
 * wrote the device. As in fio, every name goes under directory (here DIR/SCRATCH/abs.img, its
 * directories made as fio makes them), and nothing is written at the absolute path.
 */
Test(bench_zhtp, an_absolute_filename_goes_under_directory)
{
	char args[1400], under[1400], abs_path[700];

	snprintf(abs_path, sizeof(abs_path), "%s/abs.img", scratch);
	snprintf(args, sizeof(args),
		 "--name=a --directory=dd --filename=%s --size=64k --rw=write --bs=4k", abs_path);
	cr_assert_eq(run_bench(args), 0, "%s", slurp(err_path));
	snprintf(under, sizeof(under), "%s/dd%s", scratch, abs_path);
	cr_assert_eq(access(under, R_OK), 0, "%s", under);
	cr_assert_neq(access(abs_path, F_OK), 0, "%s written", abs_path);
	cr_assert_eq(run_bench("--name=r --directory=dd --filename=sub/f --size=64k --rw=write "
			       "--bs=4k"),
		     0, "%s", slurp(err_path));
	snprintf(under, sizeof(under), "%s/dd/sub/f", scratch);
	cr_assert_eq(access(under, R_OK), 0, "%s", under);
}

/*
 * Regression: size=N% was taken of what follows offset, and divided before multiplying: 383
 * and 1023 reads where fio 3.33 does 512 and 1024 on a 4 MiB file. It is a share of the
 * whole file, from offset on, cut at the file's end.
 */
Test(bench_zhtp, size_percent_is_a_share_of_the_whole_file)
{
	static const char *const cases[] = {"--size=100%", "--size=50% --offset=1m",
					    "--size=100% --offset=1m", "--size=33%"};
	static const double reads[] = {1024, 512, 768, 337};
	char args[256];

	cr_assert_eq(run_bench("--name=w --filename=p.img --size=4m --rw=write --bs=1m"), 0);
	for (size_t i = 0; i < ZH_ARRAY_SIZE(cases); i++) {
		cJSON *root;

		snprintf(args, sizeof(args), "--name=r --filename=p.img --rw=read --bs=4k %s",
			 cases[i]);
		root = run_json(args);
		cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), reads[i], "%s", cases[i]);
		cJSON_Delete(root);
	}
}

/*
 * Regression: a sequential job of varying sizes wrapped the I/O that did not fit at the end to
 * the region's start: 1,052,672 bytes for size=1m, block 0 written twice and the last 4 KiB
 * never. As fio's, the pass's last I/O fits what is left: exactly the region, every pass.
 */
Test(bench_zhtp, a_sequential_pass_of_varying_sizes_ends_at_the_region_end)
{
	static const char *const sizes[] = {"--bsrange=4k-16k", "--bssplit=4k/50:12k/50"};

	for (size_t i = 0; i < 2 * ZH_ARRAY_SIZE(sizes); i++) {
		unsigned loops = 1 + (unsigned)(i % 2);
		char args[256];
		cJSON *root;

		snprintf(args, sizeof(args),
			 "--name=s --filename=seq.img --size=1m --rw=write --loops=%u %s", loops,
			 sizes[i / 2]);
		root = run_json(args);
		cr_assert_eq(num(job_at(root, 0), "write", "io_bytes"), loops * 1048576.0, "%s",
			     args);
		cJSON_Delete(root);
	}
}

/* How many of the pages of file \p name in the scratch directory are in memory. */
static size_t resident_pages(const char *name, size_t *pages)
{
	char path[700];
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	unsigned char *vec;
	size_t n = 0;
	void *map;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	*pages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert_neq(map, MAP_FAILED);
	vec = calloc(*pages, 1);
	cr_assert_eq(mincore(map, (size_t)st.st_size, vec), 0);
	for (size_t i = 0; i < *pages; i++)
		n += vec[i] & 1;
	free(vec);
	munmap(map, (size_t)st.st_size);
	close(fd);
	return n;
}

/*
 * Regression: invalidate (fio's default 1) was accepted and ignored, so a buffered job read a
 * cached file from memory. The pages are dropped before the job now, and kept with
 * invalidate=0. A read of one block leaves a few pages (readahead), not the file.
 */
Test(bench_zhtp, invalidate_drops_the_files_cached_pages)
{
	struct statfs fs;
	size_t pages, resident;

	cr_assert_eq(statfs(scratch, &fs), 0);
	if (fs.f_type == 0x01021994) /* TMPFS_MAGIC: its pages are its data */
		cr_skip_test("the scratch directory is on tmpfs");
	/* Written back (end_fsync): dirty pages are not dropped, by fio either. */
	cr_assert_eq(run_bench("--name=w --filename=c.img --size=8m --rw=write --bs=1m "
			       "--invalidate=0 --end_fsync=1"),
		     0);
	cr_assert_eq(run_bench("--name=r --filename=c.img --size=8m --rw=read --bs=1m "
			       "--invalidate=0"),
		     0);
	resident = resident_pages("c.img", &pages);
	cr_assert_eq(resident, pages, "read back with invalidate=0: %zu of %zu", resident, pages);
	cr_assert_eq(run_bench("--name=r --filename=c.img --size=8m --rw=randread --bs=4k "
			       "--number_ios=1"),
		     0);
	resident = resident_pages("c.img", &pages);
	cr_assert_lt(resident, pages / 4, "%zu of %zu pages still cached", resident, pages);
}

/* Regression: number_ios capped the whole job; fio caps each pass (loops=3: 300 I/Os). */
Test(bench_zhtp, number_ios_caps_each_pass)
{
	cJSON *root = run_json("--name=n --filename=/dev/zero --size=1m --rw=randread --bs=4k "
			       "--number_ios=100 --loops=3");

	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 300);
	cJSON_Delete(root);
	root = run_json("--name=n --filename=/dev/zero --size=1m --rw=randread --bsrange=4k-8k "
			"--number_ios=100 --loops=3");
	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 300);
	cJSON_Delete(root);
}

/* Regression: more I/Os in flight on one core than a ring holds failed with a bare EINVAL. */
Test(bench_zhtp, more_in_flight_than_a_ring_holds_is_named)
{
	cr_assert_neq(run_bench("--name=x --filename=/dev/zero --size=1m --rw=read "
				"--iodepth=1024 --numjobs=32 --cpus_allowed=0"),
		      0);
	assert_stderr_has("the jobs on core 0 keep 32768 I/Os in flight");
	assert_stderr_has("lower iodepth or numjobs");
}

/* A private tmpfs of \p size for this test's process and what it runs, or a skip. */
static void small_fs(char *dir, size_t cap, const char *size)
{
	char opts[32];

	snprintf(opts, sizeof(opts), "size=%s", size);
	snprintf(dir, cap, "%s/fs", scratch);
	cr_assert_eq(mkdir(dir, 0755), 0);
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, opts) != 0)
		cr_skip_test("cannot mount a private tmpfs here: %s", strerror(errno));
}

static void rm_in(const char *dir, const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(unlink(path), 0, "%s: %s", path, strerror(errno));
}

static double written(const cJSON *root, int jobs)
{
	double bytes = 0;

	for (int i = 0; i < jobs; i++)
		bytes += num(job_at(root, i), "write", "io_bytes");
	return bytes;
}

/*
 * fio's fill_device on a filesystem of 8 MiB: a verified write job fills it and reads back
 * every block; two jobs filling it side by side write 8 MiB between them, and end without
 * an error where they meet the full filesystem; a reading job lays the file out to the full size
 * first; and with no room left at all the job is refused, naming the filesystem.
 */
Test(bench_zhtp, fill_device_fills_a_filesystem)
{
	char fs[600], args[1024];
	struct statvfs vfs;
	cJSON *root;
	char *text;

	small_fs(fs, sizeof(fs), "8m");
	snprintf(args, sizeof(args),
		 "--name=w --filename=fs/a --rw=write --bs=64k --direct=1 --iodepth=8 "
		 "--fill_device=1 --verify=crc32c");
	root = run_json(args);
	cr_assert_eq(written(root, 1), 8 << 20);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "blocks"), 128);
	cr_assert_eq(num(job_at(root, 0), "zhtp_verify", "bad"), 0);
	cJSON_Delete(root);
	cr_assert_eq(statvfs(fs, &vfs), 0);
	cr_assert_eq(vfs.f_bavail, 0, "the filesystem is full");

	rm_in(fs, "a");
	root = run_job_text("two.fio", "[global]\nrw=write\nbs=64k\ndirect=1\niodepth=8\n"
				       "fill_device=1\n[a]\nfilename=fs/a\n[b]\nfilename=fs/b\n");
	cr_assert(written(root, 2) > (8 << 20) - 2 * 65536 && written(root, 2) <= 8 << 20,
		  "%.0f bytes: a short write at the end is not counted", written(root, 2));
	cr_assert_eq(top(job_at(root, 0), "error") + top(job_at(root, 1), "error"), 0);
	cJSON_Delete(root);
	/* One may have written its whole region before the other found the space gone. */
	text = slurp(err_path);
	cr_assert(strstr(text, "job 'a': no space left on device at offset ") != NULL ||
		      strstr(text, "job 'b': no space left on device at offset ") != NULL,
		  "%s", text);
	free(text);

	rm_in(fs, "a");
	rm_in(fs, "b");
	root = run_json("--name=r --filename=fs/r --rw=read --bs=64k --direct=1 --fill_device=1");
	cr_assert_eq(num(job_at(root, 0), "read", "io_bytes"), 8 << 20);
	cJSON_Delete(root);
	cr_assert_neq(run_bench("--name=w --filename=fs/more --rw=write --bs=64k --fill_device=1"),
		      0);
	assert_stderr_has("fs/more: its filesystem has room for 0 bytes, less than "
			  "one block (fill_device)");
	cr_assert_eq(umount(fs), 0);
}

/*
 * A filesystem one page over 8 MiB, filled by a job sized to it (8 MiB of whole blocks) while
 * a small job takes two pages first: the filler's last write moves 60 KiB and its rest finds no
 * space, so the space ended 60 KiB past that write's start, and the job says so (it named the
 * write's start before). The filler's writes are one file's, which the kernel does in order.
 * The filler starts a second late, so that the small job is done by then even on a loaded
 * machine (200 ms before). A stonewall cannot order them: a job is sized when its group
 * starts, so the filler would be sized after the small job's write, and never cut.
 */
Test(bench_zhtp, fill_device_names_where_a_cut_write_found_no_space)
{
	char fs[600];
	cJSON *root;

	small_fs(fs, sizeof(fs), "8196k");
	root = run_job_text("cut.fio",
			    "[global]\ndirect=1\n[a]\nfilename=fs/a\nrw=write\nbs=64k\niodepth=8\n"
			    "fill_device=1\nstartdelay=1\n[b]\nfilename=fs/b\nrw=write\n"
			    "bs=8k\nsize=8k\n");
	cr_assert_eq(top(job_at(root, 0), "error"), 0);
	cr_assert_eq(num(job_at(root, 0), "write", "short_ios"), 1);
	cr_assert_eq(num(job_at(root, 0), "write", "io_bytes"), 127 << 16,
		     "the cut write failed: what it moved is not counted");
	cJSON_Delete(root);
	assert_stderr_has("job 'a': no space left on device at offset 8384512; the job ends "
			  "there (fill_device)");
	cr_assert_eq(umount(fs), 0);
}

/*
 * Injected EIO (fault_eio_ppm): fatal by default, as in fio; continue_on_error counts the
 * failed I/Os (fio's total_err and first_error) and the job does all the others. A verifying
 * writer leaves the blocks whose writes failed out of its read-back (whose reads fail too, so
 * continue_on_error=io).
 */
Test(bench_zhtp, continue_on_error_counts_injected_failures)
{
	const char *base = "--name=e --filename=dev.img --size=4m --rw=randread --direct=1 "
			   "--iodepth=8 --fault_eio_ppm=50000";
	char args[512];
	cJSON *root;
	const cJSON *job;
	char *text;

	snprintf(args, sizeof(args), "%s", base);
	root = run_json_failing(args);
	cr_assert_eq(top(job_at(root, 0), "error"), EIO);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "total_err"),
		       "fio writes total_err only with continue_on_error");
	cJSON_Delete(root);
	snprintf(args, sizeof(args), "%s --continue_on_error=read", base);
	root = run_json(args);
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), 0);
	cr_assert_eq(top(job, "first_error"), EIO);
	cr_assert(top(job, "total_err") >= 10 && top(job, "total_err") <= 110,
		  "%.0f of 1024 at 5%%", top(job, "total_err"));
	cr_assert_eq(num(job, "read", "total_ios") + top(job, "total_err"), 1024);
	cJSON_Delete(root);
	snprintf(args, sizeof(args), "%s --continue_on_error=io", base);
	cr_assert_eq(run_bench(args), 0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "     errors    : total="), "%s", text);
	cr_assert_not_null(strstr(text, ", first_error=5/<Input/output error>"), "%s", text);
	free(text);
	root = run_json("--name=w --filename=dev.img --size=4m --rw=randwrite --direct=1 "
			"--iodepth=8 --fault_eio_ppm=50000 --verify=crc32c --continue_on_error=io");
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), 0);
	cr_assert_gt(top(job, "total_err"), 0);
	cr_assert_eq(num(job, "zhtp_verify", "bad"), 0, "failed writes are not read back");
	cJSON_Delete(root);
}

/* offset_increment gives each clone its own region of one file: both verify clean. */
Test(bench_zhtp, offset_increment_separates_clones_on_one_file)
{
	char path[700];
	struct stat st;
	cJSON *root = run_json("--name=o --filename=shared.img --size=1m --numjobs=2 "
			       "--offset_increment=1m --rw=randwrite --iodepth=4 --verify=crc32c "
			       "--direct=1");

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(num(job_at(root, i), "write", "total_ios"), 256);
		cr_assert_eq(num(job_at(root, i), "zhtp_verify", "bad"), 0);
	}
	cJSON_Delete(root);
	snprintf(path, sizeof(path), "%s/shared.img", scratch);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 2 << 20, "laid out for the second clone's region");
}

/* buffer_compress_percentage=50: half of what is written is zeros, chunk by chunk, as fio. */
Test(bench_zhtp, compressible_buffers_reach_the_file)
{
	char path[700];
	char *data;
	size_t zero = 0;

	cr_assert_eq(run_bench("--name=c --filename=c.img --size=256k --rw=write --bs=64k "
			       "--buffer_compress_percentage=50 --direct=1"),
		     0);
	snprintf(path, sizeof(path), "%s/c.img", scratch);
	data = slurp(path);
	for (size_t i = 0; i < 256 * 1024; i++)
		zero += data[i] == 0;
	cr_assert_geq(zero, 128 * 1024, "%zu zero bytes", zero);
	cr_assert_lt(zero, 128 * 1024 + 2048, "%zu zero bytes", zero);
	for (size_t i = 256; i < 512; i++)
		cr_assert_eq(data[i], 0, "byte %zu", i);
	free(data);
}

/* Count the 4 KiB blocks of \p path's first \p blocks that equal block 0. */
static unsigned blocks_like_first(const char *name, unsigned blocks)
{
	char path[700];
	char *data;
	unsigned same = 0;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	data = slurp(path);
	for (unsigned b = 1; b < blocks; b++)
		same += memcmp(data, data + (size_t)b * 4096, 4096) == 0;
	free(data);
	return same;
}

/*
 * One slot writes every block: without refill_buffers all blocks carry its one buffer; with
 * it (asked for, or fio's default for compressible data) every block is new.
 */
Test(bench_zhtp, refill_buffers_gives_every_write_fresh_bytes)
{
	cr_assert_eq(run_bench("--name=s --filename=s.img --size=64k --rw=write --direct=1 "
			       "--scramble_buffers=0"),
		     0);
	cr_assert_eq(blocks_like_first("s.img", 16), 15, "one buffer, written 16 times");
	cr_assert_eq(run_bench("--name=r --filename=r.img --size=64k --rw=write --direct=1 "
			       "--refill_buffers"),
		     0);
	cr_assert_eq(blocks_like_first("r.img", 16), 0);
	cr_assert_eq(run_bench("--name=c --filename=c.img --size=64k --rw=write --direct=1 "
			       "--buffer_compress_percentage=50"),
		     0);
	cr_assert_eq(blocks_like_first("c.img", 16), 0);
	cr_assert_eq(run_bench("--name=k --filename=k.img --size=64k --rw=write --direct=1 "
			       "--buffer_compress_percentage=50 --refill_buffers=0 "
			       "--scramble_buffers=0"),
		     0);
	cr_assert_eq(blocks_like_first("k.img", 16), 15);
}

/* Whether the sector at byte \p at of \p data carries \p offset in one of its 64-byte lines. */
static bool sector_stamped(const char *data, size_t at, uint64_t offset)
{
	for (size_t line = 0; line < 512; line += 64) {
		if (memcmp(data + at + line, &offset, sizeof(offset)) == 0)
			return true;
	}
	return false;
}

/*
 * fio's default scramble_buffers: the one buffer a slot reuses goes out with every 512-byte
 * sector stamped with its offset, so no two sectors written are alike; the rest of the bytes
 * are the buffer's.
 */
Test(bench_zhtp, scramble_buffers_stamps_every_sector)
{
	char path[700];
	char *data;

	cr_assert_eq(run_bench("--name=s --filename=s.img --size=64k --rw=write --direct=1"), 0);
	cr_assert_eq(blocks_like_first("s.img", 16), 0);
	snprintf(path, sizeof(path), "%s/s.img", scratch);
	data = slurp(path);
	for (size_t at = 0; at < 64 * 1024; at += 512)
		cr_assert(sector_stamped(data, at, at), "sector at %zu", at);
	/*
	 * Outside the words a stamp may take (the first 8 bytes of each 64-byte line, which
	 * stay in the reused buffer from write to write as fio's do, and the time's), every
	 * block is the slot's one buffer.
	 */
	for (size_t b = 1; b < 16; b++) {
		for (size_t i = 0; i < 4096; i++) {
			size_t in_line = i % 64;

			if (in_line < 8 || (i % 512 < 64 && in_line >= 56))
				continue;
			cr_assert_eq(data[i], data[b * 4096 + i], "block %zu, byte %zu", b, i);
		}
	}
	free(data);
}

Test(bench_zhtp, writes_reach_the_file)
{
	char path[700];
	char *data;
	size_t nonzero = 0;

	cr_assert_eq(run_bench("--name=w --filename=w.img --size=1m --rw=write --bs=128k "
			       "--iodepth=2 --direct=1"),
		     0);
	snprintf(path, sizeof(path), "%s/w.img", scratch);
	data = slurp(path);
	for (size_t i = 0; i < 4096; i++)
		nonzero += data[i] != 0;
	/* Written with random bytes: a file of zeroes means nothing was written. */
	cr_assert_gt(nonzero, 4000);
	free(data);
}

/*
 * A small job commits little memory: the job group sized for every job clone the tool takes
 * (250 MB) stays untouched zero pages but for the clones that run. Aligning it with
 * aligned_alloc and memset once took a 4 KiB job to 280 MB resident.
 */
Test(bench_zhtp, a_small_job_commits_only_what_it_uses)
{
	struct rusage children;

	cr_assert_eq(run_bench("--name=r --filename=r.img --size=1m --rw=randread --bs=4k "
			       "--iodepth=4 --direct=1"),
		     0);
	cr_assert_eq(getrusage(RUSAGE_CHILDREN, &children), 0);
	cr_assert_lt(children.ru_maxrss, 160 * 1024, "%ld KiB resident", children.ru_maxrss);
}

Test(bench_zhtp, logs_are_written_in_fio_format)
{
	char path[700];
	unsigned lines;
	struct zh_bench_log_entry *e;

	cr_assert_eq(run_bench("--name=l --filename=dev.img --size=16m --rw=randread --bs=4k "
			       "--iodepth=4 --direct=1 --runtime=1 --time_based "
			       "--write_iops_log=t --write_lat_log=t --log_avg_msec=100"),
		     0, "%s", slurp(err_path));
	e = read_log("t_iops.1.log", &lines);
	for (unsigned i = 0; i < lines; i++) {
		cr_assert_eq(e[i].ddir, 0);
		cr_assert_gt(e[i].value, 0);
		cr_assert(i == lines - 1 || e[i].time_ms % 100 == 0, "line %u at %llu ms", i + 1,
			  (unsigned long long)e[i].time_ms);
	}
	/* 10 when the timers keep time; a held-up flush merges windows, never adds one. */
	cr_assert(lines >= 1 && lines <= 11, "1 s at 100 ms windows gave %u lines", lines);
	free(e);
	snprintf(path, sizeof(path), "%s/t_clat.1.log", scratch);
	cr_assert_eq(access(path, R_OK), 0);
}

/*
 * Regression: the log windows ran from the job's start, so the one holding the end of
 * ramp_time logged its few hundred measured milliseconds as a rate over the whole window
 * (500 of 2,000 IOPS here), and the last line came 750 ms after the measured run's end. As fio
 * resets its epoch at the ramp's end, the logs start there: time 0 and the first window.
 *
 * Checked by the stamps, which the machine's speed cannot move: each window's line is stamped
 * with its end, a whole number of windows from the ramp's end (a late flush merges windows
 * but keeps that), and the last with the run's end, which is job_runtime. The rates were
 * checked before (1,500-2,500 IOPS); a held-up timer puts a window's I/Os into the one before.
 */
Test(bench_zhtp, logs_start_at_the_end_of_the_ramp)
{
	cJSON *root = run_json("--name=r --filename=/dev/zero --size=16m --rw=randread --bs=4k "
			       "--iodepth=4 --ramp_time=750ms --runtime=3 --time_based "
			       "--rate_iops=2000 --write_iops_log=r --log_avg_msec=1000");
	double runtime_ms = top(job_at(root, 0), "job_runtime");
	unsigned lines;
	struct zh_bench_log_entry *e = read_log("r_iops.1.log", &lines);

	cJSON_Delete(root);
	cr_assert_geq(lines, 1);
	for (unsigned i = 0; i < lines; i++) {
		cr_assert_leq((double)e[i].time_ms, runtime_ms + 1,
			      "line %u at %llu ms, after the run's end at %.0f ms", i + 1,
			      (unsigned long long)e[i].time_ms, runtime_ms);
		cr_assert(i == lines - 1 || e[i].time_ms % 1000 == 0,
			  "line %u at %llu ms, not at a window's end", i + 1,
			  (unsigned long long)e[i].time_ms);
	}
	free(e);
}

/*
 * Regression: the sample timer kept its schedule across the ramp's end, so when ramp_time was a
 * whole number of sample periods it fired microseconds after the statistics started over and
 * took a sample of a few I/Os over those microseconds (iops_min 45k against a mean of 830k).
 * As fio re-bases its sample times there, the samples start at the ramp's end: 2 s at the
 * default 500 ms give four, the last taken at the run's end, and never five.
 */
Test(bench_zhtp, samples_start_at_the_end_of_the_ramp)
{
	/* Page-cache reads, over a million a second: a few microseconds hold some. Two jobs,
	 * two chances for the stray sample. */
	cJSON *root = run_json("--name=s --filename=dev.img --size=16m --rw=randread --bs=4k "
			       "--numjobs=2 --ramp_time=1 --runtime=2 --time_based");

	for (int i = 0; i < 2; i++) {
		double samples = num(job_at(root, i), "read", "iops_samples");

		/* At most four: ticks a period apart from the ramp's end, none due after the
		 * run's, the last sample at least half a period (a fifth would need the last
		 * I/O's completion held up half a period past a tick at the run's end). A
		 * held-up tick moves the later ones: fewer. */
		cr_assert(samples >= 1 && samples <= 4, "job %d: %.0f samples", i, samples);
		cr_assert_eq(num(job_at(root, i), "read", "bw_samples"), samples, "job %d", i);
	}
	cJSON_Delete(root);
}

/*
 * Regression: a job that ended inside its ramp_time reported nothing, not even a block. fio
 * 3.33 counts its 256 reads of 4 KiB (no latencies: it keeps none from a ramp); so does this.
 */
Test(bench_zhtp, a_job_that_ends_inside_its_ramp_reports_its_io)
{
	cJSON *root = run_json("--name=r --filename=/dev/zero --size=1m --rw=read --bs=4k "
			       "--ramp_time=5");
	const cJSON *rd = cJSON_GetObjectItemCaseSensitive(job_at(root, 0), "read");

	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 256);
	cr_assert_eq(num(job_at(root, 0), "read", "io_bytes"), 1048576);
	cr_assert_gt(num(job_at(root, 0), "read", "iops"), 0);
	cr_assert_eq(num(rd, "clat_ns", "N"), 0);
	cJSON_Delete(root);
}

/* Regression: the progress line counted nothing before the ramp's end: 0 IOPS for its span. */
Test(bench_zhtp, progress_line_counts_the_ramp)
{
	char *text, *line;
	double reads = -1;

	cr_assert_eq(run_bench("--name=r --filename=/dev/zero --size=4m --rw=randread --bs=4k "
			       "--iodepth=8 --ramp_time=3 --runtime=1 --time_based --eta=always"),
		     0, "%s", slurp(err_path));
	text = slurp(out_path);
	line = strstr(text, "IOPS][");
	cr_assert_not_null(line, "no progress line: %s", text);
	while (line > text && line[-1] != '[')
		line--;
	cr_assert_eq(sscanf(line, "r=%lfk", &reads), 1, "%.60s", line);
	cr_assert_gt(reads, 0, "first progress line, in the ramp: %.60s", line);
	/* fio's layout: bandwidth as a rate, then IOPS. */
	cr_assert_not_null(strstr(text, "MiB/s,w="), "%.200s", text);
	free(text);
}

/*
 * Regression: the progress line's time left left out startdelay, so a job waiting 4 s before a
 * 1 s run showed 00m:00s a second in.
 */
Test(bench_zhtp, progress_line_counts_startdelay)
{
	char *text, *eta;
	unsigned min = 99, sec = 99;

	cr_assert_eq(run_bench("--name=d --filename=dev.img --size=4m --rw=randread --bs=4k "
			       "--direct=1 --startdelay=4 --runtime=1 --time_based --eta=always"),
		     0, "%s", slurp(err_path));
	text = slurp(out_path);
	eta = strstr(text, "[eta ");
	cr_assert_not_null(eta, "no progress line: %s", text);
	cr_assert_eq(sscanf(eta, "[eta %um:%us]", &min, &sec), 2, "%.60s", eta);
	cr_assert(min == 0 && sec >= 1 && sec <= 4, "first progress line: %.60s", eta);
	free(text);
}

/*
 * Regression: a file is laid out up to the job's offset plus its size, and an offset past the
 * filesystem's free space (1 PiB here) wrote until the filesystem was full, then failed. It
 * now fails first, and writes nothing.
 */
Test(bench_zhtp, layout_the_filesystem_cannot_hold_fails_before_writing)
{
	char path[700];

	cr_assert_neq(run_bench("--name=o --filename=far.img --offset=1p --size=4k --rw=read "
				"--bs=4k --direct=1"),
		      0);
	assert_stderr_has("far.img: cannot lay out");
	assert_stderr_has("No space left on device");
	snprintf(path, sizeof(path), "%s/far.img", scratch);
	cr_assert_neq(access(path, F_OK), 0, "far.img was created");
}

/*
 * Log files are numbered as fio's, across every job of the run (fio's thread number), not by
 * clone: two jobs, or two stonewall groups, with one prefix overwrote each other's logs.
 * Two clones of a, then b in the next group: g_clat.1, .2 (16 I/Os each) and .3 (32 I/Os).
 */
Test(bench_zhtp, logs_are_numbered_across_all_jobs_of_the_run)
{
	static const unsigned want[] = {16, 16, 32};

	cr_assert_eq(run_bench("--name=a --filename=g.img --size=64k --rw=write --bs=4k "
			       "--numjobs=2 --write_lat_log=g --name=b --stonewall --size=128k "
			       "--filename=g.img --rw=write --bs=4k --write_lat_log=g"),
		     0, "%s", slurp(err_path));
	for (unsigned i = 0; i < 3; i++) {
		char name[32];
		unsigned n;

		snprintf(name, sizeof(name), "g_clat.%u.log", i + 1);
		free(read_log(name, &n));
		cr_assert_eq(n, want[i], "%s: %u lines", name, n);
	}
}

/*
 * unified_rw_reporting=mixed, as fio 3.33 writes it: one "mixed" object in the JSON (no read,
 * write, trim or sync), "mixed:" and "MIXED:" lines in the summary, while the per-I/O log keeps
 * each I/O's own direction.
 */
Test(bench_zhtp, unified_rw_reporting_mixed_reports_reads_and_writes_as_one)
{
	const char *args = "--name=u --filename=dev.img --size=4m --rw=randrw --bs=4k --iodepth=4 "
			   "--direct=1 --unified_rw_reporting=mixed --write_lat_log=u";
	cJSON *root = run_json(args);
	const cJSON *job = job_at(root, 0);
	struct zh_bench_log_entry *e;
	unsigned n, dirs[2] = {0, 0};
	char *text;

	cr_assert_eq(num(job, "mixed", "total_ios"), 1024);
	cr_assert_eq(num(job, "mixed", "io_bytes"), 4 << 20);
	cr_assert_gt(num(job, "mixed", "iops"), 0);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(job, "read"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(job, "write"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(job, "trim"));
	cJSON_Delete(root);
	e = read_log("u_clat.1.log", &n);
	for (unsigned i = 0; i < n; i++)
		dirs[e[i].ddir]++;
	free(e);
	cr_assert_eq(n, 1024);
	cr_assert(dirs[0] > 0 && dirs[1] > 0, "log: %u reads, %u writes", dirs[0], dirs[1]);
	cr_assert_eq(run_bench(args), 0, "%s", slurp(err_path));
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "\n  mixed: IOPS="), "%s", text);
	cr_assert_not_null(strstr(text, "\n  MIXED: bw="), "%s", text);
	cr_assert_null(strstr(text, "  read: IOPS="), "%s", text);
	cr_assert_null(strstr(text, "  write: IOPS="), "%s", text);
	free(text);
}

/* Count a log's lines, each of which must have a non-zero bs. */
static unsigned log_lines_with_bs(const char *name)
{
	unsigned lines;
	struct zh_bench_log_entry *e = read_log(name, &lines);

	for (unsigned i = 0; i < lines; i++)
		cr_assert_gt(e[i].bs, 0, "%s: line %u is no I/O", name, i + 1);
	free(e);
	return lines;
}

/*
 * Regression: with log_avg_msec=0 the latency logs had, past fio's one line per I/O, the log
 * window's average (bs 0) at the end and every 500 ms. fio 3.33 writes 256 lines here.
 */
Test(bench_zhtp, per_io_latency_logs_have_one_line_per_io)
{
	cr_assert_eq(run_bench("--name=p --filename=dev.img --size=1m --rw=write --bs=4k "
			       "--iodepth=4 --direct=1 --write_lat_log=p --write_iops_log=p"),
		     0, "%s", slurp(err_path));
	cr_assert_eq(log_lines_with_bs("p_clat.1.log"), 256);
	cr_assert_eq(log_lines_with_bs("p_lat.1.log"), 256);
	cr_assert_eq(log_lines_with_bs("p_slat.1.log"), 256);
}

Test(bench_zhtp, fio_example_job_runs_with_its_engine_line_reported)
{
	char args[1024];
	char *text;

	snprintf(args, sizeof(args),
		 "--filename=ex.img --size=4m --runtime=1 '%s/fio-rand-read.fio'",
		 ZH_TEST_DATA_DIR);
	cr_assert_eq(run_bench(args), 0, "%s", slurp(err_path));
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "ioengine=libaio"), "%s", text);
	cr_assert_not_null(strstr(text, "the engine's own path ran"));
	cr_assert_not_null(strstr(text, "IOPS="));
	free(text);
}

/*
 * JESD219 as fio ships it, on a small buffered file (its 512-byte sizes need a device of
 * 512-byte sectors for direct I/O; a file takes 4 KiB): reads and writes near 40:60, sizes
 * from the split, every offset on the 4 KiB blockalign.
 */
Test(bench_zhtp, jesd219_example_runs_with_its_sizes_on_4k_boundaries)
{
	char args[1024];
	unsigned n, small = 0;
	struct zh_bench_log_entry *e;
	cJSON *root;
	double reads, writes;

	snprintf(args, sizeof(args),
		 "--filename=j.img --size=8m --direct=0 --iodepth=16 --numjobs=1 "
		 "--number_ios=3000 --time_based --runtime=20 --write_lat_log=j --log_offset=1 "
		 "'%s/jesd219.fio'",
		 ZH_TEST_DATA_DIR);
	root = run_json(args);
	reads = num(job_at(root, 0), "read", "total_ios");
	writes = num(job_at(root, 0), "write", "total_ios");
	cr_assert_eq(reads + writes, 3000);
	cr_assert(reads > 3000 * 0.34 && reads < 3000 * 0.46, "%.0f reads of 3000", reads);
	e = read_log("j_clat.1.log", &n);
	cr_assert_eq(n, 3000);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(e[i].offset % 4096, 0, "line %u: offset %llu", i + 1,
			     (unsigned long long)e[i].offset);
		cr_assert(e[i].bs >= 512 && e[i].bs <= 65536 && e[i].bs % 512 == 0, "bs %u",
			  e[i].bs);
		cr_assert_leq(e[i].offset + e[i].bs, 8u << 20);
		small += e[i].bs < 4096;
	}
	/* 10% of the I/Os are under 4 KiB: 300 of 3000, give or take 5 standard deviations. */
	cr_assert(small > 220 && small < 380, "%u I/Os under 4 KiB", small);
	free(e);
	cJSON_Delete(root);
}

/* blockalign smaller than the one size: offsets on its boundary, not only the size's. */
Test(bench_zhtp, blockalign_smaller_than_bs_places_ios_between_blocks)
{
	unsigned n, between = 0;
	struct zh_bench_log_entry *e;

	cr_assert_eq(run_bench("--name=a --filename=a.img --size=1m --rw=randread --bs=4k "
			       "--blockalign=512 --direct=0 --iodepth=4 --number_ios=200 "
			       "--write_lat_log=a --log_offset=1"),
		     0, "%s", slurp(err_path));
	e = read_log("a_clat.1.log", &n);
	cr_assert_eq(n, 200);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(e[i].offset % 512, 0, "line %u", i + 1);
		cr_assert_leq(e[i].offset + 4096, 1u << 20, "line %u", i + 1);
		between += e[i].offset % 4096 != 0;
	}
	/* 7 in 8 of the 512-byte boundaries are not 4 KiB ones. */
	cr_assert_gt(between, 140, "%u of 200 offsets between 4 KiB blocks", between);
	free(e);
}

/*
 * fio's mobile-storage example: every phase works on the one file of filesize, each job does
 * its size of I/O, and the last phase's unlink removes the file.
 */
Test(bench_zhtp, mobile_storage_example_uses_filesize_and_unlinks_the_file)
{
	static const double ios[] = {2, 2, 8 * 256, 8 * 256};
	static const char *const dir[] = {"read", "write", "read", "write"};
	char args[1024], path[700];
	cJSON *root;

	snprintf(args, sizeof(args), "--filesize=4m --size=1m '%s/mobile-storage.fio'",
		 ZH_TEST_DATA_DIR);
	root = run_json(args);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(num(job_at(root, i), dir[i], "total_ios"), ios[i], "phase %d", i + 1);
	cJSON_Delete(root);
	snprintf(path, sizeof(path), "%s/mobile-storage-test", scratch);
	cr_assert_eq(access(path, F_OK), -1, "unlink=1 left %s", path);
}

/* unlink removes the job's file once its group is done, and only when asked. */
Test(bench_zhtp, unlink_removes_the_jobs_file_when_its_group_is_done)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/kept.img", scratch);
	cr_assert_eq(run_bench("--name=k --filename=kept.img --size=64k --rw=write"), 0, "%s",
		     slurp(err_path));
	cr_assert_eq(stat(path, &st), 0, "without unlink the file stays");
	cr_assert_eq(run_bench("--name=k --filename=kept.img --size=64k --rw=write --unlink=1"), 0,
		     "%s", slurp(err_path));
	cr_assert_eq(access(path, F_OK), -1, "unlink=1 left the file");
}

/* ---- steady state ------------------------------------------------------------------------- */

/*
 * A limit every window meets: two clones summed (group_reporting, as fio judges a group) end
 * after the ramp and one full window, long before the runtime, with fio's steadystate object.
 */
Test(bench_zhtp, steady_state_ends_the_group_once_attained)
{
	cJSON *root = run_json("--name=s --filename=dev.img --size=4m --rw=randread --direct=1 "
			       "--numjobs=2 --group_reporting --time_based --runtime=60 "
			       "--ss=iops:100% --ss_dur=2s --ss_ramp=1s");
	const cJSON *job = job_at(root, 0);
	const cJSON *ss = cJSON_GetObjectItemCaseSensitive(job, "steadystate");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(ss, "data");
	double iops = num(job, "read", "iops"), mean = num(ss, "data", "iops_mean");

	cr_assert_lt(top(job, "job_runtime"), 20000, "%.0f ms", top(job, "job_runtime"));
	cr_assert_eq(num(job, "steadystate", "attained"), 1);
	cr_assert_eq(num(job, "steadystate", "duration"), 2);
	cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ss, "ss")),
			 "iops:100.000000%");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(data, "iops")), 2);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(data, "bw")), 2);
	/* The group's sum, not one clone's: the window's mean is near the job's IOPS. */
	cr_assert(mean > iops * 0.5 && mean < iops * 2.0, "window mean %.0f, job %.0f", mean, iops);
	cr_assert_float_eq(num(ss, "data", "bw_mean"), mean * 4096, mean * 4096 * 0.01);
	cJSON_Delete(root);
}

/* A limit no window meets: the job runs its runtime and says it did not attain. */
Test(bench_zhtp, steady_state_not_attained_runs_the_runtime)
{
	cJSON *root = run_json("--name=s --filename=dev.img --size=4m --rw=randread --direct=1 "
			       "--time_based --runtime=3500ms --ss=iops_slope:0.000001% "
			       "--ss_dur=2s");
	const cJSON *job = job_at(root, 0);

	cr_assert_geq(top(job, "job_runtime"), 3499);
	cr_assert_eq(num(job, "steadystate", "attained"), 0);
	cJSON_Delete(root);
}

/* ---- latency_target and max_latency -------------------------------------------------------- */

/*
 * A target every depth meets: the search doubles 1, 2, 4, 8 up to the iodepth, measures one
 * last window there and ends long before its runtime, reporting that window only (fio).
 */
Test(bench_zhtp, latency_target_every_depth_meets_ends_at_the_iodepth)
{
	cJSON *root = run_json("--name=l --filename=dev.img --size=1m --rw=randread --direct=1 "
			       "--iodepth=8 --latency_target=10s --latency_window=50ms "
			       "--time_based --runtime=20");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(top(job, "error"), 0);
	cr_assert_eq(top(job, "latency_depth"), 8);
	cr_assert_eq(top(job, "latency_target"), 10e9);
	cr_assert_eq(top(job, "latency_window"), 50000, "microseconds, as fio");
	cr_assert_eq(top(job, "latency_percentile"), 100);
	/* The final window: 50 ms and the I/Os finishing it, not the search before it. */
	cr_assert(top(job, "job_runtime") >= 50 && top(job, "job_runtime") < 2000, "%.0f ms",
		  top(job, "job_runtime"));
	cJSON_Delete(root);
}

/* fio's latency-profile example as shipped but for its device: a depth found, no error. */
Test(bench_zhtp, latency_profile_example_runs)
{
	char args[1024];
	cJSON *root;
	const cJSON *job;

	snprintf(args, sizeof(args),
		 "--filename=lp.img --size=4m --time_based --runtime=20 '%s/latency-profile.fio'",
		 ZH_TEST_DATA_DIR);
	root = run_json(args);
	job = job_at(root, 0);
	cr_assert_eq(top(job, "error"), 0);
	cr_assert(top(job, "latency_depth") >= 1 && top(job, "latency_depth") <= 128);
	cr_assert_eq(top(job, "latency_target"), 500e6);
	cr_assert_gt(num(job, "read", "total_ios"), 0);
	cJSON_Delete(root);
}

/* Without a target fio reports the iodepth as the latency depth. */
Test(bench_zhtp, latency_depth_is_the_iodepth_without_a_target)
{
	cJSON *root = run_json("--name=l --filename=dev.img --size=64k --iodepth=4 --direct=1");

	cr_assert_eq(top(job_at(root, 0), "latency_depth"), 4);
	cr_assert_eq(top(job_at(root, 0), "latency_target"), 0);
	cJSON_Delete(root);
}

/* percentile 100 and a target no I/O meets: the first I/O at depth 1 fails the job. */
Test(bench_zhtp, latency_target_missed_at_depth_one_fails_with_etimedout)
{
	cJSON *root = run_json_failing("--name=l --filename=dev.img --size=1m --rw=randread "
				       "--direct=1 --iodepth=8 --latency_target=1us --time_based "
				       "--runtime=20");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(top(job, "error"), ETIMEDOUT);
	cr_assert_eq(top(job, "latency_depth"), 1);
	cJSON_Delete(root);
}

Test(bench_zhtp, max_latency_fails_the_job_only_when_an_io_exceeds_it)
{
	cJSON *root = run_json_failing("--name=m --filename=dev.img --size=256k --iodepth=4 "
				       "--direct=1 --max_latency=1us --name=n --filename=dev.img "
				       "--size=256k --iodepth=4 --direct=1 --max_latency=60s");

	cr_assert_eq(top(job_at(root, 0), "error"), ETIMEDOUT);
	cr_assert_eq(top(job_at(root, 1), "error"), 0);
	cr_assert_eq(num(job_at(root, 1), "read", "total_ios"), 64);
	cJSON_Delete(root);
}

/* latency_run: the search goes on for the whole runtime instead of ending at the depth. */
Test(bench_zhtp, latency_run_keeps_the_job_running_for_its_runtime)
{
	cJSON *root = run_json("--name=l --filename=dev.img --size=1m --rw=randread --direct=1 "
			       "--iodepth=4 --latency_target=10s --latency_window=20ms "
			       "--latency_run=1 --time_based --runtime=400ms");
	const cJSON *job = job_at(root, 0);

	cr_assert_eq(top(job, "error"), 0);
	cr_assert_eq(top(job, "latency_depth"), 4);
	cr_assert_geq(top(job, "job_runtime"), 399, "%.0f ms", top(job, "job_runtime"));
	cJSON_Delete(root);
}

Test(bench_zhtp, bad_job_file_fails_with_line_and_touches_nothing)
{
	char args[1024];
	char *err;

	snprintf(args, sizeof(args), "'%s/bad-unknown-option.fio'", ZH_TEST_DATA_DIR);
	cr_assert_eq(run_bench(args), 2);
	err = slurp(err_path);
	cr_assert_not_null(strstr(err, "bad-unknown-option.fio:"), "%s", err);
	cr_assert_not_null(strstr(err, "unknown option"), "%s", err);
	free(err);
}

Test(bench_zhtp, misaligned_direct_io_is_refused_before_running)
{

	cr_assert_neq(run_bench("--name=m --filename=dev.img --size=1m --bs=512 --direct=1"), 0);
	assert_stderr_has("multiples of the device's 4096-byte block with direct=1");
}

/*
 * The etcd disk check (`fio --rw=write --ioengine=sync --fdatasync=1 --bs=2300`): buffered,
 * any block size, a flush after every write; the bytes land where fio's would.
 */
Test(bench_zhtp, buffered_sync_writes_take_any_block_size)
{
	char path[700];
	char *data;
	cJSON *root = run_json("--name=etcd --filename=b.img --size=23000 --rw=write --bs=2300 "
			       "--ioengine=sync --fdatasync=1");
	const cJSON *job = job_at(root, 0);
	size_t nonzero = 0;

	cr_assert_eq(num(job, "write", "total_ios"), 10);
	cr_assert_eq(num(job, "sync", "total_ios"), 9, "a flush between each two writes");
	cJSON_Delete(root);
	snprintf(path, sizeof(path), "%s/b.img", scratch);
	data = slurp(path);
	for (size_t i = 20700; i < 23000; i++)
		nonzero += data[i] != 0;
	/* Random bytes, but for the zero high bytes of the offsets scramble_buffers stamps. */
	cr_assert_gt(nonzero, 2000, "the tenth block was written");
	free(data);
}

/* The `zhtp_store` object of a job: its zstd level at the end, and whether it was `auto`. */
static void assert_store_level(const cJSON *job, int lo, int hi, bool level_auto)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(job, "zhtp_store");
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(st, "zstd_level");

	cr_assert(cJSON_IsNumber(level), "no zhtp_store.zstd_level");
	cr_assert(level->valueint >= lo && level->valueint <= hi, "level %d", level->valueint);
	cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "zstd_auto")), level_auto);
}

/*
 * Object jobs on a store zhtpctl formatted: puts and gets of whole objects, compressible data
 * at the level asked for, the level the store ended on reported in both outputs; jobs of one
 * group that would need two different stores are refused.
 */
Test(bench_zhtp, object_jobs_put_and_get_at_the_zstd_level_asked)
{
	char cmd[1024], *text;
	cJSON *root;

	snprintf(cmd, sizeof(cmd), "'%s' -d '%s/store' format --dev-size 64m >/dev/null",
		 ZH_CTL_BINARY, scratch);
	cr_assert_eq(system(cmd), 0);
	root = run_json("--name=p --directory=store --rw=put --bs=1m --size=8m --iodepth=2 "
			"--buffer_compress_percentage=50 --zstd_level=1");
	cr_assert_eq(num(job_at(root, 0), "write", "total_ios"), 8);
	cr_assert_eq(num(job_at(root, 0), "write", "io_bytes"), 8 << 20);
	assert_store_level(job_at(root, 0), 1, 1, false);
	cJSON_Delete(root);
	/* Regression: object jobs dropped percentile_list and reported fio's default list. */
	root = run_json("--name=g --directory=store --rw=get --bs=1m --size=4m "
			"--percentile_list=50:99 --lat_percentiles=1");
	cr_assert_eq(num(job_at(root, 0), "read", "total_ios"), 4);
	assert_store_level(job_at(root, 0), 1, 9, true);
	assert_percentiles(job_at(root, 0), "read", "clat_ns", "50.000000", "1.000000");
	assert_percentiles(job_at(root, 0), "read", "lat_ns", "99.000000", "1.000000");
	cJSON_Delete(root);

	cr_assert_eq(run_bench("--name=p --directory=store --rw=put --bs=1m --size=2m "
			       "--zstd_level=0"),
		     0);
	text = slurp(out_path);
	cr_assert_not_null(strstr(text, "store        : zstd level 0 at the end (fixed)"), "%s",
			   text);
	free(text);

	cr_assert_neq(run_bench("--directory=store --rw=put --bs=1m --size=2m --name=a "
				"--zstd_level=1 --name=b --zstd_level=3"),
		      0);
	assert_stderr_has("give them one zstd_level and one key_file");
}

/*
 * An object job's cpus_allowed that the engine's core sets cannot hold (the job file takes
 * cores up to 4095, the engine up to 1023) is refused. It was dropped: the store opened on
 * every core the process may use.
 */
Test(bench_zhtp, an_object_job_refuses_cores_it_cannot_place)
{
	cr_assert_neq(run_bench("--name=p --directory=store --rw=put --bs=1m --size=2m "
				"--cpus_allowed=1024-1031"),
		      0);
	assert_stderr_has("cpus_allowed=1024-1031: cores past the engine's limit");
}
