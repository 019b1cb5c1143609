/*
 * calendar.c - Japanese national holidays from the law, the city's closed
 * days, and working-time queries on JST instants.
 *
 * The holiday rules follow 国民の祝日に関する法律 (昭和23年法律第178号) with
 * its amendments and the special laws for single days; docs/CALENDAR.md
 * lists them with their sources. Everything here is computed: no table of
 * dates except the one-off days that special laws created.
 */
#include "calendar.h"
#include "error.h"
#include "util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dates ---------------------------------------------------------- */

/* floor_div divides rounding towards minus infinity. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	assert(m >= 1 && m <= 12);
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int
ro_date_valid(struct ro_date d)
{
	return d.y >= 1 && d.y <= 9999 && d.m >= 1 && d.m <= 12 && d.d >= 1 &&
	    d.d <= days_in_month(d.y, d.m);
}

/*
 * ro_date_to_day counts days from 1970-01-01 by shifting the year to start
 * in March (so that the leap day is the last day of the shifted year) and
 * counting whole 400-year eras, years, and days into the shifted year.
 */
int32_t
ro_date_to_day(struct ro_date d)
{
	int64_t y = d.y - (d.m <= 2 ? 1 : 0);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                            /* 0..399 */
	int64_t mp = d.m > 2 ? d.m - 3 : d.m + 9;               /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d.d - 1;             /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;    /* 0..146096 */

	return (int32_t)(era * 146097 + doe - 719468);
}

struct ro_date
ro_day_to_date(int32_t day)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct ro_date r;

	r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.y = (int)(yoe + era * 400 + (r.m <= 2 ? 1 : 0));
	return r;
}

int
ro_day_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((int64_t)day % 7 + 7 + 4) % 7);
}

int
ro_date_cmp(struct ro_date a, struct ro_date b)
{
	if (a.y != b.y)
		return a.y < b.y ? -1 : 1;
	if (a.m != b.m)
		return a.m < b.m ? -1 : 1;
	if (a.d != b.d)
		return a.d < b.d ? -1 : 1;
	return 0;
}

/* digits reads exactly n ASCII digits from s. Returns -1 if it cannot. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* parse_date reads "YYYY-MM-DD" at s; the caller checks what follows. */
static int
parse_date(const char *s, struct ro_date *out)
{
	struct ro_date d;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return RO_EINVAL;
	d.y = digits(s, 4);
	d.m = digits(s + 5, 2);
	d.d = digits(s + 8, 2);
	if (d.y < 0 || d.m < 0 || d.d < 0 || !ro_date_valid(d))
		return RO_EINVAL;
	*out = d;
	return 0;
}

int
ro_date_parse_iso(const char *s, struct ro_date *out)
{
	struct ro_date d;

	if (s == NULL || parse_date(s, &d) != 0 || s[10] != '\0')
		return RO_EINVAL;
	*out = d;
	return 0;
}

