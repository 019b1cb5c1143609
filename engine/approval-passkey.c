/*
 * approval-passkey.c - approvals signed in the browser with a passkey
 * (approval.h, docs/APPROVALS.md "Passkeys").
 *
 * The row's signer_key is "webauthn:" and the passkey's fingerprint; its
 * signature column holds, as one JSON object, everything an offline check
 * needs: the rp id, the credential id and public key, the lead's key and
 * confirmation signature, and the assertion (authenticatorData,
 * clientDataJSON, signature). The assertion's challenge is SHA-256 of the
 * very record a CLI approval signs.
 */
#include "approval.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "approvers-passkey.h"
#include "error.h"
#include "vault.h"
#include "webauthn.h"
#include "ydoc.h"

void
ro_approval_passkey_blob(const struct ro_passkey *p, const char *authdata_b64,
    const char *client_b64, const char *sig_b64, struct ro_buf *b)
{
	ro_buf_adds(b, "{\"format\":\"rollout-webauthn-approval/1\",\"rp_id\":");
	ro_buf_json_str(b, p->rp_id);
	ro_buf_adds(b, ",\"credential_id\":");
	ro_buf_json_str(b, p->credential_id);
	ro_buf_adds(b, ",\"public_key\":");
	ro_buf_json_str(b, p->public_key);
	ro_buf_adds(b, ",\"confirmed_by\":");
	ro_buf_json_str(b, p->confirmed_by);
	ro_buf_adds(b, ",\"confirmation\":");
	ro_buf_json_str(b, p->confirmation);
	ro_buf_adds(b, ",\"authenticator_data\":");
	ro_buf_json_str(b, authdata_b64);
	ro_buf_adds(b, ",\"client_data_json\":");
	ro_buf_json_str(b, client_b64);
	ro_buf_adds(b, ",\"signature\":");
	ro_buf_json_str(b, sig_b64);
	ro_buf_addc(b, '}');
}

static const char *
field(const struct ro_ynode *root, const char *key)
{
	const struct ro_ynode *v = ro_ymap_get(root, key);

	return v && v->kind == RO_YSCALAR ? v->str : NULL;
}

/* A field of the row may be missing: NULL is not hex. */
static int
unhex(const char *s, unsigned char *out, size_t n)
{
	return s != NULL && ro_unhex(s, out, n);
}

int
ro_approval_passkey_binding_ok(const struct ro_roster *r, const char *name, const char *rp_id,
    const char *cred_b64, const char *pk_hex, const char *lead_hex, const char *sig_hex,
    char **why)
{
	unsigned char lead[RO_APPROVER_KEYBYTES], sig[VAULT_SIGNATUREBYTES];
	const struct ro_approver *m;
	struct ro_buf msg;
	int ok;

	if (!unhex(lead_hex, lead, sizeof lead) || !unhex(sig_hex, sig, sizeof sig)) {
		*why = ro_xasprintf("%s's passkey is not confirmed by a lead (`rollout approvers "
		    "confirm`)", name);
		return RO_EPROTO;
	}
	if ((m = ro_roster_find_key(r, lead)) == NULL) {
		*why = ro_xasprintf("%s's passkey was confirmed by a key that is not on the roster "
		    "'%s'", name, r->name);
		return RO_EPROTO;
	}
	if (strcmp(m->role, RO_PASSKEY_CONFIRM_ROLE) != 0) {
		*why = ro_xasprintf("%s's passkey was confirmed by %s, a %s; only a %s confirms "
		    "passkeys", name, m->name, m->role, RO_PASSKEY_CONFIRM_ROLE);
		return RO_EPROTO;
	}
	ro_buf_init(&msg);
	ro_passkey_binding(name, rp_id, cred_b64, pk_hex, &msg);
	ok = vault_message_verify(lead, RO_PASSKEY_CTX, msg.p, msg.len, sig) == VAULT_OK;
	ro_buf_free(&msg);
	if (!ok) {
		*why = ro_xasprintf("%s's confirmation of the passkey does not match it: the passkey "
		    "is not the one %s confirmed for %s", m->name, m->name, name);
		return RO_EPROTO;
	}
	return RO_OK;
}

