/*
 * live.h - the live model: what Azure holds now, as the providers read it.
 *
 * The providers (providers/live_*.c) fill a live_state from ARM and the Key
 * Vault data plane; the planner compares it with the desired model
 * (planner/manifest.h) and never does I/O itself. The model is plain data so
 * that golden tests can load it from a JSON fixture (live_state_from_json)
 * and a saved plan can fingerprint it (live_state_to_json).
 *
 * Ownership: every string and array belongs to the live_state; free it all
 * with live_state_free. Strings are NULL when Azure did not say. Resource
 * ids are kept as Azure wrote them; compare them with arm_id_equal.
 * Locations are canonical ("eastus", not "East US").
 */
#ifndef CMK_LIVE_H
#define CMK_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"

typedef struct {
	char *key;
	char *value;
} live_tag;

typedef struct {
	live_tag *items;
	size_t count;
} live_tags;

/* The key a cluster (Log Analytics or Kusto) is encrypted with. */
typedef struct {
	char *vault_uri;        /* "https://kv.vault.azure.net/" */
	char *key_name;
	char *key_version;      /* "" or NULL: versionless (tracks the latest) */
	char *user_identity;    /* Kusto: the user-assigned identity used, or NULL */
	long key_rsa_size;      /* Log Analytics reports it; 0 when absent */
} live_key_ref;

typedef struct {
	char *type;             /* "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned", "None" */
	char *principal_id;     /* of the system-assigned identity */
	char *tenant_id;
	char **user_assigned;   /* resource ids of user-assigned identities */
	size_t user_assigned_count;
} live_identity;

/* Microsoft.OperationalInsights/clusters */
typedef struct {
	char *id, *name, *location;
	char *provisioning_state; /* "Succeeded", "Creating", "Updating", "Deleting", ... */
	char *cluster_id;         /* server-filled */
	live_identity identity;
	char *sku_name;
	long long capacity;
	char *billing_type;       /* "Cluster" | "Workspaces" */
	char *cluster_type;       /* "LogAnalytics" | "ApplicationInsights" (legacy) */
	bool double_encryption;
	bool availability_zones;
	live_key_ref key;         /* vault_uri NULL when no CMK */
	char *last_sku_update;    /* capacityReservationProperties.lastSkuUpdate, ISO 8601 */
	char *created, *last_modified;
	live_tags tags;
	/* An operation observed running on the cluster (non-terminal state):
	 * the planner waits instead of writing. */
	bool busy;
} live_la_cluster;

/* Microsoft.OperationalInsights/workspaces (+ their cluster link) */
typedef struct {
	char *id, *name, *location;
	char *customer_id;
	char *cluster_resource_id;  /* features.clusterResourceId; NULL when unlinked */
	char *link_state;           /* linkedServices/cluster provisioningState when known
				     * ("Succeeded", "Updating", "Deleting", "ProvisioningAccount") */
	int link_operations_30d;    /* link/unlink operations seen in the last 30 days, -1 unknown */
} live_workspace;

/* Microsoft.OperationalInsights/workspaces/linkedStorageAccounts */
typedef struct {
	char *workspace_id;
	char *data_source_type;     /* "Query" | "Alerts" | ... */
	char **storage_accounts;
	size_t storage_account_count;
} live_linked_storage;

typedef struct {
	char *tenant_id;
	char *object_id;
	char **key_permissions;     /* lower-case: "get", "wrapkey", "unwrapkey", ... */
	size_t key_permission_count;
} live_access_policy;

/* Microsoft.KeyVault/vaults */
typedef struct {
	char *id, *name, *location, *tenant_id;
	char *vault_uri;
	bool soft_delete;
	bool purge_protection;
	bool rbac_authorization;
	live_access_policy *access_policies;
	size_t access_policy_count;
} live_vault;

/* A key in a vault (data plane). */
typedef struct {
	char *vault_id;             /* the vault's resource id */
	char *vault_uri;
	char *name;
	char *current_version;      /* the newest version */
	char *kty;                  /* "RSA", "RSA-HSM", "EC", ... */
	long key_size;              /* RSA bits, 0 unknown */
	bool enabled;
	char *expires;              /* ISO 8601 or NULL */
	bool exists;                /* false: the key was looked up and is missing */
} live_key;

/* Microsoft.Authorization/roleAssignments */
typedef struct {
	char *id;
	char *scope;
	char *role_definition_id;
	char *principal_id;
} live_role_assignment;

