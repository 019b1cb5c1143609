/*
 * test_planner_time.c - planner v2: work placed in windows under the
 * concurrency and per-site limits, the CS rules, the skew policies, gates
 * with approval times, the deadline, and the infeasible cases with their
 * messages. One test per rule; the shipped campaigns are the main cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "campaign.h"
#include "error.h"
#include "plan-cal.h"
#include "plan-record.h"
#include "planner.h"
#include "store.h"
#include "util.h"
#include "testutil.h"

#define SRC RO_SOURCE_DIR
#define INV SRC "/inventory/sapporo.yml"

static const char *os_params =
    "params: {kb: KB5066835, artifact: ../.." SRC "/playbooks/artifacts/windows11.0-kb5066835-x64.msu,\n"
    "  sha256: 2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474, cs_kb: KB5066782,\n"
    "  cs_artifact: ../.." SRC "/playbooks/artifacts/windows10.0-kb5066782-x64.msu,\n"
    "  cs_sha256: c793867dd3f633d71b9483eac4fb5444e7ca7610a599f6eafe80e40b506a2170}\n";

/* Upload sources are relative names (docs/PLAYBOOKS.md): the campaign is written in
 * /tmp/rollout-test-XXXXXX, so ../.. is the root and the shipped artifacts are reached
 * inside the playbooks directory. */
static const char *jlis_params =
    "params: {version: 2.40.0, cs_artifact: ../.." SRC "/playbooks/artifacts/jlis-cs-app.msi,\n"
    "  cs_sha256: 182aa71dced4eb980a6c0680d35ff8c255f43742689884b720fefb64d81f4f46, cs_product: CS,\n"
    "  terminal_artifact: ../.." SRC "/playbooks/artifacts/jlis-terminal-app.msi,\n"
    "  terminal_sha256: e47b7efb60c57d055bd822f70f5b64ac586690c9d58205f30692279009146e94,\n"
    "  terminal_product: T}\n";

/* Loads a campaign file; fails the test if it does not load. */
static struct ro_campaign *
load(const char *path)
{
	struct ro_diags d;
	struct ro_campaign *c = NULL;

	ro_diags_init(&d);
	if (ro_campaign_load(path, NULL, 0, &c, &d) != RO_OK)
		ro_diags_print(stderr, &d);
	ro_diags_free(&d);
	assert_non_null(c);
	return c;
}

/* Writes a campaign over the Sapporo inventory with one shipped playbook. */
static struct ro_campaign *
make(const char *playbook, const char *params, const char *start, const char *extra)
{
	char text[4096], *path;
	struct ro_campaign *c;

	snprintf(text, sizeof text, "campaign: t\ninventory: " INV "\nplaybooks: [%s]\n%sstart: %s\n%s\n",
	    playbook, params, start, extra);
	path = tu_write("t.yml", text);
	c = load(path);
	free(path);
	return c;
}

/* Builds the plan; expects rc; on failure, returns the joined diagnostics. */
static struct ro_plan *
build(const struct ro_campaign *c, int want, char *msg, size_t n)
{
	struct ro_diags d;
	struct ro_plan *p = NULL;
	size_t i, len = 0;
	int rc;

	ro_diags_init(&d);
	rc = ro_plan_build(c, &p, &d);
	if (msg)
		msg[0] = '\0';
	for (i = 0; msg && i < d.n; i++)
		len += (size_t)snprintf(msg + len, len < n ? n - len : 0, "%s | %s\n", d.v[i].msg,
		    d.v[i].hint ? d.v[i].hint : "");
	if (rc != want)
		ro_diags_print(stderr, &d);
	ro_diags_free(&d);
	assert_int_equal(rc, want);
	return p;
}

static int64_t
jst(const char *s)
{
	int32_t day;
	int y, m, dd, hh, mm;
	int64_t t;

	assert_int_equal(sscanf(s, "%d-%d-%d %d:%d", &y, &m, &dd, &hh, &mm), 5);
	/* days from civil, as ro_pcal_at wants a day number */
	{
		int yy = y - (m <= 2);
		int era = (yy >= 0 ? yy : yy - 399) / 400;
		unsigned yoe = (unsigned)(yy - era * 400);
		unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1);
		unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		day = era * 146097 + (int32_t)doe - 719468;
	}
	t = ro_pcal_at(day, hh * 60 + mm);
	return t;
}

