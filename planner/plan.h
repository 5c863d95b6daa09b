/*
 * plan.h - the plan model: what cmkctl would change, step by step, and why.
 *
 * plan_build compares the desired model (a validated manifest_set) with the
 * live model (a live_state a provider read, or a JSON fixture) and produces:
 *   - resources: one entry per managed Azure resource (or per listed
 *     workspace), with an action (create, update, delete, no-op, blocked),
 *     the fields that differ (before -> after) and the reasons;
 *   - steps: the writes (and waits) to perform, each with its dependencies,
 *     in the documented provisioning order (DESIGN.md): user-assigned
 *     identity -> cluster create and wait -> key access grant -> key update
 *     and wait -> workspace links -> linked storage; Kusto key updates after
 *     their grants; component links after their cluster; unlinks and deletes
 *     in reverse. Every step that would meet a documented error predictable
 *     from the live state carries a blocked_reason (preflight);
 *   - findings: the drift classification (rotation pending, revocation
 *     risk, unmanaged links, vanished resources), so `drift` is a rendering
 *     of the same diff.
 * The planner does no I/O: same inputs (and the same options.now), same
 * plan, byte for byte (deterministic order everywhere).
 *
 * Contract for the executor (reconciler/): run a step only when every step
 * in depends_on succeeded; never run a plan with plan->blocked_steps > 0
 * (plan_is_applicable); steps sharing a `lock` (a cluster id) are already
 * chained by depends_on, the lock is there so an executor that reorders can
 * still serialise them. Values a step needs that only exist after an earlier
 * step ran (the principal id of a system-assigned identity created with its
 * cluster, a new cluster's clusterId) are params whose value is
 * "@<step-id>.<field>", e.g. "@cluster.create:LogAnalyticsCluster/prod.principalId":
 * take it from that step's read-back.
 *
 * Params per step kind: declared with their types in the kind table below
 * (PLAN_STEP_KINDS and plan_step_kind_params); `target` is the resource
 * written. Only string params may hold a "@<step-id>.<field>" reference.
 * The JSON form writes every param as a string: an int as decimal text, a
 * bool as "true"/"false", a list joined by ", ", a map as the text of a JSON
 * object; the saved-plan loader parses them back per their declared type.
 *
 * Ownership: a plan owns every string in it; plan_free releases all. The
 * plan keeps no pointer into the manifest_set or the live_state after
 * plan_build returns.
 */
#ifndef CMK_PLAN_H
#define CMK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/live.h"
#include "planner/manifest.h"

#define PLAN_FORMAT_VERSION 1

/* Tags cmkctl puts on clusters it creates: they say the cluster is managed
 * and what its deletionPolicy was, so a cluster removed from the manifests
 * can be deleted (with --allow-destroy) only when it said Delete. Tag diffs
 * ignore them. (Tag names cannot hold '/', hence no "cmkctl.io/".) */
#define PLAN_TAG_MANAGED "cmkctl-managed"
#define PLAN_TAG_DELETION_POLICY "cmkctl-deletion-policy"

/* The built-in role for key access on RBAC vaults. */
#define PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER "e147488a-f6f5-4113-8e2d-b22465e65bf6"
#define PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER_NAME "Key Vault Crypto Service Encryption User"

/* Documented limits (seeds 003 "Limitations and constraints"). */
#define PLAN_MAX_LINK_OPS_30D 2
#define PLAN_CAPACITY_LOCK_DAYS 30

typedef enum {
	PLAN_ACTION_NOOP = 0,
	PLAN_ACTION_CREATE,
	PLAN_ACTION_UPDATE,
	PLAN_ACTION_DELETE,
	PLAN_ACTION_BLOCKED,
	PLAN_ACTION__COUNT
} plan_action;

/* Step phases: the sort key of the documented order. Each kind runs in its
 * own phase (the table below); two kinds have an alternative phase. */
#define PLAN_PHASE_GRANT_EARLY 20     /* key.grant to a user-assigned identity, before a create */
#define PLAN_PHASE_IDENTITY_UPDATE 40 /* cluster.update changing the identity: before its grant */

