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
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
/* Virtual seconds before retrying a host that could not be reached. */
#define CONNECT_RETRY_S 30.0
#define CONNECT_ATTEMPTS 3
/* A step without a timeout of its own gets this many virtual seconds. */
#define DEFAULT_TIMEOUT_S (30 * 60)
#define DEFAULT_REBOOT_TIMEOUT_S (20 * 60)

static void next_step(struct hostrun *hr);
static void run_step(struct hostrun *hr);
static void connect_host(struct hostrun *hr);
static void outcome(struct hostrun *hr, enum ro_step_status status, int exit_code,
    const char *detail);

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
	ro__outcome_queue(hr->ex, hr->intent, status, exit_code, detail);
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
	next_step(hr);
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

	if (hr->attempt <= s->retries && hr->ex->stopping == 0 && !hr->cancelled) {
		double delay = (double)(s->retry_delay > 0 ? s->retry_delay : 10) *
		    pow(2.0, hr->attempt - 1);
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
	failf(hr, "step %s failed after %d attempt%s: %s", s->name, hr->attempt,
	    hr->attempt == 1 ? "" : "s", why);
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

static void
exec_done(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	const struct ro_step *st = cur_step(hr);
	char line[200], detail[400];

	(void)s;
	if (r->status != RO_OK) {
		snprintf(detail, sizeof detail, "%s", r->cause ? r->cause : ro_strerror(r->status));
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
	outcome(hr, RO_STEP_FAILED, r->exit_signal ? RO_STORE_NO_EXIT_CODE : r->exit_code, detail);
	attempt_failed(hr, detail);
}

static uint64_t
step_timeout_ms(const struct hostrun *hr, const struct ro_step *s, long def)
{
	return deadline_ms(hr, (double)(s->timeout > 0 ? s->timeout : def));
}

static void
exec_go(struct hostrun *hr)
{
	const struct ro_step *s = cur_step(hr);
	int rc;

	hr->state = HR_STEP;
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

/* ---- reboot and wait ------------------------------------------------------- */

static const char *
boot_query(const struct hostrun *hr)
{
	return is_windows(hr) ? boot_query_windows : boot_query_posix;
}

static void boot_poll(uv_timer_t *t);

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

	(void)s;
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
		.known = ex->known,
		.connect_timeout_ms = 30000,
	};
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
		snprintf(detail, sizeof detail, "the restart command failed with exit code %d",
		    r->exit_code);
		reboot_fail(hr, RO_STEP_FAILED, detail);
		return;
	}
	if (r->status != RO_OK && r->status != RO_ECONNLOST) {
		reboot_fail(hr, transport_status(r->status), r->cause ? r->cause : ro_strerror(r->status));
		return;
	}
	drop_session(hr);
	ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, cur_step(hr)->name, "restarting", 0,
	    RO_STORE_NO_EXIT_CODE, "restart sent; waiting for the host to come back");
	boot_again(hr, "it did not come back");
}

static void
boot_read(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	char line[200];

	(void)s;
	if (r->status != RO_OK || r->exit_code != 0) {
		reboot_fail(hr, r->status ? transport_status(r->status) : RO_STEP_FAILED,
		    "could not read the boot time before restarting");
		return;
	}
	last_line(r->out, r->out_len, line, sizeof line);
	free(hr->boot_before);
	hr->boot_before = ro_xstrdup(line);
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

	intent(hr, s->if_required && !hr->need_reboot ? reboot_skip_go : reboot_go);
}

static void
manual_go(struct hostrun *hr)
{
	/* On-site work: recorded for the inspection report, never pretended done. */
	outcome(hr, RO_STEP_SKIPPED, RO_STORE_NO_EXIT_CODE,
	    "manual step: to be done and recorded on site");
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
	/* A wrong host key or refused credentials will not mend by waiting. */
	if (status != RO_EHOSTKEY && status != RO_EAUTH && hr->connect_attempts < CONNECT_ATTEMPTS &&
	    hr->ex->stopping == 0) {
		hr->state = HR_RETRY;
		hr->reconnecting = 1;
		uv_timer_start(&hr->timer, retry_fire, real_ms(hr, CONNECT_RETRY_S), 0);
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

void
ro__host_start(struct hostrun *hr)
{
	hr->pb = 0;
	hr->step = 0;
	hr->attempt = 0;
	hr->connect_attempts = 0;
	hr->need_reboot = 0;
	hr->findings = 0;
	hr->any_work = 0;
	hr->cancelled = 0;
	hr->reason[0] = '\0';
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
	hr->boot_before = hr->cmd = hr->up_src = hr->up_sha = NULL;
	uv_close((uv_handle_t *)&hr->timer, cb);
}
