/* clock.c - the virtual scheduling clock (see clock.h). */
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "error.h"

const char ro_clock_usage[] =
    "  --time-warp N         run N virtual seconds per real second (demo, tests)\n"
    "  --clock-start WHEN    virtual start, YYYY-MM-DDTHH:MM[:SS] JST or Unix seconds\n"
    "  --clock-anchor SECS   real Unix time that WHEN corresponds to (default: now)\n";

static double
real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ro_clock_init(struct ro_clock *c)
{
	c->anchor = real_now();
	c->start = c->anchor;
	c->warp = 1.0;
}

/* Parses YYYY-MM-DDTHH:MM[:SS] (JST) into Unix seconds. */
static int
parse_when(const char *s, double *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s && *end == '\0' && errno == 0 && v >= 0) {
		*out = (double)v;
		return 0;
	}
	char date[11];
	if (strlen(s) < 16 || s[10] != 'T')
		return RO_EINVAL;
	memcpy(date, s, 10);
	date[10] = '\0';
	struct ro_date d;
	if (ro_date_parse_iso(date, &d) != 0)
		return RO_EINVAL;
	int hh, mm, ss = 0, n = 0;
	const char *t = s + 11;
	if (sscanf(t, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
		return RO_EINVAL;
	t += n;
	if (*t == ':') {
		int n2 = 0;
		if (sscanf(t, ":%2d%n", &ss, &n2) != 1 || n2 != 3)
			return RO_EINVAL;
		t += n2;
	}
	if (*t != '\0' || hh > 23 || mm > 59 || ss > 59 || hh < 0 || mm < 0 || ss < 0)
		return RO_EINVAL;
	int64_t minute = ro_jst_minute(ro_date_to_day(d), hh * 60 + mm);
	*out = (double)minute * 60.0 + ss;
	return 0;
}

int
ro_clock_option(struct ro_clock *c, const char *name, const char *value,
    const char **why)
{
	if (strcmp(name, "--time-warp") == 0) {
		char *end;
		errno = 0;
		double w = value ? strtod(value, &end) : 0;
		if (!value || *end || errno || !(w >= 1 && w <= 1e6)) {
			*why = "--time-warp takes a number from 1 to 1000000 (virtual seconds per real second)";
			return RO_EINVAL;
		}
		c->warp = w; /* flags are read at once, so order does not matter */
		return 1;
	}
	if (strcmp(name, "--clock-start") == 0) {
		double v;
		if (!value || parse_when(value, &v) != 0) {
			*why = "--clock-start takes YYYY-MM-DDTHH:MM[:SS] (JST) or Unix seconds, e.g. 2026-10-05T08:45";
			return RO_EINVAL;
		}
		c->start = v;
		return 1;
	}
	if (strcmp(name, "--clock-anchor") == 0) {
		char *end;
		errno = 0;
		double v = value ? strtod(value, &end) : 0;
		if (!value || *end || errno || !(v > 0)) {
			*why = "--clock-anchor takes real Unix seconds, e.g. $(date +%s)";
			return RO_EINVAL;
		}
		c->anchor = v;
		return 1;
	}
	return 0;
}

double
ro_clock_now(const struct ro_clock *c)
{
	return c->start + (real_now() - c->anchor) * c->warp;
}

int64_t
ro_clock_now_s(const struct ro_clock *c)
{
	return (int64_t)floor(ro_clock_now(c));
}

uint64_t
ro_clock_real_ms(const struct ro_clock *c, double virtual_seconds)
{
	if (virtual_seconds <= 0)
		return 0;
	double ms = virtual_seconds * 1000.0 / c->warp;
	if (ms < 1)
		return 1;
	if (ms > 1e15)
		return (uint64_t)1e15;
	return (uint64_t)ceil(ms);
}

int64_t
ro_clock_store_cb(void *ctx)
{
	return ro_clock_now_s(ctx);
}
