/* SPDX-License-Identifier: MIT */
/* Concurrency scenarios for the ring and the reactors; see concurrency_cases.h. */
#include "concurrency_cases.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/store.h"
#include "numa/numa.h"

static void nop_msg(struct zh_reactor *r, void *arg)
{
	(void)r;
	(void)arg;
}

static void pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ---- ring stress ---------------------------------------------------------------------------- */

struct stress {
	struct zh__spsc *ring;
	uint64_t messages;
	atomic_bool producer_refused; /* the producer has met a full ring */
	struct ring_stress_result res;
};

static void *stress_producer(void *arg)
{
	struct stress *s = arg;

	for (uintptr_t i = 1; i <= s->messages; i++) {
		while (!zh__spsc_push(s->ring, nop_msg, (void *)i)) {
			if (s->res.full_seen++ == 0)
				atomic_store_explicit(&s->producer_refused, true,
						      memory_order_release);
		}
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	struct zh_msg out[32];
	uintptr_t expect = 1;

	/*
	 * Start once the producer has met a full ring, so back-pressure certainly happens (a 2 ms
	 * head start did not when the producer thread was scheduled late). At most 10 s: a ring
	 * that never refuses then fails on full_seen instead of hanging the test.
	 */
	for (uint64_t until = zh_clock_ns() + 10000000000ull;
	     !atomic_load_explicit(&s->producer_refused, memory_order_acquire) &&
	     zh_clock_ns() < until;)
		sched_yield();
	while (expect <= s->messages) {
		uint32_t n = zh__spsc_pop_burst(s->ring, out, 1 + (uint32_t)(expect % 32));

		for (uint32_t i = 0; i < n; i++, expect++) {
			if ((uintptr_t)out[i].arg != expect)
				s->res.out_of_order++;
			s->res.received++;
		}
	}
	return NULL;
}

struct ring_stress_result ring_stress_run(uint32_t entries, uint64_t messages)
{
	struct stress s = {.messages = messages};
	void *mem = aligned_alloc(ZH_CACHELINE_BYTES, zh__spsc_memsize(entries));
	pthread_t prod, cons;

	ZH_ASSERT(mem != NULL);
	ZH_ASSERT(messages > entries); /* or the consumer waits for a full ring forever */
	s.ring = zh__spsc_init(mem, entries);
	ZH_ASSERT(pthread_create(&cons, NULL, stress_consumer, &s) == 0);
	ZH_ASSERT(pthread_create(&prod, NULL, stress_producer, &s) == 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	s.res.empty_at_end = zh__spsc_empty(s.ring);
	free(mem);
	return s.res;
}

/* ---- engines without devices ---------------------------------------------------------------- */

static int engine_two_reactors(uint32_t ring_entries, struct zh_engine **out)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	struct zh_engine_opts opts;
	int rc = zh_numa_topo_create(&topo);

	if (rc < 0)
		return rc;
	rc = zh_numa_topo_allowed_cpus(topo, &cpus);
	zh_numa_topo_destroy(topo);
	if (rc < 0)
		return rc;
	if (cpus.count < 2)
		return -ENODEV;
	zh_engine_opts_default(&opts);
	opts.cpus = cpus.cpus;
	opts.cpu_count = 2;
	opts.msg_ring_entries = ring_entries;
	return zh_engine_create(&opts, out);
}

static void wait_flag(_Atomic int *flag, int seconds)
{
	for (int i = 0; i < seconds * 1000 && atomic_load(flag) == 0; i++)
		pause_ms(1);
}

/* ---- ping-pong ------------------------------------------------------------------------------ */

struct ping {
	unsigned pings;
	unsigned count[2];
	_Atomic int done;
};

static void ping_recv(struct zh_reactor *r, void *arg)
{
	struct ping *p = arg;
	unsigned me = zh_reactor_id(r);

	p->count[me]++;
	if (me == 0 && p->count[0] == p->pings) {
		atomic_store(&p->done, 1);
		return;
	}
	while (zh_reactor_post(r, 1 - me, ping_recv, p) == -EAGAIN)
		;
}

struct ping_pong_result ping_pong_run(unsigned pings)
{
	struct ping_pong_result res = {0};
	struct ping *p = calloc(1, sizeof(*p));
	struct zh_engine *e;

	ZH_ASSERT(p != NULL);
	p->pings = pings;
	res.create_rc = engine_two_reactors(1024, &e);
	if (res.create_rc == 0) {
		ZH_ASSERT(zh_engine_post(e, 1, ping_recv, p) == 0);
		wait_flag(&p->done, 60);
		res.finished = atomic_load(&p->done);
		zh_engine_destroy(e);
		res.count[0] = p->count[0];
		res.count[1] = p->count[1];
	}
	free(p);
	return res;
}

/* ---- control-thread storm ------------------------------------------------------------------- */

struct storm {
	uint64_t handled[2];
};

static void storm_recv(struct zh_reactor *r, void *arg)
{
	struct storm *s = arg;

	s->handled[zh_reactor_id(r)]++;
}

static void storm_fence(struct zh_reactor *r, void *arg)
{
	(void)r;
	atomic_store((_Atomic int *)arg, 1);
}

/*
 * Holds its reactor until \p arg is set: the posts behind it then fill the ring, so the
 * control thread meets back-pressure whatever the scheduling (a reactor that kept up with a
 * slow control thread left it none). A test's hold, not something a reactor may do.
 */
static void storm_hold(struct zh_reactor *r, void *arg)
{
	(void)r;
	while (atomic_load((_Atomic int *)arg) == 0)
		sched_yield();
}

struct post_storm_result post_storm_run(uint64_t messages)
{
	struct post_storm_result res = {0};
	struct storm *s = calloc(1, sizeof(*s));
	_Atomic int fenced[2] = {0, 0}, released = 0;
	struct zh_engine *e;

	ZH_ASSERT(s != NULL);
	/* Tiny rings, each held behind a storm_hold until the first refusal: back-pressure. */
	res.create_rc = engine_two_reactors(8, &e);
	if (res.create_rc == 0) {
		for (unsigned t = 0; t < 2; t++)
			ZH_ASSERT(zh_engine_post(e, t, storm_hold, &released) == 0);
		for (uint64_t i = 0; i < messages; i++) {
			while (zh_engine_post(e, (unsigned)(i & 1), storm_recv, s) == -EAGAIN) {
				res.refused++;
				atomic_store(&released, 1);
			}
			res.posted++;
		}
		ZH_ASSERT(atomic_load(&released) == 1); /* or the reactors are still held */
		/* A ring is FIFO: once the fence message ran, everything before it did too. */
		for (unsigned t = 0; t < 2; t++) {
			while (zh_engine_post(e, t, storm_fence, &fenced[t]) == -EAGAIN)
				pause_ms(1);
			wait_flag(&fenced[t], 60);
		}
		zh_engine_destroy(e);
		res.handled[0] = s->handled[0];
		res.handled[1] = s->handled[1];
	}
	free(s);
	return res;
}

/* ---- the object store under concurrent puts and gets ----------------------------------------- */

struct store_stress_thread {
	struct zh_store *store;
	unsigned id, objects;
	bool delete_odd; /* delete every odd object after reading it back */
	uint64_t puts, gets, mismatches;
	int rc;
};

/* What a get must deliver: want[0, len), piece after piece from where the last one ended. */
struct stress_expect {
	const uint8_t *want;
	size_t len, at;
};

static int stress_cmp(void *ctx, const void *data, size_t len)
{
	struct stress_expect *x = ctx;

	if (len > x->len - x->at || memcmp(x->want + x->at, data, len) != 0)
		return 1;
	x->at += len;
	return 0;
}

static void *store_stress_thread(void *arg)
{
	struct store_stress_thread *t = arg;
	size_t len = 16384 + 1 + t->id;
	uint8_t *buf = malloc(len);
	uint8_t hash[ZH_CODEC_HASH_BYTES];

	for (unsigned n = 0; buf != NULL && n < t->objects && t->rc == 0; n++) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(i * 31 + n * 7 + t->id);
		t->rc = zh_store_put(t->store, buf, len, NULL, hash);
		t->puts += t->rc == 0;
		if (t->rc == 0) {
			struct stress_expect x = {.want = buf, .len = len};
			int rc = zh_store_get(t->store, hash, 0, UINT64_MAX, stress_cmp, &x);

			if (rc == 0 && x.at != len)
				rc = 1;
			t->mismatches += rc == 1;
			t->rc = rc == 1 ? 0 : rc;
			t->gets += rc == 0;
		}
		if (t->rc == 0 && t->delete_odd && n % 2 == 1)
			t->rc = zh_store_delete(t->store, hash);
	}
	free(buf);
	return NULL;
}

