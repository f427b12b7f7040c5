/* SPDX-License-Identifier: MIT */
/*
 * Tests for benchmarks/bench_report.c: fio log lines (format, parse, file names), the
 * log_avg_msec window averaging, the fio-style human summary and the fio-layout JSON, which is
 * parsed back with cJSON and checked field by field, including every allocation failure.
 */
/* open_memstream is POSIX.1-2008, outside plain -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench_report.h"

/* Results hold six histograms of about 16 KiB: keep them off the test's stack. */
static struct zh_bench_result res[3];
/* The disks the reports show; NULL: none, as for jobs on tmpfs. */
static const struct zh_bench_disks *report_disks;

/* A disk as the last sample left it: 5 s of a random 4 KiB read and write job on vda. */
static const struct zh_bench_disks one_disk = {
    .count = 1,
    .disk = {{.name = "vda",
	      .moved = {.ios = {1200, 800},
			.merges = {3, 40},
			.ticks = {2400, 1600},
			.io_ticks = 4750,
			.in_queue = 4100},
	      .msec = 5000}},
};

/* A device-mapper volume over two members, as the last sample left them (1 s). */
static const struct zh_bench_disks volume = {
    .count = 3,
    .disk = {{.name = "dm-7",
	      .members = 2,
	      .moved = {.ios = {100, 200}, .ticks = {10, 20}, .io_ticks = 400, .in_queue = 30},
	      .msec = 1000},
	     {.name = "vdx1",
	      .member_of = 1,
	      .moved = {.ios = {40, 90},
			.merges = {1, 3},
			.ticks = {5, 9},
			.io_ticks = 300,
			.in_queue = 14},
	      .msec = 1000},
	     {.name = "vdy",
	      .member_of = 1,
	      .moved = {.ios = {60, 110},
			.merges = {0, 6},
			.ticks = {7, 12},
			.io_ticks = 600,
			.in_queue = 20},
	      .msec = 1000}},
};

/*
 * A randread job like fio's example: 154000 reads of 4 KiB in 1 s, slat 1.5 us, clat 50 us for
 * 99 % of the I/Os and 2 ms for the rest, two 500 ms samples of 77000 I/Os each.
 */
static void fill_read_job(struct zh_bench_result *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "t");
	r->groupid = 0;
	r->jobs = 1;
	r->rw_name = "randread";
	zh_bench_bs_one(&r->bs[0], 4096);
	r->bs[1] = r->bs[0];
	r->iodepth = 32;
	r->ioengine_requested = "libaio";
	r->runtime_ns = 1000000000ULL;
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++)
		zh_bench_dir_stats_reset(&r->dir[d]);
	for (int i = 0; i < 154000; i++)
		zh_bench_dir_stats_add_io(&r->dir[0], 4096, 1500, i % 100 == 99 ? 2000000 : 50000);
	zh_bench_dir_stats_sample(&r->dir[0], 77000, 77000ULL * 4096, 500000000ULL);
	zh_bench_dir_stats_sample(&r->dir[0], 77000, 77000ULL * 4096, 500000000ULL);
	r->usr_cpu_pct = 7.4;
	r->sys_cpu_pct = 39.1;
	r->cpu_seconds = 1.0;
	r->ctx = 20280;
}

/* A randrw job in group 1 that asked for no engine and dropped log entries. */
static void fill_mixed_job(struct zh_bench_result *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "mix");
	r->groupid = 1;
	r->jobs = 2;
	r->rw_name = "randrw";
	zh_bench_bs_one(&r->bs[0], 4096);
	r->bs[1] = r->bs[0];
	r->iodepth = 4;
	r->ioengine_requested = "";
	r->runtime_ns = 1001000000ULL;
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++)
		zh_bench_dir_stats_reset(&r->dir[d]);
	for (int i = 0; i < 14650; i++)
		zh_bench_dir_stats_add_io(&r->dir[0], 4096, 2000, 100000 + (uint64_t)i);
	for (int i = 0; i < 14600; i++)
		zh_bench_dir_stats_add_io(&r->dir[1], 4096, 2500, 6000 + (uint64_t)i);
	r->cpu_seconds = 0.5;
	r->log_entries_dropped = 17;
}

static char *report_normal(size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(zh_bench_report_normal(f, res, n, report_disks), 0);
	fclose(f);
	return text;
}

static cJSON *report_json(size_t n)
{
	FILE *f = tmpfile();
	char buf[1 << 16];
	size_t len;

	cr_assert_not_null(f);
	cr_assert_eq(zh_bench_report_json(f, res, n, report_disks, "zhtp-bench-test", 1795604520),
		     0);
	rewind(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	cr_assert_lt(len, sizeof(buf) - 1, "report larger than the test buffer");
	buf[len] = '\0';
	fclose(f);

	cJSON *root = cJSON_Parse(buf);

	cr_assert_not_null(root, "report is not valid JSON");
	return root;
}

static double num_at(const cJSON *o, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

	cr_assert(cJSON_IsNumber(item), "missing number %s", key);
	return item->valuedouble;
}

static const char *str_at(const cJSON *o, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

	cr_assert(cJSON_IsString(item), "missing string %s", key);
	return item->valuestring;
}

static const cJSON *obj_at(const cJSON *o, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

	cr_assert(cJSON_IsObject(item), "missing object %s", key);
	return item;
}

/* ---- log lines ---- */

static const cJSON *first_job(const cJSON *root)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "jobs"), 0);
}

Test(bench_report, log_line_text_matches_fio)
{
	struct zh_bench_log_entry e = {.time_ms = 200, .value = 94350, .ddir = 0, .bs = 0};
	char buf[ZH_BENCH_LOG_LINE_MAX];

	cr_assert_eq(zh_bench_log_format(buf, sizeof(buf), &e), 20);
	cr_assert_str_eq(buf, "200, 94350, 0, 0, 0\n");

	e = (struct zh_bench_log_entry){.time_ms = 3, .value = 51234, .ddir = 1, .bs = 4096};
	cr_assert_eq(zh_bench_log_format(buf, sizeof(buf), &e), 21);
	cr_assert_str_eq(buf, "3, 51234, 1, 4096, 0\n");
	/* log_offset, as fio 3.33 wrote it: "0, 179238, 1, 4096, 61440, 0". */
	e = (struct zh_bench_log_entry){.time_ms = 0,
					.value = 179238,
					.ddir = 1,
					.bs = 4096,
					.offset = 61440,
					.has_offset = true};
	cr_assert_eq(zh_bench_log_format(buf, sizeof(buf), &e), 29);
	cr_assert_str_eq(buf, "0, 179238, 1, 4096, 61440, 0\n");
}

