/*
 * sim-faults.h - injected faults: what goes wrong, where, how often.
 *
 * A fault applies to hosts named by host name, site id or "*". Kinds:
 *   down      the host refuses connections (its listener is closed)
 *   slow      latency (real ms before each reply) and bandwidth (kbit/s) on the link
 *   drop      the connection drops in the middle of a command (matching PROGRAM, or any)
 *   fail      a command (program or cmdlet name) fails with an exit code
 *   noboot    a restart never comes back: the host stays down after it goes down
 *   diskfull  C: has almost no free space: uploads are refused, wusa fails
 *   authfail  every authentication attempt is denied
 *   deviate   the host deviates from the clean configuration in what one
 *             inspection item (t01..t16, c01..c13 of annual-inspection.yml)
 *             checks: an extra account, a disabled audit, an open port...
 * Random rates (--fault-rate KIND=P) apply drop/fail per command, authfail
 * per authentication, noboot per restart and down per connection (refused
 * as a reset), drawn from a per-host sequence seeded by --seed so that a run
 * is reproducible for the same order of commands on each host.
 */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum sim_fault_kind {
	SIM_FAULT_DOWN, SIM_FAULT_SLOW, SIM_FAULT_DROP, SIM_FAULT_FAIL, SIM_FAULT_NOBOOT,
	SIM_FAULT_DISKFULL, SIM_FAULT_AUTHFAIL, SIM_FAULT_DEVIATE, SIM_FAULT_N
};
extern const char *const sim_fault_names[]; /* NULL-terminated */

struct sim_fault {
	enum sim_fault_kind kind;
	char **targets;         /* host names, site ids, "*" */
	size_t ntargets;
	char *program;          /* drop/fail: program or cmdlet name (NULL: any); deviate: item */
	int exit_code;          /* fail */
	int latency_ms;         /* slow */
	int kbit;               /* slow: 0 = unlimited */
};

struct sim_faults {
	struct sim_fault *v;
	size_t n;
	double rate[SIM_FAULT_N];
	uint64_t seed;
};

void sim_faults_init(struct sim_faults *f);
void sim_faults_free(struct sim_faults *f);

/* --fault KIND:HOST[,HOST...][:ARG]; ARG is slow: MS[/KBIT], fail: PROGRAM[=EXIT],
 * drop: PROGRAM, deviate: ITEM (required). RO_EINVAL with *why (allocated) on error. */
int sim_faults_flag(struct sim_faults *f, const char *spec, char **why);
/* --fault-rate KIND=P with 0 <= P <= 1. */
int sim_faults_rate(struct sim_faults *f, const char *spec, char **why);
/* A faults file (YAML, see README); diagnostics with file:line:col. */
int sim_faults_load(struct sim_faults *f, const char *path, struct ro_diags *d);

/*
 * sim_faults_find returns the first fault of kind that applies to host
 * (or its site) and, for drop/fail with a program, to program (compared
 * case-insensitively, ".exe" ignored); NULL if none.
 */
const struct sim_fault *sim_faults_find(const struct sim_faults *f, enum sim_fault_kind kind,
    const char *host, const char *site, const char *program);

/* sim_faults_roll draws the next number of host's sequence (*counter) and
 * tells whether the random rate of kind fires. */
int sim_faults_roll(const struct sim_faults *f, enum sim_fault_kind kind, const char *host,
    uint64_t *counter);

#endif
