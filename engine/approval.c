/* approval.c - building, checking and judging signed approvals (approval.h). */
#include "approval.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "vault.h"
#include "ydoc.h"

void
ro_gates_free(struct ro_gates *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nwaves; i++)
		free(g->gate[i]);
	free(g->gate);
	free(g->campaign);
	ro_roster_free(g->roster);
	free(g);
}

/* read_gates takes what verification needs out of a parsed plan body. */
static int
read_gates(const struct ro_ynode *root, struct ro_gates *g, struct ro_diags *d)
{
	const struct ro_ynode *v, *waves;
	struct ro_yctx c = { "the recorded plan", d };
	size_t i;

	if (root == NULL || root->kind != RO_YMAP ||
	    (v = ro_ymap_get(root, "campaign")) == NULL || v->kind != RO_YSCALAR ||
	    (waves = ro_ymap_get(root, "waves")) == NULL || waves->kind != RO_YSEQ)
		return RO_EINVAL;
	g->campaign = ro_xstrdup(v->str);
	if ((v = ro_ymap_get(root, "approvers")) != NULL &&
	    ro_roster_read(&c, v, &g->roster) != RO_OK)
		return RO_EINVAL;
	g->gate = ro_xcalloc(waves->n ? waves->n : 1, sizeof *g->gate);
	g->nwaves = waves->n;
	for (i = 0; i < waves->n; i++) {
		const struct ro_ynode *w = waves->items[i], *gated, *kind;
		if (w->kind != RO_YMAP || (gated = ro_ymap_get(w, "gated")) == NULL ||
		    gated->kind != RO_YSCALAR)
			return RO_EINVAL;
		if (strcmp(gated->str, "true") != 0)
			continue;
		kind = ro_ymap_get(w, "gate");
		/* A plan made before signed approvals has gated waves without a
		 * kind; no signature can be valid for them. */
		g->gate[i] = ro_xstrdup(kind && kind->kind == RO_YSCALAR ? kind->str : "");
	}
	return RO_OK;
}

int
ro_gates_from_canonical(const char *body, size_t len, const char *expect_hash,
    struct ro_gates **out, char **cause)
{
	unsigned char digest[32];
	struct ro_ydoc *doc = NULL;
	struct ro_diags d;
	struct ro_gates *g;
	int rc;

	*out = NULL;
	crypto_hash_sha256(digest, (const unsigned char *)body, len);
	g = ro_xcalloc(1, sizeof *g);
	ro_hex(digest, 32, g->plan_hash);
	if (expect_hash == NULL || strcmp(g->plan_hash, expect_hash) != 0) {
		*cause = ro_xasprintf("the recorded plan's bytes hash to %.12s…, not to its recorded "
		    "hash %.12s…: the plan in the store was altered", g->plan_hash,
		    expect_hash ? expect_hash : "?");
		ro_gates_free(g);
		return RO_EINVAL;
	}
	ro_diags_init(&d);
	rc = ro_ydoc_parse("the recorded plan", body, len, &doc, &d);
	if (rc == RO_OK)
		rc = read_gates(doc->root, g, &d);
	if (rc != RO_OK) {
		*cause = ro_xasprintf("the recorded plan cannot be read for its gates and approvers%s%s",
		    d.n ? ": " : "", d.n ? d.v[0].msg : "");
		ro_gates_free(g);
		g = NULL;
		rc = RO_EINVAL;
	}
	ro_diags_free(&d);
	ro_ydoc_free(doc);
	*out = g;
	return rc;
}

int
ro_gates_from_plan_json(const char *plan_json, const char *plan_hash, struct ro_gates **out,
    char **cause)
{
	static const char head[] = "{\"plan_hash\":\"";
	size_t hl = sizeof head - 1, n;
	char *body;
	int rc;

	*out = NULL;
	if (plan_json == NULL || plan_hash == NULL || strlen(plan_hash) != 64 ||
	    strncmp(plan_json, head, hl) != 0 || strncmp(plan_json + hl, plan_hash, 64) != 0 ||
	    strncmp(plan_json + hl + 64, "\",", 2) != 0) {
		*cause = ro_xasprintf("the recorded plan does not start with its hash: the plan in "
		    "the store was altered");
		return RO_EINVAL;
	}
	n = strlen(plan_json + hl + 66);
	body = ro_xmalloc(n + 2);
	body[0] = '{';
	memcpy(body + 1, plan_json + hl + 66, n + 1);
	rc = ro_gates_from_canonical(body, n + 1, plan_hash, out, cause);
	free(body);
	return rc;
}

