/* yread.c - typed, located reading of YAML values. */
#include "yread.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
ro_yerr(const struct ro_yctx *c, const struct ro_ynode *n, const char *hint,
    const char *fmt, ...)
{
	struct ro_buf b;
	va_list ap;

	ro_buf_init(&b);
	va_start(ap, fmt);
	ro_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ro_diag_add(c->d, c->file, n ? n->line : 0, n ? n->col : 0, hint, "%s", b.p);
	ro_buf_free(&b);
}

static const char *
found(const struct ro_ynode *n)
{
	static __thread char buf[96];

	if (n->kind != RO_YSCALAR)
		return ro_ykind_name(n->kind);
	if (strlen(n->str) > 40)
		snprintf(buf, sizeof buf, "'%.40s...'", n->str);
	else
		snprintf(buf, sizeof buf, "'%s'", n->str);
	return buf;
}

int
ro_ycheck_keys(const struct ro_yctx *c, const struct ro_ynode *map,
    const char *const *allowed, const char *what)
{
	size_t i;
	int rc = RO_OK;

	for (i = 0; i < map->n; i++) {
		const struct ro_ynode *k = RO_YMAP_KEY(map, i);
		const char *const *a;
		const char *sugg;
		int ok = 0;

		if (k->kind != RO_YSCALAR) {
			ro_yerr(c, k, NULL, "expected a plain key in %s, found %s", what,
			    ro_ykind_name(k->kind));
			rc = RO_EINVAL;
			continue;
		}
		for (a = allowed; *a; a++)
			if (strcmp(*a, k->str) == 0)
				ok = 1;
		if (ok)
			continue;
		sugg = ro_suggest(k->str, allowed);
		if (sugg) {
			char *hint = ro_xasprintf("did you mean '%s'?", sugg);
			ro_yerr(c, k, hint, "unknown key '%s' in %s", k->str, what);
			free(hint);
		} else {
			struct ro_buf b;
			ro_buf_init(&b);
			ro_buf_adds(&b, "allowed keys: ");
			for (a = allowed; *a; a++)
				ro_buf_printf(&b, "%s%s", a == allowed ? "" : ", ", *a);
			ro_yerr(c, k, b.p, "unknown key '%s' in %s", k->str, what);
			ro_buf_free(&b);
		}
		rc = RO_EINVAL;
	}
	return rc;
}

struct ro_ynode *
ro_yrequire(const struct ro_yctx *c, const struct ro_ynode *map, const char *key,
    const char *what)
{
	struct ro_ynode *v = ro_ymap_get(map, key);

	if (v == NULL) {
		char *hint = ro_xasprintf("add '%s:' to %s", key, what);
		ro_yerr(c, map, hint, "%s is missing the required key '%s'", what, key);
		free(hint);
	}
	return v;
}

const struct ro_ynode *
ro_yroot(const struct ro_yctx *c, const struct ro_ydoc *doc, const char *kind,
    const char *const *allowed, const char **name, int *bad)
{
	const struct ro_ynode *root = doc->root, *v;
	char what[64], hint[96];

	snprintf(what, sizeof what, "the %s", kind);
	if (root == NULL) {
		snprintf(hint, sizeof hint, "a %s file starts with '%s: NAME'", kind, kind);
		ro_diag_add(c->d, c->file, 1, 1, hint, "the file is empty");
		return NULL;
	}
	if (ro_yexpect(c, root, RO_YMAP, "the top of the file") != RO_OK)
		return NULL;
	if (ro_ycheck_keys(c, root, allowed, what) != RO_OK)
		*bad = 1;
	if ((v = ro_yrequire(c, root, kind, what)) == NULL || ro_yident(c, v, name) != RO_OK)
		*bad = 1;
	return root;
}

int
ro_yopt_str(const struct ro_yctx *c, const struct ro_ynode *map, const char *key,
    struct ro_arena *a, const char **out)
{
	const struct ro_ynode *v = ro_ymap_get(map, key);
	const char *s;

	if (v == NULL)
		return RO_OK;
	if (ro_ystr(c, v, &s) != RO_OK)
		return RO_EINVAL;
	*out = ro_arena_strdup(a, s);
	return RO_OK;
}

