/*
 * executor.c - the waves of a saved plan, one after the other: gates,
 * windows, concurrency, each site's max unavailable, failure budgets, and
 * resuming what an earlier run left (see executor.h). One host's steps are
 * exec-host.c's job.
 */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "plan-cal.h"
#include "error.h"
#include "exec-int.h"
#include "util.h"

#define DEFAULT_POLL_MS 200

/*
 * Store writes from hosts wait in a queue that is written as one group
 * commit per loop iteration (one fsync for many hosts). An intent's host
 * acts only after that commit (ro__intent_done), so invariant 2 holds: the
 * intent is durable before the side effect. Outcomes and host states need
 * no wait: a crash before their commit leaves an open intent or a running
 * host, which a resume settles from the host's record (docs/EXECUTION.md,
 * "Resuming").
 */
enum pw_kind { PW_INTENT, PW_OUTCOME, PW_HOST_STATE };

struct pending_write {
	enum pw_kind kind;
	struct hostrun *hr;          /* PW_INTENT, PW_HOST_STATE */
	const char *step_name;       /* PW_INTENT */
	int step_idx;
	int64_t intent;              /* PW_OUTCOME (hr may be set: the crash point) */
	enum ro_step_status status;
	int exit_code;
	char *detail;
	enum ro_host_state host_state;
	int rc;                      /* PW_INTENT: result */
	char *cause;
};

double
ro__now(const struct ro_executor *ex)
{
	return ro_clock_now(ex->cfg.clock);
}

void
ro__crash_point(struct ro_executor *ex, const struct hostrun *hr, const char *step,
    const char *what)
{
	const char *host = ex->c->inv->hosts[hr->host].name;
	size_t hl = strlen(host), sl = step ? strlen(step) : 0;
	const char *p = ex->crash_at;

	/* A real crash at a precise moment, so that the tests of every resume rule
	 * (tests/e2e/resume-rules.sh) do not depend on timing. */
	if (p == NULL || step == NULL || strncmp(p, host, hl) != 0 || p[hl] != ':' ||
	    strncmp(p + hl + 1, step, sl) != 0 || p[hl + 1 + sl] != ':' ||
	    strcmp(p + hl + sl + 2, what) != 0)
		return;
	fprintf(stderr, "rollout: ROLLOUT_TEST_CRASH_AT=%s reached: killing the engine\n", p);
	raise(SIGKILL);
}

void
ro__emit(struct ro_executor *ex, enum ro_event_kind kind, int wave, int64_t host,
    const char *step, const char *state, int attempt, int exit_code, const char *detail)
{
	struct ro_event ev = { .kind = kind, .at = ro__now(ex), .wave = wave, .host = host,
		.step = step, .state = state, .attempt = attempt, .exit_code = exit_code,
		.detail = detail };

	if (ex->cfg.on_event)
		ex->cfg.on_event(&ev, ex->cfg.event_arg);
}

static void
emit_wait(struct ro_executor *ex, double until, const char *detail)
{
	struct ro_event ev = { .kind = RO_EV_WAIT, .at = ro__now(ex), .wave = (int)ex->wave,
		.host = -1, .state = "waiting", .exit_code = RO_STORE_NO_EXIT_CODE,
		.detail = detail, .until = until };

	if (ex->cfg.on_event)
		ex->cfg.on_event(&ev, ex->cfg.event_arg);
}

