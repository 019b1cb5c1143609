#!/usr/bin/env bash
# The city's reports from a real run on the simulator: `report work` (作業報告書)
# and `report monthly` (月次報告書) as .xlsx, CSV and JSON, each read back with
# openpyxl / csv / json and compared with the store through sqlite3 (not the
# engine's word); written atomically, never over an existing file without
# --force, never through a link; one report printed to PDF by LibreOffice and
# its first page rendered to PNG (report-work-page1.png in this test's work
# directory) for a person to look at.
. "$(dirname "$0")/lib.sh"
C=e2e-report
file=$SRC/tests/e2e/campaigns/report.yml
db=$STATE/state.db
out=$WORK/out
mkdir -p "$out"
PY=/usr/bin/python3 # Debian's python3, which has python3-openpyxl
checker=$SRC/tests/e2e/report-check.py
report() { "$ROLLOUT" report "$@" --state-dir "$STATE"; }

"$ROLLOUT" plan "$file" --save --state-dir "$STATE" >/dev/null
approve_as sato $C 1 --comment "承認します (e2e)" >/dev/null
date +%s >"$WORK/anchor"
run_campaign "$file"
wait_run
check "the run exits 0 ($RUN_RC)" [ "$RUN_RC" = 0 ]
steps=$(sqlite3 "$db" "SELECT count(*) FROM step_intents WHERE campaign = '$C'")
check "the run recorded step runs ($steps)" [ "$steps" -gt 10 ]
head=$("$ROLLOUT" audit head --state-dir "$STATE" | sed -n 's/^journal head: #\([0-9]*\) \([0-9a-f]*\) .*/\1:\2/p')
check "audit head gives SEQ:HASH ($head)" [ -n "$head" ]

# 1. 作業報告書 three ways, each compared with the store.
report work $C -o "$out/work.xlsx" 2>"$out/work.err" && rc=0 || rc=$?
check "report work writes the .xlsx ($rc)" [ "$rc" = 0 ]
check "and says where" grep -qF "wrote $out/work.xlsx" "$out/work.err"
check "the .xlsx matches the store (sheets, headings, rows, times, people, journal head, A4)" \
	$PY "$checker" work-xlsx "$db" $C "$out/work.xlsx" "$head"
report work $C --format csv -o "$out/work.csv" 2>/dev/null
check "the CSV (BOM, CRLF, RFC 4180) parses back to the store's rows, formulas neutralised" \
	$PY "$checker" work-csv "$db" $C "$out/work.csv"
report work $C --format json -o - >"$out/work.json"
check "the JSON on standard output matches the store" \
	$PY "$checker" work-json "$db" $C "$out/work.json" "$head"
check "the report's journal head proves the journal (audit verify --head)" \
	"$ROLLOUT" audit verify --state-dir "$STATE" --head "$head"
check "no report holds the fleet's password" \
	bash -c "! grep -rqaF 'Init1al-Pass!' '$out'; ! unzip -p '$out/work.xlsx' | grep -qaF 'Init1al-Pass!'"

# 2. Never a half-written or overwritten file, never through a link.
sum_before=$(sha256sum <"$out/work.csv")
report work $C --format csv -o "$out/work.csv" 2>"$out/again.err" && rc=0 || rc=$?
check "an existing file is not overwritten without --force (exit $rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'exists; give another name with -o, or --force' '$out/again.err'"
check "and is unchanged" [ "$(sha256sum <"$out/work.csv")" = "$sum_before" ]
echo "not a report" >"$out/victim"
ln -s "$out/victim" "$out/link.xlsx"
report work $C -o "$out/link.xlsx" 2>/dev/null && rc=0 || rc=$?
check "a link at the name is refused without --force (exit $rc)" [ "$rc" = 2 ]
report work $C -o "$out/link.xlsx" --force 2>/dev/null
check "with --force the link is replaced, not followed" \
	bash -c "[ ! -L '$out/link.xlsx' ] && [ \"\$(cat '$out/victim')\" = 'not a report' ]"
check "and no temporary file is left beside it" \
	bash -c "[ -z \"\$(find '$out' -name '.rollout-report.*')\" ]"
report work $C -o "$out/nodir/work.xlsx" 2>/dev/null && rc=0 || rc=$?
check "a directory that does not exist fails (exit $rc) and leaves nothing" \
	bash -c "[ $rc = 1 ] && [ ! -e '$out/nodir' ]"

# 3. Bad input: exit 2, nothing written.
report work nosuch -o "$out/nosuch.xlsx" 2>"$out/nosuch.err" && rc=0 || rc=$?
check "an unknown campaign is bad input (exit $rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'no campaign nosuch' '$out/nosuch.err' && [ ! -e '$out/nosuch.xlsx' ]"
"$ROLLOUT" report work $C --state-dir "$WORK/nowhere" -o "$out/nowhere.xlsx" 2>"$out/nowhere.err" && rc=0 || rc=$?
check "a state directory without a store is bad input (exit $rc), and is not created" \
	bash -c "[ $rc = 2 ] && grep -q 'no state store at' '$out/nowhere.err' && [ ! -e '$WORK/nowhere' ]"
