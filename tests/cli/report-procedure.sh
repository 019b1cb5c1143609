#!/usr/bin/env bash
# report-procedure.sh ROLLOUT SRCDIR OUTDIR - `rollout report procedure` (作業手順書 as .xlsx).
#
# The shipped October campaign is written as .xlsx and JSON; openpyxl reads the workbook back
# and checks it against the plan and the JSON of the same model: the nine sheets by name, one
# row per playbook / artefact / step / site / host (182 hosts) / rollback action / contact, the
# plan hash of `rollout plan --json` in the summary, in every sheet's page header and in the
# approval sentence. Then LibreOffice prints it to an A4 PDF and pdftoppm renders page 1 into
# OUTDIR for a person to look at. Bad input: an ID that is not a file is refused with exit 2.
set -u

rollout=${1:?usage: report-procedure.sh ROLLOUT SRCDIR OUTDIR}
srcdir=${2:?usage: report-procedure.sh ROLLOUT SRCDIR OUTDIR}
outdir=${3:?usage: report-procedure.sh ROLLOUT SRCDIR OUTDIR}
PY=/usr/bin/python3 # Debian's python3, which has python3-openpyxl
campaign=playbooks/campaigns/2026-10-os-update.yml
rm -rf "$outdir"
mkdir -p "$outdir" || exit 1
cd "$srcdir" || exit 1
$PY -c 'import openpyxl' 2>/dev/null || { echo "SKIP: python3-openpyxl missing"; exit 77; }

passed=0
failed=0
check() {
	local name=$1
	shift
	if "$@"; then passed=$((passed + 1)); printf 'ok    %s\n' "$name"
	else failed=$((failed + 1)); printf 'FAIL  %s\n' "$name"; fi
}

hash=$("$rollout" plan --json "$campaign" | $PY -c 'import json,sys; print(json.load(sys.stdin)["plan_hash"])')
check "the plan has a hash ($hash)" [ ${#hash} = 64 ]
"$rollout" report procedure "$campaign" -o "$outdir/procedure.xlsx" 2>"$outdir/err"
check "report procedure writes the .xlsx (exit $?)" [ -s "$outdir/procedure.xlsx" ]
"$rollout" report procedure "$campaign" --format json -o "$outdir/procedure.json" 2>/dev/null
check "and the JSON" [ -s "$outdir/procedure.json" ]

cat >"$outdir/check.py" <<'PYEOF'
import json, sys, openpyxl
xlsx, js, plan_hash = sys.argv[1:4]
wb = openpyxl.load_workbook(xlsx)
d = json.load(open(js))
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append("%s: got %r, expected %r" % (what, got, exp))
names = ["概要", "作業内容", "適用ファイル", "作業手順", "拠点別停止", "機器別予定",
         "切り戻し手順", "連絡先", "承認"]
want("sheet names", wb.sheetnames, names)
want("summary plan hash", d["summary"]["plan_hash"], plan_hash)
want("summary hosts", d["summary"]["hosts"], 182)
for ws in wb:
    h = ws.oddHeader.left.text or ""
    if plan_hash[:16] not in h:
        bad.append("sheet %s: page header %r lacks the plan hash" % (ws.title, h))
# Each sheet after the summary: a heading row, then one row per model row
# (notes below the table do not count: rows with the first column filled).
for sheet, ws in zip(d["sheets"], wb.worksheets[1:]):
    want("sheet %s name" % sheet["key"], ws.title, sheet["name"])
    heads = [c.value for c in ws[1]][:len(sheet["columns"])]
    want("sheet %s headings" % sheet["key"], heads, [c["heading"] for c in sheet["columns"]])
    n = 0
    for row in ws.iter_rows(min_row=2, max_col=len(sheet["columns"]), values_only=True):
        if row[0] is None or not any(v is not None for v in row[1:]) and len(sheet["columns"]) > 1 and sheet["key"] != "approval":
            break
        n += 1
    want("sheet %s rows" % sheet["key"], n, len(sheet["rows"]))
by = {s["key"]: s for s in d["sheets"]}
want("one row per host", len(by["hosts"]["rows"]), 182)
want("hosts per playbook add up", sum(r["hosts"] for r in by["work"]["rows"]), 182)
want("hosts per site add up", sum(r["hosts"] for r in by["downtime"]["rows"]), 182)
want("three approval rows", len(by["approval"]["rows"]), 3)
if not any(plan_hash in n for n in by["approval"]["notes"]):
    bad.append("the approval sentence does not name the whole plan hash")
if not all(len(r["sha256"] or "") == 64 for r in by["artifacts"]["rows"]) or not by["artifacts"]["rows"]:
    bad.append("artefacts without a sha256")
if not any(r["kb"] for r in by["artifacts"]["rows"]):
    bad.append("no KB number among the artefacts")
if not all(r["title"] for r in by["steps"]["rows"]):
    bad.append("a step without a title")
if not any(any(ord(ch) > 0x3000 for ch in r["title"]) for r in by["steps"]["rows"]):
    bad.append("no Japanese step title")
for b in bad:
    print("    " + b)
sys.exit(1 if bad else 0)
PYEOF
check "openpyxl reads it back: sheets, headings, row counts of the model, the plan hash on every sheet" \
	$PY "$outdir/check.py" "$outdir/procedure.xlsx" "$outdir/procedure.json" "$hash"

"$rollout" report procedure 2026-10-os-update -o "$outdir/x.xlsx" 2>"$outdir/err-id"
rc=$?
check "a campaign ID that is not a file is refused with exit 2 ($rc)" [ "$rc" = 2 ]
check "saying it takes the campaign file" grep -q "takes the campaign file" "$outdir/err-id"
check "and writes nothing" [ ! -e "$outdir/x.xlsx" ]
"$rollout" report procedure "$campaign" -o "$outdir/procedure.xlsx" 2>/dev/null
rc=$?
check "an existing file is not overwritten without --force ($rc)" [ "$rc" = 2 ]

if command -v soffice >/dev/null && command -v pdftoppm >/dev/null; then
	lo=$outdir/lo-profile
	soffice --headless "-env:UserInstallation=file://$lo" --convert-to pdf --outdir "$outdir" \
		"$outdir/procedure.xlsx" >"$outdir/soffice.log" 2>&1 </dev/null
	check "LibreOffice prints it to PDF" [ -s "$outdir/procedure.pdf" ]
	check "on A4 paper" bash -c "pdfinfo '$outdir/procedure.pdf' | grep -q 'Page size:.*(A4)'"
	text=$(pdftotext -f 1 -l 1 "$outdir/procedure.pdf" -)
	check "page 1 has the title and the plan hash" bash -c \
		'case "$1" in *作業手順書*"${2:0:16}"*) exit 0;; *) exit 1;; esac' _ "$text" "$hash"
	pdftoppm -png -r 70 -f 1 -l 1 "$outdir/procedure.pdf" "$outdir/procedure-page" &&
		mv "$outdir"/procedure-page*.png "$outdir/procedure-page1.png"
	check "page 1 is rendered to $outdir/procedure-page1.png" [ -s "$outdir/procedure-page1.png" ]
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