/* Records why the run stops (the first reason wins). */
static void
halt(struct ro_executor *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
halt(struct ro_executor *ex, const char *fmt, ...)
{
	va_list ap;

	if (!ex->halting) {
		va_start(ap, fmt);
		vsnprintf(ex->sum.reason, sizeof ex->sum.reason, fmt, ap);
		va_end(ap);
	}
	ex->halting = 1;
}

/* A store failure ends the run: without the store there is no safe step. */
static void
store_failed(struct ro_executor *ex, int rc, char *cause)
{
	if (ex->rc == RO_OK) {
		ex->rc = rc;
		ex->cause = cause ? cause : ro_xstrdup(ro_strerror(rc));
	} else
		free(cause);
	halt(ex, "the state store failed: %s", ex->cause);
}

/* ---- the write queue ---------------------------------------------------------- */

static void flusher_fire(uv_idle_t *h);

static struct pending_write *
queue_write(struct ro_executor *ex, enum pw_kind kind)
{
	struct pending_write *w;

	if (ex->nwrites == ex->capwrites) {
		ex->capwrites = ex->capwrites ? 2 * ex->capwrites : 64;
		ex->writes = ro_xrealloc(ex->writes, ex->capwrites * sizeof *ex->writes);
	}
	w = &ex->writes[ex->nwrites++];
	memset(w, 0, sizeof *w);
	w->kind = kind;
	if (!uv_is_active((uv_handle_t *)&ex->flusher))
		uv_idle_start(&ex->flusher, flusher_fire);
	return w;
}

void
ro__intent_request(struct ro_executor *ex, struct hostrun *hr, const char *step_name,
    int step_idx)
{
	struct pending_write *w = queue_write(ex, PW_INTENT);

	w->hr = hr;
	w->step_name = step_name;
	w->step_idx = step_idx;
}

void
ro__outcome_queue(struct ro_executor *ex, struct hostrun *hr, int64_t intent,
    enum ro_step_status status, int exit_code, const char *detail)
{
	struct pending_write *w = queue_write(ex, PW_OUTCOME);

	w->hr = hr;
	w->step_name = hr ? ex->c->playbooks[hr->pb]->steps[hr->step].name : NULL;
	w->intent = intent;
	w->status = status;
	w->exit_code = exit_code;
	w->detail = detail ? ro_xstrdup(detail) : NULL;
}

static void
queue_host_state_reason(struct ro_executor *ex, struct hostrun *hr, enum ro_host_state to,
    const char *reason)
{
	struct pending_write *w = queue_write(ex, PW_HOST_STATE);

	w->hr = hr;
	w->host_state = to;
	w->detail = reason ? ro_xstrdup(reason) : NULL;
	hr->stored = to;
}

/* A host's new state; a failure carries its reason. */
static void
queue_host_state(struct ro_executor *ex, struct hostrun *hr, enum ro_host_state to)
{
	queue_host_state_reason(ex, hr, to,
	    to == RO_HOST_FAILED && hr->reason[0] ? hr->reason : NULL);
}

/*
 * Writes the queue as one group commit, then lets the hosts whose intents
 * it held go on. Writes queued by those continuations wait for the next
 * flush. A failed commit fails every intent in it and halts the run.
 */
static void
flush_writes(struct ro_executor *ex)
{
	struct pending_write *batch = ex->writes;
	size_t n = ex->nwrites, i;
	char *cause = NULL;
	int rc, crc;

	if (n == 0)
		return;
	ex->writes = NULL;
	ex->nwrites = ex->capwrites = 0;
	rc = ro_store_begin_group(ex->st);
	/* The vault's commits first: an outcome "ok" in this group is never
	 * durable before the vault commit it reports (pwvault.h). */
	if (rc == RO_OK && (rc = ro__pw_flush(ex, &cause)) != RO_OK) {
		ro_store_rollback(ex->st);
		for (i = 0; i < n; i++)
			batch[i].rc = rc;
		goto flushed;
	}
	for (i = 0; i < n; i++) {
		struct pending_write *w = &batch[i];
		const char *host = w->hr ? ex->c->inv->hosts[w->hr->host].name : NULL;
		int attempt = 0;

		if (rc != RO_OK) {
			w->rc = rc;
			continue;
		}
		switch (w->kind) {
		case PW_INTENT:
			w->rc = ro_store_intent_begin(ex->st, ex->c->id, host, w->step_idx,
			    w->step_name, &w->hr->intent, &attempt, &w->cause);
			if (w->rc == RO_OK)
				w->hr->attempt = attempt;
			if (w->rc == RO_OK && w->hr->pw_version)
				w->rc = ro__pw_intent_mark(ex, w->hr, &w->cause);
			break;
		case PW_OUTCOME:
			w->rc = ro_store_outcome_record(ex->st, w->intent, w->status, w->exit_code,
			    w->detail, &w->cause);
			break;
		case PW_HOST_STATE:
			w->rc = ro_store_host_set_state_reason(ex->st, ex->c->id, host, w->host_state,
			    w->detail, &w->cause);
			break;
		}
		if (w->rc != RO_OK && w->kind != PW_INTENT && ex->rc == RO_OK)
			ro__emit(ex, RO_EV_NOTE, -1, w->hr ? (int64_t)w->hr->host : -1, NULL, "store", 0,
			    RO_STORE_NO_EXIT_CODE, w->cause ? w->cause : ro_strerror(w->rc));
	}
	if (rc == RO_OK) {
		crc = ro_store_commit(ex->st);
		if (crc != RO_OK) {
			rc = crc;
			cause = ro_xasprintf("committing step records: %s", ro_store_errmsg(ex->st));
		}
	} else
		cause = ro_xasprintf("starting a group commit: %s", ro_store_errmsg(ex->st));
flushed:
	if (rc == RO_OK && ex->crash_at)
		for (i = 0; i < n; i++)
			if (batch[i].kind != PW_HOST_STATE && batch[i].hr && batch[i].rc == RO_OK)
				ro__crash_point(ex, batch[i].hr, batch[i].step_name,
				    batch[i].kind == PW_INTENT ? "intent" : "outcome");
	for (i = 0; i < n; i++) {
		struct pending_write *w = &batch[i];
		if (w->kind == PW_INTENT)
			ro__intent_done(w->hr, rc != RO_OK ? rc : w->rc,
			    rc != RO_OK ? cause : w->cause);
		free(w->detail);
		free(w->cause);
	}
	free(batch);
	if (rc != RO_OK)
		store_failed(ex, rc, cause);
	else
		free(cause);
}

static void
vault_wait_fire(uv_timer_t *t)
{
	struct ro_executor *ex = t->data;

	flush_writes(ex);
	if (ex->nwrites > 0 && !uv_is_active((uv_handle_t *)&ex->flusher))
		uv_idle_start(&ex->flusher, flusher_fire);
}

static void
flusher_fire(uv_idle_t *h)
{
	struct ro_executor *ex = h->data;
	uint64_t wait;

	/* A vault commit is waiting and the vault was written a moment ago: the
	 * whole queue waits a little, so that one vault write serves many hosts. */
	if (uv_is_active((uv_handle_t *)&ex->vault_wait)) {
		uv_idle_stop(h);
		return;
	}
	if ((wait = ro__pw_wait_ms(ex)) > 0) {
		uv_idle_stop(h);
		uv_timer_start(&ex->vault_wait, vault_wait_fire, wait, 0);
		return;
	}
	flush_writes(ex);
	if (ex->nwrites == 0)
		uv_idle_stop(h);
}

/* ---- windows ---------------------------------------------------------------- */

static struct ro_hours
site_hours(const struct ro_executor *ex, uint32_t site)
{
	const struct ro_site *s = &ex->c->inv->sites[site];
	struct ro_hours h = ro_cal_hours(ex->cal);

	if (s->hours_open >= 0 && s->hours_close > s->hours_open) {
		h.open = s->hours_open;
		h.close = s->hours_close;
	}
	return h;
}

/*
 * not_before_init works out, per wave and site, the first day the approved
 * plan gives the site's hosts of that wave (00:00 JST of the earliest
 * planned start): the same day the plan's JSON shows as not_before.
 */
static void
not_before_init(struct ro_executor *ex)
{
	const struct ro_plan *p = ex->plan;
	size_t nsites = ex->c->inv->nsites ? ex->c->inv->nsites : 1, i, j;

	ex->not_before = ro_xmalloc((p->nwaves ? p->nwaves : 1) * nsites * sizeof *ex->not_before);
	for (i = 0; i < (p->nwaves ? p->nwaves : 1) * nsites; i++)
		ex->not_before[i] = INT64_MAX;
	if (!p->timed)
		return;
	for (i = 0; i < p->nwaves; i++)
		for (j = 0; j < p->waves[i].nhosts; j++) {
			uint32_t h = p->waves[i].hosts[j];
			int64_t *nb = &ex->not_before[i * nsites + ex->c->inv->hosts[h].site];
			if (p->host_start[h] != RO_PLAN_NO_TIME && p->host_start[h] < *nb)
				*nb = p->host_start[h];
		}
	for (i = 0; i < p->nwaves * nsites; i++)
		if (ex->not_before[i] != INT64_MAX)
			ex->not_before[i] = ro_pcal_at(ro_pcal_day(ex->not_before[i]), 0);
}

/*
 * schedule_allows keeps the approved schedule: a site's hosts of a wave do
 * not start before the day the plan gives them, unless the policy says
 * early_start: allowed. 0 with *wake set when it is too early.
 */
static int
schedule_allows(const struct ro_executor *ex, const struct hostrun *hr, double *wake)
{
	size_t nsites = ex->c->inv->nsites ? ex->c->inv->nsites : 1;
	int64_t nb;

	if (ex->c->policy.early_start || ex->not_before == NULL || hr->wave < 0 ||
	    (size_t)hr->wave >= ex->plan->nwaves)
		return 1;
	nb = ex->not_before[(size_t)hr->wave * nsites + hr->site];
	if (nb == INT64_MAX || ro__now(ex) >= (double)nb)
		return 1;
	*wake = (double)nb;
	return 0;
}

/*
 * May the host start now? 1 yes; 0 not yet, with *wake set to the virtual
 * Unix time worth looking again; -1 never inside this plan (the approved
 * closed-office window has passed or is too short now). Work never starts
 * unless its estimate fits before its window closes, nor before the plan's
 * start (invariant 4: the executor never exceeds the plan).
 */
static int
window_allows(const struct ro_executor *ex, const struct hostrun *hr, double *wake,
    double *closes)
{
	const struct ro_plan *p = ex->plan;
	enum ro_window_kind kind = ex->c->policy.window;
	struct ro_hours hours = site_hours(ex, hr->site);
	double now = ro__now(ex);
	int64_t t = (int64_t)floor(now / 60.0), end, next;
	long est_min = (hr->estimate + 59) / 60;
	int working;

	if (!schedule_allows(ex, hr, wake))
		return 0;
	if (p->timed && p->start != RO_PLAN_NO_TIME && now < (double)p->start) {
		*wake = (double)p->start;
		return 0;
	}
	if (p->window_start != RO_PLAN_NO_TIME && p->window_end != RO_PLAN_NO_TIME) {
		/* skew none: the one closed-office window the city approved. */
		if (now < (double)p->window_start) {
			*wake = (double)p->window_start;
			return 0;
		}
		*closes = (double)p->window_end;
		return now + (double)hr->estimate <= (double)p->window_end ? 1 : -1;
	}
	if (kind == RO_WINDOW_ANY)
		return 1;
	working = ro_cal_is_working(ex->cal, &hours, t);
	if (working < 0)
		return 1; /* outside the calendar's range: nothing to enforce against */
	if (kind == RO_WINDOW_BUSINESS) {
		if (working && ro_cal_window_end(ex->cal, &hours, t, &end) == 0) {
			if (end - t >= est_min) {
				*closes = (double)end * 60.0;
				return 1;
			}
			t = end; /* not now: the next window that opens after this one */
		}
		if (ro_cal_next_working(ex->cal, &hours, t, &next) != 0)
			return 1;
		*wake = (double)next * 60.0;
		return 0;
	}
	/* Closed office: outside working time, with room before the office opens. */
	if (!working) {
		if (ro_cal_next_working(ex->cal, &hours, t, &next) != 0)
			return 1;
		if (next - t >= est_min) {
			*closes = (double)next * 60.0;
			return 1;
		}
		t = next;
	}
	if (ro_cal_window_end(ex->cal, &hours, t, &end) != 0)
		return 1;
	*wake = (double)end * 60.0;
	return 0;
}

/* ---- holds (`rollout hosts hold`) ------------------------------------------------ */

static int
is_held(const struct ro_executor *ex, size_t run)
{
	return ex->held != NULL && ex->held[run];
}

/* The halt of a campaign whose only unfinished hosts are held. */
static void
halt_held(struct ro_executor *ex)
{
	halt(ex, "every host is finished except %u held (`rollout status %s` lists them); "
	    "release each with `rollout hosts release %s HOST` once it is fixed, then resume",
	    ex->sum.held, ex->c->id, ex->c->id);
}

int
ro_executor_refresh_holds(struct ro_executor *ex)
{
	struct ro_hold_info *v = NULL;
	size_t n = 0, i, j;
	int rc;

	if ((rc = ro_store_hold_list(ex->st, ex->c->id, &v, &n)) != RO_OK)
		return rc;
	if (ex->held == NULL)
		ex->held = ro_xcalloc(ex->nruns ? ex->nruns : 1, 1);
	memset(ex->held, 0, ex->nruns);
	for (i = 0; i < n; i++)
		for (j = 0; j < ex->nruns; j++)
			if (strcmp(ex->c->inv->hosts[ex->runs[j].host].name, v[i].host) == 0)
				ex->held[j] = 1;
	ro_hold_list_free(v, n);
	return RO_OK;
}

/* ---- waves --------------------------------------------------------------------- */

static void start_wave(struct ro_executor *ex);
static void dispatch(struct ro_executor *ex);

static uint32_t
concurrency(const struct ro_executor *ex)
{
	long c = ex->c->policy.concurrency;
	return c > 0 ? (uint32_t)c : UINT32_MAX;
}

static void
poll_fire(uv_timer_t *t)
{
	struct ro_executor *ex = t->data;

	if (ex->gate_waiting)
		start_wave(ex);
	else
		dispatch(ex);
}

static void
finish_run(struct ro_executor *ex)
{
	uv_timer_stop(&ex->poll);
	ex->finished = 1;
	uv_stop(ex->loop);
}

/* Ends the campaign: done when every host is done or skipped, else halted. */
static void
end_campaign(struct ro_executor *ex)
{
	enum ro_campaign_state to;
	char *cause = NULL;
	size_t i;
	int rc;

	flush_writes(ex);
	ex->sum.done = ex->sum.skipped = ex->sum.failed = ex->sum.pending = ex->sum.held = 0;
	for (i = 0; i < ex->nruns; i++) {
		/* A host held while under way may have finished: then it is done. */
		if (is_held(ex, i) && ex->runs[i].stored != RO_HOST_DONE &&
		    ex->runs[i].stored != RO_HOST_SKIPPED) {
			ex->sum.held++;
			continue;
		}
		switch (ex->runs[i].stored) {
		case RO_HOST_DONE: ex->sum.done++; break;
		case RO_HOST_SKIPPED: ex->sum.skipped++; break;
		case RO_HOST_FAILED: ex->sum.failed++; break;
		default: ex->sum.pending++; break;
		}
	}
	if (!ex->halting && ex->sum.failed > 0)
		halt(ex, "%u host%s failed within the failure budget; fix them and run the campaign "
		    "again to retry them", ex->sum.failed, ex->sum.failed == 1 ? "" : "s");
	if (!ex->halting && ex->sum.held > 0)
		halt_held(ex);
	to = ex->halting ? RO_CAMPAIGN_HALTED : RO_CAMPAIGN_DONE;
	ex->sum.halted = ex->halting;
	rc = ro_store_campaign_set_state_reason(ex->st, ex->c->id, to,
	    ex->halting ? ex->sum.reason : NULL, &cause);
	if (rc != RO_OK && ex->rc == RO_OK) {
		ex->rc = rc;
		ex->cause = cause;
	} else
		free(cause);
	ro__emit(ex, RO_EV_CAMPAIGN, -1, -1, NULL, ro_campaign_state_name(to), 0,
	    RO_STORE_NO_EXIT_CODE, ex->halting ? ex->sum.reason : NULL);
	finish_run(ex);
}

static void
end_wave(struct ro_executor *ex)
{
	const struct ro_wave *w = &ex->plan->waves[ex->wave];
	enum ro_wave_state to = ex->halting ? RO_WAVE_HALTED : RO_WAVE_DONE;
	char *cause = NULL;
	int rc;

	ex->wave_open = 0;
	flush_writes(ex);
	rc = ro_store_wave_set_state(ex->st, ex->c->id, (int)w->index, to, &cause);
	if (rc != RO_OK) {
		store_failed(ex, rc, cause);
		to = RO_WAVE_HALTED;
	}
	ro__emit(ex, RO_EV_WAVE, (int)w->index, -1, NULL, ro_wave_state_name(to), 0,
	    RO_STORE_NO_EXIT_CODE, NULL);
	if (ex->halting || ex->stopping) {
		if (!ex->halting)
			halt(ex, "stopped by the operator after wave %u", w->index + 1);
		end_campaign(ex);
		return;
	}
	ex->wave++;
	start_wave(ex);
}

void
ro__host_finished(struct ro_executor *ex, struct hostrun *hr)
{
	const struct ro_wave *w = &ex->plan->waves[ex->wave];
	if (ex->running == 0 || ex->site_running[hr->site] == 0)
		abort(); /* a host reported twice: a bug, never a state to continue from */
	ex->running--;
	ex->site_running[hr->site]--;
	queue_host_state(ex, hr, hr->final);
	ro__emit(ex, RO_EV_HOST, (int)w->index, hr->host, NULL, ro_host_state_name(hr->final), 0,
	    RO_STORE_NO_EXIT_CODE, hr->final == RO_HOST_FAILED ? hr->reason : NULL);
	if (hr->final == RO_HOST_FAILED && !hr->cancelled) {
		ex->wave_failed++;
		if (ex->wave_failed > w->failure_budget)
			halt(ex, "wave %u (%s): %ld host%s failed, more than its failure budget of %ld; "
			    "the campaign is halted — see `rollout status %s`, fix the cause, then run "
			    "it again to resume", w->index + 1, w->name, ex->wave_failed,
			    ex->wave_failed == 1 ? "" : "s", w->failure_budget, ex->c->id);
	}
	dispatch(ex);
}

/* Starts whatever the limits allow; ends the wave when nothing is left. */
static void
dispatch(struct ro_executor *ex)
{
	uint32_t limit = concurrency(ex);
	double wake = 0;
	size_t i, kept = 0;

	if (!ex->wave_open)
		return;
	if (ex->halting || ex->stopping) {
		ex->nqueue = 0;
	}
	for (i = 0; i < ex->nqueue; i++) {
		struct hostrun *hr = &ex->runs[ex->queue[i]];
		double w = 0, closes = 0;
		int ok;

		if (is_held(ex, ex->queue[i]))
			continue; /* set aside while it waited: dropped from the wave */

		if (ex->running >= limit) { /* full: keep the rest in order */
			memmove(&ex->queue[kept], &ex->queue[i], (ex->nqueue - i) * sizeof *ex->queue);
			kept += ex->nqueue - i;
			break;
		}
		if (ex->site_running[hr->site] >= ex->plan->site_limit[hr->site] ||
		    (ok = window_allows(ex, hr, &w, &closes)) == 0) {
			if (w > 0 && (wake == 0 || w < wake))
				wake = w;
			ex->queue[kept++] = ex->queue[i];
			continue;
		}
		if (ok < 0) {
			char end[RO_JST_FMT_MAX];
			ro_jst_format(ex->plan->window_end / 60, end);
			halt(ex, "%s cannot finish inside the plan's closed-office window (it ends %s JST): "
			    "nothing more starts; plan the rest for the next window",
			    ex->c->inv->hosts[hr->host].name, end);
			ex->queue[kept++] = ex->queue[i];
			continue;
		}
		/* The decision, kept in the journal: when, how long, until when. */
		{
			char at[RO_JST_FMT_MAX], until[RO_JST_FMT_MAX], why[160];
			ro_jst_format((int64_t)floor(ro__now(ex) / 60.0), at);
			if (closes > 0) {
				ro_jst_format((int64_t)floor(closes / 60.0), until);
				snprintf(why, sizeof why, "started %s JST, %ld s of work estimated, "
				    "window closes %s JST", at, hr->estimate, until);
			} else
				snprintf(why, sizeof why, "started %s JST, %ld s of work estimated, any time",
				    at, hr->estimate);
			queue_host_state_reason(ex, hr, RO_HOST_RUNNING, why);
		}
		ex->running++;
		ex->site_running[hr->site]++;
		ro__emit(ex, RO_EV_HOST, (int)ex->plan->waves[ex->wave].index, hr->host, NULL,
		    "running", 0, RO_STORE_NO_EXIT_CODE, NULL);
		ro__host_start(hr);
	}
	ex->nqueue = kept;
	if (ex->halting || ex->stopping)
		ex->nqueue = 0;
	if (ex->nqueue == 0 && ex->running == 0) {
		end_wave(ex);
		return;
	}
	if (wake > 0 && ex->running == 0 && wake != ex->announced_wake) {
		ex->announced_wake = wake;
		char when[RO_JST_FMT_MAX], msg[160];
		ro_jst_format((int64_t)floor(wake / 60.0), when);
		snprintf(msg, sizeof msg, "outside the campaign's %s window or before a site's planned "
		    "day: the next host starts at %s JST", ro_window_names[ex->c->policy.window], when);
		emit_wait(ex, wake, msg);
	}
	if (wake > 0) {
		double dt = wake - ro__now(ex);
		uv_timer_start(&ex->poll, poll_fire, ro_clock_real_ms(ex->cfg.clock, dt > 0 ? dt : 0.001), 0);
	}
}

/* ---- gates: signed approvals (approval.h) ------------------------------------- */

/*
 * gate_verdict judges wave w's gate by the signatures alone: the wave's
 * state in the store (which anyone with the file can set) never opens it.
 * Rows that do not verify are journaled as security events by
 * ro_approval_gate and count for nothing. A store failure ends the run.
 */
static int
gate_verdict(struct ro_executor *ex, const struct ro_wave *w, enum ro_gate_verdict *v)
{
	char *refusal = NULL, *cause = NULL;
	int rc;

	rc = ro_approval_gate(ex->st, ex->gates, (int)w->index, &ex->approvals_seen, v, &refusal,
	    &cause);
	if (rc != RO_OK) {
		store_failed(ex, rc, cause);
		return rc;
	}
	if (*v == RO_GATE_REFUSED)
		halt(ex, "%s; the campaign is halted (`rollout status %s`); once the cause is dealt "
		    "with, the wave needs a new approval and a resume", refusal, ex->c->id);
	free(refusal);
	return RO_OK;
}

/* gate_wait keeps polling the store for wave w's approval; the wait is
 * announced once per wave, also when a resumed run finds it waiting. */
static void
gate_wait(struct ro_executor *ex, const struct ro_wave *w)
{
	if (ex->gate_announced != (size_t)w->index + 1) {
		ex->gate_announced = (size_t)w->index + 1;
		ro__emit(ex, RO_EV_WAVE, (int)w->index, -1, NULL, "awaiting-approval", 0,
		    RO_STORE_NO_EXIT_CODE, NULL);
	}
	ex->gate_waiting = 1;
	uv_timer_start(&ex->poll, poll_fire, ex->cfg.poll_ms, 0);
}

/*
 * gate_judge handles a gated wave that is awaiting approval or marked
 * approved: 1 when its hosts may start now, 0 when it waits (or the run
 * ends: refused, store failure, stop).
 */
static int
gate_judge(struct ro_executor *ex, const struct ro_wave *w, enum ro_wave_state state)
{
	enum ro_gate_verdict v = RO_GATE_WAIT;

	if (gate_verdict(ex, w, &v) != RO_OK || v == RO_GATE_REFUSED) {
		end_campaign(ex);
		return 0;
	}
	if (ex->stopping) {
		halt(ex, "stopped by the operator while wave %u waited for approval", w->index + 1);
		end_campaign(ex);
		return 0;
	}
	/* A valid approval moves the wave to approved (rollout approve does
	 * that in the same transaction); only then may it run. */
	if (v == RO_GATE_OPEN && state == RO_WAVE_APPROVED)
		return 1;
	gate_wait(ex, w);
	return 0;
}

/* Opens wave ex->wave (or the campaign's end): the gate, then its hosts. */
static void
start_wave(struct ro_executor *ex)
{
	const struct ro_wave *w;
	struct ro_wave_info info;
	char *cause = NULL;
	size_t i;
	int rc;

	ex->gate_waiting = 0;
	if (ex->stopping && !ex->halting)
		halt(ex, "stopped by the operator before wave %zu", ex->wave + 1);
	if (ex->wave >= ex->plan->nwaves || ex->halting) {
		end_campaign(ex);
		return;
	}
	w = &ex->plan->waves[ex->wave];
	memset(&info, 0, sizeof info);
	if ((rc = ro_store_wave_get(ex->st, ex->c->id, (int)w->index, &info, &cause)) != RO_OK) {
		store_failed(ex, rc, cause);
		end_campaign(ex);
		return;
	}
	rc = RO_OK;
	switch (info.state) {
	case RO_WAVE_DONE:
	case RO_WAVE_FAILED: {
		/* Done earlier; reopen it only if some of its hosts still need work. */
		int again = 0;
		for (i = 0; i < ex->nruns; i++)
			if (ex->runs[i].wave == (int)w->index && !is_held(ex, i) &&
			    (ex->runs[i].stored == RO_HOST_FAILED ||
			    ex->runs[i].stored == RO_HOST_PENDING || ex->runs[i].stored == RO_HOST_RUNNING))
				again = 1;
		ro_wave_info_clear(&info);
		if (!again) {
			ex->wave++;
			start_wave(ex);
			return;
		}
		rc = ro_store_wave_set_state(ex->st, ex->c->id, (int)w->index, RO_WAVE_RUNNING, &cause);
		break;
	}
	case RO_WAVE_PENDING:
		if (w->gated) {
			rc = ro_store_wave_set_state(ex->st, ex->c->id, (int)w->index,
			    RO_WAVE_AWAITING_APPROVAL, &cause);
			if (rc == RO_OK)
				gate_wait(ex, w);
			ro_wave_info_clear(&info);
			if (rc != RO_OK) {
				store_failed(ex, rc, cause);
				end_campaign(ex);
			}
			return;
		}
		rc = ro_store_wave_set_state(ex->st, ex->c->id, (int)w->index, RO_WAVE_RUNNING, &cause);
		break;
	case RO_WAVE_AWAITING_APPROVAL:
		ro_wave_info_clear(&info);
		(void)gate_judge(ex, w, RO_WAVE_AWAITING_APPROVAL);
		return;
	case RO_WAVE_APPROVED:
		if (w->gated && !gate_judge(ex, w, RO_WAVE_APPROVED)) {
			ro_wave_info_clear(&info);
			return;
		}
		rc = ro_store_wave_set_state(ex->st, ex->c->id, (int)w->index, RO_WAVE_RUNNING, &cause);
		break;
	case RO_WAVE_HALTED:
		rc = ro_store_wave_set_state(ex->st, ex->c->id, (int)w->index, RO_WAVE_RUNNING, &cause);
		break;
	case RO_WAVE_RUNNING:
		break;
	}
	ro_wave_info_clear(&info);
	if (rc != RO_OK) {
		store_failed(ex, rc, cause);
		end_campaign(ex);
		return;
	}
	ro__emit(ex, RO_EV_WAVE, (int)w->index, -1, NULL, "running", 0, RO_STORE_NO_EXIT_CODE, NULL);
	ex->nqueue = 0;
	ex->wave_failed = 0;
	for (i = 0; i < ex->nruns; i++) {
		struct hostrun *hr = &ex->runs[i];
		if (hr->wave != (int)w->index)
			continue;
		if (hr->stored == RO_HOST_DONE || hr->stored == RO_HOST_SKIPPED || is_held(ex, i))
			continue;
		ex->queue[ex->nqueue++] = i;
	}
	ex->wave_open = 1;
	dispatch(ex);
}

/* ---- setup ---------------------------------------------------------------------- */

/* Closes intents an earlier run left open and hosts it left running. */
static int
resolve_leftovers(struct ro_executor *ex, char **cause)
{
	struct ro_intent_info *open = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = ro_store_open_intents(ex->st, ex->c->id, &open, &n)) != RO_OK) {
		*cause = ro_xasprintf("cannot read open intents: %s", ro_store_errmsg(ex->st));
		return rc;
	}
	for (i = 0; i < n && rc == RO_OK; i++) {
		rc = ro_store_outcome_record(ex->st, open[i].id, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE,
		    "interrupted: the engine stopped before this step's outcome was recorded; "
		    "the host resumes from its recorded steps", cause);
		if (rc == RO_OK)
			ro__emit(ex, RO_EV_NOTE, -1, -1, open[i].step_name, "interrupted", open[i].attempt,
			    RO_STORE_NO_EXIT_CODE, "an interrupted step was closed; its host resumes from its recorded steps");
	}
	ro_intent_list_free(open, n);
	for (i = 0; i < ex->nruns && rc == RO_OK; i++) {
		if (ex->runs[i].stored != RO_HOST_RUNNING)
			continue;
		rc = ro_store_host_set_state(ex->st, ex->c->id, ex->c->inv->hosts[ex->runs[i].host].name,
		    RO_HOST_FAILED, cause);
		if (rc == RO_OK)
			ex->runs[i].stored = RO_HOST_FAILED;
	}
	return rc;
}

