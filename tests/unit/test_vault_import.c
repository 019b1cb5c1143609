/*
 * test_vault_import.c - `vault import`'s parser: the process is not
 * dumpable while a notice is read, and no diagnostic ever quotes a field,
 * whatever order the columns come in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "diag.h"
#include "vault-import.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_vault_import.XXXXXX", RO_BINARY_DIR);
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[400];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct writer {
	const char *fifo;
	int dumpable; /* PR_GET_DUMPABLE once the parser has opened the notice */
};

/* The writer's open returns only once the parser has opened the FIFO for
 * reading, which happens after protection begins: no sleep needed. */
static void *
write_notice(void *arg)
{
	struct writer *w = arg;
	static const char notice[] = "kita-t03/windows-admin,Imp0rt#Canary55qq\n";
	int fd = open(w->fifo, O_WRONLY);

	w->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (fd >= 0) {
		if (write(fd, notice, sizeof(notice) - 1) < 0)
			w->dumpable = -2;
		close(fd);
	}
	return NULL;
}

static void
test_not_dumpable_while_reading(void **state)
{
	char fifo[300];
	struct writer w = { fifo, -1 };
	struct ro_import im;
	struct ro_diags d;
	pthread_t t;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/notice.fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	ro_diags_init(&d);
	assert_int_equal(pthread_create(&t, NULL, write_notice, &w), 0);
	assert_int_equal(ro_vault_import_parse(fifo, "csv", &VAULT_POLICY_DEFAULT, &im, &d), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.dumpable, 0);
	assert_int_equal(im.n, 1);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0); /* values still held */
	ro_import_free(&im);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	ro_diags_free(&d);
}

/* parse_text runs the parser on text and returns every diagnostic, joined. */
static char *
parse_text(const char *text, const char *format, int *rc)
{
	char path[300];
	struct ro_import im;
	struct ro_diags d;
	char *all;
	size_t len = 0;
	FILE *f, *m;

	snprintf(path, sizeof(path), "%s/notice.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	ro_diags_init(&d);
	*rc = ro_vault_import_parse(path, format, &VAULT_POLICY_DEFAULT, &im, &d);
	if (*rc == 0)
		ro_import_free(&im);
	m = open_memstream(&all, &len);
	ro_diags_print(m, &d);
	fclose(m);
	ro_diags_free(&d);
	return all;
}

/* The canary is a password that is also a valid-looking entry name part,
 * so that a parser which takes it for a name would quote it. */
#define CANARY "Canary7Secret9Q"
#define CANARY2 "Kanary7#x9QzWvT2pL"

static void
test_no_field_in_any_diagnostic(void **state)
{
	static const char *const bad[] = {
		/* columns in another order, no header */
		CANARY ",cs-active,windows-admin\n",
		"cs-active," CANARY ",windows-admin\n",
		CANARY2 ",cs-active,windows-admin\n",
		"cs-active," CANARY2 ",windows-admin\n",
		CANARY2 ",cs-active/windows-admin\n",
		CANARY ",cs-active/windows-admin\n",
		CANARY "/x,cs-active/windows-admin\n",
		/* a header in one order, data in another */
		"host,credential,password\n" CANARY2 ",cs-active,windows-admin\n",
		"password,host,credential\ncs-active,windows-admin," CANARY2 "\n",
		"password,name\ncs-active/windows-admin," CANARY2 "\n",
		"name,password\n" CANARY2 ",cs-active/windows-admin\n",
		/* duplicates, policy, too many fields */
		"password,host,credential\n" CANARY2 ",a,b\n" CANARY2 ",a,b\n",
		"cs-active/windows-admin," CANARY2 "\ncs-active/windows-admin," CANARY2 "\n",
		"password,host,credential\n" CANARY2 ",a,b,c\n",
		"password,host,credential\nshort,a,b\n" CANARY2 ",,\n",
	};
	static const char *const bad_yaml[] = {
		CANARY2 ": cs-active/windows-admin\n",
		"\"" CANARY "\": cs-active/windows-admin\n",
		"passwords:\n  - {host: cs-active, credential: windows-admin, " CANARY2 ": x}\n",
		"passwords:\n  - {password: cs-active, host: " CANARY2 ", credential: w}\n",
		"cs-active/windows-admin:\n  - " CANARY2 "\n",
	};
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = parse_text(bad[i], "csv", &rc);
		if (rc == 0 || strstr(out, "Canary") || strstr(out, "Kanary")) {
			fprintf(stderr, "case %zu: rc %d, diagnostics:\n%s", i, rc, out);
			fail();
		}
		free(out);
	}
	for (i = 0; i < sizeof(bad_yaml) / sizeof(bad_yaml[0]); i++) {
		char *out = parse_text(bad_yaml[i], "yaml", &rc);
		if (rc == 0 || strstr(out, "Canary") || strstr(out, "Kanary")) {
			fprintf(stderr, "yaml case %zu: rc %d, diagnostics:\n%s", i, rc, out);
			fail();
		}
		free(out);
	}
}

/* A header line puts the columns in any order; good lines import. */
static void
test_header_orders(void **state)
{
	static const char *const good[] = {
		"host,credential,password\ncs-active,windows-admin," CANARY2 "\n",
		"password,host,credential\n" CANARY2 ",cs-active,windows-admin\n",
		"credential,password,host\nwindows-admin," CANARY2 ",cs-active\n",
		"Password, Name\n" CANARY2 ",cs-active/windows-admin\n",
		"cs-active/windows-admin," CANARY2 ",with,commas\n",
	};
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *out = parse_text(good[i], "csv", &rc);
		if (rc != 0) {
			fprintf(stderr, "case %zu: rc %d:\n%s", i, rc, out);
			fail();
		}
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_dumpable_while_reading),
		cmocka_unit_test(test_no_field_in_any_diagnostic),
		cmocka_unit_test(test_header_orders),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
