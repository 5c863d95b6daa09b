/*
 * store.h - armsim's state: every ARM resource, the Key Vault data-plane
 * keys, identities and role assignments, and the typed helpers the resource
 * providers share (the Log Analytics key-update rules read vault, key and
 * access-policy state; Kusto reads the same).
 *
 * Model: one table of resources keyed by resource id (case-insensitive).
 * A resource is its ARM JSON document (`doc`, what a GET serves, before the
 * type's render hook adapts it to the request's api-version) plus private
 * emulator state (`sim`, never served; dumped as "_sim" so a dump reloads).
 *
 * Resource types and where their state lives:
 *   Microsoft.Resources/subscriptions        /subscriptions/{s}; doc = ARM subscription
 *   Microsoft.Resources/resourceGroups       /subscriptions/{s}/resourceGroups/{rg}
 *   Microsoft.OperationalInsights/clusters   doc.identity, doc.sku, doc.properties.*;
 *        sim: soft-delete, capacity lock, running operation, key-access state
 *   Microsoft.OperationalInsights/workspaces doc.properties.features.clusterResourceId
 *        when linked; sim.linkOps = [epoch ms of each link/unlink start]
 *   Microsoft.OperationalInsights/workspaces/linkedServices       {ws}/linkedServices/cluster
 *   Microsoft.OperationalInsights/workspaces/linkedStorageAccounts {ws}/linkedStorageAccounts/{Query|Alerts|...}
 *   Microsoft.Storage/storageAccounts        fixture only (existence, location)
 *   Microsoft.KeyVault/vaults                doc.properties: tenantId, sku,
 *        accessPolicies[{tenantId,objectId,applicationId?,permissions{keys[],secrets[],certificates[]}}],
 *        enableSoftDelete, softDeleteRetentionInDays, enablePurgeProtection,
 *        enableRbacAuthorization, vaultUri ("https://<name>.vault.localhost:<port>/")
 *   Microsoft.KeyVault/vaults/keys           {vault id}/keys/{name}; doc = ARM key resource
 *        (properties.kty, keySize, keyOps, attributes, keyUri, keyUriWithVersion);
 *        sim.versions = [{version, enabled, kty, keySize, keyOps[], n, e,
 *        created, updated, nbf?, exp?}] oldest first; the last is current
 *   Microsoft.Authorization/roleAssignments  {scope}/providers/Microsoft.Authorization/roleAssignments/{guid};
 *        doc.properties {roleDefinitionId, principalId, principalType, scope}
 *   Microsoft.ManagedIdentity/userAssignedIdentities doc.properties {tenantId,
 *        principalId, clientId}; each has an AAD principal (auth.h)
 *   Microsoft.Kusto/clusters                 doc = ARM Kusto cluster (identity,
 *        properties.keyVaultProperties {keyVaultUri,keyName,keyVersion,userIdentity})
 *   Microsoft.Kusto/clusters/attachedDatabaseConfigurations  a cluster having
 *        any of these is a follower (kusto_is_follower)
 *   Microsoft.Kusto/clusters/databases       plain databases
 *   Microsoft.Insights/components            doc.properties.clusterDefinitionId (legacy)
 *   Microsoft.KeyVault/managedHSMs           doc.properties: tenantId, initialAdminObjectIds,
 *        enableSoftDelete, softDeleteRetentionInDays, enablePurgeProtection,
 *        hsmUri ("https://<name>.managedhsm.localhost:<port>/"); no access policies
 *   Microsoft.KeyVault/managedHSMs/keys      {hsm id}/keys/{name}; as vault keys (sim.versions),
 *        kty RSA-HSM / RSA / oct-HSM
 *   Microsoft.KeyVault/managedHSMs/roleAssignments {hsm id}/roleAssignments/{name}: the HSM's
 *        local RBAC; doc.properties {scope ("/", "/keys", "/keys/<key>"), roleDefinitionId
 *        ("Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/<guid>"), principalId}
 *
 * Locking: one global lock. The router holds it while a handler runs, and
 * admin/LRO code holds it too, so handlers and helpers below never lock.
 * Pointers to sim_res stay valid until the resource is deleted or the state
 * is replaced; do not keep them across requests — keep the id.
 */
#ifndef ARMSIM_STORE_H
#define ARMSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

typedef struct sim_res {
	char *id;    /* canonical casing (as created) */
	char *type;  /* canonical type name, e.g. "Microsoft.KeyVault/vaults" */
	cJSON *doc;  /* ARM representation (owned) */
	cJSON *sim;  /* private state (owned, an object, never NULL) */
	/* private to store.c */
	char *key_;
	struct sim_res *hnext_;
	struct sim_res *tprev_, *tnext_;
	struct sim_type_list *tl_;
	cJSON *lag_doc_;       /* read lag: the state reads still show, or NULL */
	bool lag_absent_;      /* read lag: created lately, lists do not show it yet */
	int64_t lag_until_;    /* read lag: virtual ms when reads catch up */
} sim_res;

