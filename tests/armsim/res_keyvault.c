/*
 * res_keyvault.c - Microsoft.KeyVault/vaults on the management plane:
 * GET, PUT (create/update; a long-running operation from 2026-02-01 on;
 * createMode "recover"), PATCH, DELETE (soft delete: the name stays taken
 * until the scheduled purge date), list by resource group and by
 * subscription, vaults/accessPolicies/{add|replace|remove} PUT,
 * deletedVaults GET / list / purge, checkNameAvailability, and the
 * management-plane view of keys (vaults/keys GET, list, versions, PUT =
 * create if not exists).
 *
 * The vault document is the state the rest of armsim reads (store.h):
 * access policies, enableSoftDelete / enablePurgeProtection (recoverable),
 * enableRbacAuthorization. Removing an access policy here therefore revokes
 * key access for the Log Analytics and Kusto rules at once.
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
#include "server.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define T_VAULT "Microsoft.KeyVault/vaults"
#define T_DELETED "Microsoft.KeyVault/deletedVaults"
#define T_KEY "Microsoft.KeyVault/vaults/keys"

/* Every published api-version of Microsoft.KeyVault/vaults. */
static const char *const kv_versions[] = {
	"2015-06-01", "2016-10-01", "2018-02-14", "2018-02-14-preview", "2019-09-01",
	"2020-04-01-preview", "2021-04-01-preview", "2021-06-01-preview", "2021-10-01",
	"2021-11-01-preview", "2022-02-01-preview", "2022-07-01", "2022-11-01", "2023-02-01",
	"2023-07-01", "2023-08-01-preview", "2024-04-01-preview", "2024-11-01",
	"2024-12-01-preview", "2025-05-01", "2026-02-01", NULL
};

/* Vault PUT is long-running (Location + Retry-After) from this version on
 * (LRO-TABLE.md); earlier ones answer synchronously. */
#define KV_LRO_FROM "2026-02-01"

static void kv__id(char *out, size_t len, const sim_req *req)
{
	arm_resource_id(out, len, req->cap[0], req->cap[1], T_VAULT, req->cap[2]);
}


/* Derived and default properties every vault carries (what Key Vault adds
 * to a PUT body). */
static void kv__complete(cJSON *doc, const char *name)
{
	cJSON *props = sim_json_obj(doc, "properties");
	char uri[256];
	snprintf(uri, sizeof uri, "https://%s.vault.localhost:%d/", name, server_port());
	sim_json_set_str(props, "vaultUri", uri);
	if (!sim_json_str(props, "tenantId"))
		sim_json_set_str(props, "tenantId", auth_default_tenant());
	if (!cJSON_IsArray(sim_json_get(props, "accessPolicies")))
		sim_json_set(props, "accessPolicies", cJSON_CreateArray());
	if (!sim_json_get(props, "enableSoftDelete"))
		sim_json_set(props, "enableSoftDelete", cJSON_CreateTrue());
	if (!sim_json_get(props, "softDeleteRetentionInDays"))
		sim_json_set(props, "softDeleteRetentionInDays", cJSON_CreateNumber(90));
	if (!sim_json_get(props, "enableRbacAuthorization"))
		sim_json_set(props, "enableRbacAuthorization", cJSON_CreateFalse());
	if (!sim_json_str(props, "publicNetworkAccess"))
		sim_json_set_str(props, "publicNetworkAccess", "Enabled");
	sim_json_set_str(props, "provisioningState", "Succeeded");
	if (!cJSON_IsObject(sim_json_get(doc, "tags")))
		sim_json_set(doc, "tags", cJSON_CreateObject());
}

/* Member names in the spec's casing, whatever the request's (ARM reads
 * property names case-insensitively and answers in its own casing). */
static void kv__canon(cJSON *obj, const char *const *names)
{
	cJSON *c;
	cJSON_ArrayForEach(c, obj) {
		for (int i = 0; c->string && names[i]; i++) {
			if (strcasecmp(c->string, names[i]) || !strcmp(c->string, names[i]))
				continue;
			char *n = strdup(names[i]);
			if (n && !(c->type & cJSON_StringIsConst)) {
				free(c->string);
				c->string = n;
			} else {
				free(n);
			}
		}
	}
}

static void kv__canon_props(cJSON *props)
{
	static const char *const vp[] = { "tenantId", "sku", "accessPolicies", "vaultUri", "hsmPoolResourceId",
					   "enabledForDeployment", "enabledForDiskEncryption",
					   "enabledForTemplateDeployment", "enableSoftDelete", "softDeleteRetentionInDays",
					   "enableRbacAuthorization", "createMode", "enablePurgeProtection", "networkAcls",
					   "provisioningState", "privateEndpointConnections", "publicNetworkAccess", NULL };
	static const char *const sku[] = { "family", "name", NULL };
	static const char *const ap[] = { "tenantId", "objectId", "applicationId", "permissions", NULL };
	static const char *const perm[] = { "keys", "secrets", "certificates", "storage", NULL };
	kv__canon(props, vp);
	kv__canon(sim_json_get(props, "sku"), sku);
	cJSON *pol;
	cJSON_ArrayForEach(pol, sim_json_get(props, "accessPolicies")) {
		kv__canon(pol, ap);
		kv__canon(sim_json_get(pol, "permissions"), perm);
	}
}

