/*
 * plan-schedule.c - placing a plan's waves in time (planner v2).
 *
 * Waves run one after another: a wave becomes ready when the one before it
 * has ended (a gated wave when its approval is planned). Inside a wave the
 * hosts are started by list scheduling in the wave's order, at the earliest
 * instant when (1) fewer than `concurrency` hosts are in progress, (2) fewer
 * than the site's limit of its hosts are in progress (business and any
 * windows; in a closed-office window the counters are closed), and (3) the
 * host's whole estimated work fits before its window closes: work is never
 * started that cannot finish in its window. A site whose next host does not
 * fit waits for its next window (its later hosts keep their order).
 *
 * Cost: O(n log s) for n hosts in s sites, plus O(s) per window opening
 * for the sites that wait for it. Every choice has a total order (wave
 * position, then host index), so the result is deterministic.
 */
#include "plan-internal.h"
#include "error.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define HORIZON_DAYS 800
#define NO_LIMIT UINT32_MAX

enum { ST_IDLE, ST_READY, ST_PARKED };

/* ---- heaps ---------------------------------------------------------- */

static int
run_less(const struct ro_run *a, const struct ro_run *b)
{
	return a->end != b->end ? a->end < b->end : a->host < b->host;
}

static void
rheap_push(struct ro_sched *s, int64_t end, uint32_t host)
{
	size_t i = s->nrheap++;

	s->rheap[i] = (struct ro_run){ end, host };
	while (i > 0) {
		size_t up = (i - 1) / 2;
		struct ro_run t;
		if (!run_less(&s->rheap[i], &s->rheap[up]))
			break;
		t = s->rheap[i];
		s->rheap[i] = s->rheap[up];
		s->rheap[up] = t;
		i = up;
	}
}

static struct ro_run
rheap_pop(struct ro_sched *s)
{
	struct ro_run top = s->rheap[0];
	size_t i = 0, n = --s->nrheap;

	s->rheap[0] = s->rheap[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct ro_run t;
		if (l < n && run_less(&s->rheap[l], &s->rheap[m]))
			m = l;
		if (r < n && run_less(&s->rheap[r], &s->rheap[m]))
			m = r;
		if (m == i)
			break;
		t = s->rheap[i];
		s->rheap[i] = s->rheap[m];
		s->rheap[m] = t;
		i = m;
	}
	return top;
}

/* The ready sites, keyed by the wave position of their next host. */
static uint32_t
ekey(const struct ro_sched *s, uint32_t site)
{
	return s->q[s->qhead[site]];
}

static void
eheap_push(struct ro_sched *s, uint32_t site)
{
	size_t i = s->neheap++;

	s->eheap[i] = site;
	s->state[site] = ST_READY;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		uint32_t t;
		if (ekey(s, s->eheap[i]) >= ekey(s, s->eheap[up]))
			break;
		t = s->eheap[i];
		s->eheap[i] = s->eheap[up];
		s->eheap[up] = t;
		i = up;
	}
}

static void
eheap_pop(struct ro_sched *s)
{
	size_t i = 0, n = --s->neheap;

	s->eheap[0] = s->eheap[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;
		if (l < n && ekey(s, s->eheap[l]) < ekey(s, s->eheap[m]))
			m = l;
		if (r < n && ekey(s, s->eheap[r]) < ekey(s, s->eheap[m]))
			m = r;
		if (m == i)
			break;
		t = s->eheap[i];
		s->eheap[i] = s->eheap[m];
		s->eheap[m] = t;
		i = m;
	}
}

/* ---- windows -------------------------------------------------------- */

static void
load_windows(struct ro_sched *s)
{
	size_t g, i;
	int64_t from = ro_pcal_at(s->start_day, 0), to = from + (int64_t)HORIZON_DAYS * 86400;

	s->windows_from = from;
	for (g = 0; g < s->ngroups; g++) {
		struct ro_sched_group *gr = &s->groups[g];
		free(gr->w);
		gr->w = NULL;
		gr->n = 0;
		ro_pcal_windows(s->cal, (enum ro_pcal_kind)s->kind, gr->open, gr->close, from, to,
		    &gr->w, &gr->n);
		gr->longest = 0;
		for (i = 0; i < gr->n; i++)
			if (gr->w[i].end - gr->w[i].start > gr->longest)
				gr->longest = gr->w[i].end - gr->w[i].start;
	}
}

