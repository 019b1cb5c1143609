/*
 * web.h - `rollout serve`: the city's read-only console over HTTP on
 * libmicrohttpd (docs/APPROVALS.md, "The console").
 *
 * Pages, in Japanese: the campaigns; one campaign's plan as the city
 * approves it (waves, gates, every site's hosts with their times in plain
 * text, the playbooks, parameters such as KB numbers and artefact hashes,
 * the approvers roster, and, given its campaign file, the work procedure
 * of plan-html.c when the file plans to the recorded hash) and its
 * approvals with their verification status.
 * Every value is HTML-escaped (names come from files); every response has
 * a strict Content-Security-Policy (scripts only of our own, as files:
 * /app.js shows the live progress that live.c streams, /passkey.js asks
 * WebAuthn); POST only for the passkey pages, each with a CSRF token;
 * no secret is ever in the store, so none can be rendered.
 *
 * Plain HTTP is served only on a loopback address; any other address needs
 * TLS, from a certificate and key (PEM) the city provides.
 */
#ifndef RO_WEB_H
#define RO_WEB_H

#include <signal.h>
#include <stddef.h>

struct ro_web_config {
	const char *state_dir;
	const char *listen;     /* an IPv4 loopback address, e.g. 127.0.0.1 */
	int port;               /* 0: any free port */
	const char *ready_file; /* written with "port N" once listening, or NULL */
	const char *tls_cert;   /* PEM certificate (chain), or NULL: plain HTTP */
	const char *tls_key;    /* PEM private key, with tls_cert */
	const char *rp_id;      /* the WebAuthn relying party id (the console's host name) */
	/* Campaign files (--campaign): a plan page shows the work procedure
	 * (作業手順書) rebuilt from the file of its campaign, and only when
	 * the rebuilt plan's hash is the recorded one (what approvers sign). */
	const char *const *campaigns;
	size_t ncampaigns;
};

/* ro_web_serve serves (HTTPS when tls_cert is given) until *stop becomes non-zero. 0, or a negative
 * RO_E* code with *cause set. */
int ro_web_serve(const struct ro_web_config *cfg, volatile sig_atomic_t *stop, char **cause);

/* ro_html_escape appends s to b with & < > " ' escaped. */
struct ro_buf;
void ro_html_escape(struct ro_buf *b, const char *s);

#endif
