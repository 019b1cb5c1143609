#!/bin/sh
# incident.sh ROLLOUT SOURCE_DIR - `rollout incident` end to end on a real store: the
# deadline each kind gets, the clocks `list` shows (time left, breached by
# how much), the refusal to close a missed incident without an explanation
# (exit 2, nothing changed), events out of order, bad input, the JSON and
# the journal (every change journaled, and the journal still verifies); and
# a campaign started for an incident at a time of day (`start:` with a
# time, `incident: ID`).
set -u
rollout=$1
src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export ROLLOUT_STATE_DIR="$tmp/state"
fail=0

# run CODE ARGS... - run `rollout incident ARGS`, which must exit with CODE;
# stdout in $tmp/out, stderr in $tmp/err.
run() {
	want=$1; shift
	"$rollout" incident "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: 'incident $*' exited $got, expected $want"
		cat "$tmp/out" "$tmp/err"; fail=1
	fi
	if [ "$want" -eq 2 ] && ! [ -s "$tmp/err" ]; then
		echo "FAIL: 'incident $*' refused without saying why"; fail=1
	fi
}

# has FILE TEXT - FILE must contain TEXT (a fixed string).
has() {
	if ! grep -qF -- "$2" "$tmp/$1"; then
		echo "FAIL: expected '$2' in $1:"; cat "$tmp/$1"; fail=1
	fi
}

# 1: a CS fault outside working time (Wednesday 19:30): 180 minutes.
run 0 open --host cs01 --kind cs --instructed-at "2026-11-04 19:30" --note "the city called"
has out "incident 1: cs"
has out "on site by 2026-11-04 22:30"
# 2: a terminal on Friday evening: Monday noon.
run 0 open --host term-a01 --kind terminal --instructed-at "2026-11-06 19:30"
has out "on site by 2026-11-09 12:00"
# 3: a touch panel the evening before 文化の日 (11-03): Wednesday's opening.
run 0 open --host term-b02 --kind touch-panel --instructed-at "2026-11-02 17:30"
has out "on site by 2026-11-04 08:45"
# 4: a CS fault on Friday 2025-12-26 at 17:00, the last working day before
# the year-end closure, in working time: 90 minutes.
run 0 open --host cs02 --kind cs --instructed-at "2025-12-26 17:00"
has out "on site by 2025-12-26 18:30"

# The clocks, as at Monday 2026-11-09 11:00: incident 2 has an hour left,
# incident 3 (never attended) is breached by 5 days 2h 15m.
run 0 list --open --month 2026-11 --now "2026-11-09 11:00"
has out "1h 00m left"
has out "BREACHED by 5d 02h 15m"
run 0 list --json --now "2026-11-09 11:00"
has out '"id":2,"host":"term-a01","kind":"terminal","state":"open"'
has out '"seconds_left":3600'
run 0 list --month 2026-10
has out "no incidents instructed in 2026-10"

# Incident 1 arrives 30 minutes late: closing without an explanation is
# refused (2) and changes nothing; with one it closes.
run 0 arrive 1 --at "2026-11-04 23:00"
has out "missed by 30m"
run 0 recover 1 --at "2026-11-05 01:10" --note "disk replaced"
run 2 close 1 --at "2026-11-05 02:00"
has err "missed its target"
has err "--explanation TEXT"
run 0 show 1
has out "recovered"
run 0 close 1 --at "2026-11-05 02:00" --explanation "road closed by snow; detour"
has out "closed at 2026-11-05 02:00"
run 0 show 1 --json
has out '"met":false'
has out '"explanation":"road closed by snow; detour"'

# Incident 2 arrives in time: it closes without an explanation.
run 0 arrive 2 --at "2026-11-09 10:30"
has out "met (1h 30m to spare)"
run 0 close 2 --at "2026-11-09 15:00"
run 0 show 2 --json
has out '"met":true'

# Events out of order, before the previous one, or in the future.
run 2 close 3
has err "no arrival on site yet"
has err "called it off"
run 2 recover 3
has err "record the arrival"
run 2 arrive 3 --at "2026-11-02 17:00"
has err "before the previous event"
run 2 arrive 3 --at "2099-01-01 10:00"
has err "in the future"
run 2 arrive 1
has err "closed already"

