/*
 * planner.h - turning a loaded campaign into waves (planner v1: no calendar).
 *
 * The planner is pure and deterministic: the same campaign inputs give the
 * same waves, the same canonical plan bytes and the same plan hash on any
 * machine. It reads nothing but the campaign and allocates nothing global.
 */
#ifndef RO_PLANNER_H
#define RO_PLANNER_H

#include <stdio.h>

#include "campaign.h"
#include "util.h"

#define RO_PLAN_FORMAT "rollout-plan/1"

struct ro_wave {
	uint32_t index;
	const char *name;
	uint32_t phase;          /* index into the campaign's phases */
	int canary;
	int gated;               /* waits for an approval before it starts */
	uint32_t *hosts;         /* inventory host indexes, grouped by site */
	size_t nhosts;
	long failure_budget;     /* failed hosts allowed before the campaign halts */
	uint32_t nsites;         /* distinct sites in the wave */
	uint32_t max_site_hosts; /* most hosts of one site in the wave */
	uint32_t rounds;         /* batches needed under the per-site limit */
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
};

int ro_plan_build(const struct ro_campaign *c, struct ro_plan **out, struct ro_diags *d);
void ro_plan_free(struct ro_plan *p);

/* ro_plan_print_text shows the waves with their hosts grouped by site. */
void ro_plan_print_text(FILE *f, const struct ro_plan *p);
/* ro_plan_json appends {"plan_hash": ..., <canonical body>} to b: the form
 * printed by `plan --json` and recorded by `plan --save`. */
void ro_plan_json(const struct ro_plan *p, struct ro_buf *b);

#endif
