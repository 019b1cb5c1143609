/*
 * atomic.c - the vault's dealings with the file system and the process:
 * the writers' lock, atomic replacement of a file (temp file, fsync,
 * rename, fsync of the directory), whole-file reads, and switching core
 * dumps off while secrets are in memory.
 */
#include "vault_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * vault__lock takes an exclusive, non-blocking flock on "<path>.lock".
 * The lock is on a file of its own because the vault file itself is
 * replaced by rename on every save, and a lock on the old inode would not
 * stop a writer that opened the new one.
 */
int
vault__lock(const char *path, int *fd_out, char **cause)
{
	char lp[PATH_MAX];
	int fd;

	*fd_out = -1;
	if ((size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp))
		return VAULT_EINVAL;
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		vault__cause(cause, "%s: cannot open the lock file: %s", lp, strerror(errno));
		return errno == ENOENT ? VAULT_ENOENT : VAULT_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK) {
			vault__cause(cause, "%s is being changed by another process (lock %s held); "
			    "wait for it to finish and try again", path, lp);
			return VAULT_ELOCKED;
		}
		vault__cause(cause, "%s: cannot lock: %s", lp, strerror(e));
		return VAULT_EIO;
	}
	*fd_out = fd;
	return VAULT_OK;
}

void
vault__unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}

/* fsync_dir makes a rename in path's directory durable. */
static int
fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * vault__write_atomic replaces path with data so that a crash at any point
 * leaves either the old file or the new one. With exclusive set, path must
 * not exist: the temp file is hard-linked into place, which fails rather
 * than overwrite. Without it the caller holds the writers' lock, so the
 * fixed temp name "<path>.tmp" cannot collide (and a crash leaves at most
 * one stale temp file, overwritten by the next save).
 */
int
vault__write_atomic(const char *path, const unsigned char *data, size_t len, int exclusive,
    char **cause)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd = -1, rc = VAULT_EIO, n;

	if (exclusive)
		n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	else
		n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return VAULT_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (exclusive ? O_EXCL : 0), 0600);
	if (fd < 0) {
		vault__cause(cause, "%s: cannot create: %s", tmp, strerror(errno));
		return errno == ENOENT ? VAULT_ENOENT : VAULT_EIO;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			vault__cause(cause, "%s: write failed: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		vault__cause(cause, "%s: fsync failed: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		vault__cause(cause, "%s: close failed: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (exclusive) {
		if (link(tmp, path) < 0) {
			int e = errno;
			vault__cause(cause, "%s: %s", path, e == EEXIST ? "already exists" : strerror(e));
			rc = e == EEXIST ? VAULT_EEXIST : VAULT_EIO;
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		vault__cause(cause, "%s: cannot rename into place: %s", path, strerror(errno));
		goto out;
	}
	if (fsync_dir(path) < 0) {
		/* The new file is in place; only its durability is in doubt. */
		vault__cause(cause, "%s: fsync of the directory failed: %s", path, strerror(errno));
		return VAULT_EIO;
	}
	return VAULT_OK;
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int
vault__read_file(const char *path, unsigned char **out, size_t *len, char **cause)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t off = 0;
	int fd, rc = VAULT_EIO;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		vault__cause(cause, "%s: %s", path, strerror(e));
		return e == ENOENT ? VAULT_ENOENT : VAULT_EIO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		vault__cause(cause, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > VAULT_MAX_FILE) {
		vault__cause(cause, "%s: too large to be a vault (%lld bytes)", path,
		    (long long)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			vault__cause(cause, "%s: read failed: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	*out = buf;
	*len = off;
	buf = NULL;
	rc = VAULT_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * Core dumps would write every secret in locked memory to disk, so they
 * are switched off (RLIMIT_CORE 0 and not dumpable, which also keeps other
 * processes of the same user from ptrace-attaching) while any key or vault
 * is open, and restored when the last one closes.
 */
static pthread_mutex_t protect_mu = PTHREAD_MUTEX_INITIALIZER;
static int protect_depth;
static struct rlimit saved_core;
static int saved_core_ok;
static int saved_dumpable;

void
vault__protect_begin(void)
{
	struct rlimit zero = { 0, 0 };

	pthread_mutex_lock(&protect_mu);
	if (protect_depth++ == 0) {
		saved_core_ok = getrlimit(RLIMIT_CORE, &saved_core) == 0;
		if (saved_core_ok)
			zero.rlim_max = saved_core.rlim_max;
		setrlimit(RLIMIT_CORE, &zero);
		saved_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	pthread_mutex_unlock(&protect_mu);
}

void
vault__protect_end(void)
{
	pthread_mutex_lock(&protect_mu);
	if (protect_depth > 0 && --protect_depth == 0) {
		if (saved_core_ok)
			setrlimit(RLIMIT_CORE, &saved_core);
		if (saved_dumpable > 0)
			prctl(PR_SET_DUMPABLE, saved_dumpable, 0, 0, 0);
	}
	pthread_mutex_unlock(&protect_mu);
}
