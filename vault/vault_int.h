/*
 * vault_int.h - what the vault's own files share with each other (and with
 * the vault's tests and fuzz target). Not part of the public contract.
 */
#ifndef VAULT_INT_H
#define VAULT_INT_H

#include "vault.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define VAULT_FORMAT_VERSION 2u /* written; version 1 is read by migrate only */
#define VAULT_FORMAT_V1 1u
#define VAULT_MAGIC "ROVAULT\0"
#define VAULT_KEY_MAGIC "ROVKEY\0\0"
#define VAULT_ID_BYTES 16
#define VAULT_KEYBYTES 32
#define VAULT_HASHBYTES 32
#define VAULT_NONCEBYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define VAULT_TAGBYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define VAULT_SEALED_KEYBYTES (VAULT_KEYBYTES + crypto_box_SEALBYTES)
#define VAULT_SIGBYTES crypto_sign_BYTES
#define VAULT_SIGN_SKBYTES crypto_sign_SECRETKEYBYTES

/* Header layout (little-endian), see FORMAT.md. Version 1 ends at 168;
 * version 2 adds the roster chain and the writer's signature after it. */
#define VAULT_HDR_LEN_V1 168
#define VAULT_HDR_LEN 280
#define VAULT_HDR_OFF_VERSION 8
#define VAULT_HDR_OFF_HDRLEN 12
#define VAULT_HDR_OFF_ID 16
#define VAULT_HDR_OFF_COUNTER 32
#define VAULT_HDR_OFF_NSLOTS 40
#define VAULT_HDR_OFF_NENTRIES 44
#define VAULT_HDR_OFF_SLOTSLEN 48
#define VAULT_HDR_OFF_INDEXLEN 56
#define VAULT_HDR_OFF_RECLEN 64
#define VAULT_HDR_AD_LEN 72 /* bytes 0..71: the index's associated data */
#define VAULT_HDR_OFF_SLOTSHASH 72
#define VAULT_HDR_OFF_INDEXHASH 104
#define VAULT_HDR_OFF_MAC 136
#define VAULT_HDR_OFF_CHAINLEN 168
#define VAULT_HDR_OFF_NCHAIN 176
#define VAULT_HDR_OFF_SIGNER 180
#define VAULT_HDR_OFF_CHAINHASH 184
#define VAULT_HDR_OFF_SIG 216

/* Sub-key ids under the vault key (crypto_kdf, context "rovault1"). */
#define VAULT_KDF_CTX "rovault1"
enum { VAULT_SUBKEY_MAC = 1, VAULT_SUBKEY_INDEX = 2, VAULT_SUBKEY_ENTRY = 3 };

/* Hard limits a parser enforces before allocating anything. */
#define VAULT_MAX_MEMBERS 1024
#define VAULT_MAX_ENTRIES 1000000
#define VAULT_MAX_CHAIN 4096 /* roster changes kept in a vault file */
#define VAULT_MAX_PINS 4096  /* vaults one key file remembers */
/* A vault file larger than this is refused before it is read: 1,000,000
 * entries of realistic size fit in a few hundred MiB at most. */
#define VAULT_MAX_FILE ((uint64_t)256 << 20)
#define VAULT_MAX_KEYFILE ((uint64_t)1 << 20)

struct vault_secret {
	size_t len;
	unsigned char data[]; /* the whole struct is sodium_malloc'd */
};

/* vault__secret_alloc allocates a secret of len bytes (plus a NUL). The
 * size is rounded up to 16 because sodium_malloc places a block against
 * its guard page, so only sizes that are multiples of the alignment come
 * back aligned. */
struct vault_secret *vault__secret_alloc(size_t len);

/* What a key file remembers of a vault it opened (FORMAT.md, "Pins"). */
struct vault_pin {
	unsigned char id[VAULT_ID_BYTES];
	unsigned char roster[VAULT_HASHBYTES]; /* hash of the roster last verified */
	uint64_t counter;                      /* the highest counter seen */
};

/* The struct is sodium_malloc'd; the pointers in it (not secret) are
 * malloc'd and freed by vault_key_free. */
