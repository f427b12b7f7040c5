/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench reporting: fio's human summary, fio's JSON layout (through cJSON) and fio's log
 * file lines, including the log_avg_msec window averaging.
 *
 * The human summary reproduces fio 3.33's layout and its unit rules, stated here in our own
 * words:
 *
 * 1. Counts and rates print with 4 significant digits and a k/M/G (or Ki/Mi/Gi) prefix: the
 *    smallest prefix that leaves at most 4 integer digits, then as many decimals as fit in the
 *    4 (none if the integer part has 3 or 4 digits): 154k, 14.6k, 602MiB/s, 57.2MiB/s.
 *    Latency minima and maxima use 6 digits: 139677, 1628.4k.
 * 2. A latency line switches from nsec to usec when min > 2000, max > 99999 and stddev > 1000
 *    ns, and to msec at a thousand times those bounds.
 * 3. Percentile blocks use usec when the smallest listed value is above 2000 ns and the
 *    largest above 99999 ns (msec at a thousand times those), rounding values up.
 * 4. Rates are per second of the measured runtime; "per=" is a job's mean bandwidth as a
 *    share of its group's aggregate bandwidth (group bytes over the group's longest runtime).
 */
/* localtime_r and getpid are POSIX.1-2008, outside plain -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "bench_report.h"

#include "bench_job.h"
#include "bench_verify.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

static const double pct_default[] = {1.0,  5.0,	 10.0, 20.0, 30.0, 40.0, 50.0,	60.0, 70.0,
				     80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99};

_Static_assert(sizeof(pct_default) / sizeof(pct_default[0]) <= ZH_BENCH_PCT_MAX, "list size");

/*
 * The percentiles to report: fio's default list, or the job's percentile_list; and for which
 * latencies (PCT_* bits: slat_percentiles, clat_percentiles, lat_percentiles).
 */
struct pct_set {
	const double *v;
	size_t n;
	unsigned kinds;
};

enum { PCT_SLAT = 1, PCT_CLAT = 2, PCT_LAT = 4 };

static struct pct_set result_pcts(const struct zh_bench_result *r)
{
	unsigned kinds = (r->slat_pct ? PCT_SLAT : 0) | (r->no_clat_pct ? 0 : PCT_CLAT) |
			 (r->lat_pct ? PCT_LAT : 0);

	if (r->pct_count > 0)
		return (struct pct_set){r->pct_list, r->pct_count, kinds};
	return (struct pct_set){pct_default, sizeof(pct_default) / sizeof(pct_default[0]), kinds};
}

void zh_bench_result_init(struct zh_bench_result *res, const struct zh_bench_job *job,
			  unsigned groupid)
{
	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", job->name);
	res->groupid = groupid;
	res->rw_name = zh_bench_rw_name(job->rw);
	res->bs[0] = job->bs[0];
	res->bs[1] = job->bs[1];
	res->iodepth = job->iodepth;
	res->latency_depth = job->iodepth;
	res->latency_target_ns = job->lat_target_ns;
	res->latency_window_ns = job->lat_window_ns;
	res->latency_percentile = job->lat_percentile;
	res->ss = job->ss;
	res->ioengine_requested = job->ioengine;
	res->fsync_asked = job->fsync_blocks != 0;
	res->pct_list = job->pct_list;
	res->pct_count = job->pct_count;
	res->slat_pct = job->slat_percentiles;
	res->no_clat_pct = !job->clat_percentiles;
	res->lat_pct = job->lat_percentiles;
	res->unified_mixed = job->unified_mixed;
	res->continue_on_error = job->continue_on_error != 0;
	res->full_offset = UINT64_MAX;
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++)
		zh_bench_dir_stats_reset(&res->dir[d]);
	zh_bench_hist_reset(&res->sync_lat);
}

/*
 * Decimals to print a list's percentiles with: 2 as fio's default list, more when one of a
 * percentile_list needs them, and then (as fio) for every entry: "1.000th" beside "99.999th".
 */
static int pct_decimals(struct pct_set pcts)
{
	int decimals = 2;

	for (size_t i = 0; i < pcts.n; i++) {
		double scale = pow(10.0, decimals);

		while (decimals < 6 && fabs(pcts.v[i] * scale - round(pcts.v[i] * scale)) > 1e-6) {
			decimals++;
			scale *= 10.0;
		}
	}
	return decimals;
}

static const char *const dir_name[ZH_BENCH_DIRS] = {"read", "write"};

/* A direction's name in a result: fio calls the one unified_rw_reporting keeps "mixed". */
static const char *result_dir_name(const struct zh_bench_result *r, unsigned d)
{
	return r->unified_mixed ? "mixed" : dir_name[d];
}

/* ---- numbers and rates ---- */

