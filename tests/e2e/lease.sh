#!/usr/bin/env bash
# One engine per campaign, and a night on call in three commands: a second
# engine is refused and records nothing; `rollout stop` from another shell
# halts the run; a run whose terminal hangs up goes on, logging to a file; a
# killed engine shows as interrupted with the command that resumes, which
# takes its lease over; a held host is never started and keeps the campaign
# from ending done until it is released. What a host received is read from
# the simulator's own state, not the engine's word.
. "$(dirname "$0")/lib.sh"
C=e2e-lease
file=$SRC/tests/e2e/campaigns/lease.yml
db=$STATE/state.db
sim=$WORK/sim/state.db
# The commands status prints are pasted as they are: `rollout` is on PATH.
mkdir -p "$WORK/bin"
ln -sf "$ROLLOUT" "$WORK/bin/rollout"
PATH=$WORK/bin:$PATH
q() { sqlite3 "$db" "$1"; }
kb_on() { sqlite3 "$sim" "SELECT count(*) FROM item WHERE host = '$1' AND kind = 'kb' AND key = 'KB5066835' AND n = 1"; }
# Every row the store holds, table by table: what "nothing recorded" compares.
rows() {
	local t out=
	for t in campaigns waves campaign_hosts step_intents step_outcomes approvals journal \
		engine_invocations host_holds; do
		out+="$t=$(q "SELECT count(*) FROM $t") "
	done
	echo "$out$(q "SELECT group_concat(state, ',') FROM (SELECT state FROM campaign_hosts ORDER BY host)")"
}
# until_true SECONDS COMMAND...: polls a condition every 0.1 s, at most SECONDS.
until_true() {
	local n=$(($1 * 10)); shift
	while ! "$@"; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
wait_gate() { "$ROLLOUT" status $C --state-dir "$STATE" --wait-gate --timeout 120; }

"$ROLLOUT" plan "$file" --save --state-dir "$STATE" >/dev/null
"$ROLLOUT" hosts hold $C odori-t02 --reason "no power at the Odori corner" --state-dir "$STATE" \
	>"$WORK/hold.out" 2>&1 && rc=0 || rc=$?
check "hosts hold sets a pending host aside ($rc)" [ "$rc" = 0 ]
check "the hold is journaled with its reason" \
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'host.hold' AND detail LIKE '%no power at the Odori corner%'")" = 1 ]
"$ROLLOUT" hosts hold $C nosuch-t99 --reason x --state-dir "$STATE" 2>/dev/null && rc=0 || rc=$?
check "holding a host outside the campaign is bad input ($rc)" [ "$rc" = 2 ]

# 1. The first engine; it waits at the first gate.
run_campaign "$file"
first=$RUN_PID
check "the first engine reaches the gate of wave 1" [ "$(wait_gate)" = 1 ]
check "a first run after plan --save says Starting, not Resuming" \
	grep -q "^Starting campaign $C" "$WORK/run.log"
approve_as sato $C 2 >/dev/null 2>"$WORK/early.err" && rc=0 || rc=$?
check "the after-canary gate cannot be approved before the canary wave is done ($rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'follows canary wave 1, which is not done yet' '$WORK/early.err'"
"$ROLLOUT" status $C --state-dir "$STATE" >"$WORK/status-running.out" && rc=0 || rc=$?
check "status of a running campaign exits 0 and names its engine ($rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'running (pid $first on ' '$WORK/status-running.out'"
check "the approval hint pastes as it is: it has the state dir" \
	grep -Eq "^  rollout approve $C --wave 1 --plan-hash [0-9a-f]{12} --state-dir $(cd "$STATE" && pwd -P) " \
	"$WORK/status-running.out"

# 2. A second engine on the same campaign is refused and records nothing.
before=$(rows)
"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) \
	>"$WORK/second.out" 2>"$WORK/second.err" && rc=0 || rc=$?
