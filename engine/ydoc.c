/* ydoc.c - libyaml events to a located node tree, with input limits. */
#include "ydoc.h"
#include "error.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* A collection being built: its node and a growable list of children. */
struct frame {
	struct ro_ynode *node;
	struct ro_ynode **kids;
	size_t n;
	size_t cap;
};

const char *
ro_ykind_name(enum ro_ykind k)
{
	switch (k) {
	case RO_YSCALAR: return "a scalar";
	case RO_YSEQ: return "a sequence";
	case RO_YMAP: return "a mapping";
	}
	return "?";
}

struct ro_ynode *
ro_ymap_get(const struct ro_ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != RO_YMAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		const struct ro_ynode *k = RO_YMAP_KEY(map, i);
		if (k->kind == RO_YSCALAR && strcmp(k->str, key) == 0)
			return RO_YMAP_VAL(map, i);
	}
	return NULL;
}

static int
cmp_keyp(const void *a, const void *b)
{
	const struct ro_ynode *x = *(struct ro_ynode *const *)a;
	const struct ro_ynode *y = *(struct ro_ynode *const *)b;
	int c = strcmp(x->str, y->str);

	if (c)
		return c;
	return x->line != y->line ? x->line - y->line : x->col - y->col;
}

/* Reports keys that appear twice; the second occurrence is the error. */
static int
check_dup_keys(const char *name, struct ro_ynode *map, struct ro_diags *d)
{
	struct ro_ynode **keys;
	size_t i, nk = 0;
	int bad = 0;

	if (map->n < 2)
		return 0;
	keys = ro_xmalloc(map->n * sizeof *keys);
	for (i = 0; i < map->n; i++)
		if (RO_YMAP_KEY(map, i)->kind == RO_YSCALAR)
			keys[nk++] = RO_YMAP_KEY(map, i);
	qsort(keys, nk, sizeof *keys, cmp_keyp);
	for (i = 1; i < nk; i++) {
		if (strcmp(keys[i - 1]->str, keys[i]->str) == 0) {
			char *hint = ro_xasprintf("the first '%s' is at line %d; remove or rename one",
			    keys[i]->str, keys[i - 1]->line);
			ro_diag_add(d, name, keys[i]->line, keys[i]->col, hint,
			    "duplicate key '%s'", keys[i]->str);
			free(hint);
			bad = 1;
		}
	}
	free(keys);
	return bad;
}

/* The 1-based line and column of byte offset off in buf (columns count
 * bytes: the text before an encoding error cannot be trusted to decode). */