void
ro_sched_set_start(struct ro_sched *s, int32_t day)
{
	s->start_day = day;
	load_windows(s);
}

int
ro_sched_closed_windows(struct ro_sched *s, int64_t from, int64_t to, struct ro_span **out,
    size_t *n)
{
	return ro_pcal_windows(s->cal, RO_PCAL_CLOSED, -1, -1, from, to, out, n);
}

/* The windows a group uses in this run: its own, or the one window of a
 * skew-none plan. */
static const struct ro_span *
group_windows(const struct ro_sched *s, const struct ro_sched_group *gr, size_t *n)
{
	if (s->only.end > s->only.start) {
		*n = 1;
		return &s->only;
	}
	*n = gr->n;
	return gr->w;
}

/* Moves g's cursor to the first window that ends after t; returns it or NULL. */
static const struct ro_span *
window_at(struct ro_sched *s, struct ro_sched_group *gr, int64_t t)
{
	size_t n;
	const struct ro_span *w = group_windows(s, gr, &n);

	while (gr->cur < n && w[gr->cur].end <= t)
		gr->cur++;
	return gr->cur < n ? &w[gr->cur] : NULL;
}

/* The start of g's first window that starts after t, or INT64_MAX. */
static int64_t
next_open(struct ro_sched *s, struct ro_sched_group *gr, int64_t t)
{
	size_t n, i;
	const struct ro_span *w = group_windows(s, gr, &n);

	for (i = gr->cur; i < n; i++)
		if (w[i].start > t)
			return w[i].start;
	return INT64_MAX;
}

/* Sets site aside until its group's next window opens after t. All the
 * sites parked in a group wait for the same opening: they are all let go
 * when it comes. */
static void
park(struct ro_sched *s, uint32_t site, int64_t t)
{
	struct ro_sched_group *gr = &s->groups[s->site_group[site]];

	if (gr->nparked == 0)
		gr->reopen = next_open(s, gr, t);

	if (gr->nparked == gr->capparked) {
		gr->capparked = gr->capparked ? 2 * gr->capparked : 64;
		gr->parked = ro_xrealloc(gr->parked, gr->capparked * sizeof *gr->parked);
	}
	gr->parked[gr->nparked++] = site;
	s->state[site] = ST_PARKED;
}

/* ---- setup ---------------------------------------------------------- */

