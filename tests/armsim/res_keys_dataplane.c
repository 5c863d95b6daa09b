/*
 * res_keys_dataplane.c - the Key Vault keys data plane on
 * https://<vault>.vault.localhost:PORT/: get key (current or a version),
 * list keys, list key versions, create key (a new version when it exists),
 * rotate, update (attributes.enabled, nbf, exp, key_ops, tags), wrapKey and
 * unwrapKey.
 *
 * Authorisation is Key Vault's: access policies, or RBAC data actions when
 * the vault has enableRbacAuthorization; refusals are 403 Forbidden with
 * innererror ForbiddenByPolicy (AccessDenied before 7.2) or ForbiddenByRbac,
 * worded as Key Vault words them. Disabling a key here is what the Log
 * Analytics and Kusto revocation rules observe (store_kv.c state).
 *
 * The same handlers serve the Managed HSM keys data plane on
 * https://<hsm>.managedhsm.localhost:PORT/ (SIM_ROUTE_HSM): authorisation is
 * the HSM's local RBAC (managedHsm data actions at "/", "/keys" or
 * "/keys/<key>"), refusals 403 AccessDenied "Not authorized to access
 * <data action> on <scope> (Activity ID: …)" (the service's wording, as
 * azure-cli#32719 shows it); key types RSA-HSM, RSA and oct-HSM.
 *
 * wrapKey/unwrapKey do not run RSA (armsim holds no private keys): the
 * wrapped value is a modulus-sized blob only the same key version unwraps,
 * which is what a client can observe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "lro.h"
#include "router.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define T_KEY "Microsoft.KeyVault/vaults/keys"

/* Latest stable first: Key Vault names it in its unknown-version error. */
static const char *const kvdp_api_versions[] = {
	"2025-07-01", "7.6", "7.6-preview.2", "7.6-preview.1", "7.5", "7.5-preview.1", "7.4",
	"7.4-preview.1", "7.3", "7.3-preview", "7.2", "7.2-preview", "7.1", "7.1-preview", "7.0",
	"7.0-preview", "2016-10-01", "2015-06-01", NULL
};

/* One key operation as access policies and RBAC name it. */
typedef struct kvdp_op {
	const char *perm;        /* access-policy permission: "get", "wrapKey" */
	const char *data_action; /* RBAC data action */
	const char *hsm_action;  /* Managed HSM local RBAC data action */
} kvdp_op;

#define MHSM "Microsoft.KeyVault/managedHsm/keys/"
static const kvdp_op OP_GET = { "get", "Microsoft.KeyVault/vaults/keys/read", MHSM "read/action" };
static const kvdp_op OP_LIST = { "list", "Microsoft.KeyVault/vaults/keys/read", MHSM "read/action" };
static const kvdp_op OP_CREATE = { "create", "Microsoft.KeyVault/vaults/keys/create/action", MHSM "create" };
static const kvdp_op OP_UPDATE = { "update", "Microsoft.KeyVault/vaults/keys/update/action", MHSM "write/action" };
static const kvdp_op OP_ROTATE = { "rotate", "Microsoft.KeyVault/vaults/keys/rotate/action", MHSM "rotate/action" };
static const kvdp_op OP_WRAP = { "wrapKey", "Microsoft.KeyVault/vaults/keys/wrap/action", MHSM "wrap/action" };
static const kvdp_op OP_UNWRAP = { "unwrapKey", "Microsoft.KeyVault/vaults/keys/unwrap/action", MHSM "unwrap/action" };

/* The local RBAC scope of a key operation on an HSM: "/keys/<key>" or "/keys". */
static void kvdp__hsm_scope(char *out, size_t len, const char *key_name)
{
	if (key_name && *key_name)
		snprintf(out, len, "/keys/%s", key_name);
	else
		snprintf(out, len, "/keys");
}

