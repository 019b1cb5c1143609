/* test_template.c - where a {{reference}} stands in a command line, which values may fill
 * it, how they are quoted, and where an upload may read from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "campaign.h"
#include "error.h"
#include "playbook.h"
#include "template.h"
#include "util.h"
#include "testutil.h"

struct seen {
	enum ro_tctx ctx[8];
	int token_start[8];
	size_t n;
};

static int
collect(const struct ro_tref *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->ctx[s->n] = r->ctx;
		s->token_start[s->n] = r->token_start;
		s->n++;
	}
	return 0;
}

/* The context of the only (or first) reference in cmd. */
static enum ro_tctx
ctx_of(const char *cmd)
{
	struct seen s = { .n = 0 };

	assert_int_equal(ro_template_scan(cmd, collect, &s), RO_OK);
	assert_true(s.n >= 1);
	return s.ctx[0];
}

static void
test_contexts(void **state)
{
	struct seen s = { .n = 0 };

	(void)state;
	/* cmd.exe arguments and the command itself. */
	assert_int_equal(ctx_of("wusa.exe C:\\Windows\\Temp\\{{kb}}.msu /quiet"), RO_TCTX_BARE);
	assert_int_equal(ctx_of("{{wrapper}}"), RO_TCTX_BARE);
	assert_int_equal(ctx_of("reg.exe add \"{{key}}\" /f"), RO_TCTX_CMD_DQ);
	/* PowerShell code inside -Command's double quotes. */
	assert_int_equal(ctx_of("powershell -NoProfile -Command \"Get-HotFix -Id {{kb}}\""), RO_TCTX_BARE);
	assert_int_equal(ctx_of("powershell -Command \"$x = '{{s}}'\""), RO_TCTX_PS_SQ);
	assert_int_equal(ctx_of("powershell.exe -c \"$x = 'it''s {{s}}'\""), RO_TCTX_PS_SQ);
	/* A typographic quote opens a PowerShell string as ' does. */
	assert_int_equal(ctx_of("powershell -Command \"$x = \xe2\x80\x98{{s}}\xe2\x80\x99\""), RO_TCTX_PS_SQ);
	/* After the closing quote the reference is bare again. */
	assert_int_equal(ctx_of("powershell -Command \"'a' + {{s}}\""), RO_TCTX_BARE);
	/* PowerShell single quotes outside cmd.exe's quotes: cmd.exe sees & | there. */
	assert_int_equal(ctx_of("powershell -Command '{{s}}'"), RO_TCTX_BARE);
	/* -File arguments, and a quoted command line run later (schtasks /tr): bare. */
	assert_int_equal(ctx_of("powershell -File x.ps1 '{{s}}'"), RO_TCTX_BARE);
	assert_int_equal(ctx_of("schtasks /create /tr \"powershell -File x.ps1 -Dns {{dns}}\""), RO_TCTX_BARE);
	assert_int_equal(ctx_of("schtasks /create /tn \"Rollout {{id}}\""), RO_TCTX_CMD_DQ);
	/* Single quotes mean nothing to cmd.exe outside PowerShell. */
	assert_int_equal(ctx_of("reg.exe add '{{key}}'"), RO_TCTX_BARE);
	/* Token starts, for option injection. */
	assert_int_equal(ro_template_scan("x.exe {{a}} /p:{{b}} C:\\{{c}}", collect, &s), RO_OK);
	assert_int_equal(s.n, 3);
	assert_true(s.token_start[0]);
	assert_false(s.token_start[1]);
	assert_false(s.token_start[2]);
	s.n = 0;
	assert_int_equal(ro_template_scan("echo {{a}", collect, &s), RO_EINVAL);
}