static unsigned count_digits(uint64_t v)
{
	unsigned d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static uint64_t pow10_u64(unsigned e)
{
	uint64_t p = 1;

	while (e--)
		p *= 10;
	return p;
}

/*
 * Design note 1: num with at most max_digits significant digits and a unit prefix, rounded to
 * nearest, followed by unit ("B", "B/s" or "").
 */
static void format_scaled(char *buf, size_t len, uint64_t num, unsigned max_digits, bool pow2,
			  const char *unit)
{
	static const char *const si[] = {"", "k", "M", "G", "T", "P", "E"};
	static const char *const iec[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	const uint64_t base = pow2 ? 1024 : 1000;
	uint64_t div = 1;
	unsigned p = 0;

	while (p < 6 && count_digits(num / div) > max_digits) {
		div *= base;
		p++;
	}
	if (p == 0) {
		snprintf(buf, len, "%" PRIu64 "%s", num, unit);
		return;
	}

	int decimals = (int)max_digits - (int)count_digits(num / div) - 1;
	const char *prefix = pow2 ? iec[p] : si[p];

	if (decimals <= 0) {
		uint64_t rounded = (uint64_t)(((unsigned __int128)num + div / 2) / div);

		snprintf(buf, len, "%" PRIu64 "%s%s", rounded, prefix, unit);
		return;
	}

	/* Callers ask for at most 6 digits, so at most 4 decimals; the bound keeps %0*u short. */
	ZH_ASSERT(decimals <= 8);

	uint64_t scale = pow10_u64((unsigned)decimals);
	uint64_t scaled = (uint64_t)(((unsigned __int128)num * scale + div / 2) / div);

	snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64 "%s%s", scaled / scale, decimals & 15,
		 scaled % scale, prefix, unit);
}

/* amount per second of runtime_ns, rounded down; 0 for a zero runtime. */
static uint64_t per_second(uint64_t amount, uint64_t runtime_ns)
{
	if (runtime_ns == 0)
		return 0;

	unsigned __int128 r = (unsigned __int128)amount * 1000000000u / runtime_ns;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

static uint64_t ns_to_ms(uint64_t ns)
{
	return ns / 1000000 + (ns % 1000000 >= 500000);
}

/*
 * A runtime in ms rounds up, as fio's update_runtime() does: a job that ran 0.27 ms said
 * "runtime": 0 beside its IOPS, and a parser dividing its bytes by that divided by zero.
 */
static uint64_t runtime_ms(uint64_t ns)
{
	return ns / 1000000 + (ns % 1000000 != 0);
}

static bool dir_active(const struct zh_bench_result *r, unsigned d)
{
	return r->runtime_ns > 0 && (r->dir[d].ios > 0 || r->dir[d].bytes > 0);
}

static uint64_t total_ios(const struct zh_bench_result *r)
{
	return r->dir[ZH_BENCH_DIR_READ].ios + r->dir[ZH_BENCH_DIR_WRITE].ios;
}

static double enters_per_io(const struct zh_bench_result *r)
{
	uint64_t ios = total_ios(r);

	return ios > 0 ? (double)r->reactor.enters / (double)ios : 0.0;
}

/* Share of the reactors' measured time spent polling or sleeping with I/O in flight. */
static double io_wait_pct(const struct zh_bench_result *r)
{
	double reactor_ns = (double)r->runtime_ns * r->reactor.reactors;

	return reactor_ns > 0 ? 100.0 * (double)r->reactor.io_wait_ns / reactor_ns : 0.0;
}

static double iops_per_cpu_second(const struct zh_bench_result *r)
{
	return r->cpu_seconds > 0.0 ? (double)total_ios(r) / r->cpu_seconds : 0.0;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- groups ---- */

/* One direction of one "Run status group" line, over the results with I/O in it. */
struct group_dir {
	unsigned members;
	uint64_t io_bytes;
	uint64_t min_run_ns, max_run_ns;
	uint64_t min_bw, max_bw; /* bytes/s of the fastest and slowest member */
	uint64_t agg_bw;	 /* group bytes over the longest runtime */
};

static void group_dir_totals(const struct zh_bench_result *results, size_t n, unsigned groupid,
			     unsigned d, struct group_dir *g)
{
	memset(g, 0, sizeof(*g));
	g->min_run_ns = UINT64_MAX;
	g->min_bw = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		const struct zh_bench_result *r = &results[i];

		if (r->groupid != groupid || !dir_active(r, d))
			continue;

		uint64_t bw = per_second(r->dir[d].bytes, r->runtime_ns);

		g->members++;
		g->io_bytes += r->dir[d].bytes;
		g->min_run_ns = r->runtime_ns < g->min_run_ns ? r->runtime_ns : g->min_run_ns;
		g->max_run_ns = r->runtime_ns > g->max_run_ns ? r->runtime_ns : g->max_run_ns;
		g->min_bw = bw < g->min_bw ? bw : g->min_bw;
		g->max_bw = bw > g->max_bw ? bw : g->max_bw;
	}
	if (g->members == 0) {
		g->min_run_ns = 0;
		g->min_bw = 0;
		return;
	}
	g->agg_bw = per_second(g->io_bytes, g->max_run_ns);
}

/* A job's mean sampled bandwidth (KiB/s) as a percentage of its group's aggregate, as fio. */
static double bw_share_pct(double mean_kib, const struct group_dir *g)
{
	if (g->agg_bw <= 1024)
		return 100.0;

	double p = mean_kib * 100.0 / ((double)g->agg_bw / 1024.0);

	return p > 100.0 ? 100.0 : p;
}

/* Smallest groupid above prev (or the smallest at all when first); false when none is left. */
static bool next_groupid(const struct zh_bench_result *results, size_t n, bool first, unsigned prev,
			 unsigned *next)
{
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		unsigned g = results[i].groupid;

		if (!first && g <= prev)
			continue;
		if (!found || g < *next) {
			*next = g;
			found = true;
		}
	}
	return found;
}

/* ---- human summary ---- */

static void print_lat_line(FILE *out, const char *name, const struct zh_bench_hist *h)
{
	uint64_t min = h->min_ns, max = h->max_ns;
	double mean = zh_bench_hist_mean(h), dev = zh_bench_hist_stddev(h);
	const char *unit = "nsec";
	char minp[32], maxp[32];

	/* Design note 2. */
	if (min > 2000000 && max > 99999999 && dev > 1000000.0) {
		unit = "msec";
		min /= 1000000;
		max /= 1000000;
		mean /= 1000000.0;
		dev /= 1000000.0;
	} else if (min > 2000 && max > 99999 && dev > 1000.0) {
		unit = "usec";
		min /= 1000;
		max /= 1000;
		mean /= 1000.0;
		dev /= 1000.0;
	}
	format_scaled(minp, sizeof(minp), min, 6, false, "");
	format_scaled(maxp, sizeof(maxp), max, 6, false, "");
	fprintf(out, "    %s (%s): min=%s, max=%s, avg=%5.02f, stdev=%5.02f\n", name, unit, minp,
		maxp, mean, dev);
}

static void print_percentiles(FILE *out, const char *name, const struct zh_bench_hist *h,
			      struct pct_set pcts)
{
	uint64_t v[ZH_BENCH_PCT_MAX], minv = UINT64_MAX, maxv = 0;
	int decimals = pct_decimals(pcts);
	unsigned scale_steps = 0;
	uint64_t divisor = 1;
	const char *unit = "nsec";

	ZH_ASSERT(pcts.n <= sizeof(v) / sizeof(v[0]));
	for (size_t i = 0; i < pcts.n; i++) {
		v[i] = zh_bench_hist_percentile(h, pcts.v[i]);
		minv = v[i] < minv ? v[i] : minv;
		maxv = v[i] > maxv ? v[i] : maxv;
	}

	/* Design note 3. */
	if (minv > 2000000 && maxv > 99999999) {
		scale_steps = 2;
		divisor = 1000000;
		unit = "msec";
	} else if (minv > 2000 && maxv > 99999) {
		scale_steps = 1;
		divisor = 1000;
		unit = "usec";
	}

	int width = (int)count_digits(maxv / divisor);

	width = width < 5 ? 5 : width;

	/*
	 * 73 columns after the "     |" margin; each entry is " 99.99th=[" + width + "],", one
	 * column longer per decimal beyond two.
	 */
	size_t per_line = (size_t)(73 / (10 + decimals + width));

	fprintf(out, "    %s percentiles (%s):\n     |", name, unit);
	for (size_t i = 0; i < pcts.n; i++) {
		bool last = i == pcts.n - 1;
		uint64_t x = v[i];

		if (i != 0 && i % per_line == 0)
			fputs("     |", out);
		for (unsigned s = 0; s < scale_steps; s++)
			x = (x + 999) / 1000;
		fprintf(out, " %*.*fth=[%*" PRIu64 "]%c", decimals + 3, decimals, pcts.v[i], width,
			x, last ? '\n' : ',');
		if (!last && i % per_line == per_line - 1)
			fputc('\n', out);
	}
}

static void print_rate_lines(FILE *out, const struct zh_bench_dir_stats *st,
			     const struct group_dir *g)
{
	const struct zh_bench_rate_stats *bw = &st->bw_kib;
	const struct zh_bench_rate_stats *io = &st->iops;

	if (bw->samples) {
		uint64_t min = bw->min, max = bw->max;
		double mean = zh_bench_rate_stats_mean(bw), dev = zh_bench_rate_stats_stddev(bw);
		double share = bw_share_pct(mean, g);
		const char *unit = "KiB";

		if (mean > 1024.0 * 1024.0) {
			unit = "MiB";
			min /= 1024;
			max /= 1024;
			mean /= 1024.0;
			dev /= 1024.0;
		}
		fprintf(out,
			"   bw (%5s/s): min=%5" PRIu64 ", max=%5" PRIu64
			", per=%3.2f%%, avg=%5.02f, "
			"stdev=%5.02f, samples=%" PRIu64 "\n",
			unit, min, max, share, mean, dev, bw->samples);
	}
	if (io->samples) {
		fprintf(out,
			"   iops        : min=%5" PRIu64 ", max=%5" PRIu64 ", avg=%5.02f, "
			"stdev=%5.02f, samples=%" PRIu64 "\n",
			io->min, io->max, zh_bench_rate_stats_mean(io),
			zh_bench_rate_stats_stddev(io), io->samples);
	}
}

static void print_dir_block(FILE *out, const struct zh_bench_result *r, unsigned d,
			    const struct group_dir *g)
{
	const struct zh_bench_dir_stats *st = &r->dir[d];
	struct pct_set pcts = result_pcts(r);
	uint64_t bw = per_second(st->bytes, r->runtime_ns);
	char iops_s[32], bw_s[32], bw_alt[32], io_s[32];

	format_scaled(iops_s, sizeof(iops_s), per_second(st->ios, r->runtime_ns), 4, false, "");
	format_scaled(bw_s, sizeof(bw_s), bw, 4, true, "B/s");
	format_scaled(bw_alt, sizeof(bw_alt), bw, 4, false, "B/s");
	format_scaled(io_s, sizeof(io_s), st->bytes, 4, true, "B");

	/* fio 3.33 ends every write line with the zone reset count; parsers expect it. */
	fprintf(out, "  %s: IOPS=%s, BW=%s (%s)(%s/%" PRIu64 "msec)%s\n", result_dir_name(r, d),
		iops_s, bw_s, bw_alt, io_s, runtime_ms(r->runtime_ns),
		d == ZH_BENCH_DIR_WRITE ? "; 0 zone resets" : "");

	if (st->slat.count)
		print_lat_line(out, "slat", &st->slat);
	if (st->clat.count)
		print_lat_line(out, "clat", &st->clat);
	if (st->lat.count)
		print_lat_line(out, " lat", &st->lat);
	if (st->slat.count && (pcts.kinds & PCT_SLAT))
		print_percentiles(out, "slat", &st->slat, pcts);
	if (st->clat.count && (pcts.kinds & PCT_CLAT))
		print_percentiles(out, "clat", &st->clat, pcts);
	if (st->lat.count && (pcts.kinds & PCT_LAT))
		print_percentiles(out, "lat", &st->lat, pcts);
	print_rate_lines(out, st, g);
}

/* fio's block for fsync=N / fdatasync=N, and what zhtp-bench adds about its flushes. */
static void print_sync_block(FILE *out, const struct zh_bench_result *r)
{
	if (r->sync_lat.count > 0) {
		fputs("  fsync/fdatasync/sync_file_range:\n", out);
		print_lat_line(out, "sync", &r->sync_lat);
		print_percentiles(out, "sync", &r->sync_lat, result_pcts(r));
		if (r->fsync_asked)
			fputs("  flushes      : fsync ran as the device's flush: fdatasync on a "
			      "file, "
			      "NVMe Flush on a passthrough device\n",
			      out);
	}
	if (r->end_syncs > 0)
		fprintf(out, "  end_fsync    : %u flush%s, the longest %.1f usec\n", r->end_syncs,
			r->end_syncs == 1 ? "" : "es", (double)r->end_sync_max_ns / 1000.0);
}

/* verify=crc32c: how many blocks were checked, and the first bad one. */
static void print_verify(FILE *out, const struct zh_bench_verify_report *v)
{
	if (!v->ran)
		return;
	if (v->backlogs > 0)
		fprintf(out,
			"  verify       : %" PRIu64 " blocks read back, %" PRIu64
			" of them in %" PRIu64 " check%s while writing, the rest in %.1f msec, ",
			v->blocks, v->backlog_blocks, v->backlogs, v->backlogs == 1 ? "" : "s",
			(double)v->readback_ns / 1e6);
	else if (v->readback_ns > 0)
		fprintf(out, "  verify       : %" PRIu64 " blocks read back in %.1f msec, ",
			v->blocks, (double)v->readback_ns / 1e6);
	else
		fprintf(out, "  verify       : %" PRIu64 " blocks checked as read, ", v->blocks);
	if (v->bad == 0) {
		fputs("none bad\n", out);
		return;
	}
	fprintf(out, "%" PRIu64 " bad; the first at offset %" PRIu64 ": %s", v->bad,
		v->first_bad_offset,
		zh_bench_verify_result_name((enum zh_bench_verify_result)v->first_bad_kind));
	if (v->first_bad_kind == ZH_BENCH_VERIFY_STALE)
		fprintf(out, " (write %" PRIu64 ", the last was %" PRIu64 ")", v->first_bad_seq,
			v->first_bad_want_seq);
	fputc('\n', out);
}

/* fio's metric name and limit for ss=: "iops_slope", "bw" ... */
static const char *ss_metric(const struct zh_bench_ss_opts *o)
{
	if (o->bw)
		return o->slope ? "bw_slope" : "bw";
	return o->slope ? "iops_slope" : "iops";
}

/* fio's "steadystate : attained=yes, bw=... (...), iops=..., iops slope=1.677%" line. */
static void print_steadystate(FILE *out, const struct zh_bench_result *r)
{
	char iops_s[32], bw_s[32], bw_alt[32];

	if (r->ss.seconds == 0)
		return;
	format_scaled(iops_s, sizeof(iops_s), (uint64_t)r->ss_iops_mean, 4, false, "");
	format_scaled(bw_s, sizeof(bw_s), (uint64_t)r->ss_bw_mean, 4, true, "B/s");
	format_scaled(bw_alt, sizeof(bw_alt), (uint64_t)r->ss_bw_mean, 4, false, "B/s");
	fprintf(out, "  steadystate  : attained=%s, bw=%s (%s), iops=%s, %s %s=%.3f%s\n",
		r->ss_attained ? "yes" : "no", bw_s, bw_alt, iops_s, r->ss.bw ? "bw" : "iops",
		r->ss.slope ? "slope" : "mean dev", r->ss_criterion, r->ss.pct ? "%" : "");
}

/* "SCHED_BATCH" ..., or NULL for a policy zhtp-bench never sets. */
static const char *sched_policy_name(int policy)
{
	switch (policy) {
	case SCHED_OTHER:
		return "SCHED_OTHER";
	case SCHED_BATCH:
		return "SCHED_BATCH";
	case SCHED_IDLE:
		return "SCHED_IDLE";
	default:
		return NULL;
	}
}

/* The reactors' policy, slice and yield-wait: the settings that explain a run on a shared core. */
static void print_sched(FILE *out, const struct zh_bench_sched_report *s)
{
	const char *name = sched_policy_name(s->policy);

	fputs("  scheduling   : ", out);
	if (name != NULL)
		fputs(name, out);
	else
		fprintf(out, "policy %d", s->policy);
	if (s->slice_ns == 0)
		fputs(", slice not reported by this kernel", out);
	else if (s->slice_ns % 1000 == 0)
		fprintf(out, ", slice %" PRIu64 "us", s->slice_ns / 1000);
	else
		fprintf(out, ", slice %" PRIu64 "ns", s->slice_ns);
	fprintf(out, ", yield-wait %s\n", s->yield_wait ? "on" : "off");
}

/*
 * fio's latency distribution (its io_u_lat_n, _u and _m): the share of I/Os whose completion
 * latency fell in each range, every direction together. fio counts each I/O as it completes;
 * here it is read from the clat histograms (zh_bench_hist_count_ranges()), so an I/O within a
 * bucket's width (1.6%) of a range's edge may count on the other side of it.
 */
#define LAT_RANGES    10 /* nsec and usec: below 2, 4, 10, ... 1000 of the unit */
#define LAT_MS_RANGES 12 /* msec: also below 2000, and 2000 or more */

struct lat_dist {
	double pct[3][LAT_MS_RANGES]; /* nsec, usec, msec */
};

static const uint64_t lat_unit_ns[3] = {1, 1000, 1000000};
static const char *const lat_unit_names[3] = {"nsec", "usec", "msec"};
static const char *const lat_json_keys[3] = {"latency_ns", "latency_us", "latency_ms"};
/* Each range's upper edge in its unit; a range starts where the one before it ends. */
static const uint64_t lat_edges[LAT_MS_RANGES - 1] = {2,   4,	10,  20,   50,	100,
						      250, 500, 750, 1000, 2000};
static const char *const lat_labels[LAT_MS_RANGES] = {
    "2", "4", "10", "20", "50", "100", "250", "500", "750", "1000", "2000", ">=2000"};

static unsigned lat_ranges(unsigned unit)
{
	return unit == 2 ? LAT_MS_RANGES : LAT_RANGES;
}

/* A range with any I/O shows at least 0.01%, as fio's stat_calc_lat() makes it. */
static double lat_pct(uint64_t ios, uint64_t total)
{
	double pct = 100.0 * (double)ios / (double)total;

	return ios > 0 && pct < 0.01 ? 0.01 : pct;
}

/* Every range's upper edge in ns, nsec's first and msec's 2000 last: 31 of them. */
#define LAT_EDGES (2 * LAT_RANGES + LAT_MS_RANGES - 1)

static void lat_dist(const struct zh_bench_result *r, struct lat_dist *out)
{
	uint64_t edges[LAT_EDGES], counts[LAT_EDGES + 1] = {0}, total = 0;
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	for (unsigned u = 0; u < 3; u++) {
		/* msec's last range is open: it has no edge. */
		for (unsigned i = 0; i < lat_ranges(u) - (u == 2); i++)
			edges[k++] = lat_edges[i] * lat_unit_ns[u];
	}
	ZH_ASSERT(k == LAT_EDGES);
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		zh_bench_hist_count_ranges(&r->dir[d].clat, edges, LAT_EDGES, counts);
		total += r->dir[d].clat.count;
	}
	if (total == 0)
		return;
	k = 0;
	for (unsigned u = 0; u < 3; u++) {
		for (unsigned i = 0; i < lat_ranges(u); i++)
			out->pct[u][i] = lat_pct(counts[k++], total);
	}
}

