/*
 * plan-text.c - the plan as text: the header, the waves with their times, a
 * table per day (site x hosts, with each host's planned start and end and
 * the most hosts of the site out at once against its limit), the lower
 * bound and the gap to it, and the hash.
 */
#include "plan-internal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Host order for the day tables: start day, site, start, host index. */
struct slot {
	int32_t day;
	uint32_t site;
	int64_t start;
	uint32_t host;
};

static int
cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->host > y->host) - (x->host < y->host);
}

/* The most of v[0..n) in progress at once. */
static uint32_t
peak(const struct ro_plan *p, const struct slot *v, size_t n)
{
	uint32_t best = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		uint32_t k = 0;
		for (j = 0; j < n; j++)
			if (p->host_start[v[j].host] <= p->host_start[v[i].host] &&
			    p->host_start[v[i].host] < p->host_end[v[j].host])
				k++;
		if (k > best)
			best = k;
	}
	return best;
}

static const char *
hm(int64_t t, char *buf)
{
	char tmp[40];

	snprintf(buf, 8, "%s", ro_pcal_fmt(t, tmp) + 11);
	return buf;
}

/* ro_plan_slots returns the in-scope hosts sorted for the day tables. */
static struct slot *
slots(const struct ro_plan *p, size_t *n)
{
	const struct ro_campaign *c = p->campaign;
	struct slot *v = ro_xmalloc((c->nhosts ? c->nhosts : 1) * sizeof *v);
	size_t i;

	for (i = 0; i < c->nhosts; i++) {
		uint32_t h = c->hosts[i];
		v[i] = (struct slot){ ro_pcal_day(p->host_start[h]), c->inv->hosts[h].site,
			p->host_start[h], h };
	}
	qsort(v, c->nhosts, sizeof *v, cmp_slot);
	*n = c->nhosts;
	return v;
}

static void
print_days(FILE *f, const struct ro_plan *p)
{
	const struct ro_inventory *inv = p->campaign->inv;
	size_t n, i, j, k;
	struct slot *v = slots(p, &n);
	char a[40], b[40], ja[40];

	for (i = 0; i < n;) {
		int32_t day = v[i].day;
		const char *hol = ro_pcal_holiday_name(day);
		size_t cnt = 0;
		for (j = i; j < n && v[j].day == day; j++)
			cnt++;
		fprintf(f, "\n%s  %s%s%s  %zu host%s\n", ro_pcal_fmt_day(day, a),
		    ro_pcal_fmt_day_ja(day, ja), hol ? "  " : "", hol ? hol : "", cnt,
		    cnt == 1 ? "" : "s");
		fprintf(f, "  %-12s ", "site");
		ro_fput_padded(f, "name", 32);
		fprintf(f, " hosts  out/limit  host start-end\n");
		for (j = i; j < n && v[j].day == day;) {
			uint32_t s = v[j].site;
			size_t m;
			for (k = j; k < n && v[k].day == day && v[k].site == s; k++)
				;
			fprintf(f, "  %-12s ", inv->sites[s].id);
			ro_fput_padded(f, inv->sites[s].name_ja ? inv->sites[s].name_ja :
			    inv->sites[s].name, 32);
			if (p->window == RO_WINDOW_BUSINESS || p->window == RO_WINDOW_ANY)
				fprintf(f, " %5zu  %3u/%-5u", k - j, peak(p, v + j, k - j), p->site_limit[s]);
			else
				fprintf(f, " %5zu  %3u/%-5s", k - j, peak(p, v + j, k - j), "-");
			for (m = j; m < k; m++) {
				if (m > j && (m - j) % 4 == 0)
					fprintf(f, "\n%*s", 2 + 12 + 1 + 32 + 18, "");
				fprintf(f, "  %s %s-%s", inv->hosts[v[m].host].name,
				    hm(p->host_start[v[m].host], a), hm(p->host_end[v[m].host], b));
			}
			fputc('\n', f);
			j = k;
		}
		i = j;
	}
	free(v);
}

/* Working days with work, and the last one. */
static size_t
days_used(const struct ro_plan *p, int32_t *last)
{
	size_t n, i, used = 0;
	struct slot *v = slots(p, &n);

	*last = 0;
	for (i = 0; i < n; i++)
		if (i == 0 || v[i].day != v[i - 1].day) {
			used++;
			*last = v[i].day;
		}
	free(v);
	return used;
}

