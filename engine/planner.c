/*
 * planner.c - deterministic waves from a campaign's phases and policy, then
 * placed in time by plan-schedule.c; the canonical bytes and the hash.
 */
#include "planner.h"
#include "error.h"
#include "plan-internal.h"
#include "approvers.h"
#include "util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct builder {
	struct ro_plan *p;
	const struct ro_campaign *c;
	size_t cap;
	uint32_t *site_count;    /* scratch, one per site */
};

static struct ro_wave *
add_wave(struct builder *b, uint32_t phase, const char *name, const uint32_t *hosts, size_t n)
{
	struct ro_plan *p = b->p;
	struct ro_wave *w;

	if (p->nwaves == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		p->waves = ro_xrealloc(p->waves, b->cap * sizeof *p->waves);
	}
	w = &p->waves[p->nwaves];
	memset(w, 0, sizeof *w);
	w->index = (uint32_t)p->nwaves++;
	w->name = ro_arena_strdup(&p->arena, name);
	w->phase = phase;
	w->hosts = ro_arena_alloc(&p->arena, n * sizeof *w->hosts);
	memcpy(w->hosts, hosts, n * sizeof *hosts);
	w->nhosts = n;
	return w;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Sorts a wave's hosts into inventory order, which groups them by site
 * because inventories list a site's hosts together; then works out the
 * per-site figures. */
static void
finish_wave(struct builder *b, struct ro_wave *w)
{
	const struct ro_inventory *inv = b->c->inv;
	const struct ro_countpct *fb = &b->c->policy.failure_budget;
	size_t i;

	qsort(w->hosts, w->nhosts, sizeof *w->hosts, cmp_u32);
	for (i = 0; i < w->nhosts; i++) {
		uint32_t s = inv->hosts[w->hosts[i]].site;
		if (b->site_count[s]++ == 0)
			w->nsites++;
	}
	for (i = 0; i < w->nhosts; i++) {
		uint32_t s = inv->hosts[w->hosts[i]].site, cnt = b->site_count[s], r;
		if (cnt == 0)
			continue;
		if (cnt > w->max_site_hosts)
			w->max_site_hosts = cnt;
		r = (cnt + b->p->site_limit[s] - 1) / b->p->site_limit[s];
		if (r > w->rounds)
			w->rounds = r;
		b->site_count[s] = 0;
	}
	w->failure_budget = fb->pct ? (long)(fb->value * (long)w->nhosts / 100) :
	    (fb->value < (long)w->nhosts ? fb->value : (long)w->nhosts);
}

/* Chooses canaries spread over models and sites: the k-th canary is of
 * model k mod (number of models), taken from the largest site not yet used
 * that has one. Deterministic: ties go to inventory order. */
static size_t
pick_canaries(struct builder *b, const uint32_t *hosts, size_t n, long want, uint32_t *out,
    int *taken)
{
	const struct ro_inventory *inv = b->c->inv;
	const char **models = ro_xcalloc(n, sizeof *models);
	uint32_t *site_size = ro_xcalloc(inv->nsites, sizeof *site_size);
	int *site_used = ro_xcalloc(inv->nsites, sizeof *site_used);
	size_t nmodels = 0, i, j, got = 0;

	for (i = 0; i < n; i++) {
		const struct ro_host *h = &inv->hosts[hosts[i]];
		site_size[h->site]++;
		for (j = 0; j < nmodels && models[j] != h->model; j++)
			;
		if (j == nmodels)
			models[nmodels++] = h->model;
	}
	while ((long)got < want && got < n) {
		const char *model = models[got % nmodels];
		long best = -1;
		for (int pass = 0; pass < 3 && best < 0; pass++) {
			for (i = 0; i < n; i++) {
				const struct ro_host *h = &inv->hosts[hosts[i]];
				if (taken[i])
					continue;
				if (pass == 0 && (site_used[h->site] || h->model != model))
					continue;
				if (pass == 1 && site_used[h->site])
					continue;
				if (best < 0 || site_size[h->site] >
				    site_size[inv->hosts[hosts[best]].site])
					best = (long)i;
			}
		}
		taken[best] = 1;
		site_used[inv->hosts[hosts[best]].site] = 1;
		out[got++] = hosts[best];
	}
	free(models);
	free(site_size);
	free(site_used);
	return got;
}

/* Compares (position, host) keys of interleave_hosts. */
static int
cmp_key(const void *a, const void *b)
{
	const struct { uint64_t pos; uint32_t host; } *x = a, *y = b;

	if (x->pos != y->pos)
		return (x->pos > y->pos) - (x->pos < y->pos);
	return (x->host > y->host) - (x->host < y->host);
}

/* Orders hosts so that every stretch of the sequence holds about the same
 * fraction of every site: the i-th of a site's n hosts is placed at
 * (i + 1/2) / n. Cutting the sequence into waves then takes about the same
 * share of each site per wave, so no wave empties one office while another
 * is untouched. hosts come in inventory order; integer keys and the host
 * index as tie-break keep it deterministic. */
static void
interleave_hosts(struct builder *b, uint32_t *hosts, size_t n)
{
	const struct ro_inventory *inv = b->c->inv;
	uint32_t *seen = ro_xcalloc(inv->nsites, sizeof *seen);
	uint32_t *total = ro_xcalloc(inv->nsites, sizeof *total);
	struct { uint64_t pos; uint32_t host; } *key = ro_xmalloc((n ? n : 1) * sizeof *key);
	size_t i;

	for (i = 0; i < n; i++)
		total[inv->hosts[hosts[i]].site]++;
	for (i = 0; i < n; i++) {
		uint32_t s = inv->hosts[hosts[i]].site;
		key[i].pos = ((2 * (uint64_t)seen[s]++ + 1) << 32) / (2 * (uint64_t)total[s]);
		key[i].host = hosts[i];
	}
	qsort(key, n, sizeof *key, cmp_key);
	for (i = 0; i < n; i++)
		hosts[i] = key[i].host;
	free(seen);
	free(total);
	free(key);
}

static void
plan_phase(struct builder *b, uint32_t ph)
{
	const struct ro_campaign *c = b->c;
	const struct ro_inventory *inv = c->inv;
	const struct ro_phase *phase = &c->phases[ph];
	const struct ro_policy *pol = &c->policy;
	uint32_t *hosts = ro_xmalloc((c->nhosts ? c->nhosts : 1) * sizeof *hosts);
	uint32_t *rest;
	int *taken;
	size_t n = 0, nrest = 0, i, k;
	char name[160];
	int r;

	/* The CS nodes of the phase go one at a time, standby first. */
	for (r = RO_ROLE_CS_STANDBY; r <= RO_ROLE_CS_ACTIVE; r++) {
		if (!(phase->roles & RO_ROLE_BIT(r)))
			continue;
		for (i = 0; i < c->nhosts; i++)
			if (inv->hosts[c->hosts[i]].role == (enum ro_role)r) {
				struct ro_wave *w;
				w = add_wave(b, ph, inv->hosts[c->hosts[i]].name, &c->hosts[i], 1);
				finish_wave(b, w);
			}
	}
	for (i = 0; i < c->nhosts; i++)
		if (inv->hosts[c->hosts[i]].role == RO_ROLE_TERMINAL &&
		    (phase->roles & RO_ROLE_BIT(RO_ROLE_TERMINAL)))
			hosts[n++] = c->hosts[i];
	if (n == 0) {
		free(hosts);
		return;
	}
	taken = ro_xcalloc(n, sizeof *taken);
	rest = ro_xmalloc(n * sizeof *rest);
	if (pol->canary > 0 && (size_t)pol->canary < n) {
		uint32_t *can = ro_xmalloc(n * sizeof *can);
		size_t got = pick_canaries(b, hosts, n, pol->canary, can, taken);
		struct ro_wave *w;
		snprintf(name, sizeof name, "%s-canary", phase->name);
		w = add_wave(b, ph, name, can, got);
		w->canary = 1;
		finish_wave(b, w);
		free(can);
	}
	for (i = 0; i < n; i++)
		if (!taken[i])
			rest[nrest++] = hosts[i];
	if (pol->wave_kind == RO_WAVE_PER_SITE) {
		size_t start = 0;
		while (start < nrest) {
			uint32_t site = inv->hosts[rest[start]].site;
			size_t end = start;
			struct ro_wave *w;
			while (end < nrest && inv->hosts[rest[end]].site == site)
				end++;
			snprintf(name, sizeof name, "%s-%s", phase->name, inv->sites[site].id);
			w = add_wave(b, ph, name, rest + start, end - start);
			finish_wave(b, w);
			start = end;
		}
	} else {
		size_t size = pol->wave_kind == RO_WAVE_COUNT ? (size_t)pol->wave_value :
		    (nrest * (size_t)pol->wave_value + 99) / 100;
		if (size == 0)
			size = 1;
		interleave_hosts(b, rest, nrest);
		for (i = 0, k = 1; i < nrest; i += size, k++) {
			size_t cnt = nrest - i < size ? nrest - i : size;
			struct ro_wave *w;
			snprintf(name, sizeof name, "%s-%zu", phase->name, k);
			w = add_wave(b, ph, name, rest + i, cnt);
			finish_wave(b, w);
		}
	}
	free(rest);
	free(taken);
	free(hosts);
}

static void
apply_gates(struct ro_plan *p, const struct ro_campaign *c)
{
	unsigned g = c->policy.gates;
	size_t i;
	int seen_cs = 0, gated_after_cs = 0;

	for (i = 0; i < p->nwaves; i++) {
		struct ro_wave *w = &p->waves[i];
		int is_cs = c->inv->hosts[w->hosts[0]].role != RO_ROLE_TERMINAL;
		/* The gate's kind is the most specific reason for it: it says
		 * which role approves it (approvers.h). */
		if (g & RO_GATE_EVERY_WAVE) {
			w->gated = 1;
			w->gate = RO_GATE_EVERY_WAVE;
		}
		if (is_cs)
			seen_cs = 1;
		else if (seen_cs && !gated_after_cs && (g & RO_GATE_AFTER_CS)) {
			w->gated = 1;
			w->gate = RO_GATE_AFTER_CS;
			gated_after_cs = 1;
		}
		if (i > 0 && p->waves[i - 1].canary && (g & RO_GATE_AFTER_CANARY)) {
			w->gated = 1;
			w->gate = RO_GATE_AFTER_CANARY;
		}
		if (i == 0 && (g & RO_GATE_BEFORE_FIRST)) {
			w->gated = 1;
			w->gate = RO_GATE_BEFORE_FIRST;
		}
	}
}

/* The hosts of site s allowed out of service at once: the lower of the
 * site's own limit and the policy's, at least 1. */
static uint32_t
site_limit(const struct ro_site *s, const struct ro_policy *pol)
{
	long lim = pol->max_unavailable.pct ?
	    (pol->max_unavailable.value * (long)s->nhosts + 99) / 100 : pol->max_unavailable.value;

	if (s->max_unavailable.value >= 0) {
		long own = s->max_unavailable.pct ?
		    (s->max_unavailable.value * (long)s->nhosts + 99) / 100 : s->max_unavailable.value;
		if (own < lim)
			lim = own;
	}
	return lim < 1 ? 1 : (uint32_t)lim;
}

static void
countpct_json(struct ro_buf *b, const struct ro_countpct *cp)
{
	if (cp->pct)
		ro_buf_printf(b, "\"%ld%%\"", cp->value);
	else
		ro_buf_printf(b, "%ld", cp->value);
}

/* An instant as "2026-10-05T08:45:00+09:00", or null. */
static void
time_json(struct ro_buf *b, int64_t t)
{
	char buf[40];

	if (t == RO_PLAN_NO_TIME)
		ro_buf_adds(b, "null");
	else
		ro_buf_printf(b, "\"%s\"", ro_pcal_fmt_iso(t, buf));
}

/* The object member ,"KEY":INSTANT (never the first member). */
static void
time_member(struct ro_buf *b, const char *key, int64_t t)
{
	ro_buf_printf(b, ",\"%s\":", key);
	time_json(b, t);
}

/* A span of time as [FROM,TO]. */
static void
time_span_json(struct ro_buf *b, int64_t from, int64_t to)
{
	ro_buf_addc(b, '[');
	time_json(b, from);
	ro_buf_addc(b, ',');
	time_json(b, to);
	ro_buf_addc(b, ']');
}

static void
schedule_json(const struct ro_plan *p, struct ro_buf *b)
{
	if (!p->timed) {
		ro_buf_adds(b, "null");
		return;
	}
	ro_buf_printf(b, "{\"window\":\"%s\",\"start\":", ro_window_names[p->window]);
	time_json(b, p->start);
	time_member(b, "first_start", p->first_start);
	time_member(b, "end", p->end);
	time_member(b, "deadline", p->deadline);
	ro_buf_adds(b, ",\"closed_window\":");
	if (p->window_start != RO_PLAN_NO_TIME)
		time_span_json(b, p->window_start, p->window_end);
	else
		ro_buf_adds(b, "null");
	time_member(b, "cs_end", p->cs_end);
	time_member(b, "skew_limit", p->skew_limit);
	time_member(b, "lower_bound", p->lower_bound);
	ro_buf_printf(b, ",\"lower_bound_work_s\":%lld,\"gap_s\":%lld,\"bound_by\":",
	    (long long)p->lb_work, (long long)p->gap);
	ro_buf_json_str(b, p->lb_binding);
	ro_buf_addc(b, '}');
}

/*
 * procedure_json writes a playbook's procedure (作業手順) into the plan: its
 * titles and, per step in order, the name, the kind, the roles it runs on,
 * what it does (the command, the upload and its hash, the instruction) and
 * its estimate, so that what the city approves, and reads on the console,
 * is the procedure itself and not only the playbook's hash.
 */
static void
procedure_json(const struct ro_playbook *pb, struct ro_buf *b)
{
	size_t i;
	int r, n;

	ro_buf_adds(b, ",\"title\":");
	ro_buf_json_str(b, pb->title);
	ro_buf_adds(b, ",\"title_ja\":");
	ro_buf_json_str(b, pb->title_ja);
	ro_buf_adds(b, ",\"steps\":[");
	for (i = 0; i < pb->nsteps; i++) {
		const struct ro_step *s = &pb->steps[i];
		ro_buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		ro_buf_json_str(b, s->name);
		/* Only when written, so that plans of playbooks without them keep
		 * their bytes; the console shows them (作業手順書). */
		if (s->title_ja != NULL) {
			ro_buf_adds(b, ",\"title_ja\":");
			ro_buf_json_str(b, s->title_ja);
		}
		if (s->description != NULL) {
			ro_buf_adds(b, ",\"description\":");
			ro_buf_json_str(b, s->description);
		}
		ro_buf_printf(b, ",\"kind\":\"%s\",\"roles\":[", ro_step_kind_names[s->kind]);
		for (r = 0, n = 0; r < RO_ROLE_N; r++)
			if (s->roles == 0 || (s->roles & RO_ROLE_BIT(r)))
				ro_buf_printf(b, "%s\"%s\"", n++ ? "," : "", ro_role_names[r]);
		ro_buf_adds(b, "],\"does\":");
		if (s->kind == RO_STEP_UPLOAD) {
			char *u = ro_xasprintf("%s -> %s (sha256 %s)", s->src ? s->src : "",
			    s->dest ? s->dest : "", s->sha256 ? s->sha256 : "");
			ro_buf_json_str(b, u);
			free(u);
		} else if (s->kind == RO_STEP_MANUAL)
			ro_buf_json_str(b, s->instruction_ja ? s->instruction_ja : s->instruction);
		else if (s->kind == RO_STEP_REBOOT)
			ro_buf_json_str(b, s->if_required ? "restart if an earlier step asked for it" :
			    "restart");
		else if (s->kind == RO_STEP_PASSWORD)
			ro_buf_json_str(b, s->credential); /* the entry's name, never a value */
		else if (s->kind == RO_STEP_FETCH)
			ro_buf_json_str(b, s->fetch_src);
		else
			ro_buf_json_str(b, s->command);
		ro_buf_printf(b, ",\"estimate_s\":%ld}", s->estimate);
	}
	ro_buf_addc(b, ']');
	if (pb->nrollback > 0) {
		ro_buf_adds(b, ",\"rollback\":[");
		for (i = 0; i < pb->nrollback; i++) {
			if (i)
				ro_buf_addc(b, ',');
			ro_buf_json_str(b, pb->rollback[i]);
		}
		ro_buf_addc(b, ']');
	}
}

/* The canonical body: fixed key order, no whitespace, no paths or times,
 * so that the bytes depend only on what the plan says. */
static void
canonical(struct ro_plan *p)
{
	const struct ro_campaign *c = p->campaign;
	const struct ro_inventory *inv = c->inv;
	const struct ro_policy *pol = &c->policy;
	struct ro_buf b;
	char h[65];
	size_t i, j;
	unsigned bit;

	ro_buf_init(&b);
	ro_buf_adds(&b, "{\"format\":\"" RO_PLAN_FORMAT "\",\"campaign\":");
	ro_buf_json_str(&b, c->id);
	ro_buf_adds(&b, ",\"title\":");
	ro_buf_json_str(&b, c->title);
	ro_hex(inv->sha256, 32, h);
	ro_buf_adds(&b, ",\"inventory\":{\"name\":");
	ro_buf_json_str(&b, inv->name);
	ro_buf_printf(&b, ",\"sha256\":\"%s\",\"hosts\":%zu,\"sites\":%zu}", h, inv->nhosts,
	    inv->nsites);
	ro_buf_adds(&b, ",\"playbooks\":[");
	for (i = 0; i < c->nplaybooks; i++) {
		ro_hex(c->playbooks[i]->sha256, 32, h);
		ro_buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
		ro_buf_json_str(&b, c->playbooks[i]->name);
		ro_buf_printf(&b, ",\"sha256\":\"%s\"", h);
		procedure_json(c->playbooks[i], &b);
		ro_buf_addc(&b, '}');
	}
	ro_buf_adds(&b, "],\"params\":{");
	for (i = 0; i < c->nparams; i++) {
		if (i)
			ro_buf_addc(&b, ',');
		ro_buf_json_str(&b, c->params[i].name);
		ro_buf_addc(&b, ':');
		ro_buf_json_str(&b, c->params[i].value);
	}
	ro_buf_adds(&b, "},\"start\":");
	if (c->start_day >= 0) {
		long y;
		unsigned m, d;
		ro_civil_from_days(c->start_day, &y, &m, &d);
		/* A date alone stays as it was, so that the hashes of plans made
		 * before times were accepted do not change. */
		if (c->start_has_time)
			ro_buf_printf(&b, "\"%04ld-%02u-%02u %02d:%02d\"", y, m, d,
			    c->start_min / 60, c->start_min % 60);
		else
			ro_buf_printf(&b, "\"%04ld-%02u-%02u\"", y, m, d);
	} else
		ro_buf_adds(&b, "null");
	if (c->incident > 0)
		ro_buf_printf(&b, ",\"incident\":%ld", c->incident);
	ro_buf_printf(&b, ",\"policy\":{\"canary\":%ld,\"wave_size\":", pol->canary);
	if (pol->wave_kind == RO_WAVE_PER_SITE)
		ro_buf_adds(&b, "\"per-site\"");
	else if (pol->wave_kind == RO_WAVE_PERCENT)
		ro_buf_printf(&b, "\"%ld%%\"", pol->wave_value);
	else
		ro_buf_printf(&b, "%ld", pol->wave_value);
	ro_buf_printf(&b, ",\"concurrency\":%ld,\"max_unavailable_per_site\":", pol->concurrency);
	countpct_json(&b, &pol->max_unavailable);
	ro_buf_adds(&b, ",\"failure_budget\":");
	countpct_json(&b, &pol->failure_budget);
	ro_buf_printf(&b, ",\"window\":\"%s\",\"skew\":\"%s\",\"skew_within_days\":%ld,\"gates\":[",
	    ro_window_names[pol->window], ro_skew_names[pol->skew], pol->skew_within_days);
	for (bit = 0, j = 0; ro_gate_names[bit]; bit++)
		if (pol->gates & (1u << bit))
			ro_buf_printf(&b, "%s\"%s\"", j++ ? "," : "", ro_gate_names[bit]);
	ro_buf_printf(&b, "],\"deadline_days\":%ld,\"early_start\":\"%s\"}", pol->deadline_days,
	    pol->early_start ? "allowed" : "no");
	/* Only a campaign with a roster has these keys, so the plans (and
	 * hashes) of campaigns without one stay as they were. */
	if (c->roster != NULL) {
		ro_buf_adds(&b, ",\"approvers\":");
		ro_roster_json(c->roster, &b);
	}
	/* The people the procedure names are part of what is approved; only a
	 * campaign with contacts has the key (earlier plans keep their hash). */
	if (c->ncontacts > 0) {
		ro_buf_adds(&b, ",\"contacts\":[");
		for (i = 0; i < c->ncontacts; i++) {
			ro_buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
			ro_buf_json_str(&b, c->contacts[i].name);
			ro_buf_adds(&b, ",\"role\":");
			ro_buf_json_str(&b, c->contacts[i].role);
			ro_buf_adds(&b, ",\"phone\":");
			ro_buf_json_str(&b, c->contacts[i].phone);
			ro_buf_adds(&b, ",\"org\":");
			ro_buf_json_str(&b, c->contacts[i].org);
			ro_buf_addc(&b, '}');
		}
		ro_buf_addc(&b, ']');
	}
	ro_buf_printf(&b, ",\"hosts\":%zu,\"schedule\":", c->nhosts);
	schedule_json(p, &b);
	ro_buf_adds(&b, ",\"waves\":[");
	for (i = 0; i < p->nwaves; i++) {
		const struct ro_wave *w = &p->waves[i];
		ro_buf_printf(&b, "%s{\"index\":%u,\"name\":", i ? "," : "", w->index);
		ro_buf_json_str(&b, w->name);
		ro_buf_adds(&b, ",\"phase\":");
		ro_buf_json_str(&b, c->phases[w->phase].name);
		ro_buf_printf(&b, ",\"canary\":%s,\"gated\":%s,\"failure_budget\":%ld,\"rounds\":%u",
		    w->canary ? "true" : "false", w->gated ? "true" : "false", w->failure_budget,
		    w->rounds);
		if (c->roster != NULL && w->gated)
			ro_buf_printf(&b, ",\"gate\":\"%s\"", ro_gate_name(w->gate));
		time_member(&b, "approval", w->approval);
		time_member(&b, "start", w->planned_start);
		time_member(&b, "end", w->planned_end);
		ro_buf_printf(&b, ",\"work_s\":%lld,\"sites\":[", (long long)w->work);
		for (j = 0; j < w->nhosts;) {
			uint32_t s = inv->hosts[w->hosts[j]].site;
			size_t k;
			ro_buf_adds(&b, j ? ",{\"site\":" : "{\"site\":");
			ro_buf_json_str(&b, inv->sites[s].id);
			ro_buf_printf(&b, ",\"limit\":%u,", p->site_limit[s]);
			/* The first day the site's hosts of this wave may start
			 * (the run keeps it unless early_start is allowed). */
			if (p->timed) {
				int64_t first = INT64_MAX;
				char day[40];
				for (k = j; k < w->nhosts && inv->hosts[w->hosts[k]].site == s; k++)
					if (p->host_start[w->hosts[k]] < first)
						first = p->host_start[w->hosts[k]];
				ro_buf_printf(&b, "\"not_before\":\"%s\",", ro_pcal_fmt_day(ro_pcal_day(first), day));
			}
			ro_buf_adds(&b, "\"hosts\":[");
			for (k = j; k < w->nhosts && inv->hosts[w->hosts[k]].site == s; k++) {
				if (k > j)
					ro_buf_addc(&b, ',');
				ro_buf_json_str(&b, inv->hosts[w->hosts[k]].name);
			}
			ro_buf_adds(&b, "],\"times\":[");
			for (k = j; k < w->nhosts && inv->hosts[w->hosts[k]].site == s; k++) {
				if (k > j)
					ro_buf_addc(&b, ',');
				time_span_json(&b, p->host_start[w->hosts[k]], p->host_end[w->hosts[k]]);
			}
			ro_buf_adds(&b, "]}");
			j = k;
		}
		ro_buf_adds(&b, "]}");
	}
	ro_buf_adds(&b, "]}");
	p->canonical = b.p;
	p->canonical_len = b.len;
}

/* J-LIS application updates (and any campaign with a skew rule) put the
 * CS before every terminal, whatever the phases say: a stable partition
 * that keeps each group's order. */
static void
cs_first(struct ro_plan *p, const struct ro_campaign *c)
{
	struct ro_wave *v;
	size_t i, n = 0;
	int need = c->policy.skew != RO_SKEW_ANY;

	for (i = 0; i < c->nplaybooks; i++)
		if (c->playbooks[i]->work && strcmp(c->playbooks[i]->work, "jlis-app-update") == 0)
			need = 1;
	if (!need || p->nwaves == 0)
		return;
	v = ro_xmalloc(p->nwaves * sizeof *v);
	for (i = 0; i < p->nwaves; i++)
		if (RO_IS_CS(c->inv, p->waves[i].hosts[0]))
			v[n++] = p->waves[i];
	for (i = 0; i < p->nwaves; i++)
		if (!RO_IS_CS(c->inv, p->waves[i].hosts[0]))
			v[n++] = p->waves[i];
	for (i = 0; i < n; i++)
		v[i].index = (uint32_t)i;
	memcpy(p->waves, v, n * sizeof *v);
	free(v);
}

/* The estimate of every in-scope host: its steps over its playbooks. */
static void
estimates(struct ro_plan *p, const struct ro_campaign *c)
{
	const struct ro_inventory *inv = c->inv;
	size_t i, j, k;

	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		unsigned bit = RO_ROLE_BIT(inv->hosts[h].role);
		long sum = 0;
		for (j = 0; j < c->nplaybooks; j++) {
			const struct ro_playbook *pb = c->playbooks[j];
			if (!(c->host_playbooks[i] & (1u << j)))
				continue;
			for (k = 0; k < pb->nsteps; k++)
				if (pb->steps[k].roles == 0 || (pb->steps[k].roles & bit))
					sum += pb->steps[k].estimate;
		}
		p->host_estimate[h] = sum > 0 ? sum : 1;
	}
}

