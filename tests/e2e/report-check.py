#!/usr/bin/python3
"""report-check.py - reads the reports of tests/e2e/report.sh back and
compares them with the state store (sqlite3), independently of the engine.

  report-check.py work-xlsx DB CAMPAIGN FILE HEAD
  report-check.py work-csv  DB CAMPAIGN FILE
  report-check.py work-json DB CAMPAIGN FILE HEAD
  report-check.py monthly-xlsx DB MONTH FILE
  report-check.py monthly-csv DB MONTH FILE

Each prints one line per finding and exits 1 if there is any. It runs under
the system's python3 (/usr/bin/python3), which has Debian's openpyxl.
"""
import csv
import datetime as dt
import io
import json
import sqlite3
import sys

import openpyxl

FONT = "Noto Sans CJK JP"
JST = dt.timezone(dt.timedelta(hours=9))
LABELS = {"ok": "正常", "failed": "失敗", "skipped": "省略", "timeout": "時間切れ",
          "unreachable": "接続不可", None: "中断(結果未記録)"}
problems = []


def expect(cond, what):
    if not cond:
        problems.append(what)


def era(ts):
    """The era time the report writes, computed here on its own."""
    t = dt.datetime.fromtimestamp(ts, JST)
    y = t.year - 2018
    ys = "元" if y == 1 else str(y)
    assert t.date() >= dt.date(2019, 5, 1)
    return f"令和{ys}年{t.month}月{t.day}日 {t:%H:%M:%S}"


def store_steps(db, c):
    q = """SELECT h.wave + 1, h.site, i.host, i.step_idx + 1, i.step_name, i.attempt,
           i.started_at, o.finished_at, o.status, o.exit_code, i.actor
           FROM step_intents i JOIN campaign_hosts h ON h.campaign = i.campaign AND h.host = i.host
           LEFT JOIN step_outcomes o ON o.intent = i.id WHERE i.campaign = ?
           ORDER BY h.wave, i.host, i.id"""
    return db.execute(q, (c,)).fetchall()


def summary_map(ws):
    return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(4, ws.max_row + 1)}


def work_xlsx(db, c, path, head):
    wb = openpyxl.load_workbook(path)
    expect(wb.sheetnames == ["概要", "端末別結果", "作業明細", "承認記録"],
           f"sheet names are {wb.sheetnames}")
    s = summary_map(wb["概要"])
    expect(wb["概要"]["A1"].value == "作業報告書", "the title is not 作業報告書")
    expect(s.get("作業 (キャンペーン)") == c, "the summary does not name the campaign")
    expect(s.get("ジャーナル先頭 (番号:ハッシュ)") == head,
           f"journal head {s.get('ジャーナル先頭 (番号:ハッシュ)')} is not `audit head`'s {head}")
    nhosts = db.execute("SELECT count(*) FROM campaign_hosts WHERE campaign = ?", (c,)).fetchone()[0]
    expect(s.get("対象端末数") == nhosts, f"対象端末数 {s.get('対象端末数')} != {nhosts}")
    actors = [a for (a,) in db.execute("SELECT DISTINCT actor FROM step_intents WHERE campaign = ?", (c,))]
    expect(all(a in (s.get("作業者") or "") for a in actors), f"作業者 misses one of {actors}")

    ws = wb["作業明細"]
    heads = [ws.cell(1, k).value for k in range(1, ws.max_column + 1)]
    expect(heads[:11] == ["ウェーブ", "拠点", "端末", "手順番号", "手順", "試行", "開始日時",
                          "終了日時", "結果", "終了コード", "作業者"], f"step headings {heads}")
    expect(ws.freeze_panes == "A2", f"step sheet frozen at {ws.freeze_panes}, not A2")
    expect(ws.page_setup.paperSize in (9, "9"), f"paper size {ws.page_setup.paperSize}, not A4 (9)")
    expect(ws.print_title_rows in ("1:1", "$1:$1"), f"print titles {ws.print_title_rows}")
    expect("&P" in (ws.oddFooter.center.text or ""), "no page number in the footer")
    expect(ws["A1"].font.name == FONT and ws["E2"].font.name == FONT,
           f"cells are in {ws['A1'].font.name}, not {FONT}")
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(k)].width
              for k in range(1, ws.max_column + 1)]
    expect(all(w and w >= 6 for w in widths), f"a column has no width: {widths}")
    rows = [tuple(ws.cell(r, k).value for k in range(1, 12)) for r in range(2, ws.max_row + 1)]
    want = store_steps(db, c)
    expect(len(rows) == len(want), f"作業明細 has {len(rows)} rows, the store {len(want)} step runs")
    for got, w in zip(rows, want):
        exp = (w[0], w[1], w[2], w[3], w[4], w[5], era(w[6]), era(w[7]) if w[7] else None,
               LABELS[w[8]], w[9], w[10])
        if got != exp:
            expect(False, f"row {got} != store {exp}")
            break
    na = db.execute("SELECT count(*) FROM approvals WHERE campaign = ?", (c,)).fetchone()[0]
    wa = wb["承認記録"]
    signers = [wa.cell(r, 4).value for r in range(2, 2 + na)]
    want_signers = [a for (a,) in db.execute("SELECT approver FROM approvals WHERE campaign = ? ORDER BY id", (c,))]
    expect(signers == want_signers, f"signers {signers} != store {want_signers}")
    expect(wa.cell(2 + na, 1).value is None, "承認記録 has more rows than the store's approvals")
    hosts = wb["端末別結果"]
    expect(hosts.max_row - 1 == nhosts, f"端末別結果 has {hosts.max_row - 1} rows, not {nhosts}")


