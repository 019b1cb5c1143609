/*
 * sim-scp.h - the sink side of the SCP protocol ("scp -t PATH"), as a pure
 * state machine: bytes from the client go in, the bytes to answer come out,
 * and every file received is reported with its size and SHA-256. File
 * contents are hashed as they stream and not kept.
 */
#ifndef SIM_SCP_H
#define SIM_SCP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct sim_scp;

/*
 * sim_scp_command recognises "scp [-v] [-p] [-d] -t [--] PATH" (PATH possibly
 * quoted in single or double quotes, as libssh2 and OpenSSH send it) and
 * returns a malloc'ed PATH, or NULL if cmd is not an SCP sink command.
 */
char *sim_scp_command(const char *cmd);

/* A received file: path as the host names it (target dir + name, or target). */
typedef int (*sim_scp_file_fn)(void *arg, const char *path, uint64_t size, const char *sha256_hex);

/* target: the PATH of the command; target_is_dir: it names an existing directory;
 * free_bytes: space left (a larger file is refused as "No space left on device"). */
struct sim_scp *sim_scp_new(const char *target, int target_is_dir, int64_t free_bytes,
    sim_scp_file_fn fn, void *arg);
void sim_scp_free(struct sim_scp *s);

/* The first answer, sent when the command starts: one NUL byte. */
void sim_scp_start(struct sim_scp *s, struct ro_buf *reply);

enum { SIM_SCP_MORE = 0, SIM_SCP_ERROR = 1, SIM_SCP_DONE = 2 };

/* Feeds client bytes; appends the answers to reply. SIM_SCP_ERROR after a fatal reply. */
int sim_scp_feed(struct sim_scp *s, const void *data, size_t len, struct ro_buf *reply);

/* The exit code when the client closes its side: 0 if every file arrived whole, else 1. */
int sim_scp_finish(struct sim_scp *s);

/* Bytes of file data received so far (for bandwidth shaping). */
uint64_t sim_scp_bytes(const struct sim_scp *s);

/*
 * The source side ("scp [-p] -f PATH", what libssh2_scp_recv2 and `scp
 * host:PATH .` run): the engine fetching a file back (the log archives of
 * log-collection). sim_scp_source_command returns the malloc'd PATH (and
 * sets *times for -p, which asks for a T line first), or NULL.
 */
char *sim_scp_source_command(const char *cmd, int *times);

struct sim_scp_src;
/* data (len bytes, copied) is the file; NULL when it cannot be sent, then
 * missing says why ("No such file or directory"). mtime for the T line. */
struct sim_scp_src *sim_scp_src_new(const char *path, const void *data, size_t len, int times,
    int64_t mtime, const char *missing);
void sim_scp_src_free(struct sim_scp_src *s);
/*
 * Feeds the client's bytes (its acknowledgements); appends what the source
 * sends to reply: after the first, the T line (with -p), then the C line,
 * then the data and a NUL. SIM_SCP_DONE once the client has acknowledged
 * the data, SIM_SCP_ERROR after a refusal on either side.
 */
int sim_scp_src_feed(struct sim_scp_src *s, const void *data, size_t len, struct ro_buf *reply);
/* The exit code: 0 if the file was sent and acknowledged, else 1. */
int sim_scp_src_finish(const struct sim_scp_src *s);

#endif
