/* SPDX-License-Identifier: MIT */
/*
 * test_crash_child.c - the kill -9 suites' child helper: a spawned program's acknowledgements
 * arrive on the pipe, a child that exits reads as end of file, and one that never writes ends
 * the wait at its deadline instead of holding the suite (the way a hung crash child could).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash_child.h"

static int spawn_sh(const char *script, pid_t *pid)
{
	char *const argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	int fd;

	cr_assert_eq(zt_child_spawn(argv, pid, &fd), 0);
	return fd;
}

Test(crash_child, acknowledgements_arrive_whole_on_the_ack_descriptor)
{
	pid_t pid;
	int fd = spawn_sh("printf abcd >&3; sleep 0.1; printf efgh >&3", &pid);
	char buf[8];
	int st;

	cr_assert_eq(zt_child_read_within(fd, buf, sizeof(buf), 10000), (long)sizeof(buf));
	cr_assert_arr_eq(buf, "abcdefgh", sizeof(buf));
	cr_assert_eq(zt_child_read_within(fd, buf, 1, 10000), 0, "end of file after the child");
	close(fd);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(crash_child, a_silent_child_ends_the_wait_at_the_deadline)
{
	pid_t pid;
	int fd = spawn_sh("exec sleep 60", &pid);
	char buf[4];
	int st;

	cr_assert_eq(zt_child_read_within(fd, buf, sizeof(buf), 200), -ETIMEDOUT);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st));
	close(fd);
}

Test(crash_child, the_child_holds_the_pipe_once)
{
	/* Descriptor 3 is the pipe; no other descriptor of the child is either of its ends. */
	static const char script[] = "p=$(readlink /proc/$$/fd/3); n=0; "
				     "for f in /proc/$$/fd/*; do "
				     "[ \"$(readlink $f)\" = \"$p\" ] && n=$((n + 1)); done; "
				     "printf $n >&3";
	pid_t pid;
	int fd = spawn_sh(script, &pid);
	char c = 0;
	int st;

	cr_assert_eq(zt_child_read_within(fd, &c, 1, 10000), 1);
	cr_assert_eq(c, '1', "the child holds the pipe %c times", c);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	close(fd);
}

Test(crash_child, a_missing_program_is_an_error_not_a_child)
{
	char *const argv[] = {"/nonexistent/crash-child", NULL};
	pid_t pid;
	int fd;

	cr_assert_eq(zt_child_spawn(argv, &pid, &fd), -ENOENT);
}
