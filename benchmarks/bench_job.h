/* SPDX-License-Identifier: MIT */
/*
 * bench_job.h - fio-compatible job descriptions for zhtp-bench.
 *
 * zhtp-bench reads the same job files and command-line options as fio, for the subset of fio it
 * implements, so a benchmark recipe written for fio runs unchanged. This header declares the
 * resolved form of such a job (struct zh_bench_job), the parsers that build it from a job file
 * or from argv, and a few helpers. The parsers only read job files; they start no I/O.
 *
 * Precedence of option sources, lowest first: built-in fio defaults, [global] sections that come
 * before the job in the same file, the job's own section, then job options on the command line.
 *
 * Nothing here keeps state between calls, so the functions are thread-safe as long as callers
 * do not share the structures they pass in (and, for ${VAR} expansion, nobody calls setenv()).
 */
#ifndef ZH_BENCH_JOB_H
#define ZH_BENCH_JOB_H
#define ZH_BENCH_ZSTD_AUTO (-1) /* zstd_level=auto, the store's default */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "benchmarks/bench_bs.h"
#include "benchmarks/bench_ss.h"
#include "benchmarks/bench_data.h"
#include "benchmarks/bench_dist.h"
#include "benchmarks/bench_pattern.h"
#include "numa/zh_platform.h"

#define ZH_BENCH_JOBS_MAX 64
#define ZH_BENCH_NAME_MAX 64
#define ZH_BENCH_PATH_MAX 4096
/* continue_on_error's bits: a direction's I/O errors (ZH_BENCH_DIR_READ/WRITE), verify's. */
#define ZH_BENCH_CONTINUE_READ	 (1u << 0)
#define ZH_BENCH_CONTINUE_WRITE	 (1u << 1)
#define ZH_BENCH_CONTINUE_VERIFY (1u << 2)
/* Files per job clone at most (nrfiles, or names in filename=a:b). */
#define ZH_BENCH_FILES_MAX 16
/* Longest job-file line accepted, in bytes, without its line end. Longer lines are refused. */
#define ZH_BENCH_LINE_MAX 8192
/* Largest job file zh_bench_cli_parse() reads. */
#define ZH_BENCH_JOBFILE_MAX_BYTES (1024 * 1024)
/* The most |flow| (fio's flow control weight, fio's bound), and flow_ids in one group. */
#define ZH_BENCH_FLOW_MAX  1000
#define ZH_BENCH_FLOWS_MAX 16
/* The most blocks between two verify_backlog checks (a list of them is kept). */
#define ZH_BENCH_VERIFY_BACKLOG_MAX (1u << 24)
#define ZH_BENCH_IODEPTH_MAX	    4096
#define ZH_BENCH_NUMJOBS_MAX	    256
#define ZH_BENCH_BS_MAX_BYTES	    (1024u * 1024u * 1024u)
/* cpus_allowed accepts CPU numbers below this. */
#define ZH_BENCH_CPU_MAX 4096
/* percentile_list entries at most, as fio. */
#define ZH_BENCH_PCT_MAX 20
/* --busy-poll bound: the engine's ZH_ENGINE_BUSY_POLL_MAX_NS (checked where both are seen). */
#define ZH_BENCH_BUSY_POLL_MAX_NS (10u * 1000 * 1000)
/*
 * --busy-poll for block jobs when not given: 200us, longer than the engine's 50us, so that a
 * poll outlasts a fast device's latency. A poll that ran out just before a completion cost
 * that request more than sleeping at once: 4 KiB randwrite at depth 1 on the build disk had a
 * p99 of 90-129us at 50us against 60-95us at 200us and fio's 67-81us (docs/benchmarks.md).
 */
