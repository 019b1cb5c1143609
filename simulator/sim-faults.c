/*
 * sim-faults.c - parsing and matching injected faults (see sim-faults.h).
 */
#include "sim-faults.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "util.h"
#include "ydoc.h"
#include "yread.h"

const char *const sim_fault_names[] = { "down", "slow", "drop", "fail", "noboot", "diskfull",
	"authfail", "deviate", NULL };

/* The automated items of playbooks/annual-inspection.yml a host can deviate in. */
static const char *const deviate_items[] = { "t01", "t02", "t03", "t04", "t05", "t06", "t07",
	"t08", "t09", "t10", "t14", "t16", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08",
	"c09", "c10", "c13", NULL };

static int
deviate_arg(struct sim_fault *x, const char *arg, char **why)
{
	for (size_t i = 0; deviate_items[i]; i++)
		if (arg && strcmp(arg, deviate_items[i]) == 0) {
			x->program = ro_xstrdup(arg);
			return 0;
		}
	*why = ro_xasprintf("--fault deviate wants :ITEM after the hosts, an automated inspection item "
	    "(t01-t10, t14, t16, c01-c10, c13); found '%s'", arg ? arg : "");
	return RO_EINVAL;
}

void
sim_faults_init(struct sim_faults *f)
{
	memset(f, 0, sizeof(*f));
}

