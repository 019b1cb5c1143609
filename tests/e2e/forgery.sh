#!/usr/bin/env bash
# Approvals no one can forge: while the engine waits at a gate, a row written
# into the store with sqlite3, a valid signature copied to another wave, one
# copied from another campaign's plan, a key not on the roster and an approver
# without the gate's role are each refused: the engine does not move, and a
# security event is journaled. Then a real signature opens the gate, and a
# signed refusal halts the campaign with its comment. Offline, `rollout
# approvals verify` tells the valid rows from the forged ones.
. "$(dirname "$0")/lib.sh"
C=e2e-forgery
O=e2e-forgery-other
db=$STATE/state.db
# The engine writes the store meanwhile: wait for its lock as resume-rules.sh does.
q() { sqlite3 -cmd ".timeout 5000" "$db" "$1"; }
# until_true SECONDS COMMAND...: polls a condition every 0.1 s, at most SECONDS.
until_true() {
	local n=$(($1 * 10)); shift
	while ! "$@"; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
refused() { [ "$(q "SELECT count(*) FROM journal WHERE kind = 'security.approval-refused'")" -ge "$1" ]; }
refused_row() { # refused_row ID: the engine journaled approval ID as refused
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'security.approval-refused' AND json_extract(detail, '\$.approval') = $1")" = 1 ]
}
started() { q "SELECT count(*) FROM campaign_hosts WHERE campaign = '$C' AND state != 'pending'"; }
wave_hosts_started() { q "SELECT count(*) FROM campaign_hosts WHERE campaign = '$C' AND wave = $1 AND state != 'pending'"; }
wait_gate() { "$ROLLOUT" status $C --state-dir "$STATE" --wait-gate --timeout 120; }

"$ROLLOUT" plan "$SRC/tests/e2e/campaigns/forgery.yml" --save --state-dir "$STATE" >/dev/null
"$ROLLOUT" plan "$SRC/tests/e2e/campaigns/forgery-other.yml" --save --state-dir "$STATE" >/dev/null
hash=$(q "SELECT plan_hash FROM campaigns WHERE id = '$C'")
export ROLLOUT_E2E_NOTIFY=$WORK/notify.log
run_campaign "$SRC/tests/e2e/campaigns/forgery.yml"
check "the engine waits at the gate of wave 1" [ "$(wait_gate)" = 1 ]
notified() { [ -f "$ROLLOUT_E2E_NOTIFY" ] && [ "$(grep -c "$1" "$ROLLOUT_E2E_NOTIFY")" -ge "${2:-1}" ]; }
gate1="\"event\":\"gate-waiting\",.*\"wave\":1,.*\"approve\":\"rollout approve $C --wave 1 --plan-hash ${hash:0:12} --state-dir "
check "notify: the waiting gate is announced with the command that approves it" \
	until_true 30 notified "$gate1"

# 1. A row written by hand, and the wave marked approved by hand.
q "INSERT INTO approvals (campaign, wave, approver, comment, approved_at, plan_hash)
   VALUES ('$C', 0, 'sato', 'forged with sqlite3', strftime('%s','now'), '$hash');
   UPDATE waves SET state = 'approved' WHERE campaign = '$C' AND idx = 0;"
forged=$(q "SELECT max(id) FROM approvals")
check "the engine journals the unsigned row as a security event" until_true 30 refused_row "$forged"
check "the unsigned row's event says it carries no signature" \
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'security.approval-refused' AND detail LIKE '%carries no signature%'")" = 1 ]
check "no host started on the forged approval" [ "$(started)" = 0 ]

# 2. A key not on the roster, and an approver without the gate's role.
approve_as yamada $C 1 >/dev/null 2>"$WORK/yamada.err" && rc=0 || rc=$?
check "a key not on the roster is refused ($rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'is not on the roster' '$WORK/yamada.err'"
approve_as tanaka $C 1 >/dev/null 2>"$WORK/tanaka.err" && rc=0 || rc=$?
check "the contractor's lead cannot approve the city's gate ($rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'tanaka is a contractor-lead' '$WORK/tanaka.err'"
check "both attempts are journaled as security events" refused 3
check "still no host started" [ "$(started)" = 0 ]