/* What a step kind is, for the executor and the summary. */
#define PLAN_KIND_WAIT 0x1    /* waits for someone else's operation; writes nothing */
#define PLAN_KIND_RESEND 0x2  /* a PATCH that may be sent once more after InternalServerError */
#define PLAN_KIND_BATCH 0x4   /* sent with the other ready steps of its kind at once */
#define PLAN_KIND_UNLINK 0x8  /* counted as an unlink in the summary */
#define PLAN_KIND_DELETE 0x10 /* counted as a delete in the summary */

/*
 * The one table of step kinds, in the order their phases run (a dependency
 * always points at an earlier kind in this list, except grants before a
 * user-assigned cluster's create, which run in PLAN_PHASE_GRANT_EARLY).
 * X(ENUM, token, "name", phase, flags, "what it does"):
 *   ENUM   PLAN_STEP_<ENUM>
 *   token  the lower-case name the planner's param declarations
 *          (plan_step_kind_params) and the executor's handlers derive from
 *   name   the kind in the plan's text and JSON, and in step ids
 *   phase  the sort key (the documented order)
 *   flags  PLAN_KIND_*
 */
#define PLAN_STEP_KINDS(X) \
	X(CLUSTER_WAIT, cluster_wait, "cluster.wait", 0, PLAN_KIND_WAIT, \
	  "cluster busy: wait for its running operation") \
	X(LINK_WAIT, link_wait, "link.wait", 0, PLAN_KIND_WAIT, \
	  "a workspace link/unlink in progress: wait") \
	X(IDENTITY_CREATE, identity_create, "identity.create", 10, 0, "PUT userAssignedIdentities") \
	X(IDENTITY_UPDATE, identity_update, "identity.update", 10, 0, "PUT userAssignedIdentities (tags)") \
	X(CLUSTER_CREATE, cluster_create, "cluster.create", 30, 0, "PUT clusters, wait for Succeeded") \
	X(KUSTO_IDENTITY_UPDATE, kusto_identity, "kusto.identity", 40, PLAN_KIND_RESEND, \
	  "PATCH Kusto cluster identity, wait") \
	X(KEY_GRANT, key_grant, "key.grant", 50, 0, "access policy get/wrapKey/unwrapKey, or RBAC role") \
	X(CLUSTER_KEY_UPDATE, cluster_key, "cluster.key", 60, PLAN_KIND_RESEND, \
	  "PATCH clusters keyVaultProperties, wait, verify the key") \
	X(CLUSTER_UPDATE, cluster_update, "cluster.update", 70, PLAN_KIND_RESEND, \
	  "PATCH clusters capacity/billingType/tags/identity, wait") \
	X(KUSTO_KEY_UPDATE, kusto_key, "kusto.key", 80, PLAN_KIND_RESEND, \
	  "PATCH Kusto cluster keyVaultProperties, wait") \
	X(WORKSPACE_UNLINK, workspace_unlink, "workspace.unlink", 90, PLAN_KIND_UNLINK, \
	  "DELETE linkedServices/cluster, wait") \
	X(WORKSPACE_LINK, workspace_link, "workspace.link", 100, PLAN_KIND_BATCH, \
	  "PUT linkedServices/cluster, wait, verify clusterResourceId") \
	X(LINKED_STORAGE_SET, storage_link, "storage.link", 110, 0, "PUT linkedStorageAccounts/{Query|Alerts}") \
	X(COMPONENT_LINK, component_link, "component.link", 120, 0, "PUT components clusterDefinitionId") \
	X(CLUSTER_DELETE, cluster_delete, "cluster.delete", 130, PLAN_KIND_DELETE, "DELETE clusters, wait")

typedef enum {
#define PLAN__KIND_ENUM(id, tok, name, phase, flags, what) PLAN_STEP_##id,
	PLAN_STEP_KINDS(PLAN__KIND_ENUM)
#undef PLAN__KIND_ENUM
	PLAN_STEP__COUNT
} plan_step_kind;

