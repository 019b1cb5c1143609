/*
 * store.h - the durable state store (SQLite, WAL, foreign keys on).
 *
 * The store is the only module that speaks SQL. It holds campaigns, their
 * waves and hosts, the intent and outcome of every step run, wave approvals,
 * vault counters and an append-only, hash-chained journal. Every call that
 * changes state also appends a journal record in the same transaction.
 * See docs/STORE.md for the schema, the state machines and the concurrency
 * rules (one engine writes; `approve` and `status` may run beside it).
 *
 * Conventions: functions return 0 or a negative RO_E* code (SQLite codes
 * are converted here and never leave this module). Where a function takes
 * `char **cause`, it may be NULL; otherwise on failure *cause is set to a
 * malloc'd sentence a person can act on (the caller frees it). The last
 * such sentence is also kept and returned by ro_store_errmsg, which serves
 * the functions declared without a cause.
 *
 * Free-text fields (detail, comment, title) are stored and journaled as
 * given: callers must never pass a secret in them.
 *
 * Declarations in the first block are a contract other modules were written
 * against; keep them as they are.
 */
#ifndef RO_STORE_H
#define RO_STORE_H

#include <stddef.h>
#include <stdint.h>

struct ro_store;

/* The default state directory (".rollout" in the current directory) and the
 * store file inside it ("state.db"). */
#define RO_STATE_DIR_DEFAULT ".rollout"
#define RO_STORE_FILE "state.db"
/* The journal's MAC key, beside the store (0600; docs/STORE.md, "Journal"). */
#define RO_JOURNAL_KEY_FILE "journal.key"

/*
 * ro_store_open opens (creating and migrating as needed) the store at path.
 * On failure returns a negative RO_E* code and sets *cause to a malloc'd
 * message a person can act on.
 */
int ro_store_open(const char *path, struct ro_store **out, char **cause);

/*
 * ro_store_open_audit opens state_dir/state.db for `rollout audit`: like
 * ro_store_open_dir, except that a missing journal key is neither made nor
 * an error (an auditor may hold a copy of state.db without it). The store
 * is then unkeyed: verification checks the chain and an exported head but
 * not the MACs, and says so (ro_journal_check.keyed, macs_unchecked).
 */
int ro_store_open_audit(const char *state_dir, struct ro_store **out, char **cause);

/* ro_store_open_dir opens state_dir/state.db, creating state_dir (0700). */
int ro_store_open_dir(const char *state_dir, struct ro_store **out, char **cause);

void ro_store_close(struct ro_store *st); /* accepts NULL */

/* The last vault header counter recorded for vault_id (0 when none). */
int ro_store_vault_counter(struct ro_store *st, const char *vault_id, uint64_t *counter);
/* Records counter for vault_id; RO_ESTATE if it is lower than the stored one. */
int ro_store_vault_counter_set(struct ro_store *st, const char *vault_id, uint64_t counter);
/* The vault's roster hash (64 hex digits) last recorded on this machine, or
 * "" when none; and recording a newer one (the caller has checked that it
 * descends from the recorded one). */
int ro_store_vault_roster(struct ro_store *st, const char *vault_id, char roster[65]);
int ro_store_vault_roster_set(struct ro_store *st, const char *vault_id, const char *roster);

/*
 * ro_store_journal appends one record to the append-only, hash-chained
 * journal. campaign may be NULL; detail is a JSON object text (may be NULL)
 * and must never contain a secret.
 */
int ro_store_journal(struct ro_store *st, const char *campaign, const char *kind,
    const char *actor, const char *detail);

/* ---------------------------------------------------------------------- */
/* Connection settings                                                     */

/* The schema version this build writes (PRAGMA user_version after open). */
#define RO_STORE_SCHEMA_VERSION 11

/* "No time" for nullable timestamps (planned wave start/end). */
#define RO_STORE_NO_TIME INT64_MIN
/* "No exit code" for outcomes where no process ran (unreachable, timeout). */
#define RO_STORE_NO_EXIT_CODE INT32_MIN

/* The clock the store reads for every timestamp it writes, in Unix seconds.
 * The default is time(NULL); the engine passes its single scheduling clock
 * and tests a fixed one. */
typedef int64_t (*ro_store_clock_fn)(void *ctx);
void ro_store_set_clock(struct ro_store *st, ro_store_clock_fn now, void *ctx);

