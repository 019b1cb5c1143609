/*
 * exec-passwd.c - password steps: the rotation protocol of
 * docs/EXECUTION.md ("Password steps"), for one host and one credential.
 *
 *   intent  names host, step and the pending version's number (secret_marks),
 *           durable before anything is sent;
 *   apply   the pending value on the channel's stdin, never anywhere else;
 *   verify  independently: `verify: login` is a fresh SSH session with
 *           password authentication as the account with the new value; a
 *           verify command gets the value on its stdin;
 *   commit  in the vault (pending -> current, the old current kept as
 *           history), written at the executor's next group commit, before
 *           the store records the outcome.
 *
 * In doubt (an intent without an outcome after a crash, or a connection
 * lost before the password command's exit status) nothing is applied
 * blindly: the pending value is tried first (accepted: commit), then the
 * current one (accepted: apply again); neither: the host is
 * locked-out-suspected, stopped, and both values stay in the vault.
 *
 * No value is ever copied outside locked memory here except into the
 * transport (stdin data, or the password of the verifying login), which
 * zeroes its copies; details, reasons and events name versions only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exec-int.h"
#include "pwvault.h"
#include "template.h"
#include "util.h"

/* What a password step's intent is for. */
enum pw_mode {
	PW_APPLY,   /* apply the pending value, then verify it */
	PW_PROBE,   /* in doubt: try the pending value, then the current one */
	PW_CONFIRM, /* the vault made the intent's version current before a crash: verify it */
};

/* Connections lost under a password command before the host is left in doubt. */
#define PW_LOSSES_MAX 3
/* Virtual seconds before probing again after a lost connection. */
#define PW_PROBE_DELAY_S 30.0

/* The answer of one verification. */
enum pw_answer { PW_ACCEPTED, PW_REFUSED, PW_UNKNOWN };

typedef void (*pw_verified_fn)(struct hostrun *hr, enum pw_answer a, const char *why);

/* One verification under way: the login's session or the verify command. */
struct pw_check {
	struct hostrun *hr;
	pw_verified_fn done;
	struct vault_secret *pass; /* the login's NUL-terminated password */
};

static const char *
host_name(const struct hostrun *hr)
{
	return ro__host_of(hr)->name;
}

static const char *
credential(const struct hostrun *hr)
{
	return ro__cur_step(hr)->credential;
}

static void
drop_value(struct hostrun *hr)
{
	vault_secret_free(hr->pw_value);
	hr->pw_value = NULL;
}

void
ro__pw_release(struct hostrun *hr)
{
	drop_value(hr);
}

