/* SPDX-License-Identifier: MIT */
/*
 * Concurrency scenarios shared by the Criterion suites and the ThreadSanitizer driver
 * (Criterion itself cannot run under TSan: Snaipe/Criterion#274). Each returns what it saw;
 * the callers assert on it.
 */
#ifndef ZH_TEST_CONCURRENCY_CASES_H
#define ZH_TEST_CONCURRENCY_CASES_H

#include <stdbool.h>
#include <stdint.h>

struct ring_stress_result {
	uint64_t received;
	uint64_t out_of_order;
	uint64_t full_seen; /* pushes refused because the ring was full */
	int empty_at_end;
};

/** A producer and a consumer thread move `messages` sequence numbers through one ring. */
struct ring_stress_result ring_stress_run(uint32_t entries, uint64_t messages);

struct ping_pong_result {
	int create_rc;	   /* zh_engine_create() result; the rest is valid when 0 */
	unsigned count[2]; /* messages each reactor received */
	int finished;
};

/** Two reactors bounce one message `pings` times, starting from the control thread. */
struct ping_pong_result ping_pong_run(unsigned pings);

struct post_storm_result {
	int create_rc;
	uint64_t posted;
	uint64_t handled[2];
	uint64_t refused; /* zh_engine_post() answered -EAGAIN (back-pressure) */
};

/** The control thread floods two reactors through small rings; every message must arrive. */
struct post_storm_result post_storm_run(uint64_t messages);

struct store_stress_result {
	int rc; /* first error of format, open, put or get; the rest is valid when 0 */
	uint64_t puts, gets, mismatches;
	uint64_t scrubs, scrub_problems; /* with scrub: walks done, chunks lost or bad reported */
	uint64_t shards_repaired;	 /* with scrub: shards its walks rewrote */
	int fsck_clean;
};

/**
 * Four threads put and get many small chunked objects (one chunk each) on a store in \p dir,
 * each put and get freeing its context right after it returns, while the reactors are still
 * waking it: the window where a reactor touched a waiter its owner had already freed. With
 * \p scrub, every odd object is deleted after it is read back while another thread damages
 * device 0's first shards and scrubs and repairs the store, in a loop (its reads and rewrites
 * race the gets, the deletes and the reuse of their extents). A get must deliver the whole
 * object, piece by piece in order.
 */
struct store_stress_result store_stress_run(const char *dir, unsigned objects_per_thread,
					    bool scrub);

#endif /* ZH_TEST_CONCURRENCY_CASES_H */