/* Places the waves in time; RO_EINFEASIBLE with a diagnostic if no plan fits. */
static int
schedule(struct ro_plan *p, const struct ro_campaign *c, struct ro_diags *d)
{
	const struct ro_inventory *inv = c->inv;
	struct ro_sched s;
	struct ro_bound bd;
	size_t i, j;
	int rc = RO_OK;

	ro_sched_init(&s, p, p->host_estimate);
	if (c->policy.skew == RO_SKEW_NONE) {
		/* Everything inside the first closed-office window after the start. */
		struct ro_span *w = NULL;
		size_t n = 0;
		ro_sched_closed_windows(&s, s.start = ro_pcal_at(s.start_day, 0),
		    ro_pcal_at(s.start_day, 0) + 400 * 86400LL, &w, &n);
		if (n == 0) {
			ro_diag_add(d, c->path, 0, 0, "choose another start day",
			    "skew: none needs a closed-office window, and none begins within 400 days of the start");
			free(w);
			rc = RO_EINFEASIBLE;
			goto out;
		}
		s.only = w[0];
		free(w);
	}
	if ((rc = ro_sched_run(&s)) != RO_OK) {
		ro_plan_explain(&s, d);
		goto out;
	}
	p->timed = 1;
	p->start = s.start;
	p->first_start = s.first_start;
	p->end = s.end;
	p->deadline = s.deadline;
	p->cs_end = s.cs_end;
	p->skew_limit = s.skew_limit;
	if (s.only.end > s.only.start) {
		p->window_start = s.only.start;
		p->window_end = s.only.end;
	}
	for (i = 0; i < p->nwaves; i++) {
		struct ro_wave *w = &p->waves[i];
		w->approval = s.w_approval[i];
		w->approval_off_hours = w->gated && w->approval != RO_PLAN_NO_TIME &&
		    ro_pcal_next_working(s.cal, w->approval) != w->approval;
		w->planned_start = s.w_start[i];
		w->planned_end = s.w_end[i];
		for (j = 0; j < w->nhosts; j++) {
			uint32_t h = w->hosts[j];
			p->host_start[h] = s.hs[h];
			p->host_end[h] = s.he[h];
		}
	}
	ro_sched_bound(&s, &bd);
	p->lower_bound = bd.at;
	p->lb_work = bd.need;
	p->lb_binding = ro_arena_strdup(&p->arena, bd.what);
	p->gap = bd.at < p->end ? ro_sched_window_time(&s, bd.at, p->end) : 0;
	(void)inv;
out:
	ro_sched_fini(&s);
	return rc;
}