/* The most hosts of site s (or of all sites, s < 0) in progress at once. */
static size_t
peak(const struct ro_plan *p, long site, int terminals_only)
{
	const struct ro_campaign *c = p->campaign;
	size_t best = 0, i, j;

	for (i = 0; i < c->nhosts; i++) {
		uint32_t a = c->hosts[i];
		size_t k = 0;
		if (site >= 0 && c->inv->hosts[a].site != (uint32_t)site)
			continue;
		for (j = 0; j < c->nhosts; j++) {
			uint32_t b = c->hosts[j];
			if (site >= 0 && c->inv->hosts[b].site != (uint32_t)site)
				continue;
			if (terminals_only && c->inv->hosts[b].role != RO_ROLE_TERMINAL)
				continue;
			if (p->host_start[b] <= p->host_start[a] && p->host_start[a] < p->host_end[b])
				k++;
		}
		if (k > best)
			best = k;
	}
	return best;
}

/* Common invariants of every timed plan. */
static void
check_plan(const struct ro_plan *p)
{
	const struct ro_campaign *c = p->campaign;
	const struct ro_inventory *inv = c->inv;
	size_t i, s;
	int64_t sb_end = RO_PLAN_NO_TIME, act_start = RO_PLAN_NO_TIME;

	assert_true(p->timed);
	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		assert_true(p->host_start[h] >= p->start);
		assert_int_equal(p->host_end[h] - p->host_start[h], ro_plan_host_estimate(p, h));
		assert_true(p->host_end[h] <= p->deadline);
		if (p->window == RO_WINDOW_BUSINESS) {
			/* Inside one working day's hours. */
			int32_t day = ro_pcal_day(p->host_start[h]);
			assert_true(ro_pcal_day(p->host_end[h] - 1) == day);
			assert_true(ro_pcal_minute(p->host_start[h]) >= 8 * 60 + 45);
			assert_true(p->host_end[h] <= ro_pcal_at(day, 17 * 60 + 15));
		}
		if (inv->hosts[h].role == RO_ROLE_CS_STANDBY)
			sb_end = p->host_end[h];
		if (inv->hosts[h].role == RO_ROLE_CS_ACTIVE)
			act_start = p->host_start[h];
		if (inv->hosts[h].role == RO_ROLE_TERMINAL && p->cs_end != RO_PLAN_NO_TIME &&
		    (c->policy.skew != RO_SKEW_ANY))
			assert_true(p->host_start[h] >= p->cs_end);
	}
	/* CS: standby first, then active, never both at once. */
	if (sb_end != RO_PLAN_NO_TIME && act_start != RO_PLAN_NO_TIME)
		assert_true(sb_end <= act_start);
	assert_true(peak(p, -1, 0) <= (size_t)c->policy.concurrency);
	if (p->window != RO_WINDOW_CLOSED_OFFICE)
		for (s = 0; s < inv->nsites; s++)
			assert_true(peak(p, (long)s, 1) <= p->site_limit[s]);
	/* Waves one after another; a gated wave has its approval before it. */
	for (i = 0; i < p->nwaves; i++) {
		const struct ro_wave *w = &p->waves[i];
		if (i > 0)
			assert_true(w->planned_start >= p->waves[i - 1].planned_end);
		if (w->gated)
			assert_true(w->approval != RO_PLAN_NO_TIME && w->approval <= w->planned_start);
		else
			assert_true(w->approval == RO_PLAN_NO_TIME);
	}
	assert_true(p->lower_bound <= p->end);
	assert_true(p->gap >= 0);
}

static void
test_october_combined(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p, *p2;
	size_t i;
	int64_t sports0 = jst("2026-10-12 00:00"), sports1 = jst("2026-10-13 00:00");

	(void)state;
	c = load(SRC "/playbooks/campaigns/2026-10-combined.yml");
	p = build(c, RO_OK, NULL, 0);
	check_plan(p);
	assert_int_equal(p->first_start, jst("2026-10-05 08:45"));
	/* All sites within 14 calendar days of the first wave. */
	assert_int_equal(p->deadline, jst("2026-10-19 00:00"));
	assert_true(p->end <= p->deadline);
	/* No work on Sports Day. */
	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		assert_true(p->host_end[h] <= sports0 || p->host_start[h] >= sports1);
	}
	/* Deterministic: same bytes, same hash. */
	p2 = build(c, RO_OK, NULL, 0);
	assert_string_equal(p->hash, p2->hash);
	assert_int_equal(p->canonical_len, p2->canonical_len);
	ro_plan_free(p2);
	ro_plan_free(p);
	ro_campaign_free(c);
}

