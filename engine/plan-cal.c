/* plan-cal.c - the calendar in Unix seconds for the planner (see plan-cal.h). */
#include "plan-cal.h"
#include "calendar.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

struct ro_pcal {
	struct ro_calendar *cal;
};

struct ro_pcal *
ro_pcal_new(const long *closed_days, size_t n)
{
	struct ro_pcal *p = ro_xcalloc(1, sizeof *p);

	p->cal = ro_cal_new_closed(closed_days, n);
	return p;
}

void
ro_pcal_free(struct ro_pcal *p)
{
	if (p == NULL)
		return;
	ro_cal_free(p->cal);
	free(p);
}

/* Minutes (the calendar's unit) from seconds, rounding down / up. */
static int64_t
min_floor(int64_t s)
{
	return s >= 0 ? s / 60 : -((-s + 59) / 60);
}

static int64_t
min_ceil(int64_t s)
{
	return -min_floor(-s);
}

static void
clamp_range(int64_t *from, int64_t *to)
{
	int64_t lo = ro_jst_minute(ro_cal_first_day(), 0) * 60;
	int64_t hi = ro_jst_minute(ro_cal_last_day() + 1, 0) * 60;

	if (*from < lo)
		*from = lo;
	if (*to > hi)
		*to = hi;
}

int
ro_pcal_windows(const struct ro_pcal *p, enum ro_pcal_kind kind, int open, int close,
    int64_t from, int64_t to, struct ro_span **out, size_t *n)
{
	struct ro_hours h = ro_cal_hours(p->cal);
	struct ro_window *cw = NULL, w;
	struct ro_span *v = NULL;
	size_t nv = 0, cap = 0, i, ncw = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	clamp_range(&from, &to);
	if (to <= from)
		return 0;
	if (open >= 0)
		h = (struct ro_hours){ open, close };
	if (kind == RO_PCAL_ANY) {
		v = ro_xmalloc(sizeof *v);
		v[0] = (struct ro_span){ from, to };
		*out = v;
		*n = 1;
		return 0;
	}
	if (kind == RO_PCAL_BUSINESS) {
		struct ro_cal_iter it;
		ro_cal_iter_init(&it, p->cal, &h, min_ceil(from), min_floor(to));
		while (ro_cal_iter_next(&it, &w) == 1) {
			if (nv == cap) {
				cap = cap ? cap * 2 : 64;
				v = ro_xrealloc(v, cap * sizeof *v);
			}
			v[nv++] = (struct ro_span){ w.start * 60, w.end * 60 };
		}
	} else {
		rc = ro_cal_closed_windows(p->cal, &h, min_floor(from), min_ceil(to),
		    RO_PCAL_CLOSED_MIN_DAYS, &cw, &ncw);
		if (rc != 0)
			return rc;
		v = ro_xmalloc((ncw ? ncw : 1) * sizeof *v);
		for (i = 0; i < ncw; i++) {
			int64_t s = cw[i].start * 60, e = cw[i].end * 60;
			if (s < from)
				s = from;
			if (e > to)
				e = to;
			if (e > s)
				v[nv++] = (struct ro_span){ s, e };
		}
		free(cw);
	}
	*out = v;
	*n = nv;
	return rc;
}

int64_t
ro_pcal_next_working(const struct ro_pcal *p, int64_t t)
{
	int64_t m;

	if (ro_cal_next_working(p->cal, NULL, min_ceil(t), &m) != 0)
		return INT64_MAX;
	return m * 60;
}

int64_t
ro_pcal_after_workdays(const struct ro_pcal *p, int64_t t, long n)
{
	int32_t day = ro_pcal_day(t);
	struct ro_hours h = ro_cal_hours(p->cal);

	while (n > 0) {
		int r;
		day++;
		if ((r = ro_cal_is_workday(p->cal, day)) < 0)
			return INT64_MAX;
		n -= r;
	}
	return ro_jst_minute(day, h.close) * 60;
}

int
ro_pcal_is_workday(const struct ro_pcal *p, int32_t day)
{
	return ro_cal_is_workday(p->cal, day) == 1;
}

int32_t
ro_pcal_day(int64_t t)
{
	int32_t day;
	int min;

	ro_jst_split(min_floor(t), &day, &min);
	return day;
}

int
ro_pcal_minute(int64_t t)
{
	int32_t day;
	int min;

	ro_jst_split(min_floor(t), &day, &min);
	return min;
}

int64_t
ro_pcal_at(int32_t day, int min)
{
	return ro_jst_minute(day, min) * 60;
}

char *
ro_pcal_fmt(int64_t t, char *buf)
{
	char tmp[RO_JST_FMT_MAX];

	snprintf(buf, 40, "%s", ro_jst_format(min_floor(t), tmp));
	return buf;
}

char *
ro_pcal_fmt_iso(int64_t t, char *buf)
{
	struct ro_date d = ro_day_to_date(ro_pcal_day(t));
	int m = ro_pcal_minute(t);

	snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:00+09:00", d.y, d.m, d.d, m / 60, m % 60);
	return buf;
}

char *
ro_pcal_fmt_day(int32_t day, char *buf)
{
	char tmp[11];

	snprintf(buf, 40, "%s", ro_date_format_iso(ro_day_to_date(day), tmp));
	return buf;
}

char *
ro_pcal_fmt_day_ja(int32_t day, char *buf)
{
	return ro_date_format_ja(ro_day_to_date(day), buf);
}

const char *
ro_pcal_weekday_ja(int32_t day)
{
	return ro_weekday_ja(ro_day_weekday(day));
}

const char *
ro_pcal_holiday_name(int32_t day)
{
	struct ro_holiday h;

	if (ro_cal_is_holiday(ro_day_to_date(day), &h) == 1)
		return h.name_ja;
	return NULL;
}