/* Whether value may fill the first reference of cmd. */
static int
fits(const char *cmd, const char *value)
{
	struct ro_tref r;
	struct seen s = { .n = 0 };
	const char *why;
	char bad[32];
	const char *open = strstr(cmd, "{{"), *close = strstr(cmd, "}}");

	assert_int_equal(ro_template_scan(cmd, collect, &s), RO_OK);
	memset(&r, 0, sizeof r);
	r.ctx = s.ctx[0];
	r.token_start = s.token_start[0];
	r.next = close[2];
	(void)open;
	return ro_template_value_ok(&r, value, &why, bad, sizeof bad) == RO_OK;
}

static void
test_values(void **state)
{
	const char *bare = "powershell -Command \"New-Item -Path C:\\logs\\{{id}} -Force\"";
	const char *sq = "powershell -Command \"$x = '{{s}}'\"";
	const char *dq = "reg.exe add \"{{key}}\" /f";

	(void)state;
	assert_true(fits(bare, "2026-11-04-kita-t05"));
	assert_false(fits(bare, "x; Remove-Item -LiteralPath C:\\x -Force; exit 42"));
	assert_false(fits(bare, "x`; calc"));
	assert_false(fits(bare, "$(calc)"));
	assert_false(fits(bare, "a b"));
	assert_false(fits(bare, "x\xe2\x80\x93" "Force"));     /* an en dash: a PowerShell dash */
	assert_false(fits(bare, ""));
	assert_false(fits("wusa.exe {{kb}} /quiet", "-x"));  /* an option */
	assert_false(fits("wusa.exe {{kb}} /quiet", "/uninstall"));
	assert_true(fits(sq, "x'; New-Item C:\\pwned; 'y"));  /* doubled when filled in */
	assert_true(fits(sq, "a & b | c `d $(e) ;"));
	assert_true(fits(sq, "住基ネットCS業務アプリケーション"));
	assert_false(fits(sq, "x\"; calc; \""));
	assert_false(fits(sq, "%COMPUTERNAME%"));
	assert_false(fits(sq, "x\ncalc"));
	assert_false(fits(sq, "x\xe2\x80\x99; calc; \xe2\x80\x98"));  /* U+2019, U+2018 */
	assert_false(fits(sq, "x\xe2\x80\x9d; calc; \xe2\x80\x9c"));  /* U+201D, U+201C */
	assert_true(fits(dq, "HKLM\\SOFTWARE\\a & b | c ^ < >"));
	assert_false(fits(dq, "HKLM\\x\" & calc & \""));
	assert_false(fits(dq, "%PATH%"));
	assert_false(fits(dq, "HKLM\\SOFTWARE\\"));  /* \" would escape the closing quote */
}

static void
test_param_types(void **state)
{
	const char *hint;

	(void)state;
	assert_int_equal(ro_param_check(RO_PT_ID, "2026-11-04-kita-t05", &hint), RO_OK);
	assert_int_equal(ro_param_check(RO_PT_ID, "x;y", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_ID, "", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_PATH, "C:\\rollout\\vendor\\x-set-password.cmd", &hint), RO_OK);
	assert_int_equal(ro_param_check(RO_PT_PATH, "../artifacts/x.msu", &hint), RO_OK);
	assert_int_equal(ro_param_check(RO_PT_PATH, "C:\\x & calc", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_PATH, "C:\\x\"", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_PATH, "C:\\%TEMP%", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_PATH, "-x", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_PATH, "C:\\\xe2\x80\x99x", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_IPV4_LIST, "10.1.1.1,10.1.1.2", &hint), RO_OK);
	assert_int_equal(ro_param_check(RO_PT_IPV4_LIST, "10.1.1.1", &hint), RO_OK);
	assert_int_equal(ro_param_check(RO_PT_IPV4_LIST, "10.1.1.1,", &hint), RO_EINVAL);
	assert_int_equal(ro_param_check(RO_PT_IPV4_LIST, "10.1.1.1 -Foo", &hint), RO_EINVAL);
}

#define INV \
	"inventory: t\n" \
	"sites:\n" \
	"  - {id: s1, name: \"Site 'one'\"}\n" \
	"hosts:\n" \
	"  - {name: h1, site: s1, role: terminal, model: \"M \\\"q\\\"\", os: W, address: 127.0.0.1}\n"

