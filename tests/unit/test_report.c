/*
 * test_report.c - the report framework without a store: Japanese era dates
 * at the era boundaries, CSV quoting and formula neutralisation, JSON, and
 * the atomic, no-overwrite, no-follow file writing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "report-int.h"
#include "store.h"
#include "util.h"

static void
expect_era(int y, int m, int d, const char *want)
{
	char buf[RO_ERA_MAX];

	assert_string_equal(ro_era_date((struct ro_date){ y, m, d }, buf), want);
}

static void
test_era_boundaries(void **state)
{
	char buf[RO_ERA_MAX];

	(void)state;
	expect_era(2019, 4, 30, "平成31年4月30日");
	expect_era(2019, 5, 1, "令和元年5月1日");
	expect_era(2019, 12, 31, "令和元年12月31日");
	expect_era(2020, 1, 1, "令和2年1月1日");
	expect_era(2026, 11, 30, "令和8年11月30日");
	expect_era(1989, 1, 7, "昭和64年1月7日");
	expect_era(1989, 1, 8, "平成元年1月8日");
	expect_era(1926, 12, 24, "大正15年12月24日");
	expect_era(1926, 12, 25, "昭和元年12月25日");
	expect_era(1912, 7, 29, "明治45年7月29日");
	expect_era(1912, 7, 30, "大正元年7月30日");
	expect_era(1873, 1, 1, "明治6年1月1日");
	expect_era(1872, 12, 31, "1872年12月31日");
	assert_string_equal(ro_era_month((struct ro_date){ 2019, 4, 1 }, buf), "平成31年4月");
	assert_string_equal(ro_era_month((struct ro_date){ 2019, 5, 1 }, buf), "令和元年5月");
	assert_string_equal(ro_era_month((struct ro_date){ 2026, 10, 1 }, buf), "令和8年10月");
	/* JST: 2019-04-30T15:00:00Z is 2019-05-01 00:00 in Tokyo. */
	assert_string_equal(ro_era_time(1556636400, buf), "令和元年5月1日 00:00:00");
	assert_string_equal(ro_era_time(1556636399, buf), "平成31年4月30日 23:59:59");
}

static const struct ro_report_col cols[] = {
	{ "text", "文字", 0 },
	{ "n", "数", 0 },
	{ "at", "日時", 0 },
	{ "result", "結果", 0 },
};

static struct ro_report *
sample(void)
{
	struct ro_report *r = ro_report_new("test", "試験報告書", "s1");
	struct ro_report_sheet *s;

	ro_report_item_text(r, "title", "件名", "=HYPERLINK(\"http://x\")");
	ro_report_item_int(r, "n", "件数", -3);
	s = ro_report_sheet(r, "rows", "明細", cols, RO_NELEM(cols));
	ro_report_row(s);
	ro_report_text(s, "plain");
	ro_report_int(s, -1);
	ro_report_time(s, 1556636400);
	ro_report_label(s, "ok", "正常");
	ro_report_row(s);
	ro_report_text(s, "a, \"quoted\"\nline");
	ro_report_int(s, 3010);
	ro_report_null(s);
	ro_report_label(s, "failed", "失敗");
	ro_report_row(s);
	ro_report_text(s, "+cmd|' /C calc'!A0");
	ro_report_null(s);
	ro_report_null(s);
	ro_report_text(s, "@SUM(1)");
	ro_report_row(s);
	ro_report_text(s, "-2+3");
	ro_report_null(s);
	ro_report_null(s);
	ro_report_text(s, "\tx");
	ro_report_note(s, "注記");
	return r;
}

static void
test_csv(void **state)
{
	struct ro_report *r = sample();
	struct ro_buf b;

	(void)state;
	ro_buf_init(&b);
	ro_report_csv(r, &b);
	assert_memory_equal(b.p, "\xEF\xBB\xBF", 3);
	assert_string_equal(b.p + 3,
	    "[概要]\r\n"
	    "項目,値\r\n"
	    "報告書,試験報告書\r\n"
	    "件名,\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"
	    "件数,-3\r\n"
	    "\r\n"
	    "[明細]\r\n"
	    "文字,数,日時,結果\r\n"
	    "plain,-1,2019-05-01 00:00:00,正常\r\n"
	    "\"a, \"\"quoted\"\"\nline\",3010,,失敗\r\n"
	    "\"'+cmd|' /C calc'!A0\",,,\"'@SUM(1)\"\r\n"
	    "\"'-2+3\",,,\"'\tx\"\r\n"
	    "注: 注記\r\n");
	ro_buf_free(&b);
	ro_report_free(r);
}

