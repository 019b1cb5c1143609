#!/usr/bin/env bash
# fixture.sh up|down ROLLOUT ROLLOUT_SIM WAIT_FILE SOURCE_DIR WORK_DIR PORT [SIM FLAGS...]
# up: a fresh work dir, the engine's key, a fleet simulator of the Sapporo
# inventory on PORT (waiting for its ready file), and the fleet's host keys
# enrolled. down: stops the simulator (SIGTERM) and waits until it has exited.
set -euo pipefail
action=$1; shift
ROLLOUT=$1 SIM=$2 WAIT_FILE=$3 SRC=$4 WORK=$5 PORT=${6:-0}
shift 6 || shift $#
WARP=${WARP:-600}
CLOCK_START=${CLOCK_START:-2026-10-05T08:40}

case $action in
up)
	if [ -f "$WORK/ready" ] && kill -0 "$(sed -n 's/^pid //p' "$WORK/ready")" 2>/dev/null; then
		kill -TERM "$(sed -n 's/^pid //p' "$WORK/ready")"
	fi
	rm -rf "$WORK"
	mkdir -p "$WORK/engine"
	"$ROLLOUT" keygen --state-dir "$WORK/engine" >/dev/null
	umask 077
	printf '*\t%s\n' "${ADMIN_PASSWORD:-Init1al-Pass!}" >"$WORK/passwords"
	# Password campaigns: the other accounts' first values (tests/e2e/passwd-fleet.py).
	if [ -n "${SEED_ACCOUNTS:-}" ]; then
		python3 "$SRC/tests/e2e/passwd-fleet.py" seed >>"$WORK/passwords"
	fi
	date +%s >"$WORK/anchor"
	echo "$PORT" >"$WORK/port"
	"$SIM" --port "$PORT" --state "$WORK/sim" --authorized-keys "$WORK/engine/id_ed25519.pub" \
		--password-file "$WORK/passwords" --ready-file "$WORK/ready" -v \
		--time-warp "$WARP" --clock-start "$CLOCK_START" --clock-anchor "$(cat "$WORK/anchor")" \
		"$@" "$SRC/inventory/sapporo.yml" >"$WORK/sim.log" 2>&1 </dev/null &
	sim=$!
	if ! "$WAIT_FILE" --pid "$sim" "$WORK/ready" 30; then
		echo "rollout-sim did not become ready; its log:" >&2
		tail -20 "$WORK/sim.log" >&2
		kill "$sim" 2>/dev/null || true
		exit 1
	fi
	# A host the test keeps down cannot be enrolled: that alone is expected.
	if ! "$ROLLOUT" hosts enroll "$SRC/inventory/sapporo.yml" --port "$PORT" --state-dir "$WORK/engine" \
		>"$WORK/enroll.log" 2>&1; then
		if ! grep -q ' 0 CHANGED, [1-9][0-9]* unreachable' "$WORK/enroll.log"; then
			cat "$WORK/enroll.log" >&2
			exit 1
		fi
	fi
	echo "rollout-sim pid $sim ready on port $PORT; 182 host keys enrolled"
	;;
down)
	[ -f "$WORK/ready" ] || exit 0
	pid=$(sed -n 's/^pid //p' "$WORK/ready")
	kill -TERM "$pid" 2>/dev/null || exit 0
	# The simulator removes its ready file once it has stopped cleanly.
	if ! "$WAIT_FILE" --gone "$WORK/ready" 30; then
		echo "rollout-sim $pid did not stop on SIGTERM" >&2
		kill -KILL "$pid" 2>/dev/null || true
		exit 1
	fi
	;;
esac
