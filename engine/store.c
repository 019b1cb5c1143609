/*
 * store.c - the durable state store on SQLite (see store.h, docs/STORE.md).
 *
 * Shape of this file: the schema and its migrations; error conversion; the
 * connection (open, pragmas, statement cache); transactions; the journal;
 * then one section per table. Public functions that write follow one
 * pattern: wtx_begin (a transaction of their own, or a savepoint inside the
 * caller's), checks that produce sentences for a person, the change, one
 * journal record, wtx_end.
 */
#include "store.h"
#include "statedir.h"
#include "store-int.h"
#include "jhash.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "util.h"
#include "calendar.h"

/* ---------------------------------------------------------------------- */
/* Schema                                                                  */

/*
 * Migrations, in order: migrations[i] takes user_version i to i + 1. Each
 * runs in its own transaction together with the user_version bump. Never
 * edit a migration that has shipped; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the initial schema. */
	"CREATE TABLE campaigns ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),"
	"  title TEXT NOT NULL,"
	"  playbooks TEXT NOT NULL,"
	"  plan_hash TEXT NOT NULL CHECK (length(plan_hash) > 0),"
	"  plan_json TEXT NOT NULL,"
	"  inventory_hash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN"
	"    ('planned','running','halted','done','failed','cancelled'))"
	") STRICT;"
	"CREATE TABLE waves ("
	"  campaign TEXT NOT NULL REFERENCES campaigns(id),"
	"  idx INTEGER NOT NULL CHECK (idx >= 0),"
	"  name TEXT NOT NULL,"
	"  gated INTEGER NOT NULL CHECK (gated IN (0, 1)),"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending',"
	"    'awaiting-approval','approved','running','done','failed','halted')),"
	"  failure_budget INTEGER NOT NULL CHECK (failure_budget >= 0),"
	"  planned_start INTEGER,"
	"  planned_end INTEGER,"
	"  PRIMARY KEY (campaign, idx)"
	") STRICT;"
	"CREATE TABLE campaign_hosts ("
	"  campaign TEXT NOT NULL,"
	"  host TEXT NOT NULL CHECK (length(host) > 0),"
	"  site TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  wave INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
	"    ('pending','running','done','failed','skipped')),"
	"  PRIMARY KEY (campaign, host),"
	"  FOREIGN KEY (campaign, wave) REFERENCES waves(campaign, idx)"
	") STRICT;"
	"CREATE INDEX campaign_hosts_by_wave ON campaign_hosts(campaign, wave, state);"
	"CREATE INDEX campaign_hosts_by_site ON campaign_hosts(campaign, site, state);"
	"CREATE TABLE step_intents ("
	"  id INTEGER PRIMARY KEY,"
	"  campaign TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  step_idx INTEGER NOT NULL CHECK (step_idx >= 0),"
	"  step_name TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL CHECK (attempt >= 1),"
	"  started_at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  UNIQUE (campaign, host, step_idx, attempt),"
	"  FOREIGN KEY (campaign, host) REFERENCES campaign_hosts(campaign, host)"
	") STRICT;"
	"CREATE TABLE step_outcomes ("
	"  intent INTEGER PRIMARY KEY REFERENCES step_intents(id),"
	"  finished_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('ok','failed','skipped','timeout','unreachable')),"
	"  exit_code INTEGER,"
	"  detail TEXT"
	") STRICT;"
	"CREATE TABLE approvals ("
	"  id INTEGER PRIMARY KEY,"
	"  campaign TEXT NOT NULL,"
	"  wave INTEGER NOT NULL,"
	"  approver TEXT NOT NULL CHECK (length(approver) > 0),"
	"  comment TEXT,"
	"  approved_at INTEGER NOT NULL,"
	"  plan_hash TEXT NOT NULL,"
	"  FOREIGN KEY (campaign, wave) REFERENCES waves(campaign, idx)"
	") STRICT;"
	"CREATE INDEX approvals_by_wave ON approvals(campaign, wave);"
	/* The API checks the hash with a readable message; this is the floor
	 * under it for any other writer. */
	"CREATE TRIGGER approvals_bound_to_plan BEFORE INSERT ON approvals"
	"  WHEN NEW.plan_hash IS NOT (SELECT plan_hash FROM campaigns WHERE id = NEW.campaign)"
	"  BEGIN SELECT RAISE(ABORT, 'approval plan_hash differs from the campaign plan_hash'); END;"
	"CREATE TABLE journal ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  at INTEGER NOT NULL,"
	"  campaign TEXT,"
	"  kind TEXT NOT NULL CHECK (length(kind) > 0),"
	"  actor TEXT NOT NULL,"
	"  detail TEXT,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX journal_by_campaign ON journal(campaign, seq);"
	"CREATE TABLE vault_counters ("
	"  vault_id TEXT PRIMARY KEY NOT NULL,"
	"  counter INTEGER NOT NULL CHECK (counter >= 0),"
	"  updated_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TRIGGER vault_counters_monotonic BEFORE UPDATE ON vault_counters"
	"  WHEN NEW.counter < OLD.counter"
	"  BEGIN SELECT RAISE(ABORT, 'vault counter may not decrease'); END;"
	"CREATE TRIGGER vault_counters_no_delete BEFORE DELETE ON vault_counters"
	"  BEGIN SELECT RAISE(ABORT, 'vault counters may not be deleted'); END;"
	/* Records of what happened are never rewritten. */
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal"
	"  BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal"
	"  BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;"
	"CREATE TRIGGER step_intents_no_update BEFORE UPDATE ON step_intents"
	"  BEGIN SELECT RAISE(ABORT, 'step intents are append-only'); END;"
	"CREATE TRIGGER step_intents_no_delete BEFORE DELETE ON step_intents"
	"  BEGIN SELECT RAISE(ABORT, 'step intents are append-only'); END;"
	"CREATE TRIGGER step_outcomes_no_update BEFORE UPDATE ON step_outcomes"
	"  BEGIN SELECT RAISE(ABORT, 'step outcomes are append-only'); END;"
	"CREATE TRIGGER step_outcomes_no_delete BEFORE DELETE ON step_outcomes"
	"  BEGIN SELECT RAISE(ABORT, 'step outcomes are append-only'); END;"
	"CREATE TRIGGER approvals_no_update BEFORE UPDATE ON approvals"
	"  BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;"
	"CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals"
	"  BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;",
	/* 1 -> 2: why a host failed (unreachable, refused key...), for `status`. */
	"ALTER TABLE campaign_hosts ADD COLUMN reason TEXT;",
	/* 2 -> 3: the roster (history hash) each vault last had on this machine,
	 * a second anchor beside the members' key files (vault/FORMAT.md). */
	"CREATE TABLE vault_rosters ("
	"  vault_id TEXT PRIMARY KEY NOT NULL,"
	"  roster TEXT NOT NULL CHECK (length(roster) = 64),"
	"  updated_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TRIGGER vault_rosters_no_delete BEFORE DELETE ON vault_rosters"
	"  BEGIN SELECT RAISE(ABORT, 'vault rosters may not be deleted'); END;",
	/* 3 -> 4: one engine per campaign (its lease, and the stop asked of it),
	 * the invocation `rollout resume` repeats, hosts set aside, when a host
	 * last changed state and why a campaign halted. */
	"CREATE TABLE engine_leases ("
	"  campaign TEXT PRIMARY KEY NOT NULL REFERENCES campaigns(id),"
	"  pid INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  heartbeat_at INTEGER NOT NULL,"
	"  stop INTEGER NOT NULL DEFAULT 0 CHECK (stop IN (0, 1, 2)),"
	"  stop_by TEXT"
	") STRICT;"
	"CREATE TABLE engine_invocations ("
	"  campaign TEXT PRIMARY KEY NOT NULL REFERENCES campaigns(id),"
	"  cwd TEXT NOT NULL,"
	"  argv TEXT NOT NULL,"
	"  recorded_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE host_holds ("
	"  campaign TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  held_by TEXT NOT NULL,"
	"  held_at INTEGER NOT NULL,"
	"  PRIMARY KEY (campaign, host),"
	"  FOREIGN KEY (campaign, host) REFERENCES campaign_hosts(campaign, host)"
	") STRICT;"
	"CREATE TABLE campaign_sites ("
	"  campaign TEXT NOT NULL REFERENCES campaigns(id),"
	"  site TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (campaign, site)"
	") STRICT;"
	"ALTER TABLE campaign_hosts ADD COLUMN state_at INTEGER;"
	"ALTER TABLE campaigns ADD COLUMN reason TEXT;",
	/* 4 -> 5: the boot time a reboot step read before it sent the restart,
	 * so that a resume can tell whether the restart happened (docs/EXECUTION.md). */
	"CREATE TABLE reboot_marks ("
	"  intent INTEGER PRIMARY KEY REFERENCES step_intents(id),"
	"  boot_before TEXT NOT NULL"
	") STRICT;"
	"CREATE TRIGGER reboot_marks_no_update BEFORE UPDATE ON reboot_marks"
	"  BEGIN SELECT RAISE(ABORT, 'reboot marks are append-only'); END;"
	"CREATE TRIGGER reboot_marks_no_delete BEFORE DELETE ON reboot_marks"
	"  BEGIN SELECT RAISE(ABORT, 'reboot marks are append-only'); END;",
	/* 5 -> 6: each journal record's MAC under the state directory's journal
	 * key (docs/STORE.md, "Journal"); NULL for records written before the
	 * key existed. */
	"ALTER TABLE journal ADD COLUMN mac TEXT;",
	/* 6 -> 7: signed approvals and refusals (docs/APPROVALS.md): the
	 * decision, the gate, the signer's public key and the Ed25519
	 * signature over the record. Rows without a signature are legacy or
	 * forged; the engine opens no gate on them. */
	"ALTER TABLE approvals ADD COLUMN decision TEXT;"
	"ALTER TABLE approvals ADD COLUMN gate TEXT;"
	"ALTER TABLE approvals ADD COLUMN signer_key TEXT;"
	"ALTER TABLE approvals ADD COLUMN signature TEXT;",
	/* 7 -> 8: the vault version a password step's intent names (never the
	 * value), so that a resume knows which value may be on the host
	 * (docs/EXECUTION.md, "Password steps"). */
	"CREATE TABLE secret_marks ("
	"  intent INTEGER PRIMARY KEY REFERENCES step_intents(id),"
	"  credential TEXT NOT NULL,"
	"  version INTEGER NOT NULL"
	") STRICT;"
	"CREATE TRIGGER secret_marks_no_update BEFORE UPDATE ON secret_marks"
	"  BEGIN SELECT RAISE(ABORT, 'secret marks are append-only'); END;"
	"CREATE TRIGGER secret_marks_no_delete BEFORE DELETE ON secret_marks"
	"  BEGIN SELECT RAISE(ABORT, 'secret marks are append-only'); END;",
	/* 8 -> 9: incidents on the service-level clock (docs/INCIDENTS.md):
	 * the incident with its deadline, its events (append-only), the
	 * campaigns started for it and the files fetched back for it with
	 * their SHA-256 (the chain of custody). */
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY,"
	"  host TEXT NOT NULL CHECK (length(host) > 0),"
	"  kind TEXT NOT NULL CHECK (kind IN ('cs','terminal','touch-panel')),"
	"  instructed_at INTEGER NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN"
	"    ('open','arrived','recovered','closed')),"
	"  arrived_at INTEGER,"
	"  recovered_at INTEGER,"
	"  closed_at INTEGER,"
	"  explanation TEXT,"
	"  note TEXT,"
	"  opened_by TEXT NOT NULL,"
	"  opened_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX incidents_by_instruction ON incidents(instructed_at);"
	"CREATE TABLE incident_events ("
	"  id INTEGER PRIMARY KEY,"
	"  incident INTEGER NOT NULL REFERENCES incidents(id),"
	"  event TEXT NOT NULL CHECK (event IN ('open','arrive','recover','close')),"
	"  at INTEGER NOT NULL,"
	"  recorded_at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  note TEXT"
	") STRICT;"
	"CREATE TABLE incident_campaigns ("
	"  incident INTEGER NOT NULL REFERENCES incidents(id),"
	"  campaign TEXT NOT NULL REFERENCES campaigns(id),"
	"  PRIMARY KEY (incident, campaign)"
	") STRICT;"
	"CREATE TABLE incident_files ("
	"  id INTEGER PRIMARY KEY,"
	"  incident INTEGER NOT NULL REFERENCES incidents(id),"
	"  host TEXT NOT NULL,"
	"  remote_path TEXT NOT NULL,"
	"  local_path TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
	"  size INTEGER NOT NULL CHECK (size >= 0),"
	"  fetched_at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL"
	") STRICT;"
	"CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events"
	"  BEGIN SELECT RAISE(ABORT, 'incident events are append-only'); END;"
	"CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events"
	"  BEGIN SELECT RAISE(ABORT, 'incident events are append-only'); END;"
	"CREATE TRIGGER incident_files_no_update BEFORE UPDATE ON incident_files"
	"  BEGIN SELECT RAISE(ABORT, 'incident files are append-only'); END;"
	"CREATE TRIGGER incident_files_no_delete BEFORE DELETE ON incident_files"
	"  BEGIN SELECT RAISE(ABORT, 'incident files are append-only'); END;"
	"CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents"
	"  BEGIN SELECT RAISE(ABORT, 'incidents may not be deleted'); END;",
	/* 9 -> 10: records (docs/INSPECTION.md): a finding (a verify step that
	 * failed with continue_on_failure) with its inspection item and its
	 * output, bounded; and the on-site result of a manual step, signed by
	 * the person on the roster who recorded it. Both append-only: a later
	 * record of the same step supersedes an earlier one. */
	"CREATE TABLE findings ("
	"  id INTEGER PRIMARY KEY,"
	"  intent INTEGER NOT NULL REFERENCES step_intents(id),"
	"  campaign TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  step_idx INTEGER NOT NULL,"
	"  step_name TEXT NOT NULL,"
	"  item TEXT,"
	"  exit_code INTEGER,"
	"  detail TEXT,"
	"  output TEXT NOT NULL,"
	"  truncated INTEGER NOT NULL CHECK (truncated IN (0, 1)),"
	"  at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX findings_by_campaign ON findings(campaign, host, step_idx);"
	"CREATE TRIGGER findings_no_update BEFORE UPDATE ON findings"
	"  BEGIN SELECT RAISE(ABORT, 'findings are append-only'); END;"
	"CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings"
	"  BEGIN SELECT RAISE(ABORT, 'findings are append-only'); END;"
	"CREATE TABLE manual_records ("
	"  id INTEGER PRIMARY KEY,"
	"  campaign TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  step_idx INTEGER NOT NULL,"
	"  step_name TEXT NOT NULL,"
	"  result TEXT NOT NULL CHECK (result IN ('done','ok','finding')),"
	"  note TEXT,"
	"  person TEXT NOT NULL,"
	"  person_ja TEXT,"
	"  login TEXT NOT NULL,"
	"  signer_key TEXT NOT NULL,"
	"  signature TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  FOREIGN KEY (campaign, host) REFERENCES campaign_hosts(campaign, host)"
	") STRICT;"
	"CREATE INDEX manual_records_by_campaign ON manual_records(campaign, host, step_idx);"
	"CREATE TRIGGER manual_records_no_update BEFORE UPDATE ON manual_records"
	"  BEGIN SELECT RAISE(ABORT, 'manual records are append-only'); END;"
	"CREATE TRIGGER manual_records_no_delete BEFORE DELETE ON manual_records"
	"  BEGIN SELECT RAISE(ABORT, 'manual records are append-only'); END;",
	/* 10 -> 11: passkey approvers (docs/APPROVALS.md, "Passkeys"): one-time
	 * invitations, kept as the SHA-256 of their token, and the passkeys
	 * enrolled from them with the lead's confirmation signature. */
	"CREATE TABLE approver_invitations ("
	"  token_hash TEXT PRIMARY KEY NOT NULL,"
	"  name TEXT NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER"
	") STRICT;"
	"CREATE TABLE approver_passkeys ("
	"  credential_id TEXT PRIMARY KEY NOT NULL,"
	"  name TEXT NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  rp_id TEXT NOT NULL,"
	"  public_key TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  enrolled_at INTEGER NOT NULL,"
	"  confirmed_by TEXT,"
	"  confirmation TEXT,"
	"  confirmed_at INTEGER"
	") STRICT;",
};

_Static_assert(RO_NELEM(migrations) == RO_STORE_SCHEMA_VERSION,
    "RO_STORE_SCHEMA_VERSION must equal the number of migrations");

/* ---------------------------------------------------------------------- */
/* Prepared statements, cached per connection                              */

enum sql_id {
	Q_JOURNAL_LAST,
	Q_JOURNAL_INSERT,
	Q_JOURNAL_ALL,
	Q_JSON_OBJECT,
	Q_VAULT_GET,
	Q_VAULT_PUT,
	Q_CAMPAIGN_INSERT,
	Q_CAMPAIGN_GET,
	Q_CAMPAIGN_LIST,
	Q_CAMPAIGN_STATE,
	Q_CAMPAIGN_SET_STATE,
	Q_WAVE_INSERT,
	Q_WAVE_GET,
	Q_WAVE_LIST,
	Q_WAVE_SET_STATE,
	Q_HOST_INSERT,
	Q_HOST_GET,
	Q_HOST_LIST,
	Q_HOST_SET_STATE,
	Q_APPROVAL_INSERT,
	Q_APPROVAL_FOR_WAVE,
	Q_APPROVAL_LIST,
	Q_INTENT_OPEN_FOR_STEP,
	Q_INTENT_NEXT_ATTEMPT,
	Q_INTENT_INSERT,
	Q_INTENT_GET,
	Q_OUTCOME_EXISTS,
	Q_OUTCOME_INSERT,
	Q_INTENTS_OPEN,
	Q_TALLY_WAVE,
	Q_TALLY_SITE,
	Q_FAILURES,
	Q_SAVEPOINT,
	Q_RELEASE,
	Q_ROLLBACK_TO,
	Q_BEGIN_IMMEDIATE,
	Q_COMMIT,
	Q_VROSTER_GET,
	Q_VROSTER_PUT,
	Q_APPROVAL_INSERT_SIGNED,
	Q__COUNT
};

static const char *const sql_text[Q__COUNT] = {
	[Q_JOURNAL_LAST] = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
	[Q_JOURNAL_INSERT] = "INSERT INTO journal (seq, at, campaign, kind, actor, detail,"
	    " prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[Q_JOURNAL_ALL] = "SELECT seq, at, campaign, kind, actor, detail, prev_hash, hash, mac"
	    " FROM journal ORDER BY seq",
	[Q_JSON_OBJECT] = "SELECT json_valid(?1) AND json_type(?1) = 'object'",
	[Q_VAULT_GET] = "SELECT counter FROM vault_counters WHERE vault_id = ?",
	[Q_VAULT_PUT] = "INSERT INTO vault_counters (vault_id, counter, updated_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (vault_id) DO UPDATE"
	    " SET counter = ?2, updated_at = ?3",
	[Q_CAMPAIGN_INSERT] = "INSERT INTO campaigns (id, title, playbooks, plan_hash,"
	    " plan_json, inventory_hash, created_at, created_by)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[Q_CAMPAIGN_GET] = "SELECT id, title, playbooks, plan_hash, inventory_hash,"
	    " created_by, created_at, state, reason, plan_json FROM campaigns WHERE id = ?",
	[Q_CAMPAIGN_LIST] = "SELECT id, title, playbooks, plan_hash, inventory_hash,"
	    " created_by, created_at, state, reason FROM campaigns ORDER BY created_at, id",
	[Q_CAMPAIGN_STATE] = "SELECT state, plan_hash FROM campaigns WHERE id = ?",
	[Q_CAMPAIGN_SET_STATE] = "UPDATE campaigns SET state = ?, reason = ? WHERE id = ?",
	[Q_WAVE_INSERT] = "INSERT INTO waves (campaign, idx, name, gated, failure_budget,"
	    " planned_start, planned_end) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[Q_WAVE_GET] = "SELECT idx, name, gated, failure_budget, planned_start,"
	    " planned_end, state FROM waves WHERE campaign = ? AND idx = ?",
	[Q_WAVE_LIST] = "SELECT idx, name, gated, failure_budget, planned_start,"
	    " planned_end, state FROM waves WHERE campaign = ? ORDER BY idx",
	[Q_WAVE_SET_STATE] = "UPDATE waves SET state = ? WHERE campaign = ? AND idx = ?",
	[Q_HOST_INSERT] = "INSERT INTO campaign_hosts (campaign, host, site, address, wave)"
	    " VALUES (?, ?, ?, ?, ?)",
	[Q_HOST_GET] = "SELECT h.state, h.wave, w.state FROM campaign_hosts h"
	    " JOIN waves w ON w.campaign = h.campaign AND w.idx = h.wave"
	    " WHERE h.campaign = ? AND h.host = ?",
	[Q_HOST_LIST] = "SELECT host, site, address, wave, state FROM campaign_hosts"
	    " WHERE campaign = ?1 AND (?2 < 0 OR wave = ?2) ORDER BY wave, host",
	[Q_HOST_SET_STATE] = "UPDATE campaign_hosts SET state = ?1, reason = ?2, state_at = ?5"
	    " WHERE campaign = ?3 AND host = ?4",
	[Q_APPROVAL_INSERT] = "INSERT INTO approvals (campaign, wave, approver, comment,"
	    " approved_at, plan_hash) VALUES (?, ?, ?, ?, ?, ?)",
	[Q_APPROVAL_FOR_WAVE] = "SELECT count(*) FROM approvals a JOIN campaigns c"
	    " ON c.id = a.campaign WHERE a.campaign = ? AND a.wave = ?"
	    " AND a.plan_hash = c.plan_hash",
	[Q_APPROVAL_LIST] = "SELECT id, wave, approver, comment, plan_hash, approved_at,"
	    " decision, gate, signer_key, signature FROM approvals WHERE campaign = ?1 AND (?2 < 0 OR wave = ?2) ORDER BY id",
	[Q_INTENT_OPEN_FOR_STEP] = "SELECT i.id, i.attempt FROM step_intents i"
	    " LEFT JOIN step_outcomes o ON o.intent = i.id"
	    " WHERE i.campaign = ? AND i.host = ? AND i.step_idx = ? AND o.intent IS NULL"
	    " ORDER BY i.id LIMIT 1",
	[Q_INTENT_NEXT_ATTEMPT] = "SELECT coalesce(max(attempt), 0) + 1 FROM step_intents"
	    " WHERE campaign = ? AND host = ? AND step_idx = ?",
	[Q_INTENT_INSERT] = "INSERT INTO step_intents (campaign, host, step_idx, step_name,"
	    " attempt, started_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[Q_INTENT_GET] = "SELECT campaign, host, step_idx, attempt FROM step_intents WHERE id = ?",
	[Q_OUTCOME_EXISTS] = "SELECT status FROM step_outcomes WHERE intent = ?",
	[Q_OUTCOME_INSERT] = "INSERT INTO step_outcomes (intent, finished_at, status,"
	    " exit_code, detail) VALUES (?, ?, ?, ?, ?)",
	[Q_INTENTS_OPEN] = "SELECT i.id, i.host, i.step_idx, i.step_name, i.attempt,"
	    " i.started_at, i.actor FROM step_intents i"
	    " LEFT JOIN step_outcomes o ON o.intent = i.id"
	    " WHERE i.campaign = ? AND o.intent IS NULL ORDER BY i.id",
	[Q_FAILURES] = "SELECT h.host, h.site, h.wave, i.step_name, i.attempt, o.status,"
	    " o.exit_code, o.detail, o.finished_at, h.reason, h.state_at,"
	    " (SELECT s.name FROM campaign_sites s WHERE s.campaign = h.campaign"
	    "   AND s.site = h.site) FROM campaign_hosts h"
	    " LEFT JOIN step_intents i ON i.id = (SELECT i2.id FROM step_intents i2"
	    "   JOIN step_outcomes o2 ON o2.intent = i2.id AND o2.status <> 'ok'"
	    "     AND o2.status <> 'skipped'"
	    "   WHERE i2.campaign = h.campaign AND i2.host = h.host ORDER BY i2.id DESC LIMIT 1)"
	    " LEFT JOIN step_outcomes o ON o.intent = i.id"
	    " WHERE h.campaign = ? AND h.state = 'failed' ORDER BY h.wave, h.host",
	[Q_TALLY_WAVE] = "SELECT wave, state, count(*) FROM campaign_hosts"
	    " WHERE campaign = ? GROUP BY wave, state ORDER BY wave",
	[Q_TALLY_SITE] = "SELECT site, state, count(*) FROM campaign_hosts"
	    " WHERE campaign = ? GROUP BY site, state ORDER BY site",
	/* Every public write runs two of these; parsing them each time cost
	 * more than the insert itself in a large plan --save. */
	[Q_SAVEPOINT] = "SAVEPOINT ro_call",
	[Q_RELEASE] = "RELEASE ro_call",
	[Q_ROLLBACK_TO] = "ROLLBACK TO ro_call",
	[Q_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_VROSTER_GET] = "SELECT roster FROM vault_rosters WHERE vault_id = ?",
	[Q_VROSTER_PUT] = "INSERT INTO vault_rosters (vault_id, roster, updated_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (vault_id) DO UPDATE"
	    " SET roster = ?2, updated_at = ?3",
	[Q_APPROVAL_INSERT_SIGNED] = "INSERT INTO approvals (campaign, wave, approver, comment,"
	    " approved_at, plan_hash, decision, gate, signer_key, signature)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

enum tx_kind { TX_NONE, TX_READ, TX_WRITE, TX_GROUP };

struct ro_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[Q__COUNT];
	ro_store_clock_fn now;
	void *now_ctx;
	char *actor;
	enum tx_kind tx; /* the caller's explicit transaction, if any */
	char *errmsg;
	/* The journal key (journal.key beside the file): every record after
	 * unkeyed_through carries a MAC under it. has_mac is 0 while migrations
	 * older than the mac column run. */
	unsigned char jkey[crypto_auth_hmacsha256_KEYBYTES];
	/* The journal's hasher (engine/jhash.c), keyed with jkey once keyed
	 * is set: each record's MAC starts from the HMAC state after the key
	 * instead of hashing the key again (docs/PERFORMANCE.md, Reports). */
	struct ro_jhash *jh;
	int keyed, has_mac;
	int64_t unkeyed_through;
};