/* Rules Key Vault applies to properties of a PUT/PATCH, given the vault as
 * it is (`cur`, NULL on create). Returns false with resp filled. */
static bool kv__check_props(sim_resp *resp, const cJSON *props, const sim_res *cur)
{
	cJSON *pp = sim_json_get(props, "enablePurgeProtection");
	if (cJSON_IsFalse(pp)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The property \"enablePurgeProtection\" cannot be set to false. Enabling the "
			       "purge protection for a vault is an irreversible action.");
		return false;
	}
	cJSON *sd = sim_json_get(props, "enableSoftDelete");
	if (cur && cJSON_IsFalse(sd)) {
		cJSON *was = sim_json_path(cur->doc, "properties.enableSoftDelete");
		if (!was || cJSON_IsTrue(was)) {
			resp_arm_error(resp, 400, "BadRequest",
				       "The property \"enableSoftDelete\" cannot be set to false. Enabling the "
				       "soft delete for a vault is an irreversible action.");
			return false;
		}
	}
	cJSON *days = sim_json_get(props, "softDeleteRetentionInDays");
	if (days && (!cJSON_IsNumber(days) || days->valuedouble < 7 || days->valuedouble > 90)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The property \"softDeleteRetentionInDays\" must be between 7 and 90.");
		return false;
	}
	if (cur && days) {
		cJSON *was = sim_json_path(cur->doc, "properties.softDeleteRetentionInDays");
		if (cJSON_IsNumber(was) && was->valuedouble != days->valuedouble &&
		    cJSON_IsTrue(sim_json_path(cur->doc, "properties.enableSoftDelete"))) {
			resp_arm_error(resp, 400, "BadRequest",
				       "The property \"softDeleteRetentionInDays\" has been set already and it can't be modified.");
			return false;
		}
	}
	const cJSON *p;
	cJSON_ArrayForEach(p, sim_json_get(props, "accessPolicies")) {
		if (!sim_json_str(p, "tenantId") || !sim_json_str(p, "objectId") ||
		    !cJSON_IsObject(sim_json_get(p, "permissions"))) {
			resp_arm_error(resp, 400, "BadRequest",
				       "An access policy entry requires tenantId, objectId and permissions.");
			return false;
		}
	}
	return true;
}

/* ---- soft-deleted vaults ------------------------------------------------------
 * A deleted vault with soft delete on stays as a Microsoft.KeyVault/
 * deletedVaults resource (/subscriptions/{s}/providers/Microsoft.KeyVault/
 * locations/{loc}/deletedVaults/{name}) holding a snapshot of the vault and
 * its keys in `sim`, until its scheduledPurgeDate (softDeleteRetentionInDays
 * on the virtual clock) or a purge. Its name stays taken meanwhile. */

static sim_res *kv__deleted_by_name(const char *name)
{
	sim_res **arr, *found = NULL;
	size_t n = store_list(&arr, T_DELETED, NULL);
	for (size_t i = 0; i < n && !found; i++)
		if (sim_streq_ci(sim_json_str(arr[i]->doc, "name"), name))
			found = arr[i];
	free(arr);
	return found;
}

static void kv__purge_due(cJSON *ctx)
{
	sim_res *d = store_get_typed(sim_json_str(ctx, "id"), T_DELETED);
	/* only the deletion this timer was set for (a recover + delete makes
	 * a new one with its own date) */
	if (d && cJSON_IsNumber(sim_json_get(d->sim, "purgeAtMs")) &&
	    sim_json_get(d->sim, "purgeAtMs")->valuedouble == sim_json_get(ctx, "at")->valuedouble)
		store_delete(d);
}

/* A deleted vault loaded from a fixture or a state dump: its purge timer. */
static int kv_deleted_on_load(sim_res *d)
{
	cJSON *at = sim_json_get(d->sim, "purgeAtMs");
	if (!cJSON_IsNumber(at))
		return 0;
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx, "id", d->id);
	cJSON_AddNumberToObject(ctx, "at", at->valuedouble);
	sim_timer_add((int64_t)at->valuedouble, kv__purge_due, ctx);
	return 0;
}

