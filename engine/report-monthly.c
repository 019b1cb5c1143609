/*
 * report-monthly.c - 月次報告書: every campaign with work in the month and
 * its results, the incidents of the month (障害対応) with their service
 * level met or missed and why, the security compliance checklist
 * (セキュリティ遵守状況) with what the records can show checked from them
 * and the rest left for a person to confirm, and the people who worked.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "error.h"
#include "incident.h"
#include "report-int.h"
#include "store-report.h"
#include "store.h"
#include "util.h"

static const struct ro_report_col campaign_cols[] = {
	{ "campaign", "作業 (キャンペーン)", 28 },
	{ "title", "件名", 30 },
	{ "playbooks", "作業内容", 24 },
	{ "state", "状態", 10 },
	{ "hosts", "対象端末数", 10 },
	{ "hosts_done", "完了", 8 },
	{ "hosts_skipped", "対象外", 8 },
	{ "hosts_failed", "失敗", 8 },
	{ "steps", "当月の実行手順数", 10 },
	{ "steps_failed", "当月の失敗手順数", 10 },
	{ "first_start", "当月の作業開始", 26 },
	{ "last_end", "当月の作業終了", 26 },
	{ "approvals", "承認数", 8 },
	{ "remarks", "備考", 36 },
};

/* The incidents section (rollout incident, docs/INCIDENTS.md). */
static const struct ro_report_col incident_cols[] = {
	{ "incident", "番号", 8 },
	{ "kind", "種別", 12 },
	{ "host", "端末", 16 },
	{ "state", "状態", 10 },
	{ "instructed_at", "指示日時", 26 },
	{ "deadline", "目標期限", 26 },
	{ "arrived_at", "到着日時", 26 },
	{ "recovered_at", "復旧日時", 26 },
	{ "sla", "目標", 10 },
	{ "rule", "適用した目標", 36 },
	{ "explanation", "未達の理由", 40 },
};

static const struct ro_report_col compliance_cols[] = {
	{ "no", "番号", 6 },
	{ "item", "確認項目", 40 },
	{ "method", "確認方法", 10 },
	{ "result", "結果", 10 },
	{ "evidence", "根拠", 50 },
	{ "checker", "確認者", 12 },
};

static const struct ro_report_col actor_cols[] = {
	{ "actor", "作業者", 20 },
	{ "steps", "実行手順数", 12 },
};

static void
time_or_null(struct ro_report_sheet *s, int64_t t)
{
	if (t == RO_STORE_NO_TIME)
		ro_report_null(s);
	else
		ro_report_time(s, t);
}

static void
campaigns_sheet(struct ro_report *r, const struct ro_month_row *v, size_t n)
{
	struct ro_report_sheet *s = ro_report_sheet(r, "campaigns", "作業一覧", campaign_cols,
	    RO_NELEM(campaign_cols));
	size_t i;

	for (i = 0; i < n; i++) {
		struct ro_buf rm;

		ro_buf_init(&rm);
		if (v[i].reason)
			ro_buf_printf(&rm, "%s", v[i].reason);
		if (v[i].password_steps)
			ro_buf_printf(&rm, "%sパスワード変更手順 %" PRId64 " 件", rm.len ? "。" : "",
			    v[i].password_steps);
		if (v[i].steps_open)
			ro_buf_printf(&rm, "%s結果未記録 %" PRId64 " 件", rm.len ? "。" : "",
			    v[i].steps_open);
		ro_report_row(s);
		ro_report_text(s, v[i].id);
		ro_report_text(s, v[i].title);
		ro_report_text(s, v[i].playbooks);
		ro_report_label(s, v[i].state, ro_label_campaign(v[i].state));
		ro_report_int(s, v[i].hosts);
		ro_report_int(s, v[i].hosts_done);
		ro_report_int(s, v[i].hosts_skipped);
		ro_report_int(s, v[i].hosts_failed);
		ro_report_int(s, v[i].steps);
		ro_report_int(s, v[i].steps_failed);
		time_or_null(s, v[i].first_start);
		time_or_null(s, v[i].last_end);
		ro_report_int(s, v[i].approvals);
		ro_report_text(s, rm.len ? rm.p : NULL);
		ro_buf_free(&rm);
	}
	if (n == 0)
		ro_report_note(s, "この月に実施した作業はありません。");
}

