/*
 * clock.h - the one scheduling clock, with time warp.
 *
 * Everything that schedules (the executor's windows and step timeouts, the
 * store's timestamps, the simulator's durations and boot times) reads one
 * virtual clock:
 *
 *     virtual = start + (real - anchor) * warp
 *
 * where real is CLOCK_REALTIME in seconds (fractional), anchor the real
 * instant that corresponds to start, and warp >= 1 the number of virtual
 * seconds per real second. With warp 1 and no start it is the wall clock.
 * Two processes given the same --clock-start, --clock-anchor and
 * --time-warp agree on "now" (the demo gives the engine and the simulator
 * the same three flags).
 */
#ifndef RO_CLOCK_H
#define RO_CLOCK_H

#include <stdint.h>

struct ro_clock {
	double start;  /* virtual Unix seconds at anchor */
	double anchor; /* real Unix seconds */
	double warp;   /* virtual seconds per real second, >= 1 */
};

/* ro_clock_init sets the wall clock: start = anchor = now, warp 1. */
void ro_clock_init(struct ro_clock *c);

/*
 * ro_clock_option parses one of the clock flags and its value:
 *   --time-warp N          (1 .. 1000000)
 *   --clock-start WHEN     YYYY-MM-DDTHH:MM[:SS] in JST, or Unix seconds
 *   --clock-anchor SECONDS real Unix seconds (default: when the flag list was read)
 * Returns 1 if name was a clock flag and value valid, 0 if name is not a
 * clock flag, RO_EINVAL (negative) with *why set to a static sentence if
 * the value is bad.
 */
int ro_clock_option(struct ro_clock *c, const char *name, const char *value,
    const char **why);

/* Virtual now, in Unix seconds (fractional) and whole seconds. */
double ro_clock_now(const struct ro_clock *c);
int64_t ro_clock_now_s(const struct ro_clock *c);

/* Real milliseconds for a span of virtual seconds (at least 1 ms when > 0). */
uint64_t ro_clock_real_ms(const struct ro_clock *c, double virtual_seconds);

/* A store clock callback (ro_store_clock_fn) reading *ctx as a struct ro_clock. */
int64_t ro_clock_store_cb(void *ctx);

/* The usage text of the clock flags, for help output. */
extern const char ro_clock_usage[];

#endif
