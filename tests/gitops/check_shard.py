"""check_shard.py - --shard K/N and --subscription split one estate into
disjoint parts that together cover it.

An estate of 200 subscriptions (a cluster, a WorkspaceLink of two
workspaces, for every third subscription a user-assigned identity; all
clusters use one key in a central key-vault subscription) is planned whole
and per shard (N = 1, 7 and 16): the shards' step ids are disjoint and
their union is exactly the whole plan's; every step of a shard concerns a
subscription that hashes to it (FNV-1a 64 of the lower-cased id, mod N, +1,
recomputed here independently); --subscription selects exactly that
subscription's steps; a reference from a document to a non-key document of
another shard is refused with a clear message; bad values are usage errors."""
import json
import os
import random
import re
import uuid

from gitops_lib import check, main, run, base_env

KEY_SUB = "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
VAULT = "/subscriptions/%s/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-central" % KEY_SUB
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.lower().encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def shard_of(sub, n):
    return fnv1a64(sub) % n + 1


def ws_id(sub, i, name):
    return "/subscriptions/%s/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/%s" % (sub, name)


def make_estate(root, nsubs):
    rnd = random.Random(6)
    subs = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for i in range(nsubs)]
    owner = {"KeyVaultKey/central-kek": KEY_SUB}
    docs = ["""apiVersion: cmkctl/v1
kind: KeyVaultKey
metadata: {name: central-kek}
spec:
  vault: %s
  key: la-cmk
  version: latest
  location: eastus
""" % VAULT]
    live = {"subscriptions": [{"id": KEY_SUB, "tenantId": TENANT}], "clusters": [], "workspaces": [],
            "vaults": [{"id": VAULT, "name": "kv-central", "location": "eastus", "tenantId": TENANT,
                        "vaultUri": "https://kv-central.vault.azure.net/", "softDelete": True,
                        "purgeProtection": True, "rbacAuthorization": False, "accessPolicies": []}],
            "keys": [{"vaultId": VAULT, "vaultUri": "https://kv-central.vault.azure.net/", "name": "la-cmk",
                      "currentVersion": "2222222222222222bbbbbbbbbbbbbbbb", "kty": "RSA", "keySize": 3072,
                      "enabled": True}]}
    for i, sub in enumerate(subs):
        live["subscriptions"].append({"id": sub, "tenantId": TENANT})
        ident = "{type: SystemAssigned}"
        if i % 3 == 0:
            docs.append("""apiVersion: cmkctl/v1
kind: ManagedIdentity
metadata: {name: id-%d}
spec:
  subscription: %s
  resourceGroup: rg-monitor
  name: id-la-%d
  location: eastus
""" % (i, sub, i))
            ident = "{type: UserAssigned, ref: id-%d}" % i
            owner["ManagedIdentity/id-%d" % i] = sub
        owner["LogAnalyticsCluster/c-%d" % i] = sub
        owner["WorkspaceLink/ws-%d" % i] = sub
        docs.append("""apiVersion: cmkctl/v1
kind: LogAnalyticsCluster
metadata: {name: c-%d}
spec:
  subscription: %s
  resourceGroup: rg-monitor
  name: la-%d
  location: eastus
  identity: %s
  capacity: 1000
  key: {ref: central-kek}
""" % (i, sub, i, ident))
        wss = []
        for w in (1, 2):
            name = "law-%d-%d" % (i, w)
            wid = ws_id(sub, i, name)
            wss.append(wid)
            live["workspaces"].append({"id": wid, "name": name, "location": "eastus",
                                       "customerId": str(uuid.UUID(int=i * 4 + w, version=4)),
                                       "linkOperations30d": 0})
        docs.append("""apiVersion: cmkctl/v1
kind: WorkspaceLink
metadata: {name: ws-%d}
spec:
  cluster: {ref: c-%d}
  workspaces:
%s
""" % (i, i, "\n".join("    - " + w for w in wss)))
    os.makedirs(os.path.join(root, "manifests"))
    # several files, documents of one subscription spread over them
    for f in range(4):
        with open(os.path.join(root, "manifests", "part%d.yaml" % f), "w") as fh:
            fh.write("---\n".join(docs[f::4]))
    with open(os.path.join(root, "live.json"), "w") as fh:
        json.dump(live, fh)
    return subs, owner


SUB_RE = re.compile(r"/subscriptions/([0-9a-fA-F-]{36})/")


