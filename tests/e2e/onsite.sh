#!/usr/bin/env bash
# The end of a run whose manual steps still wait for people on site (issue 13), on the
# shipped annual inspection narrowed to kikusui (CS pair and a terminal) and the city hall
# (two terminals), as inspection.sh runs it:
#  - `rollout run` does not end "campaign done": its summary says awaiting-on-site with the
#    count of manual steps and hosts (the same count `rollout status` gives) and the next
#    commands (`rollout report checklist`, `rollout record`); --progress json says so too;
#  - `rollout report checklist` (現地確認チェックリスト, .xlsx) read back with openpyxl: one
#    sheet per site, one row per waiting step, boxes to fill in; --site keeps one site;
#    after `rollout record` the recorded steps are off the list; page 1 printed to PNG.
. "$(dirname "$0")/lib.sh"

C=2027-02-annual-inspection
CW=$WORK/campaign
PY=/usr/bin/python3 # Debian's python3, which has python3-openpyxl
mkdir -p "$CW"
sed -e "s#\.\./\.\./inventory/#$SRC/inventory/#; s#\.\./approvers/#$SRC/playbooks/approvers/#" \
	-e "s#\.\./annual-inspection\.yml#$SRC/playbooks/annual-inspection.yml#" \
	-e 's/^start: \(.*\)$/targets: {sites: [kikusui, city-hall]}\nstart: \1/' \
	"$SRC/playbooks/campaigns/$C.yml" >"$CW/$C.yml"

run_campaign "$CW/$C.yml"
approve_all "$C"
wait_run
check "the run exits 0" [ "$RUN_RC" = 0 ]
st=$(status_json "$C")
pending=$(echo "$st" | json "d['on_site_pending']")
check "status: awaiting-on-site with 16 on-site items (got $pending)" \
	[ "$(echo "$st" | json "d['state']")" = awaiting-on-site ] && [ "$pending" = 16 ]

# --- the run's own last words -------------------------------------------------------
tail -n 4 "$WORK/run.log" | sed 's/^/    | /'
last=$(tail -n 3 "$WORK/run.log")
check "run does not say the campaign is done" bash -c '! grep -q "campaign done" "$1"' _ "$WORK/run.log"
check "run says awaiting-on-site with status's count: 16 manual steps on 5 hosts" \
	has "$last" "campaign $C awaiting-on-site: 16 manual steps on 5 hosts wait for on-site records"
check "and names the next commands with the state directory" \
	has "$last" "next: rollout report checklist $C --state-dir " "rollout record $C HOST"

# --- 現地確認チェックリスト -----------------------------------------------------------------
check "report checklist writes the .xlsx" "$ROLLOUT" report checklist "$C" --state-dir "$STATE" \
	-o "$WORK/checklist.xlsx"
cat >"$WORK/check.py" <<'PYEOF'
import sqlite3, sys, openpyxl
path, dbp, c, sites, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), int(sys.argv[5])
bad = []
wb = openpyxl.load_workbook(path)
if wb.sheetnames != ["概要"] + sites:
    bad.append("sheets %r, expected %r" % (wb.sheetnames, ["概要"] + sites))
db = sqlite3.connect(dbp)
waiting = set()
for h, site, step in db.execute(
        "SELECT DISTINCT i.host, h.site, i.step_name FROM step_intents i JOIN step_outcomes o ON o.intent = i.id"
        " JOIN campaign_hosts h ON h.campaign = i.campaign AND h.host = i.host"
        " WHERE i.campaign = ? AND o.status = 'skipped' AND o.detail LIKE 'manual step%'"
        " AND NOT EXISTS (SELECT 1 FROM manual_records m WHERE m.campaign = i.campaign AND m.host = i.host"
        "   AND m.step_name = i.step_name)", (c,)):
    if site in sites:
        waiting.add((site, h, step))
got = set()
for site in sites[:len(wb.sheetnames) - 1]:
    ws = wb[site]
    heads = [ws.cell(1, k).value for k in range(1, 8)]
    if heads != ["端末", "点検項目", "手順", "結果 (□に印)", "確認者", "確認日", "備考"]:
        bad.append("%s headings %r" % (site, heads))
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 3).value is None:
            break
        got.add((site, ws.cell(r, 1).value, ws.cell(r, 3).value))
        if ws.cell(r, 4).value != "□ 実施 / □ 適合 / □ 指摘あり" or ws.cell(r, 5).value is not None:
            bad.append("%s row %d: boxes %r %r" % (site, r, ws.cell(r, 4).value, ws.cell(r, 5).value))
if got != waiting:
    bad.append("rows %r != the store's waiting steps %r" % (sorted(got - waiting), sorted(waiting - got)))
if len(got) != want:
    bad.append("%d rows, expected %d" % (len(got), want))
summary = {wb["概要"].cell(r, 1).value: wb["概要"].cell(r, 2).value for r in range(2, wb["概要"].max_row + 1)}
if str(summary.get("現地確認 未記録")) != str(want):
    bad.append("summary pending %r" % summary.get("現地確認 未記録"))
for b in bad:
    print("    " + b)
sys.exit(1 if bad else 0)
PYEOF
check "one sheet per site, one row per waiting step (16), as the store has them" \
	$PY "$WORK/check.py" "$WORK/checklist.xlsx" "$STATE/state.db" "$C" city-hall,kikusui 16
check "--site kikusui keeps that site (8 steps)" "$ROLLOUT" report checklist "$C" --site kikusui \
	--state-dir "$STATE" -o "$WORK/kikusui.xlsx"
check "... read back" $PY "$WORK/check.py" "$WORK/kikusui.xlsx" "$STATE/state.db" "$C" kikusui 8
rc=0; "$ROLLOUT" report checklist "$C" --site nowhere --state-dir "$STATE" -o "$WORK/x.xlsx" \
	2>"$WORK/nosite.err" || rc=$?
check "a site without hosts is refused with exit 2 ($rc), nothing written" \
	[ "$rc" = 2 ] && [ ! -e "$WORK/x.xlsx" ]
key=$(approver_key tanaka)
check "tanaka records t11 on both city-hall terminals" "$ROLLOUT" record "$C" \
	city-hall-t01,city-hall-t02 t11-devices --result ok --state-dir "$STATE" --key "$key" \
	--passphrase-fd 3 3< <(printf 'e2e approver tanaka passphrase\n')
check "printed again, the checklist has the 14 steps left" "$ROLLOUT" report checklist "$C" \
	--state-dir "$STATE" -o "$WORK/checklist2.xlsx"
check "... read back: the recorded steps are off it" \
	$PY "$WORK/check.py" "$WORK/checklist2.xlsx" "$STATE/state.db" "$C" city-hall,kikusui 14

if command -v soffice >/dev/null && command -v pdftoppm >/dev/null; then
	soffice --headless "-env:UserInstallation=file://$WORK/lo-profile" --convert-to pdf \
		--outdir "$WORK" "$WORK/kikusui.xlsx" >"$WORK/soffice.log" 2>&1 </dev/null
	check "LibreOffice prints the kikusui checklist to PDF" [ -s "$WORK/kikusui.pdf" ]
	pdftoppm -png -r 70 -f 2 -l 2 "$WORK/kikusui.pdf" "$WORK/checklist-page" &&
		mv "$WORK"/checklist-page*.png "$WORK/checklist-page2.png"
	check "its site page is rendered to $WORK/checklist-page2.png" [ -s "$WORK/checklist-page2.png" ]
fi
finish
