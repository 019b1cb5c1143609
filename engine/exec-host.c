/*
 * exec-host.c - one host's run: connect, then each applicable step in
 * playbook order, with checks, expected exit codes, retries with backoff,
 * timeouts and reboot-and-wait; every step's intent is durable before the
 * step acts and its outcome is recorded after (invariant 2).
 *
 * A host is a state machine (enum hr_state in exec-int.h) driven by the
 * transport's callbacks and one timer; it reports to executor.c through
 * ro__host_finished exactly once per start.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "exec-int.h"
#include "template.h"
#include "util.h"

/* Reading the boot time: compared before and after a restart. */
static const char boot_query_windows[] =
    "powershell -NoProfile -NonInteractive -Command "
    "\"(Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToString('o')\"";
static const char boot_query_posix[] = "cat /proc/sys/kernel/random/boot_id";
static const char restart_windows[] = "shutdown /r /t 0";
static const char restart_posix[] = "shutdown -r now";

/* Virtual seconds between attempts to reach a restarting host. */
#define BOOT_POLL_S 20.0
/* Virtual seconds a host may keep its old boot time after a restart command
 * whose answer was lost before the command is sent again. */
#define RESEND_AFTER_S 120.0
/* Virtual seconds before retrying a host that could not be reached. */
#define CONNECT_RETRY_S 30.0
#define CONNECT_ATTEMPTS 3
/* A step without a timeout of its own gets this many virtual seconds. */
#define DEFAULT_TIMEOUT_S (30 * 60)
#define DEFAULT_REBOOT_TIMEOUT_S (20 * 60)
/* A step that only reads the host is safe to run again: it is tried at
 * least this many more times after a failure, whatever the playbook says. */
#define READ_RETRIES 2

static void next_step(struct hostrun *hr);
static void run_step(struct hostrun *hr);
static void connect_host(struct hostrun *hr);
static void outcome(struct hostrun *hr, enum ro_step_status status, int exit_code,
    const char *detail);
static int asks_reboot(const struct ro_step *s, int code);

static const struct ro_host *
host_of(const struct hostrun *hr)
{
	return &hr->ex->c->inv->hosts[hr->host];
}

static int
is_windows(const struct hostrun *hr)
{
	const char *os = host_of(hr)->os;
	return os == NULL || strstr(os, "Windows") != NULL || strstr(os, "windows") != NULL;
}

static const struct ro_step *
cur_step(const struct hostrun *hr)
{
	return &hr->ex->c->playbooks[hr->pb]->steps[hr->step];
}

static uint64_t
real_ms(const struct hostrun *hr, double virtual_s)
{
	return ro_clock_real_ms(hr->ex->cfg.clock, virtual_s);
}

/* Network round trips take real time whatever the warp: a deadline is never
 * shorter than this, so a warped clock cannot turn a slow link into a timeout. */
#define MIN_DEADLINE_MS 15000

static uint64_t
deadline_ms(const struct hostrun *hr, double virtual_s)
{
	uint64_t ms = real_ms(hr, virtual_s);
	return ms < MIN_DEADLINE_MS ? MIN_DEADLINE_MS : ms;
}

static void
step_event(struct hostrun *hr, const char *status, int exit_code, const char *detail)
{
	ro__emit(hr->ex, RO_EV_STEP, hr->wave, hr->host, cur_step(hr)->name, status,
	    hr->attempt, exit_code, detail);
}

const struct ro_step *
ro__cur_step(const struct hostrun *hr)
{
	return cur_step(hr);
}

const struct ro_host *
ro__host_of(const struct hostrun *hr)
{
	return host_of(hr);
}

/* ---- finishing ---------------------------------------------------------- */

static void
closed_for_finish(void *arg)
{
	struct hostrun *hr = arg;

	hr->ssh = NULL;
	hr->state = HR_IDLE;
	ro__host_finished(hr->ex, hr);
}

/* Ends the host's run with state final; reason explains a failure. */
static void
finish(struct hostrun *hr, enum ro_host_state final, const char *reason)
{
	uv_timer_stop(&hr->timer);
	hr->final = final;
	if (reason)
		snprintf(hr->reason, sizeof hr->reason, "%s", reason);
	if (hr->ssh) {
		hr->state = HR_CLOSING;
		ro_ssh_close(hr->ssh, closed_for_finish, hr);
	} else {
		hr->state = HR_IDLE;
		ro__host_finished(hr->ex, hr);
	}
}

static void
failf(struct hostrun *hr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
failf(struct hostrun *hr, const char *fmt, ...)
{
	char msg[sizeof ((struct hostrun *)0)->reason];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	finish(hr, RO_HOST_FAILED, msg);
}

/* ---- the store: intent before, outcome after ------------------------------ */

/*
 * Asks for the intent of the current step; go runs once the intent is
 * durable (a group commit, see executor.c), or ends the host if it could
 * not be recorded.
 */
static void
intent(struct hostrun *hr, void (*go)(struct hostrun *hr))
{
	hr->go = go;
	hr->tries++;
	ro__intent_request(hr->ex, hr, cur_step(hr)->name, (int)hr->step);
}

void
ro__intent_done(struct hostrun *hr, int rc, const char *cause)
{
	if (rc != RO_OK) {
		hr->intent = 0;
		failf(hr, "could not record the intent of step %s: %s", cur_step(hr)->name,
		    cause ? cause : ro_strerror(rc));
		return;
	}
	if (hr->cancelled || hr->ex->stopping > 1) {
		outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, "stopped by the operator");
		failf(hr, "stopped by the operator");
		return;
	}
	hr->go(hr);
}

static void
outcome(struct hostrun *hr, enum ro_step_status status, int exit_code, const char *detail)
{
	if (hr->intent == 0)
		return;
	if (hr->ex->crash_at) /* the step has acted; its outcome is not yet queued */
		ro__crash_point(hr->ex, hr, cur_step(hr)->name, "ran");
	ro__outcome_queue(hr->ex, hr, hr->intent, status, exit_code, detail);
	hr->intent = 0;
	step_event(hr, ro_step_status_name(status), exit_code, detail);
}

/* ---- moving along --------------------------------------------------------- */

static int
applies(const struct hostrun *hr, const struct ro_step *s)
{
	return s->roles == 0 || (s->roles & RO_ROLE_BIT(host_of(hr)->role)) != 0;
}

/* Skips the rest of the current playbook (its check found the work done). */
static void
skip_playbook(struct hostrun *hr)
{
	hr->step = hr->ex->c->playbooks[hr->pb]->nsteps;
	hr->tries = 0;
	next_step(hr);
}

