/*
 * test_sim_inspection.c - every automated item of the shipped annual inspection
 * (playbooks/campaigns/2027-02-annual-inspection.yml) against the simulator's
 * emulated Windows, without a network: on a clean host each of the 23 items
 * passes, and with a `deviate` fault for that item (and only then) it fails
 * and says what it found (issue 13).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "campaign.h"
#include "diag.h"
#include "playbook.h"
#include "sim-commands.h"
#include "sim-faults.h"
#include "sim-state.h"
#include "template.h"

struct fx {
	char dir[64];
	struct sim_state *st;
	struct ro_campaign *c;
	uint32_t term, cs;          /* inventory indexes */
	struct sim_hostctx hterm, hcs;
};

static uint32_t
host_index(const struct ro_campaign *c, const char *name)
{
	for (size_t i = 0; i < c->inv->nhosts; i++)
		if (strcmp(c->inv->hosts[i].name, name) == 0)
			return (uint32_t)i;
	fail_msg("no host %s in the inventory", name);
	return 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ro_diags d;
	char *cause = NULL;
	/* The simulated hosts were first seen on 2026-10-05; their passwords were set a
	 * month before, so the last password campaign is put before that. */
	const struct ro_param_arg args[] = { { "password_changed_on", "2026-09-01" } };

	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(RO_SOURCE_DIR "/playbooks/campaigns/2027-02-annual-inspection.yml",
	    args, 1, &f->c, &d), 0);
	ro_diags_free(&d);
	f->term = host_index(f->c, "chuo-t01");
	f->cs = host_index(f->c, "cs-active");
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sim_inspXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(sim_state_open(f->dir, &f->st, &cause), 0);
	struct sim_host_seed t = { .name = "chuo-t01", .address = f->c->inv->hosts[f->term].address,
		.user = "Administrator", .password = "Init1al-Pass", .now = 1791158400, .index = 3 };
	struct sim_host_seed c = { .name = "cs-active", .cs = 1, .address = f->c->inv->hosts[f->cs].address,
		.user = "Administrator", .password = "Init1al-Pass", .now = 1791158400, .index = 1 };
	assert_int_equal(sim_state_seed_host(f->st, &t), 1);
	assert_int_equal(sim_state_seed_host(f->st, &c), 1);
	f->hterm = (struct sim_hostctx){ .name = "chuo-t01", .site = "chuo", .address = t.address,
		.user = "Administrator", .st = f->st, .now = 1791162000 };
	f->hcs = f->hterm;
	f->hcs.name = "cs-active";
	f->hcs.site = "kikusui";
	f->hcs.address = c.address;
	f->hcs.cs = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	sim_state_close(f->st);
	ro_campaign_free(f->c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Runs a verify command on h with faults (NULL: none): its exit code and output. */
static int
run(const struct sim_hostctx *h0, struct sim_faults *faults, const char *cmd, char *out, size_t n)
{
	struct sim_hostctx h = *h0;
	struct sim_result r;
	uint64_t counter = 0;
	h.faults = faults;
	h.fault_counter = faults ? &counter : NULL;
	sim_result_init(&r);
	sim_exec(&h, cmd, NULL, 0, &r);
	snprintf(out, n, "%s%s", r.out.p ? r.out.p : "", r.err.p ? r.err.p : "");
	int code = r.exit_code;
	sim_result_free(&r);
	return code;
}

static void
test_each_item_clean_and_deviated(void **state)
{
	struct fx *f = *state;
	const struct ro_playbook *pb = f->c->playbooks[0];
	size_t items = 0, runs = 0;
	static char out[256 * 1024];

	for (size_t i = 0; i < pb->nsteps; i++) {
		const struct ro_step *s = &pb->steps[i];
		if (s->kind != RO_STEP_VERIFY)
			continue;
		items++;
		int term = s->roles == 0 || (s->roles & RO_ROLE_BIT(RO_ROLE_TERMINAL));
		uint32_t hi = term ? f->term : f->cs;
		const struct sim_hostctx *h = term ? &f->hterm : &f->hcs;
		int missing = 0;
		char *cmd = ro_template_render(s->command, f->c, hi, &missing);
		char item[4], spec[64], *why = NULL;
		struct sim_faults faults;

		assert_int_equal(missing, 0);
		memcpy(item, s->name, 3);
		item[3] = '\0';
		int code = run(h, NULL, cmd, out, sizeof out);
		if (code != 0)
			fail_msg("%s on a clean %s: exit %d: %s", s->name, h->name, code, out);
		/* A deviation planted for another item leaves this one passing. */
		sim_faults_init(&faults);
		snprintf(spec, sizeof spec, "deviate:%s:%s", h->name, term ? "t01" : "c01");
		assert_int_equal(sim_faults_flag(&faults, spec, &why), 0);
		if (strcmp(item, term ? "t01" : "c01") != 0) {
			code = run(h, &faults, cmd, out, sizeof out);
			if (code != 0)
				fail_msg("%s fails for another item's deviation: %s", s->name, out);
		}
		sim_faults_free(&faults);
		sim_faults_init(&faults);
		snprintf(spec, sizeof spec, "deviate:%s:%s", h->name, item);
		assert_int_equal(sim_faults_flag(&faults, spec, &why), 0);
		code = run(h, &faults, cmd, out, sizeof out);
		if (code == 0)
			fail_msg("%s passes on %s with its deviation planted: %s", s->name, h->name, out);
		if (strstr(out, "RolloutSimNotEmulated") != NULL || out[0] == '\0')
			fail_msg("%s: the deviation is not reported: '%s'", s->name, out);
		sim_faults_free(&faults);
		free(cmd);
		runs++;
	}
	assert_int_equal(items, 23);
	assert_int_equal(runs, 23);
}

static void
test_deviate_flag_checks_item(void **state)
{
	struct sim_faults faults;
	char *why = NULL;
	(void)state;
	sim_faults_init(&faults);
	assert_int_not_equal(sim_faults_flag(&faults, "deviate:kita-t01:t11", &why), 0);
	assert_non_null(strstr(why, "automated inspection item"));
	free(why);
	why = NULL;
	assert_int_not_equal(sim_faults_flag(&faults, "deviate:kita-t01", &why), 0);
	free(why);
	why = NULL;
	assert_int_equal(sim_faults_flag(&faults, "deviate:kita-t01,cs-active:c10", &why), 0);
	assert_non_null(sim_faults_find(&faults, SIM_FAULT_DEVIATE, "cs-active", "kikusui", "c10"));
	assert_null(sim_faults_find(&faults, SIM_FAULT_DEVIATE, "cs-active", "kikusui", "c09"));
	sim_faults_free(&faults);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_item_clean_and_deviated, setup, teardown),
		cmocka_unit_test(test_deviate_flag_checks_item),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
