/*
 * test_calendar.c - the national holidays against the published lists and
 * one test per rule of the law, the date helpers, and the working-time
 * queries the planner relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"
#include "error.h"

/* ---- helpers -------------------------------------------------------- */

static int32_t
D(int y, int m, int d)
{
	return ro_date_to_day((struct ro_date){ y, m, d });
}

static int64_t
T(int y, int m, int d, int hh, int mm)
{
	return ro_jst_minute(D(y, m, d), hh * 60 + mm);
}

/* hol returns the holiday on y-m-d, failing the test if there is none. */
static struct ro_holiday
hol(int y, int m, int d)
{
	struct ro_holiday h;
	int rc = ro_cal_is_holiday((struct ro_date){ y, m, d }, &h);

	if (rc != 1)
		fail_msg("%04d-%02d-%02d should be a holiday (rc %d)", y, m, d, rc);
	return h;
}

static void
assert_hol(int y, int m, int d, const char *name_ja, enum ro_hol_kind kind)
{
	struct ro_holiday h = hol(y, m, d);

	if (strcmp(h.name_ja, name_ja) != 0 || h.kind != kind)
		fail_msg("%04d-%02d-%02d is %s (%s), expected %s (%s)", y, m, d,
		    h.name_ja, ro_hol_kind_key(h.kind), name_ja, ro_hol_kind_key(kind));
}

static void
assert_not_hol(int y, int m, int d)
{
	int rc = ro_cal_is_holiday((struct ro_date){ y, m, d }, NULL);

	if (rc != 0)
		fail_msg("%04d-%02d-%02d should not be a holiday (rc %d)", y, m, d, rc);
}

static size_t
count_year(int y)
{
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	size_t n;

	assert_int_equal(ro_cal_holidays(y, h, RO_CAL_MAX_HOLIDAYS, &n), 0);
	return n;
}

/* ---- the published lists -------------------------------------------- */

struct pub {
	int m, d;
	const char *name;
};

/*
 * Source: 内閣府「国民の祝日について」 (https://www8.cao.go.jp/chosei/
 * shukujitsu/gaiyou.html), the lists for 令和8年 (2026) and 令和9年 (2027),
 * and the Cabinet Office's syukujitsu.csv, which names the days of art.
 * 3(2) and 3(3) "休日". The equinox days come from the 暦要項 published in
 * the 官報 by the National Astronomical Observatory of Japan.
 */
static const struct pub pub2026[] = {
	{ 1, 1, "元日" },        { 1, 12, "成人の日" },    { 2, 11, "建国記念の日" },
	{ 2, 23, "天皇誕生日" }, { 3, 20, "春分の日" },    { 4, 29, "昭和の日" },
	{ 5, 3, "憲法記念日" },  { 5, 4, "みどりの日" },  { 5, 5, "こどもの日" },
	{ 5, 6, "休日" },        { 7, 20, "海の日" },      { 8, 11, "山の日" },
	{ 9, 21, "敬老の日" },   { 9, 22, "休日" },        { 9, 23, "秋分の日" },
	{ 10, 12, "スポーツの日" }, { 11, 3, "文化の日" }, { 11, 23, "勤労感謝の日" },
};

static const struct pub pub2027[] = {
	{ 1, 1, "元日" },        { 1, 11, "成人の日" },    { 2, 11, "建国記念の日" },
	{ 2, 23, "天皇誕生日" }, { 3, 21, "春分の日" },    { 3, 22, "休日" },
	{ 4, 29, "昭和の日" },   { 5, 3, "憲法記念日" },  { 5, 4, "みどりの日" },
	{ 5, 5, "こどもの日" },  { 7, 19, "海の日" },      { 8, 11, "山の日" },
	{ 9, 20, "敬老の日" },   { 9, 23, "秋分の日" },    { 10, 11, "スポーツの日" },
	{ 11, 3, "文化の日" },   { 11, 23, "勤労感謝の日" },
};

static void
check_published(int year, const struct pub *p, size_t np)
{
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	size_t i, n;

	assert_int_equal(ro_cal_holidays(year, h, RO_CAL_MAX_HOLIDAYS, &n), 0);
	assert_int_equal(n, np);
	for (i = 0; i < n; i++) {
		assert_int_equal(h[i].date.y, year);
		assert_int_equal(h[i].date.m, p[i].m);
		assert_int_equal(h[i].date.d, p[i].d);
		assert_string_equal(h[i].name_ja, p[i].name);
	}
}

