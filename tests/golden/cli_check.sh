#!/usr/bin/env bash
# cli_check.sh CMKCTL CASES_DIR - the command-line path of the planner:
# `cmkctl plan --live-state` prints the golden plan, exit codes follow
# --detailed-exitcode, --out writes a 0600 saved plan, `cmkctl graph` prints
# Mermaid and DOT.
set -uo pipefail
bin=$1
cases=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now=--now=2026-11-23T12:00:00Z

check() { # description, command...
  local what=$1; shift
  if ! "$@"; then echo "cli_check: FAILED: $what" >&2; fail=1; fi
}

# 1. text plan equals the golden text (the source line names the path given)
c=$cases/create-system-assigned-from-empty
(cd "$c" && NO_COLOR=1 "$bin" plan -f manifests --live-state live.json $now > "$tmp/plan.txt"); rc=$?
check "plan exit 0 without --detailed-exitcode (rc=$rc)" test "$rc" = 0
check "plan text equals expected.txt" diff -u "$c/expected.txt" "$tmp/plan.txt"

# 2. JSON output equals the golden JSON but for the source record
(cd "$c" && "$bin" plan -f manifests --live-state live.json $now -o json > "$tmp/plan.json")
check "plan JSON parses and matches" python3 - "$c/expected.json" "$tmp/plan.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert b["source"] == {"kind": "dir", "path": "manifests"}, b["source"]
a.pop("source"); b.pop("source")
assert a == b, "JSON plan differs"
PY

# 3. --detailed-exitcode: 2 with changes, 0 without; 1 when blocked
(cd "$c" && "$bin" plan -f manifests --live-state live.json $now --detailed-exitcode > /dev/null); rc=$?
check "detailed exit code 2 with changes (rc=$rc)" test "$rc" = 2
(cd "$cases/in-sync-no-changes" && "$bin" plan -f manifests --live-state live.json $now --detailed-exitcode > /dev/null); rc=$?
check "detailed exit code 0 without changes (rc=$rc)" test "$rc" = 0
(cd "$cases/soft-deleted-name" && "$bin" plan -f manifests --live-state live.json $now --detailed-exitcode > /dev/null 2>&1); rc=$?
check "exit code 1 with blocked steps (rc=$rc)" test "$rc" = 1

# 4. --out writes a saved plan, mode 0600, with a fingerprint
(cd "$c" && "$bin" plan -f manifests --live-state live.json $now --out "$tmp/saved.json" > /dev/null 2>&1)
check "saved plan mode 0600" test "$(stat -c %a "$tmp/saved.json")" = 600
check "saved plan has a fingerprint" grep -q '"fingerprint":[[:space:]]*"[0-9a-f]\{64\}"' "$tmp/saved.json"

# 5. markdown, graph
(cd "$c" && "$bin" plan -f manifests --live-state live.json $now -o markdown > "$tmp/plan.md")
check "markdown starts with the counts" grep -q '^\*\*3 to create, 0 to update' "$tmp/plan.md"
(cd "$c" && "$bin" graph -f manifests --live-state live.json $now > "$tmp/graph.mmd")
check "mermaid graph" grep -q '^  s2 --> s3$' "$tmp/graph.mmd"
(cd "$c" && "$bin" graph -f manifests --live-state live.json $now --format dot > "$tmp/graph.dot")
check "dot graph" grep -q '^  s1 -> s2;$' "$tmp/graph.dot"

# 6. usage errors
"$bin" plan -f "$c/manifests" --output yaml > /dev/null 2>&1; rc=$?
check "unknown output format is a usage error (rc=$rc)" test "$rc" = 64
exit $fail
