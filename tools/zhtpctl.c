/* SPDX-License-Identifier: MIT */
/*
 * zhtpctl: works on a store directly while no daemon has it open (the store's lock file says
 * whether one does). format, put, get, stat, rm, ls, fsck, scrub, repair, info. Human output by
 * default,
 * --json for scripts; a progress line on a terminal for long work. Exit status: 0 success,
 * 1 a problem found (fsck, scrub) or an operation failed, 2 bad usage.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/store.h"
#include "numa/numa.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE   2
#define IO_CHUNK     (4u << 20)

struct ctl {
	struct zh_store_opts opts;
	bool json;
	bool progress; /* stderr is a terminal */
	const char *out_path;
	uint64_t offset, length;
	const char *paths[ZH_STORE_DEVS_MAX];
	unsigned path_count;
	struct zh_object_meta meta;
	cJSON *doc; /* --json: the answer being built */
	struct zh_numa_cpuset cpus;
	struct zh_store_scrub_opts scrub;
	const char *key_path; /* --key-file */
	struct zh_codec_key key;
	bool no_hash_first;		/* put: stream every file, as stdin */
	struct zh_store_hasher *hasher; /* put: made at the first file hashed, for them all */
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: zhtpctl [-d DIR] [--json] [--cpus LIST] [--key-file FILE] COMMAND [ARGS]\n"
	    "  format [--devices N] [--dev-size BYTES] [--k K] [--m M] [--chunk BYTES]\n"
	    "         [--small BYTES] [--dev PATH]... [--force]   create a store in DIR\n"
	    "         (with --key-file: encrypted; a missing FILE gets a new random key;\n"
	    "         --force: write over devices that hold data, such as another store's)\n"
	    "  put [--filename N] [--content-type T] [--owner O] [--tags T] [--zstd auto|0-19]\n"
	    "      [--no-hash-first] FILE...            store files ('-' = stdin), print hashes\n"
	    "      (a file is hashed first: stored content takes a reference, nothing written;\n"
	    "      --no-hash-first: one pass, but stored content is written, then freed)\n"
	    "  get HASH [-o FILE] [--offset N] [--length N] [--noatime]\n"
	    "                      (counts as a read in stat unless --noatime)\n"
	    "  stat HASH...        rm HASH...        ls        info\n"
	    "  fsck                check every object, shard and extent (exit 1 if not clean)\n"
	    "  scrub [--no-repair] [--rate BYTES]   read every shard, rewrite bad ones in place\n"
	    "  repair [--rate BYTES]   recreate lost devices, then scrub to rebuild their shards\n"
	    "                      (--rate: shard bytes read per second; exit 1 if not whole)\n"
	    "DIR defaults to ./var/zhtp; LIST (reactor cores, e.g. 0-1) to every core allowed.\n");
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "zhtpctl: %s: %s\n", what, strerror(-rc));
	return EXIT_PROBLEM;
}

/* For a hash the user named: "not found" means no such object, not a missing file. */
static int fail_object(const char *hex, int rc)
{
	if (rc != -ENOENT)
		return fail(hex, rc);
	fprintf(stderr, "zhtpctl: %s: no such object\n", hex);
	return EXIT_PROBLEM;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The size option \p opt was given: digits, then k, m or g (1024-based), at most \p max (what
 * the field it goes to holds). A usage error ends the program: strtoull alone would take blanks
 * and '-' (wrapping -1 to 2^64 - 1), and fields narrower than 64 bits would keep the low bits.
 */
static uint64_t parse_size(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (!is_digit(s[0]) || end[shift != 0] != '\0') {
		fprintf(stderr, "zhtpctl: %s: bad size '%s'\n", opt, s);
		exit(EXIT_USAGE);
	}
	if (errno == ERANGE || v > (max >> shift)) {
		fprintf(stderr, "zhtpctl: %s: '%s' is out of range (at most %llu)\n", opt, s,
			(unsigned long long)max);
		exit(EXIT_USAGE);
	}
	return (uint64_t)v << shift;
}

/* --zstd: auto, or a level from 0 to 19 in digits. */
static int parse_zstd(const char *s)
{
	char *end;
	unsigned long v;

	if (strcmp(s, "auto") == 0)
		return ZH_STORE_ZSTD_AUTO;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!is_digit(s[0]) || *end != '\0' || errno == ERANGE || v > 19) {
		fprintf(stderr, "zhtpctl: --zstd takes auto or 0..19, not '%s'\n", s);
		exit(EXIT_USAGE);
	}
	return (int)v;
}

