/*
 * adapter_identity.h - user-assigned managed identities
 * (Microsoft.ManagedIdentity/userAssignedIdentities, 2026-05-31): read into
 * live_user_identity, and created (PUT {location, tags}; synchronous, the
 * answer carries the new principalId and clientId).
 */
#ifndef CMK_PROVIDERS_ADAPTER_IDENTITY_H
#define CMK_PROVIDERS_ADAPTER_IDENTITY_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

int adapter_identity_add(live_state *into, const cJSON *doc) CMK_WUR;

/* GET one; CMK_ENOTFOUND when it does not exist. */
int adapter_identity_get(live_state *into, arm_client *c, const char *identity_id) CMK_WUR;

/* Every user-assigned identity of a subscription. */
int adapter_identity_list(live_state *into, arm_client *c, const char *subscription) CMK_WUR;

/* The PUT body {location, tags} (*out owned by the caller). */
int adapter_identity_body(cJSON **out, const char *location, const live_tags *tags) CMK_WUR;

/* Create (or update the tags of) an identity and append what the service
 * answered to `into` (may be NULL). */
int adapter_identity_create(live_state *into, arm_client *c, const char *identity_id,
			    const char *location, const live_tags *tags,
			    arm_error **err_out) CMK_WUR;

/* adapter_identity_create, answering a read-back of what the service made:
 * {"principalId", "clientId"} (*readback NULL when the answer had no
 * identity; owned by the caller). */
int adapter_identity_put(cJSON **readback, arm_client *c, const char *identity_id,
			 const char *location, const live_tags *tags, arm_error **err_out) CMK_WUR;

#endif
