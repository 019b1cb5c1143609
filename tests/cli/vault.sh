#!/usr/bin/env bash
# tests/cli/vault.sh ROLLOUT - `rollout vault` end to end: the commands,
# their distinct failures (exit 1, nothing changed), and a canary password
# that must never appear in any file but the (encrypted) vault, in any
# command's output except `reveal` on a terminal, or in argv.
set -uo pipefail
R=$1
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures/vault-v1
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
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

# The actor is the key file's member, never a flag (issue 9, item 5).
cp .rollout/vault.rov before-actor.rov
run 2 "--member alice with bob's key file" "$R" vault set cs-active/actor-check --member alice \
	--key .rollout/keys/bob.key --passphrase-fd 3 3<pb <<<"Actor#Mismatch123"
grep -q "belongs to 'bob'" err || fail "a --member that disagrees with the key file is not refused"
cmp -s before-actor.rov .rollout/vault.rov || fail "a refused actor changed the vault"
run 0 "bob sets with his key file" "$R" vault set cs-active/actor-check --key .rollout/keys/bob.key \
	--passphrase-fd 3 3<pb <<<"Actor#Bob1234567"
run 0 "list after bob's set" "$R" vault list "${A[@]}" 3<pa
grep -q 'created .* by bob' out || fail "bob's set is not recorded as bob's"
last=$(sqlite3 .rollout/state.db "SELECT actor FROM journal WHERE kind = 'vault.set' ORDER BY seq DESC LIMIT 1")
[ "$last" = bob ] || fail "the journal records '$last' as the actor of bob's set"
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

# ---- Issue 9: forged and replaced files, lost store, file handling ----
cp .rollout/vault.rov genuine.rov

# With the state store deleted, an older copy is still refused: alice's
# key file remembers the last counter it saw.
run 0 "a newer save" "$R" vault set kita-t09/windows-admin "${A[@]}" 3<pa <<<"Newer#Value12345"
cp .rollout/vault.rov newest.rov
cp genuine.rov .rollout/vault.rov
rm -f .rollout/state.db
run 1 "older copy with the store deleted" "$R" vault verify "${A[@]}" 3<pa
grep -q 'older copy' err || fail "rollback without the store not said"
cp newest.rov .rollout/vault.rov
run 0 "the newest copy opens" "$R" vault verify "${A[@]}" 3<pa

# A non-member builds a vault of their own with alice's public key, using
# only rollout commands, and puts it in place: a new vault id.
mkdir -m 700 m
echo 'mallory passphrase 9' >pm
M=(--state m --member mallory --passphrase-fd 3)
run 0 "mallory's vault" "$R" vault init "${M[@]}" --insecure-test-kdf 3<pm
cp .rollout/keys/alice.key m/keys/alice.key
run 0 "mallory adds alice's public key" "$R" vault member add alice "${M[@]}" 3<pm
run 0 "mallory plants a value" "$R" vault set cs-active/windows-admin "${M[@]}" 3<pm <<<"Planted#Value123"
cp m/vault.rov .rollout/vault.rov
run 1 "a non-member's vault under a new id" "$R" vault verify "${A[@]}" 3<pa
grep -q "signed by 'mallory'" err || fail "the replaced vault does not name its signer"
cp newest.rov .rollout/vault.rov

# A group- or world-writable key directory is refused.
chmod 777 .rollout/keys
run 1 "world-writable key directory" "$R" vault list "${A[@]}" 3<pa
grep -q 'chmod 700' err || fail "the key directory's mode is not explained"
chmod 770 .rollout/keys
run 1 "group-writable key directory" "$R" vault list "${A[@]}" 3<pa
chmod 700 .rollout/keys

# A planted .tmp link does not make a save write another file.
echo precious >victim.txt
ln -sf "$T/victim.txt" .rollout/vault.rov.tmp
run 0 "save with a planted temp link" "$R" vault set kita-t10/windows-admin "${A[@]}" 3<pa <<<"Link#Value123456"
grep -qx precious victim.txt || fail "a planted .tmp link made a save overwrite another file"
[ -f .rollout/vault.rov ] && [ ! -L .rollout/vault.rov ] || fail "vault.rov became a link"
# A lock file replaced by a link is refused and creates nothing.
mv .rollout/vault.rov.lock lock.bak
ln -s "$T/made-by-lock" .rollout/vault.rov.lock
run 1 "lock file replaced by a link" "$R" vault set kita-t11/windows-admin "${A[@]}" 3<pa <<<"Lock#Value1234567"
[ ! -e made-by-lock ] || fail "a planted lock link created a file"
rm .rollout/vault.rov.lock
mv lock.bak .rollout/vault.rov.lock

# A FIFO or an oversized file is refused before reading (the FIFO used to
# hang: timeout bounds the test, it is not a synchronisation).
mkfifo fifo.rov
run 1 "a FIFO as --vault" timeout 30 "$R" vault verify --vault fifo.rov "${A[@]}" 3<pa
grep -q 'not a regular file' err || fail "a FIFO vault not refused as such"
printf 'ROVAULT\0' >big.rov
truncate -s 2G big.rov
run 1 "a 2 GiB file with the vault magic" "$R" vault verify --vault big.rov "${A[@]}" 3<pa
grep -q 'refused without reading' err || fail "a 2 GiB vault file was not refused by its size"
rm -f big.rov fifo.rov

# --passphrase-fd must name a descriptor the caller opened.
run 2 "--passphrase-fd naming a closed descriptor" "$R" vault list --member alice --passphrase-fd 3 3<&-
grep -q 'not open' err || fail "a closed passphrase descriptor is not refused"