/* Key Vault error body {"error":{"code","message","innererror":{"code"}}}. */
static void kvdp__error(sim_resp *resp, int status, const char *code, const char *inner,
			const char *msg)
{
	cJSON *b = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(b, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	if (inner) {
		cJSON *i = cJSON_AddObjectToObject(e, "innererror");
		cJSON_AddStringToObject(i, "code", inner);
	}
	resp_json(resp, status, b);
}

static void kvdp__key_not_found(sim_resp *resp, const char *name)
{
	char msg[768];
	snprintf(msg, sizeof msg,
		 "A key with (name/id) %s was not found in this key vault. If you recently deleted this "
		 "key you may be able to recover it using the correct recovery command. For help "
		 "resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
		 name);
	kvdp__error(resp, 404, "KeyNotFound", NULL, msg);
}

static void kvdp__version_not_found(sim_resp *resp, const char *name, const char *version)
{
	char msg[768];
	snprintf(msg, sizeof msg,
		 "A key with (name/id) %s/%s was not found in this key vault. If you recently deleted "
		 "this key you may be able to recover it using the correct recovery command. For help "
		 "resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
		 name, version);
	kvdp__error(resp, 404, "KeyNotFound", NULL, msg);
}

static void kvdp__bad_param(sim_resp *resp, const char *msg)
{
	kvdp__error(resp, 400, "BadParameter", NULL, msg);
}

/* Access-policy innererror: "AccessDenied" until 7.1, "ForbiddenByPolicy" since. */
static const char *kvdp__policy_inner(const char *api_version)
{
	static const char *const old[] = { "2015-06-01", "2016-10-01", "7.0", "7.0-preview", "7.1",
					   "7.1-preview", NULL };
	for (int i = 0; old[i]; i++)
		if (!strcmp(old[i], api_version))
			return "AccessDenied";
	return "ForbiddenByPolicy";
}

/* Does the caller hold `op` on key `key_name` ("" = vault-wide)? */
static bool kvdp__allowed(const sim_req *req, const sim_res *vault, const char *key_name,
			  const kvdp_op *op)
{
	const char *oid = req->caller.object_id;
	if (hsm_is(vault)) {
		char scope[600];
		kvdp__hsm_scope(scope, sizeof scope, key_name);
		return hsm_data_allowed(vault, oid, scope, op->hsm_action);
	}
	if (kv_vault_rbac_mode(vault)) {
		char scope[1200];
		if (key_name && *key_name)
			snprintf(scope, sizeof scope, "%s/keys/%s", vault->id, key_name);
		else
			snprintf(scope, sizeof scope, "%s", vault->id);
		return rbac_data_allowed(oid, scope, op->data_action);
	}
	const char *vt = sim_json_str(vault->doc, "properties.tenantId");
	const cJSON *pol;
	cJSON_ArrayForEach(pol, sim_json_path(vault->doc, "properties.accessPolicies")) {
		if (!sim_streq_ci(sim_json_str(pol, "objectId"), oid))
			continue;
		if (vt && !sim_streq_ci(vt, req->caller.tenant_id))
			continue;
		const char *app = sim_json_str(pol, "applicationId");
		if (app && *app && !sim_streq_ci(app, req->caller.app_id))
			continue; /* compound identity: application + principal */
		const cJSON *p;
		cJSON_ArrayForEach(p, sim_json_path(pol, "permissions.keys"))
			if (cJSON_IsString(p) && (!strcasecmp(p->valuestring, op->perm) ||
						  !strcasecmp(p->valuestring, "all")))
				return true;
	}
	return false;
}

static void kvdp__forbidden(const sim_req *req, sim_resp *resp, const sim_res *vault,
			    const char *key_name, const kvdp_op *op)
{
	char msg[2048], loc[64];
	sim_location_norm(loc, sizeof loc, sim_json_str(vault->doc, "location"));
	if (hsm_is(vault)) {
		char scope[600], activity[40];
		kvdp__hsm_scope(scope, sizeof scope, key_name);
		sim_guid(activity);
		snprintf(msg, sizeof msg, "Not authorized to access %s on %s (Activity ID: %s)", op->hsm_action, scope,
			 activity);
		kvdp__error(resp, 403, "AccessDenied", NULL, msg);
		return;
	}
	if (kv_vault_rbac_mode(vault)) {
		char res[1200];
		if (key_name && *key_name)
			snprintf(res, sizeof res, "%s/keys/%s", vault->id, key_name);
		else
			snprintf(res, sizeof res, "%s", vault->id);
		char low[1200];
		sim_lower(low, sizeof low, res);
		snprintf(msg, sizeof msg,
			 "Caller is not authorized to perform action on resource.\r\nIf role assignments, "
			 "deny assignments or role definitions were changed recently, please observe "
			 "propagation time.\r\nCaller: appid=%s;oid=%s;iss=https://sts.windows.net/%s/\r\n"
			 "Action: '%s'\r\nResource: '%s'\r\nAssignment: (not found)\r\nDenyAssignmentId: "
			 "null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: %s;location=%s\r\n",
			 req->caller.app_id, req->caller.object_id, req->caller.tenant_id, op->data_action,
			 low, kv_vault_name(vault), loc);
		kvdp__error(resp, 403, "Forbidden", "ForbiddenByRbac", msg);
		return;
	}
	snprintf(msg, sizeof msg,
		 "The user, group or application 'appid=%s;oid=%s;iss=https://sts.windows.net/%s/' does "
		 "not have keys %s permission on key vault '%s;location=%s'. For help resolving this "
		 "issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
		 req->caller.app_id, req->caller.object_id, req->caller.tenant_id, op->perm,
		 kv_vault_name(vault), loc);
	kvdp__error(resp, 403, "Forbidden", kvdp__policy_inner(req->api_version), msg);
}

/* The vault the request's host names; answers for the caller's tenant. */
static sim_res *kvdp__vault(sim_req *req, sim_resp *resp)
{
	sim_res *v = req->vault_name ? kv_vault_by_name(req->vault_name)
				     : req->hsm_name ? hsm_by_name(req->hsm_name) : NULL;
	if (!v) {
		/* a vault that does not exist has no DNS name: the client
		 * cannot connect */
		resp->drop_connection = true;
		resp_json(resp, 404, NULL);
		return NULL;
	}
	const char *vt = sim_json_str(v->doc, "properties.tenantId");
	if (vt && !sim_streq_ci(vt, req->caller.tenant_id)) {
		char msg[512];
		resp_header(resp, "WWW-Authenticate", "Bearer authorization=\"%s/%s\", resource=\"%s\"",
			    req_base_url(req), vt, req->hsm_name ? HSM_AUDIENCE : KV_AUDIENCE);
		snprintf(msg, sizeof msg,
			 "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/%s/, "
			 "https://login.microsoftonline.com/%s/v2.0, found https://sts.windows.net/%s/.",
			 vt, vt, req->caller.tenant_id);
		kvdp__error(resp, 401, "Unauthorized", NULL, msg);
		return NULL;
	}
	return v;
}

/* The key bundle served for a version, with the version's tags and
 * validity attributes. */
static cJSON *kvdp__bundle(const sim_res *vault, const sim_res *key, const cJSON *ver)
{
	cJSON *b = kv_key_bundle(vault, key, ver);
	cJSON *a = sim_json_get(b, "attributes");
	cJSON *nbf = sim_json_get(ver, "nbf"), *exp = sim_json_get(ver, "exp");
	if (cJSON_IsNumber(nbf))
		cJSON_AddNumberToObject(a, "nbf", nbf->valuedouble);
	if (cJSON_IsNumber(exp))
		cJSON_AddNumberToObject(a, "exp", exp->valuedouble);
	cJSON *tags = sim_json_get(ver, "tags");
	if (cJSON_IsObject(tags) && tags->child)
		cJSON_AddItemToObject(b, "tags", cJSON_Duplicate(tags, 1));
	return b;
}

/* KeyItem of a list: {kid, attributes, tags?, managed?} */
static cJSON *kvdp__item(const sim_res *vault, const sim_res *key, const cJSON *ver, bool versioned)
{
	cJSON *b = kvdp__bundle(vault, key, ver);
	cJSON *it = cJSON_CreateObject();
	const char *kid = sim_json_str(b, "key.kid");
	char buf[1200];
	snprintf(buf, sizeof buf, "%s", kid ? kid : "");
	if (!versioned) {
		char *slash = strrchr(buf, '/');
		if (slash)
			*slash = '\0';
	}
	cJSON_AddStringToObject(it, "kid", buf);
	cJSON_AddItemToObject(it, "attributes", cJSON_DetachItemFromObject(b, "attributes"));
	cJSON *tags = cJSON_DetachItemFromObject(b, "tags");
	if (tags)
		cJSON_AddItemToObject(it, "tags", tags);
	cJSON_Delete(b);
	return it;
}

/* Common prologue: vault, permission, key. Returns the key or NULL (resp set). */
static sim_res *kvdp__key(sim_req *req, sim_resp *resp, sim_res **vault_out, const kvdp_op *op,
			  bool must_exist)
{
	sim_res *v = kvdp__vault(req, resp);
	if (!v)
		return NULL;
	*vault_out = v;
	const char *name = req->cap[0];
	if (!kvdp__allowed(req, v, name, op)) {
		kvdp__forbidden(req, resp, v, name, op);
		return NULL;
	}
	sim_res *k = kv_key_get(v, name);
	if (!k && must_exist)
		kvdp__key_not_found(resp, name);
	return k;
}

static bool kvdp__usable(sim_resp *resp, const cJSON *ver, const char *opname)
{
	char msg[256];
	if (!cJSON_IsTrue(sim_json_get(ver, "enabled"))) {
		snprintf(msg, sizeof msg, "Operation %s is not allowed on a disabled key.", opname);
		kvdp__error(resp, 403, "Forbidden", "KeyDisabled", msg);
		return false;
	}
	long now = (long)(simclock_now_ms() / 1000);
	cJSON *nbf = sim_json_get(ver, "nbf"), *exp = sim_json_get(ver, "exp");
	if ((cJSON_IsNumber(nbf) && now < (long)nbf->valuedouble) ||
	    (cJSON_IsNumber(exp) && now >= (long)exp->valuedouble)) {
		snprintf(msg, sizeof msg, "Operation %s is not allowed on an expired or not yet valid key.", opname);
		kvdp__error(resp, 403, "Forbidden", "KeyNotYetValidOrExpired", msg);
		return false;
	}
	return true;
}

static void kvdp_get(sim_req *req, sim_resp *resp)
{
	sim_res *v, *k = kvdp__key(req, resp, &v, &OP_GET, true);
	if (!k)
		return;
	const char *version = req->ncap > 1 ? req->cap[1] : NULL;
	cJSON *ver = kv_key_version(k, version);
	if (!ver) {
		kvdp__version_not_found(resp, req->cap[0], version ? version : "");
		return;
	}
	if (!kvdp__usable(resp, ver, "get"))
		return;
	resp_json(resp, 200, kvdp__bundle(v, k, ver));
}

/* Paged list with Key Vault's nextLink ($skiptoken, maxresults ≤ 25). */
static void kvdp__page(sim_req *req, sim_resp *resp, cJSON *all)
{
	long skip = 0, max = 25, n = cJSON_GetArraySize(all);
	const char *st = req_query(req, "$skiptoken"), *mr = req_query(req, "maxresults");
	if (st)
		skip = strtol(st, NULL, 10);
	if (mr) {
		long m = strtol(mr, NULL, 10);
		if (m < 1 || m > 25) {
			cJSON_Delete(all);
			kvdp__bad_param(resp, "The value of the maxresults parameter must be between 1 and 25.");
			return;
		}
		max = m;
	}
	if (skip < 0 || skip > n)
		skip = n;
	cJSON *b = cJSON_CreateObject(), *val = cJSON_AddArrayToObject(b, "value");
	for (long i = skip; i < n && i < skip + max; i++)
		cJSON_AddItemToArray(val, cJSON_Duplicate(cJSON_GetArrayItem(all, (int)i), 1));
	if (skip + max < n) {
		/* links point back at the vault host the client used */
		char link[1200];
		const char *q = strchr(req->raw_url, '?');
		snprintf(link, sizeof link, "https://%s.%s.localhost:%d%.*s?api-version=%s&$skiptoken=%ld&maxresults=%ld",
			 req->hsm_name ? req->hsm_name : req->vault_name, req->hsm_name ? "managedhsm" : "vault", req->port, (int)(q ? q - req->raw_url : (long)strlen(req->raw_url)),
			 req->raw_url, req->api_version, skip + max, max);
		cJSON_AddStringToObject(b, "nextLink", link);
	} else {
		cJSON_AddNullToObject(b, "nextLink");
	}
	cJSON_Delete(all);
	resp_json(resp, 200, b);
}

static void kvdp_versions(sim_req *req, sim_resp *resp)
{
	sim_res *v, *k = kvdp__key(req, resp, &v, &OP_LIST, true);
	if (!k)
		return;
	cJSON *all = cJSON_CreateArray(), *ver;
	cJSON_ArrayForEach(ver, sim_json_get(k->sim, "versions"))
		cJSON_AddItemToArray(all, kvdp__item(v, k, ver, true));
	kvdp__page(req, resp, all);
}

static void kvdp_list(sim_req *req, sim_resp *resp)
{
	sim_res *v = kvdp__vault(req, resp);
	if (!v)
		return;
	if (!kvdp__allowed(req, v, "", &OP_LIST)) {
		kvdp__forbidden(req, resp, v, "", &OP_LIST);
		return;
	}
	sim_res **keys;
	size_t n = store_list(&keys, hsm_is(v) ? "Microsoft.KeyVault/managedHSMs/keys" : T_KEY, v->id);
	cJSON *all = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *cur = kv_key_version(keys[i], NULL);
		if (cur)
			cJSON_AddItemToArray(all, kvdp__item(v, keys[i], cur, false));
	}
	free(keys);
	kvdp__page(req, resp, all);
}

