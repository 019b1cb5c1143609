/* approvers.c - reading the roster of approvers (see approvers.h). */
#include "approvers.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "playbook.h"

#define ROSTER_MAX_MEMBERS 256

static const char *const root_keys[] = { "approvers", "gates", "members", NULL };
static const char *const member_keys[] = { "name", "name_ja", "section", "role", "key", NULL };

/* Member names follow the vault's rules for a key file's member. */
static int
member_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static char *
opt_dup(const struct ro_yctx *c, const struct ro_ynode *map, const char *key, int *bad)
{
	const struct ro_ynode *v = ro_ymap_get(map, key);
	const char *s;

	if (v == NULL || (v->kind == RO_YSCALAR && v->plain && strcmp(v->str, "null") == 0))
		return NULL;
	if (ro_ystr(c, v, &s) != RO_OK) {
		*bad = 1;
		return NULL;
	}
	return ro_xstrdup(s);
}

static int
read_member(const struct ro_yctx *c, const struct ro_ynode *n, struct ro_approver *m)
{
	const struct ro_ynode *v;
	const char *s;
	int bad = 0;

	if (ro_yexpect(c, n, RO_YMAP, "an approver") != RO_OK)
		return RO_EINVAL;
	if (ro_ycheck_keys(c, n, member_keys, "an approver") != RO_OK)
		bad = 1;
	if ((v = ro_yrequire(c, n, "name", "an approver")) == NULL || ro_ystr(c, v, &s) != RO_OK)
		bad = 1;
	else if (!member_name_ok(s)) {
		ro_yerr(c, v, "use the member name of the approver's key file: letters, digits, "
		    "'.', '_' and '-', at most 63", "'%s' is not a key file member name", s);
		bad = 1;
	} else
		m->name = ro_xstrdup(s);
	m->name_ja = opt_dup(c, n, "name_ja", &bad);
	m->section = opt_dup(c, n, "section", &bad);
	if ((v = ro_yrequire(c, n, "role", "an approver")) == NULL || ro_yident(c, v, &s) != RO_OK)
		bad = 1;
	else
		m->role = ro_xstrdup(s);
	if ((v = ro_yrequire(c, n, "key", "an approver")) == NULL || ro_ystr(c, v, &s) != RO_OK)
		bad = 1;
	else if (!ro_unhex(s, m->key, sizeof m->key)) {
		ro_yerr(c, v, "paste the 64 hex digits `rollout approvals pubkey KEYFILE` prints",
		    "expected an Ed25519 public key of 64 hex digits");
		bad = 1;
	}
	return bad ? RO_EINVAL : RO_OK;
}

int
ro_roster_read(const struct ro_yctx *c, const struct ro_ynode *root, struct ro_roster **out)
{
	struct ro_roster *r;
	const struct ro_ynode *v;
	const char *s;
	size_t i, j;
	int rc = RO_OK;

	*out = NULL;
	if (ro_yexpect(c, root, RO_YMAP, "an approvers roster") != RO_OK)
		return RO_EINVAL;
	if (ro_ycheck_keys(c, root, root_keys, "an approvers roster") != RO_OK)
		rc = RO_EINVAL;
	r = ro_xcalloc(1, sizeof *r);
	if ((v = ro_yrequire(c, root, "approvers", "an approvers roster")) == NULL ||
	    ro_yident(c, v, &s) != RO_OK)
		rc = RO_EINVAL;
	else
		r->name = ro_xstrdup(s);
	for (i = 0; i < RO_GATE_KINDS; i++)
		r->gate_role[i] = ro_xstrdup("city-approver");
	if ((v = ro_ymap_get(root, "gates")) != NULL) {
		if (ro_yexpect(c, v, RO_YMAP, "gates (gate: role)") != RO_OK)
			rc = RO_EINVAL;
		else
			for (i = 0; i < v->n; i++) {
				const struct ro_ynode *k = RO_YMAP_KEY(v, i), *val = RO_YMAP_VAL(v, i);
				int e;
				if (ro_yenum(c, k, ro_gate_names, "gate", &e) != RO_OK ||
				    ro_yident(c, val, &s) != RO_OK) {
					rc = RO_EINVAL;
					continue;
				}
				free(r->gate_role[e]);
				r->gate_role[e] = ro_xstrdup(s);
			}
	}
	if ((v = ro_yrequire(c, root, "members", "an approvers roster")) == NULL ||
	    ro_yexpect(c, v, RO_YSEQ, "members (a list of approvers)") != RO_OK) {
		rc = RO_EINVAL;
	} else if (v->n == 0 || v->n > ROSTER_MAX_MEMBERS) {
		ro_yerr(c, v, "list the people who may approve", "a roster has 1 to %d members",
		    ROSTER_MAX_MEMBERS);
		rc = RO_EINVAL;
	} else {
		r->m = ro_xcalloc(v->n, sizeof *r->m);
		r->n = v->n;
		for (i = 0; i < v->n; i++) {
			if (read_member(c, v->items[i], &r->m[i]) != RO_OK) {
				rc = RO_EINVAL;
				continue;
			}
			for (j = 0; j < i; j++) {
				if (r->m[j].name == NULL)
					continue;
				if (strcmp(r->m[j].name, r->m[i].name) == 0 ||
				    memcmp(r->m[j].key, r->m[i].key, RO_APPROVER_KEYBYTES) == 0) {
					ro_yerr(c, v->items[i], "each person appears once, with their own key",
					    "approver '%s' repeats the name or key of approver '%s'",
					    r->m[i].name, r->m[j].name);
					rc = RO_EINVAL;
				}
			}
		}
	}
	if (rc != RO_OK) {
		ro_roster_free(r);
		return rc;
	}
	*out = r;
	return RO_OK;
}

