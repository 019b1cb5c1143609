#!/usr/bin/python3
"""Passkey approvals in headless Chromium with its virtual WebAuthn
authenticator (CTAP2, internal transport, resident key, user verification),
against a running `rollout run` (tests/web/passkey.sh starts it and the
console). Screenshots of the pages go to WORK and must be looked at.

Usage: passkey.py ROLLOUT STATE BASE_URL WORK SOURCE_DIR CAMPAIGN
"""
import http.cookiejar
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import WebDriverWait

rollout, state, base, work, src, camp = sys.argv[1:7]
# A page may be replaced while a wait looks at it (a login navigates).
SLIPPERY = (NoSuchElementException, StaleElementReferenceException)
db_path = os.path.join(state, "state.db")
passed = failed = 0


def check(what, cond):
    global passed, failed
    if cond:
        passed += 1
        print("ok:", what)
    else:
        failed += 1
        print("FAIL:", what)
    sys.stdout.flush()


def q(sql):
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def writes():
    """What the console may write: invitations, passkeys, approvals."""
    return q("SELECT (SELECT count(*) FROM approver_invitations WHERE used_at IS NOT NULL),"
             " (SELECT count(*) FROM approver_passkeys), (SELECT count(*) FROM approvals)")[0]


def key_copy(name):
    k = os.path.join(work, name + "-pk.key")
    shutil.copy(os.path.join(src, "tests/approvers", name + ".key"), k)
    os.chmod(k, 0o600)
    return k


def with_pass(name, args):
    r, w = os.pipe()
    os.write(w, ("e2e approver %s passphrase\n" % name).encode())
    os.close(w)
    p = subprocess.run(args + ["--passphrase-fd", str(r)], pass_fds=(r,), capture_output=True,
                       text=True)
    os.close(r)
    return p


def wait_gate():
    p = subprocess.run([rollout, "status", camp, "--state-dir", state, "--wait-gate",
                        "--timeout", "180"], capture_output=True, text=True)
    return p.stdout.strip()


