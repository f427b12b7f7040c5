/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench object jobs (rw=put, rw=get): whole objects through the engine's object store.
 * See bench_object.c for what a job does and measures.
 */
#ifndef ZH_BENCH_OBJECT_H
#define ZH_BENCH_OBJECT_H

#include <stddef.h>

#include "bench_job.h"
#include "bench_report.h"

/**
 * Run one group of object jobs (all put, or all get, on one store directory) and fill one
 * result per job in \p res. The store's reactors busy-poll for \p busy_poll_ns (see
 * zh_store_opts.busy_poll_ns).
 * \return 0, or -errno with a one-line reason in \p err.
 */
int zh_bench_object_group(const struct zh_bench_job *jobs, unsigned count, unsigned groupid,
			  uint32_t busy_poll_ns, struct zh_bench_result *res, char *err,
			  size_t err_len);

#endif /* ZH_BENCH_OBJECT_H */
