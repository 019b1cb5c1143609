#!/usr/bin/env bash
# `rollout run`, `approve` and `status` on bad input: a clear message, exit 2,
# and nothing recorded. (Running against hosts is tested in tests/e2e.)
. "$(dirname "$0")/lib.sh"
os=$src/playbooks/campaigns/2026-10-os-update.yml
st=$tmp/state

expect 2 "cannot open" "a missing campaign file" -- "$rollout" run "$tmp/nope.yml" --state-dir "$st"
expect 2 "rollout keygen --state-dir" "no engine key: says how to make one" -- "$rollout" run "$os" --state-dir "$st"
"$rollout" keygen --state-dir "$st" >/dev/null
expect 2 "rollout hosts enroll" "no known hosts: says how to record them" -- "$rollout" run "$os" --state-dir "$st"
: >"$st/known_hosts"
expect 2 "changes passwords: name the vault member who unlocks the vault, e.g. --vault-member" \
	"a campaign with password steps needs --vault-member" -- \
	"$rollout" run "$src/playbooks/campaigns/2026-10-combined.yml" --state-dir "$st"
if [ -e "$st/state.db" ]; then fail=$((fail + 1)); echo "FAIL: the refused run recorded a store"; else pass=$((pass + 1)); fi
expect 2 "--time-warp takes a number" "a bad warp" -- "$rollout" run "$os" --time-warp 0
expect 2 "--port takes a TCP port" "a bad port" -- "$rollout" run "$os" --port 70000
expect 0 "no campaigns recorded yet" "status of an empty store" -- "$rollout" status --state-dir "$st"
expect 2 "there is no campaign nosuch" "status of an unknown campaign" -- "$rollout" status nosuch --state-dir "$st"
expect 2 "there is no campaign nosuch" "approving an unknown campaign" -- "$rollout" approve nosuch --wave 1 --state-dir "$st"
expect 2 "wave number \(1, 2, ...\)" "wave 0 (waves count from 1)" -- "$rollout" approve x --wave 0 --state-dir "$st"
expect 2 "say which gate" "approve without --wave" -- "$rollout" approve x --state-dir "$st"
"$rollout" plan "$os" --save --state "$st" >/dev/null 2>&1
expect 1 "not the 000000000000 you reviewed" "an approval for another plan's hash" -- \
	"$rollout" approve 2026-10-os-update --wave 1 --plan-hash 000000000000 --state-dir "$st"
expect 1 "not gated|cannot be approved|not a gated" "approving an ungated wave" -- \
	"$rollout" approve 2026-10-os-update --wave 2 --state-dir "$st"
expect 0 "approvers 'sapporo-simulated', 2 members" "validate knows an approvers roster" -- \
	"$rollout" validate "$src/playbooks/approvers/sapporo.yml"
# Approvals are signed with the approver's own key file (tests/approvers).
mkdir -p "$tmp/keys"
for who in sato tanaka yamada; do install -m 600 "$src/tests/approvers/$who.key" "$tmp/keys/$who.key"; done
printf 'e2e approver sato passphrase\n' >"$tmp/sato.pass"
printf 'e2e approver tanaka passphrase\n' >"$tmp/tanaka.pass"
printf 'e2e approver yamada passphrase\n' >"$tmp/yamada.pass"
printf 'not the passphrase at all\n' >"$tmp/wrong.pass"
expect 2 "--as no longer names the approver" "--as cannot choose who approved" -- \
	"$rollout" approve 2026-10-os-update --wave 1 --as "札幌市長" --state-dir "$st"
expect 1 "passphrase" "a wrong passphrase signs nothing" -- \
	"$rollout" approve 2026-10-os-update --wave 1 --key "$tmp/keys/sato.key" --passphrase-fd 3 \
	--state-dir "$st" 3<"$tmp/wrong.pass"
expect 1 "refused: the key of 'yamada' .* is not on the roster 'sapporo-simulated'" \
	"a key not on the roster is refused" -- \
	"$rollout" approve 2026-10-os-update --wave 1 --key "$tmp/keys/yamada.key" --passphrase-fd 3 \
	--state-dir "$st" 3<"$tmp/yamada.pass"
