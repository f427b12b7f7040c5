/* SPDX-License-Identifier: MIT */
/*
 * test_store_faults.c - the store over fault-injecting devices (zh_nvme_faults): reads that
 * fail with EIO or come back short, torn writes that report success, slow devices, and a device
 * that vanishes in the middle of a run. Every acknowledged object must read back exactly; a put
 * that could not make all its shards durable must fail with a clear error and store nothing; a
 * write cut short goes on from where it stopped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_testing.h"

#define MIB  ZT_MIB
#define DEVS 6

static char dir[256];
static struct zh_nvme_faults faults[DEVS];
static struct zh_nvme_faults *fault_ptrs[DEVS];

static void setup(void)
{
	zt_scratch_dir(dir, sizeof(dir), "store-faults");
	memset(faults, 0, sizeof(faults));
	for (unsigned i = 0; i < DEVS; i++)
		fault_ptrs[i] = &faults[i];
}

static void teardown(void)
{
	zt_rm_rf(dir);
}

TestSuite(engine_store_faults, .init = setup, .fini = teardown);

static void opts(struct zh_store_opts *o)
{
	zt_store_opts(o, dir);
	o->dev_faults = fault_ptrs;
}

static struct zh_store *open_store(void)
{
	struct zh_store_opts o;

	opts(&o);
	return zt_open(&o);
}

static struct zh_store *fresh(void)
{
	struct zh_store_opts o;

	opts(&o);
	return zt_format_open(&o);
}

Test(engine_store_faults, reads_failing_or_short_on_m_devices_are_rebuilt)
{
	struct zh_store *s = fresh();
	size_t len = 5 * MIB + 99;
	uint8_t *p = zt_pattern(len, 1);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats st;

	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	zh_store_close(s);
	faults[0].eio_ppm = 1000000;   /* every read fails */
	faults[4].short_ppm = 1000000; /* every read a block short */
	s = open_store();
	cr_assert_eq(zt_get_cmp(s, hash, p, len), 0);
	zh_store_stats_get(s, &st);
	/* Six chunks; shard i of chunk c is on device (c + i) % 6: each chunk has a data shard on
	 * device 0 or 4, and eight data shards in all are there. */
	cr_assert_eq(st.degraded_reads, 6);
	cr_assert_geq(st.shards_bad, 8);
	free(p);
	zh_store_close(s);
}

Test(engine_store_faults, torn_writes_are_caught_by_the_shard_crc)
{
	struct zh_store *s = fresh();
	size_t len = 4 * MIB;
	uint8_t *p = zt_pattern(len, 2);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_fsck f;

	/* Half of every write to device 2 reaches it, and each reports success. */
	zh_store_close(s);
	faults[2].torn_ppm = 1000000;
	s = open_store();
	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	zh_store_close(s);
	faults[2].torn_ppm = 0;
	s = open_store();
	/* fsck before the read: a degraded read queues its chunk for background repair, which
	 * could rewrite torn shards while fsck counts them. */
	f = zt_fsck(s);
	cr_assert_eq(f.shards_bad, 4, "one torn shard per chunk");
	cr_assert_eq(f.chunks_lost, 0);
	cr_assert_eq(zt_get_cmp(s, hash, p, len), 0);
	free(p);
	zh_store_close(s);
}

Test(engine_store_faults, failed_writes_fail_the_put_and_store_nothing)
{
	struct zh_store *s = fresh();
	size_t len = 3 * MIB;
	uint8_t *p = zt_pattern(len, 3);
	uint8_t hash[ZH_CODEC_HASH_BYTES], kept[ZH_CODEC_HASH_BYTES];
	struct zh_store_fsck f;
	struct zh_object_info info;

	cr_assert_eq(zh_store_put(s, p, len, NULL, kept), 0);
	zh_store_close(s);
	faults[1].eio_ppm = 1000000;
	s = open_store();
	free(p);
	p = zt_pattern(len, 4);
	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), -EIO);
	cr_assert_eq(zh_store_stat(s, hash, &info), -ENOENT);
	zh_store_close(s);
	faults[1].eio_ppm = 0;
	s = open_store();
	f = zt_fsck(s);
	cr_assert(zh_store_fsck_clean(&f), "leaked %llu", (unsigned long long)f.extents_leaked);
	cr_assert_eq(f.objects, 1);
	free(p);
	p = zt_pattern(len, 3);
	cr_assert_eq(zt_get_cmp(s, kept, p, len), 0);
	free(p);
	zh_store_close(s);
}