static void
test_json(void **state)
{
	struct ro_report *r = sample();
	struct ro_buf b;

	(void)state;
	ro_buf_init(&b);
	ro_report_json(r, &b);
	/* Codes, not labels; ISO times; null for empty; text as it is. */
	assert_non_null(strstr(b.p, "\"summary\":{\"title\":\"=HYPERLINK(\\\"http://x\\\")\",\"n\":-3}"));
	assert_non_null(strstr(b.p, "{\"text\":\"plain\",\"n\":-1,\"at\":\"2019-05-01T00:00:00+09:00\","
	    "\"result\":\"ok\"}"));
	assert_non_null(strstr(b.p, "\"at\":null,\"result\":\"failed\""));
	assert_non_null(strstr(b.p, "\"notes\":[\"注記\"]"));
	ro_buf_free(&b);
	ro_report_free(r);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct ro_buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	ro_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ro_buf_add(&b, chunk, n);
	fclose(f);
	return b.p;
}

static void
test_save(void **state)
{
	char dir[] = "/tmp/test_report.XXXXXX", *path, *victim, *link_path, *cause = NULL, *t;
	struct ro_report *r = sample();
	struct stat sb;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = ro_xasprintf("%s/r.json", dir);
	victim = ro_xasprintf("%s/victim", dir);
	link_path = ro_xasprintf("%s/link.csv", dir);

	assert_int_equal(ro_report_save(r, RO_REPORT_JSON, path, 0, &cause), RO_OK);
	t = read_file(path);
	assert_non_null(strstr(t, "\"report\":\"test\""));
	free(t);
	/* No overwrite without force: refused, the file as it was. */
	f = fopen(path, "w");
	fputs("old", f);
	fclose(f);
	assert_int_equal(ro_report_save(r, RO_REPORT_JSON, path, 0, &cause), RO_EEXIST);
	assert_non_null(strstr(cause, "--force"));
	free(cause);
	cause = NULL;
	t = read_file(path);
	assert_string_equal(t, "old");
	free(t);
	assert_int_equal(ro_report_save(r, RO_REPORT_JSON, path, 1, &cause), RO_OK);
	t = read_file(path);
	assert_non_null(strstr(t, "\"report\":\"test\""));
	free(t);

	/* A link at the name is replaced with force, never written through. */
	f = fopen(victim, "w");
	fputs("victim", f);
	fclose(f);
	assert_int_equal(symlink(victim, link_path), 0);
	assert_int_equal(ro_report_save(r, RO_REPORT_CSV, link_path, 0, &cause), RO_EEXIST);
	free(cause);
	cause = NULL;
	assert_int_equal(ro_report_save(r, RO_REPORT_CSV, link_path, 1, &cause), RO_OK);
	assert_int_equal(lstat(link_path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	t = read_file(victim);
	assert_string_equal(t, "victim");
	free(t);

	/* An xlsx to standard output is refused. */
	assert_int_equal(ro_report_save(r, RO_REPORT_XLSX, "-", 0, &cause), RO_EINVAL);
	free(cause);
	cause = NULL;
	/* The workbook is written and is a zip file. */
	unlink(path);
	free(path);
	path = ro_xasprintf("%s/r.xlsx", dir);
	assert_int_equal(ro_report_save(r, RO_REPORT_XLSX, path, 0, &cause), RO_OK);
	t = read_file(path);
	assert_memory_equal(t, "PK\x03\x04", 4);
	free(t);

	unlink(path);
	unlink(victim);
	unlink(link_path);
	assert_int_equal(rmdir(dir), 0); /* nothing else was left behind */
	free(path);
	free(victim);
	free(link_path);
	ro_report_free(r);
}

static int64_t fixed_now = 1791126000; /* 2026-10-04T15:00:00Z, 2026-10-05 00:00 JST */

static int64_t
fixed_clock(void *ctx)
{
	(void)ctx;
	return fixed_now;
}

/* A password campaign's work report: the credential's name and the vault
 * version for the step that set it, an interrupted step as such, the
 * journal head as the store verifies it. */
static void
test_work_report_from_store(void **state)
{
	char dir[] = "/tmp/test_report_st.XXXXXX", *cause = NULL;
	struct ro_campaign_new c = { "pw-1", "パスワード変更", "password-change", "ab12", "{}", "cd34" };
	struct ro_wave_new w = { "pw-1", 0, "all", 0, 1, RO_STORE_NO_TIME, RO_STORE_NO_TIME };
	struct ro_journal_check jc;
	struct ro_store *st = NULL;
	struct ro_report *r = NULL;
	struct ro_buf b;
	int64_t id;
	int attempt;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ro_store_open_dir(dir, &st, &cause), RO_OK);
	ro_store_set_clock(st, fixed_clock, NULL);
	ro_store_set_actor(st, "tanaka");
	assert_int_equal(ro_store_begin(st), RO_OK);
	assert_int_equal(ro_store_campaign_create(st, &c, &cause), RO_OK);
	assert_int_equal(ro_store_wave_add(st, &w, &cause), RO_OK);
	assert_int_equal(ro_store_host_add(st, "pw-1", "kita-t01", "kita", "127.10.3.1", 0, &cause), RO_OK);
	assert_int_equal(ro_store_commit(st), RO_OK);
	assert_int_equal(ro_store_campaign_set_state(st, "pw-1", RO_CAMPAIGN_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_wave_set_state(st, "pw-1", 0, RO_WAVE_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_host_set_state(st, "pw-1", "kita-t01", RO_HOST_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_begin_group(st), RO_OK);
	assert_int_equal(ro_store_intent_begin(st, "pw-1", "kita-t01", 0, "set-admin", &id, &attempt,
	    &cause), RO_OK);
	assert_int_equal(ro_store_secret_mark(st, id, "windows-admin", 3, &cause), RO_OK);
	assert_int_equal(ro_store_commit(st), RO_OK);
	fixed_now += 65;
	assert_int_equal(ro_store_outcome_record(st, id, RO_STEP_OK, 0, "verified by a fresh login",
	    &cause), RO_OK);
	assert_int_equal(ro_store_intent_begin(st, "pw-1", "kita-t01", 1, "set-defender", &id,
	    &attempt, &cause), RO_OK);

	assert_int_equal(ro_store_begin_read(st), RO_OK);
	assert_int_equal(ro_store_journal_verify(st, &jc, &cause), RO_OK);
	assert_int_equal(ro_report_work(st, "pw-1", &jc, fixed_now, &r, &cause), RO_OK);
	ro_store_rollback(st);
	ro_buf_init(&b);
	ro_report_json(r, &b);
	assert_non_null(strstr(b.p, "\"step\":\"set-admin\",\"attempt\":1,"
	    "\"started_at\":\"2026-10-05T00:00:00+09:00\",\"finished_at\":\"2026-10-05T00:01:05+09:00\","
	    "\"result\":\"ok\",\"exit_code\":0,\"actor\":\"tanaka\",\"credential\":\"windows-admin 版3\""));
	assert_non_null(strstr(b.p, "\"step\":\"set-defender\",\"attempt\":1,"
	    "\"started_at\":\"2026-10-05T00:01:05+09:00\",\"finished_at\":null,"
	    "\"result\":\"interrupted\",\"exit_code\":null,\"actor\":\"tanaka\",\"credential\":null"));
	assert_non_null(strstr(b.p, jc.head));
	b.len = 0;
	ro_report_csv(r, &b);
	assert_non_null(strstr(b.p, "中断(結果未記録)"));
	ro_buf_free(&b);
	ro_report_free(r);
	r = NULL;
	assert_int_equal(ro_report_work(st, "nosuch", &jc, fixed_now, &r, &cause), RO_ENOENT);
	assert_null(r);
	free(cause);
	ro_store_close(st);
	cause = ro_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cause), 0);
	free(cause);
}

/* manual_reached makes the engine's record of a manual step reached on a
 * host: its intent and the 'skipped' outcome that says it waits on site. */
static void
manual_reached(struct ro_store *st, const char *host, int idx, const char *step)
{
	char *cause = NULL;
	int64_t id;
	int attempt;

	assert_int_equal(ro_store_intent_begin(st, "insp-1", host, idx, step, &id, &attempt, &cause),
	    RO_OK);
	assert_int_equal(ro_store_outcome_record(st, id, RO_STEP_SKIPPED, RO_STORE_NO_EXIT_CODE,
	    RO_MANUAL_DETAIL, &cause), RO_OK);
}

/* The on-site checklist from a real store: one sheet per site with the
 * steps still waiting, a recorded step left out, --site keeping one site,
 * an unknown site and campaign refused. */
static void
test_checklist_from_store(void **state)
{
	char dir[] = "/tmp/test_report_ck.XXXXXX", *cause = NULL;
	struct ro_campaign_new c = { "insp-1", "点検", "annual-inspection", "ab12", "{}", "cd34" };
	struct ro_wave_new w = { "insp-1", 0, "all", 0, 1, RO_STORE_NO_TIME, RO_STORE_NO_TIME };
	struct ro_manual_rec rec = { "insp-1", "kita-t01", "t11-devices", "ok", NULL, "tanaka",
	    "田中", "00ff", "aa55", 0 };
	struct ro_journal_check jc;
	struct ro_store *st = NULL;
	struct ro_report *r = NULL;
	struct ro_buf b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ro_store_open_dir(dir, &st, &cause), RO_OK);
	ro_store_set_clock(st, fixed_clock, NULL);
	ro_store_set_actor(st, "tanaka");
	assert_int_equal(ro_store_begin(st), RO_OK);
	assert_int_equal(ro_store_campaign_create(st, &c, &cause), RO_OK);
	assert_int_equal(ro_store_wave_add(st, &w, &cause), RO_OK);
	assert_int_equal(ro_store_host_add(st, "insp-1", "kita-t01", "kita", "127.10.3.1", 0, &cause), RO_OK);
	assert_int_equal(ro_store_host_add(st, "insp-1", "kita-t02", "kita", "127.10.3.2", 0, &cause), RO_OK);
	assert_int_equal(ro_store_host_add(st, "insp-1", "minami-t01", "minami", "127.10.4.1", 0, &cause), RO_OK);
	assert_int_equal(ro_store_commit(st), RO_OK);
	assert_int_equal(ro_store_campaign_set_state(st, "insp-1", RO_CAMPAIGN_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_wave_set_state(st, "insp-1", 0, RO_WAVE_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_host_set_state(st, "insp-1", "kita-t01", RO_HOST_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_host_set_state(st, "insp-1", "kita-t02", RO_HOST_RUNNING, &cause), RO_OK);
	assert_int_equal(ro_store_host_set_state(st, "insp-1", "minami-t01", RO_HOST_RUNNING, &cause), RO_OK);
	manual_reached(st, "kita-t01", 10, "t11-devices");
	manual_reached(st, "kita-t01", 11, "t12-cables");
	manual_reached(st, "kita-t02", 10, "t11-devices");
	manual_reached(st, "minami-t01", 10, "t11-devices");
	rec.at = fixed_now;
	assert_int_equal(ro_store_manual_record(st, &rec, &cause), RO_OK);

	assert_int_equal(ro_store_begin_read(st), RO_OK);
	assert_int_equal(ro_store_journal_verify(st, &jc, &cause), RO_OK);
	assert_int_equal(ro_report_checklist(st, "insp-1", NULL, &jc, fixed_now, &r, &cause), RO_OK);
	ro_buf_init(&b);
	ro_report_json(r, &b);
	/* Three steps wait (kita-t01's t11 is recorded), on two sites. */
	assert_non_null(strstr(b.p, "\"pending\":3,"));
	assert_non_null(strstr(b.p, "\"hosts\":3,"));
	assert_non_null(strstr(b.p, "{\"key\":\"kita\",\"name\":\"kita\""));
	assert_non_null(strstr(b.p, "{\"key\":\"minami\",\"name\":\"minami\""));
	assert_non_null(strstr(b.p, "{\"host\":\"kita-t01\",\"item\":\"t12\",\"step\":\"t12-cables\""));
	/* The recorded step is not on the list. */
	assert_null(strstr(b.p, "{\"host\":\"kita-t01\",\"item\":\"t11\""));
	assert_int_equal(ro_report_sheet_rows(r->sheets[0]), 2);
	assert_int_equal(ro_report_sheet_rows(r->sheets[1]), 1);
	assert_int_equal(r->nsheets, 2);
	ro_report_free(r);
	r = NULL;

	assert_int_equal(ro_report_checklist(st, "insp-1", "minami", &jc, fixed_now, &r, &cause), RO_OK);
	assert_int_equal(r->nsheets, 1);
	assert_string_equal(r->sheets[0]->key, "minami");
	assert_int_equal(ro_report_sheet_rows(r->sheets[0]), 1);
	ro_report_free(r);
	r = NULL;
	assert_int_equal(ro_report_checklist(st, "insp-1", "nowhere", &jc, fixed_now, &r, &cause),
	    RO_ENOENT);
	assert_non_null(strstr(cause, "nowhere"));
	free(cause);
	cause = NULL;
	assert_int_equal(ro_report_checklist(st, "nosuch", NULL, &jc, fixed_now, &r, &cause), RO_ENOENT);
	assert_null(r);
	ro_store_rollback(st);
	ro_buf_free(&b);
	free(cause);
	ro_store_close(st);
	cause = ro_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cause), 0);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_era_boundaries),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_save),
		cmocka_unit_test(test_work_report_from_store),
		cmocka_unit_test(test_checklist_from_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
