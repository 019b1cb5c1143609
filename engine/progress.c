/* progress.c - live view, plain lines or JSON events of a run (see progress.h). */
#include "progress.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "util.h"

#define REDRAW_MS 250
#define RECENT 5

struct tally {
	uint32_t done, running, failed, pending;
};

struct ro_progress {
	FILE *out;
	enum ro_progress_mode mode;
	int color;
	const struct ro_plan *plan;
	const struct ro_campaign *c;
	const struct ro_clock *clock;
	uv_timer_t timer;
	int timer_on;
	struct tally *wave, *site;
	const char **wave_state;
	uint8_t *host_state;       /* per inventory host: 0 pending 1 running 2 done 3 failed */
	int32_t *host_wave;        /* per inventory host: wave index or -1 */
	char wait[PATH_MAX + 200]; /* what the run waits for, "" if nothing */
	char state_dir[PATH_MAX];  /* for the commands it suggests; "" if unknown */
	char recent[RECENT][240];  /* the last failures and notes */
	int nrecent;
	double started;            /* virtual time of the first event */
	int lines;                 /* lines of the last live frame */
	uint32_t total;
	size_t on_site, on_site_hosts; /* manual steps waiting for on-site records */
};

enum { HS_PENDING, HS_RUNNING, HS_DONE, HS_FAILED };

enum ro_progress_mode
ro_progress_mode_auto(FILE *out)
{
	const char *term = getenv("TERM");
	if (isatty(fileno(out)) && !(term && strcmp(term, "dumb") == 0))
		return RO_PROGRESS_LIVE;
	return RO_PROGRESS_PLAIN;
}

static const char *
col(const struct ro_progress *p, const char *code)
{
	return p->color ? code : "";
}

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static void
fmt_time(double at, char *buf, size_t n)
{
	char jst[RO_JST_FMT_MAX];
	int64_t s = (int64_t)floor(at);
	ro_jst_format(s / 60 - (s < 0 && s % 60 ? 1 : 0), jst);
	snprintf(buf, n, "%s:%02d", jst, (int)(((s % 60) + 60) % 60));
}

static const char *
host_name(const struct ro_progress *p, int64_t h)
{
	return h >= 0 ? p->c->inv->hosts[h].name : "";
}

static void draw(struct ro_progress *p);

static void
redraw_fire(uv_timer_t *t)
{
	draw(t->data);
}

struct ro_progress *
ro_progress_new(FILE *out, enum ro_progress_mode mode, const struct ro_plan *plan,
    const struct ro_clock *clock, uv_loop_t *loop)
{
	struct ro_progress *p = ro_xcalloc(1, sizeof *p);
	const struct ro_inventory *inv = plan->campaign->inv;
	const char *nc = getenv("NO_COLOR");
	size_t w, i;

	p->out = out;
	p->mode = mode;
	p->color = mode == RO_PROGRESS_LIVE && !(nc && *nc) && isatty(fileno(out));
	p->plan = plan;
	p->c = plan->campaign;
	p->clock = clock;
	p->wave = ro_xcalloc(plan->nwaves + 1, sizeof *p->wave);
	p->wave_state = ro_xcalloc(plan->nwaves + 1, sizeof *p->wave_state);
	p->site = ro_xcalloc(inv->nsites + 1, sizeof *p->site);
	p->host_state = ro_xcalloc(inv->nhosts + 1, 1);
	p->host_wave = ro_xmalloc((inv->nhosts + 1) * sizeof *p->host_wave);
	for (i = 0; i < inv->nhosts; i++)
		p->host_wave[i] = -1;
	for (w = 0; w < plan->nwaves; w++) {
		p->wave_state[w] = "pending";
		for (i = 0; i < plan->waves[w].nhosts; i++) {
			uint32_t h = plan->waves[w].hosts[i];
			p->host_wave[h] = (int32_t)w;
			p->wave[w].pending++;
			p->site[inv->hosts[h].site].pending++;
			p->total++;
		}
	}
	p->started = -1;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	if (mode == RO_PROGRESS_LIVE) {
		uv_timer_start(&p->timer, redraw_fire, REDRAW_MS, REDRAW_MS);
		uv_unref((uv_handle_t *)&p->timer);
		p->timer_on = 1;
	}
	return p;
}

static uint32_t *
slot(struct tally *t, int s)
{
	switch (s) {
	case HS_RUNNING: return &t->running;
	case HS_DONE: return &t->done;
	case HS_FAILED: return &t->failed;
	default: return &t->pending;
	}
}

