/*
 * manifest_load.c - manifest files to the desired model (see manifest.h).
 *
 * Turns each YAML document of a file's text into a manifest_doc through
 * per-kind field tables (manifest_paths.c reads the paths given with -f),
 * and reports every structural problem with its position: unknown kinds
 * and fields (with the closest known name), missing required fields, wrong
 * types, unknown enum values, malformed resource ids and ids of the wrong
 * resource type. Rules that need the
 * whole set or Azure's documented limits are in validate.c.
 */
#include "planner/manifest.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "common/buf.h"
#include "planner/manifest_yaml.h"

typedef manifest_yaml_node ynode;

typedef struct {
	manifest_set *set;
	manifest_diags *diags;
	const char *file;   /* owned by the set */
	manifest_doc *doc;  /* the document being decoded */
} loader;

/* ---- diagnostics ---- */

static int loader__err(loader *l, unsigned line, unsigned column, const char *hint,
		       const char *fmt, ...) CMK_PRINTF(5, 6);

static int loader__err(loader *l, unsigned line, unsigned column, const char *hint,
		       const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->doc)
		l->doc->has_errors = true;
	return manifest_diag_add(l->diags, l->file, line, column, hint, "%s", msg);
}

#define AT(n) (n)->line, (n)->column

static manifest_loc loader__loc(loader *l, const ynode *n)
{
	manifest_loc loc = { l->file, n ? n->line : 0, n ? n->column : 0 };

	return loc;
}

static const ynode *loader__get(const ynode *map, const char *key, const ynode **key_out)
{
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		if (strcmp(map->items[i]->value, key) == 0) {
			if (key_out)
				*key_out = map->items[i];
			return map->items[i + 1];
		}
	}
	return NULL;
}

/* ---- field tables ---- */

typedef struct field field;
typedef int (*field_fn)(loader *l, const field *f, const char *path, const ynode *key,
			const ynode *val, void *dst);

struct field {
	const char *name;
	field_fn fn;
	size_t offset;
	bool required;
	const void *arg;
	const char *missing_hint; /* what the docs say when it is missing, if anything */
};

typedef struct {
	const char *name;
	int value;
} enum_value;

typedef struct {
	const enum_value *values;
	size_t count;
} enum_table;

static int loader__decode_map(loader *l, const char *path, const ynode *owner, const ynode *map,
			      const field *fields, size_t nfields, void *base);

/* "spec" + "name" -> "spec.name" */
static void loader__path(char *out, size_t size, const char *path, const char *name)
{
	snprintf(out, size, "%s.%s", path, name);
}

static int loader__type_error(loader *l, const char *path, const ynode *val, const char *want)
{
	const char *got = manifest_yaml_describe(val);
	const char *hint = NULL;

	if (strcmp(want, "a string") == 0 && strcmp(got, "a boolean") == 0)
		hint = "put the value in quotes to make it a string";
	else if (strcmp(want, "an integer") == 0 && val->type == MANIFEST_YAML_SCALAR && !val->plain)
		hint = "write the number without quotes";
	else if (strcmp(want, "true or false") == 0 && val->type == MANIFEST_YAML_SCALAR && !val->plain)
		hint = "write true or false without quotes";
	return loader__err(l, AT(val), hint, "%s must be %s, not %s", path, want, got);
}

/* A scalar usable as a string: anything but null and booleans. */
static int loader__scalar_string(loader *l, const char *path, const ynode *val, const char **out)
{
	*out = NULL;
	if (val->invalid)
		return 0;
	if (val->type != MANIFEST_YAML_SCALAR || manifest_yaml_is_null(val) || manifest_yaml_bool(val) >= 0)
		return loader__type_error(l, path, val, "a string");
	if (val->len == 0)
		return loader__err(l, AT(val), NULL, "%s must not be empty", path);
	*out = val->value;
	return 0;
}

static int loader__set_string(loader *l, manifest_string *dst, const char *s, const ynode *at)
{
	free(dst->value);
	if ((dst->value = strdup(s)) == NULL)
		return cmk_error_oom();
	dst->loc = loader__loc(l, at);
	return 0;
}

static int f_string(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		    void *dst)
{
	const char *s;
	int error;

	if ((error = loader__scalar_string(l, path, val, &s)) < 0 || !s)
		return error;
	return loader__set_string(l, dst, s, val);
}

static int f_location(loader *l, const field *f, const char *path, const ynode *key,
		      const ynode *val, void *dst)
{
	char canon[64];
	const char *s;
	int error;

	if ((error = loader__scalar_string(l, path, val, &s)) < 0 || !s)
		return error;
	if (arm_location_canonical(canon, sizeof(canon), s) < 0)
		return loader__err(l, AT(val), "write an Azure region such as eastus or \"East US\"",
				   "%s '%s' is not a location", path, s);
	return loader__set_string(l, dst, canon, val);
}

