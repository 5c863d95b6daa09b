/*
 * res_kusto.c - Microsoft.Kusto/clusters (Azure Data Explorer): PUT, PATCH,
 * DELETE as long-running operations on the virtual clock, GET, list by
 * resource group and subscription, and the locations/operationResults
 * status URL, with the customer-managed-key rules of the ADX CMK doc
 * (seed 002):
 *   - only RSA keys of size 2048;
 *   - the vault must have Soft Delete and Do Not Purge (purge protection);
 *   - cluster and vault in the same region;
 *   - not on leader or follower clusters;
 *   - the cluster's identity (system- or user-assigned, keyVaultProperties.
 *     userIdentity) needs get, wrapKey and unwrapKey on the key;
 *   - no keyVersion = "always use current key version": the cluster tracks
 *     the key's latest version (sim.keyVersionInUse follows rotations);
 *   - keyVaultProperties with empty strings removes the key.
 * The seeds document these rules but not the service's error texts; the
 * messages below say what the doc says, with code BadRequest.
 *
 * Wire quirks seen in real traffic (armspec README): PUT answers 201 with
 * Azure-AsyncOperation only and an empty etag; status polls say "Running"
 * with percentComplete; locations come back as display names ("East US"),
 * and the Azure-AsyncOperation URL carries that name with a raw space where
 * the Location URL has %20.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "auth.h"
#include "lro.h"
#include "router.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define T_KUSTO "Microsoft.Kusto/clusters"
#define T_ATTACHED "Microsoft.Kusto/clusters/attachedDatabaseConfigurations"
#define T_MSI "Microsoft.ManagedIdentity/userAssignedIdentities"

static const char *const kusto_versions[] = {
	"2017-09-07-privatepreview", "2018-09-07-preview", "2019-01-21", "2019-05-15", "2019-09-07",
	"2019-11-09", "2020-02-15", "2020-06-14", "2020-09-18", "2021-01-01", "2021-08-27",
	"2022-02-01", "2022-07-07", "2022-11-11", "2022-12-29", "2023-05-02", "2023-08-15",
	"2024-04-13", NULL
};

/* "eastus" or "East US" -> "East US" (unknown names are kept). */
static const char *kusto__display(const char *loc)
{
	const char *d = router_location_display(loc);
	return d ? d : loc;
}

static bool kusto__known_region(const char *loc)
{
	return router_location_display(loc) != NULL;
}

static void kusto__id(char *out, size_t len, const sim_req *req)
{
	arm_resource_id(out, len, req->cap[0], req->cap[1], T_KUSTO, req->cap[2]);
}

/* The served form: Kusto spells its type "Microsoft.Kusto/Clusters". */
static cJSON *kusto_render(const sim_res *res, const char *api_version)
{
	(void)api_version;
	cJSON *d = cJSON_Duplicate(res->doc, 1);
	char id[1024];
	snprintf(id, sizeof id, "%s", res->id);
	char low[1024];
	sim_lower(low, sizeof low, id);
	char *p = strstr(low, "/providers/microsoft.kusto/clusters/");
	if (p)
		memcpy(id + (p - low), "/providers/Microsoft.Kusto/Clusters/", strlen("/providers/Microsoft.Kusto/Clusters/"));
	sim_json_set_str(d, "id", id);
	sim_json_set_str(d, "type", "Microsoft.Kusto/Clusters");
	return d;
}

static void kusto__etag(cJSON *doc)
{
	char g[37], e[64];
	sim_guid(g);
	snprintf(e, sizeof e, "\"%s\"", g);
	sim_json_set_str(doc, "etag", e);
}

/* Is the cluster a leader (another cluster follows one of its databases)? */
static bool kusto__is_leader(const sim_res *c)
{
	if (cJSON_IsTrue(sim_json_get(c->sim, "leader")))
		return true;
	sim_res **arr;
	bool leader = false;
	size_t n = store_list(&arr, T_ATTACHED, NULL);
	for (size_t i = 0; i < n && !leader; i++)
		leader = sim_streq_ci(sim_json_str(arr[i]->doc, "properties.clusterResourceId"), c->id);
	free(arr);
	return leader;
}

/* Identity of a request merged over the cluster's: fill principals of
 * system-assigned identities (made once) and of user-assigned ones (from
 * the identity resources). Returns false with resp set when a user-assigned
 * identity does not exist. */
