/*
 * diff_internal.h - the context the planner's diff files share (diff.c and
 * diff_<kind>.c) while plan_build walks the manifests against the live
 * model; not for use outside planner/.
 *
 * diff.c owns the context (builds it, runs one pass per kind in dependency
 * order, frees it); each diff_<kind>.c holds one kind's pass. Helpers that
 * several passes use are declared here: the id index and small id helpers
 * and tags (diff_ctx.c), the write chain of a cluster (diff_cluster.c), key
 * access and key preflight (diff_keys.c), unlinks (diff_links.c).
 *
 * Every function returning int returns 0 (or a count, where said) or a
 * negative error code with the message set; nothing here does I/O.
 */
#ifndef CMK_DIFF_INTERNAL_H
#define CMK_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/error.h"
#include "common/live.h"
#include "planner/manifest.h"
#include "planner/plan.h"
#include "planner/plan_internal.h"

/* ---- a hash index of ids (open addressing, case-insensitive) ---------- */

typedef struct {
	const char *key;
	size_t val;
} diff__slot;

typedef struct {
	diff__slot *slots;
	size_t cap;
} diff__map;

/* Size the index for `n` keys; it never fills. Free `slots`. */
int diff__map_init(diff__map *m, size_t n) CMK_WUR;
/* Insert unless present; the first value wins. `key` is borrowed. */
void diff__map_put(diff__map *m, const char *key, size_t val);
/* The value of `key`, PLAN_NONE when absent (or `key` is NULL). */
size_t diff__map_get(const diff__map *m, const char *key);

/* ---- state per manifest document --------------------------------------- */

typedef struct {
	char *id;                      /* the Azure id of the document's resource */
	size_t res;                    /* its plan resource, PLAN_NONE when none */
	/* identities, clusters, Kusto: who the key is granted to */
	char *principal;               /* a principal id or "@<step>.principalId" */
	size_t principal_step;         /* the step the principal comes from, or PLAN_NONE */
	size_t create;                 /* create step (identity, cluster) */
	/* clusters */
	const live_la_cluster *lc;
	bool busy;
	const char *busy_state;        /* the live state that makes it busy */
	size_t wait, tail;             /* cluster wait step; last write of the chain */
	size_t linked;                 /* workspaces linked to it after the plan */
	bool unlink_unlisted;
	/* keys */
	const live_vault *vault;
	const live_key *key;
	char *key_id;                  /* "<vault id>/keys/<name>" */
	char *version;                 /* resolved version; NULL when unknown */
	char *problem;                 /* why the key cannot be used now, or NULL */
	bool key_unusable;             /* missing, disabled or expired: revocation risk */
} diff__doc;

typedef struct {
	size_t step, doc;
} diff__link;

typedef struct {
	plan *p;
	const manifest_set *set;
	const live_state *live;
	const plan_options *opts;
	time_t now;
	diff__doc *docs;
	diff__map ws;                  /* live workspace id -> index in live->workspaces */
	diff__map listed;              /* manifest workspace id -> index in `listed_step` */
	size_t *listed_step;           /* link step (or wait) of a listed workspace */
	size_t listed_count;
	size_t listed_next;            /* the links pass: next index in `listed_step` */
	diff__map clusters;            /* managed cluster id -> doc index */
	diff__link *links;             /* new link steps, for the 1000-workspace rule */
	size_t link_count, link_cap;
	size_t *unlink_step;           /* per live workspace: its planned unlink, or PLAN_NONE */
} diff_ctx;

/* The documented Azure messages a blocked step quotes. */
#define DIFF_MSG_NOT_RECOVERABLE \
	"Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection."
#define DIFF_MSG_KEY_VALIDATE \
	"Failed to validate key in Key Vault. Could be due to lack of permissions or when key doesn't exist."
#define DIFF_MSG_WS_NOT_FOUND \
	"Workspace not found. The workspace you specified doesn't exist or was deleted."
#define DIFF_MSG_REGION \
	"Your Azure Key Vault, cluster and workspaces must be in the same region and in the same Azure AD tenant"
#define DIFF_MSG_LINK_BUDGET \
	"The number of workspace link operations on particular workspace is limited to 2 in a period of 30 days."
