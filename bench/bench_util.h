/*
 * bench_util.h - what the planning benchmarks (bench_plan, bench_plan_time)
 * share: the synthetic inventory, the timed load + plan loop and its report.
 *
 * Header-only on purpose: bench/CMakeLists.txt makes an executable of every
 * bench_*.c, so a shared .c file would become a program of its own.
 */
#ifndef ROLLOUT_BENCH_UTIL_H
#define ROLLOUT_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "campaign.h"
#include "error.h"
#include "planner.h"

/* Seconds on the monotonic clock. */
static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Creates (truncating) DIR/NAME for writing. */
static inline FILE *
bench_create(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return fopen(path, "w");
}

/* The size of DIR/NAME in bytes, or 0 if it cannot be opened. */
static inline long
bench_file_size(const char *dir, const char *name)
{
	char path[600];
	long size = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
	}
	return size;
}

/*
 * Writes DIR/inventory.yml: SITES sites, the two CS servers, and HOSTS
 * terminals spread evenly over the sites, as two host ranges per site (one
 * per model) or, with EXPLICIT, one line per host as a hand-kept file has.
 */
static inline void
bench_write_inventory(const char *dir, long hosts, long sites, int explicit)
{
	FILE *f = bench_create(dir, "inventory.yml");
	long s, h, per = hosts / sites;

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
}

/* The best and total times of the runs, and what every run must agree on. */
struct bench_figures {
	double best, total, best_load, best_plan;
	size_t nwaves;
	char hash[65];
};

/*
 * Loads DIR/campaign.yml and plans it RUNS times, timing load + validation
 * and planning + hashing apart. SEEN (may be NULL) looks at each plan before
 * it is freed. Returns 0, or 1 (reported on stderr) if loading or planning
 * fails or the plan hash differs between runs.
 */
static inline int
bench_run_plans(const char *dir, int runs, struct bench_figures *fig,
    void (*seen)(const struct ro_plan *p, void *ctx), void *ctx)
{
	char path[600];
	double t0, tl, tp;
	int i;

	memset(fig, 0, sizeof *fig);
	fig->best = fig->best_load = fig->best_plan = 1e9;
	snprintf(path, sizeof path, "%s/campaign.yml", dir);
	for (i = 0; i < runs; i++) {
		struct ro_diags d;
		struct ro_campaign *c;
		struct ro_plan *p;

		ro_diags_init(&d);
		t0 = bench_now();
		if (ro_campaign_load(path, NULL, 0, &c, &d) != RO_OK) {
			ro_diags_print(stderr, &d);
			return 1;
		}
		tl = bench_now();
		if (ro_plan_build(c, &p, &d) != RO_OK) {
			ro_diags_print(stderr, &d);
			return 1;
		}
		tp = bench_now();
		if (i > 0 && strcmp(fig->hash, p->hash) != 0) {
			fprintf(stderr, "plan hash differs between runs\n");
			return 1;
		}
		memcpy(fig->hash, p->hash, sizeof fig->hash);
		fig->nwaves = p->nwaves;
		if (seen != NULL)
			seen(p, ctx);
		ro_plan_free(p);
		ro_campaign_free(c);
		ro_diags_free(&d);
		if (tp - t0 < fig->best)
			fig->best = tp - t0;
		if (tl - t0 < fig->best_load)
			fig->best_load = tl - t0;
		if (tp - tl < fig->best_plan)
			fig->best_plan = tp - tl;
		fig->total += tp - t0;
	}
	return 0;
}

/* Prints the figures of bench_run_plans and the process's peak RSS. */
static inline void
bench_print_figures(const char *name, long hosts, long sites, int explicit, long size, int runs,
    const struct bench_figures *fig)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%s: %ld hosts, %ld sites, %s inventory of %.2f MiB, %zu waves, %d runs\n",
	    name, hosts, sites, explicit ? "explicit" : "ranged", (double)size / 1048576.0,
	    fig->nwaves, runs);
	printf("  load+validate  best %.3f s\n", fig->best_load);
	printf("  plan+hash      best %.3f s\n", fig->best_plan);
	printf("  total          best %.3f s, mean %.3f s\n", fig->best, fig->total / runs);
	printf("  peak RSS       %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	printf("  plan hash      %s (identical in every run)\n", fig->hash);
}

/* Removes the benchmark's temporary directory; returns the exit code. */
static inline int
bench_remove_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}

#endif