/* --- read lag (setting readLagSeconds; off when 0) ------------------------
 * store_lag_note(r): r is about to change; reads keep showing its state as
 * it is now until readLagSeconds after the last change (a resource made
 * lately is left out of lists as long). store_read_view(true) while a GET
 * is served: store_render shows the lagging state, store_list leaves out
 * what is not visible yet. Deletions show at once. */
void store_lag_note(sim_res *r);
void store_read_view(bool on);

/* --- locking (router, admin, server; handlers never call these) -------- */
void store_lock(void);
void store_unlock(void);

/* --- generic resources -------------------------------------------------- */

/* The resource with this id (case-insensitive), or NULL. */
sim_res *store_get(const char *id);
/* Same, and only when its type equals `type` (case-insensitive). */
sim_res *store_get_typed(const char *id, const char *type);
/* Create or replace. Takes ownership of `doc`. On replace the `sim` state is
 * kept and the canonical id casing is the first one seen. Returns the
 * resource, or NULL on allocation failure. */
sim_res *store_put(const char *id, const char *type, cJSON *doc);
/* Remove and free one resource. */
void store_delete(sim_res *res);
/* Remove every resource whose id is `id` or starts with `id` + "/". */
void store_delete_tree(const char *id);
/* All resources of `type` whose id starts with `scope` (a whole-segment
 * prefix such as "/subscriptions/x/resourceGroups/rg"; NULL = all), sorted
 * by lower-cased id so paging is stable. *out is a malloc'd array the caller
 * frees (not the resources). Returns the count. */
size_t store_list(sim_res ***out, const char *type, const char *scope);
/* Unsorted, allocation-free iteration over one type (cheap scans on hot
 * paths: RBAC, lookups). Do not delete the current resource while
 * iterating without taking its successor first. */
sim_res *store_first(const char *type);
sim_res *store_next(const sim_res *r);
/* Every resource, grouped by type in registration order (dumps). */
size_t store_list_all(sim_res ***out);
/* Number of resources of `type` (cheap). */
size_t store_count(const char *type);
/* Drop everything (admin load replaces the state). */
void store_clear(void);

/* True when `id` equals `scope` or lies under it (segment-wise,
 * case-insensitive). */
bool store_id_under(const char *id, const char *scope);

/* --- per-type hooks ------------------------------------------------------ */

typedef struct sim_type {
	const char *type;
	/* Complete a resource loaded from a fixture or created by admin load:
	 * defaults, derived fields, principals of identities. Return 0 or a
	 * CMK_E* code with cmk_error_set naming the resource. */
	int (*on_load)(sim_res *res);
	/* The body to serve at `api_version` (caller owns it). NULL hook =
	 * a duplicate of doc. */
	cJSON *(*render)(const sim_res *res, const char *api_version);
} sim_type;

/* Register hooks for a type (struct copied, strings static). */
void store_type_register(const sim_type *t);
const sim_type *store_type_find(const char *type);
/* Render `res` with its type's hook (or duplicate doc). */
cJSON *store_render(const sim_res *res, const char *api_version);

/* --- subscriptions and resource groups ---------------------------------- */
sim_res *store_subscription(const char *subscription_id);
sim_res *store_resource_group(const char *subscription_id, const char *rg);

/* --- Key Vault ------------------------------------------------------------ */

/* Key permissions (access-policy names, lower-cased compare). */
enum {
	KV_PERM_GET = 1u << 0,
	KV_PERM_WRAP = 1u << 1,   /* wrapKey */
	KV_PERM_UNWRAP = 1u << 2, /* unwrapKey */
	KV_PERM_LIST = 1u << 3,
	KV_PERM_CREATE = 1u << 4,
	KV_PERM_UPDATE = 1u << 5,
	KV_PERM_ENCRYPT = 1u << 6,
	KV_PERM_DECRYPT = 1u << 7,
	KV_PERM_SIGN = 1u << 8,
	KV_PERM_VERIFY = 1u << 9,
	KV_PERM_DELETE = 1u << 10,
	KV_PERM_ALL = 0xffffu,
};

/* A vault by name (vault names are global in Azure), or NULL. */
sim_res *kv_vault_by_name(const char *name);
/* A vault by any URI whose host's first label is the vault name
 * ("https://kv1.vault.azure.net", "https://kv1.vault.localhost:8443/"). */
sim_res *kv_vault_by_uri(const char *uri);
/* The vault name of a vault resource. */
const char *kv_vault_name(const sim_res *vault);
/* enableSoftDelete (absent = true, as since 2020) and enablePurgeProtection. */
bool kv_vault_recoverable(const sim_res *vault);
bool kv_vault_rbac_mode(const sim_res *vault);
/* The key resource, or NULL. */
sim_res *kv_key_get(const sim_res *vault, const char *key_name);
/* A version object of sim.versions (NULL or "" version = current), or NULL. */
cJSON *kv_key_version(const sim_res *key, const char *version);
const char *kv_key_current_version(const sim_res *key);
/* Create a key (one version) in `vault`; kty "RSA"/"RSA-HSM", size bits.
 * Returns the key resource or NULL (cmk_error_set) if it exists. */
