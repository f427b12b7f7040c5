/* SPDX-License-Identifier: MIT */
/*
 * zhtp-fileobj-bench: the obvious alternative to an object store for small objects, measured
 * the same way zhtp-bench measures rw=put/get: one file per object in a directory on the same
 * filesystem, written with write + fsync and read with open + read. THREADS client threads
 * (like iodepth), COUNT objects of SIZE bytes, incompressible and distinct, spread over 256
 * subdirectories as object stores on files do. Prints one JSON line per phase.
 *
 *   zhtp-fileobj-bench DIR SIZE COUNT THREADS [GET_SECONDS]
 *
 * With GET_SECONDS the get phase goes round the objects again and again for that long (a steady
 * state, as zhtp-bench's time_based get job measures it); without, it reads each one once.
 *
 * The directory entry is not fsynced after each create: a user who wants a put to survive a
 * power cut needs that too, so this peer is the generous version of the alternative.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct run {
	const char *dir;
	size_t size;
	uint64_t count;
	_Atomic uint64_t next;
	_Atomic int error;
	bool get;
	uint64_t deadline_ns; /* get: loop until then; 0: one pass */
	_Atomic uint64_t done;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void object_path(const struct run *r, uint64_t n, char *out, size_t len)
{
	snprintf(out, len, "%s/%02x/%016llx", r->dir, (unsigned)(n & 0xff), (unsigned long long)n);
}

static int put_one(const struct run *r, uint64_t n, uint8_t *buf)
{
	char path[512];
	int fd, rc = 0;

	memcpy(buf, &n, sizeof(n) < r->size ? sizeof(n) : r->size);
	object_path(r, n, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, r->size) != (ssize_t)r->size || fsync(fd) < 0)
		rc = -EIO;
	close(fd);
	return rc;
}

static int get_one(const struct run *r, uint64_t n, uint8_t *buf)
{
	char path[512];
	int fd, rc = 0;

	object_path(r, n, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, buf, r->size) != (ssize_t)r->size)
		rc = -EIO;
	close(fd);
	return rc;
}

static void *thread_main(void *arg)
{
	struct run *r = arg;
	uint8_t *buf = malloc(r->size);
	uint64_t x = (uint64_t)(uintptr_t)&buf ^ now_ns();

	for (size_t i = 0; buf != NULL && i < r->size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	for (;;) {
		uint64_t n = atomic_fetch_add(&r->next, 1);
		int rc;

		if (buf == NULL ||
		    (r->deadline_ns == 0 ? n >= r->count : now_ns() >= r->deadline_ns))
			break;
		n %= r->count;
		atomic_fetch_add(&r->done, 1);
		rc = r->get ? get_one(r, n, buf) : put_one(r, n, buf);
		if (rc < 0) {
			atomic_store(&r->error, -rc);
			break;
		}
	}
	free(buf);
	return NULL;
}

static int phase(struct run *r, unsigned threads, bool get, double seconds)
{
	pthread_t tid[256];
	uint64_t start = now_ns();
	double secs;

	r->get = get;
	r->deadline_ns = seconds > 0 ? start + (uint64_t)(seconds * 1e9) : 0;
	atomic_store(&r->next, 0);
	atomic_store(&r->done, 0);
	for (unsigned i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, thread_main, r);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	secs = (double)(now_ns() - start) / 1e9;
	if (atomic_load(&r->error) != 0) {
		fprintf(stderr, "zhtp-fileobj-bench: %s\n", strerror(atomic_load(&r->error)));
		return 1;
	}
	printf("{\"phase\": \"%s\", \"objects\": %llu, \"seconds\": %.6f, \"ops\": %.1f}\n",
	       get ? "get" : "put", (unsigned long long)atomic_load(&r->done), secs,
	       (double)atomic_load(&r->done) / secs);
	return 0;
}

int main(int argc, char **argv)
{
	struct run r = {0};
	unsigned threads;
	char sub[512];

	double get_seconds;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: zhtp-fileobj-bench DIR SIZE COUNT THREADS [GET_SECONDS]\n");
		return 2;
	}
	r.dir = argv[1];
	r.size = strtoull(argv[2], NULL, 10);
	r.count = strtoull(argv[3], NULL, 10);
	threads = (unsigned)atoi(argv[4]);
	get_seconds = argc == 6 ? atof(argv[5]) : 0;
	if (r.size == 0 || r.count == 0 || threads == 0 || threads > 256) {
		fprintf(stderr, "zhtp-fileobj-bench: bad arguments\n");
		return 2;
	}
	mkdir(r.dir, 0755);
	for (unsigned i = 0; i < 256; i++) {
		snprintf(sub, sizeof(sub), "%s/%02x", r.dir, i);
		mkdir(sub, 0755);
	}
	if (phase(&r, threads, false, 0) != 0 || phase(&r, threads, true, get_seconds) != 0)
		return 1;
	return 0;
}