after=$(rows)
check "the second engine exits 1 ($rc)" [ "$rc" = 1 ]
check "it says who runs the campaign, since when, and how fresh the heartbeat is" \
	grep -Eq "campaign $C is being run by pid $first on $(hostname) since [0-9-]+ [0-9:]+ JST \(heartbeat [0-9]+ s ago\)" "$WORK/second.err"
check "the second engine recorded nothing (rows: $before)" [ "$before" = "$after" ]
check "the first engine still holds the lease" [ "$(q "SELECT pid FROM engine_leases WHERE campaign = '$C'")" = "$first" ]

# 3. The engineer's SSH session ends: the run goes on and logs under the state dir.
kill -HUP "$first"
hup_log=$STATE/logs/$C.log
check "after a hang-up the run logs to the state dir" \
	until_true 30 grep -q "the terminal hung up" "$hup_log"
check "the engine is still alive after the hang-up" kill -0 "$first"
check "and still holds the campaign" \
	bash -c "'$ROLLOUT' status $C --state-dir '$STATE' | grep -q 'running (pid $first on '"

# 4. `rollout stop` from another shell: what Ctrl-C does.
"$ROLLOUT" stop $C --wait --timeout 60 --state-dir "$STATE" >"$WORK/stop.out" 2>&1 && rc=0 || rc=$?
check "stop --wait returns once the engine has stopped ($rc)" [ "$rc" = 0 ]
wait_run
check "the stopped engine exits 1 (halted) ($RUN_RC)" [ "$RUN_RC" = 1 ]
check "the campaign is halted" [ "$(q "SELECT state FROM campaigns WHERE id = '$C'")" = halted ]
check "the stop request is journaled" [ "$(q "SELECT count(*) FROM journal WHERE kind = 'engine.stop'")" = 1 ]
check "the engine let its lease go" [ "$(q "SELECT count(*) FROM engine_leases")" = 0 ]
"$ROLLOUT" status $C --state-dir "$STATE" >"$WORK/status-halted.out" && rc=0 || rc=$?
check "status of a halted campaign exits 1 ($rc)" [ "$rc" = 1 ]
check "status says why it halted" grep -q "halted: stopped by the operator" "$WORK/status-halted.out"
abs=$(cd "$STATE" && pwd -P)
check "status gives the command that resumes, with the absolute state dir" \
	grep -qx "next: rollout resume $C --state-dir $abs" "$WORK/status-halted.out"

# 5. Resumed (from another directory, as the pasted command would be).
(cd / && exec "$ROLLOUT" resume $C --state-dir "$abs" >"$WORK/resume1.out" 2>&1) &
RUN_PID=$!
check "the resumed engine is under way (it has said so)" \
	until_true 60 grep -q "^Resuming campaign $C" "$WORK/resume1.out"
check "resume repeated the recorded run, with its port and time options" \
	grep -q "rollout run --state-dir $abs .*--port $(port) .*--clock-anchor" "$WORK/resume1.out"

# 6. Killed outright: the store still says running; status says interrupted.
killed=$RUN_PID
kill -KILL "$killed"
wait_run
"$ROLLOUT" status $C --state-dir "$STATE" >"$WORK/status-int.out" && rc=0 || rc=$?
check "status of a campaign whose engine died exits 1 ($rc)" [ "$rc" = 1 ]
check "status says interrupted, with when the engine stopped" \
	grep -Eq "^campaign $C: interrupted \(engine stopped at [0-9-]+ [0-9:]+ JST\)" "$WORK/status-int.out"
check "the list of campaigns shows it interrupted too" \
	bash -c "'$ROLLOUT' status --state-dir '$STATE' | grep -Eq '^$C +interrupted '"
next=$(status_json $C | json "d['next']")
check "the JSON status has the same next command" [ "$next" = "rollout resume $C --state-dir $abs" ]

