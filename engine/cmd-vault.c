/*
 * cmd-vault.c - `rollout vault ...`: the password vault's commands.
 *
 * Secrets enter only through a no-echo prompt on /dev/tty, a descriptor
 * named by --passphrase-fd, or stdin (for a value); never argv or the
 * environment. Nothing secret is printed except by `reveal`, and only to
 * a terminal. Every failure exits 1 with the vault file untouched, and
 * says what went wrong, where, and what to do.
 *
 * The header counter of every save is recorded in the state store, so an
 * older copy of the vault file put back is refused; every change and every
 * reveal is journaled there (names only, never values). The member's key
 * file pins the vault too (the library does that), so neither a forged
 * file nor an older one is accepted when the store is lost.
 *
 * Who acts is always the key file's member: --member only chooses the
 * default key file, and must agree with the key file's name.
 */
#include "cmd.h"
#include "diag.h"
#include "error.h"
#include "secret-input.h"
#include "store.h"
#include "util.h"
#include "vault-import.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const struct ro_cmd ro_cmd_vault;

struct vopts {
	const char *vault;
	const char *key;
	const char *member;
	const char *state;
	const char *format;
	const struct vault_kdf *kdf;
	const char *trust; /* --trust-vault FINGERPRINT */
	int pass_fd;     /* -1: prompt */
	struct stat pass_st; /* what pass_fd was when the options were read */
	int pending, current, previous, no_policy, insecure_kdf;
	size_t length;
	char *args[4];
	int nargs;
};

struct vctx {
	struct vopts o;
	const char *sub;
	char *vault_path;
	char *key_path;
	char *member;
	struct ro_store *st;
	struct vault_key *key;
	struct vault *v;
	struct vault_secret *pass; /* the acting member's passphrase, once read */
};

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int check_roster(struct vctx *c);

static int
usage(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ro_cmd_usage(&ro_cmd_vault, "%s", msg);
}

static int
parse_fd(const char *s, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 0 || n > 1024 || end == s)
		return -1;
	*out = (int)n;
	return 0;
}

/*
 * check_pass_fd accepts a passphrase descriptor only if it was handed to
 * rollout open: it is open now (before the command opens anything, so a
 * closed number cannot later name the store or a key file), it does not
 * have close-on-exec (every descriptor rollout opens itself has), and it
 * is a pipe, a regular file or a terminal.
 */
static int
check_pass_fd(int fd, struct stat *st)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return usage("--passphrase-fd %d: descriptor %d is not open; open it in the "
		    "calling shell, e.g. '--passphrase-fd 3 3<file'", fd, fd);
	if (fl & FD_CLOEXEC)
		return usage("--passphrase-fd %d: descriptor %d was not handed to rollout by its "
		    "caller", fd, fd);
	if (fstat(fd, st) < 0 || !(S_ISFIFO(st->st_mode) || S_ISREG(st->st_mode) ||
	    (S_ISCHR(st->st_mode) && isatty(fd))))
		return usage("--passphrase-fd %d: descriptor %d is not a pipe, a file or a "
		    "terminal", fd, fd);
	return 0;
}

/* parse_opts reads the options every subcommand shares; positional
 * arguments go to o->args. Returns 0 or an exit code. */
static int
parse_opts(int argc, char **argv, int first, struct vopts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->pass_fd = -1;
	for (i = first; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

		if (strcmp(a, "--vault") == 0 && val)
			o->vault = val;
		else if (strcmp(a, "--key") == 0 && val)
			o->key = val;
		else if (strcmp(a, "--member") == 0 && val)
			o->member = val;
		else if ((strcmp(a, "--state-dir") == 0 || strcmp(a, "--state") == 0) && val)
			o->state = val;
		else if (strcmp(a, "--format") == 0 && val) {
			if (strcmp(val, "csv") != 0 && strcmp(val, "yaml") != 0)
				return usage("--format takes csv or yaml, not '%s'", val);
			o->format = val;
		} else if (strcmp(a, "--passphrase-fd") == 0 && val) {
			int rc;
			if (parse_fd(val, &o->pass_fd) < 0)
				return usage("--passphrase-fd takes a descriptor number, not '%s'", val);
			if ((rc = check_pass_fd(o->pass_fd, &o->pass_st)) != 0)
				return rc;
		} else if (strcmp(a, "--trust-vault") == 0 && val) {
			if (strlen(val) != 64 || strspn(val, "0123456789abcdef") != 64)
				return usage("--trust-vault takes the vault's fingerprint (64 hex digits, "
				    "shown by 'rollout vault verify'), not '%s'", val);
			o->trust = val;
		} else if (strcmp(a, "--kdf") == 0 && val) {
			if (strcmp(val, "min") == 0)
				return usage("--kdf min makes a passphrase guessable at tens of thousands "
				    "of tries per second; it exists for tests only, as "
				    "--insecure-test-kdf");
			else if (strcmp(val, "interactive") == 0)
				o->kdf = &VAULT_KDF_INTERACTIVE;
			else if (strcmp(val, "moderate") == 0)
				o->kdf = &VAULT_KDF_MODERATE;
			else if (strcmp(val, "sensitive") == 0)
				o->kdf = &VAULT_KDF_SENSITIVE;
			else
				return usage("--kdf takes min, interactive, moderate or sensitive, "
				    "not '%s'", val);
		} else if (strcmp(a, "--length") == 0 && val) {
			char *end;
			unsigned long n = strtoul(val, &end, 10);
			if (*end || n < 14 || n > 64)
				return usage("--length takes 14..64, not '%s'", val);
			o->length = n;
		} else {
			takes = 0;
			if (strcmp(a, "--pending") == 0)
				o->pending = 1;
			else if (strcmp(a, "--current") == 0)
				o->current = 1;
			else if (strcmp(a, "--previous") == 0)
				o->previous = 1;
			else if (strcmp(a, "--no-policy") == 0)
				o->no_policy = 1;
			else if (strcmp(a, "--insecure-test-kdf") == 0)
				o->insecure_kdf = 1;
			else if (a[0] == '-' && a[1] != '\0')
				return usage("unknown option or missing value: '%s'", a);
			else if (o->nargs < (int)RO_NELEM(o->args))
				o->args[o->nargs++] = argv[i];
			else
				return usage("too many arguments at '%s'", a);
		}
		i += takes;
	}
	if (o->insecure_kdf) {
		if (o->kdf)
			return usage("--insecure-test-kdf and --kdf exclude each other");
		o->kdf = &VAULT_KDF_MIN;
	}
	return 0;
}