#define ZH_BENCH_BUSY_POLL_DEFAULT_NS (200u * 1000)
/* --sched-slice bounds: the engine's ZH_ENGINE_SLICE_*_NS (checked where both are seen). */
#define ZH_BENCH_SCHED_SLICE_MIN_NS (100u * 1000)
#define ZH_BENCH_SCHED_SLICE_MAX_NS (100u * 1000 * 1000)
/*
 * --sched-slice when not given: the shortest slice, so that a reactor that waits by yielding
 * keeps its turn against its io-wq worker (zh_engine_opts.sched_slice_ns).
 */
#define ZH_BENCH_SCHED_SLICE_DEFAULT_NS ZH_BENCH_SCHED_SLICE_MIN_NS
/* --gather bound: the engine's ZH_ENGINE_GATHER_MAX_NS (checked where both are seen). */
#define ZH_BENCH_GATHER_MAX_NS (1000u * 1000)
/*
 * --gather when not given: about one submit batch of completions from an io-wq worker at this
 * machine's ~1 us per 4 KiB write, and a tenth of the 200us poll window. It took the
 * worker's hand-off cost at depth 128 from 5-12% of its time to 1% (zh_engine_opts.gather_ns).
 */
#define ZH_BENCH_GATHER_DEFAULT_NS (20u * 1000)

enum zh_bench_rw {
	ZH_BENCH_RW_READ,
	ZH_BENCH_RW_WRITE,
	ZH_BENCH_RW_RANDREAD,
	ZH_BENCH_RW_RANDWRITE,
	ZH_BENCH_RW_RW,
	ZH_BENCH_RW_RANDRW,
	/* Object-store jobs (not fio's): whole objects of bs bytes through the engine's store. */
	ZH_BENCH_RW_PUT,
	ZH_BENCH_RW_GET,
};

enum zh_bench_output { ZH_BENCH_OUTPUT_NORMAL = 1, ZH_BENCH_OUTPUT_JSON = 2 }; /* bit flags */

/*
 * Reactor binding. auto follows fio's placement: a group whose jobs name cpus_allowed gets its
 * reactors pinned to those cores; otherwise they are bound to their NUMA node and the kernel
 * places them (and the io-wq workers they start) within it, as it places fio's job threads.
 */
enum zh_bench_pin { ZH_BENCH_PIN_AUTO, ZH_BENCH_PIN_CORE, ZH_BENCH_PIN_NODE };

enum zh_bench_eta { ZH_BENCH_ETA_AUTO, ZH_BENCH_ETA_ALWAYS, ZH_BENCH_ETA_NEVER };