/* ---------------------------------------------------------------------- */
/* Names of states                                                         */

static const char *const campaign_state_names[] = {
	[RO_CAMPAIGN_PLANNED] = "planned", [RO_CAMPAIGN_RUNNING] = "running",
	[RO_CAMPAIGN_HALTED] = "halted", [RO_CAMPAIGN_DONE] = "done",
	[RO_CAMPAIGN_FAILED] = "failed", [RO_CAMPAIGN_CANCELLED] = "cancelled",
};
static const char *const wave_state_names[] = {
	[RO_WAVE_PENDING] = "pending", [RO_WAVE_AWAITING_APPROVAL] = "awaiting-approval",
	[RO_WAVE_APPROVED] = "approved", [RO_WAVE_RUNNING] = "running",
	[RO_WAVE_DONE] = "done", [RO_WAVE_FAILED] = "failed", [RO_WAVE_HALTED] = "halted",
};
static const char *const host_state_names[] = {
	[RO_HOST_PENDING] = "pending", [RO_HOST_RUNNING] = "running",
	[RO_HOST_DONE] = "done", [RO_HOST_FAILED] = "failed", [RO_HOST_SKIPPED] = "skipped",
};
static const char *const step_status_names[] = {
	[RO_STEP_OK] = "ok", [RO_STEP_FAILED] = "failed", [RO_STEP_SKIPPED] = "skipped",
	[RO_STEP_TIMEOUT] = "timeout", [RO_STEP_UNREACHABLE] = "unreachable",
};

static const char *
name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n || names[v] == NULL)
		return "?";
	return names[v];
}

static int
parse_name(const char *const *names, size_t n, const char *s, int *out)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return RO_EINVAL;
}

#define NAME_FNS(kind, type, names)                                              \
	const char *ro_##kind##_name(type s)                                     \
	{                                                                        \
		return name_of(names, RO_NELEM(names), (int)s);                  \
	}                                                                        \
	int ro_##kind##_parse(const char *name, type *out)                       \
	{                                                                        \
		int v = 0, rc = parse_name(names, RO_NELEM(names), name, &v);    \
		if (rc == 0)                                                     \
			*out = (type)v;                                          \
		return rc;                                                       \
	}

NAME_FNS(campaign_state, enum ro_campaign_state, campaign_state_names)
NAME_FNS(wave_state, enum ro_wave_state, wave_state_names)
NAME_FNS(host_state, enum ro_host_state, host_state_names)
NAME_FNS(step_status, enum ro_step_status, step_status_names)

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

/* convert maps an SQLite result code to the project's codes: success, the
 * constraint codes by their extended code, the rest by their primary one. */
static int
convert(int src)
{
	switch (src) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return RO_EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return RO_ENOENT;
	case SQLITE_CONSTRAINT_TRIGGER:
		return RO_ESTATE;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return RO_EINVAL;
	}
	switch (src & 0xff) {
	case SQLITE_NOMEM:
		return RO_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RO_ELOCKED;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return RO_EIO;
	}
	return RO_ESTORE;
}

/* fail records a sentence for the person (in *cause and st->errmsg) and
 * returns rc, so that checks read `return fail(st, cause, RO_ESTATE, ...)`. */
static int fail(struct ro_store *st, char **cause, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct ro_store *st, char **cause, int rc, const char *fmt, ...)
{
	struct ro_buf b;
	va_list ap;

	assert(rc < 0);
	ro_buf_init(&b);
	va_start(ap, fmt);
	ro_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(st->errmsg);
	st->errmsg = ro_xstrdup(b.p);
	/* *cause is assigned, never freed: it belongs to the caller, who may
	 * have freed an earlier message without clearing the pointer. Every
	 * failing path calls fail() once, so nothing is overwritten. */
	if (cause != NULL)
		*cause = b.p;
	else
		ro_buf_free(&b);
	return rc;
}

/* sqlfail converts an SQLite failure and says what was being done. */
static int
sqlfail(struct ro_store *st, char **cause, int src, const char *doing)
{
	int rc = convert(src);

	if (rc == 0)
		rc = RO_ESTORE;
	if (rc == RO_ELOCKED)
		return fail(st, cause, rc, "%s: %s: the store is locked by another "
		    "rollout process; try again when it has finished", st->path, doing);
	return fail(st, cause, rc, "%s: %s: %s", st->path, doing, sqlite3_errmsg(st->db));
}

/* ---------------------------------------------------------------------- */
/* Statements and binding                                                  */

/* stmt returns the cached statement id, reset and unbound, or NULL. */
static sqlite3_stmt *
stmt(struct ro_store *st, enum sql_id id)
{
	sqlite3_stmt *s = st->stmts[id];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
		    &s, NULL) != SQLITE_OK)
			return NULL;
		st->stmts[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void
bind_time(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == RO_STORE_NO_TIME)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t == NULL ? NULL : ro_xstrdup((const char *)t);
}

static int64_t
col_time(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return RO_STORE_NO_TIME;
	return sqlite3_column_int64(s, i);
}

/* done runs a statement that returns no rows, then resets it. */
static int
done(sqlite3_stmt *s)
{
	int src = sqlite3_step(s);

	sqlite3_reset(s);
	return src == SQLITE_DONE ? SQLITE_OK : src;
}

/* prep gets the cached statement id into *s; when it cannot, it says what
 * was being done and returns the failure. */
static int
prep(struct ro_store *st, enum sql_id id, sqlite3_stmt **s, char **cause,
    const char *doing)
{
	int rc = 0;

	if ((*s = stmt(st, id)) == NULL)
		rc = sqlfail(st, cause, sqlite3_errcode(st->db), doing);
	return rc;
}

