# bench/lib.sh - shared by the shell benchmarks (exec.sh, passwd.sh): their
# tools, the synthetic fleet's inventory, and the simulator's start-up (ready
# file, then enrolment) and stop. Sourced from the source tree's top directory.

# bench_setup BUILD_DIR NAME: sets rollout, sim and wait_file (absolute paths,
# so that a benchmark may cd into its work directory), makes sure time and bc
# are installed, and sets work to a fresh BUILD_DIR/NAME.
bench_setup() {
	scripts/deps.sh time bc >/dev/null
	rollout=$(realpath "$1/engine/rollout") sim=$(realpath "$1/simulator/rollout-sim")
	wait_file=$(realpath "$1/tests/e2e/wait-file")
	work=$(realpath -m "$1/$2")
	rm -rf "$work"
	mkdir -p "$work"
}

# bench_inventory HOSTS: prints a synthetic fleet of HOSTS Windows 11
# terminals in sites of 50 (s01, s02, ...), site N's on 127.30.N.1.
bench_inventory() {
	local hosts=$1 per_site=50 sites s n left
	sites=$(( (hosts + per_site - 1) / per_site ))
	echo "inventory: bench-$hosts"
	echo "sites:"
	for s in $(seq 1 "$sites"); do
		printf '  - {id: s%02d, name: "Bench site %d", max_unavailable: 100%%}\n' "$s" "$s"
	done
	echo "hosts:"
	left=$hosts
	for s in $(seq 1 "$sites"); do
		n=$(( left < per_site ? left : per_site )); left=$((left - n))
		printf '  - {range: "s%02d-t[01:%02d]", site: s%02d, role: terminal, model: Bench, os: Windows 11 Pro, address: 127.30.%d.1, port: 22, user: Administrator}\n' \
			"$s" "$n" "$s" "$s"
	done
}

# bench_fleet_up PORT DIR INVENTORY [SIM FLAGS...]: the simulator of INVENTORY
# on PORT, its state in DIR/fleet and its log in DIR/sim.log, accepting the
# engine key of state directory DIR; returns once it is ready (its ready file,
# never a guessed time) and DIR's engine has enrolled every host key.
# Sets BENCH_SIM_PID.
bench_fleet_up() {
	local port=$1 dir=$2 inv=$3
	shift 3
	"$sim" --port "$port" --state "$dir/fleet" --authorized-keys "$dir/id_ed25519.pub" \
		--ready-file "$dir/ready" "$@" "$inv" 2>"$dir/sim.log" &
	BENCH_SIM_PID=$!
	"$wait_file" --pid "$BENCH_SIM_PID" "$dir/ready" 120
	"$rollout" hosts enroll "$inv" --port "$port" --state-dir "$dir" >/dev/null
}

# bench_fleet_down DIR: stops the simulator bench_fleet_up started and waits
# until it has removed its ready file.
bench_fleet_down() {
	kill -TERM "$BENCH_SIM_PID"
	"$wait_file" --gone "$1/ready" 60 || true
}

# bench_machine: the machine line every benchmark prints with its numbers.
bench_machine() {
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
}
