/* cmd-status.c - `rollout status [CAMPAIGN]`: where campaigns stand, from the store. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "incident.h"
#include "lease.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_status;

/*
 * Who runs the campaign, as far as another process can tell: the lease an
 * engine holds, whether that engine is still alive, the hosts set aside,
 * and whether `rollout resume` knows how to run it again.
 */
struct engine_view {
	struct ro_lease_info lease;
	int has_lease;
	int interrupted;      /* the store says running, but no engine runs it */
	int64_t now;          /* real Unix seconds the judgement was made at */
	struct ro_hold_info *holds;
	size_t nholds;
	int has_invocation;
	char state_dir[PATH_MAX]; /* absolute, for commands that paste as they are */
};

/* Everything `status CAMPAIGN` shows, read in one snapshot. */
struct snapshot {
	struct ro_campaign_info c;
	struct ro_wave_info *waves;
	size_t nwaves;
	struct ro_host_tally *by_wave, *by_site;
	size_t nby_wave, nby_site;
	struct ro_approval_info *approvals;
	size_t napprovals;
	struct ro_failure_info *failures;
	size_t nfailures;
	struct engine_view engine;
	/* Records (docs/INSPECTION.md): findings, and the manual steps with
	 * their on-site results; npending of them not recorded yet. */
	struct ro_finding *findings;
	size_t nfindings;
	struct ro_manual_item *manual;
	size_t nmanual, npending;
};

static void
snapshot_free(struct snapshot *s)
{
	ro_campaign_info_clear(&s->c);
	ro_wave_list_free(s->waves, s->nwaves);
	ro_host_tally_free(s->by_wave, s->nby_wave);
	ro_host_tally_free(s->by_site, s->nby_site);
	ro_approval_list_free(s->approvals, s->napprovals);
	ro_failure_list_free(s->failures, s->nfailures);
	ro_finding_list_free(s->findings, s->nfindings);
	ro_manual_list_free(s->manual, s->nmanual);
	ro_lease_info_clear(&s->engine.lease);
	ro_hold_list_free(s->engine.holds, s->engine.nholds);
	memset(s, 0, sizeof *s);
}

/* engine_read fills v for campaign c (inside the snapshot's read transaction). */
static int
engine_read(struct ro_store *st, const char *id, const struct ro_campaign_info *c,
    struct engine_view *v)
{
	char *cwd = NULL, **argv = NULL;
	int argc = 0, rc;

	v->now = (int64_t)time(NULL);
	rc = ro_store_lease_get(st, id, &v->lease, NULL);
	if (rc != RO_OK && rc != RO_ENOENT)
		return rc;
	v->has_lease = rc == RO_OK;
	v->interrupted = c->state == RO_CAMPAIGN_RUNNING &&
	    (!v->has_lease || !ro_lease_alive(&v->lease, v->now));
	if ((rc = ro_store_hold_list(st, id, &v->holds, &v->nholds)) != RO_OK)
		return rc;
	v->has_invocation = ro_store_invocation_get(st, id, &cwd, &argc, &argv, NULL) == RO_OK;
	ro_argv_free(argv);
	free(cwd);
	return RO_OK;
}

static int
snapshot_read(struct ro_store *st, const char *id, struct snapshot *s, char **cause)
{
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = ro_store_begin_read(st)) != RO_OK) {
		*cause = ro_xasprintf("%s", ro_store_errmsg(st));
		return rc;
	}
	if ((rc = ro_store_campaign_get(st, id, &s->c, cause)) == RO_OK &&
	    (rc = ro_store_wave_list(st, id, &s->waves, &s->nwaves)) == RO_OK &&
	    (rc = ro_store_tally(st, id, RO_TALLY_BY_WAVE, &s->by_wave, &s->nby_wave)) == RO_OK &&
	    (rc = ro_store_tally(st, id, RO_TALLY_BY_SITE, &s->by_site, &s->nby_site)) == RO_OK &&
	    (rc = ro_store_approval_list(st, id, -1, &s->approvals, &s->napprovals)) == RO_OK)
		rc = ro_store_failures(st, id, &s->failures, &s->nfailures);
	if (rc == RO_OK)
		rc = engine_read(st, id, &s->c, &s->engine);
	if (rc == RO_OK && (rc = ro_store_findings_list(st, id, &s->findings, &s->nfindings)) == RO_OK &&
	    (rc = ro_store_manual_list(st, id, &s->manual, &s->nmanual)) == RO_OK)
		for (size_t i = 0; i < s->nmanual; i++)
			s->npending += s->manual[i].result == NULL;
	if (rc != RO_OK && *cause == NULL)
		*cause = ro_xasprintf("%s", ro_store_errmsg(st));
	ro_store_rollback(st);
	return rc;
}

