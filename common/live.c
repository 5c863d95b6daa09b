/*
 * live.c - the live model's memory, JSON form and lookups (see live.h).
 *
 * Every struct is described once by a field table (name, kind, offset), and
 * one generic walker frees, reads and writes all of them: adding a field is
 * one line here, and the three operations cannot disagree.
 */
#include "common/live.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"

typedef enum {
	F_STR,      /* char * */
	F_BOOL,     /* bool */
	F_INT,      /* int */
	F_LONG,     /* long */
	F_LLONG,    /* long long */
	F_STRS,     /* char ** + size_t count at offset + sizeof(char **) */
	F_TAGS,     /* live_tags */
	F_IDENTITY, /* live_identity */
	F_KEYREF,   /* live_key_ref */
	F_POLICIES, /* live_access_policy * + size_t */
} field_kind;

typedef struct {
	const char *name;
	field_kind kind;
	size_t offset;
	size_t count_offset; /* F_STRS / F_POLICIES: where the count lives */
} field;

#define FS(T, name, member) { name, F_STR, offsetof(T, member), 0 }
#define FB(T, name, member) { name, F_BOOL, offsetof(T, member), 0 }
#define FI(T, name, member) { name, F_INT, offsetof(T, member), 0 }
#define FL(T, name, member) { name, F_LONG, offsetof(T, member), 0 }
#define FLL(T, name, member) { name, F_LLONG, offsetof(T, member), 0 }
#define FA(T, name, member, count) { name, F_STRS, offsetof(T, member), offsetof(T, count) }
#define FX(T, name, kind, member) { name, kind, offsetof(T, member), 0 }
#define FEND { NULL, F_STR, 0, 0 }

static const field identity_fields[] = {
	FS(live_identity, "type", type),
	FS(live_identity, "principalId", principal_id),
	FS(live_identity, "tenantId", tenant_id),
	FA(live_identity, "userAssigned", user_assigned, user_assigned_count),
	FEND,
};

static const field keyref_fields[] = {
	FS(live_key_ref, "vaultUri", vault_uri),
	FS(live_key_ref, "keyName", key_name),
	FS(live_key_ref, "keyVersion", key_version),
	FS(live_key_ref, "userIdentity", user_identity),
	FL(live_key_ref, "keyRsaSize", key_rsa_size),
	FEND,
};

static const field policy_fields[] = {
	FS(live_access_policy, "tenantId", tenant_id),
	FS(live_access_policy, "objectId", object_id),
	FA(live_access_policy, "keyPermissions", key_permissions, key_permission_count),
	FEND,
};

static const field subscription_fields[] = {
	FS(live_subscription, "id", id),
	FS(live_subscription, "tenantId", tenant_id),
	FI(live_subscription, "clustersPerRegionLimit", clusters_per_region_limit),
	FEND,
};

static const field cluster_fields[] = {
	FS(live_la_cluster, "id", id),
	FS(live_la_cluster, "name", name),
	FS(live_la_cluster, "location", location),
	FS(live_la_cluster, "provisioningState", provisioning_state),
	FS(live_la_cluster, "clusterId", cluster_id),
	FX(live_la_cluster, "identity", F_IDENTITY, identity),
	FS(live_la_cluster, "skuName", sku_name),
	FLL(live_la_cluster, "capacity", capacity),
	FS(live_la_cluster, "billingType", billing_type),
	FS(live_la_cluster, "clusterType", cluster_type),
	FB(live_la_cluster, "doubleEncryption", double_encryption),
	FB(live_la_cluster, "availabilityZones", availability_zones),
	FX(live_la_cluster, "key", F_KEYREF, key),
	FS(live_la_cluster, "lastSkuUpdate", last_sku_update),
	FS(live_la_cluster, "created", created),
	FS(live_la_cluster, "lastModified", last_modified),
	FX(live_la_cluster, "tags", F_TAGS, tags),
	FB(live_la_cluster, "busy", busy),
	FEND,
};

static const field workspace_fields[] = {
	FS(live_workspace, "id", id),
	FS(live_workspace, "name", name),
	FS(live_workspace, "location", location),
	FS(live_workspace, "customerId", customer_id),
	FS(live_workspace, "clusterResourceId", cluster_resource_id),
	FS(live_workspace, "linkState", link_state),
	FI(live_workspace, "linkOperations30d", link_operations_30d),
	FEND,
};

