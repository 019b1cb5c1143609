/* cmd-approve.c - `rollout approve CAMPAIGN --wave N`: a signed go (or no-go)
 * for one gate, made with the approver's own key file (docs/APPROVALS.md). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "approval.h"
#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "secret-input.h"
#include "store.h"
#include "util.h"
#include "vault.h"

extern const struct ro_cmd ro_cmd_approve;

static int
approve_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wave", required_argument, NULL, 'w' },
		{ "comment", required_argument, NULL, 'c' },
		{ "as", required_argument, NULL, 'a' },
		{ "plan-hash", required_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-fd", required_argument, NULL, 'p' },
		{ "refuse", no_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' }, /* the old name, kept as an alias */
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir(), *comment = NULL, *hash = NULL;
	const char *key_path = NULL;
	struct ro_campaign_info ci;
	struct ro_wave_info wi;
	struct ro_host_info *hosts = NULL;
	struct ro_store *st = NULL;
	struct ro_journal_check jc;
	struct ro_gates *g = NULL;
	struct vault_key *key = NULL;
	const struct ro_approver *m;
	struct ro_buf msg;
	size_t nhosts = 0;
	char *cause = NULL, *end, *why = NULL, *default_key = NULL;
	long wave = -1, pass_fd = -1;
	int ch, rc, idx, refuse = 0, exit_code = RO_EXIT_OK;

	memset(&ci, 0, sizeof ci);
	memset(&wi, 0, sizeof wi);
	while ((ch = getopt_long(argc, argv, "w:c:a:H:k:p:rS:", opts, NULL)) != -1) {
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
			return ro_cmd_usage(&ro_cmd_approve, "--as no longer names the approver: the "
			    "approval is signed, and the signer is the member of the key file given "
			    "with --key FILE");
		case 'H':
			hash = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'p':
			if ((rc = ro_cmd_pass_fd(&ro_cmd_approve, optarg, &pass_fd)) != 0)
				return rc;
			break;
		case 'r':
			refuse = 1;
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
	if (comment && strlen(comment) > 2000)
		return ro_cmd_usage(&ro_cmd_approve, "--comment is limited to 2000 bytes");
	ro_buf_init(&msg); /* from here on every exit goes through out */
	if (key_path == NULL) {
		const char *login = getenv("USER");
		default_key = ro_xasprintf("%s/keys/%s.key", state_dir, login && *login ? login : "unknown");
		key_path = default_key;
	}

	/* An approval is recorded on top of the journal: not on one that does not verify. */
	if ((exit_code = ro_cmd_open_verified(&ro_cmd_approve, state_dir, &st, &jc)) != RO_EXIT_OK)
		goto out;
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
	/* Who may approve, and which gate this is, come from the recorded plan
	 * (checked against its hash), never from the command line. */
	if ((rc = ro_gates_from_plan_json(ci.plan_json, ci.plan_hash, &g, &cause)) != RO_OK) {
		fprintf(stderr, "rollout approve: campaign %s: %s\n", ci.id, cause);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	if ((size_t)idx >= g->nwaves || g->gate[idx] == NULL) {
		fprintf(stderr, "rollout approve: wave %ld of %s is not gated and needs no approval\n",
		    wave, ci.id);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	if (g->roster == NULL) {
		fprintf(stderr, "rollout approve: campaign %s names no approvers roster, so none of "
		    "its gates can be approved; add 'approvers: FILE' to the campaign, plan it "
		    "again under a new id (docs/APPROVALS.md)\n", ci.id);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	if (ro_signing_key_unlock("approve", key_path, (int)pass_fd, &key) != 0) {
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	{
		unsigned char pk[VAULT_PUBLICKEYBYTES], sig[VAULT_SIGNATUREBYTES];
		char pk_hex[2 * VAULT_PUBLICKEYBYTES + 1], sig_hex[2 * VAULT_SIGNATUREBYTES + 1];
		struct ro_approval_rec rec;
		struct ro_approval_new an;
		const char *role;

		vault_key_sign_public(key, pk);
		ro_hex(pk, sizeof pk, pk_hex);
		m = ro_roster_find_key(g->roster, pk);
		role = ro_roster_gate_role(g->roster, g->gate[idx]);
		if (m == NULL)
			why = ro_xasprintf("the key of '%s' (%s) is not on the roster '%s' of campaign %s",
			    vault_key_name(key), key_path, g->roster->name, ci.id);
		else if (strcmp(m->name, vault_key_name(key)) != 0)
			why = ro_xasprintf("the key file %s belongs to '%s' but the roster gives its key "
			    "to '%s'", key_path, vault_key_name(key), m->name);
		else if (role == NULL || strcmp(role, m->role) != 0)
			why = ro_xasprintf("%s is a %s; the %s gate of wave %ld is approved by a %s",
			    m->name, m->role, g->gate[idx], wave, role ? role : "(none)");
		if (why != NULL) {
			/* Journaled: someone with a key tried a gate that is not theirs. */
			ro_approval_security_event(st, ci.id, idx, 0, vault_key_name(key), why);
			fprintf(stderr, "rollout approve: refused: %s\n", why);
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
		rec.campaign = ci.id;
		rec.wave = idx;
		rec.gate = g->gate[idx];
		rec.plan_hash = ci.plan_hash;
		rec.decision = refuse ? "refuse" : "approve";
		rec.at = (int64_t)time(NULL);
		rec.comment = comment;
		rec.signer = m->name;
		ro_approval_message(&rec, &msg);
		if ((rc = vault_key_sign_message(key, RO_APPROVAL_CTX, msg.p, msg.len, sig)) != VAULT_OK) {
			fprintf(stderr, "rollout approve: cannot sign: %s\n", vault_strerror(rc));
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
		ro_hex(sig, sizeof sig, sig_hex);
		memset(&an, 0, sizeof an);
		an.campaign = ci.id;
		an.wave = idx;
		an.gate = rec.gate;
		an.plan_hash = ci.plan_hash;
		an.decision = rec.decision;
		an.comment = comment;
		an.signer = m->name;
		an.signer_key = pk_hex;
		an.signature = sig_hex;
		an.at = rec.at;
		ro_store_host_list(st, ci.id, idx, &hosts, &nhosts);
		if ((rc = ro_store_approval_record(st, &an, &cause)) != RO_OK) {
			ro_safe_replace(&cause); /* it may quote the campaign named on the command line */
			fprintf(stderr, "rollout approve: %s\n", cause ? cause : ro_strerror(rc));
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
	}
	{
		/* Names and the comment are a person's text: escaped for the terminal. */
		char *name = ro_safe(wi.name), *id = ro_safe(ci.id), *said = ro_safe(comment);
		char *who = ro_safe(m->name), *role = ro_safe(m->role);
		printf("%s wave %ld (%s, %zu host%s) of campaign %s, plan %.12s…, signed by %s (%s)%s%s\n",
		    refuse ? "Refused" : "Approved", wave, name, nhosts, nhosts == 1 ? "" : "s", id,
		    ci.plan_hash, who, role, said ? ": " : "", said ? said : "");
		free(name);
		free(id);
		free(said);
		free(who);
		free(role);
	}
out:
	ro_buf_free(&msg);
	vault_key_free(key);
	ro_gates_free(g);
	ro_host_list_free(hosts, nhosts);
	ro_campaign_info_clear(&ci);
	ro_wave_info_clear(&wi);
	ro_store_close(st);
	free(default_key);
	free(why);
	free(cause);
	return exit_code;
}

const struct ro_cmd ro_cmd_approve = {
	.name = "approve",
	.usage = "CAMPAIGN --wave N [--refuse] [--comment TEXT] [--key FILE] [--passphrase-fd N] "
	    "[--plan-hash HASH] [--state-dir DIR]",
	.summary = "Sign the approval (or refusal) of a gated wave (the city's go).",
	.help =
	    "Signs, with your own key file, that you approve (or with --refuse, refuse)\n"
	    "wave N of CAMPAIGN for the plan recorded in the store, at the current time,\n"
	    "and records the signed decision. The signature covers the campaign, the wave,\n"
	    "its gate, the plan hash, the decision, the time and the comment; the engine\n"
	    "opens the gate only on a signature by a member of the campaign's approvers\n"
	    "roster whose role approves that gate, and halts the campaign on a refusal,\n"
	    "with its comment. A running `rollout run` picks it up without a restart.\n"
	    "Give --plan-hash with the hash printed on the plan you reviewed to make sure\n"
	    "it is the same plan. docs/APPROVALS.md says who signs what.\n"
	    "\n"
	    "The gate after a canary wave cannot be approved before that canary wave is\n"
	    "done: it is the city's judgement of the canary.\n"
	    "\n"
	    "  --key FILE         your key file (as `rollout vault keygen` makes it; default\n"
	    "                     STATE/keys/$USER.key); its member is who approves\n"
	    "  --passphrase-fd N  read the key's passphrase from descriptor N instead of a\n"
	    "                     no-echo prompt; never pass it in argv or the environment\n"
	    "  --refuse           refuse the wave (差し戻し): the campaign halts\n"
	    "  --state-dir DIR    the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "Exit status: 0 approved or refused as asked, 1 not done (wrong passphrase, a\n"
	    "key not on the roster or without the gate's role: journaled as a security\n"
	    "event; not a gated wave, already running, plan changed, its canary not done),\n"
	    "2 bad usage, no such campaign or wave.\n",
	.exec = approve_exec,
};
