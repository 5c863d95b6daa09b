/*
 * live_azure.h - the live state of the estate the manifests describe, read
 * from Azure (providers/live_read.h) with a client configured the way every
 * cmkctl command configures it: cloud and credential from the environment
 * (cloud.h, auth.h), never from argv.
 *
 * live_azure_scope turns a validated manifest_set into the live_scope of
 * every resource the planner compares: subscriptions, clusters, workspaces
 * (links and linked storage), vaults and keys, identities, Kusto clusters,
 * components, with the link state of listed workspaces.
 *
 * Environment read by live_azure_connect (besides cloud.h / auth.h):
 *   CMKCTL_TIME_SCALE   virtual seconds per real second for every wait; set
 *                       only against an emulator whose clock runs faster
 *                       (armsim --time-scale). Default 1.
 */
#ifndef CMK_LIVE_AZURE_H
#define CMK_LIVE_AZURE_H

#include <signal.h>

#include "common/error.h"
#include "common/live.h"
#include "planner/manifest.h"
#include "providers/arm.h"
#include "providers/live_read.h"

typedef struct {
	volatile sig_atomic_t *cancel; /* raised by a signal handler, or NULL */
	unsigned max_parallel;         /* transfers in flight; 0: the client's default */
} live_azure_opts;

/*
 * A client for the configured cloud: the client and the cloud it borrows,
 * released together by live_azure_disconnect (safe on a zeroed value).
 * CMK_EINVALID for a bad cloud setting or CMKCTL_TIME_SCALE.
 */
typedef struct {
	arm_client *client;
	arm_cloud *cloud;
} live_azure_conn;

int live_azure_connect(live_azure_conn *out, const live_azure_opts *opts) CMK_WUR;
void live_azure_disconnect(live_azure_conn *conn);

/* The scope of `set` (validated). Strings of *out point into `set` and into
 * storage owned by *out: release with live_azure_scope_free. */
typedef struct {
	live_scope scope;
	/* private: the arrays behind scope */
	const char **subs_, **clusters_, **workspaces_, **ls_ws_, **vaults_, **ids_, **kusto_, **comps_;
	live_scope_key *keys_;
	char **owned_;
	size_t owned_count_;
} live_azure_scope;

int live_azure_scope_build(live_azure_scope *out, const manifest_set *set) CMK_WUR;
void live_azure_scope_free(live_azure_scope *s);

/* Read the live state of `set` into *out (see live_read). */
int live_azure_read(live_state *out, arm_client *c, const manifest_set *set) CMK_WUR;

#endif
