/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench steady state: the window of one-second samples and fio's two judgements of it
 * (steadystate.c's deviation and slope, with its equally spaced x = 0 .. n-1).
 */
#include "benchmarks/bench_ss.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "numa/zh_platform.h"

int zh_bench_ss_init(struct zh_bench_ss *ss, const struct zh_bench_ss_opts *o)
{
	ZH_ASSERT(o->seconds > 0 && o->seconds <= ZH_BENCH_SS_SECONDS_MAX && o->limit > 0.0);
	*ss = (struct zh_bench_ss){.o = *o};
	ss->iops = calloc(o->seconds, sizeof(*ss->iops));
	ss->bw = calloc(o->seconds, sizeof(*ss->bw));
	if (ss->iops == NULL || ss->bw == NULL) {
		zh_bench_ss_fini(ss);
		return -ENOMEM;
	}
	return 0;
}

void zh_bench_ss_fini(struct zh_bench_ss *ss)
{
	free(ss->iops);
	free(ss->bw);
	ss->iops = NULL;
	ss->bw = NULL;
}

uint32_t zh_bench_ss_window(const struct zh_bench_ss *ss, uint64_t *iops, uint64_t *bw)
{
	uint32_t n = ss->count < ss->o.seconds ? ss->count : ss->o.seconds;
	uint32_t first = ss->count - n;

	for (uint32_t i = 0; i < n; i++) {
		iops[i] = ss->iops[(first + i) % ss->o.seconds];
		bw[i] = ss->bw[(first + i) % ss->o.seconds];
	}
	return n;
}

/* Judge the full window on the metric asked for; the criterion is what meets the limit. */
static bool ss_judge(struct zh_bench_ss *ss)
{
	uint32_t n = ss->o.seconds, first = ss->count - n;
	const uint64_t *y = ss->o.bw ? ss->bw : ss->iops;
	double sum = 0.0, sum_xy = 0.0, sum_x = 0.0, sum_x2 = 0.0, mean, dev = 0.0, value;

	ss->iops_mean = ss->bw_mean = 0.0;
	for (uint32_t i = 0; i < n; i++) {
		double v = (double)y[(first + i) % n];

		sum += v;
		sum_xy += (double)i * v;
		sum_x += i;
		sum_x2 += (double)i * i;
		ss->iops_mean += (double)ss->iops[i] / n;
		ss->bw_mean += (double)ss->bw[i] / n;
	}
	mean = sum / n;
	for (uint32_t i = 0; i < n; i++)
		dev = fmax(dev, fabs((double)y[i] - mean));
	ss->deviation = dev;
	/* One sample has no slope: fio divides by zero there, and the NaN never meets a limit. */
	ss->slope = n > 1 ? (sum_xy - sum_x * sum / n) / (sum_x2 - sum_x * sum_x / n) : NAN;
	value = ss->o.slope ? ss->slope : ss->deviation;
	ss->criterion = ss->o.pct ? (mean > 0.0 ? 100.0 * value / mean : INFINITY) : value;
	return fabs(ss->criterion) < ss->o.limit;
}

bool zh_bench_ss_add(struct zh_bench_ss *ss, uint64_t ios, uint64_t bytes)
{
	if (ss->attained)
		return true;
	ss->iops[ss->count % ss->o.seconds] = ios;
	ss->bw[ss->count % ss->o.seconds] = bytes;
	ss->count++;
	if (ss->count >= ss->o.seconds)
		ss->attained = ss_judge(ss);
	return ss->attained;
}

uint64_t zh_bench_ss_per_second(uint64_t count, uint64_t span_ns)
{
	unsigned __int128 scaled;

	if (span_ns == 0)
		return count;
	scaled = ((unsigned __int128)count * 1000000000u + span_ns / 2) / span_ns;
	return scaled > UINT64_MAX ? UINT64_MAX : (uint64_t)scaled;
}
