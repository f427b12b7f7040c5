/* SPDX-License-Identifier: MIT */
/*
 * Tests for engine/reactor.c and engine/engine.c: reactors started on real cores do device
 * round trips with data verification on the O_DIRECT file backend (write, FUA write, flush,
 * read back), refuse bad requests without touching the device, fire timers, exchange
 * messages across cores, waking an idle reactor, and run with the binding and scheduling
 * policy asked for.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "concurrency_cases.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "nvme/nvme_internal.h"
#include "numa/numa.h"

#define DEV_BYTES (8u << 20)

#define DEVS_MAX 2

static struct zh_engine *engine;
/*
 * Where the next engine's device files go: the scratch directory, or tmpfs for I/O that io-wq
 * runs (next_devices_on_tmpfs()); back to the scratch directory once they are made.
 */
static const char *dev_dir = ZH_TEST_SCRATCH_DIR;
static struct zh_nvme_dev *devs[DEVS_MAX];
static char dev_paths[DEVS_MAX][512];
static unsigned dev_count;

/*
 * Reactors set up with \p tuning (zh_engine_opts_default() and changes; its cores and devices
 * are filled in here) on \p count file devices, device i with faults[i] (NULL for none).
 */
static void start_engine_on(unsigned reactors, const struct zh_engine_opts *tuning,
			    struct zh_nvme_faults *const *faults, unsigned count)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	struct zh_engine_opts opts = *tuning;
	struct zh_nvme_dev_opts dopts = {.create_size_bytes = DEV_BYTES};

	ZH_ASSERT(count <= DEVS_MAX);
	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh_numa_topo_allowed_cpus(topo, &cpus), 0);
	zh_numa_topo_destroy(topo);
	if (cpus.count < reactors)
		cr_skip_test("needs %u cores, have %u", reactors, cpus.count);
	for (unsigned d = 0; d < count; d++) {
		snprintf(dev_paths[d], sizeof(dev_paths[d]), "%s/reactor-dev%u-%d.img", dev_dir, d,
			 (int)getpid());
		unlink(dev_paths[d]);
		cr_assert_eq(zh_nvme_dev_open(dev_paths[d], &dopts, &devs[d]), 0);
		zh_nvme_dev_set_faults(devs[d], faults[d]);
	}
	dev_count = count;
	dev_dir = ZH_TEST_SCRATCH_DIR;
	opts.cpus = cpus.cpus;
	opts.cpu_count = reactors;
	opts.devs = devs;
	opts.dev_count = count;
	cr_assert_eq(zh_engine_create(&opts, &engine), 0);
}

/* The next engine's devices go to /dev/shm, whose reads and writes io-wq runs. */
static void next_devices_on_tmpfs(void)
{
	struct statfs fs;

	if (statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC || access("/dev/shm", W_OK))
		cr_skip_test("needs a writable tmpfs at /dev/shm");
	dev_dir = "/dev/shm";
}

/* One file device, with the faults given (NULL for none). */
static void start_engine_tuned(unsigned reactors, const struct zh_engine_opts *tuning,
			       struct zh_nvme_faults *faults)
{
	start_engine_on(reactors, tuning, &faults, 1);
}

static void start_engine(unsigned reactors)
{
	struct zh_engine_opts tuning;

	zh_engine_opts_default(&tuning);
	start_engine_tuned(reactors, &tuning, NULL);
}

static void stop_engine(void)
{
	zh_engine_destroy(engine);
	for (unsigned d = 0; d < dev_count; d++) {
		zh_nvme_dev_close(devs[d]);
		unlink(dev_paths[d]);
	}
}

/*
 * Each reactor's wake-up word is on a cache line of its own, which producers on other cores
 * write: that holds only if the reactor array starts on a line (calloc gave 16 bytes).
 */
Test(engine_reactor, reactors_start_on_cache_lines, .timeout = 30)
{
	start_engine(2);
	for (unsigned i = 0; i < engine->reactor_count; i++) {
		struct zh_reactor *r = &engine->reactors[i];

		cr_assert_eq((uintptr_t)r % ZH_CACHELINE_BYTES, 0, "reactor %u at %p", i,
			     (void *)r);
		cr_assert_eq((uintptr_t)&r->sleeping % ZH_CACHELINE_BYTES, 0);
	}
	stop_engine();
}

/*
 * Once the engine is destroyed and its devices closed, nothing holds the files: a write lease,
 * which needs every other open of the file gone, is granted at once. The ring's registered
 * files used to be dropped later, by a kernel worker (reactor_teardown).
 */
Test(engine_reactor, a_destroyed_engine_holds_no_file, .timeout = 30)
{
	for (unsigned round = 0; round < 20; round++) {
		int fd;

		start_engine(1);
		zh_engine_destroy(engine);
		zh_nvme_dev_close(devs[0]);
		fd = open(dev_paths[0], O_RDONLY | O_CLOEXEC);
		cr_assert_geq(fd, 0);
		cr_assert_eq(fcntl(fd, F_SETLEASE, F_WRLCK), 0, "round %u: still open: %s", round,
			     strerror(errno));
		cr_assert_eq(fcntl(fd, F_SETLEASE, F_UNLCK), 0);
		close(fd);
		unlink(dev_paths[0]);
	}
}

static void wait_flag(_Atomic int *flag)
{
	struct timespec pause = {.tv_nsec = 1000000};

	for (int i = 0; i < 10000 && atomic_load(flag) == 0; i++)
		nanosleep(&pause, NULL);
	cr_assert_neq(atomic_load(flag), 0, "the reactor did not answer within 10 s");
}

/* ---- round trip: write (FUA), flush, read back, compare ----------------------------------- */

struct round_trip {
	struct zh_io io;
	struct zh_buf *wbuf, *rbuf;
	uint64_t offset;
	uint32_t len;
	int write_res, flush_res, read_res;
	int matched;
	_Atomic int done;
};

static void rt_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct round_trip *rt = ZH_CONTAINER_OF(io, struct round_trip, io);

	rt->read_res = io->res;
	rt->matched = memcmp(rt->wbuf->data, rt->rbuf->data, rt->len) == 0;
	zh_reactor_buf_put(r, rt->wbuf);
	zh_reactor_buf_put(r, rt->rbuf);
	atomic_store(&rt->done, 1);
}

static void rt_flush_done(struct zh_reactor *r, struct zh_io *io)
{
	struct round_trip *rt = ZH_CONTAINER_OF(io, struct round_trip, io);

	rt->flush_res = io->res;
	memset(rt->rbuf->data, 0, rt->len);
	ZH_ASSERT(zh_reactor_read(r, 0, rt->rbuf, rt->len, rt->offset, io, rt_read_done) == 0);
}

static void rt_write_done(struct zh_reactor *r, struct zh_io *io)
{
	struct round_trip *rt = ZH_CONTAINER_OF(io, struct round_trip, io);

	rt->write_res = io->res;
	ZH_ASSERT(io->submit_ns >= io->prep_ns);
	ZH_ASSERT(zh_reactor_flush(r, 0, io, rt_flush_done) == 0);
}

static void rt_start(struct zh_reactor *r, void *arg)
{
	struct round_trip *rt = arg;
	unsigned char *p;

	ZH_ASSERT(zh_reactor_buf_get(r, rt->len, &rt->wbuf) == 0);
	ZH_ASSERT(zh_reactor_buf_get(r, rt->len, &rt->rbuf) == 0);
	p = rt->wbuf->data;
	for (uint32_t i = 0; i < rt->len; i++)
		p[i] = (unsigned char)((i * 131u + rt->offset / 4096) & 0xffu);
	ZH_ASSERT(zh_reactor_write(r, 0, rt->wbuf, rt->len, rt->offset, ZH_NVME_IO_FUA, &rt->io,
				   rt_write_done) == 0);
}

Test(engine_reactor, write_flush_read_round_trip_verifies_data, .timeout = 30)
{
	static struct round_trip rts[3] = {
	    {.offset = 0, .len = 4096},
	    {.offset = 1 << 20, .len = 65536},
	    {.offset = DEV_BYTES - (1 << 20), .len = 1 << 20},
	};

	start_engine(1);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(zh_engine_post(engine, 0, rt_start, &rts[i]), 0);
		wait_flag(&rts[i].done);
		cr_assert_eq(rts[i].write_res, (int)rts[i].len);
		cr_assert_eq(rts[i].flush_res, 0);
		cr_assert_eq(rts[i].read_res, (int)rts[i].len);
		cr_assert(rts[i].matched, "data read back differs from data written");
	}
	stop_engine();
}

/* The bytes really reached the file, as seen by a plain read outside the engine. */
Test(engine_reactor, written_bytes_are_in_the_file, .timeout = 30)
{
	static struct round_trip rt = {.offset = 12288, .len = 4096};
	unsigned char got[4096];
	int fd;

	start_engine(1);
	cr_assert_eq(zh_engine_post(engine, 0, rt_start, &rt), 0);
	wait_flag(&rt.done);
	fd = open(dev_paths[0], O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, got, sizeof(got), 12288), (ssize_t)sizeof(got));
	close(fd);
	for (uint32_t i = 0; i < sizeof(got); i++)
		cr_assert_eq(got[i], (unsigned char)((i * 131u + 3) & 0xffu));
	stop_engine();
}

/* ---- bad requests are refused before they reach the device -------------------------------- */

struct bad_req {
	struct zh_io io;
	int misaligned, past_end, zero_len, unaligned_len;
	uint32_t inflight_after;
	_Atomic int done;
};

static void never_called(struct zh_reactor *r, struct zh_io *io)
{
	(void)r;
	(void)io;
	ZH_ASSERT(!"a refused request completed");
}

static void bad_start(struct zh_reactor *r, void *arg)
{
	struct bad_req *b = arg;
	struct zh_buf *buf;

	ZH_ASSERT(zh_reactor_buf_get(r, 8192, &buf) == 0);
	b->misaligned = zh_reactor_read(r, 0, buf, 4096, 100, &b->io, never_called);
	b->past_end = zh_reactor_read(r, 0, buf, 8192, DEV_BYTES - 4096, &b->io, never_called);
	b->zero_len = zh_reactor_write(r, 0, buf, 0, 0, 0, &b->io, never_called);
	b->unaligned_len = zh_reactor_write(r, 0, buf, 1000, 0, 0, &b->io, never_called);
	b->inflight_after = zh_reactor_inflight(r);
	zh_reactor_buf_put(r, buf);
	atomic_store(&b->done, 1);
}

