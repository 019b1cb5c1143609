#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] - builds the libFuzzer targets with clang
# (ASan+UBSan) into build-fuzz/ and runs each briefly. CI calls this.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
dir=build-fuzz
# The library is instrumented too (fuzzer-no-link), or coverage would stop
# at the target.
CC=clang cmake -S . -B "$dir" -DROLLOUT_FUZZ=ON -DROLLOUT_WERROR=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_vault fuzz_yaml >/dev/null
corpus="$dir/corpus-vault"
mkdir -p "$corpus"
# Seeds: one input per mode, so every path is reached from the start.
printf '\001' >"$corpus/seed-edit"
printf '\000ROVAULT\000\001\000\000\000' >"$corpus/seed-raw"
printf '\002\001' >"$corpus/seed-record"
printf '\003ROVKEY\000\000\001\000\000\000' >"$corpus/seed-key"
"$dir/tests/fuzz_vault" -max_total_time="$secs" -rss_limit_mb=2048 "$corpus" 2>&1 | tail -5

# The YAML front end and the loaders, seeded with the shipped files and the
# bad-input corpus.
corpus="$dir/corpus-yaml"
mkdir -p "$corpus"
cp inventory/*.yml playbooks/*.yml playbooks/campaigns/*.yml tests/corpus/*.yml "$corpus"/
"$dir/tests/fuzz_yaml" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 "$corpus" 2>&1 | tail -5