# Bad input: exit 2, nothing recorded.
run 2 open --host cs01 --kind server --instructed-at "2026-11-04 19:30"
has err "not one of cs, terminal, touch-panel"
run 2 open --host cs01 --kind cs --instructed-at "2026-11-04 25:30"
has err "is not a time"
run 2 open --host "cs 01" --kind cs --instructed-at "2026-11-04 19:30"
run 2 open --host cs01 --kind cs
run 2 open --host cs01 --kind cs --instructed-at "2099-11-04 19:30"
has err "in the future"
run 2 show 99
has err "no incident 99"
run 2 show abc
run 2 list --month 2026-13
run 2 arrive 1 --month 2026-11
run 2 frobnicate
run 0 list
if [ "$(grep -c '^[0-9]' "$tmp/out")" -ne 4 ]; then
	echo "FAIL: expected 4 incidents after the refusals:"; cat "$tmp/out"; fail=1
fi

# An incident the city called off is closed without an arrival, with an
# explanation; it is neither met nor missed.
run 0 open --host term-c03 --kind touch-panel --instructed-at "2026-11-10 10:00"
run 2 close 5
run 0 close 5 --at "2026-11-10 10:20" --explanation "the city called it off: a loose cable"
run 0 show 5 --json
has out '"state":"closed"'
has out '"met":null'

# `status` lists the incidents not closed with their clocks.
"$rollout" status >"$tmp/out" 2>"$tmp/err" || { echo "FAIL: status"; cat "$tmp/err"; fail=1; }
has out "open incidents"
has out "incident 3    touch-panel term-b02         open      on site by 2026-11-04 08:45: BREACHED by"
if grep -q "incident 1 " "$tmp/out"; then
	echo "FAIL: status lists closed incident 1"; cat "$tmp/out"; fail=1
fi

# A campaign started for incident 2 on the evening of the instruction: its
# work is planned from 19:30, not from the start of the day, and recording
# it links it to the incident.
cat >"$tmp/campaign.yml" <<EOC
campaign: log-collection-term-a01
title: log collection for incident 2
inventory: $src/inventory/sapporo.yml
playbooks: [$src/playbooks/log-collection.yml]
targets: {hosts: [kita-t05]}
params:
  incident: 2026-11-06-kita-t05
start: 2026-11-06 19:30
incident: 2
EOC
if ! "$rollout" plan "$tmp/campaign.yml" >"$tmp/out" 2>"$tmp/err"; then
	echo "FAIL: plan of a campaign with a start time"; cat "$tmp/err"; fail=1
fi
has out "kita-t05 19:30-"
if ! "$rollout" plan --json "$tmp/campaign.yml" >"$tmp/out" 2>"$tmp/err"; then
	echo "FAIL: plan --json"; cat "$tmp/err"; fail=1
fi
has out '"start":"2026-11-06 19:30","incident":2'
# Incident 9 does not exist: nothing is recorded.
sed 's/^incident: 2$/incident: 9/' "$tmp/campaign.yml" >"$tmp/c9.yml"
rc=0; "$rollout" plan --save "$tmp/c9.yml" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" != 2 ]; then
	echo "FAIL: plan --save of a campaign for a missing incident: exit $rc, not 2 (bad input)"; fail=1
fi
has err "no incident 9"
if "$rollout" status log-collection-term-a01 >/dev/null 2>&1; then
	echo "FAIL: the campaign was recorded for a missing incident"; fail=1
fi
if ! "$rollout" plan --save "$tmp/campaign.yml" >"$tmp/out" 2>"$tmp/err"; then
	echo "FAIL: plan --save"; cat "$tmp/err"; fail=1
fi
run 0 show 2
has out "campaigns:    log-collection-term-a01"

# Journaled: one record per change (5 opens, 2 arrivals, 1 recovery, 3
# closes, 1 link), and the journal verifies.
n=$(sqlite3 "$tmp/state/state.db" "SELECT count(*) FROM journal WHERE kind LIKE 'incident.%'")
if [ "$n" != 12 ]; then
	echo "FAIL: $n incident journal records, expected 12"; fail=1
fi
if ! "$rollout" audit verify --state-dir "$tmp/state" >"$tmp/out" 2>&1; then
	echo "FAIL: the journal does not verify"; cat "$tmp/out"; fail=1
fi
# Events are append-only.
if sqlite3 "$tmp/state/state.db" "DELETE FROM incident_events" 2>/dev/null; then
	echo "FAIL: incident events could be deleted"; fail=1
fi

[ $fail -eq 0 ] && echo "incident: all checks passed"
exit $fail
