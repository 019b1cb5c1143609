/*
 * report-xlsx.c - a report as an .xlsx workbook that the city opens in
 * Excel or Google Workspace and prints: a 概要 (summary) sheet, then one
 * sheet per section with its Japanese headings in a frozen first row that
 * is repeated on every printed page; every cell in a CJK font; column
 * widths fitted to their contents (within each column's limit, long text
 * wrapped); A4, landscape when the table is wide, scaled to one page wide,
 * with the report's title and the section in the page header and "ページ n / N" in the
 * footer.
 */
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "error.h"
#include "report-int.h"
#include "util.h"

/* Widths are in Excel's character units (the width of "0"); a CJK
 * character takes two, as ro_display_width counts it. */
#define MIN_WIDTH 6
#define DEFAULT_MAX_WIDTH 40
/* A4 portrait at the default margins holds about this many units at 100%;
 * a wider table is printed landscape (and always scaled to one page wide). */
#define A4_PORTRAIT_UNITS 95
#define A4_PAPER 9

struct formats {
	lxw_format *title, *head, *text, *wrap, *num, *note;
};

static void
formats_make(lxw_workbook *wb, struct formats *f)
{
	lxw_format **all[] = { &f->title, &f->head, &f->text, &f->wrap, &f->num, &f->note };
	size_t i;

	for (i = 0; i < RO_NELEM(all); i++) {
		*all[i] = workbook_add_format(wb);
		format_set_font_name(*all[i], RO_REPORT_FONT);
		format_set_font_size(*all[i], 10);
		format_set_align(*all[i], LXW_ALIGN_VERTICAL_TOP);
	}
	format_set_font_size(f->title, 14);
	format_set_bold(f->title);
	format_set_bold(f->head);
	format_set_bg_color(f->head, 0xDDE4EE);
	format_set_text_wrap(f->head);
	format_set_align(f->head, LXW_ALIGN_CENTER);
	format_set_align(f->head, LXW_ALIGN_VERTICAL_CENTER);
	format_set_border(f->head, LXW_BORDER_THIN);
	format_set_border(f->text, LXW_BORDER_THIN);
	format_set_align(f->text, LXW_ALIGN_LEFT);
	format_set_border(f->wrap, LXW_BORDER_THIN);
	format_set_text_wrap(f->wrap);
	format_set_border(f->num, LXW_BORDER_THIN);
	format_set_align(f->num, LXW_ALIGN_RIGHT);
}

/* hf_escape doubles '&', the header/footer control character. */
static void
hf_escape(struct ro_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			ro_buf_addc(b, '&');
		ro_buf_addc(b, *s);
	}
}

/* page_setup: A4, fitted to one page wide, headings repeated, the title in
 * the page header and page numbers in the footer. */
static void
page_setup(lxw_worksheet *ws, const struct ro_report *r, const char *section, int landscape,
    int repeat_row, const char *made)
{
	struct ro_buf h;
	static const char font[] = "&\"" RO_REPORT_FONT ",Regular\"&9";

	worksheet_set_paper(ws, A4_PAPER);
	if (landscape)
		worksheet_set_landscape(ws);
	else
		worksheet_set_portrait(ws);
	worksheet_fit_to_pages(ws, 1, 0);
	worksheet_set_margins(ws, 0.5, 0.5, 0.75, 0.75);
	if (repeat_row >= 0)
		worksheet_repeat_rows(ws, (lxw_row_t)repeat_row, (lxw_row_t)repeat_row);
	ro_buf_init(&h);
	ro_buf_printf(&h, "&L%s", font);
	hf_escape(&h, r->title);
	ro_buf_adds(&h, " ");
	hf_escape(&h, r->subject);
	ro_buf_adds(&h, " ― ");
	hf_escape(&h, section);
	ro_buf_printf(&h, "&R%s作成 ", font);
	hf_escape(&h, made);
	worksheet_set_header(ws, h.p);
	h.len = 0;
	h.p[0] = '\0';
	ro_buf_printf(&h, "&L%srollout&C%sページ &P / &N", font, font);
	worksheet_set_footer(ws, h.p);
	ro_buf_free(&h);
}