/* The actor named in journal records, intents and created_by. The default
 * is the login name of the effective user (or "unknown"). */
void ro_store_set_actor(struct ro_store *st, const char *actor);
const char *ro_store_actor(const struct ro_store *st);

/* How long a call waits for another process's write lock before it fails
 * with RO_ELOCKED (default 10000 ms; 0 fails at once). */
void ro_store_set_busy_timeout(struct ro_store *st, int ms);

/* The message of the last failure on st ("" when none). */
const char *ro_store_errmsg(const struct ro_store *st);

/* The path the store was opened from. */
const char *ro_store_path(const struct ro_store *st);

/* ---------------------------------------------------------------------- */
/* Transactions                                                            */

/*
 * ro_store_begin starts a write transaction (BEGIN IMMEDIATE: it takes the
 * write lock now, waiting up to the busy timeout). Calls made until
 * ro_store_commit or ro_store_rollback join it, so `plan --save` records a
 * campaign, its waves and hosts all or nothing. RO_ESTATE if one is open.
 */
int ro_store_begin(struct ro_store *st);
/* ro_store_begin_read starts a read transaction: every read until commit or
 * rollback sees one snapshot (for `status`). Writes inside it fail with
 * RO_ESTATE. */
int ro_store_begin_read(struct ro_store *st);
/*
 * ro_store_begin_group starts a group commit: a write transaction that
 * ro_store_intent_begin may join. The caller must not act on any intent
 * recorded inside it until ro_store_commit has returned 0 (then all of them
 * are durable at once, with one sync); after a failed commit none of them
 * exist. The executor uses it to record the intents of many hosts with one
 * fsync instead of one each.
 */
int ro_store_begin_group(struct ro_store *st);
int ro_store_commit(struct ro_store *st);
int ro_store_rollback(struct ro_store *st); /* no-op without a transaction */

/* ---------------------------------------------------------------------- */
/* States                                                                  */

enum ro_campaign_state {
	RO_CAMPAIGN_PLANNED,   /* saved, not started */
	RO_CAMPAIGN_RUNNING,   /* an engine is (or was, before a crash) executing */
	RO_CAMPAIGN_HALTED,    /* stopped on purpose or by a budget; may resume */
	RO_CAMPAIGN_DONE,      /* every wave done (terminal) */
	RO_CAMPAIGN_FAILED,    /* given up (terminal) */
	RO_CAMPAIGN_CANCELLED, /* withdrawn before or while halted (terminal) */
};

enum ro_wave_state {
	RO_WAVE_PENDING,
	RO_WAVE_AWAITING_APPROVAL,
	RO_WAVE_APPROVED,
	RO_WAVE_RUNNING,
	RO_WAVE_DONE,
	RO_WAVE_FAILED,
	RO_WAVE_HALTED,
};

enum ro_host_state {
	RO_HOST_PENDING,
	RO_HOST_RUNNING,
	RO_HOST_DONE,
	RO_HOST_FAILED,
	RO_HOST_SKIPPED,
	RO_HOST_NSTATES
};

enum ro_step_status {
	RO_STEP_OK,
	RO_STEP_FAILED,
	RO_STEP_SKIPPED,
	RO_STEP_TIMEOUT,
	RO_STEP_UNREACHABLE,
};

/* Names as stored ("awaiting-approval", ...), and back; parse returns
 * RO_EINVAL for an unknown name. */
const char *ro_campaign_state_name(enum ro_campaign_state s);
const char *ro_wave_state_name(enum ro_wave_state s);
const char *ro_host_state_name(enum ro_host_state s);
const char *ro_step_status_name(enum ro_step_status s);
int ro_campaign_state_parse(const char *name, enum ro_campaign_state *out);
int ro_wave_state_parse(const char *name, enum ro_wave_state *out);
int ro_host_state_parse(const char *name, enum ro_host_state *out);
int ro_step_status_parse(const char *name, enum ro_step_status *out);

/* ---------------------------------------------------------------------- */
/* Campaigns, waves, hosts (recorded by `plan --save`)                     */

/* A new campaign, from primitives so that the planner needs no store types. */
struct ro_campaign_new {
	const char *id;             /* short name chosen by the operator */
	const char *title;
	const char *playbooks;      /* playbook name, or names joined by ',' */
	const char *plan_hash;      /* hex digest of the plan bytes */
	const char *plan_json;      /* the plan itself */
	const char *inventory_hash; /* hex digest of the inventory */
};

