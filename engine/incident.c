/*
 * incident.c - the service-level rules of the specification (§5(2) and
 * appendix 5), one function on the office calendar. docs/INCIDENTS.md
 * explains each reading; tests/unit/test_incident.c checks them at the
 * boundaries.
 */
#include "incident.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "error.h"

static const char *const kind_names[] = { "cs", "terminal", "touch-panel" };
static const char *const kind_ja[] = { "CS", "統合端末", "タッチパネル" };

int
ro_incident_kind_parse(const char *s, enum ro_incident_kind *out)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum ro_incident_kind)i;
			return 0;
		}
	return RO_EINVAL;
}

const char *
ro_incident_kind_name(enum ro_incident_kind kind)
{
	return (unsigned)kind < 3 ? kind_names[kind] : "?";
}

const char *
ro_incident_kind_ja(enum ro_incident_kind kind)
{
	return (unsigned)kind < 3 ? kind_ja[kind] : "?";
}

/* next_workday sets *out to the first working day after day (strictly). */
static int
next_workday(const struct ro_calendar *cal, int32_t day, int32_t *out)
{
	int w;

	do {
		day++;
		if ((w = ro_cal_is_workday(cal, day)) < 0)
			return w;
	} while (w == 0);
	*out = day;
	return 0;
}

int
ro_incident_deadline(const struct ro_calendar *cal, enum ro_incident_kind kind,
    int64_t instructed, struct ro_sla *out)
{
	struct ro_hours h = ro_cal_hours(cal);
	int32_t day, next;
	int min, working, workday, rc;

	memset(out, 0, sizeof *out);
	/* Working time is the half-open window [08:45, 17:15) of a working
	 * day: the specification has entry "17時15分以降" need permission, so
	 * an instruction at 17:15 is outside it. */
	if ((working = ro_cal_is_working(cal, NULL, instructed)) < 0)
		return working;
	ro_jst_split(instructed, &day, &min);
	if ((workday = ro_cal_is_workday(cal, day)) < 0)
		return workday;
	out->in_hours = working;
	switch (kind) {
	case RO_INC_CS:
		/* The row is chosen by when the instruction came; the minutes
		 * run on the wall clock, since CS support is 24x365. */
		out->deadline = instructed + (working ? 90 : 180);
		out->rule = working ? "CS, instructed in working time: on site within 90 minutes" :
		    "CS, instructed outside working time: on site within 180 minutes";
		return 0;
	case RO_INC_TERMINAL:
		/* 「対応指示を受けた日の翌平日午前中まで」: by noon of the first
		 * working day after the day of the instruction. */
		if ((rc = next_workday(cal, day, &next)) != 0)
			return rc;
		out->deadline = ro_jst_minute(next, 12 * 60);
		out->rule = "terminal: on site by noon (午前中) of the next working day "
		    "after the day of the instruction";
		return 0;
	case RO_INC_TOUCH_PANEL:
		/* Same day while that day's working time is still ahead or under
		 * way; otherwise 「翌開庁日の業務時間前」, before the next working
		 * day opens. */
		if (workday && min < h.close) {
			out->deadline = ro_jst_minute(day, h.close);
			out->rule = "touch panel, instructed before the day's closing: on site "
			    "the same day, before closing";
			return 0;
		}
		if ((rc = next_workday(cal, day, &next)) != 0)
			return rc;
		out->deadline = ro_jst_minute(next, h.open);
		out->rule = "touch panel, instructed after closing or on a closed day: on "
		    "site before the next working day opens";
		return 0;
	}
	return RO_EINVAL;
}

/* fmt_span writes a span of seconds as "2d 03h 05m", "1h 05m" or "25m",
 * rounded up to a whole minute so that "0m late" never appears. */
static char *
fmt_span(int64_t s, char buf[32])
{
	int64_t m = (s + 59) / 60;

	if (m >= 60 * 24)
		snprintf(buf, 32, "%" PRId64 "d %02" PRId64 "h %02" PRId64 "m", m / 1440,
		    m % 1440 / 60, m % 60);
	else if (m >= 60)
		snprintf(buf, 32, "%" PRId64 "h %02" PRId64 "m", m / 60, m % 60);
	else
		snprintf(buf, 32, "%" PRId64 "m", m);
	return buf;
}

int
ro_incident_clock(int64_t deadline, int64_t arrived, int64_t now, char *out, size_t cap)
{
	char a[32];
	int missed;

	if (arrived != INT64_MIN) {
		missed = arrived > deadline;
		if (missed)
			snprintf(out, cap, "missed by %s", fmt_span(arrived - deadline, a));
		else
			snprintf(out, cap, "met (%s to spare)", fmt_span(deadline - arrived, a));
		return missed;
	}
	missed = now > deadline;
	if (missed)
		snprintf(out, cap, "BREACHED by %s", fmt_span(now - deadline, a));
	else
		snprintf(out, cap, "%s left", fmt_span(deadline - now, a));
	return missed;
}
