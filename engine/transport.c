/*
 * transport.c - SSH sessions: libssh2 in non-blocking mode on a libuv loop.
 *
 * A session is one explicit state machine (enum state) driven by step(),
 * which is re-entered whenever the socket is ready in the direction(s)
 * libssh2_session_block_directions() names, when the operation's deadline
 * timer fires, or when an API call "kicks" it. Every state handler calls
 * exactly the libssh2 function of its state; after LIBSSH2_ERROR_EAGAIN it
 * returns STEP_WAIT and the same call is repeated, with the same arguments,
 * once the socket is ready. Transitions go through set_state() only.
 *
 *   TCP -> HANDSHAKE -> (host key check) -> AUTH_KEY -> AUTH_PASSWORD -> READY
 *   READY -> CH_OPEN -> CH_EXEC -> CH_IO -> CH_CLOSE -> CH_WAIT_CLOSED -> CH_FREE -> READY
 *   READY -> SCP_OPEN -> CH_IO -> ... -> CH_FREE -> CH_OPEN (hash command) ... -> READY
 *   any -> DISCONNECT -> FREE_SESSION -> CLOSING (uv handles) -> final(): callbacks, free
 *   an operation that fails with the channel half-way -> BROKEN (only close is allowed)
 *
 * User callbacks are the last thing a handler does: it returns STEP_STOP
 * and nothing touches libssh2 afterwards in that pass, so a callback may
 * start the next operation or close the session. The struct is freed only
 * in the close callback of its last uv handle (final()).
 */
#include "transport.h"
#include "error.h"
#include "sshutil.h"
#include "util.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_DEFAULT_MS 30000
#define KEEPALIVE_DEFAULT_S 15
#define TEARDOWN_TIMEOUT_MS 2000
#define READ_CHUNK (16 * 1024)
#define FILE_CHUNK (256 * 1024)

/* The host key algorithms the engine accepts, most preferred first. */
#define HOSTKEY_PREFS "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384," \
	"ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa"

enum state {
	ST_TCP,            /* non-blocking connect() under way */
	ST_HANDSHAKE,      /* banner, key exchange; then the host key check */
	ST_AUTH_AGENT,     /* the identities of the SSH agent, one by one */
	ST_AUTH_KEY,       /* public key from key_path / key_path.pub, or from memory */
	ST_AUTH_PASSWORD,  /* the configured password, after the key */
	ST_READY,          /* idle, waiting for exec or upload */
	ST_OP_FAIL,        /* an operation failed before it touched the link: report it */
	ST_CH_OPEN,        /* "session" channel open */
	ST_CH_EXEC,        /* exec request */
	ST_SCP_OPEN,       /* scp -t and its C line (libssh2_scp_send64) */
	ST_CH_IO,          /* write stdin or the file, EOF, drain stdout and stderr to EOF */
	ST_CH_CLOSE,       /* our CLOSE */
	ST_CH_WAIT_CLOSED, /* the host's CLOSE; then exit status and signal */
	ST_CH_FREE,
	ST_BROKEN,         /* the link or the channel is in an unknown state: close only */
	ST_DISCONNECT,     /* disconnect message (EAGAIN tolerated, bounded by a timer) */
	ST_FREE_SESSION,   /* libssh2_session_free, then close the uv handles */
	ST_CLOSING,        /* waiting for the uv close callbacks */
	ST_SCP_RECV_OPEN,  /* scp -pf, its T and C lines (libssh2_scp_recv2) */
	ST_SCP_RECV,       /* the file's bytes, then the source's status byte */
};

static const char *const state_names[] = {
	"tcp", "handshake", "auth-agent", "auth-key", "auth-password", "ready", "op-fail", "ch-open",
	"ch-exec", "scp-open", "ch-io", "ch-close", "ch-wait-closed", "ch-free", "broken",
	"disconnect", "free-session", "closing", "scp-recv-open", "scp-recv",
};

enum op { OP_NONE, OP_CONNECT, OP_PROBE, OP_EXEC, OP_UPLOAD, OP_DOWNLOAD };

/* What the last EAGAIN in ST_CH_IO interrupted, when a packet may be half
 * sent: that exact call must be repeated before any other sends. */
enum io_call { IO_NONE, IO_WRITE, IO_EOF, IO_READ_OUT, IO_READ_ERR };

enum step_result { STEP_NEXT, STEP_WAIT, STEP_STOP };

/* The tail of one output stream: the last RO_SSH_OUTPUT_MAX bytes. */
struct tail {
	char *buf;      /* 2 * RO_SSH_OUTPUT_MAX, so that trimming is rare */
	size_t len;
	uint64_t total;
};

struct ro_ssh {
	uv_loop_t *loop;
	uv_timer_t timer;      /* the current operation's deadline */
	uv_timer_t keepalive;
	uv_poll_t poll;
	int fd;
	int poll_inited;
	int handles_open;
	LIBSSH2_SESSION *sess;
	LIBSSH2_CHANNEL *ch;
	enum state state;
	enum op op;

	/* Configuration (copies). */
	char *host, *address, *user, *key_path, *pub_path, *password;
	const struct ro_ssh_auth *auth; /* the caller's; outlives the session */
	int port;

	/* The SSH agent while its identities are offered (ST_AUTH_AGENT). */
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *agent_id; /* the one being offered */
	int agent_listed, agent_offered;
	const struct ro_known_hosts *known;
	uint64_t connect_timeout_ms;
	unsigned keepalive_s;

	/* The host key as presented. */
	char hk_type[64];
	unsigned char *hk;
	size_t hk_len;
	char hk_fp[64];
	enum ro_hostkey_match hk_match;

	/* Callbacks; an operation's callback is pending while op says so. */
	ro_ssh_connect_cb connect_cb;
	ro_probe_cb probe_cb;
	ro_ssh_exec_cb exec_cb;
	ro_ssh_upload_cb upload_cb;
	ro_ssh_download_cb download_cb;
	void *op_arg;
	ro_ssh_close_cb close_cb;
	void *close_arg;

	int status;            /* outcome to report at the end of a failing operation */
	char *cause;
	int handshaken, link_dead, skip_disconnect;
	int close_requested, tearing_down, in_final;

	/* The channel operation (exec, scp, hash command). */
	char *command;
	unsigned char *input;  /* exec: copy of stdin; upload: file chunk buffer */
	size_t input_cap;
	int input_locked;        /* input is sodium_malloc'd: stdin data may be a password */
	const unsigned char *wbuf;
	size_t wlen, wpos;
	int wdone, eof_sent, out_eof, err_eof;
	enum io_call retry;
	struct tail out, err;
	int exit_code;
	char *exit_signal;
	uint64_t deadline_ms;  /* 0: none */

	/* Upload. */
	int file_fd;
	char *local_path, *remote_path;
	uint64_t file_size, file_read;
	crypto_hash_sha256_state sha;
	char want_sha[65];
	enum ro_remote_os os;
	int verifying;         /* 0: scp stage, 1: hash command stage */
	int local_bad;         /* local file differs from want_sha: nothing completed */

	/* Download (file_fd, local_path, remote_path, file_size, file_read, sha
	 * and want_sha as above; want_sha is the hash of what was received). */
	char *part_path;       /* the file being written, beside local_path */
	uint64_t max_bytes;
	int trailer;           /* 1: the file's bytes are in, the status byte is next */
};

static void step(struct ro_ssh *s);
static void begin_teardown(struct ro_ssh *s);

static uv_once_t init_once = UV_ONCE_INIT;
static int init_rc;

static void
do_init(void)
{
	init_rc = libssh2_init(0) == 0 && sodium_init() >= 0 ? 0 : -1;
}

/* ---- small helpers ---------------------------------------------------------- */

/* The host as people know it: "name (address:port)" or "address:port". */
static char *
who(const struct ro_ssh *s)
{
	if (s->host && strcmp(s->host, s->address) != 0)
		return ro_xasprintf("host %s (%s:%d)", s->host, s->address, s->port);
	return ro_xasprintf("host %s:%d", s->address, s->port);
}

/* libssh2's last error message, or "" */
static const char *
ssh_msg(const struct ro_ssh *s)
{
	char *msg = NULL;
	int len = 0;

	if (s->sess == NULL)
		return "";
	libssh2_session_last_error(s->sess, &msg, &len, 0);
	return msg ? msg : "";
}

/* is_link_error tells libssh2 errors that mean the TCP link is gone. */
static int
is_link_error(int e)
{
	return e == LIBSSH2_ERROR_SOCKET_SEND || e == LIBSSH2_ERROR_SOCKET_RECV ||
	    e == LIBSSH2_ERROR_SOCKET_DISCONNECT || e == LIBSSH2_ERROR_SOCKET_TIMEOUT ||
	    e == LIBSSH2_ERROR_BANNER_RECV || e == LIBSSH2_ERROR_BANNER_SEND ||
	    e == LIBSSH2_ERROR_TIMEOUT || e == LIBSSH2_ERROR_BAD_SOCKET ||
	    e == LIBSSH2_ERROR_SOCKET_NONE;
}

static void
set_state(struct ro_ssh *s, enum state next)
{
	assert((size_t)next < RO_NELEM(state_names));
	assert(s->state != ST_CLOSING);
	s->state = next;
}