static bool kusto__identity(sim_resp *resp, cJSON *doc, const cJSON *want, const char *cluster_id,
			    const cJSON *prev)
{
	const char *type = sim_json_str(want, "type");
	if (!type)
		return true;
	char lt[128];
	sim_lower(lt, sizeof lt, type);
	bool sys = strstr(lt, "systemassigned") != NULL, user = strstr(lt, "userassigned") != NULL;
	if (!sys && !user && strcmp(lt, "none")) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The identity type '%s' is not supported. Supported types are 'None', 'SystemAssigned', "
			       "'UserAssigned' and 'SystemAssigned, UserAssigned'.", type);
		return false;
	}
	cJSON *id = cJSON_CreateObject();
	cJSON_AddStringToObject(id, "type", sys && user ? "SystemAssigned, UserAssigned"
					    : sys ? "SystemAssigned" : user ? "UserAssigned" : "None");
	if (sys) {
		const char *pid = sim_json_str(prev, "principalId");
		sim_principal *p = pid ? auth_principal_by_object_id(pid) : NULL;
		if (!p)
			p = auth_principal_new_msi(auth_default_tenant(), cluster_id);
		if (!p) {
			cJSON_Delete(id);
			resp_arm_error(resp, 500, "InternalServerError", "The identity could not be created.");
			return false;
		}
		cJSON_AddStringToObject(id, "tenantId", p->tenant_id);
		cJSON_AddStringToObject(id, "principalId", p->object_id);
	}
	cJSON *uais = cJSON_AddObjectToObject(id, "userAssignedIdentities");
	if (user) {
		const cJSON *u;
		cJSON_ArrayForEach(u, sim_json_get(want, "userAssignedIdentities")) {
			sim_res *m = u->string ? msi_get(u->string) : NULL;
			if (!m) {
				cJSON_Delete(id);
				resp_arm_error(resp, 400, "BadRequest",
					       "The user assigned identity '%s' was not found.", u->string ? u->string : "");
				return false;
			}
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "principalId", msi_principal_id(m));
			cJSON_AddStringToObject(e, "clientId", msi_client_id(m));
			cJSON_AddItemToObject(uais, m->id, e);
		}
		if (!uais->child) {
			cJSON_Delete(id);
			resp_arm_error(resp, 400, "BadRequest",
				       "The identity type 'UserAssigned' requires at least one user assigned identity.");
			return false;
		}
	}
	sim_json_set(doc, "identity", id);
	return true;
}

/* keyVaultProperties removal: empty strings (as real clients send them). */
static bool kusto__kvp_empty(const cJSON *kvp)
{
	const char *uri = sim_json_str(kvp, "keyVaultUri"), *name = sim_json_str(kvp, "keyName");
	return (!uri || !*uri) && (!name || !*name);
}

/* The CMK rules of seed 002 for `kvp` on a cluster whose (desired) document
 * is `doc`. false + resp on violation. */
