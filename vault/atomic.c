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
	struct stat st;

	if ((size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp))
		return VAULT_EINVAL;
	/* Created exclusively, or else opened as the regular file it must be:
	 * never through a symbolic link planted in its place. */
	fd = open(lp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		fd = open(lp, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		vault__cause(cause, "%s: cannot open the lock file: %s", lp,
		    e == ELOOP ? "it is a symbolic link (remove it; nothing else may sit there)" :
		    strerror(e));
		return e == ENOENT ? VAULT_ENOENT : VAULT_EIO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		vault__cause(cause, "%s: the lock file is not a regular file; remove it", lp);
		return VAULT_EIO;
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
 * leaves either the old file or the new one. mode 1: path must not exist;
 * the temp file is hard-linked into place, which fails rather than
 * overwrite. mode 0: the caller holds the writers' lock, so the fixed temp
 * name "<path>.tmp" cannot collide; a stale one (a crash, or anything
 * planted there, a symbolic link included) is unlinked first, which never
 * follows a link. mode 2: replace, with a temp name of this process's own.
 * The temp file is always created with O_EXCL | O_NOFOLLOW, so no link can
 * make a save write anywhere but a new file of its own.
 */
int
vault__write_atomic(const char *path, const unsigned char *data, size_t len, int mode,
    char **cause)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd = -1, rc = VAULT_EIO, n, exclusive = mode == 1;

	if (mode == 0)
		n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	else
		n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return VAULT_EINVAL;
	if (mode == 0 && unlink(tmp) < 0 && errno != ENOENT) {
		vault__cause(cause, "%s: cannot remove a stale temp file: %s", tmp, strerror(errno));
		return VAULT_EIO;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		vault__cause(cause, "%s: cannot create: %s", tmp, strerror(e));
		return e == ENOENT ? VAULT_ENOENT : VAULT_EIO;
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

/*
 * vault__read_file reads a whole regular file of at most max bytes. It is
 * opened without following a symbolic link and without blocking (a FIFO
 * would otherwise hang the open), and its type and size are checked with
 * fstat before a byte is read or allocated.
 */
int
vault__read_file(const char *path, uint64_t max, unsigned char **out, size_t *len,
    char **cause)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t off = 0;
	int fd, rc = VAULT_EIO;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		vault__cause(cause, "%s: %s", path, e == ELOOP ? "is a symbolic link; name the "
		    "file itself" : strerror(e));
		return e == ENOENT ? VAULT_ENOENT : VAULT_EIO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		vault__cause(cause, "%s: not a regular file (a FIFO, device or directory is "
		    "refused without reading it)", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		vault__cause(cause, "%s: %lld bytes is more than the %llu a vault or key file may "
		    "have; refused without reading it", path, (long long)st.st_size,
		    (unsigned long long)max);
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
vault_protect(int on)
{
	if (on)
		vault__protect_begin();
	else
		vault__protect_end();
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