class Client:
    """A plain HTTP client with its own cookie jar (not the browser)."""

    def __init__(self):
        self.op = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def req(self, path, data=None, method=None, headers=None):
        r = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
        try:
            with self.op.open(r, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def form(self, path, fields):
        return self.req(path, urllib.parse.urlencode(fields).encode(), "POST",
                        {"Content-Type": "application/x-www-form-urlencoded"})


def csrf_of(html):
    m = re.search(r'data-csrf="([^"]+)"', html)
    return m.group(1) if m else None


# --- Invitation, and the hardening checks that need one -----------------
p = subprocess.run([rollout, "approvers", "invite", "nobody", "--campaign", camp,
                    "--state-dir", state], capture_output=True, text=True)
check("an invitation for someone not on the roster is refused (exit %d)" % p.returncode,
      p.returncode == 2 and "not on the roster" in p.stderr)
p = subprocess.run([rollout, "approvers", "invite", "sato", "--campaign", camp, "--url", base,
                    "--state-dir", state], capture_output=True, text=True)
link = p.stdout.strip()
token = link.split("t=")[-1]
check("rollout approvers invite prints a one-time link (%s…)" % link[:40],
      p.returncode == 0 and link.startswith(base + "/enrol?t=") and len(token) == 43)
check("the store keeps the token's hash, not the token",
      q("SELECT count(*) FROM approver_invitations WHERE token_hash = '%s'" % token)[0][0] == 0
      and q("SELECT count(*) FROM approver_invitations")[0][0] == 1)

before = writes()
with urllib.request.urlopen(base + "/login", timeout=30) as resp:
    cookie = resp.headers.get("Set-Cookie", "")
check("the session cookie is HttpOnly and SameSite=Strict, not Secure on plain HTTP (%s)" % cookie.split(";", 1)[-1],
      "; HttpOnly" in cookie and "; SameSite=Strict" in cookie and "Secure" not in cookie)
c = Client()
code, html = c.req("/enrol?t=" + token)
check("the invitation page opens (%d)" % code, code == 200 and "パスキーの登録" in html)
code, body = c.form("/enrol", {"token": token, "authenticator_data": "AAAA",
                               "client_data_json": "AAAA"})
check("CSRF: a POST without the token is refused (%d)" % code, code == 403 and "CSRF" in body)
code, body = Client().form("/login", {"csrf": csrf_of(html), "credential_id": "AAAA"})
check("CSRF: a token without its session cookie is refused (%d)" % code, code == 403)
code, body = c.req("/enrol", b"csrf=" + csrf_of(html).encode() + b"&x=" + b"a" * 40000, "POST",
                   {"Content-Type": "application/x-www-form-urlencoded"})
check("an oversized request is refused (%d)" % code, code == 413)
for path in ("/c/..%2f..%2fetc%2fpasswd/gate/1", "/c/../state.db", "/passkey.js/../../state.db",
             "/c/%s/gate/../../../state.db" % camp, "/enrol/../state.db"):
    code, body = c.req(path)
    check("path traversal %s is not served (%d)" % (path, code),
          code in (400, 404) and "SQLite" not in body)
check("none of that wrote anything", writes() == before)

# --- The browser: enrol, confirm, log in --------------------------------
opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400", "--lang=ja"):
    opts.add_argument(a)
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    drv.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol="ctap2", transport="internal", has_resident_key=True,
        has_user_verification=True, is_user_verified=True))
    drv.get(link)
    drv.find_element(By.ID, "go").click()
    WebDriverWait(drv, 30, ignored_exceptions=SLIPPERY).until(lambda d: re.match(r"^[0-9a-f]{4}(-[0-9a-f]{4}){4}$",
                                                    d.find_element(By.ID, "fp").text)
                                 or "bad" in d.find_element(By.ID, "result").get_attribute("class"))
    fp = drv.find_element(By.ID, "fp").text
    check("the passkey is enrolled and its fingerprint shown (%s; %s)" %
          (fp, drv.find_element(By.ID, "result").text), re.match(r"^[0-9a-f]{4}(-[0-9a-f]{4}){4}$", fp))
    drv.save_screenshot(os.path.join(work, "enrol.png"))
    check("the invitation is used up: the link no longer opens",
          Client().req("/enrol?t=" + token)[0] == 404)

    def login(next_path):
        drv.get(base + "/login?next=" + next_path)
        drv.find_element(By.ID, "go").click()
        WebDriverWait(drv, 30, ignored_exceptions=SLIPPERY).until(lambda d: "/login" not in d.current_url
                                     or d.find_element(By.ID, "result").text)
        if "/login" not in drv.current_url:
            return True, ""
        return False, drv.find_element(By.ID, "result").text

    gate1 = "/c/%s/gate/1" % camp
    ok, msg = login(gate1)
    check("an unconfirmed passkey cannot log in (%s)" % msg, not ok and "not confirmed" in msg)

    p = with_pass("sato", [rollout, "approvers", "confirm", "sato", "--fingerprint", fp,
                           "--key", key_copy("sato"), "--state-dir", state])
    check("the approver cannot confirm their own passkey (exit %d: %s)" % (p.returncode, p.stderr.strip()),
          p.returncode == 1 and "contractor-lead" in p.stderr)
    p = with_pass("tanaka", [rollout, "approvers", "confirm", "sato", "--fingerprint", "0000-0000-0000-0000-0000",
                             "--key", key_copy("tanaka"), "--state-dir", state])
    check("a wrong fingerprint is refused (exit %d)" % p.returncode, p.returncode == 2)
    p = with_pass("tanaka", [rollout, "approvers", "confirm", "sato", "--fingerprint", fp,
                             "--key", key_copy("tanaka"), "--state-dir", state])
    check("the lead confirms the passkey by its fingerprint (exit %d: %s)" % (p.returncode, p.stdout.strip()),
          p.returncode == 0 and "Confirmed sato's passkey" in p.stdout)

    kinds = [k for (k,) in q("SELECT kind FROM journal WHERE kind LIKE 'approver.%' ORDER BY seq")]
    check("the journal records the invitation, the enrolment and the confirmation (%s)" % kinds,
          kinds == ["approver.invite", "approver.passkey-enrolled", "approver.passkey-confirmed"])

    # --- Wave 1: approved in the browser; the running engine goes on ----
    check("the engine waits at the gate of wave 1", wait_gate() == "1")
    ok, msg = login(gate1)
    check("the confirmed passkey logs in and lands on the gate (%s)" % drv.current_url,
          ok and drv.current_url.endswith(gate1))
    text = drv.find_element(By.TAG_NAME, "body").text
    plan_hash = q("SELECT plan_hash FROM campaigns WHERE id = '%s'" % camp)[0][0]
    check("the gate page shows the plan hash being signed and the buttons",
          plan_hash in text and drv.find_element(By.ID, "approve").text == "承認"
          and drv.find_element(By.ID, "refuse").text == "差し戻し")
    check("the script in the title is shown as text on the gate page",
          "<script>alert(1)</script>" in text)
    drv.find_element(By.ID, "comment").send_keys("カナリア確認済み")
    drv.save_screenshot(os.path.join(work, "gate-1.png"))
    drv.find_element(By.ID, "approve").click()
    WebDriverWait(drv, 30, ignored_exceptions=SLIPPERY).until(lambda d: d.find_element(By.ID, "result").text)
    res = drv.find_element(By.ID, "result").text
    check("the approval is signed with the passkey and recorded (%s)" % res, "承認しました" in res)
    row = q("SELECT approver, decision, comment, signer_key FROM approvals WHERE campaign = '%s' AND wave = 0" % camp)
    check("the row names sato, the decision, the comment and the passkey (%s)" % (row,),
          row == [("sato", "approve", "カナリア確認済み", "webauthn:" + fp)])
    check("the running engine goes on to the gate of wave 2", wait_gate() == "2")
    check("wave 1's host ran", q("SELECT count(*) FROM campaign_hosts WHERE campaign = '%s' AND wave = 0"
                                 " AND state = 'done'" % camp)[0][0] == 1)

    # --- Wave 2: refused in the browser; the campaign halts -----------
    drv.get(base + "/c/%s/gate/2" % camp)
    text = drv.find_element(By.TAG_NAME, "body").text
    check("the gate of wave 2 shows what wave 1 did, per host",
          "前のウェーブ（ウェーブ1）の結果" in text and "shinoro-t01" in text and "完了" in text)
    refusal = "窓口が混雑しているため延期 <script>alert(1)</script>"
    drv.find_element(By.ID, "comment").send_keys(refusal)
    drv.save_screenshot(os.path.join(work, "gate-2.png"))
    drv.find_element(By.ID, "refuse").click()
    WebDriverWait(drv, 30, ignored_exceptions=SLIPPERY).until(lambda d: d.find_element(By.ID, "result").text)
    res = drv.find_element(By.ID, "result").text
    check("the refusal is signed and recorded (%s)" % res, "差し戻しました" in res)
    drv.save_screenshot(os.path.join(work, "gate-2-refused.png"))
    # The run is the shell's child: poll the store (bounded) until it stops.
    deadline = time.monotonic() + 120
    while True:
        st = q("SELECT state, reason FROM campaigns WHERE id = '%s'" % camp)[0]
        if st[0] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check("the campaign halts with the refusal and its comment (%s)" % (st,),
          st[0] == "halted" and st[1].startswith("sato refused wave 2: " + refusal))
    check("wave 2's host never started", q("SELECT count(*) FROM campaign_hosts WHERE campaign = '%s'"
                                           " AND wave = 1 AND state != 'pending'" % camp)[0][0] == 0)
    drv.get(base + "/c/%s/gate/2" % camp)
    try:
        drv.switch_to.alert
        check("XSS: the refusal's script is not run (no alert)", False)
    except NoAlertPresentException:
        check("XSS: the refusal's script is not run (no alert)", True)
    check("the gate lists the refusal, verified", "差し戻し sato 有効" in
          drv.find_element(By.TAG_NAME, "body").text.replace("\n", " "))
    check("XSS: the halt reason with the script shows as text",
          "<script>alert(1)</script>" in drv.find_element(By.TAG_NAME, "body").text
          and "&lt;script&gt;" in drv.page_source)
    drv.save_screenshot(os.path.join(work, "gate-2-halted.png"))
    drv.get(base + "/c/" + camp)
    body = drv.find_element(By.TAG_NAME, "body").text
    check("the plan page lists both passkey decisions as valid",
          body.count("sato 有効") == 2)
    drv.save_screenshot(os.path.join(work, "plan.png"))
    logs = [e for e in drv.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    check("no CSP violation was reported (%d)" % len(logs), not logs)
finally:
    drv.quit()

# --- Offline: the passkey approvals verify; an altered copy does not ----
p = subprocess.run([rollout, "approvals", "verify", camp, "--state-dir", state],
                   capture_output=True, text=True)
check("rollout approvals verify checks the passkey approvals offline (exit %d)" % p.returncode,
      p.returncode == 0 and p.stdout.count("valid   approval") == 2)
q0 = sqlite3.connect(db_path, timeout=30)
q0.execute("INSERT INTO approvals (campaign, wave, approver, comment, approved_at, plan_hash, decision,"
           " gate, signer_key, signature) SELECT campaign, wave, approver, 'altered', approved_at,"
           " plan_hash, decision, gate, signer_key, signature FROM approvals WHERE campaign = '%s'"
           " AND wave = 0" % camp)
q0.execute("INSERT INTO approvals (campaign, wave, approver, comment, approved_at, plan_hash, decision,"
           " gate, signer_key, signature) SELECT campaign, 2, approver, comment, approved_at,"
           " plan_hash, decision, gate, signer_key, signature FROM approvals WHERE campaign = '%s'"
           " AND wave = 0 AND comment != 'altered'" % camp)
q0.commit()
q0.close()
p = subprocess.run([rollout, "approvals", "verify", camp, "--state-dir", state],
                   capture_output=True, text=True)
check("an altered comment and a passkey signature replayed for another wave do not verify (%s)"
      % p.stdout.strip().splitlines()[-1], p.returncode == 1 and p.stdout.count("INVALID") == 2
      and p.stdout.count("passkey signature does not match this record") == 2)

# --- Many failed logins: refused, nothing written -----------------------
before = writes()
c = Client()
codes = []
for i in range(8):
    code, html = c.req("/login")
    code, body = c.form("/login", {"csrf": csrf_of(html), "credential_id": "AAAA",
                                   "authenticator_data": "AAAA", "client_data_json": "AAAA",
                                   "signature": "AAAA"})
    codes.append(code)
check("failed logins are refused, then rate-limited (%s)" % codes,
      codes[:5] == [401] * 5 and codes[5:] == [429] * 3)
check("and nothing was written", writes() == before)
print("%d passed, %d failed (screenshots in %s)" % (passed, failed, work))
sys.exit(1 if failed else 0)
