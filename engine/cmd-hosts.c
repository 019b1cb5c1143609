/*
 * cmd-hosts.c - `rollout hosts enroll|list`: the hosts' SSH keys.
 *
 * enroll probes every host of an inventory at once on one loop (at most
 * PROBE_CONCURRENCY in flight), prints each host's key fingerprint and how
 * it compares with STATE/known_hosts, and records new keys. A key that
 * differs from the recorded one is never replaced without --replace: it is
 * what an attacker in the middle would present.
 */
#include "cmd.h"
#include "diag.h"
#include "error.h"
#include "statedir.h"
#include "model.h"
#include "store.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#define PROBE_CONCURRENCY 100
#define PROBE_TIMEOUT_MS 10000

extern const struct ro_cmd ro_cmd_hosts;

enum outcome { O_PENDING, O_NEW, O_UNCHANGED, O_CHANGED, O_REPLACED, O_FAILED };
static const char *const outcome_names[] = {
	"pending", "new", "unchanged", "CHANGED", "replaced", "unreachable",
};

struct probe {
	struct enroll *e;
	size_t idx;
	int port;
	enum outcome outcome;
	int status;
	char type[64];
	unsigned char *key;
	size_t key_len;
	char fp[64];
	char *cause;
};

struct enroll {
	uv_loop_t loop;
	const struct ro_inventory *inv;
	const struct ro_known_hosts *known;
	struct probe *p;
	size_t next, running;
	int port;         /* 0: the inventory's */
	uint64_t timeout_ms;
};

static void start_next(struct enroll *e);

static void
on_probe(const struct ro_probe_result *r, void *arg)
{
	struct probe *p = arg;

	p->status = r->status;
	if (r->status == 0) {
		snprintf(p->type, sizeof p->type, "%s", r->type);
		p->key = ro_xmalloc(r->key_len);
		memcpy(p->key, r->key, r->key_len);
		p->key_len = r->key_len;
		memcpy(p->fp, r->fingerprint, sizeof p->fp);
		p->outcome = r->match == RO_HOSTKEY_MATCH ? O_UNCHANGED :
		    r->match == RO_HOSTKEY_UNKNOWN ? O_NEW : O_CHANGED;
	} else {
		p->outcome = O_FAILED;
		p->cause = ro_xstrdup(r->cause ? r->cause : ro_strerror(r->status));
	}
	p->e->running--;
	start_next(p->e);
}

static void
start_next(struct enroll *e)
{
	while (e->running < PROBE_CONCURRENCY && e->next < e->inv->nhosts) {
		struct probe *p = &e->p[e->next];
		const struct ro_host *h = &e->inv->hosts[e->next];
		int rc;

		p->e = e;
		p->idx = e->next++;
		p->port = e->port ? e->port : h->port;
		rc = ro_ssh_probe(&e->loop, h->address, p->port, e->known, e->timeout_ms,
		    on_probe, p);
		if (rc < 0) {
			p->outcome = O_FAILED;
			p->status = rc;
			p->cause = rc == RO_EINVAL ?
			    ro_xasprintf("%s is not an IPv4 address; the engine connects to IPv4 "
				"addresses only: put the host's address in the inventory",
				h->address) :
			    ro_xstrdup(ro_strerror(rc));
			continue;
		}
		e->running++;
	}
}

static int
parse_port(const char *s, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < 1 || n > 65535)
		return -1;
	*out = (int)n;
	return 0;
}

