#!/usr/bin/env bash
# The shipped annual inspection (playbooks/campaigns/2027-02-annual-inspection.yml) on the
# simulated fleet, narrowed to the CS site (kikusui: the CS pair and a terminal) and the city
# hall (two terminals), so both roles run all their items (issue 13):
#  - a clean fleet has 0 findings; a fleet with planted deviations (the fixture's
#    `--fault deviate:HOST:ITEM` flags, listed in $DEVIATIONS as HOST:ITEM) has exactly
#    those, each with its item number and its output;
#  - the run ends with the on-site items still to do: `awaiting-on-site`, listed per site;
#  - `rollout record` by someone not on the roster is refused (exit 2, nothing written);
#    recorded by people on the roster (one list of hosts at once, one on-site finding),
#    the campaign is done.
. "$(dirname "$0")/lib.sh"

C=2027-02-annual-inspection
CW=$WORK/campaign
mkdir -p "$CW"
# The shipped file unchanged but for its relative paths and a narrower scope.
sed -e "s#\.\./\.\./inventory/#$SRC/inventory/#; s#\.\./approvers/#$SRC/playbooks/approvers/#" \
	-e "s#\.\./annual-inspection\.yml#$SRC/playbooks/annual-inspection.yml#" \
	-e 's/^start: \(.*\)$/targets: {sites: [kikusui, city-hall]}\nstart: \1/' \
	"$SRC/playbooks/campaigns/$C.yml" >"$CW/$C.yml"
check "the narrowed campaign validates" "$ROLLOUT" validate "$CW/$C.yml"

run_campaign "$CW/$C.yml"
approve_all "$C"
wait_run
check "the run exits 0 (findings do not fail hosts)" [ "$RUN_RC" = 0 ]
[ "$RUN_RC" = 0 ] || tail -20 "$WORK/run.log"
st=$(status_json "$C")
echo "$st" >"$WORK/status.json"

# --- findings ---------------------------------------------------------------
want=$(for d in ${DEVIATIONS:-}; do echo "$d"; done | sort)
got=$(echo "$st" | json "'\n'.join(sorted(f['host'] + ':' + (f['item'] or '?') for f in d['findings']))")
n=$(echo "${DEVIATIONS:-}" | wc -w)
check "exactly the $n planted deviation(s) are findings (got: ${got:-none})" [ "$got" = "$want" ]
check "finding_count is $n" [ "$(echo "$st" | json "d['finding_count']")" = "$n" ]
for d in ${DEVIATIONS:-}; do
	h=${d%%:*} i=${d##*:}
	out=$(echo "$st" | json "[f for f in d['findings'] if f['host'] == '$h' and f['item'] == '$i'][0]['output']")
	case $i in
	t03|c02) phrase="unexpected accounts: support01" ;;
	t06|c05) phrase="logon failure auditing is off" ;;
	c10) phrase="port 1521 is listening" ;;
	*) phrase="" ;;
	esac
	check "$h $i: its output is kept (${#out} bytes) and says what was found" has "$out" "$phrase"
	check "$h $i: its step is named after item $i" \
		starts "$(echo "$st" | json "[f for f in d['findings'] if f['host'] == '$h' and f['item'] == '$i'][0]['step']")" "$i-"
done
if [ -z "${DEVIATIONS:-}" ]; then
	# The clean fleet ran every automated item, and every one passed.
	ran=$(sqlite3 "$STATE/state.db" "SELECT count(DISTINCT i.host || i.step_name) FROM step_intents i
		JOIN step_outcomes o ON o.intent = i.id WHERE i.campaign = '$C' AND o.status = 'ok'")
	check "all 23 automated items passed on their hosts (3 terminals x 12 + 2 CS x 11 = 58, got $ran)" [ "$ran" = 58 ]
fi
text=$("$ROLLOUT" status "$C" --state-dir "$STATE" || true)
if [ -n "${DEVIATIONS:-}" ]; then
	check "status lists the findings with their count" has "$text" "findings: $n"
fi

# --- on-site items ------------------------------------------------------------
check "the campaign awaits its on-site items" [ "$(echo "$st" | json "d['state']")" = awaiting-on-site ]
check "the list of campaigns says so too" has "$("$ROLLOUT" status --state-dir "$STATE")" awaiting-on-site
check "16 on-site items are left (3 terminals x 4 + 2 CS x 2)" [ "$(echo "$st" | json "d['on_site_pending']")" = 16 ]
check "status says what is left per site" has "$text" "still to do on site: 16 manual steps" \
	"city-hall: 8" "kikusui: 8" "city-hall-t01    t11-devices" "cs-active        c11-devices"

record_as() { # record_as NAME ARGS...
	local who=$1 key
	shift
	key=$(approver_key "$who")
	"$ROLLOUT" record "$C" "$@" --state-dir "$STATE" --key "$key" --passphrase-fd 3 \
		3< <(printf 'e2e approver %s passphrase\n' "$who")
}
rc=0; record_as yamada city-hall-t01 t11-devices --result ok 2>"$WORK/refused.err" || rc=$?
check "a record by yamada (not on the roster) is refused with exit 2" [ "$rc" = 2 ]
check "the refusal says why" grep -q "not on the roster" "$WORK/refused.err"
check "nothing was recorded for it" [ "$(sqlite3 "$STATE/state.db" "SELECT count(*) FROM manual_records")" = 0 ]
check "the refusal is journaled" [ "$(sqlite3 "$STATE/state.db" \
	"SELECT count(*) FROM journal WHERE kind = 'security.record-refused'")" = 1 ]
rc=0; record_as sato city-hall-t01 t11-devices --result maybe 2>/dev/null || rc=$?
check "a result other than done|ok|finding is bad usage (exit 2)" [ "$rc" = 2 ]
rc=0; record_as sato city-hall-t01,cs-active t11-devices --result ok 2>"$WORK/nostep.err" || rc=$?
check "a list with a host that has no such step records nothing (exit 2)" [ "$rc" = 2 ]
check "... for any of its hosts" [ "$(sqlite3 "$STATE/state.db" "SELECT count(*) FROM manual_records")" = 0 ]

check "tanaka records t11 on both city-hall terminals at once" \
	record_as tanaka city-hall-t01,city-hall-t02 t11-devices --result ok
check "sato records a wire lock missing on kikusui-t01 as a finding" \
	record_as sato kikusui-t01 t15-wire-lock --result finding --note "ワイヤーロック未施錠"
st=$(status_json "$C")
check "13 on-site items are left" [ "$(echo "$st" | json "d['on_site_pending']")" = 13 ]
check "the record names the person in Japanese and the login beside it" [ "$(echo "$st" | json \
	"[m['person_ja'] + '/' + m['login'] for m in d['on_site'] if m['host'] == 'city-hall-t02' and m['step'] == 't11-devices'][0]")" \
	= "田中 一郎/$(id -un)" ]
check "the on-site finding is a finding, with its item t15" [ "$(echo "$st" | json \
	"[f['item'] + ':' + str(f['on_site']) + ':' + f['detail'] for f in d['findings'] if f['host'] == 'kikusui-t01' and f['on_site']][0]")" \
	= "t15:True:ワイヤーロック未施錠" ]
check "the record's signature verifies under the signer's key" python3 - "$STATE/state.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(*) FROM manual_records WHERE length(signature) = 128 AND length(signer_key) = 64").fetchone()[0]
sys.exit(0 if n == 3 else 1)
PY
# The rest, one host and item at a time, as the people walking the sites would.
echo "$st" | json "'\n'.join(m['host'] + ' ' + m['step'] for m in d['on_site'] if m['result'] is None)" |
	while read -r h s; do
		record_as sato "$h" "$s" --result done >/dev/null || echo "FAIL: record $h $s"
	done
