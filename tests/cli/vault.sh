#!/usr/bin/env bash
# tests/cli/vault.sh ROLLOUT - `rollout vault` end to end: the commands,
# their distinct failures (exit 1, nothing changed), and a canary password
# that must never appear in any file but the (encrypted) vault, in any
# command's output except `reveal` on a terminal, or in argv.
set -uo pipefail
R=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fails=0
CANARY='Kanary7#x9QzWvT2pL'
CANARY2='Imp0rt#Canary55qq'

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# run EXPECTED-RC DESCRIPTION CMD... : runs CMD, appends its output to all.out
run() {
	local want=$1 what=$2; shift 2
	"$@" >out 2>err
	local rc=$?
	cat out err >>all.out
	[ "$rc" -eq "$want" ] || { fail "$what: exit $rc, want $want"; cat err >&2; }
}
A=(--member alice --passphrase-fd 3)
B=(--member bob --passphrase-fd 3)
echo 'alice passphrase 1' >pa
echo 'bob passphrase 22' >pb
echo 'not the passphrase' >wrong

run 0 "init" "$R" vault init "${A[@]}" --insecure-test-kdf 3<pa
run 0 "set from stdin" "$R" vault set cs-active/windows-admin "${A[@]}" 3<pa <<<"$CANARY"
run 0 "generate" "$R" vault generate cs-active/oracle-system "${A[@]}" 3<pa
run 0 "import from stdin" "$R" vault import - --format csv "${A[@]}" 3<pa <<<"kita-t03,windows-admin,$CANARY2"
run 0 "list" "$R" vault list "${A[@]}" 3<pa
grep -q 'kita-t03/windows-admin' out || fail "list does not show an imported entry"
grep -q 'pending' out || fail "list does not show states"
run 0 "verify" "$R" vault verify "${A[@]}" 3<pa
run 0 "commit" "$R" vault commit kita-t03/windows-admin "${A[@]}" 3<pa

# Bad notices store nothing.
cp .rollout/vault.rov before.rov
printf 'kita-t04/windows-admin,Good1#password99\nkita-t05/windows-admin,short\n' >bad.csv
run 1 "import with a bad line" "$R" vault import bad.csv "${A[@]}" 3<pa
grep -q 'bad.csv:2' err || fail "import error does not name file:line"
cmp -s before.rov .rollout/vault.rov || fail "a refused import changed the vault"
run 1 "policy violation" "$R" vault set kita-t04/windows-admin "${A[@]}" 3<pa <<<"weak"
cmp -s before.rov .rollout/vault.rov || fail "a refused set changed the vault"

# Distinct failures.
run 1 "wrong passphrase" "$R" vault list --member alice --passphrase-fd 3 3<wrong
grep -q 'wrong passphrase' err || fail "wrong passphrase not said"
run 0 "bob keygen" "$R" vault keygen "${B[@]}" --insecure-test-kdf 3<pb
run 1 "not a member" "$R" vault list "${B[@]}" 3<pb
grep -q 'not on this vault' err || fail "not-a-member not said"
run 0 "member add" "$R" vault member add bob "${A[@]}" 3<pa
FP=$(sed -n 's/.*--trust-vault \([0-9a-f]*\).*/\1/p' out)
[ ${#FP} -eq 64 ] || fail "member add does not print the fingerprint for the new member"
run 1 "bob's first open without the fingerprint" "$R" vault list "${B[@]}" 3<pb
grep -q 'never been verified' err || fail "an unpinned vault is not refused as such"
run 1 "bob's first open with a wrong fingerprint" "$R" vault list "${B[@]}" \
	--trust-vault "$(printf '0%.0s' {1..64})" 3<pb
run 0 "bob's first open with the fingerprint" "$R" vault list "${B[@]}" --trust-vault "$FP" 3<pb
run 0 "bob lists" "$R" vault list "${B[@]}" 3<pb
run 0 "member list" "$R" vault member list "${A[@]}" 3<pa
grep -q '^bob' out || fail "member list lacks bob"
cp .rollout/vault.rov with-bob.rov
run 0 "member remove" "$R" vault member remove bob "${A[@]}" 3<pa
run 1 "removed member" "$R" vault list "${B[@]}" 3<pb
grep -q 'not on this vault' err || fail "removed member not refused as not a member"

# An older copy put back (bob's copy, from before his removal).
cp .rollout/vault.rov good.rov
cp with-bob.rov .rollout/vault.rov
run 1 "older copy put back" "$R" vault list "${B[@]}" 3<pb
grep -q 'older copy' err || fail "rollback not said"
cp good.rov .rollout/vault.rov

# Tampering: flip one byte in the middle of the file.
size=$(stat -c %s good.rov)
python3 - "$size" <<'PY'
import sys
n = int(sys.argv[1]); b = bytearray(open('good.rov', 'rb').read()); b[n // 2] ^= 0xff
open('.rollout/vault.rov', 'wb').write(b)
PY
cp .rollout/vault.rov tampered.rov
run 1 "tampered file" "$R" vault verify "${A[@]}" 3<pa
grep -q 'tampered\|altered\|fails authentication' err || fail "tampering not said"
cmp -s tampered.rov .rollout/vault.rov || fail "a refused open changed the file"
cp good.rov .rollout/vault.rov

# Locked by another writer.
if command -v flock >/dev/null; then
	run 1 "locked" flock .rollout/vault.rov.lock "$R" vault set x/y "${A[@]}" 3<pa <<<"Lock3d#password99"
	grep -q 'another process' err || fail "lock not said"
fi

# Usage errors exit 2; reveal refuses a non-terminal.
run 2 "usage" "$R" vault frobnicate
run 2 "secret in argv refused" "$R" vault set cs-active/windows-admin "$CANARY" "${A[@]}" 3<pa
run 1 "reveal to a pipe" "$R" vault reveal cs-active/windows-admin "${A[@]}" 3<pa

# The canary appears nowhere but in the vault's ciphertext...
if grep -rqa -- "$CANARY" .rollout all.out; then fail "canary leaked into a file or output"; fi
if grep -rqa -- "$CANARY2" .rollout all.out; then fail "imported canary leaked"; fi
# (all.out holds the argv-refusal's usage message: it must not echo the value.)
# ...and `reveal` on a terminal does show it, so the grep above can find it.
if command -v script >/dev/null; then
	script -qec "$R vault reveal cs-active/windows-admin --member alice --passphrase-fd 3 3<pa" \
	    /dev/null >tty.out 2>&1
	grep -qa -- "$CANARY" tty.out || fail "reveal on a terminal did not show the value"
fi

[ "$fails" -eq 0 ] && echo "vault cli: all checks passed"
exit $((fails > 0))
