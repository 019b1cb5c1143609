/* cmd-approvals.c - `rollout approvals verify CAMPAIGN`: every signed
 * approval of a campaign checked offline against the roster and plan
 * recorded with it; `rollout approvals pubkey KEYFILE`: the line a roster
 * needs for a key file's member. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "store.h"
#include "util.h"
#include "vault.h"

extern const struct ro_cmd ro_cmd_approvals;

static int
pubkey(const char *path)
{
	struct vault_pubkey pk;
	char hex[2 * VAULT_PUBLICKEYBYTES + 1];
	char *cause = NULL;
	int rc;

	if ((rc = vault_key_public_info(path, &pk, &cause)) != VAULT_OK) {
		fprintf(stderr, "rollout approvals pubkey: %s\n", cause ? cause : vault_strerror(rc));
		free(cause);
		return rc == VAULT_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
	}
	if (pk.version < 2) {
		fprintf(stderr, "rollout approvals pubkey: %s is a version-1 key file without a "
		    "signing key; upgrade it with `rollout vault migrate --key %s`\n", path, path);
		return RO_EXIT_FAIL;
	}
	ro_hex(pk.sign_pk, VAULT_PUBLICKEYBYTES, hex);
	printf("  - name: %s\n    key: %s\n", pk.name, hex);
	return RO_EXIT_OK;
}

static int
verify(const char *state_dir, const char *campaign, int json)
{
	struct ro_store *st = NULL;
	struct ro_approval_check *v = NULL;
	size_t n = 0, nbad = 0, i;
	char *cause = NULL;
	int rc, exit_code = RO_EXIT_OK;

	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout approvals verify: %s\n", cause);
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	rc = ro_approval_verify_all(st, campaign, &v, &n, &nbad, &cause);
	if (rc != RO_OK && rc != RO_EPROTO) {
		fprintf(stderr, "rollout approvals verify: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (json) {
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_adds(&b, "{\"campaign\":");
		ro_buf_json_str(&b, campaign);
		ro_buf_printf(&b, ",\"approvals\":%zu,\"invalid\":%zu,\"checks\":[", n, nbad);
		for (i = 0; i < n; i++) {
			ro_buf_printf(&b, "%s{\"id\":%lld,\"wave\":%d,\"approver\":", i ? "," : "",
			    (long long)v[i].id, v[i].wave + 1);
			ro_buf_json_str(&b, v[i].approver);
			ro_buf_adds(&b, ",\"decision\":");
			ro_buf_json_str(&b, v[i].decision);
			ro_buf_printf(&b, ",\"at\":%lld,\"valid\":%s,\"why\":", (long long)v[i].at,
			    v[i].valid ? "true" : "false");
			ro_buf_json_str(&b, v[i].why);
			ro_buf_addc(&b, '}');
		}
		ro_buf_adds(&b, "]}\n");
		fputs(b.p, stdout);
		ro_buf_free(&b);
	} else {
		for (i = 0; i < n; i++) {
			char at[RO_JST_FMT_MAX];
			ro_jst_format(v[i].at / 60, at);
			printf("%s approval %lld, wave %d, %s by %s at %s JST%s%s\n",
			    v[i].valid ? "valid  " : "INVALID", (long long)v[i].id, v[i].wave + 1,
			    v[i].decision ? v[i].decision : "(unsigned)",
			    v[i].approver ? v[i].approver : "?", at, v[i].valid ? "" : ": ",
			    v[i].valid ? "" : v[i].why);
		}
		printf("%zu approval%s of %s, %zu invalid\n", n, n == 1 ? "" : "s", campaign, nbad);
	}
	if (nbad)
		exit_code = RO_EXIT_FAIL;
out:
	ro_approval_check_free(v, n);
	ro_store_close(st);
	free(cause);
	return exit_code;
}

static int
approvals_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir();
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "jS:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'S':
			state_dir = optarg;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_approvals, NULL);
		}
	}
	if (optind + 2 != argc)
		return ro_cmd_usage(&ro_cmd_approvals, "give a subcommand and its argument: "
		    "verify CAMPAIGN, or pubkey KEYFILE");
	if (strcmp(argv[optind], "verify") == 0)
		return verify(state_dir, argv[optind + 1], json);
	if (strcmp(argv[optind], "pubkey") == 0)
		return pubkey(argv[optind + 1]);
	return ro_cmd_usage(&ro_cmd_approvals, "unknown subcommand '%s': verify or pubkey",
	    argv[optind]);
}

const struct ro_cmd ro_cmd_approvals = {
	.name = "approvals",
	.usage = "verify CAMPAIGN [--json] [--state-dir DIR] | pubkey KEYFILE",
	.summary = "Verify a campaign's signed approvals offline; print a roster entry's key.",
	.help =
	    "verify CAMPAIGN   checks every approval and refusal recorded for CAMPAIGN:\n"
	    "                  the plan recorded with it must hash to its plan hash, and\n"
	    "                  each row must carry a signature by a member of the plan's\n"
	    "                  approvers roster whose role approves that gate, over that\n"
	    "                  campaign, wave, gate, plan, decision, time and comment.\n"
	    "                  Needs nothing but the state store (docs/APPROVALS.md).\n"
	    "pubkey KEYFILE    prints the key file's member and Ed25519 public key as the\n"
	    "                  lines of an approvers roster (no passphrase needed).\n"
	    "\n"
	    "Exit status: 0 every approval verifies, 1 one does not (each is listed with\n"
	    "why), 2 bad usage or no such campaign.\n",
	.exec = approvals_exec,
};