/* A host's position in the campaign's hosts (inventory order): the index of
 * its row in c->host_playbooks. */
static uint32_t
campaign_pos(const struct ro_campaign *c, uint32_t host)
{
	size_t lo = 0, hi = c->nhosts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->hosts[mid] < host)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

/* Fills ex->runs from the store's host list (states survive restarts). */
static int
load_hosts(struct ro_executor *ex, char **cause)
{
	struct ro_host_info *hosts = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = ro_store_host_list(ex->st, ex->c->id, -1, &hosts, &n)) != RO_OK) {
		*cause = ro_xasprintf("cannot read the campaign's hosts: %s", ro_store_errmsg(ex->st));
		return rc;
	}
	ex->runs = ro_xcalloc(n ? n : 1, sizeof *ex->runs);
	ex->queue = ro_xcalloc(n ? n : 1, sizeof *ex->queue);
	for (i = 0; i < n; i++) {
		uint32_t idx;
		if (!ro_strmap_get(&ex->c->inv->host_index, hosts[i].host, &idx)) {
			*cause = ro_xasprintf("host %s of campaign %s is no longer in the inventory %s",
			    hosts[i].host, ex->c->id, ex->c->inv->path);
			rc = RO_ESTATE;
			break;
		}
		ex->runs[i].host = idx;
		ex->runs[i].cpos = campaign_pos(ex->c, idx);
		ex->runs[i].site = ex->c->inv->hosts[idx].site;
		ex->runs[i].wave = hosts[i].wave;
		ex->runs[i].stored = hosts[i].state;
		ex->runs[i].estimate = ro_plan_host_estimate(ex->plan, idx);
		ro__host_init(ex, &ex->runs[i]);
		ex->nruns = i + 1; /* only initialised timers are closed by ro_executor_free */
	}
	ro_host_list_free(hosts, n);
	return rc;
}

