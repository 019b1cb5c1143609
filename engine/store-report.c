/*
 * store-report.c - the store's read-only queries for the reports
 * (store-report.h). Part of the store module: it uses the store's
 * connection (store-int.h) and converts SQLite's codes here.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store-int.h"
#include "store-report.h"
#include "store.h"
#include "util.h"

/* prepare compiles sql on st's connection; a failure is a defect or a store
 * of another schema, said as such. */
static int
prepare(struct ro_store *st, const char *sql, sqlite3_stmt **stmt, char **cause)
{
	sqlite3 *db = ro_store__db(st);

	if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK) {
		if (cause)
			*cause = ro_xasprintf("the state store cannot be read for the report: %s",
			    sqlite3_errmsg(db));
		return RO_ESTORE;
	}
	return RO_OK;
}

/* finish ends a statement's rows: rc is the last sqlite3_step's. */
static int
finish(struct ro_store *st, sqlite3_stmt *stmt, int rc, char **cause)
{
	sqlite3 *db = ro_store__db(st);
	int out = RO_OK;

	if (rc != SQLITE_DONE) {
		if (cause)
			*cause = ro_xasprintf("the state store cannot be read for the report: %s",
			    sqlite3_errmsg(db));
		out = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? RO_ELOCKED : RO_ESTORE;
	}
	sqlite3_finalize(stmt);
	return out;
}

static char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? ro_xstrdup((const char *)t) : NULL;
}

static int64_t
col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? RO_STORE_NO_TIME :
	    sqlite3_column_int64(s, i);
}

/* grow makes room for one more element of size in *v (capacity *cap). */
static void *
grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : 32;
	return ro_xrealloc(v, *cap * size);
}

#define SITE_NAME(h) \
	" (SELECT s.name FROM campaign_sites s WHERE s.campaign = " h ".campaign" \
	"  AND s.site = " h ".site)"

int
ro_store_report_steps(struct ro_store *st, const char *campaign, struct ro_step_row **out,
    size_t *n, char **cause)
{
	static const char sql[] =
	    "SELECT i.host, h.site," SITE_NAME("h") ", i.step_name, i.actor, o.status,"
	    " o.detail, m.credential, m.version, h.wave, i.step_idx, i.attempt, o.exit_code,"
	    " i.started_at, o.finished_at"
	    " FROM step_intents i"
	    " JOIN campaign_hosts h ON h.campaign = i.campaign AND h.host = i.host"
	    " LEFT JOIN step_outcomes o ON o.intent = i.id"
	    " LEFT JOIN secret_marks m ON m.intent = i.id"
	    " WHERE i.campaign = ?1 ORDER BY h.wave, i.host, i.id";
	sqlite3_stmt *s;
	struct ro_step_row *v = NULL, *r;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(st, sql, &s, cause)) != RO_OK)
		return rc;
	sqlite3_bind_text(s, 1, campaign, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, *n, &cap, sizeof *v);
		r = &v[(*n)++];
		memset(r, 0, sizeof *r);
		r->host = col_str(s, 0);
		r->site = col_str(s, 1);
		r->site_name = col_str(s, 2);
		r->step_name = col_str(s, 3);
		r->actor = col_str(s, 4);
		r->status = col_str(s, 5);
		r->detail = col_str(s, 6);
		r->credential = col_str(s, 7);
		r->version = sqlite3_column_int64(s, 8);
		r->wave = sqlite3_column_int(s, 9);
		r->step_idx = sqlite3_column_int(s, 10);
		r->attempt = sqlite3_column_int(s, 11);
		r->has_exit = sqlite3_column_type(s, 12) != SQLITE_NULL;
		r->exit_code = sqlite3_column_int(s, 12);
		r->started_at = sqlite3_column_int64(s, 13);
		r->finished_at = col_time(s, 14);
	}
	*out = v;
	if ((rc = finish(st, s, rc, cause)) != RO_OK) {
		ro_step_rows_free(v, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
ro_step_rows_free(struct ro_step_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].host);
		free(v[i].site);
		free(v[i].site_name);
		free(v[i].step_name);
		free(v[i].actor);
		free(v[i].status);
		free(v[i].detail);
		free(v[i].credential);
	}
	free(v);
}

