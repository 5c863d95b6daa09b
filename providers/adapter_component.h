/*
 * adapter_component.h - Application Insights components
 * (Microsoft.Insights/components) and their legacy association with a Log
 * Analytics cluster of clusterType ApplicationInsights (seed 000:
 * properties.clusterDefinitionId = the cluster's clusterId, api-version
 * 2015-05-01).
 *
 * Reads use 2020-02-02. The association is a PUT of the whole component
 * (the API has no PATCH of properties): the adapter GETs it at 2015-05-01,
 * keeps its settable members, drops every read-only one (AppId,
 * ApplicationId, InstrumentationKey, ConnectionString, CreationDate,
 * TenantId, provisioningState, HockeyAppId, HockeyAppToken, ...), sets
 * clusterDefinitionId and PUTs it back. Synchronous.
 */
#ifndef CMK_PROVIDERS_ADAPTER_COMPONENT_H
#define CMK_PROVIDERS_ADAPTER_COMPONENT_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

int adapter_component_add(live_state *into, const cJSON *doc) CMK_WUR;

/* GET one; CMK_ENOTFOUND when it does not exist. */
int adapter_component_get(live_state *into, arm_client *c, const char *component_id) CMK_WUR;

/* Every component of a subscription. */
int adapter_component_list(live_state *into, arm_client *c, const char *subscription) CMK_WUR;

/* The PUT body for `current` (a GET answer) with clusterDefinitionId set to
 * `cluster_definition_id` ("" dissociates); *out owned by the caller. */
int adapter_component_body(cJSON **out, const cJSON *current,
			   const char *cluster_definition_id) CMK_WUR;

/* Associate (or with "" dissociate) the component; *out (may be NULL) gets
 * the answer. */
int adapter_component_associate(cJSON **out, arm_client *c, const char *component_id,
				const char *cluster_definition_id, arm_error **err_out) CMK_WUR;

#endif
