/*
 * passkey.c - the console's only writes: enrolling a passkey from an
 * invitation, logging in with it, and approving or refusing a gate with
 * it (docs/APPROVALS.md, "Passkeys"; web-int.h).
 *
 * Sessions live in this process only (a restart logs everyone out). Every
 * session has a CSRF token that every POST must carry; the cookie is
 * HttpOnly, SameSite=Strict, and Secure under TLS. Failed logins are
 * counted per client address and refused for a while past a limit. The
 * server never signs: an approval is the approver's passkey's assertion
 * over SHA-256 of the approval record, checked here exactly as the engine
 * will check it (ro_approval_verify) before it is stored.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "approval.h"
#include "approvers-passkey.h"
#include "error.h"
#include "store.h"
#include "util.h"
#include "web.h"
#include "web-int.h"
#include "webauthn.h"

#define MAX_SESSIONS 256
#define SESSION_IDLE 1800      /* seconds a session lives unused */
#define LOGIN_FAILS_MAX 5      /* failed logins per address ... */
#define LOGIN_FAILS_WINDOW 300 /* ... within this many seconds, then refused */
#define MAX_CLIENTS 64
#define COOKIE "rollout_session"
#define COMMENT_MAX 2000

struct session {
	char id[RO_INVITE_TOKEN_LEN + 1]; /* "" when the slot is free */
	char csrf[RO_INVITE_TOKEN_LEN + 1];
	unsigned char challenge[32];
	int has_challenge;
	char *user, *cred;         /* once logged in */
	/* The decision whose record the passkey is asked to sign. */
	char *p_campaign, *p_decision, *p_comment;
	int p_wave;
	int64_t p_at;
	int64_t last;
};

struct client {
	char ip[INET6_ADDRSTRLEN];
	int fails;
	int64_t since;
};

static struct session sessions[MAX_SESSIONS];
static struct client clients[MAX_CLIENTS];
/* One passkey request at a time: they are short, and sessions are shared. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void
pending_clear(struct session *s)
{
	free(s->p_campaign);
	free(s->p_decision);
	free(s->p_comment);
	s->p_campaign = s->p_decision = s->p_comment = NULL;
}

static void
session_free(struct session *s)
{
	pending_clear(s);
	free(s->user);
	free(s->cred);
	sodium_memzero(s, sizeof *s);
}

void
ro_web_passkey_init(void)
{
	memset(sessions, 0, sizeof sessions);
	memset(clients, 0, sizeof clients);
}

void
ro_web_passkey_fini(void)
{
	size_t i;

	for (i = 0; i < MAX_SESSIONS; i++)
		session_free(&sessions[i]);
}

static void
random_token(char out[RO_INVITE_TOKEN_LEN + 1])
{
	unsigned char r[32];
	char *t;

	randombytes_buf(r, sizeof r);
	t = ro_b64url(r, sizeof r);
	memcpy(out, t, RO_INVITE_TOKEN_LEN + 1);
	free(t);
}

static struct session *
session_find(struct MHD_Connection *conn, int64_t now)
{
	const char *id = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE);
	size_t i;

	if (id == NULL || strlen(id) != RO_INVITE_TOKEN_LEN)
		return NULL;
	for (i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];
		if (s->id[0] == '\0')
			continue;
		if (now - s->last > SESSION_IDLE) {
			session_free(s);
			continue;
		}
		if (sodium_memcmp(s->id, id, RO_INVITE_TOKEN_LEN) == 0) {
			s->last = now;
			return s;
		}
	}
	return NULL;
}

/* session_new takes a free slot (or the least recently used one). */
static struct session *
session_new(int64_t now)
{
	struct session *s = &sessions[0];
	size_t i;

	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sessions[i].id[0] == '\0' || now - sessions[i].last > SESSION_IDLE) {
			s = &sessions[i];
			break;
		}
		if (sessions[i].last < s->last)
			s = &sessions[i];
	}
	session_free(s);
	random_token(s->id);
	random_token(s->csrf);
	s->last = now;
	return s;
}

