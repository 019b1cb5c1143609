#!/usr/bin/env python3
"""fleet-check.py - judges a finished OS-update campaign by what the fleet saw.

Usage: fleet-check.py SIM_LOG SIM_DB ENGINE_DB CAMPAIGN [UP_TO_DATE_HOSTS]

UP_TO_DATE_HOSTS (comma-separated) had the update before the campaign: they
must end up to date (skipped), with nothing installed, restarted or uploaded.

The simulator's command log (rollout-sim -v) and its state are the witnesses;
the engine's store is read only to know the campaign's hosts and which step
runs ended without a known outcome (interrupted by a kill, or cut by a dropped
link), the only ones a resume may run again. Prints one line per check and
exits 1 if any fails.
"""
import re
import sqlite3
import sys

sim_log, sim_db, engine_db, campaign = sys.argv[1:5]
up_to_date = set(sys.argv[5].split(",")) if len(sys.argv) > 5 and sys.argv[5] else set()
fails = 0


def check(what, bad):
    """bad: a list of offenders (empty = pass)."""
    global fails
    if bad:
        fails += 1
        print(f"FAIL: {what}: {len(bad)} offending: {'; '.join(map(str, bad[:6]))}")
    else:
        print(f"ok: {what}")


eng = sqlite3.connect(engine_db)
eng.execute("PRAGMA busy_timeout = 5000")
state = eng.execute("SELECT state FROM campaigns WHERE id = ?", (campaign,)).fetchone()[0]
hosts = dict(eng.execute("SELECT host, state FROM campaign_hosts WHERE campaign = ?", (campaign,)))


def unknown(host, steps):
    """Runs of the host's steps not recorded ok: failed, or with an outcome not
    known (interrupted by a kill, cut by a dropped link). Only after one of
    these may the step run again; after an ok, never."""
    q = ("SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id"
         " WHERE i.campaign = ? AND i.host = ? AND i.step_name IN (%s)"
         " AND (o.intent IS NULL OR o.status != 'ok')" % ",".join("?" * len(steps)))
    return eng.execute(q, (campaign, host, *steps)).fetchone()[0]


line_re = re.compile(r"^rollout-sim: ([A-Za-z0-9_.-]+): (.*)$")
events = {h: [] for h in hosts}
with open(sim_log, errors="replace") as f:
    for line in f:
        m = line_re.match(line.rstrip("\n"))
        if m and m.group(1) in events:
            events[m.group(1)].append(m.group(2))

exit_re = re.compile(r"^exit (-?\d+) after (\d+) s: (.*)$")
sim = sqlite3.connect(sim_db)
sim.execute("PRAGMA busy_timeout = 5000")

check(f"campaign {campaign} is done (it is {state})", [] if state == "done" else [state])
not_done = [f"{h}={s}" for h, s in sorted(hosts.items()) if s != "done" and h not in up_to_date]
check("every host ends done: changed by this campaign, never 'up to date'", not_done)
touched = [f"{h}={hosts.get(h)}" for h in sorted(up_to_date)
           if hosts.get(h) != "skipped" or any(e.startswith(("restart in", "received "))
                                               or "wusa" in e for e in events.get(h, []))]
check("hosts that had the update are up to date and untouched", touched)
for h in up_to_date:
    hosts.pop(h, None)

first_installs, late_installs, wusa_repeats, restarts, uploads, cleanups = [], [], [], [], [], []
post, kb_state, leftovers = [], [], []
for h in sorted(hosts):
    cs = h.startswith("cs-")
    kb = "KB5066782" if cs else "KB5066835"
    ev = events[h]
    execs = [(i, exit_re.match(e)) for i, e in enumerate(ev)]
    execs = [(i, int(m.group(1)), int(m.group(2)), m.group(3)) for i, m in execs if m]
    wusa = [x for x in execs if x[3].lower().startswith("wusa")]
    # A first install takes the update's whole time (8 min, CS 15); a repeat
    # while the restart is pending answers 3010 at once, after it 2359302.
    n_first = sum(1 for x in wusa if x[1] == 3010 and x[2] >= 480)
    if n_first != 1:
        first_installs.append(f"{h}: {n_first}")
    if any(x[1] == 2359302 for x in wusa):
        late_installs.append(h)
    install = "cs-install" if cs else "install"
    if len(wusa) > 1 + unknown(h, [install]):
        wusa_repeats.append(f"{h}: wusa ran {len(wusa)} times, {unknown(h, [install])} runs not ok")
    rs = [i for i, e in enumerate(ev) if e.startswith("restart in ")]
    if len(rs) != 1:
        restarts.append(f"{h}: {len(rs)}")
    copy = "cs-copy-package" if cs else "copy-package"
    n_up = sum(1 for e in ev if e.startswith("received ") and kb in e)
    if n_up < 1 or n_up > 1 + unknown(h, [copy]):
        uploads.append(f"{h}: {n_up} uploads, {unknown(h, [copy])} unknown")
    cleanup = "cs-cleanup" if cs else "cleanup"
    # The log keeps a command's first 80 characters: the path is cut off.
    n_rm = sum(1 for x in execs if '"if (Test-Path -LiteralPath' in x[3])
    if n_rm < 1 or n_rm > 1 + unknown(h, [cleanup]):
        cleanups.append(f"{h}: {n_rm} cleanups, {unknown(h, [cleanup])} unknown")
    # The post-conditions, on the host, after its restart.
    if rs:
        after = [x for x in execs if x[0] > rs[-1] and x[1] == 0]
        confirm = any(f'"Get-HotFix -Id {kb}' in x[3] for x in after)
        healthy = (not cs) or any("ClusSvc" in x[3] for x in after)
        if not (confirm and healthy):
            post.append(f"{h}: confirm {confirm}, cluster-healthy-after {healthy}")
    n_kb = sim.execute("SELECT count(*) FROM item WHERE host = ? AND kind = 'kb' AND key = ?"
                       " AND n = 1", (h, kb)).fetchone()[0]
    if n_kb != 1:
        kb_state.append(h)
    n_msu = sim.execute("SELECT count(*) FROM item WHERE host = ? AND kind = 'file'"
                        " AND key LIKE '%.msu'", (h,)).fetchone()[0]
    if n_msu:
        leftovers.append(h)

check("each host's KB was installed exactly once (one full wusa run)", first_installs)
check("no wusa ran after the host's restart (2359302: already installed)", late_installs)
check("wusa ran again only after a run not recorded ok", wusa_repeats)
check("no host was restarted twice (exactly one restart each)", restarts)
check("the package was uploaded again only after an upload not recorded ok", uploads)
check("cleanup ran, and again only after one not recorded ok", cleanups)
check("every post-condition (confirm; on CS cluster-healthy-after) ran after the restart", post)
check("the fleet's own state has the KB installed on every host", kb_state)
check("no .msu was left in C:\\Windows\\Temp", leftovers)

opened = eng.execute("SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o"
                     " ON o.intent = i.id WHERE i.campaign = ? AND o.intent IS NULL",
                     (campaign,)).fetchone()[0]
check("every step run has an outcome", [opened] if opened else [])
n, top = eng.execute("SELECT count(*), coalesce(max(seq), 0) FROM journal").fetchone()
broken = eng.execute("SELECT j.seq FROM journal j JOIN journal p ON p.seq = j.seq - 1"
                     " WHERE j.prev_hash != p.hash").fetchall()
check(f"the journal's chain links ({n} records, no gap, each prev_hash = its predecessor's hash)",
      [r[0] for r in broken] + ([f"gap: {n} records, last seq {top}"] if n != top else []))
sys.exit(1 if fails else 0)
