/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench planning: turns one stonewall group of parsed jobs into what the engine needs:
 * the devices to open (files laid out first, as fio does), the reactors (cores), each job
 * clone's worker configuration and reactor, and the engine's sizing (SQ depth, buffer counts).
 * Runs on the control thread; everything here may block and allocate.
 */
#ifndef ZH_BENCH_PLAN_H
#define ZH_BENCH_PLAN_H

#include "bench_job.h"
#include "bench_worker.h"
#include "engine/engine.h"
#include "numa/numa.h"

#define ZH_BENCH_DEVS_MAX    64
#define ZH_BENCH_WORKERS_MAX 1024

/*
 * What a file is, whatever path names it (a doubled '/', a symbolic link): its device and
 * inode, or for a file not there yet the absolute path of its directory and its name.
 */
struct zh_bench_file_id {
	bool inode;
	uint64_t dev, ino;
	char path[ZH_BENCH_PATH_MAX];
};

struct zh_bench_plan_dev {
	char path[ZH_BENCH_PATH_MAX];
	struct zh_bench_file_id id;
	bool direct;
	bool unlink; /* a job on it asked for unlink */
	struct zh_nvme_dev *dev;
	struct zh_nvme_faults faults; /* fault_*_ppm, attached while the device is open */
};

struct zh_bench_plan_worker {
	const struct zh_bench_job *job;
	/* The reporting group: the plan's groupid, plus one for each new_group before it. */
	unsigned groupid;
	unsigned clone;
	unsigned reactor;
	struct zh_bench_worker_cfg cfg;
};

struct zh_bench_plan {
	unsigned groupid;
	struct zh_bench_plan_dev devs[ZH_BENCH_DEVS_MAX];
	unsigned dev_count;
	struct zh_bench_plan_worker workers[ZH_BENCH_WORKERS_MAX];
	unsigned worker_count;
	uint16_t cpus[ZH_NUMA_CPUS_MAX];
	unsigned cpu_count;
	struct zh_engine_opts engine_opts;
	struct zh_nvme_dev *engine_devs[ZH_BENCH_DEVS_MAX];
	/*
	 * fio's flow: for each flow_id the group's jobs name, the I/Os issued and the sum of
	 * the weights of its clones (zh_bench_worker_cfg).
	 */
	uint32_t flow_ids[ZH_BENCH_FLOWS_MAX];
	_Atomic uint64_t flow_issued[ZH_BENCH_FLOWS_MAX];
	_Atomic uint64_t flow_total_weight[ZH_BENCH_FLOWS_MAX];
	unsigned flow_count;
};

/**
 * Plan jobs[0..count) as one group: resolve files, lay them out, open the devices, place
 * clones on cores and size the engine. On error `err` holds one line naming the job and the
 * problem, and nothing stays open.
 * \return 0, or a negative errno.
 */
ZH_MUST_CHECK int zh_bench_plan_build(struct zh_bench_plan *plan, unsigned groupid,
				      const struct zh_bench_job *jobs, unsigned count, char *err,
				      size_t err_len);
/** Close the plan's devices. */
void zh_bench_plan_close(struct zh_bench_plan *plan);
/**
 * fio's unlink: remove the files of the jobs that asked for it, regular files only (a
 * device is never removed), once the group has run; call before zh_bench_plan_close().
 * \return 0, or the first failure's negative errno with `err` naming the file.
 */
ZH_MUST_CHECK int zh_bench_plan_unlink(const struct zh_bench_plan *plan, char *err, size_t err_len);

#endif /* ZH_BENCH_PLAN_H */