/* A modulus-shaped value for a new version of `bits` bits. */
static char *kvdp__modulus(int bits)
{
	size_t nb = bits > 0 ? (size_t)bits / 8 : 256;
	unsigned char *mod = malloc(nb);
	if (!mod)
		return NULL;
	for (size_t i = 0; i < nb; i += 8) {
		uint64_t r = sim_rng_next();
		for (size_t j = 0; j < 8 && i + j < nb; j++)
			mod[i + j] = (unsigned char)(r >> (8 * j));
	}
	mod[0] |= 0x80;
	mod[nb - 1] |= 1;
	char *n = sim_b64url(mod, nb);
	free(mod);
	return n;
}

/* Apply attributes {enabled, nbf, exp}, key_ops and tags of a create/update
 * body to a version. Returns false with resp set on bad input. */
static bool kvdp__apply(sim_resp *resp, sim_res *key, cJSON *ver, const cJSON *body)
{
	const cJSON *attrs = sim_json_get(body, "attributes");
	if (attrs && !cJSON_IsObject(attrs)) {
		kvdp__bad_param(resp, "Property attributes has invalid value");
		return false;
	}
	static const char *const names[] = { "nbf", "exp" };
	for (size_t i = 0; i < 2; i++) {
		cJSON *t = sim_json_get(attrs, names[i]);
		if (!t)
			continue;
		if (cJSON_IsNull(t)) {
			cJSON_DeleteItemFromObject(ver, names[i]);
			continue;
		}
		if (!cJSON_IsNumber(t)) {
			char msg[128];
			snprintf(msg, sizeof msg, "Property attributes.%s has invalid value", names[i]);
			kvdp__bad_param(resp, msg);
			return false;
		}
		sim_json_set(ver, names[i], cJSON_CreateNumber(t->valuedouble));
	}
	const cJSON *ops = sim_json_get(body, "key_ops");
	if (cJSON_IsArray(ops)) {
		static const char *const known[] = { "encrypt", "decrypt", "sign", "verify", "wrapKey",
						     "unwrapKey", "import", "export" };
		const cJSON *o;
		cJSON *nops = cJSON_CreateArray();
		cJSON_ArrayForEach(o, ops) {
			size_t i;
			for (i = 0; i < sizeof known / sizeof known[0]; i++)
				if (cJSON_IsString(o) && !strcmp(o->valuestring, known[i]))
					break;
			if (i == sizeof known / sizeof known[0]) {
				cJSON_Delete(nops);
				kvdp__bad_param(resp, "Property key_ops has invalid value");
				return false;
			}
			cJSON_AddItemToArray(nops, cJSON_CreateString(o->valuestring));
		}
		sim_json_set(ver, "keyOps", nops);
	}
	const cJSON *tags = sim_json_get(body, "tags");
	if (cJSON_IsObject(tags))
		sim_json_set(ver, "tags", cJSON_Duplicate(tags, 1));
	cJSON *en = sim_json_get(attrs, "enabled");
	if (cJSON_IsBool(en))
		sim_json_set(ver, "enabled", cJSON_CreateBool(cJSON_IsTrue(en)));
	sim_json_set(ver, "updated", cJSON_CreateNumber((double)(simclock_now_ms() / 1000)));
	kv_key_sync_doc(key);
	return true;
}

