#!/usr/bin/env bash
# Runs shipped campaigns, unchanged, on the simulated fleet: every campaign in
# $CAMPAIGNS (names under playbooks/campaigns/) must finish `done` with every
# host done, approving each gate as the city's approver would. The fixture's
# clock starts on the campaigns' start day (see tests/e2e/CMakeLists.txt).
#
# A campaign with password steps is run as the city runs it: a vault (test key
# derivation) holding the fleet's current values and the city's notice of new
# ones (tests/e2e/passwd-fleet.py), unlocked once by the run; the fleet is then
# judged by the simulator's own state: every host accepts exactly the new
# values. Its fixture seeds the old values (ADMIN_PASSWORD, SEED_ACCOUNTS).
#
# With CHECK_COVERAGE=1 it also checks that every shipped campaign under
# playbooks/campaigns/ is run by some test (RUN_BY below).
. "$(dirname "$0")/lib.sh"

# Which test runs each shipped campaign.
declare -A RUN_BY=(
	[2026-10-os-update]=e2e_full
	[2026-11-log-collection-kita-t05]=e2e_shipped_nov
	[2026-11-touch-panel-higashi-t02]=e2e_shipped_nov
	[2026-11-ip-change-chuo-t03]=e2e_shipped_nov
	[2027-03-jlis-app-update]=e2e_shipped_mar
	[2027-04-password-change]=e2e_passwd
	[2027-02-annual-inspection]=e2e_inspection_clean
	[2027-10-password-change]=e2e_shipped_pw
	[2026-10-combined]=e2e_shipped_combined
)

