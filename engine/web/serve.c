/* serve.c - the read-only console (web.h). */
#include "web.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "approval.h"
#include "campaign.h"
#include "error.h"
#include "planner.h"
#include "procedure.h"
#include "store.h"
#include "util.h"
#include "web-int.h"
#include "ydoc.h"

#define MAX_CONNECTIONS 32
#define MAX_URL 256

/* Nothing from elsewhere, no inline script or style, no frames, no forms:
 * the pages are text, one stylesheet and one script of our own (the live
 * progress, which only sets text), and the event stream it reads. */
#define CSP "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; " \
	"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char css[] =
    "body{font-family:'Noto Sans CJK JP','Hiragino Sans',sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em;border-bottom:2px solid #246;padding-bottom:.2em}"
    "h2{font-size:1.15em;margin-top:1.6em;color:#246}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #aaa;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#e8eef6}.ok{color:#060;font-weight:bold}.bad{color:#a00;font-weight:bold}"
    "code{font-size:.9em;word-break:break-all}.hash{font-family:monospace}"
    "nav{margin-bottom:1em}"
    ".fp{font-family:monospace;font-size:1.6em;letter-spacing:.08em}"
    "button{font-size:1.1em;padding:.3em 1.2em;margin-right:.6em}"
    "#refuse{color:#a00}textarea{font-size:1em}"
    ".print-only{display:none}"
    "@media print{nav{display:none}body{margin:0;font-size:9pt}@page{size:A4;margin:12mm}"
    "table{page-break-inside:auto}tr{page-break-inside:avoid}.print-only{display:block}"
    ".sign td{height:3em;min-width:12em}}"
    ".notice{border-left:4px solid #a40;padding:.3em .8em;background:#fff6ee}"
    /* The work procedure's own styles and print rules, the same as in
     * `rollout plan --html` (plan-html.c renders it for both). */
    RO_PROCEDURE_CSS;

void
ro_html_escape(struct ro_buf *b, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': ro_buf_adds(b, "&amp;"); break;
		case '<': ro_buf_adds(b, "&lt;"); break;
		case '>': ro_buf_adds(b, "&gt;"); break;
		case '"': ro_buf_adds(b, "&quot;"); break;
		case '\'': ro_buf_adds(b, "&#39;"); break;
		default: ro_buf_addc(b, *s);
		}
	}
}

/* The pages are Japanese; ?lang=en asks for English. One request is served
 * at a time per thread (MHD's polling thread), so the choice is per thread. */
static __thread int lang_en;

