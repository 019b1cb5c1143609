/* inventory.c - loading and checking an inventory file (sites, hosts, groups). */
#include "error.h"
#include "model.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOSTS 1000000

static const char *const top_keys[] = { "inventory", "description", "defaults", "sites",
	"hosts", "groups", "closed_days", NULL };
static const char *const defaults_keys[] = { "port", "user", NULL };
static const char *const site_keys[] = { "id", "name", "name_ja", "address",
	"max_unavailable", "hours", "tags", NULL };
static const char *const host_keys[] = { "name", "range", "site", "role", "model", "os",
	"address", "port", "user", "tags", NULL };

struct loader {
	struct ro_yctx c;
	struct ro_inventory *inv;
	size_t hosts_cap;
	long default_port;
	const char *default_user;
	struct ro_strmap addr_index;
	struct ro_strmap intern;
	const char **interned;
	size_t ninterned, interned_cap;
};

int
ro_inventory_site(const struct ro_inventory *inv, const char *id, uint32_t *idx)
{
	return ro_strmap_get(&inv->site_index, id, idx);
}

int
ro_inventory_host(const struct ro_inventory *inv, const char *name, uint32_t *idx)
{
	return ro_strmap_get(&inv->host_index, name, idx);
}

/* Equal strings (models, OS names, users) share one copy. */
static const char *
intern(struct loader *l, const char *s)
{
	uint32_t i;

	if (ro_strmap_get(&l->intern, s, &i))
		return l->interned[i];
	if (l->ninterned == l->interned_cap) {
		l->interned_cap = l->interned_cap ? l->interned_cap * 2 : 16;
		l->interned = ro_xrealloc(l->interned, l->interned_cap * sizeof *l->interned);
	}
	l->interned[l->ninterned] = ro_arena_strdup(&l->inv->arena, s);
	ro_strmap_put(&l->intern, l->interned[l->ninterned], (uint32_t)l->ninterned, NULL);
	return l->interned[l->ninterned++];
}

static int
read_tags(struct loader *l, const struct ro_ynode *n, const char ***tags, size_t *ntags)
{
	const struct ro_ynode *one;
	const struct ro_ynode *const *items;
	size_t cnt, i;

	if (ro_ystrlist(&l->c, n, &one, &items, &cnt) != RO_OK)
		return RO_EINVAL;
	*tags = ro_arena_alloc(&l->inv->arena, cnt * sizeof **tags);
	for (i = 0; i < cnt; i++) {
		if (!ro_is_ident(items[i]->str)) {
			ro_yerr(&l->c, items[i], "use lower-case letters, digits and '-'",
			    "invalid tag '%s'", items[i]->str);
			return RO_EINVAL;
		}
		(*tags)[i] = intern(l, items[i]->str);
	}
	*ntags = cnt;
	return RO_OK;
}

/* Parses "HH:MM-HH:MM" into minutes after midnight. */
static int
parse_hours(const char *s, int *open, int *close)
{
	unsigned h1, m1, h2, m2;
	char tail;

	if (sscanf(s, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &tail) != 4)
		return RO_EINVAL;
	if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 == 24 && m2 != 0))
		return RO_EINVAL;
	*open = (int)(h1 * 60 + m1);
	*close = (int)(h2 * 60 + m2);
	return *open < *close ? RO_OK : RO_EINVAL;
}

static int
load_site(struct loader *l, const struct ro_ynode *n, struct ro_site *s)
{
	const struct ro_ynode *v;
	const char *str;
	int rc = RO_OK;

	memset(s, 0, sizeof *s);
	s->line = n->line;
	s->col = n->col;
	s->max_unavailable.value = -1;
	s->hours_open = s->hours_close = -1;
	if (ro_yexpect(&l->c, n, RO_YMAP, "a site") != RO_OK)
		return RO_EINVAL;
	if (ro_ycheck_keys(&l->c, n, site_keys, "a site") != RO_OK)
		rc = RO_EINVAL;
	if ((v = ro_yrequire(&l->c, n, "id", "a site")) == NULL || ro_yident(&l->c, v, &str))
		rc = RO_EINVAL;
	else
		s->id = ro_arena_strdup(&l->inv->arena, str);
	if ((v = ro_yrequire(&l->c, n, "name", "a site")) == NULL || ro_ystr(&l->c, v, &str))
		rc = RO_EINVAL;
	else
		s->name = ro_arena_strdup(&l->inv->arena, str);
	if (ro_yopt_str(&l->c, n, "name_ja", &l->inv->arena, &s->name_ja) ||
	    ro_yopt_str(&l->c, n, "address", &l->inv->arena, &s->address))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "max_unavailable")) != NULL) {
		if (ro_ycountpct(&l->c, v, &s->max_unavailable))
			rc = RO_EINVAL;
		else if (s->max_unavailable.value == 0) {
			ro_yerr(&l->c, v, "a site needs at least 1 host out of service to be worked on",
			    "max_unavailable must be at least 1");
			rc = RO_EINVAL;
		}
	}
	if ((v = ro_ymap_get(n, "hours")) != NULL) {
		if (v->kind != RO_YSCALAR || parse_hours(v->str, &s->hours_open, &s->hours_close)) {
			ro_yerr(&l->c, v, "write the office hours as HH:MM-HH:MM, e.g. \"08:45-17:15\"",
			    "expected office hours, found '%s'",
			    v->kind == RO_YSCALAR ? v->str : ro_ykind_name(v->kind));
			rc = RO_EINVAL;
		}
	}
	if ((v = ro_ymap_get(n, "tags")) != NULL && read_tags(l, v, &s->tags, &s->ntags))
		rc = RO_EINVAL;
	return rc;
}

