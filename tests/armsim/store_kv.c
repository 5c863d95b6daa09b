/*
 * store_kv.c - the typed state helpers over the store: Key Vault vaults,
 * keys with versions, access policies and key permissions (access-policy
 * or RBAC mode), managed identities, Kusto followers (see store.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define T_VAULT "Microsoft.KeyVault/vaults"
#define T_KEY "Microsoft.KeyVault/vaults/keys"
#define T_MSI "Microsoft.ManagedIdentity/userAssignedIdentities"
#define T_HSM "Microsoft.KeyVault/managedHSMs"
#define T_HSM_KEY "Microsoft.KeyVault/managedHSMs/keys"

/* The resource of `type` whose last id segment is `name` (vault and HSM
 * names are global). */
static sim_res *kv__by_name(const char *type, const char *name)
{
	for (sim_res *r = store_first(type); r; r = store_next(r)) {
		const char *slash = strrchr(r->id, '/');
		if (slash && strcasecmp(slash + 1, name) == 0)
			return r;
	}
	return NULL;
}

sim_res *kv_vault_by_name(const char *name)
{
	return kv__by_name(T_VAULT, name);
}

sim_res *hsm_by_name(const char *name)
{
	return kv__by_name(T_HSM, name);
}

sim_res *kv_vault_by_uri(const char *uri)
{
	char name[128];
	const char *p;
	if (!uri)
		return NULL;
	p = strstr(uri, "://");
	p = p ? p + 3 : uri;
	size_t n = strcspn(p, ".:/");
	if (!n || n >= sizeof name)
		return NULL;
	memcpy(name, p, n);
	name[n] = '\0';
	/* "https://<hsm>.managedhsm.azure.net/": the key store is a Managed HSM */
	if (!strncasecmp(p + n, ".managedhsm.", 12))
		return hsm_by_name(name);
	return kv_vault_by_name(name);
}

const char *kv_vault_name(const sim_res *vault)
{
	const char *slash = strrchr(vault->id, '/');
	return slash ? slash + 1 : vault->id;
}

bool kv_vault_recoverable(const sim_res *vault)
{
	cJSON *sd = sim_json_path(vault->doc, "properties.enableSoftDelete");
	cJSON *pp = sim_json_path(vault->doc, "properties.enablePurgeProtection");
	bool soft = !sd || cJSON_IsTrue(sd);
	return soft && cJSON_IsTrue(pp);
}

bool kv_vault_rbac_mode(const sim_res *vault)
{
	return cJSON_IsTrue(sim_json_path(vault->doc, "properties.enableRbacAuthorization"));
}

sim_res *kv_key_get(const sim_res *vault, const char *key_name)
{
	char id[1024];
	snprintf(id, sizeof id, "%s/keys/%s", vault->id, key_name);
	return store_get_typed(id, hsm_is(vault) ? T_HSM_KEY : T_KEY);
}

cJSON *kv_key_version(const sim_res *key, const char *version)
{
	cJSON *versions = sim_json_get(key->sim, "versions");
	if (!cJSON_IsArray(versions))
		return NULL;
	if (!version || !*version)
		return cJSON_GetArrayItem(versions, cJSON_GetArraySize(versions) - 1);
	cJSON *v;
	cJSON_ArrayForEach(v, versions)
		if (sim_streq_ci(sim_json_str(v, "version"), version))
			return v;
	return NULL;
}

const char *kv_key_current_version(const sim_res *key)
{
	return sim_json_str(kv_key_version(key, NULL), "version");
}

static const char *kv__recovery_level(const sim_res *vault)
{
	cJSON *sd = sim_json_path(vault->doc, "properties.enableSoftDelete");
	bool soft = !sd || cJSON_IsTrue(sd);
	bool purge = cJSON_IsTrue(sim_json_path(vault->doc, "properties.enablePurgeProtection"));
	if (soft && purge)
		return "Recoverable";
	if (soft)
		return "Recoverable+Purgeable";
	return "Purgeable";
}

static const char *kv__vault_uri(const sim_res *vault)
{
	return sim_json_str(vault->doc, hsm_is(vault) ? "properties.hsmUri" : "properties.vaultUri");
}

/* Symmetric (oct, oct-HSM) keys: no modulus, AES operations. */
static bool kv__symmetric(const char *kty)
{
	return kty && !strncmp(kty, "oct", 3);
}