/* Move `v` and its keys into a deletedVaults resource. */
static void kv__soft_delete(sim_res *v, const char *sub)
{
	char loc[64], id[1024], now[64], purge[64];
	sim_location_norm(loc, sizeof loc, sim_json_str(v->doc, "location"));
	snprintf(id, sizeof id, "/subscriptions/%s/providers/Microsoft.KeyVault/locations/%s/deletedVaults/%s", sub,
		 loc, kv_vault_name(v));
	cJSON *days = sim_json_path(v->doc, "properties.softDeleteRetentionInDays");
	int64_t t = simclock_now_ms();
	int64_t at = t + (int64_t)((cJSON_IsNumber(days) ? days->valuedouble : 90) * 86400000.0);
	simclock_iso8601(now, sizeof now, t);
	simclock_iso8601(purge, sizeof purge, at);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "name", kv_vault_name(v));
	cJSON_AddStringToObject(d, "type", T_DELETED);
	cJSON *p = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(p, "vaultId", v->id);
	cJSON_AddStringToObject(p, "location", loc);
	cJSON_AddStringToObject(p, "deletionDate", now);
	cJSON_AddStringToObject(p, "scheduledPurgeDate", purge);
	cJSON *tags = sim_json_get(v->doc, "tags");
	cJSON_AddItemToObject(p, "tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateObject());
	cJSON_AddBoolToObject(p, "purgeProtectionEnabled",
			      cJSON_IsTrue(sim_json_path(v->doc, "properties.enablePurgeProtection")));
	sim_res *dr = store_put(id, T_DELETED, d);
	if (!dr)
		return;
	cJSON_AddItemToObject(dr->sim, "vault", cJSON_Duplicate(v->doc, 1));
	cJSON_AddItemToObject(dr->sim, "vaultSim", cJSON_Duplicate(v->sim, 1));
	cJSON *keys = cJSON_AddArrayToObject(dr->sim, "keys");
	sim_res **arr;
	size_t n = store_list(&arr, T_KEY, v->id);
	for (size_t i = 0; i < n; i++) {
		cJSON *k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "id", arr[i]->id);
		cJSON_AddItemToObject(k, "doc", cJSON_Duplicate(arr[i]->doc, 1));
		cJSON_AddItemToObject(k, "sim", cJSON_Duplicate(arr[i]->sim, 1));
		cJSON_AddItemToArray(keys, k);
	}
	free(arr);
	cJSON_AddNumberToObject(dr->sim, "purgeAtMs", (double)at);
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx, "id", id);
	cJSON_AddNumberToObject(ctx, "at", (double)at);
	sim_timer_add(at, kv__purge_due, ctx);
}

/* createMode "recover": the vault and its keys come back as they were. */
static sim_res *kv__recover(sim_res *del)
{
	cJSON *vd = cJSON_Duplicate(sim_json_get(del->sim, "vault"), 1);
	const char *vid = sim_json_str(vd, "id");
	sim_res *v = vid ? store_put(vid, T_VAULT, vd) : NULL;
	if (!v) {
		cJSON_Delete(vd);
		return NULL;
	}
	cJSON *vs = sim_json_get(del->sim, "vaultSim");
	if (cJSON_IsObject(vs)) {
		cJSON_Delete(v->sim);
		v->sim = cJSON_Duplicate(vs, 1);
	}
	const cJSON *k;
	cJSON_ArrayForEach(k, sim_json_get(del->sim, "keys")) {
		sim_res *kr = store_put(sim_json_str(k, "id"), T_KEY, cJSON_Duplicate(sim_json_get(k, "doc"), 1));
		if (kr) {
			cJSON_Delete(kr->sim);
			kr->sim = cJSON_Duplicate(sim_json_get(k, "sim"), 1);
		}
	}
	store_delete(del);
	return v;
}

/* 3-24 characters: letters, digits, hyphens; a letter first, a letter or
 * digit last, no "--". */
static bool kv__valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 3 || len > 24 || !isalpha((unsigned char)n[0]) || !isalnum((unsigned char)n[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)n[i]) && n[i] != '-')
			return false;
		if (n[i] == '-' && n[i + 1] == '-')
			return false;
	}
	return true;
}

#define KV_NAME_INVALID \
	"The vault name '%s' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name " \
	"must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this " \
	"link for more information: https://go.microsoft.com/fwlink/?linkid=2147742"

static void kv_check_name(sim_req *req, sim_resp *resp)
{
	if (!arm_body_object(req, resp))
		return;
	const char *name = sim_json_str(req->json, "name"), *type = sim_json_str(req->json, "type");
	if (!name || !type || !sim_streq_ci(type, T_VAULT)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The request needs \"name\" and \"type\": \"Microsoft.KeyVault/vaults\".");
		return;
	}
	char msg[1024];
	cJSON *b = cJSON_CreateObject();
	if (!kv__valid_name(name)) {
		cJSON_AddBoolToObject(b, "nameAvailable", false);
		cJSON_AddStringToObject(b, "reason", "AccountNameInvalid");
		snprintf(msg, sizeof msg, KV_NAME_INVALID, name);
		cJSON_AddStringToObject(b, "message", msg);
	} else if (kv_vault_by_name(name) || kv__deleted_by_name(name)) {
		cJSON_AddBoolToObject(b, "nameAvailable", false);
		cJSON_AddStringToObject(b, "reason", "AlreadyExists");
		snprintf(msg, sizeof msg, "The vault name '%s' is already in use.%s", name,
			 kv_vault_by_name(name) ? "" : " A vault with this name is in deleted state.");
		cJSON_AddStringToObject(b, "message", msg);
	} else {
		cJSON_AddBoolToObject(b, "nameAvailable", true);
	}
	resp_json(resp, 200, b);
}

