/*
 * cmd-keygen.c - `rollout keygen`: the engine's own SSH key.
 *
 * Writes STATE/id_ed25519 (OpenSSH private key, mode 0600) and
 * STATE/id_ed25519.pub, and prints the public key line to install in the
 * hosts' authorized_keys with its fingerprint. Never overwrites a key.
 */
#include "cmd.h"
#include "error.h"
#include "secret-input.h"
#include "statedir.h"
#include "store.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct ro_cmd ro_cmd_keygen;

/* The shortest passphrase accepted for the engine key, in characters. */
#define KEY_PASSPHRASE_MIN 15

/* count_chars counts UTF-8 characters (bytes that do not continue one). */
static size_t
count_chars(const unsigned char *p, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += (p[i] & 0xC0) != 0x80;
	return c;
}

/*
 * read_new_passphrase reads the passphrase for a new encrypted key, from fd
 * (one line) or asked twice on the terminal, into locked memory
 * (NUL-terminated). Returns 0, or prints why and returns an exit code.
 */
static int
read_new_passphrase(int fd, char **out)
{
	struct vault_secret *sec = NULL;
	char *cause = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (fd >= 0)
		rc = ro_secret_read_fd(fd, 1024, &sec, &cause);
	else
		rc = ro_secret_prompt("Passphrase for the new engine key: ", 1, 1024, &sec, &cause);
	if (rc != 0) {
		fprintf(stderr, "rollout keygen: error: %s\n", cause ? cause : ro_strerror(rc));
		if (fd < 0)
			fprintf(stderr, "  hint: without a terminal, give it with --passphrase-fd N\n");
		free(cause);
		return RO_EXIT_USAGE;
	}
	n = vault_secret_len(sec);
	if (count_chars(vault_secret_data(sec), n) < KEY_PASSPHRASE_MIN ||
	    memchr(vault_secret_data(sec), '\0', n) != NULL ||
	    strspn((const char *)vault_secret_data(sec), " \t") >= n) {
		vault_secret_free(sec);
		fprintf(stderr, "rollout keygen: error: the passphrase must have at least %d "
		    "characters (not only spaces, no NUL byte); a few unrelated words are easy "
		    "to type and hard to guess; nothing was written\n", KEY_PASSPHRASE_MIN);
		return RO_EXIT_USAGE;
	}
	if ((*out = sodium_malloc(n + 1)) == NULL) {
		vault_secret_free(sec);
		fprintf(stderr, "rollout keygen: error: out of locked memory\n");
		return RO_EXIT_FAIL;
	}
	memcpy(*out, vault_secret_data(sec), n);
	(*out)[n] = '\0';
	vault_secret_free(sec);
	return RO_EXIT_OK;
}

