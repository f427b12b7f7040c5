/* SPDX-License-Identifier: MIT */
/*
 * ThreadSanitizer driver for the concurrency scenarios (Criterion cannot run under TSan). Exits
 * non-zero, naming the scenario, when any expectation fails; TSan itself aborts on a race.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "concurrency_cases.h"

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

int main(void)
{
	struct ring_stress_result rs = ring_stress_run(64, 200000);
	struct ping_pong_result pp = ping_pong_run(5000);
	struct post_storm_result ps = post_storm_run(100000);

	expect(rs.received == 200000 && rs.out_of_order == 0, "ring: no loss, in order");
	expect(rs.full_seen > 0 && rs.empty_at_end, "ring: back-pressure seen, drained");
	if (pp.create_rc == 0) {
		expect(pp.finished && pp.count[0] == 5000 && pp.count[1] == 5000,
		       "reactors: cross-core ping-pong");
		expect(ps.handled[0] + ps.handled[1] == ps.posted && ps.posted == 100000,
		       "engine: control-thread posts all delivered");
		expect(ps.refused > 0, "engine: full ring refused a post");
	} else {
		printf("skip: reactor scenarios need 2 cores (rc %d)\n", pp.create_rc);
	}
	char dir[300], cmd[400];

	snprintf(dir, sizeof(dir), "%s/tsan-store-%d", ZH_TEST_SCRATCH_DIR, getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	struct store_stress_result ss = store_stress_run(dir, 40, false);

	expect(ss.rc == 0 && ss.puts == 160 && ss.gets == 160 && ss.mismatches == 0,
	       "store: concurrent puts and gets");
	expect(ss.fsck_clean, "store: fsck clean after them");
	if (system(cmd) != 0)
		return 1;
	ss = store_stress_run(dir, 30, true);
	expect(ss.rc == 0 && ss.puts == 120 && ss.mismatches == 0 && ss.scrubs > 0 &&
		   ss.shards_repaired > 0 && ss.scrub_problems == 0 && ss.fsck_clean,
	       "store: scrub and repair while objects are put and deleted");
	if (system(cmd) != 0)
		return 1;
	printf("%d passed, %d failed\n", 8 - failures - (pp.create_rc != 0 ? 3 : 0), failures);
	return failures == 0 ? 0 : 1;
}
