/* strmap.c - string -> index hash map (FNV-1a, linear probing). */
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
ro_strmap_init(struct ro_strmap *m)
{
	memset(m, 0, sizeof *m);
}

void
ro_strmap_free(struct ro_strmap *m)
{
	if (m == NULL)
		return;
	free(m->keys);
	free(m->vals);
	ro_strmap_init(m);
}

static void
grow(struct ro_strmap *m)
{
	struct ro_strmap n;
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.n = 0;
	n.keys = ro_xcalloc(n.cap, sizeof *n.keys);
	n.vals = ro_xcalloc(n.cap, sizeof *n.vals);
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			ro_strmap_put(&n, m->keys[i], m->vals[i], NULL);
	free(m->keys);
	free(m->vals);
	*m = n;
}

int
ro_strmap_put(struct ro_strmap *m, const char *key, uint32_t val, uint32_t *old)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	for (i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == NULL) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return 1;
		}
		if (strcmp(m->keys[i], key) == 0) {
			if (old)
				*old = m->vals[i];
			return 0;
		}
	}
}

int
ro_strmap_get(const struct ro_strmap *m, const char *key, uint32_t *val)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	for (i = hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (strcmp(m->keys[i], key) == 0) {
			if (val)
				*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}
