/* approvers-passkey.c - invitations and passkeys of approvers (approvers-passkey.h). */
#include "approvers-passkey.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"

struct ro_pkdb {
	sqlite3 *db;
};

void
ro_passkey_clear(struct ro_passkey *p)
{
	free(p->credential_id);
	free(p->name);
	free(p->campaign);
	free(p->rp_id);
	free(p->public_key);
	free(p->fingerprint);
	free(p->confirmed_by);
	free(p->confirmation);
	memset(p, 0, sizeof *p);
}

void
ro_passkey_binding(const char *name, const char *rp_id, const char *cred_b64,
    const char *pk_hex, struct ro_buf *b)
{
	ro_buf_adds(b, "{\"format\":\"" RO_PASSKEY_FORMAT "\",\"name\":");
	ro_buf_json_str(b, name);
	ro_buf_adds(b, ",\"rp_id\":");
	ro_buf_json_str(b, rp_id);
	ro_buf_adds(b, ",\"credential_id\":");
	ro_buf_json_str(b, cred_b64);
	ro_buf_adds(b, ",\"public_key\":");
	ro_buf_json_str(b, pk_hex);
	ro_buf_addc(b, '}');
}

int
ro_pkdb_open(const char *state_dir, struct ro_pkdb **out, char **cause)
{
	struct ro_store *st = NULL;
	struct ro_pkdb *db;
	char *path;
	int rc;

	*out = NULL;
	/* Opening the store once brings its schema up to date (schema 9 has
	 * the passkey tables). */
	if ((rc = ro_store_open_dir(state_dir, &st, cause)) != RO_OK)
		return rc;
	ro_store_close(st);
	db = ro_xcalloc(1, sizeof *db);
	path = ro_xasprintf("%s/%s", state_dir, RO_STORE_FILE);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		*cause = ro_xasprintf("%s: %s", path, sqlite3_errmsg(db->db));
		free(path);
		ro_pkdb_close(db);
		return RO_EIO;
	}
	free(path);
	sqlite3_busy_timeout(db->db, 10000);
	*out = db;
	return RO_OK;
}

void
ro_pkdb_close(struct ro_pkdb *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->db);
	free(db);
}

static void
token_hash(const char *token, char hex[65])
{
	unsigned char h[32];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	ro_hex(h, 32, hex);
}

static int
db_fail(struct ro_pkdb *db, char **cause, const char *what)
{
	if (cause)
		*cause = ro_xasprintf("cannot %s: %s", what, sqlite3_errmsg(db->db));
	return RO_EIO;
}

