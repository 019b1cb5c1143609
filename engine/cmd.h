/*
 * cmd.h - the command table (one file per command, as tmux does).
 *
 * Each cmd-*.c file defines one `const struct ro_cmd ro_cmd_<name>` and is
 * listed in cmd.c's table. A command gets argv with argv[0] = its own name
 * and returns an RO_EXIT_* code.
 */
#ifndef RO_CMD_H
#define RO_CMD_H

#include <stdio.h>

struct ro_cmd {
	const char *name;
	const char *usage;   /* one line of arguments, after the name */
	const char *summary; /* one line for `rollout help` */
	const char *help;    /* the full text for `rollout CMD --help` */
	int (*exec)(int argc, char **argv);
};

extern const struct ro_cmd *const ro_cmd_table[];

/* ro_cmd_find returns the command called name, or NULL. */
const struct ro_cmd *ro_cmd_find(const char *name);

/* ro_cmd_usage prints "usage: rollout NAME USAGE" and a pointer to --help
 * to stderr and returns RO_EXIT_USAGE, for the commands' argument errors. */
int ro_cmd_usage(const struct ro_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ro_cmd_wants_help is true when argv holds -h or --help. */
int ro_cmd_wants_help(int argc, char **argv);

/* ro_cmd_print_help prints cmd's full help to f. */
void ro_cmd_print_help(FILE *f, const struct ro_cmd *cmd);

/* ro_cmd_state_dir is the state directory a command uses when it is given
 * no --state-dir: $ROLLOUT_STATE_DIR when set and not empty, else
 * RO_STATE_DIR_DEFAULT (".rollout"). Every command takes --state-dir DIR,
 * and --state DIR as a hidden alias of it. */
const char *ro_cmd_state_dir(void);

/* ro_cmd_store_exit is the exit code for a state store that did not open
 * with rc: 2 (bad input, nothing changed) for a state directory refused as
 * it is (others can write it), else 1. */
int ro_cmd_store_exit(int rc);

struct ro_buf;
/* ro_cmd_shell_word appends s to b as one word a POSIX shell reads back as
 * s: as it is when it holds only safe characters, else single-quoted. For
 * the commands status and resume print to be pasted. */
void ro_cmd_shell_word(struct ro_buf *b, const char *s);

struct ro_store;
struct ro_journal_check;

/* ro_cmd_journal_gate verifies st's journal (chain and MACs) into *jc and
 * returns RO_EXIT_OK, or prints why not, naming the first bad record and
 * `rollout audit verify`, and returns RO_EXIT_FAIL: `status`, `run`,
 * `approve` and `plan --save` do not work from a journal that does not verify
 * (cmd-audit.c). */
int ro_cmd_journal_gate(const struct ro_cmd *cmd, struct ro_store *st, const char *state_dir,
    struct ro_journal_check *jc);
/* ro_cmd_open_verified opens the store under state_dir into *st and verifies
 * its journal into *jc (ro_cmd_journal_gate), the prologue of every command
 * that reads or records a campaign. On failure it prints why, prefixed
 * "rollout NAME: ", leaves *st NULL and returns the exit code: that of
 * ro_cmd_store_exit for a store that did not open, RO_EXIT_FAIL (naming
 * `rollout audit verify`) for a journal that does not verify. */
int ro_cmd_open_verified(const struct ro_cmd *cmd, const char *state_dir, struct ro_store **st,
    struct ro_journal_check *jc);
/* ro_cmd_journal_footer prints "journal head: #SEQ HASH" for a report. */
void ro_cmd_journal_footer(FILE *f, const struct ro_journal_check *jc);

/*
 * ro_cmd_pass_fd reads a --passphrase-fd argument into *fd: a descriptor
 * number the calling shell opened and handed to rollout (ro_secret_fd_ok).
 * Returns 0, or the usage exit code after saying what is wrong.
 */
int ro_cmd_pass_fd(const struct ro_cmd *cmd, const char *arg, long *fd);

#endif
