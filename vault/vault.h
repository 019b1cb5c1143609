/*
 * vault.h - the password vault: administrator passwords sealed with
 * libsodium and bound to a roster of authorised handlers.
 *
 * A vault file holds a random vault key sealed once per roster member
 * (crypto_box_seal to the member's X25519 public key) and entries encrypted
 * under that key. Every save is signed (Ed25519) by the member who made it,
 * and every roster change by a member of the roster before it. Each
 * member's secret keys live in their own key file, encrypted under a key
 * that Argon2id derives from the member's passphrase; the key file also
 * pins, for every vault it has opened, the vault id, the roster it last
 * verified and the highest counter it has seen, so a file that no member
 * signed, or an older one, is refused even without the state store.
 * vault/FORMAT.md describes the bytes, the cryptography and the threat model.
 *
 * This library knows nothing of the engine. Every fallible function returns
 * 0 or a negative VAULT_E* code; functions that can fail for a reason a
 * person must act on also take `char **cause`, which (when not NULL) receives
 * a malloc'd sentence saying what and where. Causes never contain a secret.
 *
 * Secrets (passphrases, secret keys, the vault key, decrypted values) live
 * in sodium_malloc'd, mlocked memory and are zeroed when freed; core dumps
 * are disabled while any key or vault is open. The library is not
 * thread-safe per object: one struct vault is used by one thread at a time.
 */
#ifndef VAULT_H
#define VAULT_H

#include <stddef.h>
#include <stdint.h>

enum {
	VAULT_OK = 0,
	VAULT_ENOMEM = -1,       /* out of memory (or mlock refused) */
	VAULT_EIO = -2,          /* a file could not be read or written */
	VAULT_EPASSPHRASE = -3,  /* wrong passphrase for the key file */
	VAULT_ENOTMEMBER = -4,   /* the key is not on the vault's roster */
	VAULT_ETAMPER_HEADER = -5, /* the header failed authentication */
	VAULT_ETAMPER_SLOT = -6,   /* a roster slot failed authentication */
	VAULT_ETAMPER_INDEX = -7,  /* the entry table failed authentication */
	VAULT_ETAMPER_ENTRY = -8,  /* an entry failed authentication */
	VAULT_ETRUNCATED = -9,   /* the file is shorter or longer than it says */
	VAULT_EROLLBACK = -10,   /* an older copy of the vault was put back */
	VAULT_EVERSION = -11,    /* written by a newer format version */
	VAULT_ELOCKED = -12,     /* another writer holds the vault's lock */
	VAULT_EPOLICY = -13,     /* a value breaks the password policy */
	VAULT_ENOENT = -14,      /* no such file, entry, version or member */
	VAULT_EEXIST = -15,      /* the file, entry or member already exists */
	VAULT_EINVAL = -16,      /* a malformed argument (name, size, limits) */
	VAULT_ESTATE = -17,      /* not allowed now (e.g. removing the last member) */
	VAULT_EKEYFILE = -18,    /* the key file is damaged or not a key file */
	VAULT_EFORGED = -19,     /* not signed by a member the reader's key trusts */
	VAULT_EUNTRUSTED = -20,  /* the key file has never verified this vault */
	VAULT_EMIGRATE = -21,    /* an older format: run `rollout vault migrate` */
};

/* vault_strerror returns a short English description of a VAULT_E* code. */
const char *vault_strerror(int rc);

/* vault_is_tamper is true for the codes that mean "the file was altered". */
int vault_is_tamper(int rc);

/* Limits. Entry names are "host/credential", each part [A-Za-z0-9._-]. */
#define VAULT_NAME_MAX 127
#define VAULT_ACTOR_MAX 63
#define VAULT_VALUE_MAX 1024
#define VAULT_PASSPHRASE_MAX 1024
#define VAULT_HISTORY 6 /* previous versions kept per entry */
#define VAULT_VERSIONS_MAX (VAULT_HISTORY + 2)
#define VAULT_PUBLICKEYBYTES 32
#define VAULT_ID_HEX 33 /* 16 bytes as hex, plus NUL */

/* ---- Secrets handed out by the library ------------------------------ */

