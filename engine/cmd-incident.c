/*
 * cmd-incident.c - `rollout incident open|arrive|recover|close|list|show`:
 * incidents (CS, terminal and touch-panel faults) on the service-level
 * clock of the specification. The rules are in incident.c; this file reads
 * the command line, computes the deadline on the office calendar, and shows
 * the clocks. docs/INCIDENTS.md is the guide.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "incident.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_incident;

#define PFX "rollout incident: "

/* parse_time reads a JST "YYYY-MM-DD HH:MM" into Unix seconds. */
static int
parse_time(const char *what, const char *s, int64_t *out)
{
	int64_t m;

	if (ro_jst_parse(s, &m) != 0) {
		fprintf(stderr, PFX "%s \"%s\" is not a time: give \"YYYY-MM-DD HH:MM\" in "
		    "Japan time (e.g. \"2026-11-04 19:30\")\n", what, s);
		return RO_EINVAL;
	}
	*out = m * 60;
	return 0;
}

static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, PFX "\"%s\" is not an incident number (as `rollout incident "
		    "list` shows them)\n", s);
		return RO_EINVAL;
	}
	*id = v;
	return 0;
}

/* host_ok accepts a host name as inventories spell them. */
static int
host_ok(const char *h)
{
	const char *p;

	if (*h == '\0' || strlen(h) > 253)
		return 0;
	for (p = h; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
			return 0;
	return 1;
}

static char *
fmt_time(int64_t s, char buf[RO_JST_FMT_MAX])
{
	if (s == RO_STORE_NO_TIME) {
		snprintf(buf, RO_JST_FMT_MAX, "-");
		return buf;
	}
	return ro_jst_format(s / 60, buf);
}

/* clock_text describes an incident's clock at now (incident.c). */
static void
clock_text(const struct ro_incident_info *inc, int64_t now, char *out, size_t cap,
    int *breached)
{
	*breached = ro_incident_clock(inc->deadline, inc->arrived_at, now, out, cap);
}

static void
json_time(struct ro_buf *b, const char *key, int64_t s)
{
	char t[RO_JST_FMT_MAX];

	ro_buf_printf(b, ",\"%s\":", key);
	if (s == RO_STORE_NO_TIME)
		ro_buf_adds(b, "null");
	else
		ro_buf_printf(b, "\"%s\"", ro_jst_format(s / 60, t));
}

static void
incident_json(struct ro_buf *b, const struct ro_incident_info *inc, int64_t now)
{
	char clk[96];
	int breached;

	clock_text(inc, now, clk, sizeof clk, &breached);
	ro_buf_printf(b, "{\"id\":%" PRId64 ",\"host\":", inc->id);
	ro_buf_json_str(b, inc->host);
	ro_buf_adds(b, ",\"kind\":");
	ro_buf_json_str(b, inc->kind);
	ro_buf_adds(b, ",\"state\":");
	ro_buf_json_str(b, inc->state);
	json_time(b, "instructed_at", inc->instructed_at);
	json_time(b, "deadline", inc->deadline);
	json_time(b, "arrived_at", inc->arrived_at);
	json_time(b, "recovered_at", inc->recovered_at);
	json_time(b, "closed_at", inc->closed_at);
	ro_buf_adds(b, ",\"rule\":");
	ro_buf_json_str(b, inc->rule);
	ro_buf_printf(b, ",\"met\":%s,\"breached\":%s,\"clock\":",
	    inc->met < 0 ? "null" : inc->met ? "true" : "false", breached ? "true" : "false");
	ro_buf_json_str(b, clk);
	if (inc->arrived_at == RO_STORE_NO_TIME)
		ro_buf_printf(b, ",\"seconds_left\":%" PRId64, inc->deadline - now);
	ro_buf_adds(b, ",\"explanation\":");
	ro_buf_json_str(b, inc->explanation);
	ro_buf_adds(b, ",\"note\":");
	ro_buf_json_str(b, inc->note);
	ro_buf_adds(b, ",\"campaigns\":");
	ro_buf_json_str(b, inc->campaigns);
	ro_buf_adds(b, ",\"opened_by\":");
	ro_buf_json_str(b, inc->opened_by);
	ro_buf_addc(b, '}');
}

struct opts {
	const char *state_dir;
	const char *host, *kind, *instructed, *at, *note, *explanation, *month, *now;
	int json, open_only;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "kind", required_argument, NULL, 'k' },
		{ "instructed-at", required_argument, NULL, 'i' },
		{ "at", required_argument, NULL, 'a' },
		{ "note", required_argument, NULL, 'n' },
		{ "explanation", required_argument, NULL, 'e' },
		{ "month", required_argument, NULL, 'm' },
		{ "now", required_argument, NULL, 'N' },
		{ "open", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof *o);
	o->state_dir = ro_cmd_state_dir();
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'k': o->kind = optarg; break;
		case 'i': o->instructed = optarg; break;
		case 'a': o->at = optarg; break;
		case 'n': o->note = optarg; break;
		case 'e': o->explanation = optarg; break;
		case 'm': o->month = optarg; break;
		case 'N': o->now = optarg; break;
		case 'o': o->open_only = 1; break;
		case 'j': o->json = 1; break;
		case 'S': o->state_dir = optarg; break;
		default: return RO_EINVAL;
		}
	}
	return 0;
}

