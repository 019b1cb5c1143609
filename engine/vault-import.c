/* vault-import.c - parsing the city's password notice (CSV or YAML). */
#include "vault-import.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#define IMPORT_MAX (4u << 20) /* a notice is a few kilobytes */

void
ro_import_free(struct ro_import *im)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		vault_secret_free(im->v[i].value);
	free(im->v);
	if (im->protecting)
		vault_protect(0);
	memset(im, 0, sizeof(*im));
}

/* add_item checks one name/value pair and keeps it. No diagnostic quotes
 * a field: if the columns came in another order than expected, the field
 * taken for a name may be a password. Lines and columns say where. */
static void
add_item(struct ro_import *im, const char *file, int line, const char *name,
    const unsigned char *value, size_t len, const struct vault_policy *pol, struct ro_diags *d)
{
	const char *why;
	size_t i;

	if (!vault_name_valid(name)) {
		ro_diag_add(d, file, line, 1, "names are host/credential, e.g. "
		    "cs-active/windows-admin, of A-Z a-z 0-9 . _ -; check the column order "
		    "(a header line host,credential,password says it)",
		    "the entry name is not valid (not shown: it may be a password)");
		return;
	}
	for (i = 0; i < im->n; i++)
		if (strcmp(im->v[i].name, name) == 0) {
			ro_diag_add(d, file, line, 1, "each entry may appear once in a notice",
			    "the same entry as on line %d", im->v[i].line);
			return;
		}
	if (vault_policy_check(pol, value, len, &why) != 0) {
		ro_diag_add(d, file, line, 1, "ask the city for a password that meets the policy "
		    "(14-64 characters, 3 of lower/upper/digit/symbol, no spaces or quotes)",
		    "the password %s", why);
		return;
	}
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 16;
		im->v = ro_xrealloc(im->v, im->cap * sizeof(*im->v));
	}
	snprintf(im->v[im->n].name, sizeof(im->v[im->n].name), "%s", name);
	im->v[im->n].line = line;
	if (vault_secret_new(value, len, &im->v[im->n].value) != 0) {
		ro_diag_add(d, file, line, 1, NULL, "out of locked memory");
		return;
	}
	im->n++;
}

/* CSV columns, from a header line or the default order. */
enum { COL_NAME, COL_HOST, COL_CRED, COL_PASS, COL_MAX = 3 };

struct cols {
	int kind[COL_MAX];
	int n;
};

/* header_cols recognises a header line: every field one of name, host,
 * credential, password, each at most once, with the password and either
 * name or host and credential. */
static int
header_cols(const unsigned char *s, size_t n, struct cols *c)
{
	static const char *const names[] = { "name", "host", "credential", "password" };
	const unsigned char *p = s, *end = s + n;
	int seen[4] = { 0 }, k;

	c->n = 0;
	for (;;) {
		const unsigned char *comma = memchr(p, ',', (size_t)(end - p));
		const unsigned char *f = p, *fe = comma ? comma : end;

		while (f < fe && *f == ' ')
			f++;
		while (fe > f && fe[-1] == ' ')
			fe--;
		for (k = 0; k < 4; k++)
			if (strlen(names[k]) == (size_t)(fe - f) &&
			    strncasecmp((const char *)f, names[k], (size_t)(fe - f)) == 0)
				break;
		if (k == 4 || seen[k]++ || c->n == COL_MAX)
			return 0;
		c->kind[c->n++] = k;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return seen[COL_PASS] && ((seen[COL_NAME] && !seen[COL_HOST] && !seen[COL_CRED]) ||
	    (!seen[COL_NAME] && seen[COL_HOST] && seen[COL_CRED]));
}

static int
parse_csv(const char *file, unsigned char *buf, size_t len, const struct vault_policy *pol,
    struct ro_import *im, struct ro_diags *d)
{
	struct cols hdr = { { 0 }, 0 };
	size_t off = 0;
	int line = 0, seen_data = 0;

	while (off < len) {
		unsigned char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;
		const unsigned char *field[COL_MAX];
		size_t flen[COL_MAX];
		struct cols cols;
		char name[VAULT_NAME_MAX + 1];
		const unsigned char *val = NULL, *host = NULL, *cred = NULL, *nm = NULL;
		size_t vlen = 0, hl = 0, cl = 0, nml = 0, rest;
		int i;

		off += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		if (!seen_data++ && header_cols(s, n, &hdr))
			continue; /* the header line says the column order */
		if (memchr(s, ',', n) == NULL) {
			ro_diag_add(d, file, line, 1, "write host/credential,password",
			    "expected a comma-separated line");
			continue;
		}
		if (hdr.n)
			cols = hdr;
		else if (memchr(s, '/', (size_t)((unsigned char *)memchr(s, ',', n) - s)) != NULL)
			cols = (struct cols){ { COL_NAME, COL_PASS }, 2 };
		else
			cols = (struct cols){ { COL_HOST, COL_CRED, COL_PASS }, 3 };
		/* Split: the password may hold commas only as the last column. */
		rest = 0;
		for (i = 0; i < cols.n; i++) {
			unsigned char *comma = rest < n ? memchr(s + rest, ',', n - rest) : NULL;
			int last = i == cols.n - 1;
			field[i] = s + rest;
			if (last && cols.kind[i] == COL_PASS)
				flen[i] = n - rest;
			else if (last)
				flen[i] = comma ? SIZE_MAX : n - rest;
			else
				flen[i] = comma ? (size_t)(comma - (s + rest)) : SIZE_MAX;
			if (flen[i] == SIZE_MAX)
				break;
			rest += flen[i] + 1;
		}
		if (i < cols.n) {
			ro_diag_add(d, file, line, 1, cols.n == 2 ?
			    "write host/credential,password" : "write host,credential,password; a "
			    "password that is not the last column may not contain a comma",
			    "expected %d comma-separated fields", cols.n);
			continue;
		}
		for (i = 0; i < cols.n; i++) {
			if (cols.kind[i] == COL_PASS)
				val = field[i], vlen = flen[i];
			else if (cols.kind[i] == COL_HOST)
				host = field[i], hl = flen[i];
			else if (cols.kind[i] == COL_CRED)
				cred = field[i], cl = flen[i];
			else
				nm = field[i], nml = flen[i];
		}
		if (nm ? nml > VAULT_NAME_MAX : hl + cl + 1 > VAULT_NAME_MAX) {
			ro_diag_add(d, file, line, 1, NULL, "the entry name is longer than %d bytes",
			    VAULT_NAME_MAX);
			continue;
		}
		if (nm) {
			memcpy(name, nm, nml);
			name[nml] = '\0';
		} else {
			memcpy(name, host, hl);
			name[hl] = '/';
			memcpy(name + hl + 1, cred, cl);
			name[hl + 1 + cl] = '\0';
		}
		/* A field with a NUL would cut the name short: refuse it. */
		if (strlen(name) != (nm ? nml : hl + cl + 1))
			name[0] = '\0';
		add_item(im, file, line, name, val, vlen, pol, d);
		sodium_memzero(name, sizeof(name));
	}
	return d->n ? RO_EINVAL : 0;
}

/* A YAML scalar copied into locked memory, the parser's copy zeroed. */
struct yscalar {
	char s[VAULT_VALUE_MAX + 1];
	size_t len;
	int line;
};

static int
next_event(yaml_parser_t *p, yaml_event_t *ev)
{
	return yaml_parser_parse(p, ev) ? 0 : -1;
}

static void
drop_event(yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value)
		sodium_memzero(ev->data.scalar.value, ev->data.scalar.length);
	yaml_event_delete(ev);
}

