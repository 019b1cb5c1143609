/*
 * bench_calendar.c - how fast the calendar answers: computing the holidays
 * of every supported year, building a calendar, and the planner's hot
 * queries (next working instant, window end, working-day counts).
 *
 * usage: bench_calendar [QUERIES]   (default 1000000)
 */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* next_rand is a small LCG: the bench must not depend on libc's rand. */
static uint64_t
next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 17;
}

int
main(int argc, char **argv)
{
	long queries = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	struct ro_holiday h[RO_CAL_MAX_HOLIDAYS];
	struct ro_calendar *cal;
	int64_t from, span, sink = 0, t;
	uint64_t seed = 42;
	double t0, t1;
	size_t n, total = 0;
	long i;
	int y, rep, reps = 20;

	if (queries <= 0)
		queries = 1000000;

	/* 1. Holidays of 1948..2150, computed from the rules. */
	t0 = now_s();
	for (rep = 0; rep < reps; rep++)
		for (y = RO_CAL_MIN_YEAR; y <= RO_CAL_MAX_YEAR; y++) {
			ro_cal_holidays(y, h, RO_CAL_MAX_HOLIDAYS, &n);
			total += n;
		}
	t1 = now_s();
	printf("holidays 1948-2150 (%zu days): %.3f ms per pass\n",
	    total / (size_t)reps, (t1 - t0) * 1e3 / reps);

	/* 2. A calendar: all years' holidays into the working-day bitmap. */
	t0 = now_s();
	for (rep = 0; rep < reps; rep++) {
		cal = ro_cal_new();
		sink += ro_cal_is_workday(cal, 20000);
		ro_cal_free(cal);
	}
	t1 = now_s();
	printf("ro_cal_new (bitmap 1948-2150): %.3f ms\n", (t1 - t0) * 1e3 / reps);

	cal = ro_cal_new();
	/* Random instants over a six-month campaign, as the planner asks. */
	from = ro_jst_minute(ro_date_to_day((struct ro_date){ 2026, 10, 1 }), 0);
	span = 183LL * RO_MIN_PER_DAY;

	t0 = now_s();
	for (i = 0; i < queries; i++) {
		ro_cal_next_working(cal, NULL, from + (int64_t)(next_rand(&seed) % (uint64_t)span),
		    &t);
		sink += t;
	}
	t1 = now_s();
	printf("ro_cal_next_working: %ld queries in %.1f ms, %.1f ns each\n", queries,
	    (t1 - t0) * 1e3, (t1 - t0) * 1e9 / (double)queries);

	t0 = now_s();
	for (i = 0; i < queries; i++) {
		int64_t q = from + (int64_t)(next_rand(&seed) % (uint64_t)span);

		if (ro_cal_next_working(cal, NULL, q, &t) == 0 &&
		    ro_cal_window_end(cal, NULL, t, &q) == 0)
			sink += q;
	}
	t1 = now_s();
	printf("next_working + window_end: %ld pairs in %.1f ms, %.1f ns each\n",
	    queries, (t1 - t0) * 1e3, (t1 - t0) * 1e9 / (double)queries);

	t0 = now_s();
	for (i = 0; i < queries; i++) {
		int32_t a = ro_cal_first_day() + (int32_t)(next_rand(&seed) % 70000);

		sink += ro_cal_count_workdays(cal, a, a + 183);
	}
	t1 = now_s();
	printf("ro_cal_count_workdays (183-day spans): %ld in %.1f ms, %.1f ns each\n",
	    queries, (t1 - t0) * 1e3, (t1 - t0) * 1e9 / (double)queries);

	ro_cal_free(cal);
	/* Print the sink so that the compiler cannot drop the loops. */
	printf("(checksum %lld)\n", (long long)sink);
	return 0;
}
