/*
 * campaign.h - a campaign binds an inventory, one or more playbooks and
 * parameter values; loading it resolves every name and works out which
 * hosts are in scope and which steps each of them runs.
 */
#ifndef RO_CAMPAIGN_H
#define RO_CAMPAIGN_H

#include "model.h"
#include "playbook.h"

struct ro_roster;

struct ro_param_value {
	const char *name;
	const char *value;
	enum ro_param_type type;
	int from_default;
	/* Where the value was given: the campaign file, "--param" (line 0), or
	 * the declaring playbook for a default. */
	const char *file;
	int line, col;
};

/* An upload's src resolved (and confined) for this campaign. */
struct ro_upload_file {
	const struct ro_step *step;
	const char *path;
};

/* A person the work procedure names (`contacts:` in the campaign). */
struct ro_contact {
	const char *name;
	const char *role;         /* e.g. 作業責任者, 市担当者 */
	const char *phone;
	const char *org;          /* or NULL */
	int line, col;
};

struct ro_campaign {
	const char *path;
	const char *id;
	const char *title;
	struct ro_inventory *inv;
	struct ro_playbook **playbooks;
	size_t nplaybooks;
	struct ro_selector *targets;   /* one per playbook, resolved */
	struct ro_selector *narrow;    /* the campaign's own 'targets', or NULL */
	const struct ro_ynode *narrow_node;
	struct ro_param_value *params; /* sorted by name */
	size_t nparams;
	long start_day;                /* day number, or -1 when not given */
	int start_min;                 /* JST minute of start_day the campaign starts
	                                  at: 0 for a date alone ("start: 2026-11-04"),
	                                  else as given ("start: 2026-11-04 19:30") */
	int start_has_time;            /* 1 when `start:` gave a time of day */
	long incident;                 /* `incident: ID` it was started for, or 0 */
	struct ro_policy policy;       /* effective: first playbook's + overrides */
	struct ro_phase *phases;
	size_t nphases;
	uint32_t *hosts;               /* in scope, in inventory order */
	size_t nhosts;
	uint32_t *host_playbooks;      /* per in-scope host: bit i = playbook i applies */
	struct ro_upload_file *uploads; /* one per upload step whose src is a {{path}} */
	size_t nuploads;
	uint8_t sha256[32];            /* of the campaign file */
	struct ro_roster *roster;      /* `approvers:` (approvers.h), or NULL */
	const char *notify;            /* `notify:` shell command (notify.h), or NULL */
	struct ro_contact *contacts;   /* `contacts:`, in the file's order */
	size_t ncontacts;
	struct ro_ydoc *doc;
	struct ro_arena arena;
};

/* One "--param NAME=VALUE" given on the command line; it wins over the file. */
struct ro_param_arg {
	const char *name;
	const char *value;
};

int ro_campaign_load(const char *path, const struct ro_param_arg *args, size_t nargs,
    struct ro_campaign **out, struct ro_diags *d);
void ro_campaign_free(struct ro_campaign *c);

/* ro_campaign_param returns the value of a parameter, or NULL. */
const char *ro_campaign_param(const struct ro_campaign *c, const char *name);

/* ro_campaign_upload_src returns the engine-side file an upload step
 * sends: resolved when the campaign was loaded, inside the playbook's
 * directory tree (docs/PLAYBOOKS.md). */
const char *ro_campaign_upload_src(const struct ro_campaign *c, const struct ro_step *s);

/* The kinds of file `rollout validate` recognises by their first key. */
enum ro_file_kind { RO_FILE_UNKNOWN, RO_FILE_INVENTORY, RO_FILE_PLAYBOOK, RO_FILE_CAMPAIGN,
	RO_FILE_APPROVERS };
/* ro_file_kind_of peeks at a file's first key (diagnostics on failure). */
int ro_file_kind_of(const char *path, enum ro_file_kind *kind, struct ro_diags *d);


/* ro_param_arg_parse splits "NAME=VALUE" (pointing into s); RO_EINVAL if no '='. */
int ro_param_arg_parse(char *s, struct ro_param_arg *out);

#endif