Test(bench_report, log_line_round_trip)
{
	static const struct zh_bench_log_entry cases[] = {
	    {0, 0, 0, 0, 0, false},
	    {200, 94350, 0, 0, 0, false},
	    {400, 2243, 1, 0, 0, false},
	    {1234567, 987654321, 1, 131072, 0, false},
	    {UINT64_MAX, UINT64_MAX, 2, UINT32_MAX, 0, false},
	    {7, 50000, 1, 4096, 1ull << 40, true},
	    {7, 50000, 0, 0, 0, true},
	};
	char buf[ZH_BENCH_LOG_LINE_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zh_bench_log_entry back;
		int n = zh_bench_log_format(buf, sizeof(buf), &cases[i]);

		cr_assert_gt(n, 0);
		cr_assert_eq((size_t)n, strlen(buf));
		cr_assert_eq(zh_bench_log_parse(buf, &back), 0, "%s", buf);
		cr_assert_eq(back.time_ms, cases[i].time_ms);
		cr_assert_eq(back.value, cases[i].value);
		cr_assert_eq(back.ddir, cases[i].ddir);
		cr_assert_eq(back.bs, cases[i].bs);
		cr_assert_eq(back.has_offset, cases[i].has_offset);
		cr_assert_eq(back.offset, cases[i].offset);
	}
}

Test(bench_report, log_line_max_fits_the_longest_line)
{
	struct zh_bench_log_entry e = {UINT64_MAX, UINT64_MAX, 255, UINT32_MAX, UINT64_MAX, true};
	char buf[ZH_BENCH_LOG_LINE_MAX];
	int n = zh_bench_log_format(buf, sizeof(buf), &e);

	cr_assert_eq(n, ZH_BENCH_LOG_LINE_MAX - 1);
}

Test(bench_report, log_format_small_buffer_is_enospc)
{
	struct zh_bench_log_entry e = {.time_ms = 200, .value = 94350, .ddir = 0, .bs = 0};
	char buf[32];

	/* 20 characters need 21 bytes with the NUL. */
	cr_assert_eq(zh_bench_log_format(buf, 20, &e), -ENOSPC);
	cr_assert_eq(zh_bench_log_format(buf, 5, &e), -ENOSPC);
	cr_assert_eq(zh_bench_log_format(buf, 0, &e), -ENOSPC);
	cr_assert_eq(zh_bench_log_format(buf, 21, &e), 20);
}

Test(bench_report, log_parse_accepts_fio_lines)
{
	struct zh_bench_log_entry e;

	cr_assert_eq(zh_bench_log_parse("200, 62740, 0, 0, 0\n", &e), 0);
	cr_assert_eq(e.time_ms, 200);
	cr_assert_eq(e.value, 62740);
	cr_assert_eq(e.ddir, 0);
	cr_assert_eq(e.bs, 0);
	cr_assert_eq(zh_bench_log_parse("600, 2194, 1, 4096, 0", &e), 0);
	cr_assert_eq(e.ddir, 1);
	cr_assert_eq(e.bs, 4096);
	cr_assert_eq(zh_bench_log_parse("7,8,1,512,0\r\n", &e), 0);
	cr_assert_eq(e.time_ms, 7);
	cr_assert_eq(e.value, 8);
}

Test(bench_report, log_parse_rejects_garbage)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "garbage",
	    "200, 94350, 0, 0",			/* four columns */
	    "200, 94350, 0, 0, 0, 0, 7",	/* seven columns */
	    "200, 1, 0, 0, 4096, 65536",	/* log_offset line, prio above 16 bits */
	    "200, -1, 0, 0, 0",			/* negative */
	    "200, +1, 0, 0, 0",			/* sign */
	    "200, 1, 3, 0, 0",			/* ddir out of range */
	    "200, 1, 0, 4294967296, 0",		/* bs above 32 bits */
	    "200, 1, 0, 0, 65536",		/* prio above 16 bits */
	    "18446744073709551616, 1, 0, 0, 0", /* time above 64 bits */
	    "200,, 1, 0, 0",
	    "200; 1; 0; 0; 0",
	    "200, 1, 0, 0, 0 x",
	    "200, 1.5, 0, 0, 0",
	    "200, 1, 0, 0, 0\n200, 1, 0, 0, 0\n",
	    "0x10, 1, 0, 0, 0",
	};
	struct zh_bench_log_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(zh_bench_log_parse(bad[i], &e), -EINVAL, "accepted \"%s\"", bad[i]);
	cr_assert_eq(zh_bench_log_parse(NULL, &e), -EINVAL);
}

Test(bench_report, log_file_names)
{
	char buf[64];

	cr_assert_eq(zh_bench_log_filename(buf, sizeof(buf), "t", ZH_BENCH_LOG_IOPS, 1), 12);
	cr_assert_str_eq(buf, "t_iops.1.log");
	cr_assert_gt(zh_bench_log_filename(buf, sizeof(buf), "/tmp/x", ZH_BENCH_LOG_BW, 2), 0);
	cr_assert_str_eq(buf, "/tmp/x_bw.2.log");
	cr_assert_gt(zh_bench_log_filename(buf, sizeof(buf), "j", ZH_BENCH_LOG_LAT, 10), 0);
	cr_assert_str_eq(buf, "j_lat.10.log");
	cr_assert_gt(zh_bench_log_filename(buf, sizeof(buf), "j", ZH_BENCH_LOG_CLAT, 3), 0);
	cr_assert_str_eq(buf, "j_clat.3.log");
	cr_assert_gt(zh_bench_log_filename(buf, sizeof(buf), "j", ZH_BENCH_LOG_SLAT, 3), 0);
	cr_assert_str_eq(buf, "j_slat.3.log");
	cr_assert_eq(zh_bench_log_filename(buf, sizeof(buf), "j", ZH_BENCH_LOG_KINDS, 1), -EINVAL);
	cr_assert_eq(zh_bench_log_filename(buf, sizeof(buf), "j", ZH_BENCH_LOG_BW, 0), -EINVAL);
	cr_assert_eq(zh_bench_log_filename(buf, 8, "t", ZH_BENCH_LOG_IOPS, 1), -ENOSPC);
}

/* ---- log window ---- */

struct captured {
	unsigned n;
	unsigned kind[32];
	struct zh_bench_log_entry e[32];
};

static void capture(void *ctx, unsigned kind, const struct zh_bench_log_entry *e)
{
	struct captured *c = ctx;

	cr_assert_lt(c->n, 32);
	c->kind[c->n] = kind;
	c->e[c->n] = *e;
	c->n++;
}

/* The entry of a kind and direction, failing the test if it is missing. */
static const struct zh_bench_log_entry *find(const struct captured *c, unsigned kind, unsigned ddir)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->kind[i] == kind && c->e[i].ddir == ddir)
			return &c->e[i];
	}
	cr_assert_fail("no entry of kind %u ddir %u", kind, ddir);
	return NULL;
}

#define MS 1000000ULL

