/* template.c - {{name}} references in step commands (see template.h). */
#include "template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

/* The length of a quote character PowerShell reads as a single quote at s:
 * ' and U+2018..U+201B (UTF-8 E2 80 98..9B); 0 if none. */
static size_t
ps_squote_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == '\'')
		return 1;
	if (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9b)
		return 3;
	return 0;
}

/* Whether s starts a typographic quote PowerShell honours: U+2018..U+201E. */
static int
is_typographic_quote(const unsigned char *u)
{
	return u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9e;
}

/* The lower-case base name of a program word [a, b) without ".exe", in out. */
static void
program_name(const char *a, const char *b, char *out, size_t n)
{
	const char *p, *base = a;
	size_t len, i;

	for (p = a; p < b; p++)
		if (*p == '\\' || *p == '/')
			base = p + 1;
	len = (size_t)(b - base);
	if (len >= n)
		len = n - 1;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)base[i]);
	out[len] = '\0';
	if (len > 4 && strcmp(out + len - 4, ".exe") == 0)
		out[len - 4] = '\0';
}

static int
is_shell_program(const char *name)
{
	return strcmp(name, "powershell") == 0 || strcmp(name, "pwsh") == 0 ||
	    strcmp(name, "cmd") == 0;
}

/* Whether the text at s (just after an opening double quote) starts another
 * command line: a program that reads its arguments as code (schtasks /tr). */
static int
starts_program(const char *s)
{
	const char *b;
	char name[32];

	while (*s == ' ')
		s++;
	for (b = s; *b && *b != ' ' && *b != '"'; b++)
		;
	program_name(s, b, name, sizeof name);
	return is_shell_program(name);
}

/*
 * Where PowerShell code starts when the command is `powershell ... -Command
 * CODE`: the offset just after the -Command word, or 0 when the command does
 * not run PowerShell code (another program, or -File).
 */
static size_t
ps_code_start(const char *s)
{
	const char *p = s, *a;
	char word[32];
	int first = 1;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '"')
			return 0;
		for (a = p; *p && *p != ' ' && *p != '\t' && *p != '"'; p++)
			;
		if (first) {
			program_name(a, p, word, sizeof word);
			if (strcmp(word, "powershell") && strcmp(word, "pwsh"))
				return 0;
			first = 0;
			continue;
		}
		if ((size_t)(p - a) >= sizeof word || *a != '-')
			continue;
		memcpy(word, a, (size_t)(p - a));
		word[p - a] = '\0';
		if (ro_streq_ci(word, "-command") || ro_streq_ci(word, "-c"))
			return (size_t)(p - s);
		if (ro_streq_ci(word, "-file") || ro_streq_ci(word, "-f"))
			return 0;
	}
}

int
ro_template_scan(const char *s, ro_tref_fn fn, void *arg)
{
	size_t ps_from = ps_code_start(s), i = 0, index = 0, ql;
	int dq = 0, nested = 0, ps = 0, sq = 0, rc;

	while (s[i] != '\0') {
		if (ps_from && i >= ps_from)
			ps = 1;
		if (s[i] == '{' && s[i + 1] == '{') {
			const char *close = strstr(s + i + 2, "}}"), *a, *b;
			struct ro_tref r;

			if (close == NULL)
				return RO_EINVAL;
			memset(&r, 0, sizeof r);
			r.index = index++;
			r.open = i;
			r.end = (size_t)(close - s) + 2;
			for (a = s + i + 2; a < close && *a == ' '; a++)
				;
			for (b = close; b > a && b[-1] == ' '; b--)
				;
			if ((size_t)(b - a) < sizeof r.name) {
				memcpy(r.name, a, (size_t)(b - a));
				r.name[b - a] = '\0';
			}
			if (ps && sq && dq)
				r.ctx = RO_TCTX_PS_SQ;
			else if (!ps && dq && !nested)
				r.ctx = RO_TCTX_CMD_DQ;
			else
				r.ctx = RO_TCTX_BARE;
			r.token_start = i == 0 || strchr(" \t\"'(,;=|&", s[i - 1]) != NULL;
			r.next = s[r.end];
			if ((rc = fn(&r, arg)) != 0)
				return rc;
			i = r.end;
			continue;
		}
		if (s[i] == '"') {
			/* cmd.exe toggles its quoting on every double quote, whatever
			 * PowerShell would make of it. */
			dq = !dq;
			nested = dq && !ps && starts_program(s + i + 1);
			i++;
			continue;
		}
		if (ps && (ql = ps_squote_len(s + i)) != 0) {
			size_t q2;
			if (sq && (q2 = ps_squote_len(s + i + ql)) != 0) {
				i += ql + q2; /* a doubled quote stands for one */
				continue;
			}
			sq = !sq;
			i += ql;
			continue;
		}
		i++;
	}
	return RO_OK;
}

const char *
ro_tctx_name(enum ro_tctx ctx)
{
	switch (ctx) {
	case RO_TCTX_CMD_DQ:
		return "inside cmd.exe double quotes";
	case RO_TCTX_PS_SQ:
		return "inside PowerShell single quotes";
	case RO_TCTX_BARE:
		break;
	}
	return "unquoted (a bare argument)";
}