static int
enroll(int argc, char **argv)
{
	const char *state = ro_cmd_state_dir(), *inv_path = NULL;
	struct ro_inventory *inv = NULL;
	struct ro_known_hosts *kh = NULL;
	struct ro_diags d;
	struct enroll e;
	char *kh_path = NULL, *cause = NULL;
	int i, rc, json = 0, replace = 0, code = RO_EXIT_FAIL;
	size_t n_new = 0, n_same = 0, n_changed = 0, n_replaced = 0, n_failed = 0, k;

	memset(&e, 0, sizeof e);
	e.timeout_ms = PROBE_TIMEOUT_MS;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--port") == 0 && v) {
			if (parse_port(v, &e.port) < 0)
				return ro_cmd_usage(&ro_cmd_hosts, "--port takes 1..65535, not '%s'", v);
			i++;
		} else if (strcmp(a, "--timeout") == 0 && v) {
			int ms;
			if (parse_port(v, &ms) < 0 || ms < 100)
				return ro_cmd_usage(&ro_cmd_hosts,
				    "--timeout takes milliseconds, 100..65535, not '%s'", v);
			e.timeout_ms = (uint64_t)ms;
			i++;
		} else if ((strcmp(a, "--state-dir") == 0 || strcmp(a, "--state") == 0) && v) {
			state = v;
			i++;
		} else if (strcmp(a, "--replace") == 0) {
			replace = 1;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (a[0] == '-' && a[1]) {
			return ro_cmd_usage(&ro_cmd_hosts, "unknown option or missing value: '%s'", a);
		} else if (inv_path == NULL) {
			inv_path = a;
		} else {
			return ro_cmd_usage(&ro_cmd_hosts, "unexpected argument '%s'", a);
		}
	}
	if (inv_path == NULL)
		return ro_cmd_usage(&ro_cmd_hosts, "name the inventory to enroll");
	ro_diags_init(&d);
	rc = ro_inventory_load(inv_path, &inv, &d);
	if (rc != RO_OK) {
		ro_diags_print(stderr, &d);
		ro_diags_free(&d);
		return RO_EXIT_USAGE;
	}
	ro_diags_free(&d);
	if ((rc = ro_state_dir_prepare(state, 1, &cause)) != 0) {
		fprintf(stderr, "rollout hosts enroll: error: %s\n", cause);
		if (rc == RO_EINVAL)
			code = RO_EXIT_USAGE;
		goto out;
	}
	kh_path = ro_xasprintf("%s/known_hosts", state);
	rc = ro_known_hosts_load(kh_path, &kh, &cause);
	if (rc < 0) {
		fprintf(stderr, "rollout hosts enroll: error: %s\n", cause);
		goto out;
	}

	uv_loop_init(&e.loop);
	e.inv = inv;
	e.known = kh;
	e.p = ro_xcalloc(inv->nhosts, sizeof *e.p);
	start_next(&e);
	uv_run(&e.loop, UV_RUN_DEFAULT);
	uv_loop_close(&e.loop);

	/* Record in inventory order, so the file is the same on every run. */
	for (k = 0; k < inv->nhosts; k++) {
		struct probe *p = &e.p[k];
		const struct ro_host *h = &inv->hosts[k];
		if (p->outcome == O_NEW || (p->outcome == O_CHANGED && replace)) {
			ro_known_hosts_put(kh, h->address, p->port, p->type, p->key, p->key_len);
			if (p->outcome == O_CHANGED)
				p->outcome = O_REPLACED;
		}
		switch (p->outcome) {
		case O_NEW: n_new++; break;
		case O_UNCHANGED: n_same++; break;
		case O_CHANGED: n_changed++; break;
		case O_REPLACED: n_replaced++; break;
		default: n_failed++; break;
		}
	}
	if (n_new + n_replaced > 0) {
		rc = ro_known_hosts_save(kh, &cause);
		if (rc < 0) {
			fprintf(stderr, "rollout hosts enroll: error: %s; no key was recorded\n", cause);
			goto out_probes;
		}
	}

	if (json)
		printf("[");
	for (k = 0; k < inv->nhosts; k++) {
		struct probe *p = &e.p[k];
		const struct ro_host *h = &inv->hosts[k];
		if (json) {
			printf(k ? ",{\"host\":" : "{\"host\":");
			ro_json_str(stdout, h->name);
			printf(",\"address\":");
			ro_json_str(stdout, h->address);
			printf(",\"port\":%d,\"result\":\"%s\"", p->port,
			    p->outcome == O_CHANGED ? "changed" : outcome_names[p->outcome]);
			if (p->outcome != O_FAILED) {
				printf(",\"type\":");
				ro_json_str(stdout, p->type);
				printf(",\"fingerprint\":");
				ro_json_str(stdout, p->fp);
			} else {
				printf(",\"error\":");
				ro_json_str(stdout, p->cause);
			}
			printf("}");
		} else if (p->outcome == O_FAILED) {
			printf("%-16s %s:%d  unreachable: %s\n", h->name, h->address, p->port, p->cause);
		} else {
			printf("%-16s %s:%d  %s %s  %s\n", h->name, h->address, p->port, p->type, p->fp,
			    outcome_names[p->outcome]);
		}
	}
	if (json)
		printf("]\n");
	fprintf(json ? stderr : stdout,
	    "%zu hosts: %zu new (recorded), %zu unchanged, %zu replaced, %zu CHANGED, "
	    "%zu unreachable; known hosts: %s\n", inv->nhosts, n_new, n_same, n_replaced,
	    n_changed, n_failed, kh_path);
	if (n_changed) {
		fprintf(stderr,
		    "WARNING: %zu host%s presented a key that differs from the one recorded in %s.\n"
		    "  This happens when a machine is reinstalled, and also when someone intercepts\n"
		    "  the connection. Their records were NOT changed, and the engine will refuse to\n"
		    "  connect to them. Confirm each fingerprint with the site (ssh-keygen -lf on the\n"
		    "  host's key), then run again with --replace.\n",
		    n_changed, n_changed == 1 ? "" : "s", kh_path);
	}
	if (n_failed)
		fprintf(stderr, "rollout hosts enroll: %zu host%s could not be probed; run again once "
		    "they are reachable\n", n_failed, n_failed == 1 ? "" : "s");
	code = n_changed || n_failed ? RO_EXIT_FAIL : RO_EXIT_OK;