static void progress_bytes(const struct ctl *c, const char *what, uint64_t done, uint64_t total,
			   uint64_t start_ns)
{
	double secs = (double)(zh_clock_ns() - start_ns) / 1e9;
	unsigned width = 30, fill = total > 0 ? (unsigned)(done * width / total) : width;
	char bar[31];

	if (!c->progress)
		return;
	memset(bar, '=', fill);
	memset(bar + fill, ' ', width - fill);
	bar[width] = '\0';
	fprintf(stderr, "\r%-16.16s [%s] %3u%% %8.1f MiB/s", what, bar,
		total > 0 ? (unsigned)(done * 100 / total) : 100,
		secs > 0 ? (double)done / secs / (1 << 20) : 0.0);
	if (done == total)
		fputc('\n', stderr);
}

/* ---- the key file ---------------------------------------------------------------------------- */

/* A new key file: 32 random bytes, readable by its owner only, on disk before the store is. */
static int key_file_create(const char *path, struct zh_codec_key *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (getrandom(key->bytes, sizeof(key->bytes), 0) != (ssize_t)sizeof(key->bytes))
		rc = -EIO;
	if (rc == 0 && write(fd, key->bytes, sizeof(key->bytes)) != (ssize_t)sizeof(key->bytes))
		rc = -EIO;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc < 0)
		unlink(path);
	return rc;
}

