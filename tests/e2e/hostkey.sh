#!/usr/bin/env bash
# A host whose key differs from the recorded one is refused before anything
# is sent to it (no authentication, no command), with a warning that names it
# and says what to do; the other hosts of the campaign are unaffected, and
# `rollout hosts enroll` reports the change without recording it.
. "$(dirname "$0")/lib.sh"
C=e2e-hostkey
kh=$STATE/known_hosts
victim=kiyota-t05 donor=kiyota-t06
vaddr=$(awk -v h=$victim '$1 == h { print $2 }' "$WORK/enroll.log")
daddr=$(awk -v h=$donor '$1 == h { print $2 }' "$WORK/enroll.log")
check "the fixture enrolled $victim ($vaddr) and $donor ($daddr)" [ -n "$vaddr" ] && [ -n "$daddr" ]
# Record the donor's key under the victim's address: as if the victim's key changed.
vpat="[${vaddr%:*}]:${vaddr##*:}"
dpat="[${daddr%:*}]:${daddr##*:}"
dkey=$(awk -v p="$dpat" '$1 == p { print $2, $3 }' "$kh")
awk -v p="$vpat" -v k="$dkey" '$1 == p { print p, k; next } { print }' "$kh" >"$kh.new" && mv "$kh.new" "$kh"
check "the recorded key of $victim now differs" grep -qF "$vpat $dkey" "$kh"
lines_before=$(grep -c "$victim" "$WORK/sim.log" || true)

run_campaign "$SRC/tests/e2e/campaigns/hostkey.yml"
approve_all $C
wait_run
st=$(status_json $C)
check "only $victim failed" [ "$(echo "$st" | json "' '.join(f['host'] for f in d['failed'])")" = $victim ]
reason=$(echo "$st" | json "d['failed'][0]['reason']")
check "its reason names the changed host key and enrolment ($reason)" \
	has "$reason" "presented ssh-ed25519 key" "nothing was sent to it" "rollout hosts enroll"
check "no step intent was recorded for $victim" \
	[ "$(sqlite3 "$STATE/state.db" "SELECT count(*) FROM step_intents WHERE host = '$victim'")" = 0 ]
lines_after=$(grep -c "$victim" "$WORK/sim.log" || true)
check "the simulated host saw no authentication and no command ($lines_before -> $lines_after log lines)" \
	bash -c "! sed -n '$((lines_before + 1)),\$p' '$WORK/sim.log' | grep '$victim' | grep -qiE 'auth|exit|scp'"
check "the other 10 hosts are done" \
	[ "$(echo "$st" | json "sum(w['hosts']['done'] for w in d['waves'])")" = 10 ]

"$ROLLOUT" hosts enroll "$INVENTORY" --port "$(port)" --state-dir "$STATE" >"$WORK/enroll2.log" 2>&1 && rc=0 || rc=$?
check "enroll reports the changed key and exits 1" \
	bash -c "[ $rc = 1 ] && grep '$victim' '$WORK/enroll2.log' | grep -q CHANGED"
check "enroll did not replace it without --replace" grep -qF "$vpat $dkey" "$kh"
finish
