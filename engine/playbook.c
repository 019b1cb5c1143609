/* playbook.c - loading and checking a playbook file. */
#include "playbook.h"
#include "error.h"
#include "store.h"
#include "template.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const ro_param_type_names[] = { "string", "int", "bool", "path", "sha256", "kb",
	"version", "ipv4", "duration", "id", "ipv4-list", NULL };
const char *const ro_step_kind_names[] = { "exec", "upload", "reboot", "check", "verify",
	"manual", "password", "fetch", NULL };
const char *const ro_window_names[] = { "business", "closed-office", "any", NULL };
const char *const ro_skew_names[] = { "any", "cs-ahead", "none", NULL };
const char *const ro_gate_names[] = { "before-first", "after-canary", "after-cs", "every-wave", NULL };
const char *const ro_work_names[] = { "jlis-app-update", "os-update", "settings-change",
	"password-change", "inspection", "log-collection", "ip-change", "touch-panel-recovery",
	NULL };

static const char *const top_keys[] = { "playbook", "title", "title_ja", "work", "description",
	"params", "targets", "max_hosts", "phases", "policy", "steps", "rollback", NULL };
static const char *const param_keys[] = { "type", "required", "default", "description", NULL };
static const char *const phase_keys[] = { "name", "roles", "after", NULL };
static const char *const policy_keys[] = { "canary", "wave_size", "concurrency",
	"max_unavailable_per_site", "failure_budget", "window", "skew", "skew_within_days",
	"gates", "deadline_days", "early_start", NULL };
static const char *const step_keys[] = { "name", "exec", "upload", "reboot", "check", "verify",
	"manual", "password", "fetch", "expect", "reboot_required", "timeout", "retries", "retry_delay",
	"estimate", "roles", "skip_if", "continue_on_failure", "read_only", "title_ja", "description",
	NULL };
static const char *const upload_keys[] = { "src", "dest", "sha256", NULL };
static const char *const fetch_keys[] = { "src", NULL };
static const char *const reboot_keys[] = { "timeout", "if_required", NULL };
static const char *const manual_keys[] = { "instruction", "instruction_ja", NULL };
static const char *const password_keys[] = { "credential", "account", "apply", "verify", NULL };
static const char *const host_vars[] = { "host.name", "host.address", "host.site", "host.role",
	"host.model", "site.name", NULL };

/* Default step estimates (seconds) by kind, used when a step gives none. */
static const long default_estimate[RO_STEP_N] = { 60, 120, 300, 10, 10, 600, 60, 60 };

void
ro_policy_default(struct ro_policy *p)
{
	memset(p, 0, sizeof *p);
	p->canary = 1;
	p->wave_kind = RO_WAVE_PERCENT;
	p->wave_value = 25;
	p->concurrency = 20;
	p->max_unavailable.value = 1;
	p->failure_budget.pct = 1;
	p->failure_budget.value = 10;
	p->window = RO_WINDOW_BUSINESS;
	p->skew = RO_SKEW_ANY;
	p->skew_within_days = 5;
	p->gates = RO_GATE_AFTER_CANARY;
	p->deadline_days = 14;
}

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[n] == '\0';
}

