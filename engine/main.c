/* main.c - `rollout`: find the command in the table and run it. */
#include "cmd.h"
#include "error.h"

extern const struct ro_cmd ro_cmd_help;

#include <locale.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	const struct ro_cmd *cmd;

	setlocale(LC_CTYPE, "C.UTF-8");
	if (argc < 2) {
		ro_cmd_help.exec(1, (char *[]){ "help", NULL });
		return RO_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		argv[1] = "help";
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = "version";
	cmd = ro_cmd_find(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "rollout: unknown command '%s'\n", argv[1]);
		fprintf(stderr, "Run 'rollout help' for the list of commands.\n");
		return RO_EXIT_USAGE;
	}
	if (ro_cmd_wants_help(argc - 1, argv + 1)) {
		ro_cmd_print_help(stdout, cmd);
		return RO_EXIT_OK;
	}
	return cmd->exec(argc - 1, argv + 1);
}