/* fio's "  lat (usec)   : 50=97.61%, 100=2.06%" lines: ranges with any I/O, five a line. */
static void print_lat_dist(FILE *out, const struct zh_bench_result *r)
{
	struct lat_dist l;

	lat_dist(r, &l);
	for (unsigned u = 0; u < 3; u++) {
		unsigned shown = 0;

		for (unsigned i = 0; i < lat_ranges(u); i++) {
			if (l.pct[u][i] <= 0.0)
				continue;
			if (shown % 5 == 0)
				fprintf(out, "%s  lat (%s)   : ", shown > 0 ? "\n" : "",
					lat_unit_names[u]);
			else
				fputs(", ", out);
			fprintf(out, "%s=%3.2f%%", lat_labels[i], l.pct[u][i]);
			shown++;
		}
		if (shown > 0)
			fputc('\n', out);
	}
}

/* ---- I/O depths ---- */

/* fio's names for the seven levels: of depth (zh_bench_depth_level()), of batch (submit, reap). */
static const char *const depth_labels[ZH_BENCH_LEVELS] = {"1", "2", "4", "8", "16", "32", ">=64"};
static const char *const batch_labels[ZH_BENCH_LEVELS] = {"0", "4", "8", "16", "32", "64", ">=64"};

/* fio's stat_calc_dist(): each level's share of all in percent, at least 0.1 for one with any. */
static void levels_pct(const uint64_t levels[ZH_BENCH_LEVELS], double pct[ZH_BENCH_LEVELS])
{
	uint64_t total = 0;

	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++)
		total += levels[l];
	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++) {
		pct[l] = total > 0 ? 100.0 * (double)levels[l] / (double)total : 0.0;
		if (levels[l] > 0 && pct[l] < 0.1)
			pct[l] = 0.1;
	}
}

