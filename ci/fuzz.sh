#!/usr/bin/env bash
# ci/fuzz.sh SECONDS - build every libFuzzer target (tests/fuzz/fuzz_*.c) with
# clang, ASan and UBSan in a separate build directory, then fuzz each one for
# SECONDS seconds from its checked-in seeds (tests/fuzz/corpus/<name>/).
# The whole run stays within CMK_FUZZ_TOTAL_SECONDS (default 120): with more
# targets than fit, each gets an equal share (at least 5 s), so CI time does
# not grow with the number of targets. ci/fuzz-long.sh is the long run.
# New inputs go to a scratch directory, never into the checked-in corpus.
# Any crash, leak, timeout or sanitizer report fails the script; the
# reproducer is left in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
total=${CMK_FUZZ_TOTAL_SECONDS:-120}
build=${CMK_FUZZ_BUILD_DIR:-build-fuzz}
jobs=$(nproc)

CC=clang cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMKCTL_FUZZ=ON -DCMKCTL_SANITIZE=ON -DCMKCTL_WERROR=ON >/dev/null

targets=()
for src in tests/fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  targets+=("$(basename "$src" .c)")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "ci/fuzz.sh: no fuzz targets" >&2
  exit 0
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
share=$(( total / ${#targets[@]} ))
[ "$share" -lt 5 ] && share=5
[ "$seconds" -gt "$share" ] && seconds=$share

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/artifacts"
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  seeds=tests/fuzz/corpus/$name
  scratch=$(mktemp -d)
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  echo "== fuzzing $t for ${seconds}s (seeds: $seeds)"
  "$build/tests/fuzz/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
    "$scratch" "$seeds" 2>&1 | tail -n 20
  status=${PIPESTATUS[0]}
  rm -rf "$scratch"
  if [ "$status" -ne 0 ]; then
    echo "ci/fuzz.sh: $t failed (exit $status); reproducer in $build/artifacts/" >&2
    exit 1
  fi
done