Test(engine_reactor, bad_requests_get_errors_and_nothing_in_flight, .timeout = 30)
{
	static struct bad_req b;

	start_engine(1);
	cr_assert_eq(zh_engine_post(engine, 0, bad_start, &b), 0);
	wait_flag(&b.done);
	cr_assert_eq(b.misaligned, -EINVAL);
	cr_assert_eq(b.past_end, -ERANGE);
	cr_assert_eq(b.zero_len, -EINVAL);
	cr_assert_eq(b.unaligned_len, -EINVAL);
	cr_assert_eq(b.inflight_after, 0);
	stop_engine();
}

/* ---- timers -------------------------------------------------------------------------------- */

struct timer_ctx {
	struct zh_timer timer;
	uint64_t armed_at, deadline, fired_at;
	_Atomic int done;
};

static void timer_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct timer_ctx *c = ZH_CONTAINER_OF(t, struct timer_ctx, timer);

	c->fired_at = zh_reactor_now_ns(r);
	atomic_store(&c->done, 1);
}

static void timer_start(struct zh_reactor *r, void *arg)
{
	struct timer_ctx *c = arg;

	zh_timer_init(&c->timer);
	c->armed_at = zh_reactor_now_ns(r);
	c->deadline = c->armed_at + 20 * 1000 * 1000;
	ZH_ASSERT(zh_reactor_timer_start(r, &c->timer, c->deadline, timer_fired) == 0);
}

Test(engine_reactor, idle_reactor_fires_timer_after_deadline, .timeout = 30)
{
	static struct timer_ctx c;

	start_engine(1);
	cr_assert_eq(zh_engine_post(engine, 0, timer_start, &c), 0);
	wait_flag(&c.done);
	cr_assert_geq(c.fired_at, c.deadline);
	cr_assert_lt(c.fired_at - c.deadline, 5ull * 1000 * 1000 * 1000);
	stop_engine();
}

/*
 * A timer due while a slow read is in flight fires at its deadline, not when the read ends: the
 * wait for the read is bounded by the timer. The timer is further away than the reactor's idle
 * bound (100 ms), which once let the wait go untimed.
 */
struct slow_io_timer {
	struct timer_ctx timer;
	struct zh_buf *buf;
	struct zh_io io;
	int res;
	uint64_t read_done_at;
	_Atomic int read_done;
};

static void slow_io_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct slow_io_timer *c = ZH_CONTAINER_OF(io, struct slow_io_timer, io);

	c->res = io->res;
	c->read_done_at = zh_reactor_now_ns(r);
	zh_reactor_buf_put(r, c->buf);
	atomic_store(&c->read_done, 1);
}

/* A read (slowed by the device's faults) and a timer \p timer_ns away, both from now. */
static void slow_io_begin(struct zh_reactor *r, struct slow_io_timer *c, uint64_t timer_ns)
{
	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &c->buf) == 0);
	ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 0, &c->io, slow_io_read_done) == 0);
	zh_timer_init(&c->timer.timer);
	c->timer.armed_at = zh_reactor_now_ns(r);
	c->timer.deadline = c->timer.armed_at + timer_ns;
	ZH_ASSERT(zh_reactor_timer_start(r, &c->timer.timer, c->timer.deadline, timer_fired) == 0);
}

static void slow_io_start(struct zh_reactor *r, void *arg)
{
	slow_io_begin(r, arg, 150 * 1000 * 1000);
}

static void slow_io_start_polled(struct zh_reactor *r, void *arg)
{
	slow_io_begin(r, arg, 1000 * 1000);
}

/*
 * One reactor (no yielding, busy polls of \p poll_ns) on a device whose every read starts
 * \p delay_ns late; \p start begins the read and the timer; returns when the read is done and
 * the engine stopped, with the timer fired.
 */
static void slow_io_run(struct slow_io_timer *c, zh_msg_fn start, uint64_t delay_ns,
			uint32_t poll_ns)
{
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000};
	struct zh_engine_opts tuning;

	memset(c, 0, sizeof(*c));
	faults.delay_ns = delay_ns;
	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = poll_ns;
	tuning.yield_wait = false;
	start_engine_tuned(1, &tuning, &faults);
	cr_assert_eq(zh_engine_post(engine, 0, start, c), 0);
	wait_flag(&c->read_done);
	stop_engine();
	cr_assert_eq(c->res, 4096);
	cr_assert_eq(atomic_load(&c->timer.done), 1);
	cr_assert_geq(c->timer.fired_at, c->timer.deadline);
}

Test(engine_reactor, a_timer_fires_while_slow_io_is_in_flight, .timeout = 30)
{
	static struct slow_io_timer c;

	slow_io_run(&c, slow_io_start, 2000000000, 0);
	cr_assert_lt(c.timer.fired_at, c.read_done_at, "fired %llu ms after arming, with the read",
		     (unsigned long long)((c.timer.fired_at - c.timer.armed_at) / 1000000));
}

/*
 * A busy poll ends at the next timer's deadline: with a slow read in flight, the longest poll
 * the options allow (10 ms) and a timer 1 ms away, the timer is not held up by the poll. Up to
 * five fresh engines (a poll that runs out backs off the next wait's), the best of them, so that
 * a reactor preempted for a few milliseconds does not decide it.
 */
static uint64_t timer_late_ns_while_polling(void)
{
	static struct slow_io_timer c;

	slow_io_run(&c, slow_io_start_polled, 300000000, ZH_ENGINE_BUSY_POLL_MAX_NS);
	return c.timer.fired_at - c.timer.deadline;
}

Test(engine_reactor, a_busy_poll_ends_at_the_next_timer, .timeout = 30)
{
	uint64_t best = UINT64_MAX;

	/* Up to five, until one fires in time: a poll that ignores the timer never does. */
	for (unsigned run = 0; run < 5 && best >= ZH_ENGINE_BUSY_POLL_MAX_NS / 2; run++) {
		uint64_t late = timer_late_ns_while_polling();

		best = late < best ? late : best;
	}
	cr_assert_lt(best, ZH_ENGINE_BUSY_POLL_MAX_NS / 2, "fired %llu us late at best",
		     (unsigned long long)(best / 1000));
}

/* A reactor told to stop with slow I/O in flight sleeps until it completes; it used to spin. */
static void slow_read_start(struct zh_reactor *r, void *arg)
{
	struct slow_io_timer *c = arg;

	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &c->buf) == 0);
	ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 0, &c->io, slow_io_read_done) == 0);
	atomic_store(&c->timer.done, 1);
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

Test(engine_reactor, a_stopping_reactor_sleeps_through_its_last_io, .timeout = 30)
{
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000, .delay_ns = 500000000};
	static struct slow_io_timer c;
	struct zh_engine_opts tuning;
	uint64_t cpu_ns;

	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = 0;
	tuning.yield_wait = false;
	start_engine_tuned(1, &tuning, &faults);
	cr_assert_eq(zh_engine_post(engine, 0, slow_read_start, &c), 0);
	wait_flag(&c.timer.done);
	cpu_ns = process_cpu_ns();
	stop_engine();
	cpu_ns = process_cpu_ns() - cpu_ns;
	cr_assert_eq(atomic_load(&c.read_done), 1, "stopped before its read completed");
	cr_assert_eq(c.res, 4096);
	/* Spinning, the 500 ms drain cost about 500 ms of CPU; sleeping, a few. */
	cr_assert_lt(cpu_ns, 250000000ull, "%llu ms of CPU to stop",
		     (unsigned long long)(cpu_ns / 1000000));
}

/* A timer re-armed for "now" from its callback fires once per loop iteration, not in a burst. */
#define REARM_FIRES 32

struct rearm_ctx {
	struct zh_timer timer;
	uint64_t loops[REARM_FIRES];
	unsigned fired;
	_Atomic int done;
};

static void rearm_fired(struct zh_reactor *r, struct zh_timer *t)
{
	struct rearm_ctx *c = ZH_CONTAINER_OF(t, struct rearm_ctx, timer);
	struct zh_reactor_stats stats;

	zh_reactor_stats_get(r, &stats);
	c->loops[c->fired++] = stats.loops;
	if (c->fired == REARM_FIRES) {
		atomic_store(&c->done, 1);
		return;
	}
	ZH_ASSERT(zh_reactor_timer_start(r, t, zh_reactor_now_ns(r), rearm_fired) == 0);
}

static void rearm_start(struct zh_reactor *r, void *arg)
{
	struct rearm_ctx *c = arg;

	zh_timer_init(&c->timer);
	ZH_ASSERT(zh_reactor_timer_start(r, &c->timer, zh_reactor_now_ns(r), rearm_fired) == 0);
}

Test(engine_reactor, a_timer_rearmed_for_now_waits_for_the_next_iteration, .timeout = 30)
{
	static struct rearm_ctx c;
	struct zh_engine_opts tuning;

	zh_engine_opts_default(&tuning);
	tuning.timers_max = 64; /* room for a burst, had the loop allowed one */
	start_engine_tuned(1, &tuning, NULL);
	cr_assert_eq(zh_engine_post(engine, 0, rearm_start, &c), 0);
	wait_flag(&c.done);
	stop_engine();
	for (unsigned i = 1; i < REARM_FIRES; i++)
		cr_assert_gt(c.loops[i], c.loops[i - 1], "fires %u and %u in loop %llu", i - 1, i,
			     (unsigned long long)c.loops[i]);
}

/* The largest SQ the options take starts: its CQ (4x) is clamped to the kernel's limit. */
Test(engine_reactor, the_largest_submission_queue_starts, .timeout = 30)
{
	struct zh_engine_opts tuning;

	zh_engine_opts_default(&tuning);
	tuning.sq_entries = 32768; /* ZH_ENGINE_SQ_MAX */
	start_engine_tuned(1, &tuning, NULL);
	stop_engine();
}

/* ---- cross-core messages ------------------------------------------------------------------ */