/* The type of a step param (declared per kind in plan_step_kind_params). */
typedef enum {
	PLAN_PARAM_STR = 0, /* text, or "@<step-id>.<field>" */
	PLAN_PARAM_INT,     /* int64 */
	PLAN_PARAM_BOOL,
	PLAN_PARAM_LIST,    /* strings, in order */
	PLAN_PARAM_MAP,     /* string -> string, in order (tags) */
	PLAN_PARAM__COUNT
} plan_param_type;

/* One declared param of a step kind. */
typedef struct {
	const char *name;
	plan_param_type type;
} plan_param_decl;

typedef enum {
	PLAN_FINDING_FIELD_DRIFT = 0, /* a field differs from the manifest */
	PLAN_FINDING_ROTATION_PENDING,
	PLAN_FINDING_REVOCATION_RISK,
	PLAN_FINDING_UNMANAGED_LINK,
	PLAN_FINDING_VANISHED,
	PLAN_FINDING__COUNT
} plan_finding_kind;

typedef struct {
	char *field;
	char *before; /* NULL: absent */
	char *after;  /* NULL: removed */
} plan_change;

typedef struct {
	char *address;          /* "LogAnalyticsCluster/prod", "WorkspaceLink/prod-ws/law-a" */
	char *id;               /* the Azure resource id (may be NULL for nothing to name) */
	plan_action action;
	plan_change *changes;
	size_t change_count;
	char **reasons;
	size_t reason_count;
} plan_resource;

/* A step param: one typed value. */
typedef struct {
	char *name;
	plan_param_type type;
	char *str;              /* STR: the value, or "@<step-id>.<field>": known only
				 * after that step ran */
	int64_t num;            /* INT */
	bool flag;              /* BOOL */
	char **items;           /* LIST */
	size_t item_count;
	live_tags map;          /* MAP: ordered pairs (common/live.h) */
} plan_param;

typedef struct {
	char *id;               /* "<kind-name>:<resource address>", unique */
	plan_step_kind kind;
	size_t resource;        /* index into plan->resources */
	char *target;           /* the Azure resource id written to (or waited on) */
	char *lock;             /* the cluster id whose writes this step serialises on, or NULL */
	char *description;      /* one line a person reads */
	size_t *depends_on;     /* indexes into plan->steps, ascending */
	size_t dep_count;
	char *blocked_reason;   /* NULL: runnable */
	plan_param *params;     /* in a fixed order per kind */
	size_t param_count;
	int phase;              /* sort key: the documented order */
} plan_step;

typedef struct {
	plan_finding_kind kind;
	char *address;
	char *message;
} plan_finding;

typedef struct {
	size_t create, update, delete_, noop, blocked;  /* resources per action */
	size_t steps, blocked_steps, waits, unlinks, deletes;
} plan_summary;

typedef struct {
	plan_resource *resources;  /* sorted by address */
	size_t resource_count;
	plan_step *steps;          /* a topological order; dependencies point backwards */
	size_t step_count;
	plan_finding *findings;    /* sorted by kind, then address */
	size_t finding_count;
	plan_summary summary;
	char **touched;            /* lower-case ids of every live resource the plan read
				    * (sorted, unique): what the fingerprint covers */
	size_t touched_count;
	char *now;                 /* ISO 8601 UTC time the plan was made for */
	struct cJSON *source;      /* source revision record (owned), or NULL */
	char *fingerprint;         /* 64 hex chars; set by plan_fingerprint_set / load */
	char *steps_fingerprint;   /* 64 hex chars over the steps, their params and the
				    * options below (set with fingerprint); NULL in a plan
				    * saved by a cmkctl that did not write it */
	bool allow_destroy, allow_unlink, no_grant; /* the plan_options it was built with */
	char *signature;           /* HMAC-SHA256 hex (plan_sign), or NULL: unsigned */
	/* private */
	size_t resources_cap_, steps_cap_, findings_cap_, touched_cap_;
	size_t *addr_slots_, addr_cap_; /* address hash set: resource index + 1, 0 = empty */
} plan;

