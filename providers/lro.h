/*
 * lro.h - long-running ARM operations: start, follow, resume, wait on many.
 *
 * An operation is followed the way the ARM RPC says (armspec rpc/
 * async-api-reference.md): the Azure-AsyncOperation URL when the write
 * answered with one, else the Location URL, else the resource's
 * provisioningState. Status values compare case-insensitively; Succeeded,
 * Failed and Canceled are terminal, anything else ("InProgress", "Running",
 * "Updating", "Accepted", ...) is not. A 4xx/5xx from an Azure-AsyncOperation
 * URL (or a 5xx, 401, 403, 404 from a Location URL) means the status could not
 * be read - it is retried, it does not fail the operation; another 4xx from a
 * Location URL is the operation's own synchronous answer: Failed. A 404 or 410
 * from the status URL (a DELETE's Location: 404 is success) means the
 * operation record is gone - a front-end restart, an expired record - not the
 * operation: the operation switches to the resource's provisioningState
 * (arm_op_follow_resource) and ends on its terminal value, a DELETE when the
 * resource answers 404. The write is never sent again.
 * A write that completes synchronously (200/201 with a terminal or missing
 * provisioningState, or 200/204 to a DELETE) is accepted although the spec
 * says "long-running": the service does that.
 *
 * After success the resource body is fetched per final-state-via (location:
 * the Location URL; original-uri: the resource), so the caller gets what the
 * resource looks like now. Polls wait for Retry-After (clamped to
 * [min_poll, max_poll]) or a default - never busy. Every operation kind has a
 * timeout from the docs (cluster creation hours, key update "a few minutes" but
 * 35 seen, link and unlink 90 minutes); the client's cancel flag stops a wait.
 *
 * An operation is a small value - kind, method, resource id and URL, polling
 * URLs, start time, last status - that serialises to JSON (arm_op_to_json)
 * so an interrupted apply can resume the wait (arm_op_from_json) instead of
 * writing again. Many operations are polled concurrently in the client's one
 * loop (arm_op_wait_all).
 */
#ifndef CMK_PROVIDERS_LRO_H
#define CMK_PROVIDERS_LRO_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "providers/arm.h"
#include "providers/arm_error.h"

/* What the operation does; sets its default timeout and names it in logs. */
typedef enum {
	ARM_OP_GENERIC = 0,        /* 1 h */
	ARM_OP_CLUSTER_CREATE,     /* LA cluster creation: "hours" -> 6 h */
	ARM_OP_CLUSTER_UPDATE,     /* sku/billing/identity update: 1 h */
	ARM_OP_CLUSTER_KEY_UPDATE, /* key identifier update: "a few minutes", seen 35 min -> 2 h */
	ARM_OP_CLUSTER_DELETE,     /* 2 h (unlinks every workspace first) */
	ARM_OP_WORKSPACE_LINK,     /* "up to 90 minutes" */
	ARM_OP_WORKSPACE_UNLINK,   /* "up to 90 minutes" */
	ARM_OP_WORKSPACE_CREATE,   /* 30 min */
	ARM_OP_WORKSPACE_DELETE,   /* 30 min */
	ARM_OP_KUSTO_CREATE,       /* 2 h */
	ARM_OP_KUSTO_UPDATE,       /* 2 h */
	ARM_OP_KUSTO_DELETE,       /* 2 h */
	ARM_OP_VAULT_CREATE,       /* 30 min */
	ARM_OP_VAULT_PURGE,        /* 1 h */
	ARM_OP_KIND_COUNT
} arm_op_kind;

/* Where the final resource body comes from after success. */
typedef enum {
	ARM_FINAL_DEFAULT = 0,     /* PUT/PATCH: original URI; DELETE: none; POST: Location */
	ARM_FINAL_LOCATION,        /* the Location URL (LA clusters, workspaces, Kusto, ...) */
	ARM_FINAL_ORIGINAL_URI,    /* GET the resource */
	ARM_FINAL_ASYNC_OPERATION, /* the status body's "properties" */
	ARM_FINAL_NONE,            /* nothing */
} arm_final_via;

/* How the operation is being followed. */
typedef enum {
	ARM_POLL_NONE = 0,         /* completed synchronously: nothing to poll */
	ARM_POLL_ASYNC_OPERATION,  /* GET Azure-AsyncOperation: 200 {status} */
	ARM_POLL_LOCATION,         /* GET Location: 202 while running, then the result */
	ARM_POLL_RESOURCE,         /* GET the resource: properties.provisioningState */
} arm_poll_mode;