expect 1 "refused: tanaka is a contractor-lead; the before-first gate of wave 1 is approved by a city-approver" \
	"an approver without the gate's role is refused" -- \
	"$rollout" approve 2026-10-os-update --wave 1 --key "$tmp/keys/tanaka.key" --passphrase-fd 3 \
	--state-dir "$st" 3<"$tmp/tanaka.pass"
expect 0 "Approved wave 1 \(cs-standby, 1 host\) .* signed by sato \(city-approver\)" \
	"approving a gate ahead of the run" -- \
	"$rollout" approve 2026-10-os-update --wave 1 --comment "ok" --key "$tmp/keys/sato.key" \
	--passphrase-fd 3 --state-dir "$st" 3<"$tmp/sato.pass"
expect 0 '"approver":"sato"' "status --json shows the approval" -- \
	"$rollout" status 2026-10-os-update --json --state-dir "$st"
expect 0 "valid   approval 1, wave 1, approve by sato" "the approval verifies offline" -- \
	"$rollout" approvals verify 2026-10-os-update --state-dir "$st"
n=$(sqlite3 "$st/state.db" "SELECT count(*) FROM journal WHERE kind = 'security.approval-refused'")
if [ "$n" = 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: 2 refused attempts journaled, got $n"; fi
# Wave numbers in errors are the plan's (from 1), not the store's index.
expect 2 "has no wave 99;" "an unknown wave is named as the plan numbers it" -- \
	"$rollout" approve 2026-10-os-update --wave 99 --state-dir "$st"
# One flag for the state directory everywhere, the old name kept, and the environment.
expect 0 "2026-10-os-update +planned" "--state is an alias of --state-dir" -- "$rollout" status --state "$st"
expect 0 "2026-10-os-update +planned" "ROLLOUT_STATE_DIR is the default state directory" -- \
	env ROLLOUT_STATE_DIR="$st" "$rollout" status
expect 0 "campaign 2026-10-os-update: planned" "status of a planned campaign exits 0" -- \
	"$rollout" status 2026-10-os-update --state-dir "$st"
# stop, resume, hold and release on bad input.
expect 2 "name one campaign" "stop without a campaign" -- "$rollout" stop --state-dir "$st"
expect 2 "there is no campaign nosuch" "stop of an unknown campaign" -- "$rollout" stop nosuch --state-dir "$st"
expect 1 "no engine is running campaign 2026-10-os-update \(it is planned\)" \
	"stop with no engine running" -- "$rollout" stop 2026-10-os-update --state-dir "$st"
expect 2 "there is no campaign nosuch" "resume of an unknown campaign" -- "$rollout" resume nosuch --state-dir "$st"
expect 2 "has no recorded .rollout run." "resume of a campaign that never ran" -- \
	"$rollout" resume 2026-10-os-update --state-dir "$st"
expect 2 "--reason TEXT" "hold without a reason" -- "$rollout" hosts hold 2026-10-os-update kita-t01 --state-dir "$st"
expect 2 "host nosuch-t01 is not in campaign" "hold of an unknown host" -- \
	"$rollout" hosts hold 2026-10-os-update nosuch-t01 --reason x --state-dir "$st"
expect 0 "Held kita-t01" "hold of a pending host" -- \
	"$rollout" hosts hold 2026-10-os-update kita-t01 --reason "no power" --state-dir "$st"
expect 1 "held already" "holding it twice" -- \
	"$rollout" hosts hold 2026-10-os-update kita-t01 --reason "again" --state-dir "$st"
expect 0 "kita-t01 .*no power" "status lists the held host" -- "$rollout" status 2026-10-os-update --state-dir "$st"
expect 0 "Released kita-t01" "release" -- "$rollout" hosts release 2026-10-os-update kita-t01 --state-dir "$st"
expect 2 "is not held" "releasing a host that is not held" -- \
	"$rollout" hosts release 2026-10-os-update kita-t01 --state-dir "$st"
finish
