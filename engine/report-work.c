/*
 * report-work.c - 作業報告書: what was done to each host of a campaign,
 * when, with what result and by whom; who approved each gate; and the
 * journal head the report is bound to, so that a later change to the
 * records is caught by `rollout audit verify --head SEQ:HASH`.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report-int.h"
#include "store-report.h"
#include "store.h"
#include "util.h"

/* Detail is the last line of a step's output (never a secret, docs/STORE.md);
 * a report keeps it short enough to print. */
#define DETAIL_MAX 200

static const struct ro_report_col host_cols[] = {
	{ "wave", "ウェーブ", 8 },
	{ "site", "拠点", 14 },
	{ "site_name", "拠点名", 30 },
	{ "host", "端末", 16 },
	{ "address", "アドレス", 16 },
	{ "state", "状態", 18 },
	{ "steps", "実行手順数", 10 },
	{ "steps_failed", "失敗手順数", 10 },
	{ "first_start", "作業開始", 26 },
	{ "last_end", "作業終了", 26 },
};

static const struct ro_report_col step_cols[] = {
	{ "wave", "ウェーブ", 8 },
	{ "site", "拠点", 14 },
	{ "host", "端末", 16 },
	{ "step_no", "手順番号", 8 },
	{ "step", "手順", 24 },
	{ "attempt", "試行", 6 },
	{ "started_at", "開始日時", 26 },
	{ "finished_at", "終了日時", 26 },
	{ "result", "結果", 16 },
	{ "exit_code", "終了コード", 10 },
	{ "actor", "作業者", 14 },
	{ "credential", "パスワード(名称・版)", 24 },
	{ "detail", "詳細", 40 },
};

static const struct ro_report_col approval_cols[] = {
	{ "wave", "ウェーブ", 8 },
	{ "gate", "ゲート", 16 },
	{ "decision", "判断", 14 },
	{ "signer", "署名者", 16 },
	{ "signer_key", "署名鍵(先頭16桁)", 20 },
	{ "signed", "電子署名", 10 },
	{ "plan_hash_match", "計画ハッシュ", 14 },
	{ "at", "日時", 26 },
	{ "comment", "コメント", 40 },
};

static void
time_or_null(struct ro_report_sheet *s, int64_t t)
{
	if (t == RO_STORE_NO_TIME)
		ro_report_null(s);
	else
		ro_report_time(s, t);
}

void
ro_report_journal_items(struct ro_report *r, const struct ro_journal_check *jc)
{
	char *v;

	if (jc->head_seq == 0) {
		ro_report_item_text(r, "journal_head", "ジャーナル先頭", "(空)");
		return;
	}
	v = ro_xasprintf("%" PRId64 ":%s", jc->head_seq, jc->head);
	ro_report_item_text(r, "journal_head", "ジャーナル先頭 (番号:ハッシュ)", v);
	free(v);
	ro_report_item_time(r, "journal_head_at", "ジャーナル先頭の記録日時", jc->head_at);
	v = ro_xasprintf("検証済み (%" PRId64 " 件%s)。`rollout audit verify --head %" PRId64
	    ":%s` で、この報告書の後に記録が変更されていないことを確認できます。",
	    jc->records, jc->keyed ? "、MAC 検証あり" : "、MAC 未検証", jc->head_seq, jc->head);
	ro_report_item_text(r, "journal_verified", "ジャーナル検証", v);
	free(v);
}

