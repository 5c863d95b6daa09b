/*
 * adapter_linked_storage.c - linked storage accounts of a workspace (see
 * adapter_linked_storage.h).
 */
#include "providers/adapter_linked_storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/adapter_util.h"

int adapter_linked_storage_add(live_state *into, const char *workspace_id, const cJSON *doc)
{
	live_linked_storage *ls;
	const cJSON *ids, *x;
	const char *type = adapter_str(doc, "properties.dataSourceType");
	int error;

	if (!type)
		type = adapter_str(doc, "name");
	if (!cJSON_IsObject(doc) || !type)
		return cmk_error_set(CMK_EINVALID, "linked storage account of %s: the answer names "
				     "no data source type", workspace_id);
	if ((ls = ADAPTER_APPEND(into->linked_storage, into->linked_storage_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup(&ls->workspace_id, workspace_id)) < 0 ||
	    (error = adapter_dup(&ls->data_source_type, type)) < 0)
		return error;
	ids = adapter_path(doc, "properties.storageAccountIds");
	if (!cJSON_IsArray(ids) || !ids->child)
		return 0;
	if ((ls->storage_accounts = calloc((size_t)cJSON_GetArraySize(ids), sizeof(char *))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(x, ids) {
		if (!cJSON_IsString(x))
			continue;
		if ((ls->storage_accounts[ls->storage_account_count] = strdup(x->valuestring)) == NULL)
			return cmk_error_oom();
		ls->storage_account_count++;
	}
	return 0;
}

static int lsa__url(char **out, const char *workspace_id, const char *type)
{
	size_t n = strlen(workspace_id);

	while (n && workspace_id[n - 1] == '/')
		n--;
	if (asprintf(out, "%.*s/linkedStorageAccounts%s%s", (int)n, workspace_id, type ? "/" : "",
		     type ? type : "") < 0) {
		*out = NULL;
		return cmk_error_oom();
	}
	return 0;
}

typedef struct {
	live_state *into;
	const char *workspace_id;
} lsa__ctx;

static int lsa__item(void *ud, const cJSON *item)
{
	lsa__ctx *x = ud;

	return adapter_linked_storage_add(x->into, x->workspace_id, item);
}

int adapter_linked_storage_list(live_state *into, arm_client *c, const char *workspace_id)
{
	lsa__ctx x = { into, workspace_id };
	char *url = NULL;
	int error;

	if ((error = lsa__url(&url, workspace_id, NULL)) < 0)
		return error;
	error = adapter_list(c, url, ADAPTER_API_LA, ARM_AUD_ARM, lsa__item, &x);
	free(url);
	return error;
}

int adapter_linked_storage_get(live_state *into, arm_client *c, const char *workspace_id,
			       const char *data_source_type)
{
	cJSON *doc = NULL;
	char *url = NULL;
	int error;

	if ((error = lsa__url(&url, workspace_id, data_source_type)) < 0)
		return error;
	if ((error = adapter_read(&doc, c, url, ADAPTER_API_LA, ARM_AUD_ARM, url)) == 0)
		error = adapter_linked_storage_add(into, workspace_id, doc);
	cJSON_Delete(doc);
	free(url);
	return error;
}

int adapter_linked_storage_body(cJSON **out, const char *const *storage_accounts, size_t count)
{
	cJSON *b = cJSON_CreateObject(), *props, *ids;

	*out = NULL;
	if (!b || (props = cJSON_AddObjectToObject(b, "properties")) == NULL ||
	    (ids = cJSON_AddArrayToObject(props, "storageAccountIds")) == NULL)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		cJSON *s = cJSON_CreateString(storage_accounts[i]);

		if (!s || !cJSON_AddItemToArray(ids, s)) {
			cJSON_Delete(s);
			goto fail;
		}
	}
	*out = b;
	return 0;
fail:
	cJSON_Delete(b);
	return cmk_error_oom();
}

int adapter_linked_storage_put(cJSON **out, arm_client *c, const char *workspace_id,
			       const char *data_source_type,
			       const char *const *storage_accounts, size_t count,
			       arm_error **err_out)
{
	cJSON *body = NULL;
	char *url = NULL;
	int error;

	if (out)
		*out = NULL;
	if (count == 0)
		return cmk_error_set(CMK_EINVALID, "linked storage %s of %s: at least one storage "
				     "account is required", data_source_type, workspace_id);
	if ((error = lsa__url(&url, workspace_id, data_source_type)) < 0 ||
	    (error = adapter_linked_storage_body(&body, storage_accounts, count)) < 0)
		goto out;
	error = adapter_write(out, c, "PUT", url, ADAPTER_API_LA, body, ARM_AUD_ARM, url, err_out);
out:
	cJSON_Delete(body);
	free(url);
	return error;
}

int adapter_linked_storage_delete(arm_client *c, const char *workspace_id,
				  const char *data_source_type, arm_error **err_out)
{
	char *url = NULL;
	int error;

	if ((error = lsa__url(&url, workspace_id, data_source_type)) < 0)
		return error;
	error = adapter_write(NULL, c, "DELETE", url, ADAPTER_API_LA, NULL, ARM_AUD_ARM, url, err_out);
	free(url);
	return error;
}
