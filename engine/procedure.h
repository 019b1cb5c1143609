/*
 * procedure.h - the work procedure (作業手順書) that the city approves before
 * the work: built from a plan and its campaign's playbooks, printed by no
 * one here. plan-html.c renders it below the Gantt chart; a report writer
 * (e.g. `rollout report procedure` as .xlsx) can render the same struct.
 *
 * What it holds, all derived (nothing is read but the plan and the loaded
 * campaign, so the same plan gives the same procedure):
 *   - per role (CS standby, CS active, terminal): the steps in the order a
 *     host runs them, with their Japanese titles, the KB numbers they name,
 *     the artefacts they carry and their sha256, whether they restart;
 *   - per host: wave, planned start and end, when it restarts (estimated
 *     from the step estimates) and for how long;
 *   - per site: how many hosts restart and the expected downtime;
 *   - per playbook: its title and its rollback; the campaign's contacts;
 *     the plan hash the approval binds.
 * Times are Unix seconds (shown in JST), durations seconds; RO_PLAN_NO_TIME
 * where the plan has no start date.
 */
#ifndef RO_PROCEDURE_H
#define RO_PROCEDURE_H

#include <stdio.h>

#include "planner.h"

/* How a step restarts its host. */
enum ro_proc_restart {
	RO_PROC_NO_RESTART,
	RO_PROC_RESTART,          /* always */
	RO_PROC_RESTART_IF_ASKED  /* only when an earlier step asked (if_required) */
};

struct ro_proc_step {
	uint32_t number;          /* 1, 2, ... within its role */
	uint32_t playbook;        /* index into the campaign's playbooks */
	const struct ro_step *step;
	const char *title_ja;     /* the step's title_ja, else its name */
	const char *description;  /* or NULL */
	const char *kind_ja;      /* 実行, 転送, 再起動, ... */
	const char *kb;           /* the KB number a `kb` parameter gives it, or NULL */
	const char *artifact;     /* upload: the engine-side file (its base name), or NULL */
	const char *sha256;       /* upload: the hash the file must have; else a sha256
	                             parameter the step checks against; or NULL */
	const char *dest;         /* upload: where it goes, parameters filled in */
	const char *instruction;  /* manual: what the person on site does (Japanese first) */
	long estimate;            /* seconds */
	enum ro_proc_restart restart;
	int manual;               /* done and recorded by a person on site */
};

struct ro_proc_role {
	enum ro_role role;
	size_t nhosts;            /* hosts of this role in the campaign */
	struct ro_proc_step *steps;
	size_t nsteps;
	long estimate;            /* per host: the sum of its steps' estimates */
	long restart;             /* per host: seconds of its restart steps */
};

/* An artefact the campaign carries to the hosts (one per upload step). */
struct ro_proc_artifact {
	uint32_t playbook;
	const char *step;         /* the upload step's name */
	const char *kb;           /* or NULL */
	const char *file;         /* base name */
	const char *sha256;
	unsigned roles;           /* RO_ROLE_BIT mask of the roles it goes to */
};

struct ro_proc_host {
	uint32_t host;            /* inventory index */
	uint32_t site;            /* inventory index */
	uint32_t wave;            /* plan wave index */
	int64_t start, end;       /* planned */
	int64_t restart_at;       /* when its first restart is expected, or NO_TIME */
	long restart;             /* seconds out of service restarting (0: none) */
	int restart_if_asked;     /* every restart of the host is conditional */
};

struct ro_proc_site {
	uint32_t site;            /* inventory index */
	size_t nhosts;            /* in the campaign */
	size_t nrestart;          /* hosts that restart (or may) */
	uint32_t limit;           /* hosts out of service at once, at most */
	long downtime;            /* the sum over its hosts of their restart seconds */
	long host_downtime;       /* the longest restart of one host */
	int restart_if_asked;     /* every restart at the site is conditional: the
	                             downtime is the most it can be */
	int64_t first_start, last_end; /* the site's work */
};

struct ro_proc_playbook {
	const struct ro_playbook *pb;
	const char *title_ja;     /* or the English title */
	size_t nhosts;
	const char *const *rollback; /* {{param}} references filled in */
	size_t nrollback;
};

struct ro_procedure {
	const struct ro_plan *plan;
	const struct ro_campaign *campaign;
	const char *plan_hash;
	struct ro_proc_playbook *playbooks; /* campaign order */
	size_t nplaybooks;
	struct ro_proc_role roles[RO_ROLE_N]; /* indexed by enum ro_role; nhosts 0: none */
	struct ro_proc_artifact *artifacts;
	size_t nartifacts;
	struct ro_proc_host *hosts;  /* grouped by site (inventory order), then start */
	size_t nhosts;
	struct ro_proc_site *sites;  /* sites with work, inventory order */
	size_t nsites;
	long downtime;            /* all sites */
	const struct ro_contact *contacts;
	size_t ncontacts;
	struct ro_arena arena;
};

/* ro_procedure_build derives the procedure of plan p (which must outlive it). */
int ro_procedure_build(const struct ro_plan *p, struct ro_procedure **out);
void ro_procedure_free(struct ro_procedure *pr);

/* ro_procedure_html writes the procedure of plan p as one HTML <section
 * class="proc"> (styled by RO_PROCEDURE_CSS); nothing if it cannot be built. */
void ro_procedure_html(FILE *f, const struct ro_plan *p);

/*
 * RO_PROCEDURE_CSS is the procedure's stylesheet, with its print rules:
 * everything on A4, nothing only in a tooltip. The Gantt charts shrink to
 * the page width (their times are in the table of section 5), each part of
 * the procedure starts on a new page, and table headers repeat on every
 * page. A string literal, so that `rollout plan --html` puts it inline and
 * the console appends it to its /style.css (its CSP allows no inline style).
 */
#define RO_PROCEDURE_CSS \
	".proc h2{border-bottom:2px solid #444;margin-top:2em}\n" \
	".proc h3{margin:1.2em 0 .3em}\n" \
	".proc table{width:100%}\n" \
	".proc td.n,.proc th.n{text-align:right;white-space:nowrap}\n" \
	".proc td.k{white-space:nowrap}\n" \
	".proc .en{color:#666;font-size:12px}\n" \
	".proc code.h{word-break:break-all;font-size:11px}\n" \
	".proc tr.site th{background:#dde6ee}\n" \
	".proc .note{font-size:12px;color:#444}\n" \
	".approval{margin-top:1em;break-inside:avoid}\n" \
	".approval table td{height:4.5em;vertical-align:top;width:25%}\n" \
	".approval table th{width:12%}\n" \
	"@media print{body{margin:0;font-size:9pt}\n" \
	" td,th{font-size:8.5pt;padding:1px 4px}\n" \
	" svg{width:100%;height:auto}\n" \
	" h1{font-size:15pt} h2{font-size:13pt} h3{font-size:11pt}\n" \
	" .proc h2.page{break-before:page}\n" \
	" h2,h3,h4{break-after:avoid}\n" \
	" tr{break-inside:avoid} thead{display:table-header-group}\n" \
	" svg{break-inside:avoid}}\n"

/* ro_proc_kind_ja names a step kind in Japanese (実行, 転送, ...). */
const char *ro_proc_kind_ja(enum ro_step_kind k);
/* ro_proc_role_ja names a role in Japanese (CS（待機系）, ...). */
const char *ro_proc_role_ja(enum ro_role r);

#endif
