/*
 * report.h - the city's reports (作業報告書, 月次報告書 ...) as one model
 * written three ways: .xlsx for people (libxlsxwriter: Japanese headings, a
 * CJK font, column widths, frozen header rows, A4 print setup with page
 * headers and numbers), CSV for Excel (UTF-8 with BOM, CRLF, RFC 4180
 * quoting, formula injection neutralised) and JSON for programs.
 *
 * A report is a title, a list of summary items (項目 / 値) and a list of
 * sheets; a sheet is a list of columns (a JSON key, a Japanese heading) and
 * rows of typed cells. Builders (report-work.c, report-monthly.c) fill the
 * model from the store; the writers (report-xlsx.c, report-text.c) know
 * nothing about campaigns. ro_report_save writes a file atomically: a
 * reader sees the old file, or none, or the whole new one.
 *
 * Nothing secret ever enters a report: builders are given the store's rows,
 * which never hold one (docs/STORE.md), and credential names and vault
 * version numbers only.
 */
#ifndef RO_REPORT_H
#define RO_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"

struct ro_buf;

/* The font every cell and heading is set in: a CJK font that LibreOffice
 * and Google Workspace render, and Excel replaces by its own Japanese font
 * when it lacks it. */
#define RO_REPORT_FONT "Noto Sans CJK JP"

enum ro_report_format { RO_REPORT_XLSX, RO_REPORT_CSV, RO_REPORT_JSON };

/* ro_report_format_parse: "xlsx", "csv" or "json"; RO_EINVAL otherwise. */
int ro_report_format_parse(const char *s, enum ro_report_format *out);
const char *ro_report_format_ext(enum ro_report_format f);

enum ro_cell_kind {
	RO_CELL_NULL,  /* empty (JSON null) */
	RO_CELL_TEXT,
	RO_CELL_INT,
	RO_CELL_TIME,  /* Unix seconds: era date and JST time for people, ISO 8601 in JSON */
	RO_CELL_LABEL, /* a code (JSON) shown to people as its Japanese label */
};

struct ro_report_col {
	const char *key;  /* the JSON key (ASCII) */
	const char *ja;   /* the heading people read */
	int max_width;    /* the widest the column may grow, in character cells */
};

struct ro_report;
struct ro_report_sheet;

/* ro_report_new starts a report of kind ("work", "monthly") titled in
 * Japanese; subject is what it is about (a campaign id, "2026-10"). */
struct ro_report *ro_report_new(const char *kind, const char *title_ja, const char *subject);
void ro_report_free(struct ro_report *r); /* accepts NULL */

/* ro_report_item adds one summary line (概要): a key, its Japanese label and
 * a value cell, added with the cell functions below on the returned row. */
void ro_report_item_text(struct ro_report *r, const char *key, const char *ja, const char *v);
void ro_report_item_int(struct ro_report *r, const char *key, const char *ja, int64_t v);
void ro_report_item_time(struct ro_report *r, const char *key, const char *ja, int64_t t);

/* ro_report_sheet adds a sheet named name_ja (at most 31 characters, none
 * of []:*?/\) whose rows have the columns cols[0..ncols) (kept by
 * reference: pass static arrays). key names it in JSON and CSV. */
struct ro_report_sheet *ro_report_sheet(struct ro_report *r, const char *key,
    const char *name_ja, const struct ro_report_col *cols, size_t ncols);

/* ro_report_note adds a sentence shown under the sheet's table and kept in
 * JSON (e.g. why a section is empty). */
void ro_report_note(struct ro_report_sheet *s, const char *text);

/* A row is begun with ro_report_row and filled left to right with exactly
 * one cell per column (asserted when the next row begins or on write). */
void ro_report_row(struct ro_report_sheet *s);
void ro_report_text(struct ro_report_sheet *s, const char *v); /* NULL: empty */
void ro_report_int(struct ro_report_sheet *s, int64_t v);
void ro_report_time(struct ro_report_sheet *s, int64_t unix_seconds);
void ro_report_null(struct ro_report_sheet *s);
void ro_report_label(struct ro_report_sheet *s, const char *code, const char *ja);