int
ro_executor_supports(const struct ro_plan *plan, char **cause)
{
	const struct ro_campaign *c = plan->campaign;
	size_t p, s;

	for (p = 0; p < c->nplaybooks; p++)
		for (s = 0; s < c->playbooks[p]->nsteps; s++) {
			const struct ro_step *st = &c->playbooks[p]->steps[s];
			if (st->kind >= RO_STEP_N) {
				*cause = ro_xasprintf("%s:%d:%d: step %s is of a kind this version "
				    "cannot run", c->playbooks[p]->path, st->line, st->col, st->name);
				return RO_ESTATE;
			}
		}
	return RO_OK;
}

/*
 * load_gates reads the gates and roster from the plan's own canonical bytes
 * (the ones its hash covers). A campaign with a gate and no roster cannot
 * run: no approval of it could ever be verified.
 */
static int
load_gates(const struct ro_plan *plan, struct ro_gates **out, char **cause)
{
	size_t i;
	int rc;

	if ((rc = ro_gates_from_canonical(plan->canonical, plan->canonical_len, plan->hash, out,
	    cause)) != RO_OK)
		return rc;
	for (i = 0; i < plan->nwaves; i++)
		if (plan->waves[i].gated && (*out)->roster == NULL) {
			*cause = ro_xasprintf("%s: campaign %s has gated waves but names no approvers "
			    "roster, so no approval of it could be verified; add 'approvers: FILE' "
			    "to the campaign (docs/APPROVALS.md) and plan it under a new id",
			    plan->campaign->path, plan->campaign->id);
			ro_gates_free(*out);
			*out = NULL;
			return RO_ESTATE;
		}
	return RO_OK;
}