static void
test_cabinet_office_2026(void **state)
{
	check_published(2026, pub2026, sizeof pub2026 / sizeof pub2026[0]);
	assert_hol(2026, 5, 6, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(2026, 9, 22, "休日", RO_HOL_CITIZENS);
}

static void
test_cabinet_office_2027(void **state)
{
	check_published(2027, pub2027, sizeof pub2027 / sizeof pub2027[0]);
	assert_hol(2027, 3, 22, "休日", RO_HOL_SUBSTITUTE);
}

/* ---- one test per rule ---------------------------------------------- */

static void
test_law_start_1948(void **state)
{
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	size_t n;

	/* The law took effect on 1948-07-20: only three days remained. */
	assert_int_equal(ro_cal_holidays(1948, h, RO_CAL_MAX_HOLIDAYS, &n), 0);
	assert_int_equal(n, 3);
	assert_hol(1948, 9, 23, "秋分の日", RO_HOL_EQUINOX);
	assert_hol(1948, 11, 3, "文化の日", RO_HOL_FIXED);
	assert_hol(1948, 11, 23, "勤労感謝の日", RO_HOL_FIXED);
	assert_not_hol(1948, 5, 3);
	assert_hol(1949, 1, 1, "元日", RO_HOL_FIXED);
	assert_hol(1949, 1, 15, "成人の日", RO_HOL_FIXED);
	assert_hol(1949, 4, 29, "天皇誕生日", RO_HOL_FIXED);
	assert_int_equal(count_year(1949), 9);
}

static void
test_out_of_range(void **state)
{
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	size_t n = 99;

	assert_int_equal(ro_cal_holidays(1947, h, RO_CAL_MAX_HOLIDAYS, &n), RO_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(ro_cal_holidays(2151, h, RO_CAL_MAX_HOLIDAYS, &n), RO_EINVAL);
	assert_int_equal(ro_cal_is_holiday((struct ro_date){ 2026, 2, 29 }, NULL),
	    RO_EINVAL);
	assert_int_equal(ro_cal_holidays(2150, h, RO_CAL_MAX_HOLIDAYS, &n), 0);
}

static void
test_one_off_days(void **state)
{
	assert_hol(1959, 4, 10, "皇太子明仁親王の結婚の儀", RO_HOL_SPECIAL);
	assert_hol(1989, 2, 24, "昭和天皇の大喪の礼", RO_HOL_SPECIAL);
	assert_hol(1990, 11, 12, "即位礼正殿の儀", RO_HOL_SPECIAL);
	assert_hol(1993, 6, 9, "皇太子徳仁親王の結婚の儀", RO_HOL_SPECIAL);
	assert_hol(2019, 5, 1, "即位の日", RO_HOL_SPECIAL);
	assert_hol(2019, 10, 22, "即位礼正殿の儀", RO_HOL_SPECIAL);
	/* May 1, 2019 counts as a 祝日 for art. 3(3): ten days off in a row. */
	assert_hol(2019, 4, 30, "休日", RO_HOL_CITIZENS);
	assert_hol(2019, 5, 2, "休日", RO_HOL_CITIZENS);
	assert_hol(2019, 5, 6, "休日", RO_HOL_SUBSTITUTE);
	assert_int_equal(count_year(2019), 22);
	/* They happen once: not in the following years. */
	assert_not_hol(1960, 4, 10);
	assert_not_hol(1994, 6, 9);
	assert_not_hol(2020, 10, 22);
	assert_not_hol(2020, 5, 1);
}

static void
test_substitute_starts_1973(void **state)
{
	/* Art. 3(2) took effect on 1973-04-12. */
	assert_int_equal(ro_day_weekday(D(1973, 2, 11)), 0);
	assert_not_hol(1973, 2, 12);
	assert_int_equal(ro_day_weekday(D(1973, 4, 29)), 0);
	assert_hol(1973, 4, 30, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(1973, 9, 24, "休日", RO_HOL_SUBSTITUTE);
	/* Earlier Sundays gave nothing: 1967-01-15 成人の日 was a Sunday. */
	assert_int_equal(ro_day_weekday(D(1967, 1, 15)), 0);
	assert_not_hol(1967, 1, 16);
}

static void
test_substitute_before_2007(void **state)
{
	/* The next day, whatever it is: 1998-05-03 Sunday gives May 4 as a
	 * substitute (not a citizens' holiday, which the old law excluded). */
	assert_hol(1998, 5, 4, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(2006, 1, 2, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(1989, 1, 2, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(1999, 10, 11, "休日", RO_HOL_SUBSTITUTE);
	/* 1999-05-04 was a Tuesday between two 祝日: citizens' holiday; no
	 * substitute for nothing: 1999-05-03 was a Monday. */
	assert_hol(1999, 5, 4, "休日", RO_HOL_CITIZENS);
}

static void
test_substitute_from_2007(void **state)
{
	/* The nearest following day that is not a 祝日. */
	assert_int_equal(ro_day_weekday(D(2008, 5, 4)), 0);
	assert_hol(2008, 5, 6, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(2026, 5, 6, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(2020, 2, 24, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(2021, 8, 9, "休日", RO_HOL_SUBSTITUTE);
	assert_hol(2019, 8, 12, "休日", RO_HOL_SUBSTITUTE);
	/* A 祝日 on Saturday gives nothing. */
	assert_int_equal(ro_day_weekday(D(2021, 3, 20)), 6);
	assert_not_hol(2021, 3, 22);
}

static void
test_citizens_holidays(void **state)
{
	/* The rule dates from 1985-12-27; the first case came in 1988. */
	assert_not_hol(1986, 5, 4); /* a Sunday: excluded */
	assert_hol(1987, 5, 4, "休日", RO_HOL_SUBSTITUTE); /* not citizens' */
	assert_hol(1988, 5, 4, "休日", RO_HOL_CITIZENS);
	/* A Saturday was not excluded before 2007. */
	assert_int_equal(ro_day_weekday(D(1991, 5, 4)), 6);
	assert_hol(1991, 5, 4, "休日", RO_HOL_CITIZENS);
	/* After 2007, Silver Weeks between 敬老の日 and 秋分の日. */
	assert_hol(2009, 9, 22, "休日", RO_HOL_CITIZENS);
	assert_hol(2015, 9, 22, "休日", RO_HOL_CITIZENS);
	assert_hol(2026, 9, 22, "休日", RO_HOL_CITIZENS);
	/* A substitute holiday is not a 祝日: 2020-02-24 between two days
	 * does not make anything. */
	assert_not_hol(2020, 2, 25);
	assert_not_hol(2027, 9, 21);
}

static void
test_name_changes(void **state)
{
	struct ro_holiday h;

	assert_hol(1988, 4, 29, "天皇誕生日", RO_HOL_FIXED);
	assert_hol(1989, 4, 29, "みどりの日", RO_HOL_FIXED);
	assert_hol(2006, 4, 29, "みどりの日", RO_HOL_FIXED);
	assert_hol(2007, 4, 29, "昭和の日", RO_HOL_FIXED);
	assert_hol(2007, 5, 4, "みどりの日", RO_HOL_FIXED);
	assert_hol(1989, 12, 23, "天皇誕生日", RO_HOL_FIXED);
	assert_hol(2018, 12, 23, "天皇誕生日", RO_HOL_FIXED);
	assert_not_hol(2019, 12, 23);
	assert_not_hol(2019, 2, 23);
	assert_hol(2020, 2, 23, "天皇誕生日", RO_HOL_FIXED);
	assert_not_hol(2026, 12, 23);
	assert_hol(2019, 10, 14, "体育の日", RO_HOL_HAPPY_MONDAY);
	assert_hol(2022, 10, 10, "スポーツの日", RO_HOL_HAPPY_MONDAY);
	h = hol(2022, 10, 10);
	assert_string_equal(h.name_en, "Sports Day");
	h = hol(2019, 10, 14);
	assert_string_equal(h.name_en, "Health and Sports Day");
	/* Days added over the years. */
	assert_not_hol(1966, 2, 11);
	assert_hol(1967, 2, 11, "建国記念の日", RO_HOL_FIXED);
	assert_not_hol(1965, 9, 15);
	assert_hol(1966, 9, 15, "敬老の日", RO_HOL_FIXED);
	assert_hol(1966, 10, 10, "体育の日", RO_HOL_FIXED);
	assert_not_hol(1995, 7, 20);
	assert_hol(1996, 7, 20, "海の日", RO_HOL_FIXED);
	assert_not_hol(2015, 8, 11);
	assert_hol(2016, 8, 11, "山の日", RO_HOL_FIXED);
}

static void
test_happy_mondays(void **state)
{
	assert_hol(1999, 1, 15, "成人の日", RO_HOL_FIXED);
	assert_hol(2000, 1, 10, "成人の日", RO_HOL_HAPPY_MONDAY);
	assert_not_hol(2000, 1, 15);
	assert_hol(1999, 10, 10, "体育の日", RO_HOL_FIXED);
	assert_hol(2000, 10, 9, "体育の日", RO_HOL_HAPPY_MONDAY);
	assert_hol(2002, 7, 20, "海の日", RO_HOL_FIXED);
	assert_hol(2003, 7, 21, "海の日", RO_HOL_HAPPY_MONDAY);
	assert_hol(2002, 9, 15, "敬老の日", RO_HOL_FIXED);
	assert_hol(2003, 9, 15, "敬老の日", RO_HOL_HAPPY_MONDAY);
	assert_hol(2004, 9, 20, "敬老の日", RO_HOL_HAPPY_MONDAY);
	assert_not_hol(2004, 9, 15);
}

static void
test_moved_days_2020_2021(void **state)
{
	assert_hol(2020, 7, 23, "海の日", RO_HOL_SPECIAL);
	assert_hol(2020, 7, 24, "スポーツの日", RO_HOL_SPECIAL);
	assert_hol(2020, 8, 10, "山の日", RO_HOL_SPECIAL);
	assert_not_hol(2020, 7, 20);
	assert_not_hol(2020, 8, 11);
	assert_not_hol(2020, 10, 12);
	assert_hol(2021, 7, 22, "海の日", RO_HOL_SPECIAL);
	assert_hol(2021, 7, 23, "スポーツの日", RO_HOL_SPECIAL);
	assert_hol(2021, 8, 8, "山の日", RO_HOL_SPECIAL);
	assert_hol(2021, 8, 9, "休日", RO_HOL_SUBSTITUTE);
	assert_not_hol(2021, 7, 19);
	assert_not_hol(2021, 10, 11);
	assert_hol(2022, 7, 18, "海の日", RO_HOL_HAPPY_MONDAY);
	assert_hol(2022, 8, 11, "山の日", RO_HOL_FIXED);
}

/* Equinox days as announced in the 暦要項 for 2000..2030. */
static const unsigned char vernal_2000[] = {
	20, 20, 21, 21, 20, 20, 21, 21, 20, 20, 21, 21, 20, 20, 21, 21,
	20, 20, 21, 21, 20, 20, 21, 21, 20, 20, 20, 21, 20, 20, 20,
};
static const unsigned char autumnal_2000[] = {
	23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 22, 23, 23, 23,
	22, 23, 23, 23, 22, 23, 23, 23, 22, 23, 23, 23, 22, 23, 23,
};

static void
test_equinoxes(void **state)
{
	int y;

	for (y = 2000; y <= 2030; y++) {
		if (ro_cal_vernal_equinox(y) != vernal_2000[y - 2000])
			fail_msg("vernal equinox %d: got 3/%d, want 3/%d", y,
			    ro_cal_vernal_equinox(y), vernal_2000[y - 2000]);
		if (ro_cal_autumnal_equinox(y) != autumnal_2000[y - 2000])
			fail_msg("autumnal equinox %d: got 9/%d, want 9/%d", y,
			    ro_cal_autumnal_equinox(y), autumnal_2000[y - 2000]);
	}
	/* The 1900-1979 constants: 1948 autumn, and 1979 autumn on the 24th. */
	assert_int_equal(ro_cal_autumnal_equinox(1948), 23);
	assert_int_equal(ro_cal_autumnal_equinox(1979), 24);
	assert_int_equal(ro_cal_vernal_equinox(1980), 20);
	assert_hol(1979, 9, 24, "秋分の日", RO_HOL_EQUINOX);
	/* The equinoxes stay in their windows over the whole range. */
	for (y = RO_CAL_MIN_YEAR; y <= RO_CAL_MAX_YEAR; y++) {
		assert_in_range(ro_cal_vernal_equinox(y), 19, 22);
		assert_in_range(ro_cal_autumnal_equinox(y), 21, 24);
	}
}

/* Properties that hold for every year: sorted, unique, and every Sunday
 * 祝日 since 1973-04-12 followed by a substitute. */
static void
test_all_years_consistent(void **state)
{
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	int32_t subst_start = D(1973, 4, 12);
	size_t i, n, total = 0;
	int y;

	for (y = RO_CAL_MIN_YEAR; y <= RO_CAL_MAX_YEAR; y++) {
		assert_int_equal(ro_cal_holidays(y, h, RO_CAL_MAX_HOLIDAYS, &n), 0);
		assert_true(n <= RO_CAL_MAX_HOLIDAYS);
		if (y > 1948)
			assert_true(n >= 9);
		total += n;
		for (i = 0; i < n; i++) {
			int32_t d = ro_date_to_day(h[i].date);

			assert_int_equal(h[i].date.y, y);
			if (i > 0)
				assert_true(ro_date_to_day(h[i - 1].date) < d);
			if (h[i].shukujitsu && ro_day_weekday(d) == 0 && d >= subst_start) {
				size_t j;
				int found = 0;

				for (j = i + 1; j < n; j++)
					if (h[j].kind == RO_HOL_SUBSTITUTE &&
					    ro_date_to_day(h[j].date) - d <= 3)
						found = 1;
				if (!found)
					fail_msg("%d-%02d-%02d is a Sunday without substitute",
					    y, h[i].date.m, h[i].date.d);
			}
		}
	}
	assert_true(total > 3000);
}

/* ---- dates and instants --------------------------------------------- */

static void
test_dates(void **state)
{
	char iso[11], ja[RO_DATE_JA_MAX], jst[RO_JST_FMT_MAX];
	struct ro_date d;
	int32_t day;
	int64_t t;

	assert_int_equal(D(1970, 1, 1), 0);
	assert_int_equal(ro_day_weekday(0), 4);
	assert_int_equal(ro_day_weekday(D(2026, 10, 5)), 1);
	for (day = ro_cal_first_day() - 400; day <= ro_cal_last_day() + 400; day++) {
		d = ro_day_to_date(day);
		assert_true(ro_date_valid(d));
		assert_int_equal(ro_date_to_day(d), day);
	}
	assert_string_equal(ro_date_format_iso((struct ro_date){ 2026, 10, 5 }, iso),
	    "2026-10-05");
	assert_string_equal(ro_date_format_ja((struct ro_date){ 2026, 10, 5 }, ja),
	    "2026年10月5日(月)");
	assert_string_equal(ro_date_format_ja((struct ro_date){ 2027, 1, 1 }, ja),
	    "2027年1月1日(金)");
	assert_int_equal(ro_date_parse_iso("2024-02-29", &d), 0);
	assert_int_equal(d.y * 10000 + d.m * 100 + d.d, 20240229);
	assert_int_equal(ro_date_parse_iso("2026-02-29", &d), RO_EINVAL);
	assert_int_equal(ro_date_parse_iso("2026-1-05", &d), RO_EINVAL);
	assert_int_equal(ro_date_parse_iso("2026-01-05x", &d), RO_EINVAL);
	assert_int_equal(ro_date_parse_iso("2026-13-01", &d), RO_EINVAL);

	/* JST is computed, never read from TZ: 17:15 JST is 08:15 UTC. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	t = T(2026, 10, 9, 17, 15);
	assert_int_equal(t, (int64_t)D(2026, 10, 9) * 1440 + 8 * 60 + 15);
	assert_string_equal(ro_jst_format(t, jst), "2026-10-09 17:15");
	/* Midnight UTC is 09:00 JST the same day; 15:00 UTC is 00:00 next day. */
	assert_string_equal(ro_jst_format((int64_t)D(2026, 10, 9) * 1440, jst),
	    "2026-10-09 09:00");
	assert_string_equal(ro_jst_format((int64_t)D(2026, 10, 9) * 1440 + 15 * 60, jst),
	    "2026-10-10 00:00");
	assert_int_equal(ro_jst_parse("2026-10-09 17:15", &t), 0);
	assert_int_equal(t, T(2026, 10, 9, 17, 15));
	assert_int_equal(ro_jst_parse("2026-10-09T24:00", &t), 0);
	assert_int_equal(t, T(2026, 10, 10, 0, 0));
	assert_int_equal(ro_jst_parse("2026-10-09 17:60", &t), RO_EINVAL);
	/* Before 1970 too. */
	assert_string_equal(ro_jst_format(T(1959, 4, 10, 8, 45), jst), "1959-04-10 08:45");
}

static void
test_hours_parse(void **state)
{
	struct ro_hours h;

	assert_int_equal(ro_hours_parse("09:00-17:30", &h), 0);
	assert_int_equal(h.open, 540);
	assert_int_equal(h.close, 1050);
	assert_int_equal(ro_hours_parse("00:00-24:00", &h), 0);
	assert_int_equal(ro_hours_parse("17:00-09:00", &h), RO_EINVAL);
	assert_int_equal(ro_hours_parse("9:00-17:00", &h), RO_EINVAL);
	assert_int_equal(ro_hours_parse("09:00-25:00", &h), RO_EINVAL);
}

/* ---- working time --------------------------------------------------- */

static int
setup_cal(void **state)
{
	*state = ro_cal_new();
	return *state ? 0 : -1;
}

static int
teardown_cal(void **state)
{
	ro_cal_free(*state);
	return 0;
}

static void
test_workdays(void **state)
{
	struct ro_calendar *cal = *state;
	int why;

	/* スポーツの日 2026 is not a working day. */
	assert_int_equal(ro_cal_day_info(cal, D(2026, 10, 12), &why), 0);
	assert_int_equal(why, RO_CAL_HOLIDAY);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 10, 9)), 1);
	assert_int_equal(ro_cal_day_info(cal, D(2026, 10, 10), &why), 0);
	assert_int_equal(why, RO_CAL_WEEKEND);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 9, 22)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(1947, 12, 31)), RO_EINVAL);
	assert_int_equal(ro_cal_is_workday(cal, D(2151, 1, 1)), RO_EINVAL);
	/* October 2026: 31 days, 9 weekend days, one holiday. */
	assert_int_equal(ro_cal_count_workdays(cal, D(2026, 10, 1), D(2026, 11, 1)), 21);
	assert_int_equal(ro_cal_count_workdays(cal, D(2026, 11, 1), D(2026, 10, 1)), 0);
	assert_int_equal(ro_cal_count_workdays(cal, D(1947, 1, 1), D(2026, 1, 1)),
	    RO_EINVAL);
}

static void
test_holiday_bitmap_matches_list(void **state)
{
	struct ro_calendar *cal = *state;
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	size_t i, n, listed = 0, marked = 0;
	int32_t day;
	int y, why;

	for (y = RO_CAL_MIN_YEAR; y <= RO_CAL_MAX_YEAR; y++) {
		assert_int_equal(ro_cal_holidays(y, h, RO_CAL_MAX_HOLIDAYS, &n), 0);
		listed += n;
		for (i = 0; i < n; i++) {
			assert_true(ro_cal_day_info(cal, ro_date_to_day(h[i].date), &why) >= 0);
			assert_int_equal(why, RO_CAL_HOLIDAY);
		}
	}
	for (day = ro_cal_first_day(); day <= ro_cal_last_day(); day++) {
		assert_true(ro_cal_day_info(cal, day, &why) >= 0);
		marked += why == RO_CAL_HOLIDAY;
	}
	assert_int_equal(listed, marked);
}

static void
test_count_matches_scan(void **state)
{
	struct ro_calendar *cal = *state;
	int32_t first = ro_cal_first_day(), last = ro_cal_last_day();
	unsigned seed = 12345;
	int k;

	for (k = 0; k < 2000; k++) {
		int32_t a, b, d;
		int n = 0;

		seed = seed * 1103515245u + 12345u;
		a = first + (int32_t)(seed % (uint32_t)(last - first + 1));
		seed = seed * 1103515245u + 12345u;
		b = a + (int32_t)(seed % 400u);
		if (b > last + 1)
			b = last + 1;
		for (d = a; d < b; d++)
			n += ro_cal_is_workday(cal, d);
		assert_int_equal(ro_cal_count_workdays(cal, a, b), n);
	}
	/* The whole range, as one span. */
	{
		int32_t d;
		int n = 0;

		for (d = first; d <= last; d++)
			n += ro_cal_is_workday(cal, d);
		assert_int_equal(ro_cal_count_workdays(cal, first, last + 1), n);
	}
}

static void
test_next_working(void **state)
{
	struct ro_calendar *cal = *state;
	struct ro_hours site = { 9 * 60, 17 * 60 };
	int64_t t;

	/* Friday before スポーツの日: closes 17:15, reopens Tuesday 08:45. */
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2026, 10, 9, 17, 15), &t), 0);
	assert_int_equal(t, T(2026, 10, 13, 8, 45));
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2026, 10, 9, 17, 14), &t), 0);
	assert_int_equal(t, T(2026, 10, 9, 17, 14));
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2026, 10, 9, 6, 0), &t), 0);
	assert_int_equal(t, T(2026, 10, 9, 8, 45));
	assert_int_equal(ro_cal_is_working(cal, NULL, T(2026, 10, 9, 8, 44)), 0);
	assert_int_equal(ro_cal_is_working(cal, NULL, T(2026, 10, 9, 8, 45)), 1);
	assert_int_equal(ro_cal_is_working(cal, NULL, T(2026, 10, 9, 17, 14)), 1);
	assert_int_equal(ro_cal_is_working(cal, NULL, T(2026, 10, 9, 17, 15)), 0);
	assert_int_equal(ro_cal_is_working(cal, NULL, T(2026, 10, 12, 10, 0)), 0);
	/* A site with its own hours. */
	assert_int_equal(ro_cal_next_working(cal, &site, T(2026, 10, 9, 17, 5), &t), 0);
	assert_int_equal(t, T(2026, 10, 13, 9, 0));
	assert_int_equal(ro_cal_next_working(cal, &site, T(2026, 10, 9, 8, 50), &t), 0);
	assert_int_equal(t, T(2026, 10, 9, 9, 0));
	/* Window ends. */
	assert_int_equal(ro_cal_window_end(cal, NULL, T(2026, 10, 9, 10, 0), &t), 0);
	assert_int_equal(t, T(2026, 10, 9, 17, 15));
	assert_int_equal(ro_cal_window_end(cal, &site, T(2026, 10, 9, 10, 0), &t), 0);
	assert_int_equal(t, T(2026, 10, 9, 17, 0));
	assert_int_equal(ro_cal_window_end(cal, NULL, T(2026, 10, 9, 17, 15), &t), RO_ENOENT);
	assert_int_equal(ro_cal_window_end(cal, NULL, T(2026, 10, 12, 10, 0), &t), RO_ENOENT);
	/* Golden Week 2026: Friday May 1 to Thursday May 7. */
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2026, 5, 1, 18, 0), &t), 0);
	assert_int_equal(t, T(2026, 5, 7, 8, 45));
	/* Range ends. */
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2151, 1, 1, 0, 0), &t), RO_EINVAL);
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2150, 12, 28, 18, 0), &t),
	    RO_ENOENT);
}