/* What the incidents of a month add up to, for the summary and the checklist. */
struct incident_tally {
	struct ro_report_sheet *sheet;
	int64_t now;
	int64_t count, met, missed, pending, unexplained;
};

static const char *
incident_state_ja(const char *state)
{
	static const struct {
		const char *code, *ja;
	} t[] = { { "open", "対応中" }, { "arrived", "到着済み" }, { "recovered", "復旧済み" },
		  { "closed", "完了" } };
	size_t i;

	for (i = 0; i < RO_NELEM(t); i++)
		if (strcmp(t[i].code, state) == 0)
			return t[i].ja;
	return state;
}

static int
incident_row(void *arg, const struct ro_incident_info *inc)
{
	struct incident_tally *t = arg;
	struct ro_report_sheet *s = t->sheet;
	enum ro_incident_kind kind;
	const char *code, *mark;

	/* Nobody on site yet: missed once the deadline has passed, else the
	 * clock still runs. */
	if (inc->met == 1)
		code = "met", mark = "達成";
	else if (inc->met == 0 || t->now > inc->deadline)
		code = "missed", mark = "未達";
	else
		code = "running", mark = "計測中";
	t->count++;
	t->met += inc->met == 1;
	t->missed += strcmp(code, "missed") == 0;
	t->pending += strcmp(code, "running") == 0;
	t->unexplained += strcmp(code, "missed") == 0 && inc->explanation == NULL;
	ro_report_row(s);
	ro_report_int(s, inc->id);
	ro_report_label(s, inc->kind, ro_incident_kind_parse(inc->kind, &kind) == RO_OK ?
	    ro_incident_kind_ja(kind) : inc->kind);
	ro_report_text(s, inc->host);
	ro_report_label(s, inc->state, incident_state_ja(inc->state));
	ro_report_time(s, inc->instructed_at);
	ro_report_time(s, inc->deadline);
	time_or_null(s, inc->arrived_at);
	time_or_null(s, inc->recovered_at);
	ro_report_label(s, code, mark);
	ro_report_text(s, inc->rule);
	ro_report_text(s, inc->explanation);
	return RO_OK;
}

/*
 * monthly_incidents fills the 障害対応 section from the incident records
 * (`rollout incident`, docs/INCIDENTS.md): one row per incident the city
 * instructed in the month, its on-site deadline by the rule of its kind,
 * met or missed and, when missed, the explanation the contract asks for.
 */
static int
monthly_incidents(struct ro_store *st, const char *month, int64_t now, struct ro_report *r,
    struct incident_tally *t, char **cause)
{
	int rc;

	memset(t, 0, sizeof *t);
	t->sheet = ro_report_sheet(r, "incidents", "障害対応", incident_cols,
	    RO_NELEM(incident_cols));
	t->now = now;
	if ((rc = ro_store_incidents_month(st, month, incident_row, t)) != RO_OK) {
		*cause = ro_xasprintf("the incidents of %s cannot be read: %s", month,
		    ro_store_errmsg(st));
		return rc;
	}
	if (t->count == 0)
		ro_report_note(t->sheet, "この月に指示を受けた障害対応はありません。");
	ro_report_note(t->sheet, "目標: CS は指示から 90 分以内 (業務時間外 180 分)、統合端末は"
	    "翌業務日の朝、タッチパネルは当日 (業務時間外は次の開庁前) に現地着手。");
	return RO_OK;
}

/* One row of the checklist. */
static void
check_row(struct ro_report_sheet *s, int no, const char *item, int automatic,
    const char *code, const char *evidence)
{
	static const struct {
		const char *code, *mark;
	} marks[] = { { "ok", "○" }, { "ng", "×" }, { "check", "要確認" } };
	const char *mark = "要確認";
	size_t i;

	for (i = 0; i < RO_NELEM(marks); i++)
		if (strcmp(marks[i].code, code) == 0)
			mark = marks[i].mark;
	ro_report_row(s);
	ro_report_int(s, no);
	ro_report_text(s, item);
	ro_report_label(s, automatic ? "records" : "person", automatic ? "記録から" : "目視・聞取り");
	ro_report_label(s, code, mark);
	ro_report_text(s, evidence);
	ro_report_null(s);
}