def plan_steps(args, root, extra):
    rc, out, err = run([args.cmkctl, "plan", "-f", os.path.join(root, "manifests"), "--live-state",
                        os.path.join(root, "live.json"), "-o", "json"] + extra, base_env())
    check(rc == 0, "plan %s: exit %d\n%s" % (extra, rc, err[-2000:]))
    p = json.loads(out)
    steps = p["steps"]
    return {s["id"]: s for s in steps}


OWNER = {}


def step_subscription(s):
    """The subscriptions a step concerns: its document's (a key grant
    targets the central vault but is made for one cluster's document) and
    its target's, unless that is the central key vault."""
    subs = {OWNER["/".join(s["resource"].split("/")[:2])]}
    subs |= {m.lower() for m in SUB_RE.findall(s.get("target") or "")} - {KEY_SUB}
    return subs


def body(args, s):
    subs, owner = make_estate(s.dir, 200)
    OWNER.update(owner)
    whole = plan_steps(args, s.dir, [])
    check(len(whole) >= 200 * 3, "whole plan has only %d steps" % len(whole))
    for n in (1, 7, 16):
        union = {}
        for k in range(1, n + 1):
            part = plan_steps(args, s.dir, ["--shard", "%d/%d" % (k, n)])
            overlap = set(part) & set(union)
            check(not overlap, "shards overlap at N=%d: %s" % (n, sorted(overlap)[:5]))
            for sid, st in part.items():
                ss = step_subscription(st)
                check(ss and all(shard_of(x, n) == k for x in ss),
                      "step %s (subscriptions %s) in shard %d/%d" % (sid, ss, k, n))
            union.update(part)
        check(set(union) == set(whole),
              "N=%d: shards miss %s, add %s" % (n, sorted(set(whole) - set(union))[:5],
                                               sorted(set(union) - set(whole))[:5]))
    # --subscription: exactly that subscription's steps (given in upper case)
    one = subs[17]
    part = plan_steps(args, s.dir, ["--subscription", one.upper()])
    want = {sid for sid, st in whole.items() if one in step_subscription(st)}
    check(set(part) == want and want, "--subscription %s: %d steps, want %d" % (one, len(part), len(want)))
    # both filters: the intersection
    k = shard_of(one, 5)
    part = plan_steps(args, s.dir, ["--subscription", one, "--shard", "%d/5" % k])
    check(set(part) == want, "--subscription with its own shard")
    part = plan_steps(args, s.dir, ["--subscription", one, "--shard", "%d/5" % (k % 5 + 1)])
    check(not part, "--subscription with another shard selected %d steps" % len(part))

    # a cluster using an identity of another subscription: refused, clearly
    a, b = subs[1], next(x for x in subs[2:] if shard_of(x, 2) != shard_of(subs[1], 2))
    with open(os.path.join(s.dir, "manifests", "zz-cross.yaml"), "w") as fh:
        fh.write("""apiVersion: cmkctl/v1
kind: ManagedIdentity
metadata: {name: id-cross}
spec:
  subscription: %s
  resourceGroup: rg-monitor
  name: id-cross
  location: eastus
---
apiVersion: cmkctl/v1
kind: LogAnalyticsCluster
metadata: {name: c-cross}
spec:
  subscription: %s
  resourceGroup: rg-monitor
  name: la-cross
  location: eastus
  identity: {type: UserAssigned, ref: id-cross}
  capacity: 1000
  key: {ref: central-kek}
""" % (b, a))
    rc, out, err = run([args.cmkctl, "plan", "-f", os.path.join(s.dir, "manifests"), "--live-state",
                        os.path.join(s.dir, "live.json"), "--shard", "%d/2" % shard_of(a, 2)], base_env())
    check(rc == 1 and "LogAnalyticsCluster/c-cross" in err and "ManagedIdentity/id-cross" in err
          and "zz-cross.yaml:" in err, "cross-shard reference: %d %s" % (rc, err[-800:]))
    # the other shard owns the identity and plans it alone (nothing references out)
    rc, out, err = run([args.cmkctl, "plan", "-f", os.path.join(s.dir, "manifests"), "--live-state",
                        os.path.join(s.dir, "live.json"), "--shard", "%d/2" % shard_of(b, 2)], base_env())
    check(rc == 0, "the identity's shard: %d %s" % (rc, err[-800:]))

    for bad in (["--shard", "0/4"], ["--shard", "5/4"], ["--shard", "1/0"], ["--shard", "x"],
                ["--shard", "1/2", "--shard", "2/2"], ["--subscription", "nope"], ["--shard"]):
        rc, out, err = run([args.cmkctl, "plan", "-f", os.path.join(s.dir, "manifests")] + bad, base_env())
        check(rc == 64, "%s: exit %d %s" % (bad, rc, err))


if __name__ == "__main__":
    main(body)