/* The vault of the request, or NULL after answering 404. */
static sim_res *kv__vault_of(const sim_req *req, sim_resp *resp)
{
	char id[1024];
	kv__id(id, sizeof id, req);
	sim_res *v = store_get_typed(id, T_VAULT);
	if (!v)
		arm_not_found(resp, T_VAULT, req->cap[2], req->cap[1]);
	return v;
}

static void kv_get(sim_req *req, sim_resp *resp)
{
	sim_res *v = kv__vault_of(req, resp);
	if (!v)
		return;
	resp_json(resp, 200, store_render(v, req->api_version));
}

static void kv_put(sim_req *req, sim_resp *resp)
{
	char id[1024];
	if (!arm_body_object(req, resp))
		return;
	kv__id(id, sizeof id, req);
	sim_res *cur = store_get_typed(id, T_VAULT);
	if (!arm_check_conditions(req, resp, cur))
		return;
	const char *loc = sim_json_str(req->json, "location");
	const cJSON *props = sim_json_get(req->json, "properties");
	if (!loc) {
		resp_arm_error(resp, 400, "LocationRequired",
			       "The location property is required for this definition.");
		return;
	}
	if (!cJSON_IsObject(props) || !sim_json_str(props, "tenantId") ||
	    !cJSON_IsObject(sim_json_get(props, "sku"))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The parameters 'properties.tenantId' and 'properties.sku' are required to create or update a vault.");
		return;
	}
	if (cur && !sim_location_eq(loc, sim_json_str(cur->doc, "location"))) {
		resp_arm_error(resp, 400, "LocationNotAvailableForResourceType",
			       "The vault '%s' exists in location '%s'; its location cannot be changed.",
			       req->cap[2], sim_json_str(cur->doc, "location"));
		return;
	}
	if (!cur && !kv__valid_name(req->cap[2])) {
		resp_arm_error(resp, 400, "VaultNameNotValid", KV_NAME_INVALID, req->cap[2]);
		return;
	}
	if (!cur) {
		/* vault names are global (DNS names) */
		sim_res *other = kv_vault_by_name(req->cap[2]);
		if (other) {
			resp_arm_error(resp, 409, "VaultAlreadyExists",
				       "The vault name '%s' is already in use. Vault names are globally unique so it "
				       "is possible that the name is already taken. If you are sure that the vault "
				       "name was not taken then it is possible that a vault with the same name was "
				       "recently deleted but not purged after being placed in a recoverable state. If "
				       "the vault is in a recoverable state then the vault will need to be purged "
				       "before reusing the name. For more information on VaultAlreadyExists, soft "
				       "delete and purging a vault follow this link "
				       "https://go.microsoft.com/fwlink/?linkid=2147740.",
				       req->cap[2]);
			return;
		}
	}
	const char *mode = sim_json_str(props, "createMode");
	sim_res *del = cur ? NULL : kv__deleted_by_name(req->cap[2]);
	if (del && (!mode || strcasecmp(mode, "recover"))) {
		resp_arm_error(resp, 409, "ConflictError",
			       "A vault with the same name already exists in deleted state. You need to either recover or "
			       "purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 "
			       "for more information on soft delete.");
		return;
	}
	if (!cur && mode && !strcasecmp(mode, "recover")) {
		if (!del) {
			resp_arm_error(resp, 404, "DeletedVaultNotFound",
				       "The deleted vault '%s' was not found: there is nothing to recover.", req->cap[2]);
			return;
		}
		if (!sim_streq_ci(sim_json_str(del->doc, "properties.vaultId"), id)) {
			resp_arm_error(resp, 400, "BadRequest",
				       "The vault '%s' can only be recovered as '%s'.", req->cap[2],
				       sim_json_str(del->doc, "properties.vaultId"));
			return;
		}
		sim_res *v = kv__recover(del);
		if (!v) {
			resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
			return;
		}
		cJSON *rt = sim_json_get(req->json, "tags");
		if (cJSON_IsObject(rt))
			sim_json_set(v->doc, "tags", cJSON_Duplicate(rt, 1));
		arm_system_data(v->doc, req, false);
		kv__complete(v->doc, kv_vault_name(v));
		lro_tick(); /* clusters using its keys reach them again */
		resp_json(resp, 200, store_render(v, req->api_version));
		return;
	}
	if (!kv__check_props(resp, props, cur))
		return;
	/* purge protection, once on, stays on even when a PUT omits it */
	bool had_pp = cur && cJSON_IsTrue(sim_json_path(cur->doc, "properties.enablePurgeProtection"));

	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "id", cur ? cur->id : id);
	cJSON_AddStringToObject(doc, "name", cur ? sim_json_str(cur->doc, "name") : req->cap[2]);
	cJSON_AddStringToObject(doc, "type", T_VAULT);
	cJSON_AddStringToObject(doc, "location", loc);
	cJSON *tags = sim_json_get(req->json, "tags");
	cJSON_AddItemToObject(doc, "tags", cJSON_IsObject(tags) ? cJSON_Duplicate(tags, 1) : cJSON_CreateObject());
	cJSON *np = cJSON_Duplicate(props, 1);
	kv__canon_props(np);
	cJSON_DeleteItemFromObject(np, "createMode"); /* a request option, not a property */
	cJSON_AddItemToObject(doc, "properties", np);
	if (cur) {
		cJSON *sd = sim_json_get(cur->doc, "systemData");
		if (sd)
			cJSON_AddItemToObject(doc, "systemData", cJSON_Duplicate(sd, 1));
		/* soft delete and its retention are properties of the vault's
		 * history, not of one request */
		cJSON *was = sim_json_path(cur->doc, "properties.enableSoftDelete");
		if (!sim_json_get(np, "enableSoftDelete") && was)
			sim_json_set(np, "enableSoftDelete", cJSON_Duplicate(was, 1));
		was = sim_json_path(cur->doc, "properties.softDeleteRetentionInDays");
		if (!sim_json_get(np, "softDeleteRetentionInDays") && was)
			sim_json_set(np, "softDeleteRetentionInDays", cJSON_Duplicate(was, 1));
	}
	if (had_pp)
		sim_json_set(np, "enablePurgeProtection", cJSON_CreateTrue());
	arm_system_data(doc, req, !cur);
	kv__complete(doc, req->cap[2]);
	sim_res *v = store_put(cur ? cur->id : id, T_VAULT, doc);
	if (!v) {
		resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
		return;
	}
	/* keys' ARM documents carry the vault's recovery level */
	sim_res **keys;
	size_t nk = store_list(&keys, "Microsoft.KeyVault/vaults/keys", v->id);
	for (size_t i = 0; i < nk; i++)
		kv_key_sync_doc(keys[i]);
	free(keys);

	if (strcmp(req->api_version, KV_LRO_FROM) >= 0 && req->api_version[0] == '2') {
		/* the vault is usable at once; the operation only reports it */
		sim_op *op = lro_start(&(lro_start_opts){
			.provider = "Microsoft.KeyVault", .location = loc, .subscription_id = req->cap[0],
			.resource_id = v->id, .resource_type = T_VAULT, .kind = "vault.createOrUpdate",
			.duration_s = 0, .result = LRO_RESULT_RESOURCE, .api_version = req->api_version });
		if (op)
			lro_headers(req, resp, op, &(lro_header_opts){ .location = true });
	}
	lro_tick(); /* access changes are observed when they happen */
	resp_json(resp, cur ? 200 : 201, store_render(v, req->api_version));
}