int
ro_executor_new(uv_loop_t *loop, struct ro_store *st, const struct ro_plan *plan,
    const struct ro_exec_config *cfg, struct ro_executor **out, char **cause)
{
	struct ro_executor *ex;
	struct ro_campaign_info info;
	struct ro_gates *gates = NULL;
	int rc;

	*out = NULL;
	if ((rc = ro_executor_supports(plan, cause)) != RO_OK)
		return rc;
	if (cfg->vault == NULL && ro_plan_password_steps(plan) > 0) {
		*cause = ro_xasprintf("campaign %s changes passwords: name the vault member who "
		    "unlocks the vault with --vault-member NAME", plan->campaign->id);
		return RO_ESTATE;
	}
	memset(&info, 0, sizeof info);
	if ((rc = ro_store_campaign_get(st, plan->campaign->id, &info, cause)) != RO_OK)
		return rc;
	if (strcmp(info.plan_hash, plan->hash) != 0) {
		*cause = ro_xasprintf("campaign %s was recorded with plan %.12s…, but its files now "
		    "give plan %.12s…: the approved plan and the files differ. Restore the files, or "
		    "give the changed campaign a new id and have it approved again",
		    plan->campaign->id, info.plan_hash, plan->hash);
		ro_campaign_info_clear(&info);
		return RO_ESTATE;
	}
	ro_campaign_info_clear(&info);
	if ((rc = load_gates(plan, &gates, cause)) != RO_OK)
		return rc;

	ex = ro_xcalloc(1, sizeof *ex);
	ex->gates = gates;
	ex->loop = loop;
	ex->st = st;
	ex->plan = plan;
	ex->c = plan->campaign;
	ex->cfg = *cfg;
	not_before_init(ex);
	if (ex->cfg.poll_ms == 0)
		ex->cfg.poll_ms = DEFAULT_POLL_MS;
	{
		const char *crash = getenv("ROLLOUT_TEST_CRASH_AT");
		ex->crash_at = crash && *crash ? ro_xstrdup(crash) : NULL;
	}
	ex->cal = ro_cal_new_closed(ex->c->inv->closed_days, ex->c->inv->nclosed_days);
	ex->site_running = ro_xcalloc(ex->c->inv->nsites ? ex->c->inv->nsites : 1,
	    sizeof *ex->site_running);
	uv_timer_init(loop, &ex->poll);
	ex->poll.data = ex;
	uv_idle_init(loop, &ex->flusher);
	ex->flusher.data = ex;
	uv_timer_init(loop, &ex->vault_wait);
	ex->vault_wait.data = ex;
	if ((rc = ro_known_hosts_load(cfg->known_hosts_path, &ex->known, cause)) == RO_OK)
		rc = load_hosts(ex, cause);
	if (rc != RO_OK) {
		ro_executor_free(ex);
		return rc;
	}
	*out = ex;
	return RO_OK;
}