/* Counting, for tests and for the summary. */
size_t ro_report_sheet_rows(const struct ro_report_sheet *s);

/* The writers. ro_report_xlsx writes the workbook to path (which must not
 * exist: ro_report_save gives it a fresh private name). */
int ro_report_xlsx(const struct ro_report *r, const char *path, char **cause);
void ro_report_csv(const struct ro_report *r, struct ro_buf *out);
void ro_report_json(const struct ro_report *r, struct ro_buf *out);

/*
 * ro_report_save writes r as fmt to path, atomically: into a private
 * directory (mkdtemp, 0700) beside path, synced, then linked into place
 * (refused with RO_EEXIST when path exists and force is 0: nothing is
 * overwritten) or, with force, renamed over it. A symbolic link at path is
 * replaced, never followed. On any failure nothing is left at path that was
 * not there before. path "-" writes CSV or JSON to standard output.
 */
int ro_report_save(const struct ro_report *r, enum ro_report_format fmt, const char *path,
    int force, char **cause);

/* ---- dates as city documents write them ------------------------------ */

/* RO_ERA_MAX bytes hold the longest era date and time, NUL included. */
#define RO_ERA_MAX 64

/*
 * ro_era_date writes d in the Japanese era: "令和8年11月30日", the first
 * year as 元年 ("令和元年5月1日"). Eras from 明治6年 (1873, the Gregorian
 * calendar's adoption); earlier dates are written "1872年12月31日".
 */
char *ro_era_date(struct ro_date d, char buf[static RO_ERA_MAX]);
/* ro_era_month writes "令和8年10月" for the month of d. */
char *ro_era_month(struct ro_date d, char buf[static RO_ERA_MAX]);
/* ro_era_time writes Unix seconds t as "令和8年10月5日 09:12:30" (JST). */
char *ro_era_time(int64_t t, char buf[static RO_ERA_MAX]);

/* ---- the reports (builders read the store in one snapshot) ---------- */

struct ro_store;
struct ro_journal_check;

/*
 * ro_report_work builds 作業報告書 for campaign: per host every step run
 * with its times, result, exit code and the person; the approvals with
 * their signers; bound to the journal head jc (verified by the caller in
 * the same read snapshot). now is the time the report is made. RO_ENOENT
 * (and *cause) for an unknown campaign.
 */
int ro_report_work(struct ro_store *st, const char *campaign, const struct ro_journal_check *jc,
    int64_t now, struct ro_report **out, char **cause);

/*
 * ro_report_monthly builds 月次報告書 for the month of first (its first
 * day): every campaign with work in the month, the incidents section, the
 * security compliance checklist and the people who worked.
 */
int ro_report_monthly(struct ro_store *st, struct ro_date first, const struct ro_journal_check *jc,
    int64_t now, struct ro_report **out, char **cause);

/*
 * ro_report_inspection builds 点検報告書 for an inspection campaign: the 29
 * items x hosts matrix (○ passed / × finding / 要確認 not checked yet), the
 * findings with their item and output, and the on-site records with the
 * person who made each (docs/INSPECTION.md).
 */
int ro_report_inspection(struct ro_store *st, const char *campaign,
    const struct ro_journal_check *jc, int64_t now, struct ro_report **out, char **cause);

/*
 * ro_report_checklist builds 現地確認チェックリスト for campaign: one sheet
 * per site (only site, when not NULL) listing per host the manual steps
 * still waiting for an on-site record, with boxes for the result, the
 * person and the date. RO_ENOENT (and *cause) for an unknown campaign or a
 * site the campaign has no host at.
 */
int ro_report_checklist(struct ro_store *st, const char *campaign, const char *site,
    const struct ro_journal_check *jc, int64_t now, struct ro_report **out, char **cause);

/*
 * ro_report_procedure builds 作業手順書 from plan p (report-procedure.c):
 * the work, the artefacts with their sha256, the steps per role, the
 * downtime per site, the per-host times, the rollback, the contacts and an
 * approval block, bound to the plan hash (in the summary and, through the
 * subject, in every sheet's page header). Reads no store.
 */
struct ro_plan;
int ro_report_procedure(const struct ro_plan *p, int64_t now, struct ro_report **out,
    char **cause);

#endif