/*
 * Regression: a shard write cut short (the device moved a block less than asked, every time)
 * failed its put with EIO. The rest now goes on from where the write stopped: the put is
 * stored, each of the device's shards written in two pieces, and reads back whole and clean.
 */
Test(engine_store_faults, short_writes_go_on_from_where_they_stopped)
{
	struct zh_store *s = fresh();
	size_t len = 3 * MIB + 5;
	uint8_t *p = zt_pattern(len, 4);
	uint8_t hash[ZH_CODEC_HASH_BYTES];
	struct zh_store_stats st;
	struct zh_store_fsck f;
	struct zh_store_opts o;

	zh_store_close(s);
	faults[3].short_ppm = 1000000;
	opts(&o);
	o.chunk_slots = 2; /* the later chunks reuse slots, and shard ops that were cut before */
	s = zt_open(&o);
	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	zh_store_stats_get(s, &st);
	cr_assert_gt(st.short_writes, 0, "no write on device 3 was cut");
	zh_store_close(s);
	faults[3].short_ppm = 0;
	s = open_store();
	f = zt_fsck(s);
	cr_assert(zh_store_fsck_clean(&f), "bad %llu, leaked %llu",
		  (unsigned long long)f.shards_bad, (unsigned long long)f.extents_leaked);
	cr_assert_eq(f.objects, 1);
	cr_assert_eq(zt_get_cmp(s, hash, p, len), 0);
	free(p);
	zh_store_close(s);
}

Test(engine_store_faults, slow_devices_only_slow_things_down)
{
	struct zh_store *s;
	size_t len = 3 * MIB + 5;
	uint8_t *p = zt_pattern(len, 5);
	uint8_t hash[ZH_CODEC_HASH_BYTES];

	for (unsigned i = 0; i < DEVS; i++) {
		faults[i].delay_ppm = 500000;
		faults[i].delay_ns = 2000000;
	}
	s = fresh();
	cr_assert_eq(zh_store_put(s, p, len, NULL, hash), 0);
	cr_assert_eq(zt_get_cmp(s, hash, p, len), 0);
	free(p);
	zh_store_close(s);
}

Test(engine_store_faults, a_device_vanishing_mid_run_fails_puts_not_acknowledged_objects)
{
	struct zh_store *s = fresh();
	uint8_t hash[8][ZH_CODEC_HASH_BYTES];
	size_t len = 2 * MIB + 1;
	unsigned ok = 0;
	int rc = 0;

	for (unsigned i = 0; i < 8; i++) {
		uint8_t *p = zt_pattern(len, 10 + i);

		if (i == 4)
			atomic_store(&faults[5].vanished, true);
		rc = zh_store_put(s, p, len, NULL, hash[i]);
		free(p);
		if (i < 4)
			cr_assert_eq(rc, 0);
		else
			cr_assert_eq(rc, -ENODEV, "put %u after the device went: %d", i, rc);
		ok += rc == 0;
	}
	/* Reads go on: the lost device's shards are rebuilt from parity. */
	for (unsigned i = 0; i < ok; i++) {
		uint8_t *p = zt_pattern(len, 10 + i);

		cr_assert_eq(zt_get_cmp(s, hash[i], p, len), 0, "object %u", i);
		free(p);
	}
	zh_store_close(s);
	atomic_store(&faults[5].vanished, false);
	s = open_store();
	struct zh_store_fsck f = zt_fsck(s);

	cr_assert(zh_store_fsck_clean(&f), "nothing of the failed puts may remain");
	cr_assert_eq(f.objects, 4);
	zh_store_close(s);
}
