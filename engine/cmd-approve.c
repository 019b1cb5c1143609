/* cmd-approve.c - `rollout approve CAMPAIGN --wave N`: the city's go for one gate. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_approve;

static int
approve_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wave", required_argument, NULL, 'w' },
		{ "comment", required_argument, NULL, 'c' },
		{ "as", required_argument, NULL, 'a' },
		{ "plan-hash", required_argument, NULL, 'H' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' }, /* the old name, kept as an alias */
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir(), *comment = NULL, *as = NULL, *hash = NULL;
	struct ro_campaign_info ci;
	struct ro_wave_info wi;
	struct ro_host_info *hosts = NULL;
	struct ro_store *st = NULL;
	size_t nhosts = 0;
	char *cause = NULL, *end;
	long wave = -1;
	int ch, rc, idx, exit_code = RO_EXIT_OK;

	memset(&ci, 0, sizeof ci);
	memset(&wi, 0, sizeof wi);
	while ((ch = getopt_long(argc, argv, "w:c:a:H:S:", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			wave = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || wave < 1 || wave > 1000000)
				return ro_cmd_usage(&ro_cmd_approve, "--wave takes a wave number (1, 2, ...)"
				    " as the plan and `rollout status` show it");
			break;
		case 'c':
			comment = optarg;
			break;
		case 'a':
			as = optarg;
			break;
		case 'H':
			hash = optarg;
			break;
		case 'S':
			state_dir = optarg;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_approve, NULL);
		}
	}
	if (optind + 1 != argc)
		return ro_cmd_usage(&ro_cmd_approve, "name one campaign (its id, as `rollout status` lists)");
	if (wave < 1)
		return ro_cmd_usage(&ro_cmd_approve, "say which gate: --wave N");
	idx = (int)wave - 1; /* people count waves from 1, the store from 0 */
	if (hash && strlen(hash) < 12)
		return ro_cmd_usage(&ro_cmd_approve, "--plan-hash needs at least the 12 characters the plan shows");

	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout approve: %s\n", cause);
		exit_code = ro_cmd_store_exit(rc);
		goto out;
	}
	if (as)
		ro_store_set_actor(st, as);
	if ((rc = ro_store_campaign_get(st, argv[optind], &ci, &cause)) != RO_OK ||
	    (rc = ro_store_wave_get(st, argv[optind], idx, &wi, &cause)) != RO_OK) {
		ro_safe_replace(&cause); /* it may quote the campaign named on the command line */
		fprintf(stderr, "rollout approve: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (hash && strncmp(ci.plan_hash, hash, strlen(hash)) != 0) {
		char *said = ro_safe(hash);
		fprintf(stderr, "rollout approve: campaign %s now has plan %.12s…, not the %s you "
		    "reviewed: the plan changed. Review `rollout status %s` and approve again\n",
		    ci.id, ci.plan_hash, said, ci.id);
		free(said);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	ro_store_host_list(st, ci.id, idx, &hosts, &nhosts);
	rc = ro_store_approve(st, ci.id, idx, ro_store_actor(st), comment, ci.plan_hash, &cause);
	if (rc != RO_OK) {
		ro_safe_replace(&cause); /* it may quote the campaign named on the command line */
		fprintf(stderr, "rollout approve: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	{
		/* Names and the comment are a person's text: escaped for the terminal. */
		char *name = ro_safe(wi.name), *id = ro_safe(ci.id), *said = ro_safe(comment);
		printf("Approved wave %ld (%s, %zu host%s) of campaign %s, plan %.12s…%s%s\n", wave,
		    name, nhosts, nhosts == 1 ? "" : "s", id, ci.plan_hash, said ? ": " : "",
		    said ? said : "");
		free(name);
		free(id);
		free(said);
	}
out:
	ro_host_list_free(hosts, nhosts);
	ro_campaign_info_clear(&ci);
	ro_wave_info_clear(&wi);
	ro_store_close(st);
	free(cause);
	return exit_code;
}

const struct ro_cmd ro_cmd_approve = {
	.name = "approve",
	.usage = "CAMPAIGN --wave N [--comment TEXT] [--as NAME] [--plan-hash HASH] [--state-dir DIR]",
	.summary = "Approve a gated wave of a recorded campaign (the city's go).",
	.help =
	    "Records that NAME (default: your login name) approves wave N of CAMPAIGN for the\n"
	    "plan recorded in the store, at the current time. A running `rollout run` picks\n"
	    "the approval up without a restart. The approval is bound to the plan's hash: if\n"
	    "the plan changes, it no longer counts. Give --plan-hash with the hash printed on\n"
	    "the plan you reviewed to make sure it is the same plan.\n"
	    "\n"
	    "The gate after a canary wave cannot be approved before that canary wave is\n"
	    "done: it is the city's judgement of the canary.\n"
	    "\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "Exit status: 0 approved, 1 refused (not a gated wave, already running, plan\n"
	    "changed, its canary not done), 2 no such campaign or wave.\n",
	.exec = approve_exec,
};
