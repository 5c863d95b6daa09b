/*
 * la_messages.c - the one table of the errors armsim's Log Analytics
 * provider answers: ARM error code, HTTP status, text and source.
 *
 * Sources: 000/001/003 are the seeds (2020-02, 2020-11, 2021-01; seed 003's
 * "Error messages" section is quoted verbatim, including its ’ and its "in
 * progress ." spacing); "limit" marks a limit the seeds state as a sentence
 * rather than an error message; "armsim" marks armsim's wording of a
 * documented constraint whose service text was not found; "ARM" marks Azure
 * Resource Manager's own messages. Error codes are not documented by the
 * seeds: the service answers with HTTP names (BadRequest, Conflict,
 * ResourceNotFound). Texts with printf conversions list their arguments.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "http.h"
#include "la_internal.h"

static const la_msg_entry g_msgs[] = {
	{ LA_OK, "", 200, "", "" },
	{ LA_M_NAME, "BadRequest", 400,
	  "Cluster name is not valid. Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63.",
	  "003" },
	{ LA_M_BODY, "BadRequest", 400, "The body of the request is null or in bad format.", "003" },
	{ LA_M_SKU_NAME, "BadRequest", 400, "SKU name is invalid. Set SKU name to capacityReservation.", "003" },
	{ LA_M_SKU_NOT_CR, "BadRequest", 400,
	  "Capacity was provided but SKU is not capacityReservation. Set SKU name to capacityReservation.", "003" },
	{ LA_M_SKU_NO_CAP, "BadRequest", 400,
	  "Missing Capacity in SKU. Set Capacity value to 1000 or higher in steps of 100 (GB).", "003" },
	{ LA_M_SKU_RANGE, "BadRequest", 400,
	  "Capacity in SKU is not in range. Should be minimum 1000 and up to the max allowed capacity "
	  "which is available under \u2018Usage and estimated cost\u2019 in your workspace.", "003" },
	{ LA_M_CAP_LOCK, "BadRequest", 400,
	  "Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update.", "003" },
	{ LA_M_NO_SKU, "BadRequest", 400,
	  "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 1000 or higher "
	  "in steps of 100 (GB).", "003" },
	{ LA_M_IDENTITY, "BadRequest", 400, "Identity is null or empty. Set Identity with systemAssigned type.",
	  "003" },
	{ LA_M_KVP_CREATE, "BadRequest", 400,
	  "KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation.", "003" },
	{ LA_M_OP_CREATE, "BadRequest", 400,
	  "Operation cannot be executed now. Async operation is in a state other than succeeded. "
	  "Cluster must complete its operation before any update operation is performed.", "003" },
	{ LA_M_DELETING_PUT, "BadRequest", 400,
	  "Cluster is in deleting state. Async operation is in progress . Cluster must complete "
	  "its operation before any update operation is performed.", "003" },
	{ LA_M_KVP_FORMAT, "BadRequest", 400,
	  "KeyVaultProperties is not empty but has a bad format. See key identifier update.", "003" },
	{ LA_M_KEY_VALIDATE, "BadRequest", 400,
	  "Failed to validate key in Key Vault. Could be due to lack of permissions or when key "
	  "doesn\u2019t exist. Verify that you set key and access policy in Key Vault.", "003" },
	{ LA_M_KEY_RECOVER, "BadRequest", 400,
	  "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection. "
	  "See Key Vault documentation", "003" },
	{ LA_M_OP_UPDATE, "BadRequest", 400,
	  "Operation cannot be executed now. Wait for the Async operation to complete and try again.", "003" },
	{ LA_M_DELETING_UPDATE, "BadRequest", 400,
	  "Cluster is in deleting state. Wait for the Async operation to complete and try again.", "003" },
	{ LA_M_CLUSTER_404, "ResourceNotFound", 404,
	  "Cluster not found, the cluster may have been deleted. If you try to create a cluster with "
	  "that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to "
	  "recover it, or use another name to create a new cluster.", "003" },
	{ LA_M_DELETE_409, "Conflict", 409,
	  "Can't delete a cluster while in provisioning state. Wait for the Async operation to "
	  "complete and try again.", "003" },
	{ LA_M_WS_404, "ResourceNotFound", 404,
	  "Workspace not found. The workspace you specified doesn\u2019t exist or was deleted.", "003" },
	{ LA_M_LINK_409, "Conflict", 409, "Workspace link or unlink operation in process.", "003" },
	{ LA_M_LINK_CLUSTER, "BadRequest", 400,
	  "Cluster not found, the cluster you specified doesn\u2019t exist or was deleted. If you "
	  "try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. "
	  "You can contact support to recover it.", "003" },
	{ LA_M_LINK_BUDGET, "BadRequest", 400,
	  "The number of workspace link operations on particular workspace is limited to 2 in a "
	  "period of 30 days.", "limit 003" },
	{ LA_M_LINK_MAX, "BadRequest", 400,
	  "The maximum number of workspaces that can be linked to a cluster is 1000.", "limit 001/003" },
	{ LA_M_DOUBLE_ENC, "BadRequest", 400,
	  "Double encryption setting can not be changed after the cluster has been created.", "limit 003" },
	{ LA_M_CLUSTER_TYPE, "BadRequest", 400, "The Cluster resource type can\u2019t be altered.", "limit 000" },
	/* (identity id) */
	{ LA_M_UAI_MISSING, "BadRequest", 400,
	  "The user assigned identity '%s' was not found. Create it before the cluster.", "armsim" },
	/* (identity type) */
	{ LA_M_IDENTITY_TYPE, "BadRequest", 400,
	  "Identity type '%s' is not supported. Set Identity with systemAssigned type "
	  "or userAssigned type.", "armsim, 003" },
	/* (vault, vault region, cluster region) */
	{ LA_M_KEY_REGION, "BadRequest", 400,
	  "Key Vault '%s' is in region '%s' and the cluster in '%s'. Your Azure Key Vault, cluster and "
	  "linked Log Analytics workspaces must be in the same region.", "armsim, 001/003" },
	/* (vault, vault tenant, identity tenant) */
	{ LA_M_KEY_TENANT, "BadRequest", 400,
	  "Key Vault '%s' is in tenant '%s' and the cluster's identity in '%s'. Your Azure Key Vault, "
	  "cluster and workspaces must be in the same Azure Active Directory (Azure AD) tenant.",
	  "armsim, 001/003" },
	/* (name, current location, resource group, requested location) */
	{ LA_M_LOCATION_MOVED, "InvalidResourceLocation", 400,
	  "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
	  "with the same name cannot be created in location '%s'. Please select a new resource name.", "ARM" },
	{ LA_M_LOCATION_REQUIRED, "LocationRequired", 400,
	  "The location property is required for this definition.", "ARM" },
	/* (billingType) */
	{ LA_M_BILLING_TYPE, "BadRequest", 400,
	  "The billingType '%s' is not valid. Set billingType to Cluster or Workspaces.", "armsim, armspec" },
	/* (name, purge date) */
	{ LA_M_SOFT_DELETED, "Conflict", 409,
	  "A cluster named '%s' was deleted in the last 14 days and is in the soft-delete period: "
	  "the cluster name remains reserved until %s. Use another name to create a new cluster, "
	  "or contact support to recover it.", "armsim, 001/003" },
	/* (limit, subscription, limit, region) */
	{ LA_M_MAX_CLUSTERS, "BadRequest", 400,
	  "The max number of cluster per region and subscription is %d. Subscription '%s' "
	  "already has %d clusters in region '%s'.", "001/003" },
	/* (workspace, provisioningState) */
	{ LA_M_WS_BUSY, "Conflict", 409,
	  "Workspace '%s' has an operation in progress (provisioningState %s). Wait for it to complete.",
	  "armsim" },
	/* (current cluster id) */
	{ LA_M_LINK_OTHER, "BadRequest", 400,
	  "Workspace link to cluster failed: the workspace is linked to another cluster ('%s'). "
	  "Unlink it first.", "armsim, 001/003" },
	/* (workspace region, cluster region) */
	{ LA_M_LINK_REGION, "BadRequest", 400,
	  "Workspace region '%s' differs from cluster region '%s'. Your Azure Key Vault, cluster "
	  "and linked Log Analytics workspaces must be in the same region.", "armsim, 003" },
	/* (dataSourceType) */
	{ LA_M_LSA_TYPE, "BadRequest", 400,
	  "The dataSourceType '%s' is not valid. Valid values are CustomLogs, AzureWatson, Query, "
	  "Alerts, Ingestion.", "armsim, armspec" },
	/* (storage account id) */
	{ LA_M_SA_MISSING, "BadRequest", 400, "Storage account '%s' was not found.", "armsim" },
	/* (storage account id, its region, workspace region) */
	{ LA_M_SA_REGION, "BadRequest", 400,
	  "Storage account '%s' is in region '%s' and the workspace in '%s'. Create your "
	  "Storage Account in the same region as your Log Analytics workspace.", "armsim, 001/003" },
	{ LA_M_OOM, "InternalServerError", 500, "armsim: out of memory", "armsim" },
};

