/*
 * template.h - filling a step's {{name}} references for one host.
 *
 * The loader has already checked every reference (playbook.c), so here an
 * unknown name can only mean a parameter without a value; it is left as
 * written and reported through *missing.
 */
#ifndef RO_TEMPLATE_H
#define RO_TEMPLATE_H

#include "campaign.h"

/*
 * ro_template_render returns a malloc'd copy of s with {{param}},
 * {{host.name}}, {{host.address}}, {{host.site}}, {{host.role}},
 * {{host.model}} and {{site.name}} replaced for host (an inventory index).
 * *missing (unless NULL) is set to 1 if a name had no value (it is left as
 * written), else 0. Parameter values never hold secrets (the vault holds
 * those).
 */
char *ro_template_render(const char *s, const struct ro_campaign *c, uint32_t host,
    int *missing);

#endif
