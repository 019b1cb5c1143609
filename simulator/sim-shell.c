/*
 * sim-shell.c - cmd.exe argument splitting and a small PowerShell
 * interpreter: a recursive-descent parser to a tree, and a tree walker.
 *
 * The subset is the one the shipped playbooks use (see simulator/README.md):
 * statements separated by ';' or newlines; if/elseif/else, foreach, try/
 * catch/finally, exit, return, throw, break, continue; pipelines of
 * commands with -Param value / -Param:value / positional arguments;
 * expressions with PowerShell's quoting ('...' with '' escape, "..." with
 * $var expansion and backtick escapes), numbers with KB/MB/GB/TB suffixes,
 * comparison, logical, arithmetic, -split/-join/-match/-replace/-f,
 * arrays (@(), comma), hashtables (@{}), script blocks, casts ([int],
 * [string], [version], [char]), member access, method calls and a few .NET
 * statics. What is outside it fails loudly, never silently.
 */
#include "sim-shell.h"

#include <ctype.h>
#include <inttypes.h>
#include <regex.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- cmd.exe -------------------------------------------------------------- */

size_t
sim_cmd_split(struct ro_arena *a, const char *line, char ***argv)
{
	size_t n = 0, cap = 8;
	char **v = ro_arena_alloc(a, cap * sizeof(*v));
	const char *p = line;
	size_t len = strlen(line);
	char *tmp = ro_arena_alloc(a, len + 1);

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		size_t t = 0;
		int inq = 0;
		while (*p != '\0' && (inq || (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n'))) {
			if (*p == '\\') {
				size_t bs = 0;
				while (*p == '\\') {
					bs++;
					p++;
				}
				if (*p == '"') {
					for (size_t i = 0; i < bs / 2; i++)
						tmp[t++] = '\\';
					if (bs % 2) {
						tmp[t++] = '"';
						p++;
					}
				} else {
					for (size_t i = 0; i < bs; i++)
						tmp[t++] = '\\';
				}
			} else if (*p == '"') {
				if (inq && p[1] == '"') {
					tmp[t++] = '"';
					p += 2;
				} else {
					inq = !inq;
					p++;
				}
			} else {
				tmp[t++] = *p++;
			}
		}
		if (n + 2 > cap) {
			char **nv = ro_arena_alloc(a, 2 * cap * sizeof(*nv));
			memcpy(nv, v, n * sizeof(*v));
			v = nv;
			cap *= 2;
		}
		v[n++] = ro_arena_strndup(a, tmp, t);
	}
	v[n] = NULL;
	*argv = v;
	return n;
}

const char *
sim_cmd_program(struct ro_arena *a, const char *arg0)
{
	const char *b = arg0;
	for (const char *p = arg0; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	char *s = ro_arena_strdup(a, b);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t l = strlen(s);
	if (l > 4 && (strcmp(s + l - 4, ".exe") == 0 || strcmp(s + l - 4, ".com") == 0))
		s[l - 4] = '\0';
	return s;
}

/* ---- values ----------------------------------------------------------------- */

static struct sim_val *
newv(struct sim_ps *ps, enum sim_vkind k)
{
	struct sim_val *v = ro_arena_alloc(ps->a, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->k = k;
	return v;
}

struct sim_val *sim_v_null(struct sim_ps *ps) { return newv(ps, SIM_V_NULL); }

struct sim_val *
sim_v_bool(struct sim_ps *ps, int b)
{
	struct sim_val *v = newv(ps, SIM_V_BOOL);
	v->i = b != 0;
	return v;
}

struct sim_val *
sim_v_int(struct sim_ps *ps, int64_t i)
{
	struct sim_val *v = newv(ps, SIM_V_INT);
	v->i = i;
	return v;
}

struct sim_val *
sim_v_str(struct sim_ps *ps, const char *s)
{
	struct sim_val *v = newv(ps, SIM_V_STR);
	v->s = ro_arena_strdup(ps->a, s);
	return v;
}

struct sim_val *
sim_v_strf(struct sim_ps *ps, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sim_v_str(ps, buf);
}

struct sim_val *
sim_v_date(struct sim_ps *ps, int64_t t)
{
	struct sim_val *v = newv(ps, SIM_V_DATE);
	v->i = t;
	return v;
}

struct sim_val *sim_v_arr(struct sim_ps *ps) { return newv(ps, SIM_V_ARR); }

struct sim_val *
sim_v_obj(struct sim_ps *ps, const char *type, const char *view)
{
	struct sim_val *v = newv(ps, SIM_V_OBJ);
	v->s = type;
	v->view = view;
	return v;
}

static void
grow(struct sim_ps *ps, struct sim_val *v)
{
	if (v->n < v->cap)
		return;
	size_t cap = v->cap ? v->cap * 2 : 8;
	struct sim_val **items = ro_arena_alloc(ps->a, cap * sizeof(*items));
	const char **names = ro_arena_alloc(ps->a, cap * sizeof(*names));
	if (v->n) {
		memcpy(items, v->items, v->n * sizeof(*items));
		if (v->names)
			memcpy(names, v->names, v->n * sizeof(*names));
	}
	v->items = items;
	v->names = names;
	v->cap = cap;
}

void
sim_v_push(struct sim_ps *ps, struct sim_val *arr, struct sim_val *v)
{
	grow(ps, arr);
	arr->names[arr->n] = NULL;
	arr->items[arr->n++] = v;
}

void
sim_v_set(struct sim_ps *ps, struct sim_val *obj, const char *name, struct sim_val *v)
{
	for (size_t i = 0; i < obj->n; i++)
		if (strcasecmp(obj->names[i], name) == 0) {
			obj->items[i] = v;
			return;
		}
	grow(ps, obj);
	obj->names[obj->n] = ro_arena_strdup(ps->a, name);
	obj->items[obj->n++] = v;
}

struct sim_val *
sim_v_get(const struct sim_val *obj, const char *name)
{
	if (obj == NULL || (obj->k != SIM_V_OBJ && obj->k != SIM_V_HASH))
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcasecmp(obj->names[i], name) == 0)
			return obj->items[i];
	return NULL;
}

static const char *const days[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
	"Friday", "Saturday" };
static const char *const months[] = { "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December" };

static void
local_tm(const struct sim_ps *ps, int64_t t, struct tm *tm)
{
	time_t lt = (time_t)(t + (int64_t)ps->tz_minutes * 60);
	gmtime_r(&lt, tm);
}

void
sim_ps_datestr(const struct sim_ps *ps, int64_t t, char *out, size_t n)
{
	struct tm tm;
	local_tm(ps, t, &tm);
	int h = tm.tm_hour % 12;
	snprintf(out, n, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_year + 1900, h ? h : 12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

static void
date_long(const struct sim_ps *ps, int64_t t, char *out, size_t n)
{
	struct tm tm;
	local_tm(ps, t, &tm);
	int h = tm.tm_hour % 12;
	snprintf(out, n, "%s, %s %d, %d %d:%02d:%02d %s", days[tm.tm_wday], months[tm.tm_mon],
	    tm.tm_mday, tm.tm_year + 1900, h ? h : 12, tm.tm_min, tm.tm_sec,
	    tm.tm_hour < 12 ? "AM" : "PM");
}

/* .NET custom format strings, the part that scripts use for timestamps. */
static void
date_format(const struct sim_ps *ps, int64_t t, const char *f, int utc, struct ro_buf *b)
{
	struct tm tm;
	int tz = utc ? 0 : ps->tz_minutes;
	time_t lt = (time_t)(t + (int64_t)tz * 60);
	gmtime_r(&lt, &tm);
	if (strcmp(f, "o") == 0 || strcmp(f, "O") == 0) {
		ro_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.0000000", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (utc)
			ro_buf_adds(b, "Z");
		else
			ro_buf_printf(b, "%+03d:%02d", tz / 60, abs(tz % 60));
		return;
	}
	if (strcmp(f, "s") == 0)
		f = "yyyy-MM-ddTHH:mm:ss";
	for (const char *p = f; *p;) {
		size_t r = 1;
		while (p[r] == *p)
			r++;
		switch (*p) {
		case 'y': ro_buf_printf(b, r >= 4 ? "%04d" : "%02d", r >= 4 ? tm.tm_year + 1900 : tm.tm_year % 100); break;
		case 'M': ro_buf_printf(b, r >= 2 ? "%02d" : "%d", tm.tm_mon + 1); break;
		case 'd': ro_buf_printf(b, r >= 2 ? "%02d" : "%d", tm.tm_mday); break;
		case 'H': ro_buf_printf(b, r >= 2 ? "%02d" : "%d", tm.tm_hour); break;
		case 'm': ro_buf_printf(b, r >= 2 ? "%02d" : "%d", tm.tm_min); break;
		case 's': ro_buf_printf(b, r >= 2 ? "%02d" : "%d", tm.tm_sec); break;
		default: ro_buf_add(b, p, r); break;
		}
		p += r;
	}
}

/* The string forms of an array's items with sep between them, in the arena. */
static const char *
join_items(struct sim_ps *ps, const struct sim_val *arr, const char *sep)
{
	struct ro_buf b;
	ro_buf_init(&b);
	for (size_t i = 0; i < arr->n; i++) {
		if (i)
			ro_buf_adds(&b, sep);
		ro_buf_adds(&b, sim_v_tostr(ps, arr->items[i]));
	}
	const char *s = ro_arena_strdup(ps->a, b.p ? b.p : "");
	ro_buf_free(&b);
	return s;
}

const char *
sim_v_tostr(struct sim_ps *ps, const struct sim_val *v)
{
	char buf[128];
	if (v == NULL)
		return "";
	switch (v->k) {
	case SIM_V_NULL: return "";
	case SIM_V_BOOL: return v->i ? "True" : "False";
	case SIM_V_INT:
		snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		return ro_arena_strdup(ps->a, buf);
	case SIM_V_STR: case SIM_V_VER: return v->s;
	case SIM_V_BLOCK: return v->s;
	case SIM_V_DATE:
		sim_ps_datestr(ps, v->i, buf, sizeof(buf));
		return ro_arena_strdup(ps->a, buf);
	case SIM_V_ARR: return join_items(ps, v, " ");
	case SIM_V_HASH: return "System.Collections.Hashtable";
	case SIM_V_OBJ:
		if (v->s && strcmp(v->s, "Byte[]") == 0)
			return "System.Byte[]";
		if (v->s && strcmp(v->s, "#text") == 0)
			return sim_v_tostr(ps, v->items[0]);
		return v->s ? v->s : "System.Management.Automation.PSCustomObject";
	}
	return "";
}

int
sim_v_truthy(const struct sim_val *v)
{
	if (v == NULL)
		return 0;
	switch (v->k) {
	case SIM_V_NULL: return 0;
	case SIM_V_BOOL: case SIM_V_INT: return v->i != 0;
	case SIM_V_STR: return v->s[0] != '\0';
	case SIM_V_ARR:
		if (v->n == 0)
			return 0;
		if (v->n == 1)
			return sim_v_truthy(v->items[0]);
		return 1;
	default: return 1;
	}
}

static int
parse_int(const char *s, int64_t *out)
{
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	char *end;
	long long x = strtoll(s, &end, 0);
	int64_t mul = 1;
	if (strncasecmp(end, "kb", 2) == 0) mul = 1024LL;
	else if (strncasecmp(end, "mb", 2) == 0) mul = 1024LL * 1024;
	else if (strncasecmp(end, "gb", 2) == 0) mul = 1024LL * 1024 * 1024;
	else if (strncasecmp(end, "tb", 2) == 0) mul = 1024LL * 1024 * 1024 * 1024;
	if (mul != 1)
		end += 2;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -1;
	*out = (int64_t)x * mul;
	return 0;
}

int
sim_v_toint(const struct sim_val *v, int64_t *out)
{
	if (v == NULL || v->k == SIM_V_NULL) {
		*out = 0;
		return 0;
	}
	switch (v->k) {
	case SIM_V_BOOL: case SIM_V_INT: case SIM_V_DATE: *out = v->i; return 0;
	case SIM_V_STR: return parse_int(v->s, out);
	case SIM_V_ARR: if (v->n == 1) return sim_v_toint(v->items[0], out); return -1;
	default: return -1;
	}
}

/* ---- variables ------------------------------------------------------------ */

struct var {
	struct var *next;
	const char *name;
	struct sim_val *v;
};

static struct var *
var_find(struct sim_ps *ps, const char *name)
{
	for (struct var *x = ps->vars; x; x = x->next)
		if (strcasecmp(x->name, name) == 0)
			return x;
	return NULL;
}

void
sim_ps_set_var(struct sim_ps *ps, const char *name, struct sim_val *v)
{
	struct var *x = var_find(ps, name);
	if (x == NULL) {
		x = ro_arena_alloc(ps->a, sizeof(*x));
		x->name = ro_arena_strdup(ps->a, name);
		x->next = ps->vars;
		ps->vars = x;
	}
	x->v = v;
}

static struct sim_val *
var_get(struct sim_ps *ps, const char *name)
{
	if (strcasecmp(name, "null") == 0)
		return sim_v_null(ps);
	if (strcasecmp(name, "true") == 0)
		return sim_v_bool(ps, 1);
	if (strcasecmp(name, "false") == 0)
		return sim_v_bool(ps, 0);
	if (strcmp(name, "?") == 0)
		return sim_v_bool(ps, ps->ok);
	if (strcasecmp(name, "LASTEXITCODE") == 0)
		return sim_v_int(ps, ps->lastexitcode);
	struct var *x = var_find(ps, name);
	return x ? x->v : sim_v_null(ps);
}

/* ---- errors ---------------------------------------------------------------- */

#define FLOW_NONE 0
#define FLOW_BREAK 1
#define FLOW_CONTINUE 2
#define FLOW_RETURN 3
#define FLOW_THROW 4
#define FLOW_EXIT 5

static void
error_block2(struct sim_ps *ps, const char *name, const char *text, const char *msg,
    const char *category, const char *fqid, int stop);

static void
error_block(struct sim_ps *ps, const char *text, const char *msg, const char *category,
    const char *fqid, int stop)
{
	error_block2(ps, text, text, msg, category, fqid, stop);
}

static void
error_block2(struct sim_ps *ps, const char *name, const char *text, const char *msg,
    const char *category, const char *fqid, int stop)
{
	ps->ok = 0;
	/* Only Stop (1) makes an error terminating; SilentlyContinue (-1) hides it
	 * and the script goes on, as PowerShell does. */
	if (ps->error_action_stop > 0 || stop) {
		ps->flow = FLOW_THROW;
		ps->thrown = sim_v_str(ps, msg);
	}
	if (ps->error_action_stop == -1 && !stop)
		return; /* SilentlyContinue / Ignore */
	if (ps->flow == FLOW_THROW && ps->error_action_stop != 2 && !stop) {
		/* raised; printed by whoever does not catch it */
	}
	ro_buf_printf(ps->err, "%s : %s\r\n", name ? name : "", msg);
	ro_buf_printf(ps->err, "At line:1 char:1\r\n+ %s\r\n+ ", text ? text : "");
	for (size_t i = 0; text && text[i]; i++)
		ro_buf_addc(ps->err, '~');
	ro_buf_adds(ps->err, "\r\n");
	ro_buf_printf(ps->err, "    + CategoryInfo          : %s\r\n", category);
	ro_buf_printf(ps->err, "    + FullyQualifiedErrorId : %s\r\n\r\n", fqid);
}

void
sim_ps_error(struct sim_ps *ps, const struct sim_call *call, const char *category,
    const char *fqid, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_block2(ps, call ? call->name : "", call ? call->text : "", msg, category, fqid, 0);
}

const char *
sim_ps_read_line(struct sim_ps *ps)
{
	if (ps->stdin_data == NULL || ps->stdin_pos >= ps->stdin_len)
		return NULL;
	const char *s = ps->stdin_data + ps->stdin_pos;
	size_t rem = ps->stdin_len - ps->stdin_pos, l = 0;
	while (l < rem && s[l] != '\n')
		l++;
	ps->stdin_pos += l < rem ? l + 1 : l;
	size_t e = l;
	if (e > 0 && s[e - 1] == '\r')
		e--;
	return ro_arena_strndup(ps->a, s, e);
}

/* ---- parser ------------------------------------------------------------- */

enum nk {
	N_SCRIPT, N_IF, N_FOREACH, N_EXIT, N_RETURN, N_BREAK, N_CONTINUE, N_THROW, N_TRY,
	N_PIPE, N_CMD, N_ASSIGN, N_BIN, N_NOT, N_NEG, N_NUM, N_STR, N_XSTR, N_VAR, N_SUB,
	N_HASH, N_BLOCK, N_ARRAY, N_MEMBER, N_CALL, N_INDEX, N_TYPE, N_CAST, N_INCR,
	N_PARAM, N_UNARYSPLIT, N_UNARYJOIN, N_WHILE
};

struct node {
	enum nk k;
	int op;
	const char *s;
	int64_t i;
	int stat;                /* member/call: static (::) */
	struct node *a, *b, *c;
	struct node **v;
	size_t n, cap;
	size_t pos, end;         /* source span */
};

struct parser {
	struct sim_ps *ps;
	const char *src;
	size_t p;
	const char *err;
	size_t errpos;
	int nocomma;             /* inside a method's argument list: ',' separates arguments */
};

static struct node *
nnew(struct parser *P, enum nk k)
{
	struct node *n = ro_arena_alloc(P->ps->a, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->k = k;
	n->pos = P->p;
	return n;
}

static void
nadd(struct parser *P, struct node *n, struct node *c)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 4;
		struct node **v = ro_arena_alloc(P->ps->a, cap * sizeof(*v));
		if (n->n)
			memcpy(v, n->v, n->n * sizeof(*v));
		n->v = v;
		n->cap = cap;
	}
	n->v[n->n++] = c;
}

static int
fail(struct parser *P, const char *msg)
{
	if (P->err == NULL) {
		P->err = msg;
		P->errpos = P->p;
	}
	return -1;
}

#define CUR (P->src[P->p])
#define AT(o) (P->src[P->p + (o)])

/* Skips blanks (not newlines) and line continuations; comments to end of line. */
static void
ws(struct parser *P)
{
	for (;;) {
		char c = CUR;
		if (c == ' ' || c == '\t' || c == '\r')
			P->p++;
		else if (c == '`' && AT(1) == '\n')
			P->p += 2;
		else if (c == '#') {
			while (CUR && CUR != '\n')
				P->p++;
		} else
			break;
	}
}

/* Skips blanks and newlines. */
static void
wsnl(struct parser *P)
{
	for (;;) {
		ws(P);
		if (CUR == '\n')
			P->p++;
		else
			break;
	}
}

static int
isident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Matches keyword kw (case-insensitive) as a whole word at the cursor. */
static int
keyword(struct parser *P, const char *kw)
{
	size_t l = strlen(kw);
	if (strncasecmp(P->src + P->p, kw, l) != 0 || isident(AT(l)) || AT(l) == '-')
		return 0;
	P->p += l;
	return 1;
}

static struct node *parse_pipeline(struct parser *P);
static struct node *parse_expr(struct parser *P);
static struct node *parse_unary(struct parser *P);
static struct node *parse_statements(struct parser *P, char close);
static struct node *parse_statement(struct parser *P);

static const char *
read_ident(struct parser *P)
{
	size_t s = P->p;
	while (isident(CUR) || (CUR == '-' && isident(AT(1)) && P->p > s))
		P->p++;
	return ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
}

/*
 * A quoted string starting at `quote` (' or "), a doubled quote standing for one. Single
 * quotes give the literal text (N_STR). Double quotes keep the source, backtick escapes
 * included, for expansion at run time (N_XSTR).
 */
static struct node *
parse_quoted(struct parser *P, char quote)
{
	struct node *n = nnew(P, quote == '\'' ? N_STR : N_XSTR);
	struct ro_buf b;
	ro_buf_init(&b);
	P->p++;
	for (;;) {
		if (CUR == '\0') {
			ro_buf_free(&b);
			fail(P, quote == '\'' ? "The string is missing the terminator: '." :
			    "The string is missing the terminator: \".");
			return NULL;
		}
		if (quote == '"' && CUR == '`' && AT(1)) {
			ro_buf_addc(&b, '`');
			ro_buf_addc(&b, AT(1));
			P->p += 2;
			continue;
		}
		if (CUR == quote) {
			if (AT(1) == quote) {
				ro_buf_addc(&b, quote);
				P->p += 2;
				continue;
			}
			P->p++;
			break;
		}
		ro_buf_addc(&b, CUR);
		P->p++;
	}
	n->s = ro_arena_strdup(P->ps->a, b.p ? b.p : "");
	ro_buf_free(&b);
	n->end = P->p;
	return n;
}

static struct node *
parse_squote(struct parser *P)
{
	return parse_quoted(P, '\'');
}

static struct node *
parse_dquote(struct parser *P)
{
	return parse_quoted(P, '"');
}

static struct node *
parse_number(struct parser *P)
{
	struct node *n = nnew(P, N_NUM);
	size_t s = P->p;
	if (CUR == '0' && (AT(1) == 'x' || AT(1) == 'X')) {
		P->p += 2;
		while (isxdigit((unsigned char)CUR))
			P->p++;
	} else {
		while (isdigit((unsigned char)CUR))
			P->p++;
		if (CUR == '.' && isdigit((unsigned char)AT(1))) {
			P->p++;
			while (isdigit((unsigned char)CUR))
				P->p++;
		}
	}
	if (isalpha((unsigned char)CUR) && isalpha((unsigned char)AT(1)) && !isident(AT(2)))
		P->p += 2;
	char *t = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
	if (parse_int(t, &n->i) != 0) {
		char *dot = strchr(t, '.');
		if (dot) { /* a decimal: kept as its integer part (enough for our scripts) */
			*dot = '\0';
			n->i = strtoll(t, NULL, 10);
		} else {
			fail(P, "Unexpected token in expression or statement.");
			return NULL;
		}
	}
	n->s = t;
	return n;
}

static struct node *
parse_var(struct parser *P)
{
	struct node *n = nnew(P, N_VAR);
	P->p++; /* $ */
	if (CUR == '{') {
		size_t s = ++P->p;
		while (CUR && CUR != '}')
			P->p++;
		n->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
		if (CUR == '}')
			P->p++;
		return n;
	}
	if (CUR == '_' && !isident(AT(1))) {
		P->p++;
		n->s = "_";
		return n;
	}
	if (CUR == '?') {
		P->p++;
		n->s = "?";
		return n;
	}
	size_t s = P->p;
	while (isident(CUR) || (CUR == ':' && AT(1) != ':' && isident(AT(1))))
		P->p++;
	if (P->p == s) {
		fail(P, "Variable reference is not valid.");
		return NULL;
	}
	const char *name = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
	if (strncasecmp(name, "script:", 7) == 0 || strncasecmp(name, "global:", 7) == 0 ||
	    strncasecmp(name, "local:", 6) == 0)
		name = strchr(name, ':') + 1;
	n->s = name;
	return n;
}

static struct node *
parse_hash(struct parser *P)
{
	struct node *n = nnew(P, N_HASH);
	P->p += 2; /* @{ */
	for (;;) {
		wsnl(P);
		while (CUR == ';') {
			P->p++;
			wsnl(P);
		}
		if (CUR == '}') {
			P->p++;
			return n;
		}
		struct node *k;
		if (CUR == '\'')
			k = parse_squote(P);
		else if (CUR == '"')
			k = parse_dquote(P);
		else {
			k = nnew(P, N_STR);
			k->s = read_ident(P);
			if (k->s[0] == '\0') {
				fail(P, "Missing key before '=' in hash literal.");
				return NULL;
			}
		}
		if (k == NULL)
			return NULL;
		ws(P);
		if (CUR != '=') {
			fail(P, "Missing '=' operator after key in hash literal.");
			return NULL;
		}
		P->p++;
		wsnl(P);
		struct node *v = parse_statement(P);
		if (v == NULL)
			return NULL;
		nadd(P, n, k);
		nadd(P, n, v);
	}
}

static struct node *
parse_block(struct parser *P)
{
	struct node *n = nnew(P, N_BLOCK);
	size_t s = ++P->p;
	n->a = parse_statements(P, '}');
	if (n->a == NULL)
		return NULL;
	if (CUR != '}') {
		fail(P, "Missing closing '}' in statement block or type definition.");
		return NULL;
	}
	n->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
	P->p++;
	return n;
}

/* [Type.Name] at the cursor: returns the name, or NULL if not a type literal. */
static const char *
type_literal(struct parser *P)
{
	size_t s = P->p + 1, e = s;
	while (isident(P->src[e]) || P->src[e] == '.' || (P->src[e] == '[' && P->src[e + 1] == ']'))
		e += P->src[e] == '[' ? 2 : 1;
	if (e == s || P->src[e] != ']')
		return NULL;
	const char *name = ro_arena_strndup(P->ps->a, P->src + s, e - s);
	P->p = e + 1;
	return name;
}

static struct node *parse_primary_(struct parser *P);

/* Brackets open a new context in which commas build arrays again. */
static struct node *
parse_primary(struct parser *P)
{
	int saved = P->nocomma;
	P->nocomma = 0;
	struct node *n = parse_primary_(P);
	P->nocomma = saved;
	return n;
}

static struct node *
parse_primary_(struct parser *P)
{
	struct node *n;
	char c = CUR;
	if (c == '\'')
		return parse_squote(P);
	if (c == '"')
		return parse_dquote(P);
	if (isdigit((unsigned char)c))
		return parse_number(P);
	if ((c == '$' || c == '@') && AT(1) == '(') {
		/* $( ) is a subexpression; @( ) the same, always yielding an array. */
		n = nnew(P, N_SUB);
		if (c == '@')
			n->op = '@';
		P->p += 2;
		n->a = parse_statements(P, ')');
		if (n->a == NULL)
			return NULL;
		if (CUR != ')')
			return fail(P, "Missing closing ')' in subexpression."), NULL;
		P->p++;
		return n;
	}
	if (c == '$')
		return parse_var(P);
	if (c == '@' && AT(1) == '{')
		return parse_hash(P);
	if (c == '{')
		return parse_block(P);
	if (c == '(') {
		P->p++;
		wsnl(P);
		n = parse_statement(P);
		if (n == NULL)
			return NULL;
		wsnl(P);
		if (CUR != ')')
			return fail(P, "Missing closing ')' in expression."), NULL;
		P->p++;
		struct node *sub = nnew(P, N_SUB);
		sub->a = nnew(P, N_SCRIPT);
		nadd(P, sub->a, n);
		sub->op = '(';
		return sub;
	}
	if (c == '[') {
		const char *t = type_literal(P);
		if (t == NULL)
			return fail(P, "Missing type name after '['."), NULL;
		n = nnew(P, N_TYPE);
		n->s = t;
		return n;
	}
	fail(P, "Unexpected token in expression or statement.");
	return NULL;
}

static struct node *
parse_args_list(struct parser *P, struct node *call)
{
	/* after '(' */
	wsnl(P);
	if (CUR == ')') {
		P->p++;
		return call;
	}
	for (;;) {
		wsnl(P);
		int saved = P->nocomma;
		P->nocomma = 1;
		struct node *a = parse_expr(P);
		P->nocomma = saved;
		if (a == NULL)
			return NULL;
		nadd(P, call, a);
		wsnl(P);
		if (CUR == ',') {
			P->p++;
			continue;
		}
		if (CUR == ')') {
			P->p++;
			return call;
		}
		return fail(P, "Missing ')' in method call."), NULL;
	}
}

static struct node *
parse_postfix(struct parser *P, struct node *n)
{
	for (;;) {
		if ((CUR == '.' && (isident(AT(1)) || AT(1) == '\'' || AT(1) == '"')) ||
		    (CUR == ':' && AT(1) == ':')) {
			int stat = CUR == ':';
			P->p += stat ? 2 : 1;
			struct node *m = nnew(P, N_MEMBER);
			if (CUR == '\'') {
				struct node *q = parse_squote(P);
				if (q == NULL)
					return NULL;
				m->s = q->s;
			} else if (CUR == '"') {
				struct node *q = parse_dquote(P);
				if (q == NULL)
					return NULL;
				m->s = q->s;
			} else {
				size_t s = P->p;
				while (isident(CUR))
					P->p++;
				m->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
			}
			m->a = n;
			m->stat = stat;
			if (CUR == '(') {
				P->p++;
				m->k = N_CALL;
				if (parse_args_list(P, m) == NULL)
					return NULL;
			}
			n = m;
		} else if (CUR == '[' && n->k != N_TYPE) {
			P->p++;
			struct node *ix = nnew(P, N_INDEX);
			ix->a = n;
			wsnl(P);
			ix->b = parse_expr(P);
			if (ix->b == NULL)
				return NULL;
			wsnl(P);
			if (CUR != ']')
				return fail(P, "Array index expression is missing or not valid."), NULL;
			P->p++;
			n = ix;
		} else {
			return n;
		}
	}
}

/* Binary operators, by name (without the dash), in one precedence group. */
static const char *const binops[] = { "and", "or", "xor", "eq", "ne", "gt", "ge", "lt", "le",
	"like", "notlike", "match", "notmatch", "contains", "notcontains", "in", "notin",
	"split", "join", "band", "bor", "is", "isnot", "replace", "f", "ieq", "ine", "ceq",
	"cne", "imatch", "cmatch", "ilike", "clike", NULL };
enum { OP_AND = 0, OP_OR, OP_XOR };

static int
match_dashop(struct parser *P, int *op)
{
	if (CUR != '-' || !isalpha((unsigned char)AT(1)))
		return 0;
	size_t s = P->p + 1, e = s;
	while (isalpha((unsigned char)P->src[e]))
		e++;
	for (int i = 0; binops[i]; i++)
		if (strlen(binops[i]) == e - s && strncasecmp(binops[i], P->src + s, e - s) == 0) {
			*op = i;
			P->p = e;
			return 1;
		}
	return 0;
}

static struct node *
parse_unary(struct parser *P)
{
	ws(P);
	if (CUR == '!' || (CUR == '-' && strncasecmp(P->src + P->p, "-not", 4) == 0 && !isident(AT(4)))) {
		P->p += CUR == '!' ? 1 : 4;
		ws(P);
		struct node *n = nnew(P, N_NOT);
		n->a = parse_unary(P);
		return n->a ? n : NULL;
	}
	if (CUR == '-' && (strncasecmp(P->src + P->p, "-split", 6) == 0 || strncasecmp(P->src + P->p, "-join", 5) == 0) && !isident(AT(CUR == '-' && (AT(1) == 's' || AT(1) == 'S') ? 6 : 5))) {
		int split = AT(1) == 's' || AT(1) == 'S';
		P->p += split ? 6 : 5;
		ws(P);
		struct node *n = nnew(P, split ? N_UNARYSPLIT : N_UNARYJOIN);
		n->a = parse_unary(P);
		return n->a ? n : NULL;
	}
	if (CUR == '-' && (isdigit((unsigned char)AT(1)) || AT(1) == '$' || AT(1) == '(')) {
		P->p++;
		struct node *n = nnew(P, N_NEG);
		n->a = parse_unary(P);
		return n->a ? n : NULL;
	}
	if (CUR == '+' && AT(1) == '+') {
		P->p += 2;
		struct node *n = nnew(P, N_INCR);
		n->a = parse_unary(P);
		n->i = 1;
		return n->a ? n : NULL;
	}
	if (CUR == '[') {
		size_t save = P->p;
		const char *t = type_literal(P);
		if (t != NULL && !(CUR == ':' && AT(1) == ':')) {
			ws(P);
			if (CUR == '$' || CUR == '(' || CUR == '\'' || CUR == '"' || isdigit((unsigned char)CUR) || CUR == '[' || CUR == '@') {
				struct node *n = nnew(P, N_CAST);
				n->s = t;
				n->a = parse_unary(P);
				return n->a ? n : NULL;
			}
			struct node *n = nnew(P, N_TYPE);
			n->s = t;
			return n;
		}
		P->p = save;
	}
	struct node *n = parse_primary(P);
	if (n == NULL)
		return NULL;
	n = parse_postfix(P, n);
	if (n && (CUR == '+' || CUR == '-') && AT(1) == CUR) {
		/* Postfix ++ or --. */
		int step = CUR == '+' ? 1 : -1;
		P->p += 2;
		struct node *x = nnew(P, N_INCR);
		x->a = n;
		x->i = step;
		return x;
	}
	return n;
}

static struct node *
parse_comma(struct parser *P)
{
	struct node *first = parse_unary(P);
	if (first == NULL)
		return NULL;
	ws(P);
	if (CUR != ',' || P->nocomma)
		return first;
	struct node *arr = nnew(P, N_ARRAY);
	nadd(P, arr, first);
	while (CUR == ',') {
		P->p++;
		wsnl(P);
		struct node *x = parse_unary(P);
		if (x == NULL)
			return NULL;
		nadd(P, arr, x);
		ws(P);
	}
	return arr;
}

/*
 * The operator takers of the binary precedence levels. Each looks at the parser's position
 * (blanks already skipped); on a match it consumes the operator and returns the N_BIN op
 * (never 0), else it returns 0 and the caller puts the position back.
 */
static int
take_mul_op(struct parser *P)
{
	if (CUR != '*' && CUR != '/' && CUR != '%')
		return 0;
	return P->src[P->p++];
}

static int
take_add_op(struct parser *P)
{
	if (!(CUR == '+' && AT(1) != '+' && AT(1) != '=') &&
	    !(CUR == '-' && !isalpha((unsigned char)AT(1)) && AT(1) != '-' && AT(1) != '='))
		return 0;
	return P->src[P->p++];
}

/* -eq, -like, -replace ...: every named operator but the logical ones. */
static int
take_cmp_op(struct parser *P)
{
	int op;
	if (!match_dashop(P, &op) || op <= OP_XOR)
		return 0;
	return 256 + op;
}

/* -and, -or, -xor: PowerShell gives them one level, below the comparisons. */
static int
take_logic_op(struct parser *P)
{
	int op;
	if (!match_dashop(P, &op) || op > OP_XOR)
		return 0;
	return 256 + op;
}

/*
 * One left-associative precedence level: operands parsed by `operand`, joined by the
 * operators that `take_op` accepts. The N_BIN node's position is its operator's.
 */
static struct node *
parse_binary_level(struct parser *P, struct node *(*operand)(struct parser *),
    int (*take_op)(struct parser *))
{
	struct node *l = operand(P);
	for (;;) {
		if (l == NULL)
			return NULL;
		ws(P);
		size_t at = P->p;
		int op = take_op(P);
		if (op == 0) {
			P->p = at;
			return l;
		}
		struct node *n = nnew(P, N_BIN);
		n->pos = at;
		n->op = op;
		wsnl(P);
		n->a = l;
		n->b = operand(P);
		if (n->b == NULL)
			return NULL;
		l = n;
	}
}

static struct node *
parse_mul(struct parser *P)
{
	return parse_binary_level(P, parse_comma, take_mul_op);
}

static struct node *
parse_add(struct parser *P)
{
	return parse_binary_level(P, parse_mul, take_add_op);
}

static struct node *
parse_cmp(struct parser *P)
{
	return parse_binary_level(P, parse_add, take_cmp_op);
}

static struct node *
parse_expr(struct parser *P)
{
	return parse_binary_level(P, parse_cmp, take_logic_op);
}

static int
arg_end(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' ||
	    c == '|' || c == ')' || c == '}' || c == ',';
}

/* One command argument value: an expression primary or a bare word, with commas. */
static struct node *
parse_cmd_value(struct parser *P)
{
	struct node *first = NULL, *arr = NULL;
	for (;;) {
		struct node *x;
		char c = CUR;
		if (c == '$' || c == '(' || c == '@' || c == '\'' || c == '"' || c == '{' ||
		    (c == '[' && P->src[P->p + 1] != ']')) {
			x = parse_unary(P);
		} else if (isdigit((unsigned char)c) || (c == '-' && isdigit((unsigned char)AT(1)))) {
			size_t s = P->p;
			while (!arg_end(CUR))
				P->p++;
			x = nnew(P, N_STR);
			x->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
			x->op = 'n'; /* bare number-like word: converted if it parses */
		} else {
			size_t s = P->p;
			while (!arg_end(CUR))
				P->p++;
			if (P->p == s)
				return fail(P, "Missing argument."), NULL;
			/* A bare word is an expandable string in command mode, as in
			 * PowerShell: `auditpol /backup /file:$f` passes $f's value. */
			x = nnew(P, memchr(P->src + s, '$', P->p - s) ? N_XSTR : N_STR);
			x->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
		}
		if (x == NULL)
			return NULL;
		ws(P);
		if (CUR == ',' && first == NULL) {
			first = x;
			arr = nnew(P, N_ARRAY);
			nadd(P, arr, x);
		} else if (arr != NULL) {
			nadd(P, arr, x);
		} else {
			return x;
		}
		if (CUR != ',')
			return arr;
		P->p++;
		wsnl(P);
	}
}

static struct node *
parse_command(struct parser *P)
{
	struct node *n = nnew(P, N_CMD);
	if (CUR == '&') {
		P->p++;
		ws(P);
	}
	if (CUR == '\'' || CUR == '"') {
		struct node *q = CUR == '\'' ? parse_squote(P) : parse_dquote(P);
		if (q == NULL)
			return NULL;
		n->s = q->s;
	} else {
		size_t s = P->p;
		while (!arg_end(CUR) && CUR != '(' && CUR != '{')
			P->p++;
		n->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
	}
	for (;;) {
		ws(P);
		char c = CUR;
		if (c == '\0' || c == ';' || c == '|' || c == ')' || c == '}' || c == '\n')
			break;
		if (c == '-' && (isalpha((unsigned char)AT(1)))) {
			struct node *pn = nnew(P, N_PARAM);
			P->p++;
			size_t s = P->p;
			while (isident(CUR))
				P->p++;
			pn->s = ro_arena_strndup(P->ps->a, P->src + s, P->p - s);
			if (CUR == ':') {
				P->p++;
				pn->a = parse_cmd_value(P);
				if (pn->a == NULL)
					return NULL;
				pn->op = 1; /* bound value */
			}
			nadd(P, n, pn);
			continue;
		}
		struct node *v = parse_cmd_value(P);
		if (v == NULL)
			return NULL;
		nadd(P, n, v);
	}
	n->end = P->p;
	return n;
}

static struct node *
parse_element(struct parser *P)
{
	ws(P);
	char c = CUR;
	if (isalpha((unsigned char)c) || c == '&' || c == '_' || (c == '.' && AT(1) == '\\'))
		return parse_command(P);
	return parse_expr(P);
}

static struct node *
parse_pipeline(struct parser *P)
{
	struct node *pipe = nnew(P, N_PIPE);
	for (;;) {
		struct node *e = parse_element(P);
		if (e == NULL)
			return NULL;
		nadd(P, pipe, e);
		ws(P);
		if (CUR == '|' && AT(1) != '|') {
			P->p++;
			wsnl(P);
			continue;
		}
		break;
	}
	pipe->end = P->p;
	return pipe;
}

static struct node *
parse_cond(struct parser *P)
{
	ws(P);
	if (CUR != '(')
		return fail(P, "Missing '(' after 'if' in if statement."), NULL;
	P->p++;
	wsnl(P);
	struct node *c = parse_pipeline(P);
	if (c == NULL)
		return NULL;
	wsnl(P);
	if (CUR != ')')
		return fail(P, "Missing closing ')' after expression in 'if' statement."), NULL;
	P->p++;
	return c;
}

static struct node *
need_block(struct parser *P)
{
	wsnl(P);
	if (CUR != '{')
		return fail(P, "Missing statement block."), NULL;
	return parse_block(P);
}

static struct node *
parse_statement(struct parser *P)
{
	ws(P);
	size_t start = P->p;
	struct node *n;
	if (keyword(P, "if")) {
		n = nnew(P, N_IF);
		for (;;) {
			struct node *c = parse_cond(P);
			if (c == NULL)
				return NULL;
			struct node *b = need_block(P);
			if (b == NULL)
				return NULL;
			nadd(P, n, c);
			nadd(P, n, b);
			size_t save = P->p;
			wsnl(P);
			if (keyword(P, "elseif"))
				continue;
			if (keyword(P, "else")) {
				n->c = need_block(P);
				if (n->c == NULL)
					return NULL;
			} else {
				P->p = save;
			}
			break;
		}
		return n;
	}
	if (keyword(P, "foreach")) {
		n = nnew(P, N_FOREACH);
		ws(P);
		if (CUR != '(')
			return fail(P, "Missing opening '(' after keyword 'foreach'."), NULL;
		P->p++;
		ws(P);
		if (CUR != '$')
			return fail(P, "Missing variable name after foreach."), NULL;
		n->a = parse_var(P);
		if (n->a == NULL)
			return NULL;
		ws(P);
		if (!keyword(P, "in"))
			return fail(P, "Missing 'in' after variable in foreach loop."), NULL;
		n->b = parse_pipeline(P);
		if (n->b == NULL)
			return NULL;
		ws(P);
		if (CUR != ')')
			return fail(P, "Missing closing ')' in foreach."), NULL;
		P->p++;
		n->c = need_block(P);
		return n->c ? n : NULL;
	}
	if (keyword(P, "while")) {
		n = nnew(P, N_WHILE);
		n->a = parse_cond(P);
		if (n->a == NULL)
			return NULL;
		n->b = need_block(P);
		return n->b ? n : NULL;
	}
	if (keyword(P, "try")) {
		n = nnew(P, N_TRY);
		n->a = need_block(P);
		if (n->a == NULL)
			return NULL;
		size_t save = P->p;
		wsnl(P);
		if (keyword(P, "catch")) {
			ws(P);
			if (CUR == '[')
				(void)type_literal(P);
			n->b = need_block(P);
			if (n->b == NULL)
				return NULL;
			save = P->p;
			wsnl(P);
		}
		if (keyword(P, "finally")) {
			n->c = need_block(P);
			if (n->c == NULL)
				return NULL;
		} else {
			P->p = save;
		}
		return n;
	}
	int kexit = keyword(P, "exit"), kret = !kexit && keyword(P, "return"),
	    kthrow = !kexit && !kret && keyword(P, "throw");
	if (kexit || kret || kthrow) {
		n = nnew(P, kexit ? N_EXIT : kret ? N_RETURN : N_THROW);
		ws(P);
		if (CUR && CUR != ';' && CUR != '}' && CUR != '\n' && CUR != ')') {
			n->a = kret ? parse_pipeline(P) : parse_expr(P);
			if (n->a == NULL)
				return NULL;
		}
		return n;
	}
	if (keyword(P, "break"))
		return nnew(P, N_BREAK);
	if (keyword(P, "continue"))
		return nnew(P, N_CONTINUE);
	if (keyword(P, "param") || keyword(P, "function") || keyword(P, "switch") ||
	    keyword(P, "do") || keyword(P, "for") || keyword(P, "trap") || keyword(P, "class")) {
		P->p = start;
		return fail(P, "This statement is not emulated by rollout-sim."), NULL;
	}
	n = parse_pipeline(P);
	if (n == NULL)
		return NULL;
	ws(P);
	/* Assignment: the pipeline was one expression and '=' or 'op=' follows. */
	int aop = 0;
	if (CUR == '=' )
		aop = '=';
	else if ((CUR == '+' || CUR == '-' || CUR == '*') && AT(1) == '=')
		aop = CUR;
	if (aop) {
		if (n->n != 1 || n->v[0]->k == N_CMD)
			return fail(P, "The assignment expression is not valid."), NULL;
		P->p += aop == '=' ? 1 : 2;
		wsnl(P);
		struct node *as = nnew(P, N_ASSIGN);
		as->op = aop;
		as->a = n->v[0];
		as->b = parse_statement(P);
		if (as->b == NULL)
			return NULL;
		as->pos = start;
		return as;
	}
	return n;
}

static struct node *
parse_statements(struct parser *P, char close)
{
	struct node *s = nnew(P, N_SCRIPT);
	for (;;) {
		wsnl(P);
		while (CUR == ';') {
			P->p++;
			wsnl(P);
		}
		if (CUR == '\0' || CUR == close)
			return s;
		struct node *st = parse_statement(P);
		if (st == NULL)
			return NULL;
		st->end = P->p;
		nadd(P, s, st);
		ws(P);
		if (CUR != ';' && CUR != '\n' && CUR != '\0' && CUR != close)
			return fail(P, "Unexpected token in expression or statement."), NULL;
	}
}

/* ---- evaluation ----------------------------------------------------------- */

static struct sim_val *eval(struct sim_ps *ps, struct node *n);
static void exec_script(struct sim_ps *ps, struct node *s, struct sim_val *out);
static void exec_stmt(struct sim_ps *ps, struct node *n, struct sim_val *out);

/* Unrolls v into out as a pipeline does (arrays element by element). */
static void
emit(struct sim_ps *ps, struct sim_val *out, struct sim_val *v)
{
	if (v == NULL)
		return;
	if (v->k == SIM_V_ARR) {
		for (size_t i = 0; i < v->n; i++)
			sim_v_push(ps, out, v->items[i]);
	} else if (v->k != SIM_V_NULL) {
		sim_v_push(ps, out, v);
	} else {
		sim_v_push(ps, out, v);
	}
}

/* Pipeline results as a value: nothing -> $null, one -> itself, more -> array. */
static struct sim_val *
collapse(struct sim_ps *ps, struct sim_val *arr)
{
	if (arr->n == 0)
		return sim_v_null(ps);
	if (arr->n == 1)
		return arr->items[0];
	return arr;
}

static struct sim_val *
as_array(struct sim_ps *ps, struct sim_val *v)
{
	if (v->k == SIM_V_ARR)
		return v;
	struct sim_val *a = sim_v_arr(ps);
	if (v->k != SIM_V_NULL)
		sim_v_push(ps, a, v);
	return a;
}

static int
ver_cmp(const char *a, const char *b)
{
	for (;;) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a != '.' && *b != '.')
			return 0;
		if (*a == '.') a++;
		if (*b == '.') b++;
		if (*a == '\0' && *b == '\0')
			return 0;
	}
}

/* Compares as PowerShell does: by the left operand's type. */
static int
compare(struct sim_ps *ps, const struct sim_val *l, const struct sim_val *r, int *ok)
{
	int64_t x, y;
	*ok = 1;
	if (l->k == SIM_V_VER || r->k == SIM_V_VER)
		return ver_cmp(sim_v_tostr(ps, l), sim_v_tostr(ps, r));
	if (l->k == SIM_V_NULL || r->k == SIM_V_NULL) {
		if (l->k == r->k)
			return 0;
		return l->k == SIM_V_NULL ? -1 : 1;
	}
	if ((l->k == SIM_V_INT || l->k == SIM_V_BOOL || l->k == SIM_V_DATE) && sim_v_toint(r, &y) == 0) {
		x = l->i;
		return x < y ? -1 : x > y;
	}
	if (l->k == SIM_V_STR && (r->k == SIM_V_INT) && sim_v_toint(l, &x) == 0) {
		y = r->i;
		return x < y ? -1 : x > y;
	}
	if (l->k == SIM_V_BOOL)
		return (l->i != 0) - sim_v_truthy(r);
	return strcasecmp(sim_v_tostr(ps, l), sim_v_tostr(ps, r));
}

static int
wildcard(const char *pat, const char *s)
{
	for (; *pat; pat++, s++) {
		if (*pat == '*') {
			for (; *s; s++)
				if (wildcard(pat + 1, s))
					return 1;
			return wildcard(pat + 1, s);
		}
		if (*s == '\0')
			return 0;
		if (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*s))
			return 0;
	}
	return *s == '\0';
}

