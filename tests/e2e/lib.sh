# lib.sh - shared by the end-to-end tests: a simulated fleet (rollout-sim) on
# loopback, the engine's key and known hosts, and the city's approver.
#
# Tests are run by ctest as: TEST.sh ROLLOUT ROLLOUT_SIM WAIT_FILE SOURCE_DIR WORK_DIR
# The simulator of a test is started by a FIXTURES_SETUP test (fixture.sh up)
# and stopped by a FIXTURES_CLEANUP test (fixture.sh down); both wait for
# events (the ready file, the process's exit), never for a fixed time.
set -euo pipefail

ROLLOUT=$1 SIM=$2 WAIT_FILE=$3 SRC=$4 WORK=$5
STATE=$WORK/engine
INVENTORY=$SRC/inventory/sapporo.yml
# Time: the fleet and the engine share one virtual clock (see engine/clock.h).
WARP=${WARP:-600}
CLOCK_START=${CLOCK_START:-2026-10-05T08:40}
# The engine's clock starts when the test starts, not when its fixture came up:
# under ctest -j2 every fixture comes up first and the tests take turns, so a
# test could otherwise begin days of virtual time late (past its windows, its
# approver's patience). The fleet's own clock only times commands and restarts.
date +%s >"$WORK/anchor"

fail=0
pass=0
# Exit hooks: lib.sh owns the only EXIT trap; a test or helper that must clean
# up adds a command with `on_exit CMD...` (never its own `trap ... EXIT`, which
# would replace the others). They run last-added first, as unwinding should,
# each whatever the previous one returned.
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$*"); }
run_exit_hooks() {
	local i
	for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${EXIT_HOOKS[i]}" || true
	done
}
trap run_exit_hooks EXIT
# A test that stops early (a failed command under set -e) leaves no engine
# behind to hold its campaign's lease for the next run.
RUN_PID=
on_exit '[ -z "${RUN_PID:-}" ] || kill "${RUN_PID:-}" 2>/dev/null || true'
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
# has TEXT PART...: TEXT contains every PART.
has() {
	local text=$1 part; shift
	for part in "$@"; do [[ "$text" == *"$part"* ]] || return 1; done
}
# starts TEXT PREFIX
starts() { [[ "$1" == "$2"* ]]; }

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

port() { cat "$WORK/port"; }
clock_flags() { echo --time-warp "$WARP" --clock-start "$CLOCK_START" --clock-anchor "$(cat "$WORK/anchor")"; }

rollout() { "$ROLLOUT" "$@"; }

# run_campaign FILE [extra run flags]: runs in the background, output in $WORK/run.log.
run_campaign() {
	local file=$1; shift
	# shellcheck disable=SC2046
	"$ROLLOUT" run "$file" --state-dir "$STATE" --port "$(port)" --plain $(clock_flags) "$@" \
		>"$WORK/run.log" 2>&1 &
	RUN_PID=$!
}

# The test approvers (tests/approvers): sato is the city's approver, tanaka
# the contractor's lead, yamada on no roster. Their key files are test-only.
APPROVERS=$SRC/tests/approvers

# approver_key NAME: a private (0600) copy of NAME's key file; prints its path.
approver_key() {
	mkdir -p "$WORK/keys"
	install -m 600 "$APPROVERS/$1.key" "$WORK/keys/$1.key"
	echo "$WORK/keys/$1.key"
}

# approve_as NAME CAMPAIGN WAVE [approve flags]: NAME signs with their key
# file, the passphrase on a pipe (never argv or the environment).
approve_as() {
	local who=$1 c=$2 w=$3 key
	shift 3
	key=$(approver_key "$who")
	"$ROLLOUT" approve "$c" --wave "$w" --state-dir "$STATE" --key "$key" --passphrase-fd 3 "$@" \
		3< <(printf 'e2e approver %s passphrase\n' "$who")
}

# approve_all CAMPAIGN: the city's approver in a second process: approves each
# gate as the run reaches it, until the campaign stops running.
# A campaign left running by a dead engine reads as interrupted until the
# test's new run has taken its lease over: while that run is alive, wait on.
approve_all() {
	local c=$1 gate
	while :; do
		if gate=$("$ROLLOUT" status "$c" --state-dir "$STATE" --wait-gate --timeout 300 \
			2>"$WORK/wait-gate.err"); then
			approve_as sato "$c" "$gate" --comment "approved by the end-to-end test" >/dev/null
		elif ! grep -q ' is interrupted ' "$WORK/wait-gate.err" || ! run_alive; then
			break
		fi
	done
}

# run_alive: the background run has not exited (a zombie not yet waited for has).
run_alive() {
	[ -n "${RUN_PID:-}" ] && [ -r "/proc/$RUN_PID/stat" ] &&
		[ "$(awk '{ print $3 }' "/proc/$RUN_PID/stat" 2>/dev/null)" != Z ]
}

# start_approver CAMPAIGN: the city's approver (sato) in its own process for
# the rest of the test: signs each gate the campaign reaches (a gate after
# others only once they are done), whichever engine, or none, is running. It
# stops when the test exits.
start_approver() {
	local c=$1
	(
		while [ ! -e "$WORK/approver.stop" ]; do
			if gate=$("$ROLLOUT" status "$c" --state-dir "$STATE" --wait-gate --timeout 2 2>/dev/null); then
				approve_as sato "$c" "$gate" >/dev/null 2>&1 || true
			else
				# No engine runs it (interrupted, halted, done): wait-gate
				# returns at once, so poll no faster than twice a second
				# until the test resumes it or says stop.
				"$WAIT_FILE" "$WORK/approver.stop" 0.5 2>/dev/null || true
			fi
		done
	) &
	APPROVER_PID=$!
	on_exit 'touch "$WORK/approver.stop"; wait "$APPROVER_PID" 2>/dev/null || true'
}

# wait_run: waits for the background run; sets RUN_RC.
wait_run() {
	RUN_RC=0
	wait "$RUN_PID" || RUN_RC=$?
}

# status exits 1 for a campaign that needs a person (halted, interrupted...):
# still a status to read here.
status_json() { "$ROLLOUT" status "$1" --state-dir "$STATE" --json || [ $? = 1 ]; }

# jq-free JSON queries: python3 is on every Debian machine that has these tests.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The tests read (and the forgery tests write) the store with the sqlite3 shell while an
# engine or an approver writes it: wait for its lock as the engine's own connections do,
# rather than fail with "database is locked" (seen on a busy CI machine).
sqlite3() { command sqlite3 -cmd ".timeout 10000" "$@"; }
