/*
 * keyfile.c - a member's key file: the member's X25519 secret key,
 * encrypted with XChaCha20-Poly1305 under a key that Argon2id derives from
 * the member's passphrase. The Argon2id algorithm, limits and salt are
 * stored in the file, and the whole clear part is the associated data, so
 * none of it can be changed without the passphrase noticing.
 */
#include "vault_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Key file layout (FORMAT.md, "Key files"). */
#define KF_OFF_VERSION 8
#define KF_OFF_ALG 12
#define KF_OFF_OPS 16
#define KF_OFF_MEM 24
#define KF_OFF_SALT 32
#define KF_OFF_PK 48
#define KF_OFF_NAME 80 /* u16 length, then the name */

const struct vault_kdf VAULT_KDF_MIN = {
	crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN
};
const struct vault_kdf VAULT_KDF_INTERACTIVE = {
	crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE
};
const struct vault_kdf VAULT_KDF_MODERATE = {
	crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE
};
const struct vault_kdf VAULT_KDF_SENSITIVE = {
	crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE, crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE
};

/* A file may ask for at most SENSITIVE cost and an ops limit of 32, so a
 * forged key file cannot make unlock take hours or all of memory. */
static int
kdf_ok(uint64_t ops, uint64_t mem)
{
	return ops >= crypto_pwhash_argon2id_OPSLIMIT_MIN && ops <= 32 &&
	    mem >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	    mem <= crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
}

const char *
vault_key_name(const struct vault_key *k)
{
	return k->name;
}

void
vault_key_free(struct vault_key *k)
{
	if (k == NULL)
		return;
	sodium_free(k);
	vault__protect_end();
}

static struct vault_key *
key_alloc(void)
{
	struct vault_key *k;

	if (sodium_init() < 0)
		return NULL;
	k = sodium_malloc(sizeof(*k));
	if (k == NULL)
		return NULL;
	memset(k, 0, sizeof(*k));
	vault__protect_begin();
	return k;
}

int
vault__key_from_seed(const char *name, const unsigned char seed[32], struct vault_key **out)
{
	struct vault_key *k;

	*out = NULL;
	if (!vault__member_name_valid(name))
		return VAULT_EINVAL;
	if ((k = key_alloc()) == NULL)
		return VAULT_ENOMEM;
	snprintf(k->name, sizeof(k->name), "%s", name);
	crypto_box_seed_keypair(k->pk, k->sk, seed);
	*out = k;
	return VAULT_OK;
}