struct zh_bench_job {
	char name[ZH_BENCH_NAME_MAX];
	char description[256];
	enum zh_bench_rw rw;
	uint32_t rwmixread_pct;
	/* Block sizes, [0] reads and [1] writes: bs, bsrange or bssplit (bench_bs.h). */
	struct zh_bench_bs bs[2];
	/*
	 * blockalign (ba), [0] reads and [1] writes: random offsets are multiples of it; 0: the
	 * direction's smallest size, fio's default. Sequential I/O does not use it (fio neither).
	 */
	uint32_t blockalign[2];
	/* random_distribution: which blocks a random job goes to (bench_dist.h). */
	struct zh_bench_dist dist;
	/*
	 * percentage_random, [0] reads and [1] writes (fio default 100): the share of a random
	 * job's I/Os at random offsets; the others follow on from the direction's last I/O.
	 */
	uint32_t random_pct[2];
	/*
	 * random_generator=lfsr: a random job visits every block once per pass, in a seeded
	 * pseudo-random order (fio's LFSR promise), instead of drawing with replacement
	 * (tausworthe, tausworthe64: fio's generators, taken as the default draw).
	 */
	bool lfsr;
	/*
	 * rw=MODE:N, fio's offset modifier: a random job takes a random offset every seq_every
	 * I/Os (1: every one) and the others follow on from the direction's last I/O, or repeat
	 * its offset (rw_sequencer=identical); a sequential one adds seq_add bytes after every
	 * I/O (holes; negative: backwards).
	 */
	uint32_t seq_every;
	bool seq_identical;
	int64_t seq_add;
	/*
	 * zonemode=strided: zone_size bytes of I/O in a zone of zone_range bytes (0: zone_size),
	 * then the next zone zone_range + zone_skip further on (fio's zonesize, zonerange,
	 * zoneskip; zone_size 0 with zone_strided unset: no zones).
	 */
	bool zone_strided;
	uint64_t zone_size_bytes;
	uint64_t zone_range_bytes;
	uint64_t zone_skip_bytes;
	uint32_t iodepth;
	uint32_t numjobs;
	uint64_t size_bytes; /* 0: unset */
	uint32_t size_pct;   /* 0: unset; 1..100 */
	uint64_t offset_bytes;
	uint64_t runtime_ns; /* 0: no limit */
	uint64_t ramp_ns;
	/* startdelay: each clone starts this long after its group, or a time drawn in the range. */
	uint64_t start_delay_ns;
	uint64_t start_delay_max_ns;
	bool time_based;
	bool direct;
	bool randrepeat;
	uint64_t randseed;
	bool stonewall;
	bool group_reporting;
	/* unified_rw_reporting=mixed: reads and writes reported together, as "mixed". */
	bool unified_mixed;
	/* exitall / exitall_on_error: when this job ends (with an error), its group stops. */
	bool exitall;
	bool exitall_on_error;
	/* One name, or fio's ':' list of them ("\\:" a colon in a name): the clone's files. */
	char filename[ZH_BENCH_PATH_MAX];
	char directory[ZH_BENCH_PATH_MAX];
	/*
	 * nrfiles: files per clone without a filename (<name>.<clone>.<file>), each size/nrfiles
	 * of the job's I/O. I/O goes round robin over them, one block each (fio's default
	 * file_service_type=roundrobin), to a file drawn for each I/O (random), or one file after
	 * another (sequential).
	 */
	uint32_t nrfiles;
	bool file_service_sequential;
	bool file_service_random; /* a file drawn for each I/O, sequential ones going on in it */
	/* roundrobin:N, random:N: N I/Os on a file before the next one (1, fio's default). */
	uint32_t file_service_every;
	char key_file[ZH_BENCH_PATH_MAX]; /* object jobs: an encrypted store's key ("": none) */
	int zstd_level; /* object jobs: the store's zstd level, 0..19, or ZH_BENCH_ZSTD_AUTO */
	char cpus_allowed[256];
	/* numa_cpu_nodes: the job's cores are those of these NUMA nodes ("" or "all": any). */
	char numa_cpu_nodes[64];
	/*
	 * numa_mem_policy: reactors keep their buffers on their own node (fio's local, or
	 * default); bind or prefer is taken when it names the nodes of all the job's cores.
	 */
	bool numa_mem_bind;
	char numa_mem_nodes[64];
	char iops_log[ZH_BENCH_PATH_MAX]; /* "" : no log */
	char bw_log[ZH_BENCH_PATH_MAX];
	char lat_log[ZH_BENCH_PATH_MAX];
	uint32_t log_avg_msec;
	/* bwavgtime / iopsavgtime: the bandwidth and IOPS sampling window (0: fio's 500 ms). */
	uint32_t bw_avg_ms;
	uint32_t iops_avg_ms;
	bool log_offset; /* fio's log_offset: each log line has the I/O's offset */
	/*
	 * A device flush after every fsync (or fdatasync) writes, and one when the job ends
	 * (end_fsync), as fio. Both run as the device's flush: fdatasync on a file, an NVMe Flush
	 * on a passthrough device (the file is laid out before the job, so only data is dirty).
	 */
	uint32_t fsync_blocks;
	uint32_t fdatasync_blocks;
	bool end_fsync;
	/*
	 * sync=: every write durable on completion, as fio's O_SYNC (sync, 1) or O_DSYNC (dsync)
	 * open: the device's write flag ZH_NVME_IO_SYNC or ZH_NVME_IO_FUA; 0: none.
	 */
	unsigned write_flags;
	/*
	 * verify=crc32c (or another of bench_verify.h's checksums): a writing job writes checkable
	 * blocks and, with do_verify (fio's
	 * default), reads every block it wrote back once it is done; a reading job checks each
	 * block it reads. verify_fatal stops at the first bad block.
	 */
	bool verify;
	bool verify_set;      /* verify= given: verify_pattern alone then no longer means pattern */
	unsigned verify_kind; /* enum zh_bench_verify_kind: which checksum guards each block */
	bool do_verify;
	bool verify_fatal;
	/*
	 * verify_backlog: once this many of a verifying writer's writes have landed, its next
	 * this many requests read them back and check them while the writes in flight land,
	 * then the writes go on (0: check only at the end). verify_backlog_batch, fio's count
	 * of them each check takes, may only be 0 or the same: every check takes them all.
	 */
	uint32_t verify_backlog;
	uint32_t verify_backlog_batch;
	/* verify_dump: a bad block's bytes, and what they should have been, go to files. */
	bool verify_dump;
	/*
	 * fio's flow control (fio 3.33's): the jobs of one flow_id share out their I/Os in
	 * proportion to their flow weights (3, 2 and 1: about 3:2:1); one ahead of its share
	 * waits flow_sleep (then tries again). 0: not in a flow. A negative weight, fio's older
	 * sign convention (examples/butterfly.fio), counts by its size. flow_watermark, which
	 * fio 3.33 deprecates, is recorded only.
	 */
	int32_t flow;
	uint32_t flow_id;
	uint32_t flow_watermark;
	uint64_t flow_sleep_ns;
	/*
	 * continue_on_error: which failures are counted and passed over instead of ending the
	 * job (ZH_BENCH_CONTINUE_* bits; fio's none, read, write, io, verify, all).
	 */
	unsigned continue_on_error;
	/*
	 * zhtp's own fault injection on the job's devices (nvme.h's zh_nvme_faults), in requests
	 * per million: fault_eio_ppm fail with EIO, fault_short_ppm move one block less,
	 * fault_torn_ppm writes put their first half only but report all of it done.
	 */
	uint32_t fault_eio_ppm;
	uint32_t fault_short_ppm;
	uint32_t fault_torn_ppm;
	/* verify_interval: a header and checksum every this many bytes of a block (0: bs). */
	uint64_t verify_interval;
	/* verify_pattern: the blocks' payload (len 0: pseudo-random; alone, verify=pattern). */
	struct zh_bench_pattern verify_pattern;
	/* buffer_pattern: what writes carry when not verifying (len 0: bench_data.h's rules). */
	struct zh_bench_pattern buffer_pattern;
	/*
	 * How much I/O: io_size (alias io_limit; 0: size) times loops (fio default 1), or
	 * number_ios at most (0: no cap). offset_increment moves each clone's region.
	 */
	uint64_t io_size_bytes;
	uint32_t loops;
	uint64_t number_ios;
	uint64_t offset_increment_bytes;
	/*
	 * filesize: the job's file is this big and its region runs from the offset to the end;
	 * size then only says how much I/O the job does (fio). 0: unset, the file is size.
	 */
	uint64_t filesize_bytes;
	bool unlink; /* unlink: remove the job's regular file once its group is done */
	/*
	 * fill_device (alias fill_fs): the file takes what its filesystem has free (size caps
	 * it), a device its whole size; a write that finds no space left ends the job without
	 * an error, and a job that reads fills the file first (fio's rules). One file only.
	 */
	bool fill_device;
	/*
	 * create_serialize (fio default 1): recorded only; zhtp-bench lays files out one after
	 * another while it plans a group, which is what 1 asks for.
	 */
	bool create_serialize;
	/* Write-buffer contents: buffer_compress_percentage/_chunk, zero_buffers (= 100%). */
	uint32_t compress_pct;
	uint32_t compress_chunk_bytes;
	bool zero_buffers;
	/*
	 * refill_buffers: fresh bytes for every write instead of each slot's buffer filled once.
	 * Unset (refill_buffers_set false), fio's rule: on with a buffer_compress_percentage
	 * from 1 to 99, off otherwise. Block jobs only.
	 */
	bool refill_buffers;
	bool refill_buffers_set;
	/* scramble_buffers (fio's default 1): see struct zh_bench_data. */
	bool scramble_buffers;
	/* Which latencies get percentiles (fio's defaults: clat only). */
	bool slat_percentiles;
	bool clat_percentiles;
	bool lat_percentiles;
	/* percentile_list, sorted ascending; pct_count 0: fio's default list. */
	double pct_list[ZH_BENCH_PCT_MAX];
	uint32_t pct_count;
	/* rate= (bytes/s) and rate_iops=: [0] reads, [1] writes; 0: unlimited. */
	uint64_t rate_bytes[2];
	uint64_t rate_iops[2];
	/* rate_process=poisson: random gaps between I/Os with the rate's mean (fio: linear). */
	bool rate_poisson;
	/*
	 * thinktime: every think_blocks blocks (completed, or issued with
	 * thinktime_blocks_type=issue) the job lets its I/O in flight finish, then waits
	 * think_ns before issuing more, as fio. 0: off.
	 */
	uint64_t think_ns;
	uint32_t think_blocks;
	bool think_on_issue;
	/*
	 * latency_target (0: off) with latency_window, latency_percentile (fio's default 100) and
	 * latency_run: the depth search of bench_qd.h. max_latency (0: off): an I/O slower than
	 * this fails the job with ETIMEDOUT, as in fio. Both on total latency.
	 */
	uint64_t lat_target_ns;
	uint64_t lat_window_ns;
	double lat_percentile;
	bool lat_run;
	uint64_t max_lat_ns;
	/*
	 * Steady state (bench_ss.h): ss= says what holds still (fio's default iops_slope:0.01%),
	 * ss_dur (whole seconds; 0: off) over how long, ss_ramp when judging starts.
	 */
	struct zh_bench_ss_opts ss;
	uint64_t ss_ramp_ns;
	/*
	 * What fio's gtod_reduce turns off (or each on its own): the submission, completion and
	 * total latency histograms, and the bandwidth and IOPS samples. Block jobs only.
	 */
	bool disable_slat;
	bool disable_clat;
	bool disable_lat;
	bool disable_bw;
	char ioengine[32];    /* as written in the job; "" when not given */
	unsigned source_line; /* line of the section header; 0 for command line */

