/*
 * sim-server.h - the SSH side of the simulator: one listener per host
 * address (libssh server API), one thread per session.
 *
 * Design (measured, see README "Scale"): the main thread polls every
 * listening socket and accepts; each accepted connection gets a detached
 * thread with a small stack that does the key exchange (blocking, so 500
 * handshakes proceed in parallel instead of one after the other) and then
 * runs an ssh_event loop with server and channel callbacks, waking every
 * 100 ms (or when a command's output is due) to notice a restart of its
 * host or the simulator's shutdown. Each channel of a session has its own
 * state (struct chan): any number of exec channels, sequential or
 * overlapping, on one session.
 */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <signal.h>
#include <stdint.h>

#include "clock.h"
#include "model.h"
#include "sim-faults.h"
#include "sim-state.h"

struct sim_server_config {
	const struct ro_inventory *inv;
	int port;                    /* 0: each host's inventory port */
	const char *state_dir;       /* host keys in STATE/keys/ */
	struct sim_state *st;
	const struct sim_faults *faults;
	struct ro_clock clock;
	double boot_seconds;         /* virtual: from going down to accepting again */
	double poweroff_seconds;     /* virtual: how long a shut-down host stays off before booting */
	const char *authorized_keys; /* may be NULL */
	const char *ready_file;      /* may be NULL */
	int verbose;
};

/*
 * sim_server_run serves until *stop becomes non-zero, then closes every
 * session and listener and returns 0; RO_E* with *cause (allocated) if
 * the listeners cannot be set up.
 */
int sim_server_run(const struct sim_server_config *cfg, volatile sig_atomic_t *stop, char **cause);

#endif
