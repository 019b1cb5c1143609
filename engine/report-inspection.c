/*
 * report-inspection.c - 点検報告書: the annual inspection's 29 items for every
 * host of a campaign, ○ (passed, or checked on site and fine), × (a finding)
 * or 要確認 (not checked yet, or the check could not run), with the findings
 * and their output and the on-site records with the person who made each
 * (docs/INSPECTION.md). Built from the store only; nothing secret is in it.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report-int.h"
#include "store.h"
#include "util.h"

/* An .xlsx cell holds at most 32,767 characters; a finding's output is cut
 * well below (the whole output is in `rollout status --json`). */
#define OUTPUT_MAX 8000

/* The 29 items of 作業詳細 4, in the order of the checklist. */
static const char *const items[] = {
	"t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09", "t10", "t11", "t12",
	"t13", "t14", "t15", "t16", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08",
	"c09", "c10", "c11", "c12", "c13",
};
#define NITEMS (sizeof items / sizeof items[0])

static const struct ro_report_col matrix_cols[] = {
	{ "site", "拠点", 14 },
	{ "host", "端末", 16 },
	{ "kind", "種別", 8 },
	{ "t01", "端末1", 6 }, { "t02", "端末2", 6 }, { "t03", "端末3", 6 }, { "t04", "端末4", 6 },
	{ "t05", "端末5", 6 }, { "t06", "端末6", 6 }, { "t07", "端末7", 6 }, { "t08", "端末8", 6 },
	{ "t09", "端末9", 6 }, { "t10", "端末10", 6 }, { "t11", "端末11", 6 }, { "t12", "端末12", 6 },
	{ "t13", "端末13", 6 }, { "t14", "端末14", 6 }, { "t15", "端末15", 6 }, { "t16", "端末16", 6 },
	{ "c01", "CS1", 6 }, { "c02", "CS2", 6 }, { "c03", "CS3", 6 }, { "c04", "CS4", 6 },
	{ "c05", "CS5", 6 }, { "c06", "CS6", 6 }, { "c07", "CS7", 6 }, { "c08", "CS8", 6 },
	{ "c09", "CS9", 6 }, { "c10", "CS10", 6 }, { "c11", "CS11", 6 }, { "c12", "CS12", 6 },
	{ "c13", "CS13", 6 },
	{ "findings", "指摘件数", 8 },
};

static const struct ro_report_col finding_cols[] = {
	{ "site", "拠点", 14 },
	{ "host", "端末", 16 },
	{ "item", "点検項目", 8 },
	{ "step", "手順", 24 },
	{ "on_site", "確認方法", 10 },
	{ "exit_code", "終了コード", 10 },
	{ "detail", "指摘内容", 40 },
	{ "person", "確認者", 14 },
	{ "at", "日時", 26 },
	{ "output", "出力 (先頭)", 60 },
};

static const struct ro_report_col onsite_cols[] = {
	{ "site", "拠点", 14 },
	{ "host", "端末", 16 },
	{ "item", "点検項目", 8 },
	{ "step", "手順", 24 },
	{ "result", "結果", 12 },
	{ "person", "確認者", 14 },
	{ "person_id", "確認者 (鍵の名義)", 14 },
	{ "login", "ログイン名", 12 },
	{ "at", "確認日時", 26 },
	{ "note", "備考", 40 },
};

/* One host's mark for one item: ○, × or 要確認; NULL when the item is not
 * for the host's kind. */
static const char *
mark(const char *host, const char *item, int cs, const struct ro_step_record *h, size_t nh,
    const struct ro_finding *f, size_t nf, const struct ro_manual_item *m, size_t nm)
{
	const struct ro_step_record *last = NULL;
	size_t i;

	if ((item[0] == 'c') != (cs == 1))
		return NULL;
	for (i = 0; i < nf; i++)
		if (strcmp(f[i].host, host) == 0 && f[i].item && strcmp(f[i].item, item) == 0)
			return "×";
	for (i = 0; i < nm; i++)
		if (strcmp(m[i].host, host) == 0 && strncmp(m[i].step_name, item, 3) == 0)
			return m[i].result == NULL ? "要確認" : "○";
	for (i = 0; i < nh; i++)
		if (strncmp(h[i].step_name, item, 3) == 0 && (last == NULL || h[i].intent > last->intent))
			last = &h[i];
	return last != NULL && last->has_outcome && last->status == RO_STEP_OK ? "○" : "要確認";
}

