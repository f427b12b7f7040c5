/* SPDX-License-Identifier: MIT */
/*
 * store_testing: helpers the store's Criterion suites share (scratch directories, test
 * patterns, reading an object back and comparing, fsck expectations, damaging device files).
 * Failures are Criterion assertions.
 */
#ifndef ZH_STORE_TESTING_H
#define ZH_STORE_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/store.h"
#include "index/index.h"

#define ZT_MIB (1u << 20)

/** "<scratch>/<name>-<pid>" into \p dir, removed if it was there. */
void zt_scratch_dir(char *dir, size_t cap, const char *name);
void zt_rm_rf(const char *path);
/**
 * \p n device files for format's dev_paths under "<dir>-given/", all zero: named names[i]
 * (\p names NULL: "d<i>.img"), bytes[i] long (\p bytes NULL: 64 MiB each). paths[i] holds
 * each path and out[i] points at it. The directory is made afresh.
 */
void zt_given_devs(const char *dir, const char *const *names, const off_t *bytes, unsigned n,
		   char paths[][400], const char **out);
/**
 * The suites' store: defaults in \p dir, 64 MiB file devices, 8 chunk slots. Inline, so that
 * the kill -9 test's child (store_crash_child), which links no Criterion, opens the same one.
 */
static inline void zt_store_opts(struct zh_store_opts *o, const char *dir)
{
	zh_store_opts_default(o);
	o->dir = dir;
	o->dev_bytes = 64ull << 20;
	o->chunk_slots = 8;
}
/** Open a store with \p o (asserted to work). */
struct zh_store *zt_open(const struct zh_store_opts *o);
/** Format a store with \p o, then open it. */
struct zh_store *zt_format_open(const struct zh_store_opts *o);
/** \p len bytes from \p seed (malloc'd): half compressible, half not, so both codec paths run. */
uint8_t *zt_pattern(size_t len, uint32_t seed);
/** \p len incompressible bytes from \p seed (malloc'd): stored verbatim by a plain store. */
uint8_t *zt_random(size_t len, uint32_t seed);
/** A sink that compares what it receives with \p want (len bytes) from the start. */
struct zt_expect {
	const uint8_t *want;
	size_t len, at;
	bool differs;
};
int zt_expect_sink(void *ctx, const void *data, size_t len);
/** True when the sink received exactly \p want. */
bool zt_expect_matched(const struct zt_expect *e);
/** Read the whole object and compare. \return 0, -EBADMSG (differs), or the get's error. */
int zt_get_cmp(struct zh_store *s, const uint8_t *hash, const uint8_t *want, size_t len);
struct zh_store_fsck zt_fsck(struct zh_store *s);
/** fsck must find nothing wrong (the counters are printed when it does). */
void zt_expect_clean(struct zh_store *s);
/** Write one record straight into \p index (asserted), as a crafted or damaged one would be. */
void zt_index_put(struct zh_index *index, enum zh_index_cf cf, const void *key, size_t key_len,
		  const void *val, size_t val_len);
/** Overwrite \p len bytes at \p at of file \p name in \p dir with \p byte. */
void zt_damage_file(const char *dir, const char *name, off_t at, size_t len, int byte);
/** Rename device file devN.img in \p dir to devN.away (a device missing at open), or back. */
void zt_dev_away(const char *dir, unsigned dev, bool away);
/** True when some file under \p dir (devices, index, logs) holds \p len bytes of \p needle. */
bool zt_tree_contains(const char *dir, const void *needle, size_t len);

#endif /* ZH_STORE_TESTING_H */