void
sim_faults_free(struct sim_faults *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		for (size_t k = 0; k < f->v[i].ntargets; k++)
			free(f->v[i].targets[k]);
		free(f->v[i].targets);
		free(f->v[i].program);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int
kind_of(const char *s, size_t len)
{
	for (int i = 0; sim_fault_names[i]; i++)
		if (strlen(sim_fault_names[i]) == len && strncmp(sim_fault_names[i], s, len) == 0)
			return i;
	return -1;
}

static struct sim_fault *
add(struct sim_faults *f, enum sim_fault_kind k)
{
	f->v = ro_xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	struct sim_fault *x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->kind = k;
	x->exit_code = 1;
	return x;
}

static void
add_target(struct sim_fault *x, const char *s, size_t len)
{
	x->targets = ro_xrealloc(x->targets, (x->ntargets + 1) * sizeof(*x->targets));
	char *t = ro_xmalloc(len + 1);
	memcpy(t, s, len);
	t[len] = '\0';
	x->targets[x->ntargets++] = t;
}

/* "prog=code" or "prog" into x. */
static int
program_arg(struct sim_fault *x, const char *arg, char **why)
{
	const char *eq = strchr(arg, '=');
	size_t l = eq ? (size_t)(eq - arg) : strlen(arg);
	if (l > 0) {
		x->program = ro_xmalloc(l + 1);
		memcpy(x->program, arg, l);
		x->program[l] = '\0';
	}
	if (eq) {
		char *end;
		long v = strtol(eq + 1, &end, 0);
		if (*end != '\0' || eq[1] == '\0') {
			*why = ro_xasprintf("'%s' is not an exit code", eq + 1);
			return RO_EINVAL;
		}
		x->exit_code = (int)v;
	}
	return 0;
}

static int
slow_arg(struct sim_fault *x, const char *arg, char **why)
{
	char *end;
	long ms = strtol(arg, &end, 10), kbit = 0;
	if (end == arg || ms < 0 || ms > 600000 || (*end != '\0' && *end != '/')) {
		*why = ro_xasprintf("slow wants LATENCY_MS[/KBIT], found '%s'", arg);
		return RO_EINVAL;
	}
	if (*end == '/') {
		const char *k = end + 1;
		kbit = strtol(k, &end, 10);
		if (end == k || *end != '\0' || kbit < 1) {
			*why = ro_xasprintf("bandwidth must be a positive number of kbit/s, found '%s'", k);
			return RO_EINVAL;
		}
	}
	x->latency_ms = (int)ms;
	x->kbit = (int)kbit;
	return 0;
}

int
sim_faults_flag(struct sim_faults *f, const char *spec, char **why)
{
	const char *c1 = strchr(spec, ':');
	int k = kind_of(spec, c1 ? (size_t)(c1 - spec) : strlen(spec));
	if (k < 0 || c1 == NULL || c1[1] == '\0' || c1[1] == ':') {
		*why = ro_xasprintf("--fault wants KIND:HOST[,HOST...][:ARG] with KIND one of down, slow, "
		    "drop, fail, noboot, diskfull, authfail, deviate; found '%s'", spec);
		return RO_EINVAL;
	}
	const char *hosts = c1 + 1, *c2 = strchr(hosts, ':');
	size_t hl = c2 ? (size_t)(c2 - hosts) : strlen(hosts);
	struct sim_fault *x = add(f, (enum sim_fault_kind)k);
	for (size_t i = 0; i < hl;) {
		size_t j = i;
		while (j < hl && hosts[j] != ',')
			j++;
		if (j > i)
			add_target(x, hosts + i, j - i);
		i = j + 1;
	}
	const char *arg = c2 ? c2 + 1 : NULL;
	if (k == SIM_FAULT_SLOW) {
		if (arg == NULL) {
			*why = ro_xasprintf("--fault slow wants :LATENCY_MS[/KBIT] after the hosts");
			return RO_EINVAL;
		}
		return slow_arg(x, arg, why);
	}
	if (k == SIM_FAULT_FAIL || k == SIM_FAULT_DROP) {
		if (arg != NULL)
			return program_arg(x, arg, why);
		return 0;
	}
	if (k == SIM_FAULT_DEVIATE)
		return deviate_arg(x, arg, why);
	if (arg != NULL) {
		*why = ro_xasprintf("--fault %s takes no argument after the hosts", sim_fault_names[k]);
		return RO_EINVAL;
	}
	return 0;
}

int
sim_faults_rate(struct sim_faults *f, const char *spec, char **why)
{
	const char *eq = strchr(spec, '=');
	int k = eq ? kind_of(spec, (size_t)(eq - spec)) : -1;
	char *end = NULL;
	double p = eq ? strtod(eq + 1, &end) : -1;
	if (k < 0 || k == SIM_FAULT_SLOW || k == SIM_FAULT_DISKFULL || end == eq + 1 || *end != '\0' ||
	    p < 0 || p > 1) {
		*why = ro_xasprintf("--fault-rate wants KIND=P with KIND one of down, drop, fail, noboot, "
		    "authfail and 0 <= P <= 1; found '%s'", spec);
		return RO_EINVAL;
	}
	f->rate[k] = p;
	return 0;
}

static const char *const file_keys[] = { "seed", "faults", "rates", NULL };
static const char *const fault_keys[] = { "kind", "hosts", "sites", "command", "exit",
	"latency_ms", "bandwidth_kbit", "item", NULL };

int
sim_faults_load(struct sim_faults *f, const char *path, struct ro_diags *d)
{
	struct ro_ydoc *doc = NULL;
	struct ro_yctx c = { .file = path, .d = d };
	int rc = ro_ydoc_load(path, &doc, d);
	if (rc != 0)
		return rc;
	const struct ro_ynode *root = doc->root;
	rc = RO_EINVAL;
	if (root == NULL || root->kind != RO_YMAP) {
		ro_diag_add(d, path, root ? root->line : 1, root ? root->col : 1,
		    "write a mapping with faults:, rates: and seed:", "expected a mapping");
		goto out;
	}
	if (ro_ycheck_keys(&c, root, file_keys, "faults file") != 0)
		goto out;
	const struct ro_ynode *n;
	if ((n = ro_ymap_get(root, "seed")) != NULL) {
		long s;
		if (ro_yint(&c, n, 0, 2147483647L, &s) != 0)
			goto out;
		f->seed = (uint64_t)s;
	}
	if ((n = ro_ymap_get(root, "rates")) != NULL) {
		if (ro_yexpect(&c, n, RO_YMAP, "rates") != 0)
			goto out;
		for (size_t i = 0; i < n->n; i++) {
			const struct ro_ynode *k = RO_YMAP_KEY(n, i), *v = RO_YMAP_VAL(n, i);
			char *spec = ro_xasprintf("%s=%s", k->str ? k->str : "", v->str ? v->str : "");
			char *why = NULL;
			if (k->kind != RO_YSCALAR || v->kind != RO_YSCALAR || sim_faults_rate(f, spec, &why) != 0) {
				ro_yerr(&c, k, "kinds with rates: down, drop, fail, noboot, authfail; P from 0 to 1",
				    "bad rate '%s'", spec);
				free(why);
				free(spec);
				goto out;
			}
			free(spec);
		}
	}
	if ((n = ro_ymap_get(root, "faults")) != NULL) {
		if (ro_yexpect(&c, n, RO_YSEQ, "faults") != 0)
			goto out;
		for (size_t i = 0; i < n->n; i++) {
			const struct ro_ynode *e = n->items[i], *v;
			if (ro_yexpect(&c, e, RO_YMAP, "fault") != 0 || ro_ycheck_keys(&c, e, fault_keys, "fault") != 0)
				goto out;
			int k;
			v = ro_yrequire(&c, e, "kind", "fault");
			if (v == NULL || ro_yenum(&c, v, sim_fault_names, "fault kind", &k) != 0)
				goto out;
			struct sim_fault *x = add(f, (enum sim_fault_kind)k);
			static const char *const tk[] = { "hosts", "sites" };
			for (int t = 0; t < 2; t++) {
				const struct ro_ynode *one, *const *items;
				size_t cnt;
				if ((v = ro_ymap_get(e, tk[t])) == NULL)
					continue;
				if (ro_ystrlist(&c, v, &one, &items, &cnt) != 0)
					goto out;
				for (size_t j = 0; j < cnt; j++)
					add_target(x, items[j]->str, strlen(items[j]->str));
			}
			if (x->ntargets == 0) {
				ro_yerr(&c, e, "add hosts: [NAME...] or sites: [ID...] (\"*\" for all)",
				    "fault without hosts or sites");
				goto out;
			}
			long num;
			if ((v = ro_ymap_get(e, "command")) != NULL)
				x->program = ro_xstrdup(v->str ? v->str : "");
			if ((v = ro_ymap_get(e, "exit")) != NULL) {
				if (ro_yint(&c, v, -2147483647L, 4294967295L, &num) != 0)
					goto out;
				x->exit_code = (int)num;
			}
			if (k == SIM_FAULT_DEVIATE) {
				char *why = NULL;
				v = ro_yrequire(&c, e, "item", "deviate fault");
				if (v == NULL)
					goto out;
				if (v->kind != RO_YSCALAR || deviate_arg(x, v->str, &why) != 0) {
					ro_yerr(&c, v, "an automated inspection item: t01-t10, t14, t16, c01-c10, c13",
					    "%s", why ? why : "bad item");
					free(why);
					goto out;
				}
			}
			if ((v = ro_ymap_get(e, "latency_ms")) != NULL) {
				if (ro_yint(&c, v, 0, 600000, &num) != 0)
					goto out;
				x->latency_ms = (int)num;
			}
			if ((v = ro_ymap_get(e, "bandwidth_kbit")) != NULL) {
				if (ro_yint(&c, v, 1, 10000000, &num) != 0)
					goto out;
				x->kbit = (int)num;
			}
		}
	}
	rc = d->n ? RO_EINVAL : 0;
out:
	ro_ydoc_free(doc);
	return rc;
}

/* Program names compare without case, directory and ".exe". */
static int
same_program(const char *a, const char *b)
{
	const char *x = strrchr(a, '\\');
	a = x ? x + 1 : a;
	size_t la = strlen(a), lb = strlen(b);
	if (la > 4 && strcasecmp(a + la - 4, ".exe") == 0)
		la -= 4;
	if (lb > 4 && strcasecmp(b + lb - 4, ".exe") == 0)
		lb -= 4;
	return la == lb && strncasecmp(a, b, la) == 0;
}

const struct sim_fault *
sim_faults_find(const struct sim_faults *f, enum sim_fault_kind kind, const char *host,
    const char *site, const char *program)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct sim_fault *x = &f->v[i];
		if (x->kind != kind)
			continue;
		int hit = 0;
		for (size_t k = 0; k < x->ntargets && !hit; k++)
			hit = strcmp(x->targets[k], "*") == 0 || strcmp(x->targets[k], host) == 0 ||
			    (site && strcmp(x->targets[k], site) == 0);
		if (!hit)
			continue;
		if ((kind == SIM_FAULT_FAIL || kind == SIM_FAULT_DROP || kind == SIM_FAULT_DEVIATE) && x->program) {
			if (program == NULL || !same_program(program, x->program))
				continue;
		}
		return x;
	}
	return NULL;
}

static uint64_t
mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
sim_faults_roll(const struct sim_faults *f, enum sim_fault_kind kind, const char *host,
    uint64_t *counter)
{
	if (f->rate[kind] <= 0)
		return 0;
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = host; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	uint64_t r = mix(f->seed ^ mix(h ^ ((uint64_t)kind << 56) ^ (*counter)++));
	return (double)(r >> 11) / 9007199254740992.0 < f->rate[kind];
}