/* reply_s answers with the security headers and, for a session, its cookie. */
static int
reply_s(const struct ro_web_config *cfg, struct MHD_Connection *conn, unsigned status,
    const char *type, const struct ro_buf *b, const struct session *s)
{
	struct MHD_Response *r;
	int ret;

	r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ro_web_add_headers(r);
	if (s != NULL) {
		char *c = ro_xasprintf(COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", s->id,
		    cfg->tls_cert ? "; Secure" : "");
		MHD_add_response_header(r, "Set-Cookie", c);
		free(c);
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* reply_json: {"error":MSG} for a failure, or the object in ok. */
static int
reply_err(const struct ro_web_config *cfg, struct MHD_Connection *conn, unsigned status,
    const char *msg)
{
	struct ro_buf b;
	int ret;

	ro_buf_init(&b);
	ro_buf_adds(&b, "{\"error\":");
	ro_buf_json_str(&b, msg);
	ro_buf_adds(&b, "}\n");
	ret = reply_s(cfg, conn, status, "application/json; charset=utf-8", &b, NULL);
	ro_buf_free(&b);
	return ret;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* form_get finds key in an application/x-www-form-urlencoded body and
 * returns its value decoded (malloc'd), or NULL (absent, bad escapes, or a
 * NUL inside). */
static char *
form_get(const char *body, size_t len, const char *key)
{
	size_t kl = strlen(key), i = 0, e, j;
	char *out, *o;

	while (i < len) {
		for (e = i; e < len && body[e] != '&'; e++)
			;
		if (e - i > kl && strncmp(body + i, key, kl) == 0 && body[i + kl] == '=') {
			out = o = ro_xmalloc(e - i);
			for (j = i + kl + 1; j < e; j++) {
				if (body[j] == '+')
					*o++ = ' ';
				else if (body[j] == '%') {
					int hi = j + 2 < e ? hexval(body[j + 1]) : -1;
					int lo = j + 2 < e ? hexval(body[j + 2]) : -1;
					if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
						free(out);
						return NULL;
					}
					*o++ = (char)(hi * 16 + lo);
					j += 2;
				} else
					*o++ = body[j];
			}
			*o = '\0';
			return out;
		}
		i = e + 1;
	}
	return NULL;
}

/* utf8_ok: s is well-formed UTF-8 without control characters but newline. */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	while (*p) {
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
				return 0;
			p++;
			continue;
		}
		n = (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
		if (n < 0 || *p == 0xC0 || *p == 0xC1)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xC0) != 0x80)
				return 0;
	}
	return 1;
}

/* The origin the browser must have signed on: this console's own. */
static char *
origin_of(const struct ro_web_config *cfg, struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	size_t i;

	if (host == NULL || *host == '\0' || strlen(host) > 255)
		return NULL;
	for (i = 0; host[i]; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= '0' && host[i] <= '9') || strchr(".-:[]", host[i])))
			return NULL;
	return ro_xasprintf("%s://%s", cfg->tls_cert ? "https" : "http", host);
}

static struct client *
client_of(struct MHD_Connection *conn, int64_t now)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char ip[INET6_ADDRSTRLEN] = "?";
	struct client *c = &clients[0];
	size_t i;

	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip, sizeof ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip, sizeof ip);
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (strcmp(clients[i].ip, ip) == 0)
			return &clients[i];
		if (clients[i].since < c->since)
			c = &clients[i];
	}
	memset(c, 0, sizeof *c);
	snprintf(c->ip, sizeof c->ip, "%s", ip);
	c->since = now;
	return c;
}

static void
data_attr(struct ro_buf *b, const char *name, const char *value)
{
	ro_buf_printf(b, " data-%s=\"", name);
	ro_html_escape(b, value);
	ro_buf_addc(b, '"');
}

static void
new_challenge(struct session *s, char **b64)
{
	randombytes_buf(s->challenge, sizeof s->challenge);
	s->has_challenge = 1;
	*b64 = ro_b64url(s->challenge, sizeof s->challenge);
}

/* ---------------------------------------------------------------------- */
/* Enrolment                                                               */

static int
page_enrol(const struct ro_web_config *cfg, struct MHD_Connection *conn, int64_t now)
{
	const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");
	struct ro_pkdb *db = NULL;
	struct session *s;
	struct ro_buf b;
	char *name = NULL, *campaign = NULL, *cause = NULL, *ch = NULL, *uid = NULL;
	int ret;

	if (ro_pkdb_open(cfg->state_dir, &db, &cause) != RO_OK ||
	    ro_pkdb_invitation(db, token, now, &name, &campaign) != RO_OK) {
		free(cause);
		ro_pkdb_close(db);
		return ro_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "この招待リンクは無効です（使用済み・"
		    "期限切れ・存在しない）。担当者に新しいリンクを依頼してください。\n"
		    "(this invitation is used, expired or unknown)\n");
	}
	ro_pkdb_close(db);
	s = session_new(now);
	new_challenge(s, &ch);
	uid = ro_b64url((const unsigned char *)name, strlen(name));
	ro_buf_init(&b);
	ro_web_page_head(&b, "パスキーの登録 — rollout");
	ro_buf_adds(&b, "<h1>パスキーの登録</h1>\n<p>承認者 <strong>");
	ro_html_escape(&b, name);
	ro_buf_adds(&b, "</strong> さんのパスキーを登録します（キャンペーン ");
	ro_html_escape(&b, campaign);
	ro_buf_adds(&b, " の承認者名簿）。Windows Hello またはセキュリティキーを使います。</p>\n"
	    "<div id=\"pk\" data-action=\"enrol\"");
	data_attr(&b, "rp", cfg->rp_id);
	data_attr(&b, "challenge", ch);
	data_attr(&b, "user", uid);
	data_attr(&b, "name", name);
	data_attr(&b, "csrf", s->csrf);
	data_attr(&b, "token", token);
	ro_buf_adds(&b, "><button id=\"go\" type=\"button\">パスキーを登録する</button></div>\n"
	    "<h2>確認コード（指紋）</h2><p>登録後、次のコードを電話などで担当リーダーに読み上げてください。"
	    "リーダーが確認するまで、このパスキーでは承認できません。</p>\n"
	    "<p class=\"fp\" id=\"fp\">—</p><p id=\"result\"></p>\n"
	    "<script src=\"/passkey.js\"></script></body></html>\n");
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b, s);
	ro_buf_free(&b);
	free(ch);
	free(uid);
	free(name);
	free(campaign);
	return ret;
}

