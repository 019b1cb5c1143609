/*
 * transport.h - SSH to hosts: libssh2 in non-blocking mode on a libuv loop.
 *
 * One struct ro_ssh is one SSH session to one host. It is driven entirely
 * by the loop it was created on: one uv_poll_t on its socket, re-armed from
 * libssh2_session_block_directions() after every EAGAIN, explicit state
 * machines (connect, handshake, host-key check, auth, exec, upload,
 * teardown) and a uv_timer_t deadline per operation. Nothing here blocks
 * and nothing here prints: results and sentences a person can act on come
 * back through the callbacks.
 *
 * A session runs one operation at a time (exec or upload); the caller
 * chains them. After a reboot the caller closes the old session and
 * connects a new one.
 *
 * Host keys are checked strictly against a known-hosts file (OpenSSH
 * format, "[address]:port ssh-ed25519 AAAA..."): a host whose key is not
 * recorded, or differs, fails the connect with RO_EHOSTKEY before anything
 * is sent (no authentication is attempted). `rollout hosts enroll` records
 * keys with ro_ssh_probe + ro_known_hosts_add.
 *
 * Every "char **cause" below is a malloc'd sentence the caller frees; the
 * "cause" strings inside results are valid only during the callback.
 *
 * Callbacks run from the loop, never from inside the call that started
 * the work. A callback may start the session's next operation or close it.
 * After an exec or upload fails with RO_ETIMEDOUT, RO_ECONNLOST or an SSH
 * error with its channel open, the session takes no more operations
 * (RO_ESTATE or RO_ECONNLOST): close it and connect again. Failures that
 * leave the link clean (remote sha256 differs, scp refused the path, local
 * file unreadable) leave the session usable. See docs/TRANSPORT.md.
 *
 * Secrets: a password given in ro_ssh_config is used for authentication
 * only and never copied into messages; stdin data (e.g. a new password)
 * goes to the channel and nowhere else. The transport never logs.
 */
#ifndef RO_TRANSPORT_H
#define RO_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- known hosts ------------------------------------------------------ */

struct ro_known_hosts;

/* Loads path (a missing file is an empty set). RO_EIO/RO_EINVAL with *cause. */
int ro_known_hosts_load(const char *path, struct ro_known_hosts **out, char **cause);
void ro_known_hosts_free(struct ro_known_hosts *kh);

/* Result of comparing a presented key with the recorded one. */
enum ro_hostkey_match { RO_HOSTKEY_MATCH, RO_HOSTKEY_UNKNOWN, RO_HOSTKEY_CHANGED };

/* "SHA256:<base64 without padding>" of a raw host key blob, as OpenSSH shows it. */
void ro_hostkey_fingerprint(const unsigned char *key, size_t len, char out[64]);

/*
 * ro_known_hosts_add records (replacing any earlier entry for address:port)
 * the key blob of type ("ssh-ed25519", "ssh-rsa", ...) and writes the file
 * atomically (temp, fsync, rename).
 */
int ro_known_hosts_add(struct ro_known_hosts *kh, const char *address, int port,
    const char *type, const unsigned char *key, size_t len, char **cause);

/* ro_known_hosts_put records like ro_known_hosts_add but only in memory;
 * ro_known_hosts_save then writes the file once (for enrolling many hosts). */
void ro_known_hosts_put(struct ro_known_hosts *kh, const char *address, int port,
    const char *type, const unsigned char *key, size_t len);
int ro_known_hosts_save(const struct ro_known_hosts *kh, char **cause);

/* ro_known_hosts_check compares a presented key with the one recorded for
 * address:port (kh may be NULL: everything is unknown). */
enum ro_hostkey_match ro_known_hosts_check(const struct ro_known_hosts *kh,
    const char *address, int port, const char *type, const unsigned char *key, size_t len);

/* ro_known_hosts_lookup finds the key recorded for address:port: 1 and the
 * pointers set (valid until the set changes), or 0. */
int ro_known_hosts_lookup(const struct ro_known_hosts *kh, const char *address, int port,
    const char **type, const unsigned char **key, size_t *len);

