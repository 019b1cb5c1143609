#!/usr/bin/env bash
# The October OS update on all 182 hosts with random transport faults
# (rollout-sim --fault-rate drop=0.02 --fault-rate fail=0.02 --fault-rate
# down=0.01, seeded): dropped channels, failed commands and reset connections
# on read-only steps are retried, so the campaign finishes in at most two
# `rollout run`s, and what the fleet saw is what fleet-check.py expects.
. "$(dirname "$0")/lib.sh"
C=2026-10-os-update
file=$SRC/playbooks/campaigns/$C.yml
db=$STATE/state.db
echo "simulator seed: $(cat "$WORK/seed" 2>/dev/null || echo 'see CMakeLists.txt')"
# A reset connection may also have hit enrolment: enrol until every host is known.
for i in 1 2 3 4 5; do
	"$ROLLOUT" hosts enroll "$INVENTORY" --port "$(port)" --state-dir "$STATE" >"$WORK/enroll$i.log" 2>&1 && break
done

runs=0
until [ "$runs" -ge 2 ]; do
	runs=$((runs + 1))
	run_campaign "$file"
	approve_all $C
	wait_run
	cp "$WORK/run.log" "$WORK/run$runs.log"
	echo "run $runs: exit $RUN_RC; $(tail -1 "$WORK/run.log")"
	[ "$RUN_RC" = 0 ] && break
done
check "the campaign is done within 2 runs (took $runs, last exit $RUN_RC)" [ "$RUN_RC" = 0 ]
maybe=$(sqlite3 "$db" "SELECT count(*) FROM step_intents i JOIN step_outcomes o ON o.intent = i.id
	WHERE i.step_name IN ('already-installed', 'cs-already-installed', 'free-space', 'cluster-healthy-before',
	'verify-package', 'cs-verify-package', 'confirm', 'cs-confirm', 'cluster-healthy-after')
	AND o.detail LIKE '%may or may not%'")
check "no read-only step is said to 'may or may not have completed' ($maybe)" [ "$maybe" = 0 ]
faults=$(grep -c "fault\|dropped" "$WORK/sim.log" || true)
echo "faults the fleet injected (log lines): $faults"
check "faults were injected (the test would mean nothing without them)" [ "$faults" -gt 20 ]
if python3 "$SRC/tests/e2e/fleet-check.py" "$WORK/sim.log" "$WORK/sim/state.db" "$db" $C >"$WORK/fleet.txt"; then
	ok "the fleet agrees (tests/e2e/fleet-check.py)"
else
	bad "the fleet disagrees"
fi
cat "$WORK/fleet.txt"
finish
