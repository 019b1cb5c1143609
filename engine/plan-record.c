/* plan-record.c - a plan into the store, all or nothing. */
#include "plan-record.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int
ro_plan_record(struct ro_store *st, const struct ro_plan *plan, int *existed, char **cause)
{
	const struct ro_campaign *c = plan->campaign;
	const struct ro_inventory *inv = c->inv;
	struct ro_campaign_info info;
	struct ro_campaign_new cn;
	struct ro_buf names, json;
	char inv_hash[65];
	size_t i, j;
	int rc;

	*existed = 0;
	memset(&info, 0, sizeof info);
	rc = ro_store_campaign_get(st, c->id, &info, NULL);
	if (rc == RO_OK) {
		if (strcmp(info.plan_hash, plan->hash) == 0) {
			*existed = 1;
		} else {
			*cause = ro_xasprintf("campaign '%s' is already recorded with another plan (hash %.12s…, this one %.12s…); "
			    "give the changed campaign a new id in %s, or use another --state directory",
			    c->id, info.plan_hash, plan->hash, c->path);
			rc = RO_EEXIST;
		}
		ro_campaign_info_clear(&info);
		return *existed ? RO_OK : rc;
	}
	if (rc != RO_ENOENT) {
		*cause = ro_xasprintf("cannot read the store: %s", ro_strerror(rc));
		return rc;
	}

	ro_buf_init(&names);
	for (i = 0; i < c->nplaybooks; i++)
		ro_buf_printf(&names, "%s%s", i ? "," : "", c->playbooks[i]->name);
	ro_buf_init(&json);
	ro_plan_json(plan, &json);
	ro_hex(inv->sha256, 32, inv_hash);
	cn = (struct ro_campaign_new){ .id = c->id, .title = c->title ? c->title : c->id,
		.playbooks = names.p, .plan_hash = plan->hash, .plan_json = json.p,
		.inventory_hash = inv_hash };

	if ((rc = ro_store_begin(st)) != RO_OK) {
		*cause = ro_xasprintf("cannot start a transaction: %s", ro_strerror(rc));
		goto out;
	}
	if ((rc = ro_store_campaign_create(st, &cn, cause)) != RO_OK)
		goto fail;
	for (i = 0; i < plan->nwaves; i++) {
		const struct ro_wave *w = &plan->waves[i];
		struct ro_wave_new wn = { .campaign = c->id, .idx = (int)w->index, .name = w->name,
			.gated = w->gated, .failure_budget = (int)w->failure_budget,
			.planned_start = w->planned_start == RO_PLAN_NO_TIME ? RO_STORE_NO_TIME : w->planned_start,
			.planned_end = w->planned_end == RO_PLAN_NO_TIME ? RO_STORE_NO_TIME : w->planned_end };
		if ((rc = ro_store_wave_add(st, &wn, cause)) != RO_OK)
			goto fail;
		for (j = 0; j < w->nhosts; j++) {
			const struct ro_host *h = &inv->hosts[w->hosts[j]];
			rc = ro_store_host_add(st, c->id, h->name, inv->sites[h->site].id, h->address,
			    (int)w->index, cause);
			if (rc != RO_OK)
				goto fail;
		}
	}
	/* `incident: ID`: the campaign is recorded as started for it, or not
	 * at all when there is no such incident. */
	if (c->incident > 0 && (rc = ro_store_incident_link(st, c->incident, c->id, cause)) != RO_OK)
		goto fail;
	if ((rc = ro_store_commit(st)) != RO_OK) {
		*cause = ro_xasprintf("cannot commit: %s", ro_strerror(rc));
		goto fail;
	}
	goto out;
fail:
	ro_store_rollback(st);
out:
	ro_buf_free(&names);
	ro_buf_free(&json);
	return rc;
}