static void
set_cause(struct ro_ssh *s, int status, char *cause)
{
	s->status = status;
	free(s->cause);
	s->cause = cause;
}

static void
tail_add(struct tail *t, const char *p, size_t n)
{
	assert(n <= RO_SSH_OUTPUT_MAX);
	if (t->buf == NULL)
		t->buf = ro_xmalloc(2 * RO_SSH_OUTPUT_MAX);
	if (t->len + n > 2 * RO_SSH_OUTPUT_MAX) {
		size_t keep = RO_SSH_OUTPUT_MAX - n;
		memmove(t->buf, t->buf + t->len - keep, keep);
		t->len = keep;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	t->total += n;
}

/* tail_take returns the kept tail as a malloc'd NUL-terminated string and
 * empties t for the next operation. */
static char *
tail_take(struct tail *t, size_t *len)
{
	size_t n = t->len < RO_SSH_OUTPUT_MAX ? t->len : RO_SSH_OUTPUT_MAX;
	char *p = ro_xmalloc(n + 1);

	if (n)
		memcpy(p, t->buf + t->len - n, n);
	p[n] = '\0';
	*len = n;
	t->len = 0;
	t->total = 0;
	return p;
}

/* ---- the poll and the timers ---------------------------------------------- */

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct ro_ssh *s = h->data;

	(void)status;
	(void)events;
	/* Errors on the socket show up in the libssh2 call that follows. */
	step(s);
}

/* arm waits for the direction(s) libssh2 is blocked on (both if none). */
static void
arm(struct ro_ssh *s)
{
	int events = 0, dirs;

	if (!s->poll_inited)
		return;
	if (s->state == ST_TCP) {
		events = UV_WRITABLE;
	} else {
		dirs = s->sess ? libssh2_session_block_directions(s->sess) : 0;
		if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
			events |= UV_READABLE;
		if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			events |= UV_WRITABLE;
		if (events == 0)
			events = UV_READABLE | UV_WRITABLE;
	}
	uv_poll_start(&s->poll, events, on_poll);
}

/* kick makes step() run soon from the loop (never from the caller's frame). */
static void
kick(struct ro_ssh *s)
{
	if (s->poll_inited)
		uv_poll_start(&s->poll, UV_READABLE | UV_WRITABLE, on_poll);
	else
		step(s); /* no socket: only teardown can be pending, and it closes handles */
}

static void
idle(struct ro_ssh *s)
{
	if (s->poll_inited)
		uv_poll_stop(&s->poll);
	uv_timer_stop(&s->timer);
}

static void on_deadline(uv_timer_t *t);

static void
start_deadline(struct ro_ssh *s, uint64_t ms)
{
	uv_timer_stop(&s->timer);
	if (ms)
		uv_timer_start(&s->timer, on_deadline, ms, 0);
}

/* ---- delivering results ------------------------------------------------------ */

/*
 * finish_op ends an exec or upload: the session goes back to READY (or
 * BROKEN if the link or channel cannot be trusted any more) and the
 * caller's callback runs last.
 */
/* Frees the operation's input buffer, zeroed (stdin data may be a password). */
static void
input_free(struct ro_ssh *s)
{
	if (s->input == NULL)
		return;
	if (s->input_locked)
		sodium_free(s->input);
	else {
		sodium_memzero(s->input, s->input_cap);
		free(s->input);
	}
	s->input = NULL;
	s->input_locked = 0;
}

static int download_settle(struct ro_ssh *s, int status, char **cause);

static enum step_result
finish_op(struct ro_ssh *s, int status, char *cause)
{
	enum op op = s->op;
	void *arg = s->op_arg;
	ro_ssh_exec_cb ecb = s->exec_cb;
	ro_ssh_upload_cb ucb = s->upload_cb;
	ro_ssh_download_cb dcb = s->download_cb;

	assert(op == OP_EXEC || op == OP_UPLOAD || op == OP_DOWNLOAD);
	if (op == OP_DOWNLOAD)
		status = download_settle(s, status, &cause);
	if (!s->in_final) {
		idle(s);
		if (status == 0 ||
		    (s->ch == NULL && status != RO_ECONNLOST && status != RO_ETIMEDOUT))
			set_state(s, ST_READY);
		else
			set_state(s, ST_BROKEN);
	}
	if (status == RO_ECONNLOST)
		s->link_dead = 1;
	s->op = OP_NONE;
	s->exec_cb = NULL;
	s->upload_cb = NULL;
	s->download_cb = NULL;
	if (s->file_fd >= 0) {
		close(s->file_fd);
		s->file_fd = -1;
	}
	input_free(s);
	free(s->command);
	s->command = NULL;

	if (op == OP_EXEC) {
		struct ro_exec_result r = { 0 };
		char *out, *err, *sig = s->exit_signal;

		r.status = status;
		r.exit_code = s->exit_code;
		r.exit_signal = sig;
		r.out_total = s->out.total;
		r.err_total = s->err.total;
		out = tail_take(&s->out, &r.out_len);
		err = tail_take(&s->err, &r.err_len);
		r.out = out;
		r.err = err;
		r.cause = cause;
		s->exit_signal = NULL;
		ecb(s, &r, arg);
		free(out);
		free(err);
		free(sig);
	} else if (op == OP_UPLOAD) {
		struct ro_upload_result r = { 0 };

		r.status = status;
		r.bytes = s->file_read;
		r.cause = cause;
		free(s->local_path);
		free(s->remote_path);
		s->local_path = s->remote_path = NULL;
		s->out.len = s->err.len = 0;
		ucb(s, &r, arg);
	} else {
		struct ro_download_result r = { 0 };

		r.status = status;
		r.bytes = s->file_read;
		r.sha256 = status == 0 ? s->want_sha : NULL;
		r.path = status == 0 ? s->local_path : NULL;
		r.cause = cause;
		s->out.len = s->err.len = 0;
		dcb(s, &r, arg);
		free(s->local_path);
		free(s->remote_path);
		s->local_path = s->remote_path = NULL;
	}
	free(cause);
	return STEP_STOP;
}

/* fail ends the current phase with status and a cause sentence. */
static enum step_result
fail(struct ro_ssh *s, int status, char *cause)
{
	if (s->op == OP_EXEC || s->op == OP_UPLOAD || s->op == OP_DOWNLOAD)
		return finish_op(s, status, cause);
	/* Connecting or probing: tear down, report from final(). */
	set_cause(s, status, cause);
	if (status == RO_EUNREACHABLE || status == RO_ECONNLOST || status == RO_ETIMEDOUT)
		s->link_dead = 1;
	begin_teardown(s);
	return STEP_NEXT;
}

/* ---- connecting ------------------------------------------------------------------ */