static const struct ro_host_tally *
wave_tally(const struct snapshot *s, int idx)
{
	size_t i;
	for (i = 0; i < s->nby_wave; i++)
		if (s->by_wave[i].wave == idx)
			return &s->by_wave[i];
	return NULL;
}

static void
fmt_at(int64_t t, char buf[RO_JST_FMT_MAX])
{
	if (t == RO_STORE_NO_TIME)
		snprintf(buf, RO_JST_FMT_MAX, "-");
	else
		ro_jst_format(t / 60, buf);
}

/*
 * The campaign's state as a person needs it: the store's state, except that
 * a campaign the store calls running whose engine is gone is "interrupted
 * (engine stopped at T)", T being its last heartbeat.
 */
/* A campaign the engine finished whose manual steps are not all recorded
 * on site is not done yet: it awaits the people walking the sites. */
static const char *
campaign_state_name(const struct snapshot *s)
{
	if (s->c.state == RO_CAMPAIGN_DONE && s->npending > 0)
		return "awaiting-on-site";
	return ro_campaign_state_name(s->c.state);
}

static void
display_state(const struct snapshot *s, struct ro_buf *b)
{
	const struct engine_view *v = &s->engine;
	char at[RO_JST_FMT_MAX];

	if (v->interrupted) {
		if (v->has_lease) {
			ro_jst_format(v->lease.heartbeat_at / 60, at);
			ro_buf_printf(b, "interrupted (engine stopped at %s JST)", at);
		} else
			ro_buf_adds(b, "interrupted (no engine holds it)");
	} else if (s->c.state == RO_CAMPAIGN_RUNNING && v->has_lease)
		ro_buf_printf(b, "running (pid %lld on %s, heartbeat %lld s ago)",
		    (long long)v->lease.pid, v->lease.host,
		    (long long)(v->now > v->lease.heartbeat_at ? v->now - v->lease.heartbeat_at : 0));
	else
		ro_buf_adds(b, campaign_state_name(s));
}

/* The one command that moves the campaign on, pasted as it is; "" when the
 * campaign needs none (done, running, or waiting for an approval, which is
 * printed with its gate). */
static void
next_command(const struct snapshot *s, struct ro_buf *b)
{
	if (!s->engine.interrupted && s->c.state != RO_CAMPAIGN_HALTED)
		return;
	if (s->engine.has_invocation)
		ro_buf_adds(b, "rollout resume ");
	else
		ro_buf_adds(b, "rollout run CAMPAIGN-FILE ");
	ro_cmd_shell_word(b, s->c.id);
	ro_buf_adds(b, " --state-dir ");
	ro_cmd_shell_word(b, s->engine.state_dir);
}

/*
 * status_exit: as `kubectl rollout status`, non-zero when the campaign
 * needs a person: 0 planned, running or done; 1 halted (a failure budget,
 * a stop, held hosts), failed, cancelled, or interrupted (its engine died).
 * docs/EXECUTION.md lists these; keep the two the same.
 */
static int
status_exit(const struct snapshot *s)
{
	if (s->engine.interrupted)
		return RO_EXIT_FAIL;
	switch (s->c.state) {
	case RO_CAMPAIGN_PLANNED:
	case RO_CAMPAIGN_RUNNING:
	case RO_CAMPAIGN_DONE:
		return RO_EXIT_OK;
	case RO_CAMPAIGN_HALTED:
	case RO_CAMPAIGN_FAILED:
	case RO_CAMPAIGN_CANCELLED:
		return RO_EXIT_FAIL;
	}
	return RO_EXIT_FAIL;
}

static void
engine_json(struct ro_buf *b, const struct snapshot *s)
{
	const struct engine_view *v = &s->engine;
	struct ro_buf t;
	size_t i;

	ro_buf_init(&t);
	display_state(s, &t);
	ro_buf_adds(b, ",\"display_state\":");
	ro_buf_json_str(b, t.p);
	ro_buf_printf(b, ",\"interrupted\":%s,\"reason\":", v->interrupted ? "true" : "false");
	ro_buf_json_str(b, s->c.reason);
	ro_buf_adds(b, ",\"engine\":");
	if (v->has_lease) {
		ro_buf_printf(b, "{\"pid\":%lld,\"host\":", (long long)v->lease.pid);
		ro_buf_json_str(b, v->lease.host);
		ro_buf_printf(b, ",\"started_at\":%lld,\"heartbeat_at\":%lld,\"alive\":%s}",
		    (long long)v->lease.started_at, (long long)v->lease.heartbeat_at,
		    ro_lease_alive(&v->lease, v->now) ? "true" : "false");
	} else
		ro_buf_adds(b, "null");
	ro_buf_adds(b, ",\"held\":[");
	for (i = 0; i < v->nholds; i++) {
		const struct ro_hold_info *h = &v->holds[i];
		ro_buf_printf(b, "%s{\"host\":", i ? "," : "");
		ro_buf_json_str(b, h->host);
		ro_buf_adds(b, ",\"site\":");
		ro_buf_json_str(b, h->site);
		ro_buf_adds(b, ",\"site_name\":");
		ro_buf_json_str(b, h->site_name);
		ro_buf_printf(b, ",\"wave\":%d,\"state\":\"%s\",\"held_at\":%lld,\"held_by\":",
		    h->wave + 1, ro_host_state_name(h->state), (long long)h->held_at);
		ro_buf_json_str(b, h->held_by);
		ro_buf_adds(b, ",\"reason\":");
		ro_buf_json_str(b, h->reason);
		ro_buf_addc(b, '}');
	}
	ro_buf_addc(b, ']');
	ro_buf_free(&t);
	ro_buf_init(&t);
	next_command(s, &t);
	ro_buf_adds(b, ",\"next\":");
	ro_buf_json_str(b, t.len ? t.p : NULL);
	ro_buf_free(&t);
}

