/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench object jobs: rw=put and rw=get run whole objects of bs bytes through the engine's
 * object store in `directory` (default ./var/zhtp; format it with zhtpctl first). size / bs
 * objects per job (key_file: the key of an encrypted store, as zhtpctl's --key-file); iodepth
 * of them in flight per clone (one client thread each, since the store
 * API waits). Put objects are incompressible and all distinct (a run nonce and the object's
 * number in the first 16 bytes), so neither compression nor dedup flatters the numbers. A get
 * job first puts its objects (not measured), then reads each whole, in order, once per pass.
 * Every object a job made is deleted at the end: the store is left as it was found.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>

#include "bench_object.h"
#include "engine/engine.h"
#include "engine/store.h"
#include "numa/numa.h"

#define OBJ_THREADS_MAX 256

struct obj_job {
	const struct zh_bench_job *job;
	struct zh_store *store;
	uint32_t bs_bytes; /* the object size: one (zh_bench_job_finish refuses others) */
	uint64_t objects;
	uint8_t (*hash)[ZH_CODEC_HASH_BYTES];
	_Atomic uint64_t next; /* next object number to work on */
	_Atomic uint64_t made; /* objects whose hash is recorded */
	uint64_t nonce;
	uint64_t deadline_ns; /* time_based: stop then; else 0 */
	bool measuring;
	_Atomic int error; /* first error, positive errno */
};

struct obj_thread {
	struct obj_job *oj;
	pthread_t tid;
	uint8_t *buf;
	uint64_t rng;
	uint64_t got_bytes;
	struct zh_bench_dir_stats st;
};

static int count_bytes(void *ctx, const void *data, size_t len)
{
	(void)data;
	*(uint64_t *)ctx += len;
	return 0;
}

static void set_error(struct obj_job *oj, int rc)
{
	int none = 0;

	atomic_compare_exchange_strong(&oj->error, &none, -rc);
}

static int one_put(struct obj_thread *t, uint64_t n)
{
	struct obj_job *oj = t->oj;
	uint32_t bs = oj->bs_bytes;

	/* Distinct content per object; the rest stays as filled (random unless compressible). */
	memcpy(t->buf, &oj->nonce, bs < 8 ? bs : 8);
	if (bs > 8)
		memcpy(t->buf + 8, &n, bs - 8 < 8 ? bs - 8 : 8);
	return zh_store_put(oj->store, t->buf, bs, NULL, oj->hash[n]);
}

static int one_get(struct obj_thread *t, uint64_t n)
{
	struct obj_job *oj = t->oj;
	uint64_t before = t->got_bytes;
	int rc = zh_store_get(oj->store, oj->hash[n % oj->objects], 0, UINT64_MAX, count_bytes,
			      &t->got_bytes);

	return rc == 0 && t->got_bytes - before != oj->bs_bytes ? -EIO : rc;
}

static bool job_more(struct obj_job *oj, uint64_t *n)
{
	if (atomic_load(&oj->error) != 0)
		return false;
	if (oj->deadline_ns != 0)
		return zh_clock_ns() < oj->deadline_ns &&
		       (*n = atomic_fetch_add(&oj->next, 1), true);
	*n = atomic_fetch_add(&oj->next, 1);
	return *n < oj->objects;
}

static void *thread_main(void *arg)
{
	struct obj_thread *t = arg;
	struct obj_job *oj = t->oj;
	bool get = oj->measuring && oj->job->rw == ZH_BENCH_RW_GET;
	uint64_t n;

	while (job_more(oj, &n)) {
		uint64_t start = zh_clock_ns();
		int rc;

		if (!get && n >= oj->objects)
			break; /* time_based puts stop at size/bs objects: the store is finite */
		rc = get ? one_get(t, n) : one_put(t, n);
		if (rc < 0) {
			set_error(oj, rc);
			break;
		}
		if (!get)
			atomic_fetch_add(&oj->made, 1);
		if (oj->measuring)
			zh_bench_dir_stats_add_io(&t->st, oj->bs_bytes, 0, zh_clock_ns() - start);
	}
	return NULL;
}

/* Run every thread of every job once (one phase), then join them. */
static int phase_run(struct obj_job *jobs, unsigned count, struct obj_thread *threads,
		     unsigned nthreads, bool measuring, uint64_t *elapsed_ns)
{
	uint64_t start = zh_clock_ns();
	int rc = 0;

	for (unsigned j = 0; j < count; j++) {
		const struct zh_bench_job *job = jobs[j].job;

		atomic_store(&jobs[j].next, 0);
		jobs[j].measuring = measuring;
		jobs[j].deadline_ns = measuring && job->time_based && job->runtime_ns > 0
					  ? start + job->runtime_ns
					  : 0;
	}
	for (unsigned i = 0; i < nthreads && rc == 0; i++)
		rc = -pthread_create(&threads[i].tid, NULL, thread_main, &threads[i]);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i].tid, NULL);
	*elapsed_ns = zh_clock_ns() - start;
	return rc;
}