/*
 * The state machine of one operation.
 *
 *   POLL_WAIT --(answer: running)--> POLL_WAIT
 *       |--(Succeeded)--> FINAL_GET --> SUCCEEDED
 *       |--(Succeeded, no final GET wanted)--> SUCCEEDED
 *       |--(Failed)--> FAILED        |--(Canceled)--> CANCELED
 *       |--(could not read: 4xx/5xx/reset; retried)--> POLL_WAIT
 *       |--(status URL 404/410: record gone)--> POLL_WAIT, mode RESOURCE
 *       |--(still running at the deadline)--> TIMED_OUT
 *       `--(URL refused / unreadable too often / cancel flag)--> ERROR
 */
typedef enum {
	ARM_OP_POLL_WAIT = 0, /* a status request is scheduled (after Retry-After or the
			       * default interval) or in flight */
	ARM_OP_FINAL_GET,     /* succeeded; fetching the resource body (final-state-via) */
	ARM_OP_SUCCEEDED,     /* terminal: done, op->result may hold the resource */
	ARM_OP_FAILED,        /* terminal: ARM said Failed; op->error says why */
	ARM_OP_CANCELED,      /* terminal: ARM said Canceled */
	ARM_OP_TIMED_OUT,     /* terminal for this wait: our deadline passed (resumable) */
	ARM_OP_ERROR,         /* terminal for this wait: could not follow it (resumable) */
} arm_op_state;

typedef struct arm_op {
	/* the serialisable part */
	arm_op_kind kind;
	char *method;          /* the write that started it: "PUT" */
	char *resource_id;     /* ARM id of the resource */
	char *resource_url;    /* path or URL to GET the resource (no api-version) */
	char *api_version;     /* api-version of the resource GET */
	char *async_url;       /* Azure-AsyncOperation (never truncated), or NULL */
	char *location_url;    /* Location, or NULL */
	arm_poll_mode mode;
	arm_final_via final_via;
	int64_t started_ms;    /* wall clock, epoch milliseconds */
	int64_t timeout_s;     /* virtual seconds; set from the kind, may be changed */
	char *last_status;     /* last status seen ("InProgress"), or NULL */
	int64_t retry_after_ms;/* last Retry-After (virtual ms), -1 none */

	/* the result of a wait */
	arm_op_state state;
	cJSON *result;         /* resource body after success, or NULL; owned */
	arm_error *error;      /* FAILED, CANCELED, TIMED_OUT, ERROR; owned */
	unsigned polls;        /* status requests made */
	unsigned read_failures;/* consecutive unreadable statuses */
	int poll_now;          /* the next wait asks at once (resumed or waited again) */
	int observed;          /* set by the caller: not polled one by one, the wait's
				* observe hook decides (see arm_op_wait_opts) */

	/* runtime of a wait (not serialised) */
	struct arm_op__rt *rt;
} arm_op;

typedef struct {
	int64_t default_poll_ms; /* virtual; without Retry-After: 0 -> 30 s */
	int64_t min_poll_ms;     /* virtual; 0 -> 1 s (no busy polling) */
	int64_t max_poll_ms;     /* virtual; 0 -> 10 min (contract maximum) */
	unsigned max_read_failures; /* consecutive unreadable statuses; 0 -> 20 */
	/*
	 * Observing many operations with one read (1000 workspace links are one
	 * list call, not 1000 polls). Operations with `observed` set are not
	 * polled; every observe_ms (virtual; 0 -> default_poll_ms) `observe` is
	 * called with those still running. It may send requests on `c` (blocking
	 * calls are fine) and ends operations with arm_op_complete / arm_op_fail;
	 * the wait's deadlines still apply. A negative return ends the wait with
	 * that code for every observed operation still running.
	 */
	int (*observe)(void *ud, arm_client *c, arm_op **ops, size_t n);
	void *observe_ud;
	int64_t observe_ms;
	/*
	 * Adding operations to a running wait, so a caller can start work as
	 * soon as what it depends on ended (the executor runs a step the
	 * moment its dependencies succeeded, not when a whole batch is over).
	 * `more` is called after every batch of completions and every observe
	 * round (never from inside `observe` or itself). It may send requests
	 * on `c` (blocking calls are fine) and hand out operations to wait for
	 * as well: *add points at *nadd operations (an array that stays the
	 * caller's; the pointers are copied). The operations stay the caller's
	 * and are treated as those passed to arm_op_wait_all. With `more` set,
	 * the wait ends when nothing runs and `more` added nothing. A negative
	 * return stops calling it; the wait goes on for what runs.
	 */
	int (*more)(void *ud, arm_client *c, arm_op ***add, size_t *nadd);
	void *more_ud;
} arm_op_wait_opts;

/* Status strings: 1 running, 0 succeeded, and the terminal failures. */
typedef enum {
	ARM_STATUS_RUNNING = 0,
	ARM_STATUS_SUCCEEDED,
	ARM_STATUS_FAILED,
	ARM_STATUS_CANCELED,
} arm_status_class;

/* Classify a status / provisioningState: live_provisioning_classify
 * (common/live.h) in this module's terms (NULL or "" is Succeeded for a
 * provisioningState, per the RPC: callers of async status bodies check for a
 * missing status themselves). */
