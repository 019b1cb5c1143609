/* campaign.c - loading a campaign: inventory + playbooks + parameters, bound. */
#include "campaign.h"
#include "calendar.h"
#include "approvers.h"
#include "error.h"
#include "template.h"
#include "util.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = { "campaign", "title", "inventory", "playbooks",
	"params", "start", "policy", "targets", "approvers", "notify", "incident", "contacts", NULL };
static const char *const contact_keys[] = { "name", "role", "phone", "org", NULL };

struct loader {
	struct ro_yctx c;
	struct ro_campaign *cp;
};

/* Resolves a path written in the campaign file relative to that file. */
static char *
relative_to(const char *file, const char *path)
{
	char *copy, *dir, *r;

	if (path[0] == '/')
		return ro_xstrdup(path);
	copy = ro_xstrdup(file);
	dir = dirname(copy);
	r = strcmp(dir, ".") == 0 ? ro_xstrdup(path) : ro_xasprintf("%s/%s", dir, path);
	free(copy);
	return r;
}

const char *
ro_campaign_param(const struct ro_campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return c->params[i].value;
	return NULL;
}

/* A value as shown in a message: control characters escaped (\n, \x1b), so
 * that a hostile value can neither split the message nor drive the terminal. */
static char *
shown(const char *v)
{
	struct ro_buf b;
	const unsigned char *u;

	ro_buf_init(&b);
	ro_buf_adds(&b, "");
	for (u = (const unsigned char *)v; *u; u++) {
		if (*u == '\n')
			ro_buf_adds(&b, "\\n");
		else if (*u == '\r')
			ro_buf_adds(&b, "\\r");
		else if (*u == '\t')
			ro_buf_adds(&b, "\\t");
		else if (*u < 0x20 || *u == 0x7f)
			ro_buf_printf(&b, "\\x%02x", *u);
		else
			ro_buf_addc(&b, (char)*u);
	}
	return b.p;
}

static int
cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct ro_param_value *)a)->name,
	    ((const struct ro_param_value *)b)->name);
}

/* Gathers the declared parameters of all playbooks and fills their values
 * from the file, the command line and the defaults, in that order of
 * increasing precedence for the first two. */
