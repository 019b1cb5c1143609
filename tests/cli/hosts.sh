#!/usr/bin/env bash
# hosts.sh ROLLOUT - `rollout keygen` and `rollout hosts enroll|list` against
# a real OpenSSH sshd started here on 127.0.0.1 (its own config, host key and
# port; readiness is read from its stderr, never slept for).
set -u
rollout=$1
tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
FAILMSG() { echo "FAIL: $*"; fail=1; }

if [ ! -x /usr/sbin/sshd ]; then
	echo "SKIP: /usr/sbin/sshd is not installed"; exit 77
fi
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd

# keygen: makes the key once, then refuses to overwrite it.
"$rollout" keygen --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err" || FAILMSG "keygen exited $?"
grep -q '^ssh-ed25519 AAAA' "$tmp/out" || FAILMSG "keygen did not print the public key"
fp=$(ssh-keygen -lf "$tmp/state/id_ed25519.pub" | awk '{print $2}')
grep -q "Fingerprint: $fp" "$tmp/out" || FAILMSG "keygen fingerprint differs from ssh-keygen's ($fp)"
[ "$(stat -c %a "$tmp/state/id_ed25519")" = 600 ] || FAILMSG "private key is not mode 0600"
ssh-keygen -y -f "$tmp/state/id_ed25519" >/dev/null 2>&1 || FAILMSG "ssh-keygen cannot read the private key"
before=$(sha256sum "$tmp/state/id_ed25519")
"$rollout" keygen --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || FAILMSG "second keygen did not exit 1"
grep -q "already exists" "$tmp/err" || FAILMSG "second keygen did not say why"
[ "$before" = "$(sha256sum "$tmp/state/id_ed25519")" ] || FAILMSG "keygen overwrote the key"

# A test sshd on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
ssh-keygen -q -t ed25519 -N '' -C cli-test-host -f "$tmp/hostkey"
cp "$tmp/state/id_ed25519.pub" "$tmp/authorized_keys"
cat >"$tmp/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/hostkey
AuthorizedKeysFile $tmp/authorized_keys
PidFile $tmp/sshd.pid
StrictModes no
UsePAM no
MaxStartups 200
CFG
mkfifo "$tmp/sshd.err"
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.err" &
pid=$!
exec 3<"$tmp/sshd.err"
ready=0
while IFS= read -r line <&3; do
	echo "$line" >>"$tmp/sshd.log"
	case $line in *"Server listening on"*) ready=1; break ;; esac
done
cat <&3 >>"$tmp/sshd.log" &
if [ $ready -ne 1 ]; then
	echo "FAIL: sshd did not start"; cat "$tmp/sshd.log"; exit 1
fi
hostfp=$(ssh-keygen -lf "$tmp/hostkey.pub" | awk '{print $2}')

inventory() { # inventory FILE ADDRESS...
	local f=$1 i=1; shift
	{
		echo "inventory: cli-hosts"
		echo "sites:"
		echo "  - id: lab"
		echo "    name: Test lab"
		echo "hosts:"
		for a in "$@"; do
			echo "  - name: lab-t0$i"
			echo "    site: lab"
			echo "    role: terminal"
			echo "    model: TestBox"
			echo "    os: Debian 12"
			echo "    address: $a"
			i=$((i + 1))
		done
	} >"$f"
}
inventory "$tmp/inv1.yml" 127.0.0.1

# enroll: a new key is recorded, with ssh-keygen's fingerprint.
"$rollout" hosts enroll "$tmp/inv1.yml" --port "$port" --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || { FAILMSG "enroll exited $rc"; cat "$tmp/out" "$tmp/err"; }
grep -q "lab-t01.*127.0.0.1:$port.*ssh-ed25519 $hostfp.*new" "$tmp/out" || { FAILMSG "enroll line"; cat "$tmp/out"; }
grep -q "^\[127.0.0.1\]:$port ssh-ed25519 " "$tmp/state/known_hosts" || FAILMSG "known_hosts entry missing"
ssh-keygen -F "[127.0.0.1]:$port" -f "$tmp/state/known_hosts" >/dev/null || FAILMSG "ssh-keygen -F cannot find the entry"

# Again: unchanged. And as JSON.
"$rollout" hosts enroll "$tmp/inv1.yml" --port "$port" --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err" || FAILMSG "second enroll exited $?"
grep -q "unchanged" "$tmp/out" || FAILMSG "second enroll did not say unchanged"
"$rollout" hosts enroll "$tmp/inv1.yml" --port "$port" --state-dir "$tmp/state" --json >"$tmp/out" 2>"$tmp/err" || FAILMSG "json enroll exited $?"
grep -q '"result":"unchanged"' "$tmp/out" || FAILMSG "json enroll output: $(cat "$tmp/out")"
grep -q "\"fingerprint\":\"$hostfp\"" "$tmp/out" || FAILMSG "json fingerprint"

# A changed key is reported loudly and NOT replaced ...
other=$(awk '{print $2}' "$tmp/state/id_ed25519.pub")
echo "[127.0.0.1]:$port ssh-ed25519 $other" >"$tmp/state/known_hosts"
cp "$tmp/state/known_hosts" "$tmp/kh.before"
"$rollout" hosts enroll "$tmp/inv1.yml" --port "$port" --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || FAILMSG "enroll with a changed key did not exit 1"
grep -q "CHANGED" "$tmp/out" || FAILMSG "changed key not shown"
grep -q "WARNING" "$tmp/err" || FAILMSG "no warning for a changed key"
cmp -s "$tmp/state/known_hosts" "$tmp/kh.before" || FAILMSG "changed key was replaced without --replace"
# ... unless --replace says so.
"$rollout" hosts enroll "$tmp/inv1.yml" --port "$port" --state-dir "$tmp/state" --replace >"$tmp/out" 2>"$tmp/err" || FAILMSG "--replace exited $?"
grep -q "replaced" "$tmp/out" || FAILMSG "--replace did not say replaced"
grep -q "$(awk '{print $2}' "$tmp/hostkey.pub")" "$tmp/state/known_hosts" || FAILMSG "--replace did not record the host key"

# list
"$rollout" hosts list --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err" || FAILMSG "list exited $?"
grep -q "127.0.0.1:$port  *ssh-ed25519 $hostfp" "$tmp/out" || FAILMSG "list output: $(cat "$tmp/out")"

# An unreachable host: exit 1, the others still recorded.
inventory "$tmp/inv2.yml" 127.0.0.1 127.0.0.2
"$rollout" hosts enroll "$tmp/inv2.yml" --port "$port" --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || FAILMSG "enroll with an unreachable host did not exit 1"
grep -q "lab-t02.*unreachable" "$tmp/out" || FAILMSG "unreachable host not shown: $(cat "$tmp/out")"
grep -q "lab-t01.*unchanged" "$tmp/out" || FAILMSG "reachable host not shown"

# Usage errors exit 2.
"$rollout" hosts enroll >/dev/null 2>&1; [ $? -eq 2 ] || FAILMSG "enroll without inventory did not exit 2"
"$rollout" hosts enroll "$tmp/inv1.yml" --port 0 >/dev/null 2>&1; [ $? -eq 2 ] || FAILMSG "--port 0 did not exit 2"
"$rollout" hosts frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || FAILMSG "unknown subcommand did not exit 2"

exit $fail