static const char *const en_text[][2] = {
	{ "<nav><a href=\"/\">キャンペーン一覧</a></nav>\n", "<nav><a href=\"/?lang=en\">Campaigns</a></nav>\n" },
	{ "計画済み", "planned" },
	{ "実行中", "running" },
	{ "停止中", "halted" },
	{ "完了", "done" },
	{ "失敗", "failed" },
	{ "取消", "cancelled" },
	{ "未着手", "pending" },
	{ "承認待ち", "awaiting approval" },
	{ "承認済み", "approved" },
	{ "キャンペーン一覧 — rollout", "Campaigns — rollout" },
	{ "<h1>キャンペーン一覧</h1>\n<table><tr><th>ID</th><th>件名</th><th>状態</th><th>計画ハッシュ</th></tr>\n", "<h1>Campaigns</h1>\n<table><tr><th>ID</th><th>Title</th><th>State</th><th>Plan hash</th></tr>\n" },
	{ "<tr><td colspan=\"4\">記録されたキャンペーンはありません</td></tr>\n", "<tr><td colspan=\"4\">No campaign is recorded</td></tr>\n" },
	{ "<h2>ウェーブと承認ゲート</h2>\n<table><tr><th>No.</th><th>名前</th><th>ゲート</th><th>承認予定</th><th>開始予定</th><th>終了予定</th><th>状態</th></tr>\n", "<h2>Waves and their gates</h2>\n<table><tr><th>No.</th><th>Name</th><th>Gate</th><th>Approval planned</th><th>Planned start</th><th>Planned end</th><th>State</th></tr>\n" },
	{ "要承認", "needs approval" },
	{ "</table>\n<h2>拠点別の作業予定（全端末）</h2>\n<table><tr><th>ウェーブ</th><th>拠点</th><th>開始日（これより前には作業しない）</th><th>端末</th><th>開始</th><th>終了</th></tr>\n", "</table>\n<h2>Every host by site</h2>\n<table><tr><th>Wave</th><th>Site</th><th>Not before (day)</th><th>Host</th><th>Start</th><th>End</th></tr>\n" },
	{ "<h2>作業手順（プレイブックとパラメータ）</h2>\n<table><tr><th>プレイブック</th><th>SHA-256</th></tr>\n", "<h2>Procedure (playbooks and parameters)</h2>\n<table><tr><th>Playbook</th><th>SHA-256</th></tr>\n" },
	{ "</h3>\n<table><tr><th>No.</th><th>手順</th><th>種類</th><th>対象</th><th>内容</th><th>見積（秒）</th></tr>\n", "</h3>\n<table><tr><th>No.</th><th>Step</th><th>Kind</th><th>Roles</th><th>What it does</th><th>Estimate (s)</th></tr>\n" },
	{ "<div class=\"print-only\"><h2>承認欄</h2><table class=\"sign\"><tr><th>承認者（所属・氏名）</th><td></td></tr><tr><th>承認日</th><td></td></tr><tr><th>計画ハッシュ</th><td><code>", "<div class=\"print-only\"><h2>Approval</h2><table class=\"sign\"><tr><th>Approver (section, name)</th><td></td></tr><tr><th>Date</th><td></td></tr><tr><th>Plan hash</th><td><code>" },
	{ "</table>\n<table><tr><th>パラメータ（KB番号・配布物のハッシュ等）</th><th>値</th></tr>\n", "</table>\n<table><tr><th>Parameter (KB numbers, artefact hashes...)</th><th>Value</th></tr>\n" },
	{ "<p>作業時間帯: ", "<p>Window: " },
	{ "。前倒し開始: ", ". Early start: " },
	{ "可（early_start: allowed）", "allowed (early_start: allowed)" },
	{ "不可（計画の開始日より前には作業しません）", "no (no site is touched before its planned day)" },
	{ "<h2>承認者名簿</h2>\n", "<h2>Approvers roster</h2>\n" },
	{ "<p class=\"bad\">承認者名簿がありません。このキャンペーンのゲートは承認できません。</p>\n", "<p class=\"bad\">No approvers roster: no gate of this campaign can be approved.</p>\n" },
	{ "<table><tr><th>氏名</th><th>所属</th><th>役割</th><th>ID</th><th>公開鍵</th></tr>\n", "<table><tr><th>Name</th><th>Section</th><th>Role</th><th>ID</th><th>Public key</th></tr>\n" },
	{ "</table>\n<table><tr><th>ゲートの種類</th><th>承認する役割</th></tr>\n", "</table>\n<table><tr><th>Gate kind</th><th>Approved by role</th></tr>\n" },
	{ "<h2>承認記録と署名の検証</h2>\n", "<h2>Approvals and their signatures</h2>\n" },
	{ "<p class=\"bad\">検証できません: ", "<p class=\"bad\">Cannot verify: " },
	{ "<table><tr><th>No.</th><th>ウェーブ</th><th>判断</th><th>承認者</th><th>署名</th></tr>\n", "<table><tr><th>No.</th><th>Wave</th><th>Decision</th><th>Approver</th><th>Signature</th></tr>\n" },
	{ "（署名なし）", "(unsigned)" },
	{ "差し戻し", "refused" },
	{ "承認", "approved" },
	{ "<td class=\"ok\">有効</td>", "<td class=\"ok\">valid</td>" },
	{ "<td class=\"bad\">無効: ", "<td class=\"bad\">INVALID: " },
	{ "<tr><td colspan=\"5\">承認はまだありません</td></tr>\n", "<tr><td colspan=\"5\">No approval yet</td></tr>\n" },
	{ "<h2>ホスト別の実施結果</h2>\n", "<h2>Result per host</h2>\n" },
	{ "<table><tr><th>ウェーブ</th><th>端末</th><th>拠点</th><th>結果</th><th>理由</th></tr>\n", "<table><tr><th>Wave</th><th>Host</th><th>Site</th><th>Result</th><th>Why</th></tr>\n" },
	{ "適用済み（変更なし）", "up to date" },
	{ "作業中", "running" },
	{ "</h1>\n<table><tr><th>キャンペーン</th><td>", "</h1>\n<table><tr><th>Campaign</th><td>" },
	{ "</td></tr><tr><th>状態</th><td>", "</td></tr><tr><th>State</th><td>" },
	{ "</td></tr><tr><th>計画ハッシュ（承認の対象）</th><td><code>", "</td></tr><tr><th>Plan hash (what is approved)</th><td><code>" },
	{ "<h2>承認の方法</h2>\n<p>承認者は自分の鍵ファイルで署名します: <code>rollout approve ", "<h2>How to approve</h2>\n<p>Approvers sign with their own key file: <code>rollout approve " },
	{ " --wave N --key 鍵ファイル --plan-hash ", " --wave N --key KEYFILE --plan-hash " },
	{ "<p>または、上の表のゲートを開き、登録したパスキーで承認・差し戻しします。</p>\n", "<p>Or open the gate in the table above and decide with your enrolled passkey.</p>\n" },
	{ "</code>（差し戻しは <code>--refuse --comment 理由</code>）</p>\n", "</code> (to refuse: <code>--refuse --comment REASON</code>)</p>\n" },
	{ "<p class=\"notice\" id=\"procedure-refused\">作業手順書を表示しません: キャンペーンファイルから作り直した計画のハッシュ <code>", "<p class=\"notice\" id=\"procedure-refused\">The work procedure is not shown: the plan rebuilt from the campaign file has the hash <code>" },
	{ "</code> が、記録された計画（承認の対象）のハッシュと一致しません。ファイルが計画の記録後に変更されています。</p>\n", "</code>, not the recorded plan's (what approvers sign). The file changed after the plan was recorded.</p>\n" },
	{ "<p class=\"notice\" id=\"procedure-missing\">作業手順書は、このキャンペーンのファイルを <code>rollout serve --campaign FILE</code> で指定すると表示されます（記録された計画のハッシュと一致する場合のみ）。</p>\n", "<p class=\"notice\" id=\"procedure-missing\">The work procedure is shown when this campaign's file is given to <code>rollout serve --campaign FILE</code> (and only if its plan hash is the recorded one).</p>\n" },
};

