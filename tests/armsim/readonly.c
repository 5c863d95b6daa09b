/*
 * readonly.c - read-only members in ARM write bodies (see readonly.h).
 * Paths are dotted, case-insensitive; "*" matches any member name (the
 * keys of identity.userAssignedIdentities).
 */
#include "readonly.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "reqlog.h"
#include "util.h"

typedef struct ro_member {
	const char *path;
	bool refuse; /* the service answers 400 rather than ignoring it */
} ro_member;

typedef struct ro_type {
	const char *type;
	const ro_member *members;
} ro_type;

#define MSI_MEMBERS                                                                       \
	{ "identity.principalId", false }, { "identity.tenantId", false },                \
	{ "identity.userAssignedIdentities.*.principalId", false },                       \
	{ "identity.userAssignedIdentities.*.clientId", false }

/* Clusters.json 2026-03-01 readOnly marks, plus associatedWorkspaces, which
 * ARM refuses in a PUT (reported by the client authors; the seeds give no
 * message). */
static const ro_member la_cluster[] = {
	{ "properties.associatedWorkspaces", true },
	{ "properties.clusterId", false }, { "properties.provisioningState", false },
	{ "properties.createdDate", false }, { "properties.lastModifiedDate", false },
	{ "properties.capacityReservationProperties.lastSkuUpdate", false },
	{ "properties.capacityReservationProperties.minCapacity", false },
	{ "properties.replication.provisioningState", false },
	{ "properties.replication.createdDate", false },
	{ "properties.replication.lastModifiedDate", false },
	MSI_MEMBERS, { NULL, false }
};

static const ro_member la_workspace[] = {
	{ "properties.provisioningState", false }, { "properties.customerId", false },
	{ "properties.sku.lastSkuUpdate", false },
	{ "properties.workspaceCapping.quotaNextResetTime", false },
	{ "properties.workspaceCapping.dataIngestionStatus", false },
	{ "properties.createdDate", false }, { "properties.modifiedDate", false },
	{ "properties.privateLinkScopedResources", false },
	{ "properties.features.clusterResourceId", false },
	{ "properties.features.unifiedSentinelBillingOnly", false },
	{ "properties.features.associations", false },
	{ "properties.replication.provisioningState", false },
	{ "properties.replication.createdDate", false },
	{ "properties.replication.lastModifiedDate", false },
	{ "properties.failover.state", false }, { "properties.failover.lastModifiedDate", false },
	MSI_MEMBERS, { NULL, false }
};

static const ro_member la_storage[] = {
	{ "properties.dataSourceType", false }, { NULL, false }
};

static const ro_member kv_vault[] = {
	{ "properties.hsmPoolResourceId", false },
	{ "properties.privateEndpointConnections", false }, { NULL, false }
};

static const ro_member msi_uai[] = {
	{ "properties.tenantId", false }, { "properties.principalId", false },
	{ "properties.clientId", false }, { NULL, false }
};

static const ro_member kusto_cluster[] = {
	{ "properties.state", false }, { "properties.provisioningState", false },
	{ "properties.uri", false }, { "properties.dataIngestionUri", false },
	{ "properties.stateReason", false }, { "properties.privateEndpointConnections", false },
	{ "properties.migrationCluster", false },
	MSI_MEMBERS, { NULL, false }
};

static const ro_member ai_component[] = {
	{ "properties.ApplicationId", false }, { "properties.AppId", false },
	{ "properties.Name", false }, { "properties.InstrumentationKey", false },
	{ "properties.CreationDate", false }, { "properties.TenantId", false },
	{ "properties.HockeyAppToken", false }, { "properties.provisioningState", false },
	{ "properties.ConnectionString", false }, { "properties.LaMigrationDate", false },
	{ "properties.PrivateLinkScopedResources", false }, { NULL, false }
};

static const ro_type g_types[] = {
	{ "Microsoft.OperationalInsights/clusters", la_cluster },
	{ "Microsoft.OperationalInsights/workspaces", la_workspace },
	{ "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts", la_storage },
	{ "Microsoft.KeyVault/vaults", kv_vault },
	{ "Microsoft.ManagedIdentity/userAssignedIdentities", msi_uai },
	{ "Microsoft.Kusto/clusters", kusto_cluster },
	{ "Microsoft.Insights/components", ai_component },
	{ NULL, NULL }
};

/* Does `path` (dotted, "*" wildcards) name a non-null member under o?
 * The first match's concrete path goes to out. */
static bool readonly__find(char *out, size_t outlen, const cJSON *o, const char *path)
{
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);
	char seg[128];
	snprintf(seg, sizeof seg, "%.*s", (int)n, path);
	if (!cJSON_IsObject(o))
		return false;
	for (const cJSON *c = o->child; c; c = c->next) {
		if (strcmp(seg, "*") && !sim_streq_ci(seg, c->string))
			continue;
		if (!dot) {
			if (cJSON_IsNull(c))
				continue;
			snprintf(out, outlen, "%s", c->string);
			return true;
		}
		char rest[512];
		if (readonly__find(rest, sizeof rest, c, dot + 1)) {
			snprintf(out, outlen, "%s.%s", c->string, rest);
			return true;
		}
	}
	return false;
}

/* The path names the resource itself: ".../{type's last segment}/{name}"
 * (not a nested route such as vaults/{v}/accessPolicies/{kind}). */
static bool readonly__is_resource_path(const char *path, const char *type)
{
	const char *last = strrchr(type, '/');
	const char *end = path + strlen(path);
	while (end > path && end[-1] == '/')
		end--;
	const char *p = end;
	while (p > path && p[-1] != '/')
		p--; /* p: start of {name} */
	if (p <= path)
		return false;
	const char *q = p - 1;
	while (q > path && q[-1] != '/')
		q--;
	size_t n = (size_t)(p - 1 - q);
	return last && strlen(last + 1) == n && !strncasecmp(q, last + 1, n);
}

bool readonly_check(const sim_req *req, sim_resp *resp)
{
	if (!req->json || !req->resource_type ||
	    (strcasecmp(req->method, "PUT") && strcasecmp(req->method, "PATCH")))
		return true;
	const ro_type *t = NULL;
	for (int i = 0; g_types[i].type && !t; i++)
		if (sim_streq_ci(g_types[i].type, req->resource_type))
			t = &g_types[i];
	if (!t || !readonly__is_resource_path(req->path, t->type))
		return true;
	char found[512];
	/* a refused member refuses the request before anything is recorded */
	for (const ro_member *m = t->members; m->path; m++) {
		if (!m->refuse || !readonly__find(found, sizeof found, req->json, m->path))
			continue;
		resp_arm_error_target(resp, 400, "InvalidParameter", m->path,
				      "The property '%s' is read-only and cannot be set in a %s "
				      "request. Remove it from the request body.",
				      m->path, req->method);
		return false;
	}
	for (const ro_member *m = t->members; m->path; m++)
		if (!m->refuse && readonly__find(found, sizeof found, req->json, m->path))
			hazard_record("read_only_member_sent", req->path,
				      "%s body sets read-only member '%s'", req->method, found);
	return true;
}
