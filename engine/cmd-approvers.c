/*
 * cmd-approvers.c - `rollout approvers invite|confirm`: passkeys for the
 * approvers of the roster (docs/APPROVALS.md, "Passkeys").
 *
 * invite makes a one-time link on which the approver enrols a passkey in
 * the console; confirm is the lead's signature, with their own key file,
 * that binds the enrolled passkey (its fingerprint, read to the lead by
 * the approver) to the roster member. Only confirmed passkeys approve.
 */
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
#include "approvers-passkey.h"
#include "cmd.h"
#include "error.h"
#include "secret-input.h"
#include "store.h"
#include "util.h"
#include "vault.h"

extern const struct ro_cmd ro_cmd_approvers;

/* roster_of reads the roster recorded with campaign's plan (checked
 * against the plan hash). */
static int
roster_of(const char *state_dir, const char *campaign, struct ro_gates **g)
{
	struct ro_campaign_info ci;
	struct ro_store *st = NULL;
	char *cause = NULL;
	int rc;

	memset(&ci, 0, sizeof ci);
	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) == RO_OK &&
	    (rc = ro_store_campaign_get(st, campaign, &ci, &cause)) == RO_OK)
		rc = ro_gates_from_plan_json(ci.plan_json, ci.plan_hash, g, &cause);
	if (rc == RO_OK && (*g)->roster == NULL) {
		cause = ro_xasprintf("campaign %s names no approvers roster", campaign);
		rc = RO_EINVAL;
	}
	if (rc != RO_OK) {
		ro_safe_replace(&cause);
		fprintf(stderr, "rollout approvers: %s\n", cause ? cause : ro_strerror(rc));
	}
	free(cause);
	ro_campaign_info_clear(&ci);
	ro_store_close(st);
	return rc;
}

static const struct ro_approver *
member(const struct ro_roster *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->m[i].name, name) == 0)
			return &r->m[i];
	return NULL;
}

static void
journal(const char *state_dir, const char *campaign, const char *kind, const char *name,
    const char *fp)
{
	struct ro_store *st = NULL;
	struct ro_buf d;
	char *cause = NULL;

	if (ro_store_open_dir(state_dir, &st, &cause) != RO_OK) {
		free(cause);
		return;
	}
	ro_buf_init(&d);
	ro_buf_adds(&d, "{\"name\":");
	ro_buf_json_str(&d, name);
	if (fp) {
		ro_buf_adds(&d, ",\"fingerprint\":");
		ro_buf_json_str(&d, fp);
	}
	ro_buf_addc(&d, '}');
	(void)ro_store_journal(st, campaign, kind, NULL, d.p);
	ro_buf_free(&d);
	ro_store_close(st);
}

