/*
 * test_transport.c - the SSH transport against a real OpenSSH sshd.
 *
 * The group setup starts /usr/sbin/sshd on 127.0.0.1 on a free port with
 * its own configuration in a temp dir (host key from ssh-keygen, the
 * engine's key from ro_keygen in authorized_keys, LogLevel DEBUG1), reads
 * its stderr on the test's loop and waits for "Server listening on".
 * Every test runs the same loop until its callbacks have run (with a guard
 * timer that fails the test, never a sleep). The teardown kills sshd and
 * checks that the loop has no handle left: sessions free everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

#include "diag.h"
#include "error.h"
#include "transport.h"
#include "util.h"
#include "testutil.h"

static uv_loop_t loop;
static uv_process_t sshd;
static uv_pipe_t sshd_err;
static struct ro_buf sshd_log;
static int sshd_port, sshd_exited;
static char *dir, *key_path, *bad_key_path, *hostkey_pub, *kh_path;
static struct ro_known_hosts *known;
static const char *user;

/* ---- running the loop ----------------------------------------------------- */

static int guard_fired;

static void
on_guard(uv_timer_t *t)
{
	(void)t;
	guard_fired = 1;
}

/* run_until runs the loop until *flag is set; fails the test after ms. */
static void
run_until(const int *flag, uint64_t ms)
{
	uv_timer_t guard;

	guard_fired = 0;
	uv_timer_init(&loop, &guard);
	uv_timer_start(&guard, on_guard, ms, 0);
	while (!*flag && !guard_fired)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	if (!*flag)
		fail_msg("timed out after %llu ms waiting for the loop", (unsigned long long)ms);
}

