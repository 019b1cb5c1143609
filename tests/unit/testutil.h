/*
 * testutil.h - helpers shared by the cmocka tests: a private temp directory
 * and writing small files into it.
 */
#ifndef RO_TESTUTIL_H
#define RO_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tu_dir[256];

/* Makes (once) a fresh temp directory for this test process. */
static inline const char *
tu_tmpdir(void)
{
	if (tu_dir[0] == '\0') {
		snprintf(tu_dir, sizeof tu_dir, "/tmp/rollout-test-XXXXXX");
		if (mkdtemp(tu_dir) == NULL)
			abort();
	}
	return tu_dir;
}

/* Writes text to <tmpdir>/name and returns the malloc'd path. */
static inline char *
tu_write(const char *name, const char *text)
{
	size_t n = strlen(tu_tmpdir()) + strlen(name) + 2;
	char *path = malloc(n);
	FILE *f;

	snprintf(path, n, "%s/%s", tu_tmpdir(), name);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

/* True when some diagnostic's "file:line:col: msg" contains all of want. */
#define TU_DIAG_HAS(d, line_, col_, needle) tu_diag_has((d), (line_), (col_), (needle))
static inline int
tu_diag_has(const struct ro_diags *d, int line, int col, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (line && d->v[i].line != line)
			continue;
		if (col && d->v[i].col != col)
			continue;
		if (strstr(d->v[i].msg, needle) || (d->v[i].hint && strstr(d->v[i].hint, needle)))
			return 1;
	}
	for (i = 0; i < d->n; i++)
		fprintf(stderr, "  diag: %s:%d:%d: %s (hint: %s)\n", d->v[i].file, d->v[i].line,
		    d->v[i].col, d->v[i].msg, d->v[i].hint ? d->v[i].hint : "-");
	return 0;
}

#endif