struct scrubber {
	struct zh_store *store;
	const char *dir;
	_Atomic bool stop;
	uint64_t scrubs, problems, repaired;
	int rc;
};

/* Where the damage goes: the first blocks after device 0's superblock, where shards begin. */
#define DAMAGE_FROM  (64u << 10)
#define DAMAGE_BYTES (2u << 20)

/*
 * A byte in each 4 KiB block of device 0's first shards goes bad: each block read, changed and
 * written back with O_DIRECT, as the engine writes (no page cache between them). One device of
 * the six: every chunk stays readable (m = 2), degraded, and scrub has shards to rewrite. A
 * put that lands in a block between its read and its write loses it back to the old bytes:
 * damage too, of the same kind.
 */
static int damage_dev0(const char *dir, unsigned pass)
{
	char path[600];
	uint8_t *block = NULL;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/dev0.img", dir);
	if (posix_memalign((void **)&block, 4096, 4096) != 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0) {
		free(block);
		return -errno;
	}
	for (uint32_t off = DAMAGE_FROM; off < DAMAGE_FROM + DAMAGE_BYTES && rc == 0; off += 4096) {
		if (pread(fd, block, 4096, off) != 4096) {
			rc = -EIO;
			break;
		}
		block[100 + pass % 64] ^= 0xa5;
		rc = pwrite(fd, block, 4096, off) == 4096 ? 0 : -EIO;
	}
	close(fd);
	free(block);
	return rc;
}

