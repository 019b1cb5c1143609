#!/bin/sh
# calendar.sh ROLLOUT SOURCE_DIR - `rollout calendar` against the Cabinet
# Office's published holidays for 2026 and 2027 (内閣府「国民の祝日について」;
# tests/golden/holidays-2026-2027.txt, where substitute and citizens'
# holidays are named 休日 as in the Cabinet Office's syukujitsu.csv), and
# the exit codes for bad input.
set -u
rollout=$1
src=$2
golden=$src/tests/golden/holidays-2026-2027.txt
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

"$rollout" calendar holidays 2026 2027 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: 'calendar holidays 2026 2027' exited $rc"; cat "$tmp/err"; fail=1
elif ! diff -u "$golden" "$tmp/out"; then
	echo "FAIL: 'calendar holidays 2026 2027' differs from $golden"; fail=1
fi

# expect_exit CODE ARGS... - the command must exit with CODE and, for
# usage errors, say something on stderr.
expect_exit() {
	want=$1; shift
	"$rollout" calendar "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: 'calendar $*' exited $got, expected $want"; cat "$tmp/err"; fail=1
	elif [ "$want" -eq 2 ] && [ ! -s "$tmp/err" ]; then
		echo "FAIL: 'calendar $*' exited 2 without a message"; fail=1
	fi
}

expect_exit 2 holidays 1947 2026
expect_exit 2 holidays 2026 2151
expect_exit 2 holidays 2027 2026
expect_exit 2 holidays 20x6 2027
expect_exit 2 holidays
expect_exit 2 1947
expect_exit 2 2026 --closed 2026-02-30
expect_exit 2 2026 --hours 17:15-08:45
expect_exit 2 2026 --bogus
expect_exit 2
expect_exit 0 2026
expect_exit 0 2026 --json --closed 2026-10-09 --hours 09:00-17:00
expect_exit 0 holidays 1948 2150 --json

# The year view lists the 2027 long weekend of the vernal equinox.
"$rollout" calendar 2027 >"$tmp/out"
if ! grep -q '2027-03-19 (金) 17:15  ->  2027-03-23 (火) 08:45  3 days' "$tmp/out"; then
	echo "FAIL: 'calendar 2027' does not list the 2027-03-19..23 window"; fail=1
fi
# An extra closed day is counted and joins the weekend it touches.
"$rollout" calendar 2026 --closed 2026-10-09 >"$tmp/out"
if ! grep -q '2026-10-08 (木) 17:15  ->  2026-10-13 (火) 08:45  4 days' "$tmp/out"; then
	echo "FAIL: '--closed 2026-10-09' did not make a four-day window"; fail=1
fi

[ $fail -eq 0 ] && echo "calendar CLI: ok"
exit $fail
