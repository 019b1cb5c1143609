/*
 * jhash.h - the journal's hashing: SHA-256 and HMAC-SHA-256 over a list of
 * fields in the journal's field encoding (docs/STORE.md, "Journal").
 *
 * The values are exactly those libsodium's crypto_hash_sha256 and
 * crypto_auth_hmacsha256 give for the same bytes (tests/unit/test_jhash.c
 * checks it); the work is done by OpenSSL's libcrypto, whose SHA-256 uses
 * the CPU's SHA extensions where it has them, which libsodium's does not.
 * Verifying a long journal is mostly this hashing (docs/PERFORMANCE.md).
 */
#ifndef RO_JHASH_H
#define RO_JHASH_H

#include <stddef.h>

#define RO_JHASH_BYTES 32
#define RO_JHASH_HEX 64

struct ro_jhash;

/* ro_jhash_new returns a hasher without a key (hashing only), or NULL if
 * libcrypto has no SHA-256. */
struct ro_jhash *ro_jhash_new(void);

/* ro_jhash_free wipes the key's state and the encoding buffer and frees h. */
void ro_jhash_free(struct ro_jhash *h);

/* ro_jhash_set_key keys h for ro_jhash_mac (HMAC-SHA-256, key of at most
 * 64 bytes); the key itself is not kept, only the HMAC state after it. */
int ro_jhash_set_key(struct ro_jhash *h, const unsigned char *key, size_t len);

/*
 * ro_jhash_fields writes the SHA-256 of the n fields f (a NULL field is
 * encoded as the byte 0x00; any other as 0x01, its length as 8 big-endian
 * bytes and its bytes) into out. ro_jhash_mac does the same with
 * HMAC-SHA-256 under the key; it fails if h has none. Both return 0 or a
 * negative error.
 */
int ro_jhash_fields(struct ro_jhash *h, const char *const *f, size_t n,
    unsigned char out[RO_JHASH_BYTES]);
int ro_jhash_mac(struct ro_jhash *h, const char *const *f, size_t n,
    unsigned char out[RO_JHASH_BYTES]);

/* ro_jhash_hex writes md as 64 lower-case hex digits and a NUL. */
void ro_jhash_hex(const unsigned char md[RO_JHASH_BYTES], char out[RO_JHASH_HEX + 1]);

#endif