int
ro_store_report_hosts(struct ro_store *st, const char *campaign, struct ro_host_row **out,
    size_t *n, char **cause)
{
	static const char sql[] =
	    "SELECT h.host, h.site," SITE_NAME("h") ", h.address, h.state, h.wave,"
	    " count(i.id), count(CASE WHEN o.status IN ('failed','timeout','unreachable')"
	    "   THEN 1 END), min(i.started_at), max(o.finished_at)"
	    " FROM campaign_hosts h"
	    " LEFT JOIN step_intents i ON i.campaign = h.campaign AND i.host = h.host"
	    " LEFT JOIN step_outcomes o ON o.intent = i.id"
	    " WHERE h.campaign = ?1 GROUP BY h.host ORDER BY h.wave, h.host";
	sqlite3_stmt *s;
	struct ro_host_row *v = NULL, *r;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(st, sql, &s, cause)) != RO_OK)
		return rc;
	sqlite3_bind_text(s, 1, campaign, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, *n, &cap, sizeof *v);
		r = &v[(*n)++];
		memset(r, 0, sizeof *r);
		r->host = col_str(s, 0);
		r->site = col_str(s, 1);
		r->site_name = col_str(s, 2);
		r->address = col_str(s, 3);
		r->state = col_str(s, 4);
		r->wave = sqlite3_column_int(s, 5);
		r->steps = sqlite3_column_int64(s, 6);
		r->steps_failed = sqlite3_column_int64(s, 7);
		r->first_start = col_time(s, 8);
		r->last_end = col_time(s, 9);
	}
	*out = v;
	if ((rc = finish(st, s, rc, cause)) != RO_OK) {
		ro_host_rows_free(v, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
ro_host_rows_free(struct ro_host_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].host);
		free(v[i].site);
		free(v[i].site_name);
		free(v[i].address);
		free(v[i].state);
	}
	free(v);
}

