/*
 * adapter_link.h - the cluster link of a workspace: the linked service
 * `workspaces/{ws}/linkedServices/cluster` (Microsoft.OperationalInsights,
 * 2026-03-01).
 *
 * Link = PUT {properties: {writeAccessResourceId: <cluster id>}}, unlink =
 * DELETE; both are long-running ("up to 90 minutes") and return an arm_op
 * of kind ARM_OP_WORKSPACE_LINK / _UNLINK whose resource is the linked
 * service. A 409 "Workspace link or unlink operation in process" comes back
 * as CMK_ECONFLICT with err->klass ARM_ERROR_WAIT_RUNNING. Each call counts
 * against the documented budget of two link/unlink operations per workspace
 * in 30 days: callers decide, this layer only sends.
 *
 * adapter_link_observe is an observe hook for arm_op_wait_all (lro.h): it
 * watches any number of link/unlink operations with one workspace list per
 * subscription per round instead of one poll per operation, confirms each
 * with its own status once the list shows it (see adapter_link_observer), and, every
 * `poll_every` rounds, reads the linked service of up to `probe_max`
 * operations still running (taking turns) so that a failed link is
 * reported instead of waiting for its deadline - a bounded cost, whatever
 * the number of operations.
 */
#ifndef CMK_PROVIDERS_ADAPTER_LINK_H
#define CMK_PROVIDERS_ADAPTER_LINK_H

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"
#include "providers/lro.h"

/* The linked service's path for a workspace ("{ws}/linkedServices/cluster");
 * *out owned by the caller. */
int adapter_link_url(char **out, const char *workspace_id) CMK_WUR;

/* PUT the link of `workspace_id` to `cluster_id`. */
int adapter_link_begin(arm_op **out, arm_client *c, const char *workspace_id,
		       const char *cluster_id, arm_error **err_out) CMK_WUR;

/* DELETE the link of `workspace_id`. */
int adapter_unlink_begin(arm_op **out, arm_client *c, const char *workspace_id,
			 arm_error **err_out) CMK_WUR;

/*
 * Link n workspaces at once, workspace_ids[i] to cluster_ids[i] (or unlink
 * them all: cluster_ids NULL): the writes go out concurrently, paced, in
 * the one loop (arm_op_begin_all) - 1000 links are not 1000 round trips in
 * a row. outs[i], rcs[i] and errs[i] (errs may be NULL) get what
 * adapter_link_begin / adapter_unlink_begin would have given for
 * workspace_ids[i]. Returns 0 when every write was accepted, else the
 * first failure's code.
 */
int adapter_link_begin_all(arm_op **outs, int *rcs, arm_error **errs, arm_client *c,
			   const char *const *workspace_ids, const char *const *cluster_ids,
			   size_t n) CMK_WUR;

/*
 * The record of a link of `workspace_id` about to be sent, for a
 * write-ahead journal: an operation that, when waited for, is settled by
 * the workspace list and the linked service (like a sent link), so a run
 * killed before the answer arrived still finds out whether it was sent.
 */
int adapter_link_intent(arm_op **out, const char *workspace_id) CMK_WUR;

/*
 * Waiting for a workspace's linked service to be idle (no link or unlink
 * running). adapter_link_wait_begin: an operation (observed: never polled
 * by lro) that adapter_link_wait_check ends - one linked-service read per
 * call, *state_out (may be NULL) the state it read while still running
 * (owned by the caller). adapter_link_wait_idle: the same, blocking, for
 * at most twice the documented 90 minutes (CMK_ETIMEOUT, CMK_ECANCELED).
 */
int adapter_link_wait_begin(arm_op **out, const char *workspace_id) CMK_WUR;
void adapter_link_wait_check(char **state_out, arm_client *c, arm_op *op);
int adapter_link_wait_idle(arm_client *c, const char *workspace_id) CMK_WUR;

/* Read a linked service document (the GET answer): *state_out its
 * properties.provisioningState, *cluster_out its writeAccessResourceId
 * (either out may be NULL; each NULL when absent; owned by the caller).
 * Tolerant like every adapter: a member of the wrong type reads as absent.
 * Only CMK_ENOMEM fails (then both outs are NULL). */
int adapter_link_parse(char **state_out, char **cluster_out, const cJSON *doc) CMK_WUR;

/* GET the linked service: *state_out its provisioningState ("Succeeded",
 * "ProvisioningAccount", "Updating", "Deleting"), *cluster_out its
 * writeAccessResourceId (both may be NULL; owned by the caller).
 * CMK_ENOTFOUND when the workspace has no cluster link. */
int adapter_link_get(char **state_out, char **cluster_out, arm_client *c,
		     const char *workspace_id) CMK_WUR;

/* Set link_state of the workspace in `into` (which must hold it) from the
 * linked service; NULL when there is none. */
int adapter_link_read_into(live_state *into, arm_client *c, const char *workspace_id) CMK_WUR;

/* State of adapter_link_observe; zero-initialise, set poll_every (0: 10),
 * probe_max (0: 20) and confirm_max (0: 20). An operation is done when the
 * workspace list shows it as intended AND its own status (Azure-
 * AsyncOperation, else Location, else the linked service) says it is over;
 * at most confirm_max such status reads are made (then the list decides
 * alone). A status that cannot be read, a linked service not found yet, a
 * list that has not caught up: "not yet", within the operation's deadline
 * (a link's linked service answering 404: failed only after 15 virtual
 * minutes with no status URL and the workspace not linked). */
typedef struct {
	unsigned poll_every;
	unsigned probe_max;
	unsigned long confirm_max;
	unsigned long confirms; /* status reads of settled operations made */
	unsigned rounds;
	size_t cursor;        /* where the next probe round starts */
	unsigned long lists;  /* workspace lists made */
	unsigned long probes; /* linked-service reads made */
} adapter_link_observer;

/* arm_op_wait_opts.observe for link/unlink operations (ud: an
 * adapter_link_observer). Operations of other kinds are left alone. */
int adapter_link_observe(void *ud, arm_client *c, arm_op **ops, size_t n);

#endif