static void kv_patch(sim_req *req, sim_resp *resp)
{
	if (!arm_body_object(req, resp))
		return;
	sim_res *cur = kv__vault_of(req, resp);
	if (!cur)
		return;
	if (!arm_check_conditions(req, resp, cur))
		return;
	const cJSON *props = sim_json_get(req->json, "properties");
	if (props && !kv__check_props(resp, props, cur))
		return;
	cJSON *tags = sim_json_get(req->json, "tags");
	if (cJSON_IsObject(tags))
		sim_json_set(cur->doc, "tags", cJSON_Duplicate(tags, 1));
	if (cJSON_IsObject(props)) {
		cJSON *cp = sim_json_obj(cur->doc, "properties");
		const cJSON *p;
		cJSON_ArrayForEach(p, props) {
			/* a patched accessPolicies replaces the list, like every
			 * other property (VaultPatchProperties) */
			if (!p->string || !strcasecmp(p->string, "vaultUri") ||
			    !strcasecmp(p->string, "provisioningState"))
				continue;
			sim_json_set(cp, p->string, cJSON_Duplicate(p, 1));
		}
	}
	kv__canon_props(sim_json_obj(cur->doc, "properties"));
	arm_system_data(cur->doc, req, false);
	kv__complete(cur->doc, kv_vault_name(cur));
	sim_res **keys;
	size_t nk = store_list(&keys, "Microsoft.KeyVault/vaults/keys", cur->id);
	for (size_t i = 0; i < nk; i++)
		kv_key_sync_doc(keys[i]);
	free(keys);
	lro_tick(); /* access changes are observed when they happen */
	resp_json(resp, 200, store_render(cur, req->api_version));
}

static void kv_delete(sim_req *req, sim_resp *resp)
{
	char id[1024];
	kv__id(id, sizeof id, req);
	sim_res *cur = store_get_typed(id, T_VAULT);
	if (!cur) {
		resp_json(resp, 204, NULL);
		return;
	}
	/* soft delete (on unless the vault predates it with it off) keeps the
	 * vault and its keys recoverable; the name stays taken */
	cJSON *sd = sim_json_path(cur->doc, "properties.enableSoftDelete");
	if (!sd || cJSON_IsTrue(sd))
		kv__soft_delete(cur, req->cap[0]);
	char keep[1024];
	snprintf(keep, sizeof keep, "%s", cur->id);
	store_delete_tree(keep);
	lro_tick();
	resp_json(resp, 200, NULL);
}

static void kv_list(sim_req *req, sim_resp *resp)
{
	arm_list_scoped(req, resp, T_VAULT);
}

static void kv_operation_result(sim_req *req, sim_resp *resp)
{
	lro_serve_result(req, resp, req->cap[3]);
}

