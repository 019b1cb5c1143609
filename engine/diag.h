/*
 * diag.h - diagnostics a person can act on.
 *
 * Loaders and validators never print; they append diagnostics here, each
 * with file:line:col (1-based), what was expected and found, and a hint.
 * The command that called them decides how to show them.
 */
#ifndef RO_DIAG_H
#define RO_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct ro_diag {
	char *file;
	int line;
	int col;
	char *msg;
	char *hint; /* may be NULL */
};

struct ro_diags {
	struct ro_diag *v;
	size_t n;
	size_t cap;
	size_t max; /* stop collecting after this many (0 = default 50) */
	size_t dropped;
};

void ro_diags_init(struct ro_diags *d);
void ro_diags_free(struct ro_diags *d);

/* ro_diag_add appends one diagnostic. hint may be NULL. */
void ro_diag_add(struct ro_diags *d, const char *file, int line, int col,
    const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* ro_diags_print writes "file:line:col: error: msg" and "  hint: ..." lines. */
void ro_diags_print(FILE *f, const struct ro_diags *d);

/* ro_diags_print_json writes the diagnostics as one JSON array. */
void ro_diags_print_json(FILE *f, const struct ro_diags *d);

/*
 * ro_suggest returns the candidate closest to word (Damerau-Levenshtein,
 * case-insensitive) when it is close enough to be a likely typo, else NULL.
 * candidates is NULL-terminated.
 */
const char *ro_suggest(const char *word, const char *const *candidates);

#endif
