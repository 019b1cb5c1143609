/*
 * cmd-report.c - `rollout report work CAMPAIGN` (作業報告書) and `rollout
 * report monthly YYYY-MM` (月次報告書): the city's reports, as .xlsx, CSV
 * or JSON, read from the store in one snapshot whose journal verifies, and
 * written atomically (docs/REPORTS.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calendar.h"
#include "campaign.h"
#include "cmd.h"
#include "diag.h"
#include "planner.h"
#include "error.h"
#include "report.h"
#include "store.h"
#include "util.h"

extern const struct ro_cmd ro_cmd_report;

/* parse_month reads "YYYY-MM" into the month's first day. */
static int
parse_month(const char *s, struct ro_date *first)
{
	char buf[16];

	if (strlen(s) != 7 || s[4] != '-')
		return RO_EINVAL;
	snprintf(buf, sizeof buf, "%s-01", s);
	return ro_date_parse_iso(buf, first);
}

/* A default file name that is one plain name in the current directory. */
static char *
default_name(const char *kind, const char *subject, enum ro_report_format fmt)
{
	const char *p;

	for (p = subject; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20)
			return NULL;
	if (subject[0] == '.' || subject[0] == '\0')
		return NULL;
	return ro_xasprintf("report-%s-%s.%s", kind, subject, ro_report_format_ext(fmt));
}

/*
 * procedure_report writes 作業手順書 from a campaign file: loaded, planned
 * and rendered like `rollout plan`, with no store (the document is what
 * the city approves before anything runs).
 */