/* tr gives the English text of a Japanese page fragment for ?lang=en. */
static const char *
tr(const char *ja)
{
	size_t i;

	if (!lang_en)
		return ja;
	for (i = 0; i < sizeof en_text / sizeof en_text[0]; i++)
		if (strcmp(en_text[i][0], ja) == 0)
			return en_text[i][1];
	return ja;
}

const char *
ro_web_tr(const char *ja)
{
	return tr(ja);
}

int
ro_web_lang_en(void)
{
	return lang_en;
}

struct server {
	const struct ro_web_config *cfg;
};

void
ro_web_page_head(struct ro_buf *b, const char *title)
{
	ro_buf_adds(b, lang_en ? "<!DOCTYPE html>\n<html lang=\"en\">" : "<!DOCTYPE html>\n<html lang=\"ja\">");
	ro_buf_adds(b, "<head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	ro_html_escape(b, title);
	ro_buf_adds(b, "</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>");
	ro_buf_adds(b, tr("<nav><a href=\"/\">キャンペーン一覧</a></nav>\n"));
}

const char *
ro_web_state_ja(const char *s)
{
	static const char *const map[][2] = {
		{ "planned", "計画済み" }, { "running", "実行中" }, { "halted", "停止中" },
		{ "done", "完了" }, { "failed", "失敗" }, { "cancelled", "取消" },
		{ "pending", "未着手" }, { "awaiting-approval", "承認待ち" }, { "approved", "承認済み" },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], s) == 0)
			return tr(map[i][1]);
	return s;
}

static void
td(struct ro_buf *b, const char *s)
{
	ro_buf_adds(b, "<td>");
	ro_html_escape(b, s);
	ro_buf_adds(b, "</td>");
}

/* JSON instants "2026-10-05T08:45:00+09:00" shown as "2026-10-05 08:45". */
static void
td_time(struct ro_buf *b, const struct ro_ynode *n)
{
	char t[17];

	if (n == NULL || n->kind != RO_YSCALAR || strlen(n->str) < 16) {
		td(b, "—");
		return;
	}
	memcpy(t, n->str, 16);
	t[10] = ' ';
	t[16] = '\0';
	td(b, t);
}

static const char *
scalar(const struct ro_ynode *map, const char *key)
{
	const struct ro_ynode *v = map ? ro_ymap_get(map, key) : NULL;

	return v && v->kind == RO_YSCALAR ? v->str : NULL;
}

static int
page_index(struct ro_store *st, struct ro_buf *b)
{
	struct ro_campaign_info *v = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = ro_store_campaign_list(st, &v, &n)) != RO_OK)
		return rc;
	ro_web_page_head(b, tr("キャンペーン一覧 — rollout"));
	ro_buf_adds(b, tr("<h1>キャンペーン一覧</h1>\n<table><tr><th>ID</th><th>件名</th><th>状態</th><th>計画ハッシュ</th></tr>\n"));
	for (i = 0; i < n; i++) {
		char h[13];
		ro_buf_adds(b, "<tr><td><a href=\"/c/");
		ro_html_escape(b, v[i].id);
		ro_buf_adds(b, lang_en ? "?lang=en\">" : "\">");
		ro_html_escape(b, v[i].id);
		ro_buf_adds(b, "</a></td>");
		td(b, v[i].title);
		td(b, ro_web_state_ja(ro_campaign_state_name(v[i].state)));
		snprintf(h, sizeof h, "%.12s", v[i].plan_hash);
		ro_buf_adds(b, "<td class=\"hash\">");
		ro_html_escape(b, h);
		ro_buf_adds(b, "</td></tr>\n");
	}
	if (n == 0)
		ro_buf_adds(b, tr("<tr><td colspan=\"4\">記録されたキャンペーンはありません</td></tr>\n"));
	ro_buf_adds(b, "</table></body></html>\n");
	ro_campaign_list_free(v, n);
	return RO_OK;
}

