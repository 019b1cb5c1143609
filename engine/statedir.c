/* statedir.c - creating the state directory private and refusing one others can write. */
#include "statedir.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
ro_state_dir_prepare(const char *dir, int create, char **cause)
{
	struct stat st;

	*cause = NULL;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT) {
			*cause = ro_xasprintf("cannot use the state directory %s: %s", dir,
			    strerror(errno));
			return RO_EIO;
		}
		if (!create)
			return RO_ENOENT;
		/* 0700 minus the umask can only be stricter than 0700. */
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*cause = ro_xasprintf("cannot create the state directory %s: %s", dir,
			    strerror(errno));
			return RO_EIO;
		}
		if (stat(dir, &st) != 0) {
			*cause = ro_xasprintf("cannot use the state directory %s: %s", dir,
			    strerror(errno));
			return RO_EIO;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = ro_xasprintf("the state directory %s is not a directory; name a directory "
		    "with --state-dir", dir);
		return RO_EINVAL;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		*cause = ro_xasprintf("the state directory %s belongs to user id %u, not to the user "
		    "running rollout (%u); anyone who owns it can replace the engine's key, known "
		    "hosts and store: use a directory of your own", dir, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		return RO_EINVAL;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		*cause = ro_xasprintf("the state directory %s has mode %04o: others can write into it "
		    "and so replace the engine's key, known hosts and store; nothing was done.\n"
		    "  fix it with: chmod 700 %s", dir, (unsigned)(st.st_mode & 07777), dir);
		return RO_EINVAL;
	}
	return 0;
}