static cJSON *kv__new_version(const char *kty, int size, bool enabled)
{
	char ver[33];
	sim_hex32(ver);
	long now = (long)(simclock_now_ms() / 1000);
	cJSON *v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "version", ver);
	cJSON_AddBoolToObject(v, "enabled", enabled);
	cJSON_AddStringToObject(v, "kty", kty);
	cJSON_AddNumberToObject(v, "keySize", size);
	cJSON *ops = cJSON_AddArrayToObject(v, "keyOps");
	static const char *const allops[] = { "encrypt", "decrypt", "sign", "verify",
					      "wrapKey", "unwrapKey" };
	for (size_t i = 0; i < sizeof allops / sizeof allops[0]; i++)
		if (!kv__symmetric(kty) || (strcmp(allops[i], "sign") && strcmp(allops[i], "verify")))
			cJSON_AddItemToArray(ops, cJSON_CreateString(allops[i]));
	if (kv__symmetric(kty)) {
		cJSON_AddNumberToObject(v, "created", (double)now);
		cJSON_AddNumberToObject(v, "updated", (double)now);
		return v; /* no public key to show */
	}
	/* A modulus-shaped value: deterministic per seed, top bit set, odd.
	 * Real RSA generation per key would make large fixtures slow, and
	 * nothing here factors it. */
	size_t nb = size > 0 ? (size_t)size / 8 : 256;
	unsigned char *mod = malloc(nb);
	if (mod) {
		for (size_t i = 0; i < nb; i += 8) {
			uint64_t r = sim_rng_next();
			for (size_t j = 0; j < 8 && i + j < nb; j++)
				mod[i + j] = (unsigned char)(r >> (8 * j));
		}
		mod[0] |= 0x80;
		mod[nb - 1] |= 1;
		char *n = sim_b64url(mod, nb);
		cJSON_AddStringToObject(v, "n", n ? n : "");
		free(n);
		free(mod);
	}
	cJSON_AddStringToObject(v, "e", "AQAB");
	cJSON_AddNumberToObject(v, "created", (double)now);
	cJSON_AddNumberToObject(v, "updated", (double)now);
	return v;
}

void kv_key_sync_doc(sim_res *key)
{
	const char *slash = strrchr(key->id, '/');
	const char *name = slash ? slash + 1 : key->id;
	char vault_id[1024];
	snprintf(vault_id, sizeof vault_id, "%.*s", (int)(strlen(key->id) - strlen(name) - strlen("/keys/")), key->id);
	sim_res *vault = store_get_typed(vault_id, strcasecmp(key->type, T_HSM_KEY) ? T_VAULT : T_HSM);
	cJSON *cur = kv_key_version(key, NULL);
	if (!vault || !cur)
		return;
	const char *uri = kv__vault_uri(vault);
	char base[512], keyuri[1024], withver[1200];
	snprintf(base, sizeof base, "%s", uri ? uri : "");
	size_t bl = strlen(base);
	if (bl && base[bl - 1] == '/')
		base[--bl] = '\0';
	snprintf(keyuri, sizeof keyuri, "%s/keys/%s", base, name);
	snprintf(withver, sizeof withver, "%s/%s", keyuri, sim_json_str(cur, "version"));

	cJSON *doc = key->doc ? key->doc : cJSON_CreateObject();
	sim_json_set_str(doc, "id", key->id);
	sim_json_set_str(doc, "name", name);
	sim_json_set_str(doc, "type", key->type);
	const char *loc = sim_json_str(vault->doc, "location");
	sim_json_set_str(doc, "location", loc ? loc : "");
	if (!sim_json_get(doc, "tags"))
		cJSON_AddObjectToObject(doc, "tags");
	cJSON *props = sim_json_obj(doc, "properties");
	cJSON *attrs = cJSON_CreateObject();
	cJSON_AddBoolToObject(attrs, "enabled", cJSON_IsTrue(sim_json_get(cur, "enabled")));
	cJSON_AddNumberToObject(attrs, "created", sim_json_get(cur, "created")->valuedouble);
	cJSON_AddNumberToObject(attrs, "updated", sim_json_get(cur, "updated")->valuedouble);
	cJSON_AddStringToObject(attrs, "recoveryLevel", kv__recovery_level(vault));
	cJSON_AddBoolToObject(attrs, "exportable", false);
	sim_json_set(props, "attributes", attrs);
	sim_json_set_str(props, "kty", sim_json_str(cur, "kty"));
	sim_json_set(props, "keyOps", cJSON_Duplicate(sim_json_get(cur, "keyOps"), 1));
	sim_json_set(props, "keySize", cJSON_CreateNumber(sim_json_get(cur, "keySize")->valuedouble));
	sim_json_set_str(props, "keyUri", keyuri);
	sim_json_set_str(props, "keyUriWithVersion", withver);
	key->doc = doc;
}

