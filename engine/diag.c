/* diag.c - collecting and showing diagnostics; did-you-mean suggestions. */
#include "diag.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_DEFAULT_MAX 50

void
ro_diags_init(struct ro_diags *d)
{
	memset(d, 0, sizeof *d);
}

void
ro_diags_free(struct ro_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].hint);
	}
	free(d->v);
	ro_diags_init(d);
}

void
ro_diag_add(struct ro_diags *d, const char *file, int line, int col,
    const char *hint, const char *fmt, ...)
{
	struct ro_diag *g;
	struct ro_buf b;
	va_list ap;
	size_t max = d->max ? d->max : DIAG_DEFAULT_MAX;

	if (d->n >= max) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = ro_xrealloc(d->v, d->cap * sizeof *d->v);
	}
	g = &d->v[d->n++];
	g->file = ro_xstrdup(file ? file : "<input>");
	g->line = line;
	g->col = col;
	ro_buf_init(&b);
	va_start(ap, fmt);
	ro_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	g->msg = b.p;
	g->hint = hint ? ro_xstrdup(hint) : NULL;
}

void
ro_diags_print(FILE *f, const struct ro_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct ro_diag *g = &d->v[i];
		if (g->line > 0)
			fprintf(f, "%s:%d:%d: error: %s\n", g->file, g->line, g->col, g->msg);
		else
			fprintf(f, "%s: error: %s\n", g->file, g->msg);
		if (g->hint)
			fprintf(f, "  hint: %s\n", g->hint);
	}
	if (d->dropped)
		fprintf(f, "(%zu more errors not shown)\n", d->dropped);
}

void
ro_diags_print_json(FILE *f, const struct ro_diags *d)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < d->n; i++) {
		const struct ro_diag *g = &d->v[i];
		fputs(i ? ",{\"file\":" : "{\"file\":", f);
		ro_json_str(f, g->file);
		fprintf(f, ",\"line\":%d,\"col\":%d,\"message\":", g->line, g->col);
		ro_json_str(f, g->msg);
		fputs(",\"hint\":", f);
		ro_json_str(f, g->hint);
		fputc('}', f);
	}
	fputs("]\n", f);
}

/* Optimal string alignment distance, ASCII case-insensitive, capped. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *prev2, *prev, *cur, r;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	prev2 = ro_xcalloc(lb + 1, sizeof *prev2);
	prev = ro_xcalloc(lb + 1, sizeof *prev);
	cur = ro_xcalloc(lb + 1, sizeof *cur);
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		size_t *t;
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;
			size_t v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	r = prev[lb];
	free(prev2);
	free(prev);
	free(cur);
	return r;
}

const char *
ro_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, len = strlen(word), limit;

	/* Allow one edit for short words, about a third of the length otherwise. */
	limit = len <= 4 ? 1 : len / 3 + 1;
	for (; candidates && *candidates; candidates++) {
		size_t dist = distance(word, *candidates);
		if (dist < bestd) {
			bestd = dist;
			best = *candidates;
		}
	}
	return bestd <= limit ? best : NULL;
}