static int
exec(struct ro_store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* exec_q runs one of the cached statements that return no rows. */
static int
exec_q(struct ro_store *st, enum sql_id id)
{
	sqlite3_stmt *s = stmt(st, id);

	return s == NULL ? sqlite3_errcode(st->db) : done(s);
}

static int64_t
now(struct ro_store *st)
{
	return st->now(st->now_ctx);
}

static int64_t
clock_default(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* ---------------------------------------------------------------------- */
/* Lists                                                                   */

/*
 * How collect_rows builds one kind of list: the size of an element, how many
 * the first allocation holds, map (fills a zeroed new element from the
 * current row), fold (may be NULL: adds the row to the last element and
 * returns 1 when the row belongs there, else returns 0) and clear (frees
 * what one element owns). ctx is the list function's, passed through.
 */
struct row_kind {
	size_t size;
	size_t first;
	void (*map)(sqlite3_stmt *s, void *elem, void *ctx);
	int (*fold)(sqlite3_stmt *s, void *last, void *ctx);
	void (*clear)(void *elem);
};

/* free_rows clears the n elements of v, a list of kind k, and frees v. */
static void
free_rows(void *v, size_t n, const struct row_kind *k)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		k->clear((char *)v + i * k->size);
	free(v);
}

/*
 * collect_rows steps s (bound, or NULL when it could not be prepared) to its
 * end and returns the rows as a list of kind k in *out and *n; NULL and 0
 * when there are none or on failure, which frees what was built and says
 * what was being done. It leaves s reset.
 */
static int
collect_rows(struct ro_store *st, sqlite3_stmt *s, const struct row_kind *k, void *ctx,
    void **out, size_t *n, const char *doing)
{
	char *v = NULL;
	size_t len = 0, cap = 0;
	int src, rc = 0;

	*out = NULL;
	*n = 0;
	if (s == NULL) {
		rc = sqlfail(st, NULL, sqlite3_errcode(st->db), doing);
		goto out;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (len > 0 && k->fold != NULL && k->fold(s, v + (len - 1) * k->size, ctx))
			continue;
		if (len == cap) {
			cap = cap ? 2 * cap : k->first;
			v = ro_xrealloc(v, cap * k->size);
		}
		memset(v + len * k->size, 0, k->size);
		k->map(s, v + len * k->size, ctx);
		len++;
	}
	if (src != SQLITE_DONE) {
		rc = sqlfail(st, NULL, src, doing);
		free_rows(v, len, k);
	} else {
		*out = v;
		*n = len;
	}
	sqlite3_reset(s);
out:
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Transactions                                                            */

/*
 * wtx_begin opens the write scope of one public call: a transaction of its
 * own (BEGIN IMMEDIATE, so the write lock is taken up front and a waiting
 * writer goes through the busy handler instead of failing on upgrade), or a
 * savepoint inside the caller's ro_store_begin. *owned says which.
 */
static int
wtx_begin(struct ro_store *st, int *owned, char **cause)
{
	int src;

	if (st->tx == TX_READ)
		return fail(st, cause, RO_ESTATE, "%s: a write was attempted inside a read "
		    "transaction (ro_store_begin_read); this is a bug in rollout", st->path);
	*owned = st->tx == TX_NONE;
	src = exec_q(st, *owned ? Q_BEGIN_IMMEDIATE : Q_SAVEPOINT);
	if (src != SQLITE_OK)
		return sqlfail(st, cause, src, "starting a write");
	return 0;
}

/* wtx_end commits the scope when rc is 0 and rolls it back otherwise;
 * returns rc, or the commit's failure. */
static int
wtx_end(struct ro_store *st, int owned, int rc, char **cause)
{
	int src;

	if (owned) {
		if (rc == 0) {
			src = exec_q(st, Q_COMMIT);
			if (src != SQLITE_OK) {
				rc = sqlfail(st, cause, src, "committing");
				exec(st, "ROLLBACK");
			}
		} else
			exec(st, "ROLLBACK");
	} else {
		if (rc != 0)
			exec_q(st, Q_ROLLBACK_TO);
		exec_q(st, Q_RELEASE);
	}
	return rc;
}

int
ro_store_begin(struct ro_store *st)
{
	int src;

	if (st->tx != TX_NONE)
		return fail(st, NULL, RO_ESTATE, "%s: a transaction is already open", st->path);
	src = exec(st, "BEGIN IMMEDIATE");
	if (src != SQLITE_OK)
		return sqlfail(st, NULL, src, "starting a transaction");
	st->tx = TX_WRITE;
	return 0;
}

int
ro_store_begin_group(struct ro_store *st)
{
	int rc = ro_store_begin(st);

	if (rc == 0)
		st->tx = TX_GROUP;
	return rc;
}

int
ro_store_begin_read(struct ro_store *st)
{
	int src;

	if (st->tx != TX_NONE)
		return fail(st, NULL, RO_ESTATE, "%s: a transaction is already open", st->path);
	/* BEGIN is deferred: the snapshot is taken by the first read, so make
	 * one now and every later read sees the same database. */
	src = exec(st, "BEGIN; SELECT count(*) FROM sqlite_schema");
	if (src != SQLITE_OK) {
		exec(st, "ROLLBACK");
		return sqlfail(st, NULL, src, "starting a read transaction");
	}
	st->tx = TX_READ;
	return 0;
}

int
ro_store_commit(struct ro_store *st)
{
	int src;

	if (st->tx == TX_NONE)
		return fail(st, NULL, RO_ESTATE, "%s: commit without a transaction", st->path);
	src = exec(st, "COMMIT");
	if (src != SQLITE_OK) {
		int rc = sqlfail(st, NULL, src, "committing");
		exec(st, "ROLLBACK");
		st->tx = TX_NONE;
		return rc;
	}
	st->tx = TX_NONE;
	return 0;
}

int
ro_store_rollback(struct ro_store *st)
{
	if (st->tx == TX_NONE)
		return 0;
	exec(st, "ROLLBACK");
	st->tx = TX_NONE;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Journal                                                                 */

#define HASH_HEX 64
static const char genesis_hash[HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* decimal writes v in decimal into buf (24 bytes) as "%" PRId64 would:
 * snprintf was about 7 % of a long journal's verification. */
static const char *
decimal(int64_t v, char buf[24])
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *p = buf + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

/*
 * journal_hash computes a record's hash (docs/STORE.md, "Journal"): the
 * SHA-256 of its fields, each encoded as a tag (0x00 for NULL, 0x01 for a
 * string) and, for a string, its length as 8 big-endian bytes and its
 * bytes. Lengths make the encoding unambiguous ("ab"+"c" differs from
 * "a"+"bc") and the tag tells NULL from "". engine/jhash.c does the
 * encoding and the hashing.
 */
static int
journal_hash(struct ro_store *st, const char *prev, int64_t seq, int64_t at,
    const char *campaign, const char *kind, const char *actor, const char *detail,
    char out[HASH_HEX + 1])
{
	unsigned char md[RO_JHASH_BYTES];
	char snum[24], anum[24];
	const char *f[8];

	f[0] = "rollout-journal-v1";
	f[1] = prev;
	f[2] = decimal(seq, snum);
	f[3] = decimal(at, anum);
	f[4] = campaign;
	f[5] = kind;
	f[6] = actor;
	f[7] = detail;
	if (ro_jhash_fields(st->jh, f, 8, md) != 0)
		return RO_ESTORE;
	ro_jhash_hex(md, out);
	return 0;
}

/*
 * journal_mac computes a record's MAC: HMAC-SHA-256 under the journal key
 * over the fields "rollout-journal-mac-v1" and the record's hash (encoded
 * as for the hash). The hash commits to the record and to every record
 * before it, so each MAC vouches for the chain up to its record.
 */
static int
journal_mac(struct ro_store *st, const char *hash, char out[HASH_HEX + 1])
{
	unsigned char md[RO_JHASH_BYTES];
	const char *f[2] = { "rollout-journal-mac-v1", hash };

	if (ro_jhash_mac(st->jh, f, 2, md) != 0)
		return RO_ESTORE;
	ro_jhash_hex(md, out);
	return 0;
}

/*
 * journal_append_at adds one record dated at. It assumes a write
 * transaction is open, which makes reading the chain's head and appending
 * to it one atomic step even with another process writing. Callers that
 * also write a row pass the time they wrote into it, so that `rollout audit
 * verify` can match the row with its record exactly.
 */
static int
journal_append_at(struct ro_store *st, int64_t at, const char *campaign, const char *kind,
    const char *actor, const char *detail, char **cause)
{
	sqlite3_stmt *s;
	char prev[HASH_HEX + 1], hash[HASH_HEX + 1], mac[HASH_HEX + 1];
	int64_t seq = 1;
	int src, rc;

	assert(!sqlite3_get_autocommit(st->db));
	if (kind == NULL || *kind == '\0')
		return fail(st, cause, RO_EINVAL, "journal record without a kind");
	if (actor == NULL)
		actor = st->actor;
	/* Checked here rather than by a CHECK constraint: with trusted_schema
	 * off, the schema may not call json_valid(). */
	if (detail != NULL) {
		if ((rc = prep(st, Q_JSON_OBJECT, &s, cause, "checking a journal detail")) != 0)
			return rc;
		bind_text(s, 1, detail);
		src = sqlite3_step(s);
		if (src != SQLITE_ROW || sqlite3_column_int(s, 0) != 1) {
			sqlite3_reset(s);
			return fail(st, cause, RO_EINVAL, "journal record %s: the detail is not a "
			    "JSON object; this is a bug in rollout", kind);
		}
		sqlite3_reset(s);
	}
	memcpy(prev, genesis_hash, sizeof prev);
	if ((rc = prep(st, Q_JOURNAL_LAST, &s, cause, "reading the journal")) != 0)
		return rc;
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);
		seq = sqlite3_column_int64(s, 0) + 1;
		if (h == NULL || strlen((const char *)h) != HASH_HEX) {
			sqlite3_reset(s);
			return fail(st, cause, RO_ESTORE, "%s: the journal's last record has a "
			    "malformed hash; run `rollout audit verify` to check the journal",
			    st->path);
		}
		memcpy(prev, h, sizeof prev);
	} else if (src != SQLITE_DONE) {
		sqlite3_reset(s);
		return sqlfail(st, cause, src, "reading the journal");
	}
	sqlite3_reset(s);

	if (journal_hash(st, prev, seq, at, campaign, kind, actor, detail, hash) != 0)
		return fail(st, cause, RO_ESTORE, "libcrypto could not compute a journal hash");
	if (st->has_mac) {
		if ((rc = prep(st, Q_JOURNAL_INSERT, &s, cause, "appending to the journal")) != 0)
			return rc;
	} else {
		/* A migration older than the mac column: the cached statement
		 * names a column that does not exist yet. */
		src = sqlite3_prepare_v2(st->db, "INSERT INTO journal (seq, at, campaign, kind,"
		    " actor, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &s,
		    NULL);
		if (src != SQLITE_OK)
			return sqlfail(st, cause, src, "appending to the journal");
	}
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, at);
	bind_text(s, 3, campaign);
	bind_text(s, 4, kind);
	bind_text(s, 5, actor);
	bind_text(s, 6, detail);
	bind_text(s, 7, prev);
	bind_text(s, 8, hash);
	if (st->has_mac) {
		if (st->keyed && seq > st->unkeyed_through) {
			if (journal_mac(st, hash, mac) != 0) {
				sqlite3_reset(s);
				return fail(st, cause, RO_ESTORE, "libcrypto could not compute a "
				    "journal MAC");
			}
			bind_text(s, 9, mac);
		} else
			sqlite3_bind_null(s, 9);
		src = done(s);
	} else {
		src = sqlite3_step(s);
		src = src == SQLITE_DONE ? SQLITE_OK : src;
		sqlite3_finalize(s);
	}
	if (src != SQLITE_OK)
		return sqlfail(st, cause, src, "appending to the journal");
	return 0;
}

static int
journal_append(struct ro_store *st, const char *campaign, const char *kind,
    const char *actor, const char *detail, char **cause)
{
	return journal_append_at(st, now(st), campaign, kind, actor, detail, cause);
}

int
ro_store_journal(struct ro_store *st, const char *campaign, const char *kind,
    const char *actor, const char *detail)
{
	int owned, rc;

	if ((rc = wtx_begin(st, &owned, NULL)) != 0)
		return rc;
	rc = journal_append(st, campaign, kind, actor, detail, NULL);
	return wtx_end(st, owned, rc, NULL);
}

/* ---------------------------------------------------------------------- */
/* The journal key                                                         */

#define JKEY_MAGIC "rollout-journal-key-v1"
#define JKEY_MAX 512

/* key_path is the journal key's path: journal.key beside the store. */
static char *
key_path(const struct ro_store *st)
{
	const char *slash = strrchr(st->path, '/');

	if (slash == NULL)
		return ro_xstrdup(RO_JOURNAL_KEY_FILE);
	return ro_xasprintf("%.*s/%s", (int)(slash - st->path), st->path, RO_JOURNAL_KEY_FILE);
}

/*
 * key_read loads the key file at path into st. Returns 0, RO_ENOENT when
 * there is none, or another error with *cause set. A key that others can
 * read is refused, as OpenSSH refuses such a private key: whoever holds it
 * can re-chain the journal unnoticed (short of an exported head).
 */
static int
key_read(struct ro_store *st, const char *path, char **cause)
{
	char buf[JKEY_MAX + 1], hex[HASH_HEX + 1];
	struct stat sb;
	long long through;
	ssize_t n;
	size_t len = 0;
	int fd, rc = 0, end = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return RO_ENOENT;
		return fail(st, cause, RO_EIO, "%s: cannot open the journal key: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = fail(st, cause, RO_ESTORE, "%s: the journal key is not a regular file; "
		    "move it away and restore the real one from backup", path);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		rc = fail(st, cause, RO_ESTORE, "%s: the journal key is accessible by others "
		    "(mode %04o); whoever can read it can rewrite the journal unnoticed. Run "
		    "`chmod 600 %s` and consider the journal since then unproven (check it "
		    "against an exported head: rollout audit verify --head)", path,
		    (unsigned)(sb.st_mode & 07777), path);
		goto out;
	}
	while (len < JKEY_MAX && (n = read(fd, buf + len, JKEY_MAX - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	if (len == JKEY_MAX || sscanf(buf, JKEY_MAGIC "\nkey=%64[0-9a-f]\nunkeyed-through=%lld\n%n",
	    hex, &through, &end) != 2 || end != (int)len || strlen(hex) != HASH_HEX ||
	    through < 0 || !ro_unhex(hex, st->jkey, sizeof st->jkey)) {
		rc = fail(st, cause, RO_ESTORE, "%s: the journal key is damaged (expected the "
		    "three lines rollout writes: " JKEY_MAGIC ", key=<64 hex>, unkeyed-through=N); "
		    "restore it from backup", path);
		goto out;
	}
	st->unkeyed_through = through;
	if (ro_jhash_set_key(st->jh, st->jkey, sizeof st->jkey) != 0)
		rc = fail(st, cause, RO_ESTORE, "libcrypto could not key the journal's HMAC");
	else
		st->keyed = 1;
	/* Only the HMAC state after the key is kept. */
	sodium_memzero(st->jkey, sizeof st->jkey);
out:
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(hex, sizeof hex);
	close(fd);
	return rc;
}

/*
 * key_create makes a new journal key under the store's write lock, so the
 * number of records it does not cover (those already written) cannot change
 * while it is made. It is written to a temporary file and linked into place,
 * so a crash leaves either no key or a whole one. Refused when the journal
 * already has MACs: the key they were made with was lost or removed, and a
 * new one would let whoever removed it rewrite the journal unnoticed.
 */
static int
key_create(struct ro_store *st, const char *path, char **cause)
{
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
	char hex[HASH_HEX + 1], *tmp = NULL, *text = NULL;
	sqlite3_stmt *s = NULL;
	int64_t last = 0, macs = 0;
	int fd = -1, src, rc = 0, locked = 0;

	if ((src = exec(st, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return sqlfail(st, cause, src, "creating the journal key");
	locked = 1;
	/* Another process may have made it while this one waited for the lock. */
	if ((rc = key_read(st, path, cause)) != RO_ENOENT)
		goto out;
	rc = 0;
	src = sqlite3_prepare_v2(st->db, "SELECT coalesce(max(seq), 0), count(mac) FROM journal",
	    -1, &s, NULL);
	if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		macs = sqlite3_column_int64(s, 1);
		src = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (src != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "reading the journal");
		goto out;
	}
	if (macs > 0) {
		rc = fail(st, cause, RO_ESTORE, "%s: the journal key is missing, but %" PRId64
		    " journal records were sealed with it. Restore %s from backup; rollout will "
		    "not make a new key, since that would let whoever removed the old one "
		    "rewrite the journal unnoticed", path, macs, RO_JOURNAL_KEY_FILE);
		goto out;
	}
	randombytes_buf(key, sizeof key);
	sodium_bin2hex(hex, sizeof hex, key, sizeof key);
	text = ro_xasprintf(JKEY_MAGIC "\nkey=%s\nunkeyed-through=%" PRId64 "\n", hex, last);
	tmp = ro_xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a crash: under the write lock nobody else is making one. */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fsync(fd) != 0 || link(tmp, path) != 0) {
		rc = fail(st, cause, RO_EIO, "%s: cannot write the journal key: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = key_read(st, path, cause);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (locked)
		exec(st, "COMMIT");
	if (text != NULL)
		sodium_memzero(text, strlen(text));
	sodium_memzero(key, sizeof key);
	sodium_memzero(hex, sizeof hex);
	free(text);
	free(tmp);
	return rc;
}

/* journal_key_load reads the journal key, making it on first use when
 * make_key is set (otherwise the store stays unkeyed: MACs are not checked). */
static int
journal_key_load(struct ro_store *st, int make_key, char **cause)
{
	char *path = key_path(st);
	int rc = key_read(st, path, cause);

	if (rc == RO_ENOENT)
		rc = make_key ? key_create(st, path, cause) : 0;
	free(path);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Verifying the journal                                                   */

/* parse_head splits an exported head, "HASH" or "SEQ:HASH". */
static int
parse_head(const char *head, int64_t *seq, char hash[HASH_HEX + 1])
{
	const char *colon = strchr(head, ':'), *h = head;
	size_t i;

	*seq = 0;
	if (*h == '#')
		h++;
	if (colon != NULL) {
		char *end;
		long long v = strtoll(h, &end, 10);
		if (end != colon || v < 1)
			return RO_EINVAL;
		*seq = v;
		h = colon + 1;
	}
	if (strlen(h) != HASH_HEX)
		return RO_EINVAL;
	for (i = 0; i < HASH_HEX; i++) {
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f') ||
		    (h[i] >= 'A' && h[i] <= 'F')))
			return RO_EINVAL;
		hash[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a' : h[i]);
	}
	hash[HASH_HEX] = '\0';
	return 0;
}

int
ro_store_journal_verify_head(struct ro_store *st, const char *head,
    struct ro_journal_check *res, char **cause)
{
	sqlite3_stmt *s;
	char prev[HASH_HEX + 1], want[HASH_HEX + 1], mac[HASH_HEX + 1];
	char anchor[HASH_HEX + 1];
	int64_t expect_seq = 1, anchor_seq = 0;
	int rc = 0, src, own_read = 0;
	const char *why = NULL;

	memset(res, 0, sizeof *res);
	res->keyed = st->keyed;
	res->unkeyed_through = st->unkeyed_through;
	memcpy(prev, genesis_hash, sizeof prev);
	if (head != NULL && parse_head(head, &anchor_seq, anchor) != 0)
		return fail(st, cause, RO_EINVAL, "--head takes the 64 hex characters of an "
		    "exported head (or SEQ:HASH), as `rollout audit head` prints it; got '%s'",
		    head);
	/* Read one snapshot, so that an engine appending meanwhile does not
	 * look like a broken chain. */
	if (st->tx == TX_NONE) {
		if ((rc = ro_store_begin_read(st)) != 0)
			return rc;
		own_read = 1;
	}
	if ((rc = prep(st, Q_JOURNAL_ALL, &s, cause, "reading the journal")) != 0)
		goto out;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *p = (const char *)sqlite3_column_text(s, 6);
		const char *h = (const char *)sqlite3_column_text(s, 7);
		const char *m = (const char *)sqlite3_column_text(s, 8);

		res->records++;
		if (journal_hash(st, prev, seq, sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3),
		    (const char *)sqlite3_column_text(s, 4),
		    (const char *)sqlite3_column_text(s, 5), want) != 0) {
			rc = fail(st, cause, RO_ESTORE, "libcrypto could not compute a journal "
			    "hash");
			break;
		}
		if (seq != expect_seq)
			why = "a record is missing";
		else if (p == NULL || strcmp(p, prev) != 0)
			why = "it does not link to the record before it";
		else if (h == NULL || strcmp(h, want) != 0)
			why = "its contents do not match its hash";
		else if (!st->keyed && m != NULL)
			res->macs_unchecked++;
		else if (st->keyed && seq > st->unkeyed_through) {
			if (journal_mac(st, h, mac) != 0) {
				rc = fail(st, cause, RO_ESTORE, "libcrypto could not compute a "
				    "journal MAC");
				break;
			}
			if (m == NULL || strlen(m) != HASH_HEX ||
			    sodium_memcmp(m, mac, HASH_HEX) != 0)
				why = "its MAC does not match: it was written or re-chained without "
				    "the journal key";
		}
		if (why != NULL) {
			res->broken_seq = seq > expect_seq ? expect_seq : seq;
			rc = fail(st, cause, RO_EINVAL, "%s: journal record %" PRId64 " does not "
			    "verify (%s); the journal was altered outside rollout at or after this "
			    "record", st->path, res->broken_seq, why);
			break;
		}
		if (head != NULL && (anchor_seq == 0 || seq == anchor_seq) &&
		    strcmp(h, anchor) == 0)
			res->head_found = seq;
		memcpy(prev, h, sizeof prev);
		memcpy(res->head, h, sizeof res->head);
		res->head_seq = seq;
		res->head_at = sqlite3_column_int64(s, 1);
		expect_seq = seq + 1;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqlfail(st, cause, src, "reading the journal");
	sqlite3_reset(s);
	if (rc == 0 && head != NULL && res->head_found == 0) {
		if (anchor_seq > res->head_seq)
			rc = fail(st, cause, RO_ESTATE, "%s: the exported head is record %" PRId64
			    " but the journal ends at record %" PRId64 ": records were removed from "
			    "its end since the head was exported", st->path, anchor_seq,
			    res->head_seq);
		else {
			char at_seq[32] = "";
			if (anchor_seq != 0)
				snprintf(at_seq, sizeof at_seq, " (record %" PRId64 ")", anchor_seq);
			rc = fail(st, cause, RO_ESTATE, "%s: the exported head %s%s is not in the "
			    "journal: records up to it were changed and the chain recomputed (or "
			    "were removed) since it was exported; this is not the journal the head "
			    "was taken from", st->path, anchor, at_seq);
		}
	}
out:
	if (own_read)
		ro_store_rollback(st);
	return rc;
}

int
ro_store_journal_verify(struct ro_store *st, struct ro_journal_check *res, char **cause)
{
	return ro_store_journal_verify_head(st, NULL, res, cause);
}

/*
 * The rows that must agree with the journal, one query per table. Each
 * query returns, for every row that has no journal record with the same
 * content (or, for state columns, whose value is not the one the latest
 * record set), a description of the row and what is wrong. Journal details
 * are read with json_extract into materialized tables, so each check is one
 * pass over the journal and an indexed join, not a scan per row. Times are
 * compared only for records written under the journal key (?1 is the last
 * record before it): older rollouts read the clock twice, for the row and
 * for its record.
 */
static const char *const audit_sql[] = {
	/* campaigns: created as campaign.create says; state as the last
	 * campaign.state record left it (planned if none). */
	"WITH c0 AS MATERIALIZED (SELECT seq, campaign, at, actor,"
	"   json_extract(detail, '$.title') AS title,"
	"   json_extract(detail, '$.playbooks') AS playbooks,"
	"   json_extract(detail, '$.plan_hash') AS plan_hash,"
	"   json_extract(detail, '$.inventory_hash') AS inventory_hash"
	"   FROM journal WHERE kind = 'campaign.create'),"
	" s0 AS MATERIALIZED (SELECT campaign, json_extract(detail, '$.to') AS st, max(seq)"
	"   FROM journal WHERE kind = 'campaign.state' GROUP BY campaign)"
	" SELECT 'campaigns', 'campaign ' || c.id,"
	"  CASE WHEN NOT EXISTS (SELECT 1 FROM c0 WHERE c0.campaign = c.id AND c0.title IS c.title"
	"    AND c0.playbooks IS c.playbooks AND c0.plan_hash IS c.plan_hash"
	"    AND c0.inventory_hash IS c.inventory_hash AND c0.actor IS c.created_by"
	"    AND (c0.seq <= ?1 OR c0.at IS c.created_at))"
	"  THEN 'has no campaign.create journal record with the same content'"
	"  ELSE 'is ' || c.state || ' but the journal leaves it ' || coalesce(s0.st, 'planned') END"
	" FROM campaigns c LEFT JOIN s0 ON s0.campaign = c.id"
	" WHERE NOT EXISTS (SELECT 1 FROM c0 WHERE c0.campaign = c.id AND c0.title IS c.title"
	"    AND c0.playbooks IS c.playbooks AND c0.plan_hash IS c.plan_hash"
	"    AND c0.inventory_hash IS c.inventory_hash AND c0.actor IS c.created_by"
	"    AND (c0.seq <= ?1 OR c0.at IS c.created_at))"
	"  OR c.state IS NOT coalesce(s0.st, 'planned')"
	" ORDER BY c.id",
	/* waves: added as wave.add says; state as the last wave.state left it. */
	"WITH a0 AS MATERIALIZED (SELECT campaign,"
	"   CAST(json_extract(detail, '$.wave') AS INTEGER) AS idx,"
	"   json_extract(detail, '$.name') AS name, json_extract(detail, '$.gated') AS gated,"
	"   json_extract(detail, '$.failure_budget') AS budget"
	"   FROM journal WHERE kind = 'wave.add'),"
	" s0 AS MATERIALIZED (SELECT campaign,"
	"   CAST(json_extract(detail, '$.wave') AS INTEGER) AS idx,"
	"   json_extract(detail, '$.to') AS st, max(seq)"
	"   FROM journal WHERE kind = 'wave.state' GROUP BY campaign, idx)"
	" SELECT 'waves', 'campaign ' || w.campaign || ' wave ' || (w.idx + 1),"
	"  CASE WHEN a0.campaign IS NULL"
	"  THEN 'has no wave.add journal record with the same content'"
	"  ELSE 'is ' || w.state || ' but the journal leaves it ' || coalesce(s0.st, 'pending') END"
	" FROM waves w"
	" LEFT JOIN a0 ON a0.campaign = w.campaign AND a0.idx = w.idx AND a0.name IS w.name"
	"   AND a0.gated = w.gated AND a0.budget = w.failure_budget"
	" LEFT JOIN s0 ON s0.campaign = w.campaign AND s0.idx = w.idx"
	" WHERE a0.campaign IS NULL OR w.state IS NOT coalesce(s0.st, 'pending')"
	" ORDER BY w.campaign, w.idx",
	/* campaign_hosts: added as host.add says; state and reason as the last
	 * host.state left them. */
	"WITH a0 AS MATERIALIZED (SELECT campaign,"
	"   CAST(json_extract(detail, '$.host') AS TEXT) AS host,"
	"   json_extract(detail, '$.site') AS site, json_extract(detail, '$.address') AS address,"
	"   CAST(json_extract(detail, '$.wave') AS INTEGER) AS wave"
	"   FROM journal WHERE kind = 'host.add'),"
	" s0 AS MATERIALIZED (SELECT campaign,"
	"   CAST(json_extract(detail, '$.host') AS TEXT) AS host,"
	"   json_extract(detail, '$.to') AS st, json_extract(detail, '$.reason') AS reason,"
	"   max(seq)"
	"   FROM journal WHERE kind = 'host.state' GROUP BY campaign, host)"
	" SELECT 'campaign_hosts', 'campaign ' || h.campaign || ' host ' || h.host,"
	"  CASE WHEN a0.campaign IS NULL"
	"  THEN 'has no host.add journal record with the same content'"
	"  WHEN h.state IS NOT coalesce(s0.st, 'pending')"
	"  THEN 'is ' || h.state || ' but the journal leaves it ' || coalesce(s0.st, 'pending')"
	"  ELSE 'has a reason the journal does not record' END"
	" FROM campaign_hosts h"
	" LEFT JOIN a0 ON a0.campaign = h.campaign AND a0.host = h.host AND a0.site IS h.site"
	"   AND a0.address IS h.address AND a0.wave = h.wave"
	" LEFT JOIN s0 ON s0.campaign = h.campaign AND s0.host = h.host"
	" WHERE a0.campaign IS NULL OR h.state IS NOT coalesce(s0.st, 'pending')"
	"   OR h.reason IS NOT s0.reason"
	" ORDER BY h.campaign, h.host",
	/* approvals: each one is a wave.state (or, for a refusal or a second
	 * decision on an approved wave, an approval.*) record that names it,
	 * with the same signature. */
	"WITH j AS MATERIALIZED (SELECT seq, campaign, at,"
	"   CAST(json_extract(detail, '$.approval') AS INTEGER) AS id,"
	"   CAST(json_extract(detail, '$.wave') AS INTEGER) AS wave,"
	"   json_extract(detail, '$.approver') AS approver,"
	"   json_extract(detail, '$.comment') AS comment,"
	"   json_extract(detail, '$.plan_hash') AS plan_hash,"
	"   json_extract(detail, '$.signature') AS signature"
	"   FROM journal WHERE kind IN ('wave.state', 'approval.approve', 'approval.refuse')"
	"   AND json_extract(detail, '$.approval') IS NOT NULL)"
	" SELECT 'approvals', 'approval ' || a.id || ' (campaign ' || a.campaign || ' wave '"
	"  || (a.wave + 1) || ')', 'has no journal record with the same content'"
	" FROM approvals a WHERE NOT EXISTS (SELECT 1 FROM j WHERE j.id = a.id"
	"   AND j.campaign IS a.campaign AND j.wave = a.wave AND j.approver IS a.approver"
	"   AND j.comment IS a.comment AND j.plan_hash IS a.plan_hash"
	"   AND j.signature IS a.signature"
	"   AND (j.seq <= ?1 OR j.at = a.approved_at))"
	" UNION ALL SELECT 'approvals', 'approval ' || j.id || ' (campaign ' || j.campaign"
	"  || ' wave ' || (j.wave + 1) || ')', 'is in the journal but not in the table (deleted)'"
	" FROM j WHERE NOT EXISTS (SELECT 1 FROM approvals a WHERE a.id = j.id)",
	/* step_intents: each one is a step.intent record. */
	"WITH j AS MATERIALIZED (SELECT seq, campaign, at, actor,"
	"   CAST(json_extract(detail, '$.intent') AS INTEGER) AS id,"
	"   CAST(json_extract(detail, '$.host') AS TEXT) AS host,"
	"   json_extract(detail, '$.step') AS step,"
	"   json_extract(detail, '$.name') AS name, json_extract(detail, '$.attempt') AS attempt"
	"   FROM journal WHERE kind = 'step.intent')"
	" SELECT 'step_intents', 'intent ' || i.id || ' (campaign ' || i.campaign || ' host '"
	"  || i.host || ' step ' || i.step_idx || ' attempt ' || i.attempt || ')',"
	"  'has no journal record with the same content'"
	" FROM step_intents i WHERE NOT EXISTS (SELECT 1 FROM j WHERE j.id = i.id"
	"   AND j.campaign IS i.campaign AND j.host IS i.host AND j.step = i.step_idx"
	"   AND j.name IS i.step_name AND j.attempt = i.attempt"
	"   AND (j.seq <= ?1 OR j.at = i.started_at)"
	"   AND j.actor IS i.actor)"
	" UNION ALL SELECT 'step_intents', 'intent ' || j.id || ' (campaign ' || j.campaign"
	"  || ' host ' || j.host || ')', 'is in the journal but not in the table (deleted)'"
	" FROM j WHERE NOT EXISTS (SELECT 1 FROM step_intents i WHERE i.id = j.id)",
	/* step_outcomes: each one is a step.outcome record. */
	"WITH j AS MATERIALIZED (SELECT seq, at,"
	"   CAST(json_extract(detail, '$.intent') AS INTEGER) AS id,"
	"   json_extract(detail, '$.status') AS status,"
	"   json_extract(detail, '$.exit_code') AS exit_code,"
	"   json_extract(detail, '$.detail') AS detail"
	"   FROM journal WHERE kind = 'step.outcome')"
	" SELECT 'step_outcomes', 'outcome of intent ' || o.intent || ' (' || o.status || ')',"
	"  'has no journal record with the same content'"
	" FROM step_outcomes o WHERE NOT EXISTS (SELECT 1 FROM j WHERE j.id = o.intent"
	"   AND j.status IS o.status AND j.exit_code IS o.exit_code AND j.detail IS o.detail"
	"   AND (j.seq <= ?1 OR j.at = o.finished_at))"
	" UNION ALL SELECT 'step_outcomes', 'outcome of intent ' || j.id,"
	"  'is in the journal but not in the table (deleted)'"
	" FROM j WHERE NOT EXISTS (SELECT 1 FROM step_outcomes o WHERE o.intent = j.id)",
	/* vault_counters: each as the last vault.counter record of its vault
	 * left it (a lowered or removed counter would let an old vault back). */
	"WITH j AS MATERIALIZED (SELECT at,"
	"   CAST(json_extract(detail, '$.vault_id') AS TEXT) AS vault_id,"
	"   json_extract(detail, '$.to') AS counter, max(seq) AS seq"
	"   FROM journal WHERE kind = 'vault.counter' GROUP BY vault_id)"
	" SELECT 'vault_counters', 'vault ' || v.vault_id || ' (counter ' || v.counter || ')',"
	"  'does not match the last vault.counter journal record of that vault'"
	" FROM vault_counters v WHERE NOT EXISTS (SELECT 1 FROM j WHERE j.vault_id = v.vault_id"
	"   AND j.counter = v.counter AND (j.seq <= ?1 OR j.at = v.updated_at))"
	" UNION ALL SELECT 'vault_counters', 'vault ' || j.vault_id || ' (counter ' || j.counter"
	"  || ')', 'is in the journal but not in the table (deleted)'"
	" FROM j WHERE NOT EXISTS (SELECT 1 FROM vault_counters v WHERE v.vault_id = j.vault_id)",
};

int
ro_store_audit_rows(struct ro_store *st, struct ro_audit_problem **out, size_t *n,
    char **cause)
{
	struct ro_audit_problem *v = NULL;
	size_t len = 0, cap = 0, i;
	sqlite3_stmt *s;
	int rc = 0, src, own_read = 0;

	*out = NULL;
	*n = 0;
	if (st->tx == TX_NONE) {
		if ((rc = ro_store_begin_read(st)) != 0)
			return rc;
		own_read = 1;
	}
	for (i = 0; i < RO_NELEM(audit_sql) && rc == 0; i++) {
		src = sqlite3_prepare_v2(st->db, audit_sql[i], -1, &s, NULL);
		if (src != SQLITE_OK) {
			rc = sqlfail(st, cause, src, "checking the tables against the journal");
			break;
		}
		if (sqlite3_bind_parameter_count(s) >= 1)
			sqlite3_bind_int64(s, 1, st->keyed ? st->unkeyed_through : INT64_MAX);
		while ((src = sqlite3_step(s)) == SQLITE_ROW) {
			if (len == cap) {
				cap = cap ? 2 * cap : 8;
				v = ro_xrealloc(v, cap * sizeof *v);
			}
			v[len].table = col_dup(s, 0);
			v[len].row = col_dup(s, 1);
			v[len].what = col_dup(s, 2);
			len++;
		}
		if (src != SQLITE_DONE)
			rc = sqlfail(st, cause, src, "checking the tables against the journal");
		sqlite3_finalize(s);
	}
	if (own_read)
		ro_store_rollback(st);
	if (rc != 0) {
		ro_audit_problems_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

void
ro_audit_problems_free(struct ro_audit_problem *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].table);
		free(v[i].row);
		free(v[i].what);
	}
	free(v);
}

/* ---------------------------------------------------------------------- */
/* Opening and migrating                                                   */

static int
user_version(struct ro_store *st, int *v)
{
	sqlite3_stmt *s;
	int src;

	src = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (src != SQLITE_OK)
		return src;
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		src = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return src;
}

static int
too_new(struct ro_store *st, int v, char **cause)
{
	return fail(st, cause, RO_ESTORE, "%s: the store has schema version %d but this "
	    "rollout knows versions up to %d; use the rollout that wrote it, or a newer one",
	    st->path, v, RO_STORE_SCHEMA_VERSION);
}

/* has_mac_column: whether the migration that adds journal.mac has run
 * (asked of the schema, so that renumbering migrations cannot break it). */
static int
has_mac_column(struct ro_store *st)
{
	sqlite3_stmt *s;
	int yes = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM pragma_table_info('journal')"
	    " WHERE name = 'mac'", -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		yes = sqlite3_column_int(s, 0) == 1;
	sqlite3_finalize(s);
	return yes;
}

/*
 * migrate brings the schema to RO_STORE_SCHEMA_VERSION, one migration per
 * transaction. The version is read again under the write lock, so two
 * processes opening a fresh store at once apply each migration once.
 */
static int
migrate(struct ro_store *st, char **cause)
{
	char sql[64], detail[64];
	int v = 0, src, rc;

	if ((src = user_version(st, &v)) != SQLITE_OK)
		return sqlfail(st, cause, src, "reading the schema version");
	if (v > RO_STORE_SCHEMA_VERSION)
		return too_new(st, v, cause);
	while (v < RO_STORE_SCHEMA_VERSION) {
		if ((src = exec(st, "BEGIN IMMEDIATE")) != SQLITE_OK)
			return sqlfail(st, cause, src, "starting a schema migration");
		if ((src = user_version(st, &v)) != SQLITE_OK) {
			rc = sqlfail(st, cause, src, "reading the schema version");
			goto abort;
		}
		if (v >= RO_STORE_SCHEMA_VERSION) {
			exec(st, "ROLLBACK");
			if (v > RO_STORE_SCHEMA_VERSION)
				return too_new(st, v, cause);
			break;
		}
		if ((src = exec(st, migrations[v])) != SQLITE_OK) {
			rc = sqlfail(st, cause, src, "applying a schema migration");
			goto abort;
		}
		st->has_mac = has_mac_column(st);
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if ((src = exec(st, sql)) != SQLITE_OK) {
			rc = sqlfail(st, cause, src, "setting the schema version");
			goto abort;
		}
		snprintf(detail, sizeof detail, "{\"from\":%d,\"to\":%d}", v, v + 1);
		if ((rc = journal_append(st, NULL, "store.migrate", NULL, detail, cause)) != 0)
			goto abort;
		if ((src = exec(st, "COMMIT")) != SQLITE_OK) {
			rc = sqlfail(st, cause, src, "committing a schema migration");
			goto abort;
		}
		v++;
	}
	st->has_mac = has_mac_column(st);
	return 0;
abort:
	exec(st, "ROLLBACK");
	return rc;
}

/* pragma_text runs a pragma and checks the text it returns. */
static int
pragma_expect(struct ro_store *st, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	int src, ok = 0;

	src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (src != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *got = (const char *)sqlite3_column_text(s, 0);
		ok = got != NULL && strcmp(got, want) == 0;
	}
	sqlite3_finalize(s);
	return ok;
}

/*
 * wal_on switches the store to WAL mode. Two processes opening a brand-new
 * store at once (`rollout run` and `status --wait-gate` from the demo's
 * second shell) race for the switch: the loser gets SQLITE_BUSY at once,
 * without the busy handler, so it tries again for up to ten seconds.
 */
static int
wal_on(struct ro_store *st)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	int tries;

	for (tries = 0; tries < 500; tries++) {
		if (pragma_expect(st, "PRAGMA journal_mode = WAL", "wal"))
			return 1;
		if ((sqlite3_errcode(st->db) & 0xff) != SQLITE_BUSY &&
		    (sqlite3_errcode(st->db) & 0xff) != SQLITE_LOCKED)
			return 0;
		nanosleep(&pause, NULL);
	}
	return 0;
}

static char *
login_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return ro_xstrdup(pw != NULL && pw->pw_name != NULL ? pw->pw_name : "unknown");
}

/* open_store opens path; make_key 0 leaves a missing journal key missing
 * (ro_store_open_audit), 1 makes it (everything else). */
static int
open_store(const char *path, int make_key, struct ro_store **out, char **cause)
{
	struct ro_store *st;
	int rc = 0, src, fd;

	*out = NULL;
	if (sodium_init() < 0) {
		if (cause != NULL)
			*cause = ro_xstrdup("libsodium could not be initialised");
		return RO_ESTORE;
	}
	st = ro_xcalloc(1, sizeof *st);
	if ((st->jh = ro_jhash_new()) == NULL) {
		free(st);
		if (cause != NULL)
			*cause = ro_xstrdup("libcrypto has no SHA-256 for the journal");
		return RO_ESTORE;
	}
	st->path = ro_xstrdup(path);
	st->now = clock_default;
	st->actor = login_name();

	/* Create the file ourselves so that it (and, after it, the -wal and
	 * -shm files SQLite makes with the same mode) is private to the user:
	 * the journal names hosts, addresses and people. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = fail(st, cause, RO_EIO, "%s: cannot open the store: %s; check that the "
		    "state directory exists and is writable", path, strerror(errno));
		goto out;
	}
	close(fd);

	src = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	if (src != SQLITE_OK) {
		rc = st->db == NULL ? fail(st, cause, RO_ENOMEM, "%s: out of memory", path) :
		    sqlfail(st, cause, src, "opening the store");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 10000);
	/* Defensive mode forbids writable_schema and similar ways for SQL to
	 * corrupt the file; the store runs only its own SQL, so nothing is lost. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

	if (!wal_on(st)) {
		rc = fail(st, cause, RO_ESTORE, "%s: cannot switch the store to WAL mode (%s); "
		    "put the state directory on a local file system", path,
		    sqlite3_errmsg(st->db));
		goto out;
	}
	/* FULL: in WAL mode every commit syncs the WAL, so an intent is on disk
	 * before the side effect it announces (docs/STORE.md, "Durability").
	 * temp_store MEMORY keeps the savepoint sub-journals of calls made inside
	 * ro_store_begin off the disk; each holds only the pages one call
	 * touches, and it halves the time of a large plan --save. */
	if ((src = exec(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	    "PRAGMA trusted_schema = OFF; PRAGMA temp_store = MEMORY")) != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "configuring the store");
		goto out;
	}
	if (!pragma_expect(st, "PRAGMA foreign_keys", "1")) {
		rc = fail(st, cause, RO_ESTORE, "%s: this SQLite cannot enforce foreign keys", path);
		goto out;
	}
	if ((rc = migrate(st, cause)) != 0)
		goto out;
	if ((rc = journal_key_load(st, make_key, cause)) != 0)
		goto out;
out:
	if (rc != 0) {
		ro_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

int
ro_store_open(const char *path, struct ro_store **out, char **cause)
{
	return open_store(path, 1, out, cause);
}

int
ro_store_open_audit(const char *state_dir, struct ro_store **out, char **cause)
{
	char *path = ro_xasprintf("%s/%s", state_dir, RO_STORE_FILE);
	int rc = open_store(path, 0, out, cause);

	free(path);
	return rc;
}

int
ro_store_open_dir(const char *state_dir, struct ro_store **out, char **cause)
{
	char *path;
	int rc;

	*out = NULL;
	/* A state directory others can write is refused (statedir.h). */
	if ((rc = ro_state_dir_prepare(state_dir, 1, &path)) != 0) {
		if (cause != NULL)
			*cause = path;
		else
			free(path);
		return rc;
	}
	path = ro_xasprintf("%s/%s", state_dir, RO_STORE_FILE);
	rc = ro_store_open(path, out, cause);
	free(path);
	return rc;
}

void
ro_store_close(struct ro_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->db != NULL) {
		if (st->tx != TX_NONE)
			exec(st, "ROLLBACK");
		for (i = 0; i < Q__COUNT; i++)
			sqlite3_finalize(st->stmts[i]);
		sqlite3_close(st->db);
	}
	ro_jhash_free(st->jh);
	sodium_memzero(st->jkey, sizeof st->jkey);
	free(st->path);
	free(st->actor);
	free(st->errmsg);
	free(st);
}

void
ro_store_set_clock(struct ro_store *st, ro_store_clock_fn fn, void *ctx)
{
	st->now = fn != NULL ? fn : clock_default;
	st->now_ctx = fn != NULL ? ctx : NULL;
}

void
ro_store_set_actor(struct ro_store *st, const char *actor)
{
	free(st->actor);
	st->actor = actor != NULL && *actor != '\0' ? ro_xstrdup(actor) : login_name();
}

const char *
ro_store_actor(const struct ro_store *st)
{
	return st->actor;
}

void
ro_store_set_busy_timeout(struct ro_store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms < 0 ? 0 : ms);
}

const char *
ro_store_errmsg(const struct ro_store *st)
{
	return st->errmsg != NULL ? st->errmsg : "";
}

const char *
ro_store_path(const struct ro_store *st)
{
	return st->path;
}

/* ---------------------------------------------------------------------- */
/* Vault counters                                                          */

int
ro_store_vault_counter(struct ro_store *st, const char *vault_id, uint64_t *counter)
{
	sqlite3_stmt *s;
	int src, rc = 0;

	*counter = 0;
	if ((rc = prep(st, Q_VAULT_GET, &s, NULL, "reading a vault counter")) != 0)
		return rc;
	bind_text(s, 1, vault_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		*counter = (uint64_t)sqlite3_column_int64(s, 0);
	else if (src != SQLITE_DONE)
		rc = sqlfail(st, NULL, src, "reading a vault counter");
	sqlite3_reset(s);
	return rc;
}

int
ro_store_vault_counter_set(struct ro_store *st, const char *vault_id, uint64_t counter)
{
	struct ro_buf d;
	sqlite3_stmt *s;
	uint64_t old = 0;
	int64_t at;
	int owned, rc, src;

	if (vault_id == NULL || *vault_id == '\0' || counter > INT64_MAX)
		return fail(st, NULL, RO_EINVAL, "vault counter: bad vault id or counter");
	if ((rc = wtx_begin(st, &owned, NULL)) != 0)
		return rc;
	ro_buf_init(&d);
	/* Read under the write lock, so the comparison holds at commit. */
	if ((rc = ro_store_vault_counter(st, vault_id, &old)) != 0)
		goto out;
	if (counter < old) {
		rc = fail(st, NULL, RO_ESTATE, "%s: vault %s has counter %" PRIu64 " on record "
		    "but the file says %" PRIu64 "; an older copy of the vault may have been "
		    "restored", st->path, vault_id, old, counter);
		goto out;
	}
	if (counter == old)
		goto out;
	if ((rc = prep(st, Q_VAULT_PUT, &s, NULL, "recording a vault counter")) != 0)
		goto out;
	at = now(st);
	bind_text(s, 1, vault_id);
	sqlite3_bind_int64(s, 2, (int64_t)counter);
	sqlite3_bind_int64(s, 3, at);
	if ((src = done(s)) != SQLITE_OK) {
		rc = sqlfail(st, NULL, src, "recording a vault counter");
		goto out;
	}
	ro_buf_adds(&d, "{\"vault_id\":");
	ro_buf_json_str(&d, vault_id);
	ro_buf_printf(&d, ",\"from\":%" PRIu64 ",\"to\":%" PRIu64 "}", old, counter);
	rc = journal_append_at(st, at, NULL, "vault.counter", NULL, d.p, NULL);
out:
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, NULL);
}

int
ro_store_vault_roster(struct ro_store *st, const char *vault_id, char roster[65])
{
	sqlite3_stmt *s;
	int src, rc = 0;

	roster[0] = '\0';
	if ((rc = prep(st, Q_VROSTER_GET, &s, NULL, "reading a vault roster")) != 0)
		return rc;
	bind_text(s, 1, vault_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		if (t != NULL && strlen((const char *)t) == 64)
			memcpy(roster, t, 65);
	} else if (src != SQLITE_DONE) {
		rc = sqlfail(st, NULL, src, "reading a vault roster");
	}
	sqlite3_reset(s);
	return rc;
}

int
ro_store_vault_roster_set(struct ro_store *st, const char *vault_id, const char *roster)
{
	sqlite3_stmt *s;
	int src;

	if (vault_id == NULL || *vault_id == '\0' || roster == NULL || strlen(roster) != 64)
		return fail(st, NULL, RO_EINVAL, "vault roster: bad vault id or roster hash");
	if ((src = prep(st, Q_VROSTER_PUT, &s, NULL, "recording a vault roster")) != 0)
		return src;
	bind_text(s, 1, vault_id);
	bind_text(s, 2, roster);
	sqlite3_bind_int64(s, 3, now(st));
	if ((src = done(s)) != SQLITE_OK)
		return sqlfail(st, NULL, src, "recording a vault roster");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Campaigns                                                               */

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* no_campaign says that there is no campaign id. */
static int
no_campaign(struct ro_store *st, char **cause, const char *id)
{
	return fail(st, cause, RO_ENOENT, "%s: there is no campaign %s; `rollout "
	    "status` lists the campaigns", st->path, id != NULL ? id : "(null)");
}

/* campaign_state reads a campaign's state (and plan hash, if asked). */
static int
campaign_state(struct ro_store *st, const char *id, enum ro_campaign_state *state,
    char **plan_hash, char **cause)
{
	sqlite3_stmt *s;
	int src, rc = 0, v = 0;

	if ((rc = prep(st, Q_CAMPAIGN_STATE, &s, cause, "reading a campaign")) != 0)
		return rc;
	bind_text(s, 1, id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		if (parse_name(campaign_state_names, RO_NELEM(campaign_state_names),
		    (const char *)sqlite3_column_text(s, 0), &v) != 0)
			rc = fail(st, cause, RO_ESTORE, "%s: campaign %s has an unknown state",
			    st->path, id);
		*state = (enum ro_campaign_state)v;
		if (plan_hash != NULL)
			*plan_hash = col_dup(s, 1);
	} else if (src == SQLITE_DONE)
		rc = no_campaign(st, cause, id);
	else
		rc = sqlfail(st, cause, src, "reading a campaign");
	sqlite3_reset(s);
	return rc;
}

/* campaign_planned fails unless the campaign exists and is still planned:
 * waves and hosts are fixed once it starts. */
static int
campaign_planned(struct ro_store *st, const char *id, char **cause)
{
	enum ro_campaign_state cs;
	int rc;

	if ((rc = campaign_state(st, id, &cs, NULL, cause)) != 0)
		return rc;
	if (cs != RO_CAMPAIGN_PLANNED)
		return fail(st, cause, RO_ESTATE, "%s: campaign %s is %s; waves and hosts "
		    "can only be added while it is planned", st->path, id,
		    ro_campaign_state_name(cs));
	return 0;
}

int
ro_store_campaign_create(struct ro_store *st, const struct ro_campaign_new *c, char **cause)
{
	struct ro_buf d;
	sqlite3_stmt *s;
	int64_t at = now(st);
	int owned, rc, src;

	if (!nonempty(c->id) || c->title == NULL || c->playbooks == NULL ||
	    !nonempty(c->plan_hash) || c->plan_json == NULL || c->inventory_hash == NULL)
		return fail(st, cause, RO_EINVAL, "a campaign needs an id, a title, playbooks, "
		    "a plan hash, the plan and an inventory hash");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = prep(st, Q_CAMPAIGN_INSERT, &s, cause, "recording a campaign")) != 0)
		goto out;
	bind_text(s, 1, c->id);
	bind_text(s, 2, c->title);
	bind_text(s, 3, c->playbooks);
	bind_text(s, 4, c->plan_hash);
	bind_text(s, 5, c->plan_json);
	bind_text(s, 6, c->inventory_hash);
	sqlite3_bind_int64(s, 7, at);
	bind_text(s, 8, st->actor);
	if ((src = done(s)) != SQLITE_OK) {
		if (convert(src) == RO_EEXIST)
			rc = fail(st, cause, RO_EEXIST, "%s: a campaign called %s already exists; "
			    "choose another id", st->path, c->id);
		else
			rc = sqlfail(st, cause, src, "recording a campaign");
		goto out;
	}
	ro_buf_adds(&d, "{\"title\":");
	ro_buf_json_str(&d, c->title);
	ro_buf_adds(&d, ",\"playbooks\":");
	ro_buf_json_str(&d, c->playbooks);
	ro_buf_adds(&d, ",\"plan_hash\":");
	ro_buf_json_str(&d, c->plan_hash);
	ro_buf_adds(&d, ",\"inventory_hash\":");
	ro_buf_json_str(&d, c->inventory_hash);
	ro_buf_addc(&d, '}');
	rc = journal_append_at(st, at, c->id, "campaign.create", NULL, d.p, cause);
out:
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* campaign_from_row maps a row of Q_CAMPAIGN_GET or Q_CAMPAIGN_LIST into the
 * zeroed *elem, with plan_json when the statement selects it (a row_kind
 * map; ctx is unused). */
static void
campaign_from_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_campaign_info *c = elem;
	int v = 0;

	(void)ctx;
	c->id = col_dup(s, 0);
	c->title = col_dup(s, 1);
	c->playbooks = col_dup(s, 2);
	c->plan_hash = col_dup(s, 3);
	c->inventory_hash = col_dup(s, 4);
	c->created_by = col_dup(s, 5);
	c->created_at = sqlite3_column_int64(s, 6);
	parse_name(campaign_state_names, RO_NELEM(campaign_state_names),
	    (const char *)sqlite3_column_text(s, 7), &v);
	c->state = (enum ro_campaign_state)v;
	c->reason = col_dup(s, 8);
	if (sqlite3_column_count(s) > 9)
		c->plan_json = col_dup(s, 9);
}