#define DIFF_MSG_OTHER_CLUSTER "Workspace link to cluster will fail if it is linked to another cluster."
#define DIFF_MSG_MAX_WS "The maximum number of workspaces that can be linked to a cluster is 1000."
#define DIFF_MSG_QUOTA "The max number of cluster per region and subscription is 2."
#define DIFF_MSG_SOFT_DELETED \
	"The cluster name remains reserved during the soft-delete period and you can't create a new cluster with that name."
#define DIFF_MSG_CAPACITY_LOCK \
	"Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update."
#define DIFF_MSG_KV_AT_CREATION \
	"KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation."
#define DIFF_MSG_DELETING \
	"Cluster is in deleting state. Wait for the Async operation to complete and try again."

/* ---- the passes, in the order plan_build runs them (diff.c) ------------ */

/*
 * Run `one` on every manifest document of `kind`, in manifest order; stops
 * at the first error. `i` is the document's index in the set and in
 * c->docs.
 */
typedef int (*diff__doc_fn)(diff_ctx *c, size_t i);
int diff__each(diff_ctx *c, manifest_kind kind, diff__doc_fn one) CMK_WUR;

int diff__key(diff_ctx *c, size_t i) CMK_WUR;             /* diff_keys.c */
int diff__identity(diff_ctx *c, size_t i) CMK_WUR;        /* diff_identity.c */
int diff__cluster(diff_ctx *c, size_t i) CMK_WUR;         /* diff_cluster.c */
int diff__kusto(diff_ctx *c, size_t i) CMK_WUR;           /* diff_kusto.c */
int diff__link_list(diff_ctx *c, size_t i) CMK_WUR;       /* diff_links.c */
int diff__orphans(diff_ctx *c) CMK_WUR;                   /* diff_orphans.c */
int diff__unlisted(diff_ctx *c) CMK_WUR;                  /* diff_orphans.c */
int diff__link_limit(diff_ctx *c) CMK_WUR;                /* diff_links.c */
int diff__storage(diff_ctx *c, size_t i) CMK_WUR;         /* diff_storage.c */
int diff__component(diff_ctx *c, size_t i) CMK_WUR;       /* diff_components.c */

/* ---- small helpers (diff_ctx.c) ----------------------------------------- */

/* The index of `doc` in the set (and in c->docs); PLAN_NONE when absent. */
size_t diff__doc_index(const diff_ctx *c, const manifest_doc *doc);
/* "<Kind>/<name>", a new string (NULL on allocation failure). */
char *diff__address(const manifest_doc *d);
/* `s` unless NULL or empty, else `dflt`. */
const char *diff__or(const char *s, const char *dflt);
/* The last segment of an id (the name), or the id itself. */
const char *diff__last_segment(const char *id);
/* The tenant of subscription `sub` as the live model knows it, or NULL. */
const char *diff__tenant_of_sub(const diff_ctx *c, const char *sub);
/* The subscription id inside a resource id, copied into `out`; NULL
 * (and "") when `id` names none or it does not fit. */
const char *diff__sub_of(char *out, size_t size, const char *id);
/* The tenant of the subscription inside resource id `id`, or NULL. */
const char *diff__tenant_of_id(const diff_ctx *c, const char *id);
/* plan__touch the subscription inside `id` (nothing when it names none). */
int diff__touch_sub_of(diff_ctx *c, const char *id) CMK_WUR;
/* Add the resource `addr` for `id` and touch `id` (and its subscription
 * when `with_sub`); *res is its index. */
int diff__add_touched(size_t *res, diff_ctx *c, const char *addr, const char *id, bool with_sub) CMK_WUR;
/* The resource of a live workspace the manifests do not list,
 * "Workspace/<name>", touched; *addr (when `addr` is not NULL) receives
 * the address, for the caller to free (NULL on failure). */
int diff__add_workspace(size_t *res, char **addr, diff_ctx *c, const live_workspace *w) CMK_WUR;

/* Append a formatted reason to *list, "; " between reasons (*list NULL
 * when empty; a new string, owned by the caller). Unchanged on failure. */
int diff__append(char **list, const char *fmt, ...) CMK_PRINTF(2, 3) CMK_WUR;

