/*
 * adapter_cluster.h - Log Analytics dedicated clusters
 * (Microsoft.OperationalInsights/clusters, api-version 2026-03-01):
 * ARM JSON -> live_la_cluster, and the writes cmkctl makes to a cluster.
 *
 * Reading tolerates every shape the service has served: keyVaultProperties
 * in any casing (the 2019 document's KeyVaultProperties/KeyVaultUri), RFC
 * 1123 or ISO 8601 dates, sku.lastSkuUpdate (2020 shapes) or
 * capacityReservationProperties.lastSkuUpdate, no sku at all (2019).
 * `busy` is set when provisioningState is not terminal (Creating,
 * ProvisioningAccount, Updating, Deleting): the planner waits, never writes.
 *
 * Writes are long-running: they return an arm_op (lro.h) in flight, or
 * already SUCCEEDED when the service answered synchronously (a tags-only
 * PATCH answers 200). Bodies carry only what the spec asks for; a read-only
 * member (associatedWorkspaces, provisioningState, clusterId, createdDate,
 * lastModifiedDate, identity.principalId/tenantId, ...) is never sent.
 * The documented rule "no keyVaultProperties at creation with a
 * system-assigned identity" (400) is enforced here as CMK_EINVALID before
 * any request.
 */
#ifndef CMK_PROVIDERS_ADAPTER_CLUSTER_H
#define CMK_PROVIDERS_ADAPTER_CLUSTER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"
#include "providers/lro.h"

/* What a write sets; NULL / 0 / -1 members are left as they are. */
typedef struct {
	const char *location;          /* create: required */
	const char *identity_type;     /* "SystemAssigned" | "UserAssigned" | "None" (revokes!) */
	const char *user_identity_id;  /* UserAssigned: the identity's resource id */
	long long capacity;            /* GB/day (sku capacityReservation); 0: leave */
	const char *billing_type;      /* "Cluster" | "Workspaces" */
	int double_encryption;         /* create only: 0/1; -1 leave (service default true) */
	int availability_zones;        /* create only: 0/1; -1 leave */
	const live_key_ref *key;       /* keyVaultUri, keyName, keyVersion ("" or NULL =
					* versionless), keyRsaSize (0 omitted);
					* vault_uri "" removes the key */
	const live_tags *tags;         /* replaces the tags */
	const char *cluster_type;      /* create only: "ApplicationInsights" for the legacy
					* component association (seed 000); NULL or
					* "LogAnalytics" is not sent (the default) */
} adapter_cluster_spec;

/* Append the cluster `doc` (an ARM GET/list item) to into->clusters. */
int adapter_cluster_add(live_state *into, const cJSON *doc) CMK_WUR;

/* GET one cluster into into->clusters; CMK_ENOTFOUND when it does not exist. */
int adapter_cluster_get(live_state *into, arm_client *c, const char *cluster_id) CMK_WUR;

/* Every cluster of a subscription (one paged list) into into->clusters. */
int adapter_cluster_list(live_state *into, arm_client *c, const char *subscription) CMK_WUR;

/* The request body of a create (create != 0) or an update (PATCH); *out
 * owned by the caller. CMK_EINVALID for a combination the service refuses
 * (key with a system-assigned identity at creation, location missing). */
int adapter_cluster_body(cJSON **out, const adapter_cluster_spec *spec, int create) CMK_WUR;

/* PUT a new cluster (ARM_OP_CLUSTER_CREATE). */
int adapter_cluster_create(arm_op **out, arm_client *c, const char *cluster_id,
			   const adapter_cluster_spec *spec, arm_error **err_out) CMK_WUR;

/* PATCH an existing cluster (ARM_OP_CLUSTER_KEY_UPDATE when spec->key is set,
 * else ARM_OP_CLUSTER_UPDATE). */
int adapter_cluster_update(arm_op **out, arm_client *c, const char *cluster_id,
			   const adapter_cluster_spec *spec, arm_error **err_out) CMK_WUR;

/* The key update alone: PATCH {properties: {keyVaultProperties}}. */
int adapter_cluster_update_key(arm_op **out, arm_client *c, const char *cluster_id,
			       const live_key_ref *key, arm_error **err_out) CMK_WUR;

/* The key a cluster body (a GET or a write's answer) names: *name and
 * *version (each NULL when absent; pointing into doc). Returns whether the
 * body holds keyVaultProperties at all (an answer may leave them out). */
bool adapter_cluster_key_of(const char **name, const char **version, const cJSON *doc);

/* DELETE the cluster (ARM_OP_CLUSTER_DELETE; the service unlinks its
 * workspaces first and keeps the name reserved 14 days). */
int adapter_cluster_delete(arm_op **out, arm_client *c, const char *cluster_id,
			   arm_error **err_out) CMK_WUR;

#endif