/* A parsed "prefix[first:last]suffix" host name range. */
struct range {
	char *prefix, *suffix;
	long first, last;
	int width;
};

static int
parse_range(const char *s, struct range *r)
{
	const char *lb = strchr(s, '['), *colon, *rb;
	char *end;

	if (lb == NULL || (colon = strchr(lb, ':')) == NULL || (rb = strchr(colon, ']')) == NULL)
		return RO_EINVAL;
	if (strchr(rb + 1, '[') || !isdigit((unsigned char)lb[1]) || !isdigit((unsigned char)colon[1]))
		return RO_EINVAL;
	r->first = strtol(lb + 1, &end, 10);
	if (end != colon)
		return RO_EINVAL;
	r->last = strtol(colon + 1, &end, 10);
	if (end != rb || r->first > r->last || r->last - r->first >= MAX_HOSTS)
		return RO_EINVAL;
	r->width = (int)(colon - lb - 1);
	r->prefix = ro_xasprintf("%.*s", (int)(lb - s), s);
	r->suffix = ro_xstrdup(rb + 1);
	return RO_OK;
}

/* A DNS name: dot-separated labels of letters, digits and '-', and not all
 * digits (so that a mistyped IPv4 address is never taken for a name). */
static int
valid_dns_name(const char *s)
{
	size_t label = 0;
	int alpha = 0;

	if (*s == '\0' || strlen(s) > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
		if (isalpha((unsigned char)*s))
			alpha = 1;
		if (++label > 63)
			return 0;
	}
	return label > 0 && alpha;
}

static struct ro_host *
new_host(struct loader *l)
{
	struct ro_inventory *inv = l->inv;

	if (inv->nhosts == l->hosts_cap) {
		l->hosts_cap = l->hosts_cap ? l->hosts_cap * 2 : 256;
		inv->hosts = ro_xrealloc(inv->hosts, l->hosts_cap * sizeof *inv->hosts);
	}
	return &inv->hosts[inv->nhosts++];
}