/* ro_store_campaign_create records a campaign in state planned, created by
 * the store's actor at the store's clock. RO_EEXIST if the id is taken. */
int ro_store_campaign_create(struct ro_store *st, const struct ro_campaign_new *c,
    char **cause);

struct ro_wave_new {
	const char *campaign;
	int idx;             /* 0-based, in execution order */
	const char *name;
	int gated;           /* 1: waits in awaiting-approval for `rollout approve` */
	int failure_budget;  /* failed hosts tolerated before the wave fails */
	int64_t planned_start, planned_end; /* Unix seconds or RO_STORE_NO_TIME */
};

/* ro_store_wave_add adds a pending wave to a campaign that is still planned. */
int ro_store_wave_add(struct ro_store *st, const struct ro_wave_new *w, char **cause);

/* ro_store_host_add puts a host (pending) into one wave of a planned campaign. */
int ro_store_host_add(struct ro_store *st, const char *campaign, const char *host,
    const char *site, const char *address, int wave, char **cause);

struct ro_campaign_info {
	char *id, *title, *playbooks, *plan_hash, *inventory_hash, *created_by;
	char *plan_json; /* NULL in lists */
	int64_t created_at;
	enum ro_campaign_state state;
	char *reason;    /* why it halted or failed, or NULL */
};

/* ro_store_campaign_get fills *out (free with ro_campaign_info_clear);
 * RO_ENOENT if there is no such campaign. */
int ro_store_campaign_get(struct ro_store *st, const char *id,
    struct ro_campaign_info *out, char **cause);
/* ro_store_campaign_list returns every campaign, oldest first, without
 * plan_json (free with ro_campaign_list_free). */
int ro_store_campaign_list(struct ro_store *st, struct ro_campaign_info **out, size_t *n);
void ro_campaign_info_clear(struct ro_campaign_info *c);
void ro_campaign_list_free(struct ro_campaign_info *v, size_t n);

/* ro_store_campaign_set_state moves a campaign along its state machine
 * (docs/STORE.md); RO_ESTATE for a transition that is not allowed. Setting
 * the current state again is a no-op. */
int ro_store_campaign_set_state(struct ro_store *st, const char *id,
    enum ro_campaign_state to, char **cause);

struct ro_wave_info {
	int idx;
	char *name;
	int gated;
	int failure_budget;
	int64_t planned_start, planned_end; /* or RO_STORE_NO_TIME */
	enum ro_wave_state state;
};

int ro_store_wave_get(struct ro_store *st, const char *campaign, int idx,
    struct ro_wave_info *out, char **cause);
/* All waves of a campaign in idx order (free with ro_wave_list_free). */
int ro_store_wave_list(struct ro_store *st, const char *campaign,
    struct ro_wave_info **out, size_t *n);
void ro_wave_info_clear(struct ro_wave_info *w);
void ro_wave_list_free(struct ro_wave_info *v, size_t n);

/*
 * ro_store_wave_set_state moves a wave along its state machine. The state
 * approved cannot be set here: only ro_store_approve sets it. A gated wave
 * goes pending -> awaiting-approval -> approved -> running; an ungated one
 * pending -> running. RO_ESTATE for any other transition.
 */
int ro_store_wave_set_state(struct ro_store *st, const char *campaign, int idx,
    enum ro_wave_state to, char **cause);

/*
 * ro_store_approve records that approver approved wave idx of campaign, for
 * the plan whose hash is plan_hash, at the store's clock, and moves the wave
 * to approved. Refused with RO_ESTATE when plan_hash is not the campaign's
 * (the plan changed since it was read), when the wave is not gated, or when
 * it is neither pending nor awaiting-approval. comment may be NULL.
 */
int ro_store_approve(struct ro_store *st, const char *campaign, int idx,
    const char *approver, const char *comment, const char *plan_hash, char **cause);

