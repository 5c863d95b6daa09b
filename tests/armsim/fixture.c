/*
 * fixture.c - load the initial state from JSON or YAML, normalise the core
 * resource types (derived fields, principals of identities), and dump the
 * whole state back in the same format (see fixture.h and README.md).
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "arm.h"
#include "activitylog.h"
#include "auth.h"
#include "common/buf.h"
#include "lro.h"
#include "server.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

static char g_default_client[64];

const char *fixture_default_client(void)
{
	return g_default_client[0] ? g_default_client : NULL;
}

/* ---- YAML -> cJSON ---------------------------------------------------------- */

typedef struct yctx {
	yaml_parser_t p;
	const char *name;
	int error;
} yctx;

static cJSON *fixture__yaml_node(yctx *y, yaml_event_t *ev);

static cJSON *fixture__scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"))
			return cJSON_CreateNull();
		if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
			return cJSON_CreateTrue();
		if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
			return cJSON_CreateFalse();
		char *end;
		double d = strtod(v, &end);
		if (*v && !*end && (v[0] == '-' || v[0] == '+' || v[0] == '.' || (v[0] >= '0' && v[0] <= '9')))
			return cJSON_CreateNumber(d);
	}
	return cJSON_CreateString(v);
}

static int fixture__next(yctx *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		y->error = cmk_error_set(CMK_EINVALID, "%s:%zu:%zu: YAML error: %s", y->name,
					 y->p.problem_mark.line + 1, y->p.problem_mark.column + 1,
					 y->p.problem ? y->p.problem : "invalid");
		return -1;
	}
	return 0;
}

static cJSON *fixture__yaml_node(yctx *y, yaml_event_t *ev)
{
	yaml_event_t e;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return fixture__scalar(ev);
	case YAML_SEQUENCE_START_EVENT: {
		cJSON *arr = cJSON_CreateArray();
		for (;;) {
			if (fixture__next(y, &e) < 0)
				break;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				return arr;
			}
			cJSON *item = fixture__yaml_node(y, &e);
			yaml_event_delete(&e);
			if (!item)
				break;
			cJSON_AddItemToArray(arr, item);
		}
		cJSON_Delete(arr);
		return NULL;
	}
	case YAML_MAPPING_START_EVENT: {
		cJSON *obj = cJSON_CreateObject();
		for (;;) {
			if (fixture__next(y, &e) < 0)
				break;
			if (e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				return obj;
			}
			if (e.type != YAML_SCALAR_EVENT) {
				y->error = cmk_error_set(CMK_EINVALID, "%s:%zu:%zu: mapping keys must be scalars",
							 y->name, e.start_mark.line + 1, e.start_mark.column + 1);
				yaml_event_delete(&e);
				break;
			}
			char *key = strdup((const char *)e.data.scalar.value);
			yaml_event_delete(&e);
			if (fixture__next(y, &e) < 0) {
				free(key);
				break;
			}
			cJSON *val = fixture__yaml_node(y, &e);
			yaml_event_delete(&e);
			if (!val) {
				free(key);
				break;
			}
			cJSON_AddItemToObject(obj, key, val);
			free(key);
		}
		cJSON_Delete(obj);
		return NULL;
	}
	case YAML_ALIAS_EVENT:
		y->error = cmk_error_set(CMK_EINVALID, "%s:%zu:%zu: YAML aliases are not supported in fixtures",
					 y->name, ev->start_mark.line + 1, ev->start_mark.column + 1);
		return NULL;
	default:
		y->error = cmk_error_set(CMK_EINVALID, "%s:%zu:%zu: unexpected YAML event", y->name,
					 ev->start_mark.line + 1, ev->start_mark.column + 1);
		return NULL;
	}
}