static void
test_year_end_closure(void **state)
{
	struct ro_calendar *cal = *state;
	int64_t t;
	int why;

	assert_int_equal(ro_cal_is_workday(cal, D(2026, 12, 28)), 1);
	assert_int_equal(ro_cal_day_info(cal, D(2026, 12, 29), &why), 0);
	assert_int_equal(why, RO_CAL_YEAR_END);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 12, 30)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 12, 31)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2027, 1, 1)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 1, 2)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2027, 1, 4)), 1);
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2026, 12, 28, 17, 15), &t), 0);
	assert_int_equal(t, T(2027, 1, 4, 8, 45));
	/* 1948-01-02 falls in the closure that began in 1947. */
	assert_int_equal(ro_cal_is_workday(cal, D(1948, 1, 2)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(1948, 1, 5)), 1);

	/* Without the closure the 29th (a Tuesday) is an ordinary day. */
	assert_int_equal(ro_cal_set_year_end(cal, 0, 0, 0, 0, 0), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 12, 29)), 1);
	assert_int_equal(ro_cal_set_year_end(cal, 1, 12, 28, 1, 4), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 12, 28)), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2027, 1, 4)), 0);
	assert_int_equal(ro_cal_set_year_end(cal, 1, 2, 30, 1, 4), RO_EINVAL);
}