int
ro_param_check(enum ro_param_type type, const char *v, const char **hint)
{
	long l;
	uint32_t ip;
	const char *p;
	char *end;

	switch (type) {
	case RO_PT_STRING:
		if (*v == '\0') {
			*hint = "give a non-empty value";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_PATH:
		/* A path never needs quotes or shell metacharacters; refusing them
		 * keeps it safe wherever a playbook puts it (docs/PLAYBOOKS.md). */
		if (*v == '\0' || *v == '-') {
			*hint = "give a path that does not start with '-'";
			return RO_EINVAL;
		}
		for (p = v; *p; p++) {
			const unsigned char *u = (const unsigned char *)p;
			if (*u < 0x20 || *u == 0x7f || strchr("\"'`%^&|<>;$(){}[]@#!*?=,", *u) ||
			    (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9e)) {
				*hint = "give a path of letters, digits, spaces and . _ - \\ / : + ~ only "
				    "(no quotes, control characters or shell metacharacters)";
				return RO_EINVAL;
			}
		}
		return RO_OK;
	case RO_PT_ID:
		if (*v == '\0' || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._-") != strlen(v)) {
			*hint = "give an identifier of letters, digits and . _ - only, e.g. 2026-11-04-kita-t05";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_IPV4_LIST:
		for (p = v;;) {
			char one[16];
			size_t len = strcspn(p, ",");
			if (len == 0 || len >= sizeof one) {
				*hint = "give IPv4 addresses separated by commas, e.g. 10.1.1.1,10.1.1.2";
				return RO_EINVAL;
			}
			memcpy(one, p, len);
			one[len] = '\0';
			if (ro_parse_ipv4(one, &ip) != RO_OK) {
				*hint = "give IPv4 addresses separated by commas, e.g. 10.1.1.1,10.1.1.2";
				return RO_EINVAL;
			}
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
		return RO_OK;
	case RO_PT_INT:
		(void)strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0') {
			*hint = "give a whole number";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_BOOL:
		if (strcmp(v, "true") && strcmp(v, "false")) {
			*hint = "give true or false";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_SHA256:
		if (strlen(v) != 64 || !is_hex(v, 64)) {
			*hint = "give 64 hexadecimal digits, as sha256sum prints them";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_KB:
		if (strncmp(v, "KB", 2) || strlen(v) < 5 || strlen(v) > 10) {
			*hint = "give a Knowledge Base number such as KB5066835";
			return RO_EINVAL;
		}
		for (p = v + 2; *p; p++)
			if (!isdigit((unsigned char)*p)) {
				*hint = "give a Knowledge Base number such as KB5066835";
				return RO_EINVAL;
			}
		return RO_OK;
	case RO_PT_VERSION:
		for (p = v; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != '.') {
				*hint = "give a dotted version such as 10.2.3";
				return RO_EINVAL;
			}
		if (*v == '\0' || *v == '.' || p[-1] == '.' || strstr(v, "..")) {
			*hint = "give a dotted version such as 10.2.3";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_IPV4:
		if (ro_parse_ipv4(v, &ip) != RO_OK) {
			*hint = "give an IPv4 address such as 10.20.30.40";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_DURATION:
		if (ro_parse_duration(v, &l) != RO_OK) {
			*hint = "give a duration such as 30m or 2h";
			return RO_EINVAL;
		}
		return RO_OK;
	case RO_PT_N:
		break;
	}
	*hint = "unknown type";
	return RO_EINVAL;
}

struct loader {
	struct ro_yctx c;
	struct ro_playbook *pb;
};

static const char *
dup(struct loader *l, const char *s)
{
	return s ? ro_arena_strdup(&l->pb->arena, s) : NULL;
}

static int
read_str(struct loader *l, const struct ro_ynode *map, const char *key, int required,
    const char *what, const char **out)
{
	const struct ro_ynode *v = required ? ro_yrequire(&l->c, map, key, what) :
	    ro_ymap_get(map, key);
	const char *s;

	if (v == NULL)
		return required ? RO_EINVAL : RO_OK;
	if (ro_ystr(&l->c, v, &s) != RO_OK)
		return RO_EINVAL;
	*out = dup(l, s);
	return RO_OK;
}

/*
 * read_text reads an optional free-text key that a person reads (a step's
 * title_ja or description): a non-empty string on one or more lines. It is
 * printed in the work procedure the city approves, so an empty one is an
 * error rather than a blank line in the document.
 */
static int
read_text(struct loader *l, const struct ro_ynode *map, const char *key, const char *what,
    const char **out)
{
	const struct ro_ynode *v = ro_ymap_get(map, key);
	const char *s, *p;

	if (v == NULL)
		return RO_OK;
	if (ro_ystr(&l->c, v, &s) != RO_OK)
		return RO_EINVAL;
	for (p = s; *p == ' ' || *p == '\t' || *p == '\n'; p++)
		;
	if (*p == '\0') {
		ro_yerr(&l->c, v, "write the text, or remove the key", "'%s' of %s is empty", key,
		    what);
		return RO_EINVAL;
	}
	*out = dup(l, s);
	return RO_OK;
}

static int
load_params(struct loader *l, const struct ro_ynode *n)
{
	struct ro_playbook *pb = l->pb;
	size_t i;
	int rc = RO_OK;

	if (ro_yexpect(&l->c, n, RO_YMAP, "params") != RO_OK)
		return RO_EINVAL;
	pb->params = ro_arena_alloc(&pb->arena, n->n * sizeof *pb->params);
	for (i = 0; i < n->n; i++) {
		const struct ro_ynode *k = RO_YMAP_KEY(n, i), *v = RO_YMAP_VAL(n, i), *w;
		struct ro_param *p = &pb->params[pb->nparams];
		const char *name, *hint;
		int t, req = 0;

		if (k->kind != RO_YSCALAR || strchr(k->str, '.') || strchr(k->str, ' ') || !*k->str) {
			ro_yerr(&l->c, k, "use letters, digits and '_'", "invalid parameter name");
			rc = RO_EINVAL;
			continue;
		}
		name = k->str;
		if (ro_yexpect(&l->c, v, RO_YMAP, "a parameter") ||
		    ro_ycheck_keys(&l->c, v, param_keys, "a parameter")) {
			rc = RO_EINVAL;
			continue;
		}
		p->name = dup(l, name);
		p->line = k->line;
		p->col = k->col;
		if ((w = ro_yrequire(&l->c, v, "type", "a parameter")) == NULL ||
		    ro_yenum(&l->c, w, ro_param_type_names, "parameter type", &t)) {
			rc = RO_EINVAL;
			continue;
		}
		p->type = (enum ro_param_type)t;
		if ((w = ro_ymap_get(v, "required")) && ro_ybool(&l->c, w, &req))
			rc = RO_EINVAL;
		p->required = req;
		if (read_str(l, v, "description", 0, "a parameter", &p->description))
			rc = RO_EINVAL;
		if ((w = ro_ymap_get(v, "default")) != NULL) {
			if (req) {
				ro_yerr(&l->c, w, "drop 'required: true' or the default",
				    "parameter '%s' is required and also has a default", name);
				rc = RO_EINVAL;
			} else if (w->kind != RO_YSCALAR) {
				ro_yerr(&l->c, w, NULL, "expected a value for the default, found %s",
				    ro_ykind_name(w->kind));
				rc = RO_EINVAL;
			} else if (ro_param_check(p->type, w->str, &hint) != RO_OK) {
				ro_yerr(&l->c, w, hint, "default '%s' is not a valid %s", w->str,
				    ro_param_type_names[p->type]);
				rc = RO_EINVAL;
			} else
				p->def = dup(l, w->str);
		}
		pb->nparams++;
	}
	return rc;
}

/* Reads a list of exit codes into *codes. */
static int
read_codes(struct loader *l, const struct ro_ynode *n, int **codes, size_t *ncodes)
{
	const struct ro_ynode *one;
	const struct ro_ynode *const *items;
	size_t cnt, i;

	if (ro_ystrlist(&l->c, n, &one, &items, &cnt) != RO_OK)
		return RO_EINVAL;
	*codes = ro_arena_alloc(&l->pb->arena, cnt * sizeof **codes);
	for (i = 0; i < cnt; i++) {
		long v;
		if (ro_yint(&l->c, items[i], -2147483648L, 4294967295L, &v) != RO_OK)
			return RO_EINVAL;
		(*codes)[i] = (int)(unsigned)v; /* Windows codes may be written unsigned */
	}
	*ncodes = cnt;
	return RO_OK;
}

static int
read_roles(struct loader *l, const struct ro_ynode *n, unsigned *mask)
{
	const struct ro_ynode *one;
	const struct ro_ynode *const *items;
	size_t cnt, i;
	int r, rc = RO_OK;

	*mask = 0;
	if (ro_ystrlist(&l->c, n, &one, &items, &cnt) != RO_OK)
		return RO_EINVAL;
	for (i = 0; i < cnt; i++) {
		if (ro_yenum(&l->c, items[i], ro_role_names, "role", &r) != RO_OK)
			rc = RO_EINVAL;
		else
			*mask |= RO_ROLE_BIT(r);
	}
	return rc;
}

void
ro_playbook_tpos(const char *file, const struct ro_ynode *n, size_t k, int *line, int *col)
{
	FILE *f = fopen(file, "rb");
	int c, prev = 0, l = 1, cl = 1, started = 0;
	size_t seen = 0;

	*line = n->line;
	*col = n->col;
	if (f == NULL)
		return;
	/* Columns count characters, as libyaml's marks do: UTF-8 continuation
	 * bytes do not move the column. */
	while ((c = getc(f)) != EOF) {
		if (!started && (l > n->line || (l == n->line && cl >= n->col)))
			started = 1;
		if (started && prev == '{' && c == '{') {
			if (seen++ == k) {
				*line = l;
				*col = cl - 1;
				break;
			}
			c = 0; /* "{{{" holds one reference start */
		}
		if (c == '\n') {
			l++;
			cl = 1;
		} else if ((c & 0xc0) != 0x80)
			cl++;
		prev = c;
	}
	fclose(f);
}

/* The type of a parameter declared so far, or -1. */
static int
param_type(const struct ro_playbook *pb, const char *name)
{
	size_t i;

	for (i = 0; i < pb->nparams; i++)
		if (strcmp(pb->params[i].name, name) == 0)
			return (int)pb->params[i].type;
	return -1;
}

struct tcheck {
	struct loader *l;
	const struct ro_ynode *n;
	int rc;
};

/* Checks one reference: a known name, and free text only where it is quoted. */
static int
check_ref(const struct ro_tref *r, void *arg)
{
	struct tcheck *t = arg;
	struct loader *l = t->l;
	int line, col, type;
	size_t i;

	/* Errors point at the reference itself; finding it re-reads the file,
	 * so only when there is one to report. */
	if (r->name[0] == '\0') {
		ro_playbook_tpos(l->c.file, t->n, r->index, &line, &col);
		ro_diag_add(l->c.d, l->c.file, line, col, NULL, "empty or over-long reference");
		t->rc = RO_EINVAL;
		return 0;
	}
	type = param_type(l->pb, r->name);
	for (i = 0; type < 0 && host_vars[i]; i++)
		if (strcmp(host_vars[i], r->name) == 0)
			type = ro_template_is_free_text(r->name) ? RO_PT_STRING : RO_PT_ID;
	if (type < 0) {
		const char **cands = ro_xcalloc(l->pb->nparams + RO_NELEM(host_vars), sizeof *cands);
		const char *sugg;
		char *hint;
		size_t k = 0;
		for (i = 0; i < l->pb->nparams; i++)
			cands[k++] = l->pb->params[i].name;
		for (i = 0; host_vars[i]; i++)
			cands[k++] = host_vars[i];
		sugg = ro_suggest(r->name, cands);
		hint = sugg ? ro_xasprintf("did you mean '{{%s}}'?", sugg) :
		    ro_xasprintf("declare '%s' under 'params:'", r->name);
		ro_playbook_tpos(l->c.file, t->n, r->index, &line, &col);
		ro_diag_add(l->c.d, l->c.file, line, col, hint, "unknown parameter '{{%s}}'", r->name);
		free(hint);
		free(cands);
		t->rc = RO_EINVAL;
		return 0;
	}
	if (type == RO_PT_STRING && r->ctx == RO_TCTX_BARE) {
		ro_playbook_tpos(l->c.file, t->n, r->index, &line, &col);
		ro_diag_add(l->c.d, l->c.file, line, col,
		    "put it inside single quotes in the PowerShell code (or double quotes for cmd.exe), "
		    "or declare the parameter with a strict type: id, path, kb, version, int, ipv4, ...",
		    "'{{%s}}' is free text but stands %s here: a value could add commands",
		    r->name, ro_tctx_name(r->ctx));
		t->rc = RO_EINVAL;
	}
	return 0;
}

/* A reference in a rollback text names a declared parameter (the text is
 * shown once for the campaign, not per host). */
static int
rollback_ref(const struct ro_tref *r, void *arg)
{
	struct tcheck *t = arg;
	struct loader *l = t->l;
	int line, col;

	if (r->name[0] != '\0' && param_type(l->pb, r->name) >= 0)
		return 0;
	ro_playbook_tpos(l->c.file, t->n, r->index, &line, &col);
	if (r->name[0] == '\0')
		ro_diag_add(l->c.d, l->c.file, line, col, NULL, "empty or over-long reference");
	else {
		char *hint = ro_xasprintf("a rollback step may name only the playbook's parameters; "
		    "declare '%s' under 'params:' or write the text without it", r->name);
		ro_diag_add(l->c.d, l->c.file, line, col, hint, "unknown parameter '{{%s}}'", r->name);
		free(hint);
	}
	t->rc = RO_EINVAL;
	return 0;
}

/*
 * load_rollback reads `rollback:`, what to do if the work must be undone:
 * one text or a list of texts, each one step of the rollback in the order
 * it is done. It is part of the work procedure (docs/PLAYBOOKS.md). A text
 * may name the campaign's values as {{param}} (e.g. the KB number to
 * remove), filled in when the procedure is shown; host variables have no
 * single value there, so only declared parameters may be named.
 */
static int
load_rollback(struct loader *l, const struct ro_ynode *n)
{
	struct ro_playbook *pb = l->pb;
	const struct ro_ynode *one;
	const struct ro_ynode *const *items;
	size_t cnt, i;
	int rc = RO_OK;

	if (ro_ystrlist(&l->c, n, &one, &items, &cnt) != RO_OK)
		return RO_EINVAL;
	if (cnt == 0) {
		ro_yerr(&l->c, n, "list the steps that undo the work, in order",
		    "'rollback' is empty");
		return RO_EINVAL;
	}
	pb->rollback = ro_arena_alloc(&pb->arena, cnt * sizeof *pb->rollback);
	for (i = 0; i < cnt; i++) {
		const char *p = items[i]->str;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0') {
			ro_yerr(&l->c, items[i], "write the step, or remove the line",
			    "rollback step %zu is empty", i + 1);
			rc = RO_EINVAL;
			continue;
		}
		{
			struct tcheck t = { l, items[i], RO_OK };
			if (ro_template_scan(items[i]->str, rollback_ref, &t) != RO_OK) {
				ro_yerr(&l->c, items[i], "close it with '}}'", "unclosed '{{' in rollback step %zu",
				    i + 1);
				t.rc = RO_EINVAL;
			}
			if (t.rc != RO_OK) {
				rc = RO_EINVAL;
				continue;
			}
		}
		pb->rollback[pb->nrollback++] = dup(l, items[i]->str);
	}
	pb->rollback_line = n->line;
	return rc;
}

/* Checks every {{name}} in s against the parameters and host variables, and
 * that free text stands only where the command quotes it. */
static int
check_template(struct loader *l, const struct ro_ynode *n, const char *s)
{
	struct tcheck t = { l, n, RO_OK };

	if (ro_template_scan(s, check_ref, &t) != RO_OK) {
		ro_yerr(&l->c, n, "close the reference with }}", "unclosed '{{' in '%s'", s);
		return RO_EINVAL;
	}
	return t.rc;
}

size_t
ro_step_texts(const struct ro_step *s, struct ro_step_text out[RO_STEP_TEXTS_MAX])
{
	size_t n = 0;

#define ADD(w, t, nd) do { if (t) { out[n].what = (w); out[n].text = (t); out[n].node = (nd); n++; } } while (0)
	ADD(s->kind == RO_STEP_PASSWORD ? "password apply" : ro_step_kind_names[s->kind],
	    s->command, s->command_node);
	ADD("skip_if", s->skip_if, s->skip_if_node);
	ADD("upload dest", s->dest, s->dest_node);
	ADD("upload sha256", s->sha256, s->sha256_node);
	ADD("password account", s->account, s->account_node);
	ADD("password verify", s->verify, s->verify_node);
	ADD("fetch src", s->fetch_src, s->fetch_node);
#undef ADD
	return n;
}

/* Whether directory dir holds a rollout state: the store or the engine key. */
static int
is_state_dir(const char *dir)
{
	static const char *const marks[] = { RO_STORE_FILE, "id_ed25519", "known_hosts", NULL };
	struct stat st;
	size_t i;

	for (i = 0; marks[i]; i++) {
		char *p = ro_xasprintf("%s/%s", dir, marks[i]);
		int there = lstat(p, &st) == 0;
		free(p);
		if (there)
			return 1;
	}
	return 0;
}

int
ro_upload_resolve(const char *root_dir, const char *base_dir, const char *rel, char **out,
    char **why)
{
	char root[PATH_MAX], real[PATH_MAX];
	char *joined = NULL, *dir = NULL, *slash;
	size_t rootlen;
	int rc = RO_EINVAL;

	*out = NULL;
	*why = NULL;
	if (rel[0] == '\0' || rel[0] == '/') {
		*why = ro_xstrdup("an upload's src must be a relative name (an absolute one could "
		    "send any file of the engine machine)");
		return RO_EINVAL;
	}
	if (realpath(root_dir, root) == NULL) {
		*why = ro_xasprintf("cannot resolve the playbook's directory %s: %s", root_dir,
		    strerror(errno));
		return RO_EINVAL;
	}
	joined = ro_xasprintf("%s/%s", base_dir, rel);
	if (realpath(joined, real) == NULL) {
		/* Not there (yet): resolve its directory, which must exist. */
		char parent[PATH_MAX];
		dir = ro_xstrdup(joined);
		slash = strrchr(dir, '/');
		*slash = '\0';
		if (errno != ENOENT || strcmp(slash + 1, "..") == 0 || strcmp(slash + 1, ".") == 0 ||
		    realpath(dir, parent) == NULL ||
		    (size_t)snprintf(real, sizeof real, "%s/%s", parent, slash + 1) >= sizeof real) {
			*why = ro_xasprintf("cannot resolve %s", joined);
			goto out;
		}
	}
	rootlen = strlen(root);
	if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/') {
		*why = ro_xasprintf("%s resolves to %s, outside the playbook's directory %s "
		    "(after symbolic links)", rel, real, root);
		goto out;
	}
	free(dir);
	dir = ro_xstrdup(real);
	while ((slash = strrchr(dir, '/')) != NULL && (size_t)(slash - dir) >= rootlen) {
		*slash = '\0';
		if (is_state_dir(dir)) {
			*why = ro_xasprintf("%s is inside %s, a rollout state directory (the engine's "
			    "store and keys are never uploaded)", rel, dir);
			goto out;
		}
	}
	*out = ro_xstrdup(real);
	rc = RO_OK;
out:
	free(joined);
	free(dir);
	return rc;
}

/* Reads an upload's src: a relative file name under the playbook's
 * directory, or exactly one {{reference}} to a path parameter (the
 * campaign resolves and confines that one). */
static int
read_src(struct loader *l, const struct ro_ynode *body, struct ro_step *s)
{
	const struct ro_ynode *n = ro_yrequire(&l->c, body, "src", "upload");
	const char *str;
	char *dir, *why, *real;
	int rc;

	if (n == NULL || ro_ystr(&l->c, n, &str) != RO_OK)
		return RO_EINVAL;
	s->src_node = n;
	if (strstr(str, "{{") != NULL) {
		char name[128];
		size_t len;
		const char *a = str + 2, *b;
		int type;
		while (*a == ' ')
			a++;
		b = strstr(a, "}}");
		len = b ? (size_t)(b - a) : 0;
		while (len > 0 && a[len - 1] == ' ')
			len--;
		if (strncmp(str, "{{", 2) != 0 || b == NULL || b[2] != '\0' || len == 0 ||
		    len >= sizeof name) {
			ro_yerr(&l->c, n, "write a relative file name, or one reference such as \"{{artifact}}\"",
			    "an upload's src is a file name or exactly one {{path}} parameter");
			return RO_EINVAL;
		}
		memcpy(name, a, len);
		name[len] = '\0';
		type = param_type(l->pb, name);
		if (type != RO_PT_PATH) {
			ro_yerr(&l->c, n, "declare it under 'params:' with type: path",
			    type < 0 ? "'{{%s}}' in an upload's src is not a parameter of this playbook" :
			    "'{{%s}}' in an upload's src must be a path parameter", name);
			return RO_EINVAL;
		}
		s->src = dup(l, str);
		return RO_OK;
	}
	dir = ro_dir_of(l->c.file);
	rc = ro_upload_resolve(dir, dir, str, &real, &why);
	free(dir);
	if (rc != RO_OK) {
		ro_yerr(&l->c, n, "name a file inside the playbook's directory, e.g. scripts/Set-StaticIPv4.ps1",
		    "upload src '%s' refused: %s", str, why);
		free(why);
		return RO_EINVAL;
	}
	s->src = dup(l, str);
	s->src_file = dup(l, real);
	free(real);
	return RO_OK;
}

/* Reads a command string, checking its templates. */
static int
read_cmd(struct loader *l, const struct ro_ynode *n, const char **out)
{
	const char *s;

	if (ro_ystr(&l->c, n, &s) != RO_OK)
		return RO_EINVAL;
	if (*s == '\0') {
		ro_yerr(&l->c, n, "write the command to run", "empty command");
		return RO_EINVAL;
	}
	if (check_template(l, n, s) != RO_OK)
		return RO_EINVAL;
	*out = dup(l, s);
	return RO_OK;
}

static int
read_sub_str(struct loader *l, const struct ro_ynode *map, const char *key, int required,
    const char *what, int templated, const char **out)
{
	const struct ro_ynode *v = required ? ro_yrequire(&l->c, map, key, what) :
	    ro_ymap_get(map, key);

	if (v == NULL)
		return required ? RO_EINVAL : RO_OK;
	if (templated)
		return read_cmd(l, v, out);
	return read_str(l, map, key, required, what, out);
}

static int
load_step(struct loader *l, const struct ro_ynode *n, struct ro_step *s)
{
	const struct ro_ynode *v, *body = NULL;
	const char *str;
	int rc = RO_OK, kinds = 0, k;
	char what[96];

	memset(s, 0, sizeof *s);
	s->line = n->line;
	s->col = n->col;
	if (ro_yexpect(&l->c, n, RO_YMAP, "a step") != RO_OK)
		return RO_EINVAL;
	if (ro_ycheck_keys(&l->c, n, step_keys, "a step") != RO_OK)
		rc = RO_EINVAL;
	if ((v = ro_yrequire(&l->c, n, "name", "a step")) == NULL || ro_yident(&l->c, v, &str))
		return RO_EINVAL;
	s->name = dup(l, str);
	snprintf(what, sizeof what, "step '%s'", s->name);
	if (read_text(l, n, "title_ja", what, &s->title_ja) ||
	    read_text(l, n, "description", what, &s->description))
		rc = RO_EINVAL;
	for (k = 0; k < RO_STEP_N; k++) {
		const struct ro_ynode *b = ro_ymap_get(n, ro_step_kind_names[k]);
		if (b == NULL)
			continue;
		if (kinds++) {
			ro_yerr(&l->c, b, "split it into two steps",
			    "%s has two kinds, '%s' and '%s'", what,
			    ro_step_kind_names[s->kind], ro_step_kind_names[k]);
			return RO_EINVAL;
		}
		s->kind = (enum ro_step_kind)k;
		body = b;
	}
	if (!kinds) {
		/* After an unknown key, that key was most likely the misspelt kind:
		 * one error says it all. */
		if (rc == RO_OK)
			ro_yerr(&l->c, n, "add one of: exec, upload, reboot, check, verify, manual, "
			    "password, fetch",
			    "%s says nothing to do", what);
		return RO_EINVAL;
	}
	switch (s->kind) {
	case RO_STEP_EXEC:
	case RO_STEP_CHECK:
	case RO_STEP_VERIFY:
		if (read_cmd(l, body, &s->command))
			rc = RO_EINVAL;
		s->command_node = body;
		break;
	case RO_STEP_UPLOAD:
		if (ro_yexpect(&l->c, body, RO_YMAP, "upload") ||
		    ro_ycheck_keys(&l->c, body, upload_keys, "upload"))
			return RO_EINVAL;
		s->dest_node = ro_ymap_get(body, "dest");
		s->sha256_node = ro_ymap_get(body, "sha256");
		if (read_src(l, body, s) ||
		    read_sub_str(l, body, "dest", 1, "upload", 1, &s->dest) ||
		    read_sub_str(l, body, "sha256", 1, "upload", 1, &s->sha256))
			rc = RO_EINVAL;
		break;
	case RO_STEP_REBOOT:
		if (body->kind == RO_YSCALAR) {
			int yes;
			if (ro_ybool(&l->c, body, &yes))
				return RO_EINVAL;
			if (!yes) {
				ro_yerr(&l->c, body, "remove the step instead", "'reboot: false' does nothing");
				return RO_EINVAL;
			}
			s->timeout = 900;
			break;
		}
		if (ro_yexpect(&l->c, body, RO_YMAP, "reboot") ||
		    ro_ycheck_keys(&l->c, body, reboot_keys, "reboot"))
			return RO_EINVAL;
		s->timeout = 900;
		if ((v = ro_ymap_get(body, "timeout")) && ro_yduration(&l->c, v, &s->timeout))
			rc = RO_EINVAL;
		if ((v = ro_ymap_get(body, "if_required")) && ro_ybool(&l->c, v, &s->if_required))
			rc = RO_EINVAL;
		break;
	case RO_STEP_MANUAL:
		if (body->kind == RO_YSCALAR) {
			s->instruction = dup(l, body->str);
			break;
		}
		if (ro_yexpect(&l->c, body, RO_YMAP, "manual") ||
		    ro_ycheck_keys(&l->c, body, manual_keys, "manual"))
			return RO_EINVAL;
		if (read_str(l, body, "instruction", 1, "manual", &s->instruction) ||
		    read_str(l, body, "instruction_ja", 0, "manual", &s->instruction_ja))
			rc = RO_EINVAL;
		break;
	case RO_STEP_PASSWORD:
		if (ro_yexpect(&l->c, body, RO_YMAP, "password") ||
		    ro_ycheck_keys(&l->c, body, password_keys, "password"))
			return RO_EINVAL;
		if ((v = ro_yrequire(&l->c, body, "credential", "password")) == NULL ||
		    ro_yident(&l->c, v, &str))
			rc = RO_EINVAL;
		else
			s->credential = dup(l, str);
		s->account_node = ro_ymap_get(body, "account");
		s->command_node = ro_ymap_get(body, "apply");
		if (read_sub_str(l, body, "account", 0, "password", 1, &s->account) ||
		    read_sub_str(l, body, "apply", 1, "password", 1, &s->command))
			rc = RO_EINVAL;
		if ((v = ro_ymap_get(body, "verify")) != NULL && !(v->kind == RO_YSCALAR &&
		    strcmp(v->str, "login") == 0) && read_cmd(l, v, &s->verify))
			rc = RO_EINVAL;
		s->verify_node = v;
		break;
	case RO_STEP_FETCH:
		/* A file on the host brought back to the engine (docs/EXECUTION.md,
		 * "Fetch steps"): `fetch: PATH` or `fetch: {src: PATH}`. */
		if (body->kind == RO_YSCALAR) {
			s->fetch_node = body;
			if (read_cmd(l, body, &s->fetch_src))
				rc = RO_EINVAL;
			break;
		}
		if (ro_yexpect(&l->c, body, RO_YMAP, "fetch") ||
		    ro_ycheck_keys(&l->c, body, fetch_keys, "fetch"))
			return RO_EINVAL;
		s->fetch_node = ro_ymap_get(body, "src");
		if (read_sub_str(l, body, "src", 1, "fetch", 1, &s->fetch_src))
			rc = RO_EINVAL;
		break;
	case RO_STEP_N:
		break;
	}
	if ((v = ro_ymap_get(n, "expect")) != NULL) {
		if (s->kind != RO_STEP_EXEC && s->kind != RO_STEP_VERIFY && s->kind != RO_STEP_PASSWORD) {
			ro_yerr(&l->c, v, "only exec, verify and password steps have exit codes",
			    "'expect' does not apply to a %s step", ro_step_kind_names[s->kind]);
			rc = RO_EINVAL;
		} else if (read_codes(l, v, &s->expect, &s->nexpect))
			rc = RO_EINVAL;
	}
	if (s->nexpect == 0) {
		s->expect = ro_arena_alloc(&l->pb->arena, sizeof *s->expect);
		s->nexpect = 1;
	}
	if ((v = ro_ymap_get(n, "reboot_required")) != NULL) {
		if (s->kind != RO_STEP_EXEC) {
			ro_yerr(&l->c, v, NULL, "'reboot_required' applies to exec steps only");
			rc = RO_EINVAL;
		} else if (read_codes(l, v, &s->reboot_required, &s->nreboot_required))
			rc = RO_EINVAL;
	}
	if (s->timeout == 0)
		s->timeout = s->kind == RO_STEP_MANUAL ? 8 * 3600 : 600;
	if ((v = ro_ymap_get(n, "timeout")) && ro_yduration(&l->c, v, &s->timeout))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "retries")) && ro_yint(&l->c, v, 0, 10, &s->retries))
		rc = RO_EINVAL;
	s->retry_delay = 30;
	if ((v = ro_ymap_get(n, "retry_delay")) && ro_yduration(&l->c, v, &s->retry_delay))
		rc = RO_EINVAL;
	s->estimate = default_estimate[s->kind];
	if ((v = ro_ymap_get(n, "estimate")) && ro_yduration(&l->c, v, &s->estimate))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "roles")) && read_roles(l, v, &s->roles))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "skip_if")) && read_cmd(l, v, &s->skip_if))
		rc = RO_EINVAL;
	s->skip_if_node = v;
	/* Checks and verifies only read; an exec says so with read_only: true.
	 * Read-only steps are retried after any failure and are never taken for
	 * work this campaign did on the host (docs/EXECUTION.md). */
	s->read_only = s->kind == RO_STEP_CHECK || s->kind == RO_STEP_VERIFY ||
	    s->kind == RO_STEP_FETCH;
	if ((v = ro_ymap_get(n, "read_only")) != NULL) {
		int ro = 0;
		if (ro_ybool(&l->c, v, &ro))
			rc = RO_EINVAL;
		else if (s->kind != RO_STEP_EXEC) {
			ro_yerr(&l->c, v, "remove it: check, verify and fetch steps are read-only already, and "
			    "uploads, reboots and password changes change the host",
			    "'read_only' applies to exec steps only");
			rc = RO_EINVAL;
		} else
			s->read_only = ro;
	}
	if ((v = ro_ymap_get(n, "continue_on_failure")) != NULL) {
		if (ro_ybool(&l->c, v, &s->continue_on_failure))
			rc = RO_EINVAL;
		else if (s->continue_on_failure && s->kind != RO_STEP_VERIFY && s->kind != RO_STEP_MANUAL) {
			ro_yerr(&l->c, v, "only verify and manual steps (findings) may let the host go on; a failed change must stop the host",
			    "'continue_on_failure' does not apply to a %s step", ro_step_kind_names[s->kind]);
			rc = RO_EINVAL;
		}
	}
	return rc;
}

