/*
 * strmap.h - an open-addressing hash map from borrowed strings to indexes,
 * used for the name and address uniqueness checks and lookups that must stay
 * linear for inventories of 100,000 hosts.
 */
#ifndef RO_STRMAP_H
#define RO_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct ro_strmap {
	const char **keys; /* borrowed: they must outlive the map */
	uint32_t *vals;
	size_t cap;        /* a power of two */
	size_t n;
};

void ro_strmap_init(struct ro_strmap *m);
void ro_strmap_free(struct ro_strmap *m);
/* ro_strmap_put inserts key -> val unless key is present; returns 1 when
 * inserted and 0 (with *old set when non-NULL) when key was already there. */
int ro_strmap_put(struct ro_strmap *m, const char *key, uint32_t val, uint32_t *old);
/* ro_strmap_get returns 1 and sets *val when key is present. */
int ro_strmap_get(const struct ro_strmap *m, const char *key, uint32_t *val);

#endif
