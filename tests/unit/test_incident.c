/*
 * test_incident.c - the service-level clock (engine/incident.c), table
 * driven: for each kind, instructions at the edges of working time (08:44,
 * 08:45, 17:14, 17:15), on a Friday evening, the day before a holiday,
 * before a long weekend and at the year-end closure. Each expected deadline
 * was worked out by hand from the specification (§5(2) table, appendix 5
 * for touch panels; docs/INCIDENTS.md); the comment on each row says why.
 *
 * The calendar of the dates used: 2026-11-02 Mon, 11-03 Tue 文化の日,
 * 11-04 Wed, 11-06 Fri, 11-20 Fri, 11-23 Mon 勤労感謝の日, 12-28 Mon (the
 * last working day of 2026), 12-29 .. 01-03 year-end closure, 2027-01-04 Mon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "diag.h"
#include "error.h"
#include "incident.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

static int64_t
T(const char *s)
{
	int64_t t = 0;

	if (ro_jst_parse(s, &t) != 0)
		fail_msg("bad time in the table: %s", s);
	return t;
}

struct row {
	enum ro_incident_kind kind;
	const char *instructed;
	const char *deadline;
	int in_hours;
	const char *why;
};

static const struct row rows[] = {
	/* ---- CS: 90 minutes from an instruction in working time, 180
	 * outside it, on the wall clock (CS support is 24x365). */
	{ RO_INC_CS, "2026-11-04 08:44", "2026-11-04 11:44", 0,
	  "one minute before opening is outside working time: 180 minutes" },
	{ RO_INC_CS, "2026-11-04 08:45", "2026-11-04 10:15", 1,
	  "08:45 is the first minute of working time: 90 minutes" },
	{ RO_INC_CS, "2026-11-04 17:14", "2026-11-04 18:44", 1,
	  "17:14 is the last minute of working time: 90 minutes, running past closing" },
	{ RO_INC_CS, "2026-11-04 17:15", "2026-11-04 20:15", 0,
	  "17:15 is closing (entry from 17時15分以降 needs a permit): 180 minutes" },
	{ RO_INC_CS, "2026-11-06 19:30", "2026-11-06 22:30", 0,
	  "Friday evening: outside working time, 180 minutes, the weekend does not matter" },
	{ RO_INC_CS, "2026-11-02 17:30", "2026-11-02 20:30", 0,
	  "the evening before 文化の日: 180 minutes" },
	{ RO_INC_CS, "2026-11-03 10:00", "2026-11-03 13:00", 0,
	  "on the holiday itself, at 10:00: not working time, 180 minutes" },
	{ RO_INC_CS, "2026-12-28 17:00", "2026-12-28 18:30", 1,
	  "12-28 is a working day (the closure starts 12-29): 90 minutes" },
	{ RO_INC_CS, "2026-12-30 10:00", "2026-12-30 13:00", 0,
	  "inside the year-end closure: 180 minutes" },

	/* ---- Terminal: 「対応指示を受けた日の翌平日午前中まで」, by 12:00 of
	 * the first working day after the day of the instruction, whatever
	 * the hour of the instruction. */
	{ RO_INC_TERMINAL, "2026-11-04 08:44", "2026-11-05 12:00", 0,
	  "Wednesday before opening: Thursday noon" },
	{ RO_INC_TERMINAL, "2026-11-04 08:45", "2026-11-05 12:00", 1,
	  "Wednesday at opening: Thursday noon" },
	{ RO_INC_TERMINAL, "2026-11-04 17:14", "2026-11-05 12:00", 1,
	  "Wednesday last minute: Thursday noon" },
	{ RO_INC_TERMINAL, "2026-11-04 17:15", "2026-11-05 12:00", 0,
	  "Wednesday at closing: still the day of the instruction, Thursday noon" },
	{ RO_INC_TERMINAL, "2026-11-06 19:30", "2026-11-09 12:00", 0,
	  "Friday evening: the next working day is Monday" },
	{ RO_INC_TERMINAL, "2026-11-02 10:00", "2026-11-04 12:00", 1,
	  "Monday, the day before 文化の日 (Tue): Wednesday noon" },
	{ RO_INC_TERMINAL, "2026-11-20 18:00", "2026-11-24 12:00", 0,
	  "Friday before 勤労感謝の日 (Mon 11-23): Tuesday noon" },
	{ RO_INC_TERMINAL, "2026-12-28 17:00", "2027-01-04 12:00", 1,
	  "the last working day of the year: past the closure 12-29..01-03 to 01-04 noon" },

	/* ---- Touch panel: same day while the day's working time is ahead
	 * or under way (appendix 5: 即時オンサイト保守 from 8:45 to 17:15), else
	 * 「翌開庁日の業務時間前」, by the next working day's opening. */
	{ RO_INC_TOUCH_PANEL, "2026-11-04 08:44", "2026-11-04 17:15", 0,
	  "before opening on a working day: the day's working time is ahead, same day" },
	{ RO_INC_TOUCH_PANEL, "2026-11-04 08:45", "2026-11-04 17:15", 1,
	  "at opening: same day, by closing" },
	{ RO_INC_TOUCH_PANEL, "2026-11-04 17:14", "2026-11-04 17:15", 1,
	  "the last minute: the same-day rule still applies (a miss must be explained)" },
	{ RO_INC_TOUCH_PANEL, "2026-11-04 17:15", "2026-11-05 08:45", 0,
	  "at closing: before Thursday's opening" },
	{ RO_INC_TOUCH_PANEL, "2026-11-06 19:30", "2026-11-09 08:45", 0,
	  "Friday evening: before Monday's opening" },
	{ RO_INC_TOUCH_PANEL, "2026-11-02 17:30", "2026-11-04 08:45", 0,
	  "the evening before 文化の日: before Wednesday's opening" },
	{ RO_INC_TOUCH_PANEL, "2026-11-03 10:00", "2026-11-04 08:45", 0,
	  "on the holiday itself: before the next opening" },
	{ RO_INC_TOUCH_PANEL, "2026-12-28 17:00", "2026-12-28 17:15", 1,
	  "12-28 is a working day: same day, by closing" },
	{ RO_INC_TOUCH_PANEL, "2026-12-28 17:15", "2027-01-04 08:45", 0,
	  "12-28 at closing: the closure follows, before the opening of 01-04" },
};

