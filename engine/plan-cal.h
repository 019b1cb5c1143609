/*
 * plan-cal.h - the calendar as the planner uses it, in Unix seconds.
 *
 * This small module is the only planner file that sees calendar.h: it turns
 * the calendar's minutes into the Unix seconds the plan is written in, so
 * that the scheduler works in one unit throughout.
 *
 * Every instant here is int64_t seconds since 1970-01-01T00:00Z; a day is a
 * JST day number (days since 1970-01-01 in Asia/Tokyo).
 */
#ifndef RO_PLAN_CAL_H
#define RO_PLAN_CAL_H

#include <stddef.h>
#include <stdint.h>

/* A half-open span [start, end) of Unix seconds. */
struct ro_span {
	int64_t start;
	int64_t end;
};

enum ro_pcal_kind { RO_PCAL_BUSINESS, RO_PCAL_CLOSED, RO_PCAL_ANY };

/* A closed-office window holds at least this many whole non-working days
 * (a weekend; the spec's 連休等). */
#define RO_PCAL_CLOSED_MIN_DAYS 2

struct ro_pcal;

/* ro_pcal_new: the default calendar (08:45-17:15, year-end closure) plus
 * the inventory's extra closed days (day numbers). */
struct ro_pcal *ro_pcal_new(const long *closed_days, size_t n);
void ro_pcal_free(struct ro_pcal *cal);

/*
 * ro_pcal_windows lists the windows of kind that overlap [from, to), each
 * clipped to it, for working hours open..close (minutes after midnight;
 * open < 0 means the default). *out is malloc'd (free()), *n its length.
 * Returns 0 or RO_EINVAL outside the calendar's range.
 */
int ro_pcal_windows(const struct ro_pcal *cal, enum ro_pcal_kind kind, int open, int close,
    int64_t from, int64_t to, struct ro_span **out, size_t *n);

/* ro_pcal_next_working: the first default working instant >= t (INT64_MAX if none). */
int64_t ro_pcal_next_working(const struct ro_pcal *cal, int64_t t);

/* ro_pcal_after_workdays: the close (default hours) of the n-th working day
 * after the day of t (the day of t itself not counted). INT64_MAX if none. */
int64_t ro_pcal_after_workdays(const struct ro_pcal *cal, int64_t t, long n);

/* ro_pcal_is_workday: 1 if day is a working day. */
int ro_pcal_is_workday(const struct ro_pcal *cal, int32_t day);

/* Days and instants (JST). */
int32_t ro_pcal_day(int64_t t);                /* the JST day of t */
int64_t ro_pcal_at(int32_t day, int min);      /* minute min of day, in seconds */
int ro_pcal_minute(int64_t t);                 /* JST minute of the day of t */

/* Formats: "2026-10-05 08:45", "2026-10-05T08:45:00+09:00", "2026-10-05",
 * "2026年10月5日(月)", "月". Buffers of at least 40 bytes. */
char *ro_pcal_fmt(int64_t t, char *buf);
char *ro_pcal_fmt_iso(int64_t t, char *buf);
char *ro_pcal_fmt_day(int32_t day, char *buf);
char *ro_pcal_fmt_day_ja(int32_t day, char *buf);
const char *ro_pcal_weekday_ja(int32_t day);

/* ro_pcal_holiday_name: the holiday's Japanese name if day is a national
 * holiday, else NULL (static storage). */
const char *ro_pcal_holiday_name(int32_t day);

#endif