int
ro_store_report_month(struct ro_store *st, int64_t from, int64_t to,
    struct ro_month_row **out, size_t *n, char **cause)
{
	/* One pass over the month's step runs (grouped by campaign), then a
	 * few indexed look-ups per campaign: a year of 100,000 step runs
	 * costs one scan of step_intents (docs/PERFORMANCE.md). */
	static const char sql[] =
	    "WITH m AS (SELECT i.campaign, count(*) AS steps,"
	    "   count(CASE WHEN o.status IN ('ok','skipped') THEN 1 END) AS ok,"
	    "   count(CASE WHEN o.status IN ('failed','timeout','unreachable') THEN 1 END) AS failed,"
	    "   count(CASE WHEN o.intent IS NULL THEN 1 END) AS open,"
	    "   count(sm.intent) AS pw, min(i.started_at) AS first, max(o.finished_at) AS last"
	    "  FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id"
	    "  LEFT JOIN secret_marks sm ON sm.intent = i.id"
	    "  WHERE i.started_at >= ?1 AND i.started_at < ?2 GROUP BY i.campaign)"
	    " SELECT c.id, c.title, c.playbooks, c.state, c.reason, c.created_at,"
	    "  (SELECT count(*) FROM campaign_hosts h WHERE h.campaign = c.id),"
	    "  (SELECT count(*) FROM campaign_hosts h WHERE h.campaign = c.id AND h.state = 'done'),"
	    "  (SELECT count(*) FROM campaign_hosts h WHERE h.campaign = c.id AND h.state = 'failed'),"
	    "  (SELECT count(*) FROM campaign_hosts h WHERE h.campaign = c.id AND h.state = 'skipped'),"
	    "  coalesce(m.steps, 0), coalesce(m.ok, 0), coalesce(m.failed, 0), coalesce(m.open, 0),"
	    "  coalesce(m.pw, 0), m.first, m.last,"
	    "  (SELECT count(*) FROM approvals a WHERE a.campaign = c.id AND a.decision = 'approve'"
	    "    AND a.signature IS NOT NULL),"
	    "  (SELECT count(*) FROM waves w WHERE w.campaign = c.id AND w.gated = 1"
	    "    AND w.state IN ('running','done','failed','halted')),"
	    "  (SELECT count(*) FROM waves w WHERE w.campaign = c.id AND w.gated = 1"
	    "    AND w.state IN ('running','done','failed','halted') AND NOT EXISTS"
	    "    (SELECT 1 FROM approvals a WHERE a.campaign = w.campaign AND a.wave = w.idx"
	    "     AND a.decision = 'approve' AND a.signature IS NOT NULL"
	    "     AND a.plan_hash = c.plan_hash))"
	    " FROM campaigns c LEFT JOIN m ON m.campaign = c.id"
	    " WHERE m.campaign IS NOT NULL OR (c.created_at >= ?1 AND c.created_at < ?2)"
	    " ORDER BY coalesce(m.first, c.created_at), c.id";
	sqlite3_stmt *s;
	struct ro_month_row *v = NULL, *r;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(st, sql, &s, cause)) != RO_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, *n, &cap, sizeof *v);
		r = &v[(*n)++];
		memset(r, 0, sizeof *r);
		r->id = col_str(s, 0);
		r->title = col_str(s, 1);
		r->playbooks = col_str(s, 2);
		r->state = col_str(s, 3);
		r->reason = col_str(s, 4);
		r->created_at = sqlite3_column_int64(s, 5);
		r->hosts = sqlite3_column_int64(s, 6);
		r->hosts_done = sqlite3_column_int64(s, 7);
		r->hosts_failed = sqlite3_column_int64(s, 8);
		r->hosts_skipped = sqlite3_column_int64(s, 9);
		r->steps = sqlite3_column_int64(s, 10);
		r->steps_ok = sqlite3_column_int64(s, 11);
		r->steps_failed = sqlite3_column_int64(s, 12);
		r->steps_open = sqlite3_column_int64(s, 13);
		r->password_steps = sqlite3_column_int64(s, 14);
		r->first_start = col_time(s, 15);
		r->last_end = col_time(s, 16);
		r->approvals = sqlite3_column_int64(s, 17);
		r->gates_passed = sqlite3_column_int64(s, 18);
		r->gates_unsigned = sqlite3_column_int64(s, 19);
	}
	*out = v;
	if ((rc = finish(st, s, rc, cause)) != RO_OK) {
		ro_month_rows_free(v, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
ro_month_rows_free(struct ro_month_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].title);
		free(v[i].playbooks);
		free(v[i].state);
		free(v[i].reason);
	}
	free(v);
}

int
ro_store_report_month_starts(struct ro_store *st, int64_t from, int64_t to,
    int64_t **starts, size_t *nstarts, char **cause)
{
	static const char sql[] = "SELECT started_at FROM step_intents"
	    " WHERE started_at >= ?1 AND started_at < ?2";
	sqlite3_stmt *s;
	size_t cap = 0;
	int64_t *v = NULL;
	int rc;

	*starts = NULL;
	*nstarts = 0;
	if ((rc = prepare(st, sql, &s, cause)) != RO_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, *nstarts, &cap, sizeof *v);
		v[(*nstarts)++] = sqlite3_column_int64(s, 0);
	}
	*starts = v;
	if ((rc = finish(st, s, rc, cause)) != RO_OK) {
		free(v);
		*starts = NULL;
		*nstarts = 0;
	}
	return rc;
}

int
ro_store_report_month_actors(struct ro_store *st, int64_t from, int64_t to,
    struct ro_actor_row **out, size_t *n, char **cause)
{
	static const char sql[] = "SELECT actor, count(*) FROM step_intents"
	    " WHERE started_at >= ?1 AND started_at < ?2 GROUP BY actor ORDER BY actor";
	sqlite3_stmt *s;
	struct ro_actor_row *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(st, sql, &s, cause)) != RO_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, *n, &cap, sizeof *v);
		v[*n].actor = col_str(s, 0);
		v[*n].steps = sqlite3_column_int64(s, 1);
		(*n)++;
	}
	*out = v;
	if ((rc = finish(st, s, rc, cause)) != RO_OK) {
		ro_actor_rows_free(v, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
ro_actor_rows_free(struct ro_actor_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].actor);
	free(v);
}
