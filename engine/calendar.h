/*
 * calendar.h - the Japanese public-office calendar: national holidays
 * computed from the law (国民の祝日に関する法律 and the special laws), the
 * city's year-end closure, extra closed days, and working time.
 *
 * Supported dates are 1948-01-01 .. 2150-12-31 (RO_CAL_MIN_YEAR ..
 * RO_CAL_MAX_YEAR). Dates after the law as it stands today are projections:
 * they assume the law does not change and the equinoxes follow the standard
 * approximation (see docs/CALENDAR.md).
 *
 * Time: an instant is an int64_t count of minutes since 1970-01-01T00:00Z.
 * Local dates and clock times are always Asia/Tokyo (UTC+9, no daylight
 * saving), computed here; the process's TZ and localtime() are never used.
 * A day number is the count of days since 1970-01-01 (a JST civil date).
 *
 * The module has no global state. Holiday listing functions are pure; a
 * struct ro_calendar holds the configuration and a precomputed bitmap of
 * working days so that the queries the planner makes are O(1) or close.
 */
#ifndef RO_CALENDAR_H
#define RO_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define RO_CAL_MIN_YEAR 1948
#define RO_CAL_MAX_YEAR 2150

/* Asia/Tokyo is UTC+9 all year round (no DST since 1951). */
#define RO_JST_OFFSET_MIN 540
#define RO_MIN_PER_DAY 1440

/* A civil date in the proleptic Gregorian calendar. */
struct ro_date {
	int y;
	int m; /* 1..12 */
	int d; /* 1..31 */
};

/* ---- dates ---------------------------------------------------------- */

/* ro_date_valid is true when d names a real day (any year 1..9999). */
int ro_date_valid(struct ro_date d);

/* ro_date_to_day returns the day number of d (days since 1970-01-01). */
int32_t ro_date_to_day(struct ro_date d);

/* ro_day_to_date is the inverse of ro_date_to_day. */
struct ro_date ro_day_to_date(int32_t day);

/* ro_day_weekday returns 0 = Sunday .. 6 = Saturday. */
int ro_day_weekday(int32_t day);

/* ro_date_cmp returns <0, 0 or >0 as a is before, equal to or after b. */
int ro_date_cmp(struct ro_date a, struct ro_date b);

/*
 * ro_date_parse_iso parses exactly "YYYY-MM-DD" (no trailing characters)
 * into *out. Returns 0, or RO_EINVAL if s is not a valid date.
 */
int ro_date_parse_iso(const char *s, struct ro_date *out);

/* ro_date_format_iso writes "2026-10-05" into buf (at least 11 bytes). */
char *ro_date_format_iso(struct ro_date d, char buf[static 11]);

/* RO_DATE_JA_MAX bytes hold the longest Japanese date, NUL included. */
#define RO_DATE_JA_MAX 40

/* ro_date_format_ja writes "2026年10月5日(月)" (UTF-8) into buf. */
char *ro_date_format_ja(struct ro_date d, char buf[static RO_DATE_JA_MAX]);

/* ro_weekday_ja returns "日", "月" .. "土"; ro_weekday_en "Sun" .. "Sat". */
const char *ro_weekday_ja(int wday);
const char *ro_weekday_en(int wday);

/* ---- instants (minutes since the epoch, JST) ----------------------- */

/* ro_jst_minute returns the instant of local JST time min (0..1440) on day. */
int64_t ro_jst_minute(int32_t day, int min);

/* ro_jst_split splits instant t into its JST day and minute of that day. */
void ro_jst_split(int64_t t, int32_t *day, int *min);

/* RO_JST_FMT_MAX bytes hold "2026-10-09 17:15", NUL included. */
#define RO_JST_FMT_MAX 24

/* ro_jst_format writes t as JST "YYYY-MM-DD HH:MM" into buf. */
char *ro_jst_format(int64_t t, char buf[static RO_JST_FMT_MAX]);

/*
 * ro_jst_parse parses "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM" (JST) into
 * *out. 24:00 is accepted as the end of the day. Returns 0 or RO_EINVAL.
 */
int ro_jst_parse(const char *s, int64_t *out);

/* ---- national holidays ---------------------------------------------- */

