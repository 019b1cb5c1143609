/*
 * model.h - the validated, in-memory model: inventory, playbooks, campaign.
 *
 * Loaders (inventory.c, playbook.c, campaign.c) build these from YAML and
 * check them completely; everything downstream (planner, executor, reports)
 * may assume a loaded model is consistent. All strings live in the owning
 * object's arena and are freed with it.
 */
#ifndef RO_MODEL_H
#define RO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "strmap.h"
#include "yread.h"

enum ro_role { RO_ROLE_CS_STANDBY, RO_ROLE_CS_ACTIVE, RO_ROLE_TERMINAL, RO_ROLE_N };
#define RO_ROLE_BIT(r) (1u << (r))
#define RO_ROLES_CS (RO_ROLE_BIT(RO_ROLE_CS_STANDBY) | RO_ROLE_BIT(RO_ROLE_CS_ACTIVE))
extern const char *const ro_role_names[]; /* NULL-terminated, indexed by enum ro_role */

struct ro_site {
	const char *id;
	const char *name;
	const char *name_ja;
	const char *address;
	struct ro_countpct max_unavailable; /* value < 0: not set */
	int hours_open;  /* minutes after midnight, -1: calendar default */
	int hours_close;
	const char **tags;
	size_t ntags;
	size_t nhosts;
	int line, col;
};

struct ro_host {
	const char *name;
	uint32_t site;       /* index into inventory sites */
	enum ro_role role;
	const char *model;   /* interned: equal models share one pointer */
	const char *os;      /* interned */
	const char *address;
	uint16_t port;
	const char *user;
	const char **tags;
	size_t ntags;
	int line, col;       /* the host entry (or its range) in the file */
};

/* A selection of hosts; every non-empty criterion must match (AND), and
 * within one criterion any listed value matches (OR). */
struct ro_selector {
	unsigned roles;        /* RO_ROLE_BIT mask; 0 = any */
	uint32_t *sites;       /* site indexes */
	size_t nsites;
	const char **models;   /* interned model pointers */
	size_t nmodels;
	const char **tags;
	size_t ntags;
	uint32_t *groups;      /* inventory group indexes */
	size_t ngroups;
	uint32_t *hosts;       /* host indexes */
	size_t nhosts;
	struct ro_selector *exclude;
};

struct ro_group {
	const char *name;
	struct ro_selector sel;
};

struct ro_inventory {
	const char *path;
	const char *name;
	const char *description;
	struct ro_site *sites;
	size_t nsites;
	struct ro_host *hosts;
	size_t nhosts;
	struct ro_group *groups;
	size_t ngroups;
	long *closed_days;     /* day numbers, sorted */
	size_t nclosed_days;
	uint8_t sha256[32];    /* of the file's bytes */
	struct ro_strmap site_index;
	struct ro_strmap host_index;
	struct ro_strmap model_index; /* interned model -> first host */
	struct ro_arena arena;
};

int ro_inventory_load(const char *path, struct ro_inventory **out, struct ro_diags *d);
void ro_inventory_free(struct ro_inventory *inv);
int ro_inventory_site(const struct ro_inventory *inv, const char *id, uint32_t *idx);
int ro_inventory_host(const struct ro_inventory *inv, const char *name, uint32_t *idx);
/* ro_selector_match is true when host h of inv is selected by sel. */
int ro_selector_match(const struct ro_inventory *inv, const struct ro_selector *sel, uint32_t h);

/* Selectors are written in playbooks against names; they are resolved
 * against one inventory when a campaign is loaded. */
struct ro_selector_src {
	const struct ro_ynode *node; /* the mapping, for locations */
	unsigned roles;
	const struct ro_ynode *const *sites; size_t nsites;
	const struct ro_ynode *const *models; size_t nmodels;
	const struct ro_ynode *const *tags; size_t ntags;
	const struct ro_ynode *const *groups; size_t ngroups;
	const struct ro_ynode *const *hosts; size_t nhosts;
	struct ro_selector_src *exclude;
};

/* ro_selector_parse reads a selector mapping (roles/sites/models/tags/groups/
 * hosts[/exclude]) without an inventory. */
int ro_selector_parse(const struct ro_yctx *c, struct ro_arena *a, const struct ro_ynode *n,
    int allow_exclude, struct ro_selector_src *out);
/* ro_selector_resolve binds names to inv's indexes, reporting unknown ones. */
int ro_selector_resolve(const struct ro_yctx *c, const struct ro_inventory *inv,
    struct ro_arena *a, const struct ro_selector_src *src, struct ro_selector *out);

#endif
