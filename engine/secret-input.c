/* secret-input.c - no-echo prompts and descriptor reads for secrets. */
#include "secret-input.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* A line buffer in locked memory. */
struct line {
	unsigned char *p;
	size_t len;
	size_t max;
};

static int
line_new(struct line *l, size_t max)
{
	l->len = 0;
	l->max = max;
	if (sodium_init() < 0)
		return RO_ENOMEM;
	l->p = sodium_malloc(max + 1);
	return l->p ? 0 : RO_ENOMEM;
}

static int
line_finish(struct line *l, struct vault_secret **out)
{
	int rc = vault_secret_new(l->p, l->len, out) == 0 ? 0 : RO_ENOMEM;
	sodium_free(l->p);
	l->p = NULL;
	return rc;
}

/* read_line reads up to and without '\n' (and a '\r' before it). Returns 1
 * at a line's end, 0 at EOF, <0 on error or overflow. */
static int
read_line(int fd, struct line *l)
{
	unsigned char c;
	ssize_t n;

	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return RO_EIO;
		if (n == 0)
			return 0;
		if (c == '\n')
			break;
		if (l->len == l->max)
			return RO_EINVAL;
		l->p[l->len++] = c;
	}
	if (l->len > 0 && l->p[l->len - 1] == '\r')
		l->len--;
	return 1;
}

int
ro_secret_read_fd(int fd, size_t max, struct vault_secret **out, char **cause)
{
	struct line l;
	int rc;

	*out = NULL;
	if (line_new(&l, max) != 0)
		return RO_ENOMEM;
	rc = read_line(fd, &l);
	if (rc < 0 || l.len == 0) {
		if (rc == RO_EINVAL)
			*cause = ro_xasprintf("the secret on descriptor %d is longer than %zu bytes",
			    fd, max);
		else if (rc < 0)
			*cause = ro_xasprintf("cannot read descriptor %d: %s", fd, strerror(errno));
		else
			*cause = ro_xasprintf("descriptor %d gave no secret (empty line or end of "
			    "file)", fd);
		sodium_free(l.p);
		return rc < 0 ? rc : RO_EINVAL;
	}
	return line_finish(&l, out);
}

/* ask_tty prompts once on the terminal fd with echo off. */
static int
ask_tty(int tty, const char *prompt, struct line *l)
{
	struct termios old, quiet;
	int rc;

	if (tcgetattr(tty, &old) < 0)
		return RO_EIO;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(tty, prompt, strlen(prompt)) < 0 || tcsetattr(tty, TCSAFLUSH, &quiet) < 0)
		return RO_EIO;
	l->len = 0;
	rc = read_line(tty, l);
	tcsetattr(tty, TCSAFLUSH, &old);
	if (write(tty, "\n", 1) < 0)
		rc = RO_EIO;
	return rc;
}

int
ro_secret_prompt(const char *prompt, int confirm, size_t max, struct vault_secret **out,
    char **cause)
{
	struct line a = { 0 }, b = { 0 };
	int tty, rc;

	*out = NULL;
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0) {
		*cause = ro_xasprintf("no terminal to ask on; pass the secret with "
		    "--passphrase-fd N (or on stdin for a value)");
		return RO_EINVAL;
	}
	if ((rc = line_new(&a, max)) != 0 || (confirm && (rc = line_new(&b, max)) != 0))
		goto out;
	rc = ask_tty(tty, prompt, &a);
	if (rc <= 0 || a.len == 0) {
		*cause = ro_xasprintf("no secret was entered (or it was longer than %zu bytes)", max);
		rc = RO_EINVAL;
		goto out;
	}
	if (confirm) {
		rc = ask_tty(tty, "Again, to confirm: ", &b);
		if (rc <= 0 || b.len != a.len || sodium_memcmp(a.p, b.p, a.len) != 0) {
			*cause = ro_xasprintf("the two entries differ; nothing was changed");
			rc = RO_EINVAL;
			goto out;
		}
	}
	rc = line_finish(&a, out);
out:
	sodium_free(a.p);
	sodium_free(b.p);
	close(tty);
	return rc;
}

int
ro_secret_read_all(int fd, size_t max, struct vault_secret **out, char **cause)
{
	struct line l;
	ssize_t n;

	*out = NULL;
	if (line_new(&l, max + 1) != 0)
		return RO_ENOMEM;
	for (;;) {
		n = read(fd, l.p + l.len, l.max - l.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = ro_xasprintf("cannot read standard input: %s", strerror(errno));
			sodium_free(l.p);
			return RO_EIO;
		}
		if (n == 0)
			break;
		l.len += (size_t)n;
		if (l.len == l.max) {
			*cause = ro_xasprintf("the value on standard input is longer than %zu bytes",
			    max);
			sodium_free(l.p);
			return RO_EINVAL;
		}
	}
	if (l.len > 0 && l.p[l.len - 1] == '\n')
		l.len--;
	if (l.len > 0 && l.p[l.len - 1] == '\r')
		l.len--;
	if (l.len == 0) {
		*cause = ro_xasprintf("standard input gave an empty value");
		sodium_free(l.p);
		return RO_EINVAL;
	}
	return line_finish(&l, out);
}

int
ro_secret_fd_ok(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && !(fl & FD_CLOEXEC) && fstat(fd, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && isatty(fd)));
}

int
ro_signing_key_unlock(const char *cmd, const char *path, int fd, struct vault_key **key)
{
	struct vault_secret *pass = NULL;
	char *cause = NULL, *prompt;
	int rc;

	if (fd >= 0)
		rc = ro_secret_read_fd(fd, VAULT_PASSPHRASE_MAX, &pass, &cause);
	else {
		prompt = ro_xasprintf("Passphrase for the key file %s: ", path);
		rc = ro_secret_prompt(prompt, 0, VAULT_PASSPHRASE_MAX, &pass, &cause);
		free(prompt);
	}
	if (rc == 0) {
		rc = vault_key_unlock(path, (const char *)vault_secret_data(pass),
		    vault_secret_len(pass), key, &cause);
		if (rc == VAULT_OK && vault_key_version(*key) < 2) {
			free(cause);
			cause = ro_xasprintf("%s is a version-1 key file without a signing key; "
			    "upgrade it with `rollout vault migrate --key %s`", path, path);
			rc = VAULT_EMIGRATE;
		}
	}
	vault_secret_free(pass);
	if (rc != 0) {
		fprintf(stderr, "rollout %s: %s\n", cmd, cause ? cause : vault_strerror(rc));
		free(cause);
		return -1;
	}
	return 0;
}