/* has_word is true when the comma-separated list holds word[0..n). */
static int
has_word(const char *list, const char *word, size_t n)
{
	const char *p = list, *comma;

	for (; *p; p = *comma ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		if ((size_t)(comma - p) == n && strncmp(p, word, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * set_hostkey_prefs asks first for the key type recorded for this host (so
 * that a host with several keys presents the one we know), then the rest
 * of HOSTKEY_PREFS. Only names this libssh2 supports go in the list: 1.10
 * removes unsupported ones with an overlapping memcpy.
 */
static void
set_hostkey_prefs(struct ro_ssh *s)
{
	const char **algs = NULL;
	const char *rtype = NULL, *p, *comma;
	const unsigned char *rkey;
	size_t rlen;
	struct ro_buf b, supported;
	int n, i;

	n = libssh2_session_supported_algs(s->sess, LIBSSH2_METHOD_HOSTKEY, &algs);
	if (n <= 0)
		return;
	ro_buf_init(&supported);
	for (i = 0; i < n; i++)
		ro_buf_printf(&supported, "%s%s", i ? "," : "", algs[i]);
	libssh2_free(s->sess, (void *)algs);
	ro_buf_init(&b);
	if (ro_known_hosts_lookup(s->known, s->address, s->port, &rtype, &rkey, &rlen) &&
	    has_word(supported.p, rtype, strlen(rtype)))
		ro_buf_adds(&b, rtype);
	else
		rtype = NULL;
	for (p = HOSTKEY_PREFS; *p; p = *comma ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		if (!has_word(supported.p, p, (size_t)(comma - p)))
			continue;
		if (rtype && (size_t)(comma - p) == strlen(rtype) &&
		    strncmp(p, rtype, (size_t)(comma - p)) == 0)
			continue;
		ro_buf_printf(&b, "%s%.*s", b.len ? "," : "", (int)(comma - p), p);
	}
	if (b.len)
		libssh2_session_method_pref(s->sess, LIBSSH2_METHOD_HOSTKEY, b.p);
	ro_buf_free(&b);
	ro_buf_free(&supported);
}

static enum step_result
st_tcp(struct ro_ssh *s)
{
	int err = 0;
	socklen_t len = sizeof err;
	char *w;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return STEP_WAIT;
	if (err == 0) {
		/* A writable socket with no error may still be unconnected (spurious
		 * wakeup); getpeername tells. */
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		if (getpeername(s->fd, (struct sockaddr *)&peer, &plen) < 0) {
			if (errno == ENOTCONN)
				return STEP_WAIT;
			err = errno;
		}
	}
	if (err) {
		w = who(s);
		char *c = ro_xasprintf("%s: cannot connect: %s; check that the host is up and "
		    "that its SSH server listens on port %d", w, strerror(err), s->port);
		free(w);
		return fail(s, RO_EUNREACHABLE, c);
	}
	s->sess = libssh2_session_init_ex(NULL, NULL, NULL, s);
	if (s->sess == NULL) {
		w = who(s);
		char *c = ro_xasprintf("%s: libssh2 could not create a session (out of memory)", w);
		free(w);
		return fail(s, RO_ENOMEM, c);
	}
	libssh2_session_set_blocking(s->sess, 0);
	set_hostkey_prefs(s);
	set_state(s, ST_HANDSHAKE);
	return STEP_NEXT;
}

/* The sentence for an unknown or changed host key. */
static char *
hostkey_cause(struct ro_ssh *s)
{
	char *w = who(s), *c;
	const char *kh = ro_known_hosts_path(s->known);
	const char *rtype;
	const unsigned char *rkey;
	size_t rlen;
	char rfp[64];

	if (s->hk_match == RO_HOSTKEY_UNKNOWN) {
		c = ro_xasprintf("%s presented %s key %s, which is not recorded in %s; nothing "
		    "was sent to it. If this is the right machine, record its key with "
		    "'rollout hosts enroll INVENTORY' (compare the fingerprint with "
		    "'ssh-keygen -lf' on the host first)", w, s->hk_type, s->hk_fp,
		    kh ? kh : "the known hosts");
	} else {
		ro_known_hosts_lookup(s->known, s->address, s->port, &rtype, &rkey, &rlen);
		ro_hostkey_fingerprint(rkey, rlen, rfp);
		c = ro_xasprintf("%s presented %s key %s, but %s records %s key %s for it; "
		    "nothing was sent to it. The machine may have been reinstalled, or "
		    "someone may be intercepting the connection: confirm with the site, "
		    "then record the new key with 'rollout hosts enroll INVENTORY --replace'",
		    w, s->hk_type, s->hk_fp, kh ? kh : "the known hosts", rtype, rfp);
	}
	free(w);
	return c;
}

static enum step_result start_auth(struct ro_ssh *s);

static enum step_result
st_handshake(struct ro_ssh *s)
{
	const char *key;
	size_t len;
	int type, rc;
	char *w;

	rc = libssh2_session_handshake(s->sess, s->fd);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc) {
		char *c;
		w = who(s);
		if (is_link_error(rc))
			c = ro_xasprintf("%s closed the connection during the SSH handshake (%s); "
			    "check that an SSH server listens on port %d and accepts this machine",
			    w, ssh_msg(s), s->port);
		else
			c = ro_xasprintf("%s: the SSH handshake failed (%s); check that port %d is an "
			    "SSH server offering an ed25519, ECDSA or RSA host key", w, ssh_msg(s),
			    s->port);
		free(w);
		return fail(s, is_link_error(rc) ? RO_EUNREACHABLE : RO_EPROTO, c);
	}
	s->handshaken = 1;
	key = libssh2_session_hostkey(s->sess, &len, &type);
	if (key == NULL || ro_ssh_blob_type((const unsigned char *)key, len, s->hk_type,
	    sizeof s->hk_type) < 0) {
		w = who(s);
		char *c = ro_xasprintf("%s presented a host key libssh2 could not read", w);
		free(w);
		s->skip_disconnect = 1;
		return fail(s, RO_EPROTO, c);
	}
	s->hk = ro_xmalloc(len);
	memcpy(s->hk, key, len);
	s->hk_len = len;
	ro_hostkey_fingerprint(s->hk, len, s->hk_fp);
	s->hk_match = ro_known_hosts_check(s->known, s->address, s->port, s->hk_type,
	    s->hk, s->hk_len);
	if (s->op == OP_PROBE) {
		/* The probe's work is done: say goodbye without authenticating. */
		set_cause(s, 0, NULL);
		begin_teardown(s);
		return STEP_NEXT;
	}
	if (s->hk_match != RO_HOSTKEY_MATCH) {
		/* Strict: not a byte more goes to a host we cannot identify. */
		s->skip_disconnect = 1;
		return fail(s, RO_EHOSTKEY, hostkey_cause(s));
	}
	return start_auth(s);
}

/* has_key: a private key is configured (in memory or as a file). */
static int
has_key(const struct ro_ssh *s)
{
	return (s->auth && s->auth->key) || s->key_path;
}

static enum step_result
start_auth(struct ro_ssh *s)
{
	if (s->auth && s->auth->agent)
		set_state(s, ST_AUTH_AGENT);
	else if (has_key(s))
		set_state(s, ST_AUTH_KEY);
	else if (s->password)
		set_state(s, ST_AUTH_PASSWORD);
	else {
		char *w = who(s);
		char *c = ro_xasprintf("%s: no key and no password are configured to log in as "
		    "%s; run 'rollout keygen' and install the public key on the host", w, s->user);
		free(w);
		return fail(s, RO_EAUTH, c);
	}
	return STEP_NEXT;
}

static void on_keepalive(uv_timer_t *t);

static enum step_result
authenticated(struct ro_ssh *s)
{
	ro_ssh_connect_cb cb = s->connect_cb;
	uint64_t ka_ms = (uint64_t)s->keepalive_s * 1000;

	/* libssh2 sends only when its own interval has passed since the last
	 * keepalive; the timer decides when, so that interval is the smallest. */
	libssh2_keepalive_config(s->sess, 1, 1);
	uv_timer_start(&s->keepalive, on_keepalive, ka_ms, ka_ms);
	set_state(s, ST_READY);
	idle(s);
	s->op = OP_NONE;
	s->connect_cb = NULL;
	cb(s, 0, NULL, s->op_arg);
	return STEP_STOP;
}

static enum step_result
auth_failed(struct ro_ssh *s, int rc, const char *how)
{
	char *w = who(s), *c;
	int status = RO_EAUTH;

	/* Only the server's own "no" is a refusal; anything else (the link went
	 * away mid-login, e.g. a host going down for a restart) is a lost link. */
	if (is_link_error(rc) || (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED &&
	    rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED && rc != LIBSSH2_ERROR_PASSWORD_EXPIRED)) {
		status = RO_ECONNLOST;
		c = ro_xasprintf("%s closed the connection during authentication (%s)", w,
		    ssh_msg(s));
	} else if (strcmp(how, "password") == 0) {
		c = ro_xasprintf("%s refused to let %s log in (%s: %s); check the password the "
		    "vault holds for this host%s", w, s->user, how, ssh_msg(s),
		    s->pub_path ? ", and that the engine's public key is in the user's authorized_keys" : "");
	} else {
		c = ro_xasprintf("%s refused to let %s log in (%s: %s); check that the engine's "
		    "public key (%s) is in the user's authorized_keys on the host", w, s->user,
		    how, ssh_msg(s), s->pub_path ? s->pub_path : "no key configured");
	}
	free(w);
	return fail(s, status, c);
}

/* agent_done releases the agent connection once its identities are used up. */
static void
agent_done(struct ro_ssh *s)
{
	if (s->agent) {
		libssh2_agent_disconnect(s->agent);
		libssh2_agent_free(s->agent);
		s->agent = NULL;
	}
	s->agent_id = NULL;
}

/* agent_next moves s->agent_id to the next identity worth offering: 0, or 1 at the end. */
static int
agent_next(struct ro_ssh *s)
{
	const struct ro_ssh_auth *a = s->auth;
	struct libssh2_agent_publickey *id;

	for (;;) {
		if (libssh2_agent_get_identity(s->agent, &id, s->agent_id) != 0)
			return 1;
		s->agent_id = id;
		if (a->agent_blob == NULL || (id->blob_len == a->agent_blob_len &&
		    memcmp(id->blob, a->agent_blob, id->blob_len) == 0))
			return 0;
	}
}

/*
 * st_auth_agent offers the agent's identities one at a time. libssh2 talks
 * to the agent over its own local socket in blocking mode (1.10 cannot be
 * re-entered after an EAGAIN from the agent), so connecting, listing and
 * each signature wait for the agent; ssh-agent answers at once, but an
 * agent that asks for confirmation (ssh-add -c) holds the whole loop until
 * someone answers (docs/TRANSPORT.md). The SSH session itself stays
 * non-blocking: EAGAIN from it repeats the same call, as everywhere.
 */
static enum step_result
st_auth_agent(struct ro_ssh *s)
{
	int rc;

	if (!s->agent_listed) {
		s->agent_listed = 1;
		s->agent = libssh2_agent_init(s->sess);
		if (s->agent == NULL || libssh2_agent_connect(s->agent) != 0 ||
		    libssh2_agent_list_identities(s->agent) != 0 || agent_next(s) != 0)
			goto next_method;
	}
	if (s->agent_id == NULL)
		goto next_method;
	rc = libssh2_agent_userauth(s->agent, s->user, s->agent_id);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc == 0) {
		agent_done(s);
		return authenticated(s);
	}
	s->agent_offered++;
	if (is_link_error(rc)) {
		agent_done(s);
		return auth_failed(s, rc, "agent");
	}
	if (agent_next(s) == 0)
		return STEP_NEXT;
next_method:
	agent_done(s);
	if (has_key(s))
		set_state(s, ST_AUTH_KEY);
	else if (s->password)
		set_state(s, ST_AUTH_PASSWORD);
	else if (s->agent_offered == 0) {
		char *w = who(s);
		char *c = ro_xasprintf("%s: the SSH agent (SSH_AUTH_SOCK) offered no %s to log in as "
		    "%s; check `ssh-add -l` and add the engine's key with `ssh-add %s`", w,
		    s->auth->agent_blob ? "engine key" : "identity", s->user,
		    s->auth->key_path ? s->auth->key_path : "KEYFILE");
		free(w);
		return fail(s, RO_EAUTH, c);
	} else
		return auth_failed(s, LIBSSH2_ERROR_AUTHENTICATION_FAILED, "agent");
	return STEP_NEXT;
}

static enum step_result
st_auth_key(struct ro_ssh *s)
{
	const struct ro_ssh_auth *a = s->auth;
	const char *kp = a && a->key ? a->key_path : s->key_path;
	int rc;

	/* With the public line given, libssh2 decrypts the private key only to
	 * sign, once per login, instead of also to derive the public key. */
	if (a && a->key)
		rc = libssh2_userauth_publickey_frommemory(s->sess, s->user, strlen(s->user),
		    a->pub, a->pub ? a->pub_len : 0, a->key, a->key_len, a->passphrase);
	else
		rc = libssh2_userauth_publickey_fromfile_ex(s->sess, s->user,
		    (unsigned)strlen(s->user), s->pub_path, s->key_path, NULL);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc == 0)
		return authenticated(s);
	if (!is_link_error(rc) && s->password) {
		set_state(s, ST_AUTH_PASSWORD);
		return STEP_NEXT;
	}
	if (rc == LIBSSH2_ERROR_FILE) {
		char *w = who(s);
		/* libssh2's message names no secret: it never repeats the passphrase. */
		char *c = ro_xasprintf("%s: cannot use the key %s (%s); check that it exists and "
		    "is an OpenSSH ed25519 key ('rollout keygen' makes one)%s", w,
		    kp ? kp : "(in memory)", ssh_msg(s),
		    a && a->passphrase ? ", and that the passphrase given decrypts it" : "");
		free(w);
		return fail(s, RO_EAUTH, c);
	}
	return auth_failed(s, rc, s->agent_offered ? "agent, then public key" : "public key");
}

static enum step_result
st_auth_password(struct ro_ssh *s)
{
	int rc = libssh2_userauth_password_ex(s->sess, s->user, (unsigned)strlen(s->user),
	    s->password, (unsigned)strlen(s->password), NULL);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc == 0)
		return authenticated(s);
	return auth_failed(s, rc, s->key_path ? "public key, then password" : "password");
}

