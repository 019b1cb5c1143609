/* template.c - {{name}} references in step commands (see template.h). */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The value of one reference for host h, or NULL. */
static const char *
lookup(const struct ro_campaign *c, const struct ro_host *h, const char *name)
{
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
	return ro_campaign_param(c, name);
}

char *
ro_template_render(const char *s, const struct ro_campaign *c, uint32_t host,
    int *missing)
{
	const struct ro_host *h = &c->inv->hosts[host];
	struct ro_buf b;
	const char *p = s, *open, *close;

	if (missing)
		*missing = 0;
	ro_buf_init(&b);
	while ((open = strstr(p, "{{")) != NULL && (close = strstr(open + 2, "}}")) != NULL) {
		const char *a = open + 2, *e = close;
		char name[128];
		const char *v;

		while (a < e && *a == ' ')
			a++;
		while (e > a && e[-1] == ' ')
			e--;
		ro_buf_add(&b, p, (size_t)(open - p));
		if ((size_t)(e - a) < sizeof name) {
			memcpy(name, a, (size_t)(e - a));
			name[e - a] = '\0';
			v = lookup(c, h, name);
		} else
			v = NULL;
		if (v)
			ro_buf_adds(&b, v);
		else {
			ro_buf_add(&b, open, (size_t)(close + 2 - open));
			if (missing)
				*missing = 1;
		}
		p = close + 2;
	}
	ro_buf_adds(&b, p);
	return b.p ? b.p : ro_xstrdup("");
}
