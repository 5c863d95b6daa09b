"""chaos_lib.py - the estate the chaos, interruption, token-expiry and
restart checks apply, and the audits they share.

The estate (one apply from nothing): a Key Vault key and a user-assigned
identity granted access to it, one Log Analytics dedicated cluster using
that identity with its key set after creation (key update), 50 workspaces
linked to it, linked storage accounts for Query and Alerts, and a key on an
existing Azure Data Explorer cluster. The fixture is the examples' estate
(tests/integration/fixtures/examples.json) plus 47 workspaces.

armsim, the admin API and running cmkctl come from tests/gitops/gitops_lib.py.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gitops"))
import gitops_lib as g  # noqa: E402  (shared helpers: armsim, admin API, run)

SUB = "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
SUB_ADX = "8c1f4b2a-6d3e-4a5b-9c7d-0e1f2a3b4c5d"
N_WORKSPACES = 50
CLUSTER = "lachaoseus01"
CLUSTER_ID = ("/subscriptions/%s/resourceGroups/rg-monitor-eus/providers/"
              "Microsoft.OperationalInsights/clusters/%s" % (SUB, CLUSTER))
PAYMENTS = ("/subscriptions/%s/resourceGroups/rg-app-payments/providers/"
            "Microsoft.OperationalInsights/workspaces/law-payments-prod" % SUB)


def workspace_ids():
    """The 50 workspaces: the examples' three in eastus plus law-chaos-NN."""
    ids = [PAYMENTS,
           "/subscriptions/%s/resourceGroups/rg-app-orders/providers/"
           "Microsoft.OperationalInsights/workspaces/law-orders-prod" % SUB,
           "/subscriptions/7a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d/resourceGroups/rg-security/providers/"
           "Microsoft.OperationalInsights/workspaces/law-sentinel-prod"]
    for i in range(N_WORKSPACES - len(ids)):
        ids.append("/subscriptions/%s/resourceGroups/rg-platform/providers/"
                   "Microsoft.OperationalInsights/workspaces/law-chaos-%02d" % (SUB, i))
    return ids


