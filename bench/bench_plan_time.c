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
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "campaign.h"
#include "error.h"
#include "planner.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long concurrency = 50;

static void
write_inputs(const char *dir, long hosts, long sites, int explicit)
{
	char path[512];
	FILE *f;
	long s, h, per = hosts / sites;

	snprintf(path, sizeof path, "%s/inventory.yml", dir);
	f = fopen(path, "w");
	fprintf(f, "inventory: synthetic\nsites:\n");
	for (s = 0; s < sites; s++)
		fprintf(f, "  - {id: site-%04ld, name: Site %ld, max_unavailable: 3, tags: [t%ld]}\n",
		    s, s, s % 7);
	fprintf(f, "hosts:\n");
	fprintf(f, "  - {name: cs-a, site: site-0000, role: cs-active, model: SRV, os: WS2022, address: 10.255.0.1}\n");
	fprintf(f, "  - {name: cs-s, site: site-0000, role: cs-standby, model: SRV, os: WS2022, address: 10.255.0.2}\n");
	for (s = 0; s < sites && !explicit; s++) {
		long n = per - (s == 0 ? 2 : 0), a = n / 3 + 1;
		fprintf(f, "  - {range: \"s%04ld-t[001:%03ld]\", site: site-%04ld, role: terminal, model: ESPRIMO D7014/R, os: Windows 11 Pro, address: 10.%ld.%ld.1}\n",
		    s, a, s, s / 256, s % 256);
		fprintf(f, "  - {range: \"s%04ld-t[%03ld:%03ld]\", site: site-%04ld, role: terminal, model: ESPRIMO D6012/N, os: Windows 11 Pro, address: 10.%ld.%ld.%ld}\n",
		    s, a + 1, n, s, s / 256, s % 256, a + 1);
	}
	for (s = 0; s < sites && explicit; s++)
		for (h = 0; h < per - (s == 0 ? 2 : 0); h++)
			fprintf(f, "  - {name: s%04ld-t%03ld, site: site-%04ld, role: terminal, model: %s, os: Windows 11 Pro, address: 10.%ld.%ld.%ld}\n",
			    s, h, s, h % 3 ? "ESPRIMO D6012/N" : "ESPRIMO D7014/R",
			    s / 256, s % 256, h + 1);
	fclose(f);
	snprintf(path, sizeof path, "%s/playbook.yml", dir);
	f = fopen(path, "w");
	fprintf(f, "playbook: upd\ntitle: Update\nparams: {kb: {type: kb, required: true}}\n"
	    "targets: {roles: [cs-standby, cs-active, terminal]}\n"
	    "policy: {canary: 10, wave_size: 10%%, max_unavailable_per_site: 3, gates: [after-canary],\n"
	    "  concurrency: %ld, deadline_days: 183}\n"
	    "steps:\n"
	    "  - {name: probe, check: 'powershell -Command \"Get-HotFix -Id {{kb}}\"', estimate: 1m}\n"
	    "  - {name: install, exec: 'wusa.exe C:\\\\Windows\\\\Temp\\\\{{kb}}.msu /quiet /norestart', expect: [0, 3010], estimate: 21m}\n"
	    "  - {name: restart, reboot: {if_required: true}, estimate: 8m}\n", concurrency);
	fclose(f);
	snprintf(path, sizeof path, "%s/campaign.yml", dir);
	f = fopen(path, "w");
	fprintf(f, "campaign: bench\ninventory: inventory.yml\nplaybooks: [playbook.yml]\n"
	    "params: {kb: KB5066835}\nstart: 2026-10-05\n");
	fclose(f);
}

int
main(int argc, char **argv)
{
	long hosts = argc > 1 ? atol(argv[1]) : 100000;
	long sites = argc > 2 ? atol(argv[2]) : 2000;
	int runs = argc > 3 ? atoi(argv[3]) : 5, i;
	int explicit = 0;
	char dir[] = "/tmp/rollout-bench-XXXXXX", path[600], hash[65] = "";
	double best = 1e9, total = 0, t0, tl, tp;
	double best_load = 1e9, best_plan = 1e9;
	struct rusage ru;
	size_t nwaves = 0;
	long size = 0;
	FILE *f;

	char span[200] = "";

	if (argc > 4)
		concurrency = atol(argv[4]);
	if (mkdtemp(dir) == NULL)
		return 1;
	write_inputs(dir, hosts, sites, explicit);
	snprintf(path, sizeof path, "%s/inventory.yml", dir);
	if ((f = fopen(path, "r")) != NULL) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/campaign.yml", dir);
	for (i = 0; i < runs; i++) {
		struct ro_diags d;
		struct ro_campaign *c;
		struct ro_plan *p;

		ro_diags_init(&d);
		t0 = now();
		if (ro_campaign_load(path, NULL, 0, &c, &d) != RO_OK) {
			ro_diags_print(stderr, &d);
			return 1;
		}
		tl = now();
		if (ro_plan_build(c, &p, &d) != RO_OK) {
			ro_diags_print(stderr, &d);
			return 1;
		}
		tp = now();
		if (i > 0 && strcmp(hash, p->hash) != 0) {
			fprintf(stderr, "plan hash differs between runs\n");
			return 1;
		}
		memcpy(hash, p->hash, sizeof hash);
		nwaves = p->nwaves;
		snprintf(span, sizeof span, "%.1f days from the first start to the end, lower bound %.1f "
		    "days, gap %.1f h of window time", (double)(p->end - p->first_start) / 86400.0,
		    (double)(p->lower_bound - p->first_start) / 86400.0, (double)p->gap / 3600.0);
		ro_plan_free(p);
		ro_campaign_free(c);
		ro_diags_free(&d);
		if (tp - t0 < best)
			best = tp - t0;
		if (tl - t0 < best_load)
			best_load = tl - t0;
		if (tp - tl < best_plan)
			best_plan = tp - tl;
		total += tp - t0;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_plan_time: %ld hosts, %ld sites, %s inventory of %.2f MiB, %zu waves, %d runs\n",
	    hosts, sites, explicit ? "explicit" : "ranged", (double)size / 1048576.0, nwaves, runs);
	printf("  load+validate  best %.3f s\n", best_load);
	printf("  plan+hash      best %.3f s\n", best_plan);
	printf("  total          best %.3f s, mean %.3f s\n", best, total / runs);
	printf("  peak RSS       %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	printf("  plan hash      %s (identical in every run)\n", hash);
	printf("  schedule       %s, concurrency %ld\n", span, concurrency);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	return system(path) == 0 ? 0 : 1;
}
