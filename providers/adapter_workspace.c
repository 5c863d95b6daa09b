/*
 * adapter_workspace.c - Log Analytics workspaces into the live model (see
 * adapter_workspace.h).
 */
#include "providers/adapter_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/adapter_util.h"

int adapter_workspace_add(live_state *into, const cJSON *doc)
{
	live_workspace *ws;
	const cJSON *props = adapter_get(doc, "properties");
	const char *cluster = adapter_str(props, "features.clusterResourceId");
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "workspace: the answer is not a resource (no id)");
	if ((ws = ADAPTER_APPEND(into->workspaces, into->workspace_count)) == NULL)
		return CMK_ENOMEM;
	ws->link_operations_30d = -1;
	if ((error = adapter_dup_str(&ws->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&ws->name, doc, "name")) < 0 ||
	    (error = adapter_dup_location(&ws->location, adapter_str(doc, "location"))) < 0 ||
	    (error = adapter_dup_str(&ws->customer_id, props, "customerId")) < 0 ||
	    /* "" reads as unlinked, like null */
	    (error = adapter_dup(&ws->cluster_resource_id, cluster && *cluster ? cluster : NULL)) < 0)
		return error;
	return 0;
}

int adapter_workspace_get(live_state *into, arm_client *c, const char *workspace_id)
{
	cJSON *doc = NULL;
	int error;

	if ((error = adapter_read(&doc, c, workspace_id, ADAPTER_API_LA, ARM_AUD_ARM,
				  workspace_id)) == 0)
		error = adapter_workspace_add(into, doc);
	cJSON_Delete(doc);
	return error;
}

static int workspace__item(void *ud, const cJSON *item)
{
	return adapter_workspace_add(ud, item);
}

int adapter_workspace_list(live_state *into, arm_client *c, const char *subscription)
{
	char url[256];

	snprintf(url, sizeof(url),
		 "/subscriptions/%s/providers/Microsoft.OperationalInsights/workspaces", subscription);
	return adapter_list(c, url, ADAPTER_API_LA, ARM_AUD_ARM, workspace__item, into);
}

int adapter_workspace_list_of(live_state *into, arm_client *c, const char *const *workspace_ids, size_t n,
			      size_t *lists)
{
	char (*subs)[128] = NULL;
	size_t nsubs = 0;
	int error = 0;

	if (lists)
		*lists = 0;
	if (n == 0)
		return 0;
	if ((subs = calloc(n, sizeof(*subs))) == NULL)
		return cmk_error_oom();
	for (size_t k = 0; k < n; k++) {
		char sub[128];
		bool known = false;

		if (adapter_subscription_of(sub, sizeof(sub), workspace_ids[k]) < 0)
			continue;
		for (size_t j = 0; j < nsubs && !known; j++)
			known = strcasecmp(subs[j], sub) == 0;
		if (known)
			continue;
		memcpy(subs[nsubs++], sub, sizeof(sub));
		if ((error = adapter_workspace_list(into, c, sub)) < 0)
			break;
		if (lists)
			(*lists)++;
	}
	free(subs);
	return error;
}
