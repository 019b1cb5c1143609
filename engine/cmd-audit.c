/*
 * cmd-audit.c - `rollout audit verify|head`: prove the journal, and the
 * refusal that `status` and `run` share when it does not verify.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_audit;

int
ro_cmd_journal_gate(const struct ro_cmd *cmd, struct ro_store *st, const char *state_dir,
    struct ro_journal_check *jc)
{
	char *cause = NULL;
	int rc = ro_store_journal_verify(st, jc, &cause);

	if (rc == RO_OK)
		return RO_EXIT_OK;
	fprintf(stderr, "rollout %s: %s\n", cmd->name, cause ? cause : ro_strerror(rc));
	if (rc == RO_EINVAL)
		fprintf(stderr, "  rollout %s refuses to work from a journal that does not verify;"
		    " run `rollout audit verify --state-dir %s` for the full report, and compare "
		    "it with the last exported head (--head)\n", cmd->name, state_dir);
	free(cause);
	return RO_EXIT_FAIL;
}

void
ro_cmd_journal_footer(FILE *f, const struct ro_journal_check *jc)
{
	if (jc->head_seq == 0)
		fprintf(f, "\njournal head: (empty)\n");
	else
		fprintf(f, "\njournal head: #%" PRId64 " %s\n", jc->head_seq, jc->head);
}

/* open_existing opens DIR's store, refusing to create one: auditing a
 * directory that has none is a mistake (a wrong --state-dir), not an empty
 * journal. A missing journal key is not made: an auditor's copy of
 * state.db may come without it (ro_store_open_audit). */
