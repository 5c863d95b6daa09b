/*
 * admin.c - the /_sim/ endpoints (see admin.h and README.md "Admin API").
 * Handlers run with the state lock held (router).
 */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "faults.h"
#include "fixture.h"
#include "lro.h"
#include "reqlog.h"
#include "router.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "throttle.h"
#include "util.h"

static void admin__bad(sim_resp *resp, const char *fmt, const char *arg)
{
	resp_arm_error(resp, 400, "BadRequest", fmt, arg ? arg : "");
}

static bool admin__need_json(sim_req *req, sim_resp *resp)
{
	if (!req->json || !cJSON_IsObject(req->json)) {
		admin__bad(resp, "armsim admin: the body must be a JSON object%s", "");
		return false;
	}
	return true;
}

static void admin__ok(sim_resp *resp)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddBoolToObject(b, "ok", true);
	resp_json(resp, 200, b);
}

static void admin__state_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, fixture_dump());
}

static void admin__state_load(sim_req *req, sim_resp *resp, int replace)
{
	if (!admin__need_json(req, resp))
		return;
	if (fixture_load_json(req->json, replace) < 0) {
		admin__bad(resp, "%s", cmk_error_last());
		return;
	}
	admin__ok(resp);
}

static void admin__state_put(sim_req *req, sim_resp *resp)
{
	admin__state_load(req, resp, 1);
}

static void admin__state_merge(sim_req *req, sim_resp *resp)
{
	admin__state_load(req, resp, 0);
}

static cJSON *admin__clock_json(void)
{
	char t[40];
	int64_t now = simclock_now_ms();
	simclock_iso8601(t, sizeof t, now);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "now", t);
	cJSON_AddNumberToObject(b, "nowMs", (double)now);
	cJSON_AddNumberToObject(b, "timeScale", simclock_scale());
	return b;
}

static void admin__clock_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, admin__clock_json());
}

static void admin__clock_advance(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	cJSON *s = sim_json_get(req->json, "seconds");
	if (!cJSON_IsNumber(s) || s->valuedouble < 0) {
		admin__bad(resp, "armsim admin: \"seconds\" must be a number >= 0%s", "");
		return;
	}
	simclock_advance(s->valuedouble);
	lro_tick();
	resp_json(resp, 200, admin__clock_json());
}

static sim_res *admin__key(sim_req *req, sim_resp *resp, sim_res **vault_out)
{
	if (!admin__need_json(req, resp))
		return NULL;
	const char *vn = sim_json_str(req->json, "vault"), *kn = sim_json_str(req->json, "name");
	const char *hn = vn ? NULL : sim_json_str(req->json, "managedHsm");
	sim_res *v = vn ? kv_vault_by_name(vn) : hn ? hsm_by_name(hn) : NULL;
	if (!v && hn) {
		resp_arm_error(resp, 404, "ManagedHsmNotFound", "armsim admin: managed HSM '%s' not found", hn);
		return NULL;
	}
	if (!v) {
		resp_arm_error(resp, 404, "VaultNotFound", "armsim admin: vault '%s' not found", vn ? vn : "");
		return NULL;
	}
	if (!vn)
		vn = hn;
	if (vault_out)
		*vault_out = v;
	sim_res *k = kn ? kv_key_get(v, kn) : NULL;
	if (!k && vault_out == NULL)
		resp_arm_error(resp, 404, "KeyNotFound", "armsim admin: key '%s' not found in vault '%s'",
			       kn ? kn : "", vn);
	return k;
}

static void admin__key_reply(sim_resp *resp, const sim_res *vault, const sim_res *key, const cJSON *ver)
{
	resp_json(resp, 200, kv_key_bundle(vault, key, ver ? ver : kv_key_version(key, NULL)));
}

static void admin__key_create(sim_req *req, sim_resp *resp)
{
	sim_res *v = NULL;
	sim_res *k = admin__key(req, resp, &v);
	if (!v)
		return;
	if (k) {
		resp_arm_error(resp, 409, "Conflict", "armsim admin: key already exists");
		return;
	}
	const char *name = sim_json_str(req->json, "name"), *kty = sim_json_str(req->json, "kty");
	cJSON *size = sim_json_get(req->json, "keySize"), *en = sim_json_get(req->json, "enabled");
	if (!name) {
		admin__bad(resp, "armsim admin: \"name\" is required%s", "");
		return;
	}
	k = kv_key_create(v, name, kty ? kty : "RSA", cJSON_IsNumber(size) ? size->valueint : 2048, !cJSON_IsFalse(en));
	if (!k) {
		admin__bad(resp, "%s", cmk_error_last());
		return;
	}
	admin__key_reply(resp, v, k, NULL);
}