cJSON *fixture_yaml_parse(const char *text, size_t len, const char *name)
{
	yctx y;
	yaml_event_t e;
	cJSON *root = NULL;
	memset(&y, 0, sizeof y);
	y.name = name;
	if (!yaml_parser_initialize(&y.p)) {
		cmk_error_oom();
		return NULL;
	}
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	for (;;) {
		if (fixture__next(&y, &e) < 0)
			break;
		yaml_event_type_t t = e.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT || t == YAML_SCALAR_EVENT) {
			if (root) {
				yaml_event_delete(&e);
				cmk_error_set(CMK_EINVALID, "%s: only one YAML document is allowed", name);
				cJSON_Delete(root);
				root = NULL;
				y.error = -1;
				break;
			}
			root = fixture__yaml_node(&y, &e);
			if (!root) {
				yaml_event_delete(&e);
				break;
			}
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&y.p);
	if (y.error) {
		cJSON_Delete(root);
		return NULL;
	}
	if (!root)
		cmk_error_set(CMK_EINVALID, "%s: empty fixture", name);
	return root;
}

/* ---- resource types from ids -------------------------------------------------- */

/* "/subscriptions/s/resourceGroups/rg/providers/Ns/t1/n1/t2/n2" -> "Ns/t1/t2" */
static int fixture__type_of(char *out, size_t len, const char *id)
{
	char low[2048];
	sim_lower(low, sizeof low, id);
	const char *p = NULL, *q = low;
	while ((q = strstr(q, "/providers/"))) {
		p = q;
		q++;
	}
	if (!p) {
		int slashes = 0;
		for (const char *c = id; *c; c++)
			slashes += *c == '/';
		if (sim_prefix_ci(id, "/subscriptions/") && slashes == 2) {
			snprintf(out, len, "Microsoft.Resources/subscriptions");
			return 0;
		}
		if (sim_prefix_ci(id, "/subscriptions/") && slashes == 4 && strstr(low, "/resourcegroups/")) {
			snprintf(out, len, "Microsoft.Resources/resourceGroups");
			return 0;
		}
		return -1;
	}
	const char *rest = id + (p - low) + strlen("/providers/");
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", rest);
	char *save = NULL, *seg = strtok_r(buf, "/", &save);
	size_t o = 0;
	int i = 0;
	for (; seg; seg = strtok_r(NULL, "/", &save), i++) {
		/* namespace, type, name, type, name ... */
		if (i == 0 || i % 2 == 1)
			o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "/" : "", seg);
	}
	return i >= 3 ? 0 : -1;
}

/* Canonical casing of the types armsim knows (ids may be lower-cased). */
static const char *const known_types[] = {
	"Microsoft.Resources/subscriptions", "Microsoft.Resources/resourceGroups",
	"Microsoft.OperationalInsights/clusters", "Microsoft.OperationalInsights/workspaces",
	"Microsoft.OperationalInsights/workspaces/linkedServices",
	"Microsoft.OperationalInsights/workspaces/linkedStorageAccounts",
	"Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults", "Microsoft.KeyVault/vaults/keys",
	"Microsoft.Authorization/roleAssignments", "Microsoft.ManagedIdentity/userAssignedIdentities",
	"Microsoft.Kusto/clusters", "Microsoft.Kusto/clusters/databases",
	"Microsoft.Kusto/clusters/attachedDatabaseConfigurations", "Microsoft.Insights/components",
	"Microsoft.KeyVault/deletedVaults", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
	"Microsoft.KeyVault/managedHSMs", "Microsoft.KeyVault/managedHSMs/keys",
	"Microsoft.KeyVault/managedHSMs/roleAssignments",
};

static void fixture__canon(char *type, size_t len)
{
	for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
		if (!strcasecmp(type, known_types[i]))
			snprintf(type, len, "%s", known_types[i]);
}

/* ---- normalisation of core types ------------------------------------------------- */