/* scalar reads the next event, which must be a scalar, into out. */
static int
scalar(yaml_parser_t *p, struct yscalar *out, yaml_event_type_t *type)
{
	yaml_event_t ev;
	int rc = 0;

	if (next_event(p, &ev) < 0)
		return -1;
	*type = ev.type;
	out->line = (int)ev.start_mark.line + 1;
	if (ev.type == YAML_SCALAR_EVENT) {
		if (ev.data.scalar.length > VAULT_VALUE_MAX) {
			rc = -2;
		} else {
			memcpy(out->s, ev.data.scalar.value, ev.data.scalar.length);
			out->s[ev.data.scalar.length] = '\0';
			out->len = ev.data.scalar.length;
		}
	}
	drop_event(&ev);
	return rc;
}

static int
parse_yaml(const char *file, unsigned char *buf, size_t len, const struct vault_policy *pol,
    struct ro_import *im, struct ro_diags *d)
{
	yaml_parser_t p;
	yaml_event_type_t t;
	struct yscalar *k, *v, *host, *cred, *pw;
	int rc = RO_EINVAL, i;

	k = sodium_malloc(5 * sizeof(*k));
	if (k == NULL)
		return RO_ENOMEM;
	v = k + 1, host = k + 2, cred = k + 3, pw = k + 4;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, buf, len);
	/* stream start, document start, mapping start */
	for (i = 0; i < 3; i++) {
		if (scalar(&p, k, &t) < 0)
			goto bad;
		if (t == YAML_STREAM_END_EVENT)
			goto done;
	}
	if (t != YAML_MAPPING_START_EVENT) {
		ro_diag_add(d, file, k->line, 1, "see 'rollout vault --help' for the format",
		    "expected a mapping of entry names to passwords");
		goto out;
	}
	for (;;) {
		if (scalar(&p, k, &t) < 0)
			goto bad;
		if (t == YAML_MAPPING_END_EVENT)
			break;
		if (t != YAML_SCALAR_EVENT) {
			ro_diag_add(d, file, k->line, 1, NULL, "expected an entry name");
			goto out;
		}
		if (strcmp(k->s, "passwords") != 0) {
			if (scalar(&p, v, &t) < 0)
				goto bad;
			if (t != YAML_SCALAR_EVENT) {
				ro_diag_add(d, file, v->line, 1, NULL,
				    "expected a password after the entry name");
				goto out;
			}
			if (k->len > VAULT_NAME_MAX)
				ro_diag_add(d, file, k->line, 1, NULL, "entry name is too long");
			else
				add_item(im, file, k->line, k->s, (unsigned char *)v->s, v->len, pol, d);
			continue;
		}
		if (scalar(&p, v, &t) < 0)
			goto bad;
		if (t != YAML_SEQUENCE_START_EVENT) {
			ro_diag_add(d, file, v->line, 1, NULL, "'passwords' must be a list");
			goto out;
		}
		for (;;) {
			int line;
			if (scalar(&p, v, &t) < 0)
				goto bad;
			if (t == YAML_SEQUENCE_END_EVENT)
				break;
			if (t != YAML_MAPPING_START_EVENT) {
				ro_diag_add(d, file, v->line, 1, NULL,
				    "each item needs host, credential and password");
				goto out;
			}
			line = v->line;
			host->len = cred->len = pw->len = 0;
			host->s[0] = cred->s[0] = '\0';
			for (;;) {
				if (scalar(&p, k, &t) < 0)
					goto bad;
				if (t == YAML_MAPPING_END_EVENT)
					break;
				if (t != YAML_SCALAR_EVENT || scalar(&p, v, &t) < 0 ||
				    t != YAML_SCALAR_EVENT) {
					ro_diag_add(d, file, k->line, 1, NULL, "expected key: value");
					goto out;
				}
				if (strcmp(k->s, "host") == 0)
					*host = *v;
				else if (strcmp(k->s, "credential") == 0)
					*cred = *v;
				else if (strcmp(k->s, "password") == 0)
					*pw = *v;
				else
					ro_diag_add(d, file, k->line, 1, "use host, credential, password",
					    "unknown key (not shown: it may be a password)");
			}
			if (host->len == 0 || cred->len == 0 || pw->len == 0 ||
			    host->len + cred->len + 1 > VAULT_NAME_MAX) {
				ro_diag_add(d, file, line, 1, NULL,
				    "each item needs host, credential and password");
				continue;
			}
			memcpy(k->s, host->s, host->len);
			k->s[host->len] = '/';
			memcpy(k->s + host->len + 1, cred->s, cred->len + 1);
			add_item(im, file, line, k->s, (unsigned char *)pw->s, pw->len, pol, d);
		}
	}
