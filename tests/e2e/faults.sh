#!/usr/bin/env bash
# Each kind of fault the simulator injects (see the fixture's flags in
# CMakeLists.txt) ends its host in the failed state with a reason a person can
# act on, while every other host of the campaign finishes; then, with a
# failure budget of zero, the first wave with a failed host halts the campaign.
. "$(dirname "$0")/lib.sh"
C=e2e-faults
run_campaign "$SRC/tests/e2e/campaigns/faults.yml"
approve_all $C
wait_run
check "a run that ends with failed hosts exits 1" [ "$RUN_RC" = 1 ]
st=$(status_json $C)
check "the campaign is halted, not done" [ "$(echo "$st" | json "d['state']")" = halted ]
failed=$(echo "$st" | json "' '.join(sorted(f['host'] for f in d['failed']))")
check "exactly the six faulty hosts failed (got: $failed)" \
	[ "$failed" = "higashi-t02 higashi-t03 higashi-t05 kita-t03 kita-t04 kita-t05" ]
done_n=$(echo "$st" | json "sum(w['hosts']['done'] for w in d['waves'])")
check "the other 42 hosts are done, the slow site's included (saw $done_n)" [ "$done_n" = 42 ]
check "the run says how many failed within the budget and what to do" \
	grep -q "campaign e2e-faults halted: 6 hosts failed within the failure budget" "$WORK/run.log"

check "each failed host has its site's name and the time it failed" \
	[ "$(echo "$st" | json "sum(1 for f in d['failed'] if f.get('site_name') and f.get('failed_at'))")" = 6 ]
status_text=$("$ROLLOUT" status $C --state-dir "$STATE" || true)
check "status text: kita-t05 with its site's name and when it failed" \
	has "$status_text" "kita-t05" "北区役所戸籍住民課 (kita), wave" "failed at 2026-10-"
check "status text: the next command, with the state dir" has "$status_text" "next: rollout resume $C --state-dir "
reason() { echo "$st" | json "' '.join(str(f.get('status','-'))+'|'+str(f.get('step','-'))+'|'+str(f.get('detail') or '') for f in d['failed'] if f['host'] == '$1')"; }
log_reason() { echo "$st" | json "[f['reason'] for f in d['failed'] if f['host'] == '$1'][0]"; }
check "down: unreachable, named as such ($(log_reason kita-t03))" \
	has "$(log_reason kita-t03)" "kita-t03" "refused"
check "authentication failure: named as such ($(log_reason kita-t04))" \
	has "$(log_reason kita-t04)" "refused to let Administrator log in"
check "command failure: the step and its exit code 1603" \
	starts "$(reason kita-t05)" "failed|install|exit code 1603"
check "dropped connection: the step, as unreachable mid-command" \
	has "$(reason higashi-t02)" "unreachable|install|" "dropped"
check "restart that never comes back: the restart step timed out" \
	has "$(reason higashi-t03)" "timeout|restart|" "not restarted within"
check "disk full: the free-space check failed ($(reason higashi-t05))" \
	has "$(reason higashi-t05)" "failed|free-space|exit code 1" "less than 4 GB free on C:"
check "a retried step shows its attempts (install on kita-t05: 2)" \
	[ "$(echo "$st" | json "[f['attempt'] for f in d['failed'] if f['host']=='kita-t05'][0]")" = 2 ]

# The same faults with no failure budget: the first wave with a failure halts.
C=e2e-faults-budget
export ROLLOUT_E2E_NOTIFY=$WORK/notify-budget.log
run_campaign "$SRC/tests/e2e/campaigns/faults-budget.yml"
approve_all $C
wait_run
st=$(status_json $C)
check "the zero-budget run exits 1, halted" \
	bash -c "[ $RUN_RC = 1 ] && [ \"$(echo "$st" | json "d['state']")\" = halted ]"
check "wave 2 (the faulty hosts' wave) is halted" \
	[ "$(echo "$st" | json "d['waves'][1]['state']")" = halted ]
check "waves 3-5 never started" \
	[ "$(echo "$st" | json "','.join(w['state'] for w in d['waves'][2:])")" = "pending,pending,pending" ]
check "the hosts of the later waves were not touched" \
	[ "$(echo "$st" | json "sum(w['hosts']['pending'] for w in d['waves'][2:])")" = 33 ]
check "in wave 2 only the faulty hosts failed; the others finished or were never started" \
	[ "$(echo "$st" | json "(d['waves'][1]['hosts']['failed'], d['waves'][1]['hosts']['skipped'] + d['waves'][1]['hosts']['pending'], d['waves'][1]['hosts']['running'])")" = "(5, 7, 0)" ]
check "the halt names the wave, its budget and what to do" \
	grep -q "wave 2 (terminals-1): .* more than its failure budget of 0; the campaign is halted" "$WORK/run.log"
# The notify command heard of the halted wave and the halted campaign.
check "notify: wave 2 halted, then the campaign ended halted, naming the budget" \
	[ "$(json "[(e['event'], e.get('wave'), e['state']) for e in d if e['event'] != 'gate-waiting'] == [('wave-halted', 2, 'halted'), ('campaign-ended', None, 'halted')] and 'failure budget of 0' in d[-1]['detail']" \
		< <(python3 -c "import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))" "$ROLLOUT_E2E_NOTIFY"))" = True ]
finish
