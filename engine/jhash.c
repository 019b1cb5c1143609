/*
 * jhash.c - the journal's SHA-256 and HMAC-SHA-256 through OpenSSL's EVP
 * interface (see jhash.h for why not libsodium's).
 *
 * A record's fields are encoded into one reusable buffer and hashed with a
 * single update: the journal has many small fields and each update has a
 * fixed cost. The HMAC is computed by hand from two SHA-256 states saved
 * after the key's inner and outer pads (RFC 2104), so a record's MAC costs
 * three compression-function calls and no key schedule; the result is
 * HMAC-SHA-256 bit for bit.
 */
#include "jhash.h"

#include "error.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#define BLOCK 64

struct ro_jhash {
	EVP_MD *md;
	EVP_MD_CTX *work;
	EVP_MD_CTX *inner, *outer; /* after key^ipad and key^opad; NULL unkeyed */
	unsigned char *buf;         /* the encoded fields of one call */
	size_t cap;
};

struct ro_jhash *
ro_jhash_new(void)
{
	struct ro_jhash *h = ro_xcalloc(1, sizeof *h);

	/* Fetched once: fetching by name on every record costs a lock and a
	 * lookup. */
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->work = EVP_MD_CTX_new();
	if (h->md == NULL || h->work == NULL) {
		ro_jhash_free(h);
		return NULL;
	}
	return h;
}

void
ro_jhash_free(struct ro_jhash *h)
{
	if (h == NULL)
		return;
	/* EVP_MD_CTX_free cleanses the digest state (the key's pads live in
	 * inner and outer) before freeing it. */
	EVP_MD_CTX_free(h->inner);
	EVP_MD_CTX_free(h->outer);
	EVP_MD_CTX_free(h->work);
	EVP_MD_free(h->md);
	if (h->buf != NULL)
		OPENSSL_cleanse(h->buf, h->cap);
	free(h->buf);
	free(h);
}

/* pad_state starts c and feeds it the key padded to a block and XORed
 * with x. */
static int
pad_state(struct ro_jhash *h, EVP_MD_CTX *c, const unsigned char *key, size_t len,
    unsigned char x)
{
	unsigned char pad[BLOCK];
	size_t i;
	int ok;

	for (i = 0; i < BLOCK; i++)
		pad[i] = (unsigned char)((i < len ? key[i] : 0) ^ x);
	ok = EVP_DigestInit_ex2(c, h->md, NULL) && EVP_DigestUpdate(c, pad, sizeof pad);
	OPENSSL_cleanse(pad, sizeof pad);
	return ok ? 0 : RO_EIO;
}

int
ro_jhash_set_key(struct ro_jhash *h, const unsigned char *key, size_t len)
{
	if (len > BLOCK)
		return RO_EINVAL;
	if (h->inner == NULL && (h->inner = EVP_MD_CTX_new()) == NULL)
		return RO_ENOMEM;
	if (h->outer == NULL && (h->outer = EVP_MD_CTX_new()) == NULL)
		return RO_ENOMEM;
	if (pad_state(h, h->inner, key, len, 0x36) != 0 ||
	    pad_state(h, h->outer, key, len, 0x5c) != 0) {
		EVP_MD_CTX_free(h->inner);
		EVP_MD_CTX_free(h->outer);
		h->inner = h->outer = NULL;
		return RO_EIO;
	}
	return 0;
}

/* encode writes the n fields into h->buf and returns their length. Each
 * field's length is taken once (MAXF of them on the stack; longer lists,
 * which the journal does not have, measure twice). */
#define MAXF 16
static size_t
encode(struct ro_jhash *h, const char *const *f, size_t n)
{
	size_t i, len = 0, need = 0, fl[MAXF];
	int b;

	for (i = 0; i < n; i++) {
		size_t l = f[i] == NULL ? 0 : strlen(f[i]);
		if (i < MAXF)
			fl[i] = l;
		need += f[i] == NULL ? 1 : 9 + l;
	}
	if (need > h->cap) {
		/* Grown, not shrunk: one buffer serves a whole verification. The
		 * old one may hold a MAC's input (a record hash), so it is wiped. */
		unsigned char *nb = ro_xmalloc(need);
		if (h->buf != NULL)
			OPENSSL_cleanse(h->buf, h->cap);
		free(h->buf);
		h->buf = nb;
		h->cap = need;
	}
	for (i = 0; i < n; i++) {
		uint64_t l;
		if (f[i] == NULL) {
			h->buf[len++] = 0;
			continue;
		}
		l = i < MAXF ? fl[i] : strlen(f[i]);
		h->buf[len++] = 1;
		for (b = 0; b < 8; b++)
			h->buf[len++] = (unsigned char)(l >> (56 - 8 * b));
		memcpy(h->buf + len, f[i], l);
		len += l;
	}
	return len;
}

int
ro_jhash_fields(struct ro_jhash *h, const char *const *f, size_t n,
    unsigned char out[RO_JHASH_BYTES])
{
	size_t len = encode(h, f, n);

	if (!EVP_DigestInit_ex2(h->work, h->md, NULL) ||
	    !EVP_DigestUpdate(h->work, h->buf, len) ||
	    !EVP_DigestFinal_ex(h->work, out, NULL))
		return RO_EIO;
	return 0;
}

int
ro_jhash_mac(struct ro_jhash *h, const char *const *f, size_t n,
    unsigned char out[RO_JHASH_BYTES])
{
	unsigned char ih[RO_JHASH_BYTES];
	size_t len;
	int ok;

	if (h->inner == NULL)
		return RO_EINVAL;
	len = encode(h, f, n);
	ok = EVP_MD_CTX_copy_ex(h->work, h->inner) &&
	    EVP_DigestUpdate(h->work, h->buf, len) &&
	    EVP_DigestFinal_ex(h->work, ih, NULL) &&
	    EVP_MD_CTX_copy_ex(h->work, h->outer) &&
	    EVP_DigestUpdate(h->work, ih, sizeof ih) &&
	    EVP_DigestFinal_ex(h->work, out, NULL);
	OPENSSL_cleanse(ih, sizeof ih);
	return ok ? 0 : RO_EIO;
}

void
ro_jhash_hex(const unsigned char md[RO_JHASH_BYTES], char out[RO_JHASH_HEX + 1])
{
	size_t i;

	/* Arithmetic rather than a table, as sodium_bin2hex does, so the time
	 * does not depend on a MAC's digits before it is compared. */
	for (i = 0; i < RO_JHASH_BYTES; i++) {
		unsigned hi = md[i] >> 4, lo = md[i] & 15U;
		out[2 * i] = (char)(hi + 48U + (~((hi - 10U) >> 8) & 39U));
		out[2 * i + 1] = (char)(lo + 48U + (~((lo - 10U) >> 8) & 39U));
	}
	out[RO_JHASH_HEX] = '\0';
}