struct ro_approval_info {
	int64_t id;
	int wave;
	char *approver, *comment, *plan_hash;
	int64_t approved_at;
	/* Signed approvals (schema 5): NULL in rows without a signature. */
	char *decision;   /* "approve" or "refuse" */
	char *gate;       /* the gate kind, e.g. "after-canary" */
	char *signer_key; /* hex Ed25519 public key */
	char *signature;  /* hex Ed25519 signature (approval.h says over what) */
};
/*
 * A signed decision on a gate (approval.c builds and signs it; the store
 * checks only what it can without keys). decision "approve" moves the wave
 * to approved exactly as ro_store_approve does (same refusals); "refuse"
 * records the refusal and journals it, leaving the wave as it is. at is
 * the signed time, recorded as approved_at.
 */
struct ro_approval_new {
	const char *campaign;
	int wave; /* 0-based */
	const char *gate, *plan_hash, *decision, *comment, *signer, *signer_key, *signature;
	int64_t at;
};
int ro_store_approval_record(struct ro_store *st, const struct ro_approval_new *a, char **cause);

/* Approvals of a campaign in the order they were given (wave < 0: all). */
int ro_store_approval_list(struct ro_store *st, const char *campaign, int wave,
    struct ro_approval_info **out, size_t *n);
void ro_approval_list_free(struct ro_approval_info *v, size_t n);

struct ro_host_info {
	char *host, *site, *address;
	int wave;
	enum ro_host_state state;
};
/* Hosts of a campaign (wave < 0: all) ordered by wave, then name. */
int ro_store_host_list(struct ro_store *st, const char *campaign, int wave,
    struct ro_host_info **out, size_t *n);
void ro_host_list_free(struct ro_host_info *v, size_t n);

/* ro_store_host_set_state: pending -> running|skipped, running -> done|
 * failed|skipped, failed -> running (a retry). Same state is a no-op. */
int ro_store_host_set_state(struct ro_store *st, const char *campaign,
    const char *host, enum ro_host_state to, char **cause);
/* ... and records why (reason may be NULL: cleared), e.g. why it failed. The
 * same state with a new reason just updates the reason. Never a secret. */
int ro_store_host_set_state_reason(struct ro_store *st, const char *campaign,
    const char *host, enum ro_host_state to, const char *reason, char **cause);

/* Host counts for `status`, grouped by wave or by site. */
enum ro_tally_by { RO_TALLY_BY_WAVE, RO_TALLY_BY_SITE };
struct ro_host_tally {
	int wave;   /* RO_TALLY_BY_WAVE, else -1 */
	char *site; /* RO_TALLY_BY_SITE, else NULL */
	int64_t n[RO_HOST_NSTATES];
	int64_t total;
};
int ro_store_tally(struct ro_store *st, const char *campaign, enum ro_tally_by by,
    struct ro_host_tally **out, size_t *n);
void ro_host_tally_free(struct ro_host_tally *v, size_t n);

/* ---------------------------------------------------------------------- */
/* Step runs: intent before action, outcome after (invariant 2)            */

/*
 * ro_store_intent_begin records that the store's actor is about to run step
 * step_idx (named step_name) on host, and returns its id and attempt number
 * (1 + earlier attempts of that step on that host). It commits before it
 * returns, so the intent is durable (synchronous=FULL) when the caller acts;
 * it is therefore refused with RO_ESTATE inside ro_store_begin (but joins
 * a group commit, see ro_store_begin_group). Also
 * RO_ESTATE when the campaign or the host's wave is not running, or when an
 * earlier attempt of the step has no outcome (a resume closes it as
 * interrupted first); RO_ENOENT for an unknown host.
 */
int ro_store_intent_begin(struct ro_store *st, const char *campaign, const char *host,
    int step_idx, const char *step_name, int64_t *intent_id, int *attempt,
    char **cause);

/*
 * ro_store_outcome_record records how intent_id ended. exit_code may be
 * RO_STORE_NO_EXIT_CODE; detail is free text (may be NULL, never a secret).
 * Outside a transaction it commits before it returns. RO_ENOENT for an
 * unknown intent, RO_EEXIST if it already has an outcome.
 */
int ro_store_outcome_record(struct ro_store *st, int64_t intent_id,
    enum ro_step_status status, int exit_code, const char *detail, char **cause);

struct ro_intent_info {
	int64_t id;
	char *host, *step_name, *actor;
	int step_idx, attempt;
	int64_t started_at;
};
/* Intents of a campaign without an outcome, oldest first: what a resume must
 * resolve by each step's check. */
