/*
 * test_procedure.c - the work procedure (作業手順書, engine/procedure.h) built
 * from the shipped campaigns and playbooks: steps per role in order with
 * their Japanese titles, KB numbers and artefact hashes, restarts per host
 * and downtime per site, rollback and contacts; and the loader's errors for
 * the new keys (title_ja, description, rollback, contacts) with file:line:col.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "campaign.h"
#include "diag.h"
#include "error.h"
#include "planner.h"
#include "playbook.h"
#include "procedure.h"
#include "testutil.h"

#define SHIPPED RO_SOURCE_DIR "/playbooks/campaigns/"
#define TERM_SHA "2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474"
#define CS_SHA "c793867dd3f633d71b9483eac4fb5444e7ca7610a599f6eafe80e40b506a2170"

struct fx {
	struct ro_campaign *c;
	struct ro_plan *p;
	struct ro_procedure *pr;
};

static void
build(struct fx *x, const char *path)
{
	struct ro_diags d;

	memset(x, 0, sizeof *x);
	ro_diags_init(&d);
	if (ro_campaign_load(path, NULL, 0, &x->c, &d) != RO_OK ||
	    ro_plan_build(x->c, &x->p, &d) != RO_OK) {
		ro_diags_print(stderr, &d);
		fail_msg("cannot plan %s", path);
	}
	ro_diags_free(&d);
	assert_int_equal(ro_procedure_build(x->p, &x->pr), RO_OK);
}

static void
unbuild(struct fx *x)
{
	ro_procedure_free(x->pr);
	ro_plan_free(x->p);
	ro_campaign_free(x->c);
}

static const struct ro_proc_step *
step_named(const struct ro_proc_role *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		if (strcmp(r->steps[i].step->name, name) == 0)
			return &r->steps[i];
	fail_msg("no step %s", name);
	return NULL;
}

/* The OS update: per role the steps in playbook order, with KB, file, hash. */
static void
test_os_update_steps(void **state)
{
	static const char *const term[] = { "already-installed", "free-space", "copy-package",
		"verify-package", "install", "restart", "confirm", "cleanup" };
	static const char *const cs[] = { "cs-already-installed", "free-space",
		"cluster-healthy-before", "cs-copy-package", "cs-verify-package", "cs-install",
		"restart", "cs-confirm", "cluster-healthy-after", "cs-cleanup" };
	const struct ro_proc_role *t, *sb;
	const struct ro_proc_step *s;
	struct fx x;
	size_t i;

	(void)state;
	build(&x, SHIPPED "2026-10-os-update.yml");
	t = &x.pr->roles[RO_ROLE_TERMINAL];
	sb = &x.pr->roles[RO_ROLE_CS_STANDBY];
	assert_int_equal(t->nhosts, 180);
	assert_int_equal(sb->nhosts, 1);
	assert_int_equal(x.pr->roles[RO_ROLE_CS_ACTIVE].nhosts, 1);
	assert_int_equal(t->nsteps, 8);
	assert_int_equal(sb->nsteps, 10);
	for (i = 0; i < 8; i++) {
		assert_string_equal(t->steps[i].step->name, term[i]);
		assert_int_equal(t->steps[i].number, i + 1);
	}
	for (i = 0; i < 10; i++)
		assert_string_equal(sb->steps[i].step->name, cs[i]);

	s = step_named(t, "install");
	assert_string_equal(s->title_ja, "更新プログラムの適用");
	assert_string_equal(s->kind_ja, "実行");
	assert_string_equal(s->kb, "KB5066835");
	assert_non_null(s->description);
	s = step_named(t, "copy-package");
	assert_string_equal(s->artifact, "windows11.0-kb5066835-x64.msu");
	assert_string_equal(s->sha256, TERM_SHA);
	assert_string_equal(s->dest, "C:\\Windows\\Temp\\KB5066835.msu");
	assert_string_equal(s->kb, "KB5066835");
	s = step_named(t, "verify-package");
	assert_string_equal(s->sha256, TERM_SHA);
	assert_null(s->artifact);
	s = step_named(sb, "cs-install");
	assert_string_equal(s->kb, "KB5066782");
	s = step_named(t, "restart");
	assert_int_equal(s->restart, RO_PROC_RESTART_IF_ASKED);
	assert_int_equal(s->estimate, 8 * 60);
	assert_int_equal(t->restart, 8 * 60);
	/* 10s + 10s + 3m + 20s + 15m + 8m + 10s + 5s */
	assert_int_equal(t->estimate, 10 + 10 + 180 + 20 + 900 + 480 + 10 + 5);

	assert_int_equal(x.pr->nartifacts, 2);
	assert_string_equal(x.pr->artifacts[0].kb, "KB5066782");
	assert_string_equal(x.pr->artifacts[0].sha256, CS_SHA);
	assert_int_equal(x.pr->artifacts[0].roles, RO_ROLES_CS);
	assert_string_equal(x.pr->artifacts[1].file, "windows11.0-kb5066835-x64.msu");
	assert_int_equal(x.pr->artifacts[1].roles, RO_ROLE_BIT(RO_ROLE_TERMINAL));
	assert_string_equal(x.pr->plan_hash, x.p->hash);
	unbuild(&x);
}

