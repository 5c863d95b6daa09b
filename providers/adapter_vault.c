/*
 * adapter_vault.c - Key Vault vaults and access policies (see
 * adapter_vault.h).
 */
#include "providers/adapter_vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/adapter_util.h"

static int vault__policy(live_access_policy *p, const cJSON *doc)
{
	const cJSON *keys = adapter_path(doc, "permissions.keys"), *k;
	int error;

	if ((error = adapter_dup_str(&p->tenant_id, doc, "tenantId")) < 0 ||
	    (error = adapter_dup_str(&p->object_id, doc, "objectId")) < 0)
		return error;
	if (!cJSON_IsArray(keys) || !keys->child)
		return 0;
	if ((p->key_permissions = calloc((size_t)cJSON_GetArraySize(keys), sizeof(char *))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(k, keys) {
		char low[64];

		if (!cJSON_IsString(k))
			continue;
		/* Key Vault spells them wrapKey / WrapKey / wrapkey: keep one form */
		adapter_lower(low, sizeof(low), k->valuestring);
		if ((p->key_permissions[p->key_permission_count] = strdup(low)) == NULL)
			return cmk_error_oom();
		p->key_permission_count++;
	}
	return 0;
}

int adapter_vault_add(live_state *into, const cJSON *doc)
{
	live_vault *v;
	const cJSON *props = adapter_get(doc, "properties"), *pols, *p;
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "vault: the answer is not a resource (no id)");
	if ((v = ADAPTER_APPEND(into->vaults, into->vault_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup_str(&v->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&v->name, doc, "name")) < 0 ||
	    (error = adapter_dup_location(&v->location, adapter_str(doc, "location"))) < 0 ||
	    (error = adapter_dup_str(&v->tenant_id, props, "tenantId")) < 0 ||
	    (error = adapter_dup_str(&v->vault_uri, props, "vaultUri")) < 0)
		return error;
	v->soft_delete = adapter_bool(props, "enableSoftDelete", true);
	v->purge_protection = adapter_bool(props, "enablePurgeProtection", false);
	v->rbac_authorization = adapter_bool(props, "enableRbacAuthorization", false);
	pols = adapter_get(props, "accessPolicies");
	if (!cJSON_IsArray(pols) || !pols->child)
		return 0;
	if ((v->access_policies = calloc((size_t)cJSON_GetArraySize(pols),
					 sizeof(live_access_policy))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(p, pols) {
		if (!cJSON_IsObject(p))
			continue;
		/* counted first: a half-read policy is still freed */
		if ((error = vault__policy(&v->access_policies[v->access_policy_count++], p)) < 0)
			return error;
	}
	return 0;
}

int adapter_vault_get(live_state *into, arm_client *c, const char *vault_id)
{
	cJSON *doc = NULL;
	int error;

	if ((error = adapter_read(&doc, c, vault_id, ADAPTER_API_KEYVAULT, ARM_AUD_ARM,
				  vault_id)) == 0)
		error = adapter_vault_add(into, doc);
	cJSON_Delete(doc);
	return error;
}

int adapter_access_policy_body(cJSON **out, const char *tenant_id, const char *object_id)
{
	static const char *const perms[] = { "get", "wrapKey", "unwrapKey" };
	cJSON *b = cJSON_CreateObject(), *props, *arr, *pol, *pm, *keys;

	*out = NULL;
	if (!tenant_id || !object_id) {
		cJSON_Delete(b);
		return cmk_error_set(CMK_EINVALID, "access policy: tenant and object id are required");
	}
	if (!b || (props = cJSON_AddObjectToObject(b, "properties")) == NULL ||
	    (arr = cJSON_AddArrayToObject(props, "accessPolicies")) == NULL ||
	    (pol = cJSON_CreateObject()) == NULL)
		goto fail;
	if (!cJSON_AddItemToArray(arr, pol)) {
		cJSON_Delete(pol);
		goto fail;
	}
	if (!cJSON_AddStringToObject(pol, "tenantId", tenant_id) ||
	    !cJSON_AddStringToObject(pol, "objectId", object_id) ||
	    (pm = cJSON_AddObjectToObject(pol, "permissions")) == NULL ||
	    (keys = cJSON_CreateStringArray(perms, 3)) == NULL)
		goto fail;
	if (!cJSON_AddItemToObject(pm, "keys", keys)) {
		cJSON_Delete(keys);
		goto fail;
	}
	*out = b;
	return 0;
fail:
	cJSON_Delete(b);
	return cmk_error_oom();
}

static int vault__policy_put(cJSON **out, arm_client *c, const char *vault_id, const char *kind,
			     const char *tenant_id, const char *object_id, arm_error **err_out)
{
	cJSON *body = NULL;
	char *url = NULL;
	int error;

	if (out)
		*out = NULL;
	if ((error = adapter_access_policy_body(&body, tenant_id, object_id)) < 0)
		return error;
	if (asprintf(&url, "%s/accessPolicies/%s", vault_id, kind) < 0) {
		url = NULL;
		error = cmk_error_oom();
		goto out;
	}
	error = adapter_write(out, c, "PUT", url, ADAPTER_API_KEYVAULT, body, ARM_AUD_ARM, vault_id,
			      err_out);
out:
	cJSON_Delete(body);
	free(url);
	return error;
}

int adapter_access_policy_grant(cJSON **out, arm_client *c, const char *vault_id,
				const char *tenant_id, const char *object_id, arm_error **err_out)
{
	return vault__policy_put(out, c, vault_id, "add", tenant_id, object_id, err_out);
}

int adapter_access_policy_revoke(cJSON **out, arm_client *c, const char *vault_id,
				 const char *tenant_id, const char *object_id, arm_error **err_out)
{
	return vault__policy_put(out, c, vault_id, "remove", tenant_id, object_id, err_out);
}
