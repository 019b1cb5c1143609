#!/usr/bin/env bash
# At run time the executor keeps to the business window: started on a
# Friday afternoon, 2026-10-09, it finishes what fits before 17:15, starts nothing that
# cannot finish by then, skips the weekend and Sports Day (Monday 10-12), and
# goes on at 08:45 on Tuesday 10-13. The fleet's clock runs 3000x here.
. "$(dirname "$0")/lib.sh"
C=e2e-windows
# At this speed a second is 50 minutes, so the city approves the one gate in
# advance (a gate may be approved before the run reaches it; the campaign has
# no canary, whose gate could only be approved after it), and the
# engine's clock starts now, at Friday 13:30, not when the fixture started
# (the fleet's own clock only times its commands and restarts).
"$ROLLOUT" plan "$SRC/tests/e2e/campaigns/windows.yml" --save --state "$STATE" >/dev/null
approve_as sato $C 1 >/dev/null
date +%s >"$WORK/anchor"
run_campaign "$SRC/tests/e2e/campaigns/windows.yml"
wait_run
check "the run exits 0" [ "$RUN_RC" = 0 ]
db=$STATE/state.db
# Every step's start and end, as JST day and minute of day.
q() { sqlite3 "$db" "$1"; }
starts=$(q "SELECT DISTINCT strftime('%Y-%m-%d %H:%M', started_at, 'unixepoch', '+9 hours')
	FROM step_intents WHERE campaign = '$C'")
check "work was done on Friday 10-09" has "$starts" "2026-10-09 1"
bad_days=$(echo "$starts" | grep -E '^2026-10-1[012] ' || true)
check "no step ran on the weekend or on Sports Day (2026-10-12)" [ -z "$bad_days" ]
# Each start decision is in the journal: "started 2026-10-09 16:48 JST, 1615 s
# of work estimated, window closes 2026-10-09 17:15 JST". (Decisions, not the
# first step's time: at 3000x the connection alone costs virtual minutes.)
decisions=$(q "SELECT json_extract(detail, '$.reason') FROM journal WHERE campaign = '$C'
	AND kind = 'host.state' AND json_extract(detail, '$.to') = 'running'")
check "11 start decisions were journaled" [ "$(echo "$decisions" | grep -c '^started ')" = 11 ]
# Tuesday's first decision: when the window opens, give or take the timer's
# reaction on a busy machine (at 3000x, 0.1 s is five virtual minutes).
tue=$(echo "$decisions" | sed -n 's/^started \(2026-10-13 [0-9:]*\) JST.*/\1/p' | sort | head -1)
check "and resumed on Tuesday 10-13 when the window opened ($tue)" \
	bash -c "[[ '$tue' > '2026-10-13 08:44' && '$tue' < '2026-10-13 09:00' ]]"
verdict=$(echo "$decisions" | python3 -c '
import re, sys, datetime as dt
bad = []
for line in sys.stdin:
    m = re.match(r"started (\S+ \S+) JST, (\d+) s of work estimated, window closes (\S+ \S+) JST", line)
    if not m:
        bad.append("unreadable: " + line.strip()); continue
    start = dt.datetime.strptime(m[1], "%Y-%m-%d %H:%M")
    end = dt.datetime.strptime(m[3], "%Y-%m-%d %H:%M")
    if not ("08:45" <= m[1][11:] < "17:15") or m[1][:10] in ("2026-10-10", "2026-10-11", "2026-10-12"):
        bad.append("outside working time: " + line.strip())
    if start + dt.timedelta(seconds=int(m[2])) > end or m[3][11:] != "17:15":
        bad.append("would not finish by 17:15: " + line.strip())
print("; ".join(bad) or "ok")')
check "every host started in working time with its estimate ending by 17:15 ($verdict)" [ "$verdict" = ok ]
# A host's whole work fits in the window it started in: first start to last end, same day.
split=$(q "SELECT count(*) FROM (SELECT i.host, min(i.started_at) s, max(o.finished_at) e
	FROM step_intents i JOIN step_outcomes o ON o.intent = i.id WHERE i.campaign = '$C'
	GROUP BY i.host) WHERE date(s, 'unixepoch', '+9 hours') <> date(e, 'unixepoch', '+9 hours')")
check "no host's work was split across days ($split)" [ "$split" = 0 ]
check "the wait was announced with the next window" \
	grep -q "the next host starts at 2026-10-13 08:45 JST" "$WORK/run.log"
finish
