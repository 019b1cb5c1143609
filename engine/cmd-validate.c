/* cmd-validate.c - `rollout validate FILE...`: check inventories, playbooks, campaigns. */
#include "approvers.h"
#include "campaign.h"
#include "cmd.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

extern const struct ro_cmd ro_cmd_validate;

/* Validates one file; on success prints a one-line summary of what it holds. */
static int
validate_one(const char *path, const struct ro_param_arg *args, size_t nargs, int json,
    struct ro_diags *d)
{
	enum ro_file_kind kind;
	int rc = ro_file_kind_of(path, &kind, d);

	if (rc != RO_OK)
		return rc;
	switch (kind) {
	case RO_FILE_INVENTORY: {
		struct ro_inventory *inv;
		if ((rc = ro_inventory_load(path, &inv, d)) != RO_OK)
			return rc;
		if (!json)
			printf("ok  %s: inventory '%s', %zu sites, %zu hosts\n", path, inv->name,
			    inv->nsites, inv->nhosts);
		ro_inventory_free(inv);
		break;
	}
	case RO_FILE_PLAYBOOK: {
		struct ro_playbook *pb;
		if ((rc = ro_playbook_load(path, &pb, d)) != RO_OK)
			return rc;
		if (!json)
			printf("ok  %s: playbook '%s', %zu steps, %zu params\n", path, pb->name,
			    pb->nsteps, pb->nparams);
		ro_playbook_free(pb);
		break;
	}
	case RO_FILE_CAMPAIGN: {
		struct ro_campaign *c;
		if ((rc = ro_campaign_load(path, args, nargs, &c, d)) != RO_OK)
			return rc;
		if (!json)
			printf("ok  %s: campaign '%s', %zu playbook%s, %zu hosts in scope\n", path,
			    c->id, c->nplaybooks, c->nplaybooks == 1 ? "" : "s", c->nhosts);
		ro_campaign_free(c);
		break;
	}
	case RO_FILE_APPROVERS: {
		struct ro_roster *r;
		if ((rc = ro_roster_load(path, &r, d)) != RO_OK)
			return rc;
		if (!json)
			printf("ok  %s: approvers '%s', %zu member%s\n", path, r->name, r->n,
			    r->n == 1 ? "" : "s");
		ro_roster_free(r);
		break;
	}
	case RO_FILE_UNKNOWN:
		return RO_EINVAL;
	}
	return RO_OK;
}

static int
validate_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "param", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct ro_param_arg *args = ro_xcalloc((size_t)argc, sizeof *args);
	struct ro_diags d;
	size_t nargs = 0;
	int json = 0, ch, i, bad = 0;

	while ((ch = getopt_long(argc, argv, "jp:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'p':
			if (ro_param_arg_parse(optarg, &args[nargs++]) != RO_OK) {
				free(args);
				return ro_cmd_usage(&ro_cmd_validate, "--param takes NAME=VALUE");
			}
			break;
		default:
			free(args);
			return ro_cmd_usage(&ro_cmd_validate, NULL);
		}
	}
	if (optind >= argc) {
		free(args);
		return ro_cmd_usage(&ro_cmd_validate, "name at least one file");
	}
	ro_diags_init(&d);
	for (i = optind; i < argc; i++) {
		if (validate_one(argv[i], args, nargs, json, &d) != RO_OK)
			bad = 1;
	}
	if (json)
		ro_diags_print_json(stdout, &d);
	else
		ro_diags_print(stderr, &d);
	if (bad && !json)
		fprintf(stderr, "%zu error%s; nothing was changed.\n", d.n + d.dropped,
		    d.n + d.dropped == 1 ? "" : "s");
	ro_diags_free(&d);
	free(args);
	return bad ? RO_EXIT_USAGE : RO_EXIT_OK;
}

const struct ro_cmd ro_cmd_validate = {
	.name = "validate",
	.usage = "[--json] [--param NAME=VALUE]... FILE...",
	.summary = "Check inventory, playbook and campaign files.",
	.help =
	    "Each FILE is recognised by its first key (inventory:, playbook: or campaign:)\n"
	    "and checked completely; a campaign is checked together with the inventory\n"
	    "and playbooks it names. Errors are printed as file:line:col with a hint.\n\n"
	    "options:\n"
	    "  --param NAME=VALUE  a campaign parameter (wins over the campaign file)\n"
	    "  --json              print the diagnostics as a JSON array on stdout\n\n"
	    "exit status: 0 all files are valid, 2 at least one is not.\n",
	.exec = validate_exec,
};