static void
test_march_jlis_skew_none(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p;
	size_t i;

	(void)state;
	c = load(SRC "/playbooks/campaigns/2027-03-jlis-app-update.yml");
	p = build(c, RO_OK, NULL, 0);
	check_plan(p);
	assert_int_equal(c->nhosts, 182);
	/* 2027-03-21 (Sun) is 春分の日, 03-22 its substitute: Fri 17:15 .. Tue
	 * 08:45, clipped to the start day. */
	assert_int_equal(p->window_start, jst("2027-03-20 00:00"));
	assert_int_equal(p->window_end, jst("2027-03-23 08:45"));
	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		assert_true(p->host_start[h] >= p->window_start);
		assert_true(p->host_end[h] <= p->window_end);
	}
	ro_plan_free(p);
	ro_campaign_free(c);
}

static void
test_skew_none_does_not_fit(void **state)
{
	struct ro_campaign *c;
	char msg[4096];

	(void)state;
	/* One host at a time: 182 hosts take some 80 hours, more than the
	 * Sunday..Tuesday-morning rest of the window holds. */
	c = make(SRC "/playbooks/jlis-app-update.yml", jlis_params, "2027-03-21",
	    "policy: {skew: none, window: closed-office, wave_size: 25%, concurrency: 1,\n"
	    "  deadline_days: 30}");
	build(c, RO_EINFEASIBLE, msg, sizeof msg);
	assert_non_null(strstr(msg, "skew: none needs all 182 hosts inside one closed-office window"));
	assert_non_null(strstr(msg, "2027-03-21 00:00 .. 2027-03-23 08:45"));
	assert_non_null(strstr(msg, "smallest change that fits: concurrency ≥ 2"));
	/* Golden Week is the next window that holds 80 hours. */
	assert_non_null(strstr(msg, "next closed-office window that fits: 2027年4月30日(金) 17:15"));
	ro_campaign_free(c);
}

/* A playbook of 40 minutes per terminal, without gates. */
static struct ro_campaign *
forty(const char *start, const char *policy)
{
	char text[1024], *path;
	struct ro_campaign *c;

	free(tu_write("forty.yml", "playbook: forty\ntitle: F\ntargets: {roles: [terminal]}\n"
	    "policy: {canary: 0, wave_size: per-site, gates: none}\n"
	    "steps: [{name: a, exec: hostname, estimate: 40m}]\n"));
	snprintf(text, sizeof text, "campaign: f\ninventory: " INV "\nplaybooks: [forty.yml]\n"
	    "targets: {sites: [kita]}\nstart: %s\npolicy: {%s}\n", start, policy);
	path = tu_write("f.yml", text);
	c = load(path);
	free(path);
	return c;
}

static void
test_site_limit_binds(void **state)
{
	struct ro_campaign *c;
	char msg[4096];
	struct ro_plan *p;

	(void)state;
	/* Kita's 17 terminals one at a time take 11h 20m: more than a day. */
	c = forty("2026-10-05", "max_unavailable_per_site: 1, deadline_days: 1");
	build(c, RO_EINFEASIBLE, msg, sizeof msg);
	assert_non_null(strstr(msg, "misses its deadline"));
	assert_non_null(strstr(msg, "binding constraint: max unavailable at Kita ward office, Family Register and Residents Div. is 1"));
	assert_non_null(strstr(msg, "smallest change that fits: raise max unavailable at Kita ward office, Family Register and Residents Div. to 2"));
	assert_non_null(strstr(msg, "deadline_days ≥ 2"));
	ro_campaign_free(c);
	/* With 2 at a time it fits in the day. */
	c = forty("2026-10-05", "max_unavailable_per_site: 2, deadline_days: 1");
	p = build(c, RO_OK, NULL, 0);
	check_plan(p);
	assert_int_equal(peak(p, (long)c->inv->hosts[c->hosts[0]].site, 1), 2);
	assert_true(p->end <= jst("2026-10-05 17:15"));
	ro_plan_free(p);
	ro_campaign_free(c);
}

