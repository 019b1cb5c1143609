/* test_planner.c - campaigns and planner v1: waves, canaries, gates, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "campaign.h"
#include "error.h"
#include "plan-record.h"
#include "planner.h"
#include "store.h"
#include "util.h"
#include "testutil.h"

static const char *playbook =
    "playbook: upd\n"
    "title: Update\n"
    "params:\n"
    "  kb: {type: kb, required: true}\n"
    "  note: {type: string, default: none}\n"
    "targets: {roles: [cs-standby, cs-active, terminal]}\n"
    "policy: {canary: 3, wave_size: 25%, failure_budget: 10%, max_unavailable_per_site: 2,\n"
    "         gates: [after-canary, after-cs]}\n"
    "steps: [{name: probe, check: 'powershell -Command \"Get-HotFix -Id {{kb}}\"'}]\n";

/* Writes a campaign over the Sapporo inventory; policy overrides the playbook's. */
static struct ro_campaign *
campaign(const char *policy_extra, const char *params, struct ro_diags *d)
{
	char text[2048];
	struct ro_campaign *c = NULL;
	char *path;

	free(tu_write("upd.yml", playbook));
	snprintf(text, sizeof text,
	    "campaign: c1\n"
	    "title: test\n"
	    "inventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [upd.yml]\n"
	    "params: {%s}\n"
	    "policy: {%s}\n", params, policy_extra);
	path = tu_write("c1.yml", text);
	ro_campaign_load(path, NULL, 0, &c, d);
	free(path);
	return c;
}

static void
test_sapporo_waves(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c;
	struct ro_plan *p;
	const struct ro_inventory *inv;
	int *seen;
	size_t i, j, total = 0;

	(void)state;
	ro_diags_init(&d);
	c = campaign("", "kb: KB5066835", &d);
	if (c == NULL)
		ro_diags_print(stderr, &d);
	assert_non_null(c);
	inv = c->inv;
	assert_int_equal(c->nhosts, 182);
	assert_string_equal(ro_campaign_param(c, "note"), "none");
	assert_int_equal(ro_plan_build(c, &p, &d), RO_OK);
	/* Standby CS alone, then active CS alone, then 3 canaries, then 4 waves of 25%. */
	assert_int_equal(p->nwaves, 7);
	assert_int_equal(p->waves[0].nhosts, 1);
	assert_string_equal(inv->hosts[p->waves[0].hosts[0]].name, "cs-standby");
	assert_string_equal(inv->hosts[p->waves[1].hosts[0]].name, "cs-active");
	assert_true(p->waves[2].canary);
	assert_int_equal(p->waves[2].nhosts, 3);
	/* Canaries: three different sites, both terminal models. */
	assert_int_equal(p->waves[2].nsites, 3);
	assert_true(inv->hosts[p->waves[2].hosts[0]].model != inv->hosts[p->waves[2].hosts[1]].model ||
	    inv->hosts[p->waves[2].hosts[1]].model != inv->hosts[p->waves[2].hosts[2]].model);
	/* 177 remaining terminals, waves of ceil(25%) = 45. */
	assert_int_equal(p->waves[3].nhosts, 45);
	assert_int_equal(p->waves[6].nhosts, 177 - 3 * 45);
	/* Gates: the first terminal wave (after the CS) and the wave after the canary. */
	assert_false(p->waves[0].gated);
	assert_true(p->waves[2].gated);
	assert_true(p->waves[3].gated);
	assert_false(p->waves[4].gated);
	/* 10% of 45 hosts. */
	assert_int_equal(p->waves[3].failure_budget, 4);
	/* Every host exactly once. */
	seen = calloc(inv->nhosts, sizeof *seen);
	for (i = 0; i < p->nwaves; i++)
		for (j = 0; j < p->waves[i].nhosts; j++) {
			assert_int_equal(seen[p->waves[i].hosts[j]], 0);
			seen[p->waves[i].hosts[j]] = 1;
			total++;
		}
	assert_int_equal(total, 182);
	free(seen);
	/* Interleaving gives each of the four 25% waves about a quarter of every
	 * site: never more than a quarter of the site's terminals plus one. */
	for (i = 3; i < 7; i++) {
		size_t *per = calloc(inv->nsites, sizeof *per), s;
		for (j = 0; j < p->waves[i].nhosts; j++)
			per[inv->hosts[p->waves[i].hosts[j]].site]++;
		for (s = 0; s < inv->nsites; s++)
			assert_true(per[s] <= (inv->sites[s].nhosts + 3) / 4 + 1);
		free(per);
	}
	assert_true(p->waves[3].nsites >= 12);
	ro_plan_free(p);
	ro_campaign_free(c);
	ro_diags_free(&d);
}

