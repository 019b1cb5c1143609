/*
 * bench_plan.c - validate and plan a synthetic fleet of 100,000 hosts in
 * 2,000 sites (the foundation issue's target: under 2 s, under 300 MiB).
 *
 * Writes the inventory, a playbook and a campaign to a temp directory, then
 * times load + validation + planning + hashing, repeated, and prints the
 * figures. The inventory uses two host ranges per site (one per model), or
 * with "explicit" lists every host on its own line, as a hand-kept file
 * would; 100,000 explicit hosts exceed the 8 MiB file limit, so that form is
 * measured at 60,000.
 * usage: bench_plan [HOSTS [SITES [RUNS [explicit]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

/* The inventory, and a playbook and campaign without business windows. */
static void
write_inputs(const char *dir, long hosts, long sites, int explicit)
{
	FILE *f;

	bench_write_inventory(dir, hosts, sites, explicit);
	f = bench_create(dir, "playbook.yml");
	fprintf(f, "playbook: upd\ntitle: Update\nparams: {kb: {type: kb, required: true}}\n"
	    "targets: {roles: [cs-standby, cs-active, terminal]}\n"
	    "policy: {canary: 10, wave_size: 10%%, max_unavailable_per_site: 2, gates: [after-canary]}\n"
	    "steps:\n"
	    "  - {name: probe, check: 'powershell -Command \"Get-HotFix -Id {{kb}}\"'}\n"
	    "  - {name: install, exec: 'wusa.exe C:\\\\Windows\\\\Temp\\\\{{kb}}.msu /quiet /norestart', expect: [0, 3010]}\n"
	    "  - {name: restart, reboot: {if_required: true}}\n");
	fclose(f);
	f = bench_create(dir, "campaign.yml");
	fprintf(f, "campaign: bench\ninventory: inventory.yml\nplaybooks: [playbook.yml]\n"
	    "params: {kb: KB5066835}\n");
	fclose(f);
}

int
main(int argc, char **argv)
{
	long hosts = argc > 1 ? atol(argv[1]) : 100000;
	long sites = argc > 2 ? atol(argv[2]) : 2000;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	int explicit = argc > 4 && strcmp(argv[4], "explicit") == 0;
	char dir[] = "/tmp/rollout-bench-XXXXXX";
	struct bench_figures fig;
	long size;

	if (mkdtemp(dir) == NULL)
		return 1;
	write_inputs(dir, hosts, sites, explicit);
	size = bench_file_size(dir, "inventory.yml");
	if (bench_run_plans(dir, runs, &fig, NULL, NULL) != 0)
		return 1;
	bench_print_figures("bench_plan", hosts, sites, explicit, size, runs, &fig);
	return bench_remove_dir(dir);
}