/* ---- tags (diff_ctx.c) ---------------------------------------------------- */

typedef plan_pair diff__tag; /* key, value */

/* Compare desired tags with live ones, adding a change per difference.
 * Returns the number of changes, or a negative code. */
int diff__tags(diff_ctx *c, size_t res, const diff__tag *want, size_t n, const live_tags *have);
/* The "tags" parameter of `step`: the tags as one map, in order. */
int diff__tags_param(diff_ctx *c, size_t step, const diff__tag *tags, size_t n) CMK_WUR;
/* The manifest's tags, plus cmkctl's own when `policy` is not NULL. The
 * array points into the set; free() it. */
int diff__want_tags(diff__tag **out, size_t *n, const manifest_map *m, const char *policy) CMK_WUR;
/* Whether live tags hold `key` (any value when `value` is NULL). */
bool diff__has_tag(const live_tags *t, const char *key, const char *value);

/* ---- the write chain of one cluster (diff_cluster.c) -------------------- */

/* The wait for a running operation on `d`, added the first time a write
 * needs it (nothing when `d` is not busy). `what` names it in messages. */
int diff__ensure_wait(diff_ctx *c, diff__doc *d, const char *what) CMK_WUR;
/* Append `step` to the cluster's serialised chain of writes. */
int diff__chain(diff_ctx *c, diff__doc *d, size_t step, const char *what) CMK_WUR;
/* Make `step` wait for `d`'s chain (its running operation and its last
 * write) without joining it. */
int diff__after_chain(diff_ctx *c, diff__doc *d, size_t step) CMK_WUR;

/* ---- identities of clusters (diff_identity.c) -------------------------- */

/* Whether `ident` (may be NULL) is among a live identity's user-assigned ones. */
bool diff__has_user_identity(const diff__doc *ident, const live_identity *li);
/* `d`'s principal is the user-assigned identity's (known or read back). */
int diff__principal_of_identity(diff__doc *d, const diff__doc *ident) CMK_WUR;
/* `d`'s principal is read back from `step` (an identity change). */
int diff__principal_from_step(diff_ctx *c, diff__doc *d, size_t step) CMK_WUR;

/* ---- key access and key preflight (diff_keys.c) ------------------------- */

/*
 * Plan the grant of `k`'s key to the principal of `d` (a cluster or Kusto
 * cluster). *out is the grant step or PLAN_NONE. `missing` receives why the
 * access is missing when it is and no grant is planned (--no-grant).
 */
int diff__grant(size_t *out, diff_ctx *c, diff__doc *d, diff__doc *k, const char *who, bool key_in_use,
		int phase, char *missing, size_t missing_size) CMK_WUR;
/* Desired key identifier "<uri>keys/<name>/<version>" for messages (a new
 * string), NULL when `uri` or `name` is NULL. */
char *diff__key_text(const char *uri, const char *name, const char *version);
/* The keyVaultUri, keyName and keyVersion parameters of `step`. */
int diff__key_params(diff_ctx *c, size_t step, const diff__doc *k, const char *name, const char *version) CMK_WUR;
/* Block `step` for every reason the key or its vault cannot serve
 * `location` (region, tenant, key problems). */
int diff__block_key(diff_ctx *c, size_t step, const diff__doc *k, const char *location, const char *tenant,
		    const char *missing) CMK_WUR;
/* The "key" change of resource `res`: live key -> desired key. */
int diff__key_change(diff_ctx *c, size_t res, const diff__doc *k, const char *kname, const char *version,
		     const char *was_uri, const char *was_name, const char *was_version) CMK_WUR;
/* A revocation-risk finding when a cluster uses key `k` and it is unusable. */
int diff__key_unusable_finding(diff_ctx *c, const char *addr, bool key_in_use, const diff__doc *k) CMK_WUR;

/* ---- workspace links (diff_links.c) ---------------------------------------- */

/* Plan the unlink of live workspace `wi` for resource `res` (after a wait
 * when a link operation runs); `moving` when a link follows (the change
 * is then the link's). *out is the unlink step. */
int diff__unlink(size_t *out, diff_ctx *c, size_t res, size_t wi, const char *why, bool moving) CMK_WUR;

#endif
