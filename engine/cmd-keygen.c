/*
 * cmd-keygen.c - `rollout keygen`: the engine's own SSH key.
 *
 * Writes STATE/id_ed25519 (OpenSSH private key, mode 0600) and
 * STATE/id_ed25519.pub, and prints the public key line to install in the
 * hosts' authorized_keys with its fingerprint. Never overwrites a key.
 */
#include "cmd.h"
#include "error.h"
#include "statedir.h"
#include "store.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct ro_cmd ro_cmd_keygen;

static int
keygen_exec(int argc, char **argv)
{
	const char *state = RO_STATE_DIR_DEFAULT;
	char *path = NULL, *line = NULL, *cause = NULL, host[256];
	char fp[64];
	int i, rc, code = RO_EXIT_FAIL;

	if (ro_cmd_wants_help(argc, argv)) {
		ro_cmd_print_help(stdout, &ro_cmd_keygen);
		return RO_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			state = argv[++i];
		else
			return ro_cmd_usage(&ro_cmd_keygen, "unexpected argument '%s'", argv[i]);
	}
	if ((rc = ro_state_dir_prepare(state, 1, &cause)) != 0) {
		fprintf(stderr, "rollout keygen: error: %s\n", cause);
		free(cause);
		return rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
	}
	path = ro_xasprintf("%s/id_ed25519", state);
	if (gethostname(host, sizeof host) < 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	{
		char *comment = ro_xasprintf("rollout@%s", host);
		rc = ro_keygen(path, comment, &cause);
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
	printf("Wrote %s (private, mode 0600) and %s.pub.\n", path, path);
	printf("Fingerprint: %s\n", fp);
	printf("Add the line above to the authorized_keys of the login user on every host.\n");
	printf("To keep the key encrypted on disk: ssh-keygen -p -f %s (rollout run then asks\n"
	    "for the passphrase once), or load it into an SSH agent: ssh-add %s\n", path, path);
	code = RO_EXIT_OK;
out:
	free(cause);
	free(line);
	free(path);
	return code;
}

const struct ro_cmd ro_cmd_keygen = {
	.name = "keygen",
	.usage = "[--state-dir DIR]",
	.summary = "make the engine's SSH key (ed25519) in the state directory",
	.help =
	    "Writes DIR/id_ed25519 (OpenSSH private key, unencrypted, mode 0600) and\n"
	    "DIR/id_ed25519.pub, then prints the public key line and its SHA256\n"
	    "fingerprint. Install that line in the authorized_keys of the login user\n"
	    "on every host. An existing key is never overwritten.\n"
	    "\n"
	    "To keep the key encrypted on disk, encrypt it with OpenSSH's tool:\n"
	    "ssh-keygen -p -f DIR/id_ed25519; `rollout run` then asks for the passphrase\n"
	    "once (or reads it with --key-passphrase-fd N). Or load it into an SSH agent\n"
	    "(ssh-add DIR/id_ed25519) and move the file off the machine: `rollout run\n"
	    "--agent` signs with the agent. See docs/TRANSPORT.md.\n"
	    "\n"
	    "DIR is created mode 0700; an existing DIR that the group or others can write\n"
	    "is refused (chmod 700 DIR).\n"
	    "\n"
	    "  --state-dir DIR   the state directory (default .rollout)\n",
	.exec = keygen_exec,
};