/* One of fio's distribution lines: "  IO depths    : 1=0.1%, 2=0.1%, ... >=64=0.0%". */
static void print_levels(FILE *out, const char *head, const char *const labels[ZH_BENCH_LEVELS],
			 const uint64_t levels[ZH_BENCH_LEVELS])
{
	double pct[ZH_BENCH_LEVELS];

	levels_pct(levels, pct);
	fputs(head, out);
	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++)
		fprintf(out, "%s%s=%3.1f%%", l > 0 ? ", " : "", labels[l], pct[l]);
	fputc('\n', out);
}

/*
 * fio's lines under cpu: the depth each read or write found, the batches the reactors submitted
 * and reaped (block jobs: object jobs keep no such counts), and what was issued: as fio counts
 * them, the reads that check written blocks too, and the fsync=N flushes.
 */
static void print_depths(FILE *out, const struct zh_bench_result *r)
{
	const struct zh_bench_dir_stats *rd = &r->dir[ZH_BENCH_DIR_READ];
	const struct zh_bench_dir_stats *wr = &r->dir[ZH_BENCH_DIR_WRITE];

	if (r->reactor.reactors > 0) {
		print_levels(out, "  IO depths    : ", depth_labels, r->depth_levels);
		print_levels(out, "     submit    : ", batch_labels, r->reactor.submit_levels);
		print_levels(out, "     complete  : ", batch_labels, r->reactor.reap_levels);
	}
	fprintf(out,
		"     issued rwts: total=%" PRIu64 ",%" PRIu64 ",0,%" PRIu64 " short=%" PRIu64
		",%" PRIu64 ",0,0 dropped=0,0,0,0\n",
		rd->ios + r->verify.reads, wr->ios, r->sync_lat.count, rd->short_ios,
		wr->short_ios);
}

static void print_job(FILE *out, const struct zh_bench_result *results, size_t n,
		      const struct zh_bench_result *r, const char *when)
{
	bool any = dir_active(r, ZH_BENCH_DIR_READ) || dir_active(r, ZH_BENCH_DIR_WRITE);
	const char *engine = str_or_empty(r->ioengine_requested);

	/* Like fio, a job that did no I/O gets no block, unless it has an error to show. */
	if (!any && r->error == 0)
		return;

	if (r->error == 0)
		fprintf(out, "%s: (groupid=%u, jobs=%u): err=%2d: pid=%d: %s\n", r->name,
			r->groupid, r->jobs, r->error, (int)getpid(), when);
	else
		fprintf(out, "%s: (groupid=%u, jobs=%u): err=%2d (%s): pid=%d: %s\n", r->name,
			r->groupid, r->jobs, r->error, strerror(r->error), (int)getpid(), when);

	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		struct group_dir g;

		if (!dir_active(r, d))
			continue;
		group_dir_totals(results, n, r->groupid, d, &g);
		print_dir_block(out, r, d, &g);
	}
	print_sync_block(out, r);
	print_verify(out, &r->verify);
	print_lat_dist(out, r);

	fprintf(out, "  cpu          : usr=%3.2f%%, sys=%3.2f%%, ctx=%" PRIu64 ", majf=0, minf=0\n",
		r->usr_cpu_pct, r->sys_cpu_pct, r->ctx);
	print_depths(out, r);
	if (r->continue_on_error)
		fprintf(out, "     errors    : total=%" PRIu64 ", first_error=%d/<%s>\n",
			r->total_err, r->first_error, strerror(r->first_error));
	/* As fio: every job with a depth (latency_target's, or its iodepth) has this line. */
	if (r->latency_depth != 0)
		fprintf(out,
			"     latency   : target=%" PRIu64 ", window=%" PRIu64
			", percentile=%.2f%%, depth=%u\n",
			r->latency_target_ns, r->latency_window_ns / 1000, r->latency_percentile,
			r->latency_depth);
	print_steadystate(out, r);
	if (engine[0] != '\0')
		fprintf(
		    out,
		    "  engine       : zhtp reactor io_uring path (job file asked for ioengine=%s; "
		    "the engine's own path ran)\n",
		    engine);
	else
		fputs("  engine       : zhtp reactor io_uring path\n", out);
	if (r->store_level_known)
		fprintf(out, "  store        : zstd level %u at the end (%s)\n",
			r->store_zstd_level, r->store_level_auto ? "auto" : "fixed");
	if (r->cpu_seconds > 0.0)
		fprintf(out, "  efficiency   : %.0f IOPS per CPU-second\n", iops_per_cpu_second(r));
	else
		fputs("  efficiency   : n/a (no CPU time measured)\n", out);
	if (r->reactor.enters > 0)
		fprintf(out,
			"  reactor      : enters=%" PRIu64 " (%.2f per I/O), sleeps=%" PRIu64
			", busy polls hit=%" PRIu64 " missed=%" PRIu64 ", gathers=%" PRIu64
			", yields hit=%" PRIu64 " missed=%" PRIu64 ", wakeups=%" PRIu64
			", io wait=%.1f%%\n",
			r->reactor.enters, enters_per_io(r), r->reactor.sleeps,
			r->reactor.polls_hit, r->reactor.polls_missed, r->reactor.gathers,
			r->reactor.yields_hit, r->reactor.yields_missed, r->reactor.wakeups,
			io_wait_pct(r));
	if (r->sched.known)
		print_sched(out, &r->sched);
	if (r->log_entries_dropped > 0)
		fprintf(out, "  logs         : %" PRIu64 " log entries dropped (log buffer full)\n",
			r->log_entries_dropped);
}

