/*
 * report.c - the report model: a title, summary items and sheets of typed
 * cells, filled by the builders and read by the writers (report.h).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report-int.h"
#include "util.h"

int
ro_report_format_parse(const char *s, enum ro_report_format *out)
{
	if (strcmp(s, "xlsx") == 0)
		*out = RO_REPORT_XLSX;
	else if (strcmp(s, "csv") == 0)
		*out = RO_REPORT_CSV;
	else if (strcmp(s, "json") == 0)
		*out = RO_REPORT_JSON;
	else
		return RO_EINVAL;
	return RO_OK;
}

const char *
ro_report_format_ext(enum ro_report_format f)
{
	switch (f) {
	case RO_REPORT_XLSX: return "xlsx";
	case RO_REPORT_CSV: return "csv";
	case RO_REPORT_JSON: return "json";
	}
	return "?";
}

struct ro_report *
ro_report_new(const char *kind, const char *title_ja, const char *subject)
{
	struct ro_report *r = ro_xcalloc(1, sizeof *r);

	r->kind = ro_xstrdup(kind);
	r->title = ro_xstrdup(title_ja);
	r->subject = ro_xstrdup(subject);
	return r;
}

static void
cell_clear(struct ro_report_cell *c)
{
	free(c->s);
	free(c->label);
}

void
ro_report_free(struct ro_report *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->nitems; i++) {
		free(r->items[i].key);
		free(r->items[i].ja);
		cell_clear(&r->items[i].v);
	}
	free(r->items);
	for (i = 0; i < r->nsheets; i++) {
		struct ro_report_sheet *s = r->sheets[i];

		for (j = 0; j < s->ncells; j++)
			cell_clear(&s->cells[j]);
		for (j = 0; j < s->nnotes; j++)
			free(s->notes[j]);
		free(s->notes);
		free(s->cells);
		free(s->key);
		free(s->name);
		free(s);
	}
	free(r->sheets);
	free(r->kind);
	free(r->title);
	free(r->subject);
	free(r);
}

static struct ro_report_cell *
item_add(struct ro_report *r, const char *key, const char *ja)
{
	struct ro_report_item *it;

	r->items = ro_xrealloc(r->items, (r->nitems + 1) * sizeof *r->items);
	it = &r->items[r->nitems++];
	memset(it, 0, sizeof *it);
	it->key = ro_xstrdup(key);
	it->ja = ro_xstrdup(ja);
	return &it->v;
}

void
ro_report_item_text(struct ro_report *r, const char *key, const char *ja, const char *v)
{
	struct ro_report_cell *c = item_add(r, key, ja);

	c->kind = v ? RO_CELL_TEXT : RO_CELL_NULL;
	c->s = v ? ro_xstrdup(v) : NULL;
}

void
ro_report_item_int(struct ro_report *r, const char *key, const char *ja, int64_t v)
{
	struct ro_report_cell *c = item_add(r, key, ja);

	c->kind = RO_CELL_INT;
	c->i = v;
}

void
ro_report_item_time(struct ro_report *r, const char *key, const char *ja, int64_t t)
{
	struct ro_report_cell *c = item_add(r, key, ja);

	c->kind = RO_CELL_TIME;
	c->i = t;
}

struct ro_report_sheet *
ro_report_sheet(struct ro_report *r, const char *key, const char *name_ja,
    const struct ro_report_col *cols, size_t ncols)
{
	struct ro_report_sheet *s = ro_xcalloc(1, sizeof *s);

	assert(ncols > 0);
	assert(strpbrk(name_ja, "[]:*?/\\") == NULL);
	s->key = ro_xstrdup(key);
	s->name = ro_xstrdup(name_ja);
	s->cols = cols;
	s->ncols = ncols;
	r->sheets = ro_xrealloc(r->sheets, (r->nsheets + 1) * sizeof *r->sheets);
	r->sheets[r->nsheets++] = s;
	return s;
}

void
ro_report_note(struct ro_report_sheet *s, const char *text)
{
	s->notes = ro_xrealloc(s->notes, (s->nnotes + 1) * sizeof *s->notes);
	s->notes[s->nnotes++] = ro_xstrdup(text);
}

void
ro_report_row(struct ro_report_sheet *s)
{
	/* The previous row must be complete before the next one begins. */
	assert(s->ncells % s->ncols == 0);
	(void)s;
}

