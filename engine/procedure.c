/*
 * procedure.c - the work procedure (作業手順書) derived from a plan and its
 * playbooks (procedure.h). Nothing here prints: plan-html.c and the report
 * writers render the struct.
 *
 * A host runs, for every playbook that applies to it (in the campaign's
 * order), the playbook's steps that apply to its role, in order; that is
 * the order listed per role here, and the order the executor keeps. A
 * restart is expected when the steps before it have taken their estimates.
 */
#include "procedure.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "template.h"

static const char *const kind_ja[RO_STEP_N] = {
	[RO_STEP_EXEC] = "実行",
	[RO_STEP_UPLOAD] = "転送",
	[RO_STEP_REBOOT] = "再起動",
	[RO_STEP_CHECK] = "適用済み確認",
	[RO_STEP_VERIFY] = "確認",
	[RO_STEP_MANUAL] = "現地作業",
	[RO_STEP_PASSWORD] = "パスワード変更",
	[RO_STEP_FETCH] = "回収（エンジンへ）",
};

static const char *const role_ja[RO_ROLE_N] = {
	[RO_ROLE_CS_STANDBY] = "CS（待機系）",
	[RO_ROLE_CS_ACTIVE] = "CS（運用系）",
	[RO_ROLE_TERMINAL] = "統合端末",
};

const char *
ro_proc_kind_ja(enum ro_step_kind k)
{
	return k < RO_STEP_N ? kind_ja[k] : "?";
}

const char *
ro_proc_role_ja(enum ro_role r)
{
	return r < RO_ROLE_N ? role_ja[r] : "?";
}

/* The type of campaign parameter name, or -1 when there is none. */
static int
param_type(const struct ro_campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return (int)c->params[i].type;
	return -1;
}

/* What the references of one step text name: its KB and sha256 parameters. */
struct refs {
	const struct ro_campaign *c;
	const char *kb, *sha256;
};

static int
note_ref(const struct ro_tref *r, void *arg)
{
	struct refs *x = arg;
	int t = param_type(x->c, r->name);

	if (t == RO_PT_KB && x->kb == NULL)
		x->kb = ro_campaign_param(x->c, r->name);
	else if (t == RO_PT_SHA256 && x->sha256 == NULL)
		x->sha256 = ro_campaign_param(x->c, r->name);
	return 0;
}

/* Fills the {{parameter}} references of s (host variables stay as written),
 * for a person to read: a destination path, a hash. */
struct fill {
	const struct ro_campaign *c;
	const char *s;
	size_t at;
	struct ro_buf b;
};

static int
fill_ref(const struct ro_tref *r, void *arg)
{
	struct fill *f = arg;
	const char *v = ro_campaign_param(f->c, r->name);

	ro_buf_add(&f->b, f->s + f->at, r->open - f->at);
	if (v != NULL)
		ro_buf_adds(&f->b, v);
	else
		ro_buf_add(&f->b, f->s + r->open, r->end - r->open);
	f->at = r->end;
	return 0;
}

static const char *
fill(struct ro_procedure *pr, const char *s)
{
	struct fill f = { pr->campaign, s, 0, { 0 } };
	const char *out;

	if (s == NULL)
		return NULL;
	ro_buf_init(&f.b);
	if (ro_template_scan(s, fill_ref, &f) != RO_OK) {
		ro_buf_free(&f.b);
		return ro_arena_strdup(&pr->arena, s);
	}
	ro_buf_adds(&f.b, s + f.at);
	out = ro_arena_strndup(&pr->arena, f.b.p ? f.b.p : "", f.b.len);
	ro_buf_free(&f.b);
	return out;
}

static const char *
base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path;
}

/* Does step s of a playbook run on a host of role r? */
static int
step_on_role(const struct ro_step *s, enum ro_role r)
{
	return s->roles == 0 || (s->roles & RO_ROLE_BIT(r));
}

static void
describe_step(struct ro_procedure *pr, uint32_t pbi, const struct ro_step *s,
    struct ro_proc_step *out)
{
	const struct ro_campaign *c = pr->campaign;
	struct ro_step_text texts[RO_STEP_TEXTS_MAX];
	struct refs x = { c, NULL, NULL };
	size_t n, i;