static void
section_waves(struct ro_buf *b, const struct ro_ynode *root, const struct ro_wave_info *wv,
    size_t nw)
{
	const struct ro_ynode *waves = ro_ymap_get(root, "waves");
	size_t i, j, k;

	if (waves == NULL || waves->kind != RO_YSEQ)
		return;
	ro_buf_adds(b, tr("<h2>ウェーブと承認ゲート</h2>\n<table><tr><th>No.</th><th>名前</th><th>ゲート</th><th>承認予定</th><th>開始予定</th><th>終了予定</th><th>状態</th></tr>\n"));
	for (i = 0; i < waves->n; i++) {
		const struct ro_ynode *w = waves->items[i];
		char num[24];
		const char *gated = scalar(w, "gated"), *gate = scalar(w, "gate");
		snprintf(num, sizeof num, "%zu", i + 1);
		ro_buf_adds(b, "<tr>");
		td(b, num);
		td(b, scalar(w, "name"));
		if (gated && strcmp(gated, "true") == 0 && scalar(root, "campaign") != NULL) {
			/* The gate's page: its decision, signed with a passkey. */
			ro_buf_printf(b, "<td><a href=\"/c/");
			ro_html_escape(b, scalar(root, "campaign"));
			ro_buf_printf(b, "/gate/%zu\">", i + 1);
			ro_html_escape(b, gate ? gate : tr("要承認"));
			ro_buf_adds(b, "</a></td>");
		} else
			td(b, "—");
		td_time(b, ro_ymap_get(w, "approval"));
		td_time(b, ro_ymap_get(w, "start"));
		td_time(b, ro_ymap_get(w, "end"));
		td(b, i < nw ? ro_web_state_ja(ro_wave_state_name(wv[i].state)) : "");
		ro_buf_adds(b, "</tr>\n");
	}
	ro_buf_adds(b, tr("</table>\n<h2>拠点別の作業予定（全端末）</h2>\n<table><tr><th>ウェーブ</th><th>拠点</th><th>開始日（これより前には作業しない）</th><th>端末</th><th>開始</th><th>終了</th></tr>\n"));
	for (i = 0; i < waves->n; i++) {
		const struct ro_ynode *sites = ro_ymap_get(waves->items[i], "sites");
		for (j = 0; sites && sites->kind == RO_YSEQ && j < sites->n; j++) {
			const struct ro_ynode *s = sites->items[j], *hosts = ro_ymap_get(s, "hosts"),
			    *times = ro_ymap_get(s, "times");
			for (k = 0; hosts && hosts->kind == RO_YSEQ && k < hosts->n; k++) {
				const struct ro_ynode *span = times && times->kind == RO_YSEQ &&
				    k < times->n ? times->items[k] : NULL;
				char num[24];
				snprintf(num, sizeof num, "%zu", i + 1);
				ro_buf_adds(b, "<tr>");
				td(b, num);
				td(b, scalar(s, "site"));
				td(b, scalar(s, "not_before") ? scalar(s, "not_before") : "—");
				td(b, hosts->items[k]->kind == RO_YSCALAR ? hosts->items[k]->str : "");
				td_time(b, span && span->kind == RO_YSEQ && span->n == 2 ? span->items[0] : NULL);
				td_time(b, span && span->kind == RO_YSEQ && span->n == 2 ? span->items[1] : NULL);
				ro_buf_adds(b, "</tr>\n");
			}
		}
	}
	ro_buf_adds(b, "</table>\n");
}

static void
section_procedure(struct ro_buf *b, const struct ro_ynode *root)
{
	const struct ro_ynode *pbs = ro_ymap_get(root, "playbooks"), *params = ro_ymap_get(root, "params");
	const struct ro_ynode *pol = ro_ymap_get(root, "policy");
	size_t i;

	ro_buf_adds(b, tr("<h2>作業手順（プレイブックとパラメータ）</h2>\n<table><tr><th>プレイブック</th><th>SHA-256</th></tr>\n"));
	for (i = 0; pbs && pbs->kind == RO_YSEQ && i < pbs->n; i++) {
		ro_buf_adds(b, "<tr>");
		td(b, scalar(pbs->items[i], "name"));
		ro_buf_adds(b, "<td><code>");
		ro_html_escape(b, scalar(pbs->items[i], "sha256"));
		ro_buf_adds(b, "</code></td></tr>\n");
	}
	for (i = 0; pbs && pbs->kind == RO_YSEQ && i < pbs->n; i++) {
		const struct ro_ynode *steps = ro_ymap_get(pbs->items[i], "steps");
		size_t k;
		if (steps == NULL || steps->kind != RO_YSEQ)
			continue;
		ro_buf_adds(b, "</table>\n<h3>");
		ro_html_escape(b, scalar(pbs->items[i], lang_en ? "title" : "title_ja") ?
		    scalar(pbs->items[i], lang_en ? "title" : "title_ja") : scalar(pbs->items[i], "name"));
		ro_buf_adds(b, tr("</h3>\n<table><tr><th>No.</th><th>手順</th><th>種類</th><th>対象</th><th>内容</th><th>見積（秒）</th></tr>\n"));
		for (k = 0; k < steps->n; k++) {
			const struct ro_ynode *st = steps->items[k], *roles = ro_ymap_get(st, "roles");
			char num[24];
			size_t r;
			snprintf(num, sizeof num, "%zu", k + 1);
			ro_buf_adds(b, "<tr>");
			td(b, num);
			td(b, scalar(st, "name"));
			td(b, scalar(st, "kind"));
			ro_buf_adds(b, "<td>");
			for (r = 0; roles && roles->kind == RO_YSEQ && r < roles->n; r++) {
				if (r)
					ro_buf_adds(b, ", ");
				ro_html_escape(b, roles->items[r]->kind == RO_YSCALAR ? roles->items[r]->str : "");
			}
			ro_buf_adds(b, "</td><td><code>");
			ro_html_escape(b, scalar(st, "does"));
			ro_buf_adds(b, "</code></td>");
			td(b, scalar(st, "estimate_s"));
			ro_buf_adds(b, "</tr>\n");
		}
	}
	ro_buf_adds(b, tr("</table>\n<table><tr><th>パラメータ（KB番号・配布物のハッシュ等）</th><th>値</th></tr>\n"));
	for (i = 0; params && params->kind == RO_YMAP && i < params->n; i++) {
		ro_buf_adds(b, "<tr>");
		td(b, RO_YMAP_KEY(params, i)->str);
		ro_buf_adds(b, "<td><code>");
		ro_html_escape(b, RO_YMAP_VAL(params, i)->kind == RO_YSCALAR ? RO_YMAP_VAL(params, i)->str : "");
		ro_buf_adds(b, "</code></td></tr>\n");
	}
	ro_buf_adds(b, "</table>\n");
	if (pol && pol->kind == RO_YMAP) {
		const char *early = scalar(pol, "early_start");
		ro_buf_adds(b, tr("<p>作業時間帯: "));
		ro_html_escape(b, scalar(pol, "window"));
		ro_buf_adds(b, tr("。前倒し開始: "));
		ro_buf_adds(b, early && strcmp(early, "allowed") == 0 ? tr("可（early_start: allowed）") :
		    tr("不可（計画の開始日より前には作業しません）"));
		ro_buf_adds(b, "</p>\n");
	}
}