/* oct-HSM keys (Managed HSM only): 128, 192 or 256 bits; a symmetric key
 * has no modulus and no sign/verify. */
static void kvdp__create_oct(sim_req *req, sim_resp *resp, sim_res *v, sim_res *k)
{
	cJSON *ks = sim_json_get(req->json, "key_size");
	int size = 256;
	if (ks) {
		if (!cJSON_IsNumber(ks) || (ks->valueint != 128 && ks->valueint != 192 && ks->valueint != 256)) {
			kvdp__bad_param(resp, "The specified oct-HSM key size is not supported; use 128, 192 or 256.");
			return;
		}
		size = ks->valueint;
	}
	if (k && strcmp(sim_json_str(kv_key_version(k, NULL), "kty"), "oct-HSM")) {
		kvdp__bad_param(resp, "The key type of an existing key cannot be changed.");
		return;
	}
	cJSON *ver = k ? kv_key_rotate(k) : NULL;
	if (!k) {
		k = kv_key_create(v, req->cap[0], "oct-HSM", size, true);
		ver = k ? kv_key_version(k, NULL) : NULL;
	}
	if (!ver) {
		kvdp__error(resp, 500, "InternalError", NULL, "The key could not be created.");
		return;
	}
	sim_json_set(ver, "keySize", cJSON_CreateNumber(size));
	if (!kvdp__apply(resp, k, ver, req->json))
		return;
	lro_tick();
	resp_json(resp, 200, kvdp__bundle(v, k, ver));
}

