/* SPDX-License-Identifier: MIT */
/*
 * engine: the reactor, one pinned thread per core that owns an io_uring and runs everything
 * of its core: messages from other cores, timers, device I/O and their callbacks.
 *
 * Design notes
 * 1. One loop iteration: handle a bounded batch of messages from every inbound ring, fire the
 *    timers that are due, submit what the callbacks queued (one io_uring_enter), and when there
 *    was nothing else to do and no completion is waiting, sleep for at least one (or the next
 *    timer). Then CQEs are reaped into an array and only afterwards their callbacks run, so a
 *    callback that queues new I/O never runs inside the reap loop. While the callbacks run,
 *    every `submit_batch` queued requests go to the kernel at once rather than at the end of
 *    the iteration, so a device's queue does not drain while a batch is being handled.
 * 2. Time is read twice per iteration: when the submitting enter returns (the submit time of
 *    everything it submitted, as fio's clat starts) and after any wait (the completion time of
 *    everything reaped next, and the reactor clock for timers). Per-I/O clock reads would cost
 *    more than the I/O path itself. Submitting and waiting are separate enters for this reason;
 *    the wait is skipped whenever completions are already there.
 * 3. Sleeping without losing a wake-up: before a waiting enter the reactor sets `sleeping`,
 *    issues a full fence and re-checks its inbound rings; a producer pushes, issues a full
 *    fence and, if it sees `sleeping`, clears it and writes the reactor's eventfd, which has a
 *    read in flight on the ring whenever the reactor sleeps. One of the two always sees the
 *    other. The read is re-armed when its completion is reaped, or, when callbacks earlier in
 *    that reap filled the SQ, just before the next sleep (a full SQ once aborted here).
 * 4. The ring is created by its own thread with SINGLE_ISSUER | DEFER_TASKRUN where the kernel
 *    has them: completions then run only when this thread enters the kernel, in batches,
 *    instead of interrupting it one by one. With io-wq doing the I/O on another core (tmpfs,
 *    buffered files) that doubled 4 KiB randread qd32: 832-872k IOPS against 355-410k with the
 *    default signalling and 637-678k with COOP_TASKRUN; on the virtio disk all three were
 *    within noise (83-89k).
 * 5. A wait never lasts longer than ZH_REACTOR_IDLE_WAIT_NS or past the next timer's deadline,
 *    I/O in flight or not: ten wake-ups a second cost an idle core nothing measurable, bound
 *    the damage of any wake-up bug, and let tools that run one thread at a time (valgrind
 *    holds its global lock across io_uring_enter) make progress. Only a reactor with I/O in
 *    flight and no timer armed waits without a timeout, for its completions or a message.
 *    (Until session 36 a timer more than the idle bound away let the wait go untimed, and
 *    fired only when slow I/O completed.)
 * 6. Busy poll before sleeping (zh_engine_opts.busy_poll_ns): with I/O in flight and nothing
 *    to reap, the reactor watches IORING_SQ_TASKRUN in the SQ ring's flags (the kernel sets it
 *    when completion work is queued for this ring: IORING_SETUP_TASKRUN_FLAG) and its inbound
 *    rings, and enters the kernel only once there is work. A completion that comes within the
 *    window then costs no wake-up, which in a VM is an inter-processor interrupt (a VM exit)
 *    and a context switch on each side. 4 KiB randwrite at depth 128 on /dev/shm, where an
 *    io-wq worker on the other core completes every write: 654-715k IOPS sleeping at once,
 *    717-755k polling, context switches 44-47k -> 0.3-1.8k per 3 s.
 *    A poll that finds nothing skips polling for the next 1, 2, 4 ... 1024 waits, until one
 *    finds work again. The thread that completes our I/O may share our core (an io-wq worker
 *    of a core-pinned reactor), where it cannot run while we poll: every poll then ran out,
 *    and 4 KiB randread at depth 32 pinned to one core fell from 559k to 328k IOPS.
 * 7. Holding submissions (zh_engine_opts.submit_hold): while the device has at least
 *    submit_batch requests in flight, requests queued by callbacks wait in the SQ until
 *    submit_batch of them are queued, so that one enter submits a batch; the enter that
 *    would have submitted fewer only runs the completion work waiting for us, if the kernel
 *    flags any. io-wq takes a run of queued work for one file (writes to a regular file are
 *    serialised on the file) in one go: at depth 128 with batches of 32 the reactor entered
 *    1.72 times per 4 KiB write on /dev/shm without holding and 0.82 with it, and the writes
 *    gained 6-10%. The device never drops below submit_batch in flight because of a hold,
 *    and a reactor about to sleep submits what it holds first.
 * 8. Sleeping for a batch (zh_engine_opts.wake_batch_div): a reactor that sleeps with n
 *    requests in flight can ask to be woken after n / wake_batch_div completions. Every one
 *    of them completes (the held ones were just submitted, none is in the CQ), so the wait
 *    ends; messages and timers wait for it, which is why it is off unless asked for.
 * 9. The wait count does not bound wake-ups: with DEFER_TASKRUN the kernel wakes the waiting
 *    submitter at every completion an io-wq worker hands back (those are never queued
 *    lazily), and the reactor runs it, finds too few and sleeps again. Where the worker
 *    shares the reactor's core, each of those wake-ups preempted it (randread at depth 128 on
 *    one core: 120k voluntary switches a second for 23k sleeps). zh_engine_opts.sched_batch
 *    makes the reactor and the workers it creates SCHED_BATCH, whose wake-ups never preempt:
 *    the reactor then runs when the worker sleeps (its queue is empty) or ends its slice.
 * 10. Yielding before sleeping (zh_engine_opts.yield_wait). On kernel 6.18 SCHED_BATCH kept
 *    that order only while the other cores idled: with every core busy (a busy loop on the
 *    other core of this 2-core VM, or two reactors on two cores) the woken reactor preempted
 *    its worker again after every few completions, and a pinned 4 KiB randread at depth 32
 *    fell from ~550k IOPS at 0.03 context switches per I/O to 358-416k at 0.25. A reactor
 *    that waits by yielding is not on the ring's wait queue, so completions wake nobody: the
 *    worker runs through its queue and sleeps, and the reactor finds the batch when its
 *    yield returns. A yield that comes back at once means no other thread was runnable on
 *    the core (the completer is elsewhere: another core, a device interrupt); the reactor
 *    then sleeps as before and backs off from yielding as design note 6 does from polling.
 *    On 6.18 each yield also charges the yielder what is left of its slice, so the slice
 *    (zh_engine_opts.sched_slice_ns) must be short for the reactor to keep its turn.
 * 11. Gathering completions (zh_engine_opts.gather_ns). With DEFER_TASKRUN a thread that
 *    completes our I/O pushes it onto the ring's work list (a compare-and-swap on its head)
 *    and, if the list was empty, sets IORING_SQ_TASKRUN in the SQ ring. A polling reactor
 *    that enters as soon as it sees the flag empties the list and clears the flag at every
 *    completion, so the completer misses on both lines once per I/O: at depth 128 on /dev/shm
 *    the reactor entered 0.65 times per write and the hand-off was 5-12% of the worker's time.
 *    Instead, flagged work is taken only once gather_ns has passed since the reactor first
 *    saw the flag; meanwhile the worker adds to a list only it touches. A reactor gathers only
 *    with two submit batches in flight (the device keeps one while it waits) and while its
 *    busy polls find work: a completer that shares the reactor's core cannot add anything
 *    while the reactor waits, and its polls miss. A poll whose window ends while it gathers
 *    takes the work then. Any other enter runs the flagged work too (liburing adds GETEVENTS
 *    while the flag is up), so every enter ends a gathering in progress. From Linux 6.13 an
 *    enter runs at most 20 items and flags the rest again, which then gather anew; taking
 *    them at once with a second enter gained nothing and lost 9-11% in one of two sets.
 * 12. Early submits only help a completer that can run meanwhile. Submitting every
 *    submit_batch requests while callbacks run keeps a device busy during the reap, but a
 *    thread completing our I/O on our own core (the io-wq worker of a core-pinned reactor)
 *    cannot start any of them before we give up the core: each early enter is a syscall and a
 *    wake-up of that worker for nothing. With submit_batch 1, 4 KiB randread at depth 32 on
 *    one core entered 1.03 times per I/O. A yield that let another thread run and then found
 *    work says the completer shares the core; until a busy poll finds work (completions came
 *    while we spun, so from elsewhere) or a yield comes back alone with nothing done,
 *    requests queued in the reap or by message handlers wait for the loop's one submit: 0.10
 *    enters per I/O and +19-21% IOPS there. Only yield_wait sets it, so only zhtp-bench.
 */
