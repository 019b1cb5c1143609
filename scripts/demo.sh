#!/usr/bin/env bash
# The main job: installs what is missing, builds, checks the Sapporo inventory
# and prints the plan of the October 2026 OS security update campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
rollout=build/engine/rollout

"$rollout" inventory summary inventory/sapporo.yml
echo
"$rollout" validate inventory/sapporo.yml playbooks/*.yml playbooks/campaigns/*.yml
echo
"$rollout" plan playbooks/campaigns/2026-10-os-update.yml