struct vault_key {
	char name[VAULT_NAME_MAX + 1];
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sk[crypto_box_SECRETKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
	uint32_t version;    /* key file version; 1 has no signing key */
	char *path;          /* the key file; NULL for a key made from a seed */
	unsigned char *head; /* the key file's bytes before its pins */
	size_t head_len;
	struct vault_pin *pins;
	size_t n_pins;
	int have_trust;      /* vault_key_trust was called */
	unsigned char trust[VAULT_HASHBYTES];
};

struct vault_slot {
	char name[VAULT_NAME_MAX + 1];
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES]; /* zero in version 1 */
	int64_t added_at;
	unsigned char sealed[VAULT_SEALED_KEYBYTES];
};

/* One entry as the table knows it: its ciphertext stays as read (or as
 * last re-encrypted) so that a save does not touch other entries. */
struct vault_rec {
	char name[VAULT_NAME_MAX + 1];
	uint64_t revision;
	const unsigned char *blob; /* nonce || ciphertext || tag */
	uint32_t blob_len;
	unsigned char *owned; /* malloc'd when blob is not inside the image */
	unsigned char hash[VAULT_HASHBYTES];
};

/* The vault's keys, in one locked allocation. */
struct vault_keys {
	unsigned char vault_key[VAULT_KEYBYTES];
	unsigned char mac_key[VAULT_KEYBYTES];
	unsigned char index_key[VAULT_KEYBYTES];
	unsigned char entry_key[VAULT_KEYBYTES];
};

struct vault {
	char *path;
	int lock_fd; /* -1 when opened for reading */
	uint32_t version; /* of the file as read (1 only under VAULT_OPEN_MIGRATE) */
	struct vault_key *key; /* the opener's key; must outlive the vault */
	unsigned char *chain;  /* the signed roster history, as written */
	size_t chain_len;
	uint32_t n_chain;
	unsigned char roster_hash[VAULT_HASHBYTES]; /* of the last chain record */
	unsigned char *hashes; /* every record's roster hash, n_chain of them */
	char roster_hex[2 * VAULT_HASHBYTES + 1];
	unsigned char fp[VAULT_HASHBYTES];          /* of the first: the fingerprint */
	char fp_hex[2 * VAULT_HASHBYTES + 1];
	char signer[VAULT_NAME_MAX + 1]; /* who signed the file as read or saved */
	unsigned char id[VAULT_ID_BYTES];
	char id_hex[VAULT_ID_HEX];
	uint64_t counter;
	int dirty;
	struct vault_keys *keys;
	struct vault_slot *slots;
	size_t n_slots;
	struct vault_rec *recs; /* sorted by name */
	size_t n_recs;
	size_t cap_recs;
	unsigned char *image; /* the file as read; recs' blobs point into it */
	size_t image_len;
};

/* The file's structure before any key is used (format.c). */
struct vault_parsed {
	uint32_t version;
	size_t hdr_len;
	const unsigned char *chain; /* version 2 */
	size_t chain_len;
	uint32_t n_chain;
	uint32_t signer;
	unsigned char id[VAULT_ID_BYTES];
	uint64_t counter;
	uint32_t n_slots;
	uint32_t n_entries;
	const unsigned char *header; /* VAULT_HDR_LEN bytes */
	const unsigned char *slots;
	size_t slots_len;
	const unsigned char *index; /* nonce || ciphertext || tag */
	size_t index_len;
	const unsigned char *records;
	size_t records_len;
};

/* Little-endian helpers. */
static inline void
vault__put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline void
vault__put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint32_t
vault__get32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static inline uint64_t
vault__get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* A bounded reader over a byte string; any overrun sets bad. */
struct vault_rd {
	const unsigned char *p;
	size_t len;
	size_t off;
	int bad;
};
const unsigned char *vault__rd_take(struct vault_rd *r, size_t n);
uint8_t vault__rd_u8(struct vault_rd *r);
uint16_t vault__rd_u16(struct vault_rd *r);
uint32_t vault__rd_u32(struct vault_rd *r);
uint64_t vault__rd_u64(struct vault_rd *r);
/* Reads a u16-length-prefixed string of at most max bytes into out
 * (max + 1 bytes), rejecting embedded NULs. */
void vault__rd_str(struct vault_rd *r, char *out, size_t max);

/* A growable output buffer; wipe says whether to zero it on growth/free
 * (plaintexts) — such buffers use sodium_malloc. */
