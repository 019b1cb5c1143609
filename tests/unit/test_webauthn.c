/*
 * test_webauthn.c - WebAuthn checks (engine/webauthn.c): a real ES256
 * assertion, made here with OpenSSL as an authenticator would, verifies
 * through libfido2; one over another challenge, origin or site, without
 * user verification, altered, or by another key does not. A new
 * credential's authenticator data is read for its id and key, and refused
 * without user verification or for another site.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "error.h"
#include "util.h"
#include "webauthn.h"

#define RP "localhost"
#define ORIGIN "http://localhost:8080"

struct key {
	EVP_PKEY *k;
	unsigned char pk[RO_WEBAUTHN_PUBKEY];
};

static void
key_new(struct key *k)
{
	unsigned char pt[65];
	size_t n = 0;

	k->k = EVP_EC_gen("P-256");
	assert_non_null(k->k);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k->k, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    sizeof pt, &n), 1);
	assert_int_equal(n, 65);
	memcpy(k->pk, pt + 1, 64);
}

/* authdata: rp id hash, flags, a zero counter. */
static void
authdata(const char *rp, unsigned char flags, unsigned char out[37])
{
	crypto_hash_sha256(out, (const unsigned char *)rp, strlen(rp));
	out[32] = flags;
	memset(out + 33, 0, 4);
}

static char *
client_json(const char *type, const unsigned char *challenge, const char *origin)
{
	char *c = ro_b64url(challenge, 32), *j;

	j = ro_xasprintf("{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\","
	    "\"crossOrigin\":false}", type, c, origin);
	free(c);
	return j;
}

/* sign makes the authenticator's signature over authdata || SHA-256(client). */
static size_t
sign(struct key *k, const unsigned char *ad, size_t adn, const char *cj, unsigned char *sig)
{
	unsigned char msg[37 + 32];
	size_t n = 80;
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	memcpy(msg, ad, adn);
	crypto_hash_sha256(msg + adn, (const unsigned char *)cj, strlen(cj));
	assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k->k), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &n, msg, adn + 32), 1);
	EVP_MD_CTX_free(m);
	return n;
}

static int
verify(const struct key *k, const unsigned char *challenge, const unsigned char *ad,
    const char *cj, const unsigned char *sig, size_t sn, char **why)
{
	return ro_webauthn_assert_verify(RP, ORIGIN, challenge, 32, k->pk, ad, 37,
	    (const unsigned char *)cj, strlen(cj), sig, sn, why);
}

static void
test_assertion(void **state)
{
	struct key k, other;
	unsigned char challenge[32], wrong[32], ad[37], ad_norp[37], ad_nouv[37], sig[80];
	char *cj, *cj_wrong, *cj_origin, *cj_create, *why = NULL;
	size_t sn;

	(void)state;
	key_new(&k);
	key_new(&other);
	randombytes_buf(challenge, sizeof challenge);
	memcpy(wrong, challenge, 32);
	wrong[0] ^= 1;
	authdata(RP, 0x05, ad);
	cj = client_json("webauthn.get", challenge, ORIGIN);
	sn = sign(&k, ad, 37, cj, sig);
	assert_int_equal(verify(&k, challenge, ad, cj, sig, sn, &why), RO_OK);
	assert_null(why);

	/* Over another challenge (another record, another login). */
	cj_wrong = client_json("webauthn.get", wrong, ORIGIN);
	sn = sign(&k, ad, 37, cj_wrong, sig);
	assert_int_equal(verify(&k, challenge, ad, cj_wrong, sig, sn, &why), RO_EPROTO);
	assert_non_null(strstr(why, "another challenge"));
	free(why);
	why = NULL;
	/* On another origin. */
	cj_origin = client_json("webauthn.get", challenge, "http://evil.example");
	sn = sign(&k, ad, 37, cj_origin, sig);
	assert_int_equal(verify(&k, challenge, ad, cj_origin, sig, sn, &why), RO_EPROTO);
	assert_non_null(strstr(why, "another origin"));
	free(why);
	why = NULL;
	/* A registration's client data passed off as an assertion. */
	cj_create = client_json("webauthn.create", challenge, ORIGIN);
	sn = sign(&k, ad, 37, cj_create, sig);
	assert_int_equal(verify(&k, challenge, ad, cj_create, sig, sn, &why), RO_EPROTO);
	free(why);
	why = NULL;
	/* For another site. */
	authdata("evil.example", 0x05, ad_norp);
	sn = sign(&k, ad_norp, 37, cj, sig);
	assert_int_equal(verify(&k, challenge, ad_norp, cj, sig, sn, &why), RO_EPROTO);
	free(why);
	why = NULL;
	/* Without user verification (presence only). */
	authdata(RP, 0x01, ad_nouv);
	sn = sign(&k, ad_nouv, 37, cj, sig);
	assert_int_equal(verify(&k, challenge, ad_nouv, cj, sig, sn, &why), RO_EPROTO);
	free(why);
	why = NULL;
	/* Altered, and by another key. */
	sn = sign(&k, ad, 37, cj, sig);
	sig[sn - 1] ^= 1;
	assert_int_equal(verify(&k, challenge, ad, cj, sig, sn, &why), RO_EPROTO);
	free(why);
	why = NULL;
	sn = sign(&other, ad, 37, cj, sig);
	assert_int_equal(verify(&k, challenge, ad, cj, sig, sn, &why), RO_EPROTO);
	assert_non_null(strstr(why, "does not verify"));
	free(why);
	free(cj);
	free(cj_wrong);
	free(cj_origin);
	free(cj_create);
	EVP_PKEY_free(k.k);
	EVP_PKEY_free(other.k);
}

