/* SPDX-License-Identifier: MIT */
/* Tests for numa/numa.c: core-list parsing, topology queries, pinning and node-bound memory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>

#include "numa/numa.h"

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

Test(numa_numa, bind_node_allows_every_allowed_core_of_the_node)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset cpus;
	cpu_set_t mask;
	unsigned same_node = 0;

	cr_assert_eq(zh_numa_topo_create(&topo), 0);
	cr_assert_eq(zh_numa_topo_allowed_cpus(topo, &cpus), 0);
	for (uint32_t i = 0; i < cpus.count; i++)
		same_node += zh_numa_topo_cpu_node(topo, cpus.cpus[i]) ==
			     zh_numa_topo_cpu_node(topo, cpus.cpus[0]);
	cr_assert_eq(zh_numa_thread_bind_node(topo, cpus.cpus[0]), 0);
	cr_assert_eq(sched_getaffinity(0, sizeof(mask), &mask), 0);
	cr_assert_eq((unsigned)CPU_COUNT(&mask), same_node);
	cr_assert(CPU_ISSET(cpus.cpus[0], &mask));
	cr_assert_eq(zh_numa_thread_bind_node(topo, 4000), -ENOENT);
	zh_numa_topo_destroy(topo);
}
