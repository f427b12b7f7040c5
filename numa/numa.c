/* SPDX-License-Identifier: MIT */
/*
 * numa: hwloc-backed topology, core sets, pinning and node-bound memory. The hwloc topology is
 * loaded once and only read afterwards, which hwloc documents as safe from several threads.
 */
#include "numa/numa.h"

#include <errno.h>
#include <hwloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* x86-64 and arm64 transparent huge page size. */
#define ZH_NUMA_HUGE_PAGE_BYTES (2u << 20)

struct zh_numa_topo {
	hwloc_topology_t topology;
	/*
	 * The cores this process may use: the creating thread's affinity when the topology was
	 * loaded (what taskset or numactl gave the process), within the cgroup's. Read once:
	 * hwloc's process binding is the union of every thread's, which pinned reactors widen.
	 */
	hwloc_bitmap_t allowed;
};

/* The calling thread's affinity within the topology's allowed set; all of that set if empty. */
static int allowed_load(struct zh_numa_topo *topo)
{
	hwloc_const_bitmap_t cgroup = hwloc_topology_get_allowed_cpuset(topo->topology);

	bool bound;

	topo->allowed = hwloc_bitmap_alloc();
	if (topo->allowed == NULL)
		return -ENOMEM;
	bound = hwloc_get_cpubind(topo->topology, topo->allowed, HWLOC_CPUBIND_THREAD) == 0;
	if (bound)
		hwloc_bitmap_and(topo->allowed, topo->allowed, cgroup);
	if (!bound || hwloc_bitmap_iszero(topo->allowed))
		return hwloc_bitmap_copy(topo->allowed, cgroup) < 0 ? -ENOMEM : 0;
	return 0;
}

static int cpuset_add_range(bool *seen, unsigned long lo, unsigned long hi)
{
	if (hi < lo)
		return -EINVAL;
	if (hi >= ZH_NUMA_CPUS_MAX)
		return -E2BIG;
	for (unsigned long c = lo; c <= hi; c++)
		seen[c] = true;
	return 0;
}

static int parse_core_number(const char *s, char **end, unsigned long *out)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, end, 10);
	if (errno != 0)
		return -E2BIG;
	return 0;
}

int zh_numa_cpuset_parse(const char *spec, struct zh_numa_cpuset *out)
{
	static_assert(ZH_NUMA_CPUS_MAX <= UINT16_MAX, "cores are stored as uint16_t");
	bool seen[ZH_NUMA_CPUS_MAX] = {false};
	const char *p = spec;
	int rc;

	ZH_ASSERT(spec != NULL);
	ZH_ASSERT(out != NULL);
	if (*p == '\0')
		return -EINVAL;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		rc = parse_core_number(p, &end, &lo);
		if (rc < 0)
			return rc;
		hi = lo;
		if (*end == '-') {
			rc = parse_core_number(end + 1, &end, &hi);
			if (rc < 0)
				return rc;
		}
		rc = cpuset_add_range(seen, lo, hi);
		if (rc < 0)
			return rc;
		if (*end == '\0')
			break;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
	out->count = 0;
	for (unsigned c = 0; c < ZH_NUMA_CPUS_MAX; c++) {
		if (seen[c])
			out->cpus[out->count++] = (uint16_t)c;
	}
	return 0;
}

int zh_numa_topo_create(struct zh_numa_topo **out)
{
	struct zh_numa_topo *topo = calloc(1, sizeof(*topo));

	if (topo == NULL)
		return -ENOMEM;
	if (hwloc_topology_init(&topo->topology) < 0)
		goto err_free;
	if (hwloc_topology_load(topo->topology) < 0)
		goto err_destroy;
	if (allowed_load(topo) < 0) {
		zh_numa_topo_destroy(topo); /* loaded: the whole topology, its bitmap if any */
		return -ENOMEM;
	}
	*out = topo;
	return 0;

err_destroy:
	hwloc_topology_destroy(topo->topology);
err_free:
	free(topo);
	return -EIO;
}

void zh_numa_topo_destroy(struct zh_numa_topo *topo)
{
	if (topo == NULL)
		return;
	hwloc_bitmap_free(topo->allowed);
	hwloc_topology_destroy(topo->topology);
	free(topo);
}