/* The file the set was loaded from (and is written to). */
const char *ro_known_hosts_path(const struct ro_known_hosts *kh);

/* Enumerates the recorded (address:port, key) pairs, for `hosts list`:
 * idx from 0 to ro_known_hosts_count() - 1; hostport is "address:port". */
size_t ro_known_hosts_count(const struct ro_known_hosts *kh);
int ro_known_hosts_entry(const struct ro_known_hosts *kh, size_t idx, const char **hostport,
    const char **type, const unsigned char **key, size_t *len);

/* ---- engine key --------------------------------------------------------- */

/*
 * ro_keygen writes a new ed25519 key pair: path (OpenSSH private key,
 * mode 0600, unencrypted: writing an encrypted one needs bcrypt_pbkdf,
 * which no Debian 12 library offers; ro_keygen_encrypted below has
 * ssh-keygen do it) and
 * path.pub ("ssh-ed25519 AAAA... comment"). RO_EEXIST if path exists.
 */
int ro_keygen(const char *path, const char *comment, char **cause);

/*
 * ro_keygen_encrypted makes the same pair with the private key encrypted
 * by passphrase (OpenSSH's default: bcrypt-pbkdf, aes256-ctr). It runs
 * ssh-keygen, giving it the passphrase on a pipe (sshutil.h), so the key
 * is never on disk unencrypted. RO_EEXIST if path exists; RO_EIO.
 */
int ro_keygen_encrypted(const char *path, const char *comment, const char *passphrase,
    char **cause);

/* ro_pubkey_read reads an OpenSSH public key file: *line (malloc'd, the
 * first line without its newline) and the key's SHA256 fingerprint. */
int ro_pubkey_read(const char *pub_path, char **line, char fingerprint[64], char **cause);

/*
 * What the engine offers to log in, in this order: the identities of the
 * SSH agent at $SSH_AUTH_SOCK (all of them, or only agent_blob), then the
 * private key held in memory (decrypted by libssh2 with passphrase at each
 * login), then ro_ssh_config's password. Built by ro_engine_id_open
 * (below); a session keeps a pointer, so it must outlive every session.
 */
struct ro_ssh_auth {
	int agent;                       /* 1: offer the agent's identities first */
	const unsigned char *agent_blob; /* only this public key blob; NULL: every identity */
	size_t agent_blob_len;
	const char *key;                 /* the private key file's text (locked memory), or NULL */
	size_t key_len;
	const char *pub;                 /* its public key line ("ssh-ed25519 AAAA..."), or NULL */
	size_t pub_len;
	const char *passphrase;          /* NUL-terminated, locked memory; NULL: not encrypted */
	const char *key_path;            /* the key's file name, for messages */
};

/*
 * The engine's identity for a run (sshkey-load.c): the agent, the key file,
 * or both. ro_engine_id_open decides once, before anything is recorded:
 *
 *  - agent 1 (--agent): the agent at $SSH_AUTH_SOCK must hold the engine's
 *    key (key_path.pub), or, without a .pub, at least one identity; the
 *    private key file is not read. agent -1 (the default): the same when
 *    SSH_AUTH_SOCK is set and the agent holds the engine's key, otherwise
 *    the key file. agent 0 (--no-agent): the key file only.
 *  - The key file is refused if it is not a regular file or if its mode
 *    gives the group or others any access (as OpenSSH refuses it), then
 *    read into locked memory. If it is encrypted, the passphrase is read
 *    once from passphrase_fd (or, if that is -1, asked on the terminal
 *    without echo), checked with `ssh-keygen -y` (the passphrase goes to
 *    it on a pipe, never in argv or the environment) and kept in locked
 *    memory for libssh2 to decrypt the key at each login.
 *
 * Returns 0; RO_EINVAL (refused: mode, wrong passphrase, agent without the
 * key: the user must act, nothing was done); RO_ENOENT (no key and no
 * agent); RO_EIO. *cause never contains the passphrase.
 */
struct ro_engine_id;
struct ro_engine_id_opts {
	const char *key_path;  /* e.g. .rollout/id_ed25519 */
	int agent;             /* 1 required, 0 never, -1 when SSH_AUTH_SOCK holds the key */
	int passphrase_fd;     /* -1: ask on the terminal if the key is encrypted */
};
int ro_engine_id_open(const struct ro_engine_id_opts *o, struct ro_engine_id **out,
    char **cause);
