/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench: the bundled fio-style benchmark. Reads fio job files and options, runs each
 * stonewall group of jobs on the engine's reactors and device layer (not a loop of its own),
 * shows progress, and reports like fio (human summary, fio-layout JSON, fio log files).
 * This file is the control thread: plan, start, watch, collect, report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_job.h"
#include "bench_object.h"
#include "bench_plan.h"
#include "bench_report.h"
#include "bench_worker.h"
#include "engine/engine.h"

#define ZH_BENCH_VERSION "zhtp-bench-0.1"
#define WATCH_TICK_NS	 (50ull * 1000 * 1000)
#define ETA_PERIOD_NS	 (1000ull * 1000 * 1000)

/*
 * Steady state for one result: the group's jobs summed with group_reporting (as fio judges
 * it), else one job clone. `next` is the workers' next sample to take (bench_group's ss_prev
 * holds each worker's counts at the one before).
 */
struct ss_unit {
	bool on, stopped;
	struct zh_bench_ss ss;
	uint64_t next;
};

struct bench_group {
	struct zh_bench_plan plan;
	struct zh_bench_worker workers[ZH_BENCH_WORKERS_MAX];
	FILE *logs[ZH_BENCH_WORKERS_MAX][ZH_BENCH_LOG_KINDS];
	struct zh_engine *engine;
	struct rusage usage_start;
	uint64_t start_ns;
	unsigned log_first; /* the run's job clones before this group (the logs' numbering) */
	unsigned unit[ZH_BENCH_WORKERS_MAX]; /* the result each worker counts in */
	struct ss_unit ss[ZH_BENCH_WORKERS_MAX];
	struct zh_bench_ss_point ss_prev[ZH_BENCH_WORKERS_MAX];
	struct zh_bench_disks *disks; /* the run's: the disks under every group's files */
	uint64_t later_ns;	      /* the run groups after this one (later_groups_ns()) */
};

_Static_assert(ZH_BENCH_BUSY_POLL_MAX_NS == ZH_ENGINE_BUSY_POLL_MAX_NS, "--busy-poll bound");
_Static_assert(ZH_BENCH_SCHED_SLICE_MIN_NS == ZH_ENGINE_SLICE_MIN_NS, "--sched-slice bound");
_Static_assert(ZH_BENCH_SCHED_SLICE_MAX_NS == ZH_ENGINE_SLICE_MAX_NS, "--sched-slice bound");
_Static_assert(ZH_BENCH_GATHER_MAX_NS == ZH_ENGINE_GATHER_MAX_NS, "--gather bound");

struct bench_output {
	FILE *out;
	unsigned format;
	bool eta;
	FILE *eta_out;
	uint64_t status_interval_ns;
	bool idle_poll;
	uint32_t busy_poll_ns;	      /* block jobs: --busy-poll or ZH_BENCH_BUSY_POLL_DEFAULT_NS */
	uint32_t object_busy_poll_ns; /* object jobs: --busy-poll, or the store's default */
	uint32_t gather_ns;	      /* block jobs: --gather */
	enum zh_bench_pin pin;
	bool sched_batch;
	uint64_t sched_slice_ns;
	bool yield_wait;
	uint64_t genesis_ns; /* fio's genesis: "elapsed" counts from here */
};

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: zhtp-bench [--output-format=normal|json|json+normal] [--output=FILE]\n"
	       "                  [--status-interval=T] [--eta=auto|always|never]\n"
	       "                  [--idle=sleep|poll] [--busy-poll=T] [--gather=T]\n"
	       "                  [--pin=auto|core|node] [--sched=batch|normal] [--sched-slice=T]\n"
	       "                  [--yield-wait=on|off]\n"
	       "                  [--OPTION=VALUE ...] [JOBFILE ...]\n"
	       "Runs fio job files on the zhtp engine (per-core io_uring reactors, registered\n"
	       "buffers and files, O_DIRECT or NVMe passthrough). Options on the command line\n"
	       "override the job files; without a job file, --name=X starts a job as in fio.\n");
}

/* ---- logs ---------------------------------------------------------------------------------- */

static const char *log_prefix(const struct zh_bench_job *job, unsigned kind)
{
	if (kind == ZH_BENCH_LOG_IOPS)
		return job->iops_log;
	if (kind == ZH_BENCH_LOG_BW)
		return job->bw_log;
	return job->lat_log;
}

/*
 * Each clone's logs carry its number among all the run's job clones, from 1 (fio's thread
 * number): numbered by clone, two jobs or groups with one prefix overwrote each other's logs.
 */
