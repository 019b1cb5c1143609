/*
 * knownhosts.c - the engine's known-hosts file, in OpenSSH's format.
 *
 * One line per host key: "[address]:port type base64 [comment]" (plain
 * "address" for port 22), as ssh(1) writes and reads it, so that an
 * operator can check the file with ssh-keygen -F and the engine's file can
 * be handed to ssh -o UserKnownHostsFile. Lines this module does not use
 * (comments, hashed host names, @cert-authority and @revoked markers,
 * wildcard patterns) are kept as they are on every rewrite but never match:
 * the engine trusts only keys recorded for an exact address and port.
 */
#include "error.h"
#include "sshutil.h"
#include "strmap.h"
#include "transport.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KH_FILE_MAX (64u * 1024 * 1024)

/* One line of the file. A line that records keys for exact host:port
 * patterns has them in pats (normalised "address:port"). */
struct kh_line {
	char *text;        /* the line as read or as it will be written, without '\n' */
	char **pats;       /* normalised host patterns this line binds; NULL if unused */
	size_t npats;
	char *type;        /* key type, when pats */
	unsigned char *key;
	size_t key_len;
};

struct ro_known_hosts {
	char *path;
	struct kh_line *v;
	size_t n, cap;
	struct ro_strmap index; /* "address:port" -> line, for the first line naming it */
};

static void
line_free(struct kh_line *l)
{
	size_t i;

	free(l->text);
	for (i = 0; i < l->npats; i++)
		free(l->pats[i]);
	free(l->pats);
	free(l->type);
	free(l->key);
	memset(l, 0, sizeof *l);
}

void
ro_known_hosts_free(struct ro_known_hosts *kh)
{
	size_t i;

	if (kh == NULL)
		return;
	for (i = 0; i < kh->n; i++)
		line_free(&kh->v[i]);
	free(kh->v);
	ro_strmap_free(&kh->index);
	free(kh->path);
	free(kh);
}

/* hostport returns the normalised malloc'd "address:port" used as index key. */
static char *
hostport(const char *address, int port)
{
	return ro_xasprintf("%s:%d", address, port);
}

/*
 * parse_pattern turns one OpenSSH host pattern into "address:port", or NULL
 * for patterns the engine never matches (hashed, negated, wildcards).
 */
static char *
parse_pattern(const char *p, size_t n)
{
	char host[256];
	long port = 22;

	if (n == 0 || n >= sizeof host || p[0] == '|' || p[0] == '!' ||
	    memchr(p, '*', n) || memchr(p, '?', n))
		return NULL;
	if (p[0] == '[') {
		const char *close = memchr(p, ']', n);
		char *end;
		char num[8];
		size_t hl, pl;

		if (close == NULL || (size_t)(close - p) + 2 > n || close[1] != ':')
			return NULL;
		hl = (size_t)(close - p - 1);
		pl = n - (size_t)(close - p) - 2;
		if (hl == 0 || pl == 0 || pl >= sizeof num)
			return NULL;
		memcpy(host, p + 1, hl);
		host[hl] = '\0';
		memcpy(num, close + 2, pl);
		num[pl] = '\0';
		port = strtol(num, &end, 10);
		if (*end || port < 1 || port > 65535)
			return NULL;
	} else {
		memcpy(host, p, n);
		host[n] = '\0';
	}
	return hostport(host, (int)port);
}

/* Rebuilds the address:port index after lines were added or removed. */
static void
reindex(struct ro_known_hosts *kh)
{
	size_t i, j;

	ro_strmap_free(&kh->index);
	ro_strmap_init(&kh->index);
	for (i = 0; i < kh->n; i++)
		for (j = 0; j < kh->v[i].npats; j++)
			ro_strmap_put(&kh->index, kh->v[i].pats[j], (uint32_t)i, NULL);
}

static struct kh_line *
push_line(struct ro_known_hosts *kh)
{
	if (kh->n == kh->cap) {
		kh->cap = kh->cap ? kh->cap * 2 : 16;
		kh->v = ro_xrealloc(kh->v, kh->cap * sizeof *kh->v);
	}
	memset(&kh->v[kh->n], 0, sizeof kh->v[0]);
	return &kh->v[kh->n++];
}

/*
 * parse_line reads one line into l (which already holds the text). A line
 * that names exact hosts must carry a well-formed key whose blob agrees
 * with its type field; anything else there is an error, because a damaged
 * entry silently ignored would turn a recorded host into an unknown one.
 */