/* Advances to the next step that applies, or finishes the host. */
static void
next_step(struct hostrun *hr)
{
	const struct ro_campaign *c = hr->ex->c;
	uint32_t mask = c->host_playbooks[hr->cpos];

	if (hr->ex->stopping > 1) {
		failf(hr, "stopped by the operator before step %zu", hr->step + 1);
		return;
	}
	hr->attempt = 0;
	for (;;) {
		if (hr->pb >= c->nplaybooks)
			break;
		if ((mask & (1u << hr->pb)) == 0 || hr->step >= c->playbooks[hr->pb]->nsteps) {
			hr->pb++;
			hr->step = 0;
			hr->need_reboot = 0;
			continue;
		}
		if (applies(hr, cur_step(hr))) {
			run_step(hr);
			return;
		}
		hr->step++;
	}
	finish(hr, hr->any_work ? RO_HOST_DONE : RO_HOST_SKIPPED, NULL);
}

static void
advance(struct hostrun *hr)
{
	hr->step++;
	hr->tries = 0;
	free(hr->resolve_boot);
	hr->resolve_boot = NULL;
	next_step(hr);
}

void
ro__intent(struct hostrun *hr, void (*go)(struct hostrun *hr))
{
	intent(hr, go);
}

void
ro__outcome(struct hostrun *hr, enum ro_step_status status, int exit_code, const char *detail)
{
	outcome(hr, status, exit_code, detail);
}

void
ro__fail(struct hostrun *hr, const char *reason)
{
	finish(hr, RO_HOST_FAILED, reason);
}

void
ro__advance(struct hostrun *hr)
{
	advance(hr);
}

/* Does the step change the host? Manual steps are done by people on site. */
static int
changes_host(const struct ro_step *s)
{
	return !s->read_only && s->kind != RO_STEP_MANUAL;
}

/* How many times a failed attempt is tried again in this run. */
static long
retries_of(const struct ro_step *s)
{
	/* A reboot fails here only before its restart is sent (reading the boot
	 * time, or a refused restart command): trying again is as safe as a read. */
	if ((s->read_only || s->kind == RO_STEP_REBOOT) && s->retries < READ_RETRIES)
		return READ_RETRIES;
	return s->retries;
}

/* ---- resuming from the store's record (docs/EXECUTION.md, "Resuming") -------- */

static int
record_of_step(const struct hostrun *hr, const struct ro_step_record *r, size_t pb)
{
	const struct ro_playbook *p = hr->ex->c->playbooks[pb];

	return r->step_idx >= 0 && (size_t)r->step_idx < p->nsteps &&
	    strcmp(r->step_name, p->steps[r->step_idx].name) == 0;
}

/* The latest record of step (of the current playbook), or NULL. */
static const struct ro_step_record *
last_record(const struct hostrun *hr, size_t step)
{
	size_t i;

	for (i = hr->nhist; i-- > 0;)
		if ((size_t)hr->hist[i].step_idx == step && record_of_step(hr, &hr->hist[i], hr->pb))
			return &hr->hist[i];
	return NULL;
}

/* Whether an earlier run changed, or may have changed, the host in the
 * current playbook: any step that changes the host and was not skipped
 * (an interrupted or dropped one may have acted). */
static void
enter_playbook(struct hostrun *hr)
{
	const struct ro_playbook *p = hr->ex->c->playbooks[hr->pb];
	size_t i;

	hr->hist_pb = hr->pb;
	hr->touched = 0;
	hr->after_effect = 0;
	hr->last_effect = -1;
	for (i = 0; i < hr->nhist; i++) {
		const struct ro_step_record *r = &hr->hist[i];
		if (record_of_step(hr, r, hr->pb) && changes_host(&p->steps[r->step_idx]) &&
		    !(r->has_outcome && r->status == RO_STEP_SKIPPED)) {
			hr->touched = 1;
			if (r->step_idx > hr->last_effect)
				hr->last_effect = r->step_idx;
		}
	}
	if (hr->touched)
		hr->any_work = 1; /* this campaign changed the host: it ends done */
}

static void
resume_note(struct hostrun *hr, const char *what)
{
	ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, cur_step(hr)->name, "resumed", 0,
	    RO_STORE_NO_EXIT_CODE, what);
}

/*
 * The first time the run reaches a step of a host with a record: decides
 * from that record whether the step runs. Returns 1 when it moved on
 * without running it. The rules are the table in docs/EXECUTION.md.
 */
static int
resume_step(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	const struct ro_step_record *r;

	if (hr->nhist == 0)
		return 0;
	if (hr->hist_pb != hr->pb)
		enter_playbook(hr);
	r = last_record(hr, hr->step);
	if (changes_host(s)) {
		if (r && r->has_outcome && r->status == RO_STEP_OK) {
			/* Done, and known to be: never again; what it asked for still holds. */
			if (s->kind == RO_STEP_EXEC && asks_reboot(s, r->exit_code))
				hr->need_reboot = 1;
			if (s->kind == RO_STEP_REBOOT)
				hr->need_reboot = 0;
			hr->any_work = 1;
			resume_note(hr, "done in an earlier run (its outcome is recorded): not repeated");
			advance(hr);
			return 1;
		}
		free(hr->resolve_boot);
		hr->resolve_boot = NULL;
		if (s->kind == RO_STEP_REBOOT) {
			/* The latest boot time marked since the step last succeeded: a
			 * later attempt killed before its own read leaves none of its own. */
			size_t i;
			for (i = hr->nhist; i-- > 0;) {
				const struct ro_step_record *m = &hr->hist[i];
				if ((size_t)m->step_idx != hr->step || !record_of_step(hr, m, hr->pb))
					continue;
				if (m->has_outcome && m->status == RO_STEP_OK)
					break;
				if (m->boot_before) {
					hr->resolve_boot = ro_xstrdup(m->boot_before);
					break;
				}
			}
		}
		return 0;
	}
	if (s->kind == RO_STEP_CHECK && hr->touched) {
		/* A check may skip the work, never what must follow the work this
		 * campaign did itself. */
		resume_note(hr, "this campaign already changed the host, so its check cannot skip "
		    "the rest: resuming from the recorded steps");
		advance(hr);
		return 1;
	}
	/* A verify that passed before the last change recorded is a
	 * pre-condition that held (verify-package before install); one after it
	 * is a post-condition of that change, and runs again. So does any verify
	 * after a change made in this run. */
	if (s->kind == RO_STEP_VERIFY && !hr->after_effect && (long)hr->step < hr->last_effect &&
	    r && r->has_outcome && r->status == RO_STEP_OK) {
		resume_note(hr, "passed in an earlier run, before a later recorded change: not repeated");
		advance(hr);
		return 1;
	}
	return 0;
}