/* put_digits writes v as exactly n decimal digits at p and returns p + n. */
static char *
put_digits(char *p, int v, int n)
{
	int i;

	assert(v >= 0);
	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* put_iso writes "YYYY-MM-DD" (no NUL) at p and returns p + 10. */
static char *
put_iso(char *p, struct ro_date d)
{
	p = put_digits(p, d.y, 4);
	*p++ = '-';
	p = put_digits(p, d.m, 2);
	*p++ = '-';
	return put_digits(p, d.d, 2);
}

char *
ro_date_format_iso(struct ro_date d, char buf[static 11])
{
	assert(ro_date_valid(d));
	*put_iso(buf, d) = '\0';
	return buf;
}

const char *
ro_weekday_ja(int wday)
{
	static const char *const n[7] = { "日", "月", "火", "水", "木", "金", "土" };

	assert(wday >= 0 && wday < 7);
	return n[wday];
}

const char *
ro_weekday_en(int wday)
{
	static const char *const n[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

	assert(wday >= 0 && wday < 7);
	return n[wday];
}

char *
ro_date_format_ja(struct ro_date d, char buf[static RO_DATE_JA_MAX])
{
	assert(ro_date_valid(d));
	snprintf(buf, RO_DATE_JA_MAX, "%d年%d月%d日(%s)", d.y, d.m, d.d,
	    ro_weekday_ja(ro_day_weekday(ro_date_to_day(d))));
	return buf;
}

/* ---- instants ------------------------------------------------------- */

int64_t
ro_jst_minute(int32_t day, int min)
{
	return (int64_t)day * RO_MIN_PER_DAY + min - RO_JST_OFFSET_MIN;
}

void
ro_jst_split(int64_t t, int32_t *day, int *min)
{
	int64_t local = t + RO_JST_OFFSET_MIN;
	int64_t d = floor_div(local, RO_MIN_PER_DAY);

	*day = (int32_t)d;
	*min = (int)(local - d * RO_MIN_PER_DAY);
}

char *
ro_jst_format(int64_t t, char buf[static RO_JST_FMT_MAX])
{
	int32_t day;
	int min;
	struct ro_date d;
	char *p;

	ro_jst_split(t, &day, &min);
	d = ro_day_to_date(day);
	assert(ro_date_valid(d));
	p = put_iso(buf, d);
	*p++ = ' ';
	p = put_digits(p, min / 60, 2);
	*p++ = ':';
	p = put_digits(p, min % 60, 2);
	*p = '\0';
	return buf;
}

/* parse_hhmm reads "HH:MM" (00:00 .. 24:00) at s into minutes. */
static int
parse_hhmm(const char *s, int *out)
{
	int h, m;

	if (s[0] == '\0' || s[1] == '\0' || s[2] != ':')
		return RO_EINVAL;
	h = digits(s, 2);
	m = digits(s + 3, 2);
	if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
		return RO_EINVAL;
	*out = h * 60 + m;
	return 0;
}

int
ro_jst_parse(const char *s, int64_t *out)
{
	struct ro_date d;
	int min;

	if (s == NULL || parse_date(s, &d) != 0 || (s[10] != ' ' && s[10] != 'T'))
		return RO_EINVAL;
	if (strlen(s + 11) != 5 || parse_hhmm(s + 11, &min) != 0)
		return RO_EINVAL;
	*out = ro_jst_minute(ro_date_to_day(d), min);
	return 0;
}

int
ro_hours_parse(const char *s, struct ro_hours *out)
{
	struct ro_hours h;

	if (s == NULL || strlen(s) != 11 || s[5] != '-')
		return RO_EINVAL;
	if (parse_hhmm(s, &h.open) != 0 || parse_hhmm(s + 6, &h.close) != 0)
		return RO_EINVAL;
	if (h.open >= h.close)
		return RO_EINVAL;
	*out = h;
	return 0;
}

/* ---- equinoxes ------------------------------------------------------ */

/*
 * The equinox day of a year is floor(C + 0.242194 (y - 1980) - L), where
 * 0.242194 days is how much later the equinox comes each common year,
 * L = floor((y - 1980) / 4) takes the leap days back out, and C is fitted
 * to the astronomical ephemeris for each period (the Gregorian skip of
 * 2100 moves C by a day). The arithmetic is done in millionths of a day so
 * that no rounding of binary fractions can move a date.
 */
static int
equinox_day(int y, int64_t c_micro)
{
	int64_t dy = y - 1980;
	int64_t v = c_micro + 242194 * dy - 1000000 * floor_div(dy, 4);

	return (int)floor_div(v, 1000000);
}

int
ro_cal_vernal_equinox(int y)
{
	assert(y >= 1900 && y <= 2150);
	if (y <= 1979)
		return equinox_day(y, 20835700);
	if (y <= 2099)
		return equinox_day(y, 20843100);
	return equinox_day(y, 21851000);
}

int
ro_cal_autumnal_equinox(int y)
{
	assert(y >= 1900 && y <= 2150);
	if (y <= 1979)
		return equinox_day(y, 23258800);
	if (y <= 2099)
		return equinox_day(y, 23248800);
	return equinox_day(y, 24248800);
}

/* ---- national holidays ---------------------------------------------- */

/* Day numbers of the dates on which rules of the law took effect. */
#define LAW_START ro_date_to_day((struct ro_date){ 1948, 7, 20 })
#define SUBSTITUTE_START ro_date_to_day((struct ro_date){ 1973, 4, 12 })
#define CITIZENS_START ro_date_to_day((struct ro_date){ 1985, 12, 27 })
#define RULES_2007 ro_date_to_day((struct ro_date){ 2007, 1, 1 })

struct hol_list {
	int year;
	struct ro_holiday v[RO_CAL_MAX_HOLIDAYS];
	int32_t day[RO_CAL_MAX_HOLIDAYS];
	size_t n;
};

static void
hol_add(struct hol_list *l, int m, int d, enum ro_hol_kind kind,
    const char *ja, const char *en, int shukujitsu)
{
	struct ro_date date = { l->year, m, d };
	int32_t day = ro_date_to_day(date);

	assert(ro_date_valid(date));
	/* The law took effect on 1948-07-20; days before it were not yet
	 * holidays, which leaves 1948 with only its last three. */
	if (day < LAW_START)
		return;
	assert(l->n < RO_CAL_MAX_HOLIDAYS);
	l->v[l->n] = (struct ro_holiday){ date, kind, ja, en, shukujitsu };
	l->day[l->n] = day;
	l->n++;
}

static int
hol_find(const struct hol_list *l, int32_t day)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->day[i] == day)
			return (int)i;
	return -1;
}

