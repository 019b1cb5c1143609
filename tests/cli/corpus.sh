#!/usr/bin/env bash
# corpus.sh ROLLOUT SRCDIR - runs `rollout validate` on every bad input of tests/corpus.
#
# Each case is tests/corpus/NAME.yml (or a directory NAME/ holding campaign.yml with its
# inventory and playbooks) with NAME.expect beside it: one grep -F pattern per line, every
# one of which must appear in stderr (the first is the diagnostic's file:line:col).
# A case passes when validate exits 2 (bad input) within 10 seconds, without a crash
# (signal, exit >= 128, sanitizer report), and stderr holds every expected line.
# huge.yml (over the 8 MiB limit) is generated here rather than kept in the tree.
set -u

rollout=${1:?usage: corpus.sh ROLLOUT SRCDIR}
srcdir=${2:?usage: corpus.sh ROLLOUT SRCDIR}
corpus=$srcdir/tests/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# huge.yml: a valid-looking inventory of about 10 MiB, refused for its size alone.
{
	printf 'inventory: huge\nsites:\n  - id: kita\n    name: Kita ward office\nhosts:\n'
	python3 -c '
import sys
w = sys.stdout.write
for i in range(200000):
    w("  - {name: h%d, site: kita, role: terminal, address: 10.%d.%d.%d}\n" % (i, i >> 16 & 255, i >> 8 & 255, i & 255))
'
} > "$tmp/huge.yml"
printf 'huge.yml\nMiB\n' > "$tmp/huge.expect"

passed=0
failed=0

# run_case NAME FILE EXPECT
run_case() {
	local name=$1 file=$2 expect=$3 rc why="" line
	timeout 10 "$rollout" validate "$file" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		why="timed out after 10s"
	elif [ "$rc" -ge 128 ]; then
		why="crashed (exit $rc)"
	elif grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
		why="sanitizer report"
	elif [ "$rc" -ne 2 ]; then
		why="exit $rc, expected 2"
	elif [ ! -f "$expect" ]; then
		why="no $expect"
	else
		while IFS= read -r line || [ -n "$line" ]; do
			[ -z "$line" ] && continue
			if ! grep -qF -- "$line" "$tmp/err"; then
				why="stderr lacks '$line'"
				break
			fi
		done < "$expect"
	fi
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		printf 'ok    %s\n' "$name"
	else
		failed=$((failed + 1))
		printf 'FAIL  %s: %s\n' "$name" "$why"
		sed 's/^/        | /' "$tmp/err" | head -n 12
	fi
}

for f in "$corpus"/*.yml; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .yml)
	run_case "$name" "$f" "$corpus/$name.expect"
done
for d in "$corpus"/*/; do
	[ -d "$d" ] || continue
	name=$(basename "$d")
	run_case "$name/" "${d%/}/campaign.yml" "$corpus/$name.expect"
done
run_case huge "$tmp/huge.yml" "$tmp/huge.expect"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
