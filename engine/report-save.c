/*
 * report-save.c - writing a report file atomically: never a half-written
 * file, never an existing file overwritten without --force, never a write
 * through a symbolic link an attacker planted at the target's name.
 *
 * The file is written inside a private directory made with mkdtemp (0700,
 * ours alone) beside the target, so that libxlsxwriter, which opens its
 * output by name, writes where no one else can put a link. It is synced and
 * then either linked to the target name (link(2) fails if the name exists:
 * the no-overwrite check and the publication are one atomic step) or, with
 * force, renamed over it (rename(2) replaces a link at the name instead of
 * following it). The directory is synced so that the name survives a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "report.h"
#include "util.h"

/* write_new writes the buffer to a new file at path (O_EXCL|O_NOFOLLOW). */
static int
write_new(const char *path, const struct ro_buf *b, char **cause)
{
	size_t off = 0;
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0) {
		*cause = ro_xasprintf("cannot create %s: %s", path, strerror(errno));
		return RO_EIO;
	}
	while (off < b->len) {
		n = write(fd, b->p + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = ro_xasprintf("cannot write %s: %s", path, strerror(errno));
			close(fd);
			return RO_EIO;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0) {
		*cause = ro_xasprintf("cannot write %s: %s", path, strerror(errno));
		return RO_EIO;
	}
	return RO_OK;
}

/* sync_path fsyncs a file or a directory by name. */
static int
sync_path(const char *path, int dir, char **cause)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
	int rc = RO_OK;

	if (fd < 0 || fsync(fd) != 0) {
		*cause = ro_xasprintf("cannot sync %s: %s", path, strerror(errno));
		rc = RO_EIO;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
to_stdout(const struct ro_buf *b, char **cause)
{
	if (fwrite(b->p, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
		*cause = ro_xasprintf("cannot write the report to standard output: %s",
		    strerror(errno));
		return RO_EIO;
	}
	return RO_OK;
}

int
ro_report_save(const struct ro_report *r, enum ro_report_format fmt, const char *path,
    int force, char **cause)
{
	struct ro_buf b;
	char *dir = NULL, *tmpdir = NULL, *tmp = NULL;
	int rc = RO_OK, made_dir = 0;
	struct stat sb;

	*cause = NULL;
	ro_buf_init(&b);
	if (fmt != RO_REPORT_XLSX) {
		if (fmt == RO_REPORT_CSV)
			ro_report_csv(r, &b);
		else
			ro_report_json(r, &b);
	}
	if (strcmp(path, "-") == 0) {
		if (fmt == RO_REPORT_XLSX) {
			*cause = ro_xasprintf("an .xlsx report is not written to standard output;"
			    " give a file with -o, or --format csv or json");
			rc = RO_EINVAL;
		} else
			rc = to_stdout(&b, cause);
		goto out;
	}
	/* Refuse early, with the clearest message; link() below is what
	 * actually guarantees it against a file appearing meanwhile. */
	if (!force && lstat(path, &sb) == 0) {
		*cause = ro_xasprintf("%s exists; give another name with -o, or --force to "
		    "replace it", path);
		rc = RO_EEXIST;
		goto out;
	}
	dir = ro_dir_of(path);
	tmpdir = ro_xasprintf("%s/.rollout-report.XXXXXX", dir);
	if (mkdtemp(tmpdir) == NULL) {
		*cause = ro_xasprintf("cannot write a report in %s: %s", dir, strerror(errno));
		rc = RO_EIO;
		goto out;
	}
	made_dir = 1;
	tmp = ro_xasprintf("%s/report.%s", tmpdir, ro_report_format_ext(fmt));
	if (fmt == RO_REPORT_XLSX)
		rc = ro_report_xlsx(r, tmp, cause);
	else
		rc = write_new(tmp, &b, cause);
	if (rc != RO_OK)
		goto out;
	if ((rc = sync_path(tmp, 0, cause)) != RO_OK)
		goto out;
	if (force) {
		if (rename(tmp, path) != 0) {
			*cause = ro_xasprintf("cannot replace %s: %s", path, strerror(errno));
			rc = RO_EIO;
			goto out;
		}
	} else if (link(tmp, path) != 0) {
		if (errno == EEXIST) {
			*cause = ro_xasprintf("%s exists; give another name with -o, or --force "
			    "to replace it", path);
			rc = RO_EEXIST;
		} else {
			*cause = ro_xasprintf("cannot write %s: %s", path, strerror(errno));
			rc = RO_EIO;
		}
		goto out;
	}
	rc = sync_path(dir, 1, cause);
out:
	if (tmp)
		unlink(tmp); /* after rename: already gone; after link: the spare name */
	if (made_dir)
		rmdir(tmpdir);
	free(tmp);
	free(tmpdir);
	free(dir);
	ro_buf_free(&b);
	return rc;
}