/* The height of a 10-point row, and of one holding text of width w wrapped
 * in a column of width cw. */
#define LINE_HEIGHT 13.5
static double
row_height(int w, int cw)
{
	/* A wrapped line holds a little less than the column's width: words
	 * and wide glyphs do not break exactly at its edge. */
	int fit = cw * 9 / 10, lines = fit > 0 ? (w + fit - 1) / fit : 1;

	return LINE_HEIGHT * (lines < 1 ? 1 : lines);
}

static int
cell_width(const struct ro_report_cell *c)
{
	char *t = ro_report_cell_text(c);
	int w = ro_display_width(t);

	free(t);
	return w;
}

static void
write_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const struct ro_report_cell *c,
    int wrap, const struct formats *f)
{
	char *t;

	if (c->kind == RO_CELL_INT) {
		worksheet_write_number(ws, row, col, (double)c->i, f->num);
		return;
	}
	/* Always a string cell, never a formula: text from a host cannot
	 * become one here (CSV needs its own care, report-text.c). */
	t = ro_report_cell_text(c);
	if (t[0] == '\0')
		worksheet_write_blank(ws, row, col, f->text);
	else
		worksheet_write_string(ws, row, col, t, wrap ? f->wrap : f->text);
	free(t);
}

/* The time the report was made, for page headers: the summary's "made_at"
 * item when the builder gave one. */
static void
made_at(const struct ro_report *r, char out[RO_ERA_MAX])
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].key, "made_at") == 0 && r->items[i].v.kind == RO_CELL_TIME)
			ro_era_time(r->items[i].v.i, out);
}

static void
summary_sheet(lxw_workbook *wb, const struct ro_report *r, const struct formats *f,
    const char *made)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, "概要");
	int w0 = 8, w1 = 20;
	size_t i;

	worksheet_write_string(ws, 0, 0, r->title, f->title);
	worksheet_write_string(ws, 2, 0, "項目", f->head);
	worksheet_write_string(ws, 2, 1, "値", f->head);
	for (i = 0; i < r->nitems; i++) {
		int wl = ro_display_width(r->items[i].ja), wv = cell_width(&r->items[i].v);

		worksheet_write_string(ws, (lxw_row_t)(3 + i), 0, r->items[i].ja, f->text);
		/* A number in the summary reads as the text beside it does. */
		if (r->items[i].v.kind == RO_CELL_INT)
			worksheet_write_number(ws, (lxw_row_t)(3 + i), 1, (double)r->items[i].v.i,
			    f->text);
		else
			write_cell(ws, (lxw_row_t)(3 + i), 1, &r->items[i].v, wv > 70, f);
		if (wv > 70)
			worksheet_set_row(ws, (lxw_row_t)(3 + i), row_height(wv, 70), NULL);
		if (wl > w0)
			w0 = wl;
		if (wv > w1)
			w1 = wv;
	}
	worksheet_set_column(ws, 0, 0, w0 + 2, NULL);
	worksheet_set_column(ws, 1, 1, (w1 > 70 ? 70 : w1) + 2, NULL);
	worksheet_freeze_panes(ws, 3, 0);
	page_setup(ws, r, "概要", 0, 2, made);
}

