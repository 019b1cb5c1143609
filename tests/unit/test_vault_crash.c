/*
 * test_vault_crash.c - a writer killed at any point of a save leaves the
 * old vault or the new one, never a broken one, and its lock dies with it.
 *
 * A child saves in a loop and reports each finished save on a pipe; the
 * parent lets it run for a varying number of saves (plus a varying spin, so
 * the kill lands at different points inside the next save), SIGKILLs it,
 * and then demands that the file open, verify, and hold a value consistent
 * with its counter. No sleeps: the pipe and waitpid are the only
 * synchronisation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vault.h"
#include "vault_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 40
#define FILLER 2000 /* entries, so that a save takes long enough to hit */

static char dir[256], vp[300];

static struct vault_key *
seed_key(void)
{
	unsigned char seed[32];
	struct vault_key *k;

	memset(seed, 7, sizeof(seed));
	assert_int_equal(vault__key_from_seed("alice", seed, &k), 0);
	return k;
}

static void
value_for(uint64_t counter, char *buf, size_t n)
{
	snprintf(buf, n, "Crash1!value-%06llu", (unsigned long long)counter);
}

/* child saves forever: the value written is a function of the counter the
 * save will produce, so the parent can check any file it finds. */
static void
child(int wfd, struct vault_key *k)
{
	struct vault *v;
	char val[64];

	if (vault_open(vp, k, 0, VAULT_OPEN_WRITE, &v, NULL) != 0)
		_exit(3);
	for (;;) {
		uint64_t next = vault_counter(v) + 1;
		value_for(next, val, sizeof(val));
		if (vault_put(v, "crash/value", val, strlen(val), VAULT_CURRENT, "child", 1) != 0 ||
		    vault_save(v, NULL) != 0)
			_exit(4);
		if (write(wfd, &next, sizeof(next)) != (ssize_t)sizeof(next))
			_exit(5);
	}
}

static void
test_killed_writer(void **state)
{
	struct vault_key *k = seed_key();
	struct vault *v;
	struct vault_secret *s;
	char val[64], name[64];
	int round, i;
	uint64_t last_acked = 0;

	snprintf(dir, sizeof(dir), "%s/test_vault_crash.XXXXXX", RO_BINARY_DIR);
	assert_non_null(mkdtemp(dir));
	snprintf(vp, sizeof(vp), "%s/crash.rov", dir);
	assert_int_equal(vault_create(vp, k, 1, &v, NULL), 0);
	for (i = 0; i < FILLER; i++) {
		snprintf(name, sizeof(name), "host%04d/windows-admin", i);
		assert_int_equal(vault_put(v, name, "Fill1!fillerfiller", 18, VAULT_CURRENT, "t", 1),
		    0);
	}
	value_for(vault_counter(v) + 1, val, sizeof(val));
	assert_int_equal(vault_put(v, "crash/value", val, strlen(val), VAULT_CURRENT, "t", 1), 0);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);

	for (round = 0; round < ROUNDS; round++) {
		int p[2], status;
		uint64_t got = 0, counter;
		pid_t pid;
		volatile unsigned spin;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			child(p[1], k);
		}
		close(p[1]);
		/* Wait for round % 4 saves, then spin a varying while. */
		for (i = 0; i < round % 4; i++)
			assert_int_equal(read(p[0], &got, sizeof(got)), sizeof(got));
		for (spin = 0; spin < (unsigned)(round * 7919) % 400000; spin++)
			;
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		close(p[0]);
		if (got > last_acked)
			last_acked = got;

		/* The lock died with the writer; the file is old or new. */
		assert_int_equal(vault_open(vp, k, last_acked, VAULT_OPEN_WRITE, &v, NULL), 0);
		assert_int_equal(vault_verify(v, NULL), 0);
		assert_int_equal(vault_entry_count(v), FILLER + 1);
		counter = vault_counter(v);
		assert_true(counter >= last_acked);
		value_for(counter, val, sizeof(val));
		assert_int_equal(vault_get(v, "crash/value", VAULT_CURRENT, &s), 0);
		assert_int_equal(vault_secret_len(s), strlen(val));
		assert_memory_equal(vault_secret_data(s), val, strlen(val));
		vault_secret_free(s);
		vault_close(v);
		last_acked = counter;
	}
	vault_key_free(k);
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
