/*
 * approvers-passkey.h - approvers' passkeys: one-time invitations, the
 * passkeys enrolled from them, and the lead's confirmation that binds a
 * passkey to a roster member (docs/APPROVALS.md, "Passkeys").
 *
 * The tables live in the state store (schema 9) and are reached through a
 * connection of their own, so that `rollout serve` (WAL reader of
 * everything else) writes only these rows and the approvals.
 *
 * A passkey approves only once confirmed: a member of the plan's roster
 * with the role RO_PASSKEY_CONFIRM_ROLE has signed, with their key file,
 * the binding record (ro_passkey_binding) of (member name, rp id,
 * credential id, public key). The server cannot make that signature, so it
 * cannot slip its own passkey in for an approver.
 */
#ifndef RO_APPROVERS_PASSKEY_H
#define RO_APPROVERS_PASSKEY_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "webauthn.h"

#define RO_PASSKEY_CTX "rollout-passkey-v1"
#define RO_PASSKEY_FORMAT "rollout-passkey/1"
#define RO_PASSKEY_CONFIRM_ROLE "contractor-lead"
#define RO_INVITE_TOKEN_LEN 43 /* base64url of 32 random bytes */

struct sqlite3;
struct ro_pkdb;

struct ro_passkey {
	char *credential_id;  /* base64url */
	char *name, *campaign, *rp_id;
	char *public_key;     /* hex of x || y */
	char *fingerprint;
	char *confirmed_by;   /* hex Ed25519 key of the lead who confirmed, or NULL */
	char *confirmation;   /* hex signature over the binding, or NULL */
};
void ro_passkey_clear(struct ro_passkey *p);

/* ro_passkey_binding appends the record a lead signs to confirm a passkey:
 * {"format":"rollout-passkey/1","name":N,"rp_id":R,"credential_id":B64U,
 *  "public_key":HEX} (canonical JSON, that order). */
void ro_passkey_binding(const char *name, const char *rp_id, const char *cred_b64,
    const char *pk_hex, struct ro_buf *b);

/* ro_pkdb_open opens the passkey tables of state_dir's store (migrating it
 * first). RO_OK or an error with *cause. */
int ro_pkdb_open(const char *state_dir, struct ro_pkdb **out, char **cause);
void ro_pkdb_close(struct ro_pkdb *db);

/* ro_pkdb_invite makes a one-time invitation for name (to campaign's
 * roster) valid for seconds; token gets its secret (only its hash is kept). */
int ro_pkdb_invite(struct ro_pkdb *db, const char *name, const char *campaign, int64_t now,
    int64_t seconds, char token[RO_INVITE_TOKEN_LEN + 1], char **cause);

/* ro_pkdb_invitation finds an unused, unexpired invitation by its token:
 * RO_OK with *name and *campaign (malloc'd), RO_ENOENT otherwise. */
int ro_pkdb_invitation(struct ro_pkdb *db, const char *token, int64_t now, char **name,
    char **campaign);

/* ro_pkdb_enrol consumes the invitation and records the passkey
 * (unconfirmed) in one transaction; RO_ENOENT when the invitation is gone
 * (used, expired, never made), RO_EEXIST when the credential is known. */
int ro_pkdb_enrol(struct ro_pkdb *db, const char *token, int64_t now,
    const struct ro_passkey *p, char **cause);

/* The passkey with this credential id; RO_ENOENT when none. */
int ro_pkdb_get(struct ro_pkdb *db, const char *cred_b64, struct ro_passkey *out);
/* The unconfirmed passkey of name with this fingerprint; RO_ENOENT when none. */
int ro_pkdb_pending(struct ro_pkdb *db, const char *name, const char *fingerprint,
    struct ro_passkey *out);
/* Records a lead's confirmation of a passkey. */
int ro_pkdb_confirm(struct ro_pkdb *db, const char *cred_b64, const char *lead_key_hex,
    const char *sig_hex, int64_t now, char **cause);

#endif