static void admin__key_rotate(sim_req *req, sim_resp *resp)
{
	sim_res *v = NULL;
	sim_res *k = admin__key(req, resp, &v);
	if (!v)
		return;
	if (!k) {
		resp_arm_error(resp, 404, "KeyNotFound", "armsim admin: key not found");
		return;
	}
	admin__key_reply(resp, v, k, kv_key_rotate(k));
}

static void admin__key_enable(sim_req *req, sim_resp *resp, bool enabled)
{
	sim_res *v = NULL;
	sim_res *k = admin__key(req, resp, &v);
	if (!v)
		return;
	if (!k) {
		resp_arm_error(resp, 404, "KeyNotFound", "armsim admin: key not found");
		return;
	}
	const char *ver = sim_json_str(req->json, "version");
	if (kv_key_set_enabled(k, ver, enabled) < 0) {
		resp_arm_error(resp, 404, "KeyNotFound", "armsim admin: %s", cmk_error_last());
		return;
	}
	lro_tick();
	admin__key_reply(resp, v, k, ver ? kv_key_version(k, ver) : NULL);
}

static void admin__key_disable(sim_req *req, sim_resp *resp)
{
	admin__key_enable(req, resp, false);
}

static void admin__key_enable_h(sim_req *req, sim_resp *resp)
{
	admin__key_enable(req, resp, true);
}

static void admin__key_delete(sim_req *req, sim_resp *resp)
{
	sim_res *v = NULL;
	sim_res *k = admin__key(req, resp, &v);
	if (!v)
		return;
	if (!k) {
		resp_arm_error(resp, 404, "KeyNotFound", "armsim admin: key not found");
		return;
	}
	store_delete(k);
	admin__ok(resp);
}

static void admin__policy_remove(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	const char *vn = sim_json_str(req->json, "vault"), *oid = sim_json_str(req->json, "objectId");
	sim_res *v = vn ? kv_vault_by_name(vn) : NULL;
	if (!v || !oid) {
		resp_arm_error(resp, 404, "NotFound", "armsim admin: need an existing \"vault\" and an \"objectId\"");
		return;
	}
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "removed", kv_access_policy_remove(v, oid));
	resp_json(resp, 200, b);
}

/* What kv_key_permissions grants a principal, in access-policy names: the
 * same answer the Log Analytics and Kusto key validation see. */
static void admin__key_permissions(sim_req *req, sim_resp *resp)
{
	static const struct { const char *n; unsigned b; } names[] = {
		{ "get", KV_PERM_GET }, { "list", KV_PERM_LIST }, { "create", KV_PERM_CREATE },
		{ "update", KV_PERM_UPDATE }, { "delete", KV_PERM_DELETE },
		{ "wrapKey", KV_PERM_WRAP }, { "unwrapKey", KV_PERM_UNWRAP },
		{ "encrypt", KV_PERM_ENCRYPT }, { "decrypt", KV_PERM_DECRYPT },
		{ "sign", KV_PERM_SIGN }, { "verify", KV_PERM_VERIFY },
	};
	if (!admin__need_json(req, resp))
		return;
	const char *vn = sim_json_str(req->json, "vault"), *oid = sim_json_str(req->json, "objectId");
	const char *tid = sim_json_str(req->json, "tenantId"), *hn = sim_json_str(req->json, "managedHsm");
	sim_res *v = vn ? kv_vault_by_name(vn) : hn ? hsm_by_name(hn) : NULL;
	if (!v || !oid) {
		resp_arm_error(resp, 404, "NotFound",
			       "armsim admin: need an existing \"vault\" (or \"managedHsm\") and an \"objectId\"");
		return;
	}
	unsigned p = kv_key_permissions(v, sim_json_str(req->json, "name"), tid ? tid : auth_default_tenant(), oid);
	cJSON *b = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(b, "permissions");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (p & names[i].b)
			cJSON_AddItemToArray(arr, cJSON_CreateString(names[i].n));
	resp_json(resp, 200, b);
}

