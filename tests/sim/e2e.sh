#!/usr/bin/env bash
# e2e.sh ROLLOUT_SIM SOURCE_DIR RUN_DIR - drives a running rollout-sim (started by
# sim-ctl.sh as a ctest fixture) with the OpenSSH client: the OS update flow with
# 3010 and a restart, refusal during the boot, a new boot time, Get-HotFix before
# and after, an unknown command, a password change over stdin, a restart of the
# simulator that remembers everything, injected faults, and many channels (sequential
# and overlapping) on one session through an OpenSSH ControlMaster.
set -uo pipefail
sim=$1 src=$2 run=$3 wait_file=$4
port=$(cat "$run/port")
fails=0
kh="$run/known_hosts"
rm -f "$kh"

SSH=(ssh -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=accept-new -o BatchMode=yes
	-o ConnectTimeout=5 -o LogLevel=ERROR -p "$port" -l Administrator)
KEY=(-i "$run/key" -o IdentitiesOnly=yes -o PreferredAuthentications=publickey)
PS='powershell -NoProfile -NonInteractive -Command'

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# run HOST CMD: runs CMD with the key; sets OUT, ERR, RC
run() {
	OUT=$("${SSH[@]}" "${KEY[@]}" "$1" "$2" </dev/null 2>"$run/err"); RC=$?; ERR=$(cat "$run/err")
}
expect_rc() { # expect_rc WANT WHAT
	if [ "$RC" -eq "$1" ]; then ok "$2 (exit $RC)"; else fail "$2: exit $RC, wanted $1; out=$OUT err=$ERR"; fi
}
wait_until() { # wait_until SECONDS CMD...: polls a condition (not a fixed sleep)
	local limit=$(( $1 * 10 )); shift
	for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
refused() { ! "${SSH[@]}" "${KEY[@]}" "$1" hostname </dev/null >/dev/null 2>"$run/conn" && grep -q "Connection refused" "$run/conn"; }
accepts() { "${SSH[@]}" "${KEY[@]}" "$1" hostname </dev/null >/dev/null 2>&1; }
# Password login through SSH_ASKPASS: the password is read from a file, never argv.
pwlogin() { # pwlogin HOST PASSWORD_FILE
	SSH_ASKPASS="$run/askpass" SSH_ASKPASS_REQUIRE=force PWFILE="$2" DISPLAY=:0 setsid -w \
		ssh -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=accept-new -o ConnectTimeout=5 \
		-o LogLevel=ERROR -o PreferredAuthentications=password -o PubkeyAuthentication=no \
		-o NumberOfPasswordPrompts=1 -p "$port" -l Administrator "$1" hostname </dev/null >/dev/null 2>&1
}
printf '#!/bin/sh\ncat "$PWFILE"\n' > "$run/askpass"
chmod 700 "$run/askpass"

T=127.10.2.1   # chuo-t01
KB=KB5066835
SHA=2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474

# ---- the OS update flow ----
run $T "$PS \"if (Get-HotFix -Id $KB -ErrorAction SilentlyContinue) { exit 0 } else { exit 1 }\""
expect_rc 1 "already-installed check before"
run $T "$PS \"Get-HotFix -Id $KB\""
expect_rc 1 "Get-HotFix before"
grep -q "Cannot find the requested hotfix on the 'localhost' computer" <<<"$ERR" || fail "Get-HotFix error text: $ERR"
run $T "wusa.exe C:\\Windows\\Temp\\$KB.msu /quiet /norestart"
expect_rc $((2147942402 % 256)) "wusa before the upload (0x80070002)"
if scp -O -q -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=accept-new -o BatchMode=yes "${KEY[@]}" \
	-P "$port" "$src/playbooks/artifacts/windows11.0-kb5066835-x64.msu" "Administrator@$T:C:\\Windows\\Temp\\$KB.msu"; then
	ok "scp upload"
else
	fail "scp upload"
fi
run $T "$PS \"(Get-FileHash -Algorithm SHA256 -LiteralPath 'C:\\Windows\\Temp\\$KB.msu').Hash\""
[ "$(tr -d '\r\n' <<<"$OUT")" = "${SHA^^}" ] && ok "Get-FileHash of the upload" || fail "Get-FileHash: $OUT $ERR"
run $T "$PS \"if ((Get-FileHash -Algorithm SHA256 -Path C:\\Windows\\Temp\\$KB.msu).Hash -eq '$SHA') { exit 0 } else { exit 1 }\""
expect_rc 0 "verify-package"
run $T "$PS \"if ((Get-PSDrive -Name C).Free -gt 4GB) { exit 0 } else { Write-Error 'less than 4 GB free on C:'; exit 1 }\""
expect_rc 0 "free-space"
run $T "wusa.exe C:\\Windows\\Temp\\$KB.msu /quiet /norestart"
expect_rc $((3010 % 256)) "wusa installs, restart required (3010)"
run $T "$PS \"Get-HotFix -Id $KB\""
expect_rc 1 "Get-HotFix while the restart is pending"
run $T "$PS \"(Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToString('o')\""
boot_before=$(tr -d '\r\n' <<<"$OUT")
run $T "shutdown /r /t 0"
expect_rc 0 "shutdown /r /t 0 returns"
wait_until 10 refused $T && ok "connections refused during the boot" || fail "never refused during the boot"
wait_until 60 accepts $T && ok "host back after the boot" || fail "host did not come back"
run $T "$PS \"(Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToString('o')\""
boot_after=$(tr -d '\r\n' <<<"$OUT")
[[ -n "$boot_before" && "$boot_after" > "$boot_before" ]] && ok "new boot time $boot_after > $boot_before" \
	|| fail "boot time did not advance: '$boot_before' -> '$boot_after'"
run $T "$PS \"Get-HotFix -Id $KB\""
expect_rc 0 "Get-HotFix after the restart"
grep -q "$KB" <<<"$OUT" && grep -q "HotFixID" <<<"$OUT" || fail "Get-HotFix table: $OUT"
run $T "wusa.exe C:\\Windows\\Temp\\$KB.msu /quiet /norestart"
expect_rc $((2359302 % 256)) "wusa again: already installed (2359302)"
run $T "$PS \"Remove-Item -LiteralPath C:\\Windows\\Temp\\$KB.msu -Force -ErrorAction SilentlyContinue\""
expect_rc 0 "cleanup"

# ---- unknown commands ----
run $T "frobnicate /now"
expect_rc 1 "unknown command"
grep -q "'frobnicate' is not recognized as an internal or external command," <<<"$ERR" || fail "cmd text: $ERR"
run $T "$PS \"Get-Frobnicator\""
expect_rc 1 "unknown cmdlet"
grep -q "The term 'Get-Frobnicator' is not recognized" <<<"$ERR" || fail "PowerShell text: $ERR"

# ---- password change over stdin ----
umask 077
printf 'Init1al-Pass!\n' > "$run/old.pw"
printf 'N3w-Pass-2026!\n' > "$run/new.pw"
T2=127.10.2.2  # chuo-t02
pwlogin $T2 "$run/old.pw" && ok "login with the initial password" || fail "initial password refused"
OUT=$("${SSH[@]}" "${KEY[@]}" $T2 "$PS \"\$p = [Console]::In.ReadLine() | ConvertTo-SecureString -AsPlainText -Force; Set-LocalUser -Name Administrator -Password \$p\"" <"$run/new.pw" 2>"$run/err"); RC=$?; ERR=$(cat "$run/err")
expect_rc 0 "Set-LocalUser with the password on stdin"
pwlogin $T2 "$run/new.pw" && ok "login with the new password" || fail "new password refused"
pwlogin $T2 "$run/old.pw" && fail "old password still accepted" || ok "old password refused"

# ---- faults ----
wait_until 5 refused 127.10.3.1 && ok "fault down: kita-t01 refuses" || fail "kita-t01 not refused"
run 127.10.4.1 "wusa.exe C:\\Windows\\Temp\\x.msu /quiet /norestart"
expect_rc $((1603 % 256)) "fault fail: wusa on higashi-t01"
run 127.10.4.2 "hostname"
expect_rc 255 "fault authfail: higashi-t02"
grep -q "Permission denied" <<<"$ERR" || fail "authfail text: $ERR"
run 127.10.4.3 "msiexec.exe /i C:\\Windows\\Temp\\x.msi /qn /norestart"
expect_rc 255 "fault drop: msiexec on higashi-t03 loses the connection"

# ---- several channels on one session (what the engine does: one channel per step) ----
# An OpenSSH ControlMaster holds ONE connection to chuo-t05; every command below is a
# new channel on it. mux() passes -p 1: a command that did not go through the master
# would try port 1 and fail, so a success proves the channel was on the shared session.
M=127.10.2.5   # chuo-t05
cp="$run/mux"
rm -f "$cp"
"${SSH[@]}" "${KEY[@]}" -o ControlMaster=yes -o ControlPath="$cp" -o ControlPersist=no -fN $M \
	</dev/null 2>"$run/err" || fail "ControlMaster connection: $(cat "$run/err")"
MUX=(ssh -o UserKnownHostsFile="$kh" -o BatchMode=yes -o LogLevel=ERROR -o ControlMaster=no
	-o ControlPath="$cp" -p 1 -l Administrator)
mux() { OUT=$("${MUX[@]}" $M "$1" </dev/null 2>"$run/err"); RC=$?; ERR=$(cat "$run/err"); }
mux_check() { # mux_check WANT_RC OUT_PATTERN WHAT: the command ran (its output) and its exit code came back
	if [ "$RC" -eq "$1" ] && grep -Eq -- "$2" <<<"$OUT$ERR"; then ok "one session: $3 (exit $RC)"
	else fail "one session: $3: exit $RC (wanted $1), out=$OUT err=$ERR"; fi
}
"${MUX[@]}" -O check $M 2>/dev/null && ok "ControlMaster up" || fail "ControlMaster not running"
mux "whoami"
mux_check 0 'chuo-t05\\Administrator' "whoami"
mux "$PS \"Get-HotFix -Id $KB\""
mux_check 1 "Cannot find the requested hotfix" "Get-HotFix (2 virtual s)"
if scp -O -q -o UserKnownHostsFile="$kh" -o BatchMode=yes -o ControlMaster=no -o ControlPath="$cp" -P 1 \
	"$src/playbooks/artifacts/windows11.0-kb5066835-x64.msu" "Administrator@$M:C:\\Windows\\Temp\\$KB.msu"; then
	ok "one session: scp upload"
else
	fail "one session: scp upload"
fi
mux "hostname"
mux_check 0 '^CHUO-T05' "hostname"
mux "wusa.exe C:\\Windows\\Temp\\$KB.msu /quiet /norestart"
mux_check $((3010 % 256)) '' "wusa installs (8 virtual min)"
mux "ipconfig"
mux_check 0 'Windows IP Configuration' "ipconfig right after wusa"
mux "$PS \"Get-HotFix -Id $KB\""
mux_check 1 "Cannot find the requested hotfix" "Get-HotFix while pending"
mux "wusa.exe C:\\Windows\\Temp\\$KB.msu /quiet /norestart"
mux_check $((3010 % 256)) '' "wusa again while pending"
mux "frobnicate"
mux_check 1 "'frobnicate' is not recognized" "unknown command"
mux "whoami"
mux_check 0 'chuo-t05\\Administrator' "whoami after all that"
# Two overlapping channels: a long command, and a quick one that ends while it runs.
"${MUX[@]}" $M "$PS \"Start-Sleep -Seconds 300; 'slept'; exit 5\"" </dev/null >"$run/long.out" 2>&1 &
long=$!
"${MUX[@]}" $M "$PS \"Start-Sleep -Seconds 30; 'short'; exit 7\"" </dev/null >"$run/short.out" 2>&1
RC=$?
if [ "$RC" -eq 7 ] && grep -q short "$run/short.out" && kill -0 $long 2>/dev/null; then
	ok "one session: a channel opened while another runs ends first (exit 7)"
else
	fail "one session: overlapping short channel: exit $RC out=$(cat "$run/short.out") long running=$(kill -0 $long 2>/dev/null && echo yes || echo no)"
fi
wait $long; RC=$?
[ "$RC" -eq 5 ] && grep -q slept "$run/long.out" && ok "one session: the long overlapping channel (exit 5)" \
	|| fail "one session: overlapping long channel: exit $RC out=$(cat "$run/long.out")"
"${MUX[@]}" -O check $M 2>/dev/null && ok "one session: the connection is still up" || fail "ControlMaster died"
"${MUX[@]}" -O exit $M 2>/dev/null || true

# ---- a restart of the simulator remembers everything ----
"$src/tests/sim/sim-ctl.sh" restart "$sim" "$src" "$run" "$wait_file" >/dev/null || fail "simulator restart"
SSH[4]=StrictHostKeyChecking=yes  # the host keys must be the same after the restart
run $T "$PS \"Get-HotFix -Id $KB\""
expect_rc 0 "after the simulator restart: KB still installed, host key unchanged"
pwlogin $T2 "$run/new.pw" && ok "after the simulator restart: new password kept" || fail "new password lost"
run $T "$PS \"Test-Path C:\\Windows\\Temp\\$KB.msu\""
[ "$(tr -d '\r\n' <<<"$OUT")" = False ] && ok "removed file stays removed" || fail "Test-Path: $OUT"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
