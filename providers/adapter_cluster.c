/*
 * adapter_cluster.c - Log Analytics dedicated clusters: ARM JSON <-> the
 * live model and the write requests (see adapter_cluster.h).
 */
#include "providers/adapter_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/adapter_util.h"

int adapter_cluster_add(live_state *into, const cJSON *doc)
{
	live_la_cluster *cl;
	const cJSON *props = adapter_get(doc, "properties"), *kvp;
	const char *lsu;
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "cluster: the answer is not a resource (no id)");
	if ((cl = ADAPTER_APPEND(into->clusters, into->cluster_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup_str(&cl->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&cl->name, doc, "name")) < 0 ||
	    (error = adapter_dup_location(&cl->location, adapter_str(doc, "location"))) < 0 ||
	    (error = adapter_dup_str(&cl->provisioning_state, props, "provisioningState")) < 0 ||
	    (error = adapter_dup_str(&cl->cluster_id, props, "clusterId")) < 0 ||
	    (error = adapter_identity_parse(&cl->identity, adapter_get(doc, "identity"))) < 0 ||
	    (error = adapter_dup_str(&cl->sku_name, doc, "sku.name")) < 0 ||
	    (error = adapter_dup_str(&cl->billing_type, props, "billingType")) < 0 ||
	    (error = adapter_dup_str(&cl->cluster_type, props, "clusterType")) < 0 ||
	    (error = adapter_dup_date(&cl->created, adapter_str(props, "createdDate"))) < 0 ||
	    (error = adapter_dup_date(&cl->last_modified, adapter_str(props, "lastModifiedDate"))) < 0 ||
	    (error = adapter_tags_parse(&cl->tags, adapter_get(doc, "tags"))) < 0)
		return error;
	/* 2019-08-01-preview had no sku: 1000 GB/day then (seed 000) */
	cl->capacity = adapter_num(doc, "sku.capacity", adapter_get(doc, "sku") ? 0 : 1000);
	cl->double_encryption = adapter_bool(props, "isDoubleEncryptionEnabled", false);
	cl->availability_zones = adapter_bool(props, "isAvailabilityZonesEnabled", false);
	lsu = adapter_str(props, "capacityReservationProperties.lastSkuUpdate");
	if (!lsu)
		lsu = adapter_str(doc, "sku.lastSkuUpdate");
	if ((error = adapter_dup_date(&cl->last_sku_update, lsu)) < 0)
		return error;
	kvp = adapter_get(props, "keyVaultProperties");
	if (cJSON_IsObject(kvp)) {
		const char *uri = adapter_str(kvp, "keyVaultUri"), *name = adapter_str(kvp, "keyName");

		/* empty strings are how a removed key reads back */
		if (uri && *uri && name && *name) {
			if ((error = adapter_dup(&cl->key.vault_uri, uri)) < 0 ||
			    (error = adapter_dup(&cl->key.key_name, name)) < 0 ||
			    (error = adapter_dup_str(&cl->key.key_version, kvp, "keyVersion")) < 0)
				return error;
			cl->key.key_rsa_size = (long)adapter_num(kvp, "keyRsaSize", 0);
		}
	}
	cl->busy = !live_provisioning_terminal(cl->provisioning_state);
	return 0;
}

int adapter_cluster_get(live_state *into, arm_client *c, const char *cluster_id)
{
	cJSON *doc = NULL;
	int error;

	if ((error = adapter_read(&doc, c, cluster_id, ADAPTER_API_LA, ARM_AUD_ARM, cluster_id)) == 0)
		error = adapter_cluster_add(into, doc);
	cJSON_Delete(doc);
	return error;
}

static int cluster__item(void *ud, const cJSON *item)
{
	return adapter_cluster_add(ud, item);
}