/* ---- keepalive ------------------------------------------------------------------ */

static void
on_keepalive(uv_timer_t *t)
{
	struct ro_ssh *s = t->data;
	int next = 0, rc, dirs;

	/* Only between operations or while waiting for output: a keepalive
	 * must never interleave with a half-sent packet of another call. */
	dirs = libssh2_session_block_directions(s->sess);
	if (s->state == ST_CH_IO && !(s->eof_sent && s->retry == IO_NONE))
		return;
	if (s->state != ST_READY && s->state != ST_CH_IO)
		return;
	if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		return;
	rc = libssh2_keepalive_send(s->sess, &next);
	if (rc == 0 || rc == LIBSSH2_ERROR_EAGAIN)
		return;
	if (s->state == ST_READY) {
		s->link_dead = 1;
		set_state(s, ST_BROKEN);
		uv_timer_stop(&s->keepalive);
		return;
	}
	{
		char *w = who(s);
		char *c = ro_xasprintf("%s: the connection dropped while the command was running "
		    "(keepalive: %s); the command may or may not have completed: check the host "
		    "before retrying", w, ssh_msg(s));
		free(w);
		finish_op(s, RO_ECONNLOST, c);
	}
}

/* ---- channel operations ------------------------------------------------------------ */

/* Text for a failure that happened with a channel in hand. */
static enum step_result
channel_error(struct ro_ssh *s, int rc, const char *doing)
{
	char *w = who(s), *c;
	int status;

	if (is_link_error(rc)) {
		status = RO_ECONNLOST;
		c = ro_xasprintf("%s: the connection dropped while %s (%s); the command may or "
		    "may not have completed: check the host before retrying", w, doing, ssh_msg(s));
	} else {
		status = RO_EPROTO;
		c = ro_xasprintf("%s: SSH error while %s: %s", w, doing, ssh_msg(s));
	}
	free(w);
	return finish_op(s, status, c);
}

static const char *
op_doing(const struct ro_ssh *s)
{
	if (s->op == OP_UPLOAD)
		return s->verifying ? "checking the uploaded file" : "uploading";
	if (s->op == OP_DOWNLOAD)
		return s->verifying ? "checking the downloaded file on the host" : "downloading";
	return "running the command";
}

static enum step_result
st_ch_open(struct ro_ssh *s)
{
	int rc;

	s->ch = libssh2_channel_open_session(s->sess);
	if (s->ch)
		set_state(s, ST_CH_EXEC);
	else if ((rc = libssh2_session_last_errno(s->sess)) == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	else
		return channel_error(s, rc, "opening a channel");
	return STEP_NEXT;
}

static enum step_result
st_ch_exec(struct ro_ssh *s)
{
	int rc = libssh2_channel_exec(s->ch, s->command);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc)
		return channel_error(s, rc, "starting the command");
	set_state(s, ST_CH_IO);
	return STEP_NEXT;
}

static enum step_result
st_scp_open(struct ro_ssh *s)
{
	int rc;

	s->ch = libssh2_scp_send64(s->sess, s->remote_path, 0644, (libssh2_int64_t)s->file_size,
	    0, 0);
	if (s->ch) {
		set_state(s, ST_CH_IO);
		return STEP_NEXT;
	}
	rc = libssh2_session_last_errno(s->sess);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (is_link_error(rc))
		return channel_error(s, rc, "starting the copy");
	{
		/* libssh2 has already freed the channel; the session is fine. */
		char *w = who(s);
		char *c = ro_xasprintf("%s: the host refused the copy to %s (%s); check that the "
		    "directory exists and the user may write there", w, s->remote_path, ssh_msg(s));
		free(w);
		return finish_op(s, RO_EPROTO, c);
	}
}

/*
 * refill points wbuf at the next bytes to send: for an upload the next
 * chunk of the file (hashed as it is read). The last chunk is held back
 * until the whole file's SHA-256 is known: if it differs from the one
 * expected, the copy is never completed on the host.
 */
static int
refill(struct ro_ssh *s)
{
	static const unsigned char scp_ok = 0;
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];
	ssize_t n;
	size_t want;

	if (s->wpos < s->wlen || s->wdone)
		return 0;
	if (s->op != OP_UPLOAD || s->verifying) {
		s->wdone = 1;
		return 0;
	}
	if (s->wbuf == &scp_ok) {
		s->wdone = 1;
		return 0;
	}
	if (s->file_read == s->file_size) {
		/* Everything was sent: the SCP protocol's closing byte. */
		s->wbuf = &scp_ok;
		s->wlen = 1;
		s->wpos = 0;
		return 0;
	}
	want = s->file_size - s->file_read < FILE_CHUNK ? (size_t)(s->file_size - s->file_read)
	    : FILE_CHUNK;
	do
		n = read(s->file_fd, s->input, want);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		s->local_bad = RO_EIO;
		set_cause(s, RO_EIO, ro_xasprintf("cannot read %s: %s", s->local_path,
		    n < 0 ? strerror(errno) : "the file became shorter while it was being sent"));
		s->wdone = 1;
		return 0;
	}
	crypto_hash_sha256_update(&s->sha, s->input, (size_t)n);
	s->file_read += (uint64_t)n;
	if (s->file_read == s->file_size) {
		crypto_hash_sha256_final(&s->sha, h);
		ro_hex(h, sizeof h, hex);
		if (strcasecmp(hex, s->want_sha) != 0) {
			s->local_bad = RO_EPROTO;
			s->file_read -= (uint64_t)n;
			set_cause(s, RO_EPROTO, ro_xasprintf("%s has sha256 %s, not the %s recorded "
			    "for it; the copy was stopped before its end and is incomplete on the "
			    "host. Use the package that passed the virus check", s->local_path, hex,
			    s->want_sha));
			s->wdone = 1;
			return 0;
		}
	}
	s->wbuf = s->input;
	s->wlen = (size_t)n;
	s->wpos = 0;
	return 0;
}

/*
 * io_call runs one libssh2 call of ST_CH_IO: > 0 progress, 0 would block,
 * < 0 a libssh2 error. A read that reports end of stream sets its flag.
 */
