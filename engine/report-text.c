/*
 * report-text.c - a report as CSV (for Excel: UTF-8 with a BOM, CRLF line
 * ends, RFC 4180 quoting) and as JSON (for programs).
 *
 * CSV holds every section of the report one after the other: a line
 * "[概要]" (the section's name, one field), the heading row, the rows, and
 * an empty line before the next section. A text cell that a spreadsheet
 * would take for a formula (it begins with = + - @, a tab or a carriage
 * return) is written with a leading apostrophe, so that a host name or a
 * command's output cannot become a formula in the city's Excel (CSV
 * injection); numbers are written as they are.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "report-int.h"
#include "util.h"

static void
csv_field(struct ro_buf *b, const char *s, int neutralise)
{
	const char *p;

	if (neutralise && strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0') {
		/* The apostrophe goes inside the quotes below, if any. */
		ro_buf_addc(b, '"');
		ro_buf_addc(b, '\'');
		for (p = s; *p; p++) {
			if (*p == '"')
				ro_buf_addc(b, '"');
			ro_buf_addc(b, *p);
		}
		ro_buf_addc(b, '"');
		return;
	}
	if (strpbrk(s, ",\"\r\n") == NULL) {
		ro_buf_adds(b, s);
		return;
	}
	ro_buf_addc(b, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			ro_buf_addc(b, '"');
		ro_buf_addc(b, *p);
	}
	ro_buf_addc(b, '"');
}

/* The CSV text of a cell: times as "2026-10-05 09:12:30" (JST), which
 * Excel reads as a date and time, labels in Japanese. */
static void
csv_cell(struct ro_buf *b, const struct ro_report_cell *c)
{
	char *t;

	switch (c->kind) {
	case RO_CELL_NULL:
		break;
	case RO_CELL_INT:
		ro_buf_printf(b, "%" PRId64, c->i);
		break;
	case RO_CELL_TIME: {
		char t32[32];

		ro_buf_adds(b, ro_report_jst(c->i, ' ', t32));
		break;
	}
	case RO_CELL_TEXT:
	case RO_CELL_LABEL:
		t = ro_report_cell_text(c);
		csv_field(b, t, 1);
		free(t);
		break;
	}
}

void
ro_report_csv(const struct ro_report *r, struct ro_buf *b)
{
	size_t i, j, k;

	ro_buf_adds(b, "\xEF\xBB\xBF");
	csv_field(b, "[概要]", 0);
	ro_buf_adds(b, "\r\n項目,値\r\n");
	csv_field(b, "報告書", 0);
	ro_buf_addc(b, ',');
	csv_field(b, r->title, 1);
	ro_buf_adds(b, "\r\n");
	for (i = 0; i < r->nitems; i++) {
		csv_field(b, r->items[i].ja, 1);
		ro_buf_addc(b, ',');
		csv_cell(b, &r->items[i].v);
		ro_buf_adds(b, "\r\n");
	}
	for (i = 0; i < r->nsheets; i++) {
		const struct ro_report_sheet *s = r->sheets[i];
		char *sec = ro_xasprintf("[%s]", s->name);

		ro_buf_adds(b, "\r\n");
		csv_field(b, sec, 0);
		free(sec);
		ro_buf_adds(b, "\r\n");
		for (k = 0; k < s->ncols; k++) {
			if (k)
				ro_buf_addc(b, ',');
			csv_field(b, s->cols[k].ja, 0);
		}
		ro_buf_adds(b, "\r\n");
		for (j = 0; j < s->ncells; j += s->ncols) {
			for (k = 0; k < s->ncols; k++) {
				if (k)
					ro_buf_addc(b, ',');
				csv_cell(b, &s->cells[j + k]);
			}
			ro_buf_adds(b, "\r\n");
		}
		for (k = 0; k < s->nnotes; k++) {
			char *note = ro_xasprintf("注: %s", s->notes[k]);

			csv_field(b, note, 1);
			ro_buf_adds(b, "\r\n");
			free(note);
		}
	}
}

/* JSON times: ISO 8601 in JST with its offset, "2026-10-05T09:12:30+09:00". */
static void
json_cell(struct ro_buf *b, const struct ro_report_cell *c)
{
	switch (c->kind) {
	case RO_CELL_NULL:
		ro_buf_adds(b, "null");
		break;
	case RO_CELL_INT:
		ro_buf_printf(b, "%" PRId64, c->i);
		break;
	case RO_CELL_TIME: {
		char t32[32];

		ro_buf_printf(b, "\"%s+09:00\"", ro_report_jst(c->i, 'T', t32));
		break;
	}
	case RO_CELL_TEXT:
	case RO_CELL_LABEL:
		ro_buf_json_str(b, c->s);
		break;
	}
}

void
ro_report_json(const struct ro_report *r, struct ro_buf *b)
{
	size_t i, j, k;

	ro_buf_adds(b, "{\"report\":");
	ro_buf_json_str(b, r->kind);
	ro_buf_adds(b, ",\"title\":");
	ro_buf_json_str(b, r->title);
	ro_buf_adds(b, ",\"subject\":");
	ro_buf_json_str(b, r->subject);
	ro_buf_adds(b, ",\"summary\":{");
	for (i = 0; i < r->nitems; i++) {
		if (i)
			ro_buf_addc(b, ',');
		ro_buf_json_str(b, r->items[i].key);
		ro_buf_addc(b, ':');
		json_cell(b, &r->items[i].v);
	}
	ro_buf_adds(b, "},\"sheets\":[");
	for (i = 0; i < r->nsheets; i++) {
		const struct ro_report_sheet *s = r->sheets[i];

		ro_buf_adds(b, i ? ",\n{\"key\":" : "\n{\"key\":");
		ro_buf_json_str(b, s->key);
		ro_buf_adds(b, ",\"name\":");
		ro_buf_json_str(b, s->name);
		ro_buf_adds(b, ",\"columns\":[");
		for (k = 0; k < s->ncols; k++) {
			if (k)
				ro_buf_addc(b, ',');
			ro_buf_adds(b, "{\"key\":");
			ro_buf_json_str(b, s->cols[k].key);
			ro_buf_adds(b, ",\"heading\":");
			ro_buf_json_str(b, s->cols[k].ja);
			ro_buf_addc(b, '}');
		}
		ro_buf_adds(b, "],\"notes\":[");
		for (k = 0; k < s->nnotes; k++) {
			if (k)
				ro_buf_addc(b, ',');
			ro_buf_json_str(b, s->notes[k]);
		}
		ro_buf_adds(b, "],\"rows\":[");
		for (j = 0; j < s->ncells; j += s->ncols) {
			ro_buf_adds(b, j ? ",\n{" : "\n{");
			for (k = 0; k < s->ncols; k++) {
				if (k)
					ro_buf_addc(b, ',');
				ro_buf_json_str(b, s->cols[k].key);
				ro_buf_addc(b, ':');
				json_cell(b, &s->cells[j + k]);
			}
			ro_buf_addc(b, '}');
		}
		ro_buf_adds(b, "]}");
	}
	ro_buf_adds(b, "]}\n");
}
