/* cmd-run.c - `rollout run CAMPAIGN`: execute (or resume) a campaign's plan. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "campaign.h"
#include "clock.h"
#include "cmd.h"
#include "error.h"
#include "executor.h"
#include "lease.h"
#include "plan-record.h"
#include "planner.h"
#include "notify.h"
#include "progress.h"
#include "pwvault.h"
#include "statedir.h"
#include "store.h"
#include "transport.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_run;

/*
 * What watches a run from outside the executor, on the same loop: the
 * signals (Ctrl-C once or twice, SIGTERM, the terminal hanging up) and a
 * tick that keeps the lease's heartbeat, carries out `rollout stop` (the
 * stop asked through the store) and picks up `rollout hosts hold`.
 */
struct run_signals {
	struct ro_executor *ex;
	struct ro_progress *progress;
	struct ro_notifier *notify;
	struct ro_lease *lease;
	const char *campaign, *state_dir;
	int count;       /* interrupts so far */
	int stop_seen;   /* the stop asked through the store so far */
	int lost;        /* the lease was taken over */
	int logging;     /* output already goes to a log file */
	uv_signal_t sigint, sigterm, sighup;
	uv_timer_t tick;
};

/* run_event hands each event to the progress view and the notify command. */
static void
run_event(const struct ro_event *ev, void *arg)
{
	struct run_signals *rs = arg;

	ro_progress_event(ev, rs->progress);
	ro_notify_event(rs->notify, ev);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct run_signals *rs = h->data;

	(void)signum;
	rs->count++;
	if (rs->ex == NULL)
		return;
	if (rs->count == 1)
		fprintf(stderr, "\nrollout run: stopping: no new host starts; the hosts under way "
		    "finish first (interrupt again to cancel them)\n");
	else
		fprintf(stderr, "\nrollout run: cancelling the hosts under way; their steps are "
		    "re-checked when the campaign runs again\n");
	ro_executor_stop(rs->ex, rs->count > 1);
}

/* log_to sends stdout and stderr to path (appended, private to the user). */
static int
log_to(const char *path, char **cause)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		*cause = ro_xasprintf("%s: cannot open the log: %s", path, strerror(errno));
		return RO_EIO;
	}
	fflush(stdout);
	fflush(stderr);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		*cause = ro_xasprintf("%s: cannot log there: %s", path, strerror(errno));
		close(fd);
		return RO_EIO;
	}
	close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return RO_OK;
}

/* The log a run moves to when its terminal hangs up: STATE/logs/CAMPAIGN.log. */
static char *
hangup_log_path(const char *state_dir, const char *campaign)
{
	char *dir = ro_xasprintf("%s/logs", state_dir);

	(void)mkdir(dir, 0700);
	free(dir);
	return ro_lease_file(state_dir, "logs", campaign, ".log");
}

/*
 * The engineer's SSH session ended (or the terminal closed): the run goes
 * on. Its output, which now has nowhere to go, moves to a log file.
 */
static void
on_hangup(uv_signal_t *h, int signum)
{
	struct run_signals *rs = h->data;
	char *path, *cause = NULL, at[RO_JST_FMT_MAX];

	(void)signum;
	if (rs->logging)
		return;
	path = hangup_log_path(rs->state_dir, rs->campaign);
	if (log_to(path, &cause) == RO_OK) {
		rs->logging = 1;
		ro_jst_format((int64_t)time(NULL) / 60, at);
		fprintf(stderr, "rollout run: the terminal hung up at %s JST; the run goes on, "
		    "logging here\n", at);
	}
	free(cause);
	free(path);
}

static void
on_tick(uv_timer_t *t)
{
	struct run_signals *rs = t->data;
	int stop = 0, rc;

	if (rs->ex == NULL || rs->lost)
		return;
	rc = ro_lease_beat(rs->lease, &stop);
	if (rc == RO_ENOENT) {
		/* Another engine took the campaign over (this one looked dead to
		 * it): two engines must never drive the same hosts. */
		rs->lost = 1;
		fprintf(stderr, "rollout run: another engine took campaign %s over; this one "
		    "cancels its hosts under way and stops\n", rs->campaign);
		ro_executor_stop(rs->ex, 1);
		return;
	}
	if (rc == RO_OK && stop > rs->stop_seen) {
		rs->stop_seen = stop;
		fprintf(stderr, "rollout run: `rollout stop%s` asked this run to stop: %s\n",
		    stop > 1 ? " --now" : "", stop > 1 ? "cancelling the hosts under way" :
		    "no new host starts; the hosts under way finish first");
		ro_executor_stop(rs->ex, stop > 1);
	}
	(void)ro_executor_refresh_holds(rs->ex);
}