static void admin__policy_add(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	const char *vn = sim_json_str(req->json, "vault"), *oid = sim_json_str(req->json, "objectId");
	sim_res *v = vn ? kv_vault_by_name(vn) : NULL;
	cJSON *keys = sim_json_get(req->json, "keys");
	if (!v || !oid || !cJSON_IsArray(keys)) {
		resp_arm_error(resp, 404, "NotFound",
			       "armsim admin: need an existing \"vault\", an \"objectId\" and \"keys\" permissions");
		return;
	}
	const char *tid = sim_json_str(req->json, "tenantId");
	cJSON *pol = cJSON_CreateArray(), *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "tenantId", tid ? tid : sim_json_str(v->doc, "properties.tenantId"));
	cJSON_AddStringToObject(e, "objectId", oid);
	cJSON *perm = cJSON_AddObjectToObject(e, "permissions");
	cJSON_AddItemToObject(perm, "keys", cJSON_Duplicate(keys, 1));
	cJSON_AddItemToArray(pol, e);
	int rc = kv_access_policy_update(v, "add", pol);
	cJSON_Delete(pol);
	if (rc < 0) {
		admin__bad(resp, "%s", cmk_error_last());
		return;
	}
	resp_json(resp, 200, cJSON_Duplicate(sim_json_path(v->doc, "properties.accessPolicies"), 1));
}

static void admin__role_assign(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	const char *scope = sim_json_str(req->json, "scope"), *role = sim_json_str(req->json, "role"),
		   *pid = sim_json_str(req->json, "principalId");
	if (!scope || !role || !pid || rbac_assign(scope, role, pid, sim_json_str(req->json, "principalType")) < 0) {
		admin__bad(resp, "armsim admin: need scope, a known role and principalId%s", "");
		return;
	}
	admin__ok(resp);
}

static void admin__role_unassign(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	const char *scope = sim_json_str(req->json, "scope"), *pid = sim_json_str(req->json, "principalId");
	sim_res **arr;
	size_t n = store_list(&arr, "Microsoft.Authorization/roleAssignments", NULL);
	int removed = 0;
	for (size_t i = 0; i < n; i++) {
		if (sim_streq_ci(sim_json_str(arr[i]->doc, "properties.principalId"), pid) &&
		    (!scope || sim_streq_ci(sim_json_str(arr[i]->doc, "properties.scope"), scope))) {
			store_delete(arr[i]);
			removed++;
		}
	}
	free(arr);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "removed", removed);
	resp_json(resp, 200, b);
}

/* A Managed HSM made directly (as /_sim/state/merge would, with the
 * derived properties and the initial administrators' role). */
static void admin__hsm_create(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	const char *sub = sim_json_str(req->json, "subscriptionId"), *rg = sim_json_str(req->json, "resourceGroup");
	const char *name = sim_json_str(req->json, "name"), *loc = sim_json_str(req->json, "location");
	if (!sub) {
		sim_res *first = store_first("Microsoft.Resources/subscriptions");
		sub = first ? sim_json_str(first->doc, "subscriptionId") : NULL;
	}
	if (!sub || !rg || !name || !store_resource_group(sub, rg)) {
		admin__bad(resp, "armsim admin: need \"name\" and an existing \"resourceGroup\"%s", "");
		return;
	}
	if (hsm_by_name(name)) {
		resp_arm_error(resp, 409, "Conflict", "armsim admin: managed HSM '%s' exists", name);
		return;
	}
	char id[1024];
	snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/managedHSMs/%s", sub,
		 rg, name);
	cJSON *doc = cJSON_CreateObject(), *props = cJSON_AddObjectToObject(doc, "properties");
	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "name", name);
	cJSON_AddStringToObject(doc, "type", "Microsoft.KeyVault/managedHSMs");
	cJSON_AddStringToObject(doc, "location", loc ? loc : sim_json_str(store_resource_group(sub, rg)->doc, "location"));
	const char *tid = sim_json_str(req->json, "tenantId");
	cJSON_AddStringToObject(props, "tenantId", tid ? tid : auth_default_tenant());
	static const char *const copy[] = { "initialAdminObjectIds", "enableSoftDelete", "enablePurgeProtection",
					    "softDeleteRetentionInDays" };
	for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) {
		const cJSON *v = sim_json_get(req->json, copy[i]);
		if (v)
			cJSON_AddItemToObject(props, copy[i], cJSON_Duplicate(v, 1));
	}
	sim_res *h = store_put(id, "Microsoft.KeyVault/managedHSMs", doc);
	if (!h) {
		resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
		return;
	}
	hsm_complete(h);
	resp_json(resp, 200, cJSON_Duplicate(h->doc, 1));
}

