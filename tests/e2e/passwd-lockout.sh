#!/usr/bin/env bash
# Locked out (issue 11, docs/EXECUTION.md "Password steps", point 5): the engine
# is killed with a password step's intent durable; meanwhile someone on the
# host sets the credential to a third value. The resume must not apply
# anything blindly: neither the pending nor the current value is accepted, so
# the host is locked-out-suspected and stops there (its later credentials are
# not touched), status names both versions and the next command, the vault
# keeps both values, and every other host is rotated.
. "$(dirname "$0")/lib.sh"
C=e2e-passwd-torture
file=$SRC/tests/e2e/campaigns/passwd-torture.yml
db=$STATE/state.db
cd "$WORK"
umask 077
echo 'alice passphrase for the e2e vault' >pa
V=(--state-dir "$STATE" --member alice --passphrase-fd 3)
"$ROLLOUT" inventory list --json "$INVENTORY" >hosts.json
python3 "$SRC/tests/e2e/passwd-fleet.py" notice hosts.json old.csv new.csv 11 kikusui,kiyota,odori,city-hall,shinoro,chuo-tax,hokubu-tax
"$ROLLOUT" vault init "${V[@]}" --insecure-test-kdf 3<pa >/dev/null 2>&1
"$ROLLOUT" vault import old.csv --current "${V[@]}" 3<pa >/dev/null
"$ROLLOUT" vault import new.csv "${V[@]}" 3<pa >/dev/null
"$ROLLOUT" plan "$file" --save --state-dir "$STATE" >/dev/null
start_approver $C
run() { # run LOG [env...]
	# shellcheck disable=SC2046
	env "${@:2}" "$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) \
		--vault-member alice --passphrase-fd 3 3<pa >"$1" 2>&1
}
H=kiyota-t05
rc=0; run crash.log ROLLOUT_TEST_CRASH_AT=$H:defender-admin:intent || rc=$?
check "killed with $H's defender-admin intent durable (exit $rc)" [ "$rc" = 137 ]
# Someone on the host sets a third value (with the engine's key, over OpenSSH).
addr=$(awk -v h="$H" '$1 == h { print $2 }' enroll.log)
printf 'Third1-Value-Set!\n' | ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
	-o UserKnownHostsFile="$STATE/known_hosts" -i "$STATE/id_ed25519" -p "$(port)" \
	"Administrator@${addr%:*}" 'C:\rollout\vendor\defender-set-password.cmd' >/dev/null
cmds_before=$(grep -c "$H: exit .*defender-set-password" sim.log || true)
rc=0; run resume.log || rc=$?
check "the resume ends halted, exit 1 ($rc)" [ "$rc" = 1 ]
cmds_after=$(grep -c "$H: exit .*defender-set-password" sim.log || true)
check "nothing was applied blindly on $H ($cmds_before, $cmds_after set commands)" [ "$cmds_before" = "$cmds_after" ]
st=$("$ROLLOUT" status $C --state-dir "$STATE" 2>&1 || true)
check "status: $H locked-out-suspected, both versions named, the next command" \
	has "$st" "$H" "locked-out-suspected" "pending value (version 2)" "current one (version 1)" \
	"rollout vault set $H/defender-admin --current" "rollout resume $C"
yarai=$(grep -c "$H: exit .*yarai-set-password" sim.log || true)
check "$H stopped there: its next credential was not touched ($yarai)" [ "$yarai" = 0 ]
"$ROLLOUT" vault list "${V[@]}" 3<pa >list.txt
entry=$(awk -v e="$H/defender-admin" '$0 == e { p = 1; next } /^[^ ]/ { p = 0 } p' list.txt)
check "the vault keeps both values ($(echo $entry | tr -s ' ' | cut -c1-60))" \
	has "$entry" "v1   current" "v2   pending"
failed=$(sqlite3 "$db" "SELECT group_concat(host) FROM campaign_hosts WHERE campaign = '$C' AND state = 'failed'")
check "every other host is rotated ($failed failed)" [ "$failed" = "$H" ]
finish
