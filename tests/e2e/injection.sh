#!/usr/bin/env bash
# Command injection through campaign parameters, judged by the simulator's
# command log (every program and cmdlet a command line ran, `HOST: ran: ...`
# in its -v log) and its state.
#
# 1. Every shipped playbook, every parameter that reaches a host, every value
#    of an injection corpus (quotes, ; & | backticks $() newlines %VAR% and the
#    typographic quotes PowerShell honours): `rollout validate` either accepts
#    the value or refuses it (exit 2) with file:line:col at the value.
#    Values that can never be safe in a command line (double quote, newline,
#    %NAME%, U+2018/2019/201C/201D) must be refused everywhere.
# 2. The issue's scenario: `incident: "x; Remove-Item ... -Force; exit 42"`
#    through log-collection is refused by validate and run, and nothing runs
#    on the host; the vendor wrapper it would delete is still there.
# 3. Accepted values arrive as literal data: each accepted corpus value goes
#    through settings-change (cmd.exe double quotes and PowerShell single
#    quotes) on its own host; the host's registry holds exactly the value and
#    the host ran exactly the programs and cmdlets of a benign run.
. "$(dirname "$0")/lib.sh"

CW=$WORK/campaigns
mkdir -p "$CW"
SIMLOG=$WORK/sim.log

# ran HOST: the programs and cmdlets HOST ran, one command line per line.
ran() { sed -n "s/^rollout-sim: $1: ran: //p" "$SIMLOG"; }

# --- 1. the validate matrix -------------------------------------------------
python3 - "$SRC" "$CW" >"$WORK/matrix.tsv" <<'PY'
import json, os, sys
src, cw = sys.argv[1], sys.argv[2]
rel = lambda p: os.path.relpath(p, cw)
art = rel(os.path.join(src, "playbooks/artifacts"))
sha_t = "2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474"
sha_c = "c793867dd3f633d71b9483eac4fb5444e7ca7610a599f6eafe80e40b506a2170"
vendor = lambda n: "C:\\rollout\\vendor\\%s.cmd" % n
benign = {
  "os-security-update": ({"kb": "KB5066835", "artifact": art + "/windows11.0-kb5066835-x64.msu",
      "sha256": sha_t, "cs_kb": "KB5066782", "cs_artifact": art + "/windows10.0-kb5066782-x64.msu",
      "cs_sha256": sha_c}, None),
  "jlis-app-update": ({"version": "2.40.0", "cs_artifact": art + "/jlis-cs-app.msi",
      "cs_sha256": "182aa71dced4eb980a6c0680d35ff8c255f43742689884b720fefb64d81f4f46",
      "cs_product": "CS app", "terminal_artifact": art + "/jlis-terminal-app.msi",
      "terminal_sha256": "e47b7efb60c57d055bd822f70f5b64ac586690c9d58205f30692279009146e94",
      "terminal_product": "Terminal app"}, None),
  "settings-change": ({"key": "HKLM\\SOFTWARE\\Rollout", "value_name": "v", "value_type": "REG_SZ",
      "data": "1", "needs_reboot": "false", "change_id": "2026-07-001"}, None),
  "password-change": (dict({"oracle_sid": "JUKI", "autologon_user": "csadmin"},
      **{f"{c}_{k}_cmd": vendor(f"{c}-{k}") for c in ("arcserve", "shm_manager", "business_app",
         "systemwalker", "yarai_permission", "defender", "yarai") for k in ("password", "verify")}), None),
  "annual-inspection": ({"allowed_accounts_terminal": "Administrator,Guest", "allowed_accounts_cs": "Administrator",
      "allowed_shares_cs": "ADMIN$,C$", "firewall_baseline_terminal": sha_t, "firewall_baseline_cs": sha_t,
      "autostart_baseline_terminal": sha_t, "autostart_baseline_cs": sha_t,
      "software_baseline_terminal": sha_t, "software_baseline_cs": sha_t,
      "access_restriction_check_cmd": vendor("access-check"), "operator_expiry_check_cmd": vendor("expiry-check"),
      "password_changed_on": "2026-10-05", "encryption_tool_log": "C:\\tool\\app.log"}, None),
  "log-collection": ({"incident": "2026-11-04-kita-t05"}, ["kita-t05"]),
  "ip-change": ({"new_ip": "127.10.2.103", "prefix": "24", "gateway": "127.10.2.254",
      "dns": "127.10.0.53,127.10.0.54"}, ["chuo-t03"]),
}
corpus = [
  "x; Remove-Item -LiteralPath C:\\rollout\\vendor\\yarai-set-password.cmd -Force; exit 42",
  "x'; New-Item -ItemType Directory -Path C:\\pwned; 'y",
  "x & shutdown /r /t 0",
  "x | shutdown /r /t 0",
  "x`; shutdown /r /t 0",
  "$(shutdown /r /t 0)",
  "x\"; shutdown /r /t 0; \"y",
  "x\nshutdown /r /t 0",
  "%COMPUTERNAME%",
  "x\u2019; shutdown /r /t 0; \u2018y",
  "x\u201d; shutdown /r /t 0; \u201cy",
]
n = 0
for pb, (params, hosts) in benign.items():
    for name in params:
        if name in ("needs_reboot",) or name.endswith("sha256") or name in ("kb", "cs_kb", "version", "prefix", "new_ip", "gateway"):
            continue  # strict types with fixed syntax: refused by their type alone
        for i, v in enumerate(corpus):
            p = dict(params); p[name] = v
            f = os.path.join(cw, f"m{n}.yml"); n += 1
            with open(f, "w") as out:
                out.write(f"campaign: m{n}\ninventory: {rel(os.path.join(src, 'inventory/sapporo.yml'))}\n")
                out.write(f"playbooks: [{rel(os.path.join(src, 'playbooks', pb + '.yml'))}]\n")
                if hosts:
                    out.write(f"targets: {{hosts: [{', '.join(hosts)}]}}\n")
                out.write("start: 2026-10-05\nparams:\n")
                line = 7 if hosts else 6
                for k, val in p.items():
                    out.write(f"  {k}: {json.dumps(val)}\n")
            keyline = line + list(p).index(name)
            print(f"{f}\t{pb}\t{name}\t{i}\t{keyline}")