Test(engine_reactor, messages_cross_cores_in_both_directions, .timeout = 60)
{
	struct ping_pong_result r = ping_pong_run(20000);

	if (r.create_rc == -ENODEV)
		cr_skip_test("needs 2 cores");
	cr_assert_eq(r.create_rc, 0);
	cr_assert(r.finished);
	/* Reactor 1 got the first message and every reply from reactor 0. */
	cr_assert_eq(r.count[0], 20000);
	cr_assert_eq(r.count[1], 20000);
}

Test(engine_reactor, control_posts_meet_backpressure_and_all_arrive, .timeout = 60)
{
	struct post_storm_result r = post_storm_run(200000);

	if (r.create_rc == -ENODEV)
		cr_skip_test("needs 2 cores");
	cr_assert_eq(r.create_rc, 0);
	cr_assert_eq(r.posted, 200000);
	cr_assert_eq(r.handled[0] + r.handled[1], 200000, "messages lost");
	cr_assert_eq(r.handled[0], 100000);
	cr_assert_gt(r.refused, 0, "an 8-entry ring never filled");
}

Test(engine_reactor, create_refuses_bad_options)
{
	struct zh_engine_opts opts;
	struct zh_engine *e;
	const uint16_t cpus[2] = {0, 0};

	zh_engine_opts_default(&opts);
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "no cores");
	opts.cpus = cpus;
	opts.cpu_count = 2;
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "a core listed twice");
	opts.cpu_count = 1;
	opts.sq_entries = 100;
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "SQ size not a power of two");
	opts.sq_entries = 256;
	opts.busy_poll_ns = ZH_ENGINE_BUSY_POLL_MAX_NS + 1;
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "busy poll beyond its bound");
	opts.busy_poll_ns = 0;
	opts.gather_ns = ZH_ENGINE_GATHER_MAX_NS + 1;
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "gathering beyond its bound");
	opts.gather_ns = 0;
	opts.buf_count[ZH_BUF_CLASS_1M] = 1025;
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "a pool class over 1 GiB");
}

Test(engine_reactor, create_reports_a_missing_core)
{
	struct zh_engine_opts opts;
	struct zh_engine *e;
	const uint16_t cpus[1] = {1000};

	zh_engine_opts_default(&opts);
	opts.cpus = cpus;
	opts.cpu_count = 1;
	cr_assert_eq(zh_engine_create(&opts, &e), -ENOENT);
}

/*
 * A transfer longer than its buffer is the caller's bug, and would have run into the next
 * buffer of the class's registered region (the kernel checks only the region): it aborts.
 */
static int overlong_rc;

static void overlong_read(struct zh_reactor *r, void *arg)
{
	static struct zh_io io;
	struct zh_buf *buf;

	(void)arg;
	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &buf) == 0);
	ZH_ASSERT(buf->size_bytes == 4096);
	/* Returning at all (queued or refused) leaves the test waiting for an abort that never
	 * comes. */
	overlong_rc = zh_reactor_read(r, 0, buf, 8192, 0, &io, never_called);
}

Test(engine_reactor, a_transfer_longer_than_its_buffer_aborts, .signal = SIGABRT, .timeout = 30)
{
	_Atomic int never = 0;

	start_engine(1);
	cr_assert_eq(zh_engine_post(engine, 0, overlong_read, NULL), 0);
	wait_flag(&never);
}

/* ---- pinning policy ------------------------------------------------------------------------- */

struct affinity_probe {
	int cores;
	_Atomic int done;
};

static void affinity_read(struct zh_reactor *r, void *arg)
{
	struct affinity_probe *p = arg;
	cpu_set_t mask;

	(void)r;
	ZH_ASSERT(sched_getaffinity(0, sizeof(mask), &mask) == 0);
	p->cores = CPU_COUNT(&mask);
	atomic_store(&p->done, 1);
}

static int reactor_core_count(enum zh_engine_pin pin)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	struct zh_engine_opts opts;
	struct zh_engine *e;
	static struct affinity_probe p;

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh_numa_topo_allowed_cpus(topo, &cpus), 0);
	zh_numa_topo_destroy(topo);
	zh_engine_opts_default(&opts);
	opts.cpus = cpus.cpus;
	opts.cpu_count = 1;
	opts.pin = pin;
	cr_assert_eq(zh_engine_create(&opts, &e), 0);
	atomic_store(&p.done, 0);
	cr_assert_eq(zh_engine_post(e, 0, affinity_read, &p), 0);
	wait_flag(&p.done);
	zh_engine_destroy(e);
	return p.cores;
}

Test(engine_reactor, pin_core_binds_one_core_and_pin_node_binds_the_node, .timeout = 30)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	int node_cores = 0;

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh_numa_topo_allowed_cpus(topo, &cpus), 0);
	for (uint32_t i = 0; i < cpus.count; i++)
		node_cores += zh_numa_topo_cpu_node(topo, cpus.cpus[i]) ==
			      zh_numa_topo_cpu_node(topo, cpus.cpus[0]);
	zh_numa_topo_destroy(topo);
	cr_assert_eq(reactor_core_count(ZH_ENGINE_PIN_CORE), 1);
	cr_assert_eq(reactor_core_count(ZH_ENGINE_PIN_NODE), node_cores);
}

Test(engine_reactor, submit_batch_larger_than_the_queue_is_refused)
{
	struct zh_engine_opts opts;
	struct zh_engine *e;
	const uint16_t cpus[1] = {0};

	zh_engine_opts_default(&opts);
	cr_assert_eq(opts.submit_batch, 4);
	opts.cpus = cpus;
	opts.cpu_count = 1;
	opts.submit_batch = opts.sq_entries + 1;
	cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL);
}

/* ---- scheduling policy (zh_engine_opts.sched_batch) ---------------------------------------- */

struct sched_probe {
	struct zh_io io;
	int reactor_policy;
	uint64_t reactor_slice_ns;
	pid_t reactor_tid;
	int flush_res;
	_Atomic int done;
};

/*
 * Thread \p tid's scheduler slice: a fair thread's sched_runtime, which kernels with custom
 * slices (6.12 on) report and older ones leave 0.
 */
static uint64_t thread_slice_ns(pid_t tid)
{
	struct zh_thread_sched sched;

	ZH_ASSERT(zh_thread_sched_get(tid, &sched) == 0);
	return sched.slice_ns;
}

static void sched_flush_done(struct zh_reactor *r, struct zh_io *io)
{
	struct sched_probe *p = ZH_CONTAINER_OF(io, struct sched_probe, io);

	(void)r;
	p->flush_res = io->res;
	atomic_store(&p->done, 1);
}

/* A flush: io_uring cannot run an fsync without blocking, so an io-wq worker runs it. */
static void sched_probe_start(struct zh_reactor *r, void *arg)
{
	struct sched_probe *p = arg;

	p->reactor_policy = sched_getscheduler(0);
	p->reactor_slice_ns = thread_slice_ns(0);
	p->reactor_tid = gettid();
	ZH_ASSERT(zh_reactor_flush(r, 0, &p->io, sched_flush_done) == 0);
}

/*
 * The io-wq workers thread \p tid created ("iou-wrk-<tid>"): how many, and how many run
 * \p policy with a slice of \p slice_ns (any slice for 0).
 */
static unsigned iowq_workers(pid_t tid, int policy, uint64_t slice_ns, unsigned *with_policy)
{
	char want[32], path[300], comm[32];
	unsigned found = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	cr_assert_not_null(d);
	snprintf(want, sizeof(want), "iou-wrk-%d\n", (int)tid);
	*with_policy = 0;
	while ((e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL && strcmp(comm, want) == 0) {
			pid_t worker = (pid_t)atoi(e->d_name);

			found++;
			*with_policy += sched_getscheduler(worker) == policy &&
					(slice_ns == 0 || thread_slice_ns(worker) == slice_ns);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/*
 * A reactor with \p batch and \p slice_ns runs \p policy, and so do its io-wq workers, with
 * that slice where the kernel has custom slices (0: whatever slice).
 */
static void sched_expect(bool batch, uint64_t slice_ns, int policy)
{
	static struct sched_probe p;
	struct zh_engine_opts tuning;
	unsigned workers, with_policy;
	uint64_t want_slice_ns = thread_slice_ns(0) != 0 ? slice_ns : 0;

	zh_engine_opts_default(&tuning);
	tuning.sched_batch = batch;
	tuning.sched_slice_ns = slice_ns;
	start_engine_tuned(1, &tuning, NULL);
	memset(&p, 0, sizeof(p));
	cr_assert_eq(zh_engine_post(engine, 0, sched_probe_start, &p), 0);
	wait_flag(&p.done);
	cr_assert_eq(p.flush_res, 0);
	cr_assert_eq(p.reactor_policy, policy, "reactor policy %d, want %d", p.reactor_policy,
		     policy);
	if (want_slice_ns != 0)
		cr_assert_eq(p.reactor_slice_ns, want_slice_ns, "reactor slice %llu ns, want %llu",
			     (unsigned long long)p.reactor_slice_ns,
			     (unsigned long long)want_slice_ns);
	/* Workers linger idle for seconds after their work: still there while the engine is. */
	workers = iowq_workers(p.reactor_tid, policy, want_slice_ns, &with_policy);
	stop_engine();
	cr_assert_geq(workers, 1, "the flush ran on no io-wq worker of the reactor");
	cr_assert_eq(with_policy, workers, "%u of %u io-wq workers run policy %d (slice %llu)",
		     with_policy, workers, policy, (unsigned long long)want_slice_ns);
}

Test(engine_reactor, sched_batch_covers_the_reactor_and_its_io_wq_workers, .timeout = 30)
{
	sched_expect(true, 0, SCHED_BATCH);
}

Test(engine_reactor, reactors_keep_the_normal_policy_by_default, .timeout = 30)
{
	struct zh_engine_opts opts;

	zh_engine_opts_default(&opts);
	cr_assert_not(opts.sched_batch);
	cr_assert_eq(opts.sched_slice_ns, 0);
	sched_expect(false, 0, SCHED_OTHER);
}

Test(engine_reactor, a_sched_slice_covers_the_reactor_and_its_io_wq_workers, .timeout = 30)
{
	if (thread_slice_ns(0) == 0)
		cr_log_info("this kernel has no custom slices: only the policy is checked");
	sched_expect(true, 250 * 1000, SCHED_BATCH);
}

Test(engine_reactor, a_sched_slice_applies_without_sched_batch, .timeout = 30)
{
	sched_expect(false, ZH_ENGINE_SLICE_MIN_NS, SCHED_OTHER);
}

Test(engine_reactor, thread_sched_get_reports_the_policy_and_refuses_a_missing_thread)
{
	struct zh_thread_sched sched = {.policy = -1};

	cr_assert_eq(zh_thread_sched_get(0, &sched), 0);
	cr_assert_eq(sched.policy, sched_getscheduler(0));
	/* Pids never go this high (pid_max is at most 2^22). */
	cr_assert_eq(zh_thread_sched_get(1 << 30, &sched), -ESRCH);
}

Test(engine_reactor, a_sched_slice_outside_the_kernels_bounds_is_refused)
{
	static const uint16_t cpus[] = {0};
	static const uint64_t bad[] = {1, ZH_ENGINE_SLICE_MIN_NS - 1, ZH_ENGINE_SLICE_MAX_NS + 1};
	struct zh_engine_opts opts;
	struct zh_engine *e = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zh_engine_opts_default(&opts);
		opts.cpus = cpus;
		opts.cpu_count = 1;
		opts.sched_slice_ns = bad[i];
		cr_assert_eq(zh_engine_create(&opts, &e), -EINVAL, "slice %llu ns",
			     (unsigned long long)bad[i]);
		cr_assert_null(e);
	}
}

/* ---- busy polling ------------------------------------------------------------------------- */

/*
 * One read at a time, each delayed 2 ms by the device's fault injection, optionally with
 * control-thread messages arriving meanwhile. Nothing may be lost whichever way the reactor
 * waits; its counters say how it waited.
 */
#define CHAIN_READS 40

struct chain {
	struct zh_io io;
	struct zh_buf *buf;
	unsigned left;
	unsigned failed;
	struct zh_reactor_stats stats;
	_Atomic int done;
};

static _Atomic unsigned chain_msgs;

static void chain_next(struct zh_reactor *r, struct zh_io *io)
{
	struct chain *c = ZH_CONTAINER_OF(io, struct chain, io);

	c->failed += io->res != 4096;
	if (--c->left == 0) {
		zh_reactor_buf_put(r, c->buf);
		zh_reactor_stats_get(r, &c->stats);
		atomic_store(&c->done, 1);
		return;
	}
	ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 4096ull * c->left, io, chain_next) == 0);
}

