/*
 * adapter_kusto.c - Azure Data Explorer clusters (see adapter_kusto.h).
 */
#include "providers/adapter_kusto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/adapter_util.h"

/* "SystemAssigned, UserAssigned" -> "SystemAssigned,UserAssigned" */
static void kusto__squeeze(char *s)
{
	char *w = s;

	for (char *r = s; s && *r; r++)
		if (*r != ' ')
			*w++ = *r;
	if (s)
		*w = '\0';
}

int adapter_kusto_add(live_state *into, const cJSON *doc)
{
	live_kusto_cluster *k;
	const cJSON *props = adapter_get(doc, "properties"), *kvp;
	const char *ps;
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "Kusto cluster: the answer is not a resource (no id)");
	if ((k = ADAPTER_APPEND(into->kusto_clusters, into->kusto_cluster_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup_str(&k->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&k->name, doc, "name")) < 0 ||
	    (error = adapter_dup_location(&k->location, adapter_str(doc, "location"))) < 0 ||
	    (error = adapter_dup_str(&k->state, props, "state")) < 0 ||
	    (error = adapter_dup_str(&k->provisioning_state, props, "provisioningState")) < 0 ||
	    (error = adapter_identity_parse(&k->identity, adapter_get(doc, "identity"))) < 0)
		return error;
	kusto__squeeze(k->identity.type);
	kvp = adapter_get(props, "keyVaultProperties");
	if (cJSON_IsObject(kvp)) {
		const char *uri = adapter_str(kvp, "keyVaultUri"), *name = adapter_str(kvp, "keyName");

		if (uri && *uri && name && *name &&
		    ((error = adapter_dup(&k->key.vault_uri, uri)) < 0 ||
		     (error = adapter_dup(&k->key.key_name, name)) < 0 ||
		     (error = adapter_dup_str(&k->key.key_version, kvp, "keyVersion")) < 0 ||
		     (error = adapter_dup_str(&k->key.user_identity, kvp, "userIdentity")) < 0))
			return error;
	}
	ps = k->provisioning_state;
	k->busy = !live_provisioning_terminal(ps);
	return 0;
}

int adapter_kusto_get(live_state *into, arm_client *c, const char *cluster_id)
{
	cJSON *doc = NULL;
	int error;

	if ((error = adapter_read(&doc, c, cluster_id, ADAPTER_API_KUSTO, ARM_AUD_ARM,
				  cluster_id)) == 0)
		error = adapter_kusto_add(into, doc);
	cJSON_Delete(doc);
	return error;
}

static int kusto__item(void *ud, const cJSON *item)
{
	return adapter_kusto_add(ud, item);
}

int adapter_kusto_list(live_state *into, arm_client *c, const char *subscription)
{
	char url[256];

	snprintf(url, sizeof(url), "/subscriptions/%s/providers/Microsoft.Kusto/clusters",
		 subscription);
	return adapter_list(c, url, ADAPTER_API_KUSTO, ARM_AUD_ARM, kusto__item, into);
}

int adapter_kusto_body(cJSON **out, const adapter_kusto_spec *spec)
{
	cJSON *b = cJSON_CreateObject(), *id, *uais, *props, *kvp;
	const live_key_ref *key = spec->key;

	*out = NULL;
	if (!b)
		return cmk_error_oom();
	if (spec->identity_type) {
		if ((id = cJSON_AddObjectToObject(b, "identity")) == NULL ||
		    !cJSON_AddStringToObject(id, "type", spec->identity_type))
			goto fail;
		if (strcasestr(spec->identity_type, "UserAssigned")) {
			if (!spec->user_identity_count) {
				cJSON_Delete(b);
				return cmk_error_set(CMK_EINVALID, "Kusto cluster: identity type %s "
						     "needs at least one user-assigned identity",
						     spec->identity_type);
			}
			if ((uais = cJSON_AddObjectToObject(id, "userAssignedIdentities")) == NULL)
				goto fail;
			for (size_t i = 0; i < spec->user_identity_count; i++)
				if (!cJSON_AddObjectToObject(uais, spec->user_identities[i]))
					goto fail;
		}
	}
	if (key) {
		bool remove = !key->vault_uri || !*key->vault_uri;

		if ((props = cJSON_AddObjectToObject(b, "properties")) == NULL ||
		    (kvp = cJSON_AddObjectToObject(props, "keyVaultProperties")) == NULL ||
		    !cJSON_AddStringToObject(kvp, "keyVaultUri", remove ? "" : key->vault_uri) ||
		    !cJSON_AddStringToObject(kvp, "keyName", remove || !key->key_name ? "" : key->key_name) ||
		    /* "" = always use the current key version (seed 002) */
		    !cJSON_AddStringToObject(kvp, "keyVersion",
					     remove || !key->key_version ? "" : key->key_version))
			goto fail;
		if (!remove && key->user_identity && *key->user_identity &&
		    !cJSON_AddStringToObject(kvp, "userIdentity", key->user_identity))
			goto fail;
	}
	*out = b;
	return 0;
fail:
	cJSON_Delete(b);
	return cmk_error_oom();
}

int adapter_kusto_update(arm_op **out, arm_client *c, const char *cluster_id,
			 const adapter_kusto_spec *spec, arm_error **err_out)
{
	cJSON *body = NULL;
	int error;

	*out = NULL;
	if ((error = adapter_kusto_body(&body, spec)) < 0)
		return error;
	error = adapter_begin(out, c, ARM_OP_KUSTO_UPDATE, "PATCH", cluster_id, ADAPTER_API_KUSTO,
			      body, cluster_id, ARM_FINAL_LOCATION, err_out);
	cJSON_Delete(body);
	return error;
}