int ro_store_open_intents(struct ro_store *st, const char *campaign,
    struct ro_intent_info **out, size_t *n);
void ro_intent_list_free(struct ro_intent_info *v, size_t n);

/*
 * The failed hosts of a campaign, each with its latest outcome that was
 * neither ok nor skipped (has_outcome 0 when the host failed before any
 * step ran, e.g. unreachable or a refused host key), in wave, host order.
 */
struct ro_failure_info {
	char *host, *site, *step_name, *detail; /* step_name/detail may be NULL */
	char *reason;                           /* why the host failed, or NULL */
	int wave, attempt, has_outcome, exit_code;
	enum ro_step_status status;
	int64_t finished_at;
	int64_t failed_at;                      /* when the host failed, or RO_STORE_NO_TIME */
	char *site_name;                        /* the site's name, or NULL (never run) */
};
int ro_store_failures(struct ro_store *st, const char *campaign, struct ro_failure_info **out,
    size_t *n);
void ro_failure_list_free(struct ro_failure_info *v, size_t n);

/* ---------------------------------------------------------------------- */
/* A host's record, for resuming                                           */

/*
 * ro_store_reboot_mark records the boot time a reboot step (intent_id) read
 * before it sent the restart; it commits (or joins the caller's
 * transaction) before it returns, so the restart is sent only once the mark
 * is durable. A resume compares it with the boot time it reads then.
 */
int ro_store_reboot_mark(struct ro_store *st, int64_t intent_id, const char *boot_before,
    char **cause);

/* One step run of a host: its intent, its outcome (has_outcome 0: none yet)
 * and, for a reboot step, the boot time marked before the restart (NULL). */
struct ro_step_record {
	int64_t intent;
	int step_idx, attempt, has_outcome, exit_code;
	enum ro_step_status status;
	char *step_name, *detail, *boot_before;
	uint32_t secret_version; /* password step: the vault version it named, 0: none */
};

/*
 * ro_store_secret_mark records the vault version (sequence number) of
 * credential that a password step's intent (intent_id) is about to apply:
 * never a value. Joins the caller's transaction, as the reboot mark does.
 */
int ro_store_secret_mark(struct ro_store *st, int64_t intent_id, const char *credential,
    uint32_t version, char **cause);
/* Every step run of host in campaign, oldest first (free with
 * ro_step_record_list_free). */
int ro_store_host_history(struct ro_store *st, const char *campaign, const char *host,
    struct ro_step_record **out, size_t *n);
void ro_step_record_list_free(struct ro_step_record *v, size_t n);

/* ---------------------------------------------------------------------- */
/* Journal verification                                                    */

struct ro_journal_check {
	int64_t records;    /* records examined */
	int64_t broken_seq; /* first record that does not verify, 0 if none */
	char head[65];      /* hash of the last record ("" when empty) */
	int64_t head_seq;   /* its seq (0 when empty) */
	int64_t head_at;    /* its time, Unix seconds */
	int64_t head_found; /* seq of the exported head given, 0 if not found */
	int keyed;          /* 1: MACs were checked under the journal key */
	int64_t macs_unchecked; /* records with a MAC that could not be checked:
	                         * no key (ro_store_open_audit of a copy) */
	int64_t unkeyed_through; /* records up to this seq predate the key */
};

/*
 * ro_store_journal_verify recomputes the hash chain from the first record.
 * Returns 0 when every record verifies; RO_EINVAL with res->broken_seq and
 * *cause set when one does not (altered, reordered or missing records).
 * Removing records from the end cannot be seen from inside the database:
 * compare res->head with a copy kept elsewhere (docs/STORE.md).
 */
int ro_store_journal_verify(struct ro_store *st, struct ro_journal_check *res,
    char **cause);

/* ---------------------------------------------------------------------- */
/* Engines, invocations, holds (docs/EXECUTION.md, "One engine per campaign") */

/* ro_store_campaign_set_state with the reason it halted or failed (NULL
 * clears it); journaled with the state change. */
int ro_store_campaign_set_state_reason(struct ro_store *st, const char *id,
    enum ro_campaign_state to, const char *reason, char **cause);

/*
 * The engine that runs a campaign holds its lease: one row per campaign,
 * naming the process (pid on host), when it started and its last heartbeat,
 * all in real Unix seconds (never the warped clock: another process judges
 * them). stop is what `rollout stop` asked: 0 nothing, 1 stop starting
 * hosts, 2 cancel the hosts under way too.
 */
