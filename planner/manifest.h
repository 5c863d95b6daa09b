/*
 * manifest.h - the desired model: what the YAML manifests ask for, typed,
 * with the source position of every value.
 *
 * Flow: manifest_set_new -> manifest_load_path / manifest_load_buffer (YAML
 * syntax, document structure, field types, unknown and required fields, enum
 * values, resource id syntax and type) -> validate_manifest_set (planner/
 * validate.h: names, duplicates, references, cycles and the documented Azure
 * constraints). Errors are collected into a manifest_diags, never returned
 * one at a time; the functions return a negative code only when they could
 * not do their job (out of memory).
 *
 * After validate_manifest_set reported no error, every manifest_ref's
 * `target` points at the document it names, so the planner walks pointers,
 * not names. Strings are owned by the set; positions point at file names
 * owned by the set. Everything lives until manifest_set_free.
 *
 * Manifest format (README "Manifest reference" and manifests/schema/):
 *   apiVersion: cmkctl/v1
 *   kind: LogAnalyticsCluster | KeyVaultKey | ManagedIdentity | WorkspaceLink |
 *         LinkedStorageAccount | KustoClusterKey | AppInsightsComponentLink
 *   metadata: {name, labels, annotations, dependsOn: ["Kind/name", ...]}
 *   spec: per kind, below
 */
#ifndef CMK_MANIFEST_H
#define CMK_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "planner/manifest_diag.h"

#define MANIFEST_API_VERSION "cmkctl/v1"
/* Largest manifest file read (bytes). */
#define MANIFEST_MAX_FILE_SIZE ((size_t)16 * 1024 * 1024)

typedef enum {
	MANIFEST_KIND_KEY_VAULT_KEY = 0,
	MANIFEST_KIND_MANAGED_IDENTITY,
	MANIFEST_KIND_LOG_ANALYTICS_CLUSTER,
	MANIFEST_KIND_WORKSPACE_LINK,
	MANIFEST_KIND_LINKED_STORAGE_ACCOUNT,
	MANIFEST_KIND_KUSTO_CLUSTER_KEY,
	MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK,
	MANIFEST_KIND__COUNT
} manifest_kind;

/* Where a value was written; `file` is owned by the set. line 0 = nowhere. */
typedef struct {
	const char *file;
	unsigned line, column;
} manifest_loc;

/* Scalars with their position. `set` (or value != NULL) says whether the
 * manifest gave the field; defaults are filled in with set = false. */
typedef struct {
	char *value; /* NULL when absent */
	manifest_loc loc;
} manifest_string;

typedef struct {
	long long value;
	bool set;
	manifest_loc loc;
} manifest_int;

typedef struct {
	bool value;
	bool set;
	manifest_loc loc;
} manifest_bool;

typedef struct {
	int value; /* one of the enum named at the field */
	bool set;
	manifest_loc loc;
} manifest_enum;

typedef struct {
	manifest_string key;
	manifest_string value;
} manifest_pair;

/* A string-to-string map (labels, annotations, tags), in written order. */
typedef struct {
	manifest_pair *items;
	size_t count;
	manifest_loc loc; /* the map's key, e.g. where "tags:" is written */
} manifest_map;

typedef struct manifest_doc manifest_doc;

/* A reference to another document by kind and metadata.name. */
typedef struct {
	manifest_kind kind;    /* the kind the field expects */
	manifest_string name;  /* value NULL when the field is absent */
	manifest_doc *target;  /* set by validate_manifest_set; NULL until then */
} manifest_ref;

/* A resource id with an optional declared location (workspaces). */
typedef struct {
	manifest_string id;        /* as written */
	manifest_string location;  /* canonical ("eastus"), NULL when not declared */
} manifest_resource;

typedef enum {
	MANIFEST_IDENTITY_SYSTEM_ASSIGNED = 0,
	MANIFEST_IDENTITY_USER_ASSIGNED,
} manifest_identity_type;

typedef struct {
	manifest_enum type;  /* manifest_identity_type */
	manifest_ref ref;    /* the ManagedIdentity, for UserAssigned */
	manifest_loc loc;    /* where "identity:" is written */
} manifest_identity;