static bool kusto__check_cmk(sim_resp *resp, const sim_res *cur, const cJSON *doc, const cJSON *kvp)
{
	const char *uri = sim_json_str(kvp, "keyVaultUri"), *name = sim_json_str(kvp, "keyName");
	const char *ver = sim_json_str(kvp, "keyVersion"), *uid = sim_json_str(kvp, "userIdentity");
	const char *cname = sim_json_str(doc, "name");
	if (cur && (kusto_is_follower(cur) || kusto__is_leader(cur))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "Cluster '%s': data encryption using customer managed keys is not supported on leader "
			       "and follower clusters.", cname);
		return false;
	}
	if (!uri || !*uri || !name || !*name) {
		resp_arm_error(resp, 400, "BadRequest",
			       "keyVaultProperties requires keyVaultUri and keyName (keyVersion is optional: leave it "
			       "empty to always use the current key version).");
		return false;
	}
	/* the principal that reads the key */
	const char *pid = NULL;
	const cJSON *ident = sim_json_get(doc, "identity");
	if (uid && *uid) {
		const cJSON *u;
		cJSON_ArrayForEach(u, sim_json_get(ident, "userAssignedIdentities"))
			if (u->string && sim_streq_ci(u->string, uid))
				pid = sim_json_str(u, "principalId");
		if (!pid) {
			resp_arm_error(resp, 400, "BadRequest",
				       "The user assigned identity '%s' of keyVaultProperties.userIdentity is not assigned "
				       "to cluster '%s'. Assign it to the cluster's identity first.", uid, cname);
			return false;
		}
	} else {
		const char *t = sim_json_str(ident, "type");
		if (!t || !strstr(t, "SystemAssigned")) {
			resp_arm_error(resp, 400, "BadRequest",
				       "Cluster '%s' has no system assigned identity: assign a system-assigned or "
				       "user-assigned managed identity to the cluster and grant it get, wrapKey and "
				       "unwrapKey permissions on the key vault.", cname);
			return false;
		}
		pid = sim_json_str(ident, "principalId");
	}
	sim_res *vault = kv_vault_by_uri(uri);
	if (!vault) {
		resp_arm_error(resp, 400, "BadRequest", "The key vault '%s' could not be found.", uri);
		return false;
	}
	const char *vloc = sim_json_str(vault->doc, "location"), *cloc = sim_json_str(doc, "location");
	if (!sim_location_eq(vloc, cloc)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The key vault '%s' is in region '%s' and cluster '%s' in region '%s': the Azure Data "
			       "Explorer cluster and the key vault must be in the same region.",
			       kv_vault_name(vault), vloc, cname, cloc);
		return false;
	}
	if (!kv_vault_recoverable(vault)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The key vault '%s' must have the Soft Delete and Do Not Purge (purge protection) "
			       "properties enabled to be used for customer-managed keys.", kv_vault_name(vault));
		return false;
	}
	const char *tenant = sim_json_str(ident, "tenantId");
	unsigned perms = kv_key_permissions(vault, name, tenant ? tenant : auth_default_tenant(), pid);
	unsigned need = KV_PERM_GET | KV_PERM_WRAP | KV_PERM_UNWRAP;
	if ((perms & need) != need) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The managed identity '%s' of cluster '%s' does not have the required get, wrapKey and "
			       "unwrapKey permissions on key vault '%s'.", pid ? pid : "", cname, kv_vault_name(vault));
		return false;
	}
	sim_res *key = kv_key_get(vault, name);
	cJSON *kv = key ? kv_key_version(key, ver) : NULL;
	if (!key || !kv) {
		resp_arm_error(resp, 400, "BadRequest", "The key '%s%s%s' was not found in key vault '%s'.", name,
			       ver && *ver ? "/" : "", ver ? ver : "", kv_vault_name(vault));
		return false;
	}
	const char *kty = sim_json_str(kv, "kty");
	cJSON *size = sim_json_get(kv, "keySize");
	if (!kty || (strcmp(kty, "RSA") && strcmp(kty, "RSA-HSM")) || !cJSON_IsNumber(size) ||
	    size->valueint != 2048) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The key '%s' is %s %d: only RSA keys of size 2048 are supported.", name,
			       kty ? kty : "?", cJSON_IsNumber(size) ? size->valueint : 0);
		return false;
	}
	if (!cJSON_IsTrue(sim_json_get(kv, "enabled"))) {
		resp_arm_error(resp, 400, "BadRequest", "The key '%s' version '%s' in key vault '%s' is disabled.",
			       name, sim_json_str(kv, "version"), kv_vault_name(vault));
		return false;
	}
	return true;
}

/* Versionless keys follow the key's current version. */
static void kusto__track(sim_res *c)
{
	const cJSON *kvp = sim_json_path(c->doc, "properties.keyVaultProperties");
	if (!kvp) {
		cJSON_DeleteItemFromObject(c->sim, "keyVersionInUse");
		return;
	}
	const char *ver = sim_json_str(kvp, "keyVersion");
	if (ver && *ver) {
		sim_json_set_str(c->sim, "keyVersionInUse", ver);
		return;
	}
	sim_res *vault = kv_vault_by_uri(sim_json_str(kvp, "keyVaultUri"));
	sim_res *key = vault ? kv_key_get(vault, sim_json_str(kvp, "keyName")) : NULL;
	const char *cv = key ? kv_key_current_version(key) : NULL;
	if (cv)
		sim_json_set_str(c->sim, "keyVersionInUse", cv);
}

/* Status URLs: display-name location with a raw space (Azure-AsyncOperation)
 * and percent-encoded (Location). */
static void kusto__headers(const sim_req *req, sim_resp *resp, const sim_op *op, const char *location,
			   bool with_location)
{
	const char *disp = kusto__display(location);
	char enc[128];
	size_t o = 0;
	for (const char *p = disp; *p && o + 4 < sizeof enc; p++) {
		if (*p == ' ') {
			memcpy(enc + o, "%20", 3);
			o += 3;
		} else {
			enc[o++] = *p;
		}
	}
	enc[o] = '\0';
	resp_header(resp, "Azure-AsyncOperation",
		    "%s/subscriptions/%s/providers/Microsoft.Kusto/locations/%s/operationResults/%s?api-version=%s",
		    req_base_url(req), op->subscription_id, disp, op->id, req->api_version);
	if (with_location)
		resp_header(resp, "Location",
			    "%s/subscriptions/%s/providers/Microsoft.Kusto/locations/%s/operationResults/%s?api-version=%s"
			    "&operationResultResponseType=Location",
			    req_base_url(req), op->subscription_id, enc, op->id, req->api_version);
	lro_retry_after_header(resp, op);
}

