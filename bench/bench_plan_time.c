/*
 * bench_plan_time.c - planner v2: place a synthetic fleet of 100,000 hosts
 * in 2,000 sites into business windows over a six-month horizon (target:
 * under 5 s and 500 MiB).
 *
 * Each terminal has 30 minutes of estimated work; concurrency 50 and 3 per
 * site make the plan span about six months from 2026-10-05 (deadline 183
 * days). Times load + validation, and planning (waves, placement in time,
 * lower bound) + hashing, repeated; prints the figures and the plan's span.
 * usage: bench_plan_time [HOSTS [SITES [RUNS [CONCURRENCY]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

static long concurrency = 50;

/* The ranged inventory, and a playbook with estimates and a campaign with a start date. */
static void
write_inputs(const char *dir, long hosts, long sites)
{
	FILE *f;

	bench_write_inventory(dir, hosts, sites, 0);
	f = bench_create(dir, "playbook.yml");
	fprintf(f, "playbook: upd\ntitle: Update\nparams: {kb: {type: kb, required: true}}\n"
	    "targets: {roles: [cs-standby, cs-active, terminal]}\n"
	    "policy: {canary: 10, wave_size: 10%%, max_unavailable_per_site: 3, gates: [after-canary],\n"
	    "  concurrency: %ld, deadline_days: 183}\n"
	    "steps:\n"
	    "  - {name: probe, check: 'powershell -Command \"Get-HotFix -Id {{kb}}\"', estimate: 1m}\n"
	    "  - {name: install, exec: 'wusa.exe C:\\\\Windows\\\\Temp\\\\{{kb}}.msu /quiet /norestart', expect: [0, 3010], estimate: 21m}\n"
	    "  - {name: restart, reboot: {if_required: true}, estimate: 8m}\n", concurrency);
	fclose(f);
	f = bench_create(dir, "campaign.yml");
	fprintf(f, "campaign: bench\ninventory: inventory.yml\nplaybooks: [playbook.yml]\n"
	    "params: {kb: KB5066835}\nstart: 2026-10-05\n");
	fclose(f);
}

/* Keeps the span of the plan in time (the same in every run), for the report. */
static void
note_span(const struct ro_plan *p, void *ctx)
{
	char *span = ctx;

	snprintf(span, 200, "%.1f days from the first start to the end, lower bound %.1f "
	    "days, gap %.1f h of window time", (double)(p->end - p->first_start) / 86400.0,
	    (double)(p->lower_bound - p->first_start) / 86400.0, (double)p->gap / 3600.0);
}

int
main(int argc, char **argv)
{
	long hosts = argc > 1 ? atol(argv[1]) : 100000;
	long sites = argc > 2 ? atol(argv[2]) : 2000;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	char dir[] = "/tmp/rollout-bench-XXXXXX";
	char span[200] = "";
	struct bench_figures fig;
	long size;

	if (argc > 4)
		concurrency = atol(argv[4]);
	if (mkdtemp(dir) == NULL)
		return 1;
	write_inputs(dir, hosts, sites);
	size = bench_file_size(dir, "inventory.yml");
	if (bench_run_plans(dir, runs, &fig, note_span, span) != 0)
		return 1;
	bench_print_figures("bench_plan_time", hosts, sites, 0, size, runs, &fig);
	printf("  schedule       %s, concurrency %ld\n", span, concurrency);
	return bench_remove_dir(dir);
}
