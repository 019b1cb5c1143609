/*
 * report-procedure.c - 作業手順書 as a report (.xlsx / CSV / JSON): the
 * work procedure model (procedure.h) of a planned campaign, the same one
 * the plan page renders, on sheets the city can print, fill in and file.
 *
 * The document is bound to the plan hash: it is in the summary, in the
 * page header of every sheet (through the report's subject) and in the
 * approval sentence, so a signed paper names the one plan it approves.
 * Nothing is read but the plan, so the same plan gives the same document
 * (apart from the time it was made).
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "procedure.h"
#include "report-int.h"
#include "util.h"

static const struct ro_report_col work_cols[] = {
	{ "playbook", "作業 (プレイブック)", 24 },
	{ "title", "作業名", 36 },
	{ "hosts", "対象台数", 8 },
	{ "description", "説明", 60 },
};

static const struct ro_report_col artifact_cols[] = {
	{ "kb", "KB番号", 12 },
	{ "file", "ファイル", 36 },
	{ "sha256", "SHA-256", 66 },
	{ "roles", "対象", 24 },
	{ "playbook", "作業", 20 },
	{ "step", "手順", 20 },
};

static const struct ro_report_col step_cols[] = {
	{ "role", "機器の種別", 14 },
	{ "number", "番号", 6 },
	{ "title", "手順", 36 },
	{ "kind", "種類", 8 },
	{ "kb", "KB番号", 12 },
	{ "artifact", "ファイル", 28 },
	{ "sha256", "SHA-256", 66 },
	{ "estimate_min", "見込み (分)", 10 },
	{ "restart", "再起動", 10 },
	{ "on_site", "現地作業", 8 },
	{ "instruction", "現地での作業内容", 50 },
	{ "step", "手順名 (英)", 24 },
};

static const struct ro_report_col site_cols[] = {
	{ "site", "拠点", 12 },
	{ "site_name", "拠点名", 20 },
	{ "hosts", "台数", 6 },
	{ "restart_hosts", "再起動する台数", 12 },
	{ "host_downtime_min", "1台の停止 (分)", 12 },
	{ "downtime_min", "停止の合計 (台×分)", 14 },
	{ "conditional", "条件付き", 10 },
	{ "limit", "同時停止上限", 10 },
	{ "first_start", "作業開始", 26 },
	{ "last_end", "作業終了", 26 },
};

static const struct ro_report_col host_cols[] = {
	{ "site", "拠点", 12 },
	{ "host", "機器", 18 },
	{ "role", "種別", 14 },
	{ "wave", "ウェーブ", 16 },
	{ "start", "開始", 26 },
	{ "end", "終了", 26 },
	{ "restart_at", "再起動 (目安)", 26 },
	{ "restart_min", "停止 (分)", 8 },
	{ "conditional", "条件付き", 10 },
};

static const struct ro_report_col rollback_cols[] = {
	{ "playbook", "作業", 24 },
	{ "number", "番号", 6 },
	{ "action", "切り戻し手順", 80 },
};

static const struct ro_report_col contact_cols[] = {
	{ "role", "役割", 16 },
	{ "name", "氏名", 16 },
	{ "org", "所属", 24 },
	{ "phone", "電話", 18 },
};

static const struct ro_report_col approval_cols[] = {
	{ "role", "役割", 20 },
	{ "org", "所属", 24 },
	{ "name", "氏名", 18 },
	{ "date", "日付", 18 },
	{ "signature", "印・署名", 18 },
};

/* Minutes, rounded up: a 30-second step is "1 minute", never "0". */
static int64_t
minutes(long secs)
{
	return secs <= 0 ? 0 : ((int64_t)secs + 59) / 60;
}

static void
time_or_null(struct ro_report_sheet *s, int64_t t)
{
	if (t == RO_PLAN_NO_TIME)
		ro_report_null(s);
	else
		ro_report_time(s, t);
}

static const char *
site_name(const struct ro_site *s)
{
	return s->name_ja ? s->name_ja : s->name ? s->name : s->id;
}

static void
roles_text(unsigned roles, struct ro_buf *b)
{
	int r;

	b->len = 0;
	b->p[0] = '\0';
	for (r = 0; r < RO_ROLE_N; r++)
		if (roles & RO_ROLE_BIT(r))
			ro_buf_printf(b, "%s%s", b->len ? "、" : "", ro_proc_role_ja((enum ro_role)r));
}

static void
restart_label(struct ro_report_sheet *s, enum ro_proc_restart r)
{
	if (r == RO_PROC_RESTART)
		ro_report_label(s, "restart", "あり");
	else if (r == RO_PROC_RESTART_IF_ASKED)
		ro_report_label(s, "if_required", "必要時");
	else
		ro_report_label(s, "none", "なし");
}

