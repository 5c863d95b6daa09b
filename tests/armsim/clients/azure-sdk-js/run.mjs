// run.mjs - a real Azure SDK (JavaScript: @azure/identity,
// @azure/arm-operationalinsights) pointed at armsim, to show that clients
// nobody here wrote work against it: MSAL client-credentials against the
// token endpoint, LRO polling (create, key update, link, delete with
// linked workspaces), nextLink paging, ARM error bodies, and no hazard.
// Usage: node run.mjs READY_FILE   (see check.sh)
import { ClientSecretCredential } from "@azure/identity";
import { OperationalInsightsManagementClient } from "@azure/arm-operationalinsights";
import fs from "node:fs";
import assert from "node:assert/strict";

const ready = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const env = ready.env;
const sub = "00000000-0000-4000-8000-00000000aaaa", rg = "rg-la";
const admin = async (m, p, b) => (await fetch(ready.base_url + p, { method: m, body: b ? JSON.stringify(b) : undefined })).json();
await admin("PUT", "/_sim/settings", { retryAfterSeconds: 1, maxClustersPerRegion: 10 });

const cred = new ClientSecretCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET,
  { authorityHost: env.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true });
const la = new OperationalInsightsManagementClient(cred, sub, { endpoint: ready.arm_endpoint, credentialScopes: ["https://management.azure.com/.default"] });

let t0 = Date.now();
const c = await la.clusters.beginCreateOrUpdateAndWait(rg, "jscluster",
  { location: "eastus", sku: { name: "CapacityReservation", capacity: 1000 }, identity: { type: "SystemAssigned" } },
  { updateIntervalInMs: 200 });
assert.equal(c.provisioningState, "Succeeded");
console.log("create:", c.name, c.provisioningState, c.identity.principalId, (Date.now() - t0) + "ms");

await admin("POST", "/_sim/access-policies/add", { vault: "kv-cmk-eus", objectId: c.identity.principalId, keys: ["get", "wrapKey", "unwrapKey"] });
t0 = Date.now();
const u = await la.clusters.beginUpdateAndWait(rg, "jscluster",
  { keyVaultProperties: { keyVaultUri: "https://kv-cmk-eus.vault.azure.net", keyName: "la-key", keyVersion: "" } },
  { updateIntervalInMs: 200 });
assert.equal(u.keyVaultProperties.keyName, "la-key");
console.log("key update:", u.provisioningState, JSON.stringify(u.keyVaultProperties), (Date.now() - t0) + "ms");

const ls = await la.linkedServices.beginCreateOrUpdateAndWait(rg, "ws2", "cluster", { writeAccessResourceId: c.id }, { updateIntervalInMs: 200 });
assert.equal(ls.provisioningState, "Succeeded");
console.log("link:", ls.name, ls.provisioningState);
const ws = await la.workspaces.get(rg, "ws2");
assert.equal(ws.features?.clusterResourceId, c.id);
console.log("workspace features.clusterResourceId:", ws.features?.clusterResourceId);

for (const nm of ["jsc2", "jsc3"])
  await la.clusters.beginCreateOrUpdateAndWait(rg, nm, { location: "eastus", sku: { name: "CapacityReservation", capacity: 1000 }, identity: { type: "SystemAssigned" } }, { updateIntervalInMs: 200 });
const nw = await la.workspaces.beginCreateOrUpdateAndWait(rg, "jsws", { location: "eastus", retentionInDays: 60 }, { updateIntervalInMs: 200 });
assert.equal(nw.provisioningState, "Succeeded");
assert.equal(nw.retentionInDays, 60);
console.log("workspace create:", nw.name, nw.provisioningState, nw.customerId);
const lsa = await la.linkedStorageAccounts.createOrUpdate(rg, "jsws", "Query",
  { storageAccountIds: [`/subscriptions/${sub}/resourceGroups/rg-la/providers/Microsoft.Storage/storageAccounts/sa1`] });
assert.equal(lsa.dataSourceType, "Query");
console.log("linked storage:", lsa.name, lsa.dataSourceType);
let lsn = 0;
for await (const x of la.linkedServices.listByWorkspace(rg, "ws2")) lsn++;
assert.equal(lsn, 1);
let n = 0;
for await (const x of la.clusters.listByResourceGroup(rg)) n++;
assert.equal(n, 3); // page size 2 in la.yaml: the SDK followed nextLink
console.log("clusters listed through nextLink pages:", n);
let w = 0;
for await (const x of la.workspaces.list()) w++;
console.log("workspaces listed:", w);

try {
  await la.clusters.beginCreateOrUpdateAndWait(rg, "x_y", { location: "eastus", sku: { name: "CapacityReservation", capacity: 1000 }, identity: { type: "SystemAssigned" } });
  assert.fail("bad name accepted");
} catch (e) { assert.equal(e.statusCode, 400); console.log("bad name:", e.statusCode, e.code, e.message); }
try {
  await la.clusters.beginUpdateAndWait(rg, "jscluster", { sku: { name: "CapacityReservation", capacity: 500 } });
  assert.fail("capacity decrease accepted");
} catch (e) { assert.equal(e.statusCode, 400); console.log("capacity lock:", e.statusCode, e.code, e.message); }

t0 = Date.now();
const d = await la.clusters.beginDeleteAndWait(rg, "jscluster", { updateIntervalInMs: 200 });
console.log("delete (linked → async unlink):", (Date.now() - t0) + "ms");
const ws2 = await la.workspaces.get(rg, "ws2");
assert.equal(ws2.features?.clusterResourceId, undefined);
console.log("after delete, features.clusterResourceId:", ws2.features?.clusterResourceId);
const hz = await admin("GET", "/_sim/hazards");
assert.equal(hz.total, 0);
console.log("hazards:", JSON.stringify(hz.byKind));
console.log("azure-sdk-js against armsim: OK");