static const field linked_storage_fields[] = {
	FS(live_linked_storage, "workspaceId", workspace_id),
	FS(live_linked_storage, "dataSourceType", data_source_type),
	FA(live_linked_storage, "storageAccounts", storage_accounts, storage_account_count),
	FEND,
};

static const field vault_fields[] = {
	FS(live_vault, "id", id),
	FS(live_vault, "name", name),
	FS(live_vault, "location", location),
	FS(live_vault, "tenantId", tenant_id),
	FS(live_vault, "vaultUri", vault_uri),
	FB(live_vault, "softDelete", soft_delete),
	FB(live_vault, "purgeProtection", purge_protection),
	FB(live_vault, "rbacAuthorization", rbac_authorization),
	{ "accessPolicies", F_POLICIES, offsetof(live_vault, access_policies),
	  offsetof(live_vault, access_policy_count) },
	FEND,
};

static const field key_fields[] = {
	FS(live_key, "vaultId", vault_id),
	FS(live_key, "vaultUri", vault_uri),
	FS(live_key, "name", name),
	FS(live_key, "currentVersion", current_version),
	FS(live_key, "kty", kty),
	FL(live_key, "keySize", key_size),
	FB(live_key, "enabled", enabled),
	FS(live_key, "expires", expires),
	FB(live_key, "exists", exists),
	FEND,
};

static const field role_assignment_fields[] = {
	FS(live_role_assignment, "id", id),
	FS(live_role_assignment, "scope", scope),
	FS(live_role_assignment, "roleDefinitionId", role_definition_id),
	FS(live_role_assignment, "principalId", principal_id),
	FEND,
};

static const field identity_resource_fields[] = {
	FS(live_user_identity, "id", id),
	FS(live_user_identity, "name", name),
	FS(live_user_identity, "location", location),
	FS(live_user_identity, "principalId", principal_id),
	FS(live_user_identity, "clientId", client_id),
	FS(live_user_identity, "tenantId", tenant_id),
	FX(live_user_identity, "tags", F_TAGS, tags),
	FEND,
};

static const field kusto_fields[] = {
	FS(live_kusto_cluster, "id", id),
	FS(live_kusto_cluster, "name", name),
	FS(live_kusto_cluster, "location", location),
	FS(live_kusto_cluster, "state", state),
	FS(live_kusto_cluster, "provisioningState", provisioning_state),
	FX(live_kusto_cluster, "identity", F_IDENTITY, identity),
	FX(live_kusto_cluster, "key", F_KEYREF, key),
	FB(live_kusto_cluster, "follower", follower),
	FB(live_kusto_cluster, "busy", busy),
	FEND,
};

static const field component_fields[] = {
	FS(live_component, "id", id),
	FS(live_component, "name", name),
	FS(live_component, "location", location),
	FS(live_component, "clusterDefinitionId", cluster_definition_id),
	FEND,
};

/* The top-level arrays of a live_state. */
typedef struct {
	const char *name;
	const field *fields;
	size_t elem_size;
	size_t array_offset;
	size_t count_offset;
} collection;

#define COLL(name, fields, T, member, count) \
	{ name, fields, sizeof(T), offsetof(live_state, member), offsetof(live_state, count) }

static const collection collections[] = {
	COLL("subscriptions", subscription_fields, live_subscription, subscriptions, subscription_count),
	COLL("clusters", cluster_fields, live_la_cluster, clusters, cluster_count),
	COLL("workspaces", workspace_fields, live_workspace, workspaces, workspace_count),
	COLL("linkedStorageAccounts", linked_storage_fields, live_linked_storage, linked_storage,
	     linked_storage_count),
	COLL("vaults", vault_fields, live_vault, vaults, vault_count),
	COLL("keys", key_fields, live_key, keys, key_count),
	COLL("roleAssignments", role_assignment_fields, live_role_assignment, role_assignments,
	     role_assignment_count),
	COLL("identities", identity_resource_fields, live_user_identity, identities, identity_count),
	COLL("kustoClusters", kusto_fields, live_kusto_cluster, kusto_clusters, kusto_cluster_count),
	COLL("components", component_fields, live_component, components, component_count),
};

#define AT(base, off, T) ((T *)((char *)(base) + (off)))