static void kusto__done(sim_op *op)
{
	sim_res *c = store_get_typed(op->resource_id, T_KUSTO);
	if (!c)
		return;
	cJSON *props = sim_json_obj(c->doc, "properties");
	if (op->state != LRO_SUCCEEDED) {
		/* a failed create leaves a Failed cluster; a failed update keeps
		 * the old settings */
		sim_json_set_str(props, "provisioningState", "Failed");
		sim_json_set_str(props, "state", strcmp(op->kind, "ClusterCreate") ? "Running" : "Unavailable");
		return;
	}
	cJSON *want = sim_json_get(op->ctx, "desired");
	if (cJSON_IsObject(want)) {
		cJSON *w;
		cJSON_ArrayForEach(w, want)
			if (w->string)
				sim_json_set(c->doc, w->string, cJSON_Duplicate(w, 1));
	}
	props = sim_json_obj(c->doc, "properties");
	sim_json_set_str(props, "provisioningState", "Succeeded");
	sim_json_set_str(props, "state", "Running");
	kusto__etag(c->doc);
	kusto__track(c);
}

static void kusto__delete_done(sim_op *op)
{
	sim_res *c = store_get_typed(op->resource_id, T_KUSTO);
	if (!c)
		return;
	if (op->state != LRO_SUCCEEDED) {
		sim_json_set_str(sim_json_obj(c->doc, "properties"), "provisioningState", "Failed");
		return;
	}
	/* copies: the cluster's strings die with it */
	char cid[1024], oid[64] = "";
	const char *pid = sim_json_str(c->doc, "identity.principalId");
	snprintf(cid, sizeof cid, "%s", c->id);
	if (pid)
		snprintf(oid, sizeof oid, "%s", pid);
	store_delete_tree(cid);
	if (oid[0])
		auth_principal_remove(oid);
}

static bool kusto__valid_name(const char *n)
{
	size_t len = strlen(n);
	/* the examples use "kustoCluster": letters of either case are taken
	 * (the cluster's URI is lower-cased) */
	if (len < 4 || len > 22 || !isalpha((unsigned char)n[0]))
		return false;
	for (const char *c = n; *c; c++)
		if (!isalnum((unsigned char)*c))
			return false;
	return true;
}

static bool kusto__busy(sim_resp *resp, const sim_res *c)
{
	sim_op *op = lro_running_on(c->id);
	if (!op)
		return false;
	resp_arm_error(resp, 409, "Conflict",
		       "Cluster '%s' is in state '%s' and an operation is already running on it. Wait until it "
		       "completes and try again.",
		       sim_json_str(c->doc, "name"), sim_json_str(c->doc, "properties.provisioningState"));
	return true;
}

static void kusto_get(sim_req *req, sim_resp *resp)
{
	char id[1024];
	kusto__id(id, sizeof id, req);
	sim_res *c = store_get_typed(id, T_KUSTO);
	if (!c) {
		arm_not_found(resp, "Microsoft.Kusto/clusters", req->cap[2], req->cap[1]);
		return;
	}
	kusto__track(c);
	resp_json(resp, 200, store_render(c, req->api_version));
}

