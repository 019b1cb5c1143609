/*
 * cmd-calendar.c - `rollout calendar holidays FROM TO` and
 * `rollout calendar YEAR`: the national holidays, and the working days,
 * closures and long weekends of a year.
 */
#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ro_cmd ro_cmd_calendar;

struct cal_opts {
	int json;
	int en;
	int min_days;
	int have_hours;
	struct ro_hours hours;
	struct ro_date *closed;
	size_t nclosed;
	char *pos[3]; /* positional arguments */
	int npos;
};

/* parse_int reads a whole decimal integer in [lo, hi]. */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || *s == '+' || *s == '-' || *s == ' ')
		return RO_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return RO_EINVAL;
	*out = v;
	return 0;
}

/* parse_year reads a year argument; on error it explains and returns 2. */
static int
parse_year(const char *s, const char *what, int *out)
{
	long v;

	if (parse_int(s, 0, 99999, &v) != 0) {
		return ro_cmd_usage(&ro_cmd_calendar,
		    "%s '%s' is not a year; expected a number such as 2026", what, s);
	}
	if (v < RO_CAL_MIN_YEAR || v > RO_CAL_MAX_YEAR) {
		return ro_cmd_usage(&ro_cmd_calendar,
		    "%s %ld is outside the supported years %d..%d", what, v,
		    RO_CAL_MIN_YEAR, RO_CAL_MAX_YEAR);
	}
	*out = (int)v;
	return 0;
}

/* option_value returns the value of "--name VALUE" or "--name=VALUE". */
static const char *
option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		return "";
	return argv[++*i];
}

/* parse_opts fills o; returns 0 or an exit code after explaining. */
static int
parse_opts(int argc, char **argv, struct cal_opts *o)
{
	const char *v;
	int i, dashdash = 0;

	o->min_days = 3;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (!dashdash && strcmp(a, "--en") == 0) {
			o->en = 1;
		} else if (!dashdash && (v = option_value(argc, argv, &i, "--closed"))) {
			struct ro_date d;

			if (ro_date_parse_iso(v, &d) != 0 || d.y < RO_CAL_MIN_YEAR ||
			    d.y > RO_CAL_MAX_YEAR)
				return ro_cmd_usage(&ro_cmd_calendar,
				    "--closed '%s' is not a date YYYY-MM-DD in %d..%d", v,
				    RO_CAL_MIN_YEAR, RO_CAL_MAX_YEAR);
			o->closed = ro_xrealloc(o->closed, (o->nclosed + 1) * sizeof *o->closed);
			o->closed[o->nclosed++] = d;
		} else if (!dashdash && (v = option_value(argc, argv, &i, "--hours"))) {
			if (ro_hours_parse(v, &o->hours) != 0)
				return ro_cmd_usage(&ro_cmd_calendar,
				    "--hours '%s' is not HH:MM-HH:MM with the opening first "
				    "(e.g. 08:45-17:15)", v);
			o->have_hours = 1;
		} else if (!dashdash && (v = option_value(argc, argv, &i, "--min-days"))) {
			long n;

			if (parse_int(v, 0, 366, &n) != 0)
				return ro_cmd_usage(&ro_cmd_calendar,
				    "--min-days '%s' is not a number of days 0..366", v);
			o->min_days = (int)n;
		} else if (!dashdash && a[0] == '-' && a[1] != '\0') {
			return ro_cmd_usage(&ro_cmd_calendar, "unknown option '%s'", a);
		} else {
			if (o->npos == (int)RO_NELEM(o->pos))
				return ro_cmd_usage(&ro_cmd_calendar, "too many arguments");
			o->pos[o->npos++] = argv[i];
		}
	}
	return 0;
}