	/*
	 * Fields beyond the required interface. randseed_set tells an explicit randseed= apart
	 * from the default; in fio an explicit seed wins over randrepeat. The next five options
	 * are accepted for fio compatibility and only recorded: the engine always uses threads,
	 * fixed buffers and registered files, and draws random offsets with replacement.
	 */
	bool randseed_set;
	bool norandommap;
	/*
	 * threads: fio's tiobench profile option (its thread count), which does nothing in fio
	 * without profile=tiobench either: recorded only. new_group: the job starts a reporting
	 * group of its own, even among jobs that run together (block jobs).
	 */
	uint32_t threads;
	bool new_group;
	bool thread;
	bool invalidate; /* fio default: 1 */
	bool fixedbufs;
	uint32_t iodepth_batch_submit; /* engine submit_batch; 0 or > iodepth: iodepth (fio) */
	uint32_t iodepth_batch_complete_min;
	uint32_t iodepth_batch_complete_max;
	bool registerfiles;
	/*
	 * A bare write_*_log means "use the job name", which may not be known yet when the
	 * option is read (it can sit in [global]). These flags hold that request until
	 * zh_bench_job_finish() copies the name in; they are false in every finished job.
	 */
	bool iops_log_use_name;
	bool bw_log_use_name;
	bool lat_log_use_name;
};