static void kv_access_policy(sim_req *req, sim_resp *resp)
{
	char id[1024];
	const char *kind = req->cap[3];
	if (!arm_body_object(req, resp))
		return;
	if (strcasecmp(kind, "add") && strcasecmp(kind, "replace") && strcasecmp(kind, "remove")) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The value '%s' is not valid for operationKind. Valid values are 'add', 'replace' and 'remove'.",
			       kind);
		return;
	}
	kv__id(id, sizeof id, req);
	sim_res *v = store_get_typed(id, T_VAULT);
	if (!v) {
		arm_not_found(resp, T_VAULT, req->cap[2], req->cap[1]);
		return;
	}
	const cJSON *pols = sim_json_path(req->json, "properties.accessPolicies");
	if (!cJSON_IsArray(pols)) {
		resp_arm_error(resp, 400, "BadRequest", "The parameter 'properties.accessPolicies' is required.");
		return;
	}
	char lk[16];
	sim_lower(lk, sizeof lk, kind);
	if (kv_access_policy_update(v, lk, pols) < 0) {
		resp_arm_error(resp, 400, "BadRequest", "%s", cmk_error_last());
		return;
	}
	kv__canon_props(sim_json_obj(v->doc, "properties"));
	arm_system_data(v->doc, req, false);
	lro_tick(); /* a removal (revocation) takes effect at this instant */
	/* the answer echoes the access policies of the request */
	cJSON *b = cJSON_CreateObject();
	char rid[1100];
	snprintf(rid, sizeof rid, "%s/accessPolicies/", v->id);
	cJSON_AddStringToObject(b, "id", rid);
	cJSON_AddStringToObject(b, "type", "Microsoft.KeyVault/vaults/accessPolicies");
	const char *loc = sim_json_str(v->doc, "location");
	if (loc)
		cJSON_AddStringToObject(b, "location", loc);
	cJSON *bp = cJSON_AddObjectToObject(b, "properties");
	cJSON_AddItemToObject(bp, "accessPolicies", cJSON_Duplicate(pols, 1));
	resp_json(resp, 200, b);
}

/* The deleted vault of /locations/{cap1}/deletedVaults/{cap2} (its id and
 * normalised location in id and loc), or NULL after answering 404. */
static sim_res *kv__deleted_or_404(const sim_req *req, sim_resp *resp, char id[1024], char loc[64])
{
	sim_location_norm(loc, 64, req->cap[1]);
	snprintf(id, 1024, "/subscriptions/%s/providers/Microsoft.KeyVault/locations/%s/deletedVaults/%s",
		 req->cap[0], loc, req->cap[2]);
	sim_res *d = store_get_typed(id, T_DELETED);
	if (!d)
		resp_arm_error(resp, 404, "ResourceNotFound",
			       "The Resource 'Microsoft.KeyVault/deletedVaults/%s' was not found.", req->cap[2]);
	return d;
}

static void kv_deleted_get(sim_req *req, sim_resp *resp)
{
	char id[1024], loc[64];
	sim_res *d = kv__deleted_or_404(req, resp, id, loc);
	if (!d)
		return;
	resp_json(resp, 200, store_render(d, req->api_version));
}

static void kv_deleted_list(sim_req *req, sim_resp *resp)
{
	char scope[256];
	sim_res **arr;
	snprintf(scope, sizeof scope, "/subscriptions/%s", req->cap[0]);
	size_t n = store_list(&arr, T_DELETED, scope);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

static void kv_deleted_purge(sim_req *req, sim_resp *resp)
{
	char id[1024], loc[64];
	sim_res *d = kv__deleted_or_404(req, resp, id, loc);
	if (!d)
		return;
	if (cJSON_IsTrue(sim_json_path(d->doc, "properties.purgeProtectionEnabled"))) {
		resp_arm_error(resp, 409, "Conflict",
			       "The vault '%s' has purge protection enabled: it cannot be purged before its scheduled "
			       "purge date '%s'.", req->cap[2], sim_json_str(d->doc, "properties.scheduledPurgeDate"));
		return;
	}
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = "Microsoft.KeyVault", .location = loc, .subscription_id = req->cap[0],
		.resource_id = id, .resource_type = T_DELETED, .kind = "deletedVault.purge", .duration_s = 0,
		.result = LRO_RESULT_OK_EMPTY, .api_version = req->api_version });
	store_delete(d);
	if (op)
		lro_headers(req, resp, op, &(lro_header_opts){ .location = true });
	resp_json(resp, 202, NULL);
}

static void kv_deleted_op(sim_req *req, sim_resp *resp)
{
	lro_serve_result(req, resp, req->cap[3]);
}

/* ---- keys on the management plane (Microsoft.KeyVault/vaults/keys) -------------
 * What ARM shows of the data-plane keys: read with ARM permissions only
 * (no access policy needed), and created with Keys_CreateIfNotExist. */

static void kv__key_not_found(const sim_req *req, sim_resp *resp, const char *what)
{
	char name[512];
	snprintf(name, sizeof name, "%s/keys/%s", req->cap[2], what);
	arm_not_found(resp, T_VAULT, name, req->cap[1]);
}