const struct ro_step_record *
ro__last_record(const struct hostrun *hr, size_t step)
{
	if (hr->nhist == 0)
		return NULL;
	return last_record(hr, step);
}

static void
retry_fire(uv_timer_t *t)
{
	struct hostrun *hr = t->data;

	if (hr->reconnecting) { /* another try of the same connect sequence */
		hr->reconnecting = 0;
		connect_host(hr);
	} else
		run_step(hr); /* the step again (a new session first if it was lost) */
}

/* A failed attempt: retry with backoff while the step allows, else fail. */
static void
attempt_failed(struct hostrun *hr, const char *why)
{
	const struct ro_step *s = cur_step(hr);

	if (hr->tries <= retries_of(s) && hr->ex->stopping == 0 && !hr->cancelled) {
		double delay = (double)(s->retry_delay > 0 ? s->retry_delay : 10) *
		    pow(2.0, hr->tries - 1);
		hr->state = HR_RETRY;
		ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, s->name, "retry", hr->attempt,
		    RO_STORE_NO_EXIT_CODE, why);
		uv_timer_start(&hr->timer, retry_fire, real_ms(hr, delay), 0);
		return;
	}
	if (s->continue_on_failure) {
		hr->findings++;
		ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, s->name, "finding", hr->attempt,
		    RO_STORE_NO_EXIT_CODE, why);
		advance(hr);
		return;
	}
	failf(hr, "step %s failed after %d attempt%s: %s", s->name, hr->tries,
	    hr->tries == 1 ? "" : "s", why);
}

/* ---- exec, check, verify ------------------------------------------------------ */

static int
expected(const struct ro_step *s, int code)
{
	size_t i;

	if (s->nexpect == 0)
		return code == 0;
	for (i = 0; i < s->nexpect; i++)
		if (s->expect[i] == code)
			return 1;
	return 0;
}

static int
asks_reboot(const struct ro_step *s, int code)
{
	size_t i;

	for (i = 0; i < s->nreboot_required; i++)
		if (s->reboot_required[i] == code)
			return 1;
	return 0;
}

/* The first non-empty line of a stream, trimmed: where Windows puts the
 * message (PowerShell follows it with "+ CategoryInfo ..." lines). */
static void
first_line(const char *s, size_t len, char *out, size_t cap)
{
	size_t i = 0, start, end;

	while (i < len && (s[i] == '\n' || s[i] == '\r' || s[i] == ' '))
		i++;
	start = i;
	while (i < len && s[i] != '\n' && s[i] != '\r')
		i++;
	end = i;
	if (end - start >= cap)
		end = start + cap - 1;
	memcpy(out, s + start, end - start);
	out[end - start] = '\0';
}

/* The last line of a stream, trimmed, for a one-line reason. */
static void
last_line(const char *s, size_t len, char *out, size_t cap)
{
	size_t end = len, start;

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	if (end - start >= cap)
		start = end - (cap - 1);
	memcpy(out, s + start, end - start);
	out[end - start] = '\0';
}

static enum ro_step_status
transport_status(int status)
{
	if (status == RO_ETIMEDOUT)
		return RO_STEP_TIMEOUT;
	if (status == RO_ECONNLOST || status == RO_EUNREACHABLE)
		return RO_STEP_UNREACHABLE;
	return RO_STEP_FAILED;
}

/* After a lost connection the session is useless: drop it before a retry. */
static void
drop_session(struct hostrun *hr)
{
	if (hr->ssh) {
		ro_ssh_close(hr->ssh, NULL, NULL);
		hr->ssh = NULL;
	}
}

void
ro__drop_session(struct hostrun *hr)
{
	drop_session(hr);
}

void
ro__retry_after(struct hostrun *hr, double virtual_s)
{
	hr->state = HR_RETRY;
	hr->reconnecting = 0;
	uv_timer_start(&hr->timer, retry_fire, real_ms(hr, virtual_s), 0);
}

/*
 * record_finding keeps a verify step's last failure, which lets the host go
 * on, as a finding: its inspection item (the step name's t01..c13), the exit
 * code and the whole output (stdout, then stderr), bounded by the store to
 * RO_FINDING_OUTPUT_MAX. A verify command carries no secret (password steps
 * are their own kind), so neither does its output. A finding that cannot be
 * recorded is said on the event stream; the step's outcome still is.
 */
static void
record_finding(struct hostrun *hr, const struct ro_exec_result *r, const char *detail)
{
	const struct ro_step *st = cur_step(hr);
	struct ro_finding_new f;
	struct ro_buf out;
	char *item = ro_finding_item(st->name), *cause = NULL;

	ro_buf_init(&out);
	ro_buf_add(&out, r->out ? r->out : "", r->out ? r->out_len : 0);
	if (r->err_len > 0) {
		ro_buf_adds(&out, out.len > 0 && out.p[out.len - 1] != '\n' ? "\n" : "");
		ro_buf_add(&out, r->err, r->err_len);
	}
	memset(&f, 0, sizeof f);
	f.intent = hr->intent;
	f.campaign = hr->ex->c->id;
	f.host = host_of(hr)->name;
	f.step_name = st->name;
	f.step_idx = (int)hr->step;
	f.item = item;
	f.exit_code = r->exit_signal ? RO_STORE_NO_EXIT_CODE : r->exit_code;
	f.detail = detail;
	f.output = out.p ? out.p : "";
	f.output_len = out.len;
	if (ro_store_finding_add(hr->ex->st, &f, &cause) != RO_OK)
		ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, st->name, "finding-not-recorded",
		    hr->attempt, RO_STORE_NO_EXIT_CODE, cause ? cause : "the store refused it");
	free(cause);
	free(item);
	ro_buf_free(&out);
}

