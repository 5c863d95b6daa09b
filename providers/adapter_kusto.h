/*
 * adapter_kusto.h - Azure Data Explorer clusters (Microsoft.Kusto/clusters,
 * 2024-04-13) with customer-managed keys (seed 002).
 *
 * Reading copes with Kusto's wire quirks: the type spelled
 * "Microsoft.Kusto/Clusters", locations as display names ("East US" ->
 * eastus), identity types "SystemAssigned, UserAssigned" (kept without the
 * space: "SystemAssigned,UserAssigned"). `follower` stays false: ARM shows
 * it only through attachedDatabaseConfigurations, which this adapter does
 * not read.
 *
 * The key update is a PATCH with the identity (when it changes) and
 * keyVaultProperties {keyVaultUri, keyName, keyVersion, userIdentity?};
 * keyVersion "" is the documented versionless key ("always use the current
 * key version"). Long-running: ARM_OP_KUSTO_UPDATE.
 */
#ifndef CMK_PROVIDERS_ADAPTER_KUSTO_H
#define CMK_PROVIDERS_ADAPTER_KUSTO_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"
#include "providers/lro.h"

typedef struct {
	const char *identity_type;            /* NULL: leave the identity as it is */
	const char *const *user_identities;   /* resource ids, for *UserAssigned */
	size_t user_identity_count;
	const live_key_ref *key;              /* key_version NULL or "": versionless;
					       * user_identity: the identity Kusto
					       * reaches the key with (NULL: system) */
} adapter_kusto_spec;

int adapter_kusto_add(live_state *into, const cJSON *doc) CMK_WUR;

/* GET one; CMK_ENOTFOUND when it does not exist. */
int adapter_kusto_get(live_state *into, arm_client *c, const char *cluster_id) CMK_WUR;

/* Every Kusto cluster of a subscription. */
int adapter_kusto_list(live_state *into, arm_client *c, const char *subscription) CMK_WUR;

/* The PATCH body (*out owned by the caller). */
int adapter_kusto_body(cJSON **out, const adapter_kusto_spec *spec) CMK_WUR;

/* PATCH the cluster (ARM_OP_KUSTO_UPDATE). */
int adapter_kusto_update(arm_op **out, arm_client *c, const char *cluster_id,
			 const adapter_kusto_spec *spec, arm_error **err_out) CMK_WUR;

#endif