static void
test_extra_closed_day(void **state)
{
	struct ro_calendar *cal = *state;
	int32_t oct = D(2026, 10, 1), nov = D(2026, 11, 1);
	struct ro_window *w = NULL;
	size_t n;
	int32_t first = ro_cal_first_day(), end = ro_cal_last_day() + 1;
	int before = ro_cal_count_workdays(cal, first, end);
	int64_t t;
	int why;

	assert_int_equal(ro_cal_add_closed(cal, (struct ro_date){ 2026, 10, 9 }), 0);
	assert_int_equal(ro_cal_add_closed(cal, (struct ro_date){ 2026, 10, 9 }), 0);
	/* Counts across many bitmap words see it once; a Sunday changes nothing. */
	assert_int_equal(ro_cal_count_workdays(cal, first, end), before - 1);
	assert_int_equal(ro_cal_count_workdays(cal, D(2026, 1, 1), D(2100, 1, 1)),
	    ro_cal_count_workdays(cal, D(2026, 1, 1), D(2026, 10, 9)) +
	    ro_cal_count_workdays(cal, D(2026, 10, 9), D(2100, 1, 1)));
	assert_int_equal(ro_cal_add_closed(cal, (struct ro_date){ 2026, 10, 11 }), 0);
	assert_int_equal(ro_cal_count_workdays(cal, first, end), before - 1);
	assert_int_equal(ro_cal_day_info(cal, D(2026, 10, 9), &why), 0);
	assert_int_equal(why, RO_CAL_CLOSED);
	assert_int_equal(ro_cal_count_workdays(cal, oct, nov), 20);
	assert_int_equal(ro_cal_next_working(cal, NULL, T(2026, 10, 8, 17, 15), &t), 0);
	assert_int_equal(t, T(2026, 10, 13, 8, 45));
	assert_int_equal(ro_cal_closed_windows(cal, NULL, ro_jst_minute(oct, 0),
	    ro_jst_minute(nov, 0), 3, &w, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].start, T(2026, 10, 8, 17, 15));
	assert_int_equal(w[0].end, T(2026, 10, 13, 8, 45));
	assert_int_equal(w[0].days, 4);
	free(w);
	assert_int_equal(ro_cal_add_closed(cal, (struct ro_date){ 2151, 1, 5 }), RO_EINVAL);
	/* The closure survives a change of year-end settings. */
	assert_int_equal(ro_cal_set_year_end(cal, 1, 12, 29, 1, 3), 0);
	assert_int_equal(ro_cal_is_workday(cal, D(2026, 10, 9)), 0);
}

