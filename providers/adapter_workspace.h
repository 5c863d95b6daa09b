/*
 * adapter_workspace.h - Log Analytics workspaces
 * (Microsoft.OperationalInsights/workspaces, 2026-03-01) as the live model
 * sees them: id, name, location, customerId and the cluster link
 * (properties.features.clusterResourceId).
 *
 * Listing workspaces by subscription is how cmkctl reads every link at
 * once: one list (the spec's list is not paged; nextLink is followed when
 * a server pages anyway) instead of a GET per workspace. link_state stays
 * NULL (the list does not show an operation in flight; see adapter_link.h)
 * and link_operations_30d -1 (ARM does not tell).
 *
 * cmkctl does not create or change workspaces: their only write is the
 * link (adapter_link.h).
 */
#ifndef CMK_PROVIDERS_ADAPTER_WORKSPACE_H
#define CMK_PROVIDERS_ADAPTER_WORKSPACE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

/* Append the workspace `doc` (GET/list item) to into->workspaces. */
int adapter_workspace_add(live_state *into, const cJSON *doc) CMK_WUR;

/* GET one workspace; CMK_ENOTFOUND when it does not exist. */
int adapter_workspace_get(live_state *into, arm_client *c, const char *workspace_id) CMK_WUR;

/* Every workspace of a subscription into into->workspaces. */
int adapter_workspace_list(live_state *into, arm_client *c, const char *subscription) CMK_WUR;

/* Every workspace of each subscription the `n` resource ids name (one
 * list per subscription, however many ids share it) into into->workspaces:
 * how many links are observed and verified at once. An id that names no
 * subscription is skipped; *lists (may be NULL) counts the lists made.
 * Stops at the first list that fails (its error). */
int adapter_workspace_list_of(live_state *into, arm_client *c, const char *const *ids, size_t n,
			      size_t *lists) CMK_WUR;

#endif