static int f_int(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		 void *dst)
{
	manifest_int *out = dst;
	char hint[96];
	long long v;

	if (val->invalid)
		return 0;
	switch (manifest_yaml_int(&v, val)) {
	case 0:
		break;
	case MANIFEST_YAML_INT_RADIX:
		snprintf(hint, sizeof(hint), "write it in decimal: %lld", v);
		return loader__err(l, AT(val), hint, "%s must be a decimal integer, not %.64s", path,
				   val->value);
	case MANIFEST_YAML_INT_RANGE:
		return loader__err(l, AT(val), "an integer here is from -9223372036854775808 to 9223372036854775807",
				   "%s %.64s%s is out of range for an integer", path, val->value,
				   val->len > 64 ? "..." : "");
	default:
		return loader__type_error(l, path, val, "an integer");
	}
	out->value = v;
	out->set = true;
	out->loc = loader__loc(l, val);
	return 0;
}

static int f_bool(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		  void *dst)
{
	manifest_bool *out = dst;
	int b = manifest_yaml_bool(val);

	if (val->invalid)
		return 0;
	if (b < 0)
		return loader__type_error(l, path, val, "true or false");
	out->value = b == 1;
	out->set = true;
	out->loc = loader__loc(l, val);
	return 0;
}

/* Enum values compare without case (ARM does); the canonical spelling is kept. */
static int f_enum(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		  void *dst)
{
	const enum_table *t = f->arg;
	manifest_enum *out = dst;
	const char *names[8], *s, *near;
	char list[256] = "", hint[320];
	int error;

	if ((error = loader__scalar_string(l, path, val, &s)) < 0 || !s)
		return error;
	for (size_t i = 0; i < t->count; i++) {
		if (strcasecmp(s, t->values[i].name) == 0) {
			out->value = t->values[i].value;
			out->set = true;
			out->loc = loader__loc(l, val);
			return 0;
		}
		names[i] = t->values[i].name;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 t->values[i].name);
	}
	near = manifest_suggest(s, names, t->count);
	if (near)
		snprintf(hint, sizeof(hint), "did you mean '%s'?", near);
	else
		snprintf(hint, sizeof(hint), "use one of: %s", list);
	return loader__err(l, AT(val), hint, "%s '%s' is not one of %s", path, s, list);
}

