/* lease.c - one engine per campaign: an OS lock and a lease in the store (lease.h). */
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "error.h"
#include "util.h"

struct ro_lease {
	struct ro_store *st;
	char *campaign;
	int fd;           /* the flock'd lock file */
	int taken;        /* the store holds our lease row */
	int64_t pid, started_at;
};

const char *
ro_lease_host(void)
{
	static char name[256];

	if (name[0] == '\0' && (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0'))
		snprintf(name, sizeof name, "localhost");
	return name;
}

/* A per-campaign file DIR/SUB/ID.EXT: the campaign id with every byte that
 * is not [A-Za-z0-9._-] (or a leading dot) written as %XX, so that any id
 * gives one safe file name. */
char *
ro_lease_file(const char *state_dir, const char *sub, const char *campaign, const char *ext)
{
	struct ro_buf b;
	const unsigned char *p;

	ro_buf_init(&b);
	ro_buf_printf(&b, "%s/%s/", state_dir, sub);
	for (p = (const unsigned char *)campaign; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    ((*p == '.' || *p == '-' || *p == '_') && p != (const unsigned char *)campaign))
			ro_buf_addc(&b, (char)*p);
		else
			ro_buf_printf(&b, "%%%02X", *p);
	}
	ro_buf_adds(&b, ext);
	return b.p;
}

void
ro_lease_describe(const char *campaign, const struct ro_lease_info *li, int64_t now, char *buf,
    size_t n)
{
	char since[RO_JST_FMT_MAX];

	ro_jst_format(li->started_at / 60, since);
	snprintf(buf, n, "campaign %s is being run by pid %" PRId64 " on %s since %s JST "
	    "(heartbeat %" PRId64 " s ago)", campaign, li->pid, li->host, since,
	    now > li->heartbeat_at ? now - li->heartbeat_at : 0);
}

int
ro_lease_alive(const struct ro_lease_info *li, int64_t now)
{
	int fresh = now - li->heartbeat_at <= RO_LEASE_STALE_S;

	/* On this machine a pid that no longer exists settles it at once; one
	 * that exists but has not beaten for the bound is taken as gone too,
	 * since the pid may have been reused. */
	if (li->host != NULL && strcmp(li->host, ro_lease_host()) == 0 && li->pid > 0)
		return fresh && (kill((pid_t)li->pid, 0) == 0 || errno == EPERM);
	return fresh;
}

/* busy_cause says who holds the lock (the lease row, if it is written yet). */
static char *
busy_cause(struct ro_store *st, const char *campaign, const char *path)
{
	struct ro_lease_info li;
	char buf[512];

	if (ro_store_lease_get(st, campaign, &li, NULL) != RO_OK)
		return ro_xasprintf("campaign %s is being started by another rollout process on "
		    "this machine (it holds %s)", campaign, path);
	ro_lease_describe(campaign, &li, (int64_t)time(NULL), buf, sizeof buf);
	ro_lease_info_clear(&li);
	return ro_xasprintf("%s", buf);
}

int
ro_lease_lock(struct ro_store *st, const char *state_dir, const char *campaign,
    struct ro_lease **out, char **cause)
{
	struct ro_lease *l;
	char *dir = ro_xasprintf("%s/locks", state_dir), *path = ro_lease_file(state_dir, "locks", campaign, ".lock");
	int fd = -1, rc = RO_OK;

	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = ro_xasprintf("%s: cannot create the lock directory: %s", dir, strerror(errno));
		rc = RO_EIO;
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*cause = ro_xasprintf("%s: cannot open the campaign's lock file: %s", path,
		    strerror(errno));
		rc = RO_EIO;
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			*cause = busy_cause(st, campaign, path);
			rc = RO_ELOCKED;
		} else {
			*cause = ro_xasprintf("%s: cannot lock: %s", path, strerror(errno));
			rc = RO_EIO;
		}
		close(fd);
		goto out;
	}
	l = ro_xcalloc(1, sizeof *l);
	l->st = st;
	l->campaign = ro_xstrdup(campaign);
	l->fd = fd;
	l->pid = (int64_t)getpid();
	*out = l;
out:
	free(dir);
	free(path);
	return rc;
}

int
ro_lease_take(struct ro_lease *l, char **cause)
{
	struct ro_lease_info cur;
	int64_t now = (int64_t)time(NULL);
	int rc, have;

	rc = ro_store_lease_get(l->st, l->campaign, &cur, cause);
	if (rc != RO_OK && rc != RO_ENOENT)
		return rc;
	if (rc == RO_ENOENT) {
		free(*cause);
		*cause = NULL;
	}
	have = rc == RO_OK;
	/* On this machine the lock is the proof: we hold it, so the holder the
	 * row names is gone. Elsewhere only a stale heartbeat says so. */
	if (have && strcmp(cur.host, ro_lease_host()) != 0 && now - cur.heartbeat_at <= RO_LEASE_STALE_S) {
		char buf[512];
		ro_lease_describe(l->campaign, &cur, now, buf, sizeof buf);
		*cause = ro_xasprintf("%s", buf);
		ro_lease_info_clear(&cur);
		return RO_ELOCKED;
	}
	rc = ro_store_lease_take(l->st, l->campaign, l->pid, ro_lease_host(), now,
	    have ? &cur : NULL, cause);
	ro_lease_info_clear(&cur);
	if (rc == RO_EEXIST)
		rc = RO_ELOCKED;
	if (rc == RO_OK) {
		l->taken = 1;
		l->started_at = now;
	}
	return rc;
}

int
ro_lease_beat(struct ro_lease *l, int *stop)
{
	return ro_store_lease_beat(l->st, l->campaign, l->pid, ro_lease_host(), l->started_at,
	    (int64_t)time(NULL), stop);
}

void
ro_lease_release(struct ro_lease *l)
{
	if (l == NULL)
		return;
	if (l->taken)
		(void)ro_store_lease_release(l->st, l->campaign, l->pid, ro_lease_host(),
		    l->started_at, NULL);
	close(l->fd); /* drops the flock */
	free(l->campaign);
	free(l);
}
