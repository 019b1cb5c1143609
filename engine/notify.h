/*
 * notify.h - telling people what a run needs of them: the campaign's
 * `notify:` command, run with one JSON event on its standard input when a
 * gate waits for an approval, a wave halts and the campaign ends (so a site
 * can plug in its mail or chat). docs/EXECUTION.md, "Notifications".
 *
 * The command runs under /bin/sh -c, in the campaign file's directory, on
 * the run's loop: the run never waits for it, and one that takes longer
 * than RO_NOTIFY_TIMEOUT_MS is killed. Commands run one at a time, in the
 * order of their events, so a listener never hears "campaign ended" before
 * the halt that ended it. Its output is discarded; a failure
 * is reported on stderr, never retried. Events carry no secret (the
 * engine's events never hold one).
 */
#ifndef RO_NOTIFY_H
#define RO_NOTIFY_H

#include <uv.h>

#include "executor.h"
#include "planner.h"
#include "store.h"

#define RO_NOTIFY_TIMEOUT_MS 30000

struct ro_notifier;

/* ro_notify_new returns NULL when the campaign has no notify command. */
struct ro_notifier *ro_notify_new(uv_loop_t *loop, const struct ro_plan *plan,
    struct ro_store *st, const char *state_dir);
/* ro_notify_event runs the command for the events people must hear of. */
void ro_notify_event(struct ro_notifier *n, const struct ro_event *ev);
/* ro_notify_free frees the notifier once the commands still running or
 * waiting have finished (or timed out) while the loop runs on; no new event
 * is taken after it. Accepts NULL. */
void ro_notify_free(struct ro_notifier *n);

#endif
