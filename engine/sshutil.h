/*
 * sshutil.h - small pieces the SSH modules share (knownhosts.c, sshkey.c,
 * sshkey-load.c, transport.c): SSH wire strings, base64 without surprises,
 * writing a file atomically, and running ssh-keygen with a secret on its
 * stdin. Internal to the transport: not for other modules.
 */
#ifndef RO_SSHUTIL_H
#define RO_SSHUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* ro_ssh_put_u32 / ro_ssh_put_string append SSH wire encodings to b. */
void ro_ssh_put_u32(struct ro_buf *b, uint32_t v);
void ro_ssh_put_string(struct ro_buf *b, const void *data, size_t len);

/*
 * ro_ssh_get_string reads one SSH string at *pos of p[0..len): on success
 * returns 0 and points *s and *slen into p; -1 if it does not fit.
 */
int ro_ssh_get_string(const unsigned char *p, size_t len, size_t *pos,
    const unsigned char **s, size_t *slen);

/* ro_ssh_blob_type copies the key type named inside a public key blob into
 * out (size outsz); returns -1 if the blob is malformed. */
int ro_ssh_blob_type(const unsigned char *blob, size_t len, char *out, size_t outsz);

/* ro_ssh_b64 returns a malloc'd base64 (with padding, as OpenSSH writes). */
char *ro_ssh_b64(const unsigned char *p, size_t len);

/* ro_ssh_unb64 decodes base64 (padding optional) into a malloc'd buffer;
 * -1 if s is not base64. */
int ro_ssh_unb64(const char *s, size_t slen, unsigned char **out, size_t *outlen);

/*
 * ro_ssh_write_atomic writes data to path through a temp file in the same
 * directory (mode, fsync, then rename; with noclobber, link, which fails if
 * path exists: RO_EEXIST) and fsyncs the directory. 0 or RO_EIO/RO_EEXIST
 * with *cause.
 */
int ro_ssh_write_atomic(const char *path, const void *data, size_t len, int mode,
    int noclobber, char **cause);

/*
 * ro_ssh_keygen_run runs /usr/bin/ssh-keygen with argv, giving it secret
 * (NUL-terminated; may be NULL) followed by a newline, times times, on its
 * stdin. It runs in a new session, so it has no terminal to prompt on, with
 * PATH as its only environment variable (no SSH_ASKPASS, no DISPLAY), so
 * that OpenSSH's read_passphrase falls back to reading that pipe: the secret
 * is never in an argument or the environment. Its stdout (at most outsz - 1
 * bytes, NUL-terminated) goes to out; its stderr to /dev/null. *exit_status
 * is its exit code (-1 if it died of a signal). Returns 0, or RO_EIO with
 * *cause if it could not be run.
 */
int ro_ssh_keygen_run(char *const argv[], const char *secret, int times, char *out,
    size_t outsz, int *exit_status, char **cause);

#endif