static int fixture__normalize(sim_res *r)
{
	cJSON *d = r->doc;
	const char *slash = strrchr(r->id, '/');
	if (!sim_json_str(d, "id"))
		sim_json_set_str(d, "id", r->id);
	if (!sim_json_str(d, "name") && slash)
		sim_json_set_str(d, "name", slash + 1);
	if (!sim_json_str(d, "type"))
		sim_json_set_str(d, "type", r->type);
	if (!strcmp(r->type, "Microsoft.KeyVault/vaults")) {
		cJSON *props = sim_json_obj(d, "properties");
		char uri[256];
		snprintf(uri, sizeof uri, "https://%s.vault.localhost:%d/", slash + 1, server_port());
		sim_json_set_str(props, "vaultUri", uri); /* the port is this instance's */
		if (!sim_json_str(props, "tenantId"))
			sim_json_set_str(props, "tenantId", auth_default_tenant());
		if (!cJSON_IsArray(sim_json_get(props, "accessPolicies")))
			sim_json_set(props, "accessPolicies", cJSON_CreateArray());
		if (!sim_json_get(props, "sku")) {
			cJSON *sku = cJSON_CreateObject();
			cJSON_AddStringToObject(sku, "family", "A");
			cJSON_AddStringToObject(sku, "name", "standard");
			sim_json_set(props, "sku", sku);
		}
		if (!sim_json_get(props, "enableSoftDelete"))
			sim_json_set(props, "enableSoftDelete", cJSON_CreateTrue());
		if (!sim_json_get(props, "softDeleteRetentionInDays"))
			sim_json_set(props, "softDeleteRetentionInDays", cJSON_CreateNumber(90));
		if (!sim_json_get(props, "enableRbacAuthorization"))
			sim_json_set(props, "enableRbacAuthorization", cJSON_CreateFalse());
		if (!sim_json_str(props, "provisioningState"))
			sim_json_set_str(props, "provisioningState", "Succeeded");
	} else if (!strcmp(r->type, "Microsoft.KeyVault/managedHSMs")) {
		hsm_complete(r);
	} else if (!strcmp(r->type, "Microsoft.KeyVault/vaults/keys") ||
		   !strcmp(r->type, "Microsoft.KeyVault/managedHSMs/keys")) {
		if (!cJSON_IsArray(sim_json_get(r->sim, "versions")))
			return cmk_error_set(CMK_EINVALID, "resource %s: a key needs _sim.versions (or use the \"keys\" section)", r->id);
		kv_key_sync_doc(r);
	} else if (!strcmp(r->type, "Microsoft.ManagedIdentity/userAssignedIdentities")) {
		cJSON *props = sim_json_obj(d, "properties");
		const char *pid = sim_json_str(props, "principalId"), *cid = sim_json_str(props, "clientId");
		sim_principal *p = pid ? auth_principal_by_object_id(pid) : NULL;
		if (!p) {
			sim_principal np;
			memset(&np, 0, sizeof np);
			np.kind = SIM_PRINCIPAL_MSI;
			const char *t = sim_json_str(props, "tenantId");
			snprintf(np.tenant_id, sizeof np.tenant_id, "%s", t ? t : auth_default_tenant());
			if (pid)
				snprintf(np.object_id, sizeof np.object_id, "%s", pid);
			else
				sim_guid(np.object_id);
			if (cid)
				snprintf(np.client_id, sizeof np.client_id, "%s", cid);
			else
				sim_guid(np.client_id);
			snprintf(np.display_name, sizeof np.display_name, "%s", slash + 1);
			np.msi_resource_id = r->id;
			p = auth_principal_add(&np);
			if (!p)
				return cmk_error_oom();
		}
		sim_json_set_str(props, "principalId", p->object_id);
		sim_json_set_str(props, "clientId", p->client_id);
		sim_json_set_str(props, "tenantId", p->tenant_id);
	} else if (!strcmp(r->type, "Microsoft.Authorization/roleAssignments")) {
		cJSON *props = sim_json_obj(d, "properties");
		if (!sim_json_str(props, "scope")) {
			char scope[2048];
			snprintf(scope, sizeof scope, "%s", r->id);
			char *p = strcasestr(scope, "/providers/Microsoft.Authorization/roleAssignments/");
			if (p)
				*p = '\0';
			sim_json_set_str(props, "scope", scope[0] ? scope : "/");
		}
		if (!rbac_role_guid(sim_json_str(props, "roleDefinitionId")))
			return cmk_error_set(CMK_EINVALID, "resource %s: unknown roleDefinitionId '%s'", r->id,
					     sim_json_str(props, "roleDefinitionId") ? sim_json_str(props, "roleDefinitionId") : "");
	}
	return 0;
}

