/*
 * sim-server.c - listeners, sessions, exec and SCP over libssh (see sim-server.h).
 */
#include "sim-server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "error.h"
#include "sim-commands.h"
#include "sim-scp.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SESSION_STACK (4u << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SESSION_STACK (4u << 20)
#endif
#endif
#ifndef SESSION_STACK
#define SESSION_STACK (512u << 10)
#endif

#define NEVER INT64_MAX

struct host {
	struct sim_hostctx ctx;
	char *keyfile;
	int port;
	ssh_bind bind;            /* NULL while not listening */
	pthread_mutex_t mu;
	int64_t down_at;          /* virtual: a restart/power-off takes the host down; 0: none */
	int64_t up_at;            /* virtual: the boot completes (NEVER: does not come back) */
	int went_down;
	atomic_uint gen;          /* bumped when the host goes down: sessions drop */
	uint64_t counter;         /* the host's random fault sequence */
};

struct server {
	const struct sim_server_config *cfg;
	struct host *hosts;
	size_t nhosts;
	ssh_key *auth_keys;
	size_t nauth_keys;
	volatile sig_atomic_t *stop;
	atomic_int sessions;
	atomic_ulong total_sessions;
	atomic_int peak;
};

/*
 * One channel of a session. Every channel has its own state and its own
 * callbacks struct (libssh keeps calling a channel's callbacks until the channel
 * is really freed, which for a channel closed by us first is when the client's
 * CLOSE arrives): a channel's events can never be attributed to another one.
 * Freed only when both sides have closed it (or when the session ends).
 */
struct chan {
	struct sess *S;
	struct chan *next;
	ssh_channel channel;
	struct ssh_channel_callbacks_struct cb;
	unsigned id;              /* 1, 2, ... within the session, for the log */
	char *cmd;                /* the exec request (NULL: none yet) */
	int state;                /* CH_* */
	struct ro_buf in;         /* stdin */
	int in_eof;
	int remote_closed;        /* the client sent CLOSE */
	int local_closed;         /* we sent CLOSE */
	/* a command under way: its result is delivered at due_ms (real time) */
	struct sim_result r;
	uint64_t due_ms;
	/* scp -t */
	struct sim_scp *scp;
	/* scp -f: the engine fetching a file back */
	struct sim_scp_src *src;
	int src_done;
	struct ro_buf scp_reply;
	uint64_t scp_real_start_ms;
};

enum {
	CH_IDLE,     /* open, no exec yet (or waiting for stdin) */
	CH_RUNNING,  /* the command ran; its output is held until due_ms */
	CH_SCP,      /* an scp -t transfer */
	CH_DONE,     /* exit status sent (or nothing to send); closed by us */
};

#define MAX_CHANNELS 64 /* per session, open at once */

struct sess {
	struct server *srv;
	struct host *h;
	ssh_session session;
	unsigned gen0;
	int authenticated;
	int auth_failures;
	struct chan *chans;
	unsigned nchans;          /* in the list */
	unsigned next_id;
	struct ssh_server_callbacks_struct scb;
};

static int64_t
vnow(const struct server *srv)
{
	return ro_clock_now_s(&srv->cfg->clock);
}

