/*
 * keyfile.c - a member's key file: the member's X25519 secret key and
 * Ed25519 signing seed, encrypted with XChaCha20-Poly1305 under a key that
 * Argon2id derives from the member's passphrase, and the pins of the vaults
 * the key has opened, signed with the member's own signing key. The
 * Argon2id algorithm, limits and salt are stored in the file, and the whole
 * clear part is the associated data, so none of it can be changed without
 * the passphrase noticing.
 */
#include "vault_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Key file layout (FORMAT.md, "Key file"). Version 2 adds the Ed25519
 * public key after the X25519 one, the Ed25519 seed after the X25519
 * secret key inside the AEAD, and the signed pins after the ciphertext. */
#define KF_VERSION 2u
#define PINS_CTX "rollout-key-pins-v2"
#define PIN_BYTES (VAULT_ID_BYTES + VAULT_HASHBYTES + 8)

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

unsigned
vault_key_version(const struct vault_key *k)
{
	return k->version;
}

void
vault_key_free(struct vault_key *k)
{
	if (k == NULL)
		return;
	free(k->path);
	free(k->head);
	free(k->pins);
	sodium_free(k);
	vault__protect_end();
}

int
vault_key_trust(struct vault_key *k, const char *fp)
{
	size_t n;

	if (fp == NULL || strlen(fp) != 2 * VAULT_HASHBYTES ||
	    sodium_hex2bin(k->trust, sizeof(k->trust), fp, strlen(fp), NULL, &n, NULL) != 0 ||
	    n != VAULT_HASHBYTES)
		return VAULT_EINVAL;
	k->have_trust = 1;
	return VAULT_OK;
}

/* sign_seed derives the signing seed of a key made from a fixed seed. */
static void
sign_seed(const unsigned char seed[32], unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)"rollout-sign-seed", 17, seed, 32);
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
	unsigned char ss[32];

	snprintf(k->name, sizeof(k->name), "%s", name);
	crypto_box_seed_keypair(k->pk, k->sk, seed);
	sign_seed(seed, ss);
	crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, ss);
	sodium_memzero(ss, sizeof(ss));
	k->version = KF_VERSION;
	*out = k;
	return VAULT_OK;
}

/* pins_write appends k's pins, signed with k's signing key, to w. */
static void
pins_write(const struct vault_key *k, const unsigned char *head, size_t head_len,
    struct vault_wr *w)
{
	crypto_sign_state st;
	unsigned char hh[VAULT_HASHBYTES], sig[VAULT_SIGBYTES];
	size_t start, i;

	crypto_generichash(hh, sizeof(hh), head, head_len, NULL, 0);
	start = w->len;
	vault__wr_u32(w, (uint32_t)k->n_pins);
	for (i = 0; i < k->n_pins; i++) {
		vault__wr_bytes(w, k->pins[i].id, VAULT_ID_BYTES);
		vault__wr_bytes(w, k->pins[i].roster, VAULT_HASHBYTES);
		vault__wr_u64(w, k->pins[i].counter);
	}
	if (w->oom)
		return;
	crypto_sign_init(&st);
	crypto_sign_update(&st, (const unsigned char *)PINS_CTX, sizeof(PINS_CTX));
	crypto_sign_update(&st, hh, sizeof(hh));
	crypto_sign_update(&st, w->p + start, w->len - start);
	crypto_sign_final_create(&st, sig, NULL, k->sign_sk);
	vault__wr_bytes(w, sig, sizeof(sig));
}

const struct vault_pin *
vault__pin_find(const struct vault_key *k, const unsigned char id[VAULT_ID_BYTES])
{
	size_t i;

	for (i = 0; i < k->n_pins; i++)
		if (memcmp(k->pins[i].id, id, VAULT_ID_BYTES) == 0)
			return &k->pins[i];
	return NULL;
}