int
ro_yexpect(const struct ro_yctx *c, const struct ro_ynode *n, enum ro_ykind kind,
    const char *what)
{
	if (n->kind == kind)
		return RO_OK;
	ro_yerr(c, n, NULL, "expected %s for %s, found %s", ro_ykind_name(kind), what, found(n));
	return RO_EINVAL;
}

int
ro_ystr(const struct ro_yctx *c, const struct ro_ynode *n, const char **out)
{
	if (n->kind != RO_YSCALAR) {
		ro_yerr(c, n, NULL, "expected a string, found %s", ro_ykind_name(n->kind));
		return RO_EINVAL;
	}
	*out = n->str;
	return RO_OK;
}

int
ro_is_ident(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '-' || strlen(s) > 64)
		return 0;
	for (p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return 0;
	return 1;
}

int
ro_yident(const struct ro_yctx *c, const struct ro_ynode *n, const char **out)
{
	if (ro_ystr(c, n, out) != RO_OK)
		return RO_EINVAL;
	if (!ro_is_ident(n->str)) {
		ro_yerr(c, n, "use lower-case letters, digits and '-' (at most 64), e.g. kita-t01",
		    "expected an identifier, found %s", found(n));
		return RO_EINVAL;
	}
	return RO_OK;
}

int
ro_yint(const struct ro_yctx *c, const struct ro_ynode *n, long min, long max, long *out)
{
	char *end;
	long v;

	if (n->kind != RO_YSCALAR) {
		ro_yerr(c, n, NULL, "expected a whole number, found %s", ro_ykind_name(n->kind));
		return RO_EINVAL;
	}
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (n->str[0] == '\0' || *end != '\0' || errno == ERANGE || isspace((unsigned char)n->str[0])) {
		ro_yerr(c, n, NULL, "expected a whole number, found %s", found(n));
		return RO_EINVAL;
	}
	if (v < min || v > max) {
		char *hint = ro_xasprintf("use a value from %ld to %ld", min, max);
		ro_yerr(c, n, hint, "value %ld is out of range", v);
		free(hint);
		return RO_EINVAL;
	}
	*out = v;
	return RO_OK;
}

int
ro_ybool(const struct ro_yctx *c, const struct ro_ynode *n, int *out)
{
	if (n->kind == RO_YSCALAR && n->plain) {
		if (strcmp(n->str, "true") == 0 || strcmp(n->str, "yes") == 0) {
			*out = 1;
			return RO_OK;
		}
		if (strcmp(n->str, "false") == 0 || strcmp(n->str, "no") == 0) {
			*out = 0;
			return RO_OK;
		}
	}
	ro_yerr(c, n, "write true or false", "expected a boolean, found %s", found(n));
	return RO_EINVAL;
}

int
ro_parse_duration(const char *s, long *seconds)
{
	long total = 0;
	const char *p = s;

	if (*p == '\0')
		return RO_EINVAL;
	while (*p) {
		long v = 0, unit;
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			if (v > 100000000)
				return RO_EINVAL;
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits)
			return RO_EINVAL;
		switch (*p) {
		case 'd': unit = 86400; p++; break;
		case 'h': unit = 3600; p++; break;
		case 'm': unit = 60; p++; break;
		case 's': unit = 1; p++; break;
		case '\0':
			if (p - digits != s) /* a bare number only on its own */
				return RO_EINVAL;
			unit = 1;
			break;
		default: return RO_EINVAL;
		}
		total += v * unit;
		if (total > 366L * 86400)
			return RO_EINVAL;
	}
	*seconds = total;
	return RO_OK;
}

int
ro_yduration(const struct ro_yctx *c, const struct ro_ynode *n, long *seconds)
{
	if (n->kind != RO_YSCALAR || ro_parse_duration(n->str, seconds) != RO_OK) {
		ro_yerr(c, n, "write e.g. 90s, 30m, 2h, 1h30m or 1d (at most 366d)",
		    "expected a duration, found %s", found(n));
		return RO_EINVAL;
	}
	return RO_OK;
}