static sim_res *admin__hsm_of(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return NULL;
	const char *hn = sim_json_str(req->json, "managedHsm");
	sim_res *h = hn ? hsm_by_name(hn) : NULL;
	if (!h)
		resp_arm_error(resp, 404, "ManagedHsmNotFound", "armsim admin: managed HSM '%s' not found", hn ? hn : "");
	return h;
}

static void admin__hsm_role_assign(sim_req *req, sim_resp *resp)
{
	sim_res *h = admin__hsm_of(req, resp);
	if (!h)
		return;
	const char *scope = sim_json_str(req->json, "scope");
	sim_res *ra = hsm_role_assign(h, sim_json_str(req->json, "name"), scope ? scope : "/",
				      sim_json_str(req->json, "role"), sim_json_str(req->json, "principalId"));
	if (!ra) {
		admin__bad(resp, "armsim admin: %s", cmk_error_last());
		return;
	}
	lro_tick();
	resp_json(resp, 200, hsm_role_assignment_body(ra));
}

static void admin__hsm_role_unassign(sim_req *req, sim_resp *resp)
{
	sim_res *h = admin__hsm_of(req, resp);
	if (!h)
		return;
	const char *pid = sim_json_str(req->json, "principalId");
	if (!pid) {
		admin__bad(resp, "armsim admin: \"principalId\" is required%s", "");
		return;
	}
	int removed = hsm_role_unassign(h, pid, sim_json_str(req->json, "scope"));
	lro_tick(); /* revocation counts from this instant */
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "removed", removed);
	resp_json(resp, 200, b);
}

/* PUT of a configuration (fault rules, throttling): apply the body with
 * `set`, answer what `dump` then shows. */
static void admin__config_put(sim_req *req, sim_resp *resp, int (*set)(const cJSON *), cJSON *(*dump)(void))
{
	if (!req->json || set(req->json) < 0) {
		admin__bad(resp, "%s", req->json ? cmk_error_last() : "armsim admin: body must be JSON");
		return;
	}
	resp_json(resp, 200, dump());
}

static void admin__faults_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, faults_dump());
}

static void admin__faults_put(sim_req *req, sim_resp *resp)
{
	admin__config_put(req, resp, faults_set, faults_dump);
}

static void admin__faults_delete(sim_req *req, sim_resp *resp)
{
	(void)req;
	faults_clear();
	admin__ok(resp);
}

static void admin__requests_get(sim_req *req, sim_resp *resp)
{
	const char *since = req_query(req, "since");
	resp_json(resp, 200, reqlog_dump(since ? strtol(since, NULL, 10) : 0));
}

static void admin__requests_delete(sim_req *req, sim_resp *resp)
{
	(void)req;
	reqlog_reset();
	admin__ok(resp);
}

static void admin__counters_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, reqlog_counters());
}

static void admin__hazards_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, hazard_dump());
}

static void admin__hazards_delete(sim_req *req, sim_resp *resp)
{
	(void)req;
	hazard_reset();
	admin__ok(resp);
}

static void admin__throttling_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, throttle_dump());
}

static void admin__throttling_put(sim_req *req, sim_resp *resp)
{
	admin__config_put(req, resp, throttle_configure, throttle_dump);
}

static void admin__settings_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, settings_dump(&g_settings));
}

static void admin__settings_put(sim_req *req, sim_resp *resp)
{
	sim_settings next = g_settings;
	if (!req->json || settings_apply(&next, req->json) < 0) {
		admin__bad(resp, "%s", req->json ? cmk_error_last() : "armsim admin: body must be JSON");
		return;
	}
	g_settings = next;
	resp_json(resp, 200, settings_dump(&g_settings));
}

static void admin__operations_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	resp_json(resp, 200, lro_dump());
}