static void
exec_done(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	const struct ro_step *st = cur_step(hr);
	char line[200], detail[400];

	(void)s;
	if (r->status != RO_OK) {
		snprintf(detail, sizeof detail, "%s", r->cause ? r->cause : ro_strerror(r->status));
		if (st->read_only) {
			/* A read has no "may or may not have completed": it is read again. */
			char *maybe = strstr(detail, "; the command may or may not");
			if (maybe)
				snprintf(maybe, sizeof detail - (size_t)(maybe - detail),
				    "; this step only reads, so it is safe to run again");
		}
		outcome(hr, transport_status(r->status), RO_STORE_NO_EXIT_CODE, detail);
		if (r->status == RO_ECANCELED) {
			hr->ssh = NULL;
			failf(hr, "step %s cancelled by the operator", st->name);
			return;
		}
		drop_session(hr);
		attempt_failed(hr, detail);
		return;
	}
	if (st->kind == RO_STEP_CHECK) {
		if (r->exit_code == 0) {
			outcome(hr, RO_STEP_OK, 0, "already done: the rest of this playbook is skipped");
			skip_playbook(hr);
		} else {
			hr->any_work = 1;
			outcome(hr, RO_STEP_OK, r->exit_code, "not done yet");
			advance(hr);
		}
		return;
	}
	hr->any_work = 1;
	if (r->exit_signal == NULL && expected(st, r->exit_code)) {
		if (st->kind == RO_STEP_EXEC && asks_reboot(st, r->exit_code))
			hr->need_reboot = 1;
		outcome(hr, RO_STEP_OK, r->exit_code,
		    hr->need_reboot && asks_reboot(st, r->exit_code) ? "restart required" : NULL);
		advance(hr);
		return;
	}
	if (r->err_len)
		first_line(r->err, r->err_len, line, sizeof line);
	else
		last_line(r->out, r->out_len, line, sizeof line);
	if (r->exit_signal)
		snprintf(detail, sizeof detail, "killed by signal %s", r->exit_signal);
	else
		snprintf(detail, sizeof detail, "exit code %d%s%s", r->exit_code,
		    *line ? ": " : "", line);
	if (st->kind == RO_STEP_VERIFY && st->continue_on_failure &&
	    !(hr->tries <= retries_of(st) && hr->ex->stopping == 0 && !hr->cancelled))
		record_finding(hr, r, detail);
	outcome(hr, RO_STEP_FAILED, r->exit_signal ? RO_STORE_NO_EXIT_CODE : r->exit_code, detail);
	attempt_failed(hr, detail);
}

static uint64_t
step_timeout_ms(const struct hostrun *hr, const struct ro_step *s, long def)
{
	return deadline_ms(hr, (double)(s->timeout > 0 ? s->timeout : def));
}

uint64_t
ro__step_timeout_ms(const struct hostrun *hr)
{
	return step_timeout_ms(hr, cur_step(hr), DEFAULT_TIMEOUT_S);
}

static void
exec_go(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	int rc;

	hr->state = HR_STEP;
	if (changes_host(s))
		hr->after_effect = 1;
	rc = ro_ssh_exec(hr->ssh, hr->cmd, NULL, 0, step_timeout_ms(hr, s, DEFAULT_TIMEOUT_S),
	    exec_done, hr);
	free(hr->cmd);
	hr->cmd = NULL;
	if (rc != RO_OK) {
		outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, ro_strerror(rc));
		failf(hr, "step %s could not start: %s", s->name, ro_strerror(rc));
	}
}

static void
run_exec(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	int missing = 0;

	free(hr->cmd);
	hr->cmd = ro_template_render(s->command, hr->ex->c, hr->host, &missing);
	if (missing) {
		failf(hr, "step %s: a parameter has no value (check the campaign's params)", s->name);
		return;
	}
	intent(hr, exec_go);
}

/* ---- upload ---------------------------------------------------------------- */

static void
upload_done(struct ro_ssh *s, const struct ro_upload_result *r, void *arg)
{
	struct hostrun *hr = arg;
	char detail[400];

	(void)s;
	hr->any_work = 1;
	if (r->status == RO_OK) {
		snprintf(detail, sizeof detail, "%llu bytes, sha256 verified on the host",
		    (unsigned long long)r->bytes);
		outcome(hr, RO_STEP_OK, RO_STORE_NO_EXIT_CODE, detail);
		advance(hr);
		return;
	}
	snprintf(detail, sizeof detail, "%s", r->cause ? r->cause : ro_strerror(r->status));
	outcome(hr, transport_status(r->status), RO_STORE_NO_EXIT_CODE, detail);
	if (r->status == RO_ECANCELED) {
		hr->ssh = NULL;
		failf(hr, "step %s cancelled by the operator", cur_step(hr)->name);
		return;
	}
	if (r->status == RO_EIO) { /* the local package: retrying will not help */
		failf(hr, "step %s: %s", cur_step(hr)->name, detail);
		return;
	}
	if (r->status == RO_ECONNLOST || r->status == RO_ETIMEDOUT)
		drop_session(hr);
	attempt_failed(hr, detail);
}

static void
upload_go(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	int rc;

	hr->state = HR_STEP;
	hr->after_effect = 1;
	rc = ro_ssh_upload(hr->ssh, hr->up_src, hr->cmd, hr->up_sha,
	    is_windows(hr) ? RO_OS_WINDOWS : RO_OS_POSIX, step_timeout_ms(hr, s, DEFAULT_TIMEOUT_S),
	    upload_done, hr);
	if (rc != RO_OK) {
		outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, ro_strerror(rc));
		failf(hr, "step %s could not start: %s", s->name, ro_strerror(rc));
	}
}

static void
run_upload(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	const struct ro_campaign *c = hr->ex->c;
	int m2 = 0, m3 = 0;
	/* Resolved and confined to the playbook's tree when the campaign was loaded. */
	const char *src = ro_campaign_upload_src(c, s);

	free(hr->cmd);
	free(hr->up_src);
	free(hr->up_sha);
	hr->cmd = ro_template_render(s->dest, c, hr->host, &m2);
	hr->up_sha = s->sha256 ? ro_template_render(s->sha256, c, hr->host, &m3) : NULL;
	hr->up_src = src ? ro_xstrdup(src) : NULL;
	if (src == NULL || m2 || m3 || hr->up_sha == NULL) {
		failf(hr, "step %s: the package, destination or sha256 has no value", s->name);
		return;
	}
	intent(hr, upload_go);
}

/* ---- fetch ------------------------------------------------------------------ */

/*
 * A fetch step brings a file back from the host (the log archive of
 * log-collection): over SCP, hashed as it arrives and checked against the
 * host's own hash, kept 0600 under the state directory (docs/EXECUTION.md,
 * "Fetch steps"; docs/INCIDENTS.md): for a campaign started for an incident
 * in incidents/ID/HOST/, recorded with the incident, else in
 * fetched/CAMPAIGN/HOST/; journaled either way. A name that is taken (the
 * step run again after a crash) gets a suffix: nothing kept is replaced.
 */
#define FETCH_MAX_BYTES (4ULL << 30)