	out->playbook = pbi;
	out->step = s;
	out->title_ja = s->title_ja ? s->title_ja : s->name;
	out->description = s->description;
	out->kind_ja = ro_proc_kind_ja(s->kind);
	out->estimate = s->estimate;
	out->manual = s->kind == RO_STEP_MANUAL;
	if (s->kind == RO_STEP_REBOOT)
		out->restart = s->if_required ? RO_PROC_RESTART_IF_ASKED : RO_PROC_RESTART;
	n = ro_step_texts(s, texts);
	for (i = 0; i < n; i++)
		(void)ro_template_scan(texts[i].text, note_ref, &x);
	out->kb = x.kb;
	out->sha256 = x.sha256;
	if (s->kind == RO_STEP_UPLOAD) {
		const char *src = ro_campaign_upload_src(c, s);
		out->artifact = src ? ro_arena_strdup(&pr->arena, base_name(src)) : NULL;
		out->sha256 = fill(pr, s->sha256);
		out->dest = fill(pr, s->dest);
	}
	if (s->kind == RO_STEP_MANUAL)
		out->instruction = s->instruction_ja ? s->instruction_ja : s->instruction;
}

/* Which roles have hosts, and which playbooks apply to a host of each. */
static void
count_roles(struct ro_procedure *pr, unsigned pb_of_role[RO_ROLE_N])
{
	const struct ro_campaign *c = pr->campaign;
	size_t k;

	for (k = 0; k < c->nhosts; k++) {
		enum ro_role r = c->inv->hosts[c->hosts[k]].role;
		pr->roles[r].nhosts++;
		pb_of_role[r] |= c->host_playbooks[k];
	}
}

static void
build_roles(struct ro_procedure *pr)
{
	const struct ro_campaign *c = pr->campaign;
	unsigned pb_of_role[RO_ROLE_N] = { 0 };
	size_t i, j, total;
	int r;

	count_roles(pr, pb_of_role);
	for (r = 0; r < RO_ROLE_N; r++) {
		struct ro_proc_role *pro = &pr->roles[r];
		pro->role = (enum ro_role)r;
		if (pro->nhosts == 0)
			continue;
		for (i = 0, total = 0; i < c->nplaybooks; i++)
			if (pb_of_role[r] & (1u << i))
				total += c->playbooks[i]->nsteps;
		pro->steps = ro_arena_alloc(&pr->arena, (total + 1) * sizeof *pro->steps);
		for (i = 0; i < c->nplaybooks; i++) {
			const struct ro_playbook *pb = c->playbooks[i];
			if (!(pb_of_role[r] & (1u << i)))
				continue;
			for (j = 0; j < pb->nsteps; j++) {
				struct ro_proc_step *ps;
				if (!step_on_role(&pb->steps[j], (enum ro_role)r))
					continue;
				ps = &pro->steps[pro->nsteps++];
				describe_step(pr, (uint32_t)i, &pb->steps[j], ps);
				ps->number = (uint32_t)pro->nsteps;
				pro->estimate += ps->estimate;
				if (ps->restart != RO_PROC_NO_RESTART)
					pro->restart += ps->estimate;
			}
		}
	}
}

/* One artefact per upload step that runs on some host. */
static void
build_artifacts(struct ro_procedure *pr)
{
	size_t r, i, j, cap = 0;

	for (r = 0; r < RO_ROLE_N; r++)
		cap += pr->roles[r].nsteps;
	pr->artifacts = ro_arena_alloc(&pr->arena, (cap + 1) * sizeof *pr->artifacts);
	for (r = 0; r < RO_ROLE_N; r++)
		for (i = 0; i < pr->roles[r].nsteps; i++) {
			const struct ro_proc_step *ps = &pr->roles[r].steps[i];
			struct ro_proc_artifact *a = NULL;
			if (ps->step->kind != RO_STEP_UPLOAD)
				continue;
			for (j = 0; j < pr->nartifacts; j++)
				if (strcmp(pr->artifacts[j].step, ps->step->name) == 0 &&
				    pr->artifacts[j].playbook == ps->playbook)
					a = &pr->artifacts[j];
			if (a == NULL) {
				a = &pr->artifacts[pr->nartifacts++];
				a->playbook = ps->playbook;
				a->step = ps->step->name;
				a->kb = ps->kb;
				a->file = ps->artifact;
				a->sha256 = ps->sha256;
			}
			a->roles |= RO_ROLE_BIT(r);
		}
}

static int
cmp_host(const void *a, const void *b)
{
	const struct ro_proc_host *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->host > y->host) - (x->host < y->host);
}

