#!/usr/bin/env bash
# An incident on the simulated fleet, end to end over real SSH sessions: the
# city instructs at 19:00 that terminal kita-t05 failed; an incident is
# opened on the SLA clock; the log-collection campaign is started for it at
# 19:20 (`start:` with a time, `incident: 1`); its fetch step brings the log
# archive back over SCP. The chain of custody is checked end to end: the kept
# file (0600, under incidents/1/kita-t05/, no part file left) hashes to what
# the store and the journal recorded, which is the hash the simulated host
# holds for the archive; the journal still verifies. Then a fetch of a file
# that is not there fails the host and keeps nothing.
. "$(dirname "$0")/lib.sh"

date +%s >"$WORK/anchor"
if ! rollout incident open --state-dir "$STATE" --host kita-t05 --kind terminal \
	--instructed-at "2026-11-04 19:00" --note "kiosk frozen; city called" >"$WORK/open.log" 2>&1; then
	cat "$WORK/open.log"
fi
check "the incident is opened with its deadline (Thursday noon)" \
	has "$(cat "$WORK/open.log")" "on site by 2026-11-05 12:00"

# The shipped campaign, started for the incident at 19:20.
sed -e 's/^start: .*/start: 2026-11-04 19:20\nincident: 1/' \
	-e "s#\.\./\.\./inventory#$SRC/inventory#; s#\.\./approvers#$SRC/playbooks/approvers#" \
	-e "s#\.\./log-collection#$SRC/playbooks/log-collection#" \
	"$SRC/playbooks/campaigns/2026-11-log-collection-kita-t05.yml" >"$WORK/incident-1.yml"
c=2026-11-log-collection-kita-t05
run_campaign "$WORK/incident-1.yml"
approve_all "$c"
wait_run
check "the campaign for incident 1 exits 0" [ "$RUN_RC" = 0 ]
[ "$RUN_RC" = 0 ] || tail -20 "$WORK/run.log"

kept=$STATE/incidents/1/kita-t05/2026-11-04-kita-t05.zip
check "the archive is kept under incidents/1/kita-t05/" [ -f "$kept" ]
check "the kept archive is 0600" [ "$(stat -c %a "$kept" 2>/dev/null)" = 600 ]
check "no part file is left" [ -z "$(find "$STATE/incidents" -name '*.part')" ]
got=$(sha256sum "$kept" 2>/dev/null | cut -d' ' -f1)
db=$STATE/state.db
stored=$(sqlite3 "$db" "SELECT sha256 FROM incident_files WHERE incident = 1 AND host = 'kita-t05'")
journaled=$(sqlite3 "$db" "SELECT json_extract(detail, '\$.sha256') FROM journal WHERE kind = 'incident.file'")
on_host=$(sqlite3 "$WORK/sim/state.db" "SELECT lower(a) FROM item WHERE host = 'kita-t05' AND kind = 'file' AND key = 'C:\\Windows\\Temp\\rollout-logs\\2026-11-04-kita-t05.zip'")
check "the kept file's sha256 is the one the store recorded" [ -n "$got" ] && [ "$got" = "$stored" ]
check "... the one the journal recorded" [ "$got" = "$journaled" ]
check "... and the one the host holds for the archive" [ "$got" = "$on_host" ]
check "the archive holds the exported logs" grep -q "System.evtx" "$kept"
rollout incident show 1 --state-dir "$STATE" >"$WORK/show.log" 2>&1
check "incident show lists the file and its hash" has "$(cat "$WORK/show.log")" "sha256 $got"
check "incident show names the campaign" has "$(cat "$WORK/show.log")" "campaigns:    $c"
outcome=$(sqlite3 "$db" "SELECT o.detail FROM step_outcomes o JOIN step_intents i ON i.id = o.intent WHERE i.campaign = '$c' AND i.step_name = 'fetch-archive'")
check "the fetch step's outcome says where the file is kept" starts "$outcome" "$(stat -c %s "$kept") bytes, sha256 $got (checked on the host), kept as $kept"
check "the journal verifies" rollout audit verify --state-dir "$STATE"

# A fetch of a file that is not on the host: the host fails, nothing is kept.
mkdir -p "$WORK/pb"
cat >"$WORK/pb/fetch-missing.yml" <<EOP
playbook: fetch-missing
title: fetch a file that is not there
targets: {hosts: [kita-t04]}
policy: {window: any, gates: [], failure_budget: 100%}
steps:
  - name: fetch-nothing
    fetch: 'C:\\Windows\\Temp\\rollout-logs\\no-such.zip'
EOP
cat >"$WORK/pb/fetch-missing-campaign.yml" <<EOC
campaign: fetch-missing
inventory: $SRC/inventory/sapporo.yml
playbooks: [fetch-missing.yml]
start: 2026-11-04 19:20
incident: 1
EOC
date +%s >"$WORK/anchor"
run_campaign "$WORK/pb/fetch-missing-campaign.yml"
wait_run
check "a fetch of a missing file fails the run (exit 1)" [ "$RUN_RC" = 1 ]
check "nothing is kept for kita-t04" [ -z "$(ls -A "$STATE/incidents/1/kita-t04" 2>/dev/null)" ]
why=$(sqlite3 "$db" "SELECT o.detail FROM step_outcomes o JOIN step_intents i ON i.id = o.intent WHERE i.campaign = 'fetch-missing' ORDER BY o.intent DESC LIMIT 1")
check "the outcome says the host did not send it" has "$why" "did not send"
finish