static int
post_enrol(const struct ro_web_config *cfg, struct MHD_Connection *conn, struct session *s,
    const char *body, size_t len, int64_t now)
{
	char *token = form_get(body, len, "token"), *ad_s = form_get(body, len, "authenticator_data"),
	    *cj_s = form_get(body, len, "client_data_json");
	unsigned char *ad = NULL, *cj = NULL;
	size_t adn = 0, cjn = 0;
	struct ro_webauthn_cred cred;
	struct ro_passkey p;
	struct ro_pkdb *db = NULL;
	char *origin = origin_of(cfg, conn), *why = NULL, *name = NULL, *campaign = NULL, pk_hex[129],
	    fp[25];
	struct ro_buf b;
	int ret, rc;

	memset(&p, 0, sizeof p);
	ro_buf_init(&b);
	if (!s->has_challenge || (ad = ro_b64url_dec(ad_s, 4096, &adn)) == NULL ||
	    (cj = ro_b64url_dec(cj_s, 4096, &cjn)) == NULL) {
		ret = reply_err(cfg, conn, MHD_HTTP_BAD_REQUEST, "登録データが不完全です "
		    "(expected authenticator_data and client_data_json, base64url)");
		goto out;
	}
	if (!ro_webauthn_client_check(cj, cjn, "webauthn.create", s->challenge, sizeof s->challenge,
	    origin ? origin : "", &why) || ro_webauthn_cred_read(cfg->rp_id, ad, adn, &cred, &why) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_BAD_REQUEST, why);
		goto out;
	}
	s->has_challenge = 0;
	if ((rc = ro_pkdb_open(cfg->state_dir, &db, &why)) != RO_OK ||
	    (rc = ro_pkdb_invitation(db, token, now, &name, &campaign)) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_FORBIDDEN, "この招待リンクは無効です（使用済み・期限切れ）"
		    " (the invitation is used or expired)");
		goto out;
	}
	ro_hex(cred.pk, sizeof cred.pk, pk_hex);
	ro_webauthn_fingerprint(cred.id, cred.id_len, cred.pk, fp);
	p.credential_id = ro_b64url(cred.id, cred.id_len);
	p.name = name;
	p.campaign = campaign;
	p.rp_id = (char *)cfg->rp_id;
	p.public_key = pk_hex;
	p.fingerprint = fp;
	if ((rc = ro_pkdb_enrol(db, token, now, &p, &why)) != RO_OK) {
		ret = reply_err(cfg, conn, rc == RO_EIO ? MHD_HTTP_INTERNAL_SERVER_ERROR :
		    MHD_HTTP_FORBIDDEN, why);
		goto out;
	}
	{
		/* Journaled like the CLI's invitation and confirmation. */
		struct ro_store *st = NULL;
		struct ro_buf d;
		char *c2 = NULL;
		if (ro_store_open_dir(cfg->state_dir, &st, &c2) == RO_OK) {
			ro_buf_init(&d);
			ro_buf_adds(&d, "{\"name\":");
			ro_buf_json_str(&d, name);
			ro_buf_adds(&d, ",\"fingerprint\":");
			ro_buf_json_str(&d, fp);
			ro_buf_addc(&d, '}');
			(void)ro_store_journal(st, campaign, "approver.passkey-enrolled", NULL, d.p);
			ro_buf_free(&d);
		}
		free(c2);
		ro_store_close(st);
	}
	ro_buf_adds(&b, "{\"fingerprint\":");
	ro_buf_json_str(&b, fp);
	ro_buf_adds(&b, ",\"message\":");
	ro_buf_json_str(&b, "登録しました。上の確認コードを担当リーダーに伝えてください。");
	ro_buf_adds(&b, "}\n");
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "application/json; charset=utf-8", &b, NULL);
out:
	free(p.credential_id);
	ro_buf_free(&b);
	ro_pkdb_close(db);
	free(token);
	free(ad_s);
	free(cj_s);
	free(ad);
	free(cj);
	free(origin);
	free(why);
	free(name);
	free(campaign);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Login                                                                   */

/* A local path to go back to after login: /c/ID/gate/N, or "/". */
static const char *
next_ok(const char *next)
{
	size_t i;

	if (next == NULL || strncmp(next, "/c/", 3) != 0 || strlen(next) > 200 || strstr(next, ".."))
		return "/";
	for (i = 0; next[i]; i++)
		if (!((next[i] >= 'a' && next[i] <= 'z') || (next[i] >= 'A' && next[i] <= 'Z') ||
		    (next[i] >= '0' && next[i] <= '9') || strchr("/-_.", next[i])))
			return "/";
	return next;
}