/* Restarts per host (when, how long) and downtime per site, from the plan. */
static void
test_os_update_restarts(void **state)
{
	const struct ro_inventory *inv;
	struct fx x;
	size_t i, hosts = 0;
	long down = 0;
	int kikusui = 0;

	(void)state;
	build(&x, SHIPPED "2026-10-os-update.yml");
	inv = x.c->inv;
	assert_int_equal(x.pr->nhosts, 182);
	for (i = 0; i < x.pr->nhosts; i++) {
		const struct ro_proc_host *h = &x.pr->hosts[i];
		long before = inv->hosts[h->host].role == RO_ROLE_TERMINAL ?
		    10 + 10 + 180 + 20 + 900 : 10 + 10 + 10 + 120 + 20 + 1800;
		assert_int_equal(h->restart, 480);
		assert_true(h->restart_if_asked);
		assert_int_equal(h->start, x.p->host_start[h->host]);
		assert_int_equal(h->end, x.p->host_end[h->host]);
		assert_int_equal(h->wave, x.p->host_wave[h->host]);
		assert_int_equal(h->restart_at - h->start, before);
		/* Grouped by site, in start order within a site. */
		if (i > 0) {
			const struct ro_proc_host *g = &x.pr->hosts[i - 1];
			assert_true(g->site < h->site || (g->site == h->site && g->start <= h->start));
		}
	}
	for (i = 0; i < x.pr->nsites; i++) {
		const struct ro_proc_site *s = &x.pr->sites[i];
		hosts += s->nhosts;
		down += s->downtime;
		assert_int_equal(s->downtime, (long)s->nrestart * 480);
		assert_int_equal(s->nrestart, s->nhosts);
		assert_int_equal(s->limit, x.p->site_limit[s->site]);
		assert_true(s->restart_if_asked);
		if (strcmp(inv->sites[s->site].id, "kikusui") == 0) {
			kikusui = 1;
			assert_int_equal(s->nhosts, 3);
			assert_int_equal(s->downtime, 3 * 480);
		}
	}
	assert_true(kikusui);
	assert_int_equal(x.pr->nsites, 22);
	assert_int_equal(hosts, 182);
	assert_int_equal(down, x.pr->downtime);
	assert_int_equal(x.pr->downtime, 182 * 480);
	unbuild(&x);
}