/* mkdirs makes path and its parents, 0700. 0 or -1 with errno. */
static int
mkdirs(const char *path)
{
	char *p = ro_xstrdup(path), *q;
	int rc = 0;

	for (q = p + 1; rc == 0; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* safe_name keeps the last component of a Windows or POSIX path with only
 * letters, digits, '.', '-' and '_' (others become '_'). */
static char *
safe_name(const char *remote)
{
	const char *b = remote, *p;
	char *out, *o;

	for (p = remote; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	out = ro_xstrdup(*b ? b : "file");
	for (o = out; *o; o++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *o))
			*o = '_';
	if (out[0] == '.')
		out[0] = '_';
	return out;
}

/* fetch_dir is where this host's fetched files go (malloc'd). */
static char *
fetch_dir(const struct hostrun *hr)
{
	const struct ro_campaign *c = hr->ex->c;
	char *state = ro_xstrdup(ro_store_path(hr->ex->st)), *slash = strrchr(state, '/'), *d;

	if (slash)
		*slash = '\0';
	else {
		free(state);
		state = ro_xstrdup(".");
	}
	if (c->incident > 0)
		d = ro_xasprintf("%s/incidents/%ld/%s", state, c->incident, host_of(hr)->name);
	else
		d = ro_xasprintf("%s/fetched/%s/%s", state, c->id, host_of(hr)->name);
	free(state);
	return d;
}

static void
fetch_done(struct ro_ssh *s, const struct ro_download_result *r, void *arg)
{
	struct hostrun *hr = arg;
	const struct ro_campaign *c = hr->ex->c;
	char detail[1024];
	char *cause = NULL;
	int rc;

	(void)s;
	if (r->status == RO_OK) {
		struct ro_incident_file f = { c->incident, host_of(hr)->name, hr->cmd, r->path,
			r->sha256, (int64_t)r->bytes };
		/* The chain of custody: the hash goes to the store and the journal
		 * before the step is done. */
		if (c->incident > 0)
			rc = ro_store_incident_file_add(hr->ex->st, &f, &cause);
		else {
			struct ro_buf d;
			ro_buf_init(&d);
			ro_buf_adds(&d, "{\"host\":");
			ro_buf_json_str(&d, f.host);
			ro_buf_adds(&d, ",\"remote_path\":");
			ro_buf_json_str(&d, f.remote_path);
			ro_buf_adds(&d, ",\"local_path\":");
			ro_buf_json_str(&d, f.local_path);
			ro_buf_printf(&d, ",\"sha256\":\"%s\",\"size\":%" PRId64 "}", f.sha256,
			    f.size);
			rc = ro_store_journal(hr->ex->st, c->id, "host.fetch", NULL, d.p);
			ro_buf_free(&d);
		}
		if (rc != RO_OK) {
			snprintf(detail, sizeof detail, "fetched %s but could not record it: %s",
			    r->path, cause ? cause : ro_store_errmsg(hr->ex->st));
			free(cause);
			outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, detail);
			failf(hr, "step %s: %s", cur_step(hr)->name, detail);
			return;
		}
		snprintf(detail, sizeof detail, "%llu bytes, sha256 %s (checked on the host), kept "
		    "as %s", (unsigned long long)r->bytes, r->sha256, r->path);
		free(hr->cmd);
		hr->cmd = NULL;
		outcome(hr, RO_STEP_OK, RO_STORE_NO_EXIT_CODE, detail);
		advance(hr);
		return;
	}
	free(hr->cmd);
	hr->cmd = NULL;
	snprintf(detail, sizeof detail, "%s", r->cause ? r->cause : ro_strerror(r->status));
	outcome(hr, transport_status(r->status), RO_STORE_NO_EXIT_CODE, detail);
	if (r->status == RO_ECANCELED) {
		hr->ssh = NULL;
		failf(hr, "step %s cancelled by the operator", cur_step(hr)->name);
		return;
	}
	if (r->status == RO_EIO || r->status == RO_EEXIST) { /* this machine's disk */
		failf(hr, "step %s: %s", cur_step(hr)->name, detail);
		return;
	}
	if (r->status == RO_ECONNLOST || r->status == RO_ETIMEDOUT)
		drop_session(hr);
	attempt_failed(hr, detail);
}

static void
fetch_go(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	char *dir = fetch_dir(hr), *name = safe_name(hr->cmd), *local = NULL;
	struct stat st;
	int rc, i;

	hr->state = HR_STEP;
	if (mkdirs(dir) != 0) {
		char why[512];
		snprintf(why, sizeof why, "cannot make %s: %s", dir, strerror(errno));
		outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, why);
		failf(hr, "step %s: %s", s->name, why);
		goto out;
	}
	/* The first free name: NAME, NAME.2, NAME.3 ... (part files too). */
	for (i = 1; i < 1000; i++) {
		char *part;
		free(local);
		local = i == 1 ? ro_xasprintf("%s/%s", dir, name) :
		    ro_xasprintf("%s/%s.%d", dir, name, i);
		part = ro_xasprintf("%s.part", local);
		rc = lstat(local, &st) != 0 && lstat(part, &st) != 0;
		free(part);
		if (rc)
			break;
	}
	rc = ro_ssh_download(hr->ssh, hr->cmd, local, is_windows(hr) ? RO_OS_WINDOWS : RO_OS_POSIX,
	    FETCH_MAX_BYTES, step_timeout_ms(hr, s, DEFAULT_TIMEOUT_S), fetch_done, hr);
	if (rc != RO_OK) {
		outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, ro_strerror(rc));
		failf(hr, "step %s could not start: %s (the path on the host must not hold "
		    "control characters or '\"')", s->name, ro_strerror(rc));
	}
out:
	free(dir);
	free(name);
	free(local);
}

static void
run_fetch(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	int missing = 0;

	free(hr->cmd);
	hr->cmd = ro_template_render(s->fetch_src, hr->ex->c, hr->host, &missing);
	if (missing || hr->cmd == NULL || hr->cmd[0] == '\0') {
		failf(hr, "step %s: the file to fetch has no value (check the campaign's params)",
		    s->name);
		return;
	}
	intent(hr, fetch_go);
}

/* ---- reboot and wait ------------------------------------------------------- */

static const char *
boot_query(const struct hostrun *hr)
{
	return is_windows(hr) ? boot_query_windows : boot_query_posix;
}

static void boot_poll(uv_timer_t *t);
static void shutdown_sent(struct ro_ssh *s, const struct ro_exec_result *r, void *arg);

static void
reboot_fail(struct hostrun *hr, enum ro_step_status status, const char *why)
{
	outcome(hr, status, RO_STORE_NO_EXIT_CODE, why);
	failf(hr, "step %s: %s", cur_step(hr)->name, why);
}

/*
 * After the restart command the host is polled until it answers with a new
 * boot time or the step's timeout passes. A host may still be up for a while
 * after accepting the command (Windows takes seconds to stop its services),
 * and may drop a login half-way while going down: both mean "not yet", and
 * what was last seen makes the message when the time is up.
 */
