/*
 * yread.h - reading typed values out of a ydoc tree, with diagnostics.
 *
 * Every reader takes a context naming the file and the diagnostics list;
 * on a type or range error it appends "expected X, found Y" at the node's
 * line and column and returns RO_EINVAL, leaving *out untouched.
 */
#ifndef RO_YREAD_H
#define RO_YREAD_H

#include <stdint.h>

#include "diag.h"
#include "ydoc.h"

struct ro_yctx {
	const char *file;
	struct ro_diags *d;
};

/* A count, or a percentage of something counted later. */
struct ro_countpct {
	int pct;      /* 1 when value is a percentage */
	long value;   /* count, or percent 0..100 */
};

void ro_yerr(const struct ro_yctx *c, const struct ro_ynode *n, const char *hint,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ro_ycheck_keys reports keys of map that are not in allowed (NULL-ended),
 * with a did-you-mean hint; returns RO_EINVAL if any. */
int ro_ycheck_keys(const struct ro_yctx *c, const struct ro_ynode *map,
    const char *const *allowed, const char *what);
/* ro_yrequire fetches a required key of map, reporting it when missing. */
struct ro_ynode *ro_yrequire(const struct ro_yctx *c, const struct ro_ynode *map,
    const char *key, const char *what);

/*
 * ro_yroot checks the top of a rollout file: not empty, a mapping, only the
 * allowed keys, and the identifying first key (kind, e.g. "playbook") with an
 * identifier value put in *name. Returns the root, or NULL when the file
 * cannot be read further; *bad is set when a non-fatal error was reported.
 */
const struct ro_ynode *ro_yroot(const struct ro_yctx *c, const struct ro_ydoc *doc,
    const char *kind, const char *const *allowed, const char **name, int *bad);
/* ro_yopt_str reads an optional string key of map into *out (arena copy). */
int ro_yopt_str(const struct ro_yctx *c, const struct ro_ynode *map, const char *key,
    struct ro_arena *a, const char **out);

int ro_yexpect(const struct ro_yctx *c, const struct ro_ynode *n, enum ro_ykind kind,
    const char *what);
int ro_ystr(const struct ro_yctx *c, const struct ro_ynode *n, const char **out);
int ro_yident(const struct ro_yctx *c, const struct ro_ynode *n, const char **out);
int ro_yint(const struct ro_yctx *c, const struct ro_ynode *n, long min, long max, long *out);
int ro_ybool(const struct ro_yctx *c, const struct ro_ynode *n, int *out);
/* Durations: 90s, 30m, 2h, 1h30m, 1d; a bare number is seconds. */
int ro_yduration(const struct ro_yctx *c, const struct ro_ynode *n, long *seconds);
int ro_ycountpct(const struct ro_yctx *c, const struct ro_ynode *n, struct ro_countpct *out);
/* A date YYYY-MM-DD as a day number (days since 1970-01-01). */
int ro_ydate(const struct ro_yctx *c, const struct ro_ynode *n, long *day);
/* A scalar or a sequence of scalars: *items points into the tree, or at
 * *one (caller storage) when n is a lone scalar. */
int ro_ystrlist(const struct ro_yctx *c, const struct ro_ynode *n,
    const struct ro_ynode **one, const struct ro_ynode *const **items, size_t *count);
/* ro_yenum maps a scalar to its index in names (NULL-ended). */
int ro_yenum(const struct ro_yctx *c, const struct ro_ynode *n, const char *const *names,
    const char *what, int *out);

/* Plain parsers shared with the command line (return 0 or RO_EINVAL). */
int ro_parse_duration(const char *s, long *seconds);
int ro_parse_date(const char *s, long *day);
int ro_parse_ipv4(const char *s, uint32_t *ip);
int ro_is_ident(const char *s);
/* ro_days_from_civil converts a proleptic Gregorian date to a day number. */
long ro_days_from_civil(long y, unsigned m, unsigned d);
void ro_civil_from_days(long z, long *y, unsigned *m, unsigned *d);

#endif