PY
matrix_bad=0 accepted=0 refused=0
while IFS=$'\t' read -r f pb name i keyline; do
	rc=0
	"$ROLLOUT" validate "$f" >"$WORK/v.out" 2>"$WORK/v.err" || rc=$?
	if [ "$rc" = 0 ]; then
		accepted=$((accepted + 1))
		# These can never be safe in a Windows command line.
		case $i in 6 | 7 | 8 | 9 | 10)
			matrix_bad=$((matrix_bad + 1)); echo "accepted: $pb $name corpus[$i]" ;;
		esac
	elif [ "$rc" = 2 ] && grep -q "^$f:$keyline:[0-9]*: error: .*'$name'" "$WORK/v.err"; then
		refused=$((refused + 1))
	else
		matrix_bad=$((matrix_bad + 1))
		echo "unexpected: $pb $name corpus[$i] exit $rc:"; head -3 "$WORK/v.err"
	fi
done <"$WORK/matrix.tsv"
echo "validate matrix: $refused refused at the value's line, $accepted accepted"
check "every corpus value is refused at its file:line, or accepted only where safe" [ "$matrix_bad" = 0 ]
check "the matrix covered the shipped playbooks" [ "$((refused + accepted))" -ge 200 ]

# --- 1b. uploads read only files of the playbook's tree -------------------------
mk_os() { # mk_os FILE ARTIFACT
	cat >"$1" <<EOF
campaign: inj-upload
inventory: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$INVENTORY" "$CW")
playbooks: [$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/playbooks/os-security-update.yml" "$CW")]
start: 2026-10-05
params:
  artifact: $2
  kb: KB5066835
  sha256: 2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474
  cs_kb: KB5066782
  cs_artifact: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/playbooks/artifacts/windows10.0-kb5066782-x64.msu" "$CW")
  cs_sha256: c793867dd3f633d71b9483eac4fb5444e7ca7610a599f6eafe80e40b506a2170
approvers: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/tests/approvers/roster.yml" "$CW")
EOF
}
for what in "$STATE/id_ed25519" \
	"$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$STATE/id_ed25519" "$CW")" \
	../../../../../../../../etc/passwd; do
	mk_os "$CW/upload.yml" "$what"
	rc=0; "$ROLLOUT" validate "$CW/upload.yml" 2>"$WORK/upload.err" || rc=$?
	check "upload src $what is refused at the value (line 6)" \
		bash -c "[ $rc = 2 ] && grep -q '^$CW/upload.yml:6:[0-9]*: error: parameter .artifact. refused' '$WORK/upload.err'"
done