static void
test_concurrency_binds(void **state)
{
	struct ro_campaign *c;
	char msg[4096];

	(void)state;
	c = make(SRC "/playbooks/os-security-update.yml", os_params, "2026-10-05",
	    "targets: {roles: [terminal]}\n"
	    "policy: {canary: 0, wave_size: 100%, concurrency: 2, deadline_days: 1}");
	build(c, RO_EINFEASIBLE, msg, sizeof msg);
	assert_non_null(strstr(msg, "binding constraint: concurrency 2"));
	assert_non_null(strstr(msg, "smallest change that fits: concurrency ≥ "));
	ro_campaign_free(c);
}

static void
test_start_day_fix(void **state)
{
	struct ro_campaign *c;
	char msg[4096];

	(void)state;
	/* Two working days of work within 2 calendar days: from Friday
	 * 2026-10-09 the next working day is Tuesday (スポーツの日); Thursday
	 * would do. */
	c = forty("2026-10-09", "max_unavailable_per_site: 1, deadline_days: 2");
	build(c, RO_EINFEASIBLE, msg, sizeof msg);
	assert_non_null(strstr(msg, "start on or before 2026-10-08"));
	ro_campaign_free(c);
}

static void
test_cs_ahead(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p;
	char msg[4096];
	size_t i;

	(void)state;
	c = make(SRC "/playbooks/jlis-app-update.yml", jlis_params, "2026-11-02",
	    "policy: {skew_within_days: 7}");
	p = build(c, RO_OK, NULL, 0);
	check_plan(p);
	assert_true(p->cs_end != RO_PLAN_NO_TIME);
	assert_true(p->skew_limit != RO_PLAN_NO_TIME);
	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		if (c->inv->hosts[h].role == RO_ROLE_TERMINAL) {
			assert_true(p->host_start[h] >= p->cs_end);
			assert_true(p->host_end[h] <= p->skew_limit);
		}
	}
	/* 7 working days after Monday 11-02 (11-03 is 文化の日): Thursday 11-12. */
	assert_int_equal(p->skew_limit, jst("2026-11-12 17:15"));
	ro_plan_free(p);
	ro_campaign_free(c);

	/* Within 1 working day: the gates (canary, then the next morning) make
	 * it impossible. */
	c = make(SRC "/playbooks/jlis-app-update.yml", jlis_params, "2026-11-02",
	    "policy: {skew_within_days: 1}");
	build(c, RO_EINFEASIBLE, msg, sizeof msg);
	assert_non_null(strstr(msg, "skew: cs-ahead needs the terminals done within 1 working days"));
	assert_non_null(strstr(msg, "smallest change that fits: skew_within_days ≥ "));
	ro_campaign_free(c);
}

static void
test_jlis_cs_first(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p;
	char *path;

	(void)state;
	/* Phases that put the terminals first: a J-LIS update still starts with
	 * the CS, standby then active. */
	free(tu_write("jl.yml", "playbook: jl\ntitle: J\nwork: jlis-app-update\n"
	    "targets: {roles: [cs-standby, cs-active, terminal]}\n"
	    "phases:\n  - {name: terms, roles: [terminal]}\n  - {name: cs, roles: [cs-standby, cs-active]}\n"
	    "policy: {canary: 0, wave_size: 50%, skew: any}\n"
	    "steps: [{name: a, exec: hostname, estimate: 20m}]\n"));
	path = tu_write("jlc.yml", "campaign: jlc\ninventory: " INV "\nplaybooks: [jl.yml]\nstart: 2026-11-02\n");
	c = load(path);
	free(path);
	p = build(c, RO_OK, NULL, 0);
	check_plan(p);
	assert_int_equal(c->inv->hosts[p->waves[0].hosts[0]].role, RO_ROLE_CS_STANDBY);
	assert_int_equal(c->inv->hosts[p->waves[1].hosts[0]].role, RO_ROLE_CS_ACTIVE);
	assert_int_equal(p->waves[0].index, 0);
	assert_int_equal(p->waves[2].index, 2);
	assert_true(p->waves[2].planned_start >= p->waves[1].planned_end);
	ro_plan_free(p);
	ro_campaign_free(c);
}

