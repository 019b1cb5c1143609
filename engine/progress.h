/*
 * progress.h - showing a run: a live view on a terminal, plain log lines
 * otherwise, or JSON event lines for machines.
 *
 * It consumes the executor's events (executor.h) and keeps its own tallies
 * per wave and per site; it never reads the store. Colour is used only on
 * a terminal and never when NO_COLOR is set (https://no-color.org).
 */
#ifndef RO_PROGRESS_H
#define RO_PROGRESS_H

#include <stdio.h>
#include <uv.h>

#include "executor.h"

enum ro_progress_mode { RO_PROGRESS_LIVE, RO_PROGRESS_PLAIN, RO_PROGRESS_JSON };

struct ro_progress;

/* ro_progress_mode_auto picks live on a terminal, plain otherwise. */
enum ro_progress_mode ro_progress_mode_auto(FILE *out);

/* ro_progress_new: the live view redraws from a timer on loop (unref'd). */
struct ro_progress *ro_progress_new(FILE *out, enum ro_progress_mode mode,
    const struct ro_plan *plan, const struct ro_clock *clock, uv_loop_t *loop);

/* ro_progress_set_state_dir names the state directory in the commands the
 * view suggests (approve), so that they paste as they are from any shell. */
void ro_progress_set_state_dir(struct ro_progress *p, const char *dir);

/* The executor's event callback (arg is the struct ro_progress). */
void ro_progress_event(const struct ro_event *ev, void *arg);

/* ro_progress_set_on_site tells the summary that the engine's work is done
 * but pending manual steps on hosts still wait for on-site records
 * (`rollout record`): the run then ends "awaiting-on-site", not "done". */
void ro_progress_set_on_site(struct ro_progress *p, size_t pending, size_t hosts);

/* ro_progress_finish draws the last frame and the summary, stops the timer. */
void ro_progress_finish(struct ro_progress *p, const struct ro_exec_summary *sum, int rc,
    const char *cause);

/* ro_progress_free releases p; the loop must run once more to close its timer. */
void ro_progress_free(struct ro_progress *p);

#endif
