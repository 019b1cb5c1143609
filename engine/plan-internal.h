/*
 * plan-internal.h - what the planner's files share (not a public contract):
 * the scheduler that places a plan's waves in time, run once for the plan
 * and again by the feasibility search with changed limits.
 */
#ifndef RO_PLAN_INTERNAL_H
#define RO_PLAN_INTERNAL_H

#include "plan-cal.h"
#include "planner.h"

/* Why a schedule failed. */
enum ro_sched_fail {
	RO_SF_NONE,
	RO_SF_DEADLINE,  /* ends after the deadline */
	RO_SF_SKEW,      /* cs-ahead: terminals end more than N working days after the CS */
	RO_SF_WINDOW,    /* skew none: does not fit into the closed-office window */
	RO_SF_TOO_LONG,  /* a host's work is longer than any window */
	RO_SF_HORIZON,   /* no window left within the planning horizon */
};

/* Windows of one set of working hours. */
struct ro_sched_group {
	int open, close;           /* minutes; -1: the default hours */
	struct ro_span *w;
	size_t n;
	size_t cur;                /* scheduling cursor */
	int64_t longest;
	uint32_t *parked;          /* sites waiting for the next window */
	int64_t reopen;            /* when the parked sites may try again */
	size_t nparked, capparked;
};

struct ro_sched {
	/* Fixed for a plan. */
	const struct ro_campaign *c;
	const struct ro_plan *p;
	struct ro_pcal *cal;
	int kind;                  /* enum ro_pcal_kind */
	int skew;                  /* enum ro_skew */
	int site_limits_apply;     /* per-site limits bind (not in closed-office windows) */
	const long *est;           /* per inventory host, seconds */
	uint32_t *site_group;      /* per site: index into groups */
	struct ro_sched_group *groups;
	size_t ngroups;
	int64_t horizon;           /* seconds after start that windows cover */

	/* What the feasibility search varies. */
	long concurrency;
	uint32_t *limit;           /* per site */
	int32_t start_day;
	long deadline_days;
	long skew_days;
	struct ro_span only;       /* skew none: the one window, else {0, 0} */

	/* Results of ro_sched_run (Unix seconds). */
	int64_t start, first_start, end, deadline, cs_end, term_end, skew_limit;
	int64_t *hs, *he;          /* per inventory host */
	int64_t *w_start, *w_end, *w_approval; /* per wave */
	enum ro_sched_fail fail;
	uint32_t fail_host;

	/* Scratch. */
	uint32_t *q, *qhead, *qend, *srun, *touched;
	uint8_t *state;
	uint32_t *eheap;
	size_t neheap;
	struct ro_run { int64_t end; uint32_t host; } *rheap;
	size_t nrheap;
	int64_t windows_from;      /* groups' windows start here */
};

/* ro_sched_init prepares s for plan p (waves built, est filled). */
void ro_sched_init(struct ro_sched *s, const struct ro_plan *p, const long *est);
void ro_sched_fini(struct ro_sched *s);
/* ro_sched_run places every wave; returns RO_OK or RO_EINFEASIBLE (s->fail says why). */
int ro_sched_run(struct ro_sched *s);
/* ro_sched_set_start moves the earliest start (recomputes the windows). */
void ro_sched_set_start(struct ro_sched *s, int32_t day);
/* ro_sched_closed_windows: closed-office windows (default hours) in [from, to). */
int ro_sched_closed_windows(struct ro_sched *s, int64_t from, int64_t to, struct ro_span **out,
    size_t *n);

/* The lower bound of the plan model at s's settings. */
struct ro_bound {
	int64_t need;              /* window seconds */
	int64_t at;                /* instant */
	char what[200];            /* what binds it */
	int kind;                  /* 0 concurrency, 1 site, 2 CS chain, 3 longest host */
	uint32_t site;             /* kind 1 */
};
void ro_sched_bound(struct ro_sched *s, struct ro_bound *b);
/* ro_sched_window_time: window seconds of the default group in [a, b). */
int64_t ro_sched_window_time(const struct ro_sched *s, int64_t a, int64_t b);

/* ro_plan_explain adds the diagnostic for a failed schedule: what failed,
 * the binding constraint, and the smallest change that fits. */
void ro_plan_explain(struct ro_sched *s, struct ro_diags *d);

/* Durations as "2h 05m". */
char *ro_plan_fmt_dur(int64_t secs, char *buf, size_t n);

/* Is host h of the inventory a CS node? */
#define RO_IS_CS(inv, h) ((inv)->hosts[h].role != RO_ROLE_TERMINAL)

#endif
