/*
 * live_read.h - build the live model (common/live.h) for a scope of
 * resource ids with as few requests as ARM allows, all run concurrently in
 * the client's one loop.
 *
 * What is read, and how:
 *  - every subscription named by the scope (explicitly, or as the
 *    subscription of a cluster or workspace): GET the subscription (its
 *    tenant), one paged list of its Log Analytics clusters, one list of its
 *    workspaces - whose features.clusterResourceId gives every link
 *    without a GET per workspace. Everything those lists return is kept,
 *    not only what the scope names (links to a cluster the manifests do not
 *    list matter to the planner). A workspace in a subscription that no
 *    list covers but that a read cluster names in associatedWorkspaces is
 *    added from that entry (id, name, customerId, the link; no location);
 *  - one GET per vault, then, as soon as the vault's URI is known, one
 *    data-plane GET per key of that vault, and for a vault with RBAC
 *    authorization one list of the role assignments at (and below) its
 *    scope;
 *  - user-assigned identities, Kusto clusters and components: a GET each,
 *    or one list of the subscription when the scope names two or more of a
 *    kind in it (whichever takes fewer requests);
 *  - linked storage accounts: one (unpaged) list per workspace named in
 *    linked_storage_workspaces;
 *  - with `link_state`, one GET of the linked service of each named
 *    workspace the list shows unlinked (to see a link in flight), at most
 *    `link_state_max` of them (0: 100) so that a first rollout of 1000
 *    links does not cost 1000 reads; the others keep link_state NULL (a
 *    link in flight then shows at apply time as a 409 "wait, then retry").
 * A resource that does not exist (404 on a GET) is simply absent from the
 * model (a missing key is present with exists = false). Any other failure
 * fails the read with the first error's message; the other reads still run
 * to completion first, so nothing is left in flight.
 *
 * Every collection of the result is sorted by resource id (keys by vault
 * and name), so the same Azure state always reads as the same model.
 *
 * A no-change read of one cluster with 1000 linked workspaces in one
 * subscription is 5 requests (subscription, clusters, workspaces, vault,
 * key) plus the two token requests of a fresh client.
 */
#ifndef CMK_PROVIDERS_LIVE_READ_H
#define CMK_PROVIDERS_LIVE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

typedef struct {
	const char *vault_id; /* the vault's resource id (must be in `vaults` too, or
			       * it is added) */
	const char *name;
} live_scope_key;

/* Resource ids the desired model refers to. Every list may be empty; the
 * strings are borrowed for the duration of the call. */
typedef struct {
	const char *const *subscriptions;  size_t subscription_count;
	const char *const *clusters;       size_t cluster_count;
	const char *const *workspaces;     size_t workspace_count;
	const char *const *linked_storage_workspaces; size_t linked_storage_workspace_count;
	const char *const *vaults;         size_t vault_count;
	const live_scope_key *keys;        size_t key_count;
	const char *const *identities;     size_t identity_count;
	const char *const *kusto_clusters; size_t kusto_cluster_count;
	const char *const *components;     size_t component_count;
	bool link_state;
	size_t link_state_max;             /* 0: 100; SIZE_MAX: no limit */
} live_scope;

/*
 * Read the scope into *out (overwritten; free with live_state_free).
 * out->requests is the number of HTTP transfers the read made, token
 * requests and retries included. Returns 0, or the code of the first
 * failure (CMK_EAUTH, CMK_ETHROTTLED, CMK_EINVALID for an id that names no
 * subscription, ...) with *out empty.
 */
int live_read(live_state *out, arm_client *c, const live_scope *scope) CMK_WUR;

#endif