#include "engine/engine_internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Marks a CQE that must be skipped: an SQE turned into a NOP after a failed prep. */
#define ZH_REACTOR_NO_IO 0
/* dev_index of the reactor's own eventfd read. */
#define ZH_REACTOR_EVENT_DEV UINT16_MAX
/* Longest wait in one io_uring_enter; see design note 5. */
#define ZH_REACTOR_IDLE_WAIT_NS (100ull * 1000 * 1000)
/*
 * A sched_yield() that returns sooner ran no other thread (design note 10): about 0.3-1 us
 * here for the syscall alone, against two context switches and the other thread's run.
 */
#define ZH_REACTOR_YIELD_ALONE_NS (2ull * 1000)
/*
 * Longest run of waits that sleep without yielding first. Shorter than the polls' back-off:
 * a miss costs one syscall, and a core-sharing worker that was not yet due to run (the
 * scheduler picked the yielding reactor again) makes a miss too, which a skip of 1024 waits
 * then paid for in wake-ups: 4 KiB randread at depth 32 with a busy loop on the other core,
 * 19 misses in 4 s gave 9,235 sleeps against 2 with one miss.
 */
#define ZH_REACTOR_YIELD_BACKOFF_MAX 64

uint64_t zh_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void reactor_event_done(struct zh_reactor *r, struct zh_io *io);

/* Queue the wake-up read; event_armed says whether it is. \return 0, or -EAGAIN (SQ full). */
static int reactor_arm_event(struct zh_reactor *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	r->event_armed = sqe != NULL;
	if (sqe == NULL)
		return -EAGAIN;
	io_uring_prep_read(sqe, r->event_fd, &r->event_value, sizeof(r->event_value), 0);
	r->event_io.cb = reactor_event_done;
	r->event_io.dev_index = ZH_REACTOR_EVENT_DEV;
	io_uring_sqe_set_data(sqe, &r->event_io);
	return 0;
}

static void reactor_event_done(struct zh_reactor *r, struct zh_io *io)
{
	(void)io;
	r->stats.wakeups++;
	/*
	 * Callbacks earlier in this reap may have filled the SQ with requests not yet submitted
	 * (submit_batch 0, or no early submits while the completer shares our core). The read is
	 * then armed before the next sleep, the only time it is needed (reactor_wait()).
	 */
	(void)reactor_arm_event(r);
}

static int reactor_ring_init(struct zh_reactor *r)
{
	const struct zh_engine_opts *o = &r->engine->opts;
	/* CLAMP: the largest SQ allowed asks for a CQ (4x) above the kernel's 65,536. */
	unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
	/*
	 * SUBMIT_ALL: a request the kernel refuses at submission gets its error CQE and the rest
	 * of the queue still goes, so what an enter submits is all that was queued (stamps, held
	 * counts and the wake-up read rely on it).
	 */
	const unsigned tries[] = {
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
		IORING_SETUP_SUBMIT_ALL,
	    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL, 0};
	int rc = -EINVAL;

	for (unsigned i = 0; i < o->dev_count; i++) {
		if (o->devs[i] != NULL && zh_nvme_dev_needs_big_sqe(o->devs[i]))
			base |= IORING_SETUP_SQE128 | IORING_SETUP_CQE32;
	}
	/* Older kernels refuse newer flags with EINVAL: fall back one step at a time. */
	for (unsigned i = 0; i < ZH_ARRAY_SIZE(tries) && rc == -EINVAL; i++) {
		struct io_uring_params p = {.flags = base | tries[i],
					    .cq_entries = 4 * o->sq_entries};

		rc = io_uring_queue_init_params(o->sq_entries, &r->ring, &p);
	}
	if (rc < 0)
		return rc;
	r->ring_up = true;
	/*
	 * Timed waits pass their timeout to the kernel (5.11+). Before that liburing queues a
	 * timeout request of its own, whose CQE (user_data LIBURING_UDATA_TIMEOUT) our reap would
	 * take for a request. Teardown closes the ring.
	 */
	if (!(r->ring.features & IORING_FEAT_EXT_ARG))
		return -EOPNOTSUPP;
	/* Saves an fd lookup per enter; optional (kernel 5.18+). */
	(void)io_uring_register_ring_fd(&r->ring);
	return 0;
}