static int
load_hosts_entry(struct loader *l, const struct ro_ynode *n)
{
	struct ro_inventory *inv = l->inv;
	const struct ro_ynode *v, *vname, *vrange, *vaddr;
	struct ro_host proto;
	struct range r = { 0 };
	uint32_t ip = 0, site;
	long count = 1, i, port = l->default_port;
	const char *str;
	int rc = RO_OK, role = RO_ROLE_TERMINAL;

	memset(&proto, 0, sizeof proto);
	proto.line = n->line;
	proto.col = n->col;
	if (ro_yexpect(&l->c, n, RO_YMAP, "a host") != RO_OK)
		return RO_EINVAL;
	if (ro_ycheck_keys(&l->c, n, host_keys, "a host") != RO_OK)
		rc = RO_EINVAL;
	vname = ro_ymap_get(n, "name");
	vrange = ro_ymap_get(n, "range");
	if ((vname == NULL) == (vrange == NULL)) {
		ro_yerr(&l->c, n, "write 'name: kita-t01' for one host or 'range: kita-t[01:13]' for many",
		    vname ? "a host has both 'name' and 'range'" : "a host needs 'name' or 'range'");
		return RO_EINVAL;
	}
	if (vname && ro_yident(&l->c, vname, &str))
		rc = RO_EINVAL;
	if (vrange) {
		if (vrange->kind != RO_YSCALAR || parse_range(vrange->str, &r) != RO_OK) {
			ro_yerr(&l->c, vrange,
			    "write prefix[first:last]suffix with first <= last, e.g. kita-t[01:13]",
			    "invalid host range '%s'",
			    vrange->kind == RO_YSCALAR ? vrange->str : ro_ykind_name(vrange->kind));
			return RO_EINVAL;
		}
		count = r.last - r.first + 1;
	}
	if ((v = ro_yrequire(&l->c, n, "site", "a host")) == NULL || ro_ystr(&l->c, v, &str)) {
		rc = RO_EINVAL;
	} else if (!ro_inventory_site(inv, str, &site)) {
		const char **ids = ro_xcalloc(inv->nsites + 1, sizeof *ids);
		const char *sugg;
		char *hint;
		for (i = 0; i < (long)inv->nsites; i++)
			ids[i] = inv->sites[i].id;
		sugg = ro_suggest(str, ids);
		hint = sugg ? ro_xasprintf("did you mean '%s'?", sugg) :
		    ro_xasprintf("define the site under 'sites:' first");
		ro_yerr(&l->c, v, hint, "unknown site '%s'", str);
		free(hint);
		free(ids);
		rc = RO_EINVAL;
	} else
		proto.site = site;
	if ((v = ro_yrequire(&l->c, n, "role", "a host")) == NULL ||
	    ro_yenum(&l->c, v, ro_role_names, "role", &role))
		rc = RO_EINVAL;
	proto.role = (enum ro_role)role;
	if ((v = ro_yrequire(&l->c, n, "model", "a host")) == NULL || ro_ystr(&l->c, v, &str))
		rc = RO_EINVAL;
	else
		proto.model = intern(l, str);
	if ((v = ro_yrequire(&l->c, n, "os", "a host")) == NULL || ro_ystr(&l->c, v, &str))
		rc = RO_EINVAL;
	else
		proto.os = intern(l, str);
	if ((v = ro_ymap_get(n, "port")) != NULL && ro_yint(&l->c, v, 1, 65535, &port))
		rc = RO_EINVAL;
	proto.port = (uint16_t)port;
	proto.user = l->default_user;
	if ((v = ro_ymap_get(n, "user")) != NULL) {
		if (ro_ystr(&l->c, v, &str))
			rc = RO_EINVAL;
		else
			proto.user = intern(l, str);
	}
	if ((v = ro_ymap_get(n, "tags")) != NULL && read_tags(l, v, &proto.tags, &proto.ntags))
		rc = RO_EINVAL;
	vaddr = ro_yrequire(&l->c, n, "address", "a host");
	if (vaddr == NULL || ro_ystr(&l->c, vaddr, &str)) {
		rc = RO_EINVAL;
	} else if (ro_parse_ipv4(str, &ip) != RO_OK) {
		if (vrange) {
			ro_yerr(&l->c, vaddr, "a range needs the IPv4 address of its first host, e.g. 127.10.3.1",
			    "expected an IPv4 address, found '%s'", str);
			rc = RO_EINVAL;
		} else if (!valid_dns_name(str)) {
			ro_yerr(&l->c, vaddr, "give an IPv4 address (four numbers 0-255) or a DNS name",
			    "invalid address '%s'", str);
			rc = RO_EINVAL;
		} else
			proto.address = ro_arena_strdup(&inv->arena, str);
	} else if ((uint64_t)ip + (uint64_t)count - 1 > UINT32_MAX) {
		ro_yerr(&l->c, vaddr, NULL, "the range runs past 255.255.255.255");
		rc = RO_EINVAL;
	}
	if (rc == RO_OK && inv->nhosts + (size_t)count > MAX_HOSTS) {
		ro_yerr(&l->c, n, "split the fleet into several inventories",
		    "more than %d hosts", MAX_HOSTS);
		rc = RO_EINVAL;
	}
	if (rc != RO_OK)
		goto out;

	for (i = 0; i < count; i++) {
		struct ro_host *h = new_host(l);
		uint32_t prev;
		char addr[16];

		*h = proto;
		if (vrange) {
			char nm[128];
			int len = snprintf(nm, sizeof nm, "%s%0*ld%s", r.prefix, r.width,
			    r.first + i, r.suffix);
			h->name = ro_arena_strdup(&inv->arena, len < (int)sizeof nm ? nm : "");
		} else
			h->name = ro_arena_strdup(&inv->arena, vname->str);
		if (proto.address == NULL) {
			uint32_t a = ip + (uint32_t)i;
			snprintf(addr, sizeof addr, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
			    (a >> 8) & 255, a & 255);
			h->address = ro_arena_strdup(&inv->arena, addr);
		}
		if (vrange && !ro_is_ident(h->name)) {
			ro_yerr(&l->c, vrange, "use lower-case letters, digits and '-'",
			    "the range makes the invalid host name '%s'", h->name);
			rc = RO_EINVAL;
			break;
		}
		if (!ro_strmap_put(&inv->host_index, h->name, (uint32_t)(inv->nhosts - 1), &prev)) {
			char *hint = ro_xasprintf("'%s' is already defined at line %d; host names must be unique",
			    h->name, inv->hosts[prev].line);
			ro_yerr(&l->c, vrange ? vrange : vname, hint, "duplicate host name '%s'", h->name);
			free(hint);
			rc = RO_EINVAL;
			break;
		}
		if (!ro_strmap_put(&l->addr_index, h->address, (uint32_t)(inv->nhosts - 1), &prev)) {
			char *hint = ro_xasprintf("host '%s' (line %d) already has it; every host needs its own address",
			    inv->hosts[prev].name, inv->hosts[prev].line);
			ro_yerr(&l->c, vaddr, hint, "duplicate address %s for host '%s'", h->address, h->name);
			free(hint);
			rc = RO_EINVAL;
			break;
		}
		ro_strmap_put(&inv->model_index, h->model, (uint32_t)(inv->nhosts - 1), NULL);
		inv->sites[h->site].nhosts++;
	}
out:
	free(r.prefix);
	free(r.suffix);
	return rc;
}

