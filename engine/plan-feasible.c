/*
 * plan-feasible.c - when no schedule meets the constraints: say what failed,
 * which constraint binds, and the smallest single change that makes the plan
 * fit, found by re-running the scheduler with that one setting changed.
 *
 * The searches: concurrency (binary search up to the hosts in scope), the
 * max unavailable of the sites that bound the work most (linear from the
 * current limit), the start day (the nearest earlier or later day), the
 * deadline or skew days (computed from the schedule), and for skew: none the
 * next closed-office window that holds all the work.
 */
#include "plan-internal.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define START_SEARCH_DAYS 45
#define WINDOW_SEARCH_DAYS 400
#define SITES_TRIED 3

char *
ro_plan_fmt_dur(int64_t secs, char *buf, size_t n)
{
	int64_t m = (secs + 59) / 60;

	if (m >= 60)
		snprintf(buf, n, "%lldh %02lldm", (long long)(m / 60), (long long)(m % 60));
	else
		snprintf(buf, n, "%lldm", (long long)m);
	return buf;
}

static int
fits(struct ro_sched *s)
{
	return ro_sched_run(s) == RO_OK;
}

static const char *
site_name(const struct ro_site *st)
{
	return st->name ? st->name : st->id;
}

/* Terminals (and CS) of each site in scope. */
static uint32_t *
site_hosts(const struct ro_sched *s)
{
	const struct ro_campaign *c = s->c;
	uint32_t *n = ro_xcalloc(c->inv->nsites + 1, sizeof *n);
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		n[c->inv->hosts[c->hosts[i]].site]++;
	return n;
}

struct fixes {
	char conc[160], site[300], start[160], days[160], window[300];
	const char *order[5];
};

static void
try_concurrency(struct ro_sched *s, struct fixes *f)
{
	long c0 = s->concurrency, hi = (long)s->c->nhosts, lo = c0 + 1;

	if (c0 >= hi)
		return;
	s->concurrency = hi;
	if (fits(s)) {
		while (lo < hi) {
			long mid = lo + (hi - lo) / 2;
			s->concurrency = mid;
			if (fits(s))
				hi = mid;
			else
				lo = mid + 1;
		}
		snprintf(f->conc, sizeof f->conc, "concurrency ≥ %ld", hi);
	}
	s->concurrency = c0;
}

static void
try_sites(struct ro_sched *s, struct fixes *f)
{
	const struct ro_inventory *inv = s->c->inv;
	uint32_t *nh = site_hosts(s), tried[SITES_TRIED];
	int64_t *work = ro_xcalloc(inv->nsites + 1, sizeof *work);
	size_t i, k, ntried = 0;

	if (!s->site_limits_apply)
		goto out;
	for (i = 0; i < s->c->nhosts; i++) {
		uint32_t h = s->c->hosts[i];
		if (!RO_IS_CS(inv, h))
			work[inv->hosts[h].site] += s->est[h];
	}
	while (ntried < SITES_TRIED) {
		/* The untried site with the most work per allowed slot. */
		long best = -1;
		int64_t bv = 0;
		for (i = 0; i < inv->nsites; i++) {
			int64_t v = work[i] / s->limit[i];
			for (k = 0; k < ntried && tried[k] != i; k++)
				;
			if (k < ntried || s->limit[i] >= nh[i] || v <= bv)
				continue;
			bv = v;
			best = (long)i;
		}
		if (best < 0)
			break;
		tried[ntried++] = (uint32_t)best;
		{
			uint32_t l0 = s->limit[best], l;
			s->limit[best] = nh[best];
			if (fits(s)) {
				for (l = l0 + 1; l < nh[best]; l++) {
					s->limit[best] = l;
					if (fits(s))
						break;
				}
				snprintf(f->site, sizeof f->site, "raise max unavailable at %s to %u",
				    site_name(&inv->sites[best]), l);
				s->limit[best] = l0;
				break;
			}
			s->limit[best] = l0;
		}
	}
out:
	free(nh);
	free(work);
}