static void
build(struct ro_report *r, const struct ro_procedure *pr, int64_t now)
{
	const struct ro_plan *p = pr->plan;
	const struct ro_campaign *c = pr->campaign;
	const struct ro_inventory *inv = c->inv;
	struct ro_report_sheet *s;
	struct ro_buf b;
	size_t i, j;
	char *t;
	int role;

	ro_buf_init(&b);
	ro_buf_adds(&b, "");
	ro_report_item_text(r, "campaign", "作業 (キャンペーン)", c->id);
	ro_report_item_text(r, "title", "件名", c->title ? c->title : c->id);
	ro_report_item_text(r, "plan_hash", "計画ハッシュ", pr->plan_hash);
	ro_report_item_text(r, "inventory", "機器台帳", inv->name);
	ro_report_item_int(r, "hosts", "対象台数", (int64_t)pr->nhosts);
	ro_report_item_int(r, "sites", "対象拠点数", (int64_t)pr->nsites);
	ro_report_item_int(r, "waves", "ウェーブ数", (int64_t)p->nwaves);
	if (p->timed) {
		ro_report_item_time(r, "first_start", "作業開始 (予定)", p->first_start);
		ro_report_item_time(r, "end", "作業終了 (予定)", p->end);
		ro_report_item_time(r, "deadline", "完了期限", p->deadline);
	} else
		ro_report_item_text(r, "schedule", "作業期間", "開始日が指定されていない (時刻は計画されていない)");
	ro_report_item_int(r, "downtime_min", "停止の合計 (台×分)", minutes(pr->downtime));
	ro_report_item_time(r, "made_at", "作成日時", now);

	s = ro_report_sheet(r, "work", "作業内容", work_cols, RO_NELEM(work_cols));
	for (i = 0; i < pr->nplaybooks; i++) {
		ro_report_row(s);
		ro_report_text(s, pr->playbooks[i].pb->name);
		ro_report_text(s, pr->playbooks[i].title_ja);
		ro_report_int(s, (int64_t)pr->playbooks[i].nhosts);
		ro_report_text(s, pr->playbooks[i].pb->description);
	}

	s = ro_report_sheet(r, "artifacts", "適用ファイル", artifact_cols, RO_NELEM(artifact_cols));
	for (i = 0; i < pr->nartifacts; i++) {
		const struct ro_proc_artifact *a = &pr->artifacts[i];
		roles_text(a->roles, &b);
		ro_report_row(s);
		ro_report_text(s, a->kb);
		ro_report_text(s, a->file);
		ro_report_text(s, a->sha256);
		ro_report_text(s, b.p);
		ro_report_text(s, pr->playbooks[a->playbook].pb->name);
		ro_report_text(s, a->step);
	}
	if (pr->nartifacts == 0)
		ro_report_note(s, "機器へ転送するファイルはない。");
	else
		ro_report_note(s, "ファイルはウイルスチェック済みの媒体から取り込み、転送の前後で SHA-256 を照合する。");

	s = ro_report_sheet(r, "steps", "作業手順", step_cols, RO_NELEM(step_cols));
	for (role = 0; role < RO_ROLE_N; role++) {
		const struct ro_proc_role *pro = &pr->roles[role];
		if (pro->nhosts == 0)
			continue;
		for (j = 0; j < pro->nsteps; j++) {
			const struct ro_proc_step *st = &pro->steps[j];
			ro_report_row(s);
			ro_report_label(s, ro_role_names[role], ro_proc_role_ja((enum ro_role)role));
			ro_report_int(s, st->number);
			ro_report_text(s, st->title_ja);
			ro_report_text(s, st->kind_ja);
			ro_report_text(s, st->kb);
			ro_report_text(s, st->artifact);
			ro_report_text(s, st->sha256);
			ro_report_int(s, minutes(st->estimate));
			restart_label(s, st->restart);
			ro_report_label(s, st->manual ? "yes" : "no", st->manual ? "○" : "");
			ro_report_text(s, st->instruction);
			ro_report_text(s, st->step->name);
		}
	}
	ro_report_note(s, "手順は機器の種別ごとに、1台で実行する順に並べている。見込みは1台あたり。");

	s = ro_report_sheet(r, "downtime", "拠点別停止", site_cols, RO_NELEM(site_cols));
	for (i = 0; i < pr->nsites; i++) {
		const struct ro_proc_site *ps = &pr->sites[i];
		ro_report_row(s);
		ro_report_text(s, inv->sites[ps->site].id);
		ro_report_text(s, site_name(&inv->sites[ps->site]));
		ro_report_int(s, (int64_t)ps->nhosts);
		ro_report_int(s, (int64_t)ps->nrestart);
		ro_report_int(s, minutes(ps->host_downtime));
		ro_report_int(s, minutes(ps->downtime));
		ro_report_label(s, ps->restart_if_asked ? "yes" : "no",
		    ps->restart_if_asked ? "最大値" : "");
		ro_report_int(s, ps->limit);
		time_or_null(s, ps->first_start);
		time_or_null(s, ps->last_end);
	}
	ro_report_note(s, "停止時間は再起動の手順の見込み時間から計算している (台数×1台の再起動時間)。"
	    "条件付き (最大値) は再起動が求められた場合の最大値。");

	s = ro_report_sheet(r, "hosts", "機器別予定", host_cols, RO_NELEM(host_cols));
	for (i = 0; i < pr->nhosts; i++) {
		const struct ro_proc_host *h = &pr->hosts[i];
		const struct ro_host *hh = &inv->hosts[h->host];
		ro_report_row(s);
		ro_report_text(s, inv->sites[h->site].id);
		ro_report_text(s, hh->name);
		ro_report_label(s, ro_role_names[hh->role], ro_proc_role_ja(hh->role));
		if (h->wave < p->nwaves) {
			t = ro_xasprintf("%u %s", h->wave + 1, p->waves[h->wave].name);
			ro_report_text(s, t);
			free(t);
		} else
			ro_report_null(s);
		time_or_null(s, h->start);
		time_or_null(s, h->end);
		if (h->restart > 0)
			time_or_null(s, h->restart_at);
		else
			ro_report_null(s);
		ro_report_int(s, minutes(h->restart));
		ro_report_label(s, h->restart_if_asked ? "yes" : "no", h->restart_if_asked ? "最大値" : "");
	}
	ro_report_note(s, "再起動の時刻は、それまでの手順の見込み時間からの目安。");

	s = ro_report_sheet(r, "rollback", "切り戻し手順", rollback_cols, RO_NELEM(rollback_cols));
	for (i = 0; i < pr->nplaybooks; i++) {
		const struct ro_proc_playbook *pp = &pr->playbooks[i];
		if (pp->nrollback == 0) {
			t = ro_xasprintf("%s: 切り戻し手順は定められていない (承認前に作業責任者へ確認すること)。",
			    pp->title_ja);
			ro_report_note(s, t);
			free(t);
		}
		for (j = 0; j < pp->nrollback; j++) {
			ro_report_row(s);
			ro_report_text(s, pp->title_ja);
			ro_report_int(s, (int64_t)j + 1);
			ro_report_text(s, pp->rollback[j]);
		}
	}

	s = ro_report_sheet(r, "contacts", "連絡先", contact_cols, RO_NELEM(contact_cols));
	for (i = 0; i < pr->ncontacts; i++) {
		ro_report_row(s);
		ro_report_text(s, pr->contacts[i].role);
		ro_report_text(s, pr->contacts[i].name);
		ro_report_text(s, pr->contacts[i].org);
		ro_report_text(s, pr->contacts[i].phone);
	}
	if (pr->ncontacts == 0)
		ro_report_note(s, "連絡先は指定されていない (キャンペーンの contacts に記載すること)。");

	/* The approval block: empty boxes to sign on paper, under a sentence
	 * naming the whole plan hash. */
	s = ro_report_sheet(r, "approval", "承認", approval_cols, RO_NELEM(approval_cols));
	{
		static const char *const who[] = { "承認者（市）", "確認者（市）", "作業責任者（受注者）" };
		for (i = 0; i < RO_NELEM(who); i++) {
			ro_report_row(s);
			ro_report_text(s, who[i]);
			ro_report_null(s);
			ro_report_null(s);
			ro_report_text(s, "令和　年　月　日");
			ro_report_null(s);
		}
	}
	t = ro_xasprintf("本作業手順書 (計画ハッシュ %s) のとおり作業を実施することを承認する。", pr->plan_hash);
	ro_report_note(s, t);
	free(t);
	ro_buf_free(&b);
}

int
ro_report_procedure(const struct ro_plan *p, int64_t now, struct ro_report **out, char **cause)
{
	struct ro_procedure *pr = NULL;
	struct ro_report *r;
	char *subject;
	int rc;

	*out = NULL;
	if ((rc = ro_procedure_build(p, &pr)) != RO_OK) {
		*cause = ro_xasprintf("cannot derive the work procedure of %s: %s",
		    p->campaign->id, ro_strerror(rc));
		return rc;
	}
	/* The subject is in every sheet's page header: with the plan hash in
	 * it, each printed page names the plan it belongs to. */
	subject = ro_xasprintf("%s 計画ハッシュ %.16s…", p->campaign->id, pr->plan_hash);
	r = ro_report_new("procedure", "作業手順書", subject);
	free(subject);
	build(r, pr, now);
	ro_procedure_free(pr);
	*out = r;
	return RO_OK;
}