static int
bind_params(struct loader *l, const struct ro_ynode *pnode, const struct ro_param_arg *args,
    size_t nargs)
{
	struct ro_campaign *cp = l->cp;
	/* The first declaration of each name, and the file that declares it. */
	const struct ro_param **decl = NULL;
	const char **decl_file = NULL;
	size_t ndecl = 0, cap = 0, i, j, k;
	char *given;              /* per declaration: a value was given (valid or not) */
	int rc = RO_OK;

	for (i = 0; i < cp->nplaybooks; i++) {
		const struct ro_playbook *pb = cp->playbooks[i];
		for (j = 0; j < pb->nparams; j++) {
			const struct ro_param *p = &pb->params[j];
			for (k = 0; k < ndecl; k++)
				if (strcmp(decl[k]->name, p->name) == 0)
					break;
			if (k < ndecl) {
				if (decl[k]->type != p->type) {
					char *hint = ro_xasprintf("%s:%d declares it as %s; rename one of them",
					    decl_file[k], decl[k]->line,
					    ro_param_type_names[decl[k]->type]);
					ro_diag_add(l->c.d, pb->path, p->line, p->col, hint,
					    "parameter '%s' is declared as %s here and differently in another playbook",
					    p->name, ro_param_type_names[p->type]);
					free(hint);
					rc = RO_EINVAL;
				}
				continue;
			}
			if (ndecl == cap) {
				cap = cap ? cap * 2 : 16;
				decl = ro_xrealloc(decl, cap * sizeof *decl);
				decl_file = ro_xrealloc(decl_file, cap * sizeof *decl_file);
			}
			decl_file[ndecl] = pb->path;
			decl[ndecl++] = p;
		}
	}
	cp->params = ro_arena_alloc(&cp->arena, (ndecl ? ndecl : 1) * sizeof *cp->params);
	for (k = 0; k < ndecl; k++) {
		cp->params[k].name = decl[k]->name;
		cp->params[k].type = decl[k]->type;
		cp->params[k].value = decl[k]->def;
		cp->params[k].from_default = decl[k]->def != NULL;
		cp->params[k].file = decl_file[k];
		cp->params[k].line = decl[k]->line;
		cp->params[k].col = decl[k]->col;
	}
	cp->nparams = ndecl;
	given = ro_xcalloc(ndecl ? ndecl : 1, 1);

	/* Values from the campaign file. */
	if (pnode != NULL) {
		if (ro_yexpect(&l->c, pnode, RO_YMAP, "params") != RO_OK) {
			rc = RO_EINVAL;
		} else {
			for (i = 0; i < pnode->n; i++) {
				const struct ro_ynode *key = RO_YMAP_KEY(pnode, i), *val = RO_YMAP_VAL(pnode, i);
				const char *hint;
				for (k = 0; k < ndecl; k++)
					if (key->kind == RO_YSCALAR && strcmp(decl[k]->name, key->str) == 0)
						break;
				if (k == ndecl) {
					const char **names = ro_xcalloc(ndecl + 1, sizeof *names);
					const char *sugg;
					char *h;
					for (j = 0; j < ndecl; j++)
						names[j] = decl[j]->name;
					sugg = key->kind == RO_YSCALAR ? ro_suggest(key->str, names) : NULL;
					h = sugg ? ro_xasprintf("did you mean '%s'?", sugg) :
					    ro_xasprintf("the playbooks declare no such parameter");
					ro_yerr(&l->c, key, h, "unknown parameter '%s'",
					    key->kind == RO_YSCALAR ? key->str : "?");
					free(h);
					free(names);
					rc = RO_EINVAL;
					continue;
				}
				if (val->kind != RO_YSCALAR) {
					ro_yerr(&l->c, val, NULL, "expected a value for parameter '%s', found %s",
					    key->str, ro_ykind_name(val->kind));
					rc = RO_EINVAL;
					continue;
				}
				if (ro_param_check(decl[k]->type, val->str, &hint) != RO_OK) {
					char *v = shown(val->str);
					ro_yerr(&l->c, val, hint, "'%s' is not a valid %s for parameter '%s'",
					    v, ro_param_type_names[decl[k]->type], key->str);
					free(v);
					given[k] = 1;
					rc = RO_EINVAL;
					continue;
				}
				cp->params[k].value = ro_arena_strdup(&cp->arena, val->str);
				cp->params[k].from_default = 0;
				cp->params[k].file = cp->path;
				cp->params[k].line = val->line;
				cp->params[k].col = val->col;
			}
		}
	}
	/* Values from the command line win. */
	for (i = 0; i < nargs; i++) {
		const char *hint;
		for (k = 0; k < ndecl; k++)
			if (strcmp(decl[k]->name, args[i].name) == 0)
				break;
		if (k == ndecl) {
			ro_diag_add(l->c.d, "--param", 0, 0, "see the playbooks' 'params:'",
			    "unknown parameter '%s'", args[i].name);
			rc = RO_EINVAL;
			continue;
		}
		if (ro_param_check(decl[k]->type, args[i].value, &hint) != RO_OK) {
			char *v = shown(args[i].value);
			ro_diag_add(l->c.d, "--param", 0, 0, hint, "'%s' is not a valid %s for parameter '%s'",
			    v, ro_param_type_names[decl[k]->type], args[i].name);
			free(v);
			given[k] = 1;
			rc = RO_EINVAL;
			continue;
		}
		cp->params[k].value = ro_arena_strdup(&cp->arena, args[i].value);
		cp->params[k].from_default = 0;
		cp->params[k].file = "--param";
		cp->params[k].line = cp->params[k].col = 0;
	}
	for (k = 0; k < ndecl; k++) {
		/* A value given but refused was reported already: not "missing" too. */
		if (cp->params[k].value == NULL && !given[k]) {
			const struct ro_param *p = decl[k];
			char *hint = ro_xasprintf("give it under 'params:', or with --param %s=VALUE (declared at %s:%d:%d%s%s)",
			    p->name, decl_file[k], p->line, p->col,
			    p->description ? ": " : "", p->description ? p->description : "");
			ro_yerr(&l->c, pnode ? pnode : l->cp->doc->root, hint,
			    "missing required parameter '%s' (%s)", p->name, ro_param_type_names[p->type]);
			free(hint);
			rc = RO_EINVAL;
		}
	}
	free(decl);
	free(decl_file);
	free(given);
	qsort(cp->params, cp->nparams, sizeof *cp->params, cmp_param);
	return rc;
}