/* Moves a host between the tallies of its wave and site. */
static void
move_host(struct ro_progress *p, int64_t h, int to)
{
	int from = p->host_state[h];
	int32_t w = p->host_wave[h];
	uint32_t site = p->c->inv->hosts[h].site;

	if (w < 0 || from == to)
		return;
	(*slot(&p->wave[w], from))--;
	(*slot(&p->site[site], from))--;
	(*slot(&p->wave[w], to))++;
	(*slot(&p->site[site], to))++;
	p->host_state[h] = (uint8_t)to;
}

static void
remember(struct ro_progress *p, const char *line)
{
	if (p->nrecent == RECENT) {
		memmove(p->recent[0], p->recent[1], sizeof p->recent[0] * (RECENT - 1));
		p->nrecent--;
	}
	/* Long lines are cut: the view is one line per event. */
	size_t n = strlen(line), cap = sizeof p->recent[0] - 1;
	if (n > cap)
		n = cap;
	memcpy(p->recent[p->nrecent], line, n);
	p->recent[p->nrecent++][n] = '\0';
}

static const char *kind_names[] = { "campaign", "wave", "host", "step", "wait", "note" };

static void
print_json(struct ro_progress *p, const struct ro_event *ev)
{
	struct ro_buf b;
	char t[40];

	ro_buf_init(&b);
	fmt_time(ev->at, t, sizeof t);
	ro_buf_printf(&b, "{\"event\":\"%s\",\"at\":%.3f,\"jst\":\"%s\"", kind_names[ev->kind], ev->at, t);
	if (ev->wave >= 0)
		ro_buf_printf(&b, ",\"wave\":%d", ev->wave + 1);
	if (ev->host >= 0) {
		ro_buf_adds(&b, ",\"host\":");
		ro_buf_json_str(&b, host_name(p, ev->host));
		ro_buf_adds(&b, ",\"site\":");
		ro_buf_json_str(&b, p->c->inv->sites[p->c->inv->hosts[ev->host].site].id);
	}
	if (ev->step) {
		ro_buf_adds(&b, ",\"step\":");
		ro_buf_json_str(&b, ev->step);
	}
	if (ev->state) {
		ro_buf_adds(&b, ",\"state\":");
		ro_buf_json_str(&b, ev->state);
	}
	if (ev->kind == RO_EV_STEP)
		ro_buf_printf(&b, ",\"attempt\":%d", ev->attempt);
	if (ev->exit_code != RO_STORE_NO_EXIT_CODE && ev->kind == RO_EV_STEP)
		ro_buf_printf(&b, ",\"exit_code\":%d", ev->exit_code);
	if (ev->kind == RO_EV_WAIT)
		ro_buf_printf(&b, ",\"until\":%.0f", ev->until);
	if (ev->detail) {
		ro_buf_adds(&b, ",\"detail\":");
		ro_buf_json_str(&b, ev->detail);
	}
	ro_buf_adds(&b, "}\n");
	fputs(b.p, p->out);
	fflush(p->out);
	ro_buf_free(&b);
}

/* One log line for an event worth a line; returns 0 for quiet events. */
static int
event_line(struct ro_progress *p, const struct ro_event *ev, char *buf, size_t n)
{
	const struct ro_wave *w = ev->wave >= 0 && (size_t)ev->wave < p->plan->nwaves ?
	    &p->plan->waves[ev->wave] : NULL;

	switch (ev->kind) {
	case RO_EV_CAMPAIGN:
		snprintf(buf, n, "campaign %s %s%s%s", p->c->id, ev->state, ev->detail ? ": " : "",
		    ev->detail ? ev->detail : "");
		return 1;
	case RO_EV_WAVE:
		if (strcmp(ev->state, "awaiting-approval") == 0)
			snprintf(buf, n, "wave %d (%s) awaits approval: rollout approve %s --wave %d%s%s",
			    ev->wave + 1, w ? w->name : "?", p->c->id, ev->wave + 1,
			    *p->state_dir ? " --state-dir " : "", p->state_dir);
		else
			snprintf(buf, n, "wave %d (%s) %s", ev->wave + 1, w ? w->name : "?", ev->state);
		return 1;
	case RO_EV_HOST:
		if (strcmp(ev->state, "running") == 0)
			return 0;
		snprintf(buf, n, "%s %s%s%s", host_name(p, ev->host), ev->state,
		    ev->detail ? ": " : "", ev->detail ? ev->detail : "");
		return 1;
	case RO_EV_STEP:
		if (strcmp(ev->state, "ok") == 0 || strcmp(ev->state, "skipped") == 0)
			return 0;
		snprintf(buf, n, "%s step %s attempt %d %s%s%s", host_name(p, ev->host), ev->step,
		    ev->attempt, ev->state, ev->detail ? ": " : "", ev->detail ? ev->detail : "");
		return 1;
	case RO_EV_WAIT:
		snprintf(buf, n, "%s", ev->detail ? ev->detail : "waiting");
		return 1;
	case RO_EV_NOTE:
		if (strcmp(ev->state, "restarting") == 0)
			return 0;
		snprintf(buf, n, "%s%s%s %s: %s", host_name(p, ev->host), ev->step ? " " : "",
		    ev->step ? ev->step : "", ev->state, ev->detail ? ev->detail : "");
		return 1;
	}
	return 0;
}

