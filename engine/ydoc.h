/*
 * ydoc.h - a YAML file as a tree of nodes that remember where they were.
 *
 * libyaml's event parser builds the tree; every node keeps its 1-based line
 * and column so that validation errors can point at file:line:col. Inputs are
 * bounded: files over RO_YDOC_MAX_BYTES, nesting over RO_YDOC_MAX_DEPTH,
 * anchors/aliases (alias bombs), several documents, and duplicate mapping keys
 * are refused with a diagnostic.
 */
#ifndef RO_YDOC_H
#define RO_YDOC_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

#define RO_YDOC_MAX_BYTES (8u * 1024 * 1024)
#define RO_YDOC_MAX_DEPTH 64

enum ro_ykind { RO_YSCALAR, RO_YSEQ, RO_YMAP };

struct ro_ynode {
	enum ro_ykind kind;
	int line;
	int col;
	int plain;              /* scalar: written without quotes */
	const char *str;        /* scalar: NUL-terminated text */
	size_t n;               /* seq: items; map: pairs */
	struct ro_ynode **items; /* seq: n items; map: key0, val0, key1, val1 ... */
};

struct ro_ydoc {
	const char *path;
	struct ro_ynode *root;   /* NULL for an empty file */
	uint8_t sha256[32];      /* of the file's bytes */
	struct ro_arena arena;
};

/* ro_ydoc_load reads and parses path. On error appends diagnostics and
 * returns RO_EINVAL (or RO_EIO when unreadable); *out is then NULL. */
int ro_ydoc_load(const char *path, struct ro_ydoc **out, struct ro_diags *d);
/* ro_ydoc_parse parses a buffer; name is used in diagnostics. */
int ro_ydoc_parse(const char *name, const char *buf, size_t len, struct ro_ydoc **out,
    struct ro_diags *d);
void ro_ydoc_free(struct ro_ydoc *doc);

/* Map access. Keys are compared exactly. */
struct ro_ynode *ro_ymap_get(const struct ro_ynode *map, const char *key);
#define RO_YMAP_KEY(m, i) ((m)->items[2 * (i)])
#define RO_YMAP_VAL(m, i) ((m)->items[2 * (i) + 1])

const char *ro_ykind_name(enum ro_ykind k);

#endif
