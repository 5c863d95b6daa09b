#!/usr/bin/env python3
"""check_schema.py SCHEMA EXAMPLES_DIR CASES_DIR - the JSON Schema agrees with cmkctl.

Every example document must validate against manifests/schema/, and every
single-file corpus case must be rejected by it, except the cases whose error
needs more than one document at a time (references, regions, duplicates),
which a per-document schema cannot see. Exits 77 (skipped) when the Python
modules jsonschema or yaml are not installed.
"""
import glob
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

# Errors only visible across documents (or below YAML's data model).
CROSS_DOCUMENT = {
    "component-link-to-loganalytics-cluster", "dependson-cycle", "doc-not-a-mapping",
    "empty-documents-only", "kusto-identity-ref-wrong-kind", "kusto-key-elliptic-curve",
    "kusto-key-not-rsa-2048", "linked-storage-duplicate-link", "ref-dangling", "ref-wrong-kind",
    "region-vault-mismatch", "region-workspace-mismatch", "same-cluster-two-documents",
    "three-clusters-in-one-region", "workspace-link-to-appinsights-cluster",
    "workspace-listed-twice", "yaml-duplicate-key",
    "yaml-alias-bomb",  # PyYAML would expand it: the point of the case
    "yaml-merge-key",  # PyYAML applies merge keys; cmkctl refuses them
    "capacity-hexadecimal",  # PyYAML reads 0x3E8 as 1000; cmkctl wants it in decimal
}

schema_path, examples, cases = sys.argv[1:4]
schema = json.load(open(schema_path))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
failures = 0

for path in sorted(glob.glob(os.path.join(examples, "*.yaml"))):
    for doc in yaml.safe_load_all(open(path)):
        if doc is None:
            continue
        for err in validator.iter_errors(doc):
            print(f"{path}: {doc.get('metadata', {}).get('name')}: schema rejects a valid example: {err.message}")
            failures += 1

checked = 0
for path in sorted(glob.glob(os.path.join(cases, "*", "manifest.yaml"))):
    name = os.path.basename(os.path.dirname(path))
    if name in CROSS_DOCUMENT:
        continue
    try:
        docs = [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d is not None]
    except (yaml.YAMLError, UnicodeDecodeError):
        continue  # not YAML at all: nothing for a schema to say
    checked += 1
    if all(not list(validator.iter_errors(d)) for d in docs):
        print(f"{name}: schema accepts a manifest cmkctl rejects")
        failures += 1

print(f"examples valid, {checked} invalid cases rejected, {failures} failures")
sys.exit(1 if failures else 0)