struct vault_wr {
	unsigned char *p;
	size_t len;
	size_t cap;
	int secure;
	int oom;
};
void vault__wr_init(struct vault_wr *w, int secure);
void vault__wr_free(struct vault_wr *w);
void vault__wr_bytes(struct vault_wr *w, const void *p, size_t n);
void vault__wr_u8(struct vault_wr *w, uint8_t v);
void vault__wr_u16(struct vault_wr *w, uint16_t v);
void vault__wr_u32(struct vault_wr *w, uint32_t v);
void vault__wr_u64(struct vault_wr *w, uint64_t v);
void vault__wr_str(struct vault_wr *w, const char *s);

/* cause helpers and name checks (vault.c). */
int vault__member_name_valid(const char *name);
void vault__cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* format.c: structure of the file image and of the plaintexts inside. */
int vault__parse_image(const unsigned char *buf, size_t len, struct vault_parsed *out,
    char **cause);
int vault__parse_slots(const struct vault_parsed *pp, struct vault_slot **out, char **cause);
int vault__parse_index(const unsigned char *plain, size_t len, const struct vault_parsed *pp,
    struct vault_rec **out, size_t *n, char **cause);
int vault__serialize(const struct vault *v, uint64_t counter, struct vault_wr *out);

/* Decrypted entry record (vault.c). */
struct vault_plain_version {
	struct vault_version meta;
	uint32_t value_len;
	unsigned char value[VAULT_VALUE_MAX];
};
struct vault_plain {
	char name[VAULT_NAME_MAX + 1];
	size_t n;
	struct vault_plain_version v[VAULT_VERSIONS_MAX];
};
/* Parses a record plaintext into p (which lives in locked memory). */
int vault__parse_record(const unsigned char *plain, size_t len, struct vault_plain *p);
void vault__write_record(const struct vault_plain *p, struct vault_wr *w);

/* keyfile.c */
int vault__key_from_seed(const char *name, const unsigned char seed[32],
    struct vault_key **out);
/* Records what key now knows of a vault and, for a key from a file,
 * rewrites the file's signed pins. Never lowers a counter. */
int vault__pin_update(struct vault_key *k, const unsigned char id[VAULT_ID_BYTES],
    const unsigned char roster[VAULT_HASHBYTES], uint64_t counter, char **cause);
const struct vault_pin *vault__pin_find(const struct vault_key *k,
    const unsigned char id[VAULT_ID_BYTES]);

/* sign.c: the roster, its signed history and the writer's signature. */
void vault__roster_bytes(const struct vault_slot *s, size_t n, struct vault_wr *w);
void vault__roster_hash(const unsigned char id[VAULT_ID_BYTES], uint32_t seq,
    const unsigned char prev[VAULT_HASHBYTES], const unsigned char *rb, size_t len,
    unsigned char out[VAULT_HASHBYTES]);
/* Checks every record of pp's chain against the roster before it and the
 * last against slots; *hashes receives n_chain roster hashes (malloc'd). */
int vault__chain_verify(const char *path, const struct vault_parsed *pp,
    const struct vault_slot *slots, unsigned char **hashes, char **cause);
/* Appends a record for v's current roster, signed by k, whose signing key
 * must be at index signer of the roster before (or of this one, first). */
int vault__chain_append(struct vault *v, const struct vault_key *k, uint32_t signer);
/* The index of k's signing key in v's roster, or -1. */
long vault__signer_index(const struct vault *v, const struct vault_key *k);
void vault__sign_image(unsigned char *img, size_t len, const struct vault_key *k,
    uint32_t signer);
int vault__image_sig_ok(const struct vault_parsed *pp, const struct vault_slot *slots);

/* atomic.c: locking, atomic replacement, whole-file reads, core dumps. */
int vault__lock(const char *path, int *fd_out, char **cause);
void vault__unlock(int fd);
int vault__write_atomic(const char *path, const unsigned char *data, size_t len,
    int exclusive, char **cause);
int vault__read_file(const char *path, uint64_t max, unsigned char **out, size_t *len,
    char **cause);
void vault__protect_begin(void);
void vault__protect_end(void);

/* vault.c: open a vault from an image already in memory (tests, fuzzing). */
int vault__open_image(const char *path, unsigned char *image, size_t len,
    struct vault_key *key, uint64_t min_counter, int flags, struct vault **out, char **cause);

#endif