/* ---- load --------------------------------------------------------------------------- */

static int fixture__add_resource(const cJSON *src, int idx)
{
	const char *id = sim_json_str(src, "id");
	char type[256];
	if (!id)
		return cmk_error_set(CMK_EINVALID, "resources[%d]: missing \"id\"", idx);
	const char *dt = sim_json_str(src, "type");
	if (dt && strchr(dt, '/'))
		snprintf(type, sizeof type, "%s", dt);
	else if (fixture__type_of(type, sizeof type, id) < 0)
		return cmk_error_set(CMK_EINVALID, "resources[%d]: cannot tell the type of id '%s'", idx, id);
	fixture__canon(type, sizeof type);
	cJSON *doc = cJSON_Duplicate(src, 1);
	cJSON *simst = cJSON_DetachItemFromObject(doc, "_sim");
	const char *slash = strrchr(id, '/');
	if (!sim_json_str(doc, "name") && slash)
		sim_json_set_str(doc, "name", slash + 1);
	if (!sim_json_str(doc, "type"))
		sim_json_set_str(doc, "type", type);
	sim_res *r = store_put(id, type, doc);
	if (!r) {
		cJSON_Delete(simst);
		return cmk_error_oom();
	}
	if (cJSON_IsObject(simst)) {
		cJSON_Delete(r->sim);
		r->sim = simst;
	} else {
		cJSON_Delete(simst);
	}
	return 0;
}

/* The object id a role assignment's "principal" (client id, object id or
 * user-assigned identity id) names, or NULL. */
static const char *fixture__principal_oid(const char *pr)
{
	sim_principal *p = auth_principal_by_client_id(pr);
	if (!p)
		p = auth_principal_by_object_id(pr);
	if (p)
		return p->object_id;
	sim_res *m = msi_get(pr);
	return m ? msi_principal_id(m) : NULL;
}

/* hsmRoleAssignments: [{managedHsm, scope, role, principalId | principal}] */
static int fixture__hsm_roles(const cJSON *arr)
{
	const cJSON *x;
	int idx = 0;
	cJSON_ArrayForEach(x, arr) {
		const char *hn = sim_json_str(x, "managedHsm"), *pid = sim_json_str(x, "principalId");
		const char *pr = sim_json_str(x, "principal");
		sim_res *h = hn ? hsm_by_name(hn) : NULL;
		if (!h)
			return cmk_error_set(CMK_EINVALID, "hsmRoleAssignments[%d]: managed HSM '%s' is not in the fixture",
					     idx, hn ? hn : "");
		if (!pid && pr)
			pid = fixture__principal_oid(pr);
		const char *scope = sim_json_str(x, "scope");
		if (!hsm_role_assign(h, sim_json_str(x, "name"), scope ? scope : "/", sim_json_str(x, "role"), pid))
			return cmk_error_set(CMK_EINVALID, "hsmRoleAssignments[%d]: %s", idx, cmk_error_last());
		idx++;
	}
	return 0;
}