if [ "${CHECK_COVERAGE:-0}" = 1 ]; then
	uncovered=0
	for f in "$SRC"/playbooks/campaigns/*.yml; do
		c=$(basename "$f" .yml)
		if [ -n "${RUN_BY[$c]:-}" ]; then
			echo "note: $c is run by ${RUN_BY[$c]}"
		else
			uncovered=$((uncovered + 1))
			echo "shipped campaign $c is run by no test: add it to RUN_BY and to a fixture"
		fi
	done
	check "every shipped campaign is run by a test" [ "$uncovered" = 0 ]
fi

# has_password_steps CAMPAIGN: one of its playbooks has a password step.
has_password_steps() {
	local f=$SRC/playbooks/campaigns/$1.yml pb
	for pb in $(sed -n 's/^playbooks: \[\(.*\)\]/\1/p' "$f" | tr -d ' ' | tr ',' ' '); do
		grep -qE '^ +password:' "$(dirname "$f")/$pb" && return 0
	done
	return 1
}

# A vault for the password campaigns: alice's key (test key derivation), the
# fleet's current values and the city's notice of new ones, as the city has it
# before a run. The passphrase is on a descriptor, never argv or environment.
VAULT_READY=0
vault_fixture() {
	[ "$VAULT_READY" = 0 ] || return 0
	local V=(--state-dir "$STATE" --member alice --passphrase-fd 3)
	(
		cd "$WORK"
		umask 077
		echo 'alice passphrase for the e2e vault' >pa
		"$ROLLOUT" inventory list --json "$INVENTORY" >hosts.json
		python3 "$SRC/tests/e2e/passwd-fleet.py" notice hosts.json old.csv new.csv "$(date +%s)"
		"$ROLLOUT" vault init "${V[@]}" --insecure-test-kdf 3<pa >/dev/null
		"$ROLLOUT" vault import old.csv --current "${V[@]}" 3<pa >/dev/null
		"$ROLLOUT" vault import new.csv "${V[@]}" 3<pa >/dev/null
	)
	VAULT_READY=1
}

for c in $CAMPAIGNS; do
	pw=() pwfile=/dev/null
	if has_password_steps "$c"; then
		vault_fixture
		pw=(--vault-member alice --passphrase-fd 3) pwfile=$WORK/pa
	fi
	# Each campaign's clock starts now, on its start day, not when the fixture
	# started: under ctest the fixture may come up minutes (days at this warp)
	# before this test runs. The fleet's own clock only times its commands.
	date +%s >"$WORK/anchor"
	run_campaign "$SRC/playbooks/campaigns/$c.yml" "${pw[@]}" 3<"$pwfile"
	approve_all "$c"
	wait_run
	check "$c: the run exits 0" [ "$RUN_RC" = 0 ]
	[ "$RUN_RC" = 0 ] || tail -5 "$WORK/run.log"
	st=$(status_json "$c")
	# Manual steps (operation checks, calibration) wait for their on-site records
	# (issue 13): the contractor's lead records each as done, then the campaign is done.
	if [ "$(echo "$st" | json "d['state']")" = awaiting-on-site ]; then
		key=$(approver_key tanaka)
		echo "$st" | json "'\n'.join(m['host'] + ' ' + m['step'] for m in d['on_site'] if m['result'] is None)" |
			while read -r h s; do
				"$ROLLOUT" record "$c" "$h" "$s" --result done --state-dir "$STATE" --key "$key" \
					--passphrase-fd 3 3< <(printf 'e2e approver tanaka passphrase\n') >/dev/null ||
					echo "FAIL: record $h $s"
			done
		st=$(status_json "$c")
	fi
	check "$c: the campaign is done" [ "$(echo "$st" | json "d['state']")" = done ]
	total=$(echo "$st" | json "sum(w['hosts']['total'] for w in d['waves'])")
	check "$c: every one of its $total hosts is done" \
		[ "$(echo "$st" | json "sum(w['hosts']['done'] for w in d['waves'])")" = "$total" ]
	if [ ${#pw[@]} -gt 0 ]; then
		if python3 "$SRC/tests/e2e/passwd-fleet.py" check "$WORK/sim/state.db" "$WORK/new.csv" \
			"$WORK/old.csv" >"$WORK/fleet.txt"; then
			ok "$c: the fleet agrees: $(tr '\n' ' ' <"$WORK/fleet.txt")"
		else
			bad "$c: the fleet disagrees: $(cat "$WORK/fleet.txt")"
		fi
		# Run again once done: it says so before it asks for the vault's
		# passphrase (none is given here), and changes nothing.
		# shellcheck disable=SC2046
		out=$("$ROLLOUT" run "$SRC/playbooks/campaigns/$c.yml" --state-dir "$STATE" --port "$(port)" \
			--plain $(clock_flags) "${pw[@]}" 3</dev/null 2>&1) && rc=0 || rc=$?
		check "$c: run again once done exits 0, already done, no passphrase asked ($rc)" \
			bash -c "[ $rc = 0 ] && [[ \"\$0\" == *'is already done'* ]] && [[ \"\$0\" != *'assphrase'* ]]" "$out"
	fi
done

sim=$WORK/sim/state.db
case " $CAMPAIGNS " in *" 2026-11-ip-change-chuo-t03 "*)
	# The reviewed script was read next to the playbook (not the campaign) and sent.
	check "ip-change: Set-StaticIPv4.ps1 reached chuo-t03" [ "$(sqlite3 "$sim" \
		"SELECT count(*) FROM item WHERE host = 'chuo-t03' AND key = 'C:\\Windows\\Temp\\Set-StaticIPv4.ps1'")" -ge 1 ]
	check "ip-change: the start-up task is registered on chuo-t03" [ "$(sqlite3 "$sim" \
		"SELECT count(*) FROM item WHERE host = 'chuo-t03' AND kind = 'task'")" -ge 1 ] ;;
esac
case " $CAMPAIGNS " in *" 2026-11-log-collection-kita-t05 "*)
	check "log-collection: the archive is on kita-t05" [ "$(sqlite3 "$sim" \
		"SELECT count(*) FROM item WHERE host = 'kita-t05' AND key = 'C:\\Windows\\Temp\\rollout-logs\\2026-11-04-kita-t05.zip'")" = 1 ] ;;
esac
finish