/* The halt reason, the held hosts and the next command, for people. */
static void
engine_text(const struct snapshot *s)
{
	const struct engine_view *v = &s->engine;
	char at[RO_JST_FMT_MAX];
	struct ro_buf t;
	size_t i;

	if (v->nholds) {
		printf("\nheld hosts (set aside; the rest of the campaign goes on without them):\n");
		for (i = 0; i < v->nholds; i++) {
			const struct ro_hold_info *h = &v->holds[i];
			fmt_at(h->held_at, at);
			printf("  %-16s %s%s%s%s, wave %d, %s: held by %s at %s JST: %s\n", h->host,
			    h->site_name ? h->site_name : h->site, h->site_name ? " (" : "",
			    h->site_name ? h->site : "", h->site_name ? ")" : "", h->wave + 1, ro_host_state_name(h->state), h->held_by, at, h->reason);
		}
		ro_buf_init(&t);
		ro_buf_adds(&t, "rollout hosts release ");
		ro_cmd_shell_word(&t, s->c.id);
		ro_buf_adds(&t, " HOST --state-dir ");
		ro_cmd_shell_word(&t, v->state_dir);
		printf("  release one once it is fixed: %s\n", t.p);
		ro_buf_free(&t);
	}
	ro_buf_init(&t);
	next_command(s, &t);
	if (t.len)
		printf("\nnext: %s\n", t.p);
	ro_buf_free(&t);
}

static void
tally_json(struct ro_buf *b, const struct ro_host_tally *t)
{
	int k;
	ro_buf_addc(b, '{');
	for (k = 0; k < RO_HOST_NSTATES; k++)
		ro_buf_printf(b, "%s\"%s\":%lld", k ? "," : "", ro_host_state_name(k),
		    t ? (long long)t->n[k] : 0LL);
	ro_buf_printf(b, ",\"total\":%lld}", t ? (long long)t->total : 0LL);
}