Test(bench_report, window_averages_one_window)
{
	struct zh_bench_log_window w;
	struct captured c = {0};
	const uint64_t origin = 5000 * MS;

	zh_bench_log_window_init(&w, 200 * MS, origin);
	for (int i = 0; i < 1000; i++)
		zh_bench_log_window_add(&w, 0, 4096, 1000, 99000 + (uint64_t)(i % 2) * 2000);

	cr_assert(!zh_bench_log_window_due(&w, origin + 199 * MS));
	zh_bench_log_window_flush(&w, origin + 199 * MS, origin, capture, &c);
	cr_assert_eq(c.n, 0, "nothing before the window ends");

	cr_assert(zh_bench_log_window_due(&w, origin + 200 * MS));
	zh_bench_log_window_flush(&w, origin + 200 * MS, origin, capture, &c);
	cr_assert_eq(c.n, ZH_BENCH_LOG_KINDS, "one entry per kind, only for reads");

	/* 1000 I/Os in 0.2 s; 4096000 B / 1024 / 0.2 s; mean clat (99000 + 101000) / 2. */
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 0)->value, 5000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_BW, 0)->value, 20000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_CLAT, 0)->value, 100000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_SLAT, 0)->value, 1000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_LAT, 0)->value, 101000);
	for (unsigned i = 0; i < c.n; i++) {
		cr_assert_eq(c.e[i].time_ms, 200, "stamped with the window end");
		cr_assert_eq(c.e[i].bs, 0, "averaged logs have bs 0");
		cr_assert_eq(c.e[i].ddir, 0);
	}
	cr_assert_eq(w.start_ns, origin + 200 * MS);
	cr_assert_eq(w.ios[0], 0, "counters restart");
}

Test(bench_report, window_emits_both_directions_and_late_flushes)
{
	struct zh_bench_log_window w;
	struct captured c = {0};

	zh_bench_log_window_init(&w, 200 * MS, 0);
	for (int i = 0; i < 300; i++)
		zh_bench_log_window_add(&w, 0, 8192, 0, 2000);
	for (int i = 0; i < 100; i++)
		zh_bench_log_window_add(&w, 1, 4096, 500, 9500);
	zh_bench_log_window_flush(&w, 250 * MS, 0, capture, &c);

	cr_assert_eq(c.n, 2 * ZH_BENCH_LOG_KINDS);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 0)->value, 1500);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_BW, 0)->value, 12000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 1)->value, 500);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_BW, 1)->value, 2000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_LAT, 1)->value, 10000);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_CLAT, 1)->time_ms, 200);
	cr_assert_eq(w.start_ns, 200 * MS, "start moves by whole windows");

	/* Next call is three windows late: 120 I/Os averaged over 600 ms, stamped 800. */
	c.n = 0;
	for (int i = 0; i < 120; i++)
		zh_bench_log_window_add(&w, 1, 4096, 0, 1000);
	zh_bench_log_window_flush(&w, 850 * MS, 0, capture, &c);
	cr_assert_eq(c.n, ZH_BENCH_LOG_KINDS, "reads were idle: writes only");
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 1)->value, 200);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 1)->time_ms, 800);
	cr_assert_eq(w.start_ns, 800 * MS);

	/* An empty window emits nothing but still moves on. */
	c.n = 0;
	zh_bench_log_window_flush(&w, 1000 * MS, 0, capture, &c);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(w.start_ns, 1000 * MS);
}

/* \p n 4 KiB reads of 3 us each into the window. */
static void reads_add(struct zh_bench_log_window *w, int n)
{
	for (int i = 0; i < n; i++)
		zh_bench_log_window_add(w, 0, 4096, 0, 3000);
}

Test(bench_report, window_finish_emits_a_partial_window_of_half_or_more)
{
	struct zh_bench_log_window w;
	struct captured c = {0};

	zh_bench_log_window_init(&w, 200 * MS, 0);
	zh_bench_log_window_finish(&w, 150 * MS, 0, capture, &c);
	cr_assert_eq(c.n, 0, "nothing to say for an empty window");

	reads_add(&w, 10);
	zh_bench_log_window_finish(&w, 100 * MS, 0, capture, &c);
	cr_assert_eq(c.n, ZH_BENCH_LOG_KINDS);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 0)->value, 100);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_BW, 0)->value, 400);
	cr_assert_eq(find(&c, ZH_BENCH_LOG_IOPS, 0)->time_ms, 100);
}

/*
 * Regression: a job ending a few microseconds after a window closed logged that sliver as a
 * window of its own, one I/O over 26 us being 38130 IOPS from a rate_iops=1000 job, stamped
 * with the same millisecond as the window before. Under half a window is too short to say.
 */
Test(bench_report, window_finish_drops_a_window_shorter_than_half)
{
	struct zh_bench_log_window w;
	struct captured c = {0};

	zh_bench_log_window_init(&w, 200 * MS, 0);
	reads_add(&w, 200);
	zh_bench_log_window_flush(&w, 200 * MS, 0, capture, &c);
	cr_assert_eq(c.n, ZH_BENCH_LOG_KINDS);
	c.n = 0;
	reads_add(&w, 1);
	zh_bench_log_window_finish(&w, 200 * MS + 26000, 0, capture, &c);
	cr_assert_eq(c.n, 0, "a 26 us window logged %u entries", c.n);
	reads_add(&w, 10);
	zh_bench_log_window_finish(&w, 299 * MS, 0, capture, &c);
	cr_assert_eq(c.n, 0, "99 ms of a 200 ms window logged %u entries", c.n);
}

/* ---- human summary ---- */

