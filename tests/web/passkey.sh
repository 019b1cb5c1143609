#!/usr/bin/env bash
# Passkey approvals in a real browser against a real run: the engine runs a
# three-wave gated campaign against rollout-sim; the console (`rollout
# serve`) runs beside it on the same store; tests/web/passkey.py drives
# headless Chromium with its virtual WebAuthn authenticator through
# enrolment, the lead's confirmation, login, an approval (the engine goes
# on) and a refusal (the campaign halts with its comment), and the web
# hardening checks. Screenshots: build/e2e/passkey/*.png.
. "$(dirname "$0")/../e2e/lib.sh"
C=web-passkey
# The forgery test's campaign (every wave gated, one host each), under its
# own id, with a title that is a script: it must show as text.
# Paths relative to where the copy is written (an upload's src must be relative).
rel=$(realpath --relative-to="$WORK" "$SRC")
sed -e "s/^campaign: e2e-forgery/campaign: $C/" \
    -e 's/^title: .*/title: "<script>alert(1)<\/script> パスキー承認テスト"/' \
    -e "s#\.\./\.\./\.\./#$rel/#g" -e "s#\.\./\.\./approvers/#$rel/tests/approvers/#" \
    "$SRC/tests/e2e/campaigns/forgery.yml" >"$WORK/passkey.yml"
export ROLLOUT_E2E_NOTIFY=$WORK/notify.log
"$ROLLOUT" plan "$WORK/passkey.yml" --save --state-dir "$STATE" >/dev/null
run_campaign "$WORK/passkey.yml"
"$ROLLOUT" serve --state-dir "$STATE" --port 0 --ready-file "$WORK/serve.ready" 2>"$WORK/serve.log" &
SERVE_PID=$!
trap '[ -z "${RUN_PID:-}" ] || kill "${RUN_PID:-}" 2>/dev/null || true; kill "$SERVE_PID" 2>/dev/null || true' EXIT
"$WAIT_FILE" --pid "$SERVE_PID" "$WORK/serve.ready" 30
port=$(awk '{print $2}' "$WORK/serve.ready")
rc=0
/usr/bin/python3 "$SRC/tests/web/passkey.py" "$ROLLOUT" "$STATE" "http://localhost:$port" "$WORK" \
	"$SRC" "$C" || rc=$?
check "the browser test passed (exit $rc)" [ "$rc" = 0 ]
# A failed browser test leaves the engine waiting at a gate: stop it.
[ "$rc" = 0 ] || kill "$RUN_PID" 2>/dev/null || true
wait_run
[ "$rc" != 0 ] || check "the run ended halted by the refusal (exit $RUN_RC)" [ "$RUN_RC" = 1 ]
finish
