/*
 * main.c - rollout-sim: flags, the inventory, the state, then the server.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "diag.h"
#include "error.h"
#include "model.h"
#include "sim-faults.h"
#include "sim-server.h"
#include "sim-state.h"
#include "util.h"
#include "yread.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char usage[] =
	"usage: rollout-sim [OPTIONS] INVENTORY\n"
	"Serves every host of INVENTORY over SSH on its own address, emulating Windows.\n"
	"  --port N                 listen on N for every host (default: each host's port)\n"
	"  --state DIR              host keys and state (default .rollout-sim)\n"
	"  --authorized-keys FILE   OpenSSH public keys accepted for the administrator\n"
	"  --password-file FILE     initial passwords: HOST<TAB>PASSWORD or *<TAB>PASSWORD,\n"
	"                           [<TAB>ACCOUNT] for another account (vendor:NAME, oracle:USER)\n"
	"  --ready-file FILE        written (atomically) once every host listens; removed at exit\n"
	"  --boot-duration DUR      virtual time of a restart (default 3m)\n"
	"  --poweroff-duration DUR  virtual time a shut-down host stays off (default 30m)\n"
	"  --faults FILE            faults file (YAML, see simulator/README.md)\n"
	"  --fault KIND:HOSTS[:ARG] a fault: down, slow:H:MS[/KBIT], drop:H[:PROG], fail:H:PROG[=EXIT],\n"
	"                           noboot, diskfull, authfail (HOSTS: names, site ids or *)\n"
	"  --fault-rate KIND=P      random faults: down, drop, fail, noboot, authfail\n"
	"  --seed N                 seed of the random faults (default 1)\n"
	"  -v, --verbose            log connections, commands and restarts on stderr\n";

/* Reads the password file: the password for host (or "*"), NULL if none. */
struct pwline {
	char *host;
	char *pw;
	char *account; /* NULL: the administrator; else e.g. vendor:arcserve, oracle:SYSTEM */
};

static int
load_passwords(const char *path, struct pwline **out, size_t *n)
{
	struct stat sb;
	FILE *fp = fopen(path, "r");
	char line[1024];
	int lineno = 0;
	*out = NULL;
	*n = 0;
	if (fp == NULL) {
		fprintf(stderr, "rollout-sim: %s: cannot open: %s\n", path, strerror(errno));
		return RO_EIO;
	}
	if (fstat(fileno(fp), &sb) == 0 && (sb.st_mode & 077))
		fprintf(stderr, "rollout-sim: warning: %s is readable by others (chmod 600 it)\n", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (tab == NULL || tab == line || tab[1] == '\0') {
			fprintf(stderr, "%s:%d:1: error: expected HOST<TAB>PASSWORD\n", path, lineno);
			sodium_memzero(line, sizeof(line));
			fclose(fp);
			return RO_EINVAL;
		}
		*tab = '\0';
		/* An optional third column names another account than the administrator. */
		char *acct = strchr(tab + 1, '\t');
		if (acct)
			*acct++ = '\0';
		*out = ro_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].host = ro_xstrdup(line);
		(*out)[*n].account = acct && *acct ? ro_xstrdup(acct) : NULL;
		(*out)[(*n)++].pw = ro_xstrdup(tab + 1);
		sodium_memzero(line, sizeof(line));
	}
	fclose(fp);
	return 0;
}

static const char *
password_for(const struct pwline *pw, size_t n, const char *host)
{
	const char *any = NULL;
	for (size_t i = 0; i < n; i++) {
		if (pw[i].account)
			continue;
		if (strcmp(pw[i].host, host) == 0)
			return pw[i].pw;
		if (strcmp(pw[i].host, "*") == 0)
			any = pw[i].pw;
	}
	return any;
}