Test(bench_report, normal_output_has_fio_sections)
{
	fill_read_job(&res[0]);

	char *text = report_normal(1);

	cr_assert_not_null(strstr(text, "t: (groupid=0, jobs=1): err= 0: pid="), "%s", text);
	cr_assert_not_null(
	    strstr(text, "  read: IOPS=154k, BW=602MiB/s (631MB/s)(602MiB/1000msec)\n"), "%s",
	    text);
	cr_assert_not_null(
	    strstr(text, "    slat (nsec): min=1500, max=1500, avg=1500.00, stdev= 0.00\n"), "%s",
	    text);
	cr_assert_not_null(strstr(text, "    clat (usec): min=50, max=2000, avg=69.50, stdev="),
			   "%s", text);
	cr_assert_not_null(strstr(text, "     lat (usec): min=51, max=2001, avg=71.00, stdev="),
			   "%s", text);
	cr_assert_not_null(strstr(text, "    clat percentiles (usec):\n"
					"     |  1.00th=[   50],  5.00th=[   50], 10.00th=[   50],"
					" 20.00th=[   50],\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "     | 99.00th=[   50], 99.50th=[ 2000], 99.90th=[ 2000],"
					" 99.95th=[ 2000],\n"
					"     | 99.99th=[ 2000]\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "   bw (  KiB/s): min=616000, max=616000, per=100.00%, "
					"avg=616000.00, stdev= 0.00, samples=2\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "   iops        : min=154000, max=154000, avg=154000.00, "
					"stdev= 0.00, samples=2\n"),
			   "%s", text);
	cr_assert_not_null(
	    strstr(text, "  cpu          : usr=7.40%, sys=39.10%, ctx=20280, majf=0, minf=0\n"),
	    "%s", text);
	cr_assert_not_null(strstr(text,
				  "  engine       : zhtp reactor io_uring path (job file asked "
				  "for ioengine=libaio; the engine's own path ran)\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "  efficiency   : 154000 IOPS per CPU-second\n"), "%s",
			   text);
	cr_assert_not_null(strstr(text,
				  "\nRun status group 0 (all jobs):\n"
				  "   READ: bw=602MiB/s (631MB/s), 602MiB/s-602MiB/s "
				  "(631MB/s-631MB/s), io=602MiB (631MB), run=1000-1000msec\n"),
			   "%s", text);
	cr_assert_null(strstr(text, "write:"), "a read job has no write block");
	cr_assert_null(strstr(text, "WRITE:"));
	cr_assert_null(strstr(text, "log entries dropped"));
	cr_assert_null(strstr(text, "reactor      :"), "no reactor line without counts");
	cr_assert_null(strstr(text, "scheduling   :"), "no scheduling line when not measured");
	free(text);
}

Test(bench_report, reactor_scheduling_in_both_outputs)
{
	fill_read_job(&res[0]);
	res[0].sched = (struct zh_bench_sched_report){
	    .known = true, .policy = SCHED_BATCH, .slice_ns = 100000, .yield_wait = true};

	char *text = report_normal(1);
	cJSON *root = report_json(1);
	const cJSON *job = first_job(root);
	const cJSON *sched = obj_at(job, "zhtp_sched");

	cr_assert_not_null(
	    strstr(text, "  scheduling   : SCHED_BATCH, slice 100us, yield-wait on\n"), "%s", text);
	cr_assert_eq(num_at(sched, "policy"), (double)SCHED_BATCH);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(sched, "policy_name")->valuestring,
			 "SCHED_BATCH");
	cr_assert_eq(num_at(sched, "slice_ns"), 100000.0);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sched, "yield_wait")));
	cJSON_Delete(root);
	free(text);

	/* A kernel without custom slices (before 6.12) reports none; odd slices keep their ns. */
	res[0].sched = (struct zh_bench_sched_report){.known = true, .policy = SCHED_OTHER};
	text = report_normal(1);
	cr_assert_not_null(strstr(text, "  scheduling   : SCHED_OTHER, slice not reported by "
					"this kernel, yield-wait off\n"),
			   "%s", text);
	free(text);
	res[0].sched.slice_ns = 1400001;
	text = report_normal(1);
	cr_assert_not_null(strstr(text, ", slice 1400001ns, "), "%s", text);
	free(text);
}

Test(bench_report, reactor_counts_in_both_outputs)
{
	fill_read_job(&res[0]);
	res[0].reactor = (struct zh_bench_reactor_counts){
	    .enters = 77000,
	    .sleeps = 12,
	    .polls_hit = 60000,
	    .polls_missed = 3,
	    .gathers = 7000,
	    .yields_hit = 900,
	    .yields_missed = 4,
	    .wakeups = 2,
	    .io_wait_ns = 500000000, /* half of the 1 s runtime of each of two reactors */
	    .reactors = 2};

	char *text = report_normal(1);
	cJSON *root = report_json(1);
	const cJSON *job = first_job(root);

	cr_assert_not_null(
	    strstr(text, "  reactor      : enters=77000 (0.50 per I/O), sleeps=12, "
			 "busy polls hit=60000 missed=3, gathers=7000, yields hit=900 missed=4, "
			 "wakeups=2, "
			 "io wait=25.0%\n"),
	    "%s", text);
	const cJSON *reactor = obj_at(job, "zhtp_reactor");

	cr_assert_eq(num_at(reactor, "enters"), 77000.0);
	cr_assert_eq(num_at(reactor, "enters_per_io"), 0.5);
	cr_assert_eq(num_at(reactor, "sleeps"), 12.0);
	cr_assert_eq(num_at(reactor, "polls_hit"), 60000.0);
	cr_assert_eq(num_at(reactor, "polls_missed"), 3.0);
	cr_assert_eq(num_at(reactor, "gathers"), 7000.0);
	cr_assert_eq(num_at(reactor, "yields_hit"), 900.0);
	cr_assert_eq(num_at(reactor, "yields_missed"), 4.0);
	cr_assert_eq(num_at(reactor, "wakeups"), 2.0);
	cr_assert_eq(num_at(reactor, "io_wait_ns"), 500000000.0);
	cr_assert_eq(num_at(reactor, "io_wait_pct"), 25.0);
	cJSON_Delete(root);
	free(text);
}

Test(bench_report, normal_output_mixed_job_and_groups)
{
	/* Group 1 first in the array: group blocks still come out in groupid order. */
	fill_mixed_job(&res[0]);
	fill_read_job(&res[1]);

	char *text = report_normal(2);
	char *g0 = strstr(text, "Run status group 0 (all jobs):");
	char *g1 = strstr(text, "Run status group 1 (all jobs):");

	cr_assert_not_null(strstr(text, "mix: (groupid=1, jobs=2): err= 0: pid="), "%s", text);
	/* 14650 reads and 14600 writes of 4 KiB in 1001 ms. */
	cr_assert_not_null(strstr(text, "  read: IOPS=14.6k, BW=57.2MiB/s (59.9MB/s)"
					"(57.2MiB/1001msec)\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "  write: IOPS=14.6k, BW=57.0MiB/s (59.7MB/s)"
					"(57.0MiB/1001msec); 0 zone resets\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "  engine       : zhtp reactor io_uring path\n"), "%s",
			   text);
	cr_assert_not_null(strstr(text, "  efficiency   : 58500 IOPS per CPU-second\n"), "%s",
			   text);
	cr_assert_not_null(strstr(text, "17 log entries dropped"), "%s", text);
	cr_assert_not_null(g0, "%s", text);
	cr_assert_not_null(g1, "%s", text);
	cr_assert_lt(g0, g1);
	cr_assert_not_null(strstr(g1, "   READ: bw=57.2MiB/s"), "%s", text);
	cr_assert_not_null(strstr(g1, "  WRITE: bw=57.0MiB/s"), "%s", text);
	*g1 = '\0';
	cr_assert_null(strstr(g0, "WRITE:"), "group 0 wrote nothing");
	free(text);
}

Test(bench_report, normal_output_group_aggregates_members)
{
	/* Two jobs of group 0: the group line sums bytes and spans both bandwidths. */
	fill_read_job(&res[0]);
	fill_read_job(&res[1]);
	res[1].runtime_ns = 2000000000ULL;

	char *text = report_normal(2);

	/* 2 x 630784000 B over the longest 2 s; members ran at 602 and 301 MiB/s. */
	cr_assert_not_null(strstr(text,
				  "   READ: bw=602MiB/s (631MB/s), 301MiB/s-602MiB/s "
				  "(315MB/s-631MB/s), io=1203MiB (1262MB), run=1000-2000msec\n"),
			   "%s", text);
	/* Job 0 samples 616000 KiB/s against a 616000 KiB/s aggregate. */
	cr_assert_not_null(strstr(text, "per=100.00%"), "%s", text);
	free(text);
}

Test(bench_report, normal_output_shows_errors)
{
	memset(&res[0], 0, sizeof(res[0]));
	snprintf(res[0].name, sizeof(res[0].name), "bad");
	res[0].jobs = 1;
	res[0].error = EIO;
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++)
		zh_bench_dir_stats_reset(&res[0].dir[d]);

	char *text = report_normal(1);

	cr_assert_not_null(strstr(text, "bad: (groupid=0, jobs=1): err= 5 ("), "%s", text);
	cr_assert_not_null(strstr(text, "efficiency   : n/a"), "%s", text);
	cr_assert_null(strstr(text, "READ:"), "%s", text);
	free(text);
}

