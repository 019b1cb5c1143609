/*
 * message.c - signing and verifying messages of the caller's own with a
 * member key's Ed25519 signing key (e.g. the engine's signed approvals).
 *
 * The caller's context string is signed in front of the message, so a
 * signature made for one purpose (an approval) can never be presented as
 * one for another (a vault file, a roster change, the key file's pins,
 * which sign their own fixed contexts).
 */
#include "vault_int.h"

/* The prefix every message signature covers, before the caller's context. */
#define MSG_CTX "rollout-member-message-v1"

/* msg_hash is what is signed: BLAKE2b-512 of the prefix, the caller's
 * context (with its NUL) and the message. */
static void
msg_hash(const char *ctx, const void *msg, size_t len, unsigned char out[64])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 64);
	crypto_generichash_update(&st, (const unsigned char *)MSG_CTX, sizeof(MSG_CTX));
	crypto_generichash_update(&st, (const unsigned char *)ctx, strlen(ctx) + 1);
	crypto_generichash_update(&st, msg, len);
	crypto_generichash_final(&st, out, 64);
}

int
vault_key_sign_public(const struct vault_key *k, unsigned char pk[VAULT_PUBLICKEYBYTES])
{
	if (k->version < 2)
		return VAULT_EMIGRATE;
	memcpy(pk, k->sign_pk, VAULT_PUBLICKEYBYTES);
	return VAULT_OK;
}

int
vault_key_sign_message(const struct vault_key *k, const char *ctx, const void *msg,
    size_t len, unsigned char sig[VAULT_SIGNATUREBYTES])
{
	unsigned char h[64];

	if (ctx == NULL || *ctx == '\0' || (msg == NULL && len > 0))
		return VAULT_EINVAL;
	if (k->version < 2)
		return VAULT_EMIGRATE; /* a version-1 key file has no signing key */
	msg_hash(ctx, msg, len, h);
	crypto_sign_detached(sig, NULL, h, sizeof(h), k->sign_sk);
	return VAULT_OK;
}

int
vault_message_verify(const unsigned char pk[VAULT_PUBLICKEYBYTES], const char *ctx,
    const void *msg, size_t len, const unsigned char sig[VAULT_SIGNATUREBYTES])
{
	unsigned char h[64];

	if (ctx == NULL || *ctx == '\0' || (msg == NULL && len > 0))
		return VAULT_EINVAL;
	if (sodium_init() < 0)
		return VAULT_ENOMEM;
	msg_hash(ctx, msg, len, h);
	return crypto_sign_verify_detached(sig, h, sizeof(h), pk) == 0 ? VAULT_OK : VAULT_EFORGED;
}