out_probes:
	for (k = 0; k < inv->nhosts; k++) {
		free(e.p[k].key);
		free(e.p[k].cause);
	}
	free(e.p);
out:
	free(cause);
	free(kh_path);
	ro_known_hosts_free(kh);
	ro_inventory_free(inv);
	return code;
}

static int
list(int argc, char **argv)
{
	const char *state = ro_cmd_state_dir();
	struct ro_known_hosts *kh = NULL;
	char *kh_path, *cause = NULL;
	size_t k, n;
	int i, rc;

	for (i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "--state-dir") == 0 || strcmp(argv[i], "--state") == 0) &&
		    i + 1 < argc)
			state = argv[++i];
		else
			return ro_cmd_usage(&ro_cmd_hosts, "unexpected argument '%s'", argv[i]);
	}
	/* A missing directory lists nothing; one others can write is not trusted. */
	if ((rc = ro_state_dir_prepare(state, 0, &cause)) != 0 && rc != RO_ENOENT) {
		fprintf(stderr, "rollout hosts list: error: %s\n", cause);
		free(cause);
		return rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
	}
	kh_path = ro_xasprintf("%s/known_hosts", state);
	rc = ro_known_hosts_load(kh_path, &kh, &cause);
	if (rc < 0) {
		fprintf(stderr, "rollout hosts list: error: %s\n", cause);
		free(cause);
		free(kh_path);
		return RO_EXIT_FAIL;
	}
	n = ro_known_hosts_count(kh);
	for (k = 0; k < n; k++) {
		const char *hp, *type;
		const unsigned char *key;
		size_t len;
		char fp[64];
		ro_known_hosts_entry(kh, k, &hp, &type, &key, &len);
		ro_hostkey_fingerprint(key, len, fp);
		printf("%-24s %s %s\n", hp, type, fp);
	}
	printf("%zu recorded in %s\n", n, kh_path);
	ro_known_hosts_free(kh);
	free(kh_path);
	return RO_EXIT_OK;
}

/*
 * hold CAMPAIGN HOST --reason TEXT / release CAMPAIGN HOST: set a host that
 * cannot be fixed tonight aside, so the rest of the campaign finishes, and
 * put it back later. Both are journaled; a running engine picks them up
 * within a second (a host under way finishes its run first).
 */