/* Rollback with the campaign's values filled in; contacts in file order. */
static void
test_rollback_and_contacts(void **state)
{
	struct fx x;
	size_t i;
	int named = 0;

	(void)state;
	build(&x, SHIPPED "2026-10-os-update.yml");
	assert_int_equal(x.pr->nplaybooks, 1);
	assert_string_equal(x.pr->playbooks[0].title_ja, "OSセキュリティ更新プログラムの適用");
	assert_int_equal(x.pr->playbooks[0].nhosts, 182);
	assert_true(x.pr->playbooks[0].nrollback >= 3);
	for (i = 0; i < x.pr->playbooks[0].nrollback; i++) {
		assert_null(strstr(x.pr->playbooks[0].rollback[i], "{{"));
		named |= strstr(x.pr->playbooks[0].rollback[i], "KB5066835") != NULL &&
		    strstr(x.pr->playbooks[0].rollback[i], "KB5066782") != NULL;
	}
	assert_true(named);
	assert_int_equal(x.pr->ncontacts, 3);
	assert_string_equal(x.pr->contacts[0].role, "作業責任者");
	assert_string_equal(x.pr->contacts[0].phone, "090-0000-0001");
	assert_string_equal(x.pr->contacts[1].org, "札幌市 戸籍住民課");
	unbuild(&x);
}

/* Two playbooks: per host the update's steps, then the password steps. */
static void
test_combined(void **state)
{
	const struct ro_proc_role *t;
	struct fx x;
	size_t i;

	(void)state;
	build(&x, SHIPPED "2026-10-combined.yml");
	t = &x.pr->roles[RO_ROLE_TERMINAL];
	assert_int_equal(x.pr->nplaybooks, 2);
	assert_int_equal(t->nsteps, 8 + 3);
	for (i = 0; i < t->nsteps; i++)
		assert_int_equal(t->steps[i].playbook, i < 8 ? 0 : 1);
	assert_string_equal(t->steps[8].step->name, "windows-admin");
	assert_string_equal(t->steps[8].title_ja, "Windows管理者パスワードの変更");
	assert_string_equal(t->steps[8].kind_ja, "パスワード変更");
	assert_int_equal(x.pr->playbooks[1].nrollback > 0, 1);
	unbuild(&x);
}

/* Every shipped campaign: every step has a Japanese title, every playbook a
 * rollback, and the procedure covers every host of the plan. */
static void
test_every_shipped_campaign(void **state)
{
	static const char *const files[] = { "2026-10-combined.yml", "2026-10-os-update.yml",
		"2026-11-ip-change-chuo-t03.yml", "2026-11-log-collection-kita-t05.yml",
		"2026-11-touch-panel-higashi-t02.yml", "2027-03-jlis-app-update.yml",
		"2027-04-password-change.yml", "2027-10-password-change.yml" };
	size_t f, i;
	int r;

	(void)state;
	for (f = 0; f < RO_NELEM(files); f++) {
		char path[512];
		struct fx x;
		size_t n = 0;
		snprintf(path, sizeof path, "%s%s", SHIPPED, files[f]);
		build(&x, path);
		for (r = 0; r < RO_ROLE_N; r++) {
			n += x.pr->roles[r].nhosts;
			for (i = 0; i < x.pr->roles[r].nsteps; i++) {
				const struct ro_proc_step *s = &x.pr->roles[r].steps[i];
				if (s->step->title_ja == NULL)
					fail_msg("%s: step %s has no title_ja", files[f], s->step->name);
			}
		}
		assert_int_equal(n, x.c->nhosts);
		assert_int_equal(x.pr->nhosts, x.c->nhosts);
		for (i = 0; i < x.pr->nplaybooks; i++)
			if (x.pr->playbooks[i].nrollback == 0)
				fail_msg("%s: playbook %s has no rollback", files[f],
				    x.pr->playbooks[i].pb->name);
		unbuild(&x);
	}
}

