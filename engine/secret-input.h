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

#endif