static const struct ro_param_value *
param_value(const struct ro_campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return &c->params[i];
	return NULL;
}

/* Checking every value against every reference it fills. */
struct vcheck {
	struct loader *l;
	const struct ro_playbook *pb;
	size_t pbi;
	const struct ro_step *step;
	const struct ro_step_text *text;
	const char **reported;    /* "name" or "name@host" already reported */
	size_t nreported, cap;
	int rc;
};

/* Whether key was reported already; records it if not. */
static int
reported(struct vcheck *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->nreported; i++)
		if (strcmp(v->reported[i], key) == 0)
			return 1;
	if (v->nreported == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->reported = ro_xrealloc(v->reported, v->cap * sizeof *v->reported);
	}
	v->reported[v->nreported++] = ro_arena_strdup(&v->l->cp->arena, key);
	return 0;
}

/* ":line:col" of reference r in its playbook (re-reads the file: errors only). */
static void
ref_where(const struct vcheck *v, const struct ro_tref *r, char *where, size_t n)
{
	int line, col;

	ro_playbook_tpos(v->pb->path, v->text->node, r->index, &line, &col);
	snprintf(where, n, ":%d:%d", line, col);
}

static int
check_value_ref(const struct ro_tref *r, void *arg)
{
	struct vcheck *v = arg;
	struct ro_campaign *cp = v->l->cp;
	const char *why;
	char bad[32], where[64];
	size_t i;

	if (strncmp(r->name, "host.", 5) != 0 && strncmp(r->name, "site.", 5) != 0) {
		const struct ro_param_value *p = param_value(cp, r->name);
		if (p == NULL || p->value == NULL ||
		    ro_template_value_ok(r, p->value, &why, bad, sizeof bad) == RO_OK || reported(v, r->name))
			return 0;
		ref_where(v, r, where, sizeof where);
		{
			char *hint = ro_xasprintf("it fills '{{%s}}' at %s%s (%s step '%s'), which stands %s; "
			    "change the value, or have the playbook quote the reference (docs/PLAYBOOKS.md)",
			    r->name, v->pb->path, where, v->text->what, v->step->name, ro_tctx_name(r->ctx));
			ro_diag_add(v->l->c.d, p->file, p->line, p->col, hint,
			    "parameter '%s' refused: %s (%s)", r->name, why, bad);
			free(hint);
		}
		v->rc = RO_EINVAL;
		return 0;
	}
	for (i = 0; i < cp->nhosts; i++) {
		uint32_t h = cp->hosts[i];
		const struct ro_host *host = &cp->inv->hosts[h];
		const char *val;
		char *key, *hint;
		int site = strncmp(r->name, "site.", 5) == 0;
		if (!(cp->host_playbooks[i] & (1u << v->pbi)) ||
		    (v->step->roles && !(v->step->roles & RO_ROLE_BIT(host->role))))
			continue;
		val = ro_template_host_value(cp, h, r->name);
		if (val == NULL || ro_template_value_ok(r, val, &why, bad, sizeof bad) == RO_OK)
			continue;
		key = ro_xasprintf("%s@%s", r->name, site ? cp->inv->sites[host->site].id : host->name);
		if (!reported(v, key)) {
			ref_where(v, r, where, sizeof where);
			hint = ro_xasprintf("it fills '{{%s}}' at %s%s (%s step '%s'), which stands %s; "
			    "change the inventory, or have the playbook quote the reference (docs/PLAYBOOKS.md)",
			    r->name, v->pb->path, where, v->text->what, v->step->name, ro_tctx_name(r->ctx));
			ro_diag_add(v->l->c.d, cp->inv->path,
			    site ? cp->inv->sites[host->site].line : host->line,
			    site ? cp->inv->sites[host->site].col : host->col, hint,
			    "%s of %s refused: %s (%s)", r->name,
			    site ? cp->inv->sites[host->site].id : host->name, why, bad);
			free(hint);
			v->rc = RO_EINVAL;
		}
		free(key);
	}
	return 0;
}

