/*
 * sshkey-load.c - the engine's identity for a run: which SSH agent identity
 * or which private key (and its passphrase) every session offers. Decided
 * once at start, so that a refused key, a wrong passphrase or an agent
 * without the key stops the command before anything is recorded or sent.
 * See transport.h ("The engine's identity") and docs/TRANSPORT.md.
 */
#include "error.h"
#include "secret-input.h"
#include "sshutil.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An OpenSSH private key file is a few hundred bytes; anything far larger
 * is not one, and is not read whole into memory. */
#define KEY_FILE_MAX (64 * 1024)
#define PASSPHRASE_MAX 1024

struct ro_engine_id {
	struct ro_ssh_auth auth;
	char *key;              /* sodium_malloc: the key file's text, NUL-terminated */
	size_t key_cap;
	char *passphrase;       /* sodium_malloc, NUL-terminated; NULL if none */
	size_t pass_cap;
	char *key_path, *pub_line, *describe;
	unsigned char *blob;    /* the .pub's key blob, or NULL */
	size_t blob_len;
	char fp[64];
};

/* read_pub reads key_path.pub if it exists: its first line and key blob. */
static int
read_pub(struct ro_engine_id *id, char **cause)
{
	char *pub_path = ro_xasprintf("%s.pub", id->key_path);
	char *line = NULL, *sp, *end;
	int rc;

	rc = ro_pubkey_read(pub_path, &line, id->fp, cause);
	if (rc == RO_ENOENT) {
		free(*cause);
		*cause = NULL;
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	sp = strchr(line, ' ');
	end = strchr(sp + 1, ' ');
	if (ro_ssh_unb64(sp + 1, end ? (size_t)(end - sp - 1) : strlen(sp + 1), &id->blob,
	    &id->blob_len) < 0) {
		*cause = ro_xasprintf("%s is not an OpenSSH public key line", pub_path);
		rc = RO_EINVAL;
		goto out;
	}
	id->pub_line = line;
	line = NULL;
out:
	free(line);
	free(pub_path);
	return rc;
}

/*
 * agent_query asks the agent at $SSH_AUTH_SOCK for its identities, through
 * a libssh2 session that never connects anywhere: *count is how many it
 * holds and *holds whether one is blob. -1 if there is no agent to ask.
 */
static int
agent_query(const unsigned char *blob, size_t blob_len, size_t *count, int *holds)
{
	LIBSSH2_SESSION *sess = libssh2_session_init();
	LIBSSH2_AGENT *agent = NULL;
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc = -1;

	*count = 0;
	*holds = 0;
	if (sess == NULL)
		return -1;
	agent = libssh2_agent_init(sess);
	if (agent == NULL || libssh2_agent_connect(agent) != 0)
		goto out;
	if (libssh2_agent_list_identities(agent) != 0)
		goto out;
	while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
		(*count)++;
		if (blob && id->blob_len == blob_len && memcmp(id->blob, blob, blob_len) == 0)
			*holds = 1;
		prev = id;
	}
	rc = 0;
out:
	if (agent) {
		libssh2_agent_disconnect(agent);
		libssh2_agent_free(agent);
	}
	libssh2_session_free(sess);
	return rc;
}

/* exposed says why a key file others can read is refused, and what to do. */
static char *
exposed(const char *path, mode_t mode)
{
	return ro_xasprintf("the engine key %s has mode %04o: others can read it, so it may "
	    "already be copied, and rollout does not use it (as ssh refuses such a key).\n"
	    "  fix it with: chmod 600 %s\n"
	    "  (if others really could read it, make a new key and replace the old one in "
	    "the hosts' authorized_keys)", path, (unsigned)(mode & 07777), path);
}

/*
 * read_key opens the private key file, refuses it if the group or others
 * have any access to it (OpenSSH's rule: such a key may already have been
 * copied), and reads it into locked memory.
 */
