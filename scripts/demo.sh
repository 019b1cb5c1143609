#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts the simulated Sapporo
# fleet (182 hosts, each on its own loopback address), and runs the October
# 2026 OS security update on all of them: the CS pair, a canary wave, then the
# terminals, with each gate approved by the city from a second process; then the
# April 2027 password change of every administrator password, checked against
# the simulated hosts themselves. Time warp makes the OS update's three days
# (the run keeps each site's planned day) take about a minute, and the rotation less.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
rollout=build/engine/rollout
sim=build/simulator/rollout-sim
wait_file=build/tests/e2e/wait-file
campaign=2026-10-os-update
demo=build/demo
port=${ROLLOUT_DEMO_PORT:-10022}
warp=${ROLLOUT_DEMO_WARP:-3000}

# A previous demo's fleet may still be up (an interrupted run): stop it.
if [ -f "$demo/fleet.ready" ]; then
	kill -TERM "$(sed -n 's/^pid //p' "$demo/fleet.ready")" 2>/dev/null || true
	"$wait_file" --gone "$demo/fleet.ready" 30 || true
fi
rm -rf "$demo"
mkdir -p "$demo"

echo "== the fleet and the plan"
"$rollout" inventory summary inventory/sapporo.yml
"$rollout" validate inventory/sapporo.yml playbooks/*.yml playbooks/campaigns/*.yml playbooks/approvers/*.yml
"$rollout" plan playbooks/campaigns/$campaign.yml --html "$demo/plan.html" | sed -n '1,24p'
echo "   ... (the full plan, with a table per day: rollout plan playbooks/campaigns/$campaign.yml;"
echo "        the approval meeting's Gantt chart: $demo/plan.html)"

echo
echo "== the simulated fleet (rollout-sim), one SSH server per host on 127.10.x.y:$port"
"$rollout" keygen --state-dir "$demo/engine" | tail -2
anchor=$(date +%s)
clock=(--time-warp "$warp" --clock-start 2026-10-05T08:40 --clock-anchor "$anchor")
"$sim" --port "$port" --state "$demo/fleet" --authorized-keys "$demo/engine/id_ed25519.pub" \
	--ready-file "$demo/fleet.ready" "${clock[@]}" inventory/sapporo.yml 2>"$demo/fleet.log" &
sim_pid=$!
approver_pid=
trap 'kill -TERM $sim_pid 2>/dev/null || true; [ -z "$approver_pid" ] || kill $approver_pid 2>/dev/null || true' EXIT
if ! "$wait_file" --pid "$sim_pid" "$demo/fleet.ready" 60; then
	echo "the simulator did not start:" >&2
	cat "$demo/fleet.log" >&2
	exit 1
fi
"$rollout" hosts enroll inventory/sapporo.yml --port "$port" --state-dir "$demo/engine" | tail -1

echo
echo "== the campaign (virtual clock from 2026-10-05 08:40 JST, ${warp}x)"
# The city's approver, sato of 戸籍住民課 on the campaign's roster
# (playbooks/approvers/sapporo.yml): a second process that signs each gate's
# approval with sato's own key file as the gate opens. The demo's key file is
# the test one (tests/approvers, a known passphrase, the minimum Argon2id
# cost); a real approver types their passphrase at a no-echo prompt.
install -m 600 tests/approvers/sato.key "$demo/sato.key"
# start_approver CAMPAIGN: sato, in the background, approves each gate of
# CAMPAIGN as it opens, until the campaign stops running; sets approver_pid.
start_approver() {
	local c=$1
	(
		while gate=$("$rollout" status "$c" --state-dir "$demo/engine" --wait-gate --timeout 600 2>/dev/null); do
			"$rollout" approve "$c" --wave "$gate" --state-dir "$demo/engine" \
				--key "$demo/sato.key" --passphrase-fd 3 --comment "承認します" \
				3< <(printf 'e2e approver sato passphrase\n') >>"$demo/approvals.log"
		done
	) &
	approver_pid=$!
}
start_approver $campaign
rc=0
"$rollout" run playbooks/campaigns/$campaign.yml --state-dir "$demo/engine" --port "$port" "${clock[@]}" || rc=$?
wait "$approver_pid" 2>/dev/null || true

echo
echo "== approvals given, each signed by its approver"
cat "$demo/approvals.log"
echo
echo "== the signatures checked offline against the roster bound into the plan"
"$rollout" approvals verify $campaign --state-dir "$demo/engine" || rc=1
echo
echo "== the city's records: 作業報告書 (work report, .xlsx in Japanese), bound to the journal head"
"$rollout" report work $campaign --state-dir "$demo/engine" --force \
	-o "$demo/work-report-$campaign.xlsx" || rc=1
echo
echo "== the city's console (Japanese): the plan and its work procedure, every host's times, the approvals"
echo "   $rollout serve --state-dir $demo/engine --campaign playbooks/campaigns/$campaign.yml --port 8080"
echo "   then open http://127.0.0.1:8080/"
echo
"$rollout" status $campaign --state-dir "$demo/engine" | sed -n '1,14p'
[ "$rc" = 0 ] || exit $rc

# The spring password change on the same fleet: the simulator again, its clock at
# 2027-04-19 08:40 JST, with the fleet's current passwords (demo canaries); the
# vault with those as current and the city's notice as pending; the run unlocks
# the vault once (the passphrase on a descriptor here; a prompt otherwise).
echo
echo "== the April 2027 password change (docs/EXECUTION.md, \"Password steps\")"
pw=2027-04-password-change
kill -TERM "$sim_pid"
"$wait_file" --gone "$demo/fleet.ready" 30
umask 077
{ printf '*\tOld1-Admin-Pass!\n'; python3 tests/e2e/passwd-fleet.py seed; } >"$demo/passwords"
anchor=$(date +%s)
clock=(--time-warp "$warp" --clock-start 2027-04-19T08:40 --clock-anchor "$anchor")
"$sim" --port "$port" --state "$demo/fleet" --authorized-keys "$demo/engine/id_ed25519.pub" \
	--password-file "$demo/passwords" --ready-file "$demo/fleet.ready" "${clock[@]}" \
	inventory/sapporo.yml 2>>"$demo/fleet.log" &
sim_pid=$!
"$wait_file" --pid "$sim_pid" "$demo/fleet.ready" 60
echo 'demo vault passphrase, not a real one' >"$demo/pass"
V=(--state-dir "$demo/engine" --member demo --passphrase-fd 3)
"$rollout" inventory list --json inventory/sapporo.yml >"$demo/hosts.json"
python3 tests/e2e/passwd-fleet.py notice "$demo/hosts.json" "$demo/old.csv" "$demo/notice.csv" "$anchor"
"$rollout" vault init "${V[@]}" --kdf interactive 3<"$demo/pass" | tail -1
"$rollout" vault import "$demo/old.csv" --current "${V[@]}" 3<"$demo/pass" | head -1
"$rollout" vault import "$demo/notice.csv" "${V[@]}" 3<"$demo/pass" | head -1
start_approver $pw
"$rollout" run playbooks/campaigns/$pw.yml --state-dir "$demo/engine" --port "$port" "${clock[@]}" \
	--vault-member demo --passphrase-fd 3 3<"$demo/pass" || rc=$?
wait "$approver_pid" 2>/dev/null || true
echo
echo "== what the fleet itself says (the simulator's state, not the engine's word)"
python3 tests/e2e/passwd-fleet.py check "$demo/fleet/state.db" "$demo/notice.csv" "$demo/old.csv" || rc=1
shred -u "$demo/old.csv" "$demo/notice.csv" "$demo/passwords" 2>/dev/null || true
exit $rc