int zh_numa_topo_allowed_cpus(const struct zh_numa_topo *topo, struct zh_numa_cpuset *out)
{
	int cpu;

	out->count = 0;
	hwloc_bitmap_foreach_begin(cpu, topo->allowed)
	{
		if (cpu < ZH_NUMA_CPUS_MAX)
			out->cpus[out->count++] = (uint16_t)cpu;
	}
	hwloc_bitmap_foreach_end();
	return out->count > 0 ? 0 : -ENOENT;
}

unsigned zh_numa_topo_node_count(const struct zh_numa_topo *topo)
{
	int n = hwloc_get_nbobjs_by_type(topo->topology, HWLOC_OBJ_NUMANODE);

	return n > 0 ? (unsigned)n : 1;
}

static hwloc_obj_t pu_of_cpu(const struct zh_numa_topo *topo, unsigned cpu)
{
	return hwloc_get_pu_obj_by_os_index(topo->topology, cpu);
}

/* The NUMA node holding `pu`, or NULL on a machine hwloc reports without nodes. */
static hwloc_obj_t node_of_pu(const struct zh_numa_topo *topo, hwloc_obj_t pu)
{
	return hwloc_get_next_obj_covering_cpuset_by_type(topo->topology, pu->cpuset,
							  HWLOC_OBJ_NUMANODE, NULL);
}

int zh_numa_topo_cpu_node(const struct zh_numa_topo *topo, unsigned cpu)
{
	hwloc_obj_t pu = pu_of_cpu(topo, cpu);
	hwloc_obj_t node;

	if (pu == NULL)
		return -ENOENT;
	node = node_of_pu(topo, pu);
	return node != NULL ? (int)node->os_index : 0;
}

int zh_numa_thread_pin(const struct zh_numa_topo *topo, unsigned cpu)
{
	hwloc_obj_t pu = pu_of_cpu(topo, cpu);

	if (pu == NULL)
		return -ENOENT;
	if (hwloc_set_cpubind(topo->topology, pu->cpuset, HWLOC_CPUBIND_THREAD) < 0)
		return -errno;
	return 0;
}

int zh_numa_thread_bind_node(const struct zh_numa_topo *topo, unsigned cpu)
{
	hwloc_obj_t pu = pu_of_cpu(topo, cpu);
	hwloc_obj_t node;
	hwloc_bitmap_t set;
	int rc = 0;

	if (pu == NULL)
		return -ENOENT;
	node = node_of_pu(topo, pu);
	set = hwloc_bitmap_alloc();
	if (set == NULL)
		return -ENOMEM;
	hwloc_bitmap_and(set, node != NULL ? node->cpuset : pu->cpuset, topo->allowed);
	if (hwloc_set_cpubind(topo->topology, set, HWLOC_CPUBIND_THREAD) < 0)
		rc = -errno;
	hwloc_bitmap_free(set);
	return rc;
}

void *zh_numa_alloc(const struct zh_numa_topo *topo, size_t size_bytes, int node)
{
	hwloc_obj_t obj = hwloc_get_numanode_obj_by_os_index(topo->topology, (unsigned)node);
	void *mem = NULL;

	ZH_ASSERT(size_bytes > 0);
	if (obj != NULL) {
		mem = hwloc_alloc_membind(topo->topology, size_bytes, obj->nodeset,
					  HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET);
	}
	/* Binding can be unsupported (no NUMA, containers); local first touch is the fallback. */
	if (mem == NULL)
		mem = hwloc_alloc(topo->topology, size_bytes);
	if (mem == NULL)
		return NULL;
	/*
	 * Ask for transparent huge pages before the first touch: a registered I/O buffer then
	 * maps to a few large segments instead of one per 4 KiB page. Advice only; refusal is fine.
	 */
	if (size_bytes >= ZH_NUMA_HUGE_PAGE_BYTES)
		(void)madvise(mem, size_bytes, MADV_HUGEPAGE);
	memset(mem, 0, size_bytes);
	return mem;
}

void zh_numa_free(const struct zh_numa_topo *topo, void *mem, size_t size_bytes)
{
	if (mem != NULL)
		hwloc_free(topo->topology, mem, size_bytes);
}
