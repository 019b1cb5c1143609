/*
 * pwvault.c - the vault as one run uses it (see pwvault.h): unlocked once,
 * read per host and credential, its commits written in groups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "pwvault.h"
#include "secret-input.h"
#include "util.h"

struct ro_pwvault {
	struct ro_store *st;
	struct vault_key *key;
	struct vault *v;
	char *path;
	char member[VAULT_NAME_MAX + 1];
	struct ro_buf names;   /* JSON array body: entries committed since the last write */
	size_t nnames;
	struct ro_pwvault_stats stats;
	double last_save, last_cost; /* monotonic seconds */
	int protected;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the user must do about a refused open: a sentence after the cause. */
static const char *
open_hint(int rc)
{
	switch (rc) {
	case VAULT_EPASSPHRASE:
		return "check the passphrase for this key file and run again";
	case VAULT_ENOTMEMBER:
		return "only members on the vault's roster can run a password campaign; a member "
		    "adds you with 'rollout vault member add NAME'";
	case VAULT_EUNTRUSTED:
		return "this key file has never opened this vault: it may be another fleet's vault; "
		    "check --state-dir, or open it once with --trust-vault FINGERPRINT told to you "
		    "by a member";
	case VAULT_EFORGED: case VAULT_EROLLBACK:
		return "do not use this vault file: restore the newest copy and report a security "
		    "incident";
	case VAULT_ELOCKED:
		return "another rollout is changing the vault; wait for it to finish";
	case VAULT_EMIGRATE:
		return "run 'rollout vault migrate' first (vault/FORMAT.md)";
	default:
		return NULL;
	}
}

static int
refuse(struct ro_pwvault *pv, int vrc, char *vcause, char **cause)
{
	const char *hint = open_hint(vrc);

	*cause = ro_xasprintf("vault %s: %s%s%s", pv->path, vcause ? vcause : vault_strerror(vrc),
	    hint ? "\n  hint: " : "", hint ? hint : "");
	free(vcause);
	return vrc == VAULT_EIO || vrc == VAULT_ENOMEM ? RO_EIO : RO_EINVAL;
}

int
ro_pwvault_open(const struct ro_pwvault_opts *o, struct ro_store *st,
    struct ro_pwvault **out, char **cause)
{
	struct ro_pwvault *pv = ro_xcalloc(1, sizeof *pv);
	struct vault_secret *pass = NULL;
	char *key_path, *vcause = NULL, *prompt, rec[65];
	uint64_t recorded = 0;
	int rc = RO_OK, vrc;