def sections(path):
    raw = open(path, "rb").read()
    expect(raw.startswith(b"\xef\xbb\xbf"), "the CSV has no UTF-8 BOM")
    body = raw[3:]
    expect(b"\n" not in body.replace(b"\r\n", b""), "a CSV line ends without CR")
    out, name = {}, None
    for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")):
        if not row:
            name = None
            continue
        if name is None and len(row) == 1 and row[0].startswith("["):
            name = row[0][1:-1]
            out[name] = []
            continue
        out[name].append(row)
    return out


def work_csv(db, c, path):
    sec = sections(path)
    expect(list(sec) == ["概要", "端末別結果", "作業明細", "承認記録"], f"CSV sections {list(sec)}")
    title = [r[1] for r in sec["概要"] if r[0] == "件名"]
    expect(title and title[0].startswith("'="), f"a title starting with = is not neutralised: {title}")
    steps = sec["作業明細"]
    want = store_steps(db, c)
    expect(len(steps) - 1 == len(want), f"CSV 作業明細 has {len(steps) - 1} rows, store {len(want)}")
    for got, w in zip(steps[1:], want):
        t = dt.datetime.fromtimestamp(w[6], JST).strftime("%Y-%m-%d %H:%M:%S")
        exp = [str(w[0]), w[1], w[2], str(w[3]), w[4], str(w[5]), t]
        if got[:7] != exp or got[9] != ("" if w[9] is None else str(w[9])):
            expect(False, f"CSV row {got} != store {w}")
            break


def work_json(db, c, path, head):
    d = json.load(open(path, encoding="utf-8"))
    expect(d["report"] == "work" and d["subject"] == c, "JSON names another report")
    expect(d["summary"]["journal_head"] == head, "JSON journal head differs")
    steps = {s["key"]: s for s in d["sheets"]}["steps"]["rows"]
    want = store_steps(db, c)
    expect(len(steps) == len(want), f"JSON has {len(steps)} steps, store {len(want)}")
    for got, w in zip(steps, want):
        exp = dt.datetime.fromtimestamp(w[6], JST).isoformat()
        if (got["host"], got["step"], got["result"], got["exit_code"], got["started_at"]) != \
                (w[2], w[4], w[8] or "interrupted", w[9], exp):
            expect(False, f"JSON step {got} != store {w}")
            break


def month_range(month):
    y, m = map(int, month.split("-"))
    a = dt.datetime(y, m, 1, tzinfo=JST)
    b = dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=JST)
    return int(a.timestamp()), int(b.timestamp())


def monthly_xlsx(db, month, path):
    a, b = month_range(month)
    wb = openpyxl.load_workbook(path)
    expect(wb.sheetnames == ["概要", "作業一覧", "障害対応", "セキュリティ遵守状況", "作業者"],
           f"sheet names are {wb.sheetnames}")
    s = summary_map(wb["概要"])
    y, m = map(int, month.split("-"))
    expect(s.get("対象月") == f"令和{y - 2018}年{m}月", f"対象月 is {s.get('対象月')}")
    want = db.execute("""SELECT campaign, count(*) FROM step_intents WHERE started_at >= ? AND
        started_at < ? GROUP BY campaign ORDER BY min(started_at)""", (a, b)).fetchall()
    ws = wb["作業一覧"]
    got = [(ws.cell(r, 1).value, ws.cell(r, 9).value) for r in range(2, ws.max_row + 1)
           if ws.cell(r, 9).value is not None]
    expect(got == [tuple(x) for x in want], f"作業一覧 {got} != store {want}")
    expect(s.get("実行手順数") == sum(n for _, n in want), "実行手順数 differs from the store")
    cs = wb["セキュリティ遵守状況"]
    marks = [cs.cell(r, 4).value for r in range(2, cs.max_row + 1)
             if isinstance(cs.cell(r, 1).value, int)]
    expect(len(marks) >= 10 and set(marks) <= {"○", "×", "要確認"}, f"checklist marks {marks}")
    expect(marks[0] == "○", "the journal check is not ○ on a journal that verifies")
    wi = wb["障害対応"]
    expect(wi.cell(1, 1).value == "番号", "the incidents section has no headings")
    want = db.execute("""SELECT id, host, instructed_at, deadline, arrived_at, explanation
        FROM incidents WHERE instructed_at >= ? AND instructed_at < ? ORDER BY instructed_at""",
                      (a, b)).fetchall()
    got = [tuple(wi.cell(r, k).value for k in (1, 3, 5, 6, 7, 9, 11))
           for r in range(2, wi.max_row + 1) if isinstance(wi.cell(r, 1).value, int)]
    exp = [(i, h, era(t), era(d), era(ar) if ar else None,
            "達成" if ar is not None and ar <= d else "未達", ex) for i, h, t, d, ar, ex in want]
    expect(got == exp, f"障害対応 {got} != store {exp}")
    expect(s.get("障害対応件数") == len(want), f"障害対応件数 {s.get('障害対応件数')} != {len(want)}")
    expect(s.get("うち目標未達") == sum(1 for e in exp if e[5] == "未達"), "うち目標未達 differs")


def monthly_csv(db, month, path):
    sec = sections(path)
    expect(list(sec) == ["概要", "作業一覧", "障害対応", "セキュリティ遵守状況", "作業者"],
           f"CSV sections {list(sec)}")


def main():
    cmd, dbp = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(f"file:{dbp}?mode=ro", uri=True)
    {"work-xlsx": work_xlsx, "work-csv": work_csv, "work-json": work_json,
     "monthly-xlsx": monthly_xlsx, "monthly-csv": monthly_csv}[cmd](db, *sys.argv[3:])
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


main()