int
ro_policy_read(const struct ro_yctx *c, const struct ro_ynode *n, struct ro_policy *p)
{
	const struct ro_ynode *v, *one;
	const struct ro_ynode *const *items;
	size_t cnt, i;
	int rc = RO_OK, e;

	if (ro_yexpect(c, n, RO_YMAP, "policy") || ro_ycheck_keys(c, n, policy_keys, "policy"))
		return RO_EINVAL;
	if ((v = ro_ymap_get(n, "canary")) && ro_yint(c, v, 0, 1000, &p->canary))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "wave_size")) != NULL) {
		struct ro_countpct cp;
		if (v->kind == RO_YSCALAR && strcmp(v->str, "per-site") == 0) {
			p->wave_kind = RO_WAVE_PER_SITE;
			p->wave_value = 0;
		} else if (v->kind != RO_YSCALAR || !isdigit((unsigned char)v->str[0])) {
			ro_yerr(c, v, "write a count such as 20, a percentage such as 25%, or per-site (one wave per site)",
			    "expected a wave size, found %s",
			    v->kind == RO_YSCALAR ? v->str : ro_ykind_name(v->kind));
			rc = RO_EINVAL;
		} else if (ro_ycountpct(c, v, &cp)) {
			rc = RO_EINVAL;
		} else if (cp.value == 0) {
			ro_yerr(c, v, "a wave needs at least one host", "wave_size must be more than 0");
			rc = RO_EINVAL;
		} else {
			p->wave_kind = cp.pct ? RO_WAVE_PERCENT : RO_WAVE_COUNT;
			p->wave_value = cp.value;
		}
	}
	if ((v = ro_ymap_get(n, "concurrency")) && ro_yint(c, v, 1, 100000, &p->concurrency))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "max_unavailable_per_site")) != NULL) {
		if (ro_ycountpct(c, v, &p->max_unavailable))
			rc = RO_EINVAL;
		else if (p->max_unavailable.value == 0) {
			ro_yerr(c, v, "at least one host of a site must be allowed out of service",
			    "max_unavailable_per_site must be more than 0");
			rc = RO_EINVAL;
		}
	}
	if ((v = ro_ymap_get(n, "failure_budget")) && ro_ycountpct(c, v, &p->failure_budget))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "window")) != NULL) {
		if (ro_yenum(c, v, ro_window_names, "window", &e))
			rc = RO_EINVAL;
		else
			p->window = (enum ro_window_kind)e;
	}
	if ((v = ro_ymap_get(n, "skew")) != NULL) {
		if (ro_yenum(c, v, ro_skew_names, "skew policy", &e))
			rc = RO_EINVAL;
		else
			p->skew = (enum ro_skew)e;
	}
	if ((v = ro_ymap_get(n, "skew_within_days")) && ro_yint(c, v, 1, 365, &p->skew_within_days))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(n, "gates")) != NULL) {
		if (ro_ystrlist(c, v, &one, &items, &cnt))
			rc = RO_EINVAL;
		else {
			p->gates = 0;
			for (i = 0; i < cnt; i++) {
				if (strcmp(items[i]->str, "none") == 0 && cnt == 1)
					continue;
				if (ro_yenum(c, items[i], ro_gate_names, "gate", &e))
					rc = RO_EINVAL;
				else
					p->gates |= 1u << e;
			}
		}
	}
	if ((v = ro_ymap_get(n, "deadline_days")) && ro_yint(c, v, 1, 366, &p->deadline_days))
		rc = RO_EINVAL;
	/* May a site's work start before the day the plan gives it? */
	if ((v = ro_ymap_get(n, "early_start")) != NULL) {
		static const char *const early[] = { "no", "allowed", NULL };
		if (ro_yenum(c, v, early, "early_start (no | allowed)", &e))
			rc = RO_EINVAL;
		else
			p->early_start = e;
	}
	return rc;
}