static void
test_deterministic_hash(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c1, *c2, *c3;
	struct ro_plan *p1, *p2, *p3;

	(void)state;
	ro_diags_init(&d);
	c1 = campaign("", "kb: KB5066835", &d);
	c2 = campaign("", "kb: KB5066835", &d);
	c3 = campaign("", "kb: KB5066836", &d);
	assert_non_null(c1);
	assert_non_null(c2);
	assert_non_null(c3);
	assert_int_equal(ro_plan_build(c1, &p1, &d), RO_OK);
	assert_int_equal(ro_plan_build(c2, &p2, &d), RO_OK);
	assert_int_equal(ro_plan_build(c3, &p3, &d), RO_OK);
	assert_int_equal(p1->canonical_len, p2->canonical_len);
	assert_memory_equal(p1->canonical, p2->canonical, p1->canonical_len);
	assert_string_equal(p1->hash, p2->hash);
	assert_int_equal(strlen(p1->hash), 64);
	/* A different parameter is a different plan. */
	assert_string_not_equal(p1->hash, p3->hash);
	ro_plan_free(p1);
	ro_plan_free(p2);
	ro_plan_free(p3);
	ro_campaign_free(c1);
	ro_campaign_free(c2);
	ro_campaign_free(c3);
	ro_diags_free(&d);
}

static void
test_per_site_and_limits(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c;
	struct ro_plan *p;
	size_t i;
	uint32_t mn2;

	(void)state;
	ro_diags_init(&d);
	c = campaign("wave_size: per-site, canary: 0", "kb: KB5066835", &d);
	if (c == NULL)
		ro_diags_print(stderr, &d);
	assert_non_null(c);
	assert_int_equal(ro_plan_build(c, &p, &d), RO_OK);
	/* 2 CS waves + one wave per site with terminals (22 sites). */
	assert_int_equal(p->nwaves, 2 + 22);
	for (i = 2; i < p->nwaves; i++)
		assert_int_equal(p->waves[i].nsites, 1);
	assert_true(ro_inventory_site(c->inv, "mynumber-2", &mn2));
	/* The site limit is the lower of the site's own and the policy's (2). */
	assert_true(p->site_limit[mn2] <= 2);
	for (i = 2; i < p->nwaves; i++)
		if (c->inv->hosts[p->waves[i].hosts[0]].site == mn2) {
			assert_int_equal(p->waves[i].nhosts, 20);
			assert_int_equal(p->waves[i].rounds, (20 + p->site_limit[mn2] - 1) / p->site_limit[mn2]);
		}
	ro_plan_free(p);
	ro_campaign_free(c);
	ro_diags_free(&d);
}