/* only says which options a subcommand takes; the others are refused. */
static int
only(const struct opts *o, const char *sub, const char *allowed)
{
	struct { const char *name; int set; } f[] = {
		{ "host", o->host != NULL }, { "kind", o->kind != NULL },
		{ "instructed-at", o->instructed != NULL }, { "at", o->at != NULL },
		{ "note", o->note != NULL }, { "explanation", o->explanation != NULL },
		{ "month", o->month != NULL }, { "now", o->now != NULL },
		{ "open", o->open_only }, { "json", o->json },
	};
	size_t i;

	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		char key[40];
		snprintf(key, sizeof key, " %s ", f[i].name);
		if (f[i].set && strstr(allowed, key) == NULL) {
			ro_cmd_usage(&ro_cmd_incident, "`incident %s` does not take --%s", sub,
			    f[i].name);
			return RO_EINVAL;
		}
	}
	return 0;
}

static int
exit_for(int rc)
{
	switch (rc) {
	case RO_EINVAL:
	case RO_ENOENT:
	case RO_ESTATE:
	case RO_EEXIST:
		return RO_EXIT_USAGE;
	default:
		return RO_EXIT_FAIL;
	}
}

static int
open_store(const struct opts *o, struct ro_store **st)
{
	char *cause = NULL;
	int rc = ro_store_open_dir(o->state_dir, st, &cause);

	if (rc != 0) {
		fprintf(stderr, PFX "%s\n", cause ? cause : ro_strerror(rc));
		free(cause);
		return ro_cmd_store_exit(rc);
	}
	return RO_EXIT_OK;
}

