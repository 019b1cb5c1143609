/*
 * report-checklist.c - 現地確認チェックリスト: what the person walking a site
 * still has to do and record. Per site one sheet (one printed page or more),
 * per host the manual steps the engine reached and nobody has recorded yet
 * (the store's manual steps without a record: docs/INSPECTION.md), with
 * empty boxes for the result, the person and the date, to be entered
 * afterwards with `rollout record`. Built from the store only.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report-int.h"
#include "store.h"
#include "util.h"

static const struct ro_report_col cols[] = {
	{ "host", "端末", 18 },
	{ "item", "点検項目", 8 },
	{ "step", "手順", 28 },
	{ "result", "結果 (□に印)", 26 },
	{ "person", "確認者", 14 },
	{ "date", "確認日", 18 },
	{ "note", "備考", 30 },
};

/* A sheet name from a site id: at most 31 characters (bytes here, which
 * is stricter), none of the characters .xlsx forbids. */
static char *
sheet_name(const char *site)
{
	size_t n = strlen(site), i;
	char *s;

	if (n > 28)
		n = 28;
	while (n > 0 && ((unsigned char)site[n] & 0xC0) == 0x80)
		n--;
	s = ro_xasprintf("%.*s", (int)n, site);
	for (i = 0; s[i]; i++)
		if (strchr("[]:*?/\\", s[i]) != NULL)
			s[i] = '_';
	return s;
}

int
ro_report_checklist(struct ro_store *st, const char *campaign, const char *site,
    const struct ro_journal_check *jc, int64_t now, struct ro_report **out, char **cause)
{
	struct ro_campaign_info c;
	struct ro_manual_item *m = NULL;
	struct ro_host_info *hosts = NULL;
	struct ro_report *r = NULL;
	struct ro_report_sheet *s = NULL;
	size_t nm = 0, nhosts = 0, i, k, pending = 0, nsheets = 0, npending_hosts = 0;
	const char *cur = NULL, *last_host = NULL;
	int rc, site_known = site == NULL;

	*out = NULL;
	memset(&c, 0, sizeof c);
	if ((rc = ro_store_campaign_get(st, campaign, &c, cause)) != RO_OK)
		return rc;
	if ((rc = ro_store_host_list(st, campaign, -1, &hosts, &nhosts)) != RO_OK ||
	    (rc = ro_store_manual_list(st, campaign, &m, &nm)) != RO_OK) {
		*cause = ro_xasprintf("%s", ro_store_errmsg(st));
		goto out;
	}
	for (i = 0; i < nhosts && !site_known; i++)
		site_known = strcmp(hosts[i].site, site) == 0;
	if (!site_known) {
		*cause = ro_xasprintf("campaign %s has no host at site \"%s\"; `rollout status %s` "
		    "lists its sites", campaign, site, campaign);
		rc = RO_ENOENT;
		goto out;
	}
	for (i = 0; i < nm; i++)
		if (m[i].result == NULL && (site == NULL || strcmp(m[i].site, site) == 0)) {
			/* The list is ordered by site, then host. */
			if (last_host == NULL || strcmp(last_host, m[i].host) != 0)
				npending_hosts++;
			last_host = m[i].host;
			pending++;
		}

	r = ro_report_new("checklist", "現地確認チェックリスト", c.id);
	ro_report_item_text(r, "campaign", "作業 (キャンペーン)", c.id);
	ro_report_item_text(r, "title", "件名", c.title);
	ro_report_item_text(r, "plan_hash", "計画ハッシュ", c.plan_hash);
	ro_report_item_text(r, "site", "拠点", site ? site : "すべての拠点");
	ro_report_item_int(r, "hosts", "未記録のある端末数", (int64_t)npending_hosts);
	ro_report_item_int(r, "pending", "現地確認 未記録", (int64_t)pending);
	ro_report_item_text(r, "how_to_record", "記録の方法",
	    "確認後、結果を rollout record CAMPAIGN HOST STEP --result done|ok|finding --key FILE で記録する"
	    " (docs/INSPECTION.md)");
	ro_report_item_time(r, "made_at", "作成日時", now);
	ro_report_journal_items(r, jc);

	/* The store lists manual steps by site, then host, then step: one
	 * sheet per site with something still to do, begun at its first. */
	for (i = 0; i < nm; i++) {
		if (m[i].result != NULL || (site != NULL && strcmp(m[i].site, site) != 0))
			continue;
		if (cur == NULL || strcmp(cur, m[i].site) != 0) {
			char *name = sheet_name(m[i].site);
			s = ro_report_sheet(r, m[i].site, name, cols, RO_NELEM(cols));
			nsheets++;
			free(name);
			cur = m[i].site;
		}
		{
			char *it = ro_finding_item(m[i].step_name);
			ro_report_row(s);
			ro_report_text(s, m[i].host);
			ro_report_text(s, it);
			ro_report_text(s, m[i].step_name);
			ro_report_text(s, "□ 実施 / □ 適合 / □ 指摘あり");
			ro_report_null(s);
			ro_report_text(s, "令和　年　月　日");
			ro_report_null(s);
			free(it);
		}
	}
	for (k = 0; k < r->nsheets; k++)
		ro_report_note(r->sheets[k], "結果は 実施 (done)・適合 (ok)・指摘あり (finding) のいずれか。"
		    "指摘ありは備考に内容を書き、rollout record の --note で記録する。");
	if (nsheets == 0) {
		s = ro_report_sheet(r, "none", "未記録なし", cols, RO_NELEM(cols));
		ro_report_note(s, "現地で記録を待つ手順はない。");
	}
	*out = r;
	r = NULL;
	rc = RO_OK;
out:
	ro_report_free(r);
	ro_campaign_info_clear(&c);
	ro_host_list_free(hosts, nhosts);
	ro_manual_list_free(m, nm);
	return rc;
}