int
ro_store_campaign_get(struct ro_store *st, const char *id, struct ro_campaign_info *out,
    char **cause)
{
	sqlite3_stmt *s;
	int src, rc = 0;

	memset(out, 0, sizeof *out);
	if ((rc = prep(st, Q_CAMPAIGN_GET, &s, cause, "reading a campaign")) != 0)
		return rc;
	bind_text(s, 1, id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		campaign_from_row(s, out, NULL);
	else if (src == SQLITE_DONE)
		rc = no_campaign(st, cause, id);
	else
		rc = sqlfail(st, cause, src, "reading a campaign");
	sqlite3_reset(s);
	return rc;
}

/* campaign_clear frees what a campaign owns (a row_kind clear). */
static void
campaign_clear(void *elem)
{
	ro_campaign_info_clear(elem);
}

static const struct row_kind campaign_rows = {
	sizeof(struct ro_campaign_info), 8, campaign_from_row, NULL, campaign_clear
};

int
ro_store_campaign_list(struct ro_store *st, struct ro_campaign_info **out, size_t *n)
{
	void *v;
	int rc;

	rc = collect_rows(st, stmt(st, Q_CAMPAIGN_LIST), &campaign_rows, NULL, &v, n,
	    "listing campaigns");
	*out = v;
	return rc;
}

void
ro_campaign_info_clear(struct ro_campaign_info *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->title);
	free(c->playbooks);
	free(c->plan_hash);
	free(c->inventory_hash);
	free(c->created_by);
	free(c->plan_json);
	free(c->reason);
	memset(c, 0, sizeof *c);
}

void
ro_campaign_list_free(struct ro_campaign_info *v, size_t n)
{
	free_rows(v, n, &campaign_rows);
}

/* The campaign state machine; see docs/STORE.md. */
static int
campaign_transition_ok(enum ro_campaign_state from, enum ro_campaign_state to)
{
	switch (from) {
	case RO_CAMPAIGN_PLANNED:
		return to == RO_CAMPAIGN_RUNNING || to == RO_CAMPAIGN_CANCELLED;
	case RO_CAMPAIGN_RUNNING:
		return to == RO_CAMPAIGN_HALTED || to == RO_CAMPAIGN_DONE ||
		    to == RO_CAMPAIGN_FAILED;
	case RO_CAMPAIGN_HALTED:
		return to == RO_CAMPAIGN_RUNNING || to == RO_CAMPAIGN_FAILED ||
		    to == RO_CAMPAIGN_CANCELLED;
	case RO_CAMPAIGN_DONE:
	case RO_CAMPAIGN_FAILED:
	case RO_CAMPAIGN_CANCELLED:
		return 0;
	}
	return 0;
}

int
ro_store_campaign_set_state(struct ro_store *st, const char *id,
    enum ro_campaign_state to, char **cause)
{
	return ro_store_campaign_set_state_reason(st, id, to, NULL, cause);
}

int
ro_store_campaign_set_state_reason(struct ro_store *st, const char *id,
    enum ro_campaign_state to, const char *reason, char **cause)
{
	enum ro_campaign_state from;
	sqlite3_stmt *s;
	struct ro_buf d;
	int owned, rc, src;

	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = campaign_state(st, id, &from, NULL, cause)) != 0 || (from == to && reason == NULL))
		goto out;
	if (from != to && !campaign_transition_ok(from, to)) {
		rc = fail(st, cause, RO_ESTATE, "%s: campaign %s cannot go from %s to %s",
		    st->path, id, ro_campaign_state_name(from), ro_campaign_state_name(to));
		goto out;
	}
	if ((rc = prep(st, Q_CAMPAIGN_SET_STATE, &s, cause, "changing a campaign's state")) != 0)
		goto out;
	bind_text(s, 1, ro_campaign_state_name(to));
	bind_text(s, 2, reason);
	bind_text(s, 3, id);
	if ((src = done(s)) != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "changing a campaign's state");
		goto out;
	}
	ro_buf_printf(&d, "{\"from\":\"%s\",\"to\":\"%s\"", ro_campaign_state_name(from),
	    ro_campaign_state_name(to));
	if (reason != NULL) {
		ro_buf_adds(&d, ",\"reason\":");
		ro_buf_json_str(&d, reason);
	}
	ro_buf_addc(&d, '}');
	rc = journal_append(st, id, "campaign.state", NULL, d.p, cause);
