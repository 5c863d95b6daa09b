/*
 * validate.h - the checks on a loaded manifest set that need the whole set
 * or Azure's documented rules, but no live data.
 *
 * Per document: metadata names, subscription GUIDs, resource group names,
 * Azure resource name rules (cluster, identity, vault, key), key versions,
 * key type and size, capacity, identity rules (UserAssigned needs a
 * ManagedIdentity ref; a key at creation needs a user-assigned identity,
 * since a system-assigned one sent with keyVaultProperties is a documented
 * 400), tag limits, ADX leader/follower, storage account count.
 *
 * Across documents: duplicate names per kind, two documents for one Azure
 * resource, dangling and wrong-kind references (resolved to pointers),
 * reference cycles (typed refs and metadata.dependsOn), one region for
 * cluster/vault/workspaces where given, at most 1000 workspaces per
 * cluster, a workspace listed twice or under two clusters, workspace links
 * to ApplicationInsights clusters and component links to LogAnalytics ones,
 * RSA 2048 for ADX keys, at most 2 clusters per subscription and region.
 *
 * When the set is incomplete (a file could not be read or parsed), the
 * cross-document checks are skipped: their errors would be noise about
 * documents that were never read.
 */
#ifndef CMK_VALIDATE_H
#define CMK_VALIDATE_H

#include "planner/manifest.h"
#include "planner/manifest_diag.h"

/* Documented Azure limits the checks use. */
#define VALIDATE_MAX_WORKSPACES_PER_CLUSTER 1000
#define VALIDATE_MAX_CLUSTERS_PER_REGION 2
#define VALIDATE_MAX_TAGS 50
#define VALIDATE_MAX_TAG_NAME 512
#define VALIDATE_MAX_TAG_VALUE 256
/* The largest capacity reservation, in GB per day: the largest commitment
 * tier of Log Analytics dedicated clusters (learn.microsoft.com
 * azure-monitor/logs/logs-dedicated-clusters, "Cluster pricing model"; the
 * az CLI's `log-analytics cluster create --sku-capacity` lists the tiers 100
 * ... 50000). Kept here until the service rules table takes it. */
#define VALIDATE_MAX_CAPACITY_GB 50000

/*
 * Check `set`, adding an error to `diags` for every problem, and resolve
 * every manifest_ref's target. Returns 0 (look at diags for the verdict),
 * or CMK_ENOMEM.
 */
int validate_manifest_set(manifest_diags *diags, manifest_set *set) CMK_WUR;

/*
 * The Log Analytics capacity rule, alone, for reuse by the planner:
 * 0 when `gb` is a valid capacity reservation (a tier of 100-500, or 1000
 * or more in steps of 100, up to VALIDATE_MAX_CAPACITY_GB), else
 * CMK_EINVALID with the documented message in the thread's last error.
 */
int validate_capacity(long long gb);

#endif