arm_status_class arm_status_classify(const char *status);

const char *arm_op_state_name(arm_op_state state);
const char *arm_op_kind_name(arm_op_kind kind);
int arm_op_kind_parse(arm_op_kind *out, const char *name) CMK_WUR;
/* Default timeout of a kind, virtual seconds. */
int64_t arm_op_kind_timeout_s(arm_op_kind kind);

/*
 * Build an operation from the answer to a write. `resource_url` is the path
 * (or URL) the write went to, without api-version; `api_version` is used for
 * the resource GET. A response that already says done yields state
 * SUCCEEDED (result = its body when it has one).
 */
int arm_op_from_response(arm_op **out, arm_op_kind kind, const char *method,
			 const char *resource_url, const char *api_version,
			 const char *resource_id, const arm_response *resp,
			 arm_final_via final_via) CMK_WUR;

/*
 * Send the write `req` (its url is the resource's path, api_version set) and
 * build its operation. On an HTTP error returns its code with *err_out (may
 * be NULL) set to the structured error - check err->klass ==
 * ARM_ERROR_WAIT_RUNNING for "another operation is running: wait, then send
 * again". Does not wait: see arm_op_wait / arm_op_wait_all.
 */
int arm_op_begin(arm_op **out, arm_client *c, arm_op_kind kind, const arm_request *req,
		 const char *resource_id, arm_final_via final_via,
		 arm_error **err_out) CMK_WUR;

/*
 * Send n writes concurrently (paced, in the one loop) and build their
 * operations: what 1000 workspace links need instead of 1000 round trips in
 * a row. outs[i], rcs[i] and errs[i] (errs may be NULL) get what
 * arm_op_begin would have given for reqs[i]; resource_ids may be NULL.
 * Returns 0 when every write was accepted, else the first failure's code.
 */
int arm_op_begin_all(arm_op **outs, int *rcs, arm_error **errs, arm_client *c,
		     arm_op_kind kind, const arm_request *reqs,
		     const char *const *resource_ids, size_t n, arm_final_via final_via) CMK_WUR;

/* Wait for every operation (concurrently, one loop). Operations already
 * terminal are left alone; TIMED_OUT and ERROR ones are followed again.
 * Returns 0 when all SUCCEEDED, else the code of the first that did not (its
 * message is the last error): CMK_ERROR (Failed), CMK_ECANCELED (Canceled or
 * the cancel flag), CMK_ETIMEOUT, or the code of the read failure. Each op's
 * state, result and error tell the whole story. `opts` may be NULL. */
int arm_op_wait_all(arm_client *c, arm_op **ops, size_t n, const arm_op_wait_opts *opts)
	CMK_WUR;
int arm_op_wait(arm_client *c, arm_op *op, const arm_op_wait_opts *opts) CMK_WUR;

/* End an operation from outside (an observe hook, or an adapter that saw
 * the result some other way). arm_op_complete: SUCCEEDED, takes ownership of
 * `result` (may be NULL). arm_op_fail: FAILED (or CANCELED when err->code is
 * CMK_ECANCELED), takes ownership of `err`. Only for operations that are not
 * polled one by one (`observed` set) or not inside a wait. */
void arm_op_complete(arm_op *op, cJSON *result);
void arm_op_fail(arm_op *op, arm_error *err);

/*
 * Follow `op` by its resource's provisioningState from now on (mode
 * ARM_POLL_RESOURCE, no final GET: the resource read that ends it is the
 * result; polls at once when next waited on). What a wait does itself when the
 * status URL answers 404/410, and what a resumed apply does for an operation
 * it could not follow. The polling URLs are kept (they are still serialised).
 * CMK_EINVALID when the operation has no resource URL.
 */
int arm_op_follow_resource(arm_op *op) CMK_WUR;

/* Serialise the resumable part:
 * {"version":1,"kind":"cluster.create","method":"PUT","resourceId":...,
 *  "resourceUrl":...,"apiVersion":...,"asyncOperation":...,"location":...,
 *  "pollMode":"async-operation","finalStateVia":"location",
 *  "startedAt":"2026-11-23T16:40:00.123Z","timeoutSeconds":21600,
 *  "lastStatus":"InProgress"}  (*out owned by the caller)
 * An operation that switched to its resource keeps version 1: it serialises
 * as "pollMode":"provisioning-state", "finalStateVia":"none", with its old
 * polling URLs, which every version-1 reader already understands. */
int arm_op_to_json(cJSON **out, const arm_op *op) CMK_WUR;
/* The inverse; CMK_EINVALID naming the bad member. The operation is in state
 * POLL_WAIT and polls immediately when waited on. */
int arm_op_from_json(arm_op **out, const cJSON *doc) CMK_WUR;

void arm_op_free(arm_op *op);

#endif