static void kusto_list(sim_req *req, sim_resp *resp)
{
	char scope[512];
	sim_res **arr;
	arm_list_scope(scope, sizeof scope, req);
	size_t n = store_list(&arr, T_KUSTO, scope);
	for (size_t i = 0; i < n; i++)
		kusto__track(arr[i]);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

/* Defaults of a new cluster (what the service fills in). */
static void kusto__defaults(cJSON *doc, const char *name, const char *loc)
{
	cJSON *p = sim_json_obj(doc, "properties");
	char n[128], buf[512];
	sim_location_norm(n, sizeof n, loc);
	static const struct { const char *k; bool v; } flags[] = {
		{ "enableDiskEncryption", false }, { "enableStreamingIngest", false },
		{ "enablePurge", false }, { "enableDoubleEncryption", false }, { "enableAutoStop", true },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (!sim_json_get(p, flags[i].k))
			sim_json_set(p, flags[i].k, cJSON_CreateBool(flags[i].v));
	static const struct { const char *k, *v; } strs[] = {
		{ "publicIPType", "IPv4" }, { "engineType", "V3" }, { "publicNetworkAccess", "Enabled" },
		{ "restrictOutboundNetworkAccess", "Disabled" },
	};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (!sim_json_get(p, strs[i].k))
			sim_json_set_str(p, strs[i].k, strs[i].v);
	if (!sim_json_get(p, "allowedIpRangeList"))
		sim_json_set(p, "allowedIpRangeList", cJSON_CreateArray());
	char lname[64];
	sim_lower(lname, sizeof lname, name);
	snprintf(buf, sizeof buf, "https://%s.%s.kusto.windows.net", lname, n);
	sim_json_set_str(p, "uri", buf);
	snprintf(buf, sizeof buf, "https://ingest-%s.%s.kusto.windows.net", lname, n);
	sim_json_set_str(p, "dataIngestionUri", buf);
	if (!sim_json_get(doc, "tags"))
		cJSON_AddObjectToObject(doc, "tags");
}

/* The spec's casing of ClusterProperties members (requests may use any). */
static const char *kusto__prop_name(const char *name)
{
	static const char *const names[] = {
		"trustedExternalTenants", "optimizedAutoscale", "enableDiskEncryption", "enableStreamingIngest",
		"virtualNetworkConfiguration", "keyVaultProperties", "enablePurge", "languageExtensions",
		"enableDoubleEncryption", "publicNetworkAccess", "allowedIpRangeList", "engineType",
		"acceptedAudiences", "enableAutoStop", "restrictOutboundNetworkAccess", "allowedFqdnList",
		"publicIPType", "virtualClusterGraduationProperties", "calloutPolicies", "zoneStatus",
		NULL };
	for (int i = 0; names[i]; i++)
		if (!strcasecmp(names[i], name))
			return names[i];
	return name;
}

/* Settable top-level members and properties of a PUT/PATCH body into `doc`. */
static void kusto__merge(cJSON *doc, const cJSON *body)
{
	static const char *const top[] = { "tags", "sku", "zones" };
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		cJSON *v = sim_json_get(body, top[i]);
		if (v)
			sim_json_set(doc, top[i], cJSON_Duplicate(v, 1));
	}
	cJSON *props = sim_json_get(body, "properties"), *p;
	cJSON *dp = sim_json_obj(doc, "properties");
	cJSON_ArrayForEach(p, props) {
		if (!p->string || !strcasecmp(p->string, "provisioningState") || !strcasecmp(p->string, "state") ||
		    !strcasecmp(p->string, "uri") || !strcasecmp(p->string, "dataIngestionUri"))
			continue;
		if (!strcasecmp(p->string, "keyVaultProperties")) {
			if (kusto__kvp_empty(p)) {
				cJSON_DeleteItemFromObject(dp, "keyVaultProperties");
				continue;
			}
			/* canonical member names whatever the request's casing */
			cJSON *k = cJSON_CreateObject();
			static const char *const kn[] = { "keyVaultUri", "keyName", "keyVersion", "userIdentity" };
			for (size_t i = 0; i < 4; i++) {
				const char *s = sim_json_str(p, kn[i]);
				if (s)
					cJSON_AddStringToObject(k, kn[i], s);
			}
			sim_json_set(dp, "keyVaultProperties", k);
			continue;
		}
		sim_json_set(dp, kusto__prop_name(p->string), cJSON_Duplicate(p, 1));
	}
}

/* PUT (create or full update) and PATCH share this: `patch` = PATCH. */
static void kusto__write(sim_req *req, sim_resp *resp, bool patch)
{
	char id[1024];
	if (!arm_body_object(req, resp))
		return;
	kusto__id(id, sizeof id, req);
	sim_res *cur = store_get_typed(id, T_KUSTO);
	if (patch && !cur) {
		arm_not_found(resp, "Microsoft.Kusto/clusters", req->cap[2], req->cap[1]);
		return;
	}
	if (!arm_check_conditions(req, resp, cur))
		return;
	if (cur && kusto__busy(resp, cur))
		return;
	const char *loc = sim_json_str(req->json, "location");
	if (!cur) {
		if (!kusto__valid_name(req->cap[2])) {
			resp_arm_error(resp, 400, "BadRequest",
				       "Cluster name '%s' is invalid: it must be 4 to 22 characters long, contain only "
				       "letters and numbers, and start with a letter.", req->cap[2]);
			return;
		}
		if (!loc) {
			resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
			return;
		}
		if (!kusto__known_region(loc)) {
			resp_arm_error(resp, 400, "LocationNotAvailableForResourceType",
				       "The provided location '%s' is not available for resource type 'Microsoft.Kusto/clusters'.",
				       loc);
			return;
		}
		if (!cJSON_IsObject(sim_json_get(req->json, "sku")) || !sim_json_str(req->json, "sku.name") ||
		    !sim_json_str(req->json, "sku.tier")) {
			resp_arm_error(resp, 400, "BadRequest", "The sku (name and tier) of cluster '%s' is required.",
				       req->cap[2]);
			return;
		}
	} else if (loc && !sim_location_eq(loc, sim_json_str(cur->doc, "location"))) {
		resp_arm_error(resp, 409, "InvalidResourceLocation",
			       "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
			       "with the same name cannot be created in location '%s'. Please select a new resource name.",
			       req->cap[2], sim_json_str(cur->doc, "location"), req->cap[1], loc);
		return;
	}
	/* the desired document: current (or new) + request */
	cJSON *want = cur ? cJSON_Duplicate(cur->doc, 1) : cJSON_CreateObject();
	if (!cur) {
		sim_json_set_str(want, "id", id);
		sim_json_set_str(want, "name", req->cap[2]);
		sim_json_set_str(want, "type", T_KUSTO);
		sim_json_set_str(want, "location", kusto__display(loc));
	} else if (!patch) {
		/* PUT replaces the settable properties */
		sim_json_set(want, "properties", cJSON_CreateObject());
		sim_json_set(want, "tags", cJSON_CreateObject());
	}
	kusto__merge(want, req->json);
	const cJSON *ident = sim_json_get(req->json, "identity");
	if (ident && !kusto__identity(resp, want, ident, cur ? cur->id : id,
				      cur ? sim_json_get(cur->doc, "identity") : NULL)) {
		cJSON_Delete(want);
		return;
	}
	if (!ident && !cur) {
		cJSON *none = cJSON_CreateObject();
		cJSON_AddStringToObject(none, "type", "None");
		sim_json_set(want, "identity", none);
	}
	if (!cur)
		kusto__defaults(want, req->cap[2], loc);
	else if (!patch)
		kusto__defaults(want, sim_json_str(cur->doc, "name"), sim_json_str(cur->doc, "location"));
	if (cur) {
		/* immutable after creation */
		cJSON *de = sim_json_path(want, "properties.enableDoubleEncryption");
		cJSON *was = sim_json_path(cur->doc, "properties.enableDoubleEncryption");
		if (cJSON_IsBool(de) && cJSON_IsBool(was) && cJSON_IsTrue(de) != cJSON_IsTrue(was)) {
			cJSON_Delete(want);
			resp_arm_error(resp, 400, "BadRequest",
				       "The property 'enableDoubleEncryption' of cluster '%s' cannot be changed after creation.",
				       req->cap[2]);
			return;
		}
	}
	const cJSON *kvp = sim_json_path(req->json, "properties.keyVaultProperties");
	if (kvp && !kusto__kvp_empty(kvp) && !kusto__check_cmk(resp, cur, want, kvp)) {
		cJSON_Delete(want);
		return;
	}
	/* the resource shows the transition now; the change lands at the end */
	sim_res *c = cur;
	if (!c) {
		cJSON *doc = cJSON_Duplicate(want, 1);
		cJSON *p = sim_json_obj(doc, "properties");
		sim_json_set_str(p, "provisioningState", "Creating");
		sim_json_set_str(p, "state", "Creating");
		sim_json_set_str(doc, "etag", "");
		c = store_put(id, T_KUSTO, doc);
		if (!c) {
			cJSON_Delete(want);
			resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
			return;
		}
	} else {
		cJSON *p = sim_json_obj(c->doc, "properties");
		sim_json_set_str(p, "provisioningState", "Updating");
		sim_json_set_str(p, "state", "Updating");
		/* an identity change is visible at once (principals exist now) */
		cJSON *wid = sim_json_get(want, "identity");
		if (wid)
			sim_json_set(c->doc, "identity", cJSON_Duplicate(wid, 1));
	}
	cJSON *ctx = cJSON_CreateObject();
	cJSON *desired = cJSON_CreateObject();
	static const char *const keep[] = { "tags", "sku", "zones", "identity", "properties" };
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		cJSON *v = sim_json_get(want, keep[i]);
		if (v)
			cJSON_AddItemToObject(desired, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_DeleteItemFromObject(sim_json_get(desired, "properties"), "provisioningState");
	cJSON_DeleteItemFromObject(sim_json_get(desired, "properties"), "state");
	cJSON_AddItemToObject(ctx, "desired", desired);
	cJSON_Delete(want);
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = "Microsoft.Kusto", .location = sim_json_str(c->doc, "location"),
		.subscription_id = req->cap[0], .resource_id = c->id, .resource_type = T_KUSTO,
		.kind = cur ? "ClusterUpdate" : "ClusterCreate", .running_status = "Running",
		.duration_s = g_settings.kusto_update_s, .result = LRO_RESULT_RESOURCE,
		.api_version = req->api_version, .complete = kusto__done, .ctx = ctx,
		.report_percent = true });
	if (!op) {
		resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
		return;
	}
	if (!patch) {
		kusto__headers(req, resp, op, sim_json_str(c->doc, "location"), false);
		resp_json(resp, cur ? 200 : 201, store_render(c, req->api_version));
	} else {
		kusto__headers(req, resp, op, sim_json_str(c->doc, "location"), true);
		resp_json(resp, 202, store_render(c, req->api_version));
	}
}