static int fixture__keys(const cJSON *keys)
{
	const cJSON *k;
	int idx = 0;
	cJSON_ArrayForEach(k, keys) {
		const char *vn = sim_json_str(k, "vault"), *name = sim_json_str(k, "name");
		const char *hn = sim_json_str(k, "managedHsm");
		if ((!vn && !hn) || !name)
			return cmk_error_set(CMK_EINVALID, "keys[%d]: needs vault (or managedHsm) and name", idx);
		sim_res *v = vn ? kv_vault_by_name(vn) : hsm_by_name(hn);
		if (!v)
			return cmk_error_set(CMK_EINVALID, "keys[%d]: %s '%s' is not in the fixture", idx,
					     vn ? "vault" : "managed HSM", vn ? vn : hn);
		const char *kty = sim_json_str(k, "kty");
		cJSON *size = sim_json_get(k, "keySize"), *en = sim_json_get(k, "enabled");
		cJSON *nv = sim_json_get(k, "versions"), *vids = sim_json_get(k, "versionIds");
		sim_res *key = kv_key_create(v, name, kty ? kty : "RSA", cJSON_IsNumber(size) ? size->valueint : 2048,
					     !cJSON_IsFalse(en));
		if (!key)
			return cmk_error_set(CMK_EINVALID, "keys[%d]: %s", idx, cmk_error_last());
		int extra = cJSON_IsNumber(nv) ? nv->valueint - 1 : 0;
		if (cJSON_IsArray(vids))
			extra = cJSON_GetArraySize(vids) - 1;
		for (int i = 0; i < extra; i++)
			kv_key_rotate(key);
		if (cJSON_IsArray(vids)) {
			cJSON *vv, *versions = sim_json_get(key->sim, "versions");
			int i = 0;
			cJSON_ArrayForEach(vv, versions) {
				cJSON *want = cJSON_GetArrayItem(vids, i++);
				if (cJSON_IsString(want))
					sim_json_set_str(vv, "version", want->valuestring);
			}
		}
		if (cJSON_IsFalse(en))
			kv_key_set_enabled(key, NULL, false);
		kv_key_sync_doc(key);
		idx++;
	}
	return 0;
}