static void
print_json(const struct snapshot *s, const struct ro_journal_check *jc)
{
	struct ro_buf b;
	size_t i;

	ro_buf_init(&b);
	ro_buf_adds(&b, "{\"campaign\":");
	ro_buf_json_str(&b, s->c.id);
	ro_buf_adds(&b, ",\"title\":");
	ro_buf_json_str(&b, s->c.title);
	ro_buf_printf(&b, ",\"state\":\"%s\",\"plan_hash\":\"%s\"",
	    campaign_state_name(s), s->c.plan_hash);
	engine_json(&b, s);
	ro_buf_adds(&b, ",\"waves\":[");
	for (i = 0; i < s->nwaves; i++) {
		const struct ro_wave_info *w = &s->waves[i];
		ro_buf_printf(&b, "%s{\"wave\":%d,\"name\":", i ? "," : "", w->idx + 1);
		ro_buf_json_str(&b, w->name);
		ro_buf_printf(&b, ",\"state\":\"%s\",\"gated\":%s,\"failure_budget\":%d,\"hosts\":",
		    ro_wave_state_name(w->state), w->gated ? "true" : "false", w->failure_budget);
		tally_json(&b, wave_tally(s, w->idx));
		ro_buf_addc(&b, '}');
	}
	ro_buf_adds(&b, "],\"sites\":[");
	for (i = 0; i < s->nby_site; i++) {
		ro_buf_printf(&b, "%s{\"site\":", i ? "," : "");
		ro_buf_json_str(&b, s->by_site[i].site);
		ro_buf_adds(&b, ",\"hosts\":");
		tally_json(&b, &s->by_site[i]);
		ro_buf_addc(&b, '}');
	}
	ro_buf_adds(&b, "],\"approvals\":[");
	for (i = 0; i < s->napprovals; i++) {
		const struct ro_approval_info *a = &s->approvals[i];
		ro_buf_printf(&b, "%s{\"wave\":%d,\"approver\":", i ? "," : "", a->wave + 1);
		ro_buf_json_str(&b, a->approver);
		ro_buf_printf(&b, ",\"at\":%lld,\"plan_hash\":\"%s\",\"comment\":",
		    (long long)a->approved_at, a->plan_hash);
		if (a->comment)
			ro_buf_json_str(&b, a->comment);
		else
			ro_buf_adds(&b, "null");
		ro_buf_addc(&b, '}');
	}
	ro_buf_adds(&b, "],\"failed\":[");
	for (i = 0; i < s->nfailures; i++) {
		const struct ro_failure_info *f = &s->failures[i];
		ro_buf_printf(&b, "%s{\"host\":", i ? "," : "");
		ro_buf_json_str(&b, f->host);
		ro_buf_adds(&b, ",\"site\":");
		ro_buf_json_str(&b, f->site);
		ro_buf_adds(&b, ",\"site_name\":");
		ro_buf_json_str(&b, f->site_name);
		ro_buf_printf(&b, ",\"wave\":%d", f->wave + 1);
		if (f->failed_at != RO_STORE_NO_TIME)
			ro_buf_printf(&b, ",\"failed_at\":%lld", (long long)f->failed_at);
		ro_buf_adds(&b, ",\"reason\":");
		if (f->reason)
			ro_buf_json_str(&b, f->reason);
		else
			ro_buf_adds(&b, "null");
		if (f->has_outcome) {
			ro_buf_adds(&b, ",\"step\":");
			ro_buf_json_str(&b, f->step_name);
			ro_buf_printf(&b, ",\"attempt\":%d,\"status\":\"%s\"", f->attempt,
			    ro_step_status_name(f->status));
			if (f->exit_code != RO_STORE_NO_EXIT_CODE)
				ro_buf_printf(&b, ",\"exit_code\":%d", f->exit_code);
			ro_buf_adds(&b, ",\"detail\":");
			if (f->detail)
				ro_buf_json_str(&b, f->detail);
			else
				ro_buf_adds(&b, "null");
		}
		ro_buf_addc(&b, '}');
	}
	ro_buf_printf(&b, "],\"finding_count\":%zu,\"findings\":[", s->nfindings);
	for (i = 0; i < s->nfindings; i++) {
		const struct ro_finding *f = &s->findings[i];
		ro_buf_printf(&b, "%s{\"host\":", i ? "," : "");
		ro_buf_json_str(&b, f->host);
		ro_buf_adds(&b, ",\"site\":");
		ro_buf_json_str(&b, f->site);
		ro_buf_adds(&b, ",\"step\":");
		ro_buf_json_str(&b, f->step_name);
		ro_buf_adds(&b, ",\"item\":");
		ro_buf_json_str(&b, f->item);
		ro_buf_printf(&b, ",\"on_site\":%s", f->manual ? "true" : "false");
		if (f->exit_code != RO_STORE_NO_EXIT_CODE)
			ro_buf_printf(&b, ",\"exit_code\":%d", f->exit_code);
		ro_buf_adds(&b, ",\"detail\":");
		ro_buf_json_str(&b, f->detail);
		ro_buf_adds(&b, ",\"output\":");
		ro_buf_json_str(&b, f->output);
		ro_buf_printf(&b, ",\"truncated\":%s,\"at\":%lld", f->truncated ? "true" : "false",
		    (long long)f->at);
		if (f->manual) {
			ro_buf_adds(&b, ",\"person\":");
			ro_buf_json_str(&b, f->person);
			ro_buf_adds(&b, ",\"person_ja\":");
			ro_buf_json_str(&b, f->person_ja);
		}
		ro_buf_addc(&b, '}');
	}
	ro_buf_printf(&b, "],\"on_site_pending\":%zu,\"on_site\":[", s->npending);
	for (i = 0; i < s->nmanual; i++) {
		const struct ro_manual_item *m = &s->manual[i];
		ro_buf_printf(&b, "%s{\"host\":", i ? "," : "");
		ro_buf_json_str(&b, m->host);
		ro_buf_adds(&b, ",\"site\":");
		ro_buf_json_str(&b, m->site);
		ro_buf_adds(&b, ",\"step\":");
		ro_buf_json_str(&b, m->step_name);
		ro_buf_adds(&b, ",\"result\":");
		ro_buf_json_str(&b, m->result);
		if (m->result != NULL) {
			ro_buf_adds(&b, ",\"person\":");
			ro_buf_json_str(&b, m->person);
			ro_buf_adds(&b, ",\"person_ja\":");
			ro_buf_json_str(&b, m->person_ja);
			ro_buf_adds(&b, ",\"login\":");
			ro_buf_json_str(&b, m->login);
			ro_buf_adds(&b, ",\"note\":");
			ro_buf_json_str(&b, m->note);
			ro_buf_printf(&b, ",\"at\":%lld", (long long)m->at);
		}
		ro_buf_addc(&b, '}');
	}
	ro_buf_adds(&b, "],\"journal\":");
	if (jc->head_seq == 0)
		ro_buf_adds(&b, "null");
	else
		ro_buf_printf(&b, "{\"seq\":%lld,\"hash\":\"%s\"}", (long long)jc->head_seq,
		    jc->head);
	ro_buf_adds(&b, "}\n");
	fputs(b.p, stdout);
	ro_buf_free(&b);
}

