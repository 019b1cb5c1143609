/*
 * approval.h - signed approvals and refusals of a campaign's gates.
 *
 * An approval (or a refusal) is an Ed25519 signature, by a member of the
 * campaign's approvers roster (approvers.h), over the record
 *   {"format":"rollout-approval/1","campaign":ID,"wave":N,"gate":KIND,
 *    "plan_hash":HASH,"decision":"approve"|"refuse","at":UNIX,
 *    "comment":TEXT|null,"signer":NAME}
 * (canonical JSON, that key order, no whitespace; wave counts from 1),
 * made with the signing key of the member's vault key file under the
 * context RO_APPROVAL_CTX (vault_key_sign_message).
 *
 * Whoever verifies takes the campaign, the gate kind, the plan hash and
 * the roster from the plan itself, never from the approval's row, so a
 * signature copied to another wave, plan or campaign does not verify. The
 * engine, `rollout approve` and `rollout approvals verify` all verify with
 * ro_approval_verify. docs/APPROVALS.md has the threat model.
 */
#ifndef RO_APPROVAL_H
#define RO_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "approvers.h"
#include "store.h"
#include "util.h"

#define RO_APPROVAL_CTX "rollout-approval-v1"
#define RO_APPROVAL_FORMAT "rollout-approval/1"

/* What a plan says about its gates, read from the plan's canonical bytes. */
struct ro_gates {
	char *campaign;
	char plan_hash[65];
	struct ro_roster *roster; /* NULL: the campaign names no roster */
	size_t nwaves;
	char **gate;              /* per wave (0-based): its gate kind, NULL if not gated */
};

/*
 * ro_gates_from_canonical reads the gates of a plan's canonical body (the
 * bytes the plan hash covers) after checking that their SHA-256 is
 * expect_hash; ro_gates_from_plan_json does the same for the JSON a
 * campaign records in the store ({"plan_hash":...,<body>}), so an offline
 * check needs nothing but the store. RO_EINVAL with *cause when the bytes
 * are not the plan the hash names.
 */
int ro_gates_from_canonical(const char *body, size_t len, const char *expect_hash,
    struct ro_gates **out, char **cause);
int ro_gates_from_plan_json(const char *plan_json, const char *plan_hash,
    struct ro_gates **out, char **cause);
void ro_gates_free(struct ro_gates *g); /* accepts NULL */

/* The record a signature covers. wave is 0-based here (the record says N+1). */
struct ro_approval_rec {
	const char *campaign;
	int wave;
	const char *gate, *plan_hash, *decision;
	int64_t at;
	const char *comment; /* may be NULL */
	const char *signer;
};
void ro_approval_message(const struct ro_approval_rec *a, struct ro_buf *b);

/*
 * ro_approval_verify checks one stored row against the plan's gates: the
 * row must carry a signature, be for a gated wave of this plan, by a key on
 * the roster whose member has the gate's role, and the signature must
 * verify over the record rebuilt from the plan. RO_OK, or RO_EPROTO with
 * *why (malloc'd) saying what is wrong; *who (may be NULL) gets the member.
 */
int ro_approval_verify(const struct ro_gates *g, const struct ro_approval_info *a,
    const struct ro_approver **who, char **why);

/*
 * Passkey approvals (approval-passkey.c): a row whose signer_key starts with
 * RO_APPROVAL_WEBAUTHN carries a WebAuthn assertion over SHA-256 of the
 * record above, by a passkey a contractor-lead of the roster confirmed.
 * ro_approval_verify checks those too; these are its parts.
 */
#define RO_APPROVAL_WEBAUTHN "webauthn:"
struct ro_passkey;
int ro_approval_verify_passkey(const struct ro_gates *g, const struct ro_approval_info *a,
    const char *gate, const struct ro_approver **who, char **why);
/* Checks a lead's confirmation of name's passkey against roster r. */
int ro_approval_passkey_binding_ok(const struct ro_roster *r, const char *name, const char *rp_id,
    const char *cred_b64, const char *pk_hex, const char *lead_hex, const char *sig_hex,
    char **why);
/* The signature column of a passkey approval (JSON). */
void ro_approval_passkey_blob(const struct ro_passkey *p, const char *authdata_b64,
    const char *client_b64, const char *sig_b64, struct ro_buf *b);

/* The gate's state as the verified approvals of its wave say. */
enum ro_gate_verdict { RO_GATE_WAIT, RO_GATE_OPEN, RO_GATE_REFUSED };

/*
 * ro_approval_gate verifies every approval of wave idx: the latest valid
 * decision wins (approve opens, refuse halts); a row that does not verify
 * counts for nothing and, the first time it is seen (id > *seen), is
 * journaled as a security event ("security.approval-refused"). *refusal
 * (malloc'd) says who refused and their comment.
 */
int ro_approval_gate(struct ro_store *st, const struct ro_gates *g, int idx, int64_t *seen,
    enum ro_gate_verdict *verdict, char **refusal, char **cause);

/* The result of checking one stored approval offline. */
struct ro_approval_check {
	int64_t id;
	int wave;            /* 0-based */
	char *approver;      /* as the row names it */
	char *decision;      /* or NULL (no signature) */
	int64_t at;
	int valid;
	char *why;           /* when not valid */
};
/*
 * ro_approval_verify_all checks every approval of campaign against the
 * roster and plan recorded with it (the plan's bytes checked against its
 * hash first). RO_OK when all verify; RO_EPROTO when one does not (*nbad
 * counts them); other codes when the store or plan cannot be read.
 */
int ro_approval_verify_all(struct ro_store *st, const char *campaign,
    struct ro_approval_check **out, size_t *n, size_t *nbad, char **cause);
void ro_approval_check_free(struct ro_approval_check *v, size_t n);

/* ro_approval_security_event journals a refused approval attempt. */
void ro_approval_security_event(struct ro_store *st, const char *campaign, int wave,
    int64_t approval_id, const char *claimed, const char *why);

#endif
