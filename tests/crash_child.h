/* SPDX-License-Identifier: MIT */
/*
 * crash_child: start the child process a kill -9 test kills, and read its acknowledgements.
 * The child is a program of its own (posix_spawn), never a fork of the test: a fork of a
 * process with threads (RocksDB's background pool, the sanitizers') may only make
 * async-signal-safe calls, and a child that opened a store anyway could wait forever on a
 * lock some other thread held at the moment of the fork, with the test waiting for it.
 */
#ifndef ZH_TEST_CRASH_CHILD_H
#define ZH_TEST_CRASH_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/** The child writes its acknowledgements to this descriptor. */
#define ZT_CHILD_ACK_FD 3

/**
 * Start argv[0] with \p argv and the write end of a pipe as its ZT_CHILD_ACK_FD.
 * \return 0 with the child's pid and the read end, or a negative errno.
 */
int zt_child_spawn(char *const argv[], pid_t *pid, int *ack_fd);

/**
 * Read exactly \p len bytes from \p fd, waiting at most \p timeout_ms for them.
 * \return len, 0 at end of file (the child is gone), -ETIMEDOUT, or another negative errno.
 */
long zt_child_read_within(int fd, void *buf, size_t len, int timeout_ms);

#endif