static int
io_call(struct ro_ssh *s, enum io_call which)
{
	char buf[READ_CHUNK];
	ssize_t n;

	switch (which) {
	case IO_WRITE:
		n = libssh2_channel_write(s->ch, (const char *)s->wbuf + s->wpos, s->wlen - s->wpos);
		if (n > 0)
			s->wpos += (size_t)n;
		break;
	case IO_EOF:
		n = libssh2_channel_send_eof(s->ch);
		if (n == 0) {
			s->eof_sent = 1;
			n = 1;
		}
		break;
	case IO_READ_OUT:
	case IO_READ_ERR:
		n = libssh2_channel_read_ex(s->ch, which == IO_READ_OUT ? 0 :
		    SSH_EXTENDED_DATA_STDERR, buf, sizeof buf);
		if (n > 0)
			tail_add(which == IO_READ_OUT ? &s->out : &s->err, buf, (size_t)n);
		else if (n == 0)
			*(which == IO_READ_OUT ? &s->out_eof : &s->err_eof) = 1;
		break;
	default:
		assert(0);
		return 0;
	}
	if (n == LIBSSH2_ERROR_EAGAIN) {
		/* A packet half written must be finished by the very same call. */
		if (libssh2_session_block_directions(s->sess) & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			s->retry = which;
		return 0;
	}
	return (int)n;
}

static enum step_result
st_ch_io(struct ro_ssh *s)
{
	for (;;) {
		int progress = 0, r;
		int remote_done;

		if (s->retry != IO_NONE) {
			enum io_call which = s->retry;
			s->retry = IO_NONE;
			r = io_call(s, which);
			if (r < 0)
				return channel_error(s, r, op_doing(s));
			if (s->retry != IO_NONE)
				return STEP_WAIT;
			progress |= r > 0;
		}
		remote_done = s->out_eof && s->err_eof;
		/* Input: data, then EOF; not once the remote end has finished. */
		if (!remote_done && !s->eof_sent) {
			refill(s);
			if (!s->wdone && s->wpos < s->wlen)
				r = io_call(s, IO_WRITE);
			else
				r = io_call(s, IO_EOF);
			if (r < 0)
				return channel_error(s, r, op_doing(s));
			if (s->retry != IO_NONE)
				return STEP_WAIT;
			progress |= r > 0;
		}
		/* Output: both streams, or the host blocks on the one we ignore. */
		if (!s->out_eof) {
			r = io_call(s, IO_READ_OUT);
			if (r < 0)
				return channel_error(s, r, op_doing(s));
			if (s->retry != IO_NONE)
				return STEP_WAIT;
			progress |= r > 0 || s->out_eof;
		}
		if (!s->err_eof) {
			r = io_call(s, IO_READ_ERR);
			if (r < 0)
				return channel_error(s, r, op_doing(s));
			if (s->retry != IO_NONE)
				return STEP_WAIT;
			progress |= r > 0 || s->err_eof;
		}
		if (s->out_eof && s->err_eof) {
			set_state(s, ST_CH_CLOSE);
			return STEP_NEXT;
		}
		if (!progress)
			return STEP_WAIT;
	}
}

static enum step_result
st_ch_close(struct ro_ssh *s)
{
	int rc = libssh2_channel_close(s->ch);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc)
		return channel_error(s, rc, "closing the channel");
	/* A download given up half-way does not wait for the host's end of
	 * the stream (it may still be sending): its exit status is moot. */
	set_state(s, s->op == OP_DOWNLOAD && s->local_bad ? ST_CH_FREE : ST_CH_WAIT_CLOSED);
	return STEP_NEXT;
}

static enum step_result
st_ch_wait_closed(struct ro_ssh *s)
{
	char *sig = NULL;
	size_t siglen = 0;
	int rc = libssh2_channel_wait_closed(s->ch);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (rc)
		return channel_error(s, rc, "closing the channel");
	/* Exit status and signal are final only now that the channel closed. */
	s->exit_code = libssh2_channel_get_exit_status(s->ch);
	free(s->exit_signal);
	s->exit_signal = NULL;
	if (libssh2_channel_get_exit_signal(s->ch, &sig, &siglen, NULL, NULL, NULL, NULL) == 0 &&
	    sig) {
		s->exit_signal = ro_xasprintf("%.*s", (int)siglen, sig);
		s->exit_code = -1;
		libssh2_free(s->sess, sig);
	}
	set_state(s, ST_CH_FREE);
	return STEP_NEXT;
}

static enum step_result verify_start(struct ro_ssh *s);
static enum step_result verify_done(struct ro_ssh *s);
static enum step_result st_scp_recv_open(struct ro_ssh *s);
static enum step_result st_scp_recv(struct ro_ssh *s);

static enum step_result
st_ch_free(struct ro_ssh *s)
{
	int rc = libssh2_channel_free(s->ch);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	s->ch = NULL;
	if (rc)
		return channel_error(s, rc, "closing the channel");
	if (s->op == OP_EXEC)
		return finish_op(s, 0, NULL);
	if (!s->verifying)
		return verify_start(s);
	return verify_done(s);
}

/* ---- upload ------------------------------------------------------------------------- */

/* Appends s to b in single quotes for a POSIX shell. */
static void
quote_posix(struct ro_buf *b, const char *p)
{
	ro_buf_addc(b, '\'');
	for (; *p; p++) {
		if (*p == '\'')
			ro_buf_adds(b, "'\\''");
		else
			ro_buf_addc(b, *p);
	}
	ro_buf_addc(b, '\'');
}

static enum step_result
verify_start(struct ro_ssh *s)
{
	struct ro_buf b;
	const char *p;
	char *w;

	if (s->local_bad) {
		/* The copy was stopped on purpose; its SCP exit status is moot. */
		int st = s->status;
		char *c = s->cause;
		s->cause = NULL;
		s->status = 0;
		return finish_op(s, st, c);
	}
	if (s->exit_code != 0 || s->exit_signal || memchr(s->out.buf ? s->out.buf : "", 1,
	    s->out.len) || memchr(s->out.buf ? s->out.buf : "", 2, s->out.len)) {
		/* scp on the host reports errors as "\1scp: message\n" on stdout. */
		size_t i, j = 0;
		char msg[512];
		for (i = 0; i < s->out.len && j + 1 < sizeof msg; i++) {
			unsigned char ch = (unsigned char)s->out.buf[i];
			if (ch >= ' ' && ch != 0x7f)
				msg[j++] = (char)ch;
			else if (ch == '\n' && j)
				msg[j++] = ' ';
		}
		for (i = 0; i < s->err.len && j + 1 < sizeof msg; i++) {
			unsigned char ch = (unsigned char)s->err.buf[i];
			if (ch >= ' ' && ch != 0x7f)
				msg[j++] = (char)ch;
		}
		msg[j] = '\0';
		w = who(s);
		char *c = s->op == OP_DOWNLOAD ? ro_xasprintf("%s: the copy of %s from the host "
		    "failed (scp exit %d%s%s); check that the file is there and readable", w,
		    s->remote_path, s->exit_code, j ? ": " : "", msg) :
		    ro_xasprintf("%s: the copy to %s failed (scp exit %d%s%s); check the "
		    "free space and permissions there", w, s->remote_path, s->exit_code,
		    j ? ": " : "", msg);
		free(w);
		return finish_op(s, RO_EPROTO, c);
	}
	ro_buf_init(&b);
	if (s->os == RO_OS_WINDOWS) {
		ro_buf_adds(&b, "powershell -NoProfile -NonInteractive -Command "
		    "\"(Get-FileHash -Algorithm SHA256 -LiteralPath '");
		for (p = s->remote_path; *p; p++) {
			if (*p == '\'')
				ro_buf_adds(&b, "''");
			else
				ro_buf_addc(&b, *p);
		}
		ro_buf_adds(&b, "').Hash\"");
	} else {
		ro_buf_adds(&b, "sha256sum -- ");
		quote_posix(&b, s->remote_path);
	}
	free(s->command);
	s->command = b.p;
	s->verifying = 1;
	s->wbuf = NULL;
	s->wlen = s->wpos = 0;
	s->wdone = s->eof_sent = s->out_eof = s->err_eof = 0;
	s->out.len = s->err.len = 0;
	s->out.total = s->err.total = 0;
	set_state(s, ST_CH_OPEN);
	return STEP_NEXT;
}