/* .NET regex to POSIX ERE, the common part: \w \s \d \S \W \D \xHH \. */
static char *
regex_translate(struct sim_ps *ps, const char *re)
{
	struct ro_buf b;
	ro_buf_init(&b);
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'w': ro_buf_adds(&b, "[[:alnum:]_]"); break;
			case 'W': ro_buf_adds(&b, "[^[:alnum:]_]"); break;
			case 's': ro_buf_adds(&b, "[[:space:]]"); break;
			case 'S': ro_buf_adds(&b, "[^[:space:]]"); break;
			case 'd': ro_buf_adds(&b, "[0-9]"); break;
			case 'D': ro_buf_adds(&b, "[^0-9]"); break;
			case 'x':
				if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
					char hx[3] = { p[1], p[2], 0 };
					int c = (int)strtol(hx, NULL, 16);
					if (c == 0)
						c = 1;
					ro_buf_addc(&b, (char)c);
					p += 2;
				}
				break;
			default:
				ro_buf_addc(&b, '\\');
				ro_buf_addc(&b, *p);
			}
		} else {
			ro_buf_addc(&b, *p);
		}
	}
	char *s = ro_arena_strdup(ps->a, b.p ? b.p : "");
	ro_buf_free(&b);
	return s;
}

static int
regex_match(struct sim_ps *ps, const char *s, const char *re, int set_matches)
{
	regex_t rx;
	regmatch_t m[10];
	if (regcomp(&rx, regex_translate(ps, re), REG_EXTENDED | REG_ICASE) != 0)
		return 0;
	int ok = regexec(&rx, s, 10, m, 0) == 0;
	if (ok && set_matches) {
		struct sim_val *h = newv(ps, SIM_V_HASH);
		for (int i = 0; i < 10 && m[i].rm_so >= 0; i++) {
			char k[4];
			snprintf(k, sizeof(k), "%d", i);
			sim_v_set(ps, h, k, sim_v_str(ps, ro_arena_strndup(ps->a, s + m[i].rm_so,
			    (size_t)(m[i].rm_eo - m[i].rm_so))));
		}
		sim_ps_set_var(ps, "Matches", h);
	}
	regfree(&rx);
	return ok;
}