static void kvdp_create(sim_req *req, sim_resp *resp)
{
	if (req->json_invalid || !cJSON_IsObject(req->json)) {
		kvdp__bad_param(resp, "The request body is not valid JSON.");
		return;
	}
	sim_res *v = NULL, *k = kvdp__key(req, resp, &v, &OP_CREATE, false);
	if (!v || resp->status)
		return;
	const char *name = req->cap[0];
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-')) {
			kvdp__bad_param(resp, "The request URI contains an invalid name: key names may contain only "
					      "alphanumeric characters and dashes.");
			return;
		}
	const char *kty = sim_json_str(req->json, "kty");
	if (!kty) {
		kvdp__bad_param(resp, "Property kty is required.");
		return;
	}
	if (hsm_is(v) && !strcmp(kty, "oct-HSM")) {
		kvdp__create_oct(req, resp, v, k);
		return;
	}
	if (strcmp(kty, "RSA") && strcmp(kty, "RSA-HSM")) {
		if (!strcmp(kty, "EC") || !strcmp(kty, "EC-HSM") || !strcmp(kty, "oct") || !strcmp(kty, "oct-HSM"))
			kvdp__bad_param(resp, "armsim emulates RSA and RSA-HSM keys only.");
		else
			kvdp__bad_param(resp, "Property kty has invalid value");
		return;
	}
	if (k && hsm_is(v) && !strcmp(sim_json_str(kv_key_version(k, NULL), "kty"), "oct-HSM")) {
		kvdp__bad_param(resp, "The key type of an existing key cannot be changed.");
		return;
	}
	if (!strcmp(kty, "RSA-HSM") && sim_streq_ci(sim_json_str(v->doc, "properties.sku.name"), "standard")) {
		kvdp__error(resp, 400, "BadParameter", NULL,
			    "The key type RSA-HSM is not supported by vaults of the standard SKU; use a premium vault.");
		return;
	}
	cJSON *ks = sim_json_get(req->json, "key_size");
	int size = 2048;
	if (ks) {
		if (!cJSON_IsNumber(ks) || (ks->valueint != 2048 && ks->valueint != 3072 && ks->valueint != 4096)) {
			kvdp__bad_param(resp, "The specified RSA key size is not supported; use 2048, 3072 or 4096.");
			return;
		}
		size = ks->valueint;
	}
	cJSON *ver;
	if (!k) {
		k = kv_key_create(v, name, kty, size, true);
		if (!k) {
			kvdp__error(resp, 500, "InternalError", NULL, "The key could not be created.");
			return;
		}
		ver = kv_key_version(k, NULL);
	} else {
		/* creating an existing key adds a new current version */
		ver = kv_key_rotate(k);
		if (!ver) {
			kvdp__error(resp, 500, "InternalError", NULL, "The key could not be created.");
			return;
		}
		sim_json_set_str(ver, "kty", kty);
		sim_json_set(ver, "keySize", cJSON_CreateNumber(size));
		char *n = kvdp__modulus(size);
		if (n)
			sim_json_set_str(ver, "n", n);
		free(n);
	}
	if (!kvdp__apply(resp, k, ver, req->json))
		return;
	lro_tick(); /* derived state (revocation) sees the new version now */
	resp_json(resp, 200, kvdp__bundle(v, k, ver));
}