static void
section_approvers(struct ro_buf *b, const struct ro_ynode *root)
{
	const struct ro_ynode *a = ro_ymap_get(root, "approvers"), *m, *g;
	size_t i;

	ro_buf_adds(b, tr("<h2>承認者名簿</h2>\n"));
	if (a == NULL || a->kind != RO_YMAP) {
		ro_buf_adds(b, tr("<p class=\"bad\">承認者名簿がありません。このキャンペーンのゲートは承認できません。</p>\n"));
		return;
	}
	ro_buf_adds(b, tr("<table><tr><th>氏名</th><th>所属</th><th>役割</th><th>ID</th><th>公開鍵</th></tr>\n"));
	m = ro_ymap_get(a, "members");
	for (i = 0; m && m->kind == RO_YSEQ && i < m->n; i++) {
		ro_buf_adds(b, "<tr>");
		td(b, scalar(m->items[i], "name_ja"));
		td(b, scalar(m->items[i], "section"));
		td(b, scalar(m->items[i], "role"));
		td(b, scalar(m->items[i], "name"));
		ro_buf_adds(b, "<td><code>");
		ro_html_escape(b, scalar(m->items[i], "key"));
		ro_buf_adds(b, "</code></td></tr>\n");
	}
	ro_buf_adds(b, tr("</table>\n<table><tr><th>ゲートの種類</th><th>承認する役割</th></tr>\n"));
	g = ro_ymap_get(a, "gates");
	for (i = 0; g && g->kind == RO_YMAP && i < g->n; i++) {
		ro_buf_adds(b, "<tr>");
		td(b, RO_YMAP_KEY(g, i)->str);
		td(b, RO_YMAP_VAL(g, i)->kind == RO_YSCALAR ? RO_YMAP_VAL(g, i)->str : "");
		ro_buf_adds(b, "</tr>\n");
	}
	ro_buf_adds(b, "</table>\n");
}

static void
section_approvals(struct ro_buf *b, struct ro_store *st, const char *id)
{
	struct ro_approval_check *v = NULL;
	size_t n = 0, nbad = 0, i;
	char *cause = NULL;
	int rc;

	ro_buf_adds(b, tr("<h2>承認記録と署名の検証</h2>\n"));
	rc = ro_approval_verify_all(st, id, &v, &n, &nbad, &cause);
	if (rc != RO_OK && rc != RO_EPROTO) {
		ro_buf_adds(b, tr("<p class=\"bad\">検証できません: "));
		ro_html_escape(b, cause);
		ro_buf_adds(b, "</p>\n");
		free(cause);
		return;
	}
	ro_buf_adds(b, tr("<table><tr><th>No.</th><th>ウェーブ</th><th>判断</th><th>承認者</th><th>署名</th></tr>\n"));
	for (i = 0; i < n; i++) {
		char num[32], wave[24];
		snprintf(num, sizeof num, "%lld", (long long)v[i].id);
		snprintf(wave, sizeof wave, "%d", v[i].wave + 1);
		ro_buf_adds(b, "<tr>");
		td(b, num);
		td(b, wave);
		td(b, v[i].decision == NULL ? tr("（署名なし）") :
		    strcmp(v[i].decision, "refuse") == 0 ? tr("差し戻し") : tr("承認"));
		td(b, v[i].approver);
		if (v[i].valid)
			ro_buf_adds(b, tr("<td class=\"ok\">有効</td>"));
		else {
			ro_buf_adds(b, tr("<td class=\"bad\">無効: "));
			ro_html_escape(b, v[i].why);
			ro_buf_adds(b, "</td>");
		}
		ro_buf_adds(b, "</tr>\n");
	}
	if (n == 0)
		ro_buf_adds(b, tr("<tr><td colspan=\"5\">承認はまだありません</td></tr>\n"));
	ro_buf_adds(b, "</table>\n");
	ro_approval_check_free(v, n);
	free(cause);
}

/* What each wave's hosts did: the city judges a canary by this before it
 * approves the gate after it. Failed hosts carry their reason. */
