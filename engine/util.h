/*
 * util.h - small helpers every module uses: checked allocation, a growable
 * byte buffer, and JSON string escaping.
 */
#ifndef RO_UTIL_H
#define RO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Allocation that aborts on exhaustion: the CLI cannot do anything useful
 * without memory, and checking every small allocation hides the logic. */
void *ro_xmalloc(size_t n);
void *ro_xcalloc(size_t n, size_t size);
void *ro_xrealloc(void *p, size_t n);
char *ro_xstrdup(const char *s);
char *ro_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ro_dir_of returns the directory part of a file path, malloc'd: "." for a
 * bare name, "/" for a file in the root. */
char *ro_dir_of(const char *file);

#define RO_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A growable byte buffer, always NUL-terminated. */
struct ro_buf {
	char *p;
	size_t len;
	size_t cap;
};

void ro_buf_init(struct ro_buf *b);
void ro_buf_free(struct ro_buf *b);
void ro_buf_add(struct ro_buf *b, const void *data, size_t n);
void ro_buf_adds(struct ro_buf *b, const char *s);
void ro_buf_addc(struct ro_buf *b, char c);
void ro_buf_printf(struct ro_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ro_buf_vprintf(struct ro_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* ro_buf_json_str appends s as a quoted, escaped JSON string ("null" if NULL). */
void ro_buf_json_str(struct ro_buf *b, const char *s);

/* ro_json_str writes s to f as a quoted, escaped JSON string. */
void ro_json_str(FILE *f, const char *s);

/* ro_hex writes n bytes as 2n lower-case hex digits and a NUL into out. */
void ro_hex(const unsigned char *d, size_t n, char *out);

/* ro_unhex decodes s, which must be exactly 2n hex digits (either case) and
 * nothing else, into the n bytes of out: 1 if it was, else 0 (out is then
 * undefined). In constant time for the digits, since some are keys. */
int ro_unhex(const char *s, unsigned char *out, size_t n);

/* ro_display_width is the number of terminal columns s takes (CJK counts 2). */
int ro_display_width(const char *s);
/* ro_fput_padded writes s and pads it with spaces to width columns. */
void ro_fput_padded(FILE *f, const char *s, int width);

/*
 * Text that a person typed or a file held, made safe to show on a terminal:
 * control characters (C0, DEL, C1), bidirectional overrides, line
 * separators and bytes that are not well-formed UTF-8 are written as
 * escapes (\n \r \t, \x1b, \u009b, \u202e), so an `--as`, a comment or a
 * playbook string cannot move the cursor, retitle the window or hide the
 * text after it. Everything else, backslashes included, is shown as is.
 * JSON output needs none of this (ro_buf_json_str escapes for JSON).
 */
/* ro_buf_add_safe appends s escaped (nothing for NULL). */
void ro_buf_add_safe(struct ro_buf *b, const char *s);
/* ro_safe returns a malloc'd escaped copy of s (NULL for NULL). */
char *ro_safe(const char *s);
/* ro_safe_replace replaces the malloc'd string *s by its escaped copy. */
void ro_safe_replace(char **s);

/* ro_streq_ci compares ASCII case-insensitively. */
int ro_streq_ci(const char *a, const char *b);

#endif
