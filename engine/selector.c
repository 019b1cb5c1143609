/* selector.c - host selections: parsing, resolving against an inventory, matching. */
#include "error.h"
#include "model.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *const ro_role_names[] = { "cs-standby", "cs-active", "terminal", NULL };

static const char *const selector_keys[] = { "roles", "sites", "models", "tags", "groups",
	"hosts", "exclude", NULL };

int
ro_selector_parse(const struct ro_yctx *c, struct ro_arena *a, const struct ro_ynode *n,
    int allow_exclude, struct ro_selector_src *out)
{
	const struct ro_ynode *v, *one;
	const struct ro_ynode *const *items;
	size_t cnt, i;
	int rc = RO_OK;

	memset(out, 0, sizeof *out);
	out->node = n;
	if (ro_yexpect(c, n, RO_YMAP, "a host selection") != RO_OK)
		return RO_EINVAL;
	if (ro_ycheck_keys(c, n, selector_keys, "a host selection") != RO_OK)
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "roles")) != NULL) {
		if (ro_ystrlist(c, v, &one, &items, &cnt) != RO_OK)
			rc = RO_EINVAL;
		else
			for (i = 0; i < cnt; i++) {
				int r;
				if (ro_yenum(c, items[i], ro_role_names, "role", &r) != RO_OK)
					rc = RO_EINVAL;
				else
					out->roles |= RO_ROLE_BIT(r);
			}
	}
#define LIST(key, field, nfield) \
	if ((v = ro_ymap_get(n, key)) != NULL) { \
		const struct ro_ynode **copy; \
		if (ro_ystrlist(c, v, &one, &items, &cnt) != RO_OK) { \
			rc = RO_EINVAL; \
		} else { \
			copy = ro_arena_alloc(a, cnt * sizeof *copy); \
			memcpy(copy, items, cnt * sizeof *copy); \
			out->field = copy; \
			out->nfield = cnt; \
		} \
	}
	LIST("sites", sites, nsites)
	LIST("models", models, nmodels)
	LIST("tags", tags, ntags)
	LIST("groups", groups, ngroups)
	LIST("hosts", hosts, nhosts)
#undef LIST
	if ((v = ro_ymap_get(n, "exclude")) != NULL) {
		if (!allow_exclude) {
			ro_yerr(c, RO_YMAP_KEY(n, 0), NULL, "'exclude' cannot be nested");
			rc = RO_EINVAL;
		} else {
			out->exclude = ro_arena_alloc(a, sizeof *out->exclude);
			if (ro_selector_parse(c, a, v, 0, out->exclude) != RO_OK)
				rc = RO_EINVAL;
		}
	}
	return rc;
}

/* Reports name as unknown, suggesting the closest of the known names. */
static void
unknown(const struct ro_yctx *c, const struct ro_ynode *n, const char *what,
    const char *const *known)
{
	const char *s = known ? ro_suggest(n->str, known) : NULL;
	char *hint = s ? ro_xasprintf("did you mean '%s'?", s) :
	    ro_xasprintf("check the inventory for the %s names it defines", what);

	ro_yerr(c, n, hint, "unknown %s '%s'", what, n->str);
	free(hint);
}

static const char **
site_ids(const struct ro_inventory *inv)
{
	const char **v = ro_xcalloc(inv->nsites + 1, sizeof *v);
	size_t i;

	for (i = 0; i < inv->nsites; i++)
		v[i] = inv->sites[i].id;
	return v;
}

int
ro_selector_resolve(const struct ro_yctx *c, const struct ro_inventory *inv,
    struct ro_arena *a, const struct ro_selector_src *src, struct ro_selector *out)
{
	size_t i, j;
	int rc = RO_OK;

