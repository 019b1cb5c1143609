/* cmd-plan.c - `rollout plan CAMPAIGN`: the waves a campaign would run. */
#include "campaign.h"
#include "cmd.h"
#include "error.h"
#include "plan-record.h"
#include "planner.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

extern const struct ro_cmd ro_cmd_plan;

/* Records the plan as a campaign in the store under state_dir. */
static int
save_plan(const struct ro_plan *plan, const char *state_dir, int json)
{
	struct ro_store *st = NULL;
	struct ro_journal_check jc;
	char *cause = NULL;
	int existed = 0, rc, exit_code;

	/* The plan is recorded on top of the journal: not on one that does not verify. */
	if ((exit_code = ro_cmd_open_verified(&ro_cmd_plan, state_dir, &st, &jc)) != RO_EXIT_OK) {
		fprintf(stderr, "rollout plan: not saved\n");
		return exit_code;
	}
	rc = ro_plan_record(st, plan, &existed, &cause);
	ro_store_close(st);
	if (rc != RO_OK) {
		fprintf(stderr, "rollout plan: not saved: %s\n", cause ? cause : ro_strerror(rc));
		free(cause);
		/* A campaign naming an incident that does not exist is bad input. */
		return rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
	}
	if (!json)
		fprintf(stderr, "%s campaign '%s' (plan %.12s) in %s/%s\n",
		    existed ? "Already recorded:" : "Recorded", plan->campaign->id, plan->hash,
		    state_dir, RO_STORE_FILE);
	return RO_EXIT_OK;
}

static int
plan_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "param", required_argument, NULL, 'p' },
		{ "save", no_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' }, /* the old name, kept as an alias */
		{ "html", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct ro_param_arg *args = ro_xcalloc((size_t)argc, sizeof *args);
	struct ro_campaign *c = NULL;
	struct ro_plan *plan = NULL;
	struct ro_diags d;
	size_t nargs = 0;
	const char *state_dir = ro_cmd_state_dir(), *html = NULL;
	int json = 0, save = 0, ch, rc, exit_code = RO_EXIT_OK;

	ro_diags_init(&d);
	while ((ch = getopt_long(argc, argv, "jp:sS:H:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			save = 1;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 'p':
			if (ro_param_arg_parse(optarg, &args[nargs++]) != RO_OK) {
				exit_code = ro_cmd_usage(&ro_cmd_plan, "--param takes NAME=VALUE");
				goto out;
			}
			break;
		default:
			exit_code = ro_cmd_usage(&ro_cmd_plan, NULL);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		exit_code = ro_cmd_usage(&ro_cmd_plan, "name one campaign file");
		goto out;
	}
	rc = ro_campaign_load(argv[optind], args, nargs, &c, &d);
	if (rc != RO_OK) {
		ro_diags_print(stderr, &d);
		exit_code = RO_EXIT_USAGE;
		goto out;
	}
	rc = ro_plan_build(c, &plan, &d);
	if (rc != RO_OK) {
		ro_diags_print(stderr, &d);
		exit_code = rc == RO_EINFEASIBLE ? RO_EXIT_FAIL : RO_EXIT_USAGE;
		goto out;
	}
	if (json) {
		struct ro_buf b;
		ro_buf_init(&b);
		ro_plan_json(plan, &b);
		puts(b.p);
		ro_buf_free(&b);
	} else
		ro_plan_print_text(stdout, plan);
	if (html) {
		FILE *f = fopen(html, "w");
		if (f == NULL) {
			fprintf(stderr, "rollout plan: cannot write %s\n", html);
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
		ro_plan_html(f, plan);
		if (fclose(f) != 0) {
			fprintf(stderr, "rollout plan: cannot write %s\n", html);
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
	}
	if (save)
		exit_code = save_plan(plan, state_dir, json);
out:
	ro_plan_free(plan);
	ro_campaign_free(c);
	ro_diags_free(&d);
	free(args);
	return exit_code;
}

const struct ro_cmd ro_cmd_plan = {
	.name = "plan",
	.usage = "[--json] [--html FILE] [--param NAME=VALUE]... [--save [--state-dir DIR]] CAMPAIGN",
	.summary = "Show the deterministic, time-placed plan of a campaign and its hash.",
	.help =
	    "Loads the campaign file with its inventory and playbooks, and prints the\n"
	    "waves it would run: each wave's hosts grouped by site with the site's\n"
	    "out-of-service limit, which waves wait for an approval, and the plan hash.\n"
	    "Every host's work (the sum of its steps' estimates) is placed into the\n"
	    "policy's windows (business hours, a closed-office window, or any time)\n"
	    "under the concurrency and per-site limits; the plan shows a table per\n"
	    "day, its lower bound and its gap to it. If the deadline cannot be met it\n"
	    "names the binding constraint and the smallest change that fits (exit 1).\n"
	    "The same inputs always give the same plan bytes and the same hash.\n\n"
	    "options:\n"
	    "  --param NAME=VALUE  a campaign parameter (wins over the campaign file)\n"
	    "  --json              the plan as JSON (the hash covers everything after it)\n"
	    "  --html FILE         also write one self-contained HTML page with a Gantt\n"
	    "                      chart per site (for the approval meeting)\n"
	    "  --save              record the campaign, its waves and hosts in the state\n"
	    "                      store (all or nothing); saving the same plan again is a\n"
	    "                      no-op, a changed plan under the same id is refused\n"
	    "  --state-dir DIR     the state directory (default $ROLLOUT_STATE_DIR, else\n"
	    "                      " RO_STATE_DIR_DEFAULT ")\n\n"
	    "exit status: 0 planned, 1 no plan fits the constraints, 2 bad input.\n",
	.exec = plan_exec,
};
