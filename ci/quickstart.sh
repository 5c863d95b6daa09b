#!/usr/bin/env bash
# ci/quickstart.sh - install, build, and run cmkctl's main job on the example
# manifests. Today that is `cmkctl validate`; it grows into plan/apply against
# armsim as those land.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/deps.sh
build=${CMK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target cmkctl >/dev/null

echo "== cmkctl validate -f manifests/examples"
"$build/cmkctl" validate -f manifests/examples