static int
page_login(const struct ro_web_config *cfg, struct MHD_Connection *conn, int64_t now)
{
	struct session *s = session_find(conn, now);
	struct ro_buf b;
	char *ch = NULL;
	int ret;

	if (s == NULL)
		s = session_new(now);
	new_challenge(s, &ch);
	ro_buf_init(&b);
	ro_web_page_head(&b, "ログイン — rollout");
	ro_buf_adds(&b, "<h1>承認者のログイン</h1>\n<p>登録したパスキー（Windows Hello・セキュリティキー）"
	    "でログインします。</p>\n<div id=\"pk\" data-action=\"login\"");
	data_attr(&b, "rp", cfg->rp_id);
	data_attr(&b, "challenge", ch);
	data_attr(&b, "csrf", s->csrf);
	data_attr(&b, "next", next_ok(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "next")));
	ro_buf_adds(&b, "><button id=\"go\" type=\"button\">パスキーでログイン</button></div>\n"
	    "<p id=\"result\"></p>\n<script src=\"/passkey.js\"></script></body></html>\n");
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b, s);
	ro_buf_free(&b);
	free(ch);
	return ret;
}

/* roster_of_campaign reads the roster recorded with campaign's plan. */
static int
gates_of(const char *state_dir, const char *campaign, struct ro_gates **g, char **cause)
{
	struct ro_campaign_info ci;
	struct ro_store *st = NULL;
	int rc;

	memset(&ci, 0, sizeof ci);
	if ((rc = ro_store_open_dir(state_dir, &st, cause)) == RO_OK &&
	    (rc = ro_store_campaign_get(st, campaign, &ci, cause)) == RO_OK)
		rc = ro_gates_from_plan_json(ci.plan_json, ci.plan_hash, g, cause);
	if (rc == RO_OK && (*g)->roster == NULL) {
		*cause = ro_xasprintf("campaign %s names no approvers roster", campaign);
		rc = RO_EINVAL;
	}
	ro_campaign_info_clear(&ci);
	ro_store_close(st);
	return rc;
}

/* assertion_check verifies an assertion by passkey p over challenge, with
 * p confirmed by a lead of its campaign's roster. */
static int
assertion_check(const struct ro_web_config *cfg, struct MHD_Connection *conn,
    const struct ro_passkey *p, const unsigned char *challenge, const char *body, size_t len,
    char **why)
{
	char *ad_s = form_get(body, len, "authenticator_data"),
	    *cj_s = form_get(body, len, "client_data_json"), *sg_s = form_get(body, len, "signature");
	unsigned char *ad = NULL, *cj = NULL, *sg = NULL, pk[RO_WEBAUTHN_PUBKEY];
	size_t adn = 0, cjn = 0, sgn = 0, pkn = 0;
	struct ro_gates *g = NULL;
	char *origin = origin_of(cfg, conn);
	int rc = RO_EPROTO;

	if ((ad = ro_b64url_dec(ad_s, 4096, &adn)) == NULL ||
	    (cj = ro_b64url_dec(cj_s, 4096, &cjn)) == NULL ||
	    (sg = ro_b64url_dec(sg_s, 256, &sgn)) == NULL ||
	    sodium_hex2bin(pk, sizeof pk, p->public_key, strlen(p->public_key), NULL, &pkn, NULL) != 0 ||
	    pkn != sizeof pk) {
		*why = ro_xstrdup("the assertion is incomplete (authenticator_data, client_data_json, "
		    "signature: base64url)");
		goto out;
	}
	if (p->confirmation == NULL) {
		*why = ro_xasprintf("%s's passkey is not confirmed yet: the lead confirms it with "
		    "`rollout approvers confirm %s --fingerprint %s --key LEAD.key`", p->name, p->name,
		    p->fingerprint);
		goto out;
	}
	if (gates_of(cfg->state_dir, p->campaign, &g, why) != RO_OK ||
	    ro_approval_passkey_binding_ok(g->roster, p->name, p->rp_id, p->credential_id,
	    p->public_key, p->confirmed_by, p->confirmation, why) != RO_OK)
		goto out;
	rc = ro_webauthn_assert_verify(cfg->rp_id, origin ? origin : "", challenge, 32, pk, ad, adn,
	    cj, cjn, sg, sgn, why);
out:
	ro_gates_free(g);
	free(origin);
	free(ad_s);
	free(cj_s);
	free(sg_s);
	free(ad);
	free(cj);
	free(sg);
	return rc;
}