	*out = NULL;
	pv->st = st;
	ro_buf_init(&pv->names);
	/* Not dumpable, no core, from before the passphrase is read. */
	vault_protect(1);
	pv->protected = 1;
	pv->path = o->vault_path ? ro_xstrdup(o->vault_path) :
	    ro_xasprintf("%s/vault.rov", o->state_dir);
	key_path = o->key_path ? ro_xstrdup(o->key_path) :
	    ro_xasprintf("%s/keys/%s.key", o->state_dir, o->member);
	if (o->passphrase_fd >= 0)
		vrc = ro_secret_read_fd(o->passphrase_fd, VAULT_PASSPHRASE_MAX, &pass, &vcause);
	else {
		prompt = ro_xasprintf("Vault passphrase for %s (%s): ", o->member, key_path);
		vrc = ro_secret_prompt(prompt, 0, VAULT_PASSPHRASE_MAX, &pass, &vcause);
		free(prompt);
	}
	if (vrc != 0) {
		*cause = ro_xasprintf("the vault passphrase: %s", vcause ? vcause : "cannot be read");
		free(vcause);
		rc = RO_EINVAL;
		goto out;
	}
	vrc = vault_key_unlock(key_path, (const char *)vault_secret_data(pass),
	    vault_secret_len(pass), &pv->key, &vcause);
	vault_secret_free(pass);
	pass = NULL;
	if (vrc == VAULT_ENOENT) {
		free(vcause);
		*cause = ro_xasprintf("%s: no key file for vault member '%s' (name it with "
		    "--vault-key FILE, or create it with 'rollout vault keygen')", key_path, o->member);
		rc = RO_EINVAL;
		goto out;
	}
	if (vrc != 0) {
		rc = refuse(pv, vrc, vcause, cause);
		goto out;
	}
	if (strcmp(vault_key_name(pv->key), o->member) != 0) {
		*cause = ro_xasprintf("the key file %s belongs to '%s', not to --vault-member %s",
		    key_path, vault_key_name(pv->key), o->member);
		rc = RO_EINVAL;
		goto out;
	}
	snprintf(pv->member, sizeof pv->member, "%s", o->member);
	if (o->trust && vault_key_trust(pv->key, o->trust) != 0) {
		*cause = ro_xasprintf("--trust-vault: not a fingerprint (64 hex digits)");
		rc = RO_EINVAL;
		goto out;
	}
	vrc = vault_open(pv->path, pv->key, 0, VAULT_OPEN_WRITE, &pv->v, &vcause);
	if (vrc == VAULT_ENOENT) {
		free(vcause);
		*cause = ro_xasprintf("%s: no vault here (create one with 'rollout vault init', "
		    "or name it with --vault FILE)", pv->path);
		rc = RO_EINVAL;
		goto out;
	}
	if (vrc != 0) {
		rc = refuse(pv, vrc, vcause, cause);
		goto out;
	}
	/* The store's half of the rollback and roster pins, as `rollout vault` does. */
	if (ro_store_vault_counter(st, vault_id(pv->v), &recorded) != RO_OK ||
	    ro_store_vault_roster(st, vault_id(pv->v), rec) != RO_OK) {
		*cause = ro_xasprintf("cannot read the vault's counter from the state store: %s",
		    ro_store_errmsg(st));
		rc = RO_EIO;
		goto out;
	}
	if (recorded == 0) {
		/* Every vault command records its vault in the state store it runs
		 * with: one this store has never seen belongs to another fleet. */
		rc = refuse(pv, VAULT_EUNTRUSTED, ro_xasprintf("vault %s was never used with the state "
		    "directory %s: it is another fleet's vault (or a copy made elsewhere); use this "
		    "fleet's vault (--vault FILE), into which the city's notice was imported",
		    vault_id(pv->v), o->state_dir), cause);
		goto out;
	}
	if (vault_counter(pv->v) < recorded) {
		rc = refuse(pv, VAULT_EROLLBACK, ro_xasprintf("counter %llu is lower than the %llu "
		    "recorded in the state store: an older copy of the vault file was put back",
		    (unsigned long long)vault_counter(pv->v), (unsigned long long)recorded), cause);
		goto out;
	}
	if (rec[0] != '\0' && !vault_roster_known(pv->v, rec)) {
		rc = refuse(pv, VAULT_EFORGED, ro_xasprintf("its roster does not descend from the "
		    "one this state store last recorded"), cause);
		goto out;
	}
	if (vault_counter(pv->v) > recorded)
		(void)ro_store_vault_counter_set(st, vault_id(pv->v), vault_counter(pv->v));
out:
	free(key_path);
	if (rc != RO_OK) {
		ro_pwvault_close(pv);
		return rc;
	}
	*out = pv;
	return RO_OK;
}

static char *
entry_name(const char *host, const char *credential)
{
	return ro_xasprintf("%s/%s", host, credential);
}

int
ro_pwvault_versions(struct ro_pwvault *pv, const char *host, const char *credential,
    uint32_t *pending, uint32_t *current)
{
	struct vault_entry_info info;
	char *name = entry_name(host, credential);
	size_t i;
	int rc;

	*pending = *current = 0;
	rc = vault_entry_info(pv->v, name, &info);
	free(name);
	if (rc == VAULT_ENOENT)
		return RO_OK;
	if (rc != 0)
		return RO_EIO;
	for (i = 0; i < info.n_versions; i++) {
		if (info.versions[i].state == VAULT_PENDING)
			*pending = info.versions[i].seq;
		else if (info.versions[i].state == VAULT_CURRENT)
			*current = info.versions[i].seq;
	}
	return RO_OK;
}

int
ro_pwvault_get(struct ro_pwvault *pv, const char *host, const char *credential,
    enum vault_state state, struct vault_secret **out)
{
	struct vault_secret *s = NULL, *line = NULL;
	char *name = entry_name(host, credential);
	unsigned char *buf;
	size_t n;
	int rc;

