/*
 * test_plan_gates.c - the plan keeps the city's hours and days: the first
 * gate of night work is planned in the working hours before it (never at
 * 00:00 on a Saturday), gates the plan can only place in the night say so,
 * and every site's wave carries the day it may start (not_before) and the
 * early_start policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "campaign.h"
#include "error.h"
#include "planner.h"

/* JST wall time as Unix seconds. */
static int64_t
jst(int y, int mo, int d, int h, int mi)
{
	long yy = y - (mo <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (153 * (unsigned)(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + (int64_t)doe - 719468;

	return days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 - 9 * 3600;
}

static struct ro_plan *
plan_of(const char *file, struct ro_campaign **c)
{
	struct ro_plan *p = NULL;
	struct ro_diags d;

	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(file, NULL, 0, c, &d), RO_OK);
	assert_int_equal(ro_plan_build(*c, &p, &d), RO_OK);
	ro_diags_free(&d);
	return p;
}

static void
test_jlis_first_gate_on_the_friday(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p = plan_of(RO_SOURCE_DIR "/playbooks/campaigns/2027-03-jlis-app-update.yml",
	    &c);

	(void)state;
	assert_true(p->waves[0].gated);
	/* The window opens Sat 2027-03-20 00:00; the city approves on Friday. */
	assert_int_equal(p->waves[0].approval, jst(2027, 3, 19, 8, 45));
	assert_false(p->waves[0].approval_off_hours);
	assert_true(p->waves[0].approval < p->waves[0].planned_start);
	/* The gates inside the one window can only be given by someone on duty. */
	assert_true(p->waves[2].gated);
	assert_true(p->waves[2].approval_off_hours);
	ro_plan_free(p);
	ro_campaign_free(c);
}

static void
test_business_gates_in_working_hours(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p = plan_of(RO_SOURCE_DIR "/playbooks/campaigns/2026-10-os-update.yml", &c);
	size_t i;

	(void)state;
	for (i = 0; i < p->nwaves; i++)
		if (p->waves[i].gated)
			assert_false(p->waves[i].approval_off_hours);
	assert_non_null(strstr(p->canonical, "\"early_start\":\"no\""));
	/* Kita ward's terminals are planned for 2026-10-07: the plan says so. */
	assert_non_null(strstr(p->canonical, "{\"site\":\"kita\",\"limit\":"));
	assert_non_null(strstr(strstr(p->canonical, "{\"site\":\"kita\",\"limit\":"),
	    "\"not_before\":\"2026-10-0"));
	ro_plan_free(p);
	ro_campaign_free(c);
}

static void
test_any_window_gate_before_the_night(void **state)
{
	struct ro_campaign *c;
	struct ro_plan *p = plan_of(
	    RO_SOURCE_DIR "/playbooks/campaigns/2026-11-log-collection-kita-t05.yml", &c);

	(void)state;
	/* Work at 00:00 on Wed 2026-11-04; Tue 11-03 is Culture Day. */
	assert_int_equal(p->waves[0].approval, jst(2026, 11, 2, 8, 45));
	ro_plan_free(p);
	ro_campaign_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jlis_first_gate_on_the_friday),
		cmocka_unit_test(test_business_gates_in_working_hours),
		cmocka_unit_test(test_any_window_gate_before_the_night),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
