#!/usr/bin/env bash
# run_schema_check.sh ARGS... - run check_schema.py with a python3 that has
# jsonschema and yaml (the PATH one, else Debian's /usr/bin/python3 with
# python3-jsonschema and python3-yaml from ci/deps.sh); exit 77 (skip) if none.
here=$(cd "$(dirname "$0")" && pwd)
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import jsonschema, yaml' 2>/dev/null; then
    exec "$py" "$here/check_schema.py" "$@"
  fi
done
echo "skipped: no python3 with jsonschema and yaml" >&2
exit 77