static int logs_open(struct bench_group *g, char *err, size_t err_len)
{
	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		const struct zh_bench_plan_worker *pw = &g->plan.workers[i];

		for (unsigned k = 0; k < ZH_BENCH_LOG_KINDS; k++) {
			char path[ZH_BENCH_PATH_MAX];

			if ((pw->cfg.log_kinds & (1u << k)) == 0)
				continue;
			if (zh_bench_log_filename(path, sizeof(path), log_prefix(pw->job, k), k,
						  g->log_first + i + 1) < 0) {
				snprintf(err, err_len, "job '%s': log file name too long",
					 pw->job->name);
				return -ENAMETOOLONG;
			}
			g->logs[i][k] = fopen(path, "w");
			if (g->logs[i][k] == NULL) {
				int rc = -errno;

				snprintf(err, err_len, "cannot create log file %.400s: %s", path,
					 strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

static void logs_close(struct bench_group *g)
{
	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		for (unsigned k = 0; k < ZH_BENCH_LOG_KINDS; k++) {
			if (g->logs[i][k] != NULL)
				fclose(g->logs[i][k]);
			g->logs[i][k] = NULL;
		}
	}
}

static void log_sink(void *ctx, const struct zh_bench_log_record *rec)
{
	FILE **files = ctx;
	char line[ZH_BENCH_LOG_LINE_MAX];
	int n = zh_bench_log_format(line, sizeof(line), &rec->entry);

	if (n > 0 && files[rec->kind] != NULL)
		fwrite(line, 1, (size_t)n, files[rec->kind]);
}

static void logs_drain(struct bench_group *g)
{
	for (unsigned i = 0; i < g->plan.worker_count; i++)
		zh_bench_worker_log_drain(&g->workers[i], log_sink, g->logs[i]);
}

/* ---- results ------------------------------------------------------------------------------- */

static double tv_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void verify_add(struct zh_bench_verify_report *to, const struct zh_bench_verify_report *v)
{
	if (!v->ran)
		return;
	if (to->bad == 0 && v->bad > 0) {
		to->first_bad_offset = v->first_bad_offset;
		to->first_bad_kind = v->first_bad_kind;
		to->first_bad_seq = v->first_bad_seq;
		to->first_bad_want_seq = v->first_bad_want_seq;
	}
	to->ran = true;
	to->blocks += v->blocks;
	to->bad += v->bad;
	to->backlogs += v->backlogs;
	to->backlog_blocks += v->backlog_blocks;
	to->reads += v->reads;
	to->readback_ns = v->readback_ns > to->readback_ns ? v->readback_ns : to->readback_ns;
}

/*
 * Add one worker's figures: its status snapshot, or its final ones. What the worker writes
 * without publishing (error, dropped log entries, the end flush) is read only once it is done.
 */
static void result_add(struct zh_bench_result *res, const struct zh_bench_worker *w, bool snapshot)
{
	const struct zh_bench_dir_stats *st = snapshot ? w->snap : w->st;
	const uint64_t *depths = snapshot ? w->snap_depth_levels : w->depth_levels;
	uint64_t runtime_ns = snapshot ? w->snap_runtime_ns : w->runtime_ns;

	res->jobs++;
	res->runtime_ns = runtime_ns > res->runtime_ns ? runtime_ns : res->runtime_ns;
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++)
		zh_bench_dir_stats_merge(&res->dir[d], &st[d]);
	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++)
		res->depth_levels[l] += depths[l];
	zh_bench_hist_merge(&res->sync_lat, snapshot ? &w->snap_sync_lat : &w->sync_lat);
	/* Pairs with the release store of done in worker_finish(). */
	if (snapshot && !atomic_load_explicit(&w->done, memory_order_acquire))
		return;
	if (res->error == 0)
		res->error = w->error;
	if (res->total_err == 0)
		res->first_error = w->first_error;
	res->total_err += w->total_err;
	if (w->full_offset < res->full_offset)
		res->full_offset = w->full_offset;
	res->log_entries_dropped += w->log.dropped;
	if (w->end_sync_ns > 0) {
		res->end_syncs++;
		if (w->end_sync_ns > res->end_sync_max_ns)
			res->end_sync_max_ns = w->end_sync_ns;
	}
	verify_add(&res->verify, &w->verify);
	if (w->cfg.lat_target_ns != 0)
		res->latency_depth = w->qd.depth;
}

/*
 * Add a worker's reactor counters (its status snapshot's, or its final ones), unless a worker
 * of the same result before it, in [first, i), ran on the same reactor.
 */
static void result_add_reactor(struct zh_bench_result *res, const struct bench_group *g,
			       unsigned first, unsigned i, bool snapshot)
{
	const struct zh_bench_worker *w = &g->workers[i];
	const struct zh_bench_reactor_counts *m = snapshot ? &w->snap_reactor : &w->reactor_moved;

	for (unsigned j = first; j < i; j++) {
		if (g->plan.workers[j].reactor == g->plan.workers[i].reactor)
			return;
	}
	res->reactor.enters += m->enters;
	res->reactor.sleeps += m->sleeps;
	res->reactor.polls_hit += m->polls_hit;
	res->reactor.polls_missed += m->polls_missed;
	res->reactor.yields_hit += m->yields_hit;
	res->reactor.yields_missed += m->yields_missed;
	res->reactor.gathers += m->gathers;
	res->reactor.wakeups += m->wakeups;
	res->reactor.io_wait_ns += m->io_wait_ns;
	for (unsigned l = 0; l < ZH_BENCH_LEVELS; l++) {
		res->reactor.submit_levels[l] += m->submit_levels[l];
		res->reactor.reap_levels[l] += m->reap_levels[l];
	}
	res->reactor.reactors += m->reactors;
	/* A running worker takes its scheduling again at its ramp's end: final reports only. */
	if (!snapshot && !res->sched.known && g->workers[i].sched_known)
		res->sched = (struct zh_bench_sched_report){
		    .known = true,
		    .policy = g->workers[i].sched.policy,
		    .slice_ns = g->workers[i].sched.slice_ns,
		    .yield_wait = g->plan.engine_opts.yield_wait,
		};
}

/* ---- steady state ------------------------------------------------------------------------- */

/*
 * The result each clone counts in, by fio's rule (zh_bench_clone_joins(): any job's
 * group_reporting merged the whole group before). The plan lists the clones of \p jobs, the
 * run group's, job by job.
 */
static void group_units(struct bench_group *g, const struct zh_bench_job *jobs)
{
	const struct zh_bench_plan_worker *pw = g->plan.workers;
	unsigned n = 0;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		bool joins = zh_bench_clone_joins(jobs, (unsigned)(pw[i].job - jobs), pw[i].clone);

		ZH_ASSERT(!joins || i > 0);
		g->unit[i] = joins ? n - 1 : n++;
	}
}