static struct sim_val *
bytes_val(struct sim_ps *ps, const unsigned char *d, size_t n)
{
	struct sim_val *v = sim_v_obj(ps, "Byte[]", NULL);
	char *c = ro_arena_alloc(ps->a, n + 1);
	memcpy(c, d, n);
	c[n] = 0;
	v->block = c;
	v->i = (int64_t)n;
	return v;
}

static struct sim_val *
binop(struct sim_ps *ps, int op, struct sim_val *l, struct sim_val *r)
{
	int ok;
	const char *name = op >= 256 ? binops[op - 256] : NULL;
	if (op == '+') {
		if (l->k == SIM_V_ARR) {
			struct sim_val *a = sim_v_arr(ps);
			emit(ps, a, l);
			emit(ps, a, r);
			return a;
		}
		if (l->k == SIM_V_INT || l->k == SIM_V_NULL) {
			int64_t x = l->i, y;
			if (sim_v_toint(r, &y) == 0)
				return sim_v_int(ps, x + y);
		}
		if (l->k == SIM_V_HASH)
			return l;
		return sim_v_strf(ps, "%s%s", sim_v_tostr(ps, l), sim_v_tostr(ps, r));
	}
	if (op == '-' || op == '*' || op == '/' || op == '%') {
		int64_t x, y;
		if (sim_v_toint(l, &x) != 0 || sim_v_toint(r, &y) != 0) {
			error_block(ps, "", "Cannot convert value to type \"System.Int32\".",
			    "InvalidArgument: (:) [], RuntimeException", "InvalidCastFromStringToInteger", 0);
			return sim_v_null(ps);
		}
		if ((op == '/' || op == '%') && y == 0) {
			error_block(ps, "", "Attempted to divide by zero.",
			    "NotSpecified: (:) [], RuntimeException", "RuntimeException", 0);
			return sim_v_null(ps);
		}
		return sim_v_int(ps, op == '-' ? x - y : op == '*' ? x * y : op == '/' ? x / y : x % y);
	}
	if (name == NULL)
		return sim_v_null(ps);
	if (op - 256 == OP_AND) return sim_v_bool(ps, sim_v_truthy(l) && sim_v_truthy(r));
	if (op - 256 == OP_OR) return sim_v_bool(ps, sim_v_truthy(l) || sim_v_truthy(r));
	if (op - 256 == OP_XOR) return sim_v_bool(ps, sim_v_truthy(l) != sim_v_truthy(r));
	const char *nm = name;
	/* -ieq, -cmatch ...: the case prefix (comparisons here are case-insensitive). */
	if ((nm[0] == 'i' || nm[0] == 'c') && (strcmp(nm + 1, "eq") == 0 || strcmp(nm + 1, "ne") == 0 ||
	    strcmp(nm + 1, "match") == 0 || strcmp(nm + 1, "like") == 0))
		nm++;
	if (strcmp(nm, "contains") == 0 || strcmp(nm, "notcontains") == 0 ||
	    strcmp(nm, "in") == 0 || strcmp(nm, "notin") == 0) {
		int neg = nm[0] == 'n';
		struct sim_val *coll = nm[neg ? 3 : 0] == 'c' ? l : r, *item = coll == l ? r : l;
		coll = as_array(ps, coll);
		int found = 0;
		for (size_t i = 0; i < coll->n && !found; i++)
			found = compare(ps, coll->items[i], item, &ok) == 0;
		return sim_v_bool(ps, found != neg);
	}
	if (strcmp(nm, "split") == 0) {
		const char *s = sim_v_tostr(ps, l), *sep = sim_v_tostr(ps, r);
		struct sim_val *a = sim_v_arr(ps);
		/* -split takes a regex; the scripts split on literal characters. */
		size_t sl = strlen(sep);
		const char *p = s;
		for (;;) {
			const char *q = sl ? strstr(p, sep) : NULL;
			if (q == NULL) {
				sim_v_push(ps, a, sim_v_str(ps, p));
				break;
			}
			sim_v_push(ps, a, sim_v_str(ps, ro_arena_strndup(ps->a, p, (size_t)(q - p))));
			p = q + sl;
		}
		return a;
	}
	if (strcmp(nm, "join") == 0) {
		struct sim_val *a = as_array(ps, l);
		return sim_v_str(ps, join_items(ps, a, sim_v_tostr(ps, r)));
	}
	if (strcmp(nm, "band") == 0 || strcmp(nm, "bor") == 0) {
		int64_t x = 0, y = 0;
		(void)sim_v_toint(l, &x);
		(void)sim_v_toint(r, &y);
		return sim_v_int(ps, nm[1] == 'a' ? (x & y) : (x | y));
	}
	if (strcmp(nm, "replace") == 0) {
		struct sim_val *ra = as_array(ps, r);
		const char *from = ra->n ? sim_v_tostr(ps, ra->items[0]) : "";
		const char *to = ra->n > 1 ? sim_v_tostr(ps, ra->items[1]) : "";
		const char *s = sim_v_tostr(ps, l);
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_adds(&b, "");
		size_t fl = strlen(from);
		for (const char *p = s; *p;) {
			if (fl && strncasecmp(p, from, fl) == 0) {
				ro_buf_adds(&b, to);
				p += fl;
			} else {
				ro_buf_addc(&b, *p++);
			}
		}
		struct sim_val *v = sim_v_str(ps, b.p);
		ro_buf_free(&b);
		return v;
	}
	if (strcmp(nm, "f") == 0) {
		const char *f = sim_v_tostr(ps, l);
		struct sim_val *args = as_array(ps, r);
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_adds(&b, "");
		for (const char *p = f; *p; p++) {
			if (*p == '{' && isdigit((unsigned char)p[1])) {
				size_t k = strtoul(p + 1, (char **)&p, 10);
				while (*p && *p != '}')
					p++;
				if (k < args->n)
					ro_buf_adds(&b, sim_v_tostr(ps, args->items[k]));
				if (*p == '\0')
					break;
			} else {
				ro_buf_addc(&b, *p);
			}
		}
		struct sim_val *v = sim_v_str(ps, b.p);
		ro_buf_free(&b);
		return v;
	}
	if (strcmp(nm, "is") == 0 || strcmp(nm, "isnot") == 0)
		return sim_v_bool(ps, 0);
	/* Comparison operators filter when the left side is an array. */
	if (l->k == SIM_V_ARR) {
		struct sim_val *a = sim_v_arr(ps);
		for (size_t i = 0; i < l->n; i++)
			if (sim_v_truthy(binop(ps, op, l->items[i], r)))
				sim_v_push(ps, a, l->items[i]);
		return a;
	}
	if (strcmp(nm, "like") == 0 || strcmp(nm, "notlike") == 0)
		return sim_v_bool(ps, wildcard(sim_v_tostr(ps, r), sim_v_tostr(ps, l)) == (nm[0] == 'l'));
	if (strcmp(nm, "match") == 0 || strcmp(nm, "notmatch") == 0)
		return sim_v_bool(ps, regex_match(ps, sim_v_tostr(ps, l), sim_v_tostr(ps, r), nm[0] == 'm') ==
		    (nm[0] == 'm'));
	int c = compare(ps, l, r, &ok);
	if (strcmp(nm, "eq") == 0) return sim_v_bool(ps, c == 0);
	if (strcmp(nm, "ne") == 0) return sim_v_bool(ps, c != 0);
	if (strcmp(nm, "gt") == 0) return sim_v_bool(ps, c > 0);
	if (strcmp(nm, "ge") == 0) return sim_v_bool(ps, c >= 0);
	if (strcmp(nm, "lt") == 0) return sim_v_bool(ps, c < 0);
	if (strcmp(nm, "le") == 0) return sim_v_bool(ps, c <= 0);
	return sim_v_null(ps);
}