static int
invite(const char *state_dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' },
		{ "hours", required_argument, NULL, 'h' },
		{ "url", required_argument, NULL, 'u' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *campaign = NULL, *url = "http://localhost:8080";
	char token[RO_INVITE_TOKEN_LEN + 1], *end, *cause = NULL;
	struct ro_gates *g = NULL;
	struct ro_pkdb *db = NULL;
	long hours = 72;
	int ch, rc, code = RO_EXIT_OK;

	while ((ch = getopt_long(argc, argv, "c:h:u:S:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': campaign = optarg; break;
		case 'u': url = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'h':
			hours = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || hours < 1 || hours > 24 * 14)
				return ro_cmd_usage(&ro_cmd_approvers, "--hours takes 1 to 336");
			break;
		default:
			return ro_cmd_usage(&ro_cmd_approvers, NULL);
		}
	}
	if (optind + 1 != argc || campaign == NULL)
		return ro_cmd_usage(&ro_cmd_approvers, "invite NAME --campaign ID: name one approver of "
		    "the campaign's roster");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return ro_cmd_usage(&ro_cmd_approvers, "--url is the console's address, e.g. "
		    "https://rollout.city.example");
	if (roster_of(state_dir, campaign, &g) != RO_OK) {
		code = RO_EXIT_USAGE;
		goto out;
	}
	if (member(g->roster, argv[optind]) == NULL) {
		char *n = ro_safe(argv[optind]);
		fprintf(stderr, "rollout approvers: '%s' is not on the roster '%s' of %s; invite a "
		    "member by the name the roster gives\n", n, g->roster->name, campaign);
		free(n);
		code = RO_EXIT_USAGE;
		goto out;
	}
	if ((rc = ro_pkdb_open(state_dir, &db, &cause)) != RO_OK ||
	    (rc = ro_pkdb_invite(db, argv[optind], campaign, (int64_t)time(NULL), hours * 3600,
	    token, &cause)) != RO_OK) {
		fprintf(stderr, "rollout approvers: %s\n", cause ? cause : ro_strerror(rc));
		code = RO_EXIT_FAIL;
		goto out;
	}
	journal(state_dir, campaign, "approver.invite", argv[optind], NULL);
	/* The link is the secret; it is printed once and only its hash is kept. */
	printf("%s%s/enrol?t=%s\n", url, url[strlen(url) - 1] == '/' ? "" : "", token);
	fprintf(stderr, "Give this link to %s alone; it works once, for %ld hours. Then confirm "
	    "the passkey's fingerprint with `rollout approvers confirm %s --fingerprint FP --key "
	    "LEAD.key`.\n", argv[optind], hours, argv[optind]);
	sodium_memzero(token, sizeof token);
out:
	free(cause);
	ro_pkdb_close(db);
	ro_gates_free(g);
	return code;
}

static int
confirm(const char *state_dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-fd", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fp = NULL, *key_path = NULL;
	char *cause = NULL, *why = NULL;
	struct ro_passkey p;
	struct ro_gates *g = NULL;
	struct ro_pkdb *db = NULL;
	struct vault_key *key = NULL;
	struct ro_buf msg;
	long pass_fd = -1;
	int ch, rc, code = RO_EXIT_OK;

	memset(&p, 0, sizeof p);
	while ((ch = getopt_long(argc, argv, "f:k:p:S:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': fp = optarg; break;
		case 'k': key_path = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'p':
			if ((rc = ro_cmd_pass_fd(&ro_cmd_approvers, optarg, &pass_fd)) != 0)
				return rc;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_approvers, NULL);
		}
	}
	if (optind + 1 != argc || fp == NULL || key_path == NULL)
		return ro_cmd_usage(&ro_cmd_approvers, "confirm NAME --fingerprint FP --key LEAD.key");
	ro_buf_init(&msg);
	if ((rc = ro_pkdb_open(state_dir, &db, &cause)) != RO_OK) {
		fprintf(stderr, "rollout approvers: %s\n", cause);
		code = ro_cmd_store_exit(rc);
		goto out;
	}
	if (ro_pkdb_pending(db, argv[optind], fp, &p) != RO_OK) {
		char *n = ro_safe(argv[optind]), *f = ro_safe(fp);
		fprintf(stderr, "rollout approvers: %s has no unconfirmed passkey with fingerprint %s; "
		    "compare with what their enrolment page shows\n", n, f);
		free(n);
		free(f);
		code = RO_EXIT_USAGE;
		goto out;
	}
	if (roster_of(state_dir, p.campaign, &g) != RO_OK) {
		code = RO_EXIT_FAIL;
		goto out;
	}
	if (ro_signing_key_unlock("approvers", key_path, (int)pass_fd, &key) != 0) {
		code = RO_EXIT_FAIL;
		goto out;
	}
	{
		unsigned char pk[VAULT_PUBLICKEYBYTES], sig[VAULT_SIGNATUREBYTES];
		char pk_hex[2 * VAULT_PUBLICKEYBYTES + 1], sig_hex[2 * VAULT_SIGNATUREBYTES + 1];

		vault_key_sign_public(key, pk);
		ro_hex(pk, sizeof pk, pk_hex);
		ro_passkey_binding(p.name, p.rp_id, p.credential_id, p.public_key, &msg);
		if (vault_key_sign_message(key, RO_PASSKEY_CTX, msg.p, msg.len, sig) != VAULT_OK) {
			fprintf(stderr, "rollout approvers: cannot sign with %s\n", key_path);
			code = RO_EXIT_FAIL;
			goto out;
		}
		ro_hex(sig, sizeof sig, sig_hex);
		/* The same check every verifier makes: a key not on the roster, or
		 * not a lead's, is refused here rather than stored to fail later. */
		if (ro_approval_passkey_binding_ok(g->roster, p.name, p.rp_id, p.credential_id,
		    p.public_key, pk_hex, sig_hex, &why) != RO_OK) {
			fprintf(stderr, "rollout approvers: %s\n", why);
			code = RO_EXIT_FAIL;
			goto out;
		}
		if ((rc = ro_pkdb_confirm(db, p.credential_id, pk_hex, sig_hex, (int64_t)time(NULL),
		    &cause)) != RO_OK) {
			fprintf(stderr, "rollout approvers: %s\n", cause);
			code = RO_EXIT_FAIL;
			goto out;
		}
	}
	journal(state_dir, p.campaign, "approver.passkey-confirmed", p.name, p.fingerprint);
	printf("Confirmed %s's passkey %s (signed by %s)\n", p.name, p.fingerprint,
	    vault_key_name(key));
out:
	vault_key_free(key);
	ro_buf_free(&msg);
	ro_passkey_clear(&p);
	ro_pkdb_close(db);
	ro_gates_free(g);
	free(cause);
	free(why);
	return code;
}

static int
approvers_exec(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "invite") == 0)
		return invite(ro_cmd_state_dir(), argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "confirm") == 0)
		return confirm(ro_cmd_state_dir(), argc - 1, argv + 1);
	return ro_cmd_usage(&ro_cmd_approvers, "say invite or confirm");
}

const struct ro_cmd ro_cmd_approvers = {
	.name = "approvers",
	.usage = "invite NAME --campaign ID [--hours H] [--url URL] | "
	    "confirm NAME --fingerprint FP --key LEAD.key [--passphrase-fd N]  [--state-dir DIR]",
	.summary = "Invite an approver to enrol a passkey; confirm it as the lead.",
	.help =
	    "invite NAME --campaign ID prints a one-time link (valid --hours H, default 72) on\n"
	    "which NAME, a member of the campaign's approvers roster, enrols a passkey in the\n"
	    "console (`rollout serve`); --url is the console's address (default\n"
	    "http://localhost:8080). Only the SHA-256 of the link's token is stored.\n"
	    "\n"
	    "confirm NAME --fingerprint FP --key LEAD.key: the enrolment page shows the new\n"
	    "passkey's fingerprint; the approver reads it to the lead, who signs it with their\n"
	    "own key file (a contractor-lead of the roster). Only confirmed passkeys approve.\n"
	    "The passphrase: a no-echo prompt, or --passphrase-fd N (never argv).\n"
	    "\n"
	    "Exit status: 0 done, 1 not done (wrong passphrase, not a lead), 2 bad input.\n",
	.exec = approvers_exec,
};