# 7. The pasted command takes the dead engine's lease over; the gates are
# approved as they come; the held host is never started.
(cd / && exec $next >"$WORK/resume2.out" 2>&1) &
RUN_PID=$!
approve_all $C
wait_run
check "the takeover is journaled, naming the dead engine" \
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'engine.takeover' AND detail LIKE '%\"pid\":$killed,%'")" = 1 ]
check "a run that ends with a held host exits 1 ($RUN_RC)" [ "$RUN_RC" = 1 ]
check "the campaign is halted, not done" [ "$(q "SELECT state FROM campaigns WHERE id = '$C'")" = halted ]
check "every other host is done" \
	[ "$(q "SELECT count(*) FROM campaign_hosts WHERE campaign = '$C' AND state = 'done'")" = 4 ]
check "the held host got no step" [ "$(q "SELECT count(*) FROM step_intents WHERE host = 'odori-t02'")" = 0 ]
check "the simulator's odori-t02 never got the update" [ "$(kb_on odori-t02)" = 0 ]
check "the simulator's shinoro-t03 got it" [ "$(kb_on shinoro-t03)" = 1 ]
"$ROLLOUT" status $C --state-dir "$STATE" >"$WORK/status-held.out" && rc=0 || rc=$?
check "status exits 1 and lists the held host with its reason ($rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'odori-t02 .*no power at the Odori corner' '$WORK/status-held.out'"
check "the held host is shown with its site's name" \
	grep -Eq "odori-t02 +大通証明サービスコーナー \(odori\), wave [0-9]+, pending: held by " "$WORK/status-held.out"
check "status says why the campaign halted (held hosts)" grep -q "except 1 held" "$WORK/status-held.out"

# 8. Released and resumed; `rollout stop --now` while the host is under way:
# what a second Ctrl-C does.
"$ROLLOUT" hosts release $C odori-t02 --state-dir "$STATE" >/dev/null
check "the release is journaled" [ "$(q "SELECT count(*) FROM journal WHERE kind = 'host.release'")" = 1 ]
rollout resume $C --state-dir "$abs" >"$WORK/resume3.out" 2>&1 &
RUN_PID=$!
held_host_running() { [ "$(q "SELECT state FROM campaign_hosts WHERE host = 'odori-t02'")" = running ]; }
check "the released host starts" until_true 60 held_host_running
"$ROLLOUT" stop $C --now --wait --timeout 60 --state-dir "$STATE" >"$WORK/stop-now.out" 2>&1 && rc=0 || rc=$?
wait_run
check "stop --now returns once the engine has stopped ($rc)" [ "$rc" = 0 ]
check "the engine cancelled the host under way and exited 1 ($RUN_RC)" \
	bash -c "[ $RUN_RC = 1 ] && grep -q 'cancelling the hosts under way' '$WORK/resume3.out'"
check "the campaign is halted" [ "$(q "SELECT state FROM campaigns WHERE id = '$C'")" = halted ]
check "no step is left without an outcome" \
	[ "$(q "SELECT count(*) FROM step_intents i LEFT JOIN step_outcomes o ON o.intent = i.id WHERE o.intent IS NULL")" = 0 ]

# 9. Run again, detached with --log: the host runs, the campaign is done.
"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" $(clock_flags) --log "$WORK/final.log" \
	>"$WORK/final.out" 2>&1 && rc=0 || rc=$?
check "the run after the release exits 0 ($rc)" [ "$rc" = 0 ]
check "with --log the terminal gets one line, the log the rest" \
	bash -c "[ \"\$(cat '$WORK/final.out')\" = 'rollout run: logging to $WORK/final.log' ] &&
		grep -q '^Resuming campaign $C' '$WORK/final.log'"
check "the campaign is done" [ "$(q "SELECT state FROM campaigns WHERE id = '$C'")" = done ]
check "the simulator's odori-t02 has the update now" [ "$(kb_on odori-t02)" = 1 ]
"$ROLLOUT" status $C --state-dir "$STATE" >/dev/null && rc=0 || rc=$?
check "status of a done campaign exits 0 ($rc)" [ "$rc" = 0 ]
check "no engine holds the lease any more" [ "$(q "SELECT count(*) FROM engine_leases")" = 0 ]
finish