static int
read_key(struct ro_engine_id *id, char **cause)
{
	const char *path = id->key_path;
	struct stat st;
	size_t off = 0;
	int fd, rc = RO_EIO;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		*cause = ro_xasprintf("cannot read the engine key %s: %s", path, strerror(e));
		return e == ENOENT ? RO_ENOENT : RO_EIO;
	}
	if (fstat(fd, &st) != 0) {
		*cause = ro_xasprintf("cannot read the engine key %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = ro_xasprintf("the engine key %s is not a regular file", path);
		rc = RO_EINVAL;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		*cause = exposed(path, st.st_mode);
		rc = RO_EINVAL;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
		*cause = ro_xasprintf("the engine key %s is %s (%lld bytes); it is not an OpenSSH "
		    "private key", path, st.st_size <= 0 ? "empty" : "too large",
		    (long long)st.st_size);
		rc = RO_EINVAL;
		goto out;
	}
	id->key_cap = (size_t)st.st_size + 1;
	id->key = sodium_malloc(id->key_cap);
	if (id->key == NULL) {
		*cause = ro_xstrdup("out of locked memory for the engine key");
		rc = RO_ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, id->key + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = ro_xasprintf("cannot read the engine key %s: %s", path,
			    n < 0 ? strerror(errno) : "it shrank while being read");
			goto out;
		}
		off += (size_t)n;
	}
	id->key[off] = '\0';
	id->auth.key = id->key;
	id->auth.key_len = off;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* check_unread_key refuses an exposed key file even when the agent signs
 * instead: a copy may be out, and leaving it so would hide that. */
static int
check_unread_key(const char *path, char **cause)
{
	struct stat st;

	if (stat(path, &st) != 0 || (st.st_mode & 077) == 0)
		return 0;
	*cause = exposed(path, st.st_mode);
	return RO_EINVAL;
}

/*
 * key_encrypted tells whether the key text needs a passphrase: an OpenSSH
 * key whose cipher is not "none", or a PEM key with "Proc-Type: 4,ENCRYPTED".
 * -1 if it is neither format.
 */
static int
key_encrypted(const char *text)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	const char *b, *e;
	unsigned char *bin = NULL;
	const unsigned char *cipher;
	size_t cap, len = 0, pos, clen;
	int enc = -1;

	if (strstr(text, "-----BEGIN ") && strstr(text, "PRIVATE KEY-----") &&
	    strstr(text, begin) == NULL)
		return strstr(text, "ENCRYPTED") ? 1 : 0;
	if ((b = strstr(text, begin)) == NULL ||
	    (e = strstr(b, "-----END OPENSSH PRIVATE KEY-----")) == NULL)
		return -1;
	b += sizeof begin - 1;
	cap = (size_t)(e - b);
	bin = sodium_malloc(cap + 1);
	if (bin == NULL)
		return -1;
	if (sodium_base642bin(bin, cap, b, (size_t)(e - b), "\r\n=", &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 && len > sizeof magic &&
	    memcmp(bin, magic, sizeof magic) == 0) {
		pos = sizeof magic;
		if (ro_ssh_get_string(bin, len, &pos, &cipher, &clen) == 0)
			enc = !(clen == 4 && memcmp(cipher, "none", 4) == 0);
	}
	sodium_free(bin);
	return enc;
}

/*
 * check_passphrase asks ssh-keygen(1) whether the passphrase opens the key:
 * `ssh-keygen -y -f KEY` prints the public key only if it could decrypt
 * the private one (ro_ssh_keygen_run gives it the passphrase on a pipe).
 * libssh2 has no call that decrypts a key without a connected session, and
 * no bcrypt_pbkdf library ships in Debian 12, so OpenSSH's own tool is the
 * judge; the passphrase is given to no other program. Returns 0 (it opens
 * the key and matches the .pub), RO_EINVAL with *cause, or RO_EIO.
 */
