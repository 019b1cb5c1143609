/*
 * report-int.h - the report model's fields, shared by the files of the
 * report module (report.c, report-text.c, report-xlsx.c) and no one else.
 */
#ifndef RO_REPORT_INT_H
#define RO_REPORT_INT_H

#include "report.h"

struct ro_report_cell {
	enum ro_cell_kind kind;
	char *s;     /* TEXT; LABEL: the code */
	char *label; /* LABEL: the Japanese label */
	int64_t i;   /* INT; TIME: Unix seconds */
};

struct ro_report_sheet {
	char *key, *name;
	const struct ro_report_col *cols;
	size_t ncols;
	struct ro_report_cell *cells; /* nrows * ncols, row-major */
	size_t ncells, cap;
	char **notes;
	size_t nnotes;
};

struct ro_report_item {
	char *key, *ja;
	struct ro_report_cell v;
};

struct ro_report {
	char *kind, *title, *subject;
	struct ro_report_item *items;
	size_t nitems;
	struct ro_report_sheet **sheets;
	size_t nsheets;
};

/* The text people read for a cell (era time, label, decimal), malloc'd;
 * "" for an empty cell. */
char *ro_report_cell_text(const struct ro_report_cell *c);

/* ro_report_clip returns s cut to at most max bytes on a UTF-8 boundary,
 * with "…" when cut (malloc'd; NULL for NULL). */
char *ro_report_clip(const char *s, size_t max);

/* ro_report_jst writes Unix seconds t as JST "2026-10-05<sep>09:12:30". */
char *ro_report_jst(int64_t t, char sep, char out[static 32]);

/* Japanese labels for the store's codes (the code itself when unknown):
 * a step run's result (NULL: no outcome recorded), a host's state, a
 * campaign's state, an approval's decision. */
const char *ro_label_step(const char *status);
const char *ro_label_host(const char *state);
const char *ro_label_campaign(const char *state);
const char *ro_label_decision(const char *decision);

/* ro_report_journal_items binds a report to the journal head jc that the
 * caller verified in the report's snapshot (summary items). */
void ro_report_journal_items(struct ro_report *r, const struct ro_journal_check *jc);

#endif