sim_res *kv_key_create(sim_res *vault, const char *name, const char *kty, int size, bool enabled)
{
	char id[1024];
	snprintf(id, sizeof id, "%s/keys/%s", vault->id, name);
	if (store_get(id)) {
		cmk_error_set(CMK_ECONFLICT, "key '%s' already exists in vault '%s'", name, kv_vault_name(vault));
		return NULL;
	}
	sim_res *key = store_put(id, hsm_is(vault) ? T_HSM_KEY : T_KEY, cJSON_CreateObject());
	if (!key)
		return NULL;
	cJSON *versions = cJSON_AddArrayToObject(key->sim, "versions");
	cJSON_AddItemToArray(versions, kv__new_version(kty ? kty : "RSA", size ? size : 2048, enabled));
	kv_key_sync_doc(key);
	return key;
}

cJSON *kv_key_rotate(sim_res *key)
{
	cJSON *cur = kv_key_version(key, NULL);
	cJSON *versions = sim_json_get(key->sim, "versions");
	if (!cur || !versions)
		return NULL;
	cJSON *v = kv__new_version(sim_json_str(cur, "kty"),
				   (int)sim_json_get(cur, "keySize")->valuedouble, true);
	cJSON_AddItemToArray(versions, v);
	kv_key_sync_doc(key);
	return v;
}

int kv_key_set_enabled(sim_res *key, const char *version, bool enabled)
{
	cJSON *versions = sim_json_get(key->sim, "versions"), *v;
	int n = 0;
	cJSON_ArrayForEach(v, versions) {
		if (version && *version && !sim_streq_ci(sim_json_str(v, "version"), version))
			continue;
		sim_json_set(v, "enabled", cJSON_CreateBool(enabled));
		sim_json_set(v, "updated", cJSON_CreateNumber((double)(simclock_now_ms() / 1000)));
		n++;
	}
	if (!n)
		return cmk_error_set(CMK_ENOTFOUND, "key version '%s' not found", version ? version : "");
	kv_key_sync_doc(key);
	return 0;
}

cJSON *kv_key_bundle(const sim_res *vault, const sim_res *key, const cJSON *version)
{
	const char *slash = strrchr(key->id, '/');
	const char *uri = kv__vault_uri(vault);
	char base[512];
	snprintf(base, sizeof base, "%s", uri ? uri : "");
	size_t bl = strlen(base);
	if (bl && base[bl - 1] == '/')
		base[--bl] = '\0';
	cJSON *b = cJSON_CreateObject();
	cJSON *k = cJSON_AddObjectToObject(b, "key");
	char kid[1200];
	snprintf(kid, sizeof kid, "%s/keys/%s/%s", base, slash ? slash + 1 : "", sim_json_str(version, "version"));
	cJSON_AddStringToObject(k, "kid", kid);
	cJSON_AddStringToObject(k, "kty", sim_json_str(version, "kty"));
	cJSON_AddItemToObject(k, "key_ops", cJSON_Duplicate(sim_json_get(version, "keyOps"), 1));
	if (!kv__symmetric(sim_json_str(version, "kty"))) {
		cJSON_AddStringToObject(k, "n", sim_json_str(version, "n") ? sim_json_str(version, "n") : "");
		cJSON_AddStringToObject(k, "e", sim_json_str(version, "e") ? sim_json_str(version, "e") : "AQAB");
	}
	cJSON *a = cJSON_AddObjectToObject(b, "attributes");
	cJSON_AddBoolToObject(a, "enabled", cJSON_IsTrue(sim_json_get(version, "enabled")));
	cJSON_AddNumberToObject(a, "created", sim_json_get(version, "created")->valuedouble);
	cJSON_AddNumberToObject(a, "updated", sim_json_get(version, "updated")->valuedouble);
	cJSON_AddNumberToObject(a, "recoverableDays",
				strcmp(kv__recovery_level(vault), "Purgeable") ? 90 : 0);
	cJSON_AddStringToObject(a, "recoveryLevel", kv__recovery_level(vault));
	return b;
}