void
ro_progress_set_state_dir(struct ro_progress *p, const char *dir)
{
	snprintf(p->state_dir, sizeof p->state_dir, "%s", dir ? dir : "");
}

void
ro_progress_event(const struct ro_event *ev, void *arg)
{
	struct ro_progress *p = arg;
	char line[PATH_MAX + 600], t[40];

	if (p->started < 0)
		p->started = ev->at;
	if (ev->kind == RO_EV_HOST && ev->host >= 0) {
		int to = strcmp(ev->state, "running") == 0 ? HS_RUNNING :
		    strcmp(ev->state, "failed") == 0 ? HS_FAILED :
		    strcmp(ev->state, "pending") == 0 ? HS_PENDING : HS_DONE;
		move_host(p, ev->host, to);
		p->wait[0] = '\0';
	}
	if (ev->kind == RO_EV_WAVE && ev->wave >= 0 && (size_t)ev->wave < p->plan->nwaves) {
		p->wave_state[ev->wave] = ev->state; /* names from the store: static strings */
		p->wait[0] = '\0';
		if (strcmp(ev->state, "awaiting-approval") == 0)
			snprintf(p->wait, sizeof p->wait, "wave %d (%s) waits for the city's approval: "
			    "rollout approve %s --wave %d%s%s", ev->wave + 1, p->plan->waves[ev->wave].name,
			    p->c->id, ev->wave + 1, *p->state_dir ? " --state-dir " : "", p->state_dir);
	}
	if (ev->kind == RO_EV_WAIT && ev->detail)
		snprintf(p->wait, sizeof p->wait, "%s", ev->detail);

	if (p->mode == RO_PROGRESS_JSON) {
		print_json(p, ev);
		return;
	}
	if (!event_line(p, ev, line, sizeof line))
		return;
	if (p->mode == RO_PROGRESS_PLAIN) {
		fmt_time(ev->at, t, sizeof t);
		fprintf(p->out, "%s  %s\n", t, line);
		fflush(p->out);
		return;
	}
	if ((ev->kind == RO_EV_HOST && strcmp(ev->state, "failed") == 0) ||
	    (ev->kind == RO_EV_STEP && strcmp(ev->state, "ok") != 0) || ev->kind == RO_EV_NOTE) {
		fmt_time(ev->at, t, sizeof t);
		char both[sizeof line + 48];
		snprintf(both, sizeof both, "%s %s", t + 11, line);
		remember(p, both);
	}
	if (ev->kind == RO_EV_WAVE || ev->kind == RO_EV_CAMPAIGN)
		draw(p);
}

static void
tally_cells(struct ro_progress *p, FILE *f, const struct tally *t)
{
	fprintf(f, " %s%5u%s %5u %s%5u%s %5u", col(p, GREEN), t->done, col(p, RESET), t->running,
	    t->failed ? col(p, RED) : "", t->failed, t->failed ? col(p, RESET) : "", t->pending);
}

/* The live frame: header, waves, sites, what it waits for, recent events. */
static void
draw(struct ro_progress *p)
{
	const struct ro_inventory *inv = p->c->inv;
	double now = ro_clock_now(p->clock);
	uint32_t done = 0, failed = 0;
	char t[40], eta[64] = "";
	FILE *f = p->out;
	size_t i;
	int lines = 0;

	if (p->mode != RO_PROGRESS_LIVE)
		return;
	for (i = 0; i < p->plan->nwaves; i++) {
		done += p->wave[i].done;
		failed += p->wave[i].failed;
	}
	if (done > 0 && p->started >= 0 && done + failed < p->total) {
		double per = (now - p->started) / (double)(done + failed);
		char when[40];
		fmt_time(now + per * (double)(p->total - done - failed), when, sizeof when);
		snprintf(eta, sizeof eta, "  ETA %s", when);
	}
	if (p->lines > 0)
		fprintf(f, "\033[%dA", p->lines);
	fmt_time(now, t, sizeof t);
	fprintf(f, "\033[2K%srollout%s %s  plan %.12s  %s JST  %u/%u done%s%s%s\n", col(p, BOLD),
	    col(p, RESET), p->c->id, p->plan->hash, t, done, p->total,
	    failed ? col(p, RED) : "", failed ? "  (failures below)" : "", failed ? col(p, RESET) : "");
	lines++;
	fprintf(f, "\033[2K%-4s %-22s %-18s %5s %5s %5s %5s%s\n", "wave", "name", "state", "done",
	    "run", "fail", "pend", eta);
	lines++;
	for (i = 0; i < p->plan->nwaves; i++) {
		fprintf(f, "\033[2K%4zu %-22.22s %-18s", i + 1, p->plan->waves[i].name, p->wave_state[i]);
		tally_cells(p, f, &p->wave[i]);
		fputc('\n', f);
		lines++;
	}
	fprintf(f, "\033[2K%-27s %-18s %5s %5s %5s %5s\n", "site", "", "done", "run", "fail", "pend");
	lines++;
	for (i = 0; i < inv->nsites; i++) {
		const struct tally *s = &p->site[i];
		if (s->done + s->running + s->failed + s->pending == 0)
			continue;
		fprintf(f, "\033[2K%-27.27s %-18s", inv->sites[i].id, "");
		tally_cells(p, f, s);
		fputc('\n', f);
		lines++;
	}
	fprintf(f, "\033[2K%s%s%s\n", col(p, YELLOW), p->wait[0] ? p->wait : "", col(p, RESET));
	lines++;
	for (i = 0; i < RECENT; i++) {
		fprintf(f, "\033[2K%s%s%s\n", col(p, DIM), i < (size_t)p->nrecent ? p->recent[i] : "",
		    col(p, RESET));
		lines++;
	}
	fflush(f);
	p->lines = lines;
}