/* Before the group starts: a judge for each result whose job asks for steady state. */
static int ss_start(struct bench_group *g)
{
	memset(g->ss, 0, sizeof(g->ss));
	memset(g->ss_prev, 0, sizeof(g->ss_prev));
	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		const struct zh_bench_job *job = g->plan.workers[i].job;
		struct ss_unit *u = &g->ss[g->unit[i]];

		if (job->ss.seconds == 0 || u->on)
			continue;
		if (zh_bench_ss_init(&u->ss, &job->ss) < 0)
			return -ENOMEM;
		u->on = true;
	}
	return 0;
}

static void ss_end(struct bench_group *g)
{
	for (unsigned u = 0; u < g->plan.worker_count; u++) {
		if (g->ss[u].on)
			zh_bench_ss_fini(&g->ss[u].ss);
		g->ss[u].on = false;
	}
}

/* A result's steady-state figures and last window (heap copies the results' owner frees). */
static void ss_result(struct zh_bench_result *res, const struct ss_unit *unit)
{
	const struct zh_bench_ss *ss = &unit->ss;

	if (!unit->on)
		return;
	res->ss_attained = ss->attained;
	res->ss_criterion = ss->criterion;
	res->ss_deviation = ss->deviation;
	res->ss_slope = ss->slope;
	res->ss_iops_mean = ss->iops_mean;
	res->ss_bw_mean = ss->bw_mean;
	res->ss_iops = calloc(ss->o.seconds, sizeof(uint64_t));
	res->ss_bw = calloc(ss->o.seconds, sizeof(uint64_t));
	/* Without memory the report leaves the window out; the judgement is still there. */
	if (res->ss_iops != NULL && res->ss_bw != NULL)
		res->ss_samples = zh_bench_ss_window(ss, res->ss_iops, res->ss_bw);
}

static double cpu_seconds(const struct rusage *ru)
{
	return tv_seconds(ru->ru_utime) + tv_seconds(ru->ru_stime);
}

/*
 * Where the CPU columns start: the earliest measure start of the group's finished workers (so
 * ramp_time and a latency_target's search do not count), or the group's start for a status
 * snapshot, taken while workers may still be writing theirs.
 */
static const struct rusage *usage_begin(const struct bench_group *g, bool snapshot)
{
	const struct rusage *begin = NULL;

	for (unsigned i = 0; i < g->plan.worker_count && !snapshot; i++) {
		const struct rusage *u = &g->workers[i].usage_begin;

		if (begin == NULL || cpu_seconds(u) < cpu_seconds(begin))
			begin = u;
	}
	return begin != NULL ? begin : &g->usage_start;
}

/*
 * One result per clone, or per group of clones (group_units). CPU time is measured for the
 * whole process (it includes the kernel's io-wq workers) from the measure's start
 * (usage_begin): the jobs share one process, so no job's own time can be told apart. Each
 * result takes the share of it that its clones' measured time is of all clones' time, and
 * its CPU columns are that share over that time: fio's sum(usr) / sum(runtime) for a group.
 * An even split over each result's own runtime put a 1 s job beside a 4 s one at 250% of a core.
 */
static size_t results_build(const struct bench_group *g, bool snapshot, const struct rusage *ru,
			    struct zh_bench_result *out)
{
	const struct rusage *start = usage_begin(g, snapshot);
	uint64_t clones_ns[ZH_BENCH_WORKERS_MAX] = {0};
	uint64_t all_ns = 0, ns;
	size_t n = 0;
	unsigned first = 0;
	double usr, sys;
	uint64_t switches;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		const struct zh_bench_worker *w = &g->workers[i];