static void kvdp_rotate(sim_req *req, sim_resp *resp)
{
	sim_res *v, *k = kvdp__key(req, resp, &v, &OP_ROTATE, true);
	if (!k)
		return;
	cJSON *prev = kv_key_version(k, NULL);
	cJSON *ops = prev ? cJSON_Duplicate(sim_json_get(prev, "keyOps"), 1) : NULL;
	cJSON *tags = prev ? cJSON_Duplicate(sim_json_get(prev, "tags"), 1) : NULL;
	cJSON *ver = kv_key_rotate(k);
	if (!ver) {
		cJSON_Delete(ops);
		cJSON_Delete(tags);
		kvdp__error(resp, 500, "InternalError", NULL, "The key could not be rotated.");
		return;
	}
	/* the new version keeps the key's operations and tags */
	if (ops)
		sim_json_set(ver, "keyOps", ops);
	if (tags)
		sim_json_set(ver, "tags", tags);
	kv_key_sync_doc(k);
	lro_tick(); /* versionless users of the key move to the new version now */
	resp_json(resp, 200, kvdp__bundle(v, k, ver));
}

static void kvdp_update(sim_req *req, sim_resp *resp)
{
	if (req->json_invalid || !cJSON_IsObject(req->json)) {
		kvdp__bad_param(resp, "The request body is not valid JSON.");
		return;
	}
	sim_res *v, *k = kvdp__key(req, resp, &v, &OP_UPDATE, true);
	if (!k)
		return;
	const char *version = req->ncap > 1 ? req->cap[1] : NULL;
	cJSON *ver = kv_key_version(k, version);
	if (!ver) {
		kvdp__version_not_found(resp, req->cap[0], version ? version : "");
		return;
	}
	if (!kvdp__apply(resp, k, ver, req->json))
		return;
	lro_tick(); /* a disable (revocation) takes effect at this instant */
	resp_json(resp, 200, kvdp__bundle(v, k, ver));
}

