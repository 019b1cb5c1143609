#!/usr/bin/env bash
# procedure.sh ROLLOUT SRCDIR OUTDIR - the work procedure (作業手順書) in the plan page.
#
# The plan HTML of a shipped campaign holds, below the Gantt chart, the procedure the city
# approves: the steps with their Japanese titles, the KB numbers and artefact hashes, the
# per-host times as a table (not only in SVG tooltips), the downtime per site, the rollback,
# the contacts, the plan hash and the approval block; every value from a file is escaped.
# Then headless Chromium prints it to PDF (A4) and screenshots it into OUTDIR, and the PDF's
# pages are rendered to PNG (poppler's pdftoppm) so that a person can look at the paper.
set -u

rollout=${1:?usage: procedure.sh ROLLOUT SRCDIR OUTDIR}
srcdir=${2:?usage: procedure.sh ROLLOUT SRCDIR OUTDIR}
outdir=${3:?usage: procedure.sh ROLLOUT SRCDIR OUTDIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$outdir"
mkdir -p "$outdir" || exit 1
cd "$srcdir" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL  %s: %s\n' "$1" "$2"
	[ -s "$tmp/err" ] && sed 's/^/        | /' "$tmp/err" | head -n 12
	return 0
}
# has NAME FILE TEXT: FILE contains TEXT (fixed string).
has() {
	if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1" "no '$3' in $2"; fi
}
run() {
	timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

html=$outdir/2026-10-os-update.html
camp=playbooks/campaigns/2026-10-os-update.yml
TERM_SHA=2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474

# 1. The procedure is in the plan page of a shipped campaign.
run "$rollout" plan --html "$html" "$camp"
if [ "$rc" -eq 0 ] && [ -s "$html" ]; then pass "plan --html exits 0"; else fail "plan --html" "rc=$rc"; fi
run "$rollout" plan --json "$camp"
hash=$(sed -n 's/^{"plan_hash":"\([0-9a-f]\{64\}\)".*/\1/p' "$tmp/out")
[ -n "$hash" ] || fail "plan hash" "none in plan --json"
has "procedure heading" "$html" '作業手順書'
has "procedure below the Gantt chart" <(sed -n '/拠点別ガントチャート/,$p' "$html") '<section class="proc" id="procedure">'
has "a step's Japanese title" "$html" '更新プログラムの適用'
has "the CS step's title" "$html" '再起動後のクラスタ復帰の確認'
has "KB number" "$html" '<td>KB5066835</td>'
has "artefact file" "$html" 'windows11.0-kb5066835-x64.msu'
has "artefact sha256" "$html" "<code class=\"h\">$TERM_SHA</code>"
has "conditional restart" "$html" '再起動（更新プログラムが求めた場合）※'
has "downtime per site" "$html" '4. 再起動と停止の見込み（拠点別）'
has "per-host times in a table cell" "$html" '<tr><td>kita-t01</td><td>統合端末</td>'
has "rollback with the KB filled in" "$html" '更新プログラム（端末は KB5066835、CSは KB5066782）'
has "contacts" "$html" '<td>090-0000-0001</td>'
has "approval block" "$html" '<th>承認者（市）</th>'
has "plan hash in the approval block" <(sed -n '/class="approval"/,$p' "$html") "$hash"
has "A4 print stylesheet" "$html" '@page{size:A4'
if grep -q '{{' "$html"; then fail "no unfilled reference" "$(grep -o '.\{20\}{{.\{20\}' "$html" | head -1)"; else pass "no unfilled reference"; fi

# A campaign of two playbooks: each one's steps are headed by its title, and each has its rollback.
run "$rollout" plan --html "$outdir/2026-10-combined.html" playbooks/campaigns/2026-10-combined.yml
if [ "$rc" -eq 0 ]; then pass "plan of the combined campaign"; else fail "plan of the combined campaign" "rc=$rc"; fi
has "second playbook's steps headed" "$outdir/2026-10-combined.html" '<tr class="site"><th colspan="5">管理者権限パスワードの変更</th></tr>'
has "second playbook's step" "$outdir/2026-10-combined.html" 'Windows管理者パスワードの変更'
has "second playbook's rollback" "$outdir/2026-10-combined.html" '新しい値としてボールトに登録し、同じ手順で戻す'

# 2. Every value from a file is escaped: a contact's name and org, a step's title, a rollback.
sed -e 's|title_ja: ログの圧縮|title_ja: "<img src=x onerror=alert(2)>"|' \
    -e "s|^  - 'ログの取得は|  - '<iframe>ログの取得は|" \
    playbooks/log-collection.yml >"$tmp/log-collection.yml"
sed -e 's|^inventory: ../../|inventory: '"$srcdir"'/|' \
    -e 's|^approvers: ../|approvers: '"$srcdir"'/playbooks/|' \
    -e 's|^playbooks: .*|playbooks: ['"$tmp"'/log-collection.yml]|' \
    playbooks/campaigns/2026-11-log-collection-kita-t05.yml >"$tmp/xss.yml"
cat >>"$tmp/xss.yml" <<'YAML'
contacts:
  - {role: 作業責任者, name: "<script>alert(1)</script>", org: "\"&<b>", phone: 090-0000-0001}
YAML
run "$rollout" plan --html "$tmp/xss.html" "$tmp/xss.yml"
if [ "$rc" -eq 0 ]; then pass "plan of the hostile campaign"; else fail "plan of the hostile campaign" "rc=$rc"; fi
has "script escaped" "$tmp/xss.html" '&lt;script&gt;alert(1)&lt;/script&gt;'
has "quote and ampersand escaped" "$tmp/xss.html" '&quot;&amp;&lt;b&gt;'
has "title escaped" "$tmp/xss.html" '&lt;img src=x onerror=alert(2)&gt;'
has "rollback escaped" "$tmp/xss.html" '&lt;iframe&gt;ログの取得は'
if grep -q '<script\|<b>\|<img\|<iframe' "$tmp/xss.html"; then fail "no markup from the file" "found"; else pass "no markup from the file"; fi

# 3. A bad contact: exit 2, file:line:col, no page written.
sed -e 's|phone: 090-0000-0001|phone: call-me|' "$tmp/xss.yml" >"$tmp/bad.yml"
line=$(grep -n 'call-me' "$tmp/bad.yml" | cut -d: -f1)
run "$rollout" plan --html "$tmp/bad.html" "$tmp/bad.yml"
if [ "$rc" -eq 2 ] && grep -q "bad.yml:$line:[0-9]*: .*'call-me' is not a phone number" "$tmp/err" &&
    [ ! -e "$tmp/bad.html" ]; then
	pass "bad phone refused at file:line:col"
else
	fail "bad phone refused at file:line:col" "rc=$rc"
fi

# 4. On paper: headless Chromium prints it on A4 and screenshots it; the PDF's text holds
# the procedure (nothing only in a tooltip) and its pages are rendered to PNG.
if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then
	echo "skip: chromium or pdftoppm (poppler-utils) missing"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 77
fi
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	    --user-data-dir="$tmp/chrome" "$@" >"$tmp/out" 2>"$tmp/err"
}
chrome --no-pdf-header-footer --print-to-pdf="$outdir/procedure.pdf" "file://$html"
if [ -s "$outdir/procedure.pdf" ]; then pass "printed to PDF"; else fail "printed to PDF" "no $outdir/procedure.pdf"; fi
chrome --window-size=1280,4000 --screenshot="$outdir/plan-screen.png" "file://$html"
if [ -s "$outdir/plan-screen.png" ]; then pass "screenshot"; else fail "screenshot" "no png"; fi
pdfinfo "$outdir/procedure.pdf" >"$tmp/info" 2>"$tmp/err"
has "A4 pages" "$tmp/info" '(A4)'
pdftotext -layout "$outdir/procedure.pdf" "$outdir/procedure.txt" 2>"$tmp/err"
has "paper: the procedure" "$outdir/procedure.txt" '作業手順書'
has "paper: the approval block" "$outdir/procedure.txt" '承認者（市）'
has "paper: per-host times" "$outdir/procedure.txt" 'kita-t01'
has "paper: the artefact hash" "$outdir/procedure.txt" "${TERM_SHA:0:40}"
has "paper: the page footer with the plan hash" "$outdir/procedure.txt" "計画ハッシュ ${hash:0:16}"
pdftoppm -r 70 -png "$outdir/procedure.pdf" "$outdir/page" 2>"$tmp/err"
pages=$(ls "$outdir"/page-*.png 2>/dev/null | wc -l)
if [ "$pages" -gt 1 ]; then pass "pages rendered to PNG ($pages)"; else fail "pages rendered to PNG" "$pages"; fi
echo "look at: $outdir/plan-screen.png and $outdir/page-*.png"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
