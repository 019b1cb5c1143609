/*
 * bench_vault.c - the vault's figures for docs/PERFORMANCE.md: unlock time
 * with the default Argon2id limits, and get/set of one entry in a
 * 10,000-entry vault (a set is a put plus an atomic, fsync'd save).
 *
 * usage: bench_vault [DIR]   (default: a temp dir under /tmp)
 */
#include "vault.h"
#include "vault_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRIES 10000

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	printf("%-34s median %8.3f ms  p95 %8.3f ms  max %8.3f ms  (n=%d)\n", what, t[n / 2],
	    t[n * 95 / 100], t[n - 1], n);
}

int
main(int argc, char **argv)
{
	char dir[256], kp[300], vp[300], name[64], val[32];
	static double t[1000];
	struct vault_key *k = NULL, *sk;
	struct vault *v;
	struct vault_secret *s;
	unsigned char seed[32];
	struct stat st;
	int i;
	double t0;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else {
		snprintf(dir, sizeof(dir), "/tmp/bench_vault.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
	}
	snprintf(kp, sizeof(kp), "%s/bench.key", dir);
	snprintf(vp, sizeof(vp), "%s/bench.rov", dir);
	unlink(kp);
	unlink(vp);

	/* Unlock with the default (MODERATE) limits: the deliberate cost. */
	if (vault_key_create(kp, "bench", "bench passphrase", 16, NULL, NULL) != 0)
		return 1;
	for (i = 0; i < 5; i++) {
		t0 = now_ms();
		if (vault_key_unlock(kp, "bench passphrase", 16, &k, NULL) != 0)
			return 1;
		t[i] = now_ms() - t0;
		vault_key_free(k);
	}
	printf("Argon2id MODERATE: opslimit %llu, memlimit %llu MiB\n",
	    (unsigned long long)VAULT_KDF_MODERATE.opslimit,
	    (unsigned long long)(VAULT_KDF_MODERATE.memlimit >> 20));
	report("unlock (key file, MODERATE)", t, 5);

	/* A 10,000-entry vault, built with a seeded key to skip Argon2id. */
	memset(seed, 3, sizeof(seed));
	if (vault__key_from_seed("bench", seed, &sk) != 0 || vault_create(vp, sk, 1, &v, NULL) != 0)
		return 1;
	for (i = 0; i < ENTRIES; i++) {
		snprintf(name, sizeof(name), "host%05d/windows-admin", i);
		snprintf(val, sizeof(val), "Bench1!value%05d", i);
		vault_put(v, name, val, strlen(val), VAULT_CURRENT, "bench", 1);
	}
	t0 = now_ms();
	if (vault_save(v, NULL) != 0)
		return 1;
	printf("initial save of %d entries         %8.3f ms\n", ENTRIES, now_ms() - t0);
	vault_close(v);
	stat(vp, &st);
	printf("vault file size                    %lld bytes\n", (long long)st.st_size);

	for (i = 0; i < 20; i++) {
		t0 = now_ms();
		if (vault_open(vp, sk, 0, VAULT_OPEN_WRITE, &v, NULL) != 0)
			return 1;
		t[i] = now_ms() - t0;
		if (i < 19)
			vault_close(v);
	}
	report("open + authenticate 10k (no KDF)", t, 20);

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "host%05d/windows-admin", (i * 7919) % ENTRIES);
		t0 = now_ms();
		if (vault_get(v, name, VAULT_CURRENT, &s) != 0)
			return 1;
		t[i] = now_ms() - t0;
		vault_secret_free(s);
	}
	report("get one entry (10k vault)", t, 1000);

	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "host%05d/windows-admin", (i * 7919) % ENTRIES);
		snprintf(val, sizeof(val), "Bench2!value%05d", i);
		t0 = now_ms();
		if (vault_put(v, name, val, strlen(val), VAULT_PENDING, "bench", 2) != 0)
			return 1;
		t[i] = now_ms() - t0;
	}
	report("put one entry, in memory", t, 200);

	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "host%05d/windows-admin", (i * 104729) % ENTRIES);
		snprintf(val, sizeof(val), "Bench3!value%05d", i);
		t0 = now_ms();
		if (vault_put(v, name, val, strlen(val), VAULT_PENDING, "bench", 3) != 0 ||
		    vault_save(v, NULL) != 0)
			return 1;
		t[i] = now_ms() - t0;
	}
	report("set one entry = put + atomic save", t, 200);

	/* Where a set's time goes: building the image (encrypting the table,
	 * hashing, MAC) versus writing and fsync'ing it. */
	for (i = 0; i < 200; i++) {
		struct vault_wr img;
		t0 = now_ms();
		if (vault__serialize(v, vault_counter(v) + 1, &img) != 0)
			return 1;
		t[i] = now_ms() - t0;
		vault__wr_free(&img);
	}
	report("  of which: build the image", t, 200);
	vault_close(v);
	vault_key_free(sk);
	if (argc < 2) {
		char lp[320];
		snprintf(lp, sizeof(lp), "%s.lock", vp);
		unlink(lp);
		unlink(vp);
		unlink(kp);
		rmdir(dir);
	}
	return 0;
}