/* The keystream that ties a wrapped blob to one key version. */
static void kvdp__stream(unsigned char *out, size_t n, const char *kid)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *c = kid; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	for (size_t i = 0; i < n; i++) {
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		out[i] = (unsigned char)h;
	}
}

static const char *const wrap_algs[] = { "RSA-OAEP", "RSA-OAEP-256", "RSA1_5", NULL };

static void kvdp__wrap(sim_req *req, sim_resp *resp, bool wrap)
{
	const kvdp_op *op = wrap ? &OP_WRAP : &OP_UNWRAP;
	if (req->json_invalid || !cJSON_IsObject(req->json)) {
		kvdp__bad_param(resp, "The request body is not valid JSON.");
		return;
	}
	sim_res *v, *k = kvdp__key(req, resp, &v, op, true);
	if (!k)
		return;
	const char *version = req->ncap > 1 ? req->cap[1] : NULL;
	cJSON *ver = kv_key_version(k, version);
	if (!ver) {
		kvdp__version_not_found(resp, req->cap[0], version ? version : "");
		return;
	}
	/* a disabled key refuses both; an expired one still unwraps */
	if (!cJSON_IsTrue(sim_json_get(ver, "enabled"))) {
		char msg[128];
		snprintf(msg, sizeof msg, "Operation %s is not allowed on a disabled key.", op->perm);
		kvdp__error(resp, 403, "Forbidden", "KeyDisabled", msg);
		return;
	}
	if (wrap && !kvdp__usable(resp, ver, op->perm))
		return;
	bool op_ok = false;
	const cJSON *o;
	cJSON_ArrayForEach(o, sim_json_get(ver, "keyOps"))
		if (cJSON_IsString(o) && !strcmp(o->valuestring, op->perm))
			op_ok = true;
	if (!op_ok) {
		char msg[256];
		snprintf(msg, sizeof msg, "Operation %s is not permitted on this key.", op->perm);
		kvdp__error(resp, 403, "Forbidden", "KeyOperationForbidden", msg);
		return;
	}
	const char *alg = sim_json_str(req->json, "alg"), *value = sim_json_str(req->json, "value");
	if (!strncmp(sim_json_str(ver, "kty") ? sim_json_str(ver, "kty") : "", "oct", 3)) {
		/* AES key wrap (A128KW…) is not emulated; RSA algorithms do not apply */
		kvdp__bad_param(resp, "Property alg has invalid value");
		return;
	}
	bool alg_ok = false;
	for (int i = 0; alg && wrap_algs[i]; i++)
		if (!strcmp(alg, wrap_algs[i]))
			alg_ok = true;
	if (!alg_ok) {
		kvdp__bad_param(resp, "Property alg has invalid value");
		return;
	}
	size_t inlen = 0;
	unsigned char *in = value ? sim_b64url_decode(value, &inlen) : NULL;
	if (!in) {
		kvdp__bad_param(resp, "Property value has invalid value");
		return;
	}
	cJSON *b = kv_key_bundle(v, k, ver);
	char kid[1200];
	snprintf(kid, sizeof kid, "%s", sim_json_str(b, "key.kid") ? sim_json_str(b, "key.kid") : "");
	cJSON_Delete(b);
	size_t mod = (size_t)sim_json_get(ver, "keySize")->valuedouble / 8;
	unsigned char *out = NULL;
	size_t outlen = 0;
	if (wrap) {
		/* OAEP-SHA1 leaves room for mod - 42 bytes of payload */
		if (inlen > mod - 42 || inlen == 0) {
			free(in);
			kvdp__bad_param(resp, "The value to wrap is too long for the key size.");
			return;
		}
		out = malloc(mod);
		kvdp__stream(out, mod, kid);
		out[0] ^= (unsigned char)(inlen >> 8);
		out[1] ^= (unsigned char)inlen;
		for (size_t i = 0; i < inlen; i++)
			out[2 + i] ^= in[i];
		out[mod - 1] ^= 0x5a; /* check byte */
		outlen = mod;
	} else {
		unsigned char *ks = malloc(mod);
		bool ok = inlen == mod && ks;
		if (ok) {
			kvdp__stream(ks, mod, kid);
			size_t len = ((size_t)(in[0] ^ ks[0]) << 8) | (size_t)(in[1] ^ ks[1]);
			ok = (in[mod - 1] ^ ks[mod - 1]) == 0x5a && len > 0 && len <= mod - 42;
			if (ok) {
				out = malloc(len);
				for (size_t i = 0; i < len; i++)
					out[i] = in[2 + i] ^ ks[2 + i];
				outlen = len;
			}
		}
		free(ks);
		if (!ok) {
			free(in);
			kvdp__bad_param(resp, "The parameter is incorrect: the value could not be unwrapped with this key.");
			return;
		}
	}
	free(in);
	char *enc = sim_b64url(out, outlen);
	free(out);
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "kid", kid);
	cJSON_AddStringToObject(r, "value", enc ? enc : "");
	free(enc);
	resp_json(resp, 200, r);
}