static void chain_start(struct zh_reactor *r, void *arg)
{
	struct chain *c = arg;

	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &c->buf) == 0);
	ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 0, &c->io, chain_next) == 0);
}

static void chain_count_msg(struct zh_reactor *r, void *arg)
{
	(void)r;
	(void)arg;
	atomic_fetch_add(&chain_msgs, 1);
}

/* The chain on one reactor set up with \p tuning, its device with \p faults (or none). */
static struct chain chain_run_tuned(const struct zh_engine_opts *tuning,
				    struct zh_nvme_faults *faults, bool post_msgs)
{
	struct timespec pause = {.tv_nsec = 200000};
	struct chain c = {.left = CHAIN_READS};
	unsigned posted = 0;

	atomic_store(&chain_msgs, 0);
	start_engine_tuned(1, tuning, faults);
	cr_assert_eq(zh_engine_post(engine, 0, chain_start, &c), 0);
	while (atomic_load(&c.done) == 0) {
		if (post_msgs && zh_engine_post(engine, 0, chain_count_msg, NULL) == 0)
			posted++;
		nanosleep(&pause, NULL);
	}
	for (int i = 0; i < 50000 && atomic_load(&chain_msgs) != posted; i++)
		nanosleep(&pause, NULL);
	stop_engine();
	cr_assert_eq(c.failed, 0, "a delayed read failed");
	cr_assert_eq(atomic_load(&chain_msgs), posted, "messages lost");
	cr_assert(!post_msgs || posted > 0);
	return c;
}

/* Every read delayed 2 ms; the reactor busy-polls for up to \p busy_poll_ns. */
static struct chain chain_run(uint32_t busy_poll_ns, bool post_msgs)
{
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000, .delay_ns = 2000000};
	struct zh_engine_opts tuning;

	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = busy_poll_ns;
	return chain_run_tuned(&tuning, &faults, post_msgs);
}

Test(engine_reactor, busy_poll_takes_completions_without_sleeping, .timeout = 60)
{
	struct chain c;

	/* A read takes 2 ms against a 10 ms window: only a preempted reactor could miss one. Up
	 * to three runs, until one has most reads hit: a reactor that sleeps never does. */
	for (unsigned run = 0; run < 3; run++) {
		c = chain_run(ZH_ENGINE_BUSY_POLL_MAX_NS, true);
		if (c.stats.polls_hit >= CHAIN_READS / 2 && c.stats.sleeps < CHAIN_READS / 2)
			break;
	}
	cr_assert_geq(c.stats.polls_hit, CHAIN_READS / 2, "hits %llu",
		      (unsigned long long)c.stats.polls_hit);
	cr_assert_lt(c.stats.sleeps, CHAIN_READS / 2, "sleeps %llu",
		     (unsigned long long)c.stats.sleeps);
}

Test(engine_reactor, without_busy_poll_a_reactor_sleeps_for_each_slow_read, .timeout = 60)
{
	struct chain c = chain_run(0, true);

	cr_assert_eq(c.stats.polls_hit + c.stats.polls_missed, 0);
	cr_assert_eq(c.stats.yields_hit + c.stats.yields_missed, 0, "yield_wait is off by default");
	cr_assert_geq(c.stats.sleeps, CHAIN_READS, "sleeps %llu",
		      (unsigned long long)c.stats.sleeps);
}

/* ---- yielding before sleeping (zh_engine_opts.yield_wait) ---------------------------------- */

Test(engine_reactor, yield_waits_that_find_nothing_back_off, .timeout = 60)
{
	/* The 2 ms delay is a kernel timer: no thread of ours runs meanwhile, so each yield comes
	   back at once with nothing done. As with polls, the 40 waits yield at waits 1, 3, 6, 11,
	   20 and 37 only; a hit (a reactor preempted past the delay) restarts the back-off. */
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000, .delay_ns = 2000000};
	struct zh_engine_opts tuning;
	struct chain c;
	unsigned long long hits;

	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = 0;
	tuning.yield_wait = true;
	c = chain_run_tuned(&tuning, &faults, true);
	hits = c.stats.yields_hit;
	cr_assert_geq(c.stats.yields_missed, 1);
	cr_assert_leq(c.stats.yields_missed, 12 + 6 * hits, "misses %llu, hits %llu",
		      (unsigned long long)c.stats.yields_missed, hits);
	cr_assert_geq(c.stats.sleeps + hits, CHAIN_READS - 1, "sleeps %llu, hits %llu",
		      (unsigned long long)c.stats.sleeps, hits);
}

Test(engine_reactor, a_yield_hands_the_core_to_the_io_wq_worker_sharing_it, .timeout = 60)
{
	/* tmpfs reads go to an io-wq worker, which the core-pinned reactor created and which
	   therefore runs on the reactor's core only: the reactor's yield lets it do the read. */
	struct zh_engine_opts tuning;
	struct chain c;

	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = 0;
	tuning.sched_batch = true;
	tuning.yield_wait = true;
	next_devices_on_tmpfs();
	c = chain_run_tuned(&tuning, NULL, false);
	cr_assert_geq(c.stats.yields_hit, 1, "hits %llu, misses %llu, sleeps %llu",
		      (unsigned long long)c.stats.yields_hit,
		      (unsigned long long)c.stats.yields_missed,
		      (unsigned long long)c.stats.sleeps);
}

/*
 * SHARE_SLOTS tmpfs reads kept in flight by a core-pinned reactor, each completion queueing
 * the next read of its slot until SHARE_READS are done: the io-wq worker that does the reads
 * shares the reactor's core (design note 12).
 */
#define SHARE_SLOTS 16
#define SHARE_READS 20000

struct share_run {
	struct zh_io io[SHARE_SLOTS];
	struct zh_buf *buf;
	unsigned issued;
	unsigned completed;
	unsigned failed;
	struct zh_reactor_stats stats;
	_Atomic int done;
};

static struct share_run share_run;

static void share_read(struct zh_reactor *r, struct zh_io *io);

static void share_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct share_run *s = &share_run;

	s->failed += io->res != 4096;
	s->completed++;
	if (s->issued < SHARE_READS) {
		share_read(r, io);
		return;
	}
	if (s->completed == SHARE_READS) {
		zh_reactor_buf_put(r, s->buf);
		zh_reactor_stats_get(r, &s->stats);
		atomic_store(&s->done, 1);
	}
}

static void share_read(struct zh_reactor *r, struct zh_io *io)
{
	uint64_t offset = 4096ull * (share_run.issued++ % (DEV_BYTES / 4096));

	ZH_ASSERT(zh_reactor_read(r, 0, share_run.buf, 4096, offset, io, share_read_done) == 0);
}

static void share_start(struct zh_reactor *r, void *arg)
{
	struct share_run *s = arg;

	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &s->buf) == 0);
	for (unsigned i = 0; i < SHARE_SLOTS; i++)
		share_read(r, &s->io[i]);
}

/* The slots on /dev/shm, submitting every request as it is queued (submit_batch 1). */
static void share_run_on_tmpfs(bool yield_wait)
{
	struct zh_engine_opts tuning;

	memset(&share_run, 0, sizeof(share_run));
	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = 0;
	tuning.sched_batch = true;
	tuning.yield_wait = yield_wait;
	tuning.submit_batch = 1;
	next_devices_on_tmpfs();
	start_engine_tuned(1, &tuning, NULL);
	cr_assert_eq(zh_engine_post(engine, 0, share_start, &share_run), 0);
	wait_flag(&share_run.done);
	stop_engine();
	cr_assert_eq(share_run.failed, 0, "a read failed");
}