void
ro_web_section_results(struct ro_buf *b, struct ro_store *st, const char *id, int only)
{
	struct ro_host_info *h = NULL;
	struct ro_failure_info *f = NULL;
	size_t nh = 0, nf = 0, i, j;

	if (only < 0)
		ro_buf_adds(b, tr("<h2>ホスト別の実施結果</h2>\n"));
	if (ro_store_host_list(st, id, only, &h, &nh) != RO_OK)
		return;
	(void)ro_store_failures(st, id, &f, &nf);
	ro_buf_adds(b, tr("<table><tr><th>ウェーブ</th><th>端末</th><th>拠点</th><th>結果</th><th>理由</th></tr>\n"));
	for (i = 0; i < nh; i++) {
		const char *why = NULL;
		char wave[24];
		for (j = 0; j < nf; j++)
			if (strcmp(f[j].host, h[i].host) == 0)
				why = f[j].reason ? f[j].reason : f[j].detail;
		snprintf(wave, sizeof wave, "%d", h[i].wave + 1);
		ro_buf_adds(b, h[i].state == RO_HOST_FAILED ? "<tr class=\"bad\">" : "<tr>");
		td(b, wave);
		td(b, h[i].host);
		td(b, h[i].site);
		td(b, h[i].state == RO_HOST_DONE ? tr("完了") : h[i].state == RO_HOST_FAILED ? tr("失敗") :
		    h[i].state == RO_HOST_SKIPPED ? tr("適用済み（変更なし）") :
		    h[i].state == RO_HOST_RUNNING ? tr("作業中") : tr("未着手"));
		td(b, why ? why : "");
		ro_buf_adds(b, "</tr>\n");
	}
	ro_buf_adds(b, "</table>\n");
	ro_failure_list_free(f, nf);
	ro_host_list_free(h, nh);
}

/*
 * work_procedure appends the work procedure (作業手順書) of the recorded
 * plan: the campaign file given to serve whose campaign id is this one is
 * loaded and planned again, and the procedure is shown only when that
 * plan's hash is the recorded one, so that what the page shows is what
 * the approvers' signatures cover. Otherwise a notice says why it is not
 * shown. Returns 1 when the procedure was shown.
 */
static int
work_procedure(struct ro_buf *b, const struct ro_web_config *cfg, const struct ro_campaign_info *ci)
{
	size_t i;

	for (i = 0; i < cfg->ncampaigns; i++) {
		struct ro_campaign *c = NULL;
		struct ro_plan *p = NULL;
		struct ro_diags d;
		char *text = NULL;
		size_t len = 0;
		FILE *f;
		int shown = 0;

		ro_diags_init(&d);
		if (ro_campaign_load(cfg->campaigns[i], NULL, 0, &c, &d) != RO_OK ||
		    strcmp(c->id, ci->id) != 0) {
			ro_campaign_free(c);
			ro_diags_free(&d);
			continue;
		}
		if (ro_plan_build(c, &p, &d) != RO_OK || strcmp(p->hash, ci->plan_hash) != 0) {
			ro_buf_adds(b, tr("<p class=\"notice\" id=\"procedure-refused\">作業手順書を表示しません: キャンペーンファイルから作り直した計画のハッシュ <code>"));
			ro_html_escape(b, p ? p->hash : "—");
			ro_buf_adds(b, tr("</code> が、記録された計画（承認の対象）のハッシュと一致しません。ファイルが計画の記録後に変更されています。</p>\n"));
		} else if ((f = open_memstream(&text, &len)) != NULL) {
			/* The same renderer as `rollout plan --html`; it escapes
			 * every value that comes from a file. */
			ro_procedure_html(f, p);
			if (fclose(f) == 0 && len > 0) {
				ro_buf_add(b, text, len);
				shown = 1;
			}
			free(text);
		}
		ro_plan_free(p);
		ro_campaign_free(c);
		ro_diags_free(&d);
		return shown;
	}
	ro_buf_adds(b, tr("<p class=\"notice\" id=\"procedure-missing\">作業手順書は、このキャンペーンのファイルを <code>rollout serve --campaign FILE</code> で指定すると表示されます（記録された計画のハッシュと一致する場合のみ）。</p>\n"));
	return 0;
}