static void
unsupported(struct sim_ps *ps, const char *what)
{
	ps->unsupported = 1;
	error_block(ps, what, "rollout-sim does not emulate this part of PowerShell",
	    "NotImplemented: (:) [], RuntimeException", "RolloutSimNotEmulated", 1);
}

static struct sim_val *
expand_string(struct sim_ps *ps, const char *s)
{
	struct ro_buf b;
	ro_buf_init(&b);
	ro_buf_adds(&b, "");
	for (const char *p = s; *p;) {
		if (*p == '`' && p[1]) {
			char c = p[1];
			ro_buf_addc(&b, c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == '0' ? ' ' : c);
			p += 2;
		} else if (*p == '$' && (isident(p[1]) || p[1] == '{' || p[1] == '(')) {
			struct parser P = { .ps = ps, .src = p, .p = 0 };
			struct node *n = p[1] == '(' ? parse_primary(&P) : parse_var(&P);
			if (n == NULL) {
				ro_buf_addc(&b, *p++);
				continue;
			}
			if (n->k == N_VAR && P.src[P.p] == '.' && isident(P.src[P.p + 1]) && 0)
				n = parse_postfix(&P, n);
			ro_buf_adds(&b, sim_v_tostr(ps, eval(ps, n)));
			p += P.p;
		} else {
			ro_buf_addc(&b, *p++);
		}
	}
	struct sim_val *v = sim_v_str(ps, b.p);
	ro_buf_free(&b);
	return v;
}