static enum step_result
verify_done(struct ro_ssh *s)
{
	const char *p = s->out.buf ? s->out.buf : "";
	const char *end = p + s->out.len;
	char got[65];
	size_t n = 0;
	char *w = who(s), *c;

	while (p < end && (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t'))
		p++;
	while (p < end && n < 64 && strchr("0123456789abcdefABCDEF", *p) && *p)
		got[n++] = *p++;
	got[n] = '\0';
	if (s->exit_code != 0 || s->exit_signal || n != 64 ||
	    (p < end && *p != ' ' && *p != '\r' && *p != '\n')) {
		size_t elen = s->err.len < 200 ? s->err.len : 200;
		c = ro_xasprintf("%s: could not compute the sha256 of %s on the host (exit %d): "
		    "%.*s", w, s->remote_path, s->exit_code, (int)elen, s->err.buf ? s->err.buf : "");
		free(w);
		return finish_op(s, RO_EPROTO, c);
	}
	if (strcasecmp(got, s->want_sha) != 0 && s->op == OP_DOWNLOAD) {
		c = ro_xasprintf("%s: %s has sha256 %s on the host, but the copy received has "
		    "%s: it was changed on the way or while it was copied; the copy was "
		    "discarded, fetch it again", w, s->remote_path, got, s->want_sha);
		free(w);
		return finish_op(s, RO_EPROTO, c);
	}
	if (strcasecmp(got, s->want_sha) != 0) {
		c = ro_xasprintf("%s: the copy at %s has sha256 %s, not %s: it was damaged on "
		    "the way or on the host's disk; upload it again", w, s->remote_path, got,
		    s->want_sha);
		free(w);
		return finish_op(s, RO_EPROTO, c);
	}
	free(w);
	return finish_op(s, 0, NULL);
}

/* ---- download ----------------------------------------------------------------------- */

/*
 * A download is written to local_path + ".part" (0600, created anew) as it
 * arrives and hashed as it goes; once the copy is complete, the host's own
 * hash of the file is compared with it, and only then is the part file
 * fsync'd and linked to local_path (never replacing a file there). Any
 * failure removes the part file: local_path either holds the whole file,
 * checked, or does not exist.
 */

/* write_all writes n bytes to fd: 0, or -1 with errno. */
static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* recv_fail stops reading: the channel is closed and the failure reported
 * once it is (the session stays usable). */
static enum step_result
recv_fail(struct ro_ssh *s, int status, char *cause)
{
	s->local_bad = status;
	set_cause(s, status, cause);
	s->wbuf = NULL;
	s->wlen = s->wpos = 0;
	s->wdone = 1;
	set_state(s, ST_CH_CLOSE);
	return STEP_NEXT;
}

static enum step_result
st_scp_recv_open(struct ro_ssh *s)
{
	libssh2_struct_stat sb;
	int rc;

	memset(&sb, 0, sizeof sb);
	s->ch = libssh2_scp_recv2(s->sess, s->remote_path, &sb);
	if (s->ch) {
		char *w;
		if (sb.st_size < 0 || (uint64_t)sb.st_size > s->max_bytes) {
			enum step_result r;
			w = who(s);
			set_state(s, ST_SCP_RECV); /* for recv_fail's close */
			r = recv_fail(s, RO_EPROTO, ro_xasprintf("%s: %s is %lld bytes, more than "
			    "the %llu a download may take; nothing was kept", w, s->remote_path,
			    (long long)sb.st_size, (unsigned long long)s->max_bytes));
			free(w);
			return r;
		}
		s->file_size = (uint64_t)sb.st_size;
		s->file_read = 0;
		s->trailer = 0;
		set_state(s, ST_SCP_RECV);
		return STEP_NEXT;
	}
	rc = libssh2_session_last_errno(s->sess);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	if (is_link_error(rc))
		return channel_error(s, rc, "starting the copy from the host");
	{
		/* libssh2 has already freed the channel; the session is fine. */
		char *w = who(s);
		char *c = ro_xasprintf("%s: the host did not send %s (%s); check that the file "
		    "exists and the user may read it", w, s->remote_path, ssh_msg(s));
		free(w);
		return finish_op(s, RO_EPROTO, c);
	}
}

static enum step_result
st_scp_recv(struct ro_ssh *s)
{
	static const unsigned char scp_ok = 0;

	for (;;) {
		ssize_t n;
		size_t want;

		if (!s->trailer && s->file_read == s->file_size) {
			s->trailer = 1;
			continue;
		}
		if (s->trailer) {
			/* The source's status byte: 0 when the file was read whole. */
			unsigned char b;
			n = libssh2_channel_read(s->ch, (char *)&b, 1);
			if (n == LIBSSH2_ERROR_EAGAIN)
				return STEP_WAIT;
			if (n < 0)
				return channel_error(s, (int)n, op_doing(s));
			if (n == 0 || b != 0) {
				char *w = who(s);
				enum step_result r = recv_fail(s, RO_EPROTO, ro_xasprintf("%s: the "
				    "host reported an error after sending %s (it may have changed "
				    "while it was read); nothing was kept", w, s->remote_path));
				free(w);
				return r;
			}
			/* Our answer, then EOF; ST_CH_IO drains the rest. */
			s->wbuf = &scp_ok;
			s->wlen = 1;
			s->wpos = 0;
			set_state(s, ST_CH_IO);
			return STEP_NEXT;
		}
		want = s->file_size - s->file_read < s->input_cap ?
		    (size_t)(s->file_size - s->file_read) : s->input_cap;
		n = libssh2_channel_read(s->ch, (char *)s->input, want);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return STEP_WAIT;
		if (n < 0)
			return channel_error(s, (int)n, op_doing(s));
		if (n == 0) {
			char *w = who(s);
			enum step_result r = recv_fail(s, RO_EPROTO, ro_xasprintf("%s: the host "
			    "ended the copy of %s after %llu of %llu bytes; nothing was kept", w,
			    s->remote_path, (unsigned long long)s->file_read,
			    (unsigned long long)s->file_size));
			free(w);
			return r;
		}
		if (write_all(s->file_fd, s->input, (size_t)n) != 0)
			return recv_fail(s, RO_EIO, ro_xasprintf("cannot write %s: %s; nothing "
			    "was kept", s->part_path, strerror(errno)));
		crypto_hash_sha256_update(&s->sha, s->input, (size_t)n);
		s->file_read += (uint64_t)n;
		if (s->file_read == s->file_size) {
			unsigned char h[crypto_hash_sha256_BYTES];
			crypto_hash_sha256_final(&s->sha, h);
			ro_hex(h, sizeof h, s->want_sha);
		}
	}
}

/* fsync_dir makes a link in the directory of path durable. */
static int
fsync_dir(const char *path)
{
	char *d = ro_xstrdup(path), *slash = strrchr(d, '/');
	int fd, rc = 0;

	if (slash == d)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else {
		free(d);
		d = ro_xstrdup(".");
	}
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) != 0)
		rc = -1;
	if (fd >= 0)
		close(fd);
	free(d);
	return rc;
}

/*
 * download_settle ends a download's files: on success the part file is
 * made durable and linked to its name (RO_EIO, or RO_EEXIST if a file
 * appeared there meanwhile, if that fails); otherwise it is removed.
 * Returns the status to report (and may replace *cause).
 */
static int
download_settle(struct ro_ssh *s, int status, char **cause)
{
	if (s->part_path == NULL)
		return status;
	if (status == 0 && s->file_fd >= 0) {
		if (fsync(s->file_fd) != 0 || close(s->file_fd) != 0) {
			s->file_fd = -1;
			status = RO_EIO;
			*cause = ro_xasprintf("cannot write %s: %s; nothing was kept", s->part_path,
			    strerror(errno));
		} else if ((s->file_fd = -1, link(s->part_path, s->local_path)) != 0) {
			status = errno == EEXIST ? RO_EEXIST : RO_EIO;
			*cause = ro_xasprintf("cannot keep the download as %s: %s", s->local_path,
			    strerror(errno));
		} else
			(void)fsync_dir(s->local_path);
	}
	(void)unlink(s->part_path);
	free(s->part_path);
	s->part_path = NULL;
	return status;
}

/* ---- teardown -------------------------------------------------------------------------- */

static void
on_handle_closed(uv_handle_t *h)
{
	struct ro_ssh *s = h->data;
	enum op op;

	assert(s->handles_open > 0);
	if (--s->handles_open > 0)
		return;
	/* final: every handle is closed; report, then free. */
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->in_final = 1;
	op = s->op;
	s->op = OP_NONE;
	if (op == OP_CONNECT) {
		int st = s->status ? s->status : RO_ECANCELED;
		char *c = s->cause;
		if (c == NULL) {
			char *w = who(s);
			c = ro_xasprintf("%s: the connection was cancelled before it completed", w);
			free(w);
		}
		s->cause = NULL;
		s->connect_cb(s, st, c, s->op_arg);
		free(c);
	} else if (op == OP_PROBE) {
		struct ro_probe_result r = { 0 };
		r.status = s->status;
		r.type = s->hk_type;
		r.key = s->hk;
		r.key_len = s->hk_len;
		memcpy(r.fingerprint, s->hk_fp, sizeof r.fingerprint);
		r.match = s->hk_match;
		r.cause = s->cause;
		if (r.status == 0 && s->hk == NULL) {
			r.status = RO_ECANCELED;
		}
		s->probe_cb(&r, s->op_arg);
	} else if (op == OP_EXEC || op == OP_UPLOAD || op == OP_DOWNLOAD) {
		char *w = who(s);
		char *c = ro_xasprintf("%s: %s was cancelled because the session was closed", w,
		    op == OP_EXEC ? "the command" : op == OP_UPLOAD ? "the upload" : "the download");
		free(w);
		s->op = op;
		finish_op(s, RO_ECANCELED, c);
	}
	if (s->close_cb)
		s->close_cb(s->close_arg);

	free(s->host);
	free(s->address);
	free(s->user);
	free(s->key_path);
	free(s->pub_path);
	if (s->password)
		sodium_free(s->password); /* zeroes it */
	free(s->hk);
	free(s->cause);
	free(s->command);
	free(s->out.buf);
	free(s->err.buf);
	free(s->exit_signal);
	free(s->local_path);
	free(s->remote_path);
	free(s->part_path);
	input_free(s);
	if (s->file_fd >= 0)
		close(s->file_fd);
	free(s);
}

