/*
 * plan-record.h - recording a plan in the state store (`rollout plan --save`).
 *
 * The bridge between the planner and the store, so that neither knows the
 * other: the campaign, its waves and its hosts go in as one transaction.
 */
#ifndef RO_PLAN_RECORD_H
#define RO_PLAN_RECORD_H

#include "planner.h"
#include "store.h"

/*
 * ro_plan_record saves plan as a new campaign. If a campaign with the same id
 * already holds exactly this plan (same hash) it returns RO_OK and sets
 * *existed; a different plan under the same id is RO_EEXIST with *cause
 * saying what to do.
 */
int ro_plan_record(struct ro_store *st, const struct ro_plan *plan, int *existed, char **cause);

#endif