static void cleanup(struct obj_job *oj)
{
	uint64_t made = atomic_load(&oj->made);

	/* Objects are numbered densely from 0; any that failed left a zero hash, skipped. */
	for (uint64_t i = 0; i < oj->objects && made > 0; i++) {
		static const uint8_t zero[ZH_CODEC_HASH_BYTES];

		if (memcmp(oj->hash[i], zero, sizeof(zero)) == 0)
			continue;
		if (zh_store_delete(oj->store, oj->hash[i]) == 0)
			made--;
	}
}

/* The key of an encrypted store (zhtpctl format --key-file makes the file). */
static int key_read(const char *path, struct zh_codec_key *key, char *err, size_t err_len)
{
	int rc = zh_store_key_file_read(path, key);

	if (rc == -EBADMSG)
		snprintf(err, err_len, "key_file %s: a key file holds exactly %zu bytes", path,
			 sizeof(key->bytes));
	else if (rc < 0)
		snprintf(err, err_len, "key_file %s: %s", path, strerror(-rc));
	return rc;
}

static int store_open(const struct zh_bench_job *job, uint32_t busy_poll_ns,
		      struct zh_numa_cpuset *cpus, struct zh_store **out, char *err, size_t err_len)
{
	static struct zh_codec_key key;
	struct zh_store_opts o;
	int rc;

	zh_store_opts_default(&o);
	if (job->key_file[0] != '\0') {
		rc = key_read(job->key_file, &key, err, err_len);
		if (rc < 0)
			return rc;
		o.key = &key;
	}
	if (job->directory[0] != '\0')
		o.dir = job->directory;
	if (job->cpus_allowed[0] != '\0') {
		/* The job file takes cores the engine's core sets cannot hold (ZH_NUMA_CPUS_MAX).
		 */
		rc = zh_numa_cpuset_parse(job->cpus_allowed, cpus);
		if (rc < 0) {
			snprintf(err, err_len, "cpus_allowed=%s: %s", job->cpus_allowed,
				 rc == -E2BIG ? "cores past the engine's limit" : strerror(-rc));
			return rc;
		}
		o.cpus = cpus->cpus;
		o.cpu_count = cpus->count;
	}
	o.zstd_level = job->zstd_level == ZH_BENCH_ZSTD_AUTO ? ZH_STORE_ZSTD_AUTO : job->zstd_level;
	o.chunk_slots = 32;
	o.busy_poll_ns = busy_poll_ns;
	rc = zh_store_open(&o, out);
	if (rc == -ENOENT)
		snprintf(err, err_len, "%s: no store there (create one with: zhtpctl -d %s format)",
			 o.dir, o.dir);
	else if (rc < 0)
		snprintf(err, err_len, "%s: cannot open the store: %s", o.dir, strerror(-rc));
	return rc;
}

static int jobs_prepare(struct obj_job *jobs, const struct zh_bench_job *src, unsigned count,
			struct zh_store *store, char *err, size_t err_len)
{
	uint64_t nonce;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = zh_clock_ns();
	for (unsigned j = 0; j < count; j++) {
		struct obj_job *oj = &jobs[j];

		oj->job = &src[j];
		oj->store = store;
		oj->nonce = nonce + j;
		oj->bs_bytes = zh_bench_job_bs(&src[j]);
		ZH_ASSERT(oj->bs_bytes > 0);
		oj->objects = src[j].size_bytes / oj->bs_bytes;
		if (oj->objects == 0) {
			snprintf(err, err_len,
				 "%s: rw=%s needs size= of at least bs (objects = size/bs)",
				 src[j].name, zh_bench_rw_name(src[j].rw));
			return -EINVAL;
		}
		oj->hash = calloc(oj->objects, ZH_CODEC_HASH_BYTES);
		if (oj->hash == NULL)
			return -ENOMEM;
	}
	return 0;
}

static unsigned threads_of(const struct zh_bench_job *job)
{
	uint64_t n = (uint64_t)job->numjobs * job->iodepth;

	return n > OBJ_THREADS_MAX ? OBJ_THREADS_MAX : (unsigned)n;
}