/* record_sites keeps the names of the campaign's sites, which `status`
 * shows beside each failed or held host. */
static int
record_sites(struct ro_store *st, const struct ro_campaign *c, char **cause)
{
	const struct ro_inventory *inv = c->inv;
	const char **ids = ro_xcalloc(inv->nsites ? inv->nsites : 1, sizeof *ids);
	const char **names = ro_xcalloc(inv->nsites ? inv->nsites : 1, sizeof *names);
	unsigned char *seen = ro_xcalloc(inv->nsites ? inv->nsites : 1, 1);
	size_t i, n = 0;
	int rc;

	for (i = 0; i < c->nhosts; i++) {
		uint32_t site = inv->hosts[c->hosts[i]].site;
		if (seen[site]++)
			continue;
		ids[n] = inv->sites[site].id;
		names[n++] = inv->sites[site].name_ja ? inv->sites[site].name_ja :
		    inv->sites[site].name ? inv->sites[site].name : inv->sites[site].id;
	}
	rc = ro_store_site_names_set(st, c->id, n, ids, names, cause);
	free(ids);
	free(names);
	free(seen);
	return rc;
}

/*
 * record_invocation keeps this run's command line in the store, so that
 * `rollout resume` repeats it exactly. The state directory it used is put
 * first as an absolute --state-dir, so that the repeat finds the same store
 * even when this one came from $ROLLOUT_STATE_DIR or the default.
 */
static int
record_invocation(struct ro_store *st, const char *campaign, const char *state_dir, int argc,
    char **argv, char **cause)
{
	char cwd[PATH_MAX], abs[PATH_MAX];
	char **v = ro_xcalloc((size_t)argc + 3, sizeof *v);
	int n = 0, i, rc;

	if (getcwd(cwd, sizeof cwd) == NULL || realpath(state_dir, abs) == NULL) {
		*cause = ro_xasprintf("cannot resolve the working or state directory: %s",
		    strerror(errno));
		free(v);
		return RO_EIO;
	}
	v[n++] = argv[0];
	/* A repeat (`rollout resume`) has it first already. */
	if (argc < 3 || strcmp(argv[1], "--state-dir") != 0 || strcmp(argv[2], abs) != 0) {
		v[n++] = "--state-dir";
		v[n++] = abs;
	}
	for (i = 1; i < argc; i++)
		v[n++] = argv[i];
	rc = ro_store_invocation_set(st, campaign, cwd, n, v, cause);
	free(v);
	return rc;
}

/* Checks the state directory, the engine's identity (agent or key, its
 * passphrase asked once) and the known hosts before anything is recorded. */
static int
check_identity(const struct ro_engine_id_opts *ko, struct ro_engine_id **id,
    const char *known, const char *state_dir)
{
	struct stat sb;
	char *cause = NULL;
	int rc;

	if ((rc = ro_state_dir_prepare(state_dir, 1, &cause)) != 0 ||
	    (rc = ro_engine_id_open(ko, id, &cause)) != 0) {
		fprintf(stderr, "rollout run: %s\n", cause ? cause : ro_strerror(rc));
		if (rc == RO_ENOENT)
			fprintf(stderr, "  make one with: rollout keygen --state-dir %s\n"
			    "  and add %s.pub to each host's administrator authorized keys\n",
			    state_dir, ko->key_path);
		free(cause);
		return rc == RO_EIO || rc == RO_ENOMEM ? RO_EXIT_FAIL : RO_EXIT_USAGE;
	}
	if (stat(known, &sb) != 0) {
		fprintf(stderr, "rollout run: no recorded host keys at %s\n"
		    "  record them with: rollout hosts enroll INVENTORY --state-dir %s\n"
		    "  (compare the fingerprints it shows with the ones the hosts' administrators gave you)\n",
		    known, state_dir);
		return RO_EXIT_USAGE;
	}
	return RO_EXIT_OK;
}

