/* SPDX-License-Identifier: MIT */
/*
 * engine: creation and shutdown of the reactor set. Allocates the message rings (one per
 * ordered pair of cores, plus one from the control thread to each reactor) on the consuming
 * reactor's NUMA node, starts one pinned thread per core and waits until each has set itself
 * up. Runs on the control thread at start-up and shutdown only.
 */
#include "engine/engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ZH_ENGINE_RING_MAX (1u << 20)

void zh_engine_opts_default(struct zh_engine_opts *opts)
{
	*opts = (struct zh_engine_opts){
	    .sq_entries = 256,
	    .msg_ring_entries = 1024,
	    .buf_count = {100, 50, 20},
	    .timers_max = 64,
	    .submit_batch = 4,
	    .busy_poll_ns = ZH_ENGINE_BUSY_POLL_DEFAULT_NS,
	};
}

static int opts_check(const struct zh_engine_opts *o)
{
	if (o->cpus == NULL || o->cpu_count == 0 || o->cpu_count > ZH_NUMA_CPUS_MAX)
		return -EINVAL;
	if (!zh_is_pow2_u64(o->sq_entries) || o->sq_entries > ZH_ENGINE_SQ_MAX)
		return -EINVAL;
	if (!zh_is_pow2_u64(o->msg_ring_entries) || o->msg_ring_entries > ZH_ENGINE_RING_MAX)
		return -EINVAL;
	if (o->timers_max == 0 || (o->dev_count > 0 && o->devs == NULL))
		return -EINVAL;
	if (o->pin != ZH_ENGINE_PIN_CORE && o->pin != ZH_ENGINE_PIN_NODE)
		return -EINVAL;
	if (o->busy_poll_ns > ZH_ENGINE_BUSY_POLL_MAX_NS || o->gather_ns > ZH_ENGINE_GATHER_MAX_NS)
		return -EINVAL;
	if (o->sched_slice_ns != 0 && (o->sched_slice_ns < ZH_ENGINE_SLICE_MIN_NS ||
				       o->sched_slice_ns > ZH_ENGINE_SLICE_MAX_NS))
		return -EINVAL;
	/* The kernel registers at most 1 GiB per fixed buffer; each pool class is one. */
	if (o->shared_region != NULL &&
	    (o->shared_region_bytes == 0 || o->shared_region_bytes > (1ull << 30)))
		return -EINVAL;
	for (unsigned k = 0; k < ZH_BUF_CLASS_COUNT; k++) {
		if ((uint64_t)o->buf_count[k] * zh__buf_class_bytes[k] > (1ull << 30))
			return -EINVAL;
	}
	if (o->submit_batch > o->sq_entries)
		return -EINVAL;
	/* Registered file indexes travel in a uint16_t next to each request. */
	if (o->dev_count >= UINT16_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < o->cpu_count; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (o->cpus[i] == o->cpus[j])
				return -EINVAL;
		}
	}
	return 0;
}

static int engine_rings_alloc(struct zh_engine *e)
{
	unsigned n = e->reactor_count;
	unsigned producers = n + 1;

	e->ring_bytes = zh__spsc_memsize(e->opts.msg_ring_entries);
	e->rings = calloc((size_t)producers * n, sizeof(*e->rings));
	if (e->rings == NULL)
		return -ENOMEM;
	for (unsigned p = 0; p < producers; p++) {
		for (unsigned c = 0; c < n; c++) {
			int node = zh_numa_topo_cpu_node(e->topo, e->opts.cpus[c]);
			void *mem = zh_numa_alloc(e->topo, e->ring_bytes, node < 0 ? 0 : node);

			if (mem == NULL)
				return -ENOMEM;
			e->rings[p * n + c] = zh__spsc_init(mem, e->opts.msg_ring_entries);
		}
	}
	return 0;
}

static void engine_rings_free(struct zh_engine *e)
{
	unsigned n = e->reactor_count;

	if (e->rings == NULL)
		return;
	for (unsigned i = 0; i < (n + 1) * n; i++)
		zh_numa_free(e->topo, e->rings[i], e->ring_bytes);
	free(e->rings);
}

static int engine_reactors_init(struct zh_engine *e)
{
	unsigned n = e->reactor_count;

	e->reactors = zh_calloc_aligned(alignof(struct zh_reactor), n, sizeof(*e->reactors));
	if (e->reactors == NULL)
		return -ENOMEM;
	/* Before anything can fail: engine_free() closes every eventfd that is not -1. */
	for (unsigned i = 0; i < n; i++)
		e->reactors[i].event_fd = -1;
	for (unsigned i = 0; i < n; i++) {
		struct zh_reactor *r = &e->reactors[i];

		r->engine = e;
		r->id = i;
		r->cpu = e->opts.cpus[i];
		r->devs = e->opts.devs;
		r->dev_count = e->opts.dev_count;
		r->producer_count = n + 1;
		r->inbound = calloc(n + 1, sizeof(*r->inbound));
		if (r->inbound == NULL)
			return -ENOMEM;
		for (unsigned p = 0; p <= n; p++)
			r->inbound[p] = e->rings[p * n + i];
		atomic_init(&r->sleeping, 0);
		atomic_init(&r->stopping, false);
	}
	return 0;
}