st=$(status_json "$C")
check "nothing is left on site" [ "$(echo "$st" | json "d['on_site_pending']")" = 0 ]
check "the campaign is done once every on-site item is recorded" [ "$(echo "$st" | json "d['state']")" = done ]
check "the journal chain still verifies" "$ROLLOUT" audit verify --state-dir "$STATE"
check "each of the 16 records is journaled" [ "$(sqlite3 "$STATE/state.db" \
	"SELECT count(*) FROM journal WHERE kind = 'manual.record'")" = 16 ]
# --- 点検報告書 (rollout report inspection), read back with openpyxl -----------------
if "$ROLLOUT" help report 2>/dev/null | grep -q inspection; then
	check "rollout report inspection writes the .xlsx" "$ROLLOUT" report inspection "$C" \
		--state-dir "$STATE" -o "$WORK/inspection.xlsx"
	check "the 29 items x 5 hosts read back as the store has them" /usr/bin/python3 - \
		"$WORK/inspection.xlsx" "$STATE/state.db" "$C" "${DEVIATIONS:-}" <<'PY'
import sqlite3, sys
import openpyxl
path, dbp, c, devs = sys.argv[1:5]
bad = []
wb = openpyxl.load_workbook(path)
if wb.sheetnames != ["概要", "点検結果一覧", "指摘事項", "現地確認記録"]:
    bad.append(f"sheets {wb.sheetnames}")
ws = wb["点検結果一覧"]
heads = [ws.cell(1, k).value for k in range(1, ws.max_column + 1)]
items = [f"t{i:02d}" for i in range(1, 17)] + [f"c{i:02d}" for i in range(1, 14)]
if heads[3:32] != [f"端末{i}" for i in range(1, 17)] + [f"CS{i}" for i in range(1, 14)]:
    bad.append(f"headings {heads}")
db = sqlite3.connect(dbp)
hosts = {h for (h,) in db.execute("SELECT host FROM campaign_hosts WHERE campaign = ?", (c,))}
rows = {ws.cell(r, 2).value: [ws.cell(r, k).value for k in range(4, 33)] for r in range(2, ws.max_row + 1)
        if ws.cell(r, 2).value is not None}
if set(rows) != hosts:
    bad.append(f"hosts {sorted(rows)} != store {sorted(hosts)}")
# Expected: × for each planted deviation and the on-site finding; ○ elsewhere on the
# host's own kind of items; empty for the other kind.
crosses = {tuple(d.split(":")) for d in devs.split()} | {("kikusui-t01", "t15")}
for h, marks in rows.items():
    cs = h.startswith("cs-")
    for it, m in zip(items, marks):
        want = None if (it[0] == "c") != cs else ("×" if (h, it) in crosses else "○")
        if m != want:
            bad.append(f"{h} {it}: {m!r}, expected {want!r}")
f = wb["指摘事項"]
found = {(f.cell(r, 2).value, f.cell(r, 3).value) for r in range(2, f.max_row + 1) if f.cell(r, 2).value}
if found != crosses:
    bad.append(f"指摘事項 {sorted(found)} != {sorted(crosses)}")
o = wb["現地確認記録"]
people = {o.cell(r, 6).value for r in range(2, o.max_row + 1) if o.cell(r, 2).value}
nrec = sum(1 for r in range(2, o.max_row + 1) if o.cell(r, 2).value)
if people != {"佐藤 花子", "田中 一郎"} or nrec != 16:
    bad.append(f"現地確認記録: {nrec} rows, people {people}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
fi
finish