	memset(out, 0, sizeof *out);
	out->roles = src->roles;
	if (src->nsites) {
		const char **ids = site_ids(inv);
		out->sites = ro_arena_alloc(a, src->nsites * sizeof *out->sites);
		for (i = 0; i < src->nsites; i++)
			if (!ro_inventory_site(inv, src->sites[i]->str, &out->sites[out->nsites++])) {
				unknown(c, src->sites[i], "site", ids);
				rc = RO_EINVAL;
			}
		free(ids);
	}
	if (src->nmodels) {
		out->models = ro_arena_alloc(a, src->nmodels * sizeof *out->models);
		for (i = 0; i < src->nmodels; i++) {
			uint32_t h;
			if (!ro_strmap_get(&inv->model_index, src->models[i]->str, &h)) {
				const char **names = ro_xcalloc(inv->model_index.n + 1, sizeof *names);
				size_t k = 0;
				for (j = 0; j < inv->model_index.cap; j++)
					if (inv->model_index.keys[j])
						names[k++] = inv->model_index.keys[j];
				unknown(c, src->models[i], "model", names);
				free(names);
				rc = RO_EINVAL;
				continue;
			}
			out->models[out->nmodels++] = inv->hosts[h].model;
		}
	}
	if (src->ntags) {
		out->tags = ro_arena_alloc(a, src->ntags * sizeof *out->tags);
		for (i = 0; i < src->ntags; i++)
			out->tags[out->ntags++] = ro_arena_strdup(a, src->tags[i]->str);
	}
	if (src->ngroups) {
		const char **names = ro_xcalloc(inv->ngroups + 1, sizeof *names);
		for (j = 0; j < inv->ngroups; j++)
			names[j] = inv->groups[j].name;
		out->groups = ro_arena_alloc(a, src->ngroups * sizeof *out->groups);
		for (i = 0; i < src->ngroups; i++) {
			for (j = 0; j < inv->ngroups; j++)
				if (strcmp(inv->groups[j].name, src->groups[i]->str) == 0)
					break;
			if (j == inv->ngroups) {
				unknown(c, src->groups[i], "group", names);
				rc = RO_EINVAL;
			} else
				out->groups[out->ngroups++] = (uint32_t)j;
		}
		free(names);
	}
	if (src->nhosts) {
		out->hosts = ro_arena_alloc(a, src->nhosts * sizeof *out->hosts);
		for (i = 0; i < src->nhosts; i++)
			if (!ro_inventory_host(inv, src->hosts[i]->str, &out->hosts[out->nhosts++])) {
				/* Only on this error path: every host name is a candidate. */
				const char **names = ro_xcalloc(inv->nhosts + 1, sizeof *names);
				for (j = 0; j < inv->nhosts; j++)
					names[j] = inv->hosts[j].name;
				unknown(c, src->hosts[i], "host", names);
				free(names);
				rc = RO_EINVAL;
			}
	}
	if (src->exclude) {
		out->exclude = ro_arena_alloc(a, sizeof *out->exclude);
		if (ro_selector_resolve(c, inv, a, src->exclude, out->exclude) != RO_OK)
			rc = RO_EINVAL;
	}
	return rc;
}

static int
has_tag(const char **tags, size_t n, const char *tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tags[i], tag) == 0)
			return 1;
	return 0;
}

static int
match(const struct ro_inventory *inv, const struct ro_selector *sel, uint32_t hi)
{
	const struct ro_host *h = &inv->hosts[hi];
	const struct ro_site *s = &inv->sites[h->site];
	size_t i;
	int ok;

	if (sel->roles && !(sel->roles & RO_ROLE_BIT(h->role)))
		return 0;
	if (sel->nsites) {
		for (ok = 0, i = 0; i < sel->nsites && !ok; i++)
			ok = sel->sites[i] == h->site;
		if (!ok)
			return 0;
	}
	if (sel->nmodels) {
		for (ok = 0, i = 0; i < sel->nmodels && !ok; i++)
			ok = sel->models[i] == h->model;
		if (!ok)
			return 0;
	}
	if (sel->ntags) {
		for (ok = 0, i = 0; i < sel->ntags && !ok; i++)
			ok = has_tag(h->tags, h->ntags, sel->tags[i]) ||
			    has_tag(s->tags, s->ntags, sel->tags[i]);
		if (!ok)
			return 0;
	}
	if (sel->ngroups) {
		for (ok = 0, i = 0; i < sel->ngroups && !ok; i++)
			ok = match(inv, &inv->groups[sel->groups[i]].sel, hi);
		if (!ok)
			return 0;
	}
	if (sel->nhosts) {
		for (ok = 0, i = 0; i < sel->nhosts && !ok; i++)
			ok = sel->hosts[i] == hi;
		if (!ok)
			return 0;
	}
	return 1;
}

int
ro_selector_match(const struct ro_inventory *inv, const struct ro_selector *sel, uint32_t h)
{
	if (!match(inv, sel, h))
		return 0;
	return sel->exclude == NULL || !match(inv, sel->exclude, h);
}