Test(bench_report, normal_output_rejects_bad_arguments)
{
	cr_assert_eq(zh_bench_report_normal(NULL, res, 1, NULL), -EINVAL);
	cr_assert_eq(zh_bench_report_normal(stdout, NULL, 1, NULL), -EINVAL);
}

/* ---- JSON ---- */

Test(bench_report, json_has_fio_layout_and_values)
{
	fill_read_job(&res[0]);

	cJSON *root = report_json(1);

	cr_assert_str_eq(str_at(root, "fio version"), "zhtp-bench-test");
	cr_assert_eq(num_at(root, "timestamp"), 1795604520.0);
	cr_assert_eq(num_at(root, "timestamp_ms"), 1795604520000.0);
	cr_assert_gt(strlen(str_at(root, "time")), 20);

	const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");

	cr_assert(cJSON_IsArray(jobs));
	cr_assert_eq(cJSON_GetArraySize(jobs), 1);

	const cJSON *job = cJSON_GetArrayItem(jobs, 0);
	const cJSON *opts = obj_at(job, "job options");
	const cJSON *rd = obj_at(job, "read");
	const cJSON *clat = obj_at(rd, "clat_ns");
	const cJSON *pct = obj_at(clat, "percentile");

	cr_assert_str_eq(str_at(job, "jobname"), "t");
	cr_assert_eq(num_at(job, "groupid"), 0.0);
	cr_assert_eq(num_at(job, "error"), 0.0);
	cr_assert_str_eq(str_at(opts, "rw"), "randread");
	cr_assert_str_eq(str_at(opts, "bs"), "4k");
	cr_assert_str_eq(str_at(opts, "iodepth"), "32");
	cr_assert_str_eq(str_at(opts, "ioengine"), "libaio");

	cr_assert_eq(num_at(rd, "io_bytes"), 630784000.0);
	cr_assert_eq(num_at(rd, "io_kbytes"), 616000.0);
	cr_assert_eq(num_at(rd, "bw_bytes"), 630784000.0);
	cr_assert_eq(num_at(rd, "bw"), 616000.0);
	cr_assert_eq(num_at(rd, "iops"), 154000.0);
	cr_assert_eq(num_at(rd, "runtime"), 1000.0);
	cr_assert_eq(num_at(rd, "total_ios"), 154000.0);
	cr_assert_eq(num_at(rd, "short_ios"), 0.0);
	cr_assert_eq(num_at(rd, "drop_ios"), 0.0);

	cr_assert_eq(num_at(clat, "min"), 50000.0);
	cr_assert_eq(num_at(clat, "max"), 2000000.0);
	cr_assert_float_eq(num_at(clat, "mean"), 69500.0, 1e-6);
	cr_assert_eq(num_at(clat, "N"), 154000.0);
	cr_assert_eq(cJSON_GetArraySize(pct), 17);
	cr_assert_str_eq(cJSON_GetArrayItem(pct, 0)->string, "1.000000");
	cr_assert_eq(num_at(pct, "50.000000"), 50000.0);
	cr_assert_eq(num_at(pct, "99.000000"), 50000.0);
	cr_assert_eq(num_at(pct, "99.500000"), 2000000.0);
	cr_assert_eq(num_at(pct, "99.990000"), 2000000.0);
	cr_assert_eq(num_at(pct, "99.000000"),
		     (double)zh_bench_hist_percentile(&res[0].dir[0].clat, 99.0));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(obj_at(rd, "slat_ns"), "percentile"),
		       "fio lists percentiles for clat only");
	cr_assert_eq(num_at(obj_at(rd, "slat_ns"), "mean"), 1500.0);
	cr_assert_eq(num_at(obj_at(rd, "slat_ns"), "stddev"), 0.0);
	cr_assert_eq(num_at(obj_at(rd, "lat_ns"), "min"), 51500.0);

	cr_assert_eq(num_at(rd, "bw_min"), 616000.0);
	cr_assert_eq(num_at(rd, "bw_max"), 616000.0);
	cr_assert_eq(num_at(rd, "bw_agg"), 100.0);
	cr_assert_eq(num_at(rd, "bw_mean"), 616000.0);
	cr_assert_eq(num_at(rd, "bw_dev"), 0.0);
	cr_assert_eq(num_at(rd, "bw_samples"), 2.0);
	cr_assert_eq(num_at(rd, "iops_min"), 154000.0);
	cr_assert_eq(num_at(rd, "iops_max"), 154000.0);
	cr_assert_eq(num_at(rd, "iops_mean"), 154000.0);
	cr_assert_eq(num_at(rd, "iops_stddev"), 0.0);
	cr_assert_eq(num_at(rd, "iops_samples"), 2.0);

	const cJSON *wr = obj_at(job, "write");
	const cJSON *trim = obj_at(job, "trim");
	const cJSON *sync = obj_at(job, "sync");

	cr_assert_eq(num_at(wr, "total_ios"), 0.0);
	cr_assert_eq(num_at(wr, "runtime"), 0.0);
	cr_assert_eq(num_at(wr, "iops"), 0.0);
	cr_assert_eq(num_at(obj_at(wr, "clat_ns"), "N"), 0.0);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(obj_at(wr, "clat_ns"), "percentile"));
	cr_assert_eq(num_at(trim, "io_bytes"), 0.0);
	cr_assert_eq(num_at(trim, "iops_samples"), 0.0);
	cr_assert_eq(num_at(sync, "total_ios"), 0.0);
	cr_assert_eq(num_at(obj_at(sync, "lat_ns"), "N"), 0.0);

	cr_assert_eq(num_at(job, "job_runtime"), 1000.0);
	cr_assert_float_eq(num_at(job, "usr_cpu"), 7.4, 1e-12);
	cr_assert_float_eq(num_at(job, "sys_cpu"), 39.1, 1e-12);
	cr_assert_eq(num_at(job, "ctx"), 20280.0);
	cr_assert_eq(num_at(job, "majf"), 0.0);
	cr_assert_eq(num_at(job, "minf"), 0.0);
	cr_assert_eq(num_at(job, "iops_per_cpu_second"), 154000.0);
	cJSON_Delete(root);
}

