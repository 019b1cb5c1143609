/*
 * exec-int.h - what executor.c (waves, gates, limits) and exec-host.c (one
 * host's steps) share. Nothing outside these two files includes it.
 */
#ifndef RO_EXEC_INT_H
#define RO_EXEC_INT_H

#include "calendar.h"
#include "store.h"
#include "executor.h"
#include "transport.h"

/* Where a host is in its run. */
enum hr_state {
	HR_IDLE,       /* not started (or finished and released) */
	HR_CONNECT,    /* opening the SSH session */
	HR_STEP,       /* a step's exec or upload is under way */
	HR_RETRY,      /* waiting before the next attempt */
	HR_BOOT_READ,  /* reading the boot time before a reboot */
	HR_SHUTDOWN,   /* the restart command is under way */
	HR_BOOT_WAIT,  /* waiting for the host to come back */
	HR_BOOT_CHECK, /* reading the boot time after it came back */
	HR_CLOSING,    /* closing the session before reporting */
};

struct hostrun {
	struct ro_executor *ex;
	uint32_t host;           /* inventory index */
	uint32_t site;
	uint32_t cpos;           /* row of c->host_playbooks */
	int wave;
	long estimate;           /* seconds of work, from the steps' estimates */
	enum ro_host_state stored; /* state in the store */
	enum hr_state state;
	size_t pb, step;         /* current playbook (campaign order) and step */
	int attempt;             /* attempts of the current step so far */
	int connect_attempts;
	int reconnecting;        /* the retry timer is for the same connect sequence */
	int need_reboot;         /* an exec returned one of its reboot_required codes */
	int findings;            /* verify/manual failures that let the host go on */
	int any_work;            /* a step other than a satisfied check ran */
	int tries;               /* attempts of the current step in this run */
	int64_t intent;          /* open intent id, 0 when none */
	/* Resuming (docs/EXECUTION.md): what the store holds of earlier runs. */
	struct ro_step_record *hist; /* this host's earlier step runs, read at its start */
	size_t nhist;
	size_t hist_pb;          /* the playbook touched/after_effect describe (SIZE_MAX: none) */
	int touched;             /* an earlier run changed, or may have changed, the host in it */
	long last_effect;        /* index of its last step recorded as changing the host, or -1 */
	int after_effect;        /* a step of it changed the host in this run before this one */
	char *resolve_boot;      /* reboot: the boot time an earlier run marked before its restart */
	double boot_pending_until; /* an earlier run may have restarted the host: until then a
	                            * failed login means "not back yet" */
	struct ro_ssh *ssh;
	char *boot_before;       /* boot time read before the restart */
	char *cmd;               /* the step's rendered command (upload: destination) */
	char *up_src, *up_sha;   /* upload: local file and expected sha256 */
	void (*go)(struct hostrun *hr); /* what to do once the intent is durable */
	double boot_deadline;    /* virtual time the host must be back by */
	double resend_at;        /* a restart command lost with the link: resend from then (0: no) */
	uv_timer_t timer;
	int cancelled;
	enum ro_host_state final;
	char reason[1024];       /* why the host failed (no secrets) */
	/* Password steps (exec-passwd.c): never a value here, only versions. */
	uint32_t pw_version;     /* the vault version the next intent names (0: none) */
	uint32_t pw_doubt;       /* in doubt in this run: the version that may be on the host */
	uint32_t pw_named;       /* the version the current step's intent named */
	int pw_mode;             /* what the step's intent is for (exec-passwd.c) */
	int pw_losses;           /* connections lost under a password command in this run */
	struct vault_secret *pw_value; /* the value being applied or verified */
};

struct ro_executor {
	uv_loop_t *loop;
	struct ro_store *st;
	const struct ro_plan *plan;
	const struct ro_campaign *c;
	struct ro_exec_config cfg;
	struct ro_known_hosts *known;
	struct ro_calendar *cal;
	char *campaign_dir;

	struct hostrun *runs;    /* one per host in the plan, in plan order */
	size_t nruns;
	struct ro_strmap by_name; /* host name -> index into runs */