/* What sessions offer (valid until ro_engine_id_free). */
const struct ro_ssh_auth *ro_engine_id_auth(const struct ro_engine_id *id);
/* A phrase for the run's banner: "the SSH agent (SHA256:...)" or "key FILE". */
const char *ro_engine_id_describe(const struct ro_engine_id *id);
void ro_engine_id_free(struct ro_engine_id *id); /* zeroes the key; accepts NULL */

/* ---- sessions ------------------------------------------------------------ */

struct ro_ssh;

struct ro_ssh_config {
	const char *host;         /* inventory name, used in messages */
	const char *address;      /* IPv4 literal */
	int port;
	const char *user;
	const char *key_path;     /* private key (public key at key_path.pub); may be NULL */
	const struct ro_ssh_auth *auth; /* if set, used instead of key_path; not copied */
	const char *password;     /* may be NULL; tried after the key; never copied */
	const struct ro_known_hosts *known; /* required for ro_ssh_connect */
	uint64_t connect_timeout_ms; /* TCP + handshake + auth (0: 30 s) */
	unsigned keepalive_s;     /* 0: 15 s */
};

/* status is 0 or a negative RO_E*; cause is a sentence naming the host (NULL on success). */
typedef void (*ro_ssh_connect_cb)(struct ro_ssh *s, int status, const char *cause, void *arg);

/*
 * ro_ssh_connect starts connecting; cb runs exactly once, later, from the
 * loop (never from inside this call). On failure the session is already
 * closed and freed when cb returns: the caller must not use s after a
 * failed connect. On success the session is ready for exec/upload.
 * *out is set at once, so the caller may ro_ssh_close a session still
 * connecting (cb then runs with RO_ECANCELED, before the close callback).
 * Returns RO_EINVAL without calling cb if cfg lacks user, known or cb, or
 * address is not an IPv4 literal.
 */
int ro_ssh_connect(uv_loop_t *loop, const struct ro_ssh_config *cfg,
    ro_ssh_connect_cb cb, void *arg, struct ro_ssh **out);

/* The session's host key as presented (valid after the handshake). */
const char *ro_ssh_hostkey_type(const struct ro_ssh *s);

/* Output kept from a stream: at most RO_SSH_OUTPUT_MAX bytes, the tail. */
#define RO_SSH_OUTPUT_MAX (64 * 1024)

struct ro_exec_result {
	int status;          /* 0, or RO_ETIMEDOUT / RO_ECONNLOST / RO_ECANCELED / ... */
	int exit_code;       /* valid when status == 0 (read after the channel closed) */
	const char *exit_signal; /* non-NULL if the remote process died of a signal */
	const char *out, *err;   /* NUL-terminated tails of stdout and stderr */
	size_t out_len, err_len;
	uint64_t out_total, err_total; /* bytes received in all */
	const char *cause;   /* when status != 0: a sentence naming the host */
};
typedef void (*ro_ssh_exec_cb)(struct ro_ssh *s, const struct ro_exec_result *r, void *arg);

/*
 * ro_ssh_exec runs command; stdin_data (may be NULL) is written to the
 * channel's stdin followed by EOF. timeout_ms (0: none) bounds the whole
 * exec. cb runs once, from the loop; r and its strings are valid only
 * during cb. RO_ESTATE if another operation is under way.
 */
int ro_ssh_exec(struct ro_ssh *s, const char *command, const void *stdin_data,
    size_t stdin_len, uint64_t timeout_ms, ro_ssh_exec_cb cb, void *arg);

/* How to verify an upload on the host (the command differs by OS). */
enum ro_remote_os { RO_OS_WINDOWS, RO_OS_POSIX };

struct ro_upload_result {
	int status;          /* 0, RO_EPROTO (sha256 differs), RO_EIO (local file), ... */
	uint64_t bytes;
	const char *cause;
};
typedef void (*ro_ssh_upload_cb)(struct ro_ssh *s, const struct ro_upload_result *r, void *arg);