static int
log_count(const char *needle)
{
	const char *p = sshd_log.p;
	int n = 0;

	while (p && (p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static int log_wait_needle_n;
static const char *log_wait_needle;
static int log_wait_done;

/* ---- sshd -------------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	static char space[65536];
	(void)h;
	(void)want;
	*buf = uv_buf_init(space, sizeof space);
}

static int sshd_ready;

static void
on_sshd_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	(void)st;
	if (n > 0) {
		ro_buf_add(&sshd_log, buf->base, (size_t)n);
		if (strstr(sshd_log.p, "Server listening on"))
			sshd_ready = 1;
		if (log_wait_needle && log_count(log_wait_needle) >= log_wait_needle_n)
			log_wait_done = 1;
	}
}

static void
on_sshd_exit(uv_process_t *p, int64_t status, int sig)
{
	(void)p;
	(void)status;
	(void)sig;
	sshd_exited = 1;
}

static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct ro_buf b;
	char tmp[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	ro_buf_init(&b);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		ro_buf_add(&b, tmp, n);
	fclose(f);
	if (len)
		*len = b.len;
	return b.p;
}

/* run_cmd runs a shell command and returns its stdout (malloc'd). */
static char *
run_cmd(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	struct ro_buf b;
	char tmp[4096];
	size_t n;

	assert_non_null(p);
	ro_buf_init(&b);
	while ((n = fread(tmp, 1, sizeof tmp, p)) > 0)
		ro_buf_add(&b, tmp, n);
	pclose(p);
	return b.p;
}

static int probe_done;
static struct ro_probe_result probe_res;
static unsigned char probe_key[1024];
static char probe_cause[2048];

static void
on_probe(const struct ro_probe_result *r, void *arg)
{
	(void)arg;
	probe_res = *r;
	probe_res.cause = NULL;
	probe_res.type = NULL;
	if (r->status == 0) {
		assert_true(r->key_len <= sizeof probe_key);
		memcpy(probe_key, r->key, r->key_len);
		probe_res.key = probe_key;
	}
	snprintf(probe_cause, sizeof probe_cause, "%s", r->cause ? r->cause : "");
	probe_done = 1;
}

static int
group_setup(void **state)
{
	char *cmd, *cfg, *cause = NULL, *pub;
	char *args[6];
	uv_process_options_t opt;
	uv_stdio_container_t io[3];
	struct passwd *pw = getpwuid(getuid());
	struct stat st;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_non_null(pw);
	user = strdup(pw->pw_name);
	dir = ro_xstrdup(tu_tmpdir());
	key_path = ro_xasprintf("%s/id_ed25519", dir);
	bad_key_path = ro_xasprintf("%s/other_ed25519", dir);
	hostkey_pub = ro_xasprintf("%s/hostkey.pub", dir);
	kh_path = ro_xasprintf("%s/known_hosts", dir);
	assert_int_equal(ro_keygen(key_path, "rollout-test", &cause), 0);
	assert_int_equal(ro_keygen(bad_key_path, "not-authorized", &cause), 0);
	cmd = ro_xasprintf("ssh-keygen -q -t ed25519 -N '' -C test-host -f %s/hostkey", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	cmd = ro_xasprintf("%s.pub", key_path);
	pub = read_file(cmd, NULL);
	free(cmd);
	free(tu_write("authorized_keys", pub));
	free(pub);
	if (getuid() == 0 && stat("/run/sshd", &st) < 0)
		mkdir("/run/sshd", 0755);

	sshd_port = free_port();
	cfg = ro_xasprintf(
	    "Port %d\nListenAddress 127.0.0.1\nHostKey %s/hostkey\n"
	    "AuthorizedKeysFile %s/authorized_keys\nPidFile %s/sshd.pid\n"
	    "StrictModes no\nUsePAM no\nLogLevel DEBUG1\nMaxStartups 200\nMaxSessions 50\n"
	    "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
	    "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n",
	    sshd_port, dir, dir, dir);
	free(tu_write("sshd_config", cfg));
	free(cfg);

	uv_loop_init(&loop);
	ro_buf_init(&sshd_log);
	uv_pipe_init(&loop, &sshd_err, 0);
	args[0] = "/usr/sbin/sshd";
	args[1] = "-D";
	args[2] = "-e";
	args[3] = "-f";
	args[4] = ro_xasprintf("%s/sshd_config", dir);
	args[5] = NULL;
	memset(&opt, 0, sizeof opt);
	io[0].flags = UV_IGNORE;
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&sshd_err;
	opt.file = args[0];
	opt.args = args;
	opt.stdio = io;
	opt.stdio_count = 3;
	opt.exit_cb = on_sshd_exit;
	if (uv_spawn(&loop, &sshd, &opt) != 0) {
		fprintf(stderr, "cannot start /usr/sbin/sshd\n");
		return -1;
	}
	free(args[4]);
	uv_read_start((uv_stream_t *)&sshd_err, on_alloc, on_sshd_read);
	{
		uv_timer_t guard;
		guard_fired = 0;
		uv_timer_init(&loop, &guard);
		uv_timer_start(&guard, on_guard, 10000, 0);
		while (!sshd_ready && !sshd_exited && !guard_fired)
			uv_run(&loop, UV_RUN_ONCE);
		uv_close((uv_handle_t *)&guard, NULL);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	if (!sshd_ready) {
		fprintf(stderr, "sshd did not start:\n%s\n", sshd_log.p ? sshd_log.p : "");
		return -1;
	}

	/* Enrol the test server the way `rollout hosts enroll` does. */
	assert_int_equal(ro_known_hosts_load(kh_path, &known, &cause), 0);
	probe_done = 0;
	assert_int_equal(ro_ssh_probe(&loop, "127.0.0.1", sshd_port, known, 5000, on_probe, NULL), 0);
	run_until(&probe_done, 10000);
	assert_int_equal(probe_res.status, 0);
	assert_int_equal(probe_res.match, RO_HOSTKEY_UNKNOWN);
	assert_int_equal(ro_known_hosts_add(known, "127.0.0.1", sshd_port, "ssh-ed25519",
	    probe_res.key, probe_res.key_len, &cause), 0);
	return 0;
}

static void
on_closed_count(uv_handle_t *h)
{
	(void)h;
}

static void
walk_report(uv_handle_t *h, void *arg)
{
	int *leftover = arg;

	if (h != (uv_handle_t *)&sshd && h != (uv_handle_t *)&sshd_err && !uv_is_closing(h)) {
		fprintf(stderr, "leftover handle of type %s\n", uv_handle_type_name(h->type));
		(*leftover)++;
	}
}

static int
group_teardown(void **state)
{
	int rc, leftover = 0;

	(void)state;
	uv_process_kill(&sshd, SIGTERM);
	{
		uv_timer_t guard;
		guard_fired = 0;
		uv_timer_init(&loop, &guard);
		uv_timer_start(&guard, on_guard, 5000, 0);
		while (!sshd_exited && !guard_fired)
			uv_run(&loop, UV_RUN_ONCE);
		uv_close((uv_handle_t *)&guard, NULL);
	}
	uv_walk(&loop, walk_report, &leftover);
	uv_close((uv_handle_t *)&sshd, on_closed_count);
	uv_close((uv_handle_t *)&sshd_err, on_closed_count);
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&loop);
	ro_known_hosts_free(known);
	ro_buf_free(&sshd_log);
	if (getenv("RO_KEEP_TMP") == NULL) {
		char *cmd = ro_xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	}
	free(dir);
	free(key_path);
	free(bad_key_path);
	free(hostkey_pub);
	free(kh_path);
	free((char *)user);
	return rc == 0 && leftover == 0 ? 0 : -1; /* a handle left open: a session leaked */
}

/* ---- session helpers -------------------------------------------------------------- */

struct sess {
	struct ro_ssh *s;
	int connected, connect_status;
	char connect_cause[2048];
	int exec_done;
	struct ro_exec_result r;
	char *out, *err, *cause, *sig;
	int upload_done;
	struct ro_upload_result u;
	char *ucause;
	int download_done;
	struct ro_download_result d;
	char dsha[65];
	char *dcause;
	int closed;
	int order;          /* for callback ordering checks */
	int exec_order, close_order;
};

static void
on_connect(struct ro_ssh *s, int status, const char *cause, void *arg)
{
	struct sess *x = arg;

	(void)s;
	x->connect_status = status;
	snprintf(x->connect_cause, sizeof x->connect_cause, "%s", cause ? cause : "");
	x->connected = 1;
}

static void
on_exec(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct sess *x = arg;

	(void)s;
	x->r = *r;
	free(x->out);
	free(x->err);
	free(x->cause);
	free(x->sig);
	x->out = ro_xmalloc(r->out_len + 1);
	memcpy(x->out, r->out, r->out_len + 1);
	x->err = ro_xmalloc(r->err_len + 1);
	memcpy(x->err, r->err, r->err_len + 1);
	x->cause = r->cause ? ro_xstrdup(r->cause) : NULL;
	x->sig = r->exit_signal ? ro_xstrdup(r->exit_signal) : NULL;
	x->exec_done = 1;
	x->exec_order = ++x->order;
}

static void
on_upload(struct ro_ssh *s, const struct ro_upload_result *r, void *arg)
{
	struct sess *x = arg;

	(void)s;
	x->u = *r;
	free(x->ucause);
	x->ucause = r->cause ? ro_xstrdup(r->cause) : NULL;
	x->upload_done = 1;
}

static void
on_download(struct ro_ssh *s, const struct ro_download_result *r, void *arg)
{
	struct sess *x = arg;

	(void)s;
	x->d = *r;
	snprintf(x->dsha, sizeof x->dsha, "%s", r->sha256 ? r->sha256 : "");
	free(x->dcause);
	x->dcause = r->cause ? ro_xstrdup(r->cause) : NULL;
	x->d.sha256 = x->d.path = x->d.cause = NULL; /* valid during the callback only */
	x->download_done = 1;
}

static void
on_close(void *arg)
{
	struct sess *x = arg;

	x->closed = 1;
	x->close_order = ++x->order;
}

static struct ro_ssh_config
config(const char *key, const struct ro_known_hosts *kh)
{
	struct ro_ssh_config c;

	memset(&c, 0, sizeof c);
	c.host = "test-host";
	c.address = "127.0.0.1";
	c.port = sshd_port;
	c.user = user;
	c.key_path = key;
	c.known = kh;
	c.connect_timeout_ms = 10000;
	return c;
}

/*
 * connect_wait starts connecting x with c and runs the loop until the connect
 * callback has come (failing the test after ms). The callback must never come
 * from inside ro_ssh_connect (transport.h).
 */
static void
connect_wait(struct sess *x, const struct ro_ssh_config *c, uint64_t ms)
{
	memset(x, 0, sizeof *x);
	assert_int_equal(ro_ssh_connect(&loop, c, on_connect, x, &x->s), 0);
	assert_false(x->connected); /* never from inside the call */
	run_until(&x->connected, ms);
}

/* connect_expect connects x with c and asserts the status the callback reports. */
static void
connect_expect(struct sess *x, const struct ro_ssh_config *c, int status)
{
	connect_wait(x, c, 10000);
	assert_int_equal(x->connect_status, status);
}

/* connect_ok connects x with the engine's key and asserts success. */
static void
connect_ok(struct sess *x)
{
	struct ro_ssh_config c = config(key_path, known);

	connect_wait(x, &c, 15000);
	if (x->connect_status != 0)
		fail_msg("connect: %s", x->connect_cause);
}

/*
 * The test sshd logs at DEBUG1 with -e (for the keepalive check), and its
 * session process writes a few "debug1:" lines to the command's stderr
 * before the command starts; strip_debug removes them.
 */
static size_t
strip_debug(char *p)
{
	char *w = p, *r = p;

	while (*r) {
		char *nl = strchr(r, '\n');
		size_t n = nl ? (size_t)(nl - r + 1) : strlen(r);
		if (strncmp(r, "debug1: ", 8) != 0) {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
	return (size_t)(w - p);
}

static void
exec_wait(struct sess *x, const char *cmd, const void *in, size_t in_len, uint64_t timeout)
{
	x->exec_done = 0;
	assert_int_equal(ro_ssh_exec(x->s, cmd, in, in_len, timeout, on_exec, x), 0);
	assert_false(x->exec_done);
	run_until(&x->exec_done, 30000);
}

static void
close_wait(struct sess *x)
{
	x->closed = 0;
	ro_ssh_close(x->s, on_close, x);
	run_until(&x->closed, 10000);
	free(x->out);
	free(x->err);
	free(x->cause);
	free(x->sig);
	free(x->ucause);
	x->out = x->err = x->cause = x->sig = x->ucause = NULL;
}

/* ---- tests --------------------------------------------------------------------------- */

static void
test_keygen_is_openssh(void **state)
{
	char *cmd, *derived, *pub, *cause = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(stat(key_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	cmd = ro_xasprintf("ssh-keygen -y -f %s", key_path);
	derived = run_cmd(cmd);
	free(cmd);
	cmd = ro_xasprintf("%s.pub", key_path);
	pub = read_file(cmd, NULL);
	free(cmd);
	/* ssh-keygen derives "type base64 comment" from the private file. */
	assert_true(strlen(derived) > 80);
	assert_memory_equal(derived, pub, 80);
	assert_non_null(strstr(derived, "rollout-test"));
	free(derived);
	free(pub);
	assert_int_equal(ro_keygen(key_path, "again", &cause), RO_EEXIST);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
}

static void
test_probe_fingerprint(void **state)
{
	char *cmd, *lf;

	(void)state;
	cmd = ro_xasprintf("ssh-keygen -lf %s/hostkey.pub", dir);
	lf = run_cmd(cmd);
	free(cmd);
	probe_done = 0;
	assert_int_equal(ro_ssh_probe(&loop, "127.0.0.1", sshd_port, known, 5000, on_probe, NULL), 0);
	assert_false(probe_done);
	run_until(&probe_done, 10000);
	assert_int_equal(probe_res.status, 0);
	assert_int_equal(probe_res.match, RO_HOSTKEY_MATCH);
	/* "256 SHA256:... test-host (ED25519)" */
	assert_non_null(strstr(lf, probe_res.fingerprint));
	assert_int_equal(strlen(probe_res.fingerprint), 50);
	free(lf);

	probe_done = 0;
	assert_int_equal(ro_ssh_probe(&loop, "127.0.0.1", sshd_port, NULL, 5000, on_probe, NULL), 0);
	run_until(&probe_done, 10000);
	assert_int_equal(probe_res.status, 0);
	assert_int_equal(probe_res.match, RO_HOSTKEY_UNKNOWN);
}

static void
test_exec_streams_and_status(void **state)
{
	struct sess x;

	(void)state;
	connect_ok(&x);
	exec_wait(&x, "sh -c 'echo out; echo err >&2; exit 3'", NULL, 0, 10000);
	assert_int_equal(x.r.status, 0);
	assert_int_equal(x.r.exit_code, 3);
	assert_null(x.sig);
	assert_string_equal(x.out, "out\n");
	strip_debug(x.err);
	assert_string_equal(x.err, "err\n");
	assert_int_equal(x.r.out_total, 4);
	/* The session takes the next operation. */
	exec_wait(&x, "echo again", NULL, 0, 10000);
	assert_int_equal(x.r.status, 0);
	assert_int_equal(x.r.exit_code, 0);
	assert_string_equal(x.out, "again\n");
	strip_debug(x.err);
	assert_string_equal(x.err, "");
	/* A process killed by a signal reports it. */
	exec_wait(&x, "kill -TERM $$", NULL, 0, 10000);
	assert_int_equal(x.r.status, 0);
	assert_non_null(x.sig);
	assert_string_equal(x.sig, "TERM");
	close_wait(&x);
}

static void
test_exec_large_stdin_and_stdout(void **state)
{
	struct sess x;
	size_t n = 3 * 1024 * 1024 + 123;
	unsigned char *data = ro_xmalloc(n);
	char want[32];

	(void)state;
	randombytes_buf(data, n);
	connect_ok(&x);
	exec_wait(&x, "wc -c", data, n, 30000);
	assert_int_equal(x.r.status, 0);
	assert_int_equal(x.r.exit_code, 0);
	snprintf(want, sizeof want, "%zu\n", n);
	assert_string_equal(x.out, want);

	/* cat: both directions at once, far past the windows; the tail is kept. */
	exec_wait(&x, "cat", data, n, 30000);
	assert_int_equal(x.r.status, 0);
	assert_int_equal(x.r.exit_code, 0);
	assert_int_equal(x.r.out_total, n);
	assert_int_equal(x.r.out_len, RO_SSH_OUTPUT_MAX);
	assert_memory_equal(x.out, data + n - RO_SSH_OUTPUT_MAX, RO_SSH_OUTPUT_MAX);

	/* stderr drained as well as stdout (the host blocks otherwise). */
	exec_wait(&x, "head -c 1000000 /dev/zero >&2; echo done", NULL, 0, 30000);
	assert_int_equal(x.r.status, 0);
	assert_in_range(x.r.err_total, 1000000, 1000000 + 1024); /* + sshd's debug lines */
	assert_int_equal(x.r.err_len, RO_SSH_OUTPUT_MAX);
	{
		size_t i;
		for (i = 0; i < RO_SSH_OUTPUT_MAX; i++)
			assert_int_equal(x.err[i], 0);
	}
	assert_string_equal(x.out, "done\n");
	close_wait(&x);
	free(data);
}

static void
test_exec_timeout(void **state)
{
	struct sess x, y;
	uint64_t t0;

	(void)state;
	connect_ok(&x);
	t0 = uv_hrtime();
	exec_wait(&x, "exec sleep 30", NULL, 0, 300);
	assert_int_equal(x.r.status, RO_ETIMEDOUT);
	assert_true(uv_hrtime() - t0 < 5000000000ull);
	assert_non_null(strstr(x.cause, "test-host"));
	assert_non_null(strstr(x.cause, "300 ms"));
	/* The session refuses more work; the loop goes on for everyone else. */
	assert_int_equal(ro_ssh_exec(x.s, "true", NULL, 0, 0, on_exec, &x), RO_ESTATE);
	connect_ok(&y);
	exec_wait(&y, "echo alive", NULL, 0, 10000);
	assert_int_equal(y.r.status, 0);
	assert_string_equal(y.out, "alive\n");
	close_wait(&y);
	close_wait(&x);
}

static void
test_exec_connection_lost(void **state)
{
	struct sess x;

	(void)state;
	connect_ok(&x);
	/* The shell's parent is the sshd process that owns the connection. */
	exec_wait(&x, "kill -9 $PPID; sleep 10", NULL, 0, 20000);
	assert_int_equal(x.r.status, RO_ECONNLOST);
	assert_non_null(strstr(x.cause, "dropped"));
	assert_int_not_equal(ro_ssh_exec(x.s, "true", NULL, 0, 0, on_exec, &x), 0);
	close_wait(&x);
}

static void
test_close_cancels_exec(void **state)
{
	struct sess x;

	(void)state;
	/* Closed before the channel even opened. */
	connect_ok(&x);
	assert_int_equal(ro_ssh_exec(x.s, "exec sleep 30", NULL, 0, 0, on_exec, &x), 0);
	ro_ssh_close(x.s, on_close, &x);
	run_until(&x.closed, 10000);
	assert_true(x.exec_done);
	assert_int_equal(x.r.status, RO_ECANCELED);
	assert_true(x.exec_order < x.close_order);
	assert_non_null(strstr(x.cause, "cancelled"));
	free(x.out); free(x.err); free(x.cause); free(x.sig);

	/* Closed while the command runs. */
	connect_ok(&x);
	assert_int_equal(ro_ssh_exec(x.s, "echo started >&2; exec sleep 30", NULL, 0, 0,
	    on_exec, &x), 0);
	{
		int n = log_count("Starting session: command");
		log_wait_needle = "Starting session: command";
		log_wait_needle_n = n + 1;
		log_wait_done = 0;
		run_until(&log_wait_done, 10000);
		log_wait_needle = NULL;
	}
	assert_false(x.exec_done);
	ro_ssh_close(x.s, on_close, &x);
	run_until(&x.closed, 10000);
	assert_int_equal(x.r.status, RO_ECANCELED);
	assert_true(x.exec_order < x.close_order);
	free(x.out); free(x.err); free(x.cause); free(x.sig);

	/* Closed while connecting. */
	{
		struct ro_ssh_config c = config(key_path, known);
		memset(&x, 0, sizeof x);
		assert_int_equal(ro_ssh_connect(&loop, &c, on_connect, &x, &x.s), 0);
		ro_ssh_close(x.s, on_close, &x);
		run_until(&x.closed, 10000);
		assert_true(x.connected);
		assert_int_equal(x.connect_status, RO_ECANCELED);
	}
}

static void
make_file(const char *path, size_t n, char sha_hex[65])
{
	unsigned char *data = ro_xmalloc(n), h[32];
	FILE *f = fopen(path, "wb");

	randombytes_buf(data, n);
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	crypto_hash_sha256(h, data, n);
	ro_hex(h, 32, sha_hex);
	free(data);
}

static void
test_upload(void **state)
{
	struct sess x;
	char sha[65], *local = ro_xasprintf("%s/package.bin", dir);
	char *remote = ro_xasprintf("%s/remote copy's.bin", dir);
	char *remote2 = ro_xasprintf("%s/remote2.bin", dir);
	char *a, *b, *bad;
	size_t alen, blen, n = 5 * 1024 * 1024 + 77;
	struct stat st;
	size_t i;

	(void)state;
	make_file(local, n, sha);
	connect_ok(&x);
	for (i = 0; sha[i]; i++) /* any case */
		sha[i] = (char)(i % 2 ? sha[i] : (sha[i] >= 'a' ? sha[i] - 32 : sha[i]));
	x.upload_done = 0;
	assert_int_equal(ro_ssh_upload(x.s, local, remote, sha, RO_OS_POSIX, 60000, on_upload, &x), 0);
	run_until(&x.upload_done, 60000);
	if (x.u.status != 0)
		fail_msg("upload: %s", x.ucause);
	assert_int_equal(x.u.bytes, n);
	a = read_file(local, &alen);
	b = read_file(remote, &blen);
	assert_non_null(b);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);

	/* A package that is not the recorded one is refused, and never completed. */
	bad = ro_xstrdup(sha);
	bad[0] = bad[0] == '0' ? '1' : '0';
	x.upload_done = 0;
	assert_int_equal(ro_ssh_upload(x.s, local, remote2, bad, RO_OS_POSIX, 60000, on_upload, &x), 0);
	run_until(&x.upload_done, 60000);
	assert_int_equal(x.u.status, RO_EPROTO);
	assert_non_null(strstr(x.ucause, "not the"));
	assert_true(stat(remote2, &st) < 0 || (size_t)st.st_size < n);
	free(bad);

	/* The session is still usable; a missing directory is reported. */
	free(remote2);
	remote2 = ro_xasprintf("%s/no/such/dir/x.bin", dir);
	x.upload_done = 0;
	assert_int_equal(ro_ssh_upload(x.s, local, remote2, sha, RO_OS_POSIX, 60000, on_upload, &x), 0);
	run_until(&x.upload_done, 60000);
	assert_int_equal(x.u.status, RO_EPROTO);
	assert_non_null(strstr(x.ucause, "refused the copy"));

	/* A missing local file. */
	x.upload_done = 0;
	assert_int_equal(ro_ssh_upload(x.s, "/nonexistent/pkg", remote2, sha, RO_OS_POSIX, 60000,
	    on_upload, &x), 0);
	assert_false(x.upload_done);
	run_until(&x.upload_done, 10000);
	assert_int_equal(x.u.status, RO_EIO);

	exec_wait(&x, "echo still-usable", NULL, 0, 10000);
	assert_string_equal(x.out, "still-usable\n");
	close_wait(&x);
	free(local);
	free(remote);
	free(remote2);
}

/*
 * A download from a real sshd (its scp -f): the bytes arrive whole, hashed,
 * checked against the host's sha256sum, kept 0600 under their name and
 * nowhere else; an existing file is never replaced; a missing file, or one
 * over the size limit, leaves nothing behind; the session stays usable.
 */
static void
test_download(void **state)
{
	struct sess x;
	char sha[65], *remote = ro_xasprintf("%s/remote log's.zip", dir);
	char *local_dir = ro_xasprintf("%s/fetched", dir);
	char *local = ro_xasprintf("%s/archive.zip", local_dir);
	char *part = ro_xasprintf("%s.part", local);
	char *a, *b;
	size_t alen, blen, n = 3 * 1024 * 1024 + 11;
	struct stat st;

	(void)state;
	memset(&x, 0, sizeof x);
	make_file(remote, n, sha);
	assert_int_equal(mkdir(local_dir, 0700), 0);
	connect_ok(&x);
	assert_int_equal(ro_ssh_download(x.s, remote, local, RO_OS_POSIX, 1ULL << 30, 60000,
	    on_download, &x), 0);
	assert_false(x.download_done);
	run_until(&x.download_done, 60000);
	if (x.d.status != 0)
		fail_msg("download: %s", x.dcause);
	assert_int_equal(x.d.bytes, n);
	assert_string_equal(x.dsha, sha);
	a = read_file(remote, &alen);
	b = read_file(local, &blen);
	assert_non_null(b);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	assert_int_equal(stat(local, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(stat(part, &st) < 0 && errno == ENOENT);

	/* A kept file is never replaced. */
	x.download_done = 0;
	assert_int_equal(ro_ssh_download(x.s, remote, local, RO_OS_POSIX, 1ULL << 30, 60000,
	    on_download, &x), 0);
	run_until(&x.download_done, 10000);
	assert_int_equal(x.d.status, RO_EEXIST);
	assert_int_equal(stat(local, &st), 0);
	assert_int_equal((size_t)st.st_size, n);
	unlink(local);

	/* A missing file: refused, nothing kept, the session still usable. */
	{
		char *missing = ro_xasprintf("%s/no-such.zip", dir);
		x.download_done = 0;
		assert_int_equal(ro_ssh_download(x.s, missing, local, RO_OS_POSIX, 1ULL << 30,
		    60000, on_download, &x), 0);
		run_until(&x.download_done, 60000);
		assert_int_equal(x.d.status, RO_EPROTO);
		assert_non_null(strstr(x.dcause, "did not send"));
		free(missing);
	}
	assert_true(stat(local, &st) < 0 && stat(part, &st) < 0);

	/* Over the limit: refused before any byte is kept. */
	x.download_done = 0;
	assert_int_equal(ro_ssh_download(x.s, remote, local, RO_OS_POSIX, n - 1, 60000,
	    on_download, &x), 0);
	run_until(&x.download_done, 60000);
	assert_int_equal(x.d.status, RO_EPROTO);
	if (strstr(x.dcause, "more than") == NULL)
		fail_msg("over the limit: %s", x.dcause);
	assert_true(stat(local, &st) < 0 && stat(part, &st) < 0);

	/* Bad arguments are refused at once. */
	assert_int_equal(ro_ssh_download(x.s, "a\nb", local, RO_OS_POSIX, 10, 1000, on_download,
	    &x), RO_EINVAL);
	assert_int_equal(ro_ssh_download(x.s, remote, "", RO_OS_POSIX, 10, 1000, on_download,
	    &x), RO_EINVAL);

	exec_wait(&x, "echo still-usable", NULL, 0, 10000);
	assert_string_equal(x.out, "still-usable\n");
	close_wait(&x);
	free(x.dcause);
	free(remote);
	free(local);
	free(local_dir);
	free(part);
}

/* wait_preauth_close waits until sshd logs one more connection that ended
 * before authentication without a goodbye (what a host-key refusal is). */
static void
wait_preauth_close(int before)
{
	log_wait_needle = "Connection closed by 127.0.0.1";
	log_wait_needle_n = before + 1;
	log_wait_done = log_count(log_wait_needle) >= log_wait_needle_n;
	run_until(&log_wait_done, 10000);
	log_wait_needle = NULL;
}

static void
test_unknown_hostkey(void **state)
{
	struct ro_known_hosts *empty = NULL;
	char *cause = NULL, *p = ro_xasprintf("%s/empty_known_hosts", dir);
	struct ro_ssh_config c;
	struct sess x;
	int before = log_count("Connection closed by 127.0.0.1");

	(void)state;
	assert_int_equal(ro_known_hosts_load(p, &empty, &cause), 0);
	c = config(key_path, empty);
	c.user = "rollout-unknown-key-user";
	connect_expect(&x, &c, RO_EHOSTKEY);
	assert_non_null(strstr(x.connect_cause, "test-host"));
	assert_non_null(strstr(x.connect_cause, "127.0.0.1"));
	assert_non_null(strstr(x.connect_cause, "not recorded"));
	assert_non_null(strstr(x.connect_cause, "rollout hosts enroll"));
	assert_non_null(strstr(x.connect_cause, probe_res.fingerprint));
	/* sshd saw the connection end with no authentication request at all. */
	wait_preauth_close(before);
	assert_null(strstr(sshd_log.p, "rollout-unknown-key-user"));
	ro_known_hosts_free(empty);
	free(p);
}

static void
test_changed_hostkey(void **state)
{
	struct ro_known_hosts *other = NULL;
	char *cause = NULL, *p = ro_xasprintf("%s/changed_known_hosts", dir);
	unsigned char blob[51];
	char fp[64];
	struct ro_ssh_config c;
	struct sess x;
	int before = log_count("Connection closed by 127.0.0.1");

	(void)state;
	/* Record some other ed25519 key for the test server's address. */
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	randombytes_buf(blob + 19, 32);
	ro_hostkey_fingerprint(blob, sizeof blob, fp);
	assert_int_equal(ro_known_hosts_load(p, &other, &cause), 0);
	assert_int_equal(ro_known_hosts_add(other, "127.0.0.1", sshd_port, "ssh-ed25519", blob,
	    sizeof blob, &cause), 0);
	c = config(key_path, other);
	c.user = "rollout-changed-key-user";
	connect_expect(&x, &c, RO_EHOSTKEY);
	assert_non_null(strstr(x.connect_cause, fp));
	assert_non_null(strstr(x.connect_cause, probe_res.fingerprint));
	assert_non_null(strstr(x.connect_cause, "--replace"));
	wait_preauth_close(before);
	assert_null(strstr(sshd_log.p, "rollout-changed-key-user"));
	ro_known_hosts_free(other);
	free(p);
}

static void
test_bad_key_and_password(void **state)
{
	struct ro_ssh_config c = config(bad_key_path, known);
	struct sess x;

	(void)state;
	connect_expect(&x, &c, RO_EAUTH);
	assert_non_null(strstr(x.connect_cause, "test-host"));

	/* Then the password, which must never show up in the message. */
	c.password = "Secret-Canary-Pw-0001";
	connect_expect(&x, &c, RO_EAUTH);
	assert_null(strstr(x.connect_cause, "Canary"));

	/* A key file that does not exist. */
	c = config("/nonexistent/key", known);
	connect_expect(&x, &c, RO_EAUTH);
	assert_non_null(strstr(x.connect_cause, "/nonexistent/key"));
}

static void
test_unreachable(void **state)
{
	struct ro_ssh_config c = config(key_path, known);
	struct sess x;

	(void)state;
	c.port = free_port(); /* nothing listens there */
	connect_expect(&x, &c, RO_EUNREACHABLE);
	assert_non_null(strstr(x.connect_cause, "refused"));

	probe_done = 0;
	assert_int_equal(ro_ssh_probe(&loop, "127.0.0.1", c.port, known, 5000, on_probe, NULL), 0);
	run_until(&probe_done, 10000);
	assert_int_equal(probe_res.status, RO_EUNREACHABLE);
	assert_non_null(strstr(probe_cause, "refused"));

	c.address = "not-an-address";
	assert_int_equal(ro_ssh_connect(&loop, &c, on_connect, &x, &x.s), RO_EINVAL);
}

#define NCONC 20

static void
test_concurrent_sessions(void **state)
{
	struct sess x[NCONC];
	struct ro_ssh_config c = config(key_path, known);
	int i, all;
	char cmd[64], want[64];

	(void)state;
	memset(x, 0, sizeof x);
	for (i = 0; i < NCONC; i++)
		assert_int_equal(ro_ssh_connect(&loop, &c, on_connect, &x[i], &x[i].s), 0);
	for (i = 0; i < NCONC; i++) {
		run_until(&x[i].connected, 30000);
		if (x[i].connect_status)
			fail_msg("session %d: %s", i, x[i].connect_cause);
	}
	for (i = 0; i < NCONC; i++) {
		snprintf(cmd, sizeof cmd, "echo session-%d", i);
		assert_int_equal(ro_ssh_exec(x[i].s, cmd, NULL, 0, 20000, on_exec, &x[i]), 0);
	}
	for (i = 0; i < NCONC; i++) {
		run_until(&x[i].exec_done, 30000);
		assert_int_equal(x[i].r.status, 0);
		snprintf(want, sizeof want, "session-%d\n", i);
		assert_string_equal(x[i].out, want);
	}
	for (i = 0; i < NCONC; i++)
		ro_ssh_close(x[i].s, on_close, &x[i]);
	for (all = 0; all < NCONC; all++)
		run_until(&x[all].closed, 10000);
	for (i = 0; i < NCONC; i++) {
		free(x[i].out); free(x[i].err); free(x[i].cause); free(x[i].sig);
	}
}

static void
test_keepalive(void **state)
{
	struct ro_ssh_config c = config(key_path, known);
	struct sess x;
	int before = log_count("keepalive@libssh2.org");

	(void)state;
	c.keepalive_s = 1;
	connect_expect(&x, &c, 0);
	/* A quiet command: only keepalives cross the link. */
	exec_wait(&x, "sleep 2.5", NULL, 0, 10000);
	assert_int_equal(x.r.status, 0);
	log_wait_needle = "keepalive@libssh2.org";
	log_wait_needle_n = before + 2;
	log_wait_done = log_count(log_wait_needle) >= log_wait_needle_n;
	run_until(&log_wait_done, 10000);
	log_wait_needle = NULL;
	close_wait(&x);
}

static void
test_known_hosts_file(void **state)
{
	struct ro_known_hosts *kh = NULL;
	char *cause = NULL, *text, *out, *cmd;
	const char *type;
	const unsigned char *key;
	size_t len;
	unsigned char blob[51];
	char *p;

	(void)state;
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	randombytes_buf(blob + 19, 32);
	p = tu_write("kh_merge", "# operator's comment\n"
	    "|1|abc=|def= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
	    "10.0.0.1,[10.0.0.2]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
	assert_int_equal(ro_known_hosts_load(p, &kh, &cause), 0);
	assert_true(ro_known_hosts_lookup(kh, "10.0.0.1", 22, &type, &key, &len));
	assert_true(ro_known_hosts_lookup(kh, "10.0.0.2", 2222, &type, &key, &len));
	assert_false(ro_known_hosts_lookup(kh, "10.0.0.2", 22, &type, &key, &len));
	assert_int_equal(ro_known_hosts_check(kh, "10.0.0.1", 22, "ssh-ed25519", blob, sizeof blob),
	    RO_HOSTKEY_CHANGED);
	/* Replacing 10.0.0.2:2222 keeps 10.0.0.1's record and the other lines. */
	assert_int_equal(ro_known_hosts_add(kh, "10.0.0.2", 2222, "ssh-ed25519", blob, sizeof blob,
	    &cause), 0);
	ro_known_hosts_free(kh);
	kh = NULL;
	text = read_file(p, NULL);
	assert_non_null(strstr(text, "# operator's comment\n"));
	assert_non_null(strstr(text, "|1|abc=|def="));
	assert_non_null(strstr(text, "\n10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqq"));
	assert_non_null(strstr(text, "\n[10.0.0.2]:2222 ssh-ed25519 "));
	free(text);
	assert_int_equal(ro_known_hosts_load(p, &kh, &cause), 0);
	assert_int_equal(ro_known_hosts_check(kh, "10.0.0.2", 2222, "ssh-ed25519", blob, sizeof blob),
	    RO_HOSTKEY_MATCH);
	assert_int_equal(ro_known_hosts_check(kh, "10.0.0.9", 22, "ssh-ed25519", blob, sizeof blob),
	    RO_HOSTKEY_UNKNOWN);
	ro_known_hosts_free(kh);
	/* OpenSSH finds the engine's records. */
	cmd = ro_xasprintf("ssh-keygen -F '[127.0.0.1]:%d' -f %s", sshd_port, kh_path);
	out = run_cmd(cmd);
	assert_non_null(strstr(out, "ssh-ed25519"));
	free(out);
	free(cmd);
	free(p);

	/* A damaged line is an error that names the file and line. */
	p = tu_write("kh_bad", "# fine\n10.0.0.1 ssh-ed25519 AAAA!!!notbase64\n");
	assert_int_equal(ro_known_hosts_load(p, &kh, &cause), RO_EINVAL);
	assert_non_null(strstr(cause, "kh_bad:2:"));
	free(cause);
	free(p);
}

/* ---- the engine's identity: SSH agent, encrypted key, file modes -------------------- */

static pid_t agent_pid = -1;
static char *agent_sock;

/*
 * agent_start starts a real ssh-agent in the foreground (-D) on a socket in
 * the test's directory and waits until it has printed its environment
 * lines, which it does only once the socket is listening.
 */
static void
agent_start(const char *name)
{
	char *argv[] = { "ssh-agent", "-D", "-s", "-a", NULL, NULL };
	posix_spawn_file_actions_t fa;
	int out[2];
	char buf[1024];
	size_t got = 0;

	agent_sock = ro_xasprintf("%s/%s", dir, name);
	unlink(agent_sock);
	argv[4] = agent_sock;
	assert_int_equal(pipe(out), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	assert_int_equal(posix_spawnp(&agent_pid, "ssh-agent", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	while (got < sizeof buf - 1) {
		ssize_t n = read(out[0], buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		/* In the foreground it prints "echo Agent pid N;" last. */
		if (strstr(buf, "Agent pid") && strchr(strstr(buf, "Agent pid"), ';'))
			break;
	}
	close(out[0]);
	buf[got] = '\0';
	if (strstr(buf, "Agent pid") == NULL)
		fail_msg("ssh-agent did not start: %s", buf);
	setenv("SSH_AUTH_SOCK", agent_sock, 1);
}

/* agent_stop ends the agent this test started and waits for it. */
static void
agent_stop(void)
{
	int st;

	unsetenv("SSH_AUTH_SOCK");
	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		waitpid(agent_pid, &st, 0);
	}
	agent_pid = -1;
	unlink(agent_sock);
	free(agent_sock);
	agent_sock = NULL;
}

/* ssh_add runs ssh-add (with this test's SSH_AUTH_SOCK) and asserts it worked. */
static void
ssh_add(const char *args)
{
	char *cmd = ro_xasprintf("ssh-add -q %s </dev/null >/dev/null 2>&1", args);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* passphrase_fd returns the read end of a pipe holding text and a newline. */
static int
passphrase_fd(const char *text)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(write(p[1], "\n", 1), 1);
	close(p[1]);
	return p[0];
}

/* copy_key copies the engine's key pair to DIR/name (mode 0600) and returns its path. */
static char *
copy_key(const char *name)
{
	char *p = ro_xasprintf("%s/%s", dir, name);
	char *cmd = ro_xasprintf("rm -f %s %s.pub && cp %s %s && cp %s.pub %s.pub && chmod 600 %s",
	    p, p, key_path, p, key_path, p, p);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	return p;
}

/* exec_whoami asserts that a connected session runs a command. */
static void
exec_echo(struct sess *x)
{
	exec_wait(x, "echo logged-in", NULL, 0, 10000);
	assert_int_equal(x->r.status, 0);
	assert_int_equal(x->r.exit_code, 0);
	assert_non_null(strstr(x->out, "logged-in"));
}

static void
test_agent_login(void **state)
{
	struct ro_engine_id_opts o = { .key_path = NULL, .agent = -1, .passphrase_fd = -1 };
	struct ro_engine_id *id = NULL;
	struct ro_ssh_config c = config(NULL, known);
	struct ro_ssh_auth a;
	char *cause = NULL, *moved;
	struct sess x;

	(void)state;
	agent_start("agent1.sock");

	/* An empty agent: --agent is refused before any host is contacted. */
	o.key_path = key_path;
	o.agent = 1;
	assert_int_equal(ro_engine_id_open(&o, &id, &cause), RO_EINVAL);
	assert_non_null(strstr(cause, "does not hold the engine key"));
	assert_non_null(strstr(cause, "ssh-add"));
	free(cause);
	cause = NULL;

	/* With the engine's key in the agent, the private key file is not even
	 * read: moved away, the login still works, signed by the agent. */
	ssh_add(key_path);
	moved = ro_xasprintf("%s.away", key_path);
	assert_int_equal(rename(key_path, moved), 0);
	o.agent = -1; /* the default: SSH_AUTH_SOCK is set and holds the key */
	assert_int_equal(ro_engine_id_open(&o, &id, &cause), 0);
	assert_int_equal(rename(moved, key_path), 0);
	free(moved);
	assert_true(ro_engine_id_auth(id)->agent);
	assert_null(ro_engine_id_auth(id)->key);
	assert_non_null(strstr(ro_engine_id_describe(id), "SSH agent"));
	c.auth = ro_engine_id_auth(id);
	connect_wait(&x, &c, 15000);
	if (x.connect_status != 0)
		fail_msg("agent login: %s", x.connect_cause);
	exec_echo(&x);
	close_wait(&x);
	ro_engine_id_free(id);
	id = NULL;

	/* An agent that holds only a key the host does not know: refused,
	 * with a message that says where to look. */
	ssh_add("-D");
	ssh_add(bad_key_path);
	memset(&a, 0, sizeof a);
	a.agent = 1;
	a.key_path = key_path;
	c.auth = &a;
	connect_expect(&x, &c, RO_EAUTH);
	assert_non_null(strstr(x.connect_cause, "refused"));
	assert_non_null(strstr(x.connect_cause, "authorized_keys"));

	/* Only the engine's identity is offered when its blob is named. */
	{
		char *pub = ro_xasprintf("%s.pub", key_path), *line = NULL, fp[64], *sp, *end;
		unsigned char *blob = NULL;
		size_t blen = 0;
		char *b64;
		assert_int_equal(ro_pubkey_read(pub, &line, fp, &cause), 0);
		sp = strchr(line, ' ');
		end = strchr(sp + 1, ' ');
		b64 = strndup(sp + 1, (size_t)(end - sp - 1));
		assert_non_null(b64);
		{
			size_t cap = strlen(b64);
			blob = ro_xmalloc(cap);
			assert_int_equal(sodium_base642bin(blob, cap, b64, strlen(b64), NULL, &blen,
			    NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		}
		a.agent_blob = blob;
		a.agent_blob_len = blen;
		connect_expect(&x, &c, RO_EAUTH);
		assert_non_null(strstr(x.connect_cause, "offered no engine key"));
		assert_non_null(strstr(x.connect_cause, "ssh-add"));
		free(blob);
		free(b64);
		free(line);
		free(pub);
	}
	agent_stop();
}

static void
test_encrypted_key(void **state)
{
	static const char pass[] = "Canary-Key-Pass 7731";
	struct ro_engine_id_opts o = { .agent = 0, .passphrase_fd = -1 };
	struct ro_engine_id *id = NULL;
	struct ro_ssh_config c = config(NULL, known);
	struct ro_ssh_auth wrong;
	char *enc = copy_key("enc_ed25519"), *cmd, *cause = NULL;
	struct sess x;

	(void)state;
	/* Encrypted by OpenSSH's own tool, the way docs/TRANSPORT.md says
	 * (bcrypt-pbkdf, aes256-ctr); the test's passphrase may be in its argv. */
	cmd = ro_xasprintf("ssh-keygen -q -p -f %s -P '' -N '%s' >/dev/null", enc, pass);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	o.key_path = enc;

	/* The right passphrase, read once from a descriptor. */
	o.passphrase_fd = passphrase_fd(pass);
	assert_int_equal(ro_engine_id_open(&o, &id, &cause), 0);
	close(o.passphrase_fd);
	assert_non_null(ro_engine_id_auth(id)->key);
	assert_non_null(ro_engine_id_auth(id)->passphrase);
	assert_non_null(strstr(ro_engine_id_describe(id), "encrypted"));
	c.auth = ro_engine_id_auth(id);
	connect_wait(&x, &c, 15000);
	if (x.connect_status != 0)
		fail_msg("encrypted key login: %s", x.connect_cause);
	exec_echo(&x);
	close_wait(&x);

	/* libssh2 itself with a wrong passphrase: a clean refusal naming the key. */
	wrong = *ro_engine_id_auth(id);
	wrong.passphrase = "Wrong-Pass-Canary";
	c.auth = &wrong;
	connect_expect(&x, &c, RO_EAUTH);
	assert_non_null(strstr(x.connect_cause, enc));
	assert_null(strstr(x.connect_cause, "Canary"));
	ro_engine_id_free(id);
	id = NULL;

	/* A wrong passphrase is caught at start, and never repeated. */
	o.passphrase_fd = passphrase_fd("Wrong-Pass-Canary");
	assert_int_equal(ro_engine_id_open(&o, &id, &cause), RO_EINVAL);
	close(o.passphrase_fd);
	assert_null(id);
	assert_non_null(strstr(cause, "does not decrypt"));
	assert_non_null(strstr(cause, enc));
	assert_null(strstr(cause, "Canary"));
	free(cause);
	cause = NULL;

	/* No descriptor and no terminal: refused, saying how to give it. */
	o.passphrase_fd = -1;
	if (access("/dev/tty", R_OK) != 0 || open("/dev/tty", O_RDONLY | O_CLOEXEC) < 0) {
		assert_int_equal(ro_engine_id_open(&o, &id, &cause), RO_EINVAL);
		assert_non_null(strstr(cause, "--key-passphrase-fd"));
		free(cause);
		cause = NULL;
	}
	free(enc);
}

static void
test_key_mode_refused(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660 };
	struct ro_engine_id_opts o = { .agent = 0, .passphrase_fd = -1 };
	struct ro_engine_id *id = NULL;
	char *k = copy_key("open_ed25519"), *cause = NULL, want[16];
	size_t i;

	(void)state;
	o.key_path = k;
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		assert_int_equal(chmod(k, modes[i]), 0);
		assert_int_equal(ro_engine_id_open(&o, &id, &cause), RO_EINVAL);
		assert_null(id);
		snprintf(want, sizeof want, "mode %04o", (unsigned)modes[i]);
		assert_non_null(strstr(cause, want));
		assert_non_null(strstr(cause, k));
		assert_non_null(strstr(cause, "chmod 600"));
		free(cause);
		cause = NULL;
	}
	/* Even when an agent would sign, an exposed key file is reported. */
	agent_start("agent2.sock");
	ssh_add(key_path);
	o.agent = 1;
	assert_int_equal(ro_engine_id_open(&o, &id, &cause), RO_EINVAL);
	assert_non_null(strstr(cause, "chmod 600"));
	free(cause);
	cause = NULL;
	agent_stop();
	/* 0600 and 0400 are fine. */
	o.agent = 0;
	assert_int_equal(chmod(k, 0400), 0);
	assert_int_equal(ro_engine_id_open(&o, &id, &cause), 0);
	ro_engine_id_free(id);
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_is_openssh),
		cmocka_unit_test(test_known_hosts_file),
		cmocka_unit_test(test_probe_fingerprint),
		cmocka_unit_test(test_exec_streams_and_status),
		cmocka_unit_test(test_exec_large_stdin_and_stdout),
		cmocka_unit_test(test_exec_timeout),
		cmocka_unit_test(test_exec_connection_lost),
		cmocka_unit_test(test_close_cancels_exec),
		cmocka_unit_test(test_upload),
		cmocka_unit_test(test_download),
		cmocka_unit_test(test_unknown_hostkey),
		cmocka_unit_test(test_changed_hostkey),
		cmocka_unit_test(test_bad_key_and_password),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_concurrent_sessions),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_agent_login),
		cmocka_unit_test(test_encrypted_key),
		cmocka_unit_test(test_key_mode_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