struct ro_lease_info {
	int64_t pid;
	char *host;
	int64_t started_at, heartbeat_at;
	int stop;
	char *stop_by; /* who asked to stop, or NULL */
};
void ro_lease_info_clear(struct ro_lease_info *l);

/* The campaign's lease; RO_ENOENT when no engine holds one. */
int ro_store_lease_get(struct ro_store *st, const char *campaign, struct ro_lease_info *out,
    char **cause);
/*
 * ro_store_lease_take records that pid on host runs campaign from now on.
 * With prev NULL there must be no lease; otherwise the lease must still be
 * prev's (same pid, host and start) and is taken over: journaled with the
 * holder it replaces. RO_EEXIST when another engine got there first.
 */
int ro_store_lease_take(struct ro_store *st, const char *campaign, int64_t pid,
    const char *host, int64_t now, const struct ro_lease_info *prev, char **cause);
/* ro_store_lease_beat updates the holder's heartbeat and returns the stop
 * asked of it; RO_ENOENT when the lease is no longer this holder's. */
int ro_store_lease_beat(struct ro_store *st, const char *campaign, int64_t pid,
    const char *host, int64_t started_at, int64_t now, int *stop);
/* ro_store_lease_release ends the holder's lease (journaled with the state
 * it leaves the campaign in); a no-op when it is no longer its. */
int ro_store_lease_release(struct ro_store *st, const char *campaign, int64_t pid,
    const char *host, int64_t started_at, char **cause);
/* ro_store_lease_stop asks the campaign's engine to stop (hard: cancel the
 * hosts under way); journaled. RO_ENOENT when no engine holds the lease;
 * *holder (may be NULL) says which one was asked. */
int ro_store_lease_stop(struct ro_store *st, const char *campaign, int hard,
    struct ro_lease_info *holder, char **cause);

/* The invocation of the last `rollout run` of a campaign: its working
 * directory and its arguments after "rollout" (argv[0] is "run"). Never
 * holds a secret: run takes none on its command line. */
int ro_store_invocation_set(struct ro_store *st, const char *campaign, const char *cwd,
    int argc, char *const *argv, char **cause);
/* *argv is a NULL-terminated malloc'd vector (free with ro_argv_free);
 * RO_ENOENT when the campaign was never run. */
int ro_store_invocation_get(struct ro_store *st, const char *campaign, char **cwd,
    int *argc, char ***argv, char **cause);
void ro_argv_free(char **argv);

/* The names of the campaign's sites as people know them (from the
 * inventory), for `status`; recorded by `rollout run`, journaled when new. */
int ro_store_site_names_set(struct ro_store *st, const char *campaign, size_t n,
    const char *const *ids, const char *const *names, char **cause);

/* Hosts set aside by `rollout hosts hold`: the executor starts none of them
 * and the campaign cannot end done while one is held. */
struct ro_hold_info {
	char *host, *site, *reason, *held_by;
	char *site_name; /* or NULL */
	int wave;
	int64_t held_at;
	enum ro_host_state state;
};
/* Refused (RO_ESTATE) for a host that is done or up to date; RO_EEXIST when
 * it is held already; RO_ENOENT when it is not in the campaign. */
int ro_store_hold(struct ro_store *st, const char *campaign, const char *host,
    const char *reason, char **cause);
/* RO_ENOENT when the host is not held. */
int ro_store_hold_release(struct ro_store *st, const char *campaign, const char *host,
    char **cause);
int ro_store_hold_list(struct ro_store *st, const char *campaign, struct ro_hold_info **out,
    size_t *n);
void ro_hold_list_free(struct ro_hold_info *v, size_t n);
/*
 * ro_store_journal_verify_head does the same and also checks an exported
 * head ("HASH" or "SEQ:HASH", as `rollout audit head` prints it): the
 * record with that hash must be in the verified chain (at SEQ, if given).
 * RO_EINVAL for a broken chain or a malformed head, RO_ESTATE when the
 * chain verifies but does not contain the head (records up to it were
 * changed and re-chained, or removed). head may be NULL.
 */
int ro_store_journal_verify_head(struct ro_store *st, const char *head,
    struct ro_journal_check *res, char **cause);

