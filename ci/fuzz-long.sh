#!/usr/bin/env bash
# ci/fuzz-long.sh SECONDS_PER_TARGET [TARGET...] - the long fuzzing run: build
# every libFuzzer target (or those named: fuzz_lro or lro) like ci/fuzz.sh,
# fuzz each for SECONDS_PER_TARGET from its checked-in seeds plus a corpus
# kept across runs in $build/long-corpus/<name>/ (never the checked-in one),
# CMK_FUZZ_PARALLEL targets at a time (default: nproc), and print a table:
# executions, executions per second, coverage and corpus size per target.
# Any crash, leak, timeout or sanitizer report fails the script; reproducers
# are left in $build/artifacts/. Add a reproducer to tests/fuzz/corpus/<name>/
# as regress-<what> once the bug is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  echo "usage: ci/fuzz-long.sh SECONDS_PER_TARGET [TARGET...]" >&2
  exit 64
fi
seconds=$1
shift
build=${CMK_FUZZ_BUILD_DIR:-build-fuzz}
parallel=${CMK_FUZZ_PARALLEL:-$(nproc)}

CC=clang cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMKCTL_FUZZ=ON -DCMKCTL_SANITIZE=ON -DCMKCTL_WERROR=ON >/dev/null

targets=()
if [ $# -gt 0 ]; then
  for t in "$@"; do targets+=("fuzz_${t#fuzz_}"); done
else
  for src in tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] && targets+=("$(basename "$src" .c)")
  done
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/artifacts" "$build/long-logs"

run_one() {
  local t=$1 name=${1#fuzz_} dict=()
  mkdir -p "$build/long-corpus/$name"
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  "$build/tests/fuzz/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" \
    "$build/long-corpus/$name" "tests/fuzz/corpus/$name" >"$build/long-logs/$t.log" 2>&1
}

pids=() names=()
failed=0
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 1; done
  echo "== fuzzing $t for ${seconds}s"
  run_one "$t" &
  pids+=($!) names+=("$t")
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "ci/fuzz-long.sh: ${names[$i]} failed; see $build/long-logs/${names[$i]}.log," \
      "reproducer in $build/artifacts/" >&2
    tail -n 30 "$build/long-logs/${names[$i]}.log" >&2
    failed=1
  fi
done

printf '\n%-18s %12s %10s %8s %8s %s\n' target executions exec/s cov ft corpus
for t in "${targets[@]}"; do
  log=$build/long-logs/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  printf '%-18s %12s %10s %8s %8s %s\n' "$t" "${execs:-?}" \
    "$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))" "${cov:-?}" "${ft:-?}" "${corp:-?}"
done
exit "$failed"