/* A secret value in locked memory; free it as soon as it has been used. */
struct vault_secret;
const unsigned char *vault_secret_data(const struct vault_secret *s);
size_t vault_secret_len(const struct vault_secret *s);
/* vault_secret_new copies len bytes into a new locked secret. */
int vault_secret_new(const void *data, size_t len, struct vault_secret **out);
void vault_secret_free(struct vault_secret *s); /* zeroes; accepts NULL */

/* ---- Member key files ----------------------------------------------- */

/* Argon2id cost. VAULT_KDF_MIN is for tests only (tens of thousands of
 * guesses per second per core); the default is MODERATE. */
struct vault_kdf {
	uint64_t opslimit;
	uint64_t memlimit;
};
extern const struct vault_kdf VAULT_KDF_MIN;
extern const struct vault_kdf VAULT_KDF_INTERACTIVE;
extern const struct vault_kdf VAULT_KDF_MODERATE;
extern const struct vault_kdf VAULT_KDF_SENSITIVE;

/* An unlocked member key (name, X25519 and Ed25519 key pairs, and the
 * pins of the vaults it has opened) in locked memory. */
struct vault_key;

/* What anyone may read of a key file. version 1 has no signing key. */
struct vault_pubkey {
	char name[VAULT_NAME_MAX + 1];
	unsigned char pk[VAULT_PUBLICKEYBYTES];
	unsigned char sign_pk[VAULT_PUBLICKEYBYTES];
	unsigned version;
};

/*
 * vault_key_create writes a new key file at path (mode 0600, atomically;
 * VAULT_EEXIST if it exists) for member name, with a fresh key pair sealed
 * under the passphrase. kdf NULL means VAULT_KDF_MODERATE.
 */
int vault_key_create(const char *path, const char *name, const char *pass, size_t passlen,
    const struct vault_kdf *kdf, char **cause);

/* vault_key_unlock runs Argon2id and opens the key file: VAULT_EPASSPHRASE
 * when the passphrase is wrong. This is the slow step (about a second). */
int vault_key_unlock(const char *path, const char *pass, size_t passlen,
    struct vault_key **out, char **cause);

/* vault_key_public reads a key file's member name and public key, which are
 * not secret, without the passphrase. name must hold VAULT_NAME_MAX + 1. */
int vault_key_public(const char *path, char *name, unsigned char pk[VAULT_PUBLICKEYBYTES],
    char **cause);

/* vault_key_public_info reads every public part of a key file. */
int vault_key_public_info(const char *path, struct vault_pubkey *out, char **cause);

const char *vault_key_name(const struct vault_key *k);
unsigned vault_key_version(const struct vault_key *k);
void vault_key_free(struct vault_key *k); /* zeroes; accepts NULL */

/*
 * vault_key_trust lets the next vault_open accept a vault this key has
 * never opened, if the vault's fingerprint (64 hex digits, see
 * vault_fingerprint) is fp: the first pin of a new member. VAULT_EINVAL if
 * fp is not 64 hex digits.
 */
int vault_key_trust(struct vault_key *k, const char *fp);

/*
 * vault_key_upgrade rewrites a version-1 key file as version 2 with a new
 * Ed25519 signing key, under the same passphrase and Argon2id cost.
 * VAULT_EEXIST when the file already is version 2.
 */
int vault_key_upgrade(const char *path, const char *pass, size_t passlen, char **cause);

/* vault_passphrase_check says why a new passphrase is too weak (static
 * text in *why), or 0: at least 15 characters, not only spaces, and at
 * least 6 different characters. */
int vault_passphrase_check(const void *pass, size_t len, const char **why);

/* vault_protect switches core dumps and ptrace off (on != 0) or restores
 * them (on == 0, once per earlier call): for callers that hold secrets of
 * their own, e.g. a plaintext notice being imported. */
void vault_protect(int on);

/* ---- Signing messages with a member key ---------------------------- */

#define VAULT_SIGNATUREBYTES 64

/* vault_key_sign_public copies the key's Ed25519 public key (VAULT_EMIGRATE
 * for a version-1 key file, which has none). */
int vault_key_sign_public(const struct vault_key *k, unsigned char pk[VAULT_PUBLICKEYBYTES]);