int
ro_pkdb_invite(struct ro_pkdb *db, const char *name, const char *campaign, int64_t now,
    int64_t seconds, char token[RO_INVITE_TOKEN_LEN + 1], char **cause)
{
	unsigned char raw[32];
	char hash[65], *t;
	sqlite3_stmt *s = NULL;
	int rc = RO_OK;

	randombytes_buf(raw, sizeof raw);
	t = ro_b64url(raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	memcpy(token, t, RO_INVITE_TOKEN_LEN + 1);
	sodium_memzero(t, RO_INVITE_TOKEN_LEN);
	free(t);
	token_hash(token, hash);
	if (sqlite3_prepare_v2(db->db, "INSERT INTO approver_invitations (token_hash, name, campaign, "
	    "created_at, expires_at) VALUES (?, ?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, cause, "record the invitation");
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, campaign, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, now + seconds);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(db, cause, "record the invitation");
	sqlite3_finalize(s);
	return rc;
}

int
ro_pkdb_invitation(struct ro_pkdb *db, const char *token, int64_t now, char **name,
    char **campaign)
{
	char hash[65];
	sqlite3_stmt *s = NULL;
	int rc = RO_ENOENT;

	*name = *campaign = NULL;
	if (token == NULL || strlen(token) != RO_INVITE_TOKEN_LEN)
		return RO_ENOENT;
	token_hash(token, hash);
	if (sqlite3_prepare_v2(db->db, "SELECT name, campaign FROM approver_invitations WHERE "
	    "token_hash = ? AND used_at IS NULL AND expires_at > ?", -1, &s, NULL) != SQLITE_OK)
		return RO_EIO;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*name = ro_xstrdup((const char *)sqlite3_column_text(s, 0));
		*campaign = ro_xstrdup((const char *)sqlite3_column_text(s, 1));
		rc = RO_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

int
ro_pkdb_enrol(struct ro_pkdb *db, const char *token, int64_t now, const struct ro_passkey *p,
    char **cause)
{
	char hash[65];
	sqlite3_stmt *s = NULL;
	int rc = RO_OK, r;

	if (token == NULL || strlen(token) != RO_INVITE_TOKEN_LEN) {
		*cause = ro_xstrdup("the invitation is not valid (used, expired or never made)");
		return RO_ENOENT;
	}
	token_hash(token, hash);
	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, cause, "begin the enrolment");
	/* Consumed first: of two enrolments racing on one link, one wins. */
	if (sqlite3_prepare_v2(db->db, "UPDATE approver_invitations SET used_at = ? WHERE "
	    "token_hash = ? AND name = ? AND used_at IS NULL AND expires_at > ?", -1, &s,
	    NULL) != SQLITE_OK) {
		rc = db_fail(db, cause, "consume the invitation");
		goto out;
	}
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, p->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, now);
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = db_fail(db, cause, "consume the invitation");
		goto out;
	}
	if (sqlite3_changes(db->db) != 1) {
		*cause = ro_xstrdup("the invitation is not valid (used, expired or never made)");
		rc = RO_ENOENT;
		goto out;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db->db, "INSERT INTO approver_passkeys (credential_id, name, "
	    "campaign, rp_id, public_key, fingerprint, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    -1, &s, NULL) != SQLITE_OK) {
		rc = db_fail(db, cause, "record the passkey");
		goto out;
	}
	sqlite3_bind_text(s, 1, p->credential_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, p->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, p->campaign, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, p->rp_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, p->public_key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, p->fingerprint, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, now);
	if ((r = sqlite3_step(s)) != SQLITE_DONE) {
		if (r == SQLITE_CONSTRAINT) {
			*cause = ro_xstrdup("this passkey is already enrolled");
			rc = RO_EEXIST;
		} else
			rc = db_fail(db, cause, "record the passkey");
	}
out:
	sqlite3_finalize(s);
	if (sqlite3_exec(db->db, rc == RO_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
	    rc == RO_OK)
		rc = db_fail(db, cause, "commit the enrolment");
	return rc;
}

static char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? ro_xstrdup((const char *)t) : NULL;
}

static int
get_one(struct ro_pkdb *db, const char *where, const char *a, const char *b,
    struct ro_passkey *out)
{
	sqlite3_stmt *s = NULL;
	char *sql;
	int rc = RO_ENOENT;

	memset(out, 0, sizeof *out);
	sql = ro_xasprintf("SELECT credential_id, name, campaign, rp_id, public_key, fingerprint, "
	    "confirmed_by, confirmation FROM approver_passkeys WHERE %s ORDER BY enrolled_at DESC "
	    "LIMIT 1", where);
	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK) {
		free(sql);
		return RO_EIO;
	}
	free(sql);
	sqlite3_bind_text(s, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW) {
		out->credential_id = col(s, 0);
		out->name = col(s, 1);
		out->campaign = col(s, 2);
		out->rp_id = col(s, 3);
		out->public_key = col(s, 4);
		out->fingerprint = col(s, 5);
		out->confirmed_by = col(s, 6);
		out->confirmation = col(s, 7);
		rc = RO_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

int
ro_pkdb_get(struct ro_pkdb *db, const char *cred_b64, struct ro_passkey *out)
{
	return get_one(db, "credential_id = ?", cred_b64, NULL, out);
}

int
ro_pkdb_pending(struct ro_pkdb *db, const char *name, const char *fingerprint,
    struct ro_passkey *out)
{
	return get_one(db, "name = ? AND fingerprint = ? AND confirmation IS NULL", name,
	    fingerprint, out);
}

int
ro_pkdb_confirm(struct ro_pkdb *db, const char *cred_b64, const char *lead_key_hex,
    const char *sig_hex, int64_t now, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = RO_OK;

	if (sqlite3_prepare_v2(db->db, "UPDATE approver_passkeys SET confirmed_by = ?, "
	    "confirmation = ?, confirmed_at = ? WHERE credential_id = ? AND confirmation IS NULL",
	    -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, cause, "record the confirmation");
	sqlite3_bind_text(s, 1, lead_key_hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, sig_hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_text(s, 4, cred_b64, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(db, cause, "record the confirmation");
	else if (sqlite3_changes(db->db) != 1) {
		*cause = ro_xstrdup("the passkey was confirmed meanwhile, or is gone");
		rc = RO_ESTATE;
	}
	sqlite3_finalize(s);
	return rc;
}