Test(engine_reactor, a_reactor_whose_completer_shares_its_core_does_not_submit_early, .timeout = 60)
{
	unsigned long long enters;

	/* Without yields nothing tells where the completer runs: every queued read is an enter. */
	share_run_on_tmpfs(false);
	enters = (unsigned long long)share_run.stats.enters;
	cr_assert_geq(enters, SHARE_READS - SHARE_SLOTS, "enters %llu", enters);
	/*
	 * Yielding, the worker runs while the reactor yields, and the reactor finds its reads
	 * done when the yield returns: the reads queued in the reap then go out together (about
	 * 0.1 enters per read at depth 32 in zhtp-bench). Half leaves room for yields that came
	 * back alone on a loaded machine, each of which lets early submits run until a yield hits.
	 */
	for (unsigned run = 0; run < 3; run++) {
		share_run_on_tmpfs(true);
		enters = (unsigned long long)share_run.stats.enters;
		if (enters < SHARE_READS / 2)
			break; /* else a loaded machine's yields came back alone: up to three runs
				*/
	}
	cr_assert_lt(enters, SHARE_READS / 2, "enters %llu, yields hit %llu, missed %llu", enters,
		     (unsigned long long)share_run.stats.yields_hit,
		     (unsigned long long)share_run.stats.yields_missed);
}

Test(engine_reactor, busy_polls_that_run_out_back_off, .timeout = 60)
{
	/* 100 us windows against 2 ms reads: every poll runs out. Without the back-off each of
	   the 40 waits would poll; with it they poll at waits 1, 3, 6, 11, 20 and 37. A reactor
	   preempted between its submit and its poll finds the read done: a hit, which starts the
	   back-off again (6 more polls at most) and saves a sleep. */
	struct chain c = chain_run(100000, false);
	unsigned long long hits = c.stats.polls_hit;

	cr_assert_geq(c.stats.polls_missed, 1);
	cr_assert_leq(c.stats.polls_missed, 12 + 6 * hits, "misses %llu, hits %llu",
		      (unsigned long long)c.stats.polls_missed, hits);
	cr_assert_geq(c.stats.sleeps + hits, CHAIN_READS - 1, "sleeps %llu, hits %llu",
		      (unsigned long long)c.stats.sleeps, hits);
}

/*
 * Time idle with I/O in flight is time waiting on the devices, polled or slept: at least most
 * of the 40 reads' 2 ms each, at most the run. An idle reactor with nothing in flight waits on
 * nothing.
 */
static void stats_msg(struct zh_reactor *r, void *arg)
{
	struct chain *c = arg;

	zh_reactor_stats_get(r, &c->stats);
	atomic_store(&c->done, 1);
}

Test(engine_reactor, time_idle_with_io_in_flight_is_io_wait, .timeout = 60)
{
	const uint64_t reads_ns = CHAIN_READS * 2000000ull;
	struct timespec idle = {.tv_nsec = 50000000};
	struct chain quiet = {0};
	uint32_t polls[] = {0, ZH_ENGINE_BUSY_POLL_MAX_NS};

	for (unsigned i = 0; i < 2; i++) {
		struct chain c;

		/* Up to three runs for the lower bound: a reactor preempted between a submit and
		 * its wait finds that read done, and counts none of its time. */
		for (unsigned run = 0; run < 3; run++) {
			uint64_t t0 = zh_clock_ns();
			uint64_t run_ns;

			c = chain_run(polls[i], false);
			run_ns = zh_clock_ns() - t0;
			cr_assert_leq(c.stats.io_wait_ns, run_ns);
			if (c.stats.io_wait_ns >= reads_ns * 9 / 10)
				break;
		}
		cr_assert_geq(c.stats.io_wait_ns, reads_ns * 9 / 10, "busy_poll %u: waited %llu ns",
			      polls[i], (unsigned long long)c.stats.io_wait_ns);
	}
	start_engine(1);
	nanosleep(&idle, NULL);
	cr_assert_eq(zh_engine_post(engine, 0, stats_msg, &quiet), 0);
	while (atomic_load(&quiet.done) == 0)
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	stop_engine();
	cr_assert_eq(quiet.stats.io_wait_ns, 0);
}

/* ---- batch levels --------------------------------------------------------------------------- */

Test(engine_reactor, batch_levels_are_fios)
{
	static const struct {
		uint32_t n;
		unsigned level;
	} cases[] = {{0, 0},  {1, 1},  {4, 1},	{5, 2},	 {8, 2},  {9, 3},	  {16, 3},
		     {17, 4}, {32, 4}, {33, 5}, {64, 5}, {65, 6}, {UINT32_MAX, 6}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(zh_batch_level(cases[i].n), cases[i].level, "%u: level %u, want %u",
			     cases[i].n, zh_batch_level(cases[i].n), cases[i].level);
}

/*
 * One message queues a burst of reads, which the submission after the message sends in one
 * enter: counted once, at the burst's level. Their completions are counted by reap, each at
 * the level of what it took, so the reaps' levels must hold every read. The wake-up that
 * carried the message is no request: its read's completion and its re-arming count nowhere
 * (they made a depth-4 job show batches of 5-8).
 */
#define BURST_READS 8 /* the top of its level: one entry more would be the next */

struct burst {
	struct zh_io io[BURST_READS];
	struct zh_buf *buf[BURST_READS];
	unsigned left;
	unsigned failed;
	struct zh_reactor_stats before, after;
	_Atomic int done, counted;
};

static struct burst burst;

static void burst_read_done(struct zh_reactor *r, struct zh_io *io)
{
	unsigned i = (unsigned)(io - burst.io);

	burst.failed += io->res != 4096;
	zh_reactor_buf_put(r, burst.buf[i]);
	if (--burst.left == 0)
		atomic_store(&burst.done, 1);
}

static void burst_start(struct zh_reactor *r, void *arg)
{
	(void)arg;
	zh_reactor_stats_get(r, &burst.before);
	for (unsigned i = 0; i < BURST_READS; i++) {
		ZH_ASSERT(zh_reactor_buf_get(r, 4096, &burst.buf[i]) == 0);
		ZH_ASSERT(zh_reactor_read(r, 0, burst.buf[i], 4096, 4096ull * i, &burst.io[i],
					  burst_read_done) == 0);
	}
}

static void burst_count(struct zh_reactor *r, void *arg)
{
	(void)arg;
	zh_reactor_stats_get(r, &burst.after);
	atomic_store(&burst.counted, 1);
}

Test(engine_reactor, submissions_and_reaps_are_counted_by_batch_level, .timeout = 30)
{
	static const uint32_t most[ZH_BATCH_LEVELS] = {0, 4, 8, 16, 32, 64, UINT32_MAX};
	const unsigned burst_level = zh_batch_level(BURST_READS);
	uint64_t submits[ZH_BATCH_LEVELS], reaps[ZH_BATCH_LEVELS], room = 0;

	burst.left = BURST_READS;
	start_engine(1);
	cr_assert_eq(zh_engine_post(engine, 0, burst_start, NULL), 0);
	wait_flag(&burst.done);
	cr_assert_eq(zh_engine_post(engine, 0, burst_count, NULL), 0);
	wait_flag(&burst.counted);
	stop_engine();
	cr_assert_eq(burst.failed, 0);
	for (unsigned l = 0; l < ZH_BATCH_LEVELS; l++) {
		submits[l] = burst.after.submit_levels[l] - burst.before.submit_levels[l];
		reaps[l] = burst.after.reap_levels[l] - burst.before.reap_levels[l];
		room += reaps[l] * (most[l] > BURST_READS ? BURST_READS : most[l]);
	}
	for (unsigned l = 0; l < ZH_BATCH_LEVELS; l++) {
		cr_assert_eq(submits[l], l == burst_level ? 1 : 0, "level %u: %llu enters", l,
			     (unsigned long long)submits[l]);
		cr_assert(l <= burst_level || reaps[l] == 0, "level %u: %llu reaps", l,
			  (unsigned long long)reaps[l]);
	}
	cr_assert_eq(reaps[0], 0);
	cr_assert_geq(room, BURST_READS, "reaps hold %llu completions of %u",
		      (unsigned long long)room, BURST_READS);
}

/* ---- the completion clock ------------------------------------------------------------------ */

/*
 * Requests failed by fault injection complete inside the enter that submits them. With
 * submit_batch 1, every completion's callback submits the next request of its chain at once,
 * and a later round of the same reap finds its completion. The clock a callback reads must
 * not be older than its request's submission: it was, and zhtp-bench printed a clat of minus
 * a few microseconds as 2^64 ns.
 */
#define CLOCK_CHAINS 128
#define CLOCK_LINKS  8

struct clock_run {
	struct zh_io io[CLOCK_CHAINS];
	unsigned left[CLOCK_CHAINS];
	struct zh_buf *buf;
	unsigned running;
	unsigned completed;
	unsigned backwards; /* completions whose clock read before their submission */
	unsigned not_eio;
	_Atomic int done;
};

static struct clock_run clock_run;

static void clock_link_done(struct zh_reactor *r, struct zh_io *io)
{
	struct clock_run *c = &clock_run;
	unsigned chain = (unsigned)(io - c->io);

	c->completed++;
	c->backwards += zh_reactor_now_ns(r) < io->submit_ns;
	c->not_eio += io->res != -EIO;
	if (--c->left[chain] > 0) {
		ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 0, io, clock_link_done) == 0);
		return;
	}
	if (--c->running == 0) {
		zh_reactor_buf_put(r, c->buf);
		atomic_store(&c->done, 1);
	}
}

static void clock_start(struct zh_reactor *r, void *arg)
{
	struct clock_run *c = arg;

	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &c->buf) == 0);
	c->running = CLOCK_CHAINS;
	for (unsigned i = 0; i < CLOCK_CHAINS; i++) {
		c->left[i] = CLOCK_LINKS;
		ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 0, &c->io[i], clock_link_done) == 0);
	}
}