static void
test_campaign_errors(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c;
	char *path;

	(void)state;
	ro_diags_init(&d);
	c = campaign("", "", &d);
	assert_null(c);
	assert_true(TU_DIAG_HAS(&d, 5, 0, "missing required parameter 'kb'"));
	ro_diags_free(&d);

	ro_diags_init(&d);
	c = campaign("", "kb: KB5066835, nte: x", &d);
	assert_null(c);
	assert_true(TU_DIAG_HAS(&d, 5, 0, "did you mean 'note'?"));
	ro_diags_free(&d);

	ro_diags_init(&d);
	c = campaign("", "kb: 5066835", &d);
	assert_null(c);
	assert_true(TU_DIAG_HAS(&d, 5, 0, "not a valid kb"));
	ro_diags_free(&d);

	/* Targets that select nothing. */
	free(tu_write("none.yml", "playbook: none\ntitle: N\ntargets: {sites: [kita], roles: [cs-active]}\n"
	    "steps: [{name: a, exec: hostname}]\n"));
	path = tu_write("c2.yml", "campaign: c2\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [none.yml]\n");
	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 3, 10, "select no host"));
	ro_diags_free(&d);
	free(path);

	/* Unknown site in targets, with a suggestion. */
	free(tu_write("typo.yml", "playbook: typo\ntitle: T\ntargets: {sites: [kitaa]}\n"
	    "steps: [{name: a, exec: hostname}]\n"));
	path = tu_write("c3.yml", "campaign: c3\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [typo.yml]\n");
	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 3, 19, "did you mean 'kita'?"));
	ro_diags_free(&d);
	free(path);
}

static void
test_param_args_win(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c = NULL;
	struct ro_param_arg arg = { "kb", "KB1234567" };
	char *path;

	(void)state;
	ro_diags_init(&d);
	ro_campaign_free(campaign("", "kb: KB5066835", &d)); /* writes upd.yml */
	path = tu_write("c1.yml", "campaign: c1\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [upd.yml]\nparams: {kb: KB5066835}\n");
	assert_int_equal(ro_campaign_load(path, &arg, 1, &c, &d), RO_OK);
	assert_string_equal(ro_campaign_param(c, "kb"), "KB1234567");
	ro_campaign_free(c);
	ro_diags_free(&d);
	free(path);
}

static void
test_campaign_narrows_targets(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c = NULL;
	char *path;
	size_t i;

	(void)state;
	ro_diags_init(&d);
	ro_campaign_free(campaign("", "kb: KB5066835", &d)); /* writes upd.yml */
	path = tu_write("c4.yml", "campaign: c4\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [upd.yml]\nparams: {kb: KB5066835}\n"
	    "targets: {sites: [kita, shinoro], exclude: {hosts: [kita-t01]}}\n");
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_OK);
	/* Kita has 17 terminals, Shinoro 3; one excluded. */
	assert_int_equal(c->nhosts, 17 + 3 - 1);
	for (i = 0; i < c->nhosts; i++)
		assert_string_not_equal(c->inv->hosts[c->hosts[i]].name, "kita-t01");
	ro_campaign_free(c);
	free(path);
	path = tu_write("c5.yml", "campaign: c5\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [upd.yml]\nparams: {kb: KB5066835}\ntargets: {hosts: [kita-t99]}\n");
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 5, 19, "unknown host 'kita-t99'"));
	free(path);
	ro_diags_free(&d);
}

static void
test_max_hosts_and_gate_union(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c = NULL;
	char *path;

	(void)state;
	free(tu_write("inc.yml", "playbook: inc\ntitle: I\ntargets: {roles: [terminal]}\nmax_hosts: 2\n"
	    "policy: {canary: 0, gates: [every-wave]}\nsteps: [{name: a, exec: hostname}]\n"));
	/* Not narrowed: 180 terminals against a limit of 2. */
	path = tu_write("c6.yml", "campaign: c6\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [inc.yml]\n");
	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 1, 1, "may touch at most 2 hosts in one campaign; this campaign selects 180"));
	ro_diags_free(&d);
	free(path);
	/* Narrowed to two hosts, with a policy that tries to drop the gates. */
	path = tu_write("c7.yml", "campaign: c7\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [inc.yml]\ntargets: {hosts: [kita-t05, kita-t06]}\npolicy: {gates: none}\n");
	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_OK);
	assert_int_equal(c->nhosts, 2);
	assert_true(c->policy.gates & RO_GATE_EVERY_WAVE);
	ro_campaign_free(c);
	ro_diags_free(&d);
	free(path);
	/* A mistyped host name gets a suggestion from the inventory. */
	path = tu_write("c8.yml", "campaign: c8\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [inc.yml]\ntargets: {hosts: [kita-t5]}\n");
	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 4, 19, "did you mean 'kita-t05'?"));
	ro_diags_free(&d);
	free(path);
}

