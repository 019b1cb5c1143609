/*
 * plan-html.c - the plan as one self-contained HTML page for the approval
 * meeting: a summary, the waves with their planned approval times, and a
 * Gantt chart per site drawn as inline SVG (no external assets, no
 * JavaScript), dates written the Japanese way (2026年10月5日(月)) and the plan
 * hash. Only days with work get a column; a column spans the working hours
 * (business windows) or the whole day.
 */
#include "error.h"
#include "plan-internal.h"
#include "procedure.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define COL_W 240   /* pixels per day column */
#define ROW_H 16
#define LABEL_W 150

static void
esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* "2026年10月5日(月) 08:45" */
static void
when(FILE *f, int64_t t)
{
	char d[40], hm[40];

	if (t == RO_PLAN_NO_TIME) {
		fputs("—", f);
		return;
	}
	fprintf(f, "%s %s", ro_pcal_fmt_day_ja(ro_pcal_day(t), d), ro_pcal_fmt(t, hm) + 11);
}

/* A summary row: LABEL (plain text, not escaped), then "FROM 〜 TO". */
static void
span_row(FILE *f, const char *label, int64_t from, int64_t to)
{
	fprintf(f, "<tr><th>%s</th><td>", label);
	when(f, from);
	fputs(" 〜 ", f);
	when(f, to);
	fputs("</td></tr>\n", f);
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* "1時間05分", "8分", "30秒" */
static void
dur_ja(FILE *f, long s)
{
	if (s >= 3600)
		fprintf(f, "%ld時間%02ld分", s / 3600, s / 60 % 60);
	else if (s >= 60)
		fprintf(f, "%ld分", (s + 30) / 60);
	else
		fprintf(f, "%ld秒", s);
}

/* "10:05" of t, or "—". */
static void
hm(FILE *f, int64_t t)
{
	char b[40];

	fputs(t == RO_PLAN_NO_TIME ? "—" : ro_pcal_fmt(t, b) + 11, f);
}

static const char *
site_name(const struct ro_site *s)
{
	return s->name_ja ? s->name_ja : s->name;
}

static void
roles_ja(FILE *f, unsigned roles)
{
	int r, n = 0;

	for (r = 0; r < RO_ROLE_N; r++)
		if (roles & RO_ROLE_BIT(r))
			fprintf(f, "%s%s", n++ ? "・" : "", ro_proc_role_ja((enum ro_role)r));
}

static void
proc_steps(FILE *f, const struct ro_procedure *pr)
{
	int r;
	size_t i;

	fputs("<h2 class=\"page\">3. 作業手順（機器の種類別） <span class=\"en\">steps per role</span></h2>\n"
	    "<p class=\"note\">各機器は次の順に作業します。「適用済み確認」で適用済みと判定された機器は、"
	    "その作業の以降の手順を行いません。※の再起動は、更新プログラムが再起動を求めた場合にのみ行います。</p>\n", f);
	for (r = 0; r < RO_ROLE_N; r++) {
		const struct ro_proc_role *ro = &pr->roles[r];
		if (ro->nhosts == 0)
			continue;
		fprintf(f, "<h3>%s（%zu台）</h3>\n<p class=\"note\">1台あたりの見込み ",
		    ro_proc_role_ja(ro->role), ro->nhosts);
		dur_ja(f, ro->estimate);
		fputs("（うち再起動 ", f);
		dur_ja(f, ro->restart);
		fputs("）</p>\n<table>\n<thead><tr><th class=\"n\">順</th><th>作業</th><th>種別</th>"
		    "<th>KB番号・ファイル・SHA-256</th><th class=\"n\">見込み</th></tr></thead>\n", f);
		for (i = 0; i < ro->nsteps; i++) {
			const struct ro_proc_step *s = &ro->steps[i];
			/* Several playbooks: say where each one's steps begin. */
			if (pr->nplaybooks > 1 && (i == 0 || ro->steps[i - 1].playbook != s->playbook)) {
				fputs("<tr class=\"site\"><th colspan=\"5\">", f);
				esc(f, pr->playbooks[s->playbook].title_ja);
				fputs("</th></tr>\n", f);
			}
			fprintf(f, "<tr><td class=\"n\">%u</td><td>", s->number);
			esc(f, s->title_ja);
			if (s->restart == RO_PROC_RESTART_IF_ASKED)
				fputs("※", f);
			fputs(" <span class=\"en\">(", f);
			esc(f, s->step->name);
			fputs(")</span>", f);
			if (s->description) {
				fputs("<br><span class=\"note\">", f);
				esc(f, s->description);
				fputs("</span>", f);
			}
			if (s->instruction) {
				fputs("<br><span class=\"note\">", f);
				esc(f, s->instruction);
				fputs("</span>", f);
			}
			fputs("</td><td class=\"k\">", f);
			esc(f, s->kind_ja);
			fputs("</td><td>", f);
			if (s->kb) {
				esc(f, s->kb);
				fputs("<br>", f);
			}
			if (s->artifact) {
				esc(f, s->artifact);
				fputs(" → ", f);
				esc(f, s->dest);
				fputs("<br>", f);
			}
			if (s->sha256) {
				fputs("<code class=\"h\">", f);
				esc(f, s->sha256);
				fputs("</code>", f);
			}
			fputs("</td><td class=\"n\">", f);
			dur_ja(f, s->estimate);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
}

static void
proc_sites(FILE *f, const struct ro_procedure *pr)
{
	const struct ro_inventory *inv = pr->campaign->inv;
	size_t i;

	fputs("<h2 class=\"page\">4. 再起動と停止の見込み（拠点別） <span class=\"en\">expected downtime per site</span></h2>\n"
	    "<p class=\"note\">停止時間は再起動の手順の見込み時間から計算しています（台数×1台の再起動時間）。"
	    "作業中の機器は窓口で使えません。同時に作業する台数は拠点ごとの同時停止上限までです。"
	    "※は再起動が求められた場合の最大値です。</p>\n"
	    "<table>\n<thead><tr><th>拠点</th><th class=\"n\">台数</th><th class=\"n\">再起動する台数</th>"
	    "<th class=\"n\">1台の停止</th><th class=\"n\">停止の合計（台×時間）</th>"
	    "<th class=\"n\">同時停止上限</th><th>作業期間</th></tr></thead>\n", f);
	for (i = 0; i < pr->nsites; i++) {
		const struct ro_proc_site *s = &pr->sites[i];
		fputs("<tr><td>", f);
		esc(f, site_name(&inv->sites[s->site]));
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">",
		    s->nhosts, s->nrestart);
		dur_ja(f, s->host_downtime);
		if (s->restart_if_asked)
			fputs("※", f);
		fputs("</td><td class=\"n\">", f);
		dur_ja(f, s->downtime);
		if (s->restart_if_asked)
			fputs("※", f);
		fprintf(f, "</td><td class=\"n\">%u</td><td>", s->limit);
		when(f, s->first_start);
		fputs(" 〜 ", f);
		if (s->last_end != RO_PLAN_NO_TIME &&
		    ro_pcal_day(s->last_end) == ro_pcal_day(s->first_start))
			hm(f, s->last_end);
		else
			when(f, s->last_end);
		fputs("</td></tr>\n", f);
	}
	fputs("<tr><th>合計</th><td></td><td></td><td></td><td class=\"n\">", f);
	dur_ja(f, pr->downtime);
	fputs("</td><td></td><td></td></tr>\n</table>\n", f);
}

static void
proc_hosts(FILE *f, const struct ro_procedure *pr)
{
	const struct ro_plan *p = pr->plan;
	const struct ro_inventory *inv = pr->campaign->inv;
	size_t i;
	char d[40];

	fputs("<h2 class=\"page\">5. 機器別の作業予定 <span class=\"en\">per-host times</span></h2>\n"
	    "<p class=\"note\">再起動の時刻は、それまでの手順の見込み時間からの目安です。</p>\n"
	    "<table>\n<thead><tr><th>機器</th><th>種別</th><th>ウェーブ</th><th>作業日</th>"
	    "<th>開始</th><th>終了</th><th>再起動（目安）</th><th class=\"n\">停止</th></tr></thead>\n", f);
	for (i = 0; i < pr->nhosts; i++) {
		const struct ro_proc_host *h = &pr->hosts[i];
		const struct ro_host *hh = &inv->hosts[h->host];
		if (i == 0 || pr->hosts[i - 1].site != h->site) {
			fputs("<tr class=\"site\"><th colspan=\"8\">", f);
			esc(f, site_name(&inv->sites[h->site]));
			fputs("（", f);
			esc(f, inv->sites[h->site].id);
			fputs("）</th></tr>\n", f);
		}
		fputs("<tr><td>", f);
		esc(f, hh->name);
		fputs("</td><td>", f);
		esc(f, ro_proc_role_ja(hh->role));
		fputs("</td><td>", f);
		if (h->wave < p->nwaves) {
			fprintf(f, "%u ", h->wave + 1);
			esc(f, p->waves[h->wave].name);
		}
		fprintf(f, "</td><td>%s</td><td>",
		    h->start == RO_PLAN_NO_TIME ? "—" : ro_pcal_fmt_day_ja(ro_pcal_day(h->start), d));
		hm(f, h->start);
		fputs("</td><td>", f);
		hm(f, h->end);
		fputs("</td><td>", f);
		if (h->restart > 0) {
			hm(f, h->restart_at);
			if (h->restart_if_asked)
				fputs("※", f);
		} else
			fputs("なし", f);
		fputs("</td><td class=\"n\">", f);
		if (h->restart > 0)
			dur_ja(f, h->restart);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
proc_approval(FILE *f, const struct ro_procedure *pr)
{
	fputs("<div class=\"approval\">\n<h2>8. 承認 <span class=\"en\">approval</span></h2>\n"
	    "<p>本作業手順書（計画ハッシュ <code class=\"h\">", f);
	esc(f, pr->plan_hash);
	fputs("</code>）のとおり作業を実施することを承認します。</p>\n<table>\n"
	    "<tr><th></th><th>所属</th><th>氏名</th><th>日付</th><th>印・署名</th></tr>\n"
	    "<tr><th>承認者（市）</th><td></td><td></td><td>令和　年　月　日</td><td></td></tr>\n"
	    "<tr><th>確認者（市）</th><td></td><td></td><td>令和　年　月　日</td><td></td></tr>\n"
	    "<tr><th>作業責任者（受注者）</th><td></td><td></td><td>令和　年　月　日</td><td></td></tr>\n"
	    "</table>\n</div>\n", f);
}

/*
 * ro_procedure_html renders the work procedure (作業手順書, procedure.h):
 * what is done, with what, when each host restarts, how to undo it, whom
 * to call, and where the city signs. `rollout plan --html` puts it below
 * the Gantt chart and the console (engine/web/serve.c) on the plan page,
 * so that both show the same document. Every value that comes from a file
 * is escaped.
 */
void
ro_procedure_html(FILE *f, const struct ro_plan *p)
{
	const struct ro_campaign *c = p->campaign;
	struct ro_procedure *pr;
	size_t i, j;

	if (ro_procedure_build(p, &pr) != RO_OK)
		return;
	fputs("<section class=\"proc\" id=\"procedure\">\n<h2 class=\"page\">作業手順書 <span class=\"en\">work procedure</span></h2>\n"
	    "<table>\n<tr><th>件名</th><td>", f);
	esc(f, c->title ? c->title : c->id);
	fputs("</td></tr>\n<tr><th>キャンペーン</th><td>", f);
	esc(f, c->id);
	fprintf(f, "</td></tr>\n<tr><th>対象</th><td>%zu台</td></tr>\n", c->nhosts);
	if (p->timed)
		span_row(f, "作業期間", p->first_start, p->end);
	fputs("<tr><th>計画ハッシュ</th><td><code class=\"h\">", f);
	esc(f, pr->plan_hash);
	fputs("</code></td></tr>\n</table>\n", f);

	fputs("<h3>1. 作業内容 <span class=\"en\">the work</span></h3>\n<table>\n"
	    "<thead><tr><th>作業</th><th class=\"n\">対象台数</th><th>説明</th></tr></thead>\n", f);
	for (i = 0; i < pr->nplaybooks; i++) {
		const struct ro_proc_playbook *pp = &pr->playbooks[i];
		fputs("<tr><td>", f);
		esc(f, pp->title_ja);
		fputs("<br><span class=\"en\">", f);
		esc(f, pp->pb->name);
		fprintf(f, "</span></td><td class=\"n\">%zu</td><td class=\"note\">", pp->nhosts);
		esc(f, pp->pb->description);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h3>2. 適用するプログラム・ファイル <span class=\"en\">artefacts</span></h3>\n", f);
	if (pr->nartifacts == 0)
		fputs("<p>機器へ転送するファイルはありません。</p>\n", f);
	else {
		fputs("<p class=\"note\">ファイルはウイルスチェック済みの媒体から取り込み、転送の前後で SHA-256 を照合します。</p>\n"
		    "<table>\n<thead><tr><th>KB番号</th><th>ファイル</th><th>SHA-256</th><th>対象</th></tr></thead>\n", f);
		for (i = 0; i < pr->nartifacts; i++) {
			const struct ro_proc_artifact *a = &pr->artifacts[i];
			fputs("<tr><td>", f);
			esc(f, a->kb ? a->kb : "—");
			fputs("</td><td>", f);
			esc(f, a->file ? a->file : "—");
			fputs("</td><td><code class=\"h\">", f);
			esc(f, a->sha256);
			fputs("</code></td><td>", f);
			roles_ja(f, a->roles);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	proc_steps(f, pr);
	proc_sites(f, pr);
	proc_hosts(f, pr);

	fputs("<h2 class=\"page\">6. 切り戻し手順 <span class=\"en\">rollback</span></h2>\n", f);
	for (i = 0; i < pr->nplaybooks; i++) {
		const struct ro_proc_playbook *pp = &pr->playbooks[i];
		fputs("<h3>", f);
		esc(f, pp->title_ja);
		fputs("</h3>\n", f);
		if (pp->nrollback == 0) {
			fputs("<p>切り戻し手順は定められていません（作業手順書の承認前に作業責任者へ確認してください）。</p>\n", f);
			continue;
		}
		fputs("<ol>\n", f);
		for (j = 0; j < pp->nrollback; j++) {
			fputs("<li>", f);
			esc(f, pp->rollback[j]);
			fputs("</li>\n", f);
		}
		fputs("</ol>\n", f);
	}
	fputs("<h2>7. 連絡先 <span class=\"en\">contacts</span></h2>\n", f);
	if (pr->ncontacts == 0)
		fputs("<p>連絡先は指定されていません（キャンペーンの contacts に記載してください）。</p>\n", f);
	else {
		fputs("<table>\n<thead><tr><th>役割</th><th>氏名</th><th>所属</th><th>電話</th></tr></thead>\n", f);
		for (i = 0; i < pr->ncontacts; i++) {
			const struct ro_contact *k = &pr->contacts[i];
			fputs("<tr><td>", f);
			esc(f, k->role);
			fputs("</td><td>", f);
			esc(f, k->name);
			fputs("</td><td>", f);
			esc(f, k->org ? k->org : "");
			fputs("</td><td>", f);
			esc(f, k->phone);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	proc_approval(f, pr);
	fputs("</section>\n", f);
	ro_procedure_free(pr);
}

void
ro_plan_html(FILE *f, const struct ro_plan *p)
{
	const struct ro_campaign *c = p->campaign;
	const struct ro_inventory *inv = c->inv;
	int32_t *days = ro_xmalloc((c->nhosts + 1) * sizeof *days);
	size_t ndays = 0, i, j, s;
	int open = 0, close = 1440;
	char buf[40], du[32];

	if (p->window == RO_WINDOW_BUSINESS) {
		open = 8 * 60 + 45;
		close = 17 * 60 + 15;
		for (s = 0; s < inv->nsites; s++) {
			if (inv->sites[s].hours_open >= 0 && inv->sites[s].hours_open < open)
				open = inv->sites[s].hours_open;
			if (inv->sites[s].hours_open >= 0 && inv->sites[s].hours_close > close)
				close = inv->sites[s].hours_close;
		}
	}
	for (i = 0; i < c->nhosts && p->timed; i++)
		days[ndays++] = ro_pcal_day(p->host_start[c->hosts[i]]);
	qsort(days, ndays, sizeof *days, cmp_i32);
	for (i = 0, j = 0; i < ndays; i++)
		if (j == 0 || days[i] != days[j - 1])
			days[j++] = days[i];
	ndays = j;

	fputs("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	esc(f, c->title ? c->title : c->id);
	fputs("</title>\n<style>\n"
	    "body{font-family:\"Noto Sans CJK JP\",\"IPAGothic\",sans-serif;margin:2em;color:#222}\n"
	    "table{border-collapse:collapse;margin:.5em 0}\n"
	    "td,th{border:1px solid #bbb;padding:2px 8px;text-align:left;font-size:13px}\n"
	    "th{background:#eee}\ncode{font-size:13px}\n"
	    "svg text{font-size:11px;font-family:sans-serif}\n"
	    ".gate{color:#a40}\n"
	    RO_PROCEDURE_CSS, f);
	/* Every printed page names the plan it belongs to and its number. */
	fprintf(f, "@page{size:A4;margin:14mm 10mm 16mm 10mm;"
	    "@bottom-left{content:\"計画ハッシュ %.16s…\";font-size:8pt;color:#555}"
	    "@bottom-right{content:counter(page) \" / \" counter(pages);font-size:8pt;color:#555}}\n",
	    p->hash);
	fputs("</style>\n</head>\n<body>\n<h1>", f);
	esc(f, c->title ? c->title : c->id);
	fputs("</h1>\n<table>\n<tr><th>キャンペーン</th><td>", f);
	esc(f, c->id);
	fprintf(f, "</td></tr>\n<tr><th>対象</th><td>%zu台（%s）</td></tr>\n", c->nhosts, inv->name);
	fprintf(f, "<tr><th>作業時間帯</th><td>%s</td></tr>\n",
	    p->window == RO_WINDOW_BUSINESS ? "平日業務時間内 (business)" :
	    p->window == RO_WINDOW_CLOSED_OFFICE ? "閉庁時間帯 (closed-office)" : "随時 (any)");
	if (p->timed) {
		span_row(f, "作業期間", p->first_start, p->end);
		fputs("<tr><th>完了期限</th><td>", f);
		when(f, p->deadline);
		fputs("</td></tr>\n", f);
		if (p->window_start != RO_PLAN_NO_TIME)
			span_row(f, "全機器同時適用の閉庁時間帯", p->window_start, p->window_end);
		fputs("<tr><th>下限 (lower bound)</th><td>", f);
		when(f, p->lower_bound);
		fprintf(f, "（%s、", ro_plan_fmt_dur(p->lb_work, du, sizeof du));
		esc(f, p->lb_binding);
		fprintf(f, "）・差 %s</td></tr>\n", ro_plan_fmt_dur(p->gap, du, sizeof du));
	}
	fprintf(f, "<tr><th>計画ハッシュ</th><td><code>%s</code></td></tr>\n</table>\n", p->hash);

	fputs("<h2>ウェーブ</h2>\n<table>\n<tr><th>#</th><th>名称</th><th>台数</th>"
	    "<th>承認予定</th><th>開始</th><th>終了</th></tr>\n", f);
	for (i = 0; i < p->nwaves; i++) {
		const struct ro_wave *w = &p->waves[i];
		fprintf(f, "<tr><td>%u</td><td>", w->index + 1);
		esc(f, w->name);
		fprintf(f, "%s</td><td>%zu</td><td class=\"gate\">", w->canary ? "（カナリア）" : "",
		    w->nhosts);
		if (w->gated)
			when(f, w->approval);
		fputs("</td><td>", f);
		when(f, w->planned_start);
		fputs("</td><td>", f);
		when(f, w->planned_end);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>拠点別ガントチャート</h2>\n", f);
	for (s = 0; s < inv->nsites && ndays > 0; s++) {
		size_t nrows = 0, row = 0, width = LABEL_W + ndays * COL_W + 10;
		for (i = 0; i < c->nhosts; i++)
			nrows += inv->hosts[c->hosts[i]].site == s;
		if (nrows == 0)
			continue;
		fputs("<h3>", f);
		esc(f, inv->sites[s].name_ja ? inv->sites[s].name_ja : inv->sites[s].name);
		fprintf(f, "（%s）%zu台・同時停止上限 %u</h3>\n", inv->sites[s].id, nrows,
		    p->site_limit[s]);
		fprintf(f, "<svg width=\"%zu\" height=\"%zu\" viewBox=\"0 0 %zu %zu\">\n",
		    width, (nrows + 1) * ROW_H + 4, width, (nrows + 1) * ROW_H + 4);
		for (j = 0; j < ndays; j++) {
			size_t x = LABEL_W + j * COL_W;
			fprintf(f, "<rect x=\"%zu\" y=\"0\" width=\"%d\" height=\"%zu\" fill=\"%s\" stroke=\"#ccc\"/>\n",
			    x, COL_W, (nrows + 1) * ROW_H, j % 2 ? "#f7f7f7" : "#fff");
			fprintf(f, "<text x=\"%zu\" y=\"12\">%s</text>\n", x + 4,
			    ro_pcal_fmt_day_ja(days[j], buf));
		}
		for (i = 0; i < c->nhosts; i++) {
			uint32_t h = c->hosts[i];
			int32_t d;
			size_t col;
			double x0, x1;
			if (inv->hosts[h].site != s)
				continue;
			row++;
			fprintf(f, "<text x=\"2\" y=\"%zu\">", row * ROW_H + 12);
			esc(f, inv->hosts[h].name);
			fputs("</text>\n", f);
			if (!p->timed)
				continue;
			d = ro_pcal_day(p->host_start[h]);
			for (col = 0; col < ndays && days[col] != d; col++)
				;
			x0 = (double)(ro_pcal_minute(p->host_start[h]) - open) / (close - open);
			x1 = x0 + (double)(p->host_end[h] - p->host_start[h]) / 60.0 / (close - open);
			if (x0 < 0)
				x0 = 0;
			if (x1 > 1)
				x1 = 1;
			fprintf(f, "<rect x=\"%.1f\" y=\"%zu\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
			    "<title>", LABEL_W + col * COL_W + x0 * COL_W, row * ROW_H + 3,
			    (x1 - x0) * COL_W < 1 ? 1.0 : (x1 - x0) * COL_W, ROW_H - 5,
			    RO_IS_CS(inv, h) ? "#c0392b" : "#2e86c1");
			esc(f, inv->hosts[h].name);
			fputs(" ", f);
			when(f, p->host_start[h]);
			fprintf(f, " 〜 %s</title></rect>\n", ro_pcal_fmt(p->host_end[h], buf) + 11);
		}
		fputs("</svg>\n", f);
	}
	fprintf(f, "<p>計画ハッシュ <code>%s</code>（同じ入力からは常に同じ計画とハッシュになります）</p>\n",
	    p->hash);
	ro_procedure_html(f, p);
	fputs("</body>\n</html>\n", f);
	free(days);
}
