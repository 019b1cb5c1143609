/* test_playbook.c - the playbook loader: steps, phases, policy, templates, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "playbook.h"
#include "util.h"
#include "testutil.h"

#define HEAD \
	"playbook: p\n" \
	"title: P\n" \
	"params:\n" \
	"  kb: {type: kb, required: true}\n" \
	"targets: {roles: [cs-standby, cs-active, terminal]}\n"

static struct ro_playbook *
load_ok(const char *text)
{
	struct ro_playbook *pb = NULL;
	struct ro_diags d;
	char *path = tu_write("pb.yml", text);

	ro_diags_init(&d);
	if (ro_playbook_load(path, &pb, &d) != RO_OK)
		ro_diags_print(stderr, &d);
	assert_non_null(pb);
	ro_diags_free(&d);
	free(path);
	return pb;
}

static void
load_bad(const char *text, int line, int col, const char *needle)
{
	struct ro_playbook *pb = NULL;
	struct ro_diags d;
	char *path = tu_write("bad.yml", text);

	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(path, &pb, &d), RO_EINVAL);
	assert_null(pb);
	assert_true(TU_DIAG_HAS(&d, line, col, needle));
	ro_diags_free(&d);
	free(path);
}

static void
test_steps(void **state)
{
	struct ro_playbook *pb;

	(void)state;
	pb = load_ok(HEAD
	    "steps:\n"
	    "  - {name: probe, check: 'powershell -Command \"Get-HotFix -Id {{kb}}\"'}\n"
	    "  - name: install\n"
	    "    exec: 'wusa.exe C:\\Windows\\Temp\\{{ kb }}.msu /quiet /norestart'\n"
	    "    expect: [0, 3010, 2359302]\n"
	    "    reboot_required: [3010]\n"
	    "    timeout: 1h30m\n"
	    "    retries: 2\n"
	    "  - {name: restart, reboot: {timeout: 15m, if_required: true}}\n"
	    "  - {name: lock, manual: {instruction: Check the wire lock, instruction_ja: ワイヤーロック確認}, roles: terminal}\n"
	    "  - name: pw\n"
	    "    roles: [cs-active, cs-standby]\n"
	    "    password: {credential: windows-admin, account: Administrator, apply: 'net user Administrator *', verify: login}\n");
	assert_int_equal(pb->nsteps, 5);
	assert_int_equal(pb->steps[0].kind, RO_STEP_CHECK);
	/* Checks and verifies only read the host; everything else may change it. */
	assert_true(pb->steps[0].read_only);
	assert_false(pb->steps[1].read_only);
	assert_false(pb->steps[2].read_only);
	assert_int_equal(pb->steps[1].kind, RO_STEP_EXEC);
	assert_int_equal(pb->steps[1].nexpect, 3);
	assert_int_equal(pb->steps[1].expect[2], 2359302);
	assert_int_equal(pb->steps[1].timeout, 5400);
	assert_int_equal(pb->steps[1].retries, 2);
	assert_int_equal(pb->steps[1].reboot_required[0], 3010);
	assert_int_equal(pb->steps[2].kind, RO_STEP_REBOOT);
	assert_true(pb->steps[2].if_required);
	assert_int_equal(pb->steps[2].timeout, 900);
	assert_int_equal(pb->steps[3].roles, RO_ROLE_BIT(RO_ROLE_TERMINAL));
	assert_string_equal(pb->steps[3].instruction_ja, "ワイヤーロック確認");
	assert_string_equal(pb->steps[4].credential, "windows-admin");
	assert_null(pb->steps[4].verify);
	/* Default phases: standby, active, terminals, each after the previous. */
	assert_int_equal(pb->nphases, 3);
	assert_string_equal(pb->phases[0].name, "cs-standby");
	assert_int_equal(pb->phases[2].after[0], 1);
	ro_playbook_free(pb);
}

static void
test_policy(void **state)
{
	struct ro_playbook *pb;

	(void)state;
	pb = load_ok(HEAD
	    "policy: {canary: 2, wave_size: per-site, concurrency: 30, max_unavailable_per_site: 50%,\n"
	    "         failure_budget: 3, window: closed-office, skew: none, gates: [after-cs, every-wave]}\n"
	    "steps: [{name: a, exec: hostname}]\n");
	assert_int_equal(pb->policy.canary, 2);
	assert_int_equal(pb->policy.wave_kind, RO_WAVE_PER_SITE);
	assert_int_equal(pb->policy.concurrency, 30);
	assert_true(pb->policy.max_unavailable.pct);
	assert_int_equal(pb->policy.max_unavailable.value, 50);
	assert_false(pb->policy.failure_budget.pct);
	assert_int_equal(pb->policy.window, RO_WINDOW_CLOSED_OFFICE);
	assert_int_equal(pb->policy.skew, RO_SKEW_NONE);
	assert_int_equal(pb->policy.gates, RO_GATE_AFTER_CS | RO_GATE_EVERY_WAVE);
	ro_playbook_free(pb);
	load_bad(HEAD "policy: {concurency: 3}\nsteps: [{name: a, exec: hostname}]\n", 6, 10,
	    "did you mean 'concurrency'?");
	load_bad(HEAD "policy: {wave_size: 120%}\nsteps: [{name: a, exec: hostname}]\n", 6, 21,
	    "over 100%");
	load_bad(HEAD "policy: {window: weekend}\nsteps: [{name: a, exec: hostname}]\n", 6, 18,
	    "closed-office");
	load_bad(HEAD "policy: {concurrency: many}\nsteps: [{name: a, exec: hostname}]\n", 6, 23,
	    "expected a whole number");
}

