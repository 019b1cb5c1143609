/*
 * report-era.c - dates as city documents write them: the Japanese era
 * (和暦), 令和8年11月30日, with the first year of an era as 元年.
 */
#include <stdio.h>
#include <string.h>

#include "report-int.h"

/* Each era begins on its first day (the day after the previous emperor's
 * last: 平成 began on 1989-01-08, 令和 on 2019-05-01). 明治 is given from
 * 1873, the first year of the Gregorian calendar in Japan: before it the
 * lunisolar calendar's dates are not these. */
static const struct era {
	const char *name;
	struct ro_date first;
} eras[] = {
	{ "令和", { 2019, 5, 1 } },
	{ "平成", { 1989, 1, 8 } },
	{ "昭和", { 1926, 12, 25 } },
	{ "大正", { 1912, 7, 30 } },
	{ "明治", { 1868, 1, 25 } },
};

/* era_year finds d's era and its year in it; NULL before 1873. */
static const struct era *
era_of(struct ro_date d, int *year)
{
	size_t i;

	if (d.y < 1873)
		return NULL;
	for (i = 0; i < sizeof eras / sizeof eras[0]; i++)
		if (ro_date_cmp(d, eras[i].first) >= 0) {
			*year = d.y - eras[i].first.y + 1;
			return &eras[i];
		}
	return NULL;
}

static void
era_year(char *buf, size_t n, struct ro_date d)
{
	int y = 0;
	const struct era *e = era_of(d, &y);

	if (e == NULL)
		snprintf(buf, n, "%d年", d.y);
	else if (y == 1)
		snprintf(buf, n, "%s元年", e->name);
	else
		snprintf(buf, n, "%s%d年", e->name, y);
}

char *
ro_era_date(struct ro_date d, char buf[static RO_ERA_MAX])
{
	char y[32];

	era_year(y, sizeof y, d);
	snprintf(buf, RO_ERA_MAX, "%s%d月%d日", y, d.m, d.d);
	return buf;
}

char *
ro_era_month(struct ro_date d, char buf[static RO_ERA_MAX])
{
	char y[32];

	/* The month is named in the era of the day given (callers give its
	 * first day): 2019-05 is 令和元年5月 and 2019-04 平成31年4月. */
	era_year(y, sizeof y, d);
	snprintf(buf, RO_ERA_MAX, "%s%d月", y, d.m);
	return buf;
}

/* jst_split splits Unix seconds t into its JST day and second of the day. */
static void
jst_split(int64_t t, int32_t *day, int *sec)
{
	int64_t s = t + (int64_t)RO_JST_OFFSET_MIN * 60;
	int64_t d = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);

	*day = (int32_t)d;
	*sec = (int)(s - d * 86400);
}

char *
ro_report_jst(int64_t t, char sep, char out[static 32])
{
	char iso[11];
	int32_t day;
	int sec;

	jst_split(t, &day, &sec);
	snprintf(out, 32, "%s%c%02d:%02d:%02d", ro_date_format_iso(ro_day_to_date(day), iso), sep,
	    sec / 3600, sec / 60 % 60, sec % 60);
	return out;
}

char *
ro_era_time(int64_t t, char buf[static RO_ERA_MAX])
{
	int32_t day;
	int sec;
	size_t len;

	jst_split(t, &day, &sec);
	ro_era_date(ro_day_to_date(day), buf);
	len = strlen(buf);
	snprintf(buf + len, RO_ERA_MAX - len, " %02d:%02d:%02d", sec / 3600, sec / 60 % 60,
	    sec % 60);
	return buf;
}