static void
print_holiday_json(const struct ro_holiday *h, int first, const char *indent)
{
	char iso[11];

	printf("%s\n%s{\"date\": \"%s\", \"weekday\": \"%s\", \"name_ja\": ",
	    first ? "" : ",", indent, ro_date_format_iso(h->date, iso),
	    ro_weekday_en(ro_day_weekday(ro_date_to_day(h->date))));
	ro_json_str(stdout, h->name_ja);
	printf(", \"name_en\": ");
	ro_json_str(stdout, h->name_en);
	printf(", \"kind\": \"%s\"}", ro_hol_kind_key(h->kind));
}

/* holidays_exec implements `calendar holidays FROM [TO]`. */
static int
holidays_exec(const struct cal_opts *o)
{
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	int from, to, y, rc, first = 1;
	size_t i, n;

	if (o->npos < 2)
		return ro_cmd_usage(&ro_cmd_calendar, "holidays needs FROM_YEAR [TO_YEAR]");
	if ((rc = parse_year(o->pos[1], "FROM_YEAR", &from)) != 0)
		return rc;
	to = from;
	if (o->npos > 2 && (rc = parse_year(o->pos[2], "TO_YEAR", &to)) != 0)
		return rc;
	if (to < from)
		return ro_cmd_usage(&ro_cmd_calendar,
		    "TO_YEAR %d is before FROM_YEAR %d", to, from);
	if (o->json)
		printf("[");
	for (y = from; y <= to; y++) {
		rc = ro_cal_holidays(y, h, RO_NELEM(h), &n);
		if (rc != 0) {
			fprintf(stderr, "rollout calendar: %d: %s\n", y, ro_strerror(rc));
			return RO_EXIT_FAIL;
		}
		for (i = 0; i < n; i++) {
			char iso[11];

			if (o->json) {
				print_holiday_json(&h[i], first, "  ");
				first = 0;
			} else if (o->en) {
				printf("%s\t%s\t%s\n", ro_date_format_iso(h[i].date, iso),
				    h[i].name_ja, h[i].name_en);
			} else {
				printf("%s\t%s\n", ro_date_format_iso(h[i].date, iso),
				    h[i].name_ja);
			}
		}
	}
	if (o->json)
		printf("\n]\n");
	return RO_EXIT_OK;
}

struct month_row {
	int days, working, holidays, weekend, year_end, closed;
};

static void
fmt_hhmm(char buf[6], int min)
{
	unsigned m = (unsigned)min;

	snprintf(buf, 6, "%02u:%02u", (m / 60) % 100, m % 60);
}

/* print_instant writes "2026-05-01 (金) 17:15", or ISO 8601 for JSON. */
static void
print_instant(int64_t t, int json)
{
	char s[RO_JST_FMT_MAX];
	int32_t day;
	int min;

	ro_jst_format(t, s);
	if (json) {
		s[10] = 'T';
		printf("\"%s+09:00\"", s);
		return;
	}
	ro_jst_split(t, &day, &min);
	s[10] = '\0';
	printf("%s (%s) %s", s, ro_weekday_ja(ro_day_weekday(day)), s + 11);
}