static int
parse_line(struct kh_line *l, const char *path, int lineno, char **cause)
{
	const char *s = l->text, *f[3];
	size_t fl[3], nf = 0, i;
	char blob_type[64];
	unsigned char *key = NULL;
	size_t key_len = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#' || *s == '@')
		return 0; /* blank, comment, or a marker line the engine does not use */
	while (*s && nf < 3) {
		f[nf] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		fl[nf] = (size_t)(s - f[nf]);
		nf++;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	if (nf < 3) {
		*cause = ro_xasprintf("%s:%d: expected 'host keytype base64-key', found '%s'; "
		    "fix or delete the line", path, lineno, l->text);
		return RO_EINVAL;
	}
	if (ro_ssh_unb64(f[2], fl[2], &key, &key_len) < 0 ||
	    ro_ssh_blob_type(key, key_len, blob_type, sizeof blob_type) < 0 ||
	    strlen(blob_type) != fl[1] || memcmp(blob_type, f[1], fl[1]) != 0) {
		free(key);
		*cause = ro_xasprintf("%s:%d: the key is not a valid %.*s public key; fix or "
		    "delete the line and enroll the host again", path, lineno, (int)fl[1], f[1]);
		return RO_EINVAL;
	}
	/* Split the comma-separated host patterns. */
	for (i = 0; i < fl[0];) {
		size_t j = i;
		char *pat;

		while (j < fl[0] && f[0][j] != ',')
			j++;
		pat = parse_pattern(f[0] + i, j - i);
		if (pat) {
			l->pats = ro_xrealloc(l->pats, (l->npats + 1) * sizeof *l->pats);
			l->pats[l->npats++] = pat;
		}
		i = j + 1;
	}
	if (l->npats == 0) {
		free(key);
		return 0;
	}
	l->type = ro_xasprintf("%.*s", (int)fl[1], f[1]);
	l->key = key;
	l->key_len = key_len;
	return 0;
}

int
ro_known_hosts_load(const char *path, struct ro_known_hosts **out, char **cause)
{
	struct ro_known_hosts *kh = ro_xcalloc(1, sizeof *kh);
	FILE *f;
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	int rc = 0, lineno = 0;

	*out = NULL;
	kh->path = ro_xstrdup(path);
	ro_strmap_init(&kh->index);
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT) {
			*out = kh;
			return 0;
		}
		*cause = ro_xasprintf("cannot read the known hosts file %s: %s", path,
		    strerror(errno));
		ro_known_hosts_free(kh);
		return RO_EIO;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct kh_line *l;

		lineno++;
		total += (size_t)n;
		if (total > KH_FILE_MAX) {
			*cause = ro_xasprintf("%s is larger than %u MiB; it cannot be a known "
			    "hosts file", path, KH_FILE_MAX >> 20);
			rc = RO_EINVAL;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		l = push_line(kh);
		l->text = ro_xstrdup(line);
		rc = parse_line(l, path, lineno, cause);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f)) {
		*cause = ro_xasprintf("cannot read the known hosts file %s: %s", path,
		    strerror(errno));
		rc = RO_EIO;
	}
	free(line);
	fclose(f);
	if (rc < 0) {
		ro_known_hosts_free(kh);
		return rc;
	}
	reindex(kh);
	*out = kh;
	return 0;
}

void
ro_hostkey_fingerprint(const unsigned char *key, size_t len, char out[64])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, key, len);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, 64 - 7, h, sizeof h, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

/* ro_known_hosts_lookup (see transport.h) finds the entry for address:port. */
int
ro_known_hosts_lookup(const struct ro_known_hosts *kh, const char *address, int port,
    const char **type, const unsigned char **key, size_t *len)
{
	char *hp;
	uint32_t i;
	int found;

	if (kh == NULL)
		return 0;
	hp = hostport(address, port);
	found = ro_strmap_get(&kh->index, hp, &i);
	free(hp);
	if (!found)
		return 0;
	*type = kh->v[i].type;
	*key = kh->v[i].key;
	*len = kh->v[i].key_len;
	return 1;
}

enum ro_hostkey_match
ro_known_hosts_check(const struct ro_known_hosts *kh, const char *address, int port,
    const char *type, const unsigned char *key, size_t len)
{
	const char *rtype;
	const unsigned char *rkey;
	size_t rlen;

	if (!ro_known_hosts_lookup(kh, address, port, &rtype, &rkey, &rlen))
		return RO_HOSTKEY_UNKNOWN;
	if (strcmp(rtype, type) == 0 && rlen == len && sodium_memcmp(rkey, key, len) == 0)
		return RO_HOSTKEY_MATCH;
	return RO_HOSTKEY_CHANGED;
}