/* Loads a campaign of playbook pb_text with params (a YAML flow mapping). */
static int
load_campaign(const char *pb_text, const char *params, struct ro_campaign **c, struct ro_diags *d)
{
	char text[2048], *inv, *pb, *cp;
	int rc;

	inv = tu_write("inv.yml", INV);
	pb = tu_write("pb.yml", pb_text);
	snprintf(text, sizeof text, "campaign: c\ninventory: inv.yml\nplaybooks: [pb.yml]\nparams: %s\n", params);
	cp = tu_write("c.yml", text);
	ro_diags_init(d);
	rc = ro_campaign_load(cp, NULL, 0, c, d);
	free(inv);
	free(pb);
	free(cp);
	return rc;
}

#define PB_HEAD "playbook: p\ntitle: P\ntargets: {roles: [terminal]}\n"

static void
test_render(void **state)
{
	struct ro_campaign *c = NULL;
	struct ro_diags d;
	char *out;
	int missing;

	(void)state;
	assert_int_equal(load_campaign(PB_HEAD
	    "params: {s: {type: string, required: true}, i: {type: id, required: true}}\n"
	    "steps: [{name: a, exec: 'powershell -Command \"''{{s}}'' + ''{{site.name}}''; Get-Item C:\\{{i}}\"'}]\n",
	    "{s: \"x'; calc; 'y\", i: ok-1}", &c, &d), RO_OK);
	ro_diags_free(&d);
	out = ro_template_render(c->playbooks[0]->steps[0].command, c, 0, &missing);
	assert_int_equal(missing, 0);
	assert_string_equal(out, "powershell -Command \"'x''; calc; ''y' + 'Site ''one'''; Get-Item C:\\ok-1\"");
	free(out);
	ro_campaign_free(c);
}

static void
test_refusals(void **state)
{
	struct ro_campaign *c = NULL;
	struct ro_diags d;
	struct ro_playbook *pb = NULL;
	char *path;

	(void)state;
	/* A string that stands bare is refused in the playbook, at the reference. */
	path = tu_write("bare.yml", PB_HEAD
	    "params: {incident: {type: string, required: true}}\n"
	    "steps:\n"
	    "  - name: a\n"
	    "    exec: 'wevtutil epl System C:\\logs\\{{incident}}\\System.evtx'\n");
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(path, &pb, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 7, 40, "'{{incident}}' is free text but stands unquoted"));
	ro_diags_free(&d);
	free(path);
	/* So is inventory free text. */
	path = tu_write("bare2.yml", PB_HEAD "steps: [{name: a, exec: 'echo {{host.model}}'}]\n");
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(path, &pb, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 4, 31, "'{{host.model}}' is free text"));
	ro_diags_free(&d);
	free(path);
	/* A value that its quoted position cannot hold is refused at the value. */
	assert_int_equal(load_campaign(PB_HEAD
	    "params: {s: {type: string, required: true}}\n"
	    "steps: [{name: a, exec: 'powershell -Command \"''{{s}}''\"'}]\n",
	    "{s: \"x\\\"; calc\"}", &c, &d), RO_EINVAL);
	assert_null(c);
	assert_true(TU_DIAG_HAS(&d, 4, 13, "parameter 's' refused: a double quote would end cmd.exe's quotes"));
	ro_diags_free(&d);
	/* And the inventory's text too: the model holds a double quote. */
	assert_int_equal(load_campaign(PB_HEAD
	    "steps: [{name: a, exec: 'reg.exe add \"HKLM\\{{host.model}}\" /f'}]\n", "{}", &c, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 5, 5, "host.model of h1 refused"));
	ro_diags_free(&d);
}