out:
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* ---------------------------------------------------------------------- */
/* Waves                                                                   */

int
ro_store_wave_add(struct ro_store *st, const struct ro_wave_new *w, char **cause)
{
	struct ro_buf d;
	sqlite3_stmt *s;
	int owned, rc, src;

	if (w->idx < 0 || w->name == NULL || w->failure_budget < 0 ||
	    (w->gated != 0 && w->gated != 1))
		return fail(st, cause, RO_EINVAL, "wave %d of %s: needs idx >= 0, a name, "
		    "gated 0 or 1 and a failure budget >= 0", w->idx + 1,
		    w->campaign != NULL ? w->campaign : "(null)");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = campaign_planned(st, w->campaign, cause)) != 0)
		goto out;
	if ((rc = prep(st, Q_WAVE_INSERT, &s, cause, "recording a wave")) != 0)
		goto out;
	bind_text(s, 1, w->campaign);
	sqlite3_bind_int(s, 2, w->idx);
	bind_text(s, 3, w->name);
	sqlite3_bind_int(s, 4, w->gated);
	sqlite3_bind_int(s, 5, w->failure_budget);
	bind_time(s, 6, w->planned_start);
	bind_time(s, 7, w->planned_end);
	if ((src = done(s)) != SQLITE_OK) {
		if (convert(src) == RO_EEXIST)
			rc = fail(st, cause, RO_EEXIST, "%s: campaign %s already has a wave %d",
			    st->path, w->campaign, w->idx + 1);
		else
			rc = sqlfail(st, cause, src, "recording a wave");
		goto out;
	}
	ro_buf_printf(&d, "{\"wave\":%d,\"name\":", w->idx);
	ro_buf_json_str(&d, w->name);
	ro_buf_printf(&d, ",\"gated\":%s,\"failure_budget\":%d}", w->gated ? "true" : "false",
	    w->failure_budget);
	rc = journal_append(st, w->campaign, "wave.add", NULL, d.p, cause);
out:
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* wave_from_row maps a row of Q_WAVE_GET or Q_WAVE_LIST into the zeroed
 * *elem (a row_kind map; ctx is unused). */
static void
wave_from_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_wave_info *w = elem;
	int v = 0;

	(void)ctx;
	w->idx = sqlite3_column_int(s, 0);
	w->name = col_dup(s, 1);
	w->gated = sqlite3_column_int(s, 2);
	w->failure_budget = sqlite3_column_int(s, 3);
	w->planned_start = col_time(s, 4);
	w->planned_end = col_time(s, 5);
	parse_name(wave_state_names, RO_NELEM(wave_state_names),
	    (const char *)sqlite3_column_text(s, 6), &v);
	w->state = (enum ro_wave_state)v;
}

int
ro_store_wave_get(struct ro_store *st, const char *campaign, int idx,
    struct ro_wave_info *out, char **cause)
{
	sqlite3_stmt *s;
	int src, rc = 0;

	memset(out, 0, sizeof *out);
	if ((rc = prep(st, Q_WAVE_GET, &s, cause, "reading a wave")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	sqlite3_bind_int(s, 2, idx);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		wave_from_row(s, out, NULL);
	else if (src == SQLITE_DONE)
		rc = fail(st, cause, RO_ENOENT, "%s: campaign %s has no wave %d; `rollout "
		    "status %s` lists its waves", st->path, campaign, idx + 1, campaign);
	else
		rc = sqlfail(st, cause, src, "reading a wave");
	sqlite3_reset(s);
	return rc;
}

/* wave_clear frees what a wave owns (a row_kind clear). */
static void
wave_clear(void *elem)
{
	ro_wave_info_clear(elem);
}

static const struct row_kind wave_rows = {
	sizeof(struct ro_wave_info), 8, wave_from_row, NULL, wave_clear
};

int
ro_store_wave_list(struct ro_store *st, const char *campaign, struct ro_wave_info **out,
    size_t *n)
{
	sqlite3_stmt *s;
	void *v;
	int rc;

	if ((s = stmt(st, Q_WAVE_LIST)) != NULL)
		bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &wave_rows, NULL, &v, n, "listing waves");
	*out = v;
	return rc;
}

void
ro_wave_info_clear(struct ro_wave_info *w)
{
	if (w == NULL)
		return;
	free(w->name);
	memset(w, 0, sizeof *w);
}

void
ro_wave_list_free(struct ro_wave_info *v, size_t n)
{
	free_rows(v, n, &wave_rows);
}

/* approved_for_plan counts approvals of a wave that carry the campaign's
 * current plan hash. */
static int
approved_for_plan(struct ro_store *st, const char *campaign, int idx, int64_t *count,
    char **cause)
{
	sqlite3_stmt *s;
	int src, rc = 0;

	*count = 0;
	if ((rc = prep(st, Q_APPROVAL_FOR_WAVE, &s, cause, "reading approvals")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	sqlite3_bind_int(s, 2, idx);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		*count = sqlite3_column_int64(s, 0);
	else
		rc = sqlfail(st, cause, src, "reading approvals");
	sqlite3_reset(s);
	return rc;
}

/* The wave state machine without approved, which only approval sets. */
static int
wave_transition_ok(enum ro_wave_state from, enum ro_wave_state to, int gated)
{
	switch (from) {
	case RO_WAVE_PENDING:
		return (to == RO_WAVE_AWAITING_APPROVAL && gated) || (to == RO_WAVE_RUNNING && !gated);
	case RO_WAVE_AWAITING_APPROVAL:
		return 0; /* only ro_store_approve moves it on */
	case RO_WAVE_APPROVED:
		return to == RO_WAVE_RUNNING;
	case RO_WAVE_RUNNING:
		return to == RO_WAVE_DONE || to == RO_WAVE_FAILED || to == RO_WAVE_HALTED;
	case RO_WAVE_HALTED:
		return to == RO_WAVE_RUNNING || to == RO_WAVE_FAILED;
	case RO_WAVE_DONE:
		/* Reopened by a later run to retry hosts that failed within the budget. */
		return to == RO_WAVE_RUNNING;
	case RO_WAVE_FAILED:
		return 0;
	}
	return 0;
}

static int
wave_set_state_locked(struct ro_store *st, int64_t at, const char *campaign, int idx,
    enum ro_wave_state from, enum ro_wave_state to, const char *extra, char **cause)
{
	struct ro_buf d;
	sqlite3_stmt *s;
	int rc, src;

	if ((rc = prep(st, Q_WAVE_SET_STATE, &s, cause, "changing a wave's state")) != 0)
		return rc;
	bind_text(s, 1, ro_wave_state_name(to));
	bind_text(s, 2, campaign);
	sqlite3_bind_int(s, 3, idx);
	if ((src = done(s)) != SQLITE_OK)
		return sqlfail(st, cause, src, "changing a wave's state");
	ro_buf_init(&d);
	ro_buf_printf(&d, "{\"wave\":%d,\"from\":\"%s\",\"to\":\"%s\"%s}", idx,
	    ro_wave_state_name(from), ro_wave_state_name(to), extra != NULL ? extra : "");
	rc = journal_append_at(st, at, campaign, "wave.state", NULL, d.p, cause);
	ro_buf_free(&d);
	return rc;
}

int
ro_store_wave_set_state(struct ro_store *st, const char *campaign, int idx,
    enum ro_wave_state to, char **cause)
{
	struct ro_wave_info w;
	int64_t approvals = 0;
	int owned, rc;

	memset(&w, 0, sizeof w);
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	if ((rc = ro_store_wave_get(st, campaign, idx, &w, cause)) != 0 || w.state == to)
		goto out;
	if (to == RO_WAVE_APPROVED) {
		rc = fail(st, cause, RO_ESTATE, "%s: wave %d of %s can only be approved with "
		    "`rollout approve %s --wave %d`", st->path, idx + 1, campaign, campaign, idx + 1);
		goto out;
	}
	if (!wave_transition_ok(w.state, to, w.gated)) {
		rc = fail(st, cause, RO_ESTATE, "%s: wave %d of %s (%s) cannot go from %s to %s",
		    st->path, idx + 1, campaign, w.gated ? "gated" : "not gated",
		    ro_wave_state_name(w.state), ro_wave_state_name(to));
		goto out;
	}
	/* A gated wave runs only under an approval of the current plan; the
	 * state machine already implies one, this makes sure of it. */
	if (to == RO_WAVE_RUNNING && w.gated) {
		if ((rc = approved_for_plan(st, campaign, idx, &approvals, cause)) != 0)
			goto out;
		if (approvals == 0) {
			rc = fail(st, cause, RO_ESTATE, "%s: gated wave %d of %s has no approval "
			    "for the current plan; run `rollout approve %s --wave %d`", st->path,
			    idx + 1, campaign, campaign, idx + 1);
			goto out;
		}
	}
	rc = wave_set_state_locked(st, now(st), campaign, idx, w.state, to, NULL, cause);
out:
	ro_wave_info_clear(&w);
	return wtx_end(st, owned, rc, cause);
}

/* ---------------------------------------------------------------------- */
/* Approvals                                                               */

static int open_canary_before(struct ro_store *st, const char *campaign, int idx, int *canary,
    char **cause);

/*
 * record_decision is ro_store_approve, and with sa (a signed decision) also
 * ro_store_approval_record: the same checks, then the row (with its
 * signature) and, for an approval, the wave's move to approved.
 */
static int
record_decision(struct ro_store *st, const char *campaign, int idx, const char *approver,
    const char *comment, const char *plan_hash, const struct ro_approval_new *sa, char **cause)
{
	struct ro_wave_info w;
	struct ro_buf d;
	enum ro_campaign_state cs;
	sqlite3_stmt *s;
	char *have_hash = NULL;
	/* A signed decision's row and journal record carry the time it was
	 * signed at (the signature covers it); an unsigned one the store's. */
	int64_t at = sa != NULL ? sa->at : now(st);
	int owned, rc, src;
	int refuse = sa != NULL && sa->decision != NULL && strcmp(sa->decision, "refuse") == 0;

	memset(&w, 0, sizeof w);
	if (sa != NULL && (sa->decision == NULL || (!refuse && strcmp(sa->decision, "approve") != 0) ||
	    !nonempty(sa->gate) || !nonempty(sa->signer_key) || !nonempty(sa->signature)))
		return fail(st, cause, RO_EINVAL, "a signed decision needs a decision (approve or "
		    "refuse), a gate, a signer's key and a signature");
	if (!nonempty(approver) || !nonempty(plan_hash))
		return fail(st, cause, RO_EINVAL, "an approval needs an approver and a plan hash");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = campaign_state(st, campaign, &cs, &have_hash, cause)) != 0)
		goto out;
	if (have_hash == NULL || strcmp(have_hash, plan_hash) != 0) {
		rc = fail(st, cause, RO_ESTATE, "%s: the approval is for plan %s but campaign %s "
		    "has plan %s; review the current plan (`rollout status %s`) and approve that",
		    st->path, plan_hash, campaign, have_hash != NULL ? have_hash : "?", campaign);
		goto out;
	}
	if (cs == RO_CAMPAIGN_DONE || cs == RO_CAMPAIGN_FAILED || cs == RO_CAMPAIGN_CANCELLED) {
		rc = fail(st, cause, RO_ESTATE, "%s: campaign %s is %s; there is nothing left "
		    "to approve", st->path, campaign, ro_campaign_state_name(cs));
		goto out;
	}
	if ((rc = ro_store_wave_get(st, campaign, idx, &w, cause)) != 0)
		goto out;
	if (!w.gated) {
		rc = fail(st, cause, RO_ESTATE, "%s: wave %d of %s is not gated and needs no "
		    "approval", st->path, idx + 1, campaign);
		goto out;
	}
	/* A wave marked approved without a valid signature (written by hand)
	 * must still take a signed decision: the engine ignores the mark. */
	if (w.state != RO_WAVE_PENDING && w.state != RO_WAVE_AWAITING_APPROVAL &&
	    !(sa != NULL && w.state == RO_WAVE_APPROVED)) {
		rc = fail(st, cause, RO_ESTATE, "%s: wave %d of %s is %s; only a pending or "
		    "awaiting-approval wave can be approved", st->path, idx + 1, campaign,
		    ro_wave_state_name(w.state));
		goto out;
	}
	/* The gate after a canary wave is the city's judgement of that canary:
	 * given before the canary has finished, it would judge nothing. (A
	 * refusal may come at any time: it only stops.) */
	if (refuse == 0) {
		int canary = -1;
		if ((rc = open_canary_before(st, campaign, idx, &canary, cause)) != 0)
			goto out;
		if (canary >= 0) {
			rc = fail(st, cause, RO_ESTATE, "wave %d of %s follows canary wave %d, which "
			    "is not done yet; approve it once the canary has finished (`rollout "
			    "status %s --wait-gate` waits for that)", idx + 1, campaign, canary + 1,
			    campaign);
			goto out;
		}
	}
	/* A signed approval judges the waves before its gate: every one of
	 * them must be done (the first wave's gate follows none). */
	if (sa != NULL && !refuse) {
		struct ro_wave_info *wv = NULL;
		size_t nw = 0, k;
		int before = -1;
		if ((rc = ro_store_wave_list(st, campaign, &wv, &nw)) != 0)
			goto out;
		for (k = 0; k < nw && before < 0; k++)
			if (wv[k].idx < idx && wv[k].state != RO_WAVE_DONE)
				before = wv[k].idx;
		ro_wave_list_free(wv, nw);
		if (before >= 0) {
			rc = fail(st, cause, RO_ESTATE, "wave %d of %s follows wave %d, which is not "
			    "done yet; approve it once the waves before it have finished (`rollout "
			    "status %s --wait-gate` waits for that)", idx + 1, campaign, before + 1,
			    campaign);
			goto out;
		}
	}
	if ((rc = prep(st, sa ? Q_APPROVAL_INSERT_SIGNED : Q_APPROVAL_INSERT, &s, cause,
	    "recording an approval")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	sqlite3_bind_int(s, 2, idx);
	bind_text(s, 3, approver);
	bind_text(s, 4, comment);
	sqlite3_bind_int64(s, 5, at);
	bind_text(s, 6, plan_hash);
	if (sa) {
		bind_text(s, 7, sa->decision);
		bind_text(s, 8, sa->gate);
		bind_text(s, 9, sa->signer_key);
		bind_text(s, 10, sa->signature);
	}
	if ((src = done(s)) != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "recording an approval");
		goto out;
	}
	ro_buf_printf(&d, ",\"approval\":%" PRId64 ",\"approver\":",
	    (int64_t)sqlite3_last_insert_rowid(st->db));
	ro_buf_json_str(&d, approver);
	ro_buf_adds(&d, ",\"comment\":");
	ro_buf_json_str(&d, comment);
	ro_buf_adds(&d, ",\"plan_hash\":");
	ro_buf_json_str(&d, plan_hash);
	if (sa) {
		ro_buf_adds(&d, ",\"decision\":");
		ro_buf_json_str(&d, sa->decision);
		ro_buf_adds(&d, ",\"gate\":");
		ro_buf_json_str(&d, sa->gate);
		ro_buf_adds(&d, ",\"signer_key\":");
		ro_buf_json_str(&d, sa->signer_key);
		ro_buf_adds(&d, ",\"signature\":");
		ro_buf_json_str(&d, sa->signature);
	}
	if (refuse || w.state == RO_WAVE_APPROVED) {
		/* The wave stays where it is; the engine judges the signatures
		 * (and halts on a refusal). */
		char *j = ro_xasprintf("{\"wave\":%d%s}", idx, d.p);
		rc = journal_append_at(st, at, campaign, refuse ? "approval.refuse" :
		    "approval.approve", NULL, j, cause);
		free(j);
	} else
		rc = wave_set_state_locked(st, at, campaign, idx, w.state, RO_WAVE_APPROVED, d.p,
		    cause);
out:
	free(have_hash);
	ro_buf_free(&d);
	ro_wave_info_clear(&w);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_approve(struct ro_store *st, const char *campaign, int idx, const char *approver,
    const char *comment, const char *plan_hash, char **cause)
{
	return record_decision(st, campaign, idx, approver, comment, plan_hash, NULL, cause);
}

int
ro_store_approval_record(struct ro_store *st, const struct ro_approval_new *a, char **cause)
{
	return record_decision(st, a->campaign, a->wave, a->signer, a->comment, a->plan_hash, a,
	    cause);
}

/* approval_row maps a row of Q_APPROVAL_LIST (a row_kind map). */
static void
approval_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_approval_info *a = elem;

	(void)ctx;
	a->id = sqlite3_column_int64(s, 0);
	a->wave = sqlite3_column_int(s, 1);
	a->approver = col_dup(s, 2);
	a->comment = col_dup(s, 3);
	a->plan_hash = col_dup(s, 4);
	a->approved_at = sqlite3_column_int64(s, 5);
	a->decision = col_dup(s, 6);
	a->gate = col_dup(s, 7);
	a->signer_key = col_dup(s, 8);
	a->signature = col_dup(s, 9);
}

/* approval_clear frees what an approval owns (a row_kind clear). */
static void
approval_clear(void *elem)
{
	struct ro_approval_info *a = elem;

	free(a->approver);
	free(a->comment);
	free(a->plan_hash);
	free(a->decision);
	free(a->gate);
	free(a->signer_key);
	free(a->signature);
}

static const struct row_kind approval_rows = {
	sizeof(struct ro_approval_info), 8, approval_row, NULL, approval_clear
};

int
ro_store_approval_list(struct ro_store *st, const char *campaign, int wave,
    struct ro_approval_info **out, size_t *n)
{
	sqlite3_stmt *s;
	void *v;
	int rc;

	if ((s = stmt(st, Q_APPROVAL_LIST)) != NULL) {
		bind_text(s, 1, campaign);
		sqlite3_bind_int(s, 2, wave);
	}
	rc = collect_rows(st, s, &approval_rows, NULL, &v, n, "listing approvals");
	*out = v;
	return rc;
}

void
ro_approval_list_free(struct ro_approval_info *v, size_t n)
{
	free_rows(v, n, &approval_rows);
}

/* ---------------------------------------------------------------------- */
/* Hosts                                                                   */

int
ro_store_host_add(struct ro_store *st, const char *campaign, const char *host,
    const char *site, const char *address, int wave, char **cause)
{
	struct ro_buf d;
	sqlite3_stmt *s;
	int owned, rc, src;

	if (!nonempty(host) || site == NULL || address == NULL || wave < 0)
		return fail(st, cause, RO_EINVAL, "a campaign host needs a name, a site, an "
		    "address and a wave >= 0");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = campaign_planned(st, campaign, cause)) != 0)
		goto out;
	if ((rc = prep(st, Q_HOST_INSERT, &s, cause, "recording a host")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	bind_text(s, 3, site);
	bind_text(s, 4, address);
	sqlite3_bind_int(s, 5, wave);
	if ((src = done(s)) != SQLITE_OK) {
		rc = convert(src);
		if (rc == RO_EEXIST)
			rc = fail(st, cause, rc, "%s: host %s is already in campaign %s",
			    st->path, host, campaign);
		else if (rc == RO_ENOENT)
			rc = fail(st, cause, rc, "%s: campaign %s has no wave %d for host %s",
			    st->path, campaign, wave + 1, host);
		else
			rc = sqlfail(st, cause, src, "recording a host");
		goto out;
	}
	ro_buf_adds(&d, "{\"host\":");
	ro_buf_json_str(&d, host);
	ro_buf_adds(&d, ",\"site\":");
	ro_buf_json_str(&d, site);
	ro_buf_adds(&d, ",\"address\":");
	ro_buf_json_str(&d, address);
	ro_buf_printf(&d, ",\"wave\":%d}", wave);
	rc = journal_append(st, campaign, "host.add", NULL, d.p, cause);
out:
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* host_row maps a row of Q_HOST_LIST (a row_kind map). */
static void
host_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_host_info *h = elem;
	int state = 0;

	(void)ctx;
	h->host = col_dup(s, 0);
	h->site = col_dup(s, 1);
	h->address = col_dup(s, 2);
	h->wave = sqlite3_column_int(s, 3);
	parse_name(host_state_names, RO_NELEM(host_state_names),
	    (const char *)sqlite3_column_text(s, 4), &state);
	h->state = (enum ro_host_state)state;
}

/* host_clear frees what a host owns (a row_kind clear). */
static void
host_clear(void *elem)
{
	struct ro_host_info *h = elem;

	free(h->host);
	free(h->site);
	free(h->address);
}

static const struct row_kind host_rows = {
	sizeof(struct ro_host_info), 64, host_row, NULL, host_clear
};

int
ro_store_host_list(struct ro_store *st, const char *campaign, int wave,
    struct ro_host_info **out, size_t *n)
{
	sqlite3_stmt *s;
	void *v;
	int rc;

	if ((s = stmt(st, Q_HOST_LIST)) != NULL) {
		bind_text(s, 1, campaign);
		sqlite3_bind_int(s, 2, wave);
	}
	rc = collect_rows(st, s, &host_rows, NULL, &v, n, "listing hosts");
	*out = v;
	return rc;
}

void
ro_host_list_free(struct ro_host_info *v, size_t n)
{
	free_rows(v, n, &host_rows);
}

/* host_state reads a host's state, its wave and its wave's state. */
static int
host_state(struct ro_store *st, const char *campaign, const char *host,
    enum ro_host_state *hs, int *wave, enum ro_wave_state *ws, char **cause)
{
	sqlite3_stmt *s;
	int src, rc = 0, a = 0, b = 0;

	if ((rc = prep(st, Q_HOST_GET, &s, cause, "reading a host")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		parse_name(host_state_names, RO_NELEM(host_state_names),
		    (const char *)sqlite3_column_text(s, 0), &a);
		*wave = sqlite3_column_int(s, 1);
		parse_name(wave_state_names, RO_NELEM(wave_state_names),
		    (const char *)sqlite3_column_text(s, 2), &b);
		*hs = (enum ro_host_state)a;
		*ws = (enum ro_wave_state)b;
	} else if (src == SQLITE_DONE)
		rc = fail(st, cause, RO_ENOENT, "%s: host %s is not in campaign %s",
		    st->path, host != NULL ? host : "(null)", campaign != NULL ? campaign : "(null)");
	else
		rc = sqlfail(st, cause, src, "reading a host");
	sqlite3_reset(s);
	return rc;
}

static int
host_transition_ok(enum ro_host_state from, enum ro_host_state to)
{
	switch (from) {
	case RO_HOST_PENDING:
		return to == RO_HOST_RUNNING || to == RO_HOST_SKIPPED;
	case RO_HOST_RUNNING:
		return to == RO_HOST_DONE || to == RO_HOST_FAILED || to == RO_HOST_SKIPPED;
	case RO_HOST_FAILED:
		return to == RO_HOST_RUNNING;
	case RO_HOST_DONE:
	case RO_HOST_SKIPPED:
	case RO_HOST_NSTATES:
		return 0;
	}
	return 0;
}

int
ro_store_host_set_state(struct ro_store *st, const char *campaign, const char *host,
    enum ro_host_state to, char **cause)
{
	return ro_store_host_set_state_reason(st, campaign, host, to, NULL, cause);
}

int
ro_store_host_set_state_reason(struct ro_store *st, const char *campaign, const char *host,
    enum ro_host_state to, const char *reason, char **cause)
{
	enum ro_host_state from;
	enum ro_wave_state ws;
	struct ro_buf d;
	sqlite3_stmt *s;
	int owned, rc, src, wave;

	if ((int)to < 0 || to >= RO_HOST_NSTATES)
		return fail(st, cause, RO_EINVAL, "bad host state %d", (int)to);
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = host_state(st, campaign, host, &from, &wave, &ws, cause)) != 0 ||
	    (from == to && reason == NULL))
		goto out;
	if (from != to && !host_transition_ok(from, to)) {
		rc = fail(st, cause, RO_ESTATE, "%s: host %s of %s cannot go from %s to %s",
		    st->path, host, campaign, ro_host_state_name(from), ro_host_state_name(to));
		goto out;
	}
	if ((rc = prep(st, Q_HOST_SET_STATE, &s, cause, "changing a host's state")) != 0)
		goto out;
	bind_text(s, 1, ro_host_state_name(to));
	bind_text(s, 2, reason);
	bind_text(s, 3, campaign);
	bind_text(s, 4, host);
	sqlite3_bind_int64(s, 5, now(st));
	if ((src = done(s)) != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "changing a host's state");
		goto out;
	}
	ro_buf_adds(&d, "{\"host\":");
	ro_buf_json_str(&d, host);
	ro_buf_printf(&d, ",\"wave\":%d,\"from\":\"%s\",\"to\":\"%s\"", wave,
	    ro_host_state_name(from), ro_host_state_name(to));
	if (reason) {
		ro_buf_adds(&d, ",\"reason\":");
		ro_buf_json_str(&d, reason);
	}
	ro_buf_addc(&d, '}');
	rc = journal_append(st, campaign, "host.state", NULL, d.p, cause);
out:
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* tally_count adds the row's count to t, under the row's host state. */
static void
tally_count(sqlite3_stmt *s, struct ro_host_tally *t)
{
	int64_t count = sqlite3_column_int64(s, 2);
	int state = 0;

	if (parse_name(host_state_names, RO_NELEM(host_state_names),
	    (const char *)sqlite3_column_text(s, 1), &state) == 0)
		t->n[state] += count;
	t->total += count;
}

/* tally_row starts the entry of the row's wave or site, as *ctx (an enum
 * ro_tally_by) says (a row_kind map). */
static void
tally_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_host_tally *t = elem;
	const char *site;