static int
post_login(const struct ro_web_config *cfg, struct MHD_Connection *conn, struct session *s,
    const char *body, size_t len, int64_t now)
{
	struct client *c = client_of(conn, now);
	char *cred = form_get(body, len, "credential_id"), *why = NULL;
	struct ro_pkdb *db = NULL;
	struct ro_passkey p;
	struct ro_buf b;
	int ret;

	memset(&p, 0, sizeof p);
	if (now - c->since > LOGIN_FAILS_WINDOW) {
		c->fails = 0;
		c->since = now;
	}
	if (c->fails >= LOGIN_FAILS_MAX) {
		free(cred);
		return reply_err(cfg, conn, MHD_HTTP_TOO_MANY_REQUESTS, "ログインの失敗が続いたため、"
		    "しばらく受け付けません (too many failed logins: wait 5 minutes)");
	}
	if (!s->has_challenge || cred == NULL || ro_pkdb_open(cfg->state_dir, &db, &why) != RO_OK ||
	    ro_pkdb_get(db, cred, &p) != RO_OK) {
		free(why);
		why = ro_xstrdup("このパスキーは登録されていません (unknown passkey)");
	} else
		(void)assertion_check(cfg, conn, &p, s->challenge, body, len, &why);
	s->has_challenge = 0; /* one try per challenge */
	if (why != NULL) {
		c->fails++;
		ret = reply_err(cfg, conn, MHD_HTTP_UNAUTHORIZED, why);
		goto out;
	}
	c->fails = 0;
	/* A new session id and token at login: one fixed before cannot ride it. */
	{
		int64_t last = s->last;
		session_free(s);
		random_token(s->id);
		random_token(s->csrf);
		s->last = last;
	}
	s->user = ro_xstrdup(p.name);
	s->cred = ro_xstrdup(p.credential_id);
	ro_buf_init(&b);
	ro_buf_adds(&b, "{\"ok\":true,\"user\":");
	ro_buf_json_str(&b, p.name);
	ro_buf_adds(&b, "}\n");
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "application/json; charset=utf-8", &b, s);
	ro_buf_free(&b);
out:
	ro_passkey_clear(&p);
	ro_pkdb_close(db);
	free(cred);
	free(why);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* The gate                                                                */

/* gate_url splits /c/ID/gate/N[/TAIL] into its parts. */
static int
gate_url(const char *url, char *id, size_t idsz, int *wave, const char **tail)
{
	const char *g, *p;
	char *end;
	long n;
	size_t len;

	if (strncmp(url, "/c/", 3) != 0 || (g = strstr(url + 3, "/gate/")) == NULL)
		return 0;
	len = (size_t)(g - (url + 3));
	if (len == 0 || len >= idsz)
		return 0;
	memcpy(id, url + 3, len);
	id[len] = '\0';
	if (!ro_web_id_ok(id))
		return 0;
	p = g + 6;
	n = strtol(p, &end, 10);
	if (end == p || n < 1 || n > 100000 || (*end != '\0' && *end != '/'))
		return 0;
	*wave = (int)n - 1;
	*tail = end;
	return 1;
}

static const char *
gate_ja(const char *g)
{
	if (strcmp(g, "before-first") == 0)
		return "最初のウェーブの前";
	if (strcmp(g, "after-canary") == 0)
		return "カナリアの後";
	if (strcmp(g, "after-cs") == 0)
		return "CS更新の後";
	if (strcmp(g, "every-wave") == 0)
		return "各ウェーブの前";
	return "ゲート";
}

/* The decisions already given on this gate, each with its verification. */
static void
section_decisions(struct ro_buf *b, struct ro_store *st, const char *id, int wave)
{
	struct ro_approval_check *v = NULL;
	size_t n = 0, nbad = 0, i, shown = 0;
	char *cause = NULL;
	int rc = ro_approval_verify_all(st, id, &v, &n, &nbad, &cause);

	ro_buf_adds(b, "<h2>このゲートの判断</h2>\n");
	if (rc != RO_OK && rc != RO_EPROTO) {
		ro_buf_adds(b, "<p class=\"bad\">検証できません: ");
		ro_html_escape(b, cause);
		ro_buf_adds(b, "</p>\n");
		free(cause);
		return;
	}
	ro_buf_adds(b, "<table><tr><th>No.</th><th>判断</th><th>承認者</th><th>署名</th></tr>\n");
	for (i = 0; i < n; i++) {
		if (v[i].wave != wave)
			continue;
		shown++;
		ro_buf_printf(b, "<tr><td>%lld</td><td>", (long long)v[i].id);
		ro_buf_adds(b, v[i].decision == NULL ? "（署名なし）" :
		    strcmp(v[i].decision, "refuse") == 0 ? "差し戻し" : "承認");
		ro_buf_adds(b, "</td><td>");
		ro_html_escape(b, v[i].approver);
		ro_buf_adds(b, v[i].valid ? "</td><td class=\"ok\">有効" : "</td><td class=\"bad\">無効: ");
		if (!v[i].valid)
			ro_html_escape(b, v[i].why);
		ro_buf_adds(b, "</td></tr>\n");
	}
	if (shown == 0)
		ro_buf_adds(b, "<tr><td colspan=\"4\">まだありません</td></tr>\n");
	ro_buf_adds(b, "</table>\n");
	ro_approval_check_free(v, n);
	free(cause);
}

