/* notify.c - the campaign's notify command, one JSON event per run (notify.h). */
#include "notify.h"

#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "util.h"

struct ro_notifier {
	uv_loop_t *loop;
	const struct ro_plan *plan;
	struct ro_store *st;
	char *command, *cwd, *state_dir;
	/* Events wait here and their commands run one at a time, so that
	 * whoever listens hears them in the order they happened. */
	struct child *head, *tail;
	int busy;    /* a command is running */
	int freeing; /* ro_notify_free was called: free when the queue drains */
};

/* One event's command: freed when the process, its stdin pipe and its
 * timer have all closed, and the next one starts then. */
struct child {
	struct ro_notifier *n;
	struct child *next;
	uv_process_t proc;
	uv_pipe_t in;
	uv_timer_t timer;
	uv_write_t wr;
	uv_buf_t buf;
	char *json;
	int open; /* handles not yet closed */
};

struct ro_notifier *
ro_notify_new(uv_loop_t *loop, const struct ro_plan *plan, struct ro_store *st,
    const char *state_dir)
{
	const struct ro_campaign *c = plan->campaign;
	struct ro_notifier *n;
	char *copy;

	if (c->notify == NULL)
		return NULL;
	n = ro_xcalloc(1, sizeof *n);
	n->loop = loop;
	n->plan = plan;
	n->st = st;
	n->command = ro_xstrdup(c->notify);
	copy = ro_xstrdup(c->path);
	n->cwd = ro_xstrdup(dirname(copy));
	free(copy);
	n->state_dir = ro_xstrdup(state_dir);
	return n;
}

static void
notifier_free(struct ro_notifier *n)
{
	free(n->command);
	free(n->cwd);
	free(n->state_dir);
	free(n);
}

void
ro_notify_free(struct ro_notifier *n)
{
	if (n == NULL)
		return;
	if (n->busy || n->head != NULL)
		n->freeing = 1;
	else
		notifier_free(n);
}

static void start_next(struct ro_notifier *n);

static void
child_closed(uv_handle_t *h)
{
	struct child *ch = h->data;
	struct ro_notifier *n = ch->n;

	if (--ch->open == 0) {
		free(ch->json);
		free(ch);
		n->busy = 0;
		start_next(n);
	}
}

static void
child_exited(uv_process_t *p, int64_t status, int sig)
{
	struct child *ch = p->data;

	if (status != 0 || sig != 0)
		fprintf(stderr, "rollout run: the notify command %s %d for this event: %s",
		    sig ? "was killed by signal" : "exited", sig ? sig : (int)status, ch->json);
	uv_timer_stop(&ch->timer);
	uv_close((uv_handle_t *)&ch->timer, child_closed);
	uv_close((uv_handle_t *)p, child_closed);
}

static void
child_timeout(uv_timer_t *t)
{
	struct child *ch = t->data;

	uv_process_kill(&ch->proc, SIGKILL);
}

static void
written(uv_write_t *w, int status)
{
	struct child *ch = w->data;

	(void)status; /* a command that does not read its input is its business */
	uv_close((uv_handle_t *)&ch->in, child_closed);
}

/* What the event says, for people: the kind, or NULL when it is not one. */
static const char *
event_kind(const struct ro_event *ev)
{
	if (ev->kind == RO_EV_WAVE && ev->state && strcmp(ev->state, "awaiting-approval") == 0)
		return "gate-waiting";
	if (ev->kind == RO_EV_WAVE && ev->state && strcmp(ev->state, "halted") == 0)
		return "wave-halted";
	if (ev->kind == RO_EV_CAMPAIGN && ev->state && strcmp(ev->state, "running") != 0)
		return "campaign-ended";
	return NULL;
}