static int reactor_register(struct zh_reactor *r)
{
	const struct zh_engine_opts *o = &r->engine->opts;
	struct iovec iov[ZH_BUF_CLASS_COUNT + 1];
	unsigned n = zh__bufpool_iovecs(&r->pool, iov);
	int rc;

	r->shared_buf_index = -1;
	if (o->shared_region != NULL) {
		r->shared_buf_index = (int)n;
		iov[n++] = (struct iovec){o->shared_region, o->shared_region_bytes};
	}
	if (n > 0) {
		rc = io_uring_register_buffers(&r->ring, iov, n);
		if (rc < 0)
			return rc;
	}
	if (o->dev_count > 0) {
		int fds[o->dev_count];

		for (unsigned i = 0; i < o->dev_count; i++)
			fds[i] = o->devs[i] != NULL ? zh_nvme_dev_fd(o->devs[i]) : -1;
		rc = io_uring_register_files(&r->ring, fds, o->dev_count);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Whether device \p i is a passthrough namespace still sent registered buffers as such. */
static bool reactor_fixed_passthru(const struct zh_reactor *r, unsigned i)
{
	const struct zh_nvme_dev *dev = r->devs[i];

	return dev != NULL && zh_nvme_dev_backend(dev) == ZH_NVME_BACKEND_PASSTHRU &&
	       zh_nvme_dev_fixed_bufs(dev);
}

static bool reactor_has_fixed_passthru(const struct zh_reactor *r)
{
	for (unsigned i = 0; i < r->dev_count; i++) {
		if (reactor_fixed_passthru(r, i))
			return true;
	}
	return false;
}

/*
 * A read of block 0 of passthrough device \p dev into \p mem, as registered buffer 0 or as a
 * plain address; it waits for its completion (set-up only). \return the completion's result,
 * or a negative errno.
 */
static int reactor_probe_read(struct zh_reactor *r, unsigned dev, void *mem, bool fixed)
{
	struct zh_nvme_req req = {
	    .op = ZH_NVME_OP_READ,
	    .len_bytes = zh_nvme_dev_block_bytes(r->devs[dev]),
	    .addr = mem,
	    .buf_index = fixed ? 0 : -1,
	    .file_index = -1, /* files are registered after the probe */
	};
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	struct io_uring_cqe *cqe;
	int rc;

	if (sqe == NULL)
		return -EAGAIN;
	if (zh_nvme_dev_prep(r->devs[dev], sqe, &req) < 0)
		io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, ZH_REACTOR_NO_IO);
	rc = io_uring_submit_and_wait(&r->ring, 1);
	if (rc >= 0)
		rc = io_uring_wait_cqe(&r->ring, &cqe);
	if (rc < 0)
		return rc;
	rc = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	return rc;
}

/* The most a probe registers: 1,024 pages, past any queue's segment limit. */
#define ZH_REACTOR_PROBE_MAX_BYTES (4u << 20)

/*
 * Whether the kernel takes registered buffers in NVMe passthrough commands (see
 * zh_nvme_dev_drop_fixed_bufs()), asked before the real buffers are registered: a scratch
 * region as long as the longest of them (at most ZH_REACTOR_PROBE_MAX_BYTES), registered
 * alone, and a read into its start, the place with the most pages after it, first as a fixed
 * buffer; if the kernel refuses that with EINVAL and takes the same read as a plain address,
 * fixed buffers are dropped for the device. Taken means sent to the device: an NVMe status
 * (a positive result) counts, such as DULBE's 0x287 for a block 0 never written, which had
 * kept fixed buffers where the kernel refuses them. A device that fails both is left to fail
 * its own I/O. The scratch region, not the pool or the shared region, so that nothing is
 * overwritten.
 */
static void reactor_probe_fixed_bufs(struct zh_reactor *r)
{
	const struct zh_engine_opts *o = &r->engine->opts;
	size_t bytes = o->shared_region != NULL ? o->shared_region_bytes : 0;
	struct iovec iov;
	void *mem;

	for (unsigned k = 0; k < ZH_BUF_CLASS_COUNT; k++) {
		if (r->pool.cls[k].region_bytes > bytes)
			bytes = r->pool.cls[k].region_bytes;
	}
	bytes = bytes < ZH_REACTOR_PROBE_MAX_BYTES ? bytes : ZH_REACTOR_PROBE_MAX_BYTES;
	if (bytes <= 4096 || !reactor_has_fixed_passthru(r))
		return;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return;
	iov = (struct iovec){mem, bytes};
	if (io_uring_register_buffers(&r->ring, &iov, 1) == 0) {
		for (unsigned i = 0; i < r->dev_count; i++) {
			/* A block longer than the region: too few pages to probe, and the read
			 * would run past it. */
			if (reactor_fixed_passthru(r, i) &&
			    zh_nvme_dev_block_bytes(r->devs[i]) <= bytes &&
			    reactor_probe_read(r, i, mem, true) == -EINVAL &&
			    reactor_probe_read(r, i, mem, false) >= 0)
				zh_nvme_dev_drop_fixed_bufs(r->devs[i]);
		}
		io_uring_unregister_buffers(&r->ring);
	}
	munmap(mem, bytes);
}

static int reactor_alloc(struct zh_reactor *r)
{
	const struct zh_engine_opts *o = &r->engine->opts;
	int rc = zh__bufpool_init(&r->pool, r->engine->topo, r->node, o->buf_count);

	if (rc < 0)
		return rc;
	rc = zh__timer_heap_init(&r->timers, o->timers_max);
	if (rc < 0)
		return rc;
	r->unstamped_cap = o->sq_entries;
	r->unstamped = calloc(r->unstamped_cap, sizeof(*r->unstamped));
	if (r->unstamped == NULL)
		return -ENOMEM;
	r->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return r->event_fd < 0 ? -errno : 0;
}

static int reactor_bind(struct zh_reactor *r)
{
	const struct zh_numa_topo *topo = r->engine->topo;

	/*
	 * io-wq workers are created from this thread and inherit its binding (the kernel no longer
	 * keeps them from being re-bound, but gives them no mask of their own): see enum
	 * zh_engine_pin for why node binding exists.
	 */
	if (r->engine->opts.pin == ZH_ENGINE_PIN_NODE)
		return zh_numa_thread_bind_node(topo, r->cpu);
	return zh_numa_thread_pin(topo, r->cpu);
}

/*
 * The kernel's struct sched_attr as of its first version (SCHED_ATTR_SIZE_VER0): glibc has no
 * sched_setattr() wrapper, and <linux/sched/types.h> clashes with <sched.h>.
 */
struct reactor_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};
_Static_assert(sizeof(struct reactor_sched_attr) == 48, "SCHED_ATTR_SIZE_VER0");

/* Thread \p tid's attributes, 0 for the calling thread. */
static int reactor_sched_attr_read(pid_t tid, struct reactor_sched_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	if (syscall(SYS_sched_getattr, tid, attr, (unsigned)sizeof(*attr), 0) != 0)
		return -errno;
	return 0;
}

int zh_thread_sched_get(pid_t tid, struct zh_thread_sched *out)
{
	struct reactor_sched_attr attr;
	int rc;

	ZH_ASSERT(out != NULL);
	rc = reactor_sched_attr_read(tid, &attr);
	if (rc < 0)
		return rc;
	out->policy = (int)attr.sched_policy;
	/* Real-time and deadline threads use the field for something else. */
	out->slice_ns = attr.sched_policy == SCHED_OTHER || attr.sched_policy == SCHED_BATCH ||
				attr.sched_policy == SCHED_IDLE
			    ? attr.sched_runtime
			    : 0;
	return 0;
}

/* \p policy with a slice of \p slice_ns; the attributes are read first to keep the nice value. */
static int reactor_sched_slice(int policy, uint64_t slice_ns)
{
	struct reactor_sched_attr attr;
	int rc = reactor_sched_attr_read(0, &attr);

	if (rc < 0)
		return rc;
	attr.size = sizeof(attr);
	attr.sched_policy = (uint32_t)policy;
	attr.sched_flags = 0;
	attr.sched_priority = 0;
	attr.sched_runtime = slice_ns;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0)
		return -errno;
	return 0;
}

/*
 * Before the ring exists: the io-wq workers this thread creates copy its policy and slice.
 * sched_setattr() only when a slice is asked for; otherwise the policy goes through
 * sched_setscheduler() as it always has, so a sandbox that filters system calls sees nothing new.
 */