/*
 * Every value that reaches a host must fit the position it fills: a
 * parameter (from the campaign, --param or a default) and the inventory text
 * of every host in scope. Refused values are reported at the value, with the
 * reference's position in the hint.
 */
static int
check_values(struct loader *l)
{
	struct ro_campaign *cp = l->cp;
	struct vcheck v;
	size_t i, j, k, n;

	memset(&v, 0, sizeof v);
	v.l = l;
	for (i = 0; i < cp->nplaybooks; i++) {
		v.pb = cp->playbooks[i];
		v.pbi = i;
		for (j = 0; j < v.pb->nsteps; j++) {
			struct ro_step_text texts[RO_STEP_TEXTS_MAX];
			v.step = &v.pb->steps[j];
			n = ro_step_texts(v.step, texts);
			for (k = 0; k < n; k++) {
				v.text = &texts[k];
				(void)ro_template_scan(texts[k].text, check_value_ref, &v);
			}
		}
	}
	free(v.reported);
	return v.rc;
}

/*
 * Resolves each upload whose src is a {{path}} parameter: against the
 * directory of the file that gave the value (the campaign file, the
 * playbook for a default, the current directory for --param), and confined
 * to the playbook's directory tree like a literal src.
 */
static int
resolve_uploads(struct loader *l)
{
	struct ro_campaign *cp = l->cp;
	size_t i, j, total = 0;
	int rc = RO_OK;

	for (i = 0; i < cp->nplaybooks; i++)
		total += cp->playbooks[i]->nsteps;
	cp->uploads = ro_arena_alloc(&cp->arena, (total ? total : 1) * sizeof *cp->uploads);
	for (i = 0; i < cp->nplaybooks; i++) {
		const struct ro_playbook *pb = cp->playbooks[i];
		char *root = ro_dir_of(pb->path);
		for (j = 0; j < pb->nsteps; j++) {
			const struct ro_step *s = &pb->steps[j];
			const struct ro_param_value *p;
			char name[128], *base, *real, *why;
			size_t len;
			const char *a;
			if (s->kind != RO_STEP_UPLOAD || s->src_file != NULL || s->src == NULL)
				continue;
			for (a = s->src + 2; *a == ' '; a++)
				;
			len = strcspn(a, " }");
			if (len >= sizeof name)
				continue;
			memcpy(name, a, len);
			name[len] = '\0';
			if ((p = param_value(cp, name)) == NULL || p->value == NULL)
				continue;
			base = strcmp(p->file, "--param") == 0 ? ro_xstrdup(".") : ro_dir_of(p->file);
			if (ro_upload_resolve(root, base, p->value, &real, &why) != RO_OK) {
				int line, col;
				char *hint;
				ro_playbook_tpos(pb->path, s->src_node, 0, &line, &col);
				hint = ro_xasprintf("it is step '%s''s upload src (%s:%d:%d); name a file inside "
				    "the playbook's directory tree by a relative name", s->name, pb->path, line, col);
				ro_diag_add(l->c.d, p->file, p->line, p->col, hint,
				    "parameter '%s' refused: %s", name, why);
				free(hint);
				free(why);
				rc = RO_EINVAL;
			} else {
				cp->uploads[cp->nuploads].step = s;
				cp->uploads[cp->nuploads++].path = ro_arena_strdup(&cp->arena, real);
				free(real);
			}
			free(base);
		}
		free(root);
	}
	return rc;
}

const char *
ro_campaign_upload_src(const struct ro_campaign *c, const struct ro_step *s)
{
	size_t i;

	if (s->src_file != NULL)
		return s->src_file;
	for (i = 0; i < c->nuploads; i++)
		if (c->uploads[i].step == s)
			return c->uploads[i].path;
	return NULL;
}

