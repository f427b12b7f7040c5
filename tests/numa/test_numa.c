/* SPDX-License-Identifier: MIT */
/*
 * Tests for numa/numa.c: core-list parsing, topology queries, pinning and node-bound memory;
 * and numa/zh_platform.h's aligned allocation.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "numa/numa.h"
#include "numa/zh_platform.h"

Test(numa_numa, cpuset_parses_lists_and_ranges_in_order)
{
	struct zh_numa_cpuset set;

	cr_assert_eq(zh_numa_cpuset_parse("8,0-3,2", &set), 0);
	cr_assert_eq(set.count, 5);
	const uint16_t want[5] = {0, 1, 2, 3, 8};
	for (int i = 0; i < 5; i++)
		cr_assert_eq(set.cpus[i], want[i]);
	cr_assert_eq(zh_numa_cpuset_parse("1023", &set), 0);
	cr_assert_eq(set.cpus[0], 1023);
}

Test(numa_numa, cpuset_rejects_bad_syntax)
{
	struct zh_numa_cpuset set;
	const char *bad[] = {"", "a", "1,", ",1", "3-1", "1-", "1--2", "1 2", "-1", "0x1"};

	for (size_t i = 0; i < ZH_ARRAY_SIZE(bad); i++)
		cr_assert_eq(zh_numa_cpuset_parse(bad[i], &set), -EINVAL, "accepted '%s'", bad[i]);
	cr_assert_eq(zh_numa_cpuset_parse("1024", &set), -E2BIG);
	cr_assert_eq(zh_numa_cpuset_parse("99999999999999999999999", &set), -E2BIG);
}

Test(numa_numa, pins_to_an_allowed_core_and_allocates_node_memory)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	unsigned char *mem;
	int node;

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh_numa_topo_allowed_cpus(topo, &cpus), 0);
	cr_assert_gt(cpus.count, 0);
	cr_assert_geq(zh_numa_topo_node_count(topo), 1);
	unsigned last = cpus.cpus[cpus.count - 1];
	cr_assert_eq(zh_numa_thread_pin(topo, last), 0);
	cr_assert_eq((unsigned)sched_getcpu(), last);
	node = zh_numa_topo_cpu_node(topo, last);
	cr_assert_geq(node, 0);
	cr_assert_eq(zh_numa_topo_cpu_node(topo, 4000), -ENOENT);
	cr_assert_eq(zh_numa_thread_pin(topo, 4000), -ENOENT);
	mem = zh_numa_alloc(topo, 1 << 20, node);
	cr_assert_not_null(mem);
	cr_assert_eq((uintptr_t)mem % 4096, 0);
	cr_assert_eq(mem[12345], 0);
	mem[(1 << 20) - 1] = 1;
	zh_numa_free(topo, mem, 1 << 20);
	zh_numa_topo_destroy(topo);
}

/*
 * The thread is first narrowed to the last allowed core, so that a bind that did nothing would
 * leave that one core (on one NUMA node the node's cores are every allowed core: the mask the
 * thread started with).
 */
Test(numa_numa, bind_node_allows_every_allowed_core_of_the_node)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	cpu_set_t mask;
	unsigned same_node = 0;

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh_numa_topo_allowed_cpus(topo, &cpus), 0);
	if (cpus.count < 2)
		cr_skip_test("needs two cores");
	for (uint32_t i = 0; i < cpus.count; i++)
		same_node += zh_numa_topo_cpu_node(topo, cpus.cpus[i]) ==
			     zh_numa_topo_cpu_node(topo, cpus.cpus[0]);
	CPU_ZERO(&mask);
	CPU_SET(cpus.cpus[cpus.count - 1], &mask);
	cr_assert_eq(sched_setaffinity(0, sizeof(mask), &mask), 0);
	cr_assert_eq(zh_numa_thread_bind_node(topo, cpus.cpus[0]), 0);
	cr_assert_eq(sched_getaffinity(0, sizeof(mask), &mask), 0);
	cr_assert_eq((unsigned)CPU_COUNT(&mask), same_node);
	cr_assert(CPU_ISSET(cpus.cpus[0], &mask));
	cr_assert_eq(zh_numa_thread_bind_node(topo, 4000), -ENOENT);
	zh_numa_topo_destroy(topo);
}