void
ro_approval_message(const struct ro_approval_rec *a, struct ro_buf *b)
{
	ro_buf_adds(b, "{\"format\":\"" RO_APPROVAL_FORMAT "\",\"campaign\":");
	ro_buf_json_str(b, a->campaign);
	ro_buf_printf(b, ",\"wave\":%d,\"gate\":", a->wave + 1);
	ro_buf_json_str(b, a->gate);
	ro_buf_adds(b, ",\"plan_hash\":");
	ro_buf_json_str(b, a->plan_hash);
	ro_buf_adds(b, ",\"decision\":");
	ro_buf_json_str(b, a->decision);
	ro_buf_printf(b, ",\"at\":%" PRId64 ",\"comment\":", a->at);
	ro_buf_json_str(b, a->comment);
	ro_buf_adds(b, ",\"signer\":");
	ro_buf_json_str(b, a->signer);
	ro_buf_addc(b, '}');
}

int
ro_approval_verify(const struct ro_gates *g, const struct ro_approval_info *a,
    const struct ro_approver **who, char **why)
{
	unsigned char key[RO_APPROVER_KEYBYTES], sig[VAULT_SIGNATUREBYTES];
	const struct ro_approver *m;
	const char *gate, *role;
	struct ro_approval_rec rec;
	struct ro_buf msg;
	int ok;

	if (who)
		*who = NULL;
	*why = NULL;
	if (g->roster == NULL) {
		*why = ro_xasprintf("campaign %s names no approvers roster, so no approval of it "
		    "can be verified", g->campaign);
		return RO_EPROTO;
	}
	if (a->signature == NULL || a->signer_key == NULL || a->decision == NULL) {
		*why = ro_xstrdup("the row carries no signature: it was not made by `rollout "
		    "approve` (written into the store by hand, or before signed approvals)");
		return RO_EPROTO;
	}
	if (a->wave < 0 || (size_t)a->wave >= g->nwaves || g->gate[a->wave] == NULL) {
		*why = ro_xasprintf("wave %d of the plan is not gated", a->wave + 1);
		return RO_EPROTO;
	}
	gate = g->gate[a->wave];
	if (strncmp(a->signer_key, RO_APPROVAL_WEBAUTHN, strlen(RO_APPROVAL_WEBAUTHN)) == 0)
		return ro_approval_verify_passkey(g, a, gate, who, why);
	if (!ro_unhex(a->signer_key, key, sizeof key) || !ro_unhex(a->signature, sig, sizeof sig)) {
		*why = ro_xstrdup("the row's key or signature is not hex of the right length");
		return RO_EPROTO;
	}
	if ((m = ro_roster_find_key(g->roster, key)) == NULL) {
		*why = ro_xasprintf("signed by a key that is not on the roster '%s'", g->roster->name);
		return RO_EPROTO;
	}
	if (a->approver == NULL || strcmp(a->approver, m->name) != 0) {
		*why = ro_xasprintf("the row names '%s' but the key is %s's",
		    a->approver ? a->approver : "", m->name);
		return RO_EPROTO;
	}
	role = ro_roster_gate_role(g->roster, gate);
	if (role == NULL || strcmp(role, m->role) != 0) {
		*why = ro_xasprintf("%s is a %s; the %s gate of wave %d is approved by a %s",
		    m->name, m->role, *gate ? gate : "(unnamed)", a->wave + 1, role ? role : "(none)");
		return RO_EPROTO;
	}
	if (strcmp(a->decision, "approve") != 0 && strcmp(a->decision, "refuse") != 0) {
		*why = ro_xasprintf("the decision '%s' is neither approve nor refuse", a->decision);
		return RO_EPROTO;
	}
	/* Everything but the decision, time, comment and signer comes from the
	 * plan, not the row: a signature moved elsewhere fails here. */
	rec.campaign = g->campaign;
	rec.wave = a->wave;
	rec.gate = gate;
	rec.plan_hash = g->plan_hash;
	rec.decision = a->decision;
	rec.at = a->approved_at;
	rec.comment = a->comment;
	rec.signer = m->name;
	ro_buf_init(&msg);
	ro_approval_message(&rec, &msg);
	ok = vault_message_verify(key, RO_APPROVAL_CTX, msg.p, msg.len, sig) == VAULT_OK;
	ro_buf_free(&msg);
	if (!ok) {
		*why = ro_xasprintf("%s's signature does not match this record: it was altered, or "
		    "made for another wave, plan or campaign", m->name);
		return RO_EPROTO;
	}
	if (who)
		*who = m;
	return RO_OK;
}