int
vault__pin_update(struct vault_key *k, const unsigned char id[VAULT_ID_BYTES],
    const unsigned char roster[VAULT_HASHBYTES], uint64_t counter, char **cause)
{
	struct vault_pin *p = (struct vault_pin *)vault__pin_find(k, id);
	struct vault_wr w;
	int rc;

	if (k->version < 2)
		return VAULT_EMIGRATE; /* no signing key to sign pins with */
	if (p != NULL && memcmp(p->roster, roster, VAULT_HASHBYTES) == 0 && p->counter >= counter)
		return VAULT_OK; /* nothing new */
	if (p == NULL) {
		struct vault_pin *np;
		if (k->n_pins >= VAULT_MAX_PINS)
			return VAULT_ESTATE;
		if ((np = realloc(k->pins, (k->n_pins + 1) * sizeof(*np))) == NULL)
			return VAULT_ENOMEM;
		k->pins = np;
		p = &k->pins[k->n_pins++];
		memcpy(p->id, id, VAULT_ID_BYTES);
		p->counter = 0;
	}
	memcpy(p->roster, roster, VAULT_HASHBYTES);
	if (counter > p->counter)
		p->counter = counter;
	if (k->path == NULL)
		return VAULT_OK;
	vault__wr_init(&w, 0);
	vault__wr_bytes(&w, k->head, k->head_len);
	pins_write(k, k->head, k->head_len, &w);
	if (w.oom) {
		vault__wr_free(&w);
		return VAULT_ENOMEM;
	}
	rc = vault__write_atomic(k->path, w.p, w.len, 2, cause);
	vault__wr_free(&w);
	return rc;
}

/*
 * write_keyfile serialises k under a key Argon2id derives from pass with
 * cost kdf, and writes it to path: mode 1 creates (never overwrites), mode
 * 2 replaces (an upgrade). k's pins are written and signed too.
 */
