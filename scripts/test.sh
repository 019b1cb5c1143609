#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, runs every test;
# then builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# the tests a second time. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests also use python3 (JSON checks) and the sqlite3 shell (store checks).
scripts/deps.sh clang libclang-rt-14-dev python3 sqlite3

echo "== build (warnings are errors)"
scripts/build.sh build
echo "== tests"
ctest --test-dir build --output-on-failure -j2

echo "== build with ASan + UBSan"
scripts/build.sh build-asan -DROLLOUT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j2

if [ -x tests/fuzz/run.sh ]; then
	echo "== fuzz (brief)"
	tests/fuzz/run.sh
fi