	size_t wave;             /* the wave under way */
	int wave_open;           /* its hosts are being dispatched */
	size_t *queue;           /* runs still to start in this wave */
	size_t nqueue;
	uint32_t running;
	uint32_t *site_running;
	long wave_failed;
	int gate_waiting;
	int halting, stopping, finished;
	double announced_wake;   /* the wait last reported in an event */
	uv_timer_t poll;         /* gate checks and window waits */
	uv_idle_t flusher;       /* runs the write queue while it is not empty */
	uv_timer_t vault_wait;   /* holds the queue while the vault's last write is too recent */
	struct pending_write *writes;
	size_t nwrites, capwrites;
	char *crash_at;          /* tests: ROLLOUT_TEST_CRASH_AT (see ro__crash_point) */
	struct ro_exec_summary sum;
	int rc;
	char *cause;
	unsigned char *held;     /* per run: set aside by `rollout hosts hold` */
	struct ro_gates *gates;  /* the plan's gates and roster (approval.h) */
	int64_t approvals_seen;  /* highest approval row id already judged */
	size_t gate_announced;   /* 1 + the wave whose waiting gate was announced */
	int64_t *not_before;     /* per wave x site: its first planned day, 00:00 JST */
};

/* exec-host.c, also for exec-passwd.c */
const struct ro_step *ro__cur_step(const struct hostrun *hr);
const struct ro_host *ro__host_of(const struct hostrun *hr);
void ro__intent(struct hostrun *hr, void (*go)(struct hostrun *hr));
void ro__outcome(struct hostrun *hr, enum ro_step_status status, int exit_code,
    const char *detail);
void ro__fail(struct hostrun *hr, const char *reason);
void ro__advance(struct hostrun *hr);
void ro__drop_session(struct hostrun *hr);
struct ro_ssh_config ro__ssh_config(const struct hostrun *hr);
uint64_t ro__step_timeout_ms(const struct hostrun *hr);
/* Runs the current step again after virtual_s (on a new session if it was lost). */
void ro__retry_after(struct hostrun *hr, double virtual_s);
/* The latest record of step (current playbook) from earlier runs, or NULL. */
const struct ro_step_record *ro__last_record(const struct hostrun *hr, size_t step);

/* exec-passwd.c: password steps (docs/EXECUTION.md, "Password steps"). */
void ro__run_password(struct hostrun *hr);
/* Records the vault version an intent names, inside the group commit. */
int ro__pw_intent_mark(struct ro_executor *ex, struct hostrun *hr, char **cause);
/* Writes the vault's commits waiting, at a group commit, before the store's. */
int ro__pw_flush(struct ro_executor *ex, char **cause);
void ro__pw_release(struct hostrun *hr);
/* Real ms the next group commit should wait so that vault writes are grouped (0: none). */
uint64_t ro__pw_wait_ms(struct ro_executor *ex);

void ro__intent_done(struct hostrun *hr, int rc, const char *cause);
void ro__host_init(struct ro_executor *ex, struct hostrun *hr);
void ro__host_start(struct hostrun *hr);
void ro__host_cancel(struct hostrun *hr);
void ro__host_release(struct hostrun *hr, uv_close_cb cb);

/* executor.c: store writes go through a queue flushed as one group commit
 * per loop iteration; ro__intent_done runs after the commit. */
void ro__intent_request(struct ro_executor *ex, struct hostrun *hr, const char *step_name,
    int step_idx);
void ro__outcome_queue(struct ro_executor *ex, struct hostrun *hr, int64_t intent,
    enum ro_step_status status, int exit_code, const char *detail);
/* Tests only: kills the engine (SIGKILL) when ROLLOUT_TEST_CRASH_AT is
 * HOST:STEP:WHAT for this host, step and moment (intent, outcome: after the
 * commit that holds it; ran: the step has acted, its outcome not yet queued;
 * mark: after the boot time before a restart is recorded; sent: after the
 * restart command was accepted). */
void ro__crash_point(struct ro_executor *ex, const struct hostrun *hr, const char *step,
    const char *what);
void ro__host_finished(struct ro_executor *ex, struct hostrun *hr);
void ro__emit(struct ro_executor *ex, enum ro_event_kind kind, int wave, int64_t host,
    const char *step, const char *state, int attempt, int exit_code, const char *detail);
double ro__now(const struct ro_executor *ex);

#endif