static int
do_open(const struct opts *o)
{
	struct ro_incident_new in;
	enum ro_incident_kind kind;
	struct ro_calendar *cal = NULL;
	struct ro_store *st = NULL;
	struct ro_sla sla;
	char *cause = NULL, a[RO_JST_FMT_MAX], b[RO_JST_FMT_MAX];
	int64_t instructed, id = 0;
	int rc, ex;

	if (only(o, "open", " host kind instructed-at note ") != 0)
		return RO_EXIT_USAGE;
	if (o->host == NULL || o->kind == NULL || o->instructed == NULL)
		return ro_cmd_usage(&ro_cmd_incident, "`incident open` needs --host, --kind "
		    "and --instructed-at");
	if (!host_ok(o->host)) {
		fprintf(stderr, PFX "--host \"%s\" is not a host name (letters, digits, '-', "
		    "'_' and '.', as the inventory names hosts)\n", o->host);
		return RO_EXIT_USAGE;
	}
	if (ro_incident_kind_parse(o->kind, &kind) != 0) {
		fprintf(stderr, PFX "--kind \"%s\" is not one of cs, terminal, touch-panel\n",
		    o->kind);
		return RO_EXIT_USAGE;
	}
	if (parse_time("--instructed-at", o->instructed, &instructed) != 0)
		return RO_EXIT_USAGE;
	if (instructed > (int64_t)time(NULL) + 60) {
		fprintf(stderr, PFX "--instructed-at %s is in the future; give the time the "
		    "city's instruction came\n", o->instructed);
		return RO_EXIT_USAGE;
	}
	if ((cal = ro_cal_new()) == NULL)
		return RO_EXIT_FAIL;
	rc = ro_incident_deadline(cal, kind, instructed / 60, &sla);
	ro_cal_free(cal);
	if (rc != 0) {
		fprintf(stderr, PFX "--instructed-at %s is outside the office calendar's range "
		    "(%d..%d)\n", o->instructed, RO_CAL_MIN_YEAR, RO_CAL_MAX_YEAR);
		return RO_EXIT_USAGE;
	}
	if ((ex = open_store(o, &st)) != RO_EXIT_OK)
		return ex;
	in = (struct ro_incident_new){ o->host, ro_incident_kind_name(kind), instructed,
		sla.deadline * 60, sla.rule, o->note };
	if ((rc = ro_store_incident_open(st, &in, &id, &cause)) != 0) {
		fprintf(stderr, PFX "%s\n", cause ? cause : ro_strerror(rc));
		ex = exit_for(rc);
		goto out;
	}
	printf("incident %" PRId64 ": %s (%s) on %s, instructed %s (%s working time)\n", id,
	    in.kind, ro_incident_kind_ja(kind), o->host, fmt_time(instructed, a),
	    sla.in_hours ? "in" : "outside");
	printf("  on site by %s: %s\n", fmt_time(in.deadline, b), sla.rule);
	printf("  next: rollout incident arrive %" PRId64 " --at \"YYYY-MM-DD HH:MM\"\n", id);
	ex = RO_EXIT_OK;
out:
	free(cause);
	ro_store_close(st);
	return ex;
}

static int
do_event(const struct opts *o, const char *event, const char *ids)
{
	struct ro_incident_info inc;
	struct ro_store *st = NULL;
	char *cause = NULL, a[RO_JST_FMT_MAX], clk[96];
	int64_t id, at = RO_STORE_NO_TIME;
	int rc, ex, breached;

	memset(&inc, 0, sizeof inc);
	if (only(o, event, strcmp(event, "close") == 0 ? " at note explanation " :
	    " at note ") != 0)
		return RO_EXIT_USAGE;
	if (parse_id(ids, &id) != 0)
		return RO_EXIT_USAGE;
	if (o->at != NULL && parse_time("--at", o->at, &at) != 0)
		return RO_EXIT_USAGE;
	if ((ex = open_store(o, &st)) != RO_EXIT_OK)
		return ex;
	if ((rc = ro_store_incident_event(st, id, event, at, o->note, o->explanation,
	    &cause)) != 0) {
		fprintf(stderr, PFX "%s\n", cause ? cause : ro_strerror(rc));
		ex = exit_for(rc);
		goto out;
	}
	if ((rc = ro_store_incident_get(st, id, &inc, &cause)) != 0) {
		fprintf(stderr, PFX "%s\n", cause ? cause : ro_strerror(rc));
		ex = RO_EXIT_FAIL;
		goto out;
	}
	clock_text(&inc, (int64_t)time(NULL), clk, sizeof clk, &breached);
	printf("incident %" PRId64 " (%s on %s) %s at %s; target %s\n", id, inc.kind, inc.host,
	    inc.state, fmt_time(strcmp(event, "arrive") == 0 ? inc.arrived_at :
	    strcmp(event, "recover") == 0 ? inc.recovered_at : inc.closed_at, a), clk);
	if (strcmp(event, "arrive") == 0 && breached)
		printf("  the target was missed: `rollout incident close %" PRId64 "` will need "
		    "--explanation TEXT (the reason the response report gives)\n", id);
	ex = RO_EXIT_OK;
out:
	ro_incident_info_clear(&inc);
	free(cause);
	ro_store_close(st);
	return ex;
}

static int
now_of(const struct opts *o, int64_t *now)
{
	*now = (int64_t)time(NULL);
	if (o->now != NULL)
		return parse_time("--now", o->now, now);
	return 0;
}

