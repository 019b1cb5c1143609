/*
 * lease.h - one engine per campaign.
 *
 * `rollout run` holds two things while it runs a campaign: an OS lock
 * (flock on STATE/locks/CAMPAIGN.lock, released by the kernel however the
 * process ends) and a lease row in the store (pid, host name, start and a
 * heartbeat the engine refreshes every RO_LEASE_BEAT_MS). The lock keeps a
 * second engine on this machine out; the lease says who runs the campaign
 * to every other process (`status`, `stop`) and keeps out an engine on
 * another machine sharing the state directory while its heartbeat is fresh.
 * A lease whose holder is gone (this machine and the lock is free, or a
 * heartbeat older than RO_LEASE_STALE_S) is taken over, and the takeover
 * is journaled. Times here are real Unix seconds, never the warped clock.
 */
#ifndef RO_LEASE_H
#define RO_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define RO_LEASE_BEAT_MS 1000
#define RO_LEASE_STALE_S 30

struct ro_lease;

/*
 * ro_lease_lock takes the campaign's OS lock without waiting. When another
 * process holds it: RO_ELOCKED, and *cause says who ("campaign X is being
 * run by pid N on HOST since T (heartbeat 2 s ago)"). Writes nothing to the
 * store, so a refused engine records nothing.
 */
int ro_lease_lock(struct ro_store *st, const char *state_dir, const char *campaign,
    struct ro_lease **out, char **cause);

/* ro_lease_take records the lease (the campaign must be in the store),
 * taking over a holder that is gone; RO_ELOCKED when a live engine on
 * another machine holds it. */
int ro_lease_take(struct ro_lease *l, char **cause);

/* ro_lease_beat refreshes the heartbeat and returns the stop asked by
 * `rollout stop` (0, 1 or 2); RO_ENOENT when the lease was taken over. */
int ro_lease_beat(struct ro_lease *l, int *stop);

/* ro_lease_release ends the lease (if taken) and drops the lock; accepts NULL. */
void ro_lease_release(struct ro_lease *l);

/* ro_lease_alive judges a lease another process holds: 1 when its engine
 * is alive (its heartbeat is fresh and, on this machine, its pid exists),
 * 0 when it is gone. */
int ro_lease_alive(const struct ro_lease_info *li, int64_t now);

/* ro_lease_describe writes "campaign X is being run by pid N on HOST since
 * T (heartbeat S s ago)" into buf. */
void ro_lease_describe(const char *campaign, const struct ro_lease_info *li, int64_t now,
    char *buf, size_t n);

/* ro_lease_file returns the malloc'd path DIR/SUB/CAMPAIGN.EXT, the campaign
 * id made safe for a file name (the lock, the hang-up log). */
char *ro_lease_file(const char *state_dir, const char *sub, const char *campaign,
    const char *ext);

/* ro_lease_host returns this machine's host name (static storage). */
const char *ro_lease_host(void);

#endif