Test(bench_report, json_keys_come_in_fio_order)
{
	static const char *const dir_keys[] = {
	    "io_bytes",	 "io_kbytes", "bw_bytes",  "bw",	  "iops",	  "runtime",
	    "total_ios", "short_ios", "drop_ios",  "slat_ns",	  "clat_ns",	  "lat_ns",
	    "bw_min",	 "bw_max",    "bw_agg",	   "bw_mean",	  "bw_dev",	  "bw_samples",
	    "iops_min",	 "iops_max",  "iops_mean", "iops_stddev", "iops_samples",
	};
	static const char *const job_keys[] = {
	    "jobname",
	    "groupid",
	    "error",
	    "eta",
	    "elapsed",
	    "job options",
	    "read",
	    "write",
	    "trim",
	    "sync",
	    "job_runtime",
	    "usr_cpu",
	    "sys_cpu",
	    "ctx",
	    "majf",
	    "minf",
	    "iodepth_level",
	    "iodepth_submit",
	    "iodepth_complete",
	    "latency_ns",
	    "latency_us",
	    "latency_ms",
	    "latency_depth",
	    "latency_target",
	    "latency_percentile",
	    "latency_window",
	    "iops_per_cpu_second",
	};

	fill_read_job(&res[0]);

	cJSON *root = report_json(1);
	const cJSON *job = first_job(root);
	const cJSON *item = job->child;

	for (size_t i = 0; i < sizeof(job_keys) / sizeof(job_keys[0]); i++, item = item->next) {
		cr_assert_not_null(item);
		cr_assert_str_eq(item->string, job_keys[i]);
	}
	cr_assert_null(item);
	item = obj_at(job, "write")->child;
	for (size_t i = 0; i < sizeof(dir_keys) / sizeof(dir_keys[0]); i++, item = item->next) {
		cr_assert_not_null(item);
		cr_assert_str_eq(item->string, dir_keys[i]);
	}
	cr_assert_null(item);
	cJSON_Delete(root);
}

Test(bench_report, json_groups_share_aggregate_bandwidth)
{
	fill_read_job(&res[0]);
	fill_read_job(&res[1]);
	fill_mixed_job(&res[2]);

	cJSON *root = report_json(3);
	const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");

	cr_assert_eq(cJSON_GetArraySize(jobs), 3);
	/* Each of two equal jobs has half of group 0's bandwidth. */
	cr_assert_float_eq(num_at(obj_at(cJSON_GetArrayItem(jobs, 0), "read"), "bw_agg"), 50.0,
			   1e-9);

	const cJSON *mix = cJSON_GetArrayItem(jobs, 2);

	cr_assert_str_eq(str_at(obj_at(mix, "job options"), "ioengine"), "zhtp");
	cr_assert_eq(num_at(obj_at(mix, "write"), "total_ios"), 14600.0);
	cr_assert_eq(num_at(obj_at(mix, "write"), "runtime"), 1001.0);
	cr_assert_float_eq(num_at(obj_at(mix, "write"), "iops"), 14600e9 / 1001e6, 1e-6);
	cr_assert_eq(num_at(mix, "iops_per_cpu_second"), (14650.0 + 14600.0) / 0.5);
	cJSON_Delete(root);
}

/*
 * Regression: runtimes were rounded to the nearest ms, so a job of 0.27 ms said "runtime": 0
 * beside its IOPS. They round up, as fio's update_runtime() does; the human line too.
 */
/* The read job run for \p runtime_ns: its job_runtime in the JSON, which read.runtime agrees with.
 */
static double json_job_runtime(uint64_t runtime_ns)
{
	cJSON *root;
	double ms;

	res[0].runtime_ns = runtime_ns;
	root = report_json(1);
	ms = num_at(first_job(root), "job_runtime");
	cr_assert_eq(num_at(obj_at(first_job(root), "read"), "runtime"), ms);
	cJSON_Delete(root);
	return ms;
}

Test(bench_report, runtimes_round_up_to_the_ms)
{
	char *text;

	fill_read_job(&res[0]);
	cr_assert_eq(json_job_runtime(270000), 1.0);
	cr_assert_eq(json_job_runtime(1000000001), 1001.0);
	cr_assert_eq(json_job_runtime(2000000), 2.0);
	res[0].runtime_ns = 270000;
	text = report_normal(1);
	cr_assert_not_null(strstr(text, "/1msec)"), "%s", text);
	free(text);
}

/*
 * fio's latency distribution: the read job's clat is 50 us for 99% of its I/Os, in fio's range
 * "100" of usec ([50, 100)), and 2 ms for the rest, in range "4" of msec ([2, 4)). Every range
 * is in the JSON; the text shows the ranges with I/Os, and any share under 0.01% as 0.01%.
 */
Test(bench_report, latency_distribution_as_fio)
{
	cJSON *root;
	const cJSON *job;
	char *text;

	fill_read_job(&res[0]);
	root = report_json(1);
	job = first_job(root);
	cr_assert_eq(cJSON_GetArraySize(obj_at(job, "latency_ns")), 10);
	cr_assert_eq(cJSON_GetArraySize(obj_at(job, "latency_us")), 10);
	cr_assert_eq(cJSON_GetArraySize(obj_at(job, "latency_ms")), 12);
	cr_assert_float_eq(num_at(obj_at(job, "latency_us"), "100"), 99.0, 1e-9);
	cr_assert_float_eq(num_at(obj_at(job, "latency_ms"), "4"), 1.0, 1e-9);
	cr_assert_eq(num_at(obj_at(job, "latency_us"), "50"), 0.0);
	cr_assert_eq(num_at(obj_at(job, "latency_ms"), ">=2000"), 0.0);
	cJSON_Delete(root);
	text = report_normal(1);
	cr_assert_not_null(strstr(text, "  lat (usec)   : 100=99.00%\n  lat (msec)   : 4=1.00%\n"
					"  cpu          :"),
			   "%s", text);
	free(text);

	/* One write of 1 ns and one of 3 s beside the 154,000 reads: 0.01% each, at both ends. */
	zh_bench_dir_stats_add_io(&res[0].dir[1], 4096, 1000, 1);
	zh_bench_dir_stats_add_io(&res[0].dir[1], 4096, 1000, 3000000000ull);
	root = report_json(1);
	job = first_job(root);
	cr_assert_eq(num_at(obj_at(job, "latency_ns"), "2"), 0.01);
	cr_assert_eq(num_at(obj_at(job, "latency_ms"), ">=2000"), 0.01);
	cJSON_Delete(root);
}

/* cJSON allocator that fails once a budget of successful allocations is spent. */
static long alloc_budget = -1;

static void *budget_malloc(size_t size)
{
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(size);
}

Test(bench_report, json_returns_enomem_at_every_allocation_failure)
{
	cJSON_Hooks hooks = {.malloc_fn = budget_malloc, .free_fn = free};
	FILE *f = tmpfile();
	long budget;
	int ret = -1;

	cr_assert_not_null(f);
	fill_read_job(&res[0]);
	fill_mixed_job(&res[1]);
	cJSON_InitHooks(&hooks);
	for (budget = 0; budget < 100000; budget++) {
		alloc_budget = budget;
		rewind(f);
		ret = zh_bench_report_json(f, res, 2, &volume, "v", 0);
		if (ret == 0)
			break;
		cr_assert_eq(ret, -ENOMEM, "budget %ld gave %d", budget, ret);
	}
	alloc_budget = -1;
	cJSON_InitHooks(NULL);
	fclose(f);
	cr_assert_eq(ret, 0);
	cr_assert_gt(budget, 100, "every failure point up to %ld was exercised", budget);
}