static struct sim_val *
cast(struct sim_ps *ps, const char *type, struct sim_val *v)
{
	int64_t x;
	if (strcasecmp(type, "int") == 0 || strcasecmp(type, "long") == 0 || strcasecmp(type, "int64") == 0) {
		if (sim_v_toint(v, &x) != 0) {
			error_block(ps, "", "Cannot convert value to type \"System.Int32\". Error: \"Input string was not in a correct format.\"",
			    "InvalidArgument: (:) [], RuntimeException", "InvalidCastFromStringToInteger", 1);
			return sim_v_null(ps);
		}
		return sim_v_int(ps, x);
	}
	if (strcasecmp(type, "string") == 0)
		return sim_v_str(ps, sim_v_tostr(ps, v));
	if (strcasecmp(type, "bool") == 0)
		return sim_v_bool(ps, sim_v_truthy(v));
	if (strcasecmp(type, "char") == 0) {
		char c[2] = { 0, 0 };
		if (sim_v_toint(v, &x) == 0)
			c[0] = (char)x;
		return sim_v_str(ps, c);
	}
	if (strcasecmp(type, "version") == 0) {
		struct sim_val *r = newv(ps, SIM_V_VER);
		r->s = sim_v_tostr(ps, v);
		if (r->s[0] == '\0' || !isdigit((unsigned char)r->s[0])) {
			error_block(ps, "", "Cannot convert value to type \"System.Version\".",
			    "InvalidArgument: (:) [], RuntimeException", "InvalidCastParseTargetInvocation", 1);
			return sim_v_null(ps);
		}
		return r;
	}
	if (strcasecmp(type, "array") == 0 || strcasecmp(type, "object[]") == 0 || strcasecmp(type, "string[]") == 0)
		return as_array(ps, v);
	if (strcasecmp(type, "datetime") == 0) {
		/* A date or an ISO date text ('2026-10-19', '2026-10-19 17:30[:00]', local
		 * time), as the inspection compares PasswordLastSet with a campaign date;
		 * compared as dates, not as text. */
		int y, mo, d, hh = 0, mi = 0, ss = 0, k;
		char tail;
		if (v->k == SIM_V_DATE)
			return v;
		const char *t = sim_v_tostr(ps, v);
		k = sscanf(t, "%4d-%2d-%2d%c%2d:%2d:%2d", &y, &mo, &d, &tail, &hh, &mi, &ss);
		if ((k == 3 || k >= 6) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && hh < 24 &&
		    mi < 60 && ss < 61 && (k == 3 || tail == ' ' || tail == 'T')) {
			struct tm tm;
			memset(&tm, 0, sizeof tm);
			tm.tm_year = y - 1900;
			tm.tm_mon = mo - 1;
			tm.tm_mday = d;
			tm.tm_hour = hh;
			tm.tm_min = mi;
			tm.tm_sec = ss;
			return sim_v_date(ps, (int64_t)timegm(&tm) - (int64_t)ps->tz_minutes * 60);
		}
		error_block(ps, "", "Cannot convert value to type \"System.DateTime\". Error: \"String "
		    "was not recognized as a valid DateTime.\"", "InvalidArgument: (:) [], RuntimeException",
		    "InvalidCastParseTargetInvocation", 1);
		return sim_v_null(ps);
	}
	unsupported(ps, type);
	return sim_v_null(ps);
}

static struct sim_val *
member(struct sim_ps *ps, struct sim_val *o, const char *name)
{
	if (o->k == SIM_V_ARR) {
		if (strcasecmp(name, "Count") == 0 || strcasecmp(name, "Length") == 0)
			return sim_v_int(ps, (int64_t)o->n);
		/* member enumeration */
		struct sim_val *a = sim_v_arr(ps);
		for (size_t i = 0; i < o->n; i++)
			emit(ps, a, member(ps, o->items[i], name));
		return collapse(ps, a);
	}
	if (o->k == SIM_V_NULL) {
		if (strcasecmp(name, "Count") == 0)
			return sim_v_int(ps, 0);
		return sim_v_null(ps);
	}
	if (strcasecmp(name, "Count") == 0 && o->k != SIM_V_HASH && o->k != SIM_V_OBJ)
		return sim_v_int(ps, 1);
	if (o->k == SIM_V_STR && strcasecmp(name, "Length") == 0)
		return sim_v_int(ps, (int64_t)strlen(o->s));
	if (o->k == SIM_V_HASH && strcasecmp(name, "Count") == 0)
		return sim_v_int(ps, (int64_t)o->n);
	if (o->k == SIM_V_OBJ && strcasecmp(name, "Count") == 0 && sim_v_get(o, name) == NULL)
		return sim_v_int(ps, 1);
	if (o->k == SIM_V_VER) {
		int parts[4] = { 0, 0, -1, -1 };
		sscanf(o->s, "%d.%d.%d.%d", &parts[0], &parts[1], &parts[2], &parts[3]);
		const char *nm[] = { "Major", "Minor", "Build", "Revision" };
		for (int i = 0; i < 4; i++)
			if (strcasecmp(name, nm[i]) == 0)
				return sim_v_int(ps, parts[i]);
	}
	struct sim_val *v = sim_v_get(o, name);
	return v ? v : sim_v_null(ps);
}