static void strs__free(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static void tags__free(live_tags *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->items[i].key);
		free(t->items[i].value);
	}
	free(t->items);
	t->items = NULL;
	t->count = 0;
}

static void fields__free(void *obj, const field *fields)
{
	for (const field *f = fields; f->name; f++) {
		switch (f->kind) {
		case F_STR:
			free(*AT(obj, f->offset, char *));
			break;
		case F_STRS:
			strs__free(*AT(obj, f->offset, char **), *AT(obj, f->count_offset, size_t));
			break;
		case F_TAGS:
			tags__free(AT(obj, f->offset, live_tags));
			break;
		case F_IDENTITY:
			fields__free(AT(obj, f->offset, void), identity_fields);
			break;
		case F_KEYREF:
			fields__free(AT(obj, f->offset, void), keyref_fields);
			break;
		case F_POLICIES: {
			live_access_policy *p = *AT(obj, f->offset, live_access_policy *);
			size_t n = *AT(obj, f->count_offset, size_t);

			for (size_t i = 0; i < n; i++)
				fields__free(&p[i], policy_fields);
			free(p);
			break;
		}
		default:
			break;
		}
	}
}

void live_state_free(live_state *s)
{
	if (!s)
		return;
	for (size_t c = 0; c < sizeof(collections) / sizeof(collections[0]); c++) {
		const collection *col = &collections[c];
		char *items = *AT(s, col->array_offset, char *);
		size_t n = *AT(s, col->count_offset, size_t);

		for (size_t i = 0; i < n; i++)
			fields__free(items + i * col->elem_size, col->fields);
		free(items);
	}
	strs__free(s->soft_deleted_clusters, s->soft_deleted_cluster_count);
	memset(s, 0, sizeof(*s));
}

/* ---- reading ---------------------------------------------------------- */

static int read__fields(void *obj, const field *fields, const cJSON *json, const char *path);