/*
 * vault_key_sign_message signs msg for the purpose named by ctx (a short
 * non-empty string such as "rollout-approval-v1") with the member's Ed25519
 * key. A signature for one ctx never verifies for another, nor as any of
 * the vault's own signatures. VAULT_EMIGRATE for a version-1 key file.
 */
int vault_key_sign_message(const struct vault_key *k, const char *ctx, const void *msg,
    size_t len, unsigned char sig[VAULT_SIGNATUREBYTES]);

/* vault_message_verify checks such a signature against a public signing
 * key: VAULT_OK, or VAULT_EFORGED when it does not verify. */
int vault_message_verify(const unsigned char pk[VAULT_PUBLICKEYBYTES], const char *ctx,
    const void *msg, size_t len, const unsigned char sig[VAULT_SIGNATUREBYTES]);

/* ---- The vault ------------------------------------------------------ */

struct vault;

enum vault_state {
	VAULT_CURRENT = 0,  /* the value the host has now */
	VAULT_PENDING = 1,  /* a new value not yet applied to the host */
	VAULT_PREVIOUS = 2, /* history, newest first */
};
const char *vault_state_name(enum vault_state s);

enum {
	VAULT_OPEN_READ = 0,
	VAULT_OPEN_WRITE = 1, /* take the writer's lock for the vault's life */
	VAULT_OPEN_MIGRATE = 2, /* also accept a version-1 file, for vault_upgrade */
};

/*
 * vault_create makes a new vault at path with key's member as its only
 * member and writes it (counter 1), signed by key, and pins it in key's
 * file. VAULT_EEXIST if path exists. The vault stays open for writing; the
 * caller frees it with vault_close, before freeing key.
 */
int vault_create(const char *path, struct vault_key *key, int64_t now,
    struct vault **out, char **cause);

/*
 * vault_open reads and authenticates the vault at path with key.
 * min_counter is the last header counter recorded outside the file (the
 * state store); a file whose counter is lower was put back from an older
 * copy and is refused with VAULT_EROLLBACK. Every entry's ciphertext is
 * checked against the authenticated entry table, so a vault that opens has
 * no altered byte. With VAULT_OPEN_WRITE the writer's lock is taken first
 * (VAULT_ELOCKED if another process holds it) and kept until vault_close.
 *
 * The file must be signed by a member whose roster descends, by signed
 * roster changes, from the roster key's file pinned for this vault id
 * (else VAULT_EFORGED), and its counter must not be lower than the pinned
 * one (VAULT_EROLLBACK). A vault id the key has never pinned is refused
 * (VAULT_EUNTRUSTED) unless vault_key_trust named its fingerprint. After a
 * successful open the pin is moved forward (and the key file rewritten).
 * key must outlive the vault. A version-1 file is VAULT_EMIGRATE unless
 * flags has VAULT_OPEN_MIGRATE.
 */
int vault_open(const char *path, struct vault_key *key, uint64_t min_counter,
    int flags, struct vault **out, char **cause);

/* vault_close drops the lock and zeroes the keys; accepts NULL. Unsaved
 * changes are lost. */
void vault_close(struct vault *v);

/* vault_save writes the vault atomically (temp file, fsync, rename, fsync
 * of the directory) with its counter increased by one, signed by the
 * opener's key, and moves the key's pin forward. Needs WRITE. */
int vault_save(struct vault *v, char **cause);

/* The header counter of the vault as last read or saved, and the vault id
 * (32 hex digits), which names the vault in the state store. */
uint64_t vault_counter(const struct vault *v);
const char *vault_id(const struct vault *v);
/* The fingerprint (64 hex digits): the hash of the first, signed roster.
 * A new member passes it to vault_key_trust for their first open. */
const char *vault_fingerprint(const struct vault *v);
/* The format version of the file as read (1 only under VAULT_OPEN_MIGRATE). */
unsigned vault_version(const struct vault *v);
/* The member who signed the file as read (NULL for version 1). */
const char *vault_signer(const struct vault *v);
/* The current roster's hash (64 hex digits; "" for version 1), and whether
 * a roster hash recorded elsewhere (the state store) is in this vault's
 * signed roster history, i.e. the current roster descends from it. */
