/*
 * webauthn.h - the parts of WebAuthn that rollout checks: a new ES256
 * credential's authenticator data (what `navigator.credentials.create`
 * returned), and an assertion (`navigator.credentials.get`) over a
 * challenge. The cryptography and the parsing of authenticator data are
 * libfido2's (fido_cred_set_authdata_raw, fido_assert_verify with an es256
 * key); this file only hands it the bytes and checks the client data.
 *
 * Binary values travel as base64url without padding, as browsers give them.
 */
#ifndef RO_WEBAUTHN_H
#define RO_WEBAUTHN_H

#include <stddef.h>

#define RO_WEBAUTHN_PUBKEY 64 /* an ES256 public key: x || y */
#define RO_WEBAUTHN_CRED_MAX 255

struct ro_webauthn_cred {
	unsigned char id[RO_WEBAUTHN_CRED_MAX];
	size_t id_len;
	unsigned char pk[RO_WEBAUTHN_PUBKEY];
};

/* base64url (no padding) of n bytes, malloc'd. */
char *ro_b64url(const unsigned char *d, size_t n);
/* Decodes s (base64url, padding optional) into a malloc'd buffer; NULL when
 * it is not base64url or longer than max bytes. */
unsigned char *ro_b64url_dec(const char *s, size_t max, size_t *n);

/*
 * ro_webauthn_cred_read reads a new credential from its raw authenticator
 * data: it must be for rp_id, carry the user-verified flag and an ES256
 * attested credential. RO_OK, or RO_EINVAL with *why (malloc'd).
 */
int ro_webauthn_cred_read(const char *rp_id, const unsigned char *authdata, size_t len,
    struct ro_webauthn_cred *out, char **why);

/*
 * ro_webauthn_fingerprint writes the short fingerprint of a credential
 * (the enrolment page shows it; the lead types it back): the first 10 bytes
 * of SHA-256(credential id || public key) in 4-digit groups of hex,
 * "1a2b-3c4d-5e6f-7a8b-9c0d".
 */
void ro_webauthn_fingerprint(const unsigned char *id, size_t id_len,
    const unsigned char pk[RO_WEBAUTHN_PUBKEY], char out[25]);

/*
 * ro_webauthn_client_check checks clientDataJSON: its type
 * ("webauthn.create" or "webauthn.get"), that it is over exactly challenge,
 * and, when origin is not NULL, its origin. 1 when it is right; 0 with *why.
 */
int ro_webauthn_client_check(const unsigned char *json, size_t len, const char *type,
    const unsigned char *challenge, size_t clen, const char *origin, char **why);

/*
 * ro_webauthn_assert_verify checks an assertion: clientDataJSON says
 * webauthn.get, with exactly challenge (base64url of its bytes), and, when
 * origin is not NULL, that origin; the authenticator data is for rp_id,
 * with user presence and verification; the ES256 signature by pk over
 * authenticatorData || SHA-256(clientDataJSON) verifies (libfido2).
 * RO_OK, or RO_EPROTO with *why (malloc'd).
 */
int ro_webauthn_assert_verify(const char *rp_id, const char *origin,
    const unsigned char *challenge, size_t challenge_len,
    const unsigned char pk[RO_WEBAUTHN_PUBKEY],
    const unsigned char *authdata, size_t authdata_len,
    const unsigned char *client_json, size_t client_len,
    const unsigned char *sig, size_t sig_len, char **why);

#endif
