/* cmd-resume.c - `rollout resume CAMPAIGN`: run it again exactly as it last ran. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_resume;
extern const struct ro_cmd ro_cmd_run;

static int
resume_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir();
	struct ro_store *st = NULL;
	struct ro_buf line;
	char *cause = NULL, *cwd = NULL, **rargv = NULL;
	int ch, rc, rargc = 0, i, exit_code;

	ro_buf_init(&line);
	while ((ch = getopt_long(argc, argv, "S:", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			state_dir = optarg;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_resume, NULL);
		}
	}
	if (optind + 1 != argc)
		return ro_cmd_usage(&ro_cmd_resume, "name one campaign (its id, as `rollout status` lists)");
	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout resume: %s\n", cause);
		exit_code = ro_cmd_store_exit(rc);
		goto out;
	}
	{
		struct ro_campaign_info ci;
		rc = ro_store_campaign_get(st, argv[optind], &ci, &cause);
		ro_campaign_info_clear(&ci);
	}
	if (rc == RO_OK)
		rc = ro_store_invocation_get(st, argv[optind], &cwd, &rargc, &rargv, &cause);
	ro_store_close(st);
	if (rc != RO_OK) {
		fprintf(stderr, "rollout resume: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	ro_buf_adds(&line, "rollout");
	for (i = 0; i < rargc; i++) {
		ro_buf_addc(&line, ' ');
		ro_cmd_shell_word(&line, rargv[i]);
	}
	fprintf(stderr, "rollout resume: in %s: %s\n", cwd, line.p);
	if (chdir(cwd) != 0) {
		fprintf(stderr, "rollout resume: cannot change to %s, where the campaign last ran: "
		    "%s\n", cwd, strerror(errno));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	optind = 0; /* getopt starts over for run's arguments */
	exit_code = ro_cmd_run.exec(rargc, rargv);
out:
	ro_argv_free(rargv);
	ro_buf_free(&line);
	free(cwd);
	free(cause);
	return exit_code;
}

const struct ro_cmd ro_cmd_resume = {
	.name = "resume",
	.usage = "CAMPAIGN [--state-dir DIR]",
	.summary = "Run a campaign again exactly as its last `rollout run` did.",
	.help =
	    "Every `rollout run` records its command line (campaign file, --port, --param,\n"
	    "--state-dir, time options, --log) and working directory in the store. resume\n"
	    "repeats it there: the same as typing that `rollout run` again, which is what\n"
	    "resumes a halted or interrupted campaign. `rollout status CAMPAIGN` prints this\n"
	    "command when a campaign needs it.\n"
	    "\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "Exit status: as `rollout run`; 2 also when the campaign never ran.\n",
	.exec = resume_exec,
};