int
ro_plan_build(const struct ro_campaign *c, struct ro_plan **out, struct ro_diags *d)
{
	struct builder b;
	struct ro_plan *p;
	uint8_t digest[32];
	size_t i, j, nh = c->inv->nhosts;
	int rc;

	*out = NULL;
	p = ro_xcalloc(1, sizeof *p);
	ro_arena_init(&p->arena);
	p->campaign = c;
	memset(&b, 0, sizeof b);
	b.p = p;
	b.c = c;
	b.site_count = ro_xcalloc(c->inv->nsites, sizeof *b.site_count);
	p->site_limit = ro_arena_alloc(&p->arena, c->inv->nsites * sizeof *p->site_limit);
	for (i = 0; i < c->inv->nsites; i++)
		p->site_limit[i] = site_limit(&c->inv->sites[i], &c->policy);
	for (i = 0; i < c->nphases; i++)
		plan_phase(&b, (uint32_t)i);
	free(b.site_count);
	cs_first(p, c);
	apply_gates(p, c);

	p->window = c->policy.skew == RO_SKEW_NONE ? RO_WINDOW_CLOSED_OFFICE : (int)c->policy.window;
	p->start = p->first_start = p->end = p->deadline = RO_PLAN_NO_TIME;
	p->window_start = p->window_end = p->cs_end = p->skew_limit = RO_PLAN_NO_TIME;
	p->lower_bound = RO_PLAN_NO_TIME;
	p->host_start = ro_arena_alloc(&p->arena, (nh ? nh : 1) * sizeof *p->host_start);
	p->host_end = ro_arena_alloc(&p->arena, (nh ? nh : 1) * sizeof *p->host_end);
	p->host_estimate = ro_arena_alloc(&p->arena, (nh ? nh : 1) * sizeof *p->host_estimate);
	p->host_wave = ro_arena_alloc(&p->arena, (nh ? nh : 1) * sizeof *p->host_wave);
	for (i = 0; i < nh; i++) {
		p->host_start[i] = p->host_end[i] = RO_PLAN_NO_TIME;
		p->host_estimate[i] = 0;
		p->host_wave[i] = UINT32_MAX;
	}
	estimates(p, c);
	for (i = 0; i < p->nwaves; i++) {
		struct ro_wave *w = &p->waves[i];
		w->approval = w->planned_start = w->planned_end = RO_PLAN_NO_TIME;
		w->work = 0;
		for (j = 0; j < w->nhosts; j++) {
			p->host_wave[w->hosts[j]] = (uint32_t)i;
			w->work += p->host_estimate[w->hosts[j]];
		}
	}
	if (c->start_day >= 0 && p->nwaves > 0 && (rc = schedule(p, c, d)) != RO_OK) {
		ro_plan_free(p);
		return rc;
	}
	canonical(p);
	crypto_hash_sha256(digest, (const unsigned char *)p->canonical, p->canonical_len);
	ro_hex(digest, 32, p->hash);
	*out = p;
	return RO_OK;
}

long
ro_plan_host_estimate(const struct ro_plan *p, uint32_t host)
{
	if (host >= p->campaign->inv->nhosts)
		return 0;
	return p->host_estimate[host];
}

void
ro_plan_free(struct ro_plan *p)
{
	if (p == NULL)
		return;
	free(p->waves);
	free(p->canonical);
	ro_arena_free(&p->arena);
	free(p);
}

void
ro_plan_json(const struct ro_plan *p, struct ro_buf *b)
{
	ro_buf_printf(b, "{\"plan_hash\":\"%s\",%s", p->hash, p->canonical + 1);
}