static int
write_keyfile(const char *path, struct vault_key *k, const char *pass, size_t passlen,
    const struct vault_kdf *kdf, int mode, char **cause)
{
	unsigned char *dk = NULL, *secret = NULL;
	struct vault_wr w;
	unsigned char salt[crypto_pwhash_argon2id_SALTBYTES];
	unsigned char nonce[VAULT_NONCEBYTES];
	unsigned char ct[64 + VAULT_TAGBYTES];
	unsigned long long clen;
	size_t head_len;
	int rc;

	vault__wr_init(&w, 0);
	if ((dk = sodium_malloc(VAULT_KEYBYTES)) == NULL || (secret = sodium_malloc(64)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	randombytes_buf(salt, sizeof(salt));
	if (crypto_pwhash(dk, VAULT_KEYBYTES, pass, passlen, salt, kdf->opslimit,
	    (size_t)kdf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		vault__cause(cause, "Argon2id could not get %llu bytes of memory",
		    (unsigned long long)kdf->memlimit);
		rc = VAULT_ENOMEM;
		goto out;
	}
	vault__wr_bytes(&w, VAULT_KEY_MAGIC, 8);
	vault__wr_u32(&w, KF_VERSION);
	vault__wr_u32(&w, (uint32_t)crypto_pwhash_ALG_ARGON2ID13);
	vault__wr_u64(&w, kdf->opslimit);
	vault__wr_u64(&w, kdf->memlimit);
	vault__wr_bytes(&w, salt, sizeof(salt));
	vault__wr_bytes(&w, k->pk, sizeof(k->pk));
	vault__wr_bytes(&w, k->sign_pk, sizeof(k->sign_pk));
	vault__wr_str(&w, k->name);
	if (w.oom) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	/* The secret: the X25519 key and the Ed25519 seed (the first half of
	 * libsodium's Ed25519 secret key). */
	memcpy(secret, k->sk, 32);
	memcpy(secret + 32, k->sign_sk, 32);
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, secret, 64, w.p, w.len, NULL, nonce,
	    dk);
	vault__wr_bytes(&w, nonce, sizeof(nonce));
	vault__wr_bytes(&w, ct, (size_t)clen);
	head_len = w.len;
	if (!w.oom)
		pins_write(k, w.p, head_len, &w);
	if (w.oom) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	rc = vault__write_atomic(path, w.p, w.len, mode, cause);
out:
	vault__wr_free(&w);
	sodium_free(dk);
	sodium_free(secret);
	return rc;
}

int
vault_key_create(const char *path, const char *name, const char *pass, size_t passlen,
    const struct vault_kdf *kdf, char **cause)
{
	struct vault_key *k = NULL;
	int rc;

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
	if ((k = key_alloc()) == NULL)
		return VAULT_ENOMEM;
	snprintf(k->name, sizeof(k->name), "%s", name);
	crypto_box_keypair(k->pk, k->sk);
	crypto_sign_keypair(k->sign_pk, k->sign_sk);
	rc = write_keyfile(path, k, pass, passlen, kdf, 1, cause);
	vault_key_free(k);
	return rc;
}

/* parse_keyfile checks a key file's structure and points at its parts. */
struct kf {
	uint32_t version;
	uint64_t ops, mem;
	const unsigned char *salt, *pk, *sign_pk, *nonce, *ct, *pins;
	size_t ad_len, ct_len, head_len, pins_len;
	char name[VAULT_NAME_MAX + 1];
};

static int
parse_keyfile(const char *path, const unsigned char *buf, size_t len, struct kf *kf,
    char **cause)
{
	struct vault_rd r = { buf, len, 0, 0 };
	const unsigned char *magic = vault__rd_take(&r, 8);
	uint32_t alg;

	memset(kf, 0, sizeof(*kf));
	kf->version = vault__rd_u32(&r);
	alg = vault__rd_u32(&r);
	if (magic == NULL || memcmp(magic, VAULT_KEY_MAGIC, 8) != 0) {
		vault__cause(cause, "%s: not a rollout vault key file", path);
		return VAULT_EKEYFILE;
	}
	if (!r.bad && kf->version > KF_VERSION) {
		vault__cause(cause, "%s: key file version %u is newer than this rollout understands",
		    path, (unsigned)kf->version);
		return VAULT_EVERSION;
	}
	kf->ops = vault__rd_u64(&r);
	kf->mem = vault__rd_u64(&r);
	kf->salt = vault__rd_take(&r, crypto_pwhash_argon2id_SALTBYTES);
	kf->pk = vault__rd_take(&r, crypto_box_PUBLICKEYBYTES);
	if (kf->version >= 2)
		kf->sign_pk = vault__rd_take(&r, crypto_sign_PUBLICKEYBYTES);
	vault__rd_str(&r, kf->name, VAULT_NAME_MAX);
	kf->ad_len = r.off;
	kf->nonce = vault__rd_take(&r, VAULT_NONCEBYTES);
	kf->ct_len = (kf->version >= 2 ? 64 : 32) + VAULT_TAGBYTES;
	kf->ct = vault__rd_take(&r, kf->ct_len);
	kf->head_len = r.off;
	kf->pins = buf + r.off;
	kf->pins_len = r.bad ? 0 : r.len - r.off;
	if (r.bad || (kf->version < 2 && r.off != r.len) || (kf->version >= 2 && r.off == r.len) ||
	    (kf->version != 1 && kf->version != 2) || alg != crypto_pwhash_ALG_ARGON2ID13 ||
	    !kdf_ok(kf->ops, kf->mem) || !vault__member_name_valid(kf->name)) {
		vault__cause(cause, "%s: the key file is damaged (bad structure or KDF limits); "
		    "restore it from your backup", path);
		return VAULT_EKEYFILE;
	}
	return VAULT_OK;
}

/* read_pins checks the pins' signature with the (authenticated) signing
 * key and loads them into k. */
static int
read_pins(const char *path, const struct kf *kf, const unsigned char *buf,
    struct vault_key *k, char **cause)
{
	struct vault_rd r = { kf->pins, kf->pins_len, 0, 0 };
	crypto_sign_state st;
	unsigned char hh[VAULT_HASHBYTES];
	const unsigned char *sig;
	uint32_t n, i;

	n = vault__rd_u32(&r);
	if (n > VAULT_MAX_PINS || (size_t)n * PIN_BYTES + VAULT_SIGBYTES != r.len - r.off)
		goto bad;
	if ((k->pins = calloc(n ? n : 1, sizeof(*k->pins))) == NULL)
		return VAULT_ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(k->pins[i].id, vault__rd_take(&r, VAULT_ID_BYTES), VAULT_ID_BYTES);
		memcpy(k->pins[i].roster, vault__rd_take(&r, VAULT_HASHBYTES), VAULT_HASHBYTES);
		k->pins[i].counter = vault__rd_u64(&r);
	}
	sig = vault__rd_take(&r, VAULT_SIGBYTES);
	crypto_generichash(hh, sizeof(hh), buf, kf->head_len, NULL, 0);
	crypto_sign_init(&st);
	crypto_sign_update(&st, (const unsigned char *)PINS_CTX, sizeof(PINS_CTX));
	crypto_sign_update(&st, hh, sizeof(hh));
	crypto_sign_update(&st, kf->pins, kf->pins_len - VAULT_SIGBYTES);
	if (crypto_sign_final_verify(&st, sig, k->sign_pk) != 0)
		goto bad;
	k->n_pins = n;
	return VAULT_OK;
bad:
	vault__cause(cause, "%s: the key file's record of the vaults it has verified (pins) was "
	    "altered; restore the key file from your backup", path);
	return VAULT_EKEYFILE;
}

int
vault_key_public_info(const char *path, struct vault_pubkey *out, char **cause)
{
	unsigned char *buf = NULL;
	size_t len;
	struct kf kf;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = vault__read_file(path, VAULT_MAX_KEYFILE, &buf, &len, cause)) != VAULT_OK)
		return rc;
	if ((rc = parse_keyfile(path, buf, len, &kf, cause)) == VAULT_OK) {
		memcpy(out->name, kf.name, strlen(kf.name) + 1);
		memcpy(out->pk, kf.pk, VAULT_PUBLICKEYBYTES);
		if (kf.sign_pk)
			memcpy(out->sign_pk, kf.sign_pk, VAULT_PUBLICKEYBYTES);
		out->version = kf.version;
	}
	free(buf);
	return rc;
}