static void
data_sheet(lxw_workbook *wb, const struct ro_report *r, const struct ro_report_sheet *s,
    const struct formats *f, const char *made)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, s->name);
	size_t nrows = ro_report_sheet_rows(s), i, k;
	int *width = ro_xcalloc(s->ncols, sizeof *width), *wrap = ro_xcalloc(s->ncols, sizeof *wrap);
	int total = 0;

	for (k = 0; k < s->ncols; k++) {
		int max = s->cols[k].max_width > 0 ? s->cols[k].max_width : DEFAULT_MAX_WIDTH;
		int w = ro_display_width(s->cols[k].ja);

		/* A heading may wrap onto two lines rather than widen a narrow
		 * column of numbers. */
		w = w > 12 ? (w + 1) / 2 : w;
		for (i = 0; i < nrows; i++) {
			int cw = cell_width(&s->cells[i * s->ncols + k]);
			if (cw > w)
				w = cw;
		}
		if (w > max) {
			w = max;
			wrap[k] = 1;
		}
		if (w < MIN_WIDTH)
			w = MIN_WIDTH;
		width[k] = w + 2;
		total += width[k];
		worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k, width[k], NULL);
		worksheet_write_string(ws, 0, (lxw_col_t)k, s->cols[k].ja, f->head);
	}
	/* A heading wider than its column wraps: give the heading row the
	 * lines its longest heading needs. */
	{
		double hh = LINE_HEIGHT;

		for (k = 0; k < s->ncols; k++)
			if (row_height(ro_display_width(s->cols[k].ja), width[k] - 2) > hh)
				hh = row_height(ro_display_width(s->cols[k].ja), width[k] - 2);
		if (hh > LINE_HEIGHT)
			worksheet_set_row(ws, 0, hh, NULL);
	}
	for (i = 0; i < nrows; i++) {
		double h = LINE_HEIGHT;

		for (k = 0; k < s->ncols; k++) {
			const struct ro_report_cell *c = &s->cells[i * s->ncols + k];

			write_cell(ws, (lxw_row_t)(i + 1), (lxw_col_t)k, c, wrap[k], f);
			if (wrap[k] && row_height(cell_width(c), width[k] - 2) > h)
				h = row_height(cell_width(c), width[k] - 2);
		}
		/* Spreadsheets do not grow a row for wrapped text they did not
		 * lay out themselves: give it the lines it needs. */
		if (h > LINE_HEIGHT)
			worksheet_set_row(ws, (lxw_row_t)(i + 1), h, NULL);
	}
	for (i = 0; i < s->nnotes; i++)
		worksheet_write_string(ws, (lxw_row_t)(nrows + 2 + i), 0, s->notes[i], f->note);
	worksheet_freeze_panes(ws, 1, 0);
	if (nrows > 0)
		worksheet_autofilter(ws, 0, 0, (lxw_row_t)nrows, (lxw_col_t)(s->ncols - 1));
	page_setup(ws, r, s->name, total > A4_PORTRAIT_UNITS, 0, made);
	free(width);
	free(wrap);
}

int
ro_report_xlsx(const struct ro_report *r, const char *path, char **cause)
{
	lxw_workbook_options opt = { 0 };
	lxw_doc_properties props = { 0 };
	lxw_workbook *wb;
	struct formats f;
	char made[RO_ERA_MAX];
	char *tmpdir = ro_dir_of(path);
	lxw_error err;
	size_t i;

	/* libxlsxwriter's own temporary files go beside the output, in the
	 * private directory ro_report_save made, not in a shared /tmp. */
	opt.tmpdir = tmpdir;
	wb = workbook_new_opt(path, &opt);
	if (wb == NULL) {
		*cause = ro_xasprintf("cannot create the workbook %s", path);
		free(tmpdir);
		return RO_EIO;
	}
	props.title = r->title;
	props.subject = r->subject;
	props.author = "rollout";
	workbook_set_properties(wb, &props);
	formats_make(wb, &f);
	made_at(r, made);
	summary_sheet(wb, r, &f, made);
	for (i = 0; i < r->nsheets; i++)
		data_sheet(wb, r, r->sheets[i], &f, made);
	err = workbook_close(wb);
	free(tmpdir);
	if (err != LXW_NO_ERROR) {
		*cause = ro_xasprintf("cannot write the workbook %s: %s", path, lxw_strerror(err));
		return RO_EIO;
	}
	return RO_OK;
}
