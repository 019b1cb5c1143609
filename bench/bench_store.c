/*
 * bench_store.c - how fast the state store records a large plan and how
 * long the executor's durable pattern costs per step.
 *
 *   bench_store [DIR] [HOSTS] [SITES] [PAIRS]
 *
 * 1. One transaction: a campaign, 20 waves and HOSTS hosts spread over
 *    SITES sites (what `plan --save` does), each with its journal record.
 * 2. PAIRS intent + outcome pairs, each committed on its own (the executor
 *    commits the intent before acting and the outcome after), so each pair
 *    is two synchronous commits.
 *
 * DIR (default: the current directory) should be on the file system the
 * state directory will live on: on tmpfs fsync costs nothing and the
 * figures mean little. Defaults: 100000 hosts, 2000 sites, 10000 pairs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "store.h"
#include "util.h"

#define WAVES 20

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
die(const char *what, int rc, struct ro_store *st, char *cause)
{
	fprintf(stderr, "bench_store: %s: %s: %s\n", what, ro_strerror(rc),
	    cause != NULL ? cause : st != NULL ? ro_store_errmsg(st) : "");
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	long hosts = argc > 2 ? atol(argv[2]) : 100000;
	long sites = argc > 3 ? atol(argv[3]) : 2000;
	long pairs = argc > 4 ? atol(argv[4]) : 10000;
	struct ro_campaign_new c = {
		.id = "bench", .title = "benchmark", .playbooks = "os-update",
		.plan_hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.plan_json = "{}", .inventory_hash = "00",
	};
	struct ro_store *st = NULL;
	struct statfs sf;
	char *cause = NULL, *tmpl, host[32], site[32], addr[32];
	double t0, t1, *lat;
	long i;
	int rc, w, attempt;
	int64_t id;

	if (hosts < WAVES || sites < 1 || pairs < 1 || pairs > hosts) {
		fprintf(stderr, "usage: bench_store [DIR] [HOSTS>=%d] [SITES] [PAIRS<=HOSTS]\n",
		    WAVES);
		return 2;
	}
	tmpl = ro_xasprintf("%s/bench_store.XXXXXX", dir);
	if (mkdtemp(tmpl) == NULL) {
		perror(tmpl);
		return 1;
	}
	if ((rc = ro_store_open_dir(tmpl, &st, &cause)) != 0)
		die("open", rc, NULL, cause);
	if (statfs(tmpl, &sf) == 0)
		printf("store in %s (file system magic 0x%lx%s)\n", tmpl, (unsigned long)sf.f_type,
		    (unsigned long)sf.f_type == 0x01021994UL ? ", tmpfs: fsync is free" : "");

	/* 1. plan --save: everything in one transaction. */
	t0 = seconds();
	if ((rc = ro_store_begin(st)) != 0 ||
	    (rc = ro_store_campaign_create(st, &c, &cause)) != 0)
		die("campaign", rc, st, cause);
	for (w = 0; w < WAVES; w++) {
		struct ro_wave_new wn = { .campaign = "bench", .idx = w, .name = "wave",
			.gated = w > 0, .failure_budget = 5,
			.planned_start = RO_STORE_NO_TIME, .planned_end = RO_STORE_NO_TIME };
		if ((rc = ro_store_wave_add(st, &wn, &cause)) != 0)
			die("wave", rc, st, cause);
	}
	for (i = 0; i < hosts; i++) {
		snprintf(host, sizeof host, "h%06ld", i);
		snprintf(site, sizeof site, "s%04ld", i % sites);
		snprintf(addr, sizeof addr, "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255,
		    i & 255);
		/* Wave 0 holds the first PAIRS hosts, so phase 2 can use them. */
		w = i < pairs ? 0 : 1 + (int)(i % (WAVES - 1));
		if ((rc = ro_store_host_add(st, "bench", host, site, addr, w, &cause)) != 0)
			die("host", rc, st, cause);
	}
	if ((rc = ro_store_commit(st)) != 0)
		die("commit", rc, st, NULL);
	t1 = seconds();
	printf("plan save: 1 campaign, %d waves, %ld hosts in %ld sites, one transaction: "
	    "%.2f s total, %.1f us per host (incl. its journal record)\n", WAVES, hosts, sites,
	    t1 - t0, (t1 - t0) * 1e6 / (double)hosts);

	if ((rc = ro_store_campaign_set_state(st, "bench", RO_CAMPAIGN_RUNNING, &cause)) != 0 ||
	    (rc = ro_store_wave_set_state(st, "bench", 0, RO_WAVE_RUNNING, &cause)) != 0)
		die("start", rc, st, cause);

	/* 2. The executor's pattern: intent committed, (action), outcome committed. */
	lat = ro_xcalloc((size_t)pairs, sizeof *lat);
	t0 = seconds();
	for (i = 0; i < pairs; i++) {
		double a = seconds();
		snprintf(host, sizeof host, "h%06ld", i);
		if ((rc = ro_store_intent_begin(st, "bench", host, 0, "copy", &id, &attempt,
		    &cause)) != 0)
			die("intent", rc, st, cause);
		if ((rc = ro_store_outcome_record(st, id, RO_STEP_OK, 0, "copied", &cause)) != 0)
			die("outcome", rc, st, cause);
		lat[i] = seconds() - a;
	}
	t1 = seconds();
	qsort(lat, (size_t)pairs, sizeof *lat, cmp_double);
	printf("intent+outcome: %ld pairs, each record its own synchronous commit: %.2f s total, "
	    "%.3f ms per pair (p50 %.3f, p99 %.3f, max %.3f ms)\n", pairs, t1 - t0,
	    (t1 - t0) * 1e3 / (double)pairs, lat[pairs / 2] * 1e3,
	    lat[(size_t)((double)pairs * 0.99)] * 1e3, lat[pairs - 1] * 1e3);

	{
		struct ro_host_tally *t;
		size_t n;
		struct ro_journal_check jc;

		t0 = seconds();
		if ((rc = ro_store_tally(st, "bench", RO_TALLY_BY_SITE, &t, &n)) != 0)
			die("tally", rc, st, NULL);
		t1 = seconds();
		printf("status: tally of %ld hosts by site (%zu sites): %.1f ms\n", hosts, n,
		    (t1 - t0) * 1e3);
		ro_host_tally_free(t, n);
		t0 = seconds();
		if ((rc = ro_store_journal_verify(st, &jc, &cause)) != 0)
			die("verify", rc, st, cause);
		t1 = seconds();
		printf("journal verify: %" PRId64 " records: %.2f s (%.2f us per record)\n",
		    jc.records, t1 - t0, (t1 - t0) * 1e6 / (double)jc.records);

		/* `rollout audit verify` also matches every row with its record. */
		struct ro_audit_problem *p;
		t0 = seconds();
		if ((rc = ro_store_audit_rows(st, &p, &n, &cause)) != 0)
			die("audit rows", rc, st, cause);
		t1 = seconds();
		printf("audit rows: every row against its journal record: %.2f s, %zu problems\n",
		    t1 - t0, n);
		ro_audit_problems_free(p, n);
	}

	ro_store_close(st);
	free(lat);
	{
		char *cmd = ro_xasprintf("rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_store: could not remove %s\n", tmpl);
		free(cmd);
	}
	free(tmpl);
	return 0;
}
