/* sshutil.c - SSH wire strings, base64 and atomic file writes for the SSH modules. */
#include "sshutil.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