sim_res *kv_key_create(sim_res *vault, const char *name, const char *kty,
		       int size, bool enabled);
/* Add a new current version (rotation); returns it (owned by the key). */
cJSON *kv_key_rotate(sim_res *key);
/* Enable/disable one version (NULL = every version). 0 or CMK_ENOTFOUND. */
int kv_key_set_enabled(sim_res *key, const char *version, bool enabled);
/* Refresh the key's ARM doc from its current version (after changes). */
void kv_key_sync_doc(sim_res *key);
/* The data-plane KeyBundle {key:{kid,kty,key_ops,n,e},attributes:{...}} of
 * one version (caller owns). */
cJSON *kv_key_bundle(const sim_res *vault, const sim_res *key, const cJSON *version);
/* Key permissions `object_id` (of `tenant_id`) holds on `key_name` in
 * `vault`: access policies in access-policy mode; RBAC data actions
 * (Microsoft.KeyVault/vaults/keys/read, .../wrap/action, .../unwrap/action,
 * ...) on the vault or key scope in RBAC mode. */
unsigned kv_key_permissions(const sim_res *vault, const char *key_name,
			    const char *tenant_id, const char *object_id);
/* Remove every access policy of `object_id`; returns how many. */
int kv_access_policy_remove(sim_res *vault, const char *object_id);
/* Apply an accessPolicies update: kind "add" | "replace" | "remove",
 * `policies` the request's properties.accessPolicies array. 0 or
 * CMK_EINVALID (cmk_error_set). */
int kv_access_policy_update(sim_res *vault, const char *kind, const cJSON *policies);

/* --- Managed HSM (store_hsm.c) ----------------------------------------------
 * A Managed HSM is a key store like a vault: kv_vault_by_uri answers it for
 * "https://<hsm>.managedhsm.<suffix>/", and kv_key_get / kv_key_create /
 * kv_key_bundle / kv_key_permissions / kv_vault_recoverable take it in the
 * vault's place. Access is local RBAC only (no access policies). */

/* A Managed HSM by name (HSM names are global), or NULL. */
sim_res *hsm_by_name(const char *name);
/* Is `r` a Microsoft.KeyVault/managedHSMs resource? */
bool hsm_is(const sim_res *r);
/* Key permissions (KV_PERM_*) the HSM's role assignments give `object_id`
 * on key `key_name` (NULL = HSM-wide): the data actions of the roles
 * assigned at "/", "/keys" or "/keys/<key_name>". */
unsigned hsm_key_permissions(const sim_res *hsm, const char *key_name, const char *object_id);
/* Does `object_id` hold `data_action` ("Microsoft.KeyVault/managedHsm/keys/read/action")
 * at `scope` ("/", "/keys", "/keys/<key>") through an assignment at that
 * scope or one above it? */
bool hsm_data_allowed(const sim_res *hsm, const char *object_id, const char *scope,
		      const char *data_action);
/* The built-in role definition named by guid, full id or role name, as the
 * data plane serves it (caller owns), or NULL. */
cJSON *hsm_role_definition(const char *guid_id_or_name);
/* Every built-in role definition (caller owns the array). */
cJSON *hsm_role_definitions(void);
/* Assign a role in the HSM's local RBAC: `name` NULL = a new GUID, `role`
 * a guid, full role definition id or role name. Returns the assignment
 * resource, or NULL with cmk_error_set (unknown role, bad scope, name taken:
 * CMK_ECONFLICT). */
sim_res *hsm_role_assign(sim_res *hsm, const char *name, const char *scope, const char *role,
			 const char *principal_id);
/* The data-plane body of an assignment (caller owns). */
cJSON *hsm_role_assignment_body(const sim_res *ra);
/* Remove the assignments of `principal_id` (at `scope`, NULL = any);
 * returns how many. */
int hsm_role_unassign(const sim_res *hsm, const char *principal_id, const char *scope);
/* Derived and default properties of an HSM (hsmUri on this instance's
 * port, softDeleteRetentionInDays 90, enableSoftDelete true, statusMessage,
 * provisioningState), and the Managed HSM Administrator role at "/" for each
 * of initialAdminObjectIds that has no assignment yet. */
void hsm_complete(sim_res *hsm);

/* --- managed identities ---------------------------------------------------- */

/* A user-assigned identity by resource id, or NULL. */
sim_res *msi_get(const char *id);
/* Create a user-assigned identity resource with a fresh AAD principal. */
sim_res *msi_create(const char *id, const char *location, const char *tenant_id);
/* principalId / clientId of a user-assigned identity. */
const char *msi_principal_id(const sim_res *msi);
const char *msi_client_id(const sim_res *msi);

/* --- Kusto ----------------------------------------------------------------- */
bool kusto_is_follower(const sim_res *cluster);

#endif