static void
test_never_starts_what_cannot_finish(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p;
	char msg[4096], *path;

	(void)state;
	/* 5 hours each, one at a time: the second host of the day would end
	 * after 17:15, so it waits for the next morning. */
	free(tu_write("long.yml", "playbook: long\ntitle: L\ntargets: {roles: [terminal]}\n"
	    "policy: {canary: 0, wave_size: per-site, gates: none}\n"
	    "steps: [{name: a, exec: hostname, estimate: 5h}]\n"));
	path = tu_write("lc.yml", "campaign: lc\ninventory: " INV "\nplaybooks: [long.yml]\n"
	    "targets: {sites: [odori]}\nstart: 2026-10-09\n");
	c = load(path);
	free(path);
	p = build(c, RO_OK, NULL, 0);
	check_plan(p);
	/* Friday 10-09, then Tuesday 10-13 (weekend and スポーツの日 skipped). */
	assert_int_equal(p->host_start[c->hosts[0]], jst("2026-10-09 08:45"));
	assert_int_equal(p->host_start[c->hosts[1]], jst("2026-10-13 08:45"));
	ro_plan_free(p);
	ro_campaign_free(c);

	/* Longer than any business window: refused with the reason. */
	free(tu_write("long2.yml", "playbook: long2\ntitle: L\ntargets: {roles: [terminal]}\n"
	    "policy: {canary: 0, wave_size: per-site, gates: none}\n"
	    "steps: [{name: a, exec: hostname, estimate: 9h}]\n"));
	path = tu_write("lc2.yml", "campaign: lc2\ninventory: " INV "\nplaybooks: [long2.yml]\n"
	    "targets: {sites: [odori]}\nstart: 2026-10-09\n");
	c = load(path);
	free(path);
	build(c, RO_EINFEASIBLE, msg, sizeof msg);
	assert_non_null(strstr(msg, "needs 9h 00m of work"));
	assert_non_null(strstr(msg, "no business window is that long"));
	ro_campaign_free(c);
}

static void
test_json_and_record(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p;
	struct ro_buf b;
	struct ro_store *st = NULL;
	struct ro_wave_info *waves = NULL;
	size_t nw = 0, i;
	char *cause = NULL, dir[512];
	int existed = 0;

	(void)state;
	c = load(SRC "/playbooks/campaigns/2026-10-os-update.yml");
	p = build(c, RO_OK, NULL, 0);
	/* A terminal's estimate: 10s+10s+3m+20s+15m+8m+10s+5s. */
	for (i = 0; i < c->nhosts; i++)
		if (c->inv->hosts[c->hosts[i]].role == RO_ROLE_TERMINAL) {
			assert_int_equal(ro_plan_host_estimate(p, c->hosts[i]), 1615);
			break;
		}
	ro_buf_init(&b);
	ro_plan_json(p, &b);
	assert_non_null(strstr(b.p, "\"format\":\"rollout-plan/2\""));
	assert_non_null(strstr(b.p, "\"first_start\":\"2026-10-05T08:45:00+09:00\""));
	assert_non_null(strstr(b.p, "\"times\":[["));
	assert_non_null(strstr(b.p, "\"approval\":\"2026-10-05T08:45:00+09:00\""));
	assert_non_null(strstr(b.p, "\"lower_bound\":"));
	ro_buf_free(&b);
	snprintf(dir, sizeof dir, "%s/state-v2", tu_tmpdir());
	assert_int_equal(ro_store_open_dir(dir, &st, &cause), RO_OK);
	assert_int_equal(ro_plan_record(st, p, &existed, &cause), RO_OK);
	assert_int_equal(ro_store_wave_list(st, c->id, &waves, &nw), RO_OK);
	assert_int_equal(nw, p->nwaves);
	for (i = 0; i < nw; i++) {
		assert_int_equal(waves[i].planned_start, p->waves[i].planned_start);
		assert_int_equal(waves[i].planned_end, p->waves[i].planned_end);
	}
	ro_wave_list_free(waves, nw);
	ro_store_close(st);
	ro_plan_free(p);
	ro_campaign_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_october_combined),
		cmocka_unit_test(test_march_jlis_skew_none),
		cmocka_unit_test(test_skew_none_does_not_fit),
		cmocka_unit_test(test_site_limit_binds),
		cmocka_unit_test(test_concurrency_binds),
		cmocka_unit_test(test_start_day_fix),
		cmocka_unit_test(test_cs_ahead),
		cmocka_unit_test(test_jlis_cs_first),
		cmocka_unit_test(test_never_starts_what_cannot_finish),
		cmocka_unit_test(test_json_and_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