static void
test_closed_office_windows(void **state)
{
	struct ro_calendar *cal = *state;
	struct ro_window *w = NULL;
	size_t n, i;

	/* 2027-03-21 (vernal equinox) is a Sunday, so Monday the 22nd is a
	 * substitute: Friday 17:15 to Tuesday 08:45. */
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2027, 3, 1, 0, 0),
	    T(2027, 4, 1, 0, 0), 3, &w, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].start, T(2027, 3, 19, 17, 15));
	assert_int_equal(w[0].end, T(2027, 3, 23, 8, 45));
	assert_int_equal(w[0].days, 3);
	free(w);

	/* 2026: the closure that began in 2025 (it overlaps the year and
	 * keeps its full extent), Golden Week and Silver Week (five days
	 * each), and the year-end closure, Monday 28th to Monday 4th. */
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2026, 1, 1, 0, 0),
	    T(2027, 1, 1, 0, 0), 5, &w, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(w[0].start, T(2025, 12, 26, 17, 15));
	assert_int_equal(w[0].end, T(2026, 1, 5, 8, 45));
	assert_int_equal(w[0].days, 9);
	assert_int_equal(w[1].start, T(2026, 5, 1, 17, 15));
	assert_int_equal(w[1].end, T(2026, 5, 7, 8, 45));
	assert_int_equal(w[1].days, 5);
	assert_int_equal(w[2].start, T(2026, 9, 18, 17, 15));
	assert_int_equal(w[2].end, T(2026, 9, 24, 8, 45));
	assert_int_equal(w[2].days, 5);
	assert_int_equal(w[3].start, T(2026, 12, 28, 17, 15));
	assert_int_equal(w[3].end, T(2027, 1, 4, 8, 45));
	assert_int_equal(w[3].days, 6);
	free(w);

	/* The same query with a window that starts inside the closure still
	 * reports its full extent. */
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2026, 12, 31, 0, 0),
	    T(2027, 1, 2, 0, 0), 3, &w, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].start, T(2026, 12, 28, 17, 15));
	free(w);

	/* Ordinary weekends are two days: found with 2, not with 3. */
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2026, 6, 1, 0, 0),
	    T(2026, 7, 1, 0, 0), 3, &w, &n), 0);
	assert_int_equal(n, 0);
	assert_null(w);
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2026, 6, 1, 0, 0),
	    T(2026, 7, 1, 0, 0), 2, &w, &n), 0);
	/* Four June weekends and the one from Friday May 29 that ends on
	 * Monday June 1 at 08:45, inside the range. */
	assert_int_equal(n, 5);
	assert_int_equal(w[0].start, T(2026, 5, 29, 17, 15));
	for (i = 0; i < n; i++) {
		assert_int_equal(w[i].days, 2);
		assert_int_equal(w[i].end - w[i].start, 2 * 1440 + 15 * 60 + 30);
	}
	free(w);
	/* min_days 0 also gives the nights: 22 working days in June 2026. */
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2026, 6, 1, 8, 45),
	    T(2026, 6, 30, 17, 15), 0, &w, &n), 0);
	assert_int_equal(n, 21);
	free(w);
	assert_int_equal(ro_cal_closed_windows(cal, NULL, T(2026, 6, 1, 0, 0),
	    T(2152, 1, 1, 0, 0), 3, &w, &n), RO_EINVAL);
}