/* year_report prints the year; everything it needs is already computed. */
static void
year_report(const struct ro_calendar *cal, const struct cal_opts *o, int year,
    const struct month_row *rows, const struct ro_holiday *hol, size_t nhol,
    const struct ro_window *win, size_t nwin)
{
	struct ro_hours h = ro_cal_hours(cal);
	struct month_row tot = { 0 };
	char open[6], close[6], iso[11];
	size_t i;
	int m;

	fmt_hhmm(open, h.open);
	fmt_hhmm(close, h.close);
	for (m = 0; m < 12; m++) {
		tot.days += rows[m].days;
		tot.working += rows[m].working;
		tot.holidays += rows[m].holidays;
		tot.weekend += rows[m].weekend;
		tot.year_end += rows[m].year_end;
		tot.closed += rows[m].closed;
	}
	if (o->json) {
		printf("{\n  \"year\": %d,\n  \"timezone\": \"Asia/Tokyo\",\n"
		       "  \"hours\": {\"open\": \"%s\", \"close\": \"%s\"},\n"
		       "  \"year_end\": {\"from\": \"12-29\", \"to\": \"01-03\"},\n"
		       "  \"working_days\": %d,\n  \"months\": [",
		    year, open, close, tot.working);
		for (m = 0; m < 12; m++)
			printf("%s\n    {\"month\": %d, \"days\": %d, \"working\": %d, "
			       "\"holidays\": %d, \"weekend\": %d, \"year_end\": %d, "
			       "\"closed\": %d}",
			    m ? "," : "", m + 1, rows[m].days, rows[m].working,
			    rows[m].holidays, rows[m].weekend, rows[m].year_end,
			    rows[m].closed);
		printf("\n  ],\n  \"holidays\": [");
		for (i = 0; i < nhol; i++)
			print_holiday_json(&hol[i], i == 0, "    ");
		printf("\n  ],\n  \"closed\": [");
		for (i = 0; i < o->nclosed; i++)
			printf("%s\"%s\"", i ? ", " : "", ro_date_format_iso(o->closed[i], iso));
		printf("],\n  \"min_days\": %d,\n  \"closed_office_windows\": [", o->min_days);
		for (i = 0; i < nwin; i++) {
			printf("%s\n    {\"start\": ", i ? "," : "");
			print_instant(win[i].start, 1);
			printf(", \"end\": ");
			print_instant(win[i].end, 1);
			printf(", \"days\": %d, \"minutes\": %lld}", win[i].days,
			    (long long)(win[i].end - win[i].start));
		}
		printf("\n  ]\n}\n");
		return;
	}

	printf("Calendar %d (Asia/Tokyo): working hours %s-%s on weekdays, "
	       "year-end closure 12-29..01-03\n\n", year, open, close);
	printf("month     days  working  holidays  weekend  year-end  closed\n");
	for (m = 0; m < 12; m++)
		printf("%d-%02d  %4d  %7d  %8d  %7d  %8d  %6d\n", year, m + 1,
		    rows[m].days, rows[m].working, rows[m].holidays, rows[m].weekend,
		    rows[m].year_end, rows[m].closed);
	printf("total    %4d  %7d  %8d  %7d  %8d  %6d\n", tot.days, tot.working,
	    tot.holidays, tot.weekend, tot.year_end, tot.closed);

	printf("\nHolidays (%zu):\n", nhol);
	for (i = 0; i < nhol; i++) {
		int wd = ro_day_weekday(ro_date_to_day(hol[i].date));

		printf("  %s (%s)  %s", ro_date_format_iso(hol[i].date, iso),
		    ro_weekday_ja(wd), hol[i].name_ja);
		if (hol[i].kind == RO_HOL_SUBSTITUTE || hol[i].kind == RO_HOL_CITIZENS)
			printf(" (%s)", ro_hol_kind_name(hol[i].kind, 1));
		if (o->en)
			printf("  %s", hol[i].name_en);
		printf("\n");
	}
	if (o->nclosed) {
		printf("\nExtra closed days:\n");
		for (i = 0; i < o->nclosed; i++)
			printf("  %s\n", ro_date_format_iso(o->closed[i], iso));
	}
	printf("\nClosed-office windows of %d or more days:\n", o->min_days);
	if (nwin == 0)
		printf("  (none)\n");
	for (i = 0; i < nwin; i++) {
		printf("  ");
		print_instant(win[i].start, 0);
		printf("  ->  ");
		print_instant(win[i].end, 0);
		printf("  %d days\n", win[i].days);
	}
}