static int
check_passphrase(struct ro_engine_id *id, char **cause)
{
	char *argv[] = { "ssh-keygen", "-y", "-f", id->key_path, NULL };
	char buf[4096];
	int rc, status = -1;

	rc = ro_ssh_keygen_run(argv, id->passphrase, 1, buf, sizeof buf, &status, cause);
	if (rc != 0) {
		char *why = *cause;
		*cause = ro_xasprintf("the engine key %s is encrypted and its passphrase cannot be "
		    "checked: %s", id->key_path, why);
		free(why);
		return rc;
	}
	if (status != 0 || strncmp(buf, "ssh-", 4) != 0) {
		*cause = ro_xasprintf("the passphrase given does not decrypt the engine key %s "
		    "(nothing was done); try again, or check that the key is the one "
		    "`rollout keygen` or `ssh-keygen -p -f %s` last wrote", id->key_path,
		    id->key_path);
		return RO_EINVAL;
	}
	if (id->pub_line) {
		/* Compare type and base64 only: the comments may differ. */
		size_t n = strcspn(buf, "\n");
		const char *sp = strchr(id->pub_line, ' ');
		const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
		size_t m = sp2 ? (size_t)(sp2 - id->pub_line) : strlen(id->pub_line);
		if (n < m || memcmp(buf, id->pub_line, m) != 0 || (n > m && buf[m] != ' ')) {
			*cause = ro_xasprintf("the engine key %s and its public half %s.pub are "
			    "different keys; make %s.pub again with: ssh-keygen -y -f %s",
			    id->key_path, id->key_path, id->key_path, id->key_path);
			return RO_EINVAL;
		}
	}
	return 0;
}

/* get_passphrase reads the key's passphrase once, from fd or the terminal. */
static int
get_passphrase(struct ro_engine_id *id, int fd, char **cause)
{
	struct vault_secret *sec = NULL;
	char *prompt;
	int rc;

	if (fd >= 0) {
		rc = ro_secret_read_fd(fd, PASSPHRASE_MAX, &sec, cause);
	} else {
		prompt = ro_xasprintf("Passphrase for the engine key %s: ", id->key_path);
		rc = ro_secret_prompt(prompt, 0, PASSPHRASE_MAX, &sec, cause);
		free(prompt);
		if (rc != 0) {
			char *why = *cause;
			*cause = ro_xasprintf("the engine key %s is encrypted and its passphrase "
			    "could not be asked (%s); give it with --key-passphrase-fd N, or use "
			    "an SSH agent that holds the key (ssh-add %s)", id->key_path,
			    why ? why : "no terminal", id->key_path);
			free(why);
			return RO_EINVAL;
		}
	}
	if (rc != 0)
		return rc == RO_EIO ? RO_EIO : RO_EINVAL;
	if (memchr(vault_secret_data(sec), '\0', vault_secret_len(sec)) != NULL) {
		vault_secret_free(sec);
		*cause = ro_xstrdup("the passphrase contains a NUL byte");
		return RO_EINVAL;
	}
	id->pass_cap = vault_secret_len(sec) + 1;
	id->passphrase = sodium_malloc(id->pass_cap);
	if (id->passphrase == NULL) {
		vault_secret_free(sec);
		*cause = ro_xstrdup("out of locked memory for the passphrase");
		return RO_ENOMEM;
	}
	memcpy(id->passphrase, vault_secret_data(sec), vault_secret_len(sec));
	id->passphrase[vault_secret_len(sec)] = '\0';
	vault_secret_free(sec);
	id->auth.passphrase = id->passphrase;
	return 0;
}