static void
boot_again(struct hostrun *hr, const char *seen)
{
	snprintf(hr->reason, sizeof hr->reason, "%s", seen);
	hr->state = HR_BOOT_WAIT;
	uv_timer_start(&hr->timer, boot_poll, real_ms(hr, BOOT_POLL_S), 0);
}

static void
boot_checked(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	char now[200], detail[400];

	if (hr->cancelled) {
		reboot_fail(hr, RO_STEP_FAILED, "stopped by the operator while checking the restart");
		return;
	}
	if (r->status != RO_OK || r->exit_code != 0) {
		drop_session(hr);
		boot_again(hr, "it answered but its boot time could not be read");
		return;
	}
	last_line(r->out, r->out_len, now, sizeof now);
	if (strcmp(now, hr->boot_before) == 0 && hr->resend_at > 0 && ro__now(hr->ex) >= hr->resend_at) {
		/* The restart command's answer was lost with the link, and the host
		 * never went down: the command did not take. Send it once more. */
		hr->resend_at = 0;
		ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, cur_step(hr)->name, "restarting", 0,
		    RO_STORE_NO_EXIT_CODE, "the restart command's answer was lost and the host did not "
		    "go down: sending it again");
		hr->state = HR_SHUTDOWN;
		if (ro_ssh_exec(s, is_windows(hr) ? restart_windows : restart_posix, NULL, 0,
		    deadline_ms(hr, 120), shutdown_sent, hr) != RO_OK)
			reboot_fail(hr, RO_STEP_FAILED, "could not send the restart command again");
		return;
	}
	if (strcmp(now, hr->boot_before) == 0) {
		drop_session(hr);
		snprintf(detail, sizeof detail, "it kept answering with the boot time from before the "
		    "restart (%s): it did not restart", now);
		boot_again(hr, detail);
		return;
	}
	snprintf(detail, sizeof detail, "restarted: boot time %s (was %s)", now, hr->boot_before);
	hr->need_reboot = 0;
	hr->reason[0] = '\0';
	outcome(hr, RO_STEP_OK, RO_STORE_NO_EXIT_CODE, detail);
	advance(hr);
}

static void
boot_connected(struct ro_ssh *s, int status, const char *cause, void *arg)
{
	struct hostrun *hr = arg;

	if (status == RO_OK && hr->cancelled) {
		hr->ssh = s;
		reboot_fail(hr, RO_STEP_FAILED, "stopped by the operator while waiting for the restart");
		return;
	}
	if (status != RO_OK) {
		hr->ssh = NULL;
		if (status == RO_EHOSTKEY) { /* a new key after a restart is never accepted */
			reboot_fail(hr, RO_STEP_FAILED, cause ? cause : ro_strerror(status));
			return;
		}
		boot_again(hr, status == RO_EUNREACHABLE || status == RO_ETIMEDOUT ?
		    "it did not come back" : cause ? cause : ro_strerror(status));
		return;
	}
	hr->ssh = s;
	hr->state = HR_BOOT_CHECK;
	if (ro_ssh_exec(s, boot_query(hr), NULL, 0, deadline_ms(hr, 120), boot_checked, hr) != RO_OK)
		reboot_fail(hr, RO_STEP_FAILED, "could not read the boot time");
}

static struct ro_ssh_config
ssh_config(const struct hostrun *hr)
{
	const struct ro_host *h = host_of(hr);
	const struct ro_executor *ex = hr->ex;

	return (struct ro_ssh_config){
		.host = h->name,
		.address = h->address,
		.port = ex->cfg.port ? ex->cfg.port : h->port,
		.user = h->user,
		.key_path = ex->cfg.key_path,
		.auth = ex->cfg.auth,
		.known = ex->known,
		.connect_timeout_ms = 30000,
	};
}

struct ro_ssh_config
ro__ssh_config(const struct hostrun *hr)
{
	return ssh_config(hr);
}

static void
boot_poll(uv_timer_t *t)
{
	struct hostrun *hr = t->data;
	struct ro_ssh_config cfg = ssh_config(hr);
	struct ro_ssh *s;

	if (ro__now(hr->ex) > hr->boot_deadline) {
		char why[400];
		snprintf(why, sizeof why, "not restarted within the step's timeout (last seen: %.300s); "
		    "check the host on site", hr->reason[0] ? hr->reason : "it did not come back");
		reboot_fail(hr, RO_STEP_TIMEOUT, why);
		return;
	}
	if (hr->ex->stopping > 1) {
		reboot_fail(hr, RO_STEP_FAILED, "stopped by the operator while waiting for the restart");
		return;
	}
	if (ro_ssh_connect(hr->ex->loop, &cfg, boot_connected, hr, &s) != RO_OK)
		uv_timer_start(&hr->timer, boot_poll, real_ms(hr, BOOT_POLL_S), 0);
}

static void
shutdown_sent(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	char detail[300];

	(void)s;
	/* The host may drop the link before the exit status arrives. */
	if (r->status == RO_OK && r->exit_code != 0) {
		char line[200];
		if (r->err_len)
			first_line(r->err, r->err_len, line, sizeof line);
		else
			last_line(r->out, r->out_len, line, sizeof line);
		snprintf(detail, sizeof detail, "the restart command failed with exit code %d%s%s",
		    r->exit_code, *line ? ": " : "", line);
		/* Refused, so not restarting: asking again is safe. */
		outcome(hr, RO_STEP_FAILED, r->exit_code, detail);
		attempt_failed(hr, detail);
		return;
	}
	if (r->status != RO_OK && r->status != RO_ECONNLOST) {
		reboot_fail(hr, transport_status(r->status), r->cause ? r->cause : ro_strerror(r->status));
		return;
	}
	/* Lost with the link: a host going down drops it, but so does a broken
	 * link before the command took. If the host is still up with the same
	 * boot time after a while, the command is sent once more (boot_checked). */
	hr->resend_at = r->status == RO_ECONNLOST ? ro__now(hr->ex) + RESEND_AFTER_S : 0;
	drop_session(hr);
	if (hr->ex->crash_at)
		ro__crash_point(hr->ex, hr, cur_step(hr)->name, "sent");
	ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, cur_step(hr)->name, "restarting", 0,
	    RO_STORE_NO_EXIT_CODE, "restart sent; waiting for the host to come back");
	boot_again(hr, "it did not come back");
}