static void print_group(FILE *out, const struct zh_bench_result *results, size_t n,
			unsigned groupid)
{
	static const char *const label[ZH_BENCH_DIRS] = {"   READ", "  WRITE"};
	bool mixed = false;

	/* A group with a unified_rw_reporting=mixed job calls its first line MIXED, as fio. */
	for (size_t i = 0; i < n; i++)
		mixed |= results[i].groupid == groupid && results[i].unified_mixed;
	fprintf(out, "\nRun status group %u (all jobs):\n", groupid);
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		struct group_dir g;
		char agg[32], agg_alt[32], min[32], min_alt[32], max[32], max_alt[32];
		char io[32], io_alt[32];

		group_dir_totals(results, n, groupid, d, &g);
		if (g.members == 0)
			continue;
		format_scaled(agg, sizeof(agg), g.agg_bw, 4, true, "B/s");
		format_scaled(agg_alt, sizeof(agg_alt), g.agg_bw, 4, false, "B/s");
		format_scaled(min, sizeof(min), g.min_bw, 4, true, "B/s");
		format_scaled(min_alt, sizeof(min_alt), g.min_bw, 4, false, "B/s");
		format_scaled(max, sizeof(max), g.max_bw, 4, true, "B/s");
		format_scaled(max_alt, sizeof(max_alt), g.max_bw, 4, false, "B/s");
		format_scaled(io, sizeof(io), g.io_bytes, 4, true, "B");
		format_scaled(io_alt, sizeof(io_alt), g.io_bytes, 4, false, "B");
		fprintf(out,
			"%s: bw=%s (%s), %s-%s (%s-%s), io=%s (%s), run=%" PRIu64 "-%" PRIu64
			"msec\n",
			mixed && d == ZH_BENCH_DIR_READ ? "  MIXED" : label[d], agg, agg_alt, min,
			max, min_alt, max_alt, io, io_alt, runtime_ms(g.min_run_ns),
			runtime_ms(g.max_run_ns));
	}
}

/* ctime()'s layout without its newline, e.g. "Wed Nov 25 11:00:22 2026". */
static void format_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/*
 * fio's "Disk stats (read/write):" block, a line per disk (fio 3.33's: no sectors); a
 * device-mapper or md device's line is indented further and ends with its members' aggr
 * figures, and the members' own lines follow.
 */
static void print_disks(FILE *out, const struct zh_bench_disks *disks)
{
	if (disks == NULL || disks->count == 0)
		return;
	fputs("\nDisk stats (read/write):\n", out);
	for (unsigned i = 0; i < disks->count; i++) {
		const struct zh_bench_disk *d = &disks->disk[i];
		const struct zh_bench_disk_stat *m = &d->moved;
		struct zh_bench_disk_stat a;
		double aggr_util;
		bool members = zh_bench_disk_members(disks, i, &a, &aggr_util) > 0;

		fprintf(out,
			"%s  %s: ios=%" PRIu64 "/%" PRIu64 ", merge=%" PRIu64 "/%" PRIu64
			", ticks=%" PRIu64 "/%" PRIu64 ", in_queue=%" PRIu64 ", util=%3.2f%%",
			members ? "  " : "", d->name, m->ios[0], m->ios[1], m->merges[0],
			m->merges[1], m->ticks[0], m->ticks[1], m->in_queue, zh_bench_disk_util(d));
		if (members)
			fprintf(out,
				", aggrios=%" PRIu64 "/%" PRIu64 ", aggrmerge=%" PRIu64 "/%" PRIu64
				", aggrticks=%" PRIu64 "/%" PRIu64 ", aggrin_queue=%" PRIu64
				", aggrutil=%3.2f%%",
				a.ios[0], a.ios[1], a.merges[0], a.merges[1], a.ticks[0],
				a.ticks[1], a.in_queue, aggr_util);
		fputc('\n', out);
	}
}

int zh_bench_report_normal(FILE *out, const struct zh_bench_result *results, size_t n,
			   const struct zh_bench_disks *disks)
{
	char when[64];
	unsigned groupid = 0;
	bool first = true;

	if (out == NULL || (results == NULL && n > 0))
		return -EINVAL;

	format_time(when, sizeof(when), time(NULL));
	for (size_t i = 0; i < n; i++)
		print_job(out, results, n, &results[i], when);
	while (next_groupid(results, n, first, groupid, &groupid)) {
		first = false;
		print_group(out, results, n, groupid);
	}
	print_disks(out, disks);

	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}

/* ---- JSON ---- */

static bool add_num(cJSON *o, const char *key, double v)
{
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool add_str(cJSON *o, const char *key, const char *v)
{
	return cJSON_AddStringToObject(o, key, v) != NULL;
}

/* zhtp's own key beside fio's: the store's zstd level when an object job's group ended. */
static int json_add_store(cJSON *job, const struct zh_bench_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(job, "zhtp_store");

	if (o == NULL || !add_num(o, "zstd_level", (double)r->store_zstd_level) ||
	    cJSON_AddBoolToObject(o, "zstd_auto", r->store_level_auto) == NULL)
		return -ENOMEM;
	return 0;
}

/* zhtp's own key: how the reactors were scheduled (struct zh_bench_sched_report). */
static int json_add_sched(cJSON *job, const struct zh_bench_sched_report *s)
{
	cJSON *o = cJSON_AddObjectToObject(job, "zhtp_sched");
	const char *name = sched_policy_name(s->policy);

	if (o == NULL || !add_num(o, "policy", (double)s->policy) ||
	    (name != NULL && cJSON_AddStringToObject(o, "policy_name", name) == NULL) ||
	    !add_num(o, "slice_ns", (double)s->slice_ns) ||
	    cJSON_AddBoolToObject(o, "yield_wait", s->yield_wait) == NULL)
		return -ENOMEM;
	return 0;
}

/* zhtp's own key: what the reactors did (struct zh_bench_reactor_counts). */
static int json_add_reactor(cJSON *job, const struct zh_bench_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(job, "zhtp_reactor");

	if (o == NULL || !add_num(o, "enters", (double)r->reactor.enters) ||
	    !add_num(o, "enters_per_io", enters_per_io(r)) ||
	    !add_num(o, "sleeps", (double)r->reactor.sleeps) ||
	    !add_num(o, "polls_hit", (double)r->reactor.polls_hit) ||
	    !add_num(o, "polls_missed", (double)r->reactor.polls_missed) ||
	    !add_num(o, "gathers", (double)r->reactor.gathers) ||
	    !add_num(o, "yields_hit", (double)r->reactor.yields_hit) ||
	    !add_num(o, "yields_missed", (double)r->reactor.yields_missed) ||
	    !add_num(o, "wakeups", (double)r->reactor.wakeups) ||
	    !add_num(o, "io_wait_ns", (double)r->reactor.io_wait_ns) ||
	    !add_num(o, "io_wait_pct", io_wait_pct(r)))
		return -ENOMEM;
	return 0;
}

/* {min, max, mean, stddev, N} and, when asked and not empty, fio's "percentile" object. */
static int json_add_lat(cJSON *parent, const char *key, const struct zh_bench_hist *h,
			const struct pct_set *pcts)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);

	if (o == NULL)
		return -ENOMEM;
	if (!add_num(o, "min", h->count ? (double)h->min_ns : 0.0) ||
	    !add_num(o, "max", (double)h->max_ns) || !add_num(o, "mean", zh_bench_hist_mean(h)) ||
	    !add_num(o, "stddev", zh_bench_hist_stddev(h)) || !add_num(o, "N", (double)h->count))
		return -ENOMEM;
	if (pcts == NULL || h->count == 0)
		return 0;

	cJSON *p = cJSON_AddObjectToObject(o, "percentile");

	if (p == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < pcts->n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%f", pcts->v[i]);
		if (!add_num(p, name, (double)zh_bench_hist_percentile(h, pcts->v[i])))
			return -ENOMEM;
	}
	return 0;
}

static int json_add_rates(cJSON *o, const struct zh_bench_dir_stats *st, const struct group_dir *g)
{
	const struct zh_bench_rate_stats *bw = &st->bw_kib;
	const struct zh_bench_rate_stats *io = &st->iops;
	double bw_mean = zh_bench_rate_stats_mean(bw);

	if (!add_num(o, "bw_min", bw->samples ? (double)bw->min : 0.0) ||
	    !add_num(o, "bw_max", (double)bw->max) ||
	    !add_num(o, "bw_agg", bw->samples ? bw_share_pct(bw_mean, g) : 0.0) ||
	    !add_num(o, "bw_mean", bw_mean) ||
	    !add_num(o, "bw_dev", zh_bench_rate_stats_stddev(bw)) ||
	    !add_num(o, "bw_samples", (double)bw->samples) ||
	    !add_num(o, "iops_min", io->samples ? (double)io->min : 0.0) ||
	    !add_num(o, "iops_max", (double)io->max) ||
	    !add_num(o, "iops_mean", zh_bench_rate_stats_mean(io)) ||
	    !add_num(o, "iops_stddev", zh_bench_rate_stats_stddev(io)) ||
	    !add_num(o, "iops_samples", (double)io->samples))
		return -ENOMEM;
	return 0;
}

