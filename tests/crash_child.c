/* SPDX-License-Identifier: MIT */
/* crash_child: spawning a kill -9 test's child and reading its acknowledgements (crash_child.h). */
#include "crash_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int zt_child_spawn(char *const argv[], pid_t *pid, int *ack_fd)
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc;

	/* Both ends close on exec; the child gets the write end only, as ZT_CHILD_ACK_FD. */
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		rc = posix_spawn_file_actions_adddup2(&fa, fds[1], ZT_CHILD_ACK_FD);
		if (rc == 0)
			rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -rc;
	}
	*ack_fd = fds[0];
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long zt_child_read_within(int fd, void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p.revents == 0)
			continue;
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return 0;
		if (n > 0)
			got += (size_t)n;
	}
	return (long)got;
}