static int
is_shukujitsu(const struct hol_list *l, int32_t day)
{
	int i = hol_find(l, day);

	return i >= 0 && l->v[i].shukujitsu;
}

static void
hol_sort(struct hol_list *l)
{
	size_t i, j;

	for (i = 1; i < l->n; i++) {
		struct ro_holiday h = l->v[i];
		int32_t d = l->day[i];

		for (j = i; j > 0 && l->day[j - 1] > d; j--) {
			l->v[j] = l->v[j - 1];
			l->day[j] = l->day[j - 1];
		}
		l->v[j] = h;
		l->day[j] = d;
	}
}

/* nth_monday returns the day of the month of the n-th Monday. */
static int
nth_monday(int y, int m, int n)
{
	int wday1 = ro_day_weekday(ro_date_to_day((struct ro_date){ y, m, 1 }));

	return (8 - wday1) % 7 + 1 + 7 * (n - 1);
}

/*
 * add_named adds the 「国民の祝日」 of art. 2 and the days of the special
 * laws, as they stood in year y.
 */
static void
add_named(struct hol_list *l)
{
	int y = l->year;
	const enum ro_hol_kind F = RO_HOL_FIXED, H = RO_HOL_HAPPY_MONDAY,
	    E = RO_HOL_EQUINOX, S = RO_HOL_SPECIAL;

	hol_add(l, 1, 1, F, "元日", "New Year's Day", 1);

	/* 成人の日: January 15 until the Happy Monday law (平成10年法律第141号). */
	if (y <= 1999)
		hol_add(l, 1, 15, F, "成人の日", "Coming of Age Day", 1);
	else
		hol_add(l, 1, nth_monday(y, 1, 2), H, "成人の日", "Coming of Age Day", 1);

	/* 建国記念の日: added in 1966 (昭和41年法律第86号), date set by cabinet
	 * order that December, first kept in 1967. */
	if (y >= 1967)
		hol_add(l, 2, 11, F, "建国記念の日", "National Foundation Day", 1);

	/* 天皇誕生日 moved with each reign: Showa 4/29, Heisei 12/23, Reiwa 2/23
	 * (平成29年法律第63号 附則). 2019 has none: December 23 passed out of the
	 * law on 2019-05-01, and February 23 had already gone by. */
	if (y >= 2020)
		hol_add(l, 2, 23, F, "天皇誕生日", "Emperor's Birthday", 1);

	hol_add(l, 3, ro_cal_vernal_equinox(y), E, "春分の日", "Vernal Equinox Day", 1);

	if (y <= 1988)
		hol_add(l, 4, 29, F, "天皇誕生日", "Emperor's Birthday", 1);
	else if (y <= 2006)
		hol_add(l, 4, 29, F, "みどりの日", "Greenery Day", 1);
	else
		hol_add(l, 4, 29, F, "昭和の日", "Showa Day", 1);

	hol_add(l, 5, 3, F, "憲法記念日", "Constitution Memorial Day", 1);
	/* みどりの日 moved to May 4 in 2007 (平成17年法律第43号). */
	if (y >= 2007)
		hol_add(l, 5, 4, F, "みどりの日", "Greenery Day", 1);
	hol_add(l, 5, 5, F, "こどもの日", "Children's Day", 1);

	/* 海の日: July 20 from 1996 (平成7年法律第22号); the third Monday of
	 * July from 2003 (平成13年法律第59号); moved for the Tokyo Olympics in
	 * 2020 and 2021 (平成30年法律第55号, 令和2年法律第68号). */
	if (y == 2020)
		hol_add(l, 7, 23, S, "海の日", "Marine Day", 1);
	else if (y == 2021)
		hol_add(l, 7, 22, S, "海の日", "Marine Day", 1);
	else if (y >= 2003)
		hol_add(l, 7, nth_monday(y, 7, 3), H, "海の日", "Marine Day", 1);
	else if (y >= 1996)
		hol_add(l, 7, 20, F, "海の日", "Marine Day", 1);

	/* 山の日: August 11 from 2016 (平成26年法律第43号), moved in 2020/2021. */
	if (y == 2020)
		hol_add(l, 8, 10, S, "山の日", "Mountain Day", 1);
	else if (y == 2021)
		hol_add(l, 8, 8, S, "山の日", "Mountain Day", 1);
	else if (y >= 2016)
		hol_add(l, 8, 11, F, "山の日", "Mountain Day", 1);

	/* 敬老の日: September 15 from 1966, the third Monday from 2003. */
	if (y >= 2003)
		hol_add(l, 9, nth_monday(y, 9, 3), H, "敬老の日",
		    "Respect for the Aged Day", 1);
	else if (y >= 1966)
		hol_add(l, 9, 15, F, "敬老の日", "Respect for the Aged Day", 1);

	hol_add(l, 9, ro_cal_autumnal_equinox(y), E, "秋分の日",
	    "Autumnal Equinox Day", 1);

	/* 体育の日: October 10 from 1966, the second Monday from 2000, renamed
	 * スポーツの日 from 2020 (平成30年法律第57号) and moved in 2020/2021. */
	if (y == 2020)
		hol_add(l, 7, 24, S, "スポーツの日", "Sports Day", 1);
	else if (y == 2021)
		hol_add(l, 7, 23, S, "スポーツの日", "Sports Day", 1);
	else if (y >= 2022)
		hol_add(l, 10, nth_monday(y, 10, 2), H, "スポーツの日", "Sports Day", 1);
	else if (y >= 2000)
		hol_add(l, 10, nth_monday(y, 10, 2), H, "体育の日",
		    "Health and Sports Day", 1);
	else if (y >= 1966)
		hol_add(l, 10, 10, F, "体育の日", "Health and Sports Day", 1);

	hol_add(l, 11, 3, F, "文化の日", "Culture Day", 1);
	hol_add(l, 11, 23, F, "勤労感謝の日", "Labour Thanksgiving Day", 1);

	if (y >= 1989 && y <= 2018)
		hol_add(l, 12, 23, F, "天皇誕生日", "Emperor's Birthday", 1);

	/* Days made holidays by laws of their own. Only the two days of 2019
	 * are deemed 「国民の祝日」 for art. 3(3), which is what makes April 30
	 * and May 2, 2019 citizens' holidays. */
	switch (y) {
	case 1959:
		hol_add(l, 4, 10, S, "皇太子明仁親王の結婚の儀",
		    "Wedding Ceremony of Crown Prince Akihito", 0);
		break;
	case 1989:
		hol_add(l, 2, 24, S, "昭和天皇の大喪の礼",
		    "Funeral Ceremony of Emperor Showa", 0);
		break;
	case 1990:
		hol_add(l, 11, 12, S, "即位礼正殿の儀",
		    "Ceremony of the Enthronement (Sokuirei-Seiden-no-Gi)", 0);
		break;
	case 1993:
		hol_add(l, 6, 9, S, "皇太子徳仁親王の結婚の儀",
		    "Wedding Ceremony of Crown Prince Naruhito", 0);
		break;
	case 2019:
		hol_add(l, 5, 1, S, "即位の日", "Enthronement Day", 1);
		hol_add(l, 10, 22, S, "即位礼正殿の儀",
		    "Ceremony of the Enthronement (Sokuirei-Seiden-no-Gi)", 1);
		break;
	default:
		break;
	}
}