/* One of fio's "read", "write" or "trim" objects; runtime_ns is 0 for a direction not run. */
static int json_add_dir(cJSON *job, const char *key, const struct zh_bench_dir_stats *st,
			uint64_t runtime_ns, const struct group_dir *g, const struct pct_set *pcts)
{
	cJSON *o = cJSON_AddObjectToObject(job, key);
	uint64_t bw_bytes = per_second(st->bytes, runtime_ns);
	double iops = runtime_ns ? (double)st->ios * 1e9 / (double)runtime_ns : 0.0;
	int ret;

	if (o == NULL)
		return -ENOMEM;
	if (!add_num(o, "io_bytes", (double)st->bytes) ||
	    !add_num(o, "io_kbytes", (double)(st->bytes >> 10)) ||
	    !add_num(o, "bw_bytes", (double)bw_bytes) ||
	    !add_num(o, "bw", (double)(bw_bytes / 1024)) || !add_num(o, "iops", iops) ||
	    !add_num(o, "runtime", (double)runtime_ms(runtime_ns)) ||
	    !add_num(o, "total_ios", (double)st->ios) ||
	    !add_num(o, "short_ios", (double)st->short_ios) || !add_num(o, "drop_ios", 0))
		return -ENOMEM;

	ret = json_add_lat(o, "slat_ns", &st->slat, (pcts->kinds & PCT_SLAT) ? pcts : NULL);
	if (ret == 0)
		ret = json_add_lat(o, "clat_ns", &st->clat, (pcts->kinds & PCT_CLAT) ? pcts : NULL);
	if (ret == 0)
		ret = json_add_lat(o, "lat_ns", &st->lat, (pcts->kinds & PCT_LAT) ? pcts : NULL);
	if (ret == 0)
		ret = json_add_rates(o, st, g);
	return ret;
}

/*
 * fio echoes the block-size options a job gave (bs, bsrange, bssplit) as the job file said
 * them; these spellings ("4k", "1m") read back as the same sizes in fio.
 */
static int json_add_bs(cJSON *o, const struct zh_bench_result *r)
{
	static const char *const key[] = {"bs", "bsrange", "bssplit"};
	char value[4096];

	for (unsigned k = ZH_BENCH_BS_ONE; k <= ZH_BENCH_BS_SPLIT; k++) {
		int rc = zh_bench_bs_format(r->bs, (enum zh_bench_bs_kind)k, value, sizeof(value));

		if (rc == -ENOENT)
			continue;
		/* 64 sizes of "1073741823/33.3333:" each way is under 2,500 bytes. */
		if (rc != 0 || !add_str(o, key[k], value))
			return rc != 0 ? rc : -ENOMEM;
	}
	return 0;
}

static int json_add_options(cJSON *job, const struct zh_bench_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(job, "job options");
	const char *engine = str_or_empty(r->ioengine_requested);
	char depth[32];

	if (o == NULL)
		return -ENOMEM;
	snprintf(depth, sizeof(depth), "%" PRIu32, r->iodepth);
	if (!add_str(o, "name", r->name) || !add_str(o, "rw", str_or_empty(r->rw_name)))
		return -ENOMEM;
	if (json_add_bs(o, r) != 0)
		return -ENOMEM;
	if (!add_str(o, "iodepth", depth) ||
	    !add_str(o, "ioengine", engine[0] != '\0' ? engine : "zhtp"))
		return -ENOMEM;
	return 0;
}

/*
 * fio's "sync" object: the fsync=N / fdatasync=N flushes. The end_fsync flush is not among
 * them (fio does not count it either); "end_fsync_ns", zhtp-bench's own, says how long the
 * longest took.
 */
static int json_add_sync(cJSON *job, const struct zh_bench_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(job, "sync");
	struct pct_set pcts = result_pcts(r);

	if (o == NULL || !add_num(o, "total_ios", (double)r->sync_lat.count))
		return -ENOMEM;
	if (r->end_syncs > 0 && !add_num(o, "end_fsync_ns", (double)r->end_sync_max_ns))
		return -ENOMEM;
	return json_add_lat(o, "lat_ns", &r->sync_lat, &pcts);
}

/* "zhtp_verify", zhtp-bench's own: what print_verify() says. */
static int json_add_verify(cJSON *job, const struct zh_bench_verify_report *v)
{
	cJSON *o = cJSON_AddObjectToObject(job, "zhtp_verify");
	cJSON *first;

	if (o == NULL || !add_num(o, "blocks", (double)v->blocks) ||
	    !add_num(o, "bad", (double)v->bad) ||
	    !add_num(o, "readback_ms", (double)v->readback_ns / 1e6) ||
	    !add_num(o, "backlogs", (double)v->backlogs) ||
	    !add_num(o, "backlog_blocks", (double)v->backlog_blocks))
		return -ENOMEM;
	if (v->bad == 0)
		return 0;
	first = cJSON_AddObjectToObject(o, "first_bad");
	if (first == NULL || !add_num(first, "offset", (double)v->first_bad_offset) ||
	    !add_str(first, "kind",
		     zh_bench_verify_result_name((enum zh_bench_verify_result)v->first_bad_kind)) ||
	    !add_num(first, "seq", (double)v->first_bad_seq) ||
	    !add_num(first, "want_seq", (double)v->first_bad_want_seq))
		return -ENOMEM;
	return 0;
}

/* fio's latency_ns, latency_us and latency_ms objects: every range, empty ones as 0. */
static int json_add_lat_dist(cJSON *job, const struct zh_bench_result *r)
{
	struct lat_dist l;

	lat_dist(r, &l);
	for (unsigned u = 0; u < 3; u++) {
		cJSON *o = cJSON_AddObjectToObject(job, lat_json_keys[u]);

		if (o == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < lat_ranges(u); i++) {
			if (!add_num(o, lat_labels[i], l.pct[u][i]))
				return -ENOMEM;
		}
	}
	return 0;
}

/* One of fio's distributions, \p key: {"1": 0.1, ... ">=64": 0.0}, in percent. */
static int json_add_levels(cJSON *job, const char *key, const char *const labels[ZH_BENCH_LEVELS],
			   const uint64_t levels[ZH_BENCH_LEVELS])
{
	cJSON *o = cJSON_AddObjectToObject(job, key);
	double pct[ZH_BENCH_LEVELS];

	if (o == NULL)
		return -ENOMEM;
	levels_pct(levels, pct);
	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++) {
		if (!add_num(o, labels[l], pct[l]))
			return -ENOMEM;
	}
	return 0;
}

/* fio's iodepth_level, iodepth_submit and iodepth_complete. */
static int json_add_depths(cJSON *job, const struct zh_bench_result *r)
{
	int ret = json_add_levels(job, "iodepth_level", depth_labels, r->depth_levels);

	if (ret == 0)
		ret =
		    json_add_levels(job, "iodepth_submit", batch_labels, r->reactor.submit_levels);
	if (ret == 0)
		ret =
		    json_add_levels(job, "iodepth_complete", batch_labels, r->reactor.reap_levels);
	return ret;
}

/*
 * fio's latency_target keys, on every job as fio writes them: the depth the search ended at
 * (the iodepth without a target), the target in ns, the percentile and the window in us.
 */
static int json_add_latency_target(cJSON *job, const struct zh_bench_result *r)
{
	if (!add_num(job, "latency_depth", r->latency_depth) ||
	    !add_num(job, "latency_target", (double)r->latency_target_ns) ||
	    !add_num(job, "latency_percentile", r->latency_percentile) ||
	    !add_num(job, "latency_window", (double)(r->latency_window_ns / 1000)))
		return -ENOMEM;
	return 0;
}