/*
 * snapshot_escape replaces every text that came from a person or a file
 * (titles, names, approvers, comments, reasons, details) by its escaped
 * form for a terminal (ro_safe), so that `approve --as` or `--comment`
 * cannot smuggle escape sequences onto the screen of whoever runs status.
 */
static void
snapshot_escape(struct snapshot *s)
{
	size_t i;

	ro_safe_replace(&s->c.id);
	ro_safe_replace(&s->c.title);
	for (i = 0; i < s->nwaves; i++)
		ro_safe_replace(&s->waves[i].name);
	for (i = 0; i < s->nby_site; i++)
		ro_safe_replace(&s->by_site[i].site);
	for (i = 0; i < s->napprovals; i++) {
		ro_safe_replace(&s->approvals[i].approver);
		ro_safe_replace(&s->approvals[i].comment);
	}
	for (i = 0; i < s->nfailures; i++) {
		ro_safe_replace(&s->failures[i].host);
		ro_safe_replace(&s->failures[i].reason);
		ro_safe_replace(&s->failures[i].step_name);
		ro_safe_replace(&s->failures[i].detail);
		ro_safe_replace(&s->failures[i].site_name);
	}
	for (i = 0; i < s->nfindings; i++) {
		ro_safe_replace(&s->findings[i].detail);
		ro_safe_replace(&s->findings[i].output);
		ro_safe_replace(&s->findings[i].person);
		ro_safe_replace(&s->findings[i].person_ja);
	}
	for (i = 0; i < s->nmanual; i++) {
		ro_safe_replace(&s->manual[i].note);
		ro_safe_replace(&s->manual[i].person);
		ro_safe_replace(&s->manual[i].person_ja);
		ro_safe_replace(&s->manual[i].login);
	}
	ro_safe_replace(&s->c.reason);
	ro_safe_replace(&s->engine.lease.host);
	ro_safe_replace(&s->engine.lease.stop_by);
	for (i = 0; i < s->engine.nholds; i++) {
		ro_safe_replace(&s->engine.holds[i].host);
		ro_safe_replace(&s->engine.holds[i].site_name);
		ro_safe_replace(&s->engine.holds[i].reason);
		ro_safe_replace(&s->engine.holds[i].held_by);
	}
}

static void
print_counts(const struct ro_host_tally *t)
{
	printf(" %5lld %5lld %5lld %5lld %5lld\n",
	    t ? (long long)(t->n[RO_HOST_DONE]) : 0LL, t ? (long long)t->n[RO_HOST_SKIPPED] : 0LL,
	    t ? (long long)t->n[RO_HOST_RUNNING] : 0LL, t ? (long long)t->n[RO_HOST_FAILED] : 0LL,
	    t ? (long long)t->n[RO_HOST_PENDING] : 0LL);
}

/* The findings (each with its item and the last lines of its output; the
 * whole output is in --json) and what is left to do on site, per site. */
static void
records_text(const struct snapshot *s)
{
	size_t i, j;

	if (s->nfindings) {
		printf("\nfindings: %zu\n", s->nfindings);
		for (i = 0; i < s->nfindings; i++) {
			const struct ro_finding *f = &s->findings[i];
			printf("  %-5s %-16s %s (%s)%s%s\n", f->item ? f->item : "-", f->host,
			    f->step_name, f->site, f->manual ? ", on site by " : "",
			    f->manual ? (f->person_ja ? f->person_ja : f->person) : "");
			if (f->detail && f->detail[0])
				printf("        %s\n", f->detail);
		}
	}
	if (s->npending) {
		const char *site = NULL;
		printf("\nstill to do on site: %zu manual step%s\n", s->npending,
		    s->npending == 1 ? "" : "s");
		for (i = 0; i < s->nmanual; i++) {
			const struct ro_manual_item *m = &s->manual[i];
			if (m->result != NULL)
				continue;
			if (site == NULL || strcmp(site, m->site) != 0) {
				size_t k = 0;
				for (j = i; j < s->nmanual && strcmp(s->manual[j].site, m->site) == 0; j++)
					k += s->manual[j].result == NULL;
				printf("  %s: %zu\n", m->site, k);
				site = m->site;
			}
			printf("    %-16s %s\n", m->host, m->step_name);
		}
		printf("  record each with: rollout record %s HOST[,HOST...] STEP --result "
		    "done|ok|finding --key FILE\n", s->c.id);
	}
}