int
vault_key_public(const char *path, char *name, unsigned char pk[VAULT_PUBLICKEYBYTES],
    char **cause)
{
	struct vault_pubkey pub;
	int rc = vault_key_public_info(path, &pub, cause);

	if (rc == VAULT_OK) {
		memcpy(name, pub.name, strlen(pub.name) + 1);
		memcpy(pk, pub.pk, VAULT_PUBLICKEYBYTES);
	}
	return rc;
}

/* key_unlock opens a key file of either version; *kdf gets its cost. */
static int
key_unlock(const char *path, const char *pass, size_t passlen, struct vault_key **out,
    struct vault_kdf *kdf, char **cause)
{
	struct vault_key *k = NULL;
	unsigned char *dk = NULL, *buf = NULL, *secret = NULL;
	unsigned char check[crypto_sign_PUBLICKEYBYTES];
	unsigned long long mlen;
	size_t len;
	struct kf kf;
	int rc;

	*out = NULL;
	if ((rc = vault__read_file(path, VAULT_MAX_KEYFILE, &buf, &len, cause)) != VAULT_OK)
		return rc;
	if ((rc = parse_keyfile(path, buf, len, &kf, cause)) != VAULT_OK)
		goto out;
	if ((k = key_alloc()) == NULL || (dk = sodium_malloc(VAULT_KEYBYTES)) == NULL ||
	    (secret = sodium_malloc(64)) == NULL) {
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
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &mlen, NULL, kf.ct, kf.ct_len, buf,
	    kf.ad_len, kf.nonce, dk) != 0) {
		vault__cause(cause, "%s: wrong passphrase for member '%s' (or the key file was "
		    "altered); try again", path, kf.name);
		rc = VAULT_EPASSPHRASE;
		goto out;
	}
	memcpy(k->sk, secret, 32);
	crypto_scalarmult_base(check, k->sk);
	if (sodium_memcmp(check, kf.pk, 32) != 0) {
		vault__cause(cause, "%s: the public key does not match the secret key", path);
		rc = VAULT_EKEYFILE;
		goto out;
	}
	memcpy(k->pk, kf.pk, sizeof(k->pk));
	memcpy(k->name, kf.name, sizeof(k->name));
	k->version = kf.version;
	if (kf.version >= 2) {
		crypto_sign_seed_keypair(check, k->sign_sk, secret + 32);
		if (sodium_memcmp(check, kf.sign_pk, 32) != 0) {
			vault__cause(cause, "%s: the signing key does not match its public half", path);
			rc = VAULT_EKEYFILE;
			goto out;
		}
		memcpy(k->sign_pk, kf.sign_pk, 32);
		if ((rc = read_pins(path, &kf, buf, k, cause)) != VAULT_OK)
			goto out;
		if ((k->head = malloc(kf.head_len)) == NULL) {
			rc = VAULT_ENOMEM;
			goto out;
		}
		memcpy(k->head, buf, kf.head_len);
		k->head_len = kf.head_len;
	}
	if ((k->path = strdup(path)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	if (kdf) {
		kdf->opslimit = kf.ops;
		kdf->memlimit = kf.mem;
	}
	*out = k;
	k = NULL;
out:
	vault_key_free(k);
	sodium_free(dk);
	sodium_free(secret);
	free(buf);
	return rc;
}

int
vault_key_unlock(const char *path, const char *pass, size_t passlen, struct vault_key **out,
    char **cause)
{
	return key_unlock(path, pass, passlen, out, NULL, cause);
}

int
vault_key_upgrade(const char *path, const char *pass, size_t passlen, char **cause)
{
	struct vault_key *k = NULL;
	struct vault_kdf kdf;
	int rc;

	if ((rc = key_unlock(path, pass, passlen, &k, &kdf, cause)) != VAULT_OK)
		return rc;
	if (k->version >= KF_VERSION) {
		vault_key_free(k);
		return VAULT_EEXIST;
	}
	crypto_sign_keypair(k->sign_pk, k->sign_sk);
	k->version = KF_VERSION;
	rc = write_keyfile(path, k, pass, passlen, &kdf, 2, cause);
	vault_key_free(k);
	return rc;
}
