#!/usr/bin/env bash
# The engine's SSH key need not sit unencrypted on disk (issue 9): a run logs
# in to the simulated hosts with the key held by a real ssh-agent (the key
# file moved away, so only the agent can sign), then with the key encrypted
# by `ssh-keygen -p` and its passphrase given once on a descriptor. A wrong
# passphrase stops the run before anything is recorded, and the passphrase
# appears in no output, log or store.
. "$(dirname "$0")/lib.sh"
unset SSH_AUTH_SOCK # the developer's own agent must not take part
key=$STATE/id_ed25519
phrase='E2e-Canary-Passphrase 4417'
agent_pid=
stop_agent() {
	if [ -n "$agent_pid" ]; then
		kill -TERM "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
		agent_pid=
	fi
	unset SSH_AUTH_SOCK
}
on_exit stop_agent
done_hosts() { status_json "$1" | json "sum(w['hosts']['done'] for w in d['waves'])"; }

# 1. A real ssh-agent, started here, holding the engine's key.
rm -f "$WORK/agent.sock"
ssh-agent -D -a "$WORK/agent.sock" >"$WORK/agent.out" 2>&1 &
agent_pid=$!
check "ssh-agent listens on its socket" "$WAIT_FILE" --pid "$agent_pid" "$WORK/agent.sock" 30
export SSH_AUTH_SOCK=$WORK/agent.sock
check "ssh-add takes the engine's key" ssh-add -q "$key"
mv "$key" "$WORK/key.away"
run_campaign "$SRC/tests/e2e/campaigns/sshkey-agent.yml" --agent
approve_all e2e-sshkey-agent
wait_run
check "the run with the agent exits 0 (exit $RUN_RC)" [ "$RUN_RC" = 0 ]
check "it says it signs with the agent" grep -q "SSH agent (SHA256:" "$WORK/run.log"
check "both hosts are done, logged in through the agent" [ "$(done_hosts e2e-sshkey-agent)" = 2 ]
mv "$WORK/key.away" "$key"
stop_agent

# 2. The same key encrypted by ssh-keygen -p (bcrypt-pbkdf, aes256-ctr); the
# passphrase goes to ssh-keygen on a pipe, never in an argument.
printf '%s\n%s\n' "$phrase" "$phrase" | setsid -w ssh-keygen -q -p -f "$key" >/dev/null 2>&1
check "the engine key is now encrypted" bash -c "! ssh-keygen -y -P '' -f '$key' >/dev/null 2>&1"
"$ROLLOUT" run "$SRC/tests/e2e/campaigns/sshkey-enc.yml" --state-dir "$STATE" --port "$(port)" \
	--plain --key-passphrase-fd 3 3<<<"wrong $phrase" >"$WORK/wrong.log" 2>&1 && rc=0 || rc=$?
check "a wrong passphrase is refused at start, exit 2 (exit $rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'does not decrypt the engine key' '$WORK/wrong.log'"
check "the refused run recorded nothing" \
	bash -c "! '$ROLLOUT' status e2e-sshkey-enc --state-dir '$STATE' >/dev/null 2>&1"
run_campaign "$SRC/tests/e2e/campaigns/sshkey-enc.yml" --no-agent --key-passphrase-fd 3 3<<<"$phrase"
approve_all e2e-sshkey-enc
wait_run
check "the run with the encrypted key exits 0 (exit $RUN_RC)" [ "$RUN_RC" = 0 ]
check "it says the key is encrypted" grep -q "id_ed25519 (encrypted)" "$WORK/run.log"
check "both hosts are done, logged in with the decrypted key" [ "$(done_hosts e2e-sshkey-enc)" = 2 ]
check "the passphrase is in no output, log or store" \
	bash -c "! grep -rqa 'Canary-Passphrase' '$WORK'/*.log '$STATE' && ! sqlite3 '$STATE/state.db' .dump | grep -q Canary-Passphrase"
finish