static int
hold_or_release(int argc, char **argv, int hold)
{
	const char *state = ro_cmd_state_dir(), *reason = NULL, *pos[2] = { NULL, NULL };
	const char *sub = hold ? "hold" : "release";
	struct ro_store *st = NULL;
	struct ro_buf cmd;
	char *cause = NULL, abs[PATH_MAX];
	int i, np = 0, rc, code = RO_EXIT_OK;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if ((strcmp(a, "--state-dir") == 0 || strcmp(a, "--state") == 0) && v) {
			state = v;
			i++;
		} else if (hold && strcmp(a, "--reason") == 0 && v) {
			reason = v;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return ro_cmd_usage(&ro_cmd_hosts, "unknown option or missing value: '%s'", a);
		} else if (np < 2) {
			pos[np++] = a;
		} else {
			return ro_cmd_usage(&ro_cmd_hosts, "unexpected argument '%s'", a);
		}
	}
	if (np != 2)
		return ro_cmd_usage(&ro_cmd_hosts, "%s takes a campaign and a host", sub);
	if (hold && (reason == NULL || *reason == '\0'))
		return ro_cmd_usage(&ro_cmd_hosts, "say why the host is held: --reason TEXT");
	if ((rc = ro_store_open_dir(state, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout hosts %s: %s\n", sub, cause);
		code = ro_cmd_store_exit(rc);
		goto out;
	}
	rc = hold ? ro_store_hold(st, pos[0], pos[1], reason, &cause) :
	    ro_store_hold_release(st, pos[0], pos[1], &cause);
	if (rc != RO_OK) {
		fprintf(stderr, "rollout hosts %s: %s\n", sub, cause ? cause : ro_strerror(rc));
		code = rc == RO_ENOENT || rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (realpath(state, abs) == NULL)
		snprintf(abs, sizeof abs, "%s", state);
	ro_buf_init(&cmd);
	ro_cmd_shell_word(&cmd, pos[0]);
	ro_buf_adds(&cmd, " --state-dir ");
	ro_cmd_shell_word(&cmd, abs);
	if (hold)
		printf("Held %s in campaign %s: it is not started, and the rest of the campaign goes "
		    "on without it.\nRelease it once it is fixed: rollout hosts release %s %s\n",
		    pos[1], pos[0], pos[1], cmd.p);
	else
		printf("Released %s in campaign %s: the next run takes it up again "
		    "(rollout resume %s).\n", pos[1], pos[0], cmd.p);
	ro_buf_free(&cmd);
out:
	ro_store_close(st);
	free(cause);
	return code;
}

static int
hosts_exec(int argc, char **argv)
{
	if (ro_cmd_wants_help(argc, argv)) {
		ro_cmd_print_help(stdout, &ro_cmd_hosts);
		return RO_EXIT_OK;
	}
	if (argc < 2)
		return ro_cmd_usage(&ro_cmd_hosts, "say 'enroll', 'list', 'hold' or 'release'");
	if (strcmp(argv[1], "hold") == 0)
		return hold_or_release(argc, argv, 1);
	if (strcmp(argv[1], "release") == 0)
		return hold_or_release(argc, argv, 0);
	if (strcmp(argv[1], "enroll") == 0)
		return enroll(argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return list(argc, argv);
	return ro_cmd_usage(&ro_cmd_hosts, "unknown subcommand '%s'", argv[1]);
}

const struct ro_cmd ro_cmd_hosts = {
	.name = "hosts",
	.usage = "enroll INVENTORY [--port N] [--state-dir DIR] [--replace] [--json] "
	    "[--timeout MS] | list [--state-dir DIR] | hold CAMPAIGN HOST --reason TEXT "
	    "[--state-dir DIR] | release CAMPAIGN HOST [--state-dir DIR]",
	.summary = "record the hosts' SSH keys; hold a dead host aside in a campaign, release it",
	.help =
	    "enroll connects to every host of INVENTORY (100 at a time), completes the\n"
	    "SSH key exchange without logging in, and prints one line per host with its\n"
	    "key fingerprint and whether it is new, unchanged or CHANGED. New keys are\n"
	    "recorded in DIR/known_hosts (OpenSSH format). A CHANGED key is not replaced\n"
	    "unless --replace is given: check the fingerprint with the site first.\n"
	    "Exits 1 if a host was unreachable or presented a changed key.\n"
	    "\n"
	    "  --port N          connect to port N on every host instead of the inventory's\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "  --replace         record changed keys too (after checking them!)\n"
	    "  --json            one JSON array on stdout; the summary goes to stderr\n"
	    "  --timeout MS      per host (default 10000)\n"
	    "\n"
	    "list prints the recorded keys with their fingerprints.\n"
	    "\n"
	    "hold sets HOST of CAMPAIGN aside (journaled with your name and the reason): the\n"
	    "engine does not start it, the rest of the campaign finishes, and `rollout status`\n"
	    "lists it. A host under way finishes its current run first. A campaign whose only\n"
	    "unfinished hosts are held ends halted (never done: they still need their run).\n"
	    "release puts it back; the next `rollout resume` runs it. Exit status: 0 done,\n"
	    "1 refused (the host is done already, or held already), 2 no such campaign, host\n"
	    "or hold, or bad usage.\n",
	.exec = hosts_exec,
};
