/* SPDX-License-Identifier: MIT */
/*
 * zhtp-bench planning: files, devices, core placement and engine sizing for one group of
 * jobs. Mirrors fio's rules where a job file depends on them: a job without `filename` gets
 * one file per clone named <name>.<clone>.0 under `directory`; a file that is missing or too
 * short is laid out with data before the run (reads of holes would measure nothing); each
 * clone does `size` bytes of I/O unless `time_based`.
 */
#include "bench_plan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define LAYOUT_CHUNK_BYTES (1u << 20)
#define LOG_RING_PER_IO	   (1u << 20)
#define LOG_RING_AVERAGED  (1u << 12)

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * File \p file of clone \p clone: filename's name, or fio's <name>.<clone>.<file>, under
 * directory when there is one. An absolute name goes under it too, as in fio: directory=/mnt/x
 * with filename=/dev/sdb is /mnt/x/dev/sdb, a file. Taken as absolute, it wrote the device.
 */
static int job_path(const struct zh_bench_job *job, unsigned clone, unsigned file, char *out,
		    size_t len)
{
	const char *dir = job->directory[0] != '\0' ? job->directory : NULL;
	char name[ZH_BENCH_PATH_MAX];
	int n;

	if (job->filename[0] != '\0' && zh_bench_job_file_name(job, file, name, sizeof(name)) != 0)
		return -ENAMETOOLONG;
	if (job->filename[0] != '\0' && dir == NULL)
		n = snprintf(out, len, "%s", name);
	else if (job->filename[0] != '\0')
		n = snprintf(out, len, "%s/%s", dir, name);
	else
		n = snprintf(out, len, "%s/%s.%u.%u", dir != NULL ? dir : ".", job->name, clone,
			     file);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The pattern from the start of every \p block bytes, as the job's writes carry it. */
static void layout_pattern(const struct zh_bench_pattern *pattern, uint32_t block, uint8_t *chunk,
			   size_t n)
{
	for (size_t at = 0; at < n; at += block)
		zh_bench_pattern_fill(pattern, 0, chunk + at,
				      (uint32_t)(n - at < block ? n - at : block));
}

/* A write found the filesystem full: where fill_device stops, not a failure. */
static bool no_space(int err)
{
	return err == ENOSPC || err == EDQUOT;
}

static int fill_bytes(const char *path, uint64_t cap, uint64_t *out);

/* The directories \p path goes through, made where missing (fio's create_work_dirs()). */
static int make_parents(const char *path)
{
	char dir[ZH_BENCH_PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * Write pseudo-random data, or with buffer_pattern the job's \p pattern (NULL: none) in
 * blocks of \p block bytes as fio does, from the file's end up to `need_bytes` (fio's
 * "laying out"). With \p fill the filesystem may run out first: the file then ends there.
 */
static int layout_file(const char *path, uint64_t need_bytes,
		       const struct zh_bench_pattern *pattern, uint32_t block, bool fill)
{
	struct stat st;
	uint64_t *chunk;
	uint64_t x = 0x9e3779b97f4a7c15ull, fits = 0;
	int fd, rc = 0;

	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= need_bytes)
			return 0;
	} else if (errno == ENOENT && (rc = make_parents(path)) < 0) {
		return rc;
	}
	/*
	 * A layout the filesystem cannot hold fails before it writes anything: written until the
	 * filesystem filled, an offset too far out (offset=1p) took every free byte, then failed.
	 */
	rc = fill ? 0 : fill_bytes(path, 0, &fits);
	if (rc == 0 && !fill && fits <= need_bytes)
		rc = -ENOSPC;
	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	chunk = malloc(LAYOUT_CHUNK_BYTES);
	if (chunk == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (uint64_t off = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	     off < need_bytes && rc == 0;) {
		size_t n =
		    need_bytes - off < LAYOUT_CHUNK_BYTES ? need_bytes - off : LAYOUT_CHUNK_BYTES;

		for (size_t i = 0; pattern == NULL && i < LAYOUT_CHUNK_BYTES / sizeof(*chunk);
		     i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			chunk[i] = x;
		}
		if (pattern != NULL)
			layout_pattern(pattern, block, (uint8_t *)chunk, n);
		ssize_t w = pwrite(fd, chunk, n, (off_t)off);
		if (w < 0 && fill && no_space(errno))
			break;
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else
			off += (uint64_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	free(chunk);
	close(fd);
	return rc;
}

/*
 * A job's fault_*_ppm on a device: attached when it is opened; a job that shares the device
 * must ask for the same ones (each device has one setting).
 */
static int dev_faults(struct zh_bench_plan_dev *d, const struct zh_bench_job *job, bool opened,
		      char *err, size_t err_len)
{
	bool same = d->faults.eio_ppm == job->fault_eio_ppm &&
		    d->faults.short_ppm == job->fault_short_ppm &&
		    d->faults.torn_ppm == job->fault_torn_ppm;

	if (opened && !same)
		return fail(err, err_len, -EINVAL,
			    "job '%s': %s is shared with a job that injects other faults",
			    job->name, d->path);
	if (opened)
		return 0;
	d->faults.eio_ppm = job->fault_eio_ppm;
	d->faults.short_ppm = job->fault_short_ppm;
	d->faults.torn_ppm = job->fault_torn_ppm;
	if (job->fault_eio_ppm != 0 || job->fault_short_ppm != 0 || job->fault_torn_ppm != 0)
		zh_nvme_dev_set_faults(d->dev, &d->faults);
	return 0;
}

/* The directory \p path is in: "." for a bare name, "/" for one in the root. */
static void path_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* \p path's file as struct zh_bench_file_id says; a clone's files are compared this way. */
static void file_id(const char *path, struct zh_bench_file_id *id)
{
	char dir[ZH_BENCH_PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int n;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) == 0) {
		id->inode = true;
		id->dev = (uint64_t)st.st_dev;
		id->ino = (uint64_t)st.st_ino;
		return;
	}
	path_dir(path, dir, sizeof(dir));
	n = realpath(dir, real) == NULL
		? -1
		: snprintf(id->path, sizeof(id->path), "%s/%s", strcmp(real, "/") == 0 ? "" : real,
			   slash != NULL ? slash + 1 : path);
	/* No directory to resolve: then no other path can name this file, but this one. */
	if (n < 0 || (size_t)n >= sizeof(id->path))
		snprintf(id->path, sizeof(id->path), "%s", path);
}

static bool file_id_eq(const struct zh_bench_file_id *a, const struct zh_bench_file_id *b)
{
	if (a->inode != b->inode)
		return false;
	return a->inode ? a->dev == b->dev && a->ino == b->ino : strcmp(a->path, b->path) == 0;
}

/*
 * fill_device: what a regular file (or one to create) can hold, the bytes it has plus its
 * filesystem's free space, at most \p cap (size=; 0: no cap); UINT64_MAX for a device, whose
 * size the job then takes.
 */
static int fill_bytes(const char *path, uint64_t cap, uint64_t *out)
{
	char dir[ZH_BENCH_PATH_MAX];
	struct statvfs vfs;
	struct stat st;
	uint64_t have = 0;

	*out = UINT64_MAX;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return 0;
		have = (uint64_t)st.st_size;
	} else if (errno != ENOENT) {
		return -errno;
	}
	path_dir(path, dir, sizeof(dir));
	if (statvfs(dir, &vfs) != 0)
		return -errno;
	*out = have + (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (cap != 0 && cap < *out)
		*out = cap;
	return 0;
}

/*
 * invalidate=1 (fio's default): the cached pages of the file open on \p fd are dropped before
 * the job, so that a buffered read job reads the device and not memory, as fio's
 * file_invalidate_cache() does (fadvise DONTNEED; the layout leaves its pages clean). It was
 * accepted and ignored: a cached file read at 12.6 GiB/s where fio read 865 MiB/s. Only
 * regular files and block devices have such pages; tmpfs keeps them (they are its data), for
 * which the call does nothing.
 */
static int invalidate_cache(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return 0;
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/*
 * fill_device's file: a job that reads has it laid out until the filesystem is full (fio:
 * "the mount point will be filled first"); one that only writes grows it with its writes,
 * up to what fits, and stops where a write finds no space. A device is used as it is.
 */
static int fill_plan(const struct zh_bench_job *job, const char *path,
		     const struct zh_bench_worker_cfg *cfg, uint64_t *need_bytes,
		     struct zh_nvme_dev_opts *opts, char *err, size_t err_len)
{
	uint64_t fits;
	int rc = fill_bytes(path, job->size_bytes, &fits);

	if (rc < 0)
		return fail(err, err_len, rc, "%s: cannot size it by its filesystem: %s", path,
			    strerror(-rc));
	*need_bytes = 0;
	if (fits == UINT64_MAX)
		return 0;
	if (fits < cfg->bs_max_bytes)
		return fail(err, err_len, -ENOSPC,
			    "job '%s': %s: its filesystem has room for %llu bytes, less than one "
			    "block (fill_device)",
			    job->name, path, (unsigned long long)fits);
	if (cfg->read_pct == 0)
		opts->grow_size_bytes = fits;
	else
		*need_bytes = fits;
	return 0;
}

static int plan_dev(struct zh_bench_plan *plan, const struct zh_bench_job *job, const char *path,
		    uint64_t need_bytes, const struct zh_bench_worker_cfg *cfg, char *err,
		    size_t err_len)
{
	const struct zh_bench_pattern *pattern =
	    cfg->data.pattern.len != 0 ? &cfg->data.pattern : NULL;
	bool direct = job->direct;
	struct zh_bench_plan_dev *d;
	struct zh_nvme_dev_opts opts = {.buffered = !direct};
	struct zh_bench_file_id id;
	int rc;

	/*
	 * One device per file and direct=: a buffered and an O_DIRECT open of one file are two
	 * devices of the engine (each opened its way), which the verify check sees as one file.
	 */
	file_id(path, &id);
	for (unsigned i = 0; i < plan->dev_count; i++) {
		if (file_id_eq(&plan->devs[i].id, &id) && plan->devs[i].direct == direct) {
			rc = dev_faults(&plan->devs[i], job, true, err, err_len);
			return rc < 0 ? rc : (int)i;
		}
	}
	if (plan->dev_count == ZH_BENCH_DEVS_MAX)
		return fail(err, err_len, -E2BIG, "more than %d files in one group",
			    ZH_BENCH_DEVS_MAX);
	if (job->fill_device) {
		rc = fill_plan(job, path, cfg, &need_bytes, &opts, err, err_len);
		if (rc < 0)
			return rc;
	}
	if (need_bytes > 0) {
		rc = layout_file(path, need_bytes, pattern, cfg->bs_max_bytes, job->fill_device);
		if (rc < 0)
			return fail(err, err_len, rc, "%s: cannot lay out %llu bytes: %s", path,
				    (unsigned long long)need_bytes, strerror(-rc));
	}
	d = &plan->devs[plan->dev_count];
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->direct = direct;
	rc = zh_nvme_dev_open(path, &opts, &d->dev);
	if (rc < 0)
		return fail(err, err_len, rc, "%s: cannot open%s: %s", path,
			    direct ? " with O_DIRECT" : "", strerror(-rc));
	/* Opened, the file is there: known now by its inode whatever names it later. */
	file_id(path, &d->id);
	plan->engine_devs[plan->dev_count] = d->dev;
	plan->dev_count++;
	rc = job->invalidate ? invalidate_cache(zh_nvme_dev_fd(d->dev)) : 0;
	if (rc < 0)
		return fail(err, err_len, rc, "%s: cannot drop its cached pages: %s", path,
			    strerror(-rc));
	rc = dev_faults(d, job, false, err, err_len);
	return rc < 0 ? rc : (int)plan->dev_count - 1;
}

/*
 * A verifying writer keeps the last write number of every block (8 bytes each, so at most
 * VERIFY_BLOCKS_MAX of them) and writes only to blocks with no write in flight, which needs a
 * few more blocks than slots.
 */
#define VERIFY_BLOCKS_MAX (1ull << 27)

static int verify_fits(const struct zh_bench_job *job, const struct zh_bench_worker_cfg *cfg,
		       char *err, size_t err_len)
{
	uint64_t blocks;

	if (!job->verify || cfg->read_pct == 100)
		return 0;
	ZH_ASSERT(cfg->bs_bytes > 0); /* zh_bench_job_finish: verify takes one size */
	blocks = cfg->region_bytes / cfg->bs_bytes;
	if (blocks > VERIFY_BLOCKS_MAX)
		return fail(err, err_len, -E2BIG,
			    "job '%s': verify tracks at most %llu blocks; this job has %llu (a "
			    "smaller size, or a larger bs)",
			    job->name, VERIFY_BLOCKS_MAX, (unsigned long long)blocks);
	if (blocks < 4ull * job->iodepth)
		return fail(err, err_len, -EINVAL,
			    "job '%s': verify needs at least 4 blocks per iodepth (%llu blocks, "
			    "iodepth=%u)",
			    job->name, (unsigned long long)blocks, job->iodepth);
	return 0;
}

/*
 * fio's offset_increment: clone c starts c increments further in. One past 64 bits would wrap
 * to somewhere in the file, another clone's region maybe: refused.
 */
static int job_offset(const struct zh_bench_job *job, unsigned clone, uint64_t *offset, char *err,
		      size_t err_len)
{
	uint64_t step;
	bool wraps = __builtin_mul_overflow((uint64_t)clone, job->offset_increment_bytes, &step);

	/* Both builtins store their result, wrapped or not: *offset is set on every path. */
	wraps |= __builtin_add_overflow(job->offset_bytes, step, offset);
	if (!wraps)
		return 0;
	return fail(err, err_len, -ERANGE,
		    "job '%s' (clone %u): offset=%llu + offset_increment=%llu * %u does not fit in "
		    "64 bits",
		    job->name, clone, (unsigned long long)job->offset_bytes,
		    (unsigned long long)job->offset_increment_bytes, clone);
}

/* "job 'x': offset N", or where offset_increment moved the clone, how it got there. */
static void offset_text(const struct zh_bench_job *job, unsigned clone, uint64_t offset, char *buf,
			size_t len)
{
	if (clone == 0 || job->offset_increment_bytes == 0)
		snprintf(buf, len, "job '%s': offset %llu", job->name, (unsigned long long)offset);
	else
		snprintf(buf, len,
			 "job '%s' (clone %u): offset %llu (offset=%llu + offset_increment=%llu * "
			 "%u)",
			 job->name, clone, (unsigned long long)offset,
			 (unsigned long long)job->offset_bytes,
			 (unsigned long long)job->offset_increment_bytes, clone);
}

/* The clone's offset against filesize and the device's end (the region starts inside both). */
static int offset_inside(const struct zh_bench_job *job, unsigned clone, uint64_t offset,
			 uint64_t dev_bytes, char *err, size_t err_len)
{
	char what[ZH_BENCH_NAME_MAX + 160];

	offset_text(job, clone, offset, what, sizeof(what));
	if (job->filesize_bytes > 0 && offset >= job->filesize_bytes)
		return fail(err, err_len, -ERANGE, "%s is past filesize (%llu)", what,
			    (unsigned long long)job->filesize_bytes);
	if (offset >= dev_bytes)
		return fail(err, err_len, -ERANGE, "%s is past the end (%llu)", what,
			    (unsigned long long)dev_bytes);
	return 0;
}

/* Whether every size the clone's I/O can have is a multiple of the device's block. */
static bool job_bs_aligned(const struct zh_bench_worker_cfg *cfg, uint32_t block)
{
	return (cfg->read_pct == 0 || zh_bench_bs_aligned(&cfg->bs[0], block)) &&
	       (cfg->read_pct == 100 || zh_bench_bs_aligned(&cfg->bs[1], block));
}

/*
 * The byte range a clone works on in one of its \p files files, checked against the device's
 * size and alignment: size is the clone's over all its files, as in fio.
 */
static int job_region(const struct zh_bench_job *job, unsigned clone, unsigned files,
		      const struct zh_nvme_dev *dev, struct zh_bench_worker_cfg *cfg, char *err,
		      size_t err_len)
{
	uint64_t size = job->size_bytes / files;
	uint64_t dev_bytes = zh_nvme_dev_size_bytes(dev);
	uint32_t block = zh_nvme_dev_block_bytes(dev);
	uint64_t offset;
	/* One size: the region holds whole blocks. Sizes that vary: whole device blocks. */
	uint32_t grain = cfg->bs_bytes != 0 ? cfg->bs_bytes : block;
	uint64_t len;
	int rc = job_offset(job, clone, &offset, err, err_len);

	if (rc < 0)
		return rc;
	if (!job_bs_aligned(cfg, block) || offset % block != 0)
		return fail(err, err_len, -EINVAL,
			    "job '%s': every block size and offset=%llu must be multiples of the "
			    "device's %u-byte block with direct=1",
			    job->name, (unsigned long long)offset, block);
	if (cfg->seq_add % (int64_t)block != 0)
		return fail(err, err_len, -EINVAL,
			    "job '%s': the 'rw' offset modifier must be a multiple of the device's "
			    "%u-byte block with direct=1",
			    job->name, block);
	if (cfg->zone_size != 0 && (cfg->zone_range % block != 0 || cfg->zone_skip % block != 0))
		return fail(err, err_len, -EINVAL,
			    "job '%s': zonerange and zoneskip must be multiples of the device's "
			    "%u-byte block with direct=1",
			    job->name, block);
	if (cfg->align[0] % block != 0 || cfg->align[1] % block != 0)
		return fail(err, err_len, -EINVAL,
			    "job '%s': blockalign must be a multiple of the device's %u-byte block "
			    "with direct=1",
			    job->name, block);
	if (dev_bytes == ZH_NVME_SIZE_UNKNOWN && size == 0 && job->filesize_bytes == 0)
		return fail(err, err_len, -EINVAL,
			    "job '%s': %s has no size of its own: give 'size' (a percentage of "
			    "nothing is nothing)",
			    job->name, zh_nvme_dev_path(dev));
	rc = offset_inside(job, clone, offset, dev_bytes, err, err_len);
	if (rc < 0)
		return rc;
	len = dev_bytes - offset;
	if (job->filesize_bytes > 0) {
		if (job->filesize_bytes - offset < len)
			len = job->filesize_bytes - offset;
	} else if (size > 0 && size < len) {
		len = size;
	} else if (job->size_pct > 0) {
		/*
		 * A share of the whole device, from offset on and cut at the device's end, as
		 * fio 3.33 does (4 MiB, offset=1m: 50% is 512 reads of 4 KiB, 100% 768). Taken of
		 * what follows offset, and divided before multiplying, it gave 383 and 1023.
		 */
		uint64_t share = (uint64_t)((unsigned __int128)dev_bytes * job->size_pct / 100);

		len = share < len ? share : len;
	}
	len -= len % grain;
	if (len < cfg->bs_max_bytes)
		return fail(err, err_len, -EINVAL,
			    "job '%s': size is smaller than the largest block (%u bytes)",
			    job->name, cfg->bs_max_bytes);
	cfg->region_offset_bytes = offset;
	cfg->region_bytes = len;
	return verify_fits(job, cfg, err, err_len);
}

/* One pass: io_size, else the region, or with filesize a smaller size (fio's size then). */
static uint64_t job_io_amount(const struct zh_bench_job *job, const struct zh_bench_worker_cfg *cfg)
{
	if (job->io_size_bytes != 0)
		return job->io_size_bytes;
	if (job->filesize_bytes != 0 && job->size_bytes != 0 && job->size_bytes < cfg->region_bytes)
		return job->size_bytes;
	return cfg->region_bytes;
}

/*
 * How much a clone issues before it ends: io_size (default: its region) times loops, unless
 * time_based; number_ios (times loops) caps either, as bytes when every I/O has one size (the
 * worker's fast path tests only bytes), else as a count (io_limit_ios).
 */
static void job_io_limit(const struct zh_bench_job *job, struct zh_bench_worker_cfg *cfg)
{
	uint64_t limit = 0, number_ios = job->number_ios;

	/*
	 * number_ios caps each of fio's passes (loops=3 number_ios=100: 300 I/Os in fio 3.33;
	 * it capped the job at 100). A time_based job has no passes here: the cap ends it.
	 */
	if (!job->time_based &&
	    __builtin_mul_overflow(number_ios, (uint64_t)job->loops, &number_ios))
		number_ios = UINT64_MAX;

	/*
	 * A product past 64 bits saturates: the clone never issues UINT64_MAX bytes, so it ends
	 * with its size or runtime, as fio's does; wrapped, it could be 0 (no limit) or one I/O.
	 */
	if (!job->time_based &&
	    __builtin_mul_overflow(job_io_amount(job, cfg), (uint64_t)job->loops, &limit))
		limit = UINT64_MAX;
	if (number_ios != 0 && cfg->bs_bytes != 0) {
		uint64_t cap;

		if (__builtin_mul_overflow(number_ios, (uint64_t)cfg->bs_bytes, &cap))
			cap = UINT64_MAX;
		limit = limit == 0 || cap < limit ? cap : limit;
	}
	cfg->io_limit_bytes = limit;
	cfg->io_limit_ios = cfg->bs_bytes != 0 ? 0 : number_ios;
}

static unsigned job_log_kinds(const struct zh_bench_job *job)
{
	unsigned kinds = 0;

	if (job->iops_log[0] != '\0')
		kinds |= 1u << ZH_BENCH_LOG_IOPS;
	if (job->bw_log[0] != '\0')
		kinds |= 1u << ZH_BENCH_LOG_BW;
	if (job->lat_log[0] != '\0')
		kinds |= (1u << ZH_BENCH_LOG_LAT) | (1u << ZH_BENCH_LOG_CLAT) |
			 (1u << ZH_BENCH_LOG_SLAT);
	return kinds;
}

/* startdelay: the job's, or for a range a time drawn from the clone's seed (fio: per thread). */
static uint64_t job_start_delay(const struct zh_bench_job *job, uint64_t seed)
{
	uint64_t span = job->start_delay_max_ns - job->start_delay_ns;
	uint64_t state = zh_bench_rand_seed(seed);

	/* span + 1 wraps to 0 for the widest range, which then draws its start. */
	return job->start_delay_ns + zh_bench_rand_below(&state, span + 1);
}

static int job_cfg(const struct zh_bench_job *job, unsigned clone, struct zh_bench_worker_cfg *cfg,
		   char *err, size_t err_len)
{
	if (job->time_based && job->runtime_ns == 0)
		return fail(err, err_len, -EINVAL, "job '%s': time_based needs a runtime",
			    job->name);
	*cfg = (struct zh_bench_worker_cfg){
	    .rw = job->rw,
	    .read_pct = zh_bench_job_read_pct(job),
	    .bs_bytes = zh_bench_job_bs(job),
	    .bs = {job->bs[0], job->bs[1]},
	    .bs_max_bytes = zh_bench_job_bs_max(job),
	    .dist = job->dist,
	    .random_pct = {job->random_pct[0], job->random_pct[1]},
	    .lfsr = job->lfsr,
	    .seq_every = job->seq_every,
	    .seq_identical = job->seq_identical,
	    .seq_add = job->seq_add,
	    .zone_size = job->zone_strided ? job->zone_size_bytes : 0,
	    .zone_range = zh_bench_job_zone_range(job),
	    .zone_skip = job->zone_skip_bytes,
	    .file_sequential = job->file_service_sequential,
	    .file_random = job->file_service_random,
	    .file_switch_every = job->file_service_every,
	    .rate_bps = {job->rate_bytes[0], job->rate_bytes[1]},
	    .rate_iops = {job->rate_iops[0], job->rate_iops[1]},
	    .rate_poisson = job->rate_poisson,
	    .write_flags = job->write_flags,
	    .unified_mixed = job->unified_mixed,
	    .iodepth = job->iodepth,
	    .runtime_ns = job->runtime_ns,
	    .ramp_ns = job->ramp_ns,
	    .seed = job->randrepeat ? job->randseed + clone : (uint64_t)time(NULL) + clone,
	    .log_avg_ms = job->log_avg_msec,
	    .sample_ns = zh_bench_job_sample_ms(job) * 1000000ull,
	    .log_offset = job->log_offset,
	    .log_kinds = job_log_kinds(job),
	    .sync_every = job->fsync_blocks != 0 ? job->fsync_blocks : job->fdatasync_blocks,
	    .end_sync = job->end_fsync && zh_bench_job_read_pct(job) < 100,
	    .verify = job->verify,
	    .verify_kind = job->verify_kind,
	    .verify_pattern = job->verify_pattern,
	    .verify_interval =
		(uint32_t)(job->verify_interval != 0 ? job->verify_interval : zh_bench_job_bs(job)),
	    .verify_readback = job->verify && job->do_verify && zh_bench_job_read_pct(job) < 100,
	    .verify_fatal = job->verify_fatal,
	    .verify_backlog = job->verify_backlog,
	    .continue_on_error = job->continue_on_error,
	    .fill_device = job->fill_device,
	    .exitall = job->exitall,
	    .exitall_on_error = job->exitall_on_error,
	    .think_ns = job->think_ns,
	    .think_blocks = job->think_blocks,
	    .think_on_issue = job->think_on_issue,
	    .lat_kinds = (job->disable_slat ? 0 : ZH_BENCH_LAT_SLAT) |
			 (job->disable_clat ? 0 : ZH_BENCH_LAT_CLAT) |
			 (job->disable_lat ? 0 : ZH_BENCH_LAT_LAT),
	    .bw_samples_off = job->disable_bw,
	    .lat_target_ns = job->lat_target_ns,
	    .lat_window_ns = job->lat_window_ns,
	    .lat_percentile = job->lat_percentile,
	    .lat_run = job->lat_run,
	    .max_lat_ns = job->max_lat_ns,
	    .ss = job->ss.seconds != 0,
	    .ss_ramp_ns = job->ss_ramp_ns,
	};
	for (unsigned d = 0; d < 2; d++) {
		/* The default grain stays 0, which keeps a job of one size on the fast path. */
		if (zh_bench_rw_is_random(job->rw) &&
		    job->blockalign[d] != zh_bench_default_grain(cfg, d))
			cfg->align[d] = job->blockalign[d];
	}
	cfg->start_delay_ns = job_start_delay(job, cfg->seed);
	cfg->data = zh_bench_job_data(job);
	if (cfg->log_kinds != 0)
		cfg->log_ring_entries = job->log_avg_msec == 0 && job->lat_log[0] != '\0'
					    ? LOG_RING_PER_IO
					    : LOG_RING_AVERAGED;
	return 0;
}

static int plan_cpu(struct zh_bench_plan *plan, unsigned cpu)
{
	for (unsigned i = 0; i < plan->cpu_count; i++) {
		if (plan->cpus[i] == cpu)
			return (int)i;
	}
	plan->cpus[plan->cpu_count] = (uint16_t)cpu;
	return (int)plan->cpu_count++;
}

static bool cpuset_has(const struct zh_numa_cpuset *set, unsigned cpu)
{
	for (uint32_t i = 0; i < set->count; i++) {
		if (set->cpus[i] == cpu)
			return true;
	}
	return false;
}

/* Whether core \p cpu is on one of the nodes in \p nodes (a parsed node list). */
static bool cpu_on_nodes(const struct zh_numa_topo *topo, unsigned cpu,
			 const struct zh_numa_cpuset *nodes)
{
	int node = zh_numa_topo_cpu_node(topo, cpu);

	return node >= 0 && cpuset_has(nodes, (unsigned)node);
}

/*
 * numa_cpu_nodes keeps the cores of those nodes; numa_mem_policy=bind or prefer must name the
 * nodes of every core left, since each reactor keeps its buffers on its own node.
 */
static int job_numa(const struct zh_bench_job *job, const struct zh_numa_topo *topo,
		    struct zh_numa_cpuset *set, char *err, size_t err_len)
{
	struct zh_numa_cpuset nodes;
	uint32_t kept = 0;

	if (job->numa_cpu_nodes[0] != '\0') {
		if (zh_numa_cpuset_parse(job->numa_cpu_nodes, &nodes) < 0)
			return fail(err, err_len, -EINVAL, "job '%s': bad numa_cpu_nodes '%s'",
				    job->name, job->numa_cpu_nodes);
		for (uint32_t i = 0; i < set->count; i++) {
			if (cpu_on_nodes(topo, set->cpus[i], &nodes))
				set->cpus[kept++] = set->cpus[i];
		}
		if (kept == 0)
			return fail(err, err_len, -EINVAL,
				    "job '%s': numa_cpu_nodes=%s leaves no core this process may "
				    "use (%u NUMA node(s) here)",
				    job->name, job->numa_cpu_nodes, zh_numa_topo_node_count(topo));
		set->count = kept;
	}
	if (!job->numa_mem_bind)
		return 0;
	if (zh_numa_cpuset_parse(job->numa_mem_nodes, &nodes) < 0)
		return fail(err, err_len, -EINVAL, "job '%s': bad numa_mem_policy nodes '%s'",
			    job->name, job->numa_mem_nodes);
	for (uint32_t i = 0; i < set->count; i++) {
		if (!cpu_on_nodes(topo, set->cpus[i], &nodes))
			return fail(err, err_len, -EINVAL,
				    "job '%s': numa_mem_policy names node(s) %s, but core %u is "
				    "elsewhere and its reactor keeps its buffers on its own node "
				    "(numa_cpu_nodes or cpus_allowed can keep the job there)",
				    job->name, job->numa_mem_nodes, set->cpus[i]);
	}
	return 0;
}

/*
 * The cores a job may use: its cpus_allowed, which must lie inside this process's set, else
 * that set; then its NUMA options.
 */
static int job_cpus(const struct zh_bench_job *job, const struct zh_numa_topo *topo,
		    const struct zh_numa_cpuset *allowed, struct zh_numa_cpuset *set, char *err,
		    size_t err_len)
{
	if (job->cpus_allowed[0] == '\0') {
		*set = *allowed;
		return job_numa(job, topo, set, err, err_len);
	}
	if (zh_numa_cpuset_parse(job->cpus_allowed, set) < 0)
		return fail(err, err_len, -EINVAL, "job '%s': bad cpus_allowed '%s'", job->name,
			    job->cpus_allowed);
	for (uint32_t i = 0; i < set->count; i++) {
		if (!cpuset_has(allowed, set->cpus[i]))
			return fail(err, err_len, -EINVAL,
				    "job '%s': cpus_allowed names core %u, which this process "
				    "may not use",
				    job->name, set->cpus[i]);
	}
	return job_numa(job, topo, set, err, err_len);
}

/*
 * Several files: the clone's I/O goes over all of them as one region of file_count times the
 * smallest file region (bench_worker.h); one file keeps its own region.
 */
static void join_files(struct zh_bench_worker_cfg *cfg, const int *dev, const uint64_t *offset,
		       const uint64_t *bytes, unsigned files)
{
	uint64_t least = bytes[0];

	cfg->dev = (unsigned)dev[0];
	cfg->file_count = files;
	if (files == 1)
		return;
	for (unsigned f = 0; f < files; f++) {
		cfg->file_dev[f] = (unsigned)dev[f];
		cfg->file_offset[f] = offset[f];
		least = bytes[f] < least ? bytes[f] : least;
	}
	cfg->file_bytes = least;
	cfg->region_offset_bytes = 0;
	cfg->region_bytes = least * files;
	/*
	 * file_service_type=sequential: a file's worth of I/O in each file before the next, as
	 * zones of one file each (a random job's offsets stay in the file, as fio's do).
	 */
	if (cfg->file_sequential) {
		cfg->zone_size = least;
		cfg->zone_range = least;
		cfg->zone_skip = 0;
	}
}

/*
 * How long clone \p c's files must be: filesize, else up to the end of its region (clones of
 * a job with a filename share it: the last one's region), else as they are (0).
 */
static int layout_need(const struct zh_bench_job *job, unsigned c, unsigned files, uint64_t *need,
		       char *err, size_t err_len)
{
	unsigned last = job->filename[0] != '\0' ? job->numjobs - 1 : c;
	uint64_t offset;
	int rc;

	*need = job->filesize_bytes;
	if (job->filesize_bytes > 0 || job->size_bytes == 0)
		return 0;
	rc = job_offset(job, last, &offset, err, err_len);
	if (rc < 0)
		return rc;
	if (__builtin_add_overflow(offset, job->size_bytes / files, need))
		return fail(err, err_len, -ERANGE,
			    "job '%s' (clone %u): offset %llu + size %llu does not fit in 64 bits",
			    job->name, last, (unsigned long long)offset,
			    (unsigned long long)(job->size_bytes / files));
	return 0;
}

/* Clone \p c's files: laid out, opened and each one's region checked. */
static int plan_files(struct zh_bench_plan *plan, const struct zh_bench_job *job, unsigned c,
		      struct zh_bench_worker_cfg *cfg, char *err, size_t err_len)
{
	unsigned files = zh_bench_job_file_count(job);
	uint64_t need, offset[ZH_BENCH_FILES_MAX], bytes[ZH_BENCH_FILES_MAX];
	int dev[ZH_BENCH_FILES_MAX];
	char path[ZH_BENCH_PATH_MAX];
	int rc;

	ZH_ASSERT(files >= 1 && files <= ZH_BENCH_FILES_MAX); /* zh_bench_job_finish */
	rc = layout_need(job, c, files, &need, err, err_len);
	if (rc < 0)
		return rc;
	for (unsigned f = 0; f < files; f++) {
		if (job_path(job, c, f, path, sizeof(path)) < 0)
			return fail(err, err_len, -ENAMETOOLONG, "job '%s': path too long",
				    job->name);
		dev[f] = plan_dev(plan, job, path, need, cfg, err, err_len);
		if (dev[f] < 0)
			return dev[f];
		if (cfg->bs_max_bytes > zh_nvme_dev_max_transfer_bytes(plan->devs[dev[f]].dev))
			return fail(err, err_len, -EINVAL,
				    "job '%s': bs %u is more than %s takes in one command (%u)",
				    job->name, cfg->bs_max_bytes, path,
				    zh_nvme_dev_max_transfer_bytes(plan->devs[dev[f]].dev));
		for (unsigned g = 0; g < f; g++) {
			if (dev[g] == dev[f])
				return fail(err, err_len, -EINVAL,
					    "job '%s': '%s' is named twice in filename", job->name,
					    path);
		}
		rc = job_region(job, c, files, plan->devs[dev[f]].dev, cfg, err, err_len);
		if (rc < 0)
			return rc;
		plan->devs[dev[f]].unlink |= job->unlink;
		offset[f] = cfg->region_offset_bytes;
		bytes[f] = cfg->region_bytes;
	}
	join_files(cfg, dev, offset, bytes, files);
	/* The plan outlives the workers: its device paths may be pointed to. */
	cfg->dump_path = job->verify && job->verify_dump ? plan->devs[dev[0]].path : NULL;
	if (zh_bench_dist_span_bytes(&job->dist) > cfg->region_bytes)
		return fail(err, err_len, -ERANGE,
			    "job '%s': the zoned_abs zones cover %llu bytes, more than the job's "
			    "%llu",
			    job->name, (unsigned long long)zh_bench_dist_span_bytes(&job->dist),
			    (unsigned long long)cfg->region_bytes);
	return 0;
}

/* fio's flow: the clone's weight counts in its flow_id's total, whose I/O count it shares. */
static int plan_flow(struct zh_bench_plan *plan, const struct zh_bench_job *job,
		     struct zh_bench_worker_cfg *cfg, char *err, size_t err_len)
{
	uint32_t weight = (uint32_t)(job->flow < 0 ? -job->flow : job->flow);
	unsigned i = 0;

	if (weight == 0)
		return 0;
	while (i < plan->flow_count && plan->flow_ids[i] != job->flow_id)
		i++;
	if (i == ZH_BENCH_FLOWS_MAX)
		return fail(err, err_len, -E2BIG, "job '%s': more than %d flow_ids in one group",
			    job->name, ZH_BENCH_FLOWS_MAX);
	if (i == plan->flow_count) {
		plan->flow_ids[i] = job->flow_id;
		/* From 1, as fio's: a first share is never a division by nothing. */
		atomic_init(&plan->flow_issued[i], 1);
		atomic_init(&plan->flow_total_weight[i], 0);
		plan->flow_count++;
	}
	atomic_fetch_add_explicit(&plan->flow_total_weight[i], weight, memory_order_relaxed);
	cfg->flow_weight = weight;
	cfg->flow_sleep_ns = job->flow_sleep_ns;
	cfg->flow_issued = &plan->flow_issued[i];
	cfg->flow_total_weight = &plan->flow_total_weight[i];
	return 0;
}

static int plan_clone(struct zh_bench_plan *plan, const struct zh_bench_job *job, unsigned c,
		      char *err, size_t err_len)
{
	struct zh_bench_plan_worker *pw = &plan->workers[plan->worker_count];
	int rc;

	if (plan->worker_count == ZH_BENCH_WORKERS_MAX)
		return fail(err, err_len, -E2BIG, "more than %d job clones in a group",
			    ZH_BENCH_WORKERS_MAX);
	rc = job_cfg(job, c, &pw->cfg, err, err_len);
	if (rc == 0)
		rc = plan_files(plan, job, c, &pw->cfg, err, err_len);
	if (rc == 0)
		rc = plan_flow(plan, job, &pw->cfg, err, err_len);
	if (rc < 0)
		return rc;
	job_io_limit(job, &pw->cfg);
	pw->job = job;
	pw->clone = c;
	plan->worker_count++;
	return 0;
}

/*
 * Clone c of a job with cpus_allowed runs on its c-th listed core (round robin); clones of
 * jobs without it take the process's cores in turn, so two such jobs use two cores.
 */
static int plan_workers(struct zh_bench_plan *plan, const struct zh_bench_job *jobs, unsigned count,
			const struct zh_numa_topo *topo, const struct zh_numa_cpuset *allowed,
			char *err, size_t err_len)
{
	unsigned next_free = 0;

	for (unsigned j = 0; j < count; j++) {
		const struct zh_bench_job *job = &jobs[j];
		unsigned groupid = plan->groupid + zh_bench_jobs_new_groups(jobs, j);
		struct zh_numa_cpuset set;
		int rc = job_cpus(job, topo, allowed, &set, err, err_len);

		if (rc < 0)
			return rc;
		for (unsigned c = 0; c < job->numjobs; c++) {
			unsigned pick = job->cpus_allowed[0] != '\0' ? c : next_free++;
			struct zh_bench_plan_worker *pw;

			rc = plan_clone(plan, job, c, err, err_len);
			if (rc < 0)
				return rc;
			pw = &plan->workers[plan->worker_count - 1];
			pw->reactor = (unsigned)plan_cpu(plan, set.cpus[pick % set.count]);
			pw->groupid = groupid;
		}
	}
	return 0;
}

/* fio's rule: a batch of 0, or one deeper than the queue, means the queue depth. */
static uint32_t job_submit_batch(const struct zh_bench_job *job)
{
	uint32_t b = job->iodepth_batch_submit;

	return b == 0 || b > job->iodepth ? job->iodepth : b;
}

/*
 * Enough SQEs and buffers on every reactor for the iodepth of all its clones. The engine's
 * submit_batch is one setting for all reactors: the smallest batch any job asks for, so that no
 * job waits longer to submit than it would under fio.
 */
static int plan_size_engine(struct zh_bench_plan *plan, char *err, size_t err_len)
{
	struct zh_engine_opts *o = &plan->engine_opts;
	uint32_t depth_max = 0, timers_max = 0, batch = UINT32_MAX;

	zh_engine_opts_default(o);
	for (unsigned i = 0; i < plan->worker_count; i++) {
		uint32_t b = job_submit_batch(plan->workers[i].job);

		batch = b < batch ? b : batch;
	}
	for (unsigned r = 0; r < plan->cpu_count; r++) {
		uint32_t depth = 0, timers = 0, bufs[ZH_BUF_CLASS_COUNT] = {0};

		for (unsigned i = 0; i < plan->worker_count; i++) {
			const struct zh_bench_plan_worker *pw = &plan->workers[i];
			/* The engine's size classes: 4 KiB, 64 KiB, 1 MiB. */
			unsigned k = (pw->cfg.bs_max_bytes > 4096) + (pw->cfg.bs_max_bytes > 65536);

			if (pw->reactor != r)
				continue;
			depth += pw->cfg.iodepth;
			timers += 7; /* start, ramp, end, sample, log, rate, ss: bench_worker.h */
			bufs[k] += pw->cfg.iodepth;
		}
		/* One SQE more for the reactor's own eventfd read. */
		if (depth + 1 > ZH_ENGINE_SQ_MAX)
			return fail(err, err_len, -EINVAL,
				    "the jobs on core %u keep %u I/Os in flight (iodepth times "
				    "the clones there), more than one reactor's ring holds (%u): "
				    "lower iodepth or numjobs, or allow more cores (cpus_allowed)",
				    plan->cpus[r], depth, ZH_ENGINE_SQ_MAX - 1);
		depth_max = depth > depth_max ? depth : depth_max;
		timers_max = timers > timers_max ? timers : timers_max;
		for (unsigned k = 0; k < ZH_BUF_CLASS_COUNT; k++)
			o->buf_count[k] = bufs[k] > o->buf_count[k] ? bufs[k] : o->buf_count[k];
	}
	o->sq_entries = zh_pow2_at_least_u32(depth_max + 1 < 64 ? 64 : depth_max + 1);
	o->timers_max = timers_max + 8;
	if (plan->worker_count > 0)
		o->submit_batch = batch;
	/* As fio does: iodepth_batch_submit requests go to the kernel together. */
	o->submit_hold = true;
	/* A job's reactor runs nothing urgent besides its I/O: it may sleep for a batch. */
	o->wake_batch_div = 8;
	o->cpus = plan->cpus;
	o->cpu_count = plan->cpu_count;
	o->devs = plan->engine_devs;
	o->dev_count = plan->dev_count;
	return 0;
}

/* File \p f of a clone: its device and byte range. */
static void cfg_file(const struct zh_bench_worker_cfg *cfg, unsigned f, unsigned *dev,
		     uint64_t *offset, uint64_t *bytes)
{
	bool one = cfg->file_count <= 1;

	*dev = one ? cfg->dev : cfg->file_dev[f];
	*offset = one ? cfg->region_offset_bytes : cfg->file_offset[f];
	*bytes = one ? cfg->region_bytes : cfg->file_bytes;
}

/*
 * Whether devices \p a and \p b are one file: two paths to it with the same direct= are one
 * device already, a buffered and an O_DIRECT open of it are two.
 */
static bool same_file(const struct zh_bench_plan *plan, unsigned a, unsigned b)
{
	return a == b || file_id_eq(&plan->devs[a].id, &plan->devs[b].id);
}

static bool regions_overlap(const struct zh_bench_plan *plan, const struct zh_bench_worker_cfg *a,
			    const struct zh_bench_worker_cfg *b)
{
	for (unsigned i = 0; i < (a->file_count > 1 ? a->file_count : 1); i++) {
		for (unsigned j = 0; j < (b->file_count > 1 ? b->file_count : 1); j++) {
			unsigned da, db;
			uint64_t oa, ob, na, nb;

			cfg_file(a, i, &da, &oa, &na);
			cfg_file(b, j, &db, &ob, &nb);
			if (same_file(plan, da, db) && oa < ob + nb && ob < oa + na)
				return true;
		}
	}
	return false;
}

/*
 * Two sequential writers with the same block and the same gap (rw=write:N) each write one
 * stripe of the stride: their own offset plus whole strides, wrapping to their region's start.
 * Stripes whose starts lie a block or more apart, both ways round the stride, never meet,
 * however their regions overlap (fio's examples/cross-stripe-verify.fio).
 */
static bool stripes_apart(const struct zh_bench_worker_cfg *a, const struct zh_bench_worker_cfg *b)
{
	uint64_t stride, d;

	if (a->rw != ZH_BENCH_RW_WRITE || b->rw != ZH_BENCH_RW_WRITE || a->seq_add <= 0 ||
	    a->seq_add != b->seq_add || a->bs_bytes == 0 || a->bs_bytes != b->bs_bytes ||
	    a->file_count > 1 || b->file_count > 1 || a->zone_size != 0 || b->zone_size != 0)
		return false;
	stride = a->bs_bytes + (uint64_t)a->seq_add;
	d = (b->region_offset_bytes % stride + stride - a->region_offset_bytes % stride) % stride;
	return d >= a->bs_bytes && stride - d >= a->bs_bytes;
}

/*
 * A verifying writer must be the only writer of its blocks while the group runs: another
 * clone or job writing them would make its read-back report their writes as bad blocks.
 */
static int plan_check_verify(const struct zh_bench_plan *plan, char *err, size_t err_len)
{
	for (unsigned i = 0; i < plan->worker_count; i++) {
		const struct zh_bench_plan_worker *v = &plan->workers[i];

		if (!v->cfg.verify_readback && v->cfg.verify_backlog == 0)
			continue;
		for (unsigned j = 0; j < plan->worker_count; j++) {
			const struct zh_bench_plan_worker *o = &plan->workers[j];

			if (j == i || o->cfg.read_pct == 100 ||
			    !regions_overlap(plan, &v->cfg, &o->cfg) ||
			    stripes_apart(&v->cfg, &o->cfg))
				continue;
			return fail(err, err_len, -EINVAL,
				    "job '%s' (clone %u) verifies blocks that job '%s' (clone %u) "
				    "also writes in the same group: give each its own file "
				    "(directory= makes one per clone) or offset",
				    v->job->name, v->clone, o->job->name, o->clone);
		}
	}
	return 0;
}

int zh_bench_plan_build(struct zh_bench_plan *plan, unsigned groupid,
			const struct zh_bench_job *jobs, unsigned count, char *err, size_t err_len)
{
	struct zh_numa_topo *topo;
	struct zh_numa_cpuset allowed;
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->groupid = groupid;
	rc = zh_numa_topo_create(&topo);
	if (rc < 0)
		return fail(err, err_len, rc, "cannot read the CPU topology: %s", strerror(-rc));
	rc = zh_numa_topo_allowed_cpus(topo, &allowed);
	if (rc < 0) {
		zh_numa_topo_destroy(topo);
		return fail(err, err_len, rc, "no usable CPU: %s", strerror(-rc));
	}
	rc = plan_workers(plan, jobs, count, topo, &allowed, err, err_len);
	zh_numa_topo_destroy(topo);
	if (rc == 0)
		rc = plan_check_verify(plan, err, err_len);
	if (rc == 0)
		rc = plan_size_engine(plan, err, err_len);
	if (rc < 0)
		zh_bench_plan_close(plan);
	return rc;
}

void zh_bench_plan_close(struct zh_bench_plan *plan)
{
	for (unsigned i = 0; i < plan->dev_count; i++)
		zh_nvme_dev_close(plan->devs[i].dev);
	plan->dev_count = 0;
}

int zh_bench_plan_unlink(const struct zh_bench_plan *plan, char *err, size_t err_len)
{
	int rc = 0;

	for (unsigned i = 0; i < plan->dev_count; i++) {
		const char *path = plan->devs[i].path;
		struct stat st;

		if (!plan->devs[i].unlink || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlink(path) != 0 && rc == 0)
			rc = fail(err, err_len, -errno, "unlink %s: %s", path, strerror(errno));
	}
	return rc;
}