static void
print_text(const struct snapshot *s)
{
	char at[RO_JST_FMT_MAX];
	size_t i;

	struct ro_buf st;

	ro_buf_init(&st);
	display_state(s, &st);
	printf("campaign %s: %s\n  %s\n  plan %s\n", s->c.id, st.p, s->c.title, s->c.plan_hash);
	ro_buf_free(&st);
	if (s->c.reason && (s->c.state == RO_CAMPAIGN_HALTED || s->c.state == RO_CAMPAIGN_FAILED))
		printf("  %s: %s\n", ro_campaign_state_name(s->c.state), s->c.reason);
	printf("\n");
	printf("%-4s %-24s %-18s %5s %5s %5s %5s %5s\n", "wave", "name", "state", "done", "uptod",
	    "run", "fail", "pend");
	for (i = 0; i < s->nwaves; i++) {
		const struct ro_wave_info *w = &s->waves[i];
		printf("%4d %-24.24s %-18s", w->idx + 1, w->name, ro_wave_state_name(w->state));
		print_counts(wave_tally(s, w->idx));
	}
	printf("\n%-47s %5s %5s %5s %5s %5s\n", "site", "done", "uptod", "run", "fail", "pend");
	for (i = 0; i < s->nby_site; i++) {
		printf("%-47.47s", s->by_site[i].site);
		print_counts(&s->by_site[i]);
	}
	for (i = 0; i < s->nwaves; i++)
		if (s->waves[i].state == RO_WAVE_AWAITING_APPROVAL) {
			struct ro_buf a;
			ro_buf_init(&a);
			ro_cmd_shell_word(&a, s->c.id);
			ro_buf_printf(&a, " --wave %d --plan-hash %.12s --state-dir ", s->waves[i].idx + 1,
			    s->c.plan_hash);
			ro_cmd_shell_word(&a, s->engine.state_dir);
			printf("\nwave %d (%s) waits for approval:\n  rollout approve %s "
			    "[--comment TEXT]\n", s->waves[i].idx + 1, s->waves[i].name, a.p);
			ro_buf_free(&a);
		}
	if (s->napprovals) {
		printf("\napprovals:\n");
		for (i = 0; i < s->napprovals; i++) {
			fmt_at(s->approvals[i].approved_at, at);
			printf("  wave %d by %s at %s JST%s%s\n", s->approvals[i].wave + 1,
			    s->approvals[i].approver, at, s->approvals[i].comment ? ": " : "",
			    s->approvals[i].comment ? s->approvals[i].comment : "");
		}
	}
	if (s->nfailures) {
		printf("\nfailed hosts:\n");
		for (i = 0; i < s->nfailures; i++) {
			const struct ro_failure_info *f = &s->failures[i];
			fmt_at(f->failed_at, at);
			printf("  %-16s %s%s%s%s, wave %d, failed at %s JST: %s\n", f->host,
			    f->site_name ? f->site_name : f->site, f->site_name ? " (" : "",
			    f->site_name ? f->site : "", f->site_name ? ")" : "", f->wave + 1, at, f->reason ? f->reason : "failed (no reason recorded)");
			if (f->has_outcome)
				printf("  %-16s last failed step: %s, attempt %d: %s%s%s\n", "",
				    f->step_name, f->attempt, ro_step_status_name(f->status),
				    f->detail ? ": " : "", f->detail ? f->detail : "");
		}
	}
	records_text(s);
	engine_text(s);
}

/* listed_state: the state a list shows, "interrupted" for a campaign the
 * store calls running whose engine is gone. */
static const char *
listed_state(struct ro_store *st, const struct ro_campaign_info *c)
{
	struct ro_lease_info li;
	int rc, alive;

	if (c->state == RO_CAMPAIGN_DONE) {
		/* Done by the engine, but manual steps may still wait for people. */
		struct ro_manual_item *m = NULL;
		size_t nm = 0, i, pending = 0;
		if (ro_store_manual_list(st, c->id, &m, &nm) == RO_OK)
			for (i = 0; i < nm; i++)
				pending += m[i].result == NULL;
		ro_manual_list_free(m, nm);
		return pending ? "awaiting-on-site" : "done";
	}
	if (c->state != RO_CAMPAIGN_RUNNING)
		return ro_campaign_state_name(c->state);
	rc = ro_store_lease_get(st, c->id, &li, NULL);
	alive = rc == RO_OK && ro_lease_alive(&li, (int64_t)time(NULL));
	ro_lease_info_clear(&li);
	return rc != RO_OK && rc != RO_ENOENT ? "running" : alive ? "running" : "interrupted";
}