static int reactor_sched(struct zh_reactor *r)
{
	const struct zh_engine_opts *o = &r->engine->opts;
	struct sched_param param = {.sched_priority = 0};

	if (o->sched_slice_ns != 0)
		return reactor_sched_slice(o->sched_batch ? SCHED_BATCH : SCHED_OTHER,
					   o->sched_slice_ns);
	if (!o->sched_batch)
		return 0;
	return -pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
}

static int reactor_setup(struct zh_reactor *r)
{
	int rc = reactor_bind(r);

	if (rc == 0)
		rc = reactor_sched(r);
	if (rc < 0)
		return rc;
	r->node = zh_numa_topo_cpu_node(r->engine->topo, r->cpu);
	if (r->node < 0)
		return r->node;
	/* Allocate after pinning so first-touch memory is local where binding is unavailable. */
	rc = reactor_alloc(r);
	if (rc < 0)
		return rc;
	rc = reactor_ring_init(r);
	if (rc < 0)
		return rc;
	reactor_probe_fixed_bufs(r);
	rc = reactor_register(r);
	if (rc < 0)
		return rc;
	r->now_ns = zh_clock_ns();
	r->fault_rng = 0x9e3779b97f4a7c15ull * (r->id + 1);
	return reactor_arm_event(r);
}

static void reactor_teardown(struct zh_reactor *r)
{
	/*
	 * The eventfd stays open: the control thread may still be writing to it to wake us. The
	 * engine closes it after joining this thread.
	 */
	if (r->ring_up) {
		/*
		 * Closing the ring drops its registered files later, from a kernel worker: a
		 * file unlinked by then kept its space a moment after the process was gone
		 * (zhtp-bench's fill_device saw a full filesystem in the run after). Nothing is
		 * in flight here, so unregistering drops them now. -ENXIO: none registered.
		 */
		io_uring_unregister_files(&r->ring);
		io_uring_queue_exit(&r->ring);
		r->ring_up = false;
	}
	zh__bufpool_fini(&r->pool);
	zh__timer_heap_fini(&r->timers);
	free(r->unstamped);
	r->unstamped = NULL;
}

static void reactor_stamp_submitted(struct zh_reactor *r, uint64_t now_ns)
{
	for (uint32_t i = 0; i < r->unstamped_count; i++)
		r->unstamped[i]->submit_ns = now_ns;
	r->unstamped_count = 0;
}

/*
 * An enter ran the flagged completion work (liburing adds GETEVENTS while the flag is up), so a
 * gathering in progress is over; see design note 11.
 */
static void reactor_gather_end(struct zh_reactor *r)
{
	r->taskrun_seen_ns = 0;
}

/*
 * An enter that returned \p submitted (entries taken, or a negative errno), before the
 * requests it sent are stamped: its level counts those requests, not the wake-up read or a
 * delay's timeout that may go with them.
 */
static void reactor_submitted(struct zh_reactor *r, int submitted)
{
	r->stats.enters++;
	if (submitted > 0 && r->unstamped_count > 0)
		r->stats.submit_levels[zh_batch_level(r->unstamped_count)]++;
}

/*
 * Submit every queued request now, whatever the batch rules say. Inlined by force, as is
 * reactor_submit_early(): the reap loop calls them for every completion, and once the batch
 * levels were counted here the compiler stopped inlining this one (7 instructions more per
 * 4 KiB read at depth 32, callgrind), then split the other out of the loop (17 more).
 */
static inline __attribute__((always_inline)) void reactor_submit_queued(struct zh_reactor *r)
{
	reactor_submitted(r, io_uring_submit(&r->ring));
	reactor_gather_end(r);
	reactor_stamp_submitted(r, zh_clock_ns());
}

/*
 * Early submission while handling completions or messages, once submit_batch requests are
 * queued (see zh_engine_opts.submit_batch): a message handler that computes for a while (a
 * chunk's encoding) must not hold back the I/O queued before it. Not while the completer
 * shares our core, which could not start the I/O anyway (design note 12). \return true if it
 * submitted.
 */
static inline __attribute__((always_inline)) bool reactor_submit_early(struct zh_reactor *r)
{
	uint32_t batch = r->engine->opts.submit_batch;

	if (batch == 0 || r->unstamped_count < batch || r->completer_shares_core)
		return false;
	reactor_submit_queued(r);
	return true;
}

static unsigned reactor_poll_msgs(struct zh_reactor *r)
{
	struct zh_msg msgs[ZH_REACTOR_MSG_BATCH];
	unsigned total = 0;

	for (unsigned p = 0; p < r->producer_count; p++) {
		uint32_t n = zh__spsc_pop_burst(r->inbound[p], msgs, ZH_REACTOR_MSG_BATCH);

		for (uint32_t i = 0; i < n; i++) {
			msgs[i].fn(r, msgs[i].arg);
			reactor_submit_early(r);
		}
		total += n;
	}
	r->stats.msgs_handled += total;
	return total;
}

static bool reactor_has_msgs(struct zh_reactor *r)
{
	for (unsigned p = 0; p < r->producer_count; p++) {
		if (!zh__spsc_empty(r->inbound[p]))
			return true;
	}
	return false;
}

static unsigned reactor_run_timers(struct zh_reactor *r)
{
	unsigned fired = 0;

	/*
	 * Only deadlines before the loop clock: a callback that re-arms its timer for "now"
	 * (zh_reactor_now_ns()) is not fired again in this run but in the next iteration's, after
	 * an enter has moved the clock. Bounded too, for deadlines set in the past.
	 */
	while (fired < r->timers.capacity) {
		struct zh_timer *t = zh__timer_heap_peek(&r->timers);

		if (t == NULL || t->deadline_ns >= r->now_ns)
			break;
		zh__timer_heap_remove(&r->timers, t);
		t->cb(r, t);
		fired++;
	}
	return fired;
}

/* Decide whether this enter may wait; see design note 3. */
static unsigned reactor_wait_count(struct zh_reactor *r)
{
	if (r->engine->opts.idle_poll && r->inflight == 0)
		return 0;
	atomic_store_explicit(&r->sleeping, 1, memory_order_relaxed);
	/* Pairs with the fence in zh__reactor_wake(): either we see its message or it sees us. */
	atomic_thread_fence(memory_order_seq_cst);
	/* A stopping reactor still sleeps while it waits for its last I/O (it would spin). */
	if (reactor_has_msgs(r) ||
	    (atomic_load_explicit(&r->stopping, memory_order_relaxed) && r->inflight == 0))
		return 0;
	return 1;
}

/* Flagged completion work would come from a completer on another core; see design note 11. */
static bool reactor_gathers(const struct zh_reactor *r)
{
	const struct zh_engine_opts *o = &r->engine->opts;

	return o->gather_ns != 0 && o->submit_batch >= 2 && r->inflight >= 2 * o->submit_batch &&
	       o->busy_poll_ns != 0 && r->poll_backoff.last == 0;
}

static bool reactor_taskrun_flagged(const struct zh_reactor *r)
{
	return (IO_URING_READ_ONCE(*r->ring.sq.kflags) & IORING_SQ_TASKRUN) != 0;
}

/*
 * The kernel flags completion work for us (IORING_SETUP_TASKRUN_FLAG) and it has had its time
 * to gather. Starts a gathering when it first sees the flag; see design note 11.
 */
