/* SPDX-License-Identifier: MIT */
/*
 * store: batch put and get with bounded concurrency (the seed's batch upload and download).
 * A batch runs its items on up to `concurrency` threads of its own, each taking the next item
 * until none is left; the puts and gets themselves are the ordinary ones, so concurrent small
 * puts land in the same group commits. Threads are made per batch: a batch is a control-path
 * call, and a pool kept for it would hold stacks while no batch runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "engine/store_internal.h"

struct batch {
	struct zh_store *store;
	struct zh_store_put_item *puts;
	struct zh_store_get_item *gets;
	size_t n;
	_Atomic size_t next;
};

static void batch_item(struct batch *b, size_t i)
{
	if (b->puts != NULL) {
		struct zh_store_put_item *it = &b->puts[i];

		it->rc = zh_store_put(b->store, it->data, it->len, it->meta, it->hash);
	} else {
		struct zh_store_get_item *it = &b->gets[i];

		it->rc = zh_store_get(b->store, it->hash, it->offset, it->len, it->sink, it->ctx);
	}
}

static void *batch_worker(void *arg)
{
	struct batch *b = arg;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		batch_item(b, i);
	return NULL;
}

/* Run every item on up to \p concurrency threads; the caller's thread is one of them. */
static void batch_run(struct batch *b, unsigned concurrency)
{
	pthread_t tid[ZH_STORE_BATCH_CONCURRENCY_MAX];
	unsigned started = 0;

	while (started + 1 < concurrency && started + 1 < b->n &&
	       pthread_create(&tid[started], NULL, batch_worker, b) == 0)
		started++;
	/* If no thread could be made, the caller alone still finishes the batch. */
	batch_worker(b);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

static int first_error_put(const struct zh_store_put_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].rc < 0)
			return items[i].rc;
	}
	return 0;
}

static int first_error_get(const struct zh_store_get_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].rc != 0)
			return items[i].rc;
	}
	return 0;
}

int zh_store_put_batch(struct zh_store *s, struct zh_store_put_item *items, size_t n,
		       unsigned concurrency)
{
	struct batch b = {.store = s, .puts = items, .n = n};

	if (concurrency == 0 || concurrency > ZH_STORE_BATCH_CONCURRENCY_MAX)
		return -EINVAL;
	batch_run(&b, concurrency);
	return first_error_put(items, n);
}

int zh_store_get_batch(struct zh_store *s, struct zh_store_get_item *items, size_t n,
		       unsigned concurrency)
{
	struct batch b = {.store = s, .gets = items, .n = n};

	if (concurrency == 0 || concurrency > ZH_STORE_BATCH_CONCURRENCY_MAX)
		return -EINVAL;
	batch_run(&b, concurrency);
	return first_error_get(items, n);
}
