#!/usr/bin/env bash
# bench/report-monthly.sh - `rollout report monthly` over a year of work:
# twelve monthly campaigns of 182 hosts x 46 step runs (100,464 step runs,
# 207,572 journal records: what a year of real runs leaves), made through the
# store's API by bench_report_store, then each report timed RUNS times (median
# and worst, wall clock, the whole command: open, journal verification,
# queries, writing the file). `rollout audit head` is timed beside them: it
# is the journal verification alone, which every report does first.
#
#	bench/report-monthly.sh [BUILD_DIR] [RUNS]
#
# ROLLOUT=/path/to/rollout times another binary (an older build, for a
# before/after figure) against the same store.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
rollout=${ROLLOUT:-$build/engine/rollout}
work=$build/bench-report
state=$work/state
if [ ! -f "$work/made" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	t0=$(date +%s.%N)
	"$build/bench/bench_report_store" "$state"
	t1=$(date +%s.%N)
	printf 'store made in %.1f s\n' "$(echo "$t1 - $t0" | bc)"
	touch "$work/made"
fi
printf 'step runs: %s, journal records: %s, store: %s\n' \
	"$(sqlite3 "$state/state.db" 'SELECT count(*) FROM step_intents')" \
	"$(sqlite3 "$state/state.db" 'SELECT count(*) FROM journal')" \
	"$(du -h "$state/state.db" | cut -f1)"

# timeit LABEL COMMAND...: RUNS runs; prints the median and the worst wall
# time and the median CPU time (user + system), in ms. On a shared machine
# the CPU time is the steadier figure.
timeit() {
	local label=$1 i
	shift
	: >"$work/times"
	for i in $(seq 1 "$runs"); do
		/usr/bin/time -f "%e %U %S" -o "$work/time1" "$@" >/dev/null 2>&1
		awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$work/time1" >>"$work/times"
	done
	local wall cpu
	wall=$(cut -d' ' -f1 "$work/times" | sort -n | tr '\n' ' ')
	cpu=$(cut -d' ' -f2 "$work/times" | sort -n | tr '\n' ' ')
	echo "$wall|$cpu" | awk -F'|' -v l="$label" '{ n = split($1, w, " "); split($2, c, " ")
		printf "| %s | %d ms | %d ms | %d ms |\n", l, w[int((n + 1) / 2)], w[n], c[int((n + 1) / 2)] }'
}

echo "| command | median wall | worst wall | median CPU |"
echo "|---|---|---|---|"
timeit "audit head (journal verification only)" "$rollout" audit head --state-dir "$state"
timeit "status (verification, then the campaigns)" "$rollout" status --state-dir "$state"
for f in xlsx csv json; do
	timeit "report monthly 2026-10 --format $f" \
		"$rollout" report monthly 2026-10 --state-dir "$state" --format "$f" -o "$work/m.$f" --force
done
timeit "report work 2026-10-bench (8,372 step runs, xlsx)" \
	"$rollout" report work 2026-10-bench --state-dir "$state" -o "$work/w.xlsx" --force