		if (i == 0 || g->unit[i] != g->unit[i - 1]) {
			zh_bench_result_init(&out[n++], g->plan.workers[i].job,
					     g->plan.workers[i].groupid);
			if (!snapshot)
				ss_result(&out[n - 1], &g->ss[n - 1]);
			first = i;
		}
		result_add(&out[n - 1], w, snapshot);
		result_add_reactor(&out[n - 1], g, first, i, snapshot);
		ns = snapshot ? w->snap_runtime_ns : w->runtime_ns;
		clones_ns[n - 1] += ns;
		all_ns += ns;
	}
	usr = tv_seconds(ru->ru_utime) - tv_seconds(start->ru_utime);
	sys = tv_seconds(ru->ru_stime) - tv_seconds(start->ru_stime);
	switches = (uint64_t)(ru->ru_nvcsw + ru->ru_nivcsw - start->ru_nvcsw - start->ru_nivcsw);
	for (size_t i = 0; i < n; i++) {
		double share = all_ns > 0 ? (double)clones_ns[i] / (double)all_ns : 1.0 / (double)n;
		double secs = (double)clones_ns[i] / 1e9;

		out[i].cpu_seconds = (usr + sys) * share;
		out[i].usr_cpu_pct = secs > 0 ? 100.0 * usr * share / secs : 0;
		out[i].sys_cpu_pct = secs > 0 ? 100.0 * sys * share / secs : 0;
		out[i].ctx = (uint64_t)((double)switches * share);
	}
	return n;
}

/* Whole seconds of \p ns, rounded up as fio's eta and elapsed are. */
static uint32_t seconds_up(uint64_t ns)
{
	uint64_t s = ns / 1000000000ull + (ns % 1000000000ull != 0);

	return s < UINT32_MAX ? (uint32_t)s : UINT32_MAX;
}

/* fio's eta while it cannot tell (INT_MAX); 0 means done. */
#define ETA_UNKNOWN_S 2147483647u

/*
 * Write \p res, with \p left_ns of the run to go (ZH_BENCH_ETA_UNKNOWN: not known yet), and
 * what \p disks did until now.
 */
static int report(const struct bench_output *o, struct zh_bench_result *res, size_t n,
		  uint64_t left_ns, struct zh_bench_disks *disks)
{
	uint64_t now = zh_clock_ns();
	uint32_t elapsed_s = seconds_up(now - o->genesis_ns);
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		res[i].eta_s =
		    left_ns == ZH_BENCH_ETA_UNKNOWN ? ETA_UNKNOWN_S : seconds_up(left_ns);
		res[i].elapsed_s = elapsed_s;
	}

	zh_bench_disks_sample(disks, now);
	if (o->format & ZH_BENCH_OUTPUT_NORMAL)
		rc = zh_bench_report_normal(o->out, res, n, disks);
	if (rc == 0 && (o->format & ZH_BENCH_OUTPUT_JSON))
		rc = zh_bench_report_json(o->out, res, n, disks, ZH_BENCH_VERSION, time(NULL));
	fflush(o->out);
	return rc;
}

/* ---- watching a running group -------------------------------------------------------------- */

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};

	nanosleep(&ts, NULL);
}

static unsigned workers_running(const struct bench_group *g)
{
	unsigned running = 0;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		/* Pairs with the release store in worker_finish(). */
		if (atomic_load_explicit(&g->workers[i].done, memory_order_acquire) == 0)
			running++;
	}
	return running;
}

/* The group's time left: its slowest job's, or ZH_BENCH_ETA_UNKNOWN while any cannot tell. */
static uint64_t group_left_ns(const struct bench_group *g, uint64_t elapsed)
{
	uint64_t longest = 0;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		const struct zh_bench_worker *w = &g->workers[i];
		struct zh_bench_eta_job job = {.start_delay_ns = w->cfg.start_delay_ns,
					       .ramp_ns = w->cfg.ramp_ns,
					       .runtime_ns = w->cfg.runtime_ns,
					       .limit_bytes = w->cfg.io_limit_bytes};
		uint64_t left;

		/* Pairs with the release store in worker_finish(). */
		if (atomic_load_explicit(&w->done, memory_order_acquire) != 0)
			continue;
		for (unsigned d = 0; d < ZH_BENCH_DIRS; d++)
			job.done_bytes +=
			    atomic_load_explicit(&w->pub_bytes[d], memory_order_relaxed);
		left = zh_bench_eta_left_ns(&job, elapsed);
		longest = left > longest ? left : longest;
	}
	return longest;
}

/* What the last progress line counted, to turn the next one's counts into rates. */
struct eta_last {
	uint64_t ios[ZH_BENCH_DIRS], bytes[ZH_BENCH_DIRS];
	uint64_t ns;
};