/*
 * ro_store_audit_rows checks the rows of campaigns, waves, campaign_hosts,
 * approvals, step_intents, step_outcomes and vault_counters against the
 * journal: each row must have the journal record that wrote it, with the
 * same content, and each state column the value its latest record set. A
 * row written or changed by anything but the store's API (which journals
 * every change) is a problem. Returns 0 and the list (empty when all agree;
 * free with ro_audit_problems_free), or an error.
 */
struct ro_audit_problem {
	char *table; /* "approvals" */
	char *row;   /* "approval 3 (campaign c wave 1)" */
	char *what;  /* "has no journal record with the same content" */
};
int ro_store_audit_rows(struct ro_store *st, struct ro_audit_problem **out, size_t *n,
    char **cause);
void ro_audit_problems_free(struct ro_audit_problem *v, size_t n);

/* ---------------------------------------------------------------------- */
/* Incidents on the service-level clock (docs/INCIDENTS.md)                */

/* What `rollout incident open` records. Times are Unix seconds; the caller
 * computes deadline and rule with ro_incident_deadline (incident.h). */
struct ro_incident_new {
	const char *host;
	const char *kind;      /* "cs", "terminal" or "touch-panel" */
	int64_t instructed_at; /* the city's instruction */
	int64_t deadline;      /* on site by this instant */
	const char *rule;      /* the sentence naming the rule that applied */
	const char *note;      /* may be NULL; never a secret */
};

/*
 * ro_store_incident_open records a new incident (state "open") and its
 * "open" event, journaled as incident.open; *id is its number. RO_EINVAL
 * for an empty host, an unknown kind or a deadline before the instruction.
 */
int ro_store_incident_open(struct ro_store *st, const struct ro_incident_new *in,
    int64_t *id, char **cause);

/*
 * ro_store_incident_event moves incident id on: event "arrive" (open ->
 * arrived: on site, which stops the clock), "recover" (arrived ->
 * recovered) or "close" (arrived or recovered -> closed). at is when it
 * happened (Unix seconds; RO_STORE_NO_TIME: now); it may not be before the
 * instruction or the previous event, nor in the future. Closing an incident
 * whose arrival missed the deadline needs explanation (the reason the city's
 * response report must give); without one it is refused with RO_EINVAL and
 * nothing changes. Journaled as incident.<event>. RO_ENOENT for no such
 * incident, RO_ESTATE for an event out of order.
 */
int ro_store_incident_event(struct ro_store *st, int64_t id, const char *event, int64_t at,
    const char *note, const char *explanation, char **cause);

struct ro_incident_info {
	int64_t id;
	char *host;
	char *kind;          /* "cs", "terminal", "touch-panel" */
	char *state;         /* "open", "arrived", "recovered", "closed" */
	char *rule;
	char *note;          /* the note given at open, or NULL */
	char *explanation;   /* why the target was missed, or NULL */
	char *opened_by;
	char *campaigns;     /* linked campaign ids, comma-separated, or NULL */
	int64_t instructed_at, deadline, opened_at;
	int64_t arrived_at, recovered_at, closed_at; /* or RO_STORE_NO_TIME */
	int met;             /* 1 arrived by the deadline, 0 after it, -1 not yet arrived */
};

/* ro_store_incident_get reads incident id. RO_ENOENT if there is none. */
int ro_store_incident_get(struct ro_store *st, int64_t id, struct ro_incident_info *out,
    char **cause);
void ro_incident_info_clear(struct ro_incident_info *inc);

/*
 * ro_store_incident_list lists incidents in order of instruction: all, or
 * only those not closed (open_only), or only those instructed in month
 * ("2026-10", a JST calendar month; NULL for any). RO_EINVAL for a
 * malformed month.
 */
int ro_store_incident_list(struct ro_store *st, int open_only, const char *month,
    struct ro_incident_info **out, size_t *n, char **cause);
void ro_incident_list_free(struct ro_incident_info *v, size_t n);

/*
 * ro_store_incidents_month calls cb once per incident instructed in month
 * ("2026-10", JST), in order of instruction, for the monthly report: kind,
 * host, instructed_at, deadline, arrived_at, met and explanation are in
 * *inc (valid during the call only). A non-zero return from cb stops the
 * walk and is returned. Returns 0, RO_EINVAL for a malformed month, or a
 * store error.
 */