/* A string-to-string map: labels, annotations, tags. */
static int f_map(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		 void *dst)
{
	manifest_map *out = dst;
	char sub[256];
	int error;

	out->loc = loader__loc(l, key);
	if (val->type != MANIFEST_YAML_MAP)
		return loader__type_error(l, path, val, "a mapping of names to strings");
	if (val->count == 0)
		return 0;
	if ((out->items = calloc(val->count / 2, sizeof(*out->items))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i + 1 < val->count; i += 2) {
		const ynode *k = val->items[i], *v = val->items[i + 1];
		manifest_pair *p = &out->items[out->count];
		const char *s;

		snprintf(sub, sizeof(sub), "%s.%.120s", path, k->value);
		if ((error = loader__scalar_string(l, sub, v, &s)) < 0)
			return error;
		if (!s)
			continue;
		if ((error = loader__set_string(l, &p->key, k->value, k)) < 0)
			return error;
		out->count++;
		if ((error = loader__set_string(l, &p->value, s, v)) < 0)
			return error;
	}
	return 0;
}

static int f_id(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		void *dst);

static const char *const ref_fields[] = { "ref" };

/* {ref: name} */
static int f_ref(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		 void *dst)
{
	manifest_ref *out = dst;
	const ynode *name = NULL;
	const char *s;
	char hint[160], sub[256];
	int error;

	out->kind = (manifest_kind)(size_t)f->arg;
	snprintf(hint, sizeof(hint), "write %s: {ref: <metadata.name of a %s>}", f->name,
		 manifest_kind_name(out->kind));
	if (val->type != MANIFEST_YAML_MAP)
		return loader__err(l, AT(val), hint, "%s must be a reference {ref: name}, not %s", path,
				   manifest_yaml_describe(val));
	for (size_t i = 0; i + 1 < val->count; i += 2) {
		const ynode *k = val->items[i];

		if (strcmp(k->value, "ref") == 0) {
			name = val->items[i + 1];
			continue;
		}
		if ((error = loader__err(l, AT(k), manifest_suggest(k->value, ref_fields, 1) ?
				"did you mean 'ref'?" : hint,
				"unknown field '%s' in %s", k->value, path)) < 0)
			return error;
	}
	if (!name)
		return loader__err(l, AT(key), hint, "%s is missing 'ref'", path);
	loader__path(sub, sizeof(sub), path, "ref");
	if ((error = loader__scalar_string(l, sub, name, &s)) < 0 || !s)
		return error;
	return loader__set_string(l, &out->name, s, name);
}

static const enum_value identity_values[] = {
	{ "SystemAssigned", MANIFEST_IDENTITY_SYSTEM_ASSIGNED },
	{ "UserAssigned", MANIFEST_IDENTITY_USER_ASSIGNED },
};
static const enum_table identity_table = { identity_values, 2 };

static int f_identity_ref(loader *l, const field *f, const char *path, const ynode *key,
			  const ynode *val, void *dst)
{
	manifest_ref *out = dst;
	const char *s;
	int error;

	if ((error = loader__scalar_string(l, path, val, &s)) < 0 || !s)
		return error;
	out->kind = MANIFEST_KIND_MANAGED_IDENTITY;
	return loader__set_string(l, &out->name, s, val);
}

static const field identity_fields[] = {
	{ "type", f_enum, offsetof(manifest_identity, type), true, &identity_table, NULL },
	{ "ref", f_identity_ref, offsetof(manifest_identity, ref), false, NULL, NULL },
};

static int f_identity(loader *l, const field *f, const char *path, const ynode *key,
		      const ynode *val, void *dst)
{
	manifest_identity *out = dst;

	out->loc = loader__loc(l, key);
	out->ref.kind = MANIFEST_KIND_MANAGED_IDENTITY;
	if (val->type != MANIFEST_YAML_MAP)
		return loader__err(l, AT(val),
				   "write identity: {type: SystemAssigned} or {type: UserAssigned, ref: <ManagedIdentity name>}",
				   "%s must be a mapping, not %s", path, manifest_yaml_describe(val));
	return loader__decode_map(l, path, key, val, identity_fields,
				  sizeof(identity_fields) / sizeof(identity_fields[0]), out);
}

/* Parse an id and check its type; `type` may be NULL for "any". Returns 1
 * when valid, 0 when an error was reported, <0 on OOM. */
static int loader__check_id(loader *l, const char *path, const ynode *val, const char *s,
			    const char *type, arm_id *out)
{
	char have[256];
	int error;

	if (arm_id_parse(out, s) < 0) {
		char hint[200];

		snprintf(hint, sizeof(hint), "write the full id: /subscriptions/<guid>/resourceGroups/<group>/providers/%s/<name>",
			 type ? type : "<Namespace>/<type>");
		error = loader__err(l, AT(val), hint, "%s is not a resource id: %s", path, cmk_error_last());
		return error < 0 ? error : 0;
	}
	if (!out->resource_group || (type && !arm_id_is_type(out, type))) {
		bool no_group = !out->resource_group;

		arm_id_type(have, sizeof(have), out);
		arm_id_free(out);
		error = loader__err(l, AT(val), "check that the id points at the right resource",
				    "%s must be the id of a %s, but it names %s%s%s", path, type,
				    have[0] ? "a " : "", have[0] ? have : "no provider resource",
				    no_group && have[0] ? " outside a resource group" : "");
		return error < 0 ? error : 0;
	}
	if (!arm_is_guid(out->subscription)) {
		error = loader__err(l, AT(val), "a subscription id is a GUID such as 00000000-0000-0000-0000-000000000000",
				    "%s has subscription '%s', which is not a GUID", path, out->subscription);
		arm_id_free(out);
		return error < 0 ? error : 0;
	}
	return 1;
}

/* A resource id whose type is f->arg. */
static int f_id(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		void *dst)
{
	arm_id id;
	const char *s;
	int error;

	if ((error = loader__scalar_string(l, path, val, &s)) < 0 || !s)
		return error;
	if ((error = loader__check_id(l, path, val, s, f->arg, &id)) <= 0)
		return error;
	arm_id_free(&id);
	return loader__set_string(l, dst, s, val);
}

/* A list of resource ids of type f->arg (storage accounts). */
static int f_id_list(loader *l, const field *f, const char *path, const ynode *key,
		     const ynode *val, void *dst)
{
	/* dst points at the array pointer; the count and loc follow it */
	manifest_linked_storage_account *s = (void *)((char *)dst -
						     offsetof(manifest_linked_storage_account, storage_accounts));
	char sub[256];
	int error;

	s->storage_accounts_loc = loader__loc(l, key);
	if (val->type != MANIFEST_YAML_SEQ)
		return loader__type_error(l, path, val, "a list of resource ids");
	if (val->count && (s->storage_accounts = calloc(val->count, sizeof(*s->storage_accounts))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < val->count; i++) {
		field one = *f;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		one.name = sub;
		if ((error = f_id(l, &one, sub, key, val->items[i], &s->storage_accounts[s->storage_account_count])) < 0)
			return error;
		if (s->storage_accounts[s->storage_account_count].value)
			s->storage_account_count++;
	}
	return 0;
}

static const field workspace_entry_fields[] = {
	{ "id", f_id, offsetof(manifest_resource, id), true, "Microsoft.OperationalInsights/workspaces", NULL },
	{ "location", f_location, offsetof(manifest_resource, location), false, NULL, NULL },
};

/* workspaces: a list of ids, or of {id, location} */
static int f_workspaces(loader *l, const field *f, const char *path, const ynode *key,
			const ynode *val, void *dst)
{
	manifest_workspace_link *s = (void *)((char *)dst - offsetof(manifest_workspace_link, workspaces));
	char sub[256];
	int error;

	s->workspaces_loc = loader__loc(l, key);
	if (val->type != MANIFEST_YAML_SEQ)
		return loader__type_error(l, path, val, "a list of workspace resource ids");
	if (val->count && (s->workspaces = calloc(val->count, sizeof(*s->workspaces))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < val->count; i++) {
		const ynode *item = val->items[i];
		manifest_resource *w = &s->workspaces[s->workspace_count];

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (item->type == MANIFEST_YAML_MAP)
			error = loader__decode_map(l, sub, item, item, workspace_entry_fields, 2, w);
		else
			error = f_id(l, &workspace_entry_fields[0], sub, item, item, &w->id);
		if (error < 0)
			return error;
		if (w->id.value)
			s->workspace_count++;
		else {
			free(w->location.value);
			w->location.value = NULL;
		}
	}
	return 0;
}

typedef struct {
	manifest_string subscription, resource_group, name;
} vault_parts;

static const field vault_part_fields[] = {
	{ "subscription", f_string, offsetof(vault_parts, subscription), true, NULL, NULL },
	{ "resourceGroup", f_string, offsetof(vault_parts, resource_group), true, NULL, NULL },
	{ "name", f_string, offsetof(vault_parts, name), true, NULL, NULL },
};

/* vault: a Microsoft.KeyVault/vaults id, or {subscription, resourceGroup, name} */
static int f_vault(loader *l, const field *f, const char *path, const ynode *key, const ynode *val,
		   void *dst)
{
	manifest_key_vault_key *k = dst;
	static const field id_field = { "vault", f_id, 0, true, "Microsoft.KeyVault/vaults", NULL };
	vault_parts parts;
	arm_id id;
	char *built = NULL;
	const char *s;
	int error = 0;

	if (val->type == MANIFEST_YAML_MAP) {
		memset(&parts, 0, sizeof(parts));
		if ((error = loader__decode_map(l, path, key, val, vault_part_fields, 3, &parts)) < 0)
			goto out_parts;
		if (!parts.subscription.value || !parts.resource_group.value || !parts.name.value)
			goto out_parts;
		if (arm_id_build(&built, parts.subscription.value, parts.resource_group.value,
				 "Microsoft.KeyVault/vaults", parts.name.value) < 0) {
			error = cmk_error_last_code() == CMK_ENOMEM ? CMK_ENOMEM :
				loader__err(l, AT(val), NULL, "%s: %s", path, cmk_error_last());
			goto out_parts;
		}
		if ((error = loader__check_id(l, path, val, built, "Microsoft.KeyVault/vaults", &id)) <= 0)
			goto out_parts;
		arm_id_free(&id);
		k->vault_id.value = built;
		k->vault_id.loc = loader__loc(l, val);
		built = NULL;
		k->vault_subscription = parts.subscription;
		k->vault_resource_group = parts.resource_group;
		k->vault_name = parts.name;
		return 0;
out_parts:
		free(built);
		free(parts.subscription.value);
		free(parts.resource_group.value);
		free(parts.name.value);
		return error < 0 ? error : 0;
	}
	if ((error = loader__scalar_string(l, path, val, &s)) < 0 || !s)
		return error;
	if ((error = loader__check_id(l, path, val, s, id_field.arg, &id)) <= 0)
		return error;
	if ((error = loader__set_string(l, &k->vault_id, s, val)) < 0 ||
	    (error = loader__set_string(l, &k->vault_subscription, id.subscription, val)) < 0 ||
	    (error = loader__set_string(l, &k->vault_resource_group, id.resource_group, val)) < 0 ||
	    (error = loader__set_string(l, &k->vault_name, arm_id_name(&id), val)) < 0) {
		arm_id_free(&id);
		return error;
	}
	arm_id_free(&id);
	return 0;
}

/* ---- per-kind tables ---- */

#define ENUM(name, ...)                                                            \
	static const enum_value name##_values[] = { __VA_ARGS__ };                  \
	static const enum_table name = { name##_values, sizeof(name##_values) / sizeof(name##_values[0]) }

ENUM(billing_table, { "Cluster", MANIFEST_BILLING_CLUSTER }, { "Workspaces", MANIFEST_BILLING_WORKSPACES });
ENUM(cluster_type_table, { "LogAnalytics", MANIFEST_CLUSTER_TYPE_LOG_ANALYTICS },
     { "ApplicationInsights", MANIFEST_CLUSTER_TYPE_APPLICATION_INSIGHTS });
ENUM(deletion_table, { "Retain", MANIFEST_DELETION_RETAIN }, { "Delete", MANIFEST_DELETION_DELETE });
ENUM(key_type_table, { "RSA", MANIFEST_KEY_TYPE_RSA }, { "RSA-HSM", MANIFEST_KEY_TYPE_RSA_HSM },
     { "EC", MANIFEST_KEY_TYPE_EC }, { "EC-HSM", MANIFEST_KEY_TYPE_EC_HSM });
ENUM(data_source_table, { "Query", MANIFEST_DATA_SOURCE_QUERY }, { "Alerts", MANIFEST_DATA_SOURCE_ALERTS });
ENUM(kusto_role_table, { "Standalone", MANIFEST_KUSTO_ROLE_STANDALONE },
     { "Leader", MANIFEST_KUSTO_ROLE_LEADER }, { "Follower", MANIFEST_KUSTO_ROLE_FOLLOWER });

#define KIND_ARG(k) ((const void *)(size_t)(k))

#define O(type, member) offsetof(type, member)
static const field key_vault_key_fields[] = {
	{ "vault", f_vault, 0, true, NULL, NULL },
	{ "key", f_string, O(manifest_key_vault_key, key), true, NULL, NULL },
	{ "version", f_string, O(manifest_key_vault_key, version), false, NULL, NULL },
	{ "location", f_location, O(manifest_key_vault_key, location), false, NULL, NULL },
	{ "keyType", f_enum, O(manifest_key_vault_key, key_type), false, &key_type_table, NULL },
	{ "keySize", f_int, O(manifest_key_vault_key, key_size), false, NULL, NULL },
};

static const field managed_identity_fields[] = {
	{ "subscription", f_string, O(manifest_managed_identity, subscription), true, NULL, NULL },
	{ "resourceGroup", f_string, O(manifest_managed_identity, resource_group), true, NULL, NULL },
	{ "name", f_string, O(manifest_managed_identity, name), true, NULL, NULL },
	{ "location", f_location, O(manifest_managed_identity, location), true, NULL, NULL },
	{ "tags", f_map, O(manifest_managed_identity, tags), false, NULL, NULL },
};

static const field cluster_fields[] = {
	{ "subscription", f_string, O(manifest_log_analytics_cluster, subscription), true, NULL, NULL },
	{ "resourceGroup", f_string, O(manifest_log_analytics_cluster, resource_group), true, NULL, NULL },
	{ "name", f_string, O(manifest_log_analytics_cluster, name), true, NULL, NULL },
	{ "location", f_location, O(manifest_log_analytics_cluster, location), true, NULL, NULL },
	{ "identity", f_identity, O(manifest_log_analytics_cluster, identity), true, NULL,
	  "Identity is null or empty. Set Identity with systemAssigned type: identity: {type: SystemAssigned}" },
	{ "capacity", f_int, O(manifest_log_analytics_cluster, capacity), true, NULL,
	  "Missing Capacity in SKU. Set Capacity value to 1000 or higher in steps of 100 (GB)." },
	{ "billingType", f_enum, O(manifest_log_analytics_cluster, billing_type), false, &billing_table, NULL },
	{ "doubleEncryption", f_bool, O(manifest_log_analytics_cluster, double_encryption), false, NULL, NULL },
	{ "availabilityZones", f_bool, O(manifest_log_analytics_cluster, availability_zones), false, NULL, NULL },
	{ "key", f_ref, O(manifest_log_analytics_cluster, key), false, KIND_ARG(MANIFEST_KIND_KEY_VAULT_KEY), NULL },
	{ "keyAtCreation", f_bool, O(manifest_log_analytics_cluster, key_at_creation), false, NULL, NULL },
	{ "clusterType", f_enum, O(manifest_log_analytics_cluster, cluster_type), false, &cluster_type_table, NULL },
	{ "tags", f_map, O(manifest_log_analytics_cluster, tags), false, NULL, NULL },
	{ "deletionPolicy", f_enum, O(manifest_log_analytics_cluster, deletion_policy), false, &deletion_table, NULL },
};

static const field workspace_link_fields[] = {
	{ "cluster", f_ref, O(manifest_workspace_link, cluster), true, KIND_ARG(MANIFEST_KIND_LOG_ANALYTICS_CLUSTER), NULL },
	{ "workspaces", f_workspaces, O(manifest_workspace_link, workspaces), true, NULL, NULL },
	{ "unlinkUnlisted", f_bool, O(manifest_workspace_link, unlink_unlisted), false, NULL, NULL },
};

static const field linked_storage_fields[] = {
	{ "workspace", f_id, O(manifest_linked_storage_account, workspace), true, "Microsoft.OperationalInsights/workspaces", NULL },
	{ "dataSourceType", f_enum, O(manifest_linked_storage_account, data_source_type), true, &data_source_table, NULL },
	{ "storageAccounts", f_id_list, O(manifest_linked_storage_account, storage_accounts), true, "Microsoft.Storage/storageAccounts", NULL },
};

static const field kusto_fields[] = {
	{ "cluster", f_id, O(manifest_kusto_cluster_key, cluster), true, "Microsoft.Kusto/clusters", NULL },
	{ "location", f_location, O(manifest_kusto_cluster_key, location), false, NULL, NULL },
	{ "identity", f_identity, O(manifest_kusto_cluster_key, identity), true, NULL, NULL },
	{ "key", f_ref, O(manifest_kusto_cluster_key, key), true, KIND_ARG(MANIFEST_KIND_KEY_VAULT_KEY), NULL },
	{ "role", f_enum, O(manifest_kusto_cluster_key, role), false, &kusto_role_table, NULL },
};

static const field app_insights_fields[] = {
	{ "component", f_id, O(manifest_app_insights_component_link, component), true, "Microsoft.Insights/components", NULL },
	{ "location", f_location, O(manifest_app_insights_component_link, location), false, NULL, NULL },
	{ "cluster", f_ref, O(manifest_app_insights_component_link, cluster), true, KIND_ARG(MANIFEST_KIND_LOG_ANALYTICS_CLUSTER), NULL },
};

#define FIELDS(a) a, sizeof(a) / sizeof(a[0])
static const struct {
	const field *fields;
	size_t count;
} kind_fields[MANIFEST_KIND__COUNT] = {
	[MANIFEST_KIND_KEY_VAULT_KEY] = { FIELDS(key_vault_key_fields) },
	[MANIFEST_KIND_MANAGED_IDENTITY] = { FIELDS(managed_identity_fields) },
	[MANIFEST_KIND_LOG_ANALYTICS_CLUSTER] = { FIELDS(cluster_fields) },
	[MANIFEST_KIND_WORKSPACE_LINK] = { FIELDS(workspace_link_fields) },
	[MANIFEST_KIND_LINKED_STORAGE_ACCOUNT] = { FIELDS(linked_storage_fields) },
	[MANIFEST_KIND_KUSTO_CLUSTER_KEY] = { FIELDS(kusto_fields) },
	[MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK] = { FIELDS(app_insights_fields) },
};

/* ---- the generic mapping decoder ---- */

/* Report an unknown key; returns the index of the suggested field in
 * `*suggested` (nfields when none) so a typo of a required field is not
 * also reported as "missing". */
static int loader__unknown_field(loader *l, const char *where, const ynode *k, const field *fields,
				 size_t nfields, size_t *suggested)
{
	const char *names[32], *near;
	char hint[512] = "";
	size_t n = nfields < 32 ? nfields : 32;

	for (size_t i = 0; i < n; i++)
		names[i] = fields[i].name;
	near = strcmp(k->value, "<<") == 0 ? NULL : manifest_suggest(k->value, names, n);
	*suggested = nfields;
	for (size_t i = 0; near && i < n; i++)
		if (names[i] == near)
			*suggested = i;
	if (near) {
		snprintf(hint, sizeof(hint), "did you mean '%s'?", near);
	} else if (strcmp(k->value, "<<") == 0) {
		snprintf(hint, sizeof(hint), "YAML merge keys (<<) are not supported: write the fields out, or alias a whole value");
	} else {
		snprintf(hint, sizeof(hint), "known fields:");
		for (size_t i = 0; i < n; i++)
			snprintf(hint + strlen(hint), sizeof(hint) - strlen(hint), " %s", names[i]);
	}
	return loader__err(l, AT(k), hint, "unknown field '%s' in %s", k->value, where);
}

/*
 * Decode mapping `map` into `base` through `fields`. `owner` is the node the
 * mapping hangs from (its key), where "missing field" errors point. `path`
 * names the mapping in messages ("spec", "spec.identity").
 */
static int loader__decode_map(loader *l, const char *path, const ynode *owner, const ynode *map,
			      const field *fields, size_t nfields, void *base)
{
	bool seen[32] = { false };

	assert(nfields <= sizeof(seen) / sizeof(seen[0]));
	char sub[256], where[300];
	int error;

	if (map->type != MANIFEST_YAML_MAP)
		return loader__type_error(l, path, map, "a mapping");
	if (strcmp(path, "spec") == 0 && l->doc)
		snprintf(where, sizeof(where), "%s spec", manifest_kind_name(l->doc->kind));
	else
		snprintf(where, sizeof(where), "%s", path);
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const ynode *k = map->items[i], *v = map->items[i + 1];
		size_t fi;

		for (fi = 0; fi < nfields; fi++)
			if (strcmp(fields[fi].name, k->value) == 0)
				break;
		if (fi == nfields) {
			size_t suggested;

			if ((error = loader__unknown_field(l, where, k, fields, nfields, &suggested)) < 0)
				return error;
			if (suggested < nfields)
				seen[suggested] = true; /* the typo is the error, not "missing" */
			continue;
		}
		seen[fi] = true;
		if (v->invalid)
			continue;
		if (manifest_yaml_is_null(v)) {
			/* "key:" with nothing after it: treated as absent */
			if (fields[fi].required) {
				char hint[160];

				snprintf(hint, sizeof(hint), "write a value after '%s:', or remove the line", k->value);
				loader__path(sub, sizeof(sub), path, k->value);
				if ((error = loader__err(l, AT(k), hint, "%s has no value", sub)) < 0)
					return error;
			}
			continue;
		}
		loader__path(sub, sizeof(sub), path, k->value);
		if ((error = fields[fi].fn(l, &fields[fi], sub, k, v, (char *)base + fields[fi].offset)) < 0)
			return error;
	}
	for (size_t fi = 0; fi < nfields; fi++) {
		char hint[128];

		if (!fields[fi].required || seen[fi])
			continue;
		snprintf(hint, sizeof(hint), "add '%s:' to %s", fields[fi].name, path);
		if ((error = loader__err(l, AT(owner), fields[fi].missing_hint ? fields[fi].missing_hint : hint, "%s is missing required field '%s'", where,
					 fields[fi].name)) < 0)
			return error;
	}
	return 0;
}

/* ---- metadata ---- */

static int f_depends_on(loader *l, const field *f, const char *path, const ynode *key,
			const ynode *val, void *dst)
{
	manifest_doc *d = l->doc;
	const char *hint = "write dependsOn: [\"LogAnalyticsCluster/prod-eus\", ...]";
	char sub[256];
	int error;

	(void)dst;
	if (val->type != MANIFEST_YAML_SEQ)
		return loader__err(l, AT(val), hint, "%s must be a list of \"Kind/name\", not %s", path,
				   manifest_yaml_describe(val));
	if (val->count && (d->depends_on = calloc(val->count, sizeof(*d->depends_on))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < val->count; i++) {
		const ynode *item = val->items[i];
		manifest_ref *r = &d->depends_on[d->depends_on_count];
		const char *s, *slash;
		char kind[64];
		manifest_kind k;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((error = loader__scalar_string(l, sub, item, &s)) < 0)
			return error;
		if (!s)
			continue;
		slash = strchr(s, '/');
		if (!slash || slash == s || !slash[1] || (size_t)(slash - s) >= sizeof(kind)) {
			if ((error = loader__err(l, AT(item), hint, "%s '%s' is not \"Kind/name\"", sub, s)) < 0)
				return error;
			continue;
		}
		memcpy(kind, s, (size_t)(slash - s));
		kind[slash - s] = '\0';
		if (manifest_kind_from_name(&k, kind) < 0) {
			const char *names[MANIFEST_KIND__COUNT], *near;
			char h[128];

			for (int j = 0; j < MANIFEST_KIND__COUNT; j++)
				names[j] = manifest_kind_name((manifest_kind)j);
			near = manifest_suggest(kind, names, MANIFEST_KIND__COUNT);
			if (near)
				snprintf(h, sizeof(h), "did you mean '%s'?", near);
			if ((error = loader__err(l, AT(item), near ? h : hint, "%s names unknown kind '%s'", sub,
						 kind)) < 0)
				return error;
			continue;
		}
		r->kind = k;
		if ((error = loader__set_string(l, &r->name, slash + 1, item)) < 0)
			return error;
		d->depends_on_count++;
	}
	return 0;
}

static const field metadata_fields[] = {
	{ "name", f_string, offsetof(manifest_doc, name), true, NULL, NULL },
	{ "labels", f_map, offsetof(manifest_doc, labels), false, NULL, NULL },
	{ "annotations", f_map, offsetof(manifest_doc, annotations), false, NULL, NULL },
	{ "dependsOn", f_depends_on, 0, false, NULL, NULL },
};

/* ---- documents ---- */

static int loader__add_doc(manifest_set *set, manifest_doc *d)
{
	if (set->count == set->docs_cap_) {
		size_t cap = set->docs_cap_ ? set->docs_cap_ * 2 : 16;
		manifest_doc **docs = realloc(set->docs, cap * sizeof(*docs));

		if (!docs)
			return cmk_error_oom();
		set->docs = docs;
		set->docs_cap_ = cap;
	}
	set->docs[set->count++] = d;
	return 0;
}

static void loader__init_spec(manifest_doc *d)
{
	switch (d->kind) {
	case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER:
		d->spec.cluster.key.kind = MANIFEST_KIND_KEY_VAULT_KEY;
		d->spec.cluster.identity.ref.kind = MANIFEST_KIND_MANAGED_IDENTITY;
		break;
	case MANIFEST_KIND_WORKSPACE_LINK:
		d->spec.workspace_link.cluster.kind = MANIFEST_KIND_LOG_ANALYTICS_CLUSTER;
		break;
	case MANIFEST_KIND_KUSTO_CLUSTER_KEY:
		d->spec.kusto.key.kind = MANIFEST_KIND_KEY_VAULT_KEY;
		d->spec.kusto.identity.ref.kind = MANIFEST_KIND_MANAGED_IDENTITY;
		break;
	case MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK:
		d->spec.app_insights.cluster.kind = MANIFEST_KIND_LOG_ANALYTICS_CLUSTER;
		break;
	default:
		break;
	}
}

static const char *const top_fields[] = { "apiVersion", "kind", "metadata", "spec" };

static int loader__document(loader *l, const manifest_yaml_doc *yd)
{
	const ynode *root = yd->root, *api, *kind, *meta, *spec, *kkey = NULL, *mkey = NULL, *skey = NULL;
	const char *names[MANIFEST_KIND__COUNT], *near;
	bool misspelt[4] = { false }; /* a typo of a top-level field was reported */
	manifest_doc *d = NULL;
	manifest_kind k;
	char hint[320], kinds[256] = "";
	int error;

	l->doc = NULL;
	for (int j = 0; j < MANIFEST_KIND__COUNT; j++) {
		names[j] = manifest_kind_name((manifest_kind)j);
		snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s", j ? ", " : "", names[j]);
	}
	if (!root)
		return 0; /* an empty document between '---' lines */
	if (root->type != MANIFEST_YAML_MAP)
		return loader__err(l, AT(root), "a document is a mapping with apiVersion, kind, metadata and spec",
				   "document must be a mapping, not %s", manifest_yaml_describe(root));
	for (size_t i = 0; i + 1 < root->count; i += 2) {
		const ynode *key = root->items[i];
		size_t j;

		for (j = 0; j < 4 && strcmp(key->value, top_fields[j]) != 0; j++)
			;
		if (j < 4)
			continue;
		near = manifest_suggest(key->value, top_fields, 4);
		for (j = 0; near && j < 4; j++)
			if (near == top_fields[j])
				misspelt[j] = true;
		snprintf(hint, sizeof(hint), near ? "did you mean '%s'?" : "a document has only apiVersion, kind, metadata and spec%s",
			 near ? near : "");
		if ((error = loader__err(l, AT(key), hint, "unknown top-level field '%s'", key->value)) < 0)
			return error;
	}
	api = loader__get(root, "apiVersion", NULL);
	kind = loader__get(root, "kind", &kkey);
	meta = loader__get(root, "metadata", &mkey);
	spec = loader__get(root, "spec", &skey);

	if ((!api || manifest_yaml_is_null(api)) && !misspelt[0]) {
		if ((error = loader__err(l, AT(root), "add 'apiVersion: " MANIFEST_API_VERSION "'",
					 "document has no apiVersion")) < 0)
			return error;
	} else if (api && !manifest_yaml_is_null(api) &&
		   (api->type != MANIFEST_YAML_SCALAR || strcmp(api->value, MANIFEST_API_VERSION) != 0)) {
		if ((error = loader__err(l, AT(api), "use 'apiVersion: " MANIFEST_API_VERSION "'",
					 "apiVersion '%s' is not supported",
					 api->type == MANIFEST_YAML_SCALAR ? api->value : manifest_yaml_describe(api))) < 0)
			return error;
	}
	if (!kind || manifest_yaml_is_null(kind)) {
		if (misspelt[1])
			return 0;
		snprintf(hint, sizeof(hint), "add 'kind:' with one of %.140s", kinds);
		return loader__err(l, AT(kkey ? kkey : root), hint, "document has no kind");
	}
	if (kind->type != MANIFEST_YAML_SCALAR)
		return loader__err(l, AT(kind), NULL, "kind must be a string, not %s", manifest_yaml_describe(kind));
	if (manifest_kind_from_name(&k, kind->value) < 0) {
		near = manifest_suggest(kind->value, names, MANIFEST_KIND__COUNT);
		if (near)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", near);
		else
			snprintf(hint, sizeof(hint), "known kinds: %.140s", kinds);
		return loader__err(l, AT(kind), hint, "unknown kind '%s'", kind->value);
	}

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return cmk_error_oom();
	d->kind = k;
	d->loc = loader__loc(l, root);
	d->kind_loc = loader__loc(l, kind);
	loader__init_spec(d);
	if ((error = loader__add_doc(l->set, d)) < 0) {
		free(d);
		return error;
	}
	l->doc = d;
	if ((!meta || manifest_yaml_is_null(meta)) && !misspelt[2]) {
		if ((error = loader__err(l, AT(mkey ? mkey : root), "add 'metadata: {name: <a name>}'",
					 "%s document has no metadata", manifest_kind_name(k))) < 0)
			return error;
	} else if (meta && !manifest_yaml_is_null(meta) &&
		   (error = loader__decode_map(l, "metadata", mkey, meta, metadata_fields,
					       sizeof(metadata_fields) / sizeof(metadata_fields[0]), d)) < 0) {
		return error;
	}
	if (!spec || manifest_yaml_is_null(spec)) {
		if (misspelt[3])
			return 0;
		snprintf(hint, sizeof(hint), "add 'spec:' with the fields of a %s", manifest_kind_name(k));
		return loader__err(l, AT(skey ? skey : root), hint, "%s document has no spec", manifest_kind_name(k));
	}
	if ((error = loader__decode_map(l, "spec", skey, spec, kind_fields[k].fields, kind_fields[k].count,
					&d->spec)) < 0)
		return error;
	if (k == MANIFEST_KIND_KEY_VAULT_KEY && !d->spec.key_vault_key.version.value) {
		/* default: follow the key's current version */
		if ((d->spec.key_vault_key.version.value = strdup("latest")) == NULL)
			return cmk_error_oom();
		d->spec.key_vault_key.version.loc = loader__loc(l, skey);
	}
	return 0;
}

/* ---- files ---- */

static int loader__add_file(manifest_set *set, const char *name, const char **out)
{
	char *copy;

	if (set->file_count == set->files_cap_) {
		size_t cap = set->files_cap_ ? set->files_cap_ * 2 : 16;
		char **files = realloc(set->files, cap * sizeof(*files));

		if (!files)
			return cmk_error_oom();
		set->files = files;
		set->files_cap_ = cap;
	}
	if ((copy = strdup(name)) == NULL)
		return cmk_error_oom();
	set->files[set->file_count++] = copy;
	*out = copy;
	return 0;
}

int manifest_load_buffer(manifest_set *set, manifest_diags *diags, const char *name,
			 const char *data, size_t len)
{
	manifest_yaml_file *yf = NULL;
	loader l = { set, diags, NULL, NULL };
	int error;

	if ((error = loader__add_file(set, name, &l.file)) < 0)
		return error;
	if (len > MANIFEST_MAX_FILE_SIZE) {
		set->incomplete = true;
		return manifest_diag_add(diags, l.file, 0, 0, "split the manifests into several files",
					 "file is larger than %zu MiB", MANIFEST_MAX_FILE_SIZE >> 20);
	}
	if ((error = manifest_yaml_parse(&yf, diags, l.file, data, len)) < 0)
		return error;
	if (yf->syntax_error)
		set->incomplete = true;
	for (size_t i = 0; i < yf->count; i++)
		if ((error = loader__document(&l, &yf->docs[i])) < 0)
			break;
	manifest_yaml_free(yf);
	return error;
}