int
ro_approval_verify_passkey(const struct ro_gates *g, const struct ro_approval_info *a,
    const char *gate, const struct ro_approver **who, char **why)
{
	struct ro_ydoc *doc = NULL;
	struct ro_diags d;
	const struct ro_approver *m = NULL;
	const char *rp, *cred, *pkh, *role;
	unsigned char pk[RO_WEBAUTHN_PUBKEY], challenge[32];
	unsigned char *ad = NULL, *cj = NULL, *sig = NULL;
	size_t adn = 0, cjn = 0, sn = 0, i;
	struct ro_approval_rec rec;
	struct ro_buf msg;
	int rc = RO_EPROTO;

	ro_diags_init(&d);
	ro_buf_init(&msg);
	for (i = 0; a->approver && i < g->roster->n; i++)
		if (strcmp(g->roster->m[i].name, a->approver) == 0)
			m = &g->roster->m[i];
	if (m == NULL) {
		*why = ro_xasprintf("the passkey approval names '%s', who is not on the roster '%s'",
		    a->approver ? a->approver : "", g->roster->name);
		goto out;
	}
	if (ro_ydoc_parse("the approval's passkey signature", a->signature, strlen(a->signature),
	    &doc, &d) != RO_OK || doc->root == NULL || doc->root->kind != RO_YMAP ||
	    (rp = field(doc->root, "rp_id")) == NULL || (cred = field(doc->root, "credential_id")) == NULL ||
	    (pkh = field(doc->root, "public_key")) == NULL || !unhex(pkh, pk, sizeof pk) ||
	    (ad = ro_b64url_dec(field(doc->root, "authenticator_data"), 4096, &adn)) == NULL ||
	    (cj = ro_b64url_dec(field(doc->root, "client_data_json"), 4096, &cjn)) == NULL ||
	    (sig = ro_b64url_dec(field(doc->root, "signature"), 256, &sn)) == NULL) {
		*why = ro_xstrdup("the row's passkey signature cannot be read (it needs rp_id, "
		    "credential_id, public_key, authenticator_data, client_data_json, signature)");
		goto out;
	}
	if (ro_approval_passkey_binding_ok(g->roster, m->name, rp, cred, pkh,
	    field(doc->root, "confirmed_by"), field(doc->root, "confirmation"), why) != RO_OK)
		goto out;
	role = ro_roster_gate_role(g->roster, gate);
	if (role == NULL || strcmp(role, m->role) != 0) {
		*why = ro_xasprintf("%s is a %s; the %s gate of wave %d is approved by a %s",
		    m->name, m->role, *gate ? gate : "(unnamed)", a->wave + 1, role ? role : "(none)");
		goto out;
	}
	if (strcmp(a->decision, "approve") != 0 && strcmp(a->decision, "refuse") != 0) {
		*why = ro_xasprintf("the decision '%s' is neither approve nor refuse", a->decision);
		goto out;
	}
	/* The record comes from the plan, as for a CLI signature; its hash
	 * is the challenge the passkey signed. */
	rec.campaign = g->campaign;
	rec.wave = a->wave;
	rec.gate = gate;
	rec.plan_hash = g->plan_hash;
	rec.decision = a->decision;
	rec.at = a->approved_at;
	rec.comment = a->comment;
	rec.signer = m->name;
	ro_approval_message(&rec, &msg);
	crypto_hash_sha256(challenge, (const unsigned char *)msg.p, msg.len);
	if (ro_webauthn_assert_verify(rp, NULL, challenge, sizeof challenge, pk, ad, adn, cj, cjn,
	    sig, sn, why) != RO_OK) {
		char *inner = *why;
		*why = ro_xasprintf("%s's passkey signature does not match this record: %s", m->name,
		    inner);
		free(inner);
		goto out;
	}
	if (who)
		*who = m;
	rc = RO_OK;
out:
	free(ad);
	free(cj);
	free(sig);
	ro_buf_free(&msg);
	ro_ydoc_free(doc);
	ro_diags_free(&d);
	return rc;
}
