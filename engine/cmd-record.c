/* cmd-record.c - `rollout record CAMPAIGN HOST[,HOST...] STEP --result R`: the
 * on-site result of a manual step, signed by the person on the campaign's
 * roster who did it, with their own key file (docs/INSPECTION.md). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "approval.h"
#include "cmd.h"
#include "error.h"
#include "secret-input.h"
#include "store.h"
#include "util.h"
#include "vault.h"

extern const struct ro_cmd ro_cmd_record;

/* The signature's purpose: a record signature never verifies as an approval. */
#define RECORD_CTX "rollout-record-v1"

/* Hosts named at once: a site's terminals, not the fleet by accident. */
#define MAX_HOSTS 200

/*
 * The signed message: every field of the record, one per line, in a fixed
 * order, bound to the campaign's plan. Newlines cannot occur in a field
 * (campaign, host and step names are checked; a note with one is refused).
 */
static void
record_message(struct ro_buf *b, const char *campaign, const char *plan_hash, const char *host,
    const char *step, const char *result, const char *note, const char *person, int64_t at)
{
	ro_buf_printf(b, "%s\ncampaign=%s\nplan=%s\nhost=%s\nstep=%s\nresult=%s\nperson=%s\n"
	    "at=%lld\nnote=%s\n", RECORD_CTX, campaign, plan_hash, host, step, result, person,
	    (long long)at, note ? note : "");
}