	if (*(const enum ro_tally_by *)ctx == RO_TALLY_BY_WAVE)
		t->wave = sqlite3_column_int(s, 0);
	else {
		site = (const char *)sqlite3_column_text(s, 0);
		t->wave = -1;
		t->site = ro_xstrdup(site != NULL ? site : "");
	}
	tally_count(s, t);
}

/* tally_fold adds the row to the last entry when it has the same wave or
 * site: rows come grouped by that key (a row_kind fold). */
static int
tally_fold(sqlite3_stmt *s, void *last, void *ctx)
{
	struct ro_host_tally *t = last;
	const char *site;
	int same;

	if (*(const enum ro_tally_by *)ctx == RO_TALLY_BY_WAVE)
		same = t->wave == sqlite3_column_int(s, 0);
	else {
		site = (const char *)sqlite3_column_text(s, 0);
		same = strcmp(t->site, site != NULL ? site : "") == 0;
	}
	if (same)
		tally_count(s, t);
	return same;
}

/* tally_clear frees what a tally entry owns (a row_kind clear). */
static void
tally_clear(void *elem)
{
	free(((struct ro_host_tally *)elem)->site);
}

static const struct row_kind tally_rows = {
	sizeof(struct ro_host_tally), 16, tally_row, tally_fold, tally_clear
};

int
ro_store_tally(struct ro_store *st, const char *campaign, enum ro_tally_by by,
    struct ro_host_tally **out, size_t *n)
{
	sqlite3_stmt *s;
	void *v;
	int rc;

	if ((s = stmt(st, by == RO_TALLY_BY_WAVE ? Q_TALLY_WAVE : Q_TALLY_SITE)) != NULL)
		bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &tally_rows, &by, &v, n, "counting hosts");
	*out = v;
	return rc;
}

void
ro_host_tally_free(struct ro_host_tally *v, size_t n)
{
	free_rows(v, n, &tally_rows);
}

/* ---------------------------------------------------------------------- */
/* Step intents and outcomes                                               */

int
ro_store_intent_begin(struct ro_store *st, const char *campaign, const char *host,
    int step_idx, const char *step_name, int64_t *intent_id, int *attempt, char **cause)
{
	enum ro_campaign_state cs;
	enum ro_host_state hs;
	enum ro_wave_state ws;
	struct ro_buf d;
	sqlite3_stmt *s;
	int64_t id = 0, at = now(st);
	int owned = 0, rc, src, wave = 0, next = 1;

	*intent_id = 0;
	if (attempt != NULL)
		*attempt = 0;
	if (step_idx < 0 || step_name == NULL)
		return fail(st, cause, RO_EINVAL, "an intent needs a step index >= 0 and a name");
	/* The intent must be on disk before the caller acts, so it may not wait
	 * for a commit that the caller controls, except in a group commit whose
	 * caller has promised to act only after ro_store_commit succeeds. */
	if (st->tx != TX_NONE && st->tx != TX_GROUP)
		return fail(st, cause, RO_ESTATE, "%s: an intent is committed on its own and "
		    "cannot join an open transaction; this is a bug in rollout", st->path);
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = campaign_state(st, campaign, &cs, NULL, cause)) != 0)
		goto out;
	if (cs != RO_CAMPAIGN_RUNNING) {
		rc = fail(st, cause, RO_ESTATE, "%s: campaign %s is %s, not running; no step "
		    "may start", st->path, campaign, ro_campaign_state_name(cs));
		goto out;
	}
	if ((rc = host_state(st, campaign, host, &hs, &wave, &ws, cause)) != 0)
		goto out;
	if (ws != RO_WAVE_RUNNING) {
		rc = fail(st, cause, RO_ESTATE, "%s: host %s is in wave %d of %s, which is %s, "
		    "not running; no step may start on it", st->path, host, wave + 1, campaign,
		    ro_wave_state_name(ws));
		goto out;
	}
	if ((rc = prep(st, Q_INTENT_OPEN_FOR_STEP, &s, cause, "reading intents")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	sqlite3_bind_int(s, 3, step_idx);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		int64_t open_id = sqlite3_column_int64(s, 0);
		int open_attempt = sqlite3_column_int(s, 1);
		sqlite3_reset(s);
		rc = fail(st, cause, RO_ESTATE, "%s: step %d (%s) on host %s of %s has intent "
		    "%" PRId64 " (attempt %d) without an outcome; resolve it by the step's check "
		    "before trying again", st->path, step_idx, step_name, host, campaign,
		    open_id, open_attempt);
		goto out;
	}
	sqlite3_reset(s);
	if (src != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "reading intents");
		goto out;
	}
	if ((rc = prep(st, Q_INTENT_NEXT_ATTEMPT, &s, cause, "reading intents")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	sqlite3_bind_int(s, 3, step_idx);
	if ((src = sqlite3_step(s)) == SQLITE_ROW)
		next = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (src != SQLITE_ROW) {
		rc = sqlfail(st, cause, src, "reading intents");
		goto out;
	}
	if ((rc = prep(st, Q_INTENT_INSERT, &s, cause, "recording an intent")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	sqlite3_bind_int(s, 3, step_idx);
	bind_text(s, 4, step_name);
	sqlite3_bind_int(s, 5, next);
	sqlite3_bind_int64(s, 6, at);
	bind_text(s, 7, st->actor);
	if ((src = done(s)) != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "recording an intent");
		goto out;
	}
	id = sqlite3_last_insert_rowid(st->db);
	ro_buf_printf(&d, "{\"intent\":%" PRId64 ",\"host\":", id);
	ro_buf_json_str(&d, host);
	ro_buf_printf(&d, ",\"step\":%d,\"name\":", step_idx);
	ro_buf_json_str(&d, step_name);
	ro_buf_printf(&d, ",\"attempt\":%d}", next);
	rc = journal_append_at(st, at, campaign, "step.intent", NULL, d.p, cause);
out:
	ro_buf_free(&d);
	rc = wtx_end(st, owned, rc, cause);
	if (rc == 0) {
		*intent_id = id;
		if (attempt != NULL)
			*attempt = next;
	}
	return rc;
}

int
ro_store_outcome_record(struct ro_store *st, int64_t intent_id, enum ro_step_status status,
    int exit_code, const char *detail, char **cause)
{
	struct ro_buf d;
	sqlite3_stmt *s;
	char *campaign = NULL, *host = NULL;
	int64_t at = now(st);
	int owned, rc, src, step_idx = 0, attempt = 0;

	if ((int)status < 0 || (size_t)status >= RO_NELEM(step_status_names))
		return fail(st, cause, RO_EINVAL, "bad step status %d", (int)status);
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = prep(st, Q_INTENT_GET, &s, cause, "reading an intent")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, intent_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		campaign = col_dup(s, 0);
		host = col_dup(s, 1);
		step_idx = sqlite3_column_int(s, 2);
		attempt = sqlite3_column_int(s, 3);
	}
	sqlite3_reset(s);
	if (src == SQLITE_DONE) {
		rc = fail(st, cause, RO_ENOENT, "%s: there is no intent %" PRId64, st->path,
		    intent_id);
		goto out;
	} else if (src != SQLITE_ROW) {
		rc = sqlfail(st, cause, src, "reading an intent");
		goto out;
	}
	if ((rc = prep(st, Q_OUTCOME_EXISTS, &s, cause, "reading an outcome")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, intent_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		char *was = col_dup(s, 0);
		sqlite3_reset(s);
		rc = fail(st, cause, RO_EEXIST, "%s: intent %" PRId64 " (step %d on host %s of "
		    "%s) already has outcome %s; an outcome is recorded once", st->path,
		    intent_id, step_idx, host, campaign, was != NULL ? was : "?");
		free(was);
		goto out;
	}
	sqlite3_reset(s);
	if (src != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "reading an outcome");
		goto out;
	}
	if ((rc = prep(st, Q_OUTCOME_INSERT, &s, cause, "recording an outcome")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, intent_id);
	sqlite3_bind_int64(s, 2, at);
	bind_text(s, 3, ro_step_status_name(status));
	if (exit_code == RO_STORE_NO_EXIT_CODE)
		sqlite3_bind_null(s, 4);
	else
		sqlite3_bind_int(s, 4, exit_code);
	bind_text(s, 5, detail);
	if ((src = done(s)) != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "recording an outcome");
		goto out;
	}
	ro_buf_printf(&d, "{\"intent\":%" PRId64 ",\"host\":", intent_id);
	ro_buf_json_str(&d, host);
	ro_buf_printf(&d, ",\"step\":%d,\"attempt\":%d,\"status\":\"%s\",\"exit_code\":",
	    step_idx, attempt, ro_step_status_name(status));
	if (exit_code == RO_STORE_NO_EXIT_CODE)
		ro_buf_adds(&d, "null");
	else
		ro_buf_printf(&d, "%d", exit_code);
	ro_buf_adds(&d, ",\"detail\":");
	ro_buf_json_str(&d, detail);
	ro_buf_addc(&d, '}');
	rc = journal_append_at(st, at, campaign, "step.outcome", NULL, d.p, cause);
out:
	free(campaign);
	free(host);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* intent_row maps a row of Q_INTENTS_OPEN (a row_kind map). */
static void
intent_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_intent_info *i = elem;

	(void)ctx;
	i->id = sqlite3_column_int64(s, 0);
	i->host = col_dup(s, 1);
	i->step_idx = sqlite3_column_int(s, 2);
	i->step_name = col_dup(s, 3);
	i->attempt = sqlite3_column_int(s, 4);
	i->started_at = sqlite3_column_int64(s, 5);
	i->actor = col_dup(s, 6);
}

/* intent_clear frees what an intent owns (a row_kind clear). */
static void
intent_clear(void *elem)
{
	struct ro_intent_info *i = elem;

	free(i->host);
	free(i->step_name);
	free(i->actor);
}

static const struct row_kind intent_rows = {
	sizeof(struct ro_intent_info), 16, intent_row, NULL, intent_clear
};

int
ro_store_open_intents(struct ro_store *st, const char *campaign,
    struct ro_intent_info **out, size_t *n)
{
	sqlite3_stmt *s;
	void *v;
	int rc;

	if ((s = stmt(st, Q_INTENTS_OPEN)) != NULL)
		bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &intent_rows, NULL, &v, n, "listing open intents");
	*out = v;
	return rc;
}

void
ro_intent_list_free(struct ro_intent_info *v, size_t n)
{
	free_rows(v, n, &intent_rows);
}

/* failure_row maps a row of Q_FAILURES (a row_kind map). */
static void
failure_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_failure_info *f = elem;

	(void)ctx;
	f->host = col_dup(s, 0);
	f->site = col_dup(s, 1);
	f->wave = sqlite3_column_int(s, 2);
	f->step_name = col_dup(s, 3);
	f->attempt = sqlite3_column_int(s, 4);
	f->has_outcome = sqlite3_column_type(s, 5) != SQLITE_NULL;
	if (f->has_outcome)
		ro_step_status_parse((const char *)sqlite3_column_text(s, 5), &f->status);
	f->exit_code = sqlite3_column_type(s, 6) == SQLITE_NULL ? RO_STORE_NO_EXIT_CODE :
	    sqlite3_column_int(s, 6);
	f->detail = col_dup(s, 7);
	f->finished_at = sqlite3_column_int64(s, 8);
	f->reason = col_dup(s, 9);
	f->failed_at = col_time(s, 10);
	f->site_name = col_dup(s, 11);
}

/* failure_clear frees what a failure row owns (a row_kind clear). */
static void
failure_clear(void *elem)
{
	struct ro_failure_info *f = elem;

	free(f->host);
	free(f->site);
	free(f->step_name);
	free(f->detail);
	free(f->reason);
	free(f->site_name);
}

static const struct row_kind failure_rows = {
	sizeof(struct ro_failure_info), 8, failure_row, NULL, failure_clear
};

int
ro_store_failures(struct ro_store *st, const char *campaign, struct ro_failure_info **out,
    size_t *n)
{
	sqlite3_stmt *s;
	void *v;
	int rc;

	if ((s = stmt(st, Q_FAILURES)) != NULL)
		bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &failure_rows, NULL, &v, n, "listing failed hosts");
	*out = v;
	return rc;
}

void
ro_failure_list_free(struct ro_failure_info *v, size_t n)
{
	free_rows(v, n, &failure_rows);
}

/* ---------------------------------------------------------------------- */
/* Engines, invocations, holds                                             */

/*
 * These run rarely (once a second at most), so their statements are
 * prepared per call rather than cached: adhoc prepares sql into *s or says
 * what was being done.
 */
static int
adhoc(struct ro_store *st, const char *sql, sqlite3_stmt **s, char **cause, const char *doing)
{
	int src = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

	if (src != SQLITE_OK) {
		*s = NULL;
		return sqlfail(st, cause, src, doing);
	}
	return 0;
}

void
ro_lease_info_clear(struct ro_lease_info *l)
{
	if (l == NULL)
		return;
	free(l->host);
	free(l->stop_by);
	memset(l, 0, sizeof *l);
}

int
ro_store_lease_get(struct ro_store *st, const char *campaign, struct ro_lease_info *out,
    char **cause)
{
	sqlite3_stmt *s;
	int rc, src;

	memset(out, 0, sizeof *out);
	if ((rc = adhoc(st, "SELECT pid, host, started_at, heartbeat_at, stop, stop_by"
	    " FROM engine_leases WHERE campaign = ?", &s, cause, "reading the engine lease")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		out->pid = sqlite3_column_int64(s, 0);
		out->host = col_dup(s, 1);
		out->started_at = sqlite3_column_int64(s, 2);
		out->heartbeat_at = sqlite3_column_int64(s, 3);
		out->stop = sqlite3_column_int(s, 4);
		out->stop_by = col_dup(s, 5);
	} else if (src == SQLITE_DONE)
		rc = fail(st, cause, RO_ENOENT, "%s: no engine holds campaign %s", st->path, campaign);
	else
		rc = sqlfail(st, cause, src, "reading the engine lease");
	sqlite3_finalize(s);
	return rc;
}

/* lease_json appends "pid":N,"host":"H" (and more) for a journal detail. */
static void
lease_json(struct ro_buf *d, int64_t pid, const char *host, int64_t started_at)
{
	ro_buf_printf(d, "\"pid\":%" PRId64 ",\"host\":", pid);
	ro_buf_json_str(d, host);
	ro_buf_printf(d, ",\"started_at\":%" PRId64, started_at);
}

int
ro_store_lease_take(struct ro_store *st, const char *campaign, int64_t pid, const char *host,
    int64_t now_s, const struct ro_lease_info *prev, char **cause)
{
	struct ro_lease_info cur;
	struct ro_buf d;
	sqlite3_stmt *s = NULL;
	int owned, rc, src, have;

	memset(&cur, 0, sizeof cur);
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	rc = ro_store_lease_get(st, campaign, &cur, NULL);
	if (rc != 0 && rc != RO_ENOENT)
		goto out;
	have = rc == 0;
	rc = 0;
	if (have && (prev == NULL || cur.pid != prev->pid || cur.started_at != prev->started_at ||
	    strcmp(cur.host, prev->host) != 0)) {
		rc = fail(st, cause, RO_EEXIST, "campaign %s was just taken by pid %" PRId64
		    " on %s", campaign, cur.pid, cur.host);
		goto out;
	}
	if ((rc = adhoc(st, "INSERT OR REPLACE INTO engine_leases (campaign, pid, host,"
	    " started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)", &s, cause,
	    "recording the engine lease")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	sqlite3_bind_int64(s, 2, pid);
	bind_text(s, 3, host);
	sqlite3_bind_int64(s, 4, now_s);
	sqlite3_bind_int64(s, 5, now_s);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "recording the engine lease");
		goto out;
	}
	ro_buf_addc(&d, '{');
	lease_json(&d, pid, host, now_s);
	if (have) {
		ro_buf_adds(&d, ",\"took_over\":{");
		lease_json(&d, cur.pid, cur.host, cur.started_at);
		ro_buf_printf(&d, ",\"heartbeat_at\":%" PRId64 "}", cur.heartbeat_at);
	}
	ro_buf_addc(&d, '}');
	rc = journal_append(st, campaign, have ? "engine.takeover" : "engine.lease", NULL, d.p,
	    cause);
out:
	sqlite3_finalize(s);
	ro_lease_info_clear(&cur);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_lease_beat(struct ro_store *st, const char *campaign, int64_t pid, const char *host,
    int64_t started_at, int64_t now_s, int *stop)
{
	sqlite3_stmt *s = NULL;
	int owned, rc, src;

	*stop = 0;
	if ((rc = wtx_begin(st, &owned, NULL)) != 0)
		return rc;
	if ((rc = adhoc(st, "UPDATE engine_leases SET heartbeat_at = ? WHERE campaign = ?"
	    " AND pid = ? AND host = ? AND started_at = ? RETURNING stop", &s, NULL,
	    "updating the engine heartbeat")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, now_s);
	bind_text(s, 2, campaign);
	sqlite3_bind_int64(s, 3, pid);
	bind_text(s, 4, host);
	sqlite3_bind_int64(s, 5, started_at);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*stop = sqlite3_column_int(s, 0);
		src = sqlite3_step(s);
	} else if (src == SQLITE_DONE)
		rc = fail(st, NULL, RO_ENOENT, "%s: campaign %s is no longer this engine's: another "
		    "engine took it over", st->path, campaign);
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqlfail(st, NULL, src, "updating the engine heartbeat");
out:
	sqlite3_finalize(s);
	return wtx_end(st, owned, rc, NULL);
}

int
ro_store_lease_release(struct ro_store *st, const char *campaign, int64_t pid, const char *host,
    int64_t started_at, char **cause)
{
	enum ro_campaign_state cs;
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src;

	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = adhoc(st, "DELETE FROM engine_leases WHERE campaign = ? AND pid = ?"
	    " AND host = ? AND started_at = ?", &s, cause, "releasing the engine lease")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	sqlite3_bind_int64(s, 2, pid);
	bind_text(s, 3, host);
	sqlite3_bind_int64(s, 4, started_at);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "releasing the engine lease");
		goto out;
	}
	if (sqlite3_changes(st->db) == 0)
		goto out;
	if ((rc = campaign_state(st, campaign, &cs, NULL, cause)) != 0)
		goto out;
	ro_buf_addc(&d, '{');
	lease_json(&d, pid, host, started_at);
	ro_buf_printf(&d, ",\"state\":\"%s\"}", ro_campaign_state_name(cs));
	rc = journal_append(st, campaign, "engine.release", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_lease_stop(struct ro_store *st, const char *campaign, int hard,
    struct ro_lease_info *holder, char **cause)
{
	struct ro_lease_info cur;
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src, want = hard ? 2 : 1;

	memset(&cur, 0, sizeof cur);
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = campaign_state(st, campaign, &(enum ro_campaign_state){ 0 }, NULL, cause)) != 0 ||
	    (rc = ro_store_lease_get(st, campaign, &cur, cause)) != 0)
		goto out;
	if ((rc = adhoc(st, "UPDATE engine_leases SET stop = max(stop, ?), stop_by = ?"
	    " WHERE campaign = ?", &s, cause, "asking the engine to stop")) != 0)
		goto out;
	sqlite3_bind_int(s, 1, want);
	bind_text(s, 2, st->actor);
	bind_text(s, 3, campaign);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "asking the engine to stop");
		goto out;
	}
	ro_buf_addc(&d, '{');
	lease_json(&d, cur.pid, cur.host, cur.started_at);
	ro_buf_printf(&d, ",\"stop\":\"%s\"}", hard ? "now" : "after the hosts under way");
	rc = journal_append(st, campaign, "engine.stop", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	rc = wtx_end(st, owned, rc, cause);
	if (rc == 0 && holder != NULL)
		*holder = cur;
	else
		ro_lease_info_clear(&cur);
	return rc;
}

