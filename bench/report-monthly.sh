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
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
rollout=$build/engine/rollout
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

# timeit LABEL COMMAND...: RUNS runs; prints the median and the worst in ms.
timeit() {
	local label=$1 i t0 t1
	shift
	: >"$work/times"
	for i in $(seq 1 "$runs"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$work/times"
	done
	sort -n "$work/times" | awk -v l="$label" '{ v[NR] = $1 } END {
		printf "| %s | %d ms | %d ms |\n", l, v[int((NR + 1) / 2)], v[NR] }'
}

echo "| command | median | worst |"
echo "|---|---|---|"
timeit "audit head (journal verification only)" "$rollout" audit head --state-dir "$state"
for f in xlsx csv json; do
	timeit "report monthly 2026-10 --format $f" \
		"$rollout" report monthly 2026-10 --state-dir "$state" --format "$f" -o "$work/m.$f" --force
done
timeit "report work 2026-10-bench (8,372 step runs, xlsx)" \
	"$rollout" report work 2026-10-bench --state-dir "$state" -o "$work/w.xlsx" --force
