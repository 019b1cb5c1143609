#!/usr/bin/env bash
# Configures and builds rollout into build/ (or $1 with extra cmake flags after it).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DROLLOUT_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null || cmake --build "$dir" -j1