int fixture_load_json(const cJSON *doc, int replace)
{
	int error = 0, idx;
	const cJSON *x;
	if (!cJSON_IsObject(doc))
		return cmk_error_set(CMK_EINVALID, "fixture: expected an object at the top level");
	if (replace) {
		store_clear();
		auth_clear();
		lro_clear();
		activitylog_clear();
	}
	/* a dump from an armsim whose virtual clock ran ahead (time scale,
	 * /_sim/clock/advance): go on from its time, never back */
	int64_t was = simclock_parse(sim_json_str(doc, "virtualNow")), now = simclock_now_ms();
	if (was > now)
		simclock_advance((double)(was - now) / 1000.0);
	const char *tenant = sim_json_str(doc, "tenantId");
	if (tenant)
		auth_set_default_tenant(tenant);
	if ((x = sim_json_get(doc, "settings")) && (error = settings_apply(&g_settings, x)) < 0)
		return error;
	if ((x = sim_json_get(doc, "principals")) && (error = auth_principals_load(x)) < 0)
		return error;
	const char *dc = sim_json_str(doc, "defaultClient");
	if (dc)
		snprintf(g_default_client, sizeof g_default_client, "%s", dc);
	const char *host = sim_json_str(doc, "hostIdentity");
	if (host)
		auth_set_host_identity(host);
	idx = 0;
	cJSON_ArrayForEach(x, sim_json_get(doc, "subscriptions")) {
		const char *sid = sim_json_str(x, "subscriptionId");
		if (!sid)
			return cmk_error_set(CMK_EINVALID, "subscriptions[%d]: missing subscriptionId", idx);
		char id[128];
		snprintf(id, sizeof id, "/subscriptions/%s", sid);
		cJSON *d = cJSON_CreateObject();
		const char *dn = sim_json_str(x, "displayName"), *t = sim_json_str(x, "tenantId"),
			   *st = sim_json_str(x, "state");
		cJSON_AddStringToObject(d, "id", id);
		cJSON_AddStringToObject(d, "authorizationSource", "RoleBased");
		cJSON_AddItemToObject(d, "managedByTenants", cJSON_CreateArray());
		cJSON_AddStringToObject(d, "subscriptionId", sid);
		cJSON_AddStringToObject(d, "tenantId", t ? t : auth_default_tenant());
		cJSON_AddStringToObject(d, "displayName", dn ? dn : sid);
		cJSON_AddStringToObject(d, "state", st ? st : "Enabled");
		cJSON *pol = cJSON_AddObjectToObject(d, "subscriptionPolicies");
		cJSON_AddStringToObject(pol, "locationPlacementId", "Public_2014-09-01");
		cJSON_AddStringToObject(pol, "quotaId", "PayAsYouGo_2014-09-01");
		cJSON_AddStringToObject(pol, "spendingLimit", "Off");
		if (!store_put(id, "Microsoft.Resources/subscriptions", d))
			return cmk_error_oom();
		idx++;
	}
	idx = 0;
	cJSON_ArrayForEach(x, sim_json_get(doc, "resourceGroups")) {
		const char *sid = sim_json_str(x, "subscriptionId"), *name = sim_json_str(x, "name"),
			   *loc = sim_json_str(x, "location");
		if (!sid || !name || !loc)
			return cmk_error_set(CMK_EINVALID, "resourceGroups[%d]: needs subscriptionId, name, location", idx);
		cJSON *d = arm_resource_group_doc(sid, name, loc);
		if (!store_put(sim_json_str(d, "id"), "Microsoft.Resources/resourceGroups", d))
			return cmk_error_oom();
		idx++;
	}
	idx = 0;
	cJSON_ArrayForEach(x, sim_json_get(doc, "resources"))
		if ((error = fixture__add_resource(x, idx++)) < 0)
			return error;
	/* normalise after everything is in (keys need their vault) */
	static const char *const order[] = { "Microsoft.KeyVault/vaults", "Microsoft.KeyVault/vaults/keys",
					     "Microsoft.KeyVault/managedHSMs", "Microsoft.KeyVault/managedHSMs/keys",
					     "Microsoft.ManagedIdentity/userAssignedIdentities",
					     "Microsoft.Authorization/roleAssignments" };
	for (size_t t = 0; t < sizeof order / sizeof order[0]; t++) {
		sim_res **arr;
		size_t n = store_list(&arr, order[t], NULL);
		for (size_t i = 0; i < n && !error; i++)
			error = fixture__normalize(arr[i]);
		free(arr);
		if (error)
			return error;
	}
	if ((x = sim_json_get(doc, "keys")) && (error = fixture__keys(x)) < 0)
		return error;
	idx = 0;
	cJSON_ArrayForEach(x, sim_json_get(doc, "identities")) {
		const char *id = sim_json_str(x, "id");
		if (!id)
			return cmk_error_set(CMK_EINVALID, "identities[%d]: missing id", idx);
		cJSON *d = cJSON_Duplicate(x, 1);
		sim_res *r = store_put(id, "Microsoft.ManagedIdentity/userAssignedIdentities", d);
		if (!r || (error = fixture__normalize(r)) < 0)
			return error ? error : cmk_error_oom();
		idx++;
	}
	idx = 0;
	cJSON_ArrayForEach(x, sim_json_get(doc, "roleAssignments")) {
		const char *scope = sim_json_str(x, "scope"), *role = sim_json_str(x, "role"),
			   *pid = sim_json_str(x, "principalId"), *pr = sim_json_str(x, "principal");
		if (!pid && pr)
			pid = fixture__principal_oid(pr);
		if (!scope || !role || !pid)
			return cmk_error_set(CMK_EINVALID,
					     "roleAssignments[%d]: needs scope, role and principalId (or a known principal)", idx);
		if (rbac_assign(scope, role, pid, sim_json_str(x, "principalType")) < 0)
			return cmk_error_set(CMK_EINVALID, "roleAssignments[%d]: unknown role '%s'", idx, role);
		idx++;
	}
	if ((x = sim_json_get(doc, "hsmRoleAssignments")) && (error = fixture__hsm_roles(x)) < 0)
		return error;
	if ((x = sim_json_get(doc, "activityLog")) && (error = activitylog_inject(x)) < 0)
		return error;
	idx = 0;
	cJSON_ArrayForEach(x, sim_json_get(doc, "operations"))
		if ((error = lro_inject(x)) < 0)
			return error;
	/* every type's own hook last */
	for (size_t t = 0; t < sizeof known_types / sizeof known_types[0]; t++) {
		const sim_type *h = store_type_find(known_types[t]);
		if (!h || !h->on_load)
			continue;
		sim_res **arr;
		size_t n = store_list(&arr, known_types[t], NULL);
		for (size_t i = 0; i < n && !error; i++)
			error = h->on_load(arr[i]);
		free(arr);
		if (error)
			return error;
	}
	/* what a fixture holds existed before: replicated (principalReplicationSeconds) */
	auth_principals_settle();
	return 0;
}