static unsigned kv__perm_bit(const char *name)
{
	static const struct { const char *n; unsigned b; } map[] = {
		{ "get", KV_PERM_GET }, { "wrapkey", KV_PERM_WRAP }, { "unwrapkey", KV_PERM_UNWRAP },
		{ "list", KV_PERM_LIST }, { "create", KV_PERM_CREATE }, { "update", KV_PERM_UPDATE },
		{ "encrypt", KV_PERM_ENCRYPT }, { "decrypt", KV_PERM_DECRYPT },
		{ "sign", KV_PERM_SIGN }, { "verify", KV_PERM_VERIFY }, { "delete", KV_PERM_DELETE },
		{ "all", KV_PERM_ALL },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (name && strcasecmp(map[i].n, name) == 0)
			return map[i].b;
	return 0;
}

unsigned kv_key_permissions(const sim_res *vault, const char *key_name,
			    const char *tenant_id, const char *object_id)
{
	unsigned perms = 0;
	if (!vault || !object_id)
		return 0;
	/* Key Vault does not know a principal Azure AD has not replicated yet */
	if (!auth_principal_replicated(auth_principal_by_object_id(object_id)))
		return 0;
	if (hsm_is(vault))
		return hsm_key_permissions(vault, key_name, object_id);
	if (kv_vault_rbac_mode(vault)) {
		static const struct { const char *a; unsigned b; } acts[] = {
			{ "Microsoft.KeyVault/vaults/keys/read", KV_PERM_GET | KV_PERM_LIST },
			{ "Microsoft.KeyVault/vaults/keys/wrap/action", KV_PERM_WRAP },
			{ "Microsoft.KeyVault/vaults/keys/unwrap/action", KV_PERM_UNWRAP },
			{ "Microsoft.KeyVault/vaults/keys/encrypt/action", KV_PERM_ENCRYPT },
			{ "Microsoft.KeyVault/vaults/keys/decrypt/action", KV_PERM_DECRYPT },
			{ "Microsoft.KeyVault/vaults/keys/sign/action", KV_PERM_SIGN },
			{ "Microsoft.KeyVault/vaults/keys/verify/action", KV_PERM_VERIFY },
			{ "Microsoft.KeyVault/vaults/keys/create/action", KV_PERM_CREATE },
			/* the data action, not ARM's keys/write (a control-plane action) */
			{ "Microsoft.KeyVault/vaults/keys/update/action", KV_PERM_UPDATE },
			{ "Microsoft.KeyVault/vaults/keys/delete", KV_PERM_DELETE },
		};
		char scope[1200];
		snprintf(scope, sizeof scope, "%s/keys/%s", vault->id, key_name ? key_name : "");
		for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
			if (rbac_data_allowed(object_id, key_name ? scope : vault->id, acts[i].a))
				perms |= acts[i].b;
		return perms;
	}
	cJSON *pol, *pols = sim_json_path(vault->doc, "properties.accessPolicies");
	const char *vt = sim_json_str(vault->doc, "properties.tenantId");
	cJSON_ArrayForEach(pol, pols) {
		if (!sim_streq_ci(sim_json_str(pol, "objectId"), object_id))
			continue;
		const char *pt = sim_json_str(pol, "tenantId");
		if (tenant_id && pt && !sim_streq_ci(pt, tenant_id))
			continue;
		if (tenant_id && vt && !sim_streq_ci(vt, tenant_id))
			continue;
		cJSON *p, *keys = sim_json_path(pol, "permissions.keys");
		cJSON_ArrayForEach(p, keys)
			if (cJSON_IsString(p))
				perms |= kv__perm_bit(p->valuestring);
	}
	return perms;
}

int kv_access_policy_remove(sim_res *vault, const char *object_id)
{
	cJSON *pols = sim_json_path(vault->doc, "properties.accessPolicies");
	int removed = 0;
	for (int i = cJSON_GetArraySize(pols) - 1; i >= 0; i--) {
		cJSON *pol = cJSON_GetArrayItem(pols, i);
		if (sim_streq_ci(sim_json_str(pol, "objectId"), object_id)) {
			cJSON_DeleteItemFromArray(pols, i);
			removed++;
		}
	}
	return removed;
}

static bool kv__same_entry(const cJSON *a, const cJSON *b)
{
	return sim_streq_ci(sim_json_str(a, "tenantId"), sim_json_str(b, "tenantId")) &&
	       sim_streq_ci(sim_json_str(a, "objectId"), sim_json_str(b, "objectId")) &&
	       sim_streq_ci(sim_json_str(a, "applicationId"), sim_json_str(b, "applicationId"));
}

static bool kv__has_str(const cJSON *arr, const char *s)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, arr)
		if (cJSON_IsString(v) && strcasecmp(v->valuestring, s) == 0)
			return true;
	return false;
}