void
ro_sched_init(struct ro_sched *s, const struct ro_plan *p, const long *est)
{
	const struct ro_campaign *c = p->campaign;
	const struct ro_inventory *inv = c->inv;
	size_t i, g, maxw = 1;

	memset(s, 0, sizeof *s);
	s->c = c;
	s->p = p;
	s->est = est;
	s->cal = ro_pcal_new(inv->closed_days, inv->nclosed_days);
	s->skew = c->policy.skew;
	s->kind = c->policy.skew == RO_SKEW_NONE ? RO_PCAL_CLOSED :
	    c->policy.window == RO_WINDOW_CLOSED_OFFICE ? RO_PCAL_CLOSED :
	    c->policy.window == RO_WINDOW_ANY ? RO_PCAL_ANY : RO_PCAL_BUSINESS;
	s->site_limits_apply = s->kind != RO_PCAL_CLOSED;
	s->concurrency = c->policy.concurrency > 0 ? c->policy.concurrency : 1;
	s->deadline_days = c->policy.deadline_days;
	s->skew_days = c->policy.skew_within_days;
	s->limit = ro_xmalloc((inv->nsites ? inv->nsites : 1) * sizeof *s->limit);
	for (i = 0; i < inv->nsites; i++)
		s->limit[i] = p->site_limit[i];
	/* One group of windows per distinct working hours: sites may override. */
	s->site_group = ro_xcalloc(inv->nsites ? inv->nsites : 1, sizeof *s->site_group);
	s->groups = ro_xcalloc(inv->nsites + 1, sizeof *s->groups);
	s->groups[0].open = s->groups[0].close = -1;
	s->ngroups = 1;
	for (i = 0; i < inv->nsites; i++) {
		const struct ro_site *st = &inv->sites[i];
		int open = st->hours_open, close = st->hours_close;
		if (s->kind != RO_PCAL_BUSINESS || open < 0)
			continue;
		for (g = 1; g < s->ngroups; g++)
			if (s->groups[g].open == open && s->groups[g].close == close)
				break;
		if (g == s->ngroups) {
			s->groups[g].open = open;
			s->groups[g].close = close;
			s->ngroups++;
		}
		s->site_group[i] = (uint32_t)g;
	}
	s->hs = ro_xmalloc(inv->nhosts * sizeof *s->hs + 1);
	s->he = ro_xmalloc(inv->nhosts * sizeof *s->he + 1);
	s->w_start = ro_xmalloc((p->nwaves + 1) * sizeof *s->w_start);
	s->w_end = ro_xmalloc((p->nwaves + 1) * sizeof *s->w_end);
	s->w_approval = ro_xmalloc((p->nwaves + 1) * sizeof *s->w_approval);
	for (i = 0; i < p->nwaves; i++)
		if (p->waves[i].nhosts > maxw)
			maxw = p->waves[i].nhosts;
	s->q = ro_xmalloc(maxw * sizeof *s->q);
	s->qhead = ro_xcalloc(inv->nsites + 1, sizeof *s->qhead);
	s->qend = ro_xcalloc(inv->nsites + 1, sizeof *s->qend);
	s->srun = ro_xcalloc(inv->nsites + 1, sizeof *s->srun);
	s->touched = ro_xmalloc((inv->nsites + 1) * sizeof *s->touched);
	s->state = ro_xcalloc(inv->nsites + 1, 1);
	s->eheap = ro_xmalloc((inv->nsites + 1) * sizeof *s->eheap);
	s->rheap = ro_xmalloc(maxw * sizeof *s->rheap);
	s->start_day = c->start_day >= 0 ? (int32_t)c->start_day : 0;
	load_windows(s);
}

void
ro_sched_fini(struct ro_sched *s)
{
	size_t g;

	for (g = 0; g < s->ngroups; g++) {
		free(s->groups[g].w);
		free(s->groups[g].parked);
	}
	free(s->groups);
	free(s->site_group);
	free(s->limit);
	ro_pcal_free(s->cal);
	free(s->hs);
	free(s->he);
	free(s->w_start);
	free(s->w_end);
	free(s->w_approval);
	free(s->q);
	free(s->qhead);
	free(s->qend);
	free(s->srun);
	free(s->touched);
	free(s->state);
	free(s->eheap);
	free(s->rheap);
}

/* ---- one wave ------------------------------------------------------- */

/* Places the hosts of wave w, none before ready. Returns its end, or -1
 * (s->fail set). */