/*
 * begin_teardown moves the session towards the end: a disconnect message
 * if the link is up and trusted, then freeing libssh2, then the handles.
 * The caller returns STEP_NEXT (inside step) or kicks (outside).
 */
static void
begin_teardown(struct ro_ssh *s)
{
	if (s->tearing_down)
		return;
	s->tearing_down = 1;
	uv_timer_stop(&s->keepalive);
	uv_timer_stop(&s->timer);
	if (s->sess && s->handshaken && !s->skip_disconnect && !s->link_dead) {
		set_state(s, ST_DISCONNECT);
		start_deadline(s, TEARDOWN_TIMEOUT_MS);
	} else {
		set_state(s, ST_FREE_SESSION);
	}
}

static enum step_result
st_disconnect(struct ro_ssh *s)
{
	int rc = libssh2_session_disconnect_ex(s->sess, SSH_DISCONNECT_BY_APPLICATION,
	    "rollout closed the session", "");

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STEP_WAIT;
	set_state(s, ST_FREE_SESSION); /* errors do not matter any more */
	return STEP_NEXT;
}

static enum step_result
st_free_session(struct ro_ssh *s)
{
	uv_timer_stop(&s->timer);
	agent_done(s); /* before the session it belongs to */
	if (s->sess) {
		/* With the socket shut down nothing can block: libssh2's attempts to
		 * close channels fail at once instead of waiting for the host. */
		if (s->fd >= 0)
			shutdown(s->fd, SHUT_RDWR);
		if (libssh2_session_free(s->sess) == LIBSSH2_ERROR_EAGAIN) {
			libssh2_session_set_blocking(s->sess, 1);
			libssh2_session_free(s->sess);
		}
		s->sess = NULL;
		s->ch = NULL; /* freed with the session */
	}
	set_state(s, ST_CLOSING);
	if (s->poll_inited) {
		uv_poll_stop(&s->poll);
		uv_close((uv_handle_t *)&s->poll, on_handle_closed);
	}
	uv_close((uv_handle_t *)&s->timer, on_handle_closed);
	uv_close((uv_handle_t *)&s->keepalive, on_handle_closed);
	return STEP_STOP;
}

/* ---- the machine ---------------------------------------------------------------------- */

static enum step_result
st_op_fail(struct ro_ssh *s)
{
	int st = s->status;
	char *c = s->cause;

	s->cause = NULL;
	s->status = 0;
	return finish_op(s, st, c);
}

static void
step(struct ro_ssh *s)
{
	for (;;) {
		enum step_result r;

		switch (s->state) {
		case ST_TCP: r = st_tcp(s); break;
		case ST_HANDSHAKE: r = st_handshake(s); break;
		case ST_AUTH_AGENT: r = st_auth_agent(s); break;
		case ST_AUTH_KEY: r = st_auth_key(s); break;
		case ST_AUTH_PASSWORD: r = st_auth_password(s); break;
		case ST_OP_FAIL: r = st_op_fail(s); break;
		case ST_CH_OPEN: r = st_ch_open(s); break;
		case ST_CH_EXEC: r = st_ch_exec(s); break;
		case ST_SCP_OPEN: r = st_scp_open(s); break;
		case ST_SCP_RECV_OPEN: r = st_scp_recv_open(s); break;
		case ST_SCP_RECV: r = st_scp_recv(s); break;
		case ST_CH_IO: r = st_ch_io(s); break;
		case ST_CH_CLOSE: r = st_ch_close(s); break;
		case ST_CH_WAIT_CLOSED: r = st_ch_wait_closed(s); break;
		case ST_CH_FREE: r = st_ch_free(s); break;
		case ST_DISCONNECT: r = st_disconnect(s); break;
		case ST_FREE_SESSION: r = st_free_session(s); break;
		case ST_READY:
		case ST_BROKEN:
			/* Nothing to do: a late wakeup. */
			if (s->poll_inited)
				uv_poll_stop(&s->poll);
			return;
		case ST_CLOSING:
		default:
			return;
		}
		if (r == STEP_NEXT)
			continue;
		if (r == STEP_WAIT)
			arm(s);
		return;
	}
}

static void
on_deadline(uv_timer_t *t)
{
	struct ro_ssh *s = t->data;
	char *w, *c;

	switch (s->state) {
	case ST_DISCONNECT:
		/* The host does not take our goodbye; leave without it. */
		set_state(s, ST_FREE_SESSION);
		step(s);
		return;
	case ST_TCP: case ST_HANDSHAKE: case ST_AUTH_AGENT: case ST_AUTH_KEY: case ST_AUTH_PASSWORD:
		w = who(s);
		c = ro_xasprintf("%s did not complete the SSH connection within %llu ms (stuck "
		    "in %s); check that it is up and reachable from this machine", w,
		    (unsigned long long)s->connect_timeout_ms, state_names[s->state]);
		free(w);
		s->link_dead = 1;
		fail(s, RO_ETIMEDOUT, c);
		step(s);
		return;
	case ST_CH_OPEN: case ST_CH_EXEC: case ST_SCP_OPEN: case ST_CH_IO: case ST_CH_CLOSE:
	case ST_CH_WAIT_CLOSED: case ST_CH_FREE: case ST_SCP_RECV_OPEN: case ST_SCP_RECV:
		w = who(s);
		c = ro_xasprintf("%s: %s did not finish within %llu ms; the session was left "
		    "unusable: close it (the host may still be running it)", w,
		    s->op == OP_UPLOAD ? "the upload" : s->op == OP_DOWNLOAD ? "the download" :
		    "the command",
		    (unsigned long long)s->deadline_ms);
		free(w);
		finish_op(s, RO_ETIMEDOUT, c);
		return;
	default:
		return;
	}
}

/* ---- public API ------------------------------------------------------------------------ */

/* new_session allocates s and starts the TCP connection (or records why it
 * could not start; step() from the loop reports it). */
static int
new_session(uv_loop_t *loop, const char *address, int port, struct ro_ssh **out)
{
	struct ro_ssh *s;
	struct sockaddr_in sa;
	int one = 1;

	*out = NULL;
	uv_once(&init_once, do_init);
	if (init_rc < 0)
		return RO_EIO;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (address == NULL || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, address, &sa.sin_addr) != 1)
		return RO_EINVAL;
	s = ro_xcalloc(1, sizeof *s);
	s->loop = loop;
	s->fd = -1;
	s->file_fd = -1;
	s->address = ro_xstrdup(address);
	s->port = port;
	s->connect_timeout_ms = CONNECT_TIMEOUT_DEFAULT_MS;
	s->keepalive_s = KEEPALIVE_DEFAULT_S;
	uv_timer_init(loop, &s->timer);
	uv_timer_init(loop, &s->keepalive);
	s->timer.data = s->keepalive.data = s;
	s->handles_open = 2;
	set_state(s, ST_TCP);

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		set_cause(s, RO_EIO, ro_xasprintf("host %s:%d: cannot create a socket: %s",
		    address, port, strerror(errno)));
		begin_teardown(s);
	} else {
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (uv_poll_init_socket(loop, &s->poll, s->fd) == 0) {
			s->poll.data = s;
			s->poll_inited = 1;
			s->handles_open++;
		}
		if (connect(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
			/* Report as if it failed later, from the loop. */
			int e = errno;
			set_cause(s, RO_EUNREACHABLE, ro_xasprintf("host %s:%d: cannot connect: %s; "
			    "check that the host is up and that its SSH server listens on port %d",
			    address, port, strerror(e), port));
			s->link_dead = 1;
			begin_teardown(s);
		} else if (!s->poll_inited) {
			set_cause(s, RO_EIO, ro_xasprintf("host %s:%d: cannot watch the socket",
			    address, port));
			begin_teardown(s);
		}
	}
	*out = s;
	return 0;
}

/* start_loop_work runs the first step from the loop. */
static void
start_loop_work(struct ro_ssh *s, uint64_t timeout_ms)
{
	if (!s->tearing_down)
		start_deadline(s, timeout_ms);
	if (s->poll_inited)
		arm(s);
	else
		step(s); /* teardown without a socket: closes handles, reports from the loop */
}