size_t
ro_report_sheet_rows(const struct ro_report_sheet *s)
{
	return s->ncells / s->ncols;
}

static struct ro_report_cell *
cell_add(struct ro_report_sheet *s)
{
	struct ro_report_cell *c;

	if (s->ncells == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->cells = ro_xrealloc(s->cells, s->cap * sizeof *s->cells);
	}
	c = &s->cells[s->ncells++];
	memset(c, 0, sizeof *c);
	return c;
}

void
ro_report_text(struct ro_report_sheet *s, const char *v)
{
	struct ro_report_cell *c = cell_add(s);

	c->kind = v ? RO_CELL_TEXT : RO_CELL_NULL;
	c->s = v ? ro_xstrdup(v) : NULL;
}

void
ro_report_int(struct ro_report_sheet *s, int64_t v)
{
	struct ro_report_cell *c = cell_add(s);

	c->kind = RO_CELL_INT;
	c->i = v;
}

void
ro_report_time(struct ro_report_sheet *s, int64_t t)
{
	struct ro_report_cell *c = cell_add(s);

	c->kind = RO_CELL_TIME;
	c->i = t;
}

void
ro_report_null(struct ro_report_sheet *s)
{
	cell_add(s)->kind = RO_CELL_NULL;
}

void
ro_report_label(struct ro_report_sheet *s, const char *code, const char *ja)
{
	struct ro_report_cell *c = cell_add(s);

	c->kind = RO_CELL_LABEL;
	c->s = ro_xstrdup(code);
	c->label = ro_xstrdup(ja ? ja : code);
}

char *
ro_report_cell_text(const struct ro_report_cell *c)
{
	char buf[RO_ERA_MAX];

	switch (c->kind) {
	case RO_CELL_NULL:
		return ro_xstrdup("");
	case RO_CELL_TEXT:
		return ro_xstrdup(c->s);
	case RO_CELL_INT:
		return ro_xasprintf("%" PRId64, c->i);
	case RO_CELL_TIME:
		return ro_xstrdup(ro_era_time(c->i, buf));
	case RO_CELL_LABEL:
		return ro_xstrdup(c->label);
	}
	return ro_xstrdup("");
}

struct label {
	const char *code, *ja;
};

static const char *
label_of(const struct label *t, size_t n, const char *code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].code, code) == 0)
			return t[i].ja;
	return code;
}

const char *
ro_label_step(const char *status)
{
	static const struct label t[] = {
		{ "ok", "正常" }, { "failed", "失敗" }, { "skipped", "省略" },
		{ "timeout", "時間切れ" }, { "unreachable", "接続不可" },
	};

	return status ? label_of(t, RO_NELEM(t), status) : "中断(結果未記録)";
}

const char *
ro_label_host(const char *state)
{
	static const struct label t[] = {
		{ "pending", "未実施" }, { "running", "実施中" }, { "done", "完了" },
		{ "failed", "失敗" }, { "skipped", "対象外(適用済み)" },
	};

	return label_of(t, RO_NELEM(t), state);
}

const char *
ro_label_campaign(const char *state)
{
	static const struct label t[] = {
		{ "planned", "計画済み" }, { "running", "実施中" }, { "halted", "停止中" },
		{ "done", "完了" }, { "failed", "失敗" }, { "cancelled", "中止" },
	};

	return label_of(t, RO_NELEM(t), state);
}

const char *
ro_label_decision(const char *decision)
{
	static const struct label t[] = { { "approve", "承認" }, { "refuse", "却下" } };

	return decision ? label_of(t, RO_NELEM(t), decision) : "承認(署名なし)";
}

char *
ro_report_clip(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n <= max)
		return ro_xstrdup(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return ro_xasprintf("%.*s…", (int)n, s);
}