# Passphrase policy, and the minimum KDF only behind its test-only flag.
printf '            \n' >spaces
run 1 "twelve spaces as a passphrase" "$R" vault keygen --member carol --passphrase-fd 3 --insecure-test-kdf 3<spaces
[ ! -e .rollout/keys/carol.key ] || fail "a passphrase of twelve spaces made a key file"
echo 'Short#pass12' >short
run 1 "a 12-character passphrase" "$R" vault keygen --member carol --passphrase-fd 3 --insecure-test-kdf 3<short
run 2 "--kdf min for a key file" "$R" vault keygen --member dave --passphrase-fd 3 --kdf min 3<pa
[ ! -e .rollout/keys/dave.key ] || fail "--kdf min made a key file"

# Migration from format version 1 (files written by the previous rollout).
mkdir -m 700 v1 v1/keys
cp "$FIX/vault.rov" v1/
cp "$FIX/alice.key" "$FIX/bob.key" v1/keys/
chmod 600 v1/vault.rov v1/keys/*
V1A=(--state v1 --member alice --passphrase-fd 3)
V1B=(--state v1 --member bob --passphrase-fd 3)
run 1 "a version-1 vault is not used unsigned" "$R" vault list "${V1A[@]}" 3<pa
grep -q 'vault migrate' err || fail "a version-1 vault does not point to migrate"
run 0 "alice migrates her key file" "$R" vault migrate "${V1A[@]}" 3<pa
grep -q 'stays version 1' out || fail "migrate converted the vault before bob's key file was upgraded"
run 0 "bob migrates: the vault becomes version 2" "$R" vault migrate "${V1B[@]}" 3<pb
grep -q 'migrated' out || fail "the vault was not migrated"
FP1=$(sed -n 's/.*fingerprint \([0-9a-f]\{64\}\).*/\1/p' out)
run 0 "alice's first open of the migrated vault" "$R" vault verify "${V1A[@]}" --trust-vault "$FP1" 3<pa
grep -q 'signed by bob' out || fail "verify does not say who signed"
run 0 "alice reads it again (pinned now)" "$R" vault list "${V1A[@]}" 3<pa
grep -q 'cs-active/windows-admin' out || fail "the migrated vault lost an entry"
cp v1/vault.rov v1/v2.rov
cp "$FIX/vault.rov" v1/vault.rov
run 1 "the version-1 file put back after migration" "$R" vault list "${V1A[@]}" --vault v1/vault.rov 3<pa
cp v1/v2.rov v1/vault.rov

# A removed member signs a fork from the roster they were on. A member
# whose key file has not seen the removal (carol) is protected by the roster
# the state store recorded at the removal.
mkdir -m 700 fk
(
	cd fk || exit 1
	echo 'carol passphrase 333' >pc
	run 0 "fork: alice's vault" "$R" vault init --member alice --passphrase-fd 3 --insecure-test-kdf 3<../pa
	run 0 "fork: bob's key" "$R" vault keygen --member bob --passphrase-fd 3 --insecure-test-kdf 3<../pb
	run 0 "fork: carol's key" "$R" vault keygen --member carol --passphrase-fd 3 --insecure-test-kdf 3<pc
	run 0 "fork: add bob" "$R" vault member add bob --member alice --passphrase-fd 3 3<../pa
	run 0 "fork: add carol" "$R" vault member add carol --member alice --passphrase-fd 3 3<../pa
	FPK=$(sed -n 's/.*--trust-vault \([0-9a-f]*\).*/\1/p' out)
	run 0 "fork: bob's first open" "$R" vault list --member bob --passphrase-fd 3 --trust-vault "$FPK" 3<../pb
	run 0 "fork: carol's first open" "$R" vault list --member carol --passphrase-fd 3 --trust-vault "$FPK" 3<pc
	cp .rollout/vault.rov base.rov
	run 0 "fork: alice removes bob" "$R" vault member remove bob --member alice --passphrase-fd 3 3<../pa
	mkdir -m 700 bobstate
	cp base.rov fork.rov
	run 0 "fork: bob writes to the copy he kept" "$R" vault set cs-active/windows-admin --state bobstate \
		--key .rollout/keys/bob.key --vault fork.rov --passphrase-fd 3 3<../pb <<<"Forked#Value1234"
	cp .rollout/vault.rov genuine.rov
	cp fork.rov .rollout/vault.rov
	run 1 "fork: carol (key file not updated since) opens bob's fork" "$R" vault list --member carol \
		--passphrase-fd 3 3<pc
	grep -q "state store last recorded" err || fail "a removed member's fork is not refused by the store's roster"
	run 1 "fork: alice opens bob's fork" "$R" vault list --member alice --passphrase-fd 3 3<../pa
	grep -q "does not descend" err || fail "a removed member's fork is not refused by alice's key file"
	cp genuine.rov .rollout/vault.rov
	run 0 "fork: carol opens the genuine file" "$R" vault list --member carol --passphrase-fd 3 3<pc
	exit "$fails"
) || fails=$((fails + 1))

# Usage errors exit 2; reveal refuses a non-terminal.
run 2 "usage" "$R" vault frobnicate
run 2 "secret in argv refused" "$R" vault set cs-active/windows-admin "$CANARY" "${A[@]}" 3<pa
run 1 "reveal to a pipe" "$R" vault reveal cs-active/windows-admin "${A[@]}" 3<pa
# A password typed where the entry name goes is not echoed back.
run 2 "a password as the entry name" "$R" vault set "$CANARY" "${A[@]}" 3<pa <<<"x"

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
