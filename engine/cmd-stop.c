/* cmd-stop.c - `rollout stop CAMPAIGN [--now]`: Ctrl-C for a run in another shell. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "error.h"
#include "lease.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_stop;

/*
 * wait_gone polls the store until the engine has let the lease go (or died),
 * at most timeout_s: 0 gone, 1 still there.
 */
static int
wait_gone(struct ro_store *st, const char *id, const struct ro_lease_info *asked, double timeout_s)
{
	struct timespec start, now, pause = { 0, 100 * 1000 * 1000 };

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct ro_lease_info li;
		int rc = ro_store_lease_get(st, id, &li, NULL);
		int same = rc == RO_OK && li.pid == asked->pid && li.started_at == asked->started_at &&
		    strcmp(li.host, asked->host) == 0;
		int alive = same && ro_lease_alive(&li, (int64_t)time(NULL));
		ro_lease_info_clear(&li);
		if (rc != RO_OK && rc != RO_ENOENT)
			return 1;
		if (!alive)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >
		    timeout_s)
			return 1;
		nanosleep(&pause, NULL);
	}
}

static int
stop_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "now", no_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir(), *id;
	struct ro_store *st = NULL;
	struct ro_lease_info li;
	struct ro_campaign_info ci;
	char *cause = NULL, *end, desc[512];
	double timeout = 600;
	int ch, rc, hard = 0, wait = 0, exit_code = RO_EXIT_OK;

	memset(&li, 0, sizeof li);
	memset(&ci, 0, sizeof ci);
	while ((ch = getopt_long(argc, argv, "nwt:S:", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			hard = 1;
			break;
		case 'w':
			wait = 1;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*optarg == '\0' || *end || !(timeout > 0))
				return ro_cmd_usage(&ro_cmd_stop, "--timeout takes seconds");
			break;
		case 'S':
			state_dir = optarg;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_stop, NULL);
		}
	}
	if (optind + 1 != argc)
		return ro_cmd_usage(&ro_cmd_stop, "name one campaign (its id, as `rollout status` lists)");
	id = argv[optind];
	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout stop: %s\n", cause);
		exit_code = ro_cmd_store_exit(rc);
		goto out;
	}
	if ((rc = ro_store_campaign_get(st, id, &ci, &cause)) != RO_OK) {
		fprintf(stderr, "rollout stop: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	rc = ro_store_lease_get(st, id, &li, NULL);
	if (rc == RO_OK && !ro_lease_alive(&li, (int64_t)time(NULL))) {
		fprintf(stderr, "rollout stop: the engine that ran %s (pid %lld on %s) is gone "
		    "already: nothing to stop; `rollout status %s --state-dir %s` shows where it "
		    "stopped\n", id, (long long)li.pid, li.host, id, state_dir);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	ro_lease_info_clear(&li);
	if ((rc = ro_store_lease_stop(st, id, hard, &li, &cause)) != RO_OK) {
		if (rc == RO_ENOENT)
			fprintf(stderr, "rollout stop: no engine is running campaign %s (it is %s): "
			    "nothing to stop\n", id, ro_campaign_state_name(ci.state));
		else
			fprintf(stderr, "rollout stop: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	ro_lease_describe(id, &li, (int64_t)time(NULL), desc, sizeof desc);
	printf("%s\nasked it to stop: %s\n", desc, hard ? "the hosts under way are cancelled "
	    "(their steps are re-checked when the campaign runs again)" :
	    "no new host starts; the hosts under way finish first");
	if (wait) {
		if (wait_gone(st, id, &li, timeout) != 0) {
			fprintf(stderr, "rollout stop: the engine has not stopped within %.0f s%s\n",
			    timeout, hard ? "" : " (hosts under way may take long: try --now)");
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
		ro_campaign_info_clear(&ci);
		if (ro_store_campaign_get(st, id, &ci, NULL) == RO_OK)
			printf("the engine has stopped; campaign %s is %s\n", id,
			    ro_campaign_state_name(ci.state));
	}
out:
	ro_lease_info_clear(&li);
	ro_campaign_info_clear(&ci);
	ro_store_close(st);
	free(cause);
	return exit_code;
}

const struct ro_cmd ro_cmd_stop = {
	.name = "stop",
	.usage = "CAMPAIGN [--now] [--wait [--timeout SECS]] [--state-dir DIR]",
	.summary = "Stop the engine running a campaign, from any shell (Ctrl-C once or twice).",
	.help =
	    "Asks the engine that holds CAMPAIGN's lease to stop, through the store (it looks\n"
	    "every second; the request is journaled with your name). Without --now it does\n"
	    "what one Ctrl-C does: no new host starts, the hosts under way finish, and the\n"
	    "campaign halts. With --now, what a second Ctrl-C does: the hosts under way are\n"
	    "cancelled too, and their steps are re-checked when the campaign runs again.\n"
	    "\n"
	    "  --now         cancel the hosts under way too\n"
	    "  --wait        wait until the engine has stopped and print the campaign's state\n"
	    "  --timeout S   give up waiting after S seconds (default 600)\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "Exit status: 0 asked (and, with --wait, stopped), 1 no engine runs the campaign\n"
	    "or it did not stop in time, 2 no such campaign or bad usage.\n",
	.exec = stop_exec,
};
