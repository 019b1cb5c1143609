#!/usr/bin/env bash
# The on-call engineer's night: a run stopped by the operator (SIGINT) halts
# once the hosts under way have finished; a run killed outright (SIGKILL)
# leaves the campaign "running" with steps whose outcome was never written;
# running the same command again finishes the campaign. Hosts already done
# are never touched again, and an interrupted step is closed as such and its
# host resumed from its record (docs/EXECUTION.md, "Resuming").
. "$(dirname "$0")/lib.sh"
C=e2e-resume
file=$SRC/tests/e2e/campaigns/resume.yml
db=$STATE/state.db
"$ROLLOUT" plan "$file" --save --state "$STATE" >/dev/null
approve_as sato $C 1 >/dev/null

# run_until N SIGNAL: runs with JSON events and sends SIGNAL once N hosts are done.
run_until() {
	local n=$1 sig=$2 seen=0 line
	coproc RUN { exec "$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --json $(clock_flags) 2>"$WORK/run.err"; }
	local pid=$RUN_PID
	while IFS= read -r line <&"${RUN[0]}"; do
		echo "$line" >>"$WORK/events.log"
		if [[ "$line" == *'"event":"host"'*'"state":"done"'* ]]; then
			seen=$((seen + 1))
			[ "$seen" -eq "$n" ] && kill -"$sig" "$pid"
		fi
	done
	wait "$pid" && RUN_RC=0 || RUN_RC=$?
}
q() { sqlite3 "$db" "$1"; }

# 1. The operator interrupts: nothing new starts, what runs finishes.
run_until 2 INT
check "an interrupted run exits 1 (halted), not killed ($RUN_RC)" [ "$RUN_RC" = 1 ]
check "the campaign is halted" [ "$(q "SELECT state FROM campaigns WHERE id = '$C'")" = halted ]
check "the halt says the operator stopped it" \
	grep -q '"reason":"stopped by the operator' "$WORK/events.log"
check "no step was left without an outcome" \
	[ "$(q "SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id WHERE o.intent IS NULL")" = 0 ]
check "no host is left running" [ "$(q "SELECT count(*) FROM campaign_hosts WHERE state = 'running'")" = 0 ]
done1=$(q "SELECT group_concat(host) FROM campaign_hosts WHERE campaign = '$C' AND state = 'done'")
last1=$(q "SELECT max(id) FROM step_intents")

# 2. Resumed, then killed in the middle of its work.
run_until 3 KILL
check "the killed run died of SIGKILL ($RUN_RC)" [ "$RUN_RC" = 137 ]
check "the store still says running" [ "$(q "SELECT state FROM campaigns WHERE id = '$C'")" = running ]
# An approver waiting for a gate is told at once that no engine runs it.
"$ROLLOUT" status $C --state-dir "$STATE" --wait-gate --timeout 30 >"$WORK/gate-int.out" \
	2>"$WORK/gate-int.err" && rc=0 || rc=$?
check "wait-gate on the interrupted campaign exits 1, saying interrupted ($rc: $(cat "$WORK/gate-int.err"))" \
	bash -c "[ $rc = 1 ] && grep -q 'is interrupted' '$WORK/gate-int.err' && [ ! -s '$WORK/gate-int.out' ]"
open=$(q "SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id WHERE o.intent IS NULL")
cut=$(q "SELECT count(*) FROM campaign_hosts WHERE campaign = '$C' AND state = 'running'")
echo "steps left without an outcome by the kill: $open; hosts left running: $cut"

# 3. The same command again finishes the campaign.
"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) >"$WORK/run3.log" 2>&1 && rc=0 || rc=$?
check "the resumed run exits 0 and the campaign is done" \
	bash -c "[ $rc = 0 ] && [ \"\$(sqlite3 '$db' \"SELECT state FROM campaigns WHERE id = '$C'\")\" = done ]"
# A host the kill cut short after its work was complete (its last outcome, or
# its "done", not yet committed) is resumed from its record, not from its
# check: the campaign patched it, so it is done, never "up to date".
check "all 22 hosts are done" \
	[ "$(q "SELECT count(*) FROM campaign_hosts WHERE campaign = '$C' AND state = 'done'")" = 22 ]
check "every step has an outcome" \
	[ "$(q "SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id WHERE o.intent IS NULL")" = 0 ]
check "each step the kill interrupted was closed as interrupted ($open)" \
	[ "$(q "SELECT count(*) FROM step_outcomes WHERE detail LIKE 'interrupted:%'")" = "$open" ]
touched=$(q "SELECT count(*) FROM step_intents WHERE id > $last1 AND ',' || '$done1' || ',' LIKE '%,' || host || ',%'")
check "hosts done before the stop ($done1) were not touched again ($touched steps)" [ "$touched" = 0 ]
dups=$(q "SELECT count(*) FROM (SELECT host FROM step_intents i JOIN step_outcomes o ON o.intent = i.id
	WHERE i.step_name = 'install' AND o.status = 'ok' AND o.exit_code IN (0, 3010) GROUP BY host HAVING count(*) > 1)")
check "no host installed its package twice ($dups)" [ "$dups" = 0 ]
finish