Test(engine_reactor, completion_clock_never_precedes_submission, .timeout = 60)
{
	static struct zh_nvme_faults faults = {.eio_ppm = 1000000};
	struct zh_engine_opts tuning;

	zh_engine_opts_default(&tuning);
	tuning.submit_batch = 1;
	start_engine_tuned(1, &tuning, &faults);
	cr_assert_eq(zh_engine_post(engine, 0, clock_start, &clock_run), 0);
	wait_flag(&clock_run.done);
	stop_engine();
	cr_assert_eq(clock_run.completed, CLOCK_CHAINS * CLOCK_LINKS);
	cr_assert_eq(clock_run.not_eio, 0);
	cr_assert_eq(clock_run.backwards, 0,
		     "%u of %u completions read a clock older than their "
		     "submission",
		     clock_run.backwards, clock_run.completed);
}

/*
 * A fault limit: of LIMIT_READS reads, all drawn to fail, the first LIMIT_FAULTS fail and the
 * rest reach the device; `injected` says how many were caught.
 */
#define LIMIT_READS  12
#define LIMIT_FAULTS 5

struct limit_run {
	struct zh_io io[LIMIT_READS];
	struct zh_buf *buf;
	unsigned left, eio, read;
	_Atomic int done;
};

static struct limit_run limit_run;

static void limit_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct limit_run *c = &limit_run;

	c->eio += io->res == -EIO;
	c->read += io->res == 4096;
	if (--c->left == 0) {
		zh_reactor_buf_put(r, c->buf);
		atomic_store(&c->done, 1);
	}
}

static void limit_start(struct zh_reactor *r, void *arg)
{
	struct limit_run *c = arg;

	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &c->buf) == 0);
	c->left = LIMIT_READS;
	for (unsigned i = 0; i < LIMIT_READS; i++)
		ZH_ASSERT(zh_reactor_read(r, 0, c->buf, 4096, 0, &c->io[i], limit_read_done) == 0);
}

Test(engine_reactor, a_fault_limit_fails_that_many_requests_and_no_more, .timeout = 30)
{
	static struct zh_nvme_faults faults = {.eio_ppm = 1000000, .limit = LIMIT_FAULTS};
	struct zh_engine_opts tuning;

	zh_engine_opts_default(&tuning);
	start_engine_tuned(1, &tuning, &faults);
	cr_assert_eq(zh_engine_post(engine, 0, limit_start, &limit_run), 0);
	wait_flag(&limit_run.done);
	stop_engine();
	cr_assert_eq(limit_run.eio, LIMIT_FAULTS);
	cr_assert_eq(limit_run.read, LIMIT_READS - LIMIT_FAULTS);
	cr_assert_eq(atomic_load(&faults.injected), LIMIT_FAULTS);
}

/* ---- what injected faults report ---------------------------------------------------------- */

/* A request of \p len_bytes on \p dev whose fault (as fault_apply draws it) reports \p fault_res.
 */
static int32_t faulted_result(const struct zh_nvme_dev *dev, uint32_t len_bytes, int32_t fault_res,
			      int32_t cqe_res)
{
	struct zh_io io = {.len_bytes = len_bytes, .fault_res = fault_res};

	return zh__io_result(dev, &io, cqe_res);
}

/*
 * A passthrough command's CQE reads 0 on success, whatever length it moved: a short or torn
 * request must still report its fault's length, not have it decoded as an NVMe status.
 */
Test(engine_reactor, injected_faults_report_their_lengths_on_passthrough_devices)
{
	struct zh_nvme_dev ng = {.backend = ZH_NVME_BACKEND_PASSTHRU, .block_bytes = 4096};

	cr_assert_eq(faulted_result(&ng, 12288, 8192, 0), 8192, "short: one block less");
	cr_assert_eq(faulted_result(&ng, 12288, 12288, 0), 12288, "torn: all of it");
	cr_assert_eq(faulted_result(&ng, 12288, -EIO, 0), -EIO);
	cr_assert_eq(faulted_result(&ng, 12288, 12288, 0x0281), -EIO, "a device error stands");
	cr_assert_eq(faulted_result(&ng, 12288, 0, 0), 12288, "no fault");
}

/* The FILE backend's CQE carries the length moved: a short request reports no more than that. */
Test(engine_reactor, injected_faults_report_their_lengths_on_file_devices)
{
	struct zh_nvme_dev file = {.backend = ZH_NVME_BACKEND_FILE, .block_bytes = 4096};

	cr_assert_eq(faulted_result(&file, 12288, 8192, 8192), 8192, "short");
	cr_assert_eq(faulted_result(&file, 12288, 8192, 4096), 4096, "short, and the device less");
	cr_assert_eq(faulted_result(&file, 12288, 12288, 4096), 12288, "torn: all of it");
	cr_assert_eq(faulted_result(&file, 12288, 12288, -ENOSPC), -ENOSPC);
	cr_assert_eq(faulted_result(&file, 12288, -EIO, 0), -EIO);
}

/* ---- gathering completions (gather_ns) ---------------------------------------------------- */

/*
 * GATHER_ROUNDS rounds of GATHER_READS reads started together on the file device, each delayed
 * GATHER_DELAY_NS by fault injection (a kernel timer, which flags completion work for the
 * reactor while it polls); a round starts when the last one has ended.
 */
#define GATHER_READS	16
#define GATHER_ROUNDS	10
#define GATHER_DELAY_NS 2000000u
#define GATHER_NS	500000u

struct gather_run {
	struct zh_io io[GATHER_READS];
	struct zh_buf *buf;
	unsigned round;
	unsigned left; /* reads of this round not yet completed */
	unsigned failed;
	unsigned slow; /* reads that took the delay and half the gathering at least */
	struct zh_reactor_stats stats;
	_Atomic int done;
};

static struct gather_run gather_run;

static void gather_start_round(struct zh_reactor *r, void *arg);

static void gather_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct gather_run *g = &gather_run;

	g->failed += io->res != 4096;
	g->slow += zh_reactor_now_ns(r) - io->submit_ns >= GATHER_DELAY_NS + GATHER_NS / 2;
	if (--g->left > 0)
		return;
	if (++g->round < GATHER_ROUNDS) {
		gather_start_round(r, g);
		return;
	}
	zh_reactor_buf_put(r, g->buf);
	zh_reactor_stats_get(r, &g->stats);
	atomic_store(&g->done, 1);
}

static void gather_start_round(struct zh_reactor *r, void *arg)
{
	struct gather_run *g = arg;

	if (g->buf == NULL)
		ZH_ASSERT(zh_reactor_buf_get(r, 4096, &g->buf) == 0);
	g->left = GATHER_READS;
	for (unsigned i = 0; i < GATHER_READS; i++)
		ZH_ASSERT(zh_reactor_read(r, 0, g->buf, 4096, 4096ull * i, &g->io[i],
					  gather_read_done) == 0);
}

/*
 * The rounds on one reactor that submits in batches of \p submit_batch, gathers for \p ns and
 * busy-polls for \p poll_ns.
 */
static void gather_rounds_polling(uint32_t submit_batch, uint32_t ns, uint32_t poll_ns)
{
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000, .delay_ns = GATHER_DELAY_NS};
	struct zh_engine_opts tuning;

	memset(&gather_run, 0, sizeof(gather_run));
	zh_engine_opts_default(&tuning);
	tuning.submit_batch = submit_batch;
	tuning.gather_ns = ns;
	tuning.busy_poll_ns = poll_ns;
	start_engine_tuned(1, &tuning, &faults);
	cr_assert_eq(zh_engine_post(engine, 0, gather_start_round, &gather_run), 0);
	wait_flag(&gather_run.done);
	stop_engine();
	cr_assert_eq(gather_run.failed, 0, "a gathered read failed");
}

/* Polling through the delay and the gathering: a sleeping reactor gathers nothing. */
static void gather_rounds(uint32_t submit_batch, uint32_t ns)
{
	gather_rounds_polling(submit_batch, ns, ZH_ENGINE_BUSY_POLL_MAX_NS);
}

Test(engine_reactor, flagged_completions_wait_to_gather, .timeout = 60)
{
	unsigned reads = GATHER_ROUNDS * GATHER_READS;

	/* Up to three runs, until one gathers in most rounds: a reactor that never waits to
	 * gather never does; a preempted one may miss in one run. */
	for (unsigned run = 0; run < 3; run++) {
		gather_rounds(4, GATHER_NS);
		if (gather_run.stats.gathers >= GATHER_ROUNDS / 2 && gather_run.slow >= reads / 2)
			break;
	}
	/*
	 * Each round's completions are flagged at least once while the reactor polls with 16 in
	 * flight (two batches of 4 and more), so each round gathers unless its polls ran out
	 * (a reactor preempted past the 10 ms window). A gathered take comes GATHER_NS after the
	 * flag at the soonest, so the reads it completes took the delay and that long at least
	 * (less the few microseconds between a read's timer starting and its submit stamp, which
	 * is taken when the submitting enter returns: hence half).
	 */
	cr_assert_geq(gather_run.stats.gathers, GATHER_ROUNDS / 2, "gathers %llu",
		      (unsigned long long)gather_run.stats.gathers);
	cr_assert_geq(gather_run.slow, reads / 2, "%u of %u reads waited for the gathering",
		      gather_run.slow, reads);
}

Test(engine_reactor, only_a_reactor_submitting_in_batches_gathers, .timeout = 60)
{
	gather_rounds(4, 0);
	cr_assert_eq(gather_run.stats.gathers, 0, "gathering is off by default");
	/* A job that submits one request at a time (fio's default) wants each completion. */
	gather_rounds(1, GATHER_NS);
	cr_assert_eq(gather_run.stats.gathers, 0);
	/* 16 in flight is not two batches of 16: the device would run dry while it waited. */
	gather_rounds(GATHER_READS, GATHER_NS);
	cr_assert_eq(gather_run.stats.gathers, 0);
	/* Without busy polling nothing tells that the completer runs on another core. */
	gather_rounds_polling(4, GATHER_NS, 0);
	cr_assert_eq(gather_run.stats.gathers, 0);
}