static void kusto_put(sim_req *req, sim_resp *resp)
{
	kusto__write(req, resp, false);
}

static void kusto_patch(sim_req *req, sim_resp *resp)
{
	kusto__write(req, resp, true);
}

static void kusto_delete(sim_req *req, sim_resp *resp)
{
	char id[1024];
	kusto__id(id, sizeof id, req);
	sim_res *c = store_get_typed(id, T_KUSTO);
	if (!c) {
		resp_json(resp, 204, NULL);
		return;
	}
	if (kusto__busy(resp, c))
		return;
	sim_json_set_str(sim_json_obj(c->doc, "properties"), "provisioningState", "Deleting");
	sim_json_set_str(sim_json_obj(c->doc, "properties"), "state", "Deleting");
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = "Microsoft.Kusto", .location = sim_json_str(c->doc, "location"),
		.subscription_id = req->cap[0], .resource_id = c->id, .resource_type = T_KUSTO,
		.kind = "ClusterDelete", .running_status = "Running", .duration_s = g_settings.kusto_update_s,
		.result = LRO_RESULT_NO_CONTENT, .api_version = req->api_version,
		.complete = kusto__delete_done, .report_percent = true });
	if (!op) {
		resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
		return;
	}
	kusto__headers(req, resp, op, sim_json_str(c->doc, "location"), true);
	resp_json(resp, 202, NULL);
}