/* year_exec implements `calendar YEAR`. */
static int
year_exec(const struct cal_opts *o)
{
	struct ro_holiday hol[RO_CAL_MAX_HOLIDAYS];
	struct month_row rows[12];
	struct ro_calendar *cal = NULL;
	struct ro_window *win = NULL;
	size_t i, nhol = 0, nwin = 0;
	int32_t day, first, end;
	int year, rc, ret = RO_EXIT_FAIL;

	if (o->npos > 1)
		return ro_cmd_usage(&ro_cmd_calendar, "unexpected argument '%s'", o->pos[1]);
	if ((rc = parse_year(o->pos[0], "YEAR", &year)) != 0)
		return rc;

	cal = ro_cal_new();
	if (o->have_hours && (rc = ro_cal_set_hours(cal, o->hours)) != 0)
		goto fail;
	for (i = 0; i < o->nclosed; i++)
		if ((rc = ro_cal_add_closed(cal, o->closed[i])) != 0)
			goto fail;
	if ((rc = ro_cal_holidays(year, hol, RO_NELEM(hol), &nhol)) != 0)
		goto fail;

	memset(rows, 0, sizeof rows);
	first = ro_date_to_day((struct ro_date){ year, 1, 1 });
	end = ro_date_to_day((struct ro_date){ year + 1, 1, 1 });
	for (day = first; day < end; day++) {
		struct month_row *r = &rows[ro_day_to_date(day).m - 1];
		int why;

		if ((rc = ro_cal_day_info(cal, day, &why)) < 0)
			goto fail;
		r->days++;
		switch (why) {
		case RO_CAL_WORKDAY:
			r->working++;
			break;
		case RO_CAL_HOLIDAY:
			r->holidays++;
			break;
		case RO_CAL_WEEKEND:
			r->weekend++;
			break;
		case RO_CAL_YEAR_END:
			r->year_end++;
			break;
		default:
			r->closed++;
			break;
		}
	}
	rc = ro_cal_closed_windows(cal, NULL, ro_jst_minute(first, 0),
	    ro_jst_minute(end, 0), o->min_days, &win, &nwin);
	if (rc != 0)
		goto fail;
	year_report(cal, o, year, rows, hol, nhol, win, nwin);
	ret = RO_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "rollout calendar: %d: %s\n", year, ro_strerror(rc));
out:
	free(win);
	ro_cal_free(cal);
	return ret;
}

static int
calendar_exec(int argc, char **argv)
{
	struct cal_opts o;
	int rc;

	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		goto out;
	if (o.npos == 0) {
		rc = ro_cmd_usage(&ro_cmd_calendar, "missing YEAR or 'holidays'");
		goto out;
	}
	if (strcmp(o.pos[0], "holidays") == 0)
		rc = holidays_exec(&o);
	else
		rc = year_exec(&o);
out:
	free(o.closed);
	return rc;
}

const struct ro_cmd ro_cmd_calendar = {
	.name = "calendar",
	.usage = "holidays FROM_YEAR [TO_YEAR] [--en] [--json]\n"
	         "       rollout calendar YEAR [--closed YYYY-MM-DD]... "
	         "[--hours HH:MM-HH:MM] [--min-days N] [--en] [--json]",
	.summary = "Show Japanese national holidays and the working calendar of a year.",
	.help =
	    "holidays FROM_YEAR [TO_YEAR]\n"
	    "    One line per national holiday, 'YYYY-MM-DD<TAB>name' with the\n"
	    "    Japanese name as the Cabinet Office lists it (substitute and\n"
	    "    citizens' holidays are '休日'), in date order. --en adds the\n"
	    "    English name as a third column; --json prints an array with the\n"
	    "    kind of each day (fixed, happy-monday, equinox, substitute,\n"
	    "    citizens, special).\n"
	    "\n"
	    "YEAR\n"
	    "    Working days per month, the holidays, and the closed-office\n"
	    "    windows (spans outside working time of at least --min-days whole\n"
	    "    non-working days, default 3: long weekends, Golden Week, the\n"
	    "    year-end closure).\n"
	    "    --closed YYYY-MM-DD  an extra closed day (repeatable)\n"
	    "    --hours HH:MM-HH:MM  working hours (default 08:45-17:15 JST)\n"
	    "\n"
	    "Years 1948..2150 are supported. The law started on 1948-07-20;\n"
	    "years after the current law are projections (docs/CALENDAR.md).\n",
	.exec = calendar_exec,
};