enum ro_hol_kind {
	RO_HOL_FIXED,         /* a fixed date named in the law (元日, 文化の日...) */
	RO_HOL_HAPPY_MONDAY,  /* the n-th Monday of a month (成人の日 from 2000...) */
	RO_HOL_EQUINOX,       /* 春分の日 and 秋分の日 */
	RO_HOL_SUBSTITUTE,    /* 振替休日, art. 3(2) */
	RO_HOL_CITIZENS,      /* 国民の休日, art. 3(3): a day between two 祝日 */
	RO_HOL_SPECIAL,       /* a day set by a special law (1959-04-10, 2019,
	                         the moved days of 2020 and 2021...) */
};

struct ro_holiday {
	struct ro_date date;
	enum ro_hol_kind kind;
	/*
	 * The name as the Cabinet Office lists it. Substitute and citizens'
	 * holidays are listed there simply as "休日"; ro_hol_kind_name gives
	 * the longer names.
	 */
	const char *name_ja;
	const char *name_en;
	/* True for a 「国民の祝日」 (or a day the law treats as one, as in
	 * 2019): the days that trigger substitute and citizens' holidays. */
	int shukujitsu;
};

/* No year has more holidays than this (2019 has 22). */
#define RO_CAL_MAX_HOLIDAYS 32

/*
 * ro_cal_holidays lists the holidays of year in date order into out (room
 * for cap entries; RO_CAL_MAX_HOLIDAYS is always enough) and sets *n to
 * their number. Returns 0, or RO_EINVAL if year is outside the supported
 * range (then *n is 0).
 */
int ro_cal_holidays(int year, struct ro_holiday *out, size_t cap, size_t *n);

/*
 * ro_cal_is_holiday returns 1 if d is a national holiday (and fills *out
 * unless it is NULL), 0 if it is not, or RO_EINVAL outside the range.
 * It computes the year each time: use a struct ro_calendar in loops.
 */
int ro_cal_is_holiday(struct ro_date d, struct ro_holiday *out);

/* ro_hol_kind_name returns "振替休日"/"substitute holiday" and so on. */
const char *ro_hol_kind_name(enum ro_hol_kind kind, int japanese);

/* ro_hol_kind_key returns a stable ASCII key: "fixed", "happy-monday"... */
const char *ro_hol_kind_key(enum ro_hol_kind kind);

/*
 * ro_cal_vernal_equinox and ro_cal_autumnal_equinox return the day of
 * March / September of the equinox in year (1900..2150), by the standard
 * approximation that matches the official announcements (暦要項).
 */
int ro_cal_vernal_equinox(int year);
int ro_cal_autumnal_equinox(int year);

/* ---- the working calendar ------------------------------------------- */

/* Working hours of one day, in minutes after local midnight. */
struct ro_hours {
	int open;  /* e.g. 8*60+45 */
	int close; /* e.g. 17*60+15; open < close <= 1440 */
};

#define RO_HOURS_DEFAULT ((struct ro_hours){ 8 * 60 + 45, 17 * 60 + 15 })

/* ro_hours_parse parses "HH:MM-HH:MM" into *out. Returns 0 or RO_EINVAL. */
int ro_hours_parse(const char *s, struct ro_hours *out);

/* A half-open span of time [start, end). */
struct ro_window {
	int64_t start;
	int64_t end;
	int days; /* closed-office windows: whole non-working days inside */
};

struct ro_calendar;

/*
 * ro_cal_new returns a calendar with the default working hours
 * (08:45-17:15), the year-end closure 12-29..01-03 and no extra closed
 * days. Free it with ro_cal_free.
 */
struct ro_calendar *ro_cal_new(void);
void ro_cal_free(struct ro_calendar *cal);

/* ro_cal_set_hours sets the default hours. Returns 0 or RO_EINVAL. */
int ro_cal_set_hours(struct ro_calendar *cal, struct ro_hours h);

/* ro_cal_hours returns the default hours. */
struct ro_hours ro_cal_hours(const struct ro_calendar *cal);

/*
 * ro_cal_set_year_end sets the yearly closure from (fm, fd) to (tm, td)
 * inclusive, wrapping over the new year when the end is before the start
 * (the default is 12-29 .. 01-03). on = 0 removes the closure. Returns 0 or
 * RO_EINVAL for an impossible month/day.
 */
