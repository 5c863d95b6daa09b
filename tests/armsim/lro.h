/*
 * lro.h - asynchronous operations on the virtual clock (ARM RPC async
 * contract, armspec rpc/async-api-reference.md).
 *
 * A handler that accepts a long-running write calls lro_start() with a
 * duration (virtual seconds) and a completion callback, then lro_headers()
 * to answer 202/201/200 with Azure-AsyncOperation, Location and Retry-After.
 * Operations complete lazily: lro_tick() (run by the router before every
 * handler, under the state lock) calls the `complete` callback of every
 * operation whose end time has passed, in end-time order, and timers too.
 *
 * Status URL (Azure-AsyncOperation) answers 200 {id,name,status,startTime,
 * endTime?,percentComplete?,error?} — running status is the op's
 * `running_status` ("InProgress", "Updating", "Deleting", or Kusto's
 * "Running"). Location URL answers 202 while running, then the result:
 * the resource rendered (result = LRO_RESULT_RESOURCE), 200 with no body,
 * or 204, or the error with `fail_status` when the operation failed.
 */
#ifndef ARMSIM_LRO_H
#define ARMSIM_LRO_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http.h"

typedef enum {
	LRO_RUNNING = 0,
	LRO_SUCCEEDED,
	LRO_FAILED,
	LRO_CANCELED,
} lro_state;

typedef enum {
	LRO_RESULT_RESOURCE = 0, /* Location answers 200 + the resource */
	LRO_RESULT_OK_EMPTY,     /* 200, no body */
	LRO_RESULT_NO_CONTENT,   /* 204 */
} lro_result;

typedef struct sim_op sim_op;
/* Called once when the op's end time passes (state lock held). It applies
 * the change to the store; to fail the operation call lro_fail(op, ...). */
typedef void (*lro_complete_fn)(sim_op *op);

struct sim_op {
	char id[40];             /* GUID */
	char *provider;          /* "Microsoft.OperationalInsights" */
	char *location;          /* normalised: lower case, no spaces ("eastus") */
	char *subscription_id;
	char *resource_id;       /* the resource the operation acts on */
	char *resource_type;
	char *kind;              /* short name for logs/admin: "cluster.create" */
	char *running_status;    /* status while running */
	int64_t start_ms, end_ms;/* virtual clock */
	lro_state state;
	char *error_code, *error_message;
	int fail_status;         /* HTTP status of the Location URL on failure (default 400) */
	lro_result result;
	char *result_api_version;/* api-version used to render the result */
	lro_complete_fn complete;
	cJSON *ctx;              /* handler data (owned by the op), e.g. the desired doc */
	int retry_after;         /* seconds for Retry-After */
	bool report_percent;
	char *method;            /* of the request that started it */
};

typedef struct lro_start_opts {
	const char *provider;
	const char *location;
	const char *subscription_id;
	const char *resource_id;
	const char *resource_type;
	const char *kind;
	const char *running_status;   /* default "InProgress" */
	double duration_s;            /* virtual seconds */
	lro_result result;
	const char *api_version;      /* of the request (for the result render) */
	lro_complete_fn complete;
	cJSON *ctx;                   /* ownership moves to the op */
	int retry_after;              /* default g_settings.retry_after_s */
	bool report_percent;          /* status body carries percentComplete (Kusto) */
	const char *method;           /* of the starting request; NULL = the request whose
	                               * handler runs (lro_request_method) */
} lro_start_opts;

/* The router names the method of the request whose handler is about to run
 * (NULL once it returned): operations the handler starts remember it, and
 * "async_fail" fault rules match it. */
void lro_request_method(const char *method);

/* The operation the handler of the running request started (the last one),
 * or NULL; valid until the router's next lro_request_method(). */
sim_op *lro_request_started(void);
/* Called (state lock held) each time an operation ends, after its
 * completion callback: state is LRO_SUCCEEDED or LRO_FAILED. One hook (the
 * Activity Log's). */