/* The key, and a word when others than its owner may read the file. */
static int key_file_read(const char *path, struct zh_codec_key *key)
{
	int rc = zh_store_key_file_read(path, key);
	struct stat st;

	if (rc == 0 && stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		fprintf(stderr, "zhtpctl: warning: %s can be read by others than its owner\n",
			path);
	return rc;
}

/* --key-file: read the key; format makes a new key file when there is none. */
static int key_load(struct ctl *c, bool format)
{
	int rc;

	if (c->key_path == NULL)
		return 0;
	rc = key_file_read(c->key_path, &c->key);
	if (rc == -ENOENT && format) {
		rc = key_file_create(c->key_path, &c->key);
		if (rc == 0 && !c->json)
			printf("new key in %s: keep it safe; without it the store cannot be read\n",
			       c->key_path);
	}
	if (rc == -EBADMSG) {
		fprintf(stderr, "zhtpctl: %s: a key file holds exactly %u bytes\n", c->key_path,
			ZH_CODEC_KEY_BYTES);
		return EXIT_USAGE;
	}
	if (rc < 0)
		return fail(c->key_path, rc);
	c->opts.key = &c->key;
	return 0;
}

/* An open refused over the key, said in the user's terms. */
static int fail_open(const struct ctl *c, int rc)
{
	if (rc == -ENOKEY)
		fprintf(stderr, "zhtpctl: %s is encrypted: give its key with --key-file\n",
			c->opts.dir);
	else if (rc == -EKEYREJECTED)
		fprintf(stderr, "zhtpctl: %s is not the key of %s\n", c->key_path, c->opts.dir);
	else if (rc == -EINVAL && c->key_path != NULL)
		fprintf(stderr, "zhtpctl: %s is not encrypted: drop --key-file\n", c->opts.dir);
	else if (rc == -EBUSY)
		fprintf(stderr, "zhtpctl: %s is in use by another process (zhtpd or zhtpctl)\n",
			c->opts.dir);
	else
		return fail(c->opts.dir, rc);
	return EXIT_PROBLEM;
}

/* ---- format, info -------------------------------------------------------------------------- */

static int cmd_format(struct ctl *c)
{
	int rc = key_load(c, true);

	if (rc != 0)
		return rc;
	if (c->path_count > 0) {
		c->opts.dev_paths = c->paths;
		c->opts.dev_count = c->path_count;
	}
	rc = zh_store_format(&c->opts);
	if (rc == -EEXIST && !c->opts.force)
		fprintf(stderr,
			"zhtpctl: %s: a store is there, or a device holds data (another "
			"store's, or an interrupted format's): --force writes over devices and "
			"an interrupted format's index, never over a store\n",
			c->opts.dir);
	if (rc == -EINVAL)
		fprintf(stderr,
			"zhtpctl: %s: a device named twice, or a geometry the store cannot "
			"open (k+m, chunk size, device size), or a shard (about chunk/k) longer "
			"than a device takes in one command (an NVMe namespace's limit)\n",
			c->opts.dir);
	if (rc < 0)
		return fail(c->opts.dir, rc);
	if (c->json) {
		cJSON_AddStringToObject(c->doc, "formatted", c->opts.dir);
	} else {
		printf("formatted %s: %u devices, %u+%u, chunk %u, inline up to %u bytes%s\n",
		       c->opts.dir, c->opts.dev_count, c->opts.ec_k, c->opts.ec_m,
		       c->opts.chunk_bytes, c->opts.small_max_bytes,
		       c->opts.key != NULL ? ", encrypted" : "");
	}
	return 0;
}

static void hex16(const uint8_t *b, char *out)
{
	for (unsigned i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int cmd_info(struct ctl *c, struct zh_store *s)
{
	struct zh_store_info info;
	char uuid[33];

	zh_store_info_get(s, &info);
	hex16(info.uuid, uuid);
	if (c->json) {
		cJSON *devs = cJSON_AddArrayToObject(c->doc, "devices");

		cJSON_AddStringToObject(c->doc, "uuid", uuid);
		cJSON_AddNumberToObject(c->doc, "ec_k", info.ec_k);
		cJSON_AddNumberToObject(c->doc, "ec_m", info.ec_m);
		cJSON_AddNumberToObject(c->doc, "chunk_bytes", info.chunk_bytes);
		cJSON_AddNumberToObject(c->doc, "small_max_bytes", info.small_max_bytes);
		cJSON_AddNumberToObject(c->doc, "shard_spread", info.shard_spread);
		cJSON_AddBoolToObject(c->doc, "encrypted", info.encrypted);
		for (unsigned i = 0; i < info.dev_count; i++) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddStringToObject(d, "path", info.dev[i].path);
			cJSON_AddBoolToObject(d, "present", info.dev[i].present);
			cJSON_AddNumberToObject(d, "bytes", (double)info.dev[i].dev_bytes);
			cJSON_AddNumberToObject(d, "free_bytes", (double)info.dev[i].free_bytes);
			cJSON_AddNumberToObject(d, "untracked_free_bytes",
						(double)info.dev[i].dropped_bytes);
			cJSON_AddItemToArray(devs, d);
		}
		return 0;
	}
	printf("store %s: %u+%u, chunk %u bytes, inline up to %u bytes%s\n", uuid, info.ec_k,
	       info.ec_m, info.chunk_bytes, info.small_max_bytes,
	       info.encrypted ? ", encrypted" : "");
	for (unsigned i = 0; i < info.dev_count; i++)
		printf("  dev %2u %-40s %s %8.1f MiB free of %.1f\n", i, info.dev[i].path,
		       info.dev[i].present ? "ok     " : "MISSING",
		       (double)info.dev[i].free_bytes / (1 << 20),
		       (double)info.dev[i].dev_bytes / (1 << 20));
	return 0;
}

/* ---- put ----------------------------------------------------------------------------------- */

static int put_stream(struct ctl *c, struct zh_store *s, int fd, const char *name, uint64_t total,
		      uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	struct zh_object_meta meta = c->meta;
	struct zh_store_put *put;
	uint8_t *buf = malloc(IO_CHUNK);
	uint64_t done = 0, start = zh_clock_ns();
	const char *base = strrchr(name, '/');
	int rc;

	if (meta.filename == NULL && strcmp(name, "-") != 0)
		meta.filename = base != NULL ? base + 1 : name;
	rc = buf != NULL ? zh_store_put_begin(s, &meta, &put) : -ENOMEM;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	for (;;) {
		ssize_t n = read(fd, buf, IO_CHUNK);

		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		rc = zh_store_put_write(put, buf, (size_t)n);
		if (rc < 0)
			break;
		done += (uint64_t)n;
		if (total > 64 << 20)
			progress_bytes(c, name, done, total, start);
	}
	free(buf);
	if (rc < 0) {
		zh_store_put_abort(put);
		return rc;
	}
	return zh_store_put_finish(put, hash);
}

/*
 * A regular file is hashed first, as the put would hash it: when the store holds that content,
 * one reference is taken and nothing is encoded or written (the metadata stays as stored, as
 * for any put of stored content). \return 0 (referenced), -ENOENT (not stored: the file is
 * back at its start for the put), or -errno.
 */
static int put_by_ref(struct ctl *c, struct zh_store *s, int fd, uint64_t total,
		      uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	/* Two buffers: one is read into while the reactors hash the other (zh_store_hasher_add). */
	uint8_t *buf = malloc(2 * (size_t)IO_CHUNK);
	uint64_t done = 0, start = zh_clock_ns();
	int rc = buf != NULL ? 0 : -ENOMEM;
	unsigned turn = 0;
	ssize_t n = 0;

	if (rc == 0 && c->hasher == NULL)
		rc = zh_store_hasher_create(s, &c->hasher);
	while (rc == 0 && (n = read(fd, buf + turn * (size_t)IO_CHUNK, IO_CHUNK)) > 0) {
		zh_store_hasher_add(c->hasher, buf + turn * (size_t)IO_CHUNK, (size_t)n);
		turn ^= 1;
		done += (uint64_t)n;
		if (total > 64 << 20)
			progress_bytes(c, "hashing", done, total, start);
	}
	if (rc == 0 && n < 0)
		rc = -errno;
	if (c->hasher != NULL)
		zh_store_hasher_final(c->hasher, hash); /* also waits for buf to be let go */
	if (rc == 0)
		rc = zh_store_ref(s, hash);
	if (rc == -ENOENT && lseek(fd, 0, SEEK_SET) != 0)
		rc = -errno;
	free(buf);
	return rc;
}

/* Store one file ('-': stdin); *referenced says whether the store held its content already. */
static int put_one(struct ctl *c, struct zh_store *s, const char *name,
		   uint8_t hash[ZH_CODEC_HASH_BYTES], bool *referenced)
{
	bool stdin_ = strcmp(name, "-") == 0;
	int fd = stdin_ ? 0 : open(name, O_RDONLY | O_CLOEXEC);
	uint64_t total = 0;
	struct stat st;
	int rc = -ENOENT;
	off_t end;

	*referenced = false;
	if (fd < 0)
		return -errno;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && lseek(fd, 0, SEEK_SET) == 0)
		total = (uint64_t)end;
	if (!stdin_ && !c->no_hash_first && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		rc = put_by_ref(c, s, fd, total, hash);
	*referenced = rc == 0;
	if (rc == -ENOENT)
		rc = put_stream(c, s, fd, name, total, hash);
	if (!stdin_)
		close(fd);
	return rc;
}

static int cmd_put(struct ctl *c, struct zh_store *s, int argc, char **argv)
{
	cJSON *arr = c->json ? cJSON_AddArrayToObject(c->doc, "objects") : NULL;
	int status = 0;

	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		uint8_t hash[ZH_CODEC_HASH_BYTES];
		char hex[ZH_CODEC_HASH_HEX_LEN + 1];
		bool referenced;
		int rc = put_one(c, s, argv[i], hash, &referenced);

		if (rc < 0) {
			status = fail(argv[i], rc);
			continue;
		}
		zh_codec_hash_hex(hash, hex);
		if (arr != NULL) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "file", argv[i]);
			cJSON_AddStringToObject(o, "hash", hex);
			cJSON_AddBoolToObject(o, "referenced", referenced);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%s  %s\n", hex, argv[i]);
		}
	}
	zh_store_hasher_destroy(c->hasher);
	c->hasher = NULL;
	return status;
}