static int64_t
place_wave(struct ro_sched *s, const struct ro_wave *w, int64_t ready)
{
	const struct ro_inventory *inv = s->c->inv;
	size_t i, nt = 0, g, left = w->nhosts;
	uint32_t pos;
	int64_t t = ready, end = ready;
	long running = 0;

	/* Queue the hosts per site, in wave order (a counting sort). */
	for (i = 0; i < w->nhosts; i++) {
		uint32_t site = inv->hosts[w->hosts[i]].site;
		if (s->qend[site] == 0)
			s->touched[nt++] = site;
		s->qend[site]++;
	}
	for (i = 0, pos = 0; i < nt; i++) {
		uint32_t site = s->touched[i], cnt = s->qend[site];
		s->qhead[site] = s->qend[site] = pos;
		pos += cnt;
	}
	for (i = 0; i < w->nhosts; i++) {
		uint32_t site = inv->hosts[w->hosts[i]].site;
		s->q[s->qend[site]++] = (uint32_t)i;
	}
	s->neheap = 0;
	s->nrheap = 0;
	for (g = 0; g < s->ngroups; g++) {
		s->groups[g].nparked = 0;
		s->groups[g].cur = 0;
	}
	for (i = 0; i < nt; i++) {
		s->state[s->touched[i]] = ST_IDLE;
		s->srun[s->touched[i]] = 0;
		eheap_push(s, s->touched[i]);
	}
	/* A host longer than every window can never be placed. */
	for (i = 0; i < w->nhosts; i++) {
		uint32_t h = w->hosts[i];
		struct ro_sched_group *gr = &s->groups[s->site_group[inv->hosts[h].site]];
		size_t n;
		const struct ro_span *sp = group_windows(s, gr, &n);
		int64_t longest = s->only.end > s->only.start ? sp[0].end - sp[0].start : gr->longest;
		if (s->est[h] > longest) {
			s->fail = RO_SF_TOO_LONG;
			s->fail_host = h;
			end = -1;
			goto out;
		}
	}

	while (left > 0 || s->nrheap > 0) {
		int64_t tn = INT64_MAX;

		while (running < s->concurrency && s->neheap > 0) {
			uint32_t site = s->eheap[0], h = w->hosts[ekey(s, site)];
			struct ro_sched_group *gr = &s->groups[s->site_group[site]];
			const struct ro_span *win = window_at(s, gr, t);
			uint32_t lim = s->site_limits_apply ? s->limit[site] : NO_LIMIT;

			eheap_pop(s);
			if (win == NULL || win->start > t || t + s->est[h] > win->end) {
				park(s, site, t);
				continue;
			}
			s->hs[h] = t;
			s->he[h] = t + s->est[h];
			if (s->he[h] > end)
				end = s->he[h];
			rheap_push(s, s->he[h], h);
			running++;
			left--;
			s->srun[site]++;
			s->qhead[site]++;
			if (s->qhead[site] < s->qend[site] && s->srun[site] < lim)
				eheap_push(s, site);
			else
				s->state[site] = ST_IDLE;
		}
		if (left == 0)
			break;
		if (s->nrheap > 0)
			tn = s->rheap[0].end;
		if (running < s->concurrency)
			for (g = 0; g < s->ngroups; g++)
				if (s->groups[g].nparked && s->groups[g].reopen < tn)
					tn = s->groups[g].reopen;
		if (tn == INT64_MAX) {
			s->fail = RO_SF_HORIZON;
			end = -1;
			goto out;
		}
		t = tn;
		while (s->nrheap > 0 && s->rheap[0].end <= t) {
			struct ro_run r = rheap_pop(s);
			uint32_t site = inv->hosts[r.host].site;
			running--;
			s->srun[site]--;
			if (s->state[site] == ST_IDLE && s->qhead[site] < s->qend[site])
				eheap_push(s, site);
		}
		for (g = 0; g < s->ngroups; g++) {
			struct ro_sched_group *gr = &s->groups[g];
			if (gr->nparked && gr->reopen <= t) {
				size_t k, np = gr->nparked;
				gr->nparked = 0;
				for (k = 0; k < np; k++) {
					uint32_t site = gr->parked[k];
					uint32_t lim = s->site_limits_apply ? s->limit[site] : NO_LIMIT;
					if (s->srun[site] < lim)
						eheap_push(s, site);
					else
						s->state[site] = ST_IDLE;
				}
			}
		}
	}
out:
	for (i = 0; i < nt; i++) {
		uint32_t site = s->touched[i];
		s->qhead[site] = s->qend[site] = 0;
		s->srun[site] = 0;
		s->state[site] = ST_IDLE;
	}
	return end;
}

/* ---- the whole plan ------------------------------------------------- */