static char *
event_json(const struct ro_notifier *n, const struct ro_event *ev, const char *kind)
{
	const struct ro_campaign *c = n->plan->campaign;
	char at[RO_JST_FMT_MAX];
	struct ro_buf b;

	ro_jst_format((int64_t)floor(ev->at / 60.0), at);
	ro_buf_init(&b);
	ro_buf_adds(&b, "{\"event\":");
	ro_buf_json_str(&b, kind);
	ro_buf_adds(&b, ",\"campaign\":");
	ro_buf_json_str(&b, c->id);
	ro_buf_adds(&b, ",\"title\":");
	ro_buf_json_str(&b, c->title);
	ro_buf_printf(&b, ",\"plan_hash\":\"%s\",\"at\":", n->plan->hash);
	ro_buf_json_str(&b, at);
	ro_buf_adds(&b, ",\"state\":");
	ro_buf_json_str(&b, ev->state);
	if (ev->wave >= 0 && (size_t)ev->wave < n->plan->nwaves) {
		const struct ro_wave *w = &n->plan->waves[ev->wave];
		ro_buf_printf(&b, ",\"wave\":%d,\"wave_name\":", ev->wave + 1);
		ro_buf_json_str(&b, w->name);
		ro_buf_printf(&b, ",\"hosts\":%zu", w->nhosts);
		if (strcmp(kind, "gate-waiting") == 0) {
			char *cmd = ro_xasprintf("rollout approve %s --wave %d --plan-hash %.12s "
			    "--state-dir %s --key YOUR.key", c->id, ev->wave + 1, n->plan->hash,
			    n->state_dir);
			ro_buf_adds(&b, ",\"approve\":");
			ro_buf_json_str(&b, cmd);
			free(cmd);
		}
	}
	ro_buf_adds(&b, ",\"detail\":");
	ro_buf_json_str(&b, ev->detail);
	ro_buf_adds(&b, "}\n");
	return b.p;
}

void
ro_notify_event(struct ro_notifier *n, const struct ro_event *ev)
{
	struct child *ch;
	const char *kind;

	if (n == NULL || n->freeing || (kind = event_kind(ev)) == NULL)
		return;
	ch = ro_xcalloc(1, sizeof *ch);
	ch->n = n;
	ch->json = event_json(n, ev, kind);
	if (n->tail != NULL)
		n->tail->next = ch;
	else
		n->head = ch;
	n->tail = ch;
	if (!n->busy)
		start_next(n);
}

/* Start the oldest waiting event's command, or free a notifier whose run
 * is over once nothing waits. */
static void
start_next(struct ro_notifier *n)
{
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	struct child *ch = n->head;
	char *args[4];
	int rc;

	if (ch == NULL) {
		if (n->freeing)
			notifier_free(n);
		return;
	}
	n->head = ch->next;
	if (n->head == NULL)
		n->tail = NULL;
	n->busy = 1;
	uv_pipe_init(n->loop, &ch->in, 0);
	ch->in.data = ch;
	ch->open = 1;
	args[0] = "/bin/sh";
	args[1] = "-c";
	args[2] = n->command;
	args[3] = NULL;
	memset(&o, 0, sizeof o);
	io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	io[0].data.stream = (uv_stream_t *)&ch->in;
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_IGNORE;
	o.file = args[0];
	o.args = args;
	o.cwd = n->cwd;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = child_exited;
	ch->proc.data = ch;
	if ((rc = uv_spawn(n->loop, &ch->proc, &o)) != 0) {
		fprintf(stderr, "rollout run: cannot start the notify command: %s\n", uv_strerror(rc));
		/* Both handles are freed with ch: wait for both to close. */
		ch->open = 2;
		uv_close((uv_handle_t *)&ch->proc, child_closed);
		uv_close((uv_handle_t *)&ch->in, child_closed);
		return;
	}
	ch->open += 2;
	uv_timer_init(n->loop, &ch->timer);
	ch->timer.data = ch;
	uv_timer_start(&ch->timer, child_timeout, RO_NOTIFY_TIMEOUT_MS, 0);
	ch->buf = uv_buf_init(ch->json, (unsigned)strlen(ch->json));
	ch->wr.data = ch;
	if (uv_write(&ch->wr, (uv_stream_t *)&ch->in, &ch->buf, 1, written) != 0)
		uv_close((uv_handle_t *)&ch->in, child_closed);
}