void
ro_plan_print_text(FILE *f, const struct ro_plan *p)
{
	const struct ro_campaign *c = p->campaign;
	const struct ro_inventory *inv = c->inv;
	const struct ro_policy *pol = &c->policy;
	size_t i, gates = 0;
	char a[40], b[40], t[40], du[32];

	/* The title and wave names are free text from the campaign file, where a
	 * double-quoted "\e" is an escape character: shown escaped (ro_safe). */
	char *id = ro_safe(c->id), *title = ro_safe(c->title);
	fprintf(f, "Campaign  %s%s%s\n", id, title ? "  " : "", title ? title : "");
	free(id);
	free(title);
	fprintf(f, "Inventory %s: %zu of %zu hosts in scope\n", inv->name, c->nhosts, inv->nhosts);
	fprintf(f, "Playbooks");
	for (i = 0; i < c->nplaybooks; i++)
		fprintf(f, " %s", c->playbooks[i]->name);
	fprintf(f, "\nPolicy    canary %ld, concurrency %ld, window %s, skew %s",
	    pol->canary, pol->concurrency, ro_window_names[p->window], ro_skew_names[pol->skew]);
	if (pol->skew == RO_SKEW_CS_AHEAD)
		fprintf(f, " (terminals within %ld working days)", pol->skew_within_days);
	fprintf(f, ", deadline %ld days\n", pol->deadline_days);
	for (i = 0; i < p->nwaves; i++)
		gates += p->waves[i].gated;
	fprintf(f, "Waves     %zu (%zu gated)\n", p->nwaves, gates);
	if (p->timed) {
		int32_t last;
		size_t used = days_used(p, &last);
		fprintf(f, "Schedule  %s .. %s, %zu day%s with work, last %s; deadline %s\n",
		    ro_pcal_fmt(p->first_start, a), ro_pcal_fmt(p->end, b), used, used == 1 ? "" : "s",
		    ro_pcal_fmt_day(last, t), ro_pcal_fmt(p->deadline, du));
		fprintf(f, "Start     %s\n", pol->early_start ?
		    "a site's work may start before its planned day (early_start: allowed)" :
		    "no site's work starts before its planned day (early_start: no)");
		if (p->window_start != RO_PLAN_NO_TIME)
			fprintf(f, "Window    closed-office %s .. %s (skew none: every host inside it)\n",
			    ro_pcal_fmt(p->window_start, a), ro_pcal_fmt(p->window_end, b));
		if (p->skew_limit != RO_PLAN_NO_TIME)
			fprintf(f, "Skew      CS done %s; terminals must end by %s\n",
			    ro_pcal_fmt(p->cs_end, a), ro_pcal_fmt(p->skew_limit, b));
		fprintf(f, "Bound     lower bound %s (%s of window time, set by %s); ",
		    ro_pcal_fmt(p->lower_bound, a), ro_plan_fmt_dur(p->lb_work, t, sizeof t),
		    p->lb_binding);
		fprintf(f, "gap %s of window time\n", ro_plan_fmt_dur(p->gap, du, sizeof du));
	} else
		fprintf(f, "Schedule  none: the campaign has no start day (add `start: YYYY-MM-DD`)\n");
	fputc('\n', f);
	for (i = 0; i < p->nwaves; i++) {
		const struct ro_wave *w = &p->waves[i];
		char *name = ro_safe(w->name);
		fprintf(f, "Wave %u  %s%s  %zu host%s, %u site%s, failure budget %ld%s\n", w->index + 1,
		    name, w->canary ? " (canary)" : "", w->nhosts, w->nhosts == 1 ? "" : "s",
		    w->nsites, w->nsites == 1 ? "" : "s", w->failure_budget,
		    w->gated ? "  [gate: needs approval]" : "");
		free(name);
		if (p->timed) {
			fprintf(f, "        %s .. %s, work %s", ro_pcal_fmt(w->planned_start, a),
			    ro_pcal_fmt(w->planned_end, b), ro_plan_fmt_dur(w->work, du, sizeof du));
			if (w->gated)
				fprintf(f, ", approval planned %s%s", ro_pcal_fmt(w->approval, t),
				    w->approval_off_hours ? " (outside working hours: an approver on duty)" : "");
			fputc('\n', f);
		}
	}
	if (p->timed)
		print_days(f, p);
	fprintf(f, "\nPlan hash %s\n", p->hash);
}
