/* SPDX-License-Identifier: MIT */
/*
 * store: formatting and opening a store (lock file, superblocks, the store record, allocators,
 * reactors, codecs, chunk slots, the index thread), shard placement, the plumbing that moves
 * chunks and freed extents between control threads and reactors, and the read-only queries
 * (stat, list, info) that control threads answer from the index directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/store_internal.h"

void zh_store_opts_default(struct zh_store_opts *opts)
{
	*opts = (struct zh_store_opts){
	    .dir = "var/zhtp",
	    .dev_count = 6,
	    .dev_bytes = 256ull << 20,
	    .ec_k = 4,
	    .ec_m = 2,
	    .chunk_bytes = 1u << 20,
	    .small_max_bytes = 16u << 10,
	    .zstd_level = ZH_STORE_ZSTD_AUTO,
	    .repair_rate_bytes = 64ull << 20,
	    .cache_bytes = 256ull << 20,
	    .access_flush_ms = 1000,
	    .busy_poll_ns = ZH_ENGINE_BUSY_POLL_DEFAULT_NS,
	};
}

/* ---- waiter, posting, releases ------------------------------------------------------------ */

void zh__futex_wake(_Atomic uint32_t *word)
{
	/* FUTEX_WAKE never blocks: safe on a reactor. */
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void zh__futex_wait(_Atomic uint32_t *word, uint32_t seen)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

void zh__post_control(struct zh_store *s, unsigned to, zh_msg_fn fn, void *arg)
{
	/* A full ring is back-pressure; a control thread may wait it out. */
	while (zh_engine_post(s->engine, to, fn, arg) == -EAGAIN)
		usleep(50);
}

void zh__post_reactor(struct zh_reactor *from, unsigned to, zh_msg_fn fn, void *arg)
{
	int rc;

	if (to == zh_reactor_id(from)) {
		fn(from, arg);
		return;
	}
	/* Rings hold twice the shard requests all slots can have in flight (store_engine_opts). */
	rc = zh_reactor_post(from, to, fn, arg);
	ZH_ASSERT(rc == 0);
}

/* The smallest device format takes, given or made: a few chunks' room past block 0. */
#define STORE_DEV_MIN_BYTES (16ull << 20)

#define EXT_DEV_BITS 5
#define EXT_LEN_BITS 19
#define EXT_OFF_BITS 40

uint64_t zh__extent_pack(const struct zh_store *s, unsigned dev, uint64_t offset_bytes,
			 uint64_t len_bytes)
{
	uint64_t block = s->rec.block_bytes;

	ZH_ASSERT(dev < (1u << EXT_DEV_BITS));
	ZH_ASSERT(len_bytes / block < (1u << EXT_LEN_BITS));
	ZH_ASSERT(offset_bytes / block < (1ull << EXT_OFF_BITS));
	return dev | (len_bytes / block) << EXT_DEV_BITS |
	       (offset_bytes / block) << (EXT_DEV_BITS + EXT_LEN_BITS);
}

void zh__extent_unpack(const struct zh_store *s, uint64_t packed, unsigned *dev,
		       struct zh__extent *e)
{
	uint64_t block = s->rec.block_bytes;

	*dev = (unsigned)(packed & ((1u << EXT_DEV_BITS) - 1));
	e->len_bytes = (packed >> EXT_DEV_BITS & ((1u << EXT_LEN_BITS) - 1)) * block;
	e->offset_bytes = (packed >> (EXT_DEV_BITS + EXT_LEN_BITS)) * block;
}

static struct zh_store *reactor_store(struct zh_reactor *r)
{
	/* One store per engine: the store is the first thing in the engine's user pointer. */
	return (struct zh_store *)zh_engine_user(zh_reactor_engine(r));
}

static void release_msg(struct zh_reactor *r, void *arg)
{
	struct zh_store *s = reactor_store(r);
	struct zh__extent e;
	unsigned dev;

	zh__extent_unpack(s, (uint64_t)(uintptr_t)arg, &dev, &e);
	ZH_ASSERT(zh__dev_owner(s, dev) == zh_reactor_id(r) && s->alloc[dev] != NULL);
	zh__alloc_release(s->alloc[dev], &e);
}

void zh__release_from_control(struct zh_store *s, uint64_t packed)
{
	unsigned dev = (unsigned)(packed & ((1u << EXT_DEV_BITS) - 1));

	/* A device that is gone has no allocator; its extents are dropped at repair. */
	if (s->alloc[dev] != NULL)
		zh__post_control(s, zh__dev_owner(s, dev), release_msg, (void *)(uintptr_t)packed);
}

void zh__chunk_release(struct zh_store *s, const struct zh__chunk_rec *rec, uint32_t mask)
{
	uint32_t stride = zh__stride(s, rec->hdr.shard_bytes);

	for (unsigned i = 0; i < (unsigned)rec->hdr.ec_k + rec->hdr.ec_m; i++) {
		if (mask & (1u << i))
			zh__release_from_control(
			    s,
			    zh__extent_pack(s, rec->loc[i].dev, rec->loc[i].offset_bytes, stride));
	}
}

void zh__release_from_reactor(struct zh_store *s, struct zh_reactor *r, uint64_t packed)
{
	unsigned dev = (unsigned)(packed & ((1u << EXT_DEV_BITS) - 1));

	if (s->alloc[dev] != NULL)
		zh__post_reactor(r, zh__dev_owner(s, dev), release_msg, (void *)(uintptr_t)packed);
}

void *zh__array_grow(void *items, size_t *cap, size_t item_bytes, size_t first_cap)
{
	size_t n = *cap > 0 ? 2 * *cap : first_cap;
	void *p = realloc(items, n * item_bytes);

	if (p != NULL)
		*cap = n;
	return p;
}

/* ---- chunk slots ---------------------------------------------------------------------------- */

static bool slot_available(const struct zh_store *s, bool to_fill)
{
	return s->free_slots != NULL && (!to_fill || s->slots_filling < s->slots_filling_max);
}

static struct zh__slot *slot_take(struct zh_store *s, bool wait, bool to_fill)
{
	struct zh__slot *slot = NULL;

	pthread_mutex_lock(&s->slot_lock);
	if (wait && !slot_available(s, to_fill)) {
		atomic_fetch_add_explicit(&s->slot_waits, 1, memory_order_relaxed);
		do
			pthread_cond_wait(&s->slot_cond, &s->slot_lock);
		while (!slot_available(s, to_fill));
	}
	if (slot_available(s, to_fill)) {
		slot = s->free_slots;
		s->free_slots = slot->next_free;
		s->slots_filling += to_fill;
	}
	pthread_mutex_unlock(&s->slot_lock);
	if (slot == NULL)
		return NULL;
	slot->rc = 0;
	slot->degraded = false;
	slot->read_all = false;
	slot->in_place = false;
	slot->moving = false;
	slot->rewrite = 0;
	slot->compress_ns = 0; /* a repair reusing a put's slot must not feed the `auto` level */
	atomic_store_explicit(&slot->done, 0, memory_order_relaxed);
	slot->coord =
	    atomic_fetch_add_explicit(&s->next_reactor, 1, memory_order_relaxed) % s->reactor_count;
	return slot;
}

struct zh__slot *zh__slot_get(struct zh_store *s, bool wait)
{
	return slot_take(s, wait, false);
}

struct zh__slot *zh__slot_get_to_fill(struct zh_store *s, bool wait)
{
	return slot_take(s, wait, true);
}

/* Waiters wait for different things (any slot, a slot to fill): every one must look again. */
void zh__slot_filled(struct zh_store *s)
{
	pthread_mutex_lock(&s->slot_lock);
	ZH_ASSERT(s->slots_filling > 0);
	s->slots_filling--;
	pthread_cond_broadcast(&s->slot_cond);
	pthread_mutex_unlock(&s->slot_lock);
}

void zh__slot_put(struct zh_store *s, struct zh__slot *slot)
{
	pthread_mutex_lock(&s->slot_lock);
	slot->next_free = s->free_slots;
	s->free_slots = slot;
	pthread_cond_broadcast(&s->slot_cond);
	pthread_mutex_unlock(&s->slot_lock);
}

void zh__slot_wait(struct zh__slot *slot)
{
	while (atomic_load_explicit(&slot->done, memory_order_acquire) == 0)
		zh__futex_wait(&slot->done, 0);
}

void zh__slot_done(struct zh__slot *slot)
{
	atomic_store_explicit(&slot->done, 1, memory_order_release);
	/* The slot is the store's: even if its owner has moved on, waking it touches no one's. */
	zh__futex_wake(&slot->done);
}

static void drain_msg(struct zh_reactor *r, void *arg)
{
	struct zh__core *core = arg;

	(void)r;
	atomic_fetch_add_explicit(&core->drained, 1, memory_order_release);
	zh__futex_wake(&core->drained);
}

void zh__reactors_drain(struct zh_store *s)
{
	/* The control ring into each reactor is FIFO: this runs after what was posted before. */
	for (unsigned i = 0; i < s->reactor_count; i++) {
		struct zh__core *core = &s->core[i];
		uint32_t before = atomic_load_explicit(&core->drained, memory_order_acquire);
		uint32_t now;

		zh__post_control(s, i, drain_msg, core);
		while ((now = atomic_load_explicit(&core->drained, memory_order_acquire)) == before)
			zh__futex_wait(&core->drained, now);
	}
}

/* Chunk slots' memory is allocated and touched at open, so it is bounded. */
#define ZH__SLOTS_DEFAULT   16u
#define ZH__SLOT_REGION_MAX (1ull << 30)

/* Bytes one chunk slot takes: the chunk's raw bytes, then a block-rounded buffer per shard. */
static size_t slot_bytes(const struct zh__store_rec *rec)
{
	size_t per_slot =
	    rec->chunk_bytes + ((size_t)rec->ec_k + rec->ec_m) * zh__rec_stride_max(rec);

	return (per_slot + 4095) / 4096 * 4096;
}

/*
 * Slots for a store of \p rec's geometry given chunk_slots \p asked: that many if they fit in
 * ZH__SLOT_REGION_MAX; 0 asks for the default, 16, or as many as fit if fewer do. \return the
 * count, or 0 when what was asked (or one slot) does not fit.
 */
static unsigned slots_fitting(const struct zh__store_rec *rec, unsigned asked)
{
	size_t fit = ZH__SLOT_REGION_MAX / slot_bytes(rec);

	if (asked == 0)
		return fit < ZH__SLOTS_DEFAULT ? (unsigned)fit : ZH__SLOTS_DEFAULT;
	return asked <= fit ? asked : 0;
}

static int slots_init(struct zh_store *s, unsigned asked, uint32_t shard_max)
{
	unsigned shards = (unsigned)s->rec.ec_k + s->rec.ec_m;
	unsigned count = slots_fitting(&s->rec, asked);
	size_t per_slot = slot_bytes(&s->rec);
	uint8_t *p;

	if (count == 0)
		return -EINVAL;
	s->shard_stride = zh__stride(s, shard_max);
	ZH_ASSERT(s->rec.chunk_bytes + (size_t)shards * s->shard_stride <= per_slot);
	s->region_bytes = per_slot * count;
	s->region = aligned_alloc(4096, s->region_bytes);
	s->slots = calloc(count, sizeof(*s->slots));
	if (s->region == NULL || s->slots == NULL)
		return -ENOMEM;
	memset(s->region, 0, s->region_bytes);
	p = s->region;
	for (unsigned i = 0; i < count; i++, p += per_slot) {
		struct zh__slot *slot = &s->slots[i];

		slot->store = s;
		slot->raw = p;
		for (unsigned j = 0; j < shards; j++)
			slot->shard[j] = p + s->rec.chunk_bytes + (size_t)j * s->shard_stride;
		for (unsigned j = 0; j < ZH_CODEC_SHARDS_MAX; j++) {
			slot->op[j].slot = slot;
			slot->op[j].shard = (uint8_t)j;
			zh_timer_init(&slot->op[j].retry);
		}
		slot->next_free = s->free_slots;
		s->free_slots = slot;
	}
	s->slot_count = count;
	s->slots_filling_max = count > 1 ? count / 2 : 1;
	return 0;
}

/* ---- paths, lock, superblocks ------------------------------------------------------------- */

static int path_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, ZH_STORE_PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= ZH_STORE_PATH_MAX ? -ENAMETOOLONG : 0;
}