static int
open_existing(const char *state_dir, struct ro_store **st)
{
	struct stat sb;
	char *path = ro_xasprintf("%s/%s", state_dir, RO_STORE_FILE), *cause = NULL;
	int rc;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "rollout audit: no state store at %s (%s); give the state "
		    "directory with --state-dir\n", path, strerror(errno));
		free(path);
		return RO_EXIT_USAGE;
	}
	free(path);
	if ((rc = ro_store_open_audit(state_dir, st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout audit: %s\n", cause ? cause : ro_strerror(rc));
		free(cause);
		return RO_EXIT_FAIL;
	}
	return RO_EXIT_OK;
}

static void
head_json(struct ro_buf *b, const struct ro_journal_check *jc)
{
	if (jc->head_seq == 0)
		ro_buf_adds(b, "null");
	else
		ro_buf_printf(b, "{\"seq\":%" PRId64 ",\"hash\":\"%s\",\"at\":%" PRId64 "}",
		    jc->head_seq, jc->head, jc->head_at);
}

static void
head_text(const struct ro_journal_check *jc)
{
	char at[RO_JST_FMT_MAX];

	if (jc->head_seq == 0) {
		printf("journal head: (empty journal)\n");
		return;
	}
	ro_jst_format(jc->head_at / 60, at);
	printf("journal head: #%" PRId64 " %s (%s JST)\n", jc->head_seq, jc->head, at);
}

static int
audit_verify(struct ro_store *st, const char *state_dir, const char *head, int json)
{
	struct ro_journal_check jc;
	struct ro_audit_problem *p = NULL;
	struct ro_buf b;
	char *chain_err = NULL, *rows_err = NULL;
	size_t np = 0, i;
	int rc, rrc, exit_code = RO_EXIT_OK;

	/* One snapshot for the chain and the tables, so that an engine
	 * appending meanwhile cannot make them disagree. */
	if ((rc = ro_store_begin_read(st)) != RO_OK) {
		fprintf(stderr, "rollout audit: %s\n", ro_store_errmsg(st));
		return RO_EXIT_FAIL;
	}
	rc = ro_store_journal_verify_head(st, head, &jc, &chain_err);
	if (rc == RO_EINVAL && jc.broken_seq == 0 && jc.records == 0 && head != NULL) {
		ro_store_rollback(st);
		fprintf(stderr, "rollout audit: %s\n", chain_err);
		free(chain_err);
		return RO_EXIT_USAGE;
	}
	rrc = ro_store_audit_rows(st, &p, &np, &rows_err);
	ro_store_rollback(st);
	if (rc != RO_OK || rrc != RO_OK || np > 0)
		exit_code = RO_EXIT_FAIL;
	/* Records sealed with a key that is not here: the chain alone proves
	 * nothing against whoever removed it; only an exported head does. */
	if (rc == RO_OK && jc.macs_unchecked > 0 && jc.head_found == 0)
		exit_code = RO_EXIT_FAIL;

	ro_buf_init(&b);
	if (json) {
		ro_buf_printf(&b, "{\"ok\":%s,\"records\":%" PRId64 ",\"head\":",
		    exit_code == RO_EXIT_OK ? "true" : "false", jc.records);
		head_json(&b, &jc);
		ro_buf_printf(&b, ",\"keyed\":%s,\"unkeyed_through\":%" PRId64 ",\"macs_unchecked\":%"
		    PRId64 ",\"broken_seq\":", jc.keyed ? "true" : "false", jc.unkeyed_through,
		    jc.macs_unchecked);
		if (jc.broken_seq)
			ro_buf_printf(&b, "%" PRId64, jc.broken_seq);
		else
			ro_buf_adds(&b, "null");
		ro_buf_adds(&b, ",\"chain_error\":");
		ro_buf_json_str(&b, chain_err);
		ro_buf_adds(&b, ",\"exported_head\":");
		if (head == NULL)
			ro_buf_adds(&b, "null");
		else {
			ro_buf_adds(&b, "{\"given\":");
			ro_buf_json_str(&b, head);
			ro_buf_printf(&b, ",\"found\":%s", jc.head_found ? "true" : "false");
			if (jc.head_found)
				ro_buf_printf(&b, ",\"seq\":%" PRId64, jc.head_found);
			ro_buf_addc(&b, '}');
		}
		ro_buf_adds(&b, ",\"rows_error\":");
		ro_buf_json_str(&b, rows_err);
		ro_buf_adds(&b, ",\"problems\":[");
		for (i = 0; i < np; i++) {
			ro_buf_printf(&b, "%s{\"table\":", i ? "," : "");
			ro_buf_json_str(&b, p[i].table);
			ro_buf_adds(&b, ",\"row\":");
			ro_buf_json_str(&b, p[i].row);
			ro_buf_adds(&b, ",\"what\":");
			ro_buf_json_str(&b, p[i].what);
			ro_buf_addc(&b, '}');
		}
		ro_buf_adds(&b, "]}\n");
		fputs(b.p, stdout);
	} else {
		if (rc == RO_OK) {
			printf("journal: %" PRId64 " records, the chain verifies", jc.records);
			if (jc.keyed && jc.unkeyed_through > 0)
				printf(", with the journal key's MAC on records %" PRId64 " onwards "
				    "(1-%" PRId64 " predate the key)\n", jc.unkeyed_through + 1,
				    jc.unkeyed_through);
			else if (jc.keyed)
				printf(", with the journal key's MAC on every record\n");
			else if (jc.macs_unchecked > 0)
				printf(", but %" PRId64 " records carry a MAC that cannot be checked: "
				    "there is no %s/%s\n", jc.macs_unchecked, state_dir,
				    RO_JOURNAL_KEY_FILE);
			else
				printf(" (no journal key: MACs not checked)\n");
			head_text(&jc);
			if (head != NULL)
				printf("exported head: found at record %" PRId64 "; nothing up to it has "
				    "changed since it was exported\n", jc.head_found);
		}
		if (rrc == RO_OK && np == 0)
			printf("tables: every row of campaigns, waves, campaign_hosts, approvals, "
			    "step_intents, step_outcomes and vault_counters matches its journal "
			    "record\n");
		if (rc != RO_OK) {
			ro_buf_adds(&b, "rollout audit: ");
			ro_buf_add_safe(&b, chain_err ? chain_err : ro_strerror(rc));
			ro_buf_addc(&b, '\n');
		}
		if (rc == RO_OK && jc.macs_unchecked > 0 && jc.head_found == 0)
			ro_buf_printf(&b, "rollout audit: without the journal key only an exported "
			    "head proves this journal: give --head SEQ:HASH (from `audit head`, a "
			    "report or a status footer kept elsewhere), or restore %s/%s\n",
			    state_dir, RO_JOURNAL_KEY_FILE);
		if (rrc != RO_OK)
			ro_buf_printf(&b, "rollout audit: %s\n", rows_err ? rows_err : ro_strerror(rrc));
		for (i = 0; i < np; i++) {
			ro_buf_adds(&b, "rollout audit: table ");
			ro_buf_add_safe(&b, p[i].table);
			ro_buf_adds(&b, ", ");
			ro_buf_add_safe(&b, p[i].row);
			ro_buf_adds(&b, ": ");
			ro_buf_add_safe(&b, p[i].what);
			ro_buf_addc(&b, '\n');
		}
		if (np > 0)
			ro_buf_printf(&b, "rollout audit: %zu row%s of %s changed without the "
			    "journal: written by something other than rollout\n", np,
			    np == 1 ? "" : "s", state_dir);
		fputs(b.p, stderr);
	}
	ro_buf_free(&b);
	ro_audit_problems_free(p, np);
	free(chain_err);
	free(rows_err);
	return exit_code;
}

static int
audit_head(struct ro_store *st, int json)
{
	struct ro_journal_check jc;
	char *cause = NULL;
	int rc = ro_store_journal_verify(st, &jc, &cause);

	/* A head is exported to be compared later; one taken from a journal
	 * that does not verify would vouch for the tampering. */
	if (rc == RO_OK && jc.macs_unchecked > 0) {
		fprintf(stderr, "rollout audit: the journal's records carry MACs but there is no "
		    "journal key to check them; no head is printed. Restore the key, or check "
		    "this copy against a head kept elsewhere: rollout audit verify --head\n");
		return RO_EXIT_FAIL;
	}
	if (rc != RO_OK) {
		fprintf(stderr, "rollout audit: %s\n  no head is printed for a journal that "
		    "does not verify; run `rollout audit verify`\n",
		    cause ? cause : ro_strerror(rc));
		free(cause);
		return RO_EXIT_FAIL;
	}
	if (json) {
		struct ro_buf b;
		ro_buf_init(&b);
		head_json(&b, &jc);
		ro_buf_addc(&b, '\n');
		fputs(b.p, stdout);
		ro_buf_free(&b);
	} else
		head_text(&jc);
	return RO_EXIT_OK;
}

static int
audit_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "head", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = RO_STATE_DIR_DEFAULT, *head = NULL, *sub;
	struct ro_store *st = NULL;
	int ch, json = 0, exit_code;

	if (argc < 2 || argv[1][0] == '-')
		return ro_cmd_usage(&ro_cmd_audit, "say what to do: verify or head");
	sub = argv[1];
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "head") != 0)
		return ro_cmd_usage(&ro_cmd_audit, "unknown subcommand '%s' (verify or head)", sub);
	optind = 2;
	while ((ch = getopt_long(argc, argv, "S:H:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			state_dir = optarg;
			break;
		case 'H':
			head = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_audit, NULL);
		}
	}
	if (optind != argc)
		return ro_cmd_usage(&ro_cmd_audit, "unexpected argument '%s'", argv[optind]);
	if (head != NULL && strcmp(sub, "verify") != 0)
		return ro_cmd_usage(&ro_cmd_audit, "--head belongs to `audit verify`");
	if ((exit_code = open_existing(state_dir, &st)) != RO_EXIT_OK)
		return exit_code;
	if (strcmp(sub, "verify") == 0)
		exit_code = audit_verify(st, state_dir, head, json);
	else
		exit_code = audit_head(st, json);
	ro_store_close(st);
	return exit_code;
}

