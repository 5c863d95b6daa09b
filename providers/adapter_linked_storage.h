/*
 * adapter_linked_storage.h - linked storage accounts of a workspace
 * (workspaces/{ws}/linkedStorageAccounts/{dataSourceType}, 2026-03-01):
 * the storage accounts that hold saved queries (Query) and log alerts
 * (Alerts) under CMK. Synchronous: PUT and DELETE answer 200 with the final
 * state (LRO-TABLE.md).
 */
#ifndef CMK_PROVIDERS_ADAPTER_LINKED_STORAGE_H
#define CMK_PROVIDERS_ADAPTER_LINKED_STORAGE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

/* Append a linkedStorageAccounts item of `workspace_id` to into->linked_storage
 * (the data source type from properties.dataSourceType, else the name). */
int adapter_linked_storage_add(live_state *into, const char *workspace_id,
			       const cJSON *doc) CMK_WUR;

/* Every linked storage account of a workspace (one unpaged list). */
int adapter_linked_storage_list(live_state *into, arm_client *c,
				const char *workspace_id) CMK_WUR;

/* GET one; CMK_ENOTFOUND when the workspace has none of that type. */
int adapter_linked_storage_get(live_state *into, arm_client *c, const char *workspace_id,
			       const char *data_source_type) CMK_WUR;

/* The PUT body {properties: {storageAccountIds: [...]}} (*out owned). */
int adapter_linked_storage_body(cJSON **out, const char *const *storage_accounts,
				size_t count) CMK_WUR;

/* PUT the accounts for a data source type; *out (may be NULL) gets the
 * answer's body (the final state). */
int adapter_linked_storage_put(cJSON **out, arm_client *c, const char *workspace_id,
			       const char *data_source_type,
			       const char *const *storage_accounts, size_t count,
			       arm_error **err_out) CMK_WUR;

/* DELETE the link of a data source type (absent is success). */
int adapter_linked_storage_delete(arm_client *c, const char *workspace_id,
				  const char *data_source_type, arm_error **err_out) CMK_WUR;

#endif
