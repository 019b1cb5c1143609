/*
 * error.h - project-wide error codes and process exit codes.
 *
 * Fallible functions return 0 or one of the negative RO_E* codes below.
 * Codes from libuv, libssh2, SQLite and libsodium are converted at the
 * module boundary so that upper layers only ever see these.
 */
#ifndef RO_ERROR_H
#define RO_ERROR_H

/* Process exit codes, shared by every command. */
enum {
	RO_EXIT_OK = 0,    /* the operation succeeded */
	RO_EXIT_FAIL = 1,  /* the operation was attempted and failed */
	RO_EXIT_USAGE = 2, /* bad input or usage: nothing was done */
};

enum {
	RO_OK = 0,
	RO_ENOMEM = -1,   /* out of memory */
	RO_EIO = -2,      /* a file or the store could not be read or written */
	RO_EINVAL = -3,   /* input did not validate; diagnostics say why */
	RO_ENOENT = -4,   /* a named thing does not exist */
	RO_EEXIST = -5,   /* a thing that must be new already exists */
	RO_ESTORE = -6,   /* the state store reported an error */
	RO_EINFEASIBLE = -7, /* a plan cannot satisfy its constraints */
	RO_ELOCKED = -8,  /* another process holds a lock */
	RO_ESTATE = -9,   /* the operation is not allowed in the current state */
	/* Talking to hosts (transport.h). */
	RO_ETIMEDOUT = -10,   /* an operation's deadline passed */
	RO_EUNREACHABLE = -11, /* the host could not be reached (refused, no route, down) */
	RO_EHOSTKEY = -12,    /* the host key is unknown or differs from the recorded one */
	RO_EAUTH = -13,       /* the host refused every offered credential */
	RO_ECONNLOST = -14,   /* the connection dropped while an operation was under way */
	RO_ECANCELED = -15,   /* the operation was cancelled (close, shutdown) */
	RO_EPROTO = -16,      /* the peer broke the protocol or a check (e.g. sha256 mismatch) */
};

/* ro_strerror returns a short English description of an RO_E* code. */
const char *ro_strerror(int rc);

#endif