int
ro_executor_run(struct ro_executor *ex, struct ro_exec_summary *sum, char **cause)
{
	struct ro_campaign_info info;
	int rc;

	memset(&info, 0, sizeof info);
	if ((rc = ro_store_campaign_get(ex->st, ex->c->id, &info, cause)) != RO_OK)
		return rc;
	if (info.state == RO_CAMPAIGN_DONE || info.state == RO_CAMPAIGN_FAILED ||
	    info.state == RO_CAMPAIGN_CANCELLED) {
		*cause = ro_xasprintf("campaign %s is %s: there is nothing to run", ex->c->id,
		    ro_campaign_state_name(info.state));
		ro_campaign_info_clear(&info);
		return RO_ESTATE;
	}
	ro_campaign_info_clear(&info);
	if ((rc = ro_store_campaign_set_state(ex->st, ex->c->id, RO_CAMPAIGN_RUNNING, cause)) != RO_OK)
		return rc;
	if ((rc = resolve_leftovers(ex, cause)) != RO_OK)
		return rc;
	if ((rc = ro_executor_refresh_holds(ex)) != RO_OK) {
		*cause = ro_xasprintf("cannot read the held hosts: %s", ro_store_errmsg(ex->st));
		return rc;
	}
	ex->sum.hosts = (uint32_t)ex->nruns;
	ro__emit(ex, RO_EV_CAMPAIGN, -1, -1, NULL, "running", 0, RO_STORE_NO_EXIT_CODE, NULL);
	ex->wave = 0;
	start_wave(ex);
	while (!ex->finished)
		uv_run(ex->loop, UV_RUN_DEFAULT);
	*sum = ex->sum;
	if (ex->rc != RO_OK) {
		*cause = ex->cause;
		ex->cause = NULL;
		return ex->rc;
	}
	return RO_OK;
}