/* The annual inspection: 29 items, the on-site ones are manual, no restart. */
static void
test_inspection(void **state)
{
	struct ro_playbook *pb;
	struct ro_diags d;
	size_t i, manual = 0;

	(void)state;
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(RO_SOURCE_DIR "/playbooks/annual-inspection.yml", &pb, &d),
	    RO_OK);
	assert_int_equal(pb->nsteps, 29);
	for (i = 0; i < pb->nsteps; i++) {
		assert_non_null(pb->steps[i].title_ja);
		manual += pb->steps[i].kind == RO_STEP_MANUAL;
	}
	assert_int_equal(manual, 6);
	assert_string_equal(pb->steps[0].title_ja,
	    "端末1 業務アプリ用アカウントへのアクセス制限ツール適用の確認");
	ro_playbook_free(pb);
	ro_diags_free(&d);
}

static const char pb_head[] =
    "playbook: p\n"
    "title: T\n"
    "params:\n"
    "  kb: {type: kb, required: true}\n"
    "targets: {roles: [terminal]}\n";

/* Loads a playbook text and expects it refused with a diagnostic at line:col. */
static void
refused(const char *text, int line, int col, const char *needle)
{
	char *path = tu_write("p.yml", text);
	struct ro_playbook *pb = NULL;
	struct ro_diags d;

	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(path, &pb, &d), RO_EINVAL);
	assert_null(pb);
	assert_true(TU_DIAG_HAS(&d, line, col, needle));
	ro_diags_free(&d);
	free(path);
}

static void
test_playbook_errors(void **state)
{
	char buf[1024];

	(void)state;
	snprintf(buf, sizeof buf, "%ssteps:\n  - name: a\n    exec: x.exe\n"
	    "    title_ja: {x: 1}\n", pb_head);
	refused(buf, 9, 15, "expected");
	snprintf(buf, sizeof buf, "%ssteps:\n  - name: a\n    exec: x.exe\n"
	    "    title_ja: '  '\n", pb_head);
	refused(buf, 9, 15, "'title_ja' of step 'a' is empty");
	snprintf(buf, sizeof buf, "%ssteps:\n  - name: a\n    exec: x.exe\n"
	    "    description: [a]\n", pb_head);
	refused(buf, 9, 18, "expected");
	snprintf(buf, sizeof buf, "%ssteps:\n  - name: a\n    exec: x.exe\n"
	    "    titel_ja: x\n", pb_head);
	refused(buf, 9, 5, "title_ja");
	snprintf(buf, sizeof buf, "%srollback: []\nsteps:\n  - name: a\n    exec: x.exe\n",
	    pb_head);
	refused(buf, 6, 11, "'rollback' is empty");
	snprintf(buf, sizeof buf, "%srollback:\n  - ok\n  - 'remove {{kb}} and {{kbb}}'\n"
	    "steps:\n  - name: a\n    exec: x.exe\n", pb_head);
	refused(buf, 8, 24, "unknown parameter '{{kbb}}'");
	snprintf(buf, sizeof buf, "%srollback:\n  - '{{host.name}}'\n"
	    "steps:\n  - name: a\n    exec: x.exe\n", pb_head);
	refused(buf, 7, 6, "unknown parameter '{{host.name}}'");
	snprintf(buf, sizeof buf, "%srollback:\n  - ''\nsteps:\n  - name: a\n    exec: x.exe\n",
	    pb_head);
	refused(buf, 7, 5, "rollback step 1 is empty");
}

/* A good one: the texts are kept. */
static void
test_playbook_texts(void **state)
{
	char buf[1024], *path;
	struct ro_playbook *pb;
	struct ro_diags d;

	(void)state;
	snprintf(buf, sizeof buf, "%srollback: 'remove {{kb}}'\nsteps:\n  - name: a\n"
	    "    exec: x.exe\n    title_ja: 適用\n    description: |\n      二行の\n      説明\n",
	    pb_head);
	path = tu_write("ok.yml", buf);
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(path, &pb, &d), RO_OK);
	assert_string_equal(pb->steps[0].title_ja, "適用");
	assert_string_equal(pb->steps[0].description, "二行の\n説明\n");
	assert_int_equal(pb->nrollback, 1);
	assert_string_equal(pb->rollback[0], "remove {{kb}}");
	ro_playbook_free(pb);
	ro_diags_free(&d);
	free(path);
}