done:
	rc = d->n ? RO_EINVAL : 0;
	goto out;
bad:
	ro_diag_add(d, file, (int)p.problem_mark.line + 1, (int)p.problem_mark.column + 1, NULL,
	    "YAML: %s", p.problem ? p.problem : "value too long or malformed document");
out:
	/* Zero libyaml's copies of the input before it frees them. */
	if (p.buffer.start)
		sodium_memzero(p.buffer.start, (size_t)(p.buffer.end - p.buffer.start));
	if (p.raw_buffer.start)
		sodium_memzero(p.raw_buffer.start,
		    (size_t)(p.raw_buffer.end - p.raw_buffer.start));
	yaml_parser_delete(&p);
	sodium_free(k);
	return rc;
}

int
ro_vault_import_parse(const char *path, const char *format, const struct vault_policy *pol,
    struct ro_import *out, struct ro_diags *d)
{
	unsigned char *buf;
	size_t len = 0;
	const char *dot;
	const char *file = strcmp(path, "-") == 0 ? "<stdin>" : path;
	int fd, yaml, rc;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	/* Plaintext passwords: no core dump or ptrace from before the first
	 * byte is read until the values are freed. */
	vault_protect(1);
	out->protecting = 1;
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ro_diag_add(d, path, 0, 0, NULL, "cannot open: %s", strerror(errno));
		ro_import_free(out);
		return RO_EIO;
	}
	if (sodium_init() < 0 || (buf = sodium_malloc(IMPORT_MAX)) == NULL) {
		if (fd != STDIN_FILENO)
			close(fd);
		ro_import_free(out);
		return RO_ENOMEM;
	}
	while ((n = read(fd, buf + len, IMPORT_MAX - len)) > 0 ||
	    (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	if (fd != STDIN_FILENO)
		close(fd);
	if (n < 0 || len == IMPORT_MAX) {
		ro_diag_add(d, file, 0, 0, NULL, n < 0 ? "read failed" : "file is too large");
		sodium_free(buf);
		ro_import_free(out);
		return RO_EIO;
	}
	dot = strrchr(path, '.');
	if (format)
		yaml = strcmp(format, "yaml") == 0;
	else if (dot)
		yaml = strcmp(dot, ".yml") == 0 || strcmp(dot, ".yaml") == 0;
	else {
		/* Sniff: a YAML notice has a ':' before the first newline or comma. */
		size_t i;
		yaml = 0;
		for (i = 0; i < len && buf[i] != '\n' && buf[i] != ','; i++)
			if (buf[i] == ':' || buf[i] == '-')
				yaml = buf[i] == ':' || i == 0;
	}
	rc = yaml ? parse_yaml(file, buf, len, pol, out, d) : parse_csv(file, buf, len, pol, out, d);
	if (rc == 0 && out->n == 0) {
		ro_diag_add(d, file, 1, 1, NULL, "the notice lists no passwords");
		rc = RO_EINVAL;
	}
	if (rc != 0)
		ro_import_free(out);
	sodium_free(buf);
	return rc;
}
