/*
 * live.c - the console's live progress: a campaign's state, its waves' states
 * and its hosts' counts as Server-Sent Events (text/event-stream), read from
 * the store (a WAL reader beside the running engine) once a second and sent
 * when they change; and the small script that shows them without a reload.
 */
#include "web-int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "store.h"
#include "util.h"

/* One stream ends after this many seconds; the browser reconnects by itself. */
#define STREAM_SECONDS 600

const char ro_web_live_js[] =
    "(function(){\n"
    "var el=document.getElementById('live');\n"
    "if(!el||!window.EventSource)return;\n"
    "var en=el.getAttribute('data-lang')==='en';\n"
    "var ja={'planned':'計画済み','running':'実行中','halted':'停止中','done':'完了',"
    "'failed':'失敗','cancelled':'取消','pending':'未着手','awaiting-approval':'承認待ち',"
    "'approved':'承認済み'};\n"
    "function s(x){return en?x:(ja[x]||x);}\n"
    "var es=new EventSource(el.getAttribute('data-src'));\n"
    "es.onmessage=function(e){\n"
    " var d=JSON.parse(e.data),t=(en?'Now: ':'現在: ')+s(d.state)+' — ';\n"
    " for(var i=0;i<d.waves.length;i++){var w=d.waves[i];\n"
    "  t+=(en?'wave ':'ウェーブ')+(i+1)+' '+s(w.state)+' ('+w.done+'/'+w.total+')'+"
    "(i+1<d.waves.length?', ':'');}\n"
    " el.textContent=t;el.setAttribute('data-state',d.state);};\n"
    "})();\n";

struct live {
	char *state_dir, *campaign;
	struct ro_store *st;
	char *last;      /* the last snapshot sent */
	time_t until;
	int first;
};

/* snapshot writes the campaign's progress as one JSON object, or NULL. */
static char *
snapshot(struct live *lv)
{
	struct ro_campaign_info ci;
	struct ro_wave_info *wv = NULL;
	struct ro_host_tally *t = NULL;
	size_t nw = 0, nt = 0, i, j;
	struct ro_buf b;
	char *out = NULL;

	memset(&ci, 0, sizeof ci);
	if (lv->st == NULL && ro_store_open_dir(lv->state_dir, &lv->st, NULL) != RO_OK)
		return NULL;
	if (ro_store_begin_read(lv->st) != RO_OK)
		return NULL;
	if (ro_store_campaign_get(lv->st, lv->campaign, &ci, NULL) != RO_OK ||
	    ro_store_wave_list(lv->st, lv->campaign, &wv, &nw) != RO_OK ||
	    ro_store_tally(lv->st, lv->campaign, RO_TALLY_BY_WAVE, &t, &nt) != RO_OK)
		goto out;
	ro_buf_init(&b);
	ro_buf_adds(&b, "{\"state\":");
	ro_buf_json_str(&b, ro_campaign_state_name(ci.state));
	ro_buf_adds(&b, ",\"waves\":[");
	for (i = 0; i < nw; i++) {
		int64_t done = 0, total = 0;
		for (j = 0; j < nt; j++)
			if (t[j].wave == wv[i].idx) {
				done = t[j].n[RO_HOST_DONE] + t[j].n[RO_HOST_SKIPPED];
				total = t[j].total;
			}
		ro_buf_printf(&b, "%s{\"state\":\"%s\",\"done\":%lld,\"total\":%lld}", i ? "," : "",
		    ro_wave_state_name(wv[i].state), (long long)done, (long long)total);
	}
	ro_buf_adds(&b, "]}");
	out = b.p;
out:
	ro_store_rollback(lv->st);
	ro_host_tally_free(t, nt);
	ro_wave_list_free(wv, nw);
	ro_campaign_info_clear(&ci);
	return out;
}

/* next_event blocks (this connection has its own thread) until there is
 * something to send: a changed snapshot, else a keep-alive comment each
 * second. */
static ssize_t
next_event(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct live *lv = cls;
	struct timespec second = { 1, 0 };
	char *snap;
	size_t n;

	(void)pos;
	if (time(NULL) >= lv->until)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (!lv->first)
		nanosleep(&second, NULL); /* the poll interval, not a synchronisation */
	lv->first = 0;
	snap = snapshot(lv);
	if (snap == NULL)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (lv->last != NULL && strcmp(lv->last, snap) == 0) {
		free(snap);
		if (max < 3)
			return 0;
		memcpy(buf, ":\n\n", 3);
		return 3;
	}
	n = strlen(snap) + 8;
	if (n > max) { /* never for a campaign of a few hundred waves */
		free(snap);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	snprintf(buf, max, "data: %s\n\n", snap);
	free(lv->last);
	lv->last = snap;
	return (ssize_t)n;
}

static void
live_free(void *cls)
{
	struct live *lv = cls;

	ro_store_close(lv->st);
	free(lv->last);
	free(lv->campaign);
	free(lv->state_dir);
	free(lv);
}

struct MHD_Response *
ro_web_live_response(const char *state_dir, const char *campaign)
{
	struct live *lv = ro_xcalloc(1, sizeof *lv);
	struct MHD_Response *r;

	lv->state_dir = ro_xstrdup(state_dir);
	lv->campaign = ro_xstrdup(campaign);
	lv->until = time(NULL) + STREAM_SECONDS;
	lv->first = 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, next_event, lv, live_free);
	if (r == NULL)
		live_free(lv);
	return r;
}