static void
summary(struct ro_report *r, const struct ro_campaign_info *c, const struct ro_host_row *h,
    size_t nh, const struct ro_step_row *sr, size_t ns, size_t napprovals)
{
	int64_t done = 0, failed = 0, skipped = 0, first = RO_STORE_NO_TIME, last = RO_STORE_NO_TIME;
	struct ro_buf actors;
	size_t i, j;
	char *v;

	for (i = 0; i < nh; i++) {
		done += strcmp(h[i].state, "done") == 0;
		failed += strcmp(h[i].state, "failed") == 0;
		skipped += strcmp(h[i].state, "skipped") == 0;
		if (h[i].first_start != RO_STORE_NO_TIME &&
		    (first == RO_STORE_NO_TIME || h[i].first_start < first))
			first = h[i].first_start;
		if (h[i].last_end != RO_STORE_NO_TIME && (last == RO_STORE_NO_TIME || h[i].last_end > last))
			last = h[i].last_end;
	}
	/* The people who did the work, each once, in the order they first acted. */
	ro_buf_init(&actors);
	for (i = 0; i < ns; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(sr[j].actor, sr[i].actor) == 0)
				break;
		if (j < i)
			continue;
		if (actors.len)
			ro_buf_adds(&actors, "、");
		ro_buf_adds(&actors, sr[i].actor);
	}
	ro_report_item_text(r, "campaign", "作業 (キャンペーン)", c->id);
	ro_report_item_text(r, "title", "件名", c->title);
	ro_report_item_text(r, "playbooks", "作業内容 (プレイブック)", c->playbooks);
	v = ro_xasprintf("%s (%s)", ro_label_campaign(ro_campaign_state_name(c->state)),
	    ro_campaign_state_name(c->state));
	ro_report_item_text(r, "state", "状態", v);
	free(v);
	if (c->reason)
		ro_report_item_text(r, "reason", "停止・失敗の理由", c->reason);
	ro_report_item_text(r, "plan_hash", "計画ハッシュ (承認の対象)", c->plan_hash);
	ro_report_item_text(r, "created_by", "計画作成者", c->created_by);
	ro_report_item_time(r, "created_at", "計画作成日時", c->created_at);
	ro_report_item_int(r, "hosts", "対象端末数", (int64_t)nh);
	ro_report_item_int(r, "hosts_done", "完了", done);
	ro_report_item_int(r, "hosts_skipped", "対象外 (適用済み)", skipped);
	ro_report_item_int(r, "hosts_failed", "失敗", failed);
	ro_report_item_int(r, "hosts_open", "未完了", (int64_t)nh - done - skipped - failed);
	ro_report_item_int(r, "steps", "実行手順数 (試行ごと)", (int64_t)ns);
	ro_report_item_int(r, "approvals", "承認・却下の記録数", (int64_t)napprovals);
	if (first != RO_STORE_NO_TIME)
		ro_report_item_time(r, "first_start", "作業開始", first);
	if (last != RO_STORE_NO_TIME)
		ro_report_item_time(r, "last_end", "作業終了", last);
	ro_report_item_text(r, "actors", "作業者", actors.len ? actors.p : "(なし)");
	ro_buf_free(&actors);
}

static void
hosts_sheet(struct ro_report *r, const struct ro_host_row *h, size_t n)
{
	struct ro_report_sheet *s = ro_report_sheet(r, "hosts", "端末別結果", host_cols,
	    RO_NELEM(host_cols));
	size_t i;

	for (i = 0; i < n; i++) {
		ro_report_row(s);
		ro_report_int(s, h[i].wave + 1);
		ro_report_text(s, h[i].site);
		ro_report_text(s, h[i].site_name);
		ro_report_text(s, h[i].host);
		ro_report_text(s, h[i].address);
		ro_report_label(s, h[i].state, ro_label_host(h[i].state));
		ro_report_int(s, h[i].steps);
		ro_report_int(s, h[i].steps_failed);
		time_or_null(s, h[i].first_start);
		time_or_null(s, h[i].last_end);
	}
}