static bool reactor_taskrun_ready(struct zh_reactor *r)
{
	if (!reactor_taskrun_flagged(r)) {
		r->taskrun_seen_ns = 0;
		return false;
	}
	if (!reactor_gathers(r))
		return true;
	/* The clock is read only while gathering: the reactor has nothing else to do then. */
	uint64_t now_ns = zh_clock_ns();

	if (r->taskrun_seen_ns == 0) {
		r->taskrun_seen_ns = now_ns;
		return false;
	}
	ZH_DEBUG_ASSERT(now_ns >= r->taskrun_seen_ns);
	if (now_ns - r->taskrun_seen_ns < r->engine->opts.gather_ns)
		return false;
	r->stats.gathers++;
	return true;
}

/* Run the completion work the kernel flags into the CQ. */
static void reactor_run_taskrun(struct zh_reactor *r)
{
	reactor_gather_end(r);
	io_uring_get_events(&r->ring);
	r->stats.enters++;
}

/* Completion work is posted, or waiting in the kernel and ready to take (may start gathering). */
static bool reactor_ring_has_work(struct zh_reactor *r)
{
	return io_uring_cq_ready(&r->ring) > 0 || reactor_taskrun_ready(r);
}

/* Completions (run into the CQ here) or a message to handle. */
static bool reactor_found_work(struct zh_reactor *r)
{
	if (reactor_ring_has_work(r)) {
		if (io_uring_cq_ready(&r->ring) == 0)
			reactor_run_taskrun(r);
		return true;
	}
	return reactor_has_msgs(r);
}

/* A poll's window ran out. Work that was gathering inside it is taken now, as a hit. */
static bool reactor_poll_ends(struct zh_reactor *r)
{
	if (r->taskrun_seen_ns == 0)
		return false;
	r->stats.gathers++;
	reactor_run_taskrun(r);
	return true;
}

/* This wait goes without the try: one of the run that a try finding nothing started. */
static bool backoff_skips(struct zh__backoff *b)
{
	if (b->skip == 0)
		return false;
	b->skip--;
	return true;
}

/* A try found work: the next wait tries again, and so will the ones after it. */
static void backoff_found(struct zh__backoff *b)
{
	b->last = 0;
}

/* A try found nothing: skip the next 1, 2, 4 ... max waits. */
static void backoff_missed(struct zh__backoff *b, uint32_t max)
{
	uint32_t next = b->last == 0 ? 1 : b->last * 2;

	b->last = next < max ? next : max;
	b->skip = b->last;
}

/*
 * Watch the ring and the inbound rings until there is work or the window passes; it ends early
 * at the next timer's deadline, which the loop must run on time.
 */
static bool reactor_poll_until(struct zh_reactor *r, uint64_t window_ns)
{
	const struct zh_timer *next = zh__timer_heap_peek(&r->timers);
	uint64_t deadline = 0;

	for (unsigned i = 0;; i++) {
		if (reactor_found_work(r))
			return true;
		/* The clock is read every 64 checks only. */
		if ((i & 63) == 0) {
			uint64_t now = zh_clock_ns();

			if (deadline == 0) {
				deadline = now + window_ns;
				if (next != NULL && next->deadline_ns < deadline)
					deadline = next->deadline_ns;
			}
			if (now >= deadline)
				return reactor_poll_ends(r);
		}
		zh_cpu_relax();
	}
}

/*
 * Busy poll before sleeping, with a back-off; see design note 6. Returns true when there is
 * something to do: completions (run into the CQ here) or a message. Work that came while we
 * spun came from elsewhere, so early submits resume (design note 12).
 */
static bool reactor_busy_poll(struct zh_reactor *r)
{
	if (r->engine->opts.busy_poll_ns == 0 || r->inflight == 0 ||
	    backoff_skips(&r->poll_backoff))
		return false;
	if (reactor_poll_until(r, r->engine->opts.busy_poll_ns)) {
		r->stats.polls_hit++;
		backoff_found(&r->poll_backoff);
		r->completer_shares_core = false;
		return true;
	}
	r->stats.polls_missed++;
	backoff_missed(&r->poll_backoff, ZH_REACTOR_POLL_BACKOFF_MAX);
	return false;
}

/* A timer is due: the wait must end for it. */
static bool reactor_timer_due(struct zh_reactor *r, uint64_t now_ns)
{
	const struct zh_timer *next = zh__timer_heap_peek(&r->timers);

	return next != NULL && next->deadline_ns <= now_ns;
}

/*
 * Yield the core until there is work or a yield comes back without another thread run; what
 * the yields show of where our completer runs decides early submits (design note 12).
 */
static bool reactor_yield_until_work(struct zh_reactor *r)
{
	for (unsigned i = 0; i < ZH_ENGINE_YIELD_MAX; i++) {
		uint64_t before = zh_clock_ns();

		sched_yield();
		uint64_t after = zh_clock_ns();
		/* Back this soon, no other thread ran: whatever completes our I/O is elsewhere. */
		bool alone = after - before < ZH_REACTOR_YIELD_ALONE_NS;

		bool found = reactor_found_work(r);

		/* Work found at once was done before the yield: it says nothing of where. */
		if (found && !alone)
			r->completer_shares_core = true;
		if (!found && alone)
			r->completer_shares_core = false;
		if (found || reactor_timer_due(r, after))
			return true;
		if (alone)
			return false;
	}
	return false;
}

/*
 * Yield the core before sleeping, with a back-off; see design note 10. Returns true when
 * there is something to do: completions (run into the CQ here), a message or a due timer.
 */
static bool reactor_yield_wait(struct zh_reactor *r)
{
	if (!r->engine->opts.yield_wait || r->inflight == 0 || backoff_skips(&r->yield_backoff))
		return false;
	if (reactor_yield_until_work(r)) {
		r->stats.yields_hit++;
		backoff_found(&r->yield_backoff);
		return true;
	}
	r->stats.yields_missed++;
	backoff_missed(&r->yield_backoff, ZH_REACTOR_YIELD_BACKOFF_MAX);
	return false;
}

/* Requests wait in the SQ for a fuller batch; see design note 7. */
static bool reactor_holds(const struct zh_reactor *r)
{
	uint32_t batch = r->engine->opts.submit_batch;
	/* Requests, not SQEs: a delayed request takes two, the eventfd read one more. */
	uint32_t queued = r->unstamped_count;

	ZH_DEBUG_ASSERT(r->inflight >= queued);
	return r->engine->opts.submit_hold && queued < batch && r->inflight - queued >= batch;
}

/* Completion work may be waiting: flagged and ready (may start gathering), or not knowable. */
static bool reactor_taskrun_maybe(struct zh_reactor *r)
{
	return (r->ring.flags & IORING_SETUP_TASKRUN_FLAG) == 0 || reactor_taskrun_ready(r);
}

/*
 * Submit what the callbacks queued and, with DEFER_TASKRUN, run the completion work the kernel
 * has for us. The clock of each submitted request starts when this returns, as fio's clat does:
 * the enter that submits never also waits, so its return is the moment of submission.
 * \return that moment, or 0 when the requests were held (no clock read).
 */