/* "mm:ss" of \p left_ns, or dashes while the group's end is unknown. */
static void eta_text(uint64_t left_ns, char out[32])
{
	uint64_t s = left_ns / 1000000000ull;

	if (left_ns == ZH_BENCH_ETA_UNKNOWN)
		snprintf(out, 32, "--m:--s");
	else
		snprintf(out, 32, "%02llum:%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
}

/* fio's progress line: jobs, percent done, bandwidth and IOPS since the last line, time left. */
static void eta_print(const struct bench_group *g, const struct bench_output *o,
		      struct eta_last *last)
{
	uint64_t now = zh_clock_ns(), ios[ZH_BENCH_DIRS] = {0}, bytes[ZH_BENCH_DIRS] = {0};
	double secs = (double)(now - last->ns) / 1e9, rate[2 * ZH_BENCH_DIRS];
	uint64_t elapsed = now - g->start_ns;
	uint64_t left = group_left_ns(g, elapsed);
	char eta[32];

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		const struct zh_bench_worker *w = &g->workers[i];

		for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
			ios[d] += atomic_load_explicit(&w->pub_ios[d], memory_order_relaxed);
			bytes[d] += atomic_load_explicit(&w->pub_bytes[d], memory_order_relaxed);
		}
	}
	for (unsigned d = 0; d < ZH_BENCH_DIRS; d++) {
		rate[d] = secs > 0 ? (double)(bytes[d] - last->bytes[d]) / secs / 1048576.0 : 0;
		rate[ZH_BENCH_DIRS + d] =
		    secs > 0 ? (double)(ios[d] - last->ios[d]) / secs / 1e3 : 0;
		last->ios[d] = ios[d];
		last->bytes[d] = bytes[d];
	}
	last->ns = now;
	eta_text(left, eta);
	fprintf(
	    o->eta_out,
	    "\rJobs: %u (f=%u): [%.1f%%][r=%.1fMiB/s,w=%.1fMiB/s][r=%.0fk,w=%.0fk IOPS][eta %s]   ",
	    workers_running(g), g->plan.dev_count,
	    left == ZH_BENCH_ETA_UNKNOWN ? 0 : 100.0 * (double)elapsed / (double)(elapsed + left),
	    rate[0], rate[1], rate[2], rate[3], eta);
	fflush(o->eta_out);
}

/* Send \p fn to worker \p i's reactor; a full ring is waited out, a millisecond at a time. */
static void post_to_worker(struct bench_group *g, unsigned i, zh_msg_fn fn)
{
	while (zh_engine_post(g->engine, g->plan.workers[i].reactor, fn, &g->workers[i]) == -EAGAIN)
		sleep_ns(1000000);
}

static int status_report(struct bench_group *g, const struct bench_output *o,
			 struct zh_bench_result *res)
{
	unsigned seq[ZH_BENCH_WORKERS_MAX];
	struct rusage ru;
	uint64_t left;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		seq[i] = atomic_load_explicit(&g->workers[i].snap_seq, memory_order_acquire);
		post_to_worker(g, i, zh_bench_worker_snapshot_msg);
	}
	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		/* Pairs with the release increment in zh_bench_worker_snapshot_msg(). */
		while (atomic_load_explicit(&g->workers[i].snap_seq, memory_order_acquire) ==
		       seq[i])
			sleep_ns(1000000);
	}
	getrusage(RUSAGE_SELF, &ru);
	left = group_left_ns(g, zh_clock_ns() - g->start_ns);
	if (left != ZH_BENCH_ETA_UNKNOWN)
		left = g->later_ns >= ZH_BENCH_ETA_UNKNOWN - left ? ZH_BENCH_ETA_UNKNOWN
								  : left + g->later_ns;
	return report(o, res, results_build(g, true, &ru, res), left, g->disks);
}

/*
 * Take unit \p u's next second if every worker in it has published it: the sum of their
 * I/Os and bytes since their last sample, each per second of the time it actually spanned.
 * \return false when one has not yet.
 */
static bool ss_take(struct bench_group *g, unsigned u)
{
	struct ss_unit *unit = &g->ss[u];
	struct zh_bench_ss_point now[ZH_BENCH_WORKERS_MAX];
	uint64_t ios = 0, bytes = 0;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		if (g->unit[i] != u || !g->workers[i].cfg.ss)
			continue;
		if (!zh_bench_worker_ss_sample(&g->workers[i], unit->next, &now[i]))
			return false;
	}
	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		const struct zh_bench_ss_point *prev = &g->ss_prev[i];

		if (g->unit[i] != u || !g->workers[i].cfg.ss)
			continue;
		ios += zh_bench_ss_per_second(now[i].ios - prev->ios, now[i].ns - prev->ns);
		bytes += zh_bench_ss_per_second(now[i].bytes - prev->bytes, now[i].ns - prev->ns);
		g->ss_prev[i] = now[i];
	}
	/* Sample 0 only sets where the first second starts. */
	if (unit->next++ > 0 && zh_bench_ss_add(&unit->ss, ios, bytes)) {
		unit->stopped = true;
		for (unsigned i = 0; i < g->plan.worker_count; i++) {
			if (g->unit[i] == u)
				post_to_worker(g, i, zh_bench_worker_stop_msg);
		}
	}
	return true;
}