static int
keygen_exec(int argc, char **argv)
{
	const char *state = ro_cmd_state_dir();
	char *path = NULL, *line = NULL, *cause = NULL, *pass = NULL, host[256];
	char fp[64];
	int i, rc, code = RO_EXIT_FAIL, encrypt = 0, pass_fd = -1;
	struct stat sb;

	if (ro_cmd_wants_help(argc, argv)) {
		ro_cmd_print_help(stdout, &ro_cmd_keygen);
		return RO_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--state-dir") == 0 || strcmp(argv[i], "--state") == 0) &&
		    i + 1 < argc) {
			state = argv[++i];
		} else if (strcmp(argv[i], "--encrypt") == 0) {
			encrypt = 1;
		} else if (strcmp(argv[i], "--passphrase-fd") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			/* Checked before rollout opens anything: a number the caller
			 * did not open could later name one of our own files. */
			if (*argv[i] == '\0' || *end || v < 0 || v > 1023 || fstat((int)v, &sb) != 0 ||
			    !(S_ISFIFO(sb.st_mode) || S_ISREG(sb.st_mode) || S_ISCHR(sb.st_mode) ||
			    S_ISSOCK(sb.st_mode)))
				return ro_cmd_usage(&ro_cmd_keygen, "--passphrase-fd takes an open "
				    "pipe, file or terminal descriptor (e.g. 3<<<...), not '%s'", argv[i]);
			pass_fd = (int)v;
			encrypt = 1;
		} else {
			return ro_cmd_usage(&ro_cmd_keygen, "unexpected argument '%s'", argv[i]);
		}
	}
	path = ro_xasprintf("%s/id_ed25519", state);
	/* The passphrase first (and only if there is no key yet), so that a
	 * refused one leaves nothing behind, not even a new directory. */
	if (encrypt && lstat(path, &sb) != 0 &&
	    (code = read_new_passphrase(pass_fd, &pass)) != RO_EXIT_OK)
		goto out;
	code = RO_EXIT_FAIL;
	if ((rc = ro_state_dir_prepare(state, 1, &cause)) != 0) {
		fprintf(stderr, "rollout keygen: error: %s\n", cause);
		code = rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (gethostname(host, sizeof host) < 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	{
		char *comment = ro_xasprintf("rollout@%s", host);
		rc = pass ? ro_keygen_encrypted(path, comment, pass, &cause) :
		    ro_keygen(path, comment, &cause);
		free(comment);
	}
	if (rc == RO_EEXIST) {
		fprintf(stderr, "rollout keygen: error: %s\n", cause);
		fprintf(stderr, "  hint: the engine already has a key; its public half is %s.pub\n",
		    path);
		goto out;
	}
	if (rc < 0) {
		fprintf(stderr, "rollout keygen: error: %s\n", cause ? cause : ro_strerror(rc));
		goto out;
	}
	{
		char *pub = ro_xasprintf("%s.pub", path);
		free(cause);
		cause = NULL;
		rc = ro_pubkey_read(pub, &line, fp, &cause);
		free(pub);
	}
	if (rc < 0) {
		fprintf(stderr, "rollout keygen: error: %s\n", cause);
		goto out;
	}
	printf("%s\n", line);
	printf("Wrote %s (private, mode 0600%s) and %s.pub.\n", path,
	    pass ? ", encrypted" : "", path);
	printf("Fingerprint: %s\n", fp);
	printf("Add the line above to the authorized_keys of the login user on every host.\n");
	if (pass)
		printf("rollout run asks for the passphrase once (or reads it with "
		    "--key-passphrase-fd N).\n");
	else
		printf("To keep the key encrypted on disk: ssh-keygen -p -f %s (rollout run then "
		    "asks\nfor the passphrase once), or load it into an SSH agent: ssh-add %s\n",
		    path, path);
	code = RO_EXIT_OK;
out:
	sodium_free(pass); /* zeroes; accepts NULL */
	free(cause);
	free(line);
	free(path);
	return code;
}

const struct ro_cmd ro_cmd_keygen = {
	.name = "keygen",
	.usage = "[--state-dir DIR] [--encrypt | --passphrase-fd N]",
	.summary = "make the engine's SSH key (ed25519) in the state directory",
	.help =
	    "Writes DIR/id_ed25519 (OpenSSH private key, unencrypted, mode 0600) and\n"
	    "DIR/id_ed25519.pub, then prints the public key line and its SHA256\n"
	    "fingerprint. Install that line in the authorized_keys of the login user\n"
	    "on every host. An existing key is never overwritten.\n"
	    "\n"
	    "With --encrypt (asked twice on the terminal, without echo) or\n"
	    "--passphrase-fd N (one line read from descriptor N), the private key is\n"
	    "encrypted with that passphrase (15 characters or more) by ssh-keygen,\n"
	    "which receives it on a pipe; the key never touches the disk in clear.\n"
	    "`rollout run` then asks for the passphrase once (or reads it with\n"
	    "--key-passphrase-fd N). An existing key is encrypted with\n"
	    "ssh-keygen -p -f DIR/id_ed25519. Or load the key into an SSH agent\n"
	    "(ssh-add DIR/id_ed25519), move the file off the machine and run with\n"
	    "`rollout run --agent`. See docs/TRANSPORT.md.\n"
	    "\n"
	    "DIR is created mode 0700; an existing DIR that the group or others can write\n"
	    "is refused (chmod 700 DIR).\n"
	    "\n"
	    "  --state-dir DIR   the state directory (default .rollout)\n"
	    "  --encrypt         encrypt the key with a passphrase asked on the terminal\n"
	    "  --passphrase-fd N encrypt it with the passphrase read from descriptor N\n",
	.exec = keygen_exec,
};