/* GET locations/{location}/operationResults/{id}: the status body of the
 * Kusto example (fractional percentComplete, properties.operationKind /
 * operationState), or with operationResultResponseType=Location the
 * operation's result. */
static void kusto_operation(sim_req *req, sim_resp *resp)
{
	const char *opid = req->cap[2];
	const char *rt = req_query(req, "operationResultResponseType");
	if (rt && sim_streq_ci(rt, "Location")) {
		lro_serve_result(req, resp, opid);
		return;
	}
	sim_op *op = lro_find(opid);
	if (!op || !sim_streq_ci(op->provider, "Microsoft.Kusto") ||
	    !sim_streq_ci(op->subscription_id, req->cap[0])) {
		resp_arm_error(resp, 404, "OperationNotFound", "The operation '%s' could not be found.", opid);
		return;
	}
	char buf[512], loc[128];
	sim_location_norm(loc, sizeof loc, req->cap[1]);
	cJSON *b = cJSON_CreateObject();
	snprintf(buf, sizeof buf, "/subscriptions/%s/providers/Microsoft.Kusto/locations/%s/operationresults/%s",
		 op->subscription_id, loc, op->id);
	cJSON_AddStringToObject(b, "id", buf);
	cJSON_AddStringToObject(b, "name", op->id);
	const char *status = op->state == LRO_RUNNING ? "Running"
			     : op->state == LRO_SUCCEEDED ? "Succeeded"
			     : op->state == LRO_CANCELED ? "Canceled" : "Failed";
	cJSON_AddStringToObject(b, "status", status);
	simclock_iso8601(buf, sizeof buf, op->start_ms);
	cJSON_AddStringToObject(b, "startTime", buf);
	double pct = 1.0;
	if (op->state == LRO_RUNNING) {
		pct = op->end_ms > op->start_ms ? (double)(simclock_now_ms() - op->start_ms) /
							  (double)(op->end_ms - op->start_ms)
						: 0;
		if (pct > 0.99)
			pct = 0.99;
	} else {
		simclock_iso8601(buf, sizeof buf, op->end_ms);
		cJSON_AddStringToObject(b, "endTime", buf);
	}
	cJSON_AddNumberToObject(b, "percentComplete", pct);
	cJSON *p = cJSON_AddObjectToObject(b, "properties");
	cJSON_AddStringToObject(p, "operationKind", op->kind);
	cJSON_AddStringToObject(p, "operationState", op->state == LRO_RUNNING ? "InProgress"
						      : op->state == LRO_SUCCEEDED ? "Completed"
						      : op->state == LRO_CANCELED ? "Canceled" : "Failed");
	if (op->state == LRO_FAILED || op->state == LRO_CANCELED) {
		cJSON *e = cJSON_AddObjectToObject(b, "error");
		cJSON_AddStringToObject(e, "code", op->error_code ? op->error_code : "OperationCanceled");
		cJSON_AddStringToObject(e, "message", op->error_message ? op->error_message : "The operation was canceled.");
	}
	resp_json(resp, 200, b);
}

