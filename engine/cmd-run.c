/* cmd-run.c - `rollout run CAMPAIGN`: execute (or resume) a campaign's plan. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "campaign.h"
#include "clock.h"
#include "cmd.h"
#include "error.h"
#include "executor.h"
#include "plan-record.h"
#include "planner.h"
#include "progress.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_run;

struct run_signals {
	struct ro_executor *ex;
	struct ro_progress *progress;
	int count;
	uv_signal_t sigint, sigterm;
};

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

/* Checks the engine's key and known hosts before anything is recorded. */
static int
check_identity(const char *key, const char *known, const char *state_dir)
{
	struct stat sb;

	if (stat(key, &sb) != 0) {
		fprintf(stderr, "rollout run: no engine key at %s\n"
		    "  make one with: rollout keygen --state-dir %s\n"
		    "  and add %s.pub to each host's administrator authorized keys\n",
		    key, state_dir, key);
		return RO_EXIT_USAGE;
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

static int
run_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "param", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "plain", no_argument, NULL, 'l' },
		{ "time-warp", required_argument, NULL, 'W' },
		{ "clock-start", required_argument, NULL, 'C' },
		{ "clock-anchor", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct ro_param_arg *args = ro_xcalloc((size_t)argc, sizeof *args);
	const char *state_dir = RO_STATE_DIR_DEFAULT, *key = NULL, *why = NULL;
	struct ro_campaign *c = NULL;
	struct ro_plan *plan = NULL;
	struct ro_store *st = NULL;
	struct ro_executor *ex = NULL;
	struct ro_progress *progress = NULL;
	struct ro_exec_summary sum;
	struct run_signals rs;
	struct ro_clock clock;
	struct ro_diags d;
	enum ro_progress_mode mode = ro_progress_mode_auto(stdout);
	char *cause = NULL, *keybuf = NULL, *known = NULL;
	uv_loop_t loop;
	int loop_ok = 0, ch, rc, existed = 0, port = 0, exit_code = RO_EXIT_OK;
	size_t nargs = 0;
	long v;
	char *end;

	memset(&sum, 0, sizeof sum);
	memset(&rs, 0, sizeof rs);
	ro_clock_init(&clock);
	ro_diags_init(&d);
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
		case 'j':
			mode = RO_PROGRESS_JSON;
			break;
		case 'l':
			mode = RO_PROGRESS_PLAIN;
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
	if ((exit_code = check_identity(keybuf, known, state_dir)) != RO_EXIT_OK)
		goto out;
	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	{
		/* Nothing is recorded on top of a journal that does not verify. */
		struct ro_journal_check jc;
		if ((exit_code = ro_cmd_journal_gate(&ro_cmd_run, st, state_dir, &jc)) != RO_EXIT_OK)
			goto out;
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
		if (ro_store_campaign_get(st, c->id, &ci, NULL) == RO_OK && ci.state != RO_CAMPAIGN_PLANNED &&
		    ci.state != RO_CAMPAIGN_RUNNING && ci.state != RO_CAMPAIGN_HALTED) {
			/* Running a finished campaign again is harmless: say so, change nothing. */
			fprintf(stderr, "rollout run: campaign %s is already %s: nothing to run "
			    "(`rollout status %s --state-dir %s` shows its record)\n", c->id,
			    ro_campaign_state_name(ci.state), c->id, state_dir);
			exit_code = ci.state == RO_CAMPAIGN_DONE ? RO_EXIT_OK : RO_EXIT_FAIL;
			ro_campaign_info_clear(&ci);
			goto out;
		}
		ro_campaign_info_clear(&ci);
	}

	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "rollout run: cannot start the event loop\n");
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	loop_ok = 1;
	progress = ro_progress_new(stdout, mode, plan, &clock, &loop);
	struct ro_exec_config cfg = {
		.clock = &clock,
		.key_path = keybuf,
		.known_hosts_path = known,
		.port = port,
		.on_event = ro_progress_event,
		.event_arg = progress,
	};
	if ((rc = ro_executor_new(&loop, st, plan, &cfg, &ex, &cause)) != RO_OK) {
		fprintf(stderr, "rollout run: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ESTATE ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (mode != RO_PROGRESS_JSON)
		fprintf(stderr, "%s campaign %s (plan %.12s…, %zu waves) from %s\n",
		    existed ? "Resuming" : "Starting", c->id, plan->hash, plan->nwaves, state_dir);
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
	uv_signal_init(&loop, &rs.sigint);
	uv_signal_init(&loop, &rs.sigterm);
	rs.sigint.data = rs.sigterm.data = &rs;
	uv_signal_start(&rs.sigint, on_signal, SIGINT);
	uv_signal_start(&rs.sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&rs.sigint);
	uv_unref((uv_handle_t *)&rs.sigterm);

	rc = ro_executor_run(ex, &sum, &cause);
	ro_progress_finish(progress, &sum, rc, cause);
	if (rc != RO_OK || sum.halted)
		exit_code = RO_EXIT_FAIL;
	uv_close((uv_handle_t *)&rs.sigint, NULL);
	uv_close((uv_handle_t *)&rs.sigterm, NULL);
	rs.ex = NULL;
out:
	ro_executor_free(ex);
	ro_progress_free(progress);
	if (loop_ok) {
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
	}
	ro_store_close(st);
	ro_plan_free(plan);
	ro_campaign_free(c);
	ro_diags_free(&d);
	free(cause);
	free(keybuf);
	free(known);
	free(args);
	return exit_code;
}

const struct ro_cmd ro_cmd_run = {
	.name = "run",
	.usage = "[--state-dir DIR] [--port N] [--key FILE] [--plain | --json] "
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
	    "  --state-dir DIR   state store, engine key and known hosts (default .rollout)\n"
	    "  --port N          connect to port N on every host instead of the inventory's\n"
	    "  --key FILE        the engine's private key (default DIR/id_ed25519)\n"
	    "  --plain           one log line per event (the default when not on a terminal)\n"
	    "  --json            one JSON object per event, then a summary object\n"
	    "  --param NAME=VALUE  override a campaign parameter (changes the plan hash)\n"
	    "\n"
	    "Time (the demo and tests; both the engine and the simulator take these):\n"
	    "  --time-warp N         run N virtual seconds per real second\n"
	    "  --clock-start WHEN    virtual start, YYYY-MM-DDTHH:MM[:SS] JST or Unix seconds\n"
	    "  --clock-anchor SECS   real Unix time that WHEN corresponds to (default: now)\n"
	    "\n"
	    "Interrupt once to stop starting hosts (those under way finish), twice to cancel\n"
	    "them too. Exit status: 0 the campaign is done (also when it was done before),\n"
	    "1 it halted or failed (see `rollout status`), 2 bad input.\n",
	.exec = run_exec,
};