struct zh_bench_jobfile {
	struct zh_bench_job jobs[ZH_BENCH_JOBS_MAX];
	uint32_t job_count;
};

struct zh_bench_cli {
	struct zh_bench_jobfile jobfile;
	unsigned output_format;		     /* ZH_BENCH_OUTPUT_* bits, default NORMAL */
	char output_path[ZH_BENCH_PATH_MAX]; /* "" = stdout */
	uint64_t status_interval_ns;	     /* 0 = off */
	enum zh_bench_eta eta;
	bool idle_poll;		 /* --idle=poll: idle reactors yield, never sleep */
	bool busy_poll_set;	 /* --busy-poll given; else a default per job kind */
	uint32_t busy_poll_ns;	 /* --busy-poll=T, at most ZH_BENCH_BUSY_POLL_MAX_NS */
	uint32_t gather_ns;	 /* --gather=T: zh_engine_opts.gather_ns (block jobs) */
	enum zh_bench_pin pin;	 /* --pin=auto|core|node */
	bool sched_batch;	 /* --sched=batch (default) or normal */
	uint64_t sched_slice_ns; /* --sched-slice=T: zh_engine_opts.sched_slice_ns */
	bool yield_wait;	 /* --yield-wait=on (default) or off: zh_engine_opts.yield_wait */
	bool help, version;
};