static void
test_iterate_windows(void **state)
{
	struct ro_calendar *cal = *state;
	struct ro_cal_iter it;
	struct ro_window w;
	int n = 0;

	/* Two weeks around スポーツの日, starting at noon on Monday the 5th. */
	ro_cal_iter_init(&it, cal, NULL, T(2026, 10, 5, 12, 0), T(2026, 10, 19, 0, 0));
	while (ro_cal_iter_next(&it, &w) == 1) {
		if (n == 0) {
			assert_int_equal(w.start, T(2026, 10, 5, 12, 0));
			assert_int_equal(w.end, T(2026, 10, 5, 17, 15));
		} else {
			assert_int_equal(w.end - w.start, 8 * 60 + 30);
		}
		assert_true(w.start != T(2026, 10, 12, 8, 45));
		n++;
	}
	assert_int_equal(n, 9);
	assert_int_equal(ro_cal_iter_next(&it, &w), 0);
	/* Ends clipped, and an empty range gives nothing. */
	ro_cal_iter_init(&it, cal, NULL, T(2026, 10, 13, 9, 0), T(2026, 10, 13, 10, 0));
	assert_int_equal(ro_cal_iter_next(&it, &w), 1);
	assert_int_equal(w.end - w.start, 60);
	assert_int_equal(ro_cal_iter_next(&it, &w), 0);
	ro_cal_iter_init(&it, cal, NULL, T(2026, 10, 13, 9, 0), T(2026, 10, 13, 9, 0));
	assert_int_equal(ro_cal_iter_next(&it, &w), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cabinet_office_2026),
		cmocka_unit_test(test_cabinet_office_2027),
		cmocka_unit_test(test_law_start_1948),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_one_off_days),
		cmocka_unit_test(test_substitute_starts_1973),
		cmocka_unit_test(test_substitute_before_2007),
		cmocka_unit_test(test_substitute_from_2007),
		cmocka_unit_test(test_citizens_holidays),
		cmocka_unit_test(test_name_changes),
		cmocka_unit_test(test_happy_mondays),
		cmocka_unit_test(test_moved_days_2020_2021),
		cmocka_unit_test(test_equinoxes),
		cmocka_unit_test(test_all_years_consistent),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_hours_parse),
		cmocka_unit_test_setup_teardown(test_workdays, setup_cal, teardown_cal),
		cmocka_unit_test_setup_teardown(test_holiday_bitmap_matches_list,
		    setup_cal, teardown_cal),
		cmocka_unit_test_setup_teardown(test_count_matches_scan, setup_cal,
		    teardown_cal),
		cmocka_unit_test_setup_teardown(test_next_working, setup_cal, teardown_cal),
		cmocka_unit_test_setup_teardown(test_year_end_closure, setup_cal,
		    teardown_cal),
		cmocka_unit_test_setup_teardown(test_extra_closed_day, setup_cal,
		    teardown_cal),
		cmocka_unit_test_setup_teardown(test_closed_office_windows, setup_cal,
		    teardown_cal),
		cmocka_unit_test_setup_teardown(test_iterate_windows, setup_cal,
		    teardown_cal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