static int
select_hosts(struct loader *l)
{
	struct ro_campaign *cp = l->cp;
	const struct ro_inventory *inv = cp->inv;
	size_t i, h, *count;
	int rc = RO_OK;

	count = ro_xcalloc(cp->nplaybooks, sizeof *count);
	cp->hosts = ro_arena_alloc(&cp->arena, inv->nhosts * sizeof *cp->hosts);
	cp->host_playbooks = ro_arena_alloc(&cp->arena, inv->nhosts * sizeof *cp->host_playbooks);
	for (h = 0; h < inv->nhosts; h++) {
		uint32_t mask = 0;
		if (cp->narrow && !ro_selector_match(inv, cp->narrow, (uint32_t)h))
			continue;
		for (i = 0; i < cp->nplaybooks; i++)
			if (ro_selector_match(inv, &cp->targets[i], (uint32_t)h)) {
				mask |= 1u << i;
				count[i]++;
			}
		if (mask) {
			cp->host_playbooks[cp->nhosts] = mask;
			cp->hosts[cp->nhosts++] = (uint32_t)h;
		}
	}
	for (i = 0; i < cp->nplaybooks; i++) {
		const struct ro_playbook *pb = cp->playbooks[i];
		if (count[i] == 0 && cp->narrow) {
			char *hint = ro_xasprintf("playbook '%s' (%s) targets other hosts; widen this selection or pick hosts it targets",
			    pb->name, pb->path);
			ro_yerr(&l->c, cp->narrow_node, hint,
			    "the campaign's 'targets' leave playbook '%s' with no host", pb->name);
			free(hint);
			rc = RO_EINVAL;
		} else if (count[i] == 0) {
			char *hint = ro_xasprintf("inventory '%s' (%s) has no host that matches every criterion; check the roles, sites, models and tags",
			    inv->name, inv->path);
			ro_diag_add(l->c.d, pb->path, pb->targets.node->line, pb->targets.node->col,
			    hint, "the targets of playbook '%s' select no host", pb->name);
			free(hint);
			rc = RO_EINVAL;
		} else if (pb->max_hosts && count[i] > (size_t)pb->max_hosts) {
			char *hint = ro_xasprintf("name the hosts under 'targets:' in the campaign, e.g. targets: {hosts: [kita-t05]} (%s:%d sets the limit)",
			    pb->path, pb->max_hosts_node->line);
			ro_yerr(&l->c, cp->narrow ? cp->narrow_node : cp->doc->root, hint,
			    "playbook '%s' may touch at most %ld host%s in one campaign; this campaign selects %zu",
			    pb->name, pb->max_hosts, pb->max_hosts == 1 ? "" : "s", count[i]);
			free(hint);
			rc = RO_EINVAL;
		}
	}
	free(count);
	return rc;
}

/*
 * start_of reads `start:`: a date ("2026-11-04", the campaign may start at
 * the beginning of that day) or a date and a JST time ("2026-11-04 19:30",
 * for a campaign started for an incident outside working hours).
 */
static int
start_of(struct loader *l, const struct ro_ynode *v, struct ro_campaign *cp)
{
	int64_t m;
	int32_t day;
	int min;

	if (v->kind == RO_YSCALAR && v->str != NULL && strlen(v->str) > 10) {
		if (ro_jst_parse(v->str, &m) != 0 || strlen(v->str) != 16) {
			ro_yerr(&l->c, v, "write a date as YYYY-MM-DD or a date and a time (Japan "
			    "time) as \"YYYY-MM-DD HH:MM\", e.g. \"2026-11-04 19:30\"",
			    "expected a start date or date and time, found \"%s\"", v->str);
			return RO_EINVAL;
		}
		ro_jst_split(m, &day, &min);
		cp->start_day = day;
		cp->start_min = min;
		cp->start_has_time = 1;
		return RO_OK;
	}
	return ro_ydate(&l->c, v, &cp->start_day);
}

/* A phone number as people write it: digits, spaces, - + ( ), and at
 * least three digits. */
static int
phone_ok(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (!strchr(" -+()", *s))
			return 0;
	}
	return digits >= 3;
}

