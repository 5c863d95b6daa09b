#!/usr/bin/env bash
# ci/test.sh - the project's test command: install dependencies, check the
# layers (no forbidden include), build with ASan+UBSan and warnings as
# errors, run every ctest suite, then a short libFuzzer run of each fuzz
# target.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/deps.sh
ci/check-layers.sh
ci/check-function-length.py

build=${CMK_BUILD_DIR:-build-ci}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMKCTL_WERROR=ON -DCMKCTL_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j "$jobs"

if [ -d tests/fuzz ] && [ -f tests/fuzz/CMakeLists.txt ]; then
  ci/fuzz.sh "${CMK_FUZZ_SECONDS:-20}"
fi
