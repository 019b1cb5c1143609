/*
 * pwvault.h - the password vault as a run sees it: unlocked once, read for
 * each host's credentials, and written in groups.
 *
 * `rollout run` opens the vault for writing (its lock held for the run's
 * life) with one member's key file and passphrase (a no-echo prompt or a
 * descriptor; never argv or the environment). The passphrase, the member's
 * keys and every value read stay in libsodium guarded memory; the process
 * is not dumpable while the vault is open (vault_protect).
 *
 * Commits (pending -> current, the old current kept as history) are made in
 * memory by ro_pwvault_commit and written by ro_pwvault_flush, which the
 * executor calls at each of its group commits, before the store's: so the
 * vault never says less than the store (an outcome "ok" is never durable
 * before the vault commit it reports), and 182 hosts cost a handful of
 * vault writes, not 182.
 */
#ifndef RO_PWVAULT_H
#define RO_PWVAULT_H

#include <stdint.h>

#include "store.h"
#include "vault.h"

struct ro_pwvault;

struct ro_pwvault_opts {
	const char *state_dir;  /* the state store's directory */
	const char *vault_path; /* NULL: STATE/vault.rov */
	const char *member;     /* the member who unlocks (required) */
	const char *key_path;   /* NULL: STATE/keys/MEMBER.key */
	int passphrase_fd;      /* -1: ask on the terminal */
	const char *trust;      /* --trust-vault FINGERPRINT, or NULL */
};

/*
 * ro_pwvault_open unlocks the member's key (Argon2id, the slow step), opens
 * the vault for writing and checks its counter against the one st recorded
 * (an older copy put back is refused). RO_EINVAL for what the user must fix
 * (wrong passphrase, not a member, another fleet's vault, a forged or
 * older file), RO_EIO otherwise; *cause never holds a secret.
 */
int ro_pwvault_open(const struct ro_pwvault_opts *o, struct ro_store *st,
    struct ro_pwvault **out, char **cause);

/* The sequence numbers of an entry's pending and current versions (0: none). */
int ro_pwvault_versions(struct ro_pwvault *pv, const char *host, const char *credential,
    uint32_t *pending, uint32_t *current);

/* ro_pwvault_get decrypts one version (VAULT_PENDING or VAULT_CURRENT) with a
 * newline appended, ready for a channel's stdin; free with vault_secret_free. */
int ro_pwvault_get(struct ro_pwvault *pv, const char *host, const char *credential,
    enum vault_state state, struct vault_secret **out);

/* ro_pwvault_commit makes the pending version current, in memory: written by
 * the next ro_pwvault_flush. */
int ro_pwvault_commit(struct ro_pwvault *pv, const char *host, const char *credential);

/* ro_pwvault_flush writes the vault if a commit is waiting (signed, atomic),
 * records its counter in the store and journals the entries committed. */
int ro_pwvault_flush(struct ro_pwvault *pv, char **cause);

/* How long (real ms) the next group commit should wait so that vault writes
 * are grouped: 0 when no commit waits or the last write was long enough ago.
 * Waiting costs the hosts a moment, never safety: their outcomes and next
 * intents wait with it. */
#define RO_PWVAULT_GROUP_MS 200
uint64_t ro_pwvault_wait_ms(const struct ro_pwvault *pv);

/* What the vault's writes cost in this run (for the summary and bench/). */
struct ro_pwvault_stats {
	uint64_t saves, commits;
	double save_seconds;
};
void ro_pwvault_stats(const struct ro_pwvault *pv, struct ro_pwvault_stats *out);

const char *ro_pwvault_member(const struct ro_pwvault *pv);
const char *ro_pwvault_id(const struct ro_pwvault *pv);

void ro_pwvault_close(struct ro_pwvault *pv); /* wipes; accepts NULL */

#endif