# --- 2. the issue's scenario through log-collection ---------------------------
mk_log() { # mk_log FILE ID HOST INCIDENT
	cat >"$1" <<EOF
campaign: $2
inventory: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$INVENTORY" "$CW")
playbooks: [$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/playbooks/log-collection.yml" "$CW")]
targets: {hosts: [$3]}
start: 2026-10-05
params:
  incident: "$4"
approvers: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/tests/approvers/roster.yml" "$CW")
EOF
}
evil='x; Remove-Item -LiteralPath C:\\rollout\\vendor\\yarai-set-password.cmd -Force; exit 42'
mk_log "$CW/evil.yml" inj-evil kita-t05 "$evil"
rc=0; "$ROLLOUT" validate "$CW/evil.yml" 2>"$WORK/evil.err" || rc=$?
check "validate refuses the incident injection (exit 2)" [ "$rc" = 2 ]
check "the refusal points at the value, line 7" grep -q "^$CW/evil.yml:7:[0-9]*: error: .*'incident'" "$WORK/evil.err"
# Run it as an operator would, approving every gate: on code without the
# check, this is where the wrapper gets deleted as Administrator.
run_campaign "$CW/evil.yml"
while kill -0 "$RUN_PID" 2>/dev/null; do # approve while it runs (bounded waits, no sleep)
	if gate=$("$ROLLOUT" status inj-evil --state-dir "$STATE" --wait-gate --timeout 2 2>/dev/null); then
		approve_as sato inj-evil "$gate" >/dev/null || true
	fi
done
wait_run
check "run refuses it too (exit 2), before connecting" [ "$RUN_RC" = 2 ]
check "kita-t05 ran nothing" [ -z "$(ran kita-t05)" ]
check "the vendor wrapper is still on kita-t05" [ "$(sqlite3 "$WORK/sim/state.db" \
	"SELECT count(*) FROM item WHERE host = 'kita-t05' AND key = 'C:\\rollout\\vendor\\yarai-set-password.cmd'")" = 1 ]

# The same playbook with a real incident id runs, and is the baseline.
mk_log "$CW/good.yml" inj-good kita-t06 2026-11-04-kita-t06
run_campaign "$CW/good.yml"
approve_all inj-good
wait_run
check "log-collection with an incident id runs (exit 0)" [ "$RUN_RC" = 0 ]
check "kita-t06 ran only the playbook's programs and cmdlets" \
	bash -c "! sed -n 's/^rollout-sim: kita-t06: ran: //p' '$SIMLOG' | grep -qiE 'Remove-Item -|shutdown|New-Item.*pwned|^exit'"
check "the archive is named after the incident" [ "$(sqlite3 "$WORK/sim/state.db" \
	"SELECT count(*) FROM item WHERE host = 'kita-t06' AND key = 'C:\\Windows\\Temp\\rollout-logs\\2026-11-04-kita-t06.zip'")" = 1 ]

# --- 3. accepted values arrive as literal data --------------------------------
mk_set() { # mk_set FILE ID HOST DATA(json)
	cat >"$1" <<EOF
campaign: $2
inventory: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$INVENTORY" "$CW")
playbooks: [$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/playbooks/settings-change.yml" "$CW")]
targets: {hosts: [$3]}
start: 2026-10-05
params: {key: 'HKLM\\SOFTWARE\\Rollout', value_name: inject, value_type: REG_SZ, change_id: t-$3,
  data: $4}
approvers: $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$SRC/tests/approvers/roster.yml" "$CW")
EOF
}
reg_data() { sqlite3 "$WORK/sim/state.db" "SELECT b FROM item WHERE host = '$1' AND kind = 'reg' AND key LIKE '%|inject'"; }

mk_set "$CW/set-base.yml" inj-set-base kita-t01 '"plain"'
run_campaign "$CW/set-base.yml"; approve_all inj-set-base; wait_run
check "settings-change baseline runs (exit 0)" [ "$RUN_RC" = 0 ]
base=$(ran kita-t01)
check "the baseline ran reg and PowerShell" has "$base" reg Get-ItemProperty

n=2
for i in 0 1 2 3 4 5; do
	host=$(printf 'kita-t%02d' $((n + 6)))
	value=$(python3 - "$i" <<'PY'
import sys
c = ["x; Remove-Item -LiteralPath C:\\rollout\\vendor\\yarai-set-password.cmd -Force; exit 42",
     "x'; New-Item -ItemType Directory -Path C:\\pwned; 'y", "x & shutdown /r /t 0",
     "x | shutdown /r /t 0", "x`; shutdown /r /t 0", "$(shutdown /r /t 0)"]
print(c[int(sys.argv[1])], end="")
PY
)
	json=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$value")
	mk_set "$CW/set-$i.yml" "inj-set-$i" "$host" "$json"
	run_campaign "$CW/set-$i.yml"; approve_all "inj-set-$i"; wait_run
	check "corpus[$i] through settings-change: the run succeeds (exit 0)" [ "$RUN_RC" = 0 ]
	check "corpus[$i]: $host's registry holds the value exactly" [ "$(reg_data "$host")" = "$value" ]
	check "corpus[$i]: $host ran exactly what the baseline ran" [ "$(ran "$host")" = "$base" ]
	n=$((n + 1))
done
check "no host was restarted by an injected shutdown" bash -c "! grep -q ': restart in\|: power-off in' '$SIMLOG'"
check "no C:\\pwned directory anywhere" [ "$(sqlite3 "$WORK/sim/state.db" \
	"SELECT count(*) FROM item WHERE key LIKE '%pwned%'")" = 0 ]
finish