static int
compliance_sheet(struct ro_store *st, struct ro_report *r, int64_t from, int64_t to,
    const struct ro_month_row *v, size_t n, const struct ro_journal_check *jc,
    const struct ro_actor_row *actors, size_t nactors, const struct incident_tally *inc,
    char **cause)
{
	struct ro_report_sheet *s = ro_report_sheet(r, "compliance", "セキュリティ遵守状況",
	    compliance_cols, RO_NELEM(compliance_cols));
	struct ro_calendar *cal = NULL;
	int64_t *starts = NULL, outside = 0, gates = 0, unsigned_gates = 0, pw = 0, failed = 0;
	size_t nstarts = 0, i;
	struct ro_buf e;
	int no = 1, rc;

	if ((rc = ro_store_report_month_starts(st, from, to, &starts, &nstarts, cause)) != RO_OK)
		return rc;
	/* Work outside the office's working time needs the city's instruction
	 * or approval (spec §5(2)): counted here for a person to match with
	 * the approvals, not judged. */
	cal = ro_cal_new();
	for (i = 0; i < nstarts; i++)
		outside += ro_cal_is_working(cal, NULL, starts[i] / 60) == 0;
	ro_cal_free(cal);
	free(starts);
	for (i = 0; i < n; i++) {
		gates += v[i].gates_passed;
		unsigned_gates += v[i].gates_unsigned;
		pw += v[i].password_steps;
		failed += v[i].steps_failed;
	}
	ro_buf_init(&e);

	ro_buf_printf(&e, "作業記録 (ジャーナル) %" PRId64 " 件を検証し、改ざん・欠落なし%s。",
	    jc->records, jc->keyed ? " (MAC 検証あり)" : " (MAC 鍵なしのため鎖のみ検証)");
	check_row(s, no++, "作業記録が改ざんされていないこと", 1, "ok", e.p);

	e.len = 0;
	ro_buf_printf(&e, "承認ゲートを通過したウェーブ %" PRId64 " 件のうち、承認者の電子署名が"
	    "ないもの %" PRId64 " 件。", gates, unsigned_gates);
	check_row(s, no++, "作業は市が承認した作業手順 (計画) に基づき、ゲートごとに承認を"
	    "得て実施したこと", 1, unsigned_gates ? "ng" : "ok", e.p);

	e.len = 0;
	ro_buf_printf(&e, "業務時間外 (平日 8:45〜17:15 以外、休日、年末年始) に開始した手順 %"
	    PRId64 " 件。", outside);
	if (outside)
		ro_buf_adds(&e, "市の指示・承認 (閉庁日作業の承認等) と照合してください。");
	check_row(s, no++, "業務時間外の作業は市の指示・承認によること", 1,
	    outside ? "check" : "ok", e.p);

	e.len = 0;
	ro_buf_printf(&e, "パスワード変更手順 %" PRId64 " 件。パスワードは暗号化された保管庫"
	    "にのみ保存され、記録と報告書には名称と版番号のみ。", pw);
	check_row(s, no++, "管理者パスワードを適切に管理していること", 1, "ok", e.p);

	e.len = 0;
	ro_buf_printf(&e, "当月の失敗手順 %" PRId64 " 件 (作業一覧・各作業報告書に記載)。", failed);
	check_row(s, no++, "作業の失敗・異常を報告していること", 1, failed ? "check" : "ok", e.p);

	e.len = 0;
	ro_buf_adds(&e, "当月の作業者: ");
	for (i = 0; i < nactors; i++)
		ro_buf_printf(&e, "%s%s", i ? "、" : "", actors[i].actor);
	if (nactors == 0)
		ro_buf_adds(&e, "(なし)");
	ro_buf_adds(&e, "。情報資産取扱者名簿と照合してください。");
	check_row(s, no++, "情報資産を取り扱ったのは名簿に登録された者のみであること", 0,
	    "check", e.p);

	check_row(s, no++, "持ち込んだ媒体・更新プログラムのウイルスチェックを行ったこと", 0,
	    "check", "更新プログラムは SHA-256 の一致を確認してから適用 (作業明細)。媒体の"
	    "ウイルスチェックは作業者が確認してください。");
	check_row(s, no++, "私物の機器を使用していないこと", 0, "check", NULL);
	check_row(s, no++, "市のデータを許可なく複製・持ち出していないこと", 0, "check", NULL);
	check_row(s, no++, "離席時にログオフ・画面ロックしていること", 0, "check", NULL);
	e.len = 0;
	ro_buf_printf(&e, "障害対応 %" PRId64 " 件、目標達成 %" PRId64 " 件、未達 %" PRId64
	    " 件 (うち理由未記載 %" PRId64 " 件)、計測中 %" PRId64 " 件。", inc->count, inc->met,
	    inc->missed, inc->unexplained, inc->pending);
	check_row(s, no++, "障害対応の目標 (SLA) 未達には理由を報告していること", 1,
	    inc->unexplained ? "check" : "ok", e.p);
	check_row(s, no++, "セキュリティ事故の発生時に直ちに報告したこと", 0, "check", NULL);
	check_row(s, no++, "市の監査・調査に協力したこと", 0, "check", NULL);
	ro_report_note(s, "結果: ○ 記録から確認済み / × 不適合 / 要確認 担当者が確認して確認者欄に"
	    "記名してください。");
	ro_buf_free(&e);
	return RO_OK;
}

