#!/usr/bin/env bash
# `rollout audit`: the journal proves itself, against an attacker who can
# write state.db (and, in one case, also holds the journal key).
#
# The attacker works as one would: the sqlite3 shell drops the append-only
# triggers and edits rows, and a few lines of Python (hashlib, hmac) re-chain
# the journal with the formula in docs/STORE.md ("Journal"). Each attack
# runs on a fresh copy of one recorded state directory.
. "$(dirname "$0")/lib.sh"
os=$src/playbooks/campaigns/2026-10-os-update.yml
id=2026-10-os-update
base=$tmp/base

# The attacker's re-chaining tool: recompute every record's hash (and,
# given the key file, its MAC) so that the chain links again.
cat >"$tmp/rechain.py" <<'EOF'
import hashlib, hmac, sqlite3, sys

def enc(v):
    if v is None:
        return b"\x00"
    b = str(v).encode()
    return b"\x01" + len(b).to_bytes(8, "big") + b

db = sqlite3.connect(sys.argv[1])
key = None
if len(sys.argv) > 2:
    lines = open(sys.argv[2]).read().split("\n")
    key = bytes.fromhex(lines[1].split("=", 1)[1])
    unkeyed = int(lines[2].split("=", 1)[1])
prev = "0" * 64
rows = db.execute("SELECT seq, at, campaign, kind, actor, detail, mac FROM journal ORDER BY seq").fetchall()
for seq, at, campaign, kind, actor, detail, mac in rows:
    h = hashlib.sha256(enc("rollout-journal-v1") + enc(prev) + enc(seq) + enc(at) +
                       enc(campaign) + enc(kind) + enc(actor) + enc(detail)).hexdigest()
    if key is not None and seq > unkeyed:
        mac = hmac.new(key, enc("rollout-journal-mac-v1") + enc(h), hashlib.sha256).hexdigest()
    db.execute("UPDATE journal SET prev_hash = ?, hash = ?, mac = ? WHERE seq = ?",
               (prev, h, mac, seq))
    prev = h
db.commit()
EOF
unlock='DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;
DROP TRIGGER approvals_no_update; DROP TRIGGER approvals_no_delete;'
fresh() { rm -rf "$tmp/st"; cp -a "$base" "$tmp/st"; }
# approve STATE_DIR ARGS...: the city's approver (sato, tests/approvers) signs.
approve() {
	local st=$1; shift
	"$rollout" approve "$@" --state-dir "$st" --key "$src/tests/approvers/sato.key" \
		--passphrase-fd 3 3< <(printf 'e2e approver sato passphrase\n')
}

# A recorded campaign with an approval, and the head exported after it.
"$rollout" plan "$os" --save --state "$base" >/dev/null 2>&1 || bad "plan --save"
approve "$base" $id --wave 1 --comment reviewed >/dev/null 2>&1 ||
	bad "approve"
expect 0 "the chain verifies" "a recorded store verifies" -- "$rollout" audit verify --state-dir "$base"
expect 0 "every row .* matches its journal record" "its tables agree with the journal" -- \
	"$rollout" audit verify --state-dir "$base"
