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
	memset(im, 0, sizeof(*im));
}

/* add_item checks one name/value pair and keeps it. */
static void
add_item(struct ro_import *im, const char *file, int line, const char *name,
    const unsigned char *value, size_t len, const struct vault_policy *pol, struct ro_diags *d)
{
	const char *why;
	size_t i;

	if (!vault_name_valid(name)) {
		ro_diag_add(d, file, line, 1, "names are host/credential, e.g. "
		    "cs-active/windows-admin, of A-Z a-z 0-9 . _ -",
		    "entry name '%s' is not valid", name);
		return;
	}
	for (i = 0; i < im->n; i++)
		if (strcmp(im->v[i].name, name) == 0) {
			ro_diag_add(d, file, line, 1, "each entry may appear once in a notice",
			    "'%s' is listed again (first on line %d)", name, im->v[i].line);
			return;
		}
	if (vault_policy_check(pol, value, len, &why) != 0) {
		ro_diag_add(d, file, line, 1, "ask the city for a password that meets the policy "
		    "(14-64 characters, 3 of lower/upper/digit/symbol, no spaces or quotes)",
		    "the password for '%s' %s", name, why);
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

static int
parse_csv(const char *file, unsigned char *buf, size_t len, const struct vault_policy *pol,
    struct ro_import *im, struct ro_diags *d)
{
	size_t off = 0;
	int line = 0, seen_data = 0;

	while (off < len) {
		unsigned char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;
		char name[VAULT_NAME_MAX + 1];
		unsigned char *c1, *c2, *val;
		size_t vlen;

		off += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		c1 = memchr(s, ',', n);
		if (c1 == NULL) {
			ro_diag_add(d, file, line, 1, "write host/credential,password",
			    "expected a comma-separated line");
			continue;
		}
		if (!seen_data++ && (strncasecmp((char *)s, "name,", 5) == 0 ||
		    strncasecmp((char *)s, "host,", 5) == 0))
			continue; /* the header line */
		if (memchr(s, '/', (size_t)(c1 - s)) != NULL) {
			/* host/credential,password */
			if ((size_t)(c1 - s) > VAULT_NAME_MAX)
				goto toolong;
			memcpy(name, s, (size_t)(c1 - s));
			name[c1 - s] = '\0';
			val = c1 + 1;
		} else {
			/* host,credential,password */
			c2 = memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - s));
			if (c2 == NULL || (size_t)(c2 - s) > VAULT_NAME_MAX) {
				ro_diag_add(d, file, line, 1, "write host,credential,password",
				    "expected three fields");
				continue;
			}
			memcpy(name, s, (size_t)(c2 - s));
			name[c1 - s] = '/';
			name[c2 - s] = '\0';
			val = c2 + 1;
		}
		vlen = n - (size_t)(val - s);
		add_item(im, file, line, name, val, vlen, pol, d);
		continue;
toolong:
		ro_diag_add(d, file, line, 1, NULL, "entry name is longer than %d bytes",
		    VAULT_NAME_MAX);
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
				ro_diag_add(d, file, v->line, 1, NULL, "expected a password for '%s'",
				    k->s);
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
					    "unknown key '%s'", k->s);
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
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ro_diag_add(d, path, 0, 0, NULL, "cannot open: %s", strerror(errno));
		return RO_EIO;
	}
	if (sodium_init() < 0 || (buf = sodium_malloc(IMPORT_MAX)) == NULL) {
		if (fd != STDIN_FILENO)
			close(fd);
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