static uint64_t reactor_submit(struct zh_reactor *r)
{
	uint64_t now_ns;

	if (reactor_holds(r)) {
		if (reactor_taskrun_maybe(r))
			reactor_run_taskrun(r);
		return 0;
	}
	if (io_uring_sq_ready(&r->ring) > 0 || r->inflight > 0) {
		reactor_submitted(r, io_uring_submit_and_get_events(&r->ring));
		reactor_gather_end(r);
	}
	now_ns = zh_clock_ns();
	reactor_stamp_submitted(r, now_ns);
	return now_ns;
}

/* Completions a sleeping reactor with I/O in flight waits for; see design note 8. */
static unsigned reactor_wake_count(const struct zh_reactor *r)
{
	uint32_t div = r->engine->opts.wake_batch_div;
	uint32_t n = div > 0 ? r->inflight / div : 1;

	return n > 0 ? n : 1;
}

/*
 * Sleep until a completion, a wake-up or the next timer, for at most the idle bound.
 * \return false when it could not sleep (no wake-up could reach it).
 */
static bool reactor_wait(struct zh_reactor *r)
{
	struct zh_timer *next = zh__timer_heap_peek(&r->timers);
	uint64_t now = zh_clock_ns();
	uint64_t until = now + ZH_REACTOR_IDLE_WAIT_NS;
	struct io_uring_cqe *cqe;

	/* Held requests go out first: the wait may be long (design note 7). */
	if (io_uring_sq_ready(&r->ring) > 0)
		reactor_submit_queued(r);
	/* So does a wake-up read a full SQ kept back: without it no message could wake us. */
	if (ZH_UNLIKELY(!r->event_armed)) {
		/* Only a kernel that took none of the queue leaves it full: try again next loop. */
		if (reactor_arm_event(r) != 0)
			return false;
		reactor_submit_queued(r);
	}
	r->stats.enters++;
	/*
	 * Untimed only when everything queued went out: requests a failed submit (-EAGAIN or
	 * -ENOMEM from a kernel short of memory) left in the SQ would end no wait, and the next
	 * loop's submit is their retry.
	 */
	if (r->inflight > 0 && next == NULL && io_uring_sq_ready(&r->ring) == 0) {
		/* I/O in flight will end the wait, or a message; no timeout argument to pass. */
		io_uring_wait_cqes(&r->ring, &cqe, reactor_wake_count(r), NULL, NULL);
		return true;
	}
	if (next != NULL && next->deadline_ns < until)
		until = next->deadline_ns;
	uint64_t delta = until > now ? until - now : 0;
	struct __kernel_timespec ts = {.tv_sec = (long long)(delta / 1000000000ull),
				       .tv_nsec = (long long)(delta % 1000000000ull)};

	/* A timer does not wait for slow I/O: its deadline bounds a wait for a batch too. */
	io_uring_wait_cqes(&r->ring, &cqe, r->inflight > 0 ? reactor_wake_count(r) : 1, &ts, NULL);
	return true;
}

/* Poll, yield, then sleep if there is still nothing to do. */
static void reactor_idle(struct zh_reactor *r)
{
	if (reactor_busy_poll(r) || reactor_yield_wait(r))
		return;
	if (reactor_wait_count(r) > 0 && io_uring_cq_ready(&r->ring) == 0) {
		if (reactor_wait(r))
			r->stats.sleeps++;
		reactor_gather_end(r);
	}
	atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
}

static void reactor_enter(struct zh_reactor *r, bool busy)
{
	uint64_t submitted_ns = reactor_submit(r);
	bool io_wait;

	if (busy || io_uring_cq_ready(&r->ring) > 0) {
		r->now_ns = zh_clock_ns();
		return;
	}
	/* Time idle with I/O in flight is time waiting on the devices (zh_reactor_io_wait_ns). */
	io_wait = r->inflight > 0;
	if (io_wait && submitted_ns == 0)
		submitted_ns = zh_clock_ns();
	reactor_idle(r);
	r->now_ns = zh_clock_ns();
	if (io_wait)
		r->stats.io_wait_ns += r->now_ns - submitted_ns;
}

/*
 * What a request with an injected fault reports, given what its device reported (\p dev_res,
 * already decoded: a passthrough command's success reads as the length asked): -EIO as drawn; a
 * torn write all of its length once its first half is written; a short request at most the
 * length it was cut to. A device error stands.
 */
static int32_t fault_result(const struct zh_io *io, int32_t dev_res)
{
	if (io->fault_res < 0 || dev_res < 0)
		return io->fault_res < 0 ? io->fault_res : dev_res;
	if (io->fault_res == (int32_t)io->len_bytes)
		return io->fault_res;
	return dev_res < io->fault_res ? dev_res : io->fault_res;
}

int32_t zh__io_result(const struct zh_nvme_dev *dev, struct zh_io *io, int32_t cqe_res)
{
	int32_t res = zh_nvme_dev_complete(dev, cqe_res, io->len_bytes, &io->nvme_status);

	return ZH_UNLIKELY(io->fault_res != 0) ? fault_result(io, res) : res;
}

static void reactor_complete(struct zh_reactor *r, struct zh_io *io)
{
	if (ZH_UNLIKELY(io->dev_index == ZH_REACTOR_EVENT_DEV)) {
		io->cb(r, io);
		return;
	}
	ZH_ASSERT(r->inflight > 0);
	ZH_DEBUG_ASSERT(io->dev_index < r->dev_count);
	ZH_DEBUG_ASSERT(r->now_ns >= io->submit_ns);
	r->inflight--;
	r->stats.ios_completed++;
	io->res = zh__io_result(r->devs[io->dev_index], io, io->res);
	io->cb(r, io);
}

static void reactor_reap(struct zh_reactor *r)
{
	struct io_uring_cqe *cqes[ZH_REACTOR_REAP_BATCH];
	struct zh_io *done[ZH_REACTOR_REAP_BATCH];
	bool submitted = false;
	uint64_t completed_before = r->stats.ios_completed;

	for (unsigned round = 0; round < ZH_REACTOR_REAP_ROUNDS; round++) {
		/*
		 * Requests submitted early in the last round may complete in this one: their
		 * completion time must not be older than their submission time.
		 */
		if (submitted)
			r->now_ns = zh_clock_ns();
		submitted = false;
		/* On an empty CQ the peek enters to run flagged completion work itself. */
		if (io_uring_cq_ready(&r->ring) == 0)
			reactor_gather_end(r);

		unsigned n = io_uring_peek_batch_cqe(&r->ring, cqes, ZH_REACTOR_REAP_BATCH);

		for (unsigned i = 0; i < n; i++) {
			done[i] = (struct zh_io *)(uintptr_t)cqes[i]->user_data;
			if (done[i] != NULL)
				done[i]->res = cqes[i]->res;
		}
		io_uring_cq_advance(&r->ring, n);
		for (unsigned i = 0; i < n; i++) {
			if (done[i] != NULL)
				reactor_complete(r, done[i]);
			submitted = reactor_submit_early(r) || submitted;
		}
		if (n < ZH_REACTOR_REAP_BATCH)
			break;
	}
	/*
	 * One reap is one of fio's getevents: the requests every round of it completed (not the
	 * wake-up read's), counted when it found any.
	 */
	uint64_t reaped = r->stats.ios_completed - completed_before;

	if (reaped > 0)
		r->stats.reap_levels[zh_batch_level((uint32_t)reaped)]++;
}