_Static_assert(sizeof g_msgs / sizeof g_msgs[0] == LA_M_COUNT, "one entry per la_msg");

const la_msg_entry *la_msg_get(la_msg id)
{
	assert(id >= 0 && id < LA_M_COUNT && g_msgs[id].id == id);
	return &g_msgs[id];
}

static const char *la__vformat(char *buf, size_t len, la_msg id, va_list ap)
{
	/* the table's texts are the formats (see the argument lists above) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(buf, len, la_msg_get(id)->text, ap);
#pragma GCC diagnostic pop
	return buf;
}

const char *la_msg_format(char *buf, size_t len, la_msg id, ...)
{
	va_list ap;
	va_start(ap, id);
	la__vformat(buf, len, id, ap);
	va_end(ap);
	return buf;
}

void la_fail_text(sim_resp *resp, la_msg id, const char *text)
{
	const la_msg_entry *e = la_msg_get(id);
	resp_arm_error(resp, e->status, e->code, "%s", text);
}

void la_fail(sim_resp *resp, la_msg id, ...)
{
	char msg[4096]; /* the size resp_arm_error formats into */
	va_list ap;
	va_start(ap, id);
	la__vformat(msg, sizeof msg, id, ap);
	va_end(ap);
	la_fail_text(resp, id, msg);
}