typedef enum { MANIFEST_BILLING_CLUSTER = 0, MANIFEST_BILLING_WORKSPACES } manifest_billing_type;
typedef enum {
	MANIFEST_CLUSTER_TYPE_LOG_ANALYTICS = 0,
	MANIFEST_CLUSTER_TYPE_APPLICATION_INSIGHTS,
} manifest_cluster_type;
typedef enum { MANIFEST_DELETION_RETAIN = 0, MANIFEST_DELETION_DELETE } manifest_deletion_policy;
typedef enum {
	MANIFEST_KEY_TYPE_RSA = 0,
	MANIFEST_KEY_TYPE_RSA_HSM,
	MANIFEST_KEY_TYPE_EC,
	MANIFEST_KEY_TYPE_EC_HSM,
} manifest_key_type;
typedef enum { MANIFEST_DATA_SOURCE_QUERY = 0, MANIFEST_DATA_SOURCE_ALERTS } manifest_data_source;
typedef enum {
	MANIFEST_KUSTO_ROLE_STANDALONE = 0,
	MANIFEST_KUSTO_ROLE_LEADER,
	MANIFEST_KUSTO_ROLE_FOLLOWER,
} manifest_kusto_role;

/* KeyVaultKey: an existing Key Vault key used as the key-encryption key. */
typedef struct {
	manifest_string vault_id;        /* full vault resource id (built when given in parts) */
	manifest_string vault_subscription;
	manifest_string vault_resource_group;
	manifest_string vault_name;
	manifest_string key;             /* key name in the vault */
	manifest_string version;         /* "latest" (default) or 32 hex characters */
	manifest_string location;        /* the vault's region, canonical; optional */
	manifest_enum key_type;          /* manifest_key_type; declared expectation, optional */
	manifest_int key_size;           /* RSA bits; declared expectation, optional */
} manifest_key_vault_key;

/* ManagedIdentity: a user-assigned identity cmkctl creates. */
typedef struct {
	manifest_string subscription;
	manifest_string resource_group;
	manifest_string name;
	manifest_string location;        /* canonical */
	manifest_map tags;
} manifest_managed_identity;

/* LogAnalyticsCluster: a dedicated cluster (Microsoft.OperationalInsights/clusters). */
typedef struct {
	manifest_string subscription;
	manifest_string resource_group;
	manifest_string name;
	manifest_string location;        /* canonical */
	manifest_identity identity;
	manifest_int capacity;           /* GB/day, sku CapacityReservation */
	manifest_enum billing_type;      /* manifest_billing_type, default Cluster */
	manifest_bool double_encryption; /* unset: the service default (true) */
	manifest_bool availability_zones;/* unset: the service default */
	manifest_ref key;                /* KeyVaultKey; name NULL when no CMK */
	manifest_bool key_at_creation;   /* send keyVaultProperties in the create call */
	manifest_enum cluster_type;      /* manifest_cluster_type, default LogAnalytics */
	manifest_map tags;
	manifest_enum deletion_policy;   /* manifest_deletion_policy, default Retain */
} manifest_log_analytics_cluster;

/* WorkspaceLink: workspaces linked to a cluster. */
typedef struct {
	manifest_ref cluster;            /* LogAnalyticsCluster */
	manifest_resource *workspaces;
	size_t workspace_count;
	manifest_loc workspaces_loc;
	manifest_bool unlink_unlisted;   /* default false */
} manifest_workspace_link;

/* LinkedStorageAccount: a workspace's storage for saved queries / alerts. */
typedef struct {
	manifest_string workspace;       /* workspace resource id */
	manifest_enum data_source_type;  /* manifest_data_source */
	manifest_string *storage_accounts;
	size_t storage_account_count;
	manifest_loc storage_accounts_loc;
} manifest_linked_storage_account;

/* KustoClusterKey: CMK on an existing Azure Data Explorer cluster. */
typedef struct {
	manifest_string cluster;         /* Microsoft.Kusto/clusters resource id */
	manifest_string location;        /* canonical; optional */
	manifest_identity identity;
	manifest_ref key;                /* KeyVaultKey */
	manifest_enum role;              /* manifest_kusto_role, default Standalone */
} manifest_kusto_cluster_key;

/* AppInsightsComponentLink: the 2020 path, a component on an
 * ApplicationInsights-type cluster through clusterDefinitionId. */
typedef struct {
	manifest_string component;       /* Microsoft.Insights/components resource id */
	manifest_string location;        /* canonical; optional */
	manifest_ref cluster;            /* LogAnalyticsCluster with clusterType ApplicationInsights */
} manifest_app_insights_component_link;