Test(bench_report, json_rejects_bad_arguments)
{
	cr_assert_eq(zh_bench_report_json(NULL, res, 1, NULL, "v", 0), -EINVAL);
	cr_assert_eq(zh_bench_report_json(stdout, res, 1, NULL, NULL, 0), -EINVAL);
	cr_assert_eq(zh_bench_report_json(stdout, NULL, 1, NULL, "v", 0), -EINVAL);
}

/*
 * latency_target: fio's line "latency : target=NS, window=US, percentile=P%, depth=D" under
 * cpu, and its four JSON keys; without a target the keys say the iodepth and no line shows.
 */
Test(bench_report, latency_target_line_and_keys_as_fio)
{
	char *text;
	cJSON *root;
	const cJSON *job;

	fill_read_job(&res[0]);
	res[0].latency_depth = 32;
	res[0].latency_percentile = 100.0;
	text = report_normal(1);
	cr_assert_not_null(strstr(text, "     latency   : target=0, window=0, percentile=100.00%, "
					"depth=32\n"),
			   "as fio, on every job: %s", text);
	free(text);
	res[0].latency_depth = 34;
	res[0].latency_target_ns = 1000000;
	res[0].latency_window_ns = 1000000000;
	res[0].latency_percentile = 99.0;
	text = report_normal(1);
	cr_assert_not_null(strstr(text, "     latency   : target=1000000, window=1000000, "
					"percentile=99.00%, depth=34\n"),
			   "%s", text);
	free(text);
	root = report_json(1);
	job = first_job(root);
	cr_assert_eq(num_at(job, "latency_depth"), 34);
	cr_assert_eq(num_at(job, "latency_target"), 1000000);
	cr_assert_eq(num_at(job, "latency_percentile"), 99.0);
	cr_assert_eq(num_at(job, "latency_window"), 1000000, "microseconds, as fio");
	cJSON_Delete(root);
}

/*
 * fio's lines under cpu, in fio's order (IO depths, submit, complete, issued rwts, latency, then
 * steady state), and its iodepth_level, iodepth_submit and iodepth_complete: each level's share
 * of all, at least 0.1% for a level with any.
 */
Test(bench_report, io_depths_lines_and_keys_as_fio)
{
	static const char *const depth_keys[] = {"1", "2", "4", "8", "16", "32", ">=64"};
	static const char *const batch_keys[] = {"0", "4", "8", "16", "32", "64", ">=64"};
	static const double submit_pct[] = {0, 75, 25, 0, 0, 0, 0.1};
	const cJSON *levels, *item;
	char *text, *depths, *latency, *steady;
	cJSON *root;

	fill_read_job(&res[0]);
	res[0].depth_levels[0] = 1;
	res[0].depth_levels[5] = 153999;
	res[0].reactor.submit_levels[1] = 3000;
	res[0].reactor.submit_levels[2] = 1000;
	res[0].reactor.submit_levels[6] = 1;
	res[0].reactor.reap_levels[4] = 10;
	res[0].reactor.reactors = 1;
	res[0].dir[ZH_BENCH_DIR_READ].short_ios = 3;
	/* fio counts the reads that check written blocks, and the fsync=N flushes. */
	res[0].verify.reads = 10;
	zh_bench_hist_reset(&res[0].sync_lat);
	for (int i = 0; i < 5; i++)
		zh_bench_hist_add(&res[0].sync_lat, 200000);
	res[0].latency_depth = 32;
	res[0].latency_percentile = 100.0;
	res[0].ss = (struct zh_bench_ss_opts){.seconds = 2};
	res[0].eta_s = 7;
	res[0].elapsed_s = 12;
	text = report_normal(1);
	depths =
	    strstr(text, "  cpu          : usr=7.40%, sys=39.10%, ctx=20280, majf=0, minf=0\n"
			 "  IO depths    : 1=0.1%, 2=0.0%, 4=0.0%, 8=0.0%, 16=0.0%, 32=100.0%, "
			 ">=64=0.0%\n"
			 "     submit    : 0=0.0%, 4=75.0%, 8=25.0%, 16=0.0%, 32=0.0%, 64=0.0%, "
			 ">=64=0.1%\n"
			 "     complete  : 0=0.0%, 4=0.0%, 8=0.0%, 16=0.0%, 32=100.0%, 64=0.0%, "
			 ">=64=0.0%\n"
			 "     issued rwts: total=154010,0,0,5 short=3,0,0,0 dropped=0,0,0,0\n");
	latency = strstr(text, "     latency   : target=0");
	steady = strstr(text, "  steadystate  : ");
	cr_assert_not_null(depths, "%s", text);
	cr_assert(latency > depths && steady > latency, "%s", text);
	free(text);

	root = report_json(1);
	cr_assert_eq(num_at(first_job(root), "eta"), 7);
	cr_assert_eq(num_at(first_job(root), "elapsed"), 12);
	levels = obj_at(first_job(root), "iodepth_level");
	item = levels->child;
	for (size_t i = 0; i < 7; i++, item = item->next)
		cr_assert_str_eq(item->string, depth_keys[i]);
	cr_assert_null(item);
	cr_assert_eq(num_at(levels, "1"), 0.1, "one of 154000 is shown as 0.1%%, as fio");
	cr_assert_float_eq(num_at(levels, "32"), 100.0 * 153999 / 154000, 1e-9);
	levels = obj_at(first_job(root), "iodepth_submit");
	item = levels->child;
	for (size_t i = 0; i < 7; i++, item = item->next) {
		cr_assert_str_eq(item->string, batch_keys[i]);
		cr_assert_float_eq(item->valuedouble, submit_pct[i], 0.05, "%s", batch_keys[i]);
	}
	cr_assert_eq(num_at(obj_at(first_job(root), "iodepth_complete"), "32"), 100.0);
	cJSON_Delete(root);
}

/* Both reports of the read job, with \p disks under it; the caller frees them. */
static void reports_with_disks(const struct zh_bench_disks *disks, char **text, cJSON **root)
{
	fill_read_job(&res[0]);
	report_disks = disks;
	*text = report_normal(1);
	*root = report_json(1);
	report_disks = NULL;
}

/*
 * fio 3.33's disk stats: the "Disk stats (read/write)" block last, and "disk_util" after
 * "jobs"; fio 3.33 reports no sectors.
 */