typedef void (*lro_done_fn)(const sim_op *op);
void lro_done_hook_set(lro_done_fn fn);
/* Start an operation; returns it (owned by the engine) or NULL on OOM.
 * A matching "async_fail" fault rule makes it end Failed. */
sim_op *lro_start(const lro_start_opts *o);
/* Mark a running/completing operation failed. */
void lro_fail(sim_op *op, const char *code, const char *fmt, ...) CMK_PRINTF(3, 4);
/* Find an operation by id (any state), or NULL. */
sim_op *lro_find(const char *id);
/* The running operation on `resource_id`, or NULL. */
sim_op *lro_running_on(const char *resource_id);

typedef struct lro_header_opts {
	/* api-version written into the Azure-AsyncOperation URL; NULL = the
	 * request's. Log Analytics uses an older one ("2015-11-01-preview"
	 * seen in real traffic; configurable via /_sim/settings). */
	const char *status_api_version;
	bool lower_case_status_path; /* "operationstatuses" (LA) vs "operationStatuses" */
	const char *status_segment;  /* default "operationStatuses"; Kusto "operationresults" */
	bool location;               /* add Location (resource-scoped operationresults) */
	bool async_operation;        /* add Azure-AsyncOperation */
} lro_header_opts;

/* Set Azure-AsyncOperation / Location / Retry-After on resp for `op`. */
void lro_headers(const sim_req *req, sim_resp *resp, const sim_op *op,
		 const lro_header_opts *o);

/* Serve GET on a status URL for operation `op_id` (404 when unknown). */
/* The Retry-After header of a running operation: its virtual seconds divided
 * by the time scale (rounded up, at least 1), or as they are with setting
 * retryAfterRealSeconds. */
void lro_retry_after_header(sim_resp *resp, const sim_op *op);
/* Seed of the status-URL error draws (statusErrorRate); main passes --seed. */
void lro_seed(uint64_t seed);

void lro_serve_status(sim_req *req, sim_resp *resp, const char *op_id);
/* Serve GET on a Location (operation result) URL. */
void lro_serve_result(sim_req *req, sim_resp *resp, const char *op_id);

/* Complete due operations and timers (router calls it; admin after a clock
 * advance). */
void lro_tick(void);

/* One-shot timer on the virtual clock (store lock held when it fires). */
typedef void (*sim_timer_fn)(cJSON *ctx);
void sim_timer_add(int64_t at_ms, sim_timer_fn fn, cJSON *ctx);

/* A function run at the end of every lro_tick() (state lock held): derived
 * state that depends on time or on other resources (e.g. Log Analytics key
 * revocation) is re-evaluated there. */
typedef void (*sim_tick_hook)(void);
void sim_tick_hook_add(sim_tick_hook fn);

/* Name a completion callback so running operations survive a state dump
 * and load (GET/PUT /_sim/state): each res_*_register() registers every
 * lro_complete_fn it passes to lro_start() under a stable name
 * ("la.cluster_created"). Returns 0, or CMK_EINVALID when the table is full
 * or the name is taken by another function. `name` must outlive the process
 * (a literal). */
int lro_register_fn(const char *name, lro_complete_fn fn);

/* Add an operation from a fixture/dump entry.
 * {"id","provider","location","subscriptionId","resourceId","status",
 *  "startTime","endTime"}: a finished operation (the operations an example
 * presumes). An entry with "_sim" (written by lro_state_dump) is restored
 * whole, running ones included: times, kind, ctx, method and the completion
 * callback by its registered name; an unknown name is CMK_EINVALID naming
 * the operation. */
int lro_inject(const cJSON *op);

/* Every kept operation (oldest first) in the lro_inject format with "_sim",
 * for the state dump; caller owns it. */
cJSON *lro_state_dump(void);

/* Admin: every operation as JSON; drop all. */
cJSON *lro_dump(void);
void lro_clear(void);

#endif