/* Every watch tick: feed each judge the seconds its workers have published. */
static void ss_watch(struct bench_group *g)
{
	for (unsigned u = 0; u < g->plan.worker_count; u++) {
		while (g->ss[u].on && !g->ss[u].stopped && ss_take(g, u))
			;
	}
}

/*
 * exitall (exitall_on_error): once a clone of such a job is done (with an error), every other
 * worker of the group is told to stop, as fio stops the group. \return true once told.
 */
static bool group_exitall(struct bench_group *g)
{
	unsigned i = 0;

	for (; i < g->plan.worker_count; i++) {
		const struct zh_bench_worker *w = &g->workers[i];

		/* Pairs with the release store of done in worker_finish(): error is final. */
		if (atomic_load_explicit(&w->done, memory_order_acquire) &&
		    zh_bench_worker_ends_group(w))
			break;
	}
	if (i == g->plan.worker_count)
		return false;
	for (unsigned j = 0; j < g->plan.worker_count; j++)
		post_to_worker(g, j, zh_bench_worker_stop_msg);
	return true;
}

static void group_watch(struct bench_group *g, const struct bench_output *o,
			struct zh_bench_result *res)
{
	bool stopped = false;

	struct eta_last last = {.ns = g->start_ns};
	uint64_t next_status = g->start_ns + o->status_interval_ns;

	while (workers_running(g) > 0) {
		uint64_t now;

		sleep_ns(WATCH_TICK_NS);
		logs_drain(g);
		if (!stopped)
			stopped = group_exitall(g);
		ss_watch(g);
		now = zh_clock_ns();
		if (o->eta && now - last.ns >= ETA_PERIOD_NS)
			eta_print(g, o, &last);
		if (o->status_interval_ns > 0 && now >= next_status) {
			if (status_report(g, o, res) < 0)
				fprintf(stderr, "zhtp-bench: status report failed\n");
			next_status = now + o->status_interval_ns;
		}
	}
	logs_drain(g);
	if (o->eta)
		fprintf(o->eta_out, "\r%*s\r", 100, "");
}

/* ---- one group ----------------------------------------------------------------------------- */

static int group_start(struct bench_group *g, char *err, size_t err_len)
{
	int rc;

	for (unsigned i = 0; i < g->plan.worker_count; i++) {
		rc = zh_bench_worker_init(&g->workers[i], &g->plan.workers[i].cfg);
		if (rc < 0) {
			snprintf(err, err_len, "out of memory");
			return rc;
		}
	}
	rc = logs_open(g, err, err_len);
	if (rc < 0)
		return rc;
	rc = zh_engine_create(&g->plan.engine_opts, &g->engine);
	if (rc < 0) {
		snprintf(err, err_len, "cannot start the engine's reactors: %s", strerror(-rc));
		return rc;
	}
	getrusage(RUSAGE_SELF, &g->usage_start);
	g->start_ns = zh_clock_ns();
	for (unsigned i = 0; i < g->plan.worker_count; i++)
		post_to_worker(g, i, zh_bench_worker_start_msg);
	return 0;
}

static void group_end(struct bench_group *g)
{
	char err[512];

	zh_engine_destroy(g->engine);
	g->engine = NULL;
	logs_close(g);
	for (unsigned i = 0; i < g->plan.worker_count; i++)
		zh_bench_worker_fini(&g->workers[i]);
	/* fio only logs a file it cannot remove; so does this. */
	if (zh_bench_plan_unlink(&g->plan, err, sizeof(err)) < 0)
		fprintf(stderr, "zhtp-bench: %s\n", err);
	zh_bench_plan_close(&g->plan);
}

static enum zh_engine_pin group_pin(enum zh_bench_pin pin, const struct zh_bench_job *jobs,
				    unsigned count)
{
	if (pin == ZH_BENCH_PIN_CORE)
		return ZH_ENGINE_PIN_CORE;
	if (pin == ZH_BENCH_PIN_NODE)
		return ZH_ENGINE_PIN_NODE;
	for (unsigned i = 0; i < count; i++) {
		if (jobs[i].cpus_allowed[0] != '\0')
			return ZH_ENGINE_PIN_CORE;
	}
	return ZH_ENGINE_PIN_NODE;
}

/*
 * A passthrough namespace whose commands carry buffer addresses, because the kernel refused
 * registered buffers (zh_nvme_dev_drop_fixed_bufs()): said once per device, since it costs
 * CPU per command and a user comparing numbers should know.
 */