static void
boot_read(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	const struct ro_step *st = cur_step(hr);
	char line[200], detail[600];
	char *cause = NULL;
	int rc;

	(void)s;
	if (r->status != RO_OK || r->exit_code != 0) {
		if (r->status != RO_OK) {
			snprintf(detail, sizeof detail, "could not read the boot time before restarting: %s",
			    r->cause ? r->cause : ro_strerror(r->status));
			/* Nothing was sent yet: a dropped read is not a maybe-restart. */
			char *maybe = strstr(detail, "; the command may or may not");
			if (maybe)
				*maybe = '\0';
		} else {
			if (r->err_len)
				first_line(r->err, r->err_len, line, sizeof line);
			else
				last_line(r->out, r->out_len, line, sizeof line);
			snprintf(detail, sizeof detail, "could not read the boot time before restarting: "
			    "the query exited with code %d%s%s", r->exit_code, *line ? ": " : "", line);
		}
		if (r->status == RO_ECANCELED || hr->cancelled) {
			hr->ssh = NULL;
			reboot_fail(hr, RO_STEP_FAILED, detail);
			return;
		}
		outcome(hr, r->status ? transport_status(r->status) : RO_STEP_FAILED,
		    r->status ? RO_STORE_NO_EXIT_CODE : r->exit_code, detail);
		if (r->status != RO_OK)
			drop_session(hr);
		attempt_failed(hr, detail);
		return;
	}
	last_line(r->out, r->out_len, line, sizeof line);
	if (hr->resolve_boot != NULL) {
		/* An earlier run marked this boot time and may have sent the restart. */
		if (strcmp(line, hr->resolve_boot) != 0) {
			snprintf(detail, sizeof detail, "restarted: boot time %s (was %s when an earlier "
			    "run sent the restart); not restarted again", line, hr->resolve_boot);
			hr->need_reboot = 0;
			outcome(hr, RO_STEP_OK, RO_STORE_NO_EXIT_CODE, detail);
			advance(hr);
			return;
		}
		free(hr->resolve_boot);
		hr->resolve_boot = NULL;
		if (st->if_required && !hr->need_reboot) {
			outcome(hr, RO_STEP_SKIPPED, RO_STORE_NO_EXIT_CODE,
			    "the earlier run's restart did not happen, and no step asks for one");
			advance(hr);
			return;
		}
	}
	free(hr->boot_before);
	hr->boot_before = ro_xstrdup(line);
	/* Durable before the restart is sent, so that a resume can tell. */
	if ((rc = ro_store_reboot_mark(hr->ex->st, hr->intent, line, &cause)) != RO_OK) {
		snprintf(detail, sizeof detail, "could not record the boot time before restarting: %s",
		    cause ? cause : ro_strerror(rc));
		free(cause);
		reboot_fail(hr, RO_STEP_FAILED, detail);
		return;
	}
	if (hr->ex->crash_at)
		ro__crash_point(hr->ex, hr, st->name, "mark");
	hr->state = HR_SHUTDOWN;
	if (ro_ssh_exec(hr->ssh, is_windows(hr) ? restart_windows : restart_posix, NULL, 0,
	    deadline_ms(hr, 120), shutdown_sent, hr) != RO_OK)
		reboot_fail(hr, RO_STEP_FAILED, "could not send the restart command");
}

static void
reboot_skip_go(struct hostrun *hr)
{
	outcome(hr, RO_STEP_SKIPPED, RO_STORE_NO_EXIT_CODE, "no earlier step asked for a restart");
	advance(hr);
}

static void
reboot_go(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);

	hr->any_work = 1;
	hr->after_effect = 1;
	hr->resend_at = 0;
	{
		/* The same real-time floor as every other deadline (see deadline_ms). */
		double v = (double)(s->timeout > 0 ? s->timeout : DEFAULT_REBOOT_TIMEOUT_S);
		double floor_v = MIN_DEADLINE_MS / 1000.0 * hr->ex->cfg.clock->warp;
		hr->boot_deadline = ro__now(hr->ex) + (v > floor_v ? v : floor_v);
	}
	hr->state = HR_BOOT_READ;
	if (ro_ssh_exec(hr->ssh, boot_query(hr), NULL, 0, deadline_ms(hr, 120), boot_read, hr) != RO_OK)
		reboot_fail(hr, RO_STEP_FAILED, "could not read the boot time");
}

static void
run_reboot(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);

	/* A restart an earlier run may have sent is settled by the boot time. */
	intent(hr, s->if_required && !hr->need_reboot && hr->resolve_boot == NULL ?
	    reboot_skip_go : reboot_go);
}

static void
manual_go(struct hostrun *hr)
{
	/* On-site work: recorded for the inspection report, never pretended done. */
	outcome(hr, RO_STEP_SKIPPED, RO_STORE_NO_EXIT_CODE, RO_MANUAL_DETAIL);
	advance(hr);
}

/* ---- dispatch ---------------------------------------------------------------- */

static void
run_step(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);

	if (hr->ssh == NULL) { /* lost on an earlier attempt */
		hr->connect_attempts = 0;
		connect_host(hr);
		return;
	}
	if (hr->tries == 0 && resume_step(hr))
		return;
	switch (s->kind) {
	case RO_STEP_EXEC:
	case RO_STEP_CHECK:
	case RO_STEP_VERIFY:
		run_exec(hr);
		return;
	case RO_STEP_UPLOAD:
		run_upload(hr);
		return;
	case RO_STEP_REBOOT:
		run_reboot(hr);
		return;
	case RO_STEP_MANUAL:
		intent(hr, manual_go);
		return;
	case RO_STEP_PASSWORD:
		ro__run_password(hr);
		return;
	case RO_STEP_FETCH:
		run_fetch(hr);
		return;
	case RO_STEP_N:
		break;
	}
	/* ro_executor_new refuses campaigns with steps it cannot run. */
	failf(hr, "step %s: this version cannot run %s steps", s->name, ro_step_kind_names[s->kind]);
}