int
ro_report_inspection(struct ro_store *st, const char *campaign, const struct ro_journal_check *jc,
    int64_t now, struct ro_report **out, char **cause)
{
	struct ro_campaign_info c;
	struct ro_host_info *hosts = NULL;
	struct ro_finding *f = NULL;
	struct ro_manual_item *m = NULL;
	struct ro_report *r = NULL;
	struct ro_report_sheet *sm, *sf, *so;
	size_t nhosts = 0, nf = 0, nm = 0, i, k, pending = 0, marks[3] = { 0, 0, 0 };
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof c);
	if ((rc = ro_store_campaign_get(st, campaign, &c, cause)) != RO_OK)
		return rc;
	if ((rc = ro_store_host_list(st, campaign, -1, &hosts, &nhosts)) != RO_OK ||
	    (rc = ro_store_findings_list(st, campaign, &f, &nf)) != RO_OK ||
	    (rc = ro_store_manual_list(st, campaign, &m, &nm)) != RO_OK) {
		*cause = ro_xasprintf("%s", ro_store_errmsg(st));
		goto out;
	}
	for (i = 0; i < nm; i++)
		pending += m[i].result == NULL;
	r = ro_report_new("inspection", "統合端末等設置及び設定状況チェック 点検報告書", c.id);
	ro_report_item_text(r, "campaign", "作業 (キャンペーン)", c.id);
	ro_report_item_text(r, "title", "件名", c.title);
	ro_report_item_text(r, "plan_hash", "計画ハッシュ", c.plan_hash);
	ro_report_item_int(r, "hosts", "対象端末数", (int64_t)nhosts);
	ro_report_item_int(r, "findings", "指摘件数", (int64_t)nf);
	ro_report_item_int(r, "on_site_pending", "現地確認 未記録", (int64_t)pending);
	ro_report_item_text(r, "legend", "凡例", "○ 適合 / × 指摘あり / 要確認 未確認・確認不能 / 空欄 対象外");
	ro_report_item_time(r, "made_at", "作成日時", now);
	ro_report_journal_items(r, jc);

	sm = ro_report_sheet(r, "matrix", "点検結果一覧", matrix_cols, RO_NELEM(matrix_cols));
	for (i = 0; i < nhosts; i++) {
		struct ro_step_record *h = NULL;
		size_t nh = 0, nfh = 0;
		int cs = -1;
		if ((rc = ro_store_host_history(st, campaign, hosts[i].host, &h, &nh)) != RO_OK) {
			*cause = ro_xasprintf("%s", ro_store_errmsg(st));
			goto out;
		}
		/* The host's kind from the items the engine ran on it. */
		for (k = 0; k < nh && cs < 0; k++) {
			char *it = ro_finding_item(h[k].step_name);
			if (it != NULL)
				cs = it[0] == 'c';
			free(it);
		}
		ro_report_row(sm);
		ro_report_text(sm, hosts[i].site);
		ro_report_text(sm, hosts[i].host);
		ro_report_text(sm, cs < 0 ? "未実施" : cs ? "CS" : "端末");
		for (k = 0; k < NITEMS; k++) {
			const char *v = cs < 0 ? "要確認" : mark(hosts[i].host, items[k], cs, h, nh, f, nf, m, nm);
			if (v == NULL)
				ro_report_null(sm);
			else {
				ro_report_text(sm, v);
				marks[strcmp(v, "○") == 0 ? 0 : strcmp(v, "×") == 0 ? 1 : 2]++;
			}
		}
		for (k = 0; k < nf; k++)
			nfh += strcmp(f[k].host, hosts[i].host) == 0;
		ro_report_int(sm, (int64_t)nfh);
		ro_step_record_list_free(h, nh);
	}
	ro_report_note(sm, "点検項目の番号は作業詳細4による (端末1-16、CS1-13)。端末11・12・13・15、CS11・12は現地確認。");
	ro_report_item_int(r, "marks_ok", "○ の数", (int64_t)marks[0]);
	ro_report_item_int(r, "marks_finding", "× の数", (int64_t)marks[1]);
	ro_report_item_int(r, "marks_unchecked", "要確認 の数", (int64_t)marks[2]);

	sf = ro_report_sheet(r, "findings", "指摘事項", finding_cols, RO_NELEM(finding_cols));
	for (i = 0; i < nf; i++) {
		char *d = ro_report_clip(f[i].detail, 2000), *o = ro_report_clip(f[i].output, OUTPUT_MAX);
		ro_report_row(sf);
		ro_report_text(sf, f[i].site);
		ro_report_text(sf, f[i].host);
		ro_report_text(sf, f[i].item);
		ro_report_text(sf, f[i].step_name);
		ro_report_label(sf, f[i].manual ? "on_site" : "automated", f[i].manual ? "現地確認" : "自動点検");
		if (f[i].exit_code == RO_STORE_NO_EXIT_CODE)
			ro_report_null(sf);
		else
			ro_report_int(sf, f[i].exit_code);
		ro_report_text(sf, d);
		ro_report_text(sf, f[i].manual ? (f[i].person_ja ? f[i].person_ja : f[i].person) : NULL);
		ro_report_time(sf, f[i].at);
		ro_report_text(sf, o);
		free(d);
		free(o);
	}
	if (nf == 0)
		ro_report_note(sf, "指摘事項はない。");

	so = ro_report_sheet(r, "on_site", "現地確認記録", onsite_cols, RO_NELEM(onsite_cols));
	for (i = 0; i < nm; i++) {
		char *it = ro_finding_item(m[i].step_name);
		ro_report_row(so);
		ro_report_text(so, m[i].site);
		ro_report_text(so, m[i].host);
		ro_report_text(so, it);
		ro_report_text(so, m[i].step_name);
		if (m[i].result == NULL)
			ro_report_label(so, "pending", "未記録");
		else
			ro_report_label(so, m[i].result, strcmp(m[i].result, "finding") == 0 ? "指摘あり" :
			    strcmp(m[i].result, "ok") == 0 ? "適合" : "実施済");
		ro_report_text(so, m[i].person_ja ? m[i].person_ja : m[i].person);
		ro_report_text(so, m[i].person);
		ro_report_text(so, m[i].login);
		if (m[i].result == NULL)
			ro_report_null(so);
		else
			ro_report_time(so, m[i].at);
		ro_report_text(so, m[i].note);
		free(it);
	}
	*out = r;
	r = NULL;
	rc = RO_OK;
out:
	ro_report_free(r);
	ro_campaign_info_clear(&c);
	ro_host_list_free(hosts, nhosts);
	ro_finding_list_free(f, nf);
	ro_manual_list_free(m, nm);
	return rc;
}
