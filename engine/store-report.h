/*
 * store-report.h - what the reports read from the store (part of the store
 * module: store-report.c is its only SQL). Read-only; call inside
 * ro_store_begin_read so that one report is one snapshot.
 *
 * Conventions as in store.h: 0 or a negative RO_E* code; free lists with
 * their _free function (NULL-safe). Nothing here is ever a secret: the
 * password steps' rows carry the credential's name and the vault version
 * number only (secret_marks).
 */
#ifndef RO_STORE_REPORT_H
#define RO_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct ro_store;

/* One step run, for 作業報告書. */
struct ro_step_row {
	char *host, *site, *site_name; /* site_name NULL when never recorded */
	char *step_name, *actor;
	char *status;     /* "ok" "failed" ...; NULL: no outcome (interrupted) */
	char *detail;     /* the outcome's detail, or NULL */
	char *credential; /* password steps: the credential's name, else NULL */
	int64_t version;  /* its vault version number, 0 when none */
	int wave, step_idx, attempt;
	int has_exit;     /* 0 when no process ran */
	int exit_code;
	int64_t started_at;
	int64_t finished_at; /* RO_STORE_NO_TIME without an outcome */
};

/* Every step run of campaign, by wave, host, then in the order run. */
int ro_store_report_steps(struct ro_store *st, const char *campaign, struct ro_step_row **out,
    size_t *n, char **cause);
void ro_step_rows_free(struct ro_step_row *v, size_t n);

/* One host of a campaign with its step counts and first and last times. */
struct ro_host_row {
	char *host, *site, *site_name, *address, *state;
	int wave;
	int64_t steps, steps_failed;
	int64_t first_start, last_end; /* RO_STORE_NO_TIME when none */
};
int ro_store_report_hosts(struct ro_store *st, const char *campaign, struct ro_host_row **out,
    size_t *n, char **cause);
void ro_host_rows_free(struct ro_host_row *v, size_t n);

/*
 * One campaign of a month, for 月次報告書: a campaign with a step run that
 * started in [from, to) (Unix seconds), or made in it. Host counts are the
 * campaign's as they stand; step counts and times are the month's.
 */
struct ro_month_row {
	char *id, *title, *playbooks, *state, *reason;
	int64_t created_at;
	int64_t hosts, hosts_done, hosts_failed, hosts_skipped;
	int64_t steps, steps_ok, steps_failed, steps_open, password_steps;
	int64_t first_start, last_end; /* RO_STORE_NO_TIME when none */
	int64_t approvals;             /* signed approvals of the campaign */
	int64_t gates_passed;          /* gated waves that ran */
	int64_t gates_unsigned;        /* ... without a signed approval of its plan */
};
int ro_store_report_month(struct ro_store *st, int64_t from, int64_t to,
    struct ro_month_row **out, size_t *n, char **cause);
void ro_month_rows_free(struct ro_month_row *v, size_t n);

/* The start times of the step runs in [from, to), in order, and the
 * distinct actors named by them (with their counts). */
int ro_store_report_month_starts(struct ro_store *st, int64_t from, int64_t to,
    int64_t **starts, size_t *nstarts, char **cause);
struct ro_actor_row {
	char *actor;
	int64_t steps;
};
int ro_store_report_month_actors(struct ro_store *st, int64_t from, int64_t to,
    struct ro_actor_row **out, size_t *n, char **cause);
void ro_actor_rows_free(struct ro_actor_row *v, size_t n);

#endif