int
ro_report_monthly(struct ro_store *st, struct ro_date first, const struct ro_journal_check *jc,
    int64_t now, struct ro_report **out, char **cause)
{
	struct ro_month_row *v = NULL;
	struct ro_actor_row *actors = NULL;
	struct ro_report_sheet *s;
	struct ro_report *r = NULL;
	struct ro_date next = first, last;
	size_t n = 0, na = 0, i;
	int64_t from, to, steps = 0, failed = 0;
	struct incident_tally inc;
	char era[RO_ERA_MAX], subject[16], a[11], b[11], *t;
	int rc;

	*out = NULL;
	next.m = first.m == 12 ? 1 : first.m + 1;
	next.y = first.m == 12 ? first.y + 1 : first.y;
	from = ro_jst_minute(ro_date_to_day(first), 0) * 60;
	to = ro_jst_minute(ro_date_to_day(next), 0) * 60;
	last = ro_day_to_date(ro_date_to_day(next) - 1);
	snprintf(subject, sizeof subject, "%04d-%02d", first.y % 10000, first.m % 100);
	if ((rc = ro_store_report_month(st, from, to, &v, &n, cause)) != RO_OK ||
	    (rc = ro_store_report_month_actors(st, from, to, &actors, &na, cause)) != RO_OK)
		goto out;
	r = ro_report_new("monthly", "月次報告書", subject);
	for (i = 0; i < n; i++) {
		steps += v[i].steps;
		failed += v[i].steps_failed;
	}
	ro_report_item_text(r, "month", "対象月", ro_era_month(first, era));
	t = ro_xasprintf("%s 〜 %s", ro_date_format_iso(first, a), ro_date_format_iso(last, b));
	ro_report_item_text(r, "period", "対象期間", t);
	free(t);
	ro_report_item_int(r, "campaigns", "作業件数", (int64_t)n);
	ro_report_item_int(r, "steps", "実行手順数", steps);
	ro_report_item_int(r, "steps_failed", "失敗手順数", failed);
	campaigns_sheet(r, v, n);
	if ((rc = monthly_incidents(st, subject, now, r, &inc, cause)) != RO_OK)
		goto out;
	ro_report_item_int(r, "incidents", "障害対応件数", inc.count);
	ro_report_item_int(r, "incidents_met", "うち目標達成", inc.met);
	ro_report_item_int(r, "incidents_missed", "うち目標未達", inc.missed);
	if ((rc = compliance_sheet(st, r, from, to, v, n, jc, actors, na, &inc, cause)) != RO_OK)
		goto out;
	s = ro_report_sheet(r, "actors", "作業者", actor_cols, RO_NELEM(actor_cols));
	for (i = 0; i < na; i++) {
		ro_report_row(s);
		ro_report_text(s, actors[i].actor);
		ro_report_int(s, actors[i].steps);
	}
	ro_report_journal_items(r, jc);
	ro_report_item_time(r, "made_at", "報告書作成日時", now);
	ro_report_item_text(r, "made_by", "報告書作成者", ro_store_actor(st));
	*out = r;
	r = NULL;
out:
	ro_report_free(r);
	ro_month_rows_free(v, n);
	ro_actor_rows_free(actors, na);
	return rc;
}