/*
 * add_substitutes applies art. 3(2) (昭和48年法律第10号, in force
 * 1973-04-12): a 「国民の祝日」 on a Sunday makes the next day a holiday;
 * from 2007 (平成17年法律第43号) the next day that is not itself a
 * 「国民の祝日」, so that May 3 on a Sunday gives May 6.
 */
static void
add_substitutes(struct hol_list *l)
{
	size_t i, n = l->n;

	for (i = 0; i < n; i++) {
		int32_t day = l->day[i], sub = day + 1;
		struct ro_date d;

		if (!l->v[i].shukujitsu || day < SUBSTITUTE_START ||
		    ro_day_weekday(day) != 0)
			continue;
		if (day >= RULES_2007)
			while (is_shukujitsu(l, sub))
				sub++;
		if (hol_find(l, sub) >= 0)
			continue;
		d = ro_day_to_date(sub);
		assert(d.y == l->year); /* no 祝日 falls on December 31 */
		hol_add(l, d.m, d.d, RO_HOL_SUBSTITUTE, "休日", "Substitute Holiday", 0);
	}
}

/*
 * add_citizens applies art. 3(3) (昭和60年法律第103号, in force
 * 1985-12-27): a day whose previous and next days are both 「国民の祝日」 is
 * a holiday. Until 2006 the law excluded Sundays and substitute holidays;
 * from 2007 it excludes only days that are 「国民の祝日」 themselves.
 * Neighbours must be real 「国民の祝日」: a substitute holiday does not count.
 */
