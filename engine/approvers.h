/*
 * approvers.h - the roster of people who may approve a campaign's gates:
 * each with a name, a Japanese name, a section, a role and an Ed25519
 * public key (the signing key of their own key file), and which role
 * approves which kind of gate.
 *
 * The campaign names the roster file (`approvers: FILE`); the planner puts
 * the whole roster into the canonical plan, so the plan hash binds who may
 * approve. The same reader takes the YAML file and the roster as recorded
 * in a plan's JSON (docs/APPROVALS.md).
 */
#ifndef RO_APPROVERS_H
#define RO_APPROVERS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "yread.h"

#define RO_APPROVER_KEYBYTES 32

struct ro_approver {
	char *name;      /* the member name of their key file */
	char *name_ja;   /* as it is printed on the plan (may be NULL) */
	char *section;   /* e.g. 戸籍住民課 (may be NULL) */
	char *role;      /* e.g. city-approver, contractor-lead */
	unsigned char key[RO_APPROVER_KEYBYTES];
};

/* The gate kinds, in the order of enum ro_gate's bits. */
#define RO_GATE_KINDS 4

struct ro_roster {
	char *name;                       /* the roster's own name */
	struct ro_approver *m;
	size_t n;
	char *gate_role[RO_GATE_KINDS];   /* which role approves each gate kind */
};

/* ro_roster_load reads a roster file (diagnostics at file:line:col). */
int ro_roster_load(const char *path, struct ro_roster **out, struct ro_diags *d);
/* ro_roster_read reads a roster from a node (a file's root, or a plan's
 * "approvers" member). */
int ro_roster_read(const struct ro_yctx *c, const struct ro_ynode *root, struct ro_roster **out);
void ro_roster_free(struct ro_roster *r); /* accepts NULL */

/* ro_roster_json appends the roster as canonical JSON (the shape the file
 * has, fixed key order, no whitespace). */
void ro_roster_json(const struct ro_roster *r, struct ro_buf *b);

/* ro_gate_name names one enum ro_gate bit ("after-canary"), "" for none. */
const char *ro_gate_name(unsigned bit);

/* The member whose key is key, or NULL. */
const struct ro_approver *ro_roster_find_key(const struct ro_roster *r,
    const unsigned char key[RO_APPROVER_KEYBYTES]);
/* The role that approves gate (a gate kind name such as "after-canary"), or NULL. */
const char *ro_roster_gate_role(const struct ro_roster *r, const char *gate);

#endif