static void
test_uploads(void **state)
{
	char *root, *why, *out, *sub, *state_dir, *key, *link, *cmd;
	struct ro_playbook *pb = NULL;
	struct ro_diags d;

	(void)state;
	root = ro_xasprintf("%s/tree", tu_tmpdir());
	sub = ro_xasprintf("%s/scripts", root);
	state_dir = ro_xasprintf("%s/.rollout", root);
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(state_dir, 0700), 0);
	free(tu_write("tree/scripts/a.ps1", "x"));
	free(tu_write("tree/.rollout/id_ed25519", "secret"));
	key = ro_xasprintf("%s/id_ed25519", state_dir);
	link = ro_xasprintf("%s/escape", sub);
	assert_int_equal(symlink("/etc/passwd", link), 0);

	assert_int_equal(ro_upload_resolve(root, root, "scripts/a.ps1", &out, &why), RO_OK);
	assert_non_null(strstr(out, "/tree/scripts/a.ps1"));
	free(out);
	assert_int_equal(ro_upload_resolve(root, root, "scripts/not-yet.ps1", &out, &why), RO_OK);
	free(out);
	assert_int_equal(ro_upload_resolve(root, root, key, &out, &why), RO_EINVAL);
	assert_non_null(strstr(why, "relative"));
	free(why);
	assert_int_equal(ro_upload_resolve(root, root, "../../../../etc/passwd", &out, &why), RO_EINVAL);
	assert_non_null(strstr(why, "outside the playbook's directory"));
	free(why);
	assert_int_equal(ro_upload_resolve(root, root, "scripts/escape", &out, &why), RO_EINVAL);
	assert_non_null(strstr(why, "outside the playbook's directory"));
	free(why);
	assert_int_equal(ro_upload_resolve(root, root, ".rollout/id_ed25519", &out, &why), RO_EINVAL);
	assert_non_null(strstr(why, "state directory"));
	free(why);

	/* In a playbook: refused at the src, with file:line:col. */
	cmd = ro_xasprintf(PB_HEAD "steps:\n  - name: a\n    upload: {src: %s, dest: 'C:\\x', sha256: 0000000000000000000000000000000000000000000000000000000000000000}\n", key);
	free(tu_write("tree/up.yml", cmd));
	free(cmd);
	cmd = ro_xasprintf("%s/up.yml", root);
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(cmd, &pb, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 6, 19, "upload src"));
	ro_diags_free(&d);
	free(tu_write("tree/up.yml", PB_HEAD "steps:\n  - name: a\n    upload: {src: ../../../../etc/passwd, dest: 'C:\\x', sha256: 0000000000000000000000000000000000000000000000000000000000000000}\n"));
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(cmd, &pb, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 6, 19, "outside the playbook's directory"));
	ro_diags_free(&d);
	free(tu_write("tree/up.yml", PB_HEAD "steps:\n  - name: a\n    upload: {src: scripts/a.ps1, dest: 'C:\\x', sha256: 0000000000000000000000000000000000000000000000000000000000000000}\n"));
	ro_diags_init(&d);
	assert_int_equal(ro_playbook_load(cmd, &pb, &d), RO_OK);
	assert_non_null(strstr(pb->steps[0].src_file, "/tree/scripts/a.ps1"));
	ro_playbook_free(pb);
	ro_diags_free(&d);
	free(cmd);
	free(root);
	free(sub);
	free(state_dir);
	free(key);
	free(link);
}

static void
test_bom(void **state)
{
	enum ro_file_kind kind;
	struct ro_diags d;
	char *path = tu_write("bom.yml", "\xef\xbb\xbf# a comment\nplaybook: p\ntitle: P\n");

	(void)state;
	ro_diags_init(&d);
	assert_int_equal(ro_file_kind_of(path, &kind, &d), RO_OK);
	assert_int_equal(kind, RO_FILE_PLAYBOOK);
	ro_diags_free(&d);
	free(path);
	path = tu_write("bom2.yml", "\xef\xbb\xbfplaybook: p\n");
	ro_diags_init(&d);
	assert_int_equal(ro_file_kind_of(path, &kind, &d), RO_OK);
	assert_int_equal(kind, RO_FILE_PLAYBOOK);
	ro_diags_free(&d);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_param_types),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_uploads),
		cmocka_unit_test(test_bom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