/*
 * ro_ssh_upload copies local_path to remote_path over SCP, then runs a
 * hash command on the host (Windows: PowerShell Get-FileHash; POSIX:
 * sha256sum) and compares with sha256_hex (64 hex digits, any case).
 * The local file is read from the loop in chunks as the channel drains
 * and hashed as it goes; the last chunk is sent only once the whole file's
 * SHA-256 is known to equal sha256_hex, so a package that is not the
 * recorded one is never completed on the host (RO_EPROTO). RO_EINVAL at
 * once for a malformed sha256_hex or a remote_path with control characters
 * (or '"' for Windows). The remote file is written with mode 0644.
 */
int ro_ssh_upload(struct ro_ssh *s, const char *local_path, const char *remote_path,
    const char *sha256_hex, enum ro_remote_os os, uint64_t timeout_ms,
    ro_ssh_upload_cb cb, void *arg);

struct ro_download_result {
	int status;          /* 0, RO_EPROTO (refused, cut short, hash differs), RO_EIO,
	                        RO_EEXIST (local_path exists), RO_ETIMEDOUT, ... */
	uint64_t bytes;      /* received */
	const char *sha256;  /* when status == 0: 64 lowercase hex digits of the bytes */
	const char *path;    /* when status == 0: local_path, now holding them */
	const char *cause;
};
typedef void (*ro_ssh_download_cb)(struct ro_ssh *s, const struct ro_download_result *r,
    void *arg);

/*
 * ro_ssh_download copies remote_path from the host to local_path over SCP
 * (scp -pf), the mirror of ro_ssh_upload. The bytes are written to
 * local_path.part (created anew, mode 0600) and hashed with SHA-256 as they
 * arrive; when the copy is complete the host's own hash of the file
 * (Get-FileHash or sha256sum) must equal the hash received, and only then
 * is the file made durable (fsync) and linked to local_path: local_path
 * either holds the whole, checked file or does not exist. A file larger
 * than max_bytes is refused before any byte is kept. local_path that
 * exists already is never replaced (RO_EEXIST). RO_EINVAL at once for an
 * empty path or a remote_path with control characters (or '"' for
 * Windows). cb runs once, from the loop.
 */
int ro_ssh_download(struct ro_ssh *s, const char *remote_path, const char *local_path,
    enum ro_remote_os os, uint64_t max_bytes, uint64_t timeout_ms, ro_ssh_download_cb cb,
    void *arg);

/*
 * ro_ssh_close ends the session (disconnect message if the link is still
 * up, tolerating EAGAIN, at most 2 s), cancels an operation under way (its
 * callback runs with RO_ECANCELED first), closes the handles and frees s.
 * cb may be NULL; it runs once, from the loop, after everything is
 * released. Call it once per successfully connected session (also after a
 * failed exec); never after a failed connect.
 */
typedef void (*ro_ssh_close_cb)(void *arg);
void ro_ssh_close(struct ro_ssh *s, ro_ssh_close_cb cb, void *arg);

/* ---- enrolment ------------------------------------------------------------ */

/* What a probe saw: the key the host presented, and how it compares. */
struct ro_probe_result {
	int status;                 /* 0, or RO_EUNREACHABLE / RO_ETIMEDOUT / ... */
	const char *type;           /* "ssh-ed25519" */
	const unsigned char *key;   /* raw blob */
	size_t key_len;
	char fingerprint[64];
	enum ro_hostkey_match match;
	const char *cause;
};
typedef void (*ro_probe_cb)(const struct ro_probe_result *r, void *arg);

/*
 * ro_ssh_probe connects, completes the key exchange, reports the host key
 * (compared with known, which may be NULL) and disconnects without
 * authenticating. cb runs once, from the loop, after the session's handles
 * are closed (r->key is valid during cb only). status is 0 whenever a key
 * was seen, whatever the match. RO_EINVAL at once for a non-IPv4 address.
 */
int ro_ssh_probe(uv_loop_t *loop, const char *address, int port,
    const struct ro_known_hosts *known, uint64_t timeout_ms, ro_probe_cb cb, void *arg);

#endif