/**
 * What \p job's write buffers hold (zero_buffers wins over buffer_compress_percentage), and
 * whether every write gets fresh bytes (refill_buffers, or fio's default for it).
 */
struct zh_bench_data zh_bench_job_data(const struct zh_bench_job *job);

/**
 * Fill \p job with fio's defaults: rw=read, bs=4096, iodepth=1, numjobs=1, rwmixread=50,
 * randrepeat=1, randseed=0x89, direct=0, invalidate=1, do_verify=1, loops=1,
 * buffer_compress_chunk=512, scramble_buffers=1, thinktime_blocks=1, clat_percentiles=1;
 * everything else zero or empty.
 */
void zh_bench_job_defaults(struct zh_bench_job *job);

/**
 * Apply one fio job option to \p job.
 *
 * \param job     job to change; left unchanged when the option is refused.
 * \param key     option name as fio spells it ("bs", "rw", "time_based", ...).
 * \param value   option value, or NULL for a bare key (booleans: 1; write_*_log: job name).
 * \param err     receives a one-line reason on failure, without a "source:line:" prefix,
 *                e.g. "bad value 'x4k' for 'bs': expected a size like 4k". May be NULL.
 * \param err_len size of \p err.
 * \return 0, -ENOENT for an option this tool does not know, or -EINVAL for a bad value.
 */
ZH_MUST_CHECK int zh_bench_job_set(struct zh_bench_job *job, const char *key, const char *value,
				   char *err, size_t err_len);

/**
 * Finish a job once every option has been applied: a bare write_*_log takes the job name, and
 * checks that span several options run (a job needs a name; time_based needs a runtime; a set
 * size may not be smaller than bs). The parsers call this themselves; it is public for callers
 * that build jobs with zh_bench_job_set().
 *
 * \return 0 or -EINVAL with a one-line reason in \p err (no "source:line:" prefix).
 */
ZH_MUST_CHECK int zh_bench_job_finish(struct zh_bench_job *job, char *err, size_t err_len);

/** Make \p jf empty. */
void zh_bench_jobfile_init(struct zh_bench_jobfile *jf);

/**
 * Parse a fio job file held in memory and append its jobs, fully resolved and finished, to
 * \p jf (which must have been initialised, e.g. with zh_bench_jobfile_init()).
 *
 * \param text    file contents: \p len bytes, not NUL-terminated. A NUL byte is an error.
 * \param source  name used in error messages (usually the file name).
 * \return 0 (a file with only [global] sections appends nothing), -EINVAL for anything
 *         malformed or unsupported, or -E2BIG when \p jf would exceed ZH_BENCH_JOBS_MAX jobs.
 *         On error \p err holds "source:line: reason" and \p jf keeps its earlier jobs only.
 */