int
ro_ssh_connect(uv_loop_t *loop, const struct ro_ssh_config *cfg,
    ro_ssh_connect_cb cb, void *arg, struct ro_ssh **out)
{
	struct ro_ssh *s;
	char *pw = NULL;
	int rc;

	*out = NULL;
	if (cfg == NULL || cb == NULL || cfg->user == NULL || cfg->user[0] == '\0' ||
	    cfg->known == NULL)
		return RO_EINVAL;
	if (cfg->password) {
		/* Locked memory, as the caller's copy: never swapped, zeroed when freed. */
		size_t pl = strlen(cfg->password) + 1;
		if (sodium_init() < 0 || (pw = sodium_malloc(pl)) == NULL)
			return RO_ENOMEM;
		memcpy(pw, cfg->password, pl);
	}
	rc = new_session(loop, cfg->address, cfg->port, &s);
	if (rc) {
		sodium_free(pw);
		return rc;
	}
	s->op = OP_CONNECT;
	s->connect_cb = cb;
	s->op_arg = arg;
	s->host = ro_xstrdup(cfg->host ? cfg->host : cfg->address);
	s->user = ro_xstrdup(cfg->user);
	if (cfg->key_path && cfg->auth == NULL) {
		s->key_path = ro_xstrdup(cfg->key_path);
		s->pub_path = ro_xasprintf("%s.pub", cfg->key_path);
	}
	s->password = pw;
	s->auth = cfg->auth;
	if (s->auth && s->auth->key_path)
		s->pub_path = ro_xasprintf("%s.pub", s->auth->key_path);
	s->known = cfg->known;
	if (cfg->connect_timeout_ms)
		s->connect_timeout_ms = cfg->connect_timeout_ms;
	if (cfg->keepalive_s)
		s->keepalive_s = cfg->keepalive_s;
	start_loop_work(s, s->connect_timeout_ms);
	*out = s;
	return 0;
}

int
ro_ssh_probe(uv_loop_t *loop, const char *address, int port,
    const struct ro_known_hosts *known, uint64_t timeout_ms, ro_probe_cb cb, void *arg)
{
	struct ro_ssh *s;
	int rc;

	if (cb == NULL)
		return RO_EINVAL;
	rc = new_session(loop, address, port, &s);
	if (rc)
		return rc;
	s->op = OP_PROBE;
	s->probe_cb = cb;
	s->op_arg = arg;
	s->known = known;
	s->connect_timeout_ms = timeout_ms ? timeout_ms : CONNECT_TIMEOUT_DEFAULT_MS;
	start_loop_work(s, s->connect_timeout_ms);
	return 0;
}

const char *
ro_ssh_hostkey_type(const struct ro_ssh *s)
{
	return s->hk ? s->hk_type : NULL;
}

/* op_begin checks that an operation may start and resets its fields. */
static int
op_begin(struct ro_ssh *s, enum op op, uint64_t timeout_ms, void *arg)
{
	if (s->close_requested || s->tearing_down || s->op != OP_NONE)
		return RO_ESTATE;
	if (s->state != ST_READY)
		return s->link_dead ? RO_ECONNLOST : RO_ESTATE;
	assert(s->ch == NULL);
	s->op = op;
	s->op_arg = arg;
	s->deadline_ms = timeout_ms;
	s->wbuf = NULL;
	s->wlen = s->wpos = 0;
	s->wdone = s->eof_sent = s->out_eof = s->err_eof = 0;
	s->retry = IO_NONE;
	s->out.len = s->err.len = 0;
	s->out.total = s->err.total = 0;
	s->exit_code = 0;
	free(s->exit_signal);
	s->exit_signal = NULL;
	s->verifying = 0;
	s->local_bad = 0;
	s->file_read = 0;
	set_cause(s, 0, NULL);
	return 0;
}

int
ro_ssh_exec(struct ro_ssh *s, const char *command, const void *stdin_data,
    size_t stdin_len, uint64_t timeout_ms, ro_ssh_exec_cb cb, void *arg)
{
	int rc;

	if (command == NULL || cb == NULL || (stdin_len && stdin_data == NULL))
		return RO_EINVAL;
	rc = op_begin(s, OP_EXEC, timeout_ms, arg);
	if (rc)
		return rc;
	s->exec_cb = cb;
	s->command = ro_xstrdup(command);
	if (stdin_len) {
		/* Locked memory: a password step's value comes this way. */
		if ((s->input = sodium_malloc(stdin_len)) == NULL) {
			free(s->command);
			s->command = NULL;
			s->op = OP_NONE;
			return RO_ENOMEM;
		}
		s->input_locked = 1;
		s->input_cap = stdin_len;
		memcpy(s->input, stdin_data, stdin_len);
		s->wbuf = s->input;
		s->wlen = stdin_len;
	}
	set_state(s, ST_CH_OPEN);
	start_deadline(s, timeout_ms);
	kick(s);
	return 0;
}

int
ro_ssh_upload(struct ro_ssh *s, const char *local_path, const char *remote_path,
    const char *sha256_hex, enum ro_remote_os os, uint64_t timeout_ms,
    ro_ssh_upload_cb cb, void *arg)
{
	struct stat st;
	const char *p;
	size_t i;
	int rc;

	if (local_path == NULL || remote_path == NULL || remote_path[0] == '\0' ||
	    sha256_hex == NULL || strlen(sha256_hex) != 64 || cb == NULL)
		return RO_EINVAL;
	for (i = 0; i < 64; i++)
		if (!strchr("0123456789abcdefABCDEF", sha256_hex[i]))
			return RO_EINVAL;
	for (p = remote_path; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f || (os == RO_OS_WINDOWS && *p == '"'))
			return RO_EINVAL;
	rc = op_begin(s, OP_UPLOAD, timeout_ms, arg);
	if (rc)
		return rc;
	s->upload_cb = cb;
	s->local_path = ro_xstrdup(local_path);
	s->remote_path = ro_xstrdup(remote_path);
	memcpy(s->want_sha, sha256_hex, 65);
	s->os = os;
	crypto_hash_sha256_init(&s->sha);
	s->file_fd = open(local_path, O_RDONLY | O_CLOEXEC);
	if (s->file_fd < 0 || fstat(s->file_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		set_cause(s, RO_EIO, ro_xasprintf("cannot read %s: %s", local_path,
		    s->file_fd < 0 || errno ? strerror(errno) : "not a regular file"));
		if (s->file_fd >= 0 && !S_ISREG(st.st_mode)) {
			free(s->cause);
			s->cause = ro_xasprintf("cannot upload %s: not a regular file", local_path);
		}
		set_state(s, ST_OP_FAIL);
	} else {
		s->file_size = (uint64_t)st.st_size;
		s->input_cap = FILE_CHUNK;
		s->input = ro_xmalloc(FILE_CHUNK);
		set_state(s, ST_SCP_OPEN);
		start_deadline(s, timeout_ms);
	}
	kick(s);
	return 0;
}

int
ro_ssh_download(struct ro_ssh *s, const char *remote_path, const char *local_path,
    enum ro_remote_os os, uint64_t max_bytes, uint64_t timeout_ms, ro_ssh_download_cb cb,
    void *arg)
{
	struct stat st;
	const char *p;
	int rc;

	if (local_path == NULL || local_path[0] == '\0' || remote_path == NULL ||
	    remote_path[0] == '\0' || cb == NULL || max_bytes == 0)
		return RO_EINVAL;
	for (p = remote_path; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f || (os == RO_OS_WINDOWS && *p == '"'))
			return RO_EINVAL;
	rc = op_begin(s, OP_DOWNLOAD, timeout_ms, arg);
	if (rc)
		return rc;
	s->download_cb = cb;
	s->local_path = ro_xstrdup(local_path);
	s->remote_path = ro_xstrdup(remote_path);
	s->os = os;
	s->max_bytes = max_bytes;
	s->want_sha[0] = '\0';
	crypto_hash_sha256_init(&s->sha);
	if (lstat(local_path, &st) == 0) {
		set_cause(s, RO_EEXIST, ro_xasprintf("%s exists already: a download never "
		    "replaces a kept file", local_path));
		set_state(s, ST_OP_FAIL);
	} else {
		s->part_path = ro_xasprintf("%s.part", local_path);
		s->file_fd = open(s->part_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (s->file_fd < 0) {
			set_cause(s, RO_EIO, ro_xasprintf("cannot create %s: %s", s->part_path,
			    strerror(errno)));
			free(s->part_path); /* not ours: never removed */
			s->part_path = NULL;
			set_state(s, ST_OP_FAIL);
		} else {
			s->input_cap = FILE_CHUNK;
			s->input = ro_xmalloc(FILE_CHUNK);
			set_state(s, ST_SCP_RECV_OPEN);
			start_deadline(s, timeout_ms);
		}
	}
	kick(s);
	return 0;
}

void
ro_ssh_close(struct ro_ssh *s, ro_ssh_close_cb cb, void *arg)
{
	if (s == NULL)
		return;
	if (s->in_final || s->tearing_down) {
		/* Already on its way out (a failed connect, or a close from inside
		 * a callback of the last stage): just add the callback. */
		assert(s->close_cb == NULL);
		s->close_cb = cb;
		s->close_arg = arg;
		s->close_requested = 1;
		return;
	}
	assert(!s->close_requested);
	s->close_requested = 1;
	s->close_cb = cb;
	s->close_arg = arg;
	if (s->op == OP_CONNECT || s->op == OP_PROBE)
		set_cause(s, RO_ECANCELED, NULL);
	/* An exec or upload under way: its callback runs with RO_ECANCELED from
	 * final(), before cb. The channel goes with the session. */
	if (s->state == ST_CH_IO && s->retry != IO_NONE)
		s->link_dead = 1; /* a half-sent packet: a disconnect would be refused */
	if (s->state == ST_TCP)
		s->link_dead = 1;
	begin_teardown(s);
	kick(s);
}