/* Per host: its times and its restart, from the steps it runs in order. */
static void
build_hosts(struct ro_procedure *pr)
{
	const struct ro_plan *p = pr->plan;
	const struct ro_campaign *c = pr->campaign;
	size_t k, i, j;

	pr->hosts = ro_arena_alloc(&pr->arena, (c->nhosts + 1) * sizeof *pr->hosts);
	for (k = 0; k < c->nhosts; k++) {
		uint32_t h = c->hosts[k];
		const struct ro_host *hh = &c->inv->hosts[h];
		struct ro_proc_host *ph = &pr->hosts[pr->nhosts++];
		long before = 0;
		int asked_only = 1;

		ph->host = h;
		ph->site = hh->site;
		ph->wave = p->host_wave[h];
		ph->start = p->timed ? p->host_start[h] : RO_PLAN_NO_TIME;
		ph->end = p->timed ? p->host_end[h] : RO_PLAN_NO_TIME;
		ph->restart_at = RO_PLAN_NO_TIME;
		for (i = 0; i < c->nplaybooks; i++) {
			const struct ro_playbook *pb = c->playbooks[i];
			if (!(c->host_playbooks[k] & (1u << i)))
				continue;
			for (j = 0; j < pb->nsteps; j++) {
				const struct ro_step *s = &pb->steps[j];
				if (!step_on_role(s, hh->role))
					continue;
				if (s->kind == RO_STEP_REBOOT) {
					if (ph->restart == 0 && p->timed) {
						ph->restart_at = ph->start + before;
						if (ph->restart_at > ph->end)
							ph->restart_at = ph->end;
					}
					ph->restart += s->estimate;
					asked_only &= s->if_required;
				}
				before += s->estimate;
			}
		}
		ph->restart_if_asked = ph->restart > 0 && asked_only;
	}
	qsort(pr->hosts, pr->nhosts, sizeof *pr->hosts, cmp_host);
}

/* Per site: the sum of its hosts' restarts and the span of its work. */
static void
build_sites(struct ro_procedure *pr)
{
	const struct ro_inventory *inv = pr->campaign->inv;
	size_t i;

	pr->sites = ro_arena_alloc(&pr->arena, (inv->nsites + 1) * sizeof *pr->sites);
	for (i = 0; i < pr->nhosts; i++) {
		const struct ro_proc_host *ph = &pr->hosts[i];
		struct ro_proc_site *ps;
		/* Hosts are grouped by site, so a new site starts a new entry. */
		if (pr->nsites == 0 || pr->sites[pr->nsites - 1].site != ph->site) {
			ps = &pr->sites[pr->nsites++];
			ps->site = ph->site;
			ps->limit = pr->plan->site_limit ? pr->plan->site_limit[ph->site] : 0;
			ps->first_start = ph->start;
			ps->last_end = ph->end;
			ps->restart_if_asked = 1;
		}
		ps = &pr->sites[pr->nsites - 1];
		ps->nhosts++;
		if (ph->restart > 0) {
			ps->nrestart++;
			ps->downtime += ph->restart;
			if (ph->restart > ps->host_downtime)
				ps->host_downtime = ph->restart;
			ps->restart_if_asked &= ph->restart_if_asked;
		}
		if (ph->start != RO_PLAN_NO_TIME && ph->start < ps->first_start)
			ps->first_start = ph->start;
		if (ph->end != RO_PLAN_NO_TIME && ph->end > ps->last_end)
			ps->last_end = ph->end;
		pr->downtime += ph->restart;
	}
	for (i = 0; i < pr->nsites; i++)
		if (pr->sites[i].nrestart == 0)
			pr->sites[i].restart_if_asked = 0;
}

int
ro_procedure_build(const struct ro_plan *p, struct ro_procedure **out)
{
	const struct ro_campaign *c = p->campaign;
	struct ro_procedure *pr = ro_xcalloc(1, sizeof *pr);
	const char **rb;
	size_t i, k;

	ro_arena_init(&pr->arena);
	pr->plan = p;
	pr->campaign = c;
	pr->plan_hash = p->hash;
	pr->contacts = c->contacts;
	pr->ncontacts = c->ncontacts;
	pr->playbooks = ro_arena_alloc(&pr->arena, (c->nplaybooks + 1) * sizeof *pr->playbooks);
	for (i = 0; i < c->nplaybooks; i++) {
		struct ro_proc_playbook *pp = &pr->playbooks[pr->nplaybooks++];
		pp->pb = c->playbooks[i];
		pp->title_ja = pp->pb->title_ja ? pp->pb->title_ja : pp->pb->title;
		/* The rollback's {{param}} references read with this campaign's values. */
		rb = ro_arena_alloc(&pr->arena, (pp->pb->nrollback + 1) * sizeof *rb);
		for (k = 0; k < pp->pb->nrollback; k++)
			rb[k] = fill(pr, pp->pb->rollback[k]);
		pp->rollback = rb;
		pp->nrollback = pp->pb->nrollback;
		for (k = 0; k < c->nhosts; k++)
			pp->nhosts += (c->host_playbooks[k] >> i) & 1u;
	}
	build_roles(pr);
	build_artifacts(pr);
	build_hosts(pr);
	build_sites(pr);
	*out = pr;
	return RO_OK;
}

void
ro_procedure_free(struct ro_procedure *pr)
{
	if (pr == NULL)
		return;
	ro_arena_free(&pr->arena);
	free(pr);
}