static int threads_prepare(struct obj_job *jobs, unsigned count, struct obj_thread **out,
			   unsigned *nthreads)
{
	unsigned total = 0, at = 0;
	struct obj_thread *t;

	for (unsigned j = 0; j < count; j++)
		total += threads_of(jobs[j].job);
	t = calloc(total, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (unsigned j = 0; j < count; j++) {
		for (unsigned i = 0; i < threads_of(jobs[j].job); i++, at++) {
			t[at].oj = &jobs[j];
			t[at].rng = jobs[j].nonce * 0x9e3779b97f4a7c15ull + at + 1;
			/* Page aligned, as fio's and any O_DIRECT user's buffers are: the store
			 * writes the data shards of such a buffer from where they lie. */
			t[at].buf = aligned_alloc(4096, (jobs[j].bs_bytes + 4095) & ~4095ull);
			if (t[at].buf == NULL)
				return -ENOMEM;
			struct zh_bench_data data = zh_bench_job_data(jobs[j].job);

			zh_bench_data_fill(&data, t[at].buf, jobs[j].bs_bytes, &t[at].rng);
			zh_bench_dir_stats_reset(&t[at].st);
		}
	}
	*out = t;
	*nthreads = total;
	return 0;
}

static double tv_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void results_fill(struct obj_job *jobs, unsigned count, struct obj_thread *t,
			 unsigned nthreads, unsigned groupid, uint64_t elapsed_ns,
			 const struct rusage *ru0, struct zh_bench_result *res)
{
	struct rusage ru;
	double secs = (double)elapsed_ns / 1e9, usr, sys;

	getrusage(RUSAGE_SELF, &ru);
	usr = tv_seconds(ru.ru_utime) - tv_seconds(ru0->ru_utime);
	sys = tv_seconds(ru.ru_stime) - tv_seconds(ru0->ru_stime);
	for (unsigned j = 0; j < count; j++) {
		const struct zh_bench_job *job = jobs[j].job;
		struct zh_bench_result *r = &res[j];
		unsigned dir = job->rw == ZH_BENCH_RW_GET ? ZH_BENCH_DIR_READ : ZH_BENCH_DIR_WRITE;

		zh_bench_result_init(r, job, groupid);
		r->jobs = job->numjobs;
		r->error = atomic_load(&jobs[j].error);
		r->runtime_ns = elapsed_ns;
		for (unsigned i = 0; i < nthreads; i++) {
			if (t[i].oj == &jobs[j])
				zh_bench_dir_stats_merge(&r->dir[dir], &t[i].st);
		}
		zh_bench_dir_stats_sample(&r->dir[dir], r->dir[dir].ios, r->dir[dir].bytes,
					  elapsed_ns);
		r->cpu_seconds = (usr + sys) / count;
		r->usr_cpu_pct = secs > 0 ? 100.0 * usr / count / secs : 0;
		r->sys_cpu_pct = secs > 0 ? 100.0 * sys / count / secs : 0;
		r->ctx =
		    (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw - ru0->ru_nvcsw - ru0->ru_nivcsw) / count;
	}
}

static void results_store_level(struct zh_store *store, bool level_auto,
				struct zh_bench_result *res, unsigned count)
{
	struct zh_store_stats st;

	zh_store_stats_get(store, &st);
	for (unsigned j = 0; j < count; j++) {
		res[j].store_level_known = true;
		res[j].store_level_auto = level_auto;
		res[j].store_zstd_level = st.zstd_level;
	}
}

static int group_check(const struct zh_bench_job *jobs, unsigned count, char *err, size_t err_len)
{
	for (unsigned j = 0; j < count; j++) {
		if (jobs[j].rw != jobs[0].rw || strcmp(jobs[j].directory, jobs[0].directory) != 0) {
			snprintf(err, err_len,
				 "%s: put and get jobs each run in a group of their own "
				 "(stonewall), all on one directory",
				 jobs[j].name);
			return -EINVAL;
		}
		if (jobs[j].zstd_level != jobs[0].zstd_level ||
		    strcmp(jobs[j].key_file, jobs[0].key_file) != 0) {
			snprintf(err, err_len,
				 "%s: the jobs of a group share one store: give them one "
				 "zstd_level and one key_file (or a stonewall between them)",
				 jobs[j].name);
			return -EINVAL;
		}
	}
	return 0;
}

int zh_bench_object_group(const struct zh_bench_job *src, unsigned count, unsigned groupid,
			  uint32_t busy_poll_ns, struct zh_bench_result *res, char *err,
			  size_t err_len)
{
	struct obj_job *jobs = calloc(count, sizeof(*jobs));
	struct obj_thread *threads = NULL;
	struct zh_numa_cpuset cpus;
	struct zh_store *store = NULL;
	struct rusage ru0;
	unsigned nthreads = 0;
	uint64_t elapsed = 0;
	int rc = jobs != NULL ? group_check(src, count, err, err_len) : -ENOMEM;

	if (rc == 0)
		rc = store_open(&src[0], busy_poll_ns, &cpus, &store, err, err_len);
	if (rc == 0)
		rc = jobs_prepare(jobs, src, count, store, err, err_len);
	if (rc == 0)
		rc = threads_prepare(jobs, count, &threads, &nthreads);
	/* Get jobs need their objects first: put them, unmeasured. */
	if (rc == 0 && src[0].rw == ZH_BENCH_RW_GET)
		rc = phase_run(jobs, count, threads, nthreads, false, &elapsed);
	if (rc == 0) {
		getrusage(RUSAGE_SELF, &ru0);
		rc = phase_run(jobs, count, threads, nthreads, true, &elapsed);
	}
	if (rc == 0) {
		results_fill(jobs, count, threads, nthreads, groupid, elapsed, &ru0, res);
		results_store_level(store, src[0].zstd_level == ZH_BENCH_ZSTD_AUTO, res, count);
	}
	for (unsigned j = 0; jobs != NULL && j < count; j++) {
		if (jobs[j].hash != NULL && store != NULL)
			cleanup(&jobs[j]);
		free(jobs[j].hash);
	}
	for (unsigned i = 0; threads != NULL && i < nthreads; i++)
		free(threads[i].buf);
	free(threads);
	free(jobs);
	zh_store_close(store);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, err_len, "object job: %s", strerror(-rc));
	return rc;
}