static int
page_gate(const struct ro_web_config *cfg, struct MHD_Connection *conn, struct session *s,
    const char *id, int wave, int64_t now)
{
	struct ro_campaign_info ci;
	struct ro_wave_info wi;
	struct ro_store *st = NULL;
	struct ro_gates *g = NULL;
	struct ro_buf b;
	char *cause = NULL, *url;
	int ret, rc;

	(void)now;
	ro_buf_init(&b);
	if (s == NULL || s->user == NULL) {
		url = ro_xasprintf("/login?next=/c/%s/gate/%d", id, wave + 1);
		ro_web_page_head(&b, "承認ゲート — rollout");
		ro_buf_adds(&b, "<h1>承認ゲート</h1>\n<p>承認・差し戻しにはパスキーでの<a href=\"");
		ro_html_escape(&b, url);
		ro_buf_adds(&b, "\">ログイン</a>が必要です。</p></body></html>\n");
		ret = reply_s(cfg, conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b, NULL);
		ro_buf_free(&b);
		free(url);
		return ret;
	}
	memset(&ci, 0, sizeof ci);
	memset(&wi, 0, sizeof wi);
	if ((rc = ro_store_open_dir(cfg->state_dir, &st, &cause)) != RO_OK ||
	    (rc = ro_store_campaign_get(st, id, &ci, &cause)) != RO_OK ||
	    (rc = ro_gates_from_plan_json(ci.plan_json, ci.plan_hash, &g, &cause)) != RO_OK ||
	    (size_t)wave >= g->nwaves || g->gate[wave] == NULL ||
	    ro_store_wave_get(st, id, wave, &wi, &cause) != RO_OK) {
		ret = ro_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "そのゲートはありません (no such gate)\n");
		goto out;
	}
	ro_web_page_head(&b, "承認ゲート — rollout");
	ro_buf_printf(&b, "<h1>承認ゲート: ウェーブ%d（%s: ", wave + 1, gate_ja(g->gate[wave]));
	ro_html_escape(&b, g->gate[wave]);
	ro_buf_adds(&b, "）</h1>\n<table><tr><th>キャンペーン</th><td>");
	ro_html_escape(&b, ci.title);
	ro_buf_adds(&b, "（");
	ro_html_escape(&b, ci.id);
	ro_buf_adds(&b, "）</td></tr><tr><th>キャンペーンの状態</th><td>");
	ro_html_escape(&b, ro_web_state_ja(ro_campaign_state_name(ci.state)));
	if (ci.reason) {
		ro_buf_adds(&b, "（");
		ro_html_escape(&b, ci.reason);
		ro_buf_adds(&b, "）");
	}
	ro_buf_adds(&b, "</td></tr><tr><th>ウェーブの状態</th><td>");
	ro_html_escape(&b, ro_web_state_ja(ro_wave_state_name(wi.state)));
	ro_buf_adds(&b, "</td></tr><tr><th>署名する計画ハッシュ</th><td><code id=\"planhash\">");
	ro_html_escape(&b, ci.plan_hash);
	ro_buf_adds(&b, "</code></td></tr><tr><th>承認者</th><td id=\"who\">");
	ro_html_escape(&b, s->user);
	ro_buf_adds(&b, "</td></tr></table>\n");
	if (wave > 0) {
		ro_buf_printf(&b, "<h2>前のウェーブ（ウェーブ%d）の結果</h2>\n", wave);
		ro_web_section_results(&b, st, ci.id, wave - 1);
	} else
		ro_buf_adds(&b, "<p>最初のウェーブの前のゲートです（前のウェーブはありません）。</p>\n");
	section_decisions(&b, st, ci.id, wave);
	if (ci.state == RO_CAMPAIGN_DONE || ci.state == RO_CAMPAIGN_FAILED ||
	    ci.state == RO_CAMPAIGN_CANCELLED) {
		ro_buf_adds(&b, "<p>このキャンペーンは終了しています。判断はできません。</p></body></html>\n");
		ret = reply_s(cfg, conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b, NULL);
		goto out;
	}
	ro_buf_adds(&b, "<h2>判断</h2>\n<div id=\"pk\" data-action=\"gate\"");
	data_attr(&b, "rp", cfg->rp_id);
	data_attr(&b, "csrf", s->csrf);
	data_attr(&b, "cred", s->cred);
	url = ro_xasprintf("/c/%s/gate/%d", ci.id, wave + 1);
	data_attr(&b, "base", url);
	free(url);
	ro_buf_adds(&b, "><p><label for=\"comment\">コメント</label><br><textarea id=\"comment\" "
	    "rows=\"3\" cols=\"60\" maxlength=\"2000\"></textarea></p>\n<p>"
	    "<button id=\"approve\" type=\"button\">承認</button> "
	    "<button id=\"refuse\" type=\"button\">差し戻し</button></p></div>\n"
	    "<p>ボタンを押すとパスキーで、上の計画ハッシュ・ウェーブ・判断・時刻・コメントの記録に署名します。"
	    "差し戻しはキャンペーンを停止します。</p>\n<p id=\"result\"></p>\n"
	    "<script src=\"/passkey.js\"></script></body></html>\n");
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b, NULL);
out:
	free(cause);
	ro_buf_free(&b);
	ro_gates_free(g);
	ro_wave_info_clear(&wi);
	ro_campaign_info_clear(&ci);
	ro_store_close(st);
	return ret;
}