static void
connected(struct ro_ssh *s, int status, const char *cause, void *arg)
{
	struct hostrun *hr = arg;

	if (status == RO_OK) {
		hr->ssh = s;
		hr->boot_pending_until = 0;
		if (hr->cancelled) {
			if (hr->intent)
				outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, "stopped by the operator");
			failf(hr, "stopped by the operator");
			return;
		}
		next_step(hr);
		return;
	}
	hr->ssh = NULL;
	/* A host an earlier run restarted may still be on its way back: whatever
	 * it answers until the restart's timeout (a login cut short as it goes
	 * down, a refused connection) means "not yet". */
	if (status != RO_EHOSTKEY && hr->boot_pending_until > 0 &&
	    ro__now(hr->ex) < hr->boot_pending_until && hr->ex->stopping == 0 && !hr->cancelled) {
		ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, NULL, "restarting", 0,
		    RO_STORE_NO_EXIT_CODE, "not back yet from the restart an earlier run sent");
		hr->state = HR_RETRY;
		hr->reconnecting = 1;
		hr->connect_attempts = 0;
		uv_timer_start(&hr->timer, retry_fire, real_ms(hr, BOOT_POLL_S), 0);
		return;
	}
	/* A wrong host key or refused credentials will not mend by waiting; a
	 * login the host stopped answering half-way is not a refusal. */
	if (status != RO_EHOSTKEY && (status != RO_EAUTH ||
	    (cause && strstr(cause, "Waiting for USERAUTH response"))) &&
	    hr->connect_attempts < CONNECT_ATTEMPTS && hr->ex->stopping == 0) {
		hr->state = HR_RETRY;
		hr->reconnecting = 1;
		uv_timer_start(&hr->timer, retry_fire, real_ms(hr, CONNECT_RETRY_S), 0);
		return;
	}
	if (status == RO_EAUTH && cause && strstr(cause, "Waiting for USERAUTH response")) {
		/* Not a "no": the host stopped answering half-way through the login. */
		char why[600];
		snprintf(why, sizeof why, "%s stopped answering during the login %d times (%s): it may "
		    "be restarting, overloaded or on a failing link; check that it is up, then run "
		    "the campaign again", host_of(hr)->name, hr->connect_attempts, cause);
		if (hr->intent)
			outcome(hr, RO_STEP_UNREACHABLE, RO_STORE_NO_EXIT_CODE, why);
		failf(hr, "%s", why);
		return;
	}
	if (hr->intent) { /* a step was waiting for a new session */
		outcome(hr, RO_STEP_UNREACHABLE, RO_STORE_NO_EXIT_CODE, cause);
	}
	failf(hr, "%s", cause ? cause : ro_strerror(status));
}

static void
connect_host(struct hostrun *hr)
{
	struct ro_ssh_config cfg = ssh_config(hr);
	struct ro_ssh *s;
	int rc;

	hr->state = HR_CONNECT;
	hr->connect_attempts++;
	rc = ro_ssh_connect(hr->ex->loop, &cfg, connected, hr, &s);
	if (rc != RO_OK)
		failf(hr, "cannot connect to %s: %s", cfg.address, ro_strerror(rc));
}

void
ro__host_init(struct ro_executor *ex, struct hostrun *hr)
{
	hr->ex = ex;
	uv_timer_init(ex->loop, &hr->timer);
	hr->timer.data = hr;
}

/* The store could not give the host's record: fail it from the loop, not
 * from inside the dispatch that started it. */
static void
history_failed(uv_timer_t *t)
{
	struct hostrun *hr = t->data;
	char *why = hr->cmd;

	hr->cmd = NULL;
	failf(hr, "%s", why);
	free(why);
}

/* Reads what the store holds of this host's earlier runs. */
static int
load_history(struct hostrun *hr)
{
	struct ro_executor *ex = hr->ex;
	size_t i, j;

	ro_step_record_list_free(hr->hist, hr->nhist);
	hr->hist = NULL;
	hr->nhist = 0;
	if (ro_store_host_history(ex->st, ex->c->id, host_of(hr)->name, &hr->hist,
	    &hr->nhist) != RO_OK) {
		free(hr->cmd);
		hr->cmd = ro_xasprintf("cannot read the host's earlier steps from the store: %s",
		    ro_store_errmsg(ex->st));
		return -1;
	}
	/* A restart marked and not known to be over: the host may be down now. */
	for (i = 0; i < hr->nhist; i++) {
		const struct ro_step_record *r = &hr->hist[i];
		int settled = 0;
		if (r->boot_before == NULL)
			continue;
		for (j = i; j < hr->nhist && !settled; j++)
			settled = hr->hist[j].step_idx == r->step_idx &&
			    strcmp(hr->hist[j].step_name, r->step_name) == 0 &&
			    hr->hist[j].has_outcome && hr->hist[j].status == RO_STEP_OK;
		if (!settled) {
			double floor_v = MIN_DEADLINE_MS / 1000.0 * ex->cfg.clock->warp;
			hr->boot_pending_until = ro__now(ex) +
			    (DEFAULT_REBOOT_TIMEOUT_S > floor_v ? DEFAULT_REBOOT_TIMEOUT_S : floor_v);
		} else
			hr->boot_pending_until = 0;
	}
	return 0;
}

void
ro__host_start(struct hostrun *hr)
{
	hr->pb = 0;
	hr->step = 0;
	hr->tries = 0;
	hr->hist_pb = SIZE_MAX;
	hr->touched = 0;
	hr->after_effect = 0;
	hr->boot_pending_until = 0;
	free(hr->resolve_boot);
	hr->resolve_boot = NULL;
	hr->attempt = 0;
	hr->connect_attempts = 0;
	hr->need_reboot = 0;
	hr->findings = 0;
	hr->any_work = 0;
	hr->cancelled = 0;
	hr->reason[0] = '\0';
	hr->pw_version = hr->pw_doubt = 0;
	hr->pw_losses = 0;
	if (load_history(hr) != 0) {
		hr->state = HR_RETRY;
		uv_timer_start(&hr->timer, history_failed, 0, 0);
		return;
	}
	connect_host(hr);
}

/* Cancels what the host is doing; it reports through ro__host_finished. */
void
ro__host_cancel(struct hostrun *hr)
{
	hr->cancelled = 1;
	switch (hr->state) {
	case HR_RETRY:
	case HR_BOOT_WAIT:
		uv_timer_stop(&hr->timer);
		if (hr->intent)
			outcome(hr, RO_STEP_FAILED, RO_STORE_NO_EXIT_CODE, "stopped by the operator");
		failf(hr, "stopped by the operator");
		break;
	case HR_STEP:
	case HR_BOOT_READ:
	case HR_SHUTDOWN:
	case HR_BOOT_CHECK:
		/* Closing the session cancels the operation; its callback finishes. */
		if (hr->ssh) {
			struct ro_ssh *s = hr->ssh;
			hr->ssh = NULL;
			ro_ssh_close(s, NULL, NULL);
		}
		break;
	case HR_IDLE:
	case HR_CONNECT:
	case HR_CLOSING:
		break;
	}
}

void
ro__host_release(struct hostrun *hr, uv_close_cb cb)
{
	free(hr->boot_before);
	free(hr->cmd);
	free(hr->up_src);
	free(hr->up_sha);
	free(hr->resolve_boot);
	ro__pw_release(hr);
	ro_step_record_list_free(hr->hist, hr->nhist);
	hr->hist = NULL;
	hr->nhist = 0;
	hr->boot_before = hr->cmd = hr->up_src = hr->up_sha = hr->resolve_boot = NULL;
	uv_close((uv_handle_t *)&hr->timer, cb);
}