static void note_unfixed_devs(const struct bench_group *g)
{
	for (unsigned i = 0; i < g->plan.dev_count; i++) {
		const struct zh_nvme_dev *dev = g->plan.engine_devs[i];

		/* Only a passthrough namespace ever drops them. */
		if (dev != NULL && !zh_nvme_dev_fixed_bufs(dev))
			fprintf(stderr,
				"zhtp-bench: %s: this kernel refuses registered buffers in NVMe "
				"passthrough commands; each command's buffer is mapped instead\n",
				zh_nvme_dev_path(dev));
	}
}

/*
 * The disks under the group's files, from now on (their layout is written). The report is
 * fio's extra, so a disk that cannot be read, or one past ZH_BENCH_DISKS_MAX, is left out.
 */
static void disks_add(struct bench_group *g)
{
	for (unsigned i = 0; i < g->plan.dev_count; i++)
		(void)zh_bench_disks_add(g->disks, "/sys", g->plan.devs[i].path, zh_clock_ns());
}

static int group_run(struct bench_group *g, const struct zh_bench_job *jobs, unsigned count,
		     unsigned groupid, const struct bench_output *o, struct zh_bench_result *res,
		     size_t *n_res)
{
	char err[512] = "";
	struct rusage ru;
	int rc;

	if (zh_bench_rw_is_object(jobs[0].rw)) {
		rc = zh_bench_object_group(jobs, count, groupid, o->object_busy_poll_ns, res, err,
					   sizeof(err));
		*n_res = rc == 0 ? count : 0;
		if (rc < 0)
			fprintf(stderr, "zhtp-bench: %s\n", err);
		return rc;
	}
	rc = zh_bench_plan_build(&g->plan, groupid, jobs, count, err, sizeof(err));
	if (rc == 0)
		group_units(g, jobs);
	if (rc == 0 && ss_start(g) < 0) {
		zh_bench_plan_close(&g->plan);
		snprintf(err, sizeof(err), "no memory for the steady-state windows");
		rc = -ENOMEM;
	}

	g->plan.engine_opts.idle_poll = o->idle_poll;
	g->plan.engine_opts.busy_poll_ns = o->busy_poll_ns;
	g->plan.engine_opts.gather_ns = o->gather_ns;
	g->plan.engine_opts.pin = group_pin(o->pin, jobs, count);
	g->plan.engine_opts.sched_batch = o->sched_batch;
	g->plan.engine_opts.sched_slice_ns = o->sched_slice_ns;
	g->plan.engine_opts.yield_wait = o->yield_wait;
	if (rc == 0) {
		disks_add(g);
		rc = group_start(g, err, sizeof(err));
		if (rc == 0) {
			note_unfixed_devs(g);
			group_watch(g, o, res);
		}
		getrusage(RUSAGE_SELF, &ru);
		if (rc == 0)
			*n_res = results_build(g, false, &ru, res);
		ss_end(g);
		group_end(g);
	}
	if (rc < 0)
		fprintf(stderr, "zhtp-bench: %s\n", err);
	return rc;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int output_open(const struct zh_bench_cli *cli, struct bench_output *o)
{
	o->genesis_ns = zh_clock_ns();
	o->out = stdout;
	if (cli->output_path[0] != '\0') {
		o->out = fopen(cli->output_path, "w");
		if (o->out == NULL) {
			fprintf(stderr, "zhtp-bench: %s: %s\n", cli->output_path, strerror(errno));
			return -errno;
		}
	}
	o->format = cli->output_format;
	o->status_interval_ns = cli->status_interval_ns;
	o->idle_poll = cli->idle_poll;
	o->busy_poll_ns = cli->busy_poll_set ? cli->busy_poll_ns : ZH_BENCH_BUSY_POLL_DEFAULT_NS;
	o->object_busy_poll_ns =
	    cli->busy_poll_set ? cli->busy_poll_ns : ZH_ENGINE_BUSY_POLL_DEFAULT_NS;
	o->gather_ns = cli->gather_ns;
	o->pin = cli->pin;
	o->sched_batch = cli->sched_batch;
	o->sched_slice_ns = cli->sched_slice_ns;
	o->yield_wait = cli->yield_wait;
	o->eta = cli->eta == ZH_BENCH_ETA_ALWAYS ||
		 (cli->eta == ZH_BENCH_ETA_AUTO && isatty(STDOUT_FILENO));
	/* Keep JSON on stdout clean: the progress line then goes to stderr. */
	o->eta_out = o->out == stdout && (o->format & ZH_BENCH_OUTPUT_JSON) ? stderr : stdout;
	return 0;
}

/* The run group that starts at job \p first ends before the next stonewall: its end. */
static unsigned run_group_end(const struct zh_bench_jobfile *jf, unsigned first)
{
	unsigned end = first + 1;

	while (end < jf->job_count && !jf->jobs[end].stonewall)
		end++;
	return end;
}

/*
 * What the run groups from job \p first on will take, for the status reports' eta (fio's
 * counts the groups still to start, its eta_stone): each its longest job's startdelay, ramp and
 * runtime. A job bounded only by its size makes it ZH_BENCH_ETA_UNKNOWN.
 */
static uint64_t later_groups_ns(const struct zh_bench_jobfile *jf, unsigned first)
{
	uint64_t total = 0;

	for (unsigned g = first, end; g < jf->job_count; g = end) {
		uint64_t longest = 0;

		end = run_group_end(jf, g);
		for (unsigned j = g; j < end; j++) {
			const struct zh_bench_job *job = &jf->jobs[j];
			uint64_t delay = job->start_delay_max_ns > job->start_delay_ns
					     ? job->start_delay_max_ns
					     : job->start_delay_ns;
			uint64_t span = delay + job->ramp_ns + job->runtime_ns;

			if (job->runtime_ns == 0)
				return ZH_BENCH_ETA_UNKNOWN;
			longest = span > longest ? span : longest;
		}
		/* Each time option stops at 2^62 ns: the sum is bounded before it could wrap. */
		if (longest > ZH_BENCH_ETA_UNKNOWN - total)
			return ZH_BENCH_ETA_UNKNOWN;
		total += longest;
	}
	return total;
}

/*
 * The run's results are kept until its end (one JSON document): refuse, before anything runs, a
 * job file whose results would not fit. The results past the limit were dropped without a word.
 */
static int results_fit(const struct zh_bench_jobfile *jf)
{
	unsigned total = 0;

	for (unsigned first = 0, end; first < jf->job_count; first = end) {
		end = run_group_end(jf, first);
		total += zh_bench_jobs_results(&jf->jobs[first], end - first);
	}
	if (total <= ZH_BENCH_WORKERS_MAX)
		return 0;
	fprintf(stderr,
		"zhtp-bench: the jobs report %u results, more than the %u one run holds "
		"(group_reporting merges clones into one)\n",
		total, ZH_BENCH_WORKERS_MAX);
	return -E2BIG;
}

static int run_all(const struct zh_bench_cli *cli, const struct bench_output *o)
{
	const struct zh_bench_jobfile *jf = &cli->jobfile;
	struct bench_group *g = zh_calloc_aligned(alignof(struct bench_group), 1, sizeof(*g));
	struct zh_bench_result *res = calloc(ZH_BENCH_WORKERS_MAX, sizeof(*res));
	struct zh_bench_result *all = calloc(ZH_BENCH_WORKERS_MAX, sizeof(*all));
	struct zh_bench_disks *disks = calloc(1, sizeof(*disks));
	size_t n_all = 0;
	int rc = g != NULL && res != NULL && all != NULL && disks != NULL ? 0 : -ENOMEM;

	if (rc == 0) {
		g->disks = disks;
		rc = results_fit(jf);
	}
	for (unsigned first = 0, groupid = 0; rc == 0 && first < jf->job_count;) {
		unsigned end = run_group_end(jf, first);
		size_t n = 0;

		/* Clones are numbered job by job across the run, as each plan lists them. */
		g->log_first = 0;
		for (unsigned j = 0; j < first; j++)
			g->log_first += jf->jobs[j].numjobs;
		g->later_ns = later_groups_ns(jf, end);
		rc = group_run(g, &jf->jobs[first], end - first, groupid, o, res, &n);
		groupid += 1 + zh_bench_jobs_new_groups(&jf->jobs[first], end - first - 1);
		ZH_ASSERT(n_all + n <= ZH_BENCH_WORKERS_MAX); /* results_fit() */
		for (size_t i = 0; i < n; i++) {
			/* fio names each write that met a full device as it happens; one line here.
			 */
			if (res[i].full_offset != UINT64_MAX)
				fprintf(stderr,
					"zhtp-bench: job '%s': no space left on device at offset "
					"%" PRIu64 "; the job ends there (fill_device)\n",
					res[i].name, res[i].full_offset);
			all[n_all++] = res[i];
		}
		first = end;
	}
	/* A run group that could not start ends the run, but what ran before it is reported. */
	if (n_all > 0) {
		int report_rc = report(o, all, n_all, 0, disks);

		rc = rc < 0 ? rc : report_rc;
	}
	for (size_t i = 0; rc == 0 && i < n_all; i++)
		rc = all[i].error != 0 ? -all[i].error : 0;
	for (size_t i = 0; i < n_all; i++) {
		free(all[i].ss_iops);
		free(all[i].ss_bw);
	}
	free(disks);
	free(all);
	free(res);
	zh_free_aligned(g);
	return rc;
}

int main(int argc, char **argv)
{
	static struct zh_bench_cli cli;
	struct bench_output o;
	char err[512] = "";
	int rc = zh_bench_cli_parse(&cli, argc, argv, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "zhtp-bench: %s\n", err);
		usage(stderr);
		return 2;
	}
	if (cli.help || cli.version) {
		if (cli.help)
			usage(stdout);
		else
			printf("%s\n", ZH_BENCH_VERSION);
		return 0;
	}
	if (output_open(&cli, &o) < 0)
		return 1;
	rc = run_all(&cli, &o);
	if (o.out != stdout)
		fclose(o.out);
	return rc < 0 ? 1 : 0;
}
