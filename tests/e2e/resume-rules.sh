#!/usr/bin/env bash
# Every row of the resume table in docs/EXECUTION.md, each made by killing the
# engine (SIGKILL, ROLLOUT_TEST_CRASH_AT) at the exact moment that leaves that
# record, then running the same command again. The fleet is the judge: the
# simulator's command log and state (tests/e2e/fleet-check.py), with the
# store's record for the row-specific checks.
. "$(dirname "$0")/lib.sh"
C=e2e-resume-rules
file=$SRC/tests/e2e/campaigns/resume-rules.yml
db=$STATE/state.db
q() { sqlite3 -cmd ".timeout 5000" "$db" "$1"; }
"$ROLLOUT" plan "$file" --save --state "$STATE" >/dev/null
start_approver $C
# Hosts by wave: each crash point is in a later wave than the one before, so
# that no earlier run can have passed it (a wave starts when the last is done).
nth() { q "SELECT host FROM campaign_hosts WHERE campaign = '$C' AND wave = $1 ORDER BY host LIMIT 1 OFFSET $2"; }
w3=$(nth 2 0) w4=$(nth 3 0) w5=$(nth 4 0) w6=$(nth 5 0) w7=$(nth 6 0) w7b=$(nth 6 1)

# Row 1: a host that already has its update is found so by its check.
sqlite3 -cmd ".timeout 5000" "$WORK/sim/state.db" \
	"INSERT INTO item (host, kind, key, a, n, t) VALUES ('$w7b', 'kb', 'KB5066835', 'Security Update', 1, 0)"

runs=0
# crash POINT: runs the campaign, which must die at POINT (HOST:STEP:WHEN).
crash() {
	local rc=0
	runs=$((runs + 1))
	ROLLOUT_TEST_CRASH_AT=$1 "$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain \
		$(clock_flags) >"$WORK/run$runs.log" 2>&1 || rc=$?
	check "run $runs was killed at $1 (exit $rc)" [ "$rc" = 137 ]
}
# last HOST STEP COLUMN: the column of the host's latest run of STEP.
last() { q "SELECT o.$3 FROM step_intents i JOIN step_outcomes o ON o.intent = i.id
	WHERE i.campaign = '$C' AND i.host = '$1' AND i.step_name = '$2' ORDER BY i.id DESC LIMIT 1"; }
intents() { q "SELECT count(*) FROM step_intents WHERE campaign = '$C' AND host = '$1' AND step_name = '$2'"; }

crash cs-standby:cs-install:outcome      # install recorded 3010, restart owed
crash cs-standby:cs-confirm:intent       # killed in a post-condition after the restart
crash cs-active:restart:sent             # the restart was sent, its outcome never recorded
crash "$w3:restart:mark"                 # boot time marked, restart not yet sent
crash "$w4:install:ran"                  # wusa ran, its outcome lost
crash "$w5:restart:intent"               # restart intended, nothing read or sent
crash "$w6:cleanup:outcome"              # everything recorded but the host's own "done"
crash "$w7:free-space:intent"            # only read-only steps recorded

# The same command once more finishes the campaign.
"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) \
	>"$WORK/final.log" 2>&1 && rc=0 || rc=$?
check "the last run exits 0 ($rc)" [ "$rc" = 0 ]

# Row 3 + 5: install recorded ok is not repeated; the owed restart is made.
check "cs-standby: cs-install ran once (intents: $(intents cs-standby cs-install))" \
	[ "$(intents cs-standby cs-install)" = 1 ]
check "cs-standby: the owed restart was made ($(last cs-standby restart detail))" \
	has "$(last cs-standby restart detail)" "restarted: boot time"
# Row 8: the check could not skip what follows the campaign's own work.
check "cs-standby: its check did not run again after the crash (intents: $(intents cs-standby cs-already-installed))" \
	[ "$(intents cs-standby cs-already-installed)" = 1 ]
check "cs-standby: verifies that passed before the recorded install were not repeated" \
	[ "$(intents cs-standby free-space)$(intents cs-standby cluster-healthy-before)$(intents cs-standby cs-verify-package)" = 111 ]
check "cs-standby: cluster-healthy-after ran and passed" [ "$(last cs-standby cluster-healthy-after status)" = ok ]
# Row 6, restart sent: settled by the boot time, not sent again.
check "cs-active: the restart the killed run sent is recognised ($(last cs-active restart detail))" \
	has "$(last cs-active restart detail)" "not restarted again"
check "cs-active: cluster-healthy-after ran and passed" [ "$(last cs-active cluster-healthy-after status)" = ok ]
# Row 6, marked but not sent: the boot time is unchanged, so the restart is sent now.
check "$w3: the restart was sent by the resume ($(last $w3 restart detail))" \
	starts "$(last $w3 restart detail)" "restarted: boot time"
check "$w3: the interrupted restart had its boot time marked" \
	[ "$(q "SELECT count(*) FROM reboot_marks r JOIN step_intents i ON i.id = r.intent WHERE i.host = '$w3'")" = 2 ]
# Row 4: an install whose outcome was lost runs again (wusa answers 3010 at once).
check "$w4: the install whose outcome was lost ran again ($(intents $w4 install) runs)" \
	[ "$(intents $w4 install)" = 2 ]
# Row 7: a restart intended, nothing sent: made once.
check "$w5: the restart was made by the resume" starts "$(last $w5 restart detail)" "restarted: boot time"
# Row 8: nothing left but "done": no step that changes the host runs again.
check "$w6: no step that changes the host ran again" \
	[ "$(q "SELECT count(*) FROM step_intents WHERE campaign = '$C' AND host = '$w6' AND step_name IN ('copy-package', 'install', 'restart', 'cleanup') GROUP BY host")" = 4 ]
check "$w6: its confirm, passed before the last change (cleanup), was not repeated" [ "$(intents "$w6" confirm)" = 1 ]
check "$w6: ends done, not up to date" [ "$(q "SELECT state FROM campaign_hosts WHERE campaign = '$C' AND host = '$w6'")" = done ]
# Row 2: only a read-only step recorded: the host starts from its check.
check "$w7: started again from its check ($(intents "$w7" already-installed) checks)" \
	[ "$(intents "$w7" already-installed)" = 2 ]
check "$w7: its interrupted free-space ran again" [ "$(intents "$w7" free-space)" = 2 ]
# Row 1: up to date by its check, untouched.
check "$w7b: already had the update and is reported up to date" \
	[ "$(q "SELECT state FROM campaign_hosts WHERE campaign = '$C' AND host = '$w7b'")" = skipped ]
# Row 9: done hosts are not touched by later runs.
check "cs-standby was not touched after it was done" \
	[ "$(q "SELECT count(*) FROM step_intents WHERE host = 'cs-standby' AND id > (SELECT min(i.id) FROM step_intents i JOIN step_outcomes o ON o.intent = i.id WHERE i.host = 'cs-standby' AND i.step_name = 'cs-cleanup' AND o.status = 'ok')")" = 0 ]

# The fleet's word for all of it (the up-to-date host aside).
if python3 "$SRC/tests/e2e/fleet-check.py" "$WORK/sim.log" "$WORK/sim/state.db" "$db" $C "$w7b" >"$WORK/fleet.txt"; then
	ok "the fleet agrees (tests/e2e/fleet-check.py)"
else
	bad "the fleet disagrees"
fi
cat "$WORK/fleet.txt"
finish
