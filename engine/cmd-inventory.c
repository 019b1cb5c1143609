/* cmd-inventory.c - `rollout inventory summary|list`: what an inventory holds. */
#include "cmd.h"
#include "error.h"
#include "model.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INVENTORY "inventory/sapporo.yml"

extern const struct ro_cmd ro_cmd_inventory;

struct model_count {
	const char *model;
	size_t n;
};

/* Counts hosts per model, in order of first appearance. */
static size_t
count_models(const struct ro_inventory *inv, struct model_count *mc)
{
	size_t i, j, n = 0;

	for (i = 0; i < inv->nhosts; i++) {
		for (j = 0; j < n && mc[j].model != inv->hosts[i].model; j++)
			;
		if (j == n)
			mc[n++] = (struct model_count){ inv->hosts[i].model, 0 };
		mc[j].n++;
	}
	return n;
}

static void
summary(const struct ro_inventory *inv, int json)
{
	struct model_count *mc = ro_xcalloc(inv->nhosts + 1, sizeof *mc);
	size_t roles[RO_ROLE_N] = { 0 }, nmodels, i;

	for (i = 0; i < inv->nhosts; i++)
		roles[inv->hosts[i].role]++;
	nmodels = count_models(inv, mc);
	if (json) {
		printf("{\"inventory\":");
		ro_json_str(stdout, inv->name);
		printf(",\"sites\":%zu,\"hosts\":%zu,\"cs\":%zu,\"terminals\":%zu,\"roles\":{",
		    inv->nsites, inv->nhosts, roles[RO_ROLE_CS_ACTIVE] + roles[RO_ROLE_CS_STANDBY],
		    roles[RO_ROLE_TERMINAL]);
		for (i = 0; i < RO_ROLE_N; i++)
			printf("%s\"%s\":%zu", i ? "," : "", ro_role_names[i], roles[i]);
		printf("},\"models\":{");
		for (i = 0; i < nmodels; i++) {
			printf(i ? "," : "");
			ro_json_str(stdout, mc[i].model);
			printf(":%zu", mc[i].n);
		}
		printf("},\"per_site\":[");
		for (i = 0; i < inv->nsites; i++) {
			printf(i ? ",{\"site\":" : "{\"site\":");
			ro_json_str(stdout, inv->sites[i].id);
			printf(",\"name\":");
			ro_json_str(stdout, inv->sites[i].name);
			printf(",\"name_ja\":");
			ro_json_str(stdout, inv->sites[i].name_ja);
			printf(",\"hosts\":%zu}", inv->sites[i].nhosts);
		}
		printf("]}\n");
	} else {
		printf("Inventory %s (%s)\n", inv->name, inv->path);
		if (inv->description)
			printf("  %s\n", inv->description);
		printf("  sites      %zu\n", inv->nsites);
		printf("  hosts      %zu\n", inv->nhosts);
		printf("  CS         %zu (%zu active, %zu standby)\n",
		    roles[RO_ROLE_CS_ACTIVE] + roles[RO_ROLE_CS_STANDBY], roles[RO_ROLE_CS_ACTIVE],
		    roles[RO_ROLE_CS_STANDBY]);
		printf("  terminals  %zu\n", roles[RO_ROLE_TERMINAL]);
		printf("  models\n");
		for (i = 0; i < nmodels; i++)
			printf("    %-24s %zu\n", mc[i].model, mc[i].n);
		if (inv->nclosed_days)
			printf("  extra closed days %zu\n", inv->nclosed_days);
	}
	free(mc);
}

static void
list(const struct ro_inventory *inv, const char *site, int json)
{
	size_t i, shown = 0;

	if (json)
		printf("[");
	for (i = 0; i < inv->nhosts; i++) {
		const struct ro_host *h = &inv->hosts[i];
		const struct ro_site *s = &inv->sites[h->site];
		if (site && strcmp(site, s->id) != 0)
			continue;
		if (json) {
			printf(shown ? ",{\"name\":" : "{\"name\":");
			ro_json_str(stdout, h->name);
			printf(",\"site\":");
			ro_json_str(stdout, s->id);
			printf(",\"role\":\"%s\",\"model\":", ro_role_names[h->role]);
			ro_json_str(stdout, h->model);
			printf(",\"os\":");
			ro_json_str(stdout, h->os);
			printf(",\"address\":");
			ro_json_str(stdout, h->address);
			printf(",\"port\":%u}", h->port);
		} else {
			if (shown == 0)
				printf("%-16s %-12s %-10s %-18s %-22s %s\n", "HOST", "SITE", "ROLE",
				    "MODEL", "ADDRESS", "OS");
			printf("%-16s %-12s %-10s %-18s %-22s %s\n", h->name, s->id,
			    ro_role_names[h->role], h->model, h->address, h->os);
		}
		shown++;
	}
	if (json)
		printf("]\n");
}

static int
inventory_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "site", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_INVENTORY, *site = NULL, *sub;
	struct ro_inventory *inv;
	struct ro_diags d;
	int json = 0, ch, rc;

	while ((ch = getopt_long(argc, argv, "ji:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'i': path = optarg; break;
		case 's': site = optarg; break;
		default: return ro_cmd_usage(&ro_cmd_inventory, NULL);
		}
	}
	if (optind >= argc)
		return ro_cmd_usage(&ro_cmd_inventory, "say 'summary' or 'list'");
	sub = argv[optind++];
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return ro_cmd_usage(&ro_cmd_inventory, "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "summary") != 0 && strcmp(sub, "list") != 0)
		return ro_cmd_usage(&ro_cmd_inventory, "unknown subcommand '%s'", sub);
	ro_diags_init(&d);
	rc = ro_inventory_load(path, &inv, &d);
	if (rc != RO_OK) {
		ro_diags_print(stderr, &d);
		ro_diags_free(&d);
		return RO_EXIT_USAGE;
	}
	ro_diags_free(&d);
	if (site && !ro_inventory_site(inv, site, NULL)) {
		fprintf(stderr, "rollout inventory: no site '%s' in %s\n", site, path);
		ro_inventory_free(inv);
		return RO_EXIT_USAGE;
	}
	if (strcmp(sub, "summary") == 0)
		summary(inv, json);
	else
		list(inv, site, json);
	ro_inventory_free(inv);
	return RO_EXIT_OK;
}

const struct ro_cmd ro_cmd_inventory = {
	.name = "inventory",
	.usage = "summary|list [--json] [--site ID] [INVENTORY]",
	.summary = "Show what an inventory holds: counts, or every host expanded.",
	.help =
	    "INVENTORY defaults to " DEFAULT_INVENTORY ".\n\n"
	    "  summary   sites, hosts, CS nodes, terminals and hosts per model\n"
	    "  list      one line per host, with host ranges expanded\n\n"
	    "options:\n"
	    "  --site ID  list only the hosts of one site\n"
	    "  --json     machine-readable output\n",
	.exec = inventory_exec,
};