	*out = NULL;
	rc = vault_get(pv->v, name, state, &s);
	free(name);
	if (rc != 0)
		return rc == VAULT_ENOENT ? RO_ENOENT : RO_EIO;
	/* One line on stdin, as `[Console]::In.ReadLine()` and the wrappers read it;
	 * built in locked memory, never in an ordinary buffer. */
	n = vault_secret_len(s);
	if (vault_secret_new(vault_secret_data(s), n + 1, &line) != 0) {
		vault_secret_free(s);
		return RO_ENOMEM;
	}
	vault_secret_free(s);
	buf = (unsigned char *)vault_secret_data(line);
	buf[n] = '\n';
	*out = line;
	return RO_OK;
}

int
ro_pwvault_commit(struct ro_pwvault *pv, const char *host, const char *credential)
{
	char *name = entry_name(host, credential);
	int rc = vault_commit(pv->v, name, pv->member, (int64_t)time(NULL));

	if (rc == 0) {
		if (pv->nnames++)
			ro_buf_addc(&pv->names, ',');
		ro_buf_json_str(&pv->names, name);
		pv->stats.commits++;
	}
	free(name);
	return rc == 0 ? RO_OK : rc == VAULT_ENOENT ? RO_ENOENT : RO_EIO;
}

int
ro_pwvault_flush(struct ro_pwvault *pv, char **cause)
{
	char *vcause = NULL;
	struct ro_buf d;
	double t0;
	int rc;

	if (pv == NULL || !vault_dirty(pv->v))
		return RO_OK;
	t0 = mono_s();
	if ((rc = vault_save(pv->v, &vcause)) != 0) {
		*cause = ro_xasprintf("writing the vault %s: %s", pv->path,
		    vcause ? vcause : vault_strerror(rc));
		free(vcause);
		return RO_EIO;
	}
	pv->stats.saves++;
	pv->last_save = mono_s();
	pv->last_cost = pv->last_save - t0;
	pv->stats.save_seconds += pv->last_cost;
	if (ro_store_vault_counter_set(pv->st, vault_id(pv->v), vault_counter(pv->v)) != RO_OK ||
	    ro_store_vault_roster_set(pv->st, vault_id(pv->v), vault_roster(pv->v)) != RO_OK) {
		*cause = ro_xasprintf("the vault was written (counter %llu) but the state store did "
		    "not record it: %s", (unsigned long long)vault_counter(pv->v),
		    ro_store_errmsg(pv->st));
		return RO_EIO;
	}
	ro_buf_init(&d);
	ro_buf_adds(&d, "{\"vault\":");
	ro_buf_json_str(&d, vault_id(pv->v));
	ro_buf_printf(&d, ",\"counter\":%llu,\"committed\":[%s]}",
	    (unsigned long long)vault_counter(pv->v), pv->names.p ? pv->names.p : "");
	rc = ro_store_journal(pv->st, NULL, "vault.commit", pv->member, d.p);
	ro_buf_free(&d);
	ro_buf_free(&pv->names);
	ro_buf_init(&pv->names);
	pv->nnames = 0;
	if (rc != RO_OK) {
		*cause = ro_xasprintf("journaling the vault's commits: %s", ro_store_errmsg(pv->st));
		return RO_EIO;
	}
	return RO_OK;
}

uint64_t
ro_pwvault_wait_ms(const struct ro_pwvault *pv)
{
	double gap, since;

	if (pv == NULL || !vault_dirty(pv->v) || pv->stats.saves == 0)
		return 0;
	/* At most a tenth of the time writing the vault, and never more often
	 * than every RO_PWVAULT_GROUP_MS. */
	gap = pv->last_cost * 10.0;
	if (gap < RO_PWVAULT_GROUP_MS / 1000.0)
		gap = RO_PWVAULT_GROUP_MS / 1000.0;
	since = mono_s() - pv->last_save;
	return since >= gap ? 0 : (uint64_t)((gap - since) * 1000.0) + 1;
}

void
ro_pwvault_stats(const struct ro_pwvault *pv, struct ro_pwvault_stats *out)
{
	if (pv)
		*out = pv->stats;
	else
		memset(out, 0, sizeof *out);
}

const char *
ro_pwvault_member(const struct ro_pwvault *pv)
{
	return pv->member;
}

const char *
ro_pwvault_id(const struct ro_pwvault *pv)
{
	return vault_id(pv->v);
}

void
ro_pwvault_close(struct ro_pwvault *pv)
{
	if (pv == NULL)
		return;
	vault_close(pv->v);
	vault_key_free(pv->key);
	ro_buf_free(&pv->names);
	free(pv->path);
	if (pv->protected)
		vault_protect(0);
	free(pv);
}
