/* sshutil.c - SSH wire strings, base64, atomic file writes and running ssh-keygen for the SSH modules. */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID */
#include "sshutil.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
ro_ssh_put_u32(struct ro_buf *b, uint32_t v)
{
	unsigned char be[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v };

	ro_buf_add(b, be, 4);
}

void
ro_ssh_put_string(struct ro_buf *b, const void *data, size_t len)
{
	ro_ssh_put_u32(b, (uint32_t)len);
	ro_buf_add(b, data, len);
}

int
ro_ssh_get_string(const unsigned char *p, size_t len, size_t *pos,
    const unsigned char **s, size_t *slen)
{
	uint32_t n;

	if (len < 4 || *pos > len - 4)
		return -1;
	n = (uint32_t)p[*pos] << 24 | (uint32_t)p[*pos + 1] << 16 |
	    (uint32_t)p[*pos + 2] << 8 | p[*pos + 3];
	if (n > len - *pos - 4)
		return -1;
	*s = p + *pos + 4;
	*slen = n;
	*pos += 4 + (size_t)n;
	return 0;
}

int
ro_ssh_blob_type(const unsigned char *blob, size_t len, char *out, size_t outsz)
{
	const unsigned char *t;
	size_t tlen, pos = 0, i;

	if (ro_ssh_get_string(blob, len, &pos, &t, &tlen) < 0 || tlen == 0 || tlen >= outsz)
		return -1;
	for (i = 0; i < tlen; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return -1;
	memcpy(out, t, tlen);
	out[tlen] = '\0';
	return 0;
}

char *
ro_ssh_b64(const unsigned char *p, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = ro_xmalloc(n);

	sodium_bin2base64(s, n, p, len, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

int
ro_ssh_unb64(const char *s, size_t slen, unsigned char **out, size_t *outlen)
{
	size_t cap = slen / 4 * 3 + 3, n = 0;
	unsigned char *p = ro_xmalloc(cap);
	const char *end = NULL;

	/* The ORIGINAL_NO_PADDING variant still accepts trailing '=' when they
	 * are listed as characters to ignore, which covers both spellings. */
	if (sodium_base642bin(p, cap, s, slen, "=", &n, &end,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 || end != s + slen) {
		free(p);
		return -1;
	}
	*out = p;
	*outlen = n;
	return 0;
}

/* fsync_parent makes a rename or link in path's directory durable. */
static int
fsync_parent(const char *path)
{
	char *dir = ro_xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int
ro_ssh_write_atomic(const char *path, const void *data, size_t len, int mode,
    int noclobber, char **cause)
{
	char *tmp = ro_xasprintf("%s.tmp-XXXXXX", path);
	const unsigned char *p = data;
	const char *what = "write";
	size_t off = 0;
	int fd, rc = RO_EIO, placed = 0;

	fd = mkstemp(tmp);
	if (fd < 0) {
		*cause = ro_xasprintf("cannot create a temporary file next to %s: %s", path,
		    strerror(errno));
		free(tmp);
		return RO_EIO;
	}
	if (fchmod(fd, (mode_t)mode) < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (noclobber) {
		if (link(tmp, path) < 0) {
			if (errno == EEXIST) {
				*cause = ro_xasprintf("%s already exists; it was left as it is", path);
				rc = RO_EEXIST;
				goto out;
			}
			goto out;
		}
	} else if (rename(tmp, path) < 0) {
		goto out;
	}
	placed = 1;
	what = "sync the directory of";
	if (fsync_parent(path) < 0)
		goto out;
	rc = 0;
out:
	if (rc == RO_EIO)
		*cause = ro_xasprintf("cannot %s %s: %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!placed || noclobber)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* write_all writes to a pipe whose reader may already have gone (EPIPE). */
static void
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

int
ro_ssh_keygen_run(char *const argv[], const char *secret, int times, char *out,
    size_t outsz, int *exit_status, char **cause)
{
	static const char prog[] = "/usr/bin/ssh-keygen";
	char *envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, rc = RO_EIO, status = 0, i, e;
	size_t got = 0;
	pid_t pid = -1;
	sigset_t pipe_set, old_set;
	struct timespec zero = { 0, 0 };

	*exit_status = -1;
	out[0] = '\0';
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(o, O_CLOEXEC) != 0) {
		*cause = ro_xasprintf("cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	e = posix_spawn(&pid, prog, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		*cause = ro_xasprintf("cannot run %s (package openssh-client): %s", prog, strerror(e));
		pid = -1;
		goto out;
	}
	close(in[0]);
	close(o[1]);
	in[0] = o[1] = -1;
	/* If ssh-keygen has already gone, the write fails with EPIPE: keep the
	 * signal from ending rollout for it, and drop it if it came. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	for (i = 0; secret && i < times; i++) {
		write_all(in[1], secret, strlen(secret));
		write_all(in[1], "\n", 1);
	}
	close(in[1]);
	in[1] = -1;
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	for (;;) {
		ssize_t n = read(o[0], out + got, outsz - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == outsz - 1)
			break;
	}
	out[got] = '\0';
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (o[i] >= 0)
			close(o[i]);
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	return rc;
}
