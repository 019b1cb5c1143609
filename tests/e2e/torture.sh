#!/usr/bin/env bash
# Crash torture: the 182-host October OS update, killed with SIGKILL at
# random moments and resumed each time with the same command, then judged by
# the fleet (the simulator's command log and state, tests/e2e/fleet-check.py),
# not by the engine's word: campaign done, each KB installed exactly once, no
# side effect recorded ok ever repeated, no host restarted twice, every
# post-condition after its restart, no changed host reported up to date, the
# journal's chain intact.
#
# The moments: each run is killed once it has recorded D more step intents
# than the store held when it started, for D drawn from the seed (the store
# polled with a bound, never slept on), so a seed gives the same kill points
# and every run makes progress. ROLLOUT_TORTURE_SEED=N repeats a run;
# ROLLOUT_TORTURE_KILLS=N sets the number of kills (default 20; the long
# version is 200: cmake -DROLLOUT_TORTURE_KILLS=200, or the variable).
. "$(dirname "$0")/lib.sh"
C=2026-10-os-update
file=$SRC/playbooks/campaigns/$C.yml
db=$STATE/state.db
seed=${ROLLOUT_TORTURE_SEED:-$(( $(date +%s) % 100000 ))}
kills=${ROLLOUT_TORTURE_KILLS:-${ROLLOUT_TORTURE_KILLS_DEFAULT:-20}}
echo "torture seed: $seed, $kills kills (repeat with ROLLOUT_TORTURE_SEED=$seed ROLLOUT_TORTURE_KILLS=$kills)"
count() { sqlite3 -cmd ".timeout 5000" "$db" "SELECT count(*) FROM step_intents WHERE campaign = '$C'" 2>/dev/null || echo 0; }

"$ROLLOUT" plan "$file" --save --state "$STATE" >/dev/null
start_approver $C

# A clean run of this campaign records about 1,900 intents: the steps between
# kills are drawn so that the kills spread over all of it.
points=$(python3 -c "import random; r = random.Random($seed); m = max(2, 2 * 1600 // $kills); print(' '.join(str(r.randint(1, m)) for _ in range($kills)))")
killed=0 n=0
for d in $points; do
	n=$((n + 1))
	k=$(( $(count) + d ))
	# shellcheck disable=SC2046
	"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) \
		>"$WORK/torture-run$n.log" 2>&1 &
	pid=$!
	polls=0
	while kill -0 "$pid" 2>/dev/null && [ "$(count)" -lt "$k" ] && [ "$polls" -lt 6000 ]; do
		polls=$((polls + 1))
		sleep 0.02 # the poll's period; the condition is the store's count
	done
	if kill -KILL "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" != 137 ]; then
		echo "run $n ended by itself (exit $rc) before intent $k: $(tail -1 "$WORK/torture-run$n.log")"
		[ "$rc" = 0 ] && break
	fi
done
echo "killed $killed of $n runs, each after this many new intents: $points"
check "the engine was killed at least $((kills / 2)) times ($killed)" [ "$killed" -ge $((kills / 2)) ]

# Resume: the same command, until the campaign is done (a transient failure
# may take one more run; three is the bound).
final=0
for i in 1 2 3; do
	# shellcheck disable=SC2046
	"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) \
		>"$WORK/torture-final$i.log" 2>&1 && final=0 || final=$?
	echo "final run $i: exit $final: $(tail -1 "$WORK/torture-final$i.log")"
	[ "$final" = 0 ] && break
done
check "the resumed campaign finishes (exit $final)" [ "$final" = 0 ]
if python3 "$SRC/tests/e2e/fleet-check.py" "$WORK/sim.log" "$WORK/sim/state.db" "$db" $C >"$WORK/fleet.txt"; then
	ok "the fleet agrees (tests/e2e/fleet-check.py)"
else
	bad "the fleet disagrees (seed $seed)"
fi
cat "$WORK/fleet.txt"
if "$ROLLOUT" audit verify --help >/dev/null 2>&1; then
	check "rollout audit verify passes" "$ROLLOUT" audit verify --state-dir "$STATE"
fi
finish