/*
 * load_contacts reads `contacts:`, the people the work procedure names: who
 * leads the work, who to call at the city and at the contractor. Each is a
 * mapping of name, role and phone (required) and org (optional).
 */
static int
load_contacts(struct loader *l, const struct ro_ynode *n)
{
	struct ro_campaign *cp = l->cp;
	size_t i;
	int rc = RO_OK;

	if (ro_yexpect(&l->c, n, RO_YSEQ, "contacts") != RO_OK)
		return RO_EINVAL;
	if (n->n == 0) {
		ro_yerr(&l->c, n, "list at least one person (name, role, phone), or remove the key",
		    "'contacts' is empty");
		return RO_EINVAL;
	}
	cp->contacts = ro_arena_alloc(&cp->arena, n->n * sizeof *cp->contacts);
	for (i = 0; i < n->n; i++) {
		const struct ro_ynode *e = n->items[i], *v;
		struct ro_contact *k = &cp->contacts[cp->ncontacts];
		const char *str;
		int bad = 0;

		memset(k, 0, sizeof *k);
		k->line = e->line;
		k->col = e->col;
		if (ro_yexpect(&l->c, e, RO_YMAP, "a contact") != RO_OK) {
			rc = RO_EINVAL;
			continue;
		}
		if (ro_ycheck_keys(&l->c, e, contact_keys, "a contact"))
			bad = 1;
		if ((v = ro_yrequire(&l->c, e, "name", "a contact")) == NULL || ro_ystr(&l->c, v, &str))
			bad = 1;
		else
			k->name = ro_arena_strdup(&cp->arena, str);
		if ((v = ro_yrequire(&l->c, e, "role", "a contact")) == NULL || ro_ystr(&l->c, v, &str))
			bad = 1;
		else
			k->role = ro_arena_strdup(&cp->arena, str);
		if ((v = ro_yrequire(&l->c, e, "phone", "a contact")) == NULL || ro_ystr(&l->c, v, &str))
			bad = 1;
		else if (!phone_ok(str)) {
			ro_yerr(&l->c, v, "write digits, spaces, '-', '+' and parentheses only, "
			    "e.g. 011-211-2111", "'%s' is not a phone number", str);
			bad = 1;
		} else
			k->phone = ro_arena_strdup(&cp->arena, str);
		if (ro_yopt_str(&l->c, e, "org", &cp->arena, &k->org))
			bad = 1;
		if (bad)
			rc = RO_EINVAL;
		else
			cp->ncontacts++;
	}
	return rc;
}

