#!/usr/bin/env bash
# bench/passwd.sh - a password rotation at scale (issue 11): N simulated
# terminals (default 2,000 in 40 sites) x 3 credentials (the Windows
# administrator, verified by a fresh password login, and two vendor wrappers,
# verified by their check command), concurrency 500, against rollout-sim on the
# same machine at a time warp of 600 (the wrappers take 20 virtual seconds).
# Prints the engine's wall time, CPU per credential, the vault's write cost per
# credential and peak RSS.
#
#	bench/passwd.sh [BUILD_DIR] [HOSTS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hosts=${2:-2000}
concurrency=${CONCURRENCY:-500}
. bench/lib.sh
bench_setup "$build" bench-passwd
port=${BENCH_PORT:-23101}
cd "$work"
umask 077
bench_inventory "$hosts" >inventory.yml
cat >playbook.yml <<YML
playbook: bench-passwords
title: Three passwords on every terminal
work: password-change
targets: {roles: [terminal]}
policy: {canary: 0, wave_size: 100%, concurrency: $concurrency, max_unavailable_per_site: 100%,
         failure_budget: 0, window: any, skew: any, gates: [], deadline_days: 1}
steps:
  - name: windows-admin
    password:
      credential: windows-admin
      account: Administrator
      apply: >-
        powershell -NoProfile -NonInteractive -Command "\$p = [Console]::In.ReadLine() |
        ConvertTo-SecureString -AsPlainText -Force; Set-LocalUser -Name Administrator -Password \$p"
      verify: login
    estimate: 1m
  - name: defender-admin
    password: {credential: defender-admin, apply: 'C:\\rollout\\vendor\\defender-set-password.cmd',
               verify: 'C:\\rollout\\vendor\\defender-check-password.cmd'}
    estimate: 1m
  - name: yarai-admin
    password: {credential: yarai-admin, apply: 'C:\\rollout\\vendor\\yarai-set-password.cmd',
               verify: 'C:\\rollout\\vendor\\yarai-check-password.cmd'}
    estimate: 1m
YML
cat >campaign.yml <<YML
campaign: bench-passwd-$hosts
title: bench
inventory: inventory.yml
playbooks: [playbook.yml]
start: 2027-04-19
YML
# The fleet's first values and the notice (test canaries, not real passwords).
printf '*\tOld1-Admin-Pass!\n*\tOld1-defender-admin-Pass!\tvendor:defender\n*\tOld1-yarai-admin-Pass!\tvendor:yarai\n' >passwords
"$rollout" inventory list --json inventory.yml >hosts.json
python3 - <<'PY'
import json, random
r = random.Random(1)
with open("old.csv", "w") as o, open("new.csv", "w") as n:
    for h in json.load(open("hosts.json")):
        for c, old in (("windows-admin", "Old1-Admin-Pass!"), ("defender-admin", "Old1-defender-admin-Pass!"),
                       ("yarai-admin", "Old1-yarai-admin-Pass!")):
            o.write(f"{h['name']},{c},{old}\n")
            n.write(f"{h['name']},{c},Nw7!{''.join(r.choice('abcdefghjkmnpqrstuvwxyz23456789') for _ in range(12))}\n")
PY
echo 'bench passphrase for the vault' >pa
V=(--state-dir . --member bench --passphrase-fd 3)
"$rollout" keygen --state-dir . >/dev/null
"$rollout" vault init "${V[@]}" --insecure-test-kdf 3<pa >/dev/null 2>&1
"$rollout" vault import old.csv --current "${V[@]}" 3<pa >/dev/null
"$rollout" vault import new.csv "${V[@]}" 3<pa >/dev/null
anchor=$(date +%s)
clock=(--time-warp 600 --clock-start 2027-04-19T08:40 --clock-anchor "$anchor")
bench_fleet_up "$port" . inventory.yml --password-file passwords "${clock[@]}"
/usr/bin/time -f '%e %U %S %M' -o time \
	"$rollout" run campaign.yml --state-dir . --port "$port" --plain "${clock[@]}" \
	--vault-member bench --passphrase-fd 3 3<pa >run.log 2>&1 || { echo "run failed:"; tail -5 run.log; }
bench_fleet_down .
read -r wall user sys rss <time
creds=$((hosts * 3))
vault=$(sed -n 's/^Vault: \([0-9]*\) passwords\{0,1\} made current in \([0-9]*\) writes\{0,1\} (\([0-9.]*\) ms)/\1 \2 \3/p' run.log)
read -r commits writes vms <<<"${vault:-0 0 0}"
echo "bench/passwd.sh: $hosts hosts x 3 credentials, concurrency $concurrency, simulator on the same machine"
bench_machine
printf 'rotated %d of %d credentials  wall %.2f s  engine CPU %.2f s (%.0f us per credential)  peak RSS %.1f MiB\n' \
	"$commits" "$creds" "$wall" "$(echo "$user + $sys" | bc)" \
	"$(echo "($user + $sys) * 1000000 / $creds" | bc)" "$(echo "$rss / 1024" | bc -l)"
printf 'vault: %d writes, %.1f ms in all, %.3f ms per credential (the vault file: %d bytes)\n' \
	"$writes" "$vms" "$(echo "$vms / ($commits + ($commits == 0))" | bc -l)" "$(stat -c %s vault.rov)"