/* A campaign like the shipped log collection, with the given contacts. */
static char *
log_campaign(const char *name, const char *contacts)
{
	char buf[2048];

	snprintf(buf, sizeof buf,
	    "campaign: lc\n"
	    "title: t\n"
	    "inventory: %s/inventory/sapporo.yml\n"
	    "playbooks: [%s/playbooks/log-collection.yml]\n"
	    "targets: {hosts: [kita-t05]}\n"
	    "params: {incident: 2026-11-04-kita-t05}\n"
	    "start: 2026-11-04\n"
	    "%s", RO_SOURCE_DIR, RO_SOURCE_DIR, contacts);
	return tu_write(name, buf);
}

static int
campaign_rc(const char *path, struct ro_diags *d, char hash[65])
{
	struct ro_campaign *c = NULL;
	struct ro_plan *p = NULL;
	int rc = ro_campaign_load(path, NULL, 0, &c, d);

	if (rc == RO_OK && (rc = ro_plan_build(c, &p, d)) == RO_OK)
		memcpy(hash, p->hash, 65);
	ro_plan_free(p);
	ro_campaign_free(c);
	return rc;
}

static void
test_contacts(void **state)
{
	char h0[65], h1[65], h2[65], *path;
	struct ro_diags d;

	(void)state;
	ro_diags_init(&d);
	path = log_campaign("c0.yml", "");
	assert_int_equal(campaign_rc(path, &d, h0), RO_OK);
	free(path);
	path = log_campaign("c1.yml", "contacts:\n  - {name: 山田, role: 作業責任者, phone: 011-000-0001}\n");
	assert_int_equal(campaign_rc(path, &d, h1), RO_OK);
	free(path);
	path = log_campaign("c2.yml", "contacts:\n  - {name: 山田, role: 作業責任者, phone: 011-000-0009}\n");
	assert_int_equal(campaign_rc(path, &d, h2), RO_OK);
	free(path);
	/* The contacts are part of what is approved: another number, another plan. */
	assert_string_not_equal(h0, h1);
	assert_string_not_equal(h1, h2);
	ro_diags_free(&d);

	ro_diags_init(&d);
	path = log_campaign("c3.yml", "contacts:\n  - {name: 山田, role: 作業責任者, phone: call me}\n");
	assert_int_equal(campaign_rc(path, &d, h2), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 9, 36, "'call me' is not a phone number"));
	free(path);
	ro_diags_free(&d);
	ro_diags_init(&d);
	path = log_campaign("c4.yml", "contacts:\n  - {name: 山田, phone: 1234}\n");
	assert_int_equal(campaign_rc(path, &d, h2), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 9, 5, "role"));
	free(path);
	ro_diags_free(&d);
	ro_diags_init(&d);
	path = log_campaign("c5.yml", "contacts: []\n");
	assert_int_equal(campaign_rc(path, &d, h2), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 8, 11, "'contacts' is empty"));
	free(path);
	ro_diags_free(&d);
	ro_diags_init(&d);
	path = log_campaign("c6.yml", "contacts:\n  - {name: a, role: b, phone: '1', mail: x}\n");
	assert_int_equal(campaign_rc(path, &d, h2), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 9, 0, "mail"));
	free(path);
	ro_diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_os_update_steps),
		cmocka_unit_test(test_os_update_restarts),
		cmocka_unit_test(test_rollback_and_contacts),
		cmocka_unit_test(test_combined),
		cmocka_unit_test(test_every_shipped_campaign),
		cmocka_unit_test(test_inspection),
		cmocka_unit_test(test_playbook_errors),
		cmocka_unit_test(test_playbook_texts),
		cmocka_unit_test(test_contacts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