/* Microsoft.ManagedIdentity/userAssignedIdentities */
typedef struct {
	char *id, *name, *location;
	char *principal_id, *client_id, *tenant_id;
	live_tags tags;
} live_user_identity;

/* Microsoft.Kusto/clusters */
typedef struct {
	char *id, *name, *location;
	char *state;                /* "Running", "Updating", ... */
	char *provisioning_state;
	live_identity identity;
	live_key_ref key;
	bool follower;              /* has attached (follower) databases from a leader */
	bool busy;
} live_kusto_cluster;

/* Microsoft.Insights/components (legacy clusterDefinitionId path) */
typedef struct {
	char *id, *name, *location;
	char *cluster_definition_id; /* NULL when not associated */
} live_component;

typedef struct {
	char *id;                   /* subscription id */
	char *tenant_id;
	int clusters_per_region_limit; /* 0 unknown: the documented 2 applies */
} live_subscription;

typedef struct {
	live_subscription *subscriptions; size_t subscription_count;
	live_la_cluster *clusters;        size_t cluster_count;
	live_workspace *workspaces;       size_t workspace_count;
	live_linked_storage *linked_storage; size_t linked_storage_count;
	live_vault *vaults;               size_t vault_count;
	live_key *keys;                   size_t key_count;
	live_role_assignment *role_assignments; size_t role_assignment_count;
	live_user_identity *identities;   size_t identity_count;
	live_kusto_cluster *kusto_clusters; size_t kusto_cluster_count;
	live_component *components;       size_t component_count;
	/* Names reserved by soft-deleted clusters ("{sub}/{name}", lower case)
	 * when the reader could tell; the create would answer 409. */
	char **soft_deleted_clusters;     size_t soft_deleted_cluster_count;
	unsigned long requests;           /* requests the read took (0 for fixtures) */
} live_state;

void live_state_free(live_state *s);

/*
 * JSON form (golden-test fixtures, saved-plan fingerprints). The shape is the
 * struct's, keys in camelCase: {"clusters":[{"id":…,"provisioningState":…,
 * "identity":{"type":…,"principalId":…},"capacity":1000,"key":{"vaultUri":…}}],
 * "workspaces":[…], …}. Unknown keys are errors (fixtures are ours; a typo
 * must not pass). from_json fails with CMK_EINVALID naming the path of the
 * bad value ("clusters[0].capacity: expected a number").
 */
int live_state_from_json(live_state *out, const cJSON *json) CMK_WUR;
int live_state_to_json(cJSON **out, const live_state *s) CMK_WUR;

/* Lookups by resource id, case-insensitive; NULL when absent. */
live_la_cluster *live_find_cluster(const live_state *s, const char *id);
live_workspace *live_find_workspace(const live_state *s, const char *id);
live_vault *live_find_vault(const live_state *s, const char *id);
live_vault *live_find_vault_by_uri(const live_state *s, const char *vault_uri);
live_key *live_find_key(const live_state *s, const char *vault_id, const char *name);
live_user_identity *live_find_identity(const live_state *s, const char *id);
live_kusto_cluster *live_find_kusto(const live_state *s, const char *id);
live_component *live_find_component(const live_state *s, const char *id);
live_linked_storage *live_find_linked_storage(const live_state *s, const char *workspace_id,
					      const char *data_source_type);
live_subscription *live_find_subscription(const live_state *s, const char *id);

/* Whether `policy` grants every one of get, wrapKey and unwrapKey. */
bool live_access_policy_grants_key_use(const live_access_policy *policy);

/*
 * A provisioningState (or an async operation's status) as ARM's RPC reads
 * it: Succeeded, Failed and Canceled are terminal, compared without case; a
 * missing or empty state means Succeeded; "Cancelled" (the British spelling
 * some services answer) is Canceled; anything else is still running. The one
 * rule the planner (busy or not), the adapters and the LRO waiter share.
 */
typedef enum {
	LIVE_PROVISIONING_SUCCEEDED = 0,
	LIVE_PROVISIONING_FAILED,
	LIVE_PROVISIONING_CANCELED,
	LIVE_PROVISIONING_RUNNING,
} live_provisioning_class;
live_provisioning_class live_provisioning_classify(const char *state);

/* Whether `state` is terminal (classify is not RUNNING). */
bool live_provisioning_terminal(const char *state);

#endif