static void
pw_fail(struct hostrun *hr, enum ro_step_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
pw_fail(struct hostrun *hr, enum ro_step_status status, const char *fmt, ...)
{
	char msg[sizeof ((struct hostrun *)0)->reason];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	drop_value(hr);
	ro__outcome(hr, status, RO_STORE_NO_EXIT_CODE, msg);
	ro__fail(hr, msg);
}

/* Neither value is accepted: stop this host, keep both values. */
static void
locked_out(struct hostrun *hr, uint32_t pending, uint32_t current, const char *why)
{
	const char *c = hr->ex->c->id;

	pw_fail(hr, RO_STEP_FAILED, "locked-out-suspected: %s/%s: neither the pending value "
	    "(version %u) nor the current one (version %u) is accepted (%s); both stay in the "
	    "vault. Log in on site (console) to find which works, make it current with "
	    "`rollout vault set %s/%s --current`, then `rollout resume %s`",
	    host_name(hr), credential(hr), pending, current, why, host_name(hr), credential(hr), c);
}

/* ---- verifying a value ------------------------------------------------------ */

static void
login_closed(void *arg)
{
	(void)arg;
}

static void
login_done(struct ro_ssh *s, int status, const char *cause, void *arg)
{
	struct pw_check *pc = arg;
	struct hostrun *hr = pc->hr;
	pw_verified_fn done = pc->done;
	enum pw_answer a;
	char why[300];

	vault_secret_free(pc->pass);
	free(pc);
	if (status == RO_OK) {
		ro_ssh_close(s, login_closed, NULL);
		a = PW_ACCEPTED;
		snprintf(why, sizeof why, "the login succeeded");
	} else if (status == RO_EAUTH && !(cause && strstr(cause, "Waiting for USERAUTH"))) {
		a = PW_REFUSED;
		snprintf(why, sizeof why, "the login was refused");
	} else {
		a = PW_UNKNOWN;
		snprintf(why, sizeof why, "%s", cause ? cause : ro_strerror(status));
	}
	if (hr->cancelled) {
		pw_fail(hr, RO_STEP_FAILED, "stopped by the operator");
		return;
	}
	done(hr, a, why);
}

static void
command_done(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct pw_check *pc = arg;
	struct hostrun *hr = pc->hr;
	pw_verified_fn done = pc->done;
	char why[300];

	(void)s;
	free(pc);
	if (r->status == RO_ECANCELED || hr->cancelled) {
		hr->ssh = NULL;
		pw_fail(hr, RO_STEP_FAILED, "stopped by the operator");
		return;
	}
	if (r->status != RO_OK) {
		/* Its output is never quoted: a command given a password may echo it. */
		snprintf(why, sizeof why, "%s", r->cause ? r->cause : ro_strerror(r->status));
		ro__drop_session(hr);
		done(hr, PW_UNKNOWN, why);
		return;
	}
	snprintf(why, sizeof why, "the verify command exited with code %d", r->exit_code);
	done(hr, r->exit_code == 0 && r->exit_signal == NULL ? PW_ACCEPTED : PW_REFUSED, why);
}

/*
 * Verifies the value in hr->pw_value (a line ending in '\n'): a fresh login
 * with it for `verify: login`, else the step's verify command with it on
 * stdin, over the engine's session.
 */
static void
verify_value(struct hostrun *hr, pw_verified_fn done)
{
	const struct ro_step *s = ro__cur_step(hr);
	struct pw_check *pc = ro_xcalloc(1, sizeof *pc);
	size_t n = vault_secret_len(hr->pw_value);
	char *account = NULL;
	int rc;

	pc->hr = hr;
	pc->done = done;
	if (s->verify == NULL) {
		struct ro_ssh_config cfg = ro__ssh_config(hr);
		struct ro_ssh *ls;
		unsigned char *p;

		/* A new session that offers only the password: the engine's key
		 * would log in whatever the password is. */
		if (vault_secret_new(vault_secret_data(hr->pw_value), n, &pc->pass) != 0) {
			free(pc);
			done(hr, PW_UNKNOWN, "out of locked memory");
			return;
		}
		p = (unsigned char *)vault_secret_data(pc->pass);
		p[n - 1] = '\0';
		{
			int missing = 0;
			account = s->account ? ro_template_render(s->account, hr->ex->c, hr->host,
			    &missing) : NULL;
			if (missing) {
				free(account);
				vault_secret_free(pc->pass);
				free(pc);
				pw_fail(hr, RO_STEP_FAILED, "step %s: its account has a parameter without "
				    "a value", s->name);
				return;
			}
		}
		cfg.user = account ? account : cfg.user;
		cfg.key_path = NULL;
		cfg.auth = NULL;
		cfg.password = (const char *)p;
		rc = ro_ssh_connect(hr->ex->loop, &cfg, login_done, pc, &ls);
		free(account);
		if (rc != RO_OK) {
			vault_secret_free(pc->pass);
			free(pc);
			done(hr, PW_UNKNOWN, ro_strerror(rc));
		}
		return;
	}
	if (hr->ssh == NULL) {
		free(pc);
		done(hr, PW_UNKNOWN, "the session was lost");
		return;
	}
	{
		int missing = 0;
		char *cmd = ro_template_render(s->verify, hr->ex->c, hr->host, &missing);
		if (missing) {
			free(cmd);
			free(pc);
			pw_fail(hr, RO_STEP_FAILED, "step %s: its verify command has a parameter "
			    "without a value", s->name);
			return;
		}
		hr->state = HR_STEP;
		rc = ro_ssh_exec(hr->ssh, cmd, vault_secret_data(hr->pw_value), n,
		    ro__step_timeout_ms(hr), command_done, pc);
		free(cmd);
		if (rc != RO_OK) {
			free(pc);
			done(hr, PW_UNKNOWN, ro_strerror(rc));
		}
	}
}

/* ---- commit ------------------------------------------------------------------ */

static void
commit(struct hostrun *hr, const char *how)
{
	uint32_t p = 0, c = 0;
	char detail[400];
	int rc;

	(void)ro_pwvault_versions(hr->ex->cfg.vault, host_name(hr), credential(hr), &p, &c);
	drop_value(hr);
	if ((rc = ro_pwvault_commit(hr->ex->cfg.vault, host_name(hr), credential(hr))) != RO_OK) {
		pw_fail(hr, RO_STEP_FAILED, "%s/%s: the vault could not make version %u current: %s",
		    host_name(hr), credential(hr), p, ro_strerror(rc));
		return;
	}
	hr->any_work = 1;
	if (c)
		snprintf(detail, sizeof detail, "%s: version %u is current, version %u kept as "
		    "previous", how, p, c);
	else
		snprintf(detail, sizeof detail, "%s: version %u is current", how, p);
	/* The vault is written at the next group commit, before this outcome. */
	ro__outcome(hr, RO_STEP_OK, RO_STORE_NO_EXIT_CODE, detail);
	ro__advance(hr);
}

/* ---- apply ------------------------------------------------------------------- */

static void apply_pending(struct hostrun *hr);

/* The old value, after the new one was refused. */
static void
after_new_refused_old(struct hostrun *hr, enum pw_answer a, const char *why)
{
	uint32_t p = 0, c = 0;

	drop_value(hr);
	(void)ro_pwvault_versions(hr->ex->cfg.vault, host_name(hr), credential(hr), &p, &c);
	if (a == PW_ACCEPTED) {
		if (hr->pw_mode == PW_PROBE) {
			/* Not applied (or undone): the current value works, so apply. */
			hr->pw_mode = PW_APPLY;
			ro__emit(hr->ex, RO_EV_NOTE, hr->wave, hr->host, ro__cur_step(hr)->name,
			    "password", 0, RO_STORE_NO_EXIT_CODE, "in doubt: the pending value is "
			    "refused and the current one accepted, so it is applied again");
			apply_pending(hr);
			return;
		}
		pw_fail(hr, RO_STEP_FAILED, "%s/%s: the password command succeeded but the new value "
		    "(version %u) is refused while the current one (version %u) still works; the "
		    "pending value stays in the vault: check the command, then resume",
		    host_name(hr), credential(hr), p, c);
		return;
	}
	if (a == PW_UNKNOWN) {
		pw_fail(hr, RO_STEP_UNREACHABLE, "%s/%s: in doubt, and the host could not be asked "
		    "(%s); both values stay in the vault, and the next run probes again",
		    host_name(hr), credential(hr), why);
		return;
	}
	locked_out(hr, p, c, why);
}

/* The new value's answer. */
static void
after_new(struct hostrun *hr, enum pw_answer a, const char *why)
{
	uint32_t p = 0, c = 0;
	int rc;

	drop_value(hr);
	if (a == PW_ACCEPTED) {
		commit(hr, hr->pw_mode == PW_PROBE ? "in doubt, the pending value is accepted" :
		    "verified");
		return;
	}
	if (a == PW_UNKNOWN) {
		pw_fail(hr, RO_STEP_UNREACHABLE, "%s/%s: the new value could not be verified (%s); "
		    "both values stay in the vault, and the next run probes the host before applying "
		    "anything", host_name(hr), credential(hr), why);
		return;
	}
	(void)ro_pwvault_versions(hr->ex->cfg.vault, host_name(hr), credential(hr), &p, &c);
	if (c == 0) {
		locked_out(hr, p, c, why);
		return;
	}
	if ((rc = ro_pwvault_get(hr->ex->cfg.vault, host_name(hr), credential(hr), VAULT_CURRENT,
	    &hr->pw_value)) != RO_OK) {
		pw_fail(hr, RO_STEP_FAILED, "%s/%s: cannot read the current value from the vault: %s",
		    host_name(hr), credential(hr), ro_strerror(rc));
		return;
	}
	verify_value(hr, after_new_refused_old);
}

static void
apply_done(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct hostrun *hr = arg;
	char detail[300];

	(void)s;
	if (r->status == RO_ECANCELED || hr->cancelled) {
		hr->ssh = NULL;
		pw_fail(hr, RO_STEP_FAILED, "stopped by the operator during the password change; the "
		    "next run probes the host before applying anything");
		return;
	}
	if (r->status != RO_OK) {
		/* The command may have run: in doubt. Probe, never apply blindly. */
		drop_value(hr);
		snprintf(detail, sizeof detail, "in doubt: %s; the host is probed before anything "
		    "is applied again", r->cause ? r->cause : ro_strerror(r->status));
		ro__outcome(hr, r->status == RO_ETIMEDOUT ? RO_STEP_TIMEOUT : RO_STEP_UNREACHABLE,
		    RO_STORE_NO_EXIT_CODE, detail);
		ro__drop_session(hr);
		hr->pw_doubt = hr->pw_named;
		if (++hr->pw_losses >= PW_LOSSES_MAX || hr->ex->stopping) {
			ro__fail(hr, detail);
			return;
		}
		ro__retry_after(hr, PW_PROBE_DELAY_S);
		return;
	}
	if (r->exit_code != 0 || r->exit_signal) {
		/* Refused by the host: the old value is still in place. Its output
		 * is not quoted, in case the command echoed what it read. */
		drop_value(hr);
		snprintf(detail, sizeof detail, "%s/%s: the password command failed with exit code "
		    "%d; the current value stays, the pending one stays in the vault", host_name(hr),
		    credential(hr), r->exit_code);
		ro__outcome(hr, RO_STEP_FAILED, r->exit_code, detail);
		ro__fail(hr, detail);
		return;
	}
	verify_value(hr, after_new);
}

static void
apply_pending(struct hostrun *hr)
{
	const struct ro_step *s = ro__cur_step(hr);
	int missing = 0, rc;
	char *cmd;

	if (hr->pw_value == NULL && (rc = ro_pwvault_get(hr->ex->cfg.vault, host_name(hr),
	    credential(hr), VAULT_PENDING, &hr->pw_value)) != RO_OK) {
		pw_fail(hr, RO_STEP_FAILED, "%s/%s: cannot read the pending value from the vault: %s",
		    host_name(hr), credential(hr), ro_strerror(rc));
		return;
	}
	cmd = ro_template_render(s->command, hr->ex->c, hr->host, &missing);
	if (missing) {
		free(cmd);
		pw_fail(hr, RO_STEP_FAILED, "step %s: a parameter has no value (check the campaign's "
		    "params)", s->name);
		return;
	}
	hr->after_effect = 1;
	hr->any_work = 1;
	hr->state = HR_STEP;
	rc = ro_ssh_exec(hr->ssh, cmd, vault_secret_data(hr->pw_value),
	    vault_secret_len(hr->pw_value), ro__step_timeout_ms(hr), apply_done, hr);
	free(cmd);
	if (rc != RO_OK)
		pw_fail(hr, RO_STEP_FAILED, "step %s could not start: %s", s->name, ro_strerror(rc));
}

/* ---- the step ---------------------------------------------------------------- */

static void
confirmed(struct hostrun *hr, enum pw_answer a, const char *why)
{
	char detail[300];

	drop_value(hr);
	if (a == PW_ACCEPTED) {
		hr->any_work = 1;
		snprintf(detail, sizeof detail, "an earlier run made version %u current in the vault; "
		    "the host accepts it", hr->pw_named);
		ro__outcome(hr, RO_STEP_OK, RO_STORE_NO_EXIT_CODE, detail);
		ro__advance(hr);
		return;
	}
	if (a == PW_UNKNOWN) {
		pw_fail(hr, RO_STEP_UNREACHABLE, "%s/%s: the current value could not be verified (%s)",
		    host_name(hr), credential(hr), why);
		return;
	}
	locked_out(hr, 0, hr->pw_named, why);
}

/* Runs once the intent naming the version is durable. */
static void
pw_go(struct hostrun *hr)
{
	int rc;

	/* Recorded with the intent; later intents of this host name no version. */
	hr->pw_named = hr->pw_version;
	hr->pw_version = 0;
	switch ((enum pw_mode)hr->pw_mode) {
	case PW_APPLY:
		apply_pending(hr);
		return;
	case PW_PROBE:
		if ((rc = ro_pwvault_get(hr->ex->cfg.vault, host_name(hr), credential(hr),
		    VAULT_PENDING, &hr->pw_value)) != RO_OK) {
			pw_fail(hr, RO_STEP_FAILED, "%s/%s: cannot read the pending value: %s",
			    host_name(hr), credential(hr), ro_strerror(rc));
			return;
		}
		verify_value(hr, after_new);
		return;
	case PW_CONFIRM:
		if ((rc = ro_pwvault_get(hr->ex->cfg.vault, host_name(hr), credential(hr),
		    VAULT_CURRENT, &hr->pw_value)) != RO_OK) {
			pw_fail(hr, RO_STEP_FAILED, "%s/%s: cannot read the current value: %s",
			    host_name(hr), credential(hr), ro_strerror(rc));
			return;
		}
		verify_value(hr, confirmed);
		return;
	}
}

void
ro__run_password(struct hostrun *hr)
{
	const struct ro_step *s = ro__cur_step(hr);
	const struct ro_step_record *rec = hr->tries == 0 ? ro__last_record(hr, hr->step) : NULL;
	uint32_t pending = 0, current = 0, doubt = hr->pw_doubt;
	char why[400];

	if (hr->ex->cfg.vault == NULL ||
	    ro_pwvault_versions(hr->ex->cfg.vault, host_name(hr), s->credential, &pending,
	    &current) != RO_OK) {
		snprintf(why, sizeof why, "step %s: the vault cannot be read", s->name);
		ro__fail(hr, why);
		return;
	}
	/* An earlier run's intent for this step without a success: the host may
	 * hold the version it named. */
	if (doubt == 0 && rec && rec->secret_version &&
	    !(rec->has_outcome && rec->status == RO_STEP_OK))
		doubt = rec->secret_version;
	hr->pw_doubt = 0;
	if (doubt == 0) {
		if (pending == 0) {
			snprintf(why, sizeof why, "%s/%s: the vault holds no pending value; import "
			    "the city's notice with `rollout vault import`", host_name(hr), s->credential);
			ro__fail(hr, why);
			return;
		}
		hr->pw_mode = PW_APPLY;
		hr->pw_version = pending;
	} else if (pending) {
		hr->pw_mode = PW_PROBE;
		hr->pw_version = pending;
	} else if (current && current == doubt) {
		hr->pw_mode = PW_CONFIRM;
		hr->pw_version = current;
	} else {
		snprintf(why, sizeof why, "%s/%s: an earlier run may have applied version %u, which "
		    "is neither pending nor current in the vault now (current: %u); check the host "
		    "on site", host_name(hr), s->credential, doubt, current);
		ro__fail(hr, why);
		return;
	}
	ro__intent(hr, pw_go);
}

int
ro__pw_intent_mark(struct ro_executor *ex, struct hostrun *hr, char **cause)
{
	const struct ro_step *s = &ex->c->playbooks[hr->pb]->steps[hr->step];

	return ro_store_secret_mark(ex->st, hr->intent, s->credential, hr->pw_version, cause);
}

int
ro__pw_flush(struct ro_executor *ex, char **cause)
{
	return ex->cfg.vault ? ro_pwvault_flush(ex->cfg.vault, cause) : RO_OK;
}

uint64_t
ro__pw_wait_ms(struct ro_executor *ex)
{
	return ro_pwvault_wait_ms(ex->cfg.vault);
}

/* ---- before a run ------------------------------------------------------------ */

size_t
ro_plan_password_steps(const struct ro_plan *plan)
{
	const struct ro_campaign *c = plan->campaign;
	size_t p, s, n = 0;

	for (p = 0; p < c->nplaybooks; p++)
		for (s = 0; s < c->playbooks[p]->nsteps; s++)
			n += c->playbooks[p]->steps[s].kind == RO_STEP_PASSWORD;
	return n;
}

/* Whether the store shows host's step (playbook p, index s) at version v. */
static int
recorded_at(const struct ro_step_record *h, size_t nh, const struct ro_step *st, size_t s,
    uint32_t v)
{
	size_t i;

	for (i = 0; i < nh; i++)
		if ((size_t)h[i].step_idx == s && strcmp(h[i].step_name, st->name) == 0 &&
		    h[i].secret_version == v)
			return 1;
	return 0;
}

int
ro_executor_password_check(const struct ro_plan *plan, struct ro_pwvault *vault,
    struct ro_store *st, char **cause)
{
	const struct ro_campaign *c = plan->campaign;
	struct ro_buf list;
	size_t i, p, s, missing = 0;

	ro_buf_init(&list);
	for (i = 0; i < c->nhosts; i++) {
		const struct ro_host *h = &c->inv->hosts[c->hosts[i]];
		struct ro_step_record *hist = NULL;
		size_t nh = 0;

		if (ro_store_host_history(st, c->id, h->name, &hist, &nh) != RO_OK) {
			*cause = ro_xasprintf("cannot read the store: %s", ro_store_errmsg(st));
			ro_buf_free(&list);
			return RO_EIO;
		}
		for (p = 0; p < c->nplaybooks; p++) {
			if ((c->host_playbooks[i] & (1u << p)) == 0)
				continue;
			for (s = 0; s < c->playbooks[p]->nsteps; s++) {
				const struct ro_step *stp = &c->playbooks[p]->steps[s];
				uint32_t pend = 0, cur = 0;
				if (stp->kind != RO_STEP_PASSWORD ||
				    (stp->roles && !(stp->roles & RO_ROLE_BIT(h->role))))
					continue;
				(void)ro_pwvault_versions(vault, h->name, stp->credential, &pend, &cur);
				if (pend || (cur && recorded_at(hist, nh, stp, s, cur)))
					continue;
				if (missing++ < 20)
					ro_buf_printf(&list, "\n  %s/%s", h->name, stp->credential);
			}
		}
		ro_step_record_list_free(hist, nh);
	}
	if (missing) {
		*cause = ro_xasprintf("the vault lacks a pending value for %zu password%s of campaign "
		    "%s:%s%s\n  import the city's notice with `rollout vault import NOTICE` (nothing "
		    "was changed)", missing, missing == 1 ? "" : "s", c->id, list.p,
		    missing > 20 ? "\n  ..." : "");
		ro_buf_free(&list);
		return RO_EINVAL;
	}
	ro_buf_free(&list);
	return RO_OK;
}