"$rollout" audit head --json --state-dir "$base" >"$tmp/head.json"
head0=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1])); print("%d:%s" % (h["seq"], h["hash"]))' "$tmp/head.json")
hash0=${head0#*:}
[ ${#hash0} = 64 ] && ok || bad "audit head --json gives a 64-hex hash (got '$head0')"
expect 0 "journal head: #${head0%%:*} $hash0" "status shows the same head in its footer" -- \
	"$rollout" status $id --state-dir "$base"
expect 0 "\"journal\":\\{\"seq\":${head0%%:*},\"hash\":\"$hash0\"\\}" "status --json carries the full head" -- \
	"$rollout" status $id --json --state-dir "$base"
# Later legitimate work keeps the exported head in the chain.
"$rollout" plan "$src/playbooks/campaigns/2026-11-ip-change-chuo-t03.yml" --save --state "$base" \
	>/dev/null 2>&1 || bad "a second plan --save"
expect 0 "exported head: found at record ${head0%%:*}" "an earlier head is found after more records" -- \
	"$rollout" audit verify --head "$head0" --state-dir "$base"
expect 0 "found at record" "a head given as the hash alone" -- \
	"$rollout" audit verify --head "$hash0" --state-dir "$base"
expect 2 "64 hex characters" "a malformed head is bad usage" -- \
	"$rollout" audit verify --head 5f3a --state-dir "$base"
expect 2 "no state store" "a directory without a store" -- "$rollout" audit verify --state-dir "$tmp/none"

# 1. Edit the approval's comment, row and journal alike, and re-chain
#    without the key: the MACs give it away.
forge="$unlock UPDATE approvals SET comment = 'forged';
UPDATE journal SET detail = replace(detail, '\"comment\":\"reviewed\"', '\"comment\":\"forged\"')
  WHERE kind = 'wave.state' AND detail LIKE '%\"approval\":%';"
fresh
sqlite3 "$tmp/st/state.db" "$forge" || bad "sqlite3 edit"
python3 "$tmp/rechain.py" "$tmp/st/state.db" || bad "rechain"
expect 1 "journal record [0-9]+ does not verify \(its MAC does not match" \
	"a re-chained journal without the key fails on its MACs" -- "$rollout" audit verify --state-dir "$tmp/st"
expect 1 "does not verify.*rollout audit verify --state-dir" "status refuses it, pointing to audit verify" -- \
	"$rollout" status $id --state-dir "$tmp/st"
if grep -q forged "$tmp/out"; then bad "status showed the forged comment"; else ok; fi
expect 1 "journal record [0-9]+ does not verify" "audit head refuses to print a head for it" -- \
	"$rollout" audit head --state-dir "$tmp/st"

# 2. The same attacker who also holds the journal key: everything
#    recomputes, and only the exported head catches it.
fresh
sqlite3 "$tmp/st/state.db" "$forge" || bad "sqlite3 edit"
python3 "$tmp/rechain.py" "$tmp/st/state.db" "$tmp/st/journal.key" || bad "rechain with key"
expect 0 "the chain verifies" "with the key the chain and MACs recompute (the key is not the anchor)" -- \
	"$rollout" audit verify --state-dir "$tmp/st"
expect 1 "exported head $hash0 \(record ${head0%%:*}\) is not in the journal" \
	"the exported head catches the re-chained edit" -- \
	"$rollout" audit verify --head "$head0" --state-dir "$tmp/st"
expect 1 "is not in the journal" "also when the head is given as the hash alone" -- \
	"$rollout" audit verify --head "$hash0" --state-dir "$tmp/st"
expect 1 '"ok":false.*"found":false' "--json says so" -- \
	"$rollout" audit verify --json --head "$head0" --state-dir "$tmp/st"

# 3. Records cut from the end (and the rest intact) are caught by the head.
fresh
sqlite3 "$tmp/st/state.db" "$unlock DELETE FROM journal WHERE seq >= ${head0%%:*};" || bad "truncate"
expect 1 "journal ends at record|is not in the journal" "a truncated journal is caught by the head" -- \
	"$rollout" audit verify --head "$head0" --state-dir "$tmp/st"

# 4. Rows written around the journal: an inserted approval, a host marked
#    done, an approval's comment changed without touching the journal.
fresh
plan=$(sqlite3 "$tmp/st/state.db" "SELECT plan_hash FROM campaigns WHERE id = '$id'")
sqlite3 "$tmp/st/state.db" "INSERT INTO approvals (campaign, wave, approver, comment, approved_at,
  plan_hash) VALUES ('$id', 1, 'mallory', NULL, 1767225600, '$plan');" || bad "insert"
expect 1 "table approvals, approval 2 \(campaign $id wave 2\): has no journal record" \
	"an approval inserted around the journal is named" -- "$rollout" audit verify --state-dir "$tmp/st"
fresh
sqlite3 "$tmp/st/state.db" "UPDATE campaign_hosts SET state = 'done' WHERE host = (SELECT min(host)
  FROM campaign_hosts WHERE campaign = '$id');" || bad "host edit"
expect 1 "table campaign_hosts, campaign $id host .*: is done but the journal leaves it pending" \
	"a host state changed around the journal is named" -- "$rollout" audit verify --state-dir "$tmp/st"
fresh
sqlite3 "$tmp/st/state.db" "$unlock UPDATE approvals SET comment = 'forged';" || bad "approval edit"
expect 1 "table approvals, approval 1 .*: has no journal record with the same content" \
	"an approval edited without its record is named" -- "$rollout" audit verify --state-dir "$tmp/st"

# 5. A record edited and not re-chained: status, run, approve and plan --save refuse to work.
fresh
sqlite3 "$tmp/st/state.db" "$unlock UPDATE journal SET actor = 'mallory' WHERE seq = 5;" || bad "edit"
expect 1 "journal record 5 does not verify \(its contents do not match its hash\)" \
	"status refuses a broken chain, naming the record" -- "$rollout" status --state-dir "$tmp/st"
"$rollout" keygen --state-dir "$tmp/st" >/dev/null 2>&1 || bad "keygen"
: >"$tmp/st/known_hosts"
expect 1 "journal record 5 does not verify.*|rollout audit verify" "run refuses a broken chain" -- \
	timeout 60 "$rollout" run "$os" --state-dir "$tmp/st" --plain
grep -q "rollout audit verify --state-dir" "$tmp/out" && ok || bad "run names audit verify"
# approve and plan --save record on top of the journal: they refuse it the same way,
# and record nothing.
n0=$(sqlite3 "$tmp/st/state.db" "SELECT (SELECT count(*) FROM journal) || '/' || (SELECT count(*) FROM approvals)")
for cmd in approve plan; do
	if [ $cmd = approve ]; then
		approve "$tmp/st" $id --wave 1 --comment late >"$tmp/out" 2>&1 && rc=0 || rc=$?
	else
		"$rollout" plan "$src/playbooks/campaigns/2026-11-ip-change-chuo-t03.yml" --save \
			--state-dir "$tmp/st" >"$tmp/out" 2>&1 && rc=0 || rc=$?
	fi
	check "$cmd refuses a broken chain with run's exit code 1 ($rc)" [ "$rc" = 1 ]
	check "$cmd names the broken record" grep -q "journal record 5 does not verify" "$tmp/out"
	check "$cmd names audit verify" grep -q "rollout audit verify --state-dir" "$tmp/out"
done
n1=$(sqlite3 "$tmp/st/state.db" "SELECT (SELECT count(*) FROM journal) || '/' || (SELECT count(*) FROM approvals)")
[ "$n0" = "$n1" ] && ok || bad "the refused approve and plan --save recorded nothing ($n0, then $n1)"

# 6. The journal key must be private, and cannot be silently replaced.
fresh
chmod 644 "$tmp/st/journal.key"
expect 1 "journal key is accessible by others \(mode 0644\)" "a readable journal key is refused" -- \
	"$rollout" audit verify --state-dir "$tmp/st"
fresh
rm "$tmp/st/journal.key"
expect 1 "journal key is missing, but [0-9]+ journal records were sealed" \
	"a removed key is not silently replaced" -- "$rollout" status --state-dir "$tmp/st"

# 7. An auditor's copy of state.db without the key: the head still proves it.
mkdir "$tmp/copy"
cp "$base/state.db" "$tmp/copy/"
expect 0 "found at record ${head0%%:*}" "a copy without the key verifies against the head" -- \
	"$rollout" audit verify --head "$head0" --state-dir "$tmp/copy"
[ ! -e "$tmp/copy/journal.key" ] && ok || bad "audit made a journal key in an auditor's copy"
expect 1 "only an exported head proves this journal" "without the key and a head, it says what is missing" -- \
	"$rollout" audit verify --state-dir "$tmp/copy"
fresh
sqlite3 "$tmp/st/state.db" "$forge" || bad "sqlite3 edit"
python3 "$tmp/rechain.py" "$tmp/st/state.db" || bad "rechain"
cp "$tmp/st/state.db" "$tmp/copy/state.db"
expect 1 "is not in the journal" "a re-chained copy without the key is caught by the head" -- \
	"$rollout" audit verify --head "$head0" --state-dir "$tmp/copy"

# 8. Terminal escapes in a comment are shown escaped (the approver's name is
#    the signing key file's member, never typed text).
fresh
"$rollout" approve $id --wave 2 --state-dir "$tmp/st" >/dev/null 2>&1 # not gated: refused, fine
esc=$'\e'
"$rollout" plan "$os" --save --state "$tmp/esc" >/dev/null 2>&1
approve "$tmp/esc" $id --wave 1 --comment $'ok\e]0;owned\a\e[2J\e[31m\x9b' \
	>"$tmp/approve.out" 2>&1 || bad "approve with escapes"
"$rollout" status $id --state-dir "$tmp/esc" >"$tmp/status.out" 2>&1 || bad "status with escapes"
for f in approve status; do
	if grep -q "$esc" "$tmp/$f.out"; then bad "$f printed a raw ESC"; else ok; fi
done
grep -qF 'ok\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b' "$tmp/status.out" && ok || { bad "status shows the comment escaped"; cat "$tmp/status.out"; }
grep -qF 'ok\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b' "$tmp/approve.out" && ok || { bad "approve shows the comment escaped"; cat "$tmp/approve.out"; }
expect 0 '"comment":"ok\\u001b\]0;owned\\u0007' "JSON keeps the exact value" -- \
	"$rollout" status $id --json --state-dir "$tmp/esc"
"$rollout" status $'no\e[2Jsuch' --state-dir "$tmp/esc" >"$tmp/unknown.out" 2>&1
if grep -q "$esc" "$tmp/unknown.out"; then bad "status echoed an unknown campaign's ESC raw"; else ok; fi
"$rollout" approve $'no\e[2Jsuch' --wave 1 --state-dir "$tmp/esc" >"$tmp/unknown.out" 2>&1
if grep -q "$esc" "$tmp/unknown.out"; then bad "approve echoed an unknown campaign's ESC raw"; else ok; fi
expect 0 "the chain verifies" "escaped text journals and verifies" -- "$rollout" audit verify --state-dir "$tmp/esc"

finish
