#!/usr/bin/env bash
# run_case.sh CMKCTL CASE_DIR - run one invalid-manifest case (jq/curl style).
#
# A case is a folder holding its input manifests and `expected`, the exact
# output of `cmkctl validate` (stdout and stderr together), positions
# included. Optional files: `args` (the arguments after `validate`; default:
# -f for every *.yaml/*.yml in the folder, sorted), `exit` (the expected exit
# code; default 1), `stdin` (fed to standard input; default empty).
set -uo pipefail
bin=$1
dir=$2
name=$(basename "$dir")
cd "$dir" || exit 2

args=()
if [ -f args ]; then
  read -r -a args < args
else
  while IFS= read -r f; do args+=(-f "$f"); done < <(ls -1 | grep -E '\.(yaml|yml)$' | LC_ALL=C sort)
fi
want_exit=1
[ -f exit ] && want_exit=$(cat exit)
input=/dev/null
[ -f stdin ] && input=stdin

actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
"$bin" validate "${args[@]}" < "$input" > "$actual" 2>&1
rc=$?

status=0
if ! diff -u expected "$actual"; then
  echo "corpus case '$name': output differs from expected (- expected, + actual)" >&2
  status=1
fi
if [ "$rc" != "$want_exit" ]; then
  echo "corpus case '$name': exit code $rc, expected $want_exit" >&2
  status=1
fi
exit $status