static int
post_gate_challenge(const struct ro_web_config *cfg, struct MHD_Connection *conn,
    struct session *s, const char *id, int wave, const char *body, size_t len, int64_t now)
{
	char *decision = form_get(body, len, "decision"), *comment = form_get(body, len, "comment");
	struct ro_gates *g = NULL;
	struct ro_approval_rec rec;
	struct ro_buf msg, b;
	char *cause = NULL, *ch;
	int ret;

	ro_buf_init(&msg);
	ro_buf_init(&b);
	if (decision == NULL || (strcmp(decision, "approve") != 0 && strcmp(decision, "refuse") != 0)) {
		ret = reply_err(cfg, conn, MHD_HTTP_BAD_REQUEST, "decision は approve か refuse です");
		goto out;
	}
	if (comment != NULL && (strlen(comment) > COMMENT_MAX || !utf8_ok(comment))) {
		ret = reply_err(cfg, conn, MHD_HTTP_BAD_REQUEST, "コメントは UTF-8 で 2000 バイトまでです");
		goto out;
	}
	if (gates_of(cfg->state_dir, id, &g, &cause) != RO_OK || (size_t)wave >= g->nwaves ||
	    g->gate[wave] == NULL) {
		ret = reply_err(cfg, conn, MHD_HTTP_NOT_FOUND, "そのゲートはありません (no such gate)");
		goto out;
	}
	pending_clear(s);
	s->p_campaign = ro_xstrdup(id);
	s->p_wave = wave;
	s->p_decision = ro_xstrdup(decision);
	s->p_comment = comment && *comment ? ro_xstrdup(comment) : NULL;
	s->p_at = now;
	rec.campaign = g->campaign;
	rec.wave = wave;
	rec.gate = g->gate[wave];
	rec.plan_hash = g->plan_hash;
	rec.decision = decision;
	rec.at = now;
	rec.comment = s->p_comment;
	rec.signer = s->user;
	ro_approval_message(&rec, &msg);
	crypto_hash_sha256(s->challenge, (const unsigned char *)msg.p, msg.len);
	s->has_challenge = 1;
	ch = ro_b64url(s->challenge, sizeof s->challenge);
	ro_buf_adds(&b, "{\"challenge\":");
	ro_buf_json_str(&b, ch);
	ro_buf_adds(&b, ",\"record\":");
	ro_buf_json_str(&b, msg.p);
	ro_buf_adds(&b, "}\n");
	free(ch);
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "application/json; charset=utf-8", &b, NULL);
out:
	ro_buf_free(&msg);
	ro_buf_free(&b);
	ro_gates_free(g);
	free(cause);
	free(decision);
	free(comment);
	return ret;
}

static int
post_gate_decide(const struct ro_web_config *cfg, struct MHD_Connection *conn,
    struct session *s, const char *id, int wave, const char *body, size_t len)
{
	char *cred = form_get(body, len, "credential_id"), *ad = form_get(body, len, "authenticator_data"),
	    *cj = form_get(body, len, "client_data_json"), *sg = form_get(body, len, "signature");
	char *why = NULL, *cause = NULL, *signer_key = NULL;
	struct ro_pkdb *db = NULL;
	struct ro_passkey p;
	struct ro_gates *g = NULL;
	struct ro_store *st = NULL;
	struct ro_approval_info ai;
	struct ro_approval_new an;
	struct ro_buf blob, b;
	int ret, refuse;

	memset(&p, 0, sizeof p);
	ro_buf_init(&blob);
	ro_buf_init(&b);
	if (s->p_campaign == NULL || !s->has_challenge || strcmp(s->p_campaign, id) != 0 ||
	    s->p_wave != wave) {
		ret = reply_err(cfg, conn, MHD_HTTP_CONFLICT, "署名する記録がありません。もう一度ボタンを"
		    "押してください (no pending decision for this gate)");
		goto out;
	}
	if (cred == NULL || strcmp(cred, s->cred) != 0 || ro_pkdb_open(cfg->state_dir, &db, &why) != RO_OK ||
	    ro_pkdb_get(db, cred, &p) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_FORBIDDEN, "ログインしたパスキーで署名してください "
		    "(sign with the passkey you logged in with)");
		goto out;
	}
	/* The browser's side first (origin, challenge), then the whole check
	 * the engine will make, on the row as it will be stored. */
	if (assertion_check(cfg, conn, &p, s->challenge, body, len, &why) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_FORBIDDEN, why);
		goto out;
	}
	ro_approval_passkey_blob(&p, ad, cj, sg, &blob);
	signer_key = ro_xasprintf(RO_APPROVAL_WEBAUTHN "%s", p.fingerprint);
	if (gates_of(cfg->state_dir, id, &g, &cause) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_NOT_FOUND, cause);
		goto out;
	}
	memset(&ai, 0, sizeof ai);
	ai.wave = wave;
	ai.approver = s->user;
	ai.comment = s->p_comment;
	ai.plan_hash = g->plan_hash;
	ai.approved_at = s->p_at;
	ai.decision = s->p_decision;
	ai.gate = g->gate[wave];
	ai.signer_key = signer_key;
	ai.signature = blob.p;
	if (ro_approval_verify(g, &ai, NULL, &why) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_FORBIDDEN, why);
		goto out;
	}
	memset(&an, 0, sizeof an);
	an.campaign = g->campaign;
	an.wave = wave;
	an.gate = g->gate[wave];
	an.plan_hash = g->plan_hash;
	an.decision = s->p_decision;
	an.comment = s->p_comment;
	an.signer = s->user;
	an.signer_key = signer_key;
	an.signature = blob.p;
	an.at = s->p_at;
	if (ro_store_open_dir(cfg->state_dir, &st, &cause) != RO_OK ||
	    ro_store_approval_record(st, &an, &cause) != RO_OK) {
		ret = reply_err(cfg, conn, MHD_HTTP_CONFLICT, cause ? cause : "記録できませんでした");
		goto out;
	}
	refuse = strcmp(s->p_decision, "refuse") == 0;
	ro_buf_adds(&b, "{\"ok\":true,\"message\":");
	{
		char *m = ro_xasprintf(refuse ? "ウェーブ%dを差し戻しました。キャンペーンは停止します。" :
		    "ウェーブ%dを承認しました。", wave + 1);
		ro_buf_json_str(&b, m);
		free(m);
	}
	ro_buf_adds(&b, "}\n");
	pending_clear(s);
	s->has_challenge = 0;
	ret = reply_s(cfg, conn, MHD_HTTP_OK, "application/json; charset=utf-8", &b, NULL);
