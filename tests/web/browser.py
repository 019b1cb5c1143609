#!/usr/bin/python3
"""The console in a real browser (headless Chromium through chromium-driver):
the campaigns page and a campaign's plan page render in Japanese, a campaign
title that is a script is shown as text and never runs, approvals show their
verification, the Content-Security-Policy is strict, and anything but a GET of
a known page is refused. Screenshots go to the test's output directory.

Usage: browser.py ROLLOUT WAIT_FILE SOURCE_DIR WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

rollout, wait_file, src, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
state = os.path.join(work, "state")
passed = failed = 0


def check(what, cond):
    global passed, failed
    if cond:
        passed += 1
        print("ok:", what)
    else:
        failed += 1
        print("FAIL:", what)


XSS = "<script>alert(1)</script>令和8年 テスト"
camp = open(os.path.join(src, "tests/e2e/campaigns/forgery.yml"), encoding="utf-8").read()
# Paths relative to where the campaign is written: an upload's src must be a
# relative name inside the playbook's tree (docs/PLAYBOOKS.md).
rel = os.path.relpath(src, work)
camp = camp.replace("../../../", rel + "/").replace("../../approvers/", rel + "/tests/approvers/")
camp = camp.replace("title: e2e approvals no one can forge", "title: " + json.dumps(XSS, ensure_ascii=False))
camp = camp.replace("campaign: e2e-forgery", "campaign: web-xss")
cfile = os.path.join(work, "web.yml")
open(cfile, "w", encoding="utf-8").write(camp)
subprocess.run([rollout, "plan", cfile, "--save", "--state-dir", state], check=True,
               stdout=subprocess.DEVNULL)
key = os.path.join(work, "sato.key")
shutil.copy(os.path.join(src, "tests/approvers/sato.key"), key)
os.chmod(key, 0o600)
r, w = os.pipe()
os.write(w, b"e2e approver sato passphrase\n")
os.close(w)
subprocess.run([rollout, "approve", "web-xss", "--wave", "1", "--state-dir", state, "--key", key,
                "--passphrase-fd", str(r), "--comment", "承認します <b>bold?</b>"],
               check=True, pass_fds=(r,), stdout=subprocess.DEVNULL)
os.close(r)

ready = os.path.join(work, "serve.ready")
# The campaign file lets the plan page show the work procedure (作業手順書),
# rebuilt from it and shown because its plan hash is the recorded one.
srv = subprocess.Popen([rollout, "serve", "--state-dir", state, "--port", "0", "--ready-file", ready,
                        "--campaign", cfile])
try:
    subprocess.run([wait_file, "--pid", str(srv.pid), ready, "30"], check=True)
    port = open(ready).read().split()[1]
    base = "http://127.0.0.1:%s" % port

    # HTTP-level refusals: nothing but GET/HEAD of known pages.
    def status(path, method="GET", data=None):
        req = urllib.request.Request(base + path, method=method, data=data)
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    code, hdr, body = status("/")
    csp = hdr.get("Content-Security-Policy", "")
    check("the campaigns page answers 200 with a strict CSP (scripts only our own, nothing inline)",
          code == 200 and "default-src 'none'" in csp and "script-src 'self';" in csp
          and "unsafe" not in csp)
    check("the title is escaped in the HTML", "&lt;script&gt;alert(1)&lt;/script&gt;" in body
          and "<script>" not in body)
    check("a POST is refused (405) and changes nothing",
          status("/", "POST", b"approve=1")[0] == 405)
    check("a path that walks out is not found",
          status("/c/..%2f..%2fetc%2fpasswd")[0] == 404 and status("/c/../state.db")[0] in (404, 400))
    check("an unknown campaign is 404", status("/c/nosuch")[0] == 404)
    check("an oversized URL is refused", status("/c/" + "a" * 5000)[0] in (404, 414, 431))

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000",
              "--lang=ja"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        drv.get(base + "/")
        check("the campaigns page is in Japanese", "キャンペーン一覧" in drv.find_element(By.TAG_NAME, "h1").text)
        row = drv.find_element(By.XPATH, "//a[text()='web-xss']/../..")
        check("the script in the title is shown as text", "<script>alert(1)</script>" in row.text)
        try:
            drv.switch_to.alert
            check("no script ran (no alert)", False)
        except NoAlertPresentException:
            check("no script ran (no alert)", True)
        drv.save_screenshot(os.path.join(work, "campaigns.png"))
        drv.find_element(By.LINK_TEXT, "web-xss").click()
        heads = [h.text for h in drv.find_elements(By.TAG_NAME, "h2")]
        check("the plan page has its sections (%s)" % ", ".join(heads),
              heads[:6] == ["作業手順（プレイブックとパラメータ）", "ウェーブと承認ゲート",
                            "拠点別の作業予定（全端末）", "ホスト別の実施結果", "承認者名簿",
                            "承認記録と署名の検証"])
        text = drv.find_element(By.TAG_NAME, "body").text
        check("the KB number and the artefact hash are on the page",
              "KB5066835" in text and "2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474" in text)
        check("every host's times are in the text, not in tooltips",
              "shinoro-t01" in text and "2026-10-05 08:45" in text and "2026-10-07" in text)
        check("the roster shows the approvers' Japanese names and roles",
              "佐藤 花子" in text and "戸籍住民課" in text and "contractor-lead" in text)
        check("the approval is shown as verified", "承認 sato 有効" in text.replace("\n", " ")
              or "sato 有効" in text)
        check("the stylesheet applied (CSP allows our own, nothing else)",
              drv.find_element(By.TAG_NAME, "th").value_of_css_property("background-color")
              in ("rgba(232, 238, 246, 1)", "rgb(232, 238, 246)"))
        logs = [e for e in drv.get_log("browser") if "Content Security Policy" in e.get("message", "")]
        check("no CSP violation was reported (%d)" % len(logs), not logs)
        check("the procedure lists every step with what it does",
              "OSセキュリティ更新プログラムの適用" in text and "wusa.exe" in text
              and "cluster-healthy-before" in text)
        # The work procedure, the same document as `rollout plan --html`,
        # of the recorded plan (its hash is the one approvers sign).
        procs = drv.find_elements(By.ID, "procedure")
        proc = procs[0].text if procs else ""
        hash_ = drv.find_element(By.XPATH, "//th[starts-with(text(),'計画ハッシュ')]/../td").text
        check("the plan page shows the work procedure (作業手順書)",
              bool(procs) and "作業手順書" in proc and "3. 作業手順（機器の種類別）" in proc)
        check("with its steps' Japanese titles",
              all(t in proc for t in ("更新プログラムが適用済みかの確認", "更新プログラムの転送",
                                      "転送した更新プログラムのハッシュ値照合", "再起動（更新プログラムが求めた場合）")))
        check("with the KB number and the artefact's sha256",
              "KB5066835" in proc and "2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474" in proc)
        check("with per-host times, rollback and contacts sections",
              all(t in proc for t in ("5. 機器別の作業予定", "shinoro-t01", "6. 切り戻し手順", "7. 連絡先")))
        appr = drv.find_elements(By.CSS_SELECTOR, "#procedure .approval")
        check("with the approval block naming the recorded plan hash (%s)" % hash_[:12],
              appr and "8. 承認" in appr[0].text and len(hash_) == 64 and hash_ in appr[0].text)
        check("the campaign title that is a script is text in the procedure too",
              "<script>alert(1)</script>" in proc)
        check("the procedure's stylesheet applied from /style.css (no inline style)",
              drv.find_element(By.CSS_SELECTOR, "#procedure h2").value_of_css_property("border-bottom-style")
              == "solid")
        check("only one approval block (the procedure's) when it is shown",
              not drv.find_elements(By.CLASS_NAME, "print-only"))
        # The whole page as the approver scrolls it, and as it prints.
        import base64
        shot = drv.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        png = base64.b64decode(shot["data"])
        open(os.path.join(work, "plan-full.png"), "wb").write(png)
        pdf = base64.b64decode(drv.execute_cdp_cmd("Page.printToPDF", {
            "paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True})["data"])
        open(os.path.join(work, "plan.pdf"), "wb").write(pdf)
        check("a full-page screenshot and an A4 PDF were saved (%d, %d bytes)" % (len(png), len(pdf)),
              png[:8] == b"\x89PNG\r\n\x1a\n" and pdf[:5] == b"%PDF-")
        if shutil.which("pdftotext"):
            t = subprocess.run(["pdftotext", os.path.join(work, "plan.pdf"), "-"], capture_output=True,
                               text=True).stdout
            check("the PDF carries the procedure and its approval block",
                  "作業手順書" in t and "承認" in t and "KB5066835" in t)
        # Live progress: the page follows the store without a reload.
        from selenium.webdriver.support.ui import WebDriverWait
        live = drv.find_element(By.ID, "live")
        try:
            WebDriverWait(drv, 15).until(lambda d: "ウェーブ2 未着手" in live.text)
            first = True
        except Exception:
            first = False
        check("the live line shows the waves (%s)" % live.text, first)
        import sqlite3
        db = sqlite3.connect(os.path.join(state, "state.db"))
        db.execute("UPDATE waves SET state = 'awaiting-approval' WHERE campaign = 'web-xss' AND idx = 1")
        db.commit()
        db.close()
        try:
            WebDriverWait(drv, 15).until(lambda d: "ウェーブ2 承認待ち" in live.text)
            moved = True
        except Exception:
            moved = False
        check("a change in the store reaches the page without a reload (%s)" % live.text, moved)
        drv.save_screenshot(os.path.join(work, "plan.png"))
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        check("on paper, the approval block with the plan hash is there",
              appr and appr[0].is_displayed() and hash_ in appr[0].text)
        drv.save_screenshot(os.path.join(work, "plan-print.png"))
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        drv.get(base + "/c/web-xss?lang=en")
        heads = [h.text for h in drv.find_elements(By.TAG_NAME, "h2")]
        check("?lang=en gives the same page in English (%s)" % ", ".join(heads[:2]),
              heads[:2] == ["Procedure (playbooks and parameters)", "Waves and their gates"]
              and drv.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
        drv.find_element(By.LINK_TEXT, "Campaigns").click()
        check("and its links keep English", "Campaigns" in drv.find_element(By.TAG_NAME, "h1").text
              and drv.find_element(By.LINK_TEXT, "web-xss").get_attribute("href").endswith("?lang=en"))
    finally:
        drv.quit()
finally:
    srv.terminate()
    srv.wait()
check("serve that showed the procedure ends cleanly (exit %s)" % srv.returncode, srv.returncode == 0)

# A campaign file changed after its plan was recorded: its procedure is not
# what the approvers sign, so the page refuses to show it.
changed = os.path.join(work, "web-changed.yml")
open(changed, "w", encoding="utf-8").write(camp.replace("kb: KB5066835", "kb: KB9999999"))
ready = os.path.join(work, "changed.ready")
srv = subprocess.Popen([rollout, "serve", "--state-dir", state, "--port", "0", "--ready-file", ready,
                        "--campaign", changed])
try:
    subprocess.run([wait_file, "--pid", str(srv.pid), ready, "30"], check=True)
    port = open(ready).read().split()[1]
    with urllib.request.urlopen("http://127.0.0.1:%s/c/web-xss" % port) as resp:
        body = resp.read().decode()
    check("a changed campaign file's procedure is refused, with the reason",
          'id="procedure-refused"' in body and 'id="procedure"' not in body and "KB9999999" not in body)
    with urllib.request.urlopen("http://127.0.0.1:%s/c/web-xss?lang=en" % port) as resp:
        body = resp.read().decode()
    check("and the refusal is in English with ?lang=en", "The work procedure is not shown" in body)
finally:
    srv.terminate()
    # Under the sanitizers a leak or an error makes serve exit non-zero.
    check("serve with a refused procedure ends cleanly (exit %s)" % srv.wait(), srv.returncode == 0)

# Anywhere but loopback only with TLS; with the city's certificate, HTTPS.
r = subprocess.run([rollout, "serve", "--state-dir", state, "--listen", "0.0.0.0", "--port", "0"],
                   capture_output=True, text=True)
check("plain HTTP on a non-loopback address is refused (exit %d)" % r.returncode,
      r.returncode == 2 and "--tls-cert" in r.stderr)
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
ready = os.path.join(work, "tls.ready")
srv = subprocess.Popen([rollout, "serve", "--state-dir", state, "--port", "0", "--ready-file", ready,
                        "--tls-cert", cert, "--tls-key", key])
try:
    import ssl
    subprocess.run([wait_file, "--pid", str(srv.pid), ready, "30"], check=True)
    port = open(ready).read().split()[1]
    ctx = ssl.create_default_context(cafile=cert)
    with urllib.request.urlopen("https://127.0.0.1:%s/" % port, context=ctx) as resp:
        body = resp.read().decode()
    check("HTTPS with the given certificate serves the campaigns", "キャンペーン一覧" in body)
    with urllib.request.urlopen("https://127.0.0.1:%s/c/web-xss" % port, context=ctx) as resp:
        body = resp.read().decode()
    check("without the campaign file, the page says how to show the procedure",
          'id="procedure-missing"' in body and 'id="procedure"' not in body and "承認欄" in body)
    with urllib.request.urlopen("https://127.0.0.1:%s/login" % port, context=ctx) as resp:
        cookie = resp.headers.get("Set-Cookie", "")
    check("under TLS the session cookie is Secure, HttpOnly, SameSite=Strict (%s)" % cookie.split(";", 1)[-1],
          all(f in cookie for f in ("; Secure", "; HttpOnly", "; SameSite=Strict")))
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/" % port, timeout=10).read()
        check("plain HTTP to the HTTPS port gets nothing", False)
    except Exception:
        check("plain HTTP to the HTTPS port gets nothing", True)
finally:
    srv.terminate()
    srv.wait()
print("%d passed, %d failed (screenshots in %s)" % (passed, failed, work))
sys.exit(1 if failed else 0)