static int
load_groups(struct loader *l, const struct ro_ynode *n)
{
	struct ro_inventory *inv = l->inv;
	size_t i;
	int rc = RO_OK;

	if (ro_yexpect(&l->c, n, RO_YMAP, "groups") != RO_OK)
		return RO_EINVAL;
	inv->groups = ro_arena_alloc(&inv->arena, n->n * sizeof *inv->groups);
	for (i = 0; i < n->n; i++) {
		struct ro_selector_src src;
		const char *name;
		struct ro_group *g = &inv->groups[inv->ngroups];

		if (ro_yident(&l->c, RO_YMAP_KEY(n, i), &name) != RO_OK) {
			rc = RO_EINVAL;
			continue;
		}
		if (ro_selector_parse(&l->c, &inv->arena, RO_YMAP_VAL(n, i), 1, &src) != RO_OK) {
			rc = RO_EINVAL;
			continue;
		}
		if (src.ngroups) {
			ro_yerr(&l->c, src.groups[0], "list the sites, roles or tags directly",
			    "a group cannot refer to other groups");
			rc = RO_EINVAL;
			continue;
		}
		g->name = ro_arena_strdup(&inv->arena, name);
		if (ro_selector_resolve(&l->c, inv, &inv->arena, &src, &g->sel) != RO_OK) {
			rc = RO_EINVAL;
			continue;
		}
		inv->ngroups++;
	}
	return rc;
}

