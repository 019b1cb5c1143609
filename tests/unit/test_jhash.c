/*
 * test_jhash.c - the journal's hashing through libcrypto (engine/jhash.c)
 * gives the same SHA-256 and HMAC-SHA-256 values as libsodium, which wrote
 * every journal before it: a difference would make every existing journal
 * fail to verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jhash.h"

#define MAXF 10

/* A random field set: up to MAXF fields, each NULL, empty, short or long
 * (past a SHA-256 block and past the first buffer jhash makes), of any
 * bytes but NUL. */
struct fields {
	size_t n;
	char *f[MAXF];
};

static void
random_fields(struct fields *fs)
{
	size_t i, j, len;

	fs->n = randombytes_uniform(MAXF + 1);
	for (i = 0; i < fs->n; i++) {
		switch (randombytes_uniform(4)) {
		case 0:
			fs->f[i] = NULL;
			continue;
		case 1:
			len = 0;
			break;
		case 2:
			len = 1 + randombytes_uniform(70);
			break;
		default:
			len = 1 + randombytes_uniform(6000);
			break;
		}
		fs->f[i] = malloc(len + 1);
		assert_non_null(fs->f[i]);
		randombytes_buf(fs->f[i], len);
		for (j = 0; j < len; j++)
			if (fs->f[i][j] == '\0')
				fs->f[i][j] = 'x';
		fs->f[i][len] = '\0';
	}
}

static void
free_fields(struct fields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->f[i]);
}

/* The encoding as the store wrote it with libsodium before jhash, one
 * update per header and per value. */
static void
header(const char *v, unsigned char hdr[9], size_t *len)
{
	uint64_t n;
	int i;

	if (v == NULL) {
		hdr[0] = 0;
		*len = 1;
		return;
	}
	n = strlen(v);
	hdr[0] = 1;
	for (i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)(n >> (56 - 8 * i));
	*len = 9;
}

static void
sodium_fields(const struct fields *fs, unsigned char out[32])
{
	crypto_hash_sha256_state h;
	unsigned char hdr[9];
	size_t i, hl;

	crypto_hash_sha256_init(&h);
	for (i = 0; i < fs->n; i++) {
		header(fs->f[i], hdr, &hl);
		crypto_hash_sha256_update(&h, hdr, hl);
		if (fs->f[i] != NULL)
			crypto_hash_sha256_update(&h, (const unsigned char *)fs->f[i],
			    strlen(fs->f[i]));
	}
	crypto_hash_sha256_final(&h, out);
}

static void
sodium_mac(const unsigned char *key, size_t klen, const struct fields *fs,
    unsigned char out[32])
{
	crypto_auth_hmacsha256_state h;
	unsigned char hdr[9];
	size_t i, hl;

	crypto_auth_hmacsha256_init(&h, key, klen);
	for (i = 0; i < fs->n; i++) {
		header(fs->f[i], hdr, &hl);
		crypto_auth_hmacsha256_update(&h, hdr, hl);
		if (fs->f[i] != NULL)
			crypto_auth_hmacsha256_update(&h, (const unsigned char *)fs->f[i],
			    strlen(fs->f[i]));
	}
	crypto_auth_hmacsha256_final(&h, out);
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_hash_matches_libsodium(void **state)
{
	struct ro_jhash *h = ro_jhash_new();
	unsigned char want[32], got[32];
	char whex[65], ghex[65];
	int i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < 2000; i++) {
		struct fields fs;
		random_fields(&fs);
		sodium_fields(&fs, want);
		assert_int_equal(ro_jhash_fields(h, (const char *const *)fs.f, fs.n, got), 0);
		assert_memory_equal(got, want, 32);
		sodium_bin2hex(whex, sizeof whex, want, sizeof want);
		ro_jhash_hex(got, ghex);
		assert_string_equal(ghex, whex);
		free_fields(&fs);
	}
	ro_jhash_free(h);
}

static void
test_mac_matches_libsodium(void **state)
{
	struct ro_jhash *h = ro_jhash_new();
	unsigned char key[64], want[32], got[32];
	int i, j;

	(void)state;
	assert_non_null(h);
	/* No key yet: a MAC is refused, not made under a zero key. */
	assert_int_equal(ro_jhash_mac(h, NULL, 0, got), RO_EINVAL);
	for (i = 0; i < 100; i++) {
		/* The journal's key is 32 bytes; any up to a block is HMAC's own
		 * case, and re-keying the same hasher must forget the old key. */
		size_t klen = i == 0 ? 32 : randombytes_uniform(65);
		randombytes_buf(key, sizeof key);
		assert_int_equal(ro_jhash_set_key(h, key, klen), 0);
		for (j = 0; j < 20; j++) {
			struct fields fs;
			random_fields(&fs);
			sodium_mac(key, klen, &fs, want);
			assert_int_equal(ro_jhash_mac(h, (const char *const *)fs.f, fs.n, got), 0);
			assert_memory_equal(got, want, 32);
			/* Hashing between MACs leaves the key's state alone. */
			assert_int_equal(ro_jhash_fields(h, (const char *const *)fs.f, fs.n, got),
			    0);
			free_fields(&fs);
		}
	}
	assert_int_equal(ro_jhash_set_key(h, key, 65), RO_EINVAL);
	ro_jhash_free(h);
}

/* The journal's own record shape, as journal_hash and journal_mac build
 * it, with a 64-hex previous hash and a JSON detail. */
static void
test_record_shape(void **state)
{
	const char *rec[8] = { "rollout-journal-v1",
		"0000000000000000000000000000000000000000000000000000000000000000", "1",
		"1790000000", NULL, "campaign.create", "ops", "{\"name\":\"2026-10\"}" };
	struct fields fs = { 8, { 0 } };
	struct ro_jhash *h = ro_jhash_new();
	unsigned char key[32], want[32], got[32];
	char hex[65];
	const char *m[2] = { "rollout-journal-mac-v1", hex };
	struct fields ms = { 2, { "rollout-journal-mac-v1", hex } };
	size_t i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < 8; i++)
		fs.f[i] = (char *)rec[i];
	sodium_fields(&fs, want);
	assert_int_equal(ro_jhash_fields(h, rec, 8, got), 0);
	assert_memory_equal(got, want, 32);
	ro_jhash_hex(got, hex);
	randombytes_buf(key, sizeof key);
	assert_int_equal(ro_jhash_set_key(h, key, sizeof key), 0);
	sodium_mac(key, sizeof key, &ms, want);
	assert_int_equal(ro_jhash_mac(h, m, 2, got), 0);
	assert_memory_equal(got, want, 32);
	ro_jhash_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_matches_libsodium),
		cmocka_unit_test(test_mac_matches_libsodium),
		cmocka_unit_test(test_record_shape),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
