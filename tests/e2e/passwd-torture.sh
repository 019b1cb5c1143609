#!/usr/bin/env bash
# Crash torture of a password rotation (issue 11): the April 2027 password
# change on seven sites (tests/e2e/campaigns/passwd-torture.yml), killed with
# SIGKILL at seeded random moments and resumed with the same command each
# time, on a fleet where one host drops the connection under Set-LocalUser
# (the password changes, the exit status is lost), one refuses every login,
# one is down and one never comes back from a restart. First, two kills at
# exact moments (the intent durable and nothing sent; the new value applied
# and verified, the vault not yet written).
#
# Judged by the simulator's own state, never the engine's word: 0 hosts
# locked out, every host accepts the value the vault holds as current for
# each credential and refuses the other one (so no password is lost), every
# host that can be reached ends rotated, and the values are in the vault.
# ROLLOUT_TORTURE_SEED=N repeats a run (the seed is printed);
# ROLLOUT_TORTURE_KILLS=N sets the number of kills (default 30).
. "$(dirname "$0")/lib.sh"
C=e2e-passwd-torture
file=$SRC/tests/e2e/campaigns/passwd-torture.yml
db=$STATE/state.db
SITES=kikusui,kiyota,odori,city-hall,shinoro,chuo-tax,hokubu-tax
FAULTY=kiyota-t02,kiyota-t03   # authfail, down: never reachable, never rotated
seed=${ROLLOUT_TORTURE_SEED:-$(( $(date +%s) % 100000 ))}
kills=${ROLLOUT_TORTURE_KILLS:-${ROLLOUT_TORTURE_KILLS_DEFAULT:-30}}
echo "torture seed: $seed, $kills kills (repeat with ROLLOUT_TORTURE_SEED=$seed ROLLOUT_TORTURE_KILLS=$kills)"
cd "$WORK"
umask 077
echo 'alice passphrase for the e2e vault' >pa
V=(--state-dir "$STATE" --member alice --passphrase-fd 3)
"$ROLLOUT" inventory list --json "$INVENTORY" >hosts.json
python3 "$SRC/tests/e2e/passwd-fleet.py" notice hosts.json old.csv new.csv "$seed" "$SITES"
"$ROLLOUT" vault init "${V[@]}" --insecure-test-kdf 3<pa >/dev/null 2>&1
"$ROLLOUT" vault import old.csv --current "${V[@]}" 3<pa >/dev/null
"$ROLLOUT" vault import new.csv "${V[@]}" 3<pa >/dev/null
entries=$(wc -l <new.csv)
count() { sqlite3 -cmd ".timeout 5000" "$db" "SELECT count(*) FROM step_intents WHERE campaign = '$C'" 2>/dev/null || echo 0; }
run() { # run LOG [env...]: the same command every time; called in a subshell,
	# which it replaces, so that its pid is the engine's
	# shellcheck disable=SC2046
	exec env "${@:2}" "$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) \
		--vault-member alice --passphrase-fd 3 3<pa >"$1" 2>&1
}

"$ROLLOUT" plan "$file" --save --state "$STATE" >/dev/null
start_approver $C

# Two exact moments on the standby CS's Windows password.
rc=0; (run exact1.log ROLLOUT_TEST_CRASH_AT=cs-standby:windows-admin:intent) || rc=$?
check "killed with the intent durable, nothing sent (exit $rc)" [ "$rc" = 137 ]
rc=0; (run exact2.log ROLLOUT_TEST_CRASH_AT=cs-standby:arcserve:ran) || rc=$?
check "killed with arcserve applied and verified, the vault not written (exit $rc)" [ "$rc" = 137 ]

points=$(python3 -c "import random; r = random.Random($seed); print(' '.join(str(r.randint(1, 3 if $kills <= 30 else 1)) for _ in range($kills)))")
killed=0 n=0
for d in $points; do
	n=$((n + 1))
	k=$(( $(count) + d ))
	run "torture-run$n.log" &
	pid=$!
	polls=0
	while kill -0 "$pid" 2>/dev/null && [ "$(count)" -lt "$k" ] && [ "$polls" -lt 6000 ]; do
		polls=$((polls + 1))
		sleep 0.01 # the poll's period; the condition is the store's count
	done
	kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" != 137 ]; then
		echo "run $n ended by itself (exit $rc) before intent $k: $(tail -1 "torture-run$n.log")"
	fi
done
echo "killed $killed of $n runs, each after this many new intents: $points"
# A longer torture (more kills than this campaign has intents to spare) ends
# with runs that finish by themselves; at least 30 kills are always required.
want=$(( kills < 30 ? kills : 30 ))
check "the engine was killed at least $want times in all ($((killed + 2)))" [ $((killed + 2)) -ge "$want" ]

# Resume until nothing is left but the hosts the simulator keeps unreachable.
for i in 1 2 3; do
	rc=0; (run "final$i.log") || rc=$?
	echo "final run $i: exit $rc: $(tail -1 "final$i.log")"
	[ "$rc" = 0 ] && break
	failed=$(sqlite3 "$db" "SELECT group_concat(host) FROM (SELECT host FROM campaign_hosts WHERE campaign = '$C' AND state = 'failed' ORDER BY host)")
	[ "$failed" = "$FAULTY" ] && break
done
failed=$(sqlite3 "$db" "SELECT group_concat(host) FROM (SELECT host FROM campaign_hosts WHERE campaign = '$C' AND state = 'failed' ORDER BY host)")
check "only the unreachable hosts are left ($failed)" [ "$failed" = "$FAULTY" ]
locked=$(sqlite3 "$db" "SELECT count(*) FROM step_outcomes WHERE detail LIKE 'locked-out-suspected%'")
check "0 hosts locked out ($locked)" [ "$locked" = 0 ]
drops=$(grep -c 'in doubt' torture-run*.log final*.log exact*.log | awk -F: '{s += $2} END {print s + 0}')
echo "in-doubt events seen: $drops"
"$ROLLOUT" vault list "${V[@]}" 3<pa >list.txt
rotated=$(python3 "$SRC/tests/e2e/passwd-fleet.py" split list.txt old.csv new.csv cur.csv other.csv)
check "every reachable host rotated: $rotated of $entries entries current (6 on the two unreachable hosts)" \
	[ "$rotated" = $((entries - 6)) ]
if python3 "$SRC/tests/e2e/passwd-fleet.py" check sim/state.db cur.csv other.csv >fleet.txt; then
	ok "every host accepts the vault's current value and refuses the other: 0 lost ($(tr '\n' ' ' <fleet.txt))"
else
	bad "the fleet and the vault disagree (seed $seed): $(cat fleet.txt)"
fi
# The canary sweep over everything this test's engines, store and simulator wrote
# (the plain progress output of every killed run among them).
if python3 "$SRC/tests/e2e/canary-sweep.py" "$WORK" old.csv,new.csv \
	old.csv,new.csv,cur.csv,other.csv,passwords,pa >sweep.txt; then
	ok "canary sweep: $(tail -1 sweep.txt)"
else
	bad "canary sweep: $(cat sweep.txt)"
fi
finish