static void
try_start(struct ro_sched *s, struct fixes *f)
{
	int32_t d0 = s->start_day, k;
	char day[40];

	for (k = 1; k <= START_SEARCH_DAYS; k++) {
		ro_sched_set_start(s, d0 - k);
		if (fits(s)) {
			snprintf(f->start, sizeof f->start, "start on or before %s",
			    ro_pcal_fmt_day(d0 - k, day));
			break;
		}
		ro_sched_set_start(s, d0 + k);
		if (fits(s)) {
			snprintf(f->start, sizeof f->start, "start on or after %s",
			    ro_pcal_fmt_day(d0 + k, day));
			break;
		}
	}
	ro_sched_set_start(s, d0);
}

static void
try_window(struct ro_sched *s, struct fixes *f)
{
	struct ro_span only = s->only, *w = NULL;
	size_t n = 0, i;
	char a[40], b[40], da[40], db[40];

	ro_sched_closed_windows(s, only.end, only.end + (int64_t)WINDOW_SEARCH_DAYS * 86400, &w, &n);
	for (i = 0; i < n; i++) {
		if (w[i].start < only.end)
			continue;
		s->only = w[i];
		if (fits(s)) {
			snprintf(f->window, sizeof f->window,
			    "use the next closed-office window that fits: %s %.5s .. %s %.5s "
			    "(start: %s)", ro_pcal_fmt_day_ja(ro_pcal_day(w[i].start), da),
			    ro_pcal_fmt(w[i].start, a) + 11, ro_pcal_fmt_day_ja(ro_pcal_day(w[i].end), db),
			    ro_pcal_fmt(w[i].end, b) + 11, ro_pcal_fmt_day(ro_pcal_day(w[i].start), a));
			break;
		}
	}
	if (f->window[0] == '\0')
		snprintf(f->window, sizeof f->window,
		    "no closed-office window in the next %d days holds the work", WINDOW_SEARCH_DAYS);
	free(w);
	s->only = only;
}