static const char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = getenv("USER");

	if (pw && pw->pw_name)
		return pw->pw_name;
	return u ? u : "admin";
}

/* resolve fills in the paths: --state (default .rollout), --vault
 * (STATE/vault.rov), --member (the key file's member, or the login name)
 * and --key (STATE/keys/MEMBER.key). */
static int
resolve(struct vctx *c)
{
	const char *state = c->o.state ? c->o.state : ro_cmd_state_dir();
	char name[VAULT_NAME_MAX + 1];
	unsigned char pk[VAULT_PUBLICKEYBYTES];

	c->vault_path = c->o.vault ? ro_xstrdup(c->o.vault) : ro_xasprintf("%s/vault.rov", state);
	if (c->o.key && vault_key_public(c->o.key, name, pk, NULL) == 0) {
		/* The key file says who acts; a --member that disagrees is refused
		 * rather than recorded. */
		if (c->o.member && strcmp(c->o.member, name) != 0)
			return usage("--member %s does not match the key file %s, which belongs to "
			    "'%s'; the actor is always the key file's member (drop --member)",
			    c->o.member, c->o.key, name);
		c->member = ro_xstrdup(name);
	} else if (c->o.member) {
		c->member = ro_xstrdup(c->o.member);
	} else {
		c->member = ro_xstrdup(login_name());
	}
	c->key_path = c->o.key ? ro_xstrdup(c->o.key) :
	    ro_xasprintf("%s/keys/%s.key", state, c->member);
	return 0;
}

/*
 * check_key_dir refuses a key directory that someone else could write:
 * they could swap a key file for their own (as OpenSSH refuses such a
 * ~/.ssh). A directory that does not exist yet is created 0700 later.
 */
static int
check_key_dir(struct vctx *c)
{
	char *d = ro_xstrdup(c->key_path), *slash = strrchr(d, '/');
	struct stat st;
	int rc = 0;

	if (slash == d)
		d[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(d, ".");
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 022) != 0) {
		fprintf(stderr, "rollout vault %s: error: the key directory %s is writable by "
		    "%s (mode %04o), so anyone there could replace a key file\n"
		    "  hint: chmod 700 %s\n  nothing was changed.\n", c->sub, d,
		    (st.st_mode & 002) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777), d);
		rc = RO_EXIT_FAIL;
	}
	free(d);
	return rc;
}

static void
ctx_free(struct vctx *c)
{
	vault_close(c->v);
	vault_key_free(c->key);
	vault_secret_free(c->pass);
	ro_store_close(c->st);
	free(c->vault_path);
	free(c->key_path);
	free(c->member);
}

/* fail prints a vault error with its cause and what to do, and returns 1. */
static int
fail(struct vctx *c, int rc, const char *cause)
{
	const char *hint = NULL;

	fprintf(stderr, "rollout vault %s: error: %s\n", c->sub, cause ? cause : vault_strerror(rc));
	switch (rc) {
	case VAULT_EPASSPHRASE:
		hint = "check the passphrase for this key file and try again";
		break;
	case VAULT_ENOTMEMBER:
		hint = "only members on the roster can open the vault; a member can add you "
		    "with 'rollout vault member add NAME'";
		break;
	case VAULT_ETAMPER_HEADER: case VAULT_ETAMPER_SLOT: case VAULT_ETAMPER_INDEX:
	case VAULT_ETAMPER_ENTRY: case VAULT_ETRUNCATED:
		hint = "the vault file was altered or damaged; do not use it: restore the newest "
		    "backup and report a security incident";
		break;
	case VAULT_EROLLBACK:
		hint = "an older copy replaced the vault file; restore the newest copy and report "
		    "a security incident";
		break;
	case VAULT_EFORGED:
		hint = "this vault file was not written by a member you trust: do not use it; "
		    "restore the newest backup and report a security incident";
		break;
	case VAULT_EUNTRUSTED:
		hint = "a member who added you can tell you the fingerprint ('rollout vault "
		    "verify' prints it); compare it by phone or in person, not from this file";
		break;
	case VAULT_EMIGRATE:
		hint = "run 'rollout vault migrate' (each member once, see vault/FORMAT.md)";
		break;
	case VAULT_EVERSION:
		hint = "this file was written by a newer rollout: upgrade rollout";
		break;
	case VAULT_ELOCKED:
		hint = "another rollout is changing the vault; wait for it to finish";
		break;
	case VAULT_ENOENT:
		hint = "check the path or name ('rollout vault list' shows the entries)";
		break;
	}
	if (hint)
		fprintf(stderr, "  hint: %s\n", hint);
	fprintf(stderr, "  nothing was changed.\n");
	return RO_EXIT_FAIL;
}