static void
steps_sheet(struct ro_report *r, const struct ro_step_row *v, size_t n)
{
	struct ro_report_sheet *s = ro_report_sheet(r, "steps", "作業明細", step_cols,
	    RO_NELEM(step_cols));
	size_t i;

	for (i = 0; i < n; i++) {
		char *d = ro_report_clip(v[i].detail, DETAIL_MAX), *cred = NULL;

		ro_report_row(s);
		ro_report_int(s, v[i].wave + 1);
		ro_report_text(s, v[i].site);
		ro_report_text(s, v[i].host);
		ro_report_int(s, v[i].step_idx + 1);
		ro_report_text(s, v[i].step_name);
		ro_report_int(s, v[i].attempt);
		ro_report_time(s, v[i].started_at);
		time_or_null(s, v[i].finished_at);
		ro_report_label(s, v[i].status ? v[i].status : "interrupted",
		    ro_label_step(v[i].status));
		if (v[i].has_exit)
			ro_report_int(s, v[i].exit_code);
		else
			ro_report_null(s);
		ro_report_text(s, v[i].actor);
		/* The credential's name and the vault's version number: which
		 * password was set, never what it is. */
		if (v[i].credential)
			cred = ro_xasprintf("%s 版%" PRId64, v[i].credential, v[i].version);
		ro_report_text(s, cred);
		ro_report_text(s, d);
		free(cred);
		free(d);
	}
	if (n == 0)
		ro_report_note(s, "この作業ではまだ手順が実行されていません。");
}

static void
approvals_sheet(struct ro_report *r, const struct ro_campaign_info *c,
    const struct ro_approval_info *a, size_t n)
{
	struct ro_report_sheet *s = ro_report_sheet(r, "approvals", "承認記録", approval_cols,
	    RO_NELEM(approval_cols));
	size_t i;

	for (i = 0; i < n; i++) {
		char key[17] = "";

		if (a[i].signer_key)
			snprintf(key, sizeof key, "%.16s", a[i].signer_key);
		ro_report_row(s);
		ro_report_int(s, a[i].wave + 1);
		ro_report_text(s, a[i].gate);
		ro_report_label(s, a[i].decision ? a[i].decision : "unsigned",
		    ro_label_decision(a[i].decision));
		ro_report_text(s, a[i].approver);
		ro_report_text(s, key[0] ? key : NULL);
		ro_report_label(s, a[i].signature ? "signed" : "unsigned",
		    a[i].signature ? "あり" : "なし");
		ro_report_label(s, strcmp(a[i].plan_hash, c->plan_hash) == 0 ? "match" : "differs",
		    strcmp(a[i].plan_hash, c->plan_hash) == 0 ? "一致" : "不一致");
		ro_report_time(s, a[i].approved_at);
		ro_report_text(s, a[i].comment);
	}
	ro_report_note(s, "署名は `rollout approvals verify` で承認者名簿の鍵に対して検証できます。");
}

int
ro_report_work(struct ro_store *st, const char *campaign, const struct ro_journal_check *jc,
    int64_t now, struct ro_report **out, char **cause)
{
	struct ro_campaign_info c;
	struct ro_host_row *h = NULL;
	struct ro_step_row *sr = NULL;
	struct ro_approval_info *a = NULL;
	size_t nh = 0, ns = 0, na = 0;
	struct ro_report *r = NULL;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof c);
	if ((rc = ro_store_campaign_get(st, campaign, &c, cause)) != RO_OK)
		goto out;
	if ((rc = ro_store_report_hosts(st, campaign, &h, &nh, cause)) != RO_OK ||
	    (rc = ro_store_report_steps(st, campaign, &sr, &ns, cause)) != RO_OK)
		goto out;
	if ((rc = ro_store_approval_list(st, campaign, -1, &a, &na)) != RO_OK) {
		*cause = ro_xasprintf("%s", ro_store_errmsg(st));
		goto out;
	}
	r = ro_report_new("work", "作業報告書", campaign);
	summary(r, &c, h, nh, sr, ns, na);
	ro_report_journal_items(r, jc);
	ro_report_item_time(r, "made_at", "報告書作成日時", now);
	ro_report_item_text(r, "made_by", "報告書作成者", ro_store_actor(st));
	hosts_sheet(r, h, nh);
	steps_sheet(r, sr, ns);
	approvals_sheet(r, &c, a, na);
	*out = r;
out:
	ro_campaign_info_clear(&c);
	ro_host_rows_free(h, nh);
	ro_step_rows_free(sr, ns);
	ro_approval_list_free(a, na);
	return rc;
}
