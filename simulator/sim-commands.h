/*
 * sim-commands.h - running one Windows command line on a simulated host.
 *
 * The line is split as cmd.exe does and dispatched by program name
 * (powershell, wusa, msiexec, reg, net, shutdown, ...); PowerShell scripts
 * go through the interpreter in sim-shell.c, whose cmdlets are implemented
 * here against the host's state (sim-state.h). Nothing here sleeps or
 * touches the network: the result says how long the command took in
 * virtual seconds and whether the host restarts afterwards, and the server
 * acts on it.
 */
#ifndef SIM_COMMANDS_H
#define SIM_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "sim-faults.h"
#include "sim-state.h"
#include "util.h"

struct sim_hostctx {
	const char *name;        /* inventory name, e.g. chuo-t01 */
	const char *site;        /* site id */
	const char *address;
	const char *user;        /* administrator account */
	int cs;                  /* a CS node (Windows Server 2022) */
	uint32_t index;
	struct sim_state *st;
	const struct sim_faults *faults; /* may be NULL */
	uint64_t *fault_counter; /* the host's random sequence; may be NULL */
	int64_t now;             /* virtual Unix seconds when the command starts */
};

struct sim_result {
	struct ro_buf out, err;
	int exit_code;           /* as Windows reports it; may exceed 255 (3010, 2359302) */
	double vseconds;         /* how long the command takes, virtual seconds */
	int restart;             /* 1: restart, 2: power off, after restart_delay virtual seconds */
	double restart_delay;
	int drop;                /* injected: drop the connection half-way through */
	struct ro_buf calls;     /* every program and cmdlet run, space-separated (the command log) */
};

void sim_result_init(struct sim_result *r);
void sim_result_free(struct sim_result *r);

/*
 * sim_exec runs cmdline on host h with stdin_data (may be NULL) as its
 * standard input. Always fills r (unknown commands fail as Windows does).
 */
void sim_exec(const struct sim_hostctx *h, const char *cmdline, const char *stdin_data,
    size_t stdin_len, struct sim_result *r);

/* sim_exec_reads_stdin is true when cmdline reads its standard input (a
 * password step): the server then waits for stdin's end (or a line) before
 * running it. */
int sim_exec_reads_stdin(const char *cmdline);

/* Free space on C: (bytes) as the host reports it (disk-full fault applied). */
int64_t sim_disk_free(const struct sim_hostctx *h);

/* Records an uploaded file (path as given, size, sha256 hex). */
int sim_file_uploaded(const struct sim_hostctx *h, const char *path, uint64_t size,
    const char *sha256_hex);

/*
 * sim_file_content finds the file at path for an SCP source: 0 with its
 * bytes (in ar) in *data and *len and its time in *mtime; RO_ENOENT when
 * there is none (or it is a folder); RO_EINVAL when the simulator keeps its
 * hash but not its bytes (an uploaded package).
 */
struct ro_arena;
int sim_file_content(const struct sim_hostctx *h, const char *path, struct ro_arena *ar,
    const char **data, size_t *len, int64_t *mtime);

/* Applies a restart that was due: promotes pending updates (called by the
 * server when the host goes down). boot_done is the virtual time the boot completes. */
void sim_host_restarted(const struct sim_hostctx *h, int64_t boot_done);

#endif