/*
 * last_working_before is the opening of the last working day that opens
 * before t, or t itself when t is working time: when the city approves, in
 * its working hours, the first gate of work planned outside them (the
 * Friday before a weekend window, never 00:00 on the Saturday).
 */
static int64_t
last_working_before(const struct ro_pcal *cal, int64_t t)
{
	int32_t d;

	if (ro_pcal_next_working(cal, t) == t)
		return t;
	for (d = ro_pcal_day(t); d > ro_pcal_day(t) - 60; d--) {
		int64_t open;
		if (!ro_pcal_is_workday(cal, d))
			continue;
		open = ro_pcal_next_working(cal, ro_pcal_at(d, 0));
		if (open < t)
			return open;
	}
	return t; /* no working day in two months: nothing better to plan */
}

int
ro_sched_run(struct ro_sched *s)
{
	const struct ro_plan *p = s->p;
	const struct ro_campaign *c = s->c;
	const struct ro_inventory *inv = c->inv;
	int64_t ready;
	size_t i, j;
	int has_term = 0;

	s->fail = RO_SF_NONE;
	/* A campaign started for an incident may give a time of day: nothing
	 * of it runs before then (on the day given; a later day the search
	 * moved to starts at its beginning). */
	s->start = ro_pcal_at(s->start_day, c->start_has_time && c->start_day == s->start_day ?
	    c->start_min : 0);
	s->first_start = s->end = RO_PLAN_NO_TIME;
	s->cs_end = s->term_end = s->skew_limit = RO_PLAN_NO_TIME;
	ready = s->start;
	if (s->only.end > s->only.start && s->only.start < ready)
		s->only.start = ready;
	for (i = 0; i < p->nwaves; i++) {
		const struct ro_wave *w = &p->waves[i];
		int64_t approval = RO_PLAN_NO_TIME, end;
		if (w->gated) {
			/* In business windows the city reviews a wave's results
			 * and approves the next one at the next working day's
			 * opening (the first wave: at the first opening). For
			 * work outside business hours, the first gate is approved
			 * in the working hours before it; a later gate follows
			 * waves that must be done first, so the next wave waits
			 * for the next working hours and then its next window.
			 * Only skew none, whose one window leaves no working
			 * hours between its waves, plans such a gate inside the
			 * window (an approver on duty; the text says so). */
			if (s->kind != RO_PCAL_BUSINESS && i == 0)
				approval = last_working_before(s->cal, ready);
			else if (s->kind != RO_PCAL_BUSINESS && s->skew == RO_SKEW_NONE)
				approval = ready;
			else if (s->kind != RO_PCAL_BUSINESS)
				approval = ro_pcal_next_working(s->cal, ready);
			else if (i == 0)
				approval = ro_pcal_next_working(s->cal, ready);
			else
				approval = ro_pcal_next_working(s->cal,
				    ro_pcal_at(ro_pcal_day(ready) + 1, 0));
			if (approval == INT64_MAX) {
				s->fail = RO_SF_HORIZON;
				return RO_EINFEASIBLE;
			}
			if (approval > ready)
				ready = approval;
		}
		end = place_wave(s, w, ready);
		if (end < 0) {
			if (s->fail == RO_SF_HORIZON && s->only.end > s->only.start)
				s->fail = RO_SF_WINDOW;
			return RO_EINFEASIBLE;
		}
		s->w_approval[i] = approval;
		s->w_start[i] = INT64_MAX;
		s->w_end[i] = end;
		for (j = 0; j < w->nhosts; j++) {
			uint32_t h = w->hosts[j];
			if (s->hs[h] < s->w_start[i])
				s->w_start[i] = s->hs[h];
			if (RO_IS_CS(inv, h)) {
				if (s->cs_end == RO_PLAN_NO_TIME || s->he[h] > s->cs_end)
					s->cs_end = s->he[h];
			} else {
				has_term = 1;
				if (s->term_end == RO_PLAN_NO_TIME || s->he[h] > s->term_end)
					s->term_end = s->he[h];
			}
		}
		if (s->first_start == RO_PLAN_NO_TIME)
			s->first_start = s->w_start[i];
		ready = end;
	}
	s->end = ready;
	if (s->first_start == RO_PLAN_NO_TIME)
		s->first_start = s->end = s->start;
	s->deadline = ro_pcal_at(ro_pcal_day(s->first_start) + (int32_t)s->deadline_days, 0);
	if (s->only.end > s->only.start && s->only.end < s->deadline)
		s->deadline = s->only.end;
	if (s->skew == RO_SKEW_CS_AHEAD && s->cs_end != RO_PLAN_NO_TIME && has_term) {
		s->skew_limit = ro_pcal_after_workdays(s->cal, s->cs_end, s->skew_days);
		if (s->term_end > s->skew_limit) {
			s->fail = RO_SF_SKEW;
			return RO_EINFEASIBLE;
		}
	}
	if (s->end > s->deadline) {
		s->fail = s->only.end > s->only.start && s->end > s->only.end ? RO_SF_WINDOW :
		    RO_SF_DEADLINE;
		return RO_EINFEASIBLE;
	}
	return RO_OK;
}

