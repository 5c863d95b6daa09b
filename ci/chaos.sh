#!/usr/bin/env bash
# ci/chaos.sh [SEEDS] - the long chaos run: build cmkctl and armsim
# (RelWithDebInfo + ASan/UBSan, in $CMK_CHAOS_BUILD_DIR, default build-chaos),
# apply the chaos estate against armsim once per seed (default 1-100) with
# 10% of requests failing and 5% of async operations failing once, armsim's
# realism profile on (reads that lag, 200 Deleting unlinks, linked services
# answering 404 for a while, 5xx status URLs; check_chaos.py --profile), CMK_CHAOS_JOBS
# seeds at a time (default: nproc), and print one line per seed and the tally:
# converged / not, requests, faults injected, async operations failed, hazards,
# tool-caused 400/409, duplicate link/unlink writes. Exit 1 if any seed did not converge cleanly.
# SEEDS: N (= 1-N), or a range/list: "1-100", "5-5", "1-20,40". README 'Reliability'.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1-100}
case $seeds in *[!0-9]*) ;; *) seeds=1-$seeds ;; esac  # N means 1-N
build=${CMK_CHAOS_BUILD_DIR:-build-chaos}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMKCTL_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target cmkctl armsim >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec python3 tests/chaos/check_chaos.py --cmkctl "$build/cmkctl" --armsim "$build/tests/armsim/armsim" \
  --source-dir . --seeds "$seeds" --jobs "${CMK_CHAOS_JOBS:-$(nproc)}"
