/*
 * sim-scp.c - the SCP sink state machine (see sim-scp.h).
 */
#include "sim-scp.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum st { ST_HEADER, ST_DATA, ST_DATA_END, ST_FAILED };

struct sim_scp {
	enum st st;
	char *target;
	int target_is_dir;
	int64_t free_bytes;
	sim_scp_file_fn fn;
	void *arg;
	char line[1024];
	size_t linelen;
	uint64_t size, got, total;
	char *name;
	crypto_hash_sha256_state h;
	int files, errors;
};

char *
sim_scp_command(const char *cmd)
{
	const char *p = cmd;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "scp ", 4) != 0 && strncmp(p, "scp.exe ", 8) != 0)
		return NULL;
	p = strchr(p, ' ');
	int sink = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || p[2] == '\0')) {
			p += 2;
			while (*p == ' ')
				p++;
			break;
		}
		if (p[0] != '-')
			break;
		for (p++; *p && *p != ' '; p++)
			if (*p == 't')
				sink = 1;
			else if (*p == 'f')
				return NULL;
	}
	if (!sink || *p == '\0')
		return NULL;
	size_t l = strlen(p);
	while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\n' || p[l - 1] == '\r'))
		l--;
	char *out = malloc(l + 1), *o = out;
	if (out == NULL)
		return NULL;
	/* Undo POSIX shell quoting: '...' literal, "..." and \x escapes. */
	for (size_t i = 0; i < l; i++) {
		if (p[i] == '\'') {
			for (i++; i < l && p[i] != '\''; i++)
				*o++ = p[i];
		} else if (p[i] == '"') {
			for (i++; i < l && p[i] != '"'; i++)
				*o++ = p[i];
		} else if (p[i] == '\\' && i + 1 < l && (p[i + 1] == ' ' || p[i + 1] == '\'' || p[i + 1] == '"')) {
			*o++ = p[++i];
		} else {
			*o++ = p[i];
		}
	}
	*o = '\0';
	return out;
}

struct sim_scp *
sim_scp_new(const char *target, int target_is_dir, int64_t free_bytes, sim_scp_file_fn fn, void *arg)
{
	struct sim_scp *s = ro_xcalloc(1, sizeof(*s));
	s->target = ro_xstrdup(target);
	s->target_is_dir = target_is_dir;
	s->free_bytes = free_bytes;
	s->fn = fn;
	s->arg = arg;
	return s;
}

void
sim_scp_free(struct sim_scp *s)
{
	if (s == NULL)
		return;
	free(s->target);
	free(s->name);
	free(s);
}

void
sim_scp_start(struct sim_scp *s, struct ro_buf *reply)
{
	ro_buf_addc(reply, '\0');
}

static int
fatal(struct sim_scp *s, struct ro_buf *reply, const char *msg)
{
	ro_buf_addc(reply, '\x02');
	ro_buf_printf(reply, "scp: %s\n", msg);
	s->st = ST_FAILED;
	s->errors++;
	return SIM_SCP_ERROR;
}

static int
header(struct sim_scp *s, struct ro_buf *reply)
{
	char *l = s->line;
	if (l[0] == 'T') { /* times: accepted, not kept */
		ro_buf_addc(reply, '\0');
		return SIM_SCP_MORE;
	}
	if (l[0] == 'E') {
		ro_buf_addc(reply, '\0');
		return SIM_SCP_MORE;
	}
	if (l[0] == 'D')
		return fatal(s, reply, "rollout-sim does not accept directories (scp -r)");
	if (l[0] == '\x01' || l[0] == '\x02')
		return SIM_SCP_MORE; /* the client reports its own error */
	unsigned mode;
	unsigned long long size;
	int off = 0;
	if (l[0] != 'C' || sscanf(l + 1, "%o %llu %n", &mode, &size, &off) < 2 || off == 0 || l[1 + off] == '\0')
		return fatal(s, reply, "protocol error: expected a C line");
	const char *name = l + 1 + off;
	if (strchr(name, '/') || strcmp(name, "..") == 0)
		return fatal(s, reply, "protocol error: unexpected filename");
	free(s->name);
	if (s->target_is_dir) {
		size_t tl = strlen(s->target);
		s->name = malloc(tl + strlen(name) + 2);
		if (s->name == NULL)
			return fatal(s, reply, "out of memory");
		strcpy(s->name, s->target);
		if (tl == 0 || (s->target[tl - 1] != '\\' && s->target[tl - 1] != '/'))
			strcat(s->name, "\\");
		strcat(s->name, name);
	} else {
		s->name = ro_xstrdup(s->target);
	}
	if ((int64_t)size > s->free_bytes) {
		ro_buf_addc(reply, '\x01');
		ro_buf_printf(reply, "scp: %s: No space left on device\n", s->name);
		s->errors++;
		s->st = ST_FAILED;
		return SIM_SCP_ERROR;
	}
	s->size = size;
	s->got = 0;
	crypto_hash_sha256_init(&s->h);
	s->st = ST_DATA;
	ro_buf_addc(reply, '\0');
	if (size == 0)
		s->st = ST_DATA_END;
	return SIM_SCP_MORE;
}