static int
procedure_report(const char *file, enum ro_report_format fmt, const char *output, int force)
{
	struct ro_campaign *c = NULL;
	struct ro_plan *plan = NULL;
	struct ro_report *r = NULL;
	struct ro_diags d;
	struct stat sb;
	char *cause = NULL, *path = NULL;
	int rc, exit_code = RO_EXIT_OK;

	ro_diags_init(&d);
	if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		exit_code = ro_cmd_usage(&ro_cmd_report, "report procedure takes the campaign file "
		    "(e.g. playbooks/campaigns/2026-10-os-update.yml); \"%s\" is not a file", file);
		goto out;
	}
	if ((rc = ro_campaign_load(file, NULL, 0, &c, &d)) != RO_OK) {
		ro_diags_print(stderr, &d);
		exit_code = RO_EXIT_USAGE;
		goto out;
	}
	if ((rc = ro_plan_build(c, &plan, &d)) != RO_OK) {
		ro_diags_print(stderr, &d);
		exit_code = rc == RO_EINFEASIBLE ? RO_EXIT_FAIL : RO_EXIT_USAGE;
		goto out;
	}
	if (output == NULL && (path = default_name("procedure", c->id, fmt)) == NULL) {
		exit_code = ro_cmd_usage(&ro_cmd_report, "give the file to write with -o FILE");
		goto out;
	}
	if (output)
		path = ro_xstrdup(output);
	if ((rc = ro_report_procedure(plan, (int64_t)time(NULL), &r, &cause)) != RO_OK) {
		fprintf(stderr, "rollout report: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	if ((rc = ro_report_save(r, fmt, path, force, &cause)) != RO_OK) {
		ro_safe_replace(&cause);
		fprintf(stderr, "rollout report: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_EEXIST || rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (strcmp(path, "-") != 0)
		fprintf(stderr, "rollout report: wrote %s (plan %s)\n", path, plan->hash);
out:
	ro_report_free(r);
	ro_plan_free(plan);
	ro_campaign_free(c);
	ro_diags_free(&d);
	free(cause);
	free(path);
	return exit_code;
}

static int
report_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ "site", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = ro_cmd_state_dir(), *output = NULL, *kind, *subject, *site = NULL;
	enum ro_report_format fmt = RO_REPORT_XLSX;
	struct ro_store *st = NULL;
	struct ro_journal_check jc;
	struct ro_report *r = NULL;
	struct ro_date month = { 0, 0, 0 };
	char *cause = NULL, *path = NULL, *store_path = NULL;
	struct stat sb;
	int force = 0, ch, rc, exit_code = RO_EXIT_OK;

	while ((ch = getopt_long(argc, argv, "f:o:FS:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (ro_report_format_parse(optarg, &fmt) != RO_OK)
				return ro_cmd_usage(&ro_cmd_report,
				    "--format takes xlsx, csv or json, not \"%s\"", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'F':
			force = 1;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 's':
			site = optarg;
			break;
		default:
			return ro_cmd_usage(&ro_cmd_report, NULL);
		}
	}
	if (optind + 2 != argc)
		return ro_cmd_usage(&ro_cmd_report, "give a report kind and what it is about");
	kind = argv[optind];
	subject = argv[optind + 1];
	if (site != NULL && strcmp(kind, "checklist") != 0)
		return ro_cmd_usage(&ro_cmd_report, "--site is for report checklist only");
	if (strcmp(kind, "procedure") == 0)
		return procedure_report(subject, fmt, output, force);
	if (strcmp(kind, "work") != 0 && strcmp(kind, "monthly") != 0 &&
	    strcmp(kind, "inspection") != 0 && strcmp(kind, "checklist") != 0)
		return ro_cmd_usage(&ro_cmd_report, "unknown report \"%s\": the reports are work,"
		    " monthly, inspection, procedure and checklist", kind);
	if (strcmp(kind, "monthly") == 0 && parse_month(subject, &month) != RO_OK)
		return ro_cmd_usage(&ro_cmd_report, "report monthly takes a month as YYYY-MM "
		    "(e.g. 2026-10), not \"%s\"", subject);
	if (output == NULL && (path = default_name(kind, subject, fmt)) == NULL)
		return ro_cmd_usage(&ro_cmd_report, "give the file to write with -o FILE");
	if (output)
		path = ro_xstrdup(output);

	/* A report reads records: a state directory without a store is a wrong
	 * --state-dir, not an empty month, and is not created. */
	store_path = ro_xasprintf("%s/%s", state_dir, RO_STORE_FILE);
	if (stat(store_path, &sb) != 0) {
		ro_cmd_usage(&ro_cmd_report, "no state store at %s (%s); give the state directory "
		    "with --state-dir", store_path, strerror(errno));
		exit_code = RO_EXIT_USAGE;
		goto out;
	}
	if ((rc = ro_store_open_dir(state_dir, &st, &cause)) != RO_OK) {
		fprintf(stderr, "rollout report: %s\n", cause);
		exit_code = ro_cmd_store_exit(rc);
		goto out;
	}
	/* The journal is verified inside the snapshot the report is read
	 * from: the head it names is the head of the records it shows. */
	if ((rc = ro_store_begin_read(st)) != RO_OK) {
		fprintf(stderr, "rollout report: %s\n", ro_store_errmsg(st));
		exit_code = RO_EXIT_FAIL;
		goto out;
	}
	if ((exit_code = ro_cmd_journal_gate(&ro_cmd_report, st, state_dir, &jc)) != RO_EXIT_OK) {
		ro_store_rollback(st);
		goto out;
	}
	if (strcmp(kind, "work") == 0)
		rc = ro_report_work(st, subject, &jc, (int64_t)time(NULL), &r, &cause);
	else if (strcmp(kind, "inspection") == 0)
		rc = ro_report_inspection(st, subject, &jc, (int64_t)time(NULL), &r, &cause);
	else if (strcmp(kind, "checklist") == 0)
		rc = ro_report_checklist(st, subject, site, &jc, (int64_t)time(NULL), &r, &cause);
	else
		rc = ro_report_monthly(st, month, &jc, (int64_t)time(NULL), &r, &cause);
	ro_store_rollback(st);
	if (rc != RO_OK) {
		ro_safe_replace(&cause); /* it may quote the campaign named on the command line */
		fprintf(stderr, "rollout report: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_ENOENT ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	free(cause);
	cause = NULL;
	if ((rc = ro_report_save(r, fmt, path, force, &cause)) != RO_OK) {
		ro_safe_replace(&cause);
		fprintf(stderr, "rollout report: %s\n", cause ? cause : ro_strerror(rc));
		exit_code = rc == RO_EEXIST || rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
		goto out;
	}
	if (strcmp(path, "-") != 0)
		fprintf(stderr, "rollout report: wrote %s\n", path);
out:
	ro_report_free(r);
	ro_store_close(st);
	free(cause);
	free(path);
	free(store_path);
	return exit_code;
}

const struct ro_cmd ro_cmd_report = {
	.name = "report",
	.usage = "work CAMPAIGN | monthly YYYY-MM | inspection CAMPAIGN | procedure CAMPAIGN-FILE | checklist CAMPAIGN [--site S] [--format xlsx|csv|json] [-o FILE] [--force] "
	    "[--state-dir DIR]",
	.summary = "Write the city's reports: 作業報告書 (work) and 月次報告書 (monthly).",
	.help =
	    "report work CAMPAIGN writes 作業報告書: per host every step run with its start\n"
	    "and end, result, exit code and the person who ran it; the approvals with their\n"
	    "signers; and the journal head the report is bound to.\n"
	    "report monthly YYYY-MM writes 月次報告書: every campaign with work in the month\n"
	    "and its results, the incidents section, the security compliance checklist and\n"
	    "the people who worked.\n"
	    "report inspection CAMPAIGN writes 点検報告書: the 29 inspection items of each\n"
	    "host (○ passed, × finding, 要確認 not checked yet), the findings with their\n"
	    "output, and the on-site records with who checked (docs/INSPECTION.md).\n"
	    "report procedure CAMPAIGN-FILE writes 作業手順書 from the campaign file (no\n"
	    "store): the work, the files with their SHA-256, the steps per kind of machine,\n"
	    "the downtime per site, the per-host times, the rollback, the contacts and an\n"
	    "approval block, bound to the plan hash shown on every page.\n"
	    "report checklist CAMPAIGN [--site S] writes 現地確認チェックリスト for the person\n"
	    "walking a site: per site, per host the manual steps still waiting for an\n"
	    "on-site record, with boxes for the result, the person and the date; enter\n"
	    "them afterwards with `rollout record` (docs/INSPECTION.md).\n"
	    "Dates are written in the Japanese era (令和8年10月5日) in .xlsx; CSV has JST\n"
	    "\"2026-10-05 09:12:30\" and JSON ISO 8601 with +09:00. A journal that does not\n"
	    "verify is refused (exit 1). No report holds a password: password steps show\n"
	    "the credential's name and vault version number only.\n"
	    "\n"
	    "  --format F    xlsx (default), csv (UTF-8 with BOM, CRLF, for Excel) or json\n"
	    "  -o FILE       the file to write (default report-KIND-SUBJECT.EXT here);\n"
	    "                - writes CSV or JSON to standard output\n"
	    "  --force       replace FILE if it exists (otherwise refused, exit 2)\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "\n"
	    "The file appears whole or not at all (written aside, then linked into place).\n"
	    "See docs/REPORTS.md.\n",
	.exec = report_exec,
};