/*
 * Scrub and repair in a loop while the workers put, get and delete, with device 0 damaged
 * before each pass, and once more after they are done, so that a run always repairs the
 * objects they left (a loaded machine may start this thread after them, or a fast one finish
 * them within the first pass, over a device with nothing on it yet).
 */
static void *scrubber_main(void *arg)
{
	struct scrubber *sc = arg;
	struct zh_store_scrub_opts so;
	bool last;

	zh_store_scrub_opts_default(&so);
	do {
		struct zh_store_fsck f = {0};

		last = atomic_load(&sc->stop);
		sc->rc = damage_dev0(sc->dir, (unsigned)sc->scrubs);
		if (sc->rc == 0)
			sc->rc = zh_store_scrub(sc->store, &so, &f, NULL, NULL, NULL);
		sc->problems += f.chunks_lost + f.hash_mismatch + f.records_bad;
		sc->repaired += f.shards_repaired;
		sc->scrubs++;
	} while (!last && sc->rc == 0);
	return NULL;
}

static void stress_collect(struct store_stress_result *res, struct store_stress_thread *t)
{
	res->puts += t->puts;
	res->gets += t->gets;
	res->mismatches += t->mismatches;
	if (res->rc == 0)
		res->rc = t->rc;
}

struct store_stress_result store_stress_run(const char *dir, unsigned objects_per_thread,
					    bool scrub)
{
	struct store_stress_result res = {0};
	struct store_stress_thread t[4];
	struct scrubber sc = {0};
	pthread_t tid[4], scrub_tid;
	struct zh_store_opts o;
	struct zh_store *s;
	struct zh_store_fsck f;

	zh_store_opts_default(&o);
	o.dir = dir;
	o.dev_bytes = 64ull << 20;
	o.chunk_slots = 4;
	res.rc = zh_store_format(&o);
	if (res.rc == 0)
		res.rc = zh_store_open(&o, &s);
	if (res.rc < 0)
		return res;
	sc.store = s;
	sc.dir = dir;
	if (scrub)
		pthread_create(&scrub_tid, NULL, scrubber_main, &sc);
	for (unsigned i = 0; i < 4; i++) {
		t[i] = (struct store_stress_thread){
		    .store = s, .id = i, .objects = objects_per_thread, .delete_odd = scrub};
		pthread_create(&tid[i], NULL, store_stress_thread, &t[i]);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		stress_collect(&res, &t[i]);
	}
	if (scrub) {
		atomic_store(&sc.stop, true);
		pthread_join(scrub_tid, NULL);
		res.scrubs = sc.scrubs;
		res.scrub_problems = sc.problems;
		res.shards_repaired = sc.repaired;
		if (res.rc == 0)
			res.rc = sc.rc;
	}
	res.fsck_clean = zh_store_fsck(s, &f, NULL, NULL, NULL) == 0 && zh_store_fsck_clean(&f);
	zh_store_close(s);
	return res;
}