static void
add_citizens(struct hol_list *l)
{
	size_t i, n = l->n;

	for (i = 0; i < n; i++) {
		int32_t mid = l->day[i] + 1;
		struct ro_date d;

		if (!l->v[i].shukujitsu || !is_shukujitsu(l, mid + 1))
			continue;
		if (mid < CITIZENS_START || hol_find(l, mid) >= 0)
			continue;
		if (mid < RULES_2007 && ro_day_weekday(mid) == 0)
			continue;
		d = ro_day_to_date(mid);
		hol_add(l, d.m, d.d, RO_HOL_CITIZENS, "休日", "Citizens' Holiday", 0);
	}
}

static int
year_ok(int year)
{
	return year >= RO_CAL_MIN_YEAR && year <= RO_CAL_MAX_YEAR;
}

static void
compute_year(int year, struct hol_list *l)
{
	assert(year_ok(year));
	l->year = year;
	l->n = 0;
	add_named(l);
	hol_sort(l);
	add_substitutes(l);
	add_citizens(l);
	hol_sort(l);
}

int
ro_cal_holidays(int year, struct ro_holiday *out, size_t cap, size_t *n)
{
	struct hol_list l;
	size_t i;

	*n = 0;
	if (!year_ok(year))
		return RO_EINVAL;
	compute_year(year, &l);
	for (i = 0; i < l.n && i < cap; i++)
		out[i] = l.v[i];
	*n = l.n;
	return 0;
}

int
ro_cal_is_holiday(struct ro_date d, struct ro_holiday *out)
{
	struct hol_list l;
	int i;

	if (!ro_date_valid(d) || !year_ok(d.y))
		return RO_EINVAL;
	compute_year(d.y, &l);
	i = hol_find(&l, ro_date_to_day(d));
	if (i < 0)
		return 0;
	if (out)
		*out = l.v[i];
	return 1;
}

const char *
ro_hol_kind_name(enum ro_hol_kind kind, int japanese)
{
	switch (kind) {
	case RO_HOL_FIXED:
		return japanese ? "固定日の祝日" : "fixed-date holiday";
	case RO_HOL_HAPPY_MONDAY:
		return japanese ? "ハッピーマンデー" : "Happy Monday holiday";
	case RO_HOL_EQUINOX:
		return japanese ? "春分日・秋分日" : "equinox holiday";
	case RO_HOL_SUBSTITUTE:
		return japanese ? "振替休日" : "substitute holiday";
	case RO_HOL_CITIZENS:
		return japanese ? "国民の休日" : "citizens' holiday";
	case RO_HOL_SPECIAL:
		return japanese ? "特別法による休日" : "holiday by special law";
	}
	return "?";
}

const char *
ro_hol_kind_key(enum ro_hol_kind kind)
{
	switch (kind) {
	case RO_HOL_FIXED:
		return "fixed";
	case RO_HOL_HAPPY_MONDAY:
		return "happy-monday";
	case RO_HOL_EQUINOX:
		return "equinox";
	case RO_HOL_SUBSTITUTE:
		return "substitute";
	case RO_HOL_CITIZENS:
		return "citizens";
	case RO_HOL_SPECIAL:
		return "special";
	}
	return "?";
}

/* ---- the working calendar ------------------------------------------- */

/* Days from 1948-01-01 to 2150-12-31 inclusive, and 64-bit words for them. */
#define FIRST_DAY ((int32_t)-8036) /* 1948-01-01 */
#define NDAYS 74145
#define NWORDS ((NDAYS + 63) / 64)
#define LAST_DAY (FIRST_DAY + NDAYS - 1) /* 2150-12-31 */
#define NO_DAY INT32_MIN

struct ro_calendar {
	struct ro_hours hours;
	int ye_on, ye_fm, ye_fd, ye_tm, ye_td;
	/* One bit per day from FIRST_DAY: national holidays, year-end
	 * closure, extra closed days, and the working days they leave. */
	uint64_t hol[NWORDS];
	uint64_t yearend[NWORDS];
	uint64_t closed[NWORDS];
	uint64_t work[NWORDS];
	/* rank[i] = working days before word i, for counting. */
	int32_t rank[NWORDS + 1];
};

static int
bit_get(const uint64_t *bm, int32_t day)
{
	uint32_t i = (uint32_t)(day - FIRST_DAY);

	return (int)((bm[i >> 6] >> (i & 63)) & 1);
}