int adapter_cluster_list(live_state *into, arm_client *c, const char *subscription)
{
	char url[256];

	snprintf(url, sizeof(url),
		 "/subscriptions/%s/providers/Microsoft.OperationalInsights/clusters", subscription);
	return adapter_list(c, url, ADAPTER_API_LA, ARM_AUD_ARM, cluster__item, into);
}

/* {"keyVaultUri", "keyName", "keyVersion", "keyRsaSize"?}; a NULL/empty
 * vault_uri is the documented removal (empty strings). */
static cJSON *cluster__kvp(const live_key_ref *key)
{
	cJSON *k = cJSON_CreateObject();
	bool remove = !key->vault_uri || !*key->vault_uri;

	if (!k)
		return NULL;
	if (!cJSON_AddStringToObject(k, "keyVaultUri", remove ? "" : key->vault_uri) ||
	    !cJSON_AddStringToObject(k, "keyName", remove || !key->key_name ? "" : key->key_name) ||
	    !cJSON_AddStringToObject(k, "keyVersion",
				     remove || !key->key_version ? "" : key->key_version) ||
	    (!remove && key->key_rsa_size > 0 &&
	     !cJSON_AddNumberToObject(k, "keyRsaSize", (double)key->key_rsa_size))) {
		cJSON_Delete(k);
		return NULL;
	}
	return k;
}

static cJSON *cluster__identity(const adapter_cluster_spec *spec)
{
	cJSON *id = cJSON_CreateObject(), *uais;

	if (!id || !cJSON_AddStringToObject(id, "type", spec->identity_type))
		goto fail;
	if (strcasecmp(spec->identity_type, "UserAssigned") == 0) {
		if ((uais = cJSON_AddObjectToObject(id, "userAssignedIdentities")) == NULL ||
		    !cJSON_AddObjectToObject(uais, spec->user_identity_id))
			goto fail;
	}
	return id;
fail:
	cJSON_Delete(id);
	return NULL;
}

int adapter_cluster_body(cJSON **out, const adapter_cluster_spec *spec, int create)
{
	cJSON *b = NULL, *props, *sku, *x;
	bool sys = spec->identity_type && strcasecmp(spec->identity_type, "SystemAssigned") == 0;
	int error = CMK_ENOMEM;

	*out = NULL;
	if (create && (!spec->location || !*spec->location))
		return cmk_error_set(CMK_EINVALID, "cluster create: a location is required");
	if (spec->identity_type && strcasecmp(spec->identity_type, "UserAssigned") == 0 &&
	    (!spec->user_identity_id || !*spec->user_identity_id))
		return cmk_error_set(CMK_EINVALID, "cluster: a UserAssigned identity needs the "
				    "identity's resource id");
	if (create && spec->key && spec->key->vault_uri && *spec->key->vault_uri &&
	    (sys || !spec->identity_type))
		return cmk_error_set(CMK_EINVALID, "cluster create: keyVaultProperties cannot be set "
				     "at creation with a system-assigned identity (the service "
				     "answers 400); create the cluster, grant its identity access "
				     "to the key, then update the key");
	if ((b = cJSON_CreateObject()) == NULL)
		goto fail;
	if (create && !cJSON_AddStringToObject(b, "location", spec->location))
		goto fail;
	if (spec->tags && ((x = adapter_tags_json(spec->tags)) == NULL ||
			   !cJSON_AddItemToObject(b, "tags", x)))
		goto fail;
	if (spec->identity_type) {
		if ((x = cluster__identity(spec)) == NULL || !cJSON_AddItemToObject(b, "identity", x))
			goto fail;
	} else if (create) {
		/* required before 2022-10-01 and what the docs show: say it */
		if ((x = cJSON_CreateObject()) == NULL || !cJSON_AddItemToObject(b, "identity", x) ||
		    !cJSON_AddStringToObject(x, "type", "SystemAssigned"))
			goto fail;
	}
	if (spec->capacity > 0 || create) {
		if ((sku = cJSON_AddObjectToObject(b, "sku")) == NULL ||
		    !cJSON_AddStringToObject(sku, "name", "CapacityReservation") ||
		    !cJSON_AddNumberToObject(sku, "capacity",
					     (double)(spec->capacity > 0 ? spec->capacity : 1000)))
			goto fail;
	}
	if ((props = cJSON_CreateObject()) == NULL)
		goto fail;
	if (!cJSON_AddItemToObject(b, "properties", props))
		goto fail_props;
	if (spec->billing_type && !cJSON_AddStringToObject(props, "billingType", spec->billing_type))
		goto fail;
	if (create && spec->double_encryption >= 0 &&
	    !cJSON_AddBoolToObject(props, "isDoubleEncryptionEnabled", spec->double_encryption))
		goto fail;
	if (create && spec->availability_zones >= 0 &&
	    !cJSON_AddBoolToObject(props, "isAvailabilityZonesEnabled", spec->availability_zones))
		goto fail;
	/* the type cannot change after creation: never sent on an update */
	if (create && spec->cluster_type && strcasecmp(spec->cluster_type, "LogAnalytics") != 0 &&
	    !cJSON_AddStringToObject(props, "clusterType", spec->cluster_type))
		goto fail;
	if (spec->key && ((x = cluster__kvp(spec->key)) == NULL ||
			  !cJSON_AddItemToObject(props, "keyVaultProperties", x)))
		goto fail;
	if (!props->child && !create)
		cJSON_DeleteItemFromObject(b, "properties");
	*out = b;
	return 0;
fail_props:
	cJSON_Delete(props);
fail:
	cJSON_Delete(b);
	return error == CMK_ENOMEM ? cmk_error_oom() : error;
}

