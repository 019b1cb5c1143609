#!/usr/bin/env bash
# sim-ctl.sh start|stop|restart ROLLOUT_SIM SOURCE_DIR RUN_DIR WAIT_FILE
# Starts rollout-sim on the shipped inventory for the end-to-end test and waits
# for its ready file (never a fixed sleep); stop sends SIGTERM and waits for the
# process to exit and its ready file to go away. RUN_DIR keeps the key, the
# password file, the state, the port and the log.
set -euo pipefail
action=$1 sim=$2 src=$3 run=$4 wait_file=$5
# wait-file (tests/e2e/wait-file.c) blocks on inotify until the ready file
# appears, or is gone, or the process that should write it has exited.

start() {
	mkdir -p "$run"
	[ -f "$run/key" ] || ssh-keygen -q -t ed25519 -N '' -C rollout-e2e -f "$run/key"
	if [ ! -f "$run/passwords" ]; then
		umask 077
		printf '*\tInit1al-Pass!\n' > "$run/passwords"
	fi
	rm -f "$run/ready"
	for attempt in 1 2 3 4 5; do
		local port=${SIM_PORT:-$(( 20000 + (RANDOM % 20000) ))}
		[ -f "$run/port" ] && port=$(cat "$run/port")
		"$sim" --port "$port" --state "$run/state" --authorized-keys "$run/key.pub" \
			--password-file "$run/passwords" --ready-file "$run/ready" --time-warp 100 \
			--boot-duration 3m --fault down:kita-t01 --fault fail:higashi-t01:wusa=1603 \
			--fault authfail:higashi-t02 --fault drop:higashi-t03:msiexec -v \
			"$src/inventory/sapporo.yml" >>"$run/sim.log" 2>&1 &
		local pid=$!
		echo "$pid" > "$run/pid"
		if "$wait_file" --pid "$pid" "$run/ready" 30; then
			echo "$port" > "$run/port"
			echo "rollout-sim pid $pid on port $port"
			return 0
		fi
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -f "$run/port"
		[ -n "${SIM_PORT:-}" ] && break
	done
	echo "rollout-sim did not become ready; log:" >&2
	tail -20 "$run/sim.log" >&2
	return 1
}

stop() {
	[ -f "$run/pid" ] || return 0
	local pid; pid=$(cat "$run/pid")
	kill -TERM "$pid" 2>/dev/null || true
	# The simulator removes its ready file once it has stopped cleanly.
	if [ -f "$run/ready" ] && ! "$wait_file" --gone "$run/ready" 40; then
		echo "rollout-sim $pid did not stop on SIGTERM" >&2
		return 1
	fi
	rm -f "$run/pid"
	if [ -f "$run/ready" ]; then
		echo "rollout-sim left its ready file behind" >&2
		return 1
	fi
}

case $action in
start) rm -rf "$run"; start ;;   # every test run starts from a fresh fleet
stop) stop ;;
restart) stop; start ;;       # same state, keys and port
*) echo "usage: $0 start|stop|restart SIM SRC RUN WAIT_FILE" >&2; exit 2 ;;
esac
