#!/usr/bin/env bash
# The engine's key and state directory from the command line (issue 9): a
# state directory others can write, a key others can read, and a wrong
# passphrase are refused by every command that would use them, with exit 2,
# a message that names the file and the fix, nothing recorded, and the
# passphrase never repeated. (Logging in with an agent or an encrypted key
# is tested against sshd in test_transport and the simulator in tests/e2e.)
. "$(dirname "$0")/lib.sh"
# The developer's own agent must not change what is tested here.
unset SSH_AUTH_SOCK
os=$src/playbooks/campaigns/2026-10-os-update.yml
inv=$src/inventory/sapporo.yml

# A state directory others can write: every command that opens it refuses it.
for mode in 0777 0770 0702; do
	st=$tmp/open-$mode
	mkdir "$st" && chmod "$mode" "$st"
	msg="state directory $st has mode $mode.*"
	expect 2 "$msg" "keygen refuses a $mode state dir" -- "$rollout" keygen --state-dir "$st"
	expect 2 "$msg" "run refuses a $mode state dir" -- "$rollout" run "$os" --state-dir "$st"
	expect 2 "$msg" "hosts enroll refuses a $mode state dir" -- \
		"$rollout" hosts enroll "$inv" --state-dir "$st" --timeout 100
	expect 2 "$msg" "hosts list refuses a $mode state dir" -- "$rollout" hosts list --state-dir "$st"
	expect 2 "$msg" "status refuses a $mode state dir" -- "$rollout" status --state-dir "$st"
	expect 2 "$msg" "approve refuses a $mode state dir" -- \
		"$rollout" approve 2026-10-os-update --wave 1 --state-dir "$st"
	expect 2 "$msg" "stop refuses a $mode state dir" -- \
		"$rollout" stop 2026-10-os-update --state-dir "$st"
	expect 2 "$msg" "resume refuses a $mode state dir" -- \
		"$rollout" resume 2026-10-os-update --state-dir "$st"
	expect 2 "$msg" "plan --save refuses a $mode state dir" -- \
		"$rollout" plan "$os" --save --state-dir "$st"
	check "the refusals say how to fix a $mode dir" grep -q "chmod 700 $st" "$tmp/out"
	check "nothing was written into the $mode state dir" [ -z "$(ls -A "$st")" ]
done
# A new state directory is private whatever the umask; 0755 is accepted.
(umask 000 && "$rollout" keygen --state-dir "$tmp/new" >/dev/null)
check "a new state dir is created 0700 under umask 000" [ "$(stat -c %a "$tmp/new")" = 700 ]
mkdir -m 0755 "$tmp/shared-read" && chmod 0755 "$tmp/shared-read"
expect 0 "Wrote" "a 0755 state dir (readable, not writable) is accepted" -- \
	"$rollout" keygen --state-dir "$tmp/shared-read"

# A key others can read is refused before anything is recorded.
st=$tmp/state
"$rollout" keygen --state-dir "$st" >/dev/null
# No known hosts: the key is checked first, and no run can reach a host.
for mode in 0644 0640 0604; do
	chmod "$mode" "$st/id_ed25519"
	expect 2 "engine key $st/id_ed25519 has mode $mode.*" "run refuses a $mode key" -- \
		"$rollout" run "$os" --state-dir "$st"
	check "the refusal says chmod 600 for a $mode key" grep -q "chmod 600 $st/id_ed25519" "$tmp/out"
done
chmod 600 "$st/id_ed25519"
check "no refused run recorded a store" [ ! -e "$st/state.db" ]

# A key encrypted with ssh-keygen -p: a wrong passphrase stops the run at
# start (exit 2, nothing recorded, the passphrase not repeated); the right
# one passes the key check (the run then stops at the missing known hosts,
# which are checked after the key).
ssh-keygen -q -p -f "$st/id_ed25519" -P '' -N 'Right-Canary-Pass 11' >/dev/null
expect 2 "passphrase given does not decrypt the engine key $st/id_ed25519" \
	"a wrong passphrase is refused at start" -- \
	"$rollout" run "$os" --state-dir "$st" --key-passphrase-fd 3 3<<<"Wrong-Canary-Pass 22"
check "the wrong passphrase is not repeated" bash -c "! grep -q Canary '$tmp/out'"
check "the refused run recorded nothing" [ ! -e "$st/state.db" ]
expect 2 "no recorded host keys" "the right passphrase gets past the key" -- \
	"$rollout" run "$os" --state-dir "$st" --key-passphrase-fd 3 3<<<"Right-Canary-Pass 11"
check "the right passphrase is not repeated" bash -c "! grep -q Canary '$tmp/out'"
expect 2 "key-passphrase-fd" "no terminal and no descriptor: says how to give it" -- \
	setsid -w "$rollout" run "$os" --state-dir "$st" </dev/null
expect 2 "--key-passphrase-fd takes" "a bad descriptor number" -- \
	"$rollout" run "$os" --state-dir "$st" --key-passphrase-fd x
expect 2 "--key-passphrase-fd 7 is not an open pipe" "a descriptor the caller did not open" -- \
	"$rollout" run "$os" --state-dir "$st" --key-passphrase-fd 7
expect 2 "no SSH agent answers at SSH_AUTH_SOCK" "--agent without an agent" -- \
	"$rollout" run "$os" --state-dir "$st" --agent

# rollout keygen --passphrase-fd: the key is encrypted by ssh-keygen, which
# gets the passphrase on a pipe, and never lies on the disk in clear.
expect 2 "at least 15 characters" "a short passphrase is refused" -- \
	"$rollout" keygen --state-dir "$tmp/enc-short" --passphrase-fd 3 3<<<"too short"
check "the refused keygen left nothing behind" [ ! -e "$tmp/enc-short" ]
expect 2 "--passphrase-fd takes an open" "keygen: a descriptor the caller did not open" -- \
	"$rollout" keygen --state-dir "$tmp/enc-bad" --passphrase-fd 7
expect 0 "mode 0600, encrypted" "keygen --passphrase-fd writes an encrypted key" -- \
	"$rollout" keygen --state-dir "$tmp/enc" --passphrase-fd 3 3<<<"Keygen-Canary-Pass 99"
check "keygen does not repeat the passphrase" bash -c "! grep -q Canary '$tmp/out'"
check "the key does not open without the passphrase" \
	bash -c "! ssh-keygen -y -P '' -f '$tmp/enc/id_ed25519' >/dev/null 2>&1"
check "the key is mode 0600" [ "$(stat -c %a "$tmp/enc/id_ed25519")" = 600 ]
expect 2 "no recorded host keys" "run opens the key keygen encrypted" -- \
	"$rollout" run "$os" --state-dir "$tmp/enc" --key-passphrase-fd 3 3<<<"Keygen-Canary-Pass 99"
expect 2 "does not decrypt" "run refuses a wrong passphrase for it" -- \
	"$rollout" run "$os" --state-dir "$tmp/enc" --key-passphrase-fd 3 3<<<"Keygen-Canary-Pass 98"
check "nor does run repeat it" bash -c "! grep -q Canary '$tmp/out'"
finish