const struct ro_cmd ro_cmd_audit = {
	.name = "audit",
	.usage = "verify [--head HASH] [--json] [--state-dir DIR] | head [--json] [--state-dir DIR]",
	.summary = "Prove the journal: verify its chain and tables, or print its head.",
	.help =
	    "verify  recomputes the journal's hash chain from the first record, checks each\n"
	    "        record's MAC under the state directory's journal key, and checks every\n"
	    "        row of campaigns, waves, hosts, approvals, step intents and outcomes and\n"
	    "        vault counters against the journal record that wrote it. Any record that\n"
	    "        does not verify, or row without its record, is named; exit 1.\n"
	    "  --head HASH   also prove that nothing up to an exported head changed: the\n"
	    "                record with that hash (SEQ:HASH also accepted) must still be in\n"
	    "                the verified chain. Keep the head from `audit head`, a report or\n"
	    "                the `status` footer outside this machine; it is the real anchor,\n"
	    "                since whoever holds the journal key can rewrite the chain.\n"
	    "head    prints the last record's number, hash and time (only for a journal that\n"
	    "        verifies).\n"
	    "\n"
	    "  --state-dir DIR   the state directory (default .rollout)\n"
	    "  --json            one JSON object\n"
	    "\n"
	    "Exit status: 0 verified, 1 something does not verify, 2 bad usage or no store.\n"
	    "See docs/STORE.md (\"Journal\") for the chain formula and what it proves.\n",
	.exec = audit_exec,
};
