/* util.c - checked allocation, growable buffers, JSON escaping. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include <sodium.h>

static void
oom(void)
{
	fputs("rollout: out of memory\n", stderr);
	abort();
}

void *
ro_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
ro_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
ro_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
ro_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(ro_xmalloc(n), s, n);
}

char *
ro_xasprintf(const char *fmt, ...)
{
	struct ro_buf b;
	va_list ap;

	ro_buf_init(&b);
	va_start(ap, fmt);
	ro_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.p;
}

void
ro_buf_init(struct ro_buf *b)
{
	b->cap = 64;
	b->len = 0;
	b->p = ro_xmalloc(b->cap);
	b->p[0] = '\0';
}

void
ro_buf_free(struct ro_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
reserve(struct ro_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	while (b->len + extra + 1 > b->cap)
		b->cap *= 2;
	b->p = ro_xrealloc(b->p, b->cap);
}

void
ro_buf_add(struct ro_buf *b, const void *data, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
ro_buf_adds(struct ro_buf *b, const char *s)
{
	ro_buf_add(b, s, strlen(s));
}

void
ro_buf_addc(struct ro_buf *b, char c)
{
	reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
ro_buf_vprintf(struct ro_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		reserve(b, (size_t)n);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
ro_buf_printf(struct ro_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ro_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
ro_buf_json_str(struct ro_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	if (s == NULL) {
		ro_buf_adds(b, "null");
		return;
	}
	ro_buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': ro_buf_adds(b, "\\\""); break;
		case '\\': ro_buf_adds(b, "\\\\"); break;
		case '\n': ro_buf_adds(b, "\\n"); break;
		case '\r': ro_buf_adds(b, "\\r"); break;
		case '\t': ro_buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20) {
				char esc[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0 };
				ro_buf_adds(b, esc);
			} else
				ro_buf_addc(b, (char)*p);
		}
	}
	ro_buf_addc(b, '"');
}

void
ro_json_str(FILE *f, const char *s)
{
	struct ro_buf b;

	ro_buf_init(&b);
	ro_buf_json_str(&b, s);
	fputs(b.p, f);
	ro_buf_free(&b);
}

int
ro_streq_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int
ro_display_width(const char *s)
{
	mbstate_t st;
	size_t len = strlen(s), n;
	int w = 0;
	wchar_t wc;

	memset(&st, 0, sizeof st);
	while (len > 0) {
		n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* Not valid in this locale: count bytes, restart the state. */
			memset(&st, 0, sizeof st);
			w++;
			s++;
			len--;
			continue;
		}
		if (n == 0)
			break;
		w += wcwidth(wc) > 0 ? wcwidth(wc) : 0;
		s += n;
		len -= n;
	}
	return w;
}

void
ro_fput_padded(FILE *f, const char *s, int width)
{
	int w = ro_display_width(s);

	fputs(s, f);
	for (; w < width; w++)
		fputc(' ', f);
}

void
ro_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
ro_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t len = 0;

	return s != NULL && strlen(s) == 2 * n &&
	    sodium_hex2bin(out, n, s, 2 * n, NULL, &len, NULL) == 0 && len == n;
}

/* utf8_len is the length of the well-formed UTF-8 sequence at p (1-4), or
 * 0 when p does not start one; *cp receives its code point. */
static int
utf8_len(const unsigned char *p, unsigned *cp)
{
	int n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, *cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, *cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, *cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* shown_raw: whether code point cp may reach a terminal as it is. */
static int
shown_raw(unsigned cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return 0; /* C0, DEL, C1 (0x9b is CSI on some terminals) */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029)
		return 0; /* bidirectional overrides and line separators reorder text */
	return 1;
}

void
ro_buf_add_safe(struct ro_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	unsigned cp;
	int n;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p; p += n) {
		n = utf8_len(p, &cp);
		if (n == 0) {
			char esc[5] = { '\\', 'x', hex[*p >> 4], hex[*p & 15], 0 };
			ro_buf_adds(b, esc);
			n = 1;
		} else if (shown_raw(cp))
			ro_buf_add(b, p, (size_t)n);
		else if (cp == '\n')
			ro_buf_adds(b, "\\n");
		else if (cp == '\r')
			ro_buf_adds(b, "\\r");
		else if (cp == '\t')
			ro_buf_adds(b, "\\t");
		else if (cp < 0x80) {
			char esc[5] = { '\\', 'x', hex[cp >> 4], hex[cp & 15], 0 };
			ro_buf_adds(b, esc);
		} else
			ro_buf_printf(b, "\\u%04x", cp);
	}
}

char *
ro_safe(const char *s)
{
	struct ro_buf b;

	if (s == NULL)
		return NULL;
	ro_buf_init(&b);
	ro_buf_add_safe(&b, s);
	if (b.p == NULL)
		return ro_xstrdup("");
	return b.p;
}

void
ro_safe_replace(char **s)
{
	char *e;

	if (*s == NULL)
		return;
	e = ro_safe(*s);
	free(*s);
	*s = e;
}

char *
ro_dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		return ro_xstrdup(".");
	if (slash == file)
		return ro_xstrdup("/");
	return ro_xasprintf("%.*s", (int)(slash - file), file);
}