static void
test_table(void **state)
{
	struct ro_calendar *cal = ro_cal_new();
	char got[RO_JST_FMT_MAX];
	size_t i;

	(void)state;
	assert_non_null(cal);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct ro_sla sla;
		int rc = ro_incident_deadline(cal, r->kind, T(r->instructed), &sla);

		if (rc != 0)
			fail_msg("%s at %s: rc %d", ro_incident_kind_name(r->kind), r->instructed, rc);
		ro_jst_format(sla.deadline, got);
		if (strcmp(got, r->deadline) != 0 || sla.in_hours != r->in_hours)
			fail_msg("%s instructed %s: deadline %s (in hours %d), want %s (%d): %s",
			    ro_incident_kind_name(r->kind), r->instructed, got, sla.in_hours,
			    r->deadline, r->in_hours, r->why);
		assert_non_null(sla.rule);
	}
	ro_cal_free(cal);
}

/* An extra closed day (as an inventory may list) moves the terminal and
 * touch-panel targets past it; the CS target does not move. */
static void
test_extra_closed_day(void **state)
{
	struct ro_calendar *cal = ro_cal_new();
	struct ro_sla sla;
	char got[RO_JST_FMT_MAX];

	(void)state;
	assert_int_equal(ro_cal_add_closed(cal, (struct ro_date){ 2026, 11, 5 }), 0);
	assert_int_equal(ro_incident_deadline(cal, RO_INC_TERMINAL, T("2026-11-04 10:00"), &sla), 0);
	assert_string_equal(ro_jst_format(sla.deadline, got), "2026-11-06 12:00");
	assert_int_equal(ro_incident_deadline(cal, RO_INC_TOUCH_PANEL, T("2026-11-04 18:00"), &sla), 0);
	assert_string_equal(ro_jst_format(sla.deadline, got), "2026-11-06 08:45");
	assert_int_equal(ro_incident_deadline(cal, RO_INC_CS, T("2026-11-05 10:00"), &sla), 0);
	assert_string_equal(ro_jst_format(sla.deadline, got), "2026-11-05 13:00");
	ro_cal_free(cal);
}

static void
test_kinds(void **state)
{
	enum ro_incident_kind k;
	struct ro_calendar *cal = ro_cal_new();
	struct ro_sla sla;

	(void)state;
	assert_int_equal(ro_incident_kind_parse("cs", &k), 0);
	assert_int_equal(k, RO_INC_CS);
	assert_int_equal(ro_incident_kind_parse("touch-panel", &k), 0);
	assert_int_equal(k, RO_INC_TOUCH_PANEL);
	assert_int_equal(ro_incident_kind_parse("CS", &k), RO_EINVAL);
	assert_int_equal(ro_incident_kind_parse("", &k), RO_EINVAL);
	assert_int_equal(ro_incident_kind_parse(NULL, &k), RO_EINVAL);
	assert_string_equal(ro_incident_kind_name(RO_INC_TERMINAL), "terminal");
	/* Outside the calendar's range: refused, not computed. */
	assert_int_equal(ro_incident_deadline(cal, RO_INC_TERMINAL,
	    ro_jst_minute(ro_cal_last_day(), 600), &sla), RO_EINVAL);
	assert_int_equal(ro_incident_deadline(cal, (enum ro_incident_kind)7,
	    T("2026-11-04 10:00"), &sla), RO_EINVAL);
	ro_cal_free(cal);
}

