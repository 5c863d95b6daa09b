/*
 * adapter_component.c - Application Insights components and the legacy
 * clusterDefinitionId association (see adapter_component.h).
 */
#include "providers/adapter_component.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "providers/adapter_util.h"

int adapter_component_add(live_state *into, const cJSON *doc)
{
	live_component *cp;
	const cJSON *props = adapter_get(doc, "properties");
	const char *def = adapter_str(props, "clusterDefinitionId");
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "component: the answer is not a resource (no id)");
	if ((cp = ADAPTER_APPEND(into->components, into->component_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup_str(&cp->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&cp->name, doc, "name")) < 0 ||
	    (error = adapter_dup_location(&cp->location, adapter_str(doc, "location"))) < 0 ||
	    (error = adapter_dup(&cp->cluster_definition_id, def && *def ? def : NULL)) < 0)
		return error;
	return 0;
}

int adapter_component_get(live_state *into, arm_client *c, const char *component_id)
{
	cJSON *doc = NULL;
	int error;

	if ((error = adapter_read(&doc, c, component_id, ADAPTER_API_COMPONENTS, ARM_AUD_ARM,
				  component_id)) == 0)
		error = adapter_component_add(into, doc);
	cJSON_Delete(doc);
	return error;
}

static int component__item(void *ud, const cJSON *item)
{
	return adapter_component_add(ud, item);
}

int adapter_component_list(live_state *into, arm_client *c, const char *subscription)
{
	char url[256];

	snprintf(url, sizeof(url), "/subscriptions/%s/providers/Microsoft.Insights/components",
		 subscription);
	return adapter_list(c, url, ADAPTER_API_COMPONENTS, ARM_AUD_ARM, component__item, into);
}

/* Members of ApplicationInsightsComponentProperties the service fills in. */
static const char *const component__read_only[] = {
	"AppId", "ApplicationId", "Name", "InstrumentationKey", "ConnectionString",
	"CreationDate", "TenantId", "provisioningState", "HockeyAppId", "HockeyAppToken",
	"LaMigrationDate", "PrivateLinkScopedResources", "clusterDefinitionId", NULL
};

int adapter_component_body(cJSON **out, const cJSON *current, const char *cluster_definition_id)
{
	cJSON *b = cJSON_CreateObject(), *props, *x;
	const cJSON *m;
	const char *loc = adapter_str(current, "location"), *kind = adapter_str(current, "kind");

	*out = NULL;
	if (!b)
		return cmk_error_oom();
	if (!loc) {
		cJSON_Delete(b);
		return cmk_error_set(CMK_EINVALID, "component: the current state has no location");
	}
	if (!cJSON_AddStringToObject(b, "location", loc) ||
	    !cJSON_AddStringToObject(b, "kind", kind ? kind : "web") ||
	    (props = cJSON_AddObjectToObject(b, "properties")) == NULL)
		goto fail;
	if (cJSON_IsObject(adapter_get(current, "tags"))) {
		if ((x = cJSON_Duplicate(adapter_get(current, "tags"), 1)) == NULL)
			goto fail;
		if (!cJSON_AddItemToObject(b, "tags", x)) {
			cJSON_Delete(x);
			goto fail;
		}
	}
	cJSON_ArrayForEach(m, adapter_get(current, "properties")) {
		bool ro = !m->string;

		for (size_t i = 0; !ro && component__read_only[i]; i++)
			ro = strcasecmp(m->string, component__read_only[i]) == 0;
		if (ro)
			continue;
		if ((x = cJSON_Duplicate(m, 1)) == NULL)
			goto fail;
		if (!cJSON_AddItemToObject(props, m->string, x)) {
			cJSON_Delete(x);
			goto fail;
		}
	}
	if (!cJSON_AddStringToObject(props, "clusterDefinitionId",
				     cluster_definition_id ? cluster_definition_id : ""))
		goto fail;
	*out = b;
	return 0;
fail:
	cJSON_Delete(b);
	return cmk_error_oom();
}

int adapter_component_associate(cJSON **out, arm_client *c, const char *component_id,
				const char *cluster_definition_id, arm_error **err_out)
{
	cJSON *cur = NULL, *body = NULL;
	int error;

	if (out)
		*out = NULL;
	if (err_out)
		*err_out = NULL;
	if ((error = adapter_read(&cur, c, component_id, ADAPTER_API_COMPONENTS_LEGACY, ARM_AUD_ARM,
				  component_id)) < 0 ||
	    (error = adapter_component_body(&body, cur, cluster_definition_id)) < 0)
		goto out;
	error = adapter_write(out, c, "PUT", component_id, ADAPTER_API_COMPONENTS_LEGACY, body,
			      ARM_AUD_ARM, component_id, err_out);
out:
	cJSON_Delete(body);
	cJSON_Delete(cur);
	return error;
}
