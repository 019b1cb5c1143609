#!/usr/bin/env bash
# bench/exec.sh - the executor at scale: N simulated hosts (default 2,000 in 40
# sites) on loopback, 3 exec steps each, concurrency 500, against rollout-sim
# on the same machine. Prints the engine's wall time, CPU per host-step and
# peak RSS; then the same with RTT milliseconds of injected latency (default
# 50) and the campaign's critical path for comparison.
#
#	bench/exec.sh [BUILD_DIR] [HOSTS] [RTT_MS]
#	CONCURRENCY=2000 bench/exec.sh build 2000 0   (every host at once)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hosts=${2:-2000}
rtt=${3:-50}
concurrency=${CONCURRENCY:-500}
. bench/lib.sh
bench_setup "$build" bench-exec
port=${BENCH_PORT:-23001}
bench_inventory "$hosts" >"$work/inventory.yml"
cat >"$work/playbook.yml" <<'YML'
playbook: bench-three-execs
title: Three quick commands on every host
work: log-collection
targets: {roles: [terminal]}
policy: {canary: 0, wave_size: 100%, concurrency: CONCURRENCY, max_unavailable_per_site: 100%,
         failure_budget: 0, window: any, skew: any, gates: [], deadline_days: 1}
steps:
  - {name: who, exec: whoami, estimate: 1s}
  - {name: name, exec: hostname, estimate: 1s}
  - {name: net, exec: ipconfig, estimate: 1s}
YML
sed -i "s/CONCURRENCY/$concurrency/" "$work/playbook.yml"
cat >"$work/campaign.yml" <<YML
campaign: bench-$hosts
title: bench
inventory: inventory.yml
playbooks: [playbook.yml]
start: 2026-10-05
YML

run_case() { # run_case NAME [SIM FLAGS...]
	local name=$1; shift
	local dir=$work/$name
	mkdir -p "$dir"
	"$rollout" keygen --state-dir "$dir" >/dev/null
	bench_fleet_up "$port" "$dir" "$work/inventory.yml" "$@"
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" \
		"$rollout" run "$work/campaign.yml" --state-dir "$dir" --port "$port" --plain >"$dir/run.log" 2>&1 \
		|| { echo "run failed:"; tail -5 "$dir/run.log"; }
	t1=$(date +%s.%N)
	bench_fleet_down "$dir"
	read -r wall user sys rss <"$dir/time"
	local steps=$((hosts * 3))
	local done_n
	done_n=$("$rollout" status "bench-$hosts" --state-dir "$dir" --json |
		python3 -c "import json,sys; print(sum(w['hosts']['done'] for w in json.load(sys.stdin)['waves']))")
	printf '%-10s hosts %d (%d done)  wall %.2f s  engine CPU %.2f s (%.0f us per host-step)  peak RSS %.1f MiB\n' \
		"$name" "$hosts" "$done_n" "$wall" "$(echo "$user + $sys" | bc)" \
		"$(echo "($user + $sys) * 1000000 / $steps" | bc)" "$(echo "$rss / 1024" | bc -l)"
	echo "$wall" >"$dir/wall"
}

echo "bench/exec.sh: $hosts hosts x 3 exec steps, concurrency $concurrency, simulator on the same machine"
bench_machine
run_case local
[ "$rtt" -gt 0 ] || exit 0
run_case rtt-${rtt}ms --fault "slow:*:$rtt"
# Critical path with latency: the run without latency is bound by the two
# CPUs (engine and simulator share them); latency adds, on the longest chain,
# ceil(hosts/concurrency) rounds of one host's waits: the simulator delays the
# handshake and each of the 3 replies by the latency once (4 per host).
rounds=$(( (hosts + concurrency - 1) / concurrency ))
local_wall=$(cat "$work/local/wall")
rtt_wall=$(cat "$work/rtt-${rtt}ms/wall")
crit=$(echo "$local_wall + $rounds * 4 * $rtt / 1000" | bc -l)
printf 'critical path with %d ms: %.2f s (%.2f s without latency + %d rounds x 4 x %d ms); measured %.2f s = %+.1f%%\n' \
	"$rtt" "$crit" "$local_wall" "$rounds" "$rtt" "$rtt_wall" "$(echo "($rtt_wall - $crit) * 100 / $crit" | bc -l)"
