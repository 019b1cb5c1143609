/* cmd-help.c - `rollout help [CMD]` and `rollout version`. */
#include "cmd.h"
#include "error.h"

#include <stdio.h>

extern const struct ro_cmd ro_cmd_help;

static int
help_exec(int argc, char **argv)
{
	const struct ro_cmd *const *c;
	const struct ro_cmd *cmd;

	if (argc > 2)
		return ro_cmd_usage(&ro_cmd_help, "too many arguments");
	if (argc == 2) {
		cmd = ro_cmd_find(argv[1]);
		if (cmd == NULL) {
			fprintf(stderr, "rollout help: unknown command '%s'\n", argv[1]);
			return RO_EXIT_USAGE;
		}
		ro_cmd_print_help(stdout, cmd);
		return RO_EXIT_OK;
	}
	printf("rollout - plan, approve and run patch and password campaigns across a fleet\n\n"
	       "usage: rollout COMMAND [ARGS]\n\ncommands:\n");
	for (c = ro_cmd_table; *c; c++)
		printf("  %-12s %s\n", (*c)->name, (*c)->summary);
	printf("\nRun 'rollout COMMAND --help' for a command's options.\n"
	       "Exit codes: 0 success, 1 the operation failed, 2 bad input or usage;\n"
	       "`status CAMPAIGN` exits 1 when the campaign needs a person (halted, failed,\n"
	       "interrupted).\n"
	       "Every command that uses the state directory takes --state-dir DIR; the\n"
	       "default is $ROLLOUT_STATE_DIR, else .rollout.\n");
	return RO_EXIT_OK;
}

const struct ro_cmd ro_cmd_help = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "List the commands, or show one command's help.",
	.help = "",
	.exec = help_exec,
};

static int
version_exec(int argc, char **argv)
{
	printf("rollout %s\n", RO_VERSION);
	return RO_EXIT_OK;
}

const struct ro_cmd ro_cmd_version = {
	.name = "version",
	.usage = "",
	.summary = "Print the version.",
	.help = "",
	.exec = version_exec,
};