report monthly 2026-13 -o "$out/m13.xlsx" 2>/dev/null && rc=0 || rc=$?
check "a month that does not exist is bad input (exit $rc)" [ "$rc" = 2 ]
report work $C --format pdf -o "$out/x.pdf" 2>/dev/null && rc=0 || rc=$?
check "an unknown format is bad input (exit $rc)" [ "$rc" = 2 ]
report work $C -o - >/dev/null 2>&1 && rc=0 || rc=$?
check "an .xlsx is not written to standard output (exit $rc)" [ "$rc" = 2 ]

# A journal changed behind the engine's back is refused: no report is made
# from records that may not be what was done.
cp -a "$STATE" "$WORK/forged"
sqlite3 "$WORK/forged/state.db" "DROP TRIGGER journal_no_update;
	UPDATE journal SET actor = 'mallory' WHERE seq = 20"
"$ROLLOUT" report work $C --state-dir "$WORK/forged" -o "$out/forged.xlsx" 2>"$out/forged.err" && rc=0 || rc=$?
check "a journal that does not verify is refused (exit $rc), naming the record, and nothing is written" \
	bash -c "[ $rc = 1 ] && grep -q 'journal record 20 does not verify' '$out/forged.err' && [ ! -e '$out/forged.xlsx' ]"

# 4. 月次報告書 of October 2026, the month the campaign ran in, with three
# incidents: a terminal attended in time, the CS attended late (closed with
# the explanation), and one in September that October's report leaves out.
inc() { "$ROLLOUT" incident "$@" --state-dir "$STATE"; }
inc open --host kita-t01 --kind terminal --instructed-at "2026-10-06 19:30" >/dev/null
inc arrive 1 --at "2026-10-07 10:00" >/dev/null
inc close 1 --at "2026-10-07 11:00" >/dev/null
inc open --host cs-active --kind cs --instructed-at "2026-10-08 10:00" >/dev/null
inc arrive 2 --at "2026-10-08 12:10" >/dev/null
inc close 2 --at "2026-10-08 15:00" --explanation "大雪で移動に時間を要したため" >/dev/null
inc open --host chuo-t01 --kind touch-panel --instructed-at "2026-09-30 10:00" >/dev/null
check "three incidents are recorded" [ "$(sqlite3 "$db" "SELECT count(*) FROM incidents")" = 3 ]
report monthly 2026-10 -o "$out/monthly.xlsx" 2>/dev/null && rc=0 || rc=$?
check "report monthly writes the .xlsx ($rc)" [ "$rc" = 0 ]
check "the monthly .xlsx lists the month's campaigns with the store's step counts, and the checklist" \
	$PY "$checker" monthly-xlsx "$db" 2026-10 "$out/monthly.xlsx"
report monthly 2026-10 --format csv -o "$out/monthly.csv" 2>/dev/null
check "the monthly CSV has its five sections" $PY "$checker" monthly-csv "$db" 2026-10 "$out/monthly.csv"
report monthly 2026-09 --format json -o - >"$out/sep.json"
check "September, before the run, has no campaign" \
	[ "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["summary"]["campaigns"])' "$out/sep.json")" = 0 ]

# 5. Printed: LibreOffice makes an A4 PDF with the Japanese text in a CJK font,
# and the first page is rendered for a person to look at.
lo=$WORK/lo-profile
soffice --headless "-env:UserInstallation=file://$lo" --convert-to pdf --outdir "$out" \
	"$out/work.xlsx" >"$out/soffice.log" 2>&1 </dev/null && rc=0 || rc=$?
check "LibreOffice prints the work report to PDF ($rc)" [ -s "$out/work.pdf" ]
check "on A4 paper" bash -c "pdfinfo '$out/work.pdf' | grep -q 'Page size:.*(A4)'"
check "with a CJK font embedded" bash -c "pdffonts '$out/work.pdf' | grep -q 'NotoSansCJK'"
# (Text is read into a variable first: grep -q would close the pipe early
# and pipefail would call that a failure.)
text=$(pdftotext "$out/work.pdf" -)
check "and the Japanese text in it (作業報告書, the section 作業明細 in the page header)" \
	has "$text" "作業報告書" "作業明細" "令和8年10月5日"
# Columns fit A4: every sheet is one page wide, so no page holds only the
# columns that did not fit (each page has the table's first heading).
pages=$(pdfinfo "$out/work.pdf" | sed -n 's/^Pages: *//p')
wide=0
for p in $(seq 1 "$pages"); do
	text=$(pdftotext -f "$p" -l "$p" "$out/work.pdf" -)
	has "$text" "ウェーブ" || has "$text" "項目" || wide=$((wide + 1))
done
check "every printed page begins with its headings: the columns fit the page width ($wide of $pages do not)" \
	[ "$wide" = 0 ]
pdftoppm -png -r 70 -f 1 -l 1 "$out/work.pdf" "$WORK/report-work-page" &&
	mv "$WORK"/report-work-page*.png "$WORK/report-work-page1.png"
check "the first page is rendered to $WORK/report-work-page1.png" [ -s "$WORK/report-work-page1.png" ]
finish
