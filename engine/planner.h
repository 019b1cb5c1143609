/*
 * planner.h - turning a loaded campaign into waves placed in time (planner
 * v2: waves as in v1, then every host's work placed into the calendar's
 * windows; see docs/PLANNING.md).
 *
 * The planner is pure and deterministic: the same campaign inputs give the
 * same waves, the same times, the same canonical plan bytes and the same plan
 * hash on any machine. It reads nothing but the campaign (and the calendar's
 * rules) and allocates nothing global; it never reads the clock.
 *
 * Units: every instant in this header is int64_t Unix seconds (seconds since
 * 1970-01-01T00:00Z; shown in JST), every duration int64_t/long seconds.
 * RO_PLAN_NO_TIME marks an instant that does not exist (no start date, a
 * host not in scope, an ungated wave's approval).
 */
#ifndef RO_PLANNER_H
#define RO_PLANNER_H

#include <stdio.h>

#include "campaign.h"
#include "util.h"

#define RO_PLAN_FORMAT "rollout-plan/2"

#define RO_PLAN_NO_TIME INT64_MIN

struct ro_wave {
	uint32_t index;
	const char *name;
	uint32_t phase;          /* index into the campaign's phases */
	int canary;
	int gated;               /* waits for an approval before it starts */
	unsigned gate;           /* gated: the enum ro_gate bit that gates it */
	uint32_t *hosts;         /* inventory host indexes, grouped by site */
	size_t nhosts;
	long failure_budget;     /* failed hosts allowed before the campaign halts */
	uint32_t nsites;         /* distinct sites in the wave */
	uint32_t max_site_hosts; /* most hosts of one site in the wave */
	uint32_t rounds;         /* batches needed under the per-site limit */
	/* v2 (Unix seconds; RO_PLAN_NO_TIME when the campaign has no start): */
	int approval_off_hours;  /* gated: planned outside working hours (skew
	                            none: an approver on duty in the window) */
	int64_t approval;        /* gated: when the plan expects the approval
	                            (the wave is ready); else RO_PLAN_NO_TIME */
	int64_t planned_start;   /* first host start in the wave */
	int64_t planned_end;     /* last host end in the wave */
	int64_t work;            /* sum of the hosts' estimates, seconds */
};

struct ro_plan {
	const struct ro_campaign *campaign;
	struct ro_wave *waves;
	size_t nwaves;
	uint32_t *site_limit;    /* per site: hosts allowed out of service at once */
	char hash[65];           /* hex sha256 of the canonical bytes */
	char *canonical;         /* canonical JSON body the hash covers */
	size_t canonical_len;
	struct ro_arena arena;

	/* v2: time. Instants are Unix seconds, durations seconds. */
	int window;              /* enum ro_window_kind of the policy */
	int timed;               /* 1: placed in time; 0: no start date, times unset */
	int64_t start;           /* earliest start: the start day 00:00 JST */
	int64_t first_start;     /* the first host's start */
	int64_t end;             /* the last host's end */
	int64_t deadline;        /* all work ends by this: first wave's day +
	                            deadline_days, 00:00 JST (skew none: also the
	                            closed-office window's end) */
	int64_t window_start;    /* skew none: the one closed-office window used */
	int64_t window_end;      /*   (else RO_PLAN_NO_TIME) */
	int64_t cs_end;          /* the last CS node's end, or RO_PLAN_NO_TIME */
	int64_t skew_limit;      /* cs-ahead: terminals end by this, else NO_TIME */
	int64_t lower_bound;     /* no plan of this model ends before this instant */
	int64_t lb_work;         /* window seconds the lower bound needs */
	int64_t gap;             /* window seconds between lower_bound and end */
	const char *lb_binding;  /* what sets the lower bound, e.g. "concurrency 40" */
	int64_t *host_start;     /* per inventory host index; NO_TIME if not in scope */
	int64_t *host_end;
	long *host_estimate;     /* per inventory host: seconds of its steps (0 if not in scope) */
	uint32_t *host_wave;     /* per inventory host: wave index, UINT32_MAX if not in scope */
};

int ro_plan_build(const struct ro_campaign *c, struct ro_plan **out, struct ro_diags *d);
void ro_plan_free(struct ro_plan *p);

/*
 * ro_plan_build returns RO_OK, or RO_EINFEASIBLE (no plan is returned) with a
 * diagnostic naming the binding constraint and the smallest change that fits.
 */

/*
 * ro_plan_host_estimate returns the estimated seconds of host's steps (the
 * sum of the `estimate` of every step of every playbook that applies to it;
 * a reboot step with if_required counts in full). host is an inventory
 * index; 0 if the host is not in the campaign.
 */
long ro_plan_host_estimate(const struct ro_plan *p, uint32_t host);

/* ro_plan_print_text shows the waves with their times, then a table per day
 * (site x hosts), the lower bound and gap, and the plan hash. */
void ro_plan_print_text(FILE *f, const struct ro_plan *p);

/* ro_plan_html writes one self-contained HTML page (no external assets, no
 * JavaScript) with a Gantt chart per site, Japanese dates and the hash. */
void ro_plan_html(FILE *f, const struct ro_plan *p);
/* ro_plan_json appends {"plan_hash": ..., <canonical body>} to b: the form
 * printed by `plan --json` and recorded by `plan --save`. */
void ro_plan_json(const struct ro_plan *p, struct ro_buf *b);

#endif
