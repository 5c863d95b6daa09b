/*
 * adapter_identity.c - user-assigned managed identities (see
 * adapter_identity.h).
 */
#include "providers/adapter_identity.h"

#include <stdio.h>

#include "providers/adapter_util.h"

int adapter_identity_add(live_state *into, const cJSON *doc)
{
	live_user_identity *id;
	const cJSON *props = adapter_get(doc, "properties");
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "identity: the answer is not a resource (no id)");
	if ((id = ADAPTER_APPEND(into->identities, into->identity_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup_str(&id->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&id->name, doc, "name")) < 0 ||
	    (error = adapter_dup_location(&id->location, adapter_str(doc, "location"))) < 0 ||
	    (error = adapter_dup_str(&id->principal_id, props, "principalId")) < 0 ||
	    (error = adapter_dup_str(&id->client_id, props, "clientId")) < 0 ||
	    (error = adapter_dup_str(&id->tenant_id, props, "tenantId")) < 0 ||
	    (error = adapter_tags_parse(&id->tags, adapter_get(doc, "tags"))) < 0)
		return error;
	return 0;
}

int adapter_identity_get(live_state *into, arm_client *c, const char *identity_id)
{
	cJSON *doc = NULL;
	int error;

	if ((error = adapter_read(&doc, c, identity_id, ADAPTER_API_MSI, ARM_AUD_ARM,
				  identity_id)) == 0)
		error = adapter_identity_add(into, doc);
	cJSON_Delete(doc);
	return error;
}

static int identity__item(void *ud, const cJSON *item)
{
	return adapter_identity_add(ud, item);
}

int adapter_identity_list(live_state *into, arm_client *c, const char *subscription)
{
	char url[256];

	snprintf(url, sizeof(url),
		 "/subscriptions/%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
		 subscription);
	return adapter_list(c, url, ADAPTER_API_MSI, ARM_AUD_ARM, identity__item, into);
}

int adapter_identity_body(cJSON **out, const char *location, const live_tags *tags)
{
	cJSON *b = cJSON_CreateObject(), *t;

	*out = NULL;
	if (!location || !*location) {
		cJSON_Delete(b);
		return cmk_error_set(CMK_EINVALID, "identity: a location is required");
	}
	if (!b || !cJSON_AddStringToObject(b, "location", location) ||
	    (t = adapter_tags_json(tags)) == NULL)
		goto fail;
	if (!cJSON_AddItemToObject(b, "tags", t)) {
		cJSON_Delete(t);
		goto fail;
	}
	*out = b;
	return 0;
fail:
	cJSON_Delete(b);
	return cmk_error_oom();
}

int adapter_identity_create(live_state *into, arm_client *c, const char *identity_id,
			    const char *location, const live_tags *tags, arm_error **err_out)
{
	cJSON *body = NULL, *doc = NULL;
	int error;

	if ((error = adapter_identity_body(&body, location, tags)) < 0)
		return error;
	if ((error = adapter_write(&doc, c, "PUT", identity_id, ADAPTER_API_MSI, body, ARM_AUD_ARM,
				   identity_id, err_out)) == 0 && into) {
		if (doc)
			error = adapter_identity_add(into, doc);
		else
			error = cmk_error_set(CMK_ERROR, "identity %s: created, but the answer had "
					      "no body", identity_id);
	}
	cJSON_Delete(doc);
	cJSON_Delete(body);
	return error;
}

int adapter_identity_put(cJSON **readback, arm_client *c, const char *identity_id,
			 const char *location, const live_tags *tags, arm_error **err_out)
{
	live_state made = { 0 };
	int error;

	*readback = NULL;
	if ((error = adapter_identity_create(&made, c, identity_id, location, tags, err_out)) == 0 &&
	    made.identity_count && (*readback = cJSON_CreateObject()) != NULL) {
		if (made.identities[0].principal_id)
			cJSON_AddStringToObject(*readback, "principalId", made.identities[0].principal_id);
		if (made.identities[0].client_id)
			cJSON_AddStringToObject(*readback, "clientId", made.identities[0].client_id);
	}
	live_state_free(&made);
	return error;
}
