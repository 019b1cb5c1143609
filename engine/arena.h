/*
 * arena.h - a bump allocator: many small objects freed all at once. The YAML
 * tree and the loaded model live in arenas so that a 100,000-host inventory
 * costs a handful of allocations rather than a million.
 */
#ifndef RO_ARENA_H
#define RO_ARENA_H

#include <stddef.h>

struct ro_arena_block;

struct ro_arena {
	struct ro_arena_block *head;
};

void ro_arena_init(struct ro_arena *a);
void ro_arena_free(struct ro_arena *a);
/* ro_arena_alloc returns zeroed memory aligned for any type. */
void *ro_arena_alloc(struct ro_arena *a, size_t n);
char *ro_arena_strdup(struct ro_arena *a, const char *s);
char *ro_arena_strndup(struct ro_arena *a, const char *s, size_t n);

#endif
