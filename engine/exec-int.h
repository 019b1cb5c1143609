/*
 * exec-int.h - what executor.c (waves, gates, limits) and exec-host.c (one
 * host's steps) share. Nothing outside these two files includes it.
 */
#ifndef RO_EXEC_INT_H
#define RO_EXEC_INT_H

#include "calendar.h"
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
	int64_t intent;          /* open intent id, 0 when none */
	struct ro_ssh *ssh;
	char *boot_before;       /* boot time read before the restart */
	char *cmd;               /* the step's rendered command (upload: destination) */
	char *up_src, *up_sha;   /* upload: local file and expected sha256 */
	void (*go)(struct hostrun *hr); /* what to do once the intent is durable */
	double boot_deadline;    /* virtual time the host must be back by */
	uv_timer_t timer;
	int cancelled;
	enum ro_host_state final;
	char reason[1024];       /* why the host failed (no secrets) */
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
	struct pending_write *writes;
	size_t nwrites, capwrites;
	struct ro_exec_summary sum;
	int rc;
	char *cause;
	unsigned char *held;     /* per run: set aside by `rollout hosts hold` */
	struct ro_gates *gates;  /* the plan's gates and roster (approval.h) */
	int64_t approvals_seen;  /* highest approval row id already judged */
	size_t gate_announced;   /* 1 + the wave whose waiting gate was announced */
	int64_t *not_before;     /* per wave x site: its first planned day, 00:00 JST */
};

/* exec-host.c */
void ro__intent_done(struct hostrun *hr, int rc, const char *cause);
void ro__host_init(struct ro_executor *ex, struct hostrun *hr);
void ro__host_start(struct hostrun *hr);
void ro__host_cancel(struct hostrun *hr);
void ro__host_release(struct hostrun *hr, uv_close_cb cb);

/* executor.c: store writes go through a queue flushed as one group commit
 * per loop iteration; ro__intent_done runs after the commit. */
void ro__intent_request(struct ro_executor *ex, struct hostrun *hr, const char *step_name,
    int step_idx);
void ro__outcome_queue(struct ro_executor *ex, int64_t intent, enum ro_step_status status,
    int exit_code, const char *detail);
void ro__host_finished(struct ro_executor *ex, struct hostrun *hr);
void ro__emit(struct ro_executor *ex, enum ro_event_kind kind, int wave, int64_t host,
    const char *step, const char *state, int attempt, int exit_code, const char *detail);
double ro__now(const struct ro_executor *ex);

#endif
