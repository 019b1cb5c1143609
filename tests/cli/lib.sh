# tests/cli/lib.sh - shared by the bash command-line tests, run by ctest as
# TEST.sh ROLLOUT [SOURCE_DIR]: a private scratch directory ($tmp, removed at
# exit), the pass/fail count and the helpers that keep it.
set -u
rollout=$1 src=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect WANT_RC PATTERN DESCRIPTION -- COMMAND...: COMMAND exits WANT_RC and
# its output (stdout and stderr, kept in $tmp/out) matches the extended
# regular expression PATTERN; on failure the output is shown.
expect() {
	local want=$1 pat=$2 what=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	local rc=$?
	if [ "$rc" = "$want" ] && grep -qE -e "$pat" "$tmp/out"; then
		ok
	else
		bad "$what (exit $rc, wanted $want and /$pat/)"
		cat "$tmp/out"
	fi
}

# check DESCRIPTION COMMAND...: COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

# finish: prints the count; the test's exit status.
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