# 3. The city approves wave 1: the engine goes on to wave 2's gate.
approve_as sato $C 1 --comment "wave 1 OK" >/dev/null
check "a signed approval opens the gate: the engine reaches wave 2's gate" [ "$(wait_gate)" = 2 ]
check "wave 1's host ran" [ "$(wave_hosts_started 0)" = 1 ]

# 4. Wave 1's valid signature copied to wave 2.
q "INSERT INTO approvals (campaign, wave, approver, comment, approved_at, plan_hash, decision, gate, signer_key, signature)
   SELECT campaign, 1, approver, comment, approved_at, plan_hash, decision, gate, signer_key, signature
   FROM approvals WHERE campaign = '$C' AND wave = 0 AND signature IS NOT NULL;
   UPDATE waves SET state = 'approved' WHERE campaign = '$C' AND idx = 1;"
replayed=$(q "SELECT max(id) FROM approvals")
check "a signature replayed for another wave is journaled" until_true 30 refused_row "$replayed"
check "it does not match its record" \
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'security.approval-refused' AND json_extract(detail, '\$.approval') = $replayed AND detail LIKE '%does not match this record%'")" = 1 ]
check "wave 2's host did not start on it" [ "$(wave_hosts_started 1)" = 0 ]

# 5. A signature sato made for another campaign's plan, copied to this one.
"$ROLLOUT" approve $O --wave 1 --state-dir "$STATE" --key "$(approver_key sato)" --passphrase-fd 3 \
	3< <(printf 'e2e approver sato passphrase\n') >/dev/null
q "INSERT INTO approvals (campaign, wave, approver, comment, approved_at, plan_hash, decision, gate, signer_key, signature)
   SELECT '$C', 1, approver, comment, approved_at, '$hash', decision, gate, signer_key, signature
   FROM approvals WHERE campaign = '$O' AND wave = 0;"
other=$(q "SELECT max(id) FROM approvals")
check "a signature for another plan is journaled" until_true 30 refused_row "$other"
check "wave 2's host did not start on it either" [ "$(wave_hosts_started 1)" = 0 ]

# 6. Approved for real; then the city refuses wave 3 with a comment.
approve_as sato $C 2 >/dev/null
check "the engine reaches wave 3's gate" [ "$(wait_gate)" = 3 ]
approve_as sato $C 3 --refuse --comment "窓口が混雑しているため延期" >"$WORK/refuse.out"
check "the refusal is recorded" grep -q "^Refused wave 3" "$WORK/refuse.out"
wait_run
check "the run ends halted (exit $RUN_RC)" [ "$RUN_RC" != 0 ]
check "the campaign is halted with the refusal and its comment" \
	[ "$(q "SELECT count(*) FROM campaigns WHERE id = '$C' AND state = 'halted' AND reason LIKE 'sato refused wave 3: 窓口が混雑しているため延期%'")" = 1 ]
check "wave 3's host never started" [ "$(wave_hosts_started 2)" = 0 ]
check "notify: three gates waited, then the campaign ended halted with the refusal" \
	[ "$(python3 -c "
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
print([(x['event'], x.get('wave')) for x in e], e[-1]['state'], 'sato refused wave 3: 窓口が混雑しているため延期' in e[-1]['detail'])" "$ROLLOUT_E2E_NOTIFY")" = \
		"[('gate-waiting', 1), ('gate-waiting', 2), ('gate-waiting', 3), ('campaign-ended', None)] halted True" ]

# 7. Offline: the signed rows verify, the three forged ones do not.
"$ROLLOUT" approvals verify $C --state-dir "$STATE" --json >"$WORK/verify.json" && rc=0 || rc=$?
check "approvals verify exits 1 when a row does not verify ($rc)" [ "$rc" = 1 ]
check "three valid, three invalid, and which ones" \
	[ "$(json "(sum(c['valid'] for c in d['checks']), sorted(c['id'] for c in d['checks'] if not c['valid']))" <"$WORK/verify.json")" = "(3, [$forged, $replayed, $other])" ]
"$ROLLOUT" approvals verify $O --state-dir "$STATE" >/dev/null && rc=0 || rc=$?
check "the other campaign's own approval verifies ($rc)" [ "$rc" = 0 ]
finish