static int
load(struct loader *l, const struct ro_ydoc *doc)
{
	struct ro_inventory *inv = l->inv;
	const struct ro_ynode *root, *v;
	const char *str;
	size_t i;
	int rc = RO_OK;
	uint32_t prev;

	const char *name = NULL;
	int bad = 0;

	if ((root = ro_yroot(&l->c, doc, "inventory", top_keys, &name, &bad)) == NULL)
		return RO_EINVAL;
	if (bad)
		rc = RO_EINVAL;
	else
		inv->name = ro_arena_strdup(&inv->arena, name);
	if (ro_yopt_str(&l->c, root, "description", &inv->arena, &inv->description))
		rc = RO_EINVAL;
	l->default_port = 22;
	l->default_user = intern(l, "rollout");
	if ((v = ro_ymap_get(root, "defaults")) != NULL) {
		const struct ro_ynode *w;
		if (ro_yexpect(&l->c, v, RO_YMAP, "defaults") || ro_ycheck_keys(&l->c, v, defaults_keys, "defaults"))
			rc = RO_EINVAL;
		else {
			if ((w = ro_ymap_get(v, "port")) && ro_yint(&l->c, w, 1, 65535, &l->default_port))
				rc = RO_EINVAL;
			if ((w = ro_ymap_get(v, "user"))) {
				if (ro_ystr(&l->c, w, &str))
					rc = RO_EINVAL;
				else
					l->default_user = intern(l, str);
			}
		}
	}
	if ((v = ro_yrequire(&l->c, root, "sites", "the inventory")) == NULL ||
	    ro_yexpect(&l->c, v, RO_YSEQ, "sites"))
		return RO_EINVAL;
	if (v->n == 0) {
		ro_yerr(&l->c, v, "add at least one site", "'sites' is empty");
		return RO_EINVAL;
	}
	inv->sites = ro_arena_alloc(&inv->arena, v->n * sizeof *inv->sites);
	for (i = 0; i < v->n; i++) {
		struct ro_site *s = &inv->sites[inv->nsites];
		if (load_site(l, v->items[i], s) != RO_OK) {
			rc = RO_EINVAL;
			continue;
		}
		if (!ro_strmap_put(&inv->site_index, s->id, (uint32_t)inv->nsites, &prev)) {
			char *hint = ro_xasprintf("site ids must be unique; the first is at line %d",
			    inv->sites[prev].line);
			ro_yerr(&l->c, ro_ymap_get(v->items[i], "id"), hint, "duplicate site id '%s'", s->id);
			free(hint);
			rc = RO_EINVAL;
			continue;
		}
		inv->nsites++;
	}
	if ((v = ro_yrequire(&l->c, root, "hosts", "the inventory")) == NULL ||
	    ro_yexpect(&l->c, v, RO_YSEQ, "hosts"))
		return RO_EINVAL;
	for (i = 0; i < v->n; i++)
		if (load_hosts_entry(l, v->items[i]) != RO_OK)
			rc = RO_EINVAL;
	if (rc == RO_OK && inv->nhosts == 0) {
		ro_yerr(&l->c, v, "add hosts to the inventory", "'hosts' is empty");
		rc = RO_EINVAL;
	}
	/* A CS pair is one active and one standby node. */
	if (rc == RO_OK) {
		long first[RO_ROLE_N] = { -1, -1, -1 };
		for (i = 0; i < inv->nhosts; i++) {
			enum ro_role r = inv->hosts[i].role;
			if (r == RO_ROLE_TERMINAL)
				continue;
			if (first[r] >= 0) {
				char *hint = ro_xasprintf("'%s' (line %d) is already the %s; a CS pair has one of each",
				    inv->hosts[first[r]].name, inv->hosts[first[r]].line, ro_role_names[r]);
				ro_diag_add(l->c.d, l->c.file, inv->hosts[i].line, inv->hosts[i].col, hint,
				    "a second %s host '%s'", ro_role_names[r], inv->hosts[i].name);
				free(hint);
				rc = RO_EINVAL;
			} else
				first[r] = (long)i;
		}
	}
	if (rc == RO_OK && (v = ro_ymap_get(root, "groups")) != NULL && load_groups(l, v))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(root, "closed_days")) != NULL) {
		if (ro_yexpect(&l->c, v, RO_YSEQ, "closed_days"))
			rc = RO_EINVAL;
		else {
			inv->closed_days = ro_arena_alloc(&inv->arena, v->n * sizeof *inv->closed_days);
			for (i = 0; i < v->n; i++)
				if (ro_ydate(&l->c, v->items[i], &inv->closed_days[inv->nclosed_days++]))
					rc = RO_EINVAL;
		}
	}
	return rc;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int
ro_inventory_load(const char *path, struct ro_inventory **out, struct ro_diags *d)
{
	struct ro_ydoc *doc = NULL;
	struct loader l;
	int rc;

	*out = NULL;
	memset(&l, 0, sizeof l);
	rc = ro_ydoc_load(path, &doc, d);
	if (rc != RO_OK)
		return rc;
	l.inv = ro_xcalloc(1, sizeof *l.inv);
	ro_arena_init(&l.inv->arena);
	l.inv->path = ro_arena_strdup(&l.inv->arena, path);
	memcpy(l.inv->sha256, doc->sha256, sizeof l.inv->sha256);
	l.c.file = path;
	l.c.d = d;
	ro_strmap_init(&l.addr_index);
	ro_strmap_init(&l.intern);
	rc = load(&l, doc);
	ro_strmap_free(&l.addr_index);
	ro_strmap_free(&l.intern);
	free(l.interned);
	ro_ydoc_free(doc);
	if (rc != RO_OK) {
		ro_inventory_free(l.inv);
		return rc;
	}
	if (l.inv->nclosed_days > 1)
		qsort(l.inv->closed_days, l.inv->nclosed_days, sizeof(long), cmp_long);
	*out = l.inv;
	return RO_OK;
}

void
ro_inventory_free(struct ro_inventory *inv)
{
	if (inv == NULL)
		return;
	ro_strmap_free(&inv->site_index);
	ro_strmap_free(&inv->host_index);
	ro_strmap_free(&inv->model_index);
	free(inv->hosts);
	ro_arena_free(&inv->arena);
	free(inv);
}