def write_fixture(source_dir, path):
    with open(os.path.join(source_dir, g.EXAMPLES_FIXTURE)) as f:
        fx = json.load(f)
    for wid in workspace_ids()[3:]:
        fx["resources"].append({"id": wid, "location": "eastus",
                                "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}})
    with open(path, "w") as f:
        json.dump(fx, f)
    return path


MANIFEST = """apiVersion: cmkctl/v1
kind: KeyVaultKey
metadata: {name: prod-kek}
spec:
  vault: /subscriptions/%(sub)s/resourceGroups/rg-keys-eus/providers/Microsoft.KeyVault/vaults/kv-obs-prod-eus
  key: la-cmk
  location: eastus
---
apiVersion: cmkctl/v1
kind: KeyVaultKey
metadata: {name: adx-kek}
spec:
  vault: /subscriptions/%(subadx)s/resourceGroups/rg-keys-weu/providers/Microsoft.KeyVault/vaults/kv-adx-prod-weu
  key: adx-cmk
  version: 9f3c2b1a0e4d4c5b8a7f6e5d4c3b2a19
  location: westeurope
  keySize: 2048
---
apiVersion: cmkctl/v1
kind: ManagedIdentity
metadata: {name: chaos-identity}
spec:
  subscription: %(sub)s
  resourceGroup: rg-monitor-eus
  name: id-la-chaos-eus
  location: eastus
---
apiVersion: cmkctl/v1
kind: LogAnalyticsCluster
metadata: {name: chaos-eus}
spec:
  subscription: %(sub)s
  resourceGroup: rg-monitor-eus
  name: %(cluster)s
  location: eastus
  identity: {type: UserAssigned, ref: chaos-identity}
  capacity: 500
  key: {ref: prod-kek}
  keyAtCreation: false
---
apiVersion: cmkctl/v1
kind: WorkspaceLink
metadata: {name: chaos-workspaces}
spec:
  cluster: {ref: chaos-eus}
  workspaces:
%(workspaces)s
---
apiVersion: cmkctl/v1
kind: LinkedStorageAccount
metadata: {name: payments-queries}
spec:
  workspace: %(payments)s
  dataSourceType: Query
  storageAccounts: [/subscriptions/%(sub)s/resourceGroups/rg-app-payments/providers/Microsoft.Storage/storageAccounts/stpaymentsqueries]
---
apiVersion: cmkctl/v1
kind: LinkedStorageAccount
metadata: {name: payments-alerts}
spec:
  workspace: %(payments)s
  dataSourceType: Alerts
  storageAccounts: [/subscriptions/%(sub)s/resourceGroups/rg-app-payments/providers/Microsoft.Storage/storageAccounts/stpaymentsqueries]
---
apiVersion: cmkctl/v1
kind: KustoClusterKey
metadata: {name: adx-telemetry}
spec:
  cluster: /subscriptions/%(subadx)s/resourceGroups/rg-adx-weu/providers/Microsoft.Kusto/clusters/adxtelemetryweu
  location: westeurope
  identity: {type: SystemAssigned}
  key: {ref: adx-kek}
"""


def write_manifest(path):
    ws = "\n".join("    - %s" % w for w in workspace_ids())
    with open(path, "w") as f:
        f.write(MANIFEST % {"sub": SUB, "subadx": SUB_ADX, "cluster": CLUSTER, "workspaces": ws,
                            "payments": PAYMENTS})
    return path


def parse_seeds(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def link_puts(log):
    """Link PUTs that reached the service (not answered by an injected
    fault), per workspace path (lower case)."""
    per = {}
    for r in log:
        p = r["path"].split("?")[0].lower()
        if r["method"] == "PUT" and p.endswith("/linkedservices/cluster") and r["status"] in (200, 201, 202):
            ws = p[: -len("/linkedservices/cluster")]
            per[ws] = per.get(ws, 0) + 1
    return per


def duplicate_link_writes(log, failed_ops):
    """Workspace path (lower case) -> link/unlink writes that reached the
    service beyond the first of each kind, less one per link operation
    armsim failed (the next apply's retry of a failed link is no duplicate).
    A write answered by an injected fault or a 4xx never reached the
    service and is not counted."""
    per = {}
    for r in log:
        p = r["path"].split("?")[0].lower()
        if r["method"] in ("PUT", "DELETE") and p.endswith("/linkedservices/cluster") and \
                r["status"] in (200, 201, 202, 204):
            ws = p[: -len("/linkedservices/cluster")]
            per.setdefault(ws, {}).setdefault(r["method"], 0)
            per[ws][r["method"]] += 1
    out = {}
    for ws, by in per.items():
        extra = sum(n - 1 for n in by.values()) - failed_ops.get(ws, 0)
        if extra > 0:
            out[ws] = extra
    return out


def operations(sim):
    """armsim's async operations: [{id, kind, resourceId, status, ...}]."""
    ops = sim.admin("GET", "/_sim/operations")
    if isinstance(ops, dict):
        ops = ops.get("operations", [])
    return ops


def failed_kinds(sim):
    """'kind xN, ...' of the async operations armsim ended Failed."""
    per = {}
    for op in operations(sim):
        if op.get("status") == "Failed":
            per[op.get("kind")] = per.get(op.get("kind"), 0) + 1
    return ", ".join("%s x%d" % kv for kv in sorted(per.items()))


def failed_link_ops(sim):
    """Workspace paths (lower case) -> link operations armsim ended Failed."""
    per = {}
    for op in operations(sim):
        rid = (op.get("resourceId") or "").lower()
        if op.get("status") == "Failed" and rid.endswith("/linkedservices/cluster"):
            ws = rid[: -len("/linkedservices/cluster")]
            per[ws] = per.get(ws, 0) + 1
    return per


def busy_errors(log):
    """400/409 answers in the log (injected faults are never 4xx but 429)."""
    return [r for r in log if r["status"] in (400, 409)]
