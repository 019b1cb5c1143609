/*
 * playbook.h - a declarative playbook: parameters, targets, phases, wave
 * policy and steps. Loaded and checked on its own (no inventory needed);
 * names that refer to an inventory are resolved when a campaign binds them.
 */
#ifndef RO_PLAYBOOK_H
#define RO_PLAYBOOK_H

#include "model.h"
#include "ydoc.h"

enum ro_param_type { RO_PT_STRING, RO_PT_INT, RO_PT_BOOL, RO_PT_PATH, RO_PT_SHA256,
	RO_PT_KB, RO_PT_VERSION, RO_PT_IPV4, RO_PT_DURATION, RO_PT_ID, RO_PT_IPV4_LIST, RO_PT_N };
extern const char *const ro_param_type_names[];

struct ro_param {
	const char *name;
	enum ro_param_type type;
	int required;
	const char *def;          /* default value text, or NULL */
	const char *description;
	int line, col;
};

enum ro_step_kind { RO_STEP_EXEC, RO_STEP_UPLOAD, RO_STEP_REBOOT, RO_STEP_CHECK,
	RO_STEP_VERIFY, RO_STEP_MANUAL, RO_STEP_PASSWORD, RO_STEP_FETCH, RO_STEP_N };
extern const char *const ro_step_kind_names[];

struct ro_step {
	const char *name;
	enum ro_step_kind kind;
	const char *command;      /* exec, check, verify; password: the apply command */
	int *expect;              /* accepted exit codes (default {0}) */
	size_t nexpect;
	int *reboot_required;     /* exec exit codes that ask for a reboot */
	size_t nreboot_required;
	long timeout;             /* seconds */
	long retries;
	long retry_delay;         /* seconds */
	long estimate;            /* seconds, for planning */
	unsigned roles;           /* RO_ROLE_BIT mask; 0 = every role */
	const char *skip_if;      /* command: exit 0 = already done */
	int continue_on_failure;  /* verify/manual: a failure is a finding, the host goes on */
	int read_only;            /* check, verify, or exec with read_only: true: never a side effect */
	const char *src, *dest, *sha256;    /* upload */
	int if_required;          /* reboot: only when an earlier exec asked */
	const char *instruction, *instruction_ja; /* manual */
	const char *credential, *account, *verify; /* password; verify NULL = login */
	/* Where the templated texts were written, for file:line:col of a reference. */
	const struct ro_ynode *command_node, *skip_if_node, *src_node, *dest_node, *sha256_node,
	    *account_node, *verify_node;
	const char *src_file;     /* upload: src resolved under the playbook's directory
	                           * (a literal src; NULL when src is a {{path}} reference) */
	const char *fetch_src;    /* fetch: the file on the host to bring back (templated) */
	const struct ro_ynode *fetch_node;
	int line, col;
	/* What the work procedure (作業手順書, procedure.h) says of the step: a
	 * short Japanese title and an optional longer description; NULL when
	 * not given (the procedure then shows the step's name). */
	const char *title_ja;
	const char *description;
};

/* One templated text of a step and the YAML node it was written in. */
struct ro_step_text {
	const char *what;         /* "exec", "skip_if", "upload dest", ... */
	const char *text;
	const struct ro_ynode *node;
};
#define RO_STEP_TEXTS_MAX 6
/* ro_step_texts lists a step's texts whose {{references}} reach the host
 * (not upload src, which names a file on the engine machine). */
size_t ro_step_texts(const struct ro_step *s, struct ro_step_text out[RO_STEP_TEXTS_MAX]);

enum ro_window_kind { RO_WINDOW_BUSINESS, RO_WINDOW_CLOSED_OFFICE, RO_WINDOW_ANY };
extern const char *const ro_window_names[];
enum ro_skew { RO_SKEW_ANY, RO_SKEW_CS_AHEAD, RO_SKEW_NONE };
extern const char *const ro_skew_names[];
enum ro_gate { RO_GATE_BEFORE_FIRST = 1, RO_GATE_AFTER_CANARY = 2, RO_GATE_AFTER_CS = 4,
	RO_GATE_EVERY_WAVE = 8 };
extern const char *const ro_gate_names[];

enum ro_wave_size_kind { RO_WAVE_COUNT, RO_WAVE_PERCENT, RO_WAVE_PER_SITE };

struct ro_policy {
	long canary;
	enum ro_wave_size_kind wave_kind;
	long wave_value;
	long concurrency;
	struct ro_countpct max_unavailable;
	struct ro_countpct failure_budget;
	enum ro_window_kind window;
	enum ro_skew skew;
	long skew_within_days;
	unsigned gates;           /* enum ro_gate bits */
	long deadline_days;
	int early_start;          /* 1: work may start before its planned day */
};

struct ro_phase {
	const char *name;
	unsigned roles;
	uint32_t *after;          /* indexes of phases this one follows */
	size_t nafter;
	int line, col;
};

struct ro_playbook {
	const char *path;
	const char *name;
	const char *title;
	const char *title_ja;
	const char *work;
	const char *description;
	struct ro_param *params;
	size_t nparams;
	struct ro_selector_src targets;
	long max_hosts;           /* a campaign may select at most this many (0 = any) */
	const struct ro_ynode *max_hosts_node;
	struct ro_phase *phases;  /* topologically sorted */
	size_t nphases;
	struct ro_policy policy;
	struct ro_step *steps;
	size_t nsteps;
	uint8_t sha256[32];
	/* `rollback:`: what to do if the work must be undone, one text per step
	 * in order (none when not given); shown in the work procedure. */
	const char **rollback;
	size_t nrollback;
	int rollback_line;
	struct ro_ydoc *doc;      /* kept: targets refer into it */
	struct ro_arena arena;
};

extern const char *const ro_work_names[];

int ro_playbook_load(const char *path, struct ro_playbook **out, struct ro_diags *d);
void ro_playbook_free(struct ro_playbook *pb);

/* ro_policy_default fills the defaults documented in docs/PLAYBOOKS.md. */
void ro_policy_default(struct ro_policy *p);
/* ro_policy_read overlays the keys present in a policy mapping onto *p. */
int ro_policy_read(const struct ro_yctx *c, const struct ro_ynode *n, struct ro_policy *p);
/*
 * ro_playbook_tpos finds the line:col, in file, of the k-th "{{" of the
 * scalar that starts at node n (a reference inside a command), so that an
 * error can point at the reference itself. Falls back to the node's own
 * position when the file cannot be read again.
 */
void ro_playbook_tpos(const char *file, const struct ro_ynode *n, size_t k, int *line, int *col);

/*
 * ro_upload_resolve resolves rel (a relative file name) against base_dir and
 * checks that it stays inside root_dir's tree after symbolic links, and not
 * in a rollout state directory (one holding the store or the engine key).
 * On success *out is the malloc'd real path (the file itself need not exist
 * yet); otherwise RO_EINVAL with *why set (a malloc'd sentence).
 */
int ro_upload_resolve(const char *root_dir, const char *base_dir, const char *rel, char **out,
    char **why);

/* ro_param_check reports whether value is valid for type; on error sets a hint. */
int ro_param_check(enum ro_param_type type, const char *value, const char **hint);

#endif