static void reactor_loop(struct zh_reactor *r)
{
	for (;;) {
		bool busy = reactor_poll_msgs(r) > 0;

		busy = reactor_run_timers(r) > 0 || busy;
		if (atomic_load_explicit(&r->stopping, memory_order_relaxed) && r->inflight == 0)
			return;
		reactor_enter(r, busy);
		reactor_reap(r);
		r->stats.loops++;
		if (!busy && r->inflight == 0 && r->engine->opts.idle_poll)
			sched_yield();
	}
}

void *zh__reactor_main(void *arg)
{
	struct zh_reactor *r = arg;
	struct zh_engine *e = r->engine;
	int rc = reactor_setup(r);

	pthread_mutex_lock(&e->start_lock);
	r->setup_rc = rc;
	e->started++;
	pthread_cond_broadcast(&e->start_cond);
	pthread_mutex_unlock(&e->start_lock);
	if (rc == 0)
		reactor_loop(r);
	reactor_teardown(r);
	return NULL;
}

void zh__reactor_wake(struct zh_reactor *r)
{
	static const uint64_t one = 1;

	/* Pairs with the fence in reactor_wait_count(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->sleeping, memory_order_relaxed) == 0)
		return;
	/* Only the producer that clears the flag pays for the syscall. */
	if (atomic_exchange_explicit(&r->sleeping, 0, memory_order_relaxed) == 1) {
		ssize_t n = write(r->event_fd, &one, sizeof(one));

		/* EAGAIN means the counter is saturated: the reactor is awake anyway. */
		ZH_ASSERT(n == sizeof(one) || errno == EAGAIN);
	}
}

/* ---- API called on the reactor thread ----------------------------------------------------- */

unsigned zh_reactor_id(const struct zh_reactor *r)
{
	return r->id;
}

unsigned zh_reactor_cpu(const struct zh_reactor *r)
{
	return r->cpu;
}

struct zh_engine *zh_reactor_engine(const struct zh_reactor *r)
{
	return r->engine;
}

uint64_t zh_reactor_io_wait_ns(const struct zh_reactor *r)
{
	return r->stats.io_wait_ns;
}

uint64_t zh_reactor_now_ns(const struct zh_reactor *r)
{
	return r->now_ns;
}

uint32_t zh_reactor_inflight(const struct zh_reactor *r)
{
	return r->inflight;
}

void zh_reactor_stats_get(const struct zh_reactor *r, struct zh_reactor_stats *out)
{
	*out = r->stats;
	out->buf_exhausted = r->pool.exhausted;
}

int zh_reactor_post(struct zh_reactor *from, unsigned to, zh_msg_fn fn, void *arg)
{
	struct zh_engine *e = from->engine;
	struct zh_reactor *dst;

	ZH_ASSERT(to < e->reactor_count);
	ZH_ASSERT(fn != NULL);
	dst = &e->reactors[to];
	if (!zh__spsc_push(dst->inbound[from->id], fn, arg)) {
		from->stats.msg_ring_full++;
		return -EAGAIN;
	}
	zh__reactor_wake(dst);
	return 0;
}

int zh_reactor_buf_get(struct zh_reactor *r, uint32_t size_bytes, struct zh_buf **out)
{
	return zh__bufpool_get(&r->pool, size_bytes, out);
}

void zh_reactor_buf_put(struct zh_reactor *r, struct zh_buf *buf)
{
	zh__bufpool_put(&r->pool, buf);
}

/* ---- fault injection (zh_nvme_faults): tests only, one predictable branch otherwise ------- */

enum reactor_fault { FAULT_NONE, FAULT_EIO, FAULT_SHORT, FAULT_TORN, FAULT_DELAY };

static bool fault_hit(struct zh_reactor *r, uint32_t ppm)
{
	uint64_t x = r->fault_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->fault_rng = x;
	return ppm > 0 && x % 1000000u < ppm;
}

static enum reactor_fault fault_draw(struct zh_reactor *r, const struct zh_nvme_faults *f,
				     const struct zh_nvme_req *req, uint32_t block)
{
	if (req->op == ZH_NVME_OP_FLUSH)
		return fault_hit(r, f->eio_ppm) ? FAULT_EIO : FAULT_NONE;
	if (fault_hit(r, f->eio_ppm))
		return FAULT_EIO;
	if (req->len_bytes > block && fault_hit(r, f->short_ppm))
		return FAULT_SHORT;
	if (req->op == ZH_NVME_OP_WRITE && req->len_bytes > block && fault_hit(r, f->torn_ppm))
		return FAULT_TORN;
	return fault_hit(r, f->delay_ppm) ? FAULT_DELAY : FAULT_NONE;
}

static void fault_count_write(struct zh_nvme_faults *f, const struct zh_nvme_req *req)
{
	if (req->op != ZH_NVME_OP_WRITE)
		return;
	atomic_fetch_add_explicit(&f->writes, 1, memory_order_relaxed);
	if ((req->flags & (ZH_NVME_IO_FUA | ZH_NVME_IO_SYNC)) == 0)
		atomic_fetch_add_explicit(&f->writes_volatile, 1, memory_order_relaxed);
}

/* Count one more fault injected, unless the faults' limit is reached (any reactor may draw). */
static bool fault_take(struct zh_nvme_faults *f)
{
	uint32_t n = atomic_load_explicit(&f->injected, memory_order_relaxed);

	do {
		if (f->limit != 0 && n >= f->limit)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
	    &f->injected, &n, n + 1, memory_order_relaxed, memory_order_relaxed));
	return true;
}

/*
 * Apply a drawn fault: shorten the request (short, torn), or start it behind a linked timeout
 * (delay; the caller made sure the SQ has room for two). \return what fault_result() reports
 * instead of the device's result: -EIO, a torn write's full length, a short request's cut
 * length; or 0 to report the device's own.
 */
static int32_t fault_apply(struct zh_reactor *r, struct zh_nvme_faults *f, struct zh_nvme_req *req,
			   uint32_t block, bool *as_nop)
{
	struct io_uring_sqe *t;
	int32_t full = (int32_t)req->len_bytes;
	enum reactor_fault fault = fault_draw(r, f, req, block);

	if (fault != FAULT_NONE && !fault_take(f))
		fault = FAULT_NONE;
	switch (fault) {
	case FAULT_EIO:
		*as_nop = true;
		return -EIO;
	case FAULT_SHORT:
		req->len_bytes -= block;
		return (int32_t)req->len_bytes;
	case FAULT_TORN:
		req->len_bytes = req->len_bytes / 2 / block * block;
		return full;
	case FAULT_DELAY:
		t = io_uring_get_sqe(&r->ring);
		io_uring_prep_timeout(t, &f->delay_ts, 0, IORING_TIMEOUT_ETIME_SUCCESS);
		/* Its expiry posts no CQE: a delayed request completes once, as a real one does. */
		t->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
		io_uring_sqe_set_data64(t, ZH_REACTOR_NO_IO);
		return 0;
	case FAULT_NONE:
		break;
	}
	return 0;
}