/* ---- lower bound ---------------------------------------------------- */

int64_t
ro_sched_window_time(const struct ro_sched *s, int64_t a, int64_t b)
{
	size_t n, i;
	const struct ro_span *w = group_windows(s, &s->groups[0], &n);
	int64_t sum = 0;

	for (i = 0; i < n && w[i].start < b; i++) {
		int64_t lo = w[i].start > a ? w[i].start : a, hi = w[i].end < b ? w[i].end : b;
		if (hi > lo)
			sum += hi - lo;
	}
	return sum;
}

/* The instant when need seconds of window time after t have passed. */
static int64_t
advance(const struct ro_sched *s, int64_t t, int64_t need)
{
	size_t n, i;
	const struct ro_span *w = group_windows(s, &s->groups[0], &n);

	for (i = 0; i < n; i++) {
		int64_t lo = w[i].start > t ? w[i].start : t;
		if (w[i].end <= lo)
			continue;
		if (lo + need <= w[i].end)
			return lo + need;
		need -= w[i].end - lo;
	}
	return INT64_MAX;
}

void
ro_sched_bound(struct ro_sched *s, struct ro_bound *b)
{
	const struct ro_campaign *c = s->c;
	const struct ro_inventory *inv = c->inv;
	int64_t cs = 0, work = 0, longest = 0, site_best = 0, conc;
	int64_t *per = ro_xcalloc(inv->nsites + 1, sizeof *per);
	uint32_t best_site = 0;
	size_t i;

	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		if (RO_IS_CS(inv, h)) {
			cs += s->est[h];
			continue;
		}
		work += s->est[h];
		per[inv->hosts[h].site] += s->est[h];
		if (s->est[h] > longest)
			longest = s->est[h];
	}
	if (s->site_limits_apply)
		for (i = 0; i < inv->nsites; i++) {
			int64_t v = (per[i] + s->limit[i] - 1) / s->limit[i];
			if (v > site_best) {
				site_best = v;
				best_site = (uint32_t)i;
			}
		}
	free(per);
	conc = (work + s->concurrency - 1) / s->concurrency;
	b->kind = 0;
	b->need = conc;
	snprintf(b->what, sizeof b->what, "concurrency %ld", s->concurrency);
	if (site_best > b->need) {
		const struct ro_site *st = &inv->sites[best_site];
		b->kind = 1;
		b->site = best_site;
		b->need = site_best;
		snprintf(b->what, sizeof b->what, "max unavailable %u at %s", s->limit[best_site],
		    st->name ? st->name : st->id);
	}
	if (longest > b->need) {
		b->kind = 3;
		b->need = longest;
		snprintf(b->what, sizeof b->what, "the longest host's work");
	}
	if (cs > 0 && cs >= b->need) {
		b->kind = 2;
		snprintf(b->what, sizeof b->what, "the CS pair, one node at a time");
	}
	b->need += cs;
	b->at = advance(s, s->start, b->need);
}