/* get_passphrase reads the acting member's passphrase (fd or prompt). */
static int
get_passphrase(struct vctx *c, int fd, const char *prompt, int confirm,
    struct vault_secret **out)
{
	char *cause = NULL;
	int rc;

	if (fd >= 0) {
		struct stat st;
		/* Still the descriptor the caller handed over, not one reused. */
		if (fstat(fd, &st) < 0 || st.st_dev != c->o.pass_st.st_dev ||
		    st.st_ino != c->o.pass_st.st_ino) {
			fprintf(stderr, "rollout vault %s: error: descriptor %d is no longer the one "
			    "given with --passphrase-fd\n", c->sub, fd);
			return -1;
		}
		rc = ro_secret_read_fd(fd, VAULT_PASSPHRASE_MAX, out, &cause);
	} else {
		rc = ro_secret_prompt(prompt, confirm, VAULT_PASSPHRASE_MAX, out, &cause);
	}
	if (rc != 0) {
		fprintf(stderr, "rollout vault %s: error: %s\n", c->sub, cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
open_store(struct vctx *c)
{
	const char *state = c->o.state ? c->o.state : ro_cmd_state_dir();
	char *cause = NULL;

	if (ro_store_open_dir(state, &c->st, &cause) != 0) {
		fprintf(stderr, "rollout vault %s: error: %s\n", c->sub,
		    cause ? cause : "cannot open the state store");
		free(cause);
		return -1;
	}
	return 0;
}

/* unlock runs Argon2id on the member's passphrase (the slow step). */
static int
unlock(struct vctx *c)
{
	char *cause = NULL, *prompt;
	int rc;

	if (check_key_dir(c) != 0)
		return RO_EXIT_FAIL;
	if (c->pass == NULL) {
		prompt = ro_xasprintf("Passphrase for %s (%s): ", c->member, c->key_path);
		rc = get_passphrase(c, c->o.pass_fd, prompt, 0, &c->pass);
		free(prompt);
		if (rc < 0)
			return RO_EXIT_FAIL;
	}
	rc = vault_key_unlock(c->key_path, (const char *)vault_secret_data(c->pass),
	    vault_secret_len(c->pass), &c->key, &cause);
	if (rc != 0) {
		if (rc == VAULT_ENOENT) {
			free(cause);
			cause = ro_xasprintf("%s: no key file for member '%s' (use --key FILE or "
			    "--member NAME, or create one with 'rollout vault keygen')",
			    c->key_path, c->member);
		}
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	if (strcmp(vault_key_name(c->key), c->member) != 0) {
		fprintf(stderr, "rollout vault %s: error: the key file %s belongs to '%s', not "
		    "'%s'; the actor is always the key file's member\n  nothing was changed.\n",
		    c->sub, c->key_path, vault_key_name(c->key), c->member);
		return RO_EXIT_USAGE;
	}
	if (c->o.trust && vault_key_trust(c->key, c->o.trust) != 0)
		return usage("--trust-vault: not a fingerprint");
	return 0;
}

/*
 * open_vault unlocks the key, opens the store and the vault, and checks
 * the file's counter against the one recorded in the store: lower means
 * an older copy was put back.
 */
static int
open_vault(struct vctx *c, int flags)
{
	char *cause = NULL;
	uint64_t recorded = 0;
	int rc;

	if (open_store(c) < 0)
		return RO_EXIT_FAIL;
	if ((rc = unlock(c)) != 0)
		return rc;
	rc = vault_open(c->vault_path, c->key, 0, flags, &c->v, &cause);
	if (rc == VAULT_ENOENT) {
		free(cause);
		cause = ro_xasprintf("%s: no vault here (create one with 'rollout vault init', or "
		    "name it with --vault FILE)", c->vault_path);
	}
	if (rc != 0) {
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	if (ro_store_vault_counter(c->st, vault_id(c->v), &recorded) != 0) {
		fprintf(stderr, "rollout vault %s: error: cannot read the vault counter from the "
		    "state store\n", c->sub);
		return RO_EXIT_FAIL;
	}
	if (vault_counter(c->v) < recorded) {
		cause = ro_xasprintf("%s: counter %llu is lower than the %llu recorded in the state "
		    "store: an older copy of the vault file was put back", c->vault_path,
		    (unsigned long long)vault_counter(c->v), (unsigned long long)recorded);
		rc = fail(c, VAULT_EROLLBACK, cause);
		free(cause);
		return rc;
	}
	if (vault_counter(c->v) > recorded)
		/* A save whose record did not reach the store before a crash. */
		ro_store_vault_counter_set(c->st, vault_id(c->v), vault_counter(c->v));
	return check_roster(c);
}

/*
 * check_roster is the store's half of the roster pin: the roster this
 * machine last recorded for the vault must be in the file's signed roster
 * history (a member whose key file has not seen a later roster is still
 * protected by what another member's save recorded here). Then the current
 * roster is recorded.
 */
static int
check_roster(struct vctx *c)
{
	char rec[65], *cause;
	int rc;

	if (vault_version(c->v) < 2)
		return 0;
	if (ro_store_vault_roster(c->st, vault_id(c->v), rec) != 0) {
		fprintf(stderr, "rollout vault %s: error: cannot read the vault roster from the "
		    "state store\n", c->sub);
		return RO_EXIT_FAIL;
	}
	if (rec[0] != '\0' && !vault_roster_known(c->v, rec)) {
		cause = ro_xasprintf("%s: vault %s is signed by '%s', but its roster does not "
		    "descend from the roster this machine's state store last recorded: the file "
		    "was replaced by one signed by no member known here", c->vault_path,
		    vault_id(c->v), vault_signer(c->v));
		rc = fail(c, VAULT_EFORGED, cause);
		free(cause);
		return rc;
	}
	if (strcmp(rec, vault_roster(c->v)) != 0 &&
	    ro_store_vault_roster_set(c->st, vault_id(c->v), vault_roster(c->v)) != 0)
		fprintf(stderr, "rollout vault %s: warning: the state store did not record the "
		    "vault's roster\n", c->sub);
	return 0;
}

static void
journal(struct vctx *c, const char *kind, const char *name, const char *extra)
{
	struct ro_buf d;

	ro_buf_init(&d);
	ro_buf_adds(&d, "{\"vault\":");
	ro_buf_json_str(&d, vault_id(c->v));
	if (name) {
		ro_buf_adds(&d, ",\"name\":");
		ro_buf_json_str(&d, name);
	}
	if (extra) {
		ro_buf_adds(&d, ",\"detail\":");
		ro_buf_json_str(&d, extra);
	}
	ro_buf_printf(&d, ",\"counter\":%llu}", (unsigned long long)vault_counter(c->v));
	if (ro_store_journal(c->st, NULL, kind, c->member, d.p) != 0)
		fprintf(stderr, "rollout vault %s: warning: could not journal %s\n", c->sub, kind);
	ro_buf_free(&d);
}

/* save writes the vault, records its counter and journals the change. */
static int
save(struct vctx *c, const char *kind, const char *name, const char *extra)
{
	char *cause = NULL;
	int rc;

	if ((rc = vault_save(c->v, &cause)) != 0) {
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	if (ro_store_vault_counter_set(c->st, vault_id(c->v), vault_counter(c->v)) != 0) {
		fprintf(stderr, "rollout vault %s: error: the vault was saved (counter %llu) but the "
		    "state store did not record it; run 'rollout vault verify' to record it\n",
		    c->sub, (unsigned long long)vault_counter(c->v));
		return RO_EXIT_FAIL;
	}
	if (ro_store_vault_roster_set(c->st, vault_id(c->v), vault_roster(c->v)) != 0)
		fprintf(stderr, "rollout vault %s: warning: the state store did not record the "
		    "vault's roster\n", c->sub);
	journal(c, kind, name, extra);
	return 0;
}

static void
ensure_dir(const char *path)
{
	char *d = ro_xstrdup(path), *slash = strrchr(d, '/');

	if (slash && slash != d) {
		*slash = '\0';
		ensure_dir(d);
		mkdir(d, 0700);
	}
	free(d);
}

static void
fmt_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)t);
}

/* ---- subcommands ---------------------------------------------------- */

/* make_key creates the member's key file, asking for a new passphrase. */
static int
make_key(struct vctx *c)
{
	struct vault_secret *pass = NULL;
	char *cause = NULL, *prompt;
	int rc;

	const char *why;

	if (check_key_dir(c) != 0)
		return RO_EXIT_FAIL;
	ensure_dir(c->key_path);
	prompt = ro_xasprintf("New passphrase for %s: ", c->member);
	rc = get_passphrase(c, c->o.pass_fd, prompt, 1, &pass);
	free(prompt);
	if (rc < 0)
		return RO_EXIT_FAIL;
	if (vault_passphrase_check(vault_secret_data(pass), vault_secret_len(pass), &why) != 0) {
		vault_secret_free(pass);
		fprintf(stderr, "rollout vault %s: error: the passphrase %s\n"
		    "  hint: use 15 or more characters, e.g. four or five unrelated words\n"
		    "  nothing was changed.\n", c->sub, why);
		return RO_EXIT_FAIL;
	}
	if (c->o.insecure_kdf)
		fprintf(stderr, "rollout vault %s: warning: --insecure-test-kdf: this key file can "
		    "be guessed quickly; use it for tests only\n", c->sub);
	rc = vault_key_create(c->key_path, c->member, (const char *)vault_secret_data(pass),
	    vault_secret_len(pass), c->o.kdf, &cause);
	/* init unlocks the new key with the same passphrase. */
	vault_secret_free(c->pass);
	c->pass = pass;
	if (rc != 0) {
		if (rc == VAULT_EEXIST) {
			free(cause);
			cause = ro_xasprintf("%s already exists; a key file is never overwritten",
			    c->key_path);
		}
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	printf("created key file %s for member %s\n", c->key_path, c->member);
	return 0;
}

static int
sub_keygen(struct vctx *c)
{
	if (c->o.nargs != 0)
		return usage("keygen takes no arguments");
	return make_key(c);
}

static int
sub_init(struct vctx *c)
{
	char *cause = NULL;
	struct stat st;
	int rc;

	if (c->o.nargs != 0)
		return usage("init takes no arguments");
	if (stat(c->vault_path, &st) == 0) {
		fprintf(stderr, "rollout vault init: error: %s already exists; a vault is created "
		    "only once\n", c->vault_path);
		return RO_EXIT_FAIL;
	}
	if (stat(c->key_path, &st) != 0 && (rc = make_key(c)) != 0)
		return rc;
	if (open_store(c) < 0 || (rc = unlock(c)) != 0)
		return RO_EXIT_FAIL;
	ensure_dir(c->vault_path);
	if ((rc = vault_create(c->vault_path, c->key, (int64_t)time(NULL), &c->v, &cause)) != 0) {
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	ro_store_vault_counter_set(c->st, vault_id(c->v), vault_counter(c->v));
	ro_store_vault_roster_set(c->st, vault_id(c->v), vault_roster(c->v));
	journal(c, "vault.init", NULL, NULL);
	printf("created vault %s (id %s) with member %s\n  fingerprint %s\n", c->vault_path,
	    vault_id(c->v), c->member, vault_fingerprint(c->v));
	return 0;
}

static int
sub_member(struct vctx *c)
{
	const char *verb = c->o.nargs > 0 ? c->o.args[0] : "";
	char *cause = NULL, *path;
	struct vault_pubkey pub;
	size_t i;
	int rc;

	if (strcmp(verb, "list") == 0) {
		if (c->o.nargs != 1)
			return usage("member list takes no arguments");
		if ((rc = open_vault(c, VAULT_OPEN_READ)) != 0)
			return rc;
		for (i = 0; i < vault_member_count(c->v); i++) {
			char t[32];
			fmt_time(vault_member_added(c->v, i), t, sizeof(t));
			printf("%-24s added %s\n", vault_member_name(c->v, i), t);
		}
		return 0;
	}
	if ((strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0) || c->o.nargs != 2)
		return usage("member takes add NAME, remove NAME or list");
	if (strcmp(verb, "add") == 0) {
		/* The new member made their key file with `vault keygen`; only its
		 * public half is read here. */
		const char *state = c->o.state ? c->o.state : ro_cmd_state_dir();
		path = ro_xasprintf("%s/keys/%s.key", state, c->o.args[1]);
		rc = vault_key_public_info(path, &pub, &cause);
		if (rc == 0 && strcmp(pub.name, c->o.args[1]) != 0) {
			free(cause);
			cause = ro_xasprintf("%s belongs to member '%s', not '%s'", path, pub.name,
			    c->o.args[1]);
			rc = VAULT_EKEYFILE;
		}
		if (rc == 0 && pub.version < 2) {
			free(cause);
			cause = ro_xasprintf("%s is a version-1 key file without a signing key; ask "
			    "%s to run 'rollout vault migrate' first", path, pub.name);
			rc = VAULT_EMIGRATE;
		}
		if (rc != 0) {
			if (rc == VAULT_ENOENT) {
				free(cause);
				cause = ro_xasprintf("%s: no key file for '%s'; ask them to run "
				    "'rollout vault keygen --member %s' first", path, c->o.args[1],
				    c->o.args[1]);
			}
			free(path);
			rc = fail(c, rc, cause);
			free(cause);
			return rc;
		}
		free(path);
		if ((rc = open_vault(c, VAULT_OPEN_WRITE)) != 0)
			return rc;
		rc = vault_member_add(c->v, pub.name, pub.pk, pub.sign_pk, (int64_t)time(NULL));
		if (rc != 0) {
			cause = ro_xasprintf("cannot add '%s': %s", pub.name, rc == VAULT_EEXIST ?
			    "already on the roster (by name or key)" : vault_strerror(rc));
			rc = fail(c, rc, cause);
			free(cause);
			return rc;
		}
		if ((rc = save(c, "vault.member.add", NULL, pub.name)) != 0)
			return rc;
		printf("added %s to the roster of %s\n"
		    "  tell %s the vault's fingerprint in person or by phone; their first open is\n"
		    "  rollout vault verify --member %s --trust-vault %s\n", pub.name, c->vault_path,
		    pub.name, pub.name, vault_fingerprint(c->v));
		return 0;
	}
	if ((rc = open_vault(c, VAULT_OPEN_WRITE)) != 0)
		return rc;
	rc = vault_member_remove(c->v, c->o.args[1]);
	if (rc != 0) {
		cause = ro_xasprintf("cannot remove '%s': %s", c->o.args[1],
		    rc == VAULT_ENOENT ? "not on the roster ('rollout vault member list')" :
		    rc == VAULT_ESTATE ? "the last member cannot be removed, and nobody removes "
		    "themselves (another member signs that change)" : vault_strerror(rc));
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	if ((rc = save(c, "vault.member.remove", NULL, c->o.args[1])) != 0)
		return rc;
	printf("removed %s from the roster of %s and re-keyed the vault\n"
	       "  note: rotate the passwords %s has seen\n", c->o.args[1], c->vault_path,
	    c->o.args[1]);
	return 0;
}

static int
check_name(struct vctx *c, const char *name)
{
	if (vault_name_valid(name))
		return 0;
	/* Not echoed: a password typed where the name goes must not reach a
	 * terminal's scrollback or a log. */
	(void)name;
	fprintf(stderr, "rollout vault %s: error: the entry name is not valid (not shown, in "
	    "case it is a password)\n"
	    "  hint: names are HOST/CREDENTIAL, e.g. cs-active/windows-admin\n", c->sub);
	return RO_EXIT_USAGE;
}

static int
put_value(struct vctx *c, const char *name, struct vault_secret *val, enum vault_state state,
    const char *kind)
{
	const char *why;
	char *cause;
	int rc;

	if (!c->o.no_policy &&
	    vault_policy_check(&VAULT_POLICY_DEFAULT, vault_secret_data(val), vault_secret_len(val),
	    &why) != 0) {
		cause = ro_xasprintf("the value for '%s' %s", name, why);
		rc = fail(c, VAULT_EPOLICY, cause);
		free(cause);
		return rc;
	}
	rc = vault_put(c->v, name, vault_secret_data(val), vault_secret_len(val), state, c->member,
	    (int64_t)time(NULL));
	if (rc != 0)
		return fail(c, rc, NULL);
	if ((rc = save(c, kind, name, vault_state_name(state))) != 0)
		return rc;
	printf("stored a new %s version of %s\n", vault_state_name(state), name);
	return 0;
}

static int
sub_set(struct vctx *c)
{
	struct vault_secret *val = NULL;
	char *cause = NULL;
	int rc;

	if (c->o.nargs != 1)
		return usage("set takes one NAME");
	if ((rc = check_name(c, c->o.args[0])) != 0)
		return rc;
	if (c->o.pass_fd == STDIN_FILENO) {
		fprintf(stderr, "rollout vault set: error: the value comes on stdin; pass the "
		    "passphrase on another descriptor\n");
		return RO_EXIT_USAGE;
	}
	if ((rc = open_vault(c, VAULT_OPEN_WRITE)) != 0)
		return rc;
	if (isatty(STDIN_FILENO))
		rc = ro_secret_prompt("New value: ", 1, VAULT_VALUE_MAX, &val, &cause);
	else
		rc = ro_secret_read_all(STDIN_FILENO, VAULT_VALUE_MAX, &val, &cause);
	if (rc != 0) {
		fprintf(stderr, "rollout vault set: error: %s\n  nothing was changed.\n", cause);
		free(cause);
		return RO_EXIT_FAIL;
	}
	rc = put_value(c, c->o.args[0], val, c->o.pending ? VAULT_PENDING : VAULT_CURRENT,
	    "vault.set");
	vault_secret_free(val);
	return rc;
}

static int
sub_generate(struct vctx *c)
{
	struct vault_policy pol = VAULT_POLICY_DEFAULT;
	struct vault_secret *val = NULL;
	int rc;

	if (c->o.nargs != 1)
		return usage("generate takes one NAME");
	if ((rc = check_name(c, c->o.args[0])) != 0)
		return rc;
	if (c->o.length)
		pol.gen_len = c->o.length;
	if ((rc = open_vault(c, VAULT_OPEN_WRITE)) != 0)
		return rc;
	if ((rc = vault_generate(&pol, &val)) != 0)
		return fail(c, rc, NULL);
	rc = put_value(c, c->o.args[0], val, c->o.current ? VAULT_CURRENT : VAULT_PENDING,
	    "vault.generate");
	vault_secret_free(val);
	return rc;
}

static int
sub_import(struct vctx *c)
{
	struct ro_import im;
	struct ro_diags d;
	size_t i;
	int rc;

	if (c->o.nargs != 1)
		return usage("import takes one FILE (or - for stdin)");
	if (strcmp(c->o.args[0], "-") == 0 && c->o.pass_fd == STDIN_FILENO) {
		fprintf(stderr, "rollout vault import: error: the notice comes on stdin; pass the "
		    "passphrase on another descriptor\n");
		return RO_EXIT_USAGE;
	}
	ro_diags_init(&d);
	/* Parse and check every line before touching the vault. */
	if (ro_vault_import_parse(c->o.args[0], c->o.format, &VAULT_POLICY_DEFAULT, &im, &d) != 0) {
		ro_diags_print(stderr, &d);
		fprintf(stderr, "rollout vault import: %zu problem(s); nothing was stored.\n",
		    d.n + d.dropped);
		ro_diags_free(&d);
		return RO_EXIT_FAIL;
	}
	ro_diags_free(&d);
	if ((rc = open_vault(c, VAULT_OPEN_WRITE)) != 0)
		goto out;
	for (i = 0; i < im.n; i++) {
		rc = vault_put(c->v, im.v[i].name, vault_secret_data(im.v[i].value),
		    vault_secret_len(im.v[i].value), c->o.current ? VAULT_CURRENT : VAULT_PENDING,
		    c->member, (int64_t)time(NULL));
		if (rc != 0) {
			char *cause = ro_xasprintf("%s:%d: cannot store '%s': %s", c->o.args[0],
			    im.v[i].line, im.v[i].name, vault_strerror(rc));
			rc = fail(c, rc, cause);
			free(cause);
			goto out;
		}
	}
	{
		char *n = ro_xasprintf("%zu entries", im.n);
		rc = save(c, "vault.import", NULL, n);
		free(n);
	}
	if (rc == 0) {
		printf("imported %zu %s passwords from %s\n", im.n,
		    c->o.current ? "current" : "pending", c->o.args[0]);
		if (strcmp(c->o.args[0], "-") != 0)
			printf("  note: the notice is plaintext; destroy it (shred -u %s)\n",
			    c->o.args[0]);
	}
out:
	ro_import_free(&im);
	return rc;
}

static int
sub_list(struct vctx *c)
{
	struct vault_entry_info info;
	size_t i, j;
	int rc;

	if (c->o.nargs != 0)
		return usage("list takes no arguments");
	if ((rc = open_vault(c, VAULT_OPEN_READ)) != 0)
		return rc;
	for (i = 0; i < vault_entry_count(c->v); i++) {
		if ((rc = vault_entry_info(c->v, vault_entry_name(c->v, i), &info)) != 0) {
			char *cause = ro_xasprintf("%s: entry '%s' fails authentication", c->vault_path,
			    vault_entry_name(c->v, i));
			rc = fail(c, rc, cause);
			free(cause);
			return rc;
		}
		printf("%s\n", info.name);
		for (j = 0; j < info.n_versions; j++) {
			const struct vault_version *ver = &info.versions[j];
			char t1[32], t2[32];
			fmt_time(ver->created_at, t1, sizeof(t1));
			fmt_time(ver->changed_at, t2, sizeof(t2));
			printf("  v%-3u %-8s created %s by %s, changed %s by %s\n", (unsigned)ver->seq,
			    vault_state_name(ver->state), t1, ver->created_by, t2, ver->changed_by);
		}
	}
	return 0;
}

static int
sub_reveal(struct vctx *c)
{
	enum vault_state state = c->o.pending ? VAULT_PENDING :
	    c->o.previous ? VAULT_PREVIOUS : VAULT_CURRENT;
	struct vault_secret *val = NULL;
	char *cause;
	int rc;

	if (c->o.nargs != 1)
		return usage("reveal takes one NAME");
	if ((rc = check_name(c, c->o.args[0])) != 0)
		return rc;
	if (!isatty(STDOUT_FILENO)) {
		fprintf(stderr, "rollout vault reveal: error: standard output is not a terminal; "
		    "a password is shown only on a terminal\n");
		return RO_EXIT_FAIL;
	}
	if ((rc = open_vault(c, VAULT_OPEN_READ)) != 0)
		return rc;
	if ((rc = vault_get(c->v, c->o.args[0], state, &val)) != 0) {
		cause = ro_xasprintf("%s: no %s version of '%s'", c->vault_path,
		    vault_state_name(state), c->o.args[0]);
		rc = fail(c, rc, rc == VAULT_ENOENT ? cause : NULL);
		free(cause);
		return rc;
	}
	/* Journal before showing: a reveal that cannot be recorded is refused. */
	{
		struct ro_buf d;
		ro_buf_init(&d);
		ro_buf_adds(&d, "{\"vault\":");
		ro_buf_json_str(&d, vault_id(c->v));
		ro_buf_adds(&d, ",\"name\":");
		ro_buf_json_str(&d, c->o.args[0]);
		ro_buf_printf(&d, ",\"state\":\"%s\"}", vault_state_name(state));
		rc = ro_store_journal(c->st, NULL, "vault.reveal", c->member, d.p);
		ro_buf_free(&d);
	}
	if (rc != 0) {
		vault_secret_free(val);
		fprintf(stderr, "rollout vault reveal: error: the reveal could not be journaled, "
		    "so the value is not shown\n");
		return RO_EXIT_FAIL;
	}
	fwrite(vault_secret_data(val), 1, vault_secret_len(val), stdout);
	fputc('\n', stdout);
	fflush(stdout);
	vault_secret_free(val);
	return 0;
}

static int
sub_commit(struct vctx *c)
{
	int rc;

	if (c->o.nargs != 1)
		return usage("commit takes one NAME");
	if ((rc = check_name(c, c->o.args[0])) != 0)
		return rc;
	if ((rc = open_vault(c, VAULT_OPEN_WRITE)) != 0)
		return rc;
	if ((rc = vault_commit(c->v, c->o.args[0], c->member, (int64_t)time(NULL))) != 0) {
		char *cause = ro_xasprintf("'%s' has no pending version to commit", c->o.args[0]);
		rc = fail(c, rc, rc == VAULT_ESTATE || rc == VAULT_ENOENT ? cause : NULL);
		free(cause);
		return rc;
	}
	if ((rc = save(c, "vault.commit", c->o.args[0], NULL)) != 0)
		return rc;
	printf("%s: the pending version is now current\n", c->o.args[0]);
	return 0;
}

static int
sub_verify(struct vctx *c)
{
	char *cause = NULL;
	int rc;

	if (c->o.nargs != 0)
		return usage("verify takes no arguments");
	if ((rc = open_vault(c, VAULT_OPEN_READ)) != 0)
		return rc;
	if ((rc = vault_verify(c->v, &cause)) != 0) {
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	printf("%s: ok: %zu entries, %zu members, counter %llu, id %s, signed by %s\n"
	    "  fingerprint %s\n", c->vault_path,
	    vault_entry_count(c->v), vault_member_count(c->v),
	    (unsigned long long)vault_counter(c->v), vault_id(c->v), vault_signer(c->v),
	    vault_fingerprint(c->v));
	return 0;
}

/*
 * sub_migrate upgrades the member's own key file to version 2 (a signing
 * key), then, when the vault is still version 1 and every member's key
 * file has been upgraded, rewrites the vault as version 2 signed by this
 * member. Each member runs it once; the last one converts the vault.
 */
static int
sub_migrate(struct vctx *c)
{
	const char *state = c->o.state ? c->o.state : RO_STATE_DIR_DEFAULT;
	struct vault_pubkey *pubs = NULL;
	struct vault_pubkey self;
	char *cause = NULL;
	size_t i, n = 0;
	int rc;

	if (c->o.nargs != 0)
		return usage("migrate takes no arguments");
	if (check_key_dir(c) != 0)
		return RO_EXIT_FAIL;
	if ((rc = vault_key_public_info(c->key_path, &self, &cause)) == 0 && self.version < 2) {
		if (get_passphrase(c, c->o.pass_fd, "Passphrase: ", 0, &c->pass) < 0)
			return RO_EXIT_FAIL;
		rc = vault_key_upgrade(c->key_path, (const char *)vault_secret_data(c->pass),
		    vault_secret_len(c->pass), &cause);
		if (rc == 0)
			printf("upgraded key file %s to version 2 (it now has a signing key)\n",
			    c->key_path);
	}
	if (rc != 0) {
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	if ((rc = open_vault(c, VAULT_OPEN_WRITE | VAULT_OPEN_MIGRATE)) != 0)
		return rc;
	if (vault_version(c->v) >= 2) {
		printf("%s is already version 2\n", c->vault_path);
		return 0;
	}
	/* Every member's signing key, from their (upgraded) key files. */
	pubs = ro_xcalloc(vault_member_count(c->v), sizeof(*pubs));
	for (i = 0; i < vault_member_count(c->v); i++) {
		char *kp = ro_xasprintf("%s/keys/%s.key", state, vault_member_name(c->v, i));
		if (vault_key_public_info(kp, &pubs[n], NULL) == 0)
			n++;
		free(kp);
	}
	rc = vault_upgrade(c->v, pubs, n, &cause);
	free(pubs);
	if (rc == VAULT_ENOENT) {
		printf("%s stays version 1 for now: %s\n", c->vault_path, cause);
		free(cause);
		return 0;
	}
	if (rc != 0) {
		rc = fail(c, rc, cause);
		free(cause);
		return rc;
	}
	if ((rc = save(c, "vault.migrate", NULL, "version 2")) != 0)
		return rc;
	printf("migrated %s to version 2, signed by %s\n  fingerprint %s (give it to every "
	    "other member for their first open: --trust-vault FINGERPRINT)\n", c->vault_path,
	    c->member, vault_fingerprint(c->v));
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct vctx *);
} subs[] = {
	{ "init", sub_init },     { "keygen", sub_keygen }, { "member", sub_member },
	{ "set", sub_set },       { "import", sub_import }, { "generate", sub_generate },
	{ "list", sub_list },     { "reveal", sub_reveal }, { "commit", sub_commit },
	{ "verify", sub_verify }, { "migrate", sub_migrate },
};

static int
vault_exec(int argc, char **argv)
{
	struct vctx c;
	size_t i;
	int rc;

	if (argc < 2)
		return usage("which vault command?");
	if (sodium_init() < 0) {
		fputs("rollout vault: libsodium could not be initialised\n", stderr);
		return RO_EXIT_FAIL;
	}
	memset(&c, 0, sizeof(c));
	c.sub = argv[1];
	for (i = 0; i < RO_NELEM(subs); i++)
		if (strcmp(subs[i].name, argv[1]) == 0)
			break;
	if (i == RO_NELEM(subs)) {
		static const char *const names[] = { "init", "keygen", "member", "set", "import",
			"generate", "list", "reveal", "commit", "verify", "migrate", NULL };
		const char *s = ro_suggest(argv[1], names);
		fprintf(stderr, "rollout vault: unknown subcommand '%s'%s%s%s\n", argv[1],
		    s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		return ro_cmd_usage(&ro_cmd_vault, NULL);
	}
	if ((rc = parse_opts(argc, argv, 2, &c.o)) != 0)
		return rc;
	if ((rc = resolve(&c)) == 0)
		rc = subs[i].fn(&c);
	ctx_free(&c);
	return rc;
}

const struct ro_cmd ro_cmd_vault = {
	.name = "vault",
	.usage = "SUBCOMMAND [ARGS] [--vault FILE] [--key FILE] [--member NAME] [--state-dir DIR] "
	    "[--passphrase-fd N] [--trust-vault FINGERPRINT]",
	.summary = "Keep administrator passwords in the sealed vault.",
	.help =
	    "subcommands:\n"
	    "  keygen                 create your key file (asks for a new passphrase)\n"
	    "  init                   create the vault with you as its first member\n"
	    "  member add NAME        add NAME (who ran 'keygen --member NAME') to the roster\n"
	    "  member remove NAME     remove NAME and re-key the vault\n"
	    "  member list            show the roster\n"
	    "  set NAME [--pending]   store a value typed at a no-echo prompt or piped on stdin\n"
	    "                         (--no-policy skips the password policy)\n"
	    "  import FILE|-          store the city's notice (CSV or YAML) as pending values;\n"
	    "                         nothing is stored if any line is bad (--format csv|yaml,\n"
	    "                         --current to store them as current)\n"
	    "  generate NAME          store a new random pending value (--length N, --current)\n"
	    "  commit NAME            make the pending value current\n"
	    "  list                   list entries and versions (never values)\n"
	    "  reveal NAME            print a value to a terminal, journaled\n"
	    "                         (--pending or --previous for those versions)\n"
	    "  verify                 authenticate every byte and entry of the vault, and who\n"
	    "                         signed it; prints the fingerprint new members need\n"
	    "  migrate                upgrade your key file, and the vault once every member\n"
	    "                         has, from format version 1 to 2 (signed writes)\n"
	    "\n"
	    "options:\n"
	    "  --state-dir DIR        state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "  --vault FILE           vault file (default STATE/vault.rov)\n"
	    "  --member NAME          who you are (default: your login name); only picks the\n"
	    "                         key file: the actor recorded is the key file's member\n"
	    "  --key FILE             your key file (default STATE/keys/MEMBER.key)\n"
	    "  --trust-vault FP       first open of a vault a member added you to: accept it if\n"
	    "                         its fingerprint is FP (ask that member in person)\n"
	    "  --passphrase-fd N      read the passphrase from descriptor N instead of the\n"
	    "                         terminal (for automation); never pass it in argv or env\n"
	    "  --kdf LEVEL            Argon2id cost of a new key file: interactive,\n"
	    "                         moderate (default) or sensitive\n"
	    "  --insecure-test-kdf    the minimum Argon2id cost, for test suites only\n"
	    "\n"
	    "Errors exit 1 and change nothing: wrong passphrase, not a member, tampered\n"
	    "file (and which part), a file signed by no member you trust (naming who\n"
	    "signed it), a vault your key file never verified, an older copy put back,\n"
	    "newer format, locked by another writer, password policy. Usage errors, and a\n"
	    "--member that is not the key file's member, exit 2. A successful command also\n"
	    "updates your key file's record of the vault (see vault/FORMAT.md).\n",
	.exec = vault_exec,
};