/* fio's "steadystate" object: the criterion asked and met, and the last window's samples. */
static int json_add_steadystate(cJSON *job, const struct zh_bench_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(job, "steadystate"), *data, *iops, *bw;
	char ss[64], criterion[64];

	snprintf(ss, sizeof(ss), "%s:%f%s", ss_metric(&r->ss), r->ss.limit, r->ss.pct ? "%" : "");
	snprintf(criterion, sizeof(criterion), "%f%s", r->ss_criterion, r->ss.pct ? "%" : "");
	if (o == NULL || !add_str(o, "ss", ss) || !add_num(o, "duration", r->ss.seconds) ||
	    !add_num(o, "attained", r->ss_attained) || !add_str(o, "criterion", criterion) ||
	    !add_num(o, "max_deviation", r->ss_deviation) || !add_num(o, "slope", r->ss_slope))
		return -ENOMEM;
	data = cJSON_AddObjectToObject(o, "data");
	if (data == NULL || !add_num(data, "bw_mean", (double)(uint64_t)r->ss_bw_mean) ||
	    !add_num(data, "iops_mean", (double)(uint64_t)r->ss_iops_mean))
		return -ENOMEM;
	iops = cJSON_AddArrayToObject(data, "iops");
	bw = cJSON_AddArrayToObject(data, "bw");
	if (iops == NULL || bw == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < r->ss_samples; i++) {
		if (!cJSON_AddItemToArray(iops, cJSON_CreateNumber((double)r->ss_iops[i])) ||
		    !cJSON_AddItemToArray(bw, cJSON_CreateNumber((double)r->ss_bw[i])))
			return -ENOMEM;
	}
	return 0;
}

static int json_add_job(cJSON *jobs, const struct zh_bench_result *results, size_t n,
			const struct zh_bench_result *r)
{
	/* The trim direction is never run; an all-zero static stands in for its statistics. */
	static const struct zh_bench_dir_stats no_trim;
	static const struct group_dir no_group;
	struct pct_set pcts = result_pcts(r);
	cJSON *job = cJSON_CreateObject();
	int ret;

	if (job == NULL)
		return -ENOMEM;
	if (!cJSON_AddItemToArray(jobs, job)) {
		cJSON_Delete(job);
		return -ENOMEM;
	}
	if (!add_str(job, "jobname", r->name) || !add_num(job, "groupid", r->groupid) ||
	    !add_num(job, "error", r->error) || !add_num(job, "eta", r->eta_s) ||
	    !add_num(job, "elapsed", r->elapsed_s))
		return -ENOMEM;
	/* As fio: only a job with continue_on_error has these. */
	if (r->continue_on_error && (!add_num(job, "total_err", (double)r->total_err) ||
				     !add_num(job, "first_error", r->first_error)))
		return -ENOMEM;
	ret = json_add_options(job, r);
	/* unified_rw_reporting=mixed: fio writes the "mixed" object alone, no trim or sync. */
	for (unsigned d = 0; d < (r->unified_mixed ? 1u : ZH_BENCH_DIRS) && ret == 0; d++) {
		struct group_dir g;

		group_dir_totals(results, n, r->groupid, d, &g);
		ret = json_add_dir(job, result_dir_name(r, d), &r->dir[d],
				   dir_active(r, d) ? r->runtime_ns : 0, &g, &pcts);
	}
	if (ret == 0 && !r->unified_mixed)
		ret = json_add_dir(job, "trim", &no_trim, 0, &no_group, &pcts);
	if (ret == 0 && !r->unified_mixed)
		ret = json_add_sync(job, r);
	if (ret != 0)
		return ret;
	if (!add_num(job, "job_runtime", (double)runtime_ms(r->runtime_ns)) ||
	    !add_num(job, "usr_cpu", r->usr_cpu_pct) || !add_num(job, "sys_cpu", r->sys_cpu_pct) ||
	    !add_num(job, "ctx", (double)r->ctx) || !add_num(job, "majf", 0) ||
	    !add_num(job, "minf", 0) || json_add_depths(job, r) != 0 ||
	    json_add_lat_dist(job, r) != 0 || json_add_latency_target(job, r) != 0 ||
	    !add_num(job, "iops_per_cpu_second", iops_per_cpu_second(r)))
		return -ENOMEM;
	if (r->ss.seconds != 0 && json_add_steadystate(job, r) != 0)
		return -ENOMEM;
	if (r->verify.ran && json_add_verify(job, &r->verify) != 0)
		return -ENOMEM;
	if (r->store_level_known && json_add_store(job, r) != 0)
		return -ENOMEM;
	if (r->sched.known && json_add_sched(job, &r->sched) != 0)
		return -ENOMEM;
	return r->reactor.enters > 0 ? json_add_reactor(job, r) : 0;
}

/* fio's aggr_* keys of a device-mapper or md device (fio 3.33 spells one "aggr_write_merge"). */
static bool json_add_members(cJSON *o, const struct zh_bench_disks *disks, unsigned i)
{
	struct zh_bench_disk_stat a;
	double util;

	if (zh_bench_disk_members(disks, i, &a, &util) == 0)
		return true;
	return add_num(o, "aggr_read_ios", (double)a.ios[0]) &&
	       add_num(o, "aggr_write_ios", (double)a.ios[1]) &&
	       add_num(o, "aggr_read_merges", (double)a.merges[0]) &&
	       add_num(o, "aggr_write_merge", (double)a.merges[1]) &&
	       add_num(o, "aggr_read_ticks", (double)a.ticks[0]) &&
	       add_num(o, "aggr_write_ticks", (double)a.ticks[1]) &&
	       add_num(o, "aggr_in_queue", (double)a.in_queue) && add_num(o, "aggr_util", util);
}

/* fio's "disk_util" array: a disk per object, keys in fio's order. */
static int json_add_disks(cJSON *root, const struct zh_bench_disks *disks)
{
	cJSON *array;

	if (disks == NULL || disks->count == 0)
		return 0;
	array = cJSON_AddArrayToObject(root, "disk_util");
	if (array == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < disks->count; i++) {
		const struct zh_bench_disk *d = &disks->disk[i];
		const struct zh_bench_disk_stat *m = &d->moved;
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			return -ENOMEM;
		if (!cJSON_AddItemToArray(array, o)) {
			cJSON_Delete(o);
			return -ENOMEM;
		}
		if (!add_str(o, "name", d->name) || !add_num(o, "read_ios", (double)m->ios[0]) ||
		    !add_num(o, "write_ios", (double)m->ios[1]) ||
		    !add_num(o, "read_merges", (double)m->merges[0]) ||
		    !add_num(o, "write_merges", (double)m->merges[1]) ||
		    !add_num(o, "read_ticks", (double)m->ticks[0]) ||
		    !add_num(o, "write_ticks", (double)m->ticks[1]) ||
		    !add_num(o, "in_queue", (double)m->in_queue) ||
		    !add_num(o, "util", zh_bench_disk_util(d)) || !json_add_members(o, disks, i))
			return -ENOMEM;
	}
	return 0;
}

int zh_bench_report_json(FILE *out, const struct zh_bench_result *results, size_t n,
			 const struct zh_bench_disks *disks, const char *version, time_t timestamp)
{
	char when[64];
	cJSON *root, *jobs;
	char *text;
	int ret = 0;

	if (out == NULL || version == NULL || (results == NULL && n > 0))
		return -EINVAL;

	root = cJSON_CreateObject();
	if (root == NULL)
		return -ENOMEM;
	format_time(when, sizeof(when), timestamp);
	if (!add_str(root, "fio version", version) ||
	    !add_num(root, "timestamp", (double)timestamp) ||
	    !add_num(root, "timestamp_ms", (double)timestamp * 1000.0) ||
	    !add_str(root, "time", when)) {
		ret = -ENOMEM;
		goto err_delete;
	}
	jobs = cJSON_AddArrayToObject(root, "jobs");
	if (jobs == NULL) {
		ret = -ENOMEM;
		goto err_delete;
	}
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = json_add_job(jobs, results, n, &results[i]);
	if (ret == 0)
		ret = json_add_disks(root, disks);
	if (ret != 0)
		goto err_delete;

	text = cJSON_Print(root);
	if (text == NULL) {
		ret = -ENOMEM;
		goto err_delete;
	}
	if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) != 0)
		ret = -EIO;
	cJSON_free(text);