static struct sim_val *
method(struct sim_ps *ps, struct sim_val *o, const char *name, struct sim_val **args, size_t n)
{
	const char *a0 = n > 0 ? sim_v_tostr(ps, args[0]) : "";
	if (o->k == SIM_V_DATE) {
		if (strcasecmp(name, "ToString") == 0) {
			struct ro_buf b;
			ro_buf_init(&b);
			ro_buf_adds(&b, "");
			if (n == 0) {
				char buf[64];
				sim_ps_datestr(ps, o->i, buf, sizeof(buf));
				ro_buf_adds(&b, buf);
			} else {
				date_format(ps, o->i, a0, o->names == (const char **)1, &b);
			}
			struct sim_val *v = sim_v_str(ps, b.p);
			ro_buf_free(&b);
			return v;
		}
		if (strcasecmp(name, "ToUniversalTime") == 0) {
			struct sim_val *v = sim_v_date(ps, o->i);
			v->names = (const char **)1; /* marks UTC for formatting */
			return v;
		}
		if (strcasecmp(name, "AddDays") == 0 || strcasecmp(name, "AddHours") == 0 ||
		    strcasecmp(name, "AddMinutes") == 0 || strcasecmp(name, "AddSeconds") == 0) {
			int64_t k = 0;
			(void)sim_v_toint(n ? args[0] : NULL, &k);
			int64_t mul = name[3] == 'D' || name[3] == 'd' ? 86400 : name[3] == 'H' || name[3] == 'h' ? 3600 :
			    name[3] == 'M' || name[3] == 'm' ? 60 : 1;
			return sim_v_date(ps, o->i + k * mul);
		}
	}
	if (o->k == SIM_V_STR || (o->k == SIM_V_INT && strcasecmp(name, "ToString") == 0)) {
		const char *s = sim_v_tostr(ps, o);
		if (strcasecmp(name, "ToString") == 0)
			return sim_v_str(ps, s);
		if (strcasecmp(name, "Trim") == 0) {
			while (isspace((unsigned char)*s))
				s++;
			size_t l = strlen(s);
			while (l && isspace((unsigned char)s[l - 1]))
				l--;
			return sim_v_str(ps, ro_arena_strndup(ps->a, s, l));
		}
		if (strcasecmp(name, "ToUpper") == 0 || strcasecmp(name, "ToLower") == 0) {
			char *c = ro_arena_strdup(ps->a, s);
			for (char *p = c; *p; p++)
				*p = (char)(name[2] == 'U' ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
			return sim_v_str(ps, c);
		}
		if (strcasecmp(name, "Replace") == 0 && n == 2) {
			struct sim_val *pair = sim_v_arr(ps);
			sim_v_push(ps, pair, args[0]);
			sim_v_push(ps, pair, args[1]);
			return binop(ps, 256 + 23 /* replace */, o, pair);
		}
		if (strcasecmp(name, "Contains") == 0)
			return sim_v_bool(ps, strstr(s, a0) != NULL);
		if (strcasecmp(name, "StartsWith") == 0)
			return sim_v_bool(ps, strncmp(s, a0, strlen(a0)) == 0);
		if (strcasecmp(name, "Split") == 0)
			return binop(ps, 256 + 17 /* split */, o, args[0]);
	}
	if (o->k == SIM_V_OBJ && o->s && strcmp(o->s, "SHA256") == 0 && strcasecmp(name, "ComputeHash") == 0 &&
	    n == 1 && args[0]->k == SIM_V_OBJ && args[0]->s && strcmp(args[0]->s, "Byte[]") == 0) {
		unsigned char h[32];
		crypto_hash_sha256(h, args[0]->block, (unsigned long long)args[0]->i);
		return bytes_val(ps, h, sizeof(h));
	}
	if (o->k == SIM_V_OBJ && o->s && strcmp(o->s, "#stdin") == 0 && strcasecmp(name, "ReadLine") == 0) {
		const char *l = sim_ps_read_line(ps);
		return l ? sim_v_str(ps, l) : sim_v_null(ps);
	}
	if (o->k == SIM_V_OBJ && o->s && strcmp(o->s, "#stdin") == 0 && strcasecmp(name, "ReadToEnd") == 0) {
		const char *s = ps->stdin_data ? ro_arena_strndup(ps->a, ps->stdin_data + ps->stdin_pos,
		    ps->stdin_len - ps->stdin_pos) : "";
		ps->stdin_pos = ps->stdin_len;
		return sim_v_str(ps, s);
	}
	unsupported(ps, name);
	return sim_v_null(ps);
}

static struct sim_val *
static_member(struct sim_ps *ps, const char *type, const char *name, struct sim_val **args,
    size_t n, int call)
{
	const char *t = type;
	if (strncasecmp(t, "System.", 7) == 0)
		t += 7;
	if (strcasecmp(t, "Console") == 0 && strcasecmp(name, "In") == 0 && !call)
		return sim_v_obj(ps, "#stdin", NULL);
	if (strcasecmp(t, "string") == 0 && strcasecmp(name, "IsNullOrEmpty") == 0 && call && n == 1)
		return sim_v_bool(ps, !sim_v_truthy(args[0]) || sim_v_tostr(ps, args[0])[0] == '\0');
	if (strcasecmp(t, "Text.Encoding") == 0 && strcasecmp(name, "UTF8") == 0 && !call)
		return sim_v_obj(ps, "#utf8", NULL);
	if (strcasecmp(t, "Security.Cryptography.SHA256") == 0 && strcasecmp(name, "Create") == 0 && call)
		return sim_v_obj(ps, "SHA256", NULL);
	if (strcasecmp(t, "BitConverter") == 0 && strcasecmp(name, "ToString") == 0 && call && n == 1 &&
	    args[0]->k == SIM_V_OBJ && args[0]->s && strcmp(args[0]->s, "Byte[]") == 0) {
		size_t len = (size_t)args[0]->i;
		const unsigned char *d = args[0]->block;
		char *s = ro_arena_alloc(ps->a, len * 3 + 1);
		s[0] = '\0';
		for (size_t i = 0; i < len; i++)
			snprintf(s + 3 * i, 4, i + 1 < len ? "%02X-" : "%02X", d[i]);
		return sim_v_str(ps, s);
	}
	if (strcasecmp(t, "DateTime") == 0 && strcasecmp(name, "Now") == 0 && !call)
		return sim_v_date(ps, ps->now);
	if (strcasecmp(t, "Environment") == 0 && strcasecmp(name, "MachineName") == 0 && !call)
		return var_get(ps, "env:COMPUTERNAME");
	unsupported(ps, name);
	return sim_v_null(ps);
}

static struct sim_val *
eval_call(struct sim_ps *ps, struct node *n)
{
	struct sim_val **args = ro_arena_alloc(ps->a, (n->n + 1) * sizeof(*args));
	for (size_t i = 0; i < n->n; i++)
		args[i] = eval(ps, n->v[i]);
	if (n->stat && n->a->k == N_TYPE)
		return static_member(ps, n->a->s, n->s, args, n->n, 1);
	struct sim_val *o = eval(ps, n->a);
	if (ps->flow)
		return sim_v_null(ps);
	if (o->k == SIM_V_OBJ && o->s && strcmp(o->s, "#utf8") == 0 && strcasecmp(n->s, "GetBytes") == 0 && n->n == 1) {
		const char *s = sim_v_tostr(ps, args[0]);
		return bytes_val(ps, (const unsigned char *)s, strlen(s));
	}
	if (o->k == SIM_V_NULL) {
		error_block(ps, n->s, "You cannot call a method on a null-valued expression.",
		    "InvalidOperation: (:) [], RuntimeException", "InvokeMethodOnNull", 0);
		return sim_v_null(ps);
	}
	return method(ps, o, n->s, args, n->n);
}

static void
assign(struct sim_ps *ps, struct node *target, struct sim_val *v)
{
	if (target->k == N_VAR) {
		sim_ps_set_var(ps, target->s, v);
	} else if (target->k == N_INDEX || target->k == N_MEMBER) {
		struct sim_val *o = eval(ps, target->a);
		const char *k = target->k == N_INDEX ? sim_v_tostr(ps, eval(ps, target->b)) : target->s;
		if (o->k == SIM_V_HASH || o->k == SIM_V_OBJ)
			sim_v_set(ps, o, k, v);
		else
			unsupported(ps, "assignment");
	} else {
		unsupported(ps, "assignment");
	}
}

static struct sim_val *
eval(struct sim_ps *ps, struct node *n)
{
	if (ps->flow)
		return sim_v_null(ps);
	switch (n->k) {
	case N_NUM: return sim_v_int(ps, n->i);
	case N_STR: {
		int64_t x;
		if (n->op == 'n' && parse_int(n->s, &x) == 0)
			return sim_v_int(ps, x);
		return sim_v_str(ps, n->s);
	}
	case N_XSTR: return expand_string(ps, n->s);
	case N_VAR: return var_get(ps, n->s);
	case N_NOT: return sim_v_bool(ps, !sim_v_truthy(eval(ps, n->a)));
	case N_NEG: {
		int64_t x = 0;
		(void)sim_v_toint(eval(ps, n->a), &x);
		return sim_v_int(ps, -x);
	}
	case N_UNARYSPLIT: {
		struct sim_val *s = eval(ps, n->a);
		struct sim_val *a = sim_v_arr(ps);
		char *c = ro_arena_strdup(ps->a, sim_v_tostr(ps, s));
		for (char *tok = strtok(c, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"))
			sim_v_push(ps, a, sim_v_str(ps, tok));
		return a;
	}
	case N_UNARYJOIN: return binop(ps, 256 + 18, eval(ps, n->a), sim_v_str(ps, ""));
	case N_BIN: {
		struct sim_val *l = eval(ps, n->a);
		if (n->op == 256 + OP_AND && !sim_v_truthy(l))
			return sim_v_bool(ps, 0);
		if (n->op == 256 + OP_OR && sim_v_truthy(l))
			return sim_v_bool(ps, 1);
		return binop(ps, n->op, l, eval(ps, n->b));
	}
	case N_ARRAY: {
		struct sim_val *a = sim_v_arr(ps);
		for (size_t i = 0; i < n->n; i++)
			sim_v_push(ps, a, eval(ps, n->v[i]));
		return a;
	}
	case N_SUB: {
		struct sim_val *out = sim_v_arr(ps);
		exec_script(ps, n->a, out);
		if (n->op == '@')
			return out;
		return collapse(ps, out);
	}
	case N_HASH: {
		struct sim_val *h = newv(ps, SIM_V_HASH);
		for (size_t i = 0; i + 1 < n->n; i += 2) {
			struct sim_val *out = sim_v_arr(ps);
			exec_stmt(ps, n->v[i + 1], out);
			sim_v_set(ps, h, n->v[i]->s, collapse(ps, out));
		}
		return h;
	}
	case N_BLOCK: {
		struct sim_val *b = newv(ps, SIM_V_BLOCK);
		b->s = n->s;
		b->block = n->a;
		return b;
	}
	case N_MEMBER:
		if (n->stat && n->a->k == N_TYPE)
			return static_member(ps, n->a->s, n->s, NULL, 0, 0);
		return member(ps, eval(ps, n->a), n->s);
	case N_CALL: return eval_call(ps, n);
	case N_INDEX: {
		struct sim_val *o = eval(ps, n->a), *ix = eval(ps, n->b);
		if (o->k == SIM_V_HASH || o->k == SIM_V_OBJ)
			return member(ps, o, sim_v_tostr(ps, ix));
		int64_t k;
		if (sim_v_toint(ix, &k) != 0)
			return sim_v_null(ps);
		if (o->k == SIM_V_ARR) {
			if (k < 0)
				k += (int64_t)o->n;
			return k >= 0 && (size_t)k < o->n ? o->items[k] : sim_v_null(ps);
		}
		if (o->k == SIM_V_STR) {
			size_t l = strlen(o->s);
			if (k < 0)
				k += (int64_t)l;
			return k >= 0 && (size_t)k < l ? sim_v_str(ps, ro_arena_strndup(ps->a, o->s + k, 1)) : sim_v_null(ps);
		}
		return k == 0 ? o : sim_v_null(ps);
	}
	case N_TYPE: return sim_v_str(ps, n->s);
	case N_CAST: return cast(ps, n->s, eval(ps, n->a));
	case N_INCR: {
		struct sim_val *v = eval(ps, n->a);
		int64_t x = 0;
		(void)sim_v_toint(v, &x);
		assign(ps, n->a, sim_v_int(ps, x + n->i));
		return sim_v_null(ps);
	}
	default:
		break;
	}
	struct sim_val *out = sim_v_arr(ps);
	exec_stmt(ps, n, out);
	return collapse(ps, out);
}

/* ---- commands ------------------------------------------------------------ */

static const char *const switches[] = { "Force", "Recurse", "Quiet", "AutoSize", "PresentOnly",
	"Unique", "Detailed", "Descending", "Append", "PassThru", "AsPlainText", "NoProfile",
	"NonInteractive", "Check", "All", "Wrap", "NoTypeInformation", "List", "Raw", "Stream",
	"NoNewline", "Confirm", "WhatIf", "Verbose", NULL };

static int
is_switch(const char *p)
{
	for (int i = 0; switches[i]; i++)
		if (strcasecmp(switches[i], p) == 0)
			return 1;
	return 0;
}

struct sim_val *
sim_call_param(const struct sim_call *c, const char *name)
{
	for (size_t i = 0; i < c->nargs; i++)
		if (c->args[i].param && strcasecmp(c->args[i].param, name) == 0)
			return c->args[i].val;
	return NULL;
}

int
sim_call_switch(const struct sim_call *c, const char *name)
{
	for (size_t i = 0; i < c->nargs; i++)
		if (c->args[i].param && strcasecmp(c->args[i].param, name) == 0)
			return c->args[i].val == NULL || sim_v_truthy(c->args[i].val);
	return 0;
}

struct sim_val *
sim_call_pos(const struct sim_call *c, size_t k)
{
	for (size_t i = 0; i < c->nargs; i++)
		if (c->args[i].param == NULL && k-- == 0)
			return c->args[i].val;
	return NULL;
}

const char *
sim_call_str(struct sim_ps *ps, const struct sim_call *c, const char *name, size_t pos)
{
	struct sim_val *v = name ? sim_call_param(c, name) : NULL;
	if (v == NULL && pos != (size_t)-1)
		v = sim_call_pos(c, pos);
	return v ? sim_v_tostr(ps, v) : NULL;
}

/* Runs a script block with $_ set to item; returns its output collapsed. */
static struct sim_val *
run_block(struct sim_ps *ps, struct sim_val *blk, struct sim_val *item, struct sim_val *out)
{
	struct var *u = var_find(ps, "_");
	struct sim_val *saved = u ? u->v : NULL;
	sim_ps_set_var(ps, "_", item);
	struct sim_val *o = out ? out : sim_v_arr(ps);
	exec_script(ps, (struct node *)blk->block, o);
	if (ps->flow == FLOW_CONTINUE || ps->flow == FLOW_RETURN)
		ps->flow = FLOW_NONE;
	sim_ps_set_var(ps, "_", saved ? saved : sim_v_null(ps));
	return collapse(ps, o);
}

static const char *
prop_str(struct sim_ps *ps, struct sim_val *o, const char *p)
{
	return sim_v_tostr(ps, member(ps, o, p));
}

static struct sim_ps *sort_ps;
static const char *sort_key;

static int
sort_cmp(const void *a, const void *b)
{
	struct sim_val *x = *(struct sim_val *const *)a, *y = *(struct sim_val *const *)b;
	int ok;
	if (sort_key) {
		x = member(sort_ps, x, sort_key);
		y = member(sort_ps, y, sort_key);
	}
	return compare(sort_ps, x, y, &ok);
}

/* Formats a list of values as text (Out-Default / Out-String). */
static void
format_values(struct sim_ps *ps, struct ro_buf *b, struct sim_val *vals, const char *cols_override,
    int list)
{
	size_t i = 0;
	while (i < vals->n) {
		struct sim_val *v = vals->items[i];
		if (v->k != SIM_V_OBJ || (v->s && (v->s[0] == '#' || strcmp(v->s, "Byte[]") == 0))) {
			if (v->k == SIM_V_DATE) {
				char buf[128];
				date_long(ps, v->i, buf, sizeof(buf));
				ro_buf_printf(b, "\r\n%s\r\n\r\n", buf);
			} else if (v->k == SIM_V_HASH) {
				ro_buf_adds(b, "\r\nName                           Value\r\n----                           -----\r\n");
				for (size_t k = 0; k < v->n; k++)
					ro_buf_printf(b, "%-30s %s\r\n", v->names[k], sim_v_tostr(ps, v->items[k]));
				ro_buf_adds(b, "\r\n");
			} else if (v->k != SIM_V_NULL) {
				ro_buf_printf(b, "%s\r\n", sim_v_tostr(ps, v));
			}
			i++;
			continue;
		}
		/* A run of objects of one type forms one table (or list). */
		size_t j = i;
		while (j < vals->n && vals->items[j]->k == SIM_V_OBJ && vals->items[j]->s == v->s)
			j++;
		const char *cols = cols_override ? cols_override : v->view;
		const char *names[32];
		size_t nc = 0;
		if (cols) {
			char *c = ro_arena_strdup(ps->a, cols);
			for (char *t = strtok(c, ","); t && nc < 32; t = strtok(NULL, ","))
				names[nc++] = t;
		} else {
			for (size_t k = 0; k < v->n && nc < 32; k++)
				names[nc++] = v->names[k];
		}
		if (list || (!cols && nc > 4)) {
			size_t w = 0;
			for (size_t k = 0; k < nc; k++)
				if (strlen(names[k]) > w)
					w = strlen(names[k]);
			ro_buf_adds(b, "\r\n");
			for (size_t r = i; r < j; r++) {
				for (size_t k = 0; k < nc; k++)
					ro_buf_printf(b, "%-*s : %s\r\n", (int)w, names[k], prop_str(ps, vals->items[r], names[k]));
				ro_buf_adds(b, "\r\n");
			}
		} else {
			size_t w[32];
			for (size_t k = 0; k < nc; k++) {
				w[k] = strlen(names[k]);
				for (size_t r = i; r < j; r++) {
					size_t l = strlen(prop_str(ps, vals->items[r], names[k]));
					if (l > w[k])
						w[k] = l;
				}
			}
			ro_buf_adds(b, "\r\n");
			for (size_t k = 0; k < nc; k++)
				ro_buf_printf(b, k + 1 < nc ? "%-*s " : "%.*s", k + 1 < nc ? (int)w[k] : (int)strlen(names[k]), names[k]);
			ro_buf_adds(b, "\r\n");
			for (size_t k = 0; k < nc; k++) {
				for (size_t d = 0; d < (k + 1 < nc ? w[k] : strlen(names[k])); d++)
					ro_buf_addc(b, d < strlen(names[k]) ? '-' : ' ');
				if (k + 1 < nc)
					ro_buf_addc(b, ' ');
			}
			ro_buf_adds(b, "\r\n");
			for (size_t r = i; r < j; r++) {
				for (size_t k = 0; k < nc; k++)
					ro_buf_printf(b, k + 1 < nc ? "%-*s " : "%.*s", k + 1 < nc ? (int)w[k] : 4096,
					    prop_str(ps, vals->items[r], names[k]));
				ro_buf_adds(b, "\r\n");
			}
			ro_buf_adds(b, "\r\n\r\n");
		}
		i = j;
	}
}

void
sim_ps_format(struct sim_ps *ps, struct ro_buf *b, const struct sim_val *v)
{
	struct sim_val *a = sim_v_arr(ps);
	emit(ps, a, (struct sim_val *)v);
	format_values(ps, b, a, NULL, 0);
}

static const char *
cols_of(struct sim_ps *ps, const struct sim_call *c)
{
	struct sim_val *p = sim_call_param(c, "Property");
	if (p == NULL)
		p = sim_call_pos(c, 0);
	if (p == NULL)
		return NULL;
	if (p->k == SIM_V_STR && strcmp(p->s, "*") == 0)
		return NULL;
	return join_items(ps, as_array(ps, p), ",");
}

/* The cmdlets that only shape data. Returns SIM_NOTFOUND for the others. */
static int
generic_cmdlet(struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	const char *n = c->name;
	struct sim_val *in = c->input;
	if (strcasecmp(n, "Where-Object") == 0 || strcasecmp(n, "where") == 0 || strcmp(n, "?") == 0) {
		struct sim_val *blk = sim_call_pos(c, 0);
		if (blk == NULL || blk->k != SIM_V_BLOCK) {
			unsupported(ps, "Where-Object without a script block");
			return 0;
		}
		for (size_t i = 0; i < in->n && !ps->flow; i++)
			if (sim_v_truthy(run_block(ps, blk, in->items[i], NULL)))
				sim_v_push(ps, out, in->items[i]);
		return 0;
	}
	if (strcasecmp(n, "ForEach-Object") == 0 || strcasecmp(n, "foreach") == 0 || strcmp(n, "%") == 0) {
		struct sim_val *blk = sim_call_pos(c, 0);
		if (blk == NULL || blk->k != SIM_V_BLOCK) {
			unsupported(ps, "ForEach-Object without a script block");
			return 0;
		}
		for (size_t i = 0; i < in->n && !ps->flow; i++) {
			struct sim_val *o = sim_v_arr(ps);
			run_block(ps, blk, in->items[i], o);
			for (size_t k = 0; k < o->n; k++)
				sim_v_push(ps, out, o->items[k]);
		}
		return 0;
	}
	if (strcasecmp(n, "Sort-Object") == 0 || strcasecmp(n, "sort") == 0) {
		struct sim_val *p = sim_call_param(c, "Property");
		if (p == NULL)
			p = sim_call_pos(c, 0);
		struct sim_val *a = sim_v_arr(ps);
		emit(ps, a, in);
		sort_ps = ps;
		sort_key = p ? sim_v_tostr(ps, as_array(ps, p)->items[0]) : NULL;
		if (a->n > 1)
			qsort(a->items, a->n, sizeof(a->items[0]), sort_cmp);
		sort_key = NULL;
		int uniq = sim_call_switch(c, "Unique"), desc = sim_call_switch(c, "Descending");
		for (size_t k = 0; k < a->n; k++) {
			size_t i = desc ? a->n - 1 - k : k;
			int ok;
			if (uniq && out->n && compare(ps, out->items[out->n - 1], a->items[i], &ok) == 0)
				continue;
			sim_v_push(ps, out, a->items[i]);
		}
		return 0;
	}
	if (strcasecmp(n, "Select-Object") == 0 || strcasecmp(n, "select") == 0) {
		int64_t first = -1, last = -1;
		struct sim_val *f = sim_call_param(c, "First"), *l = sim_call_param(c, "Last");
		if (f)
			(void)sim_v_toint(f, &first);
		if (l)
			(void)sim_v_toint(l, &last);
		struct sim_val *ex = sim_call_param(c, "ExpandProperty");
		const char *cols = f || l ? NULL : cols_of(ps, c);
		for (size_t i = 0; i < in->n; i++) {
			if (first >= 0 && (int64_t)i >= first)
				break;
			if (last >= 0 && (int64_t)(in->n - i) > last)
				continue;
			struct sim_val *v = in->items[i];
			if (ex)
				emit(ps, out, member(ps, v, sim_v_tostr(ps, ex)));
			else if (cols) {
				struct sim_val *o = sim_v_obj(ps, "Selected", NULL);
				char *cc = ro_arena_strdup(ps->a, cols);
				for (char *t = strtok(cc, ","); t; t = strtok(NULL, ","))
					sim_v_set(ps, o, t, member(ps, v, t));
				sim_v_push(ps, out, o);
			} else
				sim_v_push(ps, out, v);
		}
		return 0;
	}
	if (strcasecmp(n, "Format-Table") == 0 || strcasecmp(n, "ft") == 0 ||
	    strcasecmp(n, "Format-List") == 0 || strcasecmp(n, "fl") == 0 ||
	    strcasecmp(n, "Out-String") == 0) {
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_adds(&b, "");
		int list = tolower((unsigned char)n[strlen(n) - 1]) == 't' && n[0] != 'O' && n[0] != 'o';
		list = strcasecmp(n, "Format-List") == 0 || strcasecmp(n, "fl") == 0;
		format_values(ps, &b, in, n[0] == 'O' || n[0] == 'o' ? NULL : cols_of(ps, c), list);
		if (n[0] == 'O' || n[0] == 'o') {
			sim_v_push(ps, out, sim_v_str(ps, b.p));
		} else {
			struct sim_val *t = sim_v_obj(ps, "#text", NULL);
			sim_v_set(ps, t, "text", sim_v_str(ps, b.p));
			sim_v_push(ps, out, t);
		}
		ro_buf_free(&b);
		return 0;
	}
	if (strcasecmp(n, "Out-Null") == 0)
		return 0;
	if (strcasecmp(n, "Write-Output") == 0 || strcasecmp(n, "echo") == 0) {
		for (size_t i = 0; i < c->nargs; i++)
			if (c->args[i].val)
				emit(ps, out, c->args[i].val);
		emit(ps, out, in);
		return 0;
	}
	if (strcasecmp(n, "Write-Host") == 0) {
		for (size_t i = 0; i < c->nargs; i++)
			if (c->args[i].param == NULL)
				ro_buf_printf(ps->out, "%s%s", i ? " " : "", sim_v_tostr(ps, c->args[i].val));
		ro_buf_adds(ps->out, "\r\n");
		return 0;
	}
	if (strcasecmp(n, "Write-Error") == 0) {
		const char *m = sim_call_str(ps, c, "Message", 0);
		if (m == NULL && in->n)
			m = sim_v_tostr(ps, in->items[0]);
		error_block2(ps, c->text, c->text, m ? m : "", "NotSpecified: (:) [Write-Error], WriteErrorException",
		    "Microsoft.PowerShell.Commands.WriteErrorException", 0);
		return 0;
	}
	if (strcasecmp(n, "Join-Path") == 0) {
		const char *a = sim_call_str(ps, c, "Path", 0), *b = sim_call_str(ps, c, "ChildPath", 1);
		if (a == NULL || b == NULL) {
			sim_ps_error(ps, c, "InvalidArgument: (:) [Join-Path], ParameterBindingException",
			    "MissingArgument,Microsoft.PowerShell.Commands.JoinPathCommand",
			    "Cannot bind argument to parameter 'Path' because it is null.");
			return 0;
		}
		size_t l = strlen(a);
		sim_v_push(ps, out, sim_v_strf(ps, "%s%s%s", a, l && a[l - 1] == '\\' ? "" : "\\", b));
		return 0;
	}
	if (strcasecmp(n, "Get-Date") == 0) {
		struct sim_val *d = sim_v_date(ps, ps->now);
		const char *f = sim_call_str(ps, c, "Format", (size_t)-1);
		if (f) {
			struct sim_val *arg = sim_v_str(ps, f);
			d = method(ps, d, "ToString", &arg, 1);
		}
		sim_v_push(ps, out, d);
		return 0;
	}
	if (strcasecmp(n, "Measure-Object") == 0) {
		struct sim_val *o = sim_v_obj(ps, "GenericMeasureInfo", "Count");
		sim_v_set(ps, o, "Count", sim_v_int(ps, (int64_t)in->n));
		sim_v_push(ps, out, o);
		return 0;
	}
	return SIM_NOTFOUND;
}

static void
not_recognized(struct sim_ps *ps, const char *name)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "The term '%s' is not recognized as the name of a cmdlet, function, "
	    "script file, or operable program. Check the spelling of the name, or if a path was "
	    "included, verify that the path is correct and try again.", name);
	char cat[300];
	snprintf(cat, sizeof(cat), "ObjectNotFound: (%s:String) [], CommandNotFoundException", name);
	error_block(ps, name, msg, cat, "CommandNotFoundException", 0);
}

static void
run_command(struct sim_ps *ps, struct node *n, struct sim_val *input, struct sim_val *out)
{
	struct sim_call c = { .name = n->s, .input = input };
	c.args = ro_arena_alloc(ps->a, (n->n + 1) * sizeof(*c.args));
	c.text = ps->script && n->end > n->pos && n->end <= strlen(ps->script) ?
	    ro_arena_strndup(ps->a, ps->script + n->pos, n->end - n->pos) : n->s;
	int saved_ea = ps->error_action_stop;
	for (size_t i = 0; i < n->n && !ps->flow; i++) {
		struct node *a = n->v[i];
		struct sim_arg *arg = &c.args[c.nargs];
		if (a->k == N_PARAM) {
			arg->param = a->s;
			if (a->op == 1)
				arg->val = eval(ps, a->a);
			else if (!is_switch(a->s) && i + 1 < n->n && n->v[i + 1]->k != N_PARAM)
				arg->val = eval(ps, n->v[++i]);
			else
				arg->val = NULL;
			if (strcasecmp(a->s, "ErrorAction") == 0 || strcasecmp(a->s, "EA") == 0) {
				const char *v = arg->val ? sim_v_tostr(ps, arg->val) : "";
				ps->error_action_stop = strcasecmp(v, "Stop") == 0 ? 1 :
				    (strcasecmp(v, "SilentlyContinue") == 0 || strcasecmp(v, "Ignore") == 0) ? -1 : 0;
				continue;
			}
		} else {
			arg->param = NULL;
			arg->val = eval(ps, a);
		}
		c.nargs++;
	}
	if (ps->flow) {
		ps->error_action_stop = saved_ea;
		return;
	}
	if (ps->calls) {
		ro_buf_adds(ps->calls, ps->calls->len ? " " : "");
		ro_buf_adds(ps->calls, n->s);
	}
	int rc = generic_cmdlet(ps, &c, out);
	if (rc == SIM_NOTFOUND && ps->ops && ps->ops->command)
		rc = ps->ops->command(ps, &c, out);
	if (rc == SIM_NOTFOUND)
		not_recognized(ps, n->s);
	ps->error_action_stop = saved_ea;
}

static void
exec_pipeline(struct sim_ps *ps, struct node *p, struct sim_val *out)
{
	struct sim_val *cur = sim_v_arr(ps);
	for (size_t i = 0; i < p->n && !ps->flow; i++) {
		struct node *e = p->v[i];
		struct sim_val *next = sim_v_arr(ps);
		if (e->k == N_CMD) {
			run_command(ps, e, cur, next);
		} else if (i == 0) {
			struct sim_val *v = eval(ps, e);
			if (e->k == N_INCR)
				v = NULL;
			emit(ps, next, v);
		} else {
			error_block(ps, "", "Expressions are only allowed as the first element of a pipeline.",
			    "ParserError: (:) [], ParentContainsErrorRecordException",
			    "ExpressionsMustBeFirstInPipeline", 1);
			return;
		}
		cur = next;
	}
	for (size_t i = 0; i < cur->n; i++)
		sim_v_push(ps, out, cur->items[i]);
}

/*
 * One pass of a loop's body block. A continue ends only this pass; a break ends the loop,
 * and then this returns 1. Either is consumed here; other flow (return, throw) is left set.
 */
static int
exec_loop_body(struct sim_ps *ps, struct node *body, struct sim_val *out)
{
	exec_script(ps, body->a, out);
	if (ps->flow == FLOW_CONTINUE)
		ps->flow = FLOW_NONE;
	if (ps->flow == FLOW_BREAK) {
		ps->flow = FLOW_NONE;
		return 1;
	}
	return 0;
}

static void
exec_stmt(struct sim_ps *ps, struct node *n, struct sim_val *out)
{
	if (ps->flow)
		return;
	switch (n->k) {
	case N_IF:
		for (size_t i = 0; i + 1 < n->n; i += 2) {
			struct sim_val *c = sim_v_arr(ps);
			exec_pipeline(ps, n->v[i], c);
			if (ps->flow)
				return;
			if (sim_v_truthy(collapse(ps, c))) {
				exec_script(ps, n->v[i + 1]->a, out);
				return;
			}
		}
		if (n->c)
			exec_script(ps, n->c->a, out);
		return;
	case N_FOREACH: {
		struct sim_val *c = sim_v_arr(ps);
		exec_pipeline(ps, n->b, c);
		for (size_t i = 0; i < c->n && !ps->flow; i++) {
			sim_ps_set_var(ps, n->a->s, c->items[i]);
			if (exec_loop_body(ps, n->c, out))
				break;
		}
		return;
	}
	case N_WHILE: {
		for (int guard = 0; guard < 100000 && !ps->flow; guard++) {
			struct sim_val *c = sim_v_arr(ps);
			exec_pipeline(ps, n->a, c);
			if (!sim_v_truthy(collapse(ps, c)))
				break;
			if (exec_loop_body(ps, n->b, out))
				break;
		}
		return;
	}
	case N_TRY:
		exec_script(ps, n->a->a, out);
		if (ps->flow == FLOW_THROW && n->b) {
			ps->flow = FLOW_NONE;
			sim_ps_set_var(ps, "_", ps->thrown ? ps->thrown : sim_v_null(ps));
			ps->thrown = NULL;
			exec_script(ps, n->b->a, out);
		}
		if (n->c) {
			int f = ps->flow;
			ps->flow = FLOW_NONE;
			exec_script(ps, n->c->a, out);
			if (ps->flow == FLOW_NONE)
				ps->flow = f;
		}
		return;
	case N_EXIT: {
		int64_t code = 0;
		if (n->a) {
			struct sim_val *v = eval(ps, n->a);
			if (sim_v_toint(v, &code) != 0)
				code = 0;
		}
		ps->exit_code = (int)code;
		ps->exited = 1;
		ps->flow = FLOW_EXIT;
		return;
	}
	case N_RETURN:
		if (n->a)
			exec_pipeline(ps, n->a, out);
		if (!ps->flow)
			ps->flow = FLOW_RETURN;
		return;
	case N_BREAK: ps->flow = FLOW_BREAK; return;
	case N_CONTINUE: ps->flow = FLOW_CONTINUE; return;
	case N_THROW: {
		struct sim_val *v = n->a ? eval(ps, n->a) : sim_v_str(ps, "ScriptHalted");
		const char *m = sim_v_tostr(ps, v);
		ro_buf_printf(ps->err, "%s\r\nAt line:1 char:1\r\n+ throw\r\n    + CategoryInfo          : OperationStopped: (%s:String) [], RuntimeException\r\n    + FullyQualifiedErrorId : %s\r\n\r\n", m, m, m);
		ps->ok = 0;
		ps->flow = FLOW_THROW;
		ps->thrown = v;
		return;
	}
	case N_ASSIGN: {
		struct sim_val *o = sim_v_arr(ps);
		exec_stmt(ps, n->b, o);
		if (ps->flow)
			return;
		struct sim_val *v = n->b->k == N_PIPE && n->b->n == 1 && n->b->v[0]->k != N_CMD &&
		    n->b->v[0]->k == N_SUB && n->b->v[0]->op == '@' ? as_array(ps, collapse(ps, o)) : collapse(ps, o);
		if (n->op != '=') {
			struct sim_val *cur = eval(ps, n->a);
			v = binop(ps, n->op, cur, v);
		}
		assign(ps, n->a, v);
		return;
	}
	case N_PIPE:
		exec_pipeline(ps, n, out);
		return;
	default: {
		struct sim_val *v = eval(ps, n);
		emit(ps, out, v);
	}
	}
}

static void
exec_script(struct sim_ps *ps, struct node *s, struct sim_val *out)
{
	for (size_t i = 0; i < s->n && !ps->flow; i++) {
		if (s->v[i]->k == N_PIPE || s->v[i]->k == N_ASSIGN)
			ps->ok = 1;
		exec_stmt(ps, s->v[i], out);
	}
}

void
sim_ps_init(struct sim_ps *ps, struct ro_arena *a, struct ro_buf *out, struct ro_buf *err,
    const struct sim_ps_ops *ops, void *ctx)
{
	memset(ps, 0, sizeof(*ps));
	ps->a = a;
	ps->out = out;
	ps->err = err;
	ps->ops = ops;
	ps->ctx = ctx;
	ps->ok = 1;
	ps->tz_minutes = 540;
	ps->now = (int64_t)time(NULL);
}

/*
 * PowerShell's tokenizer reads U+2018..U+201B as single quotes and
 * U+201C..U+201E as double quotes, wherever ASCII quotes would be read
 * (rollout's templating relies on this being emulated). The script is
 * parsed with them turned into their ASCII forms: the same structure, and
 * only a quote character inside a string literal differs.
 */
static const char *
ascii_quotes(struct sim_ps *ps, const char *script)
{
	if (strstr(script, "\xe2\x80") == NULL)
		return script;
	char *t = ro_arena_strdup(ps->a, script), *w = t;
	for (const unsigned char *u = (const unsigned char *)script; *u;) {
		if (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9e) {
			*w++ = u[2] <= 0x9b ? '\'' : '"';
			u += 3;
		} else
			*w++ = (char)*u++;
	}
	*w = '\0';
	return t;
}

int
sim_ps_run(struct sim_ps *ps, const char *script)
{
	script = ascii_quotes(ps, script);
	struct parser P = { .ps = ps, .src = script, .p = 0 };
	ps->script = script;
	struct node *root = parse_statements(&P, '\0');
	if (root == NULL || P.err) {
		size_t at = P.errpos < strlen(script) ? P.errpos : strlen(script);
		ro_buf_printf(ps->err, "At line:1 char:%zu\r\n+ %s\r\n+ %*s~\r\n%s\r\n"
		    "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\r\n"
		    "    + FullyQualifiedErrorId : %s\r\n\r\n", at + 1, script, (int)at, "",
		    P.err ? P.err : "Unexpected token in expression or statement.",
		    strstr(P.err ? P.err : "", "rollout-sim") ? "RolloutSimNotEmulated" : "UnexpectedToken");
		if (P.err && strstr(P.err, "rollout-sim"))
			ps->unsupported = 1;
		return 1;
	}
	for (size_t i = 0; i < root->n; i++) {
		struct sim_val *out = sim_v_arr(ps);
		if (root->v[i]->k == N_PIPE || root->v[i]->k == N_ASSIGN)
			ps->ok = 1;
		exec_stmt(ps, root->v[i], out);
		format_values(ps, ps->out, out, NULL, 0);
		if (ps->flow == FLOW_EXIT)
			return ps->exit_code;
		if (ps->flow == FLOW_THROW) {
			if (ps->exited)
				return ps->exit_code;
			return 1;
		}
		if (ps->flow == FLOW_RETURN)
			break;
		ps->flow = FLOW_NONE;
	}
	return ps->ok ? 0 : 1;
}