/* ---- get, stat, rm, ls --------------------------------------------------------------------- */

static int parse_hash(const char *hex, uint8_t hash[ZH_CODEC_HASH_BYTES])
{
	if (zh_codec_hash_parse(hex, hash) < 0) {
		fprintf(stderr, "zhtpctl: '%s' is not a 64-digit hex hash\n", hex);
		return -EINVAL;
	}
	return 0;
}

struct get_out {
	int fd;
	const struct ctl *ctl;
	uint64_t done, total, start_ns;
};

static int write_all(void *arg, const void *data, size_t len)
{
	struct get_out *o = arg;
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
		o->done += (uint64_t)n;
	}
	if (o->total > 64 << 20)
		progress_bytes(o->ctl, "get", o->done, o->total, o->start_ns);
	return 0;
}

/*
 * get -o FILE writes FILE.part and renames it over FILE once the whole range is out: a failed
 * or interrupted get never leaves a truncated FILE, nor wipes one that was there.
 */
static int get_to_file(const struct ctl *c, struct zh_store *s, const uint8_t *hash,
		       struct get_out *o)
{
	char part[PATH_MAX];
	int rc;

	if (snprintf(part, sizeof(part), "%s.part", c->out_path) >= (int)sizeof(part))
		return -ENAMETOOLONG;
	o->fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0)
		return -errno;
	rc = zh_store_get(s, hash, c->offset, c->length, write_all, o);
	if (close(o->fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(part, c->out_path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(part);
	return rc;
}

static int cmd_get(struct ctl *c, struct zh_store *s, int argc, char **argv)
{
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_object_info info;
	struct get_out o = {.fd = 1, .ctl = c, .start_ns = zh_clock_ns()};
	int rc;

	if (argc != 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (parse_hash(argv[0], hash) < 0)
		return EXIT_USAGE;
	rc = zh_store_stat(s, hash, &info);
	if (rc < 0)
		return fail_object(argv[0], rc);
	if (c->offset > info.size_bytes) {
		fprintf(stderr, "zhtpctl: %s: offset %llu is past the end (%llu bytes)\n", argv[0],
			(unsigned long long)c->offset, (unsigned long long)info.size_bytes);
		return EXIT_USAGE;
	}
	o.total = info.size_bytes;
	rc = c->out_path != NULL ? get_to_file(c, s, hash, &o)
				 : zh_store_get(s, hash, c->offset, c->length, write_all, &o);
	return rc < 0 ? fail(c->out_path != NULL ? c->out_path : argv[0], rc) : 0;
}

static cJSON *info_json(const struct zh_object_info *info)
{
	char hex[ZH_CODEC_HASH_HEX_LEN + 1];
	cJSON *o = cJSON_CreateObject();

	zh_codec_hash_hex(info->hash, hex);
	cJSON_AddStringToObject(o, "hash", hex);
	cJSON_AddNumberToObject(o, "size", (double)info->size_bytes);
	cJSON_AddNumberToObject(o, "stored", (double)info->stored_bytes);
	cJSON_AddStringToObject(o, "layout",
				info->layout == ZH_OBJECT_INLINE ? "inline" : "chunked");
	cJSON_AddNumberToObject(o, "chunks", info->chunk_count);
	cJSON_AddBoolToObject(o, "encrypted", info->encrypted);
	cJSON_AddNumberToObject(o, "refcount", info->refcount);
	cJSON_AddNumberToObject(o, "created", (double)info->created_unix_s);
	cJSON_AddNumberToObject(o, "last_accessed", (double)info->last_accessed_unix_s);
	cJSON_AddNumberToObject(o, "access_count", (double)info->access_count);
	cJSON_AddStringToObject(o, "filename", info->filename);
	cJSON_AddStringToObject(o, "content_type", info->content_type);
	cJSON_AddStringToObject(o, "owner", info->owner);
	cJSON_AddStringToObject(o, "description", info->description);
	cJSON_AddStringToObject(o, "tags", info->tags);
	return o;
}

static void info_print(const struct zh_object_info *info)
{
	char hex[ZH_CODEC_HASH_HEX_LEN + 1];

	zh_codec_hash_hex(info->hash, hex);
	printf("%s %12llu %-7s refs %u  %s\n", hex, (unsigned long long)info->size_bytes,
	       info->layout == ZH_OBJECT_INLINE ? "inline" : "chunked", info->refcount,
	       info->filename);
}

static int cmd_stat(struct ctl *c, struct zh_store *s, int argc, char **argv)
{
	cJSON *arr = c->json ? cJSON_AddArrayToObject(c->doc, "objects") : NULL;
	int status = argc > 0 ? 0 : EXIT_USAGE;

	for (int i = 0; i < argc; i++) {
		uint8_t hash[ZH_CODEC_HASH_BYTES];
		struct zh_object_info info;
		int rc;

		if (parse_hash(argv[i], hash) < 0) {
			status = EXIT_USAGE;
			continue;
		}
		rc = zh_store_stat(s, hash, &info);
		if (rc < 0) {
			status = fail_object(argv[i], rc);
			continue;
		}
		if (arr != NULL) {
			cJSON_AddItemToArray(arr, info_json(&info));
			continue;
		}
		info_print(&info);
		if (info.layout == ZH_OBJECT_INLINE)
			printf("  stored inline in its metadata record%s, created %llu\n",
			       info.encrypted ? ", encrypted" : "",
			       (unsigned long long)info.created_unix_s);
		else
			printf("  stored %llu bytes in %u chunks of %u (%u+%u)%s, created %llu\n",
			       (unsigned long long)info.stored_bytes, info.chunk_count,
			       info.chunk_bytes, info.ec_k, info.ec_m,
			       info.encrypted ? ", encrypted" : "",
			       (unsigned long long)info.created_unix_s);
		printf("  read %llu times, last at %llu\n", (unsigned long long)info.access_count,
		       (unsigned long long)info.last_accessed_unix_s);
	}
	return status;
}

static int cmd_rm(struct ctl *c, struct zh_store *s, int argc, char **argv)
{
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	int status = argc > 0 ? 0 : EXIT_USAGE;

	/*
	 * Every hash is read before any object goes: a typo late in the list is a usage error,
	 * which must leave the store as it was, not with the hashes before it deleted.
	 */
	for (int i = 0; i < argc; i++) {
		if (parse_hash(argv[i], hash) < 0)
			status = EXIT_USAGE;
	}
	for (int i = 0; i < argc && status != EXIT_USAGE; i++) {
		int rc = zh_codec_hash_parse(argv[i], hash);

		ZH_ASSERT(rc == 0); /* parsed above */
		rc = zh_store_delete(s, hash);
		if (rc < 0)
			status = fail_object(argv[i], rc);
	}
	if (c->json)
		cJSON_AddBoolToObject(c->doc, "ok", status == 0);
	return status;
}

static int ls_one(void *ctx, const struct zh_object_info *info)
{
	cJSON *arr = ctx;

	if (arr != NULL)
		cJSON_AddItemToArray(arr, info_json(info));
	else
		info_print(info);
	return 0;
}

static int cmd_ls(struct ctl *c, struct zh_store *s)
{
	int rc =
	    zh_store_list(s, ls_one, c->json ? cJSON_AddArrayToObject(c->doc, "objects") : NULL);

	return rc < 0 ? fail("ls", rc) : 0;
}

/* ---- fsck ---------------------------------------------------------------------------------- */

struct fsck_out {
	struct ctl *ctl;
	const char *what; /* fsck, scrub, repair */
	cJSON *problems;
	uint64_t start_ns;
};

static void fsck_problem(void *arg, const char *line)
{
	struct fsck_out *f = arg;

	if (f->problems != NULL)
		cJSON_AddItemToArray(f->problems, cJSON_CreateString(line));
	else
		printf("%s%s\n", f->ctl->progress ? "\r" : "", line);
}

static void fsck_progress(void *arg, uint64_t done, uint64_t total)
{
	struct fsck_out *f = arg;

	if (f->ctl->progress && (done % 16 == 0 || done == total))
		fprintf(stderr, "\r%s: %llu/%llu objects%s", f->what, (unsigned long long)done,
			(unsigned long long)total, done == total ? "\n" : "");
}

static void check_report(struct ctl *c, const char *what, const struct zh_store_fsck *f, bool clean)
{
	if (!c->json) {
		printf("%s: %llu objects, %llu chunks, %llu shards", what,
		       (unsigned long long)f->objects, (unsigned long long)f->chunks,
		       (unsigned long long)f->shards);
		if (f->shards_repaired > 0)
			printf(", %llu shards repaired", (unsigned long long)f->shards_repaired);
		if (f->chunks_respread > 0)
			printf(", %llu crowded chunks spread",
			       (unsigned long long)f->chunks_respread);
		printf(": %s\n", clean ? "clean" : "PROBLEMS");
		return;
	}
	cJSON_AddBoolToObject(c->doc, "clean", clean);
	cJSON_AddNumberToObject(c->doc, "objects", (double)f->objects);
	cJSON_AddNumberToObject(c->doc, "chunks", (double)f->chunks);
	cJSON_AddNumberToObject(c->doc, "shards", (double)f->shards);
	cJSON_AddNumberToObject(c->doc, "shards_bad", (double)f->shards_bad);
	cJSON_AddNumberToObject(c->doc, "shards_repaired", (double)f->shards_repaired);
	cJSON_AddNumberToObject(c->doc, "chunks_lost", (double)f->chunks_lost);
	cJSON_AddNumberToObject(c->doc, "hash_mismatch", (double)f->hash_mismatch);
	cJSON_AddNumberToObject(c->doc, "records_bad", (double)f->records_bad);
	cJSON_AddNumberToObject(c->doc, "extents_leaked", (double)f->extents_leaked);
	cJSON_AddNumberToObject(c->doc, "extents_unrecorded", (double)f->extents_unrecorded);
	cJSON_AddNumberToObject(c->doc, "devs_space_wrong", (double)f->devs_space_wrong);
	cJSON_AddNumberToObject(c->doc, "devs_missing", (double)f->devs_missing);
	cJSON_AddNumberToObject(c->doc, "chunks_crowded", (double)f->chunks_crowded);
	cJSON_AddNumberToObject(c->doc, "chunks_respread", (double)f->chunks_respread);
}

static int cmd_fsck(struct ctl *c, struct zh_store *s)
{
	struct fsck_out fo = {.ctl = c, .what = "fsck", .start_ns = zh_clock_ns()};
	struct zh_store_fsck f;
	int rc;

	if (c->json)
		fo.problems = cJSON_AddArrayToObject(c->doc, "problems");
	rc = zh_store_fsck(s, &f, fsck_problem, fsck_progress, &fo);
	if (rc < 0)
		return fail("fsck", rc);
	check_report(c, "fsck", &f, zh_store_fsck_clean(&f));
	return zh_store_fsck_clean(&f) ? 0 : EXIT_PROBLEM;
}

/* scrub and repair: the same walk; repair first gives lost devices a fresh superblock. */
static int cmd_scrub(struct ctl *c, struct zh_store *s, const char *what)
{
	struct fsck_out fo = {.ctl = c, .what = what, .start_ns = zh_clock_ns()};
	struct zh_store_info info;
	struct zh_store_fsck f;
	int rc;

	zh_store_info_get(s, &info);
	for (unsigned d = 0; d < info.dev_count; d++) {
		if (info.dev[d].replaced && !c->json)
			printf("dev %u (%s): replaced; rebuilding its shards\n", d,
			       info.dev[d].path);
	}
	if (c->json)
		fo.problems = cJSON_AddArrayToObject(c->doc, "problems");
	rc = zh_store_scrub(s, &c->scrub, &f, fsck_problem, fsck_progress, &fo);
	if (rc < 0)
		return fail(what, rc);
	check_report(c, what, &f, zh_store_scrub_clean(&f));
	return zh_store_scrub_clean(&f) ? 0 : EXIT_PROBLEM;
}

/* ---- main ---------------------------------------------------------------------------------- */

enum {
	OPT_JSON = 256,
	OPT_DEVICES,
	OPT_DEV_SIZE,
	OPT_K,
	OPT_M,
	OPT_CHUNK,
	OPT_SMALL,
	OPT_DEV,
	OPT_OFFSET,
	OPT_LENGTH,
	OPT_FILENAME,
	OPT_CTYPE,
	OPT_OWNER,
	OPT_TAGS,
	OPT_DESC,
	OPT_CPUS,
	OPT_NO_REPAIR,
	OPT_RATE,
	OPT_ZSTD,
	OPT_NOATIME,
	OPT_FORCE,
	OPT_KEY_FILE,
	OPT_NO_HASH_FIRST,
};

static const struct option long_opts[] = {
    {"dir", required_argument, NULL, 'd'},
    {"json", no_argument, NULL, OPT_JSON},
    {"devices", required_argument, NULL, OPT_DEVICES},
    {"dev-size", required_argument, NULL, OPT_DEV_SIZE},
    {"k", required_argument, NULL, OPT_K},
    {"m", required_argument, NULL, OPT_M},
    {"chunk", required_argument, NULL, OPT_CHUNK},
    {"small", required_argument, NULL, OPT_SMALL},
    {"dev", required_argument, NULL, OPT_DEV},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"length", required_argument, NULL, OPT_LENGTH},
    {"filename", required_argument, NULL, OPT_FILENAME},
    {"content-type", required_argument, NULL, OPT_CTYPE},
    {"owner", required_argument, NULL, OPT_OWNER},
    {"tags", required_argument, NULL, OPT_TAGS},
    {"description", required_argument, NULL, OPT_DESC},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"no-repair", no_argument, NULL, OPT_NO_REPAIR},
    {"rate", required_argument, NULL, OPT_RATE},
    {"zstd", required_argument, NULL, OPT_ZSTD},
    {"noatime", no_argument, NULL, OPT_NOATIME},
    {"force", no_argument, NULL, OPT_FORCE},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"no-hash-first", no_argument, NULL, OPT_NO_HASH_FIRST},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void parse_opt(struct ctl *c, int opt)
{
	switch (opt) {
	case 'd':
		c->opts.dir = optarg;
		break;
	case 'o':
		c->out_path = optarg;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	case OPT_NOATIME:
		c->opts.noatime = true;
		break;
	case OPT_FORCE:
		c->opts.force = true;
		break;
	case OPT_NO_HASH_FIRST:
		c->no_hash_first = true;
		break;
	case OPT_KEY_FILE:
		c->key_path = optarg;
		break;
	case OPT_DEVICES:
		c->opts.dev_count = (unsigned)parse_size("--devices", optarg, UINT_MAX);
		break;
	case OPT_DEV_SIZE:
		c->opts.dev_bytes = parse_size("--dev-size", optarg, UINT64_MAX);
		break;
	case OPT_K:
		c->opts.ec_k = (unsigned)parse_size("--k", optarg, UINT_MAX);
		break;
	case OPT_M:
		c->opts.ec_m = (unsigned)parse_size("--m", optarg, UINT_MAX);
		break;
	case OPT_CHUNK:
		c->opts.chunk_bytes = (uint32_t)parse_size("--chunk", optarg, UINT32_MAX);
		break;
	case OPT_SMALL:
		c->opts.small_max_bytes = (uint32_t)parse_size("--small", optarg, UINT32_MAX);
		break;
	case OPT_OFFSET:
		c->offset = parse_size("--offset", optarg, UINT64_MAX);
		break;
	case OPT_LENGTH:
		c->length = parse_size("--length", optarg, UINT64_MAX);
		break;
	case OPT_FILENAME:
		c->meta.filename = optarg;
		break;
	case OPT_CTYPE:
		c->meta.content_type = optarg;
		break;
	case OPT_OWNER:
		c->meta.owner = optarg;
		break;
	case OPT_TAGS:
		c->meta.tags = optarg;
		break;
	case OPT_DESC:
		c->meta.description = optarg;
		break;
	case OPT_DEV:
		if (c->path_count == ZH_STORE_DEVS_MAX) {
			fprintf(stderr, "zhtpctl: at most %u devices\n", ZH_STORE_DEVS_MAX);
			exit(EXIT_USAGE);
		}
		c->paths[c->path_count++] = optarg;
		break;
	case OPT_CPUS:
		if (zh_numa_cpuset_parse(optarg, &c->cpus) < 0) {
			fprintf(stderr, "zhtpctl: bad core list '%s'\n", optarg);
			exit(EXIT_USAGE);
		}
		c->opts.cpus = c->cpus.cpus;
		c->opts.cpu_count = c->cpus.count;
		break;
	case OPT_NO_REPAIR:
		c->scrub.repair = false;
		break;
	case OPT_RATE:
		c->scrub.rate_bytes_per_s = parse_size("--rate", optarg, UINT64_MAX);
		break;
	case OPT_ZSTD:
		c->opts.zstd_level = parse_zstd(optarg);
		break;
	case 'h':
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		exit(EXIT_USAGE);
	}
}

static int run_on_store(struct ctl *c, const char *cmd, int argc, char **argv)
{
	struct zh_store *s;
	bool repair = strcmp(cmd, "repair") == 0;
	/* A get writes its access statistics, unless asked not to (then nothing is written). */
	bool get_counts = strcmp(cmd, "get") == 0 && !c->opts.noatime;
	bool ro = strcmp(cmd, "put") != 0 && strcmp(cmd, "rm") != 0 && !repair && !get_counts &&
		  !(strcmp(cmd, "scrub") == 0 && c->scrub.repair);
	int rc, status;

	c->opts.read_only = ro;
	c->opts.replace_lost_devs = repair;
	if (repair)
		c->scrub.repair = true;
	rc = key_load(c, false);
	if (rc != 0)
		return rc;
	rc = zh_store_open(&c->opts, &s);
	if (rc < 0)
		return fail_open(c, rc);
	if (strcmp(cmd, "put") == 0)
		status = cmd_put(c, s, argc, argv);
	else if (strcmp(cmd, "get") == 0)
		status = cmd_get(c, s, argc, argv);
	else if (strcmp(cmd, "stat") == 0)
		status = cmd_stat(c, s, argc, argv);
	else if (strcmp(cmd, "rm") == 0)
		status = cmd_rm(c, s, argc, argv);
	else if (strcmp(cmd, "ls") == 0)
		status = cmd_ls(c, s);
	else if (strcmp(cmd, "fsck") == 0)
		status = cmd_fsck(c, s);
	else if (strcmp(cmd, "scrub") == 0 || repair)
		status = cmd_scrub(c, s, cmd);
	else
		status = cmd_info(c, s);
	zh_store_close(s);
	return status;
}

static bool known_command(const char *cmd)
{
	static const char *const cmds[] = {"format", "put",  "get",   "stat",	"rm",
					   "ls",     "fsck", "scrub", "repair", "info"};

	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	struct ctl c = {.length = UINT64_MAX};
	const char *cmd;
	int opt, status;

	zh_store_opts_default(&c.opts);
	zh_store_scrub_opts_default(&c.scrub);
	c.progress = isatty(2);
	/* Options may come before or after the command (getopt permutes). */
	while ((opt = getopt_long(argc, argv, "d:o:h", long_opts, NULL)) != -1)
		parse_opt(&c, opt);
	if (optind >= argc || !known_command(argv[optind])) {
		if (optind < argc)
			fprintf(stderr, "zhtpctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (c.json)
		c.doc = cJSON_CreateObject();
	if (strcmp(cmd, "format") == 0)
		status = cmd_format(&c);
	else
		status = run_on_store(&c, cmd, argc - optind, argv + optind);
	if (c.doc != NULL) {
		/* A get without -o has put the object on stdout: the report must not follow it. */
		FILE *report = strcmp(cmd, "get") == 0 && c.out_path == NULL ? stderr : stdout;
		char *text;

		cJSON_AddNumberToObject(c.doc, "status", status);
		text = cJSON_Print(c.doc);
		fprintf(report, "%s\n", text);
		free(text);
		cJSON_Delete(c.doc);
	}
	explicit_bzero(&c.key, sizeof(c.key));
	return status;
}
