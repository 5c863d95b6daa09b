#!/usr/bin/env bash
# ci/test-check-layers.sh - proves ci/check-layers.sh catches forbidden
# includes: it copies this tree's layered folders into a temporary root,
# checks that the copy passes, then plants one violation per rule (first of
# all a planner file that includes a provider header) and requires each to
# fail with exit 1 and a "file:line: rule" line naming it. An allowed
# include (reconciler -> providers) must still pass. Registered with ctest
# as layers.check_layers_detects.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
check=$here/ci/check-layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fresh_copy() {
  rm -rf "$tmp/root"
  mkdir -p "$tmp/root"
  for d in common planner providers sources reconciler cli; do
    if [ -d "$here/$d" ]; then
      cp -R "$here/$d" "$tmp/root/$d"
    fi
  done
}

# expect_fail FILE LINE_TEXT WHAT: append LINE_TEXT to FILE (in a fresh
# copy) and require the check to name FILE:<that line>.
expect_fail() {
  local file=$1 text=$2 what=$3 out rc line
  fresh_copy
  mkdir -p "$(dirname "$tmp/root/$file")"
  touch "$tmp/root/$file"
  printf '%s\n' "$text" >>"$tmp/root/$file"
  line=$(wc -l <"$tmp/root/$file")
  rc=0
  out=$("$check" "$tmp/root" 2>&1) || rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q "^$file:$line: " <<<"$out"; then
    echo "FAIL: $what: expected exit 1 naming $file:$line, got exit $rc:"
    echo "$out"
    failures=$((failures + 1))
  else
    echo "ok: $what -> $(grep "^$file:$line: " <<<"$out")"
  fi
}

expect_pass() {
  local file=$1 text=$2 what=$3 out rc
  fresh_copy
  if [ -n "$file" ]; then
    mkdir -p "$(dirname "$tmp/root/$file")"
    printf '%s\n' "$text" >>"$tmp/root/$file"
  fi
  rc=0
  out=$("$check" "$tmp/root" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL: $what: expected exit 0, got exit $rc:"
    echo "$out"
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

# the copy of the tree as it is passes (else the planted cases prove nothing)
expect_pass "" "" "the tree's own folders pass"

# the rule the issue names first: a planner file including a provider header
planner_file=$(cd "$here" && ls planner/*.c | head -n 1)
expect_fail "$planner_file" '#include "providers/arm.h"' "planner includes a provider header"
expect_fail "planner/render_text.c" '#include <curl/curl.h>' "planner includes curl"
expect_fail "sources/source.c" '#include "providers/http.h"' "sources includes a provider header"
expect_fail "sources/source_dir.c" '# include <curl/easy.h>' "sources includes curl"
expect_fail "providers/arm.c" '#include "planner/manifest.h"' "providers includes planner"
expect_fail "providers/lro.c" '#include "reconciler/report.h"' "providers includes reconciler"
expect_fail "common/buf.c" '#include "planner/plan.h"' "common includes planner"
expect_fail "reconciler/report.c" '#include "cli/cli_common.h"' "reconciler includes cli"
expect_fail "sources/source.c" '#include "cli/manifest_options.h"' "sources includes cli"
expect_fail "planner/new_file.h" '#include "reconciler/executor.h"' "a new planner header includes reconciler"

# allowed by the layers: the reconciler uses the providers' adapter API
expect_pass "reconciler/report.c" '#include "providers/adapter_util.h"' "reconciler includes providers (allowed)"
expect_pass "cli/main.c" '#include "reconciler/reconcile.h"' "cli includes reconciler (allowed)"

if [ "$failures" -gt 0 ]; then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