static int
list_campaigns(struct ro_store *st, int json)
{
	struct ro_campaign_info *v = NULL;
	struct ro_buf b;
	size_t n = 0, i;

	if (ro_store_campaign_list(st, &v, &n) != RO_OK) {
		fprintf(stderr, "rollout status: %s\n", ro_store_errmsg(st));
		return RO_EXIT_FAIL;
	}
	ro_buf_init(&b);
	if (json)
		ro_buf_addc(&b, '[');
	for (i = 0; i < n; i++) {
		if (json) {
			ro_buf_printf(&b, "%s{\"campaign\":", i ? "," : "");
			ro_buf_json_str(&b, v[i].id);
			ro_buf_printf(&b, ",\"state\":\"%s\",\"display_state\":\"%s\","
			    "\"plan_hash\":\"%s\",\"title\":", ro_campaign_state_name(v[i].state),
			    listed_state(st, &v[i]), v[i].plan_hash);
			ro_buf_json_str(&b, v[i].title);
			ro_buf_addc(&b, '}');
		} else {
			char *id = ro_safe(v[i].id), *title = ro_safe(v[i].title);
			ro_buf_printf(&b, "%-28s %-11s %.12s  %s\n", id, listed_state(st, &v[i]),
			    v[i].plan_hash, title);
			free(id);
			free(title);
		}
	}
	if (json)
		ro_buf_adds(&b, "]\n");
	else if (n == 0)
		ro_buf_adds(&b, "no campaigns recorded yet (rollout plan --save, or rollout run)\n");
	if (b.p)
		fputs(b.p, stdout);
	ro_buf_free(&b);
	ro_campaign_list_free(v, n);
	return RO_EXIT_OK;
}

/* list_incidents prints the incidents not closed yet with their clocks
 * (docs/INCIDENTS.md), under the campaigns; nothing when there are none. */
static int
list_incidents(struct ro_store *st)
{
	struct ro_incident_info *v = NULL;
	char a[RO_JST_FMT_MAX], clk[96];
	size_t n = 0, i;

	if (ro_store_incident_list(st, 1, NULL, &v, &n, NULL) != RO_OK) {
		fprintf(stderr, "rollout status: %s\n", ro_store_errmsg(st));
		return RO_EXIT_FAIL;
	}
	if (n > 0)
		printf("\nopen incidents (rollout incident list):\n");
	for (i = 0; i < n; i++) {
		ro_incident_clock(v[i].deadline, v[i].arrived_at, (int64_t)time(NULL), clk, sizeof clk);
		printf("  incident %-4lld %-11s %-16s %-9s on site by %s: %s\n", (long long)v[i].id,
		    v[i].kind, v[i].host, v[i].state, ro_jst_format(v[i].deadline / 60, a), clk);
	}
	ro_incident_list_free(v, n);
	return RO_EXIT_OK;
}

/*
 * --wait-gate: blocks until a wave of the campaign awaits approval (prints
 * its number, exit 0) or the campaign stops running (exit 1), polling the
 * store, which the engine updates from another process.
 */
static int
wait_gate(struct ro_store *st, const char *id, double timeout_s)
{
	struct timespec start, now, pause = { 0, 100 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct ro_campaign_info c;
		struct ro_wave_info *w = NULL;
		size_t n = 0, i;
		char *cause = NULL;
		int found = -1;

		memset(&c, 0, sizeof c);
		int grc = ro_store_campaign_get(st, id, &c, &cause);
		if (grc == RO_ENOENT) {
			/* `rollout run` may not have recorded it yet: keep waiting. */
			free(cause);
			cause = NULL;
			c.state = RO_CAMPAIGN_PLANNED;
		} else if (grc != RO_OK) {
			fprintf(stderr, "rollout status: %s\n", cause ? cause : ro_store_errmsg(st));
			free(cause);
			return RO_EXIT_FAIL;
		}
		if (ro_store_wave_list(st, id, &w, &n) == RO_OK)
			for (i = 0; i < n && found < 0; i++)
				if (w[i].state == RO_WAVE_AWAITING_APPROVAL)
					found = w[i].idx + 1;
		ro_wave_list_free(w, n);
		int stopped = c.state != RO_CAMPAIGN_RUNNING && c.state != RO_CAMPAIGN_PLANNED;
		enum ro_campaign_state cs = c.state;
		ro_campaign_info_clear(&c);
		if (found >= 0) {
			printf("%d\n", found);
			return RO_EXIT_OK;
		}
		/* Running in the store, but its engine is gone: no gate will open until
		 * someone resumes it, so say so (as `status` does) instead of waiting. */
		if (cs == RO_CAMPAIGN_RUNNING) {
			struct ro_lease_info li;
			memset(&li, 0, sizeof li);
			int lrc = ro_store_lease_get(st, id, &li, NULL);
			if (lrc == RO_ENOENT || (lrc == RO_OK && !ro_lease_alive(&li, (int64_t)time(NULL)))) {
				fprintf(stderr, "rollout status: campaign %s is interrupted (its engine "
				    "stopped): no gate to wait for; `rollout resume %s` runs it again\n", id, id);
				ro_lease_info_clear(&li);
				return RO_EXIT_FAIL; /* status's exit code for an interrupted campaign */
			}
			ro_lease_info_clear(&li);
		}
		if (stopped) {
			fprintf(stderr, "rollout status: campaign %s is %s: no gate to wait for\n", id,
			    ro_campaign_state_name(cs));
			return RO_EXIT_FAIL;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >
		    timeout_s) {
			fprintf(stderr, "rollout status: no gate of %s opened within %.0f s\n", id, timeout_s);
			return RO_EXIT_FAIL;
		}
		nanosleep(&pause, NULL);
	}
}