int ro_cal_set_year_end(struct ro_calendar *cal, int on, int fm, int fd,
    int tm, int td);

/* ro_cal_add_closed marks one extra closed day. Returns 0 or RO_EINVAL. */
int ro_cal_add_closed(struct ro_calendar *cal, struct ro_date d);

/* ro_cal_new_closed: ro_cal_new plus n extra closed days (day numbers, as
 * an inventory lists them). The planner and the executor both build their
 * calendar here, so that they agree on every working minute. */
struct ro_calendar *ro_cal_new_closed(const long *days, size_t n);

/* The first and last day numbers the calendar answers for. */
int32_t ro_cal_first_day(void);
int32_t ro_cal_last_day(void);

/*
 * ro_cal_day_info describes a day: returns 1 if it is a working day, 0 if
 * not, RO_EINVAL outside the range. *why (unless NULL) is set to one of
 * the RO_CAL_* reasons below (the first that applies).
 */
enum {
	RO_CAL_WORKDAY = 0,
	RO_CAL_WEEKEND = 1,
	RO_CAL_HOLIDAY = 2,
	RO_CAL_YEAR_END = 3,
	RO_CAL_CLOSED = 4, /* an extra closed day */
};
int ro_cal_day_info(const struct ro_calendar *cal, int32_t day, int *why);

/* ro_cal_is_workday: 1 working day, 0 not, RO_EINVAL outside the range. */
int ro_cal_is_workday(const struct ro_calendar *cal, int32_t day);

/*
 * The queries below take hours, the site's working hours; NULL means the
 * calendar's default. A working window is one working day's [open, close).
 * They return 0, RO_EINVAL if t lies outside the supported range, or
 * RO_ENOENT if no answer exists inside it.
 */

/* ro_cal_is_working: 1 if t lies in working time, 0 if not, or RO_EINVAL. */
int ro_cal_is_working(const struct ro_calendar *cal, const struct ro_hours *hours,
    int64_t t);

/* ro_cal_next_working sets *out to the first working instant >= t. */
int ro_cal_next_working(const struct ro_calendar *cal,
    const struct ro_hours *hours, int64_t t, int64_t *out);

/*
 * ro_cal_window_end sets *out to the end of the working window containing
 * t. RO_ENOENT if t is not in working time.
 */
int ro_cal_window_end(const struct ro_calendar *cal,
    const struct ro_hours *hours, int64_t t, int64_t *out);

/*
 * Iterating over the working windows in [from, to), each clipped to it:
 *
 *	struct ro_cal_iter it;
 *	struct ro_window w;
 *	ro_cal_iter_init(&it, cal, NULL, from, to);
 *	while (ro_cal_iter_next(&it, &w) == 1)
 *		...;
 *
 * ro_cal_iter_next returns 1 with a window, 0 at the end.
 */
struct ro_cal_iter {
	const struct ro_calendar *cal;
	struct ro_hours hours;
	int64_t to;
	int32_t day; /* next day to look at */
	int32_t last_day;
	int64_t from;
};
void ro_cal_iter_init(struct ro_cal_iter *it, const struct ro_calendar *cal,
    const struct ro_hours *hours, int64_t from, int64_t to);
int ro_cal_iter_next(struct ro_cal_iter *it, struct ro_window *w);

/*
 * ro_cal_closed_windows finds the closed-office windows that overlap
 * [from, to): maximal spans outside working time that contain at least
 * min_days whole non-working calendar days (3 finds long weekends and
 * Golden Week; 2 adds ordinary weekends). Each window keeps its full
 * extent, e.g. Friday 17:15 to Tuesday 08:45, even where it sticks out of
 * [from, to); a span that reaches the end of the supported range stops
 * there. *out is a malloc'd array of *n windows (NULL if none) that
 * the caller frees with free(). Returns 0 or RO_EINVAL.
 */
int ro_cal_closed_windows(const struct ro_calendar *cal,
    const struct ro_hours *hours, int64_t from, int64_t to, int min_days,
    struct ro_window **out, size_t *n);

/*
 * ro_cal_count_workdays returns the number of working days in day numbers
 * [from, to) (0 if to <= from), or RO_EINVAL if the span leaves the range.
 */
int ro_cal_count_workdays(const struct ro_calendar *cal, int32_t from,
    int32_t to);

#endif
