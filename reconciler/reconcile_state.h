/*
 * reconcile_state.h - what the reconcile loop keeps besides the apply
 * journal: the scope lock, the counters behind its metrics, the status
 * file, and the loopback metrics endpoint.
 *
 * Lock: <state-dir>/reconcile-<scope>.lock (shard.h shard_scope_key),
 * flock(LOCK_EX | LOCK_NB) held for the life of the process, with the
 * holder's pid written in it for the message the loser gets. Two instances
 * on one machine (or on hosts sharing a state directory on a local
 * filesystem) never reconcile the same scope; across machines see README
 * "Reconcile loop" (one runner per scope: CI concurrency groups, a
 * Kubernetes CronJob with concurrencyPolicy Forbid).
 *
 * Metrics (Prometheus text format 0.0.4), cumulative since start unless
 * said: cmkctl_reconcile_iterations_total{result}, cmkctl_reconcile_
 * duration_seconds (last iteration), cmkctl_steps_total{result},
 * cmkctl_drift_resources (last iteration), cmkctl_planned_steps (last),
 * cmkctl_arm_requests_total, cmkctl_arm_throttled_total,
 * cmkctl_arm_retries_total, cmkctl_last_success_timestamp_seconds,
 * cmkctl_last_run_timestamp_seconds, cmkctl_source_info{commit,scope,mode}.
 *
 * Files (status, metrics) are written to a temporary file in the same
 * directory with mode 0600 and renamed over the target, so readers (a
 * textfile collector, a health probe) never see half a file.
 */
#ifndef CMK_RECONCILE_STATE_H
#define CMK_RECONCILE_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"

/* ---- lock */

typedef struct reconcile_lock reconcile_lock;

/* Take the lock of `scope` in `dir` (created 0700). CMK_ECONFLICT, naming
 * the holder's pid and the lock file, when another process holds it;
 * CMK_ERROR for I/O. */
int reconcile_lock_acquire(reconcile_lock **out, const char *dir, const char *scope) CMK_WUR;
const char *reconcile_lock_path(const reconcile_lock *l);
void reconcile_lock_release(reconcile_lock *l);

/* ---- counters, status and metrics */

enum { RECONCILE_STEP_RESULTS = 5 }; /* succeeded failed skipped not_started running */

typedef struct {
	const char *scope;           /* borrowed */
	const char *mode;            /* "apply" or "drift" */
	long iterations_ok, iterations_failed;
	unsigned long steps[RECONCILE_STEP_RESULTS];
	double last_duration_s;
	long drift_resources;        /* last iteration; -1 before the first */
	long planned_steps;          /* last iteration */
	unsigned long arm_requests, arm_throttled, arm_retries;
	time_t last_success, last_run; /* 0: never */
	char last_result[32];        /* "succeeded", "no-changes", "drift", "in-sync",
				      * "failed", "interrupted", "" before the first */
	char last_error[1024];
	char commit[48];             /* the source's commit, "" for a directory */
	cJSON *last_source;          /* revision record of the last iteration (owned) */
	long iteration;              /* number of the current / last iteration */
	char state[16];              /* "starting", "running", "waiting", "stopped" */
	time_t next_run;
	char metrics_listen[80];     /* "127.0.0.1:PORT" when served */
} reconcile_stats;

/* Index of a step result name in steps[] ("succeeded", "failed",
 * "skipped", "not_started", "running"). */
const char *reconcile_step_result_name(int i);

int reconcile_metrics_render(cmk_buf *out, const reconcile_stats *s) CMK_WUR;
/* The status document (new object, caller deletes):
 * {"version":1,"pid","scope","mode","state","iteration","nextRun",
 *  "lastRun":{"time","result","durationSeconds","error","source","steps",
 *  "driftResources","plannedSteps"},"lastSuccess","metricsListen"} */
int reconcile_status_json(cJSON **out, const reconcile_stats *s) CMK_WUR;

/* Write `len` bytes to `path` atomically with mode 0600. */
int reconcile_write_atomic(const char *path, const char *data, size_t len) CMK_WUR;

/* ---- the loopback metrics endpoint */

typedef struct reconcile_http reconcile_http;

/*
 * Serve GET /metrics (and /healthz) on `listen` ("127.0.0.1:PORT",
 * "[::1]:PORT" or "localhost:PORT"; PORT 0 picks a free one) from a
 * thread of libmicrohttpd. Only loopback addresses are accepted: the
 * metrics name resources and are served without authentication.
 * CMK_EUSAGE for another address, CMK_ERROR when it cannot listen.
 * The served text is what reconcile_http_publish gave last.
 */
int reconcile_http_start(reconcile_http **out, const char *listen) CMK_WUR;
/* "127.0.0.1:PORT" actually bound. */
const char *reconcile_http_address(const reconcile_http *h);
int reconcile_http_publish(reconcile_http *h, const char *text) CMK_WUR;
void reconcile_http_stop(reconcile_http *h);

/* Parse a duration: "90" or "90s", "500ms", "10m", "1h", "1h30m".
 * CMK_EUSAGE for anything else, or <= 0. */
int reconcile_parse_duration(double *out_s, const char *text) CMK_WUR;

#endif