typedef struct {
	bool allow_destroy;        /* --allow-destroy: cluster deletes (deletionPolicy Delete only) */
	bool allow_unlink;         /* --allow-unlink: unlink unlisted workspaces */
	bool no_grant;             /* --no-grant: never grant key access; missing access blocks */
	time_t now;                /* "now" for the 30-day rules; 0: time(NULL) */
} plan_options;

#define PLAN_OPTIONS_INIT { false, false, false, 0 }

/*
 * Build the plan for `set` (validated: refs resolved, no errors) against
 * `live`. *out is owned by the caller (plan_free). Fails with CMK_ENOMEM,
 * or CMK_EINVALID when the set still holds unresolved references.
 */
int plan_build(plan **out, const manifest_set *set, const live_state *live,
	       const plan_options *opts) CMK_WUR;

void plan_free(plan *p);

/* Names: "create", "cluster.create", "rotation-pending", ... and back. */
const char *plan_action_name(plan_action a);
const char *plan_step_kind_name(plan_step_kind k);
const char *plan_finding_kind_name(plan_finding_kind k);
int plan_step_kind_from_name(plan_step_kind *out, const char *name);
int plan_action_from_name(plan_action *out, const char *name);
int plan_finding_kind_from_name(plan_finding_kind *out, const char *name);

/* A kind's phase and flags (PLAN_KIND_*), from the kind table. */
int plan_step_kind_phase(plan_step_kind k);
unsigned plan_step_kind_flags(plan_step_kind k);

/* The params a kind declares, NULL-name terminated (never NULL). */
const plan_param_decl *plan_step_kind_params(plan_step_kind k);
/* The declared type of param `name` of kind `k`; CMK_ENOTFOUND (no message
 * set) when the kind declares no such param. */
int plan_step_kind_param_type(plan_param_type *out, plan_step_kind k, const char *name);

/*
 * A step's params by name and type. Each returns "absent" (NULL, false or
 * -1) when the step has no such param or it has another type; values are
 * owned by the plan.
 */
const plan_param *plan_step_param_get(const plan_step *s, const char *name);
/* A string param (may be a "@<step-id>.<field>" reference), or NULL. */
const char *plan_step_param_str(const plan_step *s, const char *name);
/* The same: the name every string param was read by. */
const char *plan_step_param(const plan_step *s, const char *name);
/* An int64 param into *out; false when absent (*out untouched). */
bool plan_step_param_int(int64_t *out, const plan_step *s, const char *name);
/* A bool param: 1 true, 0 false, -1 absent. */
int plan_step_param_bool(const plan_step *s, const char *name);
/* A list param: its items (*count items), or NULL when absent. */
char *const *plan_step_param_list(const plan_step *s, const char *name, size_t *count);
/* A map param, or NULL when absent. */
const live_tags *plan_step_param_map(const plan_step *s, const char *name);

/*
 * The text form of a param (what the JSON form shows): a string as is, an
 * int in decimal, a bool "true"/"false", a list joined by ", ", a map as the
 * text of a JSON object. *out owned by the caller; CMK_ENOMEM.
 */
int plan_param_text(char **out, const plan_param *pp) CMK_WUR;

/* Whether the plan changes anything (a step to run, blocked or not). */
bool plan_has_changes(const plan *p);
/* Whether the plan may be applied: no blocked step. */
bool plan_is_applicable(const plan *p);
/* Whether drift should be reported: changes or findings. */
bool plan_has_drift(const plan *p);

/* Attach a copy of the source revision JSON ({"kind":…}); NULL clears. */
int plan_set_source(plan *p, const struct cJSON *source) CMK_WUR;

/* ---- JSON, saved plans, fingerprints (plan_json.c) ------------------- */

/*
 * The JSON form: {"format_version":1,"now":…,"source":{…},"summary":{…},
 * "resources":[…],"steps":[…],"findings":[…]}; with `saved`, also
 * "touched" and "fingerprint" (the saved-plan form). *out is a new cJSON
 * the caller deletes.
 */