int
ro_store_invocation_set(struct ro_store *st, const char *campaign, const char *cwd, int argc,
    char *const *argv, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct ro_buf a, d;
	int owned, rc, src, i;

	ro_buf_init(&a);
	ro_buf_init(&d);
	ro_buf_addc(&a, '[');
	for (i = 0; i < argc; i++) {
		if (i)
			ro_buf_addc(&a, ',');
		ro_buf_json_str(&a, argv[i]);
	}
	ro_buf_addc(&a, ']');
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		goto done_bufs;
	if ((rc = adhoc(st, "INSERT OR REPLACE INTO engine_invocations (campaign, cwd, argv,"
	    " recorded_at) VALUES (?, ?, ?, ?)", &s, cause, "recording the run's invocation")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, cwd);
	bind_text(s, 3, a.p);
	sqlite3_bind_int64(s, 4, now(st));
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "recording the run's invocation");
		goto out;
	}
	ro_buf_adds(&d, "{\"cwd\":");
	ro_buf_json_str(&d, cwd);
	ro_buf_printf(&d, ",\"argv\":%s}", a.p);
	rc = journal_append(st, campaign, "engine.invocation", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	rc = wtx_end(st, owned, rc, cause);
done_bufs:
	ro_buf_free(&a);
	ro_buf_free(&d);
	return rc;
}

void
ro_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
ro_store_invocation_get(struct ro_store *st, const char *campaign, char **cwd, int *argc,
    char ***argv, char **cause)
{
	sqlite3_stmt *s = NULL;
	char **v = NULL;
	int rc, src, n = 0;

	*cwd = NULL;
	*argc = 0;
	*argv = NULL;
	if ((rc = adhoc(st, "SELECT i.cwd, j.value FROM engine_invocations i, json_each(i.argv) j"
	    " WHERE i.campaign = ? ORDER BY j.key", &s, cause, "reading the run's invocation")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (*cwd == NULL)
			*cwd = col_dup(s, 0);
		v = ro_xrealloc(v, (size_t)(n + 2) * sizeof *v);
		v[n++] = col_dup(s, 1);
		v[n] = NULL;
	}
	if (src != SQLITE_DONE)
		rc = sqlfail(st, cause, src, "reading the run's invocation");
	else if (n == 0)
		rc = fail(st, cause, RO_ENOENT, "%s: campaign %s has no recorded `rollout run`; "
		    "run it once with `rollout run CAMPAIGN-FILE ...`", st->path, campaign);
	sqlite3_finalize(s);
	if (rc != 0) {
		ro_argv_free(v);
		free(*cwd);
		*cwd = NULL;
		return rc;
	}
	*argc = n;
	*argv = v;
	return 0;
}

int
ro_store_hold(struct ro_store *st, const char *campaign, const char *host, const char *reason,
    char **cause)
{
	enum ro_host_state hs;
	enum ro_wave_state ws;
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src, wave;

	if (!nonempty(reason))
		return fail(st, cause, RO_EINVAL, "a hold needs a reason (--reason TEXT)");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = host_state(st, campaign, host, &hs, &wave, &ws, cause)) != 0)
		goto out;
	if (hs == RO_HOST_DONE || hs == RO_HOST_SKIPPED) {
		rc = fail(st, cause, RO_ESTATE, "host %s of %s is %s already; there is nothing "
		    "left to hold it from", host, campaign, hs == RO_HOST_DONE ? "done" : "up to date");
		goto out;
	}
	if ((rc = adhoc(st, "INSERT INTO host_holds (campaign, host, reason, held_by, held_at)"
	    " VALUES (?, ?, ?, ?, ?)", &s, cause, "holding a host")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	bind_text(s, 3, reason);
	bind_text(s, 4, st->actor);
	sqlite3_bind_int64(s, 5, now(st));
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		if (convert(src) == RO_EEXIST)
			rc = fail(st, cause, RO_EEXIST, "host %s of %s is held already; `rollout "
			    "status %s` shows why", host, campaign, campaign);
		else
			rc = sqlfail(st, cause, src, "holding a host");
		goto out;
	}
	ro_buf_adds(&d, "{\"host\":");
	ro_buf_json_str(&d, host);
	ro_buf_printf(&d, ",\"wave\":%d,\"state\":\"%s\",\"reason\":", wave, ro_host_state_name(hs));
	ro_buf_json_str(&d, reason);
	ro_buf_addc(&d, '}');
	rc = journal_append(st, campaign, "host.hold", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_hold_release(struct ro_store *st, const char *campaign, const char *host, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src;

	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = adhoc(st, "DELETE FROM host_holds WHERE campaign = ? AND host = ?", &s, cause,
	    "releasing a host")) != 0)
		goto out;
	bind_text(s, 1, campaign);
	bind_text(s, 2, host);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "releasing a host");
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		rc = fail(st, cause, RO_ENOENT, "host %s of %s is not held", host, campaign);
		goto out;
	}
	ro_buf_adds(&d, "{\"host\":");
	ro_buf_json_str(&d, host);
	ro_buf_addc(&d, '}');
	rc = journal_append(st, campaign, "host.release", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* hold_row maps a row of the hold list (a row_kind map). */
static void
hold_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_hold_info *h = elem;
	int state = 0;

	(void)ctx;
	h->host = col_dup(s, 0);
	h->site = col_dup(s, 1);
	h->wave = sqlite3_column_int(s, 2);
	parse_name(host_state_names, RO_NELEM(host_state_names),
	    (const char *)sqlite3_column_text(s, 3), &state);
	h->state = (enum ro_host_state)state;
	h->reason = col_dup(s, 4);
	h->held_by = col_dup(s, 5);
	h->held_at = sqlite3_column_int64(s, 6);
	h->site_name = col_dup(s, 7);
}

static void
hold_clear(void *elem)
{
	struct ro_hold_info *h = elem;

	free(h->host);
	free(h->site);
	free(h->reason);
	free(h->held_by);
	free(h->site_name);
}

static const struct row_kind hold_rows = {
	sizeof(struct ro_hold_info), 8, hold_row, NULL, hold_clear
};

int
ro_store_hold_list(struct ro_store *st, const char *campaign, struct ro_hold_info **out,
    size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *v = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = adhoc(st, "SELECT h.host, h.site, h.wave, h.state, x.reason, x.held_by,"
	    " x.held_at, (SELECT s.name FROM campaign_sites s WHERE s.campaign = h.campaign"
	    " AND s.site = h.site) FROM host_holds x JOIN campaign_hosts h ON h.campaign = x.campaign"
	    " AND h.host = x.host WHERE x.campaign = ? ORDER BY h.wave, h.host", &s, NULL,
	    "listing held hosts")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &hold_rows, NULL, &v, n, "listing held hosts");
	sqlite3_finalize(s);
	*out = v;
	return rc;
}

void
ro_hold_list_free(struct ro_hold_info *v, size_t n)
{
	free_rows(v, n, &hold_rows);
}

/*
 * open_canary_before says whether wave idx directly follows a canary wave
 * (as the plan recorded with the campaign marks it) that is not done yet:
 * *canary is that wave's idx, or -1.
 */
static int
open_canary_before(struct ro_store *st, const char *campaign, int idx, int *canary,
    char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc, src;

	*canary = -1;
	if (idx <= 0)
		return 0;
	if ((rc = adhoc(st, "SELECT w.idx FROM campaigns c, json_each(c.plan_json, '$.waves') j"
	    " JOIN waves w ON w.campaign = c.id AND w.idx = json_extract(j.value, '$.index')"
	    " WHERE c.id = ?1 AND w.idx = ?2 - 1 AND json_extract(j.value, '$.canary') = 1"
	    " AND w.state <> 'done'", &s, cause, "reading the plan's canary waves")) != 0)
		return rc;
	bind_text(s, 1, campaign);
	sqlite3_bind_int(s, 2, idx);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		*canary = sqlite3_column_int(s, 0);
	else if (src != SQLITE_DONE)
		rc = sqlfail(st, cause, src, "reading the plan's canary waves");
	sqlite3_finalize(s);
	return rc;
}

int
ro_store_site_names_set(struct ro_store *st, const char *campaign, size_t n,
    const char *const *ids, const char *const *names, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	size_t i;
	int owned, rc, src, added = 0;

	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = adhoc(st, "INSERT OR REPLACE INTO campaign_sites (campaign, site, name)"
	    " SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM campaign_sites"
	    " WHERE campaign = ?1 AND site = ?2 AND name = ?3)", &s, cause,
	    "recording site names")) != 0)
		goto out;
	ro_buf_adds(&d, "{\"sites\":{");
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		bind_text(s, 1, campaign);
		bind_text(s, 2, ids[i]);
		bind_text(s, 3, names[i]);
		if ((src = sqlite3_step(s)) != SQLITE_DONE) {
			rc = sqlfail(st, cause, src, "recording site names");
			goto out;
		}
		if (sqlite3_changes(st->db) > 0) {
			if (added++)
				ro_buf_addc(&d, ',');
			ro_buf_json_str(&d, ids[i]);
			ro_buf_addc(&d, ':');
			ro_buf_json_str(&d, names[i]);
		}
	}
	ro_buf_adds(&d, "}}");
	if (added)
		rc = journal_append(st, campaign, "campaign.sites", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/* ---------------------------------------------------------------------- */
/* A host's record, for resuming (docs/EXECUTION.md, "Resuming")          */

/*
 * These two use statements prepared per call rather than the cached table
 * above: they run once per host start and once per restart, and keeping
 * them here keeps this part of the store in one place.
 */
int
ro_store_reboot_mark(struct ro_store *st, int64_t intent_id, const char *boot_before,
    char **cause)
{
	sqlite3_stmt *s = NULL;
	char *campaign = NULL, *host = NULL;
	struct ro_buf d;
	int owned, rc, src;

	if (boot_before == NULL || *boot_before == '\0')
		return fail(st, cause, RO_EINVAL, "a reboot mark needs the boot time read before "
		    "the restart");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = prep(st, Q_INTENT_GET, &s, cause, "reading an intent")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, intent_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		campaign = col_dup(s, 0);
		host = col_dup(s, 1);
	}
	sqlite3_reset(s);
	s = NULL;
	if (src != SQLITE_ROW) {
		rc = src == SQLITE_DONE ? fail(st, cause, RO_ENOENT, "%s: there is no intent %"
		    PRId64, st->path, intent_id) : sqlfail(st, cause, src, "reading an intent");
		goto out;
	}
	src = sqlite3_prepare_v2(st->db, "INSERT INTO reboot_marks (intent, boot_before)"
	    " VALUES (?, ?)", -1, &s, NULL);
	if (src == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, intent_id);
		bind_text(s, 2, boot_before);
		src = done(s);
	}
	sqlite3_finalize(s);
	if (src != SQLITE_OK) {
		rc = sqlfail(st, cause, src, "recording the boot time before a restart");
		goto out;
	}
	ro_buf_printf(&d, "{\"intent\":%" PRId64 ",\"host\":", intent_id);
	ro_buf_json_str(&d, host);
	ro_buf_adds(&d, ",\"boot_before\":");
	ro_buf_json_str(&d, boot_before);
	ro_buf_addc(&d, '}');
	rc = journal_append(st, campaign, "step.reboot-mark", NULL, d.p, cause);
out:
	free(campaign);
	free(host);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

/*
 * ro_store_secret_mark records which vault version of credential a
 * password step's intent may put on the host (its sequence number, never
 * the value). It joins the caller's transaction (the executor's group
 * commit), so it is durable together with the intent, before anything is
 * sent.
 */
int
ro_store_secret_mark(struct ro_store *st, int64_t intent_id, const char *credential,
    uint32_t version, char **cause)
{
	sqlite3_stmt *s = NULL;
	int owned, rc, src;

	if (credential == NULL || *credential == '\0' || version == 0)
		return fail(st, cause, RO_EINVAL, "a secret mark needs a credential and a version");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	src = sqlite3_prepare_v2(st->db, "INSERT INTO secret_marks (intent, credential, version)"
	    " VALUES (?, ?, ?)", -1, &s, NULL);
	if (src == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, intent_id);
		bind_text(s, 2, credential);
		sqlite3_bind_int64(s, 3, version);
		src = done(s);
	}
	sqlite3_finalize(s);
	if (src != SQLITE_OK)
		rc = sqlfail(st, cause, src, "recording the vault version a password step applies");
	return wtx_end(st, owned, rc, cause);
}

/* step_record_row maps a row of the history query (a row_kind map). */
static void
step_record_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_step_record *r = elem;

	(void)ctx;
	r->intent = sqlite3_column_int64(s, 0);
	r->step_idx = sqlite3_column_int(s, 1);
	r->step_name = col_dup(s, 2);
	r->attempt = sqlite3_column_int(s, 3);
	r->has_outcome = sqlite3_column_type(s, 4) != SQLITE_NULL;
	if (r->has_outcome)
		ro_step_status_parse((const char *)sqlite3_column_text(s, 4), &r->status);
	r->exit_code = sqlite3_column_type(s, 5) == SQLITE_NULL ? RO_STORE_NO_EXIT_CODE :
	    sqlite3_column_int(s, 5);
	r->detail = col_dup(s, 6);
	r->boot_before = col_dup(s, 7);
	r->secret_version = sqlite3_column_type(s, 8) == SQLITE_NULL ? 0 :
	    (uint32_t)sqlite3_column_int64(s, 8);
}

static void
step_record_clear(void *elem)
{
	struct ro_step_record *r = elem;

	free(r->step_name);
	free(r->detail);
	free(r->boot_before);
}

static const struct row_kind step_record_rows = {
	sizeof(struct ro_step_record), 16, step_record_row, NULL, step_record_clear
};

int
ro_store_host_history(struct ro_store *st, const char *campaign, const char *host,
    struct ro_step_record **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *v = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT i.id, i.step_idx, i.step_name, i.attempt,"
	    " o.status, o.exit_code, o.detail, r.boot_before, m.version FROM step_intents i"
	    " LEFT JOIN step_outcomes o ON o.intent = i.id"
	    " LEFT JOIN reboot_marks r ON r.intent = i.id"
	    " LEFT JOIN secret_marks m ON m.intent = i.id"
	    " WHERE i.campaign = ? AND i.host = ? ORDER BY i.id", -1, &s, NULL) == SQLITE_OK) {
		bind_text(s, 1, campaign);
		bind_text(s, 2, host);
	} else {
		sqlite3_finalize(s);
		s = NULL;
	}
	rc = collect_rows(st, s, &step_record_rows, NULL, &v, n, "reading a host's steps");
	sqlite3_finalize(s);
	*out = v;
	return rc;
}

void
ro_step_record_list_free(struct ro_step_record *v, size_t n)
{
	free_rows(v, n, &step_record_rows);
}

/* ---------------------------------------------------------------------- */
/* The connection, for the store's read-only report queries                */

/* The store's connection, for store-report.c (store-int.h): the report
 * queries are part of the store module, kept in a file of their own. */
sqlite3 *
ro_store__db(struct ro_store *st)
{
	return st->db;
}

/* ---------------------------------------------------------------------- */
/* Incidents                                                               */

static const char *const incident_kinds[] = { "cs", "terminal", "touch-panel" };

/* month_range turns "2026-10" (a JST month) into [*from, *to) in Unix
 * seconds; RO_EINVAL when month is not of that form. */
static int
month_range(const char *month, int64_t *from, int64_t *to)
{
	struct ro_date d = { 0, 0, 1 }, e;
	char iso[16];
	int v;

	if (month == NULL || strlen(month) != 7)
		return RO_EINVAL;
	snprintf(iso, sizeof iso, "%s-01", month);
	if (ro_date_parse_iso(iso, &d) != 0)
		return RO_EINVAL;
	e = d;
	if (++e.m > 12) {
		e.m = 1;
		e.y++;
	}
	v = ro_date_to_day(d);
	*from = ro_jst_minute(v, 0) * 60;
	*to = ro_jst_minute(ro_date_to_day(e), 0) * 60;
	return 0;
}

#define INCIDENT_COLS "i.id, i.host, i.kind, i.state, i.rule, i.note, i.explanation," \
	" i.opened_by, (SELECT group_concat(c.campaign, ',') FROM incident_campaigns c" \
	" WHERE c.incident = i.id), i.instructed_at, i.deadline, i.opened_at, i.arrived_at," \
	" i.recovered_at, i.closed_at"

static void
incident_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_incident_info *inc = elem;

	(void)ctx;
	inc->id = sqlite3_column_int64(s, 0);
	inc->host = col_dup(s, 1);
	inc->kind = col_dup(s, 2);
	inc->state = col_dup(s, 3);
	inc->rule = col_dup(s, 4);
	inc->note = col_dup(s, 5);
	inc->explanation = col_dup(s, 6);
	inc->opened_by = col_dup(s, 7);
	inc->campaigns = col_dup(s, 8);
	inc->instructed_at = sqlite3_column_int64(s, 9);
	inc->deadline = sqlite3_column_int64(s, 10);
	inc->opened_at = sqlite3_column_int64(s, 11);
	inc->arrived_at = col_time(s, 12);
	inc->recovered_at = col_time(s, 13);
	inc->closed_at = col_time(s, 14);
	inc->met = inc->arrived_at == RO_STORE_NO_TIME ? -1 : inc->arrived_at <= inc->deadline;
}

static void
incident_clear(void *elem)
{
	ro_incident_info_clear(elem);
}

static const struct row_kind incident_rows = {
	sizeof(struct ro_incident_info), 8, incident_row, NULL, incident_clear
};

void
ro_incident_info_clear(struct ro_incident_info *inc)
{
	if (inc == NULL)
		return;
	free(inc->host);
	free(inc->kind);
	free(inc->state);
	free(inc->rule);
	free(inc->note);
	free(inc->explanation);
	free(inc->opened_by);
	free(inc->campaigns);
	memset(inc, 0, sizeof *inc);
}

void
ro_incident_list_free(struct ro_incident_info *v, size_t n)
{
	free_rows(v, n, &incident_rows);
}