int adapter_cluster_create(arm_op **out, arm_client *c, const char *cluster_id,
			   const adapter_cluster_spec *spec, arm_error **err_out)
{
	cJSON *body = NULL;
	int error;

	*out = NULL;
	if ((error = adapter_cluster_body(&body, spec, 1)) < 0)
		return error;
	error = adapter_begin(out, c, ARM_OP_CLUSTER_CREATE, "PUT", cluster_id, ADAPTER_API_LA, body,
			      cluster_id, ARM_FINAL_LOCATION, err_out);
	cJSON_Delete(body);
	return error;
}

int adapter_cluster_update(arm_op **out, arm_client *c, const char *cluster_id,
			   const adapter_cluster_spec *spec, arm_error **err_out)
{
	cJSON *body = NULL;
	int error;

	*out = NULL;
	if ((error = adapter_cluster_body(&body, spec, 0)) < 0)
		return error;
	error = adapter_begin(out, c, spec->key ? ARM_OP_CLUSTER_KEY_UPDATE : ARM_OP_CLUSTER_UPDATE,
			      "PATCH", cluster_id, ADAPTER_API_LA, body, cluster_id,
			      ARM_FINAL_LOCATION, err_out);
	cJSON_Delete(body);
	return error;
}

int adapter_cluster_update_key(arm_op **out, arm_client *c, const char *cluster_id,
			       const live_key_ref *key, arm_error **err_out)
{
	adapter_cluster_spec spec = { .double_encryption = -1, .availability_zones = -1, .key = key };

	return adapter_cluster_update(out, c, cluster_id, &spec, err_out);
}

int adapter_cluster_delete(arm_op **out, arm_client *c, const char *cluster_id,
			   arm_error **err_out)
{
	return adapter_begin(out, c, ARM_OP_CLUSTER_DELETE, "DELETE", cluster_id, ADAPTER_API_LA,
			     NULL, cluster_id, ARM_FINAL_DEFAULT, err_out);
}

bool adapter_cluster_key_of(const char **name, const char **version, const cJSON *doc)
{
	*name = adapter_str(doc, "properties.keyVaultProperties.keyName");
	*version = adapter_str(doc, "properties.keyVaultProperties.keyVersion");
	return adapter_path(doc, "properties.keyVaultProperties") != NULL;
}