struct manifest_doc {
	manifest_kind kind;
	manifest_loc loc;                /* the document's first node */
	manifest_loc kind_loc;
	manifest_string name;            /* metadata.name */
	manifest_map labels;
	manifest_map annotations;
	manifest_ref *depends_on;        /* metadata.dependsOn */
	size_t depends_on_count;
	bool has_errors;                 /* an error was reported inside this document */
	union {
		manifest_key_vault_key key_vault_key;
		manifest_managed_identity managed_identity;
		manifest_log_analytics_cluster cluster;
		manifest_workspace_link workspace_link;
		manifest_linked_storage_account linked_storage;
		manifest_kusto_cluster_key kusto;
		manifest_app_insights_component_link app_insights;
	} spec;
};

typedef struct {
	manifest_doc **docs;             /* in load order: files sorted, documents in file order */
	size_t count;
	char **files;                    /* every file read, owned */
	size_t file_count;
	bool incomplete;                 /* a file could not be read or parsed to its end */
	size_t docs_cap_, files_cap_;    /* private */
} manifest_set;

int manifest_set_new(manifest_set **out) CMK_WUR;
void manifest_set_free(manifest_set *set);

/*
 * Load `path`: a file, or a directory searched recursively for *.yaml and
 * *.yml (sorted by name; hidden entries skipped), or "-" for standard input.
 * A file already loaded (same real path) is skipped. Problems go to `diags`
 * with their position. Every path met is read or is an error naming it and
 * why (manifest_paths.c lists what a walk skips by design and what is an
 * error); such an error marks the set incomplete. Returns 0, or CMK_ENOMEM.
 */
int manifest_load_path(manifest_set *set, manifest_diags *diags, const char *path) CMK_WUR;

/*
 * After every path was loaded: when the set holds no document and `diags`
 * no error, add "no manifest documents found" for each file read (each is
 * empty or holds only comments), or once without a file when none was
 * read. Returns 0, or CMK_ENOMEM.
 */
int manifest_check_documents(manifest_set *set, manifest_diags *diags) CMK_WUR;

/* Load `len` bytes of YAML named `name` (the name used in diagnostics). */
int manifest_load_buffer(manifest_set *set, manifest_diags *diags, const char *name,
			 const char *data, size_t len) CMK_WUR;

/*
 * The ARM id of the Azure resource a document manages, newly allocated in
 * `*out` (free() it): the cluster or identity (built from subscription,
 * resourceGroup and name), the vault of a KeyVaultKey, the ADX cluster of a
 * KustoClusterKey, the component of an AppInsightsComponentLink, or
 * "<workspace>/linkedStorageAccounts/<Query|Alerts>". CMK_ENOTFOUND (no
 * message) for a WorkspaceLink, which manages links rather than a resource,
 * or when the document lacks the fields; CMK_ENOMEM.
 */
int manifest_doc_resource_id(char **out, const manifest_doc *d) CMK_WUR;

/*
 * The i-th reference of document `d` to another document, or NULL past the
 * last: the kind's typed references first (spec.identity.ref - unless the
 * identity is SystemAssigned, whose stray ref is an error and no
 * dependency -, spec.key, spec.cluster), then metadata.dependsOn in
 * written order. `*path` names the field for messages. The one list of
 * references per kind: validation resolves and checks them, sharding
 * follows them. Like strchr, the result points into `d` and may be
 * written only when the caller may write `d` (validation sets targets).
 */
manifest_ref *manifest_doc_ref_at(const manifest_doc *d, size_t i, const char **path);

/* "LogAnalyticsCluster" etc. */
const char *manifest_kind_name(manifest_kind kind);
/* CMK_ENOTFOUND (no message) when `name` is no kind; exact match. */
int manifest_kind_from_name(manifest_kind *out, const char *name);

/* The document of `kind` named `name`, or NULL. */
manifest_doc *manifest_set_find(const manifest_set *set, manifest_kind kind, const char *name);

/* Names of enum values, as written in manifests ("SystemAssigned", "Cluster"). */
const char *manifest_identity_type_name(int v);
const char *manifest_billing_type_name(int v);
const char *manifest_cluster_type_name(int v);
const char *manifest_deletion_policy_name(int v);
const char *manifest_key_type_name(int v);
const char *manifest_data_source_name(int v);
const char *manifest_kusto_role_name(int v);

/*
 * The closest of `candidates` (n strings) to `word`, for "did you mean"
 * hints: a case-insensitive match or a small edit distance; NULL when none
 * is close enough.
 */
const char *manifest_suggest(const char *word, const char *const *candidates, size_t n);

#endif