err_delete:
	cJSON_Delete(root);
	return ret;
}

/* ---- log files ---- */

int zh_bench_log_format(char *buf, size_t len, const struct zh_bench_log_entry *e)
{
	ZH_ASSERT(e != NULL);

	if (buf == NULL || len == 0)
		return -ENOSPC;

	int n =
	    e->has_offset
		? snprintf(buf, len, "%" PRIu64 ", %" PRIu64 ", %u, %" PRIu32 ", %" PRIu64 ", 0\n",
			   e->time_ms, e->value, (unsigned)e->ddir, e->bs, e->offset)
		: snprintf(buf, len, "%" PRIu64 ", %" PRIu64 ", %u, %" PRIu32 ", 0\n", e->time_ms,
			   e->value, (unsigned)e->ddir, e->bs);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* An unsigned decimal with overflow check; NULL if p does not start with a digit. */
static const char *parse_u64(const char *p, uint64_t *out)
{
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return NULL;
		v = v * 10 + digit;
	}
	*out = v;
	return p;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int zh_bench_log_parse(const char *line, struct zh_bench_log_entry *e)
{
	uint64_t col[6];
	const char *p = line;
	unsigned n = 0;

	if (line == NULL || e == NULL)
		return -EINVAL;
	for (; n < 6; n++) {
		if (n > 0) {
			p = skip_blanks(p);
			if (*p != ',' && n == 5)
				break; /* five columns: no offset */
			if (*p != ',')
				return -EINVAL;
			p++;
		}
		p = parse_u64(skip_blanks(p), &col[n]);
		if (p == NULL)
			return -EINVAL;
	}
	p = skip_blanks(p);
	if (*p == '\r')
		p++;
	if (*p == '\n')
		p++;
	if (*p != '\0')
		return -EINVAL;
	/* ddir 2 is fio's trim; the priority column (the last) is fio's 16-bit ioprio value. */
	if (col[2] > 2 || col[3] > UINT32_MAX || col[n - 1] > UINT16_MAX)
		return -EINVAL;

	e->time_ms = col[0];
	e->value = col[1];
	e->ddir = (uint8_t)col[2];
	e->bs = (uint32_t)col[3];
	e->has_offset = n == 6;
	e->offset = n == 6 ? col[4] : 0;
	return 0;
}

const char *zh_bench_log_kind_name(unsigned kind)
{
	static const char *const names[ZH_BENCH_LOG_KINDS] = {
	    [ZH_BENCH_LOG_IOPS] = "iops", [ZH_BENCH_LOG_BW] = "bw",	[ZH_BENCH_LOG_LAT] = "lat",
	    [ZH_BENCH_LOG_CLAT] = "clat", [ZH_BENCH_LOG_SLAT] = "slat",
	};

	return kind < ZH_BENCH_LOG_KINDS ? names[kind] : NULL;
}

int zh_bench_log_filename(char *buf, size_t len, const char *prefix, unsigned kind, unsigned index)
{
	const char *name = zh_bench_log_kind_name(kind);

	if (name == NULL || index == 0 || prefix == NULL)
		return -EINVAL;
	if (buf == NULL || len == 0)
		return -ENOSPC;

	int n = snprintf(buf, len, "%s_%s.%u.log", prefix, name, index);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENOSPC;
	return n;
}

void zh_bench_log_window_init(struct zh_bench_log_window *w, uint64_t window_ns, uint64_t start_ns)
{
	ZH_ASSERT(w != NULL);
	ZH_ASSERT(window_ns > 0);

	memset(w, 0, sizeof(*w));
	w->window_ns = window_ns;
	w->start_ns = start_ns;
}

static uint64_t div_u64(unsigned __int128 num, unsigned __int128 den)
{
	unsigned __int128 q = num / den;

	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

/* Emit the averages of everything counted, over span_ns, stamped end_ns; then clear. */
static void window_emit(struct zh_bench_log_window *w, uint64_t span_ns, uint64_t end_ns,
			uint64_t origin_ns, zh_bench_log_emit_fn emit, void *ctx)
{
	uint64_t time_ms = end_ns > origin_ns ? ns_to_ms(end_ns - origin_ns) : 0;

	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		uint64_t ios = w->ios[d];
		uint64_t value[ZH_BENCH_LOG_KINDS];

		if (ios == 0)
			continue;
		value[ZH_BENCH_LOG_IOPS] = div_u64((unsigned __int128)ios * 1000000000u, span_ns);
		value[ZH_BENCH_LOG_BW] = div_u64((unsigned __int128)w->bytes[d] * 1000000000u,
						 (unsigned __int128)span_ns * 1024u);
		value[ZH_BENCH_LOG_LAT] = w->lat_sum_ns[d] / ios;
		value[ZH_BENCH_LOG_CLAT] = w->clat_sum_ns[d] / ios;
		value[ZH_BENCH_LOG_SLAT] = w->slat_sum_ns[d] / ios;
		for (unsigned k = 0; k < ZH_BENCH_LOG_KINDS; k++) {
			struct zh_bench_log_entry e = {
			    .time_ms = time_ms,
			    .value = value[k],
			    .ddir = (uint8_t)d,
			    .bs = 0,
			};

			emit(ctx, k, &e);
		}
	}
	memset(w->ios, 0, sizeof(w->ios));
	memset(w->bytes, 0, sizeof(w->bytes));
	memset(w->lat_sum_ns, 0, sizeof(w->lat_sum_ns));
	memset(w->clat_sum_ns, 0, sizeof(w->clat_sum_ns));
	memset(w->slat_sum_ns, 0, sizeof(w->slat_sum_ns));
}

void zh_bench_log_window_flush(struct zh_bench_log_window *w, uint64_t now_ns, uint64_t origin_ns,
			       zh_bench_log_emit_fn emit, void *ctx)
{
	ZH_ASSERT(w != NULL);
	ZH_ASSERT(emit != NULL);

	if (!zh_bench_log_window_due(w, now_ns))
		return;

	uint64_t windows = (now_ns - w->start_ns) / w->window_ns;
	uint64_t span_ns = windows * w->window_ns;

	window_emit(w, span_ns, w->start_ns + span_ns, origin_ns, emit, ctx);
	w->start_ns += span_ns;
}

void zh_bench_log_window_finish(struct zh_bench_log_window *w, uint64_t now_ns, uint64_t origin_ns,
				zh_bench_log_emit_fn emit, void *ctx)
{
	ZH_ASSERT(w != NULL);
	ZH_ASSERT(emit != NULL);

	/*
	 * A job that ends just after a window closed would log its last I/Os over the few
	 * microseconds since as a rate far above its own (one I/O in 26 us is 38,000 IOPS),
	 * stamped with the same millisecond as the window before. Under half a window is
	 * dropped: too short to be a rate.
	 */
	if (now_ns <= w->start_ns || (w->ios[0] == 0 && w->ios[1] == 0) ||
	    now_ns - w->start_ns < w->window_ns / 2)
		return;
	window_emit(w, now_ns - w->start_ns, now_ns, origin_ns, emit, ctx);
	w->start_ns = now_ns;
}

uint64_t zh_bench_eta_left_ns(const struct zh_bench_eta_job *job, uint64_t elapsed_ns)
{
	uint64_t by_time = ZH_BENCH_ETA_UNKNOWN, by_size = ZH_BENCH_ETA_UNKNOWN;

	ZH_ASSERT(job != NULL);
	if (job->runtime_ns > 0) {
		uint64_t end = job->start_delay_ns + job->ramp_ns + job->runtime_ns;

		by_time = end > elapsed_ns ? end - elapsed_ns : 0;
	}
	if (job->limit_bytes > 0 && job->done_bytes >= job->limit_bytes) {
		by_size = 0;
	} else if (job->limit_bytes > 0 && job->done_bytes > 0 &&
		   elapsed_ns > job->start_delay_ns) {
		unsigned __int128 running = elapsed_ns - job->start_delay_ns;

		by_size = div_u64(running * (job->limit_bytes - job->done_bytes), job->done_bytes);
	}
	return by_time < by_size ? by_time : by_size;
}