int
main(int argc, char **argv)
{
	struct sim_server_config cfg = { .state_dir = ".rollout-sim", .boot_seconds = 180,
		.poweroff_seconds = 1800 };
	struct sim_faults faults;
	const char *inv_path = NULL, *pwfile = NULL, *faults_file = NULL;
	struct ro_inventory *inv = NULL;
	struct sim_state *st = NULL;
	struct pwline *pw = NULL;
	size_t npw = 0;
	struct ro_diags d;
	char *cause = NULL;
	int seed_set = 0, rc = RO_EXIT_USAGE;
	long seed = 1;

	ro_diags_init(&d);
	sim_faults_init(&faults);
	ro_clock_init(&cfg.clock);
	if (sodium_init() < 0) {
		fprintf(stderr, "rollout-sim: libsodium failed to initialise\n");
		return RO_EXIT_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char *why = NULL;
		char *whyd = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			fputs(ro_clock_usage, stdout);
			rc = 0;
			goto out;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cfg.verbose = 1;
			continue;
		}
		if (a[0] != '-') {
			if (inv_path) {
				fprintf(stderr, "rollout-sim: one inventory only (found '%s' after '%s')\n", a, inv_path);
				goto out;
			}
			inv_path = a;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "rollout-sim: %s needs a value\n%s", a, usage);
			goto out;
		}
		int c = ro_clock_option(&cfg.clock, a, v, &why);
		if (c < 0) {
			fprintf(stderr, "rollout-sim: %s %s: %s\n", a, v, why);
			goto out;
		}
		i++;
		if (c == 1)
			continue;
		if (strcmp(a, "--port") == 0) {
			char *end;
			long p = strtol(v, &end, 10);
			if (*end != '\0' || p < 1 || p > 65535) {
				fprintf(stderr, "rollout-sim: --port %s: expected 1..65535\n", v);
				goto out;
			}
			cfg.port = (int)p;
		} else if (strcmp(a, "--state") == 0) {
			cfg.state_dir = v;
		} else if (strcmp(a, "--authorized-keys") == 0) {
			cfg.authorized_keys = v;
		} else if (strcmp(a, "--password-file") == 0) {
			pwfile = v;
		} else if (strcmp(a, "--ready-file") == 0) {
			cfg.ready_file = v;
		} else if (strcmp(a, "--faults") == 0) {
			faults_file = v;
		} else if (strcmp(a, "--boot-duration") == 0 || strcmp(a, "--poweroff-duration") == 0) {
			long s;
			if (ro_parse_duration(v, &s) != 0 || s < 1) {
				fprintf(stderr, "rollout-sim: %s %s: expected a duration such as 90s, 3m, 1h\n", a, v);
				goto out;
			}
			if (a[2] == 'b')
				cfg.boot_seconds = (double)s;
			else
				cfg.poweroff_seconds = (double)s;
		} else if (strcmp(a, "--fault") == 0) {
			if (sim_faults_flag(&faults, v, &whyd) != 0) {
				fprintf(stderr, "rollout-sim: %s\n", whyd);
				free(whyd);
				goto out;
			}
		} else if (strcmp(a, "--fault-rate") == 0) {
			if (sim_faults_rate(&faults, v, &whyd) != 0) {
				fprintf(stderr, "rollout-sim: %s\n", whyd);
				free(whyd);
				goto out;
			}
		} else if (strcmp(a, "--seed") == 0) {
			char *end;
			seed = strtol(v, &end, 10);
			if (*end != '\0' || seed < 0) {
				fprintf(stderr, "rollout-sim: --seed %s: expected a non-negative integer\n", v);
				goto out;
			}
			seed_set = 1;
		} else {
			fprintf(stderr, "rollout-sim: unknown option '%s'\n%s", a, usage);
			goto out;
		}
	}
	if (inv_path == NULL) {
		fputs(usage, stderr);
		goto out;
	}
	if (faults_file && sim_faults_load(&faults, faults_file, &d) != 0) {
		ro_diags_print(stderr, &d);
		goto out;
	}
	if (seed_set || faults.seed == 0)
		faults.seed = (uint64_t)seed;
	if (ro_inventory_load(inv_path, &inv, &d) != 0) {
		ro_diags_print(stderr, &d);
		goto out;
	}
	if (pwfile && load_passwords(pwfile, &pw, &npw) != 0)
		goto out;
	rc = RO_EXIT_FAIL;
	if (sim_state_open(cfg.state_dir, &st, &cause) != 0) {
		fprintf(stderr, "rollout-sim: %s\n", cause);
		goto out;
	}
	/* Every host exists in the state before anyone connects. */
	if (sim_state_begin(st) != 0) {
		fprintf(stderr, "rollout-sim: cannot write the state in %s\n", cfg.state_dir);
		goto out;
	}
	for (size_t i = 0; i < inv->nhosts; i++) {
		const struct ro_host *h = &inv->hosts[i];
		struct sim_host_seed s = { .name = h->name, .cs = h->role != RO_ROLE_TERMINAL,
			.address = h->address, .user = h->user ? h->user : "Administrator",
			.password = password_for(pw, npw, h->name), .now = ro_clock_now_s(&cfg.clock),
			.index = (uint32_t)i };
		if (sim_state_seed_host(st, &s) < 0) {
			(void)sim_state_commit(st);
			fprintf(stderr, "rollout-sim: cannot seed %s in the state\n", h->name);
			goto out;
		}
		/* Other accounts' first values (vendor:NAME, oracle:USER, lsa:...), set
		 * only while the account has none: a restart keeps what was changed. */
		for (size_t j = 0; j < npw; j++)
			if (pw[j].account && (strcmp(pw[j].host, "*") == 0 ||
			    strcmp(pw[j].host, h->name) == 0))
				(void)sim_state_seed_password(st, h->name, pw[j].account, pw[j].pw);
	}
	if (sim_state_commit(st) != 0) {
		fprintf(stderr, "rollout-sim: cannot commit the seeded state\n");
		goto out;
	}
	for (size_t i = 0; i < npw; i++)
		sodium_memzero(pw[i].pw, strlen(pw[i].pw));

	/* Every host listens and every session holds a socket. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	cfg.inv = inv;
	cfg.st = st;
	cfg.faults = &faults;
	if (sim_server_run(&cfg, &stop, &cause) != 0) {
		fprintf(stderr, "rollout-sim: %s\n", cause);
		goto out;
	}
	rc = 0;
out:
	free(cause);
	sim_state_close(st);
	for (size_t i = 0; i < npw; i++) {
		free(pw[i].host);
		free(pw[i].pw);
		free(pw[i].account);
	}
	free(pw);
	ro_inventory_free(inv);
	sim_faults_free(&faults);
	ro_diags_free(&d);
	return rc;
}