/* The ARM document of one version of `key` (caller owns). */
static cJSON *kv__version_doc(const sim_res *key, const cJSON *ver)
{
	cJSON *d = cJSON_Duplicate(key->doc, 1);
	const char *vs = sim_json_str(ver, "version");
	char id[1400], uri[1400];
	snprintf(id, sizeof id, "%s/versions/%s", key->id, vs);
	sim_json_set_str(d, "id", id);
	sim_json_set_str(d, "name", vs);
	sim_json_set_str(d, "type", "Microsoft.KeyVault/vaults/keys/versions");
	cJSON *p = sim_json_obj(d, "properties");
	const char *ku = sim_json_str(p, "keyUri");
	snprintf(uri, sizeof uri, "%s/%s", ku ? ku : "", vs);
	sim_json_set_str(p, "keyUriWithVersion", uri);
	sim_json_set_str(p, "kty", sim_json_str(ver, "kty"));
	sim_json_set(p, "keySize", cJSON_CreateNumber(sim_json_get(ver, "keySize")->valuedouble));
	sim_json_set(p, "keyOps", cJSON_Duplicate(sim_json_get(ver, "keyOps"), 1));
	cJSON *a = sim_json_obj(p, "attributes");
	sim_json_set(a, "enabled", cJSON_CreateBool(cJSON_IsTrue(sim_json_get(ver, "enabled"))));
	sim_json_set(a, "created", cJSON_CreateNumber(sim_json_get(ver, "created")->valuedouble));
	sim_json_set(a, "updated", cJSON_CreateNumber(sim_json_get(ver, "updated")->valuedouble));
	return d;
}

/* The key cap[3] of the request's vault, or NULL after answering 404. */
static sim_res *kv__key_of(sim_req *req, sim_resp *resp)
{
	sim_res *v = kv__vault_of(req, resp);
	if (!v)
		return NULL;
	sim_res *k = kv_key_get(v, req->cap[3]);
	if (!k)
		kv__key_not_found(req, resp, req->cap[3]);
	return k;
}

static void kv_key_get_h(sim_req *req, sim_resp *resp)
{
	sim_res *k = kv__key_of(req, resp);
	if (!k)
		return;
	resp_json(resp, 200, store_render(k, req->api_version));
}