static uint64_t
real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
logf_(const struct server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
logf_(const struct server *srv, const char *fmt, ...)
{
	if (!srv->cfg->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* One whole line per event: tests read this log as the fleet's command log. */
	flockfile(stderr);
	fputs("rollout-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

/* ---- host availability -------------------------------------------------- */

/* Whether the host accepts connections at virtual time now; applies a due restart. */
static int
host_up(struct server *srv, struct host *h, int64_t now)
{
	const struct sim_faults *f = srv->cfg->faults;
	if (f && sim_faults_find(f, SIM_FAULT_DOWN, h->ctx.name, h->ctx.site, NULL))
		return 0;
	int up = 1;
	pthread_mutex_lock(&h->mu);
	if (h->down_at != 0 && now >= h->down_at) {
		if (!h->went_down) {
			h->went_down = 1;
			atomic_fetch_add(&h->gen, 1);
			sim_host_restarted(&h->ctx, h->up_at == NEVER ? now : h->up_at);
			logf_(srv, "%s: down (restart)", h->ctx.name);
		}
		if (now < h->up_at) {
			up = 0;
		} else {
			h->down_at = 0;
			h->went_down = 0;
			(void)sim_state_set_num(h->ctx.st, h->ctx.name, "down_at", 0);
			logf_(srv, "%s: up (boot complete)", h->ctx.name);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return up;
}

/* A restart (kind 1) or power-off (kind 2) delay virtual seconds from now. */
static void
schedule_restart(struct server *srv, struct host *h, int kind, double delay)
{
	const struct sim_server_config *cfg = srv->cfg;
	int64_t now = vnow(srv);
	pthread_mutex_lock(&h->mu);
	h->down_at = now + (int64_t)delay;
	if (h->down_at <= now)
		h->down_at = now;
	double off = kind == 2 ? cfg->poweroff_seconds : 0;
	int never = cfg->faults && (sim_faults_find(cfg->faults, SIM_FAULT_NOBOOT, h->ctx.name, h->ctx.site, NULL) ||
	    sim_faults_roll(cfg->faults, SIM_FAULT_NOBOOT, h->ctx.name, &h->counter));
	h->up_at = never ? NEVER : h->down_at + (int64_t)(off + cfg->boot_seconds);
	h->went_down = 0;
	/* The kernel starts a third of the way into the boot: that is LastBootUpTime. */
	int64_t boot = h->down_at + (int64_t)(off + cfg->boot_seconds / 3);
	(void)sim_state_set_num(h->ctx.st, h->ctx.name, "down_at", h->down_at);
	(void)sim_state_set_num(h->ctx.st, h->ctx.name, "up_at", h->up_at);
	if (!never)
		(void)sim_state_set_num(h->ctx.st, h->ctx.name, "boot_time", boot);
	pthread_mutex_unlock(&h->mu);
	logf_(srv, "%s: %s in %.0f s (virtual)%s", h->ctx.name, kind == 2 ? "power-off" : "restart",
	    delay, never ? ", never comes back (fault)" : "");
}

static int
host_dropped(struct sess *S)
{
	if (*S->srv->stop)
		return 1;
	if (atomic_load(&S->h->gen) != S->gen0)
		return 1;
	int64_t now = vnow(S->srv);
	pthread_mutex_lock(&S->h->mu);
	int down = S->h->down_at != 0 && now >= S->h->down_at;
	pthread_mutex_unlock(&S->h->mu);
	return down;
}

/* ---- authentication -------------------------------------------------------- */

static void
record_failed_logon(struct sess *S, const char *user)
{
	char key[64];
	int64_t now = vnow(S->srv);
	snprintf(key, sizeof(key), "Security|%" PRId64 "-%u", now, (unsigned)(real_ms() % 100000));
	struct sim_item it = { .key = key, .a = "An account failed to log on.", .b = "Security",
		.c = user, .n = 4625, .t = now };
	(void)sim_state_put(S->h->ctx.st, S->h->ctx.name, "event", &it);
}

static int
auth_denied_by_fault(struct sess *S)
{
	const struct sim_faults *f = S->srv->cfg->faults;
	if (f == NULL)
		return 0;
	if (sim_faults_find(f, SIM_FAULT_AUTHFAIL, S->h->ctx.name, S->h->ctx.site, NULL))
		return 1;
	pthread_mutex_lock(&S->h->mu);
	int r = sim_faults_roll(f, SIM_FAULT_AUTHFAIL, S->h->ctx.name, &S->h->counter);
	pthread_mutex_unlock(&S->h->mu);
	return r;
}

static int
auth_password(ssh_session session, const char *user, const char *password, void *userdata)
{
	struct sess *S = userdata;
	if (strcasecmp(user, S->h->ctx.user) == 0 && !auth_denied_by_fault(S) &&
	    sim_state_check_password(S->h->ctx.st, S->h->ctx.name, S->h->ctx.user, password)) {
		S->authenticated = 1;
		return SSH_AUTH_SUCCESS;
	}
	record_failed_logon(S, user);
	S->auth_failures++;
	return SSH_AUTH_DENIED;
}

static int
auth_pubkey(ssh_session session, const char *user, struct ssh_key_struct *pubkey,
    char signature_state, void *userdata)
{
	struct sess *S = userdata;
	if (strcasecmp(user, S->h->ctx.user) != 0)
		return SSH_AUTH_DENIED;
	int known = 0;
	for (size_t i = 0; i < S->srv->nauth_keys && !known; i++)
		known = ssh_key_cmp(S->srv->auth_keys[i], pubkey, SSH_KEY_CMP_PUBLIC) == 0;
	if (!known)
		return SSH_AUTH_DENIED;
	if (signature_state == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS; /* the key is acceptable: the client signs next */
	if (signature_state != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;
	if (auth_denied_by_fault(S)) {
		record_failed_logon(S, user);
		return SSH_AUTH_DENIED;
	}
	S->authenticated = 1;
	return SSH_AUTH_SUCCESS;
}

/* ---- channels -------------------------------------------------------------- */

static const struct sim_fault *
slow_fault(const struct sess *S)
{
	const struct sim_faults *f = S->srv->cfg->faults;
	return f ? sim_faults_find(f, SIM_FAULT_SLOW, S->h->ctx.name, S->h->ctx.site, NULL) : NULL;
}

static int
ch_data(ssh_session session, ssh_channel channel, void *data, uint32_t len, int is_stderr,
    void *userdata)
{
	struct chan *c = userdata;
	struct sess *S = c->S;
	if (is_stderr)
		return (int)len;
	if (c->src) {
		if (sim_scp_src_feed(c->src, data, len, &c->scp_reply) != SIM_SCP_MORE)
			c->src_done = 1;
		return (int)len;
	}
	if (c->scp) {
		(void)sim_scp_feed(c->scp, data, len, &c->scp_reply);
		/* Bandwidth: hold the data until the link would have carried it. */
		const struct sim_fault *slow = slow_fault(S);
		if (slow && slow->kbit > 0) {
			uint64_t due = c->scp_real_start_ms + sim_scp_bytes(c->scp) * 8 / (uint64_t)slow->kbit;
			uint64_t nowms = real_ms();
			if (due > nowms)
				sleep_ms(due - nowms > 2000 ? 2000 : due - nowms);
		}
		return (int)len;
	}
	if (c->state != CH_IDLE || c->in.len + len > 1024 * 1024)
		return (int)len; /* stdin beyond 1 MiB is dropped: no command reads that much */
	ro_buf_add(&c->in, data, len);
	return (int)len;
}

static void
ch_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	((struct chan *)userdata)->in_eof = 1;
}

static void
ch_close(ssh_session session, ssh_channel channel, void *userdata)
{
	struct chan *c = userdata;
	c->remote_closed = 1;
	c->in_eof = 1;
}

static int
ch_exec(ssh_session session, ssh_channel channel, const char *command, void *userdata)
{
	struct chan *c = userdata;
	if (c->cmd != NULL || c->state != CH_IDLE || c->remote_closed || c->local_closed)
		return -1; /* one exec per channel */
	c->cmd = ro_xstrdup(command);
	return 0; /* libssh answers SUCCESS (if the client asked for a reply) */
}

static int
ch_pty(ssh_session session, ssh_channel channel, const char *term, int width, int height,
    int pxwidth, int pwheight, void *userdata)
{
	return 0; /* accepted and ignored: output stays the same */
}

static int
ch_shell(ssh_session session, ssh_channel channel, void *userdata)
{
	return -1; /* no interactive shell: the engine only runs commands */
}

static int
ch_env(ssh_session session, ssh_channel channel, const char *name, const char *value,
    void *userdata)
{
	return 0;
}

static ssh_channel
channel_open(ssh_session session, void *userdata)
{
	struct sess *S = userdata;
	if (!S->authenticated || S->nchans >= MAX_CHANNELS)
		return NULL;
	ssh_channel ch = ssh_channel_new(session);
	if (ch == NULL)
		return NULL;
	struct chan *c = ro_xcalloc(1, sizeof(*c));
	c->S = S;
	c->channel = ch;
	c->id = ++S->next_id;
	ro_buf_init(&c->in);
	ro_buf_init(&c->scp_reply);
	sim_result_init(&c->r);
	c->cb.userdata = c;
	c->cb.channel_data_function = ch_data;
	c->cb.channel_eof_function = ch_eof;
	c->cb.channel_close_function = ch_close;
	c->cb.channel_exec_request_function = ch_exec;
	c->cb.channel_pty_request_function = ch_pty;
	c->cb.channel_shell_request_function = ch_shell;
	c->cb.channel_env_request_function = ch_env;
	ssh_callbacks_init(&c->cb);
	if (ssh_set_channel_callbacks(ch, &c->cb) != SSH_OK) {
		ssh_channel_free(ch);
		ro_buf_free(&c->in);
		ro_buf_free(&c->scp_reply);
		free(c);
		return NULL;
	}
	/* Appended: a channel opened while the list is being walked is seen in the same walk. */
	struct chan **pp = &S->chans;
	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	S->nchans++;
	return ch;
}

/*
 * Frees a channel's state. With libssh alive (the normal case) the channel is
 * closed on both sides; its callbacks are removed first so that nothing libssh
 * does later can reach the freed state. At the end of a session (dead) the
 * libssh channel is left to ssh_free.
 */
static void
chan_free(struct chan *c, int dead)
{
	if (c->channel) {
		ssh_remove_channel_callbacks(c->channel, &c->cb);
		if (!dead)
			ssh_channel_free(c->channel);
		c->channel = NULL;
	}
	free(c->cmd);
	if (c->in.p)
		sodium_memzero(c->in.p, c->in.cap); /* it may have been a password */
	ro_buf_free(&c->in);
	sim_scp_free(c->scp);
	sim_scp_src_free(c->src);
	ro_buf_free(&c->scp_reply);
	sim_result_free(&c->r);
	free(c);
}

/* Writes all of buf (stdout or stderr) to the channel. -1 if it could not. */
static int
write_all(struct chan *c, const char *p, size_t n, int to_stderr)
{
	while (n > 0) {
		if (c->remote_closed)
			return -1;
		uint32_t chunk = n > 32768 ? 32768 : (uint32_t)n;
		int w = to_stderr ? ssh_channel_write_stderr(c->channel, p, chunk) :
		    ssh_channel_write(c->channel, p, chunk);
		if (w == SSH_ERROR)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
scp_file_cb(void *arg, const char *path, uint64_t size, const char *sha256_hex)
{
	struct sess *S = arg;
	struct sim_hostctx ctx = S->h->ctx;
	ctx.now = vnow(S->srv);
	logf_(S->srv, "%s: received %s (%llu bytes)", S->h->ctx.name, path, (unsigned long long)size);
	return sim_file_uploaded(&ctx, path, size, sha256_hex);
}

static int
is_dir_target(const char *p)
{
	size_t l = strlen(p);
	if (l > 0 && (p[l - 1] == '\\' || p[l - 1] == '/'))
		return 1;
	return strcasecmp(p, "C:\\Windows\\Temp") == 0 || strcasecmp(p, "C:/Windows/Temp") == 0 ||
	    strcasecmp(p, "C:\\") == 0;
}

/*
 * Ends a channel whose command ran: exit status, EOF, CLOSE, in this order (a
 * client that has closed its side already gets just our CLOSE).
 */
static void
finish_channel(struct chan *c, int code)
{
	if (!c->remote_closed) {
		ssh_channel_request_send_exit_status(c->channel, (uint32_t)code);
		ssh_channel_send_eof(c->channel);
	}
	if (!c->local_closed) {
		ssh_channel_close(c->channel);
		c->local_closed = 1;
	}
	c->state = CH_DONE;
}

/* Closes a channel on which no command ran (none asked, or refused). */
static void
close_idle(struct chan *c)
{
	if (!c->local_closed) {
		ssh_channel_close(c->channel);
		c->local_closed = 1;
	}
	c->state = CH_DONE;
}

/* Starts an exec that has arrived on an idle channel. */
static void
start_exec(struct chan *c)
{
	struct sess *S = c->S;
	const struct sim_fault *slow = slow_fault(S);
	int times = 0;
	char *path = sim_scp_source_command(c->cmd, &times);
	if (path != NULL) {
		/* The engine fetching a file back: it speaks first (a NUL). */
		struct ro_arena a;
		const char *data = NULL, *missing = NULL;
		size_t len = 0;
		int64_t mtime = 0;
		ro_arena_init(&a);
		pthread_mutex_lock(&S->h->mu);
		int rc = sim_file_content(&S->h->ctx, path, &a, &data, &len, &mtime);
		pthread_mutex_unlock(&S->h->mu);
		if (rc == RO_EINVAL) {
			missing = "rollout-sim keeps only the hash of an uploaded file, not its bytes";
			data = NULL;
		} else if (rc != 0)
			data = NULL;
		c->src = sim_scp_src_new(path, data, len, times, mtime, missing);
		/* The client's first NUL may have come before the exec was started. */
		if (c->in.len > 0 && sim_scp_src_feed(c->src, c->in.p, c->in.len, &c->scp_reply) !=
		    SIM_SCP_MORE)
			c->src_done = 1;
		c->in.len = 0;
		logf_(S->srv, "%s: sending %s (%s)", S->h->ctx.name, path,
		    data ? "found" : missing ? missing : "no such file");
		ro_arena_free(&a);
		free(path);
		c->state = CH_SCP;
		if (slow && slow->latency_ms)
			sleep_ms((uint64_t)slow->latency_ms);
		return;
	}
	path = sim_scp_command(c->cmd);
	if (path != NULL) {
		struct sim_hostctx ctx = S->h->ctx;
		int64_t fr = sim_disk_free(&ctx);
		c->scp = sim_scp_new(path, is_dir_target(path), fr, scp_file_cb, S);
		c->scp_real_start_ms = real_ms();
		free(path);
		c->state = CH_SCP;
		if (slow && slow->latency_ms)
			sleep_ms((uint64_t)slow->latency_ms);
		sim_scp_start(c->scp, &c->scp_reply);
		return;
	}
	struct sim_hostctx ctx = S->h->ctx;
	ctx.now = vnow(S->srv);
	ctx.fault_counter = &S->h->counter;
	pthread_mutex_lock(&S->h->mu); /* one command at a time per host: state stays consistent */
	sim_exec(&ctx, c->cmd, c->in.p, c->in.len, &c->r);
	pthread_mutex_unlock(&S->h->mu);
	if (c->in.p)
		sodium_memzero(c->in.p, c->in.len); /* it may have been a password */
	c->in.len = 0;
	logf_(S->srv, "%s: exit %d after %.0f s: %.80s", S->h->ctx.name, c->r.exit_code, c->r.vseconds, c->cmd);
	/* The command log: every program and cmdlet the line ran, in order. */
	logf_(S->srv, "%s: ran: %s", S->h->ctx.name, c->r.calls.p ? c->r.calls.p : "");
	uint64_t ms = ro_clock_real_ms(&S->srv->cfg->clock, c->r.vseconds);
	if (slow && slow->latency_ms)
		ms += (uint64_t)slow->latency_ms;
	/* A dropped link breaks half-way through: no output, no exit status. */
	c->due_ms = real_ms() + (c->r.drop ? ms / 2 : ms);
	c->state = CH_RUNNING;
}

/*
 * Advances one channel. Returns -1 when the session must end (the link broke,
 * or a drop fault).
 */
static int
step_chan(struct chan *c)
{
	struct sess *S = c->S;
	switch (c->state) {
	case CH_IDLE:
		if (c->cmd == NULL) {
			if (c->remote_closed)
				close_idle(c); /* opened and closed without a command */
			return 0;
		}
		/* A command that reads stdin waits for its end (the engine sends EOF after the data). */
		if (sim_exec_reads_stdin(c->cmd) && !c->in_eof)
			return 0;
		start_exec(c);
		return c->state == CH_RUNNING ? step_chan(c) : 0;
	case CH_SCP:
		if (c->scp_reply.len > 0 && !c->remote_closed) {
			if (write_all(c, c->scp_reply.p, c->scp_reply.len, 0) != 0 && !ssh_is_connected(S->session))
				return -1;
		}
		c->scp_reply.len = 0;
		if (c->src && (c->src_done || c->in_eof || c->remote_closed)) {
			/* Like scp -f, the source exits once the transfer is over
			 * (or the client has gone). */
			int code = sim_scp_src_finish(c->src);
			sim_scp_src_free(c->src);
			c->src = NULL;
			finish_channel(c, code);
			return 0;
		}
		if (c->scp && (c->in_eof || c->remote_closed)) {
			int code = sim_scp_finish(c->scp);
			sim_scp_free(c->scp);
			c->scp = NULL;
			finish_channel(c, code);
		}
		return 0;
	case CH_RUNNING:
		if (real_ms() < c->due_ms)
			return 0;
		if (c->r.drop) {
			logf_(S->srv, "%s: connection dropped mid-command (fault)", S->h->ctx.name);
			return -1;
		}
		if (write_all(c, c->r.out.p, c->r.out.len, 0) != 0 || write_all(c, c->r.err.p, c->r.err.len, 1) != 0) {
			if (!ssh_is_connected(S->session))
				return -1;
			if (!c->remote_closed)
				logf_(S->srv, "%s: channel %u: cannot write the output: %s", S->h->ctx.name, c->id,
				    ssh_get_error(S->session));
		}
		finish_channel(c, c->r.exit_code);
		if (c->r.restart)
			schedule_restart(S->srv, S->h, c->r.restart, c->r.restart_delay);
		return 0;
	default:
		return 0;
	}
}

/* Advances every channel and frees those closed on both sides. -1: end the session. */
static int
step_chans(struct sess *S)
{
	for (struct chan *c = S->chans; c != NULL; c = c->next) {
		if (step_chan(c) != 0)
			return -1;
		if (host_dropped(S))
			return -1; /* e.g. shutdown /r /t 0: the host goes down now */
	}
	for (struct chan **pp = &S->chans; *pp != NULL;) {
		struct chan *c = *pp;
		if (c->state == CH_DONE && c->local_closed && c->remote_closed) {
			*pp = c->next;
			S->nchans--;
			chan_free(c, 0);
		} else {
			pp = &c->next;
		}
	}
	return 0;
}

/* Real milliseconds until the next command's output is due (at most cap). */
static int
next_due(const struct sess *S, int cap)
{
	uint64_t now = real_ms();
	int t = cap;
	for (const struct chan *c = S->chans; c != NULL; c = c->next) {
		if (c->state != CH_RUNNING)
			continue;
		int left = c->due_ms <= now ? 0 : (c->due_ms - now > (uint64_t)cap ? cap : (int)(c->due_ms - now));
		if (left < t)
			t = left;
	}
	return t;
}

static void *
session_main(void *arg)
{
	struct sess *S = arg;
	struct server *srv = S->srv;
	ssh_event ev = NULL;
	const struct sim_fault *slow = slow_fault(S);

	if (slow && slow->latency_ms)
		sleep_ms((uint64_t)slow->latency_ms);
	long timeout = 30;
	ssh_options_set(S->session, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_handle_key_exchange(S->session) != SSH_OK) {
		logf_(srv, "%s: key exchange failed: %s", S->h->ctx.name, ssh_get_error(S->session));
		goto out;
	}
	ssh_set_auth_methods(S->session, SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY);
	ev = ssh_event_new();
	if (ev == NULL || ssh_event_add_session(ev, S->session) != SSH_OK)
		goto out;
	uint64_t auth_deadline = real_ms() + 60000;
	for (;;) {
		if (host_dropped(S))
			break;
		int r = ssh_event_dopoll(ev, next_due(S, 100));
		if (r == SSH_ERROR && !ssh_is_connected(S->session))
			break;
		if (!S->authenticated) {
			if (real_ms() > auth_deadline || S->auth_failures >= 6)
				break;
			continue;
		}
		if (step_chans(S) != 0)
			break;
	}
out:
	if (ev) {
		ssh_event_remove_session(ev, S->session);
		ssh_event_free(ev);
	}
	/* A restart, a drop or the end of the simulator: the TCP connection just ends,
	 * nothing more is sent on any channel (no CLOSE, no exit status). */
	for (struct chan *c = S->chans; c != NULL; c = c->next)
		ssh_remove_channel_callbacks(c->channel, &c->cb);
	ssh_silent_disconnect(S->session);
	while (S->chans) {
		struct chan *c = S->chans;
		S->chans = c->next;
		c->channel = NULL; /* freed with the session */
		chan_free(c, 1);
	}
	ssh_free(S->session);
	free(S);
	atomic_fetch_sub(&srv->sessions, 1);
	return NULL;
}

/* ---- listeners --------------------------------------------------------------- */

static int
ensure_key(const char *path, char **cause)
{
	ssh_key key = NULL;
	struct stat sb;
	if (stat(path, &sb) == 0)
		return 0;
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		*cause = ro_xasprintf("cannot generate an ed25519 host key for %s", path);
		return RO_EIO;
	}
	char *tmp = ro_xasprintf("%s.tmp", path);
	int rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp);
	ssh_key_free(key);
	if (rc != SSH_OK || chmod(tmp, 0600) != 0 || rename(tmp, path) != 0) {
		*cause = ro_xasprintf("cannot write the host key %s", path);
		unlink(tmp);
		free(tmp);
		return RO_EIO;
	}
	free(tmp);
	return 0;
}

static int
listen_host(struct server *srv, struct host *h)
{
	ssh_bind b = ssh_bind_new();
	if (b == NULL)
		return -1;
	ssh_bind_options_set(b, SSH_BIND_OPTIONS_BINDADDR, h->ctx.address);
	ssh_bind_options_set(b, SSH_BIND_OPTIONS_BINDPORT, &h->port);
	ssh_bind_options_set(b, SSH_BIND_OPTIONS_HOSTKEY, h->keyfile);
	if (ssh_bind_listen(b) != SSH_OK) {
		logf_(srv, "%s: cannot listen on %s:%d: %s", h->ctx.name, h->ctx.address, h->port,
		    ssh_get_error(b));
		ssh_bind_free(b);
		return -1;
	}
	ssh_bind_set_blocking(b, 0);
	h->bind = b;
	return 0;
}

static int
load_authorized(struct server *srv, const char *path, char **cause)
{
	FILE *fp = fopen(path, "r");
	char line[8192];
	int lineno = 0;
	if (fp == NULL) {
		*cause = ro_xasprintf("%s: cannot open: %s", path, strerror(errno));
		return RO_EIO;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		char *type = strtok(line, " \t\r\n");
		if (type == NULL || type[0] == '#')
			continue;
		char *b64 = strtok(NULL, " \t\r\n");
		ssh_key k = NULL;
		if (b64 == NULL || ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &k) != SSH_OK) {
			*cause = ro_xasprintf("%s:%d:1: not an OpenSSH public key line (TYPE BASE64 [COMMENT])",
			    path, lineno);
			fclose(fp);
			return RO_EINVAL;
		}
		srv->auth_keys = ro_xrealloc(srv->auth_keys, (srv->nauth_keys + 1) * sizeof(*srv->auth_keys));
		srv->auth_keys[srv->nauth_keys++] = k;
	}
	fclose(fp);
	return 0;
}

static int
write_ready(const struct sim_server_config *cfg, size_t nhosts)
{
	char *tmp = ro_xasprintf("%s.tmp.%ld", cfg->ready_file, (long)getpid());
	FILE *fp = fopen(tmp, "w");
	int rc = -1;
	if (fp != NULL) {
		fprintf(fp, "pid %ld\nhosts %zu\nport %d\n", (long)getpid(), nhosts, cfg->port);
		if (fflush(fp) == 0 && fsync(fileno(fp)) == 0)
			rc = 0;
		fclose(fp);
	}
	if (rc == 0 && rename(tmp, cfg->ready_file) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
sim_server_run(const struct sim_server_config *cfg, volatile sig_atomic_t *stop, char **cause)
{
	struct server srv = { .cfg = cfg, .stop = stop };
	const struct ro_inventory *inv = cfg->inv;
	int rc = RO_EIO;
	struct pollfd *pfd = NULL;
	struct host **pfh = NULL;
	char *keydir = ro_xasprintf("%s/keys", cfg->state_dir);
	int ready = 0;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, SESSION_STACK);
	if (mkdir(keydir, 0700) != 0 && errno != EEXIST) {
		*cause = ro_xasprintf("cannot create %s: %s", keydir, strerror(errno));
		goto out;
	}
	if (cfg->authorized_keys && (rc = load_authorized(&srv, cfg->authorized_keys, cause)) != 0)
		goto out;
	rc = RO_EIO;
	srv.nhosts = inv->nhosts;
	srv.hosts = ro_xcalloc(inv->nhosts ? inv->nhosts : 1, sizeof(*srv.hosts));
	for (size_t i = 0; i < inv->nhosts; i++) {
		const struct ro_host *ih = &inv->hosts[i];
		struct host *h = &srv.hosts[i];
		h->ctx.name = ih->name;
		h->ctx.site = inv->sites[ih->site].id;
		h->ctx.address = ih->address;
		h->ctx.user = ih->user ? ih->user : "Administrator";
		h->ctx.cs = ih->role != RO_ROLE_TERMINAL;
		h->ctx.index = (uint32_t)i;
		h->ctx.st = cfg->st;
		h->ctx.faults = cfg->faults;
		h->port = cfg->port ? cfg->port : ih->port;
		h->keyfile = ro_xasprintf("%s/%s.ed25519", keydir, ih->name);
		pthread_mutex_init(&h->mu, NULL);
		/* A restart under way when the simulator stopped continues. */
		h->down_at = sim_state_num(cfg->st, ih->name, "down_at", 0);
		h->up_at = sim_state_num(cfg->st, ih->name, "up_at", 0);
		if (ensure_key(h->keyfile, cause) != 0)
			goto out;
	}
	pfd = ro_xcalloc(srv.nhosts + 1, sizeof(*pfd));
	pfh = ro_xcalloc(srv.nhosts + 1, sizeof(*pfh));

	while (!*stop) {
		int64_t now = vnow(&srv);
		size_t np = 0, failed = 0;
		for (size_t i = 0; i < srv.nhosts; i++) {
			struct host *h = &srv.hosts[i];
			int up = host_up(&srv, h, now);
			if (up && h->bind == NULL && listen_host(&srv, h) != 0)
				failed++;
			if (!up && h->bind != NULL) {
				ssh_bind_free(h->bind); /* closes the socket: connections are refused */
				h->bind = NULL;
			}
			if (h->bind) {
				pfd[np].fd = ssh_bind_get_fd(h->bind);
				pfd[np].events = POLLIN;
				pfh[np++] = h;
			}
		}
		if (!ready) {
			if (failed) {
				*cause = ro_xasprintf("%zu of %zu hosts could not listen (address in use? try --port "
				    "with a free port; run with -v for each host)", failed, srv.nhosts);
				goto out;
			}
			if (cfg->ready_file && write_ready(cfg, srv.nhosts) != 0) {
				*cause = ro_xasprintf("cannot write the ready file %s", cfg->ready_file);
				goto out;
			}
			ready = 1;
			logf_(&srv, "serving %zu hosts", srv.nhosts);
		}
		int n = poll(pfd, np, 50);
		if (n <= 0)
			continue;
		for (size_t i = 0; i < np; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			struct host *h = pfh[i];
			ssh_session s = ssh_new();
			if (s == NULL)
				continue;
			if (ssh_bind_accept(h->bind, s) != SSH_OK) {
				ssh_free(s);
				continue;
			}
			if (cfg->faults && sim_faults_roll(cfg->faults, SIM_FAULT_DOWN, h->ctx.name, &h->counter)) {
				ssh_silent_disconnect(s); /* a random refusal: the connection is reset */
				ssh_free(s);
				continue;
			}
			struct sess *S = ro_xcalloc(1, sizeof(*S));
			S->srv = &srv;
			S->h = h;
			S->session = s;
			S->gen0 = atomic_load(&h->gen);
			S->scb.userdata = S;
			S->scb.auth_password_function = auth_password;
			S->scb.auth_pubkey_function = auth_pubkey;
			S->scb.channel_open_request_session_function = channel_open;
			ssh_callbacks_init(&S->scb);
			ssh_set_server_callbacks(s, &S->scb);
			int cur = atomic_fetch_add(&srv.sessions, 1) + 1;
			atomic_fetch_add(&srv.total_sessions, 1);
			if (cur > atomic_load(&srv.peak))
				atomic_store(&srv.peak, cur);
			pthread_t t;
			if (pthread_create(&t, &attr, session_main, S) != 0) {
				atomic_fetch_sub(&srv.sessions, 1);
				ssh_free(s);
				free(S);
			}
		}
	}
	rc = 0;
out:
	/* Sessions see *stop (or the failure) within 100 ms and end; one in its key
	 * exchange may take up to its 30 s timeout. */
	*stop = 1;
	for (int i = 0; i < 700 && atomic_load(&srv.sessions) > 0; i++)
		sleep_ms(50);
	if (atomic_load(&srv.sessions) > 0) {
		fprintf(stderr, "rollout-sim: %d sessions did not end; exiting without freeing their hosts\n",
		    atomic_load(&srv.sessions));
		if (ready && cfg->ready_file)
			unlink(cfg->ready_file);
		_exit(1);
	}
	if (srv.total_sessions)
		fprintf(stderr, "rollout-sim: %lu sessions served, at most %d at once\n",
		    (unsigned long)srv.total_sessions, srv.peak);
	for (size_t i = 0; i < srv.nhosts; i++) {
		if (srv.hosts[i].bind)
			ssh_bind_free(srv.hosts[i].bind);
		free(srv.hosts[i].keyfile);
		pthread_mutex_destroy(&srv.hosts[i].mu);
	}
	for (size_t i = 0; i < srv.nauth_keys; i++)
		ssh_key_free(srv.auth_keys[i]);
	free(srv.auth_keys);
	free(srv.hosts);
	free(pfd);
	free(pfh);
	free(keydir);
	pthread_attr_destroy(&attr);
	if (ready && cfg->ready_file)
		unlink(cfg->ready_file);
	return rc;
}
