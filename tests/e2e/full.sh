#!/usr/bin/env bash
# The October 2026 OS security update on all 182 simulated hosts: the run
# waits at each gate until a second process approves it, every host ends with
# the new KB installed and a verified restart, and the state store says so.
. "$(dirname "$0")/lib.sh"
C=2026-10-os-update
run_campaign "$SRC/playbooks/campaigns/$C.yml"

# The first gate: nothing may have started on any host before the approval.
gate=$("$ROLLOUT" status $C --state-dir "$STATE" --wait-gate --timeout 120)
check "the run stops at gate 1 first" [ "$gate" = 1 ]
st=$(status_json $C)
check "no host has started before the first approval" \
	[ "$(echo "$st" | json "sum(w['hosts']['pending'] for w in d['waves'])")" = 182 ]
check "wave 1 is awaiting approval" \
	[ "$(echo "$st" | json "d['waves'][0]['state']")" = awaiting-approval ]
check "an approval bound to another plan is refused" \
	bash -c "! '$ROLLOUT' approve $C --wave 1 --state-dir '$STATE' --plan-hash 000000000000 2>/dev/null"
approve_all $C
wait_run
check "the run exits 0" [ "$RUN_RC" = 0 ]

st=$(status_json $C)
check "the campaign is done" [ "$(echo "$st" | json "d['state']")" = done ]
check "all 182 hosts are done" \
	[ "$(echo "$st" | json "sum(w['hosts']['done'] for w in d['waves'])")" = 182 ]
check "three gates were approved, each by the approver" \
	[ "$(echo "$st" | json "len([a for a in d['approvals'] if a['approver'] == 'sato'])")" = 3 ]
check "every approval verifies offline against the roster" \
	"$ROLLOUT" approvals verify $C --state-dir "$STATE"
abs=$(cd "$STATE" && pwd -P)
check "the run's approval hint pastes as it is: it names the state directory" \
	grep -qF "awaits approval: rollout approve $C --wave 1 --state-dir $abs" "$WORK/run.log"

# Every host has its package, as the host itself reports it.
db=$WORK/engine/state.db
restarts=$(sqlite3 "$db" "SELECT count(DISTINCT i.host) FROM step_intents i JOIN step_outcomes o
	ON o.intent = i.id WHERE i.campaign = '$C' AND i.step_name = 'restart' AND o.status = 'ok'
	AND o.detail LIKE 'restarted: boot time %'")
check "182 restarts verified by a changed boot time (saw $restarts)" [ "$restarts" = 182 ]
open=$(sqlite3 "$db" "SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id
	WHERE o.intent IS NULL")
check "no intent is left without an outcome" [ "$open" = 0 ]
# The simulated hosts' own state (what Get-HotFix reads on them).
sim=$WORK/sim/state.db
kb_t=$(sqlite3 "$sim" "SELECT count(*) FROM item WHERE kind = 'kb' AND key = 'KB5066835' AND n = 1")
kb_cs=$(sqlite3 "$sim" "SELECT count(*) FROM item WHERE kind = 'kb' AND key = 'KB5066782' AND n = 1")
check "KB5066835 is installed on the 180 terminals (saw $kb_t)" [ "$kb_t" = 180 ]
check "KB5066782 is installed on both CS nodes (saw $kb_cs)" [ "$kb_cs" = 2 ]

# The journal proves the whole run: chain and MACs verify, and every
# intent, outcome, approval and host state the engine wrote matches the
# journal record that wrote it (rollout audit verify, docs/STORE.md).
"$ROLLOUT" audit verify --state-dir "$STATE" >"$WORK/audit.log" 2>&1 && rc=0 || rc=$?
check "audit verify passes on the real run's store (exit $rc; $WORK/audit.log)" [ "$rc" = 0 ]
# The approved schedule was kept: no host started before the day the plan gives
# its site in its wave (the plan's not_before), however early its gate opened.
sched=$(python3 - "$db" "$C" <<'PY'
import datetime, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
plan = json.loads(db.execute("SELECT plan_json FROM campaigns WHERE id = ?", (sys.argv[2],)).fetchone()[0])
jst = datetime.timezone(datetime.timedelta(hours=9))
nb = {}
for w in plan["waves"]:
    for s in w["sites"]:
        day = datetime.datetime.fromisoformat(s["not_before"]).replace(tzinfo=jst).timestamp()
        for h in s["hosts"]:
            nb[h] = day
early, later_days = 0, set()
for at, detail in db.execute("SELECT at, detail FROM journal WHERE kind = 'host.state'"):
    d = json.loads(detail)
    if d["to"] == "running":
        early += at < nb[d["host"]]
        if at >= nb[d["host"]] and nb[d["host"]] > min(nb.values()):
            later_days.add(datetime.datetime.fromtimestamp(nb[d["host"]], jst).date().isoformat())
print(early, len(nb), ",".join(sorted(later_days)))
PY
)
check "no host started before its planned day, and later days were waited for ($sched)" \
	[ "$sched" = "0 182 2026-10-06,2026-10-07" ]

# Running it again finds nothing to do and says so.
"$ROLLOUT" run "$SRC/playbooks/campaigns/$C.yml" --state-dir "$STATE" --port "$(port)" --plain \
	$(clock_flags) >"$WORK/again.log" 2>&1 && rc=0 || rc=$?
check "running a done campaign again changes nothing, says so and exits 0" \
	bash -c "[ $rc = 0 ] && grep -q 'already done: nothing to run' '$WORK/again.log'"
finish