static int
page_campaign(const struct ro_web_config *cfg, struct ro_store *st, const char *id, struct ro_buf *b)
{
	struct ro_campaign_info ci;
	struct ro_wave_info *wv = NULL;
	struct ro_ydoc *doc = NULL;
	struct ro_diags d;
	size_t nw = 0;
	char *title;
	int rc;

	memset(&ci, 0, sizeof ci);
	ro_diags_init(&d);
	if ((rc = ro_store_campaign_get(st, id, &ci, NULL)) != RO_OK)
		goto out;
	if ((rc = ro_ydoc_parse("plan", ci.plan_json, strlen(ci.plan_json), &doc, &d)) != RO_OK ||
	    doc->root == NULL || doc->root->kind != RO_YMAP) {
		rc = RO_EINVAL;
		goto out;
	}
	ro_store_wave_list(st, id, &wv, &nw);
	title = ro_xasprintf(lang_en ? "%s — plan" : "%s — 作業計画", ci.id);
	ro_web_page_head(b, title);
	free(title);
	ro_buf_adds(b, "<h1>");
	ro_html_escape(b, ci.title);
	ro_buf_adds(b, tr("</h1>\n<table><tr><th>キャンペーン</th><td>"));
	ro_html_escape(b, ci.id);
	ro_buf_adds(b, tr("</td></tr><tr><th>状態</th><td>"));
	ro_html_escape(b, ro_web_state_ja(ro_campaign_state_name(ci.state)));
	if (ci.reason) {
		ro_buf_adds(b, "（");
		ro_html_escape(b, ci.reason);
		ro_buf_adds(b, "）");
	}
	ro_buf_adds(b, tr("</td></tr><tr><th>計画ハッシュ（承認の対象）</th><td><code>"));
	ro_html_escape(b, ci.plan_hash);
	ro_buf_adds(b, "</code></td></tr></table>\n");
	section_procedure(b, doc->root);
	section_waves(b, doc->root, wv, nw);
	ro_web_section_results(b, st, ci.id, -1);
	section_approvers(b, doc->root);
	section_approvals(b, st, ci.id);
	/* Live progress (live.c): filled in by /app.js from the event stream. */
	ro_buf_adds(b, "<p id=\"live\" data-src=\"/c/");
	ro_html_escape(b, ci.id);
	ro_buf_adds(b, lang_en ? "/events\" data-lang=\"en\"></p>\n" :
	    "/events\" data-lang=\"ja\"></p>\n");
	/* The work procedure ends with the block the approval meeting signs;
	 * without it, print one of our own, with the plan hash. */
	if (!work_procedure(b, cfg, &ci)) {
		ro_buf_adds(b, tr("<div class=\"print-only\"><h2>承認欄</h2><table class=\"sign\"><tr><th>承認者（所属・氏名）</th><td></td></tr><tr><th>承認日</th><td></td></tr><tr><th>計画ハッシュ</th><td><code>"));
		ro_html_escape(b, ci.plan_hash);
		ro_buf_adds(b, "</code></td></tr></table></div>\n");
	}
	ro_buf_adds(b, tr("<h2>承認の方法</h2>\n<p>承認者は自分の鍵ファイルで署名します: <code>rollout approve "));
	ro_html_escape(b, ci.id);
	ro_buf_adds(b, tr(" --wave N --key 鍵ファイル --plan-hash "));
	{
		char h[13];
		snprintf(h, sizeof h, "%.12s", ci.plan_hash);
		ro_html_escape(b, h);
	}
	ro_buf_adds(b, tr("</code>（差し戻しは <code>--refuse --comment 理由</code>）</p>\n"));
	ro_buf_adds(b, tr("<p>または、上の表のゲートを開き、登録したパスキーで承認・差し戻しします。</p>\n"));
	ro_buf_adds(b, "<script src=\"/app.js\"></script></body></html>\n");
out:
	ro_wave_list_free(wv, nw);
	ro_ydoc_free(doc);
	ro_diags_free(&d);
	ro_campaign_info_clear(&ci);
	return rc;
}

void
ro_web_add_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

int
ro_web_reply(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
    size_t len)
{
	struct MHD_Response *r;
	int ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ro_web_add_headers(r);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

int
ro_web_reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return ro_web_reply(conn, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* A campaign id as the store accepts it: nothing that could walk a path. */
int
ro_web_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* events answers /c/ID/events with the live stream of an existing campaign. */
static int
events(struct server *sv, struct MHD_Connection *conn, const char *url)
{
	char id[MAX_URL + 1];
	struct ro_store *st = NULL;
	struct ro_campaign_info ci;
	struct MHD_Response *r;
	size_t n = strlen(url) - 3 - 7;
	int ret, rc;

	memcpy(id, url + 3, n);
	id[n] = '\0';
	if (!ro_web_id_ok(id))
		return ro_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "見つかりません (not found)\n");
	memset(&ci, 0, sizeof ci);
	if ((rc = ro_store_open_dir(sv->cfg->state_dir, &st, NULL)) == RO_OK)
		rc = ro_store_campaign_get(st, id, &ci, NULL);
	ro_campaign_info_clear(&ci);
	ro_store_close(st);
	if (rc != RO_OK)
		return ro_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "そのキャンペーンはありません (no such campaign)\n");
	if ((r = ro_web_live_response(sv->cfg->state_dir, id)) == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* What one connection's request collects: its body, within MAX_BODY. */
#define MAX_BODY 16384
struct request {
	struct ro_buf body;
	int too_big;
};

static void
request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq != NULL) {
		ro_buf_free(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct server *sv = cls;
	struct request *rq = *con_cls;
	struct ro_store *st = NULL;
	struct ro_buf b;
	char *cause = NULL;
	int rc = RO_ENOENT, ret;

	(void)version;
	if (rq == NULL) { /* the headers: wait for the body, if any */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		rq = ro_xcalloc(1, sizeof *rq);
		ro_buf_init(&rq->body);
		/* A declared body over the limit is refused before it is read. */
		rq->too_big = cl != NULL && strtoull(cl, NULL, 10) > MAX_BODY;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!rq->too_big && rq->body.len + *upload_size <= MAX_BODY)
			ro_buf_add(&rq->body, upload_data, *upload_size);
		else
			rq->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return (enum MHD_Result)ro_web_reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "要求が大きすぎます (request too large)\n");
	if (strlen(url) > MAX_URL)
		return (enum MHD_Result)ro_web_reply_text(conn, MHD_HTTP_URI_TOO_LONG, "URL too long\n");
	{
		const char *lang = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang");
		lang_en = lang != NULL && strcmp(lang, "en") == 0;
	}
	if (strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0) {
		int r;
		if (ro_web_passkey_handle(sv->cfg, conn, url, method, rq->body.p, rq->body.len, &r))
			return (enum MHD_Result)r;
	}
	/* Nothing else is written: every other page is read-only. */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return (enum MHD_Result)ro_web_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "この画面は読み取り専用です (read-only)\n");
	if (strcmp(url, "/passkey.js") == 0)
		return (enum MHD_Result)ro_web_reply(conn, MHD_HTTP_OK, "text/javascript; charset=utf-8",
		    ro_web_passkey_js, strlen(ro_web_passkey_js));
	if (strcmp(url, "/style.css") == 0)
		return (enum MHD_Result)ro_web_reply(conn, MHD_HTTP_OK, "text/css; charset=utf-8", css,
		    sizeof css - 1);
	if (strcmp(url, "/app.js") == 0)
		return (enum MHD_Result)ro_web_reply(conn, MHD_HTTP_OK, "text/javascript; charset=utf-8",
		    ro_web_live_js, strlen(ro_web_live_js));
	{
		size_t n = strlen(url);
		if (strncmp(url, "/c/", 3) == 0 && n > 10 && strcmp(url + n - 7, "/events") == 0)
			return (enum MHD_Result)events(sv, conn, url);
	}
	if (strcmp(url, "/") != 0 && (strncmp(url, "/c/", 3) != 0 || !ro_web_id_ok(url + 3)))
		return (enum MHD_Result)ro_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "見つかりません (not found)\n");
	if (ro_store_open_dir(sv->cfg->state_dir, &st, &cause) != RO_OK) {
		free(cause);
		return (enum MHD_Result)ro_web_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "状態ストアを開けません (the state store cannot be opened)\n");
	}
	ro_buf_init(&b);
	if (ro_store_begin_read(st) == RO_OK) {
		rc = strcmp(url, "/") == 0 ? page_index(st, &b) : page_campaign(sv->cfg, st, url + 3, &b);
		ro_store_rollback(st);
	}
	if (rc == RO_OK)
		ret = ro_web_reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", b.p, b.len);
	else if (rc == RO_ENOENT)
		ret = ro_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "そのキャンペーンはありません (no such campaign)\n");
	else
		ret = ro_web_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "読み取りに失敗しました\n");
	ro_buf_free(&b);
	ro_store_close(st);
	return (enum MHD_Result)ret;
}