static void
bit_set(uint64_t *bm, int32_t day)
{
	uint32_t i = (uint32_t)(day - FIRST_DAY);

	bm[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int
day_ok(int32_t day)
{
	return day >= FIRST_DAY && day <= LAST_DAY;
}

int32_t
ro_cal_first_day(void)
{
	return FIRST_DAY;
}

int32_t
ro_cal_last_day(void)
{
	return LAST_DAY;
}

/* rebuild_work derives the working-day bitmap and its ranks. */
static void
rebuild_work(struct ro_calendar *cal)
{
	int32_t day;
	size_t w;

	memset(cal->work, 0, sizeof cal->work);
	for (day = FIRST_DAY; day <= LAST_DAY; day++) {
		int wd = ro_day_weekday(day);

		if (wd == 0 || wd == 6 || bit_get(cal->hol, day) ||
		    bit_get(cal->yearend, day) || bit_get(cal->closed, day))
			continue;
		bit_set(cal->work, day);
	}
	cal->rank[0] = 0;
	for (w = 0; w < NWORDS; w++)
		cal->rank[w + 1] = cal->rank[w] + __builtin_popcountll(cal->work[w]);
}

static void
mark_span(uint64_t *bm, int32_t from, int32_t to)
{
	int32_t day;

	for (day = from; day <= to; day++)
		if (day_ok(day))
			bit_set(bm, day);
}

static void
rebuild_yearend(struct ro_calendar *cal)
{
	int y;

	memset(cal->yearend, 0, sizeof cal->yearend);
	if (!cal->ye_on)
		return;
	/* Start one year early so that a closure wrapping into 1948 is kept. */
	for (y = RO_CAL_MIN_YEAR - 1; y <= RO_CAL_MAX_YEAR; y++) {
		int wraps = cal->ye_tm < cal->ye_fm ||
		    (cal->ye_tm == cal->ye_fm && cal->ye_td < cal->ye_fd);
		int32_t from = ro_date_to_day((struct ro_date){ y, cal->ye_fm, cal->ye_fd });
		int32_t to = ro_date_to_day(
		    (struct ro_date){ y + wraps, cal->ye_tm, cal->ye_td });

		mark_span(cal->yearend, from, to);
	}
}

struct ro_calendar *
ro_cal_new(void)
{
	struct ro_calendar *cal = ro_xcalloc(1, sizeof *cal);
	struct hol_list l;
	size_t i;
	int y;

	assert(ro_date_to_day((struct ro_date){ RO_CAL_MIN_YEAR, 1, 1 }) == FIRST_DAY);
	assert(ro_date_to_day((struct ro_date){ RO_CAL_MAX_YEAR, 12, 31 }) == LAST_DAY);
	cal->hours = RO_HOURS_DEFAULT;
	cal->ye_on = 1;
	cal->ye_fm = 12;
	cal->ye_fd = 29;
	cal->ye_tm = 1;
	cal->ye_td = 3;
	for (y = RO_CAL_MIN_YEAR; y <= RO_CAL_MAX_YEAR; y++) {
		compute_year(y, &l);
		for (i = 0; i < l.n; i++)
			bit_set(cal->hol, l.day[i]);
	}
	rebuild_yearend(cal);
	rebuild_work(cal);
	return cal;
}

void
ro_cal_free(struct ro_calendar *cal)
{
	free(cal);
}

static int
hours_ok(struct ro_hours h)
{
	return h.open >= 0 && h.open < h.close && h.close <= RO_MIN_PER_DAY;
}

int
ro_cal_set_hours(struct ro_calendar *cal, struct ro_hours h)
{
	if (!hours_ok(h))
		return RO_EINVAL;
	cal->hours = h;
	return 0;
}

struct ro_hours
ro_cal_hours(const struct ro_calendar *cal)
{
	return cal->hours;
}

int
ro_cal_set_year_end(struct ro_calendar *cal, int on, int fm, int fd, int tm, int td)
{
	if (on) {
		/* Checked against a common year: a closure cannot start or end
		 * on a February 29 that most years lack. */
		if (fm < 1 || fm > 12 || tm < 1 || tm > 12 || fd < 1 || td < 1 ||
		    fd > days_in_month(2001, fm) || td > days_in_month(2001, tm))
			return RO_EINVAL;
		cal->ye_fm = fm;
		cal->ye_fd = fd;
		cal->ye_tm = tm;
		cal->ye_td = td;
	}
	cal->ye_on = on != 0;
	rebuild_yearend(cal);
	rebuild_work(cal);
	return 0;
}

int
ro_cal_add_closed(struct ro_calendar *cal, struct ro_date d)
{
	int32_t day;
	uint32_t i;
	size_t w;

	if (!ro_date_valid(d) || !day_ok(day = ro_date_to_day(d)))
		return RO_EINVAL;
	bit_set(cal->closed, day);
	i = (uint32_t)(day - FIRST_DAY);
	if (!bit_get(cal->work, day))
		return 0;
	cal->work[i >> 6] &= ~((uint64_t)1 << (i & 63));
	for (w = i >> 6; w < NWORDS; w++)
		cal->rank[w + 1]--;
	return 0;
}

struct ro_calendar *
ro_cal_new_closed(const long *days, size_t n)
{
	struct ro_calendar *cal = ro_cal_new();
	size_t i;

	for (i = 0; i < n; i++)
		ro_cal_add_closed(cal, ro_day_to_date((int32_t)days[i]));
	return cal;
}

int
ro_cal_day_info(const struct ro_calendar *cal, int32_t day, int *why)
{
	int r, wd;

	if (!day_ok(day))
		return RO_EINVAL;
	wd = ro_day_weekday(day);
	if (bit_get(cal->hol, day))
		r = RO_CAL_HOLIDAY;
	else if (bit_get(cal->yearend, day))
		r = RO_CAL_YEAR_END;
	else if (wd == 0 || wd == 6)
		r = RO_CAL_WEEKEND;
	else if (bit_get(cal->closed, day))
		r = RO_CAL_CLOSED;
	else
		r = RO_CAL_WORKDAY;
	if (why)
		*why = r;
	assert((r == RO_CAL_WORKDAY) == bit_get(cal->work, day));
	return r == RO_CAL_WORKDAY;
}

int
ro_cal_is_workday(const struct ro_calendar *cal, int32_t day)
{
	if (!day_ok(day))
		return RO_EINVAL;
	return bit_get(cal->work, day);
}

/* next_workday returns the first working day >= day, or NO_DAY. */
static int32_t
next_workday(const struct ro_calendar *cal, int32_t day)
{
	uint32_t i, w;
	uint64_t bits;

	if (day < FIRST_DAY)
		day = FIRST_DAY;
	if (day > LAST_DAY)
		return NO_DAY;
	i = (uint32_t)(day - FIRST_DAY);
	w = i >> 6;
	bits = cal->work[w] & (~(uint64_t)0 << (i & 63));
	while (bits == 0) {
		if (++w >= NWORDS)
			return NO_DAY;
		bits = cal->work[w];
	}
	return FIRST_DAY + (int32_t)(w * 64 + (uint32_t)__builtin_ctzll(bits));
}

/* prev_workday returns the last working day <= day, or NO_DAY. */
static int32_t
prev_workday(const struct ro_calendar *cal, int32_t day)
{
	uint32_t i, w;
	uint64_t bits;

	if (day > LAST_DAY)
		day = LAST_DAY;
	if (day < FIRST_DAY)
		return NO_DAY;
	i = (uint32_t)(day - FIRST_DAY);
	w = i >> 6;
	bits = cal->work[w] & (~(uint64_t)0 >> (63 - (i & 63)));
	while (bits == 0) {
		if (w-- == 0)
			return NO_DAY;
		bits = cal->work[w];
	}
	return FIRST_DAY + (int32_t)(w * 64 + 63 - (uint32_t)__builtin_clzll(bits));
}

static struct ro_hours
pick_hours(const struct ro_calendar *cal, const struct ro_hours *hours)
{
	struct ro_hours h = hours ? *hours : cal->hours;

	assert(hours_ok(h));
	return h;
}

int
ro_cal_is_working(const struct ro_calendar *cal, const struct ro_hours *hours,
    int64_t t)
{
	struct ro_hours h = pick_hours(cal, hours);
	int32_t day;
	int min;

	ro_jst_split(t, &day, &min);
	if (!day_ok(day))
		return RO_EINVAL;
	return bit_get(cal->work, day) && min >= h.open && min < h.close;
}

int
ro_cal_next_working(const struct ro_calendar *cal, const struct ro_hours *hours,
    int64_t t, int64_t *out)
{
	struct ro_hours h = pick_hours(cal, hours);
	int32_t day, next;
	int min;

	ro_jst_split(t, &day, &min);
	if (!day_ok(day))
		return RO_EINVAL;
	if (min < h.close && bit_get(cal->work, day)) {
		*out = ro_jst_minute(day, min > h.open ? min : h.open);
		return 0;
	}
	next = next_workday(cal, day + 1);
	if (next == NO_DAY)
		return RO_ENOENT;
	*out = ro_jst_minute(next, h.open);
	return 0;
}

int
ro_cal_window_end(const struct ro_calendar *cal, const struct ro_hours *hours,
    int64_t t, int64_t *out)
{
	struct ro_hours h = pick_hours(cal, hours);
	int32_t day;
	int min;

	ro_jst_split(t, &day, &min);
	if (!day_ok(day))
		return RO_EINVAL;
	if (!bit_get(cal->work, day) || min < h.open || min >= h.close)
		return RO_ENOENT;
	*out = ro_jst_minute(day, h.close);
	return 0;
}

void
ro_cal_iter_init(struct ro_cal_iter *it, const struct ro_calendar *cal,
    const struct ro_hours *hours, int64_t from, int64_t to)
{
	int min;

	it->cal = cal;
	it->hours = pick_hours(cal, hours);
	it->from = from;
	it->to = to;
	ro_jst_split(from, &it->day, &min);
	if (to > from)
		ro_jst_split(to - 1, &it->last_day, &min);
	else
		it->last_day = it->day - 1;
	if (it->last_day > LAST_DAY)
		it->last_day = LAST_DAY;
}

int
ro_cal_iter_next(struct ro_cal_iter *it, struct ro_window *w)
{
	while (it->day <= it->last_day) {
		int32_t d = next_workday(it->cal, it->day);
		int64_t s, e;

		if (d == NO_DAY || d > it->last_day) {
			it->day = it->last_day + 1;
			return 0;
		}
		it->day = d + 1;
		s = ro_jst_minute(d, it->hours.open);
		e = ro_jst_minute(d, it->hours.close);
		if (s < it->from)
			s = it->from;
		if (e > it->to)
			e = it->to;
		if (s < e) {
			*w = (struct ro_window){ s, e, 0 };
			return 1;
		}
	}
	return 0;
}

int
ro_cal_closed_windows(const struct ro_calendar *cal, const struct ro_hours *hours,
    int64_t from, int64_t to, int min_days, struct ro_window **out, size_t *n)
{
	struct ro_hours h = pick_hours(cal, hours);
	struct ro_window *v = NULL;
	size_t nv = 0, cap = 0;
	int32_t fday, w;
	int min;

	*out = NULL;
	*n = 0;
	if (to <= from)
		return 0;
	ro_jst_split(from, &fday, &min);
	if (!day_ok(fday) || to > ro_jst_minute(LAST_DAY + 1, 0))
		return RO_EINVAL;
	/* Walk the gaps between consecutive working days, starting with the
	 * gap that ends at or after from. */
	w = prev_workday(cal, fday - 1);
	for (;;) {
		int32_t first_off = w == NO_DAY ? FIRST_DAY : w + 1;
		int32_t nx = next_workday(cal, first_off);
		int32_t end_off = nx == NO_DAY ? LAST_DAY + 1 : nx;
		int64_t s = w == NO_DAY ? ro_jst_minute(FIRST_DAY, 0)
		                        : ro_jst_minute(w, h.close);
		int64_t e = nx == NO_DAY ? ro_jst_minute(LAST_DAY + 1, 0)
		                         : ro_jst_minute(nx, h.open);
		int days = (int)(end_off - first_off);

		if (s >= to)
			break;
		if (e > from && e > s && days >= min_days) {
			if (nv == cap) {
				cap = cap ? cap * 2 : 16;
				v = ro_xrealloc(v, cap * sizeof *v);
			}
			v[nv++] = (struct ro_window){ s, e, days };
		}
		if (nx == NO_DAY)
			break;
		w = nx;
	}
	*out = v;
	*n = nv;
	return 0;
}

/* rank_of returns the number of working days before day (FIRST..LAST+1). */
static int32_t
rank_of(const struct ro_calendar *cal, int32_t day)
{
	uint32_t i = (uint32_t)(day - FIRST_DAY);
	uint32_t w = i >> 6, b = i & 63;
	int32_t r = cal->rank[w];

	if (b)
		r += __builtin_popcountll(cal->work[w] & (((uint64_t)1 << b) - 1));
	return r;
}

int
ro_cal_count_workdays(const struct ro_calendar *cal, int32_t from, int32_t to)
{
	if (to <= from)
		return 0;
	if (from < FIRST_DAY || to > LAST_DAY + 1)
		return RO_EINVAL;
	return rank_of(cal, to) - rank_of(cal, from);
}