static void admin__operation_cancel(sim_req *req, sim_resp *resp)
{
	if (!admin__need_json(req, resp))
		return;
	const char *id = sim_json_str(req->json, "id");
	sim_op *op = id ? lro_find(id) : NULL;
	if (!op || op->state != LRO_RUNNING) {
		resp_arm_error(resp, 404, "OperationNotFound", "armsim admin: no running operation '%s'", id ? id : "");
		return;
	}
	op->state = LRO_CANCELED;
	op->end_ms = simclock_now_ms();
	free(op->error_code);
	free(op->error_message);
	op->error_code = strdup("OperationCanceled");
	op->error_message = strdup("The operation was canceled.");
	/* the resource stops where it is: a non-terminal provisioningState
	 * becomes Canceled (RPC terminal state) */
	sim_res *r = store_get(op->resource_id);
	const char *ps = r ? sim_json_str(r->doc, "properties.provisioningState") : NULL;
	if (ps && strcasecmp(ps, "Succeeded") && strcasecmp(ps, "Failed") && strcasecmp(ps, "Canceled"))
		sim_json_set_str(sim_json_obj(r->doc, "properties"), "provisioningState", "Canceled");
	resp_json(resp, 200, lro_dump());
}

static void admin__reset(sim_req *req, sim_resp *resp)
{
	(void)req;
	reqlog_reset();
	hazard_reset();
	throttle_reset();
	admin__ok(resp);
}

static void admin__add(const char *method, const char *pattern, sim_handler fn)
{
	sim_route r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.pattern = pattern;
	r.kind = SIM_ROUTE_ADMIN;
	r.resource_type = "armsim/admin";
	r.sub_cap = r.rg_cap = -1;
	r.fn = fn;
	router_add(&r);
}

void admin_register_routes(void)
{
	admin__add("GET", "/_sim/state", admin__state_get);
	admin__add("PUT", "/_sim/state", admin__state_put);
	admin__add("POST", "/_sim/state/merge", admin__state_merge);
	admin__add("GET", "/_sim/clock", admin__clock_get);
	admin__add("POST", "/_sim/clock/advance", admin__clock_advance);
	admin__add("POST", "/_sim/keys/create", admin__key_create);
	admin__add("POST", "/_sim/keys/rotate", admin__key_rotate);
	admin__add("POST", "/_sim/keys/disable", admin__key_disable);
	admin__add("POST", "/_sim/keys/enable", admin__key_enable_h);
	admin__add("POST", "/_sim/keys/delete", admin__key_delete);
	admin__add("POST", "/_sim/keys/permissions", admin__key_permissions);
	admin__add("POST", "/_sim/access-policies/remove", admin__policy_remove);
	admin__add("POST", "/_sim/access-policies/add", admin__policy_add);
	admin__add("POST", "/_sim/role-assignments", admin__role_assign);
	admin__add("POST", "/_sim/role-assignments/remove", admin__role_unassign);
	admin__add("POST", "/_sim/managedhsms", admin__hsm_create);
	admin__add("POST", "/_sim/hsm/role-assignments", admin__hsm_role_assign);
	admin__add("POST", "/_sim/hsm/role-assignments/remove", admin__hsm_role_unassign);
	admin__add("GET", "/_sim/faults", admin__faults_get);
	admin__add("PUT", "/_sim/faults", admin__faults_put);
	admin__add("DELETE", "/_sim/faults", admin__faults_delete);
	admin__add("GET", "/_sim/requests", admin__requests_get);
	admin__add("DELETE", "/_sim/requests", admin__requests_delete);
	admin__add("GET", "/_sim/counters", admin__counters_get);
	admin__add("DELETE", "/_sim/counters", admin__requests_delete);
	admin__add("GET", "/_sim/hazards", admin__hazards_get);
	admin__add("DELETE", "/_sim/hazards", admin__hazards_delete);
	admin__add("GET", "/_sim/throttling", admin__throttling_get);
	admin__add("PUT", "/_sim/throttling", admin__throttling_put);
	admin__add("GET", "/_sim/settings", admin__settings_get);
	admin__add("PUT", "/_sim/settings", admin__settings_put);
	admin__add("PUT", "/_sim/durations", admin__settings_put);
	admin__add("GET", "/_sim/operations", admin__operations_get);
	admin__add("POST", "/_sim/operations/cancel", admin__operation_cancel);
	admin__add("POST", "/_sim/reset", admin__reset);
}