/* The clock as `list` and `status` show it. */
static void
test_clock_text(void **state)
{
	char b[64];
	int64_t dl = T("2026-11-04 22:30") * 60;

	(void)state;
	assert_int_equal(ro_incident_clock(dl, INT64_MIN, dl - 3600, b, sizeof b), 0);
	assert_string_equal(b, "1h 00m left");
	assert_int_equal(ro_incident_clock(dl, INT64_MIN, dl, b, sizeof b), 0);
	assert_string_equal(b, "0m left");
	assert_int_equal(ro_incident_clock(dl, INT64_MIN, dl + 1, b, sizeof b), 1);
	assert_string_equal(b, "BREACHED by 1m");
	assert_int_equal(ro_incident_clock(dl, INT64_MIN, dl + 2 * 86400 + 3 * 3600 + 300, b,
	    sizeof b), 1);
	assert_string_equal(b, "BREACHED by 2d 03h 05m");
	assert_int_equal(ro_incident_clock(dl, dl, dl + 99999, b, sizeof b), 0);
	assert_string_equal(b, "met (0m to spare)");
	assert_int_equal(ro_incident_clock(dl, dl + 1800, 0, b, sizeof b), 1);
	assert_string_equal(b, "missed by 30m");
}

/* What ro_store_incidents_month hands the monthly report. */
struct month_seen {
	int n;
	char line[4][160];
};

static int
month_cb(void *arg, const struct ro_incident_info *inc)
{
	struct month_seen *m = arg;
	char a[RO_JST_FMT_MAX], b[RO_JST_FMT_MAX];

	if (m->n >= 4)
		return -100;
	snprintf(m->line[m->n++], sizeof m->line[0], "%s %s %s %s met=%d %s", inc->kind,
	    inc->host, ro_jst_format(inc->instructed_at / 60, a),
	    ro_jst_format(inc->deadline / 60, b), inc->met,
	    inc->explanation ? inc->explanation : "-");
	return 0;
}

static int64_t
fixed_clock(void *ctx)
{
	(void)ctx;
	return T("2026-11-20 12:00") * 60;
}

static int
open_one(struct ro_store *st, const char *host, enum ro_incident_kind k, const char *when,
    int64_t *id)
{
	struct ro_calendar *cal = ro_cal_new();
	struct ro_sla sla;
	struct ro_incident_new in;
	int rc = ro_incident_deadline(cal, k, T(when), &sla);

	ro_cal_free(cal);
	if (rc != 0)
		return rc;
	in = (struct ro_incident_new){ host, ro_incident_kind_name(k), T(when) * 60,
		sla.deadline * 60, sla.rule, NULL };
	return ro_store_incident_open(st, &in, id, NULL);
}

static void
test_store_month(void **state)
{
	struct ro_store *st = NULL;
	struct month_seen m;
	char *cause = NULL, *dir = ro_xasprintf("%s/month", tu_tmpdir());
	int64_t a, b, c;

	(void)state;
	assert_int_equal(ro_store_open_dir(dir, &st, &cause), 0);
	ro_store_set_clock(st, fixed_clock, NULL);
	/* October 31 23:59 JST is October; November 1 00:00 JST is November
	 * (UTC would put both in October). */
	assert_int_equal(open_one(st, "cs01", RO_INC_CS, "2026-10-31 23:59", &a), 0);
	assert_int_equal(open_one(st, "term-a01", RO_INC_TERMINAL, "2026-11-01 00:00", &b), 0);
	assert_int_equal(open_one(st, "term-b02", RO_INC_TOUCH_PANEL, "2026-11-04 10:00", &c), 0);
	assert_int_equal(ro_store_incident_event(st, a, "arrive", T("2026-11-01 03:30") * 60,
	    NULL, NULL, NULL), 0);
	/* A miss is closed only with an explanation; the refusal changes nothing. */
	assert_int_equal(ro_store_incident_event(st, a, "close", RO_STORE_NO_TIME, NULL, NULL,
	    NULL), RO_EINVAL);
	assert_int_equal(ro_store_incident_event(st, a, "close", RO_STORE_NO_TIME, NULL,
	    "snow", NULL), 0);
	assert_int_equal(ro_store_incident_event(st, c, "arrive", T("2026-11-04 11:00") * 60,
	    NULL, NULL, NULL), 0);

	memset(&m, 0, sizeof m);
	assert_int_equal(ro_store_incidents_month(st, "2026-10", month_cb, &m), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.line[0], "cs cs01 2026-10-31 23:59 2026-11-01 02:59 met=0 snow");
	memset(&m, 0, sizeof m);
	assert_int_equal(ro_store_incidents_month(st, "2026-11", month_cb, &m), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.line[0],
	    "terminal term-a01 2026-11-01 00:00 2026-11-02 12:00 met=-1 -");
	assert_string_equal(m.line[1],
	    "touch-panel term-b02 2026-11-04 10:00 2026-11-04 17:15 met=1 -");
	assert_int_equal(ro_store_incidents_month(st, "2026-1", month_cb, &m), RO_EINVAL);
	assert_int_equal(ro_store_incidents_month(st, "2026-00", month_cb, &m), RO_EINVAL);
	ro_store_close(st);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_extra_closed_day),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_clock_text),
		cmocka_unit_test(test_store_month),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
