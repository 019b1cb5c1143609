/*
 * vault-import.h - reading the city's notice of new passwords (CSV or
 * YAML) for `rollout vault import`.
 *
 * CSV: one "host/credential,password" or "host,credential,password" per
 * line (a header line naming the columns, blank lines and #-comments are
 * skipped); everything after the last separating comma is the password,
 * so passwords may contain commas.
 * YAML: either a mapping "host/credential: password", or
 *   passwords:
 *     - {host: cs-active, credential: windows-admin, password: "..."}
 * Every line is checked (name syntax, duplicates, password policy); the
 * diagnostics carry file:line and never a value.
 */
#ifndef RO_VAULT_IMPORT_H
#define RO_VAULT_IMPORT_H

#include "diag.h"
#include "vault.h"

struct ro_import_item {
	char name[VAULT_NAME_MAX + 1];
	int line;
	struct vault_secret *value;
};

struct ro_import {
	struct ro_import_item *v;
	size_t n;
	size_t cap;
	int protecting; /* vault_protect(1) is in force until ro_import_free */
};

/* ro_vault_import_parse reads path ("-" for stdin). format is "csv",
 * "yaml" or NULL (by the file's extension; stdin: YAML if the first
 * non-comment line ends in ':' or starts a mapping, else CSV). Returns 0,
 * or RO_EINVAL with diagnostics in d, or RO_EIO. From before the notice is
 * opened until ro_import_free, the process is not dumpable (no core file,
 * no ptrace), and the notice and its values are in sodium_malloc memory.
 * CSV may start with a header line naming the columns (name or host and
 * credential, and password) in any order. */
int ro_vault_import_parse(const char *path, const char *format,
    const struct vault_policy *policy, struct ro_import *out, struct ro_diags *d);

void ro_import_free(struct ro_import *im); /* zeroes the values */

#endif