static void
offset_position(const char *buf, size_t len, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static void
parser_error(const char *name, const char *buf, size_t len, yaml_parser_t *p,
    struct ro_diags *d)
{
	const char *hint = NULL;
	const char *problem = p->problem ? p->problem : "syntax error";
	yaml_mark_t m = p->problem_mark;
	int line, col;

	if (p->error == YAML_READER_ERROR) {
		offset_position(buf, len, p->problem_offset, &line, &col);
		hint = "rollout files must be UTF-8; convert the file (e.g. iconv -f SHIFT_JIS -t UTF-8)";
		ro_diag_add(d, name, line, col, hint, "not valid UTF-8 (byte offset %zu): %s",
		    p->problem_offset, problem);
		return;
	}
	if (p->context && strstr(p->context, "quoted scalar")) {
		/* The end of the file is where it was noticed; the opening quote is
		 * where the mistake is. */
		ro_diag_add(d, name, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1,
		    "add the closing quote; the string runs on to the end of the file",
		    "a quoted string that starts here is never closed");
		return;
	}
	if (strstr(problem, "cannot start any token"))
		hint = "YAML does not allow tab characters for indentation; indent with spaces";
	else if (strstr(problem, "did not find expected ','"))
		hint = "inside { } or [ ], quote values that contain [ ] { } or a comma, e.g. range: \"kita-t[01:13]\"";
	else if (strstr(problem, "mapping values are not allowed"))
		hint = "a value contains ': '; quote the whole value";
	if (p->context)
		ro_diag_add(d, name, (int)m.line + 1, (int)m.column + 1, hint,
		    "invalid YAML: %s %s (line %d)", problem, p->context,
		    (int)p->context_mark.line + 1);
	else
		ro_diag_add(d, name, (int)m.line + 1, (int)m.column + 1, hint,
		    "invalid YAML: %s", problem);
}

int
ro_ydoc_parse(const char *name, const char *buf, size_t len, struct ro_ydoc **out,
    struct ro_diags *d)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ro_ydoc *doc;
	struct frame *stack = NULL;
	size_t depth = 0, stack_cap = 0;
	int rc = RO_OK, done = 0, docs = 0;
	size_t ndiag0 = d->n + d->dropped;

	*out = NULL;
	doc = ro_xcalloc(1, sizeof *doc);
	ro_arena_init(&doc->arena);
	doc->path = ro_arena_strdup(&doc->arena, name);
	crypto_hash_sha256(doc->sha256, (const unsigned char *)buf, len);

	if (!yaml_parser_initialize(&parser)) {
		ro_ydoc_free(doc);
		return RO_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	while (!done) {
		struct ro_ynode *node = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(name, buf, len, &parser, d);
			rc = RO_EINVAL;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				ro_diag_add(d, name, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "keep one document per file; split the rest into its own file",
				    "more than one YAML document in the file");
				rc = RO_EINVAL;
				done = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			ro_diag_add(d, name, (int)ev.start_mark.line + 1,
			    (int)ev.start_mark.column + 1,
			    "write the value out in full; rollout refuses aliases so that no file can expand without bound",
			    "YAML aliases (*%s) are not supported", ev.data.alias.anchor);
			rc = RO_EINVAL;
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor = ev.type == YAML_SCALAR_EVENT ?
			    ev.data.scalar.anchor : ev.type == YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
			if (anchor) {
				ro_diag_add(d, name, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "remove the &anchor and write values out in full",
				    "YAML anchors (&%s) are not supported", anchor);
				rc = RO_EINVAL;
				done = 1;
				break;
			}
			node = ro_arena_alloc(&doc->arena, sizeof *node);
			node->line = (int)ev.start_mark.line + 1;
			node->col = (int)ev.start_mark.column + 1;
			if (ev.type == YAML_SCALAR_EVENT) {
				node->kind = RO_YSCALAR;
				node->str = ro_arena_strndup(&doc->arena,
				    (const char *)ev.data.scalar.value, ev.data.scalar.length);
				node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if (strlen(node->str) != ev.data.scalar.length) {
					ro_diag_add(d, name, node->line, node->col,
					    "remove the \\0 escape", "a NUL character in a value");
					rc = RO_EINVAL;
					done = 1;
					break;
				}
			} else {
				node->kind = ev.type == YAML_SEQUENCE_START_EVENT ? RO_YSEQ : RO_YMAP;
			}
			/* Attach to the parent collection, or make it the root. */
			if (depth > 0) {
				struct frame *f = &stack[depth - 1];
				if (f->n == f->cap) {
					f->cap = f->cap ? f->cap * 2 : 8;
					f->kids = ro_xrealloc(f->kids, f->cap * sizeof *f->kids);
				}
				f->kids[f->n++] = node;
			} else {
				doc->root = node;
			}
			if (node->kind != RO_YSCALAR) {
				if (depth >= RO_YDOC_MAX_DEPTH) {
					ro_diag_add(d, name, node->line, node->col,
					    "flatten the structure; rollout files never need this depth",
					    "nesting deeper than %d levels", RO_YDOC_MAX_DEPTH);
					rc = RO_EINVAL;
					done = 1;
					break;
				}
				if (depth == stack_cap) {
					stack_cap = stack_cap ? stack_cap * 2 : 16;
					stack = ro_xrealloc(stack, stack_cap * sizeof *stack);
				}
				stack[depth++] = (struct frame){ .node = node };
			}
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct frame *f;
			assert(depth > 0);
			f = &stack[--depth];
			f->node->items = ro_arena_alloc(&doc->arena,
			    (f->n ? f->n : 1) * sizeof *f->node->items);
			if (f->n)
				memcpy(f->node->items, f->kids, f->n * sizeof *f->kids);
			f->node->n = f->node->kind == RO_YMAP ? f->n / 2 : f->n;
			free(f->kids);
			f->kids = NULL;
			if (f->node->kind == RO_YMAP && check_dup_keys(name, f->node, d))
				rc = RO_EINVAL;
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (depth > 0)
		free(stack[--depth].kids);
	free(stack);
	yaml_parser_delete(&parser);
	if (rc == RO_OK && d->n + d->dropped != ndiag0)
		rc = RO_EINVAL;
	if (rc != RO_OK) {
		ro_ydoc_free(doc);
		return rc;
	}
	*out = doc;
	return RO_OK;
}

int
ro_ydoc_load(const char *path, struct ro_ydoc **out, struct ro_diags *d)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ro_diag_add(d, path, 0, 0, errno == ENOENT ? "check the path" : NULL,
		    "cannot open: %s", strerror(errno));
		return RO_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ro_diag_add(d, path, 0, 0, "give the path of a YAML file", "not a regular file");
		close(fd);
		return RO_EIO;
	}
	if ((uintmax_t)st.st_size > RO_YDOC_MAX_BYTES) {
		ro_diag_add(d, path, 0, 0,
		    "split the inventory into several files, or use host ranges",
		    "file is %jd bytes; the limit is %u bytes (8 MiB)", (intmax_t)st.st_size,
		    RO_YDOC_MAX_BYTES);
		close(fd);
		return RO_EINVAL;
	}
	buf = ro_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		ro_diag_add(d, path, 0, 0, NULL, "short read: the file changed while being read");
		free(buf);
		return RO_EIO;
	}
	buf[got] = '\0';
	rc = ro_ydoc_parse(path, buf, got, out, d);
	free(buf);
	return rc;
}

void
ro_ydoc_free(struct ro_ydoc *doc)
{
	if (doc == NULL)
		return;
	ro_arena_free(&doc->arena);
	free(doc);
}
