/*
 * shard.h - split one estate over many runners: which manifest documents a
 * run owns.
 *
 * A document belongs to the subscription of the Azure resource it names
 * (manifest_doc_resource_id: the cluster, identity, vault of a key, ADX
 * cluster, component, or the workspace of a linked storage account); a
 * WorkspaceLink belongs to its cluster's subscription.
 *
 *   --subscription ID   (repeatable) own the documents of these
 *                       subscriptions only
 *   --shard K/N         own the documents whose subscription hashes to
 *                       shard K of N: 1 + FNV-1a-64(lower-case id) mod N.
 *                       Stable across runs, machines and estate changes
 *                       (a subscription never moves unless N changes).
 * Both given: a document must pass both.
 *
 * A run plans its owned documents plus the documents they reference
 * (transitively), which the planner needs. A referenced KeyVaultKey owned
 * by another shard is fine (keys are never written: a central key vault
 * subscription is the usual layout); any other referenced document owned
 * elsewhere would be written by two runs, so the selection is refused
 * with both documents, their subscriptions and the fix named.
 */
#ifndef CMK_SHARD_H
#define CMK_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "planner/manifest.h"

#define SHARD_MAX_SUBSCRIPTIONS 256

typedef struct {
	const char *subscriptions[SHARD_MAX_SUBSCRIPTIONS]; /* borrowed (argv) */
	size_t nsubs;
	unsigned k, n; /* --shard K/N; n == 0: not sharded */
} shard_filter;

#define SHARD_FILTER_INIT { .nsubs = 0 }

bool shard_filter_active(const shard_filter *f);

/* FNV-1a 64 of the lower-cased subscription id, and the 1-based shard of
 * `subscription` among `n`. */
uint64_t shard_hash(const char *subscription);
unsigned shard_of(const char *subscription, unsigned n);

/* Whether `subscription` passes the filter (an inactive filter passes all). */
bool shard_filter_owns(const shard_filter *f, const char *subscription);

/* The subscription a document belongs to, into `out` (lower-cased).
 * CMK_ENOTFOUND (message set) when it names none (a WorkspaceLink whose
 * cluster reference is unresolved). `d` must come from a validated set. */
int shard_doc_subscription(char *out, size_t size, const manifest_doc *d) CMK_WUR;

/*
 * The documents of `set` (validated) this run plans: the owned ones and
 * everything they reference, in load order, as a view: *out is a
 * manifest_set whose docs are borrowed from `set` (files too). Free it
 * with shard_view_free only, never manifest_set_free, and before `set`.
 * `owned` (optional) counts the owned documents. CMK_EINVALID when an
 * owned document references a non-key document owned elsewhere.
 */
int shard_select(manifest_set **out, size_t *owned, const shard_filter *f, const manifest_set *set) CMK_WUR;
void shard_view_free(manifest_set *view);

/*
 * A short file-name-safe key for the scope the filter selects, used for
 * the reconcile lock and state: "all", "shard-2-of-8",
 * "subs-<16 hex of the hash of the sorted lower-cased ids>", or both
 * joined by "-". */
void shard_scope_key(char *out, size_t size, const shard_filter *f);

#endif