void
ro_approval_security_event(struct ro_store *st, const char *campaign, int wave,
    int64_t approval_id, const char *claimed, const char *why)
{
	struct ro_buf d;

	ro_buf_init(&d);
	ro_buf_printf(&d, "{\"wave\":%d", wave);
	if (approval_id > 0)
		ro_buf_printf(&d, ",\"approval\":%" PRId64, approval_id);
	ro_buf_adds(&d, ",\"claimed_approver\":");
	ro_buf_json_str(&d, claimed);
	ro_buf_adds(&d, ",\"why\":");
	ro_buf_json_str(&d, why);
	ro_buf_addc(&d, '}');
	/* Best effort: the refusal stands whether or not the journal takes it. */
	(void)ro_store_journal(st, campaign, "security.approval-refused", NULL, d.p);
	ro_buf_free(&d);
}

int
ro_approval_gate(struct ro_store *st, const struct ro_gates *g, int idx, int64_t *seen,
    enum ro_gate_verdict *verdict, char **refusal, char **cause)
{
	struct ro_approval_info *v = NULL;
	const struct ro_approval_info *last = NULL;
	size_t n = 0, i;
	int64_t top = *seen;
	int rc;

	*verdict = RO_GATE_WAIT;
	*refusal = NULL;
	if ((rc = ro_store_approval_list(st, g->campaign, idx, &v, &n)) != RO_OK) {
		*cause = ro_xasprintf("cannot read the approvals of wave %d: %s", idx + 1,
		    ro_store_errmsg(st));
		return rc;
	}
	for (i = 0; i < n; i++) {
		char *why = NULL;
		if (ro_approval_verify(g, &v[i], NULL, &why) == RO_OK) {
			last = &v[i]; /* rows come in id order: the latest wins */
		} else if (v[i].id > *seen) {
			ro_approval_security_event(st, g->campaign, idx, v[i].id, v[i].approver, why);
		}
		free(why);
		if (v[i].id > top)
			top = v[i].id;
	}
	*seen = top;
	if (last != NULL && strcmp(last->decision, "refuse") == 0) {
		*verdict = RO_GATE_REFUSED;
		*refusal = ro_xasprintf("%s refused wave %d%s%s", last->approver, idx + 1,
		    last->comment ? ": " : "", last->comment ? last->comment : "");
	} else if (last != NULL)
		*verdict = RO_GATE_OPEN;
	ro_approval_list_free(v, n);
	return RO_OK;
}

void
ro_approval_check_free(struct ro_approval_check *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].approver);
		free(v[i].decision);
		free(v[i].why);
	}
	free(v);
}

int
ro_approval_verify_all(struct ro_store *st, const char *campaign,
    struct ro_approval_check **out, size_t *n, size_t *nbad, char **cause)
{
	struct ro_campaign_info ci;
	struct ro_approval_info *v = NULL;
	struct ro_gates *g = NULL;
	size_t nv = 0, i;
	int rc;

	*out = NULL;
	*n = *nbad = 0;
	memset(&ci, 0, sizeof ci);
	if ((rc = ro_store_campaign_get(st, campaign, &ci, cause)) != RO_OK)
		goto out;
	if ((rc = ro_gates_from_plan_json(ci.plan_json, ci.plan_hash, &g, cause)) != RO_OK)
		goto out;
	if ((rc = ro_store_approval_list(st, campaign, -1, &v, &nv)) != RO_OK) {
		*cause = ro_xasprintf("cannot read the approvals: %s", ro_store_errmsg(st));
		goto out;
	}
	*out = ro_xcalloc(nv ? nv : 1, sizeof **out);
	for (i = 0; i < nv; i++) {
		struct ro_approval_check *c = &(*out)[i];
		c->id = v[i].id;
		c->wave = v[i].wave;
		c->approver = v[i].approver ? ro_xstrdup(v[i].approver) : NULL;
		c->decision = v[i].decision ? ro_xstrdup(v[i].decision) : NULL;
		c->at = v[i].approved_at;
		c->valid = ro_approval_verify(g, &v[i], NULL, &c->why) == RO_OK;
		if (!c->valid)
			(*nbad)++;
	}
	*n = nv;
	rc = *nbad ? RO_EPROTO : RO_OK;
out:
	ro_approval_list_free(v, nv);
	ro_gates_free(g);
	ro_campaign_info_clear(&ci);
	return rc;
}