static int reactor_queue(struct zh_reactor *r, unsigned dev, const struct zh_nvme_req *req,
			 struct zh_io *io, zh_io_cb cb)
{
	struct zh_nvme_faults *faults;
	struct zh_nvme_req faulted;
	struct io_uring_sqe *sqe;
	uint32_t asked = req->len_bytes;
	bool as_nop = false;
	int rc;

	ZH_ASSERT(dev < r->dev_count);
	ZH_ASSERT(cb != NULL);
	if (ZH_UNLIKELY(r->devs[dev] == NULL))
		return -ENODEV;
	io->fault_res = 0;
	faults = zh_nvme_dev_faults(r->devs[dev]);
	if (ZH_UNLIKELY(faults != NULL)) {
		if (atomic_load_explicit(&faults->vanished, memory_order_relaxed))
			return -ENODEV;
		if (io_uring_sq_space_left(&r->ring) < 2)
			return -EAGAIN;
		fault_count_write(faults, req);
		faulted = *req;
		req = &faulted;
		io->fault_res = fault_apply(r, faults, &faulted,
					    zh_nvme_dev_block_bytes(r->devs[dev]), &as_nop);
	}
	sqe = io_uring_get_sqe(&r->ring);
	if (ZH_UNLIKELY(sqe == NULL)) {
		r->stats.sq_full++;
		return -EAGAIN;
	}
	if (ZH_UNLIKELY(as_nop))
		io_uring_prep_nop(sqe);
	rc = as_nop ? 0 : zh_nvme_dev_prep(r->devs[dev], sqe, req);
	if (ZH_UNLIKELY(rc < 0)) {
		/* An SQE cannot be handed back: send it as a NOP whose CQE the reaper skips. */
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, ZH_REACTOR_NO_IO);
		return rc;
	}
	io->cb = cb;
	io->dev_index = (uint16_t)dev;
	io->len_bytes = asked;
	io->prep_ns = r->now_ns;
	io_uring_sqe_set_data(sqe, io);
	ZH_DEBUG_ASSERT(r->unstamped_count < r->unstamped_cap);
	r->unstamped[r->unstamped_count++] = io;
	r->inflight++;
	return 0;
}

/* One read or write of memory registered at \p buf_index (a pool class or the shared region). */
static int reactor_rw(struct zh_reactor *r, enum zh_nvme_op op, unsigned flags, unsigned dev,
		      void *addr, int buf_index, uint32_t len_bytes, uint64_t offset_bytes,
		      struct zh_io *io, zh_io_cb cb)
{
	struct zh_nvme_req req = {
	    .op = op,
	    .flags = flags,
	    .offset_bytes = offset_bytes,
	    .len_bytes = len_bytes,
	    .addr = addr,
	    .buf_index = buf_index,
	    .file_index = (int)dev,
	};

	return reactor_queue(r, dev, &req, io, cb);
}

static int reactor_rw_buf(struct zh_reactor *r, enum zh_nvme_op op, unsigned flags, unsigned dev,
			  struct zh_buf *buf, uint32_t len_bytes, uint64_t offset_bytes,
			  struct zh_io *io, zh_io_cb cb)
{
	/* A longer transfer would run into the next buffer of the registered class region. */
	ZH_ASSERT(len_bytes <= buf->size_bytes);
	return reactor_rw(r, op, flags, dev, buf->data, buf->reg_index, len_bytes, offset_bytes, io,
			  cb);
}

int zh_reactor_read(struct zh_reactor *r, unsigned dev, struct zh_buf *buf, uint32_t len_bytes,
		    uint64_t offset_bytes, struct zh_io *io, zh_io_cb cb)
{
	return reactor_rw_buf(r, ZH_NVME_OP_READ, 0, dev, buf, len_bytes, offset_bytes, io, cb);
}

int zh_reactor_write(struct zh_reactor *r, unsigned dev, struct zh_buf *buf, uint32_t len_bytes,
		     uint64_t offset_bytes, unsigned flags, struct zh_io *io, zh_io_cb cb)
{
	return reactor_rw_buf(r, ZH_NVME_OP_WRITE, flags, dev, buf, len_bytes, offset_bytes, io,
			      cb);
}

static int reactor_rw_shared(struct zh_reactor *r, enum zh_nvme_op op, unsigned flags, unsigned dev,
			     void *addr, uint32_t len_bytes, uint64_t offset_bytes,
			     struct zh_io *io, zh_io_cb cb)
{
	const struct zh_engine_opts *o = &r->engine->opts;

	ZH_ASSERT(r->shared_buf_index >= 0);
	ZH_ASSERT((uint8_t *)addr >= (uint8_t *)o->shared_region);
	ZH_ASSERT((uint8_t *)addr + len_bytes <=
		  (uint8_t *)o->shared_region + o->shared_region_bytes);
	return reactor_rw(r, op, flags, dev, addr, r->shared_buf_index, len_bytes, offset_bytes, io,
			  cb);
}

int zh_reactor_read_shared(struct zh_reactor *r, unsigned dev, void *addr, uint32_t len_bytes,
			   uint64_t offset_bytes, struct zh_io *io, zh_io_cb cb)
{
	return reactor_rw_shared(r, ZH_NVME_OP_READ, 0, dev, addr, len_bytes, offset_bytes, io, cb);
}

int zh_reactor_write_shared(struct zh_reactor *r, unsigned dev, const void *addr,
			    uint32_t len_bytes, uint64_t offset_bytes, unsigned flags,
			    struct zh_io *io, zh_io_cb cb)
{
	/* The kernel only reads a write's buffer; the request struct is not const-aware. */
	return reactor_rw_shared(r, ZH_NVME_OP_WRITE, flags, dev, (void *)(uintptr_t)addr,
				 len_bytes, offset_bytes, io, cb);
}

int zh_reactor_write_mem(struct zh_reactor *r, unsigned dev, const void *addr, uint32_t len_bytes,
			 uint64_t offset_bytes, unsigned flags, struct zh_io *io, zh_io_cb cb)
{
	return reactor_rw(r, ZH_NVME_OP_WRITE, flags, dev, (void *)(uintptr_t)addr, -1, len_bytes,
			  offset_bytes, io, cb);
}

int zh_reactor_flush(struct zh_reactor *r, unsigned dev, struct zh_io *io, zh_io_cb cb)
{
	struct zh_nvme_req req = {
	    .op = ZH_NVME_OP_FLUSH,
	    .buf_index = -1,
	    .file_index = (int)dev,
	};

	return reactor_queue(r, dev, &req, io, cb);
}

int zh_reactor_timer_start(struct zh_reactor *r, struct zh_timer *timer, uint64_t deadline_ns,
			   zh_timer_cb cb)
{
	ZH_ASSERT(cb != NULL);
	timer->deadline_ns = deadline_ns;
	timer->cb = cb;
	return zh__timer_heap_push(&r->timers, timer);
}

void zh_reactor_timer_cancel(struct zh_reactor *r, struct zh_timer *timer)
{
	zh__timer_heap_remove(&r->timers, timer);
}