static void
test_param_type_conflict_names_first_declaration(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c = NULL;
	char *path, *second;

	(void)state;
	free(tu_write("p0.yml", "playbook: p0\ntitle: P0\ntargets: {}\nsteps: [{name: a, exec: hostname}]\n"));
	second = tu_write("p1.yml", "playbook: p1\ntitle: P1\nparams: {kb: {type: kb, default: KB5066835}}\n"
	    "targets: {}\nsteps: [{name: a, exec: hostname}]\n");
	free(tu_write("p2.yml", "playbook: p2\ntitle: P2\nparams: {kb: {type: string, default: x}}\n"
	    "targets: {}\nsteps: [{name: a, exec: hostname}]\n"));
	path = tu_write("c9.yml", "campaign: c9\ninventory: " RO_SOURCE_DIR "/inventory/sapporo.yml\n"
	    "playbooks: [p0.yml, p1.yml, p2.yml]\n");
	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(path, NULL, 0, &c, &d), RO_EINVAL);
	/* Reported in p2, pointing at p1 (not the first playbook) for the first declaration. */
	assert_true(TU_DIAG_HAS(&d, 3, 10, "declared as string here"));
	assert_true(TU_DIAG_HAS(&d, 3, 10, second));
	ro_diags_free(&d);
	free(second);
	free(path);
}

static void
test_plan_record(void **state)
{
	struct ro_diags d;
	struct ro_campaign *c1, *c2;
	struct ro_plan *p1, *p2;
	struct ro_store *st = NULL;
	struct ro_wave_info *waves = NULL;
	struct ro_host_info *hosts = NULL;
	size_t nw = 0, nh = 0;
	char *cause = NULL, dir[512];
	int existed = -1;

	(void)state;
	ro_diags_init(&d);
	c1 = campaign("", "kb: KB5066835", &d);
	c2 = campaign("", "kb: KB5066836", &d);
	assert_int_equal(ro_plan_build(c1, &p1, &d), RO_OK);
	assert_int_equal(ro_plan_build(c2, &p2, &d), RO_OK);
	snprintf(dir, sizeof dir, "%s/state", tu_tmpdir());
	assert_int_equal(ro_store_open_dir(dir, &st, &cause), RO_OK);
	assert_int_equal(ro_plan_record(st, p1, &existed, &cause), RO_OK);
	assert_int_equal(existed, 0);
	assert_int_equal(ro_store_wave_list(st, "c1", &waves, &nw), RO_OK);
	assert_int_equal(nw, p1->nwaves);
	assert_int_equal(waves[2].gated, 1);
	ro_wave_list_free(waves, nw);
	assert_int_equal(ro_store_host_list(st, "c1", -1, &hosts, &nh), RO_OK);
	assert_int_equal(nh, 182);
	ro_host_list_free(hosts, nh);
	/* The same plan again is a no-op; another plan under the id is refused. */
	assert_int_equal(ro_plan_record(st, p1, &existed, &cause), RO_OK);
	assert_int_equal(existed, 1);
	assert_int_equal(ro_plan_record(st, p2, &existed, &cause), RO_EEXIST);
	assert_non_null(strstr(cause, "new id"));
	free(cause);
	ro_store_close(st);
	ro_plan_free(p1);
	ro_plan_free(p2);
	ro_campaign_free(c1);
	ro_campaign_free(c2);
	ro_diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sapporo_waves),
		cmocka_unit_test(test_deterministic_hash),
		cmocka_unit_test(test_per_site_and_limits),
		cmocka_unit_test(test_campaign_errors),
		cmocka_unit_test(test_param_args_win),
		cmocka_unit_test(test_campaign_narrows_targets),
		cmocka_unit_test(test_max_hosts_and_gate_union),
		cmocka_unit_test(test_param_type_conflict_names_first_declaration),
		cmocka_unit_test(test_plan_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
