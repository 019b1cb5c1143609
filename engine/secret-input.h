/*
 * secret-input.h - reading passphrases and passwords without letting them
 * touch argv, the environment, a terminal's echo or ordinary heap memory.
 *
 * Secrets come back as struct vault_secret (locked memory, zeroed on free).
 * Errors set *cause to a malloc'd message that never contains the secret.
 */
#ifndef RO_SECRET_INPUT_H
#define RO_SECRET_INPUT_H

#include "vault.h"

/*
 * ro_secret_read_fd reads one line (up to max bytes, without the newline)
 * from fd, one byte at a time so that several secrets can be read from the
 * same descriptor, one per line. An empty line is an error.
 */
int ro_secret_read_fd(int fd, size_t max, struct vault_secret **out, char **cause);

/*
 * ro_secret_prompt asks on /dev/tty with echo off. With confirm set, asks a
 * second time and fails if the two differ.
 */
int ro_secret_prompt(const char *prompt, int confirm, size_t max, struct vault_secret **out,
    char **cause);

/* ro_secret_read_all reads all of fd (up to max bytes) and drops one
 * trailing newline: a value piped on stdin. */
int ro_secret_read_all(int fd, size_t max, struct vault_secret **out, char **cause);

/*
 * ro_secret_fd_ok accepts a --passphrase-fd only if it was handed to rollout
 * open (as `rollout vault` checks it): open now, without close-on-exec (every
 * descriptor rollout opens itself has it), and a pipe, a regular file or a
 * terminal. 1 if so, else 0.
 */
int ro_secret_fd_ok(int fd);

/*
 * ro_signing_key_unlock reads the passphrase of the key file at path (from
 * fd, or a no-echo prompt when fd < 0) and opens it: the slow Argon2id step.
 * Only a version-2 key file (with a signing key) is accepted. On failure it
 * says why on stderr as "rollout CMD: ..." and returns -1.
 */
int ro_signing_key_unlock(const char *cmd, const char *path, int fd, struct vault_key **key);

#endif