/* Fixture clusters: defaults and the principal of a system identity. */
static int kusto_on_load(sim_res *res)
{
	const char *slash = strrchr(res->id, '/');
	const char *name = slash ? slash + 1 : res->id;
	char loc[128];
	if (!sim_json_str(res->doc, "location"))
		return cmk_error_set(CMK_EINVALID, "resource %s: a Kusto cluster needs a location", res->id);
	snprintf(loc, sizeof loc, "%s", sim_json_str(res->doc, "location")); /* replaced just below */
	sim_json_set_str(res->doc, "location", kusto__display(loc));
	kusto__defaults(res->doc, name, loc);
	cJSON *p = sim_json_obj(res->doc, "properties");
	if (!sim_json_str(p, "provisioningState"))
		sim_json_set_str(p, "provisioningState", "Succeeded");
	if (!sim_json_str(p, "state"))
		sim_json_set_str(p, "state", "Running");
	if (!sim_json_str(res->doc, "etag"))
		kusto__etag(res->doc);
	cJSON *ident = sim_json_get(res->doc, "identity");
	const char *t = sim_json_str(ident, "type");
	if (t && strstr(t, "SystemAssigned")) {
		const char *pid = sim_json_str(ident, "principalId");
		sim_principal *pr = pid ? auth_principal_by_object_id(pid) : NULL;
		if (!pr) {
			sim_principal np;
			memset(&np, 0, sizeof np);
			np.kind = SIM_PRINCIPAL_MSI;
			snprintf(np.tenant_id, sizeof np.tenant_id, "%s", auth_default_tenant());
			if (pid)
				snprintf(np.object_id, sizeof np.object_id, "%s", pid);
			else
				sim_guid(np.object_id);
			sim_guid(np.client_id);
			snprintf(np.display_name, sizeof np.display_name, "%s", name);
			np.msi_resource_id = res->id;
			pr = auth_principal_add(&np);
			if (!pr)
				return cmk_error_oom();
		}
		sim_json_set_str(ident, "principalId", pr->object_id);
		sim_json_set_str(ident, "tenantId", pr->tenant_id);
	}
	if (ident && !sim_json_get(ident, "userAssignedIdentities"))
		cJSON_AddObjectToObject(ident, "userAssignedIdentities");
	const cJSON *u;
	cJSON_ArrayForEach(u, sim_json_get(ident, "userAssignedIdentities")) {
		sim_res *m = u->string ? msi_get(u->string) : NULL;
		if (m && !sim_json_str(u, "principalId")) {
			sim_json_set_str((cJSON *)u, "principalId", msi_principal_id(m));
			sim_json_set_str((cJSON *)u, "clientId", msi_client_id(m));
		}
	}
	kusto__track(res);
	return 0;
}

#define KUSTO_RG "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters"

void res_kusto_register(void)
{
	/* names for state dumps: running operations survive a reload */
	(void)lro_register_fn("kusto.done", kusto__done);
	(void)lro_register_fn("kusto.delete_done", kusto__delete_done);
	router_add_arm("GET", KUSTO_RG "/{name}", T_KUSTO, kusto_versions, false, kusto_get);
	router_add_arm("PUT", KUSTO_RG "/{name}", T_KUSTO, kusto_versions, false, kusto_put);
	router_add_arm("PATCH", KUSTO_RG "/{name}", T_KUSTO, kusto_versions, false, kusto_patch);
	router_add_arm("DELETE", KUSTO_RG "/{name}", T_KUSTO, kusto_versions, false, kusto_delete);
	router_add_arm("GET", KUSTO_RG, T_KUSTO, kusto_versions, true, kusto_list);
	router_add_arm("GET", "/subscriptions/{s}/providers/Microsoft.Kusto/clusters", T_KUSTO, kusto_versions,
		       true, kusto_list);
	router_add(&(sim_route){ .method = "GET",
				 .pattern = "/subscriptions/{s}/providers/Microsoft.Kusto/locations/{loc}/operationResults/{id}",
				 .kind = SIM_ROUTE_ARM, .resource_type = "Microsoft.Kusto/locations/operationResults",
				 .api_versions = kusto_versions, .action = "Microsoft.Kusto/locations/operationResults/read",
				 .list = true, .sub_cap = 0, .rg_cap = -1, .fn = kusto_operation });
	store_type_register(&(sim_type){ .type = T_KUSTO, .on_load = kusto_on_load, .render = kusto_render });
}
