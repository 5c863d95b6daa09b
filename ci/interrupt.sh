#!/usr/bin/env bash
# ci/interrupt.sh [POINTS] - (N = points 1-N, or "5-9,12") the long interruption run: build cmkctl and
# armsim like ci/chaos.sh, then for each point (default 1-24) kill -9 an apply
# of the chaos estate at that seeded point (1-4: mid-wait on the cluster
# creation, the key update, the links, the Kusto key; then seeded operations
# and request counts), apply again, and print one line per point and the
# tally. A point passes when the second apply converges with no 400/409 in
# armsim's log, no hazard, each workspace linked once and the cluster PUT once.
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-1-24}
case $points in *[!0-9]*) ;; *) points=1-$points ;; esac  # N means 1-N
build=${CMK_CHAOS_BUILD_DIR:-build-chaos}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMKCTL_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target cmkctl armsim >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec python3 tests/chaos/check_interrupt.py --cmkctl "$build/cmkctl" --armsim "$build/tests/armsim/armsim" \
  --source-dir . --points "$points" --jobs "${CMK_CHAOS_JOBS:-$(nproc)}"