static void kvdp_wrap(sim_req *req, sim_resp *resp)
{
	kvdp__wrap(req, resp, true);
}

static void kvdp_unwrap(sim_req *req, sim_resp *resp)
{
	kvdp__wrap(req, resp, false);
}

/* Each key route on both hosts: a vault's and a Managed HSM's. */
static void kvdp__add(const char *method, const char *pattern, sim_handler fn)
{
	router_add(&(sim_route){ .method = method, .pattern = pattern, .kind = SIM_ROUTE_DATAPLANE,
				 .resource_type = T_KEY, .api_versions = kvdp_api_versions,
				 .sub_cap = -1, .rg_cap = -1, .fn = fn });
	router_add(&(sim_route){ .method = method, .pattern = pattern, .kind = SIM_ROUTE_HSM,
				 .resource_type = "Microsoft.KeyVault/managedHSMs/keys",
				 .api_versions = kvdp_api_versions, .sub_cap = -1, .rg_cap = -1, .fn = fn });
}

void res_keys_dataplane_register(void)
{
	/* literal segments before captures: the first matching route wins */
	kvdp__add("GET", "/keys", kvdp_list);
	kvdp__add("GET", "/keys/{name}/versions", kvdp_versions);
	kvdp__add("POST", "/keys/{name}/create", kvdp_create);
	kvdp__add("POST", "/keys/{name}/rotate", kvdp_rotate);
	kvdp__add("POST", "/keys/{name}/wrapkey", kvdp_wrap);
	kvdp__add("POST", "/keys/{name}/unwrapkey", kvdp_unwrap);
	kvdp__add("POST", "/keys/{name}/{version}/wrapkey", kvdp_wrap);
	kvdp__add("POST", "/keys/{name}/{version}/unwrapkey", kvdp_unwrap);
	kvdp__add("GET", "/keys/{name}", kvdp_get);
	kvdp__add("GET", "/keys/{name}/{version}", kvdp_get);
	kvdp__add("PATCH", "/keys/{name}", kvdp_update);
	kvdp__add("PATCH", "/keys/{name}/{version}", kvdp_update);
}