/* reg_authdata: authenticator data with an attested ES256 credential. */
static size_t
reg_authdata(const char *rp, unsigned char flags, const unsigned char *id, size_t idn,
    const unsigned char pk[64], unsigned char *out)
{
	size_t o = 0;

	authdata(rp, flags, out);
	o = 37;
	memset(out + o, 0, 16); /* AAGUID */
	o += 16;
	out[o++] = (unsigned char)(idn >> 8);
	out[o++] = (unsigned char)idn;
	memcpy(out + o, id, idn);
	o += idn;
	/* The COSE key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}. */
	memcpy(out + o, "\xa5\x01\x02\x03\x26\x20\x01\x21\x58\x20", 10);
	o += 10;
	memcpy(out + o, pk, 32);
	o += 32;
	memcpy(out + o, "\x22\x58\x20", 3);
	o += 3;
	memcpy(out + o, pk + 32, 32);
	return o + 32;
}

static void
test_credential(void **state)
{
	struct key k;
	struct ro_webauthn_cred c;
	unsigned char id[32], ad[256];
	char fp[25], *why = NULL;
	size_t n;

	(void)state;
	key_new(&k);
	randombytes_buf(id, sizeof id);
	n = reg_authdata(RP, 0x45, id, sizeof id, k.pk, ad);
	assert_int_equal(ro_webauthn_cred_read(RP, ad, n, &c, &why), RO_OK);
	assert_int_equal(c.id_len, sizeof id);
	assert_memory_equal(c.id, id, sizeof id);
	assert_memory_equal(c.pk, k.pk, 64);
	ro_webauthn_fingerprint(c.id, c.id_len, c.pk, fp);
	assert_int_equal(strlen(fp), 24);
	assert_true(fp[4] == '-' && fp[9] == '-' && fp[14] == '-' && fp[19] == '-');

	n = reg_authdata(RP, 0x41, id, sizeof id, k.pk, ad); /* no UV */
	assert_int_equal(ro_webauthn_cred_read(RP, ad, n, &c, &why), RO_EINVAL);
	assert_non_null(strstr(why, "user verification"));
	free(why);
	why = NULL;
	n = reg_authdata("evil.example", 0x45, id, sizeof id, k.pk, ad);
	assert_int_equal(ro_webauthn_cred_read(RP, ad, n, &c, &why), RO_EINVAL);
	free(why);
	why = NULL;
	n = reg_authdata(RP, 0x45, id, sizeof id, k.pk, ad);
	assert_int_equal(ro_webauthn_cred_read(RP, ad, n - 10, &c, &why), RO_EINVAL); /* cut short */
	free(why);
	EVP_PKEY_free(k.k);
}

static void
test_b64url(void **state)
{
	unsigned char in[40], *out;
	char *s;
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 37 + 250);
	s = ro_b64url(in, sizeof in);
	assert_null(strpbrk(s, "+/="));
	out = ro_b64url_dec(s, 64, &n);
	assert_non_null(out);
	assert_int_equal(n, sizeof in);
	assert_memory_equal(out, in, n);
	free(out);
	assert_null(ro_b64url_dec(s, 10, &n)); /* longer than allowed */
	assert_null(ro_b64url_dec("a+b/", 64, &n)); /* not the URL alphabet */
	assert_null(ro_b64url_dec(NULL, 64, &n));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assertion),
		cmocka_unit_test(test_credential),
		cmocka_unit_test(test_b64url),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