static int
load(struct loader *l, const struct ro_param_arg *args, size_t nargs)
{
	struct ro_campaign *cp = l->cp;
	const struct ro_ynode *root, *v;
	const char *str = NULL;
	size_t i;
	int rc = RO_OK, bad = 0;

	if ((root = ro_yroot(&l->c, cp->doc, "campaign", top_keys, &str, &bad)) == NULL)
		return RO_EINVAL;
	if (bad)
		rc = RO_EINVAL;
	else
		cp->id = ro_arena_strdup(&cp->arena, str);
	if (ro_yopt_str(&l->c, root, "title", &cp->arena, &cp->title))
		rc = RO_EINVAL;
	cp->start_day = -1;
	if ((v = ro_ymap_get(root, "start")) != NULL && start_of(l, v, cp))
		rc = RO_EINVAL;
	/* The incident (docs/INCIDENTS.md) the campaign is started for: linked
	 * when the plan is recorded, bound into the plan and so its hash. */
	if ((v = ro_ymap_get(root, "incident")) != NULL &&
	    ro_yint(&l->c, v, 1, 2147483647L, &cp->incident))
		rc = RO_EINVAL;
	if ((v = ro_yrequire(&l->c, root, "inventory", "the campaign")) == NULL ||
	    ro_ystr(&l->c, v, &str)) {
		rc = RO_EINVAL;
	} else {
		char *p = relative_to(l->c.file, str);
		if (ro_inventory_load(p, &cp->inv, l->c.d) != RO_OK)
			rc = RO_EINVAL;
		free(p);
	}
	if ((v = ro_yrequire(&l->c, root, "playbooks", "the campaign")) == NULL)
		return RO_EINVAL;
	{
		const struct ro_ynode *one;
		const struct ro_ynode *const *items;
		size_t cnt;
		if (ro_ystrlist(&l->c, v, &one, &items, &cnt))
			return RO_EINVAL;
		if (cnt == 0 || cnt > 16) {
			ro_yerr(&l->c, v, "list 1 to 16 playbook files", "a campaign runs 1 to 16 playbooks");
			return RO_EINVAL;
		}
		cp->playbooks = ro_arena_alloc(&cp->arena, cnt * sizeof *cp->playbooks);
		for (i = 0; i < cnt; i++) {
			char *p = relative_to(l->c.file, items[i]->str);
			if (ro_playbook_load(p, &cp->playbooks[cp->nplaybooks], l->c.d) != RO_OK)
				rc = RO_EINVAL;
			else
				cp->nplaybooks++;
			free(p);
		}
	}
	if ((v = ro_ymap_get(root, "contacts")) != NULL && load_contacts(l, v))
		rc = RO_EINVAL;
	/* A command told of gates waiting, waves halting and the end. */
	if (ro_yopt_str(&l->c, root, "notify", &cp->arena, &cp->notify))
		rc = RO_EINVAL;
	/* Who may approve the gates: bound into the plan, so into its hash. */
	if ((v = ro_ymap_get(root, "approvers")) != NULL) {
		if (ro_ystr(&l->c, v, &str)) {
			rc = RO_EINVAL;
		} else {
			char *p = relative_to(l->c.file, str);
			if (ro_roster_load(p, &cp->roster, l->c.d) != RO_OK)
				rc = RO_EINVAL;
			free(p);
		}
	}
	if (rc != RO_OK)
		return rc;
	cp->policy = cp->playbooks[0]->policy;
	if ((v = ro_ymap_get(root, "policy")) != NULL && ro_policy_read(&l->c, v, &cp->policy))
		rc = RO_EINVAL;
	/* A campaign may add gates but never remove one its playbooks require. */
	for (i = 0; i < cp->nplaybooks; i++)
		cp->policy.gates |= cp->playbooks[i]->policy.gates;
	if (bind_params(l, ro_ymap_get(root, "params"), args, nargs) != RO_OK)
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(root, "targets")) != NULL) {
		/* The campaign may narrow the playbooks' targets, never widen them:
		 * a host is in scope only if both select it. */
		struct ro_selector_src src;
		cp->narrow = ro_arena_alloc(&cp->arena, sizeof *cp->narrow);
		cp->narrow_node = v;
		if (ro_selector_parse(&l->c, &cp->arena, v, 1, &src) != RO_OK ||
		    ro_selector_resolve(&l->c, cp->inv, &cp->arena, &src, cp->narrow) != RO_OK)
			rc = RO_EINVAL;
	}
	cp->targets = ro_arena_alloc(&cp->arena, cp->nplaybooks * sizeof *cp->targets);
	for (i = 0; i < cp->nplaybooks; i++) {
		struct ro_yctx pc = { cp->playbooks[i]->path, l->c.d };
		if (ro_selector_resolve(&pc, cp->inv, &cp->arena, &cp->playbooks[i]->targets,
		        &cp->targets[i]) != RO_OK)
			rc = RO_EINVAL;
	}
	if (rc != RO_OK)
		return rc;
	if (cp->nplaybooks == 1) {
		cp->phases = cp->playbooks[0]->phases;
		cp->nphases = cp->playbooks[0]->nphases;
	} else {
		/* Combined campaigns use the standard order: standby CS, active
		 * CS, terminals (each playbook's own phases are for running alone). */
		static const char *const names[] = { "cs-standby", "cs-active", "terminals" };
		int r;
		cp->phases = ro_arena_alloc(&cp->arena, RO_ROLE_N * sizeof *cp->phases);
		for (r = 0; r < RO_ROLE_N; r++) {
			struct ro_phase *p = &cp->phases[cp->nphases];
			p->name = names[r];
			p->roles = RO_ROLE_BIT(r);
			if (cp->nphases) {
				p->after = ro_arena_alloc(&cp->arena, sizeof *p->after);
				p->after[0] = (uint32_t)(cp->nphases - 1);
				p->nafter = 1;
			}
			cp->nphases++;
		}
	}
	if ((rc = select_hosts(l)) != RO_OK)
		return rc;
	if (resolve_uploads(l) != RO_OK)
		rc = RO_EINVAL;
	if (check_values(l) != RO_OK)
		rc = RO_EINVAL;
	return rc;
}