static int read__strs(char ***out, size_t *count, const cJSON *json, const char *path)
{
	size_t n, i = 0;
	const cJSON *item;

	if (!cJSON_IsArray(json))
		return cmk_error_set(CMK_EINVALID, "%s: expected an array of strings", path);
	n = (size_t)cJSON_GetArraySize(json);
	if (n && (*out = calloc(n, sizeof(char *))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(item, json) {
		if (!cJSON_IsString(item))
			return cmk_error_set(CMK_EINVALID, "%s[%zu]: expected a string", path, i);
		if (((*out)[i] = strdup(item->valuestring)) == NULL)
			return cmk_error_oom();
		*count = ++i;
	}
	return 0;
}

static int read__tags(live_tags *t, const cJSON *json, const char *path)
{
	const cJSON *item;
	size_t n;

	if (!cJSON_IsObject(json))
		return cmk_error_set(CMK_EINVALID, "%s: expected an object of strings", path);
	n = (size_t)cJSON_GetArraySize(json);
	if (n && (t->items = calloc(n, sizeof(live_tag))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(item, json) {
		if (!cJSON_IsString(item))
			return cmk_error_set(CMK_EINVALID, "%s.%s: expected a string", path, item->string);
		t->items[t->count].key = strdup(item->string);
		t->items[t->count].value = strdup(item->valuestring);
		t->count++;
		if (!t->items[t->count - 1].key || !t->items[t->count - 1].value)
			return cmk_error_oom();
	}
	return 0;
}

/* A number within [min, max] (the C type it is stored in). */
static int read__number(double *out, const cJSON *json, const char *path, double min,
			double max)
{
	if (!cJSON_IsNumber(json))
		return cmk_error_set(CMK_EINVALID, "%s: expected a number", path);
	if (!(json->valuedouble >= min && json->valuedouble <= max))
		return cmk_error_set(CMK_EINVALID, "%s: %g is out of range", path,
				     json->valuedouble);
	*out = json->valuedouble;
	return 0;
}

static int read__field(void *obj, const field *f, const cJSON *json, const char *path)
{
	double d = 0;
	int error;

	if (cJSON_IsNull(json))
		return 0;
	switch (f->kind) {
	case F_STR:
		if (!cJSON_IsString(json))
			return cmk_error_set(CMK_EINVALID, "%s: expected a string", path);
		if ((*AT(obj, f->offset, char *) = strdup(json->valuestring)) == NULL)
			return cmk_error_oom();
		return 0;
	case F_BOOL:
		if (!cJSON_IsBool(json))
			return cmk_error_set(CMK_EINVALID, "%s: expected true or false", path);
		*AT(obj, f->offset, bool) = cJSON_IsTrue(json);
		return 0;
	case F_INT:
		if ((error = read__number(&d, json, path, INT_MIN, INT_MAX)) < 0)
			return error;
		*AT(obj, f->offset, int) = (int)d;
		return 0;
	case F_LONG:
		if ((error = read__number(&d, json, path, -9.2e18, 9.2e18)) < 0)
			return error;
		*AT(obj, f->offset, long) = (long)d;
		return 0;
	case F_LLONG:
		if ((error = read__number(&d, json, path, -9.2e18, 9.2e18)) < 0)
			return error;
		*AT(obj, f->offset, long long) = (long long)d;
		return 0;
	case F_STRS:
		return read__strs(AT(obj, f->offset, char **), AT(obj, f->count_offset, size_t),
				  json, path);
	case F_TAGS:
		return read__tags(AT(obj, f->offset, live_tags), json, path);
	case F_IDENTITY:
		return read__fields(AT(obj, f->offset, void), identity_fields, json, path);
	case F_KEYREF:
		return read__fields(AT(obj, f->offset, void), keyref_fields, json, path);
	case F_POLICIES: {
		live_access_policy **p = AT(obj, f->offset, live_access_policy *);
		size_t *count = AT(obj, f->count_offset, size_t);
		const cJSON *item;
		char sub[1024];
		size_t n;

		if (!cJSON_IsArray(json))
			return cmk_error_set(CMK_EINVALID, "%s: expected an array", path);
		n = (size_t)cJSON_GetArraySize(json);
		if (n && (*p = calloc(n, sizeof(**p))) == NULL)
			return cmk_error_oom();
		cJSON_ArrayForEach(item, json) {
			snprintf(sub, sizeof(sub), "%.900s[%zu]", path, *count);
			(*count)++;
			if ((error = read__fields(&(*p)[*count - 1], policy_fields, item, sub)) < 0)
				return error;
		}
		return 0;
	}
	}
	return cmk_error_set(CMK_ERROR, "%s: unhandled field kind", path);
}

/* JSON allows a key twice; the model does not (the second value would
 * silently replace, and leak, the first). */
static bool read__seen_before(const cJSON *parent, const cJSON *item)
{
	for (const cJSON *s = parent->child; s && s != item; s = s->next)
		if (s->string && item->string && strcmp(s->string, item->string) == 0)
			return true;
	return false;
}

static int read__fields(void *obj, const field *fields, const cJSON *json, const char *path)
{
	const cJSON *item;
	char sub[1024];
	int error;

	if (!cJSON_IsObject(json))
		return cmk_error_set(CMK_EINVALID, "%s: expected an object", path);
	cJSON_ArrayForEach(item, json) {
		const field *f = fields;

		while (f->name && strcmp(f->name, item->string) != 0)
			f++;
		if (!f->name)
			return cmk_error_set(CMK_EINVALID, "%s: unknown field '%s'", path, item->string);
		if (read__seen_before(json, item))
			return cmk_error_set(CMK_EINVALID, "%s: field '%s' given twice", path, item->string);
		snprintf(sub, sizeof(sub), "%.900s.%.100s", path, item->string);
		if ((error = read__field(obj, f, item, sub)) < 0)
			return error;
	}
	return 0;
}

static int read__collection(live_state *s, const collection *col, const cJSON *json)
{
	char **items = AT(s, col->array_offset, char *);
	size_t *count = AT(s, col->count_offset, size_t);
	const cJSON *item;
	char path[160];
	size_t n;
	int error;

	if (!cJSON_IsArray(json))
		return cmk_error_set(CMK_EINVALID, "%s: expected an array", col->name);
	n = (size_t)cJSON_GetArraySize(json);
	if (n && (*items = calloc(n, col->elem_size)) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(item, json) {
		void *obj = *items + *count * col->elem_size;

		snprintf(path, sizeof(path), "%s[%zu]", col->name, *count);
		(*count)++;
		/* -1 = unknown, unless the fixture says */
		if (col->fields == workspace_fields)
			((live_workspace *)obj)->link_operations_30d = -1;
		if (col->fields == key_fields)
			((live_key *)obj)->exists = true;
		if ((error = read__fields(obj, col->fields, item, path)) < 0)
			return error;
	}
	return 0;
}

int live_state_from_json(live_state *out, const cJSON *json)
{
	const cJSON *item;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(json))
		return cmk_error_set(CMK_EINVALID, "live state: expected a JSON object");
	cJSON_ArrayForEach(item, json) {
		size_t c;

		if (read__seen_before(json, item)) {
			error = cmk_error_set(CMK_EINVALID, "live state: field '%s' given twice", item->string);
			goto out;
		}

		if (strcmp(item->string, "softDeletedClusters") == 0) {
			if ((error = read__strs(&out->soft_deleted_clusters,
						&out->soft_deleted_cluster_count, item,
						"softDeletedClusters")) < 0)
				goto out;
			continue;
		}
		if (strcmp(item->string, "requests") == 0) {
			double d = 0;

			if ((error = read__number(&d, item, "requests", 0, 1.8e19)) < 0)
				goto out;
			out->requests = (unsigned long)d;
			continue;
		}
		for (c = 0; c < sizeof(collections) / sizeof(collections[0]); c++)
			if (strcmp(collections[c].name, item->string) == 0)
				break;
		if (c == sizeof(collections) / sizeof(collections[0])) {
			error = cmk_error_set(CMK_EINVALID, "live state: unknown field '%s'", item->string);
			goto out;
		}
		if ((error = read__collection(out, &collections[c], item)) < 0)
			goto out;
	}
out:
	if (error < 0)
		live_state_free(out);
	return error;
}

/* ---- writing ---------------------------------------------------------- */

static cJSON *write__fields(const void *obj, const field *fields);

static cJSON *write__strs(char *const *items, size_t n)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(items[i]));
	return arr;
}

static cJSON *write__fields(const void *obj, const field *fields)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	for (const field *f = fields; f->name; f++) {
		cJSON *v = NULL;

		switch (f->kind) {
		case F_STR: {
			const char *str = *AT(obj, f->offset, char *);

			if (str)
				v = cJSON_CreateString(str);
			break;
		}
		case F_BOOL:
			v = cJSON_CreateBool(*AT(obj, f->offset, bool));
			break;
		case F_INT:
			v = cJSON_CreateNumber(*AT(obj, f->offset, int));
			break;
		case F_LONG:
			v = cJSON_CreateNumber((double)*AT(obj, f->offset, long));
			break;
		case F_LLONG:
			v = cJSON_CreateNumber((double)*AT(obj, f->offset, long long));
			break;
		case F_STRS:
			v = write__strs(*AT(obj, f->offset, char **), *AT(obj, f->count_offset, size_t));
			break;
		case F_TAGS: {
			const live_tags *t = AT(obj, f->offset, live_tags);

			v = cJSON_CreateObject();
			for (size_t i = 0; v && i < t->count; i++)
				cJSON_AddStringToObject(v, t->items[i].key, t->items[i].value);
			break;
		}
		case F_IDENTITY:
			v = write__fields(AT(obj, f->offset, void), identity_fields);
			break;
		case F_KEYREF:
			v = write__fields(AT(obj, f->offset, void), keyref_fields);
			break;
		case F_POLICIES: {
			const live_access_policy *p = *AT(obj, f->offset, live_access_policy *);
			size_t n = *AT(obj, f->count_offset, size_t);

			v = cJSON_CreateArray();
			for (size_t i = 0; v && i < n; i++)
				cJSON_AddItemToArray(v, write__fields(&p[i], policy_fields));
			break;
		}
		}
		if (v)
			cJSON_AddItemToObject(o, f->name, v);
	}
	return o;
}

int live_state_to_json(cJSON **out, const live_state *s)
{
	cJSON *root = cJSON_CreateObject();

	if (!root)
		return cmk_error_oom();
	for (size_t c = 0; c < sizeof(collections) / sizeof(collections[0]); c++) {
		const collection *col = &collections[c];
		const char *items = *AT(s, col->array_offset, char *);
		size_t n = *AT(s, col->count_offset, size_t);
		cJSON *arr = cJSON_AddArrayToObject(root, col->name);

		for (size_t i = 0; arr && i < n; i++)
			cJSON_AddItemToArray(arr, write__fields(items + i * col->elem_size, col->fields));
	}
	cJSON_AddItemToObject(root, "softDeletedClusters",
			      write__strs(s->soft_deleted_clusters, s->soft_deleted_cluster_count));
	/* cJSON reports allocation failure only through a missing member */
	if (!cJSON_GetObjectItemCaseSensitive(root, "softDeletedClusters")) {
		cJSON_Delete(root);
		return cmk_error_oom();
	}
	*out = root;
	return 0;
}

/* ---- lookups ---------------------------------------------------------- */

#define FIND_BY_ID(fn, T, array, count)                         \
	T *fn(const live_state *s, const char *id)              \
	{                                                       \
		for (size_t i = 0; id && i < s->count; i++)     \
			if (s->array[i].id &&                   \
			    arm_id_equal(s->array[i].id, id))   \
				return &s->array[i];            \
		return NULL;                                    \
	}

FIND_BY_ID(live_find_cluster, live_la_cluster, clusters, cluster_count)
FIND_BY_ID(live_find_workspace, live_workspace, workspaces, workspace_count)
FIND_BY_ID(live_find_vault, live_vault, vaults, vault_count)
FIND_BY_ID(live_find_identity, live_user_identity, identities, identity_count)
FIND_BY_ID(live_find_kusto, live_kusto_cluster, kusto_clusters, kusto_cluster_count)
FIND_BY_ID(live_find_component, live_component, components, component_count)

live_subscription *live_find_subscription(const live_state *s, const char *id)
{
	for (size_t i = 0; id && i < s->subscription_count; i++)
		if (s->subscriptions[i].id && strcasecmp(s->subscriptions[i].id, id) == 0)
			return &s->subscriptions[i];
	return NULL;
}

/* Vault URIs differ in case and trailing slash only. */
static bool uri__equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la && a[la - 1] == '/')
		la--;
	while (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

live_vault *live_find_vault_by_uri(const live_state *s, const char *vault_uri)
{
	for (size_t i = 0; vault_uri && i < s->vault_count; i++)
		if (s->vaults[i].vault_uri && uri__equal(s->vaults[i].vault_uri, vault_uri))
			return &s->vaults[i];
	return NULL;
}

live_key *live_find_key(const live_state *s, const char *vault_id, const char *name)
{
	for (size_t i = 0; vault_id && name && i < s->key_count; i++)
		if (s->keys[i].vault_id && s->keys[i].name &&
		    arm_id_equal(s->keys[i].vault_id, vault_id) &&
		    strcasecmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

live_linked_storage *live_find_linked_storage(const live_state *s, const char *workspace_id,
					      const char *data_source_type)
{
	for (size_t i = 0; workspace_id && data_source_type && i < s->linked_storage_count; i++)
		if (s->linked_storage[i].workspace_id && s->linked_storage[i].data_source_type &&
		    arm_id_equal(s->linked_storage[i].workspace_id, workspace_id) &&
		    strcasecmp(s->linked_storage[i].data_source_type, data_source_type) == 0)
			return &s->linked_storage[i];
	return NULL;
}

bool live_access_policy_grants_key_use(const live_access_policy *policy)
{
	static const char *const needed[] = { "get", "wrapkey", "unwrapkey" };

	for (size_t n = 0; n < 3; n++) {
		bool found = false;

		for (size_t i = 0; i < policy->key_permission_count && !found; i++)
			found = strcasecmp(policy->key_permissions[i], needed[n]) == 0 ||
				strcasecmp(policy->key_permissions[i], "all") == 0;
		if (!found)
			return false;
	}
	return true;
}

live_provisioning_class live_provisioning_classify(const char *state)
{
	if (!state || !*state || strcasecmp(state, "Succeeded") == 0)
		return LIVE_PROVISIONING_SUCCEEDED;
	if (strcasecmp(state, "Failed") == 0)
		return LIVE_PROVISIONING_FAILED;
	if (strcasecmp(state, "Canceled") == 0 || strcasecmp(state, "Cancelled") == 0)
		return LIVE_PROVISIONING_CANCELED;
	return LIVE_PROVISIONING_RUNNING;
}

bool live_provisioning_terminal(const char *state)
{
	return live_provisioning_classify(state) != LIVE_PROVISIONING_RUNNING;
}