/* Describes the character at u for a message. */
static void
describe_char(const unsigned char *u, char *bad, size_t nbad)
{
	if (*u == '\n')
		snprintf(bad, nbad, "a newline");
	else if (*u == '\r')
		snprintf(bad, nbad, "a carriage return");
	else if (*u == '\t')
		snprintf(bad, nbad, "a tab");
	else if (*u < 0x20 || *u == 0x7f)
		snprintf(bad, nbad, "the control character 0x%02x", *u);
	else if (*u < 0x80)
		snprintf(bad, nbad, "'%c'", *u);
	else if ((*u & 0xe0) == 0xc0 && u[1])
		snprintf(bad, nbad, "U+%04X", ((u[0] & 0x1f) << 6) | (u[1] & 0x3f));
	else if ((*u & 0xf0) == 0xe0 && u[1] && u[2])
		snprintf(bad, nbad, "U+%04X", ((u[0] & 0x0f) << 12) | ((u[1] & 0x3f) << 6) | (u[2] & 0x3f));
	else
		snprintf(bad, nbad, "the byte 0x%02x", *u);
}

static int
bare_char(unsigned char c)
{
	return isalnum(c) || strchr("._-\\:,/", c) != NULL;
}

int
ro_template_value_ok(const struct ro_tref *r, const char *value, const char **why,
    char *bad, size_t nbad)
{
	const unsigned char *u;
	size_t len = strlen(value);

	bad[0] = '\0';
	for (u = (const unsigned char *)value; *u; u++) {
		const char *w = NULL;
		if (*u < 0x20 || *u == 0x7f)
			w = "control characters end or split the command line";
		else if (r->ctx == RO_TCTX_BARE && !bare_char(*u))
			w = "only letters, digits and . _ - \\ : , / may stand unquoted";
		else if (r->ctx != RO_TCTX_BARE && *u == '"')
			w = "a double quote would end cmd.exe's quotes";
		else if (r->ctx != RO_TCTX_BARE && *u == '%')
			w = "cmd.exe expands %NAME% even inside double quotes";
		else if (r->ctx == RO_TCTX_PS_SQ && is_typographic_quote(u))
			w = "PowerShell reads the typographic quotes U+2018-U+201E as quotes";
		if (w) {
			*why = w;
			describe_char(u, bad, nbad);
			return RO_EINVAL;
		}
	}
	if (r->ctx == RO_TCTX_BARE && len == 0) {
		*why = "an empty value would drop the argument";
		return RO_EINVAL;
	}
	if (r->ctx == RO_TCTX_BARE && r->token_start && (value[0] == '-' || value[0] == '/')) {
		*why = "a value that starts an argument may not start with - or / (it would read as an option)";
		describe_char((const unsigned char *)value, bad, nbad);
		return RO_EINVAL;
	}
	if (r->next == '"' && len > 0 && value[len - 1] == '\\') {
		*why = "a backslash right before a double quote escapes the quote";
		describe_char((const unsigned char *)value + len - 1, bad, nbad);
		return RO_EINVAL;
	}
	return RO_OK;
}

int
ro_template_is_free_text(const char *name)
{
	return strcmp(name, "host.model") == 0 || strcmp(name, "site.name") == 0;
}

const char *
ro_template_host_value(const struct ro_campaign *c, uint32_t host, const char *name)
{
	const struct ro_host *h = &c->inv->hosts[host];
	const struct ro_site *site = &c->inv->sites[h->site];

	if (strcmp(name, "host.name") == 0)
		return h->name;
	if (strcmp(name, "host.address") == 0)
		return h->address;
	if (strcmp(name, "host.site") == 0)
		return site->id;
	if (strcmp(name, "host.role") == 0)
		return ro_role_names[h->role];
	if (strcmp(name, "host.model") == 0)
		return h->model;
	if (strcmp(name, "site.name") == 0)
		return site->name;
	return NULL;
}

struct render {
	const char *s;
	const struct ro_campaign *c;
	uint32_t host;
	struct ro_buf b;
	size_t done;             /* bytes of s copied so far */
	int missing;
};

static int
render_one(const struct ro_tref *r, void *arg)
{
	struct render *R = arg;
	const char *v = NULL, *why, *p;
	char bad[32];

	ro_buf_add(&R->b, R->s + R->done, r->open - R->done);
	R->done = r->end;
	if (r->name[0])
		v = strncmp(r->name, "host.", 5) == 0 || strncmp(r->name, "site.", 5) == 0 ?
		    ro_template_host_value(R->c, R->host, r->name) :
		    ro_campaign_param(R->c, r->name);
	/* The campaign loader refused such values already; checking again here
	 * keeps a value that slipped past it from ever reaching a host. */
	if (v == NULL || ro_template_value_ok(r, v, &why, bad, sizeof bad) != RO_OK) {
		ro_buf_add(&R->b, R->s + r->open, r->end - r->open);
		R->missing = 1;
		return 0;
	}
	if (r->ctx != RO_TCTX_PS_SQ) {
		ro_buf_adds(&R->b, v);
		return 0;
	}
	for (p = v; *p; p++) {
		if (*p == '\'')
			ro_buf_addc(&R->b, '\'');
		ro_buf_addc(&R->b, *p);
	}
	return 0;
}

char *
ro_template_render(const char *s, const struct ro_campaign *c, uint32_t host,
    int *missing)
{
	struct render R;

	memset(&R, 0, sizeof R);
	R.s = s;
	R.c = c;
	R.host = host;
	ro_buf_init(&R.b);
	if (ro_template_scan(s, render_one, &R) != RO_OK)
		R.missing = 1;
	ro_buf_adds(&R.b, s + R.done);
	if (missing)
		*missing = R.missing;
	return R.b.p ? R.b.p : ro_xstrdup("");
}