const char *
ro_known_hosts_path(const struct ro_known_hosts *kh)
{
	return kh ? kh->path : NULL;
}

/* Writes every line to the file, atomically. */
static int
save(const struct ro_known_hosts *kh, char **cause)
{
	struct ro_buf b;
	size_t i;
	int rc;

	ro_buf_init(&b);
	for (i = 0; i < kh->n; i++) {
		ro_buf_adds(&b, kh->v[i].text);
		ro_buf_addc(&b, '\n');
	}
	rc = ro_ssh_write_atomic(kh->path, b.p, b.len, 0644, 0, cause);
	ro_buf_free(&b);
	return rc;
}

/*
 * Removes the pattern hp from every line that binds it; a line left with no
 * pattern goes, a line that binds other hosts as well is rewritten without
 * this one (its other patterns keep their key).
 */
static void
forget(struct ro_known_hosts *kh, const char *hp)
{
	size_t i, j, k, w = 0;

	for (i = 0; i < kh->n; i++) {
		struct kh_line *l = &kh->v[i];
		int hit = 0;

		for (j = 0; j < l->npats; j++)
			hit |= strcmp(l->pats[j], hp) == 0;
		if (hit && l->npats == 1) {
			line_free(l);
			continue;
		}
		if (hit) {
			/* Rewrite the line from its remaining patterns. */
			struct ro_buf b;
			char *b64 = ro_ssh_b64(l->key, l->key_len);

			ro_buf_init(&b);
			for (j = k = 0; j < l->npats; j++) {
				const char *colon;
				if (strcmp(l->pats[j], hp) == 0) {
					free(l->pats[j]);
					continue;
				}
				colon = strrchr(l->pats[j], ':');
				if (k++)
					ro_buf_addc(&b, ',');
				if (strcmp(colon + 1, "22") == 0)
					ro_buf_printf(&b, "%.*s", (int)(colon - l->pats[j]), l->pats[j]);
				else
					ro_buf_printf(&b, "[%.*s]:%s", (int)(colon - l->pats[j]),
					    l->pats[j], colon + 1);
				l->pats[k - 1] = l->pats[j];
			}
			l->npats = k;
			ro_buf_printf(&b, " %s %s", l->type, b64);
			free(b64);
			free(l->text);
			l->text = b.p;
		}
		kh->v[w++] = *l;
	}
	kh->n = w;
}

void
ro_known_hosts_put(struct ro_known_hosts *kh, const char *address, int port,
    const char *type, const unsigned char *key, size_t len)
{
	char *hp = hostport(address, port);
	char *b64 = ro_ssh_b64(key, len);
	struct kh_line *l;

	forget(kh, hp);
	l = push_line(kh);
	if (port == 22)
		l->text = ro_xasprintf("%s %s %s", address, type, b64);
	else
		l->text = ro_xasprintf("[%s]:%d %s %s", address, port, type, b64);
	l->pats = ro_xmalloc(sizeof *l->pats);
	l->pats[0] = hp;
	l->npats = 1;
	l->type = ro_xstrdup(type);
	l->key = ro_xmalloc(len);
	memcpy(l->key, key, len);
	l->key_len = len;
	free(b64);
	reindex(kh);
}

int
ro_known_hosts_save(const struct ro_known_hosts *kh, char **cause)
{
	return save(kh, cause);
}

int
ro_known_hosts_add(struct ro_known_hosts *kh, const char *address, int port,
    const char *type, const unsigned char *key, size_t len, char **cause)
{
	ro_known_hosts_put(kh, address, port, type, key, len);
	return save(kh, cause);
}

size_t
ro_known_hosts_count(const struct ro_known_hosts *kh)
{
	size_t i, n = 0;

	for (i = 0; kh && i < kh->n; i++)
		n += kh->v[i].npats;
	return n;
}

int
ro_known_hosts_entry(const struct ro_known_hosts *kh, size_t idx, const char **hostport_out,
    const char **type, const unsigned char **key, size_t *len)
{
	size_t i;

	for (i = 0; kh && i < kh->n; i++) {
		if (idx < kh->v[i].npats) {
			*hostport_out = kh->v[i].pats[idx];
			*type = kh->v[i].type;
			*key = kh->v[i].key;
			*len = kh->v[i].key_len;
			return 1;
		}
		idx -= kh->v[i].npats;
	}
	return 0;
}