/* An exec that only reads says so; it is then retried like a verify. */
static void
test_read_only_exec(void **state)
{
	struct ro_playbook *pb;

	(void)state;
	pb = load_ok(HEAD "steps:\n"
	    "  - {name: collect, exec: 'wevtutil epl System C:\\t\\s.evtx', read_only: true}\n"
	    "  - {name: tidy, exec: 'del x', read_only: false}\n"
	    "  - {name: ok, verify: 'exit 0'}\n");
	assert_true(pb->steps[0].read_only);
	assert_false(pb->steps[1].read_only);
	assert_true(pb->steps[2].read_only);
	ro_playbook_free(pb);
}

static void
test_step_errors(void **state)
{
	(void)state;
	load_bad(HEAD "steps: [{name: a, exec: 'echo {{kbb}}'}]\n", 6, 31, "did you mean '{{kb}}'?");
	load_bad(HEAD "steps: [{name: a, exec: x, verify: y}]\n", 6, 36, "has two kinds");
	load_bad(HEAD "steps: [{name: a, timeout: 5m}]\n", 6, 9, "says nothing to do");
	load_bad(HEAD "steps: [{name: a, exec: x}, {name: a, exec: y}]\n", 6, 36, "duplicate step name");
	load_bad(HEAD "steps: [{name: a, exec: x, timeout: soon}]\n", 6, 37, "expected a duration");
	load_bad(HEAD "steps: [{name: a, manual: x, expect: [0]}]\n", 6, 38, "does not apply");
	load_bad(HEAD "steps: []\n", 6, 8, "empty");
	load_bad(HEAD "steps: [{name: a, exec: x, continue_on_failure: true}]\n", 6, 49, "does not apply");
	load_bad(HEAD "steps: [{name: a, upload: {src: a, dest: b, sha256: x}, read_only: true}]\n", 6, 68,
	    "applies to exec steps only");
	load_bad(HEAD "steps: [{name: a, exec: x, read_only: maybe}]\n", 6, 39, "");
	load_bad("playbook: p\ntitle: P\ntargets: {roles: [terminal]}\n"
	    "steps: [{name: a, exec: x, roles: [cs-active]}]\n", 4, 35, "can never run");
	load_bad("playbook: p\ntitle: P\nparams: {v: {type: version, required: true, default: '1.0'}}\n"
	    "targets: {}\nsteps: [{name: a, exec: x}]\n", 3, 54, "required and also has a default");
	load_bad("playbook: p\ntitle: P\nparams: {v: {type: sha256, default: abc}}\n"
	    "targets: {}\nsteps: [{name: a, exec: x}]\n", 3, 37, "not a valid sha256");
}

static void
test_phases(void **state)
{
	struct ro_playbook *pb;

	(void)state;
	/* Declared out of order: sorted so that each phase follows its 'after'. */
	pb = load_ok("playbook: p\ntitle: P\ntargets: {}\n"
	    "phases:\n"
	    "  - {name: t, roles: [terminal], after: [act]}\n"
	    "  - {name: act, roles: [cs-active], after: [sb]}\n"
	    "  - {name: sb, roles: [cs-standby]}\n"
	    "steps: [{name: a, exec: x}]\n");
	assert_int_equal(pb->nphases, 3);
	assert_string_equal(pb->phases[0].name, "sb");
	assert_string_equal(pb->phases[1].name, "act");
	assert_string_equal(pb->phases[2].name, "t");
	assert_int_equal(pb->phases[2].after[0], 1);
	ro_playbook_free(pb);

	load_bad("playbook: p\ntitle: P\ntargets: {}\n"
	    "phases:\n"
	    "  - {name: one, roles: [cs-standby], after: [three]}\n"
	    "  - {name: two, roles: [cs-active], after: [one]}\n"
	    "  - {name: three, roles: [terminal], after: [two]}\n"
	    "steps: [{name: a, exec: x}]\n", 0, 0, "form a cycle");
	load_bad("playbook: p\ntitle: P\ntargets: {}\n"
	    "phases:\n"
	    "  - {name: act, roles: [cs-active]}\n"
	    "  - {name: sb, roles: [cs-standby], after: [act]}\n"
	    "  - {name: t, roles: [terminal], after: [sb]}\n"
	    "steps: [{name: a, exec: x}]\n", 5, 5, "must come after phase 'sb'");
	load_bad("playbook: p\ntitle: P\ntargets: {}\n"
	    "phases:\n"
	    "  - {name: cs, roles: [cs-active, cs-standby]}\n"
	    "  - {name: t, roles: [terminal], after: [sc]}\n"
	    "steps: [{name: a, exec: x}]\n", 6, 42, "did you mean 'cs'?");
	load_bad("playbook: p\ntitle: P\ntargets: {}\n"
	    "phases:\n"
	    "  - {name: cs, roles: [cs-active, cs-standby]}\n"
	    "steps: [{name: a, exec: x}]\n", 5, 3, "no phase covers it");
}

static void
test_shipped_playbooks(void **state)
{
	static const char *const files[] = { "os-security-update", "jlis-app-update",
		"settings-change", "password-change", "annual-inspection", "log-collection",
		"ip-change", "touch-panel-recovery" };
	size_t i;

	(void)state;
	for (i = 0; i < RO_NELEM(files); i++) {
		char path[512];
		struct ro_playbook *pb = NULL;
		struct ro_diags d;
		snprintf(path, sizeof path, RO_SOURCE_DIR "/playbooks/%s.yml", files[i]);
		ro_diags_init(&d);
		if (ro_playbook_load(path, &pb, &d) != RO_OK)
			ro_diags_print(stderr, &d);
		assert_non_null(pb);
		assert_string_equal(pb->name, files[i]);
		assert_non_null(pb->work);
		ro_playbook_free(pb);
		ro_diags_free(&d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_step_errors),
		cmocka_unit_test(test_read_only_exec),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_shipped_playbooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
