/* cmd.c - the table of commands and the helpers they share. */
#include "cmd.h"
#include "error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "secret-input.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_help;
extern const struct ro_cmd ro_cmd_version;
extern const struct ro_cmd ro_cmd_validate;
extern const struct ro_cmd ro_cmd_inventory;
extern const struct ro_cmd ro_cmd_plan;
extern const struct ro_cmd ro_cmd_vault;
extern const struct ro_cmd ro_cmd_calendar;
extern const struct ro_cmd ro_cmd_run;
extern const struct ro_cmd ro_cmd_approve;
extern const struct ro_cmd ro_cmd_approvers;
extern const struct ro_cmd ro_cmd_status;
extern const struct ro_cmd ro_cmd_keygen;
extern const struct ro_cmd ro_cmd_hosts;
extern const struct ro_cmd ro_cmd_stop;
extern const struct ro_cmd ro_cmd_resume;
extern const struct ro_cmd ro_cmd_audit;
extern const struct ro_cmd ro_cmd_approvals;
extern const struct ro_cmd ro_cmd_serve;
extern const struct ro_cmd ro_cmd_record;
extern const struct ro_cmd ro_cmd_report;
extern const struct ro_cmd ro_cmd_incident;

/* The order here is the order `rollout help` lists them in. */
const struct ro_cmd *const ro_cmd_table[] = {
	&ro_cmd_validate,
	&ro_cmd_inventory,
	&ro_cmd_plan,
	&ro_cmd_run,
	&ro_cmd_approve,
	&ro_cmd_approvers,
	&ro_cmd_approvals,
	&ro_cmd_serve,
	&ro_cmd_status,
	&ro_cmd_keygen,
	&ro_cmd_hosts,
	&ro_cmd_stop,
	&ro_cmd_resume,
	&ro_cmd_vault,
	&ro_cmd_calendar,
	&ro_cmd_audit,
	&ro_cmd_record,
	&ro_cmd_report,
	&ro_cmd_incident,
	&ro_cmd_help,
	&ro_cmd_version,
	NULL,
};

const struct ro_cmd *
ro_cmd_find(const char *name)
{
	const struct ro_cmd *const *c;

	for (c = ro_cmd_table; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

int
ro_cmd_usage(const struct ro_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "rollout %s: ", cmd->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: rollout %s %s\n", cmd->name, cmd->usage);
	fprintf(stderr, "Run 'rollout %s --help' for details.\n", cmd->name);
	return RO_EXIT_USAGE;
}

int
ro_cmd_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

void
ro_cmd_print_help(FILE *f, const struct ro_cmd *cmd)
{
	fprintf(f, "usage: rollout %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

const char *
ro_cmd_state_dir(void)
{
	const char *e = getenv("ROLLOUT_STATE_DIR");

	return e != NULL && *e != '\0' ? e : RO_STATE_DIR_DEFAULT;
}

void
ro_cmd_shell_word(struct ro_buf *b, const char *s)
{
	const char *p;
	int safe = *s != '\0';

	for (p = s; *p && safe; p++)
		safe = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		    "-_./:=@%+,", *p) != NULL;
	if (safe) {
		ro_buf_adds(b, s);
		return;
	}
	ro_buf_addc(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			ro_buf_adds(b, "'\\''");
		else
			ro_buf_addc(b, *p);
	}
	ro_buf_addc(b, '\'');
}

int
ro_cmd_store_exit(int rc)
{
	return rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
}

int
ro_cmd_open_verified(const struct ro_cmd *cmd, const char *state_dir, struct ro_store **st,
    struct ro_journal_check *jc)
{
	char *cause = NULL;
	int rc, exit_code;

	*st = NULL;
	if ((rc = ro_store_open_dir(state_dir, st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout %s: %s\n", cmd->name, cause ? cause : ro_strerror(rc));
		free(cause);
		return ro_cmd_store_exit(rc);
	}
	/* Nothing is read from, or recorded on top of, a journal that does not verify. */
	if ((exit_code = ro_cmd_journal_gate(cmd, *st, state_dir, jc)) != RO_EXIT_OK) {
		ro_store_close(*st);
		*st = NULL;
	}
	return exit_code;
}

int
ro_cmd_pass_fd(const struct ro_cmd *cmd, const char *arg, long *fd)
{
	char *end;

	*fd = strtol(arg, &end, 10);
	if (*arg == '\0' || *end || *fd < 0 || *fd > 1023)
		return ro_cmd_usage(cmd, "--passphrase-fd takes a descriptor number, e.g. "
		    "'--passphrase-fd 3 3<file'");
	if (!ro_secret_fd_ok((int)*fd))
		return ro_cmd_usage(cmd, "--passphrase-fd %ld: descriptor %ld is not an open pipe, "
		    "file or terminal handed to rollout; open it in the calling shell, e.g. "
		    "'--passphrase-fd 3 3<file'", *fd, *fd);
	return 0;
}