int fixture_load_file(const char *path)
{
	cmk_buf b = CMK_BUF_INIT;
	cJSON *doc = NULL;
	int error;
	if ((error = cmk_buf_read_file(&b, path)) < 0)
		goto out;
	size_t n = strlen(path);
	if ((n > 5 && !strcasecmp(path + n - 5, ".yaml")) || (n > 4 && !strcasecmp(path + n - 4, ".yml"))) {
		doc = fixture_yaml_parse(b.ptr ? b.ptr : "", b.len, path);
		if (!doc) {
			error = CMK_EINVALID;
			goto out;
		}
	} else {
		doc = cJSON_ParseWithLength(b.ptr ? b.ptr : "", b.len);
		if (!doc) {
			const char *at = cJSON_GetErrorPtr();
			size_t line = 1, col = 1;
			for (const char *c = b.ptr; c && at && c < at; c++, col++)
				if (*c == '\n') {
					line++;
					col = 0;
				}
			error = cmk_error_set(CMK_EINVALID, "%s:%zu:%zu: invalid JSON", path, line, col);
			goto out;
		}
	}
	store_lock();
	error = fixture_load_json(doc, 1);
	store_unlock();
	if (error < 0) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", cmk_error_last());
		error = cmk_error_set(error, "%s: %s", path, msg);
	}
out:
	cJSON_Delete(doc);
	cmk_buf_free(&b);
	return error;
}

cJSON *fixture_dump(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "tenantId", auth_default_tenant());
	if (g_default_client[0])
		cJSON_AddStringToObject(o, "defaultClient", g_default_client);
	cJSON_AddItemToObject(o, "settings", settings_dump(&g_settings));
	cJSON_AddItemToObject(o, "principals", auth_principals_dump());
	cJSON *arr = cJSON_AddArrayToObject(o, "resources");
	{
		sim_res **items;
		size_t n = store_list_all(&items);
		for (size_t i = 0; i < n; i++) {
			cJSON *d = cJSON_Duplicate(items[i]->doc, 1);
			if (!sim_json_str(d, "id"))
				sim_json_set_str(d, "id", items[i]->id);
			if (!sim_json_str(d, "type"))
				sim_json_set_str(d, "type", items[i]->type);
			if (items[i]->sim && items[i]->sim->child)
				cJSON_AddItemToObject(d, "_sim", cJSON_Duplicate(items[i]->sim, 1));
			cJSON_AddItemToArray(arr, d);
		}
		free(items);
	}
	/* running operations too (a restart must not lose them), and the
	 * virtual time they run on */
	cJSON_AddItemToObject(o, "operations", lro_state_dump());
	cJSON *al = activitylog_dump();
	if (cJSON_GetArraySize(al))
		cJSON_AddItemToObject(o, "activityLog", al);
	else
		cJSON_Delete(al);
	char now[40];
	simclock_iso8601(now, sizeof now, simclock_now_ms());
	cJSON_AddStringToObject(o, "virtualNow", now);
	return o;
}