static int
record_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "result", required_argument, NULL, 'r' },
		{ "note", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-fd", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir(), *result = NULL, *note = NULL, *key_path = NULL;
	const char *campaign, *step;
	struct ro_campaign_info ci;
	struct ro_store *st = NULL;
	struct ro_gates *g = NULL;
	struct vault_key *key = NULL;
	const struct ro_approver *m = NULL;
	char *hosts_copy = NULL, *hosts[MAX_HOSTS], *cause = NULL, *why = NULL;
	size_t nhosts = 0, i, recorded = 0;
	long pass_fd = -1;
	int ch, rc, exit_code = RO_EXIT_OK;

	memset(&ci, 0, sizeof ci);
	while ((ch = getopt_long(argc, argv, "r:n:k:p:S:", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			result = optarg;
			break;
		case 'n':
			note = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'p':
			if ((rc = ro_cmd_pass_fd(&ro_cmd_record, optarg, &pass_fd)) != 0)
				return rc;
			break;
		case 'S':
			state_dir = optarg;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_record, NULL);
		}
	}
	if (optind + 3 != argc)
		return ro_cmd_usage(&ro_cmd_record, "name the campaign, the host (or hosts, "
		    "comma-separated) and the manual step, as `rollout status CAMPAIGN` lists them");
	campaign = argv[optind];
	step = argv[optind + 2];
	if (result == NULL || (strcmp(result, "done") != 0 && strcmp(result, "ok") != 0 &&
	    strcmp(result, "finding") != 0))
		return ro_cmd_usage(&ro_cmd_record, "--result must be done (the work is done), ok "
		    "(checked, nothing wrong) or finding (checked, something is wrong: say what "
		    "with --note)");
	if (note != NULL && (strlen(note) > 2000 || strpbrk(note, "\r\n") != NULL))
		return ro_cmd_usage(&ro_cmd_record, "--note is one line of at most 2000 bytes");
	if (strcmp(result, "finding") == 0 && (note == NULL || *note == '\0'))
		return ro_cmd_usage(&ro_cmd_record, "a finding needs --note TEXT saying what was found");
	if (key_path == NULL)
		return ro_cmd_usage(&ro_cmd_record, "--key FILE: your own key file (it says who you "
		    "are; the record is signed with it)");
	if (strpbrk(step, "\r\n") != NULL || *step == '\0')
		return ro_cmd_usage(&ro_cmd_record, "the step is a step name such as t11-devices");
	hosts_copy = ro_xstrdup(argv[optind + 1]);
	for (char *save = NULL, *h = strtok_r(hosts_copy, ",", &save); h != NULL;
	    h = strtok_r(NULL, ",", &save)) {
		if (nhosts == MAX_HOSTS) {
			free(hosts_copy);
			return ro_cmd_usage(&ro_cmd_record, "at most %d hosts at once", MAX_HOSTS);
		}
		if (strpbrk(h, "\r\n") != NULL) {
			free(hosts_copy);
			return ro_cmd_usage(&ro_cmd_record, "a host name cannot hold a line break");
		}
		hosts[nhosts++] = h;
	}
	if (nhosts == 0) {
		free(hosts_copy);
		return ro_cmd_usage(&ro_cmd_record, "name at least one host");
	}

	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout record: %s\n", cause);
		exit_code = ro_cmd_store_exit(rc);
		goto out;
	}
	if ((rc = ro_store_campaign_get(st, campaign, &ci, &cause)) != RO_OK) {
		ro_safe_replace(&cause);
		fprintf(stderr, "rollout record: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	/* Who may record comes from the recorded plan's roster (bound by its
	 * hash), never from the command line. */
	if ((rc = ro_gates_from_plan_json(ci.plan_json, ci.plan_hash, &g, &cause)) != RO_OK) {
		fprintf(stderr, "rollout record: campaign %s: %s\n", ci.id, cause);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	if (g->roster == NULL) {
		fprintf(stderr, "rollout record: campaign %s names no roster (approvers: FILE), so "
		    "no one can sign its on-site records; add it and plan again under a new id\n",
		    ci.id);
		exit_code = RO_EXIT_USAGE;
		goto out;
	}
	if (ro_signing_key_unlock("record", key_path, (int)pass_fd, &key) != 0) {
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	{
		unsigned char pk[VAULT_PUBLICKEYBYTES];
		char pk_hex[2 * VAULT_PUBLICKEYBYTES + 1];

		vault_key_sign_public(key, pk);
		ro_hex(pk, sizeof pk, pk_hex);
		m = ro_roster_find_key(g->roster, pk);
		if (m == NULL)
			why = ro_xasprintf("the key of '%s' (%s) is not on the roster '%s' of campaign %s",
			    vault_key_name(key), key_path, g->roster->name, ci.id);
		else if (strcmp(m->name, vault_key_name(key)) != 0)
			why = ro_xasprintf("the key file %s belongs to '%s' but the roster gives its key "
			    "to '%s'", key_path, vault_key_name(key), m->name);
		if (why != NULL) {
			struct ro_buf d;
			/* Journaled: someone with a key tried to sign a record that is not theirs
			 * to sign. Nothing else is written. */
			ro_buf_init(&d);
			ro_buf_adds(&d, "{\"claimed_person\":");
			ro_buf_json_str(&d, vault_key_name(key));
			ro_buf_adds(&d, ",\"why\":");
			ro_buf_json_str(&d, why);
			ro_buf_addc(&d, '}');
			(void)ro_store_journal(st, ci.id, "security.record-refused", NULL, d.p);
			ro_buf_free(&d);
			fprintf(stderr, "rollout record: refused: %s; only a person on the campaign's "
			    "roster can record on-site results\n", why);
			exit_code = RO_EXIT_USAGE;
			goto out;
		}
		/* All hosts in one transaction: a list is recorded whole or not at all. */
		if ((rc = ro_store_begin(st)) != RO_OK) {
			fprintf(stderr, "rollout record: %s\n", ro_store_errmsg(st));
			exit_code = RO_EXIT_FAIL;
			goto out;
		}
		for (i = 0; i < nhosts; i++) {
			unsigned char sig[VAULT_SIGNATUREBYTES];
			char sig_hex[2 * VAULT_SIGNATUREBYTES + 1];
			struct ro_manual_rec r;
			struct ro_buf msg;
			int64_t at = (int64_t)time(NULL);

			ro_buf_init(&msg);
			record_message(&msg, ci.id, ci.plan_hash, hosts[i], step, result, note, m->name, at);
			rc = vault_key_sign_message(key, RECORD_CTX, msg.p, msg.len, sig);
			ro_buf_free(&msg);
			if (rc != VAULT_OK) {
				fprintf(stderr, "rollout record: cannot sign: %s\n", vault_strerror(rc));
				exit_code = RO_EXIT_FAIL;
				break;
			}
			ro_hex(sig, sizeof sig, sig_hex);
			memset(&r, 0, sizeof r);
			r.campaign = ci.id;
			r.host = hosts[i];
			r.step_name = step;
			r.result = result;
			r.note = note;
			r.person = m->name;
			r.person_ja = m->name_ja;
			r.signer_key = pk_hex;
			r.signature = sig_hex;
			r.at = at;
			if ((rc = ro_store_manual_record(st, &r, &cause)) != RO_OK) {
				ro_safe_replace(&cause);
				fprintf(stderr, "rollout record: %s; nothing was recorded\n",
				    cause ? cause : ro_strerror(rc));
				exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
				break;
			}
			recorded++;
		}
		if (exit_code == RO_EXIT_OK && (rc = ro_store_commit(st)) != RO_OK) {
			fprintf(stderr, "rollout record: %s\n", ro_store_errmsg(st));
			exit_code = RO_EXIT_FAIL;
		}
		if (exit_code != RO_EXIT_OK) {
			ro_store_rollback(st);
			goto out;
		}
	}
	{
		char *who = ro_safe(m->name_ja ? m->name_ja : m->name), *name = ro_safe(m->name);
		char *id = ro_safe(ci.id), *s = ro_safe(step);
		printf("Recorded %s %s on %zu host%s of campaign %s, signed by %s (%s)\n", s, result,
		    recorded, recorded == 1 ? "" : "s", id, who, name);
		free(who);
		free(name);
		free(id);
		free(s);
	}
out:
	vault_key_free(key);
	ro_gates_free(g);
	ro_campaign_info_clear(&ci);
	ro_store_close(st);
	free(hosts_copy);
	free(why);
	free(cause);
	return exit_code;
}

const struct ro_cmd ro_cmd_record = {
	.name = "record",
	.usage = "CAMPAIGN HOST[,HOST...] STEP --result done|ok|finding [--note TEXT] --key FILE "
	    "[--passphrase-fd N] [--state-dir DIR]",
	.summary = "Record, signed, the on-site result of a manual step.",
	.help =
	    "Records that STEP, a manual step of CAMPAIGN (an on-site inspection item, an\n"
	    "operation check), was done on HOST (or on each of a comma-separated list of\n"
	    "hosts, all or none), by you, now, with its result:\n"
	    "  done      the work is done\n"
	    "  ok        checked, nothing wrong\n"
	    "  finding   checked, something is wrong (say what with --note)\n"
	    "The record names the person of your key file as the campaign's roster gives\n"
	    "them (with their Japanese name), beside your login, and is signed with your\n"
	    "key (Ed25519). A campaign whose manual steps are not all recorded is\n"
	    "awaiting-on-site; `rollout status CAMPAIGN` lists what is left per site.\n"
	    "A later record of the same step and host supersedes the earlier one.\n"
	    "\n"
	    "  --key FILE         your key file (as `rollout vault keygen` makes it)\n"
	    "  --passphrase-fd N  read the key's passphrase from descriptor N instead of a\n"
	    "                     no-echo prompt; never pass it in argv or the environment\n"
	    "  --note TEXT        one line: what was found, or a remark\n"
	    "  --state-dir DIR    the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "Exit status: 0 recorded, 1 not recorded (wrong passphrase, store failure),\n"
	    "2 bad usage, no such campaign, host or waiting manual step, or a key not on\n"
	    "the campaign's roster (journaled as a security event); nothing is recorded\n"
	    "unless everything is.\n",
	.exec = record_exec,
};
