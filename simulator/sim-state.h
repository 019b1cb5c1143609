/*
 * sim-state.h - the simulated hosts' persistent state, in one SQLite file.
 *
 * Every fact about a host is an item: (host, kind, key) -> a few text
 * fields, a number and a time. Kinds: "host" (scalars such as boot_time,
 * os_build, disk_free), "kb", "service", "share", "firewall", "software",
 * "reg", "event", "file", "task", "account", "audit", "secpol". Keys compare
 * case-insensitively, as Windows names do. Passwords are kept as a salted
 * BLAKE2b hash (crypto_generichash keyed with a random salt), never in
 * clear. All functions are safe to call from several threads: one
 * connection, one mutex, short statements. Times are virtual Unix seconds.
 */
#ifndef SIM_STATE_H
#define SIM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct sim_state;

struct sim_item {
	const char *key;
	const char *a, *b, *c;  /* meaning depends on the kind; never NULL when read */
	int64_t n;
	int64_t t;
};

/* Opens (creating) DIR/state.db in WAL mode. RO_EIO with *cause on failure. */
int sim_state_open(const char *dir, struct sim_state **out, char **cause);
/* Closes the database (checkpointing the WAL). Accepts NULL. */
void sim_state_close(struct sim_state *st);

/* What a host is made of when it is first seen. */
struct sim_host_seed {
	const char *name;
	int cs;                 /* a CS node (Windows Server 2022, cluster) */
	const char *address;
	const char *user;       /* the administrator account */
	const char *password;   /* initial password, may be NULL (then set later) */
	int64_t now;
	uint32_t index;         /* for deterministic variety */
};

/*
 * sim_state_seed_host creates the host's items (OS build, KBs, services,
 * accounts, shares, firewall rules, software, registry values, events)
 * unless it exists. If it exists and its administrator has no password
 * yet, password (if given) is set. Returns 1 if it was created, 0 if it
 * already existed, negative on error.
 */
int sim_state_seed_host(struct sim_state *st, const struct sim_host_seed *h);

/* Item access. Strings read are copied into ar. RO_ENOENT if absent. */
int sim_state_get(struct sim_state *st, const char *host, const char *kind, const char *key,
    struct ro_arena *ar, struct sim_item *out);
int sim_state_put(struct sim_state *st, const char *host, const char *kind,
    const struct sim_item *it);
int sim_state_del(struct sim_state *st, const char *host, const char *kind, const char *key);
/* Deletes every item of kind whose key starts with prefix (case-insensitive). */
int sim_state_del_prefix(struct sim_state *st, const char *host, const char *kind,
    const char *prefix);
/* Items of kind (whose key starts with prefix, if not NULL), sorted by key. */
int sim_state_list(struct sim_state *st, const char *host, const char *kind,
    const char *prefix, struct ro_arena *ar, struct sim_item **items, size_t *n);

/* Scalars of a host (kind "host"). */
int64_t sim_state_num(struct sim_state *st, const char *host, const char *key, int64_t dflt);
int sim_state_set_num(struct sim_state *st, const char *host, const char *key, int64_t v);

/* Passwords: set (salted hash) and check (1 match, 0 no match or no such account). */
int sim_state_set_password(struct sim_state *st, const char *host, const char *account,
    const char *password);
/* Sets account's password only if it has none yet (the first value of a fleet). */
int sim_state_seed_password(struct sim_state *st, const char *host, const char *account,
    const char *password);
int sim_state_check_password(struct sim_state *st, const char *host, const char *account,
    const char *password);

/* Runs fn inside one transaction (for bulk seeding). */
int sim_state_begin(struct sim_state *st);
int sim_state_commit(struct sim_state *st);

#endif