int
sim_scp_feed(struct sim_scp *s, const void *data, size_t len, struct ro_buf *reply)
{
	const unsigned char *p = data;
	while (len > 0) {
		switch (s->st) {
		case ST_FAILED:
			return SIM_SCP_ERROR;
		case ST_HEADER:
			if (*p == '\n') {
				s->line[s->linelen] = '\0';
				s->linelen = 0;
				p++;
				len--;
				if (header(s, reply) != SIM_SCP_MORE)
					return SIM_SCP_ERROR;
				continue;
			}
			if (s->linelen + 1 >= sizeof(s->line))
				return fatal(s, reply, "protocol error: line too long");
			s->line[s->linelen++] = (char)*p++;
			len--;
			break;
		case ST_DATA: {
			size_t take = len;
			if (take > s->size - s->got)
				take = (size_t)(s->size - s->got);
			crypto_hash_sha256_update(&s->h, p, take);
			s->got += take;
			s->total += take;
			p += take;
			len -= take;
			if (s->got == s->size)
				s->st = ST_DATA_END;
			break;
		}
		case ST_DATA_END: {
			unsigned char h[32];
			char hex[65];
			if (*p != '\0')
				return fatal(s, reply, "protocol error: expected the end of the file");
			p++;
			len--;
			crypto_hash_sha256_final(&s->h, h);
			sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
			if (s->fn && s->fn(s->arg, s->name, s->size, hex) != 0)
				return fatal(s, reply, "cannot record the file");
			s->files++;
			s->st = ST_HEADER;
			ro_buf_addc(reply, '\0');
			break;
		}
		}
	}
	return SIM_SCP_MORE;
}

int
sim_scp_finish(struct sim_scp *s)
{
	return s->errors == 0 && s->st == ST_HEADER && s->linelen == 0 ? 0 : 1;
}

uint64_t
sim_scp_bytes(const struct sim_scp *s)
{
	return s->total;
}

/* ---- the source side ("scp -f PATH") ------------------------------------ */

char *
sim_scp_source_command(const char *cmd, int *times)
{
	/* The same words as a sink command, with -f for -t: rewrite the flag
	 * letter and reuse the sink's parser (quoting, "--"). */
	const char *p = cmd;
	char *copy, *q, *path = NULL;
	int source = 0;

	*times = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "scp ", 4) != 0 && strncmp(p, "scp.exe ", 8) != 0)
		return NULL;
	copy = ro_xstrdup(cmd);
	q = copy + (p - cmd);
	q = strchr(q, ' ');
	for (;;) {
		while (*q == ' ')
			q++;
		if (q[0] != '-' || (q[1] == '-' && (q[2] == ' ' || q[2] == '\0')))
			break;
		for (q++; *q && *q != ' '; q++) {
			if (*q == 'f') {
				source = 1;
				*q = 't';
			} else if (*q == 'p')
				*times = 1;
			else if (*q == 't')
				source = -1; /* both -t and -f: neither */
		}
	}
	if (source == 1)
		path = sim_scp_command(copy);
	free(copy);
	return path;
}

enum src_st { SRC_WAKEUP, SRC_TIMES_ACK, SRC_C_ACK, SRC_DATA_ACK, SRC_DONE, SRC_FAILED };

struct sim_scp_src {
	enum src_st st;
	char *path;
	unsigned char *data; /* NULL: the file is not there */
	size_t len;
	int times;
	int64_t mtime;
	const char *missing; /* why data is NULL */
};

struct sim_scp_src *
sim_scp_src_new(const char *path, const void *data, size_t len, int times, int64_t mtime,
    const char *missing)
{
	struct sim_scp_src *s = ro_xcalloc(1, sizeof(*s));
	s->path = ro_xstrdup(path);
	if (data != NULL) {
		s->data = ro_xmalloc(len ? len : 1);
		memcpy(s->data, data, len);
		s->len = len;
	}
	s->times = times;
	s->mtime = mtime;
	s->missing = missing ? missing : "No such file or directory";
	return s;
}

void
sim_scp_src_free(struct sim_scp_src *s)
{
	if (s == NULL)
		return;
	free(s->path);
	free(s->data);
	free(s);
}

/* base_name is the last component of a Windows or POSIX path. */
static const char *
base_name(const char *p)
{
	const char *b = p, *q;
	for (q = p; *q; q++)
		if (*q == '\\' || *q == '/')
			b = q + 1;
	return *b ? b : "file";
}

int
sim_scp_src_feed(struct sim_scp_src *s, const void *data, size_t len, struct ro_buf *reply)
{
	const unsigned char *p = data;

	for (; len > 0; p++, len--) {
		if (s->st == SRC_DONE || s->st == SRC_FAILED)
			return s->st == SRC_DONE ? SIM_SCP_DONE : SIM_SCP_ERROR;
		if (*p != 0) {
			/* The client refused (1 or 2 and a message): stop. */
			s->st = SRC_FAILED;
			return SIM_SCP_ERROR;
		}
		switch (s->st) {
		case SRC_WAKEUP:
			if (s->data == NULL) {
				ro_buf_addc(reply, '\x01');
				ro_buf_printf(reply, "scp: %s: %s\n", s->path, s->missing);
				s->st = SRC_FAILED;
				return SIM_SCP_ERROR;
			}
			if (s->times) {
				ro_buf_printf(reply, "T%lld 0 %lld 0\n", (long long)s->mtime,
				    (long long)s->mtime);
				s->st = SRC_TIMES_ACK;
				break;
			}
			/* FALLTHROUGH */
		case SRC_TIMES_ACK:
			ro_buf_printf(reply, "C0644 %zu %s\n", s->len, base_name(s->path));
			s->st = SRC_C_ACK;
			break;
		case SRC_C_ACK:
			ro_buf_add(reply, s->data, s->len);
			ro_buf_addc(reply, '\0');
			s->st = SRC_DATA_ACK;
			break;
		case SRC_DATA_ACK:
			s->st = SRC_DONE;
			break;
		default:
			break;
		}
	}
	return s->st == SRC_DONE ? SIM_SCP_DONE : s->st == SRC_FAILED ? SIM_SCP_ERROR :
	    SIM_SCP_MORE;
}

int
sim_scp_src_finish(const struct sim_scp_src *s)
{
	return s->st == SRC_DONE ? 0 : 1;
}
