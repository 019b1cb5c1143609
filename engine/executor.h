/*
 * executor.h - running a saved plan on the hosts, from one libuv loop.
 *
 * The executor takes a plan (built from the campaign files and recorded in
 * the store under the same hash) and runs its waves in order: each gated
 * wave waits in awaiting-approval until `rollout approve` (another process)
 * records an approval for this plan's hash; then the wave's hosts run in
 * parallel under the campaign's concurrency, each site's max unavailable
 * and the campaign's window (business hours, a closed-office span, or any
 * time), never starting a host whose estimated work cannot finish before
 * its window closes. Each host runs its steps in order over one SSH session
 * (transport.h); every step's intent is committed to the store before the
 * side effect and its outcome after it (invariant 2). A wave whose failed
 * hosts exceed its failure budget halts the campaign; the hosts already
 * running finish first.
 *
 * A halted or interrupted campaign is resumed by running it again: intents
 * left without an outcome are closed as interrupted, hosts already done
 * are not touched again, failed and interrupted hosts go on from their
 * record in the store (docs/EXECUTION.md, "Resuming"), and waves already
 * done stay done.
 *
 * The executor prints nothing: it reports through the event callback, and
 * progress.h turns events into a view.
 */
#ifndef RO_EXECUTOR_H
#define RO_EXECUTOR_H

#include <stdint.h>
#include <uv.h>

#include "clock.h"
#include "planner.h"
#include "store.h"

struct ro_ssh_auth;
struct ro_pwvault;

enum ro_event_kind {
	RO_EV_CAMPAIGN, /* state: running, done, halted, failed */
	RO_EV_WAVE,     /* state: awaiting-approval, running, done, halted */
	RO_EV_HOST,     /* state: running, done, failed, skipped */
	RO_EV_STEP,     /* state: a step status (ok, failed, skipped, timeout, unreachable) */
	RO_EV_WAIT,     /* nothing can start before `until` (a window, a retry) */
	RO_EV_NOTE,     /* detail: a sentence for the log */
};

struct ro_event {
	enum ro_event_kind kind;
	double at;            /* virtual Unix seconds */
	int wave;             /* -1 when none */
	int64_t host;         /* inventory index, -1 when none */
	const char *step;     /* step name or NULL */
	const char *state;
	int attempt;          /* step events */
	int exit_code;        /* RO_STORE_NO_EXIT_CODE when no process ran */
	const char *detail;   /* a sentence, or NULL; never a secret */
	double until;         /* RO_EV_WAIT: virtual Unix seconds */
};

typedef void (*ro_event_fn)(const struct ro_event *ev, void *arg);

struct ro_exec_config {
	struct ro_clock *clock;        /* required */
	const char *key_path;          /* engine's private key, e.g. .rollout/id_ed25519 */
	const struct ro_ssh_auth *auth; /* if set, used instead of key_path (transport.h) */
	const char *known_hosts_path;  /* e.g. .rollout/known_hosts */
	int port;                      /* 0: each host's inventory port */
	uint64_t poll_ms;              /* real ms between approval checks (0: 200) */
	struct ro_pwvault *vault;      /* password steps' values (pwvault.h); NULL: none */
	ro_event_fn on_event;          /* may be NULL */
	void *event_arg;
};

struct ro_exec_summary {
	uint32_t hosts, done, skipped, failed, pending;
	int halted;                    /* 1: stopped before the end (budget, stop request) */
	uint32_t held;                 /* hosts set aside (`rollout hosts hold`), not counted above */
	char reason[512];              /* why it halted, or "" */
};

struct ro_executor;

/*
 * ro_executor_supports: RO_OK if this version can run every step of the
 * plan's campaign, else RO_ESTATE with *cause naming the step (file:line:col).
 * Callers check it before recording anything.
 */
int ro_executor_supports(const struct ro_plan *plan, char **cause);

/* The number of password steps in the plan's campaign (they need a vault). */
size_t ro_plan_password_steps(const struct ro_plan *plan);

/*
 * ro_executor_password_check: every host in scope has, for each password
 * step it takes, a pending value in the vault, or the store shows the
 * step's version already current (done, or committed before a crash).
 * RO_EINVAL with *cause listing the missing entries (host/credential, never
 * a value); nothing is changed.
 */
int ro_executor_password_check(const struct ro_plan *plan, struct ro_pwvault *vault,
    struct ro_store *st, char **cause);

/*
 * ro_executor_new checks that the plan can run here (the store holds the
 * campaign under this plan's hash, the engine key and known hosts load, no
 * step kind this version cannot run) and prepares it. RO_ESTATE /
 * RO_ENOENT / RO_EIO with *cause otherwise.
 */
int ro_executor_new(uv_loop_t *loop, struct ro_store *st, const struct ro_plan *plan,
    const struct ro_exec_config *cfg, struct ro_executor **out, char **cause);

/* ro_executor_run runs the loop until the campaign is done or halted. */
int ro_executor_run(struct ro_executor *ex, struct ro_exec_summary *sum, char **cause);

/*
 * ro_executor_stop asks a running executor to stop (safe from a signal
 * handle's callback on the same loop): no new host starts and the gate
 * wait ends; with hard, the hosts under way are cancelled too (their open
 * intents are closed as interrupted and settled from the record on resume).
 */
void ro_executor_stop(struct ro_executor *ex, int hard);

/*
 * ro_executor_refresh_holds re-reads the hosts set aside by `rollout hosts
 * hold` (another process): a held host that has not started is not
 * started; one under way finishes its run. A campaign whose only unfinished
 * hosts are held ends halted, never done: done is final, and a held host
 * still needs its run once it is released.
 */
int ro_executor_refresh_holds(struct ro_executor *ex);

void ro_executor_free(struct ro_executor *ex); /* accepts NULL */

#endif
