/* web-int.h - what the console's files share (not a public contract). */
#ifndef RO_WEB_INT_H
#define RO_WEB_INT_H

#include <microhttpd.h>
#include <stddef.h>

struct ro_buf;
struct ro_store;
struct ro_web_config;

/* live.c: the script that shows the live progress, and the event stream. */
extern const char ro_web_live_js[];
struct MHD_Response *ro_web_live_response(const char *state_dir, const char *campaign);

/* serve.c: the security headers every response carries (CSP...). */
void ro_web_add_headers(struct MHD_Response *r);
/* serve.c: pages, replies (with the security headers), the language. */
int ro_web_reply(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
    size_t len);
int ro_web_reply_text(struct MHD_Connection *conn, unsigned status, const char *msg);
void ro_web_page_head(struct ro_buf *b, const char *title);
const char *ro_web_state_ja(const char *s);
const char *ro_web_tr(const char *ja);
int ro_web_lang_en(void);
int ro_web_id_ok(const char *s);
/* The per-host results of one wave (all waves: -1). */
void ro_web_section_results(struct ro_buf *b, struct ro_store *st, const char *id, int wave);

/*
 * passkey.c: sessions, the passkey pages (enrolment, login, the gate) and
 * their POSTs. ro_web_passkey_handle answers url if it is one of them
 * (returns 1, *ret set), else returns 0. body is the request body (POST),
 * already limited in size.
 */
extern const char ro_web_passkey_js[];
int ro_web_passkey_handle(const struct ro_web_config *cfg, struct MHD_Connection *conn,
    const char *url, const char *method, const char *body, size_t body_len, int *ret);
void ro_web_passkey_init(void);
void ro_web_passkey_fini(void);

#endif