void
ro_plan_explain(struct ro_sched *s, struct ro_diags *d)
{
	const struct ro_campaign *c = s->c;
	const struct ro_inventory *inv = c->inv;
	enum ro_sched_fail fail = s->fail;
	int64_t end = s->end, deadline = s->deadline, first = s->first_start;
	int64_t cs_end = s->cs_end, term_end = s->term_end, skew_limit = s->skew_limit;
	struct ro_span only = s->only;
	struct ro_bound b;
	struct fixes f;
	char t1[40], t2[40], t3[40], du[32], du2[32];
	char *msg = NULL, binding[400] = "", hint[1600];
	const char *best = NULL;
	size_t i, nf = 0, hl;

	memset(&f, 0, sizeof f);
	ro_sched_bound(s, &b);
	switch (fail) {
	case RO_SF_TOO_LONG: {
		const struct ro_host *h = &inv->hosts[s->fail_host];
		msg = ro_xasprintf("host %s needs %s of work (the sum of its steps' estimates) but no "
		    "%s window is that long: work is never started that cannot finish in its window",
		    h->name, ro_plan_fmt_dur(s->est[s->fail_host], du, sizeof du),
		    s->kind == RO_PCAL_CLOSED ? "closed-office" : "business");
		ro_diag_add(d, c->path, 0, 0,
		    "split the work into two campaigns, correct step estimates that are too high, "
		    "or use window: closed-office / any", "%s", msg);
		free(msg);
		return;
	}
	case RO_SF_HORIZON:
		ro_diag_add(d, c->path, 0, 0, "check the start day and the inventory's closed_days",
		    "no window within 800 days of the start has room for the work");
		return;
	case RO_SF_WINDOW:
		msg = ro_xasprintf("skew: none needs all %zu hosts inside one closed-office window, "
		    "but the work does not fit into %s .. %s (%s; the lower bound alone needs %s, "
		    "set by %s)", c->nhosts, ro_pcal_fmt(only.start, t2), ro_pcal_fmt(only.end, t3),
		    ro_plan_fmt_dur(only.end - only.start, du2, sizeof du2),
		    ro_plan_fmt_dur(b.need, du, sizeof du), b.what);
		(void)t1;
		snprintf(binding, sizeof binding, "the closed-office window's length (%s)",
		    ro_plan_fmt_dur(only.end - only.start, du2, sizeof du2));
		try_concurrency(s, &f);
		try_window(s, &f);
		break;
	case RO_SF_SKEW:
		msg = ro_xasprintf("skew: cs-ahead needs the terminals done within %ld working days "
		    "after the CS (the CS end %s, so by %s), but they would end %s",
		    s->skew_days, ro_pcal_fmt(cs_end, t1), ro_pcal_fmt(skew_limit, t2),
		    ro_pcal_fmt(term_end, t3));
		snprintf(binding, sizeof binding, "skew_within_days %ld", s->skew_days);
		for (i = (size_t)s->skew_days + 1; i <= 365; i++)
			if (ro_pcal_after_workdays(s->cal, cs_end, (long)i) >= term_end) {
				snprintf(f.days, sizeof f.days, "skew_within_days ≥ %zu", i);
				break;
			}
		try_sites(s, &f);
		try_concurrency(s, &f);
		try_start(s, &f);
		break;
	default: {
		char day[40];
		int32_t need_days = ro_pcal_day(end - 1) - ro_pcal_day(first) + 1;
		msg = ro_xasprintf("the plan misses its deadline: the work would end %s but must end by "
		    "%s (deadline_days %ld after the first wave on %s); the lower bound is %s",
		    ro_pcal_fmt(end, t1), ro_pcal_fmt(deadline, t2), s->deadline_days,
		    ro_pcal_fmt_day(ro_pcal_day(first), day),
		    b.at == INT64_MAX ? "beyond the horizon" : ro_pcal_fmt(b.at, t3));
		if (b.at <= deadline)
			snprintf(binding, sizeof binding, "the waves run one after another (each "
			    "waits for the one before it and its approval); the work alone is bound by %s",
			    b.what);
		else if (b.kind == 1)
			snprintf(binding, sizeof binding, "max unavailable at %s is %u, so its hosts need "
			    "%s of working time", site_name(&inv->sites[b.site]), s->limit[b.site],
			    ro_plan_fmt_dur(b.need, du, sizeof du));
		else
			snprintf(binding, sizeof binding, "%s (the work needs %s of window time)", b.what,
			    ro_plan_fmt_dur(b.need, du, sizeof du));
		try_sites(s, &f);
		try_concurrency(s, &f);
		try_start(s, &f);
		snprintf(f.days, sizeof f.days, "deadline_days ≥ %ld", (long)need_days);
		break;
	}
	}
	/* The binding constraint's own fix first, then the others. */
	if (fail == RO_SF_WINDOW) {
		f.order[nf++] = f.conc;
		f.order[nf++] = f.window;
	} else if (fail == RO_SF_SKEW) {
		f.order[nf++] = f.days;
		f.order[nf++] = b.kind == 0 ? f.conc : f.site;
		f.order[nf++] = b.kind == 0 ? f.site : f.conc;
		f.order[nf++] = f.start;
	} else {
		f.order[nf++] = b.kind == 0 ? f.conc : f.site;
		f.order[nf++] = b.kind == 0 ? f.site : f.conc;
		f.order[nf++] = f.start;
		f.order[nf++] = f.days;
	}
	hl = (size_t)snprintf(hint, sizeof hint, "binding constraint: %s", binding);
	for (i = 0; i < nf; i++) {
		if (f.order[i][0] == '\0')
			continue;
		if (best == NULL) {
			best = f.order[i];
			hl += (size_t)snprintf(hint + hl, sizeof hint - hl,
			    "\n  smallest change that fits: %s", best);
		} else if (hl < sizeof hint)
			hl += (size_t)snprintf(hint + hl, sizeof hint - hl, "\n  also fits: %s",
			    f.order[i]);
	}
	if (best == NULL && hl < sizeof hint)
		snprintf(hint + hl, sizeof hint - hl, "\n  no single change found that fits");
	ro_diag_add(d, c->path, 0, 0, hint, "%s", msg);
	free(msg);
}