static int
phase_index(const struct ro_playbook *pb, const char *name)
{
	size_t i;

	for (i = 0; i < pb->nphases; i++)
		if (strcmp(pb->phases[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Orders phases so that each follows those it names in 'after' (Kahn's
 * algorithm, ties broken by declaration order); reports a cycle. */
static int
sort_phases(struct loader *l)
{
	struct ro_playbook *pb = l->pb;
	size_t np = pb->nphases, i, j, k, done = 0;
	int *placed = ro_xcalloc(np, sizeof *placed);
	uint32_t *order = ro_xcalloc(np, sizeof *order);
	struct ro_phase *sorted;
	uint32_t *newidx;
	int rc = RO_OK;

	while (done < np) {
		for (i = 0; i < np; i++) {
			int ready = !placed[i];
			for (j = 0; ready && j < pb->phases[i].nafter; j++)
				ready = placed[pb->phases[i].after[j]];
			if (ready)
				break;
		}
		if (i == np) {
			/* Every unplaced phase waits for another: walk back to a cycle. */
			struct ro_buf b;
			size_t start = 0, cur;
			int *seen = ro_xcalloc(np, sizeof *seen);
			while (placed[start])
				start++;
			cur = start;
			while (!seen[cur]) {
				seen[cur] = 1;
				for (j = 0; j < pb->phases[cur].nafter; j++)
					if (!placed[pb->phases[cur].after[j]])
						break;
				cur = pb->phases[cur].after[j];
			}
			ro_buf_init(&b);
			ro_buf_printf(&b, "%s", pb->phases[cur].name);
			k = cur;
			do {
				for (j = 0; j < pb->phases[k].nafter; j++)
					if (!placed[pb->phases[k].after[j]])
						break;
				k = pb->phases[k].after[j];
				ro_buf_printf(&b, " -> %s", pb->phases[k].name);
			} while (k != cur);
			ro_diag_add(l->c.d, l->c.file, pb->phases[cur].line, pb->phases[cur].col,
			    "remove one of the 'after' links so that the phases can be ordered",
			    "the phases' 'after' links form a cycle: %s (each waits for the next)", b.p);
			ro_buf_free(&b);
			free(seen);
			rc = RO_EINVAL;
			goto out;
		}
		placed[i] = 1;
		order[done++] = (uint32_t)i;
	}
	sorted = ro_arena_alloc(&pb->arena, np * sizeof *sorted);
	newidx = ro_xcalloc(np, sizeof *newidx);
	for (i = 0; i < np; i++) {
		sorted[i] = pb->phases[order[i]];
		newidx[order[i]] = (uint32_t)i;
	}
	for (i = 0; i < np; i++)
		for (j = 0; j < sorted[i].nafter; j++)
			sorted[i].after[j] = newidx[sorted[i].after[j]];
	pb->phases = sorted;
	free(newidx);
out:
	free(placed);
	free(order);
	return rc;
}

/* follows is true when phase a (transitively) comes after phase b. */
static int
follows(const struct ro_playbook *pb, uint32_t a, uint32_t b, int depth)
{
	size_t j;

	if (depth > 64)
		return 0;
	for (j = 0; j < pb->phases[a].nafter; j++)
		if (pb->phases[a].after[j] == b || follows(pb, pb->phases[a].after[j], b, depth + 1))
			return 1;
	return 0;
}

static int
load_phases(struct loader *l, const struct ro_ynode *n, unsigned target_roles)
{
	struct ro_playbook *pb = l->pb;
	unsigned covered = 0;
	int role_phase[RO_ROLE_N] = { -1, -1, -1 };
	size_t i, j;
	int rc = RO_OK, r;

	if (n == NULL) {
		/* Default: standby CS, then active CS, then terminals. */
		static const char *const names[] = { "cs-standby", "cs-active", "terminals" };
		pb->phases = ro_arena_alloc(&pb->arena, RO_ROLE_N * sizeof *pb->phases);
		for (r = 0; r < RO_ROLE_N; r++) {
			struct ro_phase *p;
			if (!(target_roles & RO_ROLE_BIT(r)))
				continue;
			p = &pb->phases[pb->nphases];
			p->name = names[r];
			p->roles = RO_ROLE_BIT(r);
			if (pb->nphases) {
				p->after = ro_arena_alloc(&pb->arena, sizeof *p->after);
				p->after[0] = (uint32_t)(pb->nphases - 1);
				p->nafter = 1;
			}
			pb->nphases++;
		}
		return RO_OK;
	}
	if (ro_yexpect(&l->c, n, RO_YSEQ, "phases") != RO_OK)
		return RO_EINVAL;
	pb->phases = ro_arena_alloc(&pb->arena, n->n * sizeof *pb->phases);
	for (i = 0; i < n->n; i++) {
		const struct ro_ynode *m = n->items[i], *v;
		struct ro_phase *p = &pb->phases[pb->nphases];
		const char *name;

		if (ro_yexpect(&l->c, m, RO_YMAP, "a phase") || ro_ycheck_keys(&l->c, m, phase_keys, "a phase")) {
			rc = RO_EINVAL;
			continue;
		}
		if ((v = ro_yrequire(&l->c, m, "name", "a phase")) == NULL || ro_yident(&l->c, v, &name)) {
			rc = RO_EINVAL;
			continue;
		}
		if (phase_index(pb, name) >= 0) {
			ro_yerr(&l->c, v, "phase names must be unique", "duplicate phase '%s'", name);
			rc = RO_EINVAL;
			continue;
		}
		p->name = dup(l, name);
		p->line = m->line;
		p->col = m->col;
		if ((v = ro_yrequire(&l->c, m, "roles", "a phase")) == NULL || read_roles(l, v, &p->roles)) {
			rc = RO_EINVAL;
			continue;
		}
		for (r = 0; r < RO_ROLE_N; r++) {
			if (!(p->roles & RO_ROLE_BIT(r)))
				continue;
			if (covered & RO_ROLE_BIT(r)) {
				ro_yerr(&l->c, v, "each role belongs to exactly one phase",
				    "role '%s' is already in phase '%s'", ro_role_names[r],
				    pb->phases[role_phase[r]].name);
				rc = RO_EINVAL;
			}
			covered |= RO_ROLE_BIT(r);
			role_phase[r] = (int)pb->nphases;
		}
		pb->nphases++;
	}
	if (rc != RO_OK)
		return rc;
	/* Second pass: 'after' may name phases declared later. */
	for (i = 0; i < n->n; i++) {
		const struct ro_ynode *v = ro_ymap_get(n->items[i], "after"), *one;
		const struct ro_ynode *const *items;
		struct ro_phase *p = &pb->phases[i];
		size_t cnt;

		if (v == NULL)
			continue;
		if (ro_ystrlist(&l->c, v, &one, &items, &cnt)) {
			rc = RO_EINVAL;
			continue;
		}
		p->after = ro_arena_alloc(&pb->arena, cnt * sizeof *p->after);
		for (j = 0; j < cnt; j++) {
			int idx = phase_index(pb, items[j]->str);
			if (idx < 0) {
				const char **names = ro_xcalloc(pb->nphases + 1, sizeof *names);
				const char *sugg;
				char *hint;
				size_t k;
				for (k = 0; k < pb->nphases; k++)
					names[k] = pb->phases[k].name;
				sugg = ro_suggest(items[j]->str, names);
				hint = sugg ? ro_xasprintf("did you mean '%s'?", sugg) :
				    ro_xasprintf("name a phase of this playbook");
				ro_yerr(&l->c, items[j], hint, "unknown phase '%s'", items[j]->str);
				free(hint);
				free(names);
				rc = RO_EINVAL;
			} else
				p->after[p->nafter++] = (uint32_t)idx;
		}
	}
	if (rc != RO_OK)
		return rc;
	for (r = 0; r < RO_ROLE_N; r++)
		if ((target_roles & RO_ROLE_BIT(r)) && !(covered & RO_ROLE_BIT(r))) {
			ro_yerr(&l->c, n, "add the role to a phase, or narrow 'targets.roles'",
			    "the targets include role '%s' but no phase covers it", ro_role_names[r]);
			rc = RO_EINVAL;
		}
	if (rc == RO_OK && (rc = sort_phases(l)) == RO_OK &&
	    (covered & RO_ROLES_CS) == RO_ROLES_CS) {
		/* Re-find the roles' phases after sorting. */
		uint32_t sb = 0, ac = 0;
		for (i = 0; i < pb->nphases; i++) {
			if (pb->phases[i].roles & RO_ROLE_BIT(RO_ROLE_CS_STANDBY))
				sb = (uint32_t)i;
			if (pb->phases[i].roles & RO_ROLE_BIT(RO_ROLE_CS_ACTIVE))
				ac = (uint32_t)i;
		}
		if (sb != ac && !follows(pb, ac, sb, 0)) {
			ro_diag_add(l->c.d, l->c.file, pb->phases[ac].line, pb->phases[ac].col,
			    follows(pb, sb, ac, 0) ?
			    "the standby CS is worked on first; swap the phases' 'after' links" :
			    "add the standby phase to this phase's 'after' list",
			    "phase '%s' (cs-active) must come after phase '%s' (cs-standby)",
			    pb->phases[ac].name, pb->phases[sb].name);
			rc = RO_EINVAL;
		}
	}
	return rc;
}

static int
load(struct loader *l, const struct ro_ydoc *doc)
{
	struct ro_playbook *pb = l->pb;
	const struct ro_ynode *root, *v;
	const char *str = NULL;
	size_t i, j;
	int rc = RO_OK, e, bad = 0;
	unsigned roles;

	if ((root = ro_yroot(&l->c, doc, "playbook", top_keys, &str, &bad)) == NULL)
		return RO_EINVAL;
	if (bad)
		rc = RO_EINVAL;
	else
		pb->name = dup(l, str);
	if (read_str(l, root, "title", 1, "the playbook", &pb->title) ||
	    read_str(l, root, "title_ja", 0, "the playbook", &pb->title_ja) ||
	    read_str(l, root, "description", 0, "the playbook", &pb->description))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(root, "work")) != NULL) {
		if (ro_yenum(&l->c, v, ro_work_names, "kind of work", &e))
			rc = RO_EINVAL;
		else
			pb->work = ro_work_names[e];
	}
	if ((v = ro_ymap_get(root, "params")) != NULL && load_params(l, v))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(root, "rollback")) != NULL && load_rollback(l, v))
		rc = RO_EINVAL;
	if ((v = ro_yrequire(&l->c, root, "targets", "the playbook")) == NULL ||
	    ro_selector_parse(&l->c, &pb->arena, v, 1, &pb->targets))
		rc = RO_EINVAL;
	if ((v = ro_ymap_get(root, "max_hosts")) != NULL) {
		if (ro_yint(&l->c, v, 1, 1000000, &pb->max_hosts))
			rc = RO_EINVAL;
		pb->max_hosts_node = v;
	}
	ro_policy_default(&pb->policy);
	if ((v = ro_ymap_get(root, "policy")) != NULL && ro_policy_read(&l->c, v, &pb->policy))
		rc = RO_EINVAL;
	roles = pb->targets.roles ? pb->targets.roles : (1u << RO_ROLE_N) - 1;
	if (rc == RO_OK && load_phases(l, ro_ymap_get(root, "phases"), roles))
		rc = RO_EINVAL;
	if ((v = ro_yrequire(&l->c, root, "steps", "the playbook")) == NULL ||
	    ro_yexpect(&l->c, v, RO_YSEQ, "steps"))
		return RO_EINVAL;
	if (v->n == 0) {
		ro_yerr(&l->c, v, "add at least one step", "'steps' is empty");
		return RO_EINVAL;
	}
	pb->steps = ro_arena_alloc(&pb->arena, v->n * sizeof *pb->steps);
	for (i = 0; i < v->n; i++) {
		struct ro_step *s = &pb->steps[pb->nsteps];
		if (load_step(l, v->items[i], s) != RO_OK) {
			rc = RO_EINVAL;
			continue;
		}
		for (j = 0; j < pb->nsteps; j++)
			if (strcmp(pb->steps[j].name, s->name) == 0) {
				char *hint = ro_xasprintf("the first is at line %d; step names must be unique",
				    pb->steps[j].line);
				ro_yerr(&l->c, ro_ymap_get(v->items[i], "name"), hint,
				    "duplicate step name '%s'", s->name);
				free(hint);
				rc = RO_EINVAL;
			}
		if (s->roles && !(s->roles & roles)) {
			ro_yerr(&l->c, ro_ymap_get(v->items[i], "roles"),
			    "the playbook's targets never include these roles",
			    "step '%s' can never run", s->name);
			rc = RO_EINVAL;
		}
		pb->nsteps++;
	}
	return rc;
}

int
ro_playbook_load(const char *path, struct ro_playbook **out, struct ro_diags *d)
{
	struct ro_ydoc *doc = NULL;
	struct loader l;
	int rc;

	*out = NULL;
	rc = ro_ydoc_load(path, &doc, d);
	if (rc != RO_OK)
		return rc;
	memset(&l, 0, sizeof l);
	l.pb = ro_xcalloc(1, sizeof *l.pb);
	ro_arena_init(&l.pb->arena);
	l.pb->path = ro_arena_strdup(&l.pb->arena, path);
	l.pb->doc = doc;
	memcpy(l.pb->sha256, doc->sha256, sizeof l.pb->sha256);
	l.c.file = l.pb->path;
	l.c.d = d;
	rc = load(&l, doc);
	if (rc != RO_OK) {
		ro_playbook_free(l.pb);
		return rc;
	}
	*out = l.pb;
	return RO_OK;
}

void
ro_playbook_free(struct ro_playbook *pb)
{
	if (pb == NULL)
		return;
	ro_ydoc_free(pb->doc);
	ro_arena_free(&pb->arena);
	free(pb);
}