int plan_to_json(struct cJSON **out, const plan *p, bool saved) CMK_WUR;

/*
 * The same JSON, streamed into `out` one line per resource, step and
 * finding (diff-friendly, and memory stays flat for 10,000 workspaces):
 * what `plan --output json` prints and `plan --out` saves.
 */
int plan_write_json(cmk_buf *out, const plan *p, bool saved) CMK_WUR;

/*
 * Fingerprint: SHA-256 (lower-case hex, 64 chars + NUL in `out`) of the
 * canonical JSON of the live resources named by `touched` (ids compared
 * case-insensitively; each collection sorted by id).
 */
int plan_fingerprint(char out[65], const live_state *live, char *const *touched,
		     size_t touched_count) CMK_WUR;
/* Compute p's fingerprint against `live` and store it in p->fingerprint,
 * and its steps fingerprint in p->steps_fingerprint. */
int plan_fingerprint_set(plan *p, const live_state *live) CMK_WUR;

/*
 * Steps fingerprint: SHA-256 (64 hex + NUL) of the canonical JSON of p's
 * steps (ids, kinds, targets, locks, dependencies, typed params, blocked
 * reasons, descriptions), its "now" and the options it was built with. A
 * saved plan carries it so that an edit to a step is caught on load; it is
 * not a signature (anyone can recompute it): apply also rebuilds the plan
 * and compares (plan_compare_steps).
 */
int plan_steps_fingerprint(char out[65], const plan *p) CMK_WUR;

/*
 * 0 when `saved` and `rebuilt` hold the same steps (matched by id: kind,
 * target, lock, description, blocked reason, dependencies and every param's
 * value); else CMK_ECONFLICT with a message naming the first step and field
 * that differ ("step <id>: param capacity is 5000 in the saved plan, 1200
 * when rebuilt"). CMK_ENOMEM on allocation failure.
 */
int plan_compare_steps(const plan *saved, const plan *rebuilt) CMK_WUR;

/* ---- signatures (plan_sign.c) ------------------------------------------ */

/* HMAC-SHA256 (64 hex + NUL) with `key` over p's fingerprint, steps
 * fingerprint and source revision; both fingerprints must be set. */
int plan_signature(char out[65], const plan *p, const unsigned char *key, size_t keylen) CMK_WUR;
/* Set p->signature (saved with the plan). */
int plan_sign(plan *p, const unsigned char *key, size_t keylen) CMK_WUR;
/*
 * With a key (non-NULL): 0 when p carries the matching signature; an
 * unsigned plan is CMK_EINVALID, a wrong one CMK_ECONFLICT. Without a key:
 * 0 for an unsigned plan, CMK_EINVALID for a signed one (it cannot be
 * checked, so it is not applied).
 */
int plan_check_signature(const plan *p, const unsigned char *key, size_t keylen) CMK_WUR;

/* Largest saved plan accepted (bytes). */
#define PLAN_MAX_FILE_SIZE ((size_t)64 * 1024 * 1024)
#define PLAN_MAX_STRING 8192
#define PLAN_MAX_ITEMS 1000000

/*
 * Write the saved form to `path`, created with mode 0600 (an existing file
 * is replaced). Requires a fingerprint. CMK_ERROR on I/O failure (message
 * names the path).
 */
int plan_save(const plan *p, const char *path) CMK_WUR;

/*
 * Parse a saved plan (untrusted input): every field checked for type, size
 * and consistency (step ids unique, dependencies backwards and in range,
 * known kinds and actions, a 64-hex fingerprint). CMK_EINVALID with a
 * message naming the JSON path of the first problem.
 */
int plan_load_buffer(plan **out, const char *data, size_t len) CMK_WUR;
int plan_load(plan **out, const char *path) CMK_WUR;

/*
 * Staleness check: 0 when `live` has the fingerprint the plan was made
 * from; CMK_ECONFLICT with "the plan is stale: ..." otherwise.
 */
int plan_check_fresh(const plan *p, const live_state *live) CMK_WUR;

#endif