int
ro_engine_id_open(const struct ro_engine_id_opts *o, struct ro_engine_id **out, char **cause)
{
	struct ro_engine_id *id = ro_xcalloc(1, sizeof *id);
	const char *sock = getenv("SSH_AUTH_SOCK");
	size_t count = 0;
	int rc, holds = 0, asked = -1, enc;

	*out = NULL;
	*cause = NULL;
	if (sodium_init() < 0) {
		*cause = ro_xstrdup("libsodium could not be initialised");
		rc = RO_EIO;
		goto out;
	}
	id->key_path = ro_xstrdup(o->key_path);
	id->auth.key_path = id->key_path;
	if ((rc = read_pub(id, cause)) != 0)
		goto out;

	if (o->agent == 1 || (o->agent == -1 && sock && *sock))
		asked = sock && *sock ? agent_query(id->blob, id->blob_len, &count, &holds) : -1;
	if (o->agent == 1) {
		if (asked < 0) {
			*cause = ro_xasprintf("--agent: no SSH agent answers at SSH_AUTH_SOCK (%s); "
			    "start one with `eval $(ssh-agent)` and add the key with `ssh-add %s`",
			    sock && *sock ? sock : "not set", o->key_path);
			rc = RO_EINVAL;
			goto out;
		}
		if (id->blob ? !holds : count == 0) {
			if (id->blob)
				*cause = ro_xasprintf("--agent: the SSH agent does not hold the engine key "
				    "%s (%s); add it with: ssh-add %s", o->key_path, id->fp, o->key_path);
			else
				*cause = ro_xasprintf("--agent: the SSH agent holds no identity; add the "
				    "engine key with: ssh-add %s", o->key_path);
			rc = RO_EINVAL;
			goto out;
		}
	}
	if (asked == 0 && (id->blob ? holds : count > 0)) {
		/* The agent signs; the private key file is never read. */
		id->auth.agent = 1;
		id->auth.agent_blob = id->blob;
		id->auth.agent_blob_len = id->blob_len;
		id->describe = id->blob ? ro_xasprintf("the SSH agent (%s)", id->fp) :
		    ro_xstrdup("the SSH agent (every identity it holds)");
		if (id->blob) {
			rc = check_unread_key(id->key_path, cause);
			if (rc != 0)
				goto out;
			goto done;
		}
	}

	rc = read_key(id, cause);
	if (rc == RO_ENOENT && id->auth.agent) {
		free(*cause);
		*cause = NULL;
		goto done;
	}
	if (rc == RO_ENOENT) {
		free(*cause);
		*cause = ro_xasprintf("no engine key at %s, and no SSH agent holds one; make it with "
		    "`rollout keygen`, or load it into an agent (ssh-add) and run with --agent",
		    o->key_path);
		goto out;
	}
	if (rc != 0)
		goto out;
	if ((enc = key_encrypted(id->key)) < 0) {
		*cause = ro_xasprintf("the engine key %s is not an OpenSSH private key; "
		    "`rollout keygen` makes one", o->key_path);
		rc = RO_EINVAL;
		goto out;
	}
	if (id->pub_line) {
		id->auth.pub = id->pub_line;
		id->auth.pub_len = strlen(id->pub_line);
	}
	if (enc) {
		if ((rc = get_passphrase(id, o->passphrase_fd, cause)) != 0 ||
		    (rc = check_passphrase(id, cause)) != 0)
			goto out;
	}
	if (id->describe == NULL)
		id->describe = ro_xasprintf("key %s%s", o->key_path, enc ? " (encrypted)" : "");
done:
	*out = id;
	id = NULL;
	rc = 0;
out:
	ro_engine_id_free(id);
	return rc;
}

const struct ro_ssh_auth *
ro_engine_id_auth(const struct ro_engine_id *id)
{
	return &id->auth;
}

const char *
ro_engine_id_describe(const struct ro_engine_id *id)
{
	return id->describe;
}

void
ro_engine_id_free(struct ro_engine_id *id)
{
	if (id == NULL)
		return;
	sodium_free(id->key);        /* sodium_free zeroes */
	sodium_free(id->passphrase);
	free(id->key_path);
	free(id->pub_line);
	free(id->describe);
	free(id->blob);
	free(id);
}
