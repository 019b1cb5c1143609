/*
 * fuzz_vault.c - libFuzzer target for the vault file parser.
 *
 * The first input byte picks a mode:
 *   0: the rest is a whole vault file, opened with a fixed member key;
 *   1: the rest edits a valid vault built at start-up (pairs of a 16-bit
 *      offset and a byte to XOR there, then an optional new length), so
 *      that mutations reach past the magic and the length checks;
 *   2: the rest is a decrypted entry record, as the record parser sees it;
 *   3: the rest is a key file.
 * Any input must be either refused cleanly or (for a valid vault) opened;
 * the sanitizers catch everything else.
 */
#include "vault.h"
#include "vault_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vault_key *key;
static unsigned char *valid;
static size_t valid_len;
static char keypath[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
static void forget_pins(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char seed[32];
	char path[64];
	struct vault *v;
	struct vault_wr w;

	memset(seed, 9, sizeof(seed));
	if (vault__key_from_seed("fuzzer", seed, &key) != 0)
		abort();
	snprintf(path, sizeof(path), "/tmp/fuzz_vault.%ld.rov", (long)getpid());
	snprintf(keypath, sizeof(keypath), "/tmp/fuzz_vault.%ld.key", (long)getpid());
	unlink(path);
	if (vault_create(path, key, 1, &v, NULL) != 0)
		abort();
	vault_put(v, "cs-active/windows-admin", "Aa1!aaaaaaaaaaaa", 16, VAULT_CURRENT, "f", 1);
	vault_put(v, "cs-active/windows-admin", "Bb1!aaaaaaaaaaaa", 16, VAULT_PENDING, "f", 2);
	vault_put(v, "kita-t03/windows-admin", "Cc1!aaaaaaaaaaaa", 16, VAULT_CURRENT, "f", 3);
	if (vault__serialize(v, 7, &w) != 0)
		abort();
	/* Signed as a save would be, so that the unmutated image opens. */
	vault__sign_image(w.p, w.len, key, 0);
	valid = w.p;
	valid_len = w.len;
	/* Trust by fingerprint rather than pins, so that no open leaves a pin
	 * behind (the key lives in sodium memory, which LeakSanitizer does not
	 * scan, so its malloc'd pins would be reported as leaks). */
	if (vault_key_trust(key, vault_fingerprint(v)) != 0)
		abort();
	vault_close(v);
	forget_pins();
	unlink(path);
	{
		char lp[80];
		snprintf(lp, sizeof(lp), "%s.lock", path);
		unlink(lp);
	}
	return 0;
}

static void
forget_pins(void)
{
	free(key->pins);
	key->pins = NULL;
	key->n_pins = 0;
}

static void
try_open(unsigned char *img, size_t len)
{
	struct vault *v = NULL;
	struct vault_entry_info info;
	struct vault_secret *s;
	char *cause = NULL;
	size_t i;

	if (vault__open_image("fuzz.rov", img, len, key, 0, 0, &v, &cause) == 0) {
		for (i = 0; i < vault_entry_count(v); i++) {
			const char *n = vault_entry_name(v, i);
			if (vault_entry_info(v, n, &info) == 0 &&
			    vault_get(v, n, VAULT_CURRENT, &s) == 0)
				vault_secret_free(s);
		}
		vault_verify(v, NULL);
		vault_close(v);
		forget_pins();
	}
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *img;
	size_t len, i;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		img = malloc(size);
		memcpy(img, data + 1, size - 1);
		try_open(img, size - 1); /* takes img */
		break;
	case 1:
		len = valid_len;
		img = malloc(valid_len + 64);
		memcpy(img, valid, valid_len);
		for (i = 1; i + 3 <= size; i += 3) {
			size_t off = (size_t)(data[i] | (data[i + 1] << 8));
			if (off < valid_len)
				img[off] ^= data[i + 2];
		}
		if (size % 3 == 2)
			len = data[size - 1] < 64 ? valid_len - data[size - 1] : valid_len;
		try_open(img, len);
		break;
	case 2: {
		struct vault_plain *p = malloc(sizeof(*p));
		vault__parse_record(data + 1, size - 1, p);
		free(p);
		break;
	}
	case 3: {
		FILE *f = fopen(keypath, "wb");
		char name[VAULT_NAME_MAX + 1];
		unsigned char pk[32];
		char *cause = NULL;
		struct vault_key *k = NULL;
		if (f == NULL)
			return 0;
		fwrite(data + 1, 1, size - 1, f);
		fclose(f);
		vault_key_public(keypath, name, pk, &cause);
		free(cause);
		cause = NULL;
		/* Only cheap KDF limits get as far as Argon2id. */
		if (size > 29 && data[17] == 1 && data[18] == 0 && data[25 + 3] == 0) {
			vault_key_unlock(keypath, "x", 1, &k, &cause);
			vault_key_free(k);
			free(cause);
		}
		break;
	}
	}
	return 0;
}