/* passphrase_fd_ok: fd is open and a pipe, a file or a terminal. */
static int
passphrase_fd_ok(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISREG(sb.st_mode) ||
	    S_ISCHR(sb.st_mode) || S_ISSOCK(sb.st_mode));
}

static int
run_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "param", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "key", required_argument, NULL, 'k' },
		{ "agent", no_argument, NULL, 'g' },
		{ "no-agent", no_argument, NULL, 'G' },
		{ "key-passphrase-fd", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "plain", no_argument, NULL, 'l' },
		{ "time-warp", required_argument, NULL, 'W' },
		{ "clock-start", required_argument, NULL, 'C' },
		{ "clock-anchor", required_argument, NULL, 'A' },
		{ "log", required_argument, NULL, 'L' },
		{ "state", required_argument, NULL, 'S' }, /* the old name, kept as an alias */
		{ "vault-member", required_argument, NULL, 'M' },
		{ "vault", required_argument, NULL, 'V' },
		{ "vault-key", required_argument, NULL, 'K' },
		{ "passphrase-fd", required_argument, NULL, 'f' },
		{ "trust-vault", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct ro_param_arg *args = ro_xcalloc((size_t)argc, sizeof *args);
	const char *state_dir = ro_cmd_state_dir(), *key = NULL, *why = NULL, *log = NULL;
	struct ro_lease *lease = NULL;
	char **orig = ro_xcalloc((size_t)argc + 1, sizeof *orig), absdir[PATH_MAX];
	struct ro_campaign *c = NULL;
	struct ro_plan *plan = NULL;
	struct ro_store *st = NULL;
	struct ro_executor *ex = NULL;
	struct ro_progress *progress = NULL;
	struct ro_exec_summary sum;
	struct run_signals rs;
	struct ro_clock clock;
	struct ro_diags d;
	enum ro_progress_mode mode = RO_PROGRESS_LIVE;
	char *cause = NULL, *keybuf = NULL, *known = NULL;
	struct ro_engine_id_opts ko = { .agent = -1, .passphrase_fd = -1 };
	struct ro_engine_id *id = NULL;
	struct ro_pwvault_opts vo = { .passphrase_fd = -1 };
	struct ro_pwvault *vault = NULL;
	uv_loop_t loop;
	int loop_ok = 0, ch, rc, existed = 0, port = 0, exit_code = RO_EXIT_OK, mode_set = 0;
	int starting = 1;
	size_t nargs = 0;
	long v;
	char *end;

	memset(&sum, 0, sizeof sum);
	memset(&rs, 0, sizeof rs);
	ro_clock_init(&clock);
	ro_diags_init(&d);
	/* getopt_long permutes argv: keep the command line as it was given. */
	memcpy(orig, argv, (size_t)argc * sizeof *argv);
	int li = 0;
	while ((ch = getopt_long(argc, argv, "S:p:P:k:jl", opts, &li)) != -1) {
		switch (ch) {
		case 'S':
			state_dir = optarg;
			break;
		case 'p':
			if (ro_param_arg_parse(optarg, &args[nargs++]) != RO_OK) {
				exit_code = ro_cmd_usage(&ro_cmd_run, "--param takes NAME=VALUE");
				goto out;
			}
			break;
		case 'P':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 1 || v > 65535) {
				exit_code = ro_cmd_usage(&ro_cmd_run, "--port takes a TCP port, 1-65535");
				goto out;
			}
			port = (int)v;
			break;
		case 'k':
			key = optarg;
			break;
		case 'g':
		case 'G':
			ko.agent = ch == 'g';
			break;
		case 'F':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 0 || v > 1023) {
				exit_code = ro_cmd_usage(&ro_cmd_run,
				    "--key-passphrase-fd takes an open file descriptor number");
				goto out;
			}
			/* Checked now, before rollout opens anything itself: a number
			 * the caller did not open could later name one of our files. */
			if (!passphrase_fd_ok((int)v)) {
				exit_code = ro_cmd_usage(&ro_cmd_run, "--key-passphrase-fd %ld is not "
				    "an open pipe, file or terminal (give it as: 3<FILE or 3<<<...)", v);
				goto out;
			}
			ko.passphrase_fd = (int)v;
			break;
		case 'M':
			vo.member = optarg;
			break;
		case 'V':
			vo.vault_path = optarg;
			break;
		case 'K':
			vo.key_path = optarg;
			break;
		case 'T':
			if (strlen(optarg) != 64 || strspn(optarg, "0123456789abcdef") != 64) {
				exit_code = ro_cmd_usage(&ro_cmd_run, "--trust-vault takes the vault's "
				    "fingerprint (64 hex digits)");
				goto out;
			}
			vo.trust = optarg;
			break;
		case 'f':
			v = strtol(optarg, &end, 10);
			/* Checked now, before rollout opens anything itself (as above). */
			if (*optarg == '\0' || *end || v < 0 || v > 1023 || !passphrase_fd_ok((int)v)) {
				exit_code = ro_cmd_usage(&ro_cmd_run, "--passphrase-fd takes a descriptor "
				    "open on a pipe, file or terminal (give it as: 3<FILE)");
				goto out;
			}
			vo.passphrase_fd = (int)v;
			break;
		case 'j':
			mode = RO_PROGRESS_JSON;
			mode_set = 1;
			break;
		case 'l':
			mode = RO_PROGRESS_PLAIN;
			mode_set = 1;
			break;
		case 'L':
			log = optarg;
			break;
		case 'W':
		case 'C':
		case 'A': {
			char flag[32];
			snprintf(flag, sizeof flag, "--%s", opts[li].name);
			if (ro_clock_option(&clock, flag, optarg, &why) < 0) {
				exit_code = ro_cmd_usage(&ro_cmd_run, "%s", why);
				goto out;
			}
			break;
		}
		default:
			exit_code = ro_cmd_usage(&ro_cmd_run, NULL);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		exit_code = ro_cmd_usage(&ro_cmd_run, "name one campaign file");
		goto out;
	}
	/* Ignored so that a reader that went away (a closed `| tee`, a dropped
	 * session) costs the run its output, never the run itself. */
	signal(SIGPIPE, SIG_IGN);
	/* Until the loop handles it: a hang-up while the campaign loads must not
	 * end the run either. */
	signal(SIGHUP, SIG_IGN);
	if (log != NULL) {
		fprintf(stderr, "rollout run: logging to %s\n", log);
		if (log_to(log, &cause) != RO_OK) {
			fprintf(stderr, "rollout run: %s\n", cause);
			exit_code = RO_EXIT_USAGE;
			goto out;
		}
		rs.logging = 1;
	}
	if (!mode_set)
		mode = ro_progress_mode_auto(stdout);
	keybuf = key ? ro_xstrdup(key) : ro_xasprintf("%s/id_ed25519", state_dir);
	known = ro_xasprintf("%s/known_hosts", state_dir);

	if ((rc = ro_campaign_load(argv[optind], args, nargs, &c, &d)) != RO_OK) {
		ro_diags_print(stderr, &d);
		exit_code = RO_EXIT_USAGE;
		goto out;
	}
	if ((rc = ro_plan_build(c, &plan, &d)) != RO_OK) {
		ro_diags_print(stderr, &d);
		exit_code = rc == RO_EINFEASIBLE ? RO_EXIT_FAIL : RO_EXIT_USAGE;
		goto out;
	}
	if ((rc = ro_executor_supports(plan, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause);
		exit_code = RO_EXIT_USAGE; /* nothing recorded, nothing run */
		goto out;
	}
	if (ro_plan_password_steps(plan) > 0 && vo.member == NULL) {
		fprintf(stderr, "rollout run: campaign %s changes passwords: name the vault member "
		    "who unlocks the vault, e.g. --vault-member alice (the passphrase is asked once, "
		    "or read from --passphrase-fd N)\n  nothing was changed.\n", c->id);
		exit_code = RO_EXIT_USAGE;
		goto out;
	}
	ko.key_path = keybuf;
	if ((exit_code = check_identity(&ko, &id, known, state_dir)) != RO_EXIT_OK)
		goto out;
	{
		struct ro_journal_check jc;
		if ((exit_code = ro_cmd_open_verified(&ro_cmd_run, state_dir, &st, &jc)) != RO_EXIT_OK)
			goto out;
	}
	/* The hints printed from here on paste as they are, from any directory. */
	if (realpath(state_dir, absdir) == NULL)
		snprintf(absdir, sizeof absdir, "%s", state_dir);
	/* One engine per campaign: the lock comes before anything is recorded,
	 * so a second engine changes nothing. */
	if ((rc = ro_lease_lock(st, state_dir, c->id, &lease, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause);
		if (rc == RO_ELOCKED)
			fprintf(stderr, "  `rollout status %s --state-dir %s` shows its progress; "
			    "`rollout stop %s --state-dir %s` stops it\n", c->id, absdir, c->id, absdir);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	{
		/* Running a finished campaign again is harmless: say so, change nothing,
		 * and ask no one for the vault's passphrase first. */
		struct ro_campaign_info ci;
		memset(&ci, 0, sizeof ci);
		if (ro_store_campaign_get(st, c->id, &ci, NULL) == RO_OK && ci.state != RO_CAMPAIGN_PLANNED &&
		    ci.state != RO_CAMPAIGN_RUNNING && ci.state != RO_CAMPAIGN_HALTED) {
			fprintf(stderr, "rollout run: campaign %s is already %s: nothing to run "
			    "(`rollout status %s --state-dir %s` shows its record)\n", c->id,
			    ro_campaign_state_name(ci.state), c->id, state_dir);
			exit_code = ci.state == RO_CAMPAIGN_DONE ? RO_EXIT_OK : RO_EXIT_FAIL;
			ro_campaign_info_clear(&ci);
			goto out;
		}
		ro_campaign_info_clear(&ci);
	}
	if (ro_plan_password_steps(plan) > 0) {
		/* Unlocked once for the whole run, before anything is recorded; a vault
		 * without the values the campaign needs refuses the run here. */
		vo.state_dir = state_dir;
		rc = ro_pwvault_open(&vo, st, &vault, &cause);
		if (rc == RO_OK && (rc = ro_executor_password_check(plan, vault, st, &cause)) != RO_OK) {
			ro_pwvault_close(vault);
			vault = NULL;
		}
		if (rc != RO_OK) {
			fprintf(stderr, "rollout run: %s\n  nothing was sent to any host.\n", cause);
			exit_code = rc == RO_EIO ? RO_EXIT_FAIL : RO_EXIT_USAGE;
			goto out;
		}
		if (mode != RO_PROGRESS_JSON)
			fprintf(stderr, "Vault %s unlocked by %s\n", ro_pwvault_id(vault),
			    ro_pwvault_member(vault));
	}
	if ((rc = ro_plan_record(st, plan, &existed, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	ro_store_set_clock(st, ro_clock_store_cb, &clock);
	{
		struct ro_campaign_info ci;
		memset(&ci, 0, sizeof ci);
		(void)ro_store_campaign_get(st, c->id, &ci, NULL);
		/* Only a campaign that ran before resumes; one saved by `plan --save`
		 * starts. */
		starting = !existed || ci.state == RO_CAMPAIGN_PLANNED;
		ro_campaign_info_clear(&ci);
	}
	if ((rc = ro_lease_take(lease, &cause)) != RO_OK ||
	    (rc = record_invocation(st, c->id, state_dir, argc, orig, &cause)) != RO_OK ||
	    (rc = record_sites(st, c, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}

	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "rollout run: cannot start the event loop\n");
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	loop_ok = 1;
	/* Watched from here on: a hang-up while the run is being prepared is
	 * handled like one during it. */
	rs.lease = lease;
	rs.campaign = c->id;
	rs.state_dir = state_dir;
	uv_signal_init(&loop, &rs.sigint);
	uv_signal_init(&loop, &rs.sigterm);
	uv_signal_init(&loop, &rs.sighup);
	uv_timer_init(&loop, &rs.tick);
	rs.sigint.data = rs.sigterm.data = rs.sighup.data = rs.tick.data = &rs;
	uv_signal_start(&rs.sigint, on_signal, SIGINT);
	uv_signal_start(&rs.sigterm, on_signal, SIGTERM);
	uv_signal_start(&rs.sighup, on_hangup, SIGHUP);
	uv_timer_start(&rs.tick, on_tick, RO_LEASE_BEAT_MS, RO_LEASE_BEAT_MS);
	uv_unref((uv_handle_t *)&rs.sigint);
	uv_unref((uv_handle_t *)&rs.sigterm);
	uv_unref((uv_handle_t *)&rs.sighup);
	uv_unref((uv_handle_t *)&rs.tick);
	progress = ro_progress_new(stdout, mode, plan, &clock, &loop);
	ro_progress_set_state_dir(progress, absdir);
	rs.progress = progress;
	rs.notify = ro_notify_new(&loop, plan, st, absdir);
	struct ro_exec_config cfg = {
		.clock = &clock,
		.key_path = keybuf,
		.auth = ro_engine_id_auth(id),
		.known_hosts_path = known,
		.port = port,
		.vault = vault,
		.on_event = run_event,
		.event_arg = &rs,
	};
	if ((rc = ro_executor_new(&loop, st, plan, &cfg, &ex, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ESTATE ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (mode != RO_PROGRESS_JSON)
		fprintf(stderr, "%s campaign %s (plan %.12s…, %zu waves) from %s\n",
		    starting ? "Starting" : "Resuming", c->id, plan->hash, plan->nwaves, state_dir);
	if (mode != RO_PROGRESS_JSON)
		fprintf(stderr, "Logging in to hosts with %s\n", ro_engine_id_describe(id));
	{
		/* One socket per host at once: lift the soft limit on open files
		 * (1024 on a default Debian login) to the hard one. */
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	rs.ex = ex;

	rc = ro_executor_run(ex, &sum, &cause);
	if (rc == RO_OK && !sum.halted) {
		/* Done by the engine, but manual steps may still wait for people
		 * on site: say so, as `rollout status` does (awaiting-on-site). */
		struct ro_manual_item *m = NULL;
		size_t nm = 0, i, pending = 0, hosts = 0;
		const char *last = NULL;
		if (ro_store_manual_list(st, c->id, &m, &nm) == RO_OK)
			for (i = 0; i < nm; i++)
				if (m[i].result == NULL) {
					/* The list is ordered by site, then host. */
					hosts += last == NULL || strcmp(m[i].host, last) != 0;
					last = m[i].host;
					pending++;
				}
		ro_manual_list_free(m, nm);
		ro_progress_set_on_site(progress, pending, hosts);
	}
	ro_progress_finish(progress, &sum, rc, cause);
	if (vault != NULL && mode != RO_PROGRESS_JSON) {
		struct ro_pwvault_stats vs;
		ro_pwvault_stats(vault, &vs);
		fprintf(stderr, "Vault: %llu password%s made current in %llu write%s (%.1f ms)\n",
		    (unsigned long long)vs.commits, vs.commits == 1 ? "" : "s",
		    (unsigned long long)vs.saves, vs.saves == 1 ? "" : "s", vs.save_seconds * 1e3);
	}
	if (rc != RO_OK || sum.halted)
		exit_code = RO_EXIT_FAIL;
	if (mode != RO_PROGRESS_JSON && (rc != RO_OK || sum.halted))
		fprintf(stderr, "rollout run: `rollout status %s --state-dir %s` shows what is left "
		    "and the command that resumes\n", c->id, absdir);
out:
	rs.ex = NULL;
	if (loop_ok) {
		uv_close((uv_handle_t *)&rs.sigint, NULL);
		uv_close((uv_handle_t *)&rs.sigterm, NULL);
		uv_close((uv_handle_t *)&rs.sighup, NULL);
		uv_close((uv_handle_t *)&rs.tick, NULL);
	}
	ro_executor_free(ex);
	ro_progress_free(progress);
	ro_notify_free(rs.notify);
	if (loop_ok) {
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
	}
	ro_lease_release(lease);
	ro_pwvault_close(vault);
	ro_store_close(st);
	ro_engine_id_free(id);
	ro_plan_free(plan);
	ro_campaign_free(c);
	ro_diags_free(&d);
	free(cause);
	free(keybuf);
	free(known);
	free(args);
	free(orig);
	return exit_code;
}

const struct ro_cmd ro_cmd_run = {
	.name = "run",
	.usage = "[--state-dir DIR] [--port N] [--key FILE] [--agent | --no-agent] "
	    "[--key-passphrase-fd N] [--vault-member NAME [--vault FILE] [--vault-key FILE] "
	    "[--passphrase-fd N] [--trust-vault FP]] [--plain | --json] [--log FILE] "
	    "[--param NAME=VALUE]... [--time-warp N [--clock-start WHEN] [--clock-anchor SECS]] CAMPAIGN",
	.summary = "Run (or resume) a campaign on its hosts over SSH.",
	.help =
	    "Builds the campaign's plan, records it in the state store (or checks that the\n"
	    "recorded one is the same: a plan that changed after approval is refused), and\n"
	    "runs its waves: each gated wave waits for `rollout approve`, each host's steps\n"
	    "run in order over SSH, every step's intent is recorded before it acts and its\n"
	    "outcome after. Running a halted or interrupted campaign again resumes it: done\n"
	    "hosts are left alone, the others start again from their checks. Nothing runs\n"
	    "when the store's journal does not verify (see `rollout audit verify`).\n"
	    "\n"
	    "One engine per campaign: a run holds the campaign's lease (a lock in the state\n"
	    "directory and a heartbeat in the store) and a second run is refused with who\n"
	    "holds it. The command line is recorded, so `rollout resume CAMPAIGN` repeats it.\n"
	    "\n"
	    "  --state-dir DIR   state store, engine key and known hosts (default\n"
	    "                    $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "  --port N          connect to port N on every host instead of the inventory's\n"
	    "  --key FILE        the engine's private key (default DIR/id_ed25519); it is\n"
	    "                    refused if the group or others can read it (chmod 600)\n"
	    "  --agent           log in with the SSH agent at $SSH_AUTH_SOCK, which must\n"
	    "                    hold the engine's key (FILE.pub); the default when\n"
	    "                    SSH_AUTH_SOCK is set and the agent holds it\n"
	    "  --no-agent        never use an agent, only FILE\n"
	    "  --key-passphrase-fd N  read the passphrase of an encrypted FILE (one line)\n"
	    "                    from descriptor N; otherwise it is asked on the terminal\n"
	    "  --vault-member NAME  a campaign with password steps: the vault member who\n"
	    "                    unlocks the vault once for the run (key DIR/keys/NAME.key,\n"
	    "                    or --vault-key FILE; vault DIR/vault.rov, or --vault FILE)\n"
	    "  --passphrase-fd N read the vault passphrase (one line) from descriptor N;\n"
	    "                    otherwise it is asked on the terminal. Never in argv or env\n"
	    "  --trust-vault FP  first open of the vault by this key file (vault/FORMAT.md)\n"
	    "  --plain           one log line per event (the default when not on a terminal)\n"
	    "  --json            one JSON object per event, then a summary object\n"
	    "  --param NAME=VALUE  override a campaign parameter (changes the plan hash)\n"
	    "  --log FILE        write all output to FILE (appended) instead of the terminal;\n"
	    "                    without it, a run whose terminal hangs up goes on and logs\n"
	    "                    to DIR/logs/CAMPAIGN.log\n"
	    "\n"
	    "Time (the demo and tests; both the engine and the simulator take these):\n"
	    "  --time-warp N         run N virtual seconds per real second\n"
	    "  --clock-start WHEN    virtual start, YYYY-MM-DDTHH:MM[:SS] JST or Unix seconds\n"
	    "  --clock-anchor SECS   real Unix time that WHEN corresponds to (default: now)\n"
	    "\n"
	    "Interrupt once (or `rollout stop CAMPAIGN` from another shell) to stop starting\n"
	    "hosts (those under way finish), twice (`rollout stop --now`) to cancel them too.\n"
	    "A run that leaves manual steps waiting ends \"awaiting-on-site\" with their count\n"
	    "and the next commands (`rollout report checklist`, `rollout record`).\n"
	    "Exit status: 0 the campaign is done (also when it was done before),\n"
	    "1 it halted or failed (see `rollout status`), or another engine runs it, 2 bad input.\n",
	.exec = run_exec,
};