void
ro_progress_set_on_site(struct ro_progress *p, size_t pending, size_t hosts)
{
	p->on_site = pending;
	p->on_site_hosts = hosts;
}

void
ro_progress_finish(struct ro_progress *p, const struct ro_exec_summary *sum, int rc,
    const char *cause)
{
	FILE *f = p->out;

	if (p->timer_on) {
		uv_timer_stop(&p->timer);
		p->timer_on = 0;
	}
	draw(p);
	if (p->mode == RO_PROGRESS_JSON) {
		fprintf(f, "{\"event\":\"summary\",\"campaign\":");
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_json_str(&b, p->c->id);
		ro_buf_printf(&b, ",\"hosts\":%u,\"done\":%u,\"skipped\":%u,\"failed\":%u,\"pending\":%u,"
		    "\"halted\":%s", sum->hosts, sum->done, sum->skipped, sum->failed, sum->pending,
		    sum->halted ? "true" : "false");
		if (rc == 0 && !sum->halted)
			ro_buf_printf(&b, ",\"state\":\"%s\",\"on_site_pending\":%zu",
			    p->on_site ? "awaiting-on-site" : "done", p->on_site);
		if (sum->reason[0]) {
			ro_buf_adds(&b, ",\"reason\":");
			ro_buf_json_str(&b, sum->reason);
		}
		ro_buf_adds(&b, "}\n");
		fputs(b.p, f);
		ro_buf_free(&b);
		fflush(f);
		return;
	}
	fprintf(f, "\n%s%s%s: %u hosts: %u done, %u already up to date, %u failed, %u not run\n",
	    col(p, BOLD), p->c->id, col(p, RESET), sum->hosts, sum->done, sum->skipped, sum->failed,
	    sum->pending);
	if (rc != 0 && cause)
		fprintf(f, "%sstopped: %s%s\n", col(p, RED), cause, col(p, RESET));
	else if (sum->halted)
		fprintf(f, "%shalted: %s%s\n", col(p, RED), sum->reason, col(p, RESET));
	else if (p->on_site > 0) {
		/* The engine is through, the campaign is not: people still have
		 * to do and record the manual steps on site (docs/INSPECTION.md). */
		const char *sd = p->state_dir[0] ? " --state-dir " : "";
		fprintf(f, "%scampaign %s awaiting-on-site: %zu manual step%s on %zu host%s wait for "
		    "on-site records%s\n", col(p, YELLOW), p->c->id, p->on_site, p->on_site == 1 ? "" : "s",
		    p->on_site_hosts, p->on_site_hosts == 1 ? "" : "s", col(p, RESET));
		fprintf(f, "next: rollout report checklist %s%s%s (print it for the sites), then "
		    "rollout record %s HOST[,HOST...] STEP --result done|ok|finding --key FILE%s%s\n",
		    p->c->id, sd, p->state_dir, p->c->id, sd, p->state_dir);
	} else
		fprintf(f, "%scampaign done%s\n", col(p, GREEN), col(p, RESET));
	fflush(f);
}

static void
free_on_close(uv_handle_t *h)
{
	struct ro_progress *p = h->data;

	free(p->wave);
	free(p->wave_state);
	free(p->site);
	free(p->host_state);
	free(p->host_wave);
	free(p);
}

void
ro_progress_free(struct ro_progress *p)
{
	if (p == NULL)
		return;
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, free_on_close);
}