/* Start the threads and wait for each to report its set-up result. */
static int engine_threads_start(struct zh_engine *e, unsigned *launched)
{
	int rc = 0;

	for (*launched = 0; *launched < e->reactor_count; (*launched)++) {
		struct zh_reactor *r = &e->reactors[*launched];

		rc = -pthread_create(&r->thread, NULL, zh__reactor_main, r);
		if (rc < 0)
			break;
	}
	pthread_mutex_lock(&e->start_lock);
	while (e->started < *launched)
		pthread_cond_wait(&e->start_cond, &e->start_lock);
	pthread_mutex_unlock(&e->start_lock);
	for (unsigned i = 0; i < *launched && rc == 0; i++)
		rc = e->reactors[i].setup_rc;
	return rc;
}

static void engine_threads_stop(struct zh_engine *e, unsigned launched)
{
	static const uint64_t one = 1;

	for (unsigned i = 0; i < launched; i++) {
		struct zh_reactor *r = &e->reactors[i];

		atomic_store_explicit(&r->stopping, true, memory_order_relaxed);
		/* Unconditional wake: the reactor may be between its check and its wait. */
		if (r->event_fd >= 0 && write(r->event_fd, &one, sizeof(one)) < 0)
			ZH_ASSERT(errno == EAGAIN);
	}
	for (unsigned i = 0; i < launched; i++)
		pthread_join(e->reactors[i].thread, NULL);
}

static void engine_free(struct zh_engine *e)
{
	if (e->reactors != NULL) {
		for (unsigned i = 0; i < e->reactor_count; i++) {
			free(e->reactors[i].inbound);
			/* Closed here, after the join, so no wake-up can hit a reused fd number. */
			if (e->reactors[i].event_fd >= 0)
				close(e->reactors[i].event_fd);
		}
	}
	engine_rings_free(e);
	zh_free_aligned(e->reactors);
	free((void *)e->opts.cpus);
	free((void *)e->opts.devs);
	zh_numa_topo_destroy(e->topo);
	pthread_mutex_destroy(&e->post_lock);
	pthread_mutex_destroy(&e->start_lock);
	pthread_cond_destroy(&e->start_cond);
	free(e);
}

/* The engine keeps its own copies of the caller's arrays. */
static int engine_copy_opts(struct zh_engine *e, const struct zh_engine_opts *opts)
{
	uint16_t *cpus = calloc(opts->cpu_count, sizeof(*cpus));
	struct zh_nvme_dev **devs = calloc(opts->dev_count + 1, sizeof(*devs));

	e->opts = *opts;
	e->opts.cpus = cpus;
	e->opts.devs = devs;
	if (cpus == NULL || devs == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < opts->cpu_count; i++)
		cpus[i] = opts->cpus[i];
	for (unsigned i = 0; i < opts->dev_count; i++)
		devs[i] = opts->devs[i];
	return 0;
}

int zh_engine_create(const struct zh_engine_opts *opts, struct zh_engine **out)
{
	struct zh_engine *e;
	unsigned launched = 0;
	int rc = opts_check(opts);

	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	pthread_mutex_init(&e->post_lock, NULL);
	pthread_mutex_init(&e->start_lock, NULL);
	pthread_cond_init(&e->start_cond, NULL);
	e->reactor_count = opts->cpu_count;
	rc = engine_copy_opts(e, opts);
	if (rc == 0)
		rc = zh_numa_topo_create(&e->topo);
	if (rc == 0)
		rc = engine_rings_alloc(e);
	if (rc == 0)
		rc = engine_reactors_init(e);
	if (rc == 0)
		rc = engine_threads_start(e, &launched);
	if (rc < 0) {
		engine_threads_stop(e, launched);
		engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void zh_engine_destroy(struct zh_engine *engine)
{
	if (engine == NULL)
		return;
	engine_threads_stop(engine, engine->reactor_count);
	engine_free(engine);
}

void *zh_engine_user(const struct zh_engine *engine)
{
	return engine->opts.user;
}

unsigned zh_engine_reactor_count(const struct zh_engine *engine)
{
	return engine->reactor_count;
}

int zh_engine_post(struct zh_engine *engine, unsigned to, zh_msg_fn fn, void *arg)
{
	struct zh_reactor *dst;
	bool pushed;

	ZH_ASSERT(to < engine->reactor_count);
	ZH_ASSERT(fn != NULL);
	dst = &engine->reactors[to];
	pthread_mutex_lock(&engine->post_lock);
	pushed = zh__spsc_push(dst->inbound[engine->reactor_count], fn, arg);
	pthread_mutex_unlock(&engine->post_lock);
	if (!pushed)
		return -EAGAIN;
	zh__reactor_wake(dst);
	return 0;
}