Test(bench_report, disk_stats_as_fio)
{
	static const char *const keys[] = {"name",	  "read_ios",	  "write_ios",
					   "read_merges", "write_merges", "read_ticks",
					   "write_ticks", "in_queue",	  "util"};
	const cJSON *disk, *item;
	char *text;
	cJSON *root;

	reports_with_disks(&one_disk, &text, &root);
	cr_assert_not_null(strstr(text, "run=1000-1000msec\n\nDisk stats (read/write):\n"
					"  vda: ios=1200/800, merge=3/40, "
					"ticks=2400/1600, in_queue=4100, util=95.00%\n"),
			   "%s", text);
	free(text);
	cr_assert_str_eq(cJSON_GetArrayItem(root, 5)->string, "disk_util");
	disk = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "disk_util"), 0);
	item = disk->child;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++, item = item->next)
		cr_assert_str_eq(item->string, keys[i]);
	cr_assert_null(item);
	cr_assert_str_eq(str_at(disk, "name"), "vda");
	cr_assert_eq(num_at(disk, "write_merges"), 40);
	cr_assert_eq(num_at(disk, "in_queue"), 4100);
	cr_assert_eq(num_at(disk, "util"), 95.0);
	cJSON_Delete(root);

	root = report_json(1);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(root, "disk_util"), "none without a disk");
	cJSON_Delete(root);
}

/*
 * fio 3.33 on a volume: its line indented further, ending with its members' figures averaged
 * (aggrutil: the busiest member's), the members' lines after it; in the JSON, the volume's
 * aggr_* keys after util ("aggr_write_merge" as fio spells it), and the members as disks.
 */
Test(bench_report, a_volume_gets_its_members_aggregate_as_fio)
{
	static const char *const aggr_keys[] = {
	    "aggr_read_ios",   "aggr_write_ios",   "aggr_read_merges", "aggr_write_merge",
	    "aggr_read_ticks", "aggr_write_ticks", "aggr_in_queue",    "aggr_util"};
	const cJSON *disks, *item;
	char *text;
	cJSON *root;

	reports_with_disks(&volume, &text, &root);
	cr_assert_not_null(
	    strstr(text, "Disk stats (read/write):\n"
			 "    dm-7: ios=100/200, merge=0/0, ticks=10/20, in_queue=30, util=40.00%, "
			 "aggrios=50/100, aggrmerge=0/4, aggrticks=6/10, aggrin_queue=17, "
			 "aggrutil=60.00%\n"
			 "  vdx1: ios=40/90, merge=1/3, ticks=5/9, in_queue=14, util=30.00%\n"
			 "  vdy: ios=60/110, merge=0/6, ticks=7/12, in_queue=20, util=60.00%\n"),
	    "%s", text);
	free(text);
	disks = cJSON_GetObjectItemCaseSensitive(root, "disk_util");
	cr_assert_eq(cJSON_GetArraySize(disks), 3);
	item = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(disks, 0), "util")->next;
	for (size_t i = 0; i < sizeof(aggr_keys) / sizeof(aggr_keys[0]); i++, item = item->next)
		cr_assert_str_eq(item->string, aggr_keys[i]);
	cr_assert_null(item);
	cr_assert_eq(num_at(cJSON_GetArrayItem(disks, 0), "aggr_write_ios"), 100);
	cr_assert_eq(num_at(cJSON_GetArrayItem(disks, 0), "aggr_util"), 60.0);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(disks, 1), "aggr_util"),
		       "a member has no aggregate");
	cJSON_Delete(root);
}

/* An object job keeps no depths: its block has no depth lines, only what it issued. */
Test(bench_report, no_io_depths_lines_without_reactor_counts)
{
	char *text;

	fill_read_job(&res[0]);
	text = report_normal(1);
	cr_assert_null(strstr(text, "IO depths"), "%s", text);
	cr_assert_not_null(strstr(text, "     issued rwts: total=154000,0,0,0 short=0,0,0,0 "
					"dropped=0,0,0,0\n"),
			   "%s", text);
	free(text);
}

/* Steady state: fio's line under cpu and its JSON object, keys in fio's order. */
Test(bench_report, steadystate_line_and_object_as_fio)
{
	static uint64_t iops[2] = {20444, 20892}, bw[2] = {83740444, 85573632};
	static const char *const keys[] = {
	    "ss", "duration", "attained", "criterion", "max_deviation", "slope", "data"};
	const cJSON *ss, *item;
	char *text;
	cJSON *root;

	fill_read_job(&res[0]);
	res[0].ss =
	    (struct zh_bench_ss_opts){.slope = true, .pct = true, .limit = 20.0, .seconds = 2};
	res[0].ss_attained = true;
	res[0].ss_criterion = 1.677;
	res[0].ss_iops_mean = 20668;
	res[0].ss_bw_mean = 84657038;
	res[0].ss_samples = 2;
	res[0].ss_iops = iops;
	res[0].ss_bw = bw;
	text = report_normal(1);
	cr_assert_not_null(strstr(text, "  steadystate  : attained=yes, bw=80.7MiB/s (84.7MB/s), "
					"iops=20.7k, iops slope=1.677%\n"),
			   "%s", text);
	free(text);
	root = report_json(1);
	ss = obj_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "jobs"), 0),
		    "steadystate");
	item = ss->child;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++, item = item->next)
		cr_assert_str_eq(item->string, keys[i]);
	cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ss, "ss")),
			 "iops_slope:20.000000%");
	cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ss, "criterion")),
			 "1.677000%");
	cr_assert_eq(
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj_at(ss, "data"), "iops")), 2);
	cJSON_Delete(root);
}

/*
 * The progress line's time left. Regression: it was the longest ramp plus runtime less the time
 * since the group started, so a job waiting out its startdelay, or bounded only by its size,
 * showed 00m:00s from the start.
 */
Test(bench_report, eta_counts_startdelay_and_size)
{
	const uint64_t s = 1000000000ull;
	struct zh_bench_eta_job timed = {
	    .start_delay_ns = 4 * s, .ramp_ns = 1 * s, .runtime_ns = 2 * s};
	struct zh_bench_eta_job sized = {.start_delay_ns = 1 * s, .limit_bytes = 1000};
	struct zh_bench_eta_job both = {
	    .runtime_ns = 10 * s, .limit_bytes = 1000, .done_bytes = 500};

	cr_assert_eq(zh_bench_eta_left_ns(&timed, 1 * s), 6 * s);
	cr_assert_eq(zh_bench_eta_left_ns(&timed, 9 * s), 0);
	/* Nothing moved yet: no rate to go by. */
	cr_assert_eq(zh_bench_eta_left_ns(&sized, 3 * s), ZH_BENCH_ETA_UNKNOWN);
	/* A quarter moved in the 2 s since its startdelay: 6 s to go. */
	sized.done_bytes = 250;
	cr_assert_eq(zh_bench_eta_left_ns(&sized, 3 * s), 6 * s);
	sized.done_bytes = 1000;
	cr_assert_eq(zh_bench_eta_left_ns(&sized, 3 * s), 0);
	/* Half its size in 1 s ends it long before its runtime. */
	cr_assert_eq(zh_bench_eta_left_ns(&both, 1 * s), 1 * s);
	cr_assert_eq(zh_bench_eta_left_ns(&both, 9500000000ull), 500000000ull);
}
