/*
 * plan-html.c - the plan as one self-contained HTML page for the approval
 * meeting: a summary, the waves with their planned approval times, and a
 * Gantt chart per site drawn as inline SVG (no external assets, no
 * JavaScript), dates written the Japanese way (2026年10月5日(月)) and the plan
 * hash. Only days with work get a column; a column spans the working hours
 * (business windows) or the whole day.
 */
#include "plan-internal.h"
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
	    "body{font-family:sans-serif;margin:2em;color:#222}\n"
	    "table{border-collapse:collapse;margin:.5em 0}\n"
	    "td,th{border:1px solid #bbb;padding:2px 8px;text-align:left;font-size:13px}\n"
	    "th{background:#eee}\ncode{font-size:13px}\n"
	    "svg text{font-size:11px;font-family:sans-serif}\n"
	    ".gate{color:#a40}\n"
	    "</style>\n</head>\n<body>\n<h1>", f);
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
		fprintf(f, "<svg width=\"%zu\" height=\"%zu\">\n",
		    width, (nrows + 1) * ROW_H + 4);
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
	fprintf(f, "<p>計画ハッシュ <code>%s</code>（同じ入力からは常に同じ計画とハッシュになります）</p>\n"
	    "</body>\n</html>\n", p->hash);
	free(days);
}