static void kv_key_list_h(sim_req *req, sim_resp *resp)
{
	sim_res *v = kv__vault_of(req, resp);
	if (!v)
		return;
	sim_res **arr;
	size_t n = store_list(&arr, T_KEY, v->id);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

static void kv_key_versions_h(sim_req *req, sim_resp *resp)
{
	sim_res *k = kv__key_of(req, resp);
	if (!k)
		return;
	cJSON *vals = cJSON_CreateArray(), *ver;
	cJSON_ArrayForEach(ver, sim_json_get(k->sim, "versions"))
		cJSON_AddItemToArray(vals, kv__version_doc(k, ver));
	arm_list_respond_values(req, resp, vals);
}

static void kv_key_version_h(sim_req *req, sim_resp *resp)
{
	sim_res *v = kv__vault_of(req, resp);
	if (!v)
		return;
	sim_res *k = kv_key_get(v, req->cap[3]);
	cJSON *ver = k ? kv_key_version(k, req->cap[4]) : NULL;
	if (!ver) {
		char what[300];
		snprintf(what, sizeof what, "%s/versions/%s", req->cap[3], req->cap[4]);
		kv__key_not_found(req, resp, what);
		return;
	}
	resp_json(resp, 200, kv__version_doc(k, ver));
}

/* Keys_CreateIfNotExist: the first version of a new key; an existing key is
 * returned unchanged. */
static void kv_key_put_h(sim_req *req, sim_resp *resp)
{
	if (!arm_body_object(req, resp))
		return;
	sim_res *v = kv__vault_of(req, resp);
	if (!v)
		return;
	sim_res *k = kv_key_get(v, req->cap[3]);
	if (k) {
		resp_json(resp, 200, store_render(k, req->api_version));
		return;
	}
	const cJSON *p = sim_json_get(req->json, "properties");
	const char *kty = sim_json_str(p, "kty");
	if (!kty || (strcmp(kty, "RSA") && strcmp(kty, "RSA-HSM"))) {
		resp_arm_error(resp, 400, "BadRequest",
			       kty ? "armsim emulates RSA and RSA-HSM keys only." : "The property 'properties.kty' is required.");
		return;
	}
	cJSON *size = sim_json_get(p, "keySize");
	int bits = cJSON_IsNumber(size) ? size->valueint : 2048;
	if (bits != 2048 && bits != 3072 && bits != 4096) {
		resp_arm_error(resp, 400, "BadRequest", "The key size %d is not supported; use 2048, 3072 or 4096.", bits);
		return;
	}
	bool enabled = !cJSON_IsFalse(sim_json_path(p, "attributes.enabled"));
	k = kv_key_create(v, req->cap[3], kty, bits, enabled);
	if (!k) {
		resp_arm_error(resp, 500, "InternalServerError", "The key could not be created.");
		return;
	}
	const cJSON *ops = sim_json_get(p, "keyOps");
	cJSON *tags = sim_json_get(req->json, "tags");
	if (cJSON_IsArray(ops))
		sim_json_set(kv_key_version(k, NULL), "keyOps", cJSON_Duplicate(ops, 1));
	if (cJSON_IsObject(tags))
		sim_json_set(k->doc, "tags", cJSON_Duplicate(tags, 1));
	kv_key_sync_doc(k);
	lro_tick();
	resp_json(resp, 200, store_render(k, req->api_version));
}

static int kv_on_load(sim_res *res)
{
	const char *slash = strrchr(res->id, '/');
	kv__complete(res->doc, slash ? slash + 1 : res->id);
	if (!sim_json_get(res->doc, "systemData")) {
		/* a fixture vault was made by "someone" before armsim started */
		char now[64];
		simclock_iso8601(now, sizeof now, simclock_now_ms());
		cJSON *sd = sim_json_obj(res->doc, "systemData");
		sim_json_set_str(sd, "createdBy", "armsim-fixture");
		sim_json_set_str(sd, "createdByType", "Application");
		sim_json_set_str(sd, "createdAt", now);
		sim_json_set_str(sd, "lastModifiedBy", "armsim-fixture");
		sim_json_set_str(sd, "lastModifiedByType", "Application");
		sim_json_set_str(sd, "lastModifiedAt", now);
	}
	return 0;
}

#define VAULT_PATH "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"

void res_keyvault_register(void)
{
	router_add_arm("GET", VAULT_PATH, T_VAULT, kv_versions, false, kv_get);
	router_add_arm("PUT", VAULT_PATH, T_VAULT, kv_versions, false, kv_put);
	router_add_arm("PATCH", VAULT_PATH, T_VAULT, kv_versions, false, kv_patch);
	router_add_arm("DELETE", VAULT_PATH, T_VAULT, kv_versions, false, kv_delete);
	router_add_arm("GET", "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults",
		       T_VAULT, kv_versions, true, kv_list);
	router_add_arm("GET", "/subscriptions/{s}/providers/Microsoft.KeyVault/vaults", T_VAULT, kv_versions,
		       true, kv_list);
	router_add_arm("GET", VAULT_PATH "/operationresults/{op}", T_VAULT, kv_versions, false,
		       kv_operation_result);
	/* accessPolicies/{operationKind}: the write action of the vault's access policies */
	router_add(&(sim_route){ .method = "PUT", .pattern = VAULT_PATH "/accessPolicies/{kind}",
				 .kind = SIM_ROUTE_ARM, .resource_type = "Microsoft.KeyVault/vaults/accessPolicies",
				 .api_versions = kv_versions,
				 .action = "Microsoft.KeyVault/vaults/accessPolicies/write",
				 .sub_cap = 0, .rg_cap = 1, .fn = kv_access_policy });
	store_type_register(&(sim_type){ .type = T_VAULT, .on_load = kv_on_load });
	store_type_register(&(sim_type){ .type = T_DELETED, .on_load = kv_deleted_on_load });
	router_add_arm("GET", VAULT_PATH "/keys", T_KEY, kv_versions, false, kv_key_list_h);
	router_add_arm("GET", VAULT_PATH "/keys/{key}", T_KEY, kv_versions, false, kv_key_get_h);
	router_add_arm("PUT", VAULT_PATH "/keys/{key}", T_KEY, kv_versions, false, kv_key_put_h);
	router_add_arm("GET", VAULT_PATH "/keys/{key}/versions", T_KEY, kv_versions, false, kv_key_versions_h);
	router_add_arm("GET", VAULT_PATH "/keys/{key}/versions/{ver}", T_KEY, kv_versions, false, kv_key_version_h);

#define DELETED_PATH "/subscriptions/{s}/providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}"
	router_add_arm("GET", DELETED_PATH, T_DELETED, kv_versions, false, kv_deleted_get);
	router_add_arm("GET", "/subscriptions/{s}/providers/Microsoft.KeyVault/deletedVaults", T_DELETED, kv_versions,
		       true, kv_deleted_list);
	router_add(&(sim_route){ .method = "POST", .pattern = DELETED_PATH "/purge", .kind = SIM_ROUTE_ARM,
				 .resource_type = T_DELETED, .api_versions = kv_versions,
				 .action = "Microsoft.KeyVault/locations/deletedVaults/purge/action",
				 .sub_cap = 0, .rg_cap = -1, .fn = kv_deleted_purge });
	router_add_arm("GET", DELETED_PATH "/operationresults/{op}", T_DELETED, kv_versions, false, kv_deleted_op);
	router_add(&(sim_route){ .method = "POST", .pattern = "/subscriptions/{s}/providers/Microsoft.KeyVault/checkNameAvailability",
				 .kind = SIM_ROUTE_ARM, .resource_type = T_VAULT, .api_versions = kv_versions,
				 .action = "Microsoft.KeyVault/checkNameAvailability/read", .sub_cap = 0, .rg_cap = -1,
				 .fn = kv_check_name });
}
