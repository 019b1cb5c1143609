/* webauthn.c - checking WebAuthn credentials and assertions with libfido2 (webauthn.h). */
#include "webauthn.h"

#include <fido.h>
#include <fido/es256.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "ydoc.h"

/* Authenticator data flags (WebAuthn, "Authenticator Data"). */
#define FLAG_UP 0x01
#define FLAG_UV 0x04

char *
ro_b64url(const unsigned char *d, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = ro_xmalloc(cap);

	sodium_bin2base64(s, cap, d, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

unsigned char *
ro_b64url_dec(const char *s, size_t max, size_t *n)
{
	size_t len, cap;
	unsigned char *out;
	int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '=')
		variant = sodium_base64_VARIANT_URLSAFE;
	cap = len / 4 * 3 + 3;
	if (cap > max + 3)
		return NULL;
	out = ro_xmalloc(cap ? cap : 1);
	if (sodium_base642bin(out, cap, s, len, NULL, n, NULL, variant) != 0 || *n > max) {
		free(out);
		return NULL;
	}
	return out;
}

static int
rp_hash_ok(const char *rp_id, const unsigned char *authdata, size_t len)
{
	unsigned char h[32];

	crypto_hash_sha256(h, (const unsigned char *)rp_id, strlen(rp_id));
	return len >= 37 && sodium_memcmp(h, authdata, 32) == 0;
}

int
ro_webauthn_cred_read(const char *rp_id, const unsigned char *authdata, size_t len,
    struct ro_webauthn_cred *out, char **why)
{
	fido_cred_t *c = NULL;
	int rc = RO_EINVAL;

	*why = NULL;
	memset(out, 0, sizeof *out);
	if (!rp_hash_ok(rp_id, authdata, len)) {
		*why = ro_xasprintf("the credential was made for another site than '%s'", rp_id);
		return RO_EINVAL;
	}
	if ((authdata[32] & (FLAG_UP | FLAG_UV)) != (FLAG_UP | FLAG_UV)) {
		*why = ro_xstrdup("the authenticator did not verify the user (PIN, fingerprint or "
		    "face): a passkey for approvals needs user verification");
		return RO_EINVAL;
	}
	if ((c = fido_cred_new()) == NULL)
		goto out;
	if (fido_cred_set_type(c, COSE_ES256) != FIDO_OK ||
	    fido_cred_set_authdata_raw(c, authdata, len) != FIDO_OK) {
		*why = ro_xstrdup("the authenticator data holds no ES256 credential (libfido2 "
		    "cannot read it)");
		goto out;
	}
	if (fido_cred_id_len(c) == 0 || fido_cred_id_len(c) > RO_WEBAUTHN_CRED_MAX ||
	    fido_cred_pubkey_len(c) != RO_WEBAUTHN_PUBKEY) {
		*why = ro_xstrdup("the credential's id or public key has an unexpected size");
		goto out;
	}
	memcpy(out->id, fido_cred_id_ptr(c), fido_cred_id_len(c));
	out->id_len = fido_cred_id_len(c);
	memcpy(out->pk, fido_cred_pubkey_ptr(c), RO_WEBAUTHN_PUBKEY);
	rc = RO_OK;
out:
	if (rc != RO_OK && *why == NULL)
		*why = ro_xstrdup("out of memory reading the credential");
	fido_cred_free(&c);
	return rc;
}

void
ro_webauthn_fingerprint(const unsigned char *id, size_t id_len,
    const unsigned char pk[RO_WEBAUTHN_PUBKEY], char out[25])
{
	crypto_hash_sha256_state s;
	unsigned char h[32];
	char hex[21];
	size_t i, o = 0;

	crypto_hash_sha256_init(&s);
	crypto_hash_sha256_update(&s, id, id_len);
	crypto_hash_sha256_update(&s, pk, RO_WEBAUTHN_PUBKEY);
	crypto_hash_sha256_final(&s, h);
	ro_hex(h, 10, hex);
	for (i = 0; i < 20; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

int
ro_webauthn_client_check(const unsigned char *json, size_t len, const char *type,
    const unsigned char *challenge, size_t clen, const char *origin, char **why)
{
	struct ro_ydoc *doc = NULL;
	struct ro_diags d;
	const struct ro_ynode *t, *c, *o;
	char *want;
	int ok = 0;

	ro_diags_init(&d);
	want = ro_b64url(challenge, clen);
	if (ro_ydoc_parse("clientDataJSON", (const char *)json, len, &doc, &d) != RO_OK ||
	    doc->root == NULL || doc->root->kind != RO_YMAP) {
		*why = ro_xstrdup("the client data is not a JSON object");
		goto out;
	}
	t = ro_ymap_get(doc->root, "type");
	c = ro_ymap_get(doc->root, "challenge");
	o = ro_ymap_get(doc->root, "origin");
	if (t == NULL || t->kind != RO_YSCALAR || strcmp(t->str, type) != 0)
		*why = ro_xasprintf("the client data is not of a %s", type);
	else if (c == NULL || c->kind != RO_YSCALAR || strcmp(c->str, want) != 0)
		*why = ro_xstrdup("the assertion was made over another challenge: not over this "
		    "record, or not for this login");
	else if (origin != NULL && (o == NULL || o->kind != RO_YSCALAR || strcmp(o->str, origin) != 0))
		*why = ro_xasprintf("the assertion was made on another origin than %s", origin);
	else
		ok = 1;
out:
	free(want);
	ro_ydoc_free(doc);
	ro_diags_free(&d);
	return ok;
}

int
ro_webauthn_assert_verify(const char *rp_id, const char *origin,
    const unsigned char *challenge, size_t challenge_len,
    const unsigned char pk[RO_WEBAUTHN_PUBKEY],
    const unsigned char *authdata, size_t authdata_len,
    const unsigned char *client_json, size_t client_len,
    const unsigned char *sig, size_t sig_len, char **why)
{
	unsigned char cdh[32];
	fido_assert_t *a = NULL;
	es256_pk_t *k = NULL;
	int rc = RO_EPROTO, r;

	*why = NULL;
	if (!ro_webauthn_client_check(client_json, client_len, "webauthn.get", challenge,
	    challenge_len, origin, why))
		return RO_EPROTO;
	if (!rp_hash_ok(rp_id, authdata, authdata_len)) {
		*why = ro_xasprintf("the assertion was made for another site than '%s'", rp_id);
		return RO_EPROTO;
	}
	crypto_hash_sha256(cdh, client_json, client_len);
	if ((a = fido_assert_new()) == NULL || (k = es256_pk_new()) == NULL) {
		*why = ro_xstrdup("out of memory");
		goto out;
	}
	if (es256_pk_from_ptr(k, pk, RO_WEBAUTHN_PUBKEY) != FIDO_OK) {
		*why = ro_xstrdup("the credential's public key is not a P-256 point");
		goto out;
	}
	/* libfido2 wraps raw authenticator data itself; it checks the rp id
	 * hash, the flags asked for and the signature. */
	if (fido_assert_set_count(a, 1) != FIDO_OK || fido_assert_set_rp(a, rp_id) != FIDO_OK ||
	    fido_assert_set_clientdata_hash(a, cdh, sizeof cdh) != FIDO_OK ||
	    fido_assert_set_up(a, FIDO_OPT_TRUE) != FIDO_OK ||
	    fido_assert_set_uv(a, FIDO_OPT_TRUE) != FIDO_OK ||
	    fido_assert_set_authdata_raw(a, 0, authdata, authdata_len) != FIDO_OK ||
	    fido_assert_set_sig(a, 0, sig, sig_len) != FIDO_OK) {
		*why = ro_xstrdup("the assertion's authenticator data or signature cannot be read");
		goto out;
	}
	if ((r = fido_assert_verify(a, 0, COSE_ES256, k)) != FIDO_OK) {
		*why = ro_xasprintf("the passkey's signature does not verify (%s): it was altered, "
		    "or made by another key", fido_strerr(r));
		goto out;
	}
	rc = RO_OK;
out:
	es256_pk_free(&k);
	fido_assert_free(&a);
	return rc;
}