static int
do_list(const struct opts *o)
{
	struct ro_incident_info *v = NULL;
	struct ro_store *st = NULL;
	struct ro_buf b;
	char *cause = NULL, a[RO_JST_FMT_MAX], d[RO_JST_FMT_MAX], clk[96];
	size_t n = 0, i;
	int64_t now;
	int rc, ex, breached;

	if (only(o, "list", " open month json now ") != 0)
		return RO_EXIT_USAGE;
	if (now_of(o, &now) != 0)
		return RO_EXIT_USAGE;
	if ((ex = open_store(o, &st)) != RO_EXIT_OK)
		return ex;
	if ((rc = ro_store_incident_list(st, o->open_only, o->month, &v, &n, &cause)) != 0) {
		fprintf(stderr, PFX "%s\n", cause ? cause : ro_strerror(rc));
		ex = exit_for(rc);
		goto out;
	}
	ro_buf_init(&b);
	if (o->json) {
		ro_buf_adds(&b, "{\"incidents\":[");
		for (i = 0; i < n; i++) {
			if (i)
				ro_buf_addc(&b, ',');
			incident_json(&b, &v[i], now);
		}
		ro_buf_adds(&b, "]}\n");
	} else if (n == 0) {
		ro_buf_printf(&b, "no %sincidents%s%s\n", o->open_only ? "open " : "",
		    o->month ? " instructed in " : "", o->month ? o->month : "");
	} else {
		ro_buf_printf(&b, "%-4s %-11s %-16s %-9s %-16s %-16s %s\n", "ID", "KIND", "HOST",
		    "STATE", "INSTRUCTED", "ON SITE BY", "CLOCK");
		for (i = 0; i < n; i++) {
			clock_text(&v[i], now, clk, sizeof clk, &breached);
			ro_buf_printf(&b, "%-4" PRId64 " %-11s %-16s %-9s %-16s %-16s %s\n", v[i].id,
			    v[i].kind, v[i].host, v[i].state, fmt_time(v[i].instructed_at, a),
			    fmt_time(v[i].deadline, d), clk);
		}
	}
	fputs(b.p, stdout);
	ro_buf_free(&b);
	ex = RO_EXIT_OK;
out:
	ro_incident_list_free(v, n);
	free(cause);
	ro_store_close(st);
	return ex;
}

static int
print_file(void *arg, const struct ro_incident_file *f, int64_t fetched_at)
{
	char a[RO_JST_FMT_MAX];

	(void)arg;
	printf("  file:         %s (%" PRId64 " bytes) from %s:%s, fetched %s\n"
	    "                sha256 %s\n", f->local_path, f->size, f->host, f->remote_path,
	    fmt_time(fetched_at, a), f->sha256);
	return 0;
}

static int
do_show(const struct opts *o, const char *ids)
{
	struct ro_incident_info inc;
	struct ro_store *st = NULL;
	struct ro_buf b;
	char *cause = NULL, a[RO_JST_FMT_MAX], clk[96];
	int64_t id, now;
	int rc, ex, breached;

	memset(&inc, 0, sizeof inc);
	if (only(o, "show", " json now ") != 0)
		return RO_EXIT_USAGE;
	if (parse_id(ids, &id) != 0 || now_of(o, &now) != 0)
		return RO_EXIT_USAGE;
	if ((ex = open_store(o, &st)) != RO_EXIT_OK)
		return ex;
	if ((rc = ro_store_incident_get(st, id, &inc, &cause)) != 0) {
		fprintf(stderr, PFX "%s\n", cause ? cause : ro_strerror(rc));
		ex = exit_for(rc);
		goto out;
	}
	if (o->json) {
		ro_buf_init(&b);
		incident_json(&b, &inc, now);
		printf("%s\n", b.p);
		ro_buf_free(&b);
		ex = RO_EXIT_OK;
		goto out;
	}
	clock_text(&inc, now, clk, sizeof clk, &breached);
	printf("incident %" PRId64 ": %s on %s, %s\n", inc.id, inc.kind, inc.host, inc.state);
	printf("  instructed:   %s\n", fmt_time(inc.instructed_at, a));
	printf("  on site by:   %s (%s)\n", fmt_time(inc.deadline, a), inc.rule);
	printf("  arrived:      %s\n", fmt_time(inc.arrived_at, a));
	printf("  recovered:    %s\n", fmt_time(inc.recovered_at, a));
	printf("  closed:       %s\n", fmt_time(inc.closed_at, a));
	printf("  clock:        %s\n", clk);
	/* Free text is shown escaped: it came from a command line and must not
	 * drive the terminal. */
	ro_safe_replace(&inc.explanation);
	ro_safe_replace(&inc.note);
	if (inc.explanation)
		printf("  explanation:  %s\n", inc.explanation);
	if (inc.note)
		printf("  note:         %s\n", inc.note);
	if (inc.campaigns)
		printf("  campaigns:    %s\n", inc.campaigns);
	printf("  opened by:    %s\n", inc.opened_by);
	if ((rc = ro_store_incident_files(st, id, print_file, NULL)) != 0) {
		fprintf(stderr, PFX "%s\n", ro_store_errmsg(st));
		ex = RO_EXIT_FAIL;
		goto out;
	}
	ex = RO_EXIT_OK;
out:
	ro_incident_info_clear(&inc);
	free(cause);
	ro_store_close(st);
	return ex;
}