int
ro_roster_load(const char *path, struct ro_roster **out, struct ro_diags *d)
{
	struct ro_ydoc *doc = NULL;
	struct ro_yctx c = { path, d };
	int rc;

	*out = NULL;
	if ((rc = ro_ydoc_load(path, &doc, d)) != RO_OK)
		return rc;
	if (doc->root == NULL) {
		ro_diag_add(d, path, 1, 1, "start it with 'approvers: NAME' (docs/APPROVALS.md)",
		    "the approvers roster is empty");
		rc = RO_EINVAL;
	} else
		rc = ro_roster_read(&c, doc->root, out);
	ro_ydoc_free(doc);
	return rc;
}

void
ro_roster_free(struct ro_roster *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->m[i].name);
		free(r->m[i].name_ja);
		free(r->m[i].section);
		free(r->m[i].role);
	}
	for (i = 0; i < RO_GATE_KINDS; i++)
		free(r->gate_role[i]);
	free(r->m);
	free(r->name);
	free(r);
}

void
ro_roster_json(const struct ro_roster *r, struct ro_buf *b)
{
	char hex[2 * RO_APPROVER_KEYBYTES + 1];
	size_t i;

	ro_buf_adds(b, "{\"approvers\":");
	ro_buf_json_str(b, r->name);
	ro_buf_adds(b, ",\"gates\":{");
	for (i = 0; i < RO_GATE_KINDS; i++) {
		ro_buf_printf(b, "%s\"%s\":", i ? "," : "", ro_gate_names[i]);
		ro_buf_json_str(b, r->gate_role[i]);
	}
	ro_buf_adds(b, "},\"members\":[");
	for (i = 0; i < r->n; i++) {
		ro_hex(r->m[i].key, RO_APPROVER_KEYBYTES, hex);
		ro_buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		ro_buf_json_str(b, r->m[i].name);
		ro_buf_adds(b, ",\"name_ja\":");
		ro_buf_json_str(b, r->m[i].name_ja);
		ro_buf_adds(b, ",\"section\":");
		ro_buf_json_str(b, r->m[i].section);
		ro_buf_adds(b, ",\"role\":");
		ro_buf_json_str(b, r->m[i].role);
		ro_buf_printf(b, ",\"key\":\"%s\"}", hex);
	}
	ro_buf_adds(b, "]}");
}

const struct ro_approver *
ro_roster_find_key(const struct ro_roster *r, const unsigned char key[RO_APPROVER_KEYBYTES])
{
	size_t i;

	for (i = 0; r != NULL && i < r->n; i++)
		if (memcmp(r->m[i].key, key, RO_APPROVER_KEYBYTES) == 0)
			return &r->m[i];
	return NULL;
}

const char *
ro_roster_gate_role(const struct ro_roster *r, const char *gate)
{
	size_t i;

	for (i = 0; r != NULL && gate != NULL && i < RO_GATE_KINDS; i++)
		if (strcmp(ro_gate_names[i], gate) == 0)
			return r->gate_role[i];
	return NULL;
}

const char *
ro_gate_name(unsigned bit)
{
	unsigned i;

	for (i = 0; i < RO_GATE_KINDS; i++)
		if (bit == 1u << i)
			return ro_gate_names[i];
	return "";
}
