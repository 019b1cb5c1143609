/*
 * bench_report_store.c - makes the state store of a year of work for the
 * report benchmark (bench/report-monthly.sh): twelve campaigns, one a month
 * from 2026-04 to 2027-03, each on HOSTS hosts in 22 sites with STEPS step
 * runs per host (default 182 x 46: 100,464 step runs in the year), 1% of
 * them failed, April's and October's with a password step per host (a
 * vault version, never a value), each campaign's gate approved with a
 * signature row. Everything goes through the store's API, so the journal
 * holds the same records as after real runs (two per step run) and `report`
 * verifies the whole chain, as it does in the field.
 *
 *   bench_report_store STATE_DIR [HOSTS] [STEPS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "error.h"
#include "store.h"
#include "util.h"

#define SITES 22
#define BATCH 2000 /* step runs per group commit */

static int64_t now_s;

static int64_t
bench_clock(void *ctx)
{
	(void)ctx;
	return now_s;
}

static void
die(const char *what, int rc, struct ro_store *st, char *cause)
{
	fprintf(stderr, "bench_report_store: %s: %s: %s\n", what, ro_strerror(rc),
	    cause != NULL ? cause : st != NULL ? ro_store_errmsg(st) : "");
	exit(1);
}

#define CHECK(what, call) do { int rc_ = (call); if (rc_ != RO_OK) die(what, rc_, st, cause); } while (0)

static void
campaign(struct ro_store *st, int month_idx, long hosts, long steps)
{
	static const char *const step_names[] = { "precheck", "copy", "hash", "install", "verify",
		"restart", "postcheck" };
	struct ro_date first = { 2026 + (3 + month_idx) / 12, (3 + month_idx) % 12 + 1, 1 };
	char id[32], hash[65], site[16], host[32], addr[32];
	struct ro_campaign_new c;
	struct ro_wave_new w;
	struct ro_approval_new a;
	char *cause = NULL, sig[129];
	long h, s;
	int pw = first.m == 4 || first.m == 10, pending = 0;

	snprintf(id, sizeof id, "%04d-%02d-bench", first.y, first.m);
	snprintf(hash, sizeof hash, "%064d", month_idx + 1);
	now_s = ro_jst_minute(ro_date_to_day(first), 8 * 60) * 60;
	memset(&c, 0, sizeof c);
	c.id = id;
	c.title = "月例作業 (bench)";
	c.playbooks = pw ? "os-security-update,password-change" : "os-security-update";
	c.plan_hash = hash;
	c.plan_json = "{}";
	c.inventory_hash = hash;
	CHECK("begin", ro_store_begin(st));
	CHECK("campaign", ro_store_campaign_create(st, &c, &cause));
	memset(&w, 0, sizeof w);
	w.campaign = id;
	w.name = "all";
	w.gated = 1;
	w.failure_budget = (int)hosts;
	w.planned_start = w.planned_end = RO_STORE_NO_TIME;
	CHECK("wave", ro_store_wave_add(st, &w, &cause));
	for (h = 0; h < hosts; h++) {
		snprintf(site, sizeof site, "s%02ld", h % SITES);
		snprintf(host, sizeof host, "s%02ld-t%03ld", h % SITES, h);
		snprintf(addr, sizeof addr, "127.40.%ld.%ld", h / 200, h % 200 + 1);
		CHECK("host", ro_store_host_add(st, id, host, site, addr, 0, &cause));
	}
	CHECK("commit", ro_store_commit(st));
	CHECK("running", ro_store_campaign_set_state(st, id, RO_CAMPAIGN_RUNNING, &cause));
	memset(sig, 'a', 128);
	sig[128] = '\0';
	memset(&a, 0, sizeof a);
	a.campaign = id;
	a.wave = 0;
	a.gate = "before-first";
	a.plan_hash = hash;
	a.decision = "approve";
	a.signer = "sato";
	a.signer_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	a.signature = sig;
	a.at = now_s;
	CHECK("approve", ro_store_approval_record(st, &a, &cause));
	CHECK("wave running", ro_store_wave_set_state(st, id, 0, RO_WAVE_RUNNING, &cause));
	for (h = 0; h < hosts; h++) {
		snprintf(host, sizeof host, "s%02ld-t%03ld", h % SITES, h);
		CHECK("host running", ro_store_host_set_state(st, id, host, RO_HOST_RUNNING, &cause));
		for (s = 0; s < steps; s++) {
			int64_t intent;
			int attempt, failed = (h * steps + s) % 100 == 99;

			if (pending == 0)
				CHECK("group", ro_store_begin_group(st));
			now_s += 40;
			CHECK("intent", ro_store_intent_begin(st, id, host, (int)s,
			    step_names[s % RO_NELEM(step_names)], &intent, &attempt, &cause));
			if (pw && s == steps - 1)
				CHECK("secret mark", ro_store_secret_mark(st, intent, "admin", 2, &cause));
			now_s += 20;
			CHECK("outcome", ro_store_outcome_record(st, intent,
			    failed ? RO_STEP_FAILED : RO_STEP_OK, failed ? 1603 : 0,
			    failed ? "wusa: 0x80070643 (1603)" : "ok", &cause));
			if (++pending == BATCH) {
				CHECK("commit", ro_store_commit(st));
				pending = 0;
			}
		}
		if (pending) {
			CHECK("commit", ro_store_commit(st));
			pending = 0;
		}
		CHECK("host done", ro_store_host_set_state(st, id, host, RO_HOST_DONE, &cause));
	}
	CHECK("wave done", ro_store_wave_set_state(st, id, 0, RO_WAVE_DONE, &cause));
	CHECK("done", ro_store_campaign_set_state(st, id, RO_CAMPAIGN_DONE, &cause));
}

int
main(int argc, char **argv)
{
	struct ro_store *st = NULL;
	char *cause = NULL;
	long hosts = argc > 2 ? atol(argv[2]) : 182, steps = argc > 3 ? atol(argv[3]) : 46;
	int m;

	if (argc < 2 || hosts < 1 || steps < 1) {
		fprintf(stderr, "usage: bench_report_store STATE_DIR [HOSTS] [STEPS]\n");
		return 2;
	}
	CHECK("open", ro_store_open_dir(argv[1], &st, &cause));
	ro_store_set_clock(st, bench_clock, NULL);
	ro_store_set_actor(st, "bench");
	for (m = 0; m < 12; m++)
		campaign(st, m, hosts, steps);
	ro_store_close(st);
	printf("%ld step runs in 12 campaigns\n", 12 * hosts * steps);
	return 0;
}