static int
incident_exec(int argc, char **argv)
{
	struct opts o;
	const char *sub;

	if (argc < 2)
		return ro_cmd_usage(&ro_cmd_incident, "name a subcommand: open, arrive, recover, "
		    "close, list or show");
	sub = argv[1];
	if (parse_opts(argc - 1, argv + 1, &o) != 0)
		return ro_cmd_usage(&ro_cmd_incident, NULL);
	argc -= 1 + optind;
	argv += 1 + optind;
	if (strcmp(sub, "open") == 0 || strcmp(sub, "list") == 0) {
		if (argc != 0)
			return ro_cmd_usage(&ro_cmd_incident, "`incident %s` takes no operand "
			    "(\"%s\")", sub, argv[0]);
		return sub[0] == 'o' ? do_open(&o) : do_list(&o);
	}
	if (strcmp(sub, "arrive") == 0 || strcmp(sub, "recover") == 0 ||
	    strcmp(sub, "close") == 0 || strcmp(sub, "show") == 0) {
		if (argc != 1)
			return ro_cmd_usage(&ro_cmd_incident, "`incident %s` takes one incident "
			    "number", sub);
		return sub[0] == 's' ? do_show(&o, argv[0]) : do_event(&o, sub, argv[0]);
	}
	return ro_cmd_usage(&ro_cmd_incident, "unknown subcommand \"%s\": open, arrive, "
	    "recover, close, list or show", sub);
}

const struct ro_cmd ro_cmd_incident = {
	"incident",
	"open --host H --kind cs|terminal|touch-panel --instructed-at TIME [--note T]\n"
	"       rollout incident arrive|recover|close ID [--at TIME] [--note T] [--explanation T]\n"
	"       rollout incident list [--open] [--month YYYY-MM] [--json] [--now TIME]\n"
	"       rollout incident show ID [--json] [--now TIME]",
	"Incidents on the service-level clock: open, record arrival, recovery, close",
	"An incident is a fault the city instructs us to attend: a CS failure, a\n"
	"terminal failure or a touch-panel failure. `open` records the city's\n"
	"instruction and computes the on-site deadline on the office calendar\n"
	"(working time 08:45-17:15 on working days; holidays and the year-end\n"
	"closure 12-29..01-03 are closed):\n"
	"  cs           90 minutes from an instruction in working time, 180 outside it\n"
	"  terminal     by 12:00 of the next working day after the day of the instruction\n"
	"  touch-panel  by 17:15 the same day while that day's working time is ahead,\n"
	"               else before the next working day opens (08:45)\n"
	"TIME is Japan time, \"YYYY-MM-DD HH:MM\". `arrive` records the start of work\n"
	"on site (it stops the clock), `recover` the recovery, `close` the end. An\n"
	"incident that missed its target is closed only with --explanation TEXT, the\n"
	"reason the response report gives. `list` and `show` show each clock: the\n"
	"time left, or how long it is breached by (--now TIME shows the clocks as at\n"
	"TIME). Every change is journaled. See docs/INCIDENTS.md.\n"
	"\n"
	"Options:\n"
	"  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR or .rollout)\n",
	incident_exec,
};
