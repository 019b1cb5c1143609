#!/usr/bin/env bash
# At run time the executor keeps to the business window: started late on
# Friday 2026-10-09, it finishes what fits before 17:15, starts nothing that
# cannot finish by then, skips the weekend and Sports Day (Monday 10-12), and
# goes on at 08:45 on Tuesday 10-13. The fleet's clock runs 5000x here.
. "$(dirname "$0")/lib.sh"
C=e2e-windows
# At this speed a second is 83 minutes, so the city approves both gates in
# advance (a gate may be approved before the run reaches it), and the
# engine's clock starts now, at Friday 15:30, not when the fixture started
# (the fleet's own clock only times its commands and restarts).
"$ROLLOUT" plan "$SRC/tests/e2e/campaigns/windows.yml" --save --state "$STATE" >/dev/null
for w in 1 2; do
	"$ROLLOUT" approve $C --wave $w --state-dir "$STATE" --as "e2e approver" >/dev/null
done
date +%s >"$WORK/anchor"
run_campaign "$SRC/tests/e2e/campaigns/windows.yml"
wait_run
check "the run exits 0" [ "$RUN_RC" = 0 ]
db=$STATE/state.db
# Every step's start and end, as JST day and minute of day.
q() { sqlite3 "$db" "$1"; }
starts=$(q "SELECT DISTINCT strftime('%Y-%m-%d %H:%M', started_at, 'unixepoch', '+9 hours')
	FROM step_intents WHERE campaign = '$C'")
check "work was done on Friday 10-09" has "$starts" "2026-10-09 16:"
# Tuesday's first start: at 08:45, give or take the loop's reaction time
# (at 5000x a tenth of a second of a busy machine is eight virtual minutes).
tue=$(echo "$starts" | grep '^2026-10-13 ' | sort | head -1)
check "and resumed on Tuesday 10-13 soon after 08:45 ($tue)" \
	bash -c "[[ '$tue' > '2026-10-13 08:44' && '$tue' < '2026-10-13 09:15' ]]"
bad_days=$(echo "$starts" | grep -E '^2026-10-1[012] ' || true)
check "no step ran on the weekend or on Sports Day (2026-10-12)" [ -z "$bad_days" ]
outside=$(q "SELECT count(*) FROM (SELECT min(started_at) s FROM step_intents WHERE campaign = '$C'
	GROUP BY host) WHERE strftime('%H%M', s, 'unixepoch', '+9 hours') NOT BETWEEN '0845' AND '1714'")
check "every host started inside 08:45-17:15 ($outside outside)" [ "$outside" = 0 ]
# The rule: a host starts only if its estimated work ends by 17:15. (Its real
# work may run a little longer at this speed, where every network round trip
# costs virtual minutes; that is not asserted.)
est=$("$ROLLOUT" plan "$SRC/tests/e2e/campaigns/windows.yml" --json |
	json "max(w['work_s'] // len([h for s in w['sites'] for h in s['hosts']]) for w in d['waves'])")
late=$(q "SELECT count(*) FROM (SELECT min(started_at) s FROM step_intents WHERE campaign = '$C'
	GROUP BY host) WHERE (s + 9 * 3600) % 86400 + $est > (17 * 60 + 15) * 60")
check "no host started whose estimate ($est s) would not end by 17:15 ($late did)" [ "$late" = 0 ]
# A host's whole work fits in the window it started in: first start to last end, same day.
split=$(q "SELECT count(*) FROM (SELECT i.host, min(i.started_at) s, max(o.finished_at) e
	FROM step_intents i JOIN step_outcomes o ON o.intent = i.id WHERE i.campaign = '$C'
	GROUP BY i.host) WHERE date(s, 'unixepoch', '+9 hours') <> date(e, 'unixepoch', '+9 hours')")
check "no host's work was split across days ($split)" [ "$split" = 0 ]
check "the wait was announced with the next window" \
	grep -q "the next host starts at 2026-10-13 08:45 JST" "$WORK/run.log"
finish