int
ro_ycountpct(const struct ro_yctx *c, const struct ro_ynode *n, struct ro_countpct *out)
{
	size_t len;
	char *end;
	long v;

	if (n->kind != RO_YSCALAR)
		goto bad;
	len = strlen(n->str);
	if (len == 0 || !isdigit((unsigned char)n->str[0]))
		goto bad;
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (errno == ERANGE || v > 1000000)
		goto bad;
	if (*end == '%' && end[1] == '\0') {
		if (v > 100) {
			ro_yerr(c, n, "a percentage is at most 100%",
			    "percentage %ld%% is over 100%%", v);
			return RO_EINVAL;
		}
		out->pct = 1;
		out->value = v;
		return RO_OK;
	}
	if (*end != '\0')
		goto bad;
	out->pct = 0;
	out->value = v;
	return RO_OK;
bad:
	ro_yerr(c, n, "write a count such as 3, or a percentage such as 25%",
	    "expected a count or a percentage, found %s", found(n));
	return RO_EINVAL;
}

/* Howard Hinnant's days-from-civil algorithm (proleptic Gregorian). */
long
ro_days_from_civil(long y, unsigned m, unsigned d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
ro_civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
ro_parse_date(const char *s, long *day)
{
	unsigned y, m, d, mdays;
	static const unsigned ml[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return RO_EINVAL;
		} else if (!isdigit((unsigned char)s[i]))
			return RO_EINVAL;
	}
	if (s[10] != '\0')
		return RO_EINVAL;
	y = (unsigned)atoi(s);
	m = (unsigned)atoi(s + 5);
	d = (unsigned)atoi(s + 8);
	if (y < 1900 || y > 2200 || m < 1 || m > 12)
		return RO_EINVAL;
	mdays = ml[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d < 1 || d > mdays)
		return RO_EINVAL;
	*day = ro_days_from_civil(y, m, d);
	return RO_OK;
}

int
ro_ydate(const struct ro_yctx *c, const struct ro_ynode *n, long *day)
{
	if (n->kind != RO_YSCALAR || ro_parse_date(n->str, day) != RO_OK) {
		ro_yerr(c, n, "write a real date as YYYY-MM-DD, e.g. 2026-10-05",
		    "expected a date, found %s", found(n));
		return RO_EINVAL;
	}
	return RO_OK;
}

int
ro_parse_ipv4(const char *s, uint32_t *ip)
{
	uint32_t v = 0;
	int part;

	for (part = 0; part < 4; part++) {
		int digits = 0;
		unsigned o = 0;
		while (isdigit((unsigned char)*s)) {
			o = o * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3)
				return RO_EINVAL;
		}
		if (!digits || o > 255)
			return RO_EINVAL;
		v = v << 8 | o;
		if (part < 3 && *s++ != '.')
			return RO_EINVAL;
	}
	if (*s != '\0')
		return RO_EINVAL;
	*ip = v;
	return RO_OK;
}

int
ro_ystrlist(const struct ro_yctx *c, const struct ro_ynode *n,
    const struct ro_ynode **one, const struct ro_ynode *const **items, size_t *count)
{
	size_t i;

	if (n->kind == RO_YSCALAR) {
		/* A lone scalar stands for a one-item list. */
		*one = n;
		*items = one;
		*count = 1;
		return RO_OK;
	}
	if (n->kind != RO_YSEQ) {
		ro_yerr(c, n, "write a list such as [a, b]", "expected a list, found %s",
		    ro_ykind_name(n->kind));
		return RO_EINVAL;
	}
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->kind != RO_YSCALAR) {
			ro_yerr(c, n->items[i], NULL, "expected a string in the list, found %s",
			    ro_ykind_name(n->items[i]->kind));
			return RO_EINVAL;
		}
	}
	*items = (const struct ro_ynode *const *)n->items;
	*count = n->n;
	return RO_OK;
}

int
ro_yenum(const struct ro_yctx *c, const struct ro_ynode *n, const char *const *names,
    const char *what, int *out)
{
	const char *const *p;
	const char *sugg;
	struct ro_buf b;

	if (n->kind == RO_YSCALAR)
		for (p = names; *p; p++)
			if (strcmp(*p, n->str) == 0) {
				*out = (int)(p - names);
				return RO_OK;
			}
	ro_buf_init(&b);
	sugg = n->kind == RO_YSCALAR ? ro_suggest(n->str, names) : NULL;
	if (sugg)
		ro_buf_printf(&b, "did you mean '%s'? ", sugg);
	ro_buf_adds(&b, "one of: ");
	for (p = names; *p; p++)
		ro_buf_printf(&b, "%s%s", p == names ? "" : ", ", *p);
	ro_yerr(c, n, b.p, "unknown %s %s", what, found(n));
	ro_buf_free(&b);
	return RO_EINVAL;
}
