#!/usr/bin/env bash
# check.sh - run the Azure SDK for JavaScript against a fresh armsim.
# Manual check (needs node + npm and the npm registry); not part of ctest.
# usage: tests/armsim/clients/azure-sdk-js/check.sh [path/to/armsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
armsim=${1:-$here/../../../../build/tests/armsim/armsim}
work=$(mktemp -d /tmp/armsim-sdk-js-XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$here/package.json" "$here/run.mjs" "$work/"
(cd "$work" && npm install --no-audit --no-fund --silent >/dev/null)
"$armsim" --state-dir "$work/state" --ready-file "$work/ready" \
  --fixture "$here/../../tests/fixtures/la.yaml" --time-scale 20000 >"$work/armsim.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -f "$work/ready" ] && break; sleep 0.05; done
cd "$work" && NODE_EXTRA_CA_CERTS="$work/state/ca.pem" node run.mjs "$work/ready"