const char *vault_roster(const struct vault *v);
int vault_roster_known(const struct vault *v, const char *roster_hex);
/* vault_dirty is true when there are changes not yet saved. */
int vault_dirty(const struct vault *v);

/* Roster. */
size_t vault_member_count(const struct vault *v);
const char *vault_member_name(const struct vault *v, size_t i);
int64_t vault_member_added(const struct vault *v, size_t i);
/* vault_member_add adds a member (their encryption and signing public
 * keys) and records the change in the roster's history, signed by the
 * opener. */
int vault_member_add(struct vault *v, const char *name,
    const unsigned char pk[VAULT_PUBLICKEYBYTES],
    const unsigned char sign_pk[VAULT_PUBLICKEYBYTES], int64_t now);
/* vault_member_remove drops a member and re-keys the vault: a new vault key
 * is sealed to the remaining members and every entry is re-encrypted, so
 * the removed member's key opens nothing written after the next save. */
int vault_member_remove(struct vault *v, const char *name);

/*
 * vault_upgrade turns a version-1 vault opened with VAULT_OPEN_MIGRATE into
 * version 2: every member's signing key is taken from members (matched by
 * name and encryption key; VAULT_ENOENT naming the first member missing or
 * still on a version-1 key file), and the roster's history starts with the
 * opener's signature. The next vault_save writes version 2.
 */
int vault_upgrade(struct vault *v, const struct vault_pubkey *members, size_t n,
    char **cause);

/* Entries, sorted by name. */
int vault_name_valid(const char *name);
size_t vault_entry_count(const struct vault *v);
const char *vault_entry_name(const struct vault *v, size_t i);

struct vault_version {
	uint32_t seq; /* 1, 2, ... per entry */
	enum vault_state state;
	int64_t created_at;
	int64_t changed_at; /* when it last changed state */
	char created_by[VAULT_ACTOR_MAX + 1];
	char changed_by[VAULT_ACTOR_MAX + 1];
};

/* What a listing may show: never a value. */
struct vault_entry_info {
	char name[VAULT_NAME_MAX + 1];
	uint64_t revision; /* bumped by every change; bound into the AEAD */
	size_t n_versions; /* current and pending first, then history */
	struct vault_version versions[VAULT_VERSIONS_MAX];
};

int vault_entry_info(struct vault *v, const char *name, struct vault_entry_info *out);

/*
 * vault_put stores value as a new version of name (created if absent).
 * state VAULT_CURRENT: the old current becomes history. VAULT_PENDING: a
 * pending value that is replaced becomes history (nothing is ever dropped
 * but the oldest history beyond VAULT_HISTORY).
 */
int vault_put(struct vault *v, const char *name, const void *value, size_t len,
    enum vault_state state, const char *actor, int64_t now);

/* vault_commit makes the pending version current (the old current becomes
 * history): the step after a rotation has been verified on the host. */
int vault_commit(struct vault *v, const char *name, const char *actor, int64_t now);

/* vault_get decrypts one version: VAULT_CURRENT, VAULT_PENDING or
 * VAULT_PREVIOUS (the newest history). */
int vault_get(struct vault *v, const char *name, enum vault_state state,
    struct vault_secret **out);

/* vault_verify decrypts every entry and checks its structure. */
int vault_verify(struct vault *v, char **cause);

/* ---- Password policy ------------------------------------------------ */

struct vault_policy {
	size_t min_len;
	size_t max_len;
	int min_classes;    /* of lower, upper, digit, symbol */
	const char *symbols; /* the symbols allowed (and used by generate) */
	size_t gen_len;     /* the length generate makes */
};

/* The city's default: 14..64 printable ASCII, no spaces or quotes, at least
 * 3 character classes; generate makes 20 characters of all 4 classes. */
extern const struct vault_policy VAULT_POLICY_DEFAULT;

/* vault_policy_check returns VAULT_EPOLICY with a reason in *why (static
 * text, never the value) when value breaks the policy. */
int vault_policy_check(const struct vault_policy *p, const void *value, size_t len,
    const char **why);

/* vault_generate makes a random value that satisfies the policy. */
int vault_generate(const struct vault_policy *p, struct vault_secret **out);

#endif
