/*
 * policy.c - the password policy: checking a value the city hands over and
 * generating one that satisfies it. Reasons name the rule, never the value.
 */
#include "vault_int.h"

#include <stdlib.h>

/* Quotes, backslash and space are left out: they break shells, CSV files
 * and the Windows tools the passwords are typed into. */
const struct vault_policy VAULT_POLICY_DEFAULT = {
	.min_len = 14,
	.max_len = 64,
	.min_classes = 3,
	.symbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~",
	.gen_len = 20,
};

enum { C_LOWER = 1, C_UPPER = 2, C_DIGIT = 4, C_SYMBOL = 8 };

static int
char_class(const struct vault_policy *p, unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return C_LOWER;
	if (c >= 'A' && c <= 'Z')
		return C_UPPER;
	if (c >= '0' && c <= '9')
		return C_DIGIT;
	if (c != '\0' && p->symbols != NULL && strchr(p->symbols, c) != NULL)
		return C_SYMBOL;
	return 0;
}

static int
popcount4(int m)
{
	return (m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1) + ((m >> 3) & 1);
}

int
vault_policy_check(const struct vault_policy *p, const void *value, size_t len,
    const char **why)
{
	const unsigned char *s = value;
	int classes = 0, c;
	size_t i;

	*why = NULL;
	if (len < p->min_len) {
		*why = "is too short for the policy";
		return VAULT_EPOLICY;
	}
	if (len > p->max_len || len > VAULT_VALUE_MAX) {
		*why = "is too long for the policy";
		return VAULT_EPOLICY;
	}
	for (i = 0; i < len; i++) {
		if ((c = char_class(p, s[i])) == 0) {
			*why = "contains a character the policy does not allow "
			    "(space, quote, backslash, control or non-ASCII)";
			return VAULT_EPOLICY;
		}
		classes |= c;
	}
	if (popcount4(classes) < p->min_classes) {
		*why = "does not mix enough character classes (lower, upper, digit, symbol)";
		return VAULT_EPOLICY;
	}
	return VAULT_OK;
}

int
vault_generate(const struct vault_policy *p, struct vault_secret **out)
{
	char alphabet[128];
	size_t n = 0, i, len = p->gen_len;
	struct vault_secret *s;
	const char *why;
	int c, tries, avail = 0;

	*out = NULL;
	for (c = 33; c < 127; c++)
		if (char_class(p, (unsigned char)c) != 0) {
			alphabet[n++] = (char)c;
			avail |= char_class(p, (unsigned char)c);
		}
	if (n == 0 || len == 0 || len > VAULT_VALUE_MAX)
		return VAULT_EINVAL;
	if (len < p->min_len)
		len = p->min_len;
	if (len > p->max_len)
		return VAULT_EINVAL;
	if ((s = vault__secret_alloc(len)) == NULL)
		return VAULT_ENOMEM;
	/* Draw uniformly until every class the alphabet has appears (at 20
	 * characters this almost always takes one or two tries). */
	for (tries = 0; tries < 1000; tries++) {
		int classes = 0;
		for (i = 0; i < len; i++) {
			s->data[i] = (unsigned char)alphabet[randombytes_uniform((uint32_t)n)];
			classes |= char_class(p, s->data[i]);
		}
		if ((len < 4 || classes == avail) &&
		    vault_policy_check(p, s->data, len, &why) == 0) {
			*out = s;
			return VAULT_OK;
		}
	}
	sodium_free(s);
	return VAULT_EPOLICY;
}

/*
 * vault_passphrase_check is the passphrase policy: length, not a strength
 * estimator. NIST SP 800-63B's advice is length over composition rules, and
 * Argon2id makes each guess expensive; 15 characters of words or anything
 * else is far beyond what can be guessed at ~1 guess per second per core.
 * What length alone lets through is caught by two cheap rules: a
 * passphrase of only spaces, or of five or fewer distinct characters
 * ("aaaaaaaaaaaaaaaa", "abababababababab").
 */
int
vault_passphrase_check(const void *pass, size_t len, const char **why)
{
	const unsigned char *p = pass;
	unsigned char seen[256] = { 0 };
	size_t i, chars = 0, distinct = 0, spaces = 0;

	*why = NULL;
	for (i = 0; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			chars++; /* UTF-8: count characters, not continuation bytes */
		if (p[i] == ' ' || p[i] == '\t')
			spaces++;
		if (!seen[p[i]]++)
			distinct++;
	}
	if (chars < 15)
		*why = "is shorter than 15 characters";
	else if (spaces == len)
		*why = "is only spaces";
	else if (distinct < 6)
		*why = "uses fewer than 6 different characters";
	return *why ? VAULT_EPOLICY : VAULT_OK;
}