struct narrowed_run {
	unsigned cpu; /* the one core the thread may use */
	struct zh_numa_cpuset allowed;
	cpu_set_t bound;
	int rc;
};

/* A thread narrowed to one core (as taskset narrows a process) looks at the topology. */
static void *narrowed_thread(void *arg)
{
	struct narrowed_run *run = arg;
	struct zh_numa_topo *topo;

	run->rc = zh_numa_topo_create(&topo);
	if (run->rc < 0)
		return NULL;
	run->rc = zh_numa_topo_allowed_cpus(topo, &run->allowed);
	if (run->rc == 0)
		run->rc = zh_numa_thread_bind_node(topo, run->cpu);
	if (run->rc == 0 && sched_getaffinity(0, sizeof(run->bound), &run->bound) < 0)
		run->rc = -errno;
	zh_numa_topo_destroy(topo);
	return NULL;
}

/*
 * The allowed cores are the affinity the process was given, not every core of the cgroup, and
 * binding to a node stays inside them. hwloc's process binding (the union of every thread's)
 * and its cgroup set both gave a process narrowed by taskset all cores: reactors and their
 * io-wq workers ran on cores they were kept from.
 */
Test(numa_numa, allowed_cores_are_the_affinity_given_not_the_whole_machine)
{
	struct narrowed_run run = {0};
	pthread_attr_t attr;
	cpu_set_t one;
	pthread_t tid;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		cr_skip_test("needs two cores");
	cr_assert_eq(sched_getaffinity(0, sizeof(one), &one), 0);
	for (run.cpu = 0; !CPU_ISSET(run.cpu, &one); run.cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(run.cpu, &one);
	cr_assert_eq(pthread_attr_init(&attr), 0);
	cr_assert_eq(pthread_attr_setaffinity_np(&attr, sizeof(one), &one), 0);
	cr_assert_eq(pthread_create(&tid, &attr, narrowed_thread, &run), 0);
	pthread_join(tid, NULL);
	pthread_attr_destroy(&attr);
	cr_assert_eq(run.rc, 0);
	cr_assert_eq(run.allowed.count, 1);
	cr_assert_eq(run.allowed.cpus[0], run.cpu);
	cr_assert_eq(CPU_COUNT(&run.bound), 1, "bound to its node, within its one core");
	cr_assert(CPU_ISSET(run.cpu, &run.bound));
}

/*
 * zh_calloc_aligned: aligned to what was asked, zeroed, released by zh_free_aligned (ASan
 * checks the pairing), and NULL for a size that overflows. calloc gave 16-byte alignment to
 * arrays whose type asked for 64 (the reactors).
 */
Test(numa_platform, calloc_aligned_aligns_zeroes_and_refuses_overflow)
{
	static const size_t aligns[] = {8, 64, 4096};
	static const size_t sizes[] = {1, 17, 64, 832, 1 << 20};

	for (size_t a = 0; a < ZH_ARRAY_SIZE(aligns); a++) {
		for (size_t n = 0; n < ZH_ARRAY_SIZE(sizes); n++) {
			/* Allocated twice over: malloc's own 16 bytes would pass one by luck. */
			uint8_t *p[4];

			for (size_t k = 0; k < ZH_ARRAY_SIZE(p); k++) {
				p[k] = zh_calloc_aligned(aligns[a], 3, sizes[n]);
				cr_assert_not_null(p[k]);
				cr_assert_eq((uintptr_t)p[k] % aligns[a], 0, "align %zu size %zu",
					     aligns[a], sizes[n]);
				for (size_t i = 0; i < 3 * sizes[n]; i++)
					cr_assert_eq(p[k][i], 0);
				memset(p[k], 0xff, 3 * sizes[n]);
			}
			for (size_t k = 0; k < ZH_ARRAY_SIZE(p); k++)
				zh_free_aligned(p[k]);
		}
	}
	cr_assert_null(zh_calloc_aligned(64, SIZE_MAX / 2, 4));
	cr_assert_null(zh_calloc_aligned(64, 1, SIZE_MAX - 64));
	zh_free_aligned(NULL);
}