out:
	ro_store_close(st);
	ro_gates_free(g);
	ro_passkey_clear(&p);
	ro_pkdb_close(db);
	ro_buf_free(&blob);
	ro_buf_free(&b);
	free(signer_key);
	free(why);
	free(cause);
	free(cred);
	free(ad);
	free(cj);
	free(sg);
	return ret;
}

/* ---------------------------------------------------------------------- */

static int
handle_locked(const struct ro_web_config *cfg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *body, size_t len, int *ret)
{
	int64_t now = (int64_t)time(NULL);
	int post = strcmp(method, "POST") == 0, wave;
	char id[130], *csrf;
	const char *tail;
	struct session *s;

	if (!post) {
		if (strcmp(url, "/enrol") == 0)
			*ret = page_enrol(cfg, conn, now);
		else if (strcmp(url, "/login") == 0)
			*ret = page_login(cfg, conn, now);
		else if (gate_url(url, id, sizeof id, &wave, &tail) && *tail == '\0')
			*ret = page_gate(cfg, conn, session_find(conn, now), id, wave, now);
		else
			return 0;
		return 1;
	}
	/* Only these URLs take a POST; any other is refused by the caller. */
	if (strcmp(url, "/enrol") != 0 && strcmp(url, "/login") != 0 &&
	    !(gate_url(url, id, sizeof id, &wave, &tail) &&
	    (strcmp(tail, "/challenge") == 0 || strcmp(tail, "/decide") == 0)))
		return 0;
	/* Every POST: a session this server made, and its CSRF token. */
	s = session_find(conn, now);
	csrf = form_get(body, len, "csrf");
	if (s == NULL || csrf == NULL || strlen(csrf) != RO_INVITE_TOKEN_LEN ||
	    sodium_memcmp(csrf, s->csrf, RO_INVITE_TOKEN_LEN) != 0) {
		free(csrf);
		*ret = reply_err(cfg, conn, MHD_HTTP_FORBIDDEN, "CSRF トークンがありません・一致しません。"
		    "ページを開き直してください (missing or wrong CSRF token)");
		return 1;
	}
	free(csrf);
	if (strcmp(url, "/enrol") == 0)
		*ret = post_enrol(cfg, conn, s, body, len, now);
	else if (strcmp(url, "/login") == 0)
		*ret = post_login(cfg, conn, s, body, len, now);
	else if (gate_url(url, id, sizeof id, &wave, &tail) &&
	    (strcmp(tail, "/challenge") == 0 || strcmp(tail, "/decide") == 0)) {
		if (s->user == NULL)
			*ret = reply_err(cfg, conn, MHD_HTTP_UNAUTHORIZED, "ログインしてください (log in first)");
		else if (strcmp(tail, "/challenge") == 0)
			*ret = post_gate_challenge(cfg, conn, s, id, wave, body, len, now);
		else
			*ret = post_gate_decide(cfg, conn, s, id, wave, body, len);
	} else
		*ret = reply_err(cfg, conn, MHD_HTTP_NOT_FOUND, "見つかりません (not found)");
	return 1;
}

int
ro_web_passkey_handle(const struct ro_web_config *cfg, struct MHD_Connection *conn,
    const char *url, const char *method, const char *body, size_t body_len, int *ret)
{
	int r;

	pthread_mutex_lock(&mu);
	r = handle_locked(cfg, conn, url, method, body ? body : "", body ? body_len : 0, ret);
	pthread_mutex_unlock(&mu);
	return r;
}