int
ro_campaign_load(const char *path, const struct ro_param_arg *args, size_t nargs,
    struct ro_campaign **out, struct ro_diags *d)
{
	struct loader l;
	struct ro_ydoc *doc;
	int rc;

	*out = NULL;
	rc = ro_ydoc_load(path, &doc, d);
	if (rc != RO_OK)
		return rc;
	memset(&l, 0, sizeof l);
	l.cp = ro_xcalloc(1, sizeof *l.cp);
	ro_arena_init(&l.cp->arena);
	l.cp->doc = doc;
	l.cp->path = ro_arena_strdup(&l.cp->arena, path);
	memcpy(l.cp->sha256, doc->sha256, sizeof l.cp->sha256);
	l.c.file = l.cp->path;
	l.c.d = d;
	rc = load(&l, args, nargs);
	if (rc != RO_OK) {
		ro_campaign_free(l.cp);
		return rc;
	}
	*out = l.cp;
	return RO_OK;
}

void
ro_campaign_free(struct ro_campaign *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nplaybooks; i++)
		ro_playbook_free(c->playbooks[i]);
	ro_inventory_free(c->inv);
	ro_roster_free(c->roster);
	ro_ydoc_free(c->doc);
	ro_arena_free(&c->arena);
	free(c);
}

int
ro_file_kind_of(const char *path, enum ro_file_kind *kind, struct ro_diags *d)
{
	char line[256];
	FILE *f = fopen(path, "r");
	struct ro_ydoc *doc = NULL;
	int rc;

	*kind = RO_FILE_UNKNOWN;
	if (f != NULL) {
		int first = 1;
		while (fgets(line, sizeof line, f)) {
			char *p = line;
			/* A UTF-8 byte order mark (as some Windows editors save) is
			 * not part of the text; libyaml skips it too. */
			if (first && strncmp(line, "\xef\xbb\xbf", 3) == 0)
				memmove(line, line + 3, strlen(line + 3) + 1);
			first = 0;
			while (*p == ' ')
				p++;
			if (*p == '#' || *p == '\n' || *p == '\r' || strncmp(p, "---", 3) == 0 ||
			    strncmp(p, "%YAML", 5) == 0)
				continue;
			if (strncmp(line, "inventory:", 10) == 0)
				*kind = RO_FILE_INVENTORY;
			else if (strncmp(line, "playbook:", 9) == 0)
				*kind = RO_FILE_PLAYBOOK;
			else if (strncmp(line, "campaign:", 9) == 0)
				*kind = RO_FILE_CAMPAIGN;
			else if (strncmp(line, "approvers:", 10) == 0)
				*kind = RO_FILE_APPROVERS;
			break;
		}
		fclose(f);
	}
	if (*kind != RO_FILE_UNKNOWN)
		return RO_OK;
	/* Not recognisable as text: a full parse says what is wrong, or else
	 * the first key is not one we know. */
	rc = ro_ydoc_load(path, &doc, d);
	if (rc != RO_OK)
		return rc;
	ro_diag_add(d, path, doc->root ? doc->root->line : 1, doc->root ? doc->root->col : 1,
	    "start the file with 'inventory: NAME', 'playbook: NAME', 'campaign: ID' or "
	    "'approvers: NAME'",
	    doc->root ? "cannot tell what kind of file this is" : "the file is empty");
	ro_ydoc_free(doc);
	return RO_EINVAL;
}

int
ro_param_arg_parse(char *s, struct ro_param_arg *out)
{
	char *eq = strchr(s, '=');

	if (eq == NULL || eq == s)
		return RO_EINVAL;
	*eq = '\0';
	out->name = s;
	out->value = eq + 1;
	return RO_OK;
}