int
ro_store_incident_get(struct ro_store *st, int64_t id, struct ro_incident_info *out,
    char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc, src;

	memset(out, 0, sizeof *out);
	if ((rc = adhoc(st, "SELECT " INCIDENT_COLS " FROM incidents i WHERE i.id = ?", &s,
	    cause, "reading an incident")) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		incident_row(s, out, NULL);
	else if (src == SQLITE_DONE)
		rc = fail(st, cause, RO_ENOENT, "there is no incident %" PRId64 "; `rollout "
		    "incident list` lists them", id);
	else
		rc = sqlfail(st, cause, src, "reading an incident");
	sqlite3_finalize(s);
	return rc;
}

int
ro_store_incident_list(struct ro_store *st, int open_only, const char *month,
    struct ro_incident_info **out, size_t *n, char **cause)
{
	sqlite3_stmt *s = NULL;
	int64_t from = INT64_MIN, to = INT64_MAX;
	void *v = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (month != NULL && month_range(month, &from, &to) != 0)
		return fail(st, cause, RO_EINVAL, "month \"%s\" is not of the form YYYY-MM "
		    "(e.g. 2026-10)", month);
	if ((rc = adhoc(st, "SELECT " INCIDENT_COLS " FROM incidents i WHERE"
	    " (?1 = 0 OR i.state <> 'closed') AND i.instructed_at >= ?2 AND i.instructed_at < ?3"
	    " ORDER BY i.instructed_at, i.id", &s, cause, "listing incidents")) != 0)
		return rc;
	sqlite3_bind_int(s, 1, open_only != 0);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	rc = collect_rows(st, s, &incident_rows, NULL, &v, n, "listing incidents");
	sqlite3_finalize(s);
	*out = v;
	if (rc != 0 && cause != NULL)
		*cause = ro_xstrdup(ro_store_errmsg(st));
	return rc;
}

int
ro_store_incidents_month(struct ro_store *st, const char *month, ro_incident_cb cb, void *arg)
{
	struct ro_incident_info *v = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = ro_store_incident_list(st, 0, month, &v, &n, NULL)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = cb(arg, &v[i]);
	ro_incident_list_free(v, n);
	return rc;
}

/* incident_event_insert appends one row to incident_events. */
static int
incident_event_insert(struct ro_store *st, int64_t id, const char *event, int64_t at,
    const char *note, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc, src;

	if ((rc = adhoc(st, "INSERT INTO incident_events (incident, event, at, recorded_at,"
	    " actor, note) VALUES (?, ?, ?, ?, ?, ?)", &s, cause, "recording an incident event")) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, event);
	sqlite3_bind_int64(s, 3, at);
	sqlite3_bind_int64(s, 4, now(st));
	bind_text(s, 5, st->actor);
	bind_text(s, 6, note);
	if ((src = sqlite3_step(s)) != SQLITE_DONE)
		rc = sqlfail(st, cause, src, "recording an incident event");
	sqlite3_finalize(s);
	return rc;
}

int
ro_store_incident_open(struct ro_store *st, const struct ro_incident_new *in, int64_t *id,
    char **cause)
{
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src, k;

	if (!nonempty(in->host))
		return fail(st, cause, RO_EINVAL, "an incident needs a host (--host NAME)");
	if (in->kind == NULL || parse_name(incident_kinds, RO_NELEM(incident_kinds), in->kind, &k) != 0)
		return fail(st, cause, RO_EINVAL, "incident kind \"%s\" is not one of cs, terminal, "
		    "touch-panel", in->kind ? in->kind : "");
	if (in->deadline < in->instructed_at || !nonempty(in->rule))
		return fail(st, cause, RO_EINVAL, "an incident's deadline must follow its "
		    "instruction; this is a bug in rollout");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = adhoc(st, "INSERT INTO incidents (host, kind, instructed_at, deadline, rule,"
	    " note, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &s, cause,
	    "opening an incident")) != 0)
		goto out;
	bind_text(s, 1, in->host);
	bind_text(s, 2, in->kind);
	sqlite3_bind_int64(s, 3, in->instructed_at);
	sqlite3_bind_int64(s, 4, in->deadline);
	bind_text(s, 5, in->rule);
	bind_text(s, 6, in->note);
	bind_text(s, 7, st->actor);
	sqlite3_bind_int64(s, 8, now(st));
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "opening an incident");
		goto out;
	}
	*id = sqlite3_last_insert_rowid(st->db);
	if ((rc = incident_event_insert(st, *id, "open", in->instructed_at, in->note, cause)) != 0)
		goto out;
	ro_buf_printf(&d, "{\"incident\":%" PRId64 ",\"host\":", *id);
	ro_buf_json_str(&d, in->host);
	ro_buf_adds(&d, ",\"kind\":");
	ro_buf_json_str(&d, in->kind);
	ro_buf_printf(&d, ",\"instructed_at\":%" PRId64 ",\"deadline\":%" PRId64 ",\"rule\":",
	    in->instructed_at, in->deadline);
	ro_buf_json_str(&d, in->rule);
	ro_buf_adds(&d, ",\"note\":");
	ro_buf_json_str(&d, in->note);
	ro_buf_addc(&d, '}');
	rc = journal_append(st, NULL, "incident.open", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_incident_event(struct ro_store *st, int64_t id, const char *event, int64_t at,
    const char *note, const char *explanation, char **cause)
{
	struct ro_incident_info inc;
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	const char *to, *col, *kind;
	int64_t last, t = now(st);
	int owned, rc, src;

	memset(&inc, 0, sizeof inc);
	if (event == NULL)
		return fail(st, cause, RO_EINVAL, "no incident event named; this is a bug in rollout");
	if (strcmp(event, "arrive") == 0) {
		to = "arrived", col = "arrived_at", kind = "incident.arrive";
	} else if (strcmp(event, "recover") == 0) {
		to = "recovered", col = "recovered_at", kind = "incident.recover";
	} else if (strcmp(event, "close") == 0) {
		to = "closed", col = "closed_at", kind = "incident.close";
	} else
		return fail(st, cause, RO_EINVAL, "incident event \"%s\" is not one of arrive, "
		    "recover, close", event);
	if (at == RO_STORE_NO_TIME)
		at = t;
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = ro_store_incident_get(st, id, &inc, cause)) != 0)
		goto out;
	last = inc.instructed_at;
	if (inc.arrived_at != RO_STORE_NO_TIME)
		last = inc.arrived_at;
	if (inc.recovered_at != RO_STORE_NO_TIME)
		last = inc.recovered_at;
	if (strcmp(event, "arrive") == 0 && strcmp(inc.state, "open") != 0) {
		rc = fail(st, cause, RO_ESTATE, "incident %" PRId64 " is %s already: arrival is "
		    "recorded once", id, inc.state);
		goto out;
	}
	if (strcmp(event, "recover") == 0 && strcmp(inc.state, "arrived") != 0) {
		if (strcmp(inc.state, "open") == 0)
			rc = fail(st, cause, RO_ESTATE, "incident %" PRId64 " is open: record the "
			    "arrival on site first (`rollout incident arrive %" PRId64 "`)", id, id);
		else
			rc = fail(st, cause, RO_ESTATE, "incident %" PRId64 " is %s already",
			    id, inc.state);
		goto out;
	}
	if (strcmp(event, "close") == 0 && strcmp(inc.state, "closed") == 0) {
		rc = fail(st, cause, RO_ESTATE, "incident %" PRId64 " is closed already", id);
		goto out;
	}
	/* Closing without anyone on site (the city called it off) needs to
	 * say so: the report shows it as neither met nor missed. */
	if (strcmp(event, "close") == 0 && strcmp(inc.state, "open") == 0 &&
	    !nonempty(explanation)) {
		rc = fail(st, cause, RO_ESTATE, "incident %" PRId64 " has no arrival on site yet: "
		    "record it first (`rollout incident arrive %" PRId64 " --at TIME`), or, if "
		    "no one went (the city called it off), close it with --explanation TEXT",
		    id, id);
		goto out;
	}
	if (at < last) {
		char a[RO_JST_FMT_MAX], b[RO_JST_FMT_MAX];
		rc = fail(st, cause, RO_EINVAL, "incident %" PRId64 ": %s at %s is before the "
		    "previous event (%s); give --at a later time", id, event,
		    ro_jst_format(at / 60, a), ro_jst_format(last / 60, b));
		goto out;
	}
	if (at > t + 60) {
		char a[RO_JST_FMT_MAX];
		rc = fail(st, cause, RO_EINVAL, "incident %" PRId64 ": %s at %s is in the future; "
		    "record it when it has happened", id, event, ro_jst_format(at / 60, a));
		goto out;
	}
	if (strcmp(event, "close") == 0 && inc.arrived_at > inc.deadline &&
	    !nonempty(explanation)) {
		char a[RO_JST_FMT_MAX], b[RO_JST_FMT_MAX];
		rc = fail(st, cause, RO_EINVAL, "incident %" PRId64 " missed its target: on site "
		    "%s, deadline %s (%" PRId64 " min late). The response report must say why: "
		    "close it with --explanation TEXT", id, ro_jst_format(inc.arrived_at / 60, a),
		    ro_jst_format(inc.deadline / 60, b),
		    (inc.arrived_at - inc.deadline + 59) / 60);
		goto out;
	}
	{
		char *sql = ro_xasprintf("UPDATE incidents SET state = ?1, %s = ?2,"
		    " explanation = coalesce(?3, explanation) WHERE id = ?4", col);
		rc = adhoc(st, sql, &s, cause, "updating an incident");
		free(sql);
		if (rc != 0)
			goto out;
	}
	bind_text(s, 1, to);
	sqlite3_bind_int64(s, 2, at);
	bind_text(s, 3, nonempty(explanation) ? explanation : NULL);
	sqlite3_bind_int64(s, 4, id);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "updating an incident");
		goto out;
	}
	if ((rc = incident_event_insert(st, id, event, at, note, cause)) != 0)
		goto out;
	ro_buf_printf(&d, "{\"incident\":%" PRId64 ",\"at\":%" PRId64 ",\"state\":\"%s\","
	    "\"note\":", id, at, to);
	ro_buf_json_str(&d, note);
	if (nonempty(explanation)) {
		ro_buf_adds(&d, ",\"explanation\":");
		ro_buf_json_str(&d, explanation);
	}
	ro_buf_addc(&d, '}');
	rc = journal_append(st, NULL, kind, NULL, d.p, cause);
out:
	ro_incident_info_clear(&inc);
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_incident_link(struct ro_store *st, int64_t id, const char *campaign, char **cause)
{
	struct ro_incident_info inc;
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src;

	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = ro_store_incident_get(st, id, &inc, cause)) != 0)
		goto out;
	ro_incident_info_clear(&inc);
	if ((rc = adhoc(st, "INSERT OR IGNORE INTO incident_campaigns (incident, campaign)"
	    " SELECT ?1, id FROM campaigns WHERE id = ?2", &s, cause, "linking a campaign")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, campaign);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "linking a campaign to an incident");
		goto out;
	}
	if (sqlite3_changes(st->db) == 0)
		goto out; /* linked already, or no such campaign: checked by the caller */
	ro_buf_printf(&d, "{\"incident\":%" PRId64 ",\"campaign\":", id);
	ro_buf_json_str(&d, campaign);
	ro_buf_addc(&d, '}');
	rc = journal_append(st, campaign, "incident.link", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_incident_file_add(struct ro_store *st, const struct ro_incident_file *f, char **cause)
{
	struct ro_incident_info inc;
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src;

	if (f->sha256 == NULL || strlen(f->sha256) != 64 || f->size < 0 ||
	    !nonempty(f->local_path) || !nonempty(f->remote_path) || !nonempty(f->host))
		return fail(st, cause, RO_EINVAL, "a fetched file needs a host, both paths, a "
		    "size and a SHA-256; this is a bug in rollout");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = ro_store_incident_get(st, f->incident, &inc, cause)) != 0)
		goto out;
	ro_incident_info_clear(&inc);
	if ((rc = adhoc(st, "INSERT INTO incident_files (incident, host, remote_path, local_path,"
	    " sha256, size, fetched_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &s, cause,
	    "recording a fetched file")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, f->incident);
	bind_text(s, 2, f->host);
	bind_text(s, 3, f->remote_path);
	bind_text(s, 4, f->local_path);
	bind_text(s, 5, f->sha256);
	sqlite3_bind_int64(s, 6, f->size);
	sqlite3_bind_int64(s, 7, now(st));
	bind_text(s, 8, st->actor);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "recording a fetched file");
		goto out;
	}
	ro_buf_printf(&d, "{\"incident\":%" PRId64 ",\"host\":", f->incident);
	ro_buf_json_str(&d, f->host);
	ro_buf_adds(&d, ",\"remote_path\":");
	ro_buf_json_str(&d, f->remote_path);
	ro_buf_adds(&d, ",\"local_path\":");
	ro_buf_json_str(&d, f->local_path);
	ro_buf_printf(&d, ",\"sha256\":\"%s\",\"size\":%" PRId64 "}", f->sha256, f->size);
	rc = journal_append(st, NULL, "incident.file", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

int
ro_store_incident_files(struct ro_store *st, int64_t id, ro_incident_file_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc, src = SQLITE_DONE;

	if ((rc = adhoc(st, "SELECT host, remote_path, local_path, sha256, size, fetched_at"
	    " FROM incident_files WHERE incident = ? ORDER BY id", &s, NULL,
	    "listing an incident's files")) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
		struct ro_incident_file f = {
			id, (const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1),
			(const char *)sqlite3_column_text(s, 2),
			(const char *)sqlite3_column_text(s, 3), sqlite3_column_int64(s, 4),
		};
		rc = cb(arg, &f, sqlite3_column_int64(s, 5));
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqlfail(st, NULL, src, "listing an incident's files");
	sqlite3_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Records: findings and on-site results (docs/INSPECTION.md)              */

/* These statements are prepared per call, not cached: they run once per
 * finding or record, and keep this part apart from the cached list. */
static int
rec_prepare(struct ro_store *st, const char *sql, sqlite3_stmt **s, char **cause,
    const char *doing)
{
	int src = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

	if (src != SQLITE_OK) {
		*s = NULL;
		return sqlfail(st, cause, src, doing);
	}
	return 0;
}

int
ro_store_finding_add(struct ro_store *st, const struct ro_finding_new *f, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	size_t len;
	int owned, rc, src, trunc;

	if (f == NULL || !nonempty(f->campaign) || !nonempty(f->host) || !nonempty(f->step_name))
		return fail(st, cause, RO_EINVAL, "a finding needs a campaign, a host and a step");
	len = f->output != NULL ? f->output_len : 0;
	trunc = len > RO_FINDING_OUTPUT_MAX;
	if (trunc) {
		len = RO_FINDING_OUTPUT_MAX;
		/* Cut on a UTF-8 character boundary so the text stays valid. */
		while (len > 0 && ((unsigned char)f->output[len] & 0xC0) == 0x80)
			len--;
	}
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	if ((rc = rec_prepare(st, "INSERT INTO findings (intent, campaign, host, step_idx, "
	    "step_name, item, exit_code, detail, output, truncated, at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &s, cause,
	    "recording a finding")) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, f->intent);
	bind_text(s, 2, f->campaign);
	bind_text(s, 3, f->host);
	sqlite3_bind_int(s, 4, f->step_idx);
	bind_text(s, 5, f->step_name);
	bind_text(s, 6, f->item);
	if (f->exit_code == RO_STORE_NO_EXIT_CODE)
		sqlite3_bind_null(s, 7);
	else
		sqlite3_bind_int(s, 7, f->exit_code);
	bind_text(s, 8, f->detail);
	sqlite3_bind_text(s, 9, f->output != NULL ? f->output : "", (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 10, trunc);
	sqlite3_bind_int64(s, 11, now(st));
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "recording a finding");
		goto out;
	}
	ro_buf_adds(&d, "{\"host\":");
	ro_buf_json_str(&d, f->host);
	ro_buf_adds(&d, ",\"step\":");
	ro_buf_json_str(&d, f->step_name);
	ro_buf_adds(&d, ",\"item\":");
	ro_buf_json_str(&d, f->item);
	ro_buf_printf(&d, ",\"output_bytes\":%zu,\"truncated\":%s}", len, trunc ? "true" : "false");
	rc = journal_append(st, f->campaign, "finding", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}

static void
finding_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_finding *f = elem;

	(void)ctx;
	f->id = sqlite3_column_int64(s, 0);
	f->host = col_dup(s, 1);
	f->site = col_dup(s, 2);
	f->step_idx = sqlite3_column_int(s, 3);
	f->step_name = col_dup(s, 4);
	f->item = col_dup(s, 5);
	f->exit_code = sqlite3_column_type(s, 6) == SQLITE_NULL ? RO_STORE_NO_EXIT_CODE :
	    sqlite3_column_int(s, 6);
	f->detail = col_dup(s, 7);
	f->output = col_dup(s, 8);
	f->truncated = sqlite3_column_int(s, 9);
	f->at = sqlite3_column_int64(s, 10);
	f->manual = sqlite3_column_int(s, 11);
	f->person = col_dup(s, 12);
	f->person_ja = col_dup(s, 13);
}

static void
finding_clear(void *elem)
{
	struct ro_finding *f = elem;

	free(f->host);
	free(f->site);
	free(f->step_name);
	free(f->item);
	free(f->detail);
	free(f->output);
	free(f->person);
	free(f->person_ja);
}

static const struct row_kind finding_rows = { sizeof(struct ro_finding), 16, finding_row, NULL,
	finding_clear };

static const char *const findings_sql =
    /* The last finding of each step of each host whose latest attempt failed... */
    "SELECT f.id, f.host, h.site, f.step_idx, f.step_name, f.item, f.exit_code, f.detail,"
    "  f.output, f.truncated, f.at, 0, NULL, NULL"
    " FROM findings f JOIN campaign_hosts h ON h.campaign = f.campaign AND h.host = f.host"
    " WHERE f.campaign = ?1 AND f.id = (SELECT max(g.id) FROM findings g"
    "   WHERE g.campaign = f.campaign AND g.host = f.host AND g.step_idx = f.step_idx)"
    "  AND NOT EXISTS (SELECT 1 FROM step_intents i JOIN step_outcomes o ON o.intent = i.id"
    "   WHERE i.campaign = f.campaign AND i.host = f.host AND i.step_idx = f.step_idx"
    "     AND i.id > f.intent AND o.status = 'ok')"
    /* ... and the manual steps recorded on site as findings (latest record). */
    " UNION ALL"
    " SELECT m.id, m.host, h.site, m.step_idx, m.step_name, NULL, NULL, m.note, '', 0, m.at,"
    "  1, m.person, m.person_ja"
    " FROM manual_records m JOIN campaign_hosts h ON h.campaign = m.campaign AND h.host = m.host"
    " WHERE m.campaign = ?1 AND m.result = 'finding' AND m.id = (SELECT max(r.id)"
    "   FROM manual_records r WHERE r.campaign = m.campaign AND r.host = m.host"
    "   AND r.step_idx = m.step_idx)"
    " ORDER BY 3, 2, 4";

int
ro_store_findings_list(struct ro_store *st, const char *campaign, struct ro_finding **out,
    size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *v;
	int rc;

	if (sqlite3_prepare_v2(st->db, findings_sql, -1, &s, NULL) != SQLITE_OK)
		s = NULL;
	if (s != NULL)
		bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &finding_rows, NULL, &v, n, "listing findings");
	sqlite3_finalize(s);
	*out = v;
	for (size_t i = 0; i < *n; i++) {
		struct ro_finding *f = &(*out)[i];
		if (f->item == NULL && f->manual)
			f->item = ro_finding_item(f->step_name);
	}
	return rc;
}

void
ro_finding_list_free(struct ro_finding *v, size_t n)
{
	free_rows(v, n, &finding_rows);
}

char *
ro_finding_item(const char *step_name)
{
	if (step_name != NULL && (step_name[0] == 't' || step_name[0] == 'c') &&
	    step_name[1] >= '0' && step_name[1] <= '9' && step_name[2] >= '0' && step_name[2] <= '9' &&
	    (step_name[3] == '-' || step_name[3] == '\0')) {
		char *x = ro_xmalloc(4);
		memcpy(x, step_name, 3);
		x[3] = '\0';
		return x;
	}
	return NULL;
}

static void
manual_row(sqlite3_stmt *s, void *elem, void *ctx)
{
	struct ro_manual_item *m = elem;

	(void)ctx;
	m->host = col_dup(s, 0);
	m->site = col_dup(s, 1);
	m->step_idx = sqlite3_column_int(s, 2);
	m->step_name = col_dup(s, 3);
	m->result = col_dup(s, 4);
	m->note = col_dup(s, 5);
	m->person = col_dup(s, 6);
	m->person_ja = col_dup(s, 7);
	m->login = col_dup(s, 8);
	m->at = col_time(s, 9);
}

static void
manual_clear(void *elem)
{
	struct ro_manual_item *m = elem;

	free(m->host);
	free(m->site);
	free(m->step_name);
	free(m->result);
	free(m->note);
	free(m->person);
	free(m->person_ja);
	free(m->login);
}

static const struct row_kind manual_rows = { sizeof(struct ro_manual_item), 16, manual_row, NULL,
	manual_clear };

int
ro_store_manual_list(struct ro_store *st, const char *campaign, struct ro_manual_item **out,
    size_t *n)
{
	/* Every manual step the engine reached on a host (its outcome says so),
	 * once per host and step, with the latest on-site record if any. */
	static const char *const sql =
	    "SELECT i.host, h.site, i.step_idx, i.step_name, m.result, m.note, m.person,"
	    "  m.person_ja, m.login, m.at"
	    " FROM (SELECT DISTINCT i.campaign, i.host, i.step_idx, i.step_name FROM step_intents i"
	    "   JOIN step_outcomes o ON o.intent = i.id"
	    "   WHERE i.campaign = ?1 AND o.status = 'skipped' AND o.detail = '" RO_MANUAL_DETAIL "') i"
	    " JOIN campaign_hosts h ON h.campaign = i.campaign AND h.host = i.host"
	    " LEFT JOIN manual_records m ON m.id = (SELECT max(r.id) FROM manual_records r"
	    "   WHERE r.campaign = i.campaign AND r.host = i.host AND r.step_idx = i.step_idx)"
	    " ORDER BY h.site, i.host, i.step_idx";
	sqlite3_stmt *s = NULL;
	void *v;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		s = NULL;
	if (s != NULL)
		bind_text(s, 1, campaign);
	rc = collect_rows(st, s, &manual_rows, NULL, &v, n, "listing manual steps");
	sqlite3_finalize(s);
	*out = v;
	return rc;
}

void
ro_manual_list_free(struct ro_manual_item *v, size_t n)
{
	free_rows(v, n, &manual_rows);
}

int
ro_store_manual_record(struct ro_store *st, const struct ro_manual_rec *r, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct ro_buf d;
	int owned, rc, src, idx = -1;

	if (r == NULL || !nonempty(r->campaign) || !nonempty(r->host) || !nonempty(r->step_name) ||
	    !nonempty(r->result) || !nonempty(r->person) || !nonempty(r->signer_key) ||
	    !nonempty(r->signature))
		return fail(st, cause, RO_EINVAL, "an on-site record needs a campaign, a host, a "
		    "step, a result, a person, the person's key and a signature");
	if ((rc = wtx_begin(st, &owned, cause)) != 0)
		return rc;
	ro_buf_init(&d);
	/* Only a manual step the engine reached on that host can be recorded. */
	if ((rc = rec_prepare(st, "SELECT i.step_idx FROM step_intents i JOIN step_outcomes o"
	    " ON o.intent = i.id WHERE i.campaign = ?1 AND i.host = ?2 AND i.step_name = ?3"
	    " AND o.status = 'skipped' AND o.detail = '" RO_MANUAL_DETAIL "' LIMIT 1", &s, cause,
	    "finding the manual step")) != 0)
		goto out;
	bind_text(s, 1, r->campaign);
	bind_text(s, 2, r->host);
	bind_text(s, 3, r->step_name);
	if ((src = sqlite3_step(s)) == SQLITE_ROW)
		idx = sqlite3_column_int(s, 0);
	else if (src != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "finding the manual step");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (idx < 0) {
		rc = fail(st, cause, RO_ENOENT, "campaign %s has no manual step %s waiting on host %s "
		    "(`rollout status %s` lists what is left per site)", r->campaign, r->step_name,
		    r->host, r->campaign);
		goto out;
	}
	if ((rc = rec_prepare(st, "INSERT INTO manual_records (campaign, host, step_idx, step_name,"
	    " result, note, person, person_ja, login, signer_key, signature, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", &s, cause,
	    "recording an on-site result")) != 0)
		goto out;
	bind_text(s, 1, r->campaign);
	bind_text(s, 2, r->host);
	sqlite3_bind_int(s, 3, idx);
	bind_text(s, 4, r->step_name);
	bind_text(s, 5, r->result);
	bind_text(s, 6, r->note);
	bind_text(s, 7, r->person);
	bind_text(s, 8, r->person_ja);
	bind_text(s, 9, st->actor);
	bind_text(s, 10, r->signer_key);
	bind_text(s, 11, r->signature);
	sqlite3_bind_int64(s, 12, r->at);
	if ((src = sqlite3_step(s)) != SQLITE_DONE) {
		rc = sqlfail(st, cause, src, "recording an on-site result");
		goto out;
	}
	ro_buf_adds(&d, "{\"host\":");
	ro_buf_json_str(&d, r->host);
	ro_buf_adds(&d, ",\"step\":");
	ro_buf_json_str(&d, r->step_name);
	ro_buf_adds(&d, ",\"result\":");
	ro_buf_json_str(&d, r->result);
	ro_buf_adds(&d, ",\"person\":");
	ro_buf_json_str(&d, r->person);
	ro_buf_adds(&d, ",\"person_ja\":");
	ro_buf_json_str(&d, r->person_ja);
	ro_buf_adds(&d, ",\"signer_key\":");
	ro_buf_json_str(&d, r->signer_key);
	ro_buf_adds(&d, ",\"signature\":");
	ro_buf_json_str(&d, r->signature);
	ro_buf_adds(&d, ",\"note\":");
	ro_buf_json_str(&d, r->note);
	ro_buf_addc(&d, '}');
	rc = journal_append_at(st, r->at, r->campaign, "manual.record", NULL, d.p, cause);
out:
	sqlite3_finalize(s);
	ro_buf_free(&d);
	return wtx_end(st, owned, rc, cause);
}