int kv_access_policy_update(sim_res *vault, const char *kind, const cJSON *policies)
{
	static const char *const groups[] = { "keys", "secrets", "certificates", "storage" };
	if (!cJSON_IsArray(policies))
		return cmk_error_set(CMK_EINVALID, "properties.accessPolicies must be an array");
	const cJSON *p;
	cJSON_ArrayForEach(p, policies) {
		if (!sim_json_str(p, "tenantId") || !sim_json_str(p, "objectId") ||
		    !cJSON_IsObject(sim_json_get(p, "permissions")))
			return cmk_error_set(CMK_EINVALID,
					     "An access policy needs tenantId, objectId and permissions.");
	}
	cJSON *props = sim_json_obj(vault->doc, "properties");
	cJSON *pols = sim_json_get(props, "accessPolicies");
	if (!cJSON_IsArray(pols)) {
		pols = cJSON_CreateArray();
		sim_json_set(props, "accessPolicies", pols);
	}
	if (!strcasecmp(kind, "replace")) {
		sim_json_set(props, "accessPolicies", cJSON_Duplicate(policies, 1));
		return 0;
	}
	bool add = !strcasecmp(kind, "add");
	if (!add && strcasecmp(kind, "remove"))
		return cmk_error_set(CMK_EINVALID, "operationKind must be add, replace or remove");
	cJSON_ArrayForEach(p, policies) {
		cJSON *cur = NULL, *e;
		cJSON_ArrayForEach(e, pols)
			if (kv__same_entry(e, p))
				cur = e;
		if (add && !cur) {
			cJSON_AddItemToArray(pols, cJSON_Duplicate(p, 1));
			continue;
		}
		if (!cur)
			continue;
		cJSON *curperm = sim_json_obj(cur, "permissions");
		for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
			cJSON *want = sim_json_path(p, "permissions"), *w;
			want = sim_json_get(want, groups[g]);
			if (!cJSON_IsArray(want))
				continue;
			cJSON *have = sim_json_get(curperm, groups[g]);
			if (!cJSON_IsArray(have)) {
				have = cJSON_CreateArray();
				sim_json_set(curperm, groups[g], have);
			}
			cJSON_ArrayForEach(w, want) {
				if (!cJSON_IsString(w))
					continue;
				if (add && !kv__has_str(have, w->valuestring)) {
					cJSON_AddItemToArray(have, cJSON_CreateString(w->valuestring));
				} else if (!add) {
					for (int i = cJSON_GetArraySize(have) - 1; i >= 0; i--) {
						cJSON *h = cJSON_GetArrayItem(have, i);
						if (cJSON_IsString(h) && !strcasecmp(h->valuestring, w->valuestring))
							cJSON_DeleteItemFromArray(have, i);
					}
				}
			}
		}
		if (!add) {
			bool empty = true;
			for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
				if (cJSON_GetArraySize(sim_json_get(curperm, groups[g])) > 0)
					empty = false;
			if (empty) {
				int idx = 0;
				cJSON_ArrayForEach(e, pols) {
					if (e == cur)
						break;
					idx++;
				}
				cJSON_DeleteItemFromArray(pols, idx);
			}
		}
	}
	return 0;
}

sim_res *msi_get(const char *id)
{
	return store_get_typed(id, T_MSI);
}

sim_res *msi_create(const char *id, const char *location, const char *tenant_id)
{
	sim_principal *p = auth_principal_new_msi(tenant_id, id);
	if (!p)
		return NULL;
	const char *slash = strrchr(id, '/');
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "name", slash ? slash + 1 : id);
	cJSON_AddStringToObject(doc, "type", T_MSI);
	cJSON_AddStringToObject(doc, "location", location ? location : "");
	cJSON_AddObjectToObject(doc, "tags");
	cJSON *props = cJSON_AddObjectToObject(doc, "properties");
	cJSON_AddStringToObject(props, "tenantId", p->tenant_id);
	cJSON_AddStringToObject(props, "principalId", p->object_id);
	cJSON_AddStringToObject(props, "clientId", p->client_id);
	return store_put(id, T_MSI, doc);
}

const char *msi_principal_id(const sim_res *msi)
{
	return sim_json_str(msi->doc, "properties.principalId");
}

const char *msi_client_id(const sim_res *msi)
{
	return sim_json_str(msi->doc, "properties.clientId");
}

bool kusto_is_follower(const sim_res *cluster)
{
	sim_res **arr;
	size_t n = store_list(&arr, "Microsoft.Kusto/clusters/attachedDatabaseConfigurations", cluster->id);
	free(arr);
	if (n)
		return true;
	/* a fixture may mark it directly */
	return cJSON_IsTrue(sim_json_get(cluster->sim, "follower"));
}