typedef int (*ro_incident_cb)(void *arg, const struct ro_incident_info *inc);
int ro_store_incidents_month(struct ro_store *st, const char *month, ro_incident_cb cb,
    void *arg);

/* ro_store_incident_link records that campaign was started for incident
 * id (journaled as incident.link). RO_ENOENT if either does not exist. */
int ro_store_incident_link(struct ro_store *st, int64_t id, const char *campaign,
    char **cause);

/* A file fetched back from a host for an incident (the chain of custody). */
struct ro_incident_file {
	int64_t incident;
	const char *host;
	const char *remote_path;
	const char *local_path; /* under STATE_DIR/incidents/ID/ */
	const char *sha256;     /* 64 lowercase hex digits, hashed while received */
	int64_t size;
};

/* ro_store_incident_file_add records a fetched file, journaled as
 * incident.file with its hash. RO_ENOENT for no such incident. */
int ro_store_incident_file_add(struct ro_store *st, const struct ro_incident_file *f,
    char **cause);

/* ro_store_incident_files calls cb for each file fetched for incident id,
 * in the order fetched (fetched_at is passed as the file's time). */
typedef int (*ro_incident_file_cb)(void *arg, const struct ro_incident_file *f,
    int64_t fetched_at);
int ro_store_incident_files(struct ro_store *st, int64_t id, ro_incident_file_cb cb,
    void *arg);

/* ---------------------------------------------------------------------- */
/* Records: findings and on-site results (docs/INSPECTION.md)              */

/* A finding keeps at most this much of its step's output (64 KiB). */
#define RO_FINDING_OUTPUT_MAX (64 * 1024)
/* The outcome detail of a manual step the engine reached: the marker of
 * what is still to be done and recorded on site. */
#define RO_MANUAL_DETAIL "manual step: to be done and recorded on site"

struct ro_finding_new {
	int64_t intent;
	const char *campaign, *host, *step_name;
	int step_idx;
	const char *item;        /* inspection item (t01..c13) or NULL */
	int exit_code;           /* or RO_STORE_NO_EXIT_CODE */
	const char *detail;      /* the one-line reason */
	const char *output;      /* stdout then stderr; never a secret */
	size_t output_len;       /* cut to RO_FINDING_OUTPUT_MAX */
};
/* ro_store_finding_add records a finding and journals it (kind "finding"). */
int ro_store_finding_add(struct ro_store *st, const struct ro_finding_new *f, char **cause);

struct ro_finding {
	int64_t id;
	char *host, *site, *step_name, *item, *detail, *output;
	int step_idx, exit_code, truncated;
	int64_t at;
	int manual;              /* 1: recorded on site (person, person_ja set) */
	char *person, *person_ja;
};
/* ro_store_findings_list lists a campaign's standing findings by site, host
 * and step: each step's latest automated finding unless a later attempt of
 * that step passed, and the manual steps recorded on site as a finding. */
int ro_store_findings_list(struct ro_store *st, const char *campaign, struct ro_finding **out,
    size_t *n);
void ro_finding_list_free(struct ro_finding *v, size_t n);
/* The inspection item (t01..c13) a step name starts with, allocated, or NULL. */
char *ro_finding_item(const char *step_name);

struct ro_manual_item {
	char *host, *site, *step_name;
	int step_idx;
	char *result;            /* NULL: not recorded yet (still to do on site) */
	char *note, *person, *person_ja, *login;
	int64_t at;
};
/* Every manual step the engine reached on a host, with its latest record. */
int ro_store_manual_list(struct ro_store *st, const char *campaign,
    struct ro_manual_item **out, size_t *n);
void ro_manual_list_free(struct ro_manual_item *v, size_t n);

struct ro_manual_rec {
	const char *campaign, *host, *step_name;
	const char *result;      /* done, ok or finding */
	const char *note;        /* may be NULL; a person's text, never a secret */
	const char *person, *person_ja; /* from the campaign's roster */
	const char *signer_key, *signature; /* hex */
	int64_t at;              /* the signed time */
};
/* ro_store_manual_record records (and journals, kind "manual.record") an
 * on-site result; RO_ENOENT when the host has no such manual step waiting. */
int ro_store_manual_record(struct ro_store *st, const struct ro_manual_rec *r, char **cause);

#endif