/* read_pem reads a PEM file (at most 64 KiB) into a NUL-terminated buffer. */
static char *
read_pem(const char *path, size_t *len, char **cause)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		*cause = ro_xasprintf("%s: cannot open it", path);
		return NULL;
	}
	buf = ro_xmalloc(65537);
	n = fread(buf, 1, 65536, f);
	fclose(f);
	buf[n] = '\0';
	if (n == 0 || n == 65536 || strstr(buf, "-----BEGIN ") == NULL) {
		*cause = ro_xasprintf("%s: expected a PEM file of at most 64 KiB", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int
ro_web_serve(const struct ro_web_config *cfg, volatile sig_atomic_t *stop, char **cause)
{
	struct sockaddr_in addr;
	struct ro_web_config c = *cfg;
	struct server sv = { &c };
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	/* A thread per connection: a live stream waits between its events. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_ERROR_LOG;
	int port, rc = RO_OK;

	if (c.rp_id == NULL)
		c.rp_id = "localhost";
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->listen, &addr.sin_addr) != 1) {
		*cause = ro_xasprintf("--listen %s: expected an IPv4 address", cfg->listen);
		return RO_EINVAL;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		*cause = ro_xasprintf("give both --tls-cert and --tls-key, or neither");
		return RO_EINVAL;
	}
	if (cfg->tls_cert == NULL && (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
		*cause = ro_xasprintf("--listen %s: plain HTTP is served only on a loopback address "
		    "(127.x.x.x); for any other address give the city's certificate and key with "
		    "--tls-cert FILE --tls-key FILE", cfg->listen);
		return RO_EINVAL;
	}
	if (cfg->tls_cert != NULL) {
		if ((cert = read_pem(cfg->tls_cert, &cert_len, cause)) == NULL ||
		    (key = read_pem(cfg->tls_key, &key_len, cause)) == NULL) {
			rc = RO_EINVAL;
			goto out;
		}
		flags |= MHD_USE_TLS;
	}
	/* The same limits either way; the TLS options only with TLS (MHD
	 * complains about them otherwise). */
	{
		struct MHD_OptionItem tls[] = {
			{ MHD_OPTION_HTTPS_MEM_CERT, 0, cert },
			{ MHD_OPTION_HTTPS_MEM_KEY, 0, key },
			{ MHD_OPTION_END, 0, NULL },
		};
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, &sv,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		    MHD_OPTION_ARRAY, cert ? tls : tls + 2, MHD_OPTION_END);
	}
	if (d == NULL) {
		*cause = ro_xasprintf("cannot listen on %s:%d (in use? try another --port%s)",
		    cfg->listen, cfg->port, cert ? "; or the certificate and key do not match" : "");
		rc = RO_EIO;
		goto out;
	}
	ro_web_passkey_init();
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : cfg->port;
	fprintf(stderr, "rollout serve: %s://%s:%d/ (writes only passkeys and signed decisions; Ctrl-C stops it)\n",
	    cert ? "https" : "http", cfg->listen, port);
	if (cfg->ready_file) {
		FILE *f = fopen(cfg->ready_file, "w");
		if (f) {
			fprintf(f, "port %d\n", port);
			fclose(f);
		}
	}
	while (!*stop)
		pause();
	MHD_stop_daemon(d);
	ro_web_passkey_fini();
out:
	/* The private key is a secret: zeroed before it is freed. */
	if (key != NULL)
		sodium_memzero(key, key_len);
	free(key);
	free(cert);
	return rc;
}