Test(engine_reactor, a_poll_that_ends_while_gathering_takes_the_work, .timeout = 60)
{
	/*
	 * A 2.5 ms window against reads that take 2 ms and a 1 ms gathering: the window ends while
	 * the first flagged work gathers. The poll takes it then, a hit, instead of counting a miss
	 * and sleeping through the next waits. A round whose timer came after the window (a loaded
	 * machine) misses instead, so only most rounds are asked for.
	 */
	for (unsigned run = 0; run < 3; run++) {
		gather_rounds_polling(4, ZH_ENGINE_GATHER_MAX_NS,
				      GATHER_DELAY_NS + GATHER_DELAY_NS / 4);
		if (gather_run.stats.gathers >= GATHER_ROUNDS / 2)
			break; /* else up to three runs */
	}
	cr_assert_geq(gather_run.stats.gathers, GATHER_ROUNDS / 2, "gathers %llu, hits %llu",
		      (unsigned long long)gather_run.stats.gathers,
		      (unsigned long long)gather_run.stats.polls_hit);
	cr_assert_geq(gather_run.stats.polls_hit, gather_run.stats.gathers,
		      "each gathering ended in a poll that hit");
}

/* ---- holding submissions for a fuller batch (submit_hold) --------------------------------- */

/*
 * HOLD_SLOTS requests kept in flight on the file device, each completion queueing the next
 * read of its slot until HOLD_READS are done, the slots started apart. Requests that
 * went to the kernel in one enter share one submit stamp: the stamps tell how many enters
 * submitted.
 */
#define HOLD_SLOTS 32
#define HOLD_BATCH 8
#define HOLD_READS 4096
/*
 * The slots start HOLD_STAGGER_NS apart, so that without holding completions come one at a
 * time; all of them start within one delay (32 x 150 us, about 6 ms with the sleeps' overshoot,
 * against 8 ms), because a read that completes while slots are still starting leaves fewer
 * than a batch in flight outside the held ones and goes out in a small group. With 30 us and
 * 1 ms a loaded run had 11 more such groups than the bound allows.
 */
#define HOLD_STAGGER_NS 150000
#define HOLD_DELAY_NS	8000000u

struct hold_run {
	struct zh_io io[HOLD_SLOTS];
	struct zh_buf *buf;
	unsigned started; /* slots */
	unsigned issued;  /* reads */
	unsigned completed;
	unsigned failed;
	uint64_t stamps[HOLD_READS];
	struct zh_reactor_stats stats;
	_Atomic int done;
};

static struct hold_run hold_run;

static void hold_read_done(struct zh_reactor *r, struct zh_io *io)
{
	struct hold_run *h = &hold_run;

	h->failed += io->res != 4096;
	h->stamps[h->completed++] = io->submit_ns;
	if (h->issued < HOLD_READS) {
		h->issued++;
		ZH_ASSERT(zh_reactor_read(r, 0, h->buf, 4096, 4096ull * (h->issued % 256), io,
					  hold_read_done) == 0);
		return;
	}
	if (h->completed == HOLD_READS) {
		zh_reactor_buf_put(r, h->buf);
		zh_reactor_stats_get(r, &h->stats);
		atomic_store(&h->done, 1);
	}
}

/* Start the next slot. */
static void hold_start_slot(struct zh_reactor *r, void *arg)
{
	struct hold_run *h = arg;
	unsigned slot = h->started++;

	h->issued++;
	if (h->buf == NULL)
		ZH_ASSERT(zh_reactor_buf_get(r, 4096, &h->buf) == 0);
	ZH_ASSERT(
	    zh_reactor_read(r, 0, h->buf, 4096, 4096ull * slot, &h->io[slot], hold_read_done) == 0);
}

/*
 * Runs the slots holding, every read delayed HOLD_DELAY_NS by fault injection (so that
 * completions come a few at a time, as from a busy device); returns how many enters submitted.
 */
static unsigned hold_submitting_enters(void)
{
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000, .delay_ns = HOLD_DELAY_NS};
	struct timespec apart = {.tv_nsec = HOLD_STAGGER_NS};
	struct zh_engine_opts tuning;
	unsigned groups = 0;

	memset(&hold_run, 0, sizeof(hold_run));
	zh_engine_opts_default(&tuning);
	tuning.submit_batch = HOLD_BATCH;
	tuning.submit_hold = true;
	/*
	 * Poll through the whole delay: a reactor that sleeps submits what it holds, so with the
	 * default window it slept about as often holding as not and the two counts came out
	 * nearly equal (2 failures in 16 runs).
	 */
	tuning.busy_poll_ns = ZH_ENGINE_BUSY_POLL_MAX_NS;
	start_engine_tuned(1, &tuning, &faults);
	for (unsigned i = 0; i < HOLD_SLOTS; i++) {
		cr_assert_eq(zh_engine_post(engine, 0, hold_start_slot, &hold_run), 0);
		nanosleep(&apart, NULL);
	}
	wait_flag(&hold_run.done);
	stop_engine();
	cr_assert_eq(hold_run.failed, 0);
	for (unsigned i = 0; i < HOLD_READS; i++) {
		bool seen = false;

		for (unsigned j = 0; j < i && !seen; j++)
			seen = hold_run.stamps[j] == hold_run.stamps[i];
		groups += !seen;
	}
	return groups;
}

Test(engine_reactor, held_requests_go_out_in_batches, .timeout = 60)
{
	unsigned held = 0, sleeps = 0;

	/* Up to three runs, until one stays in the bound: the slots are started from this
	 * thread, and a test thread held up past a delay starts them too far apart. */
	for (unsigned run = 0; run < 3; run++) {
		held = hold_submitting_enters();
		sleeps = (unsigned)hold_run.stats.sleeps;
		if (held <= HOLD_READS / HOLD_BATCH + sleeps + HOLD_SLOTS + HOLD_BATCH)
			break;
	}

	/*
	 * A submission smaller than the batch happens only when the device has fewer than a batch
	 * in flight (the last reads to end: a batch at most) or when the reactor is about to
	 * sleep, or while the slots start: each start message may find fewer than a batch queued,
	 * so up to one per slot. The slack was 2 * HOLD_BATCH for start and end together, and
	 * under fresh-machine-test (other suites on both cores, the start messages further apart)
	 * the count came out at 532 against 529 once. Without holding, the same run submits in
	 * about as many groups as reads end apart (thousands, unloaded).
	 *
	 * Regression: the test also required fewer groups holding than not, but a reactor
	 * preempted for longer than the delay finds its reads ended together, resubmits them
	 * together and they stay bunched, so the run without holding can come down to the same
	 * count: a comparison of two timings, dropped.
	 */
	cr_assert_leq(held, HOLD_READS / HOLD_BATCH + sleeps + HOLD_SLOTS + HOLD_BATCH,
		      "%u submitting enters for %u reads in batches of %u (%u sleeps)", held,
		      HOLD_READS, HOLD_BATCH, sleeps);
}

/*
 * A set of 4 KiB reads issued by messages (arg: how many more), read i on device i % dev_spread,
 * each completion's reactor clock kept.
 */
#define READ_SET_MAX 16

struct read_set {
	struct zh_io io[READ_SET_MAX];
	uint64_t reaped_ns[READ_SET_MAX];
	struct zh_buf *buf;
	unsigned total;
	unsigned dev_spread; /* read i goes to device i % dev_spread */
	unsigned issued;
	unsigned completed;
	unsigned failed;
	_Atomic int done;
};

static struct read_set read_set;

static void read_set_start(unsigned total, unsigned dev_spread)
{
	ZH_ASSERT(total <= READ_SET_MAX);
	memset(&read_set, 0, sizeof(read_set));
	read_set.total = total;
	read_set.dev_spread = dev_spread;
}

static void read_set_done(struct zh_reactor *r, struct zh_io *io)
{
	struct read_set *s = &read_set;

	s->reaped_ns[io - s->io] = zh_reactor_now_ns(r);
	s->failed += io->res != 4096;
	if (++s->completed == s->total) {
		zh_reactor_buf_put(r, s->buf);
		atomic_store(&s->done, 1);
	}
}

static void read_set_issue(struct zh_reactor *r, void *arg)
{
	struct read_set *s = &read_set;
	unsigned end = s->issued + (unsigned)(uintptr_t)arg;

	ZH_ASSERT(end <= s->total);
	if (s->buf == NULL)
		ZH_ASSERT(zh_reactor_buf_get(r, 4096, &s->buf) == 0);
	for (unsigned i = s->issued; i < end; i++)
		ZH_ASSERT(zh_reactor_read(r, i % s->dev_spread, s->buf, 4096, 4096ull * i,
					  &s->io[i], read_set_done) == 0);
	s->issued = end;
}

static void read_set_post(unsigned count)
{
	cr_assert_eq(zh_engine_post(engine, 0, read_set_issue, (void *)(uintptr_t)count), 0);
}

static struct zh_timer read_set_later;

static void read_set_issue_one(struct zh_reactor *r, struct zh_timer *t)
{
	(void)t;
	read_set_issue(r, (void *)1);
}

/* A full batch, which goes out at once, and at the next iteration one more, held behind it. */
static void read_set_batch_then_one(struct zh_reactor *r, void *arg)
{
	(void)arg;
	read_set_issue(r, (void *)(uintptr_t)HOLD_BATCH);
	zh_timer_init(&read_set_later);
	ZH_ASSERT(zh_reactor_timer_start(r, &read_set_later, zh_reactor_now_ns(r),
					 read_set_issue_one) == 0);
}

/*
 * A request held behind slow ones (HOLD_BATCH in flight, 200 ms each) goes out when the
 * reactor stops polling and sleeps, before any of the others completes. Judged by order, not
 * by a time: a 5 ms delay and a 2.5 ms bound failed once on a loaded machine (fresh-machine-
 * test, 3.8 ms); the delay now leaves the reactor 200 ms to get to its sleep. The reactor
 * queues the held read itself (a timer), where two posts from this thread left it to a test
 * thread that a loaded machine could hold up for those 200 ms.
 */