int
vault_key_create(const char *path, const char *name, const char *pass, size_t passlen,
    const struct vault_kdf *kdf, char **cause)
{
	struct vault_key *k = NULL;
	unsigned char *dk = NULL;
	struct vault_wr w;
	unsigned char salt[crypto_pwhash_argon2id_SALTBYTES];
	unsigned char nonce[VAULT_NONCEBYTES];
	unsigned char ct[crypto_box_SECRETKEYBYTES + VAULT_TAGBYTES];
	unsigned long long clen;
	int rc;

	vault__wr_init(&w, 0);
	if (kdf == NULL)
		kdf = &VAULT_KDF_MODERATE;
	if (!vault__member_name_valid(name)) {
		vault__cause(cause, "member name '%s' is not valid: use 1-63 of A-Z a-z 0-9 . _ -",
		    name);
		return VAULT_EINVAL;
	}
	if (!kdf_ok(kdf->opslimit, kdf->memlimit) || passlen == 0 ||
	    passlen > VAULT_PASSPHRASE_MAX) {
		vault__cause(cause, "the passphrase must be 1-%d bytes", VAULT_PASSPHRASE_MAX);
		return VAULT_EINVAL;
	}
	if ((k = key_alloc()) == NULL || (dk = sodium_malloc(VAULT_KEYBYTES)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	snprintf(k->name, sizeof(k->name), "%s", name);
	crypto_box_keypair(k->pk, k->sk);
	randombytes_buf(salt, sizeof(salt));
	if (crypto_pwhash(dk, VAULT_KEYBYTES, pass, passlen, salt, kdf->opslimit,
	    (size_t)kdf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		vault__cause(cause, "Argon2id could not get %llu bytes of memory",
		    (unsigned long long)kdf->memlimit);
		rc = VAULT_ENOMEM;
		goto out;
	}

	vault__wr_bytes(&w, VAULT_KEY_MAGIC, 8);
	vault__wr_u32(&w, 1);
	vault__wr_u32(&w, (uint32_t)crypto_pwhash_ALG_ARGON2ID13);
	vault__wr_u64(&w, kdf->opslimit);
	vault__wr_u64(&w, kdf->memlimit);
	vault__wr_bytes(&w, salt, sizeof(salt));
	vault__wr_bytes(&w, k->pk, sizeof(k->pk));
	vault__wr_str(&w, k->name);
	if (w.oom) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, k->sk, sizeof(k->sk), w.p, w.len,
	    NULL, nonce, dk);
	vault__wr_bytes(&w, nonce, sizeof(nonce));
	vault__wr_bytes(&w, ct, (size_t)clen);
	if (w.oom) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	rc = vault__write_atomic(path, w.p, w.len, 1, cause);
out:
	vault__wr_free(&w);
	sodium_free(dk);
	vault_key_free(k);
	return rc;
}

/* parse_keyfile checks a key file's structure and points at its parts. */
struct kf {
	uint64_t ops, mem;
	const unsigned char *salt, *pk, *nonce, *ct;
	size_t ad_len;
	char name[VAULT_NAME_MAX + 1];
};

static int
parse_keyfile(const char *path, const unsigned char *buf, size_t len, struct kf *kf,
    char **cause)
{
	struct vault_rd r = { buf, len, 0, 0 };
	const unsigned char *magic = vault__rd_take(&r, 8);
	uint32_t version = vault__rd_u32(&r);
	uint32_t alg = vault__rd_u32(&r);

	kf->ops = vault__rd_u64(&r);
	kf->mem = vault__rd_u64(&r);
	kf->salt = vault__rd_take(&r, crypto_pwhash_argon2id_SALTBYTES);
	kf->pk = vault__rd_take(&r, crypto_box_PUBLICKEYBYTES);
	vault__rd_str(&r, kf->name, VAULT_NAME_MAX);
	kf->ad_len = r.off;
	kf->nonce = vault__rd_take(&r, VAULT_NONCEBYTES);
	kf->ct = vault__rd_take(&r, crypto_box_SECRETKEYBYTES + VAULT_TAGBYTES);
	if (magic == NULL || memcmp(magic, VAULT_KEY_MAGIC, 8) != 0) {
		vault__cause(cause, "%s: not a rollout vault key file", path);
		return VAULT_EKEYFILE;
	}
	if (!r.bad && version > 1) {
		vault__cause(cause, "%s: key file version %u is newer than this rollout understands",
		    path, (unsigned)version);
		return VAULT_EVERSION;
	}
	if (r.bad || r.off != r.len || version != 1 || alg != crypto_pwhash_ALG_ARGON2ID13 ||
	    !kdf_ok(kf->ops, kf->mem) || !vault__member_name_valid(kf->name)) {
		vault__cause(cause, "%s: the key file is damaged (bad structure or KDF limits); "
		    "restore it from your backup", path);
		return VAULT_EKEYFILE;
	}
	return VAULT_OK;
}

int
vault_key_public(const char *path, char *name, unsigned char pk[VAULT_PUBLICKEYBYTES],
    char **cause)
{
	unsigned char *buf = NULL;
	size_t len;
	struct kf kf;
	int rc;

	if ((rc = vault__read_file(path, &buf, &len, cause)) != VAULT_OK)
		return rc;
	if ((rc = parse_keyfile(path, buf, len, &kf, cause)) == VAULT_OK) {
		memcpy(name, kf.name, strlen(kf.name) + 1);
		memcpy(pk, kf.pk, VAULT_PUBLICKEYBYTES);
	}
	free(buf);
	return rc;
}

int
vault_key_unlock(const char *path, const char *pass, size_t passlen, struct vault_key **out,
    char **cause)
{
	struct vault_key *k = NULL;
	unsigned char *dk = NULL, *buf = NULL;
	unsigned char check[crypto_box_PUBLICKEYBYTES];
	unsigned long long mlen;
	size_t len;
	struct kf kf;
	int rc;

	*out = NULL;
	if ((rc = vault__read_file(path, &buf, &len, cause)) != VAULT_OK)
		return rc;
	if ((rc = parse_keyfile(path, buf, len, &kf, cause)) != VAULT_OK)
		goto out;
	if ((k = key_alloc()) == NULL || (dk = sodium_malloc(VAULT_KEYBYTES)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	if (crypto_pwhash(dk, VAULT_KEYBYTES, pass, passlen, kf.salt, kf.ops, (size_t)kf.mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		vault__cause(cause, "Argon2id could not get %llu bytes of memory",
		    (unsigned long long)kf.mem);
		rc = VAULT_ENOMEM;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(k->sk, &mlen, NULL, kf.ct,
	    crypto_box_SECRETKEYBYTES + VAULT_TAGBYTES, buf, kf.ad_len, kf.nonce, dk) != 0) {
		vault__cause(cause, "%s: wrong passphrase for member '%s' (or the key file was "
		    "altered); try again", path, kf.name);
		rc = VAULT_EPASSPHRASE;
		goto out;
	}
	crypto_scalarmult_base(check, k->sk);
	if (sodium_memcmp(check, kf.pk, sizeof(check)) != 0) {
		vault__cause(cause, "%s: the public key does not match the secret key", path);
		rc = VAULT_EKEYFILE;
		goto out;
	}
	memcpy(k->pk, kf.pk, sizeof(k->pk));
	memcpy(k->name, kf.name, sizeof(k->name));
	*out = k;
	k = NULL;
out:
	vault_key_free(k);
	sodium_free(dk);
	free(buf);
	return rc;
}
