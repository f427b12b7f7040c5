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
 * result per job in \p res.
 * \return 0, or -errno with a one-line reason in \p err.
 */
int zh_bench_object_group(const struct zh_bench_job *jobs, unsigned count, unsigned groupid,
			  struct zh_bench_result *res, char *err, size_t err_len);

#endif /* ZH_BENCH_OBJECT_H */