Test(engine_reactor, a_reactor_about_to_sleep_submits_what_it_holds, .timeout = 60)
{
	static struct zh_nvme_faults faults = {.delay_ppm = 1000000, .delay_ns = 200000000};
	struct zh_engine_opts tuning;
	uint64_t first, last, first_done = UINT64_MAX;

	read_set_start(HOLD_BATCH + 1, 1);
	zh_engine_opts_default(&tuning);
	tuning.submit_batch = HOLD_BATCH;
	tuning.submit_hold = true;
	start_engine_tuned(1, &tuning, &faults);
	cr_assert_eq(zh_engine_post(engine, 0, read_set_batch_then_one, NULL), 0);
	wait_flag(&read_set.done);
	stop_engine();
	cr_assert_eq(read_set.failed, 0);
	first = read_set.io[0].submit_ns;
	last = read_set.io[HOLD_BATCH].submit_ns;
	for (unsigned i = 0; i < HOLD_BATCH; i++)
		first_done =
		    read_set.reaped_ns[i] < first_done ? read_set.reaped_ns[i] : first_done;
	cr_assert_gt(last, first, "the last read was held, not submitted with the batch");
	cr_assert_lt(last, first_done,
		     "the held read went out %llu us after the batch, after its first completion "
		     "(%llu us): it waited for it",
		     (unsigned long long)((last - first) / 1000),
		     (unsigned long long)((first_done - first) / 1000));
}

/* ---- sleeping for a batch of completions (wake_batch_div) --------------------------------- */

/*
 * Four reads on a device that takes 5 ms and four on one that takes 200 ms, queued together
 * on a reactor that never busy polls. Woken at the first completion, it reaps the fast four
 * long before the slow device's delay has passed; asked to wait for all eight in flight
 * (wake_batch_div 1), not before; for half of them (2), long before again. The line between
 * the cases is half the slow delay, so a reactor scheduled up to 95 ms late still passes: an
 * earlier version asserted "reaped within 15 ms" and failed once in 10 runs with both cores
 * busy with other processes. (Reap order would not do: the kernel counts pending completion
 * work, not completions, against a wait, so the slow device's timers firing end the wait for
 * all eight, and the fast reads are reaped some microseconds before the slow ones post.)
 *
 * Regression: a reactor preempted for more than the fast delay between its submit and its
 * sleep finds the fast reads' completion work already queued, and that work counts against
 * the wait too: "all eight" then ended at 5 ms (once in three runs with two busy loops beside
 * the suites). The wait for all is judged by the best of three runs.
 */
#define WAKE_READS   8
#define WAKE_SLOW_NS 200000000u

/* \return the longest (last) or shortest (!last) submission-to-reap time on the fast device. */
static uint64_t wake_fast_wait_ns(uint32_t wake_batch_div, bool last)
{
	static struct zh_nvme_faults fast = {.delay_ppm = 1000000, .delay_ns = 5000000};
	static struct zh_nvme_faults slow = {.delay_ppm = 1000000, .delay_ns = WAKE_SLOW_NS};
	struct zh_nvme_faults *const faults[] = {&fast, &slow};
	struct zh_engine_opts tuning;
	uint64_t pick = last ? 0 : UINT64_MAX;

	read_set_start(WAKE_READS, 2);
	zh_engine_opts_default(&tuning);
	tuning.busy_poll_ns = 0;
	tuning.wake_batch_div = wake_batch_div;
	start_engine_on(1, &tuning, faults, 2);
	read_set_post(WAKE_READS);
	wait_flag(&read_set.done);
	stop_engine();
	cr_assert_eq(read_set.failed, 0);
	for (unsigned i = 0; i < WAKE_READS; i += 2) {
		uint64_t wait = read_set.reaped_ns[i] - read_set.io[i].submit_ns;

		pick = (wait > pick) == last ? wait : pick;
	}
	return pick;
}

/* The best of three runs of wake_fast_wait_ns(\p wake_batch_div, true): the shortest. */
static uint64_t wake_fast_best_ns(uint32_t wake_batch_div)
{
	uint64_t best = UINT64_MAX;

	for (unsigned run = 0; run < 3 && best >= WAKE_SLOW_NS / 2; run++) {
		uint64_t this_run = wake_fast_wait_ns(wake_batch_div, true);

		best = this_run < best ? this_run : best;
	}
	return best;
}

Test(engine_reactor, a_sleeping_reactor_waits_for_its_batch, .timeout = 60)
{
	/* Each case judged by the best of three: a reactor held up 100 ms once passes. */
	uint64_t first = wake_fast_best_ns(0);
	uint64_t all = 0;
	uint64_t half = wake_fast_best_ns(2);

	for (unsigned run = 0; run < 3 && all < WAKE_SLOW_NS / 2; run++) {
		uint64_t this_run = wake_fast_wait_ns(1, false);

		all = this_run > all ? this_run : all;
	}
	cr_assert_lt(first, WAKE_SLOW_NS / 2, "woken at the first completion: reaped after %llu ms",
		     (unsigned long long)(first / 1000000));
	cr_assert_geq(all, WAKE_SLOW_NS / 2, "waiting for all eight: reaped after %llu ms",
		      (unsigned long long)(all / 1000000));
	cr_assert_lt(half, WAKE_SLOW_NS / 2, "waiting for four: reaped after %llu ms",
		     (unsigned long long)(half / 1000000));
}

/* ---- the wake-up read when the submission queue is full --------------------------------- */

#define FULL_SQ_ENTRIES 16
#define FULL_SQ_SPIN_NS (50 * 1000000ull)

struct full_sq {
	struct zh_io first;
	struct zh_io io[FULL_SQ_ENTRIES + 1];
	struct zh_buf *buf;
	struct zh_timer spin;
	unsigned queued;
	int refused_rc;
	unsigned completed;
	unsigned failed;
	_Atomic int done;
	_Atomic int answered;
	uint64_t wakeups_before_spin;
	_Atomic uint64_t wakeups;
};

static struct full_sq full_sq;

static void full_sq_read_done(struct zh_reactor *r, struct zh_io *io)
{
	full_sq.failed += io->res != 4096;
	if (++full_sq.completed == full_sq.queued) {
		zh_reactor_buf_put(r, full_sq.buf);
		atomic_store(&full_sq.done, 1);
	}
}

/* Queue reads until the submission queue refuses one: nothing goes out before the next enter. */
static void full_sq_first_done(struct zh_reactor *r, struct zh_io *io)
{
	full_sq.failed += io->res != 4096;
	for (unsigned i = 0; i <= FULL_SQ_ENTRIES; i++) {
		full_sq.refused_rc = zh_reactor_read(r, 0, full_sq.buf, 4096, 4096ull * (i + 1),
						     &full_sq.io[i], full_sq_read_done);
		if (full_sq.refused_rc != 0)
			break;
		full_sq.queued++;
	}
}

/*
 * Runs while the first read is in flight and completes. Its completion and then the eventfd's
 * are both waiting when the loop next enters, so one reap takes them in that order. The write
 * is a producer's wake-up (zh__reactor_wake()) that saw `sleeping` just before the reactor
 * woke on its I/O: the race this test makes certain.
 */
static void full_sq_spin(struct zh_reactor *r, struct zh_timer *t)
{
	static const uint64_t one = 1;
	uint64_t until = zh_clock_ns() + FULL_SQ_SPIN_NS;

	struct zh_reactor_stats stats;

	(void)t;
	zh_reactor_stats_get(r, &stats);
	full_sq.wakeups_before_spin = stats.wakeups;
	while (zh_clock_ns() < until)
		;
	ZH_ASSERT(write(r->event_fd, &one, sizeof(one)) == sizeof(one));
}

static int write_block_zero(const char *path)
{
	char block[4096];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	memset(block, 0xab, sizeof(block));
	if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) || fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void full_sq_start(struct zh_reactor *r, void *arg)
{
	(void)arg;
	ZH_ASSERT(zh_reactor_buf_get(r, 4096, &full_sq.buf) == 0);
	ZH_ASSERT(zh_reactor_read(r, 0, full_sq.buf, 4096, 0, &full_sq.first, full_sq_first_done) ==
		  0);
	/* Due after this iteration's enter has submitted the read (timers use the loop clock). */
	ZH_ASSERT(
	    zh_reactor_timer_start(r, &full_sq.spin, zh_reactor_now_ns(r) + 1, full_sq_spin) == 0);
}

static void full_sq_answer(struct zh_reactor *r, void *arg)
{
	struct zh_reactor_stats stats;

	(void)arg;
	zh_reactor_stats_get(r, &stats);
	atomic_store(&full_sq.wakeups, stats.wakeups);
	atomic_store(&full_sq.answered, 1);
}

Test(engine_reactor, a_wake_up_reaped_after_callbacks_filled_the_queue_is_rearmed, .timeout = 60)
{
	struct zh_engine_opts tuning;

	memset(&full_sq, 0, sizeof(full_sq));
	zh_timer_init(&full_sq.spin);
	zh_engine_opts_default(&tuning);
	tuning.sq_entries = FULL_SQ_ENTRIES;
	tuning.submit_batch = 0; /* no early submits: the reap's reads stay queued */
	tuning.busy_poll_ns = 0;
	tuning.yield_wait = false;
	start_engine_tuned(1, &tuning, NULL);
	/* A written block: reading it waits on the disk, where a hole's read completes inline. */
	cr_assert_eq(write_block_zero(dev_paths[0]), 0);
	cr_assert_eq(zh_engine_post(engine, 0, full_sq_start, NULL), 0);
	wait_flag(&full_sq.done);
	/*
	 * Idle now, the reactor sleeps, and a message must wake it through the read that the full
	 * SQ kept back: a wake-up after the spin's. A message that comes before the reactor sleeps
	 * wakes nothing, so try again after a pause; without the read no try would count one.
	 */
	uint64_t woken = full_sq.wakeups_before_spin + 2;

	for (unsigned try = 0; try < 50 && atomic_load(&full_sq.wakeups) < woken; try++) {
		struct timespec pause = {.tv_nsec = 10000000};

		nanosleep(&pause, NULL);
		atomic_store(&full_sq.answered, 0);
		cr_assert_eq(zh_engine_post(engine, 0, full_sq_answer, NULL), 0);
		wait_flag(&full_sq.answered);
	}
	stop_engine();
	cr_assert_geq(full_sq.wakeups, woken, "no message woke the reactor");
	/* One less if a disk slower than the spin let the re-armed read take a slot first. */
	cr_assert_geq(full_sq.queued, FULL_SQ_ENTRIES - 1, "queued %u", full_sq.queued);
	cr_assert_eq(full_sq.refused_rc, -EAGAIN);
	cr_assert_eq(full_sq.failed, 0);
}
