/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bench_job.c - libFuzzer harness for the zhtp-bench job-file parser.
 *
 * Feeds arbitrary bytes to zh_bench_jobfile_parse() (not NUL-terminated, so ASan catches any
 * read past len), and the first line, split at '=', to zh_bench_job_set() and
 * zh_bench_job_finish(). Beyond memory and UB errors it checks the parser's promises: a
 * failure leaves the job list as it was and gives a one-line message that starts with the
 * source name; a success gives finished jobs with names and in-range values, and block sizes
 * that draw within their bounds and read back the same from their fio spelling, and random
 * distributions whose generators start and draw on the blocks.
 */
#include "benchmarks/bench_job.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each jobfile is about 1.6 MiB: keep them out of the fuzzer's stack. */
static struct zh_bench_jobfile jf;
static struct zh_bench_job job;
static char line[ZH_BENCH_LINE_MAX + 1];
static char err[512];

/* One direction's sizes: shares add up, draws stay in bounds, the spelling parses back. */
static void check_bs(const struct zh_bench_bs bs[2])
{
	static const char *const key[] = {"bs", "bsrange", "bssplit"};
	static const uint32_t words[] = {0, 1, 0x80000000u, UINT32_MAX};
	static char value[4096];
	static struct zh_bench_job back;

	for (unsigned d = 0; d < 2; d++) {
		uint64_t shares = 0;

		for (uint32_t i = 0; i < bs[d].split_count; i++)
			shares += bs[d].split_share[i];
		if (bs[d].kind == ZH_BENCH_BS_SPLIT && shares != ZH_BENCH_BS_SHARE_WHOLE)
			abort();
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			uint32_t len = zh_bench_bs_draw(&bs[d], words[w]);

			if (len < bs[d].min_bytes || len > bs[d].max_bytes)
				abort();
		}
	}
	zh_bench_job_defaults(&back);
	for (unsigned k = ZH_BENCH_BS_ONE; k <= ZH_BENCH_BS_SPLIT; k++) {
		int rc = zh_bench_bs_format(bs, (enum zh_bench_bs_kind)k, value, sizeof(value));

		if (rc == -ENOENT)
			continue;
		if (rc != 0 || zh_bench_job_set(&back, key[k], value, NULL, 0) != 0)
			abort();
	}
	if (memcmp(back.bs, bs, sizeof(back.bs)) != 0)
		abort();
}

/* Any distribution the parser takes makes a generator whose draws stay on the blocks. */
static void check_dist(const struct zh_bench_dist *d)
{
	static struct zh_bench_dist_gen g;
	const uint64_t blocks[] = {1, 3, 1000};

	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		int rc = zh_bench_dist_init(&g, d, blocks[b], 512, 1);

		/* zoned_abs zones longer than the blocks are the planner's to refuse. */
		if (rc == -ERANGE && zh_bench_dist_span_bytes(d) > blocks[b] * 512)
			continue;
		if (rc != 0)
			abort();
		for (int i = 0; i < 8; i++) {
			if (zh_bench_dist_next(&g) >= blocks[b])
				abort();
		}
	}
}

/* A pattern the parser takes fills a block that then matches it, end to end. */
static void check_pattern(const struct zh_bench_pattern *p)
{
	static uint8_t block[4096 + 3];

	if (p->len == 0)
		return;
	if (p->len > ZH_BENCH_PATTERN_MAX || p->offset_count > ZH_BENCH_PATTERN_OFFSETS_MAX)
		abort();
	for (uint32_t i = 0; i < p->offset_count; i++) {
		if (p->offset_at[i] + 8u > p->len)
			abort();
	}
	zh_bench_pattern_fill(p, 0x1234500, block, sizeof(block));
	if (!zh_bench_pattern_matches(p, 0x1234500, block, 0, sizeof(block)))
		abort();
}

/* A finished job names 1 to ZH_BENCH_FILES_MAX files, none of them empty. */
static void check_files(const struct zh_bench_job *j)
{
	static char name[ZH_BENCH_PATH_MAX];
	uint32_t n = zh_bench_job_file_count(j);

	if (n < 1 || n > ZH_BENCH_FILES_MAX)
		abort();
	for (uint32_t i = 0; j->filename[0] != '\0' && i < n; i++) {
		if (zh_bench_job_file_name(j, i, name, sizeof(name)) != 0 || name[0] == '\0')
			abort();
	}
}

static void check_jobs(void)
{
	for (uint32_t i = 0; i < jf.job_count; i++) {
		const struct zh_bench_job *j = &jf.jobs[i];

		if (j->name[0] == '\0' || zh_bench_job_bs_max(j) == 0 ||
		    zh_bench_job_bs_max(j) > ZH_BENCH_BS_MAX_BYTES || j->iodepth == 0 ||
		    j->iodepth > ZH_BENCH_IODEPTH_MAX || j->numjobs == 0 ||
		    j->numjobs > ZH_BENCH_NUMJOBS_MAX || j->rwmixread_pct > 100 ||
		    j->size_pct > 100 || j->source_line == 0 || j->iops_log_use_name ||
		    j->bw_log_use_name || j->lat_log_use_name ||
		    (j->time_based && j->runtime_ns == 0))
			abort();
		if (memchr(j->name, '\0', sizeof(j->name)) == NULL ||
		    memchr(j->filename, '\0', sizeof(j->filename)) == NULL ||
		    memchr(j->ioengine, '\0', sizeof(j->ioengine)) == NULL)
			abort();
		check_bs(j->bs);
		check_dist(&j->dist);
		check_pattern(&j->verify_pattern);
		check_pattern(&j->buffer_pattern);
		check_files(j);
	}
}

static void check_err(int rc, const char *prefix)
{
	if (rc == 0)
		return;
	if (rc != -EINVAL && rc != -E2BIG && rc != -ENOENT)
		abort();
	if (strchr(err, '\n') != NULL || strncmp(err, prefix, strlen(prefix)) != 0)
		abort();
}

static void fuzz_first_line(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - data) : size;
	char *eq;
	int rc;

	if (n > ZH_BENCH_LINE_MAX)
		n = ZH_BENCH_LINE_MAX;
	memcpy(line, data, n);
	line[n] = '\0';
	eq = strchr(line, '=');
	if (eq != NULL)
		*eq = '\0';
	zh_bench_job_defaults(&job);
	err[0] = '\0';
	rc = zh_bench_job_set(&job, line, eq != NULL ? eq + 1 : NULL, err, sizeof(err));
	check_err(rc, "");
	snprintf(job.name, sizeof(job.name), "fuzz");
	rc = zh_bench_job_finish(&job, err, sizeof(err));
	check_err(rc, "job 'fuzz'");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc;

	zh_bench_jobfile_init(&jf);
	err[0] = '\0';
	rc = zh_bench_jobfile_parse(&jf, (const char *)data, size, "fuzz.fio", err, sizeof(err));
	check_err(rc, "fuzz.fio:");
	if (rc != 0 && jf.job_count != 0)
		abort();
	check_jobs();
	fuzz_first_line(data, size);
	return 0;
}