static int
status_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ "wait-gate", no_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir();
	struct ro_store *st = NULL;
	struct ro_journal_check jc;
	struct snapshot s;
	char *cause = NULL, *end;
	double timeout = 600;
	int json = 0, gate = 0, ch, rc, exit_code = RO_EXIT_OK;

	memset(&s, 0, sizeof s);
	while ((ch = getopt_long(argc, argv, "jS:gt:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 'g':
			gate = 1;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*optarg == '\0' || *end || !(timeout > 0))
				return ro_cmd_usage(&ro_cmd_status, "--timeout takes seconds");
			break;
		default:
			return ro_cmd_usage(&ro_cmd_status, NULL);
		}
	}
	if (optind + 1 < argc || (gate && optind + 1 != argc))
		return ro_cmd_usage(&ro_cmd_status, gate ? "--wait-gate needs a campaign" : NULL);
	if ((exit_code = ro_cmd_open_verified(&ro_cmd_status, state_dir, &st, &jc)) != RO_EXIT_OK)
		return exit_code; /* a journal that does not verify: nothing it says is shown */
	if (gate)
		exit_code = wait_gate(st, argv[optind], timeout);
	else if (optind == argc) {
		exit_code = list_campaigns(st, json);
		if (exit_code == RO_EXIT_OK && !json)
			exit_code = list_incidents(st);
		if (exit_code == RO_EXIT_OK && !json)
			ro_cmd_journal_footer(stdout, &jc);
	} else if ((rc = snapshot_read(st, argv[optind], &s, &cause)) != RO_OK) {
		ro_safe_replace(&cause); /* it may quote the campaign named on the command line */
		fprintf(stderr, "rollout status: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
	} else {
		if (realpath(state_dir, s.engine.state_dir) == NULL)
			snprintf(s.engine.state_dir, sizeof s.engine.state_dir, "%s", state_dir);
		if (json)
			print_json(&s, &jc);
		else {
			snapshot_escape(&s);
			print_text(&s);
			ro_cmd_journal_footer(stdout, &jc);
		}
		exit_code = status_exit(&s);
	}
	snapshot_free(&s);
	ro_store_close(st);
	free(cause);
	return exit_code;
}

const struct ro_cmd ro_cmd_status = {
	.name = "status",
	.usage = "[CAMPAIGN] [--json] [--state-dir DIR] [--wait-gate [--timeout SECS]]",
	.summary = "Show campaigns, or one campaign's waves, sites, approvals and failures.",
	.help =
	    "Waves are numbered from 1, as the plan shows them.\n"
	    "Without CAMPAIGN, lists the campaigns in the store. With it, shows the state of\n"
	    "each wave and site (hosts done, up to date already, running, failed, pending),\n"
	    "the approvals given, which gate waits and the command that approves it, and each\n"
	    "failed host with the step that failed and why. Safe to run while `rollout run`\n"
	    "is going: it reads one consistent snapshot and never blocks the engine.\n"
	    "A campaign the store calls running whose engine has died shows as\n"
	    "`interrupted (engine stopped at T)`. A campaign that needs a person shows why\n"
	    "it halted, its held hosts, and one next command that pastes as it is.\n"
	    "It ends with the journal's head (`journal head: #SEQ HASH`, \"journal\" in\n"
	    "--json): keep it, and `rollout audit verify --head SEQ:HASH` later proves that\n"
	    "nothing up to it changed. A journal that does not verify is refused (exit 1).\n"
	    "Text people typed (comments, names) is shown with control characters escaped.\n"
	    "\n"
	    "  --wait-gate   wait until a wave of CAMPAIGN awaits approval and print its\n"
	    "                number (exit 0), or exit 1 when the campaign stops running\n"
	    "                or is interrupted (its engine is gone; a campaign not\n"
	    "                recorded yet is waited for)\n"
	    "  --timeout S   give up waiting after S seconds (default 600)\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "Exit status with CAMPAIGN (as `kubectl rollout status`): 0 planned, running or\n"
	    "done; 1 halted, failed, cancelled or interrupted (it needs a person); 2 no such\n"
	    "campaign or bad usage. --wait-gate: 0 a gate waits, 1 the campaign stopped\n"
	    "or is interrupted.\n",
	.exec = status_exec,
};
