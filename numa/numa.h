/* SPDX-License-Identifier: MIT */
/*
 * numa: the machine's cores and memory as the rest of zhtp sees them. Wraps hwloc (its only
 * home): topology discovery, core sets such as "0-3,8", pinning a thread to one core, and
 * memory bound to one NUMA node. Everything here runs at start-up or shutdown, never on the
 * data path.
 */
#ifndef ZH_NUMA_H
#define ZH_NUMA_H

#include <stddef.h>
#include <stdint.h>

#include "numa/zh_platform.h"

#define ZH_NUMA_CPUS_MAX 1024

/** An ordered set of OS core numbers, without duplicates. */
struct zh_numa_cpuset {
	uint32_t count;
	uint16_t cpus[ZH_NUMA_CPUS_MAX];
};

/**
 * Parse a core list in the Linux/fio syntax: comma-separated `N` or `N-M` items.
 * \param spec   NUL-terminated text, e.g. "0-3,8".
 * \param out    filled in ascending order, duplicates dropped.
 * \return 0, or -EINVAL (syntax, reversed range, empty) or -E2BIG (a core >= ZH_NUMA_CPUS_MAX).
 */
ZH_MUST_CHECK int zh_numa_cpuset_parse(const char *spec, struct zh_numa_cpuset *out);

struct zh_numa_topo;

/**
 * Discover the machine's topology. Thread-safe to read afterwards from any thread.
 * \return 0 or a negative errno (-ENOMEM, -EIO when hwloc cannot load the topology).
 */
ZH_MUST_CHECK int zh_numa_topo_create(struct zh_numa_topo **out);
void zh_numa_topo_destroy(struct zh_numa_topo *topo);

/**
 * The cores this process may run on, in ascending order: the affinity of the thread that
 * created \p topo, as it was then (the process's mask from taskset or numactl), within the
 * cgroup's cores.
 */
ZH_MUST_CHECK int zh_numa_topo_allowed_cpus(const struct zh_numa_topo *topo,
					    struct zh_numa_cpuset *out);

/** Number of NUMA nodes with memory (1 on a machine without NUMA). */
unsigned zh_numa_topo_node_count(const struct zh_numa_topo *topo);

/** OS index of the NUMA node holding core `cpu`, or -ENOENT when the core does not exist. */
ZH_MUST_CHECK int zh_numa_topo_cpu_node(const struct zh_numa_topo *topo, unsigned cpu);

/**
 * Pin the calling thread to core `cpu`.
 * \return 0, -ENOENT (no such core), or the binding's negative errno (e.g. -EINVAL when the core
 *         is outside the process's allowed set).
 */
ZH_MUST_CHECK int zh_numa_thread_pin(const struct zh_numa_topo *topo, unsigned cpu);

/**
 * Bind the calling thread to the cores of the NUMA node that holds core `cpu`, limited to the
 * cores this process may use (zh_numa_topo_allowed_cpus()). Threads the kernel starts on its behalf
 * (io_uring's io-wq workers) inherit this binding. \return 0, -ENOENT (no such core), or the
 * binding's negative errno.
 */
ZH_MUST_CHECK int zh_numa_thread_bind_node(const struct zh_numa_topo *topo, unsigned cpu);

/**
 * Allocate `size_bytes` of page-aligned memory bound to NUMA node `node` (first-touch local
 * memory where the OS cannot bind). Memory is zero-filled and must be released with
 * zh_numa_free() with the same size. Start-up only.
 * \return the memory, or NULL when out of memory.
 */
void *zh_numa_alloc(const struct zh_numa_topo *topo, size_t size_bytes, int node);
void zh_numa_free(const struct zh_numa_topo *topo, void *mem, size_t size_bytes);

#endif /* ZH_NUMA_H */