void
ro_executor_stop(struct ro_executor *ex, int hard)
{
	size_t i;

	ex->stopping = hard ? 2 : (ex->stopping ? ex->stopping : 1);
	if (ex->gate_waiting) {
		uv_timer_stop(&ex->poll);
		start_wave(ex);
		return;
	}
	if (hard)
		for (i = 0; i < ex->nruns; i++)
			if (ex->runs[i].stored == RO_HOST_RUNNING)
				ro__host_cancel(&ex->runs[i]);
	dispatch(ex);
}

static void
count_closed(uv_handle_t *h)
{
	size_t *left = h->loop->data;
	(*left)--;
}

void
ro_executor_free(struct ro_executor *ex)
{
	size_t i, left;
	void *saved;

	if (ex == NULL)
		return;
	/* Every embedded handle is closed, and the loop run, before memory goes. */
	saved = ex->loop->data;
	flush_writes(ex);
	left = ex->nruns + 3;
	ex->loop->data = &left;
	for (i = 0; i < ex->nruns; i++)
		ro__host_release(&ex->runs[i], count_closed);
	uv_close((uv_handle_t *)&ex->poll, count_closed);
	uv_close((uv_handle_t *)&ex->flusher, count_closed);
	uv_close((uv_handle_t *)&ex->vault_wait, count_closed);
	while (left > 0)
		uv_run(ex->loop, UV_RUN_ONCE);
	ex->loop->data = saved;
	ro_known_hosts_free(ex->known);
	ro_cal_free(ex->cal);
	free(ex->runs);
	free(ex->queue);
	free(ex->site_running);
	free(ex->writes);
	free(ex->cause);
	free(ex->held);
	free(ex->crash_at);
	ro_gates_free(ex->gates);
	free(ex->not_before);
	free(ex);
}