ZH_MUST_CHECK int zh_bench_jobfile_parse(struct zh_bench_jobfile *jf, const char *text, size_t len,
					 const char *source, char *err, size_t err_len);

/**
 * Parse a fio-style command line: zhtp-bench [--opt=value ...] [jobfile ...].
 * \p cli is initialised here. Job files are read with fopen(). With --help or --version the
 * call succeeds without reading job files and with no jobs.
 *
 * \return 0; -EINVAL for a bad option or job (message starts "command line: " or
 *         "file:line: "); -E2BIG for too many jobs; -ENOENT (or another -errno) when a job
 *         file cannot be read; -EFBIG for a job file over ZH_BENCH_JOBFILE_MAX_BYTES;
 *         -ENOMEM.
 */
ZH_MUST_CHECK int zh_bench_cli_parse(struct zh_bench_cli *cli, int argc, char **argv, char *err,
				     size_t err_len);

/** The share of \p job's I/Os that are reads: 100 for read and get, 0 for write and put. */
uint32_t zh_bench_job_read_pct(const struct zh_bench_job *job);

/**
 * The one size every I/O of \p job has, over the directions its rw uses; 0 when they vary
 * (bsrange, bssplit, or reads and writes of different sizes in a mixed job).
 */
uint32_t zh_bench_job_bs(const struct zh_bench_job *job);

/** The largest size an I/O of \p job can have, over the directions its rw uses. */
uint32_t zh_bench_job_bs_max(const struct zh_bench_job *job);

/** The bandwidth and IOPS sampling window in ms: bwavgtime or iopsavgtime, else fio's 500. */
uint32_t zh_bench_job_sample_ms(const struct zh_bench_job *job);
/**
 * Reporting groups that start among jobs[1..j] of one run group (between two stonewalls):
 * one per new_group. jobs[j] reports in the run group's first id plus this.
 */
unsigned zh_bench_jobs_new_groups(const struct zh_bench_job *jobs, unsigned j);
/**
 * fio's rule for results (its __show_run_stats()): whether clone \p clone of jobs[j], in a run
 * group that starts at jobs[0], joins the result of the clone before it. It does when its job
 * has group_reporting and it opens neither the run group nor a new_group; so a job without
 * group_reporting stands apart, and a job with it after one without joins that one's result.
 */
bool zh_bench_clone_joins(const struct zh_bench_job *jobs, unsigned j, unsigned clone);
/** How many results the run group jobs[0..count) reports; object jobs report one each. */
unsigned zh_bench_jobs_results(const struct zh_bench_job *jobs, unsigned count);

/** zonemode=strided: the zone's length, zonerange or, as in fio, zonesize without one. */
uint64_t zh_bench_job_zone_range(const struct zh_bench_job *job);

/** How many files each clone of \p job works on: the names in filename, else nrfiles. */
uint32_t zh_bench_job_file_count(const struct zh_bench_job *job);

/**
 * The \p i-th name of filename's ':' list, "\\:" read as a colon, into \p out (\p len bytes).
 * \return 0, -ENOENT past the last name, -ENAMETOOLONG when it does not fit.
 */
int zh_bench_job_file_name(const struct zh_bench_job *job, uint32_t i, char *out, size_t len);

/** fio's name for \p rw: "read", "write", "randread", "randwrite", "rw" or "randrw". */
const char *zh_bench_rw_name(enum zh_bench_rw rw);

/** Whether \p rw picks random offsets. */
bool zh_bench_rw_is_random(enum zh_bench_rw rw);
/** True for rw=put and rw=get, which run against an object store instead of a file. */
bool zh_bench_rw_is_object(enum zh_bench_rw rw);

#endif /* ZH_BENCH_JOB_H */
