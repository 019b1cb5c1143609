/* arena.c - bump allocation in 64 KiB blocks (larger requests get their own). */
#include "arena.h"
#include "util.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64 * 1024)

struct ro_arena_block {
	struct ro_arena_block *next;
	size_t used;
	size_t cap;
	alignas(max_align_t) unsigned char data[];
};

void
ro_arena_init(struct ro_arena *a)
{
	a->head = NULL;
}

void
ro_arena_free(struct ro_arena *a)
{
	struct ro_arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

void *
ro_arena_alloc(struct ro_arena *a, size_t n)
{
	struct ro_arena_block *b = a->head;
	size_t align = alignof(max_align_t);
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
		b = ro_xmalloc(sizeof *b + cap);
		b->used = 0;
		b->cap = cap;
		if (cap == BLOCK_SIZE || a->head == NULL) {
			b->next = a->head;
			a->head = b;
		} else {
			/* Keep the current block in front: it still has room. */
			b->next = a->head->next;
			a->head->next = b;
		}
	}
	p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *
ro_arena_strndup(struct ro_arena *a, const char *s, size_t n)
{
	char *p = ro_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ro_arena_strdup(struct ro_arena *a, const char *s)
{
	return ro_arena_strndup(a, s, strlen(s));
}