static int dev_default_path(char *out, const char *dir, unsigned i)
{
	char name[32];

	snprintf(name, sizeof(name), "dev%u.img", i);
	return path_join(out, dir, name);
}

static int lock_take(const char *dir, int *fd_out)
{
	char path[ZH_STORE_PATH_MAX];
	int rc = path_join(path, dir, ZH__STORE_LOCK_FILE);
	int fd;

	if (rc < 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[ZH_STORE_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -EINVAL;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/*
 * Read or write (and flush) block 0 through the device layer, which on a passthrough namespace
 * sends NVMe commands: its char device has no read or write (pread and pwrite failed there).
 */
static int sb_io(struct zh_nvme_dev *dev, uint8_t *block, bool write)
{
	struct zh_nvme_req req = {
	    .op = write ? ZH_NVME_OP_WRITE : ZH_NVME_OP_READ,
	    .len_bytes = ZH__SB_BYTES,
	    .addr = block,
	    .buf_index = -1,
	    .file_index = -1,
	};
	uint16_t status;
	int rc = zh_nvme_dev_sync(dev, &req, &status);

	if (rc == 0 && write) {
		req.op = ZH_NVME_OP_FLUSH;
		rc = zh_nvme_dev_sync(dev, &req, &status);
	}
	return rc;
}

/* Write device \p i's superblock: the store's identity and geometry. */
static int sb_write(struct zh_nvme_dev *dev, const struct zh__store_rec *rec, unsigned i,
		    uint8_t *block)
{
	struct zh__superblock sb = {
	    .version = ZH__SB_VERSION,
	    .dev_index = i,
	    .dev_count = rec->dev_count,
	    .dev_bytes = zh_nvme_dev_size_bytes(dev),
	    .block_bytes = zh_nvme_dev_block_bytes(dev),
	    .chunk_bytes = rec->chunk_bytes,
	    .ec_k = rec->ec_k,
	    .ec_m = rec->ec_m,
	    .created_unix_s = (uint64_t)time(NULL),
	};

	memcpy(sb.store_uuid, rec->uuid, ZH__UUID_BYTES);
	zh__sb_pack(&sb, block);
	return sb_io(dev, block, true);
}

/* Size an open file device to \p bytes, with real blocks, and make that durable. */
static int file_dev_size(int fd, uint64_t bytes)
{
	if (ftruncate(fd, (off_t)bytes) < 0)
		return -errno;
	/* Real blocks up front: O_DIRECT writes into holes would allocate on the data path. */
	if (posix_fallocate(fd, 0, (off_t)bytes) != 0 && ftruncate(fd, (off_t)bytes) < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

/* Make the entries of the directory holding \p path durable (a file created or linked). */
static int dir_sync(const char *path)
{
	char dir[ZH_STORE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : (int)(slash - path + 1),
		 slash == NULL ? "." : path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Create a file device of \p bytes at \p path whole or not at all: made and synced under a
 * temporary name, then linked into place (which refuses an existing file: -EEXIST). A crash
 * part-way leaves no short device file to stop the next open, only the temporary one, which
 * the next attempt truncates.
 */
static int file_dev_tmp_name(const char *path, char tmp[ZH_STORE_PATH_MAX + 8])
{
	int n = snprintf(tmp, ZH_STORE_PATH_MAX + 8, "%s.new", path);

	return n > 0 && n < ZH_STORE_PATH_MAX + 8 ? 0 : -ENAMETOOLONG;
}

static int file_dev_make(const char *path, uint64_t bytes)
{
	char tmp[ZH_STORE_PATH_MAX + 8];
	int fd, rc;

	if (file_dev_tmp_name(path, tmp) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = file_dev_size(fd, bytes);
	close(fd);
	if (rc == 0 && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	return rc == 0 ? dir_sync(path) : rc;
}

/* Whether \p a and \p b name one file (a second link). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * Size the existing file device \p path to \p bytes. A make killed after its link and before
 * it removed the temporary name left that name to the same file: removed here (only if it is
 * that file), or it would keep 64 MiB or more for good once the device was lost again.
 */
static int file_dev_resize(const char *path, uint64_t bytes)
{
	char tmp[ZH_STORE_PATH_MAX + 8];
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = file_dev_size(fd, bytes);
	close(fd);
	if (rc == 0 && file_dev_tmp_name(path, tmp) == 0 && same_file(path, tmp) &&
	    unlink(tmp) == 0)
		rc = dir_sync(path);
	return rc;
}

/*
 * Create a file device of \p bytes (*created true); with \p overwrite an existing file is
 * taken and sized instead (format's force), else it is refused (-EEXIST).
 */
static int file_dev_create(const char *path, uint64_t bytes, bool overwrite, bool *created)
{
	int rc = file_dev_make(path, bytes);

	*created = rc == 0;
	if (rc != -EEXIST || !overwrite)
		return rc;
	return file_dev_resize(path, bytes);
}

static int format_check(const struct zh_store_opts *o)
{
	if (o->dir == NULL || o->dev_count == 0 || o->dev_count > ZH_STORE_DEVS_MAX)
		return -EINVAL;
	/* Each on its own: the sum of two unsigned options could wrap. */
	if (o->ec_k == 0 || o->ec_k > ZH_CODEC_SHARDS_MAX ||
	    o->ec_m > ZH_CODEC_SHARDS_MAX - o->ec_k || o->chunk_bytes == 0 ||
	    o->chunk_bytes > ZH_CODEC_CHUNK_MAX || o->chunk_bytes % 4096 != 0)
		return -EINVAL;
	if (o->small_max_bytes > o->chunk_bytes || o->small_max_bytes > (1u << 20))
		return -EINVAL;
	/* Whole blocks: the superblocks and the allocator address the device in 4 KiB. */
	return o->dev_bytes >= STORE_DEV_MIN_BYTES && o->dev_bytes % 4096 == 0 ? 0 : -EINVAL;
}

/* A device being formatted: open, checked, and whether this format created its file. */
struct format_dev {
	struct zh_nvme_dev *dev;
	dev_t st_dev;
	ino_t st_ino;
	bool created;
};

/* True when \p a and \p b are one file or device under two paths. */
static bool format_same_dev(const struct stat *a, const struct format_dev *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Open device i for format: a given path as it is, the default "<dir>/dev<i>.img" created. A
 * device named twice is refused (-EINVAL); one whose block 0 holds anything (another store's
 * superblock, a file system) is refused (-EEXIST) unless o->force.
 */
static int format_dev_open(const struct zh_store_opts *o, struct zh__store_rec *rec, unsigned i,
			   struct format_dev *fd, uint8_t *block)
{
	const char *given = o->dev_paths != NULL ? o->dev_paths[i] : NULL;
	struct zh_nvme_dev_opts dopts = {0};
	struct stat st;
	int rc;

	if (given != NULL) {
		if (strlen(given) >= ZH_STORE_PATH_MAX)
			return -ENAMETOOLONG;
		strcpy(rec->dev_path[i], given);
	} else {
		rc = dev_default_path(rec->dev_path[i], o->dir, i);
		if (rc == 0)
			rc = file_dev_create(rec->dev_path[i], o->dev_bytes, o->force,
					     &fd[i].created);
		if (rc < 0)
			return rc;
	}
	if (stat(rec->dev_path[i], &st) < 0)
		return -errno;
	for (unsigned j = 0; j < i; j++) {
		if (format_same_dev(&st, &fd[j]))
			return -EINVAL;
	}
	fd[i].st_dev = st.st_dev;
	fd[i].st_ino = st.st_ino;
	rc = zh_nvme_dev_open(rec->dev_path[i], &dopts, &fd[i].dev);
	if (rc < 0)
		return rc;
	/*
	 * A given device is held to the size format makes its own files: a 5,000-byte file
	 * formatted into a superblock open then refused, and an 8 KiB one into a store that took
	 * no chunk.
	 */
	if (zh_nvme_dev_size_bytes(fd[i].dev) < STORE_DEV_MIN_BYTES)
		return -EINVAL;
	rc = sb_io(fd[i].dev, block, false);
	/*
	 * A namespace with DULBE set fails a read of a block never written (the NVMe status
	 * Deallocated or Unwritten Logical Block): a new namespace's block 0, blank to us.
	 */
	if (rc == -ENODATA) {
		memset(block, 0, ZH__SB_BYTES);
		rc = 0;
	}
	if (rc == 0 && !o->force && !zh_all_zero(block, ZH__SB_BYTES))
		rc = -EEXIST;
	if (rc == 0 && zh_nvme_dev_block_bytes(fd[i].dev) > rec->block_bytes)
		rec->block_bytes = zh_nvme_dev_block_bytes(fd[i].dev);
	return rc;
}

/*
 * Write the devices' superblocks once every device has opened and passed its checks, and the
 * slots the same options open with fit: a refused format writes nothing on a device it was
 * given, and removes the files it created.
 */
static int format_devices(const struct zh_store_opts *o, struct zh__store_rec *rec)
{
	struct format_dev fd[ZH_STORE_DEVS_MAX] = {0};
	uint8_t *block = aligned_alloc(4096, ZH__SB_BYTES);
	int rc = block != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; rc == 0 && i < o->dev_count; i++)
		rc = format_dev_open(o, rec, i, fd, block);
	for (unsigned i = 0; rc == 0 && i < o->dev_count; i++) {
		if (!zh__dev_takes_shards(rec, fd[i].dev))
			rc = -EINVAL;
	}
	if (rc == 0 && slots_fitting(rec, o->chunk_slots) == 0)
		rc = -EINVAL;
	for (unsigned i = 0; rc == 0 && i < o->dev_count; i++)
		rc = sb_write(fd[i].dev, rec, i, block);
	for (unsigned i = 0; i < o->dev_count; i++) {
		zh_nvme_dev_close(fd[i].dev);
		if (rc < 0 && fd[i].created)
			unlink(rec->dev_path[i]);
	}
	free(block);
	return rc;
}

static int format_index(const struct zh_store_opts *o, const struct zh__store_rec *rec)
{
	struct zh_index_opts iopts;
	struct zh_index *ix;
	struct zh_index_batch *b;
	uint8_t buf[ZH__STORE_REC_MAX];
	char path[ZH_STORE_PATH_MAX];
	int rc = path_join(path, o->dir, ZH__STORE_INDEX_DIR);

	if (rc < 0)
		return rc;
	zh_index_opts_default(&iopts);
	iopts.path = path;
	iopts.create = true;
	rc = zh_index_open(&iopts, &ix);
	if (rc < 0)
		return rc;
	rc = zh_index_batch_create(ix, &b);
	if (rc == 0) {
		/* Written last: a store whose format was interrupted has no record and won't open.
		 */
		zh_index_batch_put(b, ZH_INDEX_CF_META, ZH__STORE_META_KEY,
				   strlen(ZH__STORE_META_KEY), buf, zh__store_rec_pack(rec, buf));
		rc = zh_index_commit(ix, b);
		zh_index_batch_destroy(b);
	}
	zh_index_close(ix);
	return rc;
}

/*
 * An index already in the store's directory: a store's, never formatted over (-EEXIST), or
 * one a format killed before it wrote the store record, which only \p force deletes (-EEXIST
 * without). One that does not open is left for the operator.
 */
static int format_index_leftover(const char *path, bool force)
{
	struct zh_index_opts iopts;
	struct zh_index *ix;
	uint8_t buf[ZH__STORE_REC_MAX];
	long n;
	int rc;

	zh_index_opts_default(&iopts);
	iopts.path = path;
	rc = zh_index_open(&iopts, &ix);
	if (rc < 0)
		return -EEXIST;
	n = zh_index_get(ix, ZH_INDEX_CF_META, ZH__STORE_META_KEY, strlen(ZH__STORE_META_KEY), buf,
			 sizeof(buf));
	zh_index_close(ix);
	if (n != -ENOENT || !force)
		return -EEXIST;
	return zh_index_destroy(path);
}

int zh_store_format(const struct zh_store_opts *o)
{
	struct zh__store_rec rec = {0};
	char path[ZH_STORE_PATH_MAX];
	struct stat st;
	int lock_fd, rc = format_check(o);

	if (rc < 0)
		return rc;
	rc = mkdir_p(o->dir);
	if (rc < 0)
		return rc;
	rc = lock_take(o->dir, &lock_fd);
	if (rc < 0)
		return rc;
	rc = path_join(path, o->dir, ZH__STORE_INDEX_DIR);
	if (rc == 0 && stat(path, &st) == 0)
		rc = format_index_leftover(path, o->force);
	if (rc == 0 && getrandom(rec.uuid, sizeof(rec.uuid), 0) != sizeof(rec.uuid))
		rc = -EIO;
	rec.dev_count = o->dev_count;
	rec.block_bytes = 512;
	rec.chunk_bytes = o->chunk_bytes;
	rec.small_max_bytes = o->small_max_bytes;
	rec.ec_k = (uint8_t)o->ec_k;
	rec.ec_m = (uint8_t)o->ec_m;
	rec.encrypted = o->key != NULL;
	rec.bound = rec.encrypted;
	if (rec.encrypted)
		zh__key_check(rec.uuid, o->key, rec.bound, rec.key_check);
	if (rc == 0)
		rc = format_devices(o, &rec);
	if (rc == 0)
		rc = format_index(o, &rec);
	close(lock_fd);
	return rc;
}

/* ---- open ---------------------------------------------------------------------------------- */

static int store_rec_load(struct zh_store *s)
{
	uint8_t buf[ZH__STORE_REC_MAX];
	long n = zh_index_get(s->index, ZH_INDEX_CF_META, ZH__STORE_META_KEY,
			      strlen(ZH__STORE_META_KEY), buf, sizeof(buf));

	if (n == -ENOENT)
		return -ENOENT;
	if (n < 0)
		return (int)n;
	if ((size_t)n > sizeof(buf))
		return -EUCLEAN;
	return zh__store_rec_unpack(buf, (size_t)n, &s->rec);
}

/* Why a device is left out of an open (s->dev[i] NULL). */
enum dev_lost {
	DEV_MISSING, /* no device at its path */
	DEV_DAMAGED, /* our superblock, damaged, or a blank block 0 */
	DEV_FOREIGN, /* block 0 holds something else: never written over */
};

/*
 * Open device i and check its superblock. A device that is gone or whose superblock is damaged
 * leaves s->dev[i] NULL (lost: its shards are rebuilt from parity) and *lost says why; one
 * that belongs to another store, to another position in this one (devices renamed or
 * swapped) or to a newer version stops the open, since guessing would risk data.
 */
static int dev_open_one(struct zh_store *s, unsigned i, uint8_t *block, enum dev_lost *lost)
{
	struct zh_nvme_dev_opts dopts = {.read_only = s->read_only};
	struct zh__superblock sb;
	struct zh_nvme_dev *dev;
	int rc = zh_nvme_dev_open(s->rec.dev_path[i], &dopts, &dev);

	*lost = DEV_MISSING;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	/*
	 * Block 0 unreadable, not there (a device file cut short) or never written (DULBE's
	 * ENODATA): lost like a damaged one.
	 */
	if (sb_io(dev, block, false) < 0) {
		zh_nvme_dev_close(dev);
		*lost = DEV_DAMAGED;
		return 0;
	}
	rc = zh__sb_unpack(block, s->rec.uuid, &sb);
	if (rc == 0 && sb.dev_count == s->rec.dev_count && sb.dev_index != i)
		rc = -EXDEV;
	if (rc == 0 &&
	    (sb.dev_count != s->rec.dev_count || sb.dev_bytes != zh_nvme_dev_size_bytes(dev)))
		rc = -EBADMSG;
	if (rc == -EXDEV || rc == -EPROTONOSUPPORT || (rc < 0 && rc != -EBADMSG && rc != -EINVAL)) {
		zh_nvme_dev_close(dev);
		return rc;
	}
	if (rc < 0) {
		zh_nvme_dev_close(dev);
		*lost = zh__sb_foreign(block, s->rec.uuid) ? DEV_FOREIGN : DEV_DAMAGED;
		return 0;
	}
	if (!zh__dev_takes_shards(&s->rec, dev)) {
		zh_nvme_dev_close(dev);
		return -EINVAL;
	}
	s->dev[i] = dev;
	return 0;
}

/*
 * Whether device i is a file format made: "dev<i>.img" in the store's own directory (the same
 * directory by inode, however either path spells it). Only those are repair's to create or
 * size. A path the operator gave that merely ends so is not: repair made a file on the root
 * filesystem for /mnt/ssd1/dev1.img with /mnt/ssd1 not mounted.
 */
static bool dev_is_own(const struct zh_store *s, unsigned i)
{
	const char *path = s->rec.dev_path[i];
	const char *slash = strrchr(path, '/');
	char parent[ZH_STORE_PATH_MAX], own[32];
	struct stat a, b;

	snprintf(own, sizeof(own), "dev%u.img", i);
	if (strcmp(slash != NULL ? slash + 1 : path, own) != 0)
		return false;
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else
		snprintf(parent, sizeof(parent), "%.*s", slash == path ? 1 : (int)(slash - path),
			 path);
	return stat(parent, &a) == 0 && stat(s->dir, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Give lost device i a fresh superblock (replace_lost_devs): a missing file device under the
 * store's directory is created again, \p bytes long; a damaged one is rewritten. Its shards are
 * then rebuilt in place by scrub; the allocator's committed extents stay valid.
 */
static int dev_replace(struct zh_store *s, unsigned i, enum dev_lost lost, uint64_t bytes,
		       uint8_t *block)
{
	struct zh_nvme_dev_opts dopts = {0};
	const char *path = s->rec.dev_path[i];
	struct zh_nvme_dev *dev;
	bool created, is_own = dev_is_own(s, i) && bytes > 0;
	int rc = 0;

	if (lost == DEV_FOREIGN)
		return -EEXIST;
	if (lost == DEV_MISSING) {
		if (!is_own)
			return 0; /* a block device is the operator's to put back */
		rc = file_dev_create(path, bytes, false, &created);
	} else if (is_own) {
		/* Damaged: perhaps cut short by a crash, so as long as the others again. */
		rc = file_dev_resize(path, bytes);
	}
	if (rc == 0)
		rc = zh_nvme_dev_open(path, &dopts, &dev);
	if (rc < 0)
		return rc;
	if (zh_nvme_dev_block_bytes(dev) > s->rec.block_bytes ||
	    !zh__dev_takes_shards(&s->rec, dev))
		rc = -EINVAL;
	if (rc == 0)
		rc = sb_write(dev, &s->rec, i, block);
	if (rc < 0) {
		zh_nvme_dev_close(dev);
		return rc;
	}
	s->dev[i] = dev;
	s->replaced[i] = true;
	return 0;
}

static int devs_open(struct zh_store *s, bool replace_lost)
{
	uint8_t *block = aligned_alloc(4096, ZH__SB_BYTES);
	enum dev_lost lost[ZH_STORE_DEVS_MAX] = {DEV_MISSING};
	uint64_t file_bytes = 0;
	int rc = block != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; rc == 0 && i < s->rec.dev_count; i++) {
		rc = dev_open_one(s, i, block, &lost[i]);
		if (rc == 0 && s->dev[i] != NULL && file_bytes == 0)
			file_bytes = zh_nvme_dev_size_bytes(s->dev[i]);
	}
	for (unsigned i = 0; rc == 0 && replace_lost && i < s->rec.dev_count; i++) {
		if (s->dev[i] == NULL)
			rc = dev_replace(s, i, lost[i], file_bytes, block);
	}
	free(block);
	s->place_count = 0;
	for (unsigned i = 0; rc == 0 && i < s->rec.dev_count; i++) {
		if (s->dev[i] == NULL)
			continue;
		if (s->dev_faults != NULL)
			zh_nvme_dev_set_faults(s->dev[i], s->dev_faults[i]);
		s->place[s->place_count++] = (uint16_t)i;
	}
	return rc;
}

static int allocs_load(struct zh_store *s)
{
	for (unsigned i = 0; i < s->rec.dev_count; i++) {
		struct zh_nvme_dev *dev = s->dev[i];
		int rc;

		if (dev == NULL)
			continue;
		s->alloc[i] = malloc(zh__alloc_memsize(ZH__STORE_ALLOC_FREE_MAX));
		if (s->alloc[i] == NULL)
			return -ENOMEM;
		rc = zh__alloc_init(s->alloc[i], zh_nvme_dev_size_bytes(dev), s->rec.block_bytes,
				    ZH__SB_BYTES, ZH__STORE_ALLOC_FREE_MAX);
		if (rc == 0)
			rc = zh__alloc_load(s->alloc[i], s->index, (uint16_t)i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int cores_create(struct zh_store *s, const struct zh_store_opts *o, uint32_t *shard_max)
{
	struct zh_codec_opts copts;

	zh_codec_opts_default(&copts);
	copts.ec_k = s->rec.ec_k;
	copts.ec_m = s->rec.ec_m;
	copts.zstd_level =
	    o->zstd_level == ZH_STORE_ZSTD_AUTO ? ZH__AUTO_LEVEL_START : o->zstd_level;
	copts.chunk_max_bytes = s->rec.chunk_bytes;
	s->core = calloc(s->reactor_count, sizeof(*s->core));
	if (s->core == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < s->reactor_count; i++) {
		int rc = zh_codec_create(&copts, &s->core[i].codec);

		if (rc < 0)
			return rc;
		rc = zh__nonce_seq_init(&s->core[i].nonce);
		if (rc < 0)
			return rc;
		zh__level_ctl_init(&s->core[i].level);
		atomic_store(&s->core[i].level_now, copts.zstd_level);
		*shard_max = zh_codec_shard_bytes_max(s->core[i].codec);
	}
	return 0;
}

static int engine_start(struct zh_store *s, const struct zh_store_opts *o)
{
	unsigned shards = (unsigned)s->rec.ec_k + s->rec.ec_m;
	uint32_t requests = s->slot_count * shards;
	struct zh_engine_opts eo;

	zh_engine_opts_default(&eo);
	eo.cpus = s->cpus.cpus;
	eo.cpu_count = s->cpus.count;
	/*
	 * Every shard request of every slot fits at once: rings, SQ and retry timers never fill.
	 * The SQ has one entry more for the reactor's wake-up read, which a reap may queue behind
	 * all of them.
	 */
	eo.msg_ring_entries = zh_pow2_at_least_u32(2 * requests < 1024 ? 1024 : 2 * requests);
	eo.sq_entries = zh_pow2_at_least_u32(requests < 256 ? 256 : requests + 1);
	eo.timers_max = requests + 16;
	eo.buf_count[ZH_BUF_CLASS_4K] = 8;
	eo.buf_count[ZH_BUF_CLASS_64K] = 0;
	eo.buf_count[ZH_BUF_CLASS_1M] = 0;
	eo.devs = s->dev;
	eo.dev_count = s->rec.dev_count;
	eo.pin = ZH_ENGINE_PIN_NODE;
	eo.busy_poll_ns = o->busy_poll_ns;
	eo.shared_region = s->region;
	eo.shared_region_bytes = s->region_bytes;
	eo.user = s;
	return zh_engine_create(&eo, &s->engine);
}

static int index_open(struct zh_store *s, const char *dir)
{
	struct zh_index_opts iopts;
	char path[ZH_STORE_PATH_MAX];
	struct stat st;
	int rc = path_join(path, dir, ZH__STORE_INDEX_DIR);

	if (rc < 0)
		return rc;
	if (stat(path, &st) < 0)
		return -ENOENT;
	zh_index_opts_default(&iopts);
	iopts.path = path;
	/* Inline objects live in the index: room for their hot set in the block cache. */
	iopts.cache_bytes = 256ull << 20;
	rc = zh_index_open(&iopts, &s->index);
	return rc < 0 ? rc : store_rec_load(s);
}

/* The cores named, or else every core this process may run on: one reactor each. */
static int cpus_choose(struct zh_store *s, const struct zh_store_opts *o)
{
	struct zh_numa_topo *topo;
	int rc;

	if (o->cpu_count > 0) {
		if (o->cpu_count > ZH_NUMA_CPUS_MAX)
			return -EINVAL;
		memcpy(s->cpus.cpus, o->cpus, o->cpu_count * sizeof(o->cpus[0]));
		s->cpus.count = o->cpu_count;
		return 0;
	}
	rc = zh_numa_topo_create(&topo);
	if (rc < 0)
		return rc;
	rc = zh_numa_topo_allowed_cpus(topo, &s->cpus);
	zh_numa_topo_destroy(topo);
	return rc;
}

static int store_start(struct zh_store *s, const struct zh_store_opts *o)
{
	uint32_t shard_max = 0;
	int rc = cpus_choose(s, o);

	if (rc == 0)
		rc = index_open(s, o->dir);
	if (rc == 0)
		rc = zh__store_key_use(s, o->key);
	if (rc == 0)
		s->reactor_count = s->cpus.count;
	if (rc == 0)
		rc = devs_open(s, o->replace_lost_devs && !o->read_only);
	if (rc == 0 && s->place_count == 0)
		rc = -ENODEV;
	if (rc == 0)
		rc = allocs_load(s);
	if (rc == 0)
		rc = cores_create(s, o, &shard_max);
	if (rc == 0)
		rc = slots_init(s, o->chunk_slots, shard_max);
	if (rc == 0)
		rc = engine_start(s, o);
	if (rc == 0)
		s->reactor_count = zh_engine_reactor_count(s->engine);
	if (rc == 0)
		rc = zh__cache_init(&s->cache, o->cache_bytes,
				    s->rec.small_max_bytes < ZH__CACHE_OBJECT_MAX
					? s->rec.small_max_bytes
					: ZH__CACHE_OBJECT_MAX);
	if (rc == 0)
		rc = zh__access_init(&s->access, !s->read_only && !o->noatime, o->access_flush_ms);
	if (rc == 0)
		rc = zh__indexer_start(s);
	if (rc == 0 && !s->read_only)
		rc = zh__repair_start(s, o->repair_rate_bytes);
	return rc;
}

int zh_store_open(const struct zh_store_opts *o, struct zh_store **out)
{
	struct zh_store *s;
	int rc;

	if (o->dir == NULL || strlen(o->dir) >= ZH_STORE_PATH_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	strcpy(s->dir, o->dir);
	s->read_only = o->read_only;
	s->dev_faults = o->dev_faults;
	s->encode_delay_ns = (uint64_t)o->encode_delay_us * 1000;
	s->zstd_level = o->zstd_level;
	s->lock_fd = -1;
	pthread_mutex_init(&s->slot_lock, NULL);
	pthread_cond_init(&s->slot_cond, NULL);
	pthread_mutex_init(&s->rp.lock, NULL);
	pthread_cond_init(&s->rp.cond, NULL);
	pthread_mutex_init(&s->rp.write_lock, NULL);
	rc = lock_take(o->dir, &s->lock_fd);
	if (rc == 0)
		rc = store_start(s, o);
	if (rc < 0) {
		zh_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void zh_store_close(struct zh_store *s)
{
	if (s == NULL)
		return;
	zh__repair_stop(s);
	zh__indexer_stop(s);
	/* Reactors first (they drain their I/O), then what they were using. */
	zh_engine_destroy(s->engine);
	for (unsigned i = 0; s->core != NULL && i < s->reactor_count; i++)
		zh_codec_destroy(s->core[i].codec);
	free(s->core);
	for (unsigned i = 0; i < ZH_STORE_DEVS_MAX; i++) {
		free(s->alloc[i]);
		if (s->dev[i] != NULL)
			zh_nvme_dev_close(s->dev[i]);
	}
	free(s->slots);
	free(s->region);
	zh__cache_destroy(&s->cache);
	zh__access_destroy(&s->access);
	zh_index_close(s->index);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_mutex_destroy(&s->slot_lock);
	pthread_cond_destroy(&s->slot_cond);
	pthread_mutex_destroy(&s->rp.lock);
	pthread_cond_destroy(&s->rp.cond);
	pthread_mutex_destroy(&s->rp.write_lock);
	explicit_bzero(&s->key, sizeof(s->key));
	free(s);
}

/* ---- queries ------------------------------------------------------------------------------- */

/* The object's committed access statistics (store_access.c). \return 0, -EUCLEAN, -errno. */
static int access_fill(struct zh_store *s, struct zh_object_info *info)
{
	uint8_t val[ZH__ACCESS_REC_BYTES];
	long n = zh_index_get(s->index, ZH_INDEX_CF_ACCESS, info->hash, ZH_CODEC_HASH_BYTES, val,
			      sizeof(val));

	info->last_accessed_unix_s = 0;
	info->access_count = 0;
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	return zh__access_rec_unpack(val, (size_t)n, &info->last_accessed_unix_s,
				     &info->access_count);
}

int zh_store_stat(struct zh_store *s, const uint8_t hash[ZH_CODEC_HASH_BYTES],
		  struct zh_object_info *info)
{
	size_t cap = ZH__OBJECT_REC_MAX + s->rec.small_max_bytes;
	uint8_t *buf = malloc(cap);
	struct zh__object_rec rec;
	int rc = buf != NULL ? zh__object_load(s, hash, buf, cap, &rec) : -ENOMEM;

	if (rc == 0) {
		zh__object_rec_info(&rec, hash, info);
		rc = access_fill(s, info);
	}
	free(buf);
	return rc;
}

struct list_ctx {
	struct zh_store *store;
	zh_store_list_fn fn;
	void *ctx;
	struct zh_object_info info;
};

static int list_one(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct list_ctx *lc = arg;
	struct zh__object_rec rec;
	int rc;

	if (key_len != ZH_CODEC_HASH_BYTES || zh__object_rec_unpack(val, val_len, &rec) < 0)
		return -EUCLEAN;
	/* What stat and get refuse is not listed as an object either (a moved record). */
	rc = zh__object_seal_check(lc->store, key, &rec);
	if (rc < 0)
		return rc;
	zh__object_rec_info(&rec, key, &lc->info);
	rc = access_fill(lc->store, &lc->info);
	return rc < 0 ? rc : lc->fn(lc->ctx, &lc->info);
}

int zh_store_list(struct zh_store *s, zh_store_list_fn fn, void *ctx)
{
	struct list_ctx *lc = malloc(sizeof(*lc));
	int rc;

	if (lc == NULL)
		return -ENOMEM;
	lc->store = s;
	lc->fn = fn;
	lc->ctx = ctx;
	rc = zh_index_scan(s->index, ZH_INDEX_CF_OBJECTS, NULL, 0, list_one, lc);
	free(lc);
	return rc;
}

void zh_store_info_get(struct zh_store *s, struct zh_store_info *info)
{
	unsigned shards = (unsigned)s->rec.ec_k + s->rec.ec_m;

	memset(info, 0, sizeof(*info));
	memcpy(info->uuid, s->rec.uuid, sizeof(info->uuid));
	info->dev_count = s->rec.dev_count;
	info->devs_present = s->place_count;
	info->ec_k = s->rec.ec_k;
	info->ec_m = s->rec.ec_m;
	info->encrypted = s->rec.encrypted;
	info->shard_spread = s->place_count < shards ? s->place_count : shards;
	info->chunk_bytes = s->rec.chunk_bytes;
	info->small_max_bytes = s->rec.small_max_bytes;
	for (unsigned i = 0; i < s->rec.dev_count; i++) {
		struct zh_store_dev_info *d = &info->dev[i];

		strcpy(d->path, s->rec.dev_path[i]);
		d->present = s->dev[i] != NULL;
		d->replaced = s->replaced[i];
		if (!d->present)
			continue;
		d->dev_bytes = zh_nvme_dev_size_bytes(s->dev[i]);
		/* A racy but harmless read of a counter its reactor owns. */
		d->free_bytes = __atomic_load_n(&s->alloc[i]->free_bytes, __ATOMIC_RELAXED);
		d->dropped_bytes =
		    __atomic_load_n(&s->alloc[i]->release_dropped_bytes, __ATOMIC_RELAXED);
	}
}

void zh_store_stats_get(struct zh_store *s, struct zh_store_stats *st)
{
	unsigned level_sum = 0;

	memset(st, 0, sizeof(*st));
	st->puts = atomic_load(&s->puts);
	st->put_dedups = atomic_load(&s->put_dedups);
	st->gets = atomic_load(&s->gets);
	st->deletes = atomic_load(&s->deletes);
	st->commit_groups = atomic_load(&s->commit_groups);
	st->commit_batches = atomic_load(&s->commit_batches);
	st->repairs_queued = atomic_load(&s->rp.queued);
	st->repairs_dropped = atomic_load(&s->rp.dropped);
	st->chunks_repaired = atomic_load(&s->rp.chunks_repaired);
	st->shards_repaired = atomic_load(&s->rp.shards_repaired);
	st->chunks_respread = atomic_load(&s->rp.chunks_respread);
	st->shards_respread = atomic_load(&s->rp.shards_respread);
	st->refs = atomic_load(&s->refs);
	for (unsigned i = 0; i < s->reactor_count; i++) {
		level_sum += (unsigned)atomic_load(&s->core[i].level_now);
		st->chunks_written += atomic_load(&s->core[i].chunks_written);
		st->short_writes += atomic_load(&s->core[i].short_writes);
		st->chunks_read += atomic_load(&s->core[i].chunks_read);
		st->degraded_reads += atomic_load(&s->core[i].degraded_reads);
		st->shards_bad += atomic_load(&s->core[i].shards_bad);
	}
	st->slot_waits = atomic_load(&s->slot_waits);
	st->cache_hits = atomic_load(&s->cache.hits);
	st->cache_misses = atomic_load(&s->cache.misses);
	st->access_dropped = atomic_load(&s->access.dropped);
	st->delete_extents_unrecorded = atomic_load(&s->ix.unrecorded_skipped);
	st->zstd_level = (level_sum + s->reactor_count / 2) / s->reactor_count;
}
